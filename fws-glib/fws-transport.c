/* fws-transport.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-transport-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "fws-error.h"
#include "fws-i18n-private.h"
#include "fws-loop-private.h"

#define COPY_THRESHOLD 1024
#define MAX_IOV 64
#define TLS_CHUNK 16384
#define MAX_READS_PER_WAKEUP 16
#define MAX_EARLY_INPUT (1024 * 1024)
/* Small writes are copied into blocks: the first is small, later ones grow
 * up to BLOCK_MAX while the queue stays busy. When the queue empties, one
 * block of at most SPARE_MAX is kept for the next write. */
#define BLOCK_MIN 512
#define BLOCK_MAX 16384
#define SPARE_MAX 4096
/* The ring of chunks is freed when it empties past this many slots. */
#define RING_KEEP 16

/* One piece of the queue: a referenced payload, or a block of copies that
 * later small writes may extend. Lengths are gsize throughout: nothing on
 * this path has a guint length (PLATFORM.md 7). */
typedef struct
{
  GBytes *bytes;    /* (owned) (nullable) a referenced payload */
  guint8 *buf;      /* (owned) (nullable) a block of copies */
  gsize   cap;      /* of @buf */
  gsize   offset;   /* of the first byte not yet written */
  gsize   len;      /* bytes not yet written */
} OutChunk;

struct _FwsTransport
{
  GMainContext          *context;
  GObject               *owner;         /* not owned; kept alive while a callback runs */
  FwsTransportCallbacks  callbacks;
  gpointer               user_data;

  GIOStream             *stream;        /* (owned) (nullable) */
  GIOStream             *io;            /* what is read and written: @stream or the TLS connection in it */
  GSocket               *soup_socket;   /* (owned) one ref libsoup < 3.4 leaks */
  int                    fd;
  gboolean               is_tls;
  gboolean               reading;       /* the owner wants input */
  gboolean               paused;        /* above the high-water mark */
  gboolean               dead;
  FwsLoopWatch          *watch;
  GError                *pending_error; /* (owned) (nullable) a failure to report from the loop */

  /* The queue: a ring of chunks, oldest first. */
  OutChunk              *ring;
  gsize                  ring_cap;      /* 0 or a power of two */
  gsize                  ring_head;
  gsize                  ring_len;
  guint8                *spare;         /* (owned) (nullable) a block kept for reuse */
  gsize                  spare_cap;
  gsize                  next_block;    /* size of the next block */

  guint64                out_bytes;     /* queued, including the TLS chunk in flight */
  guint64                total_queued;  /* every byte ever queued */
  guint64                total_written; /* every byte ever handed to the kernel */
  guint64                total_read;    /* every byte ever read */
  guint64                max_queued;    /* 0: no limit */
  guint64                high_water;    /* 0: never pause */
  guint64                low_water;

  guint8                *tls_chunk;     /* (owned) (nullable) TLS: bytes in flight, retried as they are */
  gsize                  tls_len;
  gsize                  tls_off;

  /* Input the owner left for a later dispatch (fws_transport_defer). */
  gboolean               deferred;      /* call received again before reading the stream */
  gboolean               delivering;    /* @held is being handed to received */
  guint8                *held;          /* (owned) (nullable) */
  gsize                  held_len;
  gsize                  held_cap;
};

static inline OutChunk *
ring_at (FwsTransport *t,
         gsize         i)
{
  return &t->ring[(t->ring_head + i) & (t->ring_cap - 1)];
}

static inline const guint8 *
chunk_data (OutChunk *c)
{
  if (c->bytes)
    return (const guint8 *) g_bytes_get_data (c->bytes, NULL) + c->offset;
  return c->buf + c->offset;
}

FwsTransport *
fws_transport_new (GMainContext                *context,
                   GObject                     *owner,
                   const FwsTransportCallbacks *callbacks,
                   gpointer                     user_data)
{
  FwsTransport *t = g_new0 (FwsTransport, 1);

  fws_i18n_init ();
  t->context = g_main_context_ref (context);
  fws_transport_set_owner (t, owner, callbacks, user_data);
  t->fd = -1;
  t->next_block = BLOCK_MIN;
  t->max_queued = FWS_TRANSPORT_DEFAULT_MAX_QUEUED;
  t->high_water = FWS_TRANSPORT_DEFAULT_HIGH_WATER;
  t->low_water = FWS_TRANSPORT_DEFAULT_LOW_WATER;
  return t;
}

void
fws_transport_set_owner (FwsTransport                *t,
                         GObject                     *owner,
                         const FwsTransportCallbacks *callbacks,
                         gpointer                     user_data)
{
  t->owner = owner;
  t->callbacks = *callbacks;
  t->user_data = user_data;
}

void
fws_transport_free (FwsTransport *t)
{
  if (t == NULL)
    return;
  fws_transport_release (t);
  g_free (t->ring);
  g_free (t->spare);
  g_free (t->tls_chunk);
  g_free (t->held);
  g_clear_error (&t->pending_error);
  g_main_context_unref (t->context);
  g_free (t);
}

/* ---- Output queue ---- */

static void
wake_flush (FwsTransport *t)
{
  if (t->watch)
    fws_loop_watch_wake (t->watch, FWS_LOOP_FLUSH);
}

static OutChunk *
ring_push (FwsTransport *t)
{
  if (t->ring_len == t->ring_cap)
    {
      gsize cap = t->ring_cap ? t->ring_cap * 2 : 8;
      OutChunk *ring = g_new (OutChunk, cap);

      /* Unwrap in order. */
      for (gsize i = 0; i < t->ring_len; i++)
        ring[i] = *ring_at (t, i);
      g_free (t->ring);
      t->ring = ring;
      t->ring_cap = cap;
      t->ring_head = 0;
    }
  t->ring_len++;
  return memset (ring_at (t, t->ring_len - 1), 0, sizeof (OutChunk));
}

static void
chunk_clear (FwsTransport *t,
             OutChunk     *c)
{
  g_clear_pointer (&c->bytes, g_bytes_unref);
  if (c->buf != NULL && t->spare == NULL && c->cap <= SPARE_MAX)
    {
      t->spare = c->buf;
      t->spare_cap = c->cap;
      c->buf = NULL;
    }
  g_clear_pointer (&c->buf, g_free);
}

static void
ring_pop (FwsTransport *t)
{
  chunk_clear (t, ring_at (t, 0));
  t->ring_head = (t->ring_head + 1) & (t->ring_cap - 1);
  t->ring_len--;
}

/* Called when nothing is queued any more. */
static void
out_reset (FwsTransport *t)
{
  t->ring_head = 0;
  t->next_block = BLOCK_MIN;
  if (t->ring_cap > RING_KEEP)
    {
      /* Give a large ring back when idle. */
      g_clear_pointer (&t->ring, g_free);
      t->ring_cap = 0;
    }
}

static gboolean
check_room (FwsTransport  *t,
            gsize          len,
            GError       **error)
{
  if (t->dead || t->pending_error != NULL)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
      return FALSE;
    }
  if (t->max_queued != 0 &&
      ((guint64) len > t->max_queued || t->out_bytes > t->max_queued - (guint64) len))
    {
      char limit[24];

      /* No G_GUINT64_FORMAT inside a translatable string: xgettext
       * cannot see through it. */
      g_snprintf (limit, sizeof limit, "%" G_GUINT64_FORMAT, t->max_queued);
      g_set_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL,
                   _("Too much data is waiting to be sent: the queue for this peer "
                     "would pass its limit of %s bytes"), limit);
      return FALSE;
    }
  return TRUE;
}

static void
queue_copy (FwsTransport *t,
            const guint8 *data,
            gsize         len)
{
  OutChunk *last = t->ring_len > 0 ? ring_at (t, t->ring_len - 1) : NULL;
  gsize room;

  if (len == 0)
    return;
  t->out_bytes += len;
  t->total_queued += len;

  /* Into the room left in the last block. */
  if (last != NULL && last->buf != NULL)
    {
      room = last->cap - (last->offset + last->len);
      if (room >= len)
        {
          memcpy (last->buf + last->offset + last->len, data, len);
          last->len += len;
          return;
        }
    }

  /* A new block. */
  last = ring_push (t);
  if (t->spare != NULL && t->spare_cap >= MAX (len, t->next_block))
    {
      last->buf = t->spare;
      last->cap = t->spare_cap;
      t->spare = NULL;
    }
  else
    {
      last->cap = MAX (len, t->next_block);
      last->buf = g_malloc (last->cap);
    }
  t->next_block = MIN (t->next_block * 2, BLOCK_MAX);
  memcpy (last->buf, data, len);
  last->len = len;
}

static void
queue_bytes (FwsTransport *t,
             GBytes       *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (len <= COPY_THRESHOLD)
    {
      /* Small payloads share blocks: one iovec (or one TLS chunk) for
       * many messages. Large ones are referenced; on TLS they are copied
       * once, straight into the 16 KiB chunk in flight. */
      queue_copy (t, data, len);
    }
  else
    {
      OutChunk *c = ring_push (t);

      c->bytes = g_bytes_ref (bytes);
      c->len = len;
      t->out_bytes += len;
      t->total_queued += len;
    }
}

gboolean
fws_transport_try_write (FwsTransport  *t,
                         const guint8  *data,
                         gsize          len,
                         GError       **error)
{
  if (!check_room (t, len, error))
    return FALSE;
  if (len == 0)
    return TRUE;
  queue_copy (t, data, len);
  wake_flush (t);
  return TRUE;
}

gboolean
fws_transport_try_write_bytes (FwsTransport  *t,
                               GBytes        *bytes,
                               GError       **error)
{
  if (!check_room (t, g_bytes_get_size (bytes), error))
    return FALSE;
  queue_bytes (t, bytes);
  wake_flush (t);
  return TRUE;
}

gboolean
fws_transport_try_write_frame (FwsTransport  *t,
                               const guint8  *header,
                               gsize          header_len,
                               GBytes        *payload,
                               GError       **error)
{
  gsize payload_len = payload ? g_bytes_get_size (payload) : 0;

  if (payload_len > G_MAXSIZE - header_len)
    payload_len = G_MAXSIZE - header_len;   /* cannot fit anyway */
  if (!check_room (t, header_len + payload_len, error))
    return FALSE;
  queue_copy (t, header, header_len);
  if (payload != NULL)
    queue_bytes (t, payload);
  wake_flush (t);
  return TRUE;
}

gboolean
fws_transport_try_write_shared (FwsTransport  *t,
                                GBytes        *bytes,
                                GError       **error)
{
  gsize len = g_bytes_get_size (bytes);
  OutChunk *c;

  if (!check_room (t, len, error))
    return FALSE;
  if (len == 0)
    return TRUE;
  c = ring_push (t);
  c->bytes = g_bytes_ref (bytes);
  c->len = len;
  t->out_bytes += len;
  t->total_queued += len;
  wake_flush (t);
  return TRUE;
}

/* A write the caller cannot handle failed: the stream is failed, from the
 * loop (callbacks never run inside a call the owner made). */
static void fail_later (FwsTransport *t, GError *error);

void
fws_transport_write (FwsTransport *t,
                     const guint8 *data,
                     gsize         len)
{
  GError *error = NULL;

  if (t->dead || t->pending_error != NULL)
    return;
  if (!fws_transport_try_write (t, data, len, &error))
    fail_later (t, error);
}

void
fws_transport_write_frame (FwsTransport *t,
                           const guint8 *header,
                           gsize         header_len,
                           GBytes       *payload)
{
  GError *error = NULL;

  if (t->dead || t->pending_error != NULL)
    return;
  if (!fws_transport_try_write_frame (t, header, header_len, payload, &error))
    fail_later (t, error);
}

void
fws_transport_write_unlimited (FwsTransport *t,
                               const guint8 *data,
                               gsize         len)
{
  if (t->dead || t->pending_error != NULL || len == 0)
    return;
  queue_copy (t, data, len);
  wake_flush (t);
}

void
fws_transport_write_bytes (FwsTransport *t,
                           GBytes       *bytes)
{
  GError *error = NULL;

  if (t->dead || t->pending_error != NULL)
    return;
  if (!fws_transport_try_write_bytes (t, bytes, &error))
    fail_later (t, error);
}

guint64
fws_transport_get_queued (FwsTransport *t)
{
  return t->out_bytes;
}

guint64
fws_transport_get_total_queued (FwsTransport *t)
{
  return t->total_queued;
}

guint64
fws_transport_get_total_written (FwsTransport *t)
{
  return t->total_written;
}

guint64
fws_transport_get_total_read (FwsTransport *t)
{
  return t->total_read;
}

void
fws_transport_set_max_queued (FwsTransport *t,
                              guint64       max_queued)
{
  t->max_queued = max_queued;
}

guint64
fws_transport_get_max_queued (FwsTransport *t)
{
  return t->max_queued;
}

gboolean
fws_transport_is_read_paused (FwsTransport *t)
{
  return t->paused;
}

void
fws_transport_get_water_marks (FwsTransport *t,
                               guint64      *high,
                               guint64      *low)
{
  if (high)
    *high = t->high_water;
  if (low)
    *low = t->low_water;
}

/* Drops @n written bytes from the head of the queue. */
static void
out_consume (FwsTransport *t,
             gsize         n)
{
  t->out_bytes -= n;
  t->total_written += n;
  while (n > 0)
    {
      OutChunk *c = ring_at (t, 0);

      if (n < c->len)
        {
          c->offset += n;
          c->len -= n;
          return;
        }
      n -= c->len;
      ring_pop (t);
    }
}

void
fws_transport_clear_queue (FwsTransport *t)
{
  while (t->ring_len > 0)
    ring_pop (t);
  out_reset (t);
  t->out_bytes = 0;
  t->tls_len = 0;
  t->tls_off = 0;
  /* Below the low-water mark now: do_flush resumes reading. */
  if (t->paused)
    wake_flush (t);
}

/* The stream is gone: tell the owner once. */
static void
fail (FwsTransport *t,
      const GError *error)
{
  if (t->dead)
    return;
  t->dead = TRUE;
  t->reading = FALSE;
  fws_transport_clear_queue (t);
  if (t->watch)
    fws_loop_watch_set_events (t->watch, 0);
  t->callbacks.failed (t->user_data, error);
}

static void
fail_errno (FwsTransport *t,
            int           err,
            const char   *format)
{
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, g_io_error_from_errno (err), format, g_strerror (err));

  fail (t, error);
}

static void
fail_later (FwsTransport *t,
            GError       *error)
{
  if (t->pending_error != NULL || t->dead)
    {
      g_error_free (error);
      return;
    }
  t->pending_error = error;
  /* Nothing more goes out or comes in; the owner hears it from the loop. */
  fws_transport_clear_queue (t);
  if (t->watch)
    {
      fws_loop_watch_set_events (t->watch, 0);
      fws_loop_watch_wake (t->watch, FWS_LOOP_FLUSH);
    }
}

/* Returns TRUE when everything queued was written. */
static gboolean
flush_plain (FwsTransport *t)
{
  while (t->ring_len > 0)
    {
      struct iovec iov[MAX_IOV];
      struct msghdr msg = { 0 };
      gsize n = 0;
      ssize_t w;

      for (; n < t->ring_len && n < MAX_IOV; n++)
        {
          OutChunk *c = ring_at (t, n);

          iov[n].iov_base = (void *) chunk_data (c);
          iov[n].iov_len = c->len;
        }
      msg.msg_iov = iov;
      msg.msg_iovlen = n;
      w = sendmsg (t->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0)
        {
          int err = errno;

          if (err == EINTR)
            continue;
          if (err == EAGAIN || err == EWOULDBLOCK)
            return FALSE;
          fail_errno (t, err, _("Error writing to the socket: %s"));
          return FALSE;
        }
      out_consume (t, (gsize) w);
    }
  out_reset (t);
  return TRUE;
}

/* TLS: never writev (PLATFORM.md 3); one chunk of at most 16 KiB is in
 * flight and a chunk that would block is retried with exactly its bytes. */
static gboolean
flush_tls (FwsTransport *t)
{
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (t->io));

  if (t->tls_chunk == NULL)
    t->tls_chunk = g_malloc (TLS_CHUNK);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize w;

      if (t->tls_off == t->tls_len)
        {
          t->tls_len = 0;
          t->tls_off = 0;
          while (t->ring_len > 0 && t->tls_len < TLS_CHUNK)
            {
              OutChunk *c = ring_at (t, 0);
              gsize take = MIN (c->len, TLS_CHUNK - t->tls_len);

              memcpy (t->tls_chunk + t->tls_len, chunk_data (c), take);
              t->tls_len += take;
              c->offset += take;
              c->len -= take;
              if (c->len == 0)
                ring_pop (t);
            }
          if (t->tls_len == 0)
            {
              out_reset (t);
              return TRUE;
            }
        }

      w = g_pollable_output_stream_write_nonblocking (out, t->tls_chunk + t->tls_off,
                                                      t->tls_len - t->tls_off,
                                                      NULL, &error);
      if (w < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return FALSE;
          g_prefix_error (&error, "%s", _("Error writing to the TLS connection: "));
          fail (t, error);
          return FALSE;
        }
      /* More than asked would mean GnuTLS flushed another record. */
      g_assert ((gsize) w <= t->tls_len - t->tls_off);
      t->tls_off += (gsize) w;
      t->out_bytes -= (gsize) w;   /* counts the chunk in flight too */
      t->total_written += (gsize) w;
    }
}

static inline gboolean
may_read (FwsTransport *t)
{
  return t->reading && !t->paused && !t->dead && t->pending_error == NULL;
}

static void
update_events (FwsTransport *t,
               gboolean      want_write)
{
  guint32 events = 0;

  if (t->watch == NULL || t->dead || t->pending_error != NULL)
    return;
  /* Deferred input is handed over first: the kernel keeps the rest. */
  if (may_read (t) && !t->deferred)
    events |= EPOLLIN;
  if (want_write)
    events |= EPOLLOUT;
  fws_loop_watch_set_events (t->watch, events);
}

/* Pauses reading above the high-water mark and resumes it at the low-water
 * mark; tells the owner when the state changes. Returns FALSE when the
 * owner released the stream from its callback. */
static gboolean
update_pressure (FwsTransport *t)
{
  gboolean was = t->paused;

  if (t->dead || t->pending_error != NULL)
    return FALSE;
  if (!t->paused && t->high_water != 0 && t->out_bytes > t->high_water)
    t->paused = TRUE;
  else if (t->paused && (t->high_water == 0 || t->out_bytes <= t->low_water))
    t->paused = FALSE;
  if (t->paused == was)
    return TRUE;

  update_events (t, t->out_bytes > 0);
  /* TLS may hold decrypted bytes that epoll will never announce
   * (PLATFORM.md 3): read until it would block. */
  if (!t->paused && may_read (t) && t->watch)
    fws_loop_watch_wake (t->watch, FWS_LOOP_READ);
  if (t->callbacks.pressure != NULL)
    {
      t->callbacks.pressure (t->user_data, t->paused);
      if (t->dead || t->io == NULL || t->pending_error != NULL)
        return FALSE;
    }
  return TRUE;
}

static void
do_flush (FwsTransport *t)
{
  gboolean had_data = t->out_bytes > 0;
  guint64 written_before = t->total_written;
  gboolean done;

  if (t->pending_error != NULL && !t->dead)
    {
      g_autoptr(GError) error = g_steal_pointer (&t->pending_error);

      fail (t, error);
      return;
    }
  if (t->dead || t->io == NULL)
    return;
  done = t->is_tls ? flush_tls (t) : flush_plain (t);
  if (t->dead || t->io == NULL)
    return;
  update_events (t, !done);
  if (!update_pressure (t))
    return;
  if (t->total_written != written_before && t->callbacks.written != NULL)
    {
      t->callbacks.written (t->user_data);
      if (t->dead || t->io == NULL)
        return;
    }
  if (done && had_data)
    t->callbacks.drained (t->user_data);
}

void
fws_transport_set_water_marks (FwsTransport *t,
                               guint64       high,
                               guint64       low)
{
  t->high_water = high;
  t->low_water = MIN (low, high);
  /* Re-evaluated from the loop. */
  wake_flush (t);
}

/* ---- Input ---- */

static void
drop_held (FwsTransport *t)
{
  t->held_len = 0;
  if (!t->delivering)
    {
      g_clear_pointer (&t->held, g_free);
      t->held_cap = 0;
    }
}

/* The owner deferred: no EPOLLIN until what it left is handed over again,
 * from a later dispatch (a wake from inside a dispatch's wakes runs in the
 * next one; one from its socket events runs once more in this one, where
 * the owner, its budget spent, defers again). */
static void
rearm (FwsTransport *t)
{
  update_events (t, t->out_bytes > 0);
  if (may_read (t) && t->watch != NULL)
    fws_loop_watch_wake (t->watch, FWS_LOOP_READ);
}

void
fws_transport_defer (FwsTransport *t,
                     const guint8 *rest,
                     gsize         len)
{
  if (t->dead || t->pending_error != NULL)
    return;
  if (len > 0)
    {
      if (t->held != NULL && rest >= t->held && rest + len <= t->held + t->held_cap)
        memmove (t->held, rest, len);   /* what was held, handed back in part */
      else
        {
          g_return_if_fail (t->held_len == 0);
          if (t->held_cap < len)
            {
              g_free (t->held);
              t->held = g_malloc (len);
              t->held_cap = len;
            }
          memcpy (t->held, rest, len);
        }
    }
  t->held_len = len;
  if (!t->deferred)
    {
      t->deferred = TRUE;
      /* From received, do_read re-arms once the callback returned. */
      if (!t->delivering)
        rearm (t);
    }
}

gboolean
fws_transport_is_deferred (FwsTransport *t)
{
  return t->deferred;
}

guint64
fws_transport_get_dispatch (FwsTransport *t)
{
  return t->watch != NULL ? fws_loop_watch_get_dispatch (t->watch) : 0;
}

/* Hands what the owner deferred back to it. Returns TRUE when it took
 * everything and the stream may be read now. */
static gboolean
deliver_held (FwsTransport *t)
{
  gsize len = t->held_len;

  t->deferred = FALSE;
  t->held_len = 0;
  t->delivering = TRUE;
  t->callbacks.received (t->user_data, t->held != NULL ? t->held : (const guint8 *) "", len);
  t->delivering = FALSE;
  if (t->deferred && may_read (t))
    {
      rearm (t);
      return FALSE;
    }
  if (t->held_len == 0 || t->dead)
    drop_held (t);
  if (t->deferred || t->io == NULL || !may_read (t))
    return FALSE;
  update_events (t, t->out_bytes > 0);
  return TRUE;
}

static void
do_read (FwsTransport *t)
{
  gsize size;
  guint8 *buf;

  if (!may_read (t) || t->watch == NULL)
    return;
  if (t->deferred)
    {
      if (t->io == NULL || !update_pressure (t) || !may_read (t) || !deliver_held (t))
        return;
    }
  buf = fws_loop_watch_get_buffer (t->watch, &size);

  for (guint i = 0; i < MAX_READS_PER_WAKEUP; i++)
    {
      gssize n;

      /* What the owner queued while handling input counts at once: an
       * echo or a pong does not wait for the flush to stop reading. */
      if (t->io == NULL || !update_pressure (t) || !may_read (t))
        return;

      if (t->is_tls)
        {
          g_autoptr(GError) error = NULL;
          GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (t->io));

          n = g_pollable_input_stream_read_nonblocking (in, buf, size, NULL, &error);
          if (n < 0)
            {
              if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                return;
              g_prefix_error (&error, "%s", _("Error reading from the TLS connection: "));
              fail (t, error);
              return;
            }
        }
      else
        {
          n = recv (t->fd, buf, size, MSG_DONTWAIT);
          if (n < 0)
            {
              int err = errno;

              if (err == EINTR)
                continue;
              if (err == EAGAIN || err == EWOULDBLOCK)
                return;
              fail_errno (t, err, _("Error reading from the socket: %s"));
              return;
            }
        }

      if (n == 0)
        {
          fail (t, NULL);
          return;
        }
      t->total_read += (guint64) n;
      t->delivering = TRUE;
      t->callbacks.received (t->user_data, buf, (gsize) n);
      t->delivering = FALSE;
      if (t->deferred)
        {
          /* The owner spent its budget for this dispatch and kept the rest. */
          if (t->dead)
            drop_held (t);
          else
            rearm (t);
          return;
        }
      /* A short read on a plain socket: the kernel has nothing more. */
      if ((gsize) n < size && !t->is_tls)
        return;
    }

  /* Fairness: come back in the next dispatch. TLS may hold decrypted bytes
   * that epoll cannot see (PLATFORM.md 3), so it must be woken. */
  if (t->watch && may_read (t))
    fws_loop_watch_wake (t->watch, FWS_LOOP_READ);
}

static void
io_cb (gpointer user_data,
       guint32  events)
{
  FwsTransport *t = user_data;
  GObject *owner = g_object_ref (t->owner);

  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | FWS_LOOP_READ))
    do_read (t);
  /* The owner may have released the stream in a callback. */
  if (t->watch != NULL && (events & (EPOLLOUT | FWS_LOOP_FLUSH | EPOLLERR | EPOLLHUP)))
    do_flush (t);
  g_object_unref (owner);
}

/* ---- Attaching and releasing ---- */

gboolean
fws_transport_adopt (FwsTransport *t,
                     GIOStream    *stream)
{
  GIOStream *io = stream;
  GSocket *socket = NULL;

  g_return_val_if_fail (t->stream == NULL, FALSE);

  /* GSocketClient wraps a TLS connection in a GTcpWrapperConnection. */
  if (G_IS_TCP_WRAPPER_CONNECTION (io))
    {
      GIOStream *inner = g_tcp_wrapper_connection_get_base_io_stream (G_TCP_WRAPPER_CONNECTION (io));

      if (G_IS_TLS_CONNECTION (inner))
        io = inner;
    }

  if (G_IS_SOCKET_CONNECTION (stream))
    socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  else if (G_IS_TLS_CONNECTION (io))
    {
      GIOStream *base = NULL;

      g_object_get (io, "base-io-stream", &base, NULL);
      if (G_IS_SOCKET_CONNECTION (base))
        socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (base));
      g_clear_object (&base);  /* @io keeps it alive */
    }
  if (socket == NULL)
    return FALSE;

  t->stream = g_object_ref (stream);
  t->io = io;
  t->is_tls = G_IS_TLS_CONNECTION (io);
  t->fd = g_socket_get_fd (socket);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  t->watch = fws_loop_watch_new (t->context, t->fd, 0, io_cb, t);
  /* Anything queued (or a failure) before the stream existed. */
  if (t->out_bytes > 0 || t->pending_error != NULL)
    wake_flush (t);
  return TRUE;
}

gboolean
fws_transport_steal (FwsTransport       *t,
                     SoupServerMessage  *msg,
                     GByteArray         *early_input,
                     GError            **error)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  GIOStream *stolen;
  GIOStream *base = NULL;
  GPollableInputStream *in;
  guint8 buf[16384];

  /* Read what is needed from @msg first (PLATFORM.md 1a). */
  t->soup_socket = socket ? g_object_ref (socket) : NULL;
  stolen = soup_server_message_steal_connection (msg);

  /* Bytes the client sent right behind its head may sit in libsoup's
   * buffer; read them out before leaving its stream (PLATFORM.md 1b, 1d). */
  in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stolen));
  while (early_input->len < MAX_EARLY_INPUT)
    {
      g_autoptr(GError) read_error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &read_error);

      if (n <= 0)
        break;
      g_byte_array_append (early_input, buf, (guint) n);
    }

  g_object_get (stolen, "base-iostream", &base, NULL);
  g_object_unref (stolen);
  if (base == NULL || !fws_transport_adopt (t, base))
    {
      g_clear_object (&base);
      g_set_error (error, FWS_ERROR, FWS_ERROR_FAILED, _("Could not take the connection over from libsoup"));
      return FALSE;
    }
  g_object_unref (base);
  return TRUE;
}

void
fws_transport_set_reading (FwsTransport *t,
                           gboolean      reading)
{
  if (t->dead || t->watch == NULL || t->reading == reading)
    return;
  t->reading = reading;
  update_events (t, t->out_bytes > 0);
  /* TLS may already hold decrypted bytes that epoll will never announce,
   * and input deferred by the owner waits for no socket event. */
  if (may_read (t) && (t->is_tls || t->deferred))
    fws_loop_watch_wake (t->watch, FWS_LOOP_READ);
}

gboolean
fws_transport_is_tls (FwsTransport *t)
{
  return t->is_tls;
}

gboolean
fws_transport_is_open (FwsTransport *t)
{
  return t->io != NULL && !t->dead && t->pending_error == NULL;
}

static void
close_stream_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

void
fws_transport_release (FwsTransport *t)
{
  t->dead = TRUE;
  t->reading = FALSE;
  t->deferred = FALSE;
  drop_held (t);
  fws_transport_clear_queue (t);
  g_clear_pointer (&t->watch, fws_loop_watch_free);
  if (t->stream)
    {
      /* Always closed explicitly: the last unref does not close the fd
       * with libsoup < 3.4 (PLATFORM.md 1f). TLS sends close_notify, which
       * must not block the loop. */
      if (t->is_tls)
        g_io_stream_close_async (t->stream, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
      else
        g_io_stream_close (t->stream, NULL, NULL);
      g_clear_object (&t->stream);
      t->io = NULL;
    }
  if (t->soup_socket)
    {
      /* libsoup < 3.4 leaks one reference to every accepted socket
       * (PLATFORM.md 1f); with the stream closed, drop it. */
      if (soup_get_major_version () == 3 && soup_get_minor_version () < 4)
        g_object_unref (t->soup_socket);
      g_clear_object (&t->soup_socket);
    }
  t->fd = -1;
}
