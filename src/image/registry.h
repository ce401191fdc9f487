/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_REGISTRY_H
#define HAKO_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;
struct img_store;

/* A client for one repository of a registry speaking the distribution spec
   (v2 API).  HTTPS by default; plain HTTP only for an insecure registry:
   --tls-verify=false, a loopback host (as docker does), or one listed in
   $HAKO_INSECURE_REGISTRIES (comma-separated host[:port]).  Auth: on a 401
   with "WWW-Authenticate: Bearer" a token is fetched from the realm (with
   the stored Basic credentials, if any); on "Basic" the credentials are
   sent as they are.

   Push: a blob larger than the chunk size goes up in chunks of that size
   (POST, PATCH with Content-Range per chunk, PUT ?digest=), so that no
   request is larger than that (proxies in front of registries often cap
   request bodies); a registry that refuses the first PATCH gets whole
   blobs (POST, PUT) from then on.  The chunk size is $HAKO_PUSH_CHUNK_SIZE
   (bytes, or with a K, M or G suffix; 0: never chunk), default 16M, raised
   to the registry's OCI-Chunk-Min-Length when that is larger. */
struct img_reg_opts
{
  bool tls_verify;
  const char *authfile;
  const char *user, *pass; /* explicit credentials (login, --creds) */
  /* called while a blob moves: bytes done of total (total 0: unknown) */
  void (*progress) (void *ctx, const char *digest, uint64_t done, uint64_t total);
  void *progress_ctx;
  /* push: a repository of the destination registry that may already hold
     the blobs ("team/base" or "REGISTRY/team/base"): they are mounted from
     it, not uploaded (`hako push --from-repo`). */
  const char *mount_from;
};

struct img_reg;

/* Pings /v2/ (so a bad address or TLS problem shows at once) and learns the
   auth scheme; `push` asks for a token with push scope too. */
int img_reg_open (const char *domain, const char *repo, const struct img_reg_opts *o, bool push,
                  struct img_reg **out, struct hako_err **err);
void img_reg_free (struct img_reg *r);
/* Another handle on the same repository, with the same auth, for another
   thread (a curl handle is not shared between threads). */
struct img_reg *img_reg_clone (const struct img_reg *r);
/* Force the authentication round now (for `hako login`). */
int img_reg_check_auth (struct img_reg *r, struct hako_err **err);

/* GET a manifest or index by tag or digest.  *media_type from the
   Content-Type; a digest reference is verified against the bytes. */
int img_reg_get_manifest (struct img_reg *r, const char *ref, char **buf, size_t *len, char **media_type,
                          struct hako_err **err);
int img_reg_put_manifest (struct img_reg *r, const char *ref, const char *media_type, const char *buf,
                          size_t len, struct hako_err **err);

/* HEAD: 1 exists (with *size), 0 not there, -1 error. */
int img_reg_blob_exists (struct img_reg *r, const char *digest, int64_t *size, struct hako_err **err);
/* Download into the store (resuming a partial download with Range). */
int img_reg_fetch_blob (struct img_reg *r, struct img_store *s, const char *digest, int64_t size,
                        struct hako_err **err);
/* Upload `size` bytes of fd (chunked or whole, see above).  With
   `mount_from` (NULL-terminated repository paths of this registry, the
   first three are tried) a cross-repository mount is asked first:
   POST ?mount=DIGEST&from=REPO; a 201 means the registry linked the blob
   it has, and *mounted_from (optional) names the repository; a 202 is a
   plain upload session, used for the upload. */
int img_reg_push_blob (struct img_reg *r, int fd, const char *digest, int64_t size,
                       const char *const *mount_from, char **mounted_from, struct hako_err **err);

#endif
