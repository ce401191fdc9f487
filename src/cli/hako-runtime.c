/* SPDX-License-Identifier: Apache-2.0 */
/* hako-runtime: the OCI runtime CLI, runc-compatible (global flags first,
   then the command and its flags).  Single-dash long flags (`-root`) are
   accepted as runc's CLI library does. */
#include "cli.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../runtime/security.h"
#include "../runtime/seccomp.h"
#include "hako-config.h"
#include "hako-commit.h"
#include <getopt.h>
#include <jansson.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
usage (FILE *f)
{
  fprintf (f,
           "usage: hako-runtime [global options] COMMAND [options] [args]\n\n"
           "An OCI runtime (runtime-spec %s), a drop-in for runc.\n\nCommands:\n",
           "1.2.0");
  for (const struct cli_command *c = cli_commands; c->name; c++)
    fprintf (f, "  %-11s %s\n", c->name, c->summary);
  fprintf (f, "\nGlobal options:\n"
              "  --root DIR            state directory (default /run/hako-runtime, or\n"
              "                        $XDG_RUNTIME_DIR/hako-runtime when not root)\n"
              "  --log FILE            log to FILE instead of stderr\n"
              "  --log-format FORMAT   text or json\n"
              "  --debug               log debug messages\n"
              "  --cgroup-manager M    cgroupfs (default) or disabled\n"
              "  --systemd-cgroup      use the systemd cgroup manager (not supported yet)\n"
              "  --rootless auto|true|false\n"
              "  --version, -v         print the version\n"
              "  --help, -h            this help\n");
}

static void
version (void)
{
  printf ("hako-runtime version %s\ncommit: %s\nspec: %s\n"
          "+CAP +USERNS +TIMENS +CGROUPV1 +CGROUPV2 %cSECCOMP -APPARMOR -SELINUX -SYSTEMD -CRIU\n",
          HAKO_VERSION, HAKO_COMMIT, "1.2.0", hako_seccomp_enabled () ? '+' : '-');
}

/* Rootless: the user's runtime dir (pam_systemd's /run/user/UID when
   XDG_RUNTIME_DIR is not set, as after `su`), so that each user has a state
   root of its own and `list` shows only its containers. */
static char *
default_root (void)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (geteuid () == 0)
    return xstrdup ("/run/hako-runtime");
  if (xdg && *xdg)
    return xasprintf ("%s/hako-runtime", xdg);
  cleanup_free char *run_user = xasprintf ("/run/user/%u", (unsigned) geteuid ());
  struct stat st;
  if (stat (run_user, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ())
    return xasprintf ("%s/hako-runtime", run_user);
  return xstrdup ("/run/hako-runtime");
}

int
main (int argc, char **argv)
{
  /* jansson seeds its hash function from /dev/urandom (an open, a read and
     a close per run) unless given a seed: one getrandom instead.  0 makes
     it fall back to its own way. */
  size_t seed = 0;
  if (getrandom (&seed, sizeof (seed), GRND_NONBLOCK) != (ssize_t) sizeof (seed))
    seed = 0;
  json_object_seed (seed);

  static const struct option opts[] = {
    { "root", required_argument, NULL, 'r' },
    { "log", required_argument, NULL, 'l' },
    { "log-format", required_argument, NULL, 'f' },
    { "debug", no_argument, NULL, 'd' },
    { "systemd-cgroup", no_argument, NULL, 's' },
    { "cgroup-manager", required_argument, NULL, 'c' },
    { "rootless", required_argument, NULL, 'R' },
    { "criu", required_argument, NULL, 'C' },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct cli_global g = { 0 };
  struct hako_err *err = NULL;
  const char *log_path = NULL;
  enum hako_log_format fmt = HAKO_LOG_TEXT;
  bool systemd = false;
  cleanup_free char *root = NULL; /* g.rt.root: freed on every return (LSan) */
  int o, ret;

  g.rt.cgroup_manager = HAKO_CGROUP_CGROUPFS;
  g.rt.rootless = geteuid () != 0;
  opterr = 0;
  while ((o = getopt_long_only (argc, argv, "+vh", opts, NULL)) != -1)
    {
      switch (o)
        {
        case 'r':
          free (root);
          root = xstrdup (optarg);
          break;
        case 'l':
          log_path = optarg;
          break;
        case 'f':
          if (strcmp (optarg, "json") == 0)
            fmt = HAKO_LOG_JSON;
          else if (strcmp (optarg, "text") != 0)
            {
              fprintf (stderr, "hako-runtime: --log-format: unknown format `%s` (text or json)\n", optarg);
              return 1;
            }
          break;
        case 'd':
          g.debug = true;
          break;
        case 's':
          systemd = true;
          break;
        case 'c':
          if (strcmp (optarg, "systemd") == 0)
            systemd = true;
          else if (strcmp (optarg, "disabled") == 0)
            g.rt.cgroup_manager = HAKO_CGROUP_DISABLED;
          else if (strcmp (optarg, "cgroupfs") != 0)
            {
              fprintf (stderr,
                       "hako-runtime: --cgroup-manager: unknown manager `%s` (cgroupfs or disabled)\n",
                       optarg);
              return 1;
            }
          break;
        case 'R':
          if (strcmp (optarg, "true") == 0)
            g.rt.rootless = true;
          else if (strcmp (optarg, "false") == 0)
            g.rt.rootless = false;
          else if (strcmp (optarg, "auto") == 0)
            g.rt.rootless = geteuid () != 0;
          else
            {
              fprintf (stderr, "hako-runtime: --rootless: unknown value `%s` (auto, true or false)\n",
                       optarg);
              return 1;
            }
          break;
        case 'C':
          break;
        case 'v':
          version ();
          return 0;
        case 'h':
          usage (stdout);
          return 0;
        default:
          fprintf (stderr, "hako-runtime: unknown global option `%s`\n", argv[optind - 1]);
          usage (stderr);
          return 1;
        }
    }
  if (hako_log_init ("hako-runtime", log_path, fmt, g.debug, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
      return 1;
    }
  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  if (root == NULL)
    root = default_root ();
  g.rt.root = root;
  const char *name = argv[optind];
  const struct cli_command *cmd = NULL;
  for (const struct cli_command *c = cli_commands; c->name; c++)
    if (strcmp (c->name, name) == 0)
      cmd = c;
  if (cmd == NULL)
    {
      hako_error (&err, 0, "unknown command `%s` (see hako-runtime --help)", name);
      hako_log_error (err);
      hako_error_free (&err);
      return 1;
    }
  if (systemd)
    {
      hako_error (&err, 0,
                  "%s: the systemd cgroup manager is not supported yet: use --cgroup-manager cgroupfs", name);
      hako_log_error (err);
      hako_error_free (&err);
      return 1;
    }
  /* The commands that put a process into a container run from a sealed
     copy of the binary (CVE-2019-5736, runtime/security.h); create and run
     only when the config needs it, decided once it is read. */
  if (strcmp (name, "create") == 0 || strcmp (name, "run") == 0)
    hako_exe_seal_defer (argv);
  else if (strcmp (name, "exec") == 0 && hako_exe_seal (argv, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
      return 1;
    }
  log_debug ("%s: root %s", name, g.rt.root);
  ret = cmd->fn (&g, argc - optind, argv + optind, &err);
  if (ret < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
      return 1;
    }
  return ret;
}
