/* SPDX-License-Identifier: Apache-2.0 */
/* config.json (runtime-spec v1.2, config.md and config-linux.md) as binder
   tables, in the order of the spec's Go structs so that serializing gives
   the layout runc users know.  Validation lives next to the table it
   belongs to; cross-field rules are type checks. */
#include "spec.h"
#include "binder.h"
#include "names.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <inttypes.h>
#include <string.h>

/* ---- checks ---------------------------------------------------------- */

static const struct oci_enum cap_enum = { "capability", oci_known_capabilities };
static const struct oci_enum sched_policy_enum = { "scheduler policy", oci_known_sched_policies };
static const struct oci_enum sched_flag_enum = { "scheduler flag", oci_known_sched_flags };
static const struct oci_enum ioprio_enum = { "I/O priority class", oci_known_ioprio_classes };
static const struct oci_enum propagation_enum = { "propagation", oci_known_propagations };
static const struct oci_enum domain_enum = { "personality domain", oci_known_personality_domains };
static const struct oci_enum action_enum = { "seccomp action", oci_known_seccomp_actions };
static const struct oci_enum op_enum = { "seccomp operator", oci_known_seccomp_operators };
static const struct oci_enum clock_enum = { "clock", oci_known_time_clocks };
static const char *const device_types[] = { "c", "b", "u", "p", NULL };
static const struct oci_enum device_type_enum = { "device type", device_types };
static const char *const devcg_types[] = { "a", "c", "b", NULL };
static const struct oci_enum devcg_type_enum = { "device type", devcg_types };

struct int_range
{
  int64_t min, max;
};

static int
check_int32_range (struct oci_ctx *ctx, const void *value, const void *arg)
{
  const struct int_range *r = arg;
  int32_t v = *(const int32_t *) value;

  if (v >= r->min && v <= r->max)
    return 0;
  return oci_fail (ctx, "%" PRId32 " is out of range (%" PRId64 "..%" PRId64 ")", v, r->min, r->max);
}

static int
check_uint32_range (struct oci_ctx *ctx, const void *value, const void *arg)
{
  const struct int_range *r = arg;
  uint32_t v = *(const uint32_t *) value;

  if (v >= r->min && v <= r->max)
    return 0;
  return oci_fail (ctx, "%" PRIu32 " is out of range (%" PRId64 "..%" PRId64 ")", v, r->min, r->max);
}

static const struct int_range oom_score_range = { -1000, 1000 };
static const struct int_range ioprio_level_range = { 0, 7 };
static const struct int_range nanosecs_range = { 0, 999999999 };
static const struct int_range syscall_arg_range = { 0, 5 }; /* six syscall arguments */

/* Fail at `path` below the current one (a field of the object being
   checked, or an array element). */
static int
fail_at_key (struct oci_ctx *ctx, const char *key, const char *msg, const char *value)
{
  cleanup_free char *q = value ? oci_quote (value) : NULL;

  oci_path_push_key (ctx, key);
  return q ? oci_fail (ctx, "%s %s", msg, q) : oci_fail (ctx, "%s", msg);
}

static int
check_rlimit (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_rlimit *r = obj;

  r->resource = oci_rlimit_from_name (r->type);
  if (r->resource < 0)
    return fail_at_key (ctx, "type", "unknown rlimit", r->type);
  if (r->soft > r->hard)
    return oci_fail (ctx, "soft limit %" PRIu64 " is above hard limit %" PRIu64, r->soft, r->hard);
  return 0;
}

static int
check_process (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_process *p = obj;

  if (p->n_args == 0)
    return fail_at_key (ctx, "args", "must have at least one entry", NULL);
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        {
          oci_path_push_key (ctx, "rlimits");
          oci_path_push_index (ctx, i);
          return fail_at_key (ctx, "type", "duplicate rlimit", p->rlimits[i].type);
        }
  return 0;
}

static int
check_namespace (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_namespace *ns = obj;
  int kind = oci_name_index (oci_known_namespaces, ns->type);

  if (kind < 0)
    return fail_at_key (ctx, "type", "unknown namespace type", ns->type);
  ns->kind = (enum oci_ns_type) kind;
  return 0;
}

static bool
has_namespace (const struct oci_linux *l, enum oci_ns_type kind)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].kind == kind)
      return true;
  return false;
}

static int
check_linux (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_linux *l = obj;

  for (size_t i = 0; i < l->n_namespaces; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].kind == l->namespaces[j].kind)
        {
          cleanup_free char *q = oci_quote (l->namespaces[i].type);
          oci_path_push_key (ctx, "namespaces");
          oci_path_push_index (ctx, i);
          return oci_fail (ctx, "duplicate namespace %s", q);
        }
  /* Mappings are written to /proc/PID/uid_map of a new user namespace;
     without one there is nothing to write them to (runc refuses too). */
  if ((l->n_uid_mappings || l->n_gid_mappings) && !has_namespace (l, OCI_NS_USER))
    return fail_at_key (ctx, l->n_uid_mappings ? "uidMappings" : "gidMappings",
                        "mappings need a user namespace in linux.namespaces", NULL);
  return 0;
}

static int
check_device (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_device *d = obj;

  /* "REQUIRED unless type is p": a fifo has no device number. */
  if (strcmp (d->type, "p") == 0)
    return 0;
  if (json_object_get (json, "major") == NULL)
    return fail_at_key (ctx, "major", "required for device type", d->type);
  if (json_object_get (json, "minor") == NULL)
    return fail_at_key (ctx, "minor", "required for device type", d->type);
  return 0;
}

static int
check_devcg_access (struct oci_ctx *ctx, const void *value, const void *arg)
{
  const char *s = *(char *const *) value;
  cleanup_free char *q = NULL;

  if (s == NULL || strspn (s, "rwm") == strlen (s))
    return 0;
  q = oci_quote (s);
  return oci_fail (ctx, "invalid access %s (want a combination of r, w, m)", q);
}

static int
check_syscall (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_seccomp_syscall *s = obj;

  if (s->n_names == 0)
    return fail_at_key (ctx, "names", "must have at least one entry", NULL);
  return 0;
}

static int
check_version (struct oci_ctx *ctx, const void *value, const void *arg)
{
  const char *v = *(char *const *) value;
  cleanup_free char *q = NULL;

  if (strncmp (v, "1.", 2) == 0)
    return 0;
  q = oci_quote (v);
  return oci_fail (ctx, "unsupported version %s (want 1.x)", q);
}

static int
check_spec (struct oci_ctx *ctx, void *obj, json_t *json)
{
  struct oci_spec *s = obj;

  if (s->root == NULL)
    return fail_at_key (ctx, "root", "required on Linux", NULL);
  return 0;
}

/* ---- tables ---------------------------------------------------------- */

#define T struct oci_id_mapping
static const struct oci_field id_mapping_fields[] = {
  OCI_F ("containerID", OCI_UINT32, T, container_id, OCI_REQUIRED),
  OCI_F ("hostID", OCI_UINT32, T, host_id, OCI_REQUIRED),
  OCI_F ("size", OCI_UINT32, T, size, OCI_REQUIRED),
  OCI_F_END,
};
#undef T
static const struct oci_type id_mapping_type
    = { "idMapping", sizeof (struct oci_id_mapping), id_mapping_fields };

#define T struct oci_root
static const struct oci_field root_fields[] = {
  OCI_F ("path", OCI_STRING, T, path, OCI_REQUIRED),
  OCI_F ("readonly", OCI_BOOL, T, readonly, OCI_OMITEMPTY),
  OCI_F_END,
};
#undef T
static const struct oci_type root_type = { "root", sizeof (struct oci_root), root_fields };

#define T struct oci_mount
static const struct oci_field mount_fields[] = {
  /* Relative destinations are allowed since spec 1.1; kept as given. */
  OCI_F ("destination", OCI_STRING, T, destination, OCI_REQUIRED),
  OCI_F ("type", OCI_STRING, T, type, 0),
  OCI_F ("source", OCI_STRING, T, source, 0),
  OCI_F_ARR ("options", OCI_STRING_ARRAY, T, options, 0),
  OCI_F_ARR ("uidMappings", OCI_OBJECT_ARRAY, T, uid_mappings, 0, .sub = &id_mapping_type),
  OCI_F_ARR ("gidMappings", OCI_OBJECT_ARRAY, T, gid_mappings, 0, .sub = &id_mapping_type),
  OCI_F_END,
};
#undef T
static const struct oci_type mount_type = { "mount", sizeof (struct oci_mount), mount_fields };

#define T struct oci_box_size
static const struct oci_field box_fields[] = {
  OCI_F ("height", OCI_UINT32, T, height, OCI_REQUIRED),
  OCI_F ("width", OCI_UINT32, T, width, OCI_REQUIRED),
  OCI_F_END,
};
#undef T
static const struct oci_type box_type = { "consoleSize", sizeof (struct oci_box_size), box_fields };

#define T struct oci_user
static const struct oci_field user_fields[] = {
  OCI_F ("uid", OCI_UINT32, T, uid, OCI_REQUIRED),
  OCI_F ("gid", OCI_UINT32, T, gid, OCI_REQUIRED),
  OCI_F_OPT ("umask", OCI_UINT32, T, umask),
  OCI_F_ARR ("additionalGids", OCI_UINT32_ARRAY, T, additional_gids, 0),
  OCI_F ("username", OCI_STRING, T, username, 0),
  OCI_F_END,
};
#undef T
static const struct oci_type user_type = { "user", sizeof (struct oci_user), user_fields };

#define T struct oci_capabilities
#define CAP_SET(json, m)                                                                                     \
  OCI_F_ARR (json, OCI_STRING_ARRAY, T, m, 0, .check = oci_check_enum, .check_arg = &cap_enum)
/* One capability set per line. */
/* clang-format off */
static const struct oci_field caps_fields[] = {
  CAP_SET ("bounding", bounding),
  CAP_SET ("effective", effective),
  CAP_SET ("inheritable", inheritable),
  CAP_SET ("permitted", permitted),
  CAP_SET ("ambient", ambient),
  OCI_F_END,
};
/* clang-format on */
#undef CAP_SET
#undef T
static const struct oci_type caps_type = { "capabilities", sizeof (struct oci_capabilities), caps_fields };

#define T struct oci_rlimit
static const struct oci_field rlimit_fields[] = {
  OCI_F ("type", OCI_STRING, T, type, OCI_REQUIRED),
  OCI_F ("hard", OCI_UINT64, T, hard, OCI_REQUIRED),
  OCI_F ("soft", OCI_UINT64, T, soft, OCI_REQUIRED),
  OCI_F_END,
};
#undef T
static const struct oci_type rlimit_type
    = { "rlimit", sizeof (struct oci_rlimit), rlimit_fields, check_rlimit };

#define T struct oci_scheduler
static const struct oci_field scheduler_fields[] = {
  OCI_F ("policy", OCI_STRING, T, policy, OCI_REQUIRED, .check = oci_check_enum,
         .check_arg = &sched_policy_enum),
  OCI_F_OPT ("nice", OCI_INT32, T, nice),
  OCI_F_OPT ("priority", OCI_INT32, T, priority),
  OCI_F_ARR ("flags", OCI_STRING_ARRAY, T, flags, 0, .check = oci_check_enum, .check_arg = &sched_flag_enum),
  OCI_F_OPT ("runtime", OCI_UINT64, T, runtime),
  OCI_F_OPT ("deadline", OCI_UINT64, T, deadline),
  OCI_F_OPT ("period", OCI_UINT64, T, period),
  OCI_F_END,
};
#undef T
static const struct oci_type scheduler_type
    = { "scheduler", sizeof (struct oci_scheduler), scheduler_fields };

#define T struct oci_io_priority
static const struct oci_field io_priority_fields[] = {
  OCI_F ("class", OCI_STRING, T, class_, OCI_REQUIRED, .check = oci_check_enum, .check_arg = &ioprio_enum),
  OCI_F ("priority", OCI_INT32, T, priority, OCI_REQUIRED, .check = check_int32_range,
         .check_arg = &ioprio_level_range),
  OCI_F_END,
};
#undef T
static const struct oci_type io_priority_type
    = { "ioPriority", sizeof (struct oci_io_priority), io_priority_fields };

#define T struct oci_cpu_affinity
static const struct oci_field cpu_affinity_fields[] = {
  OCI_F ("initial", OCI_STRING, T, initial, 0),
  OCI_F ("final", OCI_STRING, T, final, 0),
  OCI_F_END,
};
#undef T
static const struct oci_type cpu_affinity_type
    = { "execCPUAffinity", sizeof (struct oci_cpu_affinity), cpu_affinity_fields };

#define T struct oci_process
static const struct oci_field process_fields[] = {
  OCI_F ("terminal", OCI_BOOL, T, terminal, OCI_OMITEMPTY),
  OCI_F ("consoleSize", OCI_OBJECT_PTR, T, console_size, 0, .sub = &box_type),
  OCI_F ("user", OCI_OBJECT_INLINE, T, user, 0, .sub = &user_type),
  OCI_F_ARR ("args", OCI_STRING_ARRAY, T, args, 0),
  OCI_F ("commandLine", OCI_STRING, T, command_line, 0),
  OCI_F_ARR ("env", OCI_STRING_ARRAY, T, env, 0),
  OCI_F ("cwd", OCI_STRING, T, cwd, OCI_REQUIRED, .check = oci_check_abs_path),
  OCI_F ("capabilities", OCI_OBJECT_PTR, T, capabilities, 0, .sub = &caps_type),
  OCI_F_ARR ("rlimits", OCI_OBJECT_ARRAY, T, rlimits, 0, .sub = &rlimit_type),
  OCI_F ("noNewPrivileges", OCI_BOOL, T, no_new_privileges, OCI_OMITEMPTY),
  OCI_F ("apparmorProfile", OCI_STRING, T, apparmor_profile, 0),
  OCI_F_OPT ("oomScoreAdj", OCI_INT32, T, oom_score_adj, .check = check_int32_range,
             .check_arg = &oom_score_range),
  OCI_F ("scheduler", OCI_OBJECT_PTR, T, scheduler, 0, .sub = &scheduler_type),
  OCI_F ("selinuxLabel", OCI_STRING, T, selinux_label, 0),
  OCI_F ("ioPriority", OCI_OBJECT_PTR, T, io_priority, 0, .sub = &io_priority_type),
  OCI_F ("execCPUAffinity", OCI_OBJECT_PTR, T, exec_cpu_affinity, 0, .sub = &cpu_affinity_type),
  OCI_F_END,
};
#undef T
static const struct oci_type process_type
    = { "process", sizeof (struct oci_process), process_fields, check_process };

#define T struct oci_hook
static const struct oci_field hook_fields[] = {
  OCI_F ("path", OCI_STRING, T, path, OCI_REQUIRED, .check = oci_check_abs_path),
  OCI_F_ARR ("args", OCI_STRING_ARRAY, T, args, 0),
  OCI_F_ARR ("env", OCI_STRING_ARRAY, T, env, 0),
  OCI_F_OPT ("timeout", OCI_INT32, T, timeout, .check = oci_check_positive_int32),
  OCI_F_END,
};
#undef T
static const struct oci_type hook_type = { "hook", sizeof (struct oci_hook), hook_fields };

#define T struct oci_hooks
#define HOOK_LIST(json, m) OCI_F_ARR (json, OCI_OBJECT_ARRAY, T, m, 0, .sub = &hook_type)
static const struct oci_field hooks_fields[] = {
  HOOK_LIST ("prestart", prestart),
  HOOK_LIST ("createRuntime", create_runtime),
  HOOK_LIST ("createContainer", create_container),
  HOOK_LIST ("startContainer", start_container),
  HOOK_LIST ("poststart", poststart),
  HOOK_LIST ("poststop", poststop),
  OCI_F_END,
};
#undef HOOK_LIST
#undef T
static const struct oci_type hooks_type = { "hooks", sizeof (struct oci_hooks), hooks_fields };

#define T struct oci_namespace
static const struct oci_field namespace_fields[] = {
  OCI_F ("type", OCI_STRING, T, type, OCI_REQUIRED),
  OCI_F ("path", OCI_STRING, T, path, 0, .check = oci_check_abs_path),
  OCI_F_END,
};
#undef T
static const struct oci_type namespace_type
    = { "namespace", sizeof (struct oci_namespace), namespace_fields, check_namespace };

#define T struct oci_time_offset
static const struct oci_field time_offset_fields[] = {
  OCI_F ("secs", OCI_INT64, T, secs, OCI_OMITEMPTY),
  OCI_F ("nanosecs", OCI_UINT32, T, nanosecs, OCI_OMITEMPTY, .check = check_uint32_range,
         .check_arg = &nanosecs_range),
  OCI_F_END,
};
#undef T
static const struct oci_type time_offset_type
    = { "timeOffset", sizeof (struct oci_time_offset), time_offset_fields, NULL,
        offsetof (struct oci_time_offset, clock) };

#define T struct oci_device
static const struct oci_field device_fields[] = {
  OCI_F ("path", OCI_STRING, T, path, OCI_REQUIRED, .check = oci_check_abs_path),
  OCI_F ("type", OCI_STRING, T, type, OCI_REQUIRED, .check = oci_check_enum, .check_arg = &device_type_enum),
  OCI_F ("major", OCI_INT64, T, major, 0),
  OCI_F ("minor", OCI_INT64, T, minor, 0),
  OCI_F_OPT ("fileMode", OCI_UINT32, T, file_mode),
  OCI_F_OPT ("uid", OCI_UINT32, T, uid),
  OCI_F_OPT ("gid", OCI_UINT32, T, gid),
  OCI_F_END,
};
#undef T
static const struct oci_type device_type
    = { "device", sizeof (struct oci_device), device_fields, check_device };

#define T struct oci_device_cgroup
static const struct oci_field devcg_fields[] = {
  OCI_F ("allow", OCI_BOOL, T, allow, OCI_REQUIRED),
  OCI_F ("type", OCI_STRING, T, type, 0, .check = oci_check_enum, .check_arg = &devcg_type_enum),
  OCI_F_OPT ("major", OCI_INT64, T, major),
  OCI_F_OPT ("minor", OCI_INT64, T, minor),
  OCI_F ("access", OCI_STRING, T, access, 0, .check = check_devcg_access),
  OCI_F_END,
};
#undef T
static const struct oci_type devcg_type = { "deviceCgroup", sizeof (struct oci_device_cgroup), devcg_fields };

#define T struct oci_memory
static const struct oci_field memory_fields[] = {
  OCI_F_OPT ("limit", OCI_INT64, T, limit),
  OCI_F_OPT ("reservation", OCI_INT64, T, reservation),
  OCI_F_OPT ("swap", OCI_INT64, T, swap),
  OCI_F_OPT ("kernel", OCI_INT64, T, kernel),
  OCI_F_OPT ("kernelTCP", OCI_INT64, T, kernel_tcp),
  OCI_F_OPT ("swappiness", OCI_UINT64, T, swappiness),
  OCI_F_OPT ("disableOOMKiller", OCI_BOOL, T, disable_oom_killer),
  OCI_F_OPT ("useHierarchy", OCI_BOOL, T, use_hierarchy),
  OCI_F_OPT ("checkBeforeUpdate", OCI_BOOL, T, check_before_update),
  OCI_F_END,
};
#undef T
static const struct oci_type memory_type = { "memory", sizeof (struct oci_memory), memory_fields };

#define T struct oci_cpu
static const struct oci_field cpu_fields[] = {
  OCI_F_OPT ("shares", OCI_UINT64, T, shares),
  OCI_F_OPT ("quota", OCI_INT64, T, quota),
  OCI_F_OPT ("burst", OCI_UINT64, T, burst),
  OCI_F_OPT ("period", OCI_UINT64, T, period),
  OCI_F_OPT ("realtimeRuntime", OCI_INT64, T, realtime_runtime),
  OCI_F_OPT ("realtimePeriod", OCI_UINT64, T, realtime_period),
  OCI_F ("cpus", OCI_STRING, T, cpus, 0),
  OCI_F ("mems", OCI_STRING, T, mems, 0),
  OCI_F_OPT ("idle", OCI_INT64, T, idle),
  OCI_F_END,
};
#undef T
static const struct oci_type cpu_type = { "cpu", sizeof (struct oci_cpu), cpu_fields };

#define T struct oci_pids
static const struct oci_field pids_fields[] = {
  OCI_F_OPT ("limit", OCI_INT64, T, limit),
  OCI_F_END,
};
#undef T
static const struct oci_type pids_type = { "pids", sizeof (struct oci_pids), pids_fields };

#define T struct oci_weight_device
static const struct oci_field weight_device_fields[] = {
  OCI_F ("major", OCI_INT64, T, major, OCI_REQUIRED),
  OCI_F ("minor", OCI_INT64, T, minor, OCI_REQUIRED),
  OCI_F_OPT ("weight", OCI_UINT16, T, weight),
  OCI_F_OPT ("leafWeight", OCI_UINT16, T, leaf_weight),
  OCI_F_END,
};
#undef T
static const struct oci_type weight_device_type
    = { "weightDevice", sizeof (struct oci_weight_device), weight_device_fields };

#define T struct oci_throttle_device
static const struct oci_field throttle_device_fields[] = {
  OCI_F ("major", OCI_INT64, T, major, OCI_REQUIRED),
  OCI_F ("minor", OCI_INT64, T, minor, OCI_REQUIRED),
  OCI_F ("rate", OCI_UINT64, T, rate, OCI_REQUIRED),
  OCI_F_END,
};
#undef T
static const struct oci_type throttle_device_type
    = { "throttleDevice", sizeof (struct oci_throttle_device), throttle_device_fields };

#define T struct oci_block_io
#define THROTTLE(json, m) OCI_F_ARR (json, OCI_OBJECT_ARRAY, T, m, 0, .sub = &throttle_device_type)
static const struct oci_field block_io_fields[] = {
  OCI_F_OPT ("weight", OCI_UINT16, T, weight),
  OCI_F_OPT ("leafWeight", OCI_UINT16, T, leaf_weight),
  OCI_F_ARR ("weightDevice", OCI_OBJECT_ARRAY, T, weight_device, 0, .sub = &weight_device_type),
  THROTTLE ("throttleReadBpsDevice", throttle_read_bps_device),
  THROTTLE ("throttleWriteBpsDevice", throttle_write_bps_device),
  THROTTLE ("throttleReadIOPSDevice", throttle_read_iops_device),
  THROTTLE ("throttleWriteIOPSDevice", throttle_write_iops_device),
  OCI_F_END,
};
#undef THROTTLE
#undef T
static const struct oci_type block_io_type = { "blockIO", sizeof (struct oci_block_io), block_io_fields };

#define T struct oci_hugepage_limit
static const struct oci_field hugepage_fields[] = {
  OCI_F ("pageSize", OCI_STRING, T, page_size, OCI_REQUIRED),
  OCI_F ("limit", OCI_UINT64, T, limit, OCI_REQUIRED),
  OCI_F_END,
};
#undef T
static const struct oci_type hugepage_type
    = { "hugepageLimit", sizeof (struct oci_hugepage_limit), hugepage_fields };

#define T struct oci_net_priority
static const struct oci_field net_priority_fields[] = {
  OCI_F ("name", OCI_STRING, T, name, OCI_REQUIRED),
  OCI_F ("priority", OCI_UINT32, T, priority, OCI_REQUIRED),
  OCI_F_END,
};
#undef T
static const struct oci_type net_priority_type
    = { "priority", sizeof (struct oci_net_priority), net_priority_fields };

#define T struct oci_network
static const struct oci_field network_fields[] = {
  OCI_F_OPT ("classID", OCI_UINT32, T, class_id),
  OCI_F_ARR ("priorities", OCI_OBJECT_ARRAY, T, priorities, 0, .sub = &net_priority_type),
  OCI_F_END,
};
#undef T
static const struct oci_type network_type = { "network", sizeof (struct oci_network), network_fields };

#define T struct oci_rdma
static const struct oci_field rdma_fields[] = {
  OCI_F_OPT ("hcaHandles", OCI_UINT32, T, hca_handles),
  OCI_F_OPT ("hcaObjects", OCI_UINT32, T, hca_objects),
  OCI_F_END,
};
#undef T
static const struct oci_type rdma_type
    = { "rdma", sizeof (struct oci_rdma), rdma_fields, NULL, offsetof (struct oci_rdma, device) };

#define T struct oci_resources
static const struct oci_field resources_fields[] = {
  OCI_F_ARR ("devices", OCI_OBJECT_ARRAY, T, devices, 0, .sub = &devcg_type),
  OCI_F ("memory", OCI_OBJECT_PTR, T, memory, 0, .sub = &memory_type),
  OCI_F ("cpu", OCI_OBJECT_PTR, T, cpu, 0, .sub = &cpu_type),
  OCI_F ("pids", OCI_OBJECT_PTR, T, pids, 0, .sub = &pids_type),
  OCI_F ("blockIO", OCI_OBJECT_PTR, T, block_io, 0, .sub = &block_io_type),
  OCI_F_ARR ("hugepageLimits", OCI_OBJECT_ARRAY, T, hugepage_limits, 0, .sub = &hugepage_type),
  OCI_F ("network", OCI_OBJECT_PTR, T, network, 0, .sub = &network_type),
  OCI_F_ARR ("rdma", OCI_CUSTOM, T, rdma, 0, .sub = &rdma_type, .custom = &oci_object_map),
  OCI_F_ARR ("unified", OCI_KV_MAP, T, unified, 0),
  OCI_F_END,
};
#undef T
static const struct oci_type resources_type
    = { "resources", sizeof (struct oci_resources), resources_fields };

#define T struct oci_seccomp_arg
static const struct oci_field seccomp_arg_fields[] = {
  OCI_F ("index", OCI_UINT32, T, index, OCI_REQUIRED, .check = check_uint32_range,
         .check_arg = &syscall_arg_range),
  OCI_F ("value", OCI_UINT64, T, value, OCI_REQUIRED),
  OCI_F ("valueTwo", OCI_UINT64, T, value_two, OCI_OMITEMPTY),
  OCI_F ("op", OCI_STRING, T, op, OCI_REQUIRED, .check = oci_check_enum, .check_arg = &op_enum),
  OCI_F_END,
};
#undef T
static const struct oci_type seccomp_arg_type
    = { "arg", sizeof (struct oci_seccomp_arg), seccomp_arg_fields };

#define T struct oci_seccomp_syscall
static const struct oci_field syscall_fields[] = {
  OCI_F_ARR ("names", OCI_STRING_ARRAY, T, names, OCI_REQUIRED),
  OCI_F ("action", OCI_STRING, T, action, OCI_REQUIRED, .check = oci_check_enum, .check_arg = &action_enum),
  OCI_F_OPT ("errnoRet", OCI_UINT32, T, errno_ret),
  OCI_F_ARR ("args", OCI_OBJECT_ARRAY, T, args, 0, .sub = &seccomp_arg_type),
  OCI_F_END,
};
#undef T
static const struct oci_type syscall_type
    = { "syscall", sizeof (struct oci_seccomp_syscall), syscall_fields, check_syscall };

/* architectures and flags are left to the seccomp layer: libseccomp knows
   more architectures than the spec lists, and flag support is per kernel. */
#define T struct oci_seccomp
static const struct oci_field seccomp_fields[] = {
  OCI_F ("defaultAction", OCI_STRING, T, default_action, OCI_REQUIRED, .check = oci_check_enum,
         .check_arg = &action_enum),
  OCI_F_OPT ("defaultErrnoRet", OCI_UINT32, T, default_errno_ret),
  OCI_F_ARR ("architectures", OCI_STRING_ARRAY, T, architectures, 0),
  OCI_F_ARR ("flags", OCI_STRING_ARRAY, T, flags, 0),
  OCI_F ("listenerPath", OCI_STRING, T, listener_path, 0),
  OCI_F ("listenerMetadata", OCI_STRING, T, listener_metadata, 0),
  OCI_F_ARR ("syscalls", OCI_OBJECT_ARRAY, T, syscalls, 0, .sub = &syscall_type),
  OCI_F_END,
};
#undef T
static const struct oci_type seccomp_type = { "seccomp", sizeof (struct oci_seccomp), seccomp_fields };

#define T struct oci_personality
static const struct oci_field personality_fields[] = {
  OCI_F ("domain", OCI_STRING, T, domain, OCI_REQUIRED, .check = oci_check_enum, .check_arg = &domain_enum),
  OCI_F_ARR ("flags", OCI_STRING_ARRAY, T, flags, 0),
  OCI_F_END,
};
#undef T
static const struct oci_type personality_type
    = { "personality", sizeof (struct oci_personality), personality_fields };

#define T struct oci_intel_rdt
static const struct oci_field intel_rdt_fields[] = {
  OCI_F ("closID", OCI_STRING, T, clos_id, 0),
  OCI_F ("l3CacheSchema", OCI_STRING, T, l3_cache_schema, 0),
  OCI_F ("memBwSchema", OCI_STRING, T, mem_bw_schema, 0),
  OCI_F_END,
};
#undef T
static const struct oci_type intel_rdt_type = { "intelRdt", sizeof (struct oci_intel_rdt), intel_rdt_fields };

#define T struct oci_linux
static const struct oci_field linux_fields[] = {
  OCI_F_ARR ("uidMappings", OCI_OBJECT_ARRAY, T, uid_mappings, 0, .sub = &id_mapping_type),
  OCI_F_ARR ("gidMappings", OCI_OBJECT_ARRAY, T, gid_mappings, 0, .sub = &id_mapping_type),
  OCI_F_ARR ("sysctl", OCI_KV_MAP, T, sysctl, 0),
  OCI_F ("resources", OCI_OBJECT_PTR, T, resources, 0, .sub = &resources_type),
  OCI_F ("cgroupsPath", OCI_STRING, T, cgroups_path, 0),
  OCI_F_ARR ("namespaces", OCI_OBJECT_ARRAY, T, namespaces, 0, .sub = &namespace_type),
  OCI_F_ARR ("devices", OCI_OBJECT_ARRAY, T, devices, 0, .sub = &device_type),
  OCI_F ("seccomp", OCI_OBJECT_PTR, T, seccomp, 0, .sub = &seccomp_type),
  OCI_F ("rootfsPropagation", OCI_STRING, T, rootfs_propagation, 0, .check = oci_check_enum,
         .check_arg = &propagation_enum),
  OCI_F_ARR ("maskedPaths", OCI_STRING_ARRAY, T, masked_paths, 0, .check = oci_check_abs_path),
  OCI_F_ARR ("readonlyPaths", OCI_STRING_ARRAY, T, readonly_paths, 0, .check = oci_check_abs_path),
  OCI_F ("mountLabel", OCI_STRING, T, mount_label, 0),
  OCI_F ("intelRdt", OCI_OBJECT_PTR, T, intel_rdt, 0, .sub = &intel_rdt_type),
  OCI_F ("personality", OCI_OBJECT_PTR, T, personality, 0, .sub = &personality_type),
  OCI_F_ARR ("timeOffsets", OCI_CUSTOM, T, time_offsets, 0, .sub = &time_offset_type,
             .custom = &oci_object_map, .check = oci_check_enum, .check_arg = &clock_enum),
  OCI_F_END,
};
#undef T
static const struct oci_type linux_type = { "linux", sizeof (struct oci_linux), linux_fields, check_linux };

#define T struct oci_spec
static const struct oci_field spec_fields[] = {
  OCI_F ("ociVersion", OCI_STRING, T, oci_version, OCI_REQUIRED, .check = check_version),
  OCI_F ("process", OCI_OBJECT_PTR, T, process, 0, .sub = &process_type),
  OCI_F ("root", OCI_OBJECT_PTR, T, root, 0, .sub = &root_type),
  OCI_F ("hostname", OCI_STRING, T, hostname, 0),
  OCI_F ("domainname", OCI_STRING, T, domainname, 0),
  OCI_F_ARR ("mounts", OCI_OBJECT_ARRAY, T, mounts, 0, .sub = &mount_type),
  OCI_F ("hooks", OCI_OBJECT_PTR, T, hooks, 0, .sub = &hooks_type),
  OCI_F_ARR ("annotations", OCI_KV_MAP, T, annotations, 0),
  OCI_F ("linux", OCI_OBJECT_PTR, T, linux_, 0, .sub = &linux_type),
  OCI_F_END,
};
#undef T
static const struct oci_type spec_type = { "config", sizeof (struct oci_spec), spec_fields, check_spec };

/* ---- API ------------------------------------------------------------- */

int
oci_spec_parse (const char *json, size_t len, const char *origin, struct oci_spec **out,
                struct hako_err **err)
{
  return oci_bind_parse_document (json, len, origin, &spec_type, (void **) out, err);
}

int
oci_spec_load (const char *path, struct oci_spec **out, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (oci_read_file (path, &buf, &len, err) < 0)
    return -1;
  return oci_spec_parse (buf, len, path, out, err);
}

void
oci_spec_free (struct oci_spec *spec)
{
  oci_bind_free (&spec_type, spec);
  free (spec);
}

char *
oci_spec_to_json (const struct oci_spec *spec, int indent)
{
  return oci_bind_dump_document (&spec_type, spec, indent, 0);
}

int
oci_process_parse (const char *json, size_t len, const char *origin, struct oci_process **out,
                   struct hako_err **err)
{
  return oci_bind_parse_document (json, len, origin, &process_type, (void **) out, err);
}

void
oci_process_free (struct oci_process *p)
{
  oci_bind_free (&process_type, p);
  free (p);
}

const struct oci_namespace *
oci_spec_namespace (const struct oci_spec *spec, enum oci_ns_type kind)
{
  if (spec == NULL || spec->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].kind == kind)
      return &spec->linux_->namespaces[i];
  return NULL;
}

const char *
oci_ns_type_name (enum oci_ns_type kind)
{
  if ((int) kind < 0 || kind >= OCI_NS_COUNT)
    return NULL;
  return oci_known_namespaces[kind];
}
