/* SPDX-License-Identifier: Apache-2.0 */
/* `hako network create|ls|inspect|rm|prune|connect|disconnect`. */
#include "hako_cli.h"
#include "../engine/engine.h"
#include "../engine/network.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
net_create (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "subnet", required_argument, NULL, 's' }, { "gateway", required_argument, NULL, 'g' },
    { "internal", no_argument, NULL, 'i' },     { "label", required_argument, NULL, 'l' },
    { "driver", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 },
  };
  struct eng_net_create_opts o = { 0 };
  char *labels[64];
  int c;
  while ((c = getopt_long (argc, argv, "+d:", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        if (o.subnet)
          return hako_usage ("network create", "one --subnet only (IPv4)");
        o.subnet = optarg;
        break;
      case 'g':
        o.gateway = optarg;
        break;
      case 'i':
        o.internal = true;
        break;
      case 'l':
        if (o.n_labels < 64)
          labels[o.n_labels++] = optarg;
        break;
      case 'd':
        if (strcmp (optarg, "bridge") != 0)
          return hako_usage ("network create", "only the bridge driver is supported");
        break;
      default:
        return hako_usage ("network create",
                           "[--subnet CIDR] [--gateway IP] [--internal] [--label K=V] NAME");
      }
  if (optind != argc - 1)
    return hako_usage ("network create", "requires exactly 1 argument: NAME");
  if (o.gateway && !o.subnet)
    return hako_usage ("network create", "--gateway needs --subnet");
  o.name = argv[optind];
  o.labels = labels;
  struct eng_ctx e;
  struct hako_err *err = NULL;
  json_t *out = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_net_create (&e, &o, &out, &err) < 0)
    return hako_fail (&err);
  printf ("%s\n", json_string_value (json_object_get (out, "Id")));
  json_decref (out);
  return 0;
}

static int
net_ls (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'f' },
    { "no-trunc", no_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  bool quiet = false, trunc = true;
  const char *format = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+qf:", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'f':
        format = optarg;
        break;
      case 'n':
        trunc = false;
        break;
      default:
        return hako_usage ("network ls", "[-q] [--no-trunc] [--format json|TEMPLATE]");
      }
  struct eng_ctx e;
  struct hako_err *err = NULL;
  json_t *all = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_net_list (&e, &all, &err) < 0)
    return hako_fail (&err);
  if (!quiet && !format)
    printf ("%-14s%-24s%-10s%s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
  size_t i;
  json_t *n;
  json_array_foreach (all, i, n)
  {
    const char *id = json_string_value (json_object_get (n, "Id"));
    const char *name = json_string_value (json_object_get (n, "Name"));
    if (quiet)
      printf ("%.*s\n", trunc ? 12 : 64, id);
    else if (format && strcmp (format, "json") == 0)
      {
        cleanup_free char *s = json_dumps (n, JSON_COMPACT);
        printf ("%s\n", s);
      }
    else if (format)
      hako_print_template (format, n);
    else
      printf ("%-14.12s%-24s%-10s%s\n", id, name, "bridge", "local");
  }
  json_decref (all);
  return 0;
}

static int
net_inspect (struct hako_ctx *ctx, int argc, char **argv)
{
  const char *format = NULL;
  int c;
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  while ((c = getopt_long (argc, argv, "+f:", opts, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return hako_usage ("network inspect", "[--format TEMPLATE] NETWORK...");
  if (optind >= argc)
    return hako_usage ("network inspect", "requires at least 1 argument: NETWORK...");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  json_t *arr = json_array ();
  int rc = 0;
  for (int i = optind; i < argc; i++)
    {
      json_t *n = NULL;
      if (eng_net_inspect (&e, argv[i], &n, &err) < 0)
        {
          rc = hako_fail (&err);
          continue;
        }
      if (format)
        hako_print_template (format, n);
      json_array_append_new (arr, n);
    }
  if (!format)
    {
      cleanup_free char *s = json_dumps (arr, JSON_INDENT (4));
      printf ("%s\n", s);
    }
  json_decref (arr);
  return rc;
}

static int
net_rm (struct hako_ctx *ctx, int argc, char **argv)
{
  if (argc < 2)
    return hako_usage ("network rm", "requires at least 1 argument: NETWORK...");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  int rc = 0;
  for (int i = 1; i < argc; i++)
    {
      if (argv[i][0] == '-')
        continue; /* -f: docker's, nothing to force */
      if (eng_net_remove (&e, argv[i], &err) < 0)
        rc = hako_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  return rc;
}

static int
net_prune (struct hako_ctx *ctx, int argc, char **argv)
{
  struct eng_ctx e;
  struct hako_err *err = NULL;
  json_t *removed = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_net_prune (&e, &removed, &err) < 0)
    return hako_fail (&err);
  if (json_array_size (removed))
    printf ("Deleted Networks:\n");
  size_t i;
  json_t *n;
  json_array_foreach (removed, i, n) printf ("%s\n", json_string_value (n));
  json_decref (removed);
  return 0;
}

static int
net_connect (struct hako_ctx *ctx, int argc, char **argv, bool connect)
{
  int first = 1;
  while (first < argc && argv[first][0] == '-')
    first++; /* disconnect -f */
  if (argc - first != 2)
    return hako_usage (connect ? "network connect" : "network disconnect",
                       "requires exactly 2 arguments: NETWORK CONTAINER");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *c = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[first + 1], &c, &err) < 0)
    return hako_fail (&err);
  int r
      = connect ? eng_net_connect (&e, c, argv[first], &err) : eng_net_disconnect (&e, c, argv[first], &err);
  eng_ctr_free (c);
  return r < 0 ? hako_fail (&err) : 0;
}

int
cmd_network (struct hako_ctx *ctx, int argc, char **argv)
{
  if (argc < 2)
    return hako_usage ("network",
                       "requires a subcommand: create, ls, inspect, rm, prune, connect, disconnect");
  const char *sub = argv[1];
  argc--, argv++;
  optind = 0;
  if (strcmp (sub, "create") == 0)
    return net_create (ctx, argc, argv);
  if (strcmp (sub, "ls") == 0 || strcmp (sub, "list") == 0)
    return net_ls (ctx, argc, argv);
  if (strcmp (sub, "inspect") == 0)
    return net_inspect (ctx, argc, argv);
  if (strcmp (sub, "rm") == 0 || strcmp (sub, "remove") == 0)
    return net_rm (ctx, argc, argv);
  if (strcmp (sub, "prune") == 0)
    return net_prune (ctx, argc, argv);
  if (strcmp (sub, "connect") == 0)
    return net_connect (ctx, argc, argv, true);
  if (strcmp (sub, "disconnect") == 0)
    return net_connect (ctx, argc, argv, false);
  cleanup_free char *msg = xasprintf ("unknown subcommand `%s`", sub);
  return hako_usage ("network", msg);
}
