/* SPDX-License-Identifier: Apache-2.0 */
/* util/: safe resolution inside a root (both the openat2 path and the
   component walk), creation inside a root (both again), path strings, whole-file helpers,
   rm -rf, and the error contract. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/util/cleanup.h"
#include "../../src/util/error.h"
#include "../../src/util/path.h"

typedef int (*open_fn) (int, const char *, int, mode_t, struct hako_err **);

/* Per-test fixture: a temporary directory with a "root" inside it and a
   "host" world around it, so an escape is visible as reading the host file. */
struct fixture
{
  char tmp[64];
  char *root;
  int rootfd;
  open_fn open_in_root;
};

static void
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static void
mk (struct fixture *fx, const char *rel)
{
  cleanup_free char *p = hako_path_join (fx->tmp, rel);
  assert_int_equal (mkdir (p, 0755), 0);
}

static void
ln (struct fixture *fx, const char *target, const char *rel)
{
  cleanup_free char *p = hako_path_join (fx->tmp, rel);
  assert_int_equal (symlink (target, p), 0);
}

static void
put (struct fixture *fx, const char *rel, const char *text)
{
  cleanup_free char *p = hako_path_join (fx->tmp, rel);
  write_text (p, text);
}

static int
setup_common (void **state, open_fn fn)
{
  struct fixture *fx = calloc (1, sizeof (*fx));
  strcpy (fx->tmp, "/tmp/hako-test-util-XXXXXX");
  if (mkdtemp (fx->tmp) == NULL)
    return -1;
  fx->open_in_root = fn;
  fx->root = hako_path_join (fx->tmp, "root");

  /* The host side: what an escape would reach. */
  put (fx, "secret", "host\n");
  mk (fx, "hostdir");
  put (fx, "hostdir/keep", "host\n");

  /* The container side. */
  mk (fx, "root");
  put (fx, "root/secret", "root\n");
  mk (fx, "root/a");
  mk (fx, "root/a/b");
  put (fx, "root/a/b/file", "deep\n");
  ln (fx, "/", "root/to_slash");
  ln (fx, "../../..", "root/a/b/up3");
  ln (fx, "../../../../../../../../secret", "root/a/dotdots");
  cleanup_free char *host_secret = hako_path_join (fx->tmp, "secret");
  ln (fx, host_secret, "root/abs_host");
  cleanup_free char *host_dir = hako_path_join (fx->tmp, "hostdir");
  ln (fx, host_dir, "root/abs_hostdir");
  ln (fx, "/a/b", "root/ab");
  ln (fx, "loop2", "root/loop1");
  ln (fx, "loop1", "root/loop2");
  ln (fx, "/missing/dir", "root/dangling_dir");
  ln (fx, "../nowhere/file", "root/a/dangling_file");
  /* /proc/self/root is a magic link out of any root. */
  ln (fx, "/proc/self/root/etc", "root/magic");

  fx->rootfd = open (fx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fx->rootfd < 0)
    return -1;
  *state = fx;
  return 0;
}

static int
setup_openat2 (void **state)
{
  return setup_common (state, hako_open_in_root);
}

static int
setup_fallback (void **state)
{
  hako_open_in_root_force_fallback (true);
  return setup_common (state, hako_open_in_root_fallback);
}

static int
teardown (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  /* A failed assertion may have left a test's mount behind. */
  static const char *const mounts[] = { "root/proc", "root/a/b" };
  for (size_t i = 0; i < sizeof (mounts) / sizeof (mounts[0]); i++)
    {
      cleanup_free char *m = hako_path_join (fx->tmp, mounts[i]);
      umount2 (m, MNT_DETACH);
    }
  int r = hako_rm_rf (fx->tmp, &err);
  hako_open_in_root_force_fallback (false);
  close (fx->rootfd);
  free (fx->root);
  free (fx);
  hako_error_free (&err);
  return r;
}

/* Read the file `path` names inside the root; NULL when it cannot be opened. */
static char *
read_in_root (struct fixture *fx, const char *path, int *errno_out)
{
  struct hako_err *err = NULL;
  char *buf = NULL;
  cleanup_close int fd = fx->open_in_root (fx->rootfd, path, O_RDONLY, 0, &err);
  *errno_out = fd < 0 ? err->errno_ : 0;
  hako_error_free (&err);
  if (fd < 0)
    return NULL;
  assert_int_equal (hako_read_fd (fd, &buf, NULL, NULL), 0);
  return buf;
}

static void
assert_reads (struct fixture *fx, const char *path, const char *want)
{
  int e;
  cleanup_free char *got = read_in_root (fx, path, &e);
  if (got == NULL)
    fail_msg ("%s: errno %d", path, e);
  assert_string_equal (got, want);
}

static void
assert_fails (struct fixture *fx, const char *path, int want_errno)
{
  int e;
  cleanup_free char *got = read_in_root (fx, path, &e);
  if (got != NULL)
    fail_msg ("%s: opened, read \"%s\"", path, got);
  assert_int_equal (e, want_errno);
}

/* ---- resolution ---- */

static void
test_plain_paths (void **state)
{
  struct fixture *fx = *state;
  assert_reads (fx, "secret", "root\n");
  assert_reads (fx, "/secret", "root\n");
  assert_reads (fx, "a/b/file", "deep\n");
  assert_reads (fx, "//a/./b//file", "deep\n");
  assert_reads (fx, "a/b/../b/file", "deep\n");
  assert_fails (fx, "nope", ENOENT);
  assert_fails (fx, "secret/x", ENOTDIR);
}

static void
test_dotdot_stays_in_root (void **state)
{
  struct fixture *fx = *state;
  assert_reads (fx, "../secret", "root\n");
  assert_reads (fx, "/../../../../secret", "root\n");
  assert_reads (fx, "a/../../../secret", "root\n");
}

static void
test_symlink_to_slash (void **state)
{
  struct fixture *fx = *state;
  assert_reads (fx, "to_slash/secret", "root\n");
  assert_reads (fx, "to_slash/to_slash/a/b/file", "deep\n");
  assert_reads (fx, "a/b/up3/secret", "root\n");
  assert_reads (fx, "a/dotdots", "root\n");
  assert_reads (fx, "ab/file", "deep\n");
}

static void
test_absolute_host_link (void **state)
{
  struct fixture *fx = *state;
  /* The host path does not exist inside the root: ENOENT, not the host file. */
  assert_fails (fx, "abs_host", ENOENT);
  assert_fails (fx, "abs_hostdir/keep", ENOENT);

  /* Make the same path exist inside the root: that copy is what opens. */
  cleanup_free char *inner = xasprintf ("root%s", fx->tmp);
  struct hako_err *err = NULL;
  int d = hako_mkdir_in_root (fx->rootfd, fx->tmp, 0755, &err);
  assert_true (d >= 0);
  close (d);
  cleanup_free char *rel = xasprintf ("%s/secret", inner);
  put (fx, rel, "inner\n");
  assert_reads (fx, "abs_host", "inner\n");
}

static void
test_magic_link_not_followed (void **state)
{
  struct fixture *fx = *state;
  int e;
  /* /proc/self/root inside the root is just text: it does not exist there. */
  cleanup_free char *got = read_in_root (fx, "magic/hostname", &e);
  assert_null (got);
}

/* With a real procfs inside the root, /proc/self/root is a magic link to the
   host's "/": openat2 refuses it (ELOOP), the walk reads its text ("/") and
   stays in the root.  Either way the host's file is never reached. */
static void
test_real_magic_link (void **state)
{
  struct fixture *fx = *state;
  int e;

  if (geteuid () != 0 || unshare (CLONE_NEWNS) < 0)
    skip ();
  assert_int_equal (mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL), 0);
  mk (fx, "root/proc");
  mk (fx, "root/etc");
  put (fx, "root/etc/passwd", "inner\n");
  cleanup_free char *proc = xasprintf ("%s/proc", fx->root);
  assert_int_equal (mount ("proc", proc, "proc", 0, NULL), 0);
  /* The fixture's fd belongs to the old mount namespace, without this proc. */
  close (fx->rootfd);
  fx->rootfd = open (fx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *got = read_in_root (fx, "proc/self/root/etc/passwd", &e);
  if (fx->open_in_root == hako_open_in_root_fallback || got)
    assert_string_equal (got, "inner\n"); /* the walk (or valgrind, without openat2) */
  else
    assert_int_equal (e, ELOOP);
  free (got);
  got = read_in_root (fx, "proc/self/cwd/secret", &e);
  if (got)
    assert_string_equal (got, "root\n");
  free (got);
  assert_int_equal (umount2 (proc, MNT_DETACH), 0);
}

static void
test_eloop (void **state)
{
  struct fixture *fx = *state;
  assert_fails (fx, "loop1", ELOOP);
  assert_fails (fx, "loop1/x", ELOOP);
}

static void
test_nofollow_and_create (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  struct stat st;

  int fd = fx->open_in_root (fx->rootfd, "to_slash", O_PATH | O_NOFOLLOW, 0, &err);
  assert_true (fd >= 0);
  assert_int_equal (fstat (fd, &st), 0);
  assert_true (S_ISLNK (st.st_mode));
  close (fd);

  fd = fx->open_in_root (fx->rootfd, "to_slash", O_RDONLY | O_DIRECTORY, 0, &err);
  assert_true (fd >= 0);
  close (fd);

  /* O_CREAT through a link to "/" creates inside the root. */
  fd = fx->open_in_root (fx->rootfd, "to_slash/new", O_CREAT | O_WRONLY, 0600, &err);
  assert_true (fd >= 0);
  close (fd);
  cleanup_free char *p = xasprintf ("%s/new", fx->root);
  assert_int_equal (stat (p, &st), 0);
  assert_true (S_ISREG (st.st_mode));
  hako_error_free (&err);
}

/* ---- creation ---- */

static void
assert_host_untouched (struct fixture *fx)
{
  cleanup_free char *p = xasprintf ("%s/hostdir", fx->tmp);
  cleanup_dir DIR *d = opendir (p);
  struct dirent *de;
  int n = 0;
  assert_non_null (d);
  while ((de = readdir (d)))
    n++;
  assert_int_equal (n, 3); /* ".", "..", "keep" */
}

static void
test_mkdir_in_root_symlinked_parent (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  struct stat st;

  int fd = hako_mkdir_in_root (fx->rootfd, "abs_hostdir/made/deeper", 0755, &err);
  if (fd < 0)
    fail_msg ("%s", err->msg);
  close (fd);
  assert_host_untouched (fx);
  cleanup_free char *inside = xasprintf ("%s%s/hostdir/made/deeper", fx->root, fx->tmp);
  assert_int_equal (stat (inside, &st), 0);
  assert_true (S_ISDIR (st.st_mode));

  fd = hako_mkdir_in_root (fx->rootfd, "a/b/up3/top/x", 0755, &err);
  assert_true (fd >= 0);
  close (fd);
  cleanup_free char *top = xasprintf ("%s/top/x", fx->root);
  assert_int_equal (stat (top, &st), 0);

  /* A dangling link is followed (inside the root) and its target created. */
  fd = hako_mkdir_in_root (fx->rootfd, "dangling_dir/sub", 0755, &err);
  assert_true (fd >= 0);
  close (fd);
  cleanup_free char *dd = xasprintf ("%s/missing/dir/sub", fx->root);
  assert_int_equal (stat (dd, &st), 0);

  /* Existing: just opened.  A file in the way: ENOTDIR. */
  fd = hako_mkdir_in_root (fx->rootfd, "/a/b", 0755, &err);
  assert_true (fd >= 0);
  close (fd);
  assert_true (hako_mkdir_in_root (fx->rootfd, "secret/x", 0755, &err) < 0);
  assert_int_equal (err->errno_, ENOTDIR);
  hako_error_free (&err);
}

static void
test_create_file_in_root (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  struct stat st;

  int fd = hako_create_file_in_root (fx->rootfd, "/abs_hostdir/etc/hosts", 0644, &err);
  if (fd < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (fstat (fd, &st), 0);
  assert_true (S_ISREG (st.st_mode));
  close (fd);
  assert_host_untouched (fx);

  /* Through a dangling link to a missing file: created inside the root. */
  fd = hako_create_file_in_root (fx->rootfd, "a/dangling_file", 0644, &err);
  if (fd < 0)
    fail_msg ("%s", err->msg);
  close (fd);
  cleanup_free char *p = xasprintf ("%s/nowhere/file", fx->root);
  assert_int_equal (stat (p, &st), 0);
  assert_true (S_ISREG (st.st_mode));

  /* An existing directory comes back as is. */
  fd = hako_create_file_in_root (fx->rootfd, "a", 0644, &err);
  assert_true (fd >= 0);
  assert_int_equal (fstat (fd, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  close (fd);
  hako_error_free (&err);
}

/* ---- strings ---- */

static void
check_clean (const char *in, const char *want)
{
  cleanup_free char *got = hako_path_clean (in);
  if (strcmp (got, want) != 0)
    fail_msg ("clean(\"%s\") = \"%s\", want \"%s\"", in, got, want);
}

static void
test_path_clean (void **state)
{
  check_clean ("", ".");
  check_clean ("/", "/");
  check_clean ("//", "/");
  check_clean ("/a/b/", "/a/b");
  check_clean ("/a//b/./c", "/a/b/c");
  check_clean ("/a/b/../c", "/a/c");
  check_clean ("/../../x", "/x");
  check_clean ("/a/../..", "/");
  check_clean ("a/b/..", "a");
  check_clean ("a/../..", ".");
  check_clean ("../x", "x");
  check_clean ("./a/./", "a");
  check_clean ("/.../a", "/.../a");
  check_clean ("/a/..b/c", "/a/..b/c");
}

static void
check_join (const char *a, const char *b, const char *want)
{
  cleanup_free char *got = hako_path_join (a, b);
  if (strcmp (got, want) != 0)
    fail_msg ("join(\"%s\", \"%s\") = \"%s\", want \"%s\"", a, b, got, want);
}

static void
test_path_join (void **state)
{
  check_join ("/a", "b", "/a/b");
  check_join ("/a/", "/b", "/a/b");
  check_join ("/a//", "//b/c", "/a/b/c");
  check_join ("/", "b", "/b");
  check_join ("/", "/", "/");
  check_join ("", "b", "b");
  check_join ("a", "", "a");
}

static void
test_fd_path (void **state)
{
  char buf[HAKO_FD_PATH_MAX];
  assert_string_equal (hako_fd_path (7, buf), "/proc/self/fd/7");
  assert_string_equal (hako_fd_path (2147483647, buf), "/proc/self/fd/2147483647");
}

/* ---- files ---- */

static void
test_write_atomic (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  cleanup_free char *p = xasprintf ("%s/state.json", fx->tmp);
  char *got = NULL;
  size_t len = 0;
  struct stat st;

  assert_int_equal (hako_write_file_atomic (p, "{\"a\":1}", 7, 0640, &err), 0);
  assert_int_equal (hako_write_file_atomic (p, "{}", 2, 0640, &err), 0);
  assert_int_equal (hako_read_file (p, &got, &len, &err), 0);
  assert_int_equal (len, 2);
  assert_string_equal (got, "{}");
  free (got);
  assert_int_equal (stat (p, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0640);

  /* No temporary file left behind. */
  cleanup_dir DIR *d = opendir (fx->tmp);
  struct dirent *de;
  while ((de = readdir (d)))
    assert_null (strstr (de->d_name, ".tmp"));

  cleanup_free char *bad = xasprintf ("%s/no/such/dir/f", fx->tmp);
  assert_true (hako_write_file_atomic (bad, "x", 1, 0600, &err) < 0);
  assert_int_equal (err->errno_, ENOENT);
  hako_error_free (&err);

  assert_true (hako_read_file (bad, &got, &len, &err) < 0);
  assert_non_null (strstr (err->msg, bad));
  hako_error_free (&err);
}

static void
test_read_large (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  cleanup_free char *p = xasprintf ("%s/big", fx->tmp);
  size_t n = 100000, len = 0;
  cleanup_free char *data = malloc (n);
  char *got = NULL;
  for (size_t i = 0; i < n; i++)
    data[i] = (char) ('a' + i % 26);
  int fd = open (p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  assert_int_equal (hako_write_all (fd, data, n), 0);
  close (fd);
  assert_int_equal (hako_read_file (p, &got, &len, &err), 0);
  assert_int_equal (len, n);
  assert_memory_equal (got, data, n);
  assert_int_equal (got[n], '\0');
  free (got);
}

static void
test_mkdir_p (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  struct stat st;
  cleanup_free char *p = xasprintf ("%s/x/y//z/", fx->tmp);
  assert_int_equal (hako_mkdir_p (p, 0700, &err), 0);
  assert_int_equal (hako_mkdir_p (p, 0700, &err), 0);
  assert_int_equal (stat (p, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  cleanup_free char *f = xasprintf ("%s/secret/sub", fx->tmp);
  assert_true (hako_mkdir_p (f, 0700, &err) < 0);
  assert_int_equal (err->errno_, ENOTDIR);
  hako_error_free (&err);
}

static void
test_rm_rf (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;
  struct stat st;

  /* The links to the host inside root must be removed, not followed. */
  cleanup_free char *ln_dir = xasprintf ("%s/a/b/hostlink", fx->root);
  cleanup_free char *host = xasprintf ("%s/hostdir", fx->tmp);
  assert_int_equal (symlink (host, ln_dir), 0);
  cleanup_free char *ro = xasprintf ("%s/a/ro", fx->root);
  assert_int_equal (mkdir (ro, 0500), 0);
  assert_int_equal (hako_rm_rf (fx->root, &err), 0);
  assert_int_equal (lstat (fx->root, &st), -1);
  assert_host_untouched (fx);
  /* Missing is success, as rm -f. */
  assert_int_equal (hako_rm_rf (fx->root, &err), 0);
  assert_null (err);
}

static void
test_rm_rf_mount_point (void **state)
{
  struct fixture *fx = *state;
  struct hako_err *err = NULL;

  if (geteuid () != 0 || unshare (CLONE_NEWNS) < 0)
    skip ();
  assert_int_equal (mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL), 0);
  cleanup_free char *mnt = xasprintf ("%s/a/b", fx->root);
  assert_int_equal (mount ("tmpfs", mnt, "tmpfs", 0, NULL), 0);
  cleanup_free char *inmnt = xasprintf ("%s/precious", mnt);
  write_text (inmnt, "x");
  assert_true (hako_rm_rf (fx->root, &err) < 0);
  assert_int_equal (err->errno_, EBUSY);
  assert_non_null (strstr (err->msg, "a/b"));
  assert_int_equal (access (inmnt, F_OK), 0);
  assert_int_equal (umount2 (mnt, MNT_DETACH), 0);
  hako_error_free (&err);
}

/* ---- the error contract ---- */

static int
fail_inner (struct hako_err **err)
{
  return hako_error (err, EPERM, "mount `%s` on `%s`", "proc", "/proc");
}

static int
fail_outer (struct hako_err **err)
{
  if (fail_inner (err) < 0)
    return hako_error_prefix (err, "create `%s`", "web");
  return 0;
}

static void
test_error_contract (void **state)
{
  struct hako_err *err = NULL;
  assert_true (fail_outer (&err) < 0);
  assert_int_equal (err->errno_, EPERM);
  assert_string_equal (err->msg, "create `web`: mount `proc` on `/proc`");
  cleanup_free char *s = hako_error_string (err);
  assert_string_equal (s, "create `web`: mount `proc` on `/proc`: Operation not permitted");

  /* The first error wins: a later one does not overwrite the cause. */
  assert_true (hako_error (&err, ENOENT, "later") < 0);
  assert_int_equal (err->errno_, EPERM);

  /* Across the sync socket and back. */
  struct hako_err_wire w;
  struct hako_err *back = NULL;
  hako_error_to_wire (err, &w);
  assert_true (hako_error_from_wire (&back, &w) < 0);
  assert_int_equal (back->errno_, EPERM);
  assert_string_equal (back->msg, err->msg);
  hako_error_free (&back);
  hako_error_free (&err);
  assert_null (err);

  /* No errno: the message alone; NULL err is allowed everywhere. */
  assert_true (hako_error (&err, 0, "bad `%s`", "x") < 0);
  cleanup_free char *s2 = hako_error_string (err);
  assert_string_equal (s2, "bad `x`");
  hako_error_free (&err);
  assert_true (hako_error (NULL, EIO, "ignored") < 0);
  assert_true (hako_error_prefix (NULL, "ignored") < 0);
}

#define RESOLVE_TESTS(setup)                                                                                 \
  cmocka_unit_test_setup_teardown (test_plain_paths, setup, teardown),                                       \
      cmocka_unit_test_setup_teardown (test_dotdot_stays_in_root, setup, teardown),                          \
      cmocka_unit_test_setup_teardown (test_symlink_to_slash, setup, teardown),                              \
      cmocka_unit_test_setup_teardown (test_absolute_host_link, setup, teardown),                            \
      cmocka_unit_test_setup_teardown (test_magic_link_not_followed, setup, teardown),                       \
      cmocka_unit_test_setup_teardown (test_real_magic_link, setup, teardown),                               \
      cmocka_unit_test_setup_teardown (test_eloop, setup, teardown),                                         \
      cmocka_unit_test_setup_teardown (test_nofollow_and_create, setup, teardown),                           \
      cmocka_unit_test_setup_teardown (test_mkdir_in_root_symlinked_parent, setup, teardown),                \
      cmocka_unit_test_setup_teardown (test_create_file_in_root, setup, teardown)

int
main (void)
{
  const struct CMUnitTest openat2_tests[] = { RESOLVE_TESTS (setup_openat2) };
  const struct CMUnitTest fallback_tests[] = { RESOLVE_TESTS (setup_fallback) };
  const struct CMUnitTest other_tests[] = {
    cmocka_unit_test (test_path_clean),
    cmocka_unit_test (test_path_join),
    cmocka_unit_test (test_fd_path),
    cmocka_unit_test_setup_teardown (test_write_atomic, setup_openat2, teardown),
    cmocka_unit_test_setup_teardown (test_read_large, setup_openat2, teardown),
    cmocka_unit_test_setup_teardown (test_mkdir_p, setup_openat2, teardown),
    cmocka_unit_test_setup_teardown (test_rm_rf, setup_openat2, teardown),
    cmocka_unit_test_setup_teardown (test_rm_rf_mount_point, setup_openat2, teardown),
    cmocka_unit_test (test_error_contract),
  };
  int failed = 0;
  failed += cmocka_run_group_tests_name ("open_in_root (openat2)", openat2_tests, NULL, NULL);
  failed += cmocka_run_group_tests_name ("open_in_root (walk)", fallback_tests, NULL, NULL);
  failed += cmocka_run_group_tests_name ("util", other_tests, NULL, NULL);
  return failed;
}
