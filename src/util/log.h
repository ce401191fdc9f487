/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_UTIL_LOG_H
#define HAKO_UTIL_LOG_H

#include <stdbool.h>

struct hako_err;

enum hako_log_level
{
  HAKO_LOG_ERROR,
  HAKO_LOG_WARNING,
  HAKO_LOG_INFO,
  HAKO_LOG_DEBUG,
};

enum hako_log_format
{
  HAKO_LOG_TEXT,
  HAKO_LOG_JSON, /* {"level":"error","msg":"…","time":"RFC3339"} per line, as containerd reads */
};

/* Log to stderr (default) or to `path` (appended).  The program name prefixes
   text lines on stderr ("hako-runtime: …").  Returns < 0 if the file cannot
   be opened. */
int hako_log_init (const char *progname, const char *path, enum hako_log_format fmt, bool debug,
                   struct hako_err **err);
void hako_log (enum hako_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Log an error record, and also print it on stderr when the log goes to a
   file (a user running the command by hand must see it too). */
void hako_log_error (const struct hako_err *err);
bool hako_log_debug_enabled (void);
/* The fd of the log file, or -1: kept open across clone so the container
   process can log before execve (it is closed then, it is O_CLOEXEC). */
int hako_log_fd (void);

#define log_debug(...) hako_log (HAKO_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) hako_log (HAKO_LOG_INFO, __VA_ARGS__)
#define log_warn(...) hako_log (HAKO_LOG_WARNING, __VA_ARGS__)

#endif
