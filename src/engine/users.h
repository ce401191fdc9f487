/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_ENGINE_USERS_H
#define HAKO_ENGINE_USERS_H

/* docker's `-u user[:group]` (run, exec) and COPY --chown, resolved in the
   container's own /etc/passwd and /etc/group, read inside its root. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hako_err;

struct eng_user
{
  uint32_t uid, gid;
  uint32_t *gids; /* supplementary: the groups that list the user by name */
  size_t n_gids;
  char *home; /* from passwd, "/" when unknown */
  bool found; /* the user is in passwd */
};

/* As runc resolves it: a name must exist, a number need not (gid 0 then);
   a group by name must exist; without a group, the supplementary groups
   are those that list the user.  `rootfd`: the container's root. */
int eng_user_resolve (int rootfd, const char *spec, struct eng_user *u, struct hako_err **err);
void eng_user_clear (struct eng_user *u);

#endif
