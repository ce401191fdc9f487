/* SPDX-License-Identifier: Apache-2.0 */
/* system check (and, later, the rest of `system`). */
#include "hako_cli.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <stdio.h>
#include <string.h>

static void
report (void *ctx, const char *subject, const char *status)
{
  printf ("%s: %s\n", subject, status);
}

static int
system_check (struct hako_ctx *ctx)
{
  struct hako_err *err = NULL;
  struct img_events ev = { .event = report };

  if (hako_open_store (ctx, &err) < 0)
    return hako_fail (&err);
  int n = img_check (ctx->store, &ev, &err);
  if (n < 0)
    return hako_fail (&err);
  if (n > 0)
    {
      printf ("%d problem%s found in %s\n", n, n > 1 ? "s" : "", ctx->storage);
      return 1;
    }
  printf ("%s: no problems found\n", ctx->storage);
  return 0;
}

int
cmd_system (struct hako_ctx *ctx, int argc, char **argv)
{
  if (argc < 2)
    return hako_usage ("system", "expected a subcommand: check, df, prune, info");
  if (strcmp (argv[1], "check") == 0 && argc == 2)
    return system_check (ctx);
  int r = cmd_system_engine (ctx, argc - 1, argv + 1);
  if (r >= 0)
    return r;
  return hako_usage ("system", "unknown subcommand (supported: check, df, prune, info)");
}
