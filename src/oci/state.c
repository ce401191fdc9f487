/* SPDX-License-Identifier: Apache-2.0 */
/* The container state (runtime.md "State") and hako's own state.json: one
   table, the OCI fields first in the spec's order, the private ones marked
   OCI_PRIVATE so `state` can print exactly what the spec defines. */
#include "state.h"
#include "binder.h"
#include "names.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <stdlib.h>

static const struct oci_enum status_enum = { "status", oci_known_container_status };

static int
check_pid (struct oci_ctx *ctx, const void *value, const void *arg)
{
  if (*(const int32_t *) value >= 0)
    return 0;
  return oci_fail (ctx, "must not be negative, got %d", (int) *(const int32_t *) value);
}

#define T struct oci_state
static const struct oci_field state_fields[] = {
  OCI_F ("ociVersion", OCI_STRING, T, oci_version, OCI_REQUIRED),
  OCI_F ("id", OCI_STRING, T, id, OCI_REQUIRED),
  OCI_F ("status", OCI_STRING, T, status, OCI_REQUIRED, .check = oci_check_enum, .check_arg = &status_enum),
  OCI_F_OPT ("pid", OCI_INT32, T, pid, .check = check_pid),
  OCI_F ("bundle", OCI_STRING, T, bundle, OCI_REQUIRED, .check = oci_check_abs_path),
  OCI_F_ARR ("annotations", OCI_KV_MAP, T, annotations, 0),

  OCI_F ("pidStartTime", OCI_UINT64, T, pid_start_time, OCI_PRIVATE),
  OCI_F ("rootfs", OCI_STRING, T, rootfs, OCI_PRIVATE),
  OCI_F ("created", OCI_STRING, T, created, OCI_PRIVATE),
  OCI_F ("owner", OCI_UINT32, T, owner, OCI_PRIVATE),
  OCI_F ("cgroupPath", OCI_STRING, T, cgroup_path, OCI_PRIVATE),
  OCI_F ("systemdCgroup", OCI_BOOL, T, systemd_cgroup, OCI_PRIVATE),
  OCI_F ("rootless", OCI_BOOL, T, rootless, OCI_PRIVATE),
  OCI_F ("configPath", OCI_STRING, T, config_path, OCI_PRIVATE),
  OCI_F_END,
};
#undef T

static const struct oci_type state_type = { "state", sizeof (struct oci_state), state_fields };

int
oci_state_parse (const char *json, size_t len, const char *origin, struct oci_state **out,
                 struct hako_err **err)
{
  return oci_bind_parse_document (json, len, origin, &state_type, (void **) out, err);
}

int
oci_state_load (const char *path, struct oci_state **out, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (oci_read_file (path, &buf, &len, err) < 0)
    return -1;
  return oci_state_parse (buf, len, path, out, err);
}

char *
oci_state_to_json (const struct oci_state *st, bool oci_only, int indent)
{
  return oci_bind_dump_document (&state_type, st, indent, oci_only ? OCI_PRIVATE : 0);
}

void
oci_state_free (struct oci_state *st)
{
  oci_bind_free (&state_type, st);
  free (st);
}
