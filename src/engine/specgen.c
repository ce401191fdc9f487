/* SPDX-License-Identifier: Apache-2.0 */
/* Spec generation: the image's config + docker's flags -> the bundle's
   config.json, with docker's defaults (capabilities, seccomp, masked paths,
   /etc/hosts, /etc/hostname, /etc/resolv.conf per container). */
#include "engine.h"
#include "internal.h"
#include "network.h"
#include "seccomp/profile.h"
#include "users.h"
#include "volume.h"
#include "../oci/names.h"
#include "../oci/spec.h"
#include "../runtime/container.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/path.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Docker's default capability set (moby oci/caps/defaults.go). */
static const char *const default_caps[] = { "CAP_CHOWN",
                                            "CAP_DAC_OVERRIDE",
                                            "CAP_FSETID",
                                            "CAP_FOWNER",
                                            "CAP_MKNOD",
                                            "CAP_NET_RAW",
                                            "CAP_SETGID",
                                            "CAP_SETUID",
                                            "CAP_SETFCAP",
                                            "CAP_SETPCAP",
                                            "CAP_NET_BIND_SERVICE",
                                            "CAP_SYS_CHROOT",
                                            "CAP_KILL",
                                            "CAP_AUDIT_WRITE",
                                            NULL };

/* Every capability: the runtime's table (oci/names.c), indexed by number. */
#define all_caps oci_known_capabilities

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* "net_admin", "CAP_NET_ADMIN", "ALL" -> "CAP_NET_ADMIN"/"ALL"; NULL if unknown. */
static char *
cap_name (const char *s)
{
  if (strcasecmp (s, "ALL") == 0)
    return xstrdup ("ALL");
  cleanup_free char *up = xasprintf ("%s%s", strncasecmp (s, "CAP_", 4) == 0 ? "" : "CAP_", s);
  for (char *p = up; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  return oci_cap_from_name (up) >= 0 ? steal_pointer (&up) : NULL;
}

static int
strv_index (json_t *a, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach (a, i, v) if (strcmp (json_string_value (v), s) == 0) return (int) i;
  return -1;
}

static int
build_caps (const struct eng_create_opts *o, json_t **out, struct hako_err **err)
{
  json_t *caps = json_array ();
  bool all = o->privileged;
  for (size_t i = 0; i < o->n_cap_add; i++)
    if (strcasecmp (o->cap_add[i], "ALL") == 0)
      all = true;
  /* "All" is what this process may hand on: a cap missing from our
     bounding set (CAP_SYS_RESOURCE in many sandboxes) cannot be granted,
     and asking for it fails the container's capset (podman does the same). */
  const char *const *base = all ? all_caps : default_caps;
  for (size_t i = 0; base[i]; i++)
    {
      int nr = all ? oci_cap_from_name (base[i]) : -1;
      if (nr >= 0 && prctl (PR_CAPBSET_READ, nr, 0, 0, 0) != 1)
        continue;
      json_array_append_new (caps, json_string (base[i]));
    }
  for (size_t i = 0; i < o->n_cap_add; i++)
    {
      cleanup_free char *c = cap_name (o->cap_add[i]);
      if (!c)
        {
          json_decref (caps);
          return hako_error (err, EINVAL, "--cap-add: unknown capability `%s`", o->cap_add[i]);
        }
      if (strcmp (c, "ALL") != 0 && strv_index (caps, c) < 0)
        json_array_append_new (caps, json_string (c));
    }
  for (size_t i = 0; i < o->n_cap_drop; i++)
    {
      cleanup_free char *c = cap_name (o->cap_drop[i]);
      if (!c)
        {
          json_decref (caps);
          return hako_error (err, EINVAL, "--cap-drop: unknown capability `%s`", o->cap_drop[i]);
        }
      if (strcmp (c, "ALL") == 0)
        json_array_clear (caps);
      else
        {
          int k = strv_index (caps, c);
          if (k >= 0)
            json_array_remove (caps, (size_t) k);
        }
    }
  /* --cap-drop ALL --cap-add X: the adds after the drop (docker's order). */
  for (size_t i = 0; i < o->n_cap_drop; i++)
    if (strcasecmp (o->cap_drop[i], "ALL") == 0)
      for (size_t k = 0; k < o->n_cap_add; k++)
        {
          cleanup_free char *c = cap_name (o->cap_add[k]);
          if (c && strcmp (c, "ALL") != 0 && strv_index (caps, c) < 0)
            json_array_append_new (caps, json_string (c));
        }
  *out = caps;
  return 0;
}

/* ---- environment ---- */

static bool
env_has (json_t *env, const char *key)
{
  size_t i, klen = strlen (key);
  json_t *v;
  json_array_foreach (env, i, v)
  {
    const char *s = json_string_value (v);
    if (strncmp (s, key, klen) == 0 && s[klen] == '=')
      return true;
  }
  return false;
}

/* ---- users: names from the image's /etc/passwd and /etc/group ---- */

static int
resolve_user (const char *rootfs, const char *spec, json_t *user, json_t *env, struct hako_err **err)
{
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return hako_error (err, errno, "open `%s`", rootfs);
  struct eng_user u;
  if (eng_user_resolve (rootfd, spec, &u, err) < 0)
    return -1;
  json_object_set_new (user, "uid", json_integer (u.uid));
  json_object_set_new (user, "gid", json_integer (u.gid));
  if (u.n_gids)
    {
      json_t *extra = json_array ();
      for (size_t i = 0; i < u.n_gids; i++)
        json_array_append_new (extra, json_integer (u.gids[i]));
      json_object_set_new (user, "additionalGids", extra);
    }
  if (!env_has (env, "HOME"))
    {
      cleanup_free char *h = xasprintf ("HOME=%s", u.home);
      eng_env_set (env, h);
    }
  eng_user_clear (&u);
  return 0;
}

/* ---- mounts ---- */

static json_t *
mount_json (const char *dest, const char *type, const char *source, const char *const *opts)
{
  json_t *m = json_object ();
  json_object_set_new (m, "destination", json_string (dest));
  json_object_set_new (m, "type", json_string (type));
  json_object_set_new (m, "source", json_string (source));
  json_t *o = json_array ();
  for (size_t i = 0; opts && opts[i]; i++)
    json_array_append_new (o, json_string (opts[i]));
  json_object_set_new (m, "options", o);
  return m;
}

static void
mounts_drop (json_t *mounts, const char *dest)
{
  for (size_t i = json_array_size (mounts); i-- > 0;)
    {
      const char *d = json_string_value (json_object_get (json_array_get (mounts, i), "destination"));
      if (d && strcmp (d, dest) == 0)
        json_array_remove (mounts, i);
    }
}

static int
write_etc_files (struct eng_ctr *c, const char *hostname, json_t *mounts, struct hako_err **err)
{
  cleanup_free char *hn = hako_path_join (c->dir, "hostname");
  cleanup_free char *hosts = hako_path_join (c->dir, "hosts");
  cleanup_free char *resolv = hako_path_join (c->dir, "resolv.conf");
  cleanup_free char *hn_data = xasprintf ("%s\n", hostname);
  cleanup_free char *hosts_data = eng_net_hosts_initial (c->j, hostname);
  /* The host's resolv.conf with the --dns* flags (network.c). */
  cleanup_free char *host_resolv = NULL;
  size_t len = 0;
  hako_read_file ("/etc/resolv.conf", &host_resolv, &len, NULL);
  char *resolv_data = eng_net_resolv (c->j, host_resolv);
  size_t rlen = strlen (resolv_data);
  int r = 0;
  if (hako_write_file_atomic (hn, hn_data, strlen (hn_data), 0644, err) < 0
      || hako_write_file_atomic (hosts, hosts_data, strlen (hosts_data), 0644, err) < 0
      || hako_write_file_atomic (resolv, resolv_data, rlen, 0644, err) < 0)
    r = -1;
  free (resolv_data);
  if (r < 0)
    return -1;
  static const char *const bind_opts[] = { "rbind", "rprivate", NULL };
  json_array_append_new (mounts, mount_json ("/etc/hostname", "bind", hn, bind_opts));
  json_array_append_new (mounts, mount_json ("/etc/hosts", "bind", hosts, bind_opts));
  json_array_append_new (mounts, mount_json ("/etc/resolv.conf", "bind", resolv, bind_opts));
  return 0;
}

/* Record the mount in docker's inspect shape. */
static void
record_mount (json_t *list, const char *type, const char *name, const char *source, const char *dest, bool rw)
{
  json_t *m = json_object ();
  json_object_set_new (m, "Type", json_string (type));
  if (name)
    json_object_set_new (m, "Name", json_string (name));
  json_object_set_new (m, "Source", json_string (source));
  json_object_set_new (m, "Destination", json_string (dest));
  json_object_set_new (m, "Driver", json_string (strcmp (type, "volume") == 0 ? "local" : ""));
  json_object_set_new (m, "Mode", json_string (""));
  json_object_set_new (m, "RW", json_boolean (rw));
  json_object_set_new (m, "Propagation", json_string (strcmp (type, "bind") == 0 ? "rprivate" : ""));
  json_array_append_new (list, m);
}

static bool
has_target (const struct eng_create_opts *o, const char *dest)
{
  for (size_t i = 0; i < o->n_mounts; i++)
    if (strcmp (o->mounts[i].target, dest) == 0)
      return true;
  return false;
}

static int
add_user_mounts (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_create_opts *o, json_t *img_cfg,
                 const char *rootfs, json_t *mounts, struct hako_err **err)
{
  json_t *rec = json_array ();
  json_t *anon = json_array ();
  json_object_set_new (c->j, "Mounts", rec);
  json_object_set_new (json_object_get (c->j, "Hako"), "AnonymousVolumes", anon);
  for (size_t i = 0; i < o->n_mounts; i++)
    {
      const struct eng_mount_req *m = &o->mounts[i];
      if (!m->target || m->target[0] != '/')
        return hako_error (err, EINVAL, "mount: the target `%s` is not an absolute path",
                           m->target ? m->target : "");
      mounts_drop (mounts, m->target);
      if (strcmp (m->type, "tmpfs") == 0)
        {
          /* docker's defaults; an "exec" option given later wins. */
          const char *opts[16] = { "noexec", "nosuid", "nodev", NULL };
          size_t k = 3;
          for (size_t j = 0; j < m->n_options && k < 14; j++)
            opts[k++] = m->options[j];
          if (m->readonly)
            opts[k++] = "ro";
          opts[k] = NULL;
          json_array_append_new (mounts, mount_json (m->target, "tmpfs", "tmpfs", opts));
          record_mount (rec, "tmpfs", NULL, "", m->target, !m->readonly);
          continue;
        }
      cleanup_free char *source = NULL;
      cleanup_free char *vname = NULL;
      const char *type = m->type;
      if (strcmp (m->type, "volume") == 0)
        {
          bool anonymous = !m->source || !*m->source;
          vname = anonymous ? eng_id_generate () : xstrdup (m->source);
          if (eng_volume_ensure (e, vname, anonymous, &source, err) < 0)
            return -1;
          if (anonymous)
            json_array_append_new (anon, json_string (vname));
        }
      else if (strcmp (m->type, "bind") == 0)
        {
          if (!m->source || m->source[0] != '/')
            return hako_error (err, EINVAL, "bind mount source `%s` must be an absolute path",
                               m->source ? m->source : "");
          struct stat st;
          if (stat (m->source, &st) < 0)
            {
              /* docker -v creates a missing host directory; --mount refuses. */
              if (errno != ENOENT || !m->n_options || strcmp (m->options[m->n_options - 1], "create") != 0)
                return hako_error (err, errno, "bind source path does not exist: %s", m->source);
              if (hako_mkdir_p (m->source, 0755, err) < 0)
                return -1;
            }
          source = xstrdup (m->source);
        }
      else
        return hako_error (err, EINVAL, "mount type `%s` is not one of bind, volume, tmpfs", m->type);
      const char *opts[16] = { "rbind", m->readonly ? "ro" : "rw", NULL };
      size_t k = 2;
      bool prop = false;
      for (size_t j = 0; j < m->n_options && k < 14; j++)
        {
          const char *op = m->options[j];
          if (strcmp (op, "create") == 0 || strcmp (op, "z") == 0 || strcmp (op, "Z") == 0)
            continue; /* SELinux relabel: no SELinux here */
          if (strstr (op, "private") || strstr (op, "shared") || strstr (op, "slave"))
            prop = true;
          opts[k++] = op;
        }
      if (!prop)
        opts[k++] = "rprivate";
      opts[k] = NULL;
      json_array_append_new (mounts, mount_json (m->target, "bind", source, opts));
      record_mount (rec, type, vname, source, m->target, !m->readonly);
    }
  /* The image's VOLUMEs not covered by a mount: anonymous volumes. */
  json_t *vols = json_object_get (img_cfg, "Volumes");
  const char *dest;
  json_t *unused;
  json_object_foreach (vols, dest, unused)
  {
    if (has_target (o, dest) || dest[0] != '/')
      continue;
    cleanup_free char *vname = eng_id_generate ();
    cleanup_free char *source = NULL;
    if (eng_volume_ensure (e, vname, true, &source, err) < 0)
      return -1;
    /* Listed before seeding: a failed create removes what is listed. */
    json_array_append_new (anon, json_string (vname));
    /* Seed it with what the image has there, as docker does. */
    if (eng_volume_seed (source, rootfs, dest, err) < 0)
      return -1;
    static const char *const opts[] = { "rbind", "rw", "rprivate", NULL };
    json_array_append_new (mounts, mount_json (dest, "bind", source, opts));
    record_mount (rec, "volume", vname, source, dest, true);
  }
  return 0;
}

/* ---- sizes ---- */

int
eng_parse_bytes (const char *s, int64_t *out, struct hako_err **err)
{
  char *end = NULL;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || v < 0)
    return hako_error (err, EINVAL, "invalid size `%s`", s);
  int64_t mul = 1;
  switch (tolower ((unsigned char) *end))
    {
    case '\0':
    case 'b':
      break;
    case 'k':
      mul = 1024;
      break;
    case 'm':
      mul = 1024 * 1024;
      break;
    case 'g':
      mul = 1024LL * 1024 * 1024;
      break;
    case 't':
      mul = 1024LL * 1024 * 1024 * 1024;
      break;
    default:
      return hako_error (err, EINVAL, "invalid size `%s`: unknown unit `%s`", s, end);
    }
  if (*end && end[1] && !(tolower ((unsigned char) end[1]) == 'b' && !end[2])
      && !(tolower ((unsigned char) end[1]) == 'i' && tolower ((unsigned char) end[2]) == 'b' && !end[3]))
    return hako_error (err, EINVAL, "invalid size `%s`", s);
  *out = (int64_t) (v * (double) mul);
  return 0;
}

static int
add_device (const char *spec, json_t *devices, json_t *allow, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *parts[3] = { copy, NULL, NULL };
  for (int i = 1; i < 3; i++)
    {
      char *c = parts[i - 1] ? strchr (parts[i - 1], ':') : NULL;
      if (c)
        {
          *c = '\0';
          parts[i] = c + 1;
        }
    }
  const char *host = parts[0], *inside = parts[1] ? parts[1] : parts[0], *perms = parts[2] ? parts[2] : "rwm";
  /* "--device /dev/x:rw": the second part is permissions. */
  if (parts[1] && !parts[2] && parts[1][0] != '/')
    {
      perms = parts[1];
      inside = host;
    }
  struct stat st;
  if (stat (host, &st) < 0)
    return hako_error (err, errno, "--device: `%s`", host);
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    return hako_error (err, EINVAL, "--device: `%s` is not a device node", host);
  if (strspn (perms, "rwm") != strlen (perms) || !*perms)
    return hako_error (err, EINVAL, "--device: invalid permissions `%s` (a subset of rwm)", perms);
  const char *type = S_ISCHR (st.st_mode) ? "c" : "b";
  json_t *d = json_object ();
  json_object_set_new (d, "path", json_string (inside));
  json_object_set_new (d, "type", json_string (type));
  json_object_set_new (d, "major", json_integer (major (st.st_rdev)));
  json_object_set_new (d, "minor", json_integer (minor (st.st_rdev)));
  json_object_set_new (d, "fileMode", json_integer (st.st_mode & 0777));
  json_object_set_new (d, "uid", json_integer (0));
  json_object_set_new (d, "gid", json_integer (0));
  json_array_append_new (devices, d);
  json_t *a = json_object ();
  json_object_set_new (a, "allow", json_true ());
  json_object_set_new (a, "type", json_string (type));
  json_object_set_new (a, "major", json_integer (major (st.st_rdev)));
  json_object_set_new (a, "minor", json_integer (minor (st.st_rdev)));
  json_object_set_new (a, "access", json_string (perms));
  json_array_append_new (allow, a);
  return 0;
}

static const char *const rlimit_names[][2] = {
  { "core", "RLIMIT_CORE" },         { "cpu", "RLIMIT_CPU" },
  { "data", "RLIMIT_DATA" },         { "fsize", "RLIMIT_FSIZE" },
  { "locks", "RLIMIT_LOCKS" },       { "memlock", "RLIMIT_MEMLOCK" },
  { "msgqueue", "RLIMIT_MSGQUEUE" }, { "nice", "RLIMIT_NICE" },
  { "nofile", "RLIMIT_NOFILE" },     { "nproc", "RLIMIT_NPROC" },
  { "rss", "RLIMIT_RSS" },           { "rtprio", "RLIMIT_RTPRIO" },
  { "rttime", "RLIMIT_RTTIME" },     { "sigpending", "RLIMIT_SIGPENDING" },
  { "stack", "RLIMIT_STACK" },
};

static int
add_ulimit (const char *spec, json_t *rlimits, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *eq = strchr (copy, '=');
  if (!eq)
    return hako_error (err, EINVAL, "--ulimit `%s`: expected name=soft[:hard]", spec);
  *eq = '\0';
  const char *type = NULL;
  for (size_t i = 0; i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (strcmp (rlimit_names[i][0], copy) == 0)
      type = rlimit_names[i][1];
  if (!type)
    return hako_error (err, EINVAL, "--ulimit: unknown limit `%s`", copy);
  char *end;
  errno = 0;
  long long soft = strtoll (eq + 1, &end, 10), hard = soft;
  if (*end == ':')
    hard = strtoll (end + 1, &end, 10);
  if (errno || *end || soft < -1 || hard < -1 || (hard >= 0 && soft > hard))
    return hako_error (err, EINVAL, "--ulimit `%s`: expected name=soft[:hard] with soft <= hard", spec);
  for (size_t i = json_array_size (rlimits); i-- > 0;)
    if (strcmp (json_string_value (json_object_get (json_array_get (rlimits, i), "type")), type) == 0)
      json_array_remove (rlimits, i);
  json_t *r = json_object ();
  json_object_set_new (r, "type", json_string (type));
  json_object_set_new (r, "soft", json_integer (soft < 0 ? -1 : soft));
  json_object_set_new (r, "hard", json_integer (hard < 0 ? -1 : hard));
  json_array_append_new (rlimits, r);
  return 0;
}

/* --pid/--ipc/--uts/--network: "" (private), "host", "container:NAME",
   "ns:PATH" (network), "none"/"bridge" (network: private). */
static int
set_ns_mode (const struct eng_ctx *e, json_t *nss, const char *type, const char *mode, const char *flag,
             struct hako_err **err)
{
  if (!mode || !*mode || strcmp (mode, "private") == 0 || strcmp (mode, "none") == 0
      || strcmp (mode, "bridge") == 0 || strcmp (mode, "shareable") == 0)
    return 0;
  if (strcmp (type, "network") == 0 && eng_net_mode_is_network (mode))
    return eng_net_check (e, mode, err); /* a network: a namespace of its own, joined by the monitor */
  size_t idx = (size_t) -1;
  for (size_t i = 0; i < json_array_size (nss); i++)
    if (strcmp (json_string_value (json_object_get (json_array_get (nss, i), "type")), type) == 0)
      idx = i;
  if (strcmp (mode, "host") == 0)
    {
      if (idx != (size_t) -1)
        json_array_remove (nss, idx);
      return 0;
    }
  cleanup_free char *path = NULL;
  if (strncmp (mode, "container:", 10) == 0)
    {
      struct eng_ctr *other = NULL;
      if (eng_ctr_find (e, mode + 10, &other, err) < 0)
        return hako_error_prefix (err, "%s", flag);
      pid_t pid = eng_ctr_running (other) ? eng_ctr_pid (other) : 0;
      eng_ctr_free (other);
      if (pid <= 0)
        return hako_error (err, EINVAL, "%s: container `%s` is not running", flag, mode + 10);
      const char *nsname = strcmp (type, "network") == 0 ? "net" : type;
      path = xasprintf ("/proc/%d/ns/%s", pid, nsname);
    }
  else if (strncmp (mode, "ns:", 3) == 0 && mode[3] == '/')
    path = xstrdup (mode + 3);
  else
    return hako_error (err, EINVAL, "%s: unknown mode `%s` (host, container:NAME%s)", flag, mode,
                       strcmp (type, "network") == 0 ? ", none, ns:PATH" : "");
  json_t *ns = json_object ();
  json_object_set_new (ns, "type", json_string (type));
  json_object_set_new (ns, "path", json_string (path));
  if (idx != (size_t) -1)
    json_array_set_new (nss, idx, ns);
  else
    json_array_append_new (nss, ns);
  return 0;
}

static const char *
init_binary (void)
{
  static char path[PATH_MAX + 64];
  const char *env = getenv ("HAKO_INIT_PATH");
  if (env && *env)
    return env;
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof (self) - 1);
  if (n > 0)
    {
      self[n] = '\0';
      char *slash = strrchr (self, '/');
      if (slash)
        *slash = '\0';
      /* The build tree, then an installed libexec next to bin. */
      snprintf (path, sizeof (path), "%s/src/engine/init/hako-init", self);
      if (access (path, X_OK) == 0)
        return path;
      snprintf (path, sizeof (path), "%s/../libexec/hako/hako-init", self);
      if (access (path, X_OK) == 0)
        return path;
    }
  return NULL;
}

static json_t *
jpath (json_t *root, const char *a, const char *b)
{
  json_t *x = json_object_get (root, a);
  if (!json_is_object (x))
    {
      x = json_object ();
      json_object_set_new (root, a, x);
    }
  if (!b)
    return x;
  json_t *y = json_object_get (x, b);
  if (!json_is_object (y))
    {
      y = json_object ();
      json_object_set_new (x, b, y);
    }
  return y;
}

int
eng_specgen (const struct eng_ctx *e, struct eng_ctr *c, const struct eng_create_opts *o, json_t *cfg,
             const char *rootfs, struct hako_err **err)
{
  struct oci_spec *def = oci_spec_default (false, 0, 0);
  cleanup_free char *def_json = oci_spec_to_json (def, 0);
  oci_spec_free (def);
  json_t *spec = json_loads (def_json, 0, NULL);
  if (!spec)
    return hako_error (err, EINVAL, "the default spec does not parse");
  /* Another runtime may know only 1.0 (crun 1.8 refuses "1.2.0"); what
     the engine writes is 1.0 config as podman writes it. */
  if (o->runtime)
    json_object_set_new (spec, "ociVersion", json_string ("1.0.2-dev"));
  int ret = -1;
  json_t *caps = NULL;
  cleanup_free char *cgpath = NULL, *bundle = NULL, *path = NULL, *text = NULL;
  json_t *process = jpath (spec, "process", NULL);
  json_t *linux_ = jpath (spec, "linux", NULL);
  json_t *config = json_object_get (c->j, "Config");

  /* root, hostname */
  json_t *root = jpath (spec, "root", NULL);
  json_object_set_new (root, "path", json_string (rootfs));
  json_object_set_new (root, "readonly", json_boolean (o->read_only));
  const char *hostname = json_string_value (json_object_get (config, "Hostname"));
  json_object_set_new (spec, "hostname", json_string (hostname));

  /* args: entrypoint + cmd, docker's rules */
  json_t *args = json_array ();
  json_t *ep = json_object_get (config, "Entrypoint");
  json_t *cmd = json_object_get (config, "Cmd");
  json_array_extend (args, ep);
  json_array_extend (args, cmd);
  if (json_array_size (args) == 0)
    {
      json_decref (args);
      hako_error (err, EINVAL, "no command specified: the image has no CMD or ENTRYPOINT and none was given");
      goto out;
    }
  if (o->init)
    {
      const char *ib = init_binary ();
      if (!ib)
        {
          json_decref (args);
          hako_error (err, ENOENT, "--init: hako-init not found (set HAKO_INIT_PATH)");
          goto out;
        }
      json_array_insert_new (args, 0, json_string ("--"));
      json_array_insert_new (args, 0, json_string ("/sbin/hako-init"));
      static const char *const ro[] = { "bind", "ro", "nosuid", "nodev", NULL };
      json_array_append_new (json_object_get (spec, "mounts"),
                             mount_json ("/sbin/hako-init", "bind", ib, ro));
    }
  json_object_set_new (process, "args", args);
  json_object_set (process, "env", json_object_get (config, "Env"));
  json_object_set_new (process, "terminal", json_boolean (o->tty));
  struct winsize ws;
  if (o->tty && isatty (0) && ioctl (0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
    /* The pty is born with the caller's size: a command that asks at once
       (`stty size`) does not see 0x0. */
    json_object_set_new (process, "consoleSize",
                         json_pack ("{s:i, s:i}", "height", ws.ws_row, "width", ws.ws_col));
  const char *wd = json_string_value (json_object_get (config, "WorkingDir"));
  json_object_set_new (process, "cwd", json_string (wd && *wd ? wd : "/"));
  if (wd && *wd)
    {
      /* docker creates a missing working directory (root's, 0755). */
      if (wd[0] != '/')
        {
          hako_error (err, EINVAL, "the working directory `%s` is invalid: it needs to be an absolute path",
                      wd);
          goto out;
        }
      cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      int dfd = rootfd < 0 ? -1 : hako_mkdir_in_root (rootfd, wd, 0755, err);
      if (dfd < 0)
        {
          if (rootfd < 0)
            hako_error (err, errno, "open `%s`", rootfs);
          hako_error_prefix (err, "working directory `%s`", wd);
          goto out;
        }
      close (dfd);
    }
  if (o->tty)
    eng_env_set (json_object_get (process, "env"), "TERM=xterm");

  /* user */
  json_t *user = json_object ();
  json_object_set_new (process, "user", user);
  if (resolve_user (rootfs, json_string_value (json_object_get (config, "User")), user,
                    json_object_get (process, "env"), err)
      < 0)
    goto out;

  /* capabilities, no_new_privs, rlimits */
  if (build_caps (o, &caps, err) < 0)
    goto out;
  json_t *capobj = json_object ();
  json_object_set (capobj, "bounding", caps);
  json_object_set (capobj, "effective", caps);
  json_object_set (capobj, "permitted", caps);
  json_object_set_new (capobj, "inheritable", json_array ());
  json_object_set_new (capobj, "ambient", json_array ());
  json_object_set_new (process, "capabilities", capobj);
  if (o->no_new_privs)
    json_object_set_new (process, "noNewPrivileges", json_true ());
  else
    json_object_del (process, "noNewPrivileges");
  json_t *rlimits = json_object_get (process, "rlimits");
  if (!json_is_array (rlimits))
    {
      rlimits = json_array ();
      json_object_set_new (process, "rlimits", rlimits);
    }
  /* docker passes the daemon's limits; a fixed 1024 would surprise. */
  json_array_clear (rlimits);
  for (size_t i = 0; i < o->n_ulimits; i++)
    if (add_ulimit (o->ulimits[i], rlimits, err) < 0)
      goto out;
  if (json_array_size (rlimits) == 0)
    json_object_del (process, "rlimits");

  /* mounts */
  json_t *mounts = json_object_get (spec, "mounts");
  if (o->shm_size > 0)
    {
      mounts_drop (mounts, "/dev/shm");
      char size[64];
      snprintf (size, sizeof (size), "size=%lldk", (long long) (o->shm_size / 1024));
      const char *opts[] = { "nosuid", "noexec", "nodev", "mode=1777", size, NULL };
      json_array_append_new (mounts, mount_json ("/dev/shm", "tmpfs", "shm", opts));
    }
  if (o->privileged)
    {
      /* rw /sys and cgroups, as docker --privileged. */
      for (size_t i = 0; i < json_array_size (mounts); i++)
        {
          json_t *m = json_array_get (mounts, i);
          const char *d = json_string_value (json_object_get (m, "destination"));
          if (strcmp (d, "/sys") == 0 || strcmp (d, "/sys/fs/cgroup") == 0)
            {
              json_t *opts = json_object_get (m, "options");
              int k = strv_index (opts, "ro");
              if (k >= 0)
                json_array_set_new (opts, (size_t) k, json_string ("rw"));
            }
        }
    }
  if (write_etc_files (c, hostname, mounts, err) < 0)
    goto out;
  if (add_user_mounts (e, c, o, json_object_get (cfg, "config"), rootfs, mounts, err) < 0)
    goto out;

  /* namespaces */
  json_t *nss = json_object_get (linux_, "namespaces");
  if (json_is_array (nss)
      && (set_ns_mode (e, nss, "pid", o->pid_mode, "--pid", err) < 0
          || set_ns_mode (e, nss, "ipc", o->ipc_mode, "--ipc", err) < 0
          || set_ns_mode (e, nss, "uts", o->uts_mode, "--uts", err) < 0
          || set_ns_mode (e, nss, "network", o->network_mode, "--network", err) < 0))
    goto out;
  if (o->uts_mode && strcmp (o->uts_mode, "host") == 0)
    json_object_del (spec, "hostname");
  if (o->userns_mode && *o->userns_mode && strcmp (o->userns_mode, "host") != 0)
    {
      hako_error (err, ENOTSUP, "--userns `%s`: only `host` is supported by the engine yet", o->userns_mode);
      goto out;
    }
  if (o->privileged)
    {
      json_object_del (linux_, "maskedPaths");
      json_object_del (linux_, "readonlyPaths");
    }

  /* resources */
  json_t *res = jpath (linux_, "resources", NULL);
  json_t *allow = json_object_get (res, "devices");
  if (!json_is_array (allow))
    {
      allow = json_array ();
      json_object_set_new (res, "devices", allow);
    }
  if (o->privileged)
    {
      json_array_clear (allow);
      json_t *a = json_object ();
      json_object_set_new (a, "allow", json_true ());
      json_object_set_new (a, "access", json_string ("rwm"));
      json_array_append_new (allow, a);
    }
  json_t *devices = json_array ();
  json_object_set_new (linux_, "devices", devices);
  for (size_t i = 0; i < o->n_devices; i++)
    if (add_device (o->devices[i], devices, allow, err) < 0)
      goto out;
  /* docker's own limits: below 6 MiB the container dies before its
     command runs; more CPUs than the host has cannot be given. */
  if (o->memory > 0 && o->memory < 6 * 1024 * 1024)
    {
      hako_error (err, EINVAL, "--memory: the minimum memory limit allowed is 6MB");
      goto out;
    }
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  if (o->cpus > 0 && (o->cpus < 0.01 || (ncpu > 0 && o->cpus > (double) ncpu)))
    {
      hako_error (err, EINVAL,
                  "--cpus: the range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
                  ncpu, ncpu);
      goto out;
    }
  if (o->memory > 0 || o->memory_swap != 0)
    {
      json_t *mem = jpath (res, "memory", NULL);
      if (o->memory > 0)
        json_object_set_new (mem, "limit", json_integer (o->memory));
      if (o->memory_swap != 0)
        {
          if (o->memory_swap > 0 && o->memory > 0 && o->memory_swap < o->memory)
            {
              hako_error (err, EINVAL, "--memory-swap must be larger than --memory (or -1 for unlimited)");
              goto out;
            }
          if (o->memory <= 0)
            {
              hako_error (err, EINVAL, "--memory-swap needs --memory");
              goto out;
            }
          json_object_set_new (mem, "swap", json_integer (o->memory_swap));
        }
    }
  if (o->cpus > 0 || o->cpu_shares > 0 || (o->cpuset_cpus && *o->cpuset_cpus))
    {
      json_t *cpu = jpath (res, "cpu", NULL);
      if (o->cpus > 0)
        {
          json_object_set_new (cpu, "period", json_integer (100000));
          json_object_set_new (cpu, "quota", json_integer ((json_int_t) (o->cpus * 100000.0 + 0.5)));
        }
      if (o->cpu_shares > 0)
        json_object_set_new (cpu, "shares", json_integer ((json_int_t) o->cpu_shares));
      if (o->cpuset_cpus && *o->cpuset_cpus)
        json_object_set_new (cpu, "cpus", json_string (o->cpuset_cpus));
    }
  if (o->pids_limit != 0)
    json_object_set_new (jpath (res, "pids", NULL), "limit", json_integer (o->pids_limit));

  /* sysctl */
  if (o->n_sysctls)
    {
      json_t *sc = jpath (linux_, "sysctl", NULL);
      for (size_t i = 0; i < o->n_sysctls; i++)
        {
          cleanup_free char *kv = xstrdup (o->sysctls[i]);
          char *eq = strchr (kv, '=');
          if (!eq || eq == kv)
            {
              hako_error (err, EINVAL, "--sysctl `%s`: expected name=value", o->sysctls[i]);
              goto out;
            }
          *eq = '\0';
          json_object_set_new (sc, kv, json_string (eq + 1));
        }
    }

  /* cgroup: below the caller's own cgroup (or --cgroup-parent) */
  cgpath = o->cgroup_parent && *o->cgroup_parent ? xasprintf ("%s/hako-%.12s", o->cgroup_parent, c->id)
                                                 : xasprintf ("hako-%.12s", c->id);
  json_object_set_new (linux_, "cgroupsPath", json_string (cgpath));

  /* seccomp: docker's default profile, adjusted to the capabilities */
  if (!o->privileged && !(o->seccomp && strcmp (o->seccomp, "unconfined") == 0))
    {
      cleanup_free char *profile = NULL;
      size_t plen = 0;
      if (o->seccomp && hako_read_file (o->seccomp, &profile, &plen, err) < 0)
        {
          hako_error_prefix (err, "--security-opt seccomp");
          goto out;
        }
      json_t *sc = NULL;
      const char **capv = xzalloc ((json_array_size (caps) + 1) * sizeof (char *));
      for (size_t i = 0; i < json_array_size (caps); i++)
        capv[i] = json_string_value (json_array_get (caps, i));
      int r = eng_seccomp_build (profile, plen, capv, json_array_size (caps), &sc, err);
      free (capv);
      if (r < 0)
        {
          hako_error_prefix (err, "seccomp profile `%s`", o->seccomp ? o->seccomp : "(built-in)");
          goto out;
        }
      json_object_set_new (linux_, "seccomp", sc);
    }

  /* write the bundle */
  bundle = hako_path_join (c->dir, "bundle");
  path = hako_path_join (bundle, "config.json");
  if (mkdir (bundle, 0700) < 0 && errno != EEXIST)
    {
      hako_error (err, errno, "mkdir `%s`", bundle);
      goto out;
    }
  text = json_dumps (spec, JSON_INDENT (2));
  /* Check it with the runtime's own parser: a bad flag is reported now,
     naming the field, not at start. */
  struct oci_spec *parsed = NULL;
  if (oci_spec_parse (text, strlen (text), path, &parsed, err) < 0)
    goto out;
  oci_spec_free (parsed);
  if (hako_write_file_atomic (path, text, strlen (text), 0600, err) < 0)
    goto out;
  ret = 0;
out:
  json_decref (caps);
  json_decref (spec);
  return ret;
}
