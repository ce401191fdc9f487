/* SPDX-License-Identifier: Apache-2.0 */
#include "path.h"
#include "cleanup.h"
#include "error.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The kernel's own bound on symlink expansions in one lookup (MAXSYMLINKS). */
#define MAX_LINKS 40

/* ---------- resolution inside a root ---------- */

/* 0 = not tried yet, 1 = works, -1 = missing (ENOSYS / E2BIG): remembered so
   a kernel without openat2 costs one failed syscall per process, not per path. */
static int openat2_state;

static int
try_openat2 (int rootfd, const char *path, int flags, mode_t mode)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  /* EAGAIN: a concurrent rename or mount raced the lookup; the kernel asks
     us to retry rather than risk a wrong answer. */
  for (int i = 0; i < 128; i++)
    {
      fd = (int) syscall (SYS_openat2, rootfd, *path ? path : ".", &how, sizeof (how));
      if (fd >= 0 || errno != EAGAIN)
        return fd;
    }
  return -1;
}

/* A stack of directory fds from the root down to the current directory, so
   ".." is a pop (never an openat of "..", which could walk out of the root
   if a directory were moved) and ".." at the root stays at the root. */
struct walk
{
  int rootfd;
  int *fds;
  size_t n, cap;
};

static int
walk_cur (const struct walk *w)
{
  return w->n ? w->fds[w->n - 1] : w->rootfd;
}

static void
walk_push (struct walk *w, int fd)
{
  if (w->n == w->cap)
    {
      w->cap = w->cap ? w->cap * 2 : 16;
      w->fds = xrealloc (w->fds, w->cap * sizeof (int));
    }
  w->fds[w->n++] = fd;
}

static void
walk_pop (struct walk *w)
{
  if (w->n)
    close (w->fds[--w->n]);
}

static void
walk_reset (struct walk *w)
{
  while (w->n)
    walk_pop (w);
}

/* Replace the unresolved remainder with "target/rest": the link's text is
   resolved as if it had been written in the path, against our root.  An
   absolute target restarts at the root.  Consumes the link fd. */
static int
walk_expand_link (struct walk *w, int linkfd, const char *rest, char **remaining, size_t *links)
{
  char target[PATH_MAX];
  ssize_t len;

  if (++*links > MAX_LINKS)
    {
      close (linkfd);
      errno = ELOOP;
      return -1;
    }
  /* readlinkat on the O_PATH fd itself: no window in which the name could be
     swapped for something else between the open and the read. */
  len = readlinkat (linkfd, "", target, sizeof (target) - 1);
  close (linkfd);
  if (len < 0)
    return -1;
  if ((size_t) len >= sizeof (target) - 1)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  target[len] = '\0';
  if (target[0] == '/')
    walk_reset (w);
  /* An empty rest must not become "target/": that trailing slash would
     demand a directory of the link's final component. */
  char *next = *rest ? xasprintf ("%s/%s", target, rest) : xstrdup (target);
  free (*remaining);
  *remaining = next;
  return 0;
}

/* Split the next component off *p: returns its length (0 at the end) and
   sets *name; *p moves past it.  *more says whether anything (even a lone
   trailing slash) follows, which makes the component an intermediate one. */
static size_t
next_component (const char **p, const char **name, bool *more)
{
  const char *s = *p;
  while (*s == '/')
    s++;
  *name = s;
  while (*s && *s != '/')
    s++;
  size_t len = (size_t) (s - *name);
  *more = *s == '/';
  *p = s;
  return len;
}

/* Open the last component with the caller's flags.  Returns an fd, -1 on
   error, or -2 when the component turned out to be a symlink to expand. */
static int
walk_open_final (struct walk *w, const char *name, int flags, mode_t mode, int *linkfd)
{
  int cur = walk_cur (w);
  int fd = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  *linkfd = -1;
  if (fd < 0 && !(errno == ENOENT && (flags & O_CREAT)))
    return -1;
  if (fd >= 0)
    {
      if (fstat (fd, &st) < 0)
        {
          close (fd);
          return -1;
        }
      if (S_ISLNK (st.st_mode) && !(flags & O_NOFOLLOW))
        {
          *linkfd = fd;
          return -2;
        }
      close (fd);
    }
  /* O_NOFOLLOW: a symlink swapped in since the check above fails (ELOOP) or,
     for O_PATH, is returned as the link itself; it is never followed. */
  fd = openat (cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == ELOOP && !(flags & O_NOFOLLOW))
    return -3; /* raced: look again */
  if (fd >= 0 && (flags & O_PATH) && !(flags & O_NOFOLLOW) && fstat (fd, &st) == 0 && S_ISLNK (st.st_mode))
    {
      *linkfd = fd;
      return -2;
    }
  return fd;
}

/* One step of the walk for an intermediate component `name`.  Returns 0 to
   go on, 1 when the remainder was rewritten by a symlink, -1 on error. */
static int
walk_step (struct walk *w, const char *name, const char *rest, char **remaining, size_t *links)
{
  struct stat st;
  int fd = openat (walk_cur (w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return -1;
    }
  if (S_ISLNK (st.st_mode))
    return walk_expand_link (w, fd, rest, remaining, links) < 0 ? -1 : 1;
  if (!S_ISDIR (st.st_mode))
    {
      close (fd);
      errno = ENOTDIR;
      return -1;
    }
  walk_push (w, fd);
  return 0;
}

static int
walk_resolve (struct walk *w, const char *path, int flags, mode_t mode)
{
  cleanup_free char *remaining = xstrdup (path);
  size_t links = 0;
  const char *p = remaining;

  for (;;)
    {
      const char *name;
      bool more;
      size_t len = next_component (&p, &name, &more);
      char comp[NAME_MAX + 1];

      if (len == 0)
        return openat (walk_cur (w), ".", flags | O_CLOEXEC, mode);
      if (len > NAME_MAX)
        {
          errno = ENAMETOOLONG;
          return -1;
        }
      memcpy (comp, name, len);
      comp[len] = '\0';
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          walk_pop (w);
          continue;
        }
      if (more)
        {
          int r = walk_step (w, comp, p, &remaining, &links);
          if (r < 0)
            return -1;
          if (r > 0)
            p = remaining;
          continue;
        }
      int linkfd;
      int fd = walk_open_final (w, comp, flags, mode, &linkfd);
      if (fd == -2)
        {
          if (walk_expand_link (w, linkfd, "", &remaining, &links) < 0)
            return -1;
          p = remaining;
          continue;
        }
      if (fd == -3)
        {
          if (++links > MAX_LINKS)
            {
              errno = ELOOP;
              return -1;
            }
          p = name; /* the component again */
          continue;
        }
      return fd;
    }
}

int
hako_open_in_root_fallback (int rootfd, const char *path, int flags, mode_t mode, struct hako_err **err)
{
  struct walk w = { .rootfd = rootfd };
  int fd = walk_resolve (&w, path ? path : "", flags, mode);
  int saved = errno;

  walk_reset (&w);
  free (w.fds);
  errno = saved;
  if (fd < 0)
    return hako_error (err, saved, "open `%s` in root", path);
  return fd;
}

void
hako_open_in_root_force_fallback (bool on)
{
  openat2_state = on ? -1 : 0;
}

int
hako_open_in_root (int rootfd, const char *path, int flags, mode_t mode, struct hako_err **err)
{
  if (openat2_state >= 0)
    {
      int fd = try_openat2 (rootfd, path ? path : "", flags, mode);
      if (fd >= 0)
        {
          openat2_state = 1;
          return fd;
        }
      if (errno == ENOSYS || errno == E2BIG)
        openat2_state = -1;
      /* EPERM is what a seccomp filter that predates openat2 answers; the
         walk will give the real answer if it was a genuine EPERM. */
      else if (errno != EPERM || openat2_state == 1)
        return hako_error (err, errno, "open `%s` in root", path);
    }
  return hako_open_in_root_fallback (rootfd, path, flags, mode, err);
}

/* ---------- creating inside a root ---------- */

/* Last component of `path` (trailing slashes ignored) and the part before it. */
static void
split_last (const char *path, char **dir, char **base)
{
  cleanup_free char *copy = xstrdup (path);
  size_t len = strlen (copy);

  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  char *slash = strrchr (copy, '/');
  if (slash == NULL)
    {
      *dir = xstrdup (".");
      *base = xstrdup (copy);
      return;
    }
  *base = xstrdup (slash + 1);
  *slash = '\0';
  *dir = xstrdup (*copy ? copy : "/");
}

static bool
is_dot_or_dotdot (const char *s, size_t len)
{
  return (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.');
}

/* One pass of mkdir -p.  Returns an fd, -1 on error, or -2 with *restart set
   when a component is a dangling symlink: the path is then rewritten through
   the link's text (still resolved against the root) and the caller retries. */
static int
mkdir_in_root_once (int rootfd, const char *path, mode_t mode, char **restart, struct hako_err **err)
{
  cleanup_close int parent = hako_open_in_root (rootfd, "/", O_PATH | O_DIRECTORY, 0, err);
  cleanup_free char *prefix = xstrdup ("");
  const char *p = path;

  if (parent < 0)
    return -1;
  for (;;)
    {
      const char *name;
      bool more;
      size_t len = next_component (&p, &name, &more);
      if (len == 0)
        return steal_fd (&parent);

      cleanup_free char *parent_prefix = steal_pointer (&prefix);
      prefix = xasprintf ("%s/%.*s", parent_prefix, (int) len, name);
      int fd = hako_open_in_root (rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
      if (fd < 0 && errno == ENOENT && !is_dot_or_dotdot (name, len))
        {
          cleanup_free char *comp = xasprintf ("%.*s", (int) len, name);
          if (mkdirat (parent, comp, mode) < 0 && errno != EEXIST)
            return hako_error (err, errno, "mkdir `%s` in root", prefix);
          fd = hako_open_in_root (rootfd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
          if (fd < 0 && errno == ENOENT)
            {
              char target[PATH_MAX];
              ssize_t n = readlinkat (parent, comp, target, sizeof (target) - 1);
              if (n < 0 || (size_t) n >= sizeof (target) - 1)
                return hako_error (err, ENOENT, "mkdir `%s` in root", prefix);
              target[n] = '\0';
              *restart = xasprintf ("%s/%s/%s", target[0] == '/' ? "" : parent_prefix, target, p);
              return -2;
            }
        }
      if (fd < 0)
        return hako_error (err, errno, "mkdir `%s` in root", prefix);
      close (parent);
      parent = fd;
    }
}

int
hako_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct hako_err **err)
{
  cleanup_free char *cur = xstrdup (path);

  for (int links = 0; links <= MAX_LINKS; links++)
    {
      char *restart = NULL;
      int fd = mkdir_in_root_once (rootfd, cur, mode, &restart, err);
      if (fd != -2)
        return fd;
      free (cur);
      cur = restart;
    }
  return hako_error (err, ELOOP, "mkdir `%s` in root", path);
}

static int
create_file_in_root (int rootfd, const char *path, mode_t mode, int links, struct hako_err **err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *base = NULL;
  int fd = hako_open_in_root (rootfd, path, O_PATH, 0, NULL);

  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : hako_error (err, errno, "open `%s` in root", path);

  split_last (path, &dir, &base);
  if (is_dot_or_dotdot (base, strlen (base)) || *base == '/')
    return hako_error (err, EINVAL, "create file `%s` in root: not a file name", path);
  cleanup_close int parent = hako_mkdir_in_root (rootfd, dir, 0755, err);
  if (parent < 0)
    return -1;
  /* mknodat never follows a symlink at `base`, unlike open(O_CREAT). */
  if (mknodat (parent, base, S_IFREG | (mode & 07777), 0) < 0 && errno != EEXIST)
    return hako_error (err, errno, "create file `%s` in root", path);
  fd = hako_open_in_root (rootfd, path, O_PATH, 0, NULL);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : hako_error (err, errno, "open `%s` in root", path);

  /* `base` is a dangling symlink: create what it names, as mkdir_in_root
     does for directories, with the link's text resolved against the root. */
  char target[PATH_MAX];
  ssize_t n = readlinkat (parent, base, target, sizeof (target) - 1);
  if (n < 0 || (size_t) n >= sizeof (target) - 1)
    return hako_error (err, ENOENT, "create file `%s` in root", path);
  target[n] = '\0';
  if (links >= MAX_LINKS)
    return hako_error (err, ELOOP, "create file `%s` in root", path);
  cleanup_free char *next = target[0] == '/' ? xstrdup (target) : xasprintf ("%s/%s", dir, target);
  return create_file_in_root (rootfd, next, mode, links + 1, err);
}

int
hako_create_file_in_root (int rootfd, const char *path, mode_t mode, struct hako_err **err)
{
  return create_file_in_root (rootfd, path, mode, 0, err);
}

/* ---------- plain path strings ---------- */

const char *
hako_fd_path (int fd, char buf[HAKO_FD_PATH_MAX])
{
  snprintf (buf, HAKO_FD_PATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

char *
hako_path_clean (const char *path)
{
  bool abs = path[0] == '/';
  size_t cap = strlen (path) + 2;
  char *out = xmalloc (cap);
  size_t len = 0;
  const char *p = path;

  for (;;)
    {
      const char *name;
      bool more;
      size_t n = next_component (&p, &name, &more);
      if (n == 0)
        break;
      if (n == 1 && name[0] == '.')
        continue;
      if (n == 2 && name[0] == '.' && name[1] == '.')
        {
          /* Drop back to the previous '/', never above the start. */
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
          continue;
        }
      out[len++] = '/';
      memcpy (out + len, name, n);
      len += n;
    }
  out[len] = '\0';
  if (abs)
    {
      if (len == 0)
        strcpy (out, "/");
      return out;
    }
  if (len == 0)
    {
      strcpy (out, ".");
      return out;
    }
  memmove (out, out + 1, len); /* relative: no leading '/' */
  return out;
}

char *
hako_path_join (const char *a, const char *b)
{
  size_t la = strlen (a);

  while (la > 0 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  if (*b == '\0')
    return la ? xasprintf ("%.*s", (int) la, a) : xstrdup (*a ? "/" : "");
  if (la == 0 && *a == '\0')
    return xstrdup (b);
  return xasprintf ("%.*s/%s", (int) la, a, b);
}

/* ---------- whole files ---------- */

int
hako_read_fd (int fd, char **out, size_t *len, struct hako_err **err)
{
  size_t cap = 4096, n = 0;
  cleanup_free char *buf = xmalloc (cap);

  for (;;)
    {
      if (cap - n < 2)
        buf = xrealloc (buf, cap *= 2);
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return hako_error (err, errno, "read fd %d", fd);
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = steal_pointer (&buf);
  return 0;
}

int
hako_read_file (const char *path, char **out, size_t *len, struct hako_err **err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return hako_error (err, errno, "open `%s`", path);
  if (hako_read_fd (fd, out, len, NULL) < 0)
    return hako_error (err, errno, "read `%s`", path);
  return 0;
}

int
hako_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t r = write (fd, p, len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      p += r;
      len -= (size_t) r;
    }
  return 0;
}

static int
fsync_dir (const char *dir)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  return fsync (fd);
}

int
hako_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, struct hako_err **err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *base = NULL;
  split_last (path, &dir, &base);
  cleanup_free char *tmp = xasprintf ("%s/.%s.tmpXXXXXX", dir, base);
  int fd = mkostemp (tmp, O_CLOEXEC);

  if (fd < 0)
    return hako_error (err, errno, "create temporary file for `%s`", path);
  /* A reader must see the old content or the new, never a torn file: the
     data is on disk before the rename makes it visible, and the rename is
     on disk (directory fsync) before we report success. */
  if (fchmod (fd, mode) < 0 || hako_write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      unlink (tmp);
      return hako_error (err, saved, "write `%s`", tmp);
    }
  if (close (fd) < 0 || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return hako_error (err, saved, "write `%s`", path);
    }
  if (fsync_dir (dir) < 0)
    return hako_error (err, errno, "fsync directory `%s`", dir);
  return 0;
}

int
hako_mkdir_p (const char *path, mode_t mode, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (path);
  struct stat st;

  if (*path == '\0')
    return hako_error (err, EINVAL, "mkdir: empty path");
  for (char *p = copy + 1;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return hako_error (err, errno, "mkdir `%s`", copy);
      *p = saved;
      if (saved == '\0')
        break;
    }
  if (stat (path, &st) < 0)
    return hako_error (err, errno, "stat `%s`", path);
  if (!S_ISDIR (st.st_mode))
    return hako_error (err, ENOTDIR, "mkdir `%s`", path);
  return 0;
}

/* ---------- rm -rf ---------- */

static int rm_at (int dirfd, const char *name, const char *shown, struct hako_err **err);

static int
rm_dir_contents (int fd, const char *shown, struct hako_err **err)
{
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (dfd < 0)
    return hako_error (err, errno, "remove `%s`", shown);
  cleanup_dir DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return hako_error (err, errno, "remove `%s`", shown);
    }
  for (;;)
    {
      errno = 0;
      struct dirent *de = readdir (d);
      if (de == NULL)
        return errno ? hako_error (err, errno, "read directory `%s`", shown) : 0;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *child = hako_path_join (shown, de->d_name);
      if (rm_at (fd, de->d_name, child, err) < 0)
        return -1;
    }
}

static int
rm_at (int dirfd, const char *name, const char *shown, struct hako_err **err)
{
  struct statx stx;

  if (statx (dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0)
    return errno == ENOENT ? 0 : hako_error (err, errno, "stat `%s`", shown);
  if (!S_ISDIR (stx.stx_mode))
    {
      if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
        return hako_error (err, errno, "remove `%s`", shown);
      return 0;
    }
  /* Never descend into another mount: its files are not ours to delete
     (a bind-mounted volume, a forgotten rootfs). */
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return hako_error (err, EBUSY, "remove `%s`: a mount point", shown);
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : hako_error (err, errno, "open `%s`", shown);
  if (rm_dir_contents (fd, shown, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return hako_error (err, errno, "remove `%s`", shown);
  return 0;
}

int
hako_rm_rf (const char *path, struct hako_err **err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *base = NULL;

  split_last (path, &dir, &base);
  if (is_dot_or_dotdot (base, strlen (base)) || strcmp (base, "/") == 0)
    return hako_error (err, EINVAL, "remove `%s`: refusing", path);
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT ? 0 : hako_error (err, errno, "open `%s`", dir);
  return rm_at (dfd, base, path, err);
}
