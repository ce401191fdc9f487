/* SPDX-License-Identifier: Apache-2.0 */
/* The container's root filesystem, in three steps around the createContainer
   hooks: mount everything under the rootfs, pivot into it, then finalize
   (console, sysctl, masked and read-only paths).  The order and the
   propagation dance follow runc's prepareRoot / pivotRoot / finalizeRootfs. */
#include "rootfs.h"
#include "devices.h"
#include "mount.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---------- hako_rootfs_mount ---------- */

static int
root_propagation (const struct oci_spec *spec, unsigned long *flags, struct hako_err **err)
{
  const char *name = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;

  *flags = 0;
  if (name == NULL || *name == '\0')
    return 0;
  *flags = hako_propagation_flags (name);
  if (*flags == 0)
    return hako_error (err, EINVAL, "linux.rootfsPropagation: unknown value `%s`", name);
  return 0;
}

/* pivot_root refuses a new root whose parent mount is shared, and our bind of
   the rootfs must not propagate to the host: make the mount holding the
   rootfs private.  EINVAL means "not a mount point": walk up to one. */
static int
make_parent_private (const char *rootfs, struct hako_err **err)
{
  cleanup_free char *path = hako_path_clean (rootfs);

  for (;;)
    {
      if (mount (NULL, path, NULL, MS_PRIVATE, NULL) == 0)
        return 0;
      if (errno != EINVAL || strcmp (path, "/") == 0)
        return hako_error (err, errno, "make the mount of `%s` private", path);
      char *slash = strrchr (path, '/');
      if (slash == path)
        slash[1] = '\0';
      else
        *slash = '\0';
    }
}

static bool
is_shared (unsigned long flags)
{
  return (flags & MS_SHARED) != 0;
}

int
hako_rootfs_mount (const struct oci_spec *spec, const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  unsigned long prop;

  if (opts->rootfs == NULL || opts->rootfs[0] != '/')
    return hako_error (err, EINVAL, "rootfs `%s` is not an absolute path", opts->rootfs ? opts->rootfs : "");
  if (root_propagation (spec, &prop, err) < 0)
    return -1;
  /* Nothing we mount from here on may reach the host (unless the spec asks
     for a shared root, to propagate mounts back on purpose). */
  /* Always recursive: a non-recursive flag on "/" would leave the mounts
     below it shared with the host.  rslave also lets host mounts under the
     rootfs reach the container, which is what "slave" asks for. */
  if (mount (NULL, "/", NULL, is_shared (prop) ? MS_SHARED | MS_REC : MS_SLAVE | MS_REC, NULL) < 0)
    return hako_error (err, errno, "set the propagation of `/`");
  /* Only a shared parent stops pivot_root; a slave one is fine and keeps
     host mounts flowing in. */
  if (is_shared (prop) && make_parent_private (opts->rootfs, err) < 0)
    return -1;
  if (mount (opts->rootfs, opts->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hako_error (err, errno, "bind the rootfs `%s` onto itself", opts->rootfs);

  /* Opened after the bind, so the fd is the rootfs mount itself. */
  cleanup_close int rootfd = open (opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return hako_error (err, errno, "open rootfs `%s`", opts->rootfs);
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (hako_mount_entry (rootfd, &spec->mounts[i], opts, err) < 0)
      return -1;
  if (hako_devices_wanted (spec) && hako_devices_setup (rootfd, spec, opts, err) < 0)
    return -1;

  /* A shared root waits for hako_rootfs_finalize: pivot_root refuses a
     shared new root. */
  if (!is_shared (prop) && mount (NULL, opts->rootfs, NULL, prop ? prop : MS_PRIVATE, NULL) < 0)
    return hako_error (err, errno, "set the propagation of the rootfs");
  return 0;
}

/* ---------- hako_rootfs_pivot ---------- */

static int
pivot_root_fds (const char *rootfs, struct hako_err **err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0)
    return hako_error (err, errno, "open `/`");
  if (newroot < 0)
    return hako_error (err, errno, "open rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return hako_error (err, errno, "chdir to the rootfs");
  /* pivot_root(".", "."): the old root is stacked on top of the new one, so
     no put_old directory has to exist in the image. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return hako_error (err, errno, "pivot_root into `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return hako_error (err, errno, "chdir to the old root");
  /* Slave first, so the unmount does not propagate to the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return hako_error (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return hako_error (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return hako_error (err, errno, "chdir to `/`");
  return 0;
}

static bool
path_is_under (const char *path, const char *dir)
{
  size_t n = strlen (dir);
  return strncmp (path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* With chroot the host's /proc and /sys stay reachable in our mount
   namespace, and their presence lets the kernel allow procfs/sysfs mounts
   that the masks of the container should forbid: take them away first
   (runc's msMoveRoot), covering with a tmpfs what cannot be unmounted. */
static int
hide_host_proc_sys (const char *rootfs, struct hako_err **err)
{
  struct hako_mountinfo *mi = NULL;
  size_t n = 0;
  int r = 0;

  if (hako_mountinfo_read (NULL, &mi, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n && r == 0; i++)
    {
      const char *mp = mi[i].mountpoint;
      if (path_is_under (mp, rootfs)
          || (strcmp (mi[i].fstype, "proc") != 0 && strcmp (mi[i].fstype, "sysfs") != 0))
        continue;
      if (mount (NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0)
        {
          if (errno == ENOENT || errno == EINVAL)
            continue; /* gone with a parent detached before it */
          r = hako_error (err, errno, "make `%s` a slave", mp);
          break;
        }
      if (umount2 (mp, MNT_DETACH) == 0)
        continue;
      if ((errno == EINVAL || errno == EPERM) && mount ("tmpfs", mp, "tmpfs", 0, NULL) == 0)
        continue;
      r = hako_error (err, errno, "hide host `%s`", mp);
    }
  hako_mountinfo_free (mi, n);
  return r;
}

static int
move_root (const char *rootfs, struct hako_err **err)
{
  if (hide_host_proc_sys (rootfs, err) < 0)
    return -1;
  if (chdir (rootfs) < 0)
    return hako_error (err, errno, "chdir to the rootfs `%s`", rootfs);
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return hako_error (err, errno, "move the rootfs `%s` onto `/`", rootfs);
  if (chroot (".") < 0)
    return hako_error (err, errno, "chroot into `%s`", rootfs);
  if (chdir ("/") < 0)
    return hako_error (err, errno, "chdir to `/`");
  return 0;
}

int
hako_rootfs_pivot (const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  if (opts->no_pivot)
    return move_root (opts->rootfs, err);
  return pivot_root_fds (opts->rootfs, err);
}

/* ---------- hako_rootfs_finalize ---------- */

/* Everything below acts through /proc/self/fd/N or /proc/sys, and /proc is
   now the container's: make sure it is a procfs and not a directory of the
   image with planted symlinks.  Checked lazily, on first use, so a spec
   without proc whose masked paths do not exist still works.  Returns the
   /proc fd, kept in *procfd. */
static int
need_procfs (int *procfd, struct hako_err **err)
{
  struct statfs sfs;

  if (*procfd >= 0)
    return *procfd;
  cleanup_close int fd = open ("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "open `/proc`");
  if (fstatfs (fd, &sfs) < 0)
    return hako_error (err, errno, "statfs `/proc`");
  if ((unsigned long) sfs.f_type != PROC_SUPER_MAGIC)
    return hako_error (err, EINVAL, "`/proc` is not a procfs: mount proc in the container");
  *procfd = steal_fd (&fd);
  return *procfd;
}

static int
mount_console (int rootfd, int *procfd, const char *console_path, struct hako_err **err)
{
  char sp[HAKO_FD_PATH_MAX], dp[HAKO_FD_PATH_MAX];
  struct stat st;
  cleanup_close int src = hako_open_in_root (rootfd, console_path, O_PATH, 0, err);

  if (src < 0)
    return -1;
  if (fstat (src, &st) < 0 || !S_ISCHR (st.st_mode))
    return hako_error (err, ENOTTY, "`%s` is not a terminal", console_path);
  /* CVE-2025-52565: a symlink at /dev/console (an image without a /dev
     tmpfs) would have us create and bind over its target, which may be a
     volume, i.e. a host file. */
  cleanup_close int old = hako_open_in_root (rootfd, "/dev/console", O_PATH | O_NOFOLLOW, 0, NULL);
  if (old >= 0 && fstat (old, &st) == 0 && S_ISLNK (st.st_mode))
    return hako_error (err, ELOOP,
                       "`/dev/console` is a symlink in the rootfs: refusing to bind the terminal on it");
  cleanup_close int dst = hako_create_file_in_root (rootfd, "/dev/console", 0666, err);
  if (dst < 0)
    return -1;
  if (need_procfs (procfd, err) < 0)
    return hako_error_prefix (err, "bind the console");
  if (mount (hako_fd_path (src, sp), hako_fd_path (dst, dp), NULL, MS_BIND, NULL) < 0)
    return hako_error (err, errno, "bind `%s` on `/dev/console`", console_path);
  return 0;
}

/* "net.ipv4.ip_forward" -> "sys/net/ipv4/ip_forward".  A name with a '/' is
   already a path (sysctl(8) accepts both; dots are then part of names, as in
   net/ipv4/conf/eth0.100/forwarding).  Nothing may climb out of /proc/sys. */
static char *
sysctl_path (const char *key)
{
  cleanup_free char *rel = xstrdup (key);
  char *save = NULL;

  if (strchr (rel, '/') == NULL)
    for (char *p = rel; *p; p++)
      if (*p == '.')
        *p = '/';
  if (*rel == '\0' || *rel == '/' || rel[strlen (rel) - 1] == '/' || strstr (rel, "//"))
    return NULL;
  cleanup_free char *check = xstrdup (rel);
  for (char *t = strtok_r (check, "/", &save); t; t = strtok_r (NULL, "/", &save))
    if (strcmp (t, ".") == 0 || strcmp (t, "..") == 0)
      return NULL;
  return xasprintf ("sys/%s", rel);
}

static int
write_sysctls (int *procfd, const struct oci_linux *l, struct hako_err **err)
{
  if (l->n_sysctl && need_procfs (procfd, err) < 0)
    return hako_error_prefix (err, "linux.sysctl");
  for (size_t i = 0; i < l->n_sysctl; i++)
    {
      const struct oci_kv *kv = &l->sysctl[i];
      cleanup_free char *rel = kv->key ? sysctl_path (kv->key) : NULL;
      if (rel == NULL)
        return hako_error (err, EINVAL, "sysctl `%s`: not a valid name", kv->key ? kv->key : "");
      cleanup_close int fd = openat (*procfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return hako_error (err, errno, "sysctl `%s`: open `/proc/%s`", kv->key, rel);
      const char *v = kv->value ? kv->value : "";
      if (hako_write_all (fd, v, strlen (v)) < 0)
        return hako_error (err, errno, "sysctl `%s`: write `%s`", kv->key, v);
    }
  return 0;
}

static int
mask_path (int rootfd, int *procfd, const char *path, int *devnull, struct hako_err **err)
{
  char sp[HAKO_FD_PATH_MAX], dp[HAKO_FD_PATH_MAX];
  struct stat st;
  cleanup_close int fd = hako_open_in_root (rootfd, path, O_PATH, 0, NULL);

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0 || fstat (fd, &st) < 0)
    return hako_error (err, errno, "mask `%s`", path);
  if (need_procfs (procfd, err) < 0)
    return hako_error_prefix (err, "mask `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", hako_fd_path (fd, dp), "tmpfs", MS_RDONLY, NULL) < 0)
        return hako_error (err, errno, "mask `%s` with a read-only tmpfs", path);
      return 0;
    }
  if (*devnull < 0)
    {
      *devnull = hako_open_in_root (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
      if (*devnull < 0 || hako_devices_check_null (*devnull, "/dev/null", err) < 0)
        return hako_error_prefix (err, "mask `%s`", path);
    }
  if (mount (hako_fd_path (*devnull, sp), hako_fd_path (fd, dp), NULL, MS_BIND, NULL) < 0)
    return hako_error (err, errno, "mask `%s` with /dev/null", path);
  return 0;
}

static int
readonly_path (int rootfd, int *procfd, const char *path, struct hako_err **err)
{
  char p[HAKO_FD_PATH_MAX];
  cleanup_close int fd = hako_open_in_root (rootfd, path, O_PATH, 0, NULL);

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return hako_error (err, errno, "make `%s` read-only", path);
  if (need_procfs (procfd, err) < 0)
    return hako_error_prefix (err, "make `%s` read-only", path);
  hako_fd_path (fd, p);
  if (mount (p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hako_error (err, errno, "make `%s` read-only: bind", path);
  cleanup_close int mfd = hako_open_in_root (rootfd, path, O_PATH, 0, err);
  if (mfd < 0)
    return -1;
  /* Keep nosuid/nodev/noexec of the mount (/proc has them): a remount that
     names only MS_RDONLY would drop them. */
  unsigned long keep = hako_mount_locked_flags (mfd) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  return hako_remount_bind (mfd, NULL, MS_RDONLY | keep, path, err);
}

static int
finalize (int rootfd, const struct oci_spec *spec, const char *console_path, struct hako_err **err)
{
  const struct oci_linux *l = spec->linux_;
  unsigned long prop;

  if (root_propagation (spec, &prop, err) < 0)
    return -1;
  if (is_shared (prop) && mount (NULL, "/", NULL, prop, NULL) < 0)
    return hako_error (err, errno, "set the propagation of `/`");
  cleanup_close int procfd = -1;
  if (console_path && mount_console (rootfd, &procfd, console_path, err) < 0)
    return -1;
  if (l && write_sysctls (&procfd, l, err) < 0)
    return -1;
  cleanup_close int devnull = -1;
  for (size_t i = 0; l && i < l->n_masked_paths; i++)
    if (mask_path (rootfd, &procfd, l->masked_paths[i], &devnull, err) < 0)
      return -1;
  for (size_t i = 0; l && i < l->n_readonly_paths; i++)
    if (readonly_path (rootfd, &procfd, l->readonly_paths[i], err) < 0)
      return -1;
  if (spec->root && spec->root->readonly && hako_remount_bind (rootfd, "/", MS_RDONLY, "/", err) < 0)
    return hako_error_prefix (err, "make the root read-only");
  return 0;
}

int
hako_rootfs_finalize (const struct oci_spec *spec, const char *console_path, struct hako_err **err)
{
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (rootfd < 0)
    return hako_error (err, errno, "open `/`");
  return finalize (rootfd, spec, console_path, err);
}
