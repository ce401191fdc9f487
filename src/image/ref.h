/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_REF_H
#define HAKO_IMAGE_REF_H

struct hako_err;

/* An image reference, normalised as docker does:
     busybox                 -> docker.io/library/busybox:latest
     busybox:1.36            -> docker.io/library/busybox:1.36
     localhost:5000/a/b@sha256:… -> domain localhost:5000, path a/b, digest
   The first component is a registry when it has a '.' or ':', is
   "localhost", or has an upper-case letter; otherwise the default registry
   is prepended, and "library/" when that registry is docker.io. */
struct img_ref
{
  char *domain; /* "docker.io", "localhost:5000" */
  char *path;   /* "library/busybox" */
  char *tag;    /* NULL when the reference has only a digest */
  char *digest; /* NULL unless "@digest" was given */
};

#define IMG_DEFAULT_DOMAIN "docker.io"

/* default_domain NULL means docker.io.  With neither tag nor digest the tag
   is "latest". */
int img_ref_parse (const char *s, const char *default_domain, struct img_ref **out, struct hako_err **err);
void img_ref_free (struct img_ref *r);
/* "domain/path" */
char *img_ref_name (const struct img_ref *r);
/* "domain/path:tag", "domain/path@digest" or both: what the index stores. */
char *img_ref_string (const struct img_ref *r);
/* docker's short form for display: "busybox:latest" for docker.io/library. */
char *img_ref_familiar (const char *full);

#endif
