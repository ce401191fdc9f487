/* SPDX-License-Identifier: Apache-2.0 */
/* The runc-compatible commands.  Each parses its flags and calls the
   runtime library; create and run share one option parser. */
#include "cli.h"
#include "../oci/names.h"
#include "../oci/spec.h"
#include "../runtime/seccomp.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include "hako-config.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
usage_error (struct hako_err **err, const char *cmd, const char *what)
{
  const char *usage = "";
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (strcmp (c->name, cmd) == 0)
      usage = c->usage;
  return hako_error (err, 0, "%s: %s (usage: hako-runtime %s %s)", cmd, what, cmd, usage);
}

/* Parse flags of one command; returns the index of the first argument. */
#define PARSE_BEGIN(opts)                                                                                    \
  optind = 0;                                                                                                \
  opterr = 0;                                                                                                \
  for (int o_; (o_ = getopt_long_only (argc, argv, "+", opts, NULL)) != -1;)                                 \
    switch (o_)                                                                                              \
      {
#define PARSE_END(cmd)                                                                                       \
  default:                                                                                                   \
    return usage_error (err, cmd, optopt ? "missing or bad option value" : "unknown option");                \
    }

/* ---- create / run ---- */

enum
{
  O_BUNDLE = 1,
  O_CONFIG,
  O_PIDFILE,
  O_CONSOLE,
  O_PRESERVE,
  O_NOPIVOT,
  O_NOKEYRING,
  O_DETACH,
  O_KEEP,
  O_NOSUBREAPER,
  O_FORCE,
  O_ALL,
  O_FORMAT,
  O_QUIET,
  O_ROOTLESS,
};

static const struct option create_opts[] = {
  { "bundle", required_argument, NULL, O_BUNDLE },
  { "b", required_argument, NULL, O_BUNDLE },
  { "config", required_argument, NULL, O_CONFIG },
  { "pid-file", required_argument, NULL, O_PIDFILE },
  { "console-socket", required_argument, NULL, O_CONSOLE },
  { "preserve-fds", required_argument, NULL, O_PRESERVE },
  { "no-pivot", no_argument, NULL, O_NOPIVOT },
  { "no-new-keyring", no_argument, NULL, O_NOKEYRING },
  { "detach", no_argument, NULL, O_DETACH },
  { "d", no_argument, NULL, O_DETACH },
  { "keep", no_argument, NULL, O_KEEP },
  { "no-subreaper", no_argument, NULL, O_NOSUBREAPER },
  { NULL, 0, NULL, 0 },
};

static int
parse_create (const char *cmd, int argc, char **argv, struct hako_create_opts *o, bool *detach, bool *keep,
              struct hako_err **err)
{
  char *end;
  PARSE_BEGIN (create_opts)
case O_BUNDLE:
  o->bundle = optarg;
  break;
case O_CONFIG:
  o->config_path = optarg;
  break;
case O_PIDFILE:
  o->pid_file = optarg;
  break;
case O_CONSOLE:
  o->console_socket = optarg;
  break;
case O_PRESERVE:
  errno = 0;
  o->preserve_fds = (int) strtol (optarg, &end, 10);
  if (*end || errno || o->preserve_fds < 0 || o->preserve_fds > 65536)
    return hako_error (err, 0, "%s: --preserve-fds: invalid number `%s`", cmd, optarg);
  break;
case O_NOPIVOT:
  o->no_pivot = true;
  break;
case O_NOKEYRING:
  o->no_new_keyring = true;
  break;
case O_DETACH:
  if (detach == NULL)
    return usage_error (err, cmd, "unknown option `--detach`");
  *detach = true;
  break;
case O_KEEP:
  if (keep == NULL)
    return usage_error (err, cmd, "unknown option `--keep`");
  *keep = true;
  break;
case O_NOSUBREAPER:
  break;
  PARSE_END (cmd)
  if (optind != argc - 1)
    return usage_error (err, cmd, optind >= argc ? "container id missing" : "too many arguments");
  o->id = argv[optind];
  return 0;
}

static int
cmd_create (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  struct hako_create_opts o = { 0 };
  if (parse_create ("create", argc, argv, &o, NULL, NULL, err) < 0)
    return -1;
  return hako_container_create (&g->rt, &o, err);
}

static int
cmd_run (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  struct hako_create_opts o = { 0 };
  bool detach = false, keep = false;
  int code;
  if (parse_create ("run", argc, argv, &o, &detach, &keep, err) < 0)
    return -1;
  if (hako_container_run (&g->rt, &o, detach, keep, &code, err) < 0)
    return -1;
  return code;
}

/* ---- commands taking just an id ---- */

static int
one_id (const char *cmd, int argc, char **argv, const char **id, struct hako_err **err)
{
  static const struct option none[] = { { NULL, 0, NULL, 0 } };
  PARSE_BEGIN (none)
  PARSE_END (cmd)
  if (optind != argc - 1)
    return usage_error (err, cmd, optind >= argc ? "container id missing" : "too many arguments");
  *id = argv[optind];
  return 0;
}

static int
cmd_start (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  const char *id;
  if (one_id ("start", argc, argv, &id, err) < 0)
    return -1;
  return hako_container_start (&g->rt, id, err);
}

/* `state` prints the OCI state plus runc's extra fields (rootfs, created,
   owner), which go-runc and conmon read. */
static json_t *
state_json (const struct oci_state *st)
{
  cleanup_free char *oci = oci_state_to_json (st, true, 0);
  json_t *j = json_loads (oci, 0, NULL);
  struct passwd *pw = getpwuid (st->owner);
  if (j == NULL)
    return NULL;
  if (json_object_get (j, "pid") == NULL)
    json_object_set_new (j, "pid", json_integer (st->pid));
  json_object_set_new (j, "rootfs", json_string (st->rootfs ? st->rootfs : ""));
  json_object_set_new (j, "created", json_string (st->created ? st->created : ""));
  json_object_set_new (j, "owner", json_string (pw ? pw->pw_name : ""));
  return j;
}

static int
cmd_state (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  const char *id;
  struct oci_state *st = NULL;
  if (one_id ("state", argc, argv, &id, err) < 0 || hako_container_state (&g->rt, id, &st, err) < 0)
    return -1;
  json_t *j = state_json (st);
  char *s = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  printf ("%s\n", s);
  free (s);
  json_decref (j);
  oci_state_free (st);
  return 0;
}

static int
cmd_list (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, O_FORMAT },
    { "f", required_argument, NULL, O_FORMAT },
    { "quiet", no_argument, NULL, O_QUIET },
    { "q", no_argument, NULL, O_QUIET },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "table";
  bool quiet = false;
  struct oci_state **v = NULL;
  size_t n = 0;

  PARSE_BEGIN (opts)
case O_FORMAT:
  format = optarg;
  break;
case O_QUIET:
  quiet = true;
  break;
  PARSE_END ("list")
  if (strcmp (format, "table") && strcmp (format, "json"))
    return hako_error (err, 0, "list: --format: unknown format `%s` (table or json)", format);
  if (hako_container_list (&g->rt, &v, &n, err) < 0)
    return -1;
  if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", v[i]->id);
  else if (strcmp (format, "json") == 0)
    {
      json_t *arr = json_array ();
      for (size_t i = 0; i < n; i++)
        json_array_append_new (arr, state_json (v[i]));
      char *s = json_dumps (arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
      printf ("%s\n", s);
      free (s);
      json_decref (arr);
    }
  else
    {
      printf ("%-12s %-10s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (size_t i = 0; i < n; i++)
        {
          struct passwd *pw = getpwuid (v[i]->owner);
          printf ("%-12s %-10d %-10s %-40s %-32s %s\n", v[i]->id, v[i]->pid, v[i]->status, v[i]->bundle,
                  v[i]->created ? v[i]->created : "", pw ? pw->pw_name : "");
        }
    }
  hako_state_list_free (v, n);
  return 0;
}

static int
cmd_kill (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, O_ALL },
    { "a", no_argument, NULL, O_ALL },
    { NULL, 0, NULL, 0 },
  };
  bool all = false;
  int sig = 15;

  PARSE_BEGIN (opts)
case O_ALL:
  all = true;
  break;
  PARSE_END ("kill")
  if (optind >= argc)
    return usage_error (err, "kill", "container id missing");
  if (argc - optind > 2)
    return usage_error (err, "kill", "too many arguments");
  if (argc - optind == 2 && hako_parse_signal (argv[optind + 1], &sig, err) < 0)
    return hako_error_prefix (err, "kill");
  return hako_container_kill (&g->rt, argv[optind], sig, all, err);
}

static int
cmd_delete (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, O_FORCE },
    { "f", no_argument, NULL, O_FORCE },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;

  PARSE_BEGIN (opts)
case O_FORCE:
  force = true;
  break;
  PARSE_END ("delete")
  if (optind >= argc)
    return usage_error (err, "delete", "container id missing");
  /* runc deletes several ids in one call. */
  int ret = 0;
  for (int i = optind; i < argc; i++)
    {
      struct hako_err *e = NULL;
      if (hako_container_delete (&g->rt, argv[i], force, &e) < 0)
        {
          /* --force on a container that is already gone succeeds, as runc. */
          if (force && e && strstr (e->msg, "does not exist"))
            {
              hako_error_free (&e);
              continue;
            }
          if (argc - optind == 1)
            {
              *err = e;
              return -1;
            }
          hako_log_error (e);
          hako_error_free (&e);
          ret = 1;
        }
    }
  return ret;
}

/* ---- spec, features ---- */

static int
cmd_spec (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, O_BUNDLE },
    { "b", required_argument, NULL, O_BUNDLE },
    { "rootless", no_argument, NULL, O_ROOTLESS },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;

  PARSE_BEGIN (opts)
case O_BUNDLE:
  bundle = optarg;
  break;
case O_ROOTLESS:
  rootless = true;
  break;
  PARSE_END ("spec")
  if (optind != argc)
    return usage_error (err, "spec", "too many arguments");
  (void) g;
  cleanup_free char *path = hako_path_join (bundle, "config.json");
  if (access (path, F_OK) == 0)
    return hako_error (err, 0, "spec: `%s` exists: remove it first", path);
  struct oci_spec *spec = oci_spec_default (rootless, geteuid (), getegid ());
  cleanup_free char *json = oci_spec_to_json (spec, 2);
  oci_spec_free (spec);
  size_t len = strlen (json);
  cleanup_free char *out = xasprintf ("%s\n", json);
  if (hako_write_file_atomic (path, out, len + 1, 0644, err) < 0)
    return hako_error_prefix (err, "spec");
  return 0;
}

static json_t *
strv_json (const char *const *v)
{
  json_t *a = json_array ();
  for (; v && *v; v++)
    json_array_append_new (a, json_string (*v));
  return a;
}

/* features.md linux.seccomp: what this build (actions, operators, archs
   libseccomp knows) and the running kernel (supportedFlags) support. */
static json_t *
seccomp_features (void)
{
  if (!hako_seccomp_enabled ())
    return json_pack ("{s:b}", "enabled", 0);
  json_t *supported = json_array ();
  for (const char *const *f = hako_seccomp_flags; *f; f++)
    if (hako_seccomp_flag_supported (*f))
      json_array_append_new (supported, json_string (*f));
  return json_pack ("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
                    strv_json (hako_seccomp_actions), "operators", strv_json (hako_seccomp_operators),
                    "archs", strv_json (hako_seccomp_archs ()), "knownFlags", strv_json (hako_seccomp_flags),
                    "supportedFlags", supported);
}

static int
cmd_features (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const char *const hooks[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL };
  static const char *const nss[]
      = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
  const char *id_unused;
  (void) g;
  (void) id_unused;
  if (argc > 1)
    return usage_error (err, "features", "too many arguments");

  json_t *caps = json_array ();
  for (int i = 0; i <= OCI_CAP_LAST; i++)
    json_array_append_new (caps, json_string (oci_cap_name (i)));
  json_t *linux_ = json_pack (
      "{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}}", "namespaces",
      strv_json (nss), "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0,
      "rdma", 1, "seccomp", seccomp_features (), "apparmor", "enabled", 0, "selinux", "enabled", 0,
      "intelRdt", "enabled", 0, "mountExtensions", "idmap", "enabled", 0);
  /* idmapped mounts are refused by mount.c: not listed. */
  json_t *mount_opts = json_array ();
  for (const char *const *m = oci_known_mount_options; *m; m++)
    if (strcmp (*m, "idmap") != 0 && strcmp (*m, "ridmap") != 0)
      json_array_append_new (mount_opts, json_string (*m));
  json_t *j = json_pack ("{s:s, s:s, s:o, s:o, s:o, s:{s:s}}", "ociVersionMin", "1.0.0", "ociVersionMax",
                         OCI_RUNTIME_SPEC_VERSION, "hooks", strv_json (hooks), "mountOptions", mount_opts,
                         "linux", linux_, "annotations", "org.hako.runtime.version", HAKO_VERSION);
  char *s = json_dumps (j, JSON_INDENT (4) | JSON_PRESERVE_ORDER);
  printf ("%s\n", s);
  free (s);
  json_decref (j);
  return 0;
}

/* Commands that later issues implement: say so plainly instead of
   pretending (containerd and podman show this message to their user). */
static int
cmd_not_yet (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  (void) g;
  (void) argc;
  return hako_error (err, ENOSYS, "%s: not implemented yet in this version of hako-runtime", argv[0]);
}

const struct cli_command cli_commands[] = {
  { "create", cmd_create,
    "[--bundle DIR] [--config FILE] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] "
    "[--no-new-keyring] ID",
    "create a container (process waits for start)" },
  { "start", cmd_start, "ID", "start the user process of a created container" },
  { "run", cmd_run, "[create options] [--detach] [--keep] ID", "create and start a container" },
  { "state", cmd_state, "ID", "print the OCI state of a container" },
  { "list", cmd_list, "[--format table|json] [--quiet]", "list containers" },
  { "kill", cmd_kill, "[--all] ID [SIGNAL]", "send a signal (default SIGTERM) to the container" },
  { "delete", cmd_delete, "[--force] ID...", "delete a container and its resources" },
  { "spec", cmd_spec, "[--bundle DIR] [--rootless]", "write a default config.json" },
  { "features", cmd_features, "", "print the runtime-spec features document" },
  { "exec", cmd_exec, "[options] ID COMMAND [ARGS...] | --process FILE ID",
    "run a process in a running container" },
  { "ps", cmd_ps, "[--format table|json] ID [PS ARGS...]", "list the processes of a container" },
  { "pause", cmd_pause, "ID", "freeze every process of a container" },
  { "resume", cmd_resume, "ID", "thaw a paused container" },
  { "update", cmd_update,
    "[--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--kernel-memory N] "
    "[--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpu-rt-period N] [--cpu-rt-runtime N] "
    "[--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID",
    "change the resource limits of a container" },
  { "events", cmd_events, "[--stats] [--interval 5s] ID", "resource statistics and OOM events (JSON lines)" },
  { "checkpoint", cmd_not_yet, "", "checkpoint with CRIU (not yet)" },
  { "restore", cmd_not_yet, "", "restore with CRIU (not yet)" },
  { NULL, NULL, NULL, NULL },
};
