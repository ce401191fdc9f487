/* SPDX-License-Identifier: Apache-2.0 */
/* `hako volume create|ls|inspect|rm|prune`, `container prune`,
   `system df|prune|info`, and the --format templates they share. */
#include "hako_cli.h"
#include "../engine/engine.h"
#include "../engine/system.h"
#include "../engine/volume.h"
#include "../image/index.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include "hako-config.h"
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- --format templates: {{.Field}}, {{.A.B}}, {{json .}}, {{json .A}} ---- */

static char *
trim_field (const char *p, size_t n)
{
  while (n && *p == ' ')
    p++, n--;
  while (n && p[n - 1] == ' ')
    n--;
  return strndup (p, n);
}

static json_t *
lookup (json_t *obj, const char *path)
{
  if (strcmp (path, ".") == 0)
    return obj;
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;
  json_t *cur = obj;
  for (char *k = strtok_r (copy, ".", &save); k && cur; k = strtok_r (NULL, ".", &save))
    cur = json_object_get (cur, k);
  return cur;
}

/* Each `{{...}}` of tmpl through fn; the text between printed as is, with
   the \t and \n escapes docker accepts. */
static void
render (const char *tmpl, json_t *obj, bool header)
{
  for (const char *p = tmpl; *p;)
    {
      const char *end;
      if (strncmp (p, "{{", 2) == 0 && (end = strstr (p, "}}")))
        {
          cleanup_free char *f = trim_field (p + 2, (size_t) (end - p - 2));
          bool as_json = strncmp (f, "json ", 5) == 0;
          const char *path = as_json ? f + 5 : f;
          while (*path == ' ')
            path++;
          if (header)
            {
              for (const char *s = path[0] == '.' && path[1] ? path + 1 : path; *s; s++)
                putchar (toupper ((unsigned char) *s));
            }
          else
            {
              json_t *v = lookup (obj, path);
              if (json_is_string (v) && !as_json)
                fputs (json_string_value (v), stdout);
              else if (v)
                {
                  cleanup_free char *s = json_dumps (v, JSON_ENCODE_ANY | JSON_COMPACT);
                  fputs (s, stdout);
                }
              else
                fputs ("<no value>", stdout);
            }
          p = end + 2;
        }
      else if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n'))
        {
          putchar (p[1] == 't' ? '\t' : '\n');
          p += 2;
        }
      else
        putchar (*p++);
    }
  putchar ('\n');
}

void
hako_print_template (const char *tmpl, json_t *obj)
{
  render (tmpl, obj, false);
}

void
hako_print_template_header (const char *tmpl)
{
  render (tmpl, NULL, true);
}

/* json, table, "table TEMPLATE" or TEMPLATE for one row; the table itself
   is the caller's. */
static bool
print_formatted (const char *format, json_t *row)
{
  if (!format || strcmp (format, "table") == 0)
    return false;
  if (strcmp (format, "json") == 0)
    {
      cleanup_free char *s = json_dumps (row, JSON_COMPACT);
      printf ("%s\n", s);
    }
  else
    hako_print_template (strncmp (format, "table ", 6) == 0 ? format + 6 : format, row);
  return true;
}

static bool
confirm (const char *warning)
{
  fprintf (stderr, "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
  char line[16];
  if (!fgets (line, sizeof (line), stdin))
    return false;
  return line[0] == 'y' || line[0] == 'Y';
}

struct prune_list
{
  bool any;
  const char *title;
};

static void
print_pruned (void *ctx, const char *kind, const char *what)
{
  struct prune_list *l = ctx;
  if (!l->any)
    printf ("%s:\n", l->title);
  l->any = true;
  if (strcmp (l->title, "Deleted Images") == 0)
    printf ("%s: %s\n", strcmp (kind, "Untagged") == 0 ? "untagged" : "deleted", what);
  else
    printf ("%s\n", what);
}

static void
print_reclaimed (uint64_t n)
{
  char size[32];
  hako_human_size (n, size, sizeof (size));
  printf ("Total reclaimed space: %s\n", size);
}

/* ---- volume ---- */

static json_t *
volume_view (json_t *v)
{
  json_t *j = json_deep_copy (v);
  json_object_del (j, "Anonymous");
  return j;
}

static int
volume_create (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = {
    { "label", required_argument, NULL, 'l' },
    { "driver", required_argument, NULL, 'd' },
    { "opt", required_argument, NULL, 'o' },
    { "name", required_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  char **labels = NULL;
  size_t nl = 0;
  const char *name = NULL;
  int c, rc = 0;
  struct hako_err *err = NULL;
  while ((c = getopt_long (argc, argv, "+l:d:o:", lo, NULL)) != -1)
    switch (c)
      {
      case 'l':
        labels = xrealloc (labels, (nl + 1) * sizeof (char *));
        labels[nl++] = optarg;
        break;
      case 'd':
        if (strcmp (optarg, "local") != 0)
          rc = hako_error (&err, ENOTSUP, "volume driver `%s`: only `local` is supported", optarg);
        break;
      case 'o':
        rc = hako_error (&err, ENOTSUP, "volume option `%s`: the local driver of hako takes none yet",
                         optarg);
        break;
      case 'n':
        name = optarg;
        break;
      default:
        free (labels);
        return hako_usage ("volume create", "see `hako --help`");
      }
  if (optind < argc)
    {
      if (name && strcmp (name, argv[optind]) != 0)
        rc = hako_error (&err, EINVAL, "conflicting names: --name %s and %s", name, argv[optind]);
      name = argv[optind];
    }
  if (argc - optind > 1)
    {
      free (labels);
      return hako_usage ("volume create", "at most 1 argument: [VOLUME]");
    }
  cleanup_free char *generated = name ? NULL : eng_id_generate ();
  struct eng_ctx e;
  if (rc == 0 && hako_engine (ctx, &e, &err) == 0
      && eng_volume_create (&e, name ? name : generated, labels, nl, &err) == 0)
    printf ("%s\n", name ? name : generated);
  free (labels);
  return err ? hako_fail (&err) : 0;
}

static bool
volume_matches (const struct eng_ctx *e, json_t *v, char **filters, size_t n)
{
  const char *name = json_string_value (json_object_get (v, "Name"));
  for (size_t i = 0; i < n; i++)
    {
      const char *f = filters[i], *eq = strchr (f, '=');
      if (!eq)
        return false;
      size_t kl = (size_t) (eq - f);
      const char *val = eq + 1;
      if (kl == 4 && strncmp (f, "name", 4) == 0)
        {
          if (!strstr (name, val))
            return false;
        }
      else if (kl == 6 && strncmp (f, "driver", 6) == 0)
        {
          if (strcmp (val, "local") != 0)
            return false;
        }
      else if (kl == 8 && strncmp (f, "dangling", 8) == 0)
        {
          bool want = strcmp (val, "true") == 0 || strcmp (val, "1") == 0;
          if (eng_volume_in_use (e, name) == want)
            return false;
        }
      else if (kl == 5 && strncmp (f, "label", 5) == 0)
        {
          cleanup_free char *k = xstrdup (val);
          char *veq = strchr (k, '=');
          if (veq)
            *veq++ = '\0';
          const char *have = json_string_value (json_object_get (json_object_get (v, "Labels"), k));
          if (!have || (veq && strcmp (have, veq) != 0))
            return false;
        }
      else
        return false;
    }
  return true;
}

static int
volume_ls (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "format", required_argument, NULL, 'F' },
    { "filter", required_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  bool quiet = false;
  const char *format = NULL;
  char **filters = NULL;
  size_t nf = 0;
  int c;
  while ((c = getopt_long (argc, argv, "+qf:", lo, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'F':
        format = optarg;
        break;
      case 'f':
        filters = xrealloc (filters, (nf + 1) * sizeof (char *));
        filters[nf++] = optarg;
        break;
      default:
        free (filters);
        return hako_usage ("volume ls", "see `hako --help`");
      }
  struct eng_ctx e;
  struct hako_err *err = NULL;
  json_t *list = NULL;
  if (hako_engine (ctx, &e, &err) < 0 || eng_volume_list (&e, &list, &err) < 0)
    {
      free (filters);
      return hako_fail (&err);
    }
  if (!quiet && (!format || strcmp (format, "table") == 0))
    printf ("%-10s%s\n", "DRIVER", "VOLUME NAME");
  else if (!quiet && strncmp (format, "table ", 6) == 0)
    hako_print_template_header (format + 6);
  size_t i;
  json_t *v;
  json_array_foreach (list, i, v)
  {
    if (!volume_matches (&e, v, filters, nf))
      continue;
    const char *name = json_string_value (json_object_get (v, "Name"));
    json_t *row = volume_view (v);
    if (quiet)
      printf ("%s\n", name);
    else if (!print_formatted (format, row))
      printf ("%-10s%s\n", "local", name);
    json_decref (row);
  }
  json_decref (list);
  free (filters);
  return 0;
}

static int
volume_inspect (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  const char *format = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+f:", lo, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return hako_usage ("volume inspect", "see `hako --help`");
  if (optind >= argc)
    return hako_usage ("volume inspect", "requires at least 1 argument");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  json_t *out = json_array ();
  int rc = 0;
  for (int i = optind; i < argc; i++)
    {
      json_t *v = NULL;
      if (eng_volume_inspect (&e, argv[i], &v, &err) < 0)
        {
          hako_log_error (err);
          hako_error_free (&err);
          rc = 1;
          continue;
        }
      json_t *view = volume_view (v);
      json_decref (v);
      if (format)
        print_formatted (format, view);
      json_array_append_new (out, view);
    }
  if (!format)
    {
      cleanup_free char *s = json_dumps (out, JSON_INDENT (4));
      printf ("%s\n", s);
    }
  json_decref (out);
  return rc;
}

static int
volume_rm (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  bool force = false;
  int c;
  while ((c = getopt_long (argc, argv, "+f", lo, NULL)) != -1)
    if (c == 'f')
      force = true;
    else
      return hako_usage ("volume rm", "see `hako --help`");
  if (optind >= argc)
    return hako_usage ("volume rm", "requires at least 1 argument");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  int rc = 0;
  for (int i = optind; i < argc; i++)
    {
      /* As docker, -f forgives a missing volume, not one in use. */
      if (eng_volume_remove (&e, argv[i], false, &err) < 0)
        {
          if (!(force && err->errno_ == ENOENT))
            {
              hako_log_error (err);
              rc = 1;
            }
          hako_error_free (&err);
          continue;
        }
      printf ("%s\n", argv[i]);
    }
  return rc;
}

static bool
parse_prune (int argc, char **argv, bool *force, bool *all, bool *volumes)
{
  static const struct option lo[] = {
    { "force", no_argument, NULL, 'f' },
    { "all", no_argument, NULL, 'a' },
    { "volumes", no_argument, NULL, 'V' },
    { "filter", required_argument, NULL, 'F' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  while ((c = getopt_long (argc, argv, "+fa", lo, NULL)) != -1)
    switch (c)
      {
      case 'f':
        *force = true;
        break;
      case 'a':
        *all = true;
        break;
      case 'V':
        if (!volumes)
          return false;
        *volumes = true;
        break;
      case 'F':
        fprintf (stderr, "hako: --filter is not supported by prune yet\n");
        return false;
      default:
        return false;
      }
  return optind == argc;
}

static int
volume_prune (struct hako_ctx *ctx, int argc, char **argv)
{
  bool force = false, all = false;
  if (!parse_prune (argc, argv, &force, &all, NULL))
    return hako_usage ("volume prune", "see `hako --help`");
  if (!force && !confirm ("This will remove all local volumes not used by at least one container."))
    return 0;
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct prune_list l = { .title = "Deleted Volumes" };
  uint64_t n = 0;
  if (hako_engine (ctx, &e, &err) < 0 || eng_volume_prune (&e, print_pruned, &l, &n, &err) < 0)
    return hako_fail (&err);
  if (l.any)
    putchar ('\n');
  print_reclaimed (n);
  return 0;
}

int
cmd_volume (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    hako_cmd_fn fn;
  } subs[] = {
    { "create", volume_create },   { "ls", volume_ls }, { "list", volume_ls },
    { "inspect", volume_inspect }, { "rm", volume_rm }, { "remove", volume_rm },
    { "prune", volume_prune },
  };
  if (argc < 2)
    return hako_usage ("volume", "missing subcommand: create, ls, inspect, rm, prune");
  for (size_t i = 0; i < sizeof (subs) / sizeof (subs[0]); i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      return subs[i].fn (ctx, argc - 1, argv + 1);
  return hako_usage ("volume", "unknown subcommand (create, ls, inspect, rm, prune)");
}

/* ---- container prune ---- */

int
cmd_container_prune (struct hako_ctx *ctx, int argc, char **argv)
{
  bool force = false, all = false;
  if (!parse_prune (argc, argv, &force, &all, NULL))
    return hako_usage ("container prune", "see `hako --help`");
  if (!force && !confirm ("This will remove all stopped containers."))
    return 0;
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct prune_list l = { .title = "Deleted Containers" };
  uint64_t n = 0;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  int r = eng_container_prune (&e, print_pruned, &l, &n, &err);
  if (l.any)
    putchar ('\n');
  print_reclaimed (n);
  return r < 0 ? hako_fail (&err) : 0;
}

/* ---- system df ---- */

static json_t *
df_row (const char *type, const struct eng_df_row *r, bool pct)
{
  char total[32], active[32], size[32], rec[32], recp[48];
  snprintf (total, sizeof (total), "%zu", r->total);
  snprintf (active, sizeof (active), "%zu", r->active);
  hako_human_size (r->size, size, sizeof (size));
  hako_human_size (r->reclaimable, rec, sizeof (rec));
  if (pct)
    snprintf (recp, sizeof (recp), "%s (%.0f%%)", rec,
              r->size ? 100.0 * (double) r->reclaimable / (double) r->size : 0.0);
  else
    snprintf (recp, sizeof (recp), "%s", rec);
  return json_pack ("{s:s, s:s, s:s, s:s, s:s}", "Type", type, "TotalCount", total, "Active", active, "Size",
                    size, "Reclaimable", recp);
}

static int
system_df (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "format", required_argument, NULL, 'f' },
                                      { "verbose", no_argument, NULL, 'v' },
                                      { NULL, 0, NULL, 0 } };
  const char *format = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+v", lo, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else if (c != 'v')
      return hako_usage ("system df", "see `hako --help`");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  struct eng_df df;
  if (hako_engine (ctx, &e, &err) < 0 || eng_df (&e, &df, &err) < 0)
    return hako_fail (&err);
  json_t *rows[] = { df_row ("Images", &df.images, true), df_row ("Containers", &df.containers, true),
                     df_row ("Local Volumes", &df.volumes, true),
                     df_row ("Build Cache", &(struct eng_df_row){ 0 }, false) };
  bool table = !format || strcmp (format, "table") == 0;
  if (table)
    printf ("%-16s%-10s%-10s%-10s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
  else if (strncmp (format, "table ", 6) == 0)
    hako_print_template_header (format + 6);
  for (size_t i = 0; i < 4; i++)
    {
      json_t *r = rows[i];
      if (table)
        printf ("%-16s%-10s%-10s%-10s%s\n", json_string_value (json_object_get (r, "Type")),
                json_string_value (json_object_get (r, "TotalCount")),
                json_string_value (json_object_get (r, "Active")),
                json_string_value (json_object_get (r, "Size")),
                json_string_value (json_object_get (r, "Reclaimable")));
      else
        print_formatted (format, r);
      json_decref (r);
    }
  return 0;
}

/* ---- system prune ---- */

static int
system_prune (struct hako_ctx *ctx, int argc, char **argv)
{
  bool force = false, all = false, volumes = false;
  if (!parse_prune (argc, argv, &force, &all, &volumes))
    return hako_usage ("system prune", "see `hako --help`");
  if (!force)
    {
      char warning[512];
      snprintf (warning, sizeof (warning), "This will remove:\n  - all stopped containers\n%s  - all %s\n\n",
                volumes ? "  - all volumes not used by at least one container\n" : "",
                all ? "images without at least one container associated to them" : "dangling images");
      if (!confirm (warning))
        return 0;
    }
  struct eng_ctx e;
  struct hako_err *err = NULL;
  uint64_t total = 0, n = 0;
  int rc = 0;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  struct prune_list lc = { .title = "Deleted Containers" };
  if (eng_container_prune (&e, print_pruned, &lc, &n, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
      rc = 1;
    }
  total += n;
  if (lc.any)
    putchar ('\n');
  if (volumes)
    {
      struct prune_list lv = { .title = "Deleted Volumes" };
      if (eng_volume_prune (&e, print_pruned, &lv, &n, &err) < 0)
        {
          hako_log_error (err);
          hako_error_free (&err);
          rc = 1;
        }
      total += n;
      if (lv.any)
        putchar ('\n');
    }
  struct prune_list li = { .title = "Deleted Images" };
  if (eng_image_prune (&e, all, print_pruned, &li, &n, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
      rc = 1;
    }
  total += n;
  if (li.any)
    putchar ('\n');
  print_reclaimed (total);
  return rc;
}

/* ---- system info ---- */

static const char *
fs_name (const char *path)
{
  struct statfs s;
  if (statfs (path, &s) < 0)
    return "unknown";
  switch ((unsigned long) s.f_type)
    {
    case EXT4_SUPER_MAGIC:
      return "extfs";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case TMPFS_MAGIC:
      return "tmpfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlayfs";
    default:
      return "unknown";
    }
}

static char *
os_name (void)
{
  cleanup_free char *buf = NULL;
  if (hako_read_file ("/etc/os-release", &buf, NULL, NULL) < 0)
    return xstrdup ("Linux");
  for (char *l = buf; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    if (strncmp (l, "PRETTY_NAME=", 12) == 0)
      {
        char *v = l + 12;
        size_t n = strcspn (v, "\n");
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
          return strndup (v + 1, n - 2);
        return strndup (v, n);
      }
  return xstrdup ("Linux");
}

static int
cgroup_version (void)
{
  struct statfs s;
  return statfs ("/sys/fs/cgroup", &s) == 0 && (unsigned long) s.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
}

static json_t *
info_json (struct hako_ctx *ctx, struct eng_ctx *e)
{
  struct eng_ctr **v = NULL;
  size_t n = 0, running = 0, paused = 0;
  if (eng_ctr_list (e, &v, &n, NULL) == 0)
    for (size_t i = 0; i < n; i++)
      {
        running += strcmp (eng_ctr_status (v[i]), "running") == 0;
        paused += strcmp (eng_ctr_status (v[i]), "paused") == 0;
      }
  eng_ctr_list_free (v, n);
  struct img_index ix = { 0 };
  size_t images = img_index_read (e->store, &ix, NULL) == 0 ? ix.n : 0;
  img_index_clear (&ix);
  json_t *vols = NULL;
  size_t volumes = eng_volume_list (e, &vols, NULL) == 0 ? json_array_size (vols) : 0;
  json_decref (vols);
  struct utsname u;
  uname (&u);
  char host[256] = "";
  gethostname (host, sizeof (host) - 1);
  cleanup_free char *os = os_name ();
  cleanup_free char *rtroot = eng_runtime_root (e);
  cleanup_free char *now = eng_now ();
  long pages = sysconf (_SC_PHYS_PAGES), psize = sysconf (_SC_PAGESIZE);
  char cgv[8];
  snprintf (cgv, sizeof (cgv), "%d", cgroup_version ());
  json_t *j = json_object ();
  json_object_set_new (j, "Containers", json_integer ((json_int_t) n));
  json_object_set_new (j, "ContainersRunning", json_integer ((json_int_t) running));
  json_object_set_new (j, "ContainersPaused", json_integer ((json_int_t) paused));
  json_object_set_new (j, "ContainersStopped", json_integer ((json_int_t) (n - running - paused)));
  json_object_set_new (j, "Images", json_integer ((json_int_t) images));
  json_object_set_new (j, "Volumes", json_integer ((json_int_t) volumes));
  json_object_set_new (j, "Driver", json_string ("overlay"));
  json_object_set_new (j, "DriverStatus",
                       json_pack ("[[s,s]]", "Backing Filesystem", fs_name (ctx->storage)));
  json_object_set_new (
      j, "Plugins",
      json_pack ("{s:[s], s:[s], s:[s]}", "Volume", "local", "Network", "none", "Log", "json-file"));
  json_object_set_new (j, "LoggingDriver", json_string ("json-file"));
  json_object_set_new (j, "CgroupDriver", json_string ("cgroupfs"));
  json_object_set_new (j, "CgroupVersion", json_string (cgv));
  json_object_set_new (j, "KernelVersion", json_string (u.release));
  json_object_set_new (j, "OperatingSystem", json_string (os));
  json_object_set_new (j, "OSType", json_string ("linux"));
  json_object_set_new (j, "Architecture", json_string (u.machine));
  json_object_set_new (j, "NCPU", json_integer (sysconf (_SC_NPROCESSORS_ONLN)));
  json_object_set_new (j, "MemTotal", json_integer (pages > 0 && psize > 0 ? (json_int_t) pages * psize : 0));
  json_object_set_new (j, "Name", json_string (host));
  json_object_set_new (j, "ServerVersion", json_string (HAKO_VERSION));
  /* docker's name for the storage root, so that tools reading it work. */
  json_object_set_new (j, "DockerRootDir", json_string (ctx->storage));
  json_object_set_new (j, "RunRoot", json_string (e->run_root));
  json_object_set_new (j, "RuntimeRoot", json_string (rtroot));
  json_object_set_new (j, "Runtimes", json_pack ("{s:{s:s}}", "hako", "path", "built-in"));
  json_object_set_new (j, "DefaultRuntime", json_string ("hako"));
  json_object_set_new (j, "SecurityOptions", json_pack ("[s]", "name=seccomp,profile=builtin"));
  json_object_set_new (j, "SystemTime", json_string (now));
  json_object_set_new (j, "Debug", json_false ());
  json_object_set_new (j, "Warnings", json_array ());
  return j;
}

static int
system_info (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option lo[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  const char *format = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+f:", lo, NULL)) != -1)
    if (c == 'f')
      format = optarg;
    else
      return hako_usage ("system info", "see `hako --help`");
  struct eng_ctx e;
  struct hako_err *err = NULL;
  if (hako_engine (ctx, &e, &err) < 0)
    return hako_fail (&err);
  json_t *j = info_json (ctx, &e);
  if (format && (strcmp (format, "json") == 0 || strcmp (format, "{{json .}}") == 0))
    {
      cleanup_free char *s = json_dumps (j, JSON_COMPACT);
      printf ("%s\n", s);
      json_decref (j);
      return 0;
    }
  if (format)
    {
      hako_print_template (format, j);
      json_decref (j);
      return 0;
    }
#define I(k) ((long long) json_integer_value (json_object_get (j, k)))
#define S(k) json_string_value (json_object_get (j, k))
  char mem[32];
  double gib = (double) json_integer_value (json_object_get (j, "MemTotal")) / (1024.0 * 1024 * 1024);
  snprintf (mem, sizeof (mem), "%.4gGiB", gib);
  printf ("Server:\n"
          " Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n"
          " Images: %lld\n Volumes: %lld\n"
          " Server Version: %s\n"
          " Storage Driver: %s\n  Backing Filesystem: %s\n"
          " Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n"
          " Plugins:\n  Volume: local\n  Network: none\n  Log: json-file\n"
          " Runtimes: hako\n Default Runtime: %s\n"
          " Security Options:\n  seccomp\n   Profile: builtin\n"
          " Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n"
          " CPUs: %lld\n Total Memory: %s\n Name: %s\n"
          " Root Dir: %s\n Run Root: %s\n Runtime Root: %s\n Debug Mode: false\n",
          I ("Containers"), I ("ContainersRunning"), I ("ContainersPaused"), I ("ContainersStopped"),
          I ("Images"), I ("Volumes"), S ("ServerVersion"), S ("Driver"),
          json_string_value (json_array_get (json_array_get (json_object_get (j, "DriverStatus"), 0), 1)),
          S ("LoggingDriver"), S ("CgroupDriver"), S ("CgroupVersion"), S ("DefaultRuntime"),
          S ("KernelVersion"), S ("OperatingSystem"), S ("OSType"), S ("Architecture"), I ("NCPU"), mem,
          S ("Name"), S ("DockerRootDir"), S ("RunRoot"), S ("RuntimeRoot"));
#undef I
#undef S
  json_decref (j);
  return 0;
}

/* `system df|prune|info`, dispatched from cmd_system (hako_system.c). */
int
cmd_system_engine (struct hako_ctx *ctx, int argc, char **argv)
{
  if (strcmp (argv[0], "df") == 0)
    return system_df (ctx, argc, argv);
  if (strcmp (argv[0], "prune") == 0)
    return system_prune (ctx, argc, argv);
  if (strcmp (argv[0], "info") == 0)
    return system_info (ctx, argc, argv);
  return -1;
}

/* `hako info`: docker's short name for `system info`. */
int
cmd_info (struct hako_ctx *ctx, int argc, char **argv)
{
  return system_info (ctx, argc, argv);
}
