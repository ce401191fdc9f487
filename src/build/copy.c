/* SPDX-License-Identifier: Apache-2.0 */
/* COPY and ADD: sources from the build context (beneath it: `..` and
   symlinks that lead out are refused) or from the root of another stage or
   image (resolved as a chroot), written into the rootfs of the step through
   fds (hako_mkdir_in_root resolves the destination inside the root).  The
   same walk, with a hasher instead of a destination, gives the digest of
   the sources for the cache key. */
#include "internal.h"
#include "../image/digest.h"
#include "../image/layer.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---------- patterns ---------- */

static bool
class_match (const char **pp, char c)
{
  const char *p = *pp + 1;
  bool neg = *p == '^' || *p == '!';
  bool hit = false;
  if (neg)
    p++;
  for (bool first = true; *p && (first || *p != ']'); first = false)
    {
      char lo = *p == '\\' && p[1] ? *++p : *p;
      p++;
      char hi = lo;
      if (*p == '-' && p[1] && p[1] != ']')
        {
          p++;
          hi = *p == '\\' && p[1] ? *++p : *p;
          p++;
        }
      if (c >= lo && c <= hi)
        hit = true;
    }
  if (*p == ']')
    p++;
  *pp = p;
  return hit != neg;
}

bool
bld_glob_match (const char *p, const char *s)
{
  while (*p)
    {
      if (p[0] == '*' && p[1] == '*')
        {
          while (*p == '*')
            p++;
          if (*p == '/')
            {
              p++;
              for (const char *t = s;;)
                {
                  if (bld_glob_match (p, t))
                    return true;
                  t = strchr (t, '/');
                  if (t == NULL)
                    return false;
                  t++;
                }
            }
          for (const char *t = s;; t++)
            {
              if (bld_glob_match (p, t))
                return true;
              if (!*t)
                return false;
            }
        }
      if (*p == '*')
        {
          p++;
          for (const char *t = s;; t++)
            {
              if (bld_glob_match (p, t))
                return true;
              if (!*t || *t == '/')
                return false;
            }
        }
      if (*s == '\0')
        return false;
      if (*p == '?')
        {
          if (*s == '/')
            return false;
        }
      else if (*p == '[')
        {
          if (*s == '/' || !class_match (&p, *s))
            return false;
          s++;
          continue;
        }
      else
        {
          if (*p == '\\' && p[1])
            p++;
          if (*p != *s)
            return false;
        }
      p++;
      s++;
    }
  return *s == '\0';
}

static bool
has_glob (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

/* ---------- .dockerignore ---------- */

struct bld_ignore
{
  char **pat;
  bool *neg;
  size_t n;
  bool any_neg;
};

int
bld_ignore_load (int ctxfd, struct bld_ignore **out, struct hako_err **err)
{
  struct bld_ignore *ig = xzalloc (sizeof (*ig));
  cleanup_free char *buf = NULL;
  size_t len;
  const char *names[] = { ".containerignore", ".dockerignore" };
  for (size_t i = 0; i < 2 && buf == NULL; i++)
    {
      cleanup_close int fd = openat (ctxfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0 && hako_read_fd (fd, &buf, &len, err) < 0)
        {
          free (ig);
          return -1;
        }
    }
  char *save = NULL;
  for (char *line = buf ? strtok_r (buf, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      while (isspace ((unsigned char) *line))
        line++;
      size_t l = strlen (line);
      while (l && isspace ((unsigned char) line[l - 1]))
        line[--l] = '\0';
      if (*line == '\0' || *line == '#')
        continue;
      bool neg = *line == '!';
      if (neg)
        line++;
      while (isspace ((unsigned char) *line))
        line++;
      cleanup_free char *abs = xasprintf ("/%s", line);
      cleanup_free char *clean = hako_path_clean (abs);
      if (strcmp (clean, "/") == 0)
        continue;
      ig->pat = xrealloc (ig->pat, (ig->n + 1) * sizeof (char *));
      ig->neg = xrealloc (ig->neg, (ig->n + 1) * sizeof (bool));
      ig->pat[ig->n] = xstrdup (clean + 1);
      ig->neg[ig->n++] = neg;
      ig->any_neg |= neg;
    }
  *out = ig;
  return 0;
}

void
bld_ignore_free (struct bld_ignore *ig)
{
  if (ig == NULL)
    return;
  for (size_t i = 0; i < ig->n; i++)
    free (ig->pat[i]);
  free (ig->pat);
  free (ig->neg);
  free (ig);
}

/* The last pattern that matches the path or one of its parents wins. */
bool
bld_ignored (const struct bld_ignore *ig, const char *rel)
{
  bool ignored = false;
  if (ig == NULL)
    return false;
  for (size_t i = 0; i < ig->n; i++)
    {
      bool m = bld_glob_match (ig->pat[i], rel);
      for (const char *s = strchr (rel, '/'); !m && s; s = strchr (s + 1, '/'))
        {
          cleanup_free char *parent = strndup (rel, (size_t) (s - rel));
          m = bld_glob_match (ig->pat[i], parent);
        }
      if (m)
        ignored = !ig->neg[i];
    }
  return ignored;
}

/* ---------- users ---------- */

static bool
digits (const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isdigit ((unsigned char) *s))
      return false;
  return true;
}

/* Field 2 (the id) of the line whose field 0 is `name`; -1 if none. */
static long
db_id (int rootfd, const char *file, const char *name, long *gid_out)
{
  struct hako_err *e = NULL;
  cleanup_close int fd = hako_open_in_root (rootfd, file, O_RDONLY | O_CLOEXEC, 0, &e);
  hako_error_free (&e);
  cleanup_free char *buf = NULL;
  size_t len;
  if (fd < 0 || hako_read_fd (fd, &buf, &len, NULL) < 0)
    return -1;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[5] = { 0 };
      size_t k = 0;
      for (char *p = line; k < 5; k++)
        {
          f[k] = p;
          p = strchr (p, ':');
          if (p == NULL)
            break;
          *p++ = '\0';
        }
      if (f[0] && f[2] && strcmp (f[0], name) == 0)
        {
          if (gid_out && f[3])
            *gid_out = strtol (f[3], NULL, 10);
          return strtol (f[2], NULL, 10);
        }
    }
  return -1;
}

int
bld_resolve_chown (int rootfd, const char *spec, uint32_t *uid, uint32_t *gid, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *g = strchr (copy, ':');
  if (g)
    *g++ = '\0';
  long u, gg = -1;
  if (digits (copy))
    u = strtol (copy, NULL, 10);
  else if ((u = db_id (rootfd, "/etc/passwd", copy, &gg)) < 0)
    return hako_error (err, ENOENT, "--chown: unable to find user %s: no matching entries in passwd file",
                       copy);
  if (g && *g)
    {
      if (digits (g))
        gg = strtol (g, NULL, 10);
      else if ((gg = db_id (rootfd, "/etc/group", g, NULL)) < 0)
        return hako_error (err, ENOENT, "--chown: unable to find group %s: no matching entries in group file",
                           g);
    }
  else if (gg < 0 || digits (copy))
    gg = u;
  *uid = (uint32_t) u;
  *gid = (uint32_t) gg;
  return 0;
}

int
bld_mkdir (int rootfd, const char *path, struct hako_err **err)
{
  int fd = hako_mkdir_in_root (rootfd, path, 0755, err);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

/* ---------- the copy ---------- */

static void
hash_str (struct img_hasher *h, const char *s)
{
  img_hasher_update (h, s, strlen (s) + 1);
}

static int
copy_data (int in, int out, struct img_hasher *h, const char *shown, struct hako_err **err)
{
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (in, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return hako_error (err, errno, "read `%s`", shown);
      if (n == 0)
        return 0;
      if (h)
        img_hasher_update (h, buf, (size_t) n);
      else if (hako_write_all (out, buf, (size_t) n) < 0)
        return hako_error (err, errno, "write `%s`", shown);
    }
}

static mode_t
final_mode (const struct bld_copy *c, mode_t m)
{
  return c->chmod ? (m & S_IFMT) | (c->mode & 07777) : m;
}

static void
set_owner_time (const struct bld_copy *c, int dirfd, const char *name, const struct stat *st)
{
  uid_t u = c->chown ? c->uid : 0;
  gid_t g = c->chown ? c->gid : 0;
  if (fchownat (dirfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0)
    {
      /* best effort: an id the filesystem refuses keeps root */
    }
  struct timespec ts[2] = { st->st_mtim, st->st_mtim };
  utimensat (dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Copy the entry `name` of srcdir (already stat'ed) to `dname` in dstdir.
   `rel` is its path in the context (for the ignore rules), NULL outside. */
static int copy_entry (const struct bld_copy *c, int srcdir, const char *name, const struct stat *st,
                       int dstdir, const char *dname, const char *rel, struct hako_err **err);

static int
copy_dir_contents (const struct bld_copy *c, int srcfd, int dstfd, const char *rel, struct hako_err **err)
{
  int dupfd = fcntl (srcfd, F_DUPFD_CLOEXEC, 3);
  if (dupfd < 0)
    return hako_error (err, errno, "dup");
  cleanup_dir DIR *d = fdopendir (dupfd);
  if (d == NULL)
    {
      close (dupfd);
      return hako_error (err, errno, "opendir `%s`", rel ? rel : ".");
    }
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  /* The dup shares the offset with srcfd: start from the top. */
  rewinddir (d);
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        names = xrealloc (names, (n + 1) * sizeof (char *));
        names[n++] = xstrdup (de->d_name);
      }
  /* The elements are char *: compare the strings, not the pointers. */
  if (n > 1)
    qsort (names, n, sizeof (char *), cmp_strp);
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    {
      cleanup_free char *crel = rel ? (*rel ? xasprintf ("%s/%s", rel, names[i]) : xstrdup (names[i])) : NULL;
      struct stat st;
      if (fstatat (srcfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
        r = hako_error (err, errno, "stat `%s`", crel ? crel : names[i]);
      else if (crel && c->from_context && bld_ignored (c->ignore, crel)
               && !(S_ISDIR (st.st_mode) && c->ignore->any_neg))
        continue;
      else
        r = copy_entry (c, srcfd, names[i], &st, dstfd, names[i], crel, err);
    }
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  return r;
}

static int
copy_entry (const struct bld_copy *c, int srcdir, const char *name, const struct stat *st, int dstdir,
            const char *dname, const char *rel, struct hako_err **err)
{
  const char *shown = rel ? rel : name;
  if (c->h)
    {
      char meta[96];
      snprintf (meta, sizeof (meta), "%o %lld", (unsigned) st->st_mode, (long long) st->st_size);
      hash_str (c->h, dname);
      hash_str (c->h, meta);
    }
  if (S_ISDIR (st->st_mode))
    {
      cleanup_close int sfd = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sfd < 0)
        return hako_error (err, errno, "open `%s`", shown);
      if (c->h)
        return copy_dir_contents (c, sfd, -1, rel, err);
      if (mkdirat (dstdir, dname, 0755) < 0 && errno != EEXIST)
        return hako_error (err, errno, "mkdir `%s`", dname);
      cleanup_close int dfd = openat (dstdir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0)
        return hako_error (err, errno, "open `%s` in the image", dname);
      if (copy_dir_contents (c, sfd, dfd, rel, err) < 0)
        return -1;
      fchmod (dfd, final_mode (c, st->st_mode) & 07777);
      set_owner_time (c, dstdir, dname, st);
      return 0;
    }
  if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (srcdir, name, target, sizeof (target) - 1);
      if (n < 0)
        return hako_error (err, errno, "readlink `%s`", shown);
      target[n] = '\0';
      if (c->h)
        {
          hash_str (c->h, target);
          return 0;
        }
      unlinkat (dstdir, dname, 0);
      if (symlinkat (target, dstdir, dname) < 0)
        return hako_error (err, errno, "symlink `%s`", dname);
      set_owner_time (c, dstdir, dname, st);
      return 0;
    }
  if (!S_ISREG (st->st_mode))
    return 0; /* sockets, fifos, devices: not copied */
  cleanup_close int in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return hako_error (err, errno, "open `%s`", shown);
  if (c->h)
    return copy_data (in, -1, c->h, shown, err);
  int out = openat (dstdir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0 && (errno == ELOOP || errno == EISDIR))
    {
      /* A symlink (or an empty directory) in the image is replaced. */
      if (unlinkat (dstdir, dname, errno == EISDIR ? AT_REMOVEDIR : 0) == 0)
        out = openat (dstdir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
  if (out < 0)
    return hako_error (err, errno, "create `%s` in the image", dname);
  int r = copy_data (in, out, NULL, shown, err);
  if (r == 0)
    fchmod (out, final_mode (c, st->st_mode) & 07777);
  close (out);
  if (r == 0)
    set_owner_time (c, dstdir, dname, st);
  return r;
}

/* Open a source: beneath the context (a symlink out is refused), or inside
   the root of another image. */
static int
open_source (const struct bld_copy *c, const char *rel, struct hako_err **err)
{
  struct open_how how = { .flags = O_PATH | O_CLOEXEC,
                          .resolve = c->from_context ? RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
                                                     : RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = (int) syscall (SYS_openat2, c->srcfd, *rel ? rel : ".", &how, sizeof (how));
  if (fd >= 0)
    return fd;
  if (errno == EXDEV)
    return hako_error (err, EXDEV, "%s `%s`: points outside the build context", c->what, rel);
  if (errno == ENOENT)
    return hako_error (err, ENOENT, "%s `%s`: not found%s", c->what, rel,
                       c->from_context ? " in the build context" : "");
  return hako_error (err, errno, "%s `%s`", c->what, rel);
}

/* Glob matches below the source root, up to the pattern's depth. */
static int
glob_walk (const struct bld_copy *c, int dirfd, const char *prefix, const char *pat, int depth, char ***out,
           size_t *n, struct hako_err **err)
{
  int dupfd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dupfd >= 0 ? fdopendir (dupfd) : NULL;
  if (d == NULL)
    {
      if (dupfd >= 0)
        close (dupfd);
      return hako_error (err, errno, "read the build context");
    }
  struct dirent *de;
  rewinddir (d);
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *rel = *prefix ? xasprintf ("%s/%s", prefix, de->d_name) : xstrdup (de->d_name);
      if (c->from_context && bld_ignored (c->ignore, rel) && !c->ignore->any_neg)
        continue;
      if (bld_glob_match (pat, rel) && !(c->from_context && bld_ignored (c->ignore, rel)))
        {
          *out = xrealloc (*out, (*n + 2) * sizeof (char *));
          (*out)[(*n)++] = xstrdup (rel);
          (*out)[*n] = NULL;
        }
      struct stat st;
      if (depth > 1 && fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
        {
          cleanup_close int sub = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub >= 0 && glob_walk (c, sub, rel, pat, depth - 1, out, n, err) < 0)
            return -1;
        }
    }
  return 0;
}

/* A local tar (any compression) for ADD to extract. */
static bool
is_archive (int fd)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_gnutar (a);
  bool ok
      = archive_read_open_fd (a, fd, 65536) == ARCHIVE_OK && archive_read_next_header (a, &e) == ARCHIVE_OK;
  archive_read_free (a);
  lseek (fd, 0, SEEK_SET);
  return ok;
}

static char *
dest_path (const struct bld_copy *c, const char *dest)
{
  if (dest[0] == '/')
    return xstrdup (dest);
  return xasprintf ("%s/%s", c->workdir && *c->workdir ? c->workdir : "/", dest);
}

static int
copy_one (const struct bld_copy *c, const char *rel, const char *dest, bool dest_dir, struct hako_err **err)
{
  cleanup_close int src = open_source (c, rel, err);
  if (src < 0)
    return -1;
  struct stat st;
  if (fstat (src, &st) < 0)
    return hako_error (err, errno, "stat `%s`", rel);
  char fdp[HAKO_FD_PATH_MAX];
  const char *base = strrchr (rel, '/') ? strrchr (rel, '/') + 1 : rel;
  if (!*base || strcmp (base, ".") == 0)
    base = "";
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sfd = open (hako_fd_path (src, fdp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sfd < 0)
        return hako_error (err, errno, "open `%s`", rel);
      if (c->h)
        {
          hash_str (c->h, dest);
          return copy_dir_contents (c, sfd, -1, c->from_context ? rel : NULL, err);
        }
      cleanup_close int dfd = hako_mkdir_in_root (c->dstroot, dest, 0755, err);
      if (dfd < 0)
        return -1;
      cleanup_close int dwr = open (hako_fd_path (dfd, fdp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dwr < 0)
        return hako_error (err, errno, "open `%s` in the image", dest);
      return copy_dir_contents (c, sfd, dwr, c->from_context ? rel : NULL, err);
    }
  cleanup_close int in = open (hako_fd_path (src, fdp), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return hako_error (err, errno, "open `%s`", rel);
  if (c->add && S_ISREG (st.st_mode) && is_archive (in))
    {
      if (c->h)
        {
          hash_str (c->h, "archive");
          return copy_data (in, -1, c->h, rel, err);
        }
      cleanup_close int dfd = hako_mkdir_in_root (c->dstroot, dest, 0755, err);
      if (dfd < 0)
        return -1;
      struct img_apply_opts ao = { .ownership = true };
      if (img_layer_apply (in, dfd, &ao, NULL, NULL, err) < 0)
        return hako_error_prefix (err, "ADD `%s`", rel);
      return 0;
    }
  /* A file: into dest/ or as dest. */
  cleanup_free char *target = dest_dir ? xasprintf ("%s/%s", dest, base) : xstrdup (dest);
  cleanup_free char *clean = hako_path_clean (target);
  char *slash = strrchr (clean, '/');
  cleanup_free char *parent = slash == clean ? xstrdup ("/") : strndup (clean, (size_t) (slash - clean));
  const char *fname = slash + 1;
  if (!*fname)
    return hako_error (err, EINVAL, "%s `%s`: bad destination `%s`", c->what, rel, dest);
  if (c->h)
    {
      char meta[64];
      snprintf (meta, sizeof (meta), "%o", (unsigned) st.st_mode);
      hash_str (c->h, clean);
      hash_str (c->h, meta);
      if (S_ISLNK (st.st_mode) || !S_ISREG (st.st_mode))
        return 0;
      return copy_data (in, -1, c->h, rel, err);
    }
  cleanup_close int pfd = hako_mkdir_in_root (c->dstroot, parent, 0755, err);
  if (pfd < 0)
    return -1;
  cleanup_close int pdir = open (hako_fd_path (pfd, fdp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pdir < 0)
    return hako_error (err, errno, "open `%s` in the image", parent);
  /* The file itself: copied from its already opened fd. */
  int out = openat (pdir, fname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0 && (errno == ELOOP))
    {
      unlinkat (pdir, fname, 0);
      out = openat (pdir, fname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
  if (out < 0)
    return hako_error (err, errno, "create `%s` in the image", clean);
  int r = copy_data (in, out, NULL, rel, err);
  if (r == 0)
    fchmod (out, final_mode (c, st.st_mode) & 07777);
  close (out);
  if (r == 0)
    set_owner_time (c, pdir, fname, &st);
  return r;
}

int
bld_copy (const struct bld_copy *c, char *const *srcs, size_t n, const char *dest, struct hako_err **err)
{
  cleanup_free char *dabs = dest_path (c, dest);
  size_t dl = strlen (dest);
  bool dest_dir = n > 1 || (dl && dest[dl - 1] == '/') || strcmp (dest, ".") == 0;
  cleanup_free char *dclean = hako_path_clean (dabs);
  if (!dest_dir && !c->h)
    {
      struct hako_err *e = NULL;
      cleanup_close int fd = hako_open_in_root (c->dstroot, dclean, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, &e);
      hako_error_free (&e);
      dest_dir = fd >= 0;
    }
  char **list = NULL;
  size_t k = 0;
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    {
      if (strstr (srcs[i], "://") || strncmp (srcs[i], "git@", 4) == 0)
        {
          r = hako_error (err, 0,
                          "%s `%s`: remote sources are not supported (hako builds offline); download it "
                          "into the build context and COPY it",
                          c->what, srcs[i]);
          break;
        }
      cleanup_free char *abs = xasprintf ("/%s", srcs[i]);
      cleanup_free char *clean = hako_path_clean (abs);
      /* `..` that climbs above the context is refused, not clamped. */
      int depth = 0;
      for (const char *p = srcs[i]; *p;)
        {
          size_t len = strcspn (p, "/");
          if (len == 2 && p[0] == '.' && p[1] == '.')
            depth--;
          else if (len && !(len == 1 && p[0] == '.'))
            depth++;
          if (depth < 0 && c->from_context)
            {
              r = hako_error (err, EXDEV, "%s `%s`: outside the build context", c->what, srcs[i]);
              break;
            }
          p += len;
          p += strspn (p, "/");
        }
      if (r < 0)
        break;
      const char *rel = clean + 1;
      if (has_glob (rel))
        {
          size_t before = k;
          int comps = 1;
          for (const char *p = rel; *p; p++)
            comps += *p == '/';
          r = glob_walk (c, c->srcfd, "", rel, comps, &list, &k, err);
          if (r == 0 && k == before)
            r = hako_error (err, ENOENT, "%s `%s`: no source files were specified (no match)", c->what,
                            srcs[i]);
          if (k > before)
            qsort (list + before, k - before, sizeof (char *), cmp_strp);
          if (k - before > 1)
            dest_dir = true;
        }
      else
        {
          list = xrealloc (list, (k + 2) * sizeof (char *));
          list[k++] = xstrdup (rel);
          list[k] = NULL;
        }
    }
  for (size_t i = 0; i < k && r == 0; i++)
    r = copy_one (c, list[i], dclean, dest_dir, err);
  for (size_t i = 0; i < k; i++)
    free (list[i]);
  free (list);
  return r;
}

int
bld_copy_content (const struct bld_copy *c, const char *name, const char *content, const char *dest,
                  struct hako_err **err)
{
  cleanup_free char *dabs = dest_path (c, dest);
  size_t dl = strlen (dest);
  cleanup_free char *target = dl && dest[dl - 1] == '/' ? xasprintf ("%s/%s", dabs, name) : xstrdup (dabs);
  cleanup_free char *clean = hako_path_clean (target);
  if (c->h)
    {
      hash_str (c->h, clean);
      hash_str (c->h, content);
      return 0;
    }
  char *slash = strrchr (clean, '/');
  cleanup_free char *parent = slash == clean ? xstrdup ("/") : strndup (clean, (size_t) (slash - clean));
  char fdp[HAKO_FD_PATH_MAX];
  cleanup_close int pfd = hako_mkdir_in_root (c->dstroot, parent, 0755, err);
  if (pfd < 0)
    return -1;
  cleanup_close int pdir = open (hako_fd_path (pfd, fdp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pdir < 0)
    return hako_error (err, errno, "open `%s` in the image", parent);
  unlinkat (pdir, slash + 1, 0);
  cleanup_close int out = openat (pdir, slash + 1, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                                  c->chmod ? 0600 : 0644);
  if (out < 0)
    return hako_error (err, errno, "create `%s` in the image", clean);
  if (hako_write_all (out, content, strlen (content)) < 0)
    return hako_error (err, errno, "write `%s`", clean);
  if (c->chmod)
    fchmod (out, c->mode & 07777);
  if (c->chown && fchown (out, c->uid, c->gid) < 0)
    return hako_error (err, errno, "chown `%s`", clean);
  return 0;
}
