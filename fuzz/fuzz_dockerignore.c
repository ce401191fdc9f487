/* SPDX-License-Identifier: Apache-2.0 */
/* .dockerignore / .containerignore: the loader (the API reads the file
   from the context directory, so the input is written to a private one),
   then matching a few context paths against the rules, and each line as a
   glob on its own. */
#include "fuzz.h"
#include "../src/build/internal.h"
#include <fcntl.h>
#include <unistd.h>

static char ctx[] = "/tmp/hako-fuzz-ignore.XXXXXX";
static char *path;
static int ctxfd = -1;

static void
cleanup (void)
{
  fuzz_rm_rf (ctx);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  if (mkdtemp (ctx) == NULL)
    abort ();
  path = xasprintf ("%s/.dockerignore", ctx);
  ctxfd = open (ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (ctxfd < 0)
    abort ();
  atexit (cleanup);
  return 0;
}

static const char *const paths[] = {
  "Containerfile",    "a", "a/b", "a/b/c.txt", "src/main.c", ".git/config", "node_modules/x/y.js",
  "dir/nested/n.txt", "*",
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, data, size) != (ssize_t) size)
    abort ();
  close (fd);

  struct bld_ignore *ig = NULL;
  int ret = bld_ignore_load (ctxfd, &ig, &err);
  fuzz_check_err (ret, &err);
  if (ret == 0)
    {
      for (size_t i = 0; i < sizeof (paths) / sizeof (paths[0]); i++)
        bld_ignored (ig, paths[i]);
      bld_ignore_free (ig);
    }

  char *s = fuzz_str (data, size);
  char *save = NULL;
  for (char *line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    for (size_t i = 0; i < sizeof (paths) / sizeof (paths[0]); i++)
      bld_glob_match (line, paths[i]);
  free (s);
  return 0;
}
