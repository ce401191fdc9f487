/* SPDX-License-Identifier: Apache-2.0 */
/* `hako run|create|start|stop|kill|rm|wait|attach|pause|unpause|restart|
   rename`: the container lifecycle commands, docker's flags. */
#include "hako_cli.h"
#include "../engine/engine.h"
#include "../engine/network.h"
#include "../engine/rt.h"
#include "../image/image.h"
#include "../runtime/container.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
hako_engine (struct hako_ctx *ctx, struct eng_ctx *e, struct hako_err **err)
{
  if (hako_open_store (ctx, err) < 0)
    return -1;
  e->store = ctx->store;
  e->storage = ctx->storage;
  e->run_root = ctx->run_root;
  e->default_domain = ctx->default_domain;
  return 0;
}

/* docker prints engine errors as "hako: msg" and exits 125 from run. */
static int
fail_code (struct hako_err **err, int code)
{
  hako_log_error (*err);
  hako_error_free (err);
  return code;
}

/* -v SRC:DST[:OPTS]: SRC absolute is a bind, else a named volume; DST alone
   is an anonymous volume. */
static int
parse_volume (const char *spec, struct eng_mount_req *m, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *parts[3] = { NULL, NULL, NULL };
  size_t n = 0;
  char *save = NULL;
  for (char *p = strtok_r (copy, ":", &save); p && n < 3; p = strtok_r (NULL, ":", &save))
    parts[n++] = p;
  if (n == 0 || strtok_r (NULL, ":", &save))
    return hako_error (err, EINVAL, "invalid volume specification `%s`", spec);
  memset (m, 0, sizeof (*m));
  if (n == 1)
    {
      m->type = xstrdup ("volume");
      m->target = xstrdup (parts[0]);
      return 0;
    }
  m->type = xstrdup (parts[0][0] == '/' ? "bind" : "volume");
  m->source = xstrdup (parts[0]);
  m->target = xstrdup (parts[1]);
  if (strcmp (m->type, "bind") == 0)
    hako_strv_push (&m->options, &m->n_options, "create");
  if (n == 3)
    {
      char *s2 = NULL;
      for (char *o = strtok_r (parts[2], ",", &s2); o; o = strtok_r (NULL, ",", &s2))
        {
          if (strcmp (o, "ro") == 0 || strcmp (o, "readonly") == 0)
            m->readonly = true;
          else if (strcmp (o, "rw") == 0 || strcmp (o, "z") == 0 || strcmp (o, "Z") == 0)
            continue;
          else if (strcmp (o, "private") == 0 || strcmp (o, "rprivate") == 0 || strcmp (o, "shared") == 0
                   || strcmp (o, "rshared") == 0 || strcmp (o, "slave") == 0 || strcmp (o, "rslave") == 0
                   || strcmp (o, "nocopy") == 0)
            {
              if (strcmp (o, "nocopy") != 0)
                hako_strv_push (&m->options, &m->n_options, o);
            }
          else
            return hako_error (err, EINVAL, "invalid volume option `%s` in `%s`", o, spec);
        }
      /* "create" must stay last (specgen looks there). */
      if (m->n_options && strcmp (m->options[0], "create") == 0 && m->n_options > 1)
        {
          char *t = m->options[0];
          memmove (m->options, m->options + 1, (m->n_options - 1) * sizeof (char *));
          m->options[m->n_options - 1] = t;
        }
    }
  return 0;
}

/* --mount type=bind|volume|tmpfs,source=,target=,readonly,tmpfs-size=,tmpfs-mode= */
static int
parse_mount (const char *spec, struct eng_mount_req *m, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  memset (m, 0, sizeof (*m));
  char *save = NULL;
  for (char *kv = strtok_r (copy, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (kv, '=');
      const char *v = eq ? eq + 1 : "true";
      if (eq)
        *eq = '\0';
      if (strcmp (kv, "type") == 0)
        m->type = xstrdup (v);
      else if (strcmp (kv, "source") == 0 || strcmp (kv, "src") == 0)
        m->source = xstrdup (v);
      else if (strcmp (kv, "target") == 0 || strcmp (kv, "destination") == 0 || strcmp (kv, "dst") == 0)
        m->target = xstrdup (v);
      else if (strcmp (kv, "readonly") == 0 || strcmp (kv, "ro") == 0)
        m->readonly = strcmp (v, "true") == 0 || strcmp (v, "1") == 0;
      else if (strcmp (kv, "tmpfs-size") == 0)
        {
          cleanup_free char *o = xasprintf ("size=%s", v);
          hako_strv_push (&m->options, &m->n_options, o);
        }
      else if (strcmp (kv, "tmpfs-mode") == 0)
        {
          cleanup_free char *o = xasprintf ("mode=%s", v);
          hako_strv_push (&m->options, &m->n_options, o);
        }
      else if (strcmp (kv, "bind-propagation") == 0)
        hako_strv_push (&m->options, &m->n_options, v);
      else if (strcmp (kv, "volume-nocopy") == 0 || strcmp (kv, "consistency") == 0)
        continue;
      else
        return hako_error (err, EINVAL, "--mount `%s`: unknown key `%s`", spec, kv);
    }
  if (!m->type)
    m->type = xstrdup ("volume");
  if (!m->target)
    return hako_error (err, EINVAL, "--mount `%s`: target is required", spec);
  return 0;
}

static int
parse_tmpfs (const char *spec, struct eng_mount_req *m)
{
  cleanup_free char *copy = xstrdup (spec);
  memset (m, 0, sizeof (*m));
  m->type = xstrdup ("tmpfs");
  char *colon = strchr (copy, ':');
  if (colon)
    *colon = '\0';
  m->target = xstrdup (copy);
  if (colon)
    {
      char *save = NULL;
      for (char *o = strtok_r (colon + 1, ",", &save); o; o = strtok_r (NULL, ",", &save))
        if (strcmp (o, "ro") == 0)
          m->readonly = true;
        else
          hako_strv_push (&m->options, &m->n_options, o);
    }
  return 0;
}

enum
{
  OPT_NAME = 1000,
  OPT_RM,
  OPT_ENTRYPOINT,
  OPT_ENV_FILE,
  OPT_HOSTNAME,
  OPT_MOUNT,
  OPT_TMPFS,
  OPT_READ_ONLY,
  OPT_MEMORY_SWAP,
  OPT_CPUS,
  OPT_CPUSET,
  OPT_PIDS,
  OPT_ULIMIT,
  OPT_CAP_ADD,
  OPT_CAP_DROP,
  OPT_PRIVILEGED,
  OPT_SECOPT,
  OPT_DEVICE,
  OPT_INIT,
  OPT_STOP_SIGNAL,
  OPT_STOP_TIMEOUT,
  OPT_PID,
  OPT_IPC,
  OPT_UTS,
  OPT_USERNS,
  OPT_SYSCTL,
  OPT_SHM,
  OPT_PULL,
  OPT_PLATFORM,
  OPT_RUNTIME,
  OPT_NETWORK,
  OPT_LOG_OPT,
  OPT_LOG_DRIVER,
  OPT_CGROUP_PARENT,
  OPT_SIG_PROXY,
  OPT_DETACH_KEYS,
  OPT_TLS_VERIFY,
  OPT_DNS,
  OPT_DNS_SEARCH,
  OPT_DNS_OPTION,
  OPT_ADD_HOST,
};

static const struct option run_opts[] = {
  { "detach", no_argument, NULL, 'd' },
  { "interactive", no_argument, NULL, 'i' },
  { "tty", no_argument, NULL, 't' },
  { "rm", no_argument, NULL, OPT_RM },
  { "name", required_argument, NULL, OPT_NAME },
  { "env", required_argument, NULL, 'e' },
  { "env-file", required_argument, NULL, OPT_ENV_FILE },
  { "workdir", required_argument, NULL, 'w' },
  { "user", required_argument, NULL, 'u' },
  { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
  { "hostname", required_argument, NULL, 'h' },
  { "label", required_argument, NULL, 'l' },
  { "volume", required_argument, NULL, 'v' },
  { "mount", required_argument, NULL, OPT_MOUNT },
  { "tmpfs", required_argument, NULL, OPT_TMPFS },
  { "read-only", no_argument, NULL, OPT_READ_ONLY },
  { "memory", required_argument, NULL, 'm' },
  { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
  { "cpus", required_argument, NULL, OPT_CPUS },
  { "cpu-shares", required_argument, NULL, 'c' },
  { "cpuset-cpus", required_argument, NULL, OPT_CPUSET },
  { "pids-limit", required_argument, NULL, OPT_PIDS },
  { "ulimit", required_argument, NULL, OPT_ULIMIT },
  { "cap-add", required_argument, NULL, OPT_CAP_ADD },
  { "cap-drop", required_argument, NULL, OPT_CAP_DROP },
  { "privileged", no_argument, NULL, OPT_PRIVILEGED },
  { "security-opt", required_argument, NULL, OPT_SECOPT },
  { "device", required_argument, NULL, OPT_DEVICE },
  { "init", no_argument, NULL, OPT_INIT },
  { "stop-signal", required_argument, NULL, OPT_STOP_SIGNAL },
  { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
  { "pid", required_argument, NULL, OPT_PID },
  { "ipc", required_argument, NULL, OPT_IPC },
  { "uts", required_argument, NULL, OPT_UTS },
  { "userns", required_argument, NULL, OPT_USERNS },
  { "sysctl", required_argument, NULL, OPT_SYSCTL },
  { "shm-size", required_argument, NULL, OPT_SHM },
  { "pull", required_argument, NULL, OPT_PULL },
  { "platform", required_argument, NULL, OPT_PLATFORM },
  { "runtime", required_argument, NULL, OPT_RUNTIME },
  { "network", required_argument, NULL, OPT_NETWORK },
  { "net", required_argument, NULL, OPT_NETWORK },
  { "publish", required_argument, NULL, 'p' },
  { "publish-all", no_argument, NULL, 'P' },
  { "dns", required_argument, NULL, OPT_DNS },
  { "dns-search", required_argument, NULL, OPT_DNS_SEARCH },
  { "dns-option", required_argument, NULL, OPT_DNS_OPTION },
  { "dns-opt", required_argument, NULL, OPT_DNS_OPTION },
  { "add-host", required_argument, NULL, OPT_ADD_HOST },
  { "log-opt", required_argument, NULL, OPT_LOG_OPT },
  { "log-driver", required_argument, NULL, OPT_LOG_DRIVER },
  { "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
  { "sig-proxy", required_argument, NULL, OPT_SIG_PROXY },
  { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
  { "tls-verify", required_argument, NULL, OPT_TLS_VERIFY },
  { "quiet", no_argument, NULL, 'q' },
  { "help", no_argument, NULL, 1 },
  { NULL, 0, NULL, 0 },
};

struct run_flags
{
  struct eng_create_opts o;
  struct eng_net_opts net;
  bool detach, quiet, sig_proxy, tls_verify, network_set;
  const char *pull; /* missing, always, never */
};

static int
parse_run_flags (int argc, char **argv, struct run_flags *f, struct hako_err **err)
{
  struct eng_create_opts *o = &f->o;
  memset (f, 0, sizeof (*f));
  o->stop_timeout = -1;
  o->network_mode = "none";
  o->net = &f->net;
  f->pull = "missing";
  f->sig_proxy = true;
  f->tls_verify = true;
  int c;
  struct eng_mount_req m;
  while ((c = getopt_long (argc, argv, "+dite:w:u:h:l:v:m:c:qp:P", run_opts, NULL)) != -1)
    {
      switch (c)
        {
        case 'd':
          f->detach = true;
          break;
        case 'i':
          o->interactive = true;
          break;
        case 't':
          o->tty = true;
          break;
        case 'q':
          f->quiet = true;
          break;
        case OPT_RM:
          o->auto_remove = true;
          break;
        case OPT_NAME:
          o->name = optarg;
          break;
        case 'e':
          hako_strv_push (&o->env, &o->n_env, optarg);
          break;
        case OPT_ENV_FILE:
          if (hako_read_env_file (optarg, &o->env, &o->n_env, err) < 0)
            return -1;
          break;
        case 'w':
          o->workdir = optarg;
          break;
        case 'u':
          o->user = optarg;
          break;
        case OPT_ENTRYPOINT:
          o->has_entrypoint = true;
          hako_strv_push (&o->entrypoint, &o->n_entrypoint, optarg);
          break;
        case 'h':
          o->hostname = optarg;
          break;
        case 'l':
          hako_strv_push (&o->labels, &o->n_labels, optarg);
          break;
        case 'v':
        case OPT_MOUNT:
        case OPT_TMPFS:
          if ((c == 'v'         ? parse_volume (optarg, &m, err)
               : c == OPT_MOUNT ? parse_mount (optarg, &m, err)
                                : parse_tmpfs (optarg, &m))
              < 0)
            return -1;
          o->mounts = xrealloc (o->mounts, (o->n_mounts + 1) * sizeof (m));
          o->mounts[o->n_mounts++] = m;
          break;
        case OPT_READ_ONLY:
          o->read_only = true;
          break;
        case 'm':
          if (eng_parse_bytes (optarg, &o->memory, err) < 0)
            return hako_error_prefix (err, "--memory");
          break;
        case OPT_MEMORY_SWAP:
          if (strcmp (optarg, "-1") == 0)
            o->memory_swap = -1;
          else if (eng_parse_bytes (optarg, &o->memory_swap, err) < 0)
            return hako_error_prefix (err, "--memory-swap");
          break;
        case OPT_CPUS:
          {
            char *end;
            o->cpus = strtod (optarg, &end);
            if (*end || o->cpus <= 0)
              return hako_error (err, EINVAL, "--cpus `%s`: expected a positive number", optarg);
            break;
          }
        case 'c':
          {
            char *end;
            o->cpu_shares = strtoull (optarg, &end, 10);
            if (*end)
              return hako_error (err, EINVAL, "--cpu-shares `%s`: expected a number", optarg);
            break;
          }
        case OPT_CPUSET:
          o->cpuset_cpus = optarg;
          break;
        case OPT_PIDS:
          {
            char *end;
            o->pids_limit = strtoll (optarg, &end, 10);
            if (*end)
              return hako_error (err, EINVAL, "--pids-limit `%s`: expected a number", optarg);
            break;
          }
        case OPT_ULIMIT:
          hako_strv_push (&o->ulimits, &o->n_ulimits, optarg);
          break;
        case OPT_CAP_ADD:
          hako_strv_push (&o->cap_add, &o->n_cap_add, optarg);
          break;
        case OPT_CAP_DROP:
          hako_strv_push (&o->cap_drop, &o->n_cap_drop, optarg);
          break;
        case OPT_PRIVILEGED:
          o->privileged = true;
          break;
        case OPT_SECOPT:
          if (strncmp (optarg, "seccomp=", 8) == 0 || strncmp (optarg, "seccomp:", 8) == 0)
            o->seccomp = optarg + 8;
          else if (strcmp (optarg, "no-new-privileges") == 0 || strcmp (optarg, "no-new-privileges=true") == 0
                   || strcmp (optarg, "no-new-privileges:true") == 0)
            o->no_new_privs = true;
          else if (strncmp (optarg, "label=", 6) == 0 || strncmp (optarg, "label:", 6) == 0)
            {
              /* No SELinux on this host: only "disable" is meaningful. */
              if (strcmp (optarg + 6, "disable") != 0)
                return hako_error (err, ENOTSUP, "--security-opt %s: SELinux is not supported by hako yet",
                                   optarg);
            }
          else if (strncmp (optarg, "apparmor=", 9) == 0 && strcmp (optarg + 9, "unconfined") == 0)
            ;
          else
            return hako_error (err, EINVAL, "--security-opt `%s`: unknown option", optarg);
          break;
        case OPT_DEVICE:
          hako_strv_push (&o->devices, &o->n_devices, optarg);
          break;
        case OPT_INIT:
          o->init = true;
          break;
        case OPT_STOP_SIGNAL:
          o->stop_signal = optarg;
          break;
        case OPT_STOP_TIMEOUT:
          o->stop_timeout = atoi (optarg);
          break;
        case OPT_PID:
          o->pid_mode = optarg;
          break;
        case OPT_IPC:
          o->ipc_mode = optarg;
          break;
        case OPT_UTS:
          o->uts_mode = optarg;
          break;
        case OPT_USERNS:
          o->userns_mode = optarg;
          break;
        case OPT_SYSCTL:
          hako_strv_push (&o->sysctls, &o->n_sysctls, optarg);
          break;
        case OPT_SHM:
          if (eng_parse_bytes (optarg, &o->shm_size, err) < 0)
            return hako_error_prefix (err, "--shm-size");
          break;
        case OPT_PULL:
          if (strcmp (optarg, "missing") && strcmp (optarg, "always") && strcmp (optarg, "never")
              && strcmp (optarg, "newer"))
            return hako_error (err, EINVAL, "--pull `%s`: expected always, missing or never", optarg);
          f->pull = optarg;
          break;
        case OPT_PLATFORM:
          o->platform = optarg;
          break;
        case OPT_RUNTIME:
          if (optarg[0] != '/' || access (optarg, X_OK) < 0)
            return hako_error (err, ENOENT, "--runtime `%s`: not an executable absolute path", optarg);
          o->runtime = optarg;
          break;
        case OPT_NETWORK:
          o->network_mode = optarg;
          f->network_set = true;
          break;
        case 'p':
          hako_strv_push (&f->net.publish, &f->net.n_publish, optarg);
          break;
        case 'P':
          f->net.publish_all = true;
          break;
        case OPT_DNS:
          hako_strv_push (&f->net.dns, &f->net.n_dns, optarg);
          break;
        case OPT_DNS_SEARCH:
          hako_strv_push (&f->net.dns_search, &f->net.n_dns_search, optarg);
          break;
        case OPT_DNS_OPTION:
          hako_strv_push (&f->net.dns_opts, &f->net.n_dns_opts, optarg);
          break;
        case OPT_ADD_HOST:
          hako_strv_push (&f->net.add_hosts, &f->net.n_add_hosts, optarg);
          break;
        case OPT_LOG_OPT:
          if (strncmp (optarg, "max-size=", 9) == 0)
            {
              int64_t b;
              if (eng_parse_bytes (optarg + 9, &b, err) < 0)
                return hako_error_prefix (err, "--log-opt");
              o->log_max_size = optarg + 9;
            }
          else if (strncmp (optarg, "max-file=", 9) == 0)
            {
              o->log_max_file = atoi (optarg + 9);
              if (o->log_max_file < 1)
                return hako_error (err, EINVAL, "--log-opt max-file must be at least 1");
            }
          else
            return hako_error (err, EINVAL, "--log-opt `%s`: json-file knows max-size and max-file", optarg);
          break;
        case OPT_LOG_DRIVER:
          if (strcmp (optarg, "json-file") != 0)
            return hako_error (err, ENOTSUP, "--log-driver `%s`: only json-file is supported", optarg);
          break;
        case OPT_CGROUP_PARENT:
          o->cgroup_parent = optarg;
          break;
        case OPT_SIG_PROXY:
          f->sig_proxy = strcmp (optarg, "false") != 0;
          break;
        case OPT_DETACH_KEYS:
          break;
        case OPT_TLS_VERIFY:
          f->tls_verify = strcmp (optarg, "false") != 0;
          break;
        case 1:
          return hako_error (err, 0, "usage: hako run [OPTIONS] IMAGE [COMMAND] [ARG...]");
        default:
          return hako_error (err, EINVAL, "see `hako run --help`");
        }
    }
  if (optind >= argc)
    return hako_error (err, EINVAL, "\"run\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  o->image = argv[optind++];
  for (int i = optind; i < argc; i++)
    hako_strv_push (&o->cmd, &o->n_cmd, argv[i]);
  /* The default network is none; publishing a port implies the default
     bridge (hako0), as docker's default would. */
  if (!f->network_set && (f->net.n_publish || f->net.publish_all))
    o->network_mode = "bridge";
  if (eng_net_opts_check (&f->net, o->network_mode, err) < 0)
    return -1;
  if (o->auto_remove && o->log_max_file == 0)
    o->log_max_file = 1;
  return 0;
}

static void
pull_event (void *ctx, const char *subject, const char *status)
{
  fprintf (stderr, "%s: %s\n", subject, status);
}

/* --pull: the image in the store, pulled when missing (or always). */
static int
ensure_image (struct hako_ctx *ctx, struct eng_ctx *e, struct run_flags *f, struct hako_err **err)
{
  struct img_image img;
  struct img_record rec;
  bool have = strcmp (f->pull, "always") != 0
              && img_image_find (e->store, f->o.image, e->default_domain, &img, &rec, NULL) == 0;
  bool other_platform = false;
  if (have && f->o.platform)
    {
      /* docker: the local image of another platform does not count. */
      struct img_platform want;
      if (img_platform_parse (f->o.platform, &want, err) < 0)
        {
          img_image_clear (&img);
          img_record_clear (&rec);
          return hako_error_prefix (err, "--platform");
        }
      other_platform = (img.c.os && strcmp (img.c.os, want.os) != 0)
                       || (img.c.arch && strcmp (img.c.arch, want.arch) != 0)
                       || (*want.variant && img.c.variant && strcmp (img.c.variant, want.variant) != 0);
    }
  if (have)
    {
      cleanup_free char *actual
          = other_platform ? xasprintf ("%s/%s", img.c.os ? img.c.os : "?", img.c.arch ? img.c.arch : "?")
                           : NULL;
      img_image_clear (&img);
      img_record_clear (&rec);
      if (!other_platform)
        return 0;
      if (strcmp (f->pull, "never") == 0)
        return hako_error (err, ENOENT,
                           "image with reference %s was found but does not match the specified platform: "
                           "wanted %s, actual: %s",
                           f->o.image, f->o.platform, actual);
    }
  if (strcmp (f->pull, "never") == 0)
    return hako_error (err, ENOENT, "no such image: %s (and --pull never)", f->o.image);
  if (!f->quiet)
    fprintf (stderr, "Unable to find image '%s' locally\n", f->o.image);
  struct img_pull_opts po = { .platform = f->o.platform, .default_domain = e->default_domain };
  po.reg.tls_verify = f->tls_verify;
  po.ev.event = f->quiet ? NULL : pull_event;
  return img_pull (e->store, f->o.image, &po, NULL, err);
}

static void
free_flags (struct run_flags *f)
{
  struct eng_create_opts *o = &f->o;
  char **vs[] = { o->cmd,          o->env,          o->labels,  o->entrypoint,  o->cap_add, o->cap_drop,
                  o->devices,      o->sysctls,      o->ulimits, f->net.publish, f->net.dns, f->net.dns_search,
                  f->net.dns_opts, f->net.add_hosts };
  for (size_t i = 0; i < sizeof (vs) / sizeof (vs[0]); i++)
    {
      for (char **p = vs[i]; p && *p; p++)
        free (*p);
      free (vs[i]);
    }
  for (size_t i = 0; i < o->n_mounts; i++)
    {
      free (o->mounts[i].type);
      free (o->mounts[i].source);
      free (o->mounts[i].target);
      for (size_t k = 0; k < o->mounts[i].n_options; k++)
        free (o->mounts[i].options[k]);
      free (o->mounts[i].options);
    }
  free (o->mounts);
}

static int
create_common (struct hako_ctx *ctx, int argc, char **argv, struct run_flags *f, struct eng_ctx *e,
               struct eng_ctr **c, bool keep_mounted, struct hako_err **err)
{
  if (parse_run_flags (argc, argv, f, err) < 0 || hako_engine (ctx, e, err) < 0
      || ensure_image (ctx, e, f, err) < 0)
    return -1;
  f->o.keep_mounted = keep_mounted;
  return eng_create (e, &f->o, c, err);
}

int
cmd_create (struct hako_ctx *ctx, int argc, char **argv)
{
  struct run_flags f;
  struct eng_ctx e;
  struct eng_ctr *c = NULL;
  struct hako_err *err = NULL;
  int r = create_common (ctx, argc, argv, &f, &e, &c, false, &err);
  free_flags (&f);
  if (r < 0)
    return fail_code (&err, ENG_EXIT_ENGINE);
  printf ("%s\n", c->id);
  eng_ctr_free (c);
  return 0;
}

int
cmd_run (struct hako_ctx *ctx, int argc, char **argv)
{
  struct run_flags f;
  struct eng_ctx e;
  struct eng_ctr *c = NULL;
  struct hako_err *err = NULL;
  int code = 0;
  if (create_common (ctx, argc, argv, &f, &e, &c, true, &err) < 0)
    {
      free_flags (&f);
      return fail_code (&err, ENG_EXIT_ENGINE);
    }
  bool detach = f.detach, interactive = f.o.interactive, tty = f.o.tty, proxy = f.sig_proxy && !tty;
  free_flags (&f);
  if (eng_start (&e, c, !detach, &err) < 0)
    {
      code = eng_exit_code_for_error (err);
      eng_ctr_free (c);
      return fail_code (&err, code);
    }
  if (detach)
    {
      printf ("%s\n", c->id);
      eng_ctr_free (c);
      return 0;
    }
  struct eng_attach_opts ao = { .stdin_ = interactive, .tty = tty, .proxy_signals = proxy };
  if (eng_attach (&e, c, &ao, &code, &err) < 0)
    {
      int ec = eng_exit_code_for_error (err);
      eng_ctr_free (c);
      return fail_code (&err, ec);
    }
  eng_ctr_free (c);
  return code;
}

/* ---- commands on existing containers ---- */

typedef int (*ctr_fn) (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err);

/* Apply fn to each named container; print the name given on success (as
   docker does); 1 if any failed. */
static int
for_each (struct hako_ctx *ctx, int argc, char **argv, int first, ctr_fn fn, void *arg, bool print)
{
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (first >= argc)
    return hako_usage (argv[0], "requires at least 1 argument");
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  int rc = 0;
  for (int i = first; i < argc; i++)
    {
      struct eng_ctr *c = NULL;
      if (eng_ctr_find (&e, argv[i], &c, &err) < 0 || fn (&e, c, arg, &err) < 0)
        {
          hako_log_error (err);
          hako_error_free (&err);
          rc = 1;
        }
      else if (print)
        printf ("%s\n", argv[i]);
      eng_ctr_free (c);
    }
  return rc;
}

static int
parse_simple (int argc, char **argv, const char *shortopts, const struct option *longopts,
              int (*on) (int c, const char *arg, void *st), void *st)
{
  int c;
  while ((c = getopt_long (argc, argv, shortopts, longopts, NULL)) != -1)
    if (c == '?' || on (c, optarg, st) < 0)
      return -1;
  return optind;
}

struct stop_args
{
  int timeout;
  int sig;
  bool attach, force, volumes, interactive;
};

static int
on_stop_opt (int c, const char *arg, void *p)
{
  struct stop_args *a = p;
  struct hako_err *err = NULL;
  switch (c)
    {
    case 't':
      a->timeout = atoi (arg);
      return 0;
    case 's':
      if (hako_parse_signal (arg, &a->sig, &err) < 0)
        {
          hako_log_error (err);
          hako_error_free (&err);
          return -1;
        }
      return 0;
    case 'a':
      a->attach = true;
      return 0;
    case 'i':
      a->interactive = true;
      return 0;
    case 'f':
      a->force = true;
      return 0;
    case 'v':
      a->volumes = true;
      return 0;
    default:
      return -1;
    }
}

static int
do_stop (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err)
{
  struct stop_args *a = arg;
  return eng_stop (e, c, a->timeout, err);
}

static int
do_restart (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err)
{
  struct stop_args *a = arg;
  if (eng_stop (e, c, a->timeout, err) < 0)
    return -1;
  return eng_start (e, c, false, err);
}

/* stop and restart: the same flags, another action. */
static int
stop_like (struct hako_ctx *ctx, int argc, char **argv, ctr_fn fn)
{
  static const struct option lo[] = { { "time", required_argument, NULL, 't' },
                                      { "timeout", required_argument, NULL, 't' },
                                      { NULL, 0, NULL, 0 } };
  struct stop_args a = { .timeout = -1 };
  int first = parse_simple (argc, argv, "+t:", lo, on_stop_opt, &a);
  if (first < 0)
    {
      cleanup_free char *msg = xasprintf ("see `hako %s --help`", argv[0]);
      return hako_usage (argv[0], msg);
    }
  return for_each (ctx, argc, argv, first, fn, &a, true);
}

int
cmd_stop (struct hako_ctx *ctx, int argc, char **argv)
{
  return stop_like (ctx, argc, argv, do_stop);
}

int
cmd_restart (struct hako_ctx *ctx, int argc, char **argv)
{
  return stop_like (ctx, argc, argv, do_restart);
}

static int
do_kill (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err)
{
  struct stop_args *a = arg;
  return eng_kill (e, c, a->sig, err);
}

int
cmd_kill (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "signal", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 } };
  struct stop_args a = { .sig = 9 };
  int first = parse_simple (argc, argv, "+s:", lo, on_stop_opt, &a);
  if (first < 0)
    return hako_usage (argv[0], "see `hako kill --help`");
  return for_each (ctx, argc, argv, first, do_kill, &a, true);
}

static int
do_rm (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err)
{
  struct stop_args *a = arg;
  return eng_remove (e, c, a->force, a->volumes, err);
}

int
cmd_rm (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[]
      = { { "force", no_argument, NULL, 'f' }, { "volumes", no_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
  struct stop_args a = { 0 };
  int first = parse_simple (argc, argv, "+fv", lo, on_stop_opt, &a);
  if (first < 0)
    return hako_usage (argv[0], "see `hako rm --help`");
  return for_each (ctx, argc, argv, first, do_rm, &a, true);
}

static int
do_wait (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err)
{
  int code;
  if (eng_wait (e, c, &code, err) < 0)
    return -1;
  printf ("%d\n", code);
  return 0;
}

int
cmd_wait (struct hako_ctx *ctx, int argc, char **argv)
{
  return for_each (ctx, argc, argv, 1, do_wait, NULL, false);
}

static int
do_pause (struct eng_ctx *e, struct eng_ctr *c, void *arg, struct hako_err **err)
{
  bool pause = arg != NULL;
  if (pause && strcmp (eng_ctr_status (c), "running") != 0)
    return hako_error (err, EINVAL, "container %.12s is not running", c->id);
  if (!pause && strcmp (eng_ctr_status (c), "paused") != 0)
    return hako_error (err, EINVAL, "container %.12s is not paused", c->id);
  if ((pause ? eng_rt_pause (e, c, err) : eng_rt_resume (e, c, err)) < 0)
    return -1;
  cleanup_close int lock = eng_ctr_lock (c, err);
  if (lock < 0 || eng_ctr_reload (c, err) < 0)
    return -1;
  json_t *s = json_object_get (c->j, "State");
  json_object_set_new (s, "Status", json_string (pause ? "paused" : "running"));
  json_object_set_new (s, "Paused", json_boolean (pause));
  return eng_ctr_save (c, err);
}

int
cmd_pause (struct hako_ctx *ctx, int argc, char **argv)
{
  return for_each (ctx, argc, argv, 1, do_pause, (void *) 1, true);
}

int
cmd_unpause (struct hako_ctx *ctx, int argc, char **argv)
{
  return for_each (ctx, argc, argv, 1, do_pause, NULL, true);
}

int
cmd_start (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "attach", no_argument, NULL, 'a' },
                                      { "interactive", no_argument, NULL, 'i' },
                                      { NULL, 0, NULL, 0 } };
  struct stop_args a = { 0 };
  int first = parse_simple (argc, argv, "+ai", lo, on_stop_opt, &a);
  if (first < 0)
    return hako_usage (argv[0], "see `hako start --help`");
  if (first >= argc)
    return hako_usage (argv[0], "requires at least 1 argument");
  if (!a.attach)
    {
      struct eng_ctx e;
      struct hako_err *err = NULL;
      if (hako_engine (ctx, &e, &err) < 0)
        return hako_fail (&err);
      int rc = 0;
      for (int i = first; i < argc; i++)
        {
          struct eng_ctr *c = NULL;
          if (eng_ctr_find (&e, argv[i], &c, &err) < 0 || eng_start (&e, c, false, &err) < 0)
            {
              hako_log_error (err);
              hako_error_free (&err);
              rc = 1;
            }
          else
            printf ("%s\n", argv[i]);
          eng_ctr_free (c);
        }
      return rc;
    }
  if (argc - first != 1)
    return hako_usage (argv[0], "you cannot start and attach multiple containers at once");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *c = NULL;
  int code = 0;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[first], &c, &err) < 0)
    return hako_fail (&err);
  json_t *cfg = json_object_get (c->j, "Config");
  bool tty = json_is_true (json_object_get (cfg, "Tty"));
  struct eng_attach_opts ao = { .stdin_ = a.interactive, .tty = tty, .proxy_signals = !tty };
  if (eng_start (&e, c, true, &err) < 0 || eng_attach (&e, c, &ao, &code, &err) < 0)
    {
      eng_ctr_free (c);
      return hako_fail (&err);
    }
  eng_ctr_free (c);
  return code;
}

int
cmd_attach (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "no-stdin", no_argument, NULL, 'n' },
                                      { "sig-proxy", required_argument, NULL, 's' },
                                      { "detach-keys", required_argument, NULL, 'k' },
                                      { NULL, 0, NULL, 0 } };
  bool no_stdin = false, proxy = true;
  int c;
  while ((c = getopt_long (argc, argv, "+", lo, NULL)) != -1)
    if (c == 'n')
      no_stdin = true;
    else if (c == 's')
      proxy = strcmp (optarg, "false") != 0;
    else if (c != 'k')
      return hako_usage (argv[0], "see `hako attach --help`");
  if (optind != argc - 1)
    return hako_usage (argv[0], "requires exactly 1 argument");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *ctr = NULL;
  int code = 0;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[optind], &ctr, &err) < 0)
    return hako_fail (&err);
  if (!eng_ctr_running (ctr))
    {
      eng_ctr_free (ctr);
      hako_error (&err, EINVAL, "you cannot attach to a stopped container, start it first");
      return hako_fail (&err);
    }
  json_t *cfg = json_object_get (ctr->j, "Config");
  bool tty = json_is_true (json_object_get (cfg, "Tty"));
  bool open_stdin = json_is_true (json_object_get (cfg, "OpenStdin"));
  struct eng_attach_opts ao
      = { .stdin_ = open_stdin && !no_stdin, .tty = tty, .proxy_signals = proxy && !tty };
  int r = eng_attach (&e, ctr, &ao, &code, &err);
  eng_ctr_free (ctr);
  if (r < 0)
    return hako_fail (&err);
  return code;
}

int
cmd_rename (struct hako_ctx *ctx, int argc, char **argv)
{
  if (argc != 3)
    return hako_usage (argv[0], "requires exactly 2 arguments: CONTAINER NEW_NAME");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *c = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[1], &c, &err) < 0)
    return hako_fail (&err);
  const char *newname = argv[2][0] == '/' ? argv[2] + 1 : argv[2];
  cleanup_free char *old = xstrdup (eng_ctr_name (c));
  cleanup_free char *slash = xasprintf ("/%s", newname);
  int lock = -1;
  if (eng_name_reserve (&e, newname, c->id, &err) < 0)
    goto fail;
  lock = eng_ctr_lock (c, &err);
  if (lock < 0 || eng_ctr_reload (c, &err) < 0)
    {
      eng_name_release (&e, newname, c->id);
      goto fail;
    }
  json_object_set_new (c->j, "Name", json_string (slash));
  if (eng_ctr_save (c, &err) < 0)
    {
      eng_name_release (&e, newname, c->id);
      goto fail;
    }
  eng_name_release (&e, old, c->id);
  close (lock);
  eng_ctr_free (c);
  return 0;
fail:
  if (lock >= 0)
    close (lock);
  eng_ctr_free (c);
  return hako_fail (&err);
}
