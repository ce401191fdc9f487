/* SPDX-License-Identifier: Apache-2.0 */
/* rmi, prune, the mark-and-sweep behind them, and `system check`.  The
   sweep holds the store's lock exclusively: pulls, loads and imports hold it
   shared from their first blob to their index entry, so nothing they are
   about to reference can be swept from under them. */
#include "image.h"
#include "digest.h"
#include "ref.h"
#include "snapshot.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
emit (const struct img_events *ev, const char *subject, const char *status)
{
  if (ev && ev->event)
    ev->event (ev->ctx, subject, status);
}

/* ---------- a set of digests ---------- */

struct set
{
  char **v;
  size_t n, cap;
};

static void
set_add (struct set *s, const char *d)
{
  if (s->n == s->cap)
    s->v = xrealloc (s->v, (s->cap = s->cap ? s->cap * 2 : 64) * sizeof (char *));
  s->v[s->n++] = xstrdup (d);
}

static void
set_add_cb (void *ctx, const char *d)
{
  set_add (ctx, d);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
set_has (const struct set *s, const char *d)
{
  return s->n && bsearch (&d, s->v, s->n, sizeof (char *), cmp_str) != NULL;
}

static void
set_clear (struct set *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  memset (s, 0, sizeof (*s));
}

/* Mark what the images reference: blobs (top document, manifest, config,
   layers) and unpacked layers (by diff_id). */
static int
mark (struct img_store *s, struct set *blobs, struct set *layers, struct hako_err **err)
{
  struct img_index ix = { 0 };

  if (img_index_read (s, &ix, err) < 0)
    return -1;
  for (size_t i = 0; i < ix.n; i++)
    {
      struct img_image img;
      set_add (blobs, ix.v[i].digest);
      set_add (blobs, ix.v[i].manifest);
      /* An image whose manifest cannot be read keeps nothing else alive;
         system check reports it. */
      if (img_image_load (s, ix.v[i].manifest, &img, NULL) < 0)
        continue;
      set_add (blobs, img.m.config.digest);
      for (size_t k = 0; k < img.m.n_layers; k++)
        {
          set_add (blobs, img.m.layers[k].digest);
          set_add (layers, img.c.diff_ids[k]);
        }
      img_image_clear (&img);
    }
  img_index_clear (&ix);
  /* A mounted snapshot keeps its layers even when its image is gone. */
  if (img_snapshot_for_each_layer (s, set_add_cb, layers, err) < 0)
    return -1;
  /* qsort (NULL, 0, …) is undefined (UBSan, make sanitize): no images */
  if (blobs->n > 1)
    qsort (blobs->v, blobs->n, sizeof (char *), cmp_str);
  if (layers->n > 1)
    qsort (layers->v, layers->n, sizeof (char *), cmp_str);
  return 0;
}

/* Call fn for every entry of root/sub/ALG (ALG: sha256, sha512). */
static int
for_each_digest (struct img_store *s, const char *sub,
                 int (*fn) (struct img_store *s, const char *path, const char *digest, void *ctx), void *ctx,
                 struct hako_err **err)
{
  static const char *const algs[] = { "sha256", "sha512" };
  for (size_t a = 0; a < 2; a++)
    {
      cleanup_free char *dir = xasprintf ("%s/%s/%s", s->root, sub, algs[a]);
      cleanup_dir DIR *d = opendir (dir);
      struct dirent *de;
      if (d == NULL)
        continue;
      while ((de = readdir (d)))
        {
          if (de->d_name[0] == '.')
            continue;
          cleanup_free char *digest = xasprintf ("%s:%s", algs[a], de->d_name);
          cleanup_free char *path = hako_path_join (dir, de->d_name);
          if (fn (s, path, digest, ctx) < 0)
            return hako_error (err, errno, "`%s`", path);
        }
    }
  return 0;
}

struct sweep
{
  struct set *keep;
  struct img_gc_stats *st;
  bool layers;
};

static int
sweep_one (struct img_store *s, const char *path, const char *digest, void *ctx)
{
  struct sweep *w = ctx;
  struct stat stb;

  if (set_has (w->keep, digest))
    return 0;
  if (w->layers)
    {
      if (hako_rm_rf (path, NULL) < 0)
        return -1;
      w->st->layers++;
      return 0;
    }
  if (lstat (path, &stb) == 0)
    w->st->bytes += (uint64_t) stb.st_size;
  if (unlink (path) < 0 && errno != ENOENT)
    return -1;
  w->st->blobs++;
  return 0;
}

static void
empty_dir (struct img_store *s, const char *sub)
{
  cleanup_free char *dir = hako_path_join (s->root, sub);
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && (de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      {
        cleanup_free char *p = hako_path_join (dir, de->d_name);
        hako_rm_rf (p, NULL);
      }
}

static int
gc_locked (struct img_store *s, bool partials, struct img_gc_stats *st, struct hako_err **err)
{
  struct set blobs = { 0 }, layers = { 0 };
  int r = mark (s, &blobs, &layers, err);

  if (r == 0)
    {
      struct sweep wb = { .keep = &blobs, .st = st }, wl = { .keep = &layers, .st = st, .layers = true };
      r = for_each_digest (s, "blobs", sweep_one, &wb, err);
      if (r == 0)
        r = for_each_digest (s, "layers", sweep_one, &wl, err);
    }
  /* Nothing else runs now: what tmp/ holds is left by killed processes. */
  if (r == 0)
    empty_dir (s, "tmp");
  if (r == 0 && partials)
    empty_dir (s, "ingest");
  set_clear (&blobs);
  set_clear (&layers);
  return r;
}

int
img_gc (struct img_store *s, struct img_gc_stats *st, struct hako_err **err)
{
  struct img_gc_stats ignored = { 0 };
  if (img_store_lock (s, true, err) < 0)
    return -1;
  int r = gc_locked (s, false, st ? st : &ignored, err);
  img_store_unlock (s);
  return r;
}

/* ---------- rmi, prune ---------- */

static bool
matched_by_name (const struct img_record *rec, const char *query, const char *default_domain, char **name)
{
  struct img_ref *ref = NULL;
  if (img_ref_parse (query, default_domain, &ref, NULL) < 0)
    return false;
  cleanup_free char *full = img_ref_string (ref);
  img_ref_free (ref);
  for (size_t k = 0; k < rec->n_names; k++)
    if (strcmp (rec->names[k], full) == 0)
      {
        *name = steal_pointer (&full);
        return true;
      }
  return false;
}

static void
remove_record (struct img_index *ix, struct img_record *rec, const struct img_events *ev)
{
  for (size_t k = 0; k < rec->n_names; k++)
    emit (ev, rec->names[k], "Untagged");
  emit (ev, rec->id, "Deleted");
  img_index_remove (ix, rec);
}

static int
remove_in_index (struct img_index *ix, const char *query, const char *default_domain, bool force,
                 const struct img_events *ev, struct hako_err **err)
{
  int i = img_index_lookup (ix, query, default_domain, err);
  cleanup_free char *name = NULL;

  if (i < 0)
    return -1;
  struct img_record *rec = &ix->v[i];
  if (matched_by_name (rec, query, default_domain, &name))
    {
      img_index_drop_name (ix, name);
      emit (ev, name, "Untagged");
      if (rec->n_names == 0)
        {
          emit (ev, rec->id, "Deleted");
          img_index_remove (ix, rec);
        }
      return 0;
    }
  if (rec->n_names > 1 && !force)
    return hako_error (err, 0, "image %.19s has %zu names: remove them one by one, or use --force", rec->id,
                       rec->n_names);
  cleanup_free char *id = xstrdup (rec->id);
  for (size_t k = ix->n; k-- > 0;)
    if (strcmp (ix->v[k].id, id) == 0)
      remove_record (ix, &ix->v[k], ev);
  return 0;
}

int
img_remove (struct img_store *s, const char *query, const char *default_domain, bool force,
            const struct img_events *ev, struct hako_err **err)
{
  struct img_index ix;

  if (img_index_begin (s, &ix, err) < 0)
    return -1;
  if (remove_in_index (&ix, query, default_domain, force, ev, err) < 0)
    {
      img_index_clear (&ix);
      return -1;
    }
  if (img_index_commit (s, &ix, err) < 0)
    return -1;
  return img_gc (s, NULL, err);
}

int
img_prune (struct img_store *s, bool all, const struct img_events *ev, struct img_gc_stats *st,
           struct hako_err **err)
{
  struct img_index ix;

  if (img_store_lock (s, true, err) < 0)
    return -1;
  int r = img_index_begin (s, &ix, err);
  if (r == 0)
    {
      for (size_t k = ix.n; k-- > 0;)
        if (all || ix.v[k].n_names == 0)
          {
            remove_record (&ix, &ix.v[k], ev);
            st->images++;
          }
      r = img_index_commit (s, &ix, err);
    }
  if (r == 0)
    r = gc_locked (s, true, st, err);
  img_store_unlock (s);
  return r;
}

/* ---------- system check ---------- */

struct check
{
  const struct img_events *ev;
  int problems;
};

static void
problem (struct check *c, const char *subject, const char *fmt, const char *arg)
{
  cleanup_free char *msg = xasprintf (fmt, arg);
  emit (c->ev, subject, msg);
  c->problems++;
}

static int
check_blob (struct img_store *s, const char *path, const char *digest, void *ctx)
{
  struct check *c = ctx;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_free char *alg = img_digest_alg (digest);
  cleanup_free char *got = NULL;

  if (!img_digest_valid (digest))
    {
      problem (c, path, "%s", "not a blob name");
      return 0;
    }
  if (fd < 0 || img_digest_fd (alg, fd, &got, NULL) < 0)
    problem (c, digest, "unreadable: %s", strerror (errno));
  else if (strcmp (got, digest) != 0)
    problem (c, digest, "corrupt: the content hashes to %s", got);
  return 0;
}

static void
check_image (struct img_store *s, const struct img_record *r, struct check *c)
{
  struct img_image img;
  struct hako_err *e = NULL;
  const char *who = r->n_names ? r->names[0] : r->id;

  if (!img_store_has_blob (s, r->digest))
    problem (c, who, "missing blob %s", r->digest);
  if (img_image_load (s, r->manifest, &img, &e) < 0)
    {
      problem (c, who, "%s", e->msg);
      hako_error_free (&e);
      return;
    }
  if (strcmp (img.m.config.digest, r->id) != 0)
    problem (c, who, "the manifest's config is not the image ID %s", r->id);
  for (size_t k = 0; k < img.m.n_layers; k++)
    {
      if (!img_store_has_blob (s, img.m.layers[k].digest))
        problem (c, who, "missing layer blob %s", img.m.layers[k].digest);
      if (!img_store_has_layer (s, img.c.diff_ids[k]))
        problem (c, who, "missing unpacked layer %s", img.c.diff_ids[k]);
    }
  img_image_clear (&img);
}

int
img_check (struct img_store *s, const struct img_events *ev, struct hako_err **err)
{
  struct check c = { .ev = ev };
  struct img_index ix = { 0 };

  if (img_store_lock (s, false, err) < 0)
    return -1;
  int r = for_each_digest (s, "blobs", check_blob, &c, err);
  if (r == 0)
    {
      struct hako_err *e = NULL;
      if (img_index_read (s, &ix, &e) < 0)
        {
          problem (&c, "images.json", "%s", e->msg);
          hako_error_free (&e);
        }
      for (size_t i = 0; i < ix.n; i++)
        check_image (s, &ix.v[i], &c);
      img_index_clear (&ix);
    }
  img_store_unlock (s);
  return r < 0 ? -1 : c.problems;
}
