/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_IMAGE_AUTH_H
#define HAKO_IMAGE_AUTH_H

#include <stddef.h>

struct hako_err;

/* Registry credentials in docker's config.json / containers' auth.json
   format: {"auths": {"REGISTRY": {"auth": base64("user:password")}}}.
   `hako login` writes its own file (mode 0600, directory 0700):
   --authfile, else $HAKO_AUTH_FILE, else ~/.config/hako/auth.json.
   Lookups also read, in order, $REGISTRY_AUTH_FILE,
   $XDG_RUNTIME_DIR/containers/auth.json and $DOCKER_CONFIG/config.json
   (~/.docker/config.json), so a `docker login` or `podman login` is used
   too.

   Credential helpers, as docker has them, in any of these files:
   "credHelpers": {"REGISTRY": "NAME"} for one registry, "credsStore":
   "NAME" for all the others.  hako runs `docker-credential-NAME get` (from
   PATH) with the registry address on stdin ("https://index.docker.io/v1/"
   for Docker Hub) and reads {"Username": …, "Secret": …}.  A helper that
   answers "credentials not found" means no credentials (the file's own
   auths entry then, for credsStore); a missing or failing helper is an
   error naming the helper and the file.  Identity tokens (Username
   "<token>") are not supported. */
char *img_auth_default_path (void);

/* 0 with *user and *pass set when found, 1 when there are none, -1 on error. */
int img_auth_get (const char *authfile, const char *registry, char **user, char **pass,
                  struct hako_err **err);
int img_auth_set (const char *authfile, const char *registry, const char *user, const char *pass,
                  struct hako_err **err);
/* 1 when there was nothing to remove. */
int img_auth_remove (const char *authfile, const char *registry, struct hako_err **err);

char *img_base64_encode (const void *buf, size_t len);
/* NULL when not base64 */
char *img_base64_decode (const char *s, size_t *len);

#endif
