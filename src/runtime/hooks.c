/* SPDX-License-Identifier: Apache-2.0 */
/* OCI hooks (config.md "POSIX-platform Hooks"): fork + execve, the state on
   stdin, a timeout enforced with a pidfd. */
#include "hooks.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Older libc headers; the numbers are the same on every architecture. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* How often to look at the child when the kernel has no pidfd_open (< 5.3). */
#define HOOK_POLL_FALLBACK_MS 20

/* In the forked child: never returns.  Reports an execve failure through
   `errfd` (close-on-exec, so a successful execve just closes it). */
static void __attribute__ ((noreturn)) hook_child (const struct oci_hook *h, int stdin_fd, int errfd)
{
  char *default_argv[] = { h->path, NULL };
  char *empty_env[] = { NULL };
  char *const *argv = h->n_args > 0 ? h->args : default_argv;
  char *const *envp = h->env ? h->env : empty_env;
  sigset_t none;
  int e;

  /* The runtime may block signals (SIGCHLD, SIGWINCH for a signalfd) or
     ignore SIGPIPE; a hook starts from the defaults. */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  /* dup2 onto itself would keep O_CLOEXEC (when the runtime ran with fd 0
     closed, the pipe may be fd 0). */
  if (stdin_fd == STDIN_FILENO)
    fcntl (stdin_fd, F_SETFD, 0);
  else if (dup2 (stdin_fd, STDIN_FILENO) < 0)
    _exit (127);
  if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0)
    _exit (127);
  execve (h->path, argv, envp);
  e = errno;
  if (write (errfd, &e, sizeof (e)) < 0)
    _exit (127);
  _exit (127);
}

/* A hook that exits without reading its stdin must not take the runtime
   down with SIGPIPE: block it around the write, and swallow the one our
   EPIPE raised (unless one was already pending for someone else). */
static ssize_t
write_nosigpipe (int fd, const char *buf, size_t len)
{
  sigset_t pipe_set, old, pending;
  struct timespec zero = { 0, 0 };
  bool was_pending;
  ssize_t n;
  int saved;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &old);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  n = write (fd, buf, len);
  saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending)
    sigtimedwait (&pipe_set, NULL, &zero);
  sigprocmask (SIG_SETMASK, &old, NULL);
  errno = saved;
  return n;
}

struct hook_run
{
  pid_t pid;
  int pidfd;        /* -1 without pidfd_open */
  int wfd;          /* our end of the hook's stdin, -1 once done */
  const char *data; /* the state JSON still to write */
  size_t left;
};

/* Feed the hook as much as the pipe takes now; close it when done or when
   the hook stops reading (EPIPE: its business, not an error). */
static void
feed_stdin (struct hook_run *r)
{
  while (r->left > 0)
    {
      ssize_t n = write_nosigpipe (r->wfd, r->data, r->left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        break;
      r->data += n;
      r->left -= (size_t) n;
    }
  close (r->wfd);
  r->wfd = -1;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the hook, writing its stdin meanwhile.  Returns 0 with *status
   once reaped, 1 if the deadline (< 0: none) passed first, < 0 on error. */
static int
wait_hook (struct hook_run *r, int64_t deadline, int *status)
{
  for (;;)
    {
      struct pollfd pfd[2];
      int nfds = 0, timeout = -1;
      pid_t w = waitpid (r->pid, status, WNOHANG);

      if (w == r->pid)
        return 0;
      if (w < 0 && errno != EINTR)
        return -1;
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            return 1;
          timeout = (int) left;
        }
      if (r->pidfd >= 0)
        pfd[nfds++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
      else if (timeout < 0 || timeout > HOOK_POLL_FALLBACK_MS)
        timeout = HOOK_POLL_FALLBACK_MS;
      if (r->wfd >= 0)
        pfd[nfds++] = (struct pollfd){ .fd = r->wfd, .events = POLLOUT };
      if (poll (pfd, nfds, timeout) < 0 && errno != EINTR)
        return -1;
      if (r->wfd >= 0)
        feed_stdin (r);
    }
}

static int
hook_status_error (int status, const char *stage, size_t i, const char *path, struct hako_err **err)
{
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status))
    return hako_error (err, 0, "%s hook %zu `%s`: exit status %d", stage, i, path, WEXITSTATUS (status));
  return hako_error (err, 0, "%s hook %zu `%s`: killed by signal %d", stage, i, path, WTERMSIG (status));
}

/* Did the child's execve fail?  The error pipe carries its errno if so. */
static int
exec_errno (int errfd)
{
  int e = 0;
  ssize_t n;

  do
    n = read (errfd, &e, sizeof (e));
  while (n < 0 && errno == EINTR);
  return n == (ssize_t) sizeof (e) ? e : 0;
}

static int
spawn_hook (const struct oci_hook *h, struct hook_run *r, int *errfd, struct hako_err **err)
{
  int in[2], ep[2];

  if (pipe2 (in, O_CLOEXEC) < 0)
    return hako_error (err, errno, "pipe");
  if (pipe2 (ep, O_CLOEXEC) < 0)
    {
      close (in[0]), close (in[1]);
      return hako_error (err, errno, "pipe");
    }
  r->pid = fork ();
  if (r->pid == 0)
    hook_child (h, in[0], ep[1]);
  close (in[0]);
  close (ep[1]);
  if (r->pid < 0)
    {
      close (in[1]), close (ep[0]);
      return hako_error (err, errno, "fork");
    }
  r->wfd = in[1];
  fcntl (r->wfd, F_SETFL, O_NONBLOCK);
  *errfd = ep[0];
  r->pidfd = (int) syscall (SYS_pidfd_open, r->pid, 0);
  return 0;
}

static int
run_hook (const struct oci_hook *h, size_t i, const char *stage, const char *state, struct hako_err **err)
{
  struct hook_run r
      = { .pid = -1, .pidfd = -1, .wfd = -1, .data = state, .left = state ? strlen (state) : 0 };
  cleanup_close int errfd = -1;
  int64_t deadline = h->has_timeout && h->timeout > 0 ? now_ms () + h->timeout * 1000LL : -1;
  int status = 0, ret, e;

  log_debug ("running %s hook %zu `%s`", stage, i, h->path);
  if (spawn_hook (h, &r, &errfd, err) < 0)
    return -1;
  ret = wait_hook (&r, deadline, &status);
  if (ret == 1)
    {
      /* Kill through the pidfd when we have one: the pid cannot have been
         recycled under it. */
      if (r.pidfd < 0 || syscall (SYS_pidfd_send_signal, r.pidfd, SIGKILL, NULL, 0) < 0)
        kill (r.pid, SIGKILL);
      while (waitpid (r.pid, &status, 0) < 0 && errno == EINTR)
        ;
    }
  e = errno;
  if (r.wfd >= 0)
    close (r.wfd);
  if (r.pidfd >= 0)
    close (r.pidfd);
  if (ret < 0)
    return hako_error (err, e, "%s hook %zu `%s`: wait", stage, i, h->path);
  if (ret == 1)
    return hako_error (err, 0, "%s hook %zu `%s`: timed out after %ds", stage, i, h->path, (int) h->timeout);
  if ((e = exec_errno (errfd)) != 0)
    return hako_error (err, e, "%s hook %zu `%s`: execve", stage, i, h->path);
  return hook_status_error (status, stage, i, h->path, err);
}

int
hako_hooks_run (const struct oci_hook *hooks, size_t n, const char *stage, const char *state_json,
                struct hako_err **err)
{
  for (size_t i = 0; i < n; i++)
    if (run_hook (&hooks[i], i, stage, state_json, err) < 0)
      return -1;
  return 0;
}
