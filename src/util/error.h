/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_UTIL_ERROR_H
#define HAKO_UTIL_ERROR_H

#include <stddef.h>

/* The error contract (STYLE.md): a function that can fail returns int < 0 and
   fills *err.  Callers add context on the way up with hako_error_prefix(), so
   the user reads one line: "create `web`: mount `proc` on `/proc`: EPERM". */
struct hako_err
{
  int errno_; /* 0 when the failure has no errno */
  char *msg;  /* full message, context first; strerror appended on print */
};

/* Set *err (if err is not NULL and *err is empty) and return -1 (or -errno_
   for callers that want it: always < 0). */
int hako_error (struct hako_err **err, int errno_, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prepend "context: " to an existing error; returns -1. */
int hako_error_prefix (struct hako_err **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* "msg: strerror(errno)" in a newly allocated string. */
char *hako_error_string (const struct hako_err *err);

void hako_error_free (struct hako_err **err);

/* Serialise an error as a fixed-size record (for the sync socket between the
   container process and the runtime) and back. */
#define HAKO_ERR_WIRE_MAX 4096
struct hako_err_wire
{
  int errno_;
  char msg[HAKO_ERR_WIRE_MAX];
};
void hako_error_to_wire (const struct hako_err *err, struct hako_err_wire *w);
int hako_error_from_wire (struct hako_err **err, const struct hako_err_wire *w);

/* Abort on allocation failure: an OOM'd runtime cannot clean up anyway. */
void *xmalloc (size_t n);
void *xzalloc (size_t n);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
