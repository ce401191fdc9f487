/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_CURL_DL_H
#define HAKO_IMAGE_CURL_DL_H

/* libcurl on demand (curl_dl.c): load it before the first curl call. */

#include <curl/curl.h>

struct hako_err;

int img_curl_load (struct hako_err **err);

#endif
