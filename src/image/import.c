/* SPDX-License-Identifier: Apache-2.0 */
/* import: a root filesystem tarball becomes a one-layer image.  The tarball
   is decompressed (whatever it was) and recompressed with gzip in one pass,
   so the layer is what every registry and client accepts; the diff_id is
   hashed on the way. */
#include "image.h"
#include "digest.h"
#include "layer.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct gz
{
  struct archive *a;
  struct img_ingest *g;
  struct hako_err *err;
  uint64_t size;
};

static la_ssize_t
gz_write (struct archive *a, void *ctx, const void *buf, size_t len)
{
  struct gz *z = ctx;
  if (img_ingest_write (z->g, buf, len, &z->err) < 0)
    return -1;
  z->size += len;
  return (la_ssize_t) len;
}

static int
gz_sink (void *ctx, const void *buf, size_t len, struct hako_err **err)
{
  struct gz *z = ctx;
  if (archive_write_data (z->a, buf, len) != (la_ssize_t) len)
    {
      if (z->err)
        {
          *err = steal_pointer (&z->err);
          return -1;
        }
      return hako_error (err, 0, "compress: %s", archive_error_string (z->a));
    }
  return 0;
}

/* Recompress infd into a gzip blob; returns its digest, size and diff_id. */
static int
ingest_gzip (struct img_store *s, int infd, char **digest, uint64_t *size, char **diff_id,
             struct hako_err **err)
{
  struct gz z = { .a = archive_write_new () };
  struct archive_entry *e = archive_entry_new ();
  int r = -1;

  if (img_ingest_open (s, NULL, -1, &z.g, err) < 0)
    goto out;
  archive_write_set_format_raw (z.a);
  archive_write_add_filter_gzip (z.a);
  archive_write_set_bytes_per_block (z.a, 0);
  archive_entry_set_filetype (e, AE_IFREG);
  if (archive_write_open (z.a, &z, NULL, gz_write, NULL) != ARCHIVE_OK
      || archive_write_header (z.a, e) != ARCHIVE_OK)
    {
      hako_error (err, 0, "compress: %s", archive_error_string (z.a));
      goto out;
    }
  if (img_layer_decompress (infd, gz_sink, &z, diff_id, err) < 0)
    goto out;
  if (archive_write_close (z.a) != ARCHIVE_OK)
    {
      hako_error (err, 0, "compress: %s", archive_error_string (z.a));
      goto out;
    }
  if (img_ingest_commit (z.g, digest, err) < 0)
    goto out;
  *size = z.size;
  r = 0;
out:
  archive_write_free (z.a);
  archive_entry_free (e);
  img_ingest_free (z.g);
  hako_error_free (&z.err);
  return r;
}

/* "CMD [\"a\"]" (JSON) or "CMD a b" (shell form, as docker: sh -c). */
static json_t *
cmd_value (const char *arg)
{
  json_t *v = json_loads (arg, 0, NULL);
  if (json_is_array (v))
    return v;
  if (v)
    json_decref (v);
  return json_pack ("[s,s,s]", "/bin/sh", "-c", arg);
}

static int
apply_change (json_t *cfg, const char *change, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (change);
  char *arg = copy + strcspn (copy, " \t");
  if (*arg)
    *arg++ = '\0';
  arg += strspn (arg, " \t");
  if (*arg == '\0')
    return hako_error (err, 0, "--change `%s`: missing value", change);

  if (strcasecmp (copy, "CMD") == 0)
    return json_object_set_new (cfg, "Cmd", cmd_value (arg)), 0;
  if (strcasecmp (copy, "ENTRYPOINT") == 0)
    return json_object_set_new (cfg, "Entrypoint", cmd_value (arg)), 0;
  if (strcasecmp (copy, "WORKDIR") == 0)
    return json_object_set_new (cfg, "WorkingDir", json_string (arg)), 0;
  if (strcasecmp (copy, "USER") == 0)
    return json_object_set_new (cfg, "User", json_string (arg)), 0;
  const char *keyed[][2]
      = { { "ENV", "Env" }, { "LABEL", "Labels" }, { "EXPOSE", "ExposedPorts" }, { "VOLUME", "Volumes" } };
  for (size_t i = 0; i < 4; i++)
    {
      if (strcasecmp (copy, keyed[i][0]) != 0)
        continue;
      if (i == 0)
        {
          if (!json_is_array (json_object_get (cfg, "Env")))
            json_object_set_new (cfg, "Env", json_array ());
          return json_array_append_new (json_object_get (cfg, "Env"), json_string (arg)), 0;
        }
      if (!json_is_object (json_object_get (cfg, keyed[i][1])))
        json_object_set_new (cfg, keyed[i][1], json_object ());
      json_t *o = json_object_get (cfg, keyed[i][1]);
      if (i == 1)
        {
          char *eq = strchr (arg, '=');
          if (eq == NULL)
            return hako_error (err, 0, "--change `%s`: expected LABEL key=value", change);
          *eq = '\0';
          return json_object_set_new (o, arg, json_string (eq + 1)), 0;
        }
      cleanup_free char *key
          = i == 2 && strchr (arg, '/') == NULL ? xasprintf ("%s/tcp", arg) : xstrdup (arg);
      return json_object_set_new (o, key, json_object ()), 0;
    }
  return hako_error (err, 0, "--change `%s`: unsupported instruction `%s`", change, copy);
}

static void
now_rfc3339 (char *buf, size_t n)
{
  time_t t = time (NULL);
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
build_config (const struct img_import_opts *o, const char *diff_id, struct hako_err **err)
{
  struct img_platform p;
  char now[32];
  json_t *cfg = json_object ();

  if (img_platform_parse (o->platform, &p, err) < 0)
    {
      json_decref (cfg);
      return NULL;
    }
  for (const char *const *c = o->changes; c && *c; c++)
    if (apply_change (cfg, *c, err) < 0)
      {
        json_decref (cfg);
        return NULL;
      }
  now_rfc3339 (now, sizeof (now));
  json_t *hist = json_pack ("{s:s,s:s}", "created", now, "created_by", "hako import");
  if (o->message)
    json_object_set_new (hist, "comment", json_string (o->message));
  json_t *root
      = json_pack ("{s:s,s:s,s:s,s:o,s:{s:s,s:[s]},s:[o]}", "created", now, "architecture", p.arch, "os",
                   p.os, "config", cfg, "rootfs", "type", "layers", "diff_ids", diff_id, "history", hist);
  if (*p.variant)
    json_object_set_new (root, "variant", json_string (p.variant));
  return root;
}

static int
import_locked (struct img_store *s, int infd, const struct img_import_opts *o, const struct img_events *ev,
               char **id_out, struct hako_err **err)
{
  cleanup_free char *layer = NULL;
  cleanup_free char *diff_id = NULL;
  cleanup_free char *cfg_digest = NULL;
  cleanup_free char *m_digest = NULL;
  uint64_t size = 0;

  if (ingest_gzip (s, infd, &layer, &size, &diff_id, err) < 0)
    return -1;
  json_t *cfg = build_config (o, diff_id, err);
  if (cfg == NULL)
    return -1;
  cleanup_free char *cfg_text = json_dumps (cfg, JSON_COMPACT);
  json_decref (cfg);
  if (img_store_put_blob (s, NULL, cfg_text, strlen (cfg_text), &cfg_digest, err) < 0)
    return -1;
  json_t *m = json_pack ("{s:i,s:s,s:{s:s,s:s,s:I},s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                         IMG_MT_OCI_MANIFEST, "config", "mediaType", IMG_MT_OCI_CONFIG, "digest", cfg_digest,
                         "size", (json_int_t) strlen (cfg_text), "layers", "mediaType", IMG_MT_OCI_LAYER_GZIP,
                         "digest", layer, "size", (json_int_t) size);
  cleanup_free char *m_text = json_dumps (m, JSON_COMPACT);
  json_decref (m);
  if (img_store_put_blob (s, NULL, m_text, strlen (m_text), &m_digest, err) < 0)
    return -1;
  return img_commit (s, m_digest, m_digest, o->name, ev, id_out, err);
}

int
img_import (struct img_store *s, int infd, const struct img_import_opts *o, const struct img_events *ev,
            char **id_out, struct hako_err **err)
{
  if (img_store_lock (s, false, err) < 0)
    return -1;
  int r = import_locked (s, infd, o, ev, id_out, err);
  img_store_unlock (s);
  return r < 0 ? hako_error_prefix (err, "import") : 0;
}
