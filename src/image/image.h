/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_IMAGE_H
#define HAKO_IMAGE_IMAGE_H

/* What the engine (and the CLI) calls: whole-image operations over the
   store, the registry client and the archive formats. */

#include "index.h"
#include "manifest.h"
#include "registry.h"
#include <stdbool.h>
#include <stdio.h>

struct hako_err;
struct img_store;

/* Progress and events ("sha256:abcd…: Pull complete").  `subject` is a
   short digest or a name; NULL callbacks are fine. */
struct img_events
{
  void (*event) (void *ctx, const char *subject, const char *status);
  void *ctx;
};

/* An image of the store, with its manifest and config parsed. */
struct img_image
{
  char *manifest_digest;
  char *manifest_buf;
  size_t manifest_len;
  char *config_buf;
  size_t config_len;
  struct img_manifest m;
  struct img_config c;
};

int img_image_load (struct img_store *s, const char *manifest_digest, struct img_image *img,
                    struct hako_err **err);
void img_image_clear (struct img_image *img);
/* The image `query` names (see img_index_lookup), loaded. */
int img_image_find (struct img_store *s, const char *query, const char *default_domain, struct img_image *img,
                    struct img_record *rec_copy, struct hako_err **err);
void img_record_copy (struct img_record *dst, const struct img_record *src);
void img_record_clear (struct img_record *r);

/* With the manifest, config and layer blobs in the store: check the config
   against the manifest, unpack every layer (diff_ids verified) and record the
   image under `name` (may be NULL: an untagged image). *id_out optional. */
int img_commit (struct img_store *s, const char *top_digest, const char *manifest_digest, const char *name,
                const struct img_events *ev, char **id_out, struct hako_err **err);

struct img_pull_opts
{
  struct img_reg_opts reg;
  const char *platform; /* "os/arch[/variant]", NULL: the host */
  const char *default_domain;
  struct img_events ev;
};
int img_pull (struct img_store *s, const char *ref, const struct img_pull_opts *o, char **id_out,
              struct hako_err **err);

struct img_push_opts
{
  struct img_reg_opts reg;
  const char *default_domain;
  struct img_events ev;
};
/* Push local image `src` to `dest` (NULL: the name `src` gives). */
int img_push (struct img_store *s, const char *src, const char *dest, const struct img_push_opts *o,
              char **digest_out, struct hako_err **err);

/* Remove names / images and free what nothing references any more. */
struct img_gc_stats
{
  size_t blobs, layers, images;
  uint64_t bytes;
};
/* rmi: `query` by name drops that name (the image goes when it has no name
   left); by ID removes the image, which needs `force` when it has several
   names.  Deleted IDs and untagged names are reported through ev. */
int img_remove (struct img_store *s, const char *query, const char *default_domain, bool force,
                const struct img_events *ev, struct hako_err **err);
/* prune: untagged images (all images with `all`), then the sweep. */
int img_prune (struct img_store *s, bool all, const struct img_events *ev, struct img_gc_stats *st,
               struct hako_err **err);
/* The sweep alone (mark from images.json, delete the rest); needs the
   store's exclusive lock, which it takes. */
int img_gc (struct img_store *s, struct img_gc_stats *st, struct hako_err **err);
/* system check: every blob against its digest, every image's blobs and
   layers present.  Problems go to ev; returns the number found (or -1). */
int img_check (struct img_store *s, const struct img_events *ev, struct hako_err **err);

/* save / load */
enum img_archive_format
{
  IMG_ARCHIVE_OCI,
  IMG_ARCHIVE_DOCKER,
};
int img_save (struct img_store *s, const char *const *queries, size_t n, const char *default_domain,
              enum img_archive_format fmt, int outfd, struct hako_err **err);
/* Load an oci-archive, a docker-archive (either from a file or fd, any
   compression) or an OCI layout directory.  Names loaded go to ev. */
int img_load (struct img_store *s, const char *path, int infd, const struct img_events *ev,
              struct hako_err **err);

/* import: a rootfs tarball (any compression) as a one-layer image. */
struct img_import_opts
{
  const char *name;           /* may be NULL */
  const char *const *changes; /* "CMD [...]", "ENV K=V", … (docker import -c) */
  const char *message;        /* history comment */
  const char *platform;
};
int img_import (struct img_store *s, int infd, const struct img_import_opts *o, const struct img_events *ev,
                char **id_out, struct hako_err **err);

#endif
