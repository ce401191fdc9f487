/* SPDX-License-Identifier: Apache-2.0 */
/* images, rmi, tag, image inspect, image prune, history. */
#include "hako_cli.h"
#include "../image/digest.h"
#include "../image/layer.h"
#include "../image/ref.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
short_hex (const char *digest, char buf[16])
{
  snprintf (buf, 16, "%.12s", img_digest_hex (digest));
  return buf;
}

/* Uncompressed size: what unpacking recorded, else the blob sizes. */
static uint64_t
image_size (struct img_store *s, const struct img_image *img)
{
  uint64_t total = 0;
  for (size_t i = 0; i < img->m.n_layers; i++)
    {
      int64_t n = img_layer_size (s, img->c.diff_ids[i]);
      total += (uint64_t) (n >= 0 ? n : img->m.layers[i].size);
    }
  return total;
}

/* "docker.io/library/busybox:1.36" -> repository "busybox", tag "1.36" */
static void
split_name (const char *full, char **repo, char **tag)
{
  cleanup_free char *fam = img_ref_familiar (full);
  char *at = strchr (fam, '@');
  if (at)
    *at = '\0';
  char *slash = strrchr (fam, '/');
  char *colon = strrchr (slash ? slash : fam, ':');
  *tag = xstrdup (colon && !at ? colon + 1 : "<none>");
  if (colon && !at)
    *colon = '\0';
  *repo = xstrdup (fam);
}

struct images_opts
{
  bool quiet, digests, json;
};

static void
images_row (struct img_store *s, const struct img_record *rec, const char *name, const struct images_opts *o,
            const struct img_image *img)
{
  cleanup_free char *repo = NULL;
  cleanup_free char *tag = NULL;
  char id[16], size[16], since[48];

  if (name)
    split_name (name, &repo, &tag);
  else
    repo = xstrdup ("<none>"), tag = xstrdup ("<none>");
  short_hex (rec->id, id);
  hako_human_size (img ? image_size (s, img) : 0, size, sizeof (size));
  int64_t created = img ? hako_parse_time (img->c.created) : 0;
  hako_human_since (created ? created : rec->created, since, sizeof (since));
  if (o->json)
    {
      json_t *j = json_pack ("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Repository", repo, "Tag", tag,
                             "Digest", rec->digest, "CreatedAt", img && img->c.created ? img->c.created : "",
                             "CreatedSince", since, "Size", size);
      cleanup_free char *text = json_dumps (j, JSON_COMPACT);
      json_decref (j);
      printf ("%s\n", text);
      return;
    }
  if (o->digests)
    printf ("%-40s %-16s %-72s %-13s %-24s %s\n", repo, tag, rec->digest, id, since, size);
  else
    printf ("%-40s %-16s %-13s %-24s %s\n", repo, tag, id, since, size);
}

int
cmd_images (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[]
      = { { "quiet", no_argument, NULL, 'q' },        { "digests", no_argument, NULL, 'd' },
          { "format", required_argument, NULL, 'f' }, { "all", no_argument, NULL, 'a' },
          { "no-trunc", no_argument, NULL, 'n' },     { NULL, 0, NULL, 0 } };
  struct images_opts o = { 0 };
  struct img_index ix = { 0 };
  struct hako_err *err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "qa", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        o.quiet = true;
        break;
      case 'd':
        o.digests = true;
        break;
      case 'a':
      case 'n':
        break;
      case 'f':
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "{{json .}}") != 0
            && strcmp (optarg, "table") != 0)
          return hako_usage ("images", "--format: json or table");
        o.json = strcmp (optarg, "table") != 0;
        break;
      default:
        return hako_usage ("images", "invalid option");
      }
  if (hako_open_store (ctx, &err) < 0 || img_index_read (ctx->store, &ix, &err) < 0)
    return hako_fail (&err);
  if (!o.quiet && !o.json)
    {
      if (o.digests)
        printf ("%-40s %-16s %-72s %-13s %-24s %s\n", "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED",
                "SIZE");
      else
        printf ("%-40s %-16s %-13s %-24s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
    }
  for (size_t i = 0; i < ix.n; i++)
    {
      const struct img_record *rec = &ix.v[i];
      char id[16];
      if (o.quiet)
        {
          bool dup = false;
          for (size_t k = 0; k < i; k++)
            dup |= strcmp (ix.v[k].id, rec->id) == 0;
          if (!dup)
            printf ("%s\n", short_hex (rec->id, id));
          continue;
        }
      struct img_image img;
      bool loaded = img_image_load (ctx->store, rec->manifest, &img, NULL) == 0;
      for (size_t k = 0; k < (rec->n_names ? rec->n_names : 1); k++)
        images_row (ctx->store, rec, rec->n_names ? rec->names[k] : NULL, &o, loaded ? &img : NULL);
      if (loaded)
        img_image_clear (&img);
    }
  img_index_clear (&ix);
  return 0;
}

static void
print_event (void *ctx, const char *subject, const char *status)
{
  printf ("%s: %s\n", status, subject);
}

int
cmd_rmi (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[]
      = { { "force", no_argument, NULL, 'f' }, { "no-prune", no_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
  struct img_events ev = { .event = print_event };
  struct hako_err *err = NULL;
  bool force = false;
  int c, status = 0;

  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'n':
        break;
      default:
        return hako_usage ("rmi", "invalid option");
      }
  if (optind >= argc)
    return hako_usage ("rmi", "expected at least one image");
  if (hako_open_store (ctx, &err) < 0)
    return hako_fail (&err);
  for (int i = optind; i < argc; i++)
    if (img_remove (ctx->store, argv[i], ctx->default_domain, force, &ev, &err) < 0)
      status = hako_fail (&err);
  return status;
}

int
cmd_tag (struct hako_ctx *ctx, int argc, char **argv)
{
  struct hako_err *err = NULL;
  struct img_ref *ref = NULL;
  struct img_index ix;

  if (argc != 3)
    return hako_usage ("tag", "expected SOURCE TARGET");
  if (img_ref_parse (argv[2], ctx->default_domain, &ref, &err) < 0)
    return hako_fail (&err);
  cleanup_free char *name = img_ref_string (ref);
  bool has_digest = ref->digest != NULL;
  img_ref_free (ref);
  if (has_digest)
    return hako_usage ("tag", "the target must be a name with a tag, not a digest");
  if (hako_open_store (ctx, &err) < 0 || img_index_begin (ctx->store, &ix, &err) < 0)
    return hako_fail (&err);
  int i = img_index_lookup (&ix, argv[1], ctx->default_domain, &err);
  if (i < 0)
    {
      img_index_clear (&ix);
      return hako_fail (&err);
    }
  img_index_set_name (&ix, &ix.v[i], name);
  if (img_index_commit (ctx->store, &ix, &err) < 0)
    return hako_fail (&err);
  return 0;
}

/* docker's image inspect document. */
static json_t *
inspect_json (struct img_store *s, const struct img_record *rec, const struct img_image *img)
{
  json_t *tags = json_array (), *digests = json_array (), *layers = json_array ();
  cleanup_free char *lower = xstrdup ("");

  for (size_t k = 0; k < rec->n_names; k++)
    {
      cleanup_free char *repo = NULL;
      cleanup_free char *tag = NULL;
      split_name (rec->names[k], &repo, &tag);
      if (strcmp (tag, "<none>") != 0)
        json_array_append_new (tags, json_sprintf ("%s:%s", repo, tag));
      json_array_append_new (digests, json_sprintf ("%s@%s", repo, rec->digest));
    }
  for (size_t i = 0; i < img->c.n_diff_ids; i++)
    {
      json_array_append_new (layers, json_string (img->c.diff_ids[i]));
      cleanup_free char *dir = img_store_layer_path (s, img->c.diff_ids[i]);
      char *next = xasprintf ("%s/diff%s%s", dir, *lower ? ":" : "", lower); /* top layer first */
      free (lower);
      lower = next;
    }
  json_t *root = img->c.root;
  json_t *cfg = json_object_get (root, "config");
  json_t *o
      = json_pack ("{s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:O,s:s,s:s,s:I,s:I,s:{s:s,s:{s:s}},s:{s:s,s:o},s:{s:s}}",
                   "Id", rec->id, "RepoTags", tags, "RepoDigests", digests, "Parent", "", "Comment", "",
                   "Created", img->c.created ? img->c.created : "", "Author",
                   json_string_value (json_object_get (root, "author"))
                       ? json_string_value (json_object_get (root, "author"))
                       : "",
                   "Config", cfg ? cfg : json_null (), "Architecture", img->c.arch, "Os", img->c.os, "Size",
                   (json_int_t) image_size (s, img), "VirtualSize", (json_int_t) image_size (s, img),
                   "GraphDriver", "Name", "overlay", "Data", "LowerDir", lower, "RootFS", "Type", "layers",
                   "Layers", layers, "Metadata", "ManifestDigest", img->manifest_digest);
  if (img->c.variant)
    json_object_set_new (o, "Variant", json_string (img->c.variant));
  return o;
}

int
cmd_image_inspect (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  struct hako_err *err = NULL;
  json_t *all = json_array ();
  int c, status = 0;

  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1)
    if (c != 'f' || (strcmp (optarg, "json") != 0 && strcmp (optarg, "{{json .}}") != 0))
      return hako_usage ("image inspect", "only --format json is supported");
  if (optind >= argc)
    return hako_usage ("image inspect", "expected at least one image");
  if (hako_open_store (ctx, &err) < 0)
    return hako_fail (&err);
  for (int i = optind; i < argc; i++)
    {
      struct img_image img;
      struct img_record rec;
      if (img_image_find (ctx->store, argv[i], ctx->default_domain, &img, &rec, &err) < 0)
        {
          status = hako_fail (&err);
          continue;
        }
      json_array_append_new (all, inspect_json (ctx->store, &rec, &img));
      img_image_clear (&img);
      img_record_clear (&rec);
    }
  cleanup_free char *text = json_dumps (all, JSON_INDENT (4));
  json_decref (all);
  printf ("%s\n", text);
  return status;
}

int
cmd_image_prune (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[]
      = { { "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' }, { NULL, 0, NULL, 0 } };
  struct img_events ev = { .event = print_event };
  struct img_gc_stats st = { 0 };
  struct hako_err *err = NULL;
  bool all = false;
  int c;
  char size[16];

  while ((c = getopt_long (argc, argv, "af", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'f':
        break;
      default:
        return hako_usage ("image prune", "invalid option");
      }
  if (hako_open_store (ctx, &err) < 0 || img_prune (ctx->store, all, &ev, &st, &err) < 0)
    return hako_fail (&err);
  hako_human_size (st.bytes, size, sizeof (size));
  printf ("Removed %zu images, %zu blobs, %zu layers\nTotal reclaimed space: %s\n", st.images, st.blobs,
          st.layers, size);
  return 0;
}

int
cmd_history (struct hako_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[]
      = { { "no-trunc", no_argument, NULL, 'n' }, { "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 } };
  struct hako_err *err = NULL;
  struct img_image img;
  struct img_record rec;
  bool trunc = true, quiet = false;
  int c;

  while ((c = getopt_long (argc, argv, "q", opts, NULL)) != -1)
    switch (c)
      {
      case 'n':
        trunc = false;
        break;
      case 'q':
        quiet = true;
        break;
      default:
        return hako_usage ("history", "invalid option");
      }
  if (optind + 1 != argc)
    return hako_usage ("history", "expected one image");
  if (hako_open_store (ctx, &err) < 0
      || img_image_find (ctx->store, argv[optind], ctx->default_domain, &img, &rec, &err) < 0)
    return hako_fail (&err);
  json_t *hist = json_object_get (img.c.root, "history");
  size_t n = json_array_size (hist);
  /* history entries that made a layer, counted from the bottom */
  size_t layer = 0;
  for (size_t i = 0; i < n; i++)
    layer += !json_is_true (json_object_get (json_array_get (hist, i), "empty_layer"));
  if (!quiet)
    printf ("%-13s %-24s %-46s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  for (size_t i = n; i-- > 0;)
    {
      json_t *h = json_array_get (hist, i);
      bool empty = json_is_true (json_object_get (h, "empty_layer"));
      char id[72], since[48], size[16] = "0B";
      const char *by = json_string_value (json_object_get (h, "created_by"));
      const char *comment = json_string_value (json_object_get (h, "comment"));
      if (i == n - 1)
        snprintf (id, sizeof (id), "%s", trunc ? short_hex (rec.id, (char[16]){ 0 }) : rec.id);
      else
        snprintf (id, sizeof (id), "<missing>");
      if (!empty && layer > 0 && --layer < img.m.n_layers)
        {
          int64_t sz = img_layer_size (ctx->store, img.c.diff_ids[layer]);
          hako_human_size ((uint64_t) (sz >= 0 ? sz : img.m.layers[layer].size), size, sizeof (size));
        }
      if (quiet)
        {
          printf ("%s\n", id);
          continue;
        }
      hako_human_since (hako_parse_time (json_string_value (json_object_get (h, "created"))), since,
                        sizeof (since));
      printf ("%-13s %-24s %-46.*s %-10s %s\n", id, since, trunc ? 45 : 4096, by ? by : "", size,
              comment ? comment : "");
    }
  img_image_clear (&img);
  img_record_clear (&rec);
  return 0;
}
