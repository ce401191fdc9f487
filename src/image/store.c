/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"
#include "digest.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_CHUNK (1 << 17)

char *
img_store_default_root (void)
{
  const char *env = getenv ("HAKO_STORAGE");
  if (env && *env)
    return xstrdup (env);
  if (geteuid () == 0)
    return xstrdup ("/var/lib/hako");
  const char *xdg = getenv ("XDG_DATA_HOME");
  if (xdg && *xdg)
    return xasprintf ("%s/hako", xdg);
  const char *home = getenv ("HOME");
  return xasprintf ("%s/.local/share/hako", home ? home : "/tmp");
}

int
img_store_open (const char *root, struct img_store **out, struct hako_err **err)
{
  static const char *const dirs[]
      = { "blobs/sha256", "blobs/sha512", "ingest", "layers/sha256", "layers/sha512", "tmp" };

  if (hako_mkdir_p (root, 0700, err) < 0)
    return hako_error_prefix (err, "storage `%s`", root);
  for (size_t i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    {
      cleanup_free char *p = hako_path_join (root, dirs[i]);
      if (hako_mkdir_p (p, 0700, err) < 0)
        return hako_error_prefix (err, "storage `%s`", root);
    }
  int fd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "open storage `%s`", root);
  struct img_store *s = xzalloc (sizeof (*s));
  s->root = xstrdup (root);
  s->rootfd = fd;
  s->gc_lock_fd = -1;
  *out = s;
  return 0;
}

void
img_store_free (struct img_store *s)
{
  if (s == NULL)
    return;
  img_store_unlock (s);
  close (s->rootfd);
  free (s->root);
  free (s);
}

int
img_store_lock (struct img_store *s, bool exclusive, struct hako_err **err)
{
  img_store_unlock (s);
  int fd = openat (s->rootfd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error (err, errno, "open `%s/gc.lock`", s->root);
  while (flock (fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      {
        int saved = errno;
        close (fd);
        return hako_error (err, saved, "lock `%s/gc.lock`", s->root);
      }
  s->gc_lock_fd = fd;
  return 0;
}

void
img_store_unlock (struct img_store *s)
{
  if (s->gc_lock_fd >= 0)
    close (s->gc_lock_fd);
  s->gc_lock_fd = -1;
}

char *
img_store_blob_path (const struct img_store *s, const char *digest)
{
  cleanup_free char *alg = img_digest_alg (digest);
  return xasprintf ("%s/blobs/%s/%s", s->root, alg, img_digest_hex (digest));
}

bool
img_store_has_blob (const struct img_store *s, const char *digest)
{
  if (!img_digest_valid (digest))
    return false;
  cleanup_free char *p = img_store_blob_path (s, digest);
  return access (p, F_OK) == 0;
}

int
img_store_open_blob (const struct img_store *s, const char *digest, struct hako_err **err)
{
  if (img_digest_validate (digest, err) < 0)
    return -1;
  cleanup_free char *p = img_store_blob_path (s, digest);
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "blob %s", digest);
  return fd;
}

int
img_store_read_blob (const struct img_store *s, const char *digest, size_t max, char **buf, size_t *len,
                     struct hako_err **err)
{
  cleanup_close int fd = img_store_open_blob (s, digest, err);
  cleanup_free char *data = NULL;
  size_t n;
  struct stat st;

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return hako_error (err, errno, "blob %s", digest);
  if ((uint64_t) st.st_size > max)
    return hako_error (err, EFBIG, "blob %s: %lld bytes, more than %zu", digest, (long long) st.st_size, max);
  if (hako_read_fd (fd, &data, &n, err) < 0)
    return hako_error_prefix (err, "blob %s", digest);
  /* Cheap for the small blobs read this way, and it means a bit flip on
     disk is caught before the bytes are trusted. */
  if (img_digest_verify_buf (digest, data, n, err) < 0)
    return hako_error_prefix (err, "blob %s", digest);
  *buf = steal_pointer (&data);
  if (len)
    *len = n;
  return 0;
}

int
img_store_remove_blob (struct img_store *s, const char *digest, struct hako_err **err)
{
  cleanup_free char *p = img_store_blob_path (s, digest);
  if (unlink (p) < 0 && errno != ENOENT)
    return hako_error (err, errno, "remove blob %s", digest);
  return 0;
}

char *
img_store_layer_path (const struct img_store *s, const char *diff_id)
{
  cleanup_free char *alg = img_digest_alg (diff_id);
  return xasprintf ("%s/layers/%s/%s", s->root, alg, img_digest_hex (diff_id));
}

bool
img_store_has_layer (const struct img_store *s, const char *diff_id)
{
  if (!img_digest_valid (diff_id))
    return false;
  cleanup_free char *p = img_store_layer_path (s, diff_id);
  return access (p, F_OK) == 0;
}

char *
img_store_mkdtemp (struct img_store *s, const char *what, struct hako_err **err)
{
  char *p = xasprintf ("%s/tmp/%s-XXXXXX", s->root, what);
  if (mkdtemp (p) == NULL)
    {
      hako_error (err, errno, "create temporary directory in `%s/tmp`", s->root);
      free (p);
      return NULL;
    }
  return p;
}

/* ---------- ingest ---------- */

struct img_ingest
{
  struct img_store *store;
  char *expected;
  int64_t size; /* -1: unknown */
  char *path;   /* partial or temp file */
  bool anonymous;
  bool already;
  int fd;
  uint64_t offset;
  struct img_hasher *hasher;
};

void
img_ingest_free (struct img_ingest *g)
{
  if (g == NULL)
    return;
  if (g->fd >= 0)
    close (g->fd);
  if (g->anonymous && g->path)
    unlink (g->path);
  img_hasher_free (g->hasher);
  free (g->expected);
  free (g->path);
  free (g);
}

/* Open and lock the partial file, making sure the name still refers to the
   inode we locked: a process that held the lock before us may have renamed
   its file into blobs/, and writing to that inode would corrupt the blob. */
static int
open_partial_locked (const char *path, struct hako_err **err)
{
  for (;;)
    {
      int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      struct stat a, b;
      if (fd < 0)
        return hako_error (err, errno, "open `%s`", path);
      while (flock (fd, LOCK_EX) < 0)
        if (errno != EINTR)
          {
            close (fd);
            return hako_error (err, errno, "lock `%s`", path);
          }
      if (fstat (fd, &a) == 0 && stat (path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        return fd;
      close (fd);
    }
}

/* Hash what a previous (killed) run left, so the download can go on with a
   Range request; a partial larger than the blob is garbage: start over. */
static int
ingest_resume (struct img_ingest *g, struct hako_err **err)
{
  cleanup_free char *buf = xmalloc (IO_CHUNK);
  struct stat st;

  if (fstat (g->fd, &st) < 0)
    return hako_error (err, errno, "stat `%s`", g->path);
  if (g->size >= 0 && st.st_size > g->size)
    return img_ingest_restart (g, err);
  for (;;)
    {
      ssize_t r = pread (g->fd, buf, IO_CHUNK, (off_t) g->offset);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return hako_error (err, errno, "read `%s`", g->path);
      if (r == 0)
        return 0;
      img_hasher_update (g->hasher, buf, (size_t) r);
      g->offset += (uint64_t) r;
    }
}

int
img_ingest_open (struct img_store *s, const char *expected, int64_t size, struct img_ingest **out,
                 struct hako_err **err)
{
  struct img_ingest *g = xzalloc (sizeof (*g));
  cleanup_free char *alg = expected ? img_digest_alg (expected) : xstrdup ("sha256");

  g->store = s;
  g->size = size;
  g->fd = -1;
  if (expected && img_digest_validate (expected, err) < 0)
    goto fail;
  g->hasher = img_hasher_new (alg);
  if (expected == NULL)
    {
      g->anonymous = true;
      g->path = xasprintf ("%s/tmp/blob-XXXXXX", s->root);
      g->fd = mkostemp (g->path, O_CLOEXEC);
      if (g->fd < 0)
        {
          hako_error (err, errno, "create `%s`", g->path);
          goto fail;
        }
      *out = g;
      return 0;
    }
  g->expected = xstrdup (expected);
  g->path = xasprintf ("%s/ingest/%s-%s", s->root, alg, img_digest_hex (expected));
  g->fd = open_partial_locked (g->path, err);
  if (g->fd < 0)
    goto fail;
  if (img_store_has_blob (s, expected))
    {
      g->already = true;
      unlink (g->path);
      *out = g;
      return 0;
    }
  if (ingest_resume (g, err) < 0)
    goto fail;
  *out = g;
  return 0;

fail:
  img_ingest_free (g);
  return -1;
}

bool
img_ingest_already (const struct img_ingest *g)
{
  return g->already;
}

uint64_t
img_ingest_offset (const struct img_ingest *g)
{
  return g->offset;
}

int
img_ingest_restart (struct img_ingest *g, struct hako_err **err)
{
  cleanup_free char *alg = g->expected ? img_digest_alg (g->expected) : xstrdup ("sha256");

  if (ftruncate (g->fd, 0) < 0)
    return hako_error (err, errno, "truncate `%s`", g->path);
  img_hasher_free (g->hasher);
  g->hasher = img_hasher_new (alg);
  g->offset = 0;
  return 0;
}

int
img_ingest_write (struct img_ingest *g, const void *buf, size_t len, struct hako_err **err)
{
  /* A registry (or a man in the middle) that sends more than the manifest
     promised is cut off here, not after it filled the disk. */
  if (g->size >= 0 && g->offset + len > (uint64_t) g->size)
    return hako_error (err, EFBIG, "blob %s: more data than the %lld bytes expected",
                       g->expected ? g->expected : "", (long long) g->size);
  const char *p = buf;
  size_t left = len;
  while (left > 0)
    {
      ssize_t r = pwrite (g->fd, p, left, (off_t) (g->offset + (len - left)));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return hako_error (err, errno, "write `%s`", g->path);
      p += r;
      left -= (size_t) r;
    }
  img_hasher_update (g->hasher, buf, len);
  g->offset += len;
  return 0;
}

static int
fsync_dir_of (const char *path)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash)
    *slash = '\0';
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -1 : fsync (fd);
}

int
img_ingest_commit (struct img_ingest *g, char **digest_out, struct hako_err **err)
{
  if (g->already)
    {
      if (digest_out)
        *digest_out = xstrdup (g->expected);
      return 0;
    }
  cleanup_free char *got = img_hasher_digest (g->hasher);
  if (g->size >= 0 && g->offset != (uint64_t) g->size)
    return hako_error (err, 0, "blob %s: got %llu bytes, expected %lld", g->expected ? g->expected : got,
                       (unsigned long long) g->offset, (long long) g->size);
  if (g->expected && strcmp (got, g->expected) != 0)
    {
      /* Corrupt: resuming from it would only fail again. */
      unlink (g->path);
      return hako_error (err, 0, "blob digest mismatch: expected %s, got %s", g->expected, got);
    }
  cleanup_free char *dest = img_store_blob_path (g->store, got);
  if (fchmod (g->fd, 0444) < 0 || fsync (g->fd) < 0)
    return hako_error (err, errno, "sync `%s`", g->path);
  if (rename (g->path, dest) < 0)
    return hako_error (err, errno, "rename `%s` to `%s`", g->path, dest);
  free (g->path);
  g->path = NULL;
  if (fsync_dir_of (dest) < 0)
    return hako_error (err, errno, "sync directory of `%s`", dest);
  if (digest_out)
    *digest_out = steal_pointer (&got);
  return 0;
}

int
img_store_put_blob (struct img_store *s, const char *expected, const void *buf, size_t len, char **digest_out,
                    struct hako_err **err)
{
  struct img_ingest *g = NULL;
  cleanup_free char *digest = expected ? xstrdup (expected) : img_digest_buf ("sha256", buf, len);

  if (img_store_has_blob (s, digest))
    {
      if (expected && img_digest_verify_buf (expected, buf, len, err) < 0)
        return -1;
      if (digest_out)
        *digest_out = steal_pointer (&digest);
      return 0;
    }
  if (img_ingest_open (s, digest, (int64_t) len, &g, err) < 0)
    return -1;
  int r = 0;
  if (!img_ingest_already (g))
    {
      r = img_ingest_restart (g, err);
      if (r == 0)
        r = img_ingest_write (g, buf, len, err);
    }
  if (r == 0)
    r = img_ingest_commit (g, NULL, err);
  img_ingest_free (g);
  if (r == 0 && digest_out)
    *digest_out = steal_pointer (&digest);
  return r;
}
