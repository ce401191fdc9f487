/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v2: one tree, controllers enabled per level through
   cgroup.subtree_control, v1 values converted as runc/crun convert them
   (shares -> cpu.weight, memory+swap -> memory.swap.max, blkio weight ->
   io.weight), devices through a BPF program (cgroup_bpf.c). */
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
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* ---- controllers down the tree ---- */

/* The directories from the mount point down to the leaf's parent. */
static char **
ancestors (const char *mountpoint, const char *leaf)
{
  size_t ml = strlen (mountpoint);
  cleanup_free char *rel = xstrdup (leaf + (strncmp (leaf, mountpoint, ml) == 0 ? ml : strlen (leaf)));
  char **v = xzalloc (2 * sizeof (char *));
  size_t n = 0;
  char *save = NULL;
  cleanup_free char *cur = xstrdup (mountpoint);

  char *slash = strrchr (rel, '/');
  if (slash)
    *slash = '\0'; /* the leaf itself is not a parent */
  v[n++] = xstrdup (cur);
  for (char *c = strtok_r (rel, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      char *next = hako_path_join (cur, c);
      free (cur);
      cur = next;
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (cur);
    }
  v[n] = NULL;
  return v;
}

int
cg_v2_enable (const char *mountpoint, const char *leaf, const char *controller, struct hako_err **err)
{
  cleanup_strv char **dirs = ancestors (mountpoint, leaf);

  for (char **d = dirs; *d; d++)
    {
      cleanup_free char *on = cg_read (*d, "cgroup.subtree_control");
      if (on && cg_list_has (on, controller))
        continue;
      if (cg_writef (*d, "cgroup.subtree_control", NULL, err, "+%s", controller) < 0)
        return hako_error_prefix (err, "enable the `%s` controller", controller);
    }
  return 0;
}

void
cg_v2_enable_all (const char *mountpoint, const char *leaf)
{
  cleanup_strv char **dirs = ancestors (mountpoint, leaf);

  for (char **d = dirs; *d; d++)
    {
      cleanup_free char *offered = cg_read (*d, "cgroup.controllers");
      cleanup_free char *on = cg_read (*d, "cgroup.subtree_control");
      char *save = NULL;
      for (char *c = offered ? strtok_r (offered, " ", &save) : NULL; c; c = strtok_r (NULL, " ", &save))
        {
          struct hako_err *e = NULL;
          /* One at a time: one refused controller must not stop the rest
             (a parent with processes refuses them all, EBUSY). */
          if (!(on && cg_list_has (on, c))
              && cg_writef (*d, "cgroup.subtree_control", NULL, &e, "+%s", c) < 0)
            {
              log_debug ("cgroup v2: %s", e->msg);
              hako_error_free (&e);
            }
        }
    }
}

int
cg_v2_unified (const char *mountpoint, const char *leaf, const struct oci_resources *r, struct hako_err **err)
{
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *key = r->unified[i].key;
      if (*key == '\0' || *key == '.' || strchr (key, '/'))
        return hako_error (err, EINVAL, "linux.resources.unified: invalid key `%s`", key);
      if (!cg_exists (leaf, key))
        {
          /* "hugetlb.2MB.max": the controller may just not be enabled yet. */
          cleanup_free char *ctrl = xasprintf ("%.*s", (int) strcspn (key, "."), key);
          struct hako_err *e = NULL;
          if (strcmp (ctrl, "cgroup") != 0 && cg_v2_enable (mountpoint, leaf, ctrl, &e) < 0)
            hako_error_free (&e);
          if (!cg_exists (leaf, key))
            return hako_error (err, ENOENT,
                               "linux.resources.unified: `%s`: no such file in the container's cgroup "
                               "(is the `%s` controller available in the v2 hierarchy?)",
                               key, ctrl);
        }
      cleanup_free char *what = xasprintf ("linux.resources.unified[%s]", key);
      if (cg_write (leaf, key, r->unified[i].value, what, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- devices ---- */

static int
v2_devices (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  return update ? 0 : cg_dev_attach (dir, r, err);
}

/* ---- cpu ---- */

static int
v2_cpu_max (const char *dir, const struct oci_cpu *c, bool update, struct hako_err **err)
{
  int64_t quota = c->has_quota ? c->quota : 0;
  uint64_t period = c->has_period ? c->period : 0;
  char buf[64];

  if (quota == 0 && period == 0)
    return 0;
  /* cpu.max is "QUOTA PERIOD": an update of the period alone keeps the
     quota (runc keeps the old value from its config). */
  if (quota == 0 && update)
    {
      cleanup_free char *cur = cg_read (dir, "cpu.max");
      snprintf (buf, sizeof (buf), "%.*s", cur ? (int) strcspn (cur, " ") : 3, cur ? cur : "max");
    }
  else if (quota > 0)
    snprintf (buf, sizeof (buf), "%" PRId64, quota);
  else
    snprintf (buf, sizeof (buf), "max");
  if (period)
    snprintf (buf + strlen (buf), sizeof (buf) - strlen (buf), " %" PRIu64, period);
  return cg_write (dir, "cpu.max", buf, "linux.resources.cpu.quota/period", err);
}

static int
v2_cpu (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_cpu *c = r->cpu;

  if (c == NULL)
    return 0;
  if ((c->has_realtime_runtime && c->realtime_runtime) || (c->has_realtime_period && c->realtime_period))
    return hako_error (err, ENOTSUP,
                       "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no "
                       "realtime group scheduling");
  if (c->has_shares && c->shares
      && cg_writef (dir, "cpu.weight", "linux.resources.cpu.shares", err, "%" PRIu64,
                    cg_shares_to_weight (c->shares))
             < 0)
    return -1;
  if (v2_cpu_max (dir, c, update, err) < 0)
    return -1;
  if (c->has_burst
      && cg_writef (dir, "cpu.max.burst", "linux.resources.cpu.burst", err, "%" PRIu64, c->burst) < 0)
    return -1;
  if (c->has_idle && cg_writef (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle) < 0)
    return -1;
  return 0;
}

/* ---- memory ---- */

static void
ignored (const char *field, const char *why)
{
  log_warn ("linux.resources.memory.%s: %s on cgroup v2; ignored", field, why);
}

static int
v2_memory_swap (const char *dir, const struct oci_memory *m, bool update, struct hako_err **err)
{
  int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0, out;
  char buf[32];

  if (swap != 0 && limit == 0 && update)
    {
      /* Updating swap alone: convert against the limit in force. */
      uint64_t cur;
      if (cg_read_u64 (dir, "memory.max", &cur))
        limit = cur == UINT64_MAX ? -1 : (int64_t) cur;
    }
  if (cg_swap_to_v2 (swap, limit, &out, err) < 0)
    return -1;
  if (out == 0 && swap <= 0)
    return 0; /* unset */
  cg_v2_limit_str (out, buf, sizeof (buf));
  if (!cg_exists (dir, "memory.swap.max"))
    {
      /* No swap accounting: "no limit" and "no swap" are what it is. */
      if (out == -1 || out == 0)
        return 0;
      return hako_error (err, ENOTSUP,
                         "linux.resources.memory.swap: no swap accounting on this host "
                         "(no memory.swap.max)");
    }
  return cg_write (dir, "memory.swap.max", buf, "linux.resources.memory.swap", err);
}

static int
v2_memory (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_memory *m = r->memory;
  char buf[32];
  uint64_t usage;

  if (m == NULL)
    return 0;
  if (update && m->has_check_before_update && m->check_before_update && m->has_limit && m->limit > 0
      && cg_read_u64 (dir, "memory.current", &usage) && usage > (uint64_t) m->limit)
    return hako_error (err, EBUSY,
                       "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64
                       " (checkBeforeUpdate)",
                       m->limit, usage);
  /* Swap first, as runc: memory.swap.max does not depend on memory.max on
     v2, but a failing swap write must not leave a half-applied limit. */
  if (v2_memory_swap (dir, m, update, err) < 0)
    return -1;
  if (m->has_limit && m->limit)
    {
      cg_v2_limit_str (m->limit, buf, sizeof (buf));
      if (cg_write (dir, "memory.max", buf, "linux.resources.memory.limit", err) < 0)
        return -1;
    }
  if (m->has_reservation && m->reservation)
    {
      cg_v2_limit_str (m->reservation, buf, sizeof (buf));
      if (cg_write (dir, "memory.low", buf, "linux.resources.memory.reservation", err) < 0)
        return -1;
    }
  if ((m->has_kernel && m->kernel) || (m->has_kernel_tcp && m->kernel_tcp))
    ignored (m->has_kernel && m->kernel ? "kernel" : "kernelTCP", "kernel memory is part of memory.max");
  if (m->has_swappiness)
    ignored ("swappiness", "there is no per-cgroup swappiness");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    ignored ("disableOOMKiller", "the OOM killer cannot be disabled");
  if (m->has_use_hierarchy && !m->use_hierarchy)
    ignored ("useHierarchy", "accounting is always hierarchical");
  return 0;
}

/* ---- io ---- */

static int
v2_io_weights (const char *dir, const struct oci_block_io *b, struct hako_err **err)
{
  /* BFQ takes blkio's own [10, 1000] scale; io.weight its [1, 10000] one. */
  bool bfq = cg_exists (dir, "io.bfq.weight");
  const char *file = bfq ? "io.bfq.weight" : "io.weight";

  if (b->has_weight && b->weight
      && cg_writef (dir, file, "linux.resources.blockIO.weight", err, "%" PRIu64,
                    bfq ? b->weight : cg_blkio_to_io_weight (b->weight))
             < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const struct oci_weight_device *w = &b->weight_device[i];
      if (w->has_weight
          && cg_writef (dir, file, "linux.resources.blockIO.weightDevice", err,
                        "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                        bfq ? w->weight : cg_blkio_to_io_weight (w->weight))
                 < 0)
        return -1;
    }
  if ((b->has_leaf_weight && b->leaf_weight))
    log_warn ("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight; ignored");
  return 0;
}

static int
v2_io_max (const char *dir, const struct oci_throttle_device *t, size_t n, const char *key, const char *what,
           struct hako_err **err)
{
  for (size_t i = 0; i < n; i++)
    if (cg_writef (dir, "io.max", what, err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major, t[i].minor,
                   key, t[i].rate)
        < 0)
      return -1;
  return 0;
}

static int
v2_io (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_block_io *b = r->block_io;

  if (b == NULL)
    return 0;
  if (v2_io_weights (dir, b, err) < 0
      || v2_io_max (dir, b->throttle_read_bps_device, b->n_throttle_read_bps_device, "rbps",
                    "linux.resources.blockIO.throttleReadBpsDevice", err)
             < 0
      || v2_io_max (dir, b->throttle_write_bps_device, b->n_throttle_write_bps_device, "wbps",
                    "linux.resources.blockIO.throttleWriteBpsDevice", err)
             < 0
      || v2_io_max (dir, b->throttle_read_iops_device, b->n_throttle_read_iops_device, "riops",
                    "linux.resources.blockIO.throttleReadIOPSDevice", err)
             < 0
      || v2_io_max (dir, b->throttle_write_iops_device, b->n_throttle_write_iops_device, "wiops",
                    "linux.resources.blockIO.throttleWriteIOPSDevice", err)
             < 0)
    return -1;
  return 0;
}

/* ---- hugetlb ---- */

static int
v2_hugetlb (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  return cg_apply_hugetlb (dir, r, "max", err);
}

/* ---- statistics ---- */

static void
put (json_t *o, const char *key, uint64_t v)
{
  json_object_set_new (o, key, json_integer ((json_int_t) (v > INT64_MAX ? INT64_MAX : v)));
}

static void
v2_cpu_stats (const char *dir, json_t *st)
{
  json_t *cpu = json_object_get (st, "cpu");
  json_t *u = json_object_get (cpu, "usage"), *t = json_object_get (cpu, "throttling");
  uint64_t v;

  /* cpu.stat counts microseconds; runc reports nanoseconds. */
  if (cg_read_key (dir, "cpu.stat", "usage_usec", &v) && v)
    put (u, "total", v * 1000);
  if (cg_read_key (dir, "cpu.stat", "system_usec", &v))
    put (u, "kernel", v * 1000);
  if (cg_read_key (dir, "cpu.stat", "user_usec", &v))
    put (u, "user", v * 1000);
  if (cg_read_key (dir, "cpu.stat", "nr_periods", &v) && v)
    put (t, "periods", v);
  if (cg_read_key (dir, "cpu.stat", "nr_throttled", &v) && v)
    put (t, "throttledPeriods", v);
  if (cg_read_key (dir, "cpu.stat", "throttled_usec", &v) && v)
    put (t, "throttledTime", v * 1000);
}

static void
v2_cpuset_stats (const char *dir, json_t *st)
{
  json_t *c = json_object_get (st, "cpuset");
  cleanup_free char *cpus = cg_read (dir, "cpuset.cpus.effective");
  cleanup_free char *mems = cg_read (dir, "cpuset.mems.effective");
  json_object_set_new (c, "cpus", cg_parse_list_json (cpus));
  json_object_set_new (c, "mems", cg_parse_list_json (mems));
}

static void
v2_memory_stats (const char *dir, json_t *st)
{
  json_t *m = json_object_get (st, "memory");
  json_t *usage = json_object_get (m, "usage"), *swap = json_object_get (m, "swap");
  json_t *raw = cg_read_kv_json (dir, "memory.stat");
  uint64_t v;

  if (json_integer_value (json_object_get (raw, "file")))
    json_object_set (m, "cache", json_object_get (raw, "file"));
  if (cg_read_u64 (dir, "memory.current", &v) && v)
    put (usage, "usage", v);
  if (cg_read_u64 (dir, "memory.max", &v))
    put (usage, "limit", v);
  if (cg_read_u64 (dir, "memory.peak", &v) && v)
    put (usage, "max", v);
  if (cg_read_key (dir, "memory.events", "max", &v))
    put (usage, "failcnt", v);
  if (cg_read_u64 (dir, "memory.swap.current", &v) && v)
    put (swap, "usage", v);
  if (cg_read_u64 (dir, "memory.swap.max", &v))
    put (swap, "limit", v);
  json_object_set_new (m, "raw", raw);
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." per device. */
static void
v2_io_stats (const char *dir, json_t *st)
{
  cleanup_free char *s = cg_read (dir, "io.stat");
  json_t *bytes = json_array (), *ios = json_array ();
  char *save = NULL;

  for (char *line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, rb = 0, wb = 0, rio = 0, wio = 0;
      if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
        continue;
      char *p;
      if ((p = strstr (line, "rbytes=")))
        rb = strtoull (p + 7, NULL, 10);
      if ((p = strstr (line, "wbytes=")))
        wb = strtoull (p + 7, NULL, 10);
      if ((p = strstr (line, "rios=")))
        rio = strtoull (p + 5, NULL, 10);
      if ((p = strstr (line, "wios=")))
        wio = strtoull (p + 5, NULL, 10);
      const char *ops[] = { "Read", "Write" };
      unsigned long long b[] = { rb, wb }, o[] = { rio, wio };
      for (int i = 0; i < 2; i++)
        {
          json_array_append_new (bytes,
                                 json_pack ("{s:I, s:I, s:s, s:I}", "major", (json_int_t) maj, "minor",
                                            (json_int_t) min, "op", ops[i], "value", (json_int_t) b[i]));
          json_array_append_new (ios, json_pack ("{s:I, s:I, s:s, s:I}", "major", (json_int_t) maj, "minor",
                                                 (json_int_t) min, "op", ops[i], "value", (json_int_t) o[i]));
        }
    }
  cg_stats_set_blkio (st, bytes, ios);
}

static void
v2_hugetlb_stats (const char *dir, json_t *st)
{
  cleanup_strv char **sizes = cg_hugepage_sizes ();
  json_t *h = json_object_get (st, "hugetlb");

  for (char **s = sizes; *s; s++)
    {
      json_t *e = json_object ();
      char f[96];
      uint64_t v = 0;
      snprintf (f, sizeof (f), "hugetlb.%s.current", *s);
      if (cg_read_u64 (dir, f, &v) && v)
        put (e, "usage", v);
      v = 0;
      snprintf (f, sizeof (f), "hugetlb.%s.events", *s);
      cg_read_key (dir, f, "max", &v);
      put (e, "failcnt", v);
      json_object_set_new (h, *s, e);
    }
}

/* ---- freezer ---- */

static int
v2_frozen (const char *dir)
{
  cleanup_free char *s = cg_read (dir, "cgroup.freeze");
  if (s == NULL)
    return -1;
  return strcmp (s, "1") == 0;
}

static int
v2_freeze (const char *dir, bool frozen, struct hako_err **err)
{
  uint64_t state;

  if (cg_write (dir, "cgroup.freeze", frozen ? "1" : "0", frozen ? "freeze" : "thaw", err) < 0)
    return -1;
  /* The write only asks: cgroup.events says when every task has stopped. */
  for (int i = 0; i < 2000; i++)
    {
      if (!cg_read_key (dir, "cgroup.events", "frozen", &state) || state == (frozen ? 1u : 0u))
        return 0;
      struct timespec ts = { 0, 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  if (frozen)
    {
      struct hako_err *e = NULL;
      cg_write (dir, "cgroup.freeze", "0", NULL, &e);
      hako_error_free (&e);
    }
  return hako_error (err, EBUSY, "%s: `%s` did not report frozen %d within 2 s", frozen ? "freeze" : "thaw",
                     dir, frozen);
}

/* ---- OOM notifications: inotify on memory.events ---- */

static int
v2_oom_open (const char *dir, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (dir, "memory.events");
  cleanup_close int fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);

  if (fd < 0 || inotify_add_watch (fd, path, IN_MODIFY) < 0)
    return hako_error (err, errno, "oom notification: watch `%s`", path);
  return steal_fd (&fd);
}

static int
v2_oom_read (const char *dir, int fd, uint64_t *last)
{
  char buf[4096];
  uint64_t oom;

  while (read (fd, buf, sizeof (buf)) > 0)
    ;
  if (!cg_read_key (dir, "memory.events", "oom_kill", &oom))
    return -1; /* the cgroup is gone */
  int n = oom > *last ? (int) (oom - *last) : 0;
  *last = oom;
  return n;
}

static const struct cg_controller v2_controllers[] = {
  { CG_DEVICES, "devices", true, v2_devices, NULL },
  { CG_CPUSET, "cpuset", false, cg_apply_cpuset, v2_cpuset_stats },
  { CG_CPU, "cpu", false, v2_cpu, v2_cpu_stats },
  { CG_MEMORY, "memory", false, v2_memory, v2_memory_stats },
  { CG_PIDS, "pids", false, cg_apply_pids, cg_stats_pids },
  { CG_BLKIO, "io", false, v2_io, v2_io_stats },
  { CG_HUGETLB, "hugetlb", false, v2_hugetlb, v2_hugetlb_stats },
  { CG_RDMA, "rdma", false, cg_apply_rdma, NULL },
  { 0, NULL, false, NULL, NULL },
};

const struct cgroup_ops cgroup_v2_ops = {
  .name = "v2",
  .controllers = v2_controllers,
  .freeze = v2_freeze,
  .frozen = v2_frozen,
  .oom_open = v2_oom_open,
  .oom_read = v2_oom_read,
};
