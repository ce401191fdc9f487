/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v1: one hierarchy per controller (or a few co-mounted), the
   file names and write orders of runc's libcontainer/cgroups/fs. */
#include "cgroup.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* ---- cpuset ---- */

void
cg_v1_cpuset_inherit (const char *dir)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);
  char *slash = strrchr (parent, '/');

  if (slash == NULL)
    return;
  *slash = '\0';
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *cur = cg_read (dir, files[i]);
      cleanup_free char *val = NULL;
      struct hako_err *e = NULL;
      if (cur && *cur)
        continue;
      val = cg_read (parent, files[i]);
      if (val && cg_write (dir, files[i], val, NULL, &e) < 0)
        hako_error_free (&e);
    }
}

/* ---- devices ---- */

static int
write_rule (const char *dir, bool allow, const char *rule, struct hako_err **err)
{
  return cg_write (dir, allow ? "devices.allow" : "devices.deny", rule, "linux.resources.devices", err);
}

static void
format_id (char *buf, size_t n, bool has, int64_t v)
{
  if (has && v >= 0)
    snprintf (buf, n, "%" PRId64, v);
  else
    snprintf (buf, n, "*");
}

/* The config's rules in order, then what every container needs (runc's
   list: mknod of anything, the default devices, ptys, tun).  As in runc,
   linux.devices are not allowed implicitly: the config's rules decide. */
int
cg_v1_devices (const char *dir, const struct oci_resources *r, struct hako_err **err)
{
  static const char *const defaults[]
      = { "c *:* m",   "b *:* m",   "c 1:3 rwm",   "c 1:8 rwm", "c 1:7 rwm",    "c 5:0 rwm",
          "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm", NULL };
  char rule[128], maj[24], min[24];

  if (r->n_devices == 0)
    return 0;
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const struct oci_device_cgroup *d = &r->devices[i];
      const char *type = d->type && *d->type ? d->type : "a";
      const char *access = d->access && *d->access ? d->access : "rwm";
      format_id (maj, sizeof (maj), d->has_major, d->major);
      format_id (min, sizeof (min), d->has_minor, d->minor);
      if (strcmp (type, "a") == 0 && strcmp (access, "rwm") == 0)
        snprintf (rule, sizeof (rule), "a");
      else
        snprintf (rule, sizeof (rule), "%s %s:%s %s", type, maj, min, access);
      if (write_rule (dir, d->allow, rule, err) < 0)
        return -1;
    }
  for (const char *const *d = defaults; *d; d++)
    if (write_rule (dir, true, *d, err) < 0)
      return -1;
  return 0;
}

static int
v1_devices (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  return update ? 0 : cg_v1_devices (dir, r, err);
}

/* ---- cpu ---- */

static int
v1_cpu_quota (const char *dir, const struct oci_cpu *c, struct hako_err **err)
{
  uint64_t period = c->has_period ? c->period : 0;
  int64_t quota = c->has_quota ? c->quota : 0;
  bool period_pending = false;

  if (period)
    {
      struct hako_err *e = NULL;
      if (cg_writef (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", &e, "%" PRIu64, period) < 0)
        {
          /* A smaller period can exceed the parent's quota with the old
             quota (EINVAL): set the quota first, then retry (runc). */
          if (e->errno_ != EINVAL || quota == 0)
            {
              *err = e;
              return -1;
            }
          hako_error_free (&e);
          period_pending = true;
        }
    }
  if (quota && cg_writef (dir, "cpu.cfs_quota_us", "linux.resources.cpu.quota", err, "%" PRId64, quota) < 0)
    return -1;
  if (period_pending
      && cg_writef (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", err, "%" PRIu64, period) < 0)
    return -1;
  return 0;
}

static int
v1_cpu_rt (const char *dir, const struct oci_cpu *c, struct hako_err **err)
{
  if (c->has_realtime_period && c->realtime_period
      && cg_writef (dir, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod", err, "%" PRIu64,
                    c->realtime_period)
             < 0)
    return -1;
  if (c->has_realtime_runtime && c->realtime_runtime
      && cg_writef (dir, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", err, "%" PRId64,
                    c->realtime_runtime)
             < 0)
    {
      if ((*err)->errno_ == EINVAL)
        return hako_error_prefix (err, "(the parent cgroup's cpu.rt_runtime_us must leave room for it)");
      return -1;
    }
  return 0;
}

static int
v1_cpu (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_cpu *c = r->cpu;

  if (c == NULL)
    return 0;
  if (c->has_shares && c->shares)
    {
      uint64_t got;
      if (cg_writef (dir, "cpu.shares", "linux.resources.cpu.shares", err, "%" PRIu64, c->shares) < 0)
        return -1;
      /* The kernel clamps silently: say so instead of running with another value. */
      if (cg_read_u64 (dir, "cpu.shares", &got) && got != c->shares)
        return hako_error (err, ERANGE,
                           "linux.resources.cpu.shares: %" PRIu64 " is out of range (the kernel set %" PRIu64
                           ")",
                           c->shares, got);
    }
  if (v1_cpu_quota (dir, c, err) < 0)
    return -1;
  if (c->has_burst
      && cg_writef (dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err, "%" PRIu64, c->burst) < 0)
    return -1;
  if (v1_cpu_rt (dir, c, err) < 0)
    return -1;
  if (c->has_idle && cg_writef (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle) < 0)
    return -1;
  return 0;
}

/* ---- memory ---- */

static int
v1_memory_limit (const char *dir, int64_t limit, struct hako_err **err)
{
  uint64_t usage = 0, peak = 0;

  if (limit == 0
      || cg_writef (dir, "memory.limit_in_bytes", "linux.resources.memory.limit", err, "%" PRId64, limit)
             == 0)
    return 0;
  /* EBUSY: the cgroup already uses more than the new limit. */
  if ((*err)->errno_ == EBUSY && cg_read_u64 (dir, "memory.usage_in_bytes", &usage)
      && cg_read_u64 (dir, "memory.max_usage_in_bytes", &peak))
    return hako_error_prefix (err, "current usage %" PRIu64 ", peak %" PRIu64, usage, peak);
  return -1;
}

static int
v1_memory_swap (const char *dir, int64_t swap, struct hako_err **err)
{
  if (swap == 0)
    return 0;
  return cg_writef (dir, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", err, "%" PRId64, swap);
}

/* limit and memsw: memsw >= limit at every step, so the order depends on
   the current limit (runc's rule). */
static int
v1_memory_limits (const char *dir, const struct oci_memory *m, struct hako_err **err)
{
  int64_t limit = m->has_limit ? m->limit : 0;
  int64_t swap = m->has_swap ? m->swap : 0;
  bool memsw = cg_exists (dir, "memory.memsw.limit_in_bytes");
  uint64_t cur;

  if (limit == -1 && swap == 0 && memsw)
    swap = -1;
  if (swap != 0 && !memsw)
    {
      if (swap == -1)
        swap = 0; /* no swap accounting: unlimited is what it is */
      else
        return hako_error (err, ENOTSUP,
                           "linux.resources.memory.swap: swap accounting is off on this host "
                           "(no memory.memsw.limit_in_bytes)");
    }
  if (limit != 0 && swap != 0
      && (swap == -1 || (cg_read_u64 (dir, "memory.limit_in_bytes", &cur) && cur < (uint64_t) swap)))
    return v1_memory_swap (dir, swap, err) < 0 ? -1 : v1_memory_limit (dir, limit, err);
  return v1_memory_limit (dir, limit, err) < 0 ? -1 : v1_memory_swap (dir, swap, err);
}

/* Kernel memory limits are deprecated (runtime-spec: NOT RECOMMENDED):
   kernels since 6.1 take the write and ignore it, runc 1.1 ignores the
   field.  Write it where it still works; say so where it does not. */
static int
v1_kmem (const char *dir, int64_t kernel, struct hako_err **err)
{
  uint64_t got;
  if (!cg_exists (dir, "memory.kmem.limit_in_bytes"))
    {
      log_warn ("linux.resources.memory.kernel: no kernel memory limit in this kernel; ignored");
      return 0;
    }
  if (cg_writef (dir, "memory.kmem.limit_in_bytes", "linux.resources.memory.kernel", err, "%" PRId64, kernel)
      < 0)
    return -1;
  /* (the kernel rounds to pages: only a far-off value means "ignored") */
  if (kernel > 0 && cg_read_u64 (dir, "memory.kmem.limit_in_bytes", &got) && got > (uint64_t) kernel + 65536)
    log_warn ("linux.resources.memory.kernel: this kernel ignores kernel memory limits");
  return 0;
}

static int
v1_memory_misc (const char *dir, const struct oci_memory *m, bool update, struct hako_err **err)
{
  if (m->has_reservation && m->reservation
      && cg_writef (dir, "memory.soft_limit_in_bytes", "linux.resources.memory.reservation", err, "%" PRId64,
                    m->reservation)
             < 0)
    return -1;
  if (m->has_kernel && m->kernel && v1_kmem (dir, m->kernel, err) < 0)
    return -1;
  if (m->has_kernel_tcp && m->kernel_tcp
      && cg_writef (dir, "memory.kmem.tcp.limit_in_bytes", "linux.resources.memory.kernelTCP", err,
                    "%" PRId64, m->kernel_tcp)
             < 0)
    return -1;
  if (m->has_swappiness && m->swappiness > 100)
    return hako_error (err, EINVAL, "linux.resources.memory.swappiness: %" PRIu64 " is not in [0, 100]",
                       m->swappiness);
  if (m->has_swappiness
      && cg_writef (dir, "memory.swappiness", "linux.resources.memory.swappiness", err, "%" PRIu64,
                    m->swappiness)
             < 0)
    return -1;
  if (m->has_disable_oom_killer && (m->disable_oom_killer || update)
      && cg_write (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0",
                   "linux.resources.memory.disableOOMKiller", err)
             < 0)
    return -1;
  if (m->has_use_hierarchy
      && cg_write (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                   "linux.resources.memory.useHierarchy", err)
             < 0)
    return -1;
  return 0;
}

static int
v1_memory (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_memory *m = r->memory;
  uint64_t usage;

  if (m == NULL)
    return 0;
  if (update && m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0
      && cg_read_u64 (dir, "memory.usage_in_bytes", &usage) && usage > (uint64_t) m->limit)
    return hako_error (err, EBUSY,
                       "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64
                       " (checkBeforeUpdate)",
                       m->limit, usage);
  if (v1_memory_limits (dir, m, err) < 0)
    return -1;
  return v1_memory_misc (dir, m, update, err);
}

/* ---- blkio ---- */

static int
v1_blkio_throttle (const char *dir, const char *file, const struct oci_throttle_device *t, size_t n,
                   const char *what, struct hako_err **err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_writef (dir, file, what, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major, t[i].minor,
                   t[i].rate)
        < 0)
      return -1;
  return 0;
}

/* CFQ's blkio.weight, or BFQ's when that is the scheduler's file. */
static const char *
v1_weight_file (const char *dir, bool device)
{
  if (cg_exists (dir, device ? "blkio.weight_device" : "blkio.weight"))
    return device ? "blkio.weight_device" : "blkio.weight";
  if (cg_exists (dir, device ? "blkio.bfq.weight_device" : "blkio.bfq.weight"))
    return device ? "blkio.bfq.weight_device" : "blkio.bfq.weight";
  return NULL;
}

static int
v1_blkio_weights (const char *dir, const struct oci_block_io *b, struct hako_err **err)
{
  const char *wf = v1_weight_file (dir, false), *wdf = v1_weight_file (dir, true);

  if (((b->has_weight && b->weight) || b->n_weight_device) && (wf == NULL || wdf == NULL))
    return hako_error (err, ENOTSUP,
                       "linux.resources.blockIO.weight: this host has no blkio weight files "
                       "(needs the CFQ or BFQ io scheduler)");
  if (b->has_weight && b->weight
      && cg_writef (dir, wf, "linux.resources.blockIO.weight", err, "%u", b->weight) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight
      && cg_writef (dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", err, "%u", b->leaf_weight)
             < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (w->has_weight
          && cg_writef (dir, wdf, "linux.resources.blockIO.weightDevice", err, "%" PRId64 ":%" PRId64 " %u",
                        w->major, w->minor, w->weight)
                 < 0)
        return -1;
      if (w->has_leaf_weight
          && cg_writef (dir, "blkio.leaf_weight_device", "linux.resources.blockIO.weightDevice", err,
                        "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight)
                 < 0)
        return -1;
    }
  return 0;
}

static int
v1_blkio (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_block_io *b = r->block_io;

  if (b == NULL)
    return 0;
  if (v1_blkio_weights (dir, b, err) < 0)
    return -1;
  if (v1_blkio_throttle (dir, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
                         b->n_throttle_read_bps_device, "linux.resources.blockIO.throttleReadBpsDevice", err)
          < 0
      || v1_blkio_throttle (dir, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                            b->n_throttle_write_bps_device, "linux.resources.blockIO.throttleWriteBpsDevice",
                            err)
             < 0
      || v1_blkio_throttle (dir, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                            b->n_throttle_read_iops_device, "linux.resources.blockIO.throttleReadIOPSDevice",
                            err)
             < 0
      || v1_blkio_throttle (dir, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                            b->n_throttle_write_iops_device,
                            "linux.resources.blockIO.throttleWriteIOPSDevice", err)
             < 0)
    return -1;
  return 0;
}

/* ---- hugetlb, network ---- */

static int
v1_hugetlb (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  return cg_apply_hugetlb (dir, r, "limit_in_bytes", err);
}

static int
v1_net_cls (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  if (r->network == NULL || !r->network->has_class_id)
    return 0;
  return cg_writef (dir, "net_cls.classid", "linux.resources.network.classID", err, "%u",
                    r->network->class_id);
}

static int
v1_net_prio (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  for (size_t i = 0; r->network && i < r->network->n_priorities; i++)
    if (cg_writef (dir, "net_prio.ifpriomap", "linux.resources.network.priorities", err, "%s %u",
                   r->network->priorities[i].name, r->network->priorities[i].priority)
        < 0)
      return -1;
  return 0;
}

/* ---- statistics (runc's names) ---- */

static void
set_u64 (json_t *o, const char *key, const char *dir, const char *file, bool omit_zero)
{
  uint64_t v;
  if (cg_read_u64 (dir, file, &v) && (v || !omit_zero))
    json_object_set_new (o, key, json_integer ((json_int_t) (v > INT64_MAX ? INT64_MAX : v)));
}

static void
v1_cpu_stats (const char *dir, json_t *st)
{
  json_t *t = json_object_get (json_object_get (st, "cpu"), "throttling");
  uint64_t v;
  if (cg_read_key (dir, "cpu.stat", "nr_periods", &v) && v)
    json_object_set_new (t, "periods", json_integer ((json_int_t) v));
  if (cg_read_key (dir, "cpu.stat", "nr_throttled", &v) && v)
    json_object_set_new (t, "throttledPeriods", json_integer ((json_int_t) v));
  if (cg_read_key (dir, "cpu.stat", "throttled_time", &v) && v)
    json_object_set_new (t, "throttledTime", json_integer ((json_int_t) v));
}

static json_t *
read_numbers (const char *dir, const char *file)
{
  cleanup_free char *s = cg_read (dir, file);
  json_t *a = json_array ();
  char *end;
  for (char *p = s; p && *p; p = end)
    {
      unsigned long long v = strtoull (p, &end, 10);
      if (end == p)
        break;
      json_array_append_new (a, json_integer ((json_int_t) v));
    }
  return a;
}

static void
v1_cpuacct_stats (const char *dir, json_t *st)
{
  json_t *u = json_object_get (json_object_get (st, "cpu"), "usage");
  long hz = sysconf (_SC_CLK_TCK);
  uint64_t v;

  set_u64 (u, "total", dir, "cpuacct.usage", true);
  json_object_set_new (u, "percpu", read_numbers (dir, "cpuacct.usage_percpu"));
  json_object_set_new (u, "percpu_kernel", read_numbers (dir, "cpuacct.usage_percpu_sys"));
  json_object_set_new (u, "percpu_user", read_numbers (dir, "cpuacct.usage_percpu_user"));
  /* cpuacct.stat counts in clock ticks; runc reports nanoseconds. */
  if (hz > 0 && cg_read_key (dir, "cpuacct.stat", "system", &v))
    json_object_set_new (u, "kernel", json_integer ((json_int_t) (v * (1000000000 / hz))));
  if (hz > 0 && cg_read_key (dir, "cpuacct.stat", "user", &v))
    json_object_set_new (u, "user", json_integer ((json_int_t) (v * (1000000000 / hz))));
}

static void
v1_cpuset_stats (const char *dir, json_t *st)
{
  static const char *const keys[] = { "cpu_exclusive",   "mem_hardwall",       "mem_exclusive",
                                      "memory_migrate",  "memory_spread_page", "memory_spread_slab",
                                      "memory_pressure", "sched_load_balance", NULL };
  json_t *c = json_object_get (st, "cpuset");
  cleanup_free char *cpus = cg_read (dir, "cpuset.cpus");
  cleanup_free char *mems = cg_read (dir, "cpuset.mems");

  json_object_set_new (c, "cpus", cg_parse_list_json (cpus));
  json_object_set_new (c, "mems", cg_parse_list_json (mems));
  for (size_t i = 0; keys[i]; i++)
    {
      cleanup_free char *file = xasprintf ("cpuset.%s", keys[i]);
      set_u64 (c, keys[i], dir, file, false);
    }
  cleanup_free char *lvl = cg_read (dir, "cpuset.sched_relax_domain_level");
  if (lvl)
    json_object_set_new (c, "sched_relax_domain_level", json_integer (strtoll (lvl, NULL, 10)));
}

static void
mem_entry (json_t *mem, const char *key, const char *dir, const char *prefix)
{
  json_t *e = json_object_get (mem, key);
  char f[96];
  snprintf (f, sizeof (f), "%s.limit_in_bytes", prefix);
  set_u64 (e, "limit", dir, f, false);
  snprintf (f, sizeof (f), "%s.usage_in_bytes", prefix);
  set_u64 (e, "usage", dir, f, true);
  snprintf (f, sizeof (f), "%s.max_usage_in_bytes", prefix);
  set_u64 (e, "max", dir, f, true);
  snprintf (f, sizeof (f), "%s.failcnt", prefix);
  set_u64 (e, "failcnt", dir, f, false);
}

static void
v1_memory_stats (const char *dir, json_t *st)
{
  json_t *m = json_object_get (st, "memory");
  json_t *raw = cg_read_kv_json (dir, "memory.stat");
  json_t *cache = json_object_get (raw, "cache");

  if (cache && json_integer_value (cache))
    json_object_set (m, "cache", cache);
  mem_entry (m, "usage", dir, "memory");
  mem_entry (m, "swap", dir, "memory.memsw");
  mem_entry (m, "kernel", dir, "memory.kmem");
  mem_entry (m, "kernelTCP", dir, "memory.kmem.tcp");
  json_object_set_new (m, "raw", raw);
}

/* "8:0 Read 4096" lines; "Total N" is left out, as runc does. */
static json_t *
blkio_entries (const char *dir, const char *file)
{
  cleanup_free char *s = cg_read (dir, file);
  json_t *a = json_array ();
  char *save = NULL;

  for (char *line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, v;
      char op[32];
      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &v) == 4)
        json_array_append_new (a, json_pack ("{s:I, s:I, s:s, s:I}", "major", (json_int_t) maj, "minor",
                                             (json_int_t) min, "op", op, "value", (json_int_t) v));
    }
  return a;
}

static void
v1_blkio_stats (const char *dir, json_t *st)
{
  /* CFQ's files when the scheduler provides them, else the throttle layer's. */
  bool cfq = cg_exists (dir, "blkio.io_service_bytes_recursive");
  json_t *bytes = blkio_entries (dir, cfq ? "blkio.io_service_bytes_recursive"
                                          : "blkio.throttle.io_service_bytes_recursive");
  json_t *ios
      = blkio_entries (dir, cfq ? "blkio.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive");

  cg_stats_set_blkio (st, bytes, ios);
}

static void
v1_hugetlb_stats (const char *dir, json_t *st)
{
  cleanup_strv char **sizes = cg_hugepage_sizes ();
  json_t *h = json_object_get (st, "hugetlb");

  for (char **s = sizes; *s; s++)
    {
      json_t *e = json_object ();
      char f[96];
      snprintf (f, sizeof (f), "hugetlb.%s.usage_in_bytes", *s);
      set_u64 (e, "usage", dir, f, true);
      snprintf (f, sizeof (f), "hugetlb.%s.max_usage_in_bytes", *s);
      set_u64 (e, "max", dir, f, true);
      snprintf (f, sizeof (f), "hugetlb.%s.failcnt", *s);
      set_u64 (e, "failcnt", dir, f, false);
      json_object_set_new (h, *s, e);
    }
}

/* ---- freezer ---- */

static int
v1_frozen (const char *dir)
{
  cleanup_free char *s = cg_read (dir, "freezer.state");
  if (s == NULL)
    return -1;
  return strcmp (s, "FROZEN") == 0;
}

static int
v1_freeze (const char *dir, bool frozen, struct hako_err **err)
{
  if (!frozen)
    return cg_write (dir, "freezer.state", "THAWED", "thaw", err);
  /* FREEZING can stick while a task is in an uninterruptible sleep: write
     FROZEN again now and then until the state reads FROZEN (runc). */
  for (int i = 0; i < 2000; i++)
    {
      if (i % 50 == 0 && cg_write (dir, "freezer.state", "FROZEN", "freeze", err) < 0)
        return -1;
      if (v1_frozen (dir) == 1)
        return 0;
      struct timespec ts = { 0, 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  struct hako_err *e = NULL;
  cg_write (dir, "freezer.state", "THAWED", NULL, &e);
  hako_error_free (&e);
  return hako_error (err, EBUSY, "freeze: `%s` did not reach FROZEN within 2 s", dir);
}

/* ---- OOM notifications: an eventfd registered on memory.oom_control ---- */

static int
v1_oom_open (const char *dir, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (dir, "memory.oom_control");
  cleanup_close int ofd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_close int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);

  if (ofd < 0 || efd < 0)
    return hako_error (err, errno, "oom notification: open `%s`", path);
  if (cg_writef (dir, "cgroup.event_control", "oom notification", err, "%d %d", efd, ofd) < 0)
    return -1;
  return steal_fd (&efd);
}

static int
v1_oom_read (const char *dir, int fd, uint64_t *last)
{
  uint64_t n = 0;
  if (read (fd, &n, sizeof (n)) != sizeof (n))
    return 0;
  /* The eventfd also fires when the cgroup is removed. */
  if (!cg_exists (dir, "cgroup.event_control"))
    return -1;
  *last += n;
  return (int) n;
}

static const struct cg_controller v1_controllers[] = {
  { CG_DEVICES, "devices", false, v1_devices, NULL },
  { CG_CPUSET, "cpuset", false, cg_apply_cpuset, v1_cpuset_stats },
  { CG_CPU, "cpu", false, v1_cpu, v1_cpu_stats },
  { CG_CPUACCT, "cpuacct", false, NULL, v1_cpuacct_stats },
  { CG_MEMORY, "memory", false, v1_memory, v1_memory_stats },
  { CG_PIDS, "pids", false, cg_apply_pids, cg_stats_pids },
  { CG_BLKIO, "blkio", false, v1_blkio, v1_blkio_stats },
  { CG_HUGETLB, "hugetlb", false, v1_hugetlb, v1_hugetlb_stats },
  { CG_NET_CLS, "net_cls", false, v1_net_cls, NULL },
  { CG_NET_PRIO, "net_prio", false, v1_net_prio, NULL },
  { CG_RDMA, "rdma", false, cg_apply_rdma, NULL },
  { 0, NULL, false, NULL, NULL },
};

const struct cgroup_ops cgroup_v1_ops = {
  .name = "v1",
  .controllers = v1_controllers,
  .freeze = v1_freeze,
  .frozen = v1_frozen,
  .oom_open = v1_oom_open,
  .oom_read = v1_oom_read,
};
