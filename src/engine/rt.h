/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_RT_H
#define HAKO_ENGINE_RT_H

/* The OCI runtime behind an engine container: the built-in runtime library
   (in-process), or another runtime's CLI (`--runtime PATH`: runc, crun,
   hako-runtime) with its state under <run_root>/runtime-<basename>. */

#include "engine.h"

struct hako_err;
struct hako_runtime;

/* With the caller's stdio as the container's; *pid the container's pid. */
int eng_rt_create (const struct eng_ctx *e, struct eng_ctr *c, const char *console_socket, pid_t *pid,
                   struct hako_err **err);
int eng_rt_start (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err);
int eng_rt_kill (const struct eng_ctx *e, struct eng_ctr *c, int sig, struct hako_err **err);
/* Force: the process is killed if still there.  ENOENT when unknown. */
int eng_rt_delete (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err);
int eng_rt_pause (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err);
int eng_rt_resume (const struct eng_ctx *e, struct eng_ctr *c, struct hako_err **err);
/* The built-in runtime's handle (for exec, stats, top). */
void eng_rt_builtin (const struct eng_ctx *e, struct hako_runtime *rt, char **root_out);

#endif
