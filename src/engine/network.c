/* SPDX-License-Identifier: Apache-2.0 */
/* Containers on networks: CNI ADD when the monitor has created the
   container, DEL on every exit path, published ports, and the hosts files
   through which containers of a network find each other by name. */
#include "network.h"
#include "internal.h"
#include "net_cni.h"
#include "net_internal.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/path.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* ---- flags ---- */

struct port_spec
{
  char ip[64];
  int host, ctr; /* host 0: a free port */
  char proto[4];
};

static int
parse_port_num (const char *s, size_t n, int *out)
{
  if (n == 0 || n > 5)
    return -1;
  int v = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return -1;
      v = v * 10 + (s[i] - '0');
    }
  if (v > 65535)
    return -1;
  *out = v;
  return 0;
}

/* [ip:][hostPort:]containerPort[/tcp|udp] */
static int
parse_publish (const char *spec, struct port_spec *p, struct hako_err **err)
{
  memset (p, 0, sizeof (*p));
  strcpy (p->proto, "tcp");
  cleanup_free char *copy = xstrdup (spec);
  char *slash = strchr (copy, '/');
  if (slash)
    {
      *slash = '\0';
      if (strcmp (slash + 1, "tcp") != 0 && strcmp (slash + 1, "udp") != 0)
        return hako_error (err, 0, "invalid port `%s`: the protocol is tcp or udp", spec);
      strcpy (p->proto, slash + 1);
    }
  char *parts[3] = { NULL, NULL, NULL };
  size_t n = 0;
  for (char *s = copy, *c; n < 3; s = c + 1)
    {
      parts[n++] = s;
      c = strchr (s, ':');
      if (!c)
        break;
      *c = '\0';
    }
  if (n == 3 && strchr (parts[2], ':'))
    return hako_error (err, 0, "invalid port `%s`: IPv6 host addresses are not supported", spec);
  const char *ctr = parts[n - 1], *host = n >= 2 ? parts[n - 2] : "", *ip = n == 3 ? parts[0] : "";
  if (strchr (ctr, '-') || strchr (host, '-'))
    return hako_error (err, 0, "invalid port `%s`: port ranges are not supported", spec);
  if (parse_port_num (ctr, strlen (ctr), &p->ctr) < 0 || p->ctr == 0)
    return hako_error (err, 0, "invalid port `%s`: `%s` is not a container port (1-65535)", spec, ctr);
  if (*host && parse_port_num (host, strlen (host), &p->host) < 0)
    return hako_error (err, 0, "invalid port `%s`: `%s` is not a host port (0-65535)", spec, host);
  if (*ip)
    {
      struct in_addr a;
      if (inet_pton (AF_INET, ip, &a) != 1)
        return hako_error (err, 0, "invalid port `%s`: `%s` is not an IPv4 address", spec, ip);
      snprintf (p->ip, sizeof (p->ip), "%s", ip);
    }
  return 0;
}

int
eng_net_opts_check (const struct eng_net_opts *o, const char *mode, struct hako_err **err)
{
  if (!o)
    return 0;
  struct port_spec p;
  for (size_t i = 0; i < o->n_publish; i++)
    if (parse_publish (o->publish[i], &p, err) < 0)
      return -1;
  if ((o->n_publish || o->publish_all) && mode
      && (strcmp (mode, "none") == 0 || strncmp (mode, "container:", 10) == 0
          || strncmp (mode, "ns:", 3) == 0))
    return hako_error (err, 0, "conflicting options: port publishing and the container type network mode");
  for (size_t i = 0; i < o->n_add_hosts; i++)
    {
      const char *h = o->add_hosts[i];
      const char *c = strchr (h, ':');
      struct in_addr a;
      struct in6_addr a6;
      cleanup_free char *ip = c ? xstrdup (c + 1) : NULL;
      if (!c || c == h || !*ip || (inet_pton (AF_INET, ip, &a) != 1 && inet_pton (AF_INET6, ip, &a6) != 1))
        return hako_error (err, 0, "invalid --add-host `%s`: expected HOST:IP", h);
    }
  for (size_t i = 0; i < o->n_dns; i++)
    {
      struct in_addr a;
      struct in6_addr a6;
      if (inet_pton (AF_INET, o->dns[i], &a) != 1 && inet_pton (AF_INET6, o->dns[i], &a6) != 1)
        return hako_error (err, 0, "invalid --dns `%s`: expected an IP address", o->dns[i]);
    }
  return 0;
}

static json_t *
strv_json (char *const *v, size_t n)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < n; i++)
    json_array_append_new (a, json_string (v[i]));
  return a;
}

void
eng_net_host_config (const struct eng_net_opts *o, json_t *h)
{
  static const struct eng_net_opts none;
  if (!o)
    o = &none;
  json_t *pb = json_object ();
  for (size_t i = 0; i < o->n_publish; i++)
    {
      struct port_spec p;
      if (parse_publish (o->publish[i], &p, NULL) < 0)
        continue;
      char key[32], hp[8] = "";
      snprintf (key, sizeof (key), "%d/%s", p.ctr, p.proto);
      if (p.host)
        snprintf (hp, sizeof (hp), "%d", p.host);
      json_t *arr = json_object_get (pb, key);
      if (!arr)
        json_object_set_new (pb, key, arr = json_array ());
      json_array_append_new (arr, json_pack ("{s:s, s:s}", "HostIp", p.ip, "HostPort", hp));
    }
  json_object_set_new (h, "PortBindings", pb);
  json_object_set_new (h, "PublishAllPorts", json_boolean (o->publish_all));
  json_object_set_new (h, "Dns", strv_json (o->dns, o->n_dns));
  json_object_set_new (h, "DnsSearch", strv_json (o->dns_search, o->n_dns_search));
  json_object_set_new (h, "DnsOptions", strv_json (o->dns_opts, o->n_dns_opts));
  json_object_set_new (h, "ExtraHosts", strv_json (o->add_hosts, o->n_add_hosts));
}

/* ---- /etc/hosts and /etc/resolv.conf ---- */

static void
hosts_head (FILE *f, json_t *rec)
{
  fputs ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
         "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
         "ff02::2\tip6-allrouters\n",
         f);
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (json_object_get (rec, "HostConfig"), "ExtraHosts"), i, v)
  {
    const char *s = json_string_value (v);
    const char *c = s ? strchr (s, ':') : NULL;
    if (c)
      fprintf (f, "%s\t%.*s\n", c + 1, (int) (c - s), s);
  }
}

char *
eng_net_hosts_initial (json_t *rec, const char *hostname)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  hosts_head (f, rec);
  fprintf (f, "127.0.1.1\t%s\n", hostname);
  fclose (f);
  return buf;
}

char *
eng_net_resolv (json_t *rec, const char *host_resolv)
{
  json_t *hc = json_object_get (rec, "HostConfig");
  json_t *dns = json_object_get (hc, "Dns"), *search = json_object_get (hc, "DnsSearch"),
         *opts = json_object_get (hc, "DnsOptions");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  size_t i;
  json_t *v;
  /* The host's lines, without loopback resolvers (they are not reachable
     from the container's network namespace), as docker does; each flag
     replaces its kind of line. */
  cleanup_free char *copy = xstrdup (host_resolv ? host_resolv : "");
  char *save = NULL;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      bool ns = strncmp (line, "nameserver", 10) == 0;
      if (ns && (json_array_size (dns) || strstr (line, "127.") || strstr (line, "::1")))
        continue;
      if ((strncmp (line, "search", 6) == 0 || strncmp (line, "domain", 6) == 0) && json_array_size (search))
        continue;
      if (strncmp (line, "options", 7) == 0 && json_array_size (opts))
        continue;
      fprintf (f, "%s\n", line);
    }
  json_array_foreach (dns, i, v) fprintf (f, "nameserver %s\n", json_string_value (v));
  if (json_array_size (search))
    {
      fputs ("search", f);
      json_array_foreach (search, i, v) fprintf (f, " %s", json_string_value (v));
      fputs ("\n", f);
    }
  if (json_array_size (opts))
    {
      fputs ("options", f);
      json_array_foreach (opts, i, v) fprintf (f, " %s", json_string_value (v));
      fputs ("\n", f);
    }
  fclose (f);
  return buf;
}

/* Rewrite the hosts files of `ids` (a set: object of id -> true) from the
   attachments: each container's own address, then every container that
   shares a user-defined network with it by name (docker's default bridge
   does not resolve names).  In place, not by rename: the file is
   bind-mounted into the container. */
static void
hosts_rewrite (const struct eng_ctx *e, json_t *att, json_t *ids)
{
  const char *id;
  json_t *dummy;
  json_object_foreach (ids, id, dummy)
  {
    cleanup_free char *rp = xasprintf ("%s/containers/%s/container.json", e->storage, id);
    json_t *rec = json_load_file (rp, 0, NULL);
    const char *path = json_string_value (json_object_get (rec, "HostsPath"));
    if (!path)
      {
        json_decref (rec);
        continue;
      }
    const char *hostname = json_string_value (json_object_get (json_object_get (rec, "Config"), "Hostname"));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    hosts_head (f, rec);
    const char *own = NULL, *own_if = NULL;
    size_t i, k;
    json_t *a, *b;
    json_array_foreach (att, i, a)
    {
      const char *ifn = json_string_value (json_object_get (a, "ifname"));
      const char *ip = json_string_value (json_object_get (a, "IPAddress"));
      if (strcmp (json_string_value (json_object_get (a, "Id")), id) == 0 && ip && *ip && ifn
          && (!own_if || strcmp (ifn, own_if) < 0))
        own = ip, own_if = ifn;
    }
    fprintf (f, "%s\t%s\n", own ? own : "127.0.1.1", hostname ? hostname : id);
    json_t *seen = json_object ();
    json_array_foreach (att, i, a)
    {
      const char *net = json_string_value (json_object_get (a, "Network"));
      if (strcmp (json_string_value (json_object_get (a, "Id")), id) != 0
          || strcmp (net, ENG_NET_DEFAULT) == 0)
        continue;
      json_array_foreach (att, k, b)
      {
        const char *bid = json_string_value (json_object_get (b, "Id"));
        const char *ip = json_string_value (json_object_get (b, "IPAddress"));
        const char *name = json_string_value (json_object_get (b, "Name"));
        if (strcmp (bid, id) == 0 || strcmp (json_string_value (json_object_get (b, "Network")), net) != 0
            || !ip || !*ip || json_object_get (seen, bid))
          continue;
        json_object_set_new (seen, bid, json_true ());
        fprintf (f, "%s\t%s %.12s\n", ip, name, bid);
      }
    }
    json_decref (seen);
    fclose (f);
    int fd = open (path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || hako_write_all (fd, buf, len) < 0)
      log_warn ("update `%s`: %s", path, strerror (errno));
    if (fd >= 0)
      close (fd);
    free (buf);
    json_decref (rec);
  }
}

/* After `id` joined or left networks `nets` (names; NULL: any): rewrite its
   hosts file and those of the containers on those networks. */
static void
hosts_update (const struct eng_ctx *e, const char *id, json_t *nets)
{
  struct hako_err *err = NULL;
  cleanup_close int lock = eng_net_lock (e, &err);
  if (lock < 0)
    {
      hako_log_error (err);
      hako_error_free (&err);
      return;
    }
  json_t *att = eng_net_attachments (e);
  json_t *ids = json_object ();
  json_object_set_new (ids, id, json_true ());
  size_t i, k;
  json_t *a, *n;
  json_array_foreach (att, i, a)
  {
    const char *net = json_string_value (json_object_get (a, "Network"));
    json_array_foreach (nets, k,
                        n) if (strcmp (json_string_value (n), net) == 0 && strcmp (net, ENG_NET_DEFAULT))
        json_object_set_new (ids, json_string_value (json_object_get (a, "Id")), json_true ());
  }
  hosts_rewrite (e, att, ids);
  json_decref (ids);
  json_decref (att);
}

/* ---- the network namespace, pinned ---- */

static char *
netns_path (const struct eng_ctx *e, const char *id)
{
  return xasprintf ("%s/netns/%s", e->run_root, id);
}

static bool
is_nsfs (const char *path)
{
  struct statfs sf;
  return path && *path && statfs (path, &sf) == 0 && (unsigned long) sf.f_type == NSFS_MAGIC;
}

static int
netns_pin (const struct eng_ctx *e, const char *id, pid_t pid, char **out, struct hako_err **err)
{
  cleanup_free char *dir = hako_path_join (e->run_root, "netns");
  cleanup_free char *path = netns_path (e, id);
  if (hako_mkdir_p (dir, 0700, err) < 0)
    return -1;
  if (is_nsfs (path))
    umount2 (path, MNT_DETACH);
  int fd = open (path, O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return hako_error (err, errno, "create `%s`", path);
  close (fd);
  char src[64];
  snprintf (src, sizeof (src), "/proc/%d/ns/net", pid);
  if (mount (src, path, NULL, MS_BIND, NULL) < 0)
    {
      int saved = errno;
      unlink (path);
      return hako_error (err, saved, "bind-mount `%s` on `%s`", src, path);
    }
  *out = steal_pointer (&path);
  return 0;
}

static void
netns_unpin (const struct eng_ctx *e, const char *id)
{
  cleanup_free char *path = netns_path (e, id);
  if (is_nsfs (path))
    umount2 (path, MNT_DETACH);
  unlink (path);
}

/* ---- host ports, held by the monitor ---- */

#define MAX_HELD 256
static int held[MAX_HELD];
static size_t n_held;

static void
ports_release (void)
{
  for (size_t i = 0; i < n_held; i++)
    close (held[i]);
  n_held = 0;
}

/* Bind the host port (0: the kernel picks one) and keep the socket: the
   port stays ours while the container runs (as conmon does for podman). */
static int
port_reserve (const char *ip, int *port, const char *proto, struct hako_err **err)
{
  if (n_held >= MAX_HELD)
    return hako_error (err, E2BIG, "too many published ports");
  int s = socket (AF_INET, (strcmp (proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (s < 0)
    return hako_error (err, errno, "socket");
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) *port) };
  if (*ip)
    inet_pton (AF_INET, ip, &a.sin_addr);
  if (bind (s, (struct sockaddr *) &a, sizeof (a)) < 0)
    {
      int saved = errno;
      close (s);
      if (saved == EADDRINUSE)
        return hako_error (err, 0, "Bind for %s:%d failed: port is already allocated", *ip ? ip : "0.0.0.0",
                           *port);
      return hako_error (err, saved, "bind %s:%d/%s", *ip ? ip : "0.0.0.0", *port, proto);
    }
  socklen_t len = sizeof (a);
  getsockname (s, (struct sockaddr *) &a, &len);
  *port = ntohs (a.sin_port);
  held[n_held++] = s;
  return 0;
}

/* PortBindings (+ ExposedPorts with -P) -> portmap's portMappings and
   docker's NetworkSettings.Ports, reserving the host ports. */
static int
ports_plan (json_t *rec, json_t **mappings, json_t **ports, struct hako_err **err)
{
  json_t *hc = json_object_get (rec, "HostConfig");
  json_t *pb = json_deep_copy (json_object_get (hc, "PortBindings"));
  if (!json_is_object (pb))
    {
      json_decref (pb);
      pb = json_object ();
    }
  json_t *exposed = json_object_get (json_object_get (rec, "Config"), "ExposedPorts");
  const char *key;
  json_t *v;
  bool all = json_is_true (json_object_get (hc, "PublishAllPorts"));
  json_object_foreach (exposed, key, v) if (all && !json_object_get (pb, key))
      json_object_set_new (pb, key, json_pack ("[{s:s, s:s}]", "HostIp", "", "HostPort", ""));
  *mappings = json_array ();
  *ports = json_object ();
  json_object_foreach (exposed, key, v) json_object_set_new (*ports, key, json_null ());
  json_object_foreach (pb, key, v)
  {
    int ctr = atoi (key);
    const char *slash = strchr (key, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    json_t *list = json_array ();
    size_t i;
    json_t *b;
    json_array_foreach (v, i, b)
    {
      const char *ip = json_string_value (json_object_get (b, "HostIp"));
      const char *hp = json_string_value (json_object_get (b, "HostPort"));
      int host = hp ? atoi (hp) : 0;
      if (port_reserve (ip ? ip : "", &host, proto, err) < 0)
        {
          json_decref (list);
          json_decref (pb);
          return -1;
        }
      char hs[8];
      snprintf (hs, sizeof (hs), "%d", host);
      json_array_append_new (list,
                             json_pack ("{s:s, s:s}", "HostIp", ip && *ip ? ip : "0.0.0.0", "HostPort", hs));
      json_array_append_new (*mappings, json_pack ("{s:i, s:i, s:s, s:s}", "hostPort", host, "containerPort",
                                                   ctr, "protocol", proto, "hostIP", ip ? ip : ""));
    }
    json_object_set_new (*ports, key, list);
  }
  json_decref (pb);
  return 0;
}

/* ---- attach and detach ---- */

static char *
state_dir (const struct eng_ctr *c)
{
  return hako_path_join (c->dir, "net");
}

static char *
state_path (const struct eng_ctr *c, const char *net)
{
  return xasprintf ("%s/net/%s.json", c->dir, net);
}

static int
state_save (const struct eng_ctr *c, const char *net, json_t *st, struct hako_err **err)
{
  cleanup_free char *dir = state_dir (c);
  cleanup_free char *path = state_path (c, net);
  cleanup_free char *text = json_dumps (st, JSON_COMPACT);
  if (hako_mkdir_p (dir, 0700, err) < 0)
    return -1;
  return hako_write_file_atomic (path, text, strlen (text), 0600, err);
}

/* The networks the container joins: NetworkSettings.Networks once
   connect/attach wrote it, else HostConfig.NetworkMode. */
static json_t *
networks_of (json_t *rec)
{
  json_t *out = json_array ();
  const char *mode = json_string_value (json_object_get (json_object_get (rec, "HostConfig"), "NetworkMode"));
  json_t *nets = json_object_get (json_object_get (rec, "NetworkSettings"), "Networks");
  if (!eng_net_mode_is_network (mode))
    return out;
  const char *primary = eng_net_canonical (mode);
  if (!json_is_object (nets) || json_object_get (nets, primary))
    json_array_append_new (out, json_string (primary));
  const char *k;
  json_t *v;
  json_object_foreach (nets, k, v) if (strcmp (k, primary) != 0) json_array_append_new (out, json_string (k));
  return out;
}

/* One network: the state file first (a DEL must follow whatever happens
   next), then ADD, then the state with the result. */
static int
attach_one (const struct eng_ctx *e, struct eng_ctr *c, const char *net, const char *ifname,
            const char *netns, json_t *mappings, json_t **st_out, struct hako_err **err)
{
  json_t *list = NULL;
  if (eng_net_load (e, net, &list, err) < 0)
    return -1;
  json_t *rc = json_object ();
  if (mappings && json_array_size (mappings))
    json_object_set (rc, "portMappings", mappings);
  json_t *st = json_pack ("{s:s, s:s, s:s, s:o, s:o}", "Network", net, "ifname", ifname, "netns", netns,
                          "config", list, "runtimeConfig", rc);
  if (state_save (c, net, st, err) < 0)
    {
      json_decref (st);
      return -1;
    }
  struct eng_cni_args a = { .container_id = c->id, .netns = netns, .ifname = ifname, .runtime_config = rc };
  json_t *result = NULL;
  if (eng_cni_add (list, &a, &result, err) < 0)
    {
      cleanup_free char *path = state_path (c, net);
      unlink (path);
      json_decref (st);
      return -1;
    }
  /* The result: ips[0] (address "10.88.0.2/16", gateway) on the
     interface interfaces[ips[0].interface] (its mac). */
  json_t *ip0 = json_array_get (json_object_get (result, "ips"), 0);
  const char *addr = json_string_value (json_object_get (ip0, "address"));
  const char *gw = json_string_value (json_object_get (ip0, "gateway"));
  json_t *ifc = json_array_get (json_object_get (result, "interfaces"),
                                (size_t) json_integer_value (json_object_get (ip0, "interface")));
  const char *mac = json_string_value (json_object_get (ifc, "mac"));
  cleanup_free char *ip = xstrdup (addr ? addr : "");
  char *slash = strchr (ip, '/');
  int prefix = slash ? atoi (slash + 1) : 0;
  if (slash)
    *slash = '\0';
  json_object_set_new (st, "result", result);
  json_object_set_new (st, "IPAddress", json_string (ip));
  json_object_set_new (st, "IPPrefixLen", json_integer (prefix));
  json_object_set_new (st, "Gateway", json_string (gw ? gw : ""));
  json_object_set_new (st, "MacAddress", json_string (mac ? mac : ""));
  json_object_set_new (st, "NetworkID", json_incref (json_object_get (json_object_get (list, "hako"), "id")));
  if (state_save (c, net, st, err) < 0)
    {
      struct eng_cni_args d = a;
      eng_cni_del (list, &d, result, NULL);
      cleanup_free char *path = state_path (c, net);
      unlink (path);
      json_decref (st);
      return -1;
    }
  *st_out = st;
  return 0;
}

static void
detach_file (const struct eng_ctr *c, const char *path)
{
  json_t *st = json_load_file (path, 0, NULL);
  if (st)
    {
      const char *netns = json_string_value (json_object_get (st, "netns"));
      struct eng_cni_args a = { .container_id = c->id,
                                .netns = is_nsfs (netns) ? netns : "",
                                .ifname = json_string_value (json_object_get (st, "ifname")),
                                .runtime_config = json_object_get (st, "runtimeConfig") };
      struct hako_err *err = NULL;
      if (a.ifname
          && eng_cni_del (json_object_get (st, "config"), &a, json_object_get (st, "result"), &err) < 0)
        {
          hako_error_prefix (&err, "detach `%.12s`", c->id);
          hako_log_error (err);
          hako_error_free (&err);
        }
      json_decref (st);
    }
  unlink (path);
}

static json_t *
endpoint_json (json_t *st, const char *id)
{
  char short_id[13];
  snprintf (short_id, sizeof (short_id), "%.12s", id);
  return json_pack ("{s:n, s:n, s:[s], s:O, s:s, s:O, s:O, s:O, s:s, s:s, s:i, s:O, s:n}", "IPAMConfig",
                    "Links", "Aliases", short_id, "NetworkID", json_object_get (st, "NetworkID"),
                    "EndpointID", "", "Gateway", json_object_get (st, "Gateway"), "IPAddress",
                    json_object_get (st, "IPAddress"), "IPPrefixLen", json_object_get (st, "IPPrefixLen"),
                    "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress",
                    json_object_get (st, "MacAddress"), "DriverOpts");
}

static json_t *
settings_obj (json_t *rec)
{
  json_t *ns = json_object_get (rec, "NetworkSettings");
  if (!json_is_object (ns))
    {
      ns = json_object ();
      json_object_set_new (rec, "NetworkSettings", ns);
    }
  return ns;
}

/* docker's top-level fields: those of the primary network. */
static void
settings_primary (json_t *ns, json_t *ep)
{
  static const char *const keys[] = { "Gateway", "IPAddress", "IPPrefixLen", "MacAddress" };
  for (size_t i = 0; i < 4; i++)
    {
      json_t *v = ep ? json_object_get (ep, keys[i]) : NULL;
      json_object_set_new (ns, keys[i], v ? json_incref (v) : (i == 2 ? json_integer (0) : json_string ("")));
    }
}

/* Clear what a detach undid (all networks, or `only`), as docker shows a
   stopped container: the endpoints stay, without addresses. */
static void
settings_clear (json_t *rec, const char *only)
{
  json_t *ns = settings_obj (rec);
  json_t *nets = json_object_get (ns, "Networks");
  const char *k;
  json_t *ep;
  json_object_foreach (nets, k, ep) if (!only || strcmp (k, only) == 0)
  {
    json_object_set_new (ep, "IPAddress", json_string (""));
    json_object_set_new (ep, "Gateway", json_string (""));
    json_object_set_new (ep, "MacAddress", json_string (""));
    json_object_set_new (ep, "IPPrefixLen", json_integer (0));
  }
  if (!only)
    {
      settings_primary (ns, NULL);
      json_object_set_new (ns, "Ports", json_object ());
      json_object_set_new (ns, "SandboxKey", json_string (""));
    }
}

/* Save `fn` applied to the record on disk, under its lock, and to c->j.
   With `try_lock` a lock held elsewhere (our caller: rm, the refresh)
   leaves the change in memory only; that caller saves or removes. */
static int
record_update (struct eng_ctr *c, bool try_lock, void (*fn) (json_t *, void *), void *arg,
               struct hako_err **err)
{
  fn (c->j, arg);
  cleanup_free char *lp = hako_path_join (c->dir, "lock");
  cleanup_close int fd = open (lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return try_lock ? 0 : hako_error (err, errno, "open `%s`", lp);
  int r;
  while ((r = flock (fd, LOCK_EX | (try_lock ? LOCK_NB : 0))) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return try_lock ? 0 : hako_error (err, errno, "lock `%s`", lp);
  cleanup_free char *path = hako_path_join (c->dir, "container.json");
  json_t *disk = json_load_file (path, 0, NULL);
  if (!disk)
    return 0; /* removed meanwhile */
  fn (disk, arg);
  cleanup_free char *text = json_dumps (disk, JSON_INDENT (2));
  json_decref (disk);
  return hako_write_file_atomic (path, text, strlen (text), 0600, err);
}

struct attached
{
  json_t *eps; /* network -> state */
  json_t *ports;
  const char *netns, *id, *primary;
};

static void
apply_attached (json_t *rec, void *arg)
{
  struct attached *a = arg;
  json_t *ns = settings_obj (rec);
  json_t *nets = json_object_get (ns, "Networks");
  if (!json_is_object (nets))
    json_object_set_new (ns, "Networks", nets = json_object ());
  const char *k;
  json_t *st;
  json_object_foreach (a->eps, k, st) json_object_set_new (nets, k, endpoint_json (st, a->id));
  if (a->ports)
    json_object_set (ns, "Ports", a->ports);
  if (a->netns)
    json_object_set_new (ns, "SandboxKey", json_string (a->netns));
  json_object_set_new (ns, "SandboxID", json_string (a->id));
  if (a->primary)
    settings_primary (ns, json_object_get (nets, a->primary));
  if (!json_object_get (ns, "Bridge"))
    json_object_set_new (ns, "Bridge", json_string (""));
}

static void
apply_cleared (json_t *rec, void *arg)
{
  settings_clear (rec, arg);
}

static bool
has_state (const struct eng_ctr *c)
{
  cleanup_free char *dir = state_dir (c);
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      return true;
  return false;
}

int
eng_net_attach (const struct eng_ctx *e, struct eng_ctr *c, pid_t pid, struct hako_err **err)
{
  json_t *nets = networks_of (c->j);
  if (json_array_size (nets) == 0)
    {
      json_decref (nets);
      return 0;
    }
  if (has_state (c))
    eng_net_detach (e, c); /* what a crash left */
  cleanup_free char *netns = NULL;
  json_t *mappings = NULL, *ports = NULL;
  json_t *eps = json_object ();
  struct attached at = { .eps = eps, .id = c->id };
  int ret = -1;
  if (netns_pin (e, c->id, pid, &netns, err) < 0)
    goto out;
  if (ports_plan (c->j, &mappings, &ports, err) < 0)
    goto fail;
  size_t i;
  json_t *n;
  json_array_foreach (nets, i, n)
  {
    char ifname[16];
    snprintf (ifname, sizeof (ifname), "eth%u", (unsigned) (i % 1000));
    json_t *st = NULL;
    if (attach_one (e, c, json_string_value (n), ifname, netns, i == 0 ? mappings : NULL, &st, err) < 0)
      goto fail;
    json_object_set_new (eps, json_string_value (n), st);
  }
  at.ports = ports;
  at.netns = netns;
  at.primary = json_string_value (json_array_get (nets, 0));
  if (record_update (c, false, apply_attached, &at, err) < 0)
    goto fail;
  hosts_update (e, c->id, nets);
  ret = 0;
  goto out;
fail:
  eng_net_detach (e, c);
out:
  json_decref (eps);
  json_decref (mappings);
  json_decref (ports);
  json_decref (nets);
  return ret;
}

void
eng_net_detach (const struct eng_ctx *e, struct eng_ctr *c)
{
  ports_release ();
  cleanup_free char *dir = state_dir (c);
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  json_t *left = json_array ();
  while (d && (de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      if (de->d_name[0] == '.' || n <= 5 || strcmp (de->d_name + n - 5, ".json") != 0)
        continue;
      cleanup_free char *path = hako_path_join (dir, de->d_name);
      detach_file (c, path);
      json_array_append_new (left, json_stringn (de->d_name, n - 5));
    }
  netns_unpin (e, c->id);
  if (json_array_size (left))
    {
      record_update (c, true, apply_cleared, NULL, NULL);
      hosts_update (e, c->id, left);
    }
  json_decref (left);
}

/* ---- connect, disconnect ---- */

static void
apply_added (json_t *rec, void *arg)
{
  json_t *ns = settings_obj (rec);
  json_t *nets = json_object_get (ns, "Networks");
  if (!json_is_object (nets))
    {
      /* First connect of a created container: its primary network too. */
      json_object_set_new (ns, "Networks", nets = json_object ());
      json_t *cur = networks_of (rec);
      size_t i;
      json_t *v;
      json_array_foreach (cur, i, v) json_object_set_new (nets, json_string_value (v), json_object ());
      json_decref (cur);
    }
  if (!json_object_get (nets, arg))
    json_object_set_new (nets, arg, json_object ());
}

static void
apply_removed (json_t *rec, void *arg)
{
  json_t *ns = settings_obj (rec);
  json_t *nets = json_object_get (ns, "Networks");
  if (!json_is_object (nets))
    {
      json_object_set_new (ns, "Networks", nets = json_object ());
      json_t *cur = networks_of (rec);
      size_t i;
      json_t *v;
      json_array_foreach (cur, i, v) json_object_set_new (nets, json_string_value (v), json_object ());
      json_decref (cur);
    }
  json_object_del (nets, arg);
}

static bool
is_member (json_t *rec, const char *net)
{
  json_t *nets = networks_of (rec);
  bool r = false;
  size_t i;
  json_t *v;
  json_array_foreach (nets, i, v) r = r || strcmp (json_string_value (v), net) == 0;
  json_decref (nets);
  return r;
}

int
eng_net_connect (const struct eng_ctx *e, struct eng_ctr *c, const char *network, struct hako_err **err)
{
  const char *net = eng_net_canonical (network);
  const char *mode
      = json_string_value (json_object_get (json_object_get (c->j, "HostConfig"), "NetworkMode"));
  if (!eng_net_mode_is_network (mode))
    return hako_error (err, 0,
                       "container %s is in network mode `%s`: only a container on a bridge network can join "
                       "another one",
                       eng_ctr_name (c), mode ? mode : "none");
  if (eng_net_check (e, net, err) < 0)
    return -1;
  if (is_member (c->j, net))
    return hako_error (err, 0, "endpoint with name %s already exists in network %s", eng_ctr_name (c), net);
  if (!eng_ctr_running (c))
    return record_update (c, false, apply_added, (void *) net, err);
  cleanup_free char *netns = netns_path (e, c->id);
  if (!is_nsfs (netns))
    return hako_error (err, ENOENT, "container %s has no network namespace pinned at `%s`", eng_ctr_name (c),
                       netns);
  /* The next free ethN. */
  json_t *nets = networks_of (c->j);
  char ifname[16] = "";
  for (int i = 0; i < 64 && !*ifname; i++)
    {
      snprintf (ifname, sizeof (ifname), "eth%d", i);
      size_t k;
      json_t *v;
      json_array_foreach (nets, k, v)
      {
        cleanup_free char *p = state_path (c, json_string_value (v));
        json_t *st = json_load_file (p, 0, NULL);
        if (st && strcmp (json_string_value (json_object_get (st, "ifname")) ?: "", ifname) == 0)
          *ifname = '\0';
        json_decref (st);
        if (!*ifname)
          break;
      }
    }
  json_decref (nets);
  json_t *st = NULL;
  if (attach_one (e, c, net, ifname, netns, NULL, &st, err) < 0)
    return -1;
  json_t *eps = json_object ();
  json_object_set_new (eps, net, st);
  struct attached at = { .eps = eps, .id = c->id };
  int r = record_update (c, false, apply_attached, &at, err);
  json_decref (eps);
  json_t *which = json_pack ("[s]", net);
  hosts_update (e, c->id, which);
  json_decref (which);
  return r;
}

int
eng_net_disconnect (const struct eng_ctx *e, struct eng_ctr *c, const char *network, struct hako_err **err)
{
  const char *net = eng_net_canonical (network);
  json_t *list = NULL;
  if (eng_net_load (e, net, &list, err) < 0)
    return -1;
  json_decref (list);
  if (!is_member (c->j, net))
    return hako_error (err, 0, "container %s is not connected to network %s", eng_ctr_name (c), net);
  cleanup_free char *path = state_path (c, net);
  bool attached = access (path, F_OK) == 0;
  if (attached)
    detach_file (c, path);
  if (record_update (c, false, apply_removed, (void *) net, err) < 0)
    return -1;
  if (attached)
    {
      json_t *which = json_pack ("[s]", net);
      hosts_update (e, c->id, which);
      json_decref (which);
    }
  return 0;
}
