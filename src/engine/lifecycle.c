/* SPDX-License-Identifier: Apache-2.0 */
/* The container lifecycle of the engine: create (record + snapshot +
   bundle), start (spawn the monitor), kill, stop, wait, remove. */
#include "engine.h"
#include "internal.h"
#include "network.h"
#include "rt.h"
#include "volume.h"
#include "../image/image.h"
#include "../image/snapshot.h"
#include "../image/store.h"
#include "../runtime/container.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *
strv_json (char *const *v, size_t n)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < n; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

void
eng_env_set (json_t *env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) : strlen (kv);
  size_t i;
  json_t *v;
  json_array_foreach (env, i, v)
  {
    const char *s = json_string_value (v);
    if (strncmp (s, kv, klen) == 0 && s[klen] == '=')
      {
        json_array_set_new (env, i, json_string (kv));
        return;
      }
  }
  json_array_append_new (env, json_string (kv));
}

/* docker's Config: the image's config with the flags applied. */
static json_t *
build_config (const struct eng_create_opts *o, json_t *img, const char *id)
{
  json_t *cfg = json_object ();
  json_object_set_new (cfg, "Hostname", json_string (o->hostname && *o->hostname ? o->hostname : ""));
  if (!o->hostname || !*o->hostname)
    {
      char h[13];
      snprintf (h, sizeof (h), "%.12s", id);
      json_object_set_new (cfg, "Hostname", json_string (h));
    }
  json_object_set_new (cfg, "Domainname", json_string (""));
  const char *user = o->user ? o->user : json_string_value (json_object_get (img, "User"));
  json_object_set_new (cfg, "User", json_string (user ? user : ""));
  json_object_set_new (cfg, "AttachStdin", json_boolean (o->interactive));
  json_object_set_new (cfg, "AttachStdout", json_true ());
  json_object_set_new (cfg, "AttachStderr", json_true ());
  json_object_set_new (cfg, "Tty", json_boolean (o->tty));
  json_object_set_new (cfg, "OpenStdin", json_boolean (o->interactive));
  json_object_set_new (cfg, "StdinOnce", json_boolean (o->interactive));

  json_t *env = json_array ();
  json_t *ienv = json_object_get (img, "Env");
  bool has_path = false;
  size_t i;
  json_t *v;
  json_array_foreach (ienv, i, v) if (json_is_string (v))
  {
    if (strncmp (json_string_value (v), "PATH=", 5) == 0)
      has_path = true;
    eng_env_set (env, json_string_value (v));
  }
  if (!has_path)
    json_array_insert_new (env, 0, json_string (DEFAULT_PATH_ENV));
  for (size_t k = 0; k < o->n_env; k++)
    {
      if (strchr (o->env[k], '='))
        eng_env_set (env, o->env[k]);
      else if (getenv (o->env[k]))
        {
          /* -e NAME: the caller's value, skipped when unset (docker). */
          cleanup_free char *kv = xasprintf ("%s=%s", o->env[k], getenv (o->env[k]));
          eng_env_set (env, kv);
        }
    }
  json_object_set_new (cfg, "Env", env);

  json_t *cmd = NULL, *ep = NULL;
  if (o->has_entrypoint)
    ep = (o->n_entrypoint == 0 || (o->n_entrypoint == 1 && !*o->entrypoint[0]))
             ? json_null ()
             : strv_json (o->entrypoint, o->n_entrypoint);
  else
    ep = json_deep_copy (json_object_get (img, "Entrypoint"));
  if (o->n_cmd)
    cmd = strv_json (o->cmd, o->n_cmd);
  else if (o->has_entrypoint)
    cmd = json_null (); /* a new entrypoint resets the image's CMD */
  else
    cmd = json_deep_copy (json_object_get (img, "Cmd"));
  json_object_set_new (cfg, "Cmd", cmd ? cmd : json_null ());
  json_object_set_new (cfg, "Image", json_string (o->image));
  json_object_set_new (cfg, "Volumes", json_deep_copy (json_object_get (img, "Volumes")));
  const char *wd = o->workdir ? o->workdir : json_string_value (json_object_get (img, "WorkingDir"));
  json_object_set_new (cfg, "WorkingDir", json_string (wd ? wd : ""));
  json_object_set_new (cfg, "Entrypoint", ep ? ep : json_null ());
  json_object_set_new (cfg, "OnBuild", json_null ());
  json_t *labels = json_deep_copy (json_object_get (img, "Labels"));
  if (!json_is_object (labels))
    {
      json_decref (labels);
      labels = json_object ();
    }
  for (size_t k = 0; k < o->n_labels; k++)
    {
      cleanup_free char *kv = xstrdup (o->labels[k]);
      char *eq = strchr (kv, '=');
      if (eq)
        *eq = '\0';
      json_object_set_new (labels, kv, json_string (eq ? eq + 1 : ""));
    }
  json_object_set_new (cfg, "Labels", labels);
  const char *sig = o->stop_signal ? o->stop_signal : json_string_value (json_object_get (img, "StopSignal"));
  if (sig && *sig)
    json_object_set_new (cfg, "StopSignal", json_string (sig));
  if (o->stop_timeout >= 0)
    json_object_set_new (cfg, "StopTimeout", json_integer (o->stop_timeout));
  json_object_set_new (cfg, "ExposedPorts", json_deep_copy (json_object_get (img, "ExposedPorts")));
  return cfg;
}

static json_t *
build_host_config (const struct eng_create_opts *o)
{
  json_t *binds = json_array ();
  for (size_t i = 0; i < o->n_mounts; i++)
    if (strcmp (o->mounts[i].type, "tmpfs") != 0)
      {
        cleanup_free char *b = xasprintf ("%s:%s%s", o->mounts[i].source ? o->mounts[i].source : "",
                                          o->mounts[i].target, o->mounts[i].readonly ? ":ro" : "");
        json_array_append_new (binds, json_string (b));
      }
  json_t *log_cfg = json_object ();
  if (o->log_max_size)
    json_object_set_new (log_cfg, "max-size", json_string (o->log_max_size));
  if (o->log_max_file > 0)
    {
      char n[16];
      snprintf (n, sizeof (n), "%d", o->log_max_file);
      json_object_set_new (log_cfg, "max-file", json_string (n));
    }
  json_t *h = json_object ();
  json_object_set_new (h, "Binds", binds);
  json_object_set_new (h, "LogConfig", json_pack ("{s:s, s:o}", "Type", "json-file", "Config", log_cfg));
  json_object_set_new (h, "NetworkMode", json_string (o->network_mode ? o->network_mode : "none"));
  eng_net_host_config (o->net, h);
  json_object_set_new (h, "AutoRemove", json_boolean (o->auto_remove));
  json_object_set_new (h, "CapAdd", strv_json (o->cap_add, o->n_cap_add));
  json_object_set_new (h, "CapDrop", strv_json (o->cap_drop, o->n_cap_drop));
  json_object_set_new (h, "IpcMode", json_string (o->ipc_mode ? o->ipc_mode : "private"));
  json_object_set_new (h, "PidMode", json_string (o->pid_mode ? o->pid_mode : ""));
  json_object_set_new (h, "UTSMode", json_string (o->uts_mode ? o->uts_mode : ""));
  json_object_set_new (h, "UsernsMode", json_string (o->userns_mode ? o->userns_mode : ""));
  json_object_set_new (h, "Privileged", json_boolean (o->privileged));
  json_object_set_new (h, "ReadonlyRootfs", json_boolean (o->read_only));
  json_t *secopt = json_array ();
  if (o->seccomp)
    {
      cleanup_free char *s = xasprintf ("seccomp=%s", o->seccomp);
      json_array_append_new (secopt, json_string (s));
    }
  if (o->no_new_privs)
    json_array_append_new (secopt, json_string ("no-new-privileges"));
  json_object_set_new (h, "SecurityOpt", secopt);
  json_object_set_new (h, "ShmSize", json_integer (o->shm_size > 0 ? o->shm_size : 64 * 1024 * 1024));
  json_object_set_new (h, "Runtime", json_string (o->runtime ? o->runtime : "hako"));
  json_object_set_new (h, "Memory", json_integer (o->memory));
  json_object_set_new (h, "MemorySwap", json_integer (o->memory_swap));
  json_object_set_new (h, "NanoCpus", json_integer ((json_int_t) (o->cpus * 1e9 + 0.5)));
  json_object_set_new (h, "CpuShares", json_integer ((json_int_t) o->cpu_shares));
  json_object_set_new (h, "CpusetCpus", json_string (o->cpuset_cpus ? o->cpuset_cpus : ""));
  json_object_set_new (h, "CgroupParent", json_string (o->cgroup_parent ? o->cgroup_parent : ""));
  if (o->pids_limit)
    json_object_set_new (h, "PidsLimit", json_integer (o->pids_limit));
  else
    json_object_set_new (h, "PidsLimit", json_null ());
  json_object_set_new (h, "Init", json_boolean (o->init));
  json_t *devs = json_array ();
  for (size_t i = 0; i < o->n_devices; i++)
    json_array_append_new (devs, json_pack ("{s:s}", "PathOnHost", o->devices[i]));
  json_object_set_new (h, "Devices", devs);
  json_t *ul = json_array ();
  for (size_t i = 0; i < o->n_ulimits; i++)
    json_array_append_new (ul, json_string (o->ulimits[i]));
  json_object_set_new (h, "Ulimits", ul);
  json_t *sc = json_object ();
  for (size_t i = 0; i < o->n_sysctls; i++)
    {
      cleanup_free char *kv = xstrdup (o->sysctls[i]);
      char *eq = strchr (kv, '=');
      if (eq)
        {
          *eq = '\0';
          json_object_set_new (sc, kv, json_string (eq + 1));
        }
    }
  json_object_set_new (h, "Sysctls", sc);
  return h;
}

int
eng_create (const struct eng_ctx *e, const struct eng_create_opts *o, struct eng_ctr **out,
            struct hako_err **err)
{
  struct img_image img;
  struct img_record rec;
  if (eng_dirs_init (e, err) < 0)
    return -1;
  if (img_image_find (e->store, o->image, e->default_domain, &img, &rec, err) < 0)
    return -1;
  cleanup_free char *id = eng_id_generate ();
  cleanup_free char *name = o->name ? xstrdup (o->name) : eng_name_generate (e);
  struct eng_ctr *c = NULL;
  int ret = -1;
  bool named = false, snap = false;
  cleanup_free char *now = NULL, *logpath = NULL, *slash_name = NULL, *resolv = NULL, *hn = NULL,
                    *hosts = NULL;
  cleanup_free char *merged = NULL, *sdir = NULL, *up = NULL, *wk = NULL;

  if (eng_name_reserve (e, name, id, err) < 0)
    goto out;
  named = true;
  c = xzalloc (sizeof (*c));
  c->id = xstrdup (id);
  c->dir = xasprintf ("%s/containers/%s", e->storage, id);
  json_t *imgcfg = json_object_get (img.c.root, "config");
  now = eng_now ();
  logpath = eng_log_path (c);
  slash_name = xasprintf ("/%s", name);
  json_t *cfg = build_config (o, imgcfg, id);
  json_t *args = json_array ();
  json_t *ep = json_object_get (cfg, "Entrypoint"), *cmd = json_object_get (cfg, "Cmd");
  json_array_extend (args, ep);
  json_array_extend (args, cmd);
  json_t *path = json_array_size (args) ? json_incref (json_array_get (args, 0)) : json_string ("");
  if (json_array_size (args))
    json_array_remove (args, 0);
  c->j = json_object ();
  json_object_set_new (c->j, "Id", json_string (id));
  json_object_set_new (c->j, "Created", json_string (now));
  json_object_set_new (c->j, "Path", path);
  json_object_set_new (c->j, "Args", args);
  json_object_set_new (c->j, "State", json_object ());
  eng_ctr_set_state (c, "created", 0, 0, NULL);
  json_object_set_new (json_object_get (c->j, "State"), "StartedAt", json_string ("0001-01-01T00:00:00Z"));
  json_object_set_new (json_object_get (c->j, "State"), "FinishedAt", json_string ("0001-01-01T00:00:00Z"));
  json_object_set_new (c->j, "Image", json_string (rec.id));
  json_object_set_new (c->j, "ResolvConfPath", json_string (""));
  json_object_set_new (c->j, "LogPath", json_string (logpath));
  json_object_set_new (c->j, "Name", json_string (slash_name));
  json_object_set_new (c->j, "RestartCount", json_integer (0));
  json_object_set_new (c->j, "Driver", json_string ("overlay"));
  json_object_set_new (c->j, "Platform", json_string ("linux"));
  json_object_set_new (c->j, "HostConfig", build_host_config (o));
  json_object_set_new (c->j, "Config", cfg);
  json_object_set_new (c->j, "NetworkSettings", json_object ());
  json_t *hako = json_object ();
  json_object_set_new (hako, "ImageName", json_string (o->image));
  json_object_set_new (hako, "Runtime", json_string (o->runtime ? o->runtime : ""));
  json_object_set_new (c->j, "Hako", hako);
  resolv = hako_path_join (c->dir, "resolv.conf");
  hn = hako_path_join (c->dir, "hostname");
  hosts = hako_path_join (c->dir, "hosts");
  json_object_set_new (c->j, "ResolvConfPath", json_string (resolv));
  json_object_set_new (c->j, "HostnamePath", json_string (hn));
  json_object_set_new (c->j, "HostsPath", json_string (hosts));
  /* A record first: a create killed after this point (a SIGKILLed `run`
     or `build`) leaves a container that `ps -a` lists and `rm -f` removes,
     snapshot and name with it, not a directory nothing knows about.  The
     directory is made just before, to keep the window between small. */
  if (mkdir (c->dir, 0700) < 0)
    {
      hako_error (err, errno, "mkdir `%s`", c->dir);
      goto out;
    }
  if (eng_ctr_save (c, err) < 0)
    goto out;

  if (img_snapshot_create_image (e->store, &img, id, &merged, err) < 0)
    goto out;
  snap = true;
  sdir = xasprintf ("%s/snapshots/%s", e->storage, id);
  json_t *gd = json_object ();
  json_object_set_new (gd, "MergedDir", json_string (merged));
  up = hako_path_join (sdir, "upper");
  wk = hako_path_join (sdir, "work");
  json_object_set_new (gd, "UpperDir", json_string (up));
  json_object_set_new (gd, "WorkDir", json_string (wk));
  json_object_set_new (c->j, "GraphDriver", json_pack ("{s:s, s:o}", "Name", "overlay", "Data", gd));
  if (eng_specgen (e, c, o, img.c.root, merged, err) < 0)
    goto out;
  if ((!o->keep_mounted && img_snapshot_unmount (e->store, id, err) < 0) || eng_ctr_save (c, err) < 0)
    goto out;
  *out = c;
  c = NULL;
  ret = 0;
out:
  if (ret < 0)
    {
      if (c)
        {
          /* Anonymous volumes made for this container go with it. */
          json_t *anon = json_object_get (json_object_get (c->j, "Hako"), "AnonymousVolumes");
          size_t i;
          json_t *v;
          json_array_foreach (anon, i, v) eng_volume_remove (e, json_string_value (v), true, NULL);
          hako_rm_rf (c->dir, NULL);
        }
      if (snap)
        img_snapshot_remove (e->store, id, NULL);
      if (named)
        eng_name_release (e, name, id);
    }
  eng_ctr_free (c);
  img_image_clear (&img);
  img_record_clear (&rec);
  return ret;
}

/* ---- start: the monitor ---- */

struct ready_msg
{
  int ok;
  pid_t pid;
  struct hako_err_wire err;
};

int
eng_start (const struct eng_ctx *e, struct eng_ctr *c, bool wait_attach, struct hako_err **err)
{
  if (eng_ctr_running (c))
    return 0;
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return hako_error (err, errno, "pipe");
  fflush (NULL);
  pid_t child = fork ();
  if (child < 0)
    {
      close (p[0]);
      close (p[1]);
      return hako_error (err, errno, "fork the monitor");
    }
  if (child == 0)
    {
      close (p[0]);
      /* The caller is our parent until we exit: its pidfd now is its. */
      int client = (int) syscall (SYS_pidfd_open, getppid (), 0);
      setsid ();
      pid_t m = fork ();
      if (m != 0)
        _exit (m < 0 ? 1 : 0);
      eng_monitor_main (e, c->id, wait_attach, p[1], client);
    }
  close (p[1]);
  int status;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  struct ready_msg msg;
  ssize_t n;
  do
    n = read (p[0], &msg, sizeof (msg));
  while (n < 0 && errno == EINTR);
  close (p[0]);
  if (n != (ssize_t) sizeof (msg))
    {
      eng_ctr_reload (c, NULL);
      return hako_error (err, EIO, "the monitor of `%.12s` died before starting it", c->id);
    }
  if (!msg.ok)
    {
      hako_error_from_wire (err, &msg.err);
      eng_ctr_reload (c, NULL);
      return -1;
    }
  return eng_ctr_reload (c, err);
}

/* Called by the monitor (it has the report fd). */
void
eng_monitor_report (int fd, pid_t pid, const struct hako_err *err)
{
  struct ready_msg msg = { .ok = err == NULL, .pid = pid };
  if (err)
    hako_error_to_wire (err, &msg.err);
  hako_write_all (fd, &msg, sizeof (msg));
}

/* ---- kill, stop, wait ---- */

int
eng_kill (const struct eng_ctx *e, struct eng_ctr *c, int sig, struct hako_err **err)
{
  if (!eng_ctr_running (c))
    return hako_error (err, EINVAL, "cannot kill container %.12s: container is not running", c->id);
  return eng_rt_kill (e, c, sig, err);
}

/* Wait for the monitor to record the exit: it is the last thing it does
   before `--rm` cleanup and exit.  timeout_ms < 0: forever.  1 when the
   container stopped, 0 on timeout. */
static int
wait_stopped (const struct eng_ctx *e, struct eng_ctr *c, int timeout_ms)
{
  json_t *h = json_object_get (c->j, "Hako");
  pid_t mpid = (pid_t) json_integer_value (json_object_get (h, "MonitorPid"));
  int pidfd = mpid > 0 ? (int) syscall (SYS_pidfd_open, mpid, 0) : -1;
  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (;;)
    {
      if (eng_ctr_reload (c, NULL) < 0)
        {
          if (pidfd >= 0)
            close (pidfd);
          return 1; /* removed (--rm) */
        }
      if (!eng_ctr_running (c) || !eng_monitor_alive (c))
        break;
      struct timespec t;
      clock_gettime (CLOCK_MONOTONIC, &t);
      long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
      if (timeout_ms >= 0 && spent >= timeout_ms)
        {
          if (pidfd >= 0)
            close (pidfd);
          return 0;
        }
      /* The monitor exits right after recording; between, poll the file. */
      struct pollfd pf = { .fd = pidfd, .events = POLLIN };
      poll (&pf, pidfd >= 0 ? 1 : 0, 20);
    }
  if (pidfd >= 0)
    close (pidfd);
  if (eng_ctr_running (c))
    {
      /* The monitor died without recording: refresh through find. */
      struct eng_ctr *again = NULL;
      if (eng_ctr_find (e, c->id, &again, NULL) == 0)
        {
          json_decref (c->j);
          c->j = json_incref (again->j);
          eng_ctr_free (again);
        }
    }
  return 1;
}

int
eng_stop (const struct eng_ctx *e, struct eng_ctr *c, int timeout, struct hako_err **err)
{
  if (!eng_ctr_running (c))
    return 0;
  json_t *cfg = json_object_get (c->j, "Config");
  const char *signame = json_string_value (json_object_get (cfg, "StopSignal"));
  if (timeout < 0)
    {
      json_t *t = json_object_get (cfg, "StopTimeout");
      timeout = json_is_integer (t) ? (int) json_integer_value (t) : 10;
    }
  int sig = SIGTERM;
  if (signame && *signame && hako_parse_signal (signame, &sig, err) < 0)
    return hako_error_prefix (err, "stop signal of `%s`", eng_ctr_name (c));
  if (strcmp (eng_ctr_status (c), "paused") == 0)
    eng_rt_resume (e, c, NULL);
  struct hako_err *e2 = NULL;
  if (eng_rt_kill (e, c, sig, &e2) < 0)
    hako_error_free (&e2); /* it may have just exited */
  if (wait_stopped (e, c, timeout * 1000) == 1)
    return 0;
  if (eng_rt_kill (e, c, SIGKILL, &e2) < 0)
    hako_error_free (&e2);
  wait_stopped (e, c, -1);
  return 0;
}

int
eng_wait (const struct eng_ctx *e, struct eng_ctr *c, int *code, struct hako_err **err)
{
  wait_stopped (e, c, -1);
  *code = eng_ctr_exit_code (c);
  return 0;
}

void
eng_runtime_cleanup (const struct eng_ctx *e, struct eng_ctr *c, bool unmount)
{
  struct hako_err *err = NULL;
  eng_net_detach (e, c);
  if (eng_rt_delete (e, c, &err) < 0)
    {
      if (err->errno_ != ENOENT && !strstr (err->msg, "does not exist"))
        hako_log_error (err);
      hako_error_free (&err);
    }
  if (unmount && img_snapshot_unmount (e->store, c->id, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
    }
  cleanup_free char *rd = hako_path_join (e->run_root, c->id);
  hako_rm_rf (rd, NULL);
}

int
eng_remove (const struct eng_ctx *e, struct eng_ctr *c, bool force, bool volumes, struct hako_err **err)
{
  if (eng_ctr_running (c))
    {
      if (!force)
        return hako_error (err, EBUSY,
                           "cannot remove container \"/%s\": container is %s: stop the container before "
                           "removing or force remove",
                           eng_ctr_name (c), eng_ctr_status (c));
      if (strcmp (eng_ctr_status (c), "paused") == 0)
        eng_rt_resume (e, c, NULL);
      struct hako_err *e2 = NULL;
      if (eng_rt_kill (e, c, SIGKILL, &e2) < 0)
        hako_error_free (&e2);
      wait_stopped (e, c, -1);
    }
  cleanup_close int lock = eng_ctr_lock (c, err);
  if (lock < 0)
    return -1;
  struct stat st;
  cleanup_free char *rec = hako_path_join (c->dir, "container.json");
  if (stat (rec, &st) < 0)
    return 0;                        /* removed meanwhile (the monitor's --rm) */
  eng_runtime_cleanup (e, c, false); /* the snapshot's removal detaches it */
  if (img_snapshot_remove (e->store, c->id, err) < 0 && (*err)->errno_ != ENOENT)
    return -1;
  hako_error_free (err);
  if (volumes)
    {
      json_t *anon = json_object_get (json_object_get (c->j, "Hako"), "AnonymousVolumes");
      size_t i;
      json_t *v;
      /* The record goes first so the volume is no longer "in use". */
      unlink (rec);
      json_array_foreach (anon, i, v)
      {
        struct hako_err *e2 = NULL;
        if (eng_volume_remove (e, json_string_value (v), true, &e2) < 0)
          {
            hako_log_error (e2);
            hako_error_free (&e2);
          }
      }
    }
  eng_name_release (e, eng_ctr_name (c), c->id);
  return hako_rm_rf (c->dir, err);
}
