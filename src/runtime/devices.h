/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to rootfs.c: populating the container's /dev. */
#ifndef HAKO_RUNTIME_DEVICES_H
#define HAKO_RUNTIME_DEVICES_H

#include <stdbool.h>
#include "../oci/spec.h"
#include "rootfs.h"

struct hako_err;

/* runc's rule: /dev is populated unless the spec bind-mounts it (then it is
   someone's real /dev, not ours to write into). */
bool hako_devices_wanted (const struct oci_spec *spec);

/* Default devices, linux.devices, /dev/ptmx and the /dev symlinks, all
   created inside the rootfs (rootfd), never through a symlink. */
int hako_devices_setup (int rootfd, const struct oci_spec *spec, const struct hako_rootfs_opts *opts,
                        struct hako_err **err);

/* 0 when `fd` is the null device (char 1:3), an error naming `what` if not:
   a container that replaced /dev/null must not get a host file bound over
   its masked paths (CVE-2025-31133). */
int hako_devices_check_null (int fd, const char *what, struct hako_err **err);

#endif
