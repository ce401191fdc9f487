/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_SNAPSHOT_H
#define HAKO_IMAGE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

struct hako_err;
struct img_store;

/* A snapshot is a writable root filesystem over an image: an overlay mount
   whose lower dirs are the image's unpacked layers (top first) and whose
   upper and work dirs live in the snapshot's own directory:

     snapshots/ID/upper     what the container writes
     snapshots/ID/work      overlayfs scratch
     snapshots/ID/merged    the mount point
     snapshots/ID/layers    the lower diff_ids, top first, one a line: the
                            garbage collector keeps these layers alive even
                            when the image is removed
     snapshots/ID/image     the image ID (for listing) */

/* 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool img_snapshot_id_valid (const char *id);

/* Mount a snapshot of the image `query` names.  `id` NULL: a random one.
 *merged_out (optional) is the mount point; *id_out (optional) the ID. */
int img_snapshot_create (struct img_store *s, const char *query, const char *default_domain, const char *id,
                         char **id_out, char **merged_out, struct hako_err **err);

/* The same for an image the caller has loaded (no second lookup). */
struct img_image;
int img_snapshot_create_image (struct img_store *s, const struct img_image *img, const char *id,
                               char **merged_out, struct hako_err **err);

/* Mount `lower` (n paths, top first) with upper and work on `merged`: the
   new mount API with one "lowerdir+" per layer (Linux 6.8+, no length
   limit), else mount(2) with one "lowerdir=a:b:c" string, which the kernel
   limits to a page. */
int img_overlay_mount (const char *const *lower, size_t n, const char *upper, const char *work,
                       const char *merged, struct hako_err **err);

/* Mount an existing snapshot again (no-op when mounted) / unmount it,
   keeping its upper dir: a stopped container keeps its changes. */
int img_snapshot_mount (struct img_store *s, const char *id, char **merged_out, struct hako_err **err);
int img_snapshot_unmount (struct img_store *s, const char *id, struct hako_err **err);

/* Unmount (if mounted) and delete everything of the snapshot. */
int img_snapshot_remove (struct img_store *s, const char *id, struct hako_err **err);

struct img_snapshot
{
  char *id;
  char *image;  /* the image ID, "" if unknown */
  char *merged; /* the mount point */
  bool mounted;
};
int img_snapshot_list (struct img_store *s, struct img_snapshot **out, size_t *n, struct hako_err **err);
void img_snapshot_list_free (struct img_snapshot *v, size_t n);

/* The diff_ids every snapshot holds (for the garbage collector), appended
   through add(ctx, diff_id). */
int img_snapshot_for_each_layer (struct img_store *s, void (*add) (void *ctx, const char *diff_id), void *ctx,
                                 struct hako_err **err);

#endif
