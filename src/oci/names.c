/* SPDX-License-Identifier: Apache-2.0 */
/* The spec's closed vocabularies, as data (see names.h). */
#include "names.h"
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Indexed by capability number: the numbers are the kernel ABI, the same on
   every architecture, so the table does not depend on the build host's
   headers knowing the newest ones. */
const char *const oci_known_capabilities[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
  NULL,
};
_Static_assert(N_ELEMENTS (oci_known_capabilities) == OCI_CAP_LAST + 2, "one name per cap");

/* RLIMIT_* numbers differ between architectures (alpha, mips, sparc), so
   the values come from <sys/resource.h>, in the same order as the names. */
const char *const oci_known_rlimits[] = {
  "RLIMIT_CPU",      "RLIMIT_FSIZE",  "RLIMIT_DATA",    "RLIMIT_STACK",  "RLIMIT_CORE",  "RLIMIT_RSS",
  "RLIMIT_NPROC",    "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",     "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
  "RLIMIT_MSGQUEUE", "RLIMIT_NICE",   "RLIMIT_RTPRIO",  "RLIMIT_RTTIME", NULL,
};
static const int rlimit_values[] = {
  RLIMIT_CPU,      RLIMIT_FSIZE,  RLIMIT_DATA,    RLIMIT_STACK,  RLIMIT_CORE,  RLIMIT_RSS,
  RLIMIT_NPROC,    RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS,     RLIMIT_LOCKS, RLIMIT_SIGPENDING,
  RLIMIT_MSGQUEUE, RLIMIT_NICE,   RLIMIT_RTPRIO,  RLIMIT_RTTIME,
};
_Static_assert(N_ELEMENTS (oci_known_rlimits) == N_ELEMENTS (rlimit_values) + 1, "one value per rlimit name");

/* Not every libc names the newer policies. */
#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#define HAKO_SCHED_ISO 4 /* reserved, never implemented by Linux */

const char *const oci_known_sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE", NULL,
};
static const int sched_policy_values[] = {
  SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, HAKO_SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE,
};
_Static_assert(N_ELEMENTS (oci_known_sched_policies) == N_ELEMENTS (sched_policy_values) + 1,
               "one value per policy name");

const char *const oci_known_sched_flags[] = {
  "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
  "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX", NULL,
};

/* Indexed by class - 1: IOPRIO_CLASS_RT is 1 in the kernel ABI. */
const char *const oci_known_ioprio_classes[] = {
  "IOPRIO_CLASS_RT",
  "IOPRIO_CLASS_BE",
  "IOPRIO_CLASS_IDLE",
  NULL,
};

const char *const oci_known_namespaces[] = {
  "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL,
};

const char *const oci_known_hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

/* clang-format off */
const char *const oci_known_mount_options[] = {
  "async",          "atime",          "bind",           "defaults",       "dev",            "diratime",
  "dirsync",        "exec",           "iversion",       "lazytime",       "loud",           "mand",
  "noatime",        "nodev",          "nodiratime",     "noexec",         "noiversion",     "nolazytime",
  "nomand",         "norelatime",     "nostrictatime",  "nosuid",         "nosymfollow",    "private",
  "ratime",         "rbind",          "rdev",           "rdiratime",      "relatime",       "remount",
  "rexec",          "rnoatime",       "rnodev",         "rnodiratime",    "rnoexec",        "rnorelatime",
  "rnostrictatime", "rnosuid",        "rnosymfollow",   "ro",             "rprivate",       "rrelatime",
  "rro",            "rrw",            "rshared",        "rslave",         "rstrictatime",   "rsuid",
  "rsymfollow",     "runbindable",    "rw",             "shared",         "silent",         "slave",
  "strictatime",    "suid",           "symfollow",      "sync",           "unbindable",     "idmap",
  "ridmap",
  NULL,
};
/* clang-format on */

const char *const oci_known_propagations[] = {
  "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable", NULL,
};

const char *const oci_known_personality_domains[] = { "LINUX", "LINUX32", NULL };

const char *const oci_known_seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};

const char *const oci_known_seccomp_operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

const char *const oci_known_seccomp_archs[] = {
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     NULL,
};

const char *const oci_known_seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
};

const char *const oci_known_time_clocks[] = { "monotonic", "boottime", NULL };

const char *const oci_known_container_status[] = {
  "creating", "created", "running", "stopped", "paused", NULL,
};

int
oci_name_index (const char *const *list, const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; list[i]; i++)
    if (strcmp (list[i], name) == 0)
      return i;
  return -1;
}

bool
oci_name_known (const char *const *list, const char *name)
{
  return oci_name_index (list, name) >= 0;
}

size_t
oci_names_count (const char *const *list)
{
  size_t n = 0;
  while (list[n])
    n++;
  return n;
}

int
oci_cap_from_name (const char *name)
{
  return oci_name_index (oci_known_capabilities, name);
}

const char *
oci_cap_name (int cap)
{
  if (cap < 0 || cap > OCI_CAP_LAST)
    return NULL;
  return oci_known_capabilities[cap];
}

int
oci_rlimit_from_name (const char *name)
{
  int i = oci_name_index (oci_known_rlimits, name);
  return i < 0 ? -1 : rlimit_values[i];
}

const char *
oci_rlimit_name (int resource)
{
  for (size_t i = 0; i < N_ELEMENTS (rlimit_values); i++)
    if (rlimit_values[i] == resource)
      return oci_known_rlimits[i];
  return NULL;
}

int
oci_sched_policy_from_name (const char *name)
{
  int i = oci_name_index (oci_known_sched_policies, name);
  return i < 0 ? -1 : sched_policy_values[i];
}

int
oci_ioprio_class_from_name (const char *name)
{
  int i = oci_name_index (oci_known_ioprio_classes, name);
  return i < 0 ? -1 : i + 1;
}
