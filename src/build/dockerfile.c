/* SPDX-License-Identifier: Apache-2.0 */
/* The Dockerfile parser and word expansion (see dockerfile.h).  The rules
   follow Docker's reference and buildkit's shell lexer: a directive is only
   read before the first comment, blank line or instruction; comment lines
   inside a continuation are dropped; inside double quotes the escape
   character only escapes `"`, `$` and itself. */
#include "dockerfile.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------- a growable string ---------- */

struct sb
{
  char *p;
  size_t n, cap;
};

static void
sb_putc (struct sb *b, char c)
{
  if (b->n + 2 > b->cap)
    {
      b->cap = b->cap ? b->cap * 2 : 64;
      b->p = xrealloc (b->p, b->cap);
    }
  b->p[b->n++] = c;
  b->p[b->n] = '\0';
}

static void
sb_puts (struct sb *b, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    sb_putc (b, s[i]);
}

static char *
sb_take (struct sb *b)
{
  char *r = b->p ? b->p : xstrdup ("");
  b->p = NULL;
  b->n = b->cap = 0;
  return r;
}

static void
strv_push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

void
bld_strv_free (char **v)
{
  for (char **p = v; p && *p; p++)
    free (*p);
  free (v);
}

/* ---------- word expansion ---------- */

struct lex
{
  const char *s;
  size_t i;
  char esc;
  bld_lookup_fn lookup;
  void *ctx;
  struct hako_err **err;
};

struct words
{
  bool split;
  char **v;
  size_t n;
  struct sb cur;
  bool in_word;
};

static void
words_char (struct words *w, char c)
{
  sb_putc (&w->cur, c);
  w->in_word = true;
}

static void
words_end (struct words *w)
{
  if (w->in_word)
    strv_push (&w->v, &w->n, sb_take (&w->cur));
  w->in_word = false;
}

/* An unquoted expansion: split on whitespace when splitting. */
static void
words_expanded (struct words *w, const char *s)
{
  for (; *s; s++)
    if (w->split && (*s == ' ' || *s == '\t' || *s == '\n'))
      words_end (w);
    else
      words_char (w, *s);
}

static bool
name_char (char c)
{
  return isalnum ((unsigned char) c) || c == '_';
}

static int lex_until (struct lex *lx, char stop, char **out);

/* After a '$'.  *out: the value (new string), or NULL when the '$' is a
   literal one. */
static int
lex_dollar (struct lex *lx, char **out)
{
  const char *s = lx->s;
  *out = NULL;
  if (s[lx->i] == '{')
    {
      size_t start = ++lx->i;
      while (name_char (s[lx->i]))
        lx->i++;
      cleanup_free char *name = strndup (s + start, lx->i - start);
      if (!*name)
        return hako_error (lx->err, 0, "bad substitution: `${%.20s`", s + start);
      const char *val = lx->lookup ? lx->lookup (lx->ctx, name) : NULL;
      if (s[lx->i] == '}')
        {
          lx->i++;
          *out = xstrdup (val ? val : "");
          return 0;
        }
      bool colon = s[lx->i] == ':';
      if (colon)
        lx->i++;
      char op = s[lx->i];
      if (op != '-' && op != '+' && op != '?')
        return hako_error (lx->err, 0, "unsupported modifier in `${%s%s%c…}`", name, colon ? ":" : "", op);
      lx->i++;
      cleanup_free char *word = NULL;
      if (lex_until (lx, '}', &word) < 0)
        return -1;
      bool set = val != NULL && (!colon || *val);
      if (op == '-')
        *out = xstrdup (set ? val : word);
      else if (op == '+')
        *out = xstrdup (set ? word : "");
      else if (!set)
        return hako_error (lx->err, 0, "%s: %s", name, *word ? word : "is not allowed to be unset or empty");
      else
        *out = xstrdup (val);
      return 0;
    }
  if (!name_char (s[lx->i]))
    return 0;
  size_t start = lx->i;
  /* $1…: positional (always empty here), the digits only, as the shell. */
  bool digits = isdigit ((unsigned char) s[lx->i]);
  while (digits ? isdigit ((unsigned char) s[lx->i]) : name_char (s[lx->i]))
    lx->i++;
  cleanup_free char *name = strndup (s + start, lx->i - start);
  const char *val = lx->lookup && !digits ? lx->lookup (lx->ctx, name) : NULL;
  *out = xstrdup (val ? val : "");
  return 0;
}

static int
lex_single (struct lex *lx, struct words *w)
{
  const char *s = lx->s;
  w->in_word = true;
  for (;;)
    {
      char c = s[lx->i++];
      if (c == '\0')
        return hako_error (lx->err, 0, "unexpected end of statement while looking for matching single-quote");
      if (c == '\'')
        return 0;
      words_char (w, c);
    }
}

static int
lex_double (struct lex *lx, struct words *w)
{
  const char *s = lx->s;
  w->in_word = true;
  for (;;)
    {
      char c = s[lx->i++];
      if (c == '\0')
        return hako_error (lx->err, 0, "unexpected end of statement while looking for matching double-quote");
      if (c == '"')
        return 0;
      if (c == lx->esc)
        {
          char n = s[lx->i];
          if (n == '\0')
            continue;
          if (n == '"' || n == '$' || n == lx->esc)
            {
              words_char (w, n);
              lx->i++;
            }
          else
            words_char (w, c);
          continue;
        }
      if (c == '$')
        {
          cleanup_free char *v = NULL;
          if (lex_dollar (lx, &v) < 0)
            return -1;
          if (v)
            sb_puts (&w->cur, v, strlen (v));
          else
            words_char (w, '$');
          continue;
        }
      words_char (w, c);
    }
}

/* Process until `stop` (0: the end) into w. */
static int
lex_run (struct lex *lx, char stop, struct words *w)
{
  const char *s = lx->s;
  for (;;)
    {
      char c = s[lx->i];
      if (c == '\0')
        {
          if (stop)
            return hako_error (lx->err, 0, "missing `%c` in `%s`", stop, s);
          return 0;
        }
      lx->i++;
      if (stop && c == stop)
        return 0;
      if (c == '\'')
        {
          if (lex_single (lx, w) < 0)
            return -1;
        }
      else if (c == '"')
        {
          if (lex_double (lx, w) < 0)
            return -1;
        }
      else if (c == lx->esc)
        {
          if (s[lx->i])
            words_char (w, s[lx->i++]);
        }
      else if (c == '$')
        {
          cleanup_free char *v = NULL;
          if (lex_dollar (lx, &v) < 0)
            return -1;
          if (v)
            words_expanded (w, v);
          else
            words_char (w, '$');
        }
      else if (w->split && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
        words_end (w);
      else
        words_char (w, c);
    }
}

/* The word of ${VAR:-word}: processed like the rest, not split. */
static int
lex_until (struct lex *lx, char stop, char **out)
{
  struct words w = { .split = false };
  int r = lex_run (lx, stop, &w);
  if (r < 0)
    {
      free (w.cur.p);
      return -1;
    }
  *out = sb_take (&w.cur);
  return 0;
}

int
bld_expand_word (const char *s, char escape, bld_lookup_fn lookup, void *ctx, char **out,
                 struct hako_err **err)
{
  struct lex lx = { .s = s, .esc = escape, .lookup = lookup, .ctx = ctx, .err = err };
  return lex_until (&lx, 0, out);
}

int
bld_expand_words (const char *s, char escape, bld_lookup_fn lookup, void *ctx, char ***out, size_t *n,
                  struct hako_err **err)
{
  struct lex lx = { .s = s, .esc = escape, .lookup = lookup, .ctx = ctx, .err = err };
  struct words w = { .split = true };
  if (lex_run (&lx, 0, &w) < 0)
    {
      free (w.cur.p);
      bld_strv_free (w.v);
      return -1;
    }
  words_end (&w);
  if (w.v == NULL)
    w.v = xzalloc (sizeof (char *));
  *out = w.v;
  if (n)
    *n = w.n;
  return 0;
}

int
bld_split_raw (const char *s, char escape, char ***out, size_t *n, struct hako_err **err)
{
  char **v = NULL;
  size_t k = 0;
  struct sb cur = { 0 };
  bool in = false;
  char quote = 0;
  for (size_t i = 0; s[i]; i++)
    {
      char c = s[i];
      if (quote)
        {
          sb_putc (&cur, c);
          if (c == escape && quote == '"' && s[i + 1])
            sb_putc (&cur, s[++i]);
          else if (c == quote)
            quote = 0;
          continue;
        }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        {
          if (in)
            strv_push (&v, &k, sb_take (&cur));
          in = false;
          continue;
        }
      in = true;
      sb_putc (&cur, c);
      if (c == escape && s[i + 1])
        sb_putc (&cur, s[++i]);
      else if (c == '\'' || c == '"')
        quote = c;
    }
  if (quote)
    {
      free (cur.p);
      bld_strv_free (v);
      return hako_error (err, 0, "unterminated %s quote", quote == '"' ? "double" : "single");
    }
  if (in)
    strv_push (&v, &k, sb_take (&cur));
  if (v == NULL)
    v = xzalloc (sizeof (char *));
  *out = v;
  if (n)
    *n = k;
  return 0;
}

/* ---------- the parser ---------- */

static const char *const known[]
    = { "FROM",    "RUN",        "CMD",         "LABEL",  "MAINTAINER", "EXPOSE",  "ENV",
        "ADD",     "COPY",       "ENTRYPOINT",  "VOLUME", "USER",       "WORKDIR", "ARG",
        "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",  NULL };

static bool
is_one_of (const char *cmd, const char *const *list)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp (cmd, list[i]) == 0)
      return true;
  return false;
}

static char *
trim_dup (const char *s, size_t len)
{
  while (len && isspace ((unsigned char) *s))
    s++, len--;
  while (len && isspace ((unsigned char) s[len - 1]))
    len--;
  return strndup (s, len);
}

struct lines
{
  char **v;
  size_t n;
};

static void
lines_split (const char *text, struct lines *L)
{
  const char *p = text;
  while (*p)
    {
      size_t len = strcspn (p, "\n");
      size_t l = len;
      if (l && p[l - 1] == '\r')
        l--;
      char *line = strndup (p, l);
      L->v = xrealloc (L->v, (L->n + 1) * sizeof (char *));
      L->v[L->n++] = line;
      p += len;
      if (*p == '\n')
        p++;
    }
}

static bool
blank_or_comment (const char *line)
{
  line += strspn (line, " \t");
  return *line == '\0' || *line == '#';
}

/* "# key=value" as a parser directive; false when the line is not one. */
static bool
directive (const char *line, char **key, char **value)
{
  const char *p = line + strspn (line, " \t");
  if (*p != '#')
    return false;
  p++;
  p += strspn (p, " \t");
  size_t k = 0;
  while (isalpha ((unsigned char) p[k]))
    k++;
  if (k == 0)
    return false;
  const char *q = p + k;
  q += strspn (q, " \t");
  if (*q != '=')
    return false;
  q++;
  *key = strndup (p, k);
  for (char *c = *key; *c; c++)
    *c = (char) tolower ((unsigned char) *c);
  *value = trim_dup (q, strlen (q));
  return true;
}

/* A line that ends (before trailing blanks) with the escape character. */
static bool
continues (const char *line, char esc, size_t *cut)
{
  size_t n = strlen (line);
  while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
    n--;
  if (n && line[n - 1] == esc)
    {
      *cut = n - 1;
      return true;
    }
  return false;
}

static void
instr_clear (struct bld_instr *in)
{
  free (in->cmd);
  free (in->original);
  bld_strv_free (in->flags);
  free (in->rest);
  bld_strv_free (in->argv);
  for (size_t i = 0; i < in->n_heredocs; i++)
    {
      free (in->heredocs[i].name);
      free (in->heredocs[i].content);
    }
  free (in->heredocs);
}

void
bld_file_clear (struct bld_file *f)
{
  for (size_t i = 0; i < f->n; i++)
    instr_clear (&f->v[i]);
  free (f->v);
  free (f->name);
  free (f->syntax);
  memset (f, 0, sizeof (*f));
}

const char *
bld_instr_flag (const struct bld_instr *in, const char *name)
{
  const char *found = NULL;
  size_t len = strlen (name);
  for (size_t i = 0; i < in->n_flags; i++)
    {
      const char *f = in->flags[i] + 2;
      if (strncmp (f, name, len) == 0 && (f[len] == '=' || f[len] == '\0'))
        found = f[len] == '=' ? f + len + 1 : "";
    }
  return found;
}

/* The JSON (exec) form: an array of strings, else not JSON. */
static bool
parse_json_form (const char *rest, char ***argv, size_t *argc)
{
  if (rest[0] != '[')
    return false;
  json_t *j = json_loads (rest, JSON_DECODE_ANY, NULL);
  if (!json_is_array (j))
    {
      json_decref (j);
      return false;
    }
  size_t i;
  json_t *v;
  char **out = NULL;
  size_t n = 0;
  json_array_foreach (j, i, v)
  {
    if (!json_is_string (v))
      {
        json_decref (j);
        bld_strv_free (out);
        return false;
      }
    strv_push (&out, &n, xstrdup (json_string_value (v)));
  }
  json_decref (j);
  if (out == NULL)
    out = xzalloc (sizeof (char *));
  *argv = out;
  *argc = n;
  return true;
}

/* Heredoc markers among the shell words of `rest`: "<<EOF", "<<-EOF",
   "<<'EOF'", "<<\"EOF\"". */
static int
find_heredocs (struct bld_instr *in, char esc, struct hako_err **err)
{
  cleanup_strv char **words = NULL;
  if (bld_split_raw (in->rest, esc, &words, NULL, err) < 0)
    return -1;
  for (char **w = words; *w; w++)
    {
      const char *p = *w;
      if (strncmp (p, "<<", 2) != 0 || p[2] == '<')
        continue;
      p += 2;
      bool chomp = *p == '-';
      if (chomp)
        p++;
      bool expand = true;
      size_t len = strlen (p);
      cleanup_free char *name = NULL;
      if (len >= 2 && (p[0] == '\'' || p[0] == '"') && p[len - 1] == p[0])
        {
          name = strndup (p + 1, len - 2);
          expand = false;
        }
      else
        {
          /* `<<EOF>file`: the word ends at a shell operator */
          size_t k = strcspn (p, "<>|;&()'\"");
          name = strndup (p, k);
        }
      if (!*name)
        continue;
      in->heredocs = xrealloc (in->heredocs, (in->n_heredocs + 1) * sizeof (*in->heredocs));
      in->heredocs[in->n_heredocs++]
          = (struct bld_heredoc){ .name = steal_pointer (&name), .expand = expand, .chomp = chomp };
    }
  return 0;
}

/* Read the heredoc bodies from L->v[*i...]. */
static int
read_heredocs (struct bld_instr *in, const char *fname, struct lines *L, size_t *i, struct hako_err **err)
{
  for (size_t h = 0; h < in->n_heredocs; h++)
    {
      struct bld_heredoc *d = &in->heredocs[h];
      struct sb body = { 0 };
      bool done = false;
      while (*i < L->n)
        {
          const char *line = L->v[(*i)++];
          if (d->chomp)
            line += strspn (line, "\t");
          if (strcmp (line, d->name) == 0)
            {
              done = true;
              break;
            }
          sb_puts (&body, line, strlen (line));
          sb_putc (&body, '\n');
        }
      d->content = sb_take (&body);
      if (!done)
        return hako_error (err, 0, "%s:%d: %s: unterminated heredoc `%s`", fname, in->line, in->cmd, d->name);
    }
  return 0;
}

static const char *const flag_cmds[] = { "FROM", "RUN", "COPY", "ADD", "HEALTHCHECK", NULL };
static const char *const json_cmds[] = { "RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME", NULL };
static const char *const heredoc_cmds[] = { "RUN", "COPY", "ADD", NULL };

static int
parse_instr (const char *fname, char esc, const char *logical, int lineno, struct bld_instr *in,
             struct hako_err **err)
{
  const char *p = logical + strspn (logical, " \t");
  size_t k = strcspn (p, " \t");
  in->line = lineno;
  in->original = trim_dup (p, strlen (p));
  in->cmd = strndup (p, k);
  for (char *c = in->cmd; *c; c++)
    *c = (char) toupper ((unsigned char) *c);
  if (!is_one_of (in->cmd, known))
    return hako_error (err, 0, "%s:%d: unknown instruction: %.*s", fname, lineno, (int) k, p);
  p += k;
  p += strspn (p, " \t");
  if (is_one_of (in->cmd, flag_cmds))
    while (p[0] == '-' && p[1] == '-')
      {
        size_t n = strcspn (p, " \t");
        strv_push (&in->flags, &in->n_flags, strndup (p, n));
        p += n;
        p += strspn (p, " \t");
      }
  in->rest = trim_dup (p, strlen (p));
  if (*in->rest == '\0')
    return hako_error (err, 0, "%s:%d: %s requires at least one argument", fname, lineno, in->cmd);
  if (is_one_of (in->cmd, json_cmds))
    in->json = parse_json_form (in->rest, &in->argv, &in->argc);
  if (strcmp (in->cmd, "SHELL") == 0 && (!in->json || in->argc == 0))
    return hako_error (err, 0, "%s:%d: SHELL requires the arguments to be in JSON form", fname, lineno);
  if (!in->json && is_one_of (in->cmd, heredoc_cmds) && find_heredocs (in, esc, err) < 0)
    return hako_error_prefix (err, "%s:%d: %s", fname, lineno, in->cmd);
  return 0;
}

int
bld_parse (const char *name, const char *text, struct bld_file *out, struct hako_err **err)
{
  struct lines L = { 0 };
  struct bld_file f = { .name = xstrdup (name), .escape = '\\' };
  size_t i = 0;
  int r = -1;
  bool seen_escape = false;

  lines_split (text, &L);
  /* Directives: only at the very top. */
  for (; i < L.n; i++)
    {
      char *key = NULL, *value = NULL;
      if (!directive (L.v[i], &key, &value))
        break;
      bool known_key
          = strcmp (key, "escape") == 0 || strcmp (key, "syntax") == 0 || strcmp (key, "check") == 0;
      if (known_key && strcmp (key, "escape") == 0)
        {
          if (seen_escape || (strcmp (value, "\\") != 0 && strcmp (value, "`") != 0))
            {
              hako_error (err, 0, "%s:%zu: invalid escape directive `%s`: must be ` or \\", name, i + 1,
                          value);
              free (key);
              free (value);
              goto out;
            }
          seen_escape = true;
          f.escape = value[0];
        }
      else if (known_key && strcmp (key, "syntax") == 0)
        {
          free (f.syntax);
          f.syntax = xstrdup (value);
        }
      free (key);
      free (value);
      if (!known_key)
        break;
    }

  while (i < L.n)
    {
      size_t start = i;
      const char *line = L.v[i++];
      if (blank_or_comment (line))
        continue;
      struct sb logical = { 0 };
      size_t cut;
      const char *cur = line;
      for (;;)
        {
          if (!continues (cur, f.escape, &cut))
            {
              sb_puts (&logical, cur, strlen (cur));
              break;
            }
          sb_puts (&logical, cur, cut);
          /* Comment and empty lines inside a continuation are dropped. */
          while (i < L.n && blank_or_comment (L.v[i]))
            i++;
          if (i >= L.n)
            break;
          cur = L.v[i++];
        }
      cleanup_free char *text_line = sb_take (&logical);
      struct bld_instr in = { 0 };
      if (parse_instr (name, f.escape, text_line, (int) start + 1, &in, err) < 0
          || read_heredocs (&in, name, &L, &i, err) < 0)
        {
          instr_clear (&in);
          goto out;
        }
      f.v = xrealloc (f.v, (f.n + 1) * sizeof (*f.v));
      f.v[f.n++] = in;
    }
  if (f.n == 0)
    {
      hako_error (err, 0, "%s: file with no instructions", name);
      goto out;
    }
  *out = f;
  memset (&f, 0, sizeof (f));
  r = 0;
out:
  bld_file_clear (&f);
  for (size_t k = 0; k < L.n; k++)
    free (L.v[k]);
  free (L.v);
  return r;
}
