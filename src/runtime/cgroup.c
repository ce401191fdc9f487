/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup manager: find what the host mounts (v1, v2 or both), create
   the container's cgroup in every hierarchy, apply linux.resources through
   the backend that owns each controller (cgroup_v1.c, cgroup_v2.c), and
   later freeze, signal, list and remove it.

   What was created is recorded in <state dir>/cgroups, one line per
   directory ("L <dir>" for the container's own cgroup in each hierarchy,
   plain "<dir>" for every directory mkdir'ed, parents first), so that delete
   removes exactly that, whatever the host mounts by then. */
#include "internal.h"
#include "cgroup.h"
#include "mount.h"
#include "../util/cleanup.h"
#include "../util/path.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the host's layout ---- */

static const char *proc_mountinfo;
static const char *proc_self_cgroup;

void
cgroup_set_proc_paths (const char *mountinfo, const char *self_cgroup)
{
  proc_mountinfo = mountinfo;
  proc_self_cgroup = self_cgroup;
}

const char *
cg_mode_name (enum cg_mode m)
{
  static const char *const names[] = { "none", "legacy", "hybrid", "unified" };
  return names[m];
}

/* The controllers of a v1 hierarchy: its super options without the ones
   that are not controllers. */
static char *
v1_controllers (const char *super_opts)
{
  static const char *const skip[]
      = { "rw", "ro", "clone_children", "noprefix", "xattr", "cpuset_v2_mode", "favordynmods", "none", NULL };
  cleanup_free char *copy = xstrdup (super_opts);
  char *out = xstrdup (""), *save = NULL;

  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
    {
      bool drop = strncmp (t, "release_agent=", 14) == 0;
      for (size_t i = 0; skip[i] && !drop; i++)
        drop = strcmp (t, skip[i]) == 0;
      if (drop)
        continue;
      char *n = *out ? xasprintf ("%s,%s", out, t) : xstrdup (t);
      free (out);
      out = n;
    }
  return out;
}

void
cg_layout_free (struct cg_layout *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->h[i].mountpoint);
      free (l->h[i].root);
      free (l->h[i].controllers);
      free (l->h[i].own);
    }
  free (l->h);
  hako_mountinfo_free (l->mounts, l->n_mounts);
  memset (l, 0, sizeof (*l));
}

static char *own_path_in (const char *text, const struct cg_hierarchy *h);

/* One entry per hierarchy (the first mount of each: a hierarchy mounted
   twice is still one set of cgroups). */
int
cg_layout_read (struct cg_layout *l, struct hako_err **err)
{
  struct hako_mountinfo *mi = NULL;
  size_t n = 0;
  bool v1 = false, v2 = false;

  memset (l, 0, sizeof (*l));
  if (hako_mountinfo_read (proc_mountinfo, &mi, &n, err) < 0)
    return hako_error_prefix (err, "cgroups: read the mount table");
  for (size_t i = 0; i < n; i++)
    {
      bool is_v2 = strcmp (mi[i].fstype, "cgroup2") == 0;
      if (!is_v2 && strcmp (mi[i].fstype, "cgroup") != 0)
        continue;
      /* Kept for the container's own cgroup mounts (cgroup_mount_plan). */
      l->mounts = xrealloc (l->mounts, (l->n_mounts + 1) * sizeof (*l->mounts));
      l->mounts[l->n_mounts++] = (struct hako_mountinfo){ .root = xstrdup (mi[i].root),
                                                          .mountpoint = xstrdup (mi[i].mountpoint),
                                                          .fstype = xstrdup (mi[i].fstype),
                                                          .source = xstrdup (mi[i].source),
                                                          .super_opts = xstrdup (mi[i].super_opts) };
      cleanup_free char *ctrl = is_v2 ? xstrdup ("") : v1_controllers (mi[i].super_opts);
      bool dup = false;
      for (size_t j = 0; j < l->n && !dup; j++)
        dup = l->h[j].v2 == is_v2 && strcmp (l->h[j].controllers, ctrl) == 0;
      if (dup)
        continue;
      l->h = xrealloc (l->h, (l->n + 1) * sizeof (*l->h));
      l->h[l->n++] = (struct cg_hierarchy){ .mountpoint = xstrdup (mi[i].mountpoint),
                                            .root = xstrdup (mi[i].root),
                                            .controllers = steal_pointer (&ctrl),
                                            .v2 = is_v2 };
      v1 |= !is_v2;
      v2 |= is_v2;
    }
  hako_mountinfo_free (mi, n);
  /* One read of /proc/self/cgroup for every hierarchy (it was once per
     hierarchy per create). */
  cleanup_free char *self = NULL;
  struct hako_err *e = NULL;
  if (hako_read_file (proc_self_cgroup ? proc_self_cgroup : "/proc/self/cgroup", &self, NULL, &e) < 0)
    hako_error_free (&e);
  for (size_t i = 0; i < l->n; i++)
    l->h[i].own = own_path_in (self, &l->h[i]);
  l->mode = v1 && v2 ? CG_MODE_HYBRID : v1 ? CG_MODE_LEGACY : v2 ? CG_MODE_UNIFIED : CG_MODE_NONE;
  return 0;
}

/* Same controllers, in any order ("cpu,cpuacct" and "cpuacct,cpu"). */
static bool
same_controllers (const char *a, const char *b)
{
  cleanup_free char *copy = xstrdup (a);
  char *save = NULL;
  size_t na = 0, nb = *b ? 1 : 0;

  for (const char *p = b; *p; p++)
    nb += *p == ',';
  for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save), na++)
    if (!cg_list_has (b, t))
      return false;
  return na == nb;
}

/* Our cgroup in hierarchy `h`, from the text of /proc/self/cgroup. */
static char *
own_path_in (const char *text, const struct cg_hierarchy *h)
{
  cleanup_free char *copy = xstrdup (text ? text : "");
  char *save = NULL;

  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      char *path = c2 + 1;
      bool match = h->v2 ? c1[1] == '\0' : c1[1] != '\0' && same_controllers (c1 + 1, h->controllers);
      if (!match)
        continue;
      /* Seen through a mount of a subtree (a container's own cgroup mount):
         the path is relative to that subtree. */
      size_t rl = strlen (h->root);
      if (strcmp (h->root, "/") != 0 && strncmp (path, h->root, rl) == 0
          && (path[rl] == '/' || path[rl] == '\0'))
        path += rl;
      return xstrdup (*path ? path : "/");
    }
  return xstrdup ("/");
}

char *
cg_own_path (const struct cg_hierarchy *h)
{
  return xstrdup (h->own ? h->own : "/");
}

/* ---- the record ---- */

static int
read_record (int dirfd, char ***lines, size_t *n)
{
  cleanup_close int fd = openat (dirfd, HAKO_CGROUPS_FILE, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len;
  struct hako_err *e = NULL;
  char **v = NULL;
  size_t cnt = 0;

  *lines = NULL;
  *n = 0;
  if (fd < 0 || hako_read_fd (fd, &buf, &len, &e) < 0)
    {
      hako_error_free (&e);
      return 0;
    }
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      v = xrealloc (v, (cnt + 2) * sizeof (*v));
      v[cnt++] = xstrdup (l);
      v[cnt] = NULL;
    }
  *lines = v;
  *n = cnt;
  return 0;
}

static const struct cg_hierarchy *
hierarchy_of (const struct cg_layout *l, const char *dir)
{
  const struct cg_hierarchy *best = NULL;
  size_t best_len = 0;

  for (size_t i = 0; i < l->n; i++)
    {
      size_t ml = strlen (l->h[i].mountpoint);
      if (strncmp (dir, l->h[i].mountpoint, ml) == 0 && (dir[ml] == '/' || dir[ml] == '\0') && ml > best_len)
        {
          best = &l->h[i];
          best_len = ml;
        }
    }
  return best;
}

void
cg_set_free (struct cg_set *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->leaf[i].dir);
  free (s->leaf);
  cg_layout_free (&s->layout);
  memset (s, 0, sizeof (*s));
}

int
cg_set_load (int dirfd, struct cg_set *s, struct hako_err **err)
{
  cleanup_strv char **lines = NULL;
  size_t n;

  memset (s, 0, sizeof (*s));
  read_record (dirfd, &lines, &n);
  if (n == 0)
    return 0;
  if (cg_layout_read (&s->layout, err) < 0)
    return -1;
  s->unified = s->layout.mode == CG_MODE_UNIFIED;
  for (size_t i = 0; i < n; i++)
    {
      if (strncmp (lines[i], "L ", 2) != 0)
        continue;
      const struct cg_hierarchy *h = hierarchy_of (&s->layout, lines[i] + 2);
      if (h == NULL)
        continue; /* unmounted since: nothing to manage there */
      s->leaf = xrealloc (s->leaf, (s->n + 1) * sizeof (*s->leaf));
      s->leaf[s->n++] = (struct cg_leaf){ .dir = xstrdup (lines[i] + 2), .h = h };
    }
  return 0;
}

const char *
cg_v1_dir (const struct cg_set *s, const char *controller)
{
  for (size_t i = 0; i < s->n; i++)
    if (!s->leaf[i].h->v2 && cg_list_has (s->leaf[i].h->controllers, controller))
      return s->leaf[i].dir;
  return NULL;
}

const char *
cg_v2_dir (const struct cg_set *s, const char **mountpoint)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->leaf[i].h->v2)
      {
        if (mountpoint)
          *mountpoint = s->leaf[i].h->mountpoint;
        return s->leaf[i].dir;
      }
  return NULL;
}

/* ---- which backend owns a resource ---- */

static const struct cg_controller *
ops_controller (const struct cgroup_ops *ops, enum cg_res res)
{
  for (const struct cg_controller *c = ops->controllers; c->name; c++)
    if (c->res == res)
      return c;
  return NULL;
}

static bool
v2_offers (const char *dir, const char *name)
{
  cleanup_free char *list = cg_read (dir, "cgroup.controllers");
  return list && cg_list_has (list, name);
}

/* The v1 hierarchy with the controller, else the v2 leaf when v2 has it
   (enabling it down the tree when `enable`).  0 when none has it. */
static int
locate (const struct cg_set *s, enum cg_res res, bool enable, const struct cg_controller **c,
        const char **dir)
{
  const struct cg_controller *c1 = ops_controller (&cgroup_v1_ops, res);
  const struct cg_controller *c2 = ops_controller (&cgroup_v2_ops, res);
  const char *mnt = NULL;
  const char *d;

  if (c1 && (d = cg_v1_dir (s, c1->name)))
    {
      *c = c1;
      *dir = d;
      return 1;
    }
  d = cg_v2_dir (s, &mnt);
  if (c2 == NULL || d == NULL)
    return 0;
  if (!c2->core && !v2_offers (d, c2->name))
    {
      struct hako_err *e = NULL;
      if (!enable || cg_v2_enable (mnt, d, c2->name, &e) < 0)
        {
          if (e)
            log_debug ("cgroup v2: %s", e->msg);
          hako_error_free (&e);
          return 0;
        }
    }
  *c = c2;
  *dir = d;
  return 1;
}

/* Does `r` ask anything of this controller?  Zero values mean "unset", as
   for runc, so that a config (or an update) full of zeros asks nothing of a
   host that lacks the controller. */
static bool
wanted (enum cg_res res, const struct oci_resources *r, bool update)
{
  const struct oci_memory *m = r->memory;
  const struct oci_cpu *c = r->cpu;
  const struct oci_block_io *b = r->block_io;

  switch (res)
    {
    case CG_DEVICES:
      return !update && r->n_devices > 0;
    case CG_CPUSET:
      return c && ((c->cpus && *c->cpus) || (c->mems && *c->mems));
    case CG_CPU:
      return c
             && ((c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period)
                 || c->has_burst || (c->has_realtime_runtime && c->realtime_runtime)
                 || (c->has_realtime_period && c->realtime_period) || c->has_idle);
    case CG_MEMORY:
      return m
             && ((m->has_limit && m->limit) || (m->has_reservation && m->reservation)
                 || (m->has_swap && m->swap) || (m->has_kernel && m->kernel)
                 || (m->has_kernel_tcp && m->kernel_tcp) || m->has_swappiness
                 || (m->has_disable_oom_killer && m->disable_oom_killer) || m->has_use_hierarchy);
    case CG_PIDS:
      return r->pids && r->pids->has_limit && r->pids->limit != 0;
    case CG_BLKIO:
      return b
             && ((b->has_weight && b->weight) || (b->has_leaf_weight && b->leaf_weight) || b->n_weight_device
                 || b->n_throttle_read_bps_device || b->n_throttle_write_bps_device
                 || b->n_throttle_read_iops_device || b->n_throttle_write_iops_device);
    case CG_HUGETLB:
      return r->n_hugepage_limits > 0;
    case CG_NET_CLS:
      return r->network && r->network->has_class_id;
    case CG_NET_PRIO:
      return r->network && r->network->n_priorities > 0;
    case CG_RDMA:
      return r->n_rdma > 0;
    default:
      return false;
    }
}

static const char *
res_field (enum cg_res res)
{
  static const char *const f[CG_N_RES] = {
    [CG_DEVICES] = "devices",
    [CG_CPUSET] = "cpu.cpus/mems",
    [CG_CPU] = "cpu",
    [CG_CPUACCT] = "cpu",
    [CG_MEMORY] = "memory",
    [CG_PIDS] = "pids",
    [CG_BLKIO] = "blockIO",
    [CG_HUGETLB] = "hugepageLimits",
    [CG_NET_CLS] = "network.classID",
    [CG_NET_PRIO] = "network.priorities",
    [CG_RDMA] = "rdma",
  };
  return f[res];
}

static const char *
res_controller (enum cg_res res)
{
  static const char *const f[CG_N_RES] = {
    [CG_DEVICES] = "devices", [CG_CPUSET] = "cpuset",     [CG_CPU] = "cpu",     [CG_CPUACCT] = "cpuacct",
    [CG_MEMORY] = "memory",   [CG_PIDS] = "pids",         [CG_BLKIO] = "blkio", [CG_HUGETLB] = "hugetlb",
    [CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio", [CG_RDMA] = "rdma",
  };
  return f[res];
}

/* Without cgroups to put them in (--cgroup-manager disabled, or rootless
   without delegation) limits cannot be enforced: refuse the first one the
   config asks for, naming it, rather than run the container unconfined.
   Device rules are left to the user namespace and the mount namespace (no
   mknod, only the bound devices), as runc does rootless. */
static int
refuse_limits (const struct oci_resources *r, const char *why, struct hako_err **err)
{
  if (r == NULL)
    return 0;
  for (int res = 0; res < CG_N_RES; res++)
    if (res != CG_DEVICES && wanted (res, r, false))
      return hako_error (err, 0, "linux.resources.%s: cannot be applied: %s", res_field (res), why);
  if (r->n_unified)
    return hako_error (err, 0, "linux.resources.unified: cannot be applied: %s", why);
  return 0;
}

static int
apply_resources (const struct cg_set *s, const struct oci_resources *r, bool update, struct hako_err **err)
{
  for (int res = 0; res < CG_N_RES; res++)
    {
      const struct cg_controller *c;
      const char *dir;
      if (!wanted (res, r, update))
        continue;
      if (!locate (s, res, true, &c, &dir))
        {
          /* Devices without any device cgroup: warn as before, the
             defaults of the mount namespace still hold. */
          if (res == CG_DEVICES)
            {
              log_warn (
                  "linux.resources.devices: no devices cgroup on this host: the rules are not enforced");
              continue;
            }
          if (s->rootless)
            return hako_error (err, ENOTSUP,
                               "linux.resources.%s: rootless: the `%s` controller is not delegated to "
                               "this user (enabled in the cgroup v2 subtree it owns)",
                               res_field (res), res_controller (res));
          return hako_error (err, ENOTSUP,
                             "linux.resources.%s: no mounted cgroup hierarchy has the `%s` controller",
                             res_field (res), res_controller (res));
        }
      if (c->apply && c->apply (dir, r, update, err) < 0)
        return -1;
    }
  if (r->n_unified)
    {
      const char *mnt;
      const char *d = cg_v2_dir (s, &mnt);
      if (d == NULL)
        return hako_error (err, ENOTSUP,
                           "linux.resources.unified: needs cgroup v2, and this host mounts none");
      if (cg_v2_unified (mnt, d, r, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- create ---- */

/* mkdir -p below `base`, appending each directory we create to `created`. */
static int
mkdir_record (const char *base, const char *rel, bool cpuset, FILE *created, struct hako_err **err)
{
  cleanup_free char *path = xstrdup (base);
  cleanup_free char *copy = xstrdup (rel);
  char *save = NULL;

  /* The parents exist but for the first container below them: the leaf
     alone, then the walk when that says ENOENT. */
  cleanup_free char *leaf = hako_path_join (base, rel);
  if (strcmp (leaf, base) != 0 && mkdir (leaf, 0755) == 0)
    {
      fprintf (created, "%s\n", leaf);
      if (cpuset)
        cg_v1_cpuset_inherit (leaf);
      return 0;
    }

  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      char *next = hako_path_join (path, c);
      free (path);
      path = next;
      if (mkdir (path, 0755) == 0)
        {
          fprintf (created, "%s\n", path);
          if (cpuset)
            cg_v1_cpuset_inherit (path);
        }
      else if (errno != EEXIST)
        return hako_error (err, errno, "create cgroup `%s`", path);
    }
  return 0;
}

static char *
resolve_path (const struct cg_hierarchy *h, const char *cgroups_path, const char *id)
{
  if (cgroups_path && cgroups_path[0] == '/')
    return hako_path_clean (cgroups_path);
  cleanup_free char *own = cg_own_path (h);
  cleanup_free char *rel = hako_path_join (own, cgroups_path && *cgroups_path ? cgroups_path : id);
  return hako_path_clean (rel);
}

static int
check_cgroups_path (const char *p, struct hako_err **err)
{
  if (p && strchr (p, ':'))
    return hako_error (err, 0,
                       "linux.cgroupsPath: `%s` is a systemd slice:prefix:name path, but the "
                       "systemd cgroup manager is not supported yet (use a cgroupfs path)",
                       p);
  if (p && strstr (p, ".."))
    return hako_error (err, 0, "linux.cgroupsPath: `%s` must not contain `..`", p);
  return 0;
}

/* Create the directories, recording each one; the record is written even
   on failure so that cleanup removes what was made.  The leaves go into
   `s` (whose layout is `l`), as cg_set_load would read them back. */
static int
create_dirs (int dirfd, const struct cg_layout *l, const char *cgroups_path, const char *id, char **resolved,
             struct cg_set *s, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t blen = 0;
  FILE *created = open_memstream (&buf, &blen);
  int ret = 0;

  for (size_t i = 0; i < l->n && ret == 0; i++)
    {
      cleanup_free char *rel = resolve_path (&l->h[i], cgroups_path, id);
      if (*resolved == NULL)
        *resolved = xstrdup (rel);
      bool cpuset = !l->h[i].v2 && cg_list_has (l->h[i].controllers, "cpuset");
      ret = mkdir_record (l->h[i].mountpoint, rel, cpuset, created, err);
      char *leaf = hako_path_join (l->h[i].mountpoint, rel);
      fprintf (created, "L %s\n", leaf);
      s->leaf = xrealloc (s->leaf, (s->n + 1) * sizeof (*s->leaf));
      s->leaf[s->n++] = (struct cg_leaf){ .dir = leaf, .h = &l->h[i] };
    }
  fclose (created);
  cleanup_close int fd = openat (dirfd, HAKO_CGROUPS_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || hako_write_all (fd, buf, blen) < 0)
    return ret < 0 ? ret : hako_error (err, errno, "write `%s` in the state directory", HAKO_CGROUPS_FILE);
  return ret;
}

/* ---- rootless: delegated cgroups only ---- */

static bool
writable (const char *dir, const char *file)
{
  cleanup_free char *p = file ? hako_path_join (dir, file) : xstrdup (dir);
  return faccessat (AT_FDCWD, p, W_OK | (file ? 0 : X_OK), AT_EACCESS) == 0;
}

/* Whether an unprivileged runtime can make the container's cgroup in `h`
   and move a process there: a cgroup v2 hierarchy where the nearest
   existing ancestor of the leaf is ours to mkdir in, and where the common
   ancestor of our own cgroup and the leaf lets us write cgroup.procs (the
   kernel's rule for migrating a process).  That is what a delegated subtree
   (systemd's Delegate=yes, or a chown by the administrator) gives; v1
   hierarchies are never delegated to users in practice. */
static bool
delegated (const struct cg_hierarchy *h, const char *cgroups_path, const char *id)
{
  if (!h->v2)
    return false;
  cleanup_free char *rel = resolve_path (h, cgroups_path, id);
  cleanup_free char *leaf = hako_path_join (h->mountpoint, rel);
  cleanup_free char *own_rel = cg_own_path (h);
  cleanup_free char *own = hako_path_join (h->mountpoint, own_rel);
  struct stat st;

  /* The nearest existing ancestor (or the leaf itself, made earlier). */
  cleanup_free char *anc = xstrdup (leaf);
  while (stat (anc, &st) < 0 && strcmp (anc, h->mountpoint) != 0)
    {
      char *slash = strrchr (anc, '/');
      if (slash == NULL || slash == anc)
        return false;
      *slash = '\0';
    }
  if (!writable (anc, strcmp (anc, leaf) == 0 ? "cgroup.procs" : NULL))
    return false;
  /* The common ancestor of our cgroup and the leaf. */
  size_t i = 0, last = 0;
  while (own[i] && own[i] == leaf[i])
    {
      if (own[i] == '/')
        last = i;
      i++;
    }
  if ((own[i] == '\0' && (leaf[i] == '/' || leaf[i] == '\0')) || (leaf[i] == '\0' && own[i] == '/'))
    last = i;
  cleanup_free char *common = xasprintf ("%.*s", (int) last, own);
  return writable (common, "cgroup.procs");
}

/* Keep only the hierarchies delegated to us; true if any is left. */
static bool
keep_delegated (struct cg_layout *l, const char *cgroups_path, const char *id)
{
  size_t j = 0;
  for (size_t i = 0; i < l->n; i++)
    {
      if (delegated (&l->h[i], cgroups_path, id))
        {
          l->h[j++] = l->h[i];
          continue;
        }
      log_debug ("rootless: cgroup hierarchy %s is not delegated to this user: not used", l->h[i].mountpoint);
      free (l->h[i].mountpoint);
      free (l->h[i].root);
      free (l->h[i].controllers);
      free (l->h[i].own);
    }
  l->n = j;
  return j > 0;
}

int
cgroup_prepare_set (const struct hako_runtime *rt, int dirfd, const char *id, const struct oci_spec *spec,
                    char **resolved, struct cg_set **out, struct hako_err **err)
{
  const char *cgroups_path = spec->linux_ ? spec->linux_->cgroups_path : NULL;
  const struct oci_resources *r = spec->linux_ ? spec->linux_->resources : NULL;
  struct cg_set *s;

  *resolved = NULL;
  if (out)
    *out = NULL;
  if (rt->cgroup_manager == HAKO_CGROUP_DISABLED)
    return refuse_limits (r, "the cgroup manager is disabled (--cgroup-manager disabled)", err);
  if (check_cgroups_path (cgroups_path, err) < 0)
    return -1;
  /* The mount table and /proc/self/cgroup are read once per create: the
     set built here serves the resources, the join, CLONE_INTO_CGROUP and
     the container's cgroup mounts. */
  s = xzalloc (sizeof (*s));
  if (cg_layout_read (&s->layout, err) < 0)
    {
      free (s);
      return -1;
    }
  s->unified = s->layout.mode == CG_MODE_UNIFIED;
  if (hako_rootless_euid (rt))
    {
      /* Not delegated: no cgroup at all, as runc and crun do rootless; the
         container still works, without limits, pause, or ps/kill --all
         beyond its init. */
      s->rootless = true;
      if (!keep_delegated (&s->layout, cgroups_path, id))
        {
          cgroup_set_release (s);
          return refuse_limits (r,
                                "rootless: no cgroup is delegated to this user (a cgroup v2 subtree it "
                                "owns, containing its own cgroup)",
                                err);
        }
    }
  int ret = create_dirs (dirfd, &s->layout, cgroups_path, id, resolved, s, err);
  if (ret == 0)
    {
      const char *mnt;
      const char *v2 = cg_v2_dir (s, &mnt);
      if (v2 && s->unified)
        cg_v2_enable_all (mnt, v2);
      if (r)
        ret = apply_resources (s, r, false, err);
    }
  if (ret < 0 || out == NULL)
    cgroup_set_release (s);
  else
    *out = s;
  if (ret < 0)
    {
      free (*resolved);
      *resolved = NULL;
    }
  return ret;
}

int
cgroup_prepare (const struct hako_runtime *rt, int dirfd, const char *id, const struct oci_spec *spec,
                char **resolved, struct hako_err **err)
{
  return cgroup_prepare_set (rt, dirfd, id, spec, resolved, NULL, err);
}

void
cgroup_set_release (struct cg_set *s)
{
  if (s == NULL)
    return;
  cg_set_free (s);
  free (s);
}

int
cgroup_clone_fd_of (const struct cg_set *s)
{
  /* Only where v2 is the whole story: on a hybrid host the v1 hierarchies
     need cgroup_enter anyway. */
  const char *d = s && s->unified ? cg_v2_dir (s, NULL) : NULL;
  return d ? open (d, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}

int
cgroup_enter_set (const struct cg_set *s, pid_t pid, struct hako_err **err)
{
  char spid[32];

  snprintf (spid, sizeof (spid), "%d", pid);
  for (size_t i = 0; s && i < s->n; i++)
    if (cg_write (s->leaf[i].dir, "cgroup.procs", spid, NULL, err) < 0)
      return hako_error_prefix (err, "join cgroup `%s`", s->leaf[i].dir);
  return 0;
}

/* The hierarchy mounted at `m`, by cgroup version and controllers. */
static const struct cg_hierarchy *
hierarchy_of_mount (const struct cg_layout *l, const struct hako_mountinfo *m)
{
  bool v2 = strcmp (m->fstype, "cgroup2") == 0;
  cleanup_free char *ctrl = v2 ? xstrdup ("") : v1_controllers (m->super_opts);

  for (size_t i = 0; i < l->n; i++)
    if (l->h[i].v2 == v2 && same_controllers (l->h[i].controllers, ctrl))
      return &l->h[i];
  return NULL;
}

int
cgroup_mount_plan (const struct cg_set *s, struct hako_cg_mount **out, size_t *n)
{
  static const char root[] = "/sys/fs/cgroup/";
  struct hako_cg_mount *v = NULL;
  size_t cnt = 0;

  *out = NULL;
  *n = 0;
  for (size_t i = 0; s && i < s->layout.n_mounts; i++)
    {
      const struct hako_mountinfo *m = &s->layout.mounts[i];
      const char *name = m->mountpoint + sizeof (root) - 1;
      if (strncmp (m->mountpoint, root, sizeof (root) - 1) != 0 || *name == '\0' || strchr (name, '/'))
        continue;
      const struct cg_hierarchy *h = hierarchy_of_mount (&s->layout, m);
      const char *leaf = NULL;
      for (size_t j = 0; h && j < s->n; j++)
        if (s->leaf[j].h == h)
          leaf = s->leaf[j].dir;
      /* A hierarchy mounted twice (this mount is not the one the leaf was
         made under): the container process works it out itself. */
      if (h == NULL || leaf == NULL || strcmp (h->mountpoint, m->mountpoint) != 0)
        {
          hako_cg_mounts_free (v, cnt);
          return -1;
        }
      v = xrealloc (v, (cnt + 1) * sizeof (*v));
      v[cnt++] = (struct hako_cg_mount){ .name = xstrdup (name), .source = xstrdup (leaf) };
    }
  *out = v;
  *n = cnt;
  return 0;
}

void
hako_cg_mounts_free (struct hako_cg_mount *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].name);
      free (v[i].source);
    }
  free (v);
}

int
cgroup_clone_fd (int dirfd)
{
  struct cg_set s;
  struct hako_err *e = NULL;
  int fd = -1;

  if (cg_set_load (dirfd, &s, &e) < 0)
    {
      hako_error_free (&e);
      return -1;
    }
  /* Only where v2 is the whole story: on a hybrid host the v1 hierarchies
     need cgroup_enter anyway. */
  const char *d = s.unified ? cg_v2_dir (&s, NULL) : NULL;
  if (d)
    fd = open (d, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cg_set_free (&s);
  return fd;
}

int
cgroup_enter (int dirfd, pid_t pid, struct hako_err **err)
{
  cleanup_strv char **lines = NULL;
  size_t n;
  char spid[32];

  read_record (dirfd, &lines, &n);
  snprintf (spid, sizeof (spid), "%d", pid);
  for (size_t i = 0; i < n; i++)
    if (strncmp (lines[i], "L ", 2) == 0 && cg_write (lines[i] + 2, "cgroup.procs", spid, NULL, err) < 0)
      return hako_error_prefix (err, "join cgroup `%s`", lines[i] + 2);
  return 0;
}

/* ---- processes ---- */

/* cgroup.procs of `dir` and of every cgroup below it (a container may
   make its own sub-cgroups). */
static void
collect_pids (const char *dir, pid_t **pids, size_t *n)
{
  cleanup_free char *procs = hako_path_join (dir, "cgroup.procs");
  FILE *f = fopen (procs, "re");
  int pid;

  if (f)
    {
      while (fscanf (f, "%d", &pid) == 1)
        {
          *pids = xrealloc (*pids, (*n + 1) * sizeof (pid_t));
          (*pids)[(*n)++] = pid;
        }
      fclose (f);
    }
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = hako_path_join (dir, de->d_name);
        collect_pids (sub, pids, n);
      }
}

bool
cgroup_present (int dirfd)
{
  cleanup_strv char **lines = NULL;
  size_t n;

  read_record (dirfd, &lines, &n);
  for (size_t i = 0; i < n; i++)
    if (strncmp (lines[i], "L ", 2) == 0)
      return true;
  return false;
}

int
cgroup_pids (int dirfd, pid_t **pids, size_t *n, struct hako_err **err)
{
  cleanup_strv char **lines = NULL;
  size_t nl;

  *pids = NULL;
  *n = 0;
  read_record (dirfd, &lines, &nl);
  for (size_t i = 0; i < nl; i++)
    if (strncmp (lines[i], "L ", 2) == 0 && access (lines[i] + 2, F_OK) == 0)
      {
        collect_pids (lines[i] + 2, pids, n);
        return 0;
      }
  return hako_error (err, 0,
                     "the container has no cgroup to list processes from (created with --cgroup-manager "
                     "disabled, or rootless without a delegated cgroup)");
}

/* ---- freezer ---- */

/* The v1 freezer when mounted, else the v2 leaf (cgroup.freeze). */
static const struct cgroup_ops *
freezer_of (const struct cg_set *s, const char **dir)
{
  if ((*dir = cg_v1_dir (s, "freezer")))
    return &cgroup_v1_ops;
  if ((*dir = cg_v2_dir (s, NULL)) && cg_exists (*dir, "cgroup.freeze"))
    return &cgroup_v2_ops;
  return NULL;
}

bool
cgroup_frozen (int dirfd)
{
  cleanup_strv char **lines = NULL;
  size_t n;

  /* Called by every `state` and `list`: probe the recorded leaves for a
     freezer file instead of reading the mount table. */
  read_record (dirfd, &lines, &n);
  for (size_t i = 0; i < n; i++)
    if (strncmp (lines[i], "L ", 2) == 0 && cg_exists (lines[i] + 2, "freezer.state"))
      return cgroup_v1_ops.frozen (lines[i] + 2) == 1;
  for (size_t i = 0; i < n; i++)
    if (strncmp (lines[i], "L ", 2) == 0 && cg_exists (lines[i] + 2, "cgroup.freeze"))
      return cgroup_v2_ops.frozen (lines[i] + 2) == 1;
  return false;
}

int
cgroup_freeze (int dirfd, bool frozen, struct hako_err **err)
{
  struct cg_set s;
  const char *dir;

  if (cg_set_load (dirfd, &s, err) < 0)
    return -1;
  const struct cgroup_ops *ops = freezer_of (&s, &dir);
  int r = ops ? ops->freeze (dir, frozen, err)
              : hako_error (err, ENOTSUP,
                            "the container has no freezer cgroup (v1 freezer or v2 cgroup.freeze)");
  cg_set_free (&s);
  return r;
}

/* ---- signals ---- */

static int
signal_each (const struct cg_set *s, int sig, struct hako_err **err)
{
  pid_t *pids = NULL;
  size_t n = 0;

  for (size_t i = 0; i < s->n && n == 0; i++)
    collect_pids (s->leaf[i].dir, &pids, &n);
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      r = hako_error (err, errno, "signal %d to pid %d", sig, pids[i]);
  free (pids);
  return r;
}

int
cgroup_kill_all (int dirfd, int sig, struct hako_err **err)
{
  struct cg_set s;
  const char *fdir = NULL, *v2;
  int r;

  if (cg_set_load (dirfd, &s, err) < 0)
    return -1;
  if (s.n == 0)
    {
      cg_set_free (&s);
      return hako_error (err, 0, "the container has no cgroup to signal processes in");
    }
  const struct cgroup_ops *fops = freezer_of (&s, &fdir);
  bool was_frozen = fops && fops->frozen (fdir) == 1;
  v2 = cg_v2_dir (&s, NULL);
  if (sig == SIGKILL && v2 && cg_exists (v2, "cgroup.kill"))
    r = cg_write (v2, "cgroup.kill", "1", NULL, err); /* atomic: nothing forks past it */
  else
    {
      /* Freeze while listing and signalling so that no new child escapes
         (runc does the same). */
      if (fops && !was_frozen && fops->freeze (fdir, true, NULL) < 0)
        log_debug ("kill --all: could not freeze the cgroup first");
      r = signal_each (&s, sig, err);
    }
  /* Thaw so the signal is acted on; a paused container stays paused
     unless the signal was SIGKILL (a frozen v1 task cannot die). */
  if (fops && (!was_frozen || sig == SIGKILL))
    fops->freeze (fdir, false, NULL);
  cg_set_free (&s);
  return r;
}

/* ---- update, stats, OOM ---- */

int
cgroup_update (int dirfd, const struct oci_resources *r, struct hako_err **err)
{
  struct cg_set s;

  if (cg_set_load (dirfd, &s, err) < 0)
    return -1;
  int ret
      = s.n ? apply_resources (&s, r, true, err)
            : hako_error (
                err, 0,
                "the container has no cgroup (created with --cgroup-manager disabled, or rootless without a "
                "delegated cgroup)");
  cg_set_free (&s);
  return ret;
}

/* runc's stats object with every section present, as Go's encoder writes
   the zero values. */
static json_t *
stats_skeleton (void)
{
  json_t *mem_entry[4];
  for (int i = 0; i < 4; i++)
    mem_entry[i] = json_pack ("{s:i, s:i}", "limit", 0, "failcnt", 0);
  return json_pack ("{s:{s:{}, s:{}}, s:{}, s:{s:o, s:o, s:o, s:o}, s:{}, s:{}, s:{}, s:{}, s:n}", "cpu",
                    "usage", "throttling", "cpuset", "memory", "usage", mem_entry[0], "swap", mem_entry[1],
                    "kernel", mem_entry[2], "kernelTCP", mem_entry[3], "pids", "blkio", "hugetlb",
                    "intel_rdt", "network_interfaces");
}

json_t *
cgroup_stats (int dirfd, struct hako_err **err)
{
  struct cg_set s;

  if (cg_set_load (dirfd, &s, err) < 0)
    return NULL;
  if (s.n == 0)
    {
      hako_error (err, 0, "the container has no cgroup to read statistics from");
      return NULL;
    }
  json_t *st = stats_skeleton ();
  for (int res = 0; res < CG_N_RES; res++)
    {
      const struct cg_controller *c;
      const char *dir;
      if (locate (&s, res, false, &c, &dir) && c->stats)
        c->stats (dir, st);
    }
  cg_set_free (&s);
  /* kernel and user are never omitted in runc's output, and come last. */
  json_t *usage = json_object_get (json_object_get (st, "cpu"), "usage");
  for (const char *const *k = (const char *const[]){ "kernel", "user", NULL }; *k; k++)
    if (json_object_get (usage, *k) == NULL)
      json_object_set_new (usage, *k, json_integer (0));
  return st;
}

int
cgroup_oom_open (int dirfd, struct cgroup_oom *oom, struct hako_err **err)
{
  struct cg_set s;
  const struct cg_controller *c;
  const char *dir;

  memset (oom, 0, sizeof (*oom));
  oom->fd = -1;
  if (cg_set_load (dirfd, &s, err) < 0)
    return -1;
  int ret = 0;
  if (locate (&s, CG_MEMORY, false, &c, &dir))
    {
      oom->ops = c == ops_controller (&cgroup_v1_ops, CG_MEMORY) ? &cgroup_v1_ops : &cgroup_v2_ops;
      oom->dir = xstrdup (dir);
      oom->fd = oom->ops->oom_open (dir, err);
      ret = oom->fd < 0 ? -1 : 0;
    }
  cg_set_free (&s);
  return ret;
}

int
cgroup_oom_read (struct cgroup_oom *oom)
{
  return oom->ops->oom_read (oom->dir, oom->fd, &oom->last);
}

void
cgroup_oom_close (struct cgroup_oom *oom)
{
  if (oom->fd >= 0)
    close (oom->fd);
  free (oom->dir);
  memset (oom, 0, sizeof (*oom));
  oom->fd = -1;
}

/* ---- delete ---- */

int
cgroup_destroy (int dirfd, struct hako_err **err)
{
  cleanup_strv char **lines = NULL;
  size_t n;

  read_record (dirfd, &lines, &n);
  /* Created dirs were recorded parents first: remove in reverse.  The
     container's own cgroup is retried while its last tasks exit (EBUSY);
     a parent we created may be shared with another container by now
     (EBUSY for a cgroup with children): leave it to the last one out. */
  for (size_t i = n; i-- > 0;)
    {
      const char *dir = lines[i];
      bool leaf = false;
      if (strncmp (dir, "L ", 2) == 0)
        continue;
      for (size_t j = 0; j < n; j++)
        if (strncmp (lines[j], "L ", 2) == 0 && strcmp (lines[j] + 2, dir) == 0)
          leaf = true;
      for (int attempt = 0;; attempt++)
        {
          if (rmdir (dir) == 0 || errno == ENOENT || !leaf)
            break;
          if (errno != EBUSY || attempt >= 400)
            return hako_error (err, errno, "remove cgroup `%s`", dir);
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
    }
  unlinkat (dirfd, HAKO_CGROUPS_FILE, 0);
  return 0;
}
