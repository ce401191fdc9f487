/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_INTERNAL_H
#define HAKO_ENGINE_INTERNAL_H

/* Shared between the engine's files; not for the CLI. */

#include "engine.h"
#include <stddef.h>
#include <stdint.h>

struct hako_err;

/* <storage>/containers/names and <run_root>. */
int eng_dirs_init (const struct eng_ctx *e, struct hako_err **err);

/* /proc/PID/stat start time, 0 when gone (or a zombie). */
uint64_t eng_proc_start_time (pid_t pid);
bool eng_monitor_alive (const struct eng_ctr *c);

/* After the container's process is gone: delete its runtime state (force)
   and unmount its root (unless `unmount` is false: the caller removes the
   snapshot, which detaches it).  Errors are logged, not returned. */
void eng_runtime_cleanup (const struct eng_ctx *e, struct eng_ctr *c, bool unmount);

/* Write the bundle's config.json from the image and the options (specgen.c).
   `rootfs` is the snapshot's mount point. */
int eng_specgen (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_create_opts *o,
                 json_t *image_config, const char *rootfs, struct hako_err **err);

/* Frames on the attach socket. */
int eng_frame_write (int fd, enum eng_frame type, const void *data, size_t len);
/* Reads one frame; *data is malloc'ed (NUL-terminated). 0 at EOF, 1 read. */
int eng_frame_read (int fd, enum eng_frame *type, char **data, size_t *len);

/* A unix socket address for `path`, going through /proc/self/fd of its
   directory when the path is longer than sun_path.  *dirfd_out must be
   closed by the caller after bind/connect. */
struct sockaddr_un;
int eng_unix_addr (const char *path, struct sockaddr_un *addr, int *dirfd_out);

/* Open (creating) and flock(LOCK_EX) the file: the fd holds the lock. */
int eng_lock_path (const char *path, struct hako_err **err);

/* A listening unix socket at `path` (replacing a stale one), mode 0600. */
int eng_unix_listen (const char *path, int backlog, struct hako_err **err);

/* Set NAME=VALUE in a JSON array of "NAME=VALUE" strings (replacing NAME). */
void eng_env_set (json_t *env, const char *kv);

#endif
