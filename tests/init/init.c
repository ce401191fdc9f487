/* tests/init: the helper the integration tests put in the test rootfs as /init,
   so that a container can report on itself without a distribution image
   (the idea of crun's tests/init).  Each subcommand prints one small,
   line-oriented answer on stdout; failures go to stderr as
   "init: WHAT: ERRNO_NAME (message)" with exit status 1.

   The same static binary also runs on the host for two jobs a shell cannot
   do well: `recvtty SOCKET` (the receiving end of --console-socket) and
   `pty CMD...` (run a command with a fresh controlling terminal).

   Built with -static: it must not need anything from the rootfs, and the
   tests count its fds, so it opens nothing it does not close.  */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Every subcommand has main's signature; most ignore their arguments.  */
#pragma GCC diagnostic ignored "-Wunused-parameter"

static const char *
errname (int e)
{
  const char *n = strerrorname_np (e);
  return n ? n : "E?";
}

static int
fail (const char *fmt, ...)
{
  int e = errno;
  va_list ap;

  fputs ("init: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  if (e)
    fprintf (stderr, ": %s (%s)", errname (e), strerror (e));
  fputc ('\n', stderr);
  return 1;
}

static int
usage_error (const char *cmd, const char *what)
{
  errno = 0;
  return fail ("%s: usage: %s", cmd, what);
}

/* Copy a whole file to stdout; used for the /proc files the tests parse.  */
static int
cat_file (const char *path)
{
  char buf[8192];
  ssize_t n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return fail ("open `%s`", path);
  fflush (stdout);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    {
      ssize_t off = 0;
      while (off < n)
        {
          ssize_t w = write (STDOUT_FILENO, buf + off, n - off);
          if (w < 0)
            {
              close (fd);
              return fail ("write stdout");
            }
          off += w;
        }
    }
  if (n < 0)
    {
      int e = errno;
      close (fd);
      errno = e;
      return fail ("read `%s`", path);
    }
  close (fd);
  return 0;
}

/* Print the lines of /proc/self/status whose key starts with one of PREFIXES.  */
static int
status_lines (const char *const *prefixes)
{
  char line[512];
  FILE *f = fopen ("/proc/self/status", "re");

  if (f == NULL)
    return fail ("open /proc/self/status");
  while (fgets (line, sizeof line, f))
    for (const char *const *p = prefixes; *p; p++)
      if (strncmp (line, *p, strlen (*p)) == 0)
        fputs (line, stdout);
  fclose (f);
  return 0;
}

static const struct
{
  const char *name;
  int num;
} signals[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },   { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "BUS", SIGBUS },     { "FPE", SIGFPE },
  { "KILL", SIGKILL },     { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },   { "USR2", SIGUSR2 },
  { "PIPE", SIGPIPE },     { "ALRM", SIGALRM }, { "TERM", SIGTERM },   { "CHLD", SIGCHLD },
  { "CONT", SIGCONT },     { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },
  { "TTOU", SIGTTOU },     { "URG", SIGURG },   { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
  { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
  { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

/* Accept "TERM", "SIGTERM" or "15".  */
static int
parse_signal (const char *s)
{
  char *end;
  long n = strtol (s, &end, 10);

  if (*s && *end == '\0')
    return n > 0 && n < NSIG ? (int) n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (s, signals[i].name) == 0)
      return signals[i].num;
  return -1;
}

static const char *
signal_name (int sig)
{
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (signals[i].num == sig)
      return signals[i].name;
  return "?";
}

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "CPU", RLIMIT_CPU },           { "FSIZE", RLIMIT_FSIZE },
  { "DATA", RLIMIT_DATA },         { "STACK", RLIMIT_STACK },
  { "CORE", RLIMIT_CORE },         { "RSS", RLIMIT_RSS },
  { "NPROC", RLIMIT_NPROC },       { "NOFILE", RLIMIT_NOFILE },
  { "MEMLOCK", RLIMIT_MEMLOCK },   { "AS", RLIMIT_AS },
  { "LOCKS", RLIMIT_LOCKS },       { "SIGPENDING", RLIMIT_SIGPENDING },
  { "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE },
  { "RTPRIO", RLIMIT_RTPRIO },     { "RTTIME", RLIMIT_RTTIME },
};

static void
print_rlim (rlim_t v, char sep)
{
  if (v == RLIM_INFINITY)
    printf ("unlimited%c", sep);
  else
    printf ("%llu%c", (unsigned long long) v, sep);
}

static int
cmd_rlimit (int argc, char **argv)
{
  const char *name;
  struct rlimit rl;

  if (argc < 2)
    return usage_error ("rlimit", "rlimit NAME (NOFILE or RLIMIT_NOFILE)");
  name = argv[1];
  if (strncasecmp (name, "RLIMIT_", 7) == 0)
    name += 7;
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    if (strcasecmp (name, rlimits[i].name) == 0)
      {
        if (getrlimit (rlimits[i].resource, &rl) < 0)
          return fail ("getrlimit %s", name);
        print_rlim (rl.rlim_cur, ' ');
        print_rlim (rl.rlim_max, '\n');
        return 0;
      }
  errno = EINVAL;
  return fail ("rlimit: unknown limit `%s`", argv[1]);
}

static int
cmd_ids (int argc, char **argv)
{
  gid_t groups[NGROUPS_MAX];
  int n = getgroups (NGROUPS_MAX, groups);

  if (n < 0)
    return fail ("getgroups");
  printf ("uid=%u gid=%u euid=%u egid=%u groups=", getuid (), getgid (), geteuid (), getegid ());
  for (int i = 0; i < n; i++)
    printf ("%s%u", i ? "," : "", groups[i]);
  putchar ('\n');
  return 0;
}

/* List the open fds as "N TARGET", leaving out the one opendir uses.  */
static int
cmd_fds (int argc, char **argv)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  int self;
  int fds[4096];
  size_t n = 0;

  if (d == NULL)
    return fail ("opendir /proc/self/fd");
  self = dirfd (d);
  while ((de = readdir (d)) != NULL && n < sizeof fds / sizeof fds[0])
    {
      if (de->d_name[0] == '.')
        continue;
      int fd = atoi (de->d_name);
      if (fd != self)
        fds[n++] = fd;
    }
  for (size_t i = 0; i < n; i++)
    {
      char path[64], target[PATH_MAX];
      ssize_t len;
      snprintf (path, sizeof path, "/proc/self/fd/%d", fds[i]);
      len = readlink (path, target, sizeof target - 1);
      if (len < 0)
        strcpy (target, "?");
      else
        target[len] = '\0';
      printf ("%d %s\n", fds[i], target);
    }
  closedir (d);
  return 0;
}

static int
cmd_ns (int argc, char **argv)
{
  char path[128], target[256];
  ssize_t len;

  if (argc < 2)
    return usage_error ("ns", "ns TYPE (pid net mnt ipc uts user cgroup time)");
  snprintf (path, sizeof path, "/proc/self/ns/%s", argv[1]);
  len = readlink (path, target, sizeof target - 1);
  if (len < 0)
    return fail ("readlink `%s`", path);
  target[len] = '\0';
  printf ("%s\n", target);
  return 0;
}

static int
cmd_umask (int argc, char **argv)
{
  mode_t m = umask (0);
  umask (m);
  printf ("%04o\n", (unsigned) m);
  return 0;
}

static int
cmd_env (int argc, char **argv)
{
  for (char **e = environ; *e; e++)
    printf ("%s\n", *e);
  return 0;
}

static int
cmd_sleep (int argc, char **argv)
{
  double secs = argc > 1 ? strtod (argv[1], NULL) : 3600;
  struct timespec ts = { .tv_sec = (time_t) secs, .tv_nsec = (long) ((secs - (time_t) secs) * 1e9) };

  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
  return 0;
}

static int
cmd_write (int argc, char **argv)
{
  int fd;
  size_t len;

  if (argc < 3)
    return usage_error ("write", "write FILE TEXT");
  fd = open (argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail ("open `%s`", argv[1]);
  len = strlen (argv[2]);
  if (write (fd, argv[2], len) != (ssize_t) len)
    {
      int e = errno;
      close (fd);
      errno = e;
      return fail ("write `%s`", argv[1]);
    }
  if (close (fd) < 0)
    return fail ("close `%s`", argv[1]);
  return 0;
}

static const char *
file_type (mode_t m)
{
  switch (m & S_IFMT)
    {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFCHR:
      return "chr";
    case S_IFBLK:
      return "blk";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "sock";
    case S_IFLNK:
      return "link";
    default:
      return "?";
    }
}

/* "TYPE MODE UID GID MAJOR:MINOR" of the path itself (lstat).  */
static int
cmd_stat (int argc, char **argv)
{
  struct stat st;

  if (argc < 2)
    return usage_error ("stat", "stat FILE");
  if (lstat (argv[1], &st) < 0)
    return fail ("stat `%s`", argv[1]);
  printf ("%s %04o %u %u %u:%u\n", file_type (st.st_mode), (unsigned) (st.st_mode & 07777), st.st_uid,
          st.st_gid, major (st.st_rdev), minor (st.st_rdev));
  return 0;
}

static int
cmd_readlink (int argc, char **argv)
{
  char target[PATH_MAX];
  ssize_t len;

  if (argc < 2)
    return usage_error ("readlink", "readlink FILE");
  len = readlink (argv[1], target, sizeof target - 1);
  if (len < 0)
    return fail ("readlink `%s`", argv[1]);
  target[len] = '\0';
  printf ("%s\n", target);
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
cmd_ls (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : ".";
  DIR *d = opendir (dir);
  struct dirent *de;
  char *names[4096];
  size_t n = 0;

  if (d == NULL)
    return fail ("opendir `%s`", dir);
  while ((de = readdir (d)) != NULL && n < sizeof names / sizeof names[0])
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      names[n++] = strdup (de->d_name);
  closedir (d);
  qsort (names, n, sizeof names[0], cmp_names);
  for (size_t i = 0; i < n; i++)
    {
      printf ("%s\n", names[i]);
      free (names[i]);
    }
  return 0;
}

/* "yes /dev/pts/0" or "no": whether FD is a terminal, and which.  */
static int
cmd_isatty (int argc, char **argv)
{
  int fd = argc > 1 ? atoi (argv[1]) : 0;
  char name[256];

  if (!isatty (fd))
    {
      printf ("no\n");
      return 0;
    }
  if (ttyname_r (fd, name, sizeof name) != 0)
    strcpy (name, "?");
  printf ("yes %s\n", name);
  return 0;
}

/* PID 1 of a pid namespace ignores its own default-action signals (even
   SIGKILL): only use this where the process is not a namespace init.  */
static int
cmd_kill_self (int argc, char **argv)
{
  int sig = argc > 1 ? parse_signal (argv[1]) : SIGTERM;

  if (sig < 0)
    return usage_error ("kill-self", "kill-self SIGNAL");
  fflush (stdout);
  signal (sig, SIG_DFL);
  kill (getpid (), sig);
  sleep (2);
  errno = 0;
  return fail ("kill-self: still alive after SIG%s (pid %d)", signal_name (sig), getpid ());
}

static int
cmd_sysctl (int argc, char **argv)
{
  char path[PATH_MAX];

  if (argc < 2)
    return usage_error ("sysctl", "sysctl NAME (net.ipv4.ip_forward)");
  snprintf (path, sizeof path, "/proc/sys/%s", argv[1]);
  for (char *p = path + strlen ("/proc/sys/"); *p; p++)
    if (*p == '.')
      *p = '/';
  return cat_file (path);
}

static volatile sig_atomic_t got_signal;

static void
on_signal (int sig)
{
  got_signal = sig;
}

/* Print "ready" once the handler is in place (tests wait for it before they
   signal), then "received SIGX" when the signal comes; exit 1 after a timeout
   so that a lost signal fails a test instead of hanging it.  */
static int
cmd_wait_signal (int argc, char **argv)
{
  int sig = argc > 1 ? parse_signal (argv[1]) : SIGTERM;
  int timeout = argc > 2 ? atoi (argv[2]) : 60;
  struct sigaction sa = { .sa_handler = on_signal };
  sigset_t mask, old;

  if (sig < 0 || sig == SIGKILL || sig == SIGSTOP)
    return usage_error ("wait-signal", "wait-signal SIGNAL [TIMEOUT]");
  sigemptyset (&mask);
  sigaddset (&mask, sig);
  sigprocmask (SIG_BLOCK, &mask, &old);
  if (sigaction (sig, &sa, NULL) < 0)
    return fail ("sigaction SIG%s", signal_name (sig));
  printf ("ready\n");
  fflush (stdout);
  alarm (timeout);
  signal (SIGALRM, SIG_DFL);
  sigdelset (&old, sig);
  while (!got_signal)
    sigsuspend (&old);
  printf ("received SIG%s\n", signal_name (got_signal));
  return 0;
}

static int
cmd_mkdir (int argc, char **argv)
{
  mode_t mode = argc > 2 ? (mode_t) strtol (argv[2], NULL, 8) : 0755;

  if (argc < 2)
    return usage_error ("mkdir", "mkdir DIR [MODE]");
  if (mkdir (argv[1], mode) < 0)
    return fail ("mkdir `%s`", argv[1]);
  return 0;
}

/* Try to mount a tmpfs; print "ok" or the errno name.  Always exits 0 so a
   test reads the answer from the output.  */
static int
cmd_mount_test (int argc, char **argv)
{
  const char *target = argc > 1 ? argv[1] : "/tmp";

  if (mount ("tmpfs", target, "tmpfs", 0, "size=64k") < 0)
    {
      printf ("%s\n", errname (errno));
      return 0;
    }
  umount2 (target, MNT_DETACH);
  printf ("ok\n");
  return 0;
}

/* The socket-activation contract: LISTEN_FDS fds starting at 3, and
   LISTEN_PID naming the process itself.  */
static int
cmd_listen_fds (int argc, char **argv)
{
  const char *fds = getenv ("LISTEN_FDS");
  const char *pid = getenv ("LISTEN_PID");
  int n = fds ? atoi (fds) : 0;

  printf ("LISTEN_FDS=%s LISTEN_PID=%s pid=%d\n", fds ? fds : "", pid ? pid : "", getpid ());
  for (int fd = 3; fd < 3 + n; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        printf ("fd %d: %s\n", fd, errname (errno));
      else
        printf ("fd %d: %s\n", fd, file_type (st.st_mode));
    }
  return 0;
}

static int
copy_fd (int from, int to)
{
  char buf[4096];

  for (;;)
    {
      ssize_t n = read (from, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      /* EIO: every slave end is closed, the session is over.  */
      if (n < 0 && errno == EIO)
        return 0;
      if (n < 0)
        return fail ("read terminal");
      if (n == 0)
        return 0;
      for (ssize_t off = 0; off < n;)
        {
          ssize_t w = write (to, buf + off, n - off);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return fail ("write output");
          off += w;
        }
    }
}

/* Host side of --console-socket: listen on SOCKET, take one connection,
   receive the pty master over SCM_RIGHTS and copy what the container writes
   to stdout until it closes its end.  Optional TEXT is typed into the
   terminal first.  */
static int
cmd_recvtty (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char data[512];
  char control[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
  struct msghdr msg
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
  struct cmsghdr *cmsg;
  int lfd, cfd, master = -1;

  if (argc < 2)
    return usage_error ("recvtty", "recvtty SOCKET [TEXT]");
  if (strlen (argv[1]) >= sizeof addr.sun_path)
    {
      errno = ENAMETOOLONG;
      return fail ("recvtty `%s`", argv[1]);
    }
  strcpy (addr.sun_path, argv[1]);
  lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0)
    return fail ("socket");
  unlink (argv[1]);
  if (bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return fail ("bind `%s`", argv[1]);
  if (listen (lfd, 1) < 0)
    return fail ("listen `%s`", argv[1]);
  cfd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (cfd < 0)
    return fail ("accept `%s`", argv[1]);
  close (lfd);
  unlink (argv[1]);
  if (recvmsg (cfd, &msg, MSG_CMSG_CLOEXEC) < 0)
    return fail ("recvmsg");
  for (cmsg = CMSG_FIRSTHDR (&msg); cmsg; cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
      memcpy (&master, CMSG_DATA (cmsg), sizeof master);
  close (cfd);
  if (master < 0)
    {
      errno = 0;
      return fail ("recvtty: no fd in the message");
    }
  fprintf (stderr, "recvtty: got a terminal\n");
  if (argc > 2 && write (master, argv[2], strlen (argv[2])) < 0)
    return fail ("write terminal");
  return copy_fd (master, STDOUT_FILENO);
}

/* Run CMD with a new pty as its controlling terminal and stdio; copy the
   output to stdout; exit with CMD's status (128+N if killed by signal N).  */
static int
cmd_pty (int argc, char **argv)
{
  int master, status;
  pid_t pid;
  char *slave;

  if (argc < 2)
    return usage_error ("pty", "pty CMD [ARGS...]");
  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0)
    return fail ("posix_openpt");
  slave = ptsname (master);
  if (slave == NULL)
    return fail ("ptsname");
  pid = fork ();
  if (pid < 0)
    return fail ("fork");
  if (pid == 0)
    {
      int s;
      setsid ();
      s = open (slave, O_RDWR);
      if (s < 0 || ioctl (s, TIOCSCTTY, 0) < 0)
        _exit (fail ("open `%s`", slave));
      dup2 (s, 0);
      dup2 (s, 1);
      dup2 (s, 2);
      if (s > 2)
        close (s);
      execvp (argv[1], argv + 1);
      _exit (fail ("exec `%s`", argv[1]) + 126);
    }
  copy_fd (master, STDOUT_FILENO);
  if (waitpid (pid, &status, 0) < 0)
    return fail ("waitpid");
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

static int
cmd_hostname (int argc, char **argv)
{
  struct utsname u;

  if (uname (&u) < 0)
    return fail ("uname");
  printf ("%s\n", strcmp (argv[0], "domainname") == 0 ? u.domainname : u.nodename);
  return 0;
}

static int
cmd_pid (int argc, char **argv)
{
  printf ("%d\n", strcmp (argv[0], "ppid") == 0 ? getppid () : getpid ());
  return 0;
}

static int
cmd_caps (int argc, char **argv)
{
  static const char *const keys[] = { "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", NULL };
  return status_lines (keys);
}

static int
cmd_nnp (int argc, char **argv)
{
  static const char *const keys[] = { "NoNewPrivs:", NULL };
  return status_lines (keys);
}

static int
cmd_seccomp (int argc, char **argv)
{
  static const char *const keys[] = { "Seccomp:", NULL };
  return status_lines (keys);
}

static int
cmd_cwd (int argc, char **argv)
{
  char buf[PATH_MAX];

  if (getcwd (buf, sizeof buf) == NULL)
    return fail ("getcwd");
  printf ("%s\n", buf);
  return 0;
}

static int
cmd_cat (int argc, char **argv)
{
  if (argc < 2)
    return usage_error ("cat", "cat FILE");
  return cat_file (argv[1]);
}

static int
cmd_mounts (int argc, char **argv)
{
  return cat_file ("/proc/self/mountinfo");
}

static int
cmd_cgroup (int argc, char **argv)
{
  return cat_file ("/proc/self/cgroup");
}

static int
cmd_oom (int argc, char **argv)
{
  return cat_file ("/proc/self/oom_score_adj");
}

static int
cmd_exit (int argc, char **argv)
{
  return argc > 1 ? atoi (argv[1]) : 0;
}

static int cmd_help (int argc, char **argv);

static const struct command
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *help;
} commands[] = {
  { "hostname", cmd_hostname, "the uts node name" },
  { "domainname", cmd_hostname, "the uts domain name" },
  { "pid", cmd_pid, "getpid()" },
  { "ppid", cmd_pid, "getppid()" },
  { "ids", cmd_ids, "uid= gid= euid= egid= groups=a,b" },
  { "caps", cmd_caps, "the Cap* lines of /proc/self/status" },
  { "mounts", cmd_mounts, "/proc/self/mountinfo" },
  { "fds", cmd_fds, "open fds as `N TARGET`" },
  { "rlimit", cmd_rlimit, "NAME: `SOFT HARD`" },
  { "ns", cmd_ns, "TYPE: readlink /proc/self/ns/TYPE" },
  { "cwd", cmd_cwd, "getcwd()" },
  { "umask", cmd_umask, "the umask in octal" },
  { "env", cmd_env, "the environment, one per line" },
  { "nnp", cmd_nnp, "the NoNewPrivs line" },
  { "oom", cmd_oom, "oom_score_adj" },
  { "exit", cmd_exit, "N: exit with status N" },
  { "sleep", cmd_sleep, "SECONDS (default 3600)" },
  { "cat", cmd_cat, "FILE" },
  { "write", cmd_write, "FILE TEXT" },
  { "stat", cmd_stat, "FILE: `TYPE MODE UID GID MAJOR:MINOR` (lstat)" },
  { "readlink", cmd_readlink, "FILE" },
  { "ls", cmd_ls, "DIR: sorted names" },
  { "isatty", cmd_isatty, "FD: `yes TTYNAME` or `no`" },
  { "kill-self", cmd_kill_self, "SIGNAL (not as a pid namespace init)" },
  { "sysctl", cmd_sysctl, "NAME: the value under /proc/sys" },
  { "cgroup", cmd_cgroup, "/proc/self/cgroup" },
  { "seccomp", cmd_seccomp, "the Seccomp line" },
  { "wait-signal", cmd_wait_signal, "SIGNAL [TIMEOUT]: `ready`, then `received SIGX`" },
  { "mkdir", cmd_mkdir, "DIR [MODE]" },
  { "mount-test", cmd_mount_test, "[TARGET]: mount a tmpfs, print `ok` or the errno name" },
  { "listen-fds", cmd_listen_fds, "LISTEN_FDS/LISTEN_PID and the type of each passed fd" },
  { "recvtty", cmd_recvtty, "SOCKET [TEXT]: host side of --console-socket" },
  { "pty", cmd_pty, "CMD [ARGS...]: run CMD on a new controlling terminal" },
  { "help", cmd_help, "this list" },
};

static int
cmd_help (int argc, char **argv)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    printf ("%-12s %s\n", commands[i].name, commands[i].help);
  return 0;
}

int
main (int argc, char **argv)
{
  int ret;

  if (argc < 2)
    {
      cmd_help (0, NULL);
      return 2;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        ret = commands[i].run (argc - 1, argv + 1);
        fflush (stdout);
        return ret;
      }
  errno = 0;
  fail ("unknown command `%s` (try `init help`)", argv[1]);
  return 2;
}
