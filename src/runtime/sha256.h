/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_SHA256_H
#define HAKO_RUNTIME_SHA256_H

/* SHA-256 (FIPS 180-4), for cache keys and integrity checks of cached
   seccomp programs.  In-tree so that the runtime does not load libcrypto
   (a few milliseconds of relocations at every start) for one hash. */

#include <stddef.h>
#include <stdint.h>

#define HAKO_SHA256_LEN 32

struct hako_sha256
{
  uint32_t h[8];
  uint64_t len; /* bytes hashed so far */
  uint8_t buf[64];
  size_t n; /* bytes in buf */
};

void hako_sha256_init (struct hako_sha256 *c);
void hako_sha256_update (struct hako_sha256 *c, const void *data, size_t len);
void hako_sha256_final (struct hako_sha256 *c, uint8_t out[HAKO_SHA256_LEN]);
/* One-shot helper. */
void hako_sha256 (const void *data, size_t len, uint8_t out[HAKO_SHA256_LEN]);
/* Lower-case hex of a digest into hex (65 bytes with the NUL). */
void hako_sha256_hex (const uint8_t d[HAKO_SHA256_LEN], char hex[2 * HAKO_SHA256_LEN + 1]);

#endif
