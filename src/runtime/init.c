/* SPDX-License-Identifier: Apache-2.0 */
/* The container process, from clone to execve (runtime-linux.md, config.md).
   Everything here runs in the new namespaces; errors travel back to the
   runtime over the sync socket, which prints them and cleans up. */
#include "internal.h"
#include "execstub.h"
#include "hooks.h"
#include "terminal.h"
#include "security.h"
#include "../util/cleanup.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

static int
join_session_keyring (const char *id)
{
  cleanup_free char *name = xasprintf ("_ses.%s", id);
  /* EPERM/ENOSYS: keyrings may be off or filtered; runc ignores that too. */
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != ENOSYS
      && errno != EPERM && errno != EACCES)
    return -1;
  return 0;
}

static int
set_hostnames (const struct oci_spec *spec, struct hako_err **err)
{
  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return hako_error (err, errno, "hostname: set `%s`", spec->hostname);
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return hako_error (err, errno, "domainname: set `%s`", spec->domainname);
  return 0;
}

/* Wait for `start`: opening the fifo for writing blocks until `start` opens
   it for reading.  Reopened through /proc/self/fd because the state dir is
   not visible after pivot_root. */
static int
wait_for_start (int fifo_fd, struct hako_err **err)
{
  char path[HAKO_FD_PATH_MAX];
  int fd;

  do
    fd = open (hako_fd_path (fifo_fd, path), O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return hako_error (err, errno, "open exec fifo");
  if (write (fd, "0", 1) != 1)
    {
      int e = errno;
      close (fd);
      return hako_error (err, e, "write exec fifo");
    }
  close (fd);
  close (fifo_fd);
  return 0;
}

/* HOME of a uid from the container's /etc/passwd, parsed by hand: getpwuid
   would load NSS modules from the container's filesystem into us. */
char *
passwd_home (uid_t uid)
{
  cleanup_fclose FILE *f = fopen ("/etc/passwd", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;

  while (f && getline (&line, &cap, f) > 0)
    {
      char *field[7] = { 0 };
      char *p = line;
      int n = 0;
      for (; n < 7 && p; n++)
        field[n] = strsep (&p, ":");
      if (n < 6 || field[2] == NULL || field[5] == NULL)
        continue;
      char *end;
      unsigned long v = strtoul (field[2], &end, 10);
      if (*end == '\0' && v == uid && *field[5])
        return xstrdup (field[5]);
    }
  return xstrdup ("/");
}

static bool
env_has (char *const *env, size_t n, const char *name)
{
  size_t len = strlen (name);
  for (size_t i = 0; i < n; i++)
    if (strncmp (env[i], name, len) == 0 && env[i][len] == '=')
      return true;
  return false;
}

/* The env with LISTEN_FDS/LISTEN_PID added when fds are passed on (systemd
   socket activation through the runtime, as runc does). */
static char **
final_env (const struct init_args *a)
{
  const struct oci_process *p = a->spec->process;
  size_t n = p->n_env;
  char **env = xzalloc ((n + 4) * sizeof (char *));
  size_t j = 0;

  for (size_t i = 0; i < n; i++)
    if (!a->listen_fds || (strncmp (p->env[i], "LISTEN_FDS=", 11) && strncmp (p->env[i], "LISTEN_PID=", 11)))
      env[j++] = p->env[i];
  if (a->listen_fds)
    {
      env[j++] = xasprintf ("LISTEN_FDS=%d", a->listen_fds);
      env[j++] = xasprintf ("LISTEN_PID=%d", getpid ());
    }
  /* As runc: HOME from the container's passwd entry when the config has none. */
  if (!env_has (p->env, n, "HOME"))
    {
      cleanup_free char *home = passwd_home (p->user.uid);
      env[j++] = xasprintf ("HOME=%s", home);
    }
  env[j] = NULL;
  return env;
}

/* chdir to process.cwd.  It was resolved after pivot_root, so it cannot
   name a host directory; a cwd the user cannot enter is retried after the
   uid change (as runc does). */
static int
enter_cwd (const char *cwd, bool after_user, struct hako_err **err)
{
  if (chdir (cwd) == 0)
    return 0;
  if (!after_user && (errno == EACCES || errno == EPERM))
    return 1;
  return hako_error (err, errno, "process.cwd: chdir to `%s`", cwd);
}

static bool
is_executable (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return false;
  if (S_ISREG (st.st_mode) && (st.st_mode & 0111))
    return true;
  errno = EACCES; /* there, but not an executable file: 126, not 127 */
  return false;
}

/* PATH of process.env, NULL when it sets none. */
static const char *
env_path (const struct oci_process *p)
{
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp (p->env[i], "PATH=", 5) == 0)
      return p->env[i] + 5;
  return NULL;
}

/* Fail `create` (not the later exec) when process.args[0] cannot be found,
   as runc does: the user sees the error from the command they ran. */
static int
find_executable (const struct oci_process *p, struct hako_err **err)
{
  const char *file = p->args[0];
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  if (strchr (file, '/'))
    {
      if (is_executable (file))
        return 0;
      return exec_file_error (err, file, errno ? errno : EACCES);
    }
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp (p->env[i], "PATH=", 5) == 0)
      path = p->env[i] + 5;
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;
  for (char *d = strtok_r (copy, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *full = hako_path_join (*d ? d : ".", file);
      if (is_executable (full))
        return 0;
    }
  return hako_error (err, 0, "exec: `%s`: executable file not found in $PATH", file);
}

static bool
seccomp_last (const struct init_args *a)
{
  return hako_seccomp_load_last (a->spec->process->no_new_privileges, a->caps.effective);
}

/* Load linux.seccomp; a SCMP_ACT_NOTIFY agent gets the state with `status`. */
static int
load_seccomp (struct init_args *a, const char *status, struct hako_err **err)
{
  cleanup_free char *json = NULL;
  int listener = a->seccomp_listener;

  a->seccomp_listener = -1;
  if (listener >= 0)
    {
      free (a->state->status);
      a->state->status = xstrdup (status);
      json = oci_state_to_json (a->state, true, 0);
    }
  return hako_seccomp_load (a->seccomp, a->spec->linux_->seccomp, listener, json, err);
}

static int
setup_container (struct init_args *a, struct hako_err **err)
{
  const struct oci_spec *spec = a->spec;
  const struct oci_process *p = spec->process;
  struct sync_msg m;
  char console_path[64] = "";
  int cwd_pending = 0;

  if (sync_expect (a->sync_fd, SYNC_GO, &m, err) < 0)
    return -1;
  if (a->dumpable_until_go)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Hooks run in here see the host pid, which only the runtime knows. */
  a->state->has_pid = true;
  a->state->pid = m.pid;
  cleanup_free char *state_json = oci_state_to_json (a->state, true, 0);
  if (a->ns.new_ns[OCI_NS_USER])
    {
      /* Become root of the new user namespace (uid/gid 0 are mapped now). */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        return hako_error (err, errno, "become root in the user namespace");
    }
  if (a->ns.new_ns[OCI_NS_CGROUP] && unshare (CLONE_NEWCGROUP) < 0)
    return hako_error (err, errno, "create cgroup namespace");
  if (!a->no_new_keyring && join_session_keyring (a->id) < 0)
    return hako_error (err, errno, "join a new session keyring");
  if (a->ns.new_ns[OCI_NS_UTS] && set_hostnames (spec, err) < 0)
    return -1;
  if (a->ns.new_ns[OCI_NS_MOUNT] && hako_rootfs_mount (spec, &a->rootfs, err) < 0)
    return -1;

  /* prestart and createRuntime hooks run in the runtime namespace now. */
  if (sync_send (a->sync_fd, SYNC_HOOKS, 0, NULL) < 0
      || sync_expect (a->sync_fd, SYNC_HOOKS_DONE, &m, err) < 0)
    return hako_error (err, errno, "sync with runtime");
  if (spec->hooks && spec->hooks->n_create_container
      && hako_hooks_run (spec->hooks->create_container, spec->hooks->n_create_container, "createContainer",
                         state_json, err)
             < 0)
    return -1;

  /* listenerPath is a host path: reach it while the host's root is ours. */
  if (a->seccomp && hako_seccomp_listener_connect (spec->linux_->seccomp, &a->seccomp_listener, err) < 0)
    return -1;
  if (a->ns.new_ns[OCI_NS_MOUNT] && hako_rootfs_pivot (&a->rootfs, err) < 0)
    return -1;
  if (p->terminal)
    {
      cleanup_close int master = -1;
      if (hako_terminal_create (p->console_size, &master, console_path, err) < 0)
        return -1;
      if (sync_send_fd (a->sync_fd, SYNC_CONSOLE, master) < 0)
        return hako_error (err, errno, "send the terminal to the runtime");
    }
  if (a->ns.new_ns[OCI_NS_MOUNT]
      && hako_rootfs_finalize (spec, console_path[0] ? console_path : NULL, err) < 0)
    return -1;
  /* Everything below that goes through /proc must reach the kernel. */
  if (hako_proc_verify (err) < 0)
    return -1;

  cwd_pending = enter_cwd (p->cwd, false, err);
  if (cwd_pending < 0)
    return -1;
  if (hako_apply_rlimits (p, err) < 0 || hako_apply_oom_score_adj (p, err) < 0
      || hako_apply_scheduler (p, err) < 0 || hako_apply_io_priority (p, err) < 0)
    return -1;
  if (find_executable (p, err) < 0)
    return -1;
  /* The exec stub (execstub.h) is made before a filter that comes early
     could refuse what making it takes (memfd_create, fcntl). */
  if (a->exec_stub)
    {
      struct hako_execstub s = {
        .fifo_fd = a->fifo_fd,
        .seccomp = seccomp_last (a) ? a->seccomp : NULL,
        .file = p->args[0],
        .path = env_path (p),
      };
      a->stub_fd = hako_execstub_create (&s, err);
      if (a->stub_fd < 0)
        return -1;
    }
  /* Without no_new_privs or a kept CAP_SYS_ADMIN the kernel refuses a filter
     after the privileges go: load it now (seccomp.h). */
  if (a->seccomp && !seccomp_last (a) && load_seccomp (a, "creating", err) < 0)
    return -1;
  /* Privileges go before `create` returns, as in runc: everything that can
     fail is reported by create, and startContainer hooks run as the
     container's user. */
  if (hako_apply_user (p, err) < 0)
    return -1;
  hako_apply_umask (p);
  if (cwd_pending && enter_cwd (p->cwd, true, err) < 0)
    return -1;
  if (hako_apply_capabilities (&a->caps, err) < 0 || hako_apply_no_new_privs (p, err) < 0)
    return -1;
  if (a->exec_stub)
    return 0; /* init_main goes on with the stub */

  /* `create` returns after READY and the runtime exits: we must outlive it. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (sync_send (a->sync_fd, SYNC_READY, 0, NULL) < 0)
    return hako_error (err, errno, "sync with runtime");
  a->started = true;
  if (wait_for_start (a->fifo_fd, err) < 0)
    return -1;
  if (spec->hooks && spec->hooks->n_start_container)
    {
      free (a->state->status);
      a->state->status = xstrdup ("created");
      cleanup_free char *json = oci_state_to_json (a->state, true, 0);
      if (hako_hooks_run (spec->hooks->start_container, spec->hooks->n_start_container, "startContainer",
                          json, err)
          < 0)
        return -1;
    }
  if (hako_close_fds_from (3 + a->preserve_fds, err) < 0)
    return -1;
  return 0;
}

/* The end of `create` with the exec stub (execstub.h): everything the
   stub cannot do is done now, READY announces it, and the runtime waits for
   our end of the sync socket to close with the exec.  `start`'s fifo, the
   last seccomp filter and the user process's exec are the stub's. */
__attribute__ ((noreturn)) static void
exec_stub (struct init_args *a, char **env)
{
  struct hako_err *err = NULL;
  bool filter_loaded = a->seccomp && !seccomp_last (a);

  /* Marked close-on-exec (the sync socket among them), all but the fifo,
     which the stub opens for writing and closes. */
  if (hako_close_fds_from (3 + a->preserve_fds, &err) < 0)
    goto fail;
  if (fcntl (a->fifo_fd, F_SETFD, 0) < 0)
    {
      hako_error (&err, errno, "exec fifo");
      goto fail;
    }
  /* `create` returns after READY and the runtime exits: we must outlive it. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (sync_send (a->sync_fd, SYNC_READY, SYNC_READY_STUB, NULL) < 0)
    {
      hako_error (&err, errno, "sync with runtime");
      goto fail;
    }
  hako_execstub_exec (a->stub_fd, a->spec->process->args, env, filter_loaded);
  hako_error (&err, errno, "exec the exec stub");
fail:
  sync_send (a->sync_fd, SYNC_ERROR, 0, err);
  _exit (1);
}

void
init_main (struct init_args *a)
{
  struct hako_err *err = NULL;
  cleanup_free char **env = NULL;

  /* Non-dumpable while we hold host fds (state dir fifo, sync socket) inside
     the container's namespaces: a process in the container cannot ptrace us
     or open /proc/PID/fd (CVE-2016-9962).  execve resets it. */
  /* An unprivileged runtime can open our uid_map, and newuidmap accepts
     us, only while /proc/PID is owned by the user, that is while we are
     dumpable: until GO, when nothing else runs in our namespaces yet and
     the only ones who could ptrace us are the user's own processes, which
     can ptrace the runtime itself. */
  if (!a->dumpable_until_go)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Our copy of the state dir fd would keep the runtime's flock held
     until execve, and `start` could never take it. */
  if (a->store_fd >= 0)
    close (a->store_fd);
  if (a->pdeathsig)
    prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* The runtime blocks signals to forward them; the container starts clean. */
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);

  if (setup_container (a, &err) < 0)
    goto fail;
  env = final_env (a);
  if (a->exec_stub)
    exec_stub (a, env); /* does not return */
  /* The last step before execve: as few syscalls as possible run under the
     filter, and execve itself must be allowed by it. */
  if (a->seccomp && seccomp_last (a) && load_seccomp (a, "created", &err) < 0)
    goto fail;
  hako_execvpe_env (a->spec->process->args[0], a->spec->process->args, env);
  hako_error (&err, errno, "exec `%s`", a->spec->process->args[0]);
  /* After start the runtime is gone: the error goes to the container's
     stderr, as runc reports an exec failure after start. */
  {
    cleanup_free char *msg = hako_error_string (err);
    dprintf (STDERR_FILENO, "hako-runtime: %s\n", msg);
    _exit (127);
  }
fail:
  if (a->started)
    {
      /* The runtime that created us is gone: the container's stderr is the
         only place left to report to. */
      cleanup_free char *msg = hako_error_string (err);
      dprintf (STDERR_FILENO, "hako-runtime: %s\n", msg);
      _exit (1);
    }
  sync_send (a->sync_fd, SYNC_ERROR, 0, err);
  _exit (1);
}
