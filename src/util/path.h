/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_UTIL_PATH_H
#define HAKO_UTIL_PATH_H

#include <stdbool.h>
#include <sys/types.h>

struct hako_err;

/* Safe path resolution under a root directory (STYLE.md, the CVE lesson):
   every path inside a container rootfs is resolved as if `rootfd` were "/",
   so no symlink, ".." or magic link can lead out of it.  Uses
   openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) and falls back to a
   component-by-component walk (O_NOFOLLOW, symlinks expanded by hand against
   the root, bounded at 40 links) when openat2 is missing (ENOSYS) or refused
   by a seccomp filter (EPERM from a filter is treated like ENOSYS).

   `path` may be absolute or relative; both are taken relative to the root. */
int hako_open_in_root (int rootfd, const char *path, int flags, mode_t mode, struct hako_err **err);

/* The component walk alone (what hako_open_in_root falls back to), exposed so
   the unit tests exercise it on kernels that have openat2.  Same contract;
   errno is set on failure even when `err` is NULL. */
int hako_open_in_root_fallback (int rootfd, const char *path, int flags, mode_t mode, struct hako_err **err);
/* Tests only: make every *_in_root function use the walk (true) or go back
   to probing openat2 (false). */
void hako_open_in_root_force_fallback (bool on);

/* mkdir -p inside the root; returns an O_PATH|O_DIRECTORY fd of the final
   directory.  Every component is created with `mode` if missing; an existing
   non-directory component is an error (ENOTDIR).  A dangling symlink on the
   way is followed, inside the root, and what it names is created. */
int hako_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct hako_err **err);

/* Create (if missing) the parent directories and a regular empty file at
   `path` inside the root, for a bind mount of a file.  Returns an O_PATH fd.
   An existing directory at `path` is returned as is (the caller decides).
   A dangling symlink at `path` gets its target created, inside the root. */
int hako_create_file_in_root (int rootfd, const char *path, mode_t mode, struct hako_err **err);

/* "/proc/self/fd/N" for an fd (static buffer per call site: pass your own). */
#define HAKO_FD_PATH_MAX 32
const char *hako_fd_path (int fd, char buf[HAKO_FD_PATH_MAX]);

/* Lexically clean an absolute or relative path: collapse "//", "/./", resolve
   ".." without touching the filesystem, never going above the start.  Returns
   a new string ("/" for empty absolute input). */
char *hako_path_clean (const char *path);

/* Join two path pieces with exactly one '/' between them (new string). */
char *hako_path_join (const char *a, const char *b);

/* Read a whole file (or fd) into a NUL-terminated buffer. */
int hako_read_file (const char *path, char **out, size_t *len, struct hako_err **err);
int hako_read_fd (int fd, char **out, size_t *len, struct hako_err **err);

/* Write a file atomically: tmp name in the same dir, fsync, rename. */
int hako_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                            struct hako_err **err);

/* write(2) all of buf, retrying on EINTR and short writes. */
int hako_write_all (int fd, const void *buf, size_t len);

/* mkdir -p on the host (not under a root), for state dirs. */
int hako_mkdir_p (const char *path, mode_t mode, struct hako_err **err);

/* Remove a directory tree (no symlink following).  A missing path is
   success; a mount point inside the tree is not entered: EBUSY. */
int hako_rm_rf (const char *path, struct hako_err **err);

#endif
