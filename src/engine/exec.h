/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_EXEC_H
#define HAKO_ENGINE_EXEC_H

/* One more process in a running container (`exec`), and what `top` and
   `stats` read: through the built-in runtime library, or the CLI of the
   container's own runtime (`run --runtime PATH`). */

#include "engine.h"
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct hako_err;

struct eng_exec_opts
{
  char **args;
  size_t n_args;
  char **env; /* NAME=VALUE, or NAME (the caller's value, as docker) */
  size_t n_env;
  const char *user; /* user[:group], names from the container's /etc/passwd */
  const char *workdir;
  bool interactive, tty, detach, privileged;
};

/* Run the process; *code is its exit status (0 when detached).  On failure
   *code is docker's: 126 when the command cannot be invoked, 127 when it is
   not found, 1 when the container is not running. */
int eng_exec (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_exec_opts *o, int *code,
              struct hako_err **err);

/* Every pid of the running container. */
int eng_ctr_pids (const struct eng_ctx *e, struct eng_ctr *c, pid_t **pids, size_t *n, struct hako_err **err);

/* runc's stats event {"type":"stats","data":{cpu, memory, pids, blkio…}}
   of the running container; a new reference. */
int eng_ctr_stats (const struct eng_ctx *e, struct eng_ctr *c, json_t **out, struct hako_err **err);

#endif
