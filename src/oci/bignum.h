/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_OCI_BIGNUM_H
#define HAKO_OCI_BIGNUM_H

/* uint64 values above INT64_MAX through jansson, whose integers are signed
   64-bit: the binder's private helper (bignum.c explains the scheme). */

#include "binder.h"

const struct oci_bignum *oci_bignum_find (const struct oci_ctx *ctx, double tag);
/* Register `value` under a fresh tag (different from every double in
   `avoid`); the tag's text form goes to `text`. */
double oci_bignum_add (struct oci_ctx *ctx, uint64_t value, const double *avoid, size_t n_avoid,
                       char text[32]);
/* Before parsing: a copy of the text with every literal in
   (INT64_MAX, UINT64_MAX] replaced by its tag, or NULL when there is none. */
char *oci_bignum_rewrite (struct oci_ctx *ctx, const char *s, size_t len);
/* After serializing: the text with every tag replaced by its value (takes
   ownership of s). */
char *oci_bignum_restore (const struct oci_ctx *ctx, char *s);

#endif
