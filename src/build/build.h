/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HAKO_BUILD_BUILD_H
#define HAKO_BUILD_BUILD_H

/* `hako build`: a Containerfile turned into an image of the store, without
   a daemon.  Every step is committed as an (untagged) image, as Docker's
   classic builder did: a RUN runs in an engine container made from the
   previous step's image, and the container's overlay upper directory
   becomes the step's layer (whiteouts in OCI form); COPY/ADD/WORKDIR write
   into a snapshot of the previous step and its upper directory becomes the
   layer the same way.  Config-only steps add a history entry.

   The cache maps (parent image ID, instruction with its expanded arguments,
   digests of what it copies) to the resulting image under
   <storage>/build-cache/; an entry whose image was pruned is a miss. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hako_err;
struct eng_ctx;

struct bld_opts
{
  const char *file;              /* the Containerfile; NULL: CONTEXT/Containerfile, else Dockerfile */
  const char *context;           /* a directory */
  const char *const *tags;       /* full references ("docker.io/library/x:latest"), NULL-terminated */
  const char *const *build_args; /* "K=V" or "K" (from the environment) */
  const char *const *labels;     /* "K=V", added to the final image */
  const char *target;            /* the stage to stop at; NULL: the last */
  const char *network;           /* RUN's default: "none" (NULL) or "host" */
  bool no_cache;
  /* Base images: "missing" (NULL: pull the ones the store lacks, as docker),
     "always" (pull each, the registry's is newer), "never". */
  const char *pull;
  const char *platform; /* for pulls; NULL: the host's */
  int64_t timestamp;    /* -1: none; else created times and layer mtimes clamped to it */
  FILE *progress;       /* "STEP 1/5: FROM busybox" lines; NULL: none */
  int run_output_fd;    /* RUN's stdout and stderr go here; -1: discarded */
};

/* Build; *id_out is the final image ID ("sha256:…").  Tags are set only
   when every step succeeded. */
int bld_build (const struct eng_ctx *e, const struct bld_opts *o, char **id_out, struct hako_err **err);

#endif
