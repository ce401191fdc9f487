/* SPDX-License-Identifier: Apache-2.0 */
/* The distribution spec over libcurl.  One easy handle per repository is
   reused for every request, so the connection (and TLS session) is kept. */
#include "registry.h"
#include "curl_dl.h"
#include "http_parse.h"
#include "auth.h"
#include "digest.h"
#include "manifest.h"
#include "store.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ERR_BODY_MAX (64u << 10)
#define MANIFEST_MAX (4u << 20)
#define FETCH_TRIES 3
#define CHUNK_DEFAULT (16ull << 20)
#define MOUNT_TRIES 3

struct img_reg
{
  CURL *curl;
  char *domain, *repo, *base;
  bool insecure, push;
  bool no_chunks;      /* the registry refused a PATCH: whole blobs only */
  uint64_t chunk_size; /* blobs above this go up in chunks; 0: never */
  char *user, *pass;
  char *auth; /* the whole "Authorization: …" header once known */
  struct img_reg_opts o;
  char curl_err[CURL_ERROR_SIZE];
};

struct resp
{
  long status;
  char *content_type, *location, *www_auth, *content_range;
  char *range;        /* an upload's progress: "0-END" */
  uint64_t chunk_min; /* OCI-Chunk-Min-Length */
};

/* Where a response body goes: the store (a blob) when the status is a
   success, memory otherwise (a manifest, or an error document). */
struct xfer
{
  struct img_reg *reg;
  struct resp resp;
  struct img_ingest *ing;
  uint64_t asked_offset;
  bool started;
  struct hako_err *err;
  char *mem;
  size_t len, max;
  const char *digest; /* for progress */
  uint64_t total;
};

/* What a request sends: `size` bytes of mem, or of fd from `base`. */
struct body
{
  int fd;
  const char *mem;
  uint64_t base, size, off;
};

static void
resp_clear (struct resp *r)
{
  free (r->content_type);
  free (r->location);
  free (r->www_auth);
  free (r->content_range);
  free (r->range);
  memset (r, 0, sizeof (*r));
}

static void
xfer_clear (struct xfer *x)
{
  resp_clear (&x->resp);
  free (x->mem);
  x->mem = NULL;
  x->len = 0;
  x->started = false;
  hako_error_free (&x->err);
}

/* ---------- curl callbacks ---------- */

static char *
header_value (const char *line, size_t n, const char *name)
{
  size_t k = strlen (name);
  if (n <= k || strncasecmp (line, name, k) != 0 || line[k] != ':')
    return NULL;
  const char *v = line + k + 1;
  const char *end = line + n;
  while (v < end && isspace ((unsigned char) *v))
    v++;
  while (end > v && isspace ((unsigned char) end[-1]))
    end--;
  return xasprintf ("%.*s", (int) (end - v), v);
}

static size_t
on_header (char *line, size_t size, size_t nitems, void *ctx)
{
  struct xfer *x = ctx;
  size_t n = size * nitems;
  char *v;

  /* A new status line (after a redirect or a 100): forget the old headers. */
  if (n > 5 && strncmp (line, "HTTP/", 5) == 0)
    {
      resp_clear (&x->resp);
      const char *sp = memchr (line, ' ', n);
      x->resp.status = sp ? strtol (sp + 1, NULL, 10) : 0;
    }
  else if ((v = header_value (line, n, "Content-Type")))
    free (x->resp.content_type), x->resp.content_type = v;
  else if ((v = header_value (line, n, "Location")))
    free (x->resp.location), x->resp.location = v;
  else if ((v = header_value (line, n, "WWW-Authenticate")))
    free (x->resp.www_auth), x->resp.www_auth = v;
  else if ((v = header_value (line, n, "Content-Range")))
    free (x->resp.content_range), x->resp.content_range = v;
  else if ((v = header_value (line, n, "Range")))
    free (x->resp.range), x->resp.range = v;
  else if ((v = header_value (line, n, "OCI-Chunk-Min-Length")))
    {
      x->resp.chunk_min = strtoull (v, NULL, 10);
      free (v);
    }
  return n;
}

static bool
is_success (long status)
{
  return status == 200 || status == 206;
}

/* The first body bytes of a blob: a 200 to a Range request means the server
   sends the whole blob, so the partial file starts over. */
static int
blob_start (struct xfer *x)
{
  x->started = true;
  if (x->resp.status == 200 && img_ingest_offset (x->ing) > 0)
    return img_ingest_restart (x->ing, &x->err);
  if (x->resp.status == 206)
    {
      unsigned long long start = ~0ull;
      if (x->resp.content_range == NULL || sscanf (x->resp.content_range, "bytes %llu-", &start) != 1
          || start != img_ingest_offset (x->ing))
        return hako_error (&x->err, 0, "registry answered a Range request with `%s`",
                           x->resp.content_range ? x->resp.content_range : "no Content-Range");
    }
  return 0;
}

static size_t
on_body (char *buf, size_t size, size_t nitems, void *ctx)
{
  struct xfer *x = ctx;
  size_t n = size * nitems;

  if (x->ing && is_success (x->resp.status))
    {
      if (!x->started && blob_start (x) < 0)
        return 0;
      return img_ingest_write (x->ing, buf, n, &x->err) < 0 ? 0 : n;
    }
  size_t max = is_success (x->resp.status) && x->max ? x->max : ERR_BODY_MAX;
  if (x->len + n > max)
    {
      if (is_success (x->resp.status))
        {
          hako_error (&x->err, EFBIG, "response larger than %zu bytes", max);
          return 0;
        }
      return n; /* a long error page: keep the start, that is enough */
    }
  x->mem = xrealloc (x->mem, x->len + n + 1);
  memcpy (x->mem + x->len, buf, n);
  x->len += n;
  x->mem[x->len] = '\0';
  return n;
}

static size_t
on_read (char *buf, size_t size, size_t nitems, void *ctx)
{
  struct body *b = ctx;
  size_t want = size * nitems;

  if (want > b->size - b->off)
    want = (size_t) (b->size - b->off);
  if (want == 0)
    return 0;
  if (b->mem)
    memcpy (buf, b->mem + b->off, want);
  else
    {
      ssize_t r = pread (b->fd, buf, want, (off_t) (b->base + b->off));
      if (r <= 0)
        return CURL_READFUNC_ABORT;
      want = (size_t) r;
    }
  b->off += want;
  return want;
}

static int
on_progress (void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  struct xfer *x = ctx;
  struct img_reg *r = x->reg;

  if (r->o.progress && x->digest)
    {
      uint64_t now = (uint64_t) (dlnow ? dlnow : ulnow) + x->asked_offset;
      r->o.progress (r->o.progress_ctx, x->digest, now, x->total);
    }
  return 0;
}

/* ---------- requests ---------- */

static void
setup (struct img_reg *r, const char *method, const char *url, struct curl_slist *hdrs, struct xfer *x,
       struct body *b)
{
  CURL *c = r->curl;

  curl_easy_reset (c);
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_USERAGENT,
                    "hako/"
                    "0.1");
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, r->curl_err);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 30L);
  /* A stalled transfer (under 1 byte/s for a minute) is an error, not a hang. */
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, r->insecure ? 0L : 1L);
  curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, r->insecure ? 0L : 2L);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt (c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (c, CURLOPT_XFERINFODATA, x);
  curl_easy_setopt (c, CURLOPT_NOPROGRESS, r->o.progress ? 0L : 1L);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, hdrs);
  if (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0)
    {
      /* Blob GETs redirect to storage (S3 and the like); curl drops our
         Authorization header when the host changes. */
      curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt (c, CURLOPT_MAXREDIRS, 5L);
      if (strcmp (method, "HEAD") == 0)
        curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
    }
  else if (strcmp (method, "DELETE") == 0)
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, "DELETE");
  else
    {
      /* PUT, POST, PATCH: always a Content-Length, 0 for an empty body */
      b->off = 0;
      curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (c, CURLOPT_READDATA, b);
      curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) b->size);
      if (strcmp (method, "PUT") != 0)
        curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, method);
    }
}

static struct curl_slist *
headers_for (struct img_reg *r, const char *const *extra)
{
  struct curl_slist *h = NULL;
  /* no "Expect: 100-continue" round trip before each upload */
  h = curl_slist_append (h, "Expect:");
  if (r->auth)
    h = curl_slist_append (h, r->auth);
  for (; extra && *extra; extra++)
    h = curl_slist_append (h, *extra);
  return h;
}

static int
perform (struct img_reg *r, const char *method, const char *url, const char *const *extra, struct xfer *x,
         struct body *b, struct hako_err **err)
{
  struct curl_slist *h = headers_for (r, extra);
  struct body empty = { .fd = -1 };

  xfer_clear (x);
  x->reg = r;
  r->curl_err[0] = '\0';
  setup (r, method, url, h, x, b ? b : &empty);
  CURLcode rc = curl_easy_perform (r->curl);
  curl_slist_free_all (h);
  if (x->err)
    {
      *err = steal_pointer (&x->err);
      return hako_error_prefix (err, "%s %s", method, url);
    }
  if (rc != CURLE_OK)
    return hako_error (err, 0, "%s %s: %s", method, url,
                       r->curl_err[0] ? r->curl_err : curl_easy_strerror (rc));
  return 0;
}

/* key="value" pairs of a challenge; quoted values may hold commas. */
static char *
challenge_param (const char *ch, const char *key)
{
  size_t k = strlen (key);
  for (const char *p = ch; *p;)
    {
      while (*p == ' ' || *p == ',')
        p++;
      const char *eq = strchr (p, '=');
      if (eq == NULL)
        return NULL;
      bool match = (size_t) (eq - p) == k && strncasecmp (p, key, k) == 0;
      const char *v = eq + 1, *end;
      if (*v == '"')
        {
          end = strchr (++v, '"');
          if (end == NULL)
            return NULL;
          p = end + 1;
        }
      else
        {
          end = v + strcspn (v, ",");
          p = end;
        }
      if (match)
        return xasprintf ("%.*s", (int) (end - v), v);
    }
  return NULL;
}

static char *
registry_error (struct xfer *x)
{
  json_t *root = x->mem ? json_loads (x->mem, 0, NULL) : NULL;
  json_t *e0 = json_array_get (json_object_get (root, "errors"), 0);
  const char *code = json_string_value (json_object_get (e0, "code"));
  const char *msg = json_string_value (json_object_get (e0, "message"));
  char *out
      = code ? xasprintf ("%s (%s)", msg ? msg : code, code) : xasprintf ("HTTP status %ld", x->resp.status);
  if (root)
    json_decref (root);
  return out;
}

static char *
append_scope (struct img_reg *r, char *q, const char *scope)
{
  char *esc = curl_easy_escape (r->curl, scope, 0);
  char *next = xasprintf ("%s&scope=%s", q, esc);
  curl_free (esc);
  free (q);
  return next;
}

/* "&scope=…" for our repository, then for each scope the challenge names
   that is not ours: a cross-repository mount also needs pull on the source
   repository, and the registry's challenge says so. */
static char *
scope_query (struct img_reg *r, const char *challenge)
{
  cleanup_free char *asked = challenge_param (challenge, "scope");
  /* login has no repository: a token without scope only proves the password */
  cleanup_free char *own
      = *r->repo ? xasprintf ("repository:%s:%s", r->repo, r->push ? "pull,push" : "pull") : NULL;
  char *q = own ? append_scope (r, xstrdup (""), own) : xstrdup ("");
  char *save = NULL;

  for (char *s = asked ? strtok_r (asked, " ", &save) : NULL; s; s = strtok_r (NULL, " ", &save))
    if (own == NULL || strcmp (s, own) != 0)
      q = append_scope (r, q, s);
  return q;
}

static int
fetch_token (struct img_reg *r, const char *challenge, struct hako_err **err)
{
  cleanup_free char *realm = challenge_param (challenge, "realm");
  cleanup_free char *service = challenge_param (challenge, "service");
  struct xfer x = { 0 };
  int ret = -1;

  if (realm == NULL)
    return hako_error (err, 0, "registry %s: Bearer challenge without a realm", r->domain);
  char *esc_service = curl_easy_escape (r->curl, service ? service : "", 0);
  cleanup_free char *scopes = scope_query (r, challenge);
  cleanup_free char *url
      = xasprintf ("%s%sservice=%s%s", realm, strchr (realm, '?') ? "&" : "?", esc_service, scopes);
  curl_free (esc_service);
  cleanup_free char *saved_auth = steal_pointer (&r->auth);
  if (r->user)
    {
      cleanup_free char *plain = xasprintf ("%s:%s", r->user, r->pass ? r->pass : "");
      cleanup_free char *b64 = img_base64_encode (plain, strlen (plain));
      r->auth = xasprintf ("Authorization: Basic %s", b64);
    }
  x.max = 1 << 20;
  if (perform (r, "GET", url, NULL, &x, NULL, err) < 0)
    goto out;
  if (x.resp.status == 401 || x.resp.status == 403)
    {
      hako_error (err, EACCES, "registry %s: authentication failed%s", r->domain,
                  r->user ? ": wrong username or password" : " (no credentials: hako login)");
      goto out;
    }
  json_t *root = x.resp.status == 200 && x.mem ? json_loads (x.mem, 0, NULL) : NULL;
  const char *token = json_string_value (json_object_get (root, "token"));
  if (token == NULL)
    token = json_string_value (json_object_get (root, "access_token"));
  if (token)
    {
      free (r->auth);
      r->auth = xasprintf ("Authorization: Bearer %s", token);
      ret = 0;
    }
  else
    hako_error (err, 0, "registry %s: token server %s answered HTTP %ld without a token", r->domain, realm,
                x.resp.status);
  if (root)
    json_decref (root);
out:
  if (ret < 0)
    {
      free (r->auth);
      r->auth = steal_pointer (&saved_auth);
    }
  xfer_clear (&x);
  return ret;
}

static int
authenticate (struct img_reg *r, const char *challenge, struct hako_err **err)
{
  if (challenge && strncasecmp (challenge, "Bearer ", 7) == 0)
    return fetch_token (r, challenge + 7, err);
  if (r->user == NULL)
    return hako_error (err, EACCES, "registry %s: authentication required (hako login %s)", r->domain,
                       r->domain);
  cleanup_free char *plain = xasprintf ("%s:%s", r->user, r->pass ? r->pass : "");
  cleanup_free char *b64 = img_base64_encode (plain, strlen (plain));
  free (r->auth);
  r->auth = xasprintf ("Authorization: Basic %s", b64);
  return 0;
}

/* One request with the auth dance: a 401 gets one authentication round and
   one retry.  Leaves the response in *x; HTTP errors are the caller's. */
static int
request (struct img_reg *r, const char *method, const char *url, const char *const *extra, struct xfer *x,
         struct body *b, struct hako_err **err)
{
  for (int attempt = 0;; attempt++)
    {
      if (perform (r, method, url, extra, x, b, err) < 0)
        return -1;
      if (x->resp.status != 401 || attempt == 1)
        break;
      cleanup_free char *ch = x->resp.www_auth ? xstrdup (x->resp.www_auth) : NULL;
      if (authenticate (r, ch, err) < 0)
        return -1;
      if (x->ing && img_ingest_offset (x->ing) != x->asked_offset && img_ingest_restart (x->ing, err) < 0)
        return -1;
    }
  if (x->resp.status == 401)
    {
      cleanup_free char *why = registry_error (x);
      return hako_error (err, EACCES, "%s %s: unauthorized: %s", method, url, why);
    }
  return 0;
}

/* ---------- opening ---------- */

static bool
is_insecure_host (const char *domain)
{
  cleanup_free char *host = xstrdup (domain);
  if (host[0] == '[')
    host[strcspn (host, "]") + 1] = '\0';
  else
    host[strcspn (host, ":")] = '\0';
  if (strcmp (host, "localhost") == 0 || strncmp (host, "127.", 4) == 0 || strcmp (host, "[::1]") == 0)
    return true;
  const char *list = getenv ("HAKO_INSECURE_REGISTRIES");
  if (list == NULL)
    return false;
  cleanup_free char *copy = xstrdup (list);
  char *save = NULL;
  for (char *t = strtok_r (copy, ", ", &save); t; t = strtok_r (NULL, ", ", &save))
    if (strcmp (t, domain) == 0 || strcmp (t, host) == 0)
      return true;
  return false;
}

void
img_reg_free (struct img_reg *r)
{
  if (r == NULL)
    return;
  if (r->curl)
    curl_easy_cleanup (r->curl);
  free (r->domain);
  free (r->repo);
  free (r->base);
  free (r->user);
  free (r->pass);
  free (r->auth);
  free (r);
}

struct img_reg *
img_reg_clone (const struct img_reg *r)
{
  struct img_reg *c = xzalloc (sizeof (*c));
  c->o = r->o;
  c->domain = xstrdup (r->domain);
  c->repo = xstrdup (r->repo);
  c->base = xstrdup (r->base);
  c->insecure = r->insecure;
  c->push = r->push;
  c->no_chunks = r->no_chunks;
  c->chunk_size = r->chunk_size;
  c->user = r->user ? xstrdup (r->user) : NULL;
  c->pass = r->pass ? xstrdup (r->pass) : NULL;
  c->auth = r->auth ? xstrdup (r->auth) : NULL;
  c->curl = curl_easy_init ();
  return c;
}

/* GET /v2/ over https, and over http when the registry is insecure and
   https does not answer. */
static int
ping (struct img_reg *r, struct xfer *x, struct hako_err **err)
{
  const char *api_host = strcmp (r->domain, "docker.io") == 0 ? "registry-1.docker.io" : r->domain;
  const char *schemes[] = { "https", "http" };

  for (int i = 0; i < (r->insecure ? 2 : 1); i++)
    {
      struct hako_err *e = NULL;
      free (r->base);
      r->base = xasprintf ("%s://%s", schemes[i], api_host);
      cleanup_free char *url = xasprintf ("%s/v2/", r->base);
      if (perform (r, "GET", url, NULL, x, NULL, &e) == 0)
        return 0;
      if (i + 1 == (r->insecure ? 2 : 1))
        {
          *err = e;
          return hako_error_prefix (err, "registry %s", r->domain);
        }
      log_debug ("%s", e->msg);
      hako_error_free (&e);
    }
  return -1;
}

/* "16M", "512k", "1048576"; 0 turns chunked uploads off. */
static int
parse_size (const char *s, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || end == s || *s == '-')
    return -1;
  int shift = 0;
  switch (*end)
    {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case '\0':
      break;
    default:
      return -1;
    }
  if (shift && (*++end == 'i' || *end == 'I'))
    end++;
  if (shift && (*end == 'b' || *end == 'B'))
    end++;
  if (*end != '\0' || v > (UINT64_MAX >> shift))
    return -1;
  *out = (uint64_t) v << shift;
  return 0;
}

static int
chunk_size_setting (uint64_t *out, struct hako_err **err)
{
  const char *env = getenv ("HAKO_PUSH_CHUNK_SIZE");
  *out = CHUNK_DEFAULT;
  if (env == NULL || *env == '\0')
    return 0;
  if (parse_size (env, out) < 0)
    return hako_error (err, EINVAL, "HAKO_PUSH_CHUNK_SIZE=`%s`: not a size (bytes, or with K, M, G)", env);
  return 0;
}

int
img_reg_open (const char *domain, const char *repo, const struct img_reg_opts *o, bool push,
              struct img_reg **out, struct hako_err **err)
{
  static bool inited;
  struct img_reg *r = xzalloc (sizeof (*r));
  struct xfer x = { 0 };

  if (img_curl_load (err) < 0)
    {
      free (r);
      return -1;
    }
  if (!inited)
    curl_global_init (CURL_GLOBAL_DEFAULT);
  inited = true;
  r->o = *o;
  r->domain = xstrdup (domain);
  r->repo = xstrdup (repo);
  r->push = push;
  r->insecure = !o->tls_verify || is_insecure_host (domain);
  r->curl = curl_easy_init ();
  if (push && chunk_size_setting (&r->chunk_size, err) < 0)
    goto fail;
  if (o->user)
    {
      r->user = xstrdup (o->user);
      r->pass = xstrdup (o->pass ? o->pass : "");
    }
  else if (img_auth_get (o->authfile, domain, &r->user, &r->pass, err) < 0)
    goto fail;
  if (ping (r, &x, err) < 0)
    goto fail;
  /* Authenticate up front: every later request then carries the header
     instead of costing a 401 round trip each. */
  if (x.resp.status == 401 && authenticate (r, x.resp.www_auth, err) < 0)
    goto fail;
  if (x.resp.status != 200 && x.resp.status != 401)
    {
      hako_error (err, 0, "registry %s: %s/v2/ answered HTTP %ld: not a registry?", domain, r->base,
                  x.resp.status);
      goto fail;
    }
  xfer_clear (&x);
  *out = r;
  return 0;
fail:
  xfer_clear (&x);
  img_reg_free (r);
  return -1;
}

int
img_reg_check_auth (struct img_reg *r, struct hako_err **err)
{
  struct xfer x = { 0 };
  cleanup_free char *url = xasprintf ("%s/v2/", r->base);
  int ret = request (r, "GET", url, NULL, &x, NULL, err);
  if (ret == 0 && x.resp.status != 200)
    {
      cleanup_free char *why = registry_error (&x);
      ret = hako_error (err, 0, "registry %s: %s", r->domain, why);
    }
  xfer_clear (&x);
  return ret;
}

/* ---------- manifests ---------- */

int
img_reg_get_manifest (struct img_reg *r, const char *ref, char **buf, size_t *len, char **media_type,
                      struct hako_err **err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/manifests/%s", r->base, r->repo, ref);
  const char *extra[] = { "Accept: " IMG_ACCEPT_MANIFESTS, NULL };
  struct xfer x = { .max = MANIFEST_MAX };
  int ret = -1;

  if (request (r, "GET", url, extra, &x, NULL, err) < 0)
    goto out;
  if (x.resp.status != 200)
    {
      cleanup_free char *why = registry_error (&x);
      hako_error (err, 0, "%s", why);
      goto out;
    }
  if (strchr (ref, ':') && img_digest_verify_buf (ref, x.mem ? x.mem : "", x.len, err) < 0)
    {
      hako_error_prefix (err, "manifest %s", ref);
      goto out;
    }
  *buf = x.mem ? steal_pointer (&x.mem) : xstrdup ("");
  *len = x.len;
  *media_type = x.resp.content_type ? xstrdup (x.resp.content_type) : NULL;
  ret = 0;
out:
  xfer_clear (&x);
  return ret;
}

int
img_reg_put_manifest (struct img_reg *r, const char *ref, const char *media_type, const char *buf, size_t len,
                      struct hako_err **err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/manifests/%s", r->base, r->repo, ref);
  cleanup_free char *ct = xasprintf ("Content-Type: %s", media_type);
  const char *extra[] = { ct, NULL };
  struct body b = { .fd = -1, .mem = buf, .size = len };
  struct xfer x = { 0 };
  int ret = request (r, "PUT", url, extra, &x, &b, err);

  if (ret == 0 && x.resp.status != 201 && x.resp.status != 200)
    {
      cleanup_free char *why = registry_error (&x);
      ret = hako_error (err, 0, "push manifest %s/%s:%s: %s", r->domain, r->repo, ref, why);
    }
  xfer_clear (&x);
  return ret;
}

/* ---------- blobs ---------- */

int
img_reg_blob_exists (struct img_reg *r, const char *digest, int64_t *size, struct hako_err **err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
  struct xfer x = { 0 };
  int ret = request (r, "HEAD", url, NULL, &x, NULL, err);

  if (ret == 0)
    {
      if (x.resp.status == 200)
        {
          curl_off_t cl = -1;
          curl_easy_getinfo (r->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
          if (size)
            *size = cl;
          ret = 1;
        }
      else if (x.resp.status != 404)
        ret = hako_error (err, 0, "HEAD blob %s: HTTP %ld", digest, x.resp.status);
    }
  xfer_clear (&x);
  return ret;
}

static int
fetch_once (struct img_reg *r, struct img_ingest *g, const char *digest, int64_t size, struct hako_err **err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
  char range[64];
  const char *extra[] = { range, NULL };
  struct xfer x = { .ing = g, .digest = digest, .total = size > 0 ? (uint64_t) size : 0 };
  int ret;

  x.asked_offset = img_ingest_offset (g);
  if (x.asked_offset)
    log_debug ("resuming %s at %llu bytes", digest, (unsigned long long) x.asked_offset);
  snprintf (range, sizeof (range), "Range: bytes=%llu-", (unsigned long long) x.asked_offset);
  ret = request (r, "GET", url, x.asked_offset ? extra : NULL, &x, NULL, err);
  if (ret == 0 && x.resp.status == 416)
    ret = img_ingest_restart (g, err) < 0 ? -1 : 1; /* our partial is longer than the blob: again */
  else if (ret == 0 && !is_success (x.resp.status))
    {
      cleanup_free char *why = registry_error (&x);
      ret = hako_error (err, x.resp.status == 404 ? ENOENT : 0, "blob %s: %s", digest, why);
    }
  xfer_clear (&x);
  return ret;
}

int
img_reg_fetch_blob (struct img_reg *r, struct img_store *s, const char *digest, int64_t size,
                    struct hako_err **err)
{
  for (int tries = 0; tries < FETCH_TRIES; tries++)
    {
      struct img_ingest *g = NULL;
      struct hako_err *e = NULL;
      if (img_ingest_open (s, digest, size, &g, err) < 0)
        return -1;
      int ret = 0;
      if (!img_ingest_already (g) && (size < 0 || img_ingest_offset (g) < (uint64_t) size))
        ret = fetch_once (r, g, digest, size, &e);
      if (ret == 0)
        ret = img_ingest_commit (g, NULL, &e);
      img_ingest_free (g);
      if (ret == 0)
        return 0;
      /* A dropped connection keeps what arrived (the next try resumes); a
         digest mismatch removed the partial file (the next try starts over). */
      if (tries + 1 == FETCH_TRIES || (e && e->errno_ == ENOENT))
        {
          if (e && e->errno_ == ENOENT)
            e->errno_ = 0; /* only marked "do not retry"; the message says it */
          *err = e;
          return -1;
        }
      log_info ("blob %s: %s; retrying", digest, e ? e->msg : "error");
      hako_error_free (&e);
    }
  return -1;
}

/* ---------- blob uploads ---------- */

/* Upload URLs come from Location headers, relative or absolute; each answer
   names the URL of the next request (it may carry the session's state). */
static char *
absolute_url (struct img_reg *r, const char *location)
{
  return strstr (location, "://") ? xstrdup (location) : xasprintf ("%s%s", r->base, location);
}

static char *
with_digest (struct img_reg *r, const char *url, const char *digest)
{
  char *esc = curl_easy_escape (r->curl, digest, 0);
  char *out = xasprintf ("%s%sdigest=%s", url, strchr (url, '?') ? "&" : "?", esc);
  curl_free (esc);
  return out;
}

/* POST …/blobs/uploads/, with ?mount=&from= when `from` is given.
   1: mounted (201); 0: an upload session at *url; -1: error. */
static int
start_upload (struct img_reg *r, const char *digest, const char *from, char **url, uint64_t *chunk_min,
              struct hako_err **err)
{
  cleanup_free char *post = NULL;
  struct body none = { .fd = -1 };
  struct xfer x = { 0 };

  if (from)
    {
      char *esc_d = curl_easy_escape (r->curl, digest, 0);
      char *esc_f = curl_easy_escape (r->curl, from, 0);
      post = xasprintf ("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, r->repo, esc_d, esc_f);
      curl_free (esc_d);
      curl_free (esc_f);
    }
  else
    post = xasprintf ("%s/v2/%s/blobs/uploads/", r->base, r->repo);
  int ret = request (r, "POST", post, NULL, &x, &none, err);
  if (ret == 0 && from && x.resp.status == 201)
    ret = 1;
  else if (ret == 0 && (x.resp.status != 202 || x.resp.location == NULL))
    {
      cleanup_free char *why = registry_error (&x);
      ret = hako_error (err, 0, "start upload of %s: %s", digest, why);
    }
  else if (ret == 0)
    {
      *url = absolute_url (r, x.resp.location);
      *chunk_min = x.resp.chunk_min;
    }
  xfer_clear (&x);
  return ret;
}

/* A session we give up on: the registry would drop it after a while anyway
   (the spec asks clients to say so, and to ignore failures). */
static void
cancel_upload (struct img_reg *r, const char *url)
{
  struct xfer x = { 0 };
  struct hako_err *e = NULL;
  if (request (r, "DELETE", url, NULL, &x, NULL, &e) < 0)
    hako_error_free (&e);
  xfer_clear (&x);
}

/* The closing PUT ?digest=, with the bytes from `off` to the end (none
   after a chunked upload). */
static int
finish_upload (struct img_reg *r, int fd, const char *digest, uint64_t off, uint64_t size, const char *url,
               struct hako_err **err)
{
  cleanup_free char *put = with_digest (r, url, digest);
  const char *extra[] = { "Content-Type: application/octet-stream", NULL };
  struct body b = { .fd = fd, .base = off, .size = size - off };
  struct xfer x = { .digest = digest, .total = size, .asked_offset = off };
  int ret = request (r, "PUT", put, off < size ? extra : NULL, &x, &b, err);

  if (ret == 0 && x.resp.status != 201)
    {
      cleanup_free char *why = registry_error (&x);
      ret = hako_error (err, 0, "upload %s: %s", digest, why);
    }
  xfer_clear (&x);
  return ret;
}

/* PATCH chunks of `chunk` bytes, in order, each with its Content-Range, each
   at the URL the previous answer named.  The registry acknowledges with
   Range: 0-END; an answer that does not match what was sent is an error,
   not something to guess around.  1 when the registry refuses the first
   chunk: the caller uploads the blob whole instead. */
static int
upload_chunks (struct img_reg *r, int fd, const char *digest, uint64_t size, uint64_t chunk, char **url,
               struct hako_err **err)
{
  const char *ctype = "Content-Type: application/octet-stream";

  for (uint64_t off = 0; off < size;)
    {
      uint64_t n = size - off < chunk ? size - off : chunk;
      char crange[64];
      snprintf (crange, sizeof (crange), "Content-Range: %llu-%llu", (unsigned long long) off,
                (unsigned long long) (off + n - 1));
      const char *extra[] = { ctype, crange, NULL };
      struct body b = { .fd = fd, .base = off, .size = n };
      struct xfer x = { .digest = digest, .total = size, .asked_offset = off };
      unsigned long long end = ~0ull;

      log_debug ("upload %s: PATCH bytes %s of %llu", digest, crange + 15, (unsigned long long) size);
      int ret = request (r, "PATCH", *url, extra, &x, &b, err);
      if (ret == 0 && x.resp.status != 202 && off == 0 && x.resp.status != 416)
        {
          cleanup_free char *why = registry_error (&x);
          log_info ("registry %s refused a chunked upload (%s): uploading blobs whole", r->domain, why);
          xfer_clear (&x);
          return 1;
        }
      if (ret == 0 && (x.resp.status != 202 || x.resp.location == NULL))
        {
          cleanup_free char *why = registry_error (&x);
          ret = hako_error (err, 0, "upload %s: chunk %s: %s", digest, crange + 15, why);
        }
      else if (ret == 0 && x.resp.range
               && (sscanf (x.resp.range, "%*u-%llu", &end) != 1 || end != off + n - 1))
        ret = hako_error (err, 0, "upload %s: chunk %s: the registry acknowledged `Range: %s`", digest,
                          crange + 15, x.resp.range);
      if (ret == 0)
        {
          free (*url);
          *url = absolute_url (r, x.resp.location);
        }
      xfer_clear (&x);
      if (ret < 0)
        return -1;
      off += n;
    }
  return finish_upload (r, fd, digest, size, size, *url, err);
}

int
img_reg_push_blob (struct img_reg *r, int fd, const char *digest, int64_t size, const char *const *mount_from,
                   char **mounted_from, struct hako_err **err)
{
  cleanup_free char *url = NULL;
  uint64_t chunk_min = 0;
  size_t n_from = 0;

  if (mounted_from)
    *mounted_from = NULL;
  while (mount_from && mount_from[n_from] && n_from < MOUNT_TRIES)
    n_from++;
  /* Each refused mount opens a session (202): the last one is used for the
     upload, the others are cancelled.  A mount the credentials do not
     allow (no pull on the source) is no reason to fail the push. */
  for (size_t i = 0; i < n_from && url == NULL; i++)
    {
      struct hako_err *e = NULL;
      int m = start_upload (r, digest, mount_from[i], &url, &chunk_min, &e);
      if (m == 1)
        {
          if (mounted_from)
            *mounted_from = xstrdup (mount_from[i]);
          return 0;
        }
      if (m < 0)
        {
          log_debug ("mount %s from %s: %s", digest, mount_from[i], e->msg);
          hako_error_free (&e);
        }
      else if (i + 1 < n_from)
        {
          cancel_upload (r, url);
          free (steal_pointer (&url));
        }
    }
  if (url == NULL && start_upload (r, digest, NULL, &url, &chunk_min, err) < 0)
    return -1;
  uint64_t chunk = r->chunk_size > chunk_min ? r->chunk_size : chunk_min;
  if (r->chunk_size && !r->no_chunks && (uint64_t) size > chunk)
    {
      int c = upload_chunks (r, fd, digest, (uint64_t) size, chunk, &url, err);
      if (c <= 0)
        return c;
      r->no_chunks = true;
      cancel_upload (r, url);
      free (steal_pointer (&url));
      if (start_upload (r, digest, NULL, &url, &chunk_min, err) < 0)
        return -1;
    }
  return finish_upload (r, fd, digest, 0, (uint64_t) size, url, err);
}

/* ---------- parsers, for fuzz/ (http_parse.h) ---------- */

char *
img_http_header_value (const char *line, size_t n, const char *name)
{
  return header_value (line, n, name);
}

char *
img_challenge_param (const char *challenge, const char *key)
{
  return challenge_param (challenge, key);
}
