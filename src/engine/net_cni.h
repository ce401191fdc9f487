/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_NET_CNI_H
#define HAKO_ENGINE_NET_CNI_H

/* Executing CNI plugins (the CNI spec, "Execution protocol" and "Network
   configuration lists"): one process per plugin, the parameters in CNI_*
   environment variables, the configuration on stdin, the result (or an
   error object) on stdout.  Plugins are looked up in $HAKO_CNI_PATH, else
   /usr/lib/cni and /opt/cni/bin. */

#include <jansson.h>

struct hako_err;

struct eng_cni_args
{
  const char *container_id;
  const char *netns; /* "" when it is gone (DEL after a reboot) */
  const char *ifname;
  json_t *runtime_config; /* capability args: {"portMappings": [...]} */
};

/* ADD every plugin of the list in order, each one's result chained to the
   next as prevResult; *result is the last result.  On failure the list is
   deleted again (plugins must tolerate a DEL of what they did not add). */
int eng_cni_add (json_t *list, const struct eng_cni_args *a, json_t **result, struct hako_err **err);

/* DEL every plugin in reverse order with `prev` (the ADD's result, may be
   NULL) as prevResult; goes on after a failure, returns the first one. */
int eng_cni_del (json_t *list, const struct eng_cni_args *a, json_t *prev, struct hako_err **err);

#endif
