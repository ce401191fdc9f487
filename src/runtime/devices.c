/* SPDX-License-Identifier: Apache-2.0 */
/* The container's /dev: the default devices every runtime provides,
   linux.devices, /dev/ptmx and the fd/stdio symlinks.  Nodes are made with
   mknodat on a directory fd resolved inside the rootfs; in a user namespace,
   where mknod of a device is refused, the host's node is bind-mounted onto an
   empty file instead. */
#include "devices.h"
#include "mount.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct dev
{
  const char *path;
  mode_t fmt; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid; /* (uid_t) -1: leave as created */
  gid_t gid;
};

static const struct dev default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/zero", S_IFCHR, 1, 5, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/random", S_IFCHR, 1, 8, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, (uid_t) -1, (gid_t) -1 },
  { "/dev/tty", S_IFCHR, 5, 0, 0666, (uid_t) -1, (gid_t) -1 },
};

static bool
is_dev_dest (const char *dest)
{
  cleanup_free char *clean = hako_path_clean (dest);
  const char *c = clean[0] == '/' ? clean + 1 : clean;
  return strcmp (c, "dev") == 0;
}

bool
hako_devices_wanted (const struct oci_spec *spec)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      if (m->destination == NULL || !is_dev_dest (m->destination))
        continue;
      if (m->type && strcmp (m->type, "bind") == 0)
        return false;
      for (size_t j = 0; j < m->n_options; j++)
        if (strcmp (m->options[j], "bind") == 0 || strcmp (m->options[j], "rbind") == 0)
          return false;
    }
  return true;
}

int
hako_devices_check_null (int fd, const char *what, struct hako_err **err)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return hako_error (err, errno, "stat `%s`", what);
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return hako_error (err, EPERM, "`%s` is not the null device (char 1:3): refusing to use it", what);
  return 0;
}

/* Bind the host's node onto an empty file: the only way to get a working
   device node in a user namespace (its mounts are nodev). */
static int
bind_device (int rootfd, const struct dev *d, struct hako_err **err)
{
  char sp[HAKO_FD_PATH_MAX], dp[HAKO_FD_PATH_MAX];
  cleanup_close int src = open (d->path, O_PATH | O_CLOEXEC);

  if (src < 0)
    return hako_error (err, errno, "open host device `%s`", d->path);
  cleanup_close int dst = hako_create_file_in_root (rootfd, d->path, 0600, err);
  if (dst < 0)
    return -1;
  if (mount (hako_fd_path (src, sp), hako_fd_path (dst, dp), NULL, MS_BIND, NULL) < 0)
    return hako_error (err, errno, "bind host device `%s`", d->path);
  return 0;
}

/* An entry already at the name: keep it if it is this very device, else
   replace it (an image may ship a stale or hostile node). */
static int
replace_existing (int dirfd, const char *name, const struct dev *d, struct hako_err **err)
{
  struct stat st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return hako_error (err, errno, "stat `%s`", d->path);
  if ((st.st_mode & S_IFMT) == d->fmt && (d->fmt == S_IFIFO || st.st_rdev == makedev (d->major, d->minor)))
    return 0;
  if (S_ISDIR (st.st_mode))
    return hako_error (err, EEXIST, "create device `%s`: a directory is in the way", d->path);
  if (unlinkat (dirfd, name, 0) < 0)
    return hako_error (err, errno, "remove `%s`", d->path);
  return 1;
}

static int
set_owner_and_mode (int dirfd, const char *name, const struct dev *d, struct hako_err **err)
{
  char p[HAKO_FD_PATH_MAX];
  struct stat st;
  cleanup_close int fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0 || fstat (fd, &st) < 0)
    return hako_error (err, errno, "open `%s`", d->path);
  if (S_ISLNK (st.st_mode))
    return hako_error (err, ELOOP, "`%s` became a symlink", d->path);
  /* chmod through the fd's /proc path: fchmod refuses O_PATH fds, and the
     name could be swapped between a check and a path-based chmod. */
  if ((st.st_mode & 07777) != d->mode && chmod (hako_fd_path (fd, p), d->mode) < 0)
    return hako_error (err, errno, "chmod `%s`", d->path);
  if ((d->uid != (uid_t) -1 || d->gid != (gid_t) -1) && fchownat (fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
    return hako_error (err, errno, "chown `%s`", d->path);
  return 0;
}

/* devfd: /dev of the rootfs (checked to be a directory), used for the
   nodes that go right in it. */
static int
make_device (int rootfd, int devfd, const struct dev *d, bool in_userns, struct hako_err **err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *clean = hako_path_clean (d->path);
  const char *slash = strrchr (clean, '/');
  const char *name = slash ? slash + 1 : clean;

  if (*name == '\0' || strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
    return hako_error (err, EINVAL, "device path `%s` names no file", d->path);
  /* A fifo needs no privilege: mknod it even in a user namespace. */
  if (in_userns && d->fmt != S_IFIFO)
    return bind_device (rootfd, d, err);

  dir = slash ? xasprintf ("%.*s", (int) (slash - clean), clean) : xstrdup (".");
  cleanup_close int own = -1;
  int dirfd = devfd;
  if (strcmp (dir, "/dev") != 0)
    {
      own = hako_mkdir_in_root_fast (rootfd, *dir ? dir : "/", 0755, err);
      if (own < 0)
        return -1;
      dirfd = own;
    }
  for (int tries = 0;; tries++)
    {
      if (mknodat (dirfd, name, d->fmt | d->mode, makedev (d->major, d->minor)) == 0)
        break;
      if (errno == EPERM)
        return bind_device (rootfd, d, err); /* no CAP_MKNOD: as in a userns */
      if (errno != EEXIST || tries > 0)
        return hako_error (err, errno, "mknod `%s`", d->path);
      int r = replace_existing (dirfd, name, d, err);
      if (r < 0)
        return -1;
      if (r == 0)
        break;
    }
  return set_owner_and_mode (dirfd, name, d, err);
}

static int
spec_device (const struct oci_device *od, struct dev *d, struct hako_err **err)
{
  memset (d, 0, sizeof (*d));
  if (od->path == NULL || od->type == NULL)
    return hako_error (err, EINVAL, "linux.devices: path and type are required");
  d->path = od->path;
  if (strcmp (od->type, "c") == 0 || strcmp (od->type, "u") == 0)
    d->fmt = S_IFCHR;
  else if (strcmp (od->type, "b") == 0)
    d->fmt = S_IFBLK;
  else if (strcmp (od->type, "p") == 0)
    d->fmt = S_IFIFO;
  else
    return hako_error (err, EINVAL, "device `%s`: unknown type `%s`", od->path, od->type);
  if (d->fmt != S_IFIFO && (od->major < 0 || od->minor < 0 || od->major > 0xfff || od->minor > 0xfffff))
    return hako_error (err, EINVAL, "device `%s`: bad number %lld:%lld", od->path, (long long) od->major,
                       (long long) od->minor);
  d->major = (unsigned) od->major;
  d->minor = (unsigned) od->minor;
  d->mode = od->has_file_mode ? (od->file_mode & 07777) : 0666;
  d->uid = od->has_uid ? od->uid : (uid_t) -1;
  d->gid = od->has_gid ? od->gid : (gid_t) -1;
  return 0;
}

static int
make_symlink (int devfd, const char *target, const char *name, bool replace, struct hako_err **err)
{
  if (replace && unlinkat (devfd, name, 0) < 0 && errno != ENOENT)
    return hako_error (err, errno, "remove `/dev/%s`", name);
  if (symlinkat (target, devfd, name) < 0 && errno != EEXIST)
    return hako_error (err, errno, "symlink `/dev/%s` -> `%s`", name, target);
  return 0;
}

static int
dev_symlinks (int devfd, struct hako_err **err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },
    { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };

  for (size_t i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    if (make_symlink (devfd, links[i][0], links[i][1], false, err) < 0)
      return -1;
  /* Only when the kernel has it, or the link would dangle (as in runc). */
  if (access ("/proc/kcore", F_OK) == 0 && make_symlink (devfd, "/proc/kcore", "core", false, err) < 0)
    return -1;
  /* The devpts instance's ptmx, so ptys opened in the container belong to
     its own devpts; an existing node would reach the host's. */
  return make_symlink (devfd, "pts/ptmx", "ptmx", true, err);
}

/* /dev itself, refusing a symlink (which would make every node below it land
   wherever the image points). */
static int
open_dev_dir (int rootfd, struct hako_err **err)
{
  struct stat st;
  int fd = hako_open_in_root (rootfd, "/dev", O_PATH | O_NOFOLLOW, 0, NULL);

  if (fd < 0 && errno == ENOENT)
    return hako_mkdir_in_root (rootfd, "/dev", 0755, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return hako_error (err, errno, "open `/dev` in the rootfs");
  if (!S_ISDIR (st.st_mode))
    {
      close (fd);
      return hako_error (err, ENOTDIR, "`/dev` in the rootfs is not a directory (a symlink?)");
    }
  return fd;
}

static int
devices_setup (int rootfd, const struct oci_spec *spec, const struct hako_rootfs_opts *opts,
               struct hako_err **err)
{
  cleanup_close int devfd = open_dev_dir (rootfd, err);

  if (devfd < 0)
    return -1;
  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    if (make_device (rootfd, devfd, &default_devices[i], opts->in_userns, err) < 0)
      return -1;
  for (size_t i = 0; spec->linux_ && i < spec->linux_->n_devices; i++)
    {
      struct dev d;
      if (spec_device (&spec->linux_->devices[i], &d, err) < 0
          || make_device (rootfd, devfd, &d, opts->in_userns, err) < 0)
        return -1;
    }
  return dev_symlinks (devfd, err);
}

int
hako_devices_setup (int rootfd, const struct oci_spec *spec, const struct hako_rootfs_opts *opts,
                    struct hako_err **err)
{
  /* The modes are the spec's, not filtered by the runtime's umask. */
  mode_t old = umask (0);
  int r = devices_setup (rootfd, spec, opts, err);
  umask (old);
  if (r < 0)
    return hako_error_prefix (err, "create devices");
  return 0;
}
