/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_EXECSTUB_H
#define HAKO_RUNTIME_EXECSTUB_H

/* CVE-2019-5736 without re-executing the runtime (security.h has the
   attack).  The container process is a clone of the runtime: until it
   execs, /proc/PID/exe (and an interpreter `/proc/self/exe` of what it
   execs) is the runtime's binary on the host.  Instead of the runtime
   re-executing itself from a sealed copy of its 1 MB binary at every
   create (an execve, a dynamic loader and a libc start-up more per
   container), the container process leaves the runtime's image at the end
   of `create`, before READY, by exec'ing a stub: a few hundred bytes of
   machine code in a sealed memfd (F_SEAL_WRITE|SHRINK|GROW|SEAL, so no one
   can write it whatever their privileges).  The stub waits on exec.fifo for
   `start`, loads the seccomp filter when it must come last, and execs the
   user process, searching the container's PATH as hako_execvpe_env does.

   The stub is safe only where nothing untrusted can reach the container
   process before that exec: container.c uses it when the container gets a
   new pid namespace (no other process in it, and nobody can join before
   `create` returns: the runtime waits until the stub is running), has no
   startContainer hooks (they run after `start`, from the runtime's image)
   and needs no seccomp notify fd sent after the filter loads.  Otherwise
   the runtime re-executes itself from a sealed copy (security.c).

   The stub is assembled with the runtime (x86-64 only for now); elsewhere
   hako_execstub_supported() is false and the re-exec is used. */

#include <stdbool.h>

struct hako_err;
struct hako_seccomp_prog;

bool hako_execstub_supported (void);

struct hako_execstub
{
  int fifo_fd;                             /* O_PATH fd of exec.fifo; closed by the stub */
  const struct hako_seccomp_prog *seccomp; /* loaded by the stub after the fifo, or NULL */
  const char *file;                        /* process.args[0] */
  const char *path;                        /* PATH of process.env (searched when file has no '/'), or NULL */
};

/* In the container process: the stub image for `s` in a sealed memfd
   (O_CLOEXEC); the fd to pass to hako_execstub_exec. */
int hako_execstub_create (const struct hako_execstub *s, struct hako_err **err);

/* Exec the stub with the user process's argv and envp.  `via_proc`: by
   /proc/self/fd/N with execve (a seccomp filter is already loaded: execve
   is the one exec syscall it surely allows) rather than execveat.  Returns
   only on failure (errno set). */
int hako_execstub_exec (int fd, char *const argv[], char *const envp[], bool via_proc);

#endif
