/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_CLI_HAKO_H
#define HAKO_CLI_HAKO_H

/* The `hako` program: global state shared by its commands. */

#include "../image/image.h"
#include "../image/store.h"
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct hako_err;

struct hako_ctx
{
  char *storage;
  const char *default_domain; /* --default-registry / HAKO_DEFAULT_REGISTRY */
  struct img_store *store;    /* opened on first use */
  const char *run_root;       /* --run-root / HAKO_RUN_ROOT, else /run/hako */
};

struct eng_ctx;
/* The engine over the store (opened on first use). */
int hako_engine (struct hako_ctx *ctx, struct eng_ctx *e, struct hako_err **err);

/* Each command: argv[0] is the command name; returns the exit status. */
typedef int (*hako_cmd_fn) (struct hako_ctx *ctx, int argc, char **argv);

int hako_open_store (struct hako_ctx *ctx, struct hako_err **err);
/* Print "hako: msg" on stderr, free the error, return 1 (or 125 for usage). */
int hako_fail (struct hako_err **err);
int hako_usage (const char *cmd, const char *msg);

/* Progress output: docker's "ID: Status" lines; on a terminal a table
   with one line per layer (bar, bytes, rate, ETA) redrawn in place;
   nothing with --quiet.  Thread-safe (parallel downloads). */
struct hako_progress_row;
struct hako_progress
{
  bool quiet, tty;
  uint64_t last_ms;
  pthread_mutex_t mu;
  struct hako_progress_row *rows;
  size_t n_rows, cap, drawn;
};
void hako_progress_init (struct hako_progress *p, bool quiet);
void hako_progress_finish (struct hako_progress *p);
struct img_events hako_progress_events (struct hako_progress *p);
void hako_progress_bytes (void *ctx, const char *digest, uint64_t done, uint64_t total);

/* "1.2MB", "4.26kB" (docker's decimal units). */
void hako_human_size (uint64_t n, char *buf, size_t len);
/* "5 minutes ago" */
void hako_human_since (int64_t when, char *buf, size_t len);
/* Parse an RFC 3339 time ("2023-01-02T03:04:05.123Z"); 0 when it fails. */
int64_t hako_parse_time (const char *s);

int cmd_pull (struct hako_ctx *ctx, int argc, char **argv);
int cmd_push (struct hako_ctx *ctx, int argc, char **argv);
int cmd_login (struct hako_ctx *ctx, int argc, char **argv);
int cmd_logout (struct hako_ctx *ctx, int argc, char **argv);
int cmd_images (struct hako_ctx *ctx, int argc, char **argv);
int cmd_rmi (struct hako_ctx *ctx, int argc, char **argv);
int cmd_tag (struct hako_ctx *ctx, int argc, char **argv);
int cmd_image_inspect (struct hako_ctx *ctx, int argc, char **argv);
int cmd_image_prune (struct hako_ctx *ctx, int argc, char **argv);
int cmd_history (struct hako_ctx *ctx, int argc, char **argv);
int cmd_save (struct hako_ctx *ctx, int argc, char **argv);
int cmd_load (struct hako_ctx *ctx, int argc, char **argv);
int cmd_import (struct hako_ctx *ctx, int argc, char **argv);
int cmd_build (struct hako_ctx *ctx, int argc, char **argv); /* hako_build.c */
int cmd_system (struct hako_ctx *ctx, int argc, char **argv);
int cmd_image_mount (struct hako_ctx *ctx, int argc, char **argv);
int cmd_image_umount (struct hako_ctx *ctx, int argc, char **argv);

/* containers (hako_ctr.c, hako_ps.c) */
int cmd_run (struct hako_ctx *ctx, int argc, char **argv);
int cmd_create (struct hako_ctx *ctx, int argc, char **argv);
int cmd_start (struct hako_ctx *ctx, int argc, char **argv);
int cmd_stop (struct hako_ctx *ctx, int argc, char **argv);
int cmd_restart (struct hako_ctx *ctx, int argc, char **argv);
int cmd_kill (struct hako_ctx *ctx, int argc, char **argv);
int cmd_rm (struct hako_ctx *ctx, int argc, char **argv);
int cmd_wait (struct hako_ctx *ctx, int argc, char **argv);
int cmd_pause (struct hako_ctx *ctx, int argc, char **argv);
int cmd_unpause (struct hako_ctx *ctx, int argc, char **argv);
int cmd_attach (struct hako_ctx *ctx, int argc, char **argv);
int cmd_rename (struct hako_ctx *ctx, int argc, char **argv);
int cmd_ps (struct hako_ctx *ctx, int argc, char **argv);
int cmd_logs (struct hako_ctx *ctx, int argc, char **argv);
int cmd_inspect (struct hako_ctx *ctx, int argc, char **argv);

/* exec, top, stats, port (hako_exec.c); cp, export (hako_cp.c); volume,
   container prune, system df|prune|info (hako_volume.c) */
int cmd_exec (struct hako_ctx *ctx, int argc, char **argv);
int cmd_top (struct hako_ctx *ctx, int argc, char **argv);
int cmd_stats (struct hako_ctx *ctx, int argc, char **argv);
int cmd_port (struct hako_ctx *ctx, int argc, char **argv);
int cmd_cp (struct hako_ctx *ctx, int argc, char **argv);
int cmd_export (struct hako_ctx *ctx, int argc, char **argv);
int cmd_volume (struct hako_ctx *ctx, int argc, char **argv);
/* network create|ls|inspect|rm|prune|connect|disconnect (hako_network.c) */
int cmd_network (struct hako_ctx *ctx, int argc, char **argv);
int cmd_container_prune (struct hako_ctx *ctx, int argc, char **argv);
/* argv[0] is df, prune or info; -1 for another subcommand. */
int cmd_system_engine (struct hako_ctx *ctx, int argc, char **argv);
int cmd_info (struct hako_ctx *ctx, int argc, char **argv);

/* --format templates ({{.Field}}, {{.A.B}}, {{json .}}) over a JSON object,
   one line; the header of a "table TEMPLATE" (the field names). */
struct json_t;
void hako_print_template (const char *tmpl, struct json_t *obj);
/* Append a copy of s to a NULL-terminated vector of n strings. */
void hako_strv_push (char ***v, size_t *n, const char *s);
/* docker's --env-file: NAME=VALUE or NAME lines; blank and # lines skipped. */
int hako_read_env_file (const char *path, char ***env, size_t *n, struct hako_err **err);
void hako_print_template_header (const char *tmpl);

#endif
