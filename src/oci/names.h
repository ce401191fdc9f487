/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_OCI_NAMES_H
#define HAKO_OCI_NAMES_H

/* The closed vocabularies of the runtime-spec: what config.json validation
   accepts, what the runtime resolves to numbers, and what `features` lists.
   Every list is NULL-terminated. */

#include <stdbool.h>
#include <stddef.h>

/* Capabilities, CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40), indexed by
   number; independent of the build host's <linux/capability.h>. */
#define OCI_CAP_LAST 40
extern const char *const oci_known_capabilities[];
int oci_cap_from_name (const char *name); /* -1 if unknown */
const char *oci_cap_name (int cap);       /* NULL if unknown */

/* "RLIMIT_NOFILE" <-> RLIMIT_NOFILE of <sys/resource.h>. */
extern const char *const oci_known_rlimits[];
int oci_rlimit_from_name (const char *name); /* -1 if unknown */
const char *oci_rlimit_name (int resource);  /* NULL if unknown */

/* "SCHED_FIFO" <-> SCHED_FIFO (SCHED_ISO is 4, reserved by the kernel). */
extern const char *const oci_known_sched_policies[];
int oci_sched_policy_from_name (const char *name); /* -1 if unknown */
extern const char *const oci_known_sched_flags[];

/* "IOPRIO_CLASS_BE" <-> IOPRIO_CLASS_BE (1..3, as <linux/ioprio.h>). */
extern const char *const oci_known_ioprio_classes[];
int oci_ioprio_class_from_name (const char *name); /* -1 if unknown */

/* linux.namespaces[].type, in enum oci_ns_type order. */
extern const char *const oci_known_namespaces[];
/* The hook names of config.md "POSIX-platform Hooks". */
extern const char *const oci_known_hooks[];
/* The mount options of config.md "Mounts" (runtime-side, not fs data). */
extern const char *const oci_known_mount_options[];
extern const char *const oci_known_propagations[]; /* rootfsPropagation */
extern const char *const oci_known_personality_domains[];
extern const char *const oci_known_seccomp_actions[];
extern const char *const oci_known_seccomp_operators[];
extern const char *const oci_known_seccomp_archs[];
extern const char *const oci_known_seccomp_flags[];
extern const char *const oci_known_time_clocks[];      /* linux.timeOffsets keys */
extern const char *const oci_known_container_status[]; /* state.status */

/* Position of name in a list, -1 if absent. */
int oci_name_index (const char *const *list, const char *name);
bool oci_name_known (const char *const *list, const char *name);
size_t oci_names_count (const char *const *list);

#endif
