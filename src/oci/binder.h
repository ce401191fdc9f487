/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_OCI_BINDER_H
#define HAKO_OCI_BINDER_H

/* The table-driven JSON binder (STYLE.md "Specs as data").  Every OCI
   structure is described once, as an array of struct oci_field; one parse
   walk, one serialize walk and one free walk serve all of them, so every bad
   input gets the same precise message, prefixed by the document's origin:

     config.json: process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"
     config.json:3:5: syntax error: unexpected token near '}'

   Unknown JSON fields are ignored (the spec says so); JSON null counts as
   absent, as Go's encoding/json (runc) treats it. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;
struct oci_ctx;
struct oci_field;

enum oci_kind
{
  OCI_STRING,        /* char * */
  OCI_BOOL,          /* bool */
  OCI_INT32,         /* int32_t */
  OCI_UINT32,        /* uint32_t */
  OCI_INT64,         /* int64_t */
  OCI_UINT64,        /* uint64_t, the full range (see bignum in binder.c) */
  OCI_UINT16,        /* uint16_t */
  OCI_STRING_ARRAY,  /* char ** (NULL-terminated) + size_t count */
  OCI_UINT32_ARRAY,  /* uint32_t * + size_t count */
  OCI_OBJECT_PTR,    /* struct T * (NULL when absent), T described by sub */
  OCI_OBJECT_INLINE, /* struct T by value */
  OCI_OBJECT_ARRAY,  /* struct T * (contiguous) + size_t count */
  OCI_KV_MAP,        /* {"k": "v"} as struct oci_kv * + size_t count */
  OCI_CUSTOM,        /* anything else: the field's struct oci_custom hooks */
};

enum
{
  OCI_REQUIRED = 1u << 0,  /* parse: absent is an error; serialize: always written */
  OCI_OMITEMPTY = 1u << 1, /* serialize: skip false / 0 (Go's omitempty) */
  OCI_HAS = 1u << 2,       /* optional scalar: has_offset names its bool has_X */
  OCI_PRIVATE = 1u << 3,   /* hako's own field: skipped when serializing for others */
};

/* Cross-field validation of one parsed object, called with the path at the
   object; `json` is the object as read (for "was this field present"). */
typedef int (*oci_type_check_fn) (struct oci_ctx *ctx, void *obj, json_t *json);

/* Validation of one parsed value (for string arrays: each element), called
   with the path at the value; `value` points at the stored C value (char **
   for strings, uint32_t * for UINT32 ...). */
typedef int (*oci_field_check_fn) (struct oci_ctx *ctx, const void *value, const void *arg);

struct oci_type
{
  const char *name;
  size_t size;
  const struct oci_field *fields; /* terminated by an entry with name == NULL */
  oci_type_check_fn check;
  /* For types used as values of a name -> object map (oci_object_map): where
     the map key is stored (a char * member). */
  size_t map_key_offset;
};

/* Hooks for the oddities a generic kind cannot express.  `obj` is the
   struct holding the field; the hook finds its storage with f->offset and
   f->count_offset.  dump returns NULL to omit the field. */
struct oci_custom
{
  int (*parse) (struct oci_ctx *ctx, const struct oci_field *f, json_t *json, void *obj);
  json_t *(*dump) (struct oci_ctx *ctx, const struct oci_field *f, const void *obj);
  void (*free) (const struct oci_field *f, void *obj);
};

struct oci_field
{
  const char *name; /* the spec's JSON name */
  enum oci_kind kind;
  unsigned flags;
  size_t offset;
  size_t count_offset; /* arrays and maps */
  size_t has_offset;   /* with OCI_HAS */
  const struct oci_type *sub;
  const struct oci_custom *custom;
  oci_field_check_fn check;
  const void *check_arg;
};

/* Table-building shorthands.  The spec.h conventions make the count and
   has_ members derivable from the member name. */
#define OCI_F(json, k, T, m, fl, ...)                                                                        \
  {                                                                                                          \
    .name = (json), .kind = (k), .flags = (fl), .offset = offsetof (T, m), __VA_ARGS__                       \
  }
#define OCI_F_OPT(json, k, T, m, ...)                                                                        \
  OCI_F (json, k, T, m, OCI_HAS, .has_offset = offsetof (T, has_##m), __VA_ARGS__)
#define OCI_F_ARR(json, k, T, m, fl, ...)                                                                    \
  OCI_F (json, k, T, m, fl, .count_offset = offsetof (T, n_##m), __VA_ARGS__)
#define OCI_F_END                                                                                            \
  {                                                                                                          \
    .name = NULL                                                                                             \
  }

/* A closed set of names, for oci_check_enum: "unknown <noun> \"x\"". */
struct oci_enum
{
  const char *noun;
  const char *const *values; /* NULL-terminated */
};

/* Parse state: the error out-parameter, the field path for messages, and the
   table of integers too large for jansson. */
struct oci_bignum
{
  double tag;
  uint64_t value;
};

struct oci_ctx
{
  struct hako_err **err;
  char *path;
  size_t path_len;
  size_t path_cap;
  struct oci_bignum *big; /* sorted by decreasing tag */
  size_t n_big;
  size_t big_k; /* the last tag number used */
};

/* Path: push returns a mark for oci_path_pop.  Keys from the document are
   escaped and truncated (a hostile key must not put escape sequences or a
   megabyte into a log line). */
size_t oci_path_push_key (struct oci_ctx *ctx, const char *key);
size_t oci_path_push_index (struct oci_ctx *ctx, size_t index);
void oci_path_pop (struct oci_ctx *ctx, size_t mark);

/* Fail at the current path: "<path>: <message>"; returns -1. */
int oci_fail (struct oci_ctx *ctx, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A value from the document, quoted for a message: "x", escaped, at most
   ~100 characters.  Newly allocated. */
char *oci_quote (const char *s);
const char *oci_json_type_name (const json_t *v);

/* The generic walks. */
int oci_bind_parse (struct oci_ctx *ctx, const struct oci_type *t, json_t *json, void *obj);
json_t *oci_bind_dump (struct oci_ctx *ctx, const struct oci_type *t, const void *obj, unsigned skip_flags);
void oci_bind_free (const struct oci_type *t, void *obj);

/* Whole documents: syntax (with line:column), a top-level object, the
   table.  *out is a new zeroed struct of t->size (freed with oci_bind_free
   + free) or NULL on error; messages are prefixed with `origin`. */
int oci_bind_parse_document (const char *json, size_t len, const char *origin, const struct oci_type *t,
                             void **out, struct hako_err **err);
/* indent 0 = compact; fields with any of skip_flags are left out. */
char *oci_bind_dump_document (const struct oci_type *t, const void *obj, int indent, unsigned skip_flags);

/* Read a whole (bounded) file for parsing. */
int oci_read_file (const char *path, char **out, size_t *len, struct hako_err **err);

/* Checks usable in tables. */
int oci_check_enum (struct oci_ctx *ctx, const void *value, const void *arg); /* arg: oci_enum */
int oci_check_abs_path (struct oci_ctx *ctx, const void *value, const void *arg);
int oci_check_positive_int32 (struct oci_ctx *ctx, const void *value, const void *arg);

/* A name -> object map stored as an array of f->sub with the key at
   sub->map_key_offset (linux.timeOffsets, linux.resources.rdma); f->check,
   if set, validates each key (path at the key). */
extern const struct oci_custom oci_object_map;

#endif
