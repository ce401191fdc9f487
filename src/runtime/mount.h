/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to rootfs.c, mount.c and devices.c: one mount entry, the option
   table, remounts that keep locked flags, and a mountinfo reader. */
#ifndef HAKO_RUNTIME_MOUNT_H
#define HAKO_RUNTIME_MOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../oci/spec.h"
#include "rootfs.h"

struct hako_err;

#define HAKO_MAX_PROPAGATION 8

/* The options of one mount, parsed in order (a later "rw" undoes "ro"). */
struct hako_mount_opts
{
  unsigned long flags;                             /* MS_* for mount(2) */
  unsigned long propagation[HAKO_MAX_PROPAGATION]; /* applied one by one after */
  size_t n_propagation;
  uint64_t attr_set, attr_clr; /* recursive, mount_setattr */
  char *data;                  /* unknown options, comma-joined */
};

int hako_mount_parse_options (char *const *options, size_t n, struct hako_mount_opts *out,
                              struct hako_err **err);
void hako_mount_opts_free (struct hako_mount_opts *o);

/* Propagation name ("rslave", "private", …) to its MS_* flags; 0 if unknown. */
unsigned long hako_propagation_flags (const char *name);

/* hako_mkdir_in_root (util/path.h), one openat2 when the directory is
   there and three when only its last component is missing; the component
   walk otherwise (which also has the exact error). */
int hako_mkdir_in_root_fast (int rootfd, const char *path, mode_t mode, struct hako_err **err);

/* Mount one spec entry under the rootfs (rootfd: O_PATH of the rootfs mount). */
int hako_mount_entry (int rootfd, const struct oci_mount *m, const struct hako_rootfs_opts *opts,
                      struct hako_err **err);

/* MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RDONLY (and atime bits) of the mount `fd`
   is on: in a user namespace these are locked, and a remount that drops
   them fails with EPERM, so remounts OR them back in. */
unsigned long hako_mount_locked_flags (int fd);

/* mount(NULL, target, NULL, MS_BIND|MS_REMOUNT|flags): first as asked, then,
   on EPERM/EACCES, with the locked flags of the mount `fd` added.  target
   NULL means /proc/self/fd/<fd>; `what` names the mount in the error. */
int hako_remount_bind (int fd, const char *target, unsigned long flags, const char *what,
                       struct hako_err **err);

/* One line of /proc/self/mountinfo. */
struct hako_mountinfo
{
  char *root; /* root of the mount within its filesystem */
  char *mountpoint;
  char *fstype;
  char *source;
  char *super_opts;
};

int hako_mountinfo_read (const char *path, struct hako_mountinfo **out, size_t *n, struct hako_err **err);
void hako_mountinfo_free (struct hako_mountinfo *mi, size_t n);

/* Mount the cgroup filesystem(s) for a "cgroup" entry (v2, or v1 as a tmpfs
   of bind mounts).  dest: the entry's destination inside the rootfs. */
int hako_mount_cgroup (int rootfd, const char *dest, const struct hako_mount_opts *mo,
                       const struct hako_rootfs_opts *opts, struct hako_err **err);

/* Bind `source` (host path) onto `dest` (inside the root, created as a file or
   directory to match the source), then remount with `flags` when they ask for
   more than MS_BIND|MS_REC.  Returns an O_PATH fd of the new mount. */
int hako_bind_in_root (int rootfd, const char *source, const char *dest, unsigned long flags,
                       struct hako_err **err);

#endif
