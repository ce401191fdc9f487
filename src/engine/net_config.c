/* SPDX-License-Identifier: Apache-2.0 */
/* Networks: CNI configuration lists under <storage>/networks, subnets that
   collide with nothing, docker's `network` commands. */
#include "internal.h"
#include "net_internal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
networks_dir (const struct eng_ctx *e)
{
  return hako_path_join (e->storage, "networks");
}

static char *
conf_path (const struct eng_ctx *e, const char *name)
{
  return xasprintf ("%s/networks/%s.conflist", e->storage, name);
}

int
eng_net_lock (const struct eng_ctx *e, struct hako_err **err)
{
  cleanup_free char *dir = networks_dir (e);
  if (hako_mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *path = hako_path_join (dir, "lock");
  return eng_lock_path (path, err);
}

const char *
eng_net_canonical (const char *mode)
{
  if (!mode || strcmp (mode, "bridge") == 0 || strcmp (mode, "default") == 0)
    return ENG_NET_DEFAULT;
  return mode;
}

bool
eng_net_mode_is_network (const char *mode)
{
  return mode && *mode && strcmp (mode, "none") != 0 && strcmp (mode, "host") != 0
         && strcmp (mode, "private") != 0 && strncmp (mode, "container:", 10) != 0
         && strncmp (mode, "ns:", 3) != 0;
}

/* ---- IPv4 subnets ---- */

struct subnet
{
  uint32_t net; /* host order */
  int prefix;
};

static uint32_t
mask_of (int prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static int
parse_subnet (const char *s, struct subnet *out, struct hako_err **err)
{
  cleanup_free char *copy = xstrdup (s);
  char *slash = strchr (copy, '/');
  struct in_addr a;
  char *end = NULL;
  if (!slash)
    return hako_error (err, 0, "invalid subnet `%s`: expected an IPv4 CIDR such as 10.90.0.0/24", s);
  *slash = '\0';
  long p = strtol (slash + 1, &end, 10);
  if (inet_pton (AF_INET, copy, &a) != 1 || *end || p < 8 || p > 30 || end == slash + 1)
    return hako_error (err, 0, "invalid subnet `%s`: expected an IPv4 CIDR from /8 to /30", s);
  out->prefix = (int) p;
  out->net = ntohl (a.s_addr);
  if (out->net & ~mask_of (out->prefix))
    {
      struct in_addr n = { htonl (out->net & mask_of (out->prefix)) };
      char buf[INET_ADDRSTRLEN];
      return hako_error (err, 0, "invalid subnet `%s`: it should be %s/%d", s,
                         inet_ntop (AF_INET, &n, buf, sizeof (buf)), out->prefix);
    }
  return 0;
}

static char *
fmt_ip (uint32_t ip)
{
  struct in_addr a = { htonl (ip) };
  char buf[INET_ADDRSTRLEN];
  return xstrdup (inet_ntop (AF_INET, &a, buf, sizeof (buf)));
}

static char *
fmt_subnet (const struct subnet *s)
{
  cleanup_free char *ip = fmt_ip (s->net);
  return xasprintf ("%s/%d", ip, s->prefix);
}

static bool
overlap (const struct subnet *a, const struct subnet *b)
{
  int p = a->prefix < b->prefix ? a->prefix : b->prefix;
  return ((a->net ^ b->net) & mask_of (p)) == 0;
}

/* The host's IPv4 routes (not the default one): what a new subnet must
   not shadow. *why names the first one it overlaps. */
static bool
overlaps_host_route (const struct subnet *s, char **why)
{
  cleanup_fclose FILE *f = fopen ("/proc/net/route", "re");
  char line[512];
  if (!f || !fgets (line, sizeof (line), f))
    return false;
  while (fgets (line, sizeof (line), f))
    {
      char ifname[IFNAMSIZ + 1];
      unsigned int dst, gw, flags, refcnt, use, metric, mask;
      if (sscanf (line, "%16s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refcnt, &use, &metric, &mask)
          != 8)
        continue;
      uint32_t m = ntohl (mask);
      if (m == 0)
        continue;
      int prefix = __builtin_popcount (m);
      struct subnet r = { ntohl (dst) & m, prefix };
      if (overlap (s, &r))
        {
          cleanup_free char *rs = fmt_subnet (&r);
          *why = xasprintf ("the host's route %s on %s", rs, ifname);
          return true;
        }
    }
  return false;
}

/* Each network's conflist, by name (sorted). */
static json_t *
load_all (const struct eng_ctx *e)
{
  json_t *all = json_object ();
  cleanup_free char *dir = networks_dir (e);
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      if (n <= 9 || strcmp (de->d_name + n - 9, ".conflist") != 0 || de->d_name[0] == '.')
        continue;
      cleanup_free char *path = hako_path_join (dir, de->d_name);
      json_t *j = json_load_file (path, 0, NULL);
      const char *name = json_string_value (json_object_get (j, "name"));
      if (name)
        json_object_set_new (all, name, j);
      else
        json_decref (j);
    }
  return all;
}

static json_t *
meta (json_t *list)
{
  return json_object_get (list, "hako");
}

/* Does `s` collide with another network or a host route?  *why says how. */
static bool
subnet_taken (json_t *all, const struct subnet *s, char **why)
{
  const char *name;
  json_t *list;
  json_object_foreach (all, name, list)
  {
    struct subnet o;
    const char *os = json_string_value (json_object_get (meta (list), "subnet"));
    if (os && parse_subnet (os, &o, NULL) == 0 && overlap (s, &o))
      {
        *why = xasprintf ("network `%s` (%s)", name, os);
        return true;
      }
  }
  return overlaps_host_route (s, why);
}

/* An existing bridge's IPv4 network (hako0 made by another storage). */
static bool
bridge_subnet (const char *bridge, struct subnet *out)
{
  struct ifaddrs *ifa = NULL, *i;
  bool found = false;
  if (getifaddrs (&ifa) < 0)
    return false;
  for (i = ifa; i && !found; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp (i->ifa_name, bridge) == 0
        && i->ifa_netmask)
      {
        uint32_t ip = ntohl (((struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr);
        uint32_t m = ntohl (((struct sockaddr_in *) i->ifa_netmask)->sin_addr.s_addr);
        out->net = ip & m;
        out->prefix = __builtin_popcount (m);
        found = true;
      }
  freeifaddrs (ifa);
  return found;
}

static json_t *
make_conflist (const char *name, const char *id, const char *bridge, const struct subnet *s, uint32_t gw,
               bool internal, json_t *labels)
{
  cleanup_free char *subnet = fmt_subnet (s);
  cleanup_free char *gateway = fmt_ip (gw);
  cleanup_free char *now = eng_now ();
  json_t *range = json_pack ("[[{s:s, s:s}]]", "subnet", subnet, "gateway", gateway);
  json_t *ipam = json_pack ("{s:s, s:o}", "type", "host-local", "ranges", range);
  if (!internal)
    json_object_set_new (ipam, "routes", json_pack ("[{s:s}]", "dst", "0.0.0.0/0"));
  json_t *plugins = json_array ();
  /* An internal network has no gateway on the host: no way out, and
     nothing of the host's to reach. */
  json_array_append_new (plugins, json_pack ("{s:s, s:s, s:b, s:b, s:b, s:o}", "type", "bridge", "bridge",
                                             bridge, "isGateway", !internal, "ipMasq", !internal,
                                             "hairpinMode", true, "ipam", ipam));
  if (!internal)
    {
      json_array_append_new (plugins, json_pack ("{s:s, s:{s:b}, s:b}", "type", "portmap", "capabilities",
                                                 "portMappings", true, "snat", true));
      json_array_append_new (plugins, json_pack ("{s:s, s:s}", "type", "firewall", "backend", "iptables"));
    }
  return json_pack ("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:b, s:o}, s:o}", "cniVersion", "1.0.0", "name",
                    name, "hako", "id", id, "created", now, "bridge", bridge, "subnet", subnet, "gateway",
                    gateway, "internal", internal, "labels", labels, "plugins", plugins);
}

static bool
reserved_name (const char *name)
{
  return strcmp (name, "none") == 0 || strcmp (name, "host") == 0 || strcmp (name, "bridge") == 0
         || strcmp (name, "default") == 0 || strcmp (name, "private") == 0;
}

/* Under the networks lock. */
static int
create_locked (const struct eng_ctx *e, const struct eng_net_create_opts *o, json_t **out,
               struct hako_err **err)
{
  cleanup_free char *path = conf_path (e, o->name);
  struct stat st;
  if (stat (path, &st) == 0)
    return hako_error (err, 0, "network with name %s already exists", o->name);
  json_t *all = load_all (e);
  struct subnet s;
  cleanup_free char *why = NULL, *text = NULL;
  bool is_default = strcmp (o->name, ENG_NET_DEFAULT) == 0;
  cleanup_free char *id = eng_id_generate ();
  cleanup_free char *bridge = is_default ? xstrdup (ENG_NET_DEFAULT) : xasprintf ("hk-%.12s", id);
  int ret = -1;
  if (o->subnet)
    {
      if (parse_subnet (o->subnet, &s, err) < 0)
        goto out;
      if (subnet_taken (all, &s, &why))
        {
          hako_error (err, 0, "subnet %s overlaps %s", o->subnet, why);
          goto out;
        }
    }
  else if (is_default && bridge_subnet (ENG_NET_DEFAULT, &s))
    ; /* the host's hako0 bridge, made by another storage: share it */
  else
    {
      /* The default network gets a /16 (10.88 as podman's), others a /24
         of 10.89.0.0/16 and up; the first that collides with nothing. */
      bool found = false;
      for (uint32_t i = 0; i < (is_default ? 16u : 8u * 256u) && !found; i++)
        {
          if (is_default)
            s = (struct subnet){ i < 8 ? (10u << 24) | ((88u - i) << 16)
                                       : (172u << 24) | ((31u - (i - 8)) << 16),
                                 16 };
          else
            s = (struct subnet){ (10u << 24) | ((89u + i / 256) << 16) | ((i % 256) << 8), 24 };
          free (why);
          why = NULL;
          found = !subnet_taken (all, &s, &why);
        }
      if (!found)
        {
          hako_error (err, 0, "no free subnet for network `%s`: give one with --subnet", o->name);
          goto out;
        }
    }
  uint32_t gw = s.net + 1;
  if (o->gateway)
    {
      struct in_addr a;
      uint32_t host = 0;
      if (inet_pton (AF_INET, o->gateway, &a) != 1)
        {
          hako_error (err, 0, "invalid gateway `%s`: expected an IPv4 address", o->gateway);
          goto out;
        }
      gw = ntohl (a.s_addr);
      host = gw & ~mask_of (s.prefix);
      if ((gw & mask_of (s.prefix)) != s.net || host == 0 || host == ~mask_of (s.prefix))
        {
          cleanup_free char *sub = fmt_subnet (&s);
          hako_error (err, 0, "gateway %s is not a host address of the subnet %s", o->gateway, sub);
          goto out;
        }
    }
  json_t *labels = json_object ();
  for (size_t i = 0; i < o->n_labels; i++)
    {
      cleanup_free char *kv = xstrdup (o->labels[i]);
      char *eq = strchr (kv, '=');
      if (eq)
        *eq = '\0';
      json_object_set_new (labels, kv, json_string (eq ? eq + 1 : ""));
    }
  json_t *list = make_conflist (o->name, id, bridge, &s, gw, o->internal, labels);
  text = json_dumps (list, JSON_INDENT (2));
  if (hako_write_file_atomic (path, text, strlen (text), 0644, err) < 0)
    {
      json_decref (list);
      goto out;
    }
  if (out)
    *out = list;
  else
    json_decref (list);
  ret = 0;
out:
  json_decref (all);
  return ret;
}

int
eng_net_create (const struct eng_ctx *e, const struct eng_net_create_opts *o, json_t **out,
                struct hako_err **err)
{
  if (!eng_name_valid (o->name) || reserved_name (o->name))
    return hako_error (err, 0, "invalid network name `%s`%s", o->name,
                       reserved_name (o->name) ? ": the name is reserved"
                                               : ": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (strlen (o->name) > 64)
    return hako_error (err, 0, "invalid network name `%s`: at most 64 characters", o->name);
  cleanup_close int lock = eng_net_lock (e, err);
  if (lock < 0)
    return -1;
  json_t *list = NULL;
  if (create_locked (e, o, &list, err) < 0)
    return -1;
  int r = 0;
  if (out)
    r = eng_net_inspect (e, o->name, out, err);
  json_decref (list);
  return r;
}

int
eng_net_load (const struct eng_ctx *e, const char *name, json_t **out, struct hako_err **err)
{
  name = eng_net_canonical (name);
  cleanup_free char *path = conf_path (e, name);
  json_error_t jerr;
  if (eng_name_valid (name))
    {
      *out = json_load_file (path, 0, &jerr);
      if (*out)
        return 0;
      if (access (path, F_OK) == 0)
        return hako_error (err, 0, "%s:%d: %s", path, jerr.line, jerr.text);
    }
  if (strcmp (name, ENG_NET_DEFAULT) != 0)
    return hako_error (err, 0, "network %s not found", name);
  /* The default network, on first use. */
  cleanup_close int lock = eng_net_lock (e, err);
  if (lock < 0)
    return -1;
  *out = json_load_file (path, 0, NULL);
  if (*out)
    return 0;
  struct eng_net_create_opts o = { .name = ENG_NET_DEFAULT };
  return create_locked (e, &o, out, err);
}

int
eng_net_check (const struct eng_ctx *e, const char *mode, struct hako_err **err)
{
  if (!eng_net_mode_is_network (mode))
    return 0;
  json_t *list = NULL;
  if (eng_net_load (e, mode, &list, err) < 0)
    return -1;
  json_decref (list);
  return 0;
}

/* ---- what uses a network ---- */

json_t *
eng_net_attachments (const struct eng_ctx *e)
{
  json_t *out = json_array ();
  cleanup_free char *root = hako_path_join (e->storage, "containers");
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      if (strlen (de->d_name) != 64)
        continue;
      cleanup_free char *ndir = xasprintf ("%s/%s/net", root, de->d_name);
      cleanup_dir DIR *nd = opendir (ndir);
      struct dirent *ne;
      json_t *rec = NULL;
      while (nd && (ne = readdir (nd)))
        {
          size_t n = strlen (ne->d_name);
          if (n <= 5 || strcmp (ne->d_name + n - 5, ".json") != 0 || ne->d_name[0] == '.')
            continue;
          cleanup_free char *p = hako_path_join (ndir, ne->d_name);
          json_t *st = json_load_file (p, 0, NULL);
          if (!st)
            continue;
          if (!rec)
            {
              cleanup_free char *rp = xasprintf ("%s/%s/container.json", root, de->d_name);
              rec = json_load_file (rp, 0, NULL);
            }
          const char *name = json_string_value (json_object_get (rec, "Name"));
          json_object_set_new (st, "Id", json_string (de->d_name));
          json_object_set_new (st, "Name", json_string (name ? (*name == '/' ? name + 1 : name) : ""));
          json_object_del (st, "config");
          json_object_del (st, "result");
          json_array_append_new (out, st);
        }
      json_decref (rec);
    }
  return out;
}

/* The first container whose record names the network, or NULL. */
static char *
used_by (const struct eng_ctx *e, const char *name)
{
  cleanup_free char *root = hako_path_join (e->storage, "containers");
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      if (strlen (de->d_name) != 64)
        continue;
      cleanup_free char *rp = xasprintf ("%s/%s/container.json", root, de->d_name);
      json_t *rec = json_load_file (rp, 0, NULL);
      if (!rec)
        continue;
      const char *mode
          = json_string_value (json_object_get (json_object_get (rec, "HostConfig"), "NetworkMode"));
      json_t *nets = json_object_get (json_object_get (rec, "NetworkSettings"), "Networks");
      bool uses = json_object_get (nets, name) != NULL
                  || (!json_is_object (nets) && eng_net_mode_is_network (mode)
                      && strcmp (eng_net_canonical (mode), name) == 0);
      const char *cname = json_string_value (json_object_get (rec, "Name"));
      char *r = uses ? xstrdup (cname ? (*cname == '/' ? cname + 1 : cname) : de->d_name) : NULL;
      json_decref (rec);
      if (r)
        return r;
    }
  return NULL;
}

/* ---- inspect, list, remove ---- */

static json_t *
inspect_obj (json_t *list, json_t *attachments)
{
  json_t *m = meta (list);
  const char *name = json_string_value (json_object_get (list, "name"));
  json_t *containers = json_object ();
  size_t i;
  json_t *a;
  json_array_foreach (attachments, i, a)
  {
    if (strcmp (json_string_value (json_object_get (a, "Network")) ?: "", name) != 0)
      continue;
    const char *ip = json_string_value (json_object_get (a, "IPAddress"));
    cleanup_free char *cidr
        = ip && *ip ? xasprintf ("%s/%d", ip, (int) json_integer_value (json_object_get (a, "IPPrefixLen")))
                    : xstrdup ("");
    json_object_set_new (containers, json_string_value (json_object_get (a, "Id")),
                         json_pack ("{s:O, s:s, s:O, s:s, s:s}", "Name", json_object_get (a, "Name"),
                                    "EndpointID", "", "MacAddress", json_object_get (a, "MacAddress"),
                                    "IPv4Address", cidr, "IPv6Address", ""));
  }
  json_t *labels = json_object_get (m, "labels");
  return json_pack (
      "{s:s, s:O, s:O, s:s, s:s, s:b, s:{s:s, s:{}, s:[{s:O, s:O}]}, s:O, s:b, s:b, s:{s:s}, s:b, "
      "s:o, s:{s:O}, s:O}",
      "Name", name, "Id", json_object_get (m, "id"), "Created", json_object_get (m, "created"), "Scope",
      "local", "Driver", "bridge", "EnableIPv6", false, "IPAM", "Driver", "default", "Options", "Config",
      "Subnet", json_object_get (m, "subnet"), "Gateway", json_object_get (m, "gateway"), "Internal",
      json_object_get (m, "internal"), "Attachable", false, "Ingress", false, "ConfigFrom", "Network", "",
      "ConfigOnly", false, "Containers", containers, "Options", "com.docker.network.bridge.name",
      json_object_get (m, "bridge"), "Labels", labels ? labels : json_object ());
}

int
eng_net_inspect (const struct eng_ctx *e, const char *name, json_t **out, struct hako_err **err)
{
  json_t *list = NULL;
  if (eng_net_load (e, name, &list, err) < 0)
    return -1;
  json_t *att = eng_net_attachments (e);
  *out = inspect_obj (list, att);
  json_decref (att);
  json_decref (list);
  return 0;
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
eng_net_list (const struct eng_ctx *e, json_t **out, struct hako_err **err)
{
  /* The default network is always listed, as docker's bridge. */
  json_t *def = NULL;
  if (eng_net_load (e, ENG_NET_DEFAULT, &def, err) < 0)
    return -1;
  json_decref (def);
  json_t *all = load_all (e);
  json_t *att = eng_net_attachments (e);
  json_t *arr = json_array ();
  size_t n = json_object_size (all), k = 0;
  cleanup_free const char **names = xmalloc ((n + 1) * sizeof (char *));
  const char *name;
  json_t *list;
  json_object_foreach (all, name, list) names[k++] = name;
  if (n > 1)
    qsort (names, n, sizeof (char *), by_name);
  for (k = 0; k < n; k++)
    json_array_append_new (arr, inspect_obj (json_object_get (all, names[k]), att));
  json_decref (att);
  json_decref (all);
  *out = arr;
  return 0;
}

/* The bridge the plugin made: the CNI bridge plugin never deletes it. */
static void
delete_bridge (const char *bridge)
{
  if (!bridge || !*bridge)
    return;
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { 0 };
  snprintf (ifr.ifr_name, sizeof (ifr.ifr_name), "%s", bridge);
  if (s < 0 || ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return;
  ifr.ifr_flags &= ~IFF_UP;
  ioctl (s, SIOCSIFFLAGS, &ifr);
  if (ioctl (s, SIOCBRDELBR, bridge) < 0 && errno != ENXIO)
    log_warn ("delete bridge `%s`: %s", bridge, strerror (errno));
}

static int
remove_locked (const struct eng_ctx *e, const char *name, json_t *list, struct hako_err **err)
{
  cleanup_free char *user = used_by (e, name);
  if (user)
    return hako_error (err, 0, "error while removing network: network %s is used by container %s", name,
                       user);
  cleanup_free char *path = conf_path (e, name);
  if (unlink (path) < 0)
    return hako_error (err, errno, "remove `%s`", path);
  delete_bridge (json_string_value (json_object_get (meta (list), "bridge")));
  /* host-local's leases (none are left: no container uses it) and its
     last_reserved_ip. */
  cleanup_free char *ipam = hako_path_join ("/var/lib/cni/networks", name);
  hako_rm_rf (ipam, NULL);
  return 0;
}

int
eng_net_remove (const struct eng_ctx *e, const char *name, struct hako_err **err)
{
  if (reserved_name (name) || strcmp (name, ENG_NET_DEFAULT) == 0)
    return hako_error (err, 0, "%s is a pre-defined network and cannot be removed", name);
  cleanup_close int lock = eng_net_lock (e, err);
  if (lock < 0)
    return -1;
  json_t *list = NULL;
  if (eng_net_load (e, name, &list, err) < 0)
    return -1;
  int r = remove_locked (e, name, list, err);
  json_decref (list);
  return r;
}

int
eng_net_prune (const struct eng_ctx *e, json_t **removed, struct hako_err **err)
{
  cleanup_close int lock = eng_net_lock (e, err);
  if (lock < 0)
    return -1;
  json_t *all = load_all (e);
  *removed = json_array ();
  const char *name;
  json_t *list;
  json_object_foreach (all, name, list)
  {
    if (strcmp (name, ENG_NET_DEFAULT) == 0)
      continue;
    cleanup_free char *user = used_by (e, name);
    struct hako_err *e2 = NULL;
    if (user)
      continue;
    if (remove_locked (e, name, list, &e2) == 0)
      json_array_append_new (*removed, json_string (name));
    else
      hako_log_error (e2);
    hako_error_free (&e2);
  }
  json_decref (all);
  return 0;
}
