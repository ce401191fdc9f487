/* SPDX-License-Identifier: Apache-2.0 */
/* The table-driven binder: one parse walk, one serialize walk, one free walk
   over the struct oci_field tables of spec.c and state.c. */
#include "binder.h"
#include "bignum.h"
#include "spec.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- paths and messages ---------------------------------------------- */

/* Longest piece of a document value echoed in a message. */
#define QUOTE_MAX 100

static void
path_reserve (struct oci_ctx *ctx, size_t extra)
{
  if (ctx->path_len + extra + 1 <= ctx->path_cap)
    return;
  ctx->path_cap = (ctx->path_len + extra + 1) * 2;
  ctx->path = xrealloc (ctx->path, ctx->path_cap);
}

/* Escape what a terminal would interpret (C0, DEL, and the C1 controls that
   UTF-8 encodes as C2 80..9F, e.g. CSI), plus quotes and backslashes when
   the result goes between quotes, and stop after `max` input bytes.  `out`
   must hold 6 * max + 4 bytes. */
static void
escape_into (char *out, const char *s, size_t max, bool quoted)
{
  size_t i, o = 0;

  for (i = 0; s[i] && i < max; i++)
    {
      unsigned char c = (unsigned char) s[i];
      unsigned char next = (unsigned char) s[i + 1];

      if (quoted && (c == '"' || c == '\\'))
        o += sprintf (out + o, "\\%c", c);
      else if (c < 0x20 || c == 0x7f)
        o += sprintf (out + o, "\\x%02x", c);
      else if (c == 0xc2 && next >= 0x80 && next <= 0x9f)
        {
          o += sprintf (out + o, "\\u%04x", next);
          i++;
        }
      else
        out[o++] = (char) c;
    }
  /* Do not end in the middle of a UTF-8 sequence. */
  if (s[i])
    {
      while (o > 0 && ((unsigned char) out[o - 1] & 0xc0) == 0x80)
        o--;
      if (o > 0 && ((unsigned char) out[o - 1] & 0xc0) == 0xc0)
        o--;
      o += sprintf (out + o, "...");
    }
  out[o] = '\0';
}

char *
oci_quote (const char *s)
{
  char buf[6 * QUOTE_MAX + 8];

  buf[0] = '"';
  escape_into (buf + 1, s ? s : "", QUOTE_MAX, true);
  strcat (buf, "\"");
  return xstrdup (buf);
}

size_t
oci_path_push_key (struct oci_ctx *ctx, const char *key)
{
  char buf[6 * QUOTE_MAX + 8];
  size_t mark = ctx->path_len, n;

  escape_into (buf, key, QUOTE_MAX, false);
  n = strlen (buf);
  path_reserve (ctx, n + 1);
  if (ctx->path_len > 0)
    ctx->path[ctx->path_len++] = '.';
  memcpy (ctx->path + ctx->path_len, buf, n + 1);
  ctx->path_len += n;
  return mark;
}

size_t
oci_path_push_index (struct oci_ctx *ctx, size_t index)
{
  size_t mark = ctx->path_len;

  path_reserve (ctx, 24);
  ctx->path_len += sprintf (ctx->path + ctx->path_len, "[%zu]", index);
  return mark;
}

void
oci_path_pop (struct oci_ctx *ctx, size_t mark)
{
  ctx->path_len = mark;
  if (ctx->path)
    ctx->path[mark] = '\0';
}

int
oci_fail (struct oci_ctx *ctx, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (ctx->path_len == 0)
    return hako_error (ctx->err, 0, "%s", msg);
  return hako_error (ctx->err, 0, "%s: %s", ctx->path, msg);
}

const char *
oci_json_type_name (const json_t *v)
{
  switch (json_typeof (v))
    {
    case JSON_OBJECT:
      return "object";
    case JSON_ARRAY:
      return "array";
    case JSON_STRING:
      return "string";
    case JSON_INTEGER:
    case JSON_REAL:
      return "number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "boolean";
    case JSON_NULL:
    default:
      return "null";
    }
}

static void
ctx_release (struct oci_ctx *ctx)
{
  free (ctx->path);
  free (ctx->big);
  ctx->path = NULL;
  ctx->big = NULL;
}

/* ---- parsing --------------------------------------------------------- */

struct number
{
  bool big; /* value in u, above INT64_MAX */
  int64_t s;
  uint64_t u;
};

static int
read_integer (struct oci_ctx *ctx, json_t *v, struct number *n)
{
  const struct oci_bignum *b;

  if (json_is_integer (v))
    {
      n->big = false;
      n->s = json_integer_value (v);
      return 0;
    }
  if (!json_is_real (v))
    return oci_fail (ctx, "expected integer, got %s", oci_json_type_name (v));
  b = oci_bignum_find (ctx, json_real_value (v));
  if (b == NULL)
    return oci_fail (ctx, "expected integer, got real number %g", json_real_value (v));
  n->big = true;
  n->u = b->value;
  return 0;
}

static int
check_range (struct oci_ctx *ctx, const struct number *n, int64_t min, uint64_t max)
{
  bool ok = n->big ? n->u <= max : n->s >= min && (n->s < 0 || (uint64_t) n->s <= max);

  if (ok)
    return 0;
  if (n->big)
    return oci_fail (ctx, "%" PRIu64 " is out of range (%" PRId64 "..%" PRIu64 ")", n->u, min, max);
  return oci_fail (ctx, "%" PRId64 " is out of range (%" PRId64 "..%" PRIu64 ")", n->s, min, max);
}

static int
parse_integer (struct oci_ctx *ctx, enum oci_kind kind, json_t *v, void *p)
{
  struct number n = { 0 };
  uint64_t u;

  if (read_integer (ctx, v, &n) < 0)
    return -1;
  u = n.big ? n.u : (uint64_t) n.s;
  switch (kind)
    {
    case OCI_INT32:
      if (check_range (ctx, &n, INT32_MIN, INT32_MAX) < 0)
        return -1;
      *(int32_t *) p = (int32_t) n.s;
      return 0;
    case OCI_UINT32:
      if (check_range (ctx, &n, 0, UINT32_MAX) < 0)
        return -1;
      *(uint32_t *) p = (uint32_t) u;
      return 0;
    case OCI_UINT16:
      if (check_range (ctx, &n, 0, UINT16_MAX) < 0)
        return -1;
      *(uint16_t *) p = (uint16_t) u;
      return 0;
    case OCI_INT64:
      if (check_range (ctx, &n, INT64_MIN, INT64_MAX) < 0)
        return -1;
      *(int64_t *) p = n.s;
      return 0;
    case OCI_UINT64:
    default:
      if (check_range (ctx, &n, 0, UINT64_MAX) < 0)
        return -1;
      *(uint64_t *) p = u;
      return 0;
    }
}

static int
parse_string (struct oci_ctx *ctx, json_t *v, char **p)
{
  if (!json_is_string (v))
    return oci_fail (ctx, "expected string, got %s", oci_json_type_name (v));
  free (*p);
  *p = xstrdup (json_string_value (v));
  return 0;
}

static int
parse_scalar (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, char *base)
{
  void *p = base + f->offset;

  switch (f->kind)
    {
    case OCI_STRING:
      return parse_string (ctx, v, p);
    case OCI_BOOL:
      if (!json_is_boolean (v))
        return oci_fail (ctx, "expected boolean, got %s", oci_json_type_name (v));
      *(bool *) p = json_is_true (v);
      return 0;
    default:
      return parse_integer (ctx, f->kind, v, p);
    }
}

static int
parse_string_array (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, char *base)
{
  char ***arr = (char ***) (base + f->offset);
  size_t *count = (size_t *) (base + f->count_offset);
  size_t n = json_array_size (v);

  if (!json_is_array (v))
    return oci_fail (ctx, "expected array of strings, got %s", oci_json_type_name (v));
  /* Stored before the elements are read, so a failure frees what was read. */
  *arr = xzalloc ((n + 1) * sizeof (char *));
  *count = 0;
  for (size_t i = 0; i < n; i++)
    {
      size_t mark = oci_path_push_index (ctx, i);
      if (parse_string (ctx, json_array_get (v, i), &(*arr)[i]) < 0)
        return -1;
      (*count)++;
      if (f->check && f->check (ctx, &(*arr)[i], f->check_arg) < 0)
        return -1;
      oci_path_pop (ctx, mark);
    }
  return 0;
}

static int
parse_u32_array (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, char *base)
{
  uint32_t **arr = (uint32_t **) (base + f->offset);
  size_t *count = (size_t *) (base + f->count_offset);
  size_t n = json_array_size (v);

  if (!json_is_array (v))
    return oci_fail (ctx, "expected array of integers, got %s", oci_json_type_name (v));
  *arr = xzalloc (n * sizeof (uint32_t));
  *count = 0;
  for (size_t i = 0; i < n; i++)
    {
      size_t mark = oci_path_push_index (ctx, i);
      if (parse_integer (ctx, OCI_UINT32, json_array_get (v, i), &(*arr)[i]) < 0)
        return -1;
      (*count)++;
      if (f->check && f->check (ctx, &(*arr)[i], f->check_arg) < 0)
        return -1;
      oci_path_pop (ctx, mark);
    }
  return 0;
}

static int
parse_object_array (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, char *base)
{
  char **arr = (char **) (base + f->offset);
  size_t *count = (size_t *) (base + f->count_offset);
  size_t n = json_array_size (v);

  if (!json_is_array (v))
    return oci_fail (ctx, "expected array of objects, got %s", oci_json_type_name (v));
  *arr = n ? xzalloc (n * f->sub->size) : NULL;
  *count = n; /* elements are zeroed: freeing a half-read array is safe */
  for (size_t i = 0; i < n; i++)
    {
      size_t mark = oci_path_push_index (ctx, i);
      if (oci_bind_parse (ctx, f->sub, json_array_get (v, i), *arr + i * f->sub->size) < 0)
        return -1;
      oci_path_pop (ctx, mark);
    }
  return 0;
}

static int
parse_kv_map (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, char *base)
{
  struct oci_kv **arr = (struct oci_kv **) (base + f->offset);
  size_t *count = (size_t *) (base + f->count_offset);
  const char *key;
  json_t *value;

  if (!json_is_object (v))
    return oci_fail (ctx, "expected object of strings, got %s", oci_json_type_name (v));
  *arr = json_object_size (v) ? xzalloc (json_object_size (v) * sizeof (**arr)) : NULL;
  *count = 0;
  json_object_foreach (v, key, value)
  {
    struct oci_kv *kv = &(*arr)[(*count)++];
    size_t mark = oci_path_push_key (ctx, key);

    kv->key = xstrdup (key);
    if (parse_string (ctx, value, &kv->value) < 0)
      return -1;
    if (f->check && f->check (ctx, &kv->value, f->check_arg) < 0)
      return -1;
    oci_path_pop (ctx, mark);
  }
  return 0;
}

static int
parse_field (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, char *base)
{
  void *p = base + f->offset;
  int r;

  switch (f->kind)
    {
    case OCI_STRING_ARRAY:
      return parse_string_array (ctx, f, v, base);
    case OCI_UINT32_ARRAY:
      return parse_u32_array (ctx, f, v, base);
    case OCI_OBJECT_ARRAY:
      return parse_object_array (ctx, f, v, base);
    case OCI_KV_MAP:
      return parse_kv_map (ctx, f, v, base);
    case OCI_CUSTOM:
      return f->custom->parse (ctx, f, v, base);
    case OCI_OBJECT_INLINE:
      return oci_bind_parse (ctx, f->sub, v, p);
    case OCI_OBJECT_PTR:
      if (!json_is_object (v))
        return oci_fail (ctx, "expected object, got %s", oci_json_type_name (v));
      *(void **) p = xzalloc (f->sub->size);
      return oci_bind_parse (ctx, f->sub, v, *(void **) p);
    default:
      r = parse_scalar (ctx, f, v, base);
      if (r == 0 && (f->flags & OCI_HAS))
        *(bool *) (base + f->has_offset) = true;
      if (r == 0 && f->check)
        r = f->check (ctx, p, f->check_arg);
      return r;
    }
}

int
oci_bind_parse (struct oci_ctx *ctx, const struct oci_type *t, json_t *json, void *obj)
{
  if (!json_is_object (json))
    return oci_fail (ctx, "expected object, got %s", oci_json_type_name (json));
  for (const struct oci_field *f = t->fields; f->name; f++)
    {
      json_t *v = json_object_get (json, f->name);
      size_t mark = oci_path_push_key (ctx, f->name);

      if (v == NULL || json_is_null (v))
        {
          if (f->flags & OCI_REQUIRED)
            return oci_fail (ctx, "required field missing");
        }
      else if (parse_field (ctx, f, v, obj) < 0)
        return -1;
      oci_path_pop (ctx, mark);
    }
  if (t->check)
    return t->check (ctx, obj, json);
  return 0;
}

/* ---- serializing ----------------------------------------------------- */

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF): the
   condition for jansson to accept a string. */
static size_t
utf8_seq_len (const unsigned char *s)
{
  unsigned char c = s[0];
  size_t n;
  uint32_t cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, cp = c & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
  if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
    return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
    return 0;
  return n;
}

/* Strings set by the runtime (a bundle path is any bytes) may not be UTF-8;
   replace bad bytes with U+FFFD as Go does, rather than drop the field. */
static json_t *
dump_string (const char *s)
{
  const unsigned char *p = (const unsigned char *) s;
  cleanup_free char *fixed = NULL;
  size_t o = 0;

  json_t *v = json_string (s);
  if (v)
    return v;
  fixed = xmalloc (3 * strlen (s) + 1);
  while (*p)
    {
      size_t n = utf8_seq_len (p);
      if (n == 0)
        {
          memcpy (fixed + o, "\xef\xbf\xbd", 3);
          o += 3;
          p++;
          continue;
        }
      memcpy (fixed + o, p, n);
      o += n;
      p += n;
    }
  fixed[o] = '\0';
  return json_string (fixed);
}

static json_t *
dump_u64 (struct oci_ctx *ctx, uint64_t u)
{
  char text[32];

  if (u <= (uint64_t) INT64_MAX)
    return json_integer ((json_int_t) u);
  return json_real (oci_bignum_add (ctx, u, NULL, 0, text));
}

static json_t *
dump_scalar (struct oci_ctx *ctx, const struct oci_field *f, const char *base)
{
  const void *p = base + f->offset;
  bool omit_zero = (f->flags & OCI_OMITEMPTY) != 0;

  if ((f->flags & OCI_HAS) && !*(const bool *) (base + f->has_offset))
    return NULL;
  switch (f->kind)
    {
    case OCI_STRING:
      return *(char *const *) p ? dump_string (*(char *const *) p) : NULL;
    case OCI_BOOL:
      return omit_zero && !*(const bool *) p ? NULL : json_boolean (*(const bool *) p);
    case OCI_INT32:
      return omit_zero && !*(const int32_t *) p ? NULL : json_integer (*(const int32_t *) p);
    case OCI_UINT32:
      return omit_zero && !*(const uint32_t *) p ? NULL : json_integer (*(const uint32_t *) p);
    case OCI_UINT16:
      return omit_zero && !*(const uint16_t *) p ? NULL : json_integer (*(const uint16_t *) p);
    case OCI_INT64:
      return omit_zero && !*(const int64_t *) p ? NULL : json_integer (*(const int64_t *) p);
    case OCI_UINT64:
    default:
      return omit_zero && !*(const uint64_t *) p ? NULL : dump_u64 (ctx, *(const uint64_t *) p);
    }
}

static json_t *
dump_array (struct oci_ctx *ctx, const struct oci_field *f, const char *base, unsigned skip)
{
  const void *arr = *(void *const *) (base + f->offset);
  size_t n = *(const size_t *) (base + f->count_offset);
  json_t *a;

  if (n == 0 && !(f->flags & OCI_REQUIRED))
    return NULL;
  a = json_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_t *v;
      if (f->kind == OCI_STRING_ARRAY)
        v = dump_string (((char *const *) arr)[i]);
      else if (f->kind == OCI_UINT32_ARRAY)
        v = json_integer (((const uint32_t *) arr)[i]);
      else
        v = oci_bind_dump (ctx, f->sub, (const char *) arr + i * f->sub->size, skip);
      json_array_append_new (a, v);
    }
  return a;
}

static json_t *
dump_kv_map (const struct oci_field *f, const char *base)
{
  const struct oci_kv *kv = *(struct oci_kv *const *) (base + f->offset);
  size_t n = *(const size_t *) (base + f->count_offset);
  json_t *o;

  if (n == 0 && !(f->flags & OCI_REQUIRED))
    return NULL;
  o = json_object ();
  for (size_t i = 0; i < n; i++)
    if (kv[i].key && kv[i].value)
      json_object_set_new (o, kv[i].key, dump_string (kv[i].value));
  return o;
}

static json_t *
dump_field (struct oci_ctx *ctx, const struct oci_field *f, const char *base, unsigned skip)
{
  const void *p = base + f->offset;

  switch (f->kind)
    {
    case OCI_STRING_ARRAY:
    case OCI_UINT32_ARRAY:
    case OCI_OBJECT_ARRAY:
      return dump_array (ctx, f, base, skip);
    case OCI_KV_MAP:
      return dump_kv_map (f, base);
    case OCI_CUSTOM:
      return f->custom->dump (ctx, f, base);
    case OCI_OBJECT_INLINE:
      return oci_bind_dump (ctx, f->sub, p, skip);
    case OCI_OBJECT_PTR:
      return *(void *const *) p ? oci_bind_dump (ctx, f->sub, *(void *const *) p, skip) : NULL;
    default:
      return dump_scalar (ctx, f, base);
    }
}

json_t *
oci_bind_dump (struct oci_ctx *ctx, const struct oci_type *t, const void *obj, unsigned skip_flags)
{
  json_t *o = json_object ();

  for (const struct oci_field *f = t->fields; f->name; f++)
    {
      json_t *v;
      if (f->flags & skip_flags)
        continue;
      v = dump_field (ctx, f, obj, skip_flags);
      if (v)
        json_object_set_new (o, f->name, v);
    }
  return o;
}

/* ---- freeing --------------------------------------------------------- */

static void
free_field (const struct oci_field *f, char *base)
{
  void *p = base + f->offset;
  bool counted = f->kind == OCI_STRING_ARRAY || f->kind == OCI_OBJECT_ARRAY || f->kind == OCI_KV_MAP;
  size_t n = counted ? *(size_t *) (base + f->count_offset) : 0;

  switch (f->kind)
    {
    case OCI_STRING:
    case OCI_UINT32_ARRAY:
      free (*(void **) p);
      break;
    case OCI_STRING_ARRAY:
      for (size_t i = 0; i < n; i++)
        free ((*(char ***) p)[i]);
      free (*(void **) p);
      break;
    case OCI_OBJECT_INLINE:
      oci_bind_free (f->sub, p);
      break;
    case OCI_OBJECT_PTR:
      if (*(void **) p)
        oci_bind_free (f->sub, *(void **) p);
      free (*(void **) p);
      break;
    case OCI_OBJECT_ARRAY:
      for (size_t i = 0; i < n; i++)
        oci_bind_free (f->sub, *(char **) p + i * f->sub->size);
      free (*(void **) p);
      break;
    case OCI_KV_MAP:
      for (size_t i = 0; i < n; i++)
        {
          free ((*(struct oci_kv **) p)[i].key);
          free ((*(struct oci_kv **) p)[i].value);
        }
      free (*(void **) p);
      break;
    case OCI_CUSTOM:
      f->custom->free (f, base);
      break;
    default:
      break;
    }
}

void
oci_bind_free (const struct oci_type *t, void *obj)
{
  if (obj == NULL)
    return;
  for (const struct oci_field *f = t->fields; f->name; f++)
    free_field (f, obj);
}

/* ---- name -> object maps --------------------------------------------- */

static int
object_map_parse (struct oci_ctx *ctx, const struct oci_field *f, json_t *v, void *obj)
{
  char **arr = (char **) ((char *) obj + f->offset);
  size_t *count = (size_t *) ((char *) obj + f->count_offset);
  const struct oci_type *t = f->sub;
  const char *key;
  json_t *value;

  if (!json_is_object (v))
    return oci_fail (ctx, "expected object, got %s", oci_json_type_name (v));
  *arr = json_object_size (v) ? xzalloc (json_object_size (v) * t->size) : NULL;
  *count = 0;
  json_object_foreach (v, key, value)
  {
    char *elem = *arr + (*count)++ * t->size;
    char **elem_key = (char **) (elem + t->map_key_offset);
    size_t mark = oci_path_push_key (ctx, key);

    *elem_key = xstrdup (key);
    if (f->check && f->check (ctx, elem_key, f->check_arg) < 0)
      return -1;
    if (oci_bind_parse (ctx, t, value, elem) < 0)
      return -1;
    oci_path_pop (ctx, mark);
  }
  return 0;
}

static json_t *
object_map_dump (struct oci_ctx *ctx, const struct oci_field *f, const void *obj)
{
  const char *arr = *(char *const *) ((const char *) obj + f->offset);
  size_t n = *(const size_t *) ((const char *) obj + f->count_offset);
  json_t *o;

  if (n == 0)
    return NULL;
  o = json_object ();
  for (size_t i = 0; i < n; i++)
    {
      const char *elem = arr + i * f->sub->size;
      const char *key = *(char *const *) (elem + f->sub->map_key_offset);
      if (key)
        json_object_set_new (o, key, oci_bind_dump (ctx, f->sub, elem, 0));
    }
  return o;
}

static void
object_map_free (const struct oci_field *f, void *obj)
{
  char **arr = (char **) ((char *) obj + f->offset);
  size_t n = *(size_t *) ((char *) obj + f->count_offset);

  for (size_t i = 0; i < n; i++)
    {
      char *elem = *arr + i * f->sub->size;
      free (*(char **) (elem + f->sub->map_key_offset));
      oci_bind_free (f->sub, elem);
    }
  free (*arr);
}

const struct oci_custom oci_object_map = {
  .parse = object_map_parse,
  .dump = object_map_dump,
  .free = object_map_free,
};

/* ---- documents ------------------------------------------------------- */

static bool
is_blank (const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (!strchr (" \t\r\n", s[i]) || s[i] == '\0')
      return false;
  return true;
}

static int
syntax_error (const char *origin, const json_error_t *jerr, struct hako_err **err)
{
  /* jansson quotes the offending token; it comes from the document. */
  char text[6 * sizeof (jerr->text) + 8];

  /* Say what is wrong, not which jansson flag would allow it. */
  if (strncmp (jerr->text, "\\u0000 is not allowed", 21) == 0)
    return hako_error (err, 0, "%s:%d:%d: syntax error: \\u0000 is not allowed in strings", origin,
                       jerr->line, jerr->column);
  escape_into (text, jerr->text, sizeof (jerr->text), false);
  return hako_error (err, 0, "%s:%d:%d: syntax error: %s", origin, jerr->line, jerr->column, text);
}

int
oci_bind_parse_document (const char *text, size_t len, const char *origin, const struct oci_type *t,
                         void **out, struct hako_err **err)
{
  struct oci_ctx ctx = { .err = err };
  cleanup_free char *rewritten = NULL;
  json_error_t jerr;
  json_t *root;
  void *obj;
  int r;

  *out = NULL;
  if (is_blank (text, len))
    return hako_error (err, 0, "%s: empty document", origin);
  rewritten = oci_bignum_rewrite (&ctx, text, len);
  /* Duplicate keys are rejected: Go keeps the last, other parsers the
     first, and a config that means two things to two tools is an attack. */
  root = json_loadb (rewritten ? rewritten : text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  if (root == NULL)
    {
      ctx_release (&ctx);
      return syntax_error (origin, &jerr, err);
    }
  if (!json_is_object (root))
    {
      r = hako_error (err, 0, "%s: expected a JSON object, got %s", origin, oci_json_type_name (root));
      json_decref (root);
      ctx_release (&ctx);
      return r;
    }
  obj = xzalloc (t->size);
  r = oci_bind_parse (&ctx, t, root, obj);
  json_decref (root);
  ctx_release (&ctx);
  if (r < 0)
    {
      oci_bind_free (t, obj);
      free (obj);
      return hako_error_prefix (err, "%s", origin);
    }
  *out = obj;
  return 0;
}

char *
oci_bind_dump_document (const struct oci_type *t, const void *obj, int indent, unsigned skip_flags)
{
  struct oci_ctx ctx = { 0 };
  size_t flags = indent > 0 ? JSON_INDENT (indent) : JSON_COMPACT;
  json_t *root = oci_bind_dump (&ctx, t, obj, skip_flags);
  char *s = json_dumps (root, flags | JSON_PRESERVE_ORDER);

  json_decref (root);
  if (s == NULL)
    abort (); /* only on OOM: every value was checked to be serializable */
  if (ctx.n_big > 0)
    s = oci_bignum_restore (&ctx, s);
  ctx_release (&ctx);
  return s;
}

/* A config.json is kilobytes; a seccomp profile a few hundred.  The bound
   keeps a hostile bundle from making the runtime read /dev/zero forever. */
#define OCI_FILE_MAX (64 << 20)

int
oci_read_file (const char *path, char **out, size_t *len, struct hako_err **err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t n = 0, cap = 0;

  if (fd < 0)
    return hako_error (err, errno, "open `%s`", path);
  for (;;)
    {
      ssize_t r;
      if (n + 4096 + 1 > cap)
        {
          cap = cap ? cap * 2 : 16384;
          buf = xrealloc (buf, cap);
        }
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return hako_error (err, errno, "read `%s`", path);
      if (r == 0)
        break;
      n += (size_t) r;
      if (n > OCI_FILE_MAX)
        return hako_error (err, EFBIG, "read `%s`: larger than %d MiB", path, OCI_FILE_MAX >> 20);
    }
  buf[n] = '\0';
  *len = n;
  *out = steal_pointer (&buf);
  return 0;
}

/* ---- checks for tables ----------------------------------------------- */

int
oci_check_enum (struct oci_ctx *ctx, const void *value, const void *arg)
{
  const struct oci_enum *e = arg;
  const char *s = *(char *const *) value;
  cleanup_free char *q = NULL;

  if (s == NULL)
    return 0;
  for (const char *const *v = e->values; *v; v++)
    if (strcmp (*v, s) == 0)
      return 0;
  q = oci_quote (s);
  return oci_fail (ctx, "unknown %s %s", e->noun, q);
}

int
oci_check_abs_path (struct oci_ctx *ctx, const void *value, const void *arg)
{
  const char *s = *(char *const *) value;
  cleanup_free char *q = NULL;

  if (s == NULL || s[0] == '/')
    return 0;
  q = oci_quote (s);
  return oci_fail (ctx, "must be an absolute path, got %s", q);
}

int
oci_check_positive_int32 (struct oci_ctx *ctx, const void *value, const void *arg)
{
  int32_t v = *(const int32_t *) value;

  if (v > 0)
    return 0;
  return oci_fail (ctx, "must be greater than 0, got %" PRId32, v);
}
