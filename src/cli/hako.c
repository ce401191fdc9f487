/* SPDX-License-Identifier: Apache-2.0 */
/* `hako`: the engine's command line (docker-like).  For now, the image
   commands; containers come with the engine issues. */
#include "hako_cli.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "hako-config.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[]
    = "Usage: hako [--storage DIR] [--run-root DIR] [--default-registry HOST] [--debug] COMMAND [ARGS]\n"
      "\n"
      "Containers:\n"
      "  run [OPTIONS] IMAGE [COMMAND] [ARG...]   create and start a container\n"
      "  create [OPTIONS] IMAGE [COMMAND]         create a container\n"
      "  start [-a] [-i] CONTAINER...             start containers\n"
      "  stop [-t N] CONTAINER...                 stop: the stop signal, then SIGKILL\n"
      "  restart, kill [-s SIG], rm [-f] [-v], wait, pause, unpause, rename, attach\n"
      "  ps [-a] [-q] [--filter K=V] [--format json|table|TEMPLATE]\n"
      "  logs [-f] [--tail N] [--since T] [-t] CONTAINER\n"
      "  inspect CONTAINER|IMAGE...\n"
      "  exec [-i] [-t] [-d] [-e K=V] [-u USER[:GROUP]] [-w DIR] [--privileged] CONTAINER CMD [ARG...]\n"
      "  top CONTAINER [ps OPTIONS]               the container's processes\n"
      "  stats [--no-stream] [--format json|table] [CONTAINER...]\n"
      "  port CONTAINER [PORT]                    published ports (-p, -P)\n"
      "  cp [-a] [-L] CONTAINER:SRC DEST|-, cp [-a] [-L] SRC|- CONTAINER:DEST\n"
      "  export [-o FILE] CONTAINER               the container's filesystem as a tar\n"
      "  container prune [-f]                     remove all stopped containers\n"
      "\n"
      "Volumes:\n"
      "  volume create [--label K=V] [NAME], volume ls [-q] [--format json], volume inspect NAME...\n"
      "  volume rm [-f] NAME..., volume prune [-f]\n"
      "\n"
      "Networks (run --network NAME|bridge|none|host|container:NAME, -p [IP:][HOST:]PORT[/udp], -P,\n"
      "          --dns, --dns-search, --dns-option, --add-host HOST:IP):\n"
      "  network create [--subnet CIDR] [--gateway IP] [--internal] [--label K=V] NAME\n"
      "  network ls [-q] [--format json], network inspect NAME..., network rm NAME..., network prune\n"
      "  network connect NETWORK CONTAINER, network disconnect NETWORK CONTAINER\n"
      "\n"
      "Images:\n"
      "  pull IMAGE            fetch an image from a registry\n"
      "  push IMAGE [DEST]     send an image to a registry\n"
      "  images                list images (image ls)\n"
      "  rmi IMAGE...          remove images (image rm)\n"
      "  tag SOURCE TARGET     give an image another name\n"
      "  history IMAGE         show the layers of an image\n"
      "  save IMAGE...         write images to a docker-archive or oci-archive\n"
      "  load                  read images from an archive or OCI layout\n"
      "  import FILE|- [REF]   make an image from a root filesystem tarball\n"
      "  build [-f FILE] [-t NAME]... [--build-arg K=V] [--target STAGE] [--no-cache] CONTEXT|-\n"
      "                        build an image from a Containerfile\n"
      "  image inspect|prune|ls|rm|tag|history|save|load|import|pull|push\n"
      "  image mount IMAGE [--name ID]   low-level: mount a writable snapshot, print its path\n"
      "  image umount ID       low-level: unmount and delete a snapshot\n"
      "  login REGISTRY        store credentials\n"
      "  logout REGISTRY       forget credentials\n"
      "  system check          verify every blob and image of the store\n"
      "  system df             disk usage of images, containers, volumes\n"
      "  system prune [-a] [-f] [--volumes]   remove what nothing uses\n"
      "  system info [--format json]          storage, runtime, cgroups, counts, kernel\n"
      "\n"
      "Storage: --storage DIR, else $HAKO_STORAGE, else /var/lib/hako.\n"
      "Run state (monitors): --run-root DIR, else $HAKO_RUN_ROOT, else /run/hako.\n";

int
hako_usage (const char *cmd, const char *msg)
{
  fprintf (stderr, "hako%s%s: %s\nSee 'hako --help'.\n", cmd ? " " : "", cmd ? cmd : "", msg);
  return 125;
}

int
hako_fail (struct hako_err **err)
{
  hako_log_error (*err);
  hako_error_free (err);
  return 1;
}

int
hako_open_store (struct hako_ctx *ctx, struct hako_err **err)
{
  if (ctx->store)
    return 0;
  return img_store_open (ctx->storage, &ctx->store, err);
}

/* ---------- output helpers ---------- */

void
hako_human_size (uint64_t n, char *buf, size_t len)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
  double v = (double) n;
  size_t u = 0;
  while (v >= 1000 && u < 4)
    {
      v /= 1000;
      u++;
    }
  snprintf (buf, len, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
}

void
hako_human_since (int64_t when, char *buf, size_t len)
{
  int64_t d = (int64_t) time (NULL) - when;
  static const struct
  {
    int64_t secs;
    const char *name;
  } steps[] = { { 365 * 86400, "year" }, { 30 * 86400, "month" }, { 7 * 86400, "week" },
                { 86400, "day" },        { 3600, "hour" },        { 60, "minute" } };
  if (when <= 0)
    {
      snprintf (buf, len, "N/A");
      return;
    }
  for (size_t i = 0; i < sizeof (steps) / sizeof (steps[0]); i++)
    if (d >= steps[i].secs)
      {
        int64_t n = d / steps[i].secs;
        snprintf (buf, len, "%lld %s%s ago", (long long) n, steps[i].name, n > 1 ? "s" : "");
        return;
      }
  snprintf (buf, len, "%s", d < 2 ? "Less than a second ago" : "Less than a minute ago");
}

int64_t
hako_parse_time (const char *s)
{
  struct tm tm = { 0 };
  if (s == NULL || strptime (s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return (int64_t) timegm (&tm);
}

/* ---------- dispatch ---------- */

struct command
{
  const char *name;
  hako_cmd_fn fn;
};

static const struct command top_cmds[] = {
  { "pull", cmd_pull },       { "push", cmd_push },       { "images", cmd_images },
  { "rmi", cmd_rmi },         { "tag", cmd_tag },         { "history", cmd_history },
  { "save", cmd_save },       { "load", cmd_load },       { "import", cmd_import },
  { "login", cmd_login },     { "logout", cmd_logout },   { "system", cmd_system },
  { "inspect", cmd_inspect }, { "run", cmd_run },         { "create", cmd_create },
  { "start", cmd_start },     { "stop", cmd_stop },       { "restart", cmd_restart },
  { "kill", cmd_kill },       { "rm", cmd_rm },           { "wait", cmd_wait },
  { "pause", cmd_pause },     { "unpause", cmd_unpause }, { "attach", cmd_attach },
  { "rename", cmd_rename },   { "ps", cmd_ps },           { "logs", cmd_logs },
  { "exec", cmd_exec },       { "top", cmd_top },         { "stats", cmd_stats },
  { "port", cmd_port },       { "cp", cmd_cp },           { "export", cmd_export },
  { "volume", cmd_volume },   { "info", cmd_info },       { "network", cmd_network },
  { "build", cmd_build },
};

static const struct command container_cmds[] = {
  { "run", cmd_run },
  { "create", cmd_create },
  { "start", cmd_start },
  { "stop", cmd_stop },
  { "restart", cmd_restart },
  { "kill", cmd_kill },
  { "rm", cmd_rm },
  { "remove", cmd_rm },
  { "wait", cmd_wait },
  { "pause", cmd_pause },
  { "unpause", cmd_unpause },
  { "attach", cmd_attach },
  { "rename", cmd_rename },
  { "ls", cmd_ps },
  { "list", cmd_ps },
  { "ps", cmd_ps },
  { "logs", cmd_logs },
  { "inspect", cmd_inspect },
  { "exec", cmd_exec },
  { "top", cmd_top },
  { "stats", cmd_stats },
  { "port", cmd_port },
  { "cp", cmd_cp },
  { "export", cmd_export },
  { "prune", cmd_container_prune },
};

static const struct command image_cmds[] = {
  { "ls", cmd_images },           { "list", cmd_images },     { "rm", cmd_rmi },
  { "remove", cmd_rmi },          { "tag", cmd_tag },         { "inspect", cmd_image_inspect },
  { "prune", cmd_image_prune },   { "history", cmd_history }, { "save", cmd_save },
  { "load", cmd_load },           { "import", cmd_import },   { "build", cmd_build },
  { "pull", cmd_pull },           { "push", cmd_push },       { "mount", cmd_image_mount },
  { "umount", cmd_image_umount },
};

static int
dispatch (const struct command *cmds, size_t n, struct hako_ctx *ctx, int argc, char **argv)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (argv[0], cmds[i].name) == 0)
      return cmds[i].fn (ctx, argc, argv);
  cleanup_free char *msg = xasprintf ("unknown command `%s`", argv[0]);
  return hako_usage (NULL, msg);
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "storage", required_argument, NULL, 's' },
    { "default-registry", required_argument, NULL, 'r' },
    { "debug", no_argument, NULL, 'D' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'v' },
    { "run-root", required_argument, NULL, 'R' },
    { NULL, 0, NULL, 0 },
  };
  struct hako_ctx ctx = { 0 };
  bool debug = false;
  const char *storage = NULL;
  int c;

  ctx.default_domain = getenv ("HAKO_DEFAULT_REGISTRY");
  ctx.run_root = getenv ("HAKO_RUN_ROOT");
  while ((c = getopt_long (argc, argv, "+Dhv", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        storage = optarg;
        break;
      case 'r':
        ctx.default_domain = optarg;
        break;
      case 'R':
        ctx.run_root = optarg;
        break;
      case 'D':
        debug = true;
        break;
      case 'h':
        fputs (usage_text, stdout);
        return 0;
      case 'v':
        printf ("hako version %s\n", HAKO_VERSION);
        return 0;
      default:
        return 125;
      }
  hako_log_init ("hako", NULL, HAKO_LOG_TEXT, debug, NULL);
  if (optind >= argc)
    {
      fputs (usage_text, stderr);
      return 125;
    }
  ctx.storage = storage ? xstrdup (storage) : img_store_default_root ();
  if (!ctx.run_root || !*ctx.run_root)
    ctx.run_root = "/run/hako";
  argc -= optind;
  argv += optind;
  optind = 0; /* commands parse their own options; 0 resets getopt fully */
  int r;
  if (strcmp (argv[0], "image") == 0)
    r = argc < 2
            ? hako_usage ("image", "missing subcommand")
            : dispatch (image_cmds, sizeof (image_cmds) / sizeof (image_cmds[0]), &ctx, argc - 1, argv + 1);
  else if (strcmp (argv[0], "container") == 0)
    r = argc < 2 ? hako_usage ("container", "missing subcommand")
                 : dispatch (container_cmds, sizeof (container_cmds) / sizeof (container_cmds[0]), &ctx,
                             argc - 1, argv + 1);
  else
    r = dispatch (top_cmds, sizeof (top_cmds) / sizeof (top_cmds[0]), &ctx, argc, argv);
  img_store_free (ctx.store);
  free (ctx.storage);
  return r;
}
