/* SPDX-License-Identifier: Apache-2.0 */
/* probe: a static helper for the security tests, next to tests/init.  In the
   container it tries one privileged or filtered operation and prints what
   happened ("ok" or the errno name; always exit 0 unless killed), so a test
   can tell "denied" from "crashed".  On the host, `agent` is a minimal
   seccomp notify agent (the listenerPath end of SCMP_ACT_NOTIFY).

     probe sys NAME [ARG...]      raw syscall(NAME, ARG...): "ok RET" or "ENAME"
     probe thread-sys NAME        the syscall in a second thread, then "main alive"
     probe trap NAME              with a SIGSYS handler: "SIGSYS syscall=NAME"
     probe rawsock                socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
     probe chown FILE UID GID
     probe agent SOCKET OUT ERRNO accept one runtime, write its message to OUT,
                                  answer every notification with -ERRNO and
                                  append "notified NAME" to OUT.log
     probe swap DIR N TARGET SECS make DIR/e0..e{N-1} (dirs) and DIR/eK.l
                                  (symlinks to TARGET), then swap each pair
                                  with RENAME_EXCHANGE for SECS seconds (the
                                  attacker of the symlink-exchange races)
     probe grab-exe SECS          find a process whose exe is not /init, /probe
                                  or busybox, hold its /proc/PID/exe, and try
                                  to write through it (CVE-2019-5736): prints
                                  "grabbed PID TARGET", then "written" or
                                  "refused ENAME" (or "none", "open ENAME") */

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const struct
{
  const char *name;
  long nr;
} syscalls[] = {
  { "getppid", SYS_getppid },
  { "getpgid", SYS_getpgid },
  { "umask", SYS_umask },
  { "getpriority", SYS_getpriority },
  { "personality", SYS_personality },
  { "mkdirat", SYS_mkdirat },
  { "kill", SYS_kill },
  { "dup", SYS_dup },
  { "getcwd", SYS_getcwd },
  { "sync", SYS_sync },
#ifdef SYS_mkdir
  { "mkdir", SYS_mkdir },
#endif
};

static const struct
{
  const char *name;
  int value;
} errnos[] = {
  { "EPERM", EPERM },
  { "ENOENT", ENOENT },
  { "EACCES", EACCES },
  { "EINVAL", EINVAL },
  { "ENOSYS", ENOSYS },
  { "EROFS", EROFS },
  { "EEXIST", EEXIST },
  { "ENOMEDIUM", ENOMEDIUM },
  { "EXDEV", EXDEV },
  { "ENXIO", ENXIO },
  { "EBADF", EBADF },
  { "ESRCH", ESRCH },
  { "EAFNOSUPPORT", EAFNOSUPPORT },
  { "EPROTONOSUPPORT", EPROTONOSUPPORT },
  { "ETXTBSY", ETXTBSY },
  { "ENOTDIR", ENOTDIR },
  { "ELOOP", ELOOP },
};

static const char *
errname (int e)
{
  static char buf[16];
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
    if (errnos[i].value == e)
      return errnos[i].name;
  snprintf (buf, sizeof buf, "E%d", e);
  return buf;
}

static long
syscall_nr (const char *name)
{
  for (size_t i = 0; i < sizeof syscalls / sizeof syscalls[0]; i++)
    if (strcmp (syscalls[i].name, name) == 0)
      return syscalls[i].nr;
  fprintf (stderr, "probe: unknown syscall `%s`\n", name);
  exit (2);
}

static const char *
syscall_name (long nr)
{
  for (size_t i = 0; i < sizeof syscalls / sizeof syscalls[0]; i++)
    if (syscalls[i].nr == nr)
      return syscalls[i].name;
  return "?";
}

static void
report (long r)
{
  if (r < 0)
    printf ("%s\n", errname (errno));
  else
    printf ("ok %ld\n", r);
  fflush (stdout);
}

static long
do_sys (int argc, char **argv)
{
  unsigned long a[6] = { 0 };
  for (int i = 0; i < 6 && i + 2 < argc; i++)
    a[i] = strtoul (argv[i + 2], NULL, 0);
  return syscall (syscall_nr (argv[1]), a[0], a[1], a[2], a[3], a[4], a[5]);
}

struct thread_arg
{
  int argc;
  char **argv;
};

static void *
thread_main (void *p)
{
  struct thread_arg *t = p;
  report (do_sys (t->argc, t->argv));
  return NULL;
}

static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  char buf[64];
  int n = snprintf (buf, sizeof buf, "SIGSYS syscall=%s\n", syscall_name (si->si_syscall));
  (void) sig;
  (void) uc;
  write (STDOUT_FILENO, buf, (size_t) n);
  _exit (0);
}

static int
agent (const char *path, const char *out, int answer)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char buf[65536], logpath[4096];
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { buf, sizeof buf - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
  int ls, c, fd = -1;
  ssize_t n;
  FILE *f, *log;

  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
  snprintf (logpath, sizeof logpath, "%s.log", out);
  ls = socket (AF_UNIX, SOCK_STREAM, 0);
  unlink (path);
  if (ls < 0 || bind (ls, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (ls, 1) < 0)
    {
      perror ("probe agent: listen");
      return 1;
    }
  c = accept (ls, NULL, NULL);
  if (c < 0)
    {
      perror ("probe agent: accept");
      return 1;
    }
  n = recvmsg (c, &mh, 0);
  if (n <= 0)
    {
      perror ("probe agent: recvmsg");
      return 1;
    }
  buf[n] = '\0';
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy (&fd, CMSG_DATA (cm), sizeof (int));
  /* The rest of the message, if the runtime used several sends; not
     waiting for EOF, since a runtime may keep the connection open. */
  for (;;)
    {
      struct pollfd pc = { .fd = c, .events = POLLIN };
      if (poll (&pc, 1, 200) <= 0)
        break;
      ssize_t m = read (c, buf + n, sizeof buf - 1 - (size_t) n);
      if (m <= 0)
        break;
      n += m;
    }
  buf[n] = '\0';
  f = fopen (out, "w");
  fprintf (f, "%s\n", buf);
  fclose (f);
  close (c);
  if (fd < 0)
    {
      fprintf (stderr, "probe agent: no fd in the message\n");
      return 1;
    }
  log = fopen (logpath, "a");
  setvbuf (log, NULL, _IOLBF, 0);
  fprintf (log, "got fd\n");
  for (;;)
    {
      struct seccomp_notif req;
      struct seccomp_notif_resp resp;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll (&p, 1, -1) < 0 && errno != EINTR)
        break;
      if (p.revents & POLLHUP)
        break;
      memset (&req, 0, sizeof req);
      if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
        {
          if (errno == EINTR || errno == ENOENT)
            continue;
          break;
        }
      fprintf (log, "notified %s\n", syscall_name (req.data.nr));
      memset (&resp, 0, sizeof resp);
      resp.id = req.id;
      resp.error = -answer;
      ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
  fprintf (log, "done\n");
  return 0;
}

static int
swap (const char *dir, int n, const char *target, int secs)
{
  char a[4096], b[4096];
  time_t end = time (NULL) + secs;
  unsigned long swaps = 0;

  for (int k = 0; k < n; k++)
    {
      snprintf (a, sizeof a, "%s/e%d", dir, k);
      snprintf (b, sizeof b, "%s/e%d.l", dir, k);
      if ((mkdir (a, 0755) < 0 && errno != EEXIST) || (symlink (target, b) < 0 && errno != EEXIST))
        {
          perror ("probe swap: setup");
          return 1;
        }
    }
  printf ("swapping\n");
  fflush (stdout);
  while (time (NULL) < end)
    for (int k = 0; k < n; k++)
      {
        snprintf (a, sizeof a, "%s/e%d", dir, k);
        snprintf (b, sizeof b, "%s/e%d.l", dir, k);
        if (syscall (SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
          swaps++;
      }
  printf ("%lu swaps\n", swaps);
  return 0;
}

static bool
skip_exe (const char *t)
{
  static const char *const skip[] = { "/init", "/probe", "/bin/busybox", NULL };
  for (int i = 0; skip[i]; i++)
    if (strcmp (t, skip[i]) == 0)
      return true;
  return false;
}

static int
grab_exe (int secs)
{
  time_t end = time (NULL) + secs;
  char path[64], target[4096];
  int fd = -1;
  pid_t self = getpid ();

  while (fd < 0 && time (NULL) < end)
    {
      DIR *d = opendir ("/proc");
      struct dirent *de;
      while (d && fd < 0 && (de = readdir (d)))
        {
          pid_t pid = (pid_t) atoi (de->d_name);
          ssize_t n;
          if (pid <= 0 || pid == self || pid == getppid ())
            continue;
          snprintf (path, sizeof path, "/proc/%d/exe", pid);
          n = readlink (path, target, sizeof target - 1);
          if (n <= 0)
            continue;
          target[n] = '\0';
          if (skip_exe (target))
            continue;
          fd = open (path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            {
              printf ("open %s\n", errname (errno));
              return 0;
            }
          printf ("grabbed %d %s\n", pid, target);
          fflush (stdout);
        }
      if (d)
        closedir (d);
    }
  if (fd < 0)
    {
      printf ("none\n");
      return 0;
    }
  /* The file cannot be written while anything executes it (ETXTBSY): wait
     for the runtime image to be gone, as the exploit does. */
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  while (time (NULL) < end + 5)
    {
      int w = open (path, O_WRONLY | O_CLOEXEC);
      if (w < 0 && errno == ETXTBSY)
        {
          usleep (10000);
          continue;
        }
      if (w < 0)
        {
          printf ("refused %s\n", errname (errno));
          return 0;
        }
      if (write (w, "pwned", 5) == 5)
        printf ("written\n");
      else
        printf ("refused %s\n", errname (errno));
      close (w);
      return 0;
    }
  printf ("refused ETXTBSY\n");
  return 0;
}

static int
errno_value (const char *name)
{
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
    if (strcmp (errnos[i].name, name) == 0)
      return errnos[i].value;
  return atoi (name);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    goto usage;
  if (strcmp (argv[1], "sys") == 0 && argc >= 3)
    report (do_sys (argc - 1, argv + 1));
  else if (strcmp (argv[1], "thread-sys") == 0 && argc >= 3)
    {
      pthread_t t;
      struct thread_arg ta = { argc - 1, argv + 1 };
      pthread_create (&t, NULL, thread_main, &ta);
      pthread_join (t, NULL);
      printf ("main alive\n");
    }
  else if (strcmp (argv[1], "trap") == 0 && argc >= 3)
    {
      struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
      sigaction (SIGSYS, &sa, NULL);
      report (do_sys (argc - 1, argv + 1));
    }
  else if (strcmp (argv[1], "rawsock") == 0)
    {
      int s = socket (AF_INET, SOCK_RAW, IPPROTO_ICMP);
      report (s < 0 ? -1 : 0);
    }
  else if (strcmp (argv[1], "chown") == 0 && argc == 5)
    report (chown (argv[2], (uid_t) atoi (argv[3]), (gid_t) atoi (argv[4])));
  else if (strcmp (argv[1], "grab-exe") == 0 && argc == 3)
    return grab_exe (atoi (argv[2]));
  else if (strcmp (argv[1], "swap") == 0 && argc == 6)
    return swap (argv[2], atoi (argv[3]), argv[4], atoi (argv[5]));
  else if (strcmp (argv[1], "agent") == 0 && argc == 5)
    return agent (argv[2], argv[3], errno_value (argv[4]));
  else
    goto usage;
  return 0;
usage:
  fprintf (stderr,
           "usage: probe sys|thread-sys|trap NAME [ARGS] | rawsock | chown F U G | agent SOCK OUT ERRNO"
           " | swap DIR N TARGET SECS | grab-exe SECS\n");
  return 2;
}
