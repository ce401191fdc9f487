/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime's state store: one directory per container under the root,
   holding state.json (written atomically), exec.fifo while the container is
   `created`, and the list of cgroups to remove.  The directory fd is flocked
   so concurrent commands on one container serialise. */
#include "internal.h"
#include "../util/cleanup.h"
#include "../util/path.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *
store_dir_path (const struct hako_runtime *rt, const char *id)
{
  return hako_path_join (rt->root, id);
}

static int
lock_dir (int fd, bool exclusive, const char *id, struct hako_err **err)
{
  while (flock (fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return hako_error (err, errno, "lock container `%s`", id);
  return 0;
}

int
store_create (const struct hako_runtime *rt, const char *id, struct hako_err **err)
{
  cleanup_free char *dir = store_dir_path (rt, id);
  cleanup_close int fd = -1;

  /* The root exists but for the first container: try without mkdir -p. */
  int r = mkdir (dir, 0700);
  if (r < 0 && errno == ENOENT)
    {
      if (hako_mkdir_p (rt->root, 0700, err) < 0)
        {
          if (geteuid () != 0 && ((*err)->errno_ == EACCES || (*err)->errno_ == EPERM))
            return hako_error_prefix (err,
                                      "create state root `%s` (rootless: set XDG_RUNTIME_DIR to a directory "
                                      "of yours, or pass --root)",
                                      rt->root);
          return hako_error_prefix (err, "create state root `%s`", rt->root);
        }
      r = mkdir (dir, 0700);
    }
  if (r < 0)
    {
      if (errno == EEXIST)
        return hako_error (err, 0, "container with id `%s` already exists", id);
      return hako_error (err, errno, "create state directory `%s`", dir);
    }
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      rmdir (dir);
      return hako_error (err, e, "open state directory `%s`", dir);
    }
  if (lock_dir (fd, true, id, err) < 0)
    {
      rmdir (dir);
      return -1;
    }
  return steal_fd (&fd);
}

int
store_open (const struct hako_runtime *rt, const char *id, bool exclusive, struct hako_err **err)
{
  cleanup_free char *dir = store_dir_path (rt, id);
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return hako_error (err, 0, "container `%s` does not exist", id);
      return hako_error (err, errno, "open state directory `%s`", dir);
    }
  if (lock_dir (fd, exclusive, id, err) < 0)
    return -1;
  /* A concurrent delete may have removed it while we waited for the lock. */
  if (faccessat (fd, HAKO_STATE_FILE, F_OK, 0) < 0 && errno == ENOENT)
    {
      struct stat st;
      if (fstat (fd, &st) == 0 && st.st_nlink == 0)
        return hako_error (err, 0, "container `%s` does not exist", id);
    }
  return steal_fd (&fd);
}

int
store_write_state (int dirfd, const struct oci_state *st, struct hako_err **err)
{
  cleanup_free char *json = oci_state_to_json (st, false, 0);
  char tmp[] = HAKO_STATE_FILE ".tmp";
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0)
    return hako_error (err, errno, "write state of `%s`", st->id);
  if (hako_write_all (fd, json, strlen (json)) < 0)
    return hako_error (err, errno, "write state of `%s`", st->id);
  /* state.json lives on tmpfs (/run): fsync buys nothing there and costs on
     every start; the rename alone makes the update atomic for readers. */
  if (renameat (dirfd, tmp, dirfd, HAKO_STATE_FILE) < 0)
    return hako_error (err, errno, "write state of `%s`", st->id);
  return 0;
}

int
store_read_state (int dirfd, const char *id, struct oci_state **out, struct hako_err **err)
{
  cleanup_close int fd = openat (dirfd, HAKO_STATE_FILE, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len = 0;

  if (fd < 0)
    {
      if (errno == ENOENT)
        return hako_error (err, 0, "container `%s` does not exist", id);
      return hako_error (err, errno, "read state of `%s`", id);
    }
  if (hako_read_fd (fd, &buf, &len, err) < 0)
    return hako_error_prefix (err, "read state of `%s`", id);
  if (oci_state_parse (buf, len, HAKO_STATE_FILE, out, err) < 0)
    return hako_error_prefix (err, "container `%s`", id);
  return 0;
}

int
store_remove (const struct hako_runtime *rt, const char *id, struct hako_err **err)
{
  cleanup_free char *dir = store_dir_path (rt, id);
  return hako_rm_rf (dir, err);
}

int
store_remove_at (const struct hako_runtime *rt, int dirfd, const char *id, struct hako_err **err)
{
  static const char *const files[] = { HAKO_STATE_FILE, "config.json", NULL };
  cleanup_free char *dir = store_dir_path (rt, id);

  /* What a container's directory holds by the time delete gets there (the
     fifo and the cgroup record are gone with start and cgroup_destroy):
     unlink those by name; anything else left takes the full walk. */
  for (const char *const *f = files; *f; f++)
    unlinkat (dirfd, *f, 0);
  if (rmdir (dir) == 0 || errno == ENOENT)
    return 0;
  return hako_rm_rf (dir, err);
}

uint64_t
proc_start_time (pid_t pid, bool *zombie)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  unsigned long long start = 0;

  *zombie = false;
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: parse after the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  p += 2;
  *zombie = (*p == 'Z' || *p == 'X');
  /* fields after comm: state(3) ... starttime(22) -> skip 19 more */
  for (int i = 0; i < 19 && p; i++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL || sscanf (p, "%llu", &start) != 1)
    return 0;
  return start;
}

void
state_refresh (int dirfd, struct oci_state *st)
{
  bool zombie = false;
  uint64_t start;

  if (strcmp (st->status, "creating") == 0 || !st->has_pid || st->pid <= 0)
    return;
  start = proc_start_time (st->pid, &zombie);
  const char *status;
  if (start == 0 || zombie || (st->pid_start_time && start != st->pid_start_time))
    status = "stopped";
  else if (faccessat (dirfd, HAKO_FIFO_FILE, F_OK, 0) == 0)
    status = "created";
  else if (cgroup_frozen (dirfd))
    status = "paused";
  else
    status = "running";
  if (strcmp (st->status, status) != 0)
    {
      free (st->status);
      st->status = xstrdup (status);
    }
}
