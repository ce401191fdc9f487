/* SPDX-License-Identifier: Apache-2.0 */
/* system df and the prunes. */
#include "system.h"
#include "internal.h"
#include "volume.h"
#include "../image/image.h"
#include "../image/layer.h"
#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- sizes ---- */

struct inode_set
{
  struct
  {
    dev_t dev;
    ino_t ino;
  } * v;
  size_t n;
};

static bool
inode_seen (struct inode_set *s, const struct stat *st)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
      return true;
  s->v = xrealloc (s->v, (s->n + 1) * sizeof (*s->v));
  s->v[s->n].dev = st->st_dev;
  s->v[s->n].ino = st->st_ino;
  s->n++;
  return false;
}

static uint64_t
size_at (int at, dev_t dev, struct inode_set *links, int depth)
{
  uint64_t total = 0;
  int fd = openat (at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  cleanup_dir DIR *d = fdopendir (fd);
  if (!d)
    {
      close (fd);
      return 0;
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
          || fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (st.st_dev != dev || depth > 256)
            continue; /* another mount (or absurdly deep): not ours to count */
          int sub = openat (dirfd (d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub >= 0)
            {
              total += size_at (sub, dev, links, depth + 1);
              close (sub);
            }
          continue;
        }
      if (st.st_nlink > 1 && inode_seen (links, &st))
        continue;
      total += (uint64_t) st.st_size;
    }
  return total;
}

uint64_t
eng_dir_size (const char *path)
{
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return 0;
  struct inode_set links = { 0 };
  uint64_t n = size_at (fd, st.st_dev, &links, 0);
  free (links.v);
  return n;
}

uint64_t
eng_ctr_size (const struct eng_ctx *e, const struct eng_ctr *c)
{
  cleanup_free char *upper = xasprintf ("%s/snapshots/%s/upper", e->storage, c->id);
  return eng_dir_size (upper);
}

static uint64_t
store_size (const struct eng_ctx *e)
{
  cleanup_free char *blobs = hako_path_join (e->storage, "blobs");
  cleanup_free char *layers = hako_path_join (e->storage, "layers");
  return eng_dir_size (blobs) + eng_dir_size (layers);
}

/* ---- who uses what ---- */

/* Image IDs and volume names that containers use, as sets (objects). */
static int
usage (const struct eng_ctx *e, json_t **images, json_t **volumes, struct hako_err **err)
{
  struct eng_ctr **v = NULL;
  size_t n = 0;
  if (eng_ctr_list (e, &v, &n, err) < 0)
    return -1;
  *images = json_object ();
  if (volumes)
    *volumes = json_object ();
  for (size_t i = 0; i < n; i++)
    {
      const char *img = json_string_value (json_object_get (v[i]->j, "Image"));
      if (img)
        json_object_set_new (*images, img, json_true ());
      size_t k;
      json_t *m;
      if (volumes)
        json_array_foreach (json_object_get (v[i]->j, "Mounts"), k, m)
        {
          const char *name = json_string_value (json_object_get (m, "Name"));
          if (name)
            json_object_set_new (*volumes, name, json_true ());
        }
    }
  eng_ctr_list_free (v, n);
  return 0;
}

/* ---- df ---- */

static int
df_images (const struct eng_ctx *e, json_t *used, struct eng_df_row *row, struct hako_err **err)
{
  struct img_index ix = { 0 };
  if (img_index_read (e->store, &ix, err) < 0)
    return -1;
  /* Layers are shared between images: each counts once, and is reclaimable
     only when no image in use has it. */
  json_t *all = json_object (), *kept = json_object ();
  for (size_t i = 0; i < ix.n; i++)
    {
      struct img_image img;
      bool in_use = json_object_get (used, ix.v[i].id) != NULL;
      row->total++;
      row->active += in_use;
      if (img_image_load (e->store, ix.v[i].manifest, &img, NULL) < 0)
        continue;
      for (size_t k = 0; k < img.c.n_diff_ids; k++)
        {
          json_object_set_new (all, img.c.diff_ids[k], json_true ());
          if (in_use)
            json_object_set_new (kept, img.c.diff_ids[k], json_true ());
        }
      img_image_clear (&img);
    }
  const char *diff_id;
  json_t *unused;
  json_object_foreach (all, diff_id, unused)
  {
    int64_t sz = img_layer_size (e->store, diff_id);
    if (sz < 0)
      continue;
    row->size += (uint64_t) sz;
    if (!json_object_get (kept, diff_id))
      row->reclaimable += (uint64_t) sz;
  }
  json_decref (all);
  json_decref (kept);
  img_index_clear (&ix);
  return 0;
}

int
eng_df (const struct eng_ctx *e, struct eng_df *df, struct hako_err **err)
{
  memset (df, 0, sizeof (*df));
  json_t *images = NULL, *volumes = NULL, *vols = NULL;
  int ret = -1;
  if (usage (e, &images, &volumes, err) < 0)
    return -1;
  if (df_images (e, images, &df->images, err) < 0)
    goto out;
  struct eng_ctr **v = NULL;
  size_t n = 0;
  if (eng_ctr_list (e, &v, &n, err) < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    {
      uint64_t sz = eng_ctr_size (e, v[i]);
      bool running = eng_ctr_running (v[i]);
      df->containers.total++;
      df->containers.active += running;
      df->containers.size += sz;
      if (!running)
        df->containers.reclaimable += sz;
    }
  eng_ctr_list_free (v, n);
  if (eng_volume_list (e, &vols, err) < 0)
    goto out;
  size_t i;
  json_t *vol;
  json_array_foreach (vols, i, vol)
  {
    const char *name = json_string_value (json_object_get (vol, "Name"));
    cleanup_free char *dir = eng_volume_dir (e, name);
    cleanup_free char *data = hako_path_join (dir, "_data");
    uint64_t sz = eng_dir_size (data);
    bool in_use = json_object_get (volumes, name) != NULL;
    df->volumes.total++;
    df->volumes.active += in_use;
    df->volumes.size += sz;
    if (!in_use)
      df->volumes.reclaimable += sz;
  }
  ret = 0;
out:
  json_decref (images);
  json_decref (volumes);
  json_decref (vols);
  return ret;
}

/* ---- prunes ---- */

int
eng_container_prune (const struct eng_ctx *e, eng_prune_fn fn, void *ctx, uint64_t *reclaimed,
                     struct hako_err **err)
{
  struct eng_ctr **v = NULL;
  size_t n = 0;
  *reclaimed = 0;
  if (eng_ctr_list (e, &v, &n, err) < 0)
    return -1;
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (eng_ctr_running (v[i]))
        continue;
      uint64_t sz = eng_ctr_size (e, v[i]);
      struct hako_err *e2 = NULL;
      /* Not forced: one that was started meanwhile is refused, and kept. */
      if (eng_remove (e, v[i], false, false, &e2) < 0)
        {
          if (e2->errno_ != EBUSY)
            {
              hako_log_error (e2);
              ret = -1;
            }
          hako_error_free (&e2);
          continue;
        }
      *reclaimed += sz;
      if (fn)
        fn (ctx, "Deleted", v[i]->id);
    }
  eng_ctr_list_free (v, n);
  if (ret < 0)
    hako_error (err, 0, "some containers could not be removed");
  return ret;
}

int
eng_volume_prune (const struct eng_ctx *e, eng_prune_fn fn, void *ctx, uint64_t *reclaimed,
                  struct hako_err **err)
{
  json_t *images = NULL, *used = NULL, *vols = NULL;
  *reclaimed = 0;
  if (usage (e, &images, &used, err) < 0)
    return -1;
  json_decref (images);
  if (eng_volume_list (e, &vols, err) < 0)
    {
      json_decref (used);
      return -1;
    }
  size_t i;
  json_t *vol;
  json_array_foreach (vols, i, vol)
  {
    const char *name = json_string_value (json_object_get (vol, "Name"));
    if (json_object_get (used, name))
      continue;
    cleanup_free char *dir = eng_volume_dir (e, name);
    cleanup_free char *data = hako_path_join (dir, "_data");
    uint64_t sz = eng_dir_size (data);
    struct hako_err *e2 = NULL;
    /* The in-use check again, now: a container may have just taken it. */
    if (eng_volume_remove (e, name, false, &e2) < 0)
      {
        hako_error_free (&e2);
        continue;
      }
    *reclaimed += sz;
    if (fn)
      fn (ctx, "Deleted", name);
  }
  json_decref (used);
  json_decref (vols);
  return 0;
}

struct prune_events
{
  eng_prune_fn fn;
  void *ctx;
};

static void
image_event (void *p, const char *subject, const char *status)
{
  struct prune_events *pe = p;
  if (pe->fn)
    pe->fn (pe->ctx, status, subject);
}

int
eng_image_prune (const struct eng_ctx *e, bool all, eng_prune_fn fn, void *ctx, uint64_t *reclaimed,
                 struct hako_err **err)
{
  json_t *used = NULL;
  struct img_index ix = { 0 };
  *reclaimed = 0;
  if (usage (e, &used, NULL, err) < 0)
    return -1;
  if (img_index_read (e->store, &ix, err) < 0)
    {
      json_decref (used);
      return -1;
    }
  uint64_t before = store_size (e);
  struct prune_events pe = { fn, ctx };
  struct img_events ev = { .event = image_event, .ctx = &pe };
  int ret = 0;
  for (size_t i = 0; i < ix.n; i++)
    {
      if ((!all && ix.v[i].n_names > 0) || json_object_get (used, ix.v[i].id))
        continue;
      struct hako_err *e2 = NULL;
      /* By ID, all its names with it; an image removed meanwhile is fine. */
      if (img_remove (e->store, ix.v[i].id, NULL, true, &ev, &e2) < 0)
        hako_error_free (&e2);
    }
  img_index_clear (&ix);
  json_decref (used);
  /* The sweep also frees what earlier removals left. */
  if (img_gc (e->store, NULL, err) < 0)
    ret = -1;
  uint64_t after = store_size (e);
  *reclaimed = before > after ? before - after : 0;
  return ret;
}
