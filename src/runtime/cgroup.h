/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_CGROUP_H
#define HAKO_RUNTIME_CGROUP_H

/* The cgroup manager, inside: what cgroup.c (layout, record, dispatch),
   cgroup_v1.c and cgroup_v2.c (one backend per cgroup version),
   cgroup_bpf.c (v2 device filter) and cgroup_util.c (files, conversions)
   share.  The lifecycle uses the cgroup_* API of internal.h and the CLI the
   hako_container_* API of cgroup_ctl.h; only they and the unit tests include
   this file.

   A host mounts v1 hierarchies (one or more controllers each), one cgroup2
   hierarchy, or both (hybrid: Debian 11, this development machine).  Each
   resource goes to the hierarchy that has its controller: a v1 hierarchy when
   one has it, else the v2 hierarchy when the controller is available there.
   That choice is per resource, so a hybrid host gets its hugetlb limit from
   v2 and its memory limit from v1, and freeze/kill fall back to v2 where no
   v1 freezer is mounted. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "../oci/spec.h"

struct hako_err;

/* ---- where the host's tables are read (a seam for the unit tests) ---- */

/* NULL restores /proc/self/mountinfo and /proc/self/cgroup. */
void cgroup_set_proc_paths (const char *mountinfo, const char *self_cgroup);

/* ---- the host's layout ---- */

enum cg_mode
{
  CG_MODE_NONE,    /* no cgroup filesystem mounted */
  CG_MODE_LEGACY,  /* v1 only */
  CG_MODE_HYBRID,  /* v1 and a cgroup2 mount */
  CG_MODE_UNIFIED, /* cgroup2 only */
};

struct cg_hierarchy
{
  char *mountpoint;  /* /sys/fs/cgroup/memory */
  char *root;        /* the mount's root within the hierarchy ("/" mostly) */
  char *controllers; /* v1: "cpu,cpuacct", "name=systemd"; v2: "" */
  char *own;         /* our own cgroup in it, from /proc/self/cgroup (read once) */
  bool v2;
};

struct hako_mountinfo;

struct cg_layout
{
  struct cg_hierarchy *h;
  size_t n;
  enum cg_mode mode;
  struct hako_mountinfo *mounts; /* every cgroup and cgroup2 mount, in mount order */
  size_t n_mounts;
};

int cg_layout_read (struct cg_layout *l, struct hako_err **err);
void cg_layout_free (struct cg_layout *l);
const char *cg_mode_name (enum cg_mode m);
/* Our own cgroup in `h` (from /proc/self/cgroup), relative to h's mount. */
char *cg_own_path (const struct cg_hierarchy *h);

/* ---- a container's cgroup: one directory per hierarchy ---- */

struct cg_leaf
{
  char *dir; /* /sys/fs/cgroup/memory/<cgroupsPath> */
  const struct cg_hierarchy *h;
};

struct cg_set
{
  struct cg_layout layout;
  struct cg_leaf *leaf;
  size_t n;
  bool unified;  /* the host is cgroup2 only */
  bool rootless; /* made by an unprivileged runtime: delegated v2 only */
};

/* The container's leaves, from the record in its state dir (matched against
   the mounted hierarchies).  A container without cgroups has n == 0. */
int cg_set_load (int dirfd, struct cg_set *s, struct hako_err **err);
void cg_set_free (struct cg_set *s);
/* The leaf of the v1 hierarchy with `controller`, or NULL. */
const char *cg_v1_dir (const struct cg_set *s, const char *controller);
/* The v2 leaf (and its hierarchy's mount point), or NULL. */
const char *cg_v2_dir (const struct cg_set *s, const char **mountpoint);

/* ---- backends ---- */

/* What a controller manages, independent of the cgroup version. */
enum cg_res
{
  CG_DEVICES, /* first: the box before the limits */
  CG_CPUSET,
  CG_CPU,
  CG_CPUACCT, /* v1 statistics only */
  CG_MEMORY,
  CG_PIDS,
  CG_BLKIO,
  CG_HUGETLB,
  CG_NET_CLS,
  CG_NET_PRIO,
  CG_RDMA,
  CG_N_RES,
};

/* Apply the part of `r` a controller owns to its directory.  `update`: the
   resources are a change (runc's update: zero means "leave it"), not the
   whole configuration; devices are never updated. */
typedef int (*cg_apply_fn) (const char *dir, const struct oci_resources *r, bool update,
                            struct hako_err **err);
/* Add what the controller's files say to runc's stats object. */
typedef void (*cg_stats_fn) (const char *dir, json_t *stats);

struct cg_controller
{
  enum cg_res res;
  const char *name;  /* the kernel's name in this version: "blkio" (v1), "io" (v2) */
  bool core;         /* v2: always there, not in cgroup.controllers (devices) */
  cg_apply_fn apply; /* NULL: nothing to set */
  cg_stats_fn stats; /* NULL: nothing to report */
};

struct cgroup_ops
{
  const char *name;                        /* "v1", "v2" */
  const struct cg_controller *controllers; /* ends with .name == NULL */
  int (*freeze) (const char *dir, bool frozen, struct hako_err **err);
  /* 1 frozen, 0 not, -1 cannot tell. */
  int (*frozen) (const char *dir);
  /* An fd that polls readable when the cgroup hits an OOM (v1 eventfd, v2
     inotify on memory.events), and its reader: the number of new OOM
     events since the last call, -1 when the cgroup is gone. */
  int (*oom_open) (const char *dir, struct hako_err **err);
  int (*oom_read) (const char *dir, int fd, uint64_t *last);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* v1 cpuset: a new cgroup starts with empty cpus/mems and refuses tasks;
   copy the parent's values into it. */
void cg_v1_cpuset_inherit (const char *dir);
/* v1 devices: the config's rules, then what every container needs. */
int cg_v1_devices (const char *dir, const struct oci_resources *r, struct hako_err **err);
/* v2: enable `controller` from the mount down to the leaf's parent. */
int cg_v2_enable (const char *mountpoint, const char *leaf, const char *controller, struct hako_err **err);
/* v2: every controller the parent offers (as runc and crun do on a v2 host,
   so that stats and later updates find them); failures are ignored. */
void cg_v2_enable_all (const char *mountpoint, const char *leaf);
/* v2: linux.resources.unified, written as given after everything else. */
int cg_v2_unified (const char *mountpoint, const char *leaf, const struct oci_resources *r,
                   struct hako_err **err);

/* ---- v2 device filter (cgroup_bpf.c) ---- */

/* One exception of the emulated v1 device cgroup: type 'c' or 'b', -1 for
   a wildcard major/minor, access bits BPF_DEVCG_ACC_*. */
struct cg_dev_rule
{
  char type;
  int64_t major;
  int64_t minor;
  unsigned access;
};

struct cg_dev_policy
{
  bool default_allow;
  struct cg_dev_rule *ex; /* exceptions: each one has the opposite outcome */
  size_t n;
};

/* Emulate the v1 device cgroup on the config's rules plus the defaults
   every container gets, so v2 behaves as v1 does. */
void cg_dev_policy_make (const struct oci_resources *r, struct cg_dev_policy *p);
void cg_dev_policy_free (struct cg_dev_policy *p);
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for a policy (struct bpf_insn[]). */
void *cg_dev_program (const struct cg_dev_policy *p, size_t *n_insns);
/* Load the program and attach it to the cgroup directory. */
int cg_dev_attach (const char *dir, const struct oci_resources *r, struct hako_err **err);

/* ---- container operations (cgroup.c), for cgroup_ctl.c ---- */

/* Apply a change of resources (runc's update semantics: zero = unchanged). */
int cgroup_update (int dirfd, const struct oci_resources *r, struct hako_err **err);
/* runc's stats object ({"cpu":…, "memory":…, "pids":…, "blkio":…, "hugetlb":…}). */
json_t *cgroup_stats (int dirfd, struct hako_err **err);

struct cgroup_oom
{
  const struct cgroup_ops *ops;
  char *dir;
  int fd;        /* -1: no memory controller to watch */
  uint64_t last; /* the backend's counter */
};
int cgroup_oom_open (int dirfd, struct cgroup_oom *oom, struct hako_err **err);
/* New OOM events since the last call (0 for a spurious wakeup); -1 when
   the cgroup is gone. */
int cgroup_oom_read (struct cgroup_oom *oom);
void cgroup_oom_close (struct cgroup_oom *oom);

/* ---- files (cgroup_util.c) ---- */

/* Write `value` to dir/file; the error names the file, the value and the
   config field (`what`, may be NULL). */
int cg_write (const char *dir, const char *file, const char *value, const char *what, struct hako_err **err);
int cg_writef (const char *dir, const char *file, const char *what, struct hako_err **err, const char *fmt,
               ...) __attribute__ ((format (printf, 5, 6)));
/* The file's contents, trailing newline removed; NULL if unreadable. */
char *cg_read (const char *dir, const char *file);
bool cg_exists (const char *dir, const char *file);
/* linux.resources.hugepageLimits: hugetlb.<size>.<limit_file> and, where the
   kernel has it (5.7+), the reservation file hugetlb.<size>.rsvd.<limit_file>
   alike (v1: "limit_in_bytes", v2: "max"). */
/* runc's stats "blkio": the two lists when not empty; takes both references. */
void cg_stats_set_blkio (json_t *st, json_t *bytes, json_t *ios);
int cg_apply_hugetlb (const char *dir, const struct oci_resources *r, const char *limit_file,
                      struct hako_err **err);
/* A number; "max" reads as UINT64_MAX.  false if unreadable. */
bool cg_read_u64 (const char *dir, const char *file, uint64_t *v);
/* "key value" lines (memory.stat, cpu.stat, ...): the value of `key`. */
bool cg_read_key (const char *dir, const char *file, const char *key, uint64_t *v);
/* Every "key value" line as a JSON object of numbers. */
json_t *cg_read_kv_json (const char *dir, const char *file);
/* Does a comma- or space-separated list contain `name`? */
bool cg_list_has (const char *list, const char *name);

/* Controllers that v1 and v2 write alike (pids.max, cpuset.*, rdma.max). */
int cg_apply_pids (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err);
int cg_apply_cpuset (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err);
int cg_apply_rdma (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err);
void cg_stats_pids (const char *dir, json_t *stats);
/* "0-2,4" as a JSON array of numbers. */
json_t *cg_parse_list_json (const char *s);
/* The host's huge page sizes as the hugetlb files name them ("2MB", "1GB"). */
char **cg_hugepage_sizes (void);

/* ---- conversions, as runc and crun make them ---- */

/* cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays 0 (unset). */
uint64_t cg_shares_to_weight (uint64_t shares);
/* blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 stays 0. */
uint64_t cg_blkio_to_io_weight (uint64_t weight);
/* v1 memory+swap total -> v2 memory.swap.max alone.  *out: -1 "max",
   0 unset, else bytes.  Fails like runc when it cannot be expressed. */
int cg_swap_to_v2 (int64_t swap, int64_t limit, int64_t *out, struct hako_err **err);
/* A limit as v2 writes it: -1 (or less) "max", else the number. */
void cg_v2_limit_str (int64_t v, char *buf, size_t n);
/* A huge page size in kB (from /sys/kernel/mm/hugepages) as the cgroup file
   names it: 2048 -> "2MB", 1048576 -> "1GB", 64 -> "64KB". */
void cg_hugepage_name (uint64_t kb, char *buf, size_t n);

#endif
