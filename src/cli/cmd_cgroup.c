/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup commands, with runc's flags and output:
     update [--resources FILE|-] [--memory N ...] ID   (containerd: --resources -, podman: --resources=FILE)
     pause ID, resume ID
     ps [--format table|json] ID [PS ARGS...]           (containerd: ps --format json)
     events [--stats] [--interval 5s] ID */
#include "cli.h"
#include "../oci/spec.h"
#include "../runtime/cgroup_ctl.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
usage (struct hako_err **err, const char *cmd, const char *what)
{
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (strcmp (c->name, cmd) == 0)
      return hako_error (err, 0, "%s: %s (usage: hako-runtime %s %s)", cmd, what, cmd, c->usage);
  return hako_error (err, 0, "%s: %s", cmd, what);
}

/* getopt over argv[0..argc), "+": stop at the first non-option (the id). */
static int
next_opt (int argc, char **argv, const struct option *opts)
{
  return getopt_long_only (argc, argv, "+", opts, NULL);
}

static void
opts_reset (void)
{
  optind = 0;
  opterr = 0;
}

static int
exactly_one_id (const char *cmd, int argc, char **argv, const char **id, struct hako_err **err)
{
  if (optind >= argc)
    return usage (err, cmd, "container id missing");
  if (optind != argc - 1)
    return usage (err, cmd, "too many arguments");
  *id = argv[optind];
  return 0;
}

/* ---- pause, resume ---- */

static int
id_only (const char *cmd, int argc, char **argv, const char **id, struct hako_err **err)
{
  static const struct option none[] = { { NULL, 0, NULL, 0 } };
  opts_reset ();
  if (next_opt (argc, argv, none) != -1)
    return usage (err, cmd, "unknown option");
  return exactly_one_id (cmd, argc, argv, id, err);
}

int
cmd_pause (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  const char *id;
  if (id_only ("pause", argc, argv, &id, err) < 0)
    return -1;
  return hako_container_pause (&g->rt, id, err);
}

int
cmd_resume (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  const char *id;
  if (id_only ("resume", argc, argv, &id, err) < 0)
    return -1;
  return hako_container_resume (&g->rt, id, err);
}

/* ---- update ---- */

/* A size as runc's update takes it (go-units RAMInBytes): "1048576",
   "512k", "100m", "1g", "1GiB"; binary multiples; "-1" for unlimited. */
static int
parse_bytes (const char *flag, const char *s, int64_t *out, struct hako_err **err)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  int64_t mult = 1;

  if (end == s || errno)
    return hako_error (err, 0, "update: --%s: invalid size `%s`", flag, s);
  switch (tolower ((unsigned char) *end))
    {
    case 'k':
      mult = 1LL << 10;
      end++;
      break;
    case 'm':
      mult = 1LL << 20;
      end++;
      break;
    case 'g':
      mult = 1LL << 30;
      end++;
      break;
    case 't':
      mult = 1LL << 40;
      end++;
      break;
    case 'p':
      mult = 1LL << 50;
      end++;
      break;
    default:
      break;
    }
  if (tolower ((unsigned char) *end) == 'i' && mult > 1)
    end++;
  if (tolower ((unsigned char) *end) == 'b')
    end++;
  if (*end || v * mult > 9.2e18 || (v < 0 && v != -1))
    return hako_error (err, 0, "update: --%s: invalid size `%s`", flag, s);
  *out = (int64_t) (v * mult);
  return 0;
}

static int
parse_int (const char *flag, const char *s, bool allow_negative, int64_t *out, struct hako_err **err)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (end == s || *end || errno || (!allow_negative && v < 0))
    return hako_error (err, 0, "update: --%s: invalid number `%s`", flag, s);
  *out = v;
  return 0;
}

enum
{
  U_RESOURCES = 1,
  U_MEMORY,
  U_SWAP,
  U_RESERVATION,
  U_KMEM,
  U_KMEM_TCP,
  U_SHARES,
  U_QUOTA,
  U_PERIOD,
  U_RT_PERIOD,
  U_RT_RUNTIME,
  U_CPUS,
  U_MEMS,
  U_PIDS,
  U_BLKIO,
  U_L3,
  U_MEMBW,
};

static const struct option update_opts[] = {
  { "resources", required_argument, NULL, U_RESOURCES },
  { "r", required_argument, NULL, U_RESOURCES },
  { "memory", required_argument, NULL, U_MEMORY },
  { "memory-swap", required_argument, NULL, U_SWAP },
  { "memory-reservation", required_argument, NULL, U_RESERVATION },
  { "kernel-memory", required_argument, NULL, U_KMEM },
  { "kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP },
  { "cpu-share", required_argument, NULL, U_SHARES },
  { "cpu-shares", required_argument, NULL, U_SHARES },
  { "cpu-quota", required_argument, NULL, U_QUOTA },
  { "cpu-period", required_argument, NULL, U_PERIOD },
  { "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
  { "cpuset-cpus", required_argument, NULL, U_CPUS },
  { "cpuset-mems", required_argument, NULL, U_MEMS },
  { "pids-limit", required_argument, NULL, U_PIDS },
  { "blkio-weight", required_argument, NULL, U_BLKIO },
  { "l3-cache-schema", required_argument, NULL, U_L3 },
  { "mem-bw-schema", required_argument, NULL, U_MEMBW },
  { NULL, 0, NULL, 0 },
};

/* Where each numeric flag goes in linux.resources, and how it is read. */
struct flag_target
{
  int opt;
  const char *section;
  const char *key;
  enum
  {
    BYTES,
    INT,
    UINT
  } kind;
};

static const struct flag_target targets[] = {
  { U_MEMORY, "memory", "limit", BYTES },
  { U_SWAP, "memory", "swap", BYTES },
  { U_RESERVATION, "memory", "reservation", BYTES },
  { U_KMEM, "memory", "kernel", BYTES },
  { U_KMEM_TCP, "memory", "kernelTCP", BYTES },
  { U_SHARES, "cpu", "shares", UINT },
  { U_QUOTA, "cpu", "quota", INT },
  { U_PERIOD, "cpu", "period", UINT },
  { U_RT_PERIOD, "cpu", "realtimePeriod", UINT },
  { U_RT_RUNTIME, "cpu", "realtimeRuntime", INT },
  { U_PIDS, "pids", "limit", INT },
  { U_BLKIO, "blockIO", "weight", UINT },
  { 0, NULL, NULL, 0 },
};

static json_t *
section (json_t *res, const char *name)
{
  json_t *s = json_object_get (res, name);
  if (s == NULL)
    {
      s = json_object ();
      json_object_set_new (res, name, s);
    }
  return s;
}

static int
flag_to_json (json_t *res, int opt, const char *arg, struct hako_err **err)
{
  const char *name = NULL;
  for (const struct option *o = update_opts; o->name; o++)
    if (o->val == opt && strlen (o->name) > 1)
      name = o->name;
  if (opt == U_CPUS || opt == U_MEMS)
    {
      json_object_set_new (section (res, "cpu"), opt == U_CPUS ? "cpus" : "mems", json_string (arg));
      return 0;
    }
  for (const struct flag_target *t = targets; t->opt; t++)
    {
      int64_t v = 0;
      if (t->opt != opt)
        continue;
      if ((t->kind == BYTES ? parse_bytes (name, arg, &v, err)
                            : parse_int (name, arg, t->kind == INT, &v, err))
          < 0)
        return -1;
      json_object_set_new (section (res, t->section), t->key, json_integer (v));
      return 0;
    }
  return hako_error (err, 0, "update: --%s: not supported", name);
}

static int
read_input (const char *path, char **buf, size_t *len, struct hako_err **err)
{
  if (strcmp (path, "-") == 0)
    return hako_read_fd (STDIN_FILENO, buf, len, err) < 0
               ? hako_error_prefix (err, "update: --resources: stdin")
               : 0;
  if (hako_read_file (path, buf, len, err) < 0)
    return hako_error_prefix (err, "update: --resources");
  return 0;
}

/* linux.resources alone, parsed by the config binder (so every bad value
   reads as it would in config.json): wrap it in a minimal config. */
static int
parse_resources (json_t *res, const char *origin, struct oci_spec **spec, struct hako_err **err)
{
  json_t *doc = json_pack ("{s:s, s:{s:s}, s:{s:O}}", "ociVersion", "1.0.0", "root", "path", "/", "linux",
                           "resources", res);
  cleanup_free char *text = json_dumps (doc, JSON_COMPACT);
  json_decref (doc);
  return oci_spec_parse (text, strlen (text), origin, spec, err);
}

int
cmd_update (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  const char *file = NULL, *id = NULL;
  json_t *res = json_object ();
  struct oci_spec *spec = NULL;
  int o, ret = -1;

  opts_reset ();
  while ((o = next_opt (argc, argv, update_opts)) != -1)
    {
      if (o == '?' || o == ':')
        {
          usage (err, "update", optopt ? "missing or bad option value" : "unknown option");
          goto out;
        }
      if (o == U_RESOURCES)
        file = optarg;
      else if (o == U_L3 || o == U_MEMBW)
        {
          hako_error (err, ENOTSUP, "update: --%s: Intel RDT is not supported by hako-runtime",
                      o == U_L3 ? "l3-cache-schema" : "mem-bw-schema");
          goto out;
        }
      else if (flag_to_json (res, o, optarg, err) < 0)
        goto out;
    }
  if (exactly_one_id ("update", argc, argv, &id, err) < 0)
    goto out;
  if (file)
    {
      /* As runc: with --resources the other flags are ignored. */
      cleanup_free char *buf = NULL;
      size_t len;
      json_error_t je;
      if (read_input (file, &buf, &len, err) < 0)
        goto out;
      json_decref (res);
      res = json_loadb (buf, len, 0, &je);
      if (res == NULL || !json_is_object (res))
        {
          hako_error (err, 0, "update: --resources %s:%d:%d: %s", file, je.line, je.column,
                      res ? "not a JSON object" : je.text);
          goto out;
        }
    }
  if (parse_resources (res, file ? "--resources" : "update", &spec, err) < 0)
    goto out;
  struct oci_resources none = { 0 };
  const struct oci_resources *r = spec->linux_ && spec->linux_->resources ? spec->linux_->resources : &none;
  ret = hako_container_update (&g->rt, id, r, err);
out:
  json_decref (res);
  if (spec)
    oci_spec_free (spec);
  return ret;
}

/* ---- ps ---- */

/* The index of the field equal to `name` (name != NULL), or the value of
   field `idx` as a number (name == NULL); -1 when absent. */
static int
ps_field (const char *line, const char *name, int idx)
{
  cleanup_free char *copy = xstrdup (line);
  char *save = NULL;
  int i = 0;
  for (char *t = strtok_r (copy, " \t\n", &save); t; t = strtok_r (NULL, " \t\n", &save), i++)
    {
      if (name && strcmp (t, name) == 0)
        return i;
      if (!name && i == idx)
        return atoi (t);
    }
  return -1;
}

static pid_t
ps_spawn (char **ps_args, int n_args, int out_fd)
{
  pid_t child = fork ();
  if (child != 0)
    return child;
  char **av = calloc (n_args + 2, sizeof (char *));
  av[0] = (char *) "ps";
  for (int i = 0; i < n_args; i++)
    av[i + 1] = ps_args[i];
  if (n_args == 0)
    av[1] = (char *) "-ef";
  dup2 (out_fd, STDOUT_FILENO);
  execvp ("ps", av);
  _exit (127);
}

/* Run `ps ARGS` (default -ef) and print its header and the lines of the
   container's pids, as runc does. */
static int
ps_table (char **ps_args, int n_args, const pid_t *pids, size_t n, struct hako_err **err)
{
  int p[2], status, pid_col = -1;
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return hako_error (err, errno, "ps: pipe");
  pid_t child = ps_spawn (ps_args, n_args, p[1]);
  close (p[1]);
  if (child < 0)
    {
      close (p[0]);
      return hako_error (err, errno, "ps: fork");
    }
  FILE *f = fdopen (p[0], "r");
  while (f && getline (&line, &cap, f) > 0)
    {
      if (pid_col < 0)
        {
          if ((pid_col = ps_field (line, "PID", 0)) >= 0)
            fputs (line, stdout);
          continue;
        }
      int pid = ps_field (line, NULL, pid_col);
      for (size_t i = 0; i < n; i++)
        if (pid == pids[i])
          {
            fputs (line, stdout);
            break;
          }
    }
  if (f)
    fclose (f);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return hako_error (err, 0, "ps: `ps` failed (status %d)",
                       WIFEXITED (status) ? WEXITSTATUS (status) : 128);
  if (pid_col < 0)
    return hako_error (err, 0, "ps: no PID column in the output of ps");
  return 0;
}

int
cmd_ps (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "f", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "table";
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int o;

  opts_reset ();
  while ((o = next_opt (argc, argv, opts)) != -1)
    if (o == 'f')
      format = optarg;
    else
      return usage (err, "ps", optopt ? "missing or bad option value" : "unknown option");
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return hako_error (err, 0, "ps: --format: unknown format `%s` (table or json)", format);
  if (optind >= argc)
    return usage (err, "ps", "container id missing");
  const char *id = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  if (hako_container_pids (&g->rt, id, &pids, &n, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      if (optind < argc)
        return hako_error (err, 0, "ps: ps arguments cannot be used with --format json");
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      printf ("]\n");
      return 0;
    }
  fflush (stdout);
  return ps_table (argv + optind, argc - optind, pids, n, err);
}

/* ---- events ---- */

/* A Go duration: "5s", "100ms", "1m30s", "1.5h". */
static int
parse_duration (const char *s, long *ms, struct hako_err **err)
{
  static const struct
  {
    const char *unit;
    double ms;
  } units[] = {
    { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 }, { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 },
  };
  double total = 0;
  const char *p = s;

  while (*p)
    {
      char *end;
      double v = strtod (p, &end);
      size_t best = 0;
      int which = -1;
      if (end == p || v < 0)
        break;
      for (size_t i = 0; i < sizeof (units) / sizeof (units[0]); i++)
        if (strncmp (end, units[i].unit, strlen (units[i].unit)) == 0 && strlen (units[i].unit) > best)
          {
            best = strlen (units[i].unit);
            which = (int) i;
          }
      if (which < 0)
        break;
      total += v * units[which].ms;
      p = end + best;
    }
  if (*p || p == s || total < 1)
    return hako_error (err, 0, "events: --interval: invalid duration `%s` (e.g. 5s, 500ms, 1m)", s);
  *ms = (long) total;
  return 0;
}

static int
print_event (json_t *ev, void *arg)
{
  char *s = json_dumps (ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
  int r = printf ("%s\n", s) < 0 || fflush (stdout) != 0 ? -1 : 0;
  free (s);
  return r;
}

int
cmd_events (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
  bool stats = false;
  long interval = 5000;
  const char *id = NULL;
  int o;

  opts_reset ();
  while ((o = next_opt (argc, argv, opts)) != -1)
    if (o == 's')
      stats = true;
    else if (o == 'i')
      {
        if (parse_duration (optarg, &interval, err) < 0)
          return -1;
      }
    else
      return usage (err, "events", optopt ? "missing or bad option value" : "unknown option");
  if (exactly_one_id ("events", argc, argv, &id, err) < 0)
    return -1;
  if (!stats)
    return hako_container_events (&g->rt, id, interval, print_event, NULL, err);
  json_t *ev = hako_container_stats_event (&g->rt, id, err);
  if (ev == NULL)
    return -1;
  print_event (ev, NULL);
  json_decref (ev);
  return 0;
}
