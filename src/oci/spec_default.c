/* SPDX-License-Identifier: Apache-2.0 */
/* The default config.json (`hako-runtime spec`): what `runc spec` writes,
   kept as the JSON itself so it reads like the file users get, and parsed
   with the same binder so it is validated like any other config. */
#include "spec.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slots, in order: devpts gid option, the /sys mount, the id mappings,
   the resources, the namespaces.  runc's `spec --rootless` (ToRootless)
   differs from the default exactly there. */
static const char default_config[]
    = "{"
      "  \"ociVersion\": \"" OCI_RUNTIME_SPEC_VERSION "\","
      "  \"process\": {"
      "    \"terminal\": true,"
      "    \"user\": { \"uid\": 0, \"gid\": 0 },"
      "    \"args\": [ \"sh\" ],"
      "    \"env\": ["
      "      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
      "      \"TERM=xterm\""
      "    ],"
      "    \"cwd\": \"/\","
      "    \"capabilities\": {"
      "      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
      "      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
      "      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
      "      \"ambient\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]"
      "    },"
      "    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],"
      "    \"noNewPrivileges\": true"
      "  },"
      "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },"
      "  \"hostname\": \"runc\","
      "  \"mounts\": ["
      "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
      "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      "      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },"
      "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
      "      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\","
      "                   \"mode=0620\"%s ] },"
      "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },"
      "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },"
      "    %s,"
      "    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\" ] }"
      "  ],"
      "  \"linux\": {"
      "    %s"
      "    %s"
      "    \"namespaces\": [ %s ],"
      "    \"maskedPaths\": ["
      "      \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
      "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
      "      \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\""
      "    ],"
      "    \"readonlyPaths\": ["
      "      \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\""
      "    ]"
      "  }"
      "}";

/* Only the host's real gid 5 (tty) makes sense for devpts; a rootless
   container cannot map it. */
static const char devpts_gid[] = ", \"gid=5\"";

static const char sys_sysfs[] = "{ \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
                                "  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }";

/* A user namespace that does not own the network namespace cannot mount
   sysfs, so the rootless default bind-mounts the host's. */
static const char sys_rbind[] = "{ \"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\","
                                "  \"options\": [ \"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }";

static const char deny_all_devices[]
    = "\"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },";

static const char namespaces_root[]
    = "{ \"type\": \"pid\" }, { \"type\": \"network\" }, { \"type\": \"ipc\" },"
      "{ \"type\": \"uts\" }, { \"type\": \"mount\" }";

/* No network namespace: an unprivileged user could not configure it. */
static const char namespaces_rootless[]
    = "{ \"type\": \"pid\" }, { \"type\": \"ipc\" }, { \"type\": \"uts\" },"
      "{ \"type\": \"mount\" }, { \"type\": \"user\" }";

struct oci_spec *
oci_spec_default (bool rootless, uid_t uid, gid_t gid)
{
  cleanup_free char *mappings = NULL;
  cleanup_free char *json = NULL;
  struct hako_err *err = NULL;
  struct oci_spec *spec = NULL;

  if (rootless)
    mappings = xasprintf ("\"uidMappings\": [ { \"containerID\": 0, \"hostID\": %u, \"size\": 1 } ],"
                          "\"gidMappings\": [ { \"containerID\": 0, \"hostID\": %u, \"size\": 1 } ],",
                          (unsigned) uid, (unsigned) gid);
  json = xasprintf (default_config, rootless ? "" : devpts_gid, rootless ? sys_rbind : sys_sysfs,
                    rootless ? mappings : "", rootless ? "" : deny_all_devices,
                    rootless ? namespaces_rootless : namespaces_root);
  /* The template is a constant checked by the unit tests: failing here is
     a bug in this file, not an input error. */
  if (oci_spec_parse (json, strlen (json), "default config", &spec, &err) < 0)
    {
      fprintf (stderr, "hako: BUG: %s\n", err->msg);
      abort ();
    }
  return spec;
}
