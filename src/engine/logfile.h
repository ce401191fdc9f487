/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_LOGFILE_H
#define HAKO_ENGINE_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;

/* The monitor's writer: whole lines become entries; size rotation. */
struct eng_logw
{
  int fd;
  char *path;
  int64_t max_size, size;
  int max_file;
  char *partial[2]; /* stdout, stderr: the line being assembled */
  size_t plen[2];
};
int eng_logw_open (struct eng_logw *w, const char *path, int64_t max_size, int max_file,
                   struct hako_err **err);
/* stream 1 stdout, 2 stderr */
void eng_logw_write (struct eng_logw *w, int stream, const char *data, size_t len);
/* Flushes unterminated lines, fsyncs (with `sync`), closes. */
void eng_logw_close (struct eng_logw *w, bool sync);

struct eng_logs_opts
{
  bool follow, timestamps;
  long tail;        /* -1: all */
  int64_t since_ns; /* 0: from the start */
  int64_t until_ns; /* 0: no end */
};
/* Print the log to stdout/stderr; with follow, until running(ctx) is false
   and the file is drained. */
int eng_logs (const char *path, int max_file, const struct eng_logs_opts *o, bool (*running) (void *),
              void *ctx, struct hako_err **err);

#endif
