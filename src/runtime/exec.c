/* SPDX-License-Identifier: Apache-2.0 */
/* `exec`: one more process in a running container.

   The runtime forks a joiner, moves it into the container's cgroup, and the
   joiner enters every namespace the container's process is in (one
   setns(pidfd, flags) call, or each /proc/PID/ns file, the user namespace
   first).  Joining the pid and time namespaces only affects children, so the
   joiner forks the exec process, reports its pid and exits.  The exec process
   sets itself up (terminal, cwd, rlimits, user, capabilities, no_new_privs),
   says READY and execs; its sync socket is close-on-exec, so end of file
   after READY means the exec succeeded, and an error record means it did not.
   Every error goes back to the caller over the socket, as in create. */
#include "exec.h"
#include "internal.h"
#include "terminal.h"
#include "../oci/names.h"
#include "../util/cleanup.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The process to run, resolved on the runtime side: a shallow view over the
   saved config's process (or the process.json) with the flags applied.  The
   arrays it points to are owned by `owned_*` or by the parsed documents. */
struct exec_process
{
  struct oci_process p;
  struct hako_caps caps;
  char **owned_env;
  uint32_t *owned_gids;
};

static void
exec_process_free (struct exec_process *x)
{
  free (x->owned_env);
  free (x->owned_gids);
}

/* ---- errors the clients read ---- */

int
exec_file_error (struct hako_err **err, const char *file, int e)
{
  char text[128];

  if (e == ENOENT && strchr (file, '/') == NULL)
    return hako_error (err, 0, "exec: \"%s\": executable file not found in $PATH", file);
  snprintf (text, sizeof (text), "%s", strerror (e));
  for (char *c = text; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char) (*c - 'A' + 'a');
  return hako_error (err, 0, "exec: \"%s\": stat %s: %s", file, file, text);
}

/* ---- building the process from the flags ---- */

static int
parse_u32 (const char *s, uint32_t *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno || v > UINT32_MAX || s[0] == '-')
    return -1;
  *out = (uint32_t) v;
  return 0;
}

/* -e NAME=VALUE: replaces NAME if the container's env has it (the last
   setting wins, as runc's os.Setenv loop does), else is appended. */
static int
merge_env (struct exec_process *x, char **add, size_t n_add, struct hako_err **err)
{
  size_t n = x->p.n_env;
  char **env = xzalloc ((n + n_add + 1) * sizeof (char *));

  for (size_t i = 0; i < n; i++)
    env[i] = x->p.env[i];
  for (size_t i = 0; i < n_add; i++)
    {
      const char *eq = strchr (add[i], '=');
      size_t klen;
      size_t j;
      if (eq == NULL || eq == add[i])
        {
          free (env);
          return hako_error (err, 0, "--env `%s`: expected NAME=VALUE", add[i]);
        }
      klen = (size_t) (eq - add[i]) + 1;
      for (j = 0; j < n; j++)
        if (strncmp (env[j], add[i], klen) == 0)
          break;
      env[j] = add[i];
      if (j == n)
        n++;
    }
  env[n] = NULL;
  x->owned_env = env;
  x->p.env = env;
  x->p.n_env = n;
  return 0;
}

static int
apply_user_flags (struct exec_process *x, const struct hako_exec_opts *o, struct hako_err **err)
{
  if (o->user && *o->user)
    {
      cleanup_free char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      if (colon)
        *colon++ = '\0';
      if (parse_u32 (u, &x->p.user.uid) < 0 || (colon && parse_u32 (colon, &x->p.user.gid) < 0))
        return hako_error (err, 0, "--user `%s`: expected UID[:GID], numeric", o->user);
    }
  if (o->n_additional_gids)
    {
      size_t n = x->p.user.n_additional_gids;
      uint32_t *g = xmalloc ((n + o->n_additional_gids) * sizeof (uint32_t));
      if (n)
        memcpy (g, x->p.user.additional_gids, n * sizeof (uint32_t));
      memcpy (g + n, o->additional_gids, o->n_additional_gids * sizeof (uint32_t));
      x->owned_gids = g;
      x->p.user.additional_gids = g;
      x->p.user.n_additional_gids = n + o->n_additional_gids;
    }
  return 0;
}

/* -c CAP: bounding, effective and permitted get it; ambient only when the
   process already has inheritable capabilities (ambient needs them), and
   inheritable never: an exec'd process must not carry added capabilities
   across a later execve of a file with inheritable file caps
   (CVE-2022-29162). */
static int
add_caps (struct exec_process *x, char **names, size_t n, struct hako_err **err)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *full
          = strncasecmp (names[i], "CAP_", 4) == 0 ? xstrdup (names[i]) : xasprintf ("CAP_%s", names[i]);
      for (char *c = full; *c; c++)
        if (*c >= 'a' && *c <= 'z')
          *c = (char) (*c - 'a' + 'A');
      int cap = oci_cap_from_name (full);
      if (cap < 0 || cap > 63)
        return hako_error (err, 0, "--cap: unknown capability `%s`", names[i]);
      uint64_t bit = UINT64_C (1) << cap;
      x->caps.present = true;
      x->caps.bounding |= bit;
      x->caps.effective |= bit;
      x->caps.permitted |= bit;
      if (x->caps.inheritable)
        x->caps.ambient |= bit;
    }
  return 0;
}

static int
load_process_json (const char *path, struct oci_process **out, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;

  if (hako_read_file (path, &buf, &len, err) < 0)
    return hako_error_prefix (err, "--process");
  return oci_process_parse (buf, len, path, out, err);
}

static int
refuse_lsm (const struct oci_process *p, struct hako_err **err)
{
  if (p->apparmor_profile && *p->apparmor_profile)
    return hako_error (err, ENOTSUP, "apparmor profile `%s`: AppArmor profiles are not supported yet",
                       p->apparmor_profile);
  if (p->selinux_label && *p->selinux_label)
    return hako_error (err, ENOTSUP, "process label `%s`: SELinux labels are not supported yet",
                       p->selinux_label);
  return 0;
}

/* The container's process is the base (runc does the same): what the flags
   or the process.json do not say comes from config.json. */
static int
build_process (const struct hako_exec_opts *o, const struct oci_spec *spec, const struct oci_process *json,
               struct exec_process *x, struct hako_err **err)
{
  const struct oci_process *base = spec->process;

  if (json)
    x->p = *json;
  else
    {
      if (o->n_args == 0)
        return hako_error (err, 0, "no command given (use ARGS or --process)");
      x->p = *base;
      x->p.args = o->args;
      x->p.n_args = o->n_args;
      x->p.terminal = o->tty;
      x->p.console_size = NULL;
      if (o->cwd && *o->cwd)
        x->p.cwd = (char *) o->cwd;
      if (o->no_new_privs)
        x->p.no_new_privileges = true;
      if (o->apparmor && *o->apparmor)
        x->p.apparmor_profile = (char *) o->apparmor;
      if (o->process_label && *o->process_label)
        x->p.selinux_label = (char *) o->process_label;
      if (merge_env (x, o->env, o->n_env, err) < 0 || apply_user_flags (x, o, err) < 0)
        return -1;
    }
  if (x->p.cwd == NULL || x->p.cwd[0] != '/')
    return hako_error (err, 0, "process.cwd `%s`: must be an absolute path", x->p.cwd ? x->p.cwd : "");
  /* A process.json without these inherits the container's, as in runc. */
  if (x->p.n_rlimits == 0)
    {
      x->p.rlimits = base->rlimits;
      x->p.n_rlimits = base->n_rlimits;
    }
  if (hako_caps_resolve (x->p.capabilities ? x->p.capabilities : base->capabilities, &x->caps, err) < 0)
    return -1;
  if (!json && add_caps (x, o->caps, o->n_caps, err) < 0)
    return -1;
  if (refuse_lsm (&x->p, err) < 0)
    return -1;
  if (x->p.terminal && o->detach && !o->console_socket)
    return hako_error (err, 0, "a terminal in detached mode needs --console-socket");
  if (!x->p.terminal && o->console_socket)
    return hako_error (err, 0, "--console-socket given but the process has no terminal (use -t)");
  return 0;
}

/* ---- namespaces to join ---- */

static const struct
{
  const char *name;
  unsigned long flag;
} ns_table[] = {
  /* The user namespace first: joining it grants the capabilities needed
     to join the others when the runtime is not root on the host. */
  { "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
  { "net", CLONE_NEWNET },   { "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP },
  { "time", CLONE_NEWTIME }, { "mnt", CLONE_NEWNS },
};
#define N_NS (sizeof (ns_table) / sizeof (ns_table[0]))

struct ns_target
{
  int pidfd;
  unsigned long flags; /* the namespaces that differ from ours */
  int fds[N_NS];       /* their /proc/PID/ns files, for kernels before 5.8 */
};

static void
ns_target_close (struct ns_target *t)
{
  if (t->pidfd >= 0)
    close (t->pidfd);
  for (size_t i = 0; i < N_NS; i++)
    if (t->fds[i] >= 0)
      close (t->fds[i]);
}

/* Move an fd at or above `min` (close-on-exec), so that it cannot sit on a
   number --preserve-fds hands to the process. */
static int
fd_above (int fd, int min)
{
  if (fd < 0 || fd >= min)
    return fd;
  int n = fcntl (fd, F_DUPFD_CLOEXEC, min);
  close (fd);
  return n;
}

/* Everything is opened here, in the runtime, while the pidfd pins the
   process whose start time state.json recorded. */
static int
ns_target_open (const struct oci_state *st, int min_fd, struct ns_target *t, struct hako_err **err)
{
  t->flags = 0;
  for (size_t i = 0; i < N_NS; i++)
    t->fds[i] = -1;
  t->pidfd = fd_above ((int) syscall (SYS_pidfd_open, st->pid, 0), min_fd);
  if (t->pidfd < 0 && errno != ENOSYS)
    return hako_error (err, errno == ESRCH ? 0 : errno, "cannot exec in a stopped container");
  bool zombie;
  uint64_t start = proc_start_time (st->pid, &zombie);
  if (start == 0 || zombie || (st->pid_start_time && start != st->pid_start_time))
    return hako_error (err, 0, "cannot exec in a stopped container");
  for (size_t i = 0; i < N_NS; i++)
    {
      char mine[64], theirs[64];
      struct stat a, b;
      snprintf (mine, sizeof (mine), "/proc/self/ns/%s", ns_table[i].name);
      snprintf (theirs, sizeof (theirs), "/proc/%d/ns/%s", st->pid, ns_table[i].name);
      if (stat (theirs, &b) < 0)
        {
          if (errno == ENOENT) /* a namespace type this kernel does not have */
            continue;
          return hako_error (err, errno, "stat `%s`", theirs);
        }
      if (stat (mine, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        continue;
      t->flags |= ns_table[i].flag;
      t->fds[i] = fd_above (open (theirs, O_RDONLY | O_CLOEXEC), min_fd);
      if (t->fds[i] < 0)
        return hako_error (err, errno, "open `%s`", theirs);
    }
  if (!(t->flags & CLONE_NEWNS))
    return hako_error (err, 0, "the container process shares our mount namespace: not a container");
  return 0;
}

/* In the joiner.  setns(pidfd) enters them all at once (5.8+) and orders
   the user namespace itself; else one fd at a time in ns_table order. */
static int
ns_target_join (const struct ns_target *t, struct hako_err **err)
{
  if (t->pidfd >= 0 && setns (t->pidfd, (int) t->flags) == 0)
    return 0;
  if (t->pidfd >= 0 && errno != EINVAL)
    return hako_error (err, errno, "join the container's namespaces (setns pidfd 0x%lx)", t->flags);
  for (size_t i = 0; i < N_NS; i++)
    if (t->fds[i] >= 0 && setns (t->fds[i], (int) ns_table[i].flag) < 0)
      return hako_error (err, errno, "join the container's %s namespace", ns_table[i].name);
  return 0;
}

/* ---- cgroup ---- */

/* The cgroup2 mount point and the mount's root, from our mountinfo. */
static int
cgroup2_mount (char **mnt, char **root)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  while (f && getline (&line, &cap, f) > 0)
    {
      char r[4096], m[4096], fstype[64];
      char *sep = strstr (line, " - ");
      if (sep == NULL || sscanf (line, "%*s %*s %*s %4095s %4095s", r, m) != 2
          || sscanf (sep + 3, "%63s", fstype) != 1 || strcmp (fstype, "cgroup2") != 0)
        continue;
      *mnt = xstrdup (m);
      *root = xstrdup (r);
      return 0;
    }
  return -1;
}

/* --cgroup [controllers:]path: move `pid`, already in the container's
   cgroup, into the existing sub-cgroup `path` of it.  cgroup v2 only: v1
   hierarchies keep the container's cgroup (as with runc on v2 the
   controllers prefix means nothing). */
static int
enter_sub_cgroup (const char *spec, pid_t pid, struct hako_err **err)
{
  const char *sub = strchr (spec, ':') ? strchr (spec, ':') + 1 : spec;
  cleanup_free char *mnt = NULL, *root = NULL, *line = NULL, *own = NULL;
  char path[64];
  size_t cap = 0;

  if (*sub == '\0' || strstr (sub, "..") || sub[0] == '/')
    return hako_error (err, 0, "--cgroup `%s`: expected a relative path without `..`", spec);
  if (cgroup2_mount (&mnt, &root) < 0)
    return hako_error (err, ENOTSUP, "--cgroup `%s`: sub-cgroups need cgroup v2 (no cgroup2 mount)", spec);
  snprintf (path, sizeof (path), "/proc/%d/cgroup", pid);
  cleanup_fclose FILE *f = fopen (path, "re");
  while (f && getline (&line, &cap, f) > 0)
    if (strncmp (line, "0::", 3) == 0)
      {
        line[strcspn (line, "\n")] = '\0';
        own = xstrdup (line + 3);
      }
  if (own == NULL)
    return hako_error (err, 0, "--cgroup `%s`: the process has no cgroup v2 path", spec);
  const char *rel = own;
  size_t rl = strlen (root);
  if (strcmp (root, "/") != 0 && strncmp (own, root, rl) == 0)
    rel = own + rl;
  cleanup_free char *dir = xasprintf ("%s%s/%s", mnt, strcmp (rel, "/") == 0 ? "" : rel, sub);
  struct statfs sfs;
  if (statfs (dir, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
    return hako_error (err, errno ? errno : ENOENT, "--cgroup: sub-cgroup `%s`", dir);
  cleanup_free char *procs = hako_path_join (dir, "cgroup.procs");
  cleanup_close int fd = open (procs, O_WRONLY | O_CLOEXEC);
  char spid[32];
  int n = snprintf (spid, sizeof (spid), "%d", pid);
  if (fd < 0 || write (fd, spid, (size_t) n) < 0)
    return hako_error (err, errno, "--cgroup: join `%s`", dir);
  return 0;
}

static int
join_cgroup (int dirfd, const struct hako_exec_opts *o, pid_t pid, struct hako_err **err)
{
  if (cgroup_enter (dirfd, pid, err) < 0)
    return -1;
  if (o->cgroup && *o->cgroup)
    return enter_sub_cgroup (o->cgroup, pid, err);
  return 0;
}

/* ---- the exec process (in the container) ---- */

struct child_args
{
  const struct exec_process *x;
  const struct ns_target *ns;
  const struct oci_spec *spec;             /* the container's config.json */
  const struct hako_seccomp_prog *seccomp; /* its linux.seccomp, compiled; NULL if none */
  int seccomp_listener;                    /* listenerPath, connected by the runtime, or -1 */
  const char *state_json;                  /* for the seccomp agent */
  int sync_fd;
  int preserve_fds;
  bool late_cgroup; /* paused container: the runtime moves us in just before execve */
};

static int
enter_cwd (const char *cwd, bool after_user, struct hako_err **err)
{
  if (chdir (cwd) == 0)
    return 0;
  if (!after_user && (errno == EACCES || errno == EPERM))
    return 1;
  return hako_error (err, errno, "process.cwd: chdir to `%s`", cwd);
}

static char **
final_env (const struct oci_process *p)
{
  char **env = xzalloc ((p->n_env + 2) * sizeof (char *));
  bool home = false;
  size_t i;

  for (i = 0; i < p->n_env; i++)
    {
      env[i] = p->env[i];
      if (strncmp (p->env[i], "HOME=", 5) == 0)
        home = true;
    }
  /* As runc (and our create): HOME from the container's passwd entry. */
  if (!home)
    {
      cleanup_free char *h = passwd_home (p->user.uid);
      env[i++] = xasprintf ("HOME=%s", h);
    }
  env[i] = NULL;
  return env;
}

/* The container's linux.seccomp applies to every process in it, exec'd
   ones included (runc, crun).  When (seccomp.h): as init.c does. */
static bool
seccomp_last (const struct child_args *c)
{
  return hako_seccomp_load_last (c->x->p.no_new_privileges, c->x->caps.effective);
}

static int
load_seccomp (const struct child_args *c, struct hako_err **err)
{
  return hako_seccomp_load (c->seccomp, c->spec->linux_->seccomp, c->seccomp_listener,
                            c->seccomp_listener >= 0 ? c->state_json : NULL, err);
}

/* Already in every namespace of the container (root and cwd are the
   container's: entering a mount namespace sets both to its root). */
static int
child_setup (const struct child_args *c, struct hako_err **err)
{
  const struct oci_process *p = &c->x->p;
  int cwd_pending;

  if (c->ns->flags & CLONE_NEWUSER)
    {
      /* Root of the container's user namespace, when root is mapped; else
         hako_apply_user below picks the ids. */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        log_debug ("exec: uid 0 is not mapped in the container's user namespace");
    }
  if (p->terminal)
    {
      cleanup_close int master = -1;
      char slave[64];
      if (hako_terminal_create (p->console_size, &master, slave, err) < 0)
        return -1;
      if (sync_send_fd (c->sync_fd, SYNC_CONSOLE, master) < 0)
        return hako_error (err, errno, "send the terminal to the runtime");
    }
  else if (setsid () < 0 && errno != EPERM)
    return hako_error (err, errno, "setsid");
  cwd_pending = enter_cwd (p->cwd, false, err);
  if (cwd_pending < 0)
    return -1;
  if (hako_apply_rlimits (p, err) < 0 || hako_apply_oom_score_adj (p, err) < 0
      || hako_apply_scheduler (p, err) < 0 || hako_apply_io_priority (p, err) < 0)
    return -1;
  if (c->seccomp && !seccomp_last (c) && load_seccomp (c, err) < 0)
    return -1;
  if (hako_apply_user (p, err) < 0)
    return -1;
  hako_apply_umask (p);
  if (cwd_pending && enter_cwd (p->cwd, true, err) < 0)
    return -1;
  if (hako_apply_capabilities (&c->x->caps, err) < 0 || hako_apply_no_new_privs (p, err) < 0)
    return -1;
  if (hako_close_fds_from (3 + c->preserve_fds, err) < 0)
    return -1;
  return 0;
}

__attribute__ ((noreturn)) static void
child_main (const struct child_args *c)
{
  struct hako_err *err = NULL;
  cleanup_free char **env = NULL;
  sigset_t none;

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  if (child_setup (c, &err) < 0)
    goto fail;
  env = final_env (&c->x->p);
  if (sync_send (c->sync_fd, SYNC_READY, 0, NULL) < 0)
    _exit (1);
  if (c->late_cgroup)
    {
      struct sync_msg m;
      if (sync_expect (c->sync_fd, SYNC_GO, &m, &err) < 0)
        goto fail;
    }
  /* The last step before execve, as in init.c. */
  if (c->seccomp && seccomp_last (c) && load_seccomp (c, &err) < 0)
    goto fail;
  hako_execvpe_env (c->x->p.args[0], c->x->p.args, env);
  exec_file_error (&err, c->x->p.args[0], errno);
fail:
  sync_send (c->sync_fd, SYNC_ERROR, 0, err);
  _exit (127);
}

/* The joiner: wait until the runtime has put us in the cgroup, enter the
   namespaces, fork the exec process into them, report its pid, exit. */
__attribute__ ((noreturn)) static void
joiner_main (const struct child_args *c, int store_fd)
{
  struct hako_err *err = NULL;
  struct sync_msg m;
  pid_t pid;

  /* Non-dumpable while we hold host fds inside the container's namespaces:
     its processes cannot ptrace us or open /proc/PID/fd (CVE-2016-9962).
     The exec process inherits it until execve. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (store_fd >= 0)
    close (store_fd);
  if (sync_expect (c->sync_fd, SYNC_GO, &m, &err) < 0)
    _exit (1);
  if (ns_target_join (c->ns, &err) < 0)
    goto fail;
  pid = fork ();
  if (pid < 0)
    {
      hako_error (&err, errno, "fork the exec process");
      goto fail;
    }
  if (pid == 0)
    child_main (c);
  sync_send (c->sync_fd, SYNC_CHILD_PID, pid, NULL);
  _exit (0);
fail:
  sync_send (c->sync_fd, SYNC_ERROR, 0, err);
  _exit (1);
}

/* ---- the runtime side ---- */

/* After READY: end of file (the socket closed on execve) is success, an
   error record is the exec's failure. */
static int
wait_exec (int sock, struct hako_err **err)
{
  static struct sync_msg m;
  ssize_t r;

  do
    r = recv (sock, &m, sizeof (m), 0);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return 0;
  if (r < 0)
    return hako_error (err, errno, "read from the sync socket");
  if (r == (ssize_t) sizeof (m) && m.type == SYNC_ERROR)
    return hako_error_from_wire (err, &m.err);
  return hako_error (err, EPROTO, "unexpected message %u from the exec process", m.type);
}

static int
write_pid_file (const char *path, pid_t pid, struct hako_err **err)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%d", pid);
  if (hako_write_file_atomic (path, buf, (size_t) n, 0644, err) < 0)
    return hako_error_prefix (err, "--pid-file");
  return 0;
}

struct exec_run
{
  int dirfd;
  int sock;
  pid_t joiner;
  pid_t pid;
  int master;
};

/* Fork the joiner, put it in the cgroup, collect the exec process's pid,
   its terminal and its READY. */
static int
spawn_exec (const struct hako_exec_opts *o, struct child_args *c, bool late_cgroup, struct exec_run *r,
            bool keep_master, struct hako_err **err)
{
  struct sync_msg m;
  int sv[2];
  int status;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return hako_error (err, errno, "socketpair");
  r->sock = fd_above (sv[0], 3 + o->preserve_fds);
  c->sync_fd = fd_above (sv[1], 3 + o->preserve_fds);
  if (r->sock < 0 || c->sync_fd < 0)
    return hako_error (err, errno, "move the sync socket above --preserve-fds");
  r->joiner = fork ();
  if (r->joiner < 0)
    return hako_error (err, errno, "fork");
  if (r->joiner == 0)
    {
      close (r->sock);
      joiner_main (c, r->dirfd);
    }
  close (c->sync_fd);
  c->sync_fd = -1;
  if (!late_cgroup && join_cgroup (r->dirfd, o, r->joiner, err) < 0)
    return -1;
  if (sync_send (r->sock, SYNC_GO, 0, NULL) < 0)
    return hako_error (err, errno, "sync with the exec process");
  /* The joiner's CHILD_PID and the exec process's CONSOLE/READY come from
     two processes on one socket: they may arrive in either order. */
  bool ready = false;
  while (!ready || r->pid <= 0)
    {
      int fd = -1;
      if (sync_recv (r->sock, &m, &fd, err) < 0)
        {
          if (r->joiner > 0)
            while (waitpid (r->joiner, &status, 0) < 0 && errno == EINTR)
              ;
          r->joiner = 0;
          return -1;
        }
      if (m.type == SYNC_CHILD_PID)
        {
          r->pid = m.pid;
          while (waitpid (r->joiner, &status, 0) < 0 && errno == EINTR)
            ;
          r->joiner = 0;
          continue;
        }
      if (m.type == SYNC_READY)
        {
          ready = true;
          continue;
        }
      if (m.type != SYNC_CONSOLE || fd < 0)
        {
          if (fd >= 0)
            close (fd);
          return hako_error (err, EPROTO, "unexpected message %u from the exec process", m.type);
        }
      if (keep_master)
        r->master = fd;
      else
        {
          int rc = hako_console_socket_send (o->console_socket, fd, err);
          close (fd);
          if (rc < 0)
            return hako_error_prefix (err, "--console-socket `%s`", o->console_socket);
        }
    }
  if (late_cgroup)
    {
      if (join_cgroup (r->dirfd, o, r->pid, err) < 0)
        return -1;
      if (sync_send (r->sock, SYNC_GO, 0, NULL) < 0)
        return hako_error (err, errno, "sync with the exec process");
      /* Frozen from here until `resume`: we cannot wait for the execve. */
      if (o->detach)
        return 0;
    }
  return wait_exec (r->sock, err);
}

/* state.json, checked: the container must have a live process. */
static int
open_container (const struct hako_runtime *rt, const char *id, int *dirfd, struct oci_state **st,
                struct hako_err **err)
{
  if (hako_validate_id (id, err) < 0)
    return -1;
  *dirfd = store_open (rt, id, false, err);
  if (*dirfd < 0)
    return -1;
  if (store_read_state (*dirfd, id, st, err) < 0)
    return -1;
  state_refresh (*dirfd, *st);
  if (strcmp ((*st)->status, "stopped") == 0 || !(*st)->has_pid || (*st)->pid <= 0)
    return hako_error (err, 0, "cannot exec in a stopped container");
  if (strcmp ((*st)->status, "creating") == 0)
    return hako_error (err, 0, "cannot exec in a container that is being created");
  return 0;
}

static int
do_exec (const struct hako_runtime *rt, const struct hako_exec_opts *o, int *exit_code, struct hako_err **err)
{
  struct exec_run r = { .dirfd = -1, .sock = -1, .master = -1 };
  struct ns_target ns = { .pidfd = -1 };
  struct exec_process x = { 0 };
  struct oci_state *st = NULL;
  struct oci_spec *spec = NULL;
  struct oci_process *json = NULL;
  struct child_args c = { .seccomp_listener = -1 };
  struct hako_seccomp_prog *seccomp = NULL;
  cleanup_free char *state_json = NULL;
  sigset_t old;
  bool blocked = false;
  int ret = -1;

  for (size_t i = 0; i < N_NS; i++)
    ns.fds[i] = -1;
  if (open_container (rt, o->id, &r.dirfd, &st, err) < 0)
    goto out;
  bool paused = strcmp (st->status, "paused") == 0;
  if (paused && !o->ignore_paused)
    {
      hako_error (err, 0, "cannot exec in a paused container (use --ignore-paused to exec anyway)");
      goto out;
    }
  r.dirfd = fd_above (r.dirfd, 3 + o->preserve_fds);
  spec = load_saved_spec (r.dirfd);
  if (spec == NULL || spec->process == NULL)
    {
      hako_error (err, 0, "cannot read the container's saved config.json");
      goto out;
    }
  if (spec->linux_ && spec->linux_->seccomp)
    {
      cleanup_free char *cache = hako_path_join (rt->root, ".seccomp-cache");
      if (hako_seccomp_prepare (spec->linux_->seccomp, cache, &seccomp, err) < 0)
        goto out;
      /* The agent's socket is a host path: connect before the joiner leaves
         the host's mount namespace. */
      if (hako_seccomp_listener_connect (spec->linux_->seccomp, &c.seccomp_listener, err) < 0)
        goto out;
      c.seccomp_listener = fd_above (c.seccomp_listener, 3 + o->preserve_fds);
      state_json = oci_state_to_json (st, true, 0);
    }
  if (o->process_path && load_process_json (o->process_path, &json, err) < 0)
    goto out;
  if (build_process (o, spec, json, &x, err) < 0)
    goto out;
  if (ns_target_open (st, 3 + o->preserve_fds, &ns, err) < 0)
    goto out;

  if (!o->detach)
    {
      /* As run: the exec process (the joiner's child) must be ours. */
      foreground_begin (&old);
      blocked = true;
    }
  c.x = &x;
  c.ns = &ns;
  c.spec = spec;
  c.seccomp = seccomp;
  c.state_json = state_json;
  c.preserve_fds = o->preserve_fds;
  c.late_cgroup = paused;
  if (spawn_exec (o, &c, paused, &r, !o->detach && x.p.terminal && !o->console_socket, err) < 0)
    goto fail;
  if (o->pid_file && write_pid_file (o->pid_file, r.pid, err) < 0)
    goto fail;
  /* The lock would keep `delete` waiting for as long as the process runs. */
  close (r.dirfd);
  r.dirfd = -1;
  ns_target_close (&ns);
  ns = (struct ns_target){ .pidfd = -1, .fds = { -1, -1, -1, -1, -1, -1, -1, -1 } };
  if (o->detach)
    {
      *exit_code = 0;
      ret = 0;
      goto out;
    }
  close (r.sock);
  r.sock = -1;
  ret = wait_forward (r.pid, r.master, exit_code, err);
  goto out;

fail:
  if (r.joiner > 0)
    {
      kill (r.joiner, SIGKILL);
      waitpid (r.joiner, NULL, 0);
    }
  if (r.pid > 0)
    {
      kill (r.pid, SIGKILL);
      if (!o->detach)
        waitpid (r.pid, NULL, 0);
    }
out:
  if (blocked)
    sigprocmask (SIG_SETMASK, &old, NULL);
  if (r.master >= 0)
    close (r.master);
  if (r.sock >= 0)
    close (r.sock);
  if (r.dirfd >= 0)
    close (r.dirfd);
  ns_target_close (&ns);
  if (c.seccomp_listener >= 0)
    close (c.seccomp_listener);
  hako_seccomp_prog_free (seccomp);
  exec_process_free (&x);
  if (json)
    oci_process_free (json);
  if (spec)
    oci_spec_free (spec);
  if (st)
    oci_state_free (st);
  return ret;
}

int
hako_container_exec (const struct hako_runtime *rt, const struct hako_exec_opts *o, int *exit_code,
                     struct hako_err **err)
{
  *exit_code = 0;
  if (do_exec (rt, o, exit_code, err) < 0)
    return hako_error_prefix (err, "exec `%s`", o->id);
  return 0;
}
