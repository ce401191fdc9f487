/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_SECURITY_H
#define HAKO_RUNTIME_SECURITY_H

#include <stdbool.h>

struct hako_err;

/* CVE-2019-5736: the container process is a clone of hako-runtime until its
   execve, and an execve of `#!/proc/self/exe` (or of the magic link itself)
   runs hako-runtime's image again inside the container, dumpable, where any
   process of the container can open /proc/PID/exe and, once it exits,
   reopen that for writing: the host's binary.

   A read-only bind of the binary inside the container's mount namespace
   does not help: /proc/PID/exe is the file the runtime was exec'd from, on
   the host's (writable) mount, whatever the child's namespace mounts on top
   of the path (checked: fstatvfs of /proc/self/exe stays rw).  What helps is
   that the exe itself cannot be written: so the commands that put a process
   into a container (create, run, exec) re-exec themselves once from a
   sealed memfd copy (F_SEAL_WRITE|SHRINK|GROW|SEAL: no one can ever write
   it, or unseal it, whatever their privileges).  Skipped when the exe is
   already such a memfd or sits on a read-only mount (a read-only /usr).
   Cost: one copy of the binary (~0.7 MB, in page cache) and one execve,
   measured in README's security section.

   Call it before anything else in main(), with main's argv untouched; it
   returns only when no re-exec was needed (0) or on failure (< 0).

   `create` and `run` mostly need no re-exec: the container process leaves
   the runtime's image through a sealed exec stub instead (execstub.h says
   when that is enough).  They call hako_exe_seal_defer in main() instead,
   and the library calls hako_exe_seal_deferred once the config is read and
   only if the stub cannot be used: nothing has been created by then, and
   the re-exec'd process starts over. */
int hako_exe_seal (char **argv, struct hako_err **err);
void hako_exe_seal_defer (char **argv);
/* The re-exec kept by hako_exe_seal_defer (returns only on failure or when
   no re-exec is needed); 0 at once when nothing was deferred (a program
   using the library that did not ask for it). */
int hako_exe_seal_deferred (struct hako_err **err);
/* The runtime's binary could be written through a process running it:
   neither a sealed memfd nor on a read-only mount. */
bool hako_exe_exposed (void);

/* CVE-2019-16884, CVE-2023-27561: after pivot_root everything the container
   process still does through /proc (oom_score_adj, setgroups, the exec fifo
   through /proc/self/fd, close_range's fallback) must reach the kernel, not
   a volume or an image directory standing in for it.  The proc mount itself
   is checked when it is made (mount.c); this catches what came after it: a
   bind or tmpfs mounted over /proc, /proc/self (/proc/1 of the container) or
   /proc/self/fd.  A /proc that is an empty directory (no proc mount at all)
   is allowed: nothing can be read from it. */
int hako_proc_verify (struct hako_err **err);

#endif
