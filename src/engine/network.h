/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_NETWORK_H
#define HAKO_ENGINE_NETWORK_H

/* Container networking, the engine's side (see the networking issue).  The
   monitor calls attach once the runtime has created the container (its
   network namespace exists; the process waits for `start`), and every exit
   path calls detach through eng_runtime_cleanup (the monitor after the
   exit, `rm`, and the refresh after a reboot or a killed monitor). */

#include "engine.h"
#include <sys/types.h>

struct hako_err;

/* Join the networks the record names (HostConfig.NetworkMode), publish its
   ports, record the results under NetworkSettings.  Nothing to do for
   none, host, container:NAME and ns:PATH. */
int eng_net_attach (const struct eng_ctx *e, struct eng_ctr *c, pid_t pid, struct hako_err **err);

/* Undo all attach did; idempotent, errors logged. */
void eng_net_detach (const struct eng_ctx *e, struct eng_ctr *c);

#endif
