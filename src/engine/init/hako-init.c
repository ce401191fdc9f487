/* SPDX-License-Identifier: Apache-2.0 */
/* hako-init: the init of `hako run --init` (what tini is to `docker run
   --init`).  A container's PID 1 inherits every orphan of the container and
   is spared the default action of signals; a program that was never written
   to be PID 1 then leaves zombies behind and ignores `hako stop`.

     hako-init [--] CMD [ARG...]

   runs CMD as its child and
     - forwards every signal it receives (SIGTERM, SIGINT, SIGHUP, SIGQUIT,
       SIGUSR1/2, SIGWINCH, SIGCONT, real-time signals ...) to the child's
       process group: the child is a process-group leader, so a signal sent to
       the container reaches the whole job (`sh -c 'a | b'` stops on SIGTERM
       instead of waiting out the stop timeout), as a terminal's ^C would.
       If the child left its group, the signal goes to the child alone.
       On a terminal the child's group is made the foreground group, so ^C
       reaches the job once, straight from the kernel;
     - reaps every process that ends up as its child (as PID 1, or as a
       child subreaper when it is not PID 1);
     - exits when CMD exits, with CMD's status: its exit code, or 128 + the
       signal that killed it;
     - exits 127 when CMD is not found and 126 when it cannot be executed
       (docker's codes), with a message on stderr.

   Statically linked and free of dependencies, so it can be bind-mounted
   into any image. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME "hako-init"

static void
usage (FILE *f)
{
  fprintf (f, "Usage: " NAME " [--] COMMAND [ARG...]\n"
              "Run COMMAND as the child of a minimal init: forward signals to it,\n"
              "reap zombies, exit with its status.\n");
}

/* Signals that are the receiver's own fault and must keep their default
   action, so that a bug in hako-init shows as a crash, not a hang. */
static const int synchronous[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS };

static int
exit_status (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 1;
}

/* In the child, between fork and exec.  Only async-signal-safe calls
   (the parent may have more threads some day; today it is cheap care). */
static void __attribute__ ((noreturn)) run_child (char **argv, const sigset_t *orig_mask, bool foreground)
{
  int e;

  setpgid (0, 0);
  /* With SIGTTOU still blocked, tcsetpgrp from what is now a background
     group succeeds instead of stopping us. */
  if (foreground)
    tcsetpgrp (STDIN_FILENO, getpid ());
  sigprocmask (SIG_SETMASK, orig_mask, NULL);
  execvp (argv[0], argv);
  e = errno;
  if (e == ENOENT && strchr (argv[0], '/') == NULL)
    fprintf (stderr, NAME ": `%s`: executable file not found in $PATH\n", argv[0]);
  else
    fprintf (stderr, NAME ": exec `%s`: %s\n", argv[0], strerror (e));
  _exit (e == ENOENT || e == ENOTDIR ? 127 : 126);
}

/* Reap every child that has exited; returns true once `main_pid` has,
   with its wait status in *status. */
static bool
reap (pid_t main_pid, int *status)
{
  bool done = false;
  for (;;)
    {
      int st;
      pid_t p = waitpid (-1, &st, WNOHANG);
      if (p <= 0)
        {
          if (p < 0 && errno == EINTR)
            continue;
          return done; /* 0: others still run; ECHILD: none left */
        }
      if (p == main_pid)
        {
          *status = st;
          done = true;
        }
    }
}

static void
forward (pid_t child, int sig)
{
  /* The group first; ESRCH when the child moved to a group of its own
     (setsid, an interactive shell's job control). */
  if (kill (-child, sig) < 0 && errno == ESRCH)
    kill (child, sig);
}

int
main (int argc, char **argv)
{
  sigset_t all, orig;
  bool foreground;
  pid_t child;
  int status = 0;
  int i = 1;

  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  else if (i < argc && (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0))
    {
      usage (stdout);
      return 0;
    }
  else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0')
    {
      fprintf (stderr, NAME ": unknown option `%s` (use -- before a command that starts with -)\n", argv[i]);
      return 2;
    }
  if (i >= argc)
    {
      usage (stderr);
      return 2;
    }

  /* Outside a PID namespace's init slot, orphans would go to the host's
     init (or the nearest subreaper) instead of us. */
  if (getpid () != 1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    fprintf (stderr, NAME ": warning: cannot become a child subreaper: %s\n", strerror (errno));

  /* Every signal is blocked and taken with sigwaitinfo, so none is lost
     between fork and the wait loop, and none runs a handler.  Blocked
     signals also reach a namespace's PID 1, which the kernel otherwise
     spares the default action of every signal. */
  sigfillset (&all);
  for (size_t k = 0; k < sizeof synchronous / sizeof synchronous[0]; k++)
    sigdelset (&all, synchronous[k]);
  if (sigprocmask (SIG_BLOCK, &all, &orig) < 0)
    {
      fprintf (stderr, NAME ": sigprocmask: %s\n", strerror (errno));
      return 1;
    }

  /* Give the terminal to the child's group only when it is ours to give:
     we are its foreground group (not a background job). */
  foreground = isatty (STDIN_FILENO) && tcgetpgrp (STDIN_FILENO) == getpgrp ();

  child = fork ();
  if (child < 0)
    {
      fprintf (stderr, NAME ": fork: %s\n", strerror (errno));
      return 1;
    }
  if (child == 0)
    run_child (argv + i, &orig, foreground);
  /* Also here, so that a signal forwarded before the child ran setpgid
     still finds the group. */
  setpgid (child, child);

  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);
      if (sig < 0)
        {
          if (errno == EINTR)
            continue;
          fprintf (stderr, NAME ": sigwaitinfo: %s\n", strerror (errno));
          return 1;
        }
      if (sig != SIGCHLD)
        {
          forward (child, sig);
          continue;
        }
      if (reap (child, &status))
        break;
    }
  /* Zombies that exited together with the child. */
  reap (-1, &status);
  return exit_status (status);
}
