/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI lifecycle (runtime.md "Lifecycle" and "Operations"), runtime side:
   create, start, run, state, list, kill, delete.  The container side, from
   clone to execve, is init.c. */
#include "internal.h"
#include "execstub.h"
#include "hooks.h"
#include "security.h"
#include "terminal.h"
#include "../util/cleanup.h"
#include "../util/log.h"
#include "../util/path.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- ids, signals, time ---- */

int
hako_validate_id (const char *id, struct hako_err **err)
{
  size_t n = id ? strlen (id) : 0;
  if (n == 0)
    return hako_error (err, 0, "container id cannot be empty");
  if (n > 1024)
    return hako_error (err, 0, "invalid container id `%.32s…`: longer than 1024 bytes", id);
  for (size_t i = 0; i < n; i++)
    {
      char c = id[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '_' && c != '+' && c != '-' && c != '.')))
        return hako_error (err, 0,
                           "invalid container id `%s`: use letters, digits and _+-. "
                           "(not first)",
                           id);
    }
  return 0;
}

int
hako_parse_signal (const char *s, int *sig, struct hako_err **err)
{
  char *end;
  long v = strtol (s, &end, 10);
  if (*s && *end == '\0')
    {
      if (v <= 0 || v > SIGRTMAX)
        return hako_error (err, 0, "invalid signal `%s`", s);
      *sig = (int) v;
      return 0;
    }
  const char *name = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (int i = 1; i < NSIG; i++)
    {
      const char *abbrev = sigabbrev_np (i);
      if (abbrev && strcasecmp (abbrev, name) == 0)
        {
          *sig = i;
          return 0;
        }
    }
  if (strncasecmp (name, "RTMIN+", 6) == 0 || strncasecmp (name, "RTMAX-", 6) == 0)
    {
      long off = strtol (name + 6, &end, 10);
      int base = name[2] == 'M' || name[2] == 'm' ? 0 : 0;
      (void) base;
      int v2 = (name[3] == 'I' || name[3] == 'i') ? SIGRTMIN + (int) off : SIGRTMAX - (int) off;
      if (*end == '\0' && off >= 0 && v2 >= SIGRTMIN && v2 <= SIGRTMAX)
        {
          *sig = v2;
          return 0;
        }
    }
  return hako_error (err, 0, "unknown signal `%s`", s);
}

/* The UTC date of a day count since 1970-01-01, in the proleptic Gregorian
   calendar: years of 400-year eras starting in March, so that the leap day
   is the last day of a year. */
static void
utc_date (long long days, long long *year, int *month, int *day)
{
  long long z = days + 719468; /* days since 0000-03-01 */
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;                                      /* [0, 146096] */
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
  long long mp = (5 * doy + 2) / 153;                                    /* March = 0 */

  *day = (int) (doy - (153 * mp + 2) / 5 + 1);
  *month = (int) (mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2);
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  long long year;
  int month, day;

  clock_gettime (CLOCK_REALTIME, &ts);
  /* Not gmtime_r or strftime: glibc loads the time zone file on the first
     call of either, three syscalls and a parse for a UTC string. */
  long long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
  if (secs < 0)
    secs += 86400, days--;
  utc_date (days, &year, &month, &day);
  return xasprintf ("%04lld-%02d-%02dT%02lld:%02lld:%02lld.%09ldZ", year, month, day, secs / 3600,
                    secs / 60 % 60, secs % 60, ts.tv_nsec);
}

/* ---- loading the bundle ---- */

struct bundle
{
  char *dir;         /* absolute */
  char *rootfs;      /* absolute, resolved */
  char *config_json; /* raw bytes, kept for delete's poststop hooks */
  size_t config_len;
  struct oci_spec *spec;
};

static void
bundle_free (struct bundle *b)
{
  free (b->dir);
  free (b->rootfs);
  free (b->config_json);
  if (b->spec)
    oci_spec_free (b->spec);
  memset (b, 0, sizeof (*b));
}

/* Refuse what this build cannot enforce rather than run a container less
   confined than its config asks for. */
static int
check_unsupported (const char *config, const struct oci_spec *spec, struct hako_err **err)
{
  const struct oci_process *p = spec->process;
  const struct oci_linux *l = spec->linux_;

  if (p->apparmor_profile && *p->apparmor_profile)
    return hako_error (err, ENOTSUP, "%s: process.apparmorProfile: AppArmor profiles are not supported yet",
                       config);
  if (p->selinux_label && *p->selinux_label)
    return hako_error (err, ENOTSUP, "%s: process.selinuxLabel: SELinux labels are not supported yet",
                       config);
  if (l && l->mount_label && *l->mount_label)
    return hako_error (err, ENOTSUP, "%s: linux.mountLabel: SELinux labels are not supported yet", config);
  if (l && l->intel_rdt)
    return hako_error (err, ENOTSUP, "%s: linux.intelRdt: not supported", config);
  if (l && l->resources)
    log_debug ("%s: linux.resources: limits are not applied yet (cgroup placement only)", config);
  return 0;
}

static int
bundle_load (const struct hako_create_opts *o, struct bundle *b, struct hako_err **err)
{
  char buf[PATH_MAX];
  const char *dir = o->bundle && *o->bundle ? o->bundle : ".";
  cleanup_free char *config = NULL;

  if (realpath (dir, buf) == NULL)
    return hako_error (err, errno, "bundle `%s`", dir);
  b->dir = xstrdup (buf);
  config = o->config_path ? xstrdup (o->config_path) : hako_path_join (b->dir, "config.json");
  if (hako_read_file (config, &b->config_json, &b->config_len, err) < 0)
    return -1;
  if (oci_spec_parse (b->config_json, b->config_len, config, &b->spec, err) < 0)
    return -1;
  if (b->spec->process == NULL)
    return hako_error (err, 0, "%s: process: required to create a container", config);
  if (b->spec->root == NULL || b->spec->root->path == NULL)
    return hako_error (err, 0, "%s: root.path: required on Linux", config);
  cleanup_free char *root = b->spec->root->path[0] == '/' ? xstrdup (b->spec->root->path)
                                                          : hako_path_join (b->dir, b->spec->root->path);
  struct stat st;
  if (realpath (root, buf) == NULL || stat (buf, &st) < 0)
    return hako_error (err, errno, "%s: root.path: rootfs `%s`", config, root);
  if (!S_ISDIR (st.st_mode))
    return hako_error (err, ENOTDIR, "%s: root.path: rootfs `%s`", config, root);
  b->rootfs = xstrdup (buf);
  return check_unsupported (config, b->spec, err);
}

/* ---- state for hooks and the store ---- */

static struct oci_state *
state_new (const char *id, const struct bundle *b, uid_t owner)
{
  struct oci_state *st = xzalloc (sizeof (*st));
  st->oci_version = xstrdup (b->spec->oci_version);
  st->id = xstrdup (id);
  st->status = xstrdup ("creating");
  st->bundle = xstrdup (b->dir);
  st->rootfs = xstrdup (b->rootfs);
  st->created = now_rfc3339 ();
  st->owner = owner;
  st->config_path = xstrdup ("config.json");
  if (b->spec->n_annotations)
    {
      st->annotations = xzalloc (b->spec->n_annotations * sizeof (struct oci_kv));
      for (size_t i = 0; i < b->spec->n_annotations; i++)
        {
          st->annotations[i].key = xstrdup (b->spec->annotations[i].key);
          st->annotations[i].value = xstrdup (b->spec->annotations[i].value);
        }
      st->n_annotations = b->spec->n_annotations;
    }
  return st;
}

static void
state_set_status (struct oci_state *st, const char *status)
{
  free (st->status);
  st->status = xstrdup (status);
}

static int
run_hooks (const struct oci_hook *h, size_t n, const char *stage, const struct oci_state *st,
           struct hako_err **err)
{
  if (n == 0)
    return 0;
  cleanup_free char *json = oci_state_to_json (st, true, 0);
  return hako_hooks_run (h, n, stage, json, err);
}

/* poststart and poststop failures are warnings (runtime.md): log, go on. */
static void
run_hooks_warn (const struct oci_hook *h, size_t n, const char *stage, const struct oci_state *st)
{
  struct hako_err *e = NULL;
  if (run_hooks (h, n, stage, st, &e) < 0)
    {
      cleanup_free char *msg = hako_error_string (e);
      hako_log (HAKO_LOG_WARNING, "%s", msg);
      hako_error_free (&e);
    }
}

/* ---- create ---- */

struct created
{
  int dirfd;
  pid_t pid;
  int master; /* pty master kept for a foreground run, else -1 */
  bool our_child;
  struct oci_state *st;
  struct oci_spec *spec; /* the parsed config, kept so run does not parse it again */
};

static pid_t
clone3_fork (unsigned long flags, int cgroup_fd)
{
  struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
  if (cgroup_fd >= 0)
    {
      /* Born in its cgroup (v2): it never runs, nor forks, outside it. */
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
    }
  long r = syscall (SYS_clone3, &args, sizeof (args));
  if (r < 0 && cgroup_fd >= 0)
    {
      /* Before 5.7 (EINVAL), or refused for the cgroup (a joined user
         namespace): clone without it, cgroup_enter places it right after. */
      args.flags = flags;
      args.cgroup = 0;
      r = syscall (SYS_clone3, &args, sizeof (args));
    }
  if (r == 0 && cgroup_fd >= 0)
    close (cgroup_fd); /* no host directory fd in the container process */
  if (r < 0 && errno == ENOSYS)
    {
      /* Kernels before 5.3: unshare all but the pid namespace, then fork
         (a new pid namespace takes effect for children). */
      if (flags && unshare ((int) flags) < 0)
        return -1;
      return fork ();
    }
  return (pid_t) r;
}

/* Fork the container process.  With namespaces to join (or a time namespace
   to set up), an intermediate "joiner" does setns/unshare first so the
   runtime itself never changes namespaces; it reports the container pid and
   exits, and the container is then reparented (to us when we are a
   subreaper, as in a foreground run). */
static pid_t
spawn (struct init_args *a, int runtime_sock, const int nsfds[8], bool *our_child, struct hako_err **err)
{
  if (!a->ns.needs_joiner)
    {
      a->pdeathsig = true;
      pid_t pid = clone3_fork (a->ns.clone_flags, a->cgroup_fd);
      if (pid < 0)
        return hako_error (err, errno, "clone the container process");
      if (pid == 0)
        {
          close (runtime_sock);
          init_main (a);
        }
      *our_child = true;
      return pid;
    }

  pid_t joiner = fork ();
  if (joiner < 0)
    return hako_error (err, errno, "fork");
  if (joiner == 0)
    {
      struct hako_err *e = NULL;
      close (runtime_sock);
      if (ns_join (&a->ns, nsfds, &e) < 0 || (a->ns.new_ns[OCI_NS_TIME] && ns_setup_time (a->spec, &e) < 0))
        {
          sync_send (a->sync_fd, SYNC_ERROR, 0, e);
          _exit (1);
        }
      pid_t pid = clone3_fork (a->ns.clone_flags, a->cgroup_fd);
      if (pid < 0)
        {
          hako_error (&e, errno, "clone the container process");
          sync_send (a->sync_fd, SYNC_ERROR, 0, e);
          _exit (1);
        }
      if (pid == 0)
        init_main (a);
      sync_send (a->sync_fd, SYNC_CHILD_PID, pid, NULL);
      _exit (0);
    }
  struct sync_msg m;
  int status;
  int r = sync_expect (runtime_sock, SYNC_CHILD_PID, &m, err);
  while (waitpid (joiner, &status, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return -1;
  *our_child = false;
  return m.pid;
}

static int
create_fifo (int dirfd, struct hako_err **err)
{
  int fd;
  /* Writable by anyone: the container process opens it after switching to
     the container's user (the umask would have taken the bits away). */
  if (mkfifoat (dirfd, HAKO_FIFO_FILE, 0622) < 0 || fchmodat (dirfd, HAKO_FIFO_FILE, 0622, 0) < 0)
    return hako_error (err, errno, "create exec fifo");
  fd = openat (dirfd, HAKO_FIFO_FILE, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "open exec fifo");
  return fd;
}

/* Talk to the container process until it is ready (waiting on exec.fifo). */
static int
create_handshake (const struct hako_runtime *rt, const struct hako_create_opts *o, const struct bundle *b,
                  int sock, struct created *c, bool keep_master, struct hako_err **err)
{
  const struct oci_hooks *hooks = b->spec->hooks;
  struct sync_msg m;

  for (;;)
    {
      int fd = -1;
      if (sync_recv (sock, &m, &fd, err) < 0)
        return -1;
      switch (m.type)
        {
        case SYNC_HOOKS:
          if (hooks
              && (run_hooks (hooks->prestart, hooks->n_prestart, "prestart", c->st, err) < 0
                  || run_hooks (hooks->create_runtime, hooks->n_create_runtime, "createRuntime", c->st, err)
                         < 0))
            return -1;
          if (sync_send (sock, SYNC_HOOKS_DONE, 0, NULL) < 0)
            return hako_error (err, errno, "sync with the container process");
          break;
        case SYNC_CONSOLE:
          if (fd < 0)
            return hako_error (err, EPROTO, "no terminal received from the container process");
          if (keep_master)
            c->master = fd;
          else
            {
              int r = hako_console_socket_send (o->console_socket, fd, err);
              close (fd);
              if (r < 0)
                return hako_error_prefix (err, "--console-socket `%s`", o->console_socket);
            }
          break;
        case SYNC_READY:
          /* Returning now would let the caller learn the pid while the
             process still runs the runtime's image: wait for its exec. */
          if (m.pid == SYNC_READY_STUB)
            return sync_wait_eof (sock, err);
          return 0;
        default:
          if (fd >= 0)
            close (fd);
          return hako_error (err, EPROTO, "unexpected message %u from the container process", m.type);
        }
    }
  (void) rt;
}

static int
write_file_at (int dirfd, const char *name, const char *data, size_t len, struct hako_err **err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || hako_write_all (fd, data, len) < 0)
    return hako_error (err, errno, "write `%s` in the state directory", name);
  return 0;
}

static int
write_pid_file (const char *path, pid_t pid, struct hako_err **err)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%d", pid);
  if (hako_write_file_atomic (path, buf, n, 0644, err) < 0)
    return hako_error_prefix (err, "--pid-file");
  return 0;
}

static void
reap (pid_t pid, bool our_child)
{
  int status;
  if (!our_child)
    return;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
}

/* Undo a failed create: the process, the cgroup, the state dir; then the
   poststop hooks, as runtime.md says a failed create continues the
   lifecycle at delete. */
static void
create_abort (const struct hako_runtime *rt, const char *id, struct created *c, const struct oci_spec *spec)
{
  struct hako_err *e = NULL;
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      reap (c->pid, c->our_child);
    }
  if (c->dirfd >= 0)
    {
      if (cgroup_destroy (c->dirfd, &e) < 0)
        {
          hako_log (HAKO_LOG_WARNING, "cleanup: %s", e->msg);
          hako_error_free (&e);
        }
      store_remove (rt, id, &e);
      hako_error_free (&e);
      close (c->dirfd);
      c->dirfd = -1;
    }
  if (c->master >= 0)
    close (c->master);
  c->master = -1;
  if (c->st && spec->hooks && spec->hooks->n_poststop)
    {
      state_set_status (c->st, "stopped");
      run_hooks_warn (spec->hooks->poststop, spec->hooks->n_poststop, "poststop", c->st);
    }
}

static int
check_terminal_opts (const struct hako_create_opts *o, const struct oci_process *p, bool foreground,
                     struct hako_err **err)
{
  if (p->terminal && !o->console_socket && !foreground)
    return hako_error (err, 0,
                       "process.terminal is true: --console-socket is required when the "
                       "runtime does not stay in the foreground");
  if (!p->terminal && o->console_socket)
    return hako_error (err, 0, "--console-socket given but process.terminal is false");
  return 0;
}

static int
listen_fds_count (void)
{
  const char *s = getenv ("LISTEN_FDS");
  const char *pid = getenv ("LISTEN_PID");
  if (s == NULL || pid == NULL || atoi (pid) != getpid ())
    return 0;
  int n = atoi (s);
  return n > 0 ? n : 0;
}

/* Whether the container process may leave the runtime's image through the
   exec stub instead of the runtime re-executing itself from a sealed copy
   (execstub.h has the reasoning). */
static bool
can_use_execstub (const struct oci_spec *spec, const struct init_args *a)
{
  const struct oci_hooks *h = spec->hooks;
  bool nnp = spec->process->no_new_privileges;
  const void *insns;
  unsigned short len;
  unsigned long flags;

  if (!hako_execstub_supported ())
    return false;
  /* A joined (or the host's) pid namespace has other processes in it. */
  if (!a->ns.new_ns[OCI_NS_PID] || a->ns.join[OCI_NS_PID])
    return false;
  if (h && h->n_start_container)
    return false;
  /* A filter that comes last is loaded by the stub: it must not need the
     capabilities the stub's exec leaves behind, nor a notify fd sent. */
  if (a->seccomp && hako_seccomp_load_last (nnp, a->caps.effective)
      && (!nnp || !hako_seccomp_prog_bpf (a->seccomp, &insns, &len, &flags)))
    return false;
  return true;
}

static int
do_create (const struct hako_runtime *rt, const struct hako_create_opts *o, bool foreground, bool run,
           struct created *c, struct hako_err **err)
{
  struct bundle b = { 0 };
  struct init_args a = { 0 };
  int nsfds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
  int sv[2] = { -1, -1 };
  int ret = -1;
  cleanup_free char *cgpath = NULL;
  struct cg_set *cgs = NULL;
  struct hako_cg_mount *cg_mounts = NULL;
  size_t n_cg_mounts = 0;
  cleanup_free char *seccomp_cache = hako_path_join (rt->root, ".seccomp-cache");
  struct hako_seccomp_prog *seccomp = NULL;

  memset (c, 0, sizeof (*c));
  c->dirfd = c->master = -1;
  if (hako_validate_id (o->id, err) < 0)
    return -1;
  if (bundle_load (o, &b, err) < 0)
    goto out_early;
  if (check_terminal_opts (o, b.spec->process, foreground, err) < 0)
    goto out_early;
  if (hako_caps_resolve (b.spec->process->capabilities, &a.caps, err) < 0
      || ns_plan_make (b.spec, &a.ns, err) < 0 || validate_with_namespaces (b.spec, &a.ns, err) < 0
      || ns_open_paths (&a.ns, nsfds, err) < 0)
    goto out_early;
  /* Without privileges every namespace is created inside a user namespace
     the user owns; nothing else is allowed to an ordinary user. */
  if (geteuid () != 0 && !a.ns.new_ns[OCI_NS_USER] && !a.ns.join[OCI_NS_USER])
    {
      hako_error (err, EPERM,
                  "linux.namespaces: rootless: a container needs a user namespace when hako-runtime does not "
                  "run as root (`hako-runtime spec --rootless` writes such a config)");
      goto out_early;
    }
  a.dumpable_until_go = a.ns.new_ns[OCI_NS_USER] && geteuid () != 0;
  /* Compiled (or found in the cache, hidden from `list` by its dot) before
     anything is created: a bad profile fails create with nothing to undo. */
  if (b.spec->linux_ && hako_seccomp_prepare (b.spec->linux_->seccomp, seccomp_cache, &seccomp, err) < 0)
    goto out_early;
  /* CVE-2019-5736: the stub, or else the deferred re-exec (security.h). */
  a.seccomp = seccomp;
  if (hako_exe_exposed ())
    {
      a.exec_stub = can_use_execstub (b.spec, &a);
      if (!a.exec_stub && hako_exe_seal_deferred (err) < 0)
        goto out_early;
    }

  c->dirfd = store_create (rt, o->id, err);
  if (c->dirfd < 0)
    goto out_early;
  c->st = state_new (o->id, &b, geteuid ());
  /* state.json is first written with the pid, after clone: until then
     `state` says the container does not exist (as runc's does), and a
     delete of a create killed before it cleans up what `cgroups` records. */
  if (write_file_at (c->dirfd, "config.json", b.config_json, b.config_len, err) < 0)
    goto fail;
  a.fifo_fd = create_fifo (c->dirfd, err);
  if (a.fifo_fd < 0)
    goto fail;
  if (cgroup_prepare_set (rt, c->dirfd, o->id, b.spec, &cgpath, &cgs, err) < 0)
    goto fail;
  c->st->cgroup_path = steal_pointer (&cgpath);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      hako_error (err, errno, "socketpair");
      goto fail;
    }

  a.spec = b.spec;
  a.id = o->id;
  a.bundle = b.dir;
  a.sync_fd = sv[1];
  a.store_fd = c->dirfd;
  a.listen_fds = listen_fds_count ();
  a.preserve_fds = o->preserve_fds + a.listen_fds;
  a.no_new_keyring = o->no_new_keyring;
  a.rootfs = (struct hako_rootfs_opts){ .rootfs = b.rootfs,
                                        .no_pivot = o->no_pivot,
                                        .in_userns = a.ns.new_ns[OCI_NS_USER] || a.ns.join[OCI_NS_USER],
                                        .new_cgroupns = a.ns.new_ns[OCI_NS_CGROUP],
                                        .new_netns = a.ns.new_ns[OCI_NS_NETWORK],
                                        .new_pidns = a.ns.new_ns[OCI_NS_PID] };
  /* Without a cgroup namespace the container process binds the cgroups
     made here: tell it where, rather than have it read the tables again. */
  if (!a.rootfs.new_cgroupns && cgs && cgroup_mount_plan (cgs, &cg_mounts, &n_cg_mounts) == 0)
    {
      a.rootfs.cg_mounts = cg_mounts;
      a.rootfs.n_cg_mounts = n_cg_mounts;
      a.rootfs.have_cg_mounts = true;
    }
  a.state = c->st;
  a.seccomp_listener = -1;
  a.stub_fd = -1;
  if (!a.ns.new_ns[OCI_NS_MOUNT] && !a.ns.join[OCI_NS_MOUNT])
    {
      hako_error (err, 0, "linux.namespaces: a mount namespace is required");
      goto fail;
    }

  a.cgroup_fd = cgroup_clone_fd_of (cgs);
  c->pid = spawn (&a, sv[0], nsfds, &c->our_child, err);
  if (a.cgroup_fd >= 0)
    close (a.cgroup_fd);
  close (sv[1]);
  sv[1] = -1;
  if (c->pid < 0)
    {
      c->pid = 0;
      goto fail;
    }
  if (a.ns.new_ns[OCI_NS_USER] && ns_write_id_maps (c->pid, b.spec, geteuid () != 0, err) < 0)
    goto fail;
  if (cgroup_enter_set (cgs, c->pid, err) < 0)
    goto fail;
  /* GO first: the container process sets itself up while we record it. */
  if (sync_send (sv[0], SYNC_GO, c->pid, NULL) < 0)
    {
      hako_error (err, errno, "start the container process");
      goto fail;
    }
  bool zombie;
  c->st->has_pid = true;
  c->st->pid = c->pid;
  c->st->pid_start_time = proc_start_time (c->pid, &zombie);
  if (store_write_state (c->dirfd, c->st, err) < 0)
    goto fail;
  if (create_handshake (rt, o, &b, sv[0], c, foreground && !o->console_socket, err) < 0)
    goto fail;
  if (o->pid_file && write_pid_file (o->pid_file, c->pid, err) < 0)
    goto fail;
  state_set_status (c->st, "created");
  /* `run` starts it at once, holding the lock: the next write says
     "running", nobody could have read "created". */
  if (!run && store_write_state (c->dirfd, c->st, err) < 0)
    goto fail;
  ret = 0;
  goto out;

fail:
  create_abort (rt, o->id, c, b.spec);
out:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  if (a.fifo_fd > 0)
    close (a.fifo_fd);
out_early:
  cgroup_set_release (cgs);
  hako_cg_mounts_free (cg_mounts, n_cg_mounts);
  for (int i = 0; i < 8; i++)
    if (nsfds[i] >= 0)
      close (nsfds[i]);
  hako_seccomp_prog_free (seccomp);
  if (ret < 0 && c->st)
    {
      oci_state_free (c->st);
      c->st = NULL;
    }
  if (ret == 0)
    c->spec = steal_pointer (&b.spec);
  bundle_free (&b);
  if (ret < 0)
    hako_error_prefix (err, "create `%s`", o->id);
  return ret;
}

int
hako_container_create (const struct hako_runtime *rt, const struct hako_create_opts *o, struct hako_err **err)
{
  struct created c;
  if (do_create (rt, o, false, false, &c, err) < 0)
    return -1;
  if (o->pid_out)
    *o->pid_out = c.pid;
  close (c.dirfd);
  oci_state_free (c.st);
  oci_spec_free (c.spec);
  return 0;
}

/* ---- start ---- */

static int
load_state (const struct hako_runtime *rt, const char *id, bool exclusive, int *dirfd, struct oci_state **st,
            struct hako_err **err)
{
  if (hako_validate_id (id, err) < 0)
    return -1;
  *dirfd = store_open (rt, id, exclusive, err);
  if (*dirfd < 0)
    return -1;
  if (store_read_state (*dirfd, id, st, err) < 0)
    {
      close (*dirfd);
      *dirfd = -1;
      return -1;
    }
  state_refresh (*dirfd, *st);
  return 0;
}

struct oci_spec *
load_saved_spec (int dirfd)
{
  cleanup_close int fd = openat (dirfd, "config.json", O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len;
  struct oci_spec *spec = NULL;
  struct hako_err *e = NULL;

  if (fd < 0 || hako_read_fd (fd, &buf, &len, &e) < 0
      || oci_spec_parse (buf, len, "config.json", &spec, &e) < 0)
    {
      if (e)
        hako_log (HAKO_LOG_WARNING, "saved config: %s", e->msg);
      hako_error_free (&e);
      return NULL;
    }
  return spec;
}

/* Release the container process blocked on exec.fifo and wait until it has
   passed it, so `start` returns when the user program is being exec'd. */
static int
release_fifo (int dirfd, const struct oci_state *st, struct hako_err **err)
{
  cleanup_close int fd = openat (dirfd, HAKO_FIFO_FILE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  char c;

  if (fd < 0)
    return hako_error (err, errno, "open exec fifo");
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, 100);
      if (r < 0 && errno != EINTR)
        return hako_error (err, errno, "wait on exec fifo");
      if (r > 0)
        {
          ssize_t n = read (fd, &c, 1);
          if (n == 1)
            break;
          if (n < 0 && errno != EAGAIN && errno != EINTR)
            return hako_error (err, errno, "read exec fifo");
        }
      bool zombie;
      uint64_t t = proc_start_time (st->pid, &zombie);
      if (t == 0 || zombie || t != st->pid_start_time)
        return hako_error (err, 0, "the container process exited before it was started");
    }
  unlinkat (dirfd, HAKO_FIFO_FILE, 0);
  return 0;
}

/* `known`: the config when the caller has it parsed already (run), else
   the copy saved at create is read. */
static int
do_start (const struct hako_runtime *rt, const char *id, const struct oci_spec *known, struct hako_err **err)
{
  cleanup_close int dirfd = -1;
  struct oci_state *st = NULL;
  struct oci_spec *spec = NULL;
  int ret = -1;

  if (load_state (rt, id, true, &dirfd, &st, err) < 0)
    return -1;
  if (strcmp (st->status, "created") != 0)
    {
      if (strcmp (st->status, "stopped") == 0)
        hako_error (err, 0, "cannot start a container that has stopped");
      else
        hako_error (err, 0, "cannot start an already %s container", st->status);
      goto out;
    }
  if (release_fifo (dirfd, st, err) < 0)
    goto out;
  state_set_status (st, "running");
  if (store_write_state (dirfd, st, err) < 0)
    goto out;
  if (known == NULL)
    known = spec = load_saved_spec (dirfd);
  /* runtime.md: a failing poststart hook is a warning; the lifecycle goes on. */
  if (known && known->hooks)
    run_hooks_warn (known->hooks->poststart, known->hooks->n_poststart, "poststart", st);
  ret = 0;
out:
  if (spec)
    oci_spec_free (spec);
  oci_state_free (st);
  return ret;
}

/* `start` within `run`: the container is the one do_create just made, its
   state dir still locked and its state in memory. */
static int
start_created (struct created *c, struct hako_err **err)
{
  if (release_fifo (c->dirfd, c->st, err) < 0)
    return -1;
  state_set_status (c->st, "running");
  if (store_write_state (c->dirfd, c->st, err) < 0)
    return -1;
  if (c->spec->hooks)
    run_hooks_warn (c->spec->hooks->poststart, c->spec->hooks->n_poststart, "poststart", c->st);
  return 0;
}

int
hako_container_start (const struct hako_runtime *rt, const char *id, struct hako_err **err)
{
  if (do_start (rt, id, NULL, err) < 0)
    return hako_error_prefix (err, "start `%s`", id);
  return 0;
}

/* ---- state, list ---- */

int
hako_container_state (const struct hako_runtime *rt, const char *id, struct oci_state **out,
                      struct hako_err **err)
{
  cleanup_free char *dir = NULL;
  cleanup_close int dirfd = -1;

  if (hako_validate_id (id, err) < 0)
    return -1;
  /* No lock: state.json is replaced atomically, and `state` must see a
     container in `creating` while create holds the lock. */
  dir = store_dir_path (rt, id);
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return hako_error (err, errno == ENOENT ? 0 : errno, "container `%s` does not exist", id);
  if (store_read_state (dirfd, id, out, err) < 0)
    return -1;
  state_refresh (dirfd, *out);
  if (strcmp ((*out)->status, "stopped") == 0)
    (*out)->pid = 0;
  return 0;
}

void
hako_state_list_free (struct oci_state **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    oci_state_free (v[i]);
  free (v);
}

int
hako_container_list (const struct hako_runtime *rt, struct oci_state ***out, size_t *n, struct hako_err **err)
{
  cleanup_dir DIR *d = opendir (rt->root);
  struct dirent *de;
  struct oci_state **v = NULL;
  size_t cnt = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return hako_error (err, errno, "open state root `%s`", rt->root);
    }
  while ((de = readdir (d)))
    {
      struct oci_state *st = NULL;
      struct hako_err *e = NULL;
      if (de->d_name[0] == '.')
        continue;
      if (hako_container_state (rt, de->d_name, &st, &e) < 0)
        {
          log_debug ("list: skip `%s`: %s", de->d_name, e->msg);
          hako_error_free (&e);
          continue;
        }
      v = xrealloc (v, (cnt + 1) * sizeof (*v));
      v[cnt++] = st;
    }
  *out = v;
  *n = cnt;
  return 0;
}

/* ---- kill ---- */

static int
signal_pid (pid_t pid, uint64_t start_time, int sig)
{
  /* Guard against pid reuse: the pidfd pins the process we checked. */
  int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd < 0)
    return kill (pid, sig);
  bool zombie;
  uint64_t t = proc_start_time (pid, &zombie);
  int r;
  if (start_time && t != start_time)
    {
      errno = ESRCH;
      r = -1;
    }
  else
    r = (int) syscall (SYS_pidfd_send_signal, pfd, sig, NULL, 0);
  int e = errno;
  close (pfd);
  errno = e;
  return r;
}

/* Every process of the container, through its cgroup; without one (rootless
   without delegation, --cgroup-manager disabled) its init alone, which for
   SIGKILL in a private pid namespace takes the rest with it. */
static int
kill_all (int dirfd, const struct oci_state *st, int sig, struct hako_err **err)
{
  if (cgroup_present (dirfd))
    return cgroup_kill_all (dirfd, sig, err);
  log_debug ("kill --all: the container has no cgroup: signalling its init only");
  if (strcmp (st->status, "stopped") == 0 || !st->has_pid || st->pid <= 0)
    return 0;
  if (signal_pid (st->pid, st->pid_start_time, sig) < 0 && errno != ESRCH)
    return hako_error (err, errno, "signal %d to pid %d", sig, st->pid);
  return 0;
}

int
hako_container_kill (const struct hako_runtime *rt, const char *id, int sig, bool all, struct hako_err **err)
{
  cleanup_close int dirfd = -1;
  struct oci_state *st = NULL;
  int ret = -1;

  if (load_state (rt, id, false, &dirfd, &st, err) < 0)
    goto out;
  if (strcmp (st->status, "stopped") == 0 && !all)
    {
      hako_error (err, 0, "container not running");
      goto out;
    }
  if (all)
    ret = kill_all (dirfd, st, sig, err);
  else if ((ret = signal_pid (st->pid, st->pid_start_time, sig)) < 0)
    hako_error (err, errno, "signal %d to pid %d", sig, st->pid);
  else if (sig == SIGKILL && strcmp (st->status, "paused") == 0)
    cgroup_freeze (dirfd, false, NULL); /* a frozen v1 task cannot die (runc thaws too) */
out:
  if (st)
    oci_state_free (st);
  if (ret < 0)
    hako_error_prefix (err, "kill `%s`", id);
  return ret;
}

/* ---- delete ---- */

static void
wait_gone (pid_t pid, uint64_t start_time)
{
  for (int i = 0; i < 2000; i++)
    {
      bool zombie;
      uint64_t t = proc_start_time (pid, &zombie);
      if (t == 0 || zombie || t != start_time)
        return;
      struct timespec ts = { 0, 2 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

static int
do_delete (const struct hako_runtime *rt, const char *id, bool force, const struct oci_spec *known,
           struct hako_err **err)
{
  cleanup_close int dirfd = -1;
  struct oci_state *st = NULL;
  struct oci_spec *spec = NULL;
  struct hako_err *e = NULL;
  int ret = -1;

  if (hako_validate_id (id, err) < 0)
    return -1;
  dirfd = store_open (rt, id, true, err);
  if (dirfd < 0)
    return -1;
  if (store_read_state (dirfd, id, &st, &e) < 0)
    {
      /* A create killed before it wrote state.json: nothing else to undo
         but what it recorded. */
      hako_error_free (&e);
      cgroup_destroy (dirfd, &e);
      hako_error_free (&e);
      return store_remove (rt, id, err);
    }
  state_refresh (dirfd, st);
  bool stopped = strcmp (st->status, "stopped") == 0;
  if (!stopped && !force && strcmp (st->status, "created") != 0)
    {
      hako_error (err, 0, "cannot delete container `%s` that is not stopped: %s", id, st->status);
      goto out;
    }
  if (!stopped || force)
    {
      /* created (never started) or forced: kill everything in it. */
      if (st->has_pid && st->pid > 0 && !stopped)
        signal_pid (st->pid, st->pid_start_time, SIGKILL);
      kill_all (dirfd, st, SIGKILL, &e);
      hako_error_free (&e);
      if (st->has_pid && st->pid > 0)
        wait_gone (st->pid, st->pid_start_time);
    }
  if (cgroup_destroy (dirfd, err) < 0)
    goto out;
  if (known == NULL)
    known = spec = load_saved_spec (dirfd);
  if (store_remove_at (rt, dirfd, id, err) < 0)
    goto out;
  if (known && known->hooks && known->hooks->n_poststop)
    {
      state_set_status (st, "stopped");
      run_hooks_warn (known->hooks->poststop, known->hooks->n_poststop, "poststop", st);
    }
  ret = 0;
out:
  if (spec)
    oci_spec_free (spec);
  oci_state_free (st);
  return ret;
}

int
hako_container_delete (const struct hako_runtime *rt, const char *id, bool force, struct hako_err **err)
{
  if (do_delete (rt, id, force, NULL, err) < 0)
    return hako_error_prefix (err, "delete `%s`", id);
  return 0;
}

/* ---- run ---- */

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* Wait for the container process, forwarding the signals we receive to it
   (as runc's foreground run does).  We are its parent or its subreaper. */
int
wait_forward (pid_t pid, int master, int *code, struct hako_err **err)
{
  sigset_t set;
  cleanup_close int sfd = -1;

  sigemptyset (&set);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP && s != SIGSEGV && s != SIGBUS && s != SIGILL && s != SIGFPE
        && s != SIGTTOU && s != SIGTTIN && s != SIGTSTP && (s < 32 || s >= SIGRTMIN))
      sigaddset (&set, s);
  sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sfd < 0)
    return hako_error (err, errno, "signalfd");
  if (master >= 0)
    {
      int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      hako_terminal_proxy (master, pidfd, err);
      hako_error_free (err);
      if (pidfd >= 0)
        close (pidfd);
    }
  for (;;)
    {
      int status;
      pid_t r;
      while ((r = waitpid (-1, &status, WNOHANG)) > 0)
        if (r == pid)
          {
            *code = exit_code_of (status);
            return 0;
          }
      if (r < 0 && errno == ECHILD)
        return hako_error (err, ECHILD, "lost the container process %d", pid);
      struct signalfd_siginfo si;
      if (read (sfd, &si, sizeof (si)) != sizeof (si))
        {
          if (errno == EINTR)
            continue;
          return hako_error (err, errno, "read signalfd");
        }
      if (si.ssi_signo != SIGCHLD)
        kill (pid, (int) si.ssi_signo);
    }
}

void
foreground_begin (sigset_t *old)
{
  sigset_t all;

  /* Block signals before the process exists so none is lost (they wait in
     wait_forward's signalfd); synchronous faults and the tty stop signals
     keep their default action.  As the subreaper, a process forked by a
     joiner is still ours to reap. */
  sigfillset (&all);
  sigdelset (&all, SIGSEGV);
  sigdelset (&all, SIGBUS);
  sigdelset (&all, SIGILL);
  sigdelset (&all, SIGFPE);
  sigdelset (&all, SIGTTOU);
  sigdelset (&all, SIGTTIN);
  sigdelset (&all, SIGTSTP);
  sigprocmask (SIG_BLOCK, &all, old);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int
hako_container_run (const struct hako_runtime *rt, const struct hako_create_opts *o, bool detach, bool keep,
                    int *exit_code, struct hako_err **err)
{
  struct created c;
  sigset_t old;
  int ret = -1;

  *exit_code = 0;
  if (!detach)
    foreground_begin (&old);
  if (do_create (rt, o, !detach, true, &c, err) < 0)
    goto out;
  int r = start_created (&c, err);
  close (c.dirfd);
  oci_state_free (c.st);
  if (r < 0)
    {
      struct hako_err *e = NULL;
      hako_error_prefix (err, "start `%s`", o->id);
      do_delete (rt, o->id, true, c.spec, &e);
      hako_error_free (&e);
      goto out;
    }
  if (detach)
    {
      ret = 0;
      goto out;
    }
  ret = wait_forward (c.pid, c.master, exit_code, err);
  if (!keep)
    {
      struct hako_err *e = NULL;
      if (do_delete (rt, o->id, ret < 0, c.spec, &e) < 0)
        {
          hako_error_prefix (&e, "delete `%s`", o->id);
          if (ret == 0)
            {
              *err = e;
              ret = -1;
            }
          else
            hako_error_free (&e);
        }
    }
out:
  if (c.master >= 0)
    close (c.master);
  if (c.spec)
    oci_spec_free (c.spec);
  if (!detach)
    sigprocmask (SIG_SETMASK, &old, NULL);
  return ret;
}
