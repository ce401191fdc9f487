/* SPDX-License-Identifier: Apache-2.0 */
/* push: blobs first (a HEAD skips what the registry has), the manifest
   last, so a registry never holds a manifest whose blobs are missing. */
#include "image.h"
#include "digest.h"
#include "ref.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
emit (const struct img_events *ev, const char *subject, const char *status)
{
  if (ev && ev->event)
    ev->event (ev->ctx, subject, status);
}

static int
push_one_blob (struct img_reg *reg, struct img_store *s, const struct img_desc *d,
               const struct img_events *ev, struct hako_err **err)
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
  emit (ev, sid, "Pushing");
  if (img_reg_push_blob (reg, fd, d->digest, st.st_size, err) < 0)
    return -1;
  emit (ev, sid, "Pushed");
  return 0;
}

int
img_push (struct img_store *s, const char *src, const char *dest, const struct img_push_opts *o,
          char **digest_out, struct hako_err **err)
{
  struct img_image img;
  struct img_ref *ref = NULL;
  struct img_reg *reg = NULL;
  int r = -1;

  if (img_ref_parse (dest ? dest : src, o->default_domain, &ref, err) < 0)
    return -1;
  cleanup_free char *shown = img_ref_string (ref);
  if (img_image_find (s, src, o->default_domain, &img, NULL, err) < 0)
    {
      img_ref_free (ref);
      return hako_error_prefix (err, "push %s", shown);
    }
  if (img_reg_open (ref->domain, ref->path, &o->reg, true, &reg, err) < 0)
    goto out;
  for (size_t i = 0; i < img.m.n_layers; i++)
    if (push_one_blob (reg, s, &img.m.layers[i], &o->ev, err) < 0)
      goto out;
  if (push_one_blob (reg, s, &img.m.config, NULL, err) < 0)
    goto out;
  /* The stored bytes, unchanged: the digest the registry computes is ours. */
  const char *mt = img.m.media_type ? img.m.media_type : IMG_MT_OCI_MANIFEST;
  const char *tag = ref->tag ? ref->tag : img.manifest_digest;
  if (img_reg_put_manifest (reg, tag, mt, img.manifest_buf, img.manifest_len, err) < 0)
    goto out;
  char line[160];
  snprintf (line, sizeof (line), "%s: digest: %s size: %zu", ref->tag ? ref->tag : "", img.manifest_digest,
            img.manifest_len);
  emit (&o->ev, NULL, line);
  if (digest_out)
    *digest_out = xstrdup (img.manifest_digest);
  r = 0;
out:
  img_reg_free (reg);
  img_image_clear (&img);
  img_ref_free (ref);
  if (r < 0)
    return hako_error_prefix (err, "push %s", shown);
  return 0;
}
