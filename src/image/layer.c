/* SPDX-License-Identifier: Apache-2.0 */
/* Layer apply.  Two libarchive readers are chained: the outer one only
   decompresses (format "raw", every filter), the inner one reads tar from
   what the outer one yields.  Between them the uncompressed bytes are hashed,
   so the diff_id is checked in the same single pass as the unpack.

   Every entry is created relative to a directory fd reached by a walk that
   refuses symlinks (O_NOFOLLOW per component): a tar cannot plant a link and
   then write through it (the CVE-2018-15664 / "tar slip" family), and since
   nothing is ever resolved by path from "/", nothing lands outside. */
#include "layer.h"
#include "digest.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHAIN_BUF (1 << 17)
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define WH_META ".wh..wh."

struct chain
{
  struct archive *outer;
  struct img_hasher *hasher;
  uint64_t total, max;
  bool too_big, padded;
  char *buf;
};

/* Some writers (umoci 0.4's insert) end a layer without the last entry's
   block padding and without the two zero blocks that end a tar; Go's
   reader takes that, libarchive calls it truncated.  At the end of the real
   stream the tar reader is fed zeros up to the block boundary and the end
   marker.  They are neither hashed nor counted: the diff_id stays the
   digest of the bytes that were there. */
static la_ssize_t
chain_pad (struct chain *c, const void **out)
{
  size_t n = (size_t) ((512 - c->total % 512) % 512) + 1024;

  if (c->padded)
    return 0;
  c->padded = true;
  memset (c->buf, 0, n);
  *out = c->buf;
  return (la_ssize_t) n;
}

static la_ssize_t
chain_read (struct archive *inner, void *ctx, const void **out)
{
  struct chain *c = ctx;
  la_ssize_t n = archive_read_data (c->outer, c->buf, CHAIN_BUF);

  if (n < 0)
    {
      archive_set_error (inner, EIO, "decompress: %s", archive_error_string (c->outer));
      return -1;
    }
  if (n == 0)
    return chain_pad (c, out);
  c->total += (uint64_t) n;
  /* A decompression bomb stops here, whatever the tar headers claim. */
  if (c->total > c->max)
    {
      c->too_big = true;
      archive_set_error (inner, EFBIG, "layer expands beyond %llu bytes", (unsigned long long) c->max);
      return -1;
    }
  img_hasher_update (c->hasher, c->buf, (size_t) n);
  *out = c->buf;
  return n;
}

static int
chain_open (struct chain *c, int srcfd, uint64_t max, struct hako_err **err)
{
  struct archive_entry *e;

  memset (c, 0, sizeof (*c));
  c->max = max;
  c->buf = xmalloc (CHAIN_BUF);
  c->hasher = img_hasher_new ("sha256");
  c->outer = archive_read_new ();
  archive_read_support_filter_all (c->outer);
  archive_read_support_format_raw (c->outer);
  if (archive_read_open_fd (c->outer, srcfd, CHAIN_BUF) != ARCHIVE_OK)
    return hako_error (err, 0, "open layer: %s", archive_error_string (c->outer));
  int r = archive_read_next_header (c->outer, &e);
  if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
    return hako_error (err, 0, "open layer: %s", archive_error_string (c->outer));
  return 0;
}

/* The tar reader stops at the end-of-archive blocks; what follows (more
   zero padding) is still part of the diff_id. */
static int
chain_drain (struct chain *c, struct hako_err **err)
{
  for (;;)
    {
      la_ssize_t n = archive_read_data (c->outer, c->buf, CHAIN_BUF);
      if (n < 0)
        return hako_error (err, 0, "decompress: %s", archive_error_string (c->outer));
      if (n == 0)
        return 0;
      c->total += (uint64_t) n;
      img_hasher_update (c->hasher, c->buf, (size_t) n);
    }
}

static void
chain_close (struct chain *c)
{
  if (c->outer)
    archive_read_free (c->outer);
  img_hasher_free (c->hasher);
  free (c->buf);
}

/* ---------- names ---------- */

/* Clean a tar member name into components: refuse absolute names and "..";
   drop "." and empty components.  "" is the layer root itself. */
static int
clean_name (const char *name, char **out, struct hako_err **err)
{
  if (name == NULL)
    return hako_error (err, EINVAL, "entry with an unreadable name");
  /* "/" alone is the root (umoci writes it so); anything else absolute is
     an attempt to write outside, however the extractor would take it. */
  if (name[0] == '/' && name[strspn (name, "/")] != '\0')
    return hako_error (err, 0, "entry `%s`: absolute name", name);
  char *res = xzalloc (strlen (name) + 1);
  size_t len = 0;
  for (const char *p = name; *p;)
    {
      size_t n = strcspn (p, "/");
      if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          free (res);
          return hako_error (err, 0, "entry `%s`: `..` in name", name);
        }
      if (n > NAME_MAX)
        {
          free (res);
          return hako_error (err, ENAMETOOLONG, "entry `%s`: component too long", name);
        }
      if (n > 0 && !(n == 1 && p[0] == '.'))
        {
          if (len)
            res[len++] = '/';
          memcpy (res + len, p, n);
          len += n;
        }
      p += n;
      while (*p == '/')
        p++;
    }
  res[len] = '\0';
  *out = res;
  return 0;
}

/* Walk `dir` (a clean relative path) below rootfd without following any
   symlink, creating missing directories when `create`.  Returns an
   O_PATH|O_DIRECTORY fd. */
static int
walk_dir (int rootfd, const char *dir, bool create, const char *entry, struct hako_err **err)
{
  int cur = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
  cleanup_free char *copy = xstrdup (dir);
  char *save = NULL;

  for (char *c = strtok_r (copy, "/", &save); cur >= 0 && c; c = strtok_r (NULL, "/", &save))
    {
      int next = openat (cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (cur, c, 0755) < 0 && errno != EEXIST)
            {
              int saved = errno;
              close (cur);
              return hako_error (err, saved, "entry `%s`: mkdir `%s`", entry, c);
            }
          next = openat (cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (next < 0)
        {
          int saved = errno;
          struct stat st;
          bool link = fstatat (cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode);
          close (cur);
          if (link || saved == ELOOP)
            return hako_error (err, 0, "entry `%s`: refusing to go through symlink `%s`", entry, c);
          return hako_error (err, saved, "entry `%s`: open `%s`", entry, c);
        }
      close (cur);
      cur = next;
    }
  if (cur < 0)
    return hako_error (err, errno, "entry `%s`", entry);
  return cur;
}

static void
split_name (const char *clean, char **dir, const char **base)
{
  const char *slash = strrchr (clean, '/');
  *dir = slash ? xasprintf ("%.*s", (int) (slash - clean), clean) : xstrdup ("");
  *base = slash ? slash + 1 : clean;
}

/* ---------- one entry ---------- */

struct apply
{
  int rootfd;
  const struct img_apply_opts *o;
  struct archive *ar;
  uint64_t written;
  uint64_t max;
  /* directories get their times last: creating children would change them */
  struct dirtime
  {
    char *path;
    struct timespec ts[2];
  } * dirs;
  size_t n_dirs;
  bool warned_xattr;
};

/* Make room for a new entry at parent/base: a later entry replaces an
   earlier one, except that a directory over a directory merges. */
static int
clear_slot (int parent, const char *base, bool new_is_dir, const char *entry, struct hako_err **err)
{
  struct stat st;

  if (fstatat (parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : hako_error (err, errno, "entry `%s`: stat", entry);
  if (S_ISDIR (st.st_mode))
    {
      if (new_is_dir)
        return 1;
      char buf[HAKO_FD_PATH_MAX];
      cleanup_free char *p = hako_path_join (hako_fd_path (parent, buf), base);
      return hako_rm_rf (p, err) < 0 ? hako_error_prefix (err, "entry `%s`", entry) : 0;
    }
  if (unlinkat (parent, base, 0) < 0 && errno != ENOENT)
    return hako_error (err, errno, "entry `%s`: replace", entry);
  return 0;
}

static void
set_times_later (struct apply *a, const char *path, struct archive_entry *e)
{
  a->dirs = xrealloc (a->dirs, (a->n_dirs + 1) * sizeof (*a->dirs));
  a->dirs[a->n_dirs].path = xstrdup (path);
  a->dirs[a->n_dirs].ts[0] = (struct timespec){ archive_entry_atime (e), archive_entry_atime_nsec (e) };
  a->dirs[a->n_dirs].ts[1] = (struct timespec){ archive_entry_mtime (e), archive_entry_mtime_nsec (e) };
  if (!archive_entry_atime_is_set (e))
    a->dirs[a->n_dirs].ts[0] = a->dirs[a->n_dirs].ts[1];
  a->n_dirs++;
}

static int
apply_xattrs (struct apply *a, int parent, const char *base, struct archive_entry *e, const char *entry,
              struct hako_err **err)
{
  const char *name;
  const void *value;
  size_t size;
  char buf[HAKO_FD_PATH_MAX];
  cleanup_free char *p = hako_path_join (hako_fd_path (parent, buf), base);

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (lsetxattr (p, name, value, size, 0) == 0)
        continue;
      /* A filesystem without user xattrs, or an unprivileged unpack of a
         trusted.* one: warn, the files themselves are still right. */
      if (errno == ENOTSUP || errno == EPERM)
        {
          if (!a->warned_xattr)
            log_warn ("entry `%s`: xattr `%s` not set: %s", entry, name, strerror (errno));
          a->warned_xattr = true;
          continue;
        }
      return hako_error (err, errno, "entry `%s`: set xattr `%s`", entry, name);
    }
  return 0;
}

/* Owner, then mode (chown clears set-id bits), then xattrs (chown clears
   security.capability), then times. */
static int
apply_meta (struct apply *a, int parent, const char *base, const char *clean, struct archive_entry *e,
            struct hako_err **err)
{
  mode_t type = archive_entry_filetype (e);
  bool is_link = type == AE_IFLNK;

  if (a->o->ownership
      && fchownat (parent, base, (uid_t) archive_entry_uid (e), (gid_t) archive_entry_gid (e),
                   AT_SYMLINK_NOFOLLOW)
             < 0
      && !(errno == EPERM && geteuid () != 0))
    return hako_error (err, errno, "entry `%s`: chown", clean);
  if (!is_link && fchmodat (parent, base, archive_entry_perm (e) & 07777, 0) < 0)
    return hako_error (err, errno, "entry `%s`: chmod", clean);
  if (apply_xattrs (a, parent, base, e, clean, err) < 0)
    return -1;
  if (type == AE_IFDIR)
    {
      set_times_later (a, clean, e);
      return 0;
    }
  struct timespec ts[2] = { { archive_entry_mtime (e), archive_entry_mtime_nsec (e) },
                            { archive_entry_mtime (e), archive_entry_mtime_nsec (e) } };
  if (archive_entry_atime_is_set (e))
    ts[0] = (struct timespec){ archive_entry_atime (e), archive_entry_atime_nsec (e) };
  if (utimensat (parent, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return hako_error (err, errno, "entry `%s`: set times", clean);
  return 0;
}

static int
write_data (struct apply *a, int fd, struct archive_entry *e, const char *clean, struct hako_err **err)
{
  const void *buf;
  size_t len;
  la_int64_t off;

  for (;;)
    {
      int r = archive_read_data_block (a->ar, &buf, &len, &off);
      if (r == ARCHIVE_EOF)
        break;
      if (r != ARCHIVE_OK)
        return hako_error (err, archive_errno (a->ar) > 0 ? archive_errno (a->ar) : 0, "entry `%s`: %s",
                           clean, archive_error_string (a->ar));
      const char *p = buf;
      while (len > 0)
        {
          ssize_t w = pwrite (fd, p, len, (off_t) off);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return hako_error (err, errno, "entry `%s`: write", clean);
          p += w;
          off += w;
          len -= (size_t) w;
        }
    }
  /* sparse files: the tail hole is not in any block */
  if (ftruncate (fd, archive_entry_size (e)) < 0)
    return hako_error (err, errno, "entry `%s`: truncate", clean);
  return 0;
}

static int
make_hardlink (struct apply *a, int parent, const char *base, const char *target, const char *clean,
               struct hako_err **err)
{
  cleanup_free char *tclean = NULL;
  cleanup_free char *tdir = NULL;
  const char *tbase;

  if (clean_name (target, &tclean, err) < 0)
    return hako_error_prefix (err, "entry `%s`: hard link", clean);
  if (*tclean == '\0')
    return hako_error (err, EPERM, "entry `%s`: hard link to the layer root", clean);
  split_name (tclean, &tdir, &tbase);
  cleanup_close int tparent = walk_dir (a->rootfd, tdir, false, clean, err);
  if (tparent < 0)
    return -1;
  /* No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself. */
  if (linkat (tparent, tbase, parent, base, 0) < 0)
    return hako_error (err, errno, "entry `%s`: hard link to `%s`", clean, tclean);
  return 0;
}

static int
make_node (struct apply *a, int parent, const char *base, struct archive_entry *e, const char *clean,
           struct hako_err **err)
{
  mode_t type = archive_entry_filetype (e);

  switch (type)
    {
    case AE_IFREG:
      {
        cleanup_close int fd
            = openat (parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
          return hako_error (err, errno, "entry `%s`: create", clean);
        return write_data (a, fd, e, clean, err);
      }
    case AE_IFDIR:
      if (mkdirat (parent, base, 0700) < 0 && errno != EEXIST)
        return hako_error (err, errno, "entry `%s`: mkdir", clean);
      return 0;
    case AE_IFLNK:
      if (symlinkat (archive_entry_symlink (e) ? archive_entry_symlink (e) : "", parent, base) < 0)
        return hako_error (err, errno, "entry `%s`: symlink", clean);
      return 0;
    case AE_IFCHR:
    case AE_IFBLK:
      if (!a->o->devices)
        return hako_error (err, EPERM, "entry `%s`: device nodes are not allowed here", clean);
      /* fall through */
    case AE_IFIFO:
      if (mknodat (parent, base, type | 0600,
                   makedev (archive_entry_rdevmajor (e), archive_entry_rdevminor (e)))
          < 0)
        return hako_error (err, errno, "entry `%s`: mknod", clean);
      return 0;
    default:
      return hako_error (err, EINVAL, "entry `%s`: unsupported file type 0%o", clean, (unsigned) type);
    }
}

/* OCI whiteouts in overlayfs form.  Returns 1 when the entry was one. */
static int
apply_whiteout (struct apply *a, int parent, const char *base, const char *clean, struct hako_err **err)
{
  if (strncmp (base, WH_PREFIX, strlen (WH_PREFIX)) != 0)
    return 0;
  if (strcmp (base, WH_OPAQUE) == 0)
    {
      char buf[HAKO_FD_PATH_MAX];
      if (setxattr (hako_fd_path (parent, buf), "trusted.overlay.opaque", "y", 1, 0) < 0)
        return hako_error (err, errno, "entry `%s`: mark directory opaque", clean);
      return 1;
    }
  if (strncmp (base, WH_META, strlen (WH_META)) == 0)
    return 1; /* aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content */
  const char *name = base + strlen (WH_PREFIX);
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return hako_error (err, EPERM, "entry `%s`: invalid whiteout", clean);
  if (clear_slot (parent, name, false, clean, err) < 0)
    return -1;
  if (mknodat (parent, name, S_IFCHR | 0, makedev (0, 0)) < 0)
    return hako_error (err, errno, "entry `%s`: create whiteout", clean);
  if (fchownat (parent, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 && geteuid () == 0)
    return hako_error (err, errno, "entry `%s`: chown whiteout", clean);
  return 1;
}

static int
apply_entry (struct apply *a, struct archive_entry *e, struct hako_err **err)
{
  cleanup_free char *clean = NULL;
  cleanup_free char *dir = NULL;
  const char *base;
  const char *hardlink = archive_entry_hardlink (e);
  bool is_dir = archive_entry_filetype (e) == AE_IFDIR && hardlink == NULL;

  if (clean_name (archive_entry_pathname (e), &clean, err) < 0)
    return -1;
  la_int64_t size = archive_entry_size_is_set (e) ? archive_entry_size (e) : 0;
  if (size < 0 || (uint64_t) size > a->max - a->written)
    return hako_error (err, 0, "entry `%s`: size %lld is beyond the layer limit of %llu bytes", clean,
                       (long long) size, (unsigned long long) a->max);
  a->written += (uint64_t) size;
  if (*clean == '\0')
    {
      if (!is_dir)
        return hako_error (err, EPERM, "entry `%s`: the layer root must be a directory",
                           archive_entry_pathname (e));
      return apply_meta (a, a->rootfd, ".", "", e, err);
    }
  split_name (clean, &dir, &base);
  cleanup_close int parent = walk_dir (a->rootfd, dir, true, clean, err);
  if (parent < 0)
    return -1;
  if (a->o->whiteouts)
    {
      int r = apply_whiteout (a, parent, base, clean, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  int existed = clear_slot (parent, base, is_dir, clean, err);
  if (existed < 0)
    return -1;
  if (hardlink)
    return make_hardlink (a, parent, base, hardlink, clean, err);
  if (existed == 0 && make_node (a, parent, base, e, clean, err) < 0)
    return -1;
  return apply_meta (a, parent, base, clean, e, err);
}

static void
finish_dir_times (struct apply *a)
{
  for (size_t i = a->n_dirs; i-- > 0;)
    {
      struct hako_err *ignored = NULL;
      cleanup_free char *d = NULL;
      const char *base;
      split_name (a->dirs[i].path, &d, &base);
      int parent = *a->dirs[i].path ? walk_dir (a->rootfd, d, false, a->dirs[i].path, &ignored) : -1;
      if (*a->dirs[i].path == '\0')
        utimensat (a->rootfd, ".", a->dirs[i].ts, 0);
      else if (parent >= 0)
        utimensat (parent, base, a->dirs[i].ts, AT_SYMLINK_NOFOLLOW);
      if (parent >= 0)
        close (parent);
      hako_error_free (&ignored);
      free (a->dirs[i].path);
    }
  free (a->dirs);
  a->dirs = NULL;
  a->n_dirs = 0;
}

static int
apply_all (struct apply *a, struct hako_err **err)
{
  struct archive_entry *e;

  for (;;)
    {
      int r = archive_read_next_header (a->ar, &e);
      if (r == ARCHIVE_EOF)
        return 0;
      if (r == ARCHIVE_WARN)
        log_debug ("layer: %s", archive_error_string (a->ar));
      else if (r != ARCHIVE_OK)
        return hako_error (err, archive_errno (a->ar) > 0 ? archive_errno (a->ar) : 0, "read layer: %s",
                           archive_error_string (a->ar));
      if (apply_entry (a, e, err) < 0)
        return -1;
    }
}

int
img_layer_apply (int srcfd, int destfd, const struct img_apply_opts *opts, char **diff_id, uint64_t *size,
                 struct hako_err **err)
{
  struct chain c;
  struct apply a = { .rootfd = destfd, .o = opts };
  int r = -1;

  a.max = opts->max_bytes ? opts->max_bytes : IMG_LAYER_MAX_BYTES;
  if (chain_open (&c, srcfd, a.max + (a.max >> 4) + (1 << 20), err) < 0)
    goto out;
  a.ar = archive_read_new ();
  archive_read_support_format_tar (a.ar);
  archive_read_support_format_gnutar (a.ar);
  if (archive_read_open (a.ar, &c, NULL, chain_read, NULL) != ARCHIVE_OK)
    {
      hako_error (err, 0, "read layer: %s", archive_error_string (a.ar));
      goto out;
    }
  if (apply_all (&a, err) < 0 || chain_drain (&c, err) < 0)
    goto out;
  if (diff_id)
    *diff_id = img_hasher_digest (c.hasher);
  if (size)
    *size = c.total;
  r = 0;
out:
  finish_dir_times (&a);
  if (a.ar)
    archive_read_free (a.ar);
  chain_close (&c);
  return r;
}

int
img_layer_decompress (int srcfd, int (*sink) (void *ctx, const void *buf, size_t len, struct hako_err **err),
                      void *ctx, char **diff_id, struct hako_err **err)
{
  struct chain c;
  int r = -1;

  if (chain_open (&c, srcfd, UINT64_MAX, err) < 0)
    goto out;
  for (;;)
    {
      la_ssize_t n = archive_read_data (c.outer, c.buf, CHAIN_BUF);
      if (n < 0)
        {
          hako_error (err, 0, "decompress: %s", archive_error_string (c.outer));
          goto out;
        }
      if (n == 0)
        break;
      img_hasher_update (c.hasher, c.buf, (size_t) n);
      if (sink && sink (ctx, c.buf, (size_t) n, err) < 0)
        goto out;
    }
  if (diff_id)
    *diff_id = img_hasher_digest (c.hasher);
  r = 0;
out:
  chain_close (&c);
  return r;
}

int
img_layer_unpack (struct img_store *s, const char *digest, const char *diff_id, struct hako_err **err)
{
  struct img_apply_opts opts = { .whiteouts = true, .ownership = true, .devices = true };
  cleanup_free char *got = NULL;
  cleanup_free char *final = img_store_layer_path (s, diff_id);
  uint64_t size = 0;

  if (img_store_has_layer (s, diff_id))
    return 0;
  cleanup_free char *tmp = img_store_mkdtemp (s, "layer", err);
  if (tmp == NULL)
    return -1;
  cleanup_free char *diff = hako_path_join (tmp, "diff");
  cleanup_close int blobfd = img_store_open_blob (s, digest, err);
  int r = blobfd < 0 || mkdir (diff, 0755) < 0 ? -1 : 0;
  if (r == 0)
    {
      cleanup_close int dfd = open (diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      r = dfd < 0 ? hako_error (err, errno, "open `%s`", diff)
                  : img_layer_apply (blobfd, dfd, &opts, &got, &size, err);
      /* The layer is renamed into place only once it is on disk: a crash
         must not leave a half-written layer under its final name. */
      if (r == 0 && syncfs (dfd) < 0)
        r = hako_error (err, errno, "sync `%s`", diff);
    }
  else if (blobfd >= 0)
    hako_error (err, errno, "mkdir `%s`", diff);
  if (r == 0 && strcmp (got, diff_id) != 0)
    r = hako_error (err, 0, "layer %s: diff_id mismatch: the config says %s, the content is %s", digest,
                    diff_id, got);
  if (r == 0)
    {
      cleanup_free char *sz = xasprintf ("%llu\n", (unsigned long long) size);
      cleanup_free char *szpath = hako_path_join (tmp, "size");
      r = hako_write_file_atomic (szpath, sz, strlen (sz), 0600, err);
    }
  if (r == 0 && rename (tmp, final) < 0 && !img_store_has_layer (s, diff_id))
    r = hako_error (err, errno, "rename `%s` to `%s`", tmp, final);
  hako_rm_rf (tmp, NULL);
  if (r < 0)
    return hako_error_prefix (err, "unpack layer %.19s", digest);
  return 0;
}

int64_t
img_layer_size (struct img_store *s, const char *diff_id)
{
  cleanup_free char *dir = img_store_layer_path (s, diff_id);
  cleanup_free char *p = hako_path_join (dir, "size");
  cleanup_free char *text = NULL;
  if (hako_read_file (p, &text, NULL, NULL) < 0)
    return -1;
  return strtoll (text, NULL, 10);
}
