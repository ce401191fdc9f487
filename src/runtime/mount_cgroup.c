/* SPDX-License-Identifier: Apache-2.0 */
/* A "cgroup" entry of spec->mounts.  On a unified (v2-only) host it is one
   cgroup2 mount.  On a v1 or hybrid host it is what runc builds: a tmpfs with
   each host hierarchy below it, each showing only the container's own cgroup
   (a bind of the host directory), or, with a cgroup namespace, a fresh mount
   of the hierarchy whose root the namespace already is. */
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

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"

/* One line of /proc/self/cgroup: "id:controllers:path". */
struct cg_line
{
  char *controllers; /* "" for the v2 hierarchy */
  char *path;
};

static void
cg_lines_free (struct cg_line *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].controllers);
      free (v[i].path);
    }
  free (v);
}

static int
cg_lines_read (struct cg_line **out, size_t *n, struct hako_err **err)
{
  cleanup_free char *text = NULL;
  char *save = NULL;
  struct cg_line *v = NULL;
  size_t count = 0;

  if (hako_read_file ("/proc/self/cgroup", &text, NULL, err) < 0)
    return -1;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      v = xrealloc (v, (count + 1) * sizeof (*v));
      v[count].controllers = xstrdup (c1 + 1);
      v[count].path = xstrdup (c2 + 1);
      count++;
    }
  *out = v;
  *n = count;
  return 0;
}

static bool
list_has (const char *list, const char *item, size_t len)
{
  for (const char *p = list; *p;)
    {
      const char *e = strchr (p, ',');
      size_t l = e ? (size_t) (e - p) : strlen (p);
      if (l == len && strncmp (p, item, len) == 0)
        return true;
      if (e == NULL)
        break;
      p = e + 1;
    }
  return false;
}

/* Does the /proc/self/cgroup line describe the hierarchy mounted as `mi`? */
static bool
cg_line_matches (const struct cg_line *l, const struct hako_mountinfo *mi)
{
  if (strcmp (mi->fstype, "cgroup2") == 0)
    return *l->controllers == '\0';
  if (*l->controllers == '\0')
    return false;
  for (const char *p = l->controllers; *p;)
    {
      const char *e = strchr (p, ',');
      size_t len = e ? (size_t) (e - p) : strlen (p);
      if (!list_has (mi->super_opts, p, len))
        return false;
      if (e == NULL)
        break;
      p = e + 1;
    }
  return true;
}

/* The host directory of our own cgroup in the hierarchy mounted as `mi`. */
static char *
cg_host_dir (const struct hako_mountinfo *mi, const char *cgpath)
{
  size_t rl = strlen (mi->root);

  if (strcmp (mi->root, "/") != 0 && strncmp (cgpath, mi->root, rl) == 0
      && (cgpath[rl] == '/' || cgpath[rl] == '\0'))
    cgpath += rl;
  return hako_path_join (mi->mountpoint, cgpath);
}

/* The super options that name the hierarchy ("cpu,cpuacct", "name=systemd"),
   which a fresh mount must repeat to get the same hierarchy back. */
static char *
cg_mount_data (const char *super_opts)
{
  cleanup_free char *copy = xstrdup (super_opts);
  char *out = xstrdup (""), *save = NULL;

  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      if (strcmp (t, "rw") == 0 || strcmp (t, "ro") == 0 || strncmp (t, "release_agent=", 14) == 0)
        continue;
      char *n = *out ? xasprintf ("%s,%s", out, t) : xstrdup (t);
      free (out);
      out = n;
    }
  return out;
}

/* With a cgroup namespace a fresh mount shows the namespace's root; without
   one (or when the kernel refuses it in a user namespace) bind the host
   directory of our cgroup. */
static int
mount_hierarchy (int rootfd, const char *sub, const struct hako_mountinfo *mi, const struct cg_line *l,
                 unsigned long flags, const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  char dp[HAKO_FD_PATH_MAX];

  if (opts->new_cgroupns)
    {
      cleanup_close int dfd = hako_mkdir_in_root_fast (rootfd, sub, 0755, err);
      if (dfd < 0)
        return -1;
      cleanup_free char *data = cg_mount_data (mi->super_opts);
      bool v2 = strcmp (mi->fstype, "cgroup2") == 0;
      if (mount (mi->fstype, hako_fd_path (dfd, dp), mi->fstype, flags & ~MS_BIND, v2 ? NULL : data) == 0)
        return 0;
      if (errno != EPERM || !opts->in_userns)
        return hako_error (err, errno, "mount %s `%s` on `%s`", mi->fstype, data, sub);
    }
  cleanup_free char *src = cg_host_dir (mi, l->path);
  int fd = hako_bind_in_root (rootfd, src, sub, flags | MS_BIND | MS_REC, err);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

/* co-mounted controllers ("cpu,cpuacct") also answer to each name. */
static int
comount_symlinks (int tmpfsfd, const char *name, struct hako_err **err)
{
  if (strchr (name, ',') == NULL)
    return 0;
  cleanup_free char *copy = xstrdup (name);
  char *save = NULL;
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    if (symlinkat (name, tmpfsfd, t) < 0 && errno != EEXIST)
      return hako_error (err, errno, "symlink `%s` -> `%s`", t, name);
  return 0;
}

/* Bind the host directory `source` on NAME in our fresh tmpfs (and remount
   it with `flags` unless `batch`: see restrict_tree).  The tmpfs was mounted
   by us a moment ago and nothing else can reach it yet: plain *at calls
   relative to it are safe, without resolving every path from the rootfs
   again. */
static int
bind_in_tmpfs (int tmpfsfd, const char *dest, const char *name, const char *source, unsigned long flags,
               bool batch, struct hako_err **err)
{
  char sp[HAKO_FD_PATH_MAX], dp[HAKO_FD_PATH_MAX];
  cleanup_close int src = open (source, O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (src < 0)
    return hako_error (err, errno, "open bind source `%s`", source);
  if (mkdirat (tmpfsfd, name, 0755) < 0 && errno != EEXIST)
    return hako_error (err, errno, "mkdir `%s/%s`", dest, name);
  cleanup_close int dfd = openat (tmpfsfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return hako_error (err, errno, "open `%s/%s`", dest, name);
  if (mount (hako_fd_path (src, sp), hako_fd_path (dfd, dp), NULL, MS_BIND | MS_REC, NULL) < 0)
    return hako_error (err, errno, "bind `%s` on `%s/%s`", source, dest, name);
  if (batch)
    return 0;
  /* dfd is the directory under the new mount: reopen to get the mount. */
  cleanup_close int mfd = openat (tmpfsfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (mfd < 0)
    return hako_error (err, errno, "open `%s/%s`", dest, name);
  return hako_remount_bind (mfd, NULL, flags, name, err);
}

/* What the per-mount remounts would leave (flags are those of
   hako_remount_bind: nosuid, nodev, noexec, the atime choice, maybe ro), set
   at once on the tmpfs and every bind below it: one mount_setattr instead of
   a remount per hierarchy. */
static int
restrict_tree (int tmpfsfd, unsigned long flags)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                             .attr_clr = MOUNT_ATTR__ATIME };

  if (flags & MS_RDONLY)
    attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NODIRATIME)
    attr.attr_set |= MOUNT_ATTR_NODIRATIME;
  /* As mount(2) decides: strictatime, else noatime, else relatime. */
  attr.attr_set |= (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                   : (flags & MS_NOATIME)   ? MOUNT_ATTR_NOATIME
                                            : MOUNT_ATTR_RELATIME;
  return (int) syscall (__NR_mount_setattr, tmpfsfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr));
}

/* The hierarchies the runtime worked out (cgroup_mount_plan). */
static int
mount_planned (int tmpfsfd, const char *dest, unsigned long flags, const struct hako_rootfs_opts *opts,
               bool *restricted, struct hako_err **err)
{
  for (size_t i = 0; i < opts->n_cg_mounts; i++)
    {
      const struct hako_cg_mount *m = &opts->cg_mounts[i];
      if (bind_in_tmpfs (tmpfsfd, dest, m->name, m->source, flags, true, err) < 0
          || comount_symlinks (tmpfsfd, m->name, err) < 0)
        return -1;
    }
  *restricted = restrict_tree (tmpfsfd, flags) == 0;
  if (*restricted)
    return 0;
  /* No mount_setattr (before 5.12) or a locked flag in a user namespace:
     remount one by one, as hako_remount_bind knows how. */
  for (size_t i = 0; i < opts->n_cg_mounts; i++)
    {
      cleanup_close int mfd
          = openat (tmpfsfd, opts->cg_mounts[i].name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (mfd < 0)
        return hako_error (err, errno, "open `%s/%s`", dest, opts->cg_mounts[i].name);
      if (hako_remount_bind (mfd, NULL, flags, opts->cg_mounts[i].name, err) < 0)
        return -1;
    }
  return 0;
}

static int
mount_v1_hierarchies (int rootfd, const char *dest, int tmpfsfd, unsigned long flags,
                      const struct hako_rootfs_opts *opts, struct hako_err **err)
{

  struct hako_mountinfo *mi = NULL;
  struct cg_line *lines = NULL;
  size_t n_mi = 0, n_lines = 0;
  int r = -1;

  if (hako_mountinfo_read (NULL, &mi, &n_mi, err) < 0)
    return -1;
  if (cg_lines_read (&lines, &n_lines, err) < 0)
    goto out;
  for (size_t i = 0; i < n_mi; i++)
    {
      const char *mp = mi[i].mountpoint;
      if ((strcmp (mi[i].fstype, "cgroup") != 0 && strcmp (mi[i].fstype, "cgroup2") != 0)
          || strncmp (mp, CGROUP_ROOT "/", sizeof (CGROUP_ROOT)) != 0
          || strchr (mp + sizeof (CGROUP_ROOT), '/') != NULL)
        continue;
      const char *name = mp + sizeof (CGROUP_ROOT);
      for (size_t j = 0; j < n_lines; j++)
        {
          if (!cg_line_matches (&lines[j], &mi[i]))
            continue;
          cleanup_free char *sub = hako_path_join (dest, name);
          if (mount_hierarchy (rootfd, sub, &mi[i], &lines[j], flags, opts, err) < 0
              || comount_symlinks (tmpfsfd, name, err) < 0)
            goto out;
          break;
        }
    }
  r = 0;
out:
  hako_mountinfo_free (mi, n_mi);
  cg_lines_free (lines, n_lines);
  return r;
}

static int
mount_cgroup_v1 (int rootfd, const char *dest, const struct hako_mount_opts *mo,
                 const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  char dp[HAKO_FD_PATH_MAX];
  unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  cleanup_close int dfd = hako_mkdir_in_root_fast (rootfd, dest, 0755, err);

  if (dfd < 0)
    return -1;
  /* The tmpfs is written to (directories, symlinks) before it goes ro. */
  if (mount ("tmpfs", hako_fd_path (dfd, dp), "tmpfs", base, "mode=755") < 0)
    return hako_error (err, errno, "mount tmpfs");
  cleanup_close int tfd = hako_open_in_root (rootfd, dest, O_PATH | O_DIRECTORY, 0, err);
  if (tfd < 0)
    return -1;
  unsigned long flags
      = base | (mo->flags & (MS_RDONLY | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME));
  bool restricted = false;
  if (opts->have_cg_mounts && !opts->new_cgroupns)
    {
      if (mount_planned (tfd, dest, flags, opts, &restricted, err) < 0)
        return -1;
    }
  else if (mount_v1_hierarchies (rootfd, dest, tfd, flags, opts, err) < 0)
    return -1;
  if (!restricted && (mo->flags & MS_RDONLY)
      && hako_remount_bind (tfd, NULL, base | MS_RDONLY, dest, err) < 0)
    return -1;
  return 0;
}

static int
mount_cgroup_v2 (int rootfd, const char *dest, const struct hako_mount_opts *mo,
                 const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  char dp[HAKO_FD_PATH_MAX];
  cleanup_close int dfd = hako_mkdir_in_root_fast (rootfd, dest, 0755, err);

  if (dfd < 0)
    return -1;
  if (mount ("cgroup2", hako_fd_path (dfd, dp), "cgroup2", mo->flags & ~(MS_BIND | MS_REC), NULL) == 0)
    return 0;
  /* Refused without a cgroup namespace in a user namespace (EPERM), or
     busy: show our own cgroup directory of the host instead. */
  if (errno != EPERM && errno != EBUSY)
    return hako_error (err, errno, "mount cgroup2");
  struct cg_line *lines = NULL;
  size_t n = 0;
  if (cg_lines_read (&lines, &n, err) < 0)
    return -1;
  const char *path = "/";
  for (size_t i = 0; i < n; i++)
    if (*lines[i].controllers == '\0')
      path = lines[i].path;
  cleanup_free char *src = hako_path_join (CGROUP_ROOT, path);
  cg_lines_free (lines, n);
  int fd = hako_bind_in_root (rootfd, src, dest, mo->flags | MS_BIND | MS_REC, err);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

int
hako_mount_cgroup (int rootfd, const char *dest, const struct hako_mount_opts *mo,
                   const struct hako_rootfs_opts *opts, struct hako_err **err)
{
  struct statfs sfs;

  if (statfs (CGROUP_ROOT, &sfs) < 0)
    return hako_error (err, errno, "statfs `%s`", CGROUP_ROOT);
  if ((unsigned long) sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_cgroup_v2 (rootfd, dest, mo, opts, err);
  return mount_cgroup_v1 (rootfd, dest, mo, opts, err);
}
