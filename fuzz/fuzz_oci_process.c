/* SPDX-License-Identifier: Apache-2.0 */
/* process.json, as `hako-runtime exec --process FILE` reads it. */
#include "fuzz.h"
#include "../src/oci/spec.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  struct oci_process *p = NULL;
  int ret = oci_process_parse ((const char *) data, size, "process.json", &p, &err);
  fuzz_check_err (ret, &err);
  if (ret == 0)
    oci_process_free (p);
  return 0;
}
