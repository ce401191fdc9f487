/* SPDX-License-Identifier: Apache-2.0 */
#include "auth.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
img_base64_encode (const void *buf, size_t len)
{
  char *out = xmalloc (4 * ((len + 2) / 3) + 1);
  EVP_EncodeBlock ((unsigned char *) out, buf, (int) len);
  return out;
}

char *
img_base64_decode (const char *s, size_t *len)
{
  size_t n = strlen (s);
  if (n % 4 != 0)
    return NULL;
  char *out = xmalloc (n / 4 * 3 + 1);
  int r = EVP_DecodeBlock ((unsigned char *) out, (const unsigned char *) s, (int) n);
  if (r < 0)
    {
      free (out);
      return NULL;
    }
  /* EVP_DecodeBlock counts the '=' padding as zero bytes */
  size_t pad = (n >= 1 && s[n - 1] == '=') + (n >= 2 && s[n - 2] == '=');
  *len = (size_t) r - pad;
  out[*len] = '\0';
  return out;
}

char *
img_auth_default_path (void)
{
  const char *env = getenv ("HAKO_AUTH_FILE");
  if (env && *env)
    return xstrdup (env);
  const char *home = getenv ("HOME");
  return xasprintf ("%s/.config/hako/auth.json", home && *home ? home : "/root");
}

/* "https://index.docker.io/v1/" -> "docker.io"; "http://h:5000/x" -> "h:5000" */
static char *
normalize_key (const char *key)
{
  const char *p = strstr (key, "://");
  p = p ? p + 3 : key;
  char *host = xstrdup (p);
  host[strcspn (host, "/")] = '\0';
  if (strcmp (host, "index.docker.io") == 0 || strcmp (host, "registry-1.docker.io") == 0)
    {
      free (host);
      host = xstrdup ("docker.io");
    }
  return host;
}

static json_t *
load_auth (const char *path, struct hako_err **err)
{
  json_error_t jerr;

  if (access (path, F_OK) < 0)
    return json_object ();
  json_t *root = json_load_file (path, 0, &jerr);
  if (root == NULL || !json_is_object (root))
    {
      if (root)
        json_decref (root);
      return hako_error (err, 0, "auth file `%s`: %d:%d: %s", path, jerr.line, jerr.column,
                         root ? "not a JSON object" : jerr.text),
             NULL;
    }
  return root;
}

static int
lookup_in (const char *path, const char *registry, char **user, char **pass, struct hako_err **err)
{
  json_t *root = load_auth (path, err);
  const char *k;
  json_t *v;
  int r = 1;

  if (root == NULL)
    return -1;
  json_object_foreach (json_object_get (root, "auths"), k, v)
  {
    cleanup_free char *host = normalize_key (k);
    const char *auth = json_string_value (json_object_get (v, "auth"));
    if (strcmp (host, registry) != 0 || auth == NULL)
      continue;
    size_t len;
    cleanup_free char *plain = img_base64_decode (auth, &len);
    char *colon = plain ? strchr (plain, ':') : NULL;
    if (colon == NULL)
      {
        r = hako_error (err, 0, "auth file `%s`: entry for `%s` is not base64(user:password)", path, k);
        break;
      }
    *colon = '\0';
    *user = xstrdup (plain);
    *pass = xstrdup (colon + 1);
    r = 0;
    break;
  }
  json_decref (root);
  return r;
}

int
img_auth_get (const char *authfile, const char *registry, char **user, char **pass, struct hako_err **err)
{
  cleanup_free char *own = authfile ? xstrdup (authfile) : img_auth_default_path ();
  int r = lookup_in (own, registry, user, pass, err);

  if (r != 1 || authfile)
    return r;
  const char *env = getenv ("REGISTRY_AUTH_FILE");
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  const char *dcfg = getenv ("DOCKER_CONFIG");
  const char *home = getenv ("HOME");
  cleanup_free char *podman = xdg ? xasprintf ("%s/containers/auth.json", xdg) : NULL;
  cleanup_free char *docker = dcfg ? xasprintf ("%s/config.json", dcfg)
                                   : xasprintf ("%s/.docker/config.json", home ? home : "/root");
  const char *others[] = { env, podman, docker };
  for (size_t i = 0; i < 3 && r == 1; i++)
    if (others[i] && *others[i])
      r = lookup_in (others[i], registry, user, pass, err);
  return r;
}

static int
save_auth (const char *path, json_t *root, struct hako_err **err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash && slash != dir)
    {
      *slash = '\0';
      if (access (dir, F_OK) < 0 && hako_mkdir_p (dir, 0700, err) < 0)
        return -1;
    }
  cleanup_free char *text = json_dumps (root, JSON_INDENT (1));
  return hako_write_file_atomic (path, text, strlen (text), 0600, err);
}

int
img_auth_set (const char *authfile, const char *registry, const char *user, const char *pass,
              struct hako_err **err)
{
  cleanup_free char *path = authfile ? xstrdup (authfile) : img_auth_default_path ();
  json_t *root = load_auth (path, err);

  if (root == NULL)
    return -1;
  json_t *auths = json_object_get (root, "auths");
  if (!json_is_object (auths))
    {
      auths = json_object ();
      json_object_set_new (root, "auths", auths);
    }
  cleanup_free char *plain = xasprintf ("%s:%s", user, pass);
  cleanup_free char *b64 = img_base64_encode (plain, strlen (plain));
  json_object_set_new (auths, registry, json_pack ("{s:s}", "auth", b64));
  int r = save_auth (path, root, err);
  json_decref (root);
  return r;
}

int
img_auth_remove (const char *authfile, const char *registry, struct hako_err **err)
{
  cleanup_free char *path = authfile ? xstrdup (authfile) : img_auth_default_path ();
  json_t *root = load_auth (path, err);
  const char *k;
  json_t *v;
  void *tmp;
  int found = 0;

  if (root == NULL)
    return -1;
  json_object_foreach_safe (json_object_get (root, "auths"), tmp, k, v)
  {
    cleanup_free char *host = normalize_key (k);
    if (strcmp (host, registry) == 0)
      {
        json_object_del (json_object_get (root, "auths"), k);
        found = 1;
      }
  }
  int r = found ? save_auth (path, root, err) : 1;
  json_decref (root);
  return r;
}
