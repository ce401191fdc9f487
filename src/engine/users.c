/* SPDX-License-Identifier: Apache-2.0 */
#include "users.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static char *
read_in_root (int rootfd, const char *path)
{
  struct hako_err *err = NULL;
  cleanup_close int fd = hako_open_in_root (rootfd, path, O_RDONLY | O_CLOEXEC, 0, &err);
  hako_error_free (&err);
  char *buf = NULL;
  size_t len;
  if (fd < 0 || hako_read_fd (fd, &buf, &len, NULL) < 0)
    return NULL;
  return buf;
}

static bool
all_digits (const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!isdigit ((unsigned char) *s))
      return false;
  return true;
}

/* Field k (0-based) of a colon-separated line, allocated. */
static char *
field (const char *line, int k)
{
  for (int i = 0; i < k && line; i++)
    {
      line = strchr (line, ':');
      if (line)
        line++;
    }
  return line ? strndup (line, strcspn (line, ":\n")) : NULL;
}

static const char *
next_line (const char *l)
{
  const char *nl = strchr (l, '\n');
  return nl ? nl + 1 : NULL;
}

/* The line whose name (field 0) or, for a number, id (field 2) is key. */
static const char *
db_find (const char *buf, const char *key)
{
  bool by_id = all_digits (key);
  for (const char *l = buf; l && *l; l = next_line (l))
    {
      if (*l == '#' || *l == '\n')
        continue;
      cleanup_free char *f = field (l, by_id ? 2 : 0);
      if (f && strcmp (f, key) == 0)
        return l;
    }
  return NULL;
}

void
eng_user_clear (struct eng_user *u)
{
  free (u->gids);
  free (u->home);
  memset (u, 0, sizeof (*u));
}

int
eng_user_resolve (int rootfd, const char *spec, struct eng_user *u, struct hako_err **err)
{
  cleanup_free char *passwd = read_in_root (rootfd, "/etc/passwd");
  cleanup_free char *group = read_in_root (rootfd, "/etc/group");
  cleanup_free char *copy = xstrdup (spec && *spec ? spec : "0");
  cleanup_free char *uname = NULL;
  char *gpart = strchr (copy, ':');
  if (gpart)
    *gpart++ = '\0';
  memset (u, 0, sizeof (*u));
  u->home = xstrdup ("/");
  const char *line = passwd && *copy ? db_find (passwd, copy) : NULL;
  if (line)
    {
      cleanup_free char *fu = field (line, 2), *fg = field (line, 3), *fh = field (line, 5);
      u->uid = (uint32_t) strtoul (fu ? fu : "0", NULL, 10);
      u->gid = (uint32_t) strtoul (fg ? fg : "0", NULL, 10);
      u->found = true;
      uname = field (line, 0);
      if (fh && *fh)
        {
          free (u->home);
          u->home = steal_pointer (&fh);
        }
    }
  else if (all_digits (copy))
    u->uid = (uint32_t) strtoul (copy, NULL, 10);
  else
    {
      eng_user_clear (u);
      return hako_error (err, ENOENT, "unable to find user %s: no matching entries in passwd file", copy);
    }
  if (gpart && *gpart)
    {
      const char *gl = group ? db_find (group, gpart) : NULL;
      cleanup_free char *fg = gl ? field (gl, 2) : NULL;
      if (fg)
        u->gid = (uint32_t) strtoul (fg, NULL, 10);
      else if (all_digits (gpart))
        u->gid = (uint32_t) strtoul (gpart, NULL, 10);
      else
        {
          eng_user_clear (u);
          return hako_error (err, ENOENT, "unable to find group %s: no matching entries in group file",
                             gpart);
        }
    }
  else if (group && uname)
    for (const char *l = group; l && *l; l = next_line (l))
      {
        cleanup_free char *members = field (l, 3), *fg = field (l, 2);
        if (!members || !fg)
          continue;
        uint32_t g = (uint32_t) strtoul (fg, NULL, 10);
        char *save = NULL;
        for (char *m = strtok_r (members, ",", &save); m; m = strtok_r (NULL, ",", &save))
          if (strcmp (m, uname) == 0 && g != u->gid)
            {
              u->gids = xrealloc (u->gids, (u->n_gids + 1) * sizeof (uint32_t));
              u->gids[u->n_gids++] = g;
            }
      }
  return 0;
}
