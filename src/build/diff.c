/* SPDX-License-Identifier: Apache-2.0 */
/* A directory in overlay upper form -> a layer blob.  Two libarchive
   writers are chained, as import.c does: the tar writer's output is hashed
   (the diff_id) and fed to a raw gzip writer whose output goes to the
   store's ingest (the blob digest), in one pass.  Entries are sorted and
   the gzip header carries no time, so the same tree gives the same bytes;
   with a timestamp the mtimes are clamped to it (SOURCE_DATE_EPOCH). */
#include "internal.h"
#include "../image/digest.h"
#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct ent
{
  char *path; /* relative, no leading "./" */
  struct stat st;
  bool whiteout, opaque;
};

struct walk
{
  struct ent *v;
  size_t n, cap;
  const struct bld_diff_opts *o;
  const char *root;
};

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
push (struct walk *w, struct ent e)
{
  if (w->n == w->cap)
    {
      w->cap = w->cap ? w->cap * 2 : 64;
      w->v = xrealloc (w->v, w->cap * sizeof (*w->v));
    }
  w->v[w->n++] = e;
}

/* The first lower layer that has `rel`: its stat. */
static bool
lower_stat (const struct bld_diff_opts *o, const char *rel, struct stat *st)
{
  for (size_t i = 0; i < o->n_lower; i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", o->lower[i], rel);
      if (lstat (p, st) == 0)
        return true;
    }
  return false;
}

static bool
mountpoint_artifact (const struct walk *w, const char *rel, const struct stat *st)
{
  static const char *const dirs[] = { "proc", "sys", "dev", NULL };
  static const char *const files[] = { "etc/hosts", "etc/hostname", "etc/resolv.conf", NULL };
  struct stat lst;
  if (!w->o->skip_mountpoints)
    return false;
  const char *const *list = S_ISDIR (st->st_mode) ? dirs : S_ISREG (st->st_mode) ? files : NULL;
  if (list == NULL || (S_ISREG (st->st_mode) && st->st_size != 0))
    return false;
  for (size_t i = 0; list[i]; i++)
    if (strcmp (list[i], rel) == 0)
      return !lower_stat (w->o, rel, &lst);
  return false;
}

static int
collect (struct walk *w, int dfd, const char *prefix, struct hako_err **err)
{
  cleanup_dir DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return hako_error (err, errno, "diff: opendir `%s`", *prefix ? prefix : ".");
    }
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      names = xrealloc (names, (n + 1) * sizeof (char *));
      names[n++] = xstrdup (de->d_name);
    }
  if (n > 1)
    qsort (names, n, sizeof (char *), cmp_str);
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    {
      struct ent e = { 0 };
      e.path = *prefix ? xasprintf ("%s/%s", prefix, names[i]) : xstrdup (names[i]);
      if (fstatat (dirfd (d), names[i], &e.st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          r = hako_error (err, errno, "diff: stat `%s`", e.path);
          free (e.path);
          break;
        }
      if (S_ISCHR (e.st.st_mode) && e.st.st_rdev == makedev (0, 0))
        {
          e.whiteout = true;
          push (w, e);
          continue;
        }
      if (mountpoint_artifact (w, e.path, &e.st))
        {
          free (e.path);
          continue;
        }
      if (!S_ISDIR (e.st.st_mode))
        {
          push (w, e);
          continue;
        }
      cleanup_free char *full = xasprintf ("%s/%s", w->root, e.path);
      char val[4];
      ssize_t vl = lgetxattr (full, "trusted.overlay.opaque", val, sizeof (val));
      e.opaque = vl == 1 && val[0] == 'y';
      size_t at = w->n;
      push (w, e);
      int sub = openat (dirfd (d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        {
          r = hako_error (err, errno, "diff: open `%s`", e.path);
          break;
        }
      r = collect (w, sub, w->v[at].path, err);
      /* A copied-up directory with nothing new below and the metadata of
         the lower one is no change. */
      struct stat lst;
      const struct ent *me = &w->v[at];
      if (r == 0 && w->n == at + 1 && !me->opaque && lower_stat (w->o, me->path, &lst)
          && S_ISDIR (lst.st_mode) && lst.st_mode == me->st.st_mode && lst.st_uid == me->st.st_uid
          && lst.st_gid == me->st.st_gid)
        {
          free (w->v[at].path);
          w->n = at;
        }
    }
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  return r;
}

/* ---------- the writers ---------- */

struct out
{
  struct archive *tar, *gz;
  struct img_hasher *hasher;
  struct img_ingest *g;
  int64_t size;
  struct hako_err *err;
};

static la_ssize_t
gz_write (struct archive *a, void *ctx, const void *buf, size_t len)
{
  struct out *o = ctx;
  if (img_ingest_write (o->g, buf, len, &o->err) < 0)
    return -1;
  o->size += (int64_t) len;
  return (la_ssize_t) len;
}

static la_ssize_t
tar_write (struct archive *a, void *ctx, const void *buf, size_t len)
{
  struct out *o = ctx;
  img_hasher_update (o->hasher, buf, len);
  if (archive_write_data (o->gz, buf, len) != (la_ssize_t) len)
    {
      if (o->err == NULL)
        hako_error (&o->err, 0, "compress: %s", archive_error_string (o->gz));
      return -1;
    }
  return (la_ssize_t) len;
}

static int
tar_fail (struct out *o, const char *what, struct hako_err **err)
{
  if (o->err)
    {
      *err = steal_pointer (&o->err);
      return hako_error_prefix (err, "%s", what);
    }
  return hako_error (err, 0, "%s: %s", what, archive_error_string (o->tar));
}

static void
set_xattrs (struct archive_entry *ae, const char *full)
{
  char list[4096];
  ssize_t n = llistxattr (full, list, sizeof (list));
  if (n <= 0)
    return;
  /* Sorted, so the pax header is the same every time. */
  char *names[128];
  size_t k = 0;
  for (char *p = list; p < list + n && k < 128; p += strlen (p) + 1)
    if (strncmp (p, "trusted.overlay.", 16) != 0 && strncmp (p, "user.overlay.", 13) != 0)
      names[k++] = p;
  qsort (names, k, sizeof (char *), cmp_str);
  for (size_t i = 0; i < k; i++)
    {
      char val[8192];
      ssize_t vl = lgetxattr (full, names[i], val, sizeof (val));
      if (vl >= 0)
        archive_entry_xattr_add_entry (ae, names[i], val, (size_t) vl);
    }
}

struct link
{
  dev_t dev;
  ino_t ino;
  char *path;
};

static int
write_entry (struct out *o, const struct walk *w, const struct ent *e, struct link **links, size_t *n_links,
             struct hako_err **err)
{
  struct archive_entry *ae = archive_entry_new ();
  cleanup_free char *full = xasprintf ("%s/%s", w->root, e->path);
  cleanup_free char *name = NULL;
  int64_t ts = w->o->timestamp;
  time_t mtime = e->st.st_mtim.tv_sec;
  long nsec = e->st.st_mtim.tv_nsec;
  int r = -1;

  if (ts >= 0 && mtime >= ts)
    mtime = (time_t) ts, nsec = 0;
  if (ts >= 0)
    nsec = 0;
  if (e->whiteout)
    {
      const char *slash = strrchr (e->path, '/');
      cleanup_free char *wh = slash ? xasprintf ("%.*s/.wh.%s", (int) (slash - e->path), e->path, slash + 1)
                                    : xasprintf (".wh.%s", e->path);
      archive_entry_set_pathname (ae, wh);
      archive_entry_set_filetype (ae, AE_IFREG);
      archive_entry_set_perm (ae, 0);
      archive_entry_set_size (ae, 0);
      archive_entry_set_mtime (ae, mtime, nsec);
      if (archive_write_header (o->tar, ae) != ARCHIVE_OK)
        goto fail;
      r = 0;
      goto out;
    }
  name = S_ISDIR (e->st.st_mode) ? xasprintf ("%s/", e->path) : xstrdup (e->path);
  archive_entry_set_pathname (ae, name);
  archive_entry_set_mode (ae, e->st.st_mode);
  archive_entry_set_uid (ae, e->st.st_uid);
  archive_entry_set_gid (ae, e->st.st_gid);
  archive_entry_set_mtime (ae, mtime, nsec);
  if (S_ISCHR (e->st.st_mode) || S_ISBLK (e->st.st_mode))
    archive_entry_set_rdev (ae, e->st.st_rdev);
  set_xattrs (ae, full);
  bool data = false;
  if (S_ISLNK (e->st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t tl = readlink (full, target, sizeof (target) - 1);
      if (tl < 0)
        {
          r = hako_error (err, errno, "diff: readlink `%s`", e->path);
          goto out;
        }
      target[tl] = '\0';
      archive_entry_set_symlink (ae, target);
    }
  else if (S_ISREG (e->st.st_mode))
    {
      const char *first = NULL;
      if (e->st.st_nlink > 1)
        {
          for (size_t i = 0; i < *n_links; i++)
            if ((*links)[i].dev == e->st.st_dev && (*links)[i].ino == e->st.st_ino)
              first = (*links)[i].path;
          if (first == NULL)
            {
              *links = xrealloc (*links, (*n_links + 1) * sizeof (**links));
              (*links)[(*n_links)++] = (struct link){ e->st.st_dev, e->st.st_ino, xstrdup (e->path) };
            }
        }
      if (first)
        {
          archive_entry_set_hardlink (ae, first);
          archive_entry_set_size (ae, 0);
        }
      else
        {
          archive_entry_set_size (ae, e->st.st_size);
          data = e->st.st_size > 0;
        }
    }
  if (archive_write_header (o->tar, ae) != ARCHIVE_OK)
    goto fail;
  if (data)
    {
      cleanup_close int fd = open (full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        {
          r = hako_error (err, errno, "diff: open `%s`", e->path);
          goto out;
        }
      char buf[65536];
      int64_t left = e->st.st_size;
      while (left > 0)
        {
          ssize_t n = read (fd, buf, sizeof (buf));
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              r = hako_error (err, n < 0 ? errno : EIO, "diff: read `%s`: file changed", e->path);
              goto out;
            }
          if (n > left)
            n = (ssize_t) left;
          if (archive_write_data (o->tar, buf, (size_t) n) != n)
            goto fail;
          left -= n;
        }
    }
  if (e->opaque)
    {
      archive_entry_clear (ae);
      cleanup_free char *opq = xasprintf ("%s/.wh..wh..opq", e->path);
      archive_entry_set_pathname (ae, opq);
      archive_entry_set_filetype (ae, AE_IFREG);
      archive_entry_set_perm (ae, 0);
      archive_entry_set_size (ae, 0);
      archive_entry_set_mtime (ae, mtime, nsec);
      if (archive_write_header (o->tar, ae) != ARCHIVE_OK)
        goto fail;
    }
  r = 0;
  goto out;
fail:
  r = tar_fail (o, e->path, err);
out:
  archive_entry_free (ae);
  return r;
}

int
bld_diff_layer (struct img_store *s, const char *dir, const struct bld_diff_opts *opts, char **digest,
                int64_t *size, char **diff_id, bool *empty, struct hako_err **err)
{
  struct walk w = { .o = opts, .root = dir };
  struct out o = { 0 };
  struct link *links = NULL;
  size_t n_links = 0;
  int r = -1;

  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "diff: open `%s`", dir);
  if (collect (&w, fd, "", err) < 0)
    goto out;
  *empty = w.n == 0;
  if (w.n == 0)
    {
      r = 0;
      goto out;
    }
  if (img_ingest_open (s, NULL, -1, &o.g, err) < 0)
    goto out;
  o.hasher = img_hasher_new ("sha256");
  o.gz = archive_write_new ();
  archive_write_set_format_raw (o.gz);
  archive_write_add_filter_gzip (o.gz);
  archive_write_set_options (o.gz, "gzip:!timestamp");
  archive_write_set_bytes_per_block (o.gz, 0);
  struct archive_entry *raw = archive_entry_new ();
  archive_entry_set_filetype (raw, AE_IFREG);
  if (archive_write_open (o.gz, &o, NULL, gz_write, NULL) != ARCHIVE_OK
      || archive_write_header (o.gz, raw) != ARCHIVE_OK)
    {
      archive_entry_free (raw);
      hako_error (err, 0, "compress: %s", archive_error_string (o.gz));
      goto out;
    }
  archive_entry_free (raw);
  o.tar = archive_write_new ();
  archive_write_set_format_pax_restricted (o.tar);
  if (archive_write_open (o.tar, &o, NULL, tar_write, NULL) != ARCHIVE_OK)
    {
      tar_fail (&o, "tar", err);
      goto out;
    }
  for (size_t i = 0; i < w.n; i++)
    if (write_entry (&o, &w, &w.v[i], &links, &n_links, err) < 0)
      goto out;
  if (archive_write_close (o.tar) != ARCHIVE_OK)
    {
      tar_fail (&o, "tar", err);
      goto out;
    }
  if (archive_write_close (o.gz) != ARCHIVE_OK)
    {
      hako_error (err, 0, "compress: %s", archive_error_string (o.gz));
      goto out;
    }
  if (img_ingest_commit (o.g, digest, err) < 0)
    goto out;
  *diff_id = img_hasher_digest (o.hasher);
  *size = o.size;
  r = 0;
out:
  if (o.tar)
    archive_write_free (o.tar);
  if (o.gz)
    archive_write_free (o.gz);
  img_hasher_free (o.hasher);
  img_ingest_free (o.g);
  hako_error_free (&o.err);
  for (size_t i = 0; i < w.n; i++)
    free (w.v[i].path);
  free (w.v);
  for (size_t i = 0; i < n_links; i++)
    free (links[i].path);
  free (links);
  return r;
}
