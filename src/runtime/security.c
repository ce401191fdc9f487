/* SPDX-License-Identifier: Apache-2.0 */
/* Protection of the runtime binary (CVE-2019-5736); the why is in
   security.h. */
#include "security.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* Set in the environment of the re-exec'd runtime only, so that a kernel
   that would not show the seals cannot make us loop. */
#define REEXEC_ENV "_HAKO_EXE_SEALED"

static const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

static bool
exe_is_safe (int fd)
{
  struct statvfs sv;
  int s = fcntl (fd, F_GET_SEALS);

  if (s >= 0 && (s & seals) == seals)
    return true;
  return fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

static int
sealed_copy (int exe, struct hako_err **err)
{
  cleanup_close int mfd = -1;
  struct stat st;

  /* MFD_EXEC: kernels with vm.memfd_noexec (6.3+) want the intent said;
     older ones do not know the flag. */
  mfd = memfd_create ("hako-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("hako-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return hako_error (err, errno, "memfd for a sealed copy of the runtime");
  if (fstat (exe, &st) < 0)
    return hako_error (err, errno, "stat /proc/self/exe");
  for (off_t off = 0; off < st.st_size;)
    {
      ssize_t n = sendfile (mfd, exe, &off, (size_t) (st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return hako_error (err, n < 0 ? errno : EIO, "copy the runtime into a memfd");
    }
  /* F_SEAL_EXEC (6.3+) keeps the mode bits as they are; fine to lack. */
  fcntl (mfd, F_ADD_SEALS, F_SEAL_EXEC);
  if (fcntl (mfd, F_ADD_SEALS, seals) < 0)
    return hako_error (err, errno, "seal the memfd copy of the runtime");
  return steal_fd (&mfd);
}

/* Re-exec from a sealed copy unless the exe is safe already.  `reexeced`:
   this process is that re-exec (REEXEC_ENV was set), so a still-exposed
   exe is an error rather than a loop. */
static int
seal_reexec (char **argv, bool reexeced, struct hako_err **err)
{
  extern char **environ;
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;

  if (exe < 0)
    return hako_error (err, errno, "open /proc/self/exe to protect the runtime binary (CVE-2019-5736)");
  if (exe_is_safe (exe))
    return 0;
  if (reexeced)
    return hako_error (err, EPERM, "the runtime binary is still writable after a re-exec from a sealed copy");
  mfd = sealed_copy (exe, err);
  if (mfd < 0)
    return hako_error_prefix (err, "protect the runtime binary (CVE-2019-5736)");
  setenv (REEXEC_ENV, "1", 1);
  /* AT_EMPTY_PATH on a close-on-exec fd is fine for an ELF binary: the
     kernel has mapped it before the fd goes. */
  syscall (SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  unsetenv (REEXEC_ENV);
  return hako_error (err, errno, "re-exec the runtime from a sealed copy (CVE-2019-5736)");
}

static bool
take_reexec_mark (void)
{
  bool reexeced = getenv (REEXEC_ENV) != NULL;
  if (reexeced)
    unsetenv (REEXEC_ENV);
  return reexeced;
}

int
hako_exe_seal (char **argv, struct hako_err **err)
{
  return seal_reexec (argv, take_reexec_mark (), err);
}

static char **deferred_argv;
static bool deferred_reexeced;

void
hako_exe_seal_defer (char **argv)
{
  deferred_argv = argv;
  deferred_reexeced = take_reexec_mark ();
}

int
hako_exe_seal_deferred (struct hako_err **err)
{
  char **argv = deferred_argv;

  if (argv == NULL)
    return 0;
  deferred_argv = NULL;
  return seal_reexec (argv, deferred_reexeced, err);
}

bool
hako_exe_exposed (void)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);

  /* Unreadable: the worst is assumed, and the caller protects. */
  return exe < 0 || !exe_is_safe (exe);
}

static bool
dir_is_empty (int fd)
{
  cleanup_close int dfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  struct dirent *de;
  bool empty = true;

  if (d == NULL)
    return false;
  dfd = -1; /* owned by d now */
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        empty = false;
        break;
      }
  closedir (d);
  return empty;
}

static int
check_procfs (const char *path, bool may_be_absent, struct hako_err **err)
{
  struct statfs sfs;
  cleanup_close int fd = open (path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT && may_be_absent)
    return 1;
  if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
    return hako_error (err, ELOOP, "`%s` is a symlink or not a directory: refusing it as procfs", path);
  if (fd < 0)
    return hako_error (err, errno, "open `%s`", path);
  if (fstatfs (fd, &sfs) < 0)
    return hako_error (err, errno, "statfs `%s`", path);
  if ((unsigned long) sfs.f_type == PROC_SUPER_MAGIC)
    return 0;
  if (may_be_absent && dir_is_empty (fd))
    return 1;
  return hako_error (err, EINVAL, "`%s` is not procfs (something is mounted over it): refusing to use it",
                     path);
}

int
hako_proc_verify (struct hako_err **err)
{
  int r = check_procfs ("/proc", true, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  /* /proc/self is a plain symlink to our pid's directory: followed here on
     purpose, that directory is what a mount could hide. */
  int fd = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct statfs sfs;
  if (fd < 0)
    return hako_error (err, errno, "open `/proc/self`");
  r = fstatfs (fd, &sfs);
  close (fd);
  if (r < 0 || (unsigned long) sfs.f_type != PROC_SUPER_MAGIC)
    return hako_error (err, EINVAL,
                       "`/proc/self` is not procfs (something is mounted over it): refusing to use it");
  if (check_procfs ("/proc/self/fd", false, err) < 0)
    return -1;
  return 0;
}
