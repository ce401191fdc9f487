/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_LAYER_H
#define HAKO_IMAGE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;
struct img_store;

struct img_apply_opts
{
  /* OCI whiteouts (.wh.NAME, .wh..wh..opq) become overlayfs ones (a 0/0
     character device, trusted.overlay.opaque=y).  Off for plain archives. */
  bool whiteouts;
  bool ownership;     /* chown to the uid/gid in the tar */
  bool devices;       /* character and block devices allowed */
  uint64_t max_bytes; /* uncompressed size limit; 0 = IMG_LAYER_MAX_BYTES */
};

#define IMG_LAYER_MAX_BYTES (64ull << 30)

/* Unpack a tar stream (gzip, zstd, xz, bzip2 or none: detected) from srcfd
   into the directory destfd.  Refused, with nothing written outside destfd:
   absolute names, "..", entries (and hard links) through a symlink or a
   non-directory, hard links to outside, sizes beyond max_bytes.  *diff_id
   and *size (optional) are the sha256 and length of the uncompressed tar. */
int img_layer_apply (int srcfd, int destfd, const struct img_apply_opts *opts, char **diff_id, uint64_t *size,
                     struct hako_err **err);

/* Unpack blob `digest` into layers/ALG/HEX/diff of the store (once: an
   existing layer is reused) and check it against `diff_id`.  The
   uncompressed size goes to layers/ALG/HEX/size (for `images`). */
int img_layer_unpack (struct img_store *s, const char *digest, const char *diff_id, struct hako_err **err);

/* Decompress a blob to its tar stream (for docker-archive), hashing it. */
int img_layer_decompress (int srcfd,
                          int (*sink) (void *ctx, const void *buf, size_t len, struct hako_err **err),
                          void *ctx, char **diff_id, struct hako_err **err);

/* What img_layer_unpack recorded, or -1. */
int64_t img_layer_size (struct img_store *s, const char *diff_id);

#endif
