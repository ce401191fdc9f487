/* SPDX-License-Identifier: Apache-2.0 */
/* The v2 device cgroup: cgroup v2 has no devices.allow; access to device
   nodes is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
   cgroup (what runc's devicefilter and crun's ebpf.c generate).

   To behave exactly as v1 would with the same linux.resources.devices, the
   rules are first run through an emulation of the v1 device cgroup
   (security/device_cgroup.c): a default (allow or deny everything, set by
   an "a" rule, which also forgets every earlier exception) plus a list of
   exceptions that all have the opposite outcome.  The program checks the
   exceptions and otherwise returns the default, so the order of the
   exceptions does not matter. */
#include "cgroup.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the v1 emulation ---- */

static unsigned
access_bits (const char *s)
{
  unsigned a = 0;
  for (; s && *s; s++)
    a |= *s == 'r'   ? BPF_DEVCG_ACC_READ
         : *s == 'w' ? BPF_DEVCG_ACC_WRITE
         : *s == 'm' ? BPF_DEVCG_ACC_MKNOD
                     : 0;
  return a ? a : BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
}

static struct cg_dev_rule *
find_exact (struct cg_dev_policy *p, const struct cg_dev_rule *r)
{
  for (size_t i = 0; i < p->n; i++)
    if (p->ex[i].type == r->type && p->ex[i].major == r->major && p->ex[i].minor == r->minor)
      return &p->ex[i];
  return NULL;
}

/* One rule, as devcgroup_update_access() takes a write to devices.allow or
   devices.deny. */
static void
policy_apply (struct cg_dev_policy *p, bool allow, const struct cg_dev_rule *r)
{
  struct cg_dev_rule *ex;

  if (r->type == 'a')
    {
      p->default_allow = allow;
      p->n = 0;
      return;
    }
  ex = find_exact (p, r);
  if (allow == p->default_allow)
    {
      /* Same outcome as the default: take the access off the exception. */
      if (ex && (ex->access &= ~r->access) == 0)
        {
          *ex = p->ex[p->n - 1];
          p->n--;
        }
      return;
    }
  if (ex)
    {
      ex->access |= r->access;
      return;
    }
  p->ex = xrealloc (p->ex, (p->n + 1) * sizeof (*p->ex));
  p->ex[p->n++] = *r;
}

void
cg_dev_policy_make (const struct oci_resources *r, struct cg_dev_policy *p)
{
  /* What every container gets after its own rules (the v1 list in
     cgroup_v1.c): mknod anything, null zero full tty random urandom
     console ptmx, the pts, tun. */
  static const struct cg_dev_rule defaults[] = {
    { 'c', -1, -1, BPF_DEVCG_ACC_MKNOD },
    { 'b', -1, -1, BPF_DEVCG_ACC_MKNOD },
    { 'c', 1, 3, 7 },
    { 'c', 1, 8, 7 },
    { 'c', 1, 7, 7 },
    { 'c', 5, 0, 7 },
    { 'c', 1, 5, 7 },
    { 'c', 1, 9, 7 },
    { 'c', 136, -1, 7 },
    { 'c', 5, 2, 7 },
    { 'c', 10, 200, 7 },
  };

  memset (p, 0, sizeof (*p));
  p->default_allow = true; /* a new v1 cgroup inherits the root's "a *:* rwm" */
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const struct oci_device_cgroup *d = &r->devices[i];
      struct cg_dev_rule rule = {
        .type = d->type && *d->type ? d->type[0] : 'a',
        .major = d->has_major && d->major >= 0 ? d->major : -1,
        .minor = d->has_minor && d->minor >= 0 ? d->minor : -1,
        .access = access_bits (d->access),
      };
      policy_apply (p, d->allow, &rule);
    }
  for (size_t i = 0; i < sizeof (defaults) / sizeof (defaults[0]); i++)
    policy_apply (p, true, &defaults[i]);
}

void
cg_dev_policy_free (struct cg_dev_policy *p)
{
  free (p->ex);
  memset (p, 0, sizeof (*p));
}

/* ---- the program ---- */

#define INSN(c, d, s, o, i)                                                                                  \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

struct prog
{
  struct bpf_insn *v;
  size_t n;
};

static void
emit (struct prog *p, struct bpf_insn i)
{
  p->v = xrealloc (p->v, (p->n + 1) * sizeof (*p->v));
  p->v[p->n++] = i;
}

/* One exception: a block whose every test jumps past it on mismatch (off
   is patched once the block's length is known). */
static void
emit_exception (struct prog *p, const struct cg_dev_rule *ex, bool allow_when_matched)
{
  const unsigned rwm = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  size_t start = p->n;

  emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
                 ex->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (ex->access != rwm)
    {
      emit (p, INSN (BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
      emit (p, INSN (BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int) ex->access));
      if (allow_when_matched)
        /* allow exception: every requested bit must be allowed */
        emit (p, INSN (BPF_JMP | BPF_JNE | BPF_X, 1, 3, 0, 0));
      else
        /* deny exception: any requested bit it names denies (v1's
           match_exception_partial) */
        emit (p, INSN (BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0, 0));
    }
  if (ex->major >= 0)
    emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int) ex->major));
  if (ex->minor >= 0)
    emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int) ex->minor));
  emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, allow_when_matched ? 1 : 0));
  emit (p, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  for (size_t i = start; i < p->n; i++)
    if (BPF_CLASS (p->v[i].code) == BPF_JMP && BPF_OP (p->v[i].code) != BPF_EXIT)
      p->v[i].off = (short) (p->n - (i + 1));
}

void *
cg_dev_program (const struct cg_dev_policy *pol, size_t *n_insns)
{
  struct prog p = { 0 };

  /* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
     r2 = type (low 16 bits), r3 = access (high 16), r4 = major, r5 = minor. */
  emit (&p, INSN (BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));
  emit (&p, INSN (BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff));
  emit (&p, INSN (BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0));
  emit (&p, INSN (BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16));
  emit (&p, INSN (BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0));
  emit (&p, INSN (BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0));
  for (size_t i = 0; i < pol->n; i++)
    emit_exception (&p, &pol->ex[i], !pol->default_allow);
  emit (&p, INSN (BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, pol->default_allow ? 1 : 0));
  emit (&p, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  *n_insns = p.n;
  return p.v;
}

/* ---- load and attach ---- */

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

/* Load without a verifier log (a log too small for the verifier's output
   fails the load with ENOSPC); on failure load again to say why. */
static int
load_program (const struct bpf_insn *insns, size_t n, struct hako_err **err)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t) insns;
  attr.insn_cnt = (unsigned) n;
  attr.license = (uintptr_t) "Apache";
  int fd = bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int e = errno;
  cleanup_free char *log = xzalloc (1 << 16);
  attr.log_buf = (uintptr_t) log;
  attr.log_size = 1 << 16;
  attr.log_level = 1;
  fd = bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  /* The verifier's reason is the last line before its summary. */
  char *last = strstr (log, "\nprocessed ");
  if (last)
    *last = '\0';
  last = strrchr (log, '\n');
  return hako_error (err, e, "linux.resources.devices: load the device filter (BPF): %.200s",
                     last ? last + 1 : log);
}

int
cg_dev_attach (const char *dir, const struct oci_resources *r, struct hako_err **err)
{
  struct cg_dev_policy pol;
  size_t n;
  union bpf_attr attr;

  cg_dev_policy_make (r, &pol);
  cleanup_free struct bpf_insn *insns = cg_dev_program (&pol, &n);
  cg_dev_policy_free (&pol);
  cleanup_close int prog = load_program (insns, n, err);
  if (prog < 0)
    return -1;

  cleanup_close int cg = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = cg;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* MULTI: programs of the parents keep running too (a container inside a
     systemd unit keeps the unit's device policy). */
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (cg < 0 || bpf (BPF_PROG_ATTACH, &attr) < 0)
    return hako_error (err, errno, "linux.resources.devices: attach the device filter to `%s`", dir);
  /* The attachment holds the program: our fd can go. */
  return 0;
}
