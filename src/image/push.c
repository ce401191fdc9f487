/* SPDX-License-Identifier: Apache-2.0 */
/* push: blobs first, the manifest last, so a registry never holds a
   manifest whose blobs are missing.  A blob the repository has is skipped
   (HEAD); one that another repository of the same registry has is mounted
   from it (no bytes move); the rest are uploaded. */
#include "image.h"
#include "digest.h"
#include "ref.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the store's blobs were pushed, for later mounts:
   blob-sources.json {"DIGEST": ["REGISTRY/REPO", …]}, newest first.  A
   hint only: a stale entry costs one POST that the registry answers 202. */
#define SOURCES_FILE "blob-sources.json"
#define SOURCES_LOCK "blob-sources.lock"
#define SOURCES_PER_BLOB 4

static void
emit (const struct img_events *ev, const char *subject, const char *status)
{
  if (ev && ev->event)
    ev->event (ev->ctx, subject, status);
}

static json_t *
sources_load (const struct img_store *s)
{
  cleanup_free char *path = xasprintf ("%s/" SOURCES_FILE, s->root);
  json_t *root = access (path, F_OK) == 0 ? json_load_file (path, 0, NULL) : NULL;
  if (root && json_is_object (root))
    return root;
  if (root)
    json_decref (root);
  return json_object ();
}

/* Record that `repo` ("REGISTRY/PATH") now has the image's blobs, and drop
   entries of blobs the store no longer has.  Failures only cost future
   mounts: logged, not returned. */
static void
sources_add (struct img_store *s, const struct img_image *img, const char *repo)
{
  cleanup_free char *lock = xasprintf ("%s/" SOURCES_LOCK, s->root);
  cleanup_free char *path = xasprintf ("%s/" SOURCES_FILE, s->root);
  cleanup_close int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  struct hako_err *e = NULL;

  while (fd >= 0 && flock (fd, LOCK_EX) < 0 && errno == EINTR)
    ;
  json_t *root = sources_load (s);
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe (root, tmp, k, v)
  {
    if (!img_store_has_blob (s, k))
      json_object_del (root, k);
  }
  for (size_t i = 0; i <= img->m.n_layers; i++)
    {
      const char *d = i < img->m.n_layers ? img->m.layers[i].digest : img->m.config.digest;
      json_t *old = json_object_get (root, d);
      json_t *list = json_array ();
      json_array_append_new (list, json_string (repo));
      for (size_t j = 0; j < json_array_size (old) && json_array_size (list) < SOURCES_PER_BLOB; j++)
        {
          const char *r = json_string_value (json_array_get (old, j));
          if (r && strcmp (r, repo) != 0)
            json_array_append_new (list, json_string (r));
        }
      json_object_set_new (root, d, list);
    }
  cleanup_free char *text = json_dumps (root, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref (root);
  if (text == NULL || hako_write_file_atomic (path, text, strlen (text), 0600, &e) < 0)
    {
      log_debug ("%s: %s", path, e ? e->msg : "cannot serialize");
      hako_error_free (&e);
    }
}

/* Repositories of the destination registry that may hold the blobs. */
struct mount_hints
{
  const struct img_ref *dest;
  char *hint;            /* --from-repo, as a path of dest's registry */
  struct img_record rec; /* the image's names: where it was pulled from, or tagged for */
  json_t *sources;
};

static void
mount_hints_clear (struct mount_hints *h)
{
  free (h->hint);
  img_record_clear (&h->rec);
  if (h->sources)
    json_decref (h->sources);
}

/* The path of `name` ("REGISTRY/PATH[:TAG]") when it is another repository
   of the destination's registry. */
static char *
other_repo (const struct img_ref *dest, const char *name)
{
  struct img_ref *r = NULL;
  char *path = NULL;
  if (img_ref_parse (name, dest->domain, &r, NULL) < 0)
    return NULL;
  if (strcmp (r->domain, dest->domain) == 0 && strcmp (r->path, dest->path) != 0)
    path = xstrdup (r->path);
  img_ref_free (r);
  return path;
}

static void
add_candidate (char ***v, size_t *n, char *path)
{
  if (path == NULL)
    return;
  for (size_t i = 0; i < *n; i++)
    if (strcmp ((*v)[i], path) == 0)
      {
        free (path);
        return;
      }
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = path;
  (*v)[*n] = NULL;
}

/* The hint first, then where this store pushed the blob, then the names. */
static char **
mount_candidates (const struct mount_hints *h, const char *digest)
{
  char **v = xzalloc (sizeof (char *));
  size_t n = 0;
  json_t *list = json_object_get (h->sources, digest);

  if (h->hint)
    add_candidate (&v, &n, xstrdup (h->hint));
  for (size_t i = 0; i < json_array_size (list); i++)
    {
      const char *name = json_string_value (json_array_get (list, i));
      if (name)
        add_candidate (&v, &n, other_repo (h->dest, name));
    }
  for (size_t i = 0; i < h->rec.n_names; i++)
    add_candidate (&v, &n, other_repo (h->dest, h->rec.names[i]));
  return v;
}

static int
push_one_blob (struct img_reg *reg, struct img_store *s, const struct img_desc *d,
               const struct mount_hints *h, const struct img_events *ev, struct hako_err **err)
{
  char sid[16];
  struct stat st;

  snprintf (sid, sizeof (sid), "%.12s", img_digest_hex (d->digest));
  int there = img_reg_blob_exists (reg, d->digest, NULL, err);
  if (there < 0)
    return -1;
  if (there)
    {
      emit (ev, sid, "Layer already exists");
      return 0;
    }
  cleanup_close int fd = img_store_open_blob (s, d->digest, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return fd < 0 ? -1 : hako_error (err, errno, "blob %s", d->digest);
  cleanup_strv char **from = mount_candidates (h, d->digest);
  cleanup_free char *mounted = NULL;
  emit (ev, sid, "Pushing");
  if (img_reg_push_blob (reg, fd, d->digest, st.st_size, (const char *const *) from, &mounted, err) < 0)
    return -1;
  if (mounted)
    {
      cleanup_free char *line = xasprintf ("Mounted from %s", mounted);
      emit (ev, sid, line);
    }
  else
    emit (ev, sid, "Pushed");
  return 0;
}

static int
hints_init (struct img_store *s, const struct img_ref *dest, const char *from_repo, struct mount_hints *h,
            struct hako_err **err)
{
  h->dest = dest;
  h->sources = sources_load (s);
  if (from_repo == NULL)
    return 0;
  struct img_ref *r = NULL;
  if (img_ref_parse (from_repo, dest->domain, &r, err) < 0)
    return hako_error_prefix (err, "--from-repo");
  int ret = 0;
  if (strcmp (r->domain, dest->domain) != 0)
    ret = hako_error (err, EINVAL, "--from-repo %s: not on registry %s (a mount works within one registry)",
                      from_repo, dest->domain);
  else
    h->hint = xstrdup (r->path);
  img_ref_free (r);
  return ret;
}

int
img_push (struct img_store *s, const char *src, const char *dest, const struct img_push_opts *o,
          char **digest_out, struct hako_err **err)
{
  struct img_image img;
  struct img_ref *ref = NULL;
  struct img_reg *reg = NULL;
  struct mount_hints h = { 0 };
  cleanup_free char *repo = NULL;
  int r = -1;

  if (img_ref_parse (dest ? dest : src, o->default_domain, &ref, err) < 0)
    return -1;
  cleanup_free char *shown = img_ref_string (ref);
  if (img_image_find (s, src, o->default_domain, &img, &h.rec, err) < 0)
    {
      img_ref_free (ref);
      return hako_error_prefix (err, "push %s", shown);
    }
  if (hints_init (s, ref, o->reg.mount_from, &h, err) < 0)
    goto out;
  if (img_reg_open (ref->domain, ref->path, &o->reg, true, &reg, err) < 0)
    goto out;
  for (size_t i = 0; i < img.m.n_layers; i++)
    if (push_one_blob (reg, s, &img.m.layers[i], &h, &o->ev, err) < 0)
      goto out;
  if (push_one_blob (reg, s, &img.m.config, &h, NULL, err) < 0)
    goto out;
  /* The stored bytes, unchanged: the digest the registry computes is ours. */
  const char *mt = img.m.media_type ? img.m.media_type : IMG_MT_OCI_MANIFEST;
  const char *tag = ref->tag ? ref->tag : img.manifest_digest;
  if (img_reg_put_manifest (reg, tag, mt, img.manifest_buf, img.manifest_len, err) < 0)
    goto out;
  repo = img_ref_name (ref);
  sources_add (s, &img, repo);
  char line[160];
  snprintf (line, sizeof (line), "%s: digest: %s size: %zu", ref->tag ? ref->tag : "", img.manifest_digest,
            img.manifest_len);
  emit (&o->ev, NULL, line);
  if (digest_out)
    *digest_out = xstrdup (img.manifest_digest);
  r = 0;
out:
  img_reg_free (reg);
  mount_hints_clear (&h);
  img_image_clear (&img);
  img_ref_free (ref);
  if (r < 0)
    return hako_error_prefix (err, "push %s", shown);
  return 0;
}
