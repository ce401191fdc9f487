/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_BUILD_INTERNAL_H
#define HAKO_BUILD_INTERNAL_H

/* Shared by the builder's files: the layer differ (diff.c), file
   operations (copy.c) and the driver (build.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;
struct img_store;
struct img_hasher;

/* ---- diff.c: a directory in overlay upper form -> a gzip layer blob ---- */

struct bld_diff_opts
{
  int64_t timestamp; /* -1: keep mtimes; else clamp them to it */
  /* Lower layer directories (top first): a directory the diff only holds
     as a copy-up with nothing new inside is left out, and so are the empty
     mount points the runtime made (/proc, /etc/hosts, …) when no lower has
     them. */
  const char *const *lower;
  size_t n_lower;
  bool skip_mountpoints;
};

/* Tar `dir` (sorted, whiteouts and opaque dirs as .wh. entries, no
   trusted.overlay.* xattrs), gzip it into the store.  *empty: nothing to
   put in a layer (then no blob is written). */
int bld_diff_layer (struct img_store *s, const char *dir, const struct bld_diff_opts *o, char **digest,
                    int64_t *size, char **diff_id, bool *empty, struct hako_err **err);

/* ---- copy.c: COPY / ADD ---- */

struct bld_ignore;
/* .containerignore, else .dockerignore, of the context (none: empty). */
int bld_ignore_load (int ctxfd, struct bld_ignore **out, struct hako_err **err);
void bld_ignore_free (struct bld_ignore *ig);
bool bld_ignored (const struct bld_ignore *ig, const char *relpath);
/* Go's filepath.Match plus "**" (any number of directories). */
bool bld_glob_match (const char *pattern, const char *name);

struct bld_copy
{
  int srcfd;         /* the context dir, or the root of a --from image */
  bool from_context; /* sources resolved beneath srcfd, ignore rules apply */
  const struct bld_ignore *ignore;
  int dstroot;         /* the rootfs being written */
  const char *workdir; /* relative destinations are below it */
  bool chown;
  uint32_t uid, gid;
  bool chmod;
  uint32_t mode;
  bool add;             /* ADD: local archives are extracted */
  const char *what;     /* "COPY" / "ADD" for messages */
  struct img_hasher *h; /* hash-only pass (the cache key) when set */
};

/* Copy `srcs` (n, may be globs) to `dest`: Docker's rules for a trailing
   '/', several sources, directories (their contents) and missing parents. */
int bld_copy (const struct bld_copy *c, char *const *srcs, size_t n, const char *dest, struct hako_err **err);
/* A heredoc body as file `dest` (dest ending in '/': dest/name). */
int bld_copy_content (const struct bld_copy *c, const char *name, const char *content, const char *dest,
                      struct hako_err **err);
/* Resolve "user[:group]" against the rootfs's /etc/passwd and /etc/group. */
int bld_resolve_chown (int rootfd, const char *spec, uint32_t *uid, uint32_t *gid, struct hako_err **err);
/* mkdir -p `path` in the root (WORKDIR). */
int bld_mkdir (int rootfd, const char *path, struct hako_err **err);

#endif
