/* SPDX-License-Identifier: Apache-2.0 */
/* The client side of attach: our stdio <-> the monitor's socket. */
#include "engine.h"
#include "internal.h"
#include "rt.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int
connect_attach (const struct eng_ctx *e, const char *id, struct hako_err **err)
{
  cleanup_free char *path = eng_attach_path (e, id);
  struct sockaddr_un addr;
  int dfd;
  if (eng_unix_addr (path, &addr, &dfd) < 0)
    return hako_error (err, ENOENT, "attach `%.12s`: the container is not running", id);
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int r = s < 0 ? -1 : connect (s, (struct sockaddr *) &addr, sizeof (addr));
  int saved = errno;
  if (dfd >= 0)
    close (dfd);
  if (r < 0)
    {
      if (s >= 0)
        close (s);
      return hako_error (err, saved, "attach `%.12s`: connect to its monitor", id);
    }
  return s;
}

static void
send_size (int sock)
{
  struct winsize ws;
  if (ioctl (0, TIOCGWINSZ, &ws) < 0 && ioctl (1, TIOCGWINSZ, &ws) < 0)
    return;
  unsigned char b[4] = { (unsigned char) (ws.ws_row >> 8), (unsigned char) ws.ws_row,
                         (unsigned char) (ws.ws_col >> 8), (unsigned char) ws.ws_col };
  eng_frame_write (sock, ENG_FRAME_RESIZE, b, 4);
}

int
eng_attach (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_attach_opts *o, int *code,
            struct hako_err **err)
{
  int sock = connect_attach (e, c->id, err);
  if (sock < 0)
    return -1;
  struct termios saved_tio;
  bool raw = false;
  if (o->tty && isatty (0))
    {
      struct termios t;
      if (tcgetattr (0, &saved_tio) == 0)
        {
          t = saved_tio;
          cfmakeraw (&t);
          t.c_oflag |= OPOST; /* keep our own output readable */
          raw = tcsetattr (0, TCSANOW, &t) == 0;
        }
    }
  if (o->tty)
    send_size (sock);

  sigset_t mask, old;
  sigemptyset (&mask);
  sigaddset (&mask, SIGWINCH);
  if (o->proxy_signals)
    {
      static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
      for (size_t i = 0; i < sizeof (fwd) / sizeof (fwd[0]); i++)
        sigaddset (&mask, fwd[i]);
    }
  sigprocmask (SIG_BLOCK, &mask, &old);
  int sfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  signal (SIGPIPE, SIG_IGN);

  bool stdin_open = o->stdin_;
  bool got_exit = false;
  int ret = 0;
  *code = 0;
  for (;;)
    {
      struct pollfd pf[3] = { { .fd = sock, .events = POLLIN },
                              { .fd = sfd, .events = POLLIN },
                              { .fd = stdin_open ? 0 : -1, .events = POLLIN } };
      int k = poll (pf, 3, -1);
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0)
        break;
      if (pf[1].revents)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof (si)) == sizeof (si))
            {
              if ((int) si.ssi_signo == SIGWINCH)
                send_size (sock);
              else
                eng_rt_kill (e, c, (int) si.ssi_signo, NULL);
            }
        }
      if (pf[2].revents)
        {
          char buf[8192];
          ssize_t n = read (0, buf, sizeof (buf));
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              stdin_open = false;
              eng_frame_write (sock, ENG_FRAME_STDIN_EOF, NULL, 0);
            }
          else
            eng_frame_write (sock, ENG_FRAME_STDIN, buf, (size_t) n);
        }
      if (pf[0].revents)
        {
          enum eng_frame type;
          char *data = NULL;
          size_t len = 0;
          int r = eng_frame_read (sock, &type, &data, &len);
          if (r <= 0)
            break;
          if (type == ENG_FRAME_STDOUT)
            hako_write_all (1, data, len);
          else if (type == ENG_FRAME_STDERR)
            hako_write_all (2, data, len);
          else if (type == ENG_FRAME_EXIT)
            {
              *code = atoi (data);
              got_exit = true;
            }
          else if (type == ENG_FRAME_ERROR)
            {
              if (!*err)
                hako_error (err, 0, "%s", data);
              ret = -1;
            }
          free (data);
          if (got_exit)
            break;
        }
    }
  if (raw)
    tcsetattr (0, TCSANOW, &saved_tio);
  close (sock);
  close (sfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (!got_exit)
    {
      /* The monitor went away without a word: the record knows. */
      if (eng_ctr_reload (c, NULL) == 0)
        *code = eng_ctr_exit_code (c);
    }
  return ret;
}
