/* SPDX-License-Identifier: Apache-2.0 */
/* state.json, as the runtime reads it back from its state dir; then both
   serializations (`state` prints the OCI half). */
#include "fuzz.h"
#include "../src/oci/state.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  struct oci_state *st = NULL;
  int ret = oci_state_parse ((const char *) data, size, "state.json", &st, &err);
  fuzz_check_err (ret, &err);
  if (ret < 0)
    return 0;
  free (oci_state_to_json (st, true, 2));
  char *json = oci_state_to_json (st, false, 0);
  struct oci_state *again = NULL;
  if (oci_state_parse (json, strlen (json), "state.json", &again, &err) < 0)
    {
      fprintf (stderr, "fuzz: serialized state.json does not parse: %s\n%s\n", err->msg, json);
      abort ();
    }
  oci_state_free (again);
  free (json);
  oci_state_free (st);
  return 0;
}
