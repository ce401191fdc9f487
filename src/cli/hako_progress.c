/* SPDX-License-Identifier: Apache-2.0 */
/* Pull and push output.  Not a terminal: docker's "ID: Status" lines, one
   per event.  A terminal: docker's table, one line per layer redrawn in
   place, with a bar, bytes, rate and ETA while it transfers.  Events and
   byte counts come from the download threads at once: one mutex. */
#include "hako_cli.h"
#include "../util/error.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30

struct hako_progress_row
{
  char id[16];
  char status[32];
  uint64_t done, total;
  uint64_t first_done, start_ms; /* for the rate: a resumed blob starts above 0 */
  bool bytes;                    /* byte counts seen since the transfer began */
};

static uint64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void
hako_progress_init (struct hako_progress *p, bool quiet)
{
  memset (p, 0, sizeof (*p));
  pthread_mutex_init (&p->mu, NULL);
  p->quiet = quiet;
  p->tty = isatty (STDOUT_FILENO);
}

void
hako_progress_finish (struct hako_progress *p)
{
  free (p->rows);
  p->rows = NULL;
  p->n_rows = p->cap = p->drawn = 0;
  pthread_mutex_destroy (&p->mu);
}

static bool
transferring (const struct hako_progress_row *r)
{
  return strcmp (r->status, "Downloading") == 0 || strcmp (r->status, "Pushing") == 0;
}

/* "a1b2c3d4e5f6: Downloading [=========>      ]  12.3MB/45.6MB  3.1MB/s  ETA 11s" */
static void
print_row (const struct hako_progress_row *r, uint64_t t)
{
  printf ("\r\033[K%s: %s", r->id, r->status);
  if (!transferring (r) || !r->bytes)
    return;
  char done[16], total[16], rate[16];
  uint64_t elapsed = t > r->start_ms ? t - r->start_ms : 0;
  uint64_t moved = r->done > r->first_done ? r->done - r->first_done : 0;
  uint64_t per_s = elapsed ? moved * 1000 / elapsed : 0;
  hako_human_size (r->done, done, sizeof (done));
  hako_human_size (per_s, rate, sizeof (rate));
  if (r->total)
    {
      int fill = (int) ((r->done > r->total ? r->total : r->done) * BAR_WIDTH / r->total);
      hako_human_size (r->total, total, sizeof (total));
      printf (" [%.*s%s%*s] %s/%s  %s/s", fill > 0 ? fill - 1 : 0,
              "==============================", fill > 0 ? ">" : "", BAR_WIDTH - (fill > 0 ? fill : 0), "",
              done, total, rate);
      if (per_s && r->done < r->total)
        printf ("  ETA %llus", (unsigned long long) ((r->total - r->done + per_s - 1) / per_s));
    }
  else
    printf (" %s  %s/s", done, rate);
}

/* Move back over the table drawn last time and draw it again. */
static void
redraw (struct hako_progress *p)
{
  uint64_t t = now_ms ();
  if (p->drawn)
    printf ("\033[%zuA", p->drawn);
  for (size_t i = 0; i < p->n_rows; i++)
    {
      print_row (&p->rows[i], t);
      putchar ('\n');
    }
  p->drawn = p->n_rows;
  p->last_ms = t;
  fflush (stdout);
}

static struct hako_progress_row *
find_row (struct hako_progress *p, const char *id, bool add)
{
  for (size_t i = 0; i < p->n_rows; i++)
    if (strcmp (p->rows[i].id, id) == 0)
      return &p->rows[i];
  if (!add)
    return NULL;
  if (p->n_rows == p->cap)
    p->rows = xrealloc (p->rows, (p->cap = p->cap ? p->cap * 2 : 16) * sizeof (*p->rows));
  struct hako_progress_row *r = &p->rows[p->n_rows++];
  memset (r, 0, sizeof (*r));
  snprintf (r->id, sizeof (r->id), "%s", id);
  return r;
}

static void
progress_event (void *ctx, const char *subject, const char *status)
{
  struct hako_progress *p = ctx;
  if (p->quiet)
    return;
  pthread_mutex_lock (&p->mu);
  if (!p->tty)
    {
      if (subject)
        printf ("%s: %s\n", subject, status);
      else
        printf ("%s\n", status);
      fflush (stdout);
    }
  else if (subject == NULL)
    {
      /* A message ("Digest: ...") goes below the table, which is final:
         the next layer event starts a new one. */
      printf ("%s\n", status);
      fflush (stdout);
      p->n_rows = p->drawn = 0;
    }
  else
    {
      struct hako_progress_row *r = find_row (p, subject, true);
      snprintf (r->status, sizeof (r->status), "%s", status);
      if (transferring (r))
        {
          r->bytes = false;
          r->start_ms = now_ms ();
        }
      redraw (p);
    }
  pthread_mutex_unlock (&p->mu);
}

struct img_events
hako_progress_events (struct hako_progress *p)
{
  return (struct img_events){ .event = progress_event, .ctx = p };
}

/* Byte counts update the layer's row; the table is redrawn at most ten
   times a second. */
void
hako_progress_bytes (void *ctx, const char *digest, uint64_t done, uint64_t total)
{
  struct hako_progress *p = ctx;
  char id[16];

  if (p->quiet || !p->tty)
    return;
  const char *hex = strchr (digest, ':');
  snprintf (id, sizeof (id), "%.12s", hex ? hex + 1 : digest);
  pthread_mutex_lock (&p->mu);
  struct hako_progress_row *r = find_row (p, id, false);
  if (r && transferring (r))
    {
      bool first = !r->bytes;
      if (first)
        {
          r->bytes = true;
          r->first_done = done;
        }
      r->done = done;
      r->total = total;
      if (first || now_ms () - p->last_ms >= 100)
        redraw (p);
    }
  pthread_mutex_unlock (&p->mu);
}
