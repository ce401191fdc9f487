/* SPDX-License-Identifier: Apache-2.0 */
/* pull: reference -> manifest (through an index for the platform) -> config
   -> layer blobs -> unpacked layers -> a name in images.json.  Each step
   leaves only verified, complete things under their final names, so a pull
   killed anywhere is resumed by the next one, never trusted half-done. */
#include "image.h"
#include "digest.h"
#include "layer.h"
#include "ref.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <pthread.h>
#include <string.h>

#define CONFIG_MAX (8u << 20)

static void
emit (const struct img_events *ev, const char *subject, const char *status)
{
  if (ev && ev->event)
    ev->event (ev->ctx, subject, status);
}

static const char *
short_id (const char *digest, char buf[16])
{
  snprintf (buf, 16, "%.12s", img_digest_hex (digest));
  return buf;
}

void
img_record_copy (struct img_record *dst, const struct img_record *src)
{
  memset (dst, 0, sizeof (*dst));
  dst->id = xstrdup (src->id);
  dst->digest = xstrdup (src->digest);
  dst->manifest = xstrdup (src->manifest);
  dst->created = src->created;
  dst->n_names = src->n_names;
  dst->names = xzalloc ((src->n_names + 1) * sizeof (char *));
  for (size_t i = 0; i < src->n_names; i++)
    dst->names[i] = xstrdup (src->names[i]);
}

void
img_record_clear (struct img_record *r)
{
  free (r->id);
  free (r->digest);
  free (r->manifest);
  for (size_t i = 0; i < r->n_names; i++)
    free (r->names[i]);
  free (r->names);
  memset (r, 0, sizeof (*r));
}

void
img_image_clear (struct img_image *img)
{
  free (img->manifest_digest);
  free (img->manifest_buf);
  free (img->config_buf);
  img_manifest_clear (&img->m);
  img_config_clear (&img->c);
  memset (img, 0, sizeof (*img));
}

int
img_image_load (struct img_store *s, const char *manifest_digest, struct img_image *img,
                struct hako_err **err)
{
  memset (img, 0, sizeof (*img));
  img->manifest_digest = xstrdup (manifest_digest);
  if (img_store_read_blob (s, manifest_digest, 4u << 20, &img->manifest_buf, &img->manifest_len, err) < 0
      || img_manifest_parse (img->manifest_buf, img->manifest_len, &img->m, err) < 0
      || img_store_read_blob (s, img->m.config.digest, CONFIG_MAX, &img->config_buf, &img->config_len, err)
             < 0
      || img_config_parse (img->config_buf, img->config_len, &img->c, err) < 0)
    {
      img_image_clear (img);
      return -1;
    }
  if (img->c.n_diff_ids != img->m.n_layers)
    {
      hako_error (err, 0, "image %s: the manifest has %zu layers, the config %zu diff_ids", manifest_digest,
                  img->m.n_layers, img->c.n_diff_ids);
      img_image_clear (img);
      return -1;
    }
  return 0;
}

int
img_image_find (struct img_store *s, const char *query, const char *default_domain, struct img_image *img,
                struct img_record *rec_copy, struct hako_err **err)
{
  struct img_index ix = { 0 };

  if (img_index_read (s, &ix, err) < 0)
    return -1;
  int i = img_index_lookup (&ix, query, default_domain, err);
  int r = i < 0 ? -1 : img_image_load (s, ix.v[i].manifest, img, err);
  if (r == 0 && rec_copy)
    img_record_copy (rec_copy, &ix.v[i]);
  img_index_clear (&ix);
  return r;
}

int
img_commit (struct img_store *s, const char *top_digest, const char *manifest_digest, const char *name,
            const struct img_events *ev, char **id_out, struct hako_err **err)
{
  struct img_image img;
  struct img_index ix;
  char sid[16];

  if (img_image_load (s, manifest_digest, &img, err) < 0)
    return -1;
  for (size_t i = 0; i < img.m.n_layers; i++)
    {
      const struct img_desc *l = &img.m.layers[i];
      if (img_store_has_layer (s, img.c.diff_ids[i]))
        continue;
      emit (ev, short_id (l->digest, sid), "Extracting");
      if (img_layer_unpack (s, l->digest, img.c.diff_ids[i], err) < 0)
        {
          img_image_clear (&img);
          return -1;
        }
      emit (ev, sid, "Pull complete");
    }
  if (img_index_begin (s, &ix, err) < 0)
    {
      img_image_clear (&img);
      return -1;
    }
  struct img_record *rec = img_index_put (&ix, img.m.config.digest, top_digest, manifest_digest);
  if (name)
    img_index_set_name (&ix, rec, name);
  int r = img_index_commit (s, &ix, err);
  if (r == 0 && id_out)
    *id_out = xstrdup (img.m.config.digest);
  img_image_clear (&img);
  return r;
}

/* Fetch a manifest or index document and keep it in the store. */
static int
fetch_doc (struct img_reg *reg, struct img_store *s, const char *ref, char **digest, enum img_kind *kind,
           struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *ct = NULL;
  size_t len;

  if (img_reg_get_manifest (reg, ref, &buf, &len, &ct, err) < 0)
    return -1;
  if (img_detect_kind (ct, buf, len, kind, NULL, err) < 0)
    return hako_error_prefix (err, "%s", ref);
  return img_store_put_blob (s, strchr (ref, ':') ? ref : NULL, buf, len, digest, err);
}

/* The platform manifest that `top` stands for: itself, or an index entry. */
static int
resolve_platform (struct img_reg *reg, struct img_store *s, const char *top, const char *platform,
                  char **manifest, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  struct img_mindex ix;
  struct img_platform p;
  enum img_kind kind = IMG_KIND_MANIFEST;

  if (img_platform_parse (platform, &p, err) < 0
      || img_store_read_blob (s, top, 4u << 20, &buf, &len, err) < 0
      || img_mindex_parse (buf, len, &ix, err) < 0)
    return -1;
  int i = img_platform_select (&ix, &p, err);
  int r = i < 0 ? -1 : 0;
  if (r == 0 && !img_store_has_blob (s, ix.manifests[i].digest))
    r = fetch_doc (reg, s, ix.manifests[i].digest, manifest, &kind, err);
  else if (r == 0)
    *manifest = xstrdup (ix.manifests[i].digest);
  if (r == 0 && kind == IMG_KIND_INDEX)
    r = hako_error (err, 0, "%s: nested indexes are not supported", ix.manifests[i].digest);
  img_mindex_clear (&ix);
  return r;
}

/* Layers download and unpack in parallel, each worker with its own
   connection; the config comes first, alone: it holds the diff_ids that
   every unpack is checked against. */
#define PULL_WORKERS 3

struct downloads
{
  struct img_reg *proto;
  struct img_store *s;
  const struct img_manifest *m;
  struct img_config c;
  const struct img_events *ev;
  pthread_mutex_t mu;
  size_t next;
  struct hako_err *err;
};

/* Download layer i, then unpack it at once: layers are independent
   directories, so the unpack of one overlaps the download of the next. */
static int
download_one (struct downloads *d, struct img_reg *reg, size_t i, char sid[16])
{
  const struct img_desc *l = &d->m->layers[i];
  const char *diff_id = d->c.diff_ids[i];
  struct hako_err *e = NULL;

  short_id (l->digest, sid);
  if (img_store_has_blob (d->s, l->digest) && img_store_has_layer (d->s, diff_id))
    {
      emit (d->ev, sid, "Already exists");
      return 0;
    }
  if (!img_store_has_blob (d->s, l->digest))
    {
      emit (d->ev, sid, "Downloading");
      if (img_reg_fetch_blob (reg, d->s, l->digest, l->size, &e) < 0)
        goto fail;
      emit (d->ev, sid, "Download complete");
    }
  emit (d->ev, sid, "Extracting");
  if (img_layer_unpack (d->s, l->digest, diff_id, &e) < 0)
    goto fail;
  emit (d->ev, sid, "Pull complete");
  return 0;
fail:
  pthread_mutex_lock (&d->mu);
  if (d->err == NULL)
    d->err = steal_pointer (&e);
  pthread_mutex_unlock (&d->mu);
  hako_error_free (&e);
  return -1;
}

static void *
download_worker (void *arg)
{
  struct downloads *d = arg;
  struct img_reg *reg = img_reg_clone (d->proto);
  char sid[16];

  for (;;)
    {
      pthread_mutex_lock (&d->mu);
      size_t i = d->next++;
      bool stop = d->err != NULL || i >= d->m->n_layers;
      pthread_mutex_unlock (&d->mu);
      if (stop)
        break;
      if (download_one (d, reg, i, sid) < 0)
        break;
    }
  img_reg_free (reg);
  return NULL;
}

static int
fetch_blobs (struct img_reg *reg, struct img_store *s, const struct img_manifest *m,
             const struct img_events *ev, struct hako_err **err)
{
  struct downloads d = { .proto = reg, .s = s, .m = m, .ev = ev, .mu = PTHREAD_MUTEX_INITIALIZER };
  pthread_t threads[PULL_WORKERS];
  size_t n = m->n_layers < PULL_WORKERS ? m->n_layers : PULL_WORKERS;
  cleanup_free char *cbuf = NULL;
  size_t clen;

  if (!img_store_has_blob (s, m->config.digest)
      && img_reg_fetch_blob (reg, s, m->config.digest, m->config.size, err) < 0)
    return hako_error_prefix (err, "config");
  if (img_store_read_blob (s, m->config.digest, CONFIG_MAX, &cbuf, &clen, err) < 0
      || img_config_parse (cbuf, clen, &d.c, err) < 0)
    return -1;
  if (d.c.n_diff_ids != m->n_layers)
    {
      img_config_clear (&d.c);
      return hako_error (err, 0, "the manifest has %zu layers, the config %zu diff_ids", m->n_layers,
                         d.c.n_diff_ids);
    }
  for (size_t i = 0; i < m->n_layers; i++)
    if (!img_layer_type_supported (m->layers[i].media_type))
      {
        img_config_clear (&d.c);
        return hako_error (err, 0, "layer %s: unsupported media type `%s`", m->layers[i].digest,
                           m->layers[i].media_type);
      }
  for (size_t i = 0; i < n; i++)
    if (pthread_create (&threads[i], NULL, download_worker, &d) != 0)
      {
        n = i;
        download_worker (&d); /* no thread: do the rest here */
        break;
      }
  for (size_t i = 0; i < n; i++)
    pthread_join (threads[i], NULL);
  img_config_clear (&d.c);
  if (d.err)
    {
      *err = d.err;
      return -1;
    }
  return 0;
}

static int
pull_locked (struct img_store *s, const struct img_ref *ref, const struct img_pull_opts *o, char **id_out,
             struct hako_err **err)
{
  struct img_reg *reg = NULL;
  cleanup_free char *top = NULL;
  cleanup_free char *manifest = NULL;
  cleanup_free char *buf = NULL;
  cleanup_free char *name = img_ref_string (ref);
  struct img_manifest m = { 0 };
  enum img_kind kind;
  size_t len;
  int r = -1;

  if (img_reg_open (ref->domain, ref->path, &o->reg, false, &reg, err) < 0)
    return -1;
  if (fetch_doc (reg, s, ref->digest ? ref->digest : ref->tag, &top, &kind, err) < 0)
    goto out;
  if (kind == IMG_KIND_INDEX ? resolve_platform (reg, s, top, o->platform, &manifest, err) < 0
                             : (manifest = xstrdup (top), 0) < 0)
    goto out;
  if (img_store_read_blob (s, manifest, 4u << 20, &buf, &len, err) < 0
      || img_manifest_parse (buf, len, &m, err) < 0)
    goto out;
  if (fetch_blobs (reg, s, &m, &o->ev, err) < 0)
    goto out;
  char line[96];
  snprintf (line, sizeof (line), "Digest: %s", top);
  emit (&o->ev, NULL, line);
  r = img_commit (s, top, manifest, name, &o->ev, id_out, err);
out:
  img_manifest_clear (&m);
  img_reg_free (reg);
  return r;
}

int
img_pull (struct img_store *s, const char *refstr, const struct img_pull_opts *o, char **id_out,
          struct hako_err **err)
{
  struct img_ref *ref = NULL;

  if (img_ref_parse (refstr, o->default_domain, &ref, err) < 0)
    return -1;
  cleanup_free char *name = img_ref_string (ref);
  /* Shared: other pulls go on at the same time; a prune waits. */
  int r = img_store_lock (s, false, err);
  if (r == 0)
    r = pull_locked (s, ref, o, id_out, err);
  img_store_unlock (s);
  img_ref_free (ref);
  if (r < 0)
    return hako_error_prefix (err, "pull %s", name);
  return 0;
}
