/* SPDX-License-Identifier: Apache-2.0 */
/* pull, push, login, logout: the commands that talk to a registry. */
#include "hako_cli.h"
#include "../image/auth.h"
#include "../image/ref.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum
{
  OPT_TLS = 1000,
  OPT_AUTHFILE,
  OPT_CREDS,
  OPT_PLATFORM,
  OPT_PASSWORD_STDIN,
  OPT_FROM_REPO,
};

/* Options every registry command takes. */
struct net_opts
{
  struct img_reg_opts reg;
  bool quiet;
  const char *platform;
  char *creds;
  const char *user, *pass;
  bool password_stdin;
};

static bool
parse_bool (const char *s, bool dflt)
{
  if (s == NULL)
    return dflt;
  return !(strcmp (s, "false") == 0 || strcmp (s, "0") == 0 || strcmp (s, "no") == 0);
}

/* Returns 0 on success, else the exit status for a usage error. */
static int
parse_net (const char *cmd, int argc, char **argv, struct net_opts *o)
{
  static const struct option opts[] = {
    { "tls-verify", optional_argument, NULL, OPT_TLS },
    { "authfile", required_argument, NULL, OPT_AUTHFILE },
    { "creds", required_argument, NULL, OPT_CREDS },
    { "platform", required_argument, NULL, OPT_PLATFORM },
    { "quiet", no_argument, NULL, 'q' },
    { "username", required_argument, NULL, 'u' },
    { "password", required_argument, NULL, 'p' },
    { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
    { "from-repo", required_argument, NULL, OPT_FROM_REPO },
    { NULL, 0, NULL, 0 },
  };
  int c;

  o->reg.tls_verify = true;
  while ((c = getopt_long (argc, argv, "qu:p:", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_TLS:
        o->reg.tls_verify = parse_bool (optarg, true);
        break;
      case OPT_AUTHFILE:
        o->reg.authfile = optarg;
        break;
      case OPT_CREDS:
        o->creds = optarg;
        break;
      case OPT_PLATFORM:
        o->platform = optarg;
        break;
      case OPT_PASSWORD_STDIN:
        o->password_stdin = true;
        break;
      case OPT_FROM_REPO:
        if (strcmp (cmd, "push") != 0)
          return hako_usage (cmd, "--from-repo is a push option");
        o->reg.mount_from = optarg;
        break;
      case 'q':
        o->quiet = true;
        break;
      case 'u':
        o->user = optarg;
        break;
      case 'p':
        o->pass = optarg;
        break;
      default:
        return hako_usage (cmd, "invalid option");
      }
  if (o->creds)
    {
      char *colon = strchr (o->creds, ':');
      o->reg.user = o->creds;
      if (colon)
        {
          *colon = '\0';
          o->reg.pass = colon + 1;
        }
    }
  return 0;
}

int
cmd_pull (struct hako_ctx *ctx, int argc, char **argv)
{
  struct net_opts no = { 0 };
  struct hako_progress p;
  struct hako_err *err = NULL;
  cleanup_free char *id = NULL;
  int r = parse_net ("pull", argc, argv, &no);

  if (r)
    return r;
  if (optind + 1 != argc)
    return hako_usage ("pull", "expected one image reference");
  hako_progress_init (&p, no.quiet);
  struct img_pull_opts po = { .reg = no.reg,
                              .platform = no.platform,
                              .default_domain = ctx->default_domain,
                              .ev = hako_progress_events (&p) };
  po.reg.progress = hako_progress_bytes;
  po.reg.progress_ctx = &p;
  r = hako_open_store (ctx, &err) < 0 || img_pull (ctx->store, argv[optind], &po, &id, &err) < 0 ? -1 : 0;
  hako_progress_finish (&p);
  if (r < 0)
    return hako_fail (&err);
  if (no.quiet)
    printf ("%s\n", id);
  else
    {
      struct img_ref *ref = NULL;
      if (img_ref_parse (argv[optind], ctx->default_domain, &ref, NULL) == 0)
        {
          cleanup_free char *full = img_ref_string (ref);
          printf ("Status: Downloaded %s\n%s\n", full, full);
          img_ref_free (ref);
        }
    }
  return 0;
}

int
cmd_push (struct hako_ctx *ctx, int argc, char **argv)
{
  struct net_opts no = { 0 };
  struct hako_progress p;
  struct hako_err *err = NULL;
  cleanup_free char *digest = NULL;
  int r = parse_net ("push", argc, argv, &no);

  if (r)
    return r;
  if (optind + 1 != argc && optind + 2 != argc)
    return hako_usage ("push", "expected IMAGE [DESTINATION]");
  hako_progress_init (&p, no.quiet);
  struct img_push_opts po
      = { .reg = no.reg, .default_domain = ctx->default_domain, .ev = hako_progress_events (&p) };
  po.reg.progress = hako_progress_bytes;
  po.reg.progress_ctx = &p;
  const char *dest = optind + 2 == argc ? argv[optind + 1] : NULL;
  r = hako_open_store (ctx, &err) < 0 || img_push (ctx->store, argv[optind], dest, &po, &digest, &err) < 0
          ? -1
          : 0;
  hako_progress_finish (&p);
  if (r < 0)
    return hako_fail (&err);
  if (no.quiet)
    printf ("%s\n", digest);
  return 0;
}

/* "https://index.docker.io/v1/" -> "docker.io", "localhost:5000/" -> "localhost:5000" */
static char *
registry_host (const char *arg)
{
  const char *p = strstr (arg, "://");
  char *host = xstrdup (p ? p + 3 : arg);
  host[strcspn (host, "/")] = '\0';
  if (strcmp (host, "index.docker.io") == 0 || strcmp (host, "registry-1.docker.io") == 0)
    {
      free (host);
      host = xstrdup ("docker.io");
    }
  return host;
}

static char *
read_password (bool from_stdin)
{
  char *line = NULL;
  size_t cap = 0;

  if (!from_stdin && isatty (STDIN_FILENO))
    {
      char *pw = getpass ("Password: ");
      return pw ? xstrdup (pw) : NULL;
    }
  ssize_t n = getline (&line, &cap, stdin);
  if (n < 0)
    {
      free (line);
      return NULL;
    }
  line[strcspn (line, "\r\n")] = '\0';
  return line;
}

int
cmd_login (struct hako_ctx *ctx, int argc, char **argv)
{
  struct net_opts no = { 0 };
  struct hako_err *err = NULL;
  struct img_reg *reg = NULL;
  cleanup_free char *pass = NULL;
  cleanup_free char *user = NULL;
  int r = parse_net ("login", argc, argv, &no);

  if (r)
    return r;
  if (optind + 1 < argc)
    return hako_usage ("login", "expected at most one registry");
  cleanup_free char *host = registry_host (
      optind < argc ? argv[optind] : (ctx->default_domain ? ctx->default_domain : "docker.io"));
  if (no.user == NULL)
    {
      size_t cap = 0;
      if (isatty (STDIN_FILENO))
        fputs ("Username: ", stdout), fflush (stdout);
      if (getline (&user, &cap, stdin) < 0)
        return hako_usage ("login", "no username");
      user[strcspn (user, "\r\n")] = '\0';
    }
  else
    user = xstrdup (no.user);
  pass = no.pass && !no.password_stdin ? xstrdup (no.pass) : read_password (no.password_stdin);
  if (pass == NULL || *user == '\0')
    return hako_usage ("login", "username and password are required");
  no.reg.user = user;
  no.reg.pass = pass;
  /* An empty repository: the token round proves the password, no more. */
  if (img_reg_open (host, "", &no.reg, false, &reg, &err) < 0 || img_reg_check_auth (reg, &err) < 0)
    {
      img_reg_free (reg);
      hako_error_prefix (&err, "login to %s", host);
      return hako_fail (&err);
    }
  img_reg_free (reg);
  if (img_auth_set (no.reg.authfile, host, user, pass, &err) < 0)
    return hako_fail (&err);
  printf ("Login Succeeded\n");
  return 0;
}

int
cmd_logout (struct hako_ctx *ctx, int argc, char **argv)
{
  struct net_opts no = { 0 };
  struct hako_err *err = NULL;
  int r = parse_net ("logout", argc, argv, &no);

  if (r)
    return r;
  cleanup_free char *host = registry_host (
      optind < argc ? argv[optind] : (ctx->default_domain ? ctx->default_domain : "docker.io"));
  r = img_auth_remove (no.reg.authfile, host, &err);
  if (r < 0)
    return hako_fail (&err);
  if (r == 1)
    {
      fprintf (stderr, "hako: not logged in to %s\n", host);
      return 1;
    }
  printf ("Removed login credentials for %s\n", host);
  return 0;
}
