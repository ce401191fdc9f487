/* SPDX-License-Identifier: Apache-2.0 */
/* save and load: oci-archive (an OCI image layout in a tar), docker-archive
   (docker save's manifest.json + uncompressed layer tars), and plain OCI
   layout directories (umoci's, skopeo's oci:DIR) for load.

   load first unpacks the archive into tmp/ with the layer applier (plain
   mode: no whiteouts, devices or ownership), because the tar's order is not
   known (index.json may come after the blobs).  Every blob is then copied
   into the store through the verifying ingest, so a wrong digest in an
   archive is refused like one from a registry. */
#include "image.h"
#include "digest.h"
#include "layer.h"
#include "ref.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_CHUNK (1 << 17)
#define JSON_MAX (8u << 20)

static void
emit (const struct img_events *ev, const char *subject, const char *status)
{
  if (ev && ev->event)
    ev->event (ev->ctx, subject, status);
}

/* ---------- save ---------- */

struct writer
{
  struct archive *a;
  char **written; /* entry names already in the archive (blobs are shared) */
  size_t n;
};

static bool
was_written (const struct writer *w, const char *name)
{
  for (size_t i = 0; i < w->n; i++)
    if (strcmp (w->written[i], name) == 0)
      return true;
  return false;
}

static bool
already_written (struct writer *w, const char *name)
{
  if (was_written (w, name))
    return true;
  w->written = xrealloc (w->written, (w->n + 1) * sizeof (char *));
  w->written[w->n++] = xstrdup (name);
  return false;
}

static int
put_header (struct writer *w, const char *name, int64_t size, bool dir, struct hako_err **err)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm (e, dir ? 0755 : 0644);
  archive_entry_set_size (e, dir ? 0 : size);
  archive_entry_set_mtime (e, 0, 0);
  int r = archive_write_header (w->a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK)
    return hako_error (err, 0, "write `%s`: %s", name, archive_error_string (w->a));
  return 0;
}

static int
put_buf (struct writer *w, const char *name, const void *buf, size_t len, struct hako_err **err)
{
  if (already_written (w, name))
    return 0;
  if (put_header (w, name, (int64_t) len, false, err) < 0)
    return -1;
  if (len && archive_write_data (w->a, buf, len) != (la_ssize_t) len)
    return hako_error (err, 0, "write `%s`: %s", name, archive_error_string (w->a));
  return 0;
}

static int
put_fd (struct writer *w, const char *name, int fd, struct hako_err **err)
{
  struct stat st;
  cleanup_free char *buf = xmalloc (IO_CHUNK);

  if (already_written (w, name))
    return 0;
  if (fstat (fd, &st) < 0)
    return hako_error (err, errno, "stat for `%s`", name);
  if (put_header (w, name, st.st_size, false, err) < 0)
    return -1;
  for (off_t off = 0; off < st.st_size;)
    {
      ssize_t r = pread (fd, buf, IO_CHUNK, off);
      if (r <= 0)
        return hako_error (err, r < 0 ? errno : EIO, "read for `%s`", name);
      if (archive_write_data (w->a, buf, (size_t) r) != r)
        return hako_error (err, 0, "write `%s`: %s", name, archive_error_string (w->a));
      off += r;
    }
  return 0;
}

static int
put_blob (struct writer *w, struct img_store *s, const char *digest, struct hako_err **err)
{
  cleanup_free char *alg = img_digest_alg (digest);
  cleanup_free char *name = xasprintf ("blobs/%s/%s", alg, img_digest_hex (digest));
  cleanup_close int fd = img_store_open_blob (s, digest, err);
  return fd < 0 ? -1 : put_fd (w, name, fd, err);
}

/* The names a save of `query` covers: the one asked for, or all the
   image's names when asked by ID. */
static char **
save_names (const struct img_record *rec, const char *query, const char *default_domain)
{
  struct img_ref *ref = NULL;
  char **names = xzalloc ((rec->n_names + 1) * sizeof (char *));
  if (img_ref_parse (query, default_domain, &ref, NULL) == 0)
    {
      cleanup_free char *full = img_ref_string (ref);
      img_ref_free (ref);
      for (size_t k = 0; k < rec->n_names; k++)
        if (strcmp (rec->names[k], full) == 0)
          {
            names[0] = steal_pointer (&full);
            return names;
          }
    }
  for (size_t k = 0; k < rec->n_names; k++)
    names[k] = xstrdup (rec->names[k]);
  return names;
}

static json_t *
oci_entry (const struct img_image *img, const char *name)
{
  json_t *d
      = json_pack ("{s:s,s:s,s:I}", "mediaType", img->m.media_type ? img->m.media_type : IMG_MT_OCI_MANIFEST,
                   "digest", img->manifest_digest, "size", (json_int_t) img->manifest_len);
  struct img_ref *ref = NULL;
  if (name && img_ref_parse (name, NULL, &ref, NULL) == 0)
    {
      json_object_set_new (d, "annotations",
                           json_pack ("{s:s,s:s}", "io.containerd.image.name", name,
                                      "org.opencontainers.image.ref.name", ref->tag ? ref->tag : "latest"));
      img_ref_free (ref);
    }
  return d;
}

/* docker-archive layers are uncompressed tars: decompress into tmp/ first,
   the tar header needs the size before the data. */
static int
sink_fd (void *ctx, const void *buf, size_t len, struct hako_err **err)
{
  return hako_write_all (*(int *) ctx, buf, len) < 0 ? hako_error (err, errno, "write") : 0;
}

static int
put_layer_tar (struct writer *w, struct img_store *s, const char *digest, const char *diff_id,
               struct hako_err **err)
{
  cleanup_free char *name = xasprintf ("%s/layer.tar", img_digest_hex (diff_id));
  cleanup_free char *tmp = xasprintf ("%s/tmp/layer-XXXXXX", s->root);
  cleanup_close int out = mkostemp (tmp, O_CLOEXEC);
  cleanup_close int in = img_store_open_blob (s, digest, err);
  cleanup_free char *got = NULL;

  if (out < 0 || in < 0)
    return out < 0 ? hako_error (err, errno, "create `%s`", tmp) : -1;
  unlink (tmp);
  if (was_written (w, name))
    return 0;
  if (img_layer_decompress (in, sink_fd, &out, &got, err) < 0)
    return -1;
  if (strcmp (got, diff_id) != 0)
    return hako_error (err, 0, "layer %s: content is %s, the config says %s", digest, got, diff_id);
  return put_fd (w, name, out, err);
}

static int
save_docker (struct writer *w, struct img_store *s, const struct img_image *img, char **names,
             json_t *manifest, struct hako_err **err)
{
  cleanup_free char *cfg = xasprintf ("%s.json", img_digest_hex (img->m.config.digest));
  json_t *tags = json_array (), *layers = json_array ();

  for (size_t k = 0; names[k]; k++)
    {
      cleanup_free char *f = img_ref_familiar (names[k]);
      json_array_append_new (tags, json_string (f));
    }
  for (size_t i = 0; i < img->m.n_layers; i++)
    {
      json_array_append_new (layers, json_sprintf ("%s/layer.tar", img_digest_hex (img->c.diff_ids[i])));
      if (put_layer_tar (w, s, img->m.layers[i].digest, img->c.diff_ids[i], err) < 0)
        {
          json_decref (tags);
          json_decref (layers);
          return -1;
        }
    }
  json_array_append_new (manifest,
                         json_pack ("{s:s,s:o,s:o}", "Config", cfg, "RepoTags", tags, "Layers", layers));
  return put_buf (w, cfg, img->config_buf, img->config_len, err);
}

static int
save_oci (struct writer *w, struct img_store *s, const struct img_image *img, char **names, json_t *manifests,
          struct hako_err **err)
{
  if (put_blob (w, s, img->manifest_digest, err) < 0 || put_blob (w, s, img->m.config.digest, err) < 0)
    return -1;
  for (size_t i = 0; i < img->m.n_layers; i++)
    if (put_blob (w, s, img->m.layers[i].digest, err) < 0)
      return -1;
  if (names[0] == NULL)
    json_array_append_new (manifests, oci_entry (img, NULL));
  for (size_t k = 0; names[k]; k++)
    json_array_append_new (manifests, oci_entry (img, names[k]));
  return 0;
}

static int
save_one (struct writer *w, struct img_store *s, const char *query, const char *default_domain,
          enum img_archive_format fmt, json_t *list, struct hako_err **err)
{
  struct img_image img;
  struct img_record rec;

  if (img_image_find (s, query, default_domain, &img, &rec, err) < 0)
    return -1;
  cleanup_strv char **names = save_names (&rec, query, default_domain);
  int r = fmt == IMG_ARCHIVE_OCI ? save_oci (w, s, &img, names, list, err)
                                 : save_docker (w, s, &img, names, list, err);
  img_image_clear (&img);
  img_record_clear (&rec);
  return r;
}

static int
save_finish (struct writer *w, enum img_archive_format fmt, json_t *list, struct hako_err **err)
{
  json_t *doc = fmt == IMG_ARCHIVE_OCI ? json_pack ("{s:i,s:s,s:O}", "schemaVersion", 2, "mediaType",
                                                    IMG_MT_OCI_INDEX, "manifests", list)
                                       : json_incref (list);
  cleanup_free char *text = json_dumps (doc, JSON_COMPACT);
  json_decref (doc);
  if (fmt == IMG_ARCHIVE_DOCKER)
    return put_buf (w, "manifest.json", text, strlen (text), err);
  const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (put_buf (w, "oci-layout", layout, strlen (layout), err) < 0)
    return -1;
  return put_buf (w, "index.json", text, strlen (text), err);
}

int
img_save (struct img_store *s, const char *const *queries, size_t n, const char *default_domain,
          enum img_archive_format fmt, int outfd, struct hako_err **err)
{
  struct writer w = { .a = archive_write_new () };
  json_t *list = json_array ();
  int r = -1;

  archive_write_set_format_pax_restricted (w.a);
  /* a pipe wants full 10 KiB records no more than a file does */
  archive_write_set_bytes_in_last_block (w.a, 1);
  if (archive_write_open_fd (w.a, outfd) != ARCHIVE_OK)
    {
      hako_error (err, 0, "save: %s", archive_error_string (w.a));
      goto out;
    }
  if (fmt == IMG_ARCHIVE_OCI
      && (put_header (&w, "blobs", 0, true, err) < 0 || put_header (&w, "blobs/sha256", 0, true, err) < 0))
    goto out;
  for (size_t i = 0; i < n; i++)
    if (save_one (&w, s, queries[i], default_domain, fmt, list, err) < 0)
      goto out;
  if (save_finish (&w, fmt, list, err) < 0)
    goto out;
  if (archive_write_close (w.a) != ARCHIVE_OK)
    {
      hako_error (err, 0, "save: %s", archive_error_string (w.a));
      goto out;
    }
  r = 0;
out:
  archive_write_free (w.a);
  json_decref (list);
  for (size_t i = 0; i < w.n; i++)
    free (w.written[i]);
  free (w.written);
  return r < 0 ? hako_error_prefix (err, "save") : 0;
}

/* ---------- load ---------- */

/* Copy a file of the unpacked archive into the store, verified. */
static int
ingest_file (struct img_store *s, int dirfd, const char *rel, const char *expected, char **digest_out,
             struct hako_err **err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = xmalloc (IO_CHUNK);
  struct img_ingest *g = NULL;
  struct stat st;

  /* already in the store (or made by the load itself: a docker-archive's
     manifest exists nowhere else) */
  if (expected && img_store_has_blob (s, expected))
    {
      if (digest_out)
        *digest_out = xstrdup (expected);
      return 0;
    }
  fd = hako_open_in_root (dirfd, rel, O_RDONLY, 0, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return fd < 0 ? -1 : hako_error (err, errno, "stat `%s`", rel);
  if (!S_ISREG (st.st_mode))
    return hako_error (err, EINVAL, "`%s`: not a regular file", rel);
  if (img_ingest_open (s, expected, st.st_size, &g, err) < 0)
    return -1;
  int r = img_ingest_already (g) ? 0 : img_ingest_restart (g, err);
  while (r == 0 && !img_ingest_already (g))
    {
      ssize_t n = read (fd, buf, IO_CHUNK);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          r = n < 0 ? hako_error (err, errno, "read `%s`", rel) : 0;
          break;
        }
      r = img_ingest_write (g, buf, (size_t) n, err);
    }
  if (r == 0)
    r = img_ingest_commit (g, digest_out, err);
  img_ingest_free (g);
  return r < 0 ? hako_error_prefix (err, "`%s`", rel) : 0;
}

static int
read_json_in (int dirfd, const char *rel, json_t **out, struct hako_err **err)
{
  cleanup_close int fd = hako_open_in_root (dirfd, rel, O_RDONLY, 0, err);
  cleanup_free char *buf = NULL;
  size_t len;
  json_error_t jerr;

  if (fd < 0 || hako_read_fd (fd, &buf, &len, err) < 0)
    return -1;
  if (len > JSON_MAX)
    return hako_error (err, EFBIG, "`%s`: too large", rel);
  *out = json_loadb (buf, len, 0, &jerr);
  if (*out == NULL)
    return hako_error (err, 0, "`%s`: %d:%d: %s", rel, jerr.line, jerr.column, jerr.text);
  return 0;
}

static char *
blob_rel (const char *digest)
{
  cleanup_free char *alg = img_digest_alg (digest);
  return xasprintf ("blobs/%s/%s", alg, img_digest_hex (digest));
}

static int
ingest_desc (struct img_store *s, int dirfd, const char *digest, struct hako_err **err)
{
  cleanup_free char *rel = blob_rel (digest);
  return ingest_file (s, dirfd, rel, digest, NULL, err);
}

static int
load_oci_manifest (struct img_store *s, int dirfd, const char *top, const char *manifest, const char *name,
                   const struct img_events *ev, struct hako_err **err)
{
  struct img_manifest m;
  cleanup_free char *buf = NULL;
  cleanup_free char *id = NULL;
  size_t len;

  if (ingest_desc (s, dirfd, manifest, err) < 0
      || img_store_read_blob (s, manifest, JSON_MAX, &buf, &len, err) < 0
      || img_manifest_parse (buf, len, &m, err) < 0)
    return -1;
  int r = ingest_desc (s, dirfd, m.config.digest, err);
  for (size_t i = 0; r == 0 && i < m.n_layers; i++)
    r = ingest_desc (s, dirfd, m.layers[i].digest, err);
  img_manifest_clear (&m);
  if (r == 0)
    r = img_commit (s, top, manifest, name, NULL, &id, err);
  if (r == 0)
    {
      if (name)
        emit (ev, name, "Loaded image");
      else
        emit (ev, id, "Loaded image ID");
    }
  return r;
}

/* The name an index entry carries: containerd's full name, else a ref.name
   that is a whole reference (a bare tag such as "latest" names nothing). */
static char *
oci_entry_name (const struct img_desc *d)
{
  const char *full = json_string_value (json_object_get (d->annotations, "io.containerd.image.name"));
  const char *refname
      = json_string_value (json_object_get (d->annotations, "org.opencontainers.image.ref.name"));
  struct img_ref *ref = NULL;
  const char *cand = full ? full : (refname && strpbrk (refname, "/:") ? refname : NULL);

  if (cand == NULL || img_ref_parse (cand, NULL, &ref, NULL) < 0)
    return NULL;
  char *s = img_ref_string (ref);
  img_ref_free (ref);
  return s;
}

static int
load_oci_entry (struct img_store *s, int dirfd, const struct img_desc *d, const struct img_events *ev,
                struct hako_err **err)
{
  cleanup_free char *name = oci_entry_name (d);
  cleanup_free char *buf = NULL;
  size_t len;
  enum img_kind kind;
  struct img_mindex ix;
  struct img_platform host;

  if (ingest_desc (s, dirfd, d->digest, err) < 0
      || img_store_read_blob (s, d->digest, JSON_MAX, &buf, &len, err) < 0
      || img_detect_kind (d->media_type, buf, len, &kind, NULL, err) < 0)
    return -1;
  if (kind == IMG_KIND_MANIFEST)
    return load_oci_manifest (s, dirfd, d->digest, d->digest, name, ev, err);
  img_platform_host (&host);
  if (img_mindex_parse (buf, len, &ix, err) < 0)
    return -1;
  int i = img_platform_select (&ix, &host, err);
  int r = i < 0 ? -1 : load_oci_manifest (s, dirfd, d->digest, ix.manifests[i].digest, name, ev, err);
  img_mindex_clear (&ix);
  return r;
}

static int
load_oci (struct img_store *s, int dirfd, const struct img_events *ev, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  struct img_mindex ix;
  cleanup_close int fd = hako_open_in_root (dirfd, "index.json", O_RDONLY, 0, err);

  if (fd < 0 || hako_read_fd (fd, &buf, &len, err) < 0 || img_mindex_parse (buf, len, &ix, err) < 0)
    return -1;
  int r = ix.n ? 0 : hako_error (err, 0, "index.json: no images");
  for (size_t i = 0; r == 0 && i < ix.n; i++)
    r = load_oci_entry (s, dirfd, &ix.manifests[i], ev, err);
  img_mindex_clear (&ix);
  return r;
}

static const char *
layer_media_type (int dirfd, const char *rel)
{
  unsigned char magic[4] = { 0 };
  cleanup_close int fd = hako_open_in_root (dirfd, rel, O_RDONLY, 0, NULL);
  if (fd < 0 || read (fd, magic, sizeof (magic)) < 2)
    return IMG_MT_OCI_LAYER;
  if (magic[0] == 0x1f && magic[1] == 0x8b)
    return IMG_MT_OCI_LAYER_GZIP;
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return IMG_MT_OCI_LAYER_ZSTD;
  return IMG_MT_OCI_LAYER;
}

static json_t *
desc_json (struct img_store *s, const char *mt, const char *digest)
{
  struct stat st;
  cleanup_free char *p = img_store_blob_path (s, digest);
  stat (p, &st);
  return json_pack ("{s:s,s:s,s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t) st.st_size);
}

/* One manifest.json entry: the config and layers go into the store as they
   are, and an OCI manifest is written for them. */
static int
load_docker_entry (struct img_store *s, int dirfd, json_t *e, const struct img_events *ev,
                   struct hako_err **err)
{
  const char *cfg = json_string_value (json_object_get (e, "Config"));
  json_t *layers = json_object_get (e, "Layers"), *tags = json_object_get (e, "RepoTags");
  cleanup_free char *cfg_digest = NULL;
  cleanup_free char *mdigest = NULL;

  if (cfg == NULL || !json_is_array (layers))
    return hako_error (err, 0, "manifest.json: entry without Config or Layers");
  if (ingest_file (s, dirfd, cfg, NULL, &cfg_digest, err) < 0)
    return -1;
  json_t *ls = json_array ();
  for (size_t i = 0; i < json_array_size (layers); i++)
    {
      const char *rel = json_string_value (json_array_get (layers, i));
      cleanup_free char *d = NULL;
      if (rel == NULL || ingest_file (s, dirfd, rel, NULL, &d, err) < 0)
        {
          json_decref (ls);
          return rel ? -1 : hako_error (err, 0, "manifest.json: Layers[%zu]: not a string", i);
        }
      json_array_append_new (ls, desc_json (s, layer_media_type (dirfd, rel), d));
    }
  json_t *m = json_pack ("{s:i,s:s,s:o,s:o}", "schemaVersion", 2, "mediaType", IMG_MT_OCI_MANIFEST, "config",
                         desc_json (s, IMG_MT_OCI_CONFIG, cfg_digest), "layers", ls);
  cleanup_free char *text = json_dumps (m, JSON_COMPACT);
  json_decref (m);
  if (img_store_put_blob (s, NULL, text, strlen (text), &mdigest, err) < 0)
    return -1;
  size_t n = json_array_size (tags);
  for (size_t k = 0; k < (n ? n : 1); k++)
    {
      struct img_ref *ref = NULL;
      const char *t = json_string_value (json_array_get (tags, k));
      cleanup_free char *name = NULL;
      if (t && img_ref_parse (t, NULL, &ref, err) < 0)
        return hako_error_prefix (err, "manifest.json: RepoTags");
      name = ref ? img_ref_string (ref) : NULL;
      img_ref_free (ref);
      if (load_oci_manifest (s, dirfd, mdigest, mdigest, name, ev, err) < 0)
        return -1;
    }
  return 0;
}

static int
load_docker (struct img_store *s, int dirfd, const struct img_events *ev, struct hako_err **err)
{
  json_t *root = NULL;

  if (read_json_in (dirfd, "manifest.json", &root, err) < 0)
    return -1;
  int r
      = json_is_array (root) && json_array_size (root) ? 0 : hako_error (err, 0, "manifest.json: no images");
  for (size_t i = 0; r == 0 && i < json_array_size (root); i++)
    r = load_docker_entry (s, dirfd, json_array_get (root, i), ev, err);
  json_decref (root);
  return r;
}

static int
load_dir (struct img_store *s, int dirfd, const struct img_events *ev, struct hako_err **err)
{
  if (faccessat (dirfd, "index.json", F_OK, 0) == 0)
    return load_oci (s, dirfd, ev, err);
  if (faccessat (dirfd, "manifest.json", F_OK, 0) == 0)
    return load_docker (s, dirfd, ev, err);
  return hako_error (err, 0, "neither an OCI layout (index.json) nor a docker archive (manifest.json)");
}

static int
load_locked (struct img_store *s, const char *path, int infd, const struct img_events *ev,
             struct hako_err **err)
{
  struct stat st;
  cleanup_close int fd = path ? open (path, O_RDONLY | O_CLOEXEC) : -1;

  if (path && (fd < 0 || fstat (fd, &st) < 0))
    return hako_error (err, errno, "open `%s`", path);
  if (path && S_ISDIR (st.st_mode))
    return load_dir (s, fd, ev, err);
  cleanup_free char *tmp = img_store_mkdtemp (s, "load", err);
  if (tmp == NULL)
    return -1;
  cleanup_close int dfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct img_apply_opts plain = { 0 };
  int r = dfd < 0 ? hako_error (err, errno, "open `%s`", tmp)
                  : img_layer_apply (path ? fd : infd, dfd, &plain, NULL, NULL, err);
  if (r == 0)
    r = load_dir (s, dfd, ev, err);
  hako_rm_rf (tmp, NULL);
  return r;
}

int
img_load (struct img_store *s, const char *path, int infd, const struct img_events *ev, struct hako_err **err)
{
  if (img_store_lock (s, false, err) < 0)
    return -1;
  int r = load_locked (s, path, infd, ev, err);
  img_store_unlock (s);
  return r < 0 ? hako_error_prefix (err, "load") : 0;
}
