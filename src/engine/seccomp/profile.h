/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_SECCOMP_PROFILE_H
#define HAKO_ENGINE_SECCOMP_PROFILE_H

/* Seccomp profiles in docker's format -> the runtime-spec's linux.seccomp.

   docker's format is linux.seccomp plus a few engine-side conditions, so one
   file serves every container: "archMap" (which architectures a filter
   covers, chosen by the engine's own architecture), and per syscall entry
   "includes"/"excludes" ({"caps": [...], "arches": [...], "minKernel":
   "4.8"}) that keep or drop the entry for this container and host.  An entry
   is kept when
     - no excludes.arches names the host's architecture, no excludes.caps is
       in the container's capabilities, and the kernel is older than
       excludes.minKernel (when given), and
     - includes.arches (when given) names the host's architecture, every
       includes.caps is in the container's capabilities, and the kernel is at
       least includes.minKernel (when given).
   Architecture names there are docker's (Go's): amd64, x86, x32, arm64, arm,
   ppc64le, s390x, riscv64, loong64, mips64 ...

   The built-in profile is src/engine/seccomp/default.json, docker's default:
   an allow-list (defaultAction SCMP_ACT_ERRNO, EPERM) whose privileged
   syscalls open up with the capability that governs them (CAP_SYS_ADMIN:
   mount, unshare, setns, clone with namespace flags ...; CAP_SYS_PTRACE:
   ptrace, process_vm_*; CAP_SYS_MODULE, CAP_SYS_BOOT, CAP_SYSLOG ...). */

#include <jansson.h>
#include <stddef.h>

struct hako_err;

/* The built-in profile's text (NUL-terminated), embedded at build time. */
extern const char eng_seccomp_default_json[];
extern const size_t eng_seccomp_default_json_len;

/* Where the filter will run: for tests, or to build for another machine. */
struct eng_seccomp_host
{
  const char *arch;   /* docker's name ("amd64"); NULL: the architecture hako was built for */
  const char *kernel; /* a release ("6.1.0-18-amd64"); NULL: uname(2) */
};

/* Turn a profile (docker's format, or already linux.seccomp, which passes
   through unchanged) into a new linux.seccomp object in *out: defaultAction,
   defaultErrnoRet, architectures, flags, listenerPath, listenerMetadata and
   syscalls [{names, action, errnoRet, args [{index, value, valueTwo, op}]}].
   `profile_json` NULL means the built-in profile.  `caps` are the
   container's capabilities ("CAP_SYS_ADMIN"; the bounding set, as docker
   checks), n_caps of them.
   A profile with neither defaultAction nor syscalls ("{}") means no filter,
   as in docker: *out = NULL and 0 is returned.
   Errors name the field and the reason, without an origin for the caller
   to prefix:  syscalls[3].includes.minKernel: invalid kernel version "4.x"
   (want MAJOR.MINOR[.PATCH]).  Argument values above INT64_MAX are refused
   by the JSON reader ("too big integer"). */
int eng_seccomp_build (const char *profile_json, size_t len, const char *const *caps, size_t n_caps,
                       json_t **out, struct hako_err **err);

/* The same for a given host (NULL: this one). */
int eng_seccomp_build_for (const struct eng_seccomp_host *host, const char *profile_json, size_t len,
                           const char *const *caps, size_t n_caps, json_t **out, struct hako_err **err);

#endif
