/* SPDX-License-Identifier: Apache-2.0 */
/* The per-container monitor: the container's parent (a subreaper), what
   conmon is to podman, without a second program.  It

   - mounts the rootfs and creates + starts the container through the
     runtime library with pipes (or a pty) as the container's stdio,
   - copies the output to the json-file log and to attached clients, and
     their input to the container's stdin,
   - records the exit code and time, unmounts, runs `--rm` cleanup,
   - exits.  It survives the `hako` command that spawned it (setsid). */
#include "engine.h"
#include "internal.h"
#include "logfile.h"
#include "network.h"
#include "rt.h"
#include "../image/snapshot.h"
#include "../image/store.h"
#include "../runtime/terminal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

void eng_monitor_report (int fd, pid_t pid, const struct hako_err *err);

#define MAX_CLIENTS 32

int
eng_unix_addr (const char *path, struct sockaddr_un *addr, int *dirfd_out)
{
  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;
  *dirfd_out = -1;
  if (strlen (path) < sizeof (addr->sun_path))
    {
      strcpy (addr->sun_path, path);
      return 0;
    }
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (!slash)
    return -1;
  *slash = '\0';
  int fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  *dirfd_out = fd;
  snprintf (addr->sun_path, sizeof (addr->sun_path), "/proc/self/fd/%d/%s", fd, slash + 1);
  return 0;
}

int
eng_frame_write (int fd, enum eng_frame type, const void *data, size_t len)
{
  unsigned char h[5] = { (unsigned char) type, (unsigned char) (len >> 24), (unsigned char) (len >> 16),
                         (unsigned char) (len >> 8), (unsigned char) len };
  struct iovec iov[2] = { { h, 5 }, { (void *) data, len } };
  size_t total = 5 + len, done = 0;
  while (done < total)
    {
      ssize_t n = writev (fd, iov, 2);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      done += (size_t) n;
      for (int i = 0; i < 2 && n > 0; i++)
        {
          size_t take = (size_t) n < iov[i].iov_len ? (size_t) n : iov[i].iov_len;
          iov[i].iov_base = (char *) iov[i].iov_base + take;
          iov[i].iov_len -= take;
          n -= (ssize_t) take;
        }
    }
  return 0;
}

static int
read_full (int fd, void *buf, size_t len)
{
  size_t done = 0;
  while (done < len)
    {
      ssize_t n = read (fd, (char *) buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n == 0 && done == 0 ? 0 : -1;
      done += (size_t) n;
    }
  return 1;
}

int
eng_frame_read (int fd, enum eng_frame *type, char **data, size_t *len)
{
  unsigned char h[5];
  int r = read_full (fd, h, 5);
  if (r <= 0)
    return r;
  size_t n = ((size_t) h[1] << 24) | ((size_t) h[2] << 16) | ((size_t) h[3] << 8) | h[4];
  if (n > (1u << 24))
    return -1;
  char *buf = xmalloc (n + 1);
  if (n && read_full (fd, buf, n) != 1)
    {
      free (buf);
      return -1;
    }
  buf[n] = '\0';
  *type = (enum eng_frame) h[0];
  *data = buf;
  *len = n;
  return 1;
}

/* The loopback of a new network namespace is down; docker's containers see
   it up (--network none included).  A socket belongs to the namespace it
   was made in: enter the container's, make one, come back, and set the
   flag through it (no fork). */
static void
loopback_up (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof (path), "/proc/%d/ns/net", pid);
  struct stat a, b;
  if (stat (path, &a) < 0 || stat ("/proc/self/ns/net", &b) < 0 || a.st_ino == b.st_ino)
    return; /* --network host */
  int self = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int theirs = open (path, O_RDONLY | O_CLOEXEC);
  int s = -1;
  if (self >= 0 && theirs >= 0 && setns (theirs, CLONE_NEWNET) == 0)
    {
      s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (setns (self, CLONE_NEWNET) < 0)
        _exit (1); /* never go on in the container's namespace */
    }
  if (s >= 0)
    {
      struct ifreq ifr = { 0 };
      strcpy (ifr.ifr_name, "lo");
      if (ioctl (s, SIOCGIFFLAGS, &ifr) == 0)
        {
          ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
          ioctl (s, SIOCSIFFLAGS, &ifr);
        }
      close (s);
    }
  if (self >= 0)
    close (self);
  if (theirs >= 0)
    close (theirs);
}

struct mon
{
  struct eng_ctx e;
  struct eng_ctr *c;
  struct eng_logw log;
  int out, errfd, master; /* container output: pipes, or the pty master */
  int in;                 /* container stdin (write end), -1 */
  int listen;
  int clients[MAX_CLIENTS];
  size_t n_clients;
  pid_t pid;
  bool tty, stdin_once;
};

static void
broadcast (struct mon *m, enum eng_frame type, const char *data, size_t len)
{
  for (size_t i = 0; i < m->n_clients; i++)
    if (m->clients[i] >= 0 && eng_frame_write (m->clients[i], type, data, len) < 0)
      {
        close (m->clients[i]);
        m->clients[i] = -1;
      }
}

static void
close_stdin (struct mon *m)
{
  if (m->in >= 0 && m->in != m->master)
    close (m->in);
  m->in = -1;
}

/* One frame from client i. */
static void
client_input (struct mon *m, size_t i)
{
  enum eng_frame type;
  char *data = NULL;
  size_t len = 0;
  int r = eng_frame_read (m->clients[i], &type, &data, &len);
  if (r <= 0)
    {
      close (m->clients[i]);
      m->clients[i] = -1;
      return;
    }
  switch (type)
    {
    case ENG_FRAME_STDIN:
      if (m->in >= 0 && hako_write_all (m->in, data, len) < 0)
        close_stdin (m);
      break;
    case ENG_FRAME_STDIN_EOF:
      if (m->tty)
        {
          /* A pty has no half-close: an EOF character ends a read. */
          if (m->master >= 0)
            hako_write_all (m->master, "\004", 1);
        }
      else if (m->stdin_once)
        close_stdin (m);
      break;
    case ENG_FRAME_RESIZE:
      if (m->master >= 0 && len == 4)
        {
          struct winsize ws
              = { .ws_row = (unsigned short) (((unsigned char) data[0] << 8) | (unsigned char) data[1]),
                  .ws_col = (unsigned short) (((unsigned char) data[2] << 8) | (unsigned char) data[3]) };
          ioctl (m->master, TIOCSWINSZ, &ws);
        }
      break;
    default:
      break;
    }
  free (data);
}

static void
accept_client (struct mon *m)
{
  int fd = accept4 (m->listen, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  for (size_t i = 0; i < m->n_clients; i++)
    if (m->clients[i] < 0)
      {
        m->clients[i] = fd;
        return;
      }
  if (m->n_clients < MAX_CLIENTS)
    m->clients[m->n_clients++] = fd;
  else
    close (fd);
}

/* Read what is there; false at EOF (or EIO of a pty whose slave closed). */
static bool
pump (struct mon *m, int fd, int stream)
{
  char buf[32768];
  ssize_t n = read (fd, buf, sizeof (buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  eng_logw_write (&m->log, stream, buf, (size_t) n);
  broadcast (m, stream == 2 ? ENG_FRAME_STDERR : ENG_FRAME_STDOUT, buf, (size_t) n);
  return true;
}

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* Translate the runtime's exec errors to docker's codes. */
int
eng_exit_code_for_error (const struct hako_err *err)
{
  if (strstr (err->msg, "not found") || strstr (err->msg, "no such file") || err->errno_ == ENOENT)
    return ENG_EXIT_NOT_FOUND;
  if (err->errno_ == EACCES || err->errno_ == ENOEXEC || strstr (err->msg, "ermission denied"))
    return ENG_EXIT_CANNOT_INVOKE;
  return ENG_EXIT_ENGINE;
}

static void
record (struct mon *m, const char *status, pid_t pid, int code, const char *error, bool started)
{
  struct hako_err *err = NULL;
  int lock = eng_ctr_lock (m->c, &err);
  if (lock >= 0 && eng_ctr_reload (m->c, &err) == 0)
    {
      eng_ctr_set_state (m->c, status, pid, code, error);
      json_t *s = json_object_get (m->c->j, "State");
      if (started)
        {
          cleanup_free char *now = eng_now ();
          json_object_set_new (s, "StartedAt", json_string (now));
          json_object_set_new (s, "FinishedAt", json_string ("0001-01-01T00:00:00Z"));
          json_object_set_new (s, "OOMKilled", json_false ());
        }
      json_t *h = json_object_get (m->c->j, "Hako");
      json_object_set_new (h, "MonitorPid", json_integer (getpid ()));
      json_object_set_new (h, "MonitorStartTime",
                           json_integer ((json_int_t) eng_proc_start_time (getpid ())));
      eng_ctr_save (m->c, &err);
    }
  if (err)
    {
      hako_log_error (err);
      hako_error_free (&err);
    }
  if (lock >= 0)
    close (lock);
}

int
eng_unix_listen (const char *path, int backlog, struct hako_err **err)
{
  struct sockaddr_un addr;
  int dfd;
  unlink (path);
  if (eng_unix_addr (path, &addr, &dfd) < 0)
    return hako_error (err, ENAMETOOLONG, "socket path `%s`", path);
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || bind (s, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (s, backlog) < 0)
    {
      int saved = errno;
      if (s >= 0)
        close (s);
      if (dfd >= 0)
        close (dfd);
      return hako_error (err, saved, "listen on `%s`", path);
    }
  if (dfd >= 0)
    close (dfd);
  chmod (path, 0600);
  return s;
}

/* The container's stdio while the runtime creates it: pipes, or a console
   socket the runtime sends the pty master to. */
static int
setup_stdio (struct mon *m, const char *rundir, char **console_path, int *console_listen, int saved[3],
             struct hako_err **err)
{
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
  *console_listen = -1;
  if (m->tty)
    {
      *console_path = hako_path_join (rundir, "console.sock");
      *console_listen = eng_unix_listen (*console_path, 1, err);
      if (*console_listen < 0)
        return -1;
    }
  else
    {
      if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (er, O_CLOEXEC) < 0)
        return hako_error (err, errno, "pipe");
      json_t *cfg = json_object_get (m->c->j, "Config");
      if (json_is_true (json_object_get (cfg, "OpenStdin")) && pipe2 (in, O_CLOEXEC) < 0)
        return hako_error (err, errno, "pipe");
    }
  for (int i = 0; i < 3; i++)
    saved[i] = fcntl (i, F_DUPFD_CLOEXEC, 10);
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  dup2 (in[0] >= 0 ? in[0] : devnull, 0);
  dup2 (out[1] >= 0 ? out[1] : devnull, 1);
  dup2 (er[1] >= 0 ? er[1] : devnull, 2);
  close (devnull);
  m->out = out[0];
  m->errfd = er[0];
  m->in = in[1];
  if (in[0] >= 0)
    close (in[0]);
  if (out[1] >= 0)
    close (out[1]);
  if (er[1] >= 0)
    close (er[1]);
  return 0;
}

static void
restore_stdio (int saved[3])
{
  for (int i = 0; i < 3; i++)
    if (saved[i] >= 0)
      {
        dup2 (saved[i], i);
        close (saved[i]);
      }
}

/* After the container exited (or failed to start): record, clean, --rm,
   and only then tell the caller (report_fd, with `report_err`) and the
   attached clients: `hako run --rm` returns with the container gone, and
   `inspect` right after a failed start shows the exit code (docker leaves
   such a container "created"; hako says "exited", with the code). */
static void __attribute__ ((noreturn))
finish (struct mon *m, int code, const char *error, int report_fd, const struct hako_err *report_err)
{
  bool remove = json_is_true (json_object_get (json_object_get (m->c->j, "HostConfig"), "AutoRemove"));
  /* With --rm the log and the record are about to go: no fsync. */
  eng_logw_close (&m->log, !remove);
  eng_runtime_cleanup (&m->e, m->c, !remove);
  if (remove)
    {
      struct hako_err *err = NULL;
      eng_ctr_set_state (m->c, "exited", 0, code, error); /* in memory: rm refuses a running one */
      if (eng_remove (&m->e, m->c, false, true, &err) < 0)
        {
          hako_log_error (err);
          hako_error_free (&err);
        }
    }
  else
    record (m, "exited", 0, code, error, false);
  if (report_fd >= 0)
    eng_monitor_report (report_fd, 0, report_err);
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%d", code);
  if (error)
    broadcast (m, ENG_FRAME_ERROR, error, strlen (error));
  broadcast (m, ENG_FRAME_EXIT, buf, (size_t) n);
  for (size_t i = 0; i < m->n_clients; i++)
    if (m->clients[i] >= 0)
      close (m->clients[i]);
  _exit (0);
}

void
eng_monitor_main (const struct eng_ctx *parent, const char *id, bool wait_attach, int ready_fd,
                  int client_pidfd)
{
  static struct mon mon;
  struct mon *m = &mon;
  struct hako_err *err = NULL;
  /* Declared before the first goto: the labels at the end are in their
     scope (the paths there _exit, but a jump must not skip an init). */
  cleanup_free char *mlog = NULL, *rundir = NULL, *logpath = NULL, *console = NULL, *sock = NULL;
  m->in = m->out = m->errfd = m->master = m->listen = -1;
  m->e = *parent;

  /* Nothing of the caller's but the report pipe (3) and the caller's
     pidfd (4; -1 when the kernel has no pidfd_open). */
  if (ready_fd != 3)
    {
      dup2 (ready_fd, 3);
      ready_fd = 3;
    }
  fcntl (3, F_SETFD, FD_CLOEXEC);
  if (client_pidfd >= 0 && client_pidfd != 4)
    {
      dup2 (client_pidfd, 4);
      client_pidfd = 4;
    }
  if (client_pidfd >= 0)
    fcntl (4, F_SETFD, FD_CLOEXEC);
  syscall (SYS_close_range, client_pidfd >= 0 ? 5 : 4, ~0U, 0);
  int devnull = open ("/dev/null", O_RDWR);
  dup2 (devnull, 0);
  dup2 (devnull, 1);
  if (devnull > 2)
    close (devnull);
  /* Dispositions are inherited through exec: the container must start
     with the defaults (a shell cannot trap what it found ignored), so the
     monitor ignores only SIGPIPE, which the runtime resets. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  signal (SIGPIPE, SIG_IGN);

  struct img_store *store = NULL;
  if (img_store_open (parent->storage, &store, &err) < 0)
    goto early;
  m->e.store = store;
  if (eng_ctr_find (&m->e, id, &m->c, &err) < 0)
    goto early;
  /* The monitor's own messages (teardown errors) go next to the record. */
  mlog = hako_path_join (m->c->dir, "monitor.log");
  int lfd = open (mlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (lfd >= 0)
    {
      dup2 (lfd, 2);
      close (lfd);
    }
  rundir = hako_path_join (m->e.run_root, id);
  if (hako_mkdir_p (rundir, 0700, &err) < 0)
    goto early;
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  json_t *cfg = json_object_get (m->c->j, "Config");
  m->tty = json_is_true (json_object_get (cfg, "Tty"));
  m->stdin_once = json_is_true (json_object_get (cfg, "StdinOnce"));

  json_t *logcfg
      = json_object_get (json_object_get (json_object_get (m->c->j, "HostConfig"), "LogConfig"), "Config");
  int64_t max_size = 0;
  int max_file = 1;
  const char *ms = json_string_value (json_object_get (logcfg, "max-size"));
  const char *mf = json_string_value (json_object_get (logcfg, "max-file"));
  if (ms && eng_parse_bytes (ms, &max_size, &err) < 0)
    goto early;
  if (mf)
    max_file = atoi (mf);
  logpath = eng_log_path (m->c);
  if (eng_logw_open (&m->log, logpath, max_size, max_file, &err) < 0)
    goto early;

  if (img_snapshot_mount (store, id, NULL, &err) < 0)
    goto early;

  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  int sfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  int console_listen = -1, saved[3] = { -1, -1, -1 };
  if (setup_stdio (m, rundir, &console, &console_listen, saved, &err) < 0)
    {
      restore_stdio (saved);
      goto early;
    }
  pid_t pid = 0;
  int r = eng_rt_create (&m->e, m->c, console, &pid, &err);
  restore_stdio (saved);
  if (r < 0)
    {
      /* The command cannot run: an exited container with docker's code. */
      int code = eng_exit_code_for_error (err);
      cleanup_free char *msg = hako_error_string (err);
      finish (m, code, msg, ready_fd, err);
    }
  m->pid = pid;
  if (m->tty)
    {
      int conn = accept4 (console_listen, NULL, NULL, SOCK_CLOEXEC);
      char name[256];
      if (conn < 0 || hako_recv_fd (conn, &m->master, name, sizeof (name), &err) < 0)
        {
          if (!err)
            hako_error (&err, errno, "receive the terminal of the container");
          goto fail_created;
        }
      close (conn);
      close (console_listen);
      unlink (console);
      m->in = m->master;
      m->out = m->master;
    }
  loopback_up (pid);
  if (eng_net_attach (&m->e, m->c, pid, &err) < 0)
    goto fail_created;

  sock = eng_attach_path (&m->e, id);
  m->listen = eng_unix_listen (sock, 16, &err);
  if (m->listen < 0)
    goto fail_created;
  if (wait_attach)
    {
      /* The caller attaches first, so it misses no output. */
      eng_monitor_report (ready_fd, pid, NULL);
      /* Until it attaches, or dies (killed between our report and its
         connect): then the container starts without it, as docker's does
         when its client goes, and the monitor does not linger. */
      struct pollfd pf[2]
          = { { .fd = m->listen, .events = POLLIN }, { .fd = client_pidfd, .events = POLLIN } };
      if (poll (pf, 2, 60000) > 0 && (pf[0].revents & POLLIN))
        {
          accept_client (m);
          /* A terminal client sends its window size first: apply it
             before the command runs (`stty size` at once sees it). */
          struct pollfd cf = { .fd = m->n_clients ? m->clients[0] : -1, .events = POLLIN };
          if (m->tty && m->n_clients && poll (&cf, 1, 200) > 0)
            client_input (m, 0);
        }
    }
  if (client_pidfd >= 0)
    close (client_pidfd);
  if (eng_rt_start (&m->e, m->c, &err) < 0)
    goto fail_created;
  record (m, "running", pid, 0, NULL, true);
  broadcast (m, ENG_FRAME_STARTED, "", 0);
  if (!wait_attach)
    eng_monitor_report (ready_fd, pid, NULL);
  close (ready_fd);

  if (m->out >= 0)
    fcntl (m->out, F_SETFL, O_NONBLOCK);
  if (m->errfd >= 0)
    fcntl (m->errfd, F_SETFL, O_NONBLOCK);
  bool exited = false;
  int code = 0;
  while (!exited || m->out >= 0 || m->errfd >= 0)
    {
      struct pollfd pf[4 + MAX_CLIENTS];
      size_t n = 0;
      pf[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      pf[n++] = (struct pollfd){ .fd = m->listen, .events = POLLIN };
      pf[n++] = (struct pollfd){ .fd = m->out, .events = POLLIN };
      pf[n++] = (struct pollfd){ .fd = m->errfd, .events = POLLIN };
      for (size_t i = 0; i < m->n_clients; i++)
        pf[n++] = (struct pollfd){ .fd = m->clients[i], .events = POLLIN };
      /* Once the container is gone, drain what is buffered and stop:
         a process that escaped the pid namespace (--pid host) may keep a
         pipe open. */
      int timeout = exited ? 0 : -1;
      int k = poll (pf, n, timeout);
      if (k < 0 && errno == EINTR)
        continue;
      if (k == 0 && exited)
        break;
      if (pf[0].revents)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof (si)) > 0)
            ;
          int status;
          pid_t w;
          while ((w = waitpid (-1, &status, WNOHANG)) > 0)
            if (w == pid)
              {
                exited = true;
                code = exit_code_of (status);
              }
        }
      if (pf[1].revents & POLLIN)
        accept_client (m);
      if (pf[2].revents && !pump (m, m->out, 1))
        {
          if (m->out != m->master)
            close (m->out);
          m->out = -1;
        }
      if (pf[3].revents && !pump (m, m->errfd, 2))
        {
          close (m->errfd);
          m->errfd = -1;
        }
      for (size_t i = 0; i < m->n_clients; i++)
        if (m->clients[i] >= 0 && pf[4 + i].revents)
          client_input (m, i);
    }
  /* A --rm container leaves its exit code to the clients only. */
  finish (m, code, NULL, -1, NULL);

fail_created:
  {
    cleanup_free char *msg = hako_error_string (err);
    eng_rt_kill (&m->e, m->c, SIGKILL, NULL);
    finish (m, ENG_EXIT_ENGINE, msg, ready_fd, err);
  }
early:
  if (m->c)
    {
      cleanup_free char *msg = hako_error_string (err);
      img_snapshot_unmount (store, id, NULL);
      record (m, "exited", 0, ENG_EXIT_ENGINE, msg, false);
    }
  eng_monitor_report (ready_fd, 0, err);
  _exit (1);
}
