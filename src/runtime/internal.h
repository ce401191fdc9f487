/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_INTERNAL_H
#define HAKO_RUNTIME_INTERNAL_H

/* Pieces of the lifecycle shared between container.c (the runtime side) and
   init.c (the container side).  Not a public API. */

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>
#include "container.h"
#include "procattr.h"
#include "rootfs.h"
#include "seccomp.h"
#include "../util/error.h"

/* Rootless in effect: asked for (--rootless, the default when not root)
   and really without privileges.  Root with --rootless true gets root's
   behaviour: it can do everything rootless mode would skip. */
static inline bool
hako_rootless_euid (const struct hako_runtime *rt)
{
  return rt->rootless && geteuid () != 0;
}

/* ---- state store (store.c): <root>/<id>/{state.json,exec.fifo,cgroups} ---- */

#define HAKO_STATE_FILE "state.json"
#define HAKO_FIFO_FILE "exec.fifo"
#define HAKO_CGROUPS_FILE "cgroups"

/* mkdir <root>/<id>; EEXIST is "container `id` already exists".  Returns an
   O_DIRECTORY fd, locked exclusively (flock) for the caller's lifetime. */
int store_create (const struct hako_runtime *rt, const char *id, struct hako_err **err);
/* Open and lock (exclusive or shared) an existing container's dir.
   ENOENT is "container `id` does not exist". */
int store_open (const struct hako_runtime *rt, const char *id, bool exclusive, struct hako_err **err);
int store_write_state (int dirfd, const struct oci_state *st, struct hako_err **err);
int store_read_state (int dirfd, const char *id, struct oci_state **out, struct hako_err **err);
int store_remove (const struct hako_runtime *rt, const char *id, struct hako_err **err);
/* The same for a directory open (and locked) as dirfd, with fewer calls. */
int store_remove_at (const struct hako_runtime *rt, int dirfd, const char *id, struct hako_err **err);
char *store_dir_path (const struct hako_runtime *rt, const char *id);

/* Refresh st->status from the process: stopped if it is gone, a zombie, or a
   different process with the same pid (start time differs); created while
   exec.fifo exists; paused if the freezer says so; running otherwise. */
void state_refresh (int dirfd, struct oci_state *st);
/* Start time of a pid (field 22 of /proc/PID/stat), 0 if gone; sets
 *zombie when the process is a zombie. */
uint64_t proc_start_time (pid_t pid, bool *zombie);

/* ---- cgroup placement (cgroup.c) ---- */

/* Resolve linux.cgroupsPath (absolute, relative to our own cgroup, or the
   container id when empty), create it in every mounted hierarchy and
   record what was created in <dir>/cgroups.  Refuses "slice:prefix:name".
   Applies linux.resources.devices on a v1 devices hierarchy (the device
   cgroup is part of the box, not an optional limit). */
int cgroup_prepare (const struct hako_runtime *rt, int dirfd, const char *id, const struct oci_spec *spec,
                    char **resolved, struct hako_err **err);
/* The same, keeping what it read and made in *set (NULL with the cgroup
   manager disabled) for the functions below, so that a create reads the
   host's tables once. */
struct cg_set;
int cgroup_prepare_set (const struct hako_runtime *rt, int dirfd, const char *id, const struct oci_spec *spec,
                        char **resolved, struct cg_set **set, struct hako_err **err);
void cgroup_set_release (struct cg_set *s);
int cgroup_clone_fd_of (const struct cg_set *s);
int cgroup_enter_set (const struct cg_set *s, pid_t pid, struct hako_err **err);
/* What the container process bind-mounts under its /sys/fs/cgroup without
   a cgroup namespace (mount_cgroup.c): one entry per host mount at
   /sys/fs/cgroup/NAME, with the container's cgroup in it.  -1 when the host
   layout needs the container process to read it itself. */
int cgroup_mount_plan (const struct cg_set *s, struct hako_cg_mount **out, size_t *n);
int cgroup_enter (int dirfd, pid_t pid, struct hako_err **err);
/* Whether create made (and recorded) any cgroup for the container: not
   with the manager disabled, nor rootless without delegation. */
bool cgroup_present (int dirfd);
/* Pids in the container's cgroup (from the first hierarchy that has it). */
int cgroup_pids (int dirfd, pid_t **pids, size_t *n, struct hako_err **err);
/* rmdir what cgroup_prepare created, deepest first, retrying while the last
   processes exit. */
int cgroup_destroy (int dirfd, struct hako_err **err);
/* On a cgroup v2 only host: an O_PATH fd of the container's cgroup for
   clone3(CLONE_INTO_CGROUP), else -1 (cgroup_enter places the process). */
int cgroup_clone_fd (int dirfd);
/* The freezer (v1 freezer.state, else v2 cgroup.freeze) says FROZEN. */
bool cgroup_frozen (int dirfd);
int cgroup_freeze (int dirfd, bool frozen, struct hako_err **err);
/* Signal every process in the container's cgroup: SIGKILL through v2's
   cgroup.kill where present; a frozen cgroup is thawed after SIGKILL so
   its processes can die. */
int cgroup_kill_all (int dirfd, int sig, struct hako_err **err);

/* ---- namespaces (namespaces.c) ---- */

struct ns_plan
{
  unsigned long clone_flags; /* CLONE_NEW* to create at clone (no CGROUP/TIME) */
  bool new_ns[8];            /* indexed by enum oci_ns_type */
  bool join[8];
  const char *join_path[8];
  bool needs_joiner; /* setns or timens before clone: fork a joiner */
};

int ns_plan_make (const struct oci_spec *spec, struct ns_plan *plan, struct hako_err **err);
/* Open every namespace path now (before forking), so a missing path fails
   `create` early with the field named.  fds[i] = -1 where not joined. */
int ns_open_paths (const struct ns_plan *plan, int fds[8], struct hako_err **err);
/* In the joiner: setns to each opened fd, the user namespace first. */
int ns_join (const struct ns_plan *plan, const int fds[8], struct hako_err **err);
/* Write /proc/PID/{uid_map,setgroups,gid_map} for a new user namespace.
   `unprivileged`: the single map of our own id is written directly (with
   setgroups denied), any other through newuidmap/newgidmap. */
int ns_write_id_maps (pid_t pid, const struct oci_spec *spec, bool unprivileged, struct hako_err **err);
/* In the joiner: unshare(CLONE_NEWTIME) and write linux.timeOffsets. */
int ns_setup_time (const struct oci_spec *spec, struct hako_err **err);

/* validate.c: hostname/domainname need a UTS namespace, each sysctl the
   namespace that isolates it, a new user namespace its id maps. */
int validate_with_namespaces (const struct oci_spec *spec, const struct ns_plan *ns, struct hako_err **err);

/* ---- sync protocol between runtime and container process ---- */

enum sync_type
{
  SYNC_GO = 1,     /* runtime -> init: id maps written, cgroup joined; .pid = host pid */
  SYNC_HOOKS,      /* init -> runtime: mounts done, run prestart/createRuntime */
  SYNC_HOOKS_DONE, /* runtime -> init */
  SYNC_CONSOLE,    /* init -> runtime: pty master attached (SCM_RIGHTS) */
  SYNC_READY,      /* init -> runtime: waiting on exec.fifo */
  SYNC_CHILD_PID,  /* joiner -> runtime: pid of the container process */
  SYNC_ERROR,      /* either way: .err holds the message */
};

struct sync_msg
{
  uint32_t type;
  int32_t pid;
  struct hako_err_wire err;
};

int sync_send (int fd, enum sync_type type, int32_t pid, const struct hako_err *e);
/* Send a message carrying an fd (SCM_RIGHTS). */
int sync_send_fd (int fd, enum sync_type type, int passed_fd);
/* Receive one message; *passed_fd gets an fd sent along (or -1) when not
   NULL.  EOF (the peer died) and SYNC_ERROR become errors. */
int sync_recv (int fd, struct sync_msg *m, int *passed_fd, struct hako_err **err);
int sync_expect (int fd, enum sync_type type, struct sync_msg *m, struct hako_err **err);
/* After a READY that announced the exec stub: 0 at EOF (the container
   process's end closed by its exec), an error on SYNC_ERROR. */
int sync_wait_eof (int fd, struct hako_err **err);
/* SYNC_READY's pid field when the container process execs the stub next. */
#define SYNC_READY_STUB 1

/* ---- the container process (init.c) ---- */

struct init_args
{
  const struct oci_spec *spec;
  const char *id;
  const char *bundle;
  struct hako_caps caps;
  struct hako_rootfs_opts rootfs;
  struct ns_plan ns;
  int sync_fd;      /* our end of the socketpair */
  int store_fd;     /* the runtime's locked state dir: closed at once */
  int fifo_fd;      /* O_PATH fd of exec.fifo, opened O_WRONLY at start */
  int preserve_fds; /* --preserve-fds + LISTEN_FDS count */
  int listen_fds;   /* LISTEN_FDS passed on (0 = none) */
  bool no_new_keyring;
  bool started;                            /* past READY: errors go to stderr, not the socket */
  bool pdeathsig;                          /* the runtime is our parent: die with it until READY */
  bool dumpable_until_go;                  /* an unprivileged runtime writes our id maps (below) */
  struct oci_state *state;                 /* for the hooks run in the container (pid set at GO) */
  const struct hako_seccomp_prog *seccomp; /* compiled linux.seccomp, NULL if none */
  int seccomp_listener;                    /* connected listenerPath socket (-1): before pivot_root */
  int cgroup_fd;                           /* cgroup_clone_fd(): clone3 CLONE_INTO_CGROUP when >= 0 */
  bool exec_stub;                          /* leave the runtime's image through the stub (execstub.h) */
  int stub_fd;                             /* the stub's sealed memfd, made in the container process */
};

/* Never returns: execs the user process or _exit(1)s after reporting the
   error on sync_fd. */
__attribute__ ((noreturn)) void init_main (struct init_args *a);

/* ---- shared with exec.c ---- */

/* HOME of `uid` from /etc/passwd as the caller sees it (the container's,
   after pivot_root or setns), "/" when absent (init.c). */
char *passwd_home (uid_t uid);
/* The config.json saved in the state dir at create, NULL if unreadable. */
struct oci_spec *load_saved_spec (int dirfd);
/* Foreground wait: proxy the pty master (if >= 0), forward the signals we
   receive (the caller has blocked them) to `pid`, reap it and store its
   exit code or 128+signal in *code.  We are its parent or subreaper. */
int wait_forward (pid_t pid, int master, int *code, struct hako_err **err);
/* Before a foreground run/exec: block the signals wait_forward will relay
   (the old mask in *old, to restore after) and become the subreaper. */
void foreground_begin (sigset_t *old);
/* The error for an args[0] that cannot be exec'd, in runc's words
   (`exec: "X": stat X: no such file or directory`, `... executable file not
   found in $PATH`): docker and podman match these lower-case phrases to
   answer 127 or 126 (exec.c). */
int exec_file_error (struct hako_err **err, const char *file, int e);

#endif
