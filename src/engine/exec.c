/* SPDX-License-Identifier: Apache-2.0 */
/* exec, and the pids and stats of a running container. */
#include "exec.h"
#include "users.h"
#include "cp.h"
#include "internal.h"
#include "rt.h"
#include "../oci/names.h"
#include "../runtime/cgroup_ctl.h"
#include "../runtime/container.h"
#include "../runtime/exec.h"
#include "../runtime/terminal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
external_runtime (const struct eng_ctr *c)
{
  const char *r = json_string_value (json_object_get (json_object_get (c->j, "Hako"), "Runtime"));
  return r && *r ? r : NULL;
}

/* As rt.c: the state of containers of another runtime lives under
   <run_root>/runtime-<basename>. */
static char *
external_root (const struct eng_ctx *e, const char *runtime)
{
  const char *base = strrchr (runtime, '/');
  return xasprintf ("%s/runtime-%s", e->run_root, base ? base + 1 : runtime);
}

static void
strv_add (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static void
strv_free (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

/* ---- users: names from the container's /etc/passwd and /etc/group ---- */

struct exec_user
{
  char *ids; /* "uid:gid" for the runtime */
  uint32_t *gids;
  size_t n_gids;
  char *home;
};

static void
exec_user_clear (struct exec_user *u)
{
  free (u->ids);
  free (u->gids);
  free (u->home);
}

/* docker's -u user[:group] (users.h), in the runtime's "uid:gid" form. */
static int
resolve_user (int rootfd, const char *spec, struct exec_user *u, struct hako_err **err)
{
  struct eng_user eu;
  if (eng_user_resolve (rootfd, spec, &eu, err) < 0)
    return -1;
  u->ids = xasprintf ("%u:%u", eu.uid, eu.gid);
  u->gids = steal_pointer (&eu.gids);
  u->n_gids = eu.n_gids;
  u->home = steal_pointer (&eu.home);
  eng_user_clear (&eu);
  return 0;
}

/* ---- -d -t: somebody must hold the terminal ---- */

/* A process that receives the exec's pty master on a console socket and
   reads it until the process (and whatever shares its terminal) is gone:
   what docker's daemon does for `exec -d -t`. */
static int
console_holder (const struct eng_ctx *e, char **path_out, pid_t *pid_out, struct hako_err **err)
{
  char rnd[9];
  cleanup_free char *id = eng_id_generate ();
  snprintf (rnd, sizeof (rnd), "%.8s", id);
  cleanup_free char *path = xasprintf ("%s/exec-%s.sock", e->run_root, rnd);
  if (hako_mkdir_p (e->run_root, 0700, err) < 0)
    return -1;
  int s = eng_unix_listen (path, 1, err);
  if (s < 0)
    return -1;
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (s);
      unlink (path);
      return hako_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      setsid ();
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      for (int fd = 0; fd < 3; fd++)
        dup2 (null, fd);
      signal (SIGHUP, SIG_IGN);
      int conn = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
      int master = -1;
      char name[256];
      if (conn < 0 || hako_recv_fd (conn, &master, name, sizeof (name), NULL) < 0)
        _exit (1);
      close (conn);
      close (s);
      char buf[4096];
      ssize_t n;
      while ((n = read (master, buf, sizeof (buf))) > 0 || (n < 0 && errno == EINTR))
        ;
      _exit (0);
    }
  close (s);
  *path_out = steal_pointer (&path);
  *pid_out = pid;
  return 0;
}

/* ---- exec ---- */

static int
cap_last (void)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (hako_read_file ("/proc/sys/kernel/cap_last_cap", &buf, &len, NULL) < 0)
    return OCI_CAP_LAST;
  int n = atoi (buf);
  return n > 0 && n < OCI_CAP_LAST ? n : OCI_CAP_LAST;
}

/* The process's environment additions: -e (NAME alone takes our value, or
   is left out when we have none), TERM with a terminal, the user's HOME. */
static void
build_env (const struct eng_exec_opts *o, const struct exec_user *u, char ***env, size_t *n)
{
  bool term = false, home = false;
  for (size_t i = 0; i < o->n_env; i++)
    {
      const char *kv = o->env[i];
      if (!strchr (kv, '='))
        {
          const char *v = getenv (kv);
          if (!v)
            continue;
          strv_add (env, n, xasprintf ("%s=%s", kv, v));
        }
      else
        strv_add (env, n, xstrdup (kv));
      term |= strncmp (kv, "TERM=", 5) == 0;
      home |= strncmp (kv, "HOME=", 5) == 0;
    }
  if (o->tty && !term)
    strv_add (env, n, xstrdup ("TERM=xterm"));
  if (u->ids && !home)
    strv_add (env, n, xasprintf ("HOME=%s", u->home));
}

/* The process's stdio: nothing to read without -i; nothing at all when
   detached (no one is there to read it).  Ours are kept in saved[] for
   the error messages, and put back by restore_stdio. */
static void
setup_stdio (const struct eng_exec_opts *o, int saved[3])
{
  for (int fd = 0; fd < 3; fd++)
    saved[fd] = -1;
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return;
  for (int fd = 0; fd < 3; fd++)
    if ((fd == 0 && !o->interactive) || o->detach)
      {
        saved[fd] = fcntl (fd, F_DUPFD_CLOEXEC, 3);
        dup2 (null, fd);
      }
  close (null);
}

static void
restore_stdio (int saved[3])
{
  for (int fd = 0; fd < 3; fd++)
    if (saved[fd] >= 0)
      {
        dup2 (saved[fd], fd);
        close (saved[fd]);
        saved[fd] = -1;
      }
}

static int
exec_code_of (const struct hako_err *err)
{
  int code = eng_exit_code_for_error (err);
  return code == ENG_EXIT_ENGINE ? ENG_EXIT_CANNOT_INVOKE : code;
}

static int
exec_external (const struct eng_ctx *e, struct eng_ctr *c, const char *runtime, const struct eng_exec_opts *o,
               char **env, size_t n_env, const struct exec_user *u, char **caps, size_t n_caps,
               const char *console, int *code, struct hako_err **err)
{
  cleanup_free char *root = external_root (e, runtime);
  /* runc and crun exit 255 when the exec itself failed; their log says
     why, which gives docker's 126 or 127. */
  cleanup_free char *logf = xasprintf ("%s/exec-%d.log", e->run_root, (int) getpid ());
  char **argv = NULL;
  size_t n = 0;
  strv_add (&argv, &n, xstrdup (runtime));
  strv_add (&argv, &n, xstrdup ("--root"));
  strv_add (&argv, &n, xstrdup (root));
  strv_add (&argv, &n, xasprintf ("--log=%s", logf));
  strv_add (&argv, &n, xstrdup ("--log-format=json"));
  strv_add (&argv, &n, xstrdup ("exec"));
  if (o->tty)
    strv_add (&argv, &n, xstrdup ("--tty"));
  if (o->detach)
    strv_add (&argv, &n, xstrdup ("--detach"));
  if (console)
    strv_add (&argv, &n, xasprintf ("--console-socket=%s", console));
  for (size_t i = 0; i < n_env; i++)
    strv_add (&argv, &n, xasprintf ("--env=%s", env[i]));
  if (o->workdir && *o->workdir)
    strv_add (&argv, &n, xasprintf ("--cwd=%s", o->workdir));
  if (u->ids)
    strv_add (&argv, &n, xasprintf ("--user=%s", u->ids));
  for (size_t i = 0; i < u->n_gids; i++)
    strv_add (&argv, &n, xasprintf ("--additional-gids=%u", u->gids[i]));
  for (size_t i = 0; i < n_caps; i++)
    strv_add (&argv, &n, xasprintf ("--cap=%s", caps[i]));
  strv_add (&argv, &n, xstrdup (c->id));
  for (size_t i = 0; i < o->n_args; i++)
    strv_add (&argv, &n, xstrdup (o->args[i]));
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      strv_free (argv, n);
      return hako_error (err, errno, "fork `%s`", runtime);
    }
  if (pid == 0)
    {
      execv (runtime, argv);
      fprintf (stderr, "hako: exec `%s`: %s\n", runtime, strerror (errno));
      _exit (126);
    }
  strv_free (argv, n);
  /* The runtime forwards signals to the process itself; we only wait. */
  signal (SIGINT, SIG_IGN);
  signal (SIGTERM, SIG_IGN);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  *code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  cleanup_free char *log = NULL;
  size_t len;
  if (*code == 255 && hako_read_file (logf, &log, &len, NULL) == 0)
    {
      /* The last error line: {"level":"error","msg":"exec failed: ..."} */
      const char *msg = NULL;
      json_t *j = NULL;
      for (char *line = strtok (log, "\n"); line; line = strtok (NULL, "\n"))
        {
          json_t *l = json_loads (line, 0, NULL);
          const char *lv = json_string_value (json_object_get (l, "level"));
          if (lv && strcmp (lv, "error") == 0)
            {
              json_decref (j);
              j = l;
              msg = json_string_value (json_object_get (l, "msg"));
            }
          else
            json_decref (l);
        }
      if (msg)
        {
          struct hako_err e2 = { .errno_ = 0, .msg = (char *) msg };
          *code = exec_code_of (&e2);
          /* Detached, the runtime's stderr was /dev/null: say it here. */
          if (o->detach)
            hako_error (err, 0, "%s: %s", runtime, msg);
        }
      json_decref (j);
      if (o->detach && msg)
        {
          unlink (logf);
          return -1;
        }
    }
  unlink (logf);
  return 0;
}

/* Through the runtime library, with the engine's runtime root. */
static int
exec_builtin (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_exec_opts *o, char **env,
              size_t n_env, const struct exec_user *u, char **caps, size_t n_caps, const char *console,
              int *code, struct hako_err **err)
{
  struct hako_runtime rt;
  cleanup_free char *root = NULL;
  eng_rt_builtin (e, &rt, &root);
  struct hako_exec_opts x = {
    .id = c->id,
    .args = o->args,
    .n_args = o->n_args,
    .tty = o->tty,
    .env = env,
    .n_env = n_env,
    .cwd = o->workdir && *o->workdir ? o->workdir : NULL,
    .user = u->ids,
    .additional_gids = u->gids,
    .n_additional_gids = u->n_gids,
    .caps = caps,
    .n_caps = n_caps,
    .detach = o->detach,
    .console_socket = console,
  };
  if (hako_container_exec (&rt, &x, code, err) < 0)
    {
      *code = exec_code_of (*err);
      return -1;
    }
  return 0;
}

int
eng_exec (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_exec_opts *o, int *code,
          struct hako_err **err)
{
  *code = 1;
  if (strcmp (eng_ctr_status (c), "paused") == 0)
    return hako_error (err, 0, "container %s is paused, unpause the container before exec", c->id);
  if (!eng_ctr_running (c))
    return hako_error (err, 0, "container %s is not running", c->id);
  if (o->n_args == 0)
    return hako_error (err, EINVAL, "no command given");
  struct exec_user u = { 0 };
  char **env = NULL, **caps = NULL;
  size_t n_env = 0, n_caps = 0;
  cleanup_free char *console = NULL;
  pid_t holder = 0;
  int ret = -1, saved[3] = { -1, -1, -1 };
  if (o->user && *o->user)
    {
      struct eng_rootfs r;
      if (eng_rootfs_open (e, c, true, &r, err) < 0)
        return -1;
      int rr = resolve_user (r.fd, o->user, &u, err);
      eng_rootfs_close (e, c, &r);
      if (rr < 0)
        {
          *code = ENG_EXIT_CANNOT_INVOKE;
          goto out;
        }
    }
  build_env (o, &u, &env, &n_env);
  /* Every capability we have ourselves: what docker's daemon can give. */
  if (o->privileged)
    for (int cap = 0, last = cap_last (); cap <= last; cap++)
      if (oci_cap_name (cap) && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
        strv_add (&caps, &n_caps, xstrdup (oci_cap_name (cap)));
  if (o->detach && o->tty && console_holder (e, &console, &holder, err) < 0)
    goto out;
  setup_stdio (o, saved);
  const char *runtime = external_runtime (c);
  if (runtime)
    {
      ret = exec_external (e, c, runtime, o, env, n_env, &u, caps, n_caps, console, code, err);
      goto out;
    }
  if (exec_builtin (e, c, o, env, n_env, &u, caps, n_caps, console, code, err) < 0)
    goto out;
  ret = 0;
out:
  restore_stdio (saved);
  if (console)
    unlink (console);
  if (holder > 0 && (ret < 0 || *code != 0))
    {
      kill (holder, SIGKILL);
      waitpid (holder, NULL, 0);
    }
  exec_user_clear (&u);
  strv_free (env, n_env);
  strv_free (caps, n_caps);
  return ret;
}

/* ---- pids, stats ---- */

/* `runtime --root R ARGS...`, its stdout parsed as JSON. */
static int
external_json (const struct eng_ctx *e, const char *runtime, const char *const *args, json_t **out,
               struct hako_err **err)
{
  cleanup_free char *root = external_root (e, runtime);
  const char *argv[16] = { runtime, "--root", root };
  size_t n = 3;
  for (size_t i = 0; args[i] && n < 15; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return hako_error (err, errno, "pipe");
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return hako_error (err, errno, "fork `%s`", runtime);
    }
  if (pid == 0)
    {
      dup2 (p[1], 1);
      execv (runtime, (char *const *) argv);
      _exit (127);
    }
  close (p[1]);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  hako_read_fd (p[0], &buf, &len, NULL);
  close (p[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  json_error_t je;
  /* `events --stats` prints one event a line: the first is enough. */
  *out = buf ? json_loadb (buf, strcspn (buf, "\n"), 0, &je) : NULL;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || !*out)
    {
      json_decref (*out);
      *out = NULL;
      return hako_error (err, EIO, "%s %s %s failed", runtime, args[0], args[1] ? args[1] : "");
    }
  return 0;
}

int
eng_ctr_pids (const struct eng_ctx *e, struct eng_ctr *c, pid_t **pids, size_t *n, struct hako_err **err)
{
  *pids = NULL;
  *n = 0;
  if (!eng_ctr_running (c))
    return hako_error (err, 0, "container %s is not running", c->id);
  const char *runtime = external_runtime (c);
  if (!runtime)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      return hako_container_pids (&rt, c->id, pids, n, err);
    }
  const char *args[] = { "ps", "--format", "json", c->id, NULL };
  json_t *j = NULL;
  if (external_json (e, runtime, args, &j, err) < 0)
    return -1;
  size_t i;
  json_t *v;
  *pids = xzalloc ((json_array_size (j) + 1) * sizeof (pid_t));
  json_array_foreach (j, i, v) (*pids)[(*n)++] = (pid_t) json_integer_value (v);
  json_decref (j);
  return 0;
}

int
eng_ctr_stats (const struct eng_ctx *e, struct eng_ctr *c, json_t **out, struct hako_err **err)
{
  *out = NULL;
  if (!eng_ctr_running (c))
    return hako_error (err, 0, "container %s is not running", c->id);
  const char *runtime = external_runtime (c);
  if (!runtime)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      *out = hako_container_stats_event (&rt, c->id, err);
      return *out ? 0 : -1;
    }
  const char *args[] = { "events", "--stats", c->id, NULL };
  return external_json (e, runtime, args, out, err);
}
