/* SPDX-License-Identifier: Apache-2.0 */
/* An image config blob (os, architecture, rootfs.diff_ids, history). */
#include "fuzz.h"
#include "../src/image/manifest.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  struct img_config c = { 0 };
  int ret = img_config_parse ((const char *) data, size, &c, &err);
  fuzz_check_err (ret, &err);
  img_config_clear (&c);
  return 0;
}
