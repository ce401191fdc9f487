/* SPDX-License-Identifier: Apache-2.0 */
/* Registry response headers: one raw header line as curl hands it over
   (not NUL-terminated), and the WWW-Authenticate challenge parameters the
   token dance reads (realm, service, scope). */
#include "fuzz.h"
#include "../src/image/http_parse.h"
#include <strings.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* exactly `size` bytes: ASan sees a read past the line */
  char *line = xmalloc (size ? size : 1);
  memcpy (line, data, size);
  const char *names[] = { "Content-Type", "Location", "WWW-Authenticate", "Range", "OCI-Chunk-Min-Length" };
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    free (img_http_header_value (line, size, names[i]));
  free (line);

  char *s = fuzz_str (data, size);
  const char *ch = strncasecmp (s, "Bearer ", 7) == 0 ? s + 7 : s;
  const char *keys[] = { "realm", "service", "scope" };
  for (size_t i = 0; i < 3; i++)
    free (img_challenge_param (ch, keys[i]));
  free (s);
  return 0;
}
