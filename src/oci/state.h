/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_OCI_STATE_H
#define HAKO_OCI_STATE_H

#include "spec.h"

/* The OCI state (runtime.md "State"), as `hako-runtime state` prints it, plus
   the fields the runtime keeps for itself in <root>/<id>/state.json.  One
   binder table serves both: the OCI fields first, the private ones after. */
struct oci_state
{
  /* OCI */
  char *oci_version; /* required */
  char *id;          /* required */
  char *status;      /* required: creating created running stopped paused */
  bool has_pid;
  int32_t pid;  /* required when created or running */
  char *bundle; /* required, absolute */
  struct oci_kv *annotations;
  size_t n_annotations;

  /* hako private (omitted by oci_state_to_json when oci_only) */
  uint64_t pid_start_time; /* /proc/PID/stat field 22, guards against pid reuse */
  char *rootfs;            /* absolute path */
  char *created;           /* RFC3339Nano */
  uint32_t owner;          /* uid that created it */
  char *cgroup_path;       /* the resolved cgroup path (same in every hierarchy) */
  bool systemd_cgroup;
  bool rootless;
  char *config_path; /* copy of config.json kept in the state dir */
};

int oci_state_parse (const char *json, size_t len, const char *origin, struct oci_state **out,
                     struct hako_err **err);
int oci_state_load (const char *path, struct oci_state **out, struct hako_err **err);
/* oci_only: print just the OCI fields (what `state` prints), in the spec's order. */
char *oci_state_to_json (const struct oci_state *st, bool oci_only, int indent);
void oci_state_free (struct oci_state *st);

#endif
