/* SPDX-License-Identifier: Apache-2.0 */
/* A main() for the fuzz targets outside libFuzzer: feed each file given
   (or each file of each directory given) to LLVMFuzzerTestOneInput once.
   The default build links every target with it and `meson test` replays
   the seed corpora and fuzz/regressions/ (the inputs that once crashed),
   under the sanitizers too in `make sanitize`. */
#include "fuzz.h"
#include "../src/util/cleanup.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__ ((weak)) int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static int
replay_file (const char *path)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      fprintf (stderr, "replay: %s: %s\n", path, strerror (errno));
      return -1;
    }
  uint8_t *buf = xmalloc ((size_t) st.st_size + 1);
  size_t n = 0;
  while (n < (size_t) st.st_size)
    {
      ssize_t r = read (fd, buf + n, (size_t) st.st_size - n);
      if (r <= 0)
        break;
      n += (size_t) r;
    }
  /* a copy of exactly n bytes, so that ASan sees a read past the input */
  uint8_t *data = xmalloc (n ? n : 1);
  memcpy (data, buf, n);
  free (buf);
  LLVMFuzzerTestOneInput (data, n);
  free (data);
  return 0;
}

int
main (int argc, char **argv)
{
  int files = 0, failed = 0;
  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      struct stat st;
      if (stat (argv[i], &st) < 0)
        continue; /* no regressions for this target yet */
      if (!S_ISDIR (st.st_mode))
        {
          failed += replay_file (argv[i]) < 0;
          files++;
          continue;
        }
      DIR *d = opendir (argv[i]);
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          if (de->d_name[0] == '.')
            continue;
          cleanup_free char *p = xasprintf ("%s/%s", argv[i], de->d_name);
          failed += replay_file (p) < 0;
          files++;
        }
      if (d)
        closedir (d);
    }
  printf ("replayed %d inputs\n", files);
  return failed ? 1 : 0;
}
