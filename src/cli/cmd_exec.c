/* SPDX-License-Identifier: Apache-2.0 */
/* `exec` with runc's flags:
     hako-runtime exec [options] ID COMMAND [ARGS...]
     hako-runtime exec --process process.json [options] ID
   Boolean flags also take runc's `--flag=true|false` form. */
#include "cli.h"
#include "../runtime/exec.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum
{
  E_PROCESS = 1,
  E_TTY,
  E_ENV,
  E_CWD,
  E_USER,
  E_GIDS,
  E_CAP,
  E_NNP,
  E_APPARMOR,
  E_LABEL,
  E_DETACH,
  E_PIDFILE,
  E_CONSOLE,
  E_PRESERVE,
  E_CGROUP,
  E_IGNORE_PAUSED,
};

static const struct option exec_opts[] = {
  { "process", required_argument, NULL, E_PROCESS },
  { "p", required_argument, NULL, E_PROCESS },
  { "tty", optional_argument, NULL, E_TTY },
  { "t", optional_argument, NULL, E_TTY },
  { "env", required_argument, NULL, E_ENV },
  { "e", required_argument, NULL, E_ENV },
  { "cwd", required_argument, NULL, E_CWD },
  { "user", required_argument, NULL, E_USER },
  { "u", required_argument, NULL, E_USER },
  { "additional-gids", required_argument, NULL, E_GIDS },
  { "g", required_argument, NULL, E_GIDS },
  { "cap", required_argument, NULL, E_CAP },
  { "c", required_argument, NULL, E_CAP },
  { "no-new-privs", optional_argument, NULL, E_NNP },
  { "apparmor", required_argument, NULL, E_APPARMOR },
  { "process-label", required_argument, NULL, E_LABEL },
  { "detach", optional_argument, NULL, E_DETACH },
  { "d", optional_argument, NULL, E_DETACH },
  { "pid-file", required_argument, NULL, E_PIDFILE },
  { "console-socket", required_argument, NULL, E_CONSOLE },
  { "preserve-fds", required_argument, NULL, E_PRESERVE },
  { "cgroup", required_argument, NULL, E_CGROUP },
  { "ignore-paused", optional_argument, NULL, E_IGNORE_PAUSED },
  { NULL, 0, NULL, 0 },
};

#define EXEC_USAGE                                                                                           \
  "[--process FILE] [-t] [-e NAME=VALUE]... [--cwd DIR] [-u UID[:GID]] [-g GID]... [-c CAP]... "             \
  "[--no-new-privs] [-d] [--pid-file F] [--console-socket S] [--preserve-fds N] [--cgroup PATH] "            \
  "[--ignore-paused] ID [COMMAND [ARGS...]]"

static int
exec_usage (struct hako_err **err, const char *what)
{
  return hako_error (err, 0, "exec: %s (usage: hako-runtime exec %s)", what, EXEC_USAGE);
}

static int
parse_bool (const char *flag, const char *arg, bool *out, struct hako_err **err)
{
  if (arg == NULL || strcmp (arg, "true") == 0 || strcmp (arg, "1") == 0)
    *out = true;
  else if (strcmp (arg, "false") == 0 || strcmp (arg, "0") == 0)
    *out = false;
  else
    return hako_error (err, 0, "exec: --%s: expected true or false, not `%s`", flag, arg);
  return 0;
}

static void
push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static int
parse_exec (int argc, char **argv, struct hako_exec_opts *o, struct hako_err **err)
{
  char *end;
  int opt;

  optind = 0;
  opterr = 0;
  while ((opt = getopt_long_only (argc, argv, "+", exec_opts, NULL)) != -1)
    {
      switch (opt)
        {
        case E_PROCESS:
          o->process_path = optarg;
          break;
        case E_TTY:
          if (parse_bool ("tty", optarg, &o->tty, err) < 0)
            return -1;
          break;
        case E_ENV:
          push (&o->env, &o->n_env, optarg);
          break;
        case E_CWD:
          o->cwd = optarg;
          break;
        case E_USER:
          o->user = optarg;
          break;
        case E_GIDS:
          {
            /* runc takes the flag repeatedly; a comma list is accepted too. */
            cleanup_free char *copy = xstrdup (optarg);
            char *save = NULL;
            for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
              {
                errno = 0;
                unsigned long v = strtoul (t, &end, 10);
                if (*end || errno || v > UINT32_MAX || t[0] == '-')
                  return hako_error (err, 0, "exec: --additional-gids: invalid gid `%s`", t);
                o->additional_gids
                    = xrealloc (o->additional_gids, (o->n_additional_gids + 1) * sizeof (uint32_t));
                o->additional_gids[o->n_additional_gids++] = (uint32_t) v;
              }
            break;
          }
        case E_CAP:
          push (&o->caps, &o->n_caps, optarg);
          break;
        case E_NNP:
          if (parse_bool ("no-new-privs", optarg, &o->no_new_privs, err) < 0)
            return -1;
          break;
        case E_APPARMOR:
          o->apparmor = optarg;
          break;
        case E_LABEL:
          o->process_label = optarg;
          break;
        case E_DETACH:
          if (parse_bool ("detach", optarg, &o->detach, err) < 0)
            return -1;
          break;
        case E_PIDFILE:
          o->pid_file = optarg;
          break;
        case E_CONSOLE:
          o->console_socket = optarg;
          break;
        case E_PRESERVE:
          errno = 0;
          o->preserve_fds = (int) strtol (optarg, &end, 10);
          if (*end || errno || o->preserve_fds < 0 || o->preserve_fds > 65536)
            return hako_error (err, 0, "exec: --preserve-fds: invalid number `%s`", optarg);
          break;
        case E_CGROUP:
          o->cgroup = optarg;
          break;
        case E_IGNORE_PAUSED:
          if (parse_bool ("ignore-paused", optarg, &o->ignore_paused, err) < 0)
            return -1;
          break;
        default:
          return exec_usage (err, optopt ? "missing or bad option value" : "unknown option");
        }
    }
  if (optind >= argc)
    return exec_usage (err, "container id missing");
  o->id = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  o->args = argv + optind;
  o->n_args = (size_t) (argc - optind);
  if (o->process_path == NULL && o->n_args == 0)
    return exec_usage (err, "a command or --process is required");
  return 0;
}

int
cmd_exec (struct cli_global *g, int argc, char **argv, struct hako_err **err)
{
  struct hako_exec_opts o = { 0 };
  int code = 0, ret;

  if (parse_exec (argc, argv, &o, err) < 0)
    ret = -1;
  else
    ret = hako_container_exec (&g->rt, &o, &code, err);
  free (o.env);
  free (o.caps);
  free (o.additional_gids);
  if (ret < 0)
    {
      /* runc exits 255 when the exec itself failed, so that a caller can
         tell it from the process's own exit status. */
      hako_log_error (*err);
      hako_error_free (err);
      return 255;
    }
  return code;
}
