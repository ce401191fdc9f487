/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_INDEX_H
#define HAKO_IMAGE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;
struct img_store;

/* images.json: the images of the store and their names.  A record is one
   single-platform manifest; `digest` is what its name resolved to at the
   registry (an index, or the manifest itself).  Readers take no lock: the
   file is replaced by rename, so they see the old or the new list.  Writers
   lock images.lock, read, change, write, unlock. */
struct img_record
{
  char *id;       /* the config digest, docker's image ID */
  char *digest;   /* top-level digest (index or manifest) */
  char *manifest; /* the platform manifest digest */
  char **names;   /* full references "docker.io/library/busybox:latest" */
  size_t n_names;
  int64_t created; /* when stored, seconds since the epoch */
};

struct img_index
{
  struct img_record *v;
  size_t n;
  int lock_fd; /* held between img_index_begin and commit/abort */
};

int img_index_read (struct img_store *s, struct img_index *ix, struct hako_err **err);
int img_index_begin (struct img_store *s, struct img_index *ix, struct hako_err **err);
int img_index_commit (struct img_store *s, struct img_index *ix, struct hako_err **err);
/* Releases the lock (if held) and frees the records. */
void img_index_clear (struct img_index *ix);

/* The record for this manifest, created when missing. */
struct img_record *img_index_put (struct img_index *ix, const char *id, const char *digest,
                                  const char *manifest);
/* Give `name` to `rec`, taking it from any other record (a tag moves). */
void img_index_set_name (struct img_index *ix, struct img_record *rec, const char *name);
bool img_index_drop_name (struct img_index *ix, const char *name);
void img_index_remove (struct img_index *ix, struct img_record *rec);

/* Find an image the way docker's CLI does: a name (normalised, default tag
   latest), name@digest, a full ID "sha256:…", or a unique ID prefix.
   Returns the index in ix->v, or -1 with an error ("no such image"). */
int img_index_lookup (const struct img_index *ix, const char *query, const char *default_domain,
                      struct hako_err **err);

#endif
