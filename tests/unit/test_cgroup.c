/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup manager without a kernel: host layout detection (legacy,
   hybrid, unified, inside a container) against fixture mount tables, the
   v1 <-> v2 value conversions, what each backend writes into which file
   (against fixture directories of empty files), create/record/destroy, and
   the v2 device filter (v1 emulation + the BPF program, run by a small
   interpreter here and, when allowed, loaded into the kernel's verifier).

   argv[1]: tests/unit/fixtures/cgroup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "src/runtime/cgroup.h"
#include "src/runtime/internal.h"
#include "src/util/cleanup.h"
#include "src/util/error.h"
#include "src/util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *fixtures;

/* ---- fixtures: a temp root with a host layout in it ---- */

struct fx
{
  char root[64];
  char mountinfo[128];
  char cgroup[128];
};

static char *
slurp (const char *path)
{
  char *buf = NULL;
  size_t len;
  struct hako_err *e = NULL;
  if (hako_read_file (path, &buf, &len, &e) < 0)
    fail_msg ("read %s: %s", path, e->msg);
  return buf;
}

static void
put (const char *dir, const char *file, const char *text)
{
  cleanup_free char *p = hako_path_join (dir, file);
  FILE *f = fopen (p, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static char *
get (const char *dir, const char *file)
{
  cleanup_free char *p = hako_path_join (dir, file);
  char *s = slurp (p);
  s[strcspn (s, "\n")] = '\0';
  return s;
}

/* Copy fixture NAME.mountinfo (with @ROOT@ -> the temp root) and
   NAME.cgroup, and point the manager at them. */
static void
layout (struct fx *fx, const char *name)
{
  cleanup_free char *mi_path = xasprintf ("%s/%s.mountinfo", fixtures, name);
  cleanup_free char *cg_path = xasprintf ("%s/%s.cgroup", fixtures, name);
  cleanup_free char *mi = slurp (mi_path);
  cleanup_free char *cg = slurp (cg_path);
  FILE *f = fopen (fx->mountinfo, "w");

  for (char *p = mi; *p;)
    {
      char *at = strstr (p, "@ROOT@");
      if (at == NULL)
        {
          fputs (p, f);
          break;
        }
      fwrite (p, 1, at - p, f);
      fputs (fx->root, f);
      p = at + 6;
    }
  fclose (f);
  put (fx->root, "cgroup", cg);
  cgroup_set_proc_paths (fx->mountinfo, fx->cgroup);
}

static int
setup (void **state)
{
  struct fx *fx = xzalloc (sizeof (*fx));
  strcpy (fx->root, "/tmp/hako-cgtest.XXXXXX");
  assert_non_null (mkdtemp (fx->root));
  snprintf (fx->mountinfo, sizeof (fx->mountinfo), "%s/mountinfo", fx->root);
  snprintf (fx->cgroup, sizeof (fx->cgroup), "%s/cgroup", fx->root);
  *state = fx;
  return 0;
}

static int
teardown (void **state)
{
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  cgroup_set_proc_paths (NULL, NULL);
  hako_rm_rf (fx->root, &e);
  hako_error_free (&e);
  free (fx);
  return 0;
}

/* ---- layout detection ---- */

static const struct cg_hierarchy *
find_h (const struct cg_layout *l, const char *controllers)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->h[i].controllers, controllers) == 0)
      return &l->h[i];
  return NULL;
}

static void
test_detect_hybrid (void **state)
{
  struct fx *fx = *state;
  struct cg_layout l;
  struct hako_err *e = NULL;

  layout (fx, "hybrid");
  assert_int_equal (cg_layout_read (&l, &e), 0);
  assert_int_equal (l.mode, CG_MODE_HYBRID);
  assert_string_equal (cg_mode_name (l.mode), "hybrid");
  /* 9 v1 hierarchies + unified; the second memory mount is the same one */
  assert_int_equal (l.n, 10);
  const struct cg_hierarchy *mem = find_h (&l, "memory");
  assert_non_null (mem);
  assert_true (strstr (mem->mountpoint, "/sys/fs/cgroup/memory") != NULL);
  assert_non_null (find_h (&l, "cpuset"));       /* clone_children is not a controller */
  assert_non_null (find_h (&l, "name=systemd")); /* xattr is not either */
  const struct cg_hierarchy *v2 = find_h (&l, "");
  assert_non_null (v2);
  assert_true (v2->v2);
  cleanup_free char *own_mem = cg_own_path (mem);
  cleanup_free char *own_v2 = cg_own_path (v2);
  assert_string_equal (own_mem, "/process_api/abc");
  assert_string_equal (own_v2, "/");
  cg_layout_free (&l);
}

static void
test_detect_legacy (void **state)
{
  struct fx *fx = *state;
  struct cg_layout l;
  struct hako_err *e = NULL;

  layout (fx, "legacy");
  assert_int_equal (cg_layout_read (&l, &e), 0);
  assert_int_equal (l.mode, CG_MODE_LEGACY);
  assert_int_equal (l.n, 4);
  const struct cg_hierarchy *cpu = find_h (&l, "cpu,cpuacct");
  assert_non_null (cpu);
  /* /proc/self/cgroup says "cpuacct,cpu": the same hierarchy */
  cleanup_free char *own = cg_own_path (cpu);
  assert_string_equal (own, "/user.slice");
  const struct cg_hierarchy *sd = find_h (&l, "name=systemd");
  assert_non_null (sd); /* release_agent= is dropped */
  cleanup_free char *own_sd = cg_own_path (sd);
  assert_string_equal (own_sd, "/user.slice/user-0.slice/session-1.scope");
  assert_null (find_h (&l, ""));
  cg_layout_free (&l);
}

static void
test_detect_unified (void **state)
{
  struct fx *fx = *state;
  struct cg_layout l;
  struct hako_err *e = NULL;

  layout (fx, "unified");
  assert_int_equal (cg_layout_read (&l, &e), 0);
  assert_int_equal (l.mode, CG_MODE_UNIFIED);
  assert_int_equal (l.n, 1);
  cleanup_free char *own = cg_own_path (&l.h[0]);
  assert_string_equal (own, "/user.slice/user-0.slice/session-1.scope");
  cg_layout_free (&l);

  layout (fx, "none");
  assert_int_equal (cg_layout_read (&l, &e), 0);
  assert_int_equal (l.mode, CG_MODE_NONE);
  assert_int_equal (l.n, 0);
  cg_layout_free (&l);
}

static void
test_detect_in_container (void **state)
{
  struct fx *fx = *state;
  struct cg_layout l;
  struct hako_err *e = NULL;

  /* The mount shows the subtree /docker/abc: our /docker/abc/sub is /sub in it. */
  layout (fx, "container");
  assert_int_equal (cg_layout_read (&l, &e), 0);
  assert_int_equal (l.mode, CG_MODE_UNIFIED);
  cleanup_free char *own = cg_own_path (&l.h[0]);
  assert_string_equal (own, "/sub");
  cg_layout_free (&l);
}

/* ---- conversions ---- */

static void
test_conversions (void **state)
{
  int64_t out;
  struct hako_err *e = NULL;
  char buf[32];

  /* runc/crun: 1 + (shares - 2) * 9999 / 262142 */
  assert_int_equal (cg_shares_to_weight (0), 0);
  assert_int_equal (cg_shares_to_weight (2), 1);
  assert_int_equal (cg_shares_to_weight (1024), 39);
  assert_int_equal (cg_shares_to_weight (262144), 10000);
  assert_int_equal (cg_shares_to_weight (1), 1);           /* clamped */
  assert_int_equal (cg_shares_to_weight (1000000), 10000); /* clamped */
  /* 1 + (weight - 10) * 9999 / 990 */
  assert_int_equal (cg_blkio_to_io_weight (0), 0);
  assert_int_equal (cg_blkio_to_io_weight (10), 1);
  assert_int_equal (cg_blkio_to_io_weight (500), 4950);
  assert_int_equal (cg_blkio_to_io_weight (1000), 10000);

  /* memory+swap (v1) -> swap alone (v2) */
  assert_int_equal (cg_swap_to_v2 (200, 100, &out, &e), 0);
  assert_int_equal (out, 100);
  assert_int_equal (cg_swap_to_v2 (100, 100, &out, &e), 0);
  assert_int_equal (out, 0);
  assert_int_equal (cg_swap_to_v2 (-1, 100, &out, &e), 0);
  assert_int_equal (out, -1);
  assert_int_equal (cg_swap_to_v2 (0, 100, &out, &e), 0);
  assert_int_equal (out, 0);
  assert_int_equal (cg_swap_to_v2 (0, -1, &out, &e), 0); /* unlimited memory: unlimited swap */
  assert_int_equal (out, -1);
  assert_true (cg_swap_to_v2 (50, 100, &out, &e) < 0);
  assert_non_null (strstr (e->msg, "below the memory limit"));
  hako_error_free (&e);
  assert_true (cg_swap_to_v2 (100, 0, &out, &e) < 0);
  assert_non_null (strstr (e->msg, "without a memory limit"));
  hako_error_free (&e);

  cg_v2_limit_str (-1, buf, sizeof (buf));
  assert_string_equal (buf, "max");
  cg_v2_limit_str (4096, buf, sizeof (buf));
  assert_string_equal (buf, "4096");
  cg_hugepage_name (2048, buf, sizeof (buf));
  assert_string_equal (buf, "2MB");
  cg_hugepage_name (1048576, buf, sizeof (buf));
  assert_string_equal (buf, "1GB");
  cg_hugepage_name (64, buf, sizeof (buf));
  assert_string_equal (buf, "64KB");

  assert_true (cg_list_has ("cpu,cpuacct", "cpu"));
  assert_true (cg_list_has ("cpu,cpuacct", "cpuacct"));
  assert_false (cg_list_has ("cpuacct", "cpu"));
  assert_true (cg_list_has ("cpuset cpu io memory", "io"));
  assert_false (cg_list_has ("cpuset cpu io memory", "mem"));

  json_t *a = cg_parse_list_json ("0-2,5");
  cleanup_free char *s = json_dumps (a, JSON_COMPACT);
  assert_string_equal (s, "[0,1,2,5]");
  json_decref (a);
}

/* ---- what the backends write ---- */

static struct oci_spec *
spec_of (const char *resources_json)
{
  struct oci_spec *spec = NULL;
  struct hako_err *e = NULL;
  cleanup_free char *doc
      = xasprintf ("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"r\"}, \"linux\": {\"resources\": %s}}",
                   resources_json);
  if (oci_spec_parse (doc, strlen (doc), "test", &spec, &e) < 0)
    fail_msg ("parse: %s", e->msg);
  return spec;
}

static const struct cg_controller *
ctl (const struct cgroup_ops *ops, enum cg_res res)
{
  for (const struct cg_controller *c = ops->controllers; c->name; c++)
    if (c->res == res)
      return c;
  fail_msg ("no controller %d in %s", res, ops->name);
  return NULL;
}

/* A leaf with the given (empty) files, as the kernel would show them. */
static char *
leaf_with (struct fx *fx, const char *const *files)
{
  char *dir = hako_path_join (fx->root, "leaf");
  mkdir (dir, 0755);
  for (; *files; files++)
    put (dir, *files, "");
  return dir;
}

static void
check (const char *dir, const char *file, const char *want)
{
  cleanup_free char *got = get (dir, file);
  if (strcmp (got, want) != 0)
    fail_msg ("%s: got `%s`, want `%s`", file, got, want);
}

static void
test_v2_writes (void **state)
{
  static const char *const files[]
      = { "memory.max",      "memory.low",  "memory.swap.max", "cpu.weight", "cpu.max",
          "cpu.max.burst",   "cpu.idle",    "pids.max",        "io.weight",  "io.max",
          "hugetlb.2MB.max", "cpuset.cpus", "cpuset.mems",     NULL };
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  cleanup_free char *dir = leaf_with (fx, files);
  struct oci_spec *spec = spec_of (
      "{\"memory\": {\"limit\": 104857600, \"swap\": 209715200, \"reservation\": 52428800},"
      " \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"burst\": 1000, \"idle\": 1,"
      "   \"cpus\": \"0-1\", \"mems\": \"0\"},"
      " \"pids\": {\"limit\": -1},"
      " \"blockIO\": {\"weight\": 500, \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": "
      "1024}]},"
      " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}");
  const struct oci_resources *r = spec->linux_->resources;

  for (int res = 0; res < CG_N_RES; res++)
    for (const struct cg_controller *c = cgroup_v2_ops.controllers; c->name; c++)
      if (c->res == (enum cg_res) res && c->apply && res != CG_DEVICES && res != CG_RDMA
          && c->apply (dir, r, false, &e) < 0)
        fail_msg ("%s: %s", c->name, e->msg);
  check (dir, "memory.max", "104857600");
  check (dir, "memory.low", "52428800");
  check (dir, "memory.swap.max", "104857600"); /* memory+swap 200M - memory 100M */
  check (dir, "cpu.weight", "39");             /* 1024 shares */
  check (dir, "cpu.max", "50000 100000");
  check (dir, "cpu.max.burst", "1000");
  check (dir, "cpu.idle", "1");
  check (dir, "cpuset.cpus", "0-1");
  check (dir, "pids.max", "max");
  check (dir, "io.weight", "4950"); /* blkio 500 */
  check (dir, "io.max", "8:0 rbps=1024");
  check (dir, "hugetlb.2MB.max", "4194304");
  oci_spec_free (spec);

  /* What v2 cannot do is an error, not silently dropped. */
  spec = spec_of ("{\"cpu\": {\"realtimeRuntime\": 1000}}");
  assert_true (ctl (&cgroup_v2_ops, CG_CPU)->apply (dir, spec->linux_->resources, false, &e) < 0);
  assert_non_null (strstr (e->msg, "realtime"));
  hako_error_free (&e);
  oci_spec_free (spec);
  spec = spec_of ("{\"hugepageLimits\": [{\"pageSize\": \"3MB\", \"limit\": 1}]}");
  assert_true (ctl (&cgroup_v2_ops, CG_HUGETLB)->apply (dir, spec->linux_->resources, false, &e) < 0);
  assert_non_null (strstr (e->msg, "`3MB` is not a huge page size"));
  hako_error_free (&e);
  oci_spec_free (spec);
}

static void
test_v2_update_keeps_quota (void **state)
{
  static const char *const files[] = { "cpu.max", "memory.max", "memory.swap.max", NULL };
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  cleanup_free char *dir = leaf_with (fx, files);

  /* update of the period alone keeps the quota in force */
  put (dir, "cpu.max", "20000 100000");
  struct oci_spec *spec = spec_of ("{\"cpu\": {\"period\": 50000}}");
  assert_int_equal (ctl (&cgroup_v2_ops, CG_CPU)->apply (dir, spec->linux_->resources, true, &e), 0);
  check (dir, "cpu.max", "20000 50000");
  oci_spec_free (spec);

  /* update of swap alone converts against the memory.max in force */
  put (dir, "memory.max", "104857600");
  spec = spec_of ("{\"memory\": {\"swap\": 314572800}}");
  assert_int_equal (ctl (&cgroup_v2_ops, CG_MEMORY)->apply (dir, spec->linux_->resources, true, &e), 0);
  check (dir, "memory.swap.max", "209715200");
  oci_spec_free (spec);
}

static void
test_v1_writes (void **state)
{
  static const char *const files[] = { "memory.limit_in_bytes",
                                       "memory.memsw.limit_in_bytes",
                                       "memory.soft_limit_in_bytes",
                                       "memory.swappiness",
                                       "memory.oom_control",
                                       "cpu.shares",
                                       "cpu.cfs_quota_us",
                                       "cpu.cfs_period_us",
                                       "pids.max",
                                       "blkio.weight",
                                       "blkio.weight_device",
                                       "blkio.throttle.write_iops_device",
                                       "net_cls.classid",
                                       "net_prio.ifpriomap",
                                       "rdma.max",
                                       "hugetlb.1GB.limit_in_bytes",
                                       NULL };
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  cleanup_free char *dir = leaf_with (fx, files);
  struct oci_spec *spec = spec_of (
      "{\"memory\": {\"limit\": 104857600, \"swap\": 209715200, \"reservation\": 1048576, \"swappiness\": 10,"
      "   \"disableOOMKiller\": true},"
      " \"cpu\": {\"shares\": 512, \"quota\": 20000, \"period\": 100000},"
      " \"pids\": {\"limit\": 32},"
      " \"blockIO\": {\"weight\": 300, \"weightDevice\": [{\"major\": 8, \"minor\": 16, \"weight\": 700}],"
      "   \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 77}]},"
      " \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]},"
      " \"rdma\": {\"mlx5_0\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},"
      " \"hugepageLimits\": [{\"pageSize\": \"1GB\", \"limit\": 1073741824}]}");
  const struct oci_resources *r = spec->linux_->resources;

  for (const struct cg_controller *c = cgroup_v1_ops.controllers; c->name; c++)
    if (c->apply && c->res != CG_DEVICES && c->res != CG_CPUSET && c->apply (dir, r, false, &e) < 0)
      fail_msg ("%s: %s", c->name, e->msg);
  check (dir, "memory.limit_in_bytes", "104857600");
  check (dir, "memory.memsw.limit_in_bytes", "209715200"); /* v1 keeps memory+swap */
  check (dir, "memory.soft_limit_in_bytes", "1048576");
  check (dir, "memory.swappiness", "10");
  check (dir, "memory.oom_control", "1");
  check (dir, "cpu.shares", "512");
  check (dir, "cpu.cfs_quota_us", "20000");
  check (dir, "cpu.cfs_period_us", "100000");
  check (dir, "pids.max", "32");
  check (dir, "blkio.weight", "300");
  check (dir, "blkio.weight_device", "8:16 700");
  check (dir, "blkio.throttle.write_iops_device", "8:0 77");
  check (dir, "net_cls.classid", "1048577");
  check (dir, "net_prio.ifpriomap", "eth0 5");
  check (dir, "rdma.max", "mlx5_0 hca_handle=3 hca_object=10000");
  check (dir, "hugetlb.1GB.limit_in_bytes", "1073741824");
  oci_spec_free (spec);

  /* swappiness above 100 is refused before anything is written */
  spec = spec_of ("{\"memory\": {\"swappiness\": 101}}");
  assert_true (ctl (&cgroup_v1_ops, CG_MEMORY)->apply (dir, spec->linux_->resources, false, &e) < 0);
  assert_non_null (strstr (e->msg, "swappiness"));
  hako_error_free (&e);
  oci_spec_free (spec);
}

static void
test_v1_devices (void **state)
{
  static const char *const files[] = { "devices.allow", "devices.deny", NULL };
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  cleanup_free char *dir = leaf_with (fx, files);
  struct oci_spec *spec = spec_of ("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
                                   " {\"allow\": false, \"type\": \"b\", \"major\": 8, \"access\": \"w\"}]}");

  assert_int_equal (cg_v1_devices (dir, spec->linux_->resources, &e), 0);
  /* the last write of each file: the config's deny, then the defaults' last allow */
  check (dir, "devices.deny", "b 8:* w");
  check (dir, "devices.allow", "c 10:200 rwm");
  oci_spec_free (spec);
}

/* ---- create, record, destroy ---- */

static void
test_prepare_destroy (void **state)
{
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  struct hako_runtime rt = { .root = "/unused", .cgroup_manager = HAKO_CGROUP_CGROUPFS };
  cleanup_free char *sd = hako_path_join (fx->root, "state");
  char *resolved = NULL;

  layout (fx, "hybrid");
  mkdir (sd, 0700);
  int dirfd = open (sd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct oci_spec *spec = spec_of ("{}");
  free (spec->linux_->cgroups_path);
  spec->linux_->cgroups_path = xstrdup ("parent/ctr");

  /* the hierarchies' roots, as the kernel would have them */
  static const char *const dirs[] = { "/sys",
                                      "/sys/fs",
                                      "/sys/fs/cgroup",
                                      "/sys/fs/cgroup/cpu",
                                      "/sys/fs/cgroup/cpuacct",
                                      "/sys/fs/cgroup/cpuset",
                                      "/sys/fs/cgroup/memory",
                                      "/sys/fs/cgroup/memory/process_api",
                                      "/sys/fs/cgroup/memory/process_api/abc",
                                      "/sys/fs/cgroup/devices",
                                      "/sys/fs/cgroup/freezer",
                                      "/sys/fs/cgroup/blkio",
                                      "/sys/fs/cgroup/pids",
                                      "/sys/fs/cgroup/systemd",
                                      "/sys/fs/cgroup/unified",
                                      NULL };
  for (const char *const *d = dirs; *d; d++)
    {
      cleanup_free char *p = xasprintf ("%s%s", fx->root, *d);
      mkdir (p, 0755);
    }
  if (cgroup_prepare (&rt, dirfd, "id", spec, &resolved, &e) < 0)
    fail_msg ("prepare: %s", e->msg);
  assert_string_equal (resolved, "/parent/ctr"); /* the first hierarchy's view */
  cleanup_free char *mem = xasprintf ("%s/sys/fs/cgroup/memory/process_api/abc/parent/ctr", fx->root);
  cleanup_free char *v2 = xasprintf ("%s/sys/fs/cgroup/unified/parent/ctr", fx->root);
  struct stat st;
  assert_int_equal (stat (mem, &st), 0); /* relative: below our own memory cgroup */
  assert_int_equal (stat (v2, &st), 0);

  struct cg_set s;
  assert_int_equal (cg_set_load (dirfd, &s, &e), 0);
  assert_int_equal (s.n, 10);
  assert_false (s.unified);
  assert_string_equal (cg_v1_dir (&s, "memory"), mem);
  assert_string_equal (cg_v2_dir (&s, NULL), v2);
  assert_null (cg_v1_dir (&s, "hugetlb"));
  cg_set_free (&s);
  assert_int_equal (cgroup_clone_fd (dirfd), -1); /* hybrid: no CLONE_INTO_CGROUP */

  /* frozen as the v1 freezer says */
  cleanup_free char *frz = xasprintf ("%s/sys/fs/cgroup/freezer/parent/ctr", fx->root);
  put (frz, "freezer.state", "FROZEN\n");
  assert_true (cgroup_frozen (dirfd));
  put (frz, "freezer.state", "THAWED\n");
  assert_false (cgroup_frozen (dirfd));
  cleanup_free char *state_file = hako_path_join (frz, "freezer.state");
  unlink (state_file); /* a real cgroup dir has no files to remove */

  assert_int_equal (cgroup_destroy (dirfd, &e), 0);
  assert_int_not_equal (stat (mem, &st), 0);
  cleanup_free char *parent = xasprintf ("%s/sys/fs/cgroup/unified/parent", fx->root);
  assert_int_not_equal (stat (parent, &st), 0); /* the parent we made goes too */
  cleanup_free char *own = xasprintf ("%s/sys/fs/cgroup/memory/process_api/abc", fx->root);
  assert_int_equal (stat (own, &st), 0); /* what we did not make stays */
  assert_int_not_equal (faccessat (dirfd, HAKO_CGROUPS_FILE, F_OK, 0), 0);
  free (resolved);
  oci_spec_free (spec);
  close (dirfd);
}

static void
test_prepare_refuses (void **state)
{
  struct fx *fx = *state;
  struct hako_err *e = NULL;
  struct hako_runtime rt = { .root = "/unused", .cgroup_manager = HAKO_CGROUP_CGROUPFS };
  char *resolved = NULL;
  struct oci_spec *spec = spec_of ("{}");

  layout (fx, "unified");
  int dirfd = open (fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  spec->linux_->cgroups_path = xstrdup ("system.slice:hako:ctr");
  assert_true (cgroup_prepare (&rt, dirfd, "id", spec, &resolved, &e) < 0);
  assert_non_null (strstr (e->msg, "systemd slice:prefix:name"));
  hako_error_free (&e);
  free (spec->linux_->cgroups_path);
  spec->linux_->cgroups_path = xstrdup ("../escape");
  assert_true (cgroup_prepare (&rt, dirfd, "id", spec, &resolved, &e) < 0);
  assert_non_null (strstr (e->msg, "`..`"));
  hako_error_free (&e);
  /* --cgroup-manager disabled: nothing made, nothing recorded */
  rt.cgroup_manager = HAKO_CGROUP_DISABLED;
  assert_int_equal (cgroup_prepare (&rt, dirfd, "id", spec, &resolved, &e), 0);
  assert_null (resolved);
  assert_int_not_equal (faccessat (dirfd, HAKO_CGROUPS_FILE, F_OK, 0), 0);
  oci_spec_free (spec);
  close (dirfd);
}

/* ---- the device filter ---- */

/* Run the program on one access, as the kernel would (the instructions
   cg_dev_program emits, nothing more). */
static int
run_prog (const struct bpf_insn *p, size_t n, char type, const char *acc, uint32_t major, uint32_t minor)
{
  uint32_t access = 0;
  for (; *acc; acc++)
    access |= *acc == 'r' ? BPF_DEVCG_ACC_READ : *acc == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  uint32_t ctx[3]
      = { (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major, minor };
  uint64_t r[11] = { 0 };

  for (size_t pc = 0; pc < n; pc++)
    {
      const struct bpf_insn *i = &p[pc];
      uint64_t imm = (uint64_t) (int64_t) i->imm;
      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          assert_int_equal (i->src_reg, 1);
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          r[i->dst_reg] = (uint32_t) r[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          r[i->dst_reg] = imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          pc += r[i->dst_reg] != imm ? i->off : 0;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          pc += r[i->dst_reg] == imm ? i->off : 0;
          break;
        case BPF_JMP | BPF_JNE | BPF_X:
          pc += r[i->dst_reg] != r[i->src_reg] ? i->off : 0;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          fail_msg ("unexpected instruction %#x at %zu", i->code, pc);
        }
    }
  fail_msg ("fell off the end of the program");
  return -1;
}

struct prog
{
  struct bpf_insn *insns;
  size_t n;
  struct cg_dev_policy pol;
};

static void
prog_of (const char *devices_json, struct prog *p)
{
  cleanup_free char *res = xasprintf ("{\"devices\": %s}", devices_json);
  struct oci_spec *spec = spec_of (res);
  cg_dev_policy_make (spec->linux_->resources, &p->pol);
  p->insns = cg_dev_program (&p->pol, &p->n);
  oci_spec_free (spec);
}

static void
prog_free (struct prog *p)
{
  free (p->insns);
  cg_dev_policy_free (&p->pol);
}

#define ALLOWED(p, t, a, M, m) assert_int_equal (run_prog ((p).insns, (p).n, t, a, M, m), 1)
#define DENIED(p, t, a, M, m) assert_int_equal (run_prog ((p).insns, (p).n, t, a, M, m), 0)

static void
test_dev_filter (void **state)
{
  struct prog p;

  /* runc's default: deny everything, then the default devices */
  prog_of ("[{\"allow\": false, \"access\": \"rwm\"}]", &p);
  assert_false (p.pol.default_allow);
  ALLOWED (p, 'c', "rw", 1, 3);   /* null */
  ALLOWED (p, 'c', "rwm", 5, 2);  /* ptmx */
  ALLOWED (p, 'c', "rw", 136, 7); /* any pts */
  ALLOWED (p, 'b', "m", 8, 0);    /* mknod of anything */
  DENIED (p, 'b', "r", 8, 0);
  DENIED (p, 'c', "rm", 1, 1); /* one bit not allowed is enough */
  DENIED (p, 'c', "r", 4, 1);
  prog_free (&p);

  /* an allow for reading only */
  prog_of ("[{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"b\", \"major\": 7, "
           "\"minor\": 0,"
           " \"access\": \"r\"}]",
           &p);
  ALLOWED (p, 'b', "r", 7, 0);
  DENIED (p, 'b', "w", 7, 0);
  DENIED (p, 'b', "rw", 7, 0);
  DENIED (p, 'b', "r", 7, 1);
  DENIED (p, 'c', "r", 7, 0); /* the type matters */
  prog_free (&p);

  /* allow by default, deny one device's writes (v1: any overlap denies) */
  prog_of ("[{\"allow\": false, \"type\": \"b\", \"major\": 8, \"minor\": 0, \"access\": \"w\"}]", &p);
  assert_true (p.pol.default_allow);
  DENIED (p, 'b', "w", 8, 0);
  DENIED (p, 'b', "rw", 8, 0);
  ALLOWED (p, 'b', "r", 8, 0);
  ALLOWED (p, 'b', "w", 8, 1);
  prog_free (&p);

  /* as on v1, the defaults written after the config re-allow what they name */
  prog_of ("[{\"allow\": false, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}]", &p);
  ALLOWED (p, 'c', "rw", 1, 3);
  prog_free (&p);

  /* an "a" rule forgets every earlier exception */
  prog_of ("[{\"allow\": false, \"type\": \"c\", \"major\": 4, \"access\": \"rwm\"},"
           " {\"allow\": true, \"access\": \"rwm\"}]",
           &p);
  assert_true (p.pol.default_allow);
  ALLOWED (p, 'c', "rw", 4, 1);
  prog_free (&p);

  /* wildcard minor */
  prog_of ("[{\"allow\": false}, {\"allow\": true, \"type\": \"c\", \"major\": 10}]", &p);
  ALLOWED (p, 'c', "rw", 10, 229);
  DENIED (p, 'c', "rw", 11, 0);
  prog_free (&p);
}

static void
test_dev_filter_verifier (void **state)
{
  struct prog p;
  union bpf_attr attr;

  prog_of ("[{\"allow\": false}, {\"allow\": true, \"type\": \"b\", \"major\": 7, \"minor\": 0, \"access\": "
           "\"r\"}]",
           &p);
  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t) p.insns;
  attr.insn_cnt = (unsigned) p.n;
  attr.license = (uintptr_t) "Apache";
  int fd = (int) syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof (attr));
  int e = errno;
  prog_free (&p);
  if (fd < 0 && (e == EPERM || e == ENOSYS))
    skip (); /* not root, or no BPF: the interpreter above still ran */
  assert_true (fd >= 0);
  close (fd);
}

int
main (int argc, char **argv)
{
  fixtures = argc > 1 ? argv[1] : "tests/unit/fixtures/cgroup";
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_detect_hybrid, setup, teardown),
    cmocka_unit_test_setup_teardown (test_detect_legacy, setup, teardown),
    cmocka_unit_test_setup_teardown (test_detect_unified, setup, teardown),
    cmocka_unit_test_setup_teardown (test_detect_in_container, setup, teardown),
    cmocka_unit_test (test_conversions),
    cmocka_unit_test_setup_teardown (test_v2_writes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_v2_update_keeps_quota, setup, teardown),
    cmocka_unit_test_setup_teardown (test_v1_writes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_v1_devices, setup, teardown),
    cmocka_unit_test_setup_teardown (test_prepare_destroy, setup, teardown),
    cmocka_unit_test_setup_teardown (test_prepare_refuses, setup, teardown),
    cmocka_unit_test (test_dev_filter),
    cmocka_unit_test (test_dev_filter_verifier),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
