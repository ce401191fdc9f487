/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"
#include "error.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "hako";
static int log_fd = -1;
static enum hako_log_format log_format = HAKO_LOG_TEXT;
static bool log_debug_on;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

int
hako_log_init (const char *progname, const char *path, enum hako_log_format fmt, bool debug,
               struct hako_err **err)
{
  log_prog = progname;
  log_format = fmt;
  log_debug_on = debug;
  if (path && *path)
    {
      int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0)
        return hako_error (err, errno, "open log file `%s`", path);
      if (log_fd >= 0)
        close (log_fd);
      log_fd = fd;
    }
  return 0;
}

bool
hako_log_debug_enabled (void)
{
  return log_debug_on;
}

int
hako_log_fd (void)
{
  return log_fd;
}

static void
json_escape (FILE *f, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c == '\n')
        fputs ("\\n", f);
      else if (c == '\t')
        fputs ("\\t", f);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
}

static void
format_time (char *out, size_t n)
{
  struct timespec ts;
  struct tm tm;
  char tbuf[32];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (tbuf, sizeof (tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (out, n, "%s.%09ldZ", tbuf, ts.tv_nsec);
}

/* One record, one write(2): lines from concurrent processes never interleave. */
static void
write_record (int fd, enum hako_log_level level, const char *msg, bool json)
{
  char *buf = NULL;
  size_t len = 0;
  char now[64];
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return;
  if (json || fd != STDERR_FILENO)
    format_time (now, sizeof (now));
  if (json)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
      json_escape (f, msg);
      fprintf (f, "\",\"time\":\"%s\"}\n", now);
    }
  else if (fd != STDERR_FILENO)
    {
      /* logfmt, as runc writes its text log */
      fprintf (f, "time=\"%s\" level=%s msg=\"", now, level_names[level]);
      json_escape (f, msg);
      fputs ("\"\n", f);
    }
  else if (level == HAKO_LOG_ERROR)
    fprintf (f, "%s: %s\n", log_prog, msg);
  else
    fprintf (f, "%s: %s: %s\n", log_prog, level_names[level], msg);
  fclose (f);
  if (buf)
    {
      ssize_t r = write (fd, buf, len);
      (void) r;
    }
  free (buf);
}

static void
vlog (enum hako_log_level level, const char *fmt, va_list ap)
{
  char *msg;
  if (level == HAKO_LOG_DEBUG && !log_debug_on)
    return;
  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  if (log_fd >= 0)
    write_record (log_fd, level, msg, log_format == HAKO_LOG_JSON);
  else
    write_record (STDERR_FILENO, level, msg, log_format == HAKO_LOG_JSON);
  free (msg);
}

void
hako_log (enum hako_log_level level, const char *fmt, ...)
{
  va_list ap;
  int saved = errno;
  va_start (ap, fmt);
  vlog (level, fmt, ap);
  va_end (ap);
  errno = saved;
}

void
hako_log_error (const struct hako_err *err)
{
  char *msg = hako_error_string (err);
  if (log_fd >= 0)
    {
      write_record (log_fd, HAKO_LOG_ERROR, msg, log_format == HAKO_LOG_JSON);
      /* Someone at a terminal (or conmon reading stderr) must see it too. */
      write_record (STDERR_FILENO, HAKO_LOG_ERROR, msg, false);
    }
  else
    write_record (STDERR_FILENO, HAKO_LOG_ERROR, msg, log_format == HAKO_LOG_JSON);
  free (msg);
}
