/* SPDX-License-Identifier: Apache-2.0 */
/* hako build: flags -> bld_build (src/build/build.h).  The image ID is the
   only thing on stdout; steps and RUN output go to stderr. */
#include "hako_cli.h"
#include "../build/build.h"
#include "../engine/engine.h"
#include "../image/layer.h"
#include "../image/ref.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
push (const char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* `-` as the context: a tar on stdin, unpacked into a temporary dir. */
static char *
context_from_stdin (struct hako_ctx *ctx, struct hako_err **err)
{
  char *dir = img_store_mkdtemp (ctx->store, "build-context", err);
  if (dir == NULL)
    return NULL;
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct img_apply_opts ao = { .ownership = true };
  if (fd < 0 || img_layer_apply (STDIN_FILENO, fd, &ao, NULL, NULL, err) < 0)
    {
      if (fd < 0)
        hako_error (err, errno, "open `%s`", dir);
      hako_error_prefix (err, "build context from stdin");
      hako_rm_rf (dir, NULL);
      free (dir);
      return NULL;
    }
  return dir;
}

/* -o type=oci|docker,dest=PATH (docker's --output for image archives):
   the built image written as an oci-archive or docker-archive, "-" for
   standard output. */
static int
parse_output (const char *spec, enum img_archive_format *fmt, char **dest, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *save = NULL;
  bool have_type = false;
  for (char *kv = strtok_r (copy, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      if (strcmp (kv, "type=oci") == 0)
        *fmt = IMG_ARCHIVE_OCI, have_type = true;
      else if (strcmp (kv, "type=docker") == 0)
        *fmt = IMG_ARCHIVE_DOCKER, have_type = true;
      else if (strncmp (kv, "dest=", 5) == 0 && kv[5])
        {
          free (*dest);
          *dest = xstrdup (kv + 5);
        }
      else
        return hako_error (err, EINVAL, "--output `%s`: expected type=oci|docker,dest=PATH (`%s`?)", spec,
                           kv);
    }
  if (!have_type || !*dest)
    return hako_error (err, EINVAL, "--output `%s`: both type=oci|docker and dest=PATH are needed", spec);
  return 0;
}

static int
write_output (struct hako_ctx *ctx, const char *query, enum img_archive_format fmt, const char *dest,
              struct hako_err **err)
{
  bool to_stdout = strcmp (dest, "-") == 0;
  cleanup_free char *tmp = to_stdout ? NULL : xasprintf ("%s.tmpXXXXXX", dest);
  int fd = to_stdout ? 1 : mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    return hako_error (err, errno, "--output: create `%s`", dest);
  const char *q[] = { query };
  int r = img_save (ctx->store, q, 1, ctx->default_domain, fmt, fd, err);
  if (!to_stdout)
    {
      if (r == 0 && (fsync (fd) < 0 || rename (tmp, dest) < 0))
        r = hako_error (err, errno, "--output: write `%s`", dest);
      close (fd);
      if (r < 0)
        unlink (tmp);
    }
  return r;
}

int
cmd_build (struct hako_ctx *ctx, int argc, char **argv)
{
  enum
  {
    OPT_ARG = 256,
    OPT_TARGET,
    OPT_NOCACHE,
    OPT_LABEL,
    OPT_IIDFILE,
    OPT_NETWORK,
    OPT_TIMESTAMP,
    OPT_PULL,
    OPT_PLATFORM,
    OPT_RM,
    OPT_OUTPUT,
  };
  static const struct option opts[] = { { "file", required_argument, NULL, 'f' },
                                        { "tag", required_argument, NULL, 't' },
                                        { "build-arg", required_argument, NULL, OPT_ARG },
                                        { "target", required_argument, NULL, OPT_TARGET },
                                        { "no-cache", no_argument, NULL, OPT_NOCACHE },
                                        { "label", required_argument, NULL, OPT_LABEL },
                                        { "iidfile", required_argument, NULL, OPT_IIDFILE },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { "network", required_argument, NULL, OPT_NETWORK },
                                        { "timestamp", required_argument, NULL, OPT_TIMESTAMP },
                                        { "pull", optional_argument, NULL, OPT_PULL },
                                        { "platform", required_argument, NULL, OPT_PLATFORM },
                                        { "output", required_argument, NULL, 'o' },
                                        { "rm", optional_argument, NULL, OPT_RM },
                                        { "force-rm", optional_argument, NULL, OPT_RM },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct bld_opts o = { .timestamp = -1, .run_output_fd = STDERR_FILENO };
  const char **tags = NULL, **args = NULL, **labels = NULL;
  size_t n_tags = 0, n_args = 0, n_labels = 0;
  char **tag_refs = NULL;
  const char *iidfile = NULL, *ts = NULL;
  bool quiet = false;
  struct hako_err *err = NULL;
  struct eng_ctx e;
  int c, rc = 1;
  cleanup_free char *tmpctx = NULL;
  cleanup_free char *id = NULL;
  cleanup_free char *out_dest = NULL;
  enum img_archive_format out_fmt = IMG_ARCHIVE_OCI;

  while ((c = getopt_long (argc, argv, "f:t:qho:", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        o.file = optarg;
        break;
      case 't':
        push (&tags, &n_tags, optarg);
        break;
      case OPT_ARG:
        push (&args, &n_args, optarg);
        break;
      case OPT_TARGET:
        o.target = optarg;
        break;
      case OPT_NOCACHE:
        o.no_cache = true;
        break;
      case OPT_LABEL:
        push (&labels, &n_labels, optarg);
        break;
      case OPT_IIDFILE:
        iidfile = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case OPT_NETWORK:
        if (strcmp (optarg, "none") != 0 && strcmp (optarg, "host") != 0 && strcmp (optarg, "default") != 0)
          {
            rc = hako_usage ("build", "--network: none or host");
            goto out;
          }
        o.network = strcmp (optarg, "default") == 0 ? NULL : optarg;
        break;
      case OPT_TIMESTAMP:
        ts = optarg;
        break;
      case 'o':
        if (parse_output (optarg, &out_fmt, &out_dest, &err) < 0)
          {
            rc = hako_fail (&err);
            goto out;
          }
        break;
      case OPT_PULL:
        /* docker's --pull (always), --pull=false|never, --pull=missing|true */
        if (!optarg || strcmp (optarg, "always") == 0 || strcmp (optarg, "true") == 0)
          o.pull = "always";
        else if (strcmp (optarg, "false") == 0 || strcmp (optarg, "never") == 0)
          o.pull = "never";
        else if (strcmp (optarg, "missing") == 0)
          o.pull = "missing";
        else
          {
            rc = hako_usage ("build", "--pull: always, missing or never");
            goto out;
          }
        break;
      case OPT_RM:
        break; /* the build's containers always go */
      case OPT_PLATFORM:
        {
          struct img_platform want, host;
          img_platform_host (&host);
          if (img_platform_parse (optarg, &want, &err) < 0)
            {
              rc = hako_fail (&err);
              goto out;
            }
          if (strcmp (want.os, host.os) != 0 || strcmp (want.arch, host.arch) != 0)
            {
              rc = hako_usage ("build", "--platform: only the host's platform can be built");
              goto out;
            }
          o.platform = optarg;
          break;
        }
      case 'h':
        printf ("Usage: hako build [-f FILE] [-t NAME[:TAG]]... [--build-arg K=V]... [--target STAGE]\n"
                "                  [--no-cache] [--label K=V]... [--iidfile F] [-q] [--network none|host]\n"
                "                  [--timestamp SECONDS] [-o type=oci|docker,dest=PATH|-]\n"
                "                  [--pull[=always|missing|never]] CONTEXT|-\n");
        rc = 0;
        goto out;
      default:
        rc = hako_usage ("build", "invalid option");
        goto out;
      }
  if (optind + 1 != argc)
    {
      rc = hako_usage ("build", "requires exactly 1 argument (the build context)");
      goto out;
    }
  if (ts == NULL)
    {
      ts = getenv ("SOURCE_DATE_EPOCH");
      for (size_t i = 0; i < n_args; i++)
        if (strncmp (args[i], "SOURCE_DATE_EPOCH=", 18) == 0)
          ts = args[i] + 18;
    }
  if (ts && *ts)
    {
      char *end;
      long long v = strtoll (ts, &end, 10);
      if (*end || v < 0)
        {
          rc = hako_usage ("build", "--timestamp/SOURCE_DATE_EPOCH: seconds since the epoch");
          goto out;
        }
      o.timestamp = v;
    }
  tag_refs = xzalloc ((n_tags + 1) * sizeof (char *));
  for (size_t i = 0; i < n_tags; i++)
    {
      struct img_ref *ref = NULL;
      if (img_ref_parse (tags[i], ctx->default_domain, &ref, &err) < 0)
        {
          hako_error_prefix (&err, "-t %s", tags[i]);
          rc = hako_fail (&err);
          goto out;
        }
      tag_refs[i] = img_ref_string (ref);
      img_ref_free (ref);
    }
  if (hako_engine (ctx, &e, &err) < 0)
    {
      rc = hako_fail (&err);
      goto out;
    }
  o.context = argv[optind];
  if (strcmp (o.context, "-") == 0)
    {
      tmpctx = context_from_stdin (ctx, &err);
      if (tmpctx == NULL)
        {
          rc = hako_fail (&err);
          goto out;
        }
      o.context = tmpctx;
    }
  o.tags = (const char *const *) tag_refs;
  o.build_args = args;
  o.labels = labels;
  o.progress = quiet ? NULL : stderr;
  if (quiet)
    o.run_output_fd = -1;
  if (bld_build (&e, &o, &id, &err) < 0)
    {
      rc = hako_fail (&err);
      goto out;
    }
  if (out_dest && write_output (ctx, n_tags ? tag_refs[0] : id, out_fmt, out_dest, &err) < 0)
    {
      rc = hako_fail (&err);
      goto out;
    }
  if (iidfile && hako_write_file_atomic (iidfile, id, strlen (id), 0644, &err) < 0)
    {
      rc = hako_fail (&err);
      goto out;
    }
  for (size_t i = 0; i < n_tags && !quiet; i++)
    {
      cleanup_free char *fam = img_ref_familiar (tag_refs[i]);
      fprintf (stderr, "Successfully tagged %s\n", fam);
    }
  if (!out_dest || strcmp (out_dest, "-") != 0) /* stdout carries the archive */
    printf ("%s\n", id);
  rc = 0;
out:
  if (tmpctx)
    hako_rm_rf (tmpctx, NULL);
  for (size_t i = 0; tag_refs && tag_refs[i]; i++)
    free (tag_refs[i]);
  free (tag_refs);
  free (tags);
  free (args);
  free (labels);
  return rc;
}
