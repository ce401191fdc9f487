/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_STORE_H
#define HAKO_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;

/* The content store under the storage root:

     blobs/ALG/HEX      verified blobs, read-only; visible only once verified
     ingest/ALG-HEX     partial downloads, kept for a Range resume, flocked
     layers/ALG/HEX     unpacked layers in overlay form, named by diff_id
     tmp/               anything half-made (temp blobs, layers being unpacked)
     images.json        the index of images (see index.h), images.lock
     gc.lock            shared by writers (pull, load, import), exclusive for
                        the sweep, so a sweep never frees what a pull is
                        about to reference */
struct img_store
{
  char *root;
  int rootfd;
  int gc_lock_fd;
};

/* $HAKO_STORAGE, else /var/lib/hako for root, else $XDG_DATA_HOME/hako. */
char *img_store_default_root (void);
int img_store_open (const char *root, struct img_store **out, struct hako_err **err);
void img_store_free (struct img_store *s);

int img_store_lock (struct img_store *s, bool exclusive, struct hako_err **err);
void img_store_unlock (struct img_store *s);

char *img_store_blob_path (const struct img_store *s, const char *digest);
bool img_store_has_blob (const struct img_store *s, const char *digest);
int img_store_open_blob (const struct img_store *s, const char *digest, struct hako_err **err);
/* Read a small blob (manifest, config) and verify it against its name. */
int img_store_read_blob (const struct img_store *s, const char *digest, size_t max, char **buf, size_t *len,
                         struct hako_err **err);
/* Store a buffer; `expected` (may be NULL) must match.  *digest_out optional. */
int img_store_put_blob (struct img_store *s, const char *expected, const void *buf, size_t len,
                        char **digest_out, struct hako_err **err);
int img_store_remove_blob (struct img_store *s, const char *digest, struct hako_err **err);

char *img_store_layer_path (const struct img_store *s, const char *diff_id);
bool img_store_has_layer (const struct img_store *s, const char *diff_id);
/* A fresh directory under tmp/ (for an unpack in progress). */
char *img_store_mkdtemp (struct img_store *s, const char *what, struct hako_err **err);

/* Streaming ingest of one blob.  With an expected digest the data goes to
   ingest/ALG-HEX, locked, and what a killed run left there is resumed from;
   without, to a temp file whose digest is computed at commit.  The blob is
   visible in blobs/ only after commit verified, fsynced and renamed it. */
struct img_ingest;
int img_ingest_open (struct img_store *s, const char *expected, int64_t size, struct img_ingest **out,
                     struct hako_err **err);
/* True when another process finished the same blob while we waited. */
bool img_ingest_already (const struct img_ingest *g);
uint64_t img_ingest_offset (const struct img_ingest *g);
int img_ingest_write (struct img_ingest *g, const void *buf, size_t len, struct hako_err **err);
/* Start over (a server that answered a Range request with the whole blob). */
int img_ingest_restart (struct img_ingest *g, struct hako_err **err);
int img_ingest_commit (struct img_ingest *g, char **digest_out, struct hako_err **err);
/* Close; an anonymous temp file is removed, a partial download is kept. */
void img_ingest_free (struct img_ingest *g);

#endif
