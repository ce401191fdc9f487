/* SPDX-License-Identifier: Apache-2.0 */
/* Image references (`hako pull X`, FROM X, the index of a loaded archive)
   and platform strings (--platform). */
#include "fuzz.h"
#include "../src/image/manifest.h"
#include "../src/image/ref.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  char *s = fuzz_str (data, size);
  struct img_ref *r = NULL;
  int ret = img_ref_parse (s, NULL, &r, &err);
  fuzz_check_err (ret, &err);
  if (ret == 0)
    {
      char *name = img_ref_name (r);
      char *full = img_ref_string (r);
      /* what the index stores must parse back to itself */
      struct img_ref *r2 = NULL;
      if (img_ref_parse (full, NULL, &r2, &err) < 0)
        {
          fprintf (stderr, "fuzz: `%s` -> `%s` does not parse: %s\n", s, full, err->msg);
          abort ();
        }
      char *full2 = img_ref_string (r2);
      if (strcmp (full, full2) != 0)
        {
          fprintf (stderr, "fuzz: `%s` -> `%s` -> `%s`\n", s, full, full2);
          abort ();
        }
      free (img_ref_familiar (full));
      free (full2);
      img_ref_free (r2);
      free (full);
      free (name);
      img_ref_free (r);
    }
  if (img_ref_parse (s, "registry.local:5000", &r, &err) == 0)
    img_ref_free (r);
  hako_error_free (&err);
  free (img_ref_familiar (s));

  struct img_platform p;
  ret = img_platform_parse (s, &p, &err);
  fuzz_check_err (ret, &err);
  free (s);
  return 0;
}
