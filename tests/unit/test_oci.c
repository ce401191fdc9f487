/* SPDX-License-Identifier: Apache-2.0 */
/* config.json and state.json: what is accepted, what is rejected and with
   which message, and that serializing gives back what was read.

   JSON in this file is written with single quotes for readability; sq()
   turns them into double quotes before parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "src/oci/names.h"
#include "src/oci/spec.h"
#include "src/oci/state.h"
#include "src/util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------- */

static char *
sq (const char *s)
{
  char *r = xstrdup (s);
  for (char *p = r; *p; p++)
    if (*p == '\'')
      *p = '"';
  return r;
}

/* The smallest valid config; tests change one field at a time. */
static const char minimal[] = "{ 'ociVersion': '1.2.0',"
                              "  'root': { 'path': 'rootfs' },"
                              "  'process': { 'cwd': '/', 'args': [ 'sh' ],"
                              "               'user': { 'uid': 0, 'gid': 0 } },"
                              "  'linux': { 'namespaces': [ { 'type': 'pid' }, { 'type': 'mount' "
                              "} ] } }";

/* minimal with `value` (JSON, single-quoted; NULL deletes) at the
   dot-separated `path`, as runc's tests do with update_config and jq. */
static char *
patched (const char *path, const char *value)
{
  char *text = sq (minimal);
  char *keys = xstrdup (path);
  json_t *root = json_loads (text, 0, NULL);
  json_t *obj = root;
  char *save = NULL, *key = strtok_r (keys, ".", &save), *next, *out;

  assert_non_null (root);
  while ((next = strtok_r (NULL, ".", &save)) != NULL)
    {
      json_t *child = json_object_get (obj, key);
      if (child == NULL)
        {
          child = json_object ();
          json_object_set_new (obj, key, child);
        }
      obj = child;
      key = next;
    }
  if (value == NULL)
    json_object_del (obj, key);
  else
    {
      char *v = sq (value);
      json_t *jv = json_loads (v, JSON_DECODE_ANY, NULL);
      assert_non_null (jv);
      json_object_set_new (obj, key, jv);
      free (v);
    }
  out = json_dumps (root, JSON_COMPACT);
  json_decref (root);
  free (keys);
  free (text);
  return out;
}

/* The error message of parsing `json` (len bytes), or NULL if it parsed. */
static char *
spec_error_len (const char *json, size_t len)
{
  struct oci_spec *spec = NULL;
  struct hako_err *err = NULL;
  char *msg;

  if (oci_spec_parse (json, len, "config.json", &spec, &err) == 0)
    {
      assert_null (err);
      oci_spec_free (spec);
      return NULL;
    }
  assert_null (spec);
  assert_non_null (err);
  msg = xstrdup (err->msg);
  hako_error_free (&err);
  return msg;
}

static char *
spec_error (const char *json)
{
  return spec_error_len (json, strlen (json));
}

static void
expect_error_raw (const char *json, const char *expected)
{
  char *msg = spec_error (json);
  if (msg == NULL)
    fail_msg ("parsed, expected error: %s", expected);
  assert_string_equal (msg, expected);
  free (msg);
}

/* minimal, patched. */
static void
expect_patch_error (const char *path, const char *value, const char *expected)
{
  char *json = patched (path, value);
  expect_error_raw (json, expected);
  free (json);
}

static void
expect_patch_ok (const char *path, const char *value)
{
  char *json = patched (path, value);
  char *msg = spec_error (json);
  if (msg)
    fail_msg ("%s: %s", json, msg);
  free (json);
}

static struct oci_spec *
parse_ok (const char *json)
{
  struct oci_spec *spec = NULL;
  struct hako_err *err = NULL;

  if (oci_spec_parse (json, strlen (json), "config.json", &spec, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_non_null (spec);
  return spec;
}

static struct oci_spec *
parse_ok_sq (const char *json_sq)
{
  char *json = sq (json_sq);
  struct oci_spec *spec = parse_ok (json);
  free (json);
  return spec;
}

/* Same JSON value, key order aside.  jansson cannot hold integers above
   INT64_MAX, so numbers are compared as doubles (both sides alike); tests
   check the exact text of big numbers separately. */
static void
assert_json_same (const char *a, const char *b)
{
  json_error_t e;
  json_t *ja = json_loads (a, JSON_DECODE_INT_AS_REAL, &e);
  json_t *jb = json_loads (b, JSON_DECODE_INT_AS_REAL, &e);

  assert_non_null (ja);
  assert_non_null (jb);
  if (!json_equal (ja, jb))
    fail_msg ("JSON differs:\n%s\n---\n%s", a, b);
  json_decref (ja);
  json_decref (jb);
}

/* ---- fixtures -------------------------------------------------------- */

/* `runc spec` (1.1.5) with ociVersion 1.2.0. */
static const char runc_spec[]
    = "{'ociVersion':'1.2.0','process':{'terminal':true,'user':{'uid':0,'gid':0},'args':['sh'],"
      "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm'],"
      "'cwd':'/','capabilities':{"
      "'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
      "'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
      "'permitted':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
      "'ambient':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']},"
      "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPrivileges':true},"
      "'root':{'path':'rootfs','readonly':true},'hostname':'runc','mounts':["
      "{'destination':'/proc','type':'proc','source':'proc'},"
      "{'destination':'/dev','type':'tmpfs','source':'tmpfs',"
      "'options':['nosuid','strictatime','mode=755','size=65536k']},"
      "{'destination':'/dev/pts','type':'devpts','source':'devpts',"
      "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
      "{'destination':'/dev/shm','type':'tmpfs','source':'shm',"
      "'options':['nosuid','noexec','nodev','mode=1777','size=65536k']},"
      "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue',"
      "'options':['nosuid','noexec','nodev']},"
      "{'destination':'/sys','type':'sysfs','source':'sysfs',"
      "'options':['nosuid','noexec','nodev','ro']},"
      "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup',"
      "'options':['nosuid','noexec','nodev','relatime','ro']}],"
      "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}]},"
      "'namespaces':[{'type':'pid'},{'type':'network'},{'type':'ipc'},{'type':'uts'},{'type':'mount'}],"
      "'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/latency_stats',"
      "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/sys/firmware','/proc/scsi'],"
      "'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}}";

/* `runc spec --rootless` run by uid 1000, gid 1001. */
static const char runc_spec_rootless[]
    = "{'ociVersion':'1.2.0','process':{'terminal':true,'user':{'uid':0,'gid':0},'args':['sh'],"
      "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm'],"
      "'cwd':'/','capabilities':{"
      "'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
      "'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
      "'permitted':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE'],"
      "'ambient':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']},"
      "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPrivileges':true},"
      "'root':{'path':'rootfs','readonly':true},'hostname':'runc','mounts':["
      "{'destination':'/proc','type':'proc','source':'proc'},"
      "{'destination':'/dev','type':'tmpfs','source':'tmpfs',"
      "'options':['nosuid','strictatime','mode=755','size=65536k']},"
      "{'destination':'/dev/pts','type':'devpts','source':'devpts',"
      "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620']},"
      "{'destination':'/dev/shm','type':'tmpfs','source':'shm',"
      "'options':['nosuid','noexec','nodev','mode=1777','size=65536k']},"
      "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue',"
      "'options':['nosuid','noexec','nodev']},"
      "{'destination':'/sys','type':'none','source':'/sys',"
      "'options':['rbind','nosuid','noexec','nodev','ro']},"
      "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup',"
      "'options':['nosuid','noexec','nodev','relatime','ro']}],"
      "'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':1}],"
      "'gidMappings':[{'containerID':0,'hostID':1001,'size':1}],"
      "'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},{'type':'user'}],"
      "'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/latency_stats',"
      "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/sys/firmware','/proc/scsi'],"
      "'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}}";

/* Every field of the model, with values that survive a round trip as they
   are (nothing false, zero or empty where serializing would omit it). */
static const char full_config[]
    = "{ 'ociVersion': '1.2.0',"
      "  'process': {"
      "    'terminal': true,"
      "    'consoleSize': { 'height': 25, 'width': 80 },"
      "    'user': { 'uid': 1000, 'gid': 1000, 'umask': 18, 'additionalGids': [5, 6], 'username': "
      "'u' },"
      "    'args': ['/bin/app', '--flag'],"
      "    'commandLine': 'app --flag',"
      "    'env': ['PATH=/bin', 'A=b'],"
      "    'cwd': '/srv',"
      "    'capabilities': { 'bounding': ['CAP_CHOWN', 'CAP_CHECKPOINT_RESTORE'],"
      "                      'effective': ['CAP_KILL'], 'inheritable': ['CAP_SYS_ADMIN'],"
      "                      'permitted': ['CAP_KILL', 'CAP_NET_RAW'], 'ambient': ['CAP_BPF'] },"
      "    'rlimits': [ { 'type': 'RLIMIT_NOFILE', 'hard': 4096, 'soft': 1024 },"
      "                 { 'type': 'RLIMIT_CORE', 'hard': 18446744073709551615,"
      "                   'soft': 18446744073709551615 } ],"
      "    'noNewPrivileges': true,"
      "    'apparmorProfile': 'docker-default',"
      "    'oomScoreAdj': -500,"
      "    'scheduler': { 'policy': 'SCHED_DEADLINE', 'nice': -5, 'priority': 0,"
      "                   'flags': ['SCHED_FLAG_RECLAIM'], 'runtime': 10000000,"
      "                   'deadline': 20000000, 'period': 30000000 },"
      "    'selinuxLabel': 'system_u:system_r:container_t:s0',"
      "    'ioPriority': { 'class': 'IOPRIO_CLASS_BE', 'priority': 4 },"
      "    'execCPUAffinity': { 'initial': '0', 'final': '1-3' } },"
      "  'root': { 'path': '/var/lib/rootfs', 'readonly': true },"
      "  'hostname': 'box',"
      "  'domainname': 'example.org',"
      "  'mounts': ["
      "    { 'destination': '/data', 'type': 'none', 'source': '/srv/data',"
      "      'options': ['rbind', 'ro', 'idmap'],"
      "      'uidMappings': [{ 'containerID': 0, 'hostID': 100000, 'size': 65536 }],"
      "      'gidMappings': [{ 'containerID': 0, 'hostID': 200000, 'size': 65536 }] },"
      "    { 'destination': 'relative/dir', 'type': 'tmpfs', 'source': 'tmpfs' } ],"
      "  'hooks': {"
      "    'prestart': [{ 'path': '/bin/pre', 'args': ['pre', 'a'], 'env': ['X=1'], 'timeout': 5 }],"
      "    'createRuntime': [{ 'path': '/bin/cr' }],"
      "    'createContainer': [{ 'path': '/bin/cc' }],"
      "    'startContainer': [{ 'path': '/bin/sc' }],"
      "    'poststart': [{ 'path': '/bin/ps' }],"
      "    'poststop': [{ 'path': '/bin/pst', 'timeout': 1 }] },"
      "  'annotations': { 'org.example.key': 'value', 'empty': '' },"
      "  'linux': {"
      "    'uidMappings': [{ 'containerID': 0, 'hostID': 1000, 'size': 1 }],"
      "    'gidMappings': [{ 'containerID': 0, 'hostID': 1000, 'size': 1 }],"
      "    'sysctl': { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '4096' },"
      "    'resources': {"
      "      'devices': [ { 'allow': false, 'access': 'rwm' },"
      "                   { 'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rw' } ],"
      "      'memory': { 'limit': 536870912, 'reservation': 268435456, 'swap': -1, 'kernel': 0,"
      "                  'kernelTCP': 1048576, 'swappiness': 18446744073709551615,"
      "                  'disableOOMKiller': false, 'useHierarchy': true, 'checkBeforeUpdate': true },"
      "      'cpu': { 'shares': 1024, 'quota': 100000, 'burst': 1000, 'period': 100000,"
      "               'realtimeRuntime': 950000, 'realtimePeriod': 1000000, 'cpus': '0-3',"
      "               'mems': '0', 'idle': 1 },"
      "      'pids': { 'limit': 128 },"
      "      'blockIO': { 'weight': 500, 'leafWeight': 300,"
      "        'weightDevice': [{ 'major': 8, 'minor': 0, 'weight': 600, 'leafWeight': 200 }],"
      "        'throttleReadBpsDevice': [{ 'major': 8, 'minor': 0, 'rate': 104857600 }],"
      "        'throttleWriteBpsDevice': [{ 'major': 8, 'minor': 16, 'rate': 52428800 }],"
      "        'throttleReadIOPSDevice': [{ 'major': 8, 'minor': 0, 'rate': 1000 }],"
      "        'throttleWriteIOPSDevice': [{ 'major': 8, 'minor': 16, 'rate': 500 }] },"
      "      'hugepageLimits': [{ 'pageSize': '2MB', 'limit': 209715200 }],"
      "      'network': { 'classID': 1048577, 'priorities': [{ 'name': 'eth0', 'priority': 500 }] },"
      "      'rdma': { 'mlx5_1': { 'hcaHandles': 3, 'hcaObjects': 10000 },"
      "                'mlx4_0': { 'hcaObjects': 1000 } },"
      "      'unified': { 'io.weight': '100', 'memory.high': 'max' } },"
      "    'cgroupsPath': '/hako/box',"
      "    'namespaces': [ { 'type': 'pid' }, { 'type': 'network', 'path': '/var/run/netns/box' },"
      "                    { 'type': 'mount' }, { 'type': 'ipc' }, { 'type': 'uts' },"
      "                    { 'type': 'user' }, { 'type': 'cgroup' }, { 'type': 'time' } ],"
      "    'devices': ["
      "      { 'path': '/dev/fuse', 'type': 'c', 'major': 10, 'minor': 229, 'fileMode': 438,"
      "        'uid': 0, 'gid': 0 },"
      "      { 'path': '/dev/sda', 'type': 'b', 'major': 8, 'minor': 0 },"
      "      { 'path': '/dev/fifo', 'type': 'p', 'major': 0, 'minor': 0 } ],"
      "    'seccomp': {"
      "      'defaultAction': 'SCMP_ACT_ERRNO',"
      "      'defaultErrnoRet': 1,"
      "      'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],"
      "      'flags': ['SECCOMP_FILTER_FLAG_LOG'],"
      "      'listenerPath': '/run/seccomp.sock',"
      "      'listenerMetadata': 'meta',"
      "      'syscalls': ["
      "        { 'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW' },"
      "        { 'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',"
      "          'args': [ { 'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ' },"
      "                    { 'index': 1, 'value': 18446744073709551615,"
      "                      'valueTwo': 9223372036854775808, 'op': 'SCMP_CMP_MASKED_EQ' } ] },"
      "        { 'names': ['mount'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38 } ] },"
      "    'rootfsPropagation': 'rslave',"
      "    'maskedPaths': ['/proc/kcore'],"
      "    'readonlyPaths': ['/proc/sys'],"
      "    'mountLabel': 'system_u:object_r:container_file_t:s0',"
      "    'intelRdt': { 'closID': 'guaranteed', 'l3CacheSchema': 'L3:0=7f0', 'memBwSchema': "
      "'MB:0=20' },"
      "    'personality': { 'domain': 'LINUX32', 'flags': ['ADDR_NO_RANDOMIZE'] },"
      "    'timeOffsets': { 'monotonic': { 'secs': -3600, 'nanosecs': 500 },"
      "                     'boottime': { 'secs': 86400 } } } }";

/* ---- good configs ---------------------------------------------------- */

static void
test_runc_spec_parses (void **state)
{
  struct oci_spec *s = parse_ok_sq (runc_spec);

  assert_string_equal (s->oci_version, "1.2.0");
  assert_string_equal (s->root->path, "rootfs");
  assert_true (s->root->readonly);
  assert_true (s->process->terminal);
  assert_int_equal (s->process->n_args, 1);
  assert_string_equal (s->process->args[0], "sh");
  assert_null (s->process->args[1]); /* NULL-terminated for execve */
  assert_int_equal (s->process->n_rlimits, 1);
  assert_int_equal (s->process->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (s->process->rlimits[0].soft, 1024);
  assert_int_equal (s->n_mounts, 7);
  assert_string_equal (s->mounts[2].destination, "/dev/pts");
  assert_int_equal (s->mounts[2].n_options, 6);
  assert_int_equal (s->linux_->n_namespaces, 5);
  assert_int_equal (s->linux_->namespaces[1].kind, OCI_NS_NETWORK);
  assert_non_null (oci_spec_namespace (s, OCI_NS_UTS));
  assert_null (oci_spec_namespace (s, OCI_NS_USER));
  assert_false (s->linux_->resources->devices[0].allow);
  assert_string_equal (s->linux_->resources->devices[0].access, "rwm");
  assert_null (s->hooks);
  assert_null (s->process->capabilities->inheritable);
  oci_spec_free (s);
}

static void
test_default_spec_is_runcs (void **state)
{
  struct oci_spec *s = oci_spec_default (false, 0, 0);
  char *json = oci_spec_to_json (s, 2);
  char *want = sq (runc_spec);

  assert_json_same (json, want);
  /* Same key order as runc (Go struct order) too. */
  assert_true (strstr (json, "\"process\"") < strstr (json, "\"root\""));
  assert_true (strstr (json, "\"root\"") < strstr (json, "\"mounts\""));
  assert_true (strstr (json, "\"hard\"") < strstr (json, "\"soft\""));
  free (want);
  free (json);
  oci_spec_free (s);
}

static void
test_default_spec_rootless_is_runcs (void **state)
{
  struct oci_spec *s = oci_spec_default (true, 1000, 1001);
  char *json = oci_spec_to_json (s, 0);
  char *want = sq (runc_spec_rootless);

  assert_json_same (json, want);
  assert_non_null (oci_spec_namespace (s, OCI_NS_USER));
  assert_null (oci_spec_namespace (s, OCI_NS_NETWORK));
  assert_null (s->linux_->resources);
  assert_int_equal (s->linux_->uid_mappings[0].host_id, 1000);
  assert_int_equal (s->linux_->gid_mappings[0].host_id, 1001);
  free (want);
  free (json);
  oci_spec_free (s);
}

static void
test_full_config_fields (void **state)
{
  struct oci_spec *s = parse_ok_sq (full_config);
  struct oci_process *p = s->process;
  struct oci_linux *l = s->linux_;
  struct oci_resources *r = l->resources;

  assert_int_equal (p->console_size->width, 80);
  assert_int_equal (p->user.uid, 1000);
  assert_true (p->user.has_umask);
  assert_int_equal (p->user.umask, 18);
  assert_int_equal (p->user.n_additional_gids, 2);
  assert_int_equal (p->user.additional_gids[1], 6);
  assert_string_equal (p->capabilities->bounding[1], "CAP_CHECKPOINT_RESTORE");
  assert_int_equal (p->rlimits[1].resource, RLIMIT_CORE);
  assert_true (p->rlimits[1].hard == UINT64_MAX);
  assert_true (p->has_oom_score_adj);
  assert_int_equal (p->oom_score_adj, -500);
  assert_true (p->scheduler->has_nice);
  assert_int_equal (p->scheduler->nice, -5);
  assert_true (p->scheduler->has_priority);
  assert_int_equal (p->scheduler->deadline, 20000000);
  assert_string_equal (p->io_priority->class_, "IOPRIO_CLASS_BE");
  assert_string_equal (p->exec_cpu_affinity->final, "1-3");
  assert_string_equal (s->mounts[1].destination, "relative/dir"); /* kept as given */
  assert_int_equal (s->mounts[0].uid_mappings[0].host_id, 100000);
  assert_int_equal (s->hooks->n_poststop, 1);
  assert_true (s->hooks->prestart[0].has_timeout);
  assert_int_equal (s->hooks->prestart[0].timeout, 5);
  assert_false (s->hooks->create_runtime[0].has_timeout);
  assert_int_equal (s->n_annotations, 2);
  assert_string_equal (s->annotations[0].key, "org.example.key");
  assert_string_equal (s->annotations[1].value, "");
  assert_string_equal (l->sysctl[0].key, "net.ipv4.ip_forward");
  assert_true (r->memory->has_swap);
  assert_int_equal (r->memory->swap, -1);
  assert_true (r->memory->swappiness == UINT64_MAX);
  assert_true (r->memory->has_disable_oom_killer);
  assert_false (r->memory->disable_oom_killer);
  assert_false (r->cpu->has_shares == false);
  assert_true (r->pids->has_limit);
  assert_int_equal (r->block_io->weight, 500);
  assert_int_equal (r->block_io->throttle_write_iops_device[0].rate, 500);
  assert_int_equal (r->n_rdma, 2);
  assert_string_equal (r->rdma[1].device, "mlx4_0");
  assert_false (r->rdma[1].has_hca_handles);
  assert_int_equal (r->rdma[1].hca_objects, 1000);
  assert_string_equal (r->unified[1].value, "max");
  assert_int_equal (r->network->class_id, 1048577);
  assert_int_equal (l->namespaces[7].kind, OCI_NS_TIME);
  assert_string_equal (oci_spec_namespace (s, OCI_NS_NETWORK)->path, "/var/run/netns/box");
  assert_true (l->devices[0].has_file_mode);
  assert_int_equal (l->devices[0].file_mode, 0666);
  assert_false (l->devices[1].has_uid);
  assert_true (l->seccomp->syscalls[1].args[1].value == UINT64_MAX);
  assert_true (l->seccomp->syscalls[1].args[1].value_two == (uint64_t) INT64_MAX + 1);
  assert_int_equal (l->seccomp->syscalls[2].errno_ret, 38);
  assert_int_equal (l->n_time_offsets, 2);
  assert_string_equal (l->time_offsets[0].clock, "monotonic");
  assert_int_equal (l->time_offsets[0].secs, -3600);
  assert_string_equal (l->intel_rdt->clos_id, "guaranteed");
  assert_string_equal (l->personality->domain, "LINUX32");
  oci_spec_free (s);
}

static void
test_full_config_round_trip (void **state)
{
  char *in = sq (full_config);
  struct oci_spec *s = parse_ok (in);
  char *out1 = oci_spec_to_json (s, 2);
  struct oci_spec *s2 = parse_ok (out1);
  char *out2 = oci_spec_to_json (s2, 2);

  assert_json_same (in, out1);      /* every field written back, none added */
  assert_string_equal (out1, out2); /* and stable */
  assert_non_null (strstr (out1, "\"hard\": 18446744073709551615"));
  assert_non_null (strstr (out1, "\"valueTwo\": 9223372036854775808"));
  assert_non_null (strstr (out1, "\"throttleReadIOPSDevice\""));
  free (out2);
  free (out1);
  free (in);
  oci_spec_free (s2);
  oci_spec_free (s);
}

static void
test_absent_optionals_are_omitted (void **state)
{
  char *in = sq (minimal);
  struct oci_spec *s = parse_ok (in);
  char *out = oci_spec_to_json (s, 0);

  assert_string_equal (out, "{\"ociVersion\":\"1.2.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
                            "\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
                            "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
                            "{\"type\":\"mount\"}]}}");
  free (out);
  free (in);
  oci_spec_free (s);
}

static void
test_unknown_fields_ignored (void **state)
{
  expect_patch_ok ("vm", "{ 'hypervisor': { 'path': 42 } }");
  expect_patch_ok ("process.futureField", "[1, 2, { 'a': null }]");
  expect_patch_ok ("linux.resources.memory.futureLimit", "'x'");
  /* null is absent, as for Go. */
  expect_patch_ok ("hostname", "null");
  expect_patch_ok ("process.capabilities", "null");
}

static void
test_accepted_edge_values (void **state)
{
  expect_patch_ok ("ociVersion", "'1.0.2-dev'");
  expect_patch_ok ("process.user", "{ 'uid': 4294967295, 'gid': 0 }");
  expect_patch_ok ("process.oomScoreAdj", "-1000");
  expect_patch_ok ("linux.devices", "[{ 'path': '/dev/p', 'type': 'p' }]");
  expect_patch_ok ("linux.resources.devices", "[{ 'allow': true, 'type': 'a', 'major': -1 }]");
  expect_patch_ok ("process.rlimits", "[{ 'type': 'RLIMIT_NPROC', 'hard': 5, 'soft': 5 }]");
  expect_patch_ok ("mounts", "[{ 'destination': 'run' }]");
}

/* ---- malformed documents --------------------------------------------- */

static void
test_syntax_errors_have_line_and_column (void **state)
{
  expect_error_raw ("{\n  \"ociVersion\": \"1.2.0\",\n  \"root\": }\n",
                    "config.json:3:11: syntax error: unexpected token near '}'");
  expect_error_raw ("{\"ociVersion\": \"1.2.0\"", "config.json:1:22: syntax error: "
                                                  "'}' expected near end of file");
  expect_error_raw ("{\"ociVersion\": \"1.2.0\",}",
                    "config.json:1:24: syntax error: string or '}' expected near '}'");
  expect_error_raw ("{} x", "config.json:1:4: syntax error: end of file expected near 'x'");
}

static void
test_empty_and_non_object_documents (void **state)
{
  expect_error_raw ("", "config.json: empty document");
  expect_error_raw (" \n\t ", "config.json: empty document");
  expect_error_raw ("[]", "config.json: expected a JSON object, got array");
  expect_error_raw ("42", "config.json: expected a JSON object, got number");
  expect_error_raw ("\"config\"", "config.json: expected a JSON object, got string");
  expect_error_raw ("null", "config.json: expected a JSON object, got null");
}

static void
test_nul_is_rejected (void **state)
{
  static const char raw[] = "{\"ociVersion\": \"1.2\0.0\"}";
  char *msg;

  expect_error_raw ("{\"ociVersion\": \"1.2.0\", \"hostname\": \"a\\u0000b\"}",
                    "config.json:1:46: syntax error: \\u0000 is not allowed in strings");
  /* A raw NUL byte inside the buffer is not the end of the document. */
  msg = spec_error_len (raw, sizeof (raw) - 1);
  assert_non_null (msg);
  assert_non_null (strstr (msg, "config.json:1:"));
  assert_non_null (strstr (msg, "syntax error: control character 0x0"));
  free (msg);
}

static void
test_invalid_utf8_is_rejected (void **state)
{
  expect_error_raw ("{\"ociVersion\": \"1.2.0\", \"hostname\": \"\xff\"}",
                    "config.json:1:37: syntax error: unable to decode byte 0xff near '\"'");
}

static void
test_duplicate_keys_are_rejected (void **state)
{
  expect_error_raw ("{\"ociVersion\": \"1.2.0\", \"ociVersion\": \"2.0.0\"}",
                    "config.json:1:36: syntax error: duplicate object key near "
                    "'\"ociVersion\"'");
}

static void
test_deep_nesting_does_not_crash (void **state)
{
  size_t depth = 10000, n = 0;
  char *json = xmalloc (2 * depth + 64);
  char *msg;

  n += sprintf (json, "{\"unknown\": ");
  memset (json + n, '[', depth);
  n += depth;
  memset (json + n, ']', depth);
  n += depth;
  strcpy (json + n, "}");
  msg = spec_error (json);
  assert_non_null (msg);
  assert_non_null (strstr (msg, "syntax error: maximum parsing depth reached"));
  free (msg);

  /* Within jansson's limit, an unknown deep field is simply ignored. */
  n = sprintf (json, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"x\":");
  memset (json + n, '[', 1000);
  memset (json + n + 1000, ']', 1000);
  strcpy (json + n + 2000, "}");
  msg = spec_error (json);
  assert_null (msg);
  free (json);
}

static void
test_very_long_strings (void **state)
{
  size_t len = 1 << 20;
  char *big = xmalloc (len + 1);
  char *json, *msg;
  struct oci_spec *s;

  memset (big, 'a', len);
  big[len] = '\0';
  json = xasprintf ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                    "\"hostname\":\"%s\"}",
                    big);
  s = parse_ok (json);
  assert_int_equal (strlen (s->hostname), len);
  oci_spec_free (s);
  free (json);

  /* An echoed value is cut short: a hostile config cannot flood the log. */
  json = xasprintf ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                    "\"process\":{\"cwd\":\"/\","
                    "\"args\":[\"a\"],\"rlimits\":[{\"type\":\"%s\",\"hard\":1,\"soft\":1}]}}",
                    big);
  msg = spec_error (json);
  assert_non_null (msg);
  assert_true (strlen (msg) < 200);
  assert_non_null (strstr (msg, "unknown rlimit \"aaaa"));
  assert_non_null (strstr (msg, "aaa...\""));
  free (msg);
  free (json);
  free (big);
}

static void
test_control_characters_are_escaped_in_messages (void **state)
{
  expect_patch_error ("process.rlimits", "[{ 'type': 'RLIMIT_\\u001b[2J', 'hard': 1, 'soft': 1 }]",
                      "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_\\x1b[2J\"");
  /* U+009B is CSI for a terminal that reads C1 controls. */
  expect_patch_error ("linux.rootfsPropagation", "'\\u009b2J\\\"'",
                      "config.json: linux.rootfsPropagation: unknown propagation "
                      "\"\\u009b2J\\\"\"");
  /* Keys from the document are part of paths: escaped too. */
  expect_patch_error ("annotations", "{ 'a\\nb': 1 }",
                      "config.json: annotations.a\\x0ab: expected string, got number");
}

/* ---- types and ranges ------------------------------------------------ */

static void
test_wrong_types (void **state)
{
  expect_patch_error ("process.args", "42",
                      "config.json: process.args: expected array of strings, got number");
  expect_patch_error ("process.args", "['sh', true]",
                      "config.json: process.args[1]: expected string, got boolean");
  expect_patch_error ("process.terminal", "'yes'",
                      "config.json: process.terminal: expected boolean, got string");
  expect_patch_error ("root", "'rootfs'", "config.json: root: expected object, got string");
  expect_patch_error ("mounts", "{}", "config.json: mounts: expected array of objects, got object");
  expect_patch_error ("mounts", "[{ 'destination': '/a' }, 'b']",
                      "config.json: mounts[1]: expected object, got string");
  expect_patch_error ("annotations", "['a']",
                      "config.json: annotations: expected object of strings, got array");
  expect_patch_error ("annotations", "{ 'k': { } }",
                      "config.json: annotations.k: expected string, got object");
  expect_patch_error ("process.user.additionalGids", "[1, 'x']",
                      "config.json: process.user.additionalGids[1]: expected integer, got string");
  expect_patch_error ("linux.resources.memory.limit", "1.5",
                      "config.json: linux.resources.memory.limit: expected integer, "
                      "got real number 1.5");
  expect_patch_error ("linux.timeOffsets", "[]",
                      "config.json: linux.timeOffsets: expected object, got array");
  expect_patch_error ("ociVersion", "1", "config.json: ociVersion: expected string, got number");
}

static void
test_integer_ranges (void **state)
{
  expect_patch_error ("process.user", "{ 'uid': -1, 'gid': 0 }",
                      "config.json: process.user.uid: -1 is out of range (0..4294967295)");
  expect_patch_error ("process.user", "{ 'uid': 0, 'gid': 4294967296 }",
                      "config.json: process.user.gid: 4294967296 is out of range (0..4294967295)");
  expect_patch_error ("linux.resources.blockIO.weight", "65536",
                      "config.json: linux.resources.blockIO.weight: 65536 is out of range "
                      "(0..65535)");
  expect_patch_error ("process.oomScoreAdj", "2147483648",
                      "config.json: process.oomScoreAdj: 2147483648 is out of range "
                      "(-2147483648..2147483647)");
  expect_patch_error ("process.oomScoreAdj", "1001",
                      "config.json: process.oomScoreAdj: 1001 is out of range (-1000..1000)");
  expect_patch_error ("process.rlimits", "[{ 'type': 'RLIMIT_CORE', 'hard': -1, 'soft': 0 }]",
                      "config.json: process.rlimits[0].hard: -1 is out of range "
                      "(0..18446744073709551615)");
}

static void
test_huge_numbers (void **state)
{
  /* Above INT64_MAX: fine for uint64, out of range for int64. */
  expect_error_raw ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":"
                    "{\"memory\":{\"limit\":9223372036854775808}}}}",
                    "config.json: linux.resources.memory.limit: 9223372036854775808 is out of "
                    "range (-9223372036854775808..9223372036854775807)");
  expect_error_raw ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                    "\"process\":{\"cwd\":\"/\","
                    "\"args\":[\"a\"],\"user\":{\"uid\":18446744073709551615,\"gid\":0}}}",
                    "config.json: process.user.uid: 18446744073709551615 is out of range "
                    "(0..4294967295)");
  /* Above UINT64_MAX: not a number anybody can hold. */
  expect_error_raw ("{\"ociVersion\":\"1.2.0\",\n\"x\": 18446744073709551616}",
                    "config.json:2:25: syntax error: too big integer near "
                    "'18446744073709551616'");
  expect_error_raw ("{\"ociVersion\":\"1.2.0\",\"x\": -9223372036854775809}",
                    "config.json:1:47: syntax error: too big negative integer near "
                    "'-9223372036854775809'");
  /* A big number inside a string is text, and line:column after a
     rewritten number stay exact. */
  expect_error_raw ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                    "\"hostname\":\"18446744073709551615\",\"x\":18446744073709551615,}",
                    "config.json:1:102: syntax error: string or '}' expected near '}'");
}

static void
test_huge_number_tags_cannot_be_forged (void **state)
{
  /* The document's own reals never alias the internal tags of big
     numbers: -1e-300 stays a real, and a real is not an integer. */
  expect_error_raw ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                    "\"x\":18446744073709551615,"
                    "\"linux\":{\"resources\":{\"memory\":{\"swappiness\":-1e-300}}}}",
                    "config.json: linux.resources.memory.swappiness: expected integer, got real "
                    "number -1e-300");
}

/* ---- validation ------------------------------------------------------ */

static void
test_required_fields (void **state)
{
  expect_patch_error ("ociVersion", NULL, "config.json: ociVersion: required field missing");
  expect_patch_error ("root", NULL, "config.json: root: required on Linux");
  expect_patch_error ("root", "{ 'readonly': true }",
                      "config.json: root.path: required field "
                      "missing");
  expect_patch_error ("process.cwd", NULL, "config.json: process.cwd: required field missing");
  expect_patch_error ("process.user", "{ 'gid': 0 }",
                      "config.json: process.user.uid: required field missing");
  expect_patch_error ("mounts", "[{ 'destination': '/a' }, { 'source': '/b' }]",
                      "config.json: mounts[1].destination: required field missing");
  expect_patch_error ("process.rlimits", "[{ 'hard': 1, 'soft': 1 }]",
                      "config.json: process.rlimits[0].type: required field missing");
  expect_patch_error ("linux.namespaces", "[{ 'path': '/proc/1/ns/pid' }]",
                      "config.json: linux.namespaces[0].type: required field missing");
  expect_patch_error ("linux.resources.devices", "[{ 'access': 'rwm' }]",
                      "config.json: linux.resources.devices[0].allow: required field missing");
  expect_patch_error ("linux.resources.hugepageLimits", "[{ 'limit': 1 }]",
                      "config.json: linux.resources.hugepageLimits[0].pageSize: required field "
                      "missing");
}

static void
test_oci_version (void **state)
{
  expect_patch_error ("ociVersion", "'2.0.0'",
                      "config.json: ociVersion: unsupported version \"2.0.0\" (want 1.x)");
  expect_patch_error ("ociVersion", "''",
                      "config.json: ociVersion: unsupported version \"\" "
                      "(want 1.x)");
}

static void
test_process (void **state)
{
  expect_patch_error ("process.cwd", "'srv'",
                      "config.json: process.cwd: must be an absolute path, got \"srv\"");
  expect_patch_error ("process.args", "[]",
                      "config.json: process.args: must have at least one "
                      "entry");
  expect_patch_error ("process.args", NULL,
                      "config.json: process.args: must have at least one "
                      "entry");
  expect_patch_error ("process.consoleSize", "{ 'height': 1 }",
                      "config.json: process.consoleSize.width: required field missing");
}

static void
test_rlimits (void **state)
{
  expect_patch_error ("process.rlimits",
                      "[{ 'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 1 },"
                      " { 'type': 'RLIMIT_FOO', 'hard': 1, 'soft': 1 }]",
                      "config.json: process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"");
  expect_patch_error ("process.rlimits",
                      "[{ 'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 1 },"
                      " { 'type': 'RLIMIT_CPU', 'hard': 1, 'soft': 1 },"
                      " { 'type': 'RLIMIT_NOFILE', 'hard': 2, 'soft': 2 }]",
                      "config.json: process.rlimits[2].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  expect_patch_error ("process.rlimits",
                      "[{ 'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 2048 "
                      "}]",
                      "config.json: process.rlimits[0]: soft limit 2048 is above hard limit 1024");
}

static void
test_capabilities (void **state)
{
  expect_patch_error ("process.capabilities", "{ 'bounding': ['CAP_KILL', 'CAP_FOO'] }",
                      "config.json: process.capabilities.bounding[1]: unknown capability "
                      "\"CAP_FOO\"");
  expect_patch_error ("process.capabilities", "{ 'ambient': ['kill'] }",
                      "config.json: process.capabilities.ambient[0]: unknown capability \"kill\"");
  expect_patch_ok ("process.capabilities", "{ 'permitted': ['CAP_CHECKPOINT_RESTORE'] }");
}

static void
test_namespaces (void **state)
{
  expect_patch_error ("linux.namespaces",
                      "[{ 'type': 'pid' }, { 'type': 'mount' }, { 'type': 'uts' }, { 'type': "
                      "'pid' }]",
                      "config.json: linux.namespaces[3]: duplicate namespace \"pid\"");
  expect_patch_error ("linux.namespaces", "[{ 'type': 'net' }]",
                      "config.json: linux.namespaces[0].type: unknown namespace type \"net\"");
  expect_patch_error ("linux.namespaces", "[{ 'type': 'network', 'path': 'netns/x' }]",
                      "config.json: linux.namespaces[0].path: must be an absolute path, got "
                      "\"netns/x\"");
  expect_patch_error ("linux.uidMappings", "[{ 'containerID': 0, 'hostID': 1000, 'size': 1 }]",
                      "config.json: linux.uidMappings: mappings need a user namespace in "
                      "linux.namespaces");
  expect_patch_error ("linux.gidMappings", "[{ 'containerID': 0, 'hostID': 1000, 'size': 1 }]",
                      "config.json: linux.gidMappings: mappings need a user namespace in "
                      "linux.namespaces");
  expect_patch_error ("linux",
                      "{ 'namespaces': [{ 'type': 'user' }],"
                      "  'uidMappings': [{ 'containerID': 0, 'size': 1 }] }",
                      "config.json: linux.uidMappings[0].hostID: required field missing");
}

static void
test_hooks (void **state)
{
  expect_patch_error ("hooks.prestart", "[{ 'path': 'hook.sh' }]",
                      "config.json: hooks.prestart[0].path: must be an absolute path, got "
                      "\"hook.sh\"");
  expect_patch_error ("hooks.poststop", "[{ 'path': '/bin/true', 'timeout': 0 }]",
                      "config.json: hooks.poststop[0].timeout: must be greater than 0, got 0");
  expect_patch_error ("hooks.createRuntime", "[{ 'args': ['x'] }]",
                      "config.json: hooks.createRuntime[0].path: required field missing");
}

static void
test_devices (void **state)
{
  expect_patch_error ("linux.devices",
                      "[{ 'path': '/dev/x', 'type': 'x', 'major': 1, 'minor': 1 "
                      "}]",
                      "config.json: linux.devices[0].type: unknown device type \"x\"");
  expect_patch_error ("linux.devices", "[{ 'path': 'dev/x', 'type': 'c', 'major': 1, 'minor': 1 }]",
                      "config.json: linux.devices[0].path: must be an absolute path, got "
                      "\"dev/x\"");
  expect_patch_error ("linux.devices", "[{ 'path': '/dev/x', 'type': 'c', 'minor': 1 }]",
                      "config.json: linux.devices[0].major: required for device type \"c\"");
  expect_patch_error ("linux.resources.devices", "[{ 'allow': true, 'access': 'rwx' }]",
                      "config.json: linux.resources.devices[0].access: invalid access \"rwx\" "
                      "(want a combination of r, w, m)");
  expect_patch_error ("linux.resources.devices", "[{ 'allow': true, 'type': 'p' }]",
                      "config.json: linux.resources.devices[0].type: unknown device type \"p\"");
}

static void
test_linux_enums (void **state)
{
  expect_patch_error ("process.scheduler", "{ 'policy': 'SCHED_FAST' }",
                      "config.json: process.scheduler.policy: unknown scheduler policy "
                      "\"SCHED_FAST\"");
  expect_patch_error ("process.ioPriority", "{ 'class': 'IOPRIO_CLASS_NONE', 'priority': 0 }",
                      "config.json: process.ioPriority.class: unknown I/O priority class "
                      "\"IOPRIO_CLASS_NONE\"");
  expect_patch_error ("process.ioPriority", "{ 'class': 'IOPRIO_CLASS_RT', 'priority': 8 }",
                      "config.json: process.ioPriority.priority: 8 is out of range (0..7)");
  expect_patch_error ("linux.rootfsPropagation", "'recursive'",
                      "config.json: linux.rootfsPropagation: unknown propagation \"recursive\"");
  expect_patch_error ("linux.timeOffsets",
                      "{ 'monotonic': { 'secs': 1 }, 'realtime': { 'secs': "
                      "1 } }",
                      "config.json: linux.timeOffsets.realtime: unknown clock \"realtime\"");
  expect_patch_error ("linux.timeOffsets", "{ 'boottime': { 'nanosecs': 1000000000 } }",
                      "config.json: linux.timeOffsets.boottime.nanosecs: 1000000000 is out of "
                      "range (0..999999999)");
  expect_patch_error ("linux.maskedPaths", "['/proc/kcore', 'proc/keys']",
                      "config.json: linux.maskedPaths[1]: must be an absolute path, got "
                      "\"proc/keys\"");
  expect_patch_error ("linux.readonlyPaths", "['']",
                      "config.json: linux.readonlyPaths[0]: must be an absolute path, got \"\"");
  expect_patch_error ("linux.personality", "{ 'domain': 'LINUX64' }",
                      "config.json: linux.personality.domain: unknown personality domain "
                      "\"LINUX64\"");
}

static void
test_seccomp (void **state)
{
  expect_patch_error ("linux.seccomp", "{ 'syscalls': [] }",
                      "config.json: linux.seccomp.defaultAction: required field missing");
  expect_patch_error ("linux.seccomp", "{ 'defaultAction': 'SCMP_ACT_DENY' }",
                      "config.json: linux.seccomp.defaultAction: unknown seccomp action "
                      "\"SCMP_ACT_DENY\"");
  expect_patch_error ("linux.seccomp",
                      "{ 'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{ 'action': "
                      "'SCMP_ACT_LOG' }] }",
                      "config.json: linux.seccomp.syscalls[0].names: required field missing");
  expect_patch_error ("linux.seccomp",
                      "{ 'defaultAction': 'SCMP_ACT_ALLOW',"
                      "  'syscalls': [{ 'names': [], 'action': 'SCMP_ACT_LOG' }] }",
                      "config.json: linux.seccomp.syscalls[0].names: must have at least one entry");
  expect_patch_error ("linux.seccomp",
                      "{ 'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{ 'names': ['read'] }] }",
                      "config.json: linux.seccomp.syscalls[0].action: required field missing");
  expect_patch_error ("linux.seccomp",
                      "{ 'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{ 'names': ['read'],"
                      "  'action': 'SCMP_ACT_ERRNO', 'args': [{ 'index': 0, 'value': 1, 'op': "
                      "'EQ' }] }] }",
                      "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "
                      "\"EQ\"");
  expect_patch_error ("linux.seccomp",
                      "{ 'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{ 'names': ['read'],"
                      "  'action': 'SCMP_ACT_ERRNO', 'args': [{ 'index': 6, 'value': 1,"
                      "  'op': 'SCMP_CMP_EQ' }] }] }",
                      "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range "
                      "(0..5)");
}

/* ---- other entry points ---------------------------------------------- */

static void
test_process_json (void **state)
{
  static const char good[] = "{ 'args': ['ls', '-l'], 'cwd': '/tmp', 'env': ['A=1'],"
                             "  'user': { 'uid': 5, 'gid': 6 }, 'terminal': false }";
  struct oci_process *p = NULL;
  struct hako_err *err = NULL;
  char *json = sq (good);

  assert_int_equal (oci_process_parse (json, strlen (json), "process.json", &p, &err), 0);
  assert_string_equal (p->args[1], "-l");
  assert_int_equal (p->user.gid, 6);
  oci_process_free (p);
  free (json);

  json = sq ("{ 'args': ['ls'] }");
  assert_true (oci_process_parse (json, strlen (json), "process.json", &p, &err) < 0);
  assert_null (p);
  assert_string_equal (err->msg, "process.json: cwd: required field missing");
  hako_error_free (&err);
  free (json);
}

static void
test_load_from_file (void **state)
{
  char path[] = "/tmp/hako-test-oci-XXXXXX";
  int fd = mkstemp (path);
  char *json = sq (runc_spec);
  struct oci_spec *s = NULL;
  struct hako_err *err = NULL;
  char *msg;

  assert_true (fd >= 0);
  assert_int_equal (write (fd, json, strlen (json)), (ssize_t) strlen (json));
  close (fd);
  assert_int_equal (oci_spec_load (path, &s, &err), 0);
  assert_string_equal (s->hostname, "runc");
  oci_spec_free (s);

  fd = open (path, O_WRONLY | O_TRUNC);
  assert_int_equal (write (fd, "{\n}", 3), 3);
  close (fd);
  assert_true (oci_spec_load (path, &s, &err) < 0);
  msg = xasprintf ("%s: ociVersion: required field missing", path);
  assert_string_equal (err->msg, msg);
  free (msg);
  hako_error_free (&err);
  unlink (path);

  assert_true (oci_spec_load ("/nonexistent/config.json", &s, &err) < 0);
  assert_int_equal (err->errno_, ENOENT);
  assert_string_equal (err->msg, "open `/nonexistent/config.json`");
  hako_error_free (&err);
  free (json);
}

/* ---- state ----------------------------------------------------------- */

static struct oci_state *
state_ok (const char *json_sq)
{
  char *json = sq (json_sq);
  struct oci_state *st = NULL;
  struct hako_err *err = NULL;

  if (oci_state_parse (json, strlen (json), "state.json", &st, &err) < 0)
    fail_msg ("%s", err->msg);
  free (json);
  return st;
}

static void
expect_state_error (const char *json_sq, const char *expected)
{
  char *json = sq (json_sq);
  struct oci_state *st = NULL;
  struct hako_err *err = NULL;

  assert_true (oci_state_parse (json, strlen (json), "state.json", &st, &err) < 0);
  assert_null (st);
  assert_string_equal (err->msg, expected);
  hako_error_free (&err);
  free (json);
}

static const char full_state[] = "{ 'ociVersion': '1.2.0', 'id': 'web', 'status': 'running', 'pid': 4242,"
                                 "  'bundle': '/srv/bundle', 'annotations': { 'a': 'b' },"
                                 "  'pidStartTime': 18446744073709551615, 'rootfs': '/srv/bundle/rootfs',"
                                 "  'created': '2024-05-01T10:00:00.123456789Z', 'owner': 1000,"
                                 "  'cgroupPath': '/hako/web', 'systemdCgroup': true, 'rootless': true,"
                                 "  'configPath': '/run/hako-runtime/web/config.json' }";

static void
test_state_round_trip (void **state)
{
  struct oci_state *st = state_ok (full_state);
  char *json = oci_state_to_json (st, false, 0);
  char *want = sq (full_state);
  struct oci_state *st2;
  char *json2;

  assert_true (st->has_pid);
  assert_int_equal (st->pid, 4242);
  assert_true (st->pid_start_time == UINT64_MAX);
  assert_true (st->systemd_cgroup);
  assert_int_equal (st->owner, 1000);
  assert_json_same (json, want);
  st2 = state_ok (json);
  json2 = oci_state_to_json (st2, false, 0);
  assert_string_equal (json, json2);
  free (json2);
  free (want);
  free (json);
  oci_state_free (st2);
  oci_state_free (st);
}

static void
test_state_oci_only_layout (void **state)
{
  struct oci_state *st = state_ok (full_state);
  char *json = oci_state_to_json (st, true, 2);

  assert_string_equal (json, "{\n"
                             "  \"ociVersion\": \"1.2.0\",\n"
                             "  \"id\": \"web\",\n"
                             "  \"status\": \"running\",\n"
                             "  \"pid\": 4242,\n"
                             "  \"bundle\": \"/srv/bundle\",\n"
                             "  \"annotations\": {\n"
                             "    \"a\": \"b\"\n"
                             "  }\n"
                             "}");
  free (json);
  oci_state_free (st);

  /* No pid (never started or gone) and no annotations: both omitted. */
  st = state_ok ("{ 'ociVersion': '1.2.0', 'id': 'web', 'status': 'stopped',"
                 "  'bundle': '/srv/bundle', 'rootless': false }");
  json = oci_state_to_json (st, true, 2);
  assert_string_equal (json, "{\n"
                             "  \"ociVersion\": \"1.2.0\",\n"
                             "  \"id\": \"web\",\n"
                             "  \"status\": \"stopped\",\n"
                             "  \"bundle\": \"/srv/bundle\"\n"
                             "}");
  free (json);
  oci_state_free (st);
}

static void
test_state_errors (void **state)
{
  expect_state_error ("{ 'ociVersion': '1.2.0', 'status': 'running', 'bundle': '/b' }",
                      "state.json: id: required field missing");
  expect_state_error ("{ 'ociVersion': '1.2.0', 'id': 'x', 'status': 'zombie', 'bundle': '/b' }",
                      "state.json: status: unknown status \"zombie\"");
  expect_state_error ("{ 'ociVersion': '1.2.0', 'id': 'x', 'status': 'created', 'bundle': 'b' }",
                      "state.json: bundle: must be an absolute path, got \"b\"");
  expect_state_error ("{ 'ociVersion': '1.2.0', 'id': 'x', 'status': 'created', 'bundle': '/b',"
                      "  'pid': -4 }",
                      "state.json: pid: must not be negative, got -4");
}

static void
test_state_non_utf8_path (void **state)
{
  /* A bundle path is bytes; it must still come out as valid JSON. */
  struct oci_state st = { .oci_version = (char *) "1.2.0",
                          .id = (char *) "x",
                          .status = (char *) "created",
                          .bundle = (char *) "/srv/caf\xe9" };
  char *json = oci_state_to_json (&st, true, 0);

  assert_string_equal (json, "{\"ociVersion\":\"1.2.0\",\"id\":\"x\",\"status\":\"created\","
                             "\"bundle\":\"/srv/caf\xef\xbf\xbd\"}");
  free (json);
}

/* ---- names ----------------------------------------------------------- */

static void
test_capability_names (void **state)
{
  assert_int_equal (oci_names_count (oci_known_capabilities), 41);
  assert_int_equal (oci_cap_from_name ("CAP_CHOWN"), CAP_CHOWN);
  assert_int_equal (oci_cap_from_name ("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  assert_int_equal (oci_cap_from_name ("CAP_CHECKPOINT_RESTORE"), 40);
  assert_int_equal (oci_cap_from_name ("CAP_FOO"), -1);
  assert_int_equal (oci_cap_from_name (NULL), -1);
  assert_string_equal (oci_cap_name (CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE");
  assert_null (oci_cap_name (41));
  assert_null (oci_cap_name (-1));
  for (int i = 0; i <= OCI_CAP_LAST; i++)
    assert_int_equal (oci_cap_from_name (oci_cap_name (i)), i);
#ifdef CAP_LAST_CAP
  assert_true (CAP_LAST_CAP <= OCI_CAP_LAST);
#endif
}

static void
test_other_names (void **state)
{
  assert_int_equal (oci_rlimit_from_name ("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  assert_int_equal (oci_rlimit_from_name ("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  assert_int_equal (oci_rlimit_from_name ("NOFILE"), -1);
  assert_string_equal (oci_rlimit_name (RLIMIT_AS), "RLIMIT_AS");
  assert_null (oci_rlimit_name (-1));
  assert_int_equal (oci_names_count (oci_known_rlimits), RLIMIT_NLIMITS);
  assert_int_equal (oci_sched_policy_from_name ("SCHED_DEADLINE"), 6);
  assert_int_equal (oci_ioprio_class_from_name ("IOPRIO_CLASS_IDLE"), 3);
  assert_int_equal (oci_names_count (oci_known_mount_options), 61);
  assert_true (oci_name_known (oci_known_mount_options, "rro"));
  assert_false (oci_name_known (oci_known_mount_options, "mode=755"));
  for (int k = 0; k < OCI_NS_COUNT; k++)
    assert_string_equal (oci_ns_type_name ((enum oci_ns_type) k), oci_known_namespaces[k]);
  assert_string_equal (oci_ns_type_name (OCI_NS_NETWORK), "network");
  assert_null (oci_ns_type_name (OCI_NS_COUNT));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_runc_spec_parses),
    cmocka_unit_test (test_default_spec_is_runcs),
    cmocka_unit_test (test_default_spec_rootless_is_runcs),
    cmocka_unit_test (test_full_config_fields),
    cmocka_unit_test (test_full_config_round_trip),
    cmocka_unit_test (test_absent_optionals_are_omitted),
    cmocka_unit_test (test_unknown_fields_ignored),
    cmocka_unit_test (test_accepted_edge_values),
    cmocka_unit_test (test_syntax_errors_have_line_and_column),
    cmocka_unit_test (test_empty_and_non_object_documents),
    cmocka_unit_test (test_nul_is_rejected),
    cmocka_unit_test (test_invalid_utf8_is_rejected),
    cmocka_unit_test (test_duplicate_keys_are_rejected),
    cmocka_unit_test (test_deep_nesting_does_not_crash),
    cmocka_unit_test (test_very_long_strings),
    cmocka_unit_test (test_control_characters_are_escaped_in_messages),
    cmocka_unit_test (test_wrong_types),
    cmocka_unit_test (test_integer_ranges),
    cmocka_unit_test (test_huge_numbers),
    cmocka_unit_test (test_huge_number_tags_cannot_be_forged),
    cmocka_unit_test (test_required_fields),
    cmocka_unit_test (test_oci_version),
    cmocka_unit_test (test_process),
    cmocka_unit_test (test_rlimits),
    cmocka_unit_test (test_capabilities),
    cmocka_unit_test (test_namespaces),
    cmocka_unit_test (test_hooks),
    cmocka_unit_test (test_devices),
    cmocka_unit_test (test_linux_enums),
    cmocka_unit_test (test_seccomp),
    cmocka_unit_test (test_process_json),
    cmocka_unit_test (test_load_from_file),
    cmocka_unit_test (test_state_round_trip),
    cmocka_unit_test (test_state_oci_only_layout),
    cmocka_unit_test (test_state_errors),
    cmocka_unit_test (test_state_non_utf8_path),
    cmocka_unit_test (test_capability_names),
    cmocka_unit_test (test_other_names),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
