/* SPDX-License-Identifier: Apache-2.0 */
/* runtime/seccomp.c and sha256.c without a container: the hash against the
   FIPS 180-4 vectors, the spec's errors from hako_seccomp_prepare (each
   naming its field), and the compiled-filter cache (one entry per filter,
   reused, a damaged entry recompiled, not trusted when others can write). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/oci/spec.h"
#include "../../src/runtime/seccomp.h"
#include "../../src/runtime/sha256.h"
#include "../../src/util/error.h"
#include "../../src/util/path.h"

static void
check_hash (const char *in, const char *want)
{
  uint8_t d[HAKO_SHA256_LEN];
  char hex[2 * HAKO_SHA256_LEN + 1];
  hako_sha256 (in, strlen (in), d);
  hako_sha256_hex (d, hex);
  assert_string_equal (hex, want);
}

static void
test_sha256_vectors (void **state)
{
  (void) state;
  check_hash ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_hash ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check_hash ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* a million 'a', fed in uneven pieces */
  struct hako_sha256 c;
  uint8_t d[HAKO_SHA256_LEN];
  char hex[2 * HAKO_SHA256_LEN + 1];
  char *m = malloc (1000000);
  memset (m, 'a', 1000000);
  hako_sha256_init (&c);
  for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 997 + 1)
    hako_sha256_update (&c, m + off, off + step > 1000000 ? 1000000 - off : step);
  hako_sha256_final (&c, d);
  hako_sha256_hex (d, hex);
  assert_string_equal (hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free (m);
}

/* The seccomp object of a config.json made around `seccomp_json`. */
static struct oci_spec *
spec_with (const char *seccomp_json)
{
  char *json = xasprintf (
      "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"seccomp\": %s}}",
      seccomp_json);
  struct oci_spec *spec = NULL;
  struct hako_err *err = NULL;
  if (oci_spec_parse (json, strlen (json), "config.json", &spec, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  free (json);
  return spec;
}

/* prepare must fail with a message containing `want`. */
static void
expect_error (const char *seccomp_json, const char *want)
{
  struct oci_spec *spec = spec_with (seccomp_json);
  struct hako_seccomp_prog *p = NULL;
  struct hako_err *err = NULL;
  assert_int_equal (hako_seccomp_prepare (spec->linux_->seccomp, NULL, &p, &err), -1);
  assert_null (p);
  if (strstr (err->msg, want) == NULL)
    fail_msg ("error `%s` lacks `%s`", err->msg, want);
  hako_error_free (&err);
  oci_spec_free (spec);
}

static void
test_errors (void **state)
{
  (void) state;
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}",
                "linux.seccomp.defaultErrnoRet");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"], "
                "\"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
                "linux.seccomp.syscalls[0].errnoRet");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"], "
                "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 70000}]}",
                "16 bits");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"m\"}", "listenerMetadata");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"], "
                "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "linux.seccomp.listenerPath");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/x\"}", "defaultAction");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/x\", \"syscalls\": "
                "[{\"names\": [\"umask\", \"sendmsg\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "linux.seccomp.syscalls[0].names[1]");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"NOPE\"]}",
                "linux.seccomp.flags[1]: unknown flag \"NOPE\"");
  if (hako_seccomp_enabled ())
    expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
                  "\"SCMP_ARCH_NOPE\"]}",
                  "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_NOPE\"");
}

static size_t
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

static char *
only_entry (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  char *name = NULL;
  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      name = hako_path_join (dir, de->d_name);
  if (d)
    closedir (d);
  return name;
}

static void
prepare_ok (const char *seccomp_json, const char *cache)
{
  struct oci_spec *spec = spec_with (seccomp_json);
  struct hako_seccomp_prog *p = NULL;
  struct hako_err *err = NULL;
  if (hako_seccomp_prepare (spec->linux_->seccomp, cache, &p, &err) < 0)
    fail_msg ("prepare: %s", err->msg);
  assert_non_null (p);
  hako_seccomp_prog_free (p);
  oci_spec_free (spec);
}

static void
test_cache (void **state)
{
  (void) state;
  if (!hako_seccomp_enabled ())
    skip ();
  char tmp[] = "/tmp/hako-seccomp-test.XXXXXX";
  assert_non_null (mkdtemp (tmp));
  char *cache = hako_path_join (tmp, "cache");
  const char *f1 = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\", "
                   "\"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 6, \"args\": "
                   "[{\"index\": 0, \"value\": 18, \"op\": \"SCMP_CMP_EQ\"}]}]}";
  /* the same filter, written differently: same entry */
  const char *f1b
      = "{ \"syscalls\": [{\"errnoRet\": 6, \"action\": \"SCMP_ACT_ERRNO\", \"names\": [\"umask\", "
        "\"no_such_syscall\"], \"args\": [{\"op\": \"SCMP_CMP_EQ\", \"value\": 18, \"index\": 0}]}],"
        "\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/ignored\"}";
  const char *f2 = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"umask\"], "
                   "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 7}]}";

  prepare_ok (f1, cache);
  assert_int_equal (count_entries (cache), 1);
  struct stat st;
  assert_int_equal (stat (cache, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0700);
  char *entry = only_entry (cache);
  struct stat before;
  assert_int_equal (stat (entry, &before), 0);

  prepare_ok (f1b, cache);
  assert_int_equal (count_entries (cache), 1);
  struct stat after;
  assert_int_equal (stat (entry, &after), 0);
  assert_int_equal (before.st_ino, after.st_ino); /* read, not rewritten */

  /* damage it: recompiled and replaced */
  int fd = open (entry, O_WRONLY);
  assert_true (fd >= 0);
  assert_int_equal (pwrite (fd, "xx", 2, 50), 2);
  close (fd);
  prepare_ok (f1, cache);
  assert_int_equal (stat (entry, &after), 0);
  assert_int_not_equal (before.st_ino, after.st_ino);

  prepare_ok (f2, cache);
  assert_int_equal (count_entries (cache), 2);

  /* a cache others can write is not used (nor written) */
  assert_int_equal (chmod (cache, 0777), 0);
  assert_int_equal (stat (entry, &before), 0);
  prepare_ok (f1, cache);
  assert_int_equal (stat (entry, &after), 0);
  assert_int_equal (before.st_ino, after.st_ino);
  assert_int_equal (count_entries (cache), 2);

  struct hako_err *err = NULL;
  hako_rm_rf (tmp, &err);
  hako_error_free (&err);
  free (entry);
  free (cache);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sha256_vectors),
    cmocka_unit_test (test_errors),
    cmocka_unit_test (test_cache),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
