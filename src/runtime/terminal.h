/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_TERMINAL_H
#define HAKO_RUNTIME_TERMINAL_H

#include <stdbool.h>
#include "../oci/spec.h"

struct hako_err;

/* In the container process, after pivot_root and with /dev/pts mounted:
   open /dev/ptmx (the container's), unlock it, open the slave, make the slave
   the controlling terminal and stdin/stdout/stderr (setsid, TIOCSCTTY),
   apply process.consoleSize if given.  Returns the master fd (the caller sends
   it to the runtime parent over the sync socket) and the slave's path inside
   the container (for the /dev/console bind mount) in slave_path (size 64). */
int hako_terminal_create (const struct oci_box_size *size, int *master_fd, char slave_path[64],
                          struct hako_err **err);

/* Connect to the unix socket at `path` and send `fd` with SCM_RIGHTS, with the
   socket path as payload, as runc does with --console-socket. */
int hako_console_socket_send (const char *path, int fd, struct hako_err **err);

/* SCM_RIGHTS helpers for the sync socket. */
int hako_send_fd (int sock, int fd, const void *data, size_t len, struct hako_err **err);
int hako_recv_fd (int sock, int *fd, void *data, size_t len, struct hako_err **err);

/* Foreground `run` with a terminal: put our stdin in raw mode if it is a tty
   (restored on return), pass the window size (and SIGWINCH), copy stdin ->
   master and master -> stdout until the master hangs up or `child_exited_fd`
   (a pidfd or -1) becomes readable and the master is drained. */
int hako_terminal_proxy (int master_fd, int pidfd, struct hako_err **err);

#endif
