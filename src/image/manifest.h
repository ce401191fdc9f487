/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_MANIFEST_H
#define HAKO_IMAGE_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;

#define IMG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMG_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMG_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define IMG_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMG_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMG_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMG_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* What every manifest, index and Accept header deals in. */
#define IMG_ACCEPT_MANIFESTS                                                                                 \
  IMG_MT_OCI_INDEX ", " IMG_MT_OCI_MANIFEST ", " IMG_MT_DOCKER_LIST ", " IMG_MT_DOCKER_MANIFEST

/* A content descriptor (image-spec descriptor.md); the platform fields are
   set only for index entries that carry one. */
struct img_desc
{
  char *media_type;
  char *digest;
  int64_t size;
  char *os, *arch, *variant;
  json_t *annotations; /* owned reference or NULL */
};

enum img_kind
{
  IMG_KIND_MANIFEST,
  IMG_KIND_INDEX,
};

struct img_manifest
{
  char *media_type;
  struct img_desc config;
  struct img_desc *layers;
  size_t n_layers;
};

struct img_mindex
{
  char *media_type;
  struct img_desc *manifests;
  size_t n;
};

struct img_config
{
  char *os, *arch, *variant, *created;
  char **diff_ids;
  size_t n_diff_ids;
  json_t *root; /* the whole document, for inspect and history */
};

/* Index or manifest?  From the document's mediaType, else the transport's
   Content-Type (may be NULL), else its shape.  Schema 1 is refused. */
int img_detect_kind (const char *content_type, const char *buf, size_t len, enum img_kind *kind,
                     char **media_type, struct hako_err **err);

int img_manifest_parse (const char *buf, size_t len, struct img_manifest *m, struct hako_err **err);
void img_manifest_clear (struct img_manifest *m);
int img_mindex_parse (const char *buf, size_t len, struct img_mindex *ix, struct hako_err **err);
void img_mindex_clear (struct img_mindex *ix);
int img_config_parse (const char *buf, size_t len, struct img_config *c, struct hako_err **err);
void img_config_clear (struct img_config *c);
void img_desc_clear (struct img_desc *d);

/* "linux/amd64", "linux/arm64/v8"; NULL means the host. */
struct img_platform
{
  char os[32], arch[32], variant[32];
};
int img_platform_parse (const char *s, struct img_platform *p, struct hako_err **err);
void img_platform_host (struct img_platform *p);
/* The entry of `ix` for the platform; -1 with an error listing what there is. */
int img_platform_select (const struct img_mindex *ix, const struct img_platform *p, struct hako_err **err);

/* Layer media types that hako can unpack: gzip, zstd, plain tar. */
bool img_layer_type_supported (const char *media_type);

#endif
