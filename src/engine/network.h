/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_NETWORK_H
#define HAKO_ENGINE_NETWORK_H

/* Container networking, the engine's side (see the networking issue).

   A network is a CNI network configuration list,
   <storage>/networks/<name>.conflist (bridge + host-local IPAM + portmap +
   firewall), with hako's own fields under "hako" (ID, subnet, gateway,
   internal, bridge name; plugins never see them).  `hako0` is the default
   network (--network bridge), made on first use.  <storage>/networks/lock
   serialises changes to networks and to the hosts files of their
   containers.

   The monitor calls attach once the runtime has created the container (its
   network namespace exists; the process waits for `start`), and every exit
   path calls detach through eng_runtime_cleanup (the monitor after the
   exit, `rm`, and the refresh after a reboot or a killed monitor).  What
   detach needs survives the monitor: <ctr>/net/<network>.json holds the
   configuration, runtime config and result of each ADD (written before
   the ADD runs), and the namespace is bind-mounted at
   <run_root>/netns/<id> until detach, so that DEL always finds it. */

#include "engine.h"
#include <stdbool.h>
#include <sys/types.h>

struct hako_err;

#define ENG_NET_DEFAULT "hako0"

/* The networking flags of run/create. */
struct eng_net_opts
{
  char **publish; /* -p [ip:][hostPort:]containerPort[/proto] */
  size_t n_publish;
  bool publish_all; /* -P: the image's ExposedPorts */
  char **dns, **dns_search, **dns_opts, **add_hosts;
  size_t n_dns, n_dns_search, n_dns_opts, n_add_hosts;
};

/* Validate the flags against the network mode (docker refuses -p with
   none and container:NAME). */
int eng_net_opts_check (const struct eng_net_opts *o, const char *network_mode, struct hako_err **err);
/* HostConfig.PortBindings, PublishAllPorts, Dns, DnsSearch, DnsOptions,
   ExtraHosts from the flags (checked before). */
void eng_net_host_config (const struct eng_net_opts *o, json_t *host_config);

/* A network name (bridge, default, or a network's), not none, host,
   container:NAME or ns:PATH. */
bool eng_net_mode_is_network (const char *mode);
/* The network a mode names exists (the default one is made here). */
int eng_net_check (const struct eng_ctx *e, const char *mode, struct hako_err **err);

/* Contents of the container's /etc/hosts before it joins a network (its
   ExtraHosts, its hostname on 127.0.1.1) and of /etc/resolv.conf from the
   host's (`host_resolv`, may be NULL) and its Dns* options. */
char *eng_net_hosts_initial (json_t *record, const char *hostname);
char *eng_net_resolv (json_t *record, const char *host_resolv);

/* Join the networks the record names (NetworkSettings.Networks, else
   HostConfig.NetworkMode), publish its ports (the monitor holds the host
   ports while the container runs, so that another program cannot take
   them), record the results under NetworkSettings.  Nothing to do for
   none, host, container:NAME and ns:PATH. */
int eng_net_attach (const struct eng_ctx *e, struct eng_ctr *c, pid_t pid, struct hako_err **err);

/* Undo all attach did; idempotent, errors logged. */
void eng_net_detach (const struct eng_ctx *e, struct eng_ctr *c);

/* `network connect|disconnect`: a running container joins or leaves a
   network at once; a stopped one on its next start. */
int eng_net_connect (const struct eng_ctx *e, struct eng_ctr *c, const char *network, struct hako_err **err);
int eng_net_disconnect (const struct eng_ctx *e, struct eng_ctr *c, const char *network,
                        struct hako_err **err);

/* ---- networks (net_config.c) ---- */

struct eng_net_create_opts
{
  const char *name;
  const char *subnet, *gateway; /* NULL: a free /24 of 10.89.0.0/16... */
  bool internal;
  char **labels; /* KEY=VALUE */
  size_t n_labels;
};

/* Refused: an existing name, a subnet that overlaps another network's or
   a route of the host, a gateway outside the subnet.  *out: its inspect
   object (may be NULL). */
int eng_net_create (const struct eng_ctx *e, const struct eng_net_create_opts *o, json_t **out,
                    struct hako_err **err);
/* docker's `network inspect` shape, with the containers attached now. */
int eng_net_inspect (const struct eng_ctx *e, const char *name, json_t **out, struct hako_err **err);
/* Every network's inspect object, sorted by name. */
int eng_net_list (const struct eng_ctx *e, json_t **out, struct hako_err **err);
/* Refused while a container uses it; the bridge and the IPAM state go too. */
int eng_net_remove (const struct eng_ctx *e, const char *name, struct hako_err **err);
/* Remove the networks no container uses (not the default); *removed: names. */
int eng_net_prune (const struct eng_ctx *e, json_t **removed, struct hako_err **err);

#endif
