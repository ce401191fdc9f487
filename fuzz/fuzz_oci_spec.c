/* SPDX-License-Identifier: Apache-2.0 */
/* config.json: parse and validate, then serialize what was accepted and
   parse that again (the runtime copies config.json into its state dir). */
#include "fuzz.h"
#include "../src/oci/spec.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  struct oci_spec *spec = NULL;
  int ret = oci_spec_parse ((const char *) data, size, "config.json", &spec, &err);
  fuzz_check_err (ret, &err);
  if (ret < 0)
    return 0;
  char *json = oci_spec_to_json (spec, 0);
  struct oci_spec *again = NULL;
  ret = oci_spec_parse (json, strlen (json), "config.json", &again, &err);
  if (ret < 0)
    {
      fprintf (stderr, "fuzz: serialized config.json does not parse: %s\n%s\n", err->msg, json);
      abort ();
    }
  oci_spec_free (again);
  free (json);
  oci_spec_free (spec);
  return 0;
}
