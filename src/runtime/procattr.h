/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_PROCATTR_H
#define HAKO_RUNTIME_PROCATTR_H

#include <stdbool.h>
#include <stdint.h>
#include "../oci/spec.h"

struct hako_err;

/* Process attributes applied in the container process just before execve,
   each a small step the spec describes (config.md "process").  The caller
   (runtime/init.c) calls them in this order:

     hako_apply_rlimits        (before dropping privileges)
     hako_apply_oom_score_adj
     hako_apply_scheduler, hako_apply_io_priority
     hako_apply_user           (setgroups/setgid/setuid with KEEPCAPS kept)
     hako_apply_umask
     hako_apply_capabilities   (bounding, then capset, then ambient)
     hako_apply_no_new_privs
     hako_seccomp_load         (seccomp.h: here, or before hako_apply_user
                                when the kernel would refuse it here)
     execve
*/

/* Capability sets as bitmasks, resolved from names once, before clone, so a
   bad name is reported by `create` and not by a child. */
struct hako_caps
{
  bool present; /* process.capabilities was given */
  int last_cap; /* the running kernel's last capability, probed once by hako_caps_resolve */
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Names -> masks; unknown names are an error naming the set and the name
   ("process.capabilities.bounding: unknown capability \"CAP_FOO\"").
   Capabilities the running kernel does not know (> CAP_LAST_CAP) are dropped
   with a debug log, as runc does. */
int hako_caps_resolve (const struct oci_capabilities *caps, struct hako_caps *out, struct hako_err **err);
int hako_apply_capabilities (const struct hako_caps *caps, struct hako_err **err);

int hako_apply_rlimits (const struct oci_process *p, struct hako_err **err);
int hako_apply_oom_score_adj (const struct oci_process *p, struct hako_err **err);
int hako_apply_scheduler (const struct oci_process *p, struct hako_err **err);
int hako_apply_io_priority (const struct oci_process *p, struct hako_err **err);
/* Sets supplementary groups (process.user.additionalGids; setgroups is
   skipped when /proc/self/setgroups says "deny"), gid, then uid, keeping the
   capabilities across the uid change (PR_SET_KEEPCAPS) so that
   hako_apply_capabilities can set them exactly afterwards. */
int hako_apply_user (const struct oci_process *p, struct hako_err **err);
void hako_apply_umask (const struct oci_process *p);
int hako_apply_no_new_privs (const struct oci_process *p, struct hako_err **err);

/* Close every fd >= first_fd except `keep` (-1 for none) — close_range with
   CLOSE_RANGE_CLOEXEC where available, else /proc/self/fd. */
int hako_close_fds_from (int first_fd, struct hako_err **err);

/* execve that searches PATH from the container's env (process.env PATH, not
   the runtime's), as runc does; returns only on failure with the errno. */
int hako_execvpe_env (const char *file, char *const argv[], char *const envp[]);

#endif
