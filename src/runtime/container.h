/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_CONTAINER_H
#define HAKO_RUNTIME_CONTAINER_H

/* The OCI lifecycle as a library (runtime.md "Operations"): what the CLI and
   the engine call.  Every function returns < 0 with *err set on failure and
   leaves nothing behind: no state dir, cgroup, mount or process. */

#include <stdbool.h>
#include <sys/types.h>
#include "../oci/state.h"

struct hako_err;

enum hako_cgroup_manager
{
  HAKO_CGROUP_CGROUPFS,
  HAKO_CGROUP_DISABLED,
};

struct hako_runtime
{
  const char *root; /* state root, e.g. /run/hako-runtime */
  enum hako_cgroup_manager cgroup_manager;
  bool rootless;
};

struct hako_create_opts
{
  const char *id;
  const char *bundle;      /* default: cwd */
  const char *config_path; /* default: <bundle>/config.json */
  const char *pid_file;
  pid_t *pid_out; /* the container process's pid, when not NULL (what pid_file gets) */
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
};

/* Container ids: [A-Za-z0-9][A-Za-z0-9_+.-]*, at most 1024 bytes. */
int hako_validate_id (const char *id, struct hako_err **err);

int hako_container_create (const struct hako_runtime *rt, const struct hako_create_opts *o,
                           struct hako_err **err);
int hako_container_start (const struct hako_runtime *rt, const char *id, struct hako_err **err);

/* create + start.  In the foreground (detach false) it waits for the
   container process, forwarding signals to it, proxies the terminal when
   process.terminal is set and no console socket was given, deletes the
   container unless `keep`, and stores the exit status (code, or 128+signal)
   in *exit_code. */
int hako_container_run (const struct hako_runtime *rt, const struct hako_create_opts *o, bool detach,
                        bool keep, int *exit_code, struct hako_err **err);

/* The state with the status refreshed from the live process. */
int hako_container_state (const struct hako_runtime *rt, const char *id, struct oci_state **out,
                          struct hako_err **err);
/* All containers under the root (unreadable entries are skipped with a
   warning, like runc). */
int hako_container_list (const struct hako_runtime *rt, struct oci_state ***out, size_t *n,
                         struct hako_err **err);
void hako_state_list_free (struct oci_state **v, size_t n);

int hako_container_kill (const struct hako_runtime *rt, const char *id, int sig, bool all,
                         struct hako_err **err);
int hako_container_delete (const struct hako_runtime *rt, const char *id, bool force, struct hako_err **err);

/* Signal names and numbers ("KILL", "SIGKILL", "9"). */
int hako_parse_signal (const char *s, int *sig, struct hako_err **err);

#endif
