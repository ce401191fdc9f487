/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_HOOKS_H
#define HAKO_RUNTIME_HOOKS_H

#include <stddef.h>
#include "../oci/spec.h"

struct hako_err;

/* Run hooks in order (config.md "POSIX-platform Hooks"): each is fork+execve
   of hook->path with hook->args (args[0] as argv[0]; if args is empty argv is
   { path }) and hook->env (empty env if absent), the container state JSON on
   its stdin, stdout/stderr to the runtime's stderr.  A hook that exits
   non-zero, is killed, or runs past `timeout` seconds (then SIGKILLed) fails:
   the error names the stage and the hook ("prestart hook 0 `/bin/x`: exit
   status 1").  `stage` is the name used in messages. */
int hako_hooks_run (const struct oci_hook *hooks, size_t n, const char *stage, const char *state_json,
                    struct hako_err **err);

#endif
