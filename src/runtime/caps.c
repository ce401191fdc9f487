/* SPDX-License-Identifier: Apache-2.0 */
/* process.capabilities: names resolved to masks before clone, applied in the
   container process with raw syscalls (no libcap: one less dependency, and
   the five calls below are all it would do for us). */
#include "procattr.h"
#include "../oci/names.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The highest capability the running kernel knows, asked of the kernel
   itself (PR_CAPBSET_READ is EINVAL past it) rather than read from
   /proc/sys/kernel/cap_last_cap: in the container, after pivot_root, that
   file is whatever the rootfs or a mount put there, and a low number would
   leave capabilities in the bounding set (CVE-2019-16884's lesson). */
static int
kernel_last_cap (void)
{
  int lo = 0, hi = 63; /* CAP_CHOWN (0) always exists */

  /* A binary search: six calls, not forty. */
  while (lo < hi)
    {
      int mid = (lo + hi + 1) / 2;
      if (prctl (PR_CAPBSET_READ, mid, 0, 0, 0) >= 0)
        lo = mid;
      else
        hi = mid - 1;
    }
  return lo;
}

static int
resolve_set (const char *set, char *const *names, size_t n, int last_cap, uint64_t *mask,
             struct hako_err **err)
{
  *mask = 0;
  for (size_t i = 0; i < n; i++)
    {
      int cap = oci_cap_from_name (names[i]);
      if (cap < 0)
        return hako_error (err, 0, "process.capabilities.%s: unknown capability \"%s\"", set, names[i]);
      /* A newer spec on an older kernel: runc ignores these, so do we. */
      if (cap > last_cap || cap > 63)
        {
          log_debug ("process.capabilities.%s: %s is not known to the running kernel, ignored", set,
                     names[i]);
          continue;
        }
      *mask |= UINT64_C (1) << cap;
    }
  return 0;
}

int
hako_caps_resolve (const struct oci_capabilities *caps, struct hako_caps *out, struct hako_err **err)
{
  int last = kernel_last_cap ();

  /* The probe is kept for the container process: it must not trust the
     container's /proc, and probing twice costs ~40 syscalls per start. */
  *out = (struct hako_caps){ .last_cap = last };
  if (caps == NULL)
    return 0;
  out->present = true;
  if (resolve_set ("bounding", caps->bounding, caps->n_bounding, last, &out->bounding, err) < 0
      || resolve_set ("effective", caps->effective, caps->n_effective, last, &out->effective, err) < 0
      || resolve_set ("inheritable", caps->inheritable, caps->n_inheritable, last, &out->inheritable, err) < 0
      || resolve_set ("permitted", caps->permitted, caps->n_permitted, last, &out->permitted, err) < 0
      || resolve_set ("ambient", caps->ambient, caps->n_ambient, last, &out->ambient, err) < 0)
    return -1;
  return 0;
}

/* "CAP_NET_ADMIN", or "capability 42" while the name table lacks it. */
static const char *
cap_label (int cap, char buf[32])
{
  const char *name = oci_cap_name (cap);
  if (name)
    return name;
  snprintf (buf, 32, "capability %d", cap);
  return buf;
}

struct cap_sets
{
  uint64_t effective, permitted, inheritable;
};

static int
cap_get (struct cap_sets *s)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2] = { { 0 } };

  if (syscall (SYS_capget, &hdr, d) < 0)
    return -1;
  s->effective = d[0].effective | (uint64_t) d[1].effective << 32;
  s->permitted = d[0].permitted | (uint64_t) d[1].permitted << 32;
  s->inheritable = d[0].inheritable | (uint64_t) d[1].inheritable << 32;
  return 0;
}

static int
cap_set (const struct cap_sets *s)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2] = {
    { (uint32_t) s->effective, (uint32_t) s->permitted, (uint32_t) s->inheritable },
    { (uint32_t) (s->effective >> 32), (uint32_t) (s->permitted >> 32), (uint32_t) (s->inheritable >> 32) },
  };
  return (int) syscall (SYS_capset, &hdr, d);
}

/* hako_apply_user ran first: a uid change clears the effective set even with
   PR_SET_KEEPCAPS, and PR_CAPBSET_DROP needs CAP_SETPCAP effective.  Raise
   effective to what is still permitted before touching the bounding set. */
static int
raise_effective (struct hako_err **err)
{
  struct cap_sets cur;

  if (cap_get (&cur) < 0)
    return hako_error (err, errno, "capget");
  if (cur.effective == cur.permitted)
    return 0;
  cur.effective = cur.permitted;
  if (cap_set (&cur) < 0)
    return hako_error (err, errno, "capset: raise effective to permitted");
  return 0;
}

static int
drop_bounding (uint64_t keep, int last, struct hako_err **err)
{
  char buf[32];

  for (int cap = 0; cap <= last && cap < 64; cap++)
    {
      if (keep & (UINT64_C (1) << cap))
        continue;
      /* Dropping needs CAP_SETPCAP even for a cap that is not there: only
         a cap still in the set is worth an error. */
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
        return hako_error (err, errno, "drop %s from the bounding set", cap_label (cap, buf));
    }
  return 0;
}

static int
set_ambient (uint64_t ambient, uint64_t raisable, struct hako_err **err)
{
  char buf[32];

  /* Kernels before 4.3 have no ambient set: nothing to clear there, and only
     a non-empty request is an error. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      if (errno == EINVAL && ambient == 0)
        return 0;
      return hako_error (err, errno, "clear the ambient capabilities");
    }
  for (int cap = 0; cap < 64; cap++)
    {
      if (!(ambient & (UINT64_C (1) << cap)))
        continue;
      /* EPERM: the cap is not in both permitted and inheritable, which the
         kernel requires of an ambient cap.  runc's default spec asks for
         exactly that (ambient without inheritable) and runc skips it
         silently; so do we, with a debug line (and without asking the
         kernel when the sets just given already say so). */
      if (!(raisable & (UINT64_C (1) << cap)) || prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        {
          if (!(raisable & (UINT64_C (1) << cap)) || errno == EPERM)
            {
              log_debug ("ambient %s not raised: not in permitted and inheritable", cap_label (cap, buf));
              continue;
            }
          return hako_error (err, errno, "raise ambient %s", cap_label (cap, buf));
        }
    }
  return 0;
}

/* Without process.capabilities the sets are empty and everything is dropped,
   as runc does: a container never inherits the runtime's privileges by
   omission. */
int
hako_apply_capabilities (const struct hako_caps *caps, struct hako_err **err)
{
  struct cap_sets want = { caps->effective, caps->permitted, caps->inheritable };

  if (raise_effective (err) < 0 || drop_bounding (caps->bounding, caps->last_cap, err) < 0)
    return -1;
  if (cap_set (&want) < 0)
    return hako_error (err, errno, "capset effective=%#llx permitted=%#llx inheritable=%#llx",
                       (unsigned long long) want.effective, (unsigned long long) want.permitted,
                       (unsigned long long) want.inheritable);
  return set_ambient (caps->ambient, caps->permitted & caps->inheritable, err);
}
