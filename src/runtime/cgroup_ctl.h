/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_RUNTIME_CGROUP_CTL_H
#define HAKO_RUNTIME_CGROUP_CTL_H

/* The cgroup side of the lifecycle library (runc's update, pause, resume,
   ps, events): what the CLI calls, next to container.h.  Same contract:
   < 0 with *err set on failure. */

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include "container.h"

struct hako_err;
struct oci_resources;

/* Freeze / thaw every process of a running / paused container. */
int hako_container_pause (const struct hako_runtime *rt, const char *id, struct hako_err **err);
int hako_container_resume (const struct hako_runtime *rt, const char *id, struct hako_err **err);

/* Apply a change of linux.resources to a created, running or paused
   container: only what `r` sets (non-zero) changes; devices never do. */
int hako_container_update (const struct hako_runtime *rt, const char *id, const struct oci_resources *r,
                           struct hako_err **err);

/* Every pid in the container's cgroup (and the cgroups below it). */
int hako_container_pids (const struct hako_runtime *rt, const char *id, pid_t **pids, size_t *n,
                         struct hako_err **err);

/* runc's {"type":"stats","id":ID,"data":{...}} event, new reference. */
json_t *hako_container_stats_event (const struct hako_runtime *rt, const char *id, struct hako_err **err);

/* runc's `events`: a stats event every `interval_ms`, an {"type":"oom"}
   event on each OOM kill, until the container stops or is deleted (then 0)
   or `emit` returns < 0.  `emit` gets a borrowed event. */
typedef int (*hako_event_fn) (json_t *event, void *arg);
int hako_container_events (const struct hako_runtime *rt, const char *id, long interval_ms,
                           hako_event_fn emit, void *arg, struct hako_err **err);

#endif
