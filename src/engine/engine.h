/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_ENGINE_H
#define HAKO_ENGINE_ENGINE_H

/* The engine: containers made from images, without a daemon.

   A container is a directory under <storage>/containers/<id>/:
     container.json  the record, shaped like `docker inspect` (hako fields
                     under "Hako"); written atomically under `lock`
     lock            flock: one writer of the record at a time
     bundle/         the OCI bundle (config.json; the root is the snapshot)
     hostname, hosts, resolv.conf   bind-mounted into the container
     json.log        the json-file log (docker's format)
   and, while it runs, <run_root>/<id>/ holds the monitor's attach socket.
   Names are symlinks <storage>/containers/names/<name> -> <id>: symlink(2)
   makes exactly one of two `run --name x` win.

   The rootfs is the overlay snapshot <storage>/snapshots/<id> (image/
   snapshot.h), mounted while the container runs.  The runtime library does
   the OCI work in the monitor process, which is the container's parent. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct hako_err;
struct img_store;
struct eng_net_opts;

struct eng_ctx
{
  struct img_store *store;
  const char *storage;        /* the store's root */
  const char *run_root;       /* /run/hako, $HAKO_RUN_ROOT */
  const char *default_domain; /* for image references */
};

/* The runtime root the engine uses for its containers: <run_root>/runtime. */
char *eng_runtime_root (const struct eng_ctx *e);

struct eng_ctr
{
  char *id;
  char *dir; /* <storage>/containers/<id> */
  json_t *j; /* the record */
};

/* Look a container up by full ID, name ("/name" too) or unique ID prefix.
   The record's status is refreshed: a "running" container whose monitor is
   gone (killed, or the host rebooted) becomes "exited". */
int eng_ctr_find (const struct eng_ctx *e, const char *query, struct eng_ctr **out, struct hako_err **err);
void eng_ctr_free (struct eng_ctr *c);
/* All containers (unreadable ones are skipped with a warning). */
int eng_ctr_list (const struct eng_ctx *e, struct eng_ctr ***out, size_t *n, struct hako_err **err);
void eng_ctr_list_free (struct eng_ctr **v, size_t n);

/* Write the record atomically.  Callers that read-modify-write hold the
   lock (eng_ctr_lock); the returned fd releases it when closed. */
int eng_ctr_save (const struct eng_ctr *c, struct hako_err **err);
int eng_ctr_lock (const struct eng_ctr *c, struct hako_err **err);
/* Re-read the record from disk (after another process changed it). */
int eng_ctr_reload (struct eng_ctr *c, struct hako_err **err);

const char *eng_ctr_status (const struct eng_ctr *c);
const char *eng_ctr_name (const struct eng_ctr *c); /* without the '/' */
pid_t eng_ctr_pid (const struct eng_ctr *c);
int eng_ctr_exit_code (const struct eng_ctr *c);
bool eng_ctr_running (const struct eng_ctr *c); /* running or paused */
void eng_ctr_set_state (struct eng_ctr *c, const char *status, pid_t pid, int exit_code, const char *error);

/* Names: docker's rule [a-zA-Z0-9][a-zA-Z0-9_.-]+.  Reserving fails with
   EEXIST when the name is taken. */
bool eng_name_valid (const char *name);
int eng_name_reserve (const struct eng_ctx *e, const char *name, const char *id, struct hako_err **err);
void eng_name_release (const struct eng_ctx *e, const char *name, const char *id);
/* "adjective_name" that is free. */
char *eng_name_generate (const struct eng_ctx *e);
char *eng_id_generate (void);

/* RFC 3339 with nanoseconds, UTC. */
char *eng_now (void);

/* ---- create: image + options -> container (see specgen.c) ---- */

struct eng_mount_req
{
  char *type; /* bind, volume, tmpfs */
  char *source, *target;
  bool readonly;
  char **options; /* extra (tmpfs size=, mode=; bind propagation) */
  size_t n_options;
};

struct eng_create_opts
{
  const char *image;
  const char *name;
  char **cmd;
  size_t n_cmd;
  char **entrypoint; /* NULL: the image's; {""}: none */
  size_t n_entrypoint;
  bool has_entrypoint;
  char **env;
  size_t n_env;
  char **labels;
  size_t n_labels;
  const char *workdir, *user, *hostname;
  bool tty, interactive, auto_remove, read_only, privileged, init, no_new_privs;
  const char *seccomp; /* NULL default, "unconfined", or a file */
  char **cap_add, **cap_drop;
  size_t n_cap_add, n_cap_drop;
  struct eng_mount_req *mounts;
  size_t n_mounts;
  char **devices;
  size_t n_devices;
  char **sysctls;
  size_t n_sysctls;
  char **ulimits;
  size_t n_ulimits;
  int64_t memory, memory_swap, shm_size, pids_limit;
  double cpus;
  uint64_t cpu_shares;
  const char *cpuset_cpus;
  const char *stop_signal;
  int stop_timeout; /* -1: default */
  const char *pid_mode, *ipc_mode, *uts_mode, *userns_mode, *network_mode;
  const struct eng_net_opts *net; /* -p, -P, --dns..., --add-host (network.h) */
  const char *cgroup_parent;
  const char *runtime; /* another OCI runtime (path), NULL: built-in */
  const char *log_max_size;
  int log_max_file;
  const char *platform;
  bool keep_mounted; /* `run`: the monitor starts it at once, keep the rootfs mounted */
};

/* Make the container (record, snapshot, bundle) in state "created".
   Nothing is left behind on failure. */
int eng_create (const struct eng_ctx *e, const struct eng_create_opts *o, struct eng_ctr **out,
                struct hako_err **err);

/* Start a created or exited container: spawn its monitor.  With
   `wait_attach` the monitor holds the container before its first
   instruction until a client attaches (so no output is missed).
   *pid_out: the container's pid (0 when waiting for attach). */
int eng_start (const struct eng_ctx *e, struct eng_ctr *c, bool wait_attach, struct hako_err **err);

/* Signal the container's process (stop: the stop signal, then SIGKILL after
   `timeout` seconds; -1 the container's own timeout). */
int eng_kill (const struct eng_ctx *e, struct eng_ctr *c, int sig, struct hako_err **err);
int eng_stop (const struct eng_ctx *e, struct eng_ctr *c, int timeout, struct hako_err **err);
/* Wait until the container is no longer running; its exit code. */
int eng_wait (const struct eng_ctx *e, struct eng_ctr *c, int *code, struct hako_err **err);
/* Remove: refused while running unless `force` (then killed). `volumes`
   removes its anonymous volumes. */
int eng_remove (const struct eng_ctx *e, struct eng_ctr *c, bool force, bool volumes, struct hako_err **err);

/* ---- attach (monitor.c / attach.c) ----
   The monitor's socket speaks frames: one byte type, four bytes length
   (big endian), payload. */
enum eng_frame
{
  ENG_FRAME_STDIN = 0,
  ENG_FRAME_STDOUT = 1,
  ENG_FRAME_STDERR = 2,
  ENG_FRAME_EXIT = 3,   /* payload: the exit code in decimal */
  ENG_FRAME_RESIZE = 4, /* payload: rows, cols as two u16 big endian */
  ENG_FRAME_STDIN_EOF = 5,
  ENG_FRAME_ERROR = 6, /* payload: the message; the start failed */
  ENG_FRAME_STARTED = 7,
};
char *eng_attach_path (const struct eng_ctx *e, const char *id);

struct eng_attach_opts
{
  bool stdin_, tty;
  bool proxy_signals; /* forward SIGINT/SIGTERM/... to the container */
};
/* Attach the caller's stdio to a running (or attach-waiting) container until
   it exits; *code is its exit code.  Returns < 0 when the attach fails. */
int eng_attach (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_attach_opts *o, int *code,
                struct hako_err **err);

/* The monitor: double-forked, setsid; reports to the caller through
   `ready_fd`; `client_pidfd` (or -1) tells it when the caller is gone.
   Never returns. */
void eng_monitor_main (const struct eng_ctx *e, const char *id, bool wait_attach, int ready_fd,
                       int client_pidfd) __attribute__ ((noreturn));

/* Log file: docker's json-file lines. */
char *eng_log_path (const struct eng_ctr *c);

/* Exit codes as docker's: 127 when the command is not found, 126 when it
   cannot be invoked, 125 for the engine's own errors. */
int eng_exit_code_for_error (const struct hako_err *err);
/* "512m", "1g", "100k", "1024" -> bytes (docker's binary units). */
int eng_parse_bytes (const char *s, int64_t *out, struct hako_err **err);

/* Exit codes as docker's. */
#define ENG_EXIT_ENGINE 125
#define ENG_EXIT_CANNOT_INVOKE 126
#define ENG_EXIT_NOT_FOUND 127

#endif
