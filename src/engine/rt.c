/* SPDX-License-Identifier: Apache-2.0 */
#include "rt.h"
#include "internal.h"
#include "../runtime/cgroup_ctl.h"
#include "../runtime/container.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
external (const struct eng_ctr *c)
{
  const char *r = json_string_value (json_object_get (json_object_get (c->j, "Hako"), "Runtime"));
  return r && *r ? r : NULL;
}

void
eng_rt_builtin (const struct eng_ctx *e, struct hako_runtime *rt, char **root_out)
{
  *root_out = eng_runtime_root (e);
  *rt = (struct hako_runtime){ .root = *root_out, .cgroup_manager = HAKO_CGROUP_CGROUPFS };
}

static char *
external_root (const struct eng_ctx *e, const char *runtime)
{
  const char *base = strrchr (runtime, '/');
  return xasprintf ("%s/runtime-%s", e->run_root, base ? base + 1 : runtime);
}

/* The last "msg" of a runtime's JSON log (runc, crun and hako-runtime all
   write {"level":"error","msg":...} lines with --log-format json). */
static void
last_log_error (const char *path, char *msg, size_t len)
{
  FILE *f = fopen (path, "re");
  char *line = NULL;
  size_t cap = 0;
  if (!f)
    return;
  while (getline (&line, &cap, f) > 0)
    {
      json_t *j = json_loads (line, 0, NULL);
      const char *m = json_string_value (json_object_get (j, "msg"));
      const char *lvl = json_string_value (json_object_get (j, "level"));
      if (m && lvl && (strcmp (lvl, "error") == 0 || strcmp (lvl, "fatal") == 0))
        snprintf (msg, len, "%s", m);
      json_decref (j);
    }
  free (line);
  fclose (f);
}

/* Run `runtime --root R [--log L --log-format json] ARGS...`.  With
   `stdio` the runtime gets our stdio, which `create` hands to the
   container (its errors are then read from the log); otherwise its stderr
   is captured for the error message. */
static int
run_external (const struct eng_ctx *e, struct eng_ctr *c, const char *runtime, const char *const *args,
              bool stdio, struct hako_err **err)
{
  cleanup_free char *root = external_root (e, runtime);
  cleanup_free char *logpath = xasprintf ("%s/%s/runtime.log", e->run_root, c->id);
  const char *argv[20];
  size_t n = 0;
  argv[n++] = runtime;
  argv[n++] = "--root";
  argv[n++] = root;
  if (stdio)
    {
      argv[n++] = "--log";
      argv[n++] = logpath;
      argv[n++] = "--log-format";
      argv[n++] = "json";
      unlink (logpath);
    }
  for (size_t i = 0; args[i] && n < 19; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int ep[2] = { -1, -1 };
  if (!stdio && pipe2 (ep, O_CLOEXEC) < 0)
    return hako_error (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    return hako_error (err, errno, "fork `%s`", runtime);
  if (pid == 0)
    {
      if (!stdio)
        {
          int devnull = open ("/dev/null", O_RDWR);
          dup2 (devnull, 0);
          dup2 (devnull, 1);
          dup2 (ep[1], 2);
        }
      execv (runtime, (char *const *) argv);
      fprintf (stderr, "exec `%s`: %s\n", runtime, strerror (errno));
      _exit (127);
    }
  char msg[2048] = "";
  size_t len = 0;
  if (!stdio)
    {
      close (ep[1]);
      ssize_t k;
      while ((k = read (ep[0], msg + len, sizeof (msg) - 1 - len)) > 0)
        len += (size_t) k;
      close (ep[0]);
      msg[len] = '\0';
      while (len && msg[len - 1] == '\n')
        msg[--len] = '\0';
    }
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (stdio)
    last_log_error (logpath, msg, sizeof (msg));
  bool missing = strstr (msg, "does not exist") || strstr (msg, "not found") || strstr (msg, "No such");
  return hako_error (err, missing ? ENOENT : EIO, "%s %s: %s", runtime, args[0], *msg ? msg : "failed");
}

int
eng_rt_create (const struct eng_ctx *e, struct eng_ctr *c, const char *console_socket, pid_t *pid,
               struct hako_err **err)
{
  cleanup_free char *bundle = hako_path_join (c->dir, "bundle");
  const char *rtpath = external (c);
  if (!rtpath)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      struct hako_create_opts o
          = { .id = c->id, .bundle = bundle, .console_socket = console_socket, .pid_out = pid };
      return hako_container_create (&rt, &o, err);
    }
  cleanup_free char *pidfile = xasprintf ("%s/%s/runtime.pid", e->run_root, c->id);
  const char *args[10] = { "create", "--bundle", bundle, "--pid-file", pidfile };
  size_t n = 5;
  if (console_socket)
    {
      args[n++] = "--console-socket";
      args[n++] = console_socket;
    }
  args[n++] = c->id;
  args[n] = NULL;
  if (run_external (e, c, rtpath, args, true, err) < 0)
    return -1;
  cleanup_free char *buf = NULL;
  size_t len;
  if (hako_read_file (pidfile, &buf, &len, err) < 0)
    return -1;
  *pid = (pid_t) strtol (buf, NULL, 10);
  return 0;
}

int
eng_rt_start (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err)
{
  const char *rtpath = external (c);
  if (!rtpath)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      return hako_container_start (&rt, c->id, err);
    }
  const char *args[] = { "start", c->id, NULL };
  return run_external (e, c, rtpath, args, false, err);
}

int
eng_rt_kill (const struct eng_ctx *e, struct eng_ctr *c, int sig, struct hako_err **err)
{
  const char *rtpath = external (c);
  if (!rtpath)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      return hako_container_kill (&rt, c->id, sig, false, err);
    }
  char s[16];
  snprintf (s, sizeof (s), "%d", sig);
  const char *args[] = { "kill", c->id, s, NULL };
  return run_external (e, c, rtpath, args, false, err);
}

int
eng_rt_delete (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err)
{
  const char *rtpath = external (c);
  if (!rtpath)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      return hako_container_delete (&rt, c->id, true, err);
    }
  const char *args[] = { "delete", "--force", c->id, NULL };
  return run_external (e, c, rtpath, args, false, err);
}

int
eng_rt_pause (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err)
{
  const char *rtpath = external (c);
  if (!rtpath)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      return hako_container_pause (&rt, c->id, err);
    }
  const char *args[] = { "pause", c->id, NULL };
  return run_external (e, c, rtpath, args, false, err);
}

int
eng_rt_resume (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err)
{
  const char *rtpath = external (c);
  if (!rtpath)
    {
      struct hako_runtime rt;
      cleanup_free char *root = NULL;
      eng_rt_builtin (e, &rt, &root);
      return hako_container_resume (&rt, c->id, err);
    }
  const char *args[] = { "resume", c->id, NULL };
  return run_external (e, c, rtpath, args, false, err);
}
