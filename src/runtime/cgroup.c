/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup placement: create the container's cgroup in every hierarchy the
   host mounts (v1 controllers, a v2 unified mount, or both on a hybrid host
   like Debian's default), put the container process in it, and remove it on
   delete.  Resource limits are applied by the cgroup manager (next issue). */
#include "internal.h"
#include "../util/cleanup.h"
#include "../util/path.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct hierarchy
{
  char *mountpoint;  /* /sys/fs/cgroup/memory */
  char *controllers; /* "memory", "cpu,cpuacct", "" for cgroup2 */
  bool v2;
};

static void
hierarchies_free (struct hierarchy *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (h[i].mountpoint);
      free (h[i].controllers);
    }
  free (h);
}

/* Mounted cgroup hierarchies from /proc/self/mountinfo, one per distinct
   hierarchy (the first mount point of each). */
static int
hierarchies_read (struct hierarchy **out, size_t *n, struct hako_err **err)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0, len = 0;
  struct hierarchy *v = NULL;

  if (f == NULL)
    return hako_error (err, errno, "open /proc/self/mountinfo");
  while (getline (&line, &cap, f) > 0)
    {
      char mnt[4096], fstype[64], opts[4096];
      char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1)
        continue;
      if (sscanf (sep + 3, "%63s %*s %4095s", fstype, opts) != 2)
        continue;
      bool v2 = strcmp (fstype, "cgroup2") == 0;
      if (!v2 && strcmp (fstype, "cgroup") != 0)
        continue;
      /* Controllers of a v1 hierarchy: super options minus rw/ro and the like. */
      char ctrl[4096] = "";
      if (!v2)
        {
          char *save = NULL;
          for (char *t = strtok_r (opts, ",", &save); t; t = strtok_r (NULL, ",", &save))
            {
              if (strcmp (t, "rw") == 0 || strcmp (t, "ro") == 0 || strncmp (t, "release_agent", 13) == 0
                  || strcmp (t, "clone_children") == 0 || strcmp (t, "noprefix") == 0
                  || strncmp (t, "xattr", 5) == 0)
                continue;
              if (*ctrl)
                strcat (ctrl, ",");
              strncat (ctrl, t, sizeof (ctrl) - strlen (ctrl) - 1);
            }
        }
      bool dup = false;
      for (size_t i = 0; i < len; i++)
        if (v[i].v2 == v2 && strcmp (v[i].controllers, ctrl) == 0)
          dup = true;
      if (dup)
        continue;
      v = xrealloc (v, (len + 1) * sizeof (*v));
      v[len].mountpoint = xstrdup (mnt);
      v[len].controllers = xstrdup (ctrl);
      v[len].v2 = v2;
      len++;
    }
  *out = v;
  *n = len;
  return 0;
}

/* Our own cgroup in the hierarchy with these controllers ("" = cgroup2),
   from /proc/self/cgroup. */
static char *
own_cgroup (const struct hierarchy *h)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (f == NULL)
    return xstrdup ("/");
  while (getline (&line, &cap, f) > 0)
    {
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      char *path = c2 + 1;
      path[strcspn (path, "\n")] = '\0';
      if (strcmp (c1 + 1, h->controllers) == 0)
        return xstrdup (path);
    }
  return xstrdup ("/");
}

/* A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks
   (ENOSPC): copy the parent's values down each level we create. */
static void
cpuset_inherit (const char *dir)
{
  const char *files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);
  char *slash = strrchr (parent, '/');
  if (slash == NULL)
    return;
  *slash = '\0';
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *src = hako_path_join (parent, files[i]);
      cleanup_free char *dst = hako_path_join (dir, files[i]);
      cleanup_free char *cur = NULL, *val = NULL;
      size_t len;
      struct hako_err *e = NULL;
      if (hako_read_file (dst, &cur, &len, &e) == 0 && cur[strspn (cur, " \n")] != '\0')
        continue;
      hako_error_free (&e);
      if (hako_read_file (src, &val, &len, &e) < 0)
        {
          hako_error_free (&e);
          continue;
        }
      int fd = open (dst, O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          hako_write_all (fd, val, len);
          close (fd);
        }
    }
}

/* mkdir -p below `base`, appending each directory we create to `created`. */
static int
mkdir_record (const char *base, const char *rel, bool cpuset, FILE *created,
              struct hako_err **err)
{
  cleanup_free char *path = xstrdup (base);
  cleanup_free char *copy = xstrdup (rel);
  char *save = NULL;

  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      char *next = hako_path_join (path, c);
      free (path);
      path = next;
      if (mkdir (path, 0755) == 0)
        {
          fprintf (created, "%s\n", path);
          if (cpuset)
            cpuset_inherit (path);
        }
      else if (errno != EEXIST)
        return hako_error (err, errno, "create cgroup `%s`", path);
    }
  return 0;
}

static bool
has_controller (const char *list, const char *name)
{
  size_t n = strlen (name);
  for (const char *p = list; (p = strstr (p, name)); p += n)
    if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
      return true;
  return false;
}

static int
write_rule (const char *dir, bool allow, const char *rule, struct hako_err **err)
{
  cleanup_free char *file = hako_path_join (dir, allow ? "devices.allow" : "devices.deny");
  cleanup_close int fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, rule, strlen (rule)) < 0)
    return hako_error (err, errno, "linux.resources.devices: write `%s` to `%s`", rule, file);
  return 0;
}

static void
format_id (char *buf, size_t n, bool has, int64_t v)
{
  if (has && v >= 0)
    snprintf (buf, n, "%lld", (long long) v);
  else
    snprintf (buf, n, "*");
}

/* The v1 device controller: the config's rules in order, then what every
   container needs (runc's list: mknod of anything, the default devices,
   ptys, tun).  As in runc, linux.devices are not allowed implicitly: the
   config's rules decide. */
static int
apply_devices_v1 (const char *dir, const struct oci_spec *spec, struct hako_err **err)
{
  static const char *const defaults[] = { "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm",
                                          "c 1:7 rwm", "c 5:0 rwm", "c 1:5 rwm", "c 1:9 rwm",
                                          "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm", NULL };
  const struct oci_resources *r = spec->linux_ ? spec->linux_->resources : NULL;
  char rule[128], maj[24], min[24];

  if (r == NULL || r->n_devices == 0)
    return 0;
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const struct oci_device_cgroup *d = &r->devices[i];
      const char *type = d->type && *d->type ? d->type : "a";
      const char *access = d->access && *d->access ? d->access : "rwm";
      if (strcmp (type, "a") == 0)
        snprintf (rule, sizeof (rule), "a");
      else
        {
          format_id (maj, sizeof (maj), d->has_major, d->major);
          format_id (min, sizeof (min), d->has_minor, d->minor);
          snprintf (rule, sizeof (rule), "%s %s:%s %s", type, maj, min, access);
        }
      if (strcmp (rule, "a") == 0 && strcmp (access, "rwm") != 0)
        snprintf (rule, sizeof (rule), "a *:* %s", access);
      if (write_rule (dir, d->allow, rule, err) < 0)
        return -1;
    }
  for (const char *const *d = defaults; *d; d++)
    if (write_rule (dir, true, *d, err) < 0)
      return -1;
  return 0;
}

int
cgroup_prepare (const struct hako_runtime *rt, int dirfd, const char *id, const struct oci_spec *spec,
                char **resolved, struct hako_err **err)
{
  const char *cgroups_path = spec->linux_ ? spec->linux_->cgroups_path : NULL;
  bool devices_done = false;
  struct hierarchy *h = NULL;
  size_t n = 0;
  cleanup_free char *buf = NULL;
  size_t blen = 0;
  cleanup_fclose FILE *created = NULL;
  int ret = 0;

  *resolved = NULL;
  if (rt->cgroup_manager == HAKO_CGROUP_DISABLED)
    return 0;
  if (cgroups_path && strchr (cgroups_path, ':'))
    return hako_error (err, 0,
                       "linux.cgroupsPath: `%s` is a systemd slice:prefix:name path, but the "
                       "systemd cgroup manager is not supported yet (use a cgroupfs path)",
                       cgroups_path);
  if (cgroups_path && strstr (cgroups_path, ".."))
    return hako_error (err, 0, "linux.cgroupsPath: `%s` must not contain `..`", cgroups_path);
  if (hierarchies_read (&h, &n, err) < 0)
    return -1;
  created = open_memstream (&buf, &blen);
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *rel = NULL;
      if (cgroups_path && cgroups_path[0] == '/')
        rel = xstrdup (cgroups_path);
      else
        {
          cleanup_free char *own = own_cgroup (&h[i]);
          rel = hako_path_join (own, cgroups_path && *cgroups_path ? cgroups_path : id);
        }
      char *clean = hako_path_clean (rel);
      free (rel);
      rel = clean;
      if (*resolved == NULL)
        *resolved = xstrdup (rel);
      ret = mkdir_record (h[i].mountpoint, rel, !h[i].v2 && has_controller (h[i].controllers, "cpuset"),
                          created, err);
      /* "L <dir>" marks the container's own cgroup dir in each hierarchy. */
      cleanup_free char *leaf = hako_path_join (h[i].mountpoint, rel);
      fprintf (created, "L %s\n", leaf);
      if (ret == 0 && !h[i].v2 && has_controller (h[i].controllers, "devices"))
        {
          ret = apply_devices_v1 (leaf, spec, err);
          devices_done = true;
        }
    }
  hierarchies_free (h, n);
  if (ret == 0 && !devices_done && spec->linux_ && spec->linux_->resources
      && spec->linux_->resources->n_devices)
    log_warn ("linux.resources.devices: no v1 devices hierarchy: the device rules are not enforced "
              "(cgroup v2 device filtering is not implemented yet)");
  fclose (created);
  created = NULL;
  /* Write the record even on failure, so cleanup removes what was made. */
  int fd = openat (dirfd, HAKO_CGROUPS_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      hako_write_all (fd, buf, blen);
      close (fd);
    }
  if (ret < 0)
    {
      free (*resolved);
      *resolved = NULL;
    }
  return ret;
}

/* Lines of the record: "L <leaf>" for each hierarchy's container cgroup and
   plain "<dir>" for every directory we created, parents first. */
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

int
cgroup_enter (int dirfd, pid_t pid, struct hako_err **err)
{
  cleanup_strv char **lines = NULL;
  size_t n;
  char spid[32];

  read_record (dirfd, &lines, &n);
  snprintf (spid, sizeof (spid), "%d", pid);
  for (size_t i = 0; i < n; i++)
    {
      if (strncmp (lines[i], "L ", 2) != 0)
        continue;
      cleanup_free char *procs = hako_path_join (lines[i] + 2, "cgroup.procs");
      cleanup_close int fd = open (procs, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write (fd, spid, strlen (spid)) < 0)
        return hako_error (err, errno, "join cgroup `%s`", lines[i] + 2);
    }
  return 0;
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
    {
      if (strncmp (lines[i], "L ", 2) != 0)
        continue;
      cleanup_free char *procs = hako_path_join (lines[i] + 2, "cgroup.procs");
      cleanup_fclose FILE *f = fopen (procs, "re");
      if (f == NULL)
        continue;
      int pid;
      while (fscanf (f, "%d", &pid) == 1)
        {
          *pids = xrealloc (*pids, (*n + 1) * sizeof (pid_t));
          (*pids)[(*n)++] = pid;
        }
      return 0;
    }
  return hako_error (err, 0, "the container has no cgroup to list processes from");
}

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
