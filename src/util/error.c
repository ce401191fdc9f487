/* SPDX-License-Identifier: Apache-2.0 */
#include "error.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xzalloc (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *r;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return r;
}

int
hako_error (struct hako_err **err, int errno_, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  if (err == NULL || *err != NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  *err = xzalloc (sizeof (**err));
  (*err)->errno_ = errno_;
  (*err)->msg = msg;
  return -1;
}

int
hako_error_prefix (struct hako_err **err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *msg;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    abort ();
  va_end (ap);
  msg = xasprintf ("%s: %s", ctx, (*err)->msg);
  free (ctx);
  free ((*err)->msg);
  (*err)->msg = msg;
  return -1;
}

char *
hako_error_string (const struct hako_err *err)
{
  if (err == NULL)
    return xstrdup ("unknown error");
  if (err->errno_)
    return xasprintf ("%s: %s", err->msg, strerror (err->errno_));
  return xstrdup (err->msg);
}

void
hako_error_free (struct hako_err **err)
{
  if (err && *err)
    {
      free ((*err)->msg);
      free (*err);
      *err = NULL;
    }
}

void
hako_error_to_wire (const struct hako_err *err, struct hako_err_wire *w)
{
  memset (w, 0, sizeof (*w));
  w->errno_ = err ? err->errno_ : 0;
  snprintf (w->msg, sizeof (w->msg), "%s", err && err->msg ? err->msg : "unknown error");
}

int
hako_error_from_wire (struct hako_err **err, const struct hako_err_wire *w)
{
  return hako_error (err, w->errno_, "%.*s", (int) sizeof (w->msg), w->msg);
}
