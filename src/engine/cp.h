/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_CP_H
#define HAKO_ENGINE_CP_H

/* Files in and out of a container: `cp` (both directions, tar streams too)
   and `export`.

   Every path inside the container is resolved with openat2(RESOLVE_IN_ROOT)
   against the container's root, and the trees are walked and created one
   fd at a time without following symlinks, so a symlink the container
   controls (`/escape -> /`, `../../..`) never leads the engine to the host.
   A running container is reached through /proc/PID/root (its volumes
   included, as docker's cp sees them); a stopped one through its snapshot,
   mounted for the time of the copy. */

#include "engine.h"
#include <stdbool.h>

struct hako_err;

/* The container's root directory, opened for the engine's own file work. */
struct eng_rootfs
{
  int fd;       /* O_PATH | O_DIRECTORY */
  bool live;    /* /proc/PID/root: the container's own mounts show */
  bool mounted; /* we mounted the snapshot: unmounted again by close */
};

/* `live`: a running container's /proc/PID/root (volumes, tmpfs included);
   otherwise its snapshot's merged overlay only (what export wants). */
int eng_rootfs_open (const struct eng_ctx *e, struct eng_ctr *c, bool live, struct eng_rootfs *r,
                     struct hako_err **err);
void eng_rootfs_close (const struct eng_ctx *e, struct eng_ctr *c, struct eng_rootfs *r);

struct eng_cp_opts
{
  bool follow_link; /* -L: a symlink as the source is followed */
  bool archive;     /* -a: keep uid/gid (else the copier's, as docker) */
};

/* `hako cp CTR:src dest`, docker's rules for files, directories and
   "src/.".  dest NULL: a tar stream to `outfd`. */
int eng_cp_from (const struct eng_ctx *e, struct eng_ctr *c, const char *src, const char *dest, int outfd,
                 const struct eng_cp_opts *o, struct hako_err **err);
/* `hako cp src CTR:dest`.  src NULL: a tar stream from `infd`, unpacked in
   the directory dest. */
int eng_cp_to (const struct eng_ctx *e, struct eng_ctr *c, const char *src, int infd, const char *dest,
               const struct eng_cp_opts *o, struct hako_err **err);

/* The container's filesystem (the merged view: no overlay whiteouts) as a
   tar stream. */
int eng_export (const struct eng_ctx *e, struct eng_ctr *c, int outfd, struct hako_err **err);

#endif
