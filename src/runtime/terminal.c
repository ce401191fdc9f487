/* SPDX-License-Identifier: Apache-2.0 */
/* process.terminal: the pty made in the container, the master handed out
   (--console-socket, or the sync socket for a foreground `run`), and the
   proxy that a foreground `run` runs between our stdio and the master. */
#include "terminal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* ---- the pty, in the container process ---- */

/* TIOCGPTPEER (4.13) opens the slave from the master itself, so a path
   lookup in a /dev/pts the container controls cannot hand us some other
   pty; fall back to the path on older kernels. */
static int
open_slave (int master, const char *path)
{
  int fd = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0 || (errno != EINVAL && errno != ENOTTY))
    return fd;
  return open (path, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static int
make_controlling (int slave, struct hako_err **err)
{
  /* EPERM: already a session leader (a process group leader cannot start
     one); that session may still take the terminal. */
  if (setsid () < 0 && !(errno == EPERM && getsid (0) == getpid ()))
    return hako_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return hako_error (err, errno, "ioctl TIOCSCTTY");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return hako_error (err, errno, "dup2 the pty slave onto fd %d", fd);
  return 0;
}

int
hako_terminal_create (const struct oci_box_size *size, int *master_fd, char slave_path[64],
                      struct hako_err **err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  cleanup_close int slave = -1;

  if (master < 0)
    return hako_error (err, errno, "open /dev/ptmx");
  if (unlockpt (master) < 0)
    return hako_error (err, errno, "unlockpt");
  if ((errno = ptsname_r (master, slave_path, 64)) != 0)
    return hako_error (err, errno, "ptsname");
  slave = open_slave (master, slave_path);
  if (slave < 0)
    return hako_error (err, errno, "open the pty slave `%s`", slave_path);
  if (size)
    {
      struct winsize ws = { .ws_row = (unsigned short) size->height, .ws_col = (unsigned short) size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return hako_error (err, errno, "set the console size %ux%u", (unsigned) size->width,
                           (unsigned) size->height);
    }
  if (make_controlling (slave, err) < 0)
    return -1;
  *master_fd = steal_fd (&master);
  return 0;
}

/* ---- passing fds ---- */

int
hako_send_fd (int sock, int fd, const void *data, size_t len, struct hako_err **err)
{
  char zero = '\0';
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  /* A stream socket drops ancillary data sent with no payload byte. */
  struct iovec iov = { .iov_base = len ? (void *) data : &zero, .iov_len = len ? len : 1 };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof (ctl.buf) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  ssize_t n;

  memset (&ctl, 0, sizeof (ctl));
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return hako_error (err, errno, "sendmsg fd %d", fd);
  return 0;
}

static int
fd_from_cmsg (struct msghdr *msg, int *fd)
{
  int found = -1;

  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c; c = CMSG_NXTHDR (msg, c))
    {
      size_t n;
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < n; i++)
        {
          int got;
          memcpy (&got, CMSG_DATA (c) + i * sizeof (int), sizeof (int));
          if (found < 0)
            found = got;
          else
            close (got); /* one fd expected: do not leak extras */
        }
    }
  *fd = found;
  return found >= 0 ? 0 : -1;
}

/* Returns the number of payload bytes received (>= 0). */
int
hako_recv_fd (int sock, int *fd, void *data, size_t len, struct hako_err **err)
{
  char dummy = 0;
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = len ? data : &dummy, .iov_len = len ? len : 1 };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof (ctl.buf) };
  ssize_t n;

  *fd = -1;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return hako_error (err, errno, "recvmsg");
  if (n == 0)
    return hako_error (err, ECONNRESET, "recvmsg: peer closed before sending an fd");
  if (fd_from_cmsg (&msg, fd) < 0)
    return hako_error (err, EBADMSG, "recvmsg: no fd in the message");
  if (msg.msg_flags & MSG_CTRUNC)
    log_debug ("recvmsg: control data truncated (more fds than expected)");
  return len ? (int) n : 0;
}

/* runc sends the master with the name of its file ("/dev/ptmx", what
   console.NewPty opened) as payload; receivers (containerd, conmon,
   recvtty) take the fd and at most keep the name. */
#define CONSOLE_PAYLOAD "/dev/ptmx"

int
hako_console_socket_send (const char *path, int fd, struct hako_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return hako_error (err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy (addr.sun_path, path);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return hako_error (err, errno, "console socket: socket");
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return hako_error (err, errno, "connect to the console socket `%s`", path);
  if (hako_send_fd (sock, fd, CONSOLE_PAYLOAD, strlen (CONSOLE_PAYLOAD), err) < 0)
    return hako_error_prefix (err, "send the pty master to `%s`", path);
  return 0;
}

/* ---- the foreground proxy ---- */

struct proxy
{
  int master;
  int pidfd; /* -1: wait for the master to hang up */
  int sigfd; /* SIGWINCH */
  bool stdin_open;
  bool child_exited;
  char in[4096]; /* stdin bytes the master has not taken yet */
  size_t in_len, in_off;
};

/* Our terminal's size onto the pty; not an error when we have no terminal. */
static void
copy_winsize (int master)
{
  struct winsize ws;

  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
    return;
  if (ioctl (master, TIOCSWINSZ, &ws) < 0)
    log_debug ("TIOCSWINSZ on the pty master: %s", strerror (errno));
}

/* stdout may be non-blocking (shared with a caller); wait rather than drop. */
static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EAGAIN)
        {
          struct pollfd p = { .fd = fd, .events = POLLOUT };
          poll (&p, 1, -1);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Master -> stdout until it would block.  Returns 1 once the slave side is
   gone (EIO, as Linux reports it, or end of file), 0 otherwise. */
static int
drain_master (struct proxy *p, struct hako_err **err)
{
  char buf[8192];

  for (;;)
    {
      ssize_t n = read (p->master, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n == 0 || (n < 0 && errno == EIO))
        return 1;
      if (n < 0)
        return hako_error (err, errno, "read the pty master");
      if (write_all (STDOUT_FILENO, buf, (size_t) n) < 0)
        return hako_error (err, errno, "write to stdout");
    }
}

static void
read_stdin (struct proxy *p)
{
  ssize_t n = read (STDIN_FILENO, p->in, sizeof (p->in));

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  /* End of our input (or a hung-up terminal, EIO) is not the end of the
     session: the container may still have output (`echo ls | hako run`),
     so stop reading stdin and keep draining the master. */
  if (n <= 0)
    {
      if (n < 0)
        log_debug ("read stdin: %s", strerror (errno));
      p->stdin_open = false;
      return;
    }
  p->in_len = (size_t) n;
  p->in_off = 0;
}

static int
feed_master (struct proxy *p, struct hako_err **err)
{
  ssize_t n = write (p->master, p->in + p->in_off, p->in_len - p->in_off);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n < 0 && errno == EIO)
    return p->in_len = 0, 0; /* the slave is gone: drain_master ends the loop */
  if (n < 0)
    return hako_error (err, errno, "write to the pty master");
  p->in_off += (size_t) n;
  if (p->in_off == p->in_len)
    p->in_len = p->in_off = 0;
  return 0;
}

static void
consume_sigwinch (struct proxy *p)
{
  struct signalfd_siginfo si;

  while (read (p->sigfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    ;
  copy_winsize (p->master);
}

/* One round of poll; returns 1 when the session is over. */
static int
proxy_step (struct proxy *p, struct hako_err **err)
{
  struct pollfd pfd[4];
  int nfds = 0, r;

  pfd[nfds++] = (struct pollfd){ .fd = p->master, .events = POLLIN | (p->in_len ? POLLOUT : 0) };
  pfd[nfds++] = (struct pollfd){ .fd = p->sigfd, .events = POLLIN };
  pfd[nfds++] = (struct pollfd){ .fd = p->pidfd >= 0 && !p->child_exited ? p->pidfd : -1, .events = POLLIN };
  pfd[nfds++] = (struct pollfd){ .fd = p->stdin_open && !p->in_len ? STDIN_FILENO : -1, .events = POLLIN };
  if (poll (pfd, nfds, -1) < 0)
    return errno == EINTR ? 0 : hako_error (err, errno, "poll");
  if (pfd[1].revents)
    consume_sigwinch (p);
  if (pfd[3].revents)
    read_stdin (p);
  if (p->in_len && feed_master (p, err) < 0)
    return -1;
  /* The container's main process has exited: whatever it wrote is already
     in the pty, so one last drain, even if a leftover process keeps the
     slave open. */
  if (pfd[2].revents)
    p->child_exited = true;
  r = drain_master (p, err);
  if (r != 0)
    return r;
  return p->child_exited ? 1 : 0;
}

static int
proxy_loop (struct proxy *p, struct hako_err **err)
{
  int r;

  while ((r = proxy_step (p, err)) == 0)
    ;
  return r < 0 ? -1 : 0;
}

int
hako_terminal_proxy (int master_fd, int pidfd, struct hako_err **err)
{
  struct proxy p = { .master = master_fd, .pidfd = pidfd, .stdin_open = true };
  struct termios saved, raw;
  bool restore_tty = false;
  sigset_t winch, old_mask;
  int master_flags, ret;

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      raw = saved;
      cfmakeraw (&raw);
      restore_tty = tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  /* SIGWINCH is blocked and read from a signalfd, so the poll loop sees it
     with no handler and no self-pipe. */
  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  sigprocmask (SIG_BLOCK, &winch, &old_mask);
  p.sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
  /* Non-blocking: a container that stops reading its input must not stall
     its output behind our write. */
  master_flags = fcntl (master_fd, F_GETFL);
  fcntl (master_fd, F_SETFL, master_flags | O_NONBLOCK);
  copy_winsize (master_fd);

  if (p.sigfd < 0)
    ret = hako_error (err, errno, "signalfd SIGWINCH");
  else
    ret = proxy_loop (&p, err);

  fcntl (master_fd, F_SETFL, master_flags);
  if (p.sigfd >= 0)
    close (p.sigfd);
  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  if (restore_tty)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  return ret;
}
