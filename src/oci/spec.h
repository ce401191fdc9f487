/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_OCI_SPEC_H
#define HAKO_OCI_SPEC_H

/* The runtime-spec v1.2 config.json model (with the v1.3 fields hako knows).
   Filled by oci_spec_parse() through the table-driven binder in binder.c;
   no code outside oci/ parses JSON by hand.

   Conventions, used by the binder tables:
   - strings: char *, NULL when absent.
   - arrays of strings: char ** NULL-terminated, plus size_t n_X count.
   - arrays of objects: struct T *X (contiguous) plus size_t n_X.
   - string maps (annotations, sysctl, unified): struct oci_kv *X plus n_X.
   - optional scalars: the value plus bool has_X.
   - optional objects: pointer, NULL when absent. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hako_err;

struct oci_kv
{
  char *key;
  char *value;
};

struct oci_id_mapping
{
  uint32_t container_id; /* containerID */
  uint32_t host_id;      /* hostID */
  uint32_t size;
};

struct oci_mount
{
  char *destination; /* required */
  char *source;
  char *type;
  char **options;
  size_t n_options;
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

struct oci_root
{
  char *path; /* required */
  bool readonly;
};

struct oci_box_size
{
  uint32_t height;
  uint32_t width;
};

struct oci_user
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* windows; ignored */
};

struct oci_capabilities
{
  char **bounding;
  size_t n_bounding;
  char **effective;
  size_t n_effective;
  char **inheritable;
  size_t n_inheritable;
  char **permitted;
  size_t n_permitted;
  char **ambient;
  size_t n_ambient;
};

struct oci_rlimit
{
  char *type; /* required, "RLIMIT_*" */
  uint64_t soft;
  uint64_t hard;
  int resource; /* resolved by validation: RLIMIT_NOFILE etc. */
};

struct oci_scheduler
{
  char *policy; /* required: SCHED_OTHER ... */
  bool has_nice;
  int32_t nice;
  bool has_priority;
  int32_t priority;
  char **flags;
  size_t n_flags;
  bool has_runtime;
  uint64_t runtime;
  bool has_deadline;
  uint64_t deadline;
  bool has_period;
  uint64_t period;
};

struct oci_io_priority
{
  char *class_; /* "class": IOPRIO_CLASS_RT|BE|IDLE */
  int32_t priority;
};

struct oci_cpu_affinity
{
  char *initial;
  char *final;
};

struct oci_process
{
  bool terminal;
  struct oci_box_size *console_size;
  struct oci_user user;
  char **args;
  size_t n_args;
  char *command_line; /* windows */
  char **env;
  size_t n_env;
  char *cwd; /* required */
  struct oci_capabilities *capabilities;
  struct oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int32_t oom_score_adj;
  struct oci_scheduler *scheduler;
  char *selinux_label;
  struct oci_io_priority *io_priority;
  struct oci_cpu_affinity *exec_cpu_affinity;
};

struct oci_hook
{
  char *path; /* required, absolute */
  char **args;
  size_t n_args;
  char **env;
  size_t n_env;
  bool has_timeout;
  int32_t timeout; /* seconds, > 0 */
};

struct oci_hooks
{
  struct oci_hook *prestart;
  size_t n_prestart;
  struct oci_hook *create_runtime;
  size_t n_create_runtime;
  struct oci_hook *create_container;
  size_t n_create_container;
  struct oci_hook *start_container;
  size_t n_start_container;
  struct oci_hook *poststart;
  size_t n_poststart;
  struct oci_hook *poststop;
  size_t n_poststop;
};

enum oci_ns_type
{
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_MOUNT,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT
};

struct oci_namespace
{
  char *type; /* required: pid network mount ipc uts user cgroup time */
  char *path;
  enum oci_ns_type kind; /* resolved by validation */
};

struct oci_time_offset
{
  char *clock; /* map key: "monotonic" or "boottime" */
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_device
{
  char *type; /* required: c b u p */
  char *path; /* required, absolute */
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct oci_device_cgroup
{
  bool allow; /* required */
  char *type; /* a c b; absent = all */
  bool has_major;
  int64_t major;
  bool has_minor;
  int64_t minor;
  char *access; /* rwm */
};

struct oci_memory
{
  bool has_limit;
  int64_t limit;
  bool has_reservation;
  int64_t reservation;
  bool has_swap;
  int64_t swap;
  bool has_kernel;
  int64_t kernel;
  bool has_kernel_tcp;
  int64_t kernel_tcp;
  bool has_swappiness;
  uint64_t swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool has_check_before_update;
  bool check_before_update;
};

struct oci_cpu
{
  bool has_shares;
  uint64_t shares;
  bool has_quota;
  int64_t quota;
  bool has_burst;
  uint64_t burst;
  bool has_period;
  uint64_t period;
  bool has_realtime_runtime;
  int64_t realtime_runtime;
  bool has_realtime_period;
  uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;
  int64_t idle;
};

struct oci_weight_device
{
  int64_t major;
  int64_t minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
};

struct oci_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct oci_block_io
{
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
  struct oci_weight_device *weight_device;
  size_t n_weight_device;
  struct oci_throttle_device *throttle_read_bps_device;
  size_t n_throttle_read_bps_device;
  struct oci_throttle_device *throttle_write_bps_device;
  size_t n_throttle_write_bps_device;
  struct oci_throttle_device *throttle_read_iops_device;
  size_t n_throttle_read_iops_device;
  struct oci_throttle_device *throttle_write_iops_device;
  size_t n_throttle_write_iops_device;
};

struct oci_hugepage_limit
{
  char *page_size; /* pageSize, required */
  uint64_t limit;  /* required */
};

struct oci_net_priority
{
  char *name;
  uint32_t priority;
};

struct oci_network
{
  bool has_class_id;
  uint32_t class_id;
  struct oci_net_priority *priorities;
  size_t n_priorities;
};

struct oci_pids
{
  bool has_limit;
  int64_t limit;
};

struct oci_rdma
{
  char *device; /* map key */
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
};

struct oci_resources
{
  struct oci_device_cgroup *devices;
  size_t n_devices;
  struct oci_memory *memory;
  struct oci_cpu *cpu;
  struct oci_block_io *block_io;
  struct oci_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  struct oci_network *network;
  struct oci_pids *pids;
  struct oci_rdma *rdma;
  size_t n_rdma;
  struct oci_kv *unified;
  size_t n_unified;
};

struct oci_seccomp_arg
{
  uint32_t index; /* required */
  uint64_t value; /* required */
  uint64_t value_two;
  char *op; /* required: SCMP_CMP_* */
};

struct oci_seccomp_syscall
{
  char **names; /* required */
  size_t n_names;
  char *action; /* required */
  bool has_errno_ret;
  uint32_t errno_ret;
  struct oci_seccomp_arg *args;
  size_t n_args;
};

struct oci_seccomp
{
  char *default_action; /* required */
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures;
  size_t n_architectures;
  char **flags;
  size_t n_flags;
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct oci_personality
{
  char *domain; /* LINUX or LINUX32 */
  char **flags;
  size_t n_flags;
};

struct oci_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
};

struct oci_linux
{
  struct oci_namespace *namespaces;
  size_t n_namespaces;
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  struct oci_time_offset *time_offsets;
  size_t n_time_offsets;
  struct oci_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct oci_resources *resources;
  struct oci_intel_rdt *intel_rdt;
  struct oci_kv *sysctl;
  size_t n_sysctl;
  struct oci_seccomp *seccomp;
  char *rootfs_propagation;
  char **masked_paths;
  size_t n_masked_paths;
  char **readonly_paths;
  size_t n_readonly_paths;
  char *mount_label;
  struct oci_personality *personality;
};

struct oci_spec
{
  char *oci_version; /* required */
  struct oci_root *root;
  struct oci_mount *mounts;
  size_t n_mounts;
  struct oci_process *process;
  char *hostname;
  char *domainname;
  struct oci_hooks *hooks;
  struct oci_kv *annotations;
  size_t n_annotations;
  struct oci_linux *linux_;
};

/* Parse and validate a config.json document.  `origin` names the source in
   messages ("config.json", "/path/to/config.json").  On error the message
   names the field path and the reason:
     config.json: process.rlimits[1].type: unknown rlimit "RLIMIT_FOO" */
int oci_spec_parse (const char *json, size_t len, const char *origin, struct oci_spec **out,
                    struct hako_err **err);
int oci_spec_load (const char *path, struct oci_spec **out, struct hako_err **err);
void oci_spec_free (struct oci_spec *spec);

/* Serialize back to JSON (newly allocated, pretty-printed when indent > 0). */
char *oci_spec_to_json (const struct oci_spec *spec, int indent);

/* The default config (`hako-runtime spec`), as runc's: /bin/sh, a terminal,
   the default mounts, masked and read-only paths; `rootless` adds a user
   namespace mapping the caller and drops what an unprivileged user cannot do. */
struct oci_spec *oci_spec_default (bool rootless, uid_t uid, gid_t gid);

/* Parse a process.json (the `process` object alone, for `exec --process`). */
int oci_process_parse (const char *json, size_t len, const char *origin, struct oci_process **out,
                       struct hako_err **err);
void oci_process_free (struct oci_process *p);

/* Helpers used by the runtime. */
const struct oci_namespace *oci_spec_namespace (const struct oci_spec *spec, enum oci_ns_type kind);
const char *oci_ns_type_name (enum oci_ns_type kind);

#define OCI_RUNTIME_SPEC_VERSION "1.2.0"

#endif
