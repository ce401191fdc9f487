/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_EXEC_H
#define HAKO_RUNTIME_EXEC_H

/* `exec`: run one more process in a running container (runc's `exec`). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "container.h"

struct hako_err;

struct hako_exec_opts
{
  const char *id;
  /* --process FILE: a process.json.  As in runc, the flags that describe
     the process (args, tty, env, cwd, user, gids, caps, no-new-privs,
     apparmor, process-label) are then ignored. */
  const char *process_path;
  char **args; /* the command, when there is no process.json */
  size_t n_args;
  bool tty;
  char **env; /* NAME=VALUE, added to the container's env; the last one wins */
  size_t n_env;
  const char *cwd;
  const char *user; /* "uid[:gid]" */
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char **caps; /* added to bounding, effective, permitted; never inheritable */
  size_t n_caps;
  bool no_new_privs;
  const char *apparmor;
  const char *process_label;

  bool detach;
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  const char *cgroup; /* --cgroup [controllers:]path below the container's cgroup (v2) */
  bool ignore_paused;
};

/* Join every namespace and the cgroup of container `o->id`'s process and
   exec the process there.  In the foreground (o->detach false) it proxies
   the terminal when there is one and no console socket, forwards signals,
   reaps the process and stores its exit code (or 128+signal) in *exit_code;
   detached, it returns once the process has been exec'd. */
int hako_container_exec (const struct hako_runtime *rt, const struct hako_exec_opts *o, int *exit_code,
                         struct hako_err **err);

#endif
