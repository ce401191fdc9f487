/* SPDX-License-Identifier: Apache-2.0 */
#include "auth.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER_OUT_MAX (64u << 10)

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

/* ---------- credential helpers ---------- */

/* Start `prog get` with its stdin and stdout connected to us.  stdin is a
   socket, not a pipe: a helper that exits without reading makes our write
   fail with EPIPE (MSG_NOSIGNAL) instead of killing us with SIGPIPE. */
static int
helper_spawn (const char *prog, const char *where, pid_t *pid, int *in, int *out, struct hako_err **err)
{
  int sv[2], po[2];
  posix_spawn_file_actions_t fa;
  char *argv[] = { (char *) prog, (char *) "get", NULL };

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return hako_error (err, errno, "%s: credential helper `%s`: socketpair", where, prog);
  if (pipe2 (po, O_CLOEXEC) < 0)
    {
      int saved = errno;
      close (sv[0]);
      close (sv[1]);
      return hako_error (err, saved, "%s: credential helper `%s`: pipe", where, prog);
    }
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, sv[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2 (&fa, po[1], STDOUT_FILENO);
  int rc = posix_spawnp (pid, prog, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (sv[1]);
  close (po[1]);
  if (rc != 0)
    {
      close (sv[0]);
      close (po[0]);
      if (rc == ENOENT)
        return hako_error (err, 0, "%s: credential helper `%s` is not installed (not found in PATH)", where,
                           prog);
      return hako_error (err, rc, "%s: run credential helper `%s`", where, prog);
    }
  *in = sv[0];
  *out = po[0];
  return 0;
}

/* All of the helper's stdout (the first HELPER_OUT_MAX bytes kept), its
   exit status in *status (as waitpid gives it). */
static char *
helper_collect (pid_t pid, int in, int out, const char *server, int *status)
{
  char *buf = xmalloc (HELPER_OUT_MAX + 1);
  size_t len = 0;

  /* docker's helpers read the whole of stdin: the address, no newline.
     One that exits without reading it says why in its exit status. */
  (void) send (in, server, strlen (server), MSG_NOSIGNAL);
  close (in);
  for (;;)
    {
      char tmp[4096];
      ssize_t n = read (out, tmp, sizeof (tmp));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      size_t keep = (size_t) n < HELPER_OUT_MAX - len ? (size_t) n : HELPER_OUT_MAX - len;
      memcpy (buf + len, tmp, keep);
      len += keep;
    }
  close (out);
  buf[len] = '\0';
  while (waitpid (pid, status, 0) < 0 && errno == EINTR)
    ;
  return buf;
}

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && isspace ((unsigned char) s[n - 1]))
    s[--n] = '\0';
}

/* docker-credential-NAME get: 0 with *user and *pass, 1 when the helper
   has nothing for this registry, -1 on error.  `where` names the setting
   ("credsStore in `~/.docker/config.json`") for the messages. */
static int
helper_get (const char *name, const char *registry, const char *where, char **user, char **pass,
            struct hako_err **err)
{
  /* docker keeps Docker Hub's credentials under its old v1 address */
  const char *server = strcmp (registry, "docker.io") == 0 ? "https://index.docker.io/v1/" : registry;
  pid_t pid;
  int in = -1, out = -1, status = 0;

  if (*name == '\0' || strchr (name, '/'))
    return hako_error (err, EINVAL, "%s: `%s` is not a credential helper name", where, name);
  cleanup_free char *prog = xasprintf ("docker-credential-%s", name);
  if (helper_spawn (prog, where, &pid, &in, &out, err) < 0)
    return -1;
  cleanup_free char *text = helper_collect (pid, in, out, server, &status);
  trim (text);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      /* the helpers' own wording for "nothing stored" (credentials.NotFound) */
      if (WIFEXITED (status) && strstr (text, "credentials not found"))
        return 1;
      char *nl = strchr (text, '\n');
      if (nl)
        *nl = '\0';
      if (WIFEXITED (status))
        return hako_error (err, 0, "%s: `%s get` for %s failed (exit status %d)%s%s", where, prog, server,
                           WEXITSTATUS (status), *text ? ": " : "", text);
      return hako_error (err, 0, "%s: `%s get` for %s killed by signal %d", where, prog, server,
                         WTERMSIG (status));
    }
  json_error_t jerr;
  json_t *root = json_loads (text, 0, &jerr);
  const char *u = json_string_value (json_object_get (root, "Username"));
  const char *p = json_string_value (json_object_get (root, "Secret"));
  int r = 0;
  if (u == NULL || p == NULL)
    r = hako_error (err, 0, "%s: `%s get` for %s: %s", where, prog, server,
                    root ? "no Username and Secret in its answer" : "its answer is not JSON");
  else if (strcmp (u, "<token>") == 0)
    r = hako_error (err, ENOTSUP, "%s: `%s get` for %s gave an identity token", where, prog, server);
  else
    {
      *user = xstrdup (u);
      *pass = xstrdup (p);
    }
  if (root)
    json_decref (root);
  return r;
}

/* credHelpers: {"REGISTRY": "NAME"}, keys normalised as auths keys are. */
static const char *
helper_for (json_t *root, const char *registry)
{
  const char *k;
  json_t *v;
  json_object_foreach (json_object_get (root, "credHelpers"), k, v)
  {
    cleanup_free char *host = normalize_key (k);
    if (strcmp (host, registry) == 0 && json_is_string (v))
      return json_string_value (v);
  }
  return NULL;
}

/* One file: its credHelpers entry for the registry, else its credsStore
   (as docker does: a store holds everything), else its auths entry (also
   when the store has nothing for this registry). */
static int
lookup_in (const char *path, const char *registry, char **user, char **pass, struct hako_err **err)
{
  json_t *root = load_auth (path, err);
  const char *k;
  json_t *v;
  int r = 1;

  if (root == NULL)
    return -1;
  const char *helper = helper_for (root, registry);
  const char *store = json_string_value (json_object_get (root, "credsStore"));
  if (helper || (store && *store))
    {
      cleanup_free char *where = xasprintf ("%s in `%s`", helper ? "credHelpers" : "credsStore", path);
      r = helper_get (helper ? helper : store, registry, where, user, pass, err);
      if (r != 1 || helper)
        {
          json_decref (root);
          return r;
        }
    }
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
