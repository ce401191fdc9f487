/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_FUZZ_H
#define HAKO_FUZZ_H

/* Shared by the libFuzzer targets: each file defines
   LLVMFuzzerTestOneInput and feeds the input to one parser of untrusted
   data.  A target fails (abort) only on a sanitizer report or on a broken
   invariant it checks itself. */

#include "../src/util/error.h"
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* The input as a C string (the parsers that take one stop at a NUL). */
static inline char *
fuzz_str (const uint8_t *data, size_t size)
{
  char *s = xmalloc (size + 1);
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* An error must always carry a message: callers print it. */
static inline void
fuzz_check_err (int ret, struct hako_err **err)
{
  if (ret < 0 && (*err == NULL || (*err)->msg == NULL))
    {
      fprintf (stderr, "fuzz: failure without an error message\n");
      abort ();
    }
  if (ret >= 0 && *err != NULL)
    {
      fprintf (stderr, "fuzz: success with an error set: %s\n", (*err)->msg);
      abort ();
    }
  hako_error_free (err);
}

static inline int
fuzz_rm_one (const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  if (flag == FTW_DP)
    rmdir (p);
  else
    unlink (p);
  return 0;
}

/* rm -rf, without following symlinks. */
static inline void
fuzz_rm_rf (const char *path)
{
  nftw (path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
