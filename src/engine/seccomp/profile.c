/* SPDX-License-Identifier: Apache-2.0 */
/* docker-format seccomp profiles -> linux.seccomp (profile.h says what the
   format means).  The whole document is validated before anything is
   decided, so that a typo in an entry this host would drop is still
   reported, and a profile fails the same way on every machine. */
#include "profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "../../oci/names.h"
#include "../../util/cleanup.h"
#include "../../util/error.h"

static inline void
cleanup_jsonp (json_t **j)
{
  json_decref (*j);
}
#define cleanup_json __attribute__ ((cleanup (cleanup_jsonp)))

/* docker's architecture names (Go's GOARCH, as libseccomp spells a few) and
   the libseccomp architecture each one runs natively. */
static const struct
{
  const char *name;
  const char *scmp;
} arch_names[] = {
  { "amd64", "SCMP_ARCH_X86_64" },      { "x86", "SCMP_ARCH_X86" },
  { "x32", "SCMP_ARCH_X32" },           { "arm64", "SCMP_ARCH_AARCH64" },
  { "arm", "SCMP_ARCH_ARM" },           { "ppc64le", "SCMP_ARCH_PPC64LE" },
  { "ppc64", "SCMP_ARCH_PPC64" },       { "ppc", "SCMP_ARCH_PPC" },
  { "s390x", "SCMP_ARCH_S390X" },       { "s390", "SCMP_ARCH_S390" },
  { "riscv64", "SCMP_ARCH_RISCV64" },   { "loong64", "SCMP_ARCH_LOONGARCH64" },
  { "mips64", "SCMP_ARCH_MIPS64" },     { "mips64n32", "SCMP_ARCH_MIPS64N32" },
  { "mipsel64", "SCMP_ARCH_MIPSEL64" }, { "mipsel64n32", "SCMP_ARCH_MIPSEL64N32" },
  { "mips", "SCMP_ARCH_MIPS" },         { "mipsel", "SCMP_ARCH_MIPSEL" },
};

/* The architecture this binary was built for: the filter guards the
   container's processes, which run the host's native ABI (docker decides
   with runtime.GOARCH the same way). */
static const char *
build_arch (void)
{
#if defined(__x86_64__) && defined(__ILP32__)
  return "x32";
#elif defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "x86";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__powerpc__)
  return "ppc";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__s390__)
  return "s390";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loong64";
#elif defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "mipsel64" : "mips64";
#elif defined(__mips__) && defined(_ABIN32) && _MIPS_SIM == _ABIN32
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "mipsel64n32" : "mips64n32";
#elif defined(__mips__)
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "mipsel" : "mips";
#else
  return "";
#endif
}

static const char *
scmp_arch_of (const char *name)
{
  for (size_t i = 0; i < sizeof arch_names / sizeof arch_names[0]; i++)
    if (strcmp (arch_names[i].name, name) == 0)
      return arch_names[i].scmp;
  return NULL;
}

struct kver
{
  unsigned v[3];
};

/* "4.8", "5.10.3": strict (a profile's minKernel).  With `prefix`, a
   release such as "6.1.0-18-amd64": the numbers up to the first other
   character, at least MAJOR.MINOR. */
static bool
kver_parse (const char *s, bool prefix, struct kver *k)
{
  memset (k, 0, sizeof *k);
  for (int i = 0; i < 3; i++)
    {
      char *end;
      unsigned long n;
      if (*s < '0' || *s > '9')
        return false;
      errno = 0;
      n = strtoul (s, &end, 10);
      if (errno != 0 || n > 0xffff)
        return false;
      k->v[i] = (unsigned) n;
      s = end;
      if (*s == '.' && i < 2)
        {
          s++;
          continue;
        }
      if (i == 0)
        return false;
      return prefix || *s == '\0';
    }
  return prefix || *s == '\0';
}

static int
kver_cmp (const struct kver *a, const struct kver *b)
{
  for (int i = 0; i < 3; i++)
    if (a->v[i] != b->v[i])
      return a->v[i] < b->v[i] ? -1 : 1;
  return 0;
}

/* What an entry's conditions are checked against. */
struct target
{
  const char *arch; /* docker's name */
  struct kver kernel;
  const char *const *caps;
  size_t n_caps;
};

/* Capability names compare without case and without "CAP_" ("sys_admin"
   is what docker's --cap-add accepts, so such a profile may say it too). */
static const char *
cap_base (const char *c)
{
  return strncasecmp (c, "CAP_", 4) == 0 ? c + 4 : c;
}

static bool
has_cap (const struct target *t, const char *cap)
{
  for (size_t i = 0; i < t->n_caps; i++)
    if (t->caps[i] && strcasecmp (cap_base (t->caps[i]), cap_base (cap)) == 0)
      return true;
  return false;
}

static bool
string_in (json_t *array, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach (array, i, v)
  {
    if (strcmp (json_string_value (v), s) == 0)
      return true;
  }
  return false;
}

/* ---- validation: every message names the field ---- */

/* A member, NULL when absent or null (Go's encoding/json, which docker
   reads profiles with, treats null as absent). */
static json_t *
member (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

static int
want_string (json_t *v, const char *path, struct hako_err **err)
{
  if (!json_is_string (v))
    return hako_error (err, EINVAL, "%s: expected a string", path);
  return 0;
}

static int
want_uint (json_t *v, uint64_t max, const char *path, struct hako_err **err)
{
  if (!json_is_integer (v) || json_integer_value (v) < 0)
    return hako_error (err, EINVAL, "%s: expected a non-negative integer", path);
  if ((uint64_t) json_integer_value (v) > max)
    return hako_error (err, EINVAL, "%s: %lld is out of range (at most %llu)", path,
                       (long long) json_integer_value (v), (unsigned long long) max);
  return 0;
}

static int
want_strings (json_t *v, const char *path, struct hako_err **err)
{
  size_t i;
  json_t *e;
  if (!json_is_array (v))
    return hako_error (err, EINVAL, "%s: expected an array of strings", path);
  json_array_foreach (v, i, e)
  {
    if (!json_is_string (e))
      return hako_error (err, EINVAL, "%s[%zu]: expected a string", path, i);
  }
  return 0;
}

static int
want_known (json_t *v, const char *const *known, const char *noun, const char *path, struct hako_err **err)
{
  if (want_string (v, path, err) < 0)
    return -1;
  if (!oci_name_known (known, json_string_value (v)))
    return hako_error (err, EINVAL, "%s: unknown %s \"%s\"", path, noun, json_string_value (v));
  return 0;
}

/* {"caps": [...], "arches": [...], "minKernel": "X.Y"} */
static int
check_filter (json_t *f, const char *path, struct hako_err **err)
{
  char p[96];
  json_t *v;
  struct kver k;

  if (!json_is_object (f))
    return hako_error (err, EINVAL, "%s: expected an object", path);
  snprintf (p, sizeof p, "%s.caps", path);
  if ((v = member (f, "caps")) && want_strings (v, p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.arches", path);
  if ((v = member (f, "arches")) && want_strings (v, p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.minKernel", path);
  if ((v = member (f, "minKernel")))
    {
      if (want_string (v, p, err) < 0)
        return -1;
      if (!kver_parse (json_string_value (v), false, &k))
        return hako_error (err, EINVAL, "%s: invalid kernel version \"%s\" (want MAJOR.MINOR[.PATCH])", p,
                           json_string_value (v));
    }
  return 0;
}

static int
check_arg (json_t *a, const char *path, struct hako_err **err)
{
  char p[96];
  json_t *v;

  if (!json_is_object (a))
    return hako_error (err, EINVAL, "%s: expected an object", path);
  snprintf (p, sizeof p, "%s.index", path);
  if (!(v = member (a, "index")))
    return hako_error (err, EINVAL, "%s: required", p);
  /* seccomp_data carries six arguments */
  if (want_uint (v, 5, p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.value", path);
  if (!(v = member (a, "value")))
    return hako_error (err, EINVAL, "%s: required", p);
  if (want_uint (v, INT64_MAX, p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.valueTwo", path);
  if ((v = member (a, "valueTwo")) && want_uint (v, INT64_MAX, p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.op", path);
  if (!(v = member (a, "op")))
    return hako_error (err, EINVAL, "%s: required", p);
  return want_known (v, oci_known_seccomp_operators, "operator", p, err);
}

/* One syscalls[] entry; *docker is set when it uses docker-only fields. */
static int
check_syscall (json_t *s, size_t i, bool *docker, struct hako_err **err)
{
  char path[32], p[64];
  json_t *names, *name, *v;
  size_t j;

  snprintf (path, sizeof path, "syscalls[%zu]", i);
  if (!json_is_object (s))
    return hako_error (err, EINVAL, "%s: expected an object", path);
  names = member (s, "names");
  name = member (s, "name");
  if (names && name)
    return hako_error (err, EINVAL, "%s: both name and names are set (use names)", path);
  if (name)
    {
      *docker = true;
      snprintf (p, sizeof p, "%s.name", path);
      if (want_string (name, p, err) < 0)
        return -1;
    }
  else
    {
      snprintf (p, sizeof p, "%s.names", path);
      if (!names)
        return hako_error (err, EINVAL, "%s: required", p);
      if (want_strings (names, p, err) < 0)
        return -1;
      if (json_array_size (names) == 0)
        return hako_error (err, EINVAL, "%s: must have at least one entry", p);
    }
  snprintf (p, sizeof p, "%s.action", path);
  if (!(v = member (s, "action")))
    return hako_error (err, EINVAL, "%s: required", p);
  if (want_known (v, oci_known_seccomp_actions, "action", p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.errnoRet", path);
  if ((v = member (s, "errnoRet")) && want_uint (v, UINT32_MAX, p, err) < 0)
    return -1;
  snprintf (p, sizeof p, "%s.args", path);
  if ((v = member (s, "args")))
    {
      json_t *a;
      if (!json_is_array (v))
        return hako_error (err, EINVAL, "%s: expected an array", p);
      json_array_foreach (v, j, a)
      {
        snprintf (p, sizeof p, "%s.args[%zu]", path, j);
        if (check_arg (a, p, err) < 0)
          return -1;
      }
    }
  snprintf (p, sizeof p, "%s.comment", path);
  if ((v = member (s, "comment")))
    {
      *docker = true;
      if (want_string (v, p, err) < 0)
        return -1;
    }
  snprintf (p, sizeof p, "%s.includes", path);
  if ((v = member (s, "includes")))
    {
      *docker = true;
      if (check_filter (v, p, err) < 0)
        return -1;
    }
  snprintf (p, sizeof p, "%s.excludes", path);
  if ((v = member (s, "excludes")))
    {
      *docker = true;
      if (check_filter (v, p, err) < 0)
        return -1;
    }
  return 0;
}

static int
check_arch_map (json_t *map, struct hako_err **err)
{
  size_t i;
  json_t *e, *v;
  char p[64];

  if (!json_is_array (map))
    return hako_error (err, EINVAL, "archMap: expected an array");
  json_array_foreach (map, i, e)
  {
    snprintf (p, sizeof p, "archMap[%zu]", i);
    if (!json_is_object (e))
      return hako_error (err, EINVAL, "%s: expected an object", p);
    snprintf (p, sizeof p, "archMap[%zu].architecture", i);
    if (!(v = member (e, "architecture")))
      return hako_error (err, EINVAL, "%s: required", p);
    if (want_string (v, p, err) < 0)
      return -1;
    snprintf (p, sizeof p, "archMap[%zu].subArchitectures", i);
    if ((v = member (e, "subArchitectures")) && want_strings (v, p, err) < 0)
      return -1;
  }
  return 0;
}

/* The top level; *docker is set when the profile is in docker's format. */
static int
check_profile (json_t *root, bool *docker, struct hako_err **err)
{
  json_t *v, *arches, *map;
  size_t i;

  if (!json_is_object (root))
    return hako_error (err, EINVAL, "expected a JSON object");
  if ((v = member (root, "defaultAction"))
      && want_known (v, oci_known_seccomp_actions, "action", "defaultAction", err) < 0)
    return -1;
  if ((v = member (root, "defaultErrnoRet")) && want_uint (v, UINT32_MAX, "defaultErrnoRet", err) < 0)
    return -1;
  if ((arches = member (root, "architectures")) && want_strings (arches, "architectures", err) < 0)
    return -1;
  if ((map = member (root, "archMap")))
    {
      *docker = true;
      if (check_arch_map (map, err) < 0)
        return -1;
      if (json_array_size (arches) > 0 && json_array_size (map) > 0)
        return hako_error (err, EINVAL, "architectures and archMap are both set (use one)");
    }
  if ((v = member (root, "flags")) && want_strings (v, "flags", err) < 0)
    return -1;
  if ((v = member (root, "listenerPath")) && want_string (v, "listenerPath", err) < 0)
    return -1;
  if ((v = member (root, "listenerMetadata")) && want_string (v, "listenerMetadata", err) < 0)
    return -1;
  if ((v = member (root, "syscalls")))
    {
      json_t *s;
      if (!json_is_array (v))
        return hako_error (err, EINVAL, "syscalls: expected an array");
      json_array_foreach (v, i, s)
      {
        if (check_syscall (s, i, docker, err) < 0)
          return -1;
      }
    }
  if (member (root, "defaultAction") == NULL && json_array_size (member (root, "syscalls")) > 0)
    return hako_error (err, EINVAL, "defaultAction: required");
  return 0;
}

/* ---- conversion (the document is valid here) ---- */

/* Does includes/excludes `f` hold for the target?  For includes every
   condition must hold; for excludes any one suffices. */
static bool
filter_matches (json_t *f, const struct target *t, bool all)
{
  json_t *caps = member (f, "caps"), *arches = member (f, "arches"), *min = member (f, "minKernel");
  size_t i;
  json_t *c;

  if (all)
    {
      if (json_array_size (arches) > 0 && !string_in (arches, t->arch))
        return false;
      json_array_foreach (caps, i, c)
      {
        if (!has_cap (t, json_string_value (c)))
          return false;
      }
      if (min)
        {
          struct kver k;
          kver_parse (json_string_value (min), false, &k);
          if (kver_cmp (&t->kernel, &k) < 0)
            return false;
        }
      return true;
    }
  if (json_array_size (arches) > 0 && string_in (arches, t->arch))
    return true;
  json_array_foreach (caps, i, c)
  {
    if (has_cap (t, json_string_value (c)))
      return true;
  }
  if (min)
    {
      struct kver k;
      kver_parse (json_string_value (min), false, &k);
      if (kver_cmp (&t->kernel, &k) >= 0)
        return true;
    }
  return false;
}

static bool
entry_applies (json_t *s, const struct target *t)
{
  json_t *inc = member (s, "includes"), *exc = member (s, "excludes");
  if (exc && filter_matches (exc, t, false))
    return false;
  if (inc && !filter_matches (inc, t, true))
    return false;
  return true;
}

static json_t *
convert_arg (json_t *a)
{
  json_t *two = member (a, "valueTwo");
  return json_pack ("{s:O, s:O, s:I, s:O}", "index", member (a, "index"), "value", member (a, "value"),
                    "valueTwo", two ? json_integer_value (two) : (json_int_t) 0, "op", member (a, "op"));
}

static json_t *
convert_syscall (json_t *s)
{
  json_t *out = json_object (), *v, *a;
  size_t i;

  if ((v = member (s, "name")))
    json_object_set_new (out, "names", json_pack ("[O]", v));
  else
    json_object_set_new (out, "names", json_deep_copy (member (s, "names")));
  json_object_set (out, "action", member (s, "action"));
  if ((v = member (s, "errnoRet")))
    json_object_set (out, "errnoRet", v);
  if (json_array_size (v = member (s, "args")) > 0)
    {
      json_t *args = json_array ();
      json_array_foreach (v, i, a) { json_array_append_new (args, convert_arg (a)); }
      json_object_set_new (out, "args", args);
    }
  return out;
}

/* docker's archMap: the entry whose architecture is the target's native
   one gives the filter's architectures (it and its sub-architectures). */
static json_t *
architectures_for (json_t *root, const struct target *t)
{
  json_t *arches = member (root, "architectures"), *map = member (root, "archMap"), *e;
  const char *native = scmp_arch_of (t->arch);
  size_t i;

  if (json_array_size (arches) > 0)
    return json_deep_copy (arches);
  if (native == NULL)
    return NULL;
  json_array_foreach (map, i, e)
  {
    json_t *subs = member (e, "subArchitectures"), *out;
    if (strcmp (json_string_value (member (e, "architecture")), native) != 0)
      continue;
    out = json_pack ("[s]", native);
    if (subs)
      json_array_extend (out, subs);
    return out;
  }
  return NULL;
}

static json_t *
convert (json_t *root, const struct target *t)
{
  static const char *const copied[] = { "flags", "listenerPath", "listenerMetadata" };
  json_t *out = json_object (), *v, *s, *syscalls;
  size_t i;

  json_object_set (out, "defaultAction", member (root, "defaultAction"));
  if ((v = member (root, "defaultErrnoRet")))
    json_object_set (out, "defaultErrnoRet", v);
  if ((v = architectures_for (root, t)))
    json_object_set_new (out, "architectures", v);
  for (i = 0; i < sizeof copied / sizeof copied[0]; i++)
    if ((v = member (root, copied[i])))
      json_object_set_new (out, copied[i], json_deep_copy (v));
  syscalls = json_array ();
  json_array_foreach (member (root, "syscalls"), i, s)
  {
    if (entry_applies (s, t))
      json_array_append_new (syscalls, convert_syscall (s));
  }
  json_object_set_new (out, "syscalls", syscalls);
  return out;
}

int
eng_seccomp_build_for (const struct eng_seccomp_host *host, const char *profile_json, size_t len,
                       const char *const *caps, size_t n_caps, json_t **out, struct hako_err **err)
{
  cleanup_json json_t *root = NULL;
  json_error_t je;
  struct target t = { .caps = caps, .n_caps = n_caps };
  struct utsname u;
  const char *release;
  bool docker = false;

  *out = NULL;
  if (profile_json == NULL)
    {
      profile_json = eng_seccomp_default_json;
      len = eng_seccomp_default_json_len;
    }
  root = json_loadb (profile_json, len, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL)
    return hako_error (err, EINVAL, "line %d column %d: %s", je.line, je.column, je.text);
  if (check_profile (root, &docker, err) < 0)
    return -1;
  if (member (root, "defaultAction") == NULL)
    return 0; /* "{}": no filter, as docker */
  if (!docker)
    {
      *out = steal_pointer (&root); /* already linux.seccomp */
      return 0;
    }

  t.arch = host && host->arch ? host->arch : build_arch ();
  release = host ? host->kernel : NULL;
  if (release == NULL)
    {
      if (uname (&u) < 0)
        return hako_error (err, errno, "uname");
      release = u.release;
    }
  if (!kver_parse (release, true, &t.kernel))
    return hako_error (err, EINVAL, "cannot read the kernel version from \"%s\"", release);
  *out = convert (root, &t);
  return 0;
}

int
eng_seccomp_build (const char *profile_json, size_t len, const char *const *caps, size_t n_caps, json_t **out,
                   struct hako_err **err)
{
  return eng_seccomp_build_for (NULL, profile_json, len, caps, n_caps, out, err);
}
