/* SPDX-License-Identifier: Apache-2.0 */
/* Image-spec v1.1 index, manifest and config, with Docker's schema 2
   manifest and manifest list accepted as inputs (same shape, other media
   types).  Every refusal names the field: "manifest: layers[1].digest: …". */
#include "manifest.h"
#include "digest.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <string.h>
#include <sys/utsname.h>

/* A manifest larger than this is an attack, not an image (the distribution
   spec lets registries refuse above 4 MiB). */
#define DOC_MAX (4u << 20)

static json_t *
load_doc (const char *what, const char *buf, size_t len, struct hako_err **err)
{
  json_error_t jerr;

  if (len > DOC_MAX)
    return hako_error (err, EFBIG, "%s: %zu bytes, more than the limit of %u", what, len, DOC_MAX), NULL;
  json_t *root = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    return hako_error (err, 0, "%s: invalid JSON at %d:%d: %s", what, jerr.line, jerr.column, jerr.text),
           NULL;
  if (!json_is_object (root))
    {
      json_decref (root);
      return hako_error (err, 0, "%s: not a JSON object", what), NULL;
    }
  return root;
}

/* An optional string field: NULL when absent, an error when not a string. */
static int
opt_str (json_t *o, const char *key, const char *path, char **out, struct hako_err **err)
{
  json_t *v = json_object_get (o, key);
  *out = NULL;
  if (v == NULL || json_is_null (v))
    return 0;
  if (!json_is_string (v))
    return hako_error (err, 0, "%s.%s: expected a string", path, key);
  *out = xstrdup (json_string_value (v));
  return 0;
}

static int
req_str (json_t *o, const char *key, const char *path, char **out, struct hako_err **err)
{
  if (opt_str (o, key, path, out, err) < 0)
    return -1;
  if (*out == NULL)
    return hako_error (err, 0, "%s.%s: missing", path, key);
  return 0;
}

void
img_desc_clear (struct img_desc *d)
{
  free (d->media_type);
  free (d->digest);
  free (d->os);
  free (d->arch);
  free (d->variant);
  if (d->annotations)
    json_decref (d->annotations);
  memset (d, 0, sizeof (*d));
}

static int
parse_platform (json_t *o, const char *path, struct img_desc *d, struct hako_err **err)
{
  json_t *p = json_object_get (o, "platform");
  cleanup_free char *ppath = xasprintf ("%s.platform", path);

  if (p == NULL)
    return 0;
  if (!json_is_object (p))
    return hako_error (err, 0, "%s: expected an object", ppath);
  if (req_str (p, "os", ppath, &d->os, err) < 0 || req_str (p, "architecture", ppath, &d->arch, err) < 0)
    return -1;
  return opt_str (p, "variant", ppath, &d->variant, err);
}

static int
parse_desc (json_t *o, const char *path, struct img_desc *d, struct hako_err **err)
{
  json_t *size = json_object_get (o, "size");
  json_t *ann = json_object_get (o, "annotations");

  memset (d, 0, sizeof (*d));
  if (!json_is_object (o))
    return hako_error (err, 0, "%s: expected an object", path);
  if (req_str (o, "mediaType", path, &d->media_type, err) < 0
      || req_str (o, "digest", path, &d->digest, err) < 0)
    return -1;
  if (img_digest_validate (d->digest, err) < 0)
    return hako_error_prefix (err, "%s.digest", path);
  if (!json_is_integer (size) || json_integer_value (size) < 0)
    return hako_error (err, 0, "%s.size: expected a non-negative integer", path);
  d->size = json_integer_value (size);
  if (ann && !json_is_object (ann))
    return hako_error (err, 0, "%s.annotations: expected an object", path);
  d->annotations = ann ? json_incref (ann) : NULL;
  return parse_platform (o, path, d, err);
}

static int
parse_desc_array (json_t *root, const char *what, const char *key, bool required, struct img_desc **out,
                  size_t *n, struct hako_err **err)
{
  json_t *a = json_object_get (root, key);

  *out = NULL;
  *n = 0;
  if (a == NULL && !required)
    return 0;
  if (!json_is_array (a))
    return hako_error (err, 0, "%s: %s: expected an array", what, key);
  *out = xzalloc ((json_array_size (a) + 1) * sizeof (**out));
  for (size_t i = 0; i < json_array_size (a); i++)
    {
      cleanup_free char *path = xasprintf ("%s: %s[%zu]", what, key, i);
      if (parse_desc (json_array_get (a, i), path, &(*out)[i], err) < 0)
        {
          img_desc_clear (&(*out)[i]);
          return -1;
        }
      (*n)++;
    }
  return 0;
}

static int
check_schema_version (json_t *root, const char *what, struct hako_err **err)
{
  json_t *v = json_object_get (root, "schemaVersion");
  if (!json_is_integer (v))
    return hako_error (err, 0, "%s: schemaVersion: missing or not an integer", what);
  if (json_integer_value (v) == 1)
    return hako_error (err, 0, "%s: Docker schema 1 manifests are not supported", what);
  if (json_integer_value (v) != 2)
    return hako_error (err, 0, "%s: schemaVersion %lld is not supported", what,
                       (long long) json_integer_value (v));
  return 0;
}

int
img_detect_kind (const char *content_type, const char *buf, size_t len, enum img_kind *kind,
                 char **media_type, struct hako_err **err)
{
  json_t *root = load_doc ("manifest", buf, len, err);
  if (root == NULL)
    return -1;
  const char *mt = json_string_value (json_object_get (root, "mediaType"));
  cleanup_free char *ct = NULL;
  if (mt == NULL && content_type && *content_type)
    {
      ct = xstrdup (content_type);
      ct[strcspn (ct, "; ")] = '\0';
      mt = ct;
    }
  int r = check_schema_version (root, "manifest", err);
  if (r == 0)
    {
      bool index_shape = json_object_get (root, "manifests") != NULL;
      if (mt && (strcmp (mt, IMG_MT_OCI_INDEX) == 0 || strcmp (mt, IMG_MT_DOCKER_LIST) == 0))
        *kind = IMG_KIND_INDEX;
      else if (mt && (strcmp (mt, IMG_MT_OCI_MANIFEST) == 0 || strcmp (mt, IMG_MT_DOCKER_MANIFEST) == 0))
        *kind = IMG_KIND_MANIFEST;
      else if (mt == NULL || strcmp (mt, "application/json") == 0 || strcmp (mt, "text/plain") == 0)
        *kind = index_shape ? IMG_KIND_INDEX : IMG_KIND_MANIFEST;
      else
        r = hako_error (err, 0, "manifest: unsupported media type `%s`", mt);
    }
  if (r == 0 && media_type)
    *media_type
        = xstrdup (mt && strchr (mt, '/') && strcmp (mt, "application/json") && strcmp (mt, "text/plain")
                       ? mt
                       : (*kind == IMG_KIND_INDEX ? IMG_MT_OCI_INDEX : IMG_MT_OCI_MANIFEST));
  json_decref (root);
  return r;
}

void
img_manifest_clear (struct img_manifest *m)
{
  free (m->media_type);
  img_desc_clear (&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    img_desc_clear (&m->layers[i]);
  free (m->layers);
  memset (m, 0, sizeof (*m));
}

int
img_manifest_parse (const char *buf, size_t len, struct img_manifest *m, struct hako_err **err)
{
  json_t *root = load_doc ("manifest", buf, len, err);
  int r = -1;

  memset (m, 0, sizeof (*m));
  if (root == NULL)
    return -1;
  if (check_schema_version (root, "manifest", err) < 0
      || opt_str (root, "mediaType", "manifest", &m->media_type, err) < 0)
    goto out;
  if (json_object_get (root, "manifests"))
    {
      hako_error (err, 0, "manifest: is an index, not a manifest");
      goto out;
    }
  if (parse_desc (json_object_get (root, "config"), "manifest: config", &m->config, err) < 0
      || parse_desc_array (root, "manifest", "layers", true, &m->layers, &m->n_layers, err) < 0)
    goto out;
  r = 0;
out:
  json_decref (root);
  if (r < 0)
    img_manifest_clear (m);
  return r;
}

void
img_mindex_clear (struct img_mindex *ix)
{
  free (ix->media_type);
  for (size_t i = 0; i < ix->n; i++)
    img_desc_clear (&ix->manifests[i]);
  free (ix->manifests);
  memset (ix, 0, sizeof (*ix));
}

int
img_mindex_parse (const char *buf, size_t len, struct img_mindex *ix, struct hako_err **err)
{
  json_t *root = load_doc ("index", buf, len, err);
  int r = -1;

  memset (ix, 0, sizeof (*ix));
  if (root == NULL)
    return -1;
  if (check_schema_version (root, "index", err) == 0
      && opt_str (root, "mediaType", "index", &ix->media_type, err) == 0
      && parse_desc_array (root, "index", "manifests", true, &ix->manifests, &ix->n, err) == 0)
    r = 0;
  json_decref (root);
  if (r < 0)
    img_mindex_clear (ix);
  return r;
}

void
img_config_clear (struct img_config *c)
{
  free (c->os);
  free (c->arch);
  free (c->variant);
  free (c->created);
  for (size_t i = 0; i < c->n_diff_ids; i++)
    free (c->diff_ids[i]);
  free (c->diff_ids);
  if (c->root)
    json_decref (c->root);
  memset (c, 0, sizeof (*c));
}

static int
parse_rootfs (json_t *root, struct img_config *c, struct hako_err **err)
{
  json_t *rootfs = json_object_get (root, "rootfs");
  json_t *ids = json_object_get (rootfs, "diff_ids");
  const char *type = json_string_value (json_object_get (rootfs, "type"));

  if (!json_is_object (rootfs))
    return hako_error (err, 0, "config: rootfs: missing or not an object");
  if (type == NULL || strcmp (type, "layers") != 0)
    return hako_error (err, 0, "config: rootfs.type: expected \"layers\"");
  if (!json_is_array (ids))
    return hako_error (err, 0, "config: rootfs.diff_ids: expected an array");
  c->diff_ids = xzalloc ((json_array_size (ids) + 1) * sizeof (char *));
  for (size_t i = 0; i < json_array_size (ids); i++)
    {
      const char *d = json_string_value (json_array_get (ids, i));
      if (img_digest_validate (d, err) < 0)
        return hako_error_prefix (err, "config: rootfs.diff_ids[%zu]", i);
      c->diff_ids[c->n_diff_ids++] = xstrdup (d);
    }
  return 0;
}

int
img_config_parse (const char *buf, size_t len, struct img_config *c, struct hako_err **err)
{
  json_t *root = load_doc ("config", buf, len, err);

  memset (c, 0, sizeof (*c));
  if (root == NULL)
    return -1;
  c->root = root;
  if (req_str (root, "architecture", "config", &c->arch, err) < 0
      || req_str (root, "os", "config", &c->os, err) < 0
      || opt_str (root, "variant", "config", &c->variant, err) < 0
      || opt_str (root, "created", "config", &c->created, err) < 0 || parse_rootfs (root, c, err) < 0)
    {
      img_config_clear (c);
      return -1;
    }
  if (json_object_get (root, "config") && !json_is_object (json_object_get (root, "config")))
    {
      img_config_clear (c);
      return hako_error (err, 0, "config: config: expected an object");
    }
  return 0;
}

/* ---------- platforms ---------- */

void
img_platform_host (struct img_platform *p)
{
  static const struct
  {
    const char *machine, *arch, *variant;
  } map[] = {
    { "x86_64", "amd64", "" },    { "aarch64", "arm64", "" }, { "armv7l", "arm", "v7" },
    { "armv6l", "arm", "v6" },    { "i686", "386", "" },      { "i386", "386", "" },
    { "ppc64le", "ppc64le", "" }, { "s390x", "s390x", "" },   { "riscv64", "riscv64", "" },
  };
  struct utsname u;

  memset (p, 0, sizeof (*p));
  strcpy (p->os, "linux");
  uname (&u);
  snprintf (p->arch, sizeof (p->arch), "%.31s", u.machine);
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    if (strcmp (u.machine, map[i].machine) == 0)
      {
        snprintf (p->arch, sizeof (p->arch), "%s", map[i].arch);
        snprintf (p->variant, sizeof (p->variant), "%s", map[i].variant);
      }
}

int
img_platform_parse (const char *s, struct img_platform *p, struct hako_err **err)
{
  if (s == NULL || *s == '\0')
    {
      img_platform_host (p);
      return 0;
    }
  memset (p, 0, sizeof (*p));
  int n = sscanf (s, "%31[^/]/%31[^/]/%31[^/]", p->os, p->arch, p->variant);
  if (n < 2 || strlen (s) != strlen (p->os) + strlen (p->arch) + 1 + (n == 3 ? strlen (p->variant) + 1 : 0))
    return hako_error (err, 0, "invalid platform `%s`: expected OS/ARCH[/VARIANT]", s);
  return 0;
}

/* arm64 images say "v8" or nothing; both mean the same machine. */
static bool
variant_matches (const char *want, const char *have, const char *arch)
{
  have = have ? have : "";
  if (*want == '\0')
    return true;
  if (strcmp (arch, "arm64") == 0 && (strcmp (want, "v8") == 0) && *have == '\0')
    return true;
  return strcmp (want, have) == 0;
}

int
img_platform_select (const struct img_mindex *ix, const struct img_platform *p, struct hako_err **err)
{
  char seen[512] = "";
  size_t used = 0;

  for (size_t i = 0; i < ix->n; i++)
    {
      const struct img_desc *d = &ix->manifests[i];
      if (d->os == NULL || d->arch == NULL)
        continue;
      if (strcmp (d->os, p->os) == 0 && strcmp (d->arch, p->arch) == 0
          && variant_matches (p->variant, d->variant, p->arch))
        return (int) i;
      if (used < sizeof (seen) - 1)
        used += (size_t) snprintf (seen + used, sizeof (seen) - used, "%s%s/%s%s%s", used ? ", " : "", d->os,
                                   d->arch, d->variant ? "/" : "", d->variant ? d->variant : "");
      if (used >= sizeof (seen))
        used = sizeof (seen) - 1;
    }
  return hako_error (err, 0, "no image for platform %s/%s%s%s (the index has: %s)", p->os, p->arch,
                     *p->variant ? "/" : "", p->variant, *seen ? seen : "no platforms");
}

bool
img_layer_type_supported (const char *mt)
{
  static const char *const ok[] = {
    IMG_MT_OCI_LAYER,
    IMG_MT_OCI_LAYER_GZIP,
    IMG_MT_OCI_LAYER_ZSTD,
    IMG_MT_DOCKER_LAYER,
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  };
  for (size_t i = 0; i < sizeof (ok) / sizeof (ok[0]); i++)
    if (strcmp (mt, ok[i]) == 0)
      return true;
  return false;
}
