/* SPDX-License-Identifier: Apache-2.0 */
/* `cp` and `export`: trees walked and created one fd at a time.

   The walk opens each entry O_PATH | O_NOFOLLOW relative to its parent's fd
   and reopens regular files through that fd, so what it reads is what it
   stat'ed even if the container renames things meanwhile.  The extractor
   resolves each entry's parent with openat2(RESOLVE_IN_ROOT) against the
   container's root (or, on the host, against the destination directory)
   and creates the last component with the *at() calls that never follow a
   symlink: an entry can replace a symlink, never write through one. */
#include "cp.h"
#include "internal.h"
#include "../image/snapshot.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* ---- the container's root ---- */

static pid_t
proc_ppid (pid_t pid)
{
  char path[64], buf[512];
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  const char *p = strrchr (buf, ')');
  int ppid;
  char state;
  if (!p || sscanf (p + 1, " %c %d", &state, &ppid) != 2 || state == 'Z')
    return -1;
  return ppid;
}

/* The container's process is the monitor's child (the monitor is its
   parent or subreaper), which a recycled pid cannot be: checked before and
   after opening its root. */
static int
open_live_root (struct eng_ctr *c, int *fd, struct hako_err **err)
{
  pid_t pid = eng_ctr_pid (c);
  pid_t mpid = (pid_t) json_integer_value (json_object_get (json_object_get (c->j, "Hako"), "MonitorPid"));
  char path[64];
  if (pid <= 0 || mpid <= 0 || !eng_monitor_alive (c) || proc_ppid (pid) != mpid)
    return hako_error (err, ESRCH, "container %.12s is not running", c->id);
  snprintf (path, sizeof (path), "/proc/%d/root", pid);
  *fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return hako_error (err, errno, "open the root of container %.12s", c->id);
  if (proc_ppid (pid) != mpid)
    {
      close (*fd);
      *fd = -1;
      return hako_error (err, ESRCH, "container %.12s is not running", c->id);
    }
  return 0;
}

static bool
is_mountpoint (const char *path)
{
  struct stat a, b;
  cleanup_free char *parent = hako_path_join (path, "..");
  return stat (path, &a) == 0 && stat (parent, &b) == 0 && a.st_dev != b.st_dev;
}

int
eng_rootfs_open (const struct eng_ctx *e, struct eng_ctr *c, bool live, struct eng_rootfs *r,
                 struct hako_err **err)
{
  *r = (struct eng_rootfs){ .fd = -1 };
  bool running = eng_ctr_running (c);
  cleanup_free char *merged = xasprintf ("%s/snapshots/%s/merged", e->storage, c->id);
  if (running && (live || !is_mountpoint (merged)))
    {
      /* Without `live`, only when the host's mount of a running container
         is gone: overlayfs refuses a second mount of an upper dir in use. */
      r->live = true;
      return open_live_root (c, &r->fd, err);
    }
  if (!is_mountpoint (merged))
    {
      if (img_snapshot_mount (e->store, c->id, NULL, err) < 0)
        return hako_error_prefix (err, "mount the filesystem of container %.12s", c->id);
      r->mounted = true;
    }
  r->fd = open (merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->fd < 0)
    {
      int saved = errno;
      eng_rootfs_close (e, c, r);
      return hako_error (err, saved, "open `%s`", merged);
    }
  return 0;
}

void
eng_rootfs_close (const struct eng_ctx *e, struct eng_ctr *c, struct eng_rootfs *r)
{
  if (r->fd >= 0)
    close (r->fd);
  r->fd = -1;
  if (!r->mounted)
    return;
  r->mounted = false;
  /* Started meanwhile: its monitor found our mount and uses it. */
  if (eng_ctr_reload (c, NULL) == 0 && eng_ctr_running (c))
    return;
  struct hako_err *err = NULL;
  if (img_snapshot_unmount (e->store, c->id, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
    }
}

/* The root for a copy.  A stopped container's record stays locked while
   its snapshot is mounted, so that `rm` waits for the copy to finish. */
static int
open_for_copy (const struct eng_ctx *e, struct eng_ctr *c, bool live, struct eng_rootfs *r, int *lock,
               struct hako_err **err)
{
  *lock = -1;
  if (!eng_ctr_running (c))
    {
      *lock = eng_ctr_lock (c, err);
      if (*lock < 0)
        return -1;
      if (eng_ctr_reload (c, err) < 0)
        {
          close (*lock);
          *lock = -1;
          return hako_error_prefix (err, "container %.12s", c->id);
        }
    }
  if (eng_rootfs_open (e, c, live, r, err) < 0)
    {
      if (*lock >= 0)
        close (*lock);
      *lock = -1;
      return -1;
    }
  return 0;
}

static void
close_for_copy (const struct eng_ctx *e, struct eng_ctr *c, struct eng_rootfs *r, int lock)
{
  eng_rootfs_close (e, c, r);
  if (lock >= 0)
    close (lock);
}

/* ---- sinks: where the walk's entries go ---- */

struct sink
{
  /* `datafd` (a regular file's data) or `src` (an archive being read) gives
     the entry's data; neither for entries without data. */
  int (*put) (struct sink *s, struct archive_entry *ent, int datafd, struct archive *src,
              struct hako_err **err);
};

static ssize_t
data_read (int datafd, struct archive *src, void *buf, size_t len)
{
  if (src)
    return archive_read_data (src, buf, len);
  ssize_t n;
  do
    n = read (datafd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

static int
data_error (struct hako_err **err, struct archive *src, const char *name)
{
  if (src)
    return hako_error (err, archive_errno (src), "read `%s` from the archive: %s", name,
                       archive_error_string (src) ? archive_error_string (src) : "error");
  return hako_error (err, errno, "read `%s`", name);
}

/* A tar stream (pax, as docker's). */
struct tar_sink
{
  struct sink sink;
  struct archive *a;
};

static int
tar_put (struct sink *s, struct archive_entry *ent, int datafd, struct archive *src, struct hako_err **err)
{
  struct tar_sink *t = (struct tar_sink *) s;
  const char *name = archive_entry_pathname (ent);
  if (archive_write_header (t->a, ent) < ARCHIVE_WARN)
    return hako_error (err, archive_errno (t->a), "write the tar header of `%s`: %s", name,
                       archive_error_string (t->a));
  if (datafd < 0 && !src)
    return 0;
  char buf[65536];
  for (;;)
    {
      ssize_t n = data_read (datafd, src, buf, sizeof (buf));
      if (n == 0)
        return 0;
      if (n < 0)
        return data_error (err, src, name);
      /* A file that grew since its stat is cut at the size the header says. */
      if (archive_write_data (t->a, buf, (size_t) n) < 0)
        return hako_error (err, archive_errno (t->a), "write `%s` to the tar stream: %s", name,
                           archive_error_string (t->a));
    }
}

static struct archive *
tar_open (int fd, struct hako_err **err)
{
  struct archive *a = archive_write_new ();
  if (archive_write_set_format_pax_restricted (a) != ARCHIVE_OK
      || archive_write_set_bytes_in_last_block (a, 1) != ARCHIVE_OK
      || archive_write_open_fd (a, fd) != ARCHIVE_OK)
    {
      hako_error (err, archive_errno (a), "open the tar stream: %s", archive_error_string (a));
      archive_write_free (a);
      return NULL;
    }
  return a;
}

static int
tar_close (struct archive *a, struct hako_err **err)
{
  int r = archive_write_close (a);
  if (r != ARCHIVE_OK)
    hako_error (err, archive_errno (a), "finish the tar stream: %s", archive_error_string (a));
  archive_write_free (a);
  return r == ARCHIVE_OK ? 0 : -1;
}

/* Files created under a root.  `base` is the in-root path the entries are
   relative to. */
struct dir_time
{
  char *path;
  struct timespec t[2];
};

struct extractor
{
  struct sink sink;
  int rootfd;
  const char *base;
  bool chown; /* the entries' uid/gid (else ours) */
  struct dir_time *dirs;
  size_t n_dirs;
};

static void
split_path (const char *path, char **dir, char **base)
{
  const char *slash = strrchr (path, '/');
  *dir = slash == path ? xstrdup ("/") : strndup (path, (size_t) (slash - path));
  *base = xstrdup (slash + 1);
}

/* The parent directory, resolved inside the root; created when a stream
   leaves out directory entries (docker accepts such streams). */
static int
open_parent (struct extractor *x, const char *parent, struct hako_err **err)
{
  struct hako_err *e2 = NULL;
  int fd = hako_open_in_root (x->rootfd, parent, O_PATH | O_DIRECTORY, 0, &e2);
  if (fd >= 0)
    return fd;
  if (e2->errno_ != ENOENT)
    {
      *err = e2;
      return -1;
    }
  hako_error_free (&e2);
  return hako_mkdir_in_root (x->rootfd, parent, 0755, err);
}

static void
entry_times (struct archive_entry *ent, struct timespec t[2])
{
  t[0].tv_sec = archive_entry_atime_is_set (ent) ? archive_entry_atime (ent) : archive_entry_mtime (ent);
  t[0].tv_nsec
      = archive_entry_atime_is_set (ent) ? archive_entry_atime_nsec (ent) : archive_entry_mtime_nsec (ent);
  t[1].tv_sec = archive_entry_mtime (ent);
  t[1].tv_nsec = archive_entry_mtime_nsec (ent);
  if (!archive_entry_mtime_is_set (ent))
    t[0].tv_nsec = t[1].tv_nsec = UTIME_NOW;
}

static int
write_file (struct extractor *x, int pfd, const char *leaf, const char *full, struct archive_entry *ent,
            int datafd, struct archive *src, struct hako_err **err)
{
  cleanup_close int fd = openat (pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error (err, errno, "create `%s`", full);
  if (datafd >= 0 || src)
    {
      char buf[65536];
      for (;;)
        {
          ssize_t n = data_read (datafd, src, buf, sizeof (buf));
          if (n == 0)
            break;
          if (n < 0)
            return data_error (err, src, full);
          if (hako_write_all (fd, buf, (size_t) n) < 0)
            return hako_error (err, errno, "write `%s`", full);
        }
    }
  struct timespec t[2];
  entry_times (ent, t);
  if (x->chown && fchown (fd, (uid_t) archive_entry_uid (ent), (gid_t) archive_entry_gid (ent)) < 0)
    return hako_error (err, errno, "chown `%s`", full);
  /* After chown, which clears the set-id bits. */
  if (fchmod (fd, archive_entry_perm (ent)) < 0)
    return hako_error (err, errno, "chmod `%s`", full);
  futimens (fd, t);
  return 0;
}

static int
make_dir (struct extractor *x, int pfd, const char *leaf, const char *full, struct archive_entry *ent,
          struct hako_err **err)
{
  if (mkdirat (pfd, leaf, 0700) < 0)
    return hako_error (err, errno, "mkdir `%s`", full);
  cleanup_close int fd = openat (pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "open `%s`", full);
  if (x->chown && fchown (fd, (uid_t) archive_entry_uid (ent), (gid_t) archive_entry_gid (ent)) < 0)
    return hako_error (err, errno, "chown `%s`", full);
  if (fchmod (fd, archive_entry_perm (ent)) < 0)
    return hako_error (err, errno, "chmod `%s`", full);
  /* The times last: creating the children changes them. */
  x->dirs = xrealloc (x->dirs, (x->n_dirs + 1) * sizeof (*x->dirs));
  x->dirs[x->n_dirs].path = xstrdup (full);
  entry_times (ent, x->dirs[x->n_dirs].t);
  x->n_dirs++;
  return 0;
}

static int
make_link (struct extractor *x, int pfd, const char *leaf, const char *full, const char *target,
           struct hako_err **err)
{
  cleanup_free char *rel0 = xasprintf ("/%s", target);
  cleanup_free char *rel = hako_path_clean (rel0);
  cleanup_free char *tpath = hako_path_join (x->base, rel);
  cleanup_close int tfd = hako_open_in_root (x->rootfd, tpath, O_PATH | O_NOFOLLOW, 0, err);
  if (tfd < 0)
    return hako_error_prefix (err, "hard link `%s`", full);
  if (linkat (tfd, "", pfd, leaf, AT_EMPTY_PATH) < 0)
    return hako_error (err, errno, "hard link `%s` to `%s`", full, tpath);
  return 0;
}

static int
ext_put (struct sink *s, struct archive_entry *ent, int datafd, struct archive *src, struct hako_err **err)
{
  struct extractor *x = (struct extractor *) s;
  const char *name = archive_entry_pathname (ent);
  if (!name)
    return 0;
  /* Cleaned as an absolute path: no entry names anything above `base`. */
  cleanup_free char *rel0 = xasprintf ("/%s", name);
  cleanup_free char *rel = hako_path_clean (rel0);
  if (strcmp (rel, "/") == 0)
    return 0; /* the destination directory itself */
  cleanup_free char *full = hako_path_join (x->base, rel);
  cleanup_free char *parent = NULL, *leaf = NULL;
  split_path (full, &parent, &leaf);
  cleanup_close int pfd = open_parent (x, parent, err);
  if (pfd < 0)
    return hako_error_prefix (err, "copy `%s`", full);
  mode_t type = archive_entry_filetype (ent);
  const char *hardlink = archive_entry_hardlink (ent);
  struct stat old;
  bool exists = fstatat (pfd, leaf, &old, AT_SYMLINK_NOFOLLOW) == 0;
  bool want_dir = type == AE_IFDIR && !hardlink;
  if (exists && S_ISDIR (old.st_mode))
    {
      if (want_dir)
        return 0; /* merged into, as tar and docker do */
      return hako_error (err, EISDIR, "cannot overwrite directory `%s` with a non-directory", full);
    }
  if (exists && unlinkat (pfd, leaf, 0) < 0)
    return hako_error (err, errno, "replace `%s`", full);
  if (hardlink)
    return make_link (x, pfd, leaf, full, hardlink, err);
  mode_t perm = archive_entry_perm (ent);
  uid_t uid = (uid_t) archive_entry_uid (ent);
  gid_t gid = (gid_t) archive_entry_gid (ent);
  struct timespec t[2];
  entry_times (ent, t);
  switch (type)
    {
    case AE_IFREG:
      return write_file (x, pfd, leaf, full, ent, datafd, src, err);
    case AE_IFDIR:
      return make_dir (x, pfd, leaf, full, ent, err);
    case AE_IFLNK:
      if (symlinkat (archive_entry_symlink (ent) ? archive_entry_symlink (ent) : "", pfd, leaf) < 0)
        return hako_error (err, errno, "symlink `%s`", full);
      if (x->chown && fchownat (pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return hako_error (err, errno, "chown `%s`", full);
      utimensat (pfd, leaf, t, AT_SYMLINK_NOFOLLOW);
      return 0;
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      if (mknodat (pfd, leaf, type | perm, archive_entry_rdev (ent)) < 0)
        return hako_error (err, errno, "mknod `%s`", full);
      if (x->chown && fchownat (pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return hako_error (err, errno, "chown `%s`", full);
      utimensat (pfd, leaf, t, AT_SYMLINK_NOFOLLOW);
      return 0;
    default:
      return 0; /* sockets: nothing to make */
    }
}

static void
ext_finish (struct extractor *x)
{
  for (size_t i = x->n_dirs; i-- > 0;)
    {
      struct hako_err *err = NULL;
      int fd = hako_open_in_root (x->rootfd, x->dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &err);
      hako_error_free (&err);
      if (fd >= 0)
        {
          futimens (fd, x->dirs[i].t);
          close (fd);
        }
      free (x->dirs[i].path);
    }
  free (x->dirs);
  x->dirs = NULL;
  x->n_dirs = 0;
}

/* ---- the walk ---- */

struct walker
{
  struct sink *sink;
  struct archive_entry_linkresolver *lr;
  bool skip_pseudo; /* a live root: /proc, /sys, cgroups are not files */
  bool one_fs;      /* do not descend into other mounts */
  dev_t root_dev;
};

static bool
is_pseudo (int fd)
{
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0)
    return false;
  switch ((unsigned long) sfs.f_type)
    {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case MQUEUE_MAGIC:
    case SECURITYFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case BPF_FS_MAGIC:
      return true;
    default:
      return false;
    }
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int walk (struct walker *w, int fd, const char *arcname, struct hako_err **err);

static int
walk_children (struct walker *w, int fd, const char *arcname, struct hako_err **err)
{
  int dfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hako_error (err, errno, "open directory `%s`", *arcname ? arcname : "/");
  cleanup_dir DIR *d = fdopendir (dfd);
  if (!d)
    {
      close (dfd);
      return hako_error (err, errno, "read directory `%s`", arcname);
    }
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      names = xrealloc (names, (n + 1) * sizeof (char *));
      names[n++] = xstrdup (de->d_name);
    }
  if (n > 1) /* names is NULL when empty: qsort (NULL, 0) is undefined */
    qsort (names, n, sizeof (char *), cmp_names);
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0)
        {
          int cfd = openat (dirfd (d), names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
          if (cfd < 0 && errno != ENOENT) /* ENOENT: removed meanwhile */
            ret = hako_error (err, errno, "open `%s/%s`", arcname, names[i]);
          else if (cfd >= 0)
            {
              cleanup_free char *child
                  = *arcname ? xasprintf ("%s/%s", arcname, names[i]) : xstrdup (names[i]);
              ret = walk (w, cfd, child, err);
              close (cfd);
            }
        }
      free (names[i]);
    }
  free (names);
  return ret;
}

/* One entry (unless arcname is "": the top directory's children only), and
   what is below it.  `fd` is an O_PATH fd of the entry. */
static int
walk (struct walker *w, int fd, const char *arcname, struct hako_err **err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return hako_error (err, errno, "stat `%s`", arcname);
  if (S_ISSOCK (st.st_mode))
    return 0; /* tar has no sockets; docker leaves them out too */
  if (*arcname)
    {
      struct archive_entry *ent = archive_entry_new ();
      archive_entry_copy_pathname (ent, arcname);
      archive_entry_copy_stat (ent, &st);
      int datafd = -1, r = 0;
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX + 1];
          ssize_t n = readlinkat (fd, "", target, sizeof (target) - 1);
          if (n < 0)
            r = hako_error (err, errno, "readlink `%s`", arcname);
          else
            {
              target[n] = '\0';
              archive_entry_copy_symlink (ent, target);
            }
        }
      if (!S_ISREG (st.st_mode))
        archive_entry_set_size (ent, 0);
      else
        {
          struct archive_entry *spare = NULL;
          archive_entry_linkify (w->lr, &ent, &spare);
          archive_entry_free (spare);
          if (archive_entry_hardlink (ent))
            archive_entry_set_size (ent, 0);
          else
            {
              /* Reopen the very inode we stat'ed. */
              char p[HAKO_FD_PATH_MAX];
              struct stat again;
              datafd = open (hako_fd_path (fd, p), O_RDONLY | O_CLOEXEC | O_NOCTTY);
              if (datafd < 0)
                r = hako_error (err, errno, "open `%s`", arcname);
              else if (fstat (datafd, &again) < 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev)
                r = hako_error (err, EAGAIN, "`%s` changed while being copied", arcname);
            }
        }
      if (r == 0)
        r = w->sink->put (w->sink, ent, datafd, NULL, err);
      if (datafd >= 0)
        close (datafd);
      archive_entry_free (ent);
      if (r < 0)
        return -1;
    }
  if (!S_ISDIR (st.st_mode))
    return 0;
  if ((w->skip_pseudo && is_pseudo (fd)) || (w->one_fs && st.st_dev != w->root_dev))
    return 0;
  return walk_children (w, fd, arcname, err);
}

static int
walk_tree (struct sink *sink, int fd, const char *arcname, bool live, bool one_fs, struct hako_err **err)
{
  struct walker w
      = { .sink = sink, .lr = archive_entry_linkresolver_new (), .skip_pseudo = live, .one_fs = one_fs };
  struct stat st;
  if (fstat (fd, &st) == 0)
    w.root_dev = st.st_dev;
  archive_entry_linkresolver_set_strategy (w.lr, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
  int r = walk (&w, fd, arcname, err);
  archive_entry_linkresolver_free (w.lr);
  return r;
}

/* ---- cp ---- */

static char *
last_component (const char *clean)
{
  const char *slash = strrchr (clean, '/');
  return xstrdup (slash ? slash + 1 : clean);
}

/* "dir/." or "." : the directory's contents, not the directory. */
static bool
names_contents (const char *path)
{
  size_t n = strlen (path);
  return (n == 1 && path[0] == '.') || (n >= 2 && strcmp (path + n - 2, "/.") == 0);
}

static bool
ends_with_slash (const char *path)
{
  size_t n = strlen (path);
  return n > 0 && path[n - 1] == '/';
}

static char *
in_root_path (const char *p)
{
  cleanup_free char *abs = p[0] == '/' ? xstrdup (p) : xasprintf ("/%s", p);
  return hako_path_clean (abs);
}

/* Where the copy goes, by docker's rules: into an existing directory under
   the source's name, else at the destination's name in its parent. */
struct target
{
  char *dir; /* the directory the entries are created in */
  char *top; /* the name of the source's top entry there ("" : contents) */
};

static int
plan_target (bool dexists, bool ddir, const char *dclean, bool dslash, bool src_dir, bool contents,
             const char *src_name, const char *shown, struct target *t, struct hako_err **err)
{
  if (dexists && ddir)
    {
      t->dir = xstrdup (dclean);
      t->top = xstrdup (contents ? "" : src_name);
      return 0;
    }
  if (dexists && src_dir)
    return hako_error (err, ENOTDIR, "cannot copy a directory to a file: `%s`", shown);
  if (!dexists && dslash && !src_dir)
    return hako_error (err, ENOENT, "destination directory `%s` does not exist", shown);
  split_path (dclean, &t->dir, &t->top);
  return 0;
}

static void
target_clear (struct target *t)
{
  free (t->dir);
  free (t->top);
}

static int
cp_from (const struct eng_rootfs *r, const char *src, const char *dest, int outfd,
         const struct eng_cp_opts *o, const char *ctr, struct hako_err **err)
{
  bool contents = names_contents (src);
  bool want_dir = contents || ends_with_slash (src);
  cleanup_free char *sclean = in_root_path (src);
  int flags = O_PATH | ((o->follow_link || want_dir) ? 0 : O_NOFOLLOW);
  cleanup_close int sfd = hako_open_in_root (r->fd, sclean, flags, 0, err);
  if (sfd < 0)
    return hako_error_prefix (err, "could not find the file %s in container %s", src, ctr);
  struct stat st;
  if (fstat (sfd, &st) < 0)
    return hako_error (err, errno, "stat `%s`", sclean);
  bool src_dir = S_ISDIR (st.st_mode);
  if (want_dir && !src_dir)
    return hako_error (err, ENOTDIR, "`%s` in container %s is not a directory", src, ctr);
  cleanup_free char *name = last_component (sclean);
  if (!dest)
    {
      struct archive *a = tar_open (outfd, err);
      if (!a)
        return -1;
      struct tar_sink t = { .sink.put = tar_put, .a = a };
      int ret = walk_tree (&t.sink, sfd, contents ? "" : *name ? name : "", r->live, false, err);
      if (tar_close (a, ret < 0 ? NULL : err) < 0)
        ret = -1;
      return ret;
    }
  /* The host side: created under the destination directory's fd, taken as
     the root, so not even our own stream can lead above it. */
  struct stat dst;
  bool dexists = stat (dest, &dst) == 0;
  if (!dexists && errno != ENOENT)
    return hako_error (err, errno, "stat `%s`", dest);
  cleanup_free char *dabs = NULL;
  if (dest[0] == '/')
    dabs = xstrdup (dest);
  else
    {
      char cwd[PATH_MAX];
      if (!getcwd (cwd, sizeof (cwd)))
        return hako_error (err, errno, "getcwd");
      dabs = hako_path_join (cwd, dest);
    }
  cleanup_free char *dclean = hako_path_clean (dabs);
  struct target t = { 0 };
  if (plan_target (dexists, dexists && S_ISDIR (dst.st_mode), dclean, ends_with_slash (dest), src_dir,
                   contents, name, dest, &t, err)
      < 0)
    return -1;
  int ret = -1;
  cleanup_close int xfd = open (t.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (xfd < 0)
    hako_error (err, errno, "destination directory `%s`", t.dir);
  else
    {
      struct extractor x = { .sink.put = ext_put, .rootfd = xfd, .base = "/", .chown = o->archive };
      ret = walk_tree (&x.sink, sfd, t.top, r->live, false, err);
      ext_finish (&x);
    }
  target_clear (&t);
  return ret;
}

int
eng_cp_from (const struct eng_ctx *e, struct eng_ctr *c, const char *src, const char *dest, int outfd,
             const struct eng_cp_opts *o, struct hako_err **err)
{
  struct eng_rootfs r;
  int lock;
  if (open_for_copy (e, c, true, &r, &lock, err) < 0)
    return -1;
  int ret = cp_from (&r, src, dest, outfd, o, eng_ctr_name (c), err);
  close_for_copy (e, c, &r, lock);
  return ret;
}

static int
untar_into (struct extractor *x, int infd, struct hako_err **err)
{
  struct archive *a = archive_read_new ();
  archive_read_support_format_tar (a);
  archive_read_support_format_gnutar (a);
  archive_read_support_filter_all (a);
  int ret = 0;
  if (archive_read_open_fd (a, infd, 65536) != ARCHIVE_OK)
    ret = hako_error (err, archive_errno (a), "read the tar stream: %s", archive_error_string (a));
  struct archive_entry *ent;
  while (ret == 0)
    {
      int r = archive_read_next_header (a, &ent);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        {
          ret = hako_error (err, archive_errno (a), "read the tar stream: %s", archive_error_string (a));
          break;
        }
      ret = ext_put (&x->sink, ent, -1, archive_entry_size (ent) > 0 ? a : NULL, err);
    }
  archive_read_free (a);
  return ret;
}

static int
cp_to (const struct eng_rootfs *r, const char *src, int infd, const char *dest, const struct eng_cp_opts *o,
       const char *ctr, struct hako_err **err)
{
  cleanup_free char *dclean = in_root_path (dest);
  struct hako_err *e2 = NULL;
  cleanup_close int dfd = hako_open_in_root (r->fd, dclean, O_PATH, 0, &e2);
  if (dfd < 0 && e2->errno_ != ENOENT)
    {
      *err = e2;
      return hako_error_prefix (err, "container %s: destination `%s`", ctr, dest);
    }
  hako_error_free (&e2);
  struct stat dst;
  bool dexists = dfd >= 0 && fstat (dfd, &dst) == 0;
  bool ddir = dexists && S_ISDIR (dst.st_mode);
  struct extractor x = { .sink.put = ext_put, .rootfd = r->fd, .chown = o->archive };
  int ret;
  if (!src)
    {
      if (!ddir)
        return hako_error (err, ENOTDIR, "destination `%s` in container %s must be a directory", dest, ctr);
      x.base = dclean;
      x.chown = true; /* a stream says who owns what (docker keeps it too) */
      ret = untar_into (&x, infd, err);
      ext_finish (&x);
      return ret;
    }
  bool contents = names_contents (src);
  bool want_dir = contents || ends_with_slash (src);
  cleanup_close int sfd = open (src, O_PATH | O_CLOEXEC | ((o->follow_link || want_dir) ? 0 : O_NOFOLLOW));
  if (sfd < 0)
    return hako_error (err, errno, "could not find the file `%s`", src);
  struct stat st;
  if (fstat (sfd, &st) < 0)
    return hako_error (err, errno, "stat `%s`", src);
  bool src_dir = S_ISDIR (st.st_mode);
  if (want_dir && !src_dir)
    return hako_error (err, ENOTDIR, "`%s` is not a directory", src);
  char cwd[PATH_MAX];
  cleanup_free char *sabs
      = src[0] == '/' ? xstrdup (src) : hako_path_join (getcwd (cwd, sizeof (cwd)) ? cwd : "/", src);
  cleanup_free char *sclean = hako_path_clean (sabs);
  cleanup_free char *name = last_component (sclean);
  struct target t = { 0 };
  if (plan_target (dexists, ddir, dclean, ends_with_slash (dest), src_dir, contents, name, dest, &t, err) < 0)
    return -1;
  /* The parent must exist (docker does not create it). */
  cleanup_close int pfd = hako_open_in_root (r->fd, t.dir, O_PATH | O_DIRECTORY, 0, err);
  if (pfd < 0)
    {
      target_clear (&t);
      return hako_error_prefix (err, "container %s: destination directory", ctr);
    }
  x.base = t.dir;
  ret = walk_tree (&x.sink, sfd, t.top, false, false, err);
  ext_finish (&x);
  target_clear (&t);
  return ret;
}

int
eng_cp_to (const struct eng_ctx *e, struct eng_ctr *c, const char *src, int infd, const char *dest,
           const struct eng_cp_opts *o, struct hako_err **err)
{
  struct eng_rootfs r;
  int lock;
  if (open_for_copy (e, c, true, &r, &lock, err) < 0)
    return -1;
  int ret = cp_to (&r, src, infd, dest, o, eng_ctr_name (c), err);
  close_for_copy (e, c, &r, lock);
  return ret;
}

/* ---- export ---- */

int
eng_export (const struct eng_ctx *e, struct eng_ctr *c, int outfd, struct hako_err **err)
{
  struct eng_rootfs r;
  int lock;
  if (open_for_copy (e, c, false, &r, &lock, err) < 0)
    return -1;
  int ret = -1;
  struct archive *a = tar_open (outfd, err);
  if (a)
    {
      struct tar_sink t = { .sink.put = tar_put, .a = a };
      /* Through /proc/PID/root (no host mount) the volumes and the pseudo
         filesystems are the container's mounts: left out, as docker does. */
      ret = walk_tree (&t.sink, r.fd, "", r.live, r.live, err);
      if (tar_close (a, ret < 0 ? NULL : err) < 0)
        ret = -1;
    }
  close_for_copy (e, c, &r, lock);
  return ret;
}
