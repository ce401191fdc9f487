/* SPDX-License-Identifier: Apache-2.0 */
/* Tar layers through the real apply code (gzip/zstd/plain detected, OCI
   whiteouts, ownership, devices, xattrs), each into a fresh directory:

     ROOT/outside/canary   a file nothing may touch
     ROOT/dir/sub          the destination (also the cwd)

   Afterwards ROOT holds only dir and outside, dir only sub, outside only
   the canary, unchanged (content, mode, owner, link count): anything else
   is an escape, and the target aborts. */
#include "fuzz.h"
#include "../src/image/layer.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/hako-fuzz-layer.XXXXXX";
static char *dir, *sub, *outside, *canary;
static const char canary_text[] = "canary\n";
static int cwdfd = -1; /* libFuzzer's: its corpus paths may be relative */

static void
cleanup (void)
{
  if (chdir ("/") == 0)
    fuzz_rm_rf (root);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cwdfd = open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cwdfd < 0 || mkdtemp (root) == NULL)
    abort ();
  dir = xasprintf ("%s/dir", root);
  sub = xasprintf ("%s/dir/sub", root);
  outside = xasprintf ("%s/outside", root);
  canary = xasprintf ("%s/outside/canary", root);
  if (mkdir (dir, 0755) < 0 || mkdir (outside, 0755) < 0)
    abort ();
  int fd = open (canary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, canary_text, sizeof (canary_text) - 1) < 0)
    abort ();
  close (fd);
  atexit (cleanup);
  return 0;
}

static void
only_entries (const char *path, const char *a, const char *b)
{
  DIR *d = opendir (path);
  struct dirent *de;
  if (d == NULL)
    {
      fprintf (stderr, "fuzz: %s is gone\n", path);
      abort ();
    }
  while ((de = readdir (d)))
    {
      const char *n = de->d_name;
      if (strcmp (n, ".") == 0 || strcmp (n, "..") == 0 || strcmp (n, a) == 0 || (b && strcmp (n, b) == 0))
        continue;
      fprintf (stderr, "fuzz: escape: %s/%s was created\n", path, n);
      abort ();
    }
  closedir (d);
}

static void
check_canary (void)
{
  struct stat st;
  char buf[64];
  int fd = open (canary, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      fprintf (stderr, "fuzz: escape: canary is gone\n");
      abort ();
    }
  ssize_t n = read (fd, buf, sizeof (buf));
  close (fd);
  if (n != (ssize_t) sizeof (canary_text) - 1 || memcmp (buf, canary_text, (size_t) n) != 0
      || (st.st_mode & 07777) != 0644 || st.st_uid != getuid () || st.st_nlink != 1 || !S_ISREG (st.st_mode))
    {
      fprintf (stderr, "fuzz: escape: canary changed\n");
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  if (mkdir (sub, 0755) < 0 || chdir (sub) < 0)
    abort ();
  int destfd = open (sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int srcfd = memfd_create ("layer", MFD_CLOEXEC);
  if (destfd < 0 || srcfd < 0 || write (srcfd, data, size) != (ssize_t) size
      || lseek (srcfd, 0, SEEK_SET) < 0)
    abort ();

  struct img_apply_opts opts
      = { .whiteouts = true, .ownership = true, .devices = true, .max_bytes = 8 << 20 };
  char *diff_id = NULL;
  uint64_t total = 0;
  int ret = img_layer_apply (srcfd, destfd, &opts, &diff_id, &total, &err);
  fuzz_check_err (ret, &err);
  if (ret == 0 && (diff_id == NULL || strncmp (diff_id, "sha256:", 7) != 0))
    abort ();
  free (diff_id);
  close (srcfd);
  close (destfd);

  if (fchdir (cwdfd) < 0)
    abort ();
  only_entries (root, "dir", "outside");
  only_entries (dir, "sub", NULL);
  only_entries (outside, "canary", NULL);
  check_canary ();
  fuzz_rm_rf (sub);
  if (access (sub, F_OK) == 0)
    {
      fprintf (stderr, "fuzz: could not remove %s\n", sub);
      abort ();
    }
  return 0;
}
