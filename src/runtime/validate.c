/* SPDX-License-Identifier: Apache-2.0 */
/* Checks that need both the config and the namespace plan: settings that
   would act on the host when the namespace that isolates them is shared
   (config.md, config-linux.md; runc's libcontainer/configs/validate). */
#include "internal.h"
#include <string.h>

/* Which namespace isolates a sysctl, or -1 when none does (then writing it
   would change the host). */
static int
sysctl_namespace (const char *key)
{
  static const char *const ipc_exact[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem", "kernel.shmall",
          "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
  for (const char *const *k = ipc_exact; *k; k++)
    if (strcmp (key, *k) == 0)
      return OCI_NS_IPC;
  if (strncmp (key, "fs.mqueue.", 10) == 0 || strncmp (key, "fs/mqueue/", 10) == 0)
    return OCI_NS_IPC;
  if (strncmp (key, "net.", 4) == 0 || strncmp (key, "net/", 4) == 0)
    return OCI_NS_NETWORK;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return OCI_NS_UTS;
  return -1;
}

int
validate_with_namespaces (const struct oci_spec *spec, const struct ns_plan *ns, struct hako_err **err)
{
  const struct oci_linux *l = spec->linux_;
  bool uts = ns->new_ns[OCI_NS_UTS] || ns->join[OCI_NS_UTS];

  if (spec->hostname && *spec->hostname && !uts)
    return hako_error (err, 0, "hostname: cannot set the hostname without a private UTS namespace");
  if (spec->domainname && *spec->domainname && !uts)
    return hako_error (err, 0, "domainname: cannot set the domainname without a private UTS namespace");
  for (size_t i = 0; l && i < l->n_sysctl; i++)
    {
      const char *key = l->sysctl[i].key;
      int k = sysctl_namespace (key);
      if (k < 0)
        return hako_error (err, 0,
                           "linux.sysctl: `%s` is not isolated by any namespace: setting it "
                           "would change the host",
                           key);
      if (!ns->new_ns[k] && !ns->join[k])
        return hako_error (err, 0,
                           "linux.sysctl: `%s` needs a private %s namespace (it would change "
                           "the host's)",
                           key, oci_ns_type_name (k));
    }
  if (ns->new_ns[OCI_NS_USER] && l && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
    return hako_error (err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  return 0;
}
