/* SPDX-License-Identifier: Apache-2.0 */
#include "digest.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

struct img_hasher
{
  EVP_MD_CTX *ctx;
  char alg[8];
};

static size_t
hex_len_for (const char *alg, size_t alg_len)
{
  if (alg_len == 6 && strncmp (alg, "sha256", 6) == 0)
    return 64;
  if (alg_len == 6 && strncmp (alg, "sha512", 6) == 0)
    return 128;
  return 0;
}

int
img_digest_validate (const char *digest, struct hako_err **err)
{
  const char *colon = digest ? strchr (digest, ':') : NULL;

  if (colon == NULL)
    return hako_error (err, 0, "invalid digest `%s`: expected ALGORITHM:HEX", digest ? digest : "");
  size_t want = hex_len_for (digest, (size_t) (colon - digest));
  if (want == 0)
    return hako_error (err, 0, "invalid digest `%s`: unsupported algorithm (sha256, sha512)", digest);
  const char *hex = colon + 1;
  size_t n = strspn (hex, "0123456789abcdef");
  if (n != want || hex[n] != '\0')
    return hako_error (err, 0, "invalid digest `%s`: expected %zu lower-case hex digits", digest, want);
  return 0;
}

bool
img_digest_valid (const char *digest)
{
  return img_digest_validate (digest, NULL) == 0;
}

const char *
img_digest_hex (const char *digest)
{
  const char *colon = strchr (digest, ':');
  return colon ? colon + 1 : digest;
}

char *
img_digest_alg (const char *digest)
{
  const char *colon = strchr (digest, ':');
  return colon ? xasprintf ("%.*s", (int) (colon - digest), digest) : xstrdup ("sha256");
}

struct img_hasher *
img_hasher_new (const char *alg)
{
  const EVP_MD *md = NULL;

  if (strcmp (alg, "sha256") == 0)
    md = EVP_sha256 ();
  else if (strcmp (alg, "sha512") == 0)
    md = EVP_sha512 ();
  if (md == NULL)
    return NULL;
  struct img_hasher *h = xzalloc (sizeof (*h));
  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, md, NULL) != 1)
    abort ();
  snprintf (h->alg, sizeof (h->alg), "%s", alg);
  return h;
}

void
img_hasher_update (struct img_hasher *h, const void *buf, size_t len)
{
  if (len && EVP_DigestUpdate (h->ctx, buf, len) != 1)
    abort ();
}

char *
img_hasher_digest (const struct img_hasher *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX *copy = EVP_MD_CTX_new ();

  /* Finalise a copy so the caller can keep hashing (resumed downloads). */
  if (copy == NULL || EVP_MD_CTX_copy_ex (copy, h->ctx) != 1 || EVP_DigestFinal_ex (copy, md, &n) != 1)
    abort ();
  EVP_MD_CTX_free (copy);
  char *out = xmalloc (strlen (h->alg) + 2 + 2 * n);
  char *p = out + sprintf (out, "%s:", h->alg);
  for (unsigned int i = 0; i < n; i++)
    p += sprintf (p, "%02x", md[i]);
  return out;
}

void
img_hasher_free (struct img_hasher *h)
{
  if (h)
    {
      EVP_MD_CTX_free (h->ctx);
      free (h);
    }
}

char *
img_digest_buf (const char *alg, const void *buf, size_t len)
{
  struct img_hasher *h = img_hasher_new (alg);
  if (h == NULL)
    return NULL;
  img_hasher_update (h, buf, len);
  char *d = img_hasher_digest (h);
  img_hasher_free (h);
  return d;
}

int
img_digest_fd (const char *alg, int fd, char **out, struct hako_err **err)
{
  struct img_hasher *h = img_hasher_new (alg);
  cleanup_free char *buf = xmalloc (1 << 17);

  if (h == NULL)
    return hako_error (err, 0, "unsupported digest algorithm `%s`", alg);
  for (;;)
    {
      ssize_t r = read (fd, buf, 1 << 17);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          img_hasher_free (h);
          return hako_error (err, errno, "read");
        }
      if (r == 0)
        break;
      img_hasher_update (h, buf, (size_t) r);
    }
  *out = img_hasher_digest (h);
  img_hasher_free (h);
  return 0;
}

int
img_digest_verify_buf (const char *digest, const void *buf, size_t len, struct hako_err **err)
{
  if (img_digest_validate (digest, err) < 0)
    return -1;
  cleanup_free char *alg = img_digest_alg (digest);
  cleanup_free char *got = img_digest_buf (alg, buf, len);
  if (strcmp (got, digest) != 0)
    return hako_error (err, 0, "digest mismatch: expected %s, got %s", digest, got);
  return 0;
}
