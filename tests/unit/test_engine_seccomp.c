/* SPDX-License-Identifier: Apache-2.0 */
/* engine/seccomp/profile.c: docker-format profiles to linux.seccomp.  The
   built-in profile behaves as docker's default (mount only with
   CAP_SYS_ADMIN, clone without namespace flags otherwise, ptrace with
   CAP_SYS_PTRACE ...), bad profiles fail naming the field, OCI-format
   profiles pass through, and what comes out is accepted by the runtime's
   own parser and compiler -- and, loaded in a child, denies and allows what
   it should. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/engine/seccomp/profile.h"
#include "../../src/oci/spec.h"
#include "../../src/runtime/seccomp.h"
#include "../../src/util/error.h"

/* docker's default capability set */
static const char *const default_caps[] = {
  "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
  "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
  "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
  "CAP_KILL",    "CAP_AUDIT_WRITE",
};
#define N_DEFAULT (sizeof default_caps / sizeof default_caps[0])

static const struct eng_seccomp_host amd64_6_1 = { "amd64", "6.1.0-18-amd64" };

static json_t *
build (const struct eng_seccomp_host *host, const char *profile, const char *const *caps, size_t n)
{
  json_t *out = NULL;
  struct hako_err *err = NULL;
  if (eng_seccomp_build_for (host, profile, profile ? strlen (profile) : 0, caps, n, &out, &err) < 0)
    fail_msg ("build: %s", err->msg);
  return out;
}

static void
expect_error (const char *profile, const char *want)
{
  json_t *out = NULL;
  struct hako_err *err = NULL;
  assert_int_equal (eng_seccomp_build (profile, strlen (profile), NULL, 0, &out, &err), -1);
  assert_null (out);
  if (strstr (err->msg, want) == NULL)
    fail_msg ("error `%s` lacks `%s`", err->msg, want);
  hako_error_free (&err);
}

/* The rules of `s` that name `name` (an array the caller releases). */
static json_t *
rules_for (json_t *s, const char *name)
{
  json_t *found = json_array (), *rule, *n;
  size_t i, j;
  json_array_foreach (json_object_get (s, "syscalls"), i, rule)
  {
    json_array_foreach (json_object_get (rule, "names"), j, n)
    {
      if (strcmp (json_string_value (n), name) == 0)
        json_array_append (found, rule);
    }
  }
  return found;
}

/* An unconditional SCMP_ACT_ALLOW rule for `name`? */
static bool
allowed (json_t *s, const char *name)
{
  json_t *r = rules_for (s, name), *rule;
  size_t i;
  bool yes = false;
  json_array_foreach (r, i, rule)
  {
    if (strcmp (json_string_value (json_object_get (rule, "action")), "SCMP_ACT_ALLOW") == 0
        && json_array_size (json_object_get (rule, "args")) == 0)
      yes = true;
  }
  json_decref (r);
  return yes;
}

static void
test_builtin (void **state)
{
  (void) state;
  assert_true (eng_seccomp_default_json_len > 1000);
  assert_int_equal (strlen (eng_seccomp_default_json), eng_seccomp_default_json_len);

  json_t *s = build (&amd64_6_1, NULL, default_caps, N_DEFAULT);
  assert_non_null (s);
  assert_string_equal (json_string_value (json_object_get (s, "defaultAction")), "SCMP_ACT_ERRNO");
  assert_int_equal (json_integer_value (json_object_get (s, "defaultErrnoRet")), 1);
  json_t *arches = json_object_get (s, "architectures");
  assert_int_equal (json_array_size (arches), 3);
  assert_string_equal (json_string_value (json_array_get (arches, 0)), "SCMP_ARCH_X86_64");
  assert_string_equal (json_string_value (json_array_get (arches, 1)), "SCMP_ARCH_X86");
  assert_string_equal (json_string_value (json_array_get (arches, 2)), "SCMP_ARCH_X32");
  /* no docker-only field survives */
  assert_null (json_object_get (s, "archMap"));
  json_t *rule;
  size_t i;
  json_array_foreach (json_object_get (s, "syscalls"), i, rule)
  {
    assert_null (json_object_get (rule, "includes"));
    assert_null (json_object_get (rule, "excludes"));
    assert_null (json_object_get (rule, "comment"));
  }
  assert_true (allowed (s, "read"));
  assert_true (allowed (s, "execve"));
  assert_true (allowed (s, "arch_prctl")); /* amd64 only */
  assert_true (allowed (s, "ptrace"));     /* minKernel 4.8 */
  assert_true (allowed (s, "chroot"));     /* CAP_SYS_CHROOT is a default */
  assert_false (allowed (s, "io_uring_setup"));
  assert_false (allowed (s, "s390_runtime_instr"));
  assert_false (allowed (s, "set_tls"));
  assert_false (allowed (s, "keyctl"));
  assert_false (allowed (s, "reboot"));
  assert_false (allowed (s, "init_module"));
  assert_false (allowed (s, "syslog"));
  assert_false (allowed (s, "kcmp"));
  json_decref (s);

  /* arm64: its archMap entry, its syscalls */
  const struct eng_seccomp_host arm64 = { "arm64", "6.1.0" };
  s = build (&arm64, NULL, default_caps, N_DEFAULT);
  arches = json_object_get (s, "architectures");
  assert_int_equal (json_array_size (arches), 2);
  assert_string_equal (json_string_value (json_array_get (arches, 0)), "SCMP_ARCH_AARCH64");
  assert_string_equal (json_string_value (json_array_get (arches, 1)), "SCMP_ARCH_ARM");
  assert_true (allowed (s, "set_tls"));
  assert_false (allowed (s, "arch_prctl"));
  json_decref (s);

  /* ptrace needs 4.8 without CAP_SYS_PTRACE */
  const struct eng_seccomp_host old = { "amd64", "4.4.0-210-generic" };
  s = build (&old, NULL, default_caps, N_DEFAULT);
  assert_false (allowed (s, "ptrace"));
  json_decref (s);

  /* this host: it parses, and covers this architecture */
  json_t *here = NULL;
  struct hako_err *err = NULL;
  assert_int_equal (eng_seccomp_build (NULL, 0, default_caps, N_DEFAULT, &here, &err), 0);
  assert_non_null (here);
#if defined(__x86_64__) && !defined(__ILP32__)
  assert_string_equal (json_string_value (json_array_get (json_object_get (here, "architectures"), 0)),
                       "SCMP_ARCH_X86_64");
#endif
  json_decref (here);
}

static void
test_caps (void **state)
{
  (void) state;
  json_t *s = build (&amd64_6_1, NULL, default_caps, N_DEFAULT);
  assert_false (allowed (s, "mount"));
  assert_false (allowed (s, "umount2"));
  assert_false (allowed (s, "unshare"));
  assert_false (allowed (s, "setns"));
  assert_false (allowed (s, "bpf"));
  json_decref (s);

  const char *admin[N_DEFAULT + 1];
  memcpy (admin, default_caps, sizeof default_caps);
  admin[N_DEFAULT] = "CAP_SYS_ADMIN";
  s = build (&amd64_6_1, NULL, admin, N_DEFAULT + 1);
  assert_true (allowed (s, "mount"));
  assert_true (allowed (s, "umount2"));
  assert_true (allowed (s, "unshare"));
  assert_true (allowed (s, "setns"));
  assert_true (allowed (s, "clone"));
  assert_true (allowed (s, "clone3"));
  json_decref (s);

  const char *const more[]
      = { "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYSLOG", "CAP_SYS_TIME" };
  s = build (&amd64_6_1, NULL, more, 5);
  assert_true (allowed (s, "kcmp"));
  assert_true (allowed (s, "process_vm_writev"));
  assert_true (allowed (s, "init_module"));
  assert_true (allowed (s, "reboot"));
  assert_true (allowed (s, "syslog"));
  assert_true (allowed (s, "settimeofday"));
  assert_false (allowed (s, "mount"));
  json_decref (s);

  /* names without CAP_, in another case, as --cap-add takes them */
  const char *const loose[] = { "sys_admin" };
  s = build (&amd64_6_1, NULL, loose, 1);
  assert_true (allowed (s, "mount"));
  json_decref (s);
}

static void
test_clone_filters (void **state)
{
  (void) state;
  json_t *s = build (&amd64_6_1, NULL, default_caps, N_DEFAULT);
  json_t *r = rules_for (s, "clone");
  assert_int_equal (json_array_size (r), 1);
  json_t *args = json_object_get (json_array_get (r, 0), "args");
  assert_int_equal (json_array_size (args), 1);
  json_t *a = json_array_get (args, 0);
  assert_int_equal (json_integer_value (json_object_get (a, "index")), 0);
  assert_int_equal (json_integer_value (json_object_get (a, "value")),
                    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
                        | CLONE_NEWNET);
  assert_int_equal (json_integer_value (json_object_get (a, "valueTwo")), 0);
  assert_string_equal (json_string_value (json_object_get (a, "op")), "SCMP_CMP_MASKED_EQ");
  json_decref (r);

  /* clone3 cannot be filtered by flags: ENOSYS so that libc falls back */
  r = rules_for (s, "clone3");
  assert_int_equal (json_array_size (r), 1);
  assert_string_equal (json_string_value (json_object_get (json_array_get (r, 0), "action")),
                       "SCMP_ACT_ERRNO");
  assert_int_equal (json_integer_value (json_object_get (json_array_get (r, 0), "errnoRet")), ENOSYS);
  json_decref (r);

  /* personality: the five docker allows */
  r = rules_for (s, "personality");
  assert_int_equal (json_array_size (r), 5);
  json_decref (r);
  /* socket: everything but AF_ALG and AF_VSOCK */
  r = rules_for (s, "socket");
  assert_int_equal (json_array_size (r), 3);
  json_decref (r);
  json_decref (s);

  /* s390x: the flags are the second argument */
  const struct eng_seccomp_host s390x = { "s390x", "5.14" };
  s = build (&s390x, NULL, default_caps, N_DEFAULT);
  r = rules_for (s, "clone");
  assert_int_equal (json_array_size (r), 1);
  a = json_array_get (json_object_get (json_array_get (r, 0), "args"), 0);
  assert_int_equal (json_integer_value (json_object_get (a, "index")), 1);
  assert_string_equal (json_string_value (json_array_get (json_object_get (s, "architectures"), 0)),
                       "SCMP_ARCH_S390X");
  json_decref (r);
  json_decref (s);
}

static void
test_errors (void **state)
{
  (void) state;
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\",", "line 1");
  expect_error ("[]", "expected a JSON object");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_NOPE\"}", "defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  expect_error ("{\"defaultAction\": 3}", "defaultAction: expected a string");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
                "defaultErrnoRet: expected a non-negative integer");
  expect_error ("{\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "defaultAction: required");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}", "syscalls: expected an array");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_ALLOW\"}, {\"action\": \"SCMP_ACT_ALLOW\"}]}",
                "syscalls[1].names: required");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\", 7], "
                "\"action\": \"SCMP_ACT_ALLOW\"}]}",
                "syscalls[0].names[1]: expected a string");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [], "
                "\"action\": \"SCMP_ACT_ALLOW\"}]}",
                "syscalls[0].names: must have at least one entry");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
                "syscalls[0].action: required");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"name\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "syscalls[0]: both name and names");
  expect_error (
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
      "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
      "syscalls[0].args[0].index: 6 is out of range (at most 5)");
  expect_error (
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
      "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XX\"}]}]}",
      "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                "syscalls[0].args[0].value: required");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"4.x\"}}]}",
                "syscalls[0].includes.minKernel: invalid kernel version \"4.x\"");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"caps\": \"CAP_SYS_ADMIN\"}}]}",
                "syscalls[0].excludes.caps: expected an array of strings");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"], "
                "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
                "architectures and archMap are both set");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"subArchitectures\": []}]}",
                "archMap[0].architecture: required");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultAction\": \"SCMP_ACT_ALLOW\"}",
                "duplicate");
}

static void
test_forms (void **state)
{
  (void) state;
  /* already linux.seccomp: unchanged, unknown fields and all */
  const char *oci = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_AARCH64\"], "
                    "\"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"syscalls\": [{\"names\": [\"umask\"], "
                    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5, \"args\": [{\"index\": 0, "
                    "\"value\": 18, \"op\": \"SCMP_CMP_EQ\"}]}], \"x-future\": true}";
  json_t *s = build (&amd64_6_1, oci, NULL, 0);
  json_t *want = json_loads (oci, 0, NULL);
  assert_true (json_equal (s, want));
  json_decref (want);
  json_decref (s);

  /* "{}" is no filter, as docker */
  struct hako_err *err = NULL;
  s = json_object ();
  json_t *none = s;
  assert_int_equal (eng_seccomp_build ("{}", 2, NULL, 0, &none, &err), 0);
  assert_null (none);
  json_decref (s);

  /* docker's deprecated "name", flags and listener fields carried over,
     excludes.minKernel */
  const char *docker
      = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], "
        "\"listenerPath\": \"/run/agent.sock\", \"listenerMetadata\": \"m\", \"syscalls\": ["
        "{\"name\": \"umask\", \"action\": \"SCMP_ACT_ERRNO\", \"comment\": \"c\"},"
        "{\"names\": [\"sync\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"minKernel\": \"6.0\"}},"
        "{\"names\": [\"fsync\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"minKernel\": \"6.2\"}}]}";
  s = build (&amd64_6_1, docker, NULL, 0);
  assert_string_equal (json_string_value (json_object_get (s, "listenerPath")), "/run/agent.sock");
  assert_string_equal (json_string_value (json_object_get (s, "listenerMetadata")), "m");
  assert_int_equal (json_array_size (json_object_get (s, "flags")), 1);
  assert_null (json_object_get (s, "architectures")); /* no archMap: libseccomp's native */
  json_t *calls = json_object_get (s, "syscalls");
  assert_int_equal (json_array_size (calls), 2);
  assert_string_equal (
      json_string_value (json_array_get (json_object_get (json_array_get (calls, 0), "names"), 0)), "umask");
  assert_string_equal (
      json_string_value (json_array_get (json_object_get (json_array_get (calls, 1), "names"), 0)), "fsync");
  json_decref (s);
}

/* The built-in profile, as linux.seccomp in a config.json the runtime
   parses with its own parser. */
static struct oci_spec *
spec_with (json_t *seccomp)
{
  json_t *doc = json_pack ("{s:s, s:{s:s}, s:{s:O}}", "ociVersion", "1.0.2", "root", "path", "rootfs",
                           "linux", "seccomp", seccomp);
  char *text = json_dumps (doc, 0);
  struct oci_spec *spec = NULL;
  struct hako_err *err = NULL;
  if (oci_spec_parse (text, strlen (text), "config.json", &spec, &err) < 0)
    fail_msg ("oci_spec_parse: %s", err->msg);
  free (text);
  json_decref (doc);
  return spec;
}

static void
test_runtime_accepts (void **state)
{
  (void) state;
  json_t *s = build (NULL, NULL, default_caps, N_DEFAULT);
  struct oci_spec *spec = spec_with (s);
  assert_non_null (spec->linux_->seccomp);
  assert_string_equal (spec->linux_->seccomp->default_action, "SCMP_ACT_ERRNO");
  assert_true (spec->linux_->seccomp->n_syscalls > 10);
  if (hako_seccomp_enabled ())
    {
      struct hako_seccomp_prog *p = NULL;
      struct hako_err *err = NULL;
      if (hako_seccomp_prepare (spec->linux_->seccomp, NULL, &p, &err) < 0)
        fail_msg ("hako_seccomp_prepare: %s", err->msg);
      assert_non_null (p);
      hako_seccomp_prog_free (p);
    }
  oci_spec_free (spec);
  json_decref (s);
}

/* Load the filter built for `caps` in a child and report, one bit each,
   which operations the kernel let through. */
enum
{
  OK_GETPID = 1 << 0,
  OK_FORK = 1 << 1,
  OK_UNSHARE_NS = 1 << 2,
  OK_MOUNT = 1 << 3,
  OK_PERSONALITY_LINUX = 1 << 4,
  OK_PERSONALITY_ODD = 1 << 5,
  OK_VSOCK = 1 << 6,
  OK_UNIX_SOCKET = 1 << 7,
  OK_KEYCTL = 1 << 8,
};

static int
probe (const char *const *caps, size_t n)
{
  json_t *s = build (NULL, NULL, caps, n);
  struct oci_spec *spec = spec_with (s);
  struct hako_seccomp_prog *p = NULL;
  struct hako_err *err = NULL;
  int status;
  pid_t pid;

  if (hako_seccomp_prepare (spec->linux_->seccomp, NULL, &p, &err) < 0)
    fail_msg ("hako_seccomp_prepare: %s", err->msg);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int ok = 0, fd;
      pid_t c;
      prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (hako_seccomp_load (p, spec->linux_->seccomp, -1, NULL, &err) < 0)
        _exit (255);
      if (getpid () > 0)
        ok |= OK_GETPID;
      c = fork ();
      if (c == 0)
        _exit (0);
      if (c > 0 && waitpid (c, NULL, 0) == c)
        ok |= OK_FORK;
      /* CLONE_NEWUTS through clone(2): the namespace-flag filter */
      c = (pid_t) syscall (SYS_clone, CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL, 0);
      if (c == 0)
        _exit (0);
      if (c > 0)
        {
          waitpid (c, NULL, 0);
          ok |= OK_UNSHARE_NS;
        }
      if (mount ("none", "/nonexistent-hako-test", "tmpfs", 0, NULL) == 0 || errno != EPERM)
        ok |= OK_MOUNT; /* allowed: fails with ENOENT, not the filter's EPERM */
      if (personality (PER_LINUX) != -1)
        ok |= OK_PERSONALITY_LINUX;
      if (personality (PER_BSD) != -1)
        ok |= OK_PERSONALITY_ODD;
      fd = socket (AF_VSOCK, SOCK_STREAM, 0);
      if (fd >= 0 || errno != EPERM)
        ok |= OK_VSOCK;
      fd = socket (AF_UNIX, SOCK_STREAM, 0);
      if (fd >= 0)
        ok |= OK_UNIX_SOCKET;
      if (syscall (SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != EPERM)
        ok |= OK_KEYCTL;
      _exit (ok);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_not_equal (WEXITSTATUS (status), 255);
  hako_seccomp_prog_free (p);
  oci_spec_free (spec);
  json_decref (s);
  return WEXITSTATUS (status);
}

static void
test_filter_in_effect (void **state)
{
  (void) state;
  if (!hako_seccomp_enabled ())
    skip ();
  int ok = probe (default_caps, N_DEFAULT);
  assert_true (ok & OK_GETPID);
  assert_true (ok & OK_FORK);
  assert_true (ok & OK_PERSONALITY_LINUX);
  assert_true (ok & OK_UNIX_SOCKET);
  assert_false (ok & OK_UNSHARE_NS);
  assert_false (ok & OK_MOUNT);
  assert_false (ok & OK_PERSONALITY_ODD);
  assert_false (ok & OK_VSOCK);
  assert_false (ok & OK_KEYCTL);

  const char *admin[N_DEFAULT + 1];
  memcpy (admin, default_caps, sizeof default_caps);
  admin[N_DEFAULT] = "CAP_SYS_ADMIN";
  ok = probe (admin, N_DEFAULT + 1);
  assert_true (ok & OK_FORK);
  assert_true (ok & OK_MOUNT);
  if (getuid () == 0)
    assert_true (ok & OK_UNSHARE_NS);
  assert_false (ok & OK_KEYCTL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_builtin),
    cmocka_unit_test (test_caps),
    cmocka_unit_test (test_clone_filters),
    cmocka_unit_test (test_errors),
    cmocka_unit_test (test_forms),
    cmocka_unit_test (test_runtime_accepts),
    cmocka_unit_test (test_filter_in_effect),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
