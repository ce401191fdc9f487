/* SPDX-License-Identifier: Apache-2.0 */
/* image mount / image umount: the snapshots a container's rootfs will be
   (low-level: the engine's run will call the same library functions). */
#include "hako_cli.h"
#include "../image/snapshot.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char mount_help[]
    = "Usage: hako image mount IMAGE [--name ID]\n"
      "       hako image mount            (list snapshots)\n"
      "\n"
      "Low-level: mount a writable snapshot of IMAGE (an overlay of its layers with\n"
      "its own upper dir under STORAGE/snapshots/ID) and print the mount point.\n"
      "Writes land in the snapshot, never in the layers.  `hako image umount ID`\n"
      "unmounts and deletes it.  Without IMAGE: list ID, image and mount point.\n";

static const char umount_help[]
    = "Usage: hako image umount ID...\n"
      "\n"
      "Low-level: unmount the snapshots made by `hako image mount` and delete them\n"
      "(their upper dirs too).  The layers stay in the store.\n";

static int
list_snapshots (struct hako_ctx *ctx)
{
  struct hako_err *err = NULL;
  struct img_snapshot *v;
  size_t n;

  if (img_snapshot_list (ctx->store, &v, &n, &err) < 0)
    return hako_fail (&err);
  printf ("%-20s %-13s %-8s %s\n", "ID", "IMAGE", "MOUNTED", "MERGED");
  for (size_t i = 0; i < n; i++)
    {
      const char *hex = strchr (v[i].image, ':');
      printf ("%-20s %-13.12s %-8s %s\n", v[i].id, hex ? hex + 1 : v[i].image, v[i].mounted ? "yes" : "no",
              v[i].merged);
    }
  img_snapshot_list_free (v, n);
  return 0;
}

int
cmd_image_mount (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "name", required_argument, NULL, 'n' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct hako_err *err = NULL;
  const char *name = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'n':
        name = optarg;
        break;
      case 'h':
        fputs (mount_help, stdout);
        return 0;
      default:
        return hako_usage ("image mount", "invalid option");
      }
  if (optind + 1 < argc || (optind == argc && name))
    return hako_usage ("image mount", "expected one image");
  if (hako_open_store (ctx, &err) < 0)
    return hako_fail (&err);
  if (optind == argc)
    return list_snapshots (ctx);
  cleanup_free char *merged = NULL;
  if (img_snapshot_create (ctx->store, argv[optind], ctx->default_domain, name, NULL, &merged, &err) < 0)
    return hako_fail (&err);
  printf ("%s\n", merged);
  return 0;
}

int
cmd_image_umount (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct hako_err *err = NULL;
  int c, status = 0;

  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'h':
        fputs (umount_help, stdout);
        return 0;
      default:
        return hako_usage ("image umount", "invalid option");
      }
  if (optind == argc)
    return hako_usage ("image umount", "expected a snapshot ID");
  if (hako_open_store (ctx, &err) < 0)
    return hako_fail (&err);
  for (int i = optind; i < argc; i++)
    if (img_snapshot_remove (ctx->store, argv[i], &err) < 0)
      status = hako_fail (&err);
  return status;
}
