/* SPDX-License-Identifier: Apache-2.0 */
#include "index.h"
#include "digest.h"
#include "ref.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void
record_clear (struct img_record *r)
{
  free (r->id);
  free (r->digest);
  free (r->manifest);
  for (size_t i = 0; i < r->n_names; i++)
    free (r->names[i]);
  free (r->names);
  memset (r, 0, sizeof (*r));
}

static void
free_records (struct img_index *ix)
{
  for (size_t i = 0; i < ix->n; i++)
    record_clear (&ix->v[i]);
  free (ix->v);
  ix->v = NULL;
  ix->n = 0;
}

void
img_index_clear (struct img_index *ix)
{
  free_records (ix);
  if (ix->lock_fd > 0)
    close (ix->lock_fd);
  memset (ix, 0, sizeof (*ix));
}

static const char *
str_or_null (json_t *o, const char *key)
{
  json_t *v = json_object_get (o, key);
  return json_is_string (v) ? json_string_value (v) : NULL;
}

static int
parse_record (json_t *o, size_t i, struct img_record *r, struct hako_err **err)
{
  const char *id = str_or_null (o, "id"), *digest = str_or_null (o, "digest");
  const char *manifest = str_or_null (o, "manifest");
  json_t *names = json_object_get (o, "names");

  if (!img_digest_valid (id) || !img_digest_valid (digest) || !img_digest_valid (manifest)
      || (names && !json_is_array (names)))
    return hako_error (err, 0, "images.json: images[%zu]: missing or invalid field", i);
  r->id = xstrdup (id);
  r->digest = xstrdup (digest);
  r->manifest = xstrdup (manifest);
  r->created = json_integer_value (json_object_get (o, "created"));
  r->names = xzalloc ((json_array_size (names) + 1) * sizeof (char *));
  for (size_t k = 0; k < json_array_size (names); k++)
    {
      const char *n = json_string_value (json_array_get (names, k));
      if (n)
        r->names[r->n_names++] = xstrdup (n);
    }
  return 0;
}

int
img_index_read (struct img_store *s, struct img_index *ix, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (s->root, "images.json");
  json_error_t jerr;
  ix->v = NULL;
  ix->n = 0;
  ix->lock_fd = -1; /* a reader holds no lock: img_index_clear must not close one */
  if (access (path, F_OK) < 0 && errno == ENOENT)
    return 0;
  json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    return hako_error (err, 0, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
  json_t *images = json_object_get (root, "images");
  ix->v = xzalloc ((json_array_size (images) + 1) * sizeof (*ix->v));
  for (size_t i = 0; i < json_array_size (images); i++)
    {
      if (parse_record (json_array_get (images, i), i, &ix->v[ix->n], err) < 0)
        {
          json_decref (root);
          free_records (ix);
          return -1;
        }
      ix->n++;
    }
  json_decref (root);
  return 0;
}

int
img_index_begin (struct img_store *s, struct img_index *ix, struct hako_err **err)
{
  memset (ix, 0, sizeof (*ix));
  int fd = openat (s->rootfd, "images.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error (err, errno, "open `%s/images.lock`", s->root);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        close (fd);
        return hako_error (err, errno, "lock `%s/images.lock`", s->root);
      }
  /* img_index_read leaves a reader's lock_fd at -1: set ours after it. */
  int r = img_index_read (s, ix, err);
  ix->lock_fd = fd;
  if (r < 0)
    {
      img_index_clear (ix);
      return -1;
    }
  return 0;
}

int
img_index_commit (struct img_store *s, struct img_index *ix, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (s->root, "images.json");
  json_t *images = json_array ();

  for (size_t i = 0; i < ix->n; i++)
    {
      struct img_record *r = &ix->v[i];
      json_t *names = json_array ();
      for (size_t k = 0; k < r->n_names; k++)
        json_array_append_new (names, json_string (r->names[k]));
      json_array_append_new (images,
                             json_pack ("{s:s,s:s,s:s,s:o,s:I}", "id", r->id, "digest", r->digest, "manifest",
                                        r->manifest, "names", names, "created", (json_int_t) r->created));
    }
  json_t *root = json_pack ("{s:i,s:o}", "version", 1, "images", images);
  cleanup_free char *text = json_dumps (root, JSON_INDENT (1));
  json_decref (root);
  int r = hako_write_file_atomic (path, text, strlen (text), 0600, err);
  img_index_clear (ix);
  return r;
}

struct img_record *
img_index_put (struct img_index *ix, const char *id, const char *digest, const char *manifest)
{
  for (size_t i = 0; i < ix->n; i++)
    if (strcmp (ix->v[i].manifest, manifest) == 0)
      {
        free (ix->v[i].digest);
        ix->v[i].digest = xstrdup (digest);
        return &ix->v[i];
      }
  ix->v = xrealloc (ix->v, (ix->n + 1) * sizeof (*ix->v));
  struct img_record *r = &ix->v[ix->n++];
  memset (r, 0, sizeof (*r));
  r->id = xstrdup (id);
  r->digest = xstrdup (digest);
  r->manifest = xstrdup (manifest);
  r->names = xzalloc (sizeof (char *));
  r->created = (int64_t) time (NULL);
  return r;
}

static bool
record_drop_name (struct img_record *r, const char *name)
{
  for (size_t k = 0; k < r->n_names; k++)
    if (strcmp (r->names[k], name) == 0)
      {
        free (r->names[k]);
        memmove (&r->names[k], &r->names[k + 1], (r->n_names - k) * sizeof (char *));
        r->n_names--;
        return true;
      }
  return false;
}

bool
img_index_drop_name (struct img_index *ix, const char *name)
{
  bool found = false;
  for (size_t i = 0; i < ix->n; i++)
    found |= record_drop_name (&ix->v[i], name);
  return found;
}

void
img_index_set_name (struct img_index *ix, struct img_record *rec, const char *name)
{
  for (size_t i = 0; i < ix->n; i++)
    if (&ix->v[i] != rec)
      record_drop_name (&ix->v[i], name);
  for (size_t k = 0; k < rec->n_names; k++)
    if (strcmp (rec->names[k], name) == 0)
      return;
  rec->names = xrealloc (rec->names, (rec->n_names + 2) * sizeof (char *));
  rec->names[rec->n_names++] = xstrdup (name);
  rec->names[rec->n_names] = NULL;
}

void
img_index_remove (struct img_index *ix, struct img_record *rec)
{
  size_t i = (size_t) (rec - ix->v);
  record_clear (rec);
  memmove (&ix->v[i], &ix->v[i + 1], (ix->n - i - 1) * sizeof (*ix->v));
  ix->n--;
}

static bool
has_name (const struct img_record *r, const char *name)
{
  for (size_t k = 0; k < r->n_names; k++)
    if (strcmp (r->names[k], name) == 0)
      return true;
  return false;
}

/* "sha256:abc…" or "abc…": match a prefix of an ID or manifest digest. */
static int
lookup_id (const struct img_index *ix, const char *query)
{
  const char *hex = strncmp (query, "sha256:", 7) == 0 ? query + 7 : query;
  size_t n = strlen (hex);
  int found = -1;

  if (n == 0 || strspn (hex, "0123456789abcdef") != n)
    return -1;
  for (size_t i = 0; i < ix->n; i++)
    {
      if (strncmp (img_digest_hex (ix->v[i].id), hex, n) != 0)
        continue;
      /* Several records may share an ID (one config, two manifests):
         that is still one image for the user. */
      if (found >= 0 && strcmp (ix->v[found].id, ix->v[i].id) != 0)
        return -2;
      if (found < 0)
        found = (int) i;
    }
  return found;
}

static int
lookup_name (const struct img_index *ix, const struct img_ref *ref)
{
  cleanup_free char *full = img_ref_string (ref);
  cleanup_free char *name = img_ref_name (ref);

  for (size_t i = 0; i < ix->n; i++)
    {
      const struct img_record *r = &ix->v[i];
      if (ref->digest)
        {
          bool same = strcmp (ref->digest, r->digest) == 0 || strcmp (ref->digest, r->manifest) == 0;
          bool named = false;
          for (size_t k = 0; k < r->n_names && !named; k++)
            named = strncmp (r->names[k], name, strlen (name)) == 0
                    && (r->names[k][strlen (name)] == ':' || r->names[k][strlen (name)] == '@');
          if (same && (named || has_name (r, full)))
            return (int) i;
          continue;
        }
      if (has_name (r, full))
        return (int) i;
    }
  return -1;
}

int
img_index_lookup (const struct img_index *ix, const char *query, const char *default_domain,
                  struct hako_err **err)
{
  struct img_ref *ref = NULL;
  int i = -1;

  if (img_ref_parse (query, default_domain, &ref, NULL) == 0)
    {
      i = lookup_name (ix, ref);
      img_ref_free (ref);
      if (i >= 0)
        return i;
    }
  i = lookup_id (ix, query);
  if (i == -2)
    return hako_error (err, 0, "`%s`: ambiguous image ID prefix", query);
  if (i < 0)
    return hako_error (err, ENOENT, "no such image `%s`", query);
  return i;
}
