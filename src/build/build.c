/* SPDX-License-Identifier: Apache-2.0 */
/* The builder: stages, steps, the cache and the commits (see build.h).
   The instructions that change the configuration only are in config.c's
   spirit here too, each a few lines; RUN (run.c-like) and the file steps
   share the "work rootfs" helpers below. */
#include "build.h"
#include "dockerfile.h"
#include "internal.h"
#include "../engine/engine.h"
#include "../image/digest.h"
#include "../image/image.h"
#include "../image/manifest.h"
#include "../image/snapshot.h"
#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct stage
{
  char *name;   /* lower case, NULL when unnamed */
  size_t first; /* index of its FROM in the file */
  size_t end;   /* one past its last instruction */
  bool needed;
  bool built;
  json_t *img;    /* the image config document */
  json_t *layers; /* the manifest's layer descriptors */
  char *id;       /* committed image (config digest), NULL: none yet */
  char *manifest;
  json_t *args; /* ARG name -> value (string) or null */
  bool cmd_set;
};

struct builder
{
  const struct eng_ctx *e;
  struct img_store *s;
  const struct bld_opts *o;
  struct bld_file f;
  int ctxfd;
  struct bld_ignore *ignore;
  json_t *global_args;
  json_t *build_args;
  struct stage *st;
  size_t n_st;
  size_t step, total;
  char *cache_dir;
};

static const char *const proxy_args[]
    = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY",   "no_proxy",   "ALL_PROXY",   "all_proxy",   NULL };

static bool
is_proxy_arg (const char *k)
{
  for (size_t i = 0; proxy_args[i]; i++)
    if (strcmp (proxy_args[i], k) == 0)
      return true;
  return false;
}

/* ---------- variables ---------- */

struct scope
{
  json_t *env;  /* "K=V" array (config Env), may be NULL */
  json_t *args; /* object */
};

static const char *
scope_lookup (void *ctx, const char *name)
{
  struct scope *sc = ctx;
  size_t i, len = strlen (name);
  json_t *v;
  json_array_foreach (sc->env, i, v)
  {
    const char *s = json_string_value (v);
    if (s && strncmp (s, name, len) == 0 && s[len] == '=')
      return s + len + 1;
  }
  return json_string_value (json_object_get (sc->args, name));
}

static json_t *
config_of (struct stage *st)
{
  json_t *c = json_object_get (st->img, "config");
  if (!json_is_object (c))
    {
      c = json_object ();
      json_object_set_new (st->img, "config", c);
    }
  return c;
}

static struct scope
stage_scope (struct stage *st)
{
  return (struct scope){ .env = json_object_get (config_of (st), "Env"), .args = st->args };
}

static void
env_put (json_t *cfg, const char *key, const char *val)
{
  json_t *env = json_object_get (cfg, "Env");
  if (!json_is_array (env))
    {
      env = json_array ();
      json_object_set_new (cfg, "Env", env);
    }
  cleanup_free char *kv = xasprintf ("%s=%s", key, val);
  size_t i, len = strlen (key);
  json_t *v;
  json_array_foreach (env, i, v)
  {
    const char *s = json_string_value (v);
    if (s && strncmp (s, key, len) == 0 && s[len] == '=')
      {
        json_array_set_new (env, i, json_string (kv));
        return;
      }
  }
  json_array_append_new (env, json_string (kv));
}

/* ---------- time ---------- */

static char *
created_now (const struct builder *b)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  if (b->o->timestamp >= 0)
    ts.tv_sec = (time_t) b->o->timestamp, ts.tv_nsec = 0;
  struct tm tm;
  char buf[64];
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (ts.tv_nsec)
    snprintf (buf + n, sizeof (buf) - n, ".%09ldZ", ts.tv_nsec);
  else
    snprintf (buf + n, sizeof (buf) - n, "Z");
  return xstrdup (buf);
}

/* ---------- commits ---------- */

static const char *
oci_layer_type (const char *mt)
{
  if (mt && strcmp (mt, IMG_MT_DOCKER_LAYER) == 0)
    return IMG_MT_OCI_LAYER_GZIP;
  return mt ? mt : IMG_MT_OCI_LAYER_GZIP;
}

/* img_commit with the store's shared lock (the sweep cannot run under
   it). */
static int
commit_isolated (struct img_store *s, const char *manifest, const char *name, struct hako_err **err)
{
  if (img_store_lock (s, false, err) < 0)
    return -1;
  int r = img_commit (s, manifest, manifest, name, NULL, NULL, err);
  img_store_unlock (s);
  return r;
}

/* Write the stage's config and manifest and record the image. */
static int
commit_state (struct builder *b, struct stage *st, struct hako_err **err)
{
  cleanup_free char *cfg_text = json_dumps (st->img, JSON_COMPACT);
  cleanup_free char *cfg_digest = NULL;
  cleanup_free char *m_digest = NULL;
  if (img_store_put_blob (b->s, NULL, cfg_text, strlen (cfg_text), &cfg_digest, err) < 0)
    return -1;
  json_t *m = json_pack ("{s:i,s:s,s:{s:s,s:s,s:I},s:O}", "schemaVersion", 2, "mediaType",
                         IMG_MT_OCI_MANIFEST, "config", "mediaType", IMG_MT_OCI_CONFIG, "digest", cfg_digest,
                         "size", (json_int_t) strlen (cfg_text), "layers", st->layers);
  cleanup_free char *m_text = json_dumps (m, JSON_COMPACT);
  json_decref (m);
  if (img_store_put_blob (b->s, NULL, m_text, strlen (m_text), &m_digest, err) < 0)
    return -1;
  if (commit_isolated (b->s, m_digest, NULL, err) < 0)
    return -1;
  free (st->id);
  free (st->manifest);
  st->id = steal_pointer (&cfg_digest);
  st->manifest = steal_pointer (&m_digest);
  return 0;
}

/* Load an image of the store into the stage's state. */
static int
load_state (struct builder *b, struct stage *st, const char *manifest, struct hako_err **err)
{
  struct img_image img;
  if (img_image_load (b->s, manifest, &img, err) < 0)
    return -1;
  json_t *m = json_loadb (img.manifest_buf, img.manifest_len, 0, NULL);
  json_t *layers = json_array ();
  size_t i;
  json_t *l;
  json_array_foreach (json_object_get (m, "layers"), i, l)
  {
    json_t *c = json_deep_copy (l);
    json_object_set_new (c, "mediaType",
                         json_string (oci_layer_type (json_string_value (json_object_get (l, "mediaType")))));
    json_array_append_new (layers, c);
  }
  json_decref (m);
  json_decref (st->img);
  json_decref (st->layers);
  st->img = json_deep_copy (img.c.root);
  st->layers = layers;
  free (st->id);
  free (st->manifest);
  st->id = xstrdup (img.m.config.digest);
  st->manifest = xstrdup (img.manifest_digest);
  img_image_clear (&img);
  return 0;
}

static void
add_history (struct builder *b, struct stage *st, const char *created_by, bool empty_layer)
{
  cleanup_free char *now = created_now (b);
  json_t *h = json_object_get (st->img, "history");
  if (!json_is_array (h))
    {
      h = json_array ();
      json_object_set_new (st->img, "history", h);
    }
  json_t *e = json_pack ("{s:s,s:s,s:s}", "created", now, "created_by", created_by, "comment", "hako build");
  if (empty_layer)
    json_object_set_new (e, "empty_layer", json_true ());
  json_array_append_new (h, e);
  json_object_set_new (st->img, "created", json_string (now));
}

static void
add_layer (struct stage *st, const char *digest, int64_t size, const char *diff_id)
{
  json_array_append_new (st->layers, json_pack ("{s:s,s:s,s:I}", "mediaType", IMG_MT_OCI_LAYER_GZIP, "digest",
                                                digest, "size", (json_int_t) size));
  json_t *rootfs = json_object_get (st->img, "rootfs");
  if (!json_is_object (rootfs))
    {
      rootfs = json_pack ("{s:s,s:[]}", "type", "layers", "diff_ids");
      json_object_set_new (st->img, "rootfs", rootfs);
    }
  json_array_append_new (json_object_get (rootfs, "diff_ids"), json_string (diff_id));
}

/* ---------- the cache ---------- */

static char *
cache_key (const struct stage *st, const char *text, const char *extra)
{
  cleanup_free char *k
      = xasprintf ("hako-build-cache-v1\n%s\n%s\n%s", st->id ? st->id : "scratch", text, extra ? extra : "");
  cleanup_free char *d = img_digest_buf ("sha256", k, strlen (k));
  return xstrdup (img_digest_hex (d));
}

static bool
cache_get (struct builder *b, struct stage *st, const char *key)
{
  if (b->o->no_cache)
    return false;
  cleanup_free char *path = xasprintf ("%s/%s", b->cache_dir, key);
  cleanup_free char *buf = NULL;
  size_t len;
  if (hako_read_file (path, &buf, &len, NULL) < 0)
    return false;
  buf[strcspn (buf, " \n")] = '\0';
  if (!img_digest_valid (buf) || !img_store_has_blob (b->s, buf))
    return false;
  struct img_image img;
  struct hako_err *e = NULL;
  /* The image must still be in the index (a prune drops the cache). */
  if (img_image_load (b->s, buf, &img, &e) < 0)
    {
      hako_error_free (&e);
      return false;
    }
  struct img_image found;
  bool ok = img_image_find (b->s, img.m.config.digest, NULL, &found, NULL, &e) == 0;
  hako_error_free (&e);
  if (ok)
    img_image_clear (&found);
  img_image_clear (&img);
  if (!ok)
    return false;
  if (load_state (b, st, buf, &e) < 0)
    {
      hako_error_free (&e);
      return false;
    }
  return true;
}

static void
cache_put (struct builder *b, const char *key, const struct stage *st)
{
  cleanup_free char *path = xasprintf ("%s/%s", b->cache_dir, key);
  cleanup_free char *data = xasprintf ("%s %s\n", st->manifest, st->id);
  struct hako_err *e = NULL;
  if (hako_write_file_atomic (path, data, strlen (data), 0600, &e) < 0)
    hako_error_free (&e); /* a cache that cannot be written is only slower */
}

static void progress (struct builder *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
progress (struct builder *b, const char *fmt, ...)
{
  if (b->o->progress == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  vfprintf (b->o->progress, fmt, ap);
  va_end (ap);
  fflush (b->o->progress);
}

/* ---------- a writable rootfs of the current state ---------- */

struct workfs
{
  char *snap; /* snapshot id, or NULL */
  char *tmp;  /* a plain directory (no layers yet) */
  char *root, *upper;
  int rootfd;
};

static char *
random_id (const char *prefix)
{
  unsigned char r[8];
  if (getrandom (r, sizeof (r), 0) != (ssize_t) sizeof (r))
    memset (r, 0, sizeof (r));
  return xasprintf ("%s%02x%02x%02x%02x%02x%02x%02x%02x", prefix, r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                    r[7]);
}

static int
workfs_open (struct builder *b, const char *image_id, bool has_layers, struct workfs *w,
             struct hako_err **err)
{
  memset (w, 0, sizeof (*w));
  w->rootfd = -1;
  if (!has_layers)
    {
      w->tmp = img_store_mkdtemp (b->s, "build", err);
      if (w->tmp == NULL)
        return -1;
      w->root = xstrdup (w->tmp);
      w->upper = xstrdup (w->tmp);
    }
  else
    {
      w->snap = random_id ("build-");
      if (img_snapshot_create (b->s, image_id, NULL, w->snap, NULL, &w->root, err) < 0)
        {
          free (w->snap);
          w->snap = NULL;
          return -1;
        }
      w->upper = xasprintf ("%s/snapshots/%s/upper", b->s->root, w->snap);
    }
  w->rootfd = open (w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (w->rootfd < 0)
    return hako_error (err, errno, "open `%s`", w->root);
  return 0;
}

static void
workfs_close (struct builder *b, struct workfs *w)
{
  struct hako_err *e = NULL;
  if (w->rootfd >= 0)
    close (w->rootfd);
  if (w->snap && img_snapshot_remove (b->s, w->snap, &e) < 0)
    hako_error_free (&e);
  if (w->tmp)
    hako_rm_rf (w->tmp, NULL);
  free (w->snap);
  free (w->tmp);
  free (w->root);
  free (w->upper);
  memset (w, 0, sizeof (*w));
  w->rootfd = -1;
}

static char **
lower_dirs (struct builder *b, struct stage *st, size_t *n)
{
  json_t *ids = json_object_get (json_object_get (st->img, "rootfs"), "diff_ids");
  size_t k = json_array_size (ids);
  char **v = xzalloc ((k + 1) * sizeof (char *));
  for (size_t i = 0; i < k; i++)
    {
      cleanup_free char *p = img_store_layer_path (b->s, json_string_value (json_array_get (ids, k - 1 - i)));
      v[i] = xasprintf ("%s/diff", p);
    }
  *n = k;
  return v;
}

/* The upper dir as the stage's next layer (none when nothing changed). */
static int
take_layer (struct builder *b, struct stage *st, const char *upper, bool mountpoints, bool *empty,
            struct hako_err **err)
{
  size_t n = 0;
  cleanup_strv char **lower = lower_dirs (b, st, &n);
  struct bld_diff_opts dopts = { .timestamp = b->o->timestamp,
                                 .lower = (const char *const *) lower,
                                 .n_lower = n,
                                 .skip_mountpoints = mountpoints };
  cleanup_free char *digest = NULL, *diff_id = NULL;
  int64_t size = 0;
  if (bld_diff_layer (b->s, upper, &dopts, &digest, &size, &diff_id, empty, err) < 0)
    return -1;
  if (!*empty)
    add_layer (st, digest, size, diff_id);
  return 0;
}

static bool
stage_has_layers (struct stage *st)
{
  return json_array_size (st->layers) > 0;
}

/* ---------- instructions ---------- */

struct step
{
  struct builder *b;
  struct stage *st;
  const struct bld_instr *in;
};

static int
expand1 (struct step *s, const char *text, char **out, struct hako_err **err)
{
  struct scope sc = stage_scope (s->st);
  return bld_expand_word (text, s->b->f.escape, scope_lookup, &sc, out, err);
}

static int
expandv (struct step *s, const char *text, char ***out, size_t *n, struct hako_err **err)
{
  struct scope sc = stage_scope (s->st);
  return bld_expand_words (text, s->b->f.escape, scope_lookup, &sc, out, n, err);
}

/* "k=v k2=v2" or the legacy "k v" (ENV, LABEL): pairs, expanded. */
static int
key_values (struct step *s, bool legacy_ok, json_t *out, struct hako_err **err)
{
  cleanup_strv char **words = NULL;
  size_t n = 0;
  if (bld_split_raw (s->in->rest, s->b->f.escape, &words, &n, err) < 0)
    return -1;
  if (n && strchr (words[0], '=') == NULL)
    {
      if (!legacy_ok || n < 2)
        return hako_error (err, 0, "%s names can not be blank / expected KEY=VALUE", s->in->cmd);
      const char *rest = s->in->rest + strlen (words[0]);
      rest += strspn (rest, " \t");
      cleanup_free char *key = NULL, *val = NULL;
      if (expand1 (s, words[0], &key, err) < 0 || expand1 (s, rest, &val, err) < 0)
        return -1;
      json_object_set_new (out, key, json_string (val));
      json_object_set_new (out, "\x01order", json_pack ("[s]", key));
      return 0;
    }
  json_t *order = json_array ();
  json_object_set_new (out, "\x01order", order);
  for (size_t i = 0; i < n; i++)
    {
      if (strchr (words[i], '=') == NULL)
        return hako_error (err, 0, "%s: `%s`: expected KEY=VALUE", s->in->cmd, words[i]);
      cleanup_free char *kv = NULL;
      if (expand1 (s, words[i], &kv, err) < 0)
        return -1;
      char *eq = strchr (kv, '=');
      if (eq == NULL || eq == kv)
        return hako_error (err, 0, "%s: `%s`: expected KEY=VALUE", s->in->cmd, words[i]);
      *eq = '\0';
      json_object_set_new (out, kv, json_string (eq + 1));
      json_array_append_new (order, json_string (kv));
    }
  return 0;
}

/* The command of RUN/CMD/ENTRYPOINT: the JSON form as is, the shell form
   through SHELL (default /bin/sh -c). */
static json_t *
command_json (struct step *s, const char *text)
{
  if (s->in->json)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < s->in->argc; i++)
        json_array_append_new (a, json_string (s->in->argv[i]));
      return a;
    }
  json_t *shell = json_object_get (config_of (s->st), "Shell");
  json_t *a = json_is_array (shell) && json_array_size (shell) ? json_deep_copy (shell)
                                                               : json_pack ("[s,s]", "/bin/sh", "-c");
  json_array_append_new (a, json_string (text));
  return a;
}

static char *
json_words (json_t *a)
{
  char *s = json_dumps (a, JSON_COMPACT);
  return s;
}

static int
do_env (struct step *s, struct hako_err **err)
{
  json_t *kv = json_object ();
  int r = key_values (s, true, kv, err);
  json_t *order = json_object_get (kv, "\x01order");
  size_t i;
  json_t *k;
  json_array_foreach (order, i, k)
  {
    const char *key = json_string_value (k);
    env_put (config_of (s->st), key, json_string_value (json_object_get (kv, key)));
  }
  json_decref (kv);
  return r;
}

static int
do_label (struct step *s, json_t *cfg, struct hako_err **err)
{
  json_t *kv = json_object ();
  int r = key_values (s, true, kv, err);
  json_t *labels = json_object_get (cfg, "Labels");
  if (!json_is_object (labels))
    {
      labels = json_object ();
      json_object_set_new (cfg, "Labels", labels);
    }
  json_t *order = json_object_get (kv, "\x01order");
  size_t i;
  json_t *k;
  json_array_foreach (order, i, k)
  {
    const char *key = json_string_value (k);
    json_object_set (labels, key, json_object_get (kv, key));
  }
  json_decref (kv);
  return r;
}

static int
do_arg (struct builder *b, json_t *args, const struct bld_instr *in, struct scope *sc, struct hako_err **err)
{
  cleanup_strv char **words = NULL;
  size_t n = 0;
  if (bld_split_raw (in->rest, b->f.escape, &words, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      char *eq = strchr (words[i], '=');
      cleanup_free char *name = eq ? strndup (words[i], (size_t) (eq - words[i])) : xstrdup (words[i]);
      cleanup_free char *def = NULL;
      if (eq && bld_expand_word (eq + 1, b->f.escape, scope_lookup, sc, &def, err) < 0)
        return -1;
      json_t *given = json_object_get (b->build_args, name);
      json_t *global = args != b->global_args ? json_object_get (b->global_args, name) : NULL;
      if (given)
        json_object_set (args, name, given);
      else if (def)
        json_object_set_new (args, name, json_string (def));
      else if (json_is_string (global))
        json_object_set (args, name, global);
      else
        json_object_set_new (args, name, json_null ());
    }
  return 0;
}

static int
parse_duration (const char *s, int64_t *ns)
{
  double total = 0;
  const char *p = s;
  if (!*p)
    return -1;
  while (*p)
    {
      char *end;
      double v = strtod (p, &end);
      if (end == p)
        return -1;
      p = end;
      double mul;
      if (strncmp (p, "ms", 2) == 0)
        mul = 1e6, p += 2;
      else if (strncmp (p, "us", 2) == 0)
        mul = 1e3, p += 2;
      else if (strncmp (p, "ns", 2) == 0)
        mul = 1, p += 2;
      else if (*p == 's')
        mul = 1e9, p++;
      else if (*p == 'm')
        mul = 60e9, p++;
      else if (*p == 'h')
        mul = 3600e9, p++;
      else
        return -1;
      total += v * mul;
    }
  *ns = (int64_t) total;
  return 0;
}

static int
do_healthcheck (struct step *s, json_t *cfg, struct hako_err **err)
{
  const char *rest = s->in->rest;
  if (strcasecmp (rest, "NONE") == 0)
    {
      json_object_set_new (cfg, "Healthcheck", json_pack ("{s:[s]}", "Test", "NONE"));
      return 0;
    }
  if (strncasecmp (rest, "CMD", 3) != 0 || (rest[3] && !isspace ((unsigned char) rest[3])))
    return hako_error (err, 0, "HEALTHCHECK: expected CMD or NONE");
  const char *args = rest + 3;
  args += strspn (args, " \t");
  json_t *hc = json_object ();
  json_t *test = json_array ();
  char **argv = NULL;
  size_t argc = 0;
  json_t *j = args[0] == '[' ? json_loads (args, 0, NULL) : NULL;
  if (json_is_array (j))
    {
      json_array_append_new (test, json_string ("CMD"));
      json_array_extend (test, j);
    }
  else
    {
      json_array_append_new (test, json_string ("CMD-SHELL"));
      json_array_append_new (test, json_string (args));
    }
  json_decref (j);
  (void) argv;
  (void) argc;
  json_object_set_new (hc, "Test", test);
  static const struct
  {
    const char *flag, *key;
  } durs[] = { { "interval", "Interval" },
               { "timeout", "Timeout" },
               { "start-period", "StartPeriod" },
               { "start-interval", "StartInterval" } };
  for (size_t i = 0; i < 4; i++)
    {
      const char *v = bld_instr_flag (s->in, durs[i].flag);
      int64_t ns;
      if (v == NULL)
        continue;
      if (parse_duration (v, &ns) < 0)
        {
          json_decref (hc);
          return hako_error (err, 0, "HEALTHCHECK: --%s: bad duration `%s`", durs[i].flag, v);
        }
      json_object_set_new (hc, durs[i].key, json_integer (ns));
    }
  const char *retries = bld_instr_flag (s->in, "retries");
  if (retries)
    json_object_set_new (hc, "Retries", json_integer (strtol (retries, NULL, 10)));
  json_object_set_new (cfg, "Healthcheck", hc);
  return 0;
}

/* Config-only instructions: change the config, add a history entry. */
static int
do_config (struct step *s, char **created_by, struct hako_err **err)
{
  const char *cmd = s->in->cmd;
  json_t *cfg = config_of (s->st);
  if (strcmp (cmd, "ENV") == 0)
    return do_env (s, err);
  if (strcmp (cmd, "LABEL") == 0)
    return do_label (s, cfg, err);
  if (strcmp (cmd, "MAINTAINER") == 0)
    {
      cleanup_free char *v = NULL;
      if (expand1 (s, s->in->rest, &v, err) < 0)
        return -1;
      json_object_set_new (s->st->img, "author", json_string (v));
      return 0;
    }
  if (strcmp (cmd, "USER") == 0 || strcmp (cmd, "STOPSIGNAL") == 0)
    {
      cleanup_free char *v = NULL;
      if (expand1 (s, s->in->rest, &v, err) < 0)
        return -1;
      json_object_set_new (cfg, strcmp (cmd, "USER") == 0 ? "User" : "StopSignal", json_string (v));
      return 0;
    }
  if (strcmp (cmd, "EXPOSE") == 0 || strcmp (cmd, "VOLUME") == 0)
    {
      bool expose = strcmp (cmd, "EXPOSE") == 0;
      cleanup_strv char **v = NULL;
      size_t n = 0;
      if (s->in->json)
        {
          v = xzalloc ((s->in->argc + 1) * sizeof (char *));
          for (size_t i = 0; i < s->in->argc; i++)
            v[n++] = xstrdup (s->in->argv[i]);
        }
      else if (expandv (s, s->in->rest, &v, &n, err) < 0)
        return -1;
      const char *key = expose ? "ExposedPorts" : "Volumes";
      json_t *o = json_object_get (cfg, key);
      if (!json_is_object (o))
        {
          o = json_object ();
          json_object_set_new (cfg, key, o);
        }
      for (size_t i = 0; i < n; i++)
        {
          if (!*v[i])
            continue;
          cleanup_free char *k = expose && !strchr (v[i], '/') ? xasprintf ("%s/tcp", v[i]) : xstrdup (v[i]);
          json_object_set_new (o, k, json_object ());
        }
      return 0;
    }
  if (strcmp (cmd, "CMD") == 0 || strcmp (cmd, "ENTRYPOINT") == 0)
    {
      json_t *a = command_json (s, s->in->rest);
      cleanup_free char *shown = json_words (a);
      free (*created_by);
      *created_by = xasprintf ("%s %s", cmd, shown);
      if (strcmp (cmd, "CMD") == 0)
        {
          json_object_set_new (cfg, "Cmd", a);
          s->st->cmd_set = true;
        }
      else
        {
          json_object_set_new (cfg, "Entrypoint", a);
          if (!s->st->cmd_set)
            json_object_set_new (cfg, "Cmd", json_null ());
        }
      return 0;
    }
  if (strcmp (cmd, "SHELL") == 0)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < s->in->argc; i++)
        json_array_append_new (a, json_string (s->in->argv[i]));
      json_object_set_new (cfg, "Shell", a);
      return 0;
    }
  if (strcmp (cmd, "HEALTHCHECK") == 0)
    return do_healthcheck (s, cfg, err);
  if (strcmp (cmd, "ONBUILD") == 0)
    {
      const char *r = s->in->rest;
      size_t k = strcspn (r, " \t");
      if ((k == 7 && strncasecmp (r, "ONBUILD", 7) == 0) || (k == 4 && strncasecmp (r, "FROM", 4) == 0)
          || (k == 10 && strncasecmp (r, "MAINTAINER", 10) == 0))
        return hako_error (err, 0, "%.*s isn't allowed as an ONBUILD trigger", (int) k, r);
      json_t *ob = json_object_get (cfg, "OnBuild");
      if (!json_is_array (ob))
        {
          ob = json_array ();
          json_object_set_new (cfg, "OnBuild", ob);
        }
      json_array_append_new (ob, json_string (r));
      return 0;
    }
  return hako_error (err, 0, "%s: not supported", cmd);
}

/* One step's ending: history, commit, cache entry, progress. */
static int
finish_step (struct step *s, const char *key, const char *created_by, bool empty_layer, struct hako_err **err)
{
  add_history (s->b, s->st, created_by, empty_layer);
  if (commit_state (s->b, s->st, err) < 0)
    return -1;
  cache_put (s->b, key, s->st);
  progress (s->b, "--> %.12s\n", img_digest_hex (s->st->id));
  return 0;
}

static bool
cached (struct step *s, const char *key)
{
  if (!cache_get (s->b, s->st, key))
    return false;
  progress (s->b, "--> Using cache %.12s\n", img_digest_hex (s->st->id));
  return true;
}

static int
config_step (struct step *s, struct hako_err **err)
{
  cleanup_free char *created_by = xasprintf ("%s %s", s->in->cmd, s->in->rest);
  if (do_config (s, &created_by, err) < 0)
    return -1;
  cleanup_free char *cfg = json_dumps (config_of (s->st), JSON_COMPACT | JSON_SORT_KEYS);
  cleanup_free char *key = cache_key (s->st, s->in->original, cfg);
  if (cached (s, key))
    return 0;
  return finish_step (s, key, created_by, true, err);
}

static int
workdir_step (struct step *s, struct hako_err **err)
{
  cleanup_free char *v = NULL;
  if (expand1 (s, s->in->rest, &v, err) < 0)
    return -1;
  json_t *cfg = config_of (s->st);
  const char *cur = json_string_value (json_object_get (cfg, "WorkingDir"));
  cleanup_free char *joined = v[0] == '/' ? xstrdup (v) : xasprintf ("%s/%s", cur && *cur ? cur : "/", v);
  cleanup_free char *path = hako_path_clean (joined);
  json_object_set_new (cfg, "WorkingDir", json_string (path));
  cleanup_free char *created_by = xasprintf ("WORKDIR %s", path);
  cleanup_free char *key = cache_key (s->st, created_by, NULL);
  if (cached (s, key))
    return 0;
  bool empty = true;
  if (stage_has_layers (s->st))
    {
      struct workfs w;
      int r = workfs_open (s->b, s->st->id, true, &w, err);
      if (r == 0)
        r = bld_mkdir (w.rootfd, path, err);
      if (r == 0)
        r = take_layer (s->b, s->st, w.upper, false, &empty, err);
      workfs_close (s->b, &w);
      if (r < 0)
        return -1;
    }
  return finish_step (s, key, created_by, empty, err);
}

/* ---- RUN ---- */

struct run_mounts
{
  struct eng_mount_req *v;
  size_t n;
};

static void
run_mounts_free (struct run_mounts *m)
{
  for (size_t i = 0; i < m->n; i++)
    {
      free (m->v[i].type);
      free (m->v[i].source);
      free (m->v[i].target);
    }
  free (m->v);
}

/* --mount=type=cache|tmpfs|bind,target=…[,id=…][,source=…][,rw] */
static int
parse_mount (struct builder *b, const char *spec, struct run_mounts *m, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  const char *type = "bind", *target = NULL, *id = NULL, *source = NULL;
  bool rw = false, ro = false;
  char *save = NULL;
  for (char *kv = strtok_r (copy, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (kv, '=');
      if (eq)
        *eq++ = '\0';
      if (strcmp (kv, "type") == 0 && eq)
        type = eq;
      else if ((strcmp (kv, "target") == 0 || strcmp (kv, "dst") == 0 || strcmp (kv, "destination") == 0)
               && eq)
        target = eq;
      else if (strcmp (kv, "id") == 0 && eq)
        id = eq;
      else if ((strcmp (kv, "source") == 0 || strcmp (kv, "src") == 0) && eq)
        source = eq;
      else if (strcmp (kv, "rw") == 0 || strcmp (kv, "readwrite") == 0)
        rw = eq == NULL || strcmp (eq, "true") == 0;
      else if (strcmp (kv, "ro") == 0 || strcmp (kv, "readonly") == 0)
        ro = eq == NULL || strcmp (eq, "true") == 0;
    }
  if (target == NULL || target[0] != '/')
    return hako_error (err, EINVAL, "--mount `%s`: an absolute target is required", spec);
  struct eng_mount_req r = { .target = xstrdup (target) };
  if (strcmp (type, "cache") == 0)
    {
      cleanup_free char *d = img_digest_buf ("sha256", id ? id : target, strlen (id ? id : target));
      r.type = xstrdup ("bind");
      r.source = xasprintf ("%s/mounts/%.32s", b->cache_dir, img_digest_hex (d));
      if (hako_mkdir_p (r.source, 0755, err) < 0)
        {
          free (r.target);
          free (r.type);
          free (r.source);
          return -1;
        }
      r.readonly = ro;
    }
  else if (strcmp (type, "tmpfs") == 0)
    r.type = xstrdup ("tmpfs");
  else if (strcmp (type, "bind") == 0)
    {
      cleanup_free char *abs = xasprintf ("/%s", source ? source : "");
      cleanup_free char *clean = hako_path_clean (abs);
      cleanup_free char *ctx = realpath (b->o->context, NULL);
      r.type = xstrdup ("bind");
      r.source = xasprintf ("%s%s", ctx ? ctx : b->o->context, strcmp (clean, "/") == 0 ? "" : clean);
      r.readonly = !rw;
    }
  else
    {
      free (r.target);
      return hako_error (err, EINVAL, "--mount `%s`: type `%s` is not one of cache, tmpfs, bind", spec, type);
    }
  m->v = xrealloc (m->v, (m->n + 1) * sizeof (*m->v));
  m->v[m->n++] = r;
  return 0;
}

/* Run argv in a container of the stage's image; *code its exit code. */
static int
run_container (struct step *s, json_t *argv, char **env, size_t n_env, const char *network,
               struct run_mounts *m, int *code, bool *empty, struct hako_err **err)
{
  const struct eng_ctx *e = s->b->e;
  size_t n = json_array_size (argv);
  char **cmd = xzalloc ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    cmd[i] = (char *) json_string_value (json_array_get (argv, i));
  struct eng_create_opts co = { .image = s->st->id,
                                .cmd = cmd,
                                .n_cmd = n,
                                .has_entrypoint = true,
                                .n_entrypoint = 0,
                                .env = env,
                                .n_env = n_env,
                                .network_mode = network,
                                .mounts = m->v,
                                .n_mounts = m->n,
                                .stop_timeout = -1,
                                .keep_mounted = true };
  struct eng_ctr *c = NULL;
  int r = eng_create (e, &co, &c, err);
  free (cmd);
  if (r < 0)
    return -1;
  r = eng_start (e, c, true, err);
  if (r == 0)
    {
      /* The container's output goes where the caller said (stderr: stdout
         is for the image ID), through the attach that writes to 1 and 2. */
      int out = s->b->o->run_output_fd;
      int devnull = out < 0 ? open ("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
      int to = out < 0 ? devnull : out;
      int saved1 = dup (1), saved2 = dup (2);
      fflush (stdout);
      fflush (stderr);
      dup2 (to, 1);
      dup2 (to, 2);
      struct eng_attach_opts ao = { 0 };
      r = eng_attach (e, c, &ao, code, err);
      dup2 (saved1, 1);
      dup2 (saved2, 2);
      close (saved1);
      close (saved2);
      if (devnull >= 0)
        close (devnull);
    }
  int wc;
  if (r == 0)
    r = eng_wait (e, c, &wc, err);
  if (r == 0)
    {
      cleanup_free char *upper = xasprintf ("%s/snapshots/%s/upper", e->storage, c->id);
      if (*code == 0 && take_layer (s->b, s->st, upper, true, empty, err) < 0)
        r = -1;
    }
  struct hako_err *e2 = NULL;
  if (eng_remove (e, c, true, true, &e2) < 0)
    {
      if (r == 0)
        *err = steal_pointer (&e2);
      else
        hako_error_free (&e2);
      r = -1;
    }
  eng_ctr_free (c);
  return r;
}

static int
run_step (struct step *s, struct hako_err **err)
{
  const struct bld_instr *in = s->in;
  cleanup_free char *text = NULL;
  /* A heredoc alone is the script; with a command around it, the shell
     reads the heredoc itself. */
  if (!in->json && in->n_heredocs == 1 && strncmp (in->rest, "<<", 2) == 0 && !strpbrk (in->rest, " \t|>;&"))
    text = xstrdup (in->heredocs[0].content);
  else if (!in->json && in->n_heredocs)
    {
      size_t len = strlen (in->rest) + 2;
      for (size_t i = 0; i < in->n_heredocs; i++)
        len += strlen (in->heredocs[i].content) + strlen (in->heredocs[i].name) + 2;
      text = xzalloc (len);
      strcat (strcat (text, in->rest), "\n");
      for (size_t i = 0; i < in->n_heredocs; i++)
        strcat (strcat (strcat (text, in->heredocs[i].content), in->heredocs[i].name), "\n");
    }
  else
    text = xstrdup (in->rest);
  json_t *argv = command_json (s, text);
  /* ARGs with a value reach the command as environment (ENV wins). */
  char **env = NULL;
  size_t n_env = 0;
  cleanup_free char *argtext = xstrdup ("");
  const char *k;
  json_t *v;
  json_t *cfg_env = json_object_get (config_of (s->st), "Env");
  json_object_foreach (s->st->args, k, v)
  {
    if (!json_is_string (v))
      continue;
    struct scope only_env = { .env = cfg_env };
    if (scope_lookup (&only_env, k))
      continue;
    env = xrealloc (env, (n_env + 2) * sizeof (char *));
    env[n_env++] = xasprintf ("%s=%s", k, json_string_value (v));
    env[n_env] = NULL;
    char *t = xasprintf ("%s %s=%s", argtext, k, json_string_value (v));
    free (argtext);
    argtext = t;
  }
  json_object_foreach (s->b->build_args, k, v) if (is_proxy_arg (k) && !json_object_get (s->st->args, k))
  {
    env = xrealloc (env, (n_env + 2) * sizeof (char *));
    env[n_env++] = xasprintf ("%s=%s", k, json_string_value (v));
    env[n_env] = NULL;
  }
  const char *network = bld_instr_flag (in, "network");
  if (network == NULL || strcmp (network, "default") == 0)
    network = s->b->o->network ? s->b->o->network : "none";
  int r = -1;
  struct run_mounts m = { 0 };
  cleanup_free char *keytext = NULL, *key = NULL;
  cleanup_free char *shown = NULL;
  {
    size_t len = 1;
    size_t i;
    json_t *a;
    json_array_foreach (argv, i, a) len += strlen (json_string_value (a)) + 1;
    shown = xzalloc (len);
    json_array_foreach (argv, i, a)
    {
      if (i)
        strcat (shown, " ");
      strcat (shown, json_string_value (a));
    }
  }
  cleanup_free char *created_by
      = n_env && *argtext ? xasprintf ("RUN |%zu%s %s", n_env, argtext, shown) : xasprintf ("RUN %s", shown);
  cleanup_free char *mountkeys = xstrdup ("");
  for (size_t i = 0; i < in->n_flags; i++)
    if (strncmp (in->flags[i], "--mount=", 8) == 0)
      {
        if (parse_mount (s->b, in->flags[i] + 8, &m, err) < 0)
          goto out;
        char *t = xasprintf ("%s %s", mountkeys, in->flags[i]);
        free (mountkeys);
        mountkeys = t;
      }
    else if (strncmp (in->flags[i], "--network", 9) != 0)
      {
        hako_error (err, EINVAL, "unknown flag: %s", in->flags[i]);
        goto out;
      }
  if (strcmp (network, "none") != 0 && strcmp (network, "host") != 0)
    {
      hako_error (err, EINVAL, "--network=%s: only none and host are supported", network);
      goto out;
    }
  keytext = xasprintf ("%s\nnetwork=%s\n%s", created_by, network, mountkeys);
  key = cache_key (s->st, keytext, NULL);
  if (cached (s, key))
    {
      r = 0;
      goto out;
    }
  if (!stage_has_layers (s->st))
    {
      hako_error (err, 0, "nothing to run in an empty image (FROM scratch)");
      goto out;
    }
  int code = 0;
  bool empty = true;
  if (run_container (s, argv, env, n_env, network, &m, &code, &empty, err) < 0)
    goto out;
  if (code != 0)
    {
      hako_error (err, 0, "exit code %d", code);
      goto out;
    }
  r = finish_step (s, key, created_by, empty, err);
out:
  run_mounts_free (&m);
  bld_strv_free (env);
  json_decref (argv);
  return r;
}

/* ---- COPY / ADD ---- */

static struct stage *
find_stage (struct builder *b, const char *name, size_t before)
{
  char *end;
  unsigned long idx = strtoul (name, &end, 10);
  if (*name && *end == '\0')
    return idx < before ? &b->st[idx] : NULL;
  for (size_t i = 0; i < before; i++)
    if (b->st[i].name && strcasecmp (b->st[i].name, name) == 0)
      return &b->st[i];
  return NULL;
}

static int
copy_step (struct step *s, size_t stage_idx, struct hako_err **err)
{
  const struct bld_instr *in = s->in;
  struct builder *b = s->b;
  bool add = strcmp (in->cmd, "ADD") == 0;
  cleanup_strv char **words = NULL;
  size_t n = 0;
  for (size_t i = 0; i < in->n_flags; i++)
    {
      const char *f = in->flags[i] + 2;
      static const char *const ok[] = { "from", "chown", "chmod", "link", "checksum", "keep-git-dir", NULL };
      bool known = false;
      for (size_t k = 0; ok[k]; k++)
        known |= strncmp (f, ok[k], strlen (ok[k])) == 0 && (f[strlen (ok[k])] == '=' || !f[strlen (ok[k])]);
      if (!known)
        return hako_error (err, EINVAL, "unknown flag: %s", in->flags[i]);
    }
  if (in->json)
    {
      words = xzalloc ((in->argc + 1) * sizeof (char *));
      for (size_t i = 0; i < in->argc; i++)
        words[n++] = xstrdup (in->argv[i]);
    }
  else if (expandv (s, in->rest, &words, &n, err) < 0)
    return -1;
  if (n < 2)
    return hako_error (err, EINVAL, "%s requires at least two arguments", in->cmd);
  const char *dest = words[n - 1];
  /* Sources and heredocs, in order. */
  char **srcs = xzalloc (n * sizeof (char *));
  size_t n_srcs = 0, hd = 0;
  const struct bld_heredoc **docs = xzalloc ((in->n_heredocs + 1) * sizeof (*docs));
  size_t n_docs = 0;
  for (size_t i = 0; i + 1 < n; i++)
    if (!in->json && strncmp (words[i], "<<", 2) == 0 && hd < in->n_heredocs)
      docs[n_docs++] = &in->heredocs[hd++];
    else
      srcs[n_srcs++] = words[i];

  const char *from = bld_instr_flag (in, "from");
  const char *chown = bld_instr_flag (in, "chown");
  const char *chmod = bld_instr_flag (in, "chmod");
  struct workfs src = { .rootfd = -1 }, dst = { .rootfd = -1 };
  struct img_hasher *h = NULL;
  int r = -1;
  cleanup_free char *from_id = NULL;
  cleanup_free char *chown_x = NULL, *chmod_x = NULL, *from_x = NULL;
  cleanup_free char *digest = NULL, *joined = NULL, *created_by = NULL, *keytext = NULL, *key = NULL;
  if ((chown && expand1 (s, chown, &chown_x, err) < 0) || (chmod && expand1 (s, chmod, &chmod_x, err) < 0)
      || (from && expand1 (s, from, &from_x, err) < 0))
    goto out;
  struct bld_copy c = { .srcfd = b->ctxfd,
                        .from_context = from_x == NULL,
                        .ignore = b->ignore,
                        .workdir = json_string_value (json_object_get (config_of (s->st), "WorkingDir")),
                        .add = add,
                        .what = "source" };
  if (chmod_x)
    {
      char *end;
      unsigned long mode = strtoul (chmod_x, &end, 8);
      if (*end || !*chmod_x || mode > 07777)
        {
          hako_error (err, EINVAL, "--chmod=%s: an octal mode is required", chmod_x);
          goto out;
        }
      c.chmod = true;
      c.mode = (uint32_t) mode;
    }
  if (from_x)
    {
      if (add)
        {
          hako_error (err, EINVAL, "ADD does not support --from; use COPY --from");
          goto out;
        }
      struct stage *fs = find_stage (b, from_x, stage_idx);
      bool layers = false;
      if (fs)
        {
          from_id = fs->id ? xstrdup (fs->id) : NULL;
          layers = stage_has_layers (fs);
        }
      else
        {
          struct img_image img;
          if (img_image_find (b->s, from_x, b->e->default_domain, &img, NULL, err) < 0)
            {
              hako_error_prefix (err, "--from=%s: no such stage or image", from_x);
              goto out;
            }
          from_id = xstrdup (img.m.config.digest);
          layers = img.m.n_layers > 0;
          img_image_clear (&img);
        }
      if (workfs_open (b, from_id, layers, &src, err) < 0)
        goto out;
      c.srcfd = src.rootfd;
    }
  /* The sources' digest: part of the cache key. */
  h = img_hasher_new ("sha256");
  c.h = h;
  if (bld_copy (&c, srcs, n_srcs, dest, err) < 0)
    goto out;
  for (size_t i = 0; i < n_docs; i++)
    if (bld_copy_content (&c, docs[i]->name, docs[i]->content, dest, err) < 0)
      goto out;
  digest = img_hasher_digest (h);
  c.h = NULL;
  joined = json_dumps (json_object_get (config_of (s->st), "WorkingDir"), JSON_ENCODE_ANY);
  created_by = xasprintf ("%s %s%s%s%s%s%s%s # buildkit", in->cmd, from_x ? "--from=" : "",
                          from_x ? from_x : "", from_x ? " " : "", chown_x ? "--chown=" : "",
                          chown_x ? chown_x : "", chown_x ? " " : "", in->rest);
  keytext = xasprintf ("%s\nfrom=%s\nchmod=%s\nworkdir=%s", created_by, from_id ? from_id : "",
                       chmod_x ? chmod_x : "", joined ? joined : "");
  key = cache_key (s->st, keytext, digest);
  if (cached (s, key))
    {
      r = 0;
      goto out;
    }
  if (workfs_open (b, s->st->id, stage_has_layers (s->st), &dst, err) < 0)
    goto out;
  c.dstroot = dst.rootfd;
  if (chown_x)
    {
      c.chown = true;
      if (bld_resolve_chown (dst.rootfd, chown_x, &c.uid, &c.gid, err) < 0)
        goto out;
    }
  if (bld_copy (&c, srcs, n_srcs, dest, err) < 0)
    goto out;
  for (size_t i = 0; i < n_docs; i++)
    {
      cleanup_free char *content = NULL;
      if (docs[i]->expand)
        {
          /* Only $VAR expands in a body: quotes are text there. */
          struct scope sc = stage_scope (s->st);
          cleanup_free char *esc = NULL;
          size_t len = strlen (docs[i]->content);
          esc = xzalloc (len * 2 + 1);
          char *p = esc;
          for (const char *q = docs[i]->content; *q; q++)
            {
              if (*q == '\'' || *q == '"' || *q == b->f.escape)
                *p++ = b->f.escape;
              *p++ = *q;
            }
          if (bld_expand_word (esc, b->f.escape, scope_lookup, &sc, &content, err) < 0)
            goto out;
        }
      if (bld_copy_content (&c, docs[i]->name, content ? content : docs[i]->content, dest, err) < 0)
        goto out;
    }
  bool empty = true;
  if (take_layer (b, s->st, dst.upper, false, &empty, err) < 0)
    goto out;
  r = finish_step (s, key, created_by, empty, err);
out:
  if (src.root)
    workfs_close (b, &src);
  if (dst.root)
    workfs_close (b, &dst);
  img_hasher_free (h);
  free (srcs);
  free (docs);
  return r;
}

/* ---- FROM ---- */

static int run_instr (struct builder *b, size_t si, const struct bld_instr *in, struct hako_err **err);

static json_t *
scratch_config (void)
{
  struct img_platform p;
  img_platform_host (&p);
  return json_pack ("{s:s,s:s,s:{},s:{s:s,s:[]},s:[]}", "architecture", p.arch, "os", p.os, "config",
                    "rootfs", "type", "layers", "diff_ids", "history");
}

/* As docker's builder: a stage whose base sets no PATH gets the default
   one, so RUN finds its commands and the image says what it runs with. */
static void
ensure_path (json_t *cfg)
{
  json_t *env = json_object_get (cfg, "Env");
  size_t i;
  json_t *v;
  json_array_foreach (env, i,
                      v) if (json_is_string (v) && strncmp (json_string_value (v), "PATH=", 5) == 0) return;
  if (!json_is_array (env))
    {
      env = json_array ();
      json_object_set_new (cfg, "Env", env);
    }
  json_array_insert_new (env, 0,
                         json_string ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
}

static int
from_step (struct builder *b, size_t si, const struct bld_instr *in, struct hako_err **err)
{
  struct stage *st = &b->st[si];
  struct scope sc = { .args = b->global_args };
  cleanup_strv char **w = NULL;
  size_t n = 0;
  if (bld_expand_words (in->rest, b->f.escape, scope_lookup, &sc, &w, &n, err) < 0)
    return -1;
  if (!(n == 1 || (n == 3 && strcasecmp (w[1], "AS") == 0)))
    return hako_error (err, EINVAL, "expected FROM IMAGE [AS NAME]");
  st->args = json_object ();
  const char *image = w[0];
  struct stage *prev = find_stage (b, image, si);
  if (prev && !isdigit ((unsigned char) image[0]))
    {
      st->img = json_deep_copy (prev->img);
      st->layers = json_deep_copy (prev->layers);
      st->id = prev->id ? xstrdup (prev->id) : NULL;
      st->manifest = prev->manifest ? xstrdup (prev->manifest) : NULL;
      return 0;
    }
  if (strcasecmp (image, "scratch") == 0)
    {
      st->img = scratch_config ();
      st->layers = json_array ();
      ensure_path (config_of (st));
      return 0;
    }
  struct img_image img;
  const char *pull = b->o->pull ? b->o->pull : "missing";
  bool have = strcmp (pull, "always") != 0
              && img_image_find (b->s, image, b->e->default_domain, &img, NULL, NULL) == 0;
  if (have)
    img_image_clear (&img);
  else if (strcmp (pull, "never") == 0)
    return hako_error (err, ENOENT, "base image `%s` is not in the store (and --pull=never)", image);
  else
    {
      struct img_pull_opts po = { .platform = b->o->platform, .default_domain = b->e->default_domain };
      po.reg.tls_verify = true;
      progress (b, "pulling %s\n", image);
      if (img_pull (b->s, image, &po, NULL, err) < 0)
        return hako_error_prefix (err, "base image `%s`", image);
    }
  if (img_image_find (b->s, image, b->e->default_domain, &img, NULL, err) < 0)
    return hako_error_prefix (err, "base image `%s`", image);
  cleanup_free char *manifest = xstrdup (img.manifest_digest);
  img_image_clear (&img);
  if (load_state (b, st, manifest, err) < 0)
    return -1;
  progress (b, "--> %.12s\n", img_digest_hex (st->id));
  /* ONBUILD triggers of the base run now, then are dropped. */
  json_t *cfg = config_of (st);
  ensure_path (cfg);
  json_t *ob = json_incref (json_object_get (cfg, "OnBuild"));
  json_object_del (cfg, "OnBuild");
  size_t i;
  json_t *t;
  int r = 0;
  json_array_foreach (ob, i, t)
  {
    struct bld_file tf = { 0 };
    if (!json_is_string (t))
      continue;
    progress (b, "ONBUILD %s\n", json_string_value (t));
    r = bld_parse (b->f.name, json_string_value (t), &tf, err);
    for (size_t k = 0; r == 0 && k < tf.n; k++)
      {
        tf.v[k].line = in->line;
        r = run_instr (b, si, &tf.v[k], err);
      }
    bld_file_clear (&tf);
    if (r < 0)
      break;
  }
  json_decref (ob);
  return r;
}

static int
run_instr (struct builder *b, size_t si, const struct bld_instr *in, struct hako_err **err)
{
  struct step s = { .b = b, .st = &b->st[si], .in = in };
  const char *cmd = in->cmd;
  int r;
  if (strcmp (cmd, "FROM") == 0)
    r = from_step (b, si, in, err);
  else if (strcmp (cmd, "ARG") == 0)
    {
      struct scope sc = stage_scope (s.st);
      r = do_arg (b, s.st->args, in, &sc, err);
    }
  else if (strcmp (cmd, "RUN") == 0)
    r = run_step (&s, err);
  else if (strcmp (cmd, "COPY") == 0 || strcmp (cmd, "ADD") == 0)
    r = copy_step (&s, si, err);
  else if (strcmp (cmd, "WORKDIR") == 0)
    r = workdir_step (&s, err);
  else
    r = config_step (&s, err);
  /* A failed ONBUILD trigger of FROM already names its line. */
  size_t nl = strlen (b->f.name);
  if (r < 0 && !(strncmp ((*err)->msg, b->f.name, nl) == 0 && (*err)->msg[nl] == ':'))
    return hako_error_prefix (err, "%s:%d: %s", b->f.name, in->line, cmd);
  return r;
}

/* ---------- stages ---------- */

static int
split_stages (struct builder *b, struct hako_err **err)
{
  struct scope sc = { .args = b->global_args };
  for (size_t i = 0; i < b->f.n; i++)
    {
      const struct bld_instr *in = &b->f.v[i];
      if (strcmp (in->cmd, "FROM") == 0)
        {
          b->st = xrealloc (b->st, (b->n_st + 1) * sizeof (*b->st));
          struct stage *st = &b->st[b->n_st++];
          memset (st, 0, sizeof (*st));
          st->first = i;
          st->end = b->f.n;
          if (b->n_st > 1)
            b->st[b->n_st - 2].end = i;
          cleanup_strv char **w = NULL;
          size_t n = 0;
          if (bld_expand_words (in->rest, b->f.escape, scope_lookup, &sc, &w, &n, err) < 0)
            return hako_error_prefix (err, "%s:%d: FROM", b->f.name, in->line);
          if (n == 3 && strcasecmp (w[1], "AS") == 0)
            {
              st->name = xstrdup (w[2]);
              for (char *p = st->name; *p; p++)
                *p = (char) tolower ((unsigned char) *p);
            }
          continue;
        }
      if (b->n_st == 0)
        {
          if (strcmp (in->cmd, "ARG") != 0)
            return hako_error (err, 0, "%s:%d: %s before the first FROM (only ARG may come before it)",
                               b->f.name, in->line, in->cmd);
          if (do_arg (b, b->global_args, in, &sc, err) < 0)
            return hako_error_prefix (err, "%s:%d: ARG", b->f.name, in->line);
        }
    }
  if (b->n_st == 0)
    return hako_error (err, 0, "%s: no FROM instruction", b->f.name);
  return 0;
}

/* The stages the target needs: its FROM and COPY --from references. */
static void
mark_needed (struct builder *b, size_t target)
{
  b->st[target].needed = true;
  for (size_t k = target + 1; k-- > 0;)
    {
      struct stage *st = &b->st[k];
      if (!st->needed)
        continue;
      for (size_t i = st->first; i < st->end; i++)
        {
          const struct bld_instr *in = &b->f.v[i];
          const char *ref = NULL;
          cleanup_free char *base = NULL;
          if (i == st->first)
            {
              base = strndup (in->rest, strcspn (in->rest, " \t"));
              ref = base;
            }
          else if (strcmp (in->cmd, "COPY") == 0 || strcmp (in->cmd, "RUN") == 0)
            ref = bld_instr_flag (in, "from");
          if (ref == NULL)
            continue;
          if (strchr (ref, '$'))
            {
              for (size_t j = 0; j < k; j++)
                b->st[j].needed = true;
              continue;
            }
          struct stage *dep = find_stage (b, ref, k);
          if (dep)
            dep->needed = true;
        }
    }
}

static void
stage_clear (struct stage *st)
{
  free (st->name);
  json_decref (st->img);
  json_decref (st->layers);
  free (st->id);
  free (st->manifest);
  json_decref (st->args);
}

static void
set_platform_args (json_t *args)
{
  struct img_platform p;
  img_platform_host (&p);
  cleanup_free char *plat
      = *p.variant ? xasprintf ("%s/%s/%s", p.os, p.arch, p.variant) : xasprintf ("%s/%s", p.os, p.arch);
  const char *pre[] = { "TARGET", "BUILD" };
  for (size_t i = 0; i < 2; i++)
    {
      char k[32];
      snprintf (k, sizeof (k), "%sPLATFORM", pre[i]);
      json_object_set_new (args, k, json_string (plat));
      snprintf (k, sizeof (k), "%sOS", pre[i]);
      json_object_set_new (args, k, json_string (p.os));
      snprintf (k, sizeof (k), "%sARCH", pre[i]);
      json_object_set_new (args, k, json_string (p.arch));
      snprintf (k, sizeof (k), "%sVARIANT", pre[i]);
      json_object_set_new (args, k, json_string (p.variant));
    }
}

static int
read_containerfile (const struct bld_opts *o, char **text, char **name, struct hako_err **err)
{
  size_t len;
  if (o->file)
    {
      const char *base = strrchr (o->file, '/');
      *name = xstrdup (base ? base + 1 : o->file);
      if (strcmp (o->file, "-") == 0)
        return hako_read_fd (0, text, &len, err);
      return hako_read_file (o->file, text, &len, err);
    }
  const char *names[] = { "Containerfile", "Dockerfile" };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *p = hako_path_join (o->context, names[i]);
      if (access (p, F_OK) == 0)
        {
          *name = xstrdup (names[i]);
          return hako_read_file (p, text, &len, err);
        }
    }
  return hako_error (err, ENOENT, "no Containerfile or Dockerfile in `%s` (use -f)", o->context);
}

int
bld_build (const struct eng_ctx *e, const struct bld_opts *o, char **id_out, struct hako_err **err)
{
  struct builder b = { .e = e, .s = e->store, .o = o, .ctxfd = -1 };
  cleanup_free char *text = NULL, *fname = NULL;
  int r = -1;

  b.global_args = json_object ();
  b.build_args = json_object ();
  set_platform_args (b.global_args);
  for (const char *const *a = o->build_args; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      cleanup_free char *k = eq ? strndup (*a, (size_t) (eq - *a)) : xstrdup (*a);
      const char *v = eq ? eq + 1 : getenv (k);
      if (v)
        json_object_set_new (b.build_args, k, json_string (v));
    }
  b.cache_dir = xasprintf ("%s/build-cache", e->storage);
  if (hako_mkdir_p (b.cache_dir, 0700, err) < 0)
    goto out;
  b.ctxfd = open (o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (b.ctxfd < 0)
    {
      hako_error (err, errno, "build context `%s`", o->context);
      goto out;
    }
  if (bld_ignore_load (b.ctxfd, &b.ignore, err) < 0 || read_containerfile (o, &text, &fname, err) < 0
      || bld_parse (fname, text, &b.f, err) < 0 || split_stages (&b, err) < 0)
    goto out;
  size_t target = b.n_st - 1;
  if (o->target)
    {
      struct stage *t = NULL;
      for (size_t i = 0; i < b.n_st; i++)
        if (b.st[i].name && strcasecmp (b.st[i].name, o->target) == 0)
          t = &b.st[i];
      if (t == NULL)
        {
          hako_error (err, 0, "target stage `%s` could not be found", o->target);
          goto out;
        }
      target = (size_t) (t - b.st);
    }
  mark_needed (&b, target);
  for (size_t i = 0; i <= target; i++)
    if (b.st[i].needed)
      b.total += b.st[i].end - b.st[i].first;
  for (size_t i = 0; i <= target; i++)
    {
      struct stage *st = &b.st[i];
      if (!st->needed)
        continue;
      for (size_t k = st->first; k < st->end; k++)
        {
          const struct bld_instr *in = &b.f.v[k];
          progress (&b, "STEP %zu/%zu: %s\n", ++b.step, b.total, in->original);
          if (run_instr (&b, i, in, err) < 0)
            goto out;
        }
      st->built = true;
    }
  struct stage *fin = &b.st[target];
  bool labels = o->labels && o->labels[0];
  if (labels)
    {
      json_t *l = json_object_get (config_of (fin), "Labels");
      if (!json_is_object (l))
        {
          l = json_object ();
          json_object_set_new (config_of (fin), "Labels", l);
        }
      for (const char *const *a = o->labels; *a; a++)
        {
          const char *eq = strchr (*a, '=');
          cleanup_free char *k = eq ? strndup (*a, (size_t) (eq - *a)) : xstrdup (*a);
          json_object_set_new (l, k, json_string (eq ? eq + 1 : ""));
        }
    }
  if (labels || fin->id == NULL)
    {
      if (commit_state (&b, fin, err) < 0)
        goto out;
    }
  for (const char *const *t = o->tags; t && *t; t++)
    {
      if (commit_isolated (b.s, fin->manifest, *t, err) < 0)
        goto out;
    }
  *id_out = xstrdup (fin->id);
  r = 0;
out:
  for (size_t i = 0; i < b.n_st; i++)
    stage_clear (&b.st[i]);
  free (b.st);
  bld_file_clear (&b.f);
  bld_ignore_free (b.ignore);
  json_decref (b.global_args);
  json_decref (b.build_args);
  free (b.cache_dir);
  if (b.ctxfd >= 0)
    close (b.ctxfd);
  return r;
}
