/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded when the first registry is opened rather than when `hako`
   starts.  libcurl drags some twenty libraries in (TLS, Kerberos, LDAP,
   SSH, IDN, PSL, HTTP/2, brotli): about 3 ms of loading and relocation on
   every `hako` command here, which `hako run`, `ps` or `logs` never use.
   These wrappers stand in for the few libcurl functions the registry client
   calls and forward to the real ones, found with dlsym on libcurl.so.4.
   img_curl_load() must succeed first (img_reg_open calls it). */
/* Our definitions below are real functions, not curl.h's type-checking
   macros. */
#define CURL_DISABLE_TYPECHECK 1
#include "curl_dl.h"
#include "../util/error.h"
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

static struct
{
  void *lib;
  const char *error;
  CURLcode (*global_init) (long);
  CURL *(*easy_init) (void);
  void (*easy_cleanup) (CURL *);
  void (*easy_reset) (CURL *);
  CURLcode (*easy_perform) (CURL *);
  CURLcode (*easy_setopt) (CURL *, CURLoption, ...);
  CURLcode (*easy_getinfo) (CURL *, CURLINFO, ...);
  const char *(*easy_strerror) (CURLcode);
  char *(*easy_escape) (CURL *, const char *, int);
  void (*free_) (void *);
  struct curl_slist *(*slist_append) (struct curl_slist *, const char *);
  void (*slist_free_all) (struct curl_slist *);
} c;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *
sym (const char *name)
{
  void *p = dlsym (c.lib, name);
  if (!p && !c.error)
    c.error = name;
  return p;
}

static void
load (void)
{
  c.lib = dlopen ("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!c.lib)
    {
      c.error = "libcurl.so.4";
      return;
    }
  c.global_init = sym ("curl_global_init");
  c.easy_init = sym ("curl_easy_init");
  c.easy_cleanup = sym ("curl_easy_cleanup");
  c.easy_reset = sym ("curl_easy_reset");
  c.easy_perform = sym ("curl_easy_perform");
  c.easy_setopt = sym ("curl_easy_setopt");
  c.easy_getinfo = sym ("curl_easy_getinfo");
  c.easy_strerror = sym ("curl_easy_strerror");
  c.easy_escape = sym ("curl_easy_escape");
  c.free_ = sym ("curl_free");
  c.slist_append = sym ("curl_slist_append");
  c.slist_free_all = sym ("curl_slist_free_all");
}

int
img_curl_load (struct hako_err **err)
{
  pthread_once (&once, load);
  if (c.error)
    return hako_error (err, ENOENT, "load libcurl: `%s` not found (%s); install libcurl4", c.error,
                       dlerror () ? "dlopen failed" : "missing symbol");
  return 0;
}

CURLcode
curl_global_init (long flags)
{
  return c.global_init (flags);
}

CURL *
curl_easy_init (void)
{
  return c.easy_init ();
}

void
curl_easy_cleanup (CURL *h)
{
  c.easy_cleanup (h);
}

void
curl_easy_reset (CURL *h)
{
  c.easy_reset (h);
}

CURLcode
curl_easy_perform (CURL *h)
{
  return c.easy_perform (h);
}

/* The option number says the type of its one argument (curl.h:
   CURLOPTTYPE_LONG 0, OBJECTPOINT 10000, FUNCTIONPOINT 20000, OFF_T 30000,
   BLOB 40000). */
CURLcode
curl_easy_setopt (CURL *h, CURLoption opt, ...)
{
  va_list ap;
  CURLcode r;
  va_start (ap, opt);
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    r = c.easy_setopt (h, opt, va_arg (ap, long));
  else if (opt < CURLOPTTYPE_OFF_T || opt >= CURLOPTTYPE_BLOB)
    r = c.easy_setopt (h, opt, va_arg (ap, void *));
  else
    r = c.easy_setopt (h, opt, va_arg (ap, curl_off_t));
  va_end (ap);
  return r;
}

CURLcode
curl_easy_getinfo (CURL *h, CURLINFO info, ...)
{
  va_list ap;
  va_start (ap, info);
  void *p = va_arg (ap, void *);
  va_end (ap);
  return c.easy_getinfo (h, info, p);
}

const char *
curl_easy_strerror (CURLcode code)
{
  return c.easy_strerror (code);
}

char *
curl_easy_escape (CURL *h, const char *s, int len)
{
  return c.easy_escape (h, s, len);
}

void
curl_free (void *p)
{
  c.free_ (p);
}

struct curl_slist *
curl_slist_append (struct curl_slist *l, const char *s)
{
  return c.slist_append (l, s);
}

void
curl_slist_free_all (struct curl_slist *l)
{
  c.slist_free_all (l);
}
