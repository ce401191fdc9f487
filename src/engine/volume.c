/* SPDX-License-Identifier: Apache-2.0 */
#include "volume.h"
#include "internal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *
eng_volume_dir (const struct eng_ctx *e, const char *name)
{
  return xasprintf ("%s/volumes/%s", e->storage, name);
}

int
eng_volume_ensure (const struct eng_ctx *e, const char *name, bool anonymous, char **path_out,
                   struct hako_err **err)
{
  if (!eng_name_valid (name))
    return hako_error (err, EINVAL,
                       "invalid volume name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (a host path "
                       "must be absolute)",
                       name);
  cleanup_free char *dir = eng_volume_dir (e, name);
  cleanup_free char *data = hako_path_join (dir, "_data");
  cleanup_free char *meta = hako_path_join (dir, "volume.json");
  cleanup_free char *parent = xasprintf ("%s/volumes", e->storage);
  if (hako_mkdir_p (parent, 0700, err) < 0)
    return -1;
  if (mkdir (dir, 0700) == 0)
    {
      cleanup_free char *now = eng_now ();
      json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:{}, s:{}, s:s, s:b}", "Name", name, "Driver", "local",
                             "Mountpoint", data, "CreatedAt", now, "Labels", "Options", "Scope", "local",
                             "Anonymous", anonymous);
      cleanup_free char *s = json_dumps (j, JSON_INDENT (2));
      json_decref (j);
      if (mkdir (data, 0755) < 0 || hako_write_file_atomic (meta, s, strlen (s), 0600, err) < 0)
        {
          if (!*err)
            hako_error (err, errno, "mkdir `%s`", data);
          hako_rm_rf (dir, NULL);
          return hako_error_prefix (err, "volume `%s`", name);
        }
    }
  else if (errno != EEXIST)
    return hako_error (err, errno, "volume `%s`: mkdir `%s`", name, dir);
  if (path_out)
    *path_out = steal_pointer (&data);
  return 0;
}

static bool
dir_empty (const char *path)
{
  cleanup_dir DIR *d = opendir (path);
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      return false;
  return true;
}

int
eng_volume_seed (const char *volume_path, const char *rootfs, const char *dest, struct hako_err **err)
{
  if (!dir_empty (volume_path))
    return 0;
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return hako_error (err, errno, "open `%s`", rootfs);
  struct hako_err *e2 = NULL;
  /* Resolved inside the root: an image's symlink cannot point the copy at
     the host. */
  int fd = hako_open_in_root (rootfd, dest, O_RDONLY | O_DIRECTORY, 0, &e2);
  if (fd < 0)
    {
      hako_error_free (&e2);
      return 0; /* nothing there in the image */
    }
  char src[64];
  snprintf (src, sizeof (src), "/proc/self/fd/%d/.", fd);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (fd);
      return hako_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      fcntl (fd, F_SETFD, 0); /* cp reads it as /proc/self/fd/N */
      execlp ("cp", "cp", "-a", "--", src, volume_path, (char *) NULL);
      _exit (127);
    }
  close (fd);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return hako_error (err, EIO, "copy the image's `%s` into the volume `%s`", dest, volume_path);
  return 0;
}

bool
eng_volume_in_use (const struct eng_ctx *e, const char *name)
{
  struct eng_ctr **v = NULL;
  size_t n = 0;
  if (eng_ctr_list (e, &v, &n, NULL) < 0)
    return true;
  bool used = false;
  for (size_t i = 0; i < n && !used; i++)
    {
      json_t *m;
      size_t k;
      json_array_foreach (json_object_get (v[i]->j, "Mounts"), k, m)
      {
        const char *nm = json_string_value (json_object_get (m, "Name"));
        if (nm && strcmp (nm, name) == 0)
          used = true;
      }
    }
  eng_ctr_list_free (v, n);
  return used;
}

int
eng_volume_remove (const struct eng_ctx *e, const char *name, bool force, struct hako_err **err)
{
  if (!eng_name_valid (name))
    return hako_error (err, EINVAL, "invalid volume name `%s`", name);
  cleanup_free char *dir = eng_volume_dir (e, name);
  struct stat st;
  if (lstat (dir, &st) < 0)
    return hako_error (err, ENOENT, "no such volume: %s", name);
  if (!force && eng_volume_in_use (e, name))
    return hako_error (err, EBUSY, "remove %s: volume is in use", name);
  return hako_rm_rf (dir, err);
}

/* ---- listing, inspect, create with labels (volume ls|inspect|create) ---- */

int
eng_volume_inspect (const struct eng_ctx *e, const char *name, json_t **out, struct hako_err **err)
{
  if (!eng_name_valid (name))
    return hako_error (err, ENOENT, "no such volume: %s", name);
  cleanup_free char *dir = eng_volume_dir (e, name);
  cleanup_free char *meta = hako_path_join (dir, "volume.json");
  json_error_t je;
  json_t *j = json_load_file (meta, 0, &je);
  if (!j)
    {
      struct stat st;
      if (lstat (dir, &st) < 0)
        return hako_error (err, ENOENT, "no such volume: %s", name);
      return hako_error (err, EINVAL, "volume `%s`: %s: %s", name, meta, je.text);
    }
  *out = j;
  return 0;
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (json_string_value (json_object_get (*(json_t *const *) a, "Name")),
                 json_string_value (json_object_get (*(json_t *const *) b, "Name")));
}

int
eng_volume_list (const struct eng_ctx *e, json_t **out, struct hako_err **err)
{
  cleanup_free char *parent = xasprintf ("%s/volumes", e->storage);
  *out = json_array ();
  cleanup_dir DIR *d = opendir (parent);
  if (!d)
    {
      if (errno == ENOENT)
        return 0;
      json_decref (*out);
      *out = NULL;
      return hako_error (err, errno, "open `%s`", parent);
    }
  json_t **v = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      json_t *j = NULL;
      struct hako_err *e2 = NULL;
      if (de->d_name[0] == '.')
        continue;
      if (eng_volume_inspect (e, de->d_name, &j, &e2) < 0)
        {
          /* Being created or removed right now: not a volume yet / any more. */
          hako_error_free (&e2);
          continue;
        }
      if (!json_is_string (json_object_get (j, "Name")))
        json_object_set_new (j, "Name", json_string (de->d_name));
      v = xrealloc (v, (n + 1) * sizeof (json_t *));
      v[n++] = j;
    }
  if (n > 1)
    qsort (v, n, sizeof (json_t *), by_name);
  for (size_t i = 0; i < n; i++)
    json_array_append_new (*out, v[i]);
  free (v);
  return 0;
}

int
eng_volume_create (const struct eng_ctx *e, const char *name, char *const *labels, size_t n_labels,
                   struct hako_err **err)
{
  cleanup_free char *dir = eng_volume_dir (e, name);
  struct stat st;
  bool existed = eng_name_valid (name) && lstat (dir, &st) == 0;
  if (eng_volume_ensure (e, name, false, NULL, err) < 0)
    return -1;
  if (existed || n_labels == 0)
    return 0; /* as docker: creating an existing volume returns it unchanged */
  json_t *j = NULL;
  if (eng_volume_inspect (e, name, &j, err) < 0)
    return -1;
  json_t *l = json_object ();
  for (size_t i = 0; i < n_labels; i++)
    {
      cleanup_free char *kv = xstrdup (labels[i]);
      char *eq = strchr (kv, '=');
      if (eq)
        *eq = '\0';
      json_object_set_new (l, kv, json_string (eq ? eq + 1 : ""));
    }
  json_object_set_new (j, "Labels", l);
  cleanup_free char *s = json_dumps (j, JSON_INDENT (2));
  cleanup_free char *meta = hako_path_join (dir, "volume.json");
  json_decref (j);
  return hako_write_file_atomic (meta, s, strlen (s), 0600, err);
}
