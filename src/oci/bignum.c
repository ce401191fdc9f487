/* SPDX-License-Identifier: Apache-2.0 */
/* Integers above INT64_MAX, which jansson cannot hold.

   jansson keeps integers in a json_int_t (long long): a literal above
   INT64_MAX is a parse error there, yet uint64 fields legitimately hold
   them (RLIM_INFINITY written as 18446744073709551615 by Docker's
   `--ulimit core=-1`, swappiness -1 cast to uint64).  Before parsing, each
   such literal is replaced in a copy of the text by a short tagged real
   ("-1e-300", padded with spaces so line:column of later errors stay
   exact) recorded in ctx->big, and the integer readers map the tag back.
   Serializing does the reverse.  No spec field is a real, and tags are
   chosen to differ from every real the document itself contains, so a
   document cannot forge one.

   Tag k is -k e-300: tags are made with increasing k, so ctx->big stays
   sorted (decreasing) and lookups are binary searches; a hostile document
   full of big numbers costs n log n, not n². */
#include "bignum.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double
bignum_tag (size_t k, char text[32])
{
  snprintf (text, 32, "-%zue-300", k);
  return strtod (text, NULL);
}

const struct oci_bignum *
oci_bignum_find (const struct oci_ctx *ctx, double tag)
{
  size_t lo = 0, hi = ctx->n_big;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (ctx->big[mid].tag == tag)
        return &ctx->big[mid];
      if (ctx->big[mid].tag > tag)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static bool
contains (const double *sorted, size_t n, double v)
{
  return n > 0 && bsearch (&v, sorted, n, sizeof (double), cmp_double) != NULL;
}

double
oci_bignum_add (struct oci_ctx *ctx, uint64_t value, const double *avoid, size_t n_avoid, char text[32])
{
  double tag;

  do
    tag = bignum_tag (++ctx->big_k, text);
  while (contains (avoid, n_avoid, tag));
  ctx->big = xrealloc (ctx->big, (ctx->n_big + 1) * sizeof (*ctx->big));
  ctx->big[ctx->n_big].tag = tag;
  ctx->big[ctx->n_big].value = value;
  ctx->n_big++;
  return tag;
}

static bool
is_delim (const char *s, size_t len, size_t i)
{
  return i >= len || strchr (" \t\r\n,:[]{}", s[i]) != NULL;
}

/* Calls fn for every number token outside strings, delimited like JSON. */
typedef void (*number_fn) (const char *s, size_t start, size_t end, void *data);

static void
for_each_number (const char *s, size_t len, number_fn fn, void *data)
{
  size_t i = 0;

  while (i < len)
    {
      if (s[i] == '"')
        {
          for (i++; i < len && s[i] != '"'; i++)
            if (s[i] == '\\')
              i++;
          i++;
        }
      else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9'))
        {
          size_t start = i;
          while (i < len && s[i] != '\0' && strchr ("0123456789+-.eE", s[i]))
            i++;
          if ((start == 0 || is_delim (s, len, start - 1)) && is_delim (s, len, i))
            fn (s, start, i, data);
        }
      else
        i++;
    }
}

/* An unsigned literal in (INT64_MAX, UINT64_MAX]; false otherwise. */
static bool
token_is_bignum (const char *s, size_t start, size_t end, uint64_t *value)
{
  char buf[24];
  size_t n = end - start;

  if (n < 19 || n > 20 || s[start] == '0')
    return false;
  for (size_t i = start; i < end; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  memcpy (buf, s + start, n);
  buf[n] = '\0';
  errno = 0;
  *value = strtoull (buf, NULL, 10);
  return errno == 0 && *value > (uint64_t) INT64_MAX;
}

static bool
token_is_real (const char *s, size_t start, size_t end)
{
  for (size_t i = start; i < end; i++)
    if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
      return true;
  return false;
}

struct rewrite
{
  struct oci_ctx *ctx;
  char *copy;
  double *reals; /* the document's own reals, for tags to avoid */
  size_t n_reals;
};

static void
collect_real (const char *s, size_t start, size_t end, void *data)
{
  struct rewrite *rw = data;
  cleanup_free char *tok = NULL;

  if (!token_is_real (s, start, end))
    return;
  tok = strndup (s + start, end - start);
  if (tok == NULL)
    abort ();
  rw->reals = xrealloc (rw->reals, (rw->n_reals + 1) * sizeof (double));
  rw->reals[rw->n_reals++] = strtod (tok, NULL);
}

static void
replace_bignum (const char *s, size_t start, size_t end, void *data)
{
  struct rewrite *rw = data;
  uint64_t value;
  char text[32];
  size_t n;

  if (!token_is_bignum (s, start, end, &value))
    return;
  oci_bignum_add (rw->ctx, value, rw->reals, rw->n_reals, text);
  n = strlen (text);
  memcpy (rw->copy + start, text, n);
  memset (rw->copy + start + n, ' ', end - start - n);
}

char *
oci_bignum_rewrite (struct oci_ctx *ctx, const char *s, size_t len)
{
  struct rewrite rw = { .ctx = ctx };

  for_each_number (s, len, collect_real, &rw);
  if (rw.n_reals > 1)
    qsort (rw.reals, rw.n_reals, sizeof (double), cmp_double);
  rw.copy = xmalloc (len + 1);
  memcpy (rw.copy, s, len);
  rw.copy[len] = '\0';
  for_each_number (s, len, replace_bignum, &rw);
  free (rw.reals);
  if (ctx->n_big == 0)
    {
      free (rw.copy);
      return NULL;
    }
  return rw.copy;
}

struct restore
{
  const struct oci_ctx *ctx;
  size_t done; /* s[0..done) already copied to out */
  char *out;
  size_t out_len;
};

static void
restore_bignum (const char *s, size_t start, size_t end, void *data)
{
  struct restore *rs = data;
  const struct oci_bignum *b;
  char buf[64], num[24];
  size_t n = end - start, m;

  /* Only our tags are reals here, and %.17g keeps them short. */
  if (n >= sizeof (buf) || !token_is_real (s, start, end))
    return;
  memcpy (buf, s + start, n);
  buf[n] = '\0';
  b = oci_bignum_find (rs->ctx, strtod (buf, NULL));
  if (b == NULL)
    return;
  m = (size_t) sprintf (num, "%" PRIu64, b->value);
  memcpy (rs->out + rs->out_len, s + rs->done, start - rs->done);
  rs->out_len += start - rs->done;
  memcpy (rs->out + rs->out_len, num, m);
  rs->out_len += m;
  rs->done = end;
}

char *
oci_bignum_restore (const struct oci_ctx *ctx, char *s)
{
  size_t len = strlen (s);
  /* A 20-digit number replaces a real of at least 7 characters. */
  struct restore rs = { .ctx = ctx, .out = xmalloc (len + 20 * ctx->n_big + 1) };

  for_each_number (s, len, restore_bignum, &rs);
  memcpy (rs.out + rs.out_len, s + rs.done, len - rs.done);
  rs.out[rs.out_len + len - rs.done] = '\0';
  free (s);
  return rs.out;
}
