/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_BUILD_DOCKERFILE_H
#define HAKO_BUILD_DOCKERFILE_H

/* The Containerfile/Dockerfile grammar, as Docker documents it: parser
   directives (# syntax, # escape), comments, line continuations with the
   escape character, JSON ("exec") and shell forms, flags (--from=…),
   heredocs for RUN/COPY/ADD, and the shell-like word expansion ($VAR,
   ${VAR}, ${VAR:-x}, ${VAR:+x}, ${VAR:?msg}, quotes and escapes) that
   the builder applies to the instructions that support it.

   Parsing does no expansion: it keeps each instruction's text so that the
   builder expands it with the variables in scope at that step. */

#include <stdbool.h>
#include <stddef.h>

struct hako_err;

struct bld_heredoc
{
  char *name;    /* the delimiter word ("EOF") */
  char *content; /* the body, each line ending with '\n' */
  bool expand;   /* unquoted delimiter: $VAR expands in COPY/ADD bodies */
  bool chomp;    /* <<-: leading tabs were stripped */
};

struct bld_instr
{
  char *cmd;      /* upper case: "RUN" */
  char *original; /* the logical line as written (continuations joined) */
  int line;       /* 1-based line of the instruction's first line */
  char **flags;   /* "--from=build", "--chown=1:1", NULL-terminated */
  size_t n_flags;
  char *rest;  /* what follows the instruction and its flags, unexpanded */
  bool json;   /* rest is a JSON array of strings (exec form) */
  char **argv; /* the JSON form's strings (json) */
  size_t argc;
  struct bld_heredoc *heredocs;
  size_t n_heredocs;
};

struct bld_file
{
  char *name;   /* for messages: "Containerfile" */
  char escape;  /* '\\' or '`' */
  char *syntax; /* # syntax= (recorded, not acted on) */
  struct bld_instr *v;
  size_t n;
};

/* Parse `text` (named `name` in errors: "Containerfile:7: …").  Unknown
   instructions, an unterminated heredoc, a JSON-looking argument that is
   not a string array where only JSON is allowed, and an instruction with
   no arguments are errors. */
int bld_parse (const char *name, const char *text, struct bld_file *out, struct hako_err **err);
void bld_file_clear (struct bld_file *f);

/* The value of flag `name` ("from" for --from=x; "" for a bare --flag),
   NULL when absent; the last one wins. */
const char *bld_instr_flag (const struct bld_instr *in, const char *name);

/* Variable lookup for expansion: the value, or NULL when unset. */
typedef const char *(*bld_lookup_fn) (void *ctx, const char *name);

/* Expand one word: quotes removed, escapes applied, variables replaced; no
   splitting (ENV/LABEL/ARG values, WORKDIR, USER). */
int bld_expand_word (const char *s, char escape, bld_lookup_fn lookup, void *ctx, char **out,
                     struct hako_err **err);
/* Expand and split on unquoted whitespace (COPY sources, EXPOSE, VOLUME,
   FROM): *out is NULL-terminated, *n its length. */
int bld_expand_words (const char *s, char escape, bld_lookup_fn lookup, void *ctx, char ***out, size_t *n,
                      struct hako_err **err);
/* Split on unquoted whitespace without expanding, keeping quotes and
   escapes (for ENV/LABEL/ARG "k=v k2=v2" lists; each word is then
   expanded with bld_expand_word). */
int bld_split_raw (const char *s, char escape, char ***out, size_t *n, struct hako_err **err);

void bld_strv_free (char **v);

#endif
