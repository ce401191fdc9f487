/* SPDX-License-Identifier: Apache-2.0 */
/* `hako cp` and `hako export`. */
#include "hako_cli.h"
#include "../engine/cp.h"
#include "../engine/engine.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "CONTAINER:PATH"?  As docker: a local path may hold a colon when it
   starts with '/' or '.' or has a '/' before the colon. */
static bool
split_container (const char *arg, char **ctr, const char **path)
{
  const char *colon = strchr (arg, ':');
  if (!colon || arg[0] == '/' || arg[0] == '.' || colon == arg || memchr (arg, '/', (size_t) (colon - arg)))
    return false;
  *ctr = strndup (arg, (size_t) (colon - arg));
  *path = colon + 1;
  return true;
}

int
cmd_cp (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = {
    { "follow-link", no_argument, NULL, 'L' },
    { "archive", no_argument, NULL, 'a' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  struct eng_cp_opts o = { 0 };
  int c;
  while ((c = getopt_long (argc, argv, "+Laq", lo, NULL)) != -1)
    switch (c)
      {
      case 'L':
        o.follow_link = true;
        break;
      case 'a':
        o.archive = true;
        break;
      case 'q':
        break;
      default:
        return hako_usage ("cp", "see `hako --help`");
      }
  if (argc - optind != 2)
    return hako_usage ("cp", "requires exactly 2 arguments: CONTAINER:SRC_PATH DEST_PATH|- or "
                             "SRC_PATH|- CONTAINER:DEST_PATH");
  const char *src = argv[optind], *dst = argv[optind + 1];
  cleanup_free char *sctr = NULL, *dctr = NULL;
  const char *spath = NULL, *dpath = NULL;
  bool from = split_container (src, &sctr, &spath);
  bool to = split_container (dst, &dctr, &dpath);
  if (from && to)
    return hako_usage ("cp", "copying between containers is not supported");
  if (!from && !to)
    return hako_usage ("cp", "must specify at least one container source");
  const char *cpath = from ? spath : dpath;
  if (*cpath == '\0')
    return hako_usage ("cp", "the container path must not be empty");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *ctr = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, from ? sctr : dctr, &ctr, &err) < 0)
    return hako_fail (&err);
  int r;
  if (from)
    {
      bool stream = strcmp (dst, "-") == 0;
      if (stream && isatty (STDOUT_FILENO))
        {
          eng_ctr_free (ctr);
          hako_error (&err, 0, "refusing to write a tar stream to a terminal: redirect the output");
          return hako_fail (&err);
        }
      r = eng_cp_from (&e, ctr, spath, stream ? NULL : dst, STDOUT_FILENO, &o, &err);
    }
  else
    r = eng_cp_to (&e, ctr, strcmp (src, "-") == 0 ? NULL : src, STDIN_FILENO, dpath, &o, &err);
  eng_ctr_free (ctr);
  if (r < 0)
    return hako_fail (&err);
  return 0;
}

int
cmd_export (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "output", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 } };
  const char *output = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+o:", lo, NULL)) != -1)
    if (c == 'o')
      output = optarg;
    else
      return hako_usage ("export", "see `hako --help`");
  if (argc - optind != 1)
    return hako_usage ("export", "requires exactly 1 argument: CONTAINER");
  if (!output && isatty (STDOUT_FILENO))
    return hako_usage ("export",
                       "cowardly refusing to write to a terminal: use -o FILE or redirect the output");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_ctr *ctr = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_ctr_find (&e, argv[optind], &ctr, &err) < 0)
    return hako_fail (&err);
  int fd = STDOUT_FILENO;
  cleanup_free char *tmp = NULL;
  if (output)
    {
      /* Written aside and renamed: no half archive under the name. */
      tmp = xasprintf ("%s.hako-tmp-%d", output, (int) getpid ());
      fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0)
        {
          eng_ctr_free (ctr);
          hako_error (&err, errno, "create `%s`", tmp);
          return hako_fail (&err);
        }
    }
  int r = eng_export (&e, ctr, fd, &err);
  eng_ctr_free (ctr);
  if (output)
    {
      if (r == 0 && (fsync (fd) < 0 || rename (tmp, output) < 0))
        r = hako_error (&err, errno, "write `%s`", output);
      close (fd);
      if (r < 0)
        unlink (tmp);
    }
  if (r < 0)
    return hako_fail (&err);
  return 0;
}
