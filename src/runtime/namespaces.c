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
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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

/* The one map an unprivileged process may write itself (user_namespaces(7)):
   a single id, its own, of size 1. */
static bool
self_map (const struct oci_id_mapping *m, size_t n, unsigned id)
{
  return n == 1 && m[0].host_id == id && m[0].size == 1;
}

static char *
find_tool (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *copy = xstrdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;

  for (char *d = strtok_r (copy, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *p = hako_path_join (d, name);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  /* The helpers are often in /usr/bin only, and a minimal PATH may miss it. */
  char *p = hako_path_join ("/usr/bin", name);
  if (access (p, X_OK) == 0)
    return p;
  free (p);
  return NULL;
}

/* Write a map through newuidmap or newgidmap (Debian's uidmap): setuid
   helpers that allow the caller's own id and the ranges /etc/subuid and
   /etc/subgid give it, which the kernel does not let an unprivileged
   process write itself.  Their one-line complaint becomes our error. */
static int
map_with_tool (const char *tool, const char *field, const char *subfile, pid_t pid,
               const struct oci_id_mapping *m, size_t n, unsigned self, struct hako_err **err)
{
  cleanup_free char *exe = find_tool (tool);
  if (exe == NULL)
    return hako_error (err, ENOENT,
                       "%s: rootless: mapping more than your own id (%u) needs %s (package uidmap) and a "
                       "range for this user in %s",
                       field, self, tool, subfile);
  char **argv = xzalloc ((3 + 3 * n) * sizeof (char *));
  size_t k = 0;
  argv[k++] = xstrdup (tool);
  argv[k++] = xasprintf ("%d", pid);
  for (size_t i = 0; i < n; i++)
    {
      argv[k++] = xasprintf ("%u", m[i].container_id);
      argv[k++] = xasprintf ("%u", m[i].host_id);
      argv[k++] = xasprintf ("%u", m[i].size);
    }
  argv[k] = NULL;

  int fds[2], status = 0, ret = 0;
  char msg[512];
  size_t len = 0;
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      ret = hako_error (err, errno, "%s: pipe", field);
      goto out;
    }
  pid_t child = fork ();
  if (child < 0)
    {
      ret = hako_error (err, errno, "%s: fork %s", field, tool);
      close (fds[0]);
      close (fds[1]);
      goto out;
    }
  if (child == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      dup2 (fds[1], STDERR_FILENO);
      dup2 (fds[1], STDOUT_FILENO);
      execv (exe, argv);
      dprintf (fds[1], "exec: %s", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  for (ssize_t r; len < sizeof (msg) - 1 && (r = read (fds[0], msg + len, sizeof (msg) - 1 - len)) != 0;)
    {
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        break;
      len += (size_t) r;
    }
  close (fds[0]);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  msg[len] = '\0';
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
    msg[--len] = '\0';
  for (char *c = msg; *c; c++)
    if (*c == '\n')
      *c = ' ';
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    ret = hako_error (
        err, EPERM,
        "%s: rootless: %s refused the mapping: %s (the host ids must be yours or in your range in %s)", field,
        exe, *msg ? msg : "no message", subfile);
out:
  for (size_t i = 0; i < k; i++)
    free (argv[i]);
  free (argv);
  return ret;
}

int
ns_write_id_maps (pid_t pid, const struct oci_spec *spec, bool unprivileged, struct hako_err **err)
{
  const struct oci_linux *l = spec->linux_;
  cleanup_free char *uids = NULL, *gids = NULL;

  if (l == NULL || (l->n_uid_mappings == 0 && l->n_gid_mappings == 0))
    return hako_error (err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if (unprivileged && !self_map (l->uid_mappings, l->n_uid_mappings, geteuid ()))
    {
      if (map_with_tool ("newuidmap", "linux.uidMappings", "/etc/subuid", pid, l->uid_mappings,
                         l->n_uid_mappings, geteuid (), err)
          < 0)
        return -1;
    }
  else
    {
      uids = format_map (l->uid_mappings, l->n_uid_mappings);
      if (write_proc (pid, "uid_map", uids, err) < 0)
        return hako_error_prefix (err, "linux.uidMappings");
    }
  /* newgidmap decides about setgroups itself (it allows it for a range
     from /etc/subgid). */
  if (unprivileged && !self_map (l->gid_mappings, l->n_gid_mappings, getegid ()))
    return map_with_tool ("newgidmap", "linux.gidMappings", "/etc/subgid", pid, l->gid_mappings,
                          l->n_gid_mappings, getegid (), err);
  /* An unprivileged writer must deny setgroups before writing gid_map. */
  if (unprivileged && write_proc (pid, "setgroups", "deny", err) < 0)
    return -1;
  gids = format_map (l->gid_mappings, l->n_gid_mappings);
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
