/* SPDX-License-Identifier: Apache-2.0 */
/* Auth files (docker's config.json, containers' auth.json): lookups for
   Docker Hub and a private registry, then `login` and `logout` on the same
   file.  The API takes a path: the input is written to a private temporary
   directory.  PATH is emptied so that a credHelpers/credsStore entry never
   runs a program. */
#include "fuzz.h"
#include "../src/image/auth.h"
#include <fcntl.h>
#include <unistd.h>

static char dir[] = "/tmp/hako-fuzz-auth.XXXXXX";
static char *path;

static void
cleanup (void)
{
  fuzz_rm_rf (dir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  if (mkdtemp (dir) == NULL)
    abort ();
  path = xasprintf ("%s/auth.json", dir);
  setenv ("PATH", "/nonexistent", 1);
  atexit (cleanup);
  return 0;
}

static void
lookup (const char *registry)
{
  struct hako_err *err = NULL;
  char *user = NULL, *pass = NULL;
  int r = img_auth_get (path, registry, &user, &pass, &err);
  if (r == 0 && (user == NULL || pass == NULL))
    abort ();
  fuzz_check_err (r, &err);
  free (user);
  free (pass);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct hako_err *err = NULL;
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, data, size) != (ssize_t) size)
    abort ();
  close (fd);

  lookup ("docker.io");
  lookup ("registry.example:5000");
  lookup ("localhost");
  if (img_auth_set (path, "registry.example:5000", "user", "pa:ss", &err) == 0)
    {
      char *user = NULL, *pass = NULL;
      if (img_auth_get (path, "registry.example:5000", &user, &pass, &err) == 0)
        {
          if (strcmp (user, "user") != 0 || strcmp (pass, "pa:ss") != 0)
            abort ();
          free (user);
          free (pass);
        }
      hako_error_free (&err);
      fuzz_check_err (img_auth_remove (path, "docker.io", &err), &err);
    }
  hako_error_free (&err);

  char *s = fuzz_str (data, size);
  size_t n;
  free (img_base64_decode (s, &n));
  free (s);
  return 0;
}
