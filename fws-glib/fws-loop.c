/* fws-loop.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-loop-private.h"

#include <errno.h>
#include <unistd.h>

#define MAX_EVENTS 256
/* The first few sockets of a context are polled by GLib itself, beside the
 * epoll fd: a dispatch then needs no epoll_wait to learn which of them is
 * ready (ping-pong on one connection: poll, recv, send). The number is
 * bounded, so an iteration still costs the same with 10 or 10,000 idle
 * connections (PLATFORM.md 2). */
#define MAX_DIRECT 4
#define READ_BUFFER_SIZE (64 * 1024)

typedef struct _FwsLoop FwsLoop;

struct _FwsLoopWatch
{
  FwsLoop      *loop;
  int           fd;
  guint32       events;     /* wanted (registered unless masked) */
  gpointer      tag;        /* polled by GLib (g_source_add_unix_fd), not epoll */
  guint32       woken;      /* wake bits waiting for the next dispatch */
  FwsLoopFunc   func;
  gpointer      user_data;
  GList         wake_link;  /* in loop->woken (or loop->deferred) while woken != 0 */
  gboolean      dead;
  guint         busy;       /* its function is on the stack */
  gboolean      deferred;   /* woken while busy: in loop->deferred */
  gboolean      masked;     /* events cleared by a nested dispatch */
};

struct _FwsLoop
{
  GSource       source;
  GMainContext *context;
  int           epfd;
  gpointer      epfd_tag;
  guint         n_watches;
  guint         n_epoll;    /* watches with an fd in epoll */
  FwsLoopWatch *direct[MAX_DIRECT];  /* polled by GLib; NULL when free */
  GQueue        woken;      /* of FwsLoopWatch, via wake_link */
  GQueue        deferred;   /* woken while busy, queued again when not */
  GPtrArray    *dead;       /* watches freed while dispatching */
  guint         depth;      /* dispatches on the stack (nested main loops) */
  guint64       dispatches; /* dispatches started so far */
  guint8       *buffer;
};

G_LOCK_DEFINE_STATIC (loops);
static GHashTable *loops;   /* GMainContext* -> FwsLoop* */

static gboolean
loop_prepare (GSource *source,
              gint    *timeout)
{
  FwsLoop *loop = (FwsLoop *) source;

  if (loop->woken.length > 0)
    {
      *timeout = 0;
      return TRUE;
    }
  *timeout = -1;
  return FALSE;
}

static gboolean
loop_check (GSource *source)
{
  FwsLoop *loop = (FwsLoop *) source;

  if (loop->woken.length > 0 ||
      (g_source_query_unix_fd (source, loop->epfd_tag) & G_IO_IN) != 0)
    return TRUE;
  for (guint i = 0; i < MAX_DIRECT; i++)
    if (loop->direct[i] != NULL && g_source_query_unix_fd (source, loop->direct[i]->tag) != 0)
      return TRUE;
  return FALSE;
}

/* Tells epoll or GLib which events of the watch to report. */
static void
watch_register (FwsLoopWatch *watch,
                guint32       events)
{
  struct epoll_event ev = { .events = events, .data.ptr = watch };

  if (watch->tag != NULL)
    g_source_modify_unix_fd (&watch->loop->source, watch->tag, (GIOCondition) events);
  else if (epoll_ctl (watch->loop->epfd, EPOLL_CTL_MOD, watch->fd, &ev) < 0)
    g_critical ("epoll_ctl (MOD, %d): %s", watch->fd, g_strerror (errno));
}

static void
free_dead (FwsLoop *loop)
{
  for (guint i = 0; i < loop->dead->len; i++)
    g_free (loop->dead->pdata[i]);
  g_ptr_array_set_size (loop->dead, 0);
}

/* The source may recurse (G_SOURCE_CAN_RECURSE): GLib then neither removes
 * its poll fd before each dispatch nor adds it back after, which would cost
 * two writes to the context's eventfd and an extra poll per dispatch. A
 * handler that runs a nested main loop on the same context can then
 * dispatch this source again; a watch whose function is still on the stack
 * is skipped there, never re-entered. Its fd is taken out of epoll only
 * then (lazily, so the nested loop does not spin on a level-triggered
 * event nobody may handle) and put back when its function returns; its
 * wakes wait in loop->deferred. */
static void
watch_call (FwsLoop      *loop,
            FwsLoopWatch *watch,
            guint32       events)
{
  watch->busy++;
  watch->func (watch->user_data, events);
  if (--watch->busy > 0 || watch->dead)
    return;
  if (watch->masked)
    {
      watch->masked = FALSE;
      watch_register (watch, watch->events);
    }
  if (watch->deferred)
    {
      watch->deferred = FALSE;
      g_queue_unlink (&loop->deferred, &watch->wake_link);
      g_queue_push_tail_link (&loop->woken, &watch->wake_link);
    }
}

/* A nested dispatch met a busy watch's socket event. */
static void
watch_mask (FwsLoopWatch *watch)
{
  if (watch->masked || watch->fd < 0)
    return;
  watch->masked = TRUE;
  watch_register (watch, 0);
}

static void
watch_event (FwsLoop      *loop,
             FwsLoopWatch *watch,
             guint32       events)
{
  if (watch->dead)
    return;
  if (watch->busy)
    watch_mask (watch);
  else
    watch_call (loop, watch, events);
}

static gboolean
loop_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  FwsLoop *loop = (FwsLoop *) source;
  FwsLoopWatch *direct[MAX_DIRECT];
  guint32 revents[MAX_DIRECT];
  guint n_direct = 0;

  g_source_ref (source);
  loop->depth++;
  loop->dispatches++;

  /* What GLib's poll saw, before a callback adds or frees a watch (freed
   * ones stay allocated while dispatching). The revents of an fd whose
   * events changed since may be stale: a read or write then only finds
   * EAGAIN. G_IO_* and EPOLL* bits have the same values on Linux. */
  for (guint i = 0; i < MAX_DIRECT; i++)
    if (loop->direct[i] != NULL)
      {
        guint32 ev = g_source_query_unix_fd (source, loop->direct[i]->tag);

        if (ev != 0)
          {
            direct[n_direct] = loop->direct[i];
            revents[n_direct++] = ev;
          }
      }
  for (guint i = 0; i < n_direct; i++)
    watch_event (loop, direct[i], revents[i]);

  if (loop->n_epoll > 0 && (g_source_query_unix_fd (source, loop->epfd_tag) & G_IO_IN) != 0)
    {
      struct epoll_event events[MAX_EVENTS];
      int n;

      do
        n = epoll_wait (loop->epfd, events, MAX_EVENTS, 0);
      while (n < 0 && errno == EINTR);

      for (int i = 0; i < n; i++)
        watch_event (loop, events[i].data.ptr, events[i].events);
    }

  /* Wakes, in order; a callback may wake more watches (or itself) and
   * those run in this same dispatch, once each. */
  {
    guint rounds = loop->woken.length;

    while (rounds-- > 0)
      {
        GList *link = g_queue_pop_head_link (&loop->woken);
        FwsLoopWatch *watch;
        guint32 woken;

        if (link == NULL)
          break;
        watch = link->data;
        if (watch->busy)
          {
            /* Keeps its wake bits for when its function returns. */
            watch->deferred = TRUE;
            g_queue_push_tail_link (&loop->deferred, link);
            continue;
          }
        woken = watch->woken;
        watch->woken = 0;
        if (!watch->dead)
          watch_call (loop, watch, woken);
      }
  }

  if (--loop->depth == 0)
    free_dead (loop);
  g_source_unref (source);
  return G_SOURCE_CONTINUE;
}

static void
loop_finalize (GSource *source)
{
  FwsLoop *loop = (FwsLoop *) source;

  free_dead (loop);
  g_ptr_array_unref (loop->dead);
  if (loop->epfd >= 0)
    close (loop->epfd);
  g_free (loop->buffer);
}

static GSourceFuncs loop_funcs = {
  loop_prepare,
  loop_check,
  loop_dispatch,
  loop_finalize,
  NULL, NULL,
};

static FwsLoop *
loop_get (GMainContext *context)
{
  FwsLoop *loop;

  G_LOCK (loops);
  if (loops == NULL)
    loops = g_hash_table_new (NULL, NULL);
  loop = g_hash_table_lookup (loops, context);
  if (loop == NULL)
    {
      int epfd = epoll_create1 (EPOLL_CLOEXEC);

      if (epfd < 0)
        g_error ("epoll_create1: %s", g_strerror (errno));
      loop = (FwsLoop *) g_source_new (&loop_funcs, sizeof (FwsLoop));
      g_source_set_static_name (&loop->source, "fws-loop");
      g_source_set_can_recurse (&loop->source, TRUE);
      loop->context = context;
      loop->epfd = epfd;
      loop->epfd_tag = g_source_add_unix_fd (&loop->source, epfd, G_IO_IN);
      loop->dead = g_ptr_array_new ();
      g_queue_init (&loop->woken);
      g_queue_init (&loop->deferred);
      g_source_attach (&loop->source, context);
      g_hash_table_insert (loops, context, loop);
    }
  loop->n_watches++;
  G_UNLOCK (loops);
  return loop;
}

static void
loop_release (FwsLoop *loop)
{
  gboolean last;

  G_LOCK (loops);
  last = --loop->n_watches == 0;
  if (last)
    g_hash_table_remove (loops, loop->context);
  G_UNLOCK (loops);

  if (last)
    {
      g_source_destroy (&loop->source);
      g_source_unref (&loop->source);
    }
}

FwsLoopWatch *
fws_loop_watch_new (GMainContext *context,
                    int           fd,
                    guint32       events,
                    FwsLoopFunc   func,
                    gpointer      user_data)
{
  FwsLoopWatch *watch = g_new0 (FwsLoopWatch, 1);

  watch->loop = loop_get (context);
  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;
  watch->wake_link.data = watch;
  watch->events = events;
  if (fd >= 0)
    {
      FwsLoop *loop = watch->loop;
      struct epoll_event ev = { .events = events, .data.ptr = watch };

      for (guint i = 0; i < MAX_DIRECT; i++)
        if (loop->direct[i] == NULL)
          {
            loop->direct[i] = watch;
            watch->tag = g_source_add_unix_fd (&loop->source, fd, (GIOCondition) events);
            return watch;
          }
      if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        g_critical ("epoll_ctl (ADD, %d): %s", fd, g_strerror (errno));
      loop->n_epoll++;
    }
  return watch;
}

void
fws_loop_watch_set_events (FwsLoopWatch *watch,
                           guint32       events)
{
  if (watch->events == events || watch->fd < 0)
    return;
  watch->events = events;
  /* A nested dispatch masked it: set when its function returns. */
  if (!watch->masked)
    watch_register (watch, events);
}

void
fws_loop_watch_wake (FwsLoopWatch *watch,
                     guint32       events)
{
  if (watch->dead)
    return;
  if (watch->woken == 0)
    {
      g_queue_push_tail_link (&watch->loop->woken, &watch->wake_link);
      if (watch->loop->depth == 0)
        g_main_context_wakeup (watch->loop->context);
    }
  watch->woken |= events;
}

void
fws_loop_watch_free (FwsLoopWatch *watch)
{
  FwsLoop *loop;

  if (watch == NULL)
    return;
  loop = watch->loop;
  if (watch->tag != NULL)
    {
      for (guint i = 0; i < MAX_DIRECT; i++)
        if (loop->direct[i] == watch)
          loop->direct[i] = NULL;
      g_source_remove_unix_fd (&loop->source, watch->tag);
      watch->tag = NULL;
    }
  else if (watch->fd >= 0)
    {
      epoll_ctl (loop->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
      loop->n_epoll--;
    }
  if (watch->woken)
    g_queue_unlink (watch->deferred ? &loop->deferred : &loop->woken, &watch->wake_link);
  watch->woken = 0;
  watch->deferred = FALSE;
  watch->dead = TRUE;

  /* The dispatch in progress may still hold an epoll event for it. */
  g_source_ref (&loop->source);
  if (loop->depth > 0)
    g_ptr_array_add (loop->dead, watch);
  else
    g_free (watch);
  loop_release (loop);
  g_source_unref (&loop->source);
}

guint8 *
fws_loop_watch_get_buffer (FwsLoopWatch *watch,
                           gsize        *size)
{
  FwsLoop *loop = watch->loop;

  if (loop->buffer == NULL)
    loop->buffer = g_malloc (READ_BUFFER_SIZE);
  *size = READ_BUFFER_SIZE;
  return loop->buffer;
}

guint64
fws_loop_watch_get_dispatch (FwsLoopWatch *watch)
{
  return watch->loop->dispatches;
}
