/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup files and the value conversions between v1 and v2.  Every write
   goes through cg_write so every failure reads the same way:
     linux.resources.memory.limit: write `100` to `/sys/fs/cgroup/.../memory.limit_in_bytes`: Device or
   resource busy */
#include "cgroup.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cg_write (const char *dir, const char *file, const char *value, const char *what, struct hako_err **err)
{
  cleanup_free char *path = hako_path_join (dir, file);
  /* O_TRUNC as the shell's `echo V > file`: a no-op on cgroupfs, and it
     makes fixture files in the unit tests hold the last value written. */
  cleanup_close int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  size_t len = strlen (value);

  /* One write(2): cgroup files take one value per call, and a short write
     would be a different value. */
  if (fd < 0 || write (fd, value, len) != (ssize_t) len)
    {
      if (what)
        return hako_error (err, errno, "%s: write `%s` to `%s`", what, value, path);
      return hako_error (err, errno, "write `%s` to `%s`", value, path);
    }
  return 0;
}

int
cg_writef (const char *dir, const char *file, const char *what, struct hako_err **err, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *value = NULL;

  va_start (ap, fmt);
  int r = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return cg_write (dir, file, value, what, err);
}

char *
cg_read (const char *dir, const char *file)
{
  cleanup_free char *path = hako_path_join (dir, file);
  char *buf = NULL;
  size_t len = 0;
  struct hako_err *e = NULL;

  if (hako_read_file (path, &buf, &len, &e) < 0)
    {
      hako_error_free (&e);
      return NULL;
    }
  while (len > 0 && buf[len - 1] == '\n')
    buf[--len] = '\0';
  return buf;
}

bool
cg_exists (const char *dir, const char *file)
{
  cleanup_free char *path = hako_path_join (dir, file);
  return access (path, F_OK) == 0;
}

static bool
parse_u64 (const char *s, uint64_t *v)
{
  char *end;
  if (strncmp (s, "max", 3) == 0)
    {
      *v = UINT64_MAX;
      return true;
    }
  errno = 0;
  *v = strtoull (s, &end, 10);
  return errno == 0 && end != s;
}

bool
cg_read_u64 (const char *dir, const char *file, uint64_t *v)
{
  cleanup_free char *s = cg_read (dir, file);
  return s && parse_u64 (s, v);
}

bool
cg_read_key (const char *dir, const char *file, const char *key, uint64_t *v)
{
  cleanup_free char *s = cg_read (dir, file);
  size_t kl = strlen (key);

  for (char *line = s; line && *line;)
    {
      char *nl = strchr (line, '\n');
      if (strncmp (line, key, kl) == 0 && line[kl] == ' ')
        return parse_u64 (line + kl + 1, v);
      line = nl ? nl + 1 : NULL;
    }
  return false;
}

json_t *
cg_read_kv_json (const char *dir, const char *file)
{
  cleanup_free char *s = cg_read (dir, file);
  json_t *o = json_object ();
  char *save = NULL;

  for (char *line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      uint64_t v;
      if (sp == NULL)
        continue;
      *sp = '\0';
      if (parse_u64 (sp + 1, &v))
        json_object_set_new (o, line, json_integer ((json_int_t) v));
    }
  return o;
}

bool
cg_list_has (const char *list, const char *name)
{
  size_t n = strlen (name);
  for (const char *p = list; p && (p = strstr (p, name)); p += n)
    if ((p == list || p[-1] == ',' || p[-1] == ' ')
        && (p[n] == ',' || p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

/* ---- conversions ---- */

uint64_t
cg_shares_to_weight (uint64_t shares)
{
  /* runc's and crun's linear map of [2, 262144] onto [1, 10000]
     (libcontainer/cgroups/utils.go ConvertCPUSharesToCgroupV2Value):
     the default 1024 shares become weight 39, not v2's default 100. */
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
cg_blkio_to_io_weight (uint64_t weight)
{
  /* [10, 1000] onto [1, 10000] (runc ConvertBlkIOToIOWeightValue). */
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

int
cg_swap_to_v2 (int64_t swap, int64_t limit, int64_t *out, struct hako_err **err)
{
  /* v1's memsw limit is memory+swap; v2's memory.swap.max is swap alone
     (runc ConvertMemorySwapToCgroupV2Value).  Unlimited memory without a
     swap value means unlimited swap too, as on v1. */
  if (limit == -1 && swap == 0)
    *out = -1;
  else if (swap == -1 || swap == 0)
    *out = swap;
  else if (limit == 0 || limit == -1)
    return hako_error (err, 0, "linux.resources.memory.swap: cannot set a swap limit without a memory limit");
  else if (limit < 0)
    return hako_error (err, 0, "linux.resources.memory.limit: invalid value %" PRId64, limit);
  else if (swap < limit)
    return hako_error (err, 0,
                       "linux.resources.memory.swap: %" PRId64 " is below the memory limit %" PRId64
                       " (swap is memory+swap)",
                       swap, limit);
  else
    *out = swap - limit;
  return 0;
}

void
cg_v2_limit_str (int64_t v, char *buf, size_t n)
{
  if (v < 0)
    snprintf (buf, n, "max");
  else
    snprintf (buf, n, "%" PRId64, v);
}

void
cg_hugepage_name (uint64_t kb, char *buf, size_t n)
{
  /* The kernel's hugetlb file names: mem_fmt() in mm/hugetlb_cgroup.c. */
  if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0)
    snprintf (buf, n, "%" PRIu64 "GB", kb / (1024 * 1024));
  else if (kb >= 1024 && kb % 1024 == 0)
    snprintf (buf, n, "%" PRIu64 "MB", kb / 1024);
  else
    snprintf (buf, n, "%" PRIu64 "KB", kb);
}

/* ---- what v1 and v2 write the same way ---- */

int
cg_apply_pids (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  /* runc: 0 leaves the limit alone, a negative value lifts it. */
  if (r->pids == NULL || !r->pids->has_limit || r->pids->limit == 0)
    return 0;
  if (r->pids->limit < 0)
    return cg_write (dir, "pids.max", "max", "linux.resources.pids.limit", err);
  return cg_writef (dir, "pids.max", "linux.resources.pids.limit", err, "%" PRId64, r->pids->limit);
}

int
cg_apply_cpuset (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  const struct oci_cpu *c = r->cpu;
  if (c && c->cpus && *c->cpus && cg_write (dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c && c->mems && *c->mems && cg_write (dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

int
cg_apply_rdma (const char *dir, const struct oci_resources *r, bool update, struct hako_err **err)
{
  /* rdma.max takes the same "DEV hca_handle=N hca_object=M" on v1 and v2. */
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const struct oci_rdma *d = &r->rdma[i];
      char line[256];
      int n = snprintf (line, sizeof (line), "%s", d->device);
      if (d->has_hca_handles)
        n += snprintf (line + n, sizeof (line) - n, " hca_handle=%u", d->hca_handles);
      if (d->has_hca_objects)
        snprintf (line + n, sizeof (line) - n, " hca_object=%u", d->hca_objects);
      if (!d->has_hca_handles && !d->has_hca_objects)
        continue;
      if (cg_write (dir, "rdma.max", line, "linux.resources.rdma", err) < 0)
        return -1;
    }
  return 0;
}

void
cg_stats_pids (const char *dir, json_t *stats)
{
  json_t *p = json_object_get (stats, "pids");
  uint64_t v;
  if (cg_read_u64 (dir, "pids.current", &v) && v)
    json_object_set_new (p, "current", json_integer ((json_int_t) v));
  /* "max" is no limit: runc reports 0 (omitted). */
  if (cg_read_u64 (dir, "pids.max", &v) && v && v != UINT64_MAX)
    json_object_set_new (p, "limit", json_integer ((json_int_t) v));
}

/* "0-2,4" -> [0,1,2,4] */
json_t *
cg_parse_list_json (const char *s)
{
  json_t *a = json_array ();
  while (s && *s)
    {
      char *end;
      long lo = strtol (s, &end, 10), hi = lo;
      if (end == s)
        break;
      if (*end == '-')
        hi = strtol (end + 1, &end, 10);
      for (long i = lo; i <= hi && i - lo < 65536; i++)
        json_array_append_new (a, json_integer (i));
      s = *end == ',' ? end + 1 : NULL;
    }
  return a;
}

char **
cg_hugepage_sizes (void)
{
  cleanup_dir DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;
  char **v = xzalloc (sizeof (char *));
  size_t n = 0;

  while (d && (de = readdir (d)))
    {
      unsigned long long kb;
      char name[32];
      if (sscanf (de->d_name, "hugepages-%llukB", &kb) != 1)
        continue;
      cg_hugepage_name (kb, name, sizeof (name));
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (name);
      v[n] = NULL;
    }
  return v;
}

int
cg_apply_hugetlb (const char *dir, const struct oci_resources *r, const char *limit_file,
                  struct hako_err **err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
      cleanup_free char *file = xasprintf ("hugetlb.%s.%s", h->page_size, limit_file);
      cleanup_free char *rsvd = xasprintf ("hugetlb.%s.rsvd.%s", h->page_size, limit_file);
      if (strchr (h->page_size, '/') || !cg_exists (dir, file))
        return hako_error (
            err, EINVAL,
            "linux.resources.hugepageLimits[%zu].pageSize: `%s` is not a huge page size of this host", i,
            h->page_size);
      if (cg_writef (dir, file, "linux.resources.hugepageLimits", err, "%" PRIu64, h->limit) < 0)
        return -1;
      /* Reservations count too (5.7+): limit them alike, as runc does. */
      if (cg_exists (dir, rsvd)
          && cg_writef (dir, rsvd, "linux.resources.hugepageLimits", err, "%" PRIu64, h->limit) < 0)
        return -1;
    }
  return 0;
}

void
cg_stats_set_blkio (json_t *st, json_t *bytes, json_t *ios)
{
  json_t *b = json_object_get (st, "blkio");
  if (json_array_size (bytes))
    json_object_set (b, "ioServiceBytesRecursive", bytes);
  if (json_array_size (ios))
    json_object_set (b, "ioServicedRecursive", ios);
  json_decref (bytes);
  json_decref (ios);
}
