/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_DIGEST_H
#define HAKO_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

struct hako_err;

/* Content digests as the image-spec writes them: "ALG:HEX" with ALG sha256
   (64 hex digits) or sha512 (128), lower-case.  Everything in the store is
   named by one, so a malformed digest is refused before it becomes a path. */
int img_digest_validate (const char *digest, struct hako_err **err);
bool img_digest_valid (const char *digest);
/* "sha256" part and hex part of a valid digest (the hex is inside `digest`). */
const char *img_digest_hex (const char *digest);
char *img_digest_alg (const char *digest);

/* A streaming hasher (OpenSSL EVP: SHA-NI where the CPU has it). */
struct img_hasher;
struct img_hasher *img_hasher_new (const char *alg); /* NULL for an unknown algorithm */
void img_hasher_update (struct img_hasher *h, const void *buf, size_t len);
/* The digest so far ("sha256:…", new string); the hasher can go on after it. */
char *img_hasher_digest (const struct img_hasher *h);
void img_hasher_free (struct img_hasher *h);

char *img_digest_buf (const char *alg, const void *buf, size_t len);
/* Hash an fd from its current offset to EOF. */
int img_digest_fd (const char *alg, int fd, char **out, struct hako_err **err);
/* 0 when buf hashes to `digest`; otherwise an error naming both digests. */
int img_digest_verify_buf (const char *digest, const void *buf, size_t len, struct hako_err **err);

#endif
