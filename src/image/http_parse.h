/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_HTTP_PARSE_H
#define HAKO_IMAGE_HTTP_PARSE_H

#include <stddef.h>

/* The registry client's parsers of response headers (registry.c), public
   so that fuzz/ can reach them; nothing else needs to call them. */

/* The trimmed value of header `name` in one raw header line of `n` bytes
   (not NUL-terminated, as curl hands it over); NULL when the line is
   another header. */
char *img_http_header_value (const char *line, size_t n, const char *name);

/* The value of `key` in a WWW-Authenticate challenge's parameters (after
   "Bearer "): key="value" pairs, quoted values may hold commas; NULL when
   absent. */
char *img_challenge_param (const char *challenge, const char *key);

#endif
