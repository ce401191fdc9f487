/* SPDX-License-Identifier: Apache-2.0 */
/* build/: the Dockerfile parser (directives, continuations, comments, JSON
   and shell forms, flags, heredocs, errors with file:line), word expansion
   (quotes, escapes, ${VAR:-x} and friends), globs and .dockerignore. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/build/dockerfile.h"
#include "../../src/build/internal.h"
#include "../../src/util/cleanup.h"
#include "../../src/util/error.h"
#include "../../src/util/path.h"

static struct bld_file
parse_ok (const char *text)
{
  struct bld_file f = { 0 };
  struct hako_err *err = NULL;
  int r = bld_parse ("Containerfile", text, &f, &err);
  if (r < 0)
    fail_msg ("parse: %s", err->msg);
  return f;
}

static char *
parse_err (const char *text)
{
  struct bld_file f = { 0 };
  struct hako_err *err = NULL;
  assert_int_equal (bld_parse ("Containerfile", text, &f, &err), -1);
  assert_non_null (err);
  char *msg = xstrdup (err->msg);
  hako_error_free (&err);
  return msg;
}

static void
test_basic (void **state)
{
  struct bld_file f = parse_ok ("# a comment\n"
                                "from busybox AS Build\n"
                                "\n"
                                "RUN echo a \\\n"
                                "  # comment inside a continuation\n"
                                "  && echo b\n"
                                "CMD [\"sh\", \"-c\", \"echo hi\"]\n"
                                "ENTRYPOINT [not json\n"
                                "COPY --from=build --chown=1:2 /a /b\n");
  assert_int_equal (f.n, 5);
  assert_string_equal (f.v[0].cmd, "FROM");
  assert_string_equal (f.v[0].rest, "busybox AS Build");
  assert_int_equal (f.v[0].line, 2);
  assert_string_equal (f.v[1].cmd, "RUN");
  assert_string_equal (f.v[1].rest, "echo a   && echo b");
  assert_int_equal (f.v[1].line, 4);
  assert_true (f.v[2].json);
  assert_int_equal (f.v[2].argc, 3);
  assert_string_equal (f.v[2].argv[2], "echo hi");
  assert_int_equal (f.v[2].line, 7);
  assert_false (f.v[3].json); /* not valid JSON: the shell form */
  assert_int_equal (f.v[4].n_flags, 2);
  assert_string_equal (bld_instr_flag (&f.v[4], "from"), "build");
  assert_string_equal (bld_instr_flag (&f.v[4], "chown"), "1:2");
  assert_null (bld_instr_flag (&f.v[4], "chmod"));
  assert_string_equal (f.v[4].rest, "/a /b");
  bld_file_clear (&f);
}

static void
test_directives (void **state)
{
  struct bld_file f = parse_ok ("# syntax=docker/dockerfile:1\n"
                                "# escape=`\n"
                                "FROM x\n"
                                "RUN dir c:\\ `\n"
                                "  && echo done\n");
  assert_int_equal (f.escape, '`');
  assert_string_equal (f.syntax, "docker/dockerfile:1");
  assert_string_equal (f.v[1].rest, "dir c:\\   && echo done");
  bld_file_clear (&f);
  /* After a comment line, a directive is only a comment. */
  f = parse_ok ("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n");
  assert_int_equal (f.escape, '\\');
  assert_string_equal (f.v[1].rest, "a  b");
  bld_file_clear (&f);
  cleanup_free char *m = parse_err ("# escape=x\nFROM x\n");
  assert_non_null (strstr (m, "Containerfile:1: invalid escape"));
}

static void
test_heredocs (void **state)
{
  struct bld_file f = parse_ok ("FROM x\n"
                                "RUN <<EOF\n"
                                "echo one\n"
                                "  echo two\n"
                                "EOF\n"
                                "COPY <<-'A' <<B /dst/\n"
                                "\tliteral $X\n"
                                "A\n"
                                "b $X\n"
                                "B\n"
                                "RUN echo \"<<NOT\"\n"
                                "CMD x\n");
  assert_int_equal (f.n, 5);
  assert_int_equal (f.v[1].n_heredocs, 1);
  assert_string_equal (f.v[1].heredocs[0].name, "EOF");
  assert_string_equal (f.v[1].heredocs[0].content, "echo one\n  echo two\n");
  assert_int_equal (f.v[2].n_heredocs, 2);
  assert_string_equal (f.v[2].heredocs[0].content, "literal $X\n");
  assert_false (f.v[2].heredocs[0].expand);
  assert_true (f.v[2].heredocs[0].chomp);
  assert_string_equal (f.v[2].heredocs[1].content, "b $X\n");
  assert_true (f.v[2].heredocs[1].expand);
  assert_int_equal (f.v[3].n_heredocs, 0);
  assert_string_equal (f.v[4].cmd, "CMD");
  assert_int_equal (f.v[4].line, 12);
  bld_file_clear (&f);
  cleanup_free char *m = parse_err ("FROM x\nRUN <<EOF\necho\n");
  assert_non_null (strstr (m, "Containerfile:2: RUN: unterminated heredoc `EOF`"));
}

static void
test_errors (void **state)
{
  cleanup_free char *m1 = parse_err ("FROM x\n\nFOO bar\n");
  assert_string_equal (m1, "Containerfile:3: unknown instruction: FOO");
  cleanup_free char *m2 = parse_err ("FROM x\nRUN\n");
  assert_string_equal (m2, "Containerfile:2: RUN requires at least one argument");
  cleanup_free char *m3 = parse_err ("FROM x\nSHELL /bin/bash -c\n");
  assert_non_null (strstr (m3, "Containerfile:2: SHELL requires the arguments to be in JSON form"));
  cleanup_free char *m4 = parse_err ("# only a comment\n");
  assert_non_null (strstr (m4, "no instructions"));
}

static const char *
lookup (void *ctx, const char *name)
{
  if (strcmp (name, "A") == 0)
    return "alpha";
  if (strcmp (name, "EMPTY") == 0)
    return "";
  if (strcmp (name, "SP") == 0)
    return "x y";
  return NULL;
}

static char *
word (const char *s)
{
  char *out = NULL;
  struct hako_err *err = NULL;
  if (bld_expand_word (s, '\\', lookup, NULL, &out, &err) < 0)
    fail_msg ("expand `%s`: %s", s, err->msg);
  return out;
}

static void
test_expand (void **state)
{
  static const char *const cases[][2] = {
    { "$A", "alpha" },
    { "${A}b", "alphab" },
    { "pre-${A}-post", "pre-alpha-post" },
    { "$NOPE", "" },
    { "${NOPE:-def}", "def" },
    { "${EMPTY:-def}", "def" },
    { "${EMPTY-def}", "" },
    { "${A:-def}", "alpha" },
    { "${A:+set}", "set" },
    { "${NOPE:+set}", "" },
    { "${NOPE:-${A}}", "alpha" },
    { "'$A'", "$A" },
    { "\"$A\"", "alpha" },
    { "\\$A", "$A" },
    { "\"a \\\"q\\\" \\n\"", "a \"q\" \\n" },
    { "a\\ b", "a b" },
    { "$", "$" },
    { "$1x", "x" },
    { "100%", "100%" },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *got = word (cases[i][0]);
      if (strcmp (got, cases[i][1]) != 0)
        fail_msg ("expand `%s`: got `%s`, want `%s`", cases[i][0], got, cases[i][1]);
    }
  struct hako_err *err = NULL;
  char *out = NULL;
  assert_int_equal (bld_expand_word ("${NOPE:?must be set}", '\\', lookup, NULL, &out, &err), -1);
  assert_string_equal (err->msg, "NOPE: must be set");
  hako_error_free (&err);
  assert_int_equal (bld_expand_word ("'open", '\\', lookup, NULL, &out, &err), -1);
  assert_non_null (strstr (err->msg, "single-quote"));
  hako_error_free (&err);
  /* The backtick as the escape character. */
  assert_int_equal (bld_expand_word ("a`$A", '`', lookup, NULL, &out, &err), 0);
  assert_string_equal (out, "a$A");
  free (out);
}

static void
test_words (void **state)
{
  char **v = NULL;
  size_t n = 0;
  struct hako_err *err = NULL;
  assert_int_equal (bld_expand_words ("a \"b c\" $SP '$A' ${A}", '\\', lookup, NULL, &v, &n, &err), 0);
  assert_int_equal (n, 6);
  assert_string_equal (v[0], "a");
  assert_string_equal (v[1], "b c");
  assert_string_equal (v[2], "x");
  assert_string_equal (v[3], "y");
  assert_string_equal (v[4], "$A");
  assert_string_equal (v[5], "alpha");
  bld_strv_free (v);
  assert_int_equal (bld_split_raw ("K=\"a b\" L='c d' M=e\\ f", '\\', &v, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_string_equal (v[0], "K=\"a b\"");
  assert_string_equal (v[1], "L='c d'");
  assert_string_equal (v[2], "M=e\\ f");
  bld_strv_free (v);
  assert_int_equal (bld_split_raw ("K=\"open", '\\', &v, &n, &err), -1);
  hako_error_free (&err);
}

static void
test_glob (void **state)
{
  assert_true (bld_glob_match ("*.txt", "a.txt"));
  assert_false (bld_glob_match ("*.txt", "d/a.txt"));
  assert_true (bld_glob_match ("d/*.txt", "d/a.txt"));
  assert_true (bld_glob_match ("**/*.txt", "a.txt"));
  assert_true (bld_glob_match ("**/*.txt", "x/y/a.txt"));
  assert_true (bld_glob_match ("**", "x/y"));
  assert_true (bld_glob_match ("a?c", "abc"));
  assert_false (bld_glob_match ("a?c", "a/c"));
  assert_true (bld_glob_match ("[a-c]x", "bx"));
  assert_false (bld_glob_match ("[^a-c]x", "bx"));
  assert_true (bld_glob_match ("file\\*", "file*"));
  assert_false (bld_glob_match ("file\\*", "files"));
}

static void
test_ignore (void **state)
{
  char tmp[] = "/tmp/hako-test-build-XXXXXX";
  assert_non_null (mkdtemp (tmp));
  cleanup_free char *path = xasprintf ("%s/.dockerignore", tmp);
  FILE *f = fopen (path, "w");
  assert_non_null (f);
  fputs ("# comment\n*.log\n!keep.log\n/build\n**/*.tmp\nsecret/\n!secret/public\n", f);
  fclose (f);
  int fd = open (tmp, O_RDONLY | O_DIRECTORY);
  struct bld_ignore *ig = NULL;
  struct hako_err *err = NULL;
  assert_int_equal (bld_ignore_load (fd, &ig, &err), 0);
  assert_true (bld_ignored (ig, "a.log"));
  assert_false (bld_ignored (ig, "keep.log"));
  assert_false (bld_ignored (ig, "d/a.log")); /* *.log is for the top only */
  assert_true (bld_ignored (ig, "build"));
  assert_true (bld_ignored (ig, "build/x/y"));
  assert_true (bld_ignored (ig, "a/b/c.tmp"));
  assert_true (bld_ignored (ig, "secret/key"));
  assert_false (bld_ignored (ig, "secret/public"));
  assert_false (bld_ignored (ig, "src/main.c"));
  bld_ignore_free (ig);
  close (fd);
  hako_rm_rf (tmp, NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_basic),  cmocka_unit_test (test_directives), cmocka_unit_test (test_heredocs),
    cmocka_unit_test (test_errors), cmocka_unit_test (test_expand),     cmocka_unit_test (test_words),
    cmocka_unit_test (test_glob),   cmocka_unit_test (test_ignore),
  };
  return cmocka_run_group_tests_name ("build", tests, NULL, NULL);
}
