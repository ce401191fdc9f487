/* SPDX-License-Identifier: Apache-2.0 */
/* Container records: container.json under <storage>/containers/<id>, names
   as symlinks, lookup by ID, name or prefix, and the status refresh that
   turns a container whose monitor is gone into an exited one. */
#include "engine.h"
#include "internal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *
eng_runtime_root (const struct eng_ctx *e)
{
  return hako_path_join (e->run_root, "runtime");
}

char *
eng_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, sizeof (buf) - n, ".%09ldZ", ts.tv_nsec);
  return xstrdup (buf);
}

char *
eng_id_generate (void)
{
  unsigned char r[32];
  char *id = xmalloc (2 * sizeof (r) + 1);
  if (getrandom (r, sizeof (r), 0) != (ssize_t) sizeof (r))
    {
      /* getrandom only fails before the pool is ready; mix time and pid. */
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      for (size_t i = 0; i < sizeof (r); i++)
        r[i] = (unsigned char) ((ts.tv_nsec >> (i % 8)) ^ (getpid () << (i % 5)) ^ (i * 131));
    }
  for (size_t i = 0; i < sizeof (r); i++)
    sprintf (id + 2 * i, "%02x", r[i]);
  return id;
}

bool
eng_name_valid (const char *name)
{
  size_t n = strlen (name);
  if (n < 1 || n > 128)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char ch = name[i];
      bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
        return false;
    }
  return true;
}

static char *
containers_dir (const struct eng_ctx *e)
{
  return hako_path_join (e->storage, "containers");
}

static char *
names_dir (const struct eng_ctx *e)
{
  return xasprintf ("%s/containers/names", e->storage);
}

int
eng_dirs_init (const struct eng_ctx *e, struct hako_err **err)
{
  cleanup_free char *n = names_dir (e);
  if (hako_mkdir_p (n, 0700, err) < 0)
    return -1;
  return hako_mkdir_p (e->run_root, 0700, err);
}

int
eng_name_reserve (const struct eng_ctx *e, const char *name, const char *id, struct hako_err **err)
{
  if (!eng_name_valid (name))
    return hako_error (err, EINVAL, "invalid container name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                       name);
  cleanup_free char *dir = names_dir (e);
  cleanup_free char *link = hako_path_join (dir, name);
  if (hako_mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (symlink (id, link) == 0)
    return 0;
  if (errno != EEXIST)
    return hako_error (err, errno, "reserve the name `%s`", name);
  char old[128];
  ssize_t k = readlink (link, old, sizeof (old) - 1);
  old[k > 0 ? k : 0] = '\0';
  return hako_error (err, EEXIST,
                     "the container name \"/%s\" is already in use by container \"%s\": remove (or rename) "
                     "that container to reuse the name",
                     name, old);
}

void
eng_name_release (const struct eng_ctx *e, const char *name, const char *id)
{
  if (!name || !*name)
    return;
  cleanup_free char *dir = names_dir (e);
  cleanup_free char *link = hako_path_join (dir, name);
  char old[128];
  ssize_t k = readlink (link, old, sizeof (old) - 1);
  if (k < 0)
    return;
  old[k] = '\0';
  if (strcmp (old, id) == 0)
    unlink (link);
}

char *
eng_name_generate (const struct eng_ctx *e)
{
  static const char *const left[]
      = { "brave", "calm",  "eager", "fond",   "gentle", "happy",  "keen",  "lucid",
          "merry", "noble", "quiet", "serene", "swift",  "tender", "vivid", "witty" };
  static const char *const right[] = { "aoi",   "fuji",  "hana", "kaze", "kumo", "mori",  "nami", "sora",
                                       "taiyo", "tsuki", "yama", "yuki", "kawa", "hoshi", "umi",  "ishi" };
  cleanup_free char *dir = names_dir (e);
  for (int tries = 0; tries < 64; tries++)
    {
      unsigned int r;
      if (getrandom (&r, sizeof (r), 0) != sizeof (r))
        r = (unsigned int) getpid () * 2654435761u + (unsigned int) tries;
      char *name = tries < 32 ? xasprintf ("%s_%s", left[r % 16], right[(r >> 4) % 16])
                              : xasprintf ("%s_%s%u", left[r % 16], right[(r >> 4) % 16], (r >> 8) % 1000);
      cleanup_free char *link = hako_path_join (dir, name);
      struct stat st;
      if (lstat (link, &st) < 0)
        return name;
      free (name);
    }
  return eng_id_generate ();
}

void
eng_ctr_free (struct eng_ctr *c)
{
  if (!c)
    return;
  free (c->id);
  free (c->dir);
  json_decref (c->j);
  free (c);
}

static int
load_record (const struct eng_ctx *e, const char *id, struct eng_ctr **out, struct hako_err **err)
{
  cleanup_free char *root = containers_dir (e);
  cleanup_free char *dir = hako_path_join (root, id);
  cleanup_free char *path = hako_path_join (dir, "container.json");
  json_error_t jerr;
  json_t *j = json_load_file (path, 0, &jerr);
  if (!j)
    {
      struct stat st;
      if (stat (path, &st) < 0)
        return hako_error (err, errno, "container `%s`", id);
      return hako_error (err, EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
    }
  if (!json_is_object (j))
    {
      json_decref (j);
      return hako_error (err, EINVAL, "%s: not a JSON object", path);
    }
  struct eng_ctr *c = xzalloc (sizeof (*c));
  c->id = xstrdup (id);
  c->dir = steal_pointer (&dir);
  c->j = j;
  *out = c;
  return 0;
}

int
eng_ctr_reload (struct eng_ctr *c, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (c->dir, "container.json");
  json_error_t jerr;
  json_t *j = json_load_file (path, 0, &jerr);
  if (!j)
    return hako_error (err, errno ? errno : EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
  json_decref (c->j);
  c->j = j;
  return 0;
}

int
eng_ctr_save (const struct eng_ctr *c, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (c->dir, "container.json");
  cleanup_free char *s = json_dumps (c->j, JSON_INDENT (2));
  if (!s)
    return hako_error (err, ENOMEM, "serialise the record of `%s`", c->id);
  return hako_write_file_atomic (path, s, strlen (s), 0600, err);
}

int
eng_ctr_lock (const struct eng_ctr *c, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (c->dir, "lock");
  return eng_lock_path (path, err);
}

int
eng_lock_path (const char *path, struct hako_err **err)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error (err, errno, "open `%s`", path);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int saved = errno;
        close (fd);
        return hako_error (err, saved, "lock `%s`", path);
      }
  return fd;
}

static json_t *
state_obj (const struct eng_ctr *c)
{
  json_t *s = json_object_get (c->j, "State");
  if (!json_is_object (s))
    {
      s = json_object ();
      json_object_set_new (c->j, "State", s);
    }
  return s;
}

const char *
eng_ctr_status (const struct eng_ctr *c)
{
  const char *s = json_string_value (json_object_get (state_obj (c), "Status"));
  return s ? s : "unknown";
}

const char *
eng_ctr_name (const struct eng_ctr *c)
{
  const char *n = json_string_value (json_object_get (c->j, "Name"));
  if (!n)
    return "";
  return *n == '/' ? n + 1 : n;
}

pid_t
eng_ctr_pid (const struct eng_ctr *c)
{
  return (pid_t) json_integer_value (json_object_get (state_obj (c), "Pid"));
}

int
eng_ctr_exit_code (const struct eng_ctr *c)
{
  return (int) json_integer_value (json_object_get (state_obj (c), "ExitCode"));
}

bool
eng_ctr_running (const struct eng_ctr *c)
{
  const char *s = eng_ctr_status (c);
  return strcmp (s, "running") == 0 || strcmp (s, "paused") == 0;
}

void
eng_ctr_set_state (struct eng_ctr *c, const char *status, pid_t pid, int exit_code, const char *error)
{
  json_t *s = state_obj (c);
  bool running = strcmp (status, "running") == 0 || strcmp (status, "paused") == 0;
  json_object_set_new (s, "Status", json_string (status));
  json_object_set_new (s, "Running", json_boolean (running));
  json_object_set_new (s, "Paused", json_boolean (strcmp (status, "paused") == 0));
  json_object_set_new (s, "Restarting", json_false ());
  json_object_set_new (s, "Dead", json_boolean (strcmp (status, "dead") == 0));
  json_object_set_new (s, "Pid", json_integer (pid));
  json_object_set_new (s, "ExitCode", json_integer (exit_code));
  json_object_set_new (s, "Error", json_string (error ? error : ""));
  if (!json_object_get (s, "OOMKilled"))
    json_object_set_new (s, "OOMKilled", json_false ());
  cleanup_free char *now = eng_now ();
  if (running && strcmp (status, "running") == 0 && !json_is_true (json_object_get (s, "Paused")))
    {
      /* StartedAt is set by the caller that starts; keep it otherwise. */
    }
  if (strcmp (status, "exited") == 0 || strcmp (status, "dead") == 0)
    json_object_set_new (s, "FinishedAt", json_string (now));
}

uint64_t
eng_proc_start_time (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  if (!p)
    return 0;
  /* Field 3 (state) follows ") "; starttime is field 22. */
  if (p[1] && p[2] == 'Z')
    return 0; /* a zombie is gone for our purposes */
  int field = 2;
  for (p++; *p && field < 22; p++)
    if (*p == ' ')
      field++;
  return strtoull (p, NULL, 10);
}

bool
eng_monitor_alive (const struct eng_ctr *c)
{
  json_t *h = json_object_get (c->j, "Hako");
  pid_t pid = (pid_t) json_integer_value (json_object_get (h, "MonitorPid"));
  uint64_t start = (uint64_t) json_integer_value (json_object_get (h, "MonitorStartTime"));
  if (pid <= 0)
    return false;
  uint64_t now = eng_proc_start_time (pid);
  return now != 0 && now == start;
}

/* A running record with no monitor: the monitor was killed or the host
   rebooted.  Clean what is left (the container process, its runtime state,
   the mount) and record the container as exited, like docker after a
   daemon restart without live-restore. */
static void
refresh (const struct eng_ctx *e, struct eng_ctr *c)
{
  if (!eng_ctr_running (c) || eng_monitor_alive (c))
    return;
  struct hako_err *err = NULL;
  cleanup_close int lock = eng_ctr_lock (c, &err);
  if (lock < 0)
    {
      hako_error_free (&err);
      return;
    }
  if (eng_ctr_reload (c, &err) < 0 || !eng_ctr_running (c) || eng_monitor_alive (c))
    {
      hako_error_free (&err);
      return;
    }
  eng_runtime_cleanup (e, c, true);
  eng_ctr_set_state (c, "exited", 0, 255, "the container's monitor is gone (killed, or the host rebooted)");
  if (eng_ctr_save (c, &err) < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
    }
}

static bool
is_hex (const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

int
eng_ctr_find (const struct eng_ctx *e, const char *query, struct eng_ctr **out, struct hako_err **err)
{
  if (!query || !*query)
    return hako_error (err, EINVAL, "a container name or ID is required");
  const char *name = *query == '/' ? query + 1 : query;
  cleanup_free char *ndir = names_dir (e);
  cleanup_free char *link = hako_path_join (ndir, name);
  char id[128];
  ssize_t k = eng_name_valid (name) ? readlink (link, id, sizeof (id) - 1) : -1;
  int r = -1;
  if (k > 0)
    {
      id[k] = '\0';
      r = load_record (e, id, out, NULL);
    }
  if (r < 0 && is_hex (query) && strlen (query) <= 64)
    {
      cleanup_free char *root = containers_dir (e);
      cleanup_dir DIR *d = opendir (root);
      struct dirent *de;
      char found[80] = "";
      int matches = 0;
      while (d && (de = readdir (d)))
        if (strncmp (de->d_name, query, strlen (query)) == 0 && strlen (de->d_name) == 64)
          {
            if (strcmp (de->d_name, query) == 0)
              {
                matches = 1;
                snprintf (found, sizeof (found), "%s", de->d_name);
                break;
              }
            matches++;
            snprintf (found, sizeof (found), "%s", de->d_name);
          }
      if (matches > 1)
        return hako_error (err, EINVAL, "multiple containers match the prefix `%s`: use more of the ID",
                           query);
      if (matches == 1)
        r = load_record (e, found, out, err);
    }
  if (r < 0)
    {
      hako_error_free (err);
      return hako_error (err, ENOENT, "no such container: %s", query);
    }
  refresh (e, *out);
  return 0;
}

int
eng_ctr_list (const struct eng_ctx *e, struct eng_ctr ***out, size_t *n, struct hako_err **err)
{
  cleanup_free char *root = containers_dir (e);
  cleanup_dir DIR *d = opendir (root);
  struct eng_ctr **v = NULL;
  size_t len = 0;
  struct dirent *de;
  *out = NULL;
  *n = 0;
  if (!d)
    return errno == ENOENT ? 0 : hako_error (err, errno, "open `%s`", root);
  while ((de = readdir (d)))
    {
      if (strlen (de->d_name) != 64 || !is_hex (de->d_name))
        continue;
      struct eng_ctr *c = NULL;
      struct hako_err *e2 = NULL;
      if (load_record (e, de->d_name, &c, &e2) < 0)
        {
          /* Being created or removed right now: not an error. */
          if (e2->errno_ != ENOENT)
            hako_log_error (e2);
          hako_error_free (&e2);
          continue;
        }
      refresh (e, c);
      v = xrealloc (v, (len + 1) * sizeof (*v));
      v[len++] = c;
    }
  *out = v;
  *n = len;
  return 0;
}

void
eng_ctr_list_free (struct eng_ctr **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    eng_ctr_free (v[i]);
  free (v);
}

char *
eng_log_path (const struct eng_ctr *c)
{
  return hako_path_join (c->dir, "json.log");
}

char *
eng_attach_path (const struct eng_ctx *e, const char *id)
{
  return xasprintf ("%s/%s/attach.sock", e->run_root, id);
}
