/* SPDX-License-Identifier: Apache-2.0 */
/* docker's json-file log: one JSON object a line,
     {"log":"hello\n","stream":"stdout","time":"2026-11-22T03:04:05.123456789Z"}
   lines longer than 16 KiB are split (the pieces without "\n"), rotation by
   size keeps json.log, json.log.1, ... json.log.(max-file - 1). */
#include "logfile.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PARTIAL_MAX (16 * 1024)

int
eng_logw_open (struct eng_logw *w, const char *path, int64_t max_size, int max_file, struct hako_err **err)
{
  memset (w, 0, sizeof (*w));
  w->path = xstrdup (path);
  w->max_size = max_size;
  w->max_file = max_file < 1 ? 1 : max_file;
  w->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (w->fd < 0)
    return hako_error (err, errno, "open the log `%s`", path);
  struct stat st;
  w->size = fstat (w->fd, &st) == 0 ? st.st_size : 0;
  for (int i = 0; i < 2; i++)
    w->partial[i] = xmalloc (PARTIAL_MAX);
  return 0;
}

static void
rotate (struct eng_logw *w)
{
  close (w->fd);
  if (w->max_file <= 1)
    w->fd = open (w->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  else
    {
      for (int i = w->max_file - 1; i >= 1; i--)
        {
          cleanup_free char *from = i == 1 ? xstrdup (w->path) : xasprintf ("%s.%d", w->path, i - 1);
          cleanup_free char *to = xasprintf ("%s.%d", w->path, i);
          rename (from, to);
        }
      w->fd = open (w->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    }
  w->size = 0;
}

static void
entry (struct eng_logw *w, int stream, const char *data, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char tbuf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (tbuf, sizeof (tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (tbuf + n, sizeof (tbuf) - n, ".%09ldZ", ts.tv_nsec);
  json_t *j = json_object ();
  json_object_set_new (j, "log", json_stringn (data, len));
  json_object_set_new (j, "stream", json_string (stream == 2 ? "stderr" : "stdout"));
  json_object_set_new (j, "time", json_string (tbuf));
  char *line = json_dumps (j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
  json_decref (j);
  if (!line)
    return;
  size_t l = strlen (line);
  line[l++] = '\n'; /* replaces the NUL; written by length */
  if (w->max_size > 0 && w->size > 0 && w->size + (int64_t) l > w->max_size)
    rotate (w);
  if (w->fd >= 0 && hako_write_all (w->fd, line, l) == 0)
    w->size += (int64_t) l;
  free (line);
}

void
eng_logw_write (struct eng_logw *w, int stream, const char *data, size_t len)
{
  int s = stream == 2 ? 1 : 0;
  while (len > 0)
    {
      const char *nl = memchr (data, '\n', len);
      size_t seg = nl ? (size_t) (nl - data) + 1 : len;
      if (w->plen[s] + seg > PARTIAL_MAX)
        {
          /* A long line: flush what fits as a partial entry. */
          size_t take = PARTIAL_MAX - w->plen[s];
          memcpy (w->partial[s] + w->plen[s], data, take);
          entry (w, stream, w->partial[s], PARTIAL_MAX);
          w->plen[s] = 0;
          data += take;
          len -= take;
          continue;
        }
      memcpy (w->partial[s] + w->plen[s], data, seg);
      w->plen[s] += seg;
      data += seg;
      len -= seg;
      if (nl)
        {
          entry (w, stream, w->partial[s], w->plen[s]);
          w->plen[s] = 0;
        }
    }
}

void
eng_logw_close (struct eng_logw *w, bool sync)
{
  for (int s = 0; s < 2; s++)
    if (w->plen[s])
      entry (w, s == 1 ? 2 : 1, w->partial[s], w->plen[s]);
  if (w->fd >= 0)
    {
      if (sync)
        fsync (w->fd);
      close (w->fd);
    }
  w->fd = -1;
  free (w->path);
  free (w->partial[0]);
  free (w->partial[1]);
}

/* ---- reading: `hako logs` ---- */

static int64_t
parse_time_ns (const char *s)
{
  struct tm tm = { 0 };
  const char *p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p)
    return 0;
  int64_t ns = 0;
  if (*p == '.')
    {
      int digits = 0;
      for (p++; *p >= '0' && *p <= '9'; p++, digits++)
        if (digits < 9)
          ns = ns * 10 + (*p - '0');
      for (; digits < 9; digits++)
        ns *= 10;
    }
  return (int64_t) timegm (&tm) * 1000000000LL + ns;
}

static void
emit (const char *line, const struct eng_logs_opts *o)
{
  json_t *j = json_loads (line, 0, NULL);
  if (!j)
    return;
  const char *log = json_string_value (json_object_get (j, "log"));
  const char *stream = json_string_value (json_object_get (j, "stream"));
  const char *time = json_string_value (json_object_get (j, "time"));
  if (log && time)
    {
      int64_t t = parse_time_ns (time);
      if ((o->since_ns == 0 || t >= o->since_ns) && (o->until_ns == 0 || t < o->until_ns))
        {
          FILE *f = stream && strcmp (stream, "stderr") == 0 ? stderr : stdout;
          if (o->timestamps)
            fprintf (f, "%s ", time);
          fwrite (log, 1, json_string_length (json_object_get (j, "log")), f);
          fflush (f);
        }
    }
  json_decref (j);
}

/* Lines of the whole log (rotated files first), the last `tail` of them
   when tail >= 0. */
static void
read_all (const char *path, int max_file, const struct eng_logs_opts *o, off_t *pos)
{
  size_t cap = 0, n = 0;
  char **lines = NULL;
  for (int i = max_file; i >= 0; i--)
    {
      cleanup_free char *p = i == 0 ? xstrdup (path) : xasprintf ("%s.%d", path, i);
      FILE *f = fopen (p, "re");
      if (!f)
        continue;
      char *line = NULL;
      size_t lcap = 0;
      ssize_t k;
      while ((k = getline (&line, &lcap, f)) > 0)
        {
          if (line[k - 1] != '\n')
            break; /* being written: the follower picks it up */
          if (n == cap)
            {
              cap = cap ? cap * 2 : 256;
              lines = xrealloc (lines, cap * sizeof (char *));
            }
          lines[n++] = xstrdup (line);
          if (i == 0)
            *pos = ftello (f);
        }
      free (line);
      fclose (f);
    }
  size_t first = (o->tail >= 0 && (size_t) o->tail < n) ? n - (size_t) o->tail : 0;
  for (size_t i = 0; i < n; i++)
    {
      if (i >= first)
        emit (lines[i], o);
      free (lines[i]);
    }
  free (lines);
}

int
eng_logs (const char *path, int max_file, const struct eng_logs_opts *o, bool (*running) (void *), void *ctx,
          struct hako_err **err)
{
  off_t pos = 0;
  read_all (path, max_file, o, &pos);
  if (!o->follow)
    return 0;
  struct stat st0;
  ino_t ino = stat (path, &st0) == 0 ? st0.st_ino : 0;
  char *buf = NULL;
  size_t blen = 0;
  for (;;)
    {
      bool alive = running (ctx);
      struct stat st;
      if (stat (path, &st) == 0 && (st.st_ino != ino || st.st_size < pos))
        {
          /* Rotated: the rest of the old file is lost to us only if it
             rotated twice between polls; start the new one from 0. */
          ino = st.st_ino;
          pos = 0;
        }
      FILE *f = fopen (path, "re");
      if (f)
        {
          fseeko (f, pos, SEEK_SET);
          ssize_t k;
          while ((k = getline (&buf, &blen, f)) > 0)
            {
              if (buf[k - 1] != '\n')
                break;
              emit (buf, o);
              pos += k;
            }
          fclose (f);
        }
      if (!alive)
        break;
      poll (NULL, 0, 100);
    }
  free (buf);
  return 0;
}
