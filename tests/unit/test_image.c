/* SPDX-License-Identifier: Apache-2.0 */
/* image/: the reference parser, digests, manifest/index/config parsing
   (malformed inputs included), platform selection, and the content store's
   verify-before-visible ingest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/image/digest.h"
#include "../../src/image/manifest.h"
#include "../../src/image/ref.h"
#include "../../src/image/snapshot.h"
#include "../../src/image/store.h"
#include "../../src/util/cleanup.h"
#include "../../src/util/error.h"
#include "../../src/util/path.h"

#define D64(c)                                                                                               \
  "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
      c c c c c c c c c c c c c c c c
#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---------- references ---------- */

static void
check_ref (const char *in, const char *domain, const char *path, const char *tag, const char *digest)
{
  struct img_ref *r = NULL;
  struct hako_err *err = NULL;
  int ret = img_ref_parse (in, NULL, &r, &err);
  if (ret < 0)
    fail_msg ("%s: %s", in, err->msg);
  assert_string_equal (r->domain, domain);
  assert_string_equal (r->path, path);
  if (tag)
    assert_string_equal (r->tag, tag);
  else
    assert_null (r->tag);
  if (digest)
    assert_string_equal (r->digest, digest);
  else
    assert_null (r->digest);
  img_ref_free (r);
}

static void
test_ref_normalise (void **state)
{
  check_ref ("busybox", "docker.io", "library/busybox", "latest", NULL);
  check_ref ("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL);
  check_ref ("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL);
  check_ref ("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL);
  check_ref ("user/app:v1", "docker.io", "user/app", "v1", NULL);
  check_ref ("localhost/app", "localhost", "app", "latest", NULL);
  check_ref ("localhost:5000/a/b@" D64 ("a"), "localhost:5000", "a/b", NULL, D64 ("a"));
  check_ref ("quay.io/org/x:tag@" D64 ("b"), "quay.io", "org/x", "tag", D64 ("b"));
  check_ref ("127.0.0.1:5000/test/bb:1", "127.0.0.1:5000", "test/bb", "1", NULL);
  check_ref ("[::1]:5000/x", "[::1]:5000", "x", "latest", NULL);
  check_ref ("Registry/x", "Registry", "x", "latest", NULL); /* upper case: a host */
  check_ref ("a/b__c/d-e--f.g_h", "docker.io", "a/b__c/d-e--f.g_h", "latest", NULL);
}

static void
test_ref_default_domain (void **state)
{
  struct img_ref *r = NULL;
  assert_int_equal (img_ref_parse ("busybox", "registry.local:5000", &r, NULL), 0);
  assert_string_equal (r->domain, "registry.local:5000");
  assert_string_equal (r->path, "busybox"); /* library/ is docker.io's alone */
  cleanup_free char *s = img_ref_string (r);
  assert_string_equal (s, "registry.local:5000/busybox:latest");
  img_ref_free (r);
  cleanup_free char *fam = img_ref_familiar ("docker.io/library/busybox:1");
  assert_string_equal (fam, "busybox:1");
}

static void
test_ref_invalid (void **state)
{
  static const char *const bad[] = {
    "",
    "Busybox",
    "busybox:",
    ":tag",
    "a//b",
    "a/",
    "/a",
    "busybox:-tag",
    "busybox@sha256:abc",
    "busybox@md5:"
    "00000000000000000000000000000000",
    "a_/b",
    "-a",
    "a..b",
    "host:port/x",
    "x:1:2",
    /* a 130-character tag: the limit is 128 */
    "busybox:"
    "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
    "45678901234567890123456789",
  };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      struct img_ref *r = NULL;
      struct hako_err *err = NULL;
      if (img_ref_parse (bad[i], NULL, &r, &err) == 0)
        fail_msg ("`%s` was accepted as %s/%s", bad[i], r->domain, r->path);
      assert_non_null (err);
      hako_error_free (&err);
    }
  char longname[300];
  memset (longname, 'a', sizeof (longname) - 1);
  longname[sizeof (longname) - 1] = '\0';
  struct img_ref *r = NULL;
  assert_int_equal (img_ref_parse (longname, NULL, &r, NULL), -1);
}

static void
test_ref_uppercase_message (void **state)
{
  struct img_ref *r = NULL;
  struct hako_err *err = NULL;
  assert_int_equal (img_ref_parse ("library/BusyBox", NULL, &r, &err), -1);
  assert_non_null (strstr (err->msg, "must be lowercase"));
  hako_error_free (&err);
}

/* ---------- digests ---------- */

static void
test_digest_validate (void **state)
{
  assert_true (img_digest_valid (EMPTY_SHA256));
  assert_true (img_digest_valid ("sha512:"
                                 "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                                 "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"));
  assert_false (img_digest_valid ("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  assert_false (img_digest_valid ("sha256:e3b0"));
  assert_false (img_digest_valid ("sha256:../../etc/passwd"));
  assert_false (img_digest_valid ("md5:d41d8cd98f00b204e9800998ecf8427e"));
  assert_false (img_digest_valid ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  assert_false (img_digest_valid (NULL));
}

static void
test_digest_stream (void **state)
{
  cleanup_free char *one = img_digest_buf ("sha256", "hello world", 11);
  struct img_hasher *h = img_hasher_new ("sha256");
  img_hasher_update (h, "hello ", 6);
  cleanup_free char *mid = img_hasher_digest (h); /* does not end the stream */
  img_hasher_update (h, "world", 5);
  cleanup_free char *two = img_hasher_digest (h);
  img_hasher_free (h);
  assert_string_equal (one, "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  assert_string_equal (one, two);
  assert_string_not_equal (mid, two);
  assert_null (img_hasher_new ("md5"));
  cleanup_free char *e = img_digest_buf ("sha512", "", 0);
  assert_true (img_digest_valid (e));
}

static void
test_digest_verify (void **state)
{
  struct hako_err *err = NULL;
  assert_int_equal (img_digest_verify_buf (EMPTY_SHA256, "", 0, &err), 0);
  assert_int_equal (img_digest_verify_buf (EMPTY_SHA256, "x", 1, &err), -1);
  assert_non_null (strstr (err->msg, "digest mismatch"));
  hako_error_free (&err);
  assert_int_equal (img_digest_verify_buf ("sha256:zz", "", 0, &err), -1);
  hako_error_free (&err);
}

/* ---------- manifests ---------- */

#define CFG_DESC "{\"mediaType\":\"" IMG_MT_OCI_CONFIG "\",\"digest\":\"" D64 ("c") "\",\"size\":10}"
#define LAYER_DESC "{\"mediaType\":\"" IMG_MT_OCI_LAYER_GZIP "\",\"digest\":\"" D64 ("d") "\",\"size\":20}"

static void
test_manifest_ok (void **state)
{
  const char *doc = "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\",\"config\":" CFG_DESC
                    ",\"layers\":[" LAYER_DESC "," LAYER_DESC "]}";
  struct img_manifest m;
  struct hako_err *err = NULL;
  assert_int_equal (img_manifest_parse (doc, strlen (doc), &m, &err), 0);
  assert_int_equal (m.n_layers, 2);
  assert_string_equal (m.config.digest, D64 ("c"));
  assert_int_equal (m.layers[1].size, 20);
  img_manifest_clear (&m);

  enum img_kind kind;
  cleanup_free char *mt = NULL;
  assert_int_equal (img_detect_kind (NULL, doc, strlen (doc), &kind, &mt, &err), 0);
  assert_int_equal (kind, IMG_KIND_MANIFEST);
  assert_string_equal (mt, IMG_MT_OCI_MANIFEST);
}

static void
expect_manifest_error (const char *doc, const char *needle)
{
  struct img_manifest m;
  struct hako_err *err = NULL;
  if (img_manifest_parse (doc, strlen (doc), &m, &err) == 0)
    fail_msg ("accepted: %s", doc);
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("error `%s` does not mention `%s`", err->msg, needle);
  hako_error_free (&err);
}

static void
test_manifest_malformed (void **state)
{
  expect_manifest_error ("", "invalid JSON");
  expect_manifest_error ("[]", "not a JSON object");
  expect_manifest_error ("{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[" LAYER_DESC ",]}",
                         "invalid JSON");
  expect_manifest_error ("{\"schemaVersion\":1,\"fsLayers\":[]}", "schema 1");
  expect_manifest_error ("{\"config\":" CFG_DESC ",\"layers\":[]}", "schemaVersion");
  expect_manifest_error ("{\"schemaVersion\":2,\"layers\":[]}", "config");
  expect_manifest_error ("{\"schemaVersion\":2,\"config\":" CFG_DESC "}", "layers");
  expect_manifest_error ("{\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":{}}",
                         "layers: expected an array");
  expect_manifest_error ("{\"schemaVersion\":2,\"config\":" CFG_DESC
                         ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"sha256:12\",\"size\":1}]}",
                         "layers[0].digest");
  expect_manifest_error ("{\"schemaVersion\":2,\"config\":" CFG_DESC
                         ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" D64 ("e") "\",\"size\":-1}]}",
                         "layers[0].size");
  expect_manifest_error ("{\"schemaVersion\":2,\"config\":" CFG_DESC
                         ",\"layers\":[{\"digest\":\"" D64 ("e") "\",\"size\":1}]}",
                         "layers[0].mediaType: missing");
  expect_manifest_error ("{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":" CFG_DESC ",\"layers\":[]}",
                         "invalid JSON");
  expect_manifest_error ("{\"schemaVersion\":2,\"manifests\":[]}", "is an index");
}

static const char index_doc[]
    = "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_OCI_INDEX "\",\"manifests\":["
      "{\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\",\"digest\":\"" D64 (
          "1") "\",\"size\":1,\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
               "{\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\",\"digest\":\"" D64 (
                   "2") "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":"
                        "\"v7\"}},"
                        "{\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\",\"digest\":\"" D64 (
                            "3") "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
                                 "{\"mediaType\":\"" IMG_MT_OCI_MANIFEST
                                 "\",\"digest\":\"" D64 ("4") "\",\"size\":1,\"platform\":{\"os\":\"linux\","
                                                              "\"architecture\":\"amd64\"}}]}";

static int
select_for (const struct img_mindex *ix, const char *platform)
{
  struct img_platform p;
  assert_int_equal (img_platform_parse (platform, &p, NULL), 0);
  return img_platform_select (ix, &p, NULL);
}

static void
test_index_platforms (void **state)
{
  struct img_mindex ix;
  struct hako_err *err = NULL;
  enum img_kind kind;

  assert_int_equal (img_detect_kind (NULL, index_doc, strlen (index_doc), &kind, NULL, &err), 0);
  assert_int_equal (kind, IMG_KIND_INDEX);
  assert_int_equal (img_mindex_parse (index_doc, strlen (index_doc), &ix, &err), 0);
  assert_int_equal (ix.n, 4);
  assert_int_equal (select_for (&ix, "linux/amd64"), 3);
  assert_int_equal (select_for (&ix, "linux/arm64"), 2);
  assert_int_equal (select_for (&ix, "linux/arm64/v8"), 2); /* v8 is arm64's default */
  assert_int_equal (select_for (&ix, "linux/arm/v7"), 1);
  assert_int_equal (select_for (&ix, "linux/arm/v6"), -1);
  struct img_platform p;
  assert_int_equal (img_platform_parse ("linux/s390x", &p, NULL), 0);
  assert_int_equal (img_platform_select (&ix, &p, &err), -1);
  assert_non_null (strstr (err->msg, "linux/amd64")); /* says what there is */
  hako_error_free (&err);
  assert_int_equal (img_platform_parse ("linux", &p, &err), -1);
  hako_error_free (&err);
  assert_int_equal (img_platform_parse ("linux/amd64/v2/x", &p, &err), -1);
  hako_error_free (&err);
  img_mindex_clear (&ix);
}

static void
test_index_malformed (void **state)
{
  struct img_mindex ix;
  struct hako_err *err = NULL;
  const char *docs[] = {
    "{\"schemaVersion\":2}",
    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"" D64 (
        "1") "\",\"size\":1,\"platform\":\"linux\"}]}",
    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"" D64 (
        "1") "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"digest\":\"" D64 ("1") "\",\"size\":\"1\"}]}",
    "{\"schemaVersion\":3,\"manifests\":[]}",
  };
  for (size_t i = 0; i < sizeof (docs) / sizeof (docs[0]); i++)
    {
      if (img_mindex_parse (docs[i], strlen (docs[i]), &ix, &err) == 0)
        fail_msg ("accepted: %s", docs[i]);
      hako_error_free (&err);
    }
  enum img_kind kind;
  const char *unknown = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.foo\"}";
  assert_int_equal (img_detect_kind (NULL, unknown, strlen (unknown), &kind, NULL, &err), -1);
  hako_error_free (&err);
  /* no mediaType in the document: the transport's Content-Type decides */
  const char *bare = "{\"schemaVersion\":2,\"manifests\":[]}";
  assert_int_equal (
      img_detect_kind (IMG_MT_DOCKER_LIST "; charset=utf-8", bare, strlen (bare), &kind, NULL, &err), 0);
  assert_int_equal (kind, IMG_KIND_INDEX);
}

static void
test_config (void **state)
{
  struct img_config c;
  struct hako_err *err = NULL;
  const char *ok = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
                   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D64 ("a") "\"]}}";
  assert_int_equal (img_config_parse (ok, strlen (ok), &c, &err), 0);
  assert_int_equal (c.n_diff_ids, 1);
  assert_string_equal (c.arch, "amd64");
  img_config_clear (&c);

  const char *bad[] = {
    "{\"architecture\":\"amd64\",\"os\":\"linux\"}",
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}",
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:1\"]"
    "}}",
    "{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":[],\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
    "[]}}",
  };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      if (img_config_parse (bad[i], strlen (bad[i]), &c, &err) == 0)
        fail_msg ("accepted: %s", bad[i]);
      hako_error_free (&err);
    }
}

/* ---------- store ---------- */

struct store_fx
{
  char dir[64];
  struct img_store *s;
};

static int
store_setup (void **state)
{
  struct store_fx *fx = calloc (1, sizeof (*fx));
  strcpy (fx->dir, "/tmp/hako-test-image-XXXXXX");
  assert_non_null (mkdtemp (fx->dir));
  assert_int_equal (img_store_open (fx->dir, &fx->s, NULL), 0);
  *state = fx;
  return 0;
}

static int
store_teardown (void **state)
{
  struct store_fx *fx = *state;
  img_store_free (fx->s);
  hako_rm_rf (fx->dir, NULL);
  free (fx);
  return 0;
}

static void
test_store_put_read (void **state)
{
  struct store_fx *fx = *state;
  cleanup_free char *d = NULL;
  cleanup_free char *buf = NULL;
  size_t len;
  struct hako_err *err = NULL;

  assert_int_equal (img_store_put_blob (fx->s, NULL, "hello world", 11, &d, &err), 0);
  assert_true (img_store_has_blob (fx->s, d));
  assert_int_equal (img_store_read_blob (fx->s, d, 100, &buf, &len, &err), 0);
  assert_int_equal (len, 11);
  /* a wrong expected digest is refused and leaves nothing visible */
  assert_int_equal (img_store_put_blob (fx->s, D64 ("f"), "x", 1, NULL, &err), -1);
  hako_error_free (&err);
  assert_false (img_store_has_blob (fx->s, D64 ("f")));
  /* a blob that rotted on disk is caught when read */
  cleanup_free char *p = img_store_blob_path (fx->s, d);
  chmod (p, 0644);
  FILE *f = fopen (p, "w");
  fputs ("hello WORLD", f);
  fclose (f);
  free (buf);
  buf = NULL;
  assert_int_equal (img_store_read_blob (fx->s, d, 100, &buf, &len, &err), -1);
  assert_non_null (strstr (err->msg, "mismatch"));
  hako_error_free (&err);
}

static void
test_store_ingest_resume (void **state)
{
  struct store_fx *fx = *state;
  const char *data = "0123456789abcdef";
  cleanup_free char *d = img_digest_buf ("sha256", data, 16);
  struct img_ingest *g = NULL;
  struct hako_err *err = NULL;

  /* a first run writes 10 bytes and dies */
  assert_int_equal (img_ingest_open (fx->s, d, 16, &g, &err), 0);
  assert_int_equal (img_ingest_write (g, data, 10, &err), 0);
  img_ingest_free (g);
  assert_false (img_store_has_blob (fx->s, d));
  /* the second resumes at 10 */
  assert_int_equal (img_ingest_open (fx->s, d, 16, &g, &err), 0);
  assert_int_equal (img_ingest_offset (g), 10);
  /* more than the size promised is refused */
  assert_int_equal (img_ingest_write (g, data, 16, &err), -1);
  hako_error_free (&err);
  assert_int_equal (img_ingest_write (g, data + 10, 6, &err), 0);
  assert_int_equal (img_ingest_commit (g, NULL, &err), 0);
  img_ingest_free (g);
  assert_true (img_store_has_blob (fx->s, d));
  struct stat st;
  cleanup_free char *p = img_store_blob_path (fx->s, d);
  assert_int_equal (stat (p, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0444);
}

static void
test_store_ingest_mismatch (void **state)
{
  struct store_fx *fx = *state;
  struct img_ingest *g = NULL;
  struct hako_err *err = NULL;

  assert_int_equal (img_ingest_open (fx->s, D64 ("a"), -1, &g, &err), 0);
  assert_int_equal (img_ingest_write (g, "abc", 3, &err), 0);
  assert_int_equal (img_ingest_commit (g, NULL, &err), -1);
  assert_non_null (strstr (err->msg, "mismatch"));
  hako_error_free (&err);
  img_ingest_free (g);
  assert_false (img_store_has_blob (fx->s, D64 ("a")));
  /* and the corrupt partial is gone: the next try starts from zero */
  assert_int_equal (img_ingest_open (fx->s, D64 ("a"), -1, &g, &err), 0);
  assert_int_equal (img_ingest_offset (g), 0);
  img_ingest_free (g);
  /* a digest that is not one never becomes a path */
  assert_int_equal (img_ingest_open (fx->s, "sha256:../../x", -1, &g, &err), -1);
  hako_error_free (&err);
}

/* ---------- snapshots ---------- */

static void
test_snapshot_id (void **state)
{
  (void) state;
  static const char *const good[] = { "a", "c1", "web_1.2-x", "0123456789abcdef", "A.b" };
  static const char *const bad[]
      = { "", ".", "..", "../x", "a/b", "-rf", ".hidden", "a b", "a:b", "a,b", NULL };
  char long_id[130];

  for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
    assert_true (img_snapshot_id_valid (good[i]));
  for (size_t i = 0; bad[i]; i++)
    assert_false (img_snapshot_id_valid (bad[i]));
  assert_false (img_snapshot_id_valid (NULL));
  memset (long_id, 'a', sizeof (long_id));
  long_id[128] = '\0';
  assert_true (img_snapshot_id_valid (long_id));
  long_id[128] = 'a';
  long_id[129] = '\0';
  assert_false (img_snapshot_id_valid (long_id));
}

static void
test_overlay_mount_no_layers (void **state)
{
  (void) state;
  struct hako_err *err = NULL;
  assert_true (img_overlay_mount (NULL, 0, "/u", "/w", "/m", &err) < 0);
  assert_non_null (strstr (err->msg, "no layers"));
  hako_error_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_ref_normalise),
    cmocka_unit_test (test_ref_default_domain),
    cmocka_unit_test (test_ref_invalid),
    cmocka_unit_test (test_ref_uppercase_message),
    cmocka_unit_test (test_digest_validate),
    cmocka_unit_test (test_digest_stream),
    cmocka_unit_test (test_digest_verify),
    cmocka_unit_test (test_manifest_ok),
    cmocka_unit_test (test_manifest_malformed),
    cmocka_unit_test (test_index_platforms),
    cmocka_unit_test (test_index_malformed),
    cmocka_unit_test (test_config),
    cmocka_unit_test_setup_teardown (test_store_put_read, store_setup, store_teardown),
    cmocka_unit_test_setup_teardown (test_store_ingest_resume, store_setup, store_teardown),
    cmocka_unit_test_setup_teardown (test_store_ingest_mismatch, store_setup, store_teardown),
    cmocka_unit_test (test_snapshot_id),
    cmocka_unit_test (test_overlay_mount_no_layers),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
