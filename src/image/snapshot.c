/* SPDX-License-Identifier: Apache-2.0 */
/* Snapshots: an image's layers as a writable overlay mount (see snapshot.h). */
#include "snapshot.h"
#include "image.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool
img_snapshot_id_valid (const char *id)
{
  size_t n = id ? strlen (id) : 0;
  if (n == 0 || n > 128 || id[0] == '.' || id[0] == '-')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')
          || id[i] == '_' || id[i] == '.' || id[i] == '-'))
      return false;
  return true;
}

/* ---------- the overlay mount ---------- */

/* The kernel explains a refused fsconfig in the context's log ("e overlay:
   ..."): a better message than a bare EINVAL. */
static int
fs_error (int fsfd, int errno_, const char *what, struct hako_err **err)
{
  char buf[512];
  ssize_t n = fsfd >= 0 ? read (fsfd, buf, sizeof (buf) - 1) : -1;
  if (n > 2)
    {
      buf[n] = '\0';
      buf[strcspn (buf, "\n")] = '\0';
      return hako_error (err, errno_, "%s (%s)", what, buf + 2);
    }
  return hako_error (err, errno_, "%s", what);
}

/* fsconfig copies at most 255 bytes of a string value; a longer path (a
   deep storage root) goes as an O_PATH fd, which newer overlayfs accepts
   (checked on 6.18; an older kernel gives its own error). */
static int
set_path (int fsfd, const char *key, const char *path)
{
  if (strlen (path) < 256)
    return fsconfig (fsfd, FSCONFIG_SET_STRING, key, path, 0);
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  return fsconfig (fsfd, FSCONFIG_SET_FD, key, NULL, fd);
}

static int
mount_new_api (const char *const *lower, size_t n, const char *upper, const char *work, const char *merged,
               bool *unsupported, struct hako_err **err)
{
  cleanup_close int fsfd = fsopen ("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    {
      *unsupported = errno == ENOSYS;
      return hako_error (err, errno, "fsopen `overlay`");
    }
  for (size_t i = 0; i < n; i++)
    if (set_path (fsfd, "lowerdir+", lower[i]) < 0)
      {
        /* A kernel before 6.8 does not know "lowerdir+" at all. */
        int e = errno;
        *unsupported = i == 0 && e == EINVAL;
        cleanup_free char *what = xasprintf ("overlay: lowerdir+ `%s`", lower[i]);
        return fs_error (fsfd, e, what, err);
      }
  if (set_path (fsfd, "upperdir", upper) < 0)
    return fs_error (fsfd, errno, "overlay: upperdir", err);
  if (set_path (fsfd, "workdir", work) < 0)
    return fs_error (fsfd, errno, "overlay: workdir", err);
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_error (fsfd, errno, "overlay: create", err);
  cleanup_close int mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return fs_error (fsfd, errno, "overlay: fsmount", err);
  if (move_mount (mfd, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return hako_error (err, errno, "move_mount overlay on `%s`", merged);
  return 0;
}

/* ':' separates lower dirs and ',' options in the one-string form. */
static bool
plain_path (const char *p)
{
  return strpbrk (p, ":,\\") == NULL;
}

static int
mount_legacy (const char *const *lower, size_t n, const char *upper, const char *work, const char *merged,
              struct hako_err **err)
{
  long page = sysconf (_SC_PAGESIZE);
  size_t len = strlen ("lowerdir=,upperdir=,workdir=") + strlen (upper) + strlen (work) + 1;
  if (!plain_path (upper) || !plain_path (work))
    return hako_error (err, EINVAL, "overlay: `%s` has `:`, `,` or `\\` in its path", upper);
  for (size_t i = 0; i < n; i++)
    {
      if (!plain_path (lower[i]))
        return hako_error (err, EINVAL, "overlay: layer `%s` has `:`, `,` or `\\` in its path", lower[i]);
      len += strlen (lower[i]) + 1;
    }
  if (len > (size_t) page)
    return hako_error (
        err, E2BIG,
        "overlay: %zu layers need %zu bytes of mount options, beyond the kernel's limit of %ld "
        "(a kernel with \"lowerdir+\", Linux 6.8 or later, has no such limit)",
        n, len, page);
  cleanup_free char *data = xmalloc (len);
  char *p = stpcpy (data, "lowerdir=");
  for (size_t i = 0; i < n; i++)
    p = stpcpy (stpcpy (p, i ? ":" : ""), lower[i]);
  sprintf (p, ",upperdir=%s,workdir=%s", upper, work);
  if (mount ("overlay", merged, "overlay", 0, data) < 0)
    return hako_error (err, errno, "mount overlay on `%s`", merged);
  return 0;
}

int
img_overlay_mount (const char *const *lower, size_t n, const char *upper, const char *work,
                   const char *merged, struct hako_err **err)
{
  struct hako_err *first = NULL;
  bool unsupported = false;

  if (n == 0)
    return hako_error (err, EINVAL, "overlay: no layers");
  /* Tests take the pre-6.8 path on a newer kernel with this. */
  const char *force = getenv ("HAKO_TEST_OVERLAY_LEGACY");
  if (force && strcmp (force, "1") == 0)
    return mount_legacy (lower, n, upper, work, merged, err);
  if (mount_new_api (lower, n, upper, work, merged, &unsupported, &first) == 0)
    return 0;
  if (!unsupported)
    {
      *err = first;
      return -1;
    }
  hako_error_free (&first);
  return mount_legacy (lower, n, upper, work, merged, err);
}

/* ---------- snapshots in the store ---------- */

static char *
snapshot_dir (const struct img_store *s, const char *id)
{
  return xasprintf ("%s/snapshots/%s", s->root, id);
}

static bool
is_mounted (const char *dir, const char *merged)
{
  struct stat a, b;
  return stat (dir, &a) == 0 && stat (merged, &b) == 0 && a.st_dev != b.st_dev;
}

static char *
random_id (void)
{
  unsigned char r[8];
  char *id = xmalloc (2 * sizeof (r) + 1);
  if (getrandom (r, sizeof (r), 0) != (ssize_t) sizeof (r))
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      memcpy (r, &ts.tv_nsec, sizeof (r) < sizeof (ts.tv_nsec) ? sizeof (r) : sizeof (ts.tv_nsec));
      r[7] ^= (unsigned char) getpid ();
    }
  for (size_t i = 0; i < sizeof (r); i++)
    sprintf (id + 2 * i, "%02x", r[i]);
  return id;
}

static int
mkdirs (const char *dir, struct hako_err **err)
{
  static const char *const subs[] = { "upper", "work", "merged" };
  for (size_t i = 0; i < 3; i++)
    {
      cleanup_free char *p = hako_path_join (dir, subs[i]);
      if (mkdir (p, 0700) < 0)
        return hako_error (err, errno, "mkdir `%s`", p);
    }
  return 0;
}

/* The merged root shows the upper dir's owner and mode, so the upper dir
   takes the image's: a 0700 root would lock a non-root container user out
   of its own /. */
static int
upper_like_top (const char *upper, const char *top, struct hako_err **err)
{
  struct stat st;
  if (stat (top, &st) < 0)
    return hako_error (err, errno, "stat `%s`", top);
  if (chown (upper, st.st_uid, st.st_gid) < 0 || chmod (upper, st.st_mode & 07777) < 0)
    return hako_error (err, errno, "set the owner and mode of `%s`", upper);
  return 0;
}

/* With the store lock held (shared): the image's layers cannot be swept
   until the layers file names them. */
static int
create_locked (struct img_store *s, const struct img_image *img, const char *id, const char *dir,
               char **merged_out, struct hako_err **err)
{
  size_t n = img->m.n_layers;
  cleanup_free char *upper = hako_path_join (dir, "upper");
  cleanup_free char *work = hako_path_join (dir, "work");
  cleanup_free char *merged = hako_path_join (dir, "merged");
  cleanup_free char *layers_file = hako_path_join (dir, "layers");
  cleanup_free char *image_file = hako_path_join (dir, "image");
  cleanup_free char *list = NULL;
  size_t list_len = 0;
  char **lower = xzalloc ((n + 1) * sizeof (char *));
  int r = -1;

  for (size_t i = 0; i < n; i++)
    {
      const char *diff_id = img->c.diff_ids[n - 1 - i]; /* top first */
      if (!img_store_has_layer (s, diff_id))
        {
          hako_error (err, ENOENT, "layer %s is not unpacked (try `hako system check`)", diff_id);
          goto out;
        }
      cleanup_free char *layer = img_store_layer_path (s, diff_id);
      lower[i] = hako_path_join (layer, "diff");
      list = xrealloc (list, list_len + strlen (diff_id) + 2);
      list_len += (size_t) sprintf (list + list_len, "%s\n", diff_id);
    }
  if (mkdir (dir, 0700) < 0)
    {
      hako_error (err, errno, errno == EEXIST ? "snapshot `%s` already exists" : "mkdir snapshot `%s`", id);
      goto out;
    }
  if (hako_write_file_atomic (layers_file, list ? list : "", list_len, 0600, err) < 0
      || hako_write_file_atomic (image_file, img->m.config.digest, strlen (img->m.config.digest), 0600, err)
             < 0
      || mkdirs (dir, err) < 0 || upper_like_top (upper, lower[0], err) < 0
      || img_overlay_mount ((const char *const *) lower, n, upper, work, merged, err) < 0)
    {
      hako_rm_rf (dir, NULL);
      goto out;
    }
  if (merged_out)
    *merged_out = steal_ptr (&merged);
  r = 0;
out:
  for (size_t i = 0; i < n; i++)
    free (lower[i]);
  free (lower);
  return r;
}

int
img_snapshot_create (struct img_store *s, const char *query, const char *default_domain, const char *id,
                     char **id_out, char **merged_out, struct hako_err **err)
{
  struct img_image img;
  struct img_record rec;
  cleanup_free char *own_id = id ? xstrdup (id) : random_id ();

  if (!img_snapshot_id_valid (own_id))
    return hako_error (err, EINVAL, "invalid snapshot ID `%s` (letters, digits, `_.-`, at most 128)", own_id);
  cleanup_free char *parent = xasprintf ("%s/snapshots", s->root);
  if (mkdir (parent, 0700) < 0 && errno != EEXIST)
    return hako_error (err, errno, "mkdir `%s`", parent);
  cleanup_free char *dir = snapshot_dir (s, own_id);
  if (img_store_lock (s, false, err) < 0)
    return -1;
  int r = img_image_find (s, query, default_domain, &img, &rec, err);
  if (r == 0)
    {
      r = create_locked (s, &img, own_id, dir, merged_out, err);
      img_image_clear (&img);
      img_record_clear (&rec);
    }
  img_store_unlock (s);
  if (r < 0)
    return hako_error_prefix (err, "snapshot `%s`", own_id);
  if (id_out)
    *id_out = steal_ptr (&own_id);
  return 0;
}

int
img_snapshot_create_image (struct img_store *s, const struct img_image *img, const char *id,
                           char **merged_out, struct hako_err **err)
{
  if (!img_snapshot_id_valid (id))
    return hako_error (err, EINVAL, "invalid snapshot ID `%s` (letters, digits, `_.-`, at most 128)", id);
  cleanup_free char *parent = xasprintf ("%s/snapshots", s->root);
  if (mkdir (parent, 0700) < 0 && errno != EEXIST)
    return hako_error (err, errno, "mkdir `%s`", parent);
  cleanup_free char *dir = snapshot_dir (s, id);
  /* Under the lock the layers are checked present: a sweep since the
     caller loaded the image is an error, never a snapshot of nothing. */
  if (img_store_lock (s, false, err) < 0)
    return -1;
  int r = create_locked (s, img, id, dir, merged_out, err);
  img_store_unlock (s);
  return r < 0 ? hako_error_prefix (err, "snapshot `%s`", id) : 0;
}

int
img_snapshot_remove (struct img_store *s, const char *id, struct hako_err **err)
{
  if (!img_snapshot_id_valid (id))
    return hako_error (err, EINVAL, "invalid snapshot ID `%s`", id);
  cleanup_free char *dir = snapshot_dir (s, id);
  cleanup_free char *merged = hako_path_join (dir, "merged");
  struct stat st;
  if (lstat (dir, &st) < 0)
    return hako_error (err, errno, "snapshot `%s`", id);
  /* Stacked mounts (a second `mount` on the same ID by hand) all go;
     detached, not synced: what is below is deleted next. */
  while (is_mounted (dir, merged))
    if (umount2 (merged, UMOUNT_NOFOLLOW | MNT_DETACH) < 0)
      return hako_error (err, errno, "snapshot `%s`: umount `%s`", id, merged);
  if (hako_rm_rf (dir, err) < 0)
    return hako_error_prefix (err, "snapshot `%s`: remove", id);
  return 0;
}

int
img_snapshot_unmount (struct img_store *s, const char *id, struct hako_err **err)
{
  if (!img_snapshot_id_valid (id))
    return hako_error (err, EINVAL, "invalid snapshot ID `%s`", id);
  cleanup_free char *dir = snapshot_dir (s, id);
  cleanup_free char *merged = hako_path_join (dir, "merged");
  while (is_mounted (dir, merged))
    if (umount2 (merged, UMOUNT_NOFOLLOW) < 0)
      return hako_error (err, errno, "snapshot `%s`: umount `%s`", id, merged);
  return 0;
}

int
img_snapshot_mount (struct img_store *s, const char *id, char **merged_out, struct hako_err **err)
{
  if (!img_snapshot_id_valid (id))
    return hako_error (err, EINVAL, "invalid snapshot ID `%s`", id);
  cleanup_free char *dir = snapshot_dir (s, id);
  cleanup_free char *merged = hako_path_join (dir, "merged");
  cleanup_free char *upper = hako_path_join (dir, "upper");
  cleanup_free char *work = hako_path_join (dir, "work");
  cleanup_free char *layers_file = hako_path_join (dir, "layers");
  cleanup_free char *list = NULL;
  size_t len = 0;
  if (!is_mounted (dir, merged))
    {
      if (hako_read_file (layers_file, &list, &len, err) < 0)
        return hako_error_prefix (err, "snapshot `%s`", id);
      size_t n = 0;
      char **lower = NULL;
      char *save = NULL;
      for (char *d = strtok_r (list, "\n", &save); d; d = strtok_r (NULL, "\n", &save))
        {
          cleanup_free char *layer = img_store_layer_path (s, d);
          lower = xrealloc (lower, (n + 1) * sizeof (char *));
          lower[n++] = hako_path_join (layer, "diff");
        }
      int r = img_overlay_mount ((const char *const *) lower, n, upper, work, merged, err);
      for (size_t i = 0; i < n; i++)
        free (lower[i]);
      free (lower);
      if (r < 0)
        return hako_error_prefix (err, "snapshot `%s`", id);
    }
  if (merged_out)
    *merged_out = steal_ptr (&merged);
  return 0;
}

static char *
read_line_file (const char *dir, const char *name)
{
  cleanup_free char *p = hako_path_join (dir, name);
  char *buf = NULL;
  size_t len;
  if (hako_read_file (p, &buf, &len, NULL) < 0)
    return xstrdup ("");
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

int
img_snapshot_list (struct img_store *s, struct img_snapshot **out, size_t *n, struct hako_err **err)
{
  cleanup_free char *parent = xasprintf ("%s/snapshots", s->root);
  cleanup_dir DIR *d = opendir (parent);
  struct dirent *de;
  size_t cap = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : hako_error (err, errno, "open `%s`", parent);
  while ((de = readdir (d)))
    {
      if (!img_snapshot_id_valid (de->d_name))
        continue;
      if (*n == cap)
        *out = xrealloc (*out, (cap = cap ? cap * 2 : 8) * sizeof (**out));
      struct img_snapshot *e = &(*out)[(*n)++];
      cleanup_free char *dir = snapshot_dir (s, de->d_name);
      e->id = xstrdup (de->d_name);
      e->image = read_line_file (dir, "image");
      e->merged = hako_path_join (dir, "merged");
      e->mounted = is_mounted (dir, e->merged);
    }
  return 0;
}

void
img_snapshot_list_free (struct img_snapshot *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].id);
      free (v[i].image);
      free (v[i].merged);
    }
  free (v);
}

int
img_snapshot_for_each_layer (struct img_store *s, void (*add) (void *ctx, const char *diff_id), void *ctx,
                             struct hako_err **err)
{
  struct img_snapshot *v;
  size_t n;
  if (img_snapshot_list (s, &v, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *dir = snapshot_dir (s, v[i].id);
      cleanup_free char *p = hako_path_join (dir, "layers");
      cleanup_free char *buf = NULL;
      size_t len;
      if (hako_read_file (p, &buf, &len, NULL) < 0)
        continue; /* half-created: its creator still holds the lock */
      for (char *save = NULL, *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        add (ctx, line);
    }
  img_snapshot_list_free (v, n);
  return 0;
}
