/* SPDX-License-Identifier: Apache-2.0 */
/* Process attributes applied in the container process just before execve
   (config.md "process"); see procattr.h for the order init.c calls them in. */
#include "procattr.h"
#include "../oci/names.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Older libc headers; the numbers are the same on every architecture. */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int
hako_apply_rlimits (const struct oci_process *p, struct hako_err **err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];
      struct rlimit lim = { r->soft, r->hard };

      if (setrlimit (r->resource, &lim) < 0)
        return hako_error (err, errno, "setrlimit %s soft=%llu hard=%llu", r->type,
                           (unsigned long long) r->soft, (unsigned long long) r->hard);
    }
  return 0;
}

int
hako_apply_oom_score_adj (const struct oci_process *p, struct hako_err **err)
{
  cleanup_close int fd = -1;
  char buf[16];
  int len;

  if (!p->has_oom_score_adj)
    return 0;
  fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "open /proc/self/oom_score_adj");
  /* After pivot_root a mount over the file (a volume whose destination went
     through a /proc/self symlink) would take the write: CVE-2019-16884. */
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0 || (unsigned long) sfs.f_type != PROC_SUPER_MAGIC)
    return hako_error (err, EINVAL, "/proc/self/oom_score_adj is not a procfs file: refusing to write it");
  len = snprintf (buf, sizeof (buf), "%d", (int) p->oom_score_adj);
  if (write (fd, buf, len) != len)
    return hako_error (err, errno, "write `%s` to /proc/self/oom_score_adj", buf);
  return 0;
}

/* ---- scheduler: sched_setattr(2), which glibc does not wrap ---- */

/* SCHED_ATTR_SIZE_VER1: the util-clamp fields must be present for the
   SCHED_FLAG_UTIL_CLAMP_* flags to be accepted; older kernels accept the
   larger struct as long as the tail is zero. */
struct hako_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

/* Bit values are kernel ABI (include/uapi/linux/sched.h); the names are
   the spec's. */
static const struct
{
  const char *name;
  uint64_t bit;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static int
sched_flag_from_name (const char *name, uint64_t *bit)
{
  for (size_t i = 0; i < sizeof (sched_flags) / sizeof (sched_flags[0]); i++)
    if (strcmp (sched_flags[i].name, name) == 0)
      {
        *bit = sched_flags[i].bit;
        return 0;
      }
  return -1;
}

static int
sched_attr_from_spec (const struct oci_scheduler *s, struct hako_sched_attr *a, struct hako_err **err)
{
  int policy = s->policy ? oci_sched_policy_from_name (s->policy) : -1;
  uint64_t bit;

  *a = (struct hako_sched_attr){ .size = sizeof (*a) };
  if (policy < 0)
    return hako_error (err, 0, "process.scheduler.policy: unknown policy \"%s\"", s->policy ? s->policy : "");
  a->sched_policy = (uint32_t) policy;
  for (size_t i = 0; i < s->n_flags; i++)
    {
      if (sched_flag_from_name (s->flags[i], &bit) < 0)
        return hako_error (err, 0, "process.scheduler.flags: unknown flag \"%s\"", s->flags[i]);
      a->sched_flags |= bit;
    }
  a->sched_nice = s->nice;
  a->sched_priority = (uint32_t) s->priority;
  a->sched_runtime = s->runtime;
  a->sched_deadline = s->deadline;
  a->sched_period = s->period;
  return 0;
}

int
hako_apply_scheduler (const struct oci_process *p, struct hako_err **err)
{
  const struct oci_scheduler *s = p->scheduler;
  struct hako_sched_attr a;

  if (s == NULL)
    return 0;
  if (sched_attr_from_spec (s, &a, err) < 0)
    return -1;
  if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
    {
      if (strcmp (s->policy, "SCHED_DEADLINE") == 0)
        return hako_error (err, errno, "sched_setattr %s runtime=%llu deadline=%llu period=%llu", s->policy,
                           (unsigned long long) s->runtime, (unsigned long long) s->deadline,
                           (unsigned long long) s->period);
      return hako_error (err, errno, "sched_setattr %s nice=%d priority=%d", s->policy, (int) s->nice,
                         (int) s->priority);
    }
  return 0;
}

/* ---- ioPriority: ioprio_set(2), not wrapped by glibc either ---- */

#define HAKO_IOPRIO_WHO_PROCESS 1
#define HAKO_IOPRIO_CLASS_SHIFT 13

int
hako_apply_io_priority (const struct oci_process *p, struct hako_err **err)
{
  const struct oci_io_priority *io = p->io_priority;
  int class_;

  if (io == NULL)
    return 0;
  class_ = io->class_ ? oci_ioprio_class_from_name (io->class_) : -1;
  if (class_ < 0)
    return hako_error (err, 0, "process.ioPriority.class: unknown class \"%s\"",
                       io->class_ ? io->class_ : "");
  if (syscall (SYS_ioprio_set, HAKO_IOPRIO_WHO_PROCESS, 0,
               (int) ((unsigned) class_ << HAKO_IOPRIO_CLASS_SHIFT | (unsigned) io->priority))
      < 0)
    return hako_error (err, errno, "ioprio_set %s priority=%d", io->class_, (int) io->priority);
  return 0;
}

/* ---- user ---- */

/* In a user namespace whose gid_map was written with setgroups "deny", the
   kernel refuses setgroups(2) outright; the groups are then whatever the
   namespace was entered with. */
static bool
setgroups_allowed (void)
{
  cleanup_close int fd = open ("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  char buf[8] = { 0 };

  struct statfs sfs;

  if (fd < 0)
    return true; /* kernels before 3.19 have no such file and no such rule */
  /* A "deny" from anything but procfs must not make us keep our groups. */
  if (fstatfs (fd, &sfs) < 0 || (unsigned long) sfs.f_type != PROC_SUPER_MAGIC)
    return true;
  if (read (fd, buf, sizeof (buf) - 1) < 0)
    return true;
  return strncmp (buf, "deny", 4) != 0;
}

static int
apply_groups (const struct oci_user *u, struct hako_err **err)
{
  _Static_assert(sizeof (gid_t) == sizeof (uint32_t), "gid_t is 32 bits");

  /* Always call it, even with no additionalGids: the runtime's own
     supplementary groups must not leak into the container.  A "deny" in
     /proc/self/setgroups makes it fail with EPERM: only then is the file
     worth reading. */
  if (setgroups (u->n_additional_gids, (const gid_t *) u->additional_gids) < 0)
    {
      if (errno == EPERM && !setgroups_allowed ())
        return 0;
      /* Nothing asked for and no CAP_SETGID: we are unprivileged, so our
         groups are the caller's own and leak nothing. */
      if (errno == EPERM && u->n_additional_gids == 0)
        return 0;
      return hako_error (err, errno, "setgroups (%zu additionalGids)", u->n_additional_gids);
    }
  return 0;
}

int
hako_apply_user (const struct oci_process *p, struct hako_err **err)
{
  const struct oci_user *u = &p->user;

  if (apply_groups (u, err) < 0)
    return -1;
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return hako_error (err, errno, "setresgid %u", (unsigned) u->gid);
  /* Without KEEPCAPS a switch away from uid 0 empties the permitted set, and
     hako_apply_capabilities could no longer grant what the spec asks for.
     Staying uid 0 keeps them anyway. */
  bool keep = u->uid != 0;
  if (keep && prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return hako_error (err, errno, "prctl PR_SET_KEEPCAPS 1");
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return hako_error (err, errno, "setresuid %u", (unsigned) u->uid);
  if (keep && prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return hako_error (err, errno, "prctl PR_SET_KEEPCAPS 0");
  return 0;
}

void
hako_apply_umask (const struct oci_process *p)
{
  /* runc's default when process.user.umask is absent. */
  umask (p->user.has_umask ? (mode_t) (p->user.umask & 07777) : 0022);
}

int
hako_apply_no_new_privs (const struct oci_process *p, struct hako_err **err)
{
  if (!p->no_new_privileges)
    return 0;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return hako_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

/* ---- fds ---- */

/* Fallback for kernels before 5.11 (no CLOSE_RANGE_CLOEXEC). */
static int
cloexec_from_procfs (int first_fd, struct hako_err **err)
{
  cleanup_dir DIR *dir = opendir ("/proc/self/fd");
  struct dirent *de;

  if (dir == NULL)
    return hako_error (err, errno, "open /proc/self/fd");
  while ((de = readdir (dir)) != NULL)
    {
      int fd = atoi (de->d_name);
      int flags;

      if (de->d_name[0] == '.' || fd < first_fd || fd == dirfd (dir))
        continue;
      flags = fcntl (fd, F_GETFD);
      if (flags < 0 || (flags & FD_CLOEXEC))
        continue;
      if (fcntl (fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        return hako_error (err, errno, "set FD_CLOEXEC on fd %d", fd);
    }
  return 0;
}

/* Marked close-on-exec rather than closed: the sync socket, the exec fifo and
   the log fd are still needed between here and execve, which then closes
   them all at once. */
int
hako_close_fds_from (int first_fd, struct hako_err **err)
{
  if (syscall (SYS_close_range, (unsigned) first_fd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return hako_error (err, errno, "close_range %d", first_fd);
  return cloexec_from_procfs (first_fd, err);
}

/* ---- execvp with the container's PATH ---- */

#define HAKO_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_path (char *const envp[])
{
  for (size_t i = 0; envp && envp[i]; i++)
    if (strncmp (envp[i], "PATH=", 5) == 0)
      return envp[i] + 5;
  return HAKO_DEFAULT_PATH;
}

/* No allocation: this runs in the container process right before execve. */
int
hako_execvpe_env (const char *file, char *const argv[], char *const envp[])
{
  const char *dir, *end;
  bool got_eacces = false;
  size_t flen = strlen (file);
  char buf[PATH_MAX];

  if (flen == 0)
    return errno = ENOENT, -1;
  if (strchr (file, '/'))
    return execve (file, argv, envp);
  for (dir = env_path (envp);; dir = end + 1)
    {
      size_t dlen;

      end = strchrnul (dir, ':');
      dlen = (size_t) (end - dir);
      if (dlen == 0) /* an empty entry means the working directory, as in execvp */
        dir = ".", dlen = 1;
      if (dlen + 1 + flen < sizeof (buf))
        {
          memcpy (buf, dir, dlen);
          buf[dlen] = '/';
          memcpy (buf + dlen + 1, file, flen + 1);
          execve (buf, argv, envp);
          /* As glibc: these mean "not here, try the next entry"; anything
             else (ENOEXEC, E2BIG, ETXTBSY...) is the answer. */
          if (errno == EACCES)
            got_eacces = true;
          else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV
                   && errno != ETIMEDOUT && errno != ELOOP && errno != ENAMETOOLONG)
            return -1;
        }
      if (*end == '\0')
        break;
    }
  errno = got_eacces ? EACCES : ENOENT;
  return -1;
}
