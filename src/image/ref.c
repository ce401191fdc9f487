/* SPDX-License-Identifier: Apache-2.0 */
/* The grammar is distribution's reference/regexp.go, written as small
   scanners instead of regular expressions so that each refusal can say
   which part is wrong. */
#include "ref.h"
#include "digest.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NAME_TOTAL_MAX 255
#define TAG_MAX 128

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*
   separator := [_.] | __ | [-]* */
static bool
valid_path_component (const char *s, size_t n)
{
  size_t i = 0;

  if (n == 0 || !is_lower_alnum (s[0]) || !is_lower_alnum (s[n - 1]))
    return false;
  while (i < n)
    {
      if (is_lower_alnum (s[i]))
        {
          i++;
          continue;
        }
      size_t j = i;
      while (j < n && !is_lower_alnum (s[j]))
        j++;
      size_t len = j - i;
      bool dashes = strspn (s + i, "-") >= len;
      bool ok = dashes || (len == 1 && (s[i] == '.' || s[i] == '_'))
                || (len == 2 && s[i] == '_' && s[i + 1] == '_');
      if (!ok)
        return false;
      i = j;
    }
  return true;
}

static bool
valid_path (const char *path)
{
  const char *p = path;

  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t) (slash - p) : strlen (p);
      if (!valid_path_component (p, n))
        return false;
      if (slash == NULL)
        return true;
      p = slash + 1;
    }
}

static bool
valid_host_label (const char *s, size_t n)
{
  if (n == 0 || !isalnum ((unsigned char) s[0]) || !isalnum ((unsigned char) s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum ((unsigned char) s[i]) && s[i] != '-')
      return false;
  return true;
}

/* host[:port], host := label(.label)* | "[" ipv6 "]" */
static bool
valid_domain (const char *d)
{
  const char *end = d + strlen (d);
  const char *port = NULL;

  if (*d == '[')
    {
      const char *close = strchr (d, ']');
      if (close == NULL || close == d + 1
          || strspn (d + 1, "0123456789abcdefABCDEF:") != (size_t) (close - d - 1))
        return false;
      port = close[1] == ':' ? close + 2 : NULL;
      if (!port && close[1] != '\0')
        return false;
    }
  else
    {
      const char *colon = strchr (d, ':');
      const char *host_end = colon ? colon : end;
      for (const char *p = d; p < host_end;)
        {
          const char *dot = memchr (p, '.', (size_t) (host_end - p));
          const char *lend = dot ? dot : host_end;
          if (!valid_host_label (p, (size_t) (lend - p)))
            return false;
          p = dot ? dot + 1 : host_end;
          if (dot && p == host_end)
            return false;
        }
      port = colon ? colon + 1 : NULL;
    }
  return port == NULL || (*port && strspn (port, "0123456789") == strlen (port));
}

static bool
valid_tag (const char *t)
{
  size_t n = strlen (t);
  if (n == 0 || n > TAG_MAX || !(isalnum ((unsigned char) t[0]) || t[0] == '_'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum ((unsigned char) t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
      return false;
  return true;
}

/* Is the text before the first '/' a registry rather than a path component? */
static bool
looks_like_domain (const char *s, size_t n)
{
  if (n == 9 && strncmp (s, "localhost", 9) == 0)
    return true;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '.' || s[i] == ':' || isupper ((unsigned char) s[i]))
      return true;
  return false;
}

void
img_ref_free (struct img_ref *r)
{
  if (r == NULL)
    return;
  free (r->domain);
  free (r->path);
  free (r->tag);
  free (r->digest);
  free (r);
}

/* Split "name[:tag][@digest]" into its parts (new strings). */
static int
split_tag_digest (const char *s, char **name, char **tag, char **digest, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (s);
  char *at = strchr (copy, '@');

  if (at)
    {
      *at = '\0';
      if (img_digest_validate (at + 1, err) < 0)
        return hako_error_prefix (err, "reference `%s`", s);
      *digest = xstrdup (at + 1);
    }
  char *slash = strrchr (copy, '/');
  char *colon = strrchr (slash ? slash : copy, ':');
  if (colon)
    {
      *colon = '\0';
      if (!valid_tag (colon + 1))
        return hako_error (err, 0, "reference `%s`: invalid tag `%s`", s, colon + 1);
      *tag = xstrdup (colon + 1);
    }
  *name = steal_pointer (&copy);
  return 0;
}

int
img_ref_parse (const char *s, const char *default_domain, struct img_ref **out, struct hako_err **err)
{
  cleanup_free char *name = NULL;
  struct img_ref *r = xzalloc (sizeof (*r));

  if (default_domain == NULL || *default_domain == '\0')
    default_domain = IMG_DEFAULT_DOMAIN;
  if (s == NULL || *s == '\0')
    {
      img_ref_free (r);
      return hako_error (err, 0, "empty image reference");
    }
  if (split_tag_digest (s, &name, &r->tag, &r->digest, err) < 0)
    goto fail;

  const char *slash = strchr (name, '/');
  if (slash && looks_like_domain (name, (size_t) (slash - name)))
    {
      r->domain = xasprintf ("%.*s", (int) (slash - name), name);
      r->path = xstrdup (slash + 1);
    }
  else
    {
      r->domain = xstrdup (default_domain);
      r->path = xstrdup (name);
    }
  if (strcmp (r->domain, "index.docker.io") == 0)
    {
      free (r->domain);
      r->domain = xstrdup ("docker.io");
    }
  if (!valid_domain (r->domain))
    {
      hako_error (err, 0, "reference `%s`: invalid registry `%s`", s, r->domain);
      goto fail;
    }
  if (!valid_path (r->path))
    {
      bool upper = false;
      for (const char *p = r->path; *p; p++)
        upper |= isupper ((unsigned char) *p) != 0;
      hako_error (err, 0, "reference `%s`: %s", s,
                  upper ? "repository name must be lowercase" : "invalid repository name");
      goto fail;
    }
  if (strcmp (r->domain, "docker.io") == 0 && strchr (r->path, '/') == NULL)
    {
      char *p = xasprintf ("library/%s", r->path);
      free (r->path);
      r->path = p;
    }
  if (strlen (r->domain) + 1 + strlen (r->path) > NAME_TOTAL_MAX)
    {
      hako_error (err, 0, "reference `%s`: name longer than %d characters", s, NAME_TOTAL_MAX);
      goto fail;
    }
  if (r->tag == NULL && r->digest == NULL)
    r->tag = xstrdup ("latest");
  *out = r;
  return 0;

fail:
  img_ref_free (r);
  return -1;
}

char *
img_ref_name (const struct img_ref *r)
{
  return xasprintf ("%s/%s", r->domain, r->path);
}

char *
img_ref_string (const struct img_ref *r)
{
  return xasprintf ("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
                    r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *
img_ref_familiar (const char *full)
{
  if (strncmp (full, "docker.io/library/", 18) == 0)
    return xstrdup (full + 18);
  if (strncmp (full, "docker.io/", 10) == 0)
    return xstrdup (full + 10);
  return xstrdup (full);
}
