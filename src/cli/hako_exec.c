/* SPDX-License-Identifier: Apache-2.0 */
/* `hako exec|top|stats|port`: looking into a running container. */
#include "hako_cli.h"
#include "../engine/engine.h"
#include "../engine/exec.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
hako_strv_push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = xstrdup (s);
  (*v)[*n] = NULL;
}

static void
strv_free (char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

int
hako_read_env_file (const char *path, char ***env, size_t *n, struct hako_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (hako_read_file (path, &buf, &len, err) < 0)
    return hako_error_prefix (err, "--env-file");
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      while (*line == ' ' || *line == '\t')
        line++;
      size_t l = strlen (line);
      if (l && line[l - 1] == '\r')
        line[l - 1] = '\0';
      if (*line && *line != '#')
        hako_strv_push (env, n, line);
    }
  return 0;
}

/* ---- exec ---- */

int
cmd_exec (struct hako_ctx *ctx, int argc, char **argv)
{
  enum
  {
    OPT_PRIVILEGED = 1000,
    OPT_ENV_FILE,
    OPT_DETACH_KEYS,
  };
  static const struct option lo[] = {
    { "interactive", no_argument, NULL, 'i' },
    { "tty", no_argument, NULL, 't' },
    { "detach", no_argument, NULL, 'd' },
    { "env", required_argument, NULL, 'e' },
    { "env-file", required_argument, NULL, OPT_ENV_FILE },
    { "user", required_argument, NULL, 'u' },
    { "workdir", required_argument, NULL, 'w' },
    { "privileged", no_argument, NULL, OPT_PRIVILEGED },
    { "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
    { NULL, 0, NULL, 0 },
  };
  struct eng_exec_opts o = { 0 };
  struct hako_err *err = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+itde:u:w:", lo, NULL)) != -1)
    switch (c)
      {
      case 'i':
        o.interactive = true;
        break;
      case 't':
        o.tty = true;
        break;
      case 'd':
        o.detach = true;
        break;
      case 'e':
        hako_strv_push (&o.env, &o.n_env, optarg);
        break;
      case OPT_ENV_FILE:
        if (hako_read_env_file (optarg, &o.env, &o.n_env, &err) < 0)
          {
            strv_free (o.env, o.n_env);
            hako_log_error (err);
            hako_error_free (&err);
            return ENG_EXIT_ENGINE;
          }
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'w':
        o.workdir = optarg;
        break;
      case OPT_PRIVILEGED:
        o.privileged = true;
        break;
      case OPT_DETACH_KEYS:
        break;
      default:
        strv_free (o.env, o.n_env);
        return hako_usage ("exec", "see `hako --help`");
      }
  if (argc - optind < 2)
    {
      strv_free (o.env, o.n_env);
      return hako_usage ("exec", "requires at least 2 arguments: CONTAINER COMMAND [ARG...]");
    }
  o.args = argv + optind + 1;
  o.n_args = (size_t) (argc - optind - 1);
  struct eng_ctx e;
  struct eng_ctr *ctr = NULL;
  int code = 1;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[optind], &ctr, &err) < 0
      || eng_exec (&e, ctr, &o, &code, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
    }
  eng_ctr_free (ctr);
  strv_free (o.env, o.n_env);
  return code;
}

/* ---- top ---- */

static bool
pid_in (pid_t pid, const pid_t *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == pid)
      return true;
  return false;
}

/* `ps ARGS` on the host, its output. */
static int
run_ps (char **args, size_t n_args, char **out, struct hako_err **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return hako_error (err, errno, "pipe");
  const char **argv = xzalloc ((n_args + 2) * sizeof (char *));
  argv[0] = "ps";
  for (size_t i = 0; i < n_args; i++)
    argv[i + 1] = args[i];
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      free (argv);
      close (p[0]);
      close (p[1]);
      return hako_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      dup2 (p[1], 1);
      execvp ("ps", (char *const *) argv);
      fprintf (stderr, "hako: exec ps: %s\n", strerror (errno));
      _exit (127);
    }
  free (argv);
  close (p[1]);
  size_t len;
  int r = hako_read_fd (p[0], out, &len, err);
  close (p[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return hako_error (err, 0, "ps: the options were refused (exit status %d)",
                       WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  return 0;
}

/* docker's top: the host's ps, keeping the header and the rows whose PID
   column is one of the container's. */
int
cmd_top (struct hako_ctx *ctx, int argc, char **argv)
{
  if (argc < 2)
    return hako_usage ("top", "requires at least 1 argument: CONTAINER [ps OPTIONS]");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *ctr = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[1], &ctr, &err) < 0
      || eng_ctr_pids (&e, ctr, &pids, &n, &err) < 0)
    {
      eng_ctr_free (ctr);
      return hako_fail (&err);
    }
  eng_ctr_free (ctr);
  char *def[] = { "-ef" };
  cleanup_free char *out = NULL;
  if (run_ps (argc > 2 ? argv + 2 : def, argc > 2 ? (size_t) (argc - 2) : 1, &out, &err) < 0)
    {
      free (pids);
      return hako_fail (&err);
    }
  char *save = NULL;
  char *header = strtok_r (out, "\n", &save);
  int col = -1;
  if (header)
    {
      cleanup_free char *h = xstrdup (header);
      char *s2 = NULL;
      int i = 0;
      for (char *f = strtok_r (h, " \t", &s2); f; f = strtok_r (NULL, " \t", &s2), i++)
        if (strcmp (f, "PID") == 0)
          col = i;
    }
  if (col < 0)
    {
      free (pids);
      hako_error (&err, 0, "couldn't find the PID field in the ps output");
      return hako_fail (&err);
    }
  printf ("%s\n", header);
  for (char *line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      cleanup_free char *l = xstrdup (line);
      char *s2 = NULL, *f = strtok_r (l, " \t", &s2);
      for (int i = 0; f && i < col; i++)
        f = strtok_r (NULL, " \t", &s2);
      if (f && pid_in ((pid_t) atoi (f), pids, n))
        printf ("%s\n", line);
    }
  free (pids);
  return 0;
}

/* ---- stats ---- */

/* docker's binary units for memory ("1.5MiB"). */
static void
bin_size (uint64_t n, char *buf, size_t len)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  double v = (double) n;
  size_t u = 0;
  while (v >= 1024 && u < 4)
    {
      v /= 1024;
      u++;
    }
  snprintf (buf, len, u == 0 ? "%.0f%s" : "%.4g%s", v, units[u]);
}

static uint64_t
jint (json_t *o, const char *a, const char *b, const char *c)
{
  json_t *v = json_object_get (o, a);
  if (b)
    v = json_object_get (v, b);
  if (c)
    v = json_object_get (v, c);
  return json_is_integer (v) ? (uint64_t) json_integer_value (v) : 0;
}

static uint64_t
host_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t) pages * (uint64_t) size : 0;
}

struct sample
{
  struct eng_ctr *c;
  json_t *data; /* NULL: not running */
  struct timespec at;
  uint64_t prev_cpu;
  struct timespec prev_at;
  bool have_prev;
};

static void
take (struct eng_ctx *e, struct sample *s)
{
  struct hako_err *err = NULL;
  json_t *ev = NULL;
  if (s->data)
    {
      s->prev_cpu = jint (s->data, "cpu", "usage", "total");
      s->prev_at = s->at;
      s->have_prev = true;
    }
  json_decref (s->data);
  s->data = NULL;
  if (eng_ctr_reload (s->c, NULL) < 0 || eng_ctr_stats (e, s->c, &ev, &err) < 0)
    {
      hako_error_free (&err);
      s->have_prev = false;
      return;
    }
  s->data = json_incref (json_object_get (ev, "data"));
  json_decref (ev);
  clock_gettime (CLOCK_MONOTONIC, &s->at);
}

/* Block I/O: the bytes read and written, from blkio's service bytes. */
static void
blkio (json_t *data, uint64_t *rd, uint64_t *wr)
{
  *rd = *wr = 0;
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (json_object_get (data, "blkio"), "ioServiceBytesRecursive"), i, v)
  {
    const char *op = json_string_value (json_object_get (v, "op"));
    uint64_t n = json_is_integer (json_object_get (v, "value"))
                     ? (uint64_t) json_integer_value (json_object_get (v, "value"))
                     : 0;
    if (op && strcasecmp (op, "read") == 0)
      *rd += n;
    else if (op && strcasecmp (op, "write") == 0)
      *wr += n;
  }
}

/* docker's row: the `{{json .}}` fields. */
static json_t *
stats_row (struct sample *s)
{
  char id[13], cpu[32] = "--", mem[64] = "-- / --", memp[32] = "--", pids[32] = "--", blk[64] = "--", a[16],
               b[16];
  snprintf (id, sizeof (id), "%.12s", s->c->id);
  if (s->data)
    {
      json_t *d = s->data;
      uint64_t usage = jint (d, "memory", "usage", "usage");
      uint64_t limit = jint (d, "memory", "usage", "limit");
      json_t *raw = json_object_get (json_object_get (d, "memory"), "raw");
      /* As docker's CLI: the page cache that can go is not "used". */
      uint64_t inactive = json_is_integer (json_object_get (raw, "total_inactive_file"))
                              ? (uint64_t) json_integer_value (json_object_get (raw, "total_inactive_file"))
                              : (uint64_t) json_integer_value (json_object_get (raw, "inactive_file"));
      if (inactive < usage)
        usage -= inactive;
      uint64_t host = host_memory ();
      if (limit == 0 || (host && limit > host))
        limit = host;
      bin_size (usage, a, sizeof (a));
      bin_size (limit, b, sizeof (b));
      snprintf (mem, sizeof (mem), "%s / %s", a, b);
      snprintf (memp, sizeof (memp), "%.2f%%", limit ? 100.0 * (double) usage / (double) limit : 0.0);
      snprintf (pids, sizeof (pids), "%llu", (unsigned long long) jint (d, "pids", "current", NULL));
      double pct = 0;
      if (s->have_prev)
        {
          double wall = (double) (s->at.tv_sec - s->prev_at.tv_sec) * 1e9
                        + (double) (s->at.tv_nsec - s->prev_at.tv_nsec);
          uint64_t now = jint (d, "cpu", "usage", "total");
          if (wall > 0 && now >= s->prev_cpu)
            pct = 100.0 * (double) (now - s->prev_cpu) / wall;
        }
      snprintf (cpu, sizeof (cpu), "%.2f%%", pct);
      uint64_t rd, wr;
      blkio (d, &rd, &wr);
      hako_human_size (rd, a, sizeof (a));
      hako_human_size (wr, b, sizeof (b));
      snprintf (blk, sizeof (blk), "%s / %s", a, b);
    }
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BlockIO", blk, "CPUPerc", cpu,
                    "Container", id, "ID", id, "MemPerc", memp, "MemUsage", mem, "Name", eng_ctr_name (s->c),
                    "NetIO", s->data ? "0B / 0B" : "--", "PIDs", pids);
}

static void
print_stats (struct sample *v, size_t n, const char *format)
{
  bool table = !format || strcmp (format, "table") == 0;
  bool json = format && (strcmp (format, "json") == 0 || strcmp (format, "{{json .}}") == 0);
  if (table)
    printf ("%-15s%-20s%-9s%-22s%-9s%-16s%-16s%s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
            "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
  else if (strncmp (format, "table ", 6) == 0)
    hako_print_template_header (format + 6);
  for (size_t i = 0; i < n; i++)
    {
      json_t *row = stats_row (&v[i]);
      if (table)
        printf ("%-15s%-20s%-9s%-22s%-9s%-16s%-16s%s\n", json_string_value (json_object_get (row, "ID")),
                json_string_value (json_object_get (row, "Name")),
                json_string_value (json_object_get (row, "CPUPerc")),
                json_string_value (json_object_get (row, "MemUsage")),
                json_string_value (json_object_get (row, "MemPerc")),
                json_string_value (json_object_get (row, "NetIO")),
                json_string_value (json_object_get (row, "BlockIO")),
                json_string_value (json_object_get (row, "PIDs")));
      else if (json)
        {
          cleanup_free char *s = json_dumps (row, JSON_COMPACT);
          printf ("%s\n", s);
        }
      else
        hako_print_template (strncmp (format, "table ", 6) == 0 ? format + 6 : format, row);
      json_decref (row);
    }
  fflush (stdout);
}

static void
sleep_ms (long ms)
{
  struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&t, &t) < 0 && errno == EINTR)
    ;
}

static void
samples_free (struct sample *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      json_decref (v[i].data);
      eng_ctr_free (v[i].c);
    }
  free (v);
}

int
cmd_stats (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = {
    { "no-stream", no_argument, NULL, 'n' },
    { "format", required_argument, NULL, 'f' },
    { "all", no_argument, NULL, 'a' },
    { "no-trunc", no_argument, NULL, 'T' },
    { NULL, 0, NULL, 0 },
  };
  bool stream = true, all = false;
  const char *format = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+a", lo, NULL)) != -1)
    switch (c)
      {
      case 'n':
        stream = false;
        break;
      case 'f':
        format = optarg;
        break;
      case 'a':
        all = true;
        break;
      case 'T':
        break;
      default:
        return hako_usage ("stats", "see `hako --help`");
      }
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  struct sample *v = NULL;
  size_t n = 0;
  int rc = 0;
  if (optind < argc)
    for (int i = optind; i < argc; i++)
      {
        struct eng_ctr *ctr = NULL;
        if (eng_ctr_find (&e, argv[i], &ctr, &err) < 0)
          {
            hako_log_error (err);
            hako_error_free (&err);
            rc = 1;
            continue;
          }
        v = xrealloc (v, (n + 1) * sizeof (*v));
        v[n++] = (struct sample){ .c = ctr };
      }
  else
    {
      struct eng_ctr **list = NULL;
      size_t k = 0;
      if (eng_ctr_list (&e, &list, &k, &err) < 0)
        return hako_fail (&err);
      for (size_t i = 0; i < k; i++)
        if (all || eng_ctr_running (list[i]))
          {
            v = xrealloc (v, (n + 1) * sizeof (*v));
            v[n++] = (struct sample){ .c = list[i] };
            list[i] = NULL;
          }
      eng_ctr_list_free (list, k);
    }
  if (rc != 0)
    {
      samples_free (v, n);
      return rc;
    }
  /* Two samples make a CPU %: half a second apart for the one-shot. */
  for (size_t i = 0; i < n; i++)
    take (&e, &v[i]);
  sleep_ms (stream ? 200 : 500);
  for (;;)
    {
      for (size_t i = 0; i < n; i++)
        take (&e, &v[i]);
      if (stream && isatty (STDOUT_FILENO))
        fputs ("\033[2J\033[H", stdout);
      print_stats (v, n, format);
      if (!stream)
        break;
      sleep_ms (1000);
    }
  samples_free (v, n);
  return 0;
}

/* ---- port ---- */

/* docker's output: "80/tcp -> 0.0.0.0:8080" per binding, or the
   bindings of one port.  From NetworkSettings.Ports, which the monitor
   fills when it publishes them (and clears when the container stops). */
int
cmd_port (struct hako_ctx *ctx, int argc, char **argv)
{
  if (argc < 2 || argc > 3)
    return hako_usage ("port", "requires 1 or 2 arguments: CONTAINER [PRIVATE_PORT[/PROTO]]");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *ctr = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[1], &ctr, &err) < 0)
    return hako_fail (&err);
  json_t *ports = json_object_get (json_object_get (ctr->j, "NetworkSettings"), "Ports");
  cleanup_free char *want
      = argc == 3 ? (strchr (argv[2], '/') ? xstrdup (argv[2]) : xasprintf ("%s/tcp", argv[2])) : NULL;
  int rc = 0;
  bool found = false;
  const char *key;
  json_t *list;
  json_object_foreach (ports, key, list)
  {
    if (want && strcmp (key, want) != 0)
      continue;
    size_t i;
    json_t *b;
    json_array_foreach (list, i, b)
    {
      const char *ip = json_string_value (json_object_get (b, "HostIp"));
      const char *hp = json_string_value (json_object_get (b, "HostPort"));
      if (want)
        printf ("%s:%s\n", ip ? ip : "", hp ? hp : "");
      else
        printf ("%s -> %s:%s\n", key, ip ? ip : "", hp ? hp : "");
      found = true;
    }
  }
  if (want && !found)
    {
      fprintf (stderr, "hako: no public port '%s' published for %s\n", want, eng_ctr_name (ctr));
      rc = 1;
    }
  eng_ctr_free (ctr);
  return rc;
}
