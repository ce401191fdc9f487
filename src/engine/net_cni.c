/* SPDX-License-Identifier: Apache-2.0 */
/* CNI plugin execution, as libcni does it, without libcni. */
#include "net_cni.h"
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
#include <sys/wait.h>
#include <unistd.h>

static const char *
cni_path (void)
{
  const char *p = getenv ("HAKO_CNI_PATH");
  return p && *p ? p : "/usr/lib/cni:/opt/cni/bin";
}

static char *
find_plugin (const char *type)
{
  cleanup_free char *dirs = xstrdup (cni_path ());
  char *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *p = hako_path_join (d, type);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

/* Read everything from two pipes at once (a plugin may fill stderr before
   it writes its result). */
static void
drain (int out, int errfd, char **obuf, size_t *olen, char **ebuf, size_t *elen)
{
  FILE *of = open_memstream (obuf, olen), *ef = open_memstream (ebuf, elen);
  struct pollfd pf[2] = { { .fd = out, .events = POLLIN }, { .fd = errfd, .events = POLLIN } };
  while (pf[0].fd >= 0 || pf[1].fd >= 0)
    {
      if (poll (pf, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (int i = 0; i < 2; i++)
        if (pf[i].fd >= 0 && pf[i].revents)
          {
            char buf[8192];
            ssize_t n = read (pf[i].fd, buf, sizeof (buf));
            if (n < 0 && errno == EINTR)
              continue;
            if (n <= 0)
              pf[i].fd = -1;
            else
              fwrite (buf, 1, (size_t) n, i == 0 ? of : ef);
          }
    }
  fclose (of);
  fclose (ef);
}

/* One plugin, one command.  *out: its parsed stdout (NULL when empty). */
static int
exec_plugin (const char *type, const char *command, const struct eng_cni_args *a, json_t *conf, json_t **out,
             struct hako_err **err)
{
  *out = NULL;
  cleanup_free char *path = find_plugin (type);
  if (!path)
    return hako_error (err, ENOENT, "CNI plugin `%s` not found in %s (install containernetworking-plugins)",
                       type, cni_path ());
  cleanup_free char *input = json_dumps (conf, JSON_COMPACT);
  const char *oldpath = getenv ("PATH");
  /* Plugins run iptables and friends: /usr/sbin must be on PATH. */
  cleanup_free char *env_path
      = xasprintf ("PATH=%s%s/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   oldpath ? oldpath : "", oldpath ? ":" : "");
  cleanup_free char *env_cmd = xasprintf ("CNI_COMMAND=%s", command);
  cleanup_free char *env_id = xasprintf ("CNI_CONTAINERID=%s", a->container_id);
  cleanup_free char *env_ns = xasprintf ("CNI_NETNS=%s", a->netns ? a->netns : "");
  cleanup_free char *env_if = xasprintf ("CNI_IFNAME=%s", a->ifname);
  cleanup_free char *env_cp = xasprintf ("CNI_PATH=%s", cni_path ());
  char *envp[] = { env_path, env_cmd, env_id, env_ns, env_if, env_cp, NULL };
  int in[2], o[2], e[2];
  if (pipe2 (in, O_CLOEXEC) < 0)
    return hako_error (err, errno, "pipe");
  if (pipe2 (o, O_CLOEXEC) < 0)
    {
      close (in[0]), close (in[1]);
      return hako_error (err, errno, "pipe");
    }
  if (pipe2 (e, O_CLOEXEC) < 0)
    {
      close (in[0]), close (in[1]), close (o[0]), close (o[1]);
      return hako_error (err, errno, "pipe");
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (in[0], 0);
      dup2 (o[1], 1);
      dup2 (e[1], 2);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      signal (SIGPIPE, SIG_DFL);
      char *argv[] = { (char *) type, NULL };
      execve (path, argv, envp);
      _exit (127);
    }
  int saved = errno;
  close (in[0]);
  close (o[1]);
  close (e[1]);
  if (pid < 0)
    {
      close (in[1]), close (o[0]), close (e[0]);
      return hako_error (err, saved, "fork CNI plugin `%s`", type);
    }
  /* The monitor ignores SIGPIPE: a plugin that exits early gives EPIPE. */
  hako_write_all (in[1], input, strlen (input));
  close (in[1]);
  char *obuf = NULL, *ebuf = NULL;
  size_t olen = 0, elen = 0;
  drain (o[0], e[0], &obuf, &olen, &ebuf, &elen);
  close (o[0]);
  close (e[0]);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  cleanup_free char *ob = obuf, *eb = ebuf;
  json_t *j = olen ? json_loadb (obuf, olen, 0, NULL) : NULL;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    {
      *out = j;
      return 0;
    }
  /* The spec's error object: {"code", "msg", "details"}. */
  const char *msg = json_string_value (json_object_get (j, "msg"));
  const char *details = json_string_value (json_object_get (j, "details"));
  while (elen && (ebuf[elen - 1] == '\n'))
    ebuf[--elen] = '\0';
  int r = hako_error (err, EIO, "CNI plugin `%s` %s: %s%s%s", type, command,
                      msg ? msg : (elen ? ebuf : "failed"), details && *details ? ": " : "",
                      details ? details : "");
  json_decref (j);
  return r;
}

/* The configuration one plugin of the list reads: its own object with the
   list's name and cniVersion, the runtime config its capabilities ask
   for, and the previous result. */
static json_t *
plugin_conf (json_t *list, json_t *plugin, const struct eng_cni_args *a, json_t *prev)
{
  json_t *c = json_deep_copy (plugin);
  json_object_set (c, "name", json_object_get (list, "name"));
  json_object_set (c, "cniVersion", json_object_get (list, "cniVersion"));
  json_t *caps = json_object_get (plugin, "capabilities");
  if (json_is_object (caps) && a->runtime_config)
    {
      json_t *rc = json_object ();
      const char *k;
      json_t *v;
      json_object_foreach (caps, k, v)
      {
        json_t *val = json_object_get (a->runtime_config, k);
        if (json_is_true (v) && val)
          json_object_set (rc, k, val);
      }
      if (json_object_size (rc))
        json_object_set_new (c, "runtimeConfig", rc);
      else
        json_decref (rc);
    }
  if (prev)
    json_object_set (c, "prevResult", prev);
  return c;
}

int
eng_cni_add (json_t *list, const struct eng_cni_args *a, json_t **result, struct hako_err **err)
{
  json_t *plugins = json_object_get (list, "plugins");
  json_t *prev = NULL;
  size_t i;
  json_t *p;
  *result = NULL;
  json_array_foreach (plugins, i, p)
  {
    const char *type = json_string_value (json_object_get (p, "type"));
    json_t *conf = plugin_conf (list, p, a, prev);
    json_t *out = NULL;
    int r = exec_plugin (type ? type : "", "ADD", a, conf, &out, err);
    json_decref (conf);
    if (r < 0)
      {
        eng_cni_del (list, a, prev, NULL);
        json_decref (prev);
        return hako_error_prefix (err, "network `%s`", json_string_value (json_object_get (list, "name")));
      }
    if (out)
      {
        json_decref (prev);
        prev = out;
      }
  }
  *result = prev ? prev : json_object ();
  return 0;
}

int
eng_cni_del (json_t *list, const struct eng_cni_args *a, json_t *prev, struct hako_err **err)
{
  json_t *plugins = json_object_get (list, "plugins");
  int ret = 0;
  for (size_t i = json_array_size (plugins); i-- > 0;)
    {
      json_t *p = json_array_get (plugins, i);
      const char *type = json_string_value (json_object_get (p, "type"));
      json_t *conf = plugin_conf (list, p, a, prev);
      json_t *out = NULL;
      struct hako_err *e2 = NULL;
      if (exec_plugin (type ? type : "", "DEL", a, conf, &out, &e2) < 0)
        {
          if (ret == 0 && err)
            {
              *err = e2;
              e2 = NULL;
            }
          else
            hako_log_error (e2);
          hako_error_free (&e2);
          ret = -1;
        }
      json_decref (out);
      json_decref (conf);
    }
  return ret;
}
