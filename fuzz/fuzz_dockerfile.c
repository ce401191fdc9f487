/* SPDX-License-Identifier: Apache-2.0 */
/* Containerfiles: the parser (directives, continuations, JSON and shell
   forms, flags, heredocs), then the word expansion the builder applies to
   each instruction's text, with a few variables set. */
#include "fuzz.h"
#include "../src/build/dockerfile.h"

static const char *
lookup (void *ctx, const char *name)
{
  if (strcmp (name, "A") == 0)
    return "a b";
  if (strcmp (name, "EMPTY") == 0)
    return "";
  if (strcmp (name, "HOME") == 0)
    return "/root";
  return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  char *text = fuzz_str (data, size);
  struct bld_file f = { 0 };
  int ret = bld_parse ("Containerfile", text, &f, &err);
  fuzz_check_err (ret, &err);
  if (ret == 0)
    for (size_t i = 0; i < f.n; i++)
      {
        const struct bld_instr *in = &f.v[i];
        if (in->cmd == NULL || in->rest == NULL || in->line < 1)
          abort ();
        bld_instr_flag (in, "from");
        char *word = NULL;
        char **v = NULL;
        ret = bld_expand_word (in->rest, f.escape, lookup, NULL, &word, &err);
        fuzz_check_err (ret, &err);
        free (word);
        size_t n = 0;
        ret = bld_expand_words (in->rest, f.escape, lookup, NULL, &v, &n, &err);
        fuzz_check_err (ret, &err);
        if (ret == 0)
          bld_strv_free (v);
        v = NULL;
        ret = bld_split_raw (in->rest, f.escape, &v, &n, &err);
        fuzz_check_err (ret, &err);
        if (ret == 0)
          {
            for (size_t k = 0; k < n; k++)
              {
                word = NULL;
                ret = bld_expand_word (v[k], f.escape, lookup, NULL, &word, &err);
                fuzz_check_err (ret, &err);
                free (word);
              }
            bld_strv_free (v);
          }
      }
  bld_file_clear (&f);
  free (text);
  return 0;
}
