/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_VOLUME_H
#define HAKO_ENGINE_VOLUME_H

/* Volumes (docker's "local" driver): <storage>/volumes/<name>/_data, with
   <storage>/volumes/<name>/volume.json {Name, CreatedAt, Labels, Anonymous}.
   What persists when containers go. */

#include "engine.h"
#include <stdbool.h>

struct hako_err;

/* Create the volume if it does not exist; *path_out its _data directory. */
int eng_volume_ensure (const struct eng_ctx *e, const char *name, bool anonymous, char **path_out,
                       struct hako_err **err);
/* Copy what the image has at `dest` (resolved inside `rootfs`) into an empty
   volume, as docker does on first use. */
int eng_volume_seed (const char *volume_path, const char *rootfs, const char *dest, struct hako_err **err);
/* Remove; refused (EBUSY) when a container uses it, unless `force`. */
int eng_volume_remove (const struct eng_ctx *e, const char *name, bool force, struct hako_err **err);
/* Does any container's record mount it? */
bool eng_volume_in_use (const struct eng_ctx *e, const char *name);
char *eng_volume_dir (const struct eng_ctx *e, const char *name);

/* volume.json of one volume (docker's inspect shape; new reference). */
int eng_volume_inspect (const struct eng_ctx *e, const char *name, json_t **out, struct hako_err **err);
/* Every volume's volume.json, sorted by name. */
int eng_volume_list (const struct eng_ctx *e, json_t **out, struct hako_err **err);
/* `volume create`: a named volume with labels (KEY=VALUE); an existing
   one is left as it is (docker returns it). */
int eng_volume_create (const struct eng_ctx *e, const char *name, char *const *labels, size_t n_labels,
                       struct hako_err **err);

#endif
