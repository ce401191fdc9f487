/* SPDX-License-Identifier: Apache-2.0 */
/* An image index / manifest list, then the platform selection over it. */
#include "fuzz.h"
#include "../src/image/manifest.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  struct img_mindex ix = { 0 };
  int ret = img_mindex_parse ((const char *) data, size, &ix, &err);
  fuzz_check_err (ret, &err);
  if (ret == 0)
    {
      struct img_platform p;
      img_platform_host (&p);
      int i = img_platform_select (&ix, &p, &err);
      if (i >= (int) ix.n)
        abort ();
      fuzz_check_err (i, &err);
      if (img_platform_parse ("linux/arm64/v8", &p, &err) == 0)
        i = img_platform_select (&ix, &p, &err);
      hako_error_free (&err);
    }
  img_mindex_clear (&ix);
  return 0;
}
