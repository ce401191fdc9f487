/* SPDX-License-Identifier: Apache-2.0 */
/* linux.seccomp (config-linux.md "Seccomp"): compiled with libseccomp in the
   runtime before clone, cached as BPF by a hash of the filter, loaded by the
   container process with seccomp(2) -- not seccomp_load(), so that libseccomp
   never runs in the container and the flags are exactly the config's. */
#include "seccomp.h"
#include "sha256.h"
#include "hako-config.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#if HAKO_HAVE_SECCOMP
#include <seccomp.h>
#endif

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#define CAP_SYS_ADMIN_BIT 21

struct hako_seccomp_prog
{
  struct sock_filter *insns;
  unsigned short len;
  unsigned long flags; /* SECCOMP_FILTER_FLAG_*, without NEW_LISTENER */
  bool notify;
};

const char *const hako_seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};

const char *const hako_seccomp_operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const struct
{
  const char *name;
  unsigned long flag;
} flag_table[] = {
  /* The container process is single-threaded when it loads the filter:
     TSYNC is accepted and passed on, and means nothing more. */
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

const char *const hako_seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
};

static const char *const known_archs[] = {
  "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",        NULL,
};

static long
sys_seccomp (unsigned op, unsigned long flags, void *arg)
{
  return syscall (SYS_seccomp, op, flags, arg);
}

bool
hako_seccomp_load_last (bool no_new_privs, uint64_t effective_caps)
{
  return no_new_privs || (effective_caps & (UINT64_C (1) << CAP_SYS_ADMIN_BIT));
}

/* The kernel checks the flags before it reads the program: a bad pointer
   gives EFAULT when the flags are valid, EINVAL when they are not (runc
   probes the same way). */
static bool
kernel_has_flag (unsigned long flag)
{
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return sys_seccomp (SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

bool
hako_seccomp_flag_supported (const char *name)
{
  for (size_t i = 0; i < sizeof (flag_table) / sizeof (flag_table[0]); i++)
    if (strcmp (flag_table[i].name, name) == 0)
      return kernel_has_flag (flag_table[i].flag);
  return false;
}

static bool
uses_notify (const struct oci_seccomp *s)
{
  if (strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return true;
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return true;
  return false;
}

static bool
action_has_errno (const char *action)
{
  return strcmp (action, "SCMP_ACT_ERRNO") == 0 || strcmp (action, "SCMP_ACT_TRACE") == 0;
}

static int
check_errno_ret (const char *field, const char *action, bool has, uint32_t value, struct hako_err **err)
{
  if (!has)
    return 0;
  /* config-linux.md: "When the action doesn't support an errno, the
     runtime MUST print and error and fail." */
  if (!action_has_errno (action))
    return hako_error (err, 0, "%s: %s returns no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one)",
                       field, action);
  if (value > 0xffff)
    return hako_error (err, 0, "%s: %u does not fit the 16 bits seccomp has for it", field, value);
  return 0;
}

/* The spec's MUSTs and what would deadlock or fail only in the container;
   fills in the seccomp(2) flags. */
static int
validate (const struct oci_seccomp *s, struct hako_seccomp_prog *p, struct hako_err **err)
{
  p->notify = uses_notify (s);
  if (check_errno_ret ("linux.seccomp.defaultErrnoRet", s->default_action, s->has_default_errno_ret,
                       s->default_errno_ret, err)
      < 0)
    return -1;
  /* Every syscall of the runtime after the load, its own sendmsg of the
     notify fd included, would wait for an agent that has no fd yet. */
  if (strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return hako_error (err, 0,
                       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action "
                       "(the runtime's own calls would wait on the agent it has not reached yet)");
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      cleanup_free char *field = xasprintf ("linux.seccomp.syscalls[%zu].errnoRet", i);
      if (check_errno_ret (field, sc->action, sc->has_errno_ret, sc->errno_ret, err) < 0)
        return -1;
      if (strcmp (sc->action, "SCMP_ACT_NOTIFY") != 0)
        continue;
      for (size_t j = 0; j < sc->n_names; j++)
        if (strcmp (sc->names[j], "sendmsg") == 0)
          return hako_error (err, 0,
                             "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be used "
                             "for sendmsg (the runtime sends the notify fd to the agent with it)",
                             i, j);
    }
  if (s->listener_metadata && !s->listener_path)
    return hako_error (err, 0, "linux.seccomp.listenerMetadata: set without listenerPath");
  if (p->notify && (!s->listener_path || !*s->listener_path))
    return hako_error (err, 0, "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
  if (!p->notify && s->listener_path)
    log_debug ("linux.seccomp.listenerPath: no rule uses SCMP_ACT_NOTIFY, ignored");
  if (p->notify && s->listener_path
      && strlen (s->listener_path) >= sizeof (((struct sockaddr_un *) 0)->sun_path))
    return hako_error (err, ENAMETOOLONG, "linux.seccomp.listenerPath: `%s`", s->listener_path);

  p->flags = 0;
  for (size_t i = 0; i < s->n_flags; i++)
    {
      unsigned long flag = 0;
      for (size_t k = 0; k < sizeof (flag_table) / sizeof (flag_table[0]); k++)
        if (strcmp (flag_table[k].name, s->flags[i]) == 0)
          flag = flag_table[k].flag;
      if (flag == 0)
        return hako_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
      if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !p->notify)
        {
          /* The kernel refuses it without a listener; it is about how the
             listener's waits behave, so without one it means nothing. */
          log_debug ("linux.seccomp.flags[%zu]: %s without SCMP_ACT_NOTIFY, ignored", i, s->flags[i]);
          continue;
        }
      if (!kernel_has_flag (flag))
        return hako_error (err, EINVAL, "linux.seccomp.flags[%zu]: %s is not supported by the running kernel",
                           i, s->flags[i]);
      p->flags |= flag;
    }
  /* With a listener the kernel wants TSYNC_ESRCH next to TSYNC. */
  if ((p->flags & SECCOMP_FILTER_FLAG_TSYNC) && p->notify)
    p->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return 0;
}

void
hako_seccomp_prog_free (struct hako_seccomp_prog *p)
{
  if (p == NULL)
    return;
  free (p->insns);
  free (p);
}

/* ---- the cache ---- */

/* A cache file: magic, key, count, the instructions, then a SHA-256 of all
   that precedes it, so that a torn or damaged file is a miss, not a filter. */
#define CACHE_MAGIC "HAKOBPF1"

struct cache_header
{
  char magic[8];
  uint8_t key[HAKO_SHA256_LEN];
  uint32_t count;
  uint32_t reserved;
};

static void
hash_u64 (struct hako_sha256 *c, uint64_t v)
{
  hako_sha256_update (c, &v, sizeof (v));
}

static void
hash_str (struct hako_sha256 *c, const char *s)
{
  hash_u64 (c, s ? strlen (s) : UINT64_MAX);
  if (s)
    hako_sha256_update (c, s, strlen (s));
}

#if HAKO_HAVE_SECCOMP
/* Every field that shapes the BPF, length-prefixed so that no two filters
   share an encoding; flags and the listener are applied at load and are not
   part of the program. */
static void
cache_key (const struct oci_seccomp *s, uint8_t key[HAKO_SHA256_LEN])
{
  const struct scmp_version *v = seccomp_version ();
  struct hako_sha256 c;

  hako_sha256_init (&c);
  hash_str (&c, "hako-seccomp-1");
  hash_u64 (&c, v ? v->major : 0);
  hash_u64 (&c, v ? v->minor : 0);
  hash_u64 (&c, v ? v->micro : 0);
  hash_u64 (&c, seccomp_api_get ());
  hash_u64 (&c, seccomp_arch_native ());
  hash_str (&c, s->default_action);
  hash_u64 (&c, s->has_default_errno_ret ? (uint64_t) s->default_errno_ret : UINT64_MAX);
  hash_u64 (&c, s->n_architectures);
  for (size_t i = 0; i < s->n_architectures; i++)
    hash_str (&c, s->architectures[i]);
  hash_u64 (&c, s->n_syscalls);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      hash_u64 (&c, sc->n_names);
      for (size_t j = 0; j < sc->n_names; j++)
        hash_str (&c, sc->names[j]);
      hash_str (&c, sc->action);
      hash_u64 (&c, sc->has_errno_ret ? (uint64_t) sc->errno_ret : UINT64_MAX);
      hash_u64 (&c, sc->n_args);
      for (size_t j = 0; j < sc->n_args; j++)
        {
          hash_u64 (&c, sc->args[j].index);
          hash_u64 (&c, sc->args[j].value);
          hash_u64 (&c, sc->args[j].value_two);
          hash_str (&c, sc->args[j].op);
        }
    }
  hako_sha256_final (&c, key);
}
#endif

/* The cache holds security policy: use it only when nobody but us can have
   written it. */
static int
cache_open_dir (const char *dir, bool create)
{
  struct stat st;
  int fd;

  if (create && hako_mkdir_p (dir, 0700, NULL) < 0)
    return -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 022))
    {
      log_debug ("seccomp cache `%s`: not owned by us or writable by others, not used", dir);
      close (fd);
      return -1;
    }
  return fd;
}

static int
cache_read (const char *dir, const char *name, const uint8_t key[HAKO_SHA256_LEN],
            struct hako_seccomp_prog *p)
{
  cleanup_close int dfd = cache_open_dir (dir, false);
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct cache_header h;
  struct stat st;
  size_t len;
  uint8_t sum[HAKO_SHA256_LEN];

  if (dfd < 0)
    return -1;
  fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 022)
      || st.st_size < (off_t) (sizeof (h) + HAKO_SHA256_LEN)
      || st.st_size > (off_t) (sizeof (h) + BPF_MAXINSNS * sizeof (struct sock_filter) + HAKO_SHA256_LEN))
    return -1;
  if (hako_read_fd (fd, &buf, &len, NULL) < 0 || len != (size_t) st.st_size)
    return -1;
  memcpy (&h, buf, sizeof (h));
  if (memcmp (h.magic, CACHE_MAGIC, 8) != 0 || memcmp (h.key, key, HAKO_SHA256_LEN) != 0
      || len != sizeof (h) + h.count * sizeof (struct sock_filter) + HAKO_SHA256_LEN || h.count == 0)
    return -1;
  hako_sha256 (buf, len - HAKO_SHA256_LEN, sum);
  if (memcmp (sum, buf + len - HAKO_SHA256_LEN, HAKO_SHA256_LEN) != 0)
    return -1;
  p->len = (unsigned short) h.count;
  p->insns = xmalloc (h.count * sizeof (struct sock_filter));
  memcpy (p->insns, buf + sizeof (h), h.count * sizeof (struct sock_filter));
  return 0;
}

/* Best effort: a cache that cannot be written costs a recompile, nothing
   more.  Written to a temporary name and renamed, so a reader never sees a
   partial file (and the checksum covers the rest). */
static void
cache_write (const char *dir, const char *name, const uint8_t key[HAKO_SHA256_LEN],
             const struct hako_seccomp_prog *p)
{
  cleanup_close int dfd = cache_open_dir (dir, true);
  cleanup_close int fd = -1;
  cleanup_free char *tmp = xasprintf (".tmp-%d-%s", getpid (), name);
  struct cache_header h = { .count = p->len };
  size_t body = p->len * sizeof (struct sock_filter);
  size_t len = sizeof (h) + body + HAKO_SHA256_LEN;
  cleanup_free uint8_t *buf = xmalloc (len);

  if (dfd < 0)
    {
      log_debug ("seccomp cache `%s`: cannot use it: %s", dir, strerror (errno));
      return;
    }
  memcpy (h.magic, CACHE_MAGIC, 8);
  memcpy (h.key, key, HAKO_SHA256_LEN);
  memcpy (buf, &h, sizeof (h));
  memcpy (buf + sizeof (h), p->insns, body);
  hako_sha256 (buf, sizeof (h) + body, buf + sizeof (h) + body);
  fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || hako_write_all (fd, buf, len) < 0 || renameat (dfd, tmp, dfd, name) < 0)
    {
      log_debug ("seccomp cache: write `%s/%s`: %s", dir, name, strerror (errno));
      unlinkat (dfd, tmp, 0);
    }
}

/* ---- compiling ---- */

#if HAKO_HAVE_SECCOMP

static int
action_value (const char *action, bool has_errno, uint32_t errno_ret, uint32_t *out)
{
  uint32_t e = has_errno ? errno_ret : EPERM;
  static const struct
  {
    const char *name;
    uint32_t value;
  } plain[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG },
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
  };

  if (strcmp (action, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (e);
  else if (strcmp (action, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (e);
  else
    {
      for (size_t i = 0; i < sizeof (plain) / sizeof (plain[0]); i++)
        if (strcmp (plain[i].name, action) == 0)
          {
            *out = plain[i].value;
            return 0;
          }
      return -1;
    }
  return 0;
}

static int
operator_value (const char *op, enum scmp_compare *out)
{
  static const struct
  {
    const char *name;
    enum scmp_compare value;
  } ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; i < sizeof (ops) / sizeof (ops[0]); i++)
    if (strcmp (ops[i].name, op) == 0)
      {
        *out = ops[i].value;
        return 0;
      }
  return -1;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token ("x86_64"), 0 if unknown. */
static uint32_t
arch_token (const char *name)
{
  char lower[32];
  size_t i;

  if (strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof (lower))
    return 0;
  for (i = 0; name[10 + i]; i++)
    lower[i] = (char) tolower ((unsigned char) name[10 + i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

const char *const *
hako_seccomp_archs (void)
{
  static const char *list[sizeof (known_archs) / sizeof (known_archs[0])];
  size_t n = 0;

  if (list[0] == NULL)
    for (size_t i = 0; known_archs[i]; i++)
      if (arch_token (known_archs[i]) != 0)
        list[n++] = known_archs[i];
  return list;
}

bool
hako_seccomp_enabled (void)
{
  return true;
}

/* One rule for one syscall.  As runc: conditions on distinct arguments are
   ANDed in one rule; when an argument appears twice, each condition becomes
   a rule of its own (ORed), since libseccomp refuses two comparisons of one
   argument in a rule. */
static int
add_rule (scmp_filter_ctx ctx, size_t i, const char *name, int nr, uint32_t action,
          const struct oci_seccomp_syscall *sc, struct hako_err **err)
{
  struct scmp_arg_cmp cmp[6];
  unsigned seen = 0;
  bool repeated = false;
  int r;

  if (sc->n_args > 6)
    {
      /* More than six conditions can only repeat an argument. */
      repeated = true;
    }
  for (size_t j = 0; j < sc->n_args; j++)
    {
      const struct oci_seccomp_arg *a = &sc->args[j];
      enum scmp_compare op;
      if (operator_value (a->op, &op) < 0)
        return hako_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"", i, j,
                           a->op);
      if (a->index > 5)
        return hako_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is not 0..5", i, j,
                           a->index);
      if (seen & (1u << a->index))
        repeated = true;
      seen |= 1u << a->index;
      if (j < 6)
        cmp[j] = (struct scmp_arg_cmp){ a->index, op, a->value, a->value_two };
    }

  if (!repeated)
    r = seccomp_rule_add_array (ctx, action, nr, (unsigned) sc->n_args, sc->n_args ? cmp : NULL);
  else
    {
      r = 0;
      for (size_t j = 0; j < sc->n_args && r == 0; j++)
        {
          const struct oci_seccomp_arg *a = &sc->args[j];
          enum scmp_compare op = SCMP_CMP_EQ;
          operator_value (a->op, &op);
          struct scmp_arg_cmp one = { a->index, op, a->value, a->value_two };
          r = seccomp_rule_add_array (ctx, action, nr, 1, &one);
        }
    }
  if (r < 0)
    return hako_error (err, -r, "linux.seccomp.syscalls[%zu]: add the rule for `%s`", i, name);
  return 0;
}

static int
compile (const struct oci_seccomp *s, struct hako_seccomp_prog *p, struct hako_err **err)
{
  uint32_t def;
  scmp_filter_ctx ctx;
  int r = -1;

  action_value (s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def);
  ctx = seccomp_init (def);
  if (ctx == NULL)
    return hako_error (err, EINVAL, "linux.seccomp.defaultAction: libseccomp refuses %s", s->default_action);
  /* The program is exported and loaded by us; no_new_privs is the config's
     business (process.noNewPrivileges), never a side effect of seccomp. */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);

  for (size_t i = 0; i < s->n_architectures; i++)
    {
      uint32_t arch = arch_token (s->architectures[i]);
      if (arch == 0)
        {
          hako_error (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                      s->architectures[i]);
          goto out;
        }
      int e = seccomp_arch_add (ctx, arch);
      if (e < 0 && e != -EEXIST)
        {
          hako_error (err, -e, "linux.seccomp.architectures[%zu]: add %s", i, s->architectures[i]);
          goto out;
        }
    }

  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sc = &s->syscalls[i];
      uint32_t action;
      if (action_value (sc->action, sc->has_errno_ret, sc->errno_ret, &action) < 0)
        {
          hako_error (err, 0, "linux.seccomp.syscalls[%zu].action: unknown action \"%s\"", i, sc->action);
          goto out;
        }
      /* libseccomp refuses a rule that repeats the default action; it
         would change nothing (runc skips it too). */
      if (action == def)
        continue;
      for (size_t j = 0; j < sc->n_names; j++)
        {
          int nr = seccomp_syscall_resolve_name (sc->names[j]);
          if (nr == __NR_SCMP_ERROR)
            {
              log_debug ("linux.seccomp.syscalls[%zu].names[%zu]: syscall \"%s\" is unknown to "
                         "libseccomp on every architecture, skipped",
                         i, j, sc->names[j]);
              continue;
            }
          if (add_rule (ctx, i, sc->names[j], nr, action, sc, err) < 0)
            goto out;
        }
    }

  {
    cleanup_close int mfd = memfd_create ("hako-seccomp", MFD_CLOEXEC);
    cleanup_free char *buf = NULL;
    size_t len;
    int e;

    if (mfd < 0)
      {
        hako_error (err, errno, "linux.seccomp: memfd for the compiled filter");
        goto out;
      }
    e = seccomp_export_bpf (ctx, mfd);
    if (e < 0)
      {
        hako_error (err, -e, "linux.seccomp: compile the filter");
        goto out;
      }
    if (lseek (mfd, 0, SEEK_SET) < 0 || hako_read_fd (mfd, &buf, &len, err) < 0)
      {
        hako_error_prefix (err, "linux.seccomp: read the compiled filter");
        goto out;
      }
    if (len == 0 || len % sizeof (struct sock_filter) != 0)
      {
        hako_error (err, EINVAL, "linux.seccomp: the compiled filter has a bad size (%zu bytes)", len);
        goto out;
      }
    if (len / sizeof (struct sock_filter) > BPF_MAXINSNS)
      {
        hako_error (err, E2BIG,
                    "linux.seccomp: the compiled filter has %zu instructions, the kernel takes %d",
                    len / sizeof (struct sock_filter), BPF_MAXINSNS);
        goto out;
      }
    p->len = (unsigned short) (len / sizeof (struct sock_filter));
    p->insns = (struct sock_filter *) steal_pointer (&buf);
  }
  r = 0;
out:
  seccomp_release (ctx);
  return r;
}

int
hako_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir, struct hako_seccomp_prog **out,
                      struct hako_err **err)
{
  struct hako_seccomp_prog *p;
  uint8_t key[HAKO_SHA256_LEN];
  char hex[2 * HAKO_SHA256_LEN + 1];
  char name[2 * HAKO_SHA256_LEN + 8];

  *out = NULL;
  if (s == NULL)
    return 0;
  p = xzalloc (sizeof (*p));
  if (validate (s, p, err) < 0)
    {
      hako_seccomp_prog_free (p);
      return -1;
    }
  cache_key (s, key);
  hako_sha256_hex (key, hex);
  snprintf (name, sizeof (name), "%s.bpf", hex);
  if (cache_dir && cache_read (cache_dir, name, key, p) == 0)
    log_debug ("seccomp: filter %.12s from the cache (%u instructions)", hex, p->len);
  else
    {
      if (compile (s, p, err) < 0)
        {
          hako_seccomp_prog_free (p);
          return -1;
        }
      log_debug ("seccomp: filter %.12s compiled (%u instructions)", hex, p->len);
      if (cache_dir)
        cache_write (cache_dir, name, key, p);
    }
  *out = p;
  return 0;
}

#else /* !HAKO_HAVE_SECCOMP */

const char *const *
hako_seccomp_archs (void)
{
  static const char *none[] = { NULL };
  return none;
}

bool
hako_seccomp_enabled (void)
{
  return false;
}

int
hako_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir, struct hako_seccomp_prog **out,
                      struct hako_err **err)
{
  *out = NULL;
  if (s == NULL)
    return 0;
  (void) cache_dir;
  (void) cache_read;
  (void) cache_write;
  (void) validate;
  (void) hash_str;
  return hako_error (err, ENOTSUP,
                     "linux.seccomp: this build has no seccomp support (libseccomp was not found); "
                     "refusing to run the container unconfined");
}

#endif

/* ---- the container side ---- */

int
hako_seccomp_listener_connect (const struct oci_seccomp *s, int *fd, struct hako_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;

  *fd = -1;
  if (s == NULL || !uses_notify (s) || s->listener_path == NULL)
    return 0;
  /* Length checked by prepare. */
  strncpy (addr.sun_path, s->listener_path, sizeof (addr.sun_path) - 1);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return hako_error (err, errno, "linux.seccomp.listenerPath: socket");
  while (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    if (errno != EINTR)
      return hako_error (err, errno, "linux.seccomp.listenerPath: connect to `%s`", s->listener_path);
  *fd = steal_fd (&sock);
  return 0;
}

/* The containerProcessState of config-linux.md, compact JSON. */
static char *
process_state_json (const struct oci_seccomp *s, const char *state_json, struct hako_err **err)
{
  json_error_t jerr;
  json_t *state = json_loads (state_json, 0, &jerr);
  json_t *pid;
  char *out;

  if (state == NULL || !json_is_object (state))
    {
      json_decref (state);
      hako_error (err, EINVAL, "seccomp agent: bad container state: %s", jerr.text);
      return NULL;
    }
  pid = json_object_get (state, "pid");
  json_t *msg = json_pack ("{s:s, s:[s], s:I}", "ociVersion", OCI_RUNTIME_SPEC_VERSION, "fds", "seccompFd",
                           "pid", (json_int_t) (pid ? json_integer_value (pid) : 0));
  if (s->listener_metadata)
    json_object_set_new (msg, "metadata", json_string (s->listener_metadata));
  json_object_set_new (msg, "state", state);
  out = json_dumps (msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref (msg);
  return out;
}

static int
send_state (int sock, int notify_fd, const char *msg, struct hako_err **err)
{
  size_t len = strlen (msg), off = 0;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;

  /* config-linux.md: the fds go with the first sendmsg only. */
  while (off < len)
    {
      struct iovec iov = { .iov_base = (char *) msg + off, .iov_len = len - off };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
      if (off == 0)
        {
          memset (&u, 0, sizeof (u));
          mh.msg_control = u.buf;
          mh.msg_controllen = sizeof (u.buf);
          struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
          c->cmsg_level = SOL_SOCKET;
          c->cmsg_type = SCM_RIGHTS;
          c->cmsg_len = CMSG_LEN (sizeof (int));
          memcpy (CMSG_DATA (c), &notify_fd, sizeof (int));
        }
      ssize_t n = sendmsg (sock, &mh, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return hako_error (err, n < 0 ? errno : EPIPE,
                           "linux.seccomp.listenerPath: send the container state");
      off += (size_t) n;
    }
  return 0;
}

bool
hako_seccomp_prog_bpf (const struct hako_seccomp_prog *p, const void **insns, unsigned short *len,
                       unsigned long *flags)
{
  if (p == NULL || p->notify)
    return false;
  *insns = p->insns;
  *len = p->len;
  *flags = p->flags;
  return true;
}

int
hako_seccomp_load (const struct hako_seccomp_prog *p, const struct oci_seccomp *s, int listener_fd,
                   const char *state_json, struct hako_err **err)
{
  cleanup_free char *msg = NULL;
  struct sock_fprog prog;
  unsigned long flags;
  long fd;
  int r;

  if (p == NULL)
    return 0;
  if (p->notify && listener_fd >= 0)
    {
      msg = process_state_json (s, state_json, err);
      if (msg == NULL)
        return -1;
    }
  prog.len = p->len;
  prog.filter = p->insns;
  flags = p->flags | (p->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  fd = sys_seccomp (SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (fd < 0)
    {
      int e = errno;
      if (listener_fd >= 0)
        close (listener_fd);
      if (e == EACCES)
        return hako_error (err, e,
                           "load the seccomp filter (without CAP_SYS_ADMIN the kernel "
                           "requires process.noNewPrivileges)");
      return hako_error (err, e, "load the seccomp filter");
    }
  if (!p->notify)
    return 0;
  r = 0;
  if (listener_fd >= 0)
    {
      r = send_state (listener_fd, (int) fd, msg, err);
      close (listener_fd);
    }
  close ((int) fd);
  return r;
}
