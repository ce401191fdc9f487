/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_SYSTEM_H
#define HAKO_ENGINE_SYSTEM_H

/* What the storage holds and what can go: `system df`, the prunes
   (`container prune`, `volume prune`, `system prune`). */

#include "engine.h"
#include <stdbool.h>
#include <stdint.h>

struct hako_err;

/* Apparent size of a tree (st_size of each inode once, no symlink or mount
   followed): what docker reports. */
uint64_t eng_dir_size (const char *path);
/* What the container wrote: its snapshot's upper dir. */
uint64_t eng_ctr_size (const struct eng_ctx *e, const struct eng_ctr *c);

struct eng_df_row
{
  size_t total, active;
  uint64_t size, reclaimable;
};
struct eng_df
{
  struct eng_df_row images, containers, volumes;
};
int eng_df (const struct eng_ctx *e, struct eng_df *df, struct hako_err **err);

/* Called with each thing removed ("sha256:…", a container ID, a volume
   name); `kind` is "Deleted" or "Untagged". */
typedef void (*eng_prune_fn) (void *ctx, const char *kind, const char *what);

/* Stopped containers (created, exited, dead). */
int eng_container_prune (const struct eng_ctx *e, eng_prune_fn fn, void *ctx, uint64_t *reclaimed,
                         struct hako_err **err);
/* Volumes no container uses. */
int eng_volume_prune (const struct eng_ctx *e, eng_prune_fn fn, void *ctx, uint64_t *reclaimed,
                      struct hako_err **err);
/* Images no container uses: untagged ones, or all with `all`. */
int eng_image_prune (const struct eng_ctx *e, bool all, eng_prune_fn fn, void *ctx, uint64_t *reclaimed,
                     struct hako_err **err);

#endif
