/* SPDX-License-Identifier: Apache-2.0 */
/* One entry of spec->mounts: option parsing, the bind / filesystem / proc /
   sysfs paths, remounts that keep locked flags, propagation and recursive
   attributes.  Every destination is resolved inside the rootfs and mounted on
   through /proc/self/fd/N of an O_PATH fd, so a symlink swapped in after the
   check cannot redirect the mount (CVE-2021-30465). */
#include "mount.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif

/* ---------- options ---------- */

enum opt_kind
{
  OPT_FLAG,        /* MS_* bit */
  OPT_PROPAGATION, /* MS_SHARED etc., a separate mount(2) call */
  OPT_RECURSIVE,   /* MOUNT_ATTR_* via mount_setattr(AT_RECURSIVE) */
  OPT_UNSUPPORTED,
  OPT_IGNORED, /* extensions other runtimes accept that hako does not act on yet */
};

struct opt
{
  const char *name;
  enum opt_kind kind;
  bool clear;
  unsigned long flag;
};

/* The runtime-spec's table of mount options, plus runc's extras. */
static const struct opt opt_table[] = {
  { "defaults", OPT_FLAG, false, 0 },
  { "ro", OPT_FLAG, false, MS_RDONLY },
  { "rw", OPT_FLAG, true, MS_RDONLY },
  { "bind", OPT_FLAG, false, MS_BIND },
  { "rbind", OPT_FLAG, false, MS_BIND | MS_REC },
  { "nosuid", OPT_FLAG, false, MS_NOSUID },
  { "suid", OPT_FLAG, true, MS_NOSUID },
  { "nodev", OPT_FLAG, false, MS_NODEV },
  { "dev", OPT_FLAG, true, MS_NODEV },
  { "noexec", OPT_FLAG, false, MS_NOEXEC },
  { "exec", OPT_FLAG, true, MS_NOEXEC },
  { "sync", OPT_FLAG, false, MS_SYNCHRONOUS },
  { "async", OPT_FLAG, true, MS_SYNCHRONOUS },
  { "dirsync", OPT_FLAG, false, MS_DIRSYNC },
  { "remount", OPT_FLAG, false, MS_REMOUNT },
  { "mand", OPT_FLAG, false, MS_MANDLOCK },
  { "nomand", OPT_FLAG, true, MS_MANDLOCK },
  { "atime", OPT_FLAG, true, MS_NOATIME },
  { "noatime", OPT_FLAG, false, MS_NOATIME },
  { "diratime", OPT_FLAG, true, MS_NODIRATIME },
  { "nodiratime", OPT_FLAG, false, MS_NODIRATIME },
  { "relatime", OPT_FLAG, false, MS_RELATIME },
  { "norelatime", OPT_FLAG, true, MS_RELATIME },
  { "strictatime", OPT_FLAG, false, MS_STRICTATIME },
  { "nostrictatime", OPT_FLAG, true, MS_STRICTATIME },
  { "nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW },
  { "symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW },
  { "lazytime", OPT_FLAG, false, MS_LAZYTIME },
  { "nolazytime", OPT_FLAG, true, MS_LAZYTIME },
  { "silent", OPT_FLAG, false, MS_SILENT },
  { "loud", OPT_FLAG, true, MS_SILENT },
  { "iversion", OPT_FLAG, false, MS_I_VERSION },
  { "noiversion", OPT_FLAG, true, MS_I_VERSION },
  { "acl", OPT_FLAG, false, MS_POSIXACL },
  { "noacl", OPT_FLAG, true, MS_POSIXACL },
  { "private", OPT_PROPAGATION, false, MS_PRIVATE },
  { "rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROPAGATION, false, MS_SHARED },
  { "rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, false, MS_SLAVE },
  { "rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_RECURSIVE, false, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RECURSIVE, true, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RECURSIVE, false, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RECURSIVE, true, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RECURSIVE, false, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RECURSIVE, true, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RECURSIVE, false, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RECURSIVE, true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RECURSIVE, false, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RECURSIVE, true, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", OPT_RECURSIVE, false, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RECURSIVE, true, MOUNT_ATTR_RELATIME },
  { "rnoatime", OPT_RECURSIVE, false, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_RECURSIVE, true, MOUNT_ATTR_NOATIME },
  { "rstrictatime", OPT_RECURSIVE, false, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_RECURSIVE, true, MOUNT_ATTR_STRICTATIME },
  { "rnosymfollow", OPT_RECURSIVE, false, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RECURSIVE, true, MOUNT_ATTR_NOSYMFOLLOW },
  { "idmap", OPT_UNSUPPORTED, false, 0 },
  { "ridmap", OPT_UNSUPPORTED, false, 0 },
  { "tmpcopyup", OPT_IGNORED, false, 0 },
};

static const struct opt *
opt_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof (opt_table) / sizeof (opt_table[0]); i++)
    if (strcmp (opt_table[i].name, name) == 0)
      return &opt_table[i];
  return NULL;
}

unsigned long
hako_propagation_flags (const char *name)
{
  const struct opt *o = name ? opt_lookup (name) : NULL;
  return o && o->kind == OPT_PROPAGATION ? o->flag : 0;
}

static bool
is_atime_attr (unsigned long flag)
{
  return flag == MOUNT_ATTR_RELATIME || (flag & MOUNT_ATTR__ATIME) == flag;
}

/* The atime attributes are an enum in a bit field: mount_setattr wants the
   whole MOUNT_ATTR__ATIME mask cleared to change it, and clearing one value
   means going back to the default, relatime. */
static void
apply_recursive (struct hako_mount_opts *o, const struct opt *op)
{
  if (is_atime_attr (op->flag))
    {
      o->attr_clr |= MOUNT_ATTR__ATIME;
      o->attr_set &= ~(uint64_t) MOUNT_ATTR__ATIME;
      if (!op->clear)
        o->attr_set |= op->flag;
      return;
    }
  if (op->clear)
    {
      o->attr_clr |= op->flag;
      o->attr_set &= ~(uint64_t) op->flag;
    }
  else
    {
      o->attr_set |= op->flag;
      o->attr_clr &= ~(uint64_t) op->flag;
    }
}

static void
append_data (struct hako_mount_opts *o, const char *opt)
{
  char *d = o->data ? xasprintf ("%s,%s", o->data, opt) : xstrdup (opt);
  free (o->data);
  o->data = d;
}

int
hako_mount_parse_options (char *const *options, size_t n, struct hako_mount_opts *out, struct hako_err **err)
{
  memset (out, 0, sizeof (*out));
  for (size_t i = 0; i < n; i++)
    {
      const struct opt *op = opt_lookup (options[i]);
      if (op == NULL)
        {
          append_data (out, options[i]); /* filesystem data: mode=755, size=… */
          continue;
        }
      switch (op->kind)
        {
        case OPT_FLAG:
          if (op->clear)
            out->flags &= ~op->flag;
          else
            out->flags |= op->flag;
          break;
        case OPT_PROPAGATION:
          if (out->n_propagation == HAKO_MAX_PROPAGATION)
            return hako_error (err, EINVAL, "too many propagation options");
          out->propagation[out->n_propagation++] = op->flag;
          break;
        case OPT_RECURSIVE:
          apply_recursive (out, op);
          break;
        case OPT_UNSUPPORTED:
          hako_mount_opts_free (out);
          return hako_error (err, EOPNOTSUPP, "mount option `%s` is not supported yet", options[i]);
        case OPT_IGNORED:
          log_warn ("mount option `%s` is not implemented; ignored", options[i]);
          break;
        }
    }
  return 0;
}

void
hako_mount_opts_free (struct hako_mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

/* ---------- remounts ---------- */

unsigned long
hako_mount_locked_flags (int fd)
{
  static const struct
  {
    unsigned long st, ms;
  } map[] = {
    { ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },           { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },     { ST_NOATIME, MS_NOATIME },         { ST_NODIRATIME, MS_NODIRATIME },
    { ST_RELATIME, MS_RELATIME }, { ST_NOSYMFOLLOW, MS_NOSYMFOLLOW },
  };
  struct statvfs sv;
  unsigned long flags = 0;

  if (fstatvfs (fd, &sv) < 0)
    return 0;
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (sv.f_flag & map[i].st)
      flags |= map[i].ms;
  return flags;
}

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

int
hako_remount_bind (int fd, const char *target, unsigned long flags, const char *what, struct hako_err **err)
{
  char p[HAKO_FD_PATH_MAX];

  if (target == NULL)
    target = hako_fd_path (fd, p);
  flags = (flags & ~(MS_REC | MS_REMOUNT | MS_BIND)) | MS_BIND | MS_REMOUNT;
  if (mount (NULL, target, NULL, flags, NULL) == 0)
    return 0;
  if (errno != EPERM && errno != EACCES)
    return hako_error (err, errno, "remount `%s` (flags 0x%lx)", what, flags);

  /* In a user namespace the flags the parent set are locked: keep them.  The
     atime ones only when none was asked for, they are one choice, not bits. */
  unsigned long locked = hako_mount_locked_flags (fd);
  if (flags & (ATIME_FLAGS | MS_NODIRATIME))
    locked &= ~(ATIME_FLAGS | MS_NODIRATIME);
  flags |= locked;
  if (mount (NULL, target, NULL, flags, NULL) < 0)
    return hako_error (err, errno, "remount `%s` (flags 0x%lx)", what, flags);
  return 0;
}

int
hako_mkdir_in_root_fast (int rootfd, const char *path, mode_t mode, struct hako_err **err)
{
  int fd = hako_open_in_root (rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);

  if (fd >= 0)
    return fd;
  if (errno == ENOENT)
    {
      cleanup_free char *dir = xstrdup (path);
      size_t len = strlen (dir);
      while (len > 1 && dir[len - 1] == '/')
        dir[--len] = '\0';
      char *slash = strrchr (dir, '/');
      const char *base = slash ? slash + 1 : dir;
      if (*base && strcmp (base, ".") != 0 && strcmp (base, "..") != 0)
        {
          cleanup_free char *name = xstrdup (base);
          if (slash == NULL || slash == dir)
            strcpy (dir, "/");
          else
            *slash = '\0';
          cleanup_close int parent = hako_open_in_root (rootfd, dir, O_PATH | O_DIRECTORY, 0, NULL);
          if (parent >= 0 && mkdirat (parent, name, mode) == 0)
            {
              fd = hako_open_in_root (rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);
              if (fd >= 0)
                return fd;
            }
        }
    }
  return hako_mkdir_in_root (rootfd, path, mode, err);
}

/* Flags beyond these on a bind mount need a second, remount call: the
   kernel ignores them on the MS_BIND call itself. */
#define BIND_ONLY_FLAGS (MS_BIND | MS_REC | MS_REMOUNT | MS_SILENT)

int
hako_bind_in_root (int rootfd, const char *source, const char *dest, unsigned long flags,
                   struct hako_err **err)
{
  char sp[HAKO_FD_PATH_MAX], dp[HAKO_FD_PATH_MAX];
  struct stat st;
  cleanup_close int srcfd = open (source, O_PATH | O_CLOEXEC);

  if (srcfd < 0 || fstat (srcfd, &st) < 0)
    return hako_error (err, errno, "open bind source `%s`", source);
  cleanup_close int dfd = S_ISDIR (st.st_mode) ? hako_mkdir_in_root_fast (rootfd, dest, 0755, err)
                                               : hako_create_file_in_root (rootfd, dest, 0644, err);
  if (dfd < 0)
    return -1;
  if (mount (hako_fd_path (srcfd, sp), hako_fd_path (dfd, dp), NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
    return hako_error (err, errno, "bind `%s` on `%s`", source, dest);
  /* dfd is the directory under the new mount: reopen to get the mount. */
  cleanup_close int mfd = hako_open_in_root (rootfd, dest, O_PATH, 0, err);
  if (mfd < 0)
    return -1;
  if ((flags & ~BIND_ONLY_FLAGS) && hako_remount_bind (mfd, NULL, flags, dest, err) < 0)
    return -1;
  return steal_fd (&mfd);
}

/* ---------- filesystems ---------- */

/* The data without the "gid=…" option: in a user namespace gid 5 (tty) is
   often not mapped and devpts refuses the whole mount with EINVAL. */
static char *
data_without_gid (const char *data)
{
  cleanup_free char *copy = xstrdup (data);
  char *out = xstrdup ("");
  char *save = NULL;

  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (strncmp (t, "gid=", 4) == 0)
        continue;
      char *n = *out ? xasprintf ("%s,%s", out, t) : xstrdup (t);
      free (out);
      out = n;
    }
  return out;
}

static int
check_not_symlink (int rootfd, const char *dest, struct hako_err **err)
{
  struct stat st;
  cleanup_close int fd = hako_open_in_root (rootfd, dest, O_PATH | O_NOFOLLOW, 0, NULL);

  if (fd < 0)
    return 0; /* missing: it will be created as a directory */
  if (fstat (fd, &st) == 0 && S_ISLNK (st.st_mode))
    return hako_error (err, ELOOP, "refusing a destination that is a symlink in the rootfs");
  return 0;
}

static int
verify_fs_magic (int fd, unsigned long magic, const char *type, const char *dest, struct hako_err **err)
{
  struct statfs sfs;

  if (fstatfs (fd, &sfs) < 0)
    return hako_error (err, errno, "statfs `%s`", dest);
  if ((unsigned long) sfs.f_type != magic)
    return hako_error (err, EINVAL, "`%s` is not %s after mounting it", dest, type);
  return 0;
}

/* The host's /sys, for a container that may not mount its own sysfs.  The
   rbind brings every submount along, writable: give the whole tree the
   entry's restrictions where the kernel can (mount_setattr, Linux 5.12). */
static int
bind_host_sysfs (int rootfd, const char *dest, unsigned long flags, struct hako_err **err)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },
    { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },
    { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
  };
  struct mount_attr attr = { 0 };
  int mfd = hako_bind_in_root (rootfd, "/sys", dest, flags | MS_BIND | MS_REC, err);

  if (mfd < 0)
    return -1;
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (flags & map[i].ms)
      attr.attr_set |= map[i].attr;
  if (attr.attr_set
      && syscall (__NR_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0
      && errno != ENOSYS)
    {
      close (mfd);
      return hako_error (err, errno, "restrict the submounts of the host's /sys");
    }
  return mfd;
}

/* A filesystem (not a bind): tmpfs, proc, devpts, mqueue, sysfs, overlay…
   Returns an O_PATH fd of the new mount. */
static int
mount_fs (int rootfd, const struct oci_mount *m, const struct hako_mount_opts *mo,
          const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  const char *type = m->type;
  const char *src = m->source ? m->source : type;
  bool is_proc = strcmp (type, "proc") == 0;
  char dp[HAKO_FD_PATH_MAX];

  if (is_proc && check_not_symlink (rootfd, m->destination, err) < 0)
    return -1;
  cleanup_close int dfd = hako_mkdir_in_root_fast (rootfd, m->destination, 0755, err);
  if (dfd < 0)
    return -1;
  unsigned long flags = mo->flags & ~(MS_REC | MS_BIND);
  int r = mount (src, hako_fd_path (dfd, dp), type, flags, mo->data);
  if (r < 0 && errno == EINVAL && strcmp (type, "devpts") == 0 && mo->data && strstr (mo->data, "gid="))
    {
      cleanup_free char *d = data_without_gid (mo->data);
      r = mount (src, dp, type, flags, d);
    }
  if (r < 0 && errno == EPERM && opts->in_userns)
    {
      /* Not mountable from a user namespace that does not own the matching
         namespace: show the host's instead, as runc and crun do. */
      if (strcmp (type, "sysfs") == 0)
        return bind_host_sysfs (rootfd, m->destination, mo->flags, err);
      if (strcmp (type, "mqueue") == 0)
        return hako_bind_in_root (rootfd, "/dev/mqueue", m->destination, mo->flags | MS_BIND | MS_REC, err);
    }
  if (r < 0)
    return hako_error (err, errno, "type `%s`", type);

  cleanup_close int mfd = hako_open_in_root (rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
  if (mfd < 0)
    return -1;
  /* A rootfs could have raced a symlink in: make sure what we will later
     use as /proc really is procfs. */
  if (is_proc && verify_fs_magic (mfd, PROC_SUPER_MAGIC, "procfs", m->destination, err) < 0)
    return -1;
  return steal_fd (&mfd);
}

static int
apply_propagation_and_attrs (int mfd, const struct hako_mount_opts *mo, struct hako_err **err)
{
  char p[HAKO_FD_PATH_MAX];

  hako_fd_path (mfd, p);
  for (size_t i = 0; i < mo->n_propagation; i++)
    if (mount (NULL, p, NULL, mo->propagation[i], NULL) < 0)
      return hako_error (err, errno, "set propagation 0x%lx", mo->propagation[i]);
  if (mo->attr_set == 0 && mo->attr_clr == 0)
    return 0;

  struct mount_attr attr = { .attr_set = mo->attr_set, .attr_clr = mo->attr_clr };
  if (syscall (__NR_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) == 0)
    return 0;
  if (errno == ENOSYS)
    return hako_error (err, errno,
                       "recursive mount options (rro, rnosuid, …) need "
                       "mount_setattr, Linux 5.12 or later");
  return hako_error (err, errno, "set recursive mount attributes");
}

static int
mount_entry (int rootfd, const struct oci_mount *m, const struct hako_mount_opts *mo,
             const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  const char *type = m->type ? m->type : "";
  int mfd;

  if ((mo->flags & MS_BIND) || strcmp (type, "bind") == 0)
    {
      if (m->source == NULL)
        return hako_error (err, EINVAL, "bind mount without a source");
      mfd = hako_bind_in_root (rootfd, m->source, m->destination, mo->flags | MS_BIND, err);
    }
  else if (strcmp (type, "cgroup") == 0)
    {
      if (hako_mount_cgroup (rootfd, m->destination, mo, opts, err) < 0)
        return -1;
      mfd = hako_open_in_root (rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
    }
  else if (strcmp (type, "sysfs") == 0 && opts->in_userns && !opts->new_netns)
    /* sysfs can only be mounted by the owner of the network namespace. */
    mfd = bind_host_sysfs (rootfd, m->destination, mo->flags, err);
  else if (*type == '\0' || strcmp (type, "none") == 0)
    return hako_error (err, EINVAL, "no filesystem type and not a bind mount");
  else
    mfd = mount_fs (rootfd, m, mo, opts, err);
  if (mfd < 0)
    return -1;
  int r = apply_propagation_and_attrs (mfd, mo, err);
  close (mfd);
  return r;
}

int
hako_mount_entry (int rootfd, const struct oci_mount *m, const struct hako_rootfs_opts *opts,
                  struct hako_err **err)
{
  struct hako_mount_opts mo;
  const char *what = m->source ? m->source : m->type ? m->type : "none";

  if (m->destination == NULL || *m->destination == '\0')
    return hako_error (err, EINVAL, "mount `%s`: no destination", what);
  if (hako_mount_parse_options (m->options, m->n_options, &mo, err) < 0
      || mount_entry (rootfd, m, &mo, opts, err) < 0)
    {
      hako_mount_opts_free (&mo);
      return hako_error_prefix (err, "mount `%s` on `%s`", what, m->destination);
    }
  hako_mount_opts_free (&mo);
  return 0;
}

/* ---------- /proc/self/mountinfo ---------- */

/* Fields escape space, tab, newline and backslash as \ooo. */
static char *
unescape (const char *s)
{
  char *out = xmalloc (strlen (s) + 1), *o = out;

  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *o++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 4;
        }
      else
        *o++ = *s++;
    }
  *o = '\0';
  return out;
}

static bool
parse_mountinfo_line (char *line, struct hako_mountinfo *mi)
{
  char *f[6] = { 0 };
  char *save = NULL, *t;
  int i = 0;

  /* id parent maj:min root mountpoint options [optional…] - fstype source super */
  for (t = strtok_r (line, " ", &save); t && i < 6; t = strtok_r (NULL, " ", &save))
    f[i++] = t;
  if (i < 6)
    return false;
  while (t && strcmp (t, "-") != 0)
    t = strtok_r (NULL, " ", &save);
  if (t == NULL)
    return false;
  char *fstype = strtok_r (NULL, " ", &save);
  char *source = strtok_r (NULL, " ", &save);
  char *super = strtok_r (NULL, " \n", &save);
  if (fstype == NULL || source == NULL)
    return false;
  mi->root = unescape (f[3]);
  mi->mountpoint = unescape (f[4]);
  mi->fstype = xstrdup (fstype);
  mi->source = unescape (source);
  mi->super_opts = xstrdup (super ? super : "");
  return true;
}

int
hako_mountinfo_read (const char *path, struct hako_mountinfo **out, size_t *n, struct hako_err **err)
{
  cleanup_free char *text = NULL;
  struct hako_mountinfo *v = NULL;
  size_t count = 0;
  char *save = NULL;

  if (hako_read_file (path ? path : "/proc/self/mountinfo", &text, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct hako_mountinfo mi;
      if (!parse_mountinfo_line (line, &mi))
        continue;
      v = xrealloc (v, (count + 1) * sizeof (*v));
      v[count++] = mi;
    }
  *out = v;
  *n = count;
  return 0;
}

void
hako_mountinfo_free (struct hako_mountinfo *mi, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (mi[i].root);
      free (mi[i].mountpoint);
      free (mi[i].fstype);
      free (mi[i].source);
      free (mi[i].super_opts);
    }
  free (mi);
}
