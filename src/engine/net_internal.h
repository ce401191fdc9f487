/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_NET_INTERNAL_H
#define HAKO_ENGINE_NET_INTERNAL_H

/* Shared by network.c and net_config.c. */

#include "network.h"

/* flock of <storage>/networks/lock; close the fd to release. */
int eng_net_lock (const struct eng_ctx *e, struct hako_err **err);
/* "bridge" and "default" are the default network. */
const char *eng_net_canonical (const char *mode);
/* The conflist of a network (the default one is made on first use);
   ENOENT: "network NAME not found". */
int eng_net_load (const struct eng_ctx *e, const char *name, json_t **out, struct hako_err **err);
/* What every container has attached now: an array of
   {Id, Name, Network, IPAddress, IPPrefixLen, MacAddress} from the
   <ctr>/net/<network>.json files. */
json_t *eng_net_attachments (const struct eng_ctx *e);

#endif
