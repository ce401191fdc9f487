/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_SECCOMP_H
#define HAKO_RUNTIME_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>
#include "../oci/spec.h"

struct hako_err;
struct hako_seccomp_prog; /* a compiled filter: BPF instructions + flags */

/* Runtime side, before clone: compile linux.seccomp with libseccomp, or
   reuse a compiled program from `cache_dir` (keyed by a SHA-256 of the
   filter's canonical form -- every field that shapes the BPF, in order --
   the libseccomp version, its API level (what the kernel supports) and the
   native architecture), so that repeated starts do not recompile.  *out is
   NULL when `s` is NULL.  Every unknown action, architecture, flag or
   operator is an error naming the field
   (linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_FOO"), and so
   are the spec's MUSTs: an errnoRet on an action that returns no errno,
   listenerMetadata without listenerPath, SCMP_ACT_NOTIFY without
   listenerPath.  Syscall names libseccomp does not know for any
   architecture are skipped with a debug line, as runc and crun do (profiles
   list syscalls newer than the library; refusing them would make docker's
   default profile unusable on older hosts).  A name known to libseccomp but
   absent on one of the filter's architectures is handled by libseccomp
   (no rule on that architecture). */
int hako_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir, struct hako_seccomp_prog **out,
                          struct hako_err **err);
void hako_seccomp_prog_free (struct hako_seccomp_prog *p);

/* Where the container process loads the filter.  As late as possible --
   the last step before execve -- when the kernel will still let it: with
   no_new_privs set, or with CAP_SYS_ADMIN in the final effective set.
   Otherwise (a non-root user without no_new_privs, as docker's defaults) it
   must be loaded before the uid and capability changes, while the process
   still has CAP_SYS_ADMIN; runc does the same. */
bool hako_seccomp_load_last (bool no_new_privs, uint64_t effective_caps);

/* Container side, before pivot_root (the host path is still reachable):
   when the filter uses SCMP_ACT_NOTIFY, connect to linux.seccomp.listenerPath
   (AF_UNIX, SOCK_STREAM, O_CLOEXEC) into *fd, else *fd = -1. */
int hako_seccomp_listener_connect (const struct oci_seccomp *s, int *fd, struct hako_err **err);

/* Container side (see hako_seccomp_load_last for when): load the program
   (seccomp(2) with its flags; with SECCOMP_FILTER_FLAG_NEW_LISTENER when
   notifying) and, if listener_fd >= 0, send the runtime-spec
   containerProcessState (`state_json` is the OCI state; fds ["seccompFd"],
   pid, metadata = listenerMetadata) with the notify fd over it (SCM_RIGHTS),
   then close both.  The message is built before the filter is loaded, so
   that only sendmsg and close run under it. */
int hako_seccomp_load (const struct hako_seccomp_prog *p, const struct oci_seccomp *s, int listener_fd,
                       const char *state_json, struct hako_err **err);

/* The BPF program and flags of a compiled filter, for the exec stub
   (execstub.h) to load; false when the filter notifies (the listener fd
   must then be sent on by hako_seccomp_load). */
bool hako_seccomp_prog_bpf (const struct hako_seccomp_prog *p, const void **insns, unsigned short *len,
                            unsigned long *flags);

/* For `features`: what this build supports (NULL-terminated lists). */
extern const char *const hako_seccomp_actions[];
extern const char *const hako_seccomp_operators[];
extern const char *const hako_seccomp_flags[];       /* knownFlags */
const char *const *hako_seccomp_archs (void);        /* those libseccomp knows */
bool hako_seccomp_flag_supported (const char *flag); /* supportedFlags: the running kernel */
bool hako_seccomp_enabled (void);

#endif
