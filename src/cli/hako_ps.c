/* SPDX-License-Identifier: Apache-2.0 */
/* `hako ps`, `hako logs`, `hako inspect` (containers). */
#include "hako_cli.h"
#include "../engine/engine.h"
#include "../engine/logfile.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
created_of (const struct eng_ctr *c)
{
  return hako_parse_time (json_string_value (json_object_get (c->j, "Created")));
}

static char *
command_of (const struct eng_ctr *c, bool trunc)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  fprintf (f, "\"%s", json_string_value (json_object_get (c->j, "Path")));
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (c->j, "Args"), i, v) fprintf (f, " %s", json_string_value (v));
  fclose (f);
  if (trunc && strlen (buf) > 20)
    strcpy (buf + 19, "…");
  char *out = xasprintf ("%s\"", buf);
  free (buf);
  return out;
}

static char *
status_of (const struct eng_ctr *c)
{
  const char *st = eng_ctr_status (c);
  json_t *s = json_object_get (c->j, "State");
  char since[64];
  if (strcmp (st, "running") == 0 || strcmp (st, "paused") == 0)
    {
      hako_human_since (hako_parse_time (json_string_value (json_object_get (s, "StartedAt"))), since,
                        sizeof (since));
      /* "5 seconds ago" -> "Up 5 seconds" */
      char *ago = strstr (since, " ago");
      if (ago)
        *ago = '\0';
      return xasprintf ("Up %s%s", since, strcmp (st, "paused") == 0 ? " (Paused)" : "");
    }
  if (strcmp (st, "exited") == 0)
    {
      hako_human_since (hako_parse_time (json_string_value (json_object_get (s, "FinishedAt"))), since,
                        sizeof (since));
      return xasprintf ("Exited (%d) %s", eng_ctr_exit_code (c), since);
    }
  if (strcmp (st, "created") == 0)
    return xstrdup ("Created");
  return xstrdup (st);
}

static const char *
image_of (const struct eng_ctr *c)
{
  const char *n = json_string_value (json_object_get (json_object_get (c->j, "Config"), "Image"));
  return n ? n : "";
}

static bool
matches (const struct eng_ctr *c, char **filters, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const char *f = filters[i];
      const char *eq = strchr (f, '=');
      if (!eq)
        return false;
      size_t kl = (size_t) (eq - f);
      const char *v = eq + 1;
      if (strncmp (f, "status", kl) == 0 && kl == 6)
        {
          if (strcmp (eng_ctr_status (c), v) != 0)
            return false;
        }
      else if (strncmp (f, "name", kl) == 0 && kl == 4)
        {
          if (!strstr (eng_ctr_name (c), v))
            return false;
        }
      else if (strncmp (f, "id", kl) == 0 && kl == 2)
        {
          if (strncmp (c->id, v, strlen (v)) != 0)
            return false;
        }
      else if (strncmp (f, "label", kl) == 0 && kl == 5)
        {
          json_t *labels = json_object_get (json_object_get (c->j, "Config"), "Labels");
          cleanup_free char *k = xstrdup (v);
          char *veq = strchr (k, '=');
          if (veq)
            *veq++ = '\0';
          const char *have = json_string_value (json_object_get (labels, k));
          if (!have || (veq && strcmp (have, veq) != 0))
            return false;
        }
      else if (strncmp (f, "ancestor", kl) == 0 && kl == 8)
        {
          const char *img = json_string_value (json_object_get (c->j, "Image"));
          if (strcmp (image_of (c), v) != 0 && !(img && strstr (img, v)))
            return false;
        }
      else if (strncmp (f, "exited", kl) == 0 && kl == 6)
        {
          if (strcmp (eng_ctr_status (c), "exited") != 0 || eng_ctr_exit_code (c) != atoi (v))
            return false;
        }
      else
        return false;
    }
  return true;
}

static int
by_created_desc (const void *a, const void *b)
{
  const struct eng_ctr *x = *(struct eng_ctr *const *) a, *y = *(struct eng_ctr *const *) b;
  const char *cx = json_string_value (json_object_get (x->j, "Created"));
  const char *cy = json_string_value (json_object_get (y->j, "Created"));
  return strcmp (cy ? cy : "", cx ? cx : "");
}

/* docker's PORTS column: "127.0.0.1:8080->80/tcp, 53/udp" from
   NetworkSettings.Ports ({"80/tcp": [{"HostIp", "HostPort"}], "53/udp": null}). */
static char *
ports_of (const struct eng_ctr *c)
{
  json_t *ports = json_object_get (json_object_get (c->j, "NetworkSettings"), "Ports");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  const char *k;
  json_t *v;
  bool first = true;
  if (eng_ctr_running (c))
    json_object_foreach (ports, k, v)
    {
      size_t i;
      json_t *b;
      if (!json_array_size (v))
        {
          fprintf (f, "%s%s", first ? "" : ", ", k);
          first = false;
        }
      json_array_foreach (v, i, b)
      {
        const char *ip = json_string_value (json_object_get (b, "HostIp"));
        const char *port = json_string_value (json_object_get (b, "HostPort"));
        fprintf (f, "%s%s:%s->%s", first ? "" : ", ", ip && *ip ? ip : "0.0.0.0", port ? port : "", k);
        first = false;
      }
    }
  fclose (f);
  return buf;
}

static json_t *
ps_json (const struct eng_ctr *c, bool trunc)
{
  cleanup_free char *ports = ports_of (c);
  char created[64], running_for[64];
  cleanup_free char *cmd = command_of (c, trunc);
  cleanup_free char *status = status_of (c);
  time_t t = (time_t) created_of (c);
  struct tm tm;
  localtime_r (&t, &tm);
  strftime (created, sizeof (created), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  hako_human_since (created_of (c), running_for, sizeof (running_for));
  char id[13];
  snprintf (id, sizeof (id), "%.12s", c->id);
  json_t *labels = json_object_get (json_object_get (c->j, "Config"), "Labels");
  char *lbuf = NULL;
  size_t llen = 0;
  FILE *f = open_memstream (&lbuf, &llen);
  const char *k;
  json_t *v;
  bool first = true;
  json_object_foreach (labels, k, v)
  {
    fprintf (f, "%s%s=%s", first ? "" : ",", k, json_string_value (v));
    first = false;
  }
  fclose (f);
  json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command", cmd,
                         "CreatedAt", created, "ID", trunc ? id : c->id, "Image", image_of (c), "Labels",
                         lbuf, "Names", eng_ctr_name (c), "Ports", ports, "RunningFor", running_for, "State",
                         eng_ctr_status (c), "Status", status, "Mounts", "");
  free (lbuf);
  return j;
}

/* docker's column titles for `table` templates. */
static const char *
header_of (const char *field)
{
  static const char *const names[][2] = {
    { "ID", "CONTAINER ID" },    { "Image", "IMAGE" },
    { "Command", "COMMAND" },    { "CreatedAt", "CREATED AT" },
    { "RunningFor", "CREATED" }, { "Ports", "PORTS" },
    { "State", "STATE" },        { "Status", "STATUS" },
    { "Size", "SIZE" },          { "Names", "NAMES" },
    { "Labels", "LABELS" },      { "Mounts", "MOUNTS" },
    { "Networks", "NETWORKS" },  { "LocalVolumes", "LOCAL VOLUMES" },
  };
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (strcmp (names[i][0], field) == 0)
      return names[i][1];
  return NULL;
}

/* "{{.ID}}\t{{.Names}}" with \t and \n escapes, rendered into `f`; with no
   row, the template's header (docker's titles, the field name upper-cased
   otherwise). */
static void
render_template (FILE *f, const char *tmpl, json_t *row)
{
  for (const char *p = tmpl; *p;)
    {
      if (strncmp (p, "{{", 2) == 0)
        {
          const char *end = strstr (p, "}}");
          if (!end)
            break;
          cleanup_free char *field = strndup (p + 2, (size_t) (end - p - 2));
          char *fl = field;
          while (*fl == ' ')
            fl++;
          char *fe = fl + strlen (fl);
          while (fe > fl && fe[-1] == ' ')
            *--fe = '\0';
          if (!row)
            {
              const char *h = *fl == '.' ? header_of (fl + 1) : NULL;
              if (h)
                fputs (h, f);
              else
                for (const char *c = *fl == '.' ? fl + 1 : fl; *c; c++)
                  fputc (toupper ((unsigned char) *c), f);
            }
          else if (strcmp (fl, "json .") == 0)
            {
              cleanup_free char *js = json_dumps (row, JSON_COMPACT);
              fputs (js, f);
            }
          else if (*fl == '.')
            {
              json_t *v = json_object_get (row, fl + 1);
              if (json_is_string (v))
                fputs (json_string_value (v), f);
              else if (v)
                {
                  cleanup_free char *js = json_dumps (v, JSON_ENCODE_ANY | JSON_COMPACT);
                  fputs (js, f);
                }
            }
          p = end + 2;
        }
      else if (p[0] == '\\' && p[1] == 't')
        {
          fputc ('\t', f);
          p += 2;
        }
      else if (p[0] == '\\' && p[1] == 'n')
        {
          fputc ('\n', f);
          p += 2;
        }
      else
        fputc (*p++, f);
    }
  fputc ('\n', f);
}

/* Characters, not bytes ("…" is one column). */
static size_t
text_width (const char *s, size_t n)
{
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char) s[i] & 0xc0) != 0x80)
      w++;
  return w;
}

/* docker's tabwriter (minwidth 10, padding 3, spaces): every tab-ended cell
   is padded to its column's width; the last cell of a line is not. */
static void
print_tabbed (const char *text)
{
  size_t widths[64] = { 0 };
  for (const char *line = text; *line;)
    {
      const char *eol = strchrnul (line, '\n');
      size_t col = 0;
      for (const char *cell = line; col < 64;)
        {
          const char *tab = memchr (cell, '\t', (size_t) (eol - cell));
          if (!tab)
            break;
          size_t w = text_width (cell, (size_t) (tab - cell)) + 3;
          if (w < 10)
            w = 10;
          if (w > widths[col])
            widths[col] = w;
          col++;
          cell = tab + 1;
        }
      line = *eol ? eol + 1 : eol;
    }
  for (const char *line = text; *line;)
    {
      const char *eol = strchrnul (line, '\n');
      size_t col = 0;
      const char *cell = line;
      for (;;)
        {
          const char *tab = memchr (cell, '\t', (size_t) (eol - cell));
          if (!tab || col >= 64)
            {
              fwrite (cell, 1, (size_t) (eol - cell), stdout);
              break;
            }
          size_t n = (size_t) (tab - cell);
          fwrite (cell, 1, n, stdout);
          for (size_t w = text_width (cell, n); w < widths[col]; w++)
            putchar (' ');
          col++;
          cell = tab + 1;
        }
      putchar ('\n');
      line = *eol ? eol + 1 : eol;
    }
}

#define PS_DEFAULT_TABLE                                                                                     \
  "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

int
cmd_ps (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = {
    { "all", no_argument, NULL, 'a' },
    { "quiet", no_argument, NULL, 'q' },
    { "filter", required_argument, NULL, 'f' },
    { "format", required_argument, NULL, 'F' },
    { "no-trunc", no_argument, NULL, 'T' },
    { "last", required_argument, NULL, 'n' },
    { "latest", no_argument, NULL, 'l' },
    { "size", no_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false, quiet = false, trunc = true;
  const char *format = NULL;
  char **filters = NULL;
  size_t nf = 0;
  long last = -1;
  int c;
  while ((c = getopt_long (argc, argv, "+aqf:n:ls", lo, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'f':
        filters = xrealloc (filters, (nf + 1) * sizeof (char *));
        filters[nf++] = optarg;
        break;
      case 'F':
        format = optarg;
        break;
      case 'T':
        trunc = false;
        break;
      case 'n':
        last = atol (optarg);
        all = true;
        break;
      case 'l':
        last = 1;
        all = true;
        break;
      case 's':
        break;
      default:
        free (filters);
        return hako_usage (argv[0], "see `hako ps --help`");
      }
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr **v = NULL;
  size_t n = 0;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_list (&e, &v, &n, &err) < 0)
    {
      free (filters);
      return hako_fail (&err);
    }
  if (n > 1) /* v is NULL when there are none: qsort (NULL, 0) is UB */
    qsort (v, n, sizeof (*v), by_created_desc);
  bool json = format && strcmp (format, "json") == 0;
  /* A table (the default, "table", "table TEMPLATE") is aligned as docker's
     tabwriter does, with a header; a bare template is printed as is. */
  const char *tmpl = NULL;
  bool table = false;
  if (!format || strcmp (format, "table") == 0)
    tmpl = PS_DEFAULT_TABLE, table = true;
  else if (strncmp (format, "table ", 6) == 0)
    tmpl = format + 6, table = true;
  else if (!json)
    tmpl = format;
  char *tbuf = NULL;
  size_t tlen = 0;
  FILE *out = table && !quiet ? open_memstream (&tbuf, &tlen) : stdout;
  if (table && !quiet)
    render_template (out, tmpl, NULL);
  long shown = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!all && !eng_ctr_running (v[i]))
        continue;
      if (!matches (v[i], filters, nf))
        continue;
      if (last >= 0 && shown >= last)
        break;
      shown++;
      if (quiet)
        {
          printf ("%.*s\n", trunc ? 12 : 64, v[i]->id);
          continue;
        }
      json_t *row = ps_json (v[i], trunc);
      if (json)
        {
          cleanup_free char *s = json_dumps (row, JSON_COMPACT);
          printf ("%s\n", s);
        }
      else
        render_template (out, tmpl, row);
      json_decref (row);
    }
  if (out != stdout)
    {
      fclose (out);
      print_tabbed (tbuf);
      free (tbuf);
    }
  eng_ctr_list_free (v, n);
  free (filters);
  return 0;
}

/* ---- logs ---- */

struct follow_ctx
{
  struct eng_ctx *e;
  struct eng_ctr *c;
};

static bool
still_running (void *p)
{
  struct follow_ctx *f = p;
  if (eng_ctr_reload (f->c, NULL) < 0)
    return false;
  return eng_ctr_running (f->c);
}

/* "10m", "2h", "30s", RFC 3339, or a unix timestamp -> ns since the epoch */
static int64_t
parse_since (const char *s)
{
  char *end;
  double v = strtod (s, &end);
  if (end != s && (*end == 's' || *end == 'm' || *end == 'h') && end[1] == '\0')
    {
      double mul = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
      return ((int64_t) time (NULL) - (int64_t) (v * mul)) * 1000000000LL;
    }
  if (end != s && *end == '\0')
    return (int64_t) (v * 1e9);
  return hako_parse_time (s) * 1000000000LL;
}

int
cmd_logs (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = {
    { "follow", no_argument, NULL, 'f' },
    { "tail", required_argument, NULL, 'n' },
    { "since", required_argument, NULL, 'S' },
    { "until", required_argument, NULL, 'U' },
    { "timestamps", no_argument, NULL, 't' },
    { "details", no_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
  };
  struct eng_logs_opts o = { .tail = -1 };
  int c;
  while ((c = getopt_long (argc, argv, "+fn:t", lo, NULL)) != -1)
    switch (c)
      {
      case 'f':
        o.follow = true;
        break;
      case 'n':
        o.tail = strcmp (optarg, "all") == 0 ? -1 : atol (optarg);
        break;
      case 'S':
        o.since_ns = parse_since (optarg);
        break;
      case 'U':
        o.until_ns = parse_since (optarg);
        break;
      case 't':
        o.timestamps = true;
        break;
      case 'd':
        break;
      default:
        return hako_usage (argv[0], "see `hako logs --help`");
      }
  if (optind != argc - 1)
    return hako_usage (argv[0], "requires exactly 1 argument");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *ctr = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[optind], &ctr, &err) < 0)
    return hako_fail (&err);
  cleanup_free char *path = eng_log_path (ctr);
  json_t *lc
      = json_object_get (json_object_get (json_object_get (ctr->j, "HostConfig"), "LogConfig"), "Config");
  const char *mf = json_string_value (json_object_get (lc, "max-file"));
  struct follow_ctx fc = { &e, ctr };
  int r = eng_logs (path, mf ? atoi (mf) : 1, &o, still_running, &fc, &err);
  eng_ctr_free (ctr);
  if (r < 0)
    return hako_fail (&err);
  return 0;
}

/* ---- inspect: containers first, then images (docker's order) ---- */

int
cmd_inspect (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "format", required_argument, NULL, 'f' },
                                      { "type", required_argument, NULL, 'T' },
                                      { "size", no_argument, NULL, 's' },
                                      { NULL, 0, NULL, 0 } };
  const char *format = NULL, *type = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+f:s", lo, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else if (c == 'T')
      type = optarg;
    else if (c != 's')
      return hako_usage (argv[0], "see `hako inspect --help`");
  if (optind >= argc)
    return hako_usage (argv[0], "requires at least 1 argument");
  if (type && strcmp (type, "image") == 0)
    {
      argv[optind - 1] = argv[0];
      return cmd_image_inspect (ctx, argc - optind + 1, argv + optind - 1);
    }
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  json_t *out = json_array ();
  int rc = 0;
  for (int i = optind; i < argc; i++)
    {
      struct eng_ctr *ctr = NULL;
      if (eng_ctr_find (&e, argv[i], &ctr, &err) == 0)
        {
          json_t *j = json_deep_copy (ctr->j);
          json_object_del (j, "Hako");
          json_array_append_new (out, j);
          eng_ctr_free (ctr);
          continue;
        }
      hako_error_free (&err);
      if (!type)
        {
          /* An image? Let the image inspect print it. */
          char *sub[] = { "inspect", argv[i], NULL };
          if (format)
            {
              char *subf[] = { "inspect", "--format", (char *) format, argv[i], NULL };
              optind = 0;
              if (cmd_image_inspect (ctx, 4, subf) != 0)
                rc = 1;
            }
          else
            {
              optind = 0;
              if (cmd_image_inspect (ctx, 2, sub) != 0)
                rc = 1;
            }
          continue;
        }
      fprintf (stderr, "hako: no such container: %s\n", argv[i]);
      rc = 1;
    }
  if (json_array_size (out))
    {
      if (format)
        {
          size_t i;
          json_t *v;
          json_array_foreach (out, i, v)
          {
            hako_print_template (format, v); /* {{.State.Status}}-style paths */
          }
        }
      else
        {
          cleanup_free char *s = json_dumps (out, JSON_INDENT (4));
          printf ("%s\n", s);
        }
    }
  json_decref (out);
  return rc;
}
