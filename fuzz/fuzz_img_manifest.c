/* SPDX-License-Identifier: Apache-2.0 */
/* What a registry or an OCI layout hands over as a manifest: the kind
   detection (with and without a Content-Type), then the manifest parser. */
#include "fuzz.h"
#include "../src/image/manifest.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  const char *buf = (const char *) data;
  enum img_kind kind;
  char *mt = NULL;
  int ret = img_detect_kind (NULL, buf, size, &kind, &mt, &err);
  fuzz_check_err (ret, &err);
  free (mt);
  mt = NULL;
  ret = img_detect_kind (IMG_MT_DOCKER_MANIFEST "; charset=utf-8", buf, size, &kind, &mt, &err);
  fuzz_check_err (ret, &err);
  free (mt);

  struct img_manifest m = { 0 };
  ret = img_manifest_parse (buf, size, &m, &err);
  fuzz_check_err (ret, &err);
  img_manifest_clear (&m);
  return 0;
}
