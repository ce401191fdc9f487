/* SPDX-License-Identifier: Apache-2.0 */
/* save, load, import. */
#include "hako_cli.h"
#include "../image/ref.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
cmd_save (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
                                        { "format", required_argument, NULL, 'f' },
                                        { NULL, 0, NULL, 0 } };
  enum img_archive_format fmt = IMG_ARCHIVE_DOCKER;
  const char *output = NULL;
  struct hako_err *err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1)
    switch (c)
      {
      case 'o':
        output = optarg;
        break;
      case 'f':
        if (strcmp (optarg, "oci-archive") == 0)
          fmt = IMG_ARCHIVE_OCI;
        else if (strcmp (optarg, "docker-archive") == 0)
          fmt = IMG_ARCHIVE_DOCKER;
        else
          return hako_usage ("save", "--format: docker-archive or oci-archive");
        break;
      default:
        return hako_usage ("save", "invalid option");
      }
  if (optind >= argc)
    return hako_usage ("save", "expected at least one image");
  if (output == NULL && isatty (STDOUT_FILENO))
    return hako_usage ("save", "refusing to write an archive to a terminal: use -o FILE or a redirection");
  if (hako_open_store (ctx, &err) < 0)
    return hako_fail (&err);
  /* Written next to the target and renamed: a failed save leaves no
     truncated archive under the name asked for. */
  cleanup_free char *tmp = output ? xasprintf ("%s.tmpXXXXXX", output) : NULL;
  int fd = output ? mkostemp (tmp, O_CLOEXEC) : STDOUT_FILENO;
  if (fd < 0)
    {
      hako_error (&err, errno, "create `%s`", tmp);
      return hako_fail (&err);
    }
  int r = img_save (ctx->store, (const char *const *) argv + optind, (size_t) (argc - optind),
                    ctx->default_domain, fmt, fd, &err);
  if (output)
    {
      if (r == 0 && (fchmod (fd, 0644) < 0 || fsync (fd) < 0 || rename (tmp, output) < 0))
        r = hako_error (&err, errno, "write `%s`", output);
      close (fd);
      if (r < 0)
        unlink (tmp);
    }
  return r < 0 ? hako_fail (&err) : 0;
}

static void
load_event (void *ctx, const char *subject, const char *status)
{
  bool quiet = *(bool *) ctx;
  if (!quiet || strcmp (status, "Loaded image ID") == 0 || strcmp (status, "Loaded image") == 0)
    {
      cleanup_free char *fam = strchr (subject, '/') ? img_ref_familiar (subject) : xstrdup (subject);
      printf ("%s: %s\n", status, fam);
    }
}

int
cmd_load (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "input", required_argument, NULL, 'i' },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { NULL, 0, NULL, 0 } };
  const char *input = NULL;
  bool quiet = false;
  struct hako_err *err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "i:q", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        input = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      default:
        return hako_usage ("load", "invalid option");
      }
  if (optind != argc)
    return hako_usage ("load", "unexpected argument (the archive is given with -i or on stdin)");
  if (input && strcmp (input, "-") == 0)
    input = NULL;
  if (input == NULL && isatty (STDIN_FILENO))
    return hako_usage ("load", "no archive: use -i FILE or a redirection");
  struct img_events ev = { .event = load_event, .ctx = &quiet };
  if (hako_open_store (ctx, &err) < 0 || img_load (ctx->store, input, STDIN_FILENO, &ev, &err) < 0)
    return hako_fail (&err);
  return 0;
}

int
cmd_import (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "change", required_argument, NULL, 'c' },
                                        { "message", required_argument, NULL, 'm' },
                                        { "platform", required_argument, NULL, 'P' },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { NULL, 0, NULL, 0 } };
  struct img_import_opts io = { 0 };
  const char **changes = xzalloc ((size_t) argc * sizeof (char *));
  size_t n_changes = 0;
  struct hako_progress p;
  bool quiet = false;
  struct hako_err *err = NULL;
  cleanup_free char *name = NULL;
  cleanup_free char *id = NULL;
  int c, r = 0;

  while (r == 0 && (c = getopt_long (argc, argv, "c:m:q", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        changes[n_changes++] = optarg;
        break;
      case 'm':
        io.message = optarg;
        break;
      case 'P':
        io.platform = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      default:
        r = hako_usage ("import", "invalid option");
      }
  if (r == 0 && optind + 1 != argc && optind + 2 != argc)
    r = hako_usage ("import", "expected FILE|- [REFERENCE]");
  if (r)
    {
      free (changes);
      return r;
    }
  io.changes = changes;
  if (optind + 2 == argc)
    {
      struct img_ref *ref = NULL;
      if (img_ref_parse (argv[optind + 1], ctx->default_domain, &ref, &err) < 0)
        {
          free (changes);
          return hako_fail (&err);
        }
      name = img_ref_string (ref);
      img_ref_free (ref);
      io.name = name;
    }
  const char *src = argv[optind];
  cleanup_close int fd = strcmp (src, "-") == 0 ? dup (STDIN_FILENO) : open (src, O_RDONLY | O_CLOEXEC);
  hako_progress_init (&p, true);
  struct img_events ev = hako_progress_events (&p);
  if (fd < 0)
    r = hako_error (&err, errno, "import: open `%s`", src);
  else if (hako_open_store (ctx, &err) == 0)
    r = img_import (ctx->store, fd, &io, &ev, &id, &err);
  else
    r = -1;
  free (changes);
  hako_progress_finish (&p);
  if (r < 0)
    return hako_fail (&err);
  (void) quiet; /* the ID is all import prints */
  printf ("%s\n", id);
  return 0;
}
