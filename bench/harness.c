/* SPDX-License-Identifier: Apache-2.0 */
/* bench/harness.c: the timing loop of the hako benchmark suite.
 *
 * It reads a plan from stdin, one step a line, fields separated by TABs, and
 * runs the steps in order, so that the plan (written by bench/run.sh) decides
 * the interleaving and this program only measures.  For every step it prints
 * one result line on stdout:
 *
 *     LABEL <TAB> nanoseconds <TAB> status <TAB> maxrss_kib <TAB> extra
 *
 * Steps:
 *   run LABEL ARGV...     spawn ARGV, wait for it; status is the exit code
 *                         (128+signal, 124 on timeout); maxrss is wait4's
 *                         ru_maxrss (the process and the children it waited
 *                         for, as /usr/bin/time %M reports)
 *   bg GROUP ARGV...      spawn ARGV without waiting (a concurrency batch)
 *   join GROUP            wait for every process of the batch; nanoseconds
 *                         from the first `bg` of the batch to the last exit;
 *                         status is the number of failed processes; maxrss
 *                         the largest of the batch
 *   waitpid LABEL FILE    wait for the process whose pid FILE holds (the
 *                         container process after `create`: we are its
 *                         subreaper, so it is ours to reap); status is the
 *                         container's exit code
 *   read LABEL FILE       the first line of FILE in `extra` (no timing)
 *   sleep MS              pause between steps (isolated starts)
 *   warm LABEL FILE       write our own pid to FILE, the cgroup.procs of the
 *                         v1 cgroup we are in: a no-op migration that takes
 *                         the cgroup threadgroup lock, so that the next start
 *                         finds it without an RCU grace period to wait for
 *                         (a "warm" start, as on a host that starts
 *                         containers continuously); the time it took is
 *                         printed (a grace period, or ~0 when already warm)
 *
 * Children get stdin from /dev/null and stdout/stderr appended to the log
 * file named by argv[1].  Every wait is bounded by argv[2] seconds (default
 * 30): a hung runtime is killed and reported with status 124, never waited
 * for forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int log_fd = -1;
static int timeout_ms = 30000;

static long long
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

static pid_t
spawn (char **argv)
{
  posix_spawn_file_actions_t fa;
  pid_t pid;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, log_fd, 1);
  posix_spawn_file_actions_adddup2 (&fa, log_fd, 2);
  int r = posix_spawnp (&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  if (r != 0)
    {
      dprintf (log_fd, "harness: spawn %s: %s\n", argv[0], strerror (r));
      return -1;
    }
  return pid;
}

/* Wait for `pid` (our child) with the global timeout; SIGKILL on timeout. */
static int
wait_child (pid_t pid, struct rusage *ru, int *timed_out)
{
  int status = 0;
  int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  *timed_out = 0;
  if (pfd >= 0)
    {
      struct pollfd p = { .fd = pfd, .events = POLLIN };
      int r;
      while ((r = poll (&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
      if (r == 0)
        {
          kill (pid, SIGKILL);
          *timed_out = 1;
        }
      close (pfd);
    }
  while (wait4 (pid, &status, 0, ru) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

/* Reap children nobody waits for (container processes that exited while we
   were not looking): only between steps, and never a batch member. */
static void
sweep (void)
{
  int status;
  while (waitpid (-1, &status, WNOHANG) > 0)
    ;
}

#define MAX_BG 4096
static pid_t bg_pids[MAX_BG];
static size_t n_bg;
static long long bg_start;
static int bg_spawn_failures;

static void
do_join (const char *group)
{
  int failures = 0;
  long maxrss = 0;
  long long deadline = now_ns () + (long long) timeout_ms * 4 * 1000000LL;
  size_t left = n_bg;

  while (left > 0)
    {
      int status;
      struct rusage ru;
      pid_t r = wait4 (-1, &status, WNOHANG, &ru);
      if (r == 0)
        {
          if (now_ns () > deadline)
            {
              for (size_t i = 0; i < n_bg; i++)
                if (bg_pids[i] > 0)
                  kill (bg_pids[i], SIGKILL);
              deadline = now_ns () + 5000000000LL;
            }
          struct timespec ts = { 0, 200000 };
          nanosleep (&ts, NULL);
          continue;
        }
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      for (size_t i = 0; i < n_bg; i++)
        if (bg_pids[i] == r)
          {
            bg_pids[i] = 0;
            left--;
            if (code_of (status) != 0)
              failures++;
            if (ru.ru_maxrss > maxrss)
              maxrss = ru.ru_maxrss;
          }
    }
  printf ("%s\t%lld\t%d\t%ld\t\n", group, now_ns () - bg_start, failures + (int) left + bg_spawn_failures,
          maxrss);
  n_bg = 0;
  bg_spawn_failures = 0;
}

static void
do_waitpid (const char *label, const char *file)
{
  char buf[32] = "";
  long long t0 = now_ns ();
  FILE *f = fopen (file, "re");
  if (f == NULL || fgets (buf, sizeof (buf), f) == NULL)
    {
      if (f)
        fclose (f);
      printf ("%s\t0\t254\t0\tno pid file\n", label);
      return;
    }
  fclose (f);
  pid_t pid = (pid_t) atoi (buf);
  int status = 0, code = 0;
  int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd >= 0)
    {
      struct pollfd p = { .fd = pfd, .events = POLLIN };
      int r;
      while ((r = poll (&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
      close (pfd);
      if (r == 0)
        {
          printf ("%s\t%lld\t124\t0\ttimeout\n", label, now_ns () - t0);
          return;
        }
    }
  /* Ours to reap when its parent (the runtime) has exited: we are the
     subreaper.  ECHILD: someone else reaped it, the exit code is unknown. */
  if (waitpid (pid, &status, 0) == pid)
    code = code_of (status);
  else
    code = errno == ECHILD ? 0 : 255;
  printf ("%s\t%lld\t%d\t0\t\n", label, now_ns () - t0, code);
}

static void
do_warm (const char *label, const char *file)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%d", (int) getpid ());
  long long t0 = now_ns ();
  int fd = open (file, O_WRONLY | O_CLOEXEC);
  int ok = fd >= 0 && write (fd, buf, (size_t) n) == n;
  if (fd >= 0)
    close (fd);
  printf ("%s\t%lld\t%d\t0\t\n", label, now_ns () - t0, ok ? 0 : 1);
}

static void
do_read (const char *label, const char *file)
{
  char buf[256] = "";
  FILE *f = fopen (file, "re");
  if (f && fgets (buf, sizeof (buf), f))
    buf[strcspn (buf, "\n")] = '\0';
  else
    snprintf (buf, sizeof (buf), "unreadable");
  if (f)
    fclose (f);
  printf ("%s\t0\t0\t0\t%s\n", label, buf);
}

int
main (int argc, char **argv)
{
  char *line = NULL;
  size_t cap = 0;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s LOGFILE [TIMEOUT_S] < plan\n", argv[0]);
      return 2;
    }
  log_fd = open (argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    {
      perror (argv[1]);
      return 2;
    }
  if (argc > 2)
    timeout_ms = atoi (argv[2]) * 1000;
  /* Container processes outlive `create`: they are reparented to us. */
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  setvbuf (stdout, NULL, _IOLBF, 0);

  while (getline (&line, &cap, stdin) > 0)
    {
      char *f[512];
      int n = 0;
      line[strcspn (line, "\n")] = '\0';
      for (char *p = line, *s; n < 511 && (s = strsep (&p, "\t"));)
        f[n++] = s;
      f[n] = NULL;
      if (n == 0 || f[0][0] == '\0' || f[0][0] == '#')
        continue;
      if (strcmp (f[0], "run") == 0 && n >= 3)
        {
          struct rusage ru = { 0 };
          int to;
          long long t0 = now_ns ();
          pid_t pid = spawn (f + 2);
          int status = pid > 0 ? wait_child (pid, &ru, &to) : -1;
          long long dt = now_ns () - t0;
          int code = pid < 0 || status < 0 ? 255 : to ? 124 : code_of (status);
          printf ("%s\t%lld\t%d\t%ld\t\n", f[1], dt, code, ru.ru_maxrss);
          if (n_bg == 0)
            sweep ();
        }
      else if (strcmp (f[0], "bg") == 0 && n >= 3)
        {
          if (n_bg == 0 && bg_spawn_failures == 0)
            bg_start = now_ns ();
          pid_t pid = spawn (f + 2);
          if (pid > 0 && n_bg < MAX_BG)
            bg_pids[n_bg++] = pid;
          else
            bg_spawn_failures++;
        }
      else if (strcmp (f[0], "join") == 0 && n >= 2)
        {
          do_join (f[1]);
          sweep ();
        }
      else if (strcmp (f[0], "waitpid") == 0 && n >= 3)
        do_waitpid (f[1], f[2]);
      else if (strcmp (f[0], "warm") == 0 && n >= 3)
        do_warm (f[1], f[2]);
      else if (strcmp (f[0], "read") == 0 && n >= 3)
        do_read (f[1], f[2]);
      else if (strcmp (f[0], "sleep") == 0 && n >= 2)
        {
          long ms = atol (f[1]);
          struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
          while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
            ;
        }
      else
        fprintf (stderr, "harness: bad step `%s`\n", f[0]);
    }
  sweep ();
  free (line);
  return 0;
}
