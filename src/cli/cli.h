/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_CLI_H
#define HAKO_CLI_H

#include <stdbool.h>
#include "../runtime/container.h"

struct hako_err;

struct cli_global
{
  struct hako_runtime rt;
  bool debug;
};

/* Each command parses its own flags from argv (argv[0] is the command
   name) and returns the process exit code; errors are reported by the
   caller from *err when the return is < 0. */
typedef int (*cli_command_fn) (struct cli_global *g, int argc, char **argv, struct hako_err **err);

struct cli_command
{
  const char *name;
  cli_command_fn fn;
  const char *usage;
  const char *summary;
};

extern const struct cli_command cli_commands[];

/* Commands implemented in their own files. */
int cmd_exec (struct cli_global *g, int argc, char **argv, struct hako_err **err); /* cmd_exec.c */
/* cmd_cgroup.c */
int cmd_update (struct cli_global *g, int argc, char **argv, struct hako_err **err);
int cmd_pause (struct cli_global *g, int argc, char **argv, struct hako_err **err);
int cmd_resume (struct cli_global *g, int argc, char **argv, struct hako_err **err);
int cmd_ps (struct cli_global *g, int argc, char **argv, struct hako_err **err);
int cmd_events (struct cli_global *g, int argc, char **argv, struct hako_err **err);

#endif
