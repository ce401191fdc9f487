/* SPDX-License-Identifier: Apache-2.0 */
/* Namespaces (config-linux.md "Namespaces"): which to create at clone, which
   to join by path, user namespace id maps, and time namespace offsets. */
#include "internal.h"
#include "../util/cleanup.h"
#include "../util/path.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const unsigned long ns_flag[OCI_NS_COUNT] = {
  [OCI_NS_PID] = CLONE_NEWPID,       [OCI_NS_NETWORK] = CLONE_NEWNET, [OCI_NS_MOUNT] = CLONE_NEWNS,
  [OCI_NS_IPC] = CLONE_NEWIPC,       [OCI_NS_UTS] = CLONE_NEWUTS,     [OCI_NS_USER] = CLONE_NEWUSER,
  [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

int
ns_plan_make (const struct oci_spec *spec, struct ns_plan *plan, struct hako_err **err)
{
  memset (plan, 0, sizeof (*plan));
  if (spec->linux_ == NULL)
    return 0;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    {
      const struct oci_namespace *ns = &spec->linux_->namespaces[i];
      enum oci_ns_type k = ns->kind;
      if (ns->path && *ns->path)
        {
          plan->join[k] = true;
          plan->join_path[k] = ns->path;
          plan->needs_joiner = true;
          continue;
        }
      plan->new_ns[k] = true;
      /* The cgroup namespace is unshared by the container process after the
         runtime has moved it into its cgroup (the namespace root is the
         cgroup at unshare time); the time namespace needs its offsets
         written between unshare and the first process entering it. */
      if (k == OCI_NS_CGROUP)
        continue;
      if (k == OCI_NS_TIME)
        {
          plan->needs_joiner = true;
          continue;
        }
      plan->clone_flags |= ns_flag[k];
    }
  if (spec->linux_->n_time_offsets && !plan->new_ns[OCI_NS_TIME])
    return hako_error (err, 0, "linux.timeOffsets: requires a new time namespace");
  return 0;
}

int
ns_open_paths (const struct ns_plan *plan, int fds[8], struct hako_err **err)
{
  for (int k = 0; k < OCI_NS_COUNT; k++)
    fds[k] = -1;
  for (int k = 0; k < OCI_NS_COUNT; k++)
    {
      if (!plan->join[k])
        continue;
      fds[k] = open (plan->join_path[k], O_RDONLY | O_CLOEXEC);
      if (fds[k] < 0)
        {
          int e = errno;
          for (int j = 0; j < k; j++)
            if (fds[j] >= 0)
              close (fds[j]);
          return hako_error (err, e, "linux.namespaces: open %s namespace `%s`", oci_ns_type_name (k),
                             plan->join_path[k]);
        }
    }
  return 0;
}

int
ns_join (const struct ns_plan *plan, const int fds[8], struct hako_err **err)
{
  /* The user namespace first: joining it grants the capabilities needed to
     join the namespaces it owns.  The mount namespace last, after the others
     may still need host paths. */
  static const enum oci_ns_type order[] = { OCI_NS_USER, OCI_NS_PID,    OCI_NS_NETWORK, OCI_NS_IPC,
                                            OCI_NS_UTS,  OCI_NS_CGROUP, OCI_NS_TIME,    OCI_NS_MOUNT };
  for (size_t i = 0; i < sizeof (order) / sizeof (order[0]); i++)
    {
      enum oci_ns_type k = order[i];
      if (fds[k] < 0)
        continue;
      if (setns (fds[k], ns_flag[k]) < 0)
        return hako_error (err, errno, "join %s namespace `%s`", oci_ns_type_name (k), plan->join_path[k]);
    }
  return 0;
}

static int
write_proc (pid_t pid, const char *file, const char *data, struct hako_err **err)
{
  char path[64];
  cleanup_close int fd = -1;

  snprintf (path, sizeof (path), "/proc/%d/%s", pid, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || hako_write_all (fd, data, strlen (data)) < 0)
    return hako_error (err, errno, "write %s", path);
  return 0;
}

static char *
format_map (const struct oci_id_mapping *m, size_t n)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose (f);
  return buf;
}

int
ns_write_id_maps (pid_t pid, const struct oci_spec *spec, bool deny_setgroups, struct hako_err **err)
{
  const struct oci_linux *l = spec->linux_;
  cleanup_free char *uids = NULL, *gids = NULL;

  if (l == NULL || (l->n_uid_mappings == 0 && l->n_gid_mappings == 0))
    return hako_error (err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  uids = format_map (l->uid_mappings, l->n_uid_mappings);
  gids = format_map (l->gid_mappings, l->n_gid_mappings);
  if (write_proc (pid, "uid_map", uids, err) < 0)
    return hako_error_prefix (err, "linux.uidMappings");
  /* An unprivileged writer must deny setgroups before writing gid_map. */
  if (deny_setgroups && write_proc (pid, "setgroups", "deny", err) < 0)
    return -1;
  if (write_proc (pid, "gid_map", gids, err) < 0)
    return hako_error_prefix (err, "linux.gidMappings");
  return 0;
}

int
ns_setup_time (const struct oci_spec *spec, struct hako_err **err)
{
  const struct oci_linux *l = spec->linux_;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f;

  if (unshare (CLONE_NEWTIME) < 0)
    return hako_error (err, errno, "create time namespace");
  if (l->n_time_offsets == 0)
    return 0;
  f = open_memstream (&buf, &len);
  for (size_t i = 0; i < l->n_time_offsets; i++)
    fprintf (f, "%s %lld %u\n", l->time_offsets[i].clock, (long long) l->time_offsets[i].secs,
             l->time_offsets[i].nanosecs);
  fclose (f);
  cleanup_close int fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || hako_write_all (fd, buf, len) < 0)
    return hako_error (err, errno, "linux.timeOffsets: write /proc/self/timens_offsets");
  return 0;
}
