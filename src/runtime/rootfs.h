/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_ROOTFS_H
#define HAKO_RUNTIME_ROOTFS_H

#include <stdbool.h>
#include "../oci/spec.h"

struct hako_err;

/* A cgroup hierarchy for the container's /sys/fs/cgroup/NAME, worked out by
   the runtime before clone (cgroup_mount_plan). */
struct hako_cg_mount
{
  char *name;   /* below /sys/fs/cgroup: "memory", "cpu,cpuacct", "unified" */
  char *source; /* the host directory of the container's cgroup in it */
};
void hako_cg_mounts_free (struct hako_cg_mount *v, size_t n);

struct hako_rootfs_opts
{
  const char *rootfs; /* absolute host path of root.path (already resolved) */
  bool no_pivot;      /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  bool in_userns;     /* a new user namespace: mknod is refused, bind devices */
  bool new_cgroupns;  /* the container has its own cgroup namespace */
  bool new_netns;     /* a new network namespace: sysfs may be mounted */
  bool new_pidns;     /* a new pid namespace */
  /* The cgroup hierarchies to bind (without a cgroup namespace), or NULL
     with have_cg_mounts false: then read from /proc/self in the container. */
  const struct hako_cg_mount *cg_mounts;
  size_t n_cg_mounts;
  bool have_cg_mounts;
};

/* Runs in the container process, in its new mount namespace, before the
   createContainer hooks.  In order:
   1. make "/" recursively MS_SLAVE|MS_REC (or rootfsPropagation), so nothing
      propagates back to the host;
   2. bind-mount the rootfs onto itself (pivot_root needs a mount point);
   3. every entry of spec->mounts, in order, destination resolved inside the
      rootfs (hako_open_in_root; never through a symlink out), sources that are
      host paths opened on the host; options parsed into flags/propagation/data
      (bind, rbind, ro, rro, nosuid, nodev, noexec, nosymfollow, propagation
      flags, tmpfs/proc/sysfs/mqueue/devpts/cgroup/…), with a bind + remount
      for flags on bind mounts;
   4. /dev: default devices (null zero full random urandom tty) and
      linux.devices, by mknod or, in a user namespace, by bind mount from the
      host; /dev/ptmx -> pts/ptmx, /dev/fd, stdin, stdout, stderr, core symlinks;
   5. rootfsPropagation applied to the rootfs mount. */
int hako_rootfs_mount (const struct oci_spec *spec, const struct hako_rootfs_opts *opts,
                       struct hako_err **err);

/* Runs after the createContainer hooks: pivot_root into opts->rootfs (or
   MS_MOVE + chroot with no_pivot), detach the old root, chdir("/"). */
int hako_rootfs_pivot (const struct hako_rootfs_opts *opts, struct hako_err **err);

/* After pivot: /dev/console bind from the pty slave path (if `console_path` is
   not NULL), linux.sysctl via /proc/sys (refusing names with "..", "/" issues),
   maskedPaths (/dev/null over files, read-only empty tmpfs over dirs),
   readonlyPaths (bind + remount ro), and root.readonly (remount / ro). */
int hako_rootfs_finalize (const struct oci_spec *spec, const char *console_path, struct hako_err **err);

#endif
