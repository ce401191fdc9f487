/* SPDX-License-Identifier: Apache-2.0 */
/* update, pause, resume, ps and events on an existing container: load its
   state, check its status as runc does, and hand over to the cgroup
   manager. */
#include "cgroup_ctl.h"
#include "cgroup.h"
#include "internal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The container's locked state dir and its refreshed state. */
static int
open_container (const struct hako_runtime *rt, const char *id, bool exclusive, struct oci_state **st,
                struct hako_err **err)
{
  if (hako_validate_id (id, err) < 0)
    return -1;
  int dirfd = store_open (rt, id, exclusive, err);
  if (dirfd < 0)
    return -1;
  if (store_read_state (dirfd, id, st, err) < 0)
    {
      close (dirfd);
      return -1;
    }
  state_refresh (dirfd, *st);
  return dirfd;
}

static int
set_frozen (const struct hako_runtime *rt, const char *id, bool frozen, struct hako_err **err)
{
  struct oci_state *st = NULL;
  cleanup_close int dirfd = open_container (rt, id, true, &st, err);
  int ret = -1;

  if (dirfd < 0)
    return hako_error_prefix (err, "%s `%s`", frozen ? "pause" : "resume", id);
  if (frozen && strcmp (st->status, "running") != 0)
    hako_error (err, 0, "container `%s` is not running (%s)", id, st->status);
  else if (!frozen && strcmp (st->status, "paused") != 0)
    hako_error (err, 0, "container `%s` is not paused (%s)", id, st->status);
  else
    ret = cgroup_freeze (dirfd, frozen, err);
  oci_state_free (st);
  if (ret < 0)
    return hako_error_prefix (err, "%s `%s`", frozen ? "pause" : "resume", id);
  return 0;
}

int
hako_container_pause (const struct hako_runtime *rt, const char *id, struct hako_err **err)
{
  return set_frozen (rt, id, true, err);
}

int
hako_container_resume (const struct hako_runtime *rt, const char *id, struct hako_err **err)
{
  return set_frozen (rt, id, false, err);
}

int
hako_container_update (const struct hako_runtime *rt, const char *id, const struct oci_resources *r,
                       struct hako_err **err)
{
  struct oci_state *st = NULL;
  cleanup_close int dirfd = open_container (rt, id, true, &st, err);
  int ret = -1;

  if (dirfd < 0)
    return hako_error_prefix (err, "update `%s`", id);
  if (strcmp (st->status, "stopped") == 0)
    hako_error (err, 0, "container `%s` is stopped: nothing to update", id);
  else
    ret = cgroup_update (dirfd, r, err);
  oci_state_free (st);
  if (ret < 0)
    return hako_error_prefix (err, "update `%s`", id);
  return 0;
}

int
hako_container_pids (const struct hako_runtime *rt, const char *id, pid_t **pids, size_t *n,
                     struct hako_err **err)
{
  struct oci_state *st = NULL;
  cleanup_close int dirfd = open_container (rt, id, false, &st, err);

  if (dirfd < 0)
    return hako_error_prefix (err, "ps `%s`", id);
  oci_state_free (st);
  if (cgroup_pids (dirfd, pids, n, err) < 0)
    return hako_error_prefix (err, "ps `%s`", id);
  return 0;
}

/* No lock: events runs for as long as the container does, and must not
   hold up delete (the state dir is only read). */
static int
open_unlocked (const struct hako_runtime *rt, const char *id, struct oci_state **st, struct hako_err **err)
{
  cleanup_free char *dir = NULL;
  if (hako_validate_id (id, err) < 0)
    return -1;
  dir = store_dir_path (rt, id);
  int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return hako_error (err, errno == ENOENT ? 0 : errno, "container `%s` does not exist", id);
  if (store_read_state (dirfd, id, st, err) < 0)
    {
      close (dirfd);
      return -1;
    }
  state_refresh (dirfd, *st);
  return dirfd;
}

static json_t *
stats_event (int dirfd, const char *id, struct hako_err **err)
{
  json_t *data = cgroup_stats (dirfd, err);
  if (data == NULL)
    return NULL;
  return json_pack ("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
}

json_t *
hako_container_stats_event (const struct hako_runtime *rt, const char *id, struct hako_err **err)
{
  struct oci_state *st = NULL;
  cleanup_close int dirfd = open_unlocked (rt, id, &st, err);
  json_t *ev = NULL;

  if (dirfd < 0)
    {
      hako_error_prefix (err, "events `%s`", id);
      return NULL;
    }
  if (strcmp (st->status, "stopped") == 0)
    hako_error (err, 0, "container `%s` is stopped", id);
  else
    ev = stats_event (dirfd, id, err);
  oci_state_free (st);
  if (ev == NULL)
    hako_error_prefix (err, "events `%s`", id);
  return ev;
}

static bool
still_there (const struct hako_runtime *rt, const char *id)
{
  struct oci_state *st = NULL;
  struct hako_err *e = NULL;
  int fd = open_unlocked (rt, id, &st, &e);
  bool alive = fd >= 0 && strcmp (st->status, "stopped") != 0;

  if (fd >= 0)
    close (fd);
  if (st)
    oci_state_free (st);
  hako_error_free (&e);
  return alive;
}

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
emit_oom (const char *id, int n, hako_event_fn emit, void *arg)
{
  for (int i = 0; i < n; i++)
    {
      json_t *ev = json_pack ("{s:s, s:s}", "type", "oom", "id", id);
      int r = emit (ev, arg);
      json_decref (ev);
      if (r < 0)
        return -1;
    }
  return 0;
}

/* Wait up to `ms` for an OOM notification; report what arrived. */
static int
wait_oom (struct cgroup_oom *oom, const char *id, long ms, hako_event_fn emit, void *arg, bool *gone)
{
  long end = now_ms () + ms;

  for (long left = ms; left > 0; left = end - now_ms ())
    {
      struct pollfd p = { .fd = oom->fd, .events = POLLIN };
      int r = poll (&p, oom->fd >= 0 ? 1 : 0, (int) (left > 1000 ? 1000 : left));
      if (r < 0 && errno != EINTR)
        return -1;
      if (r <= 0)
        continue;
      int n = cgroup_oom_read (oom);
      if (n < 0)
        {
          /* The cgroup went away: the container is being deleted. */
          *gone = true;
          return 0;
        }
      if (emit_oom (id, n, emit, arg) < 0)
        return -1;
    }
  return 0;
}

int
hako_container_events (const struct hako_runtime *rt, const char *id, long interval_ms, hako_event_fn emit,
                       void *arg, struct hako_err **err)
{
  struct oci_state *st = NULL;
  struct cgroup_oom oom = { .fd = -1 };
  cleanup_close int dirfd = open_unlocked (rt, id, &st, err);
  bool gone = false;
  int ret = 0;

  if (dirfd < 0)
    return hako_error_prefix (err, "events `%s`", id);
  oci_state_free (st);
  if (cgroup_oom_open (dirfd, &oom, err) < 0)
    return hako_error_prefix (err, "events `%s`", id);
  if (oom.fd >= 0)
    cgroup_oom_read (&oom); /* the baseline: only new OOMs are events */
  while (ret == 0 && !gone && still_there (rt, id))
    {
      struct hako_err *e = NULL;
      json_t *ev = stats_event (dirfd, id, &e);
      if (ev)
        {
          ret = emit (ev, arg);
          json_decref (ev);
        }
      hako_error_free (&e);
      if (ret == 0)
        ret = wait_oom (&oom, id, interval_ms, emit, arg, &gone);
    }
  cgroup_oom_close (&oom);
  if (ret < 0 && err && *err == NULL)
    hako_error (err, errno, "events `%s`", id);
  return ret;
}
