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
#define STAGING_KEEP (64 * 1024)
#define MAX_EARLY_INPUT (1024 * 1024)

typedef struct
{
  GBytes *bytes;    /* NULL: the bytes are in the staging buffer */
  gsize   offset;
  gsize   len;
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
  gboolean               reading;
  gboolean               dead;
  FwsLoopWatch          *watch;

  GArray                *out;           /* of OutChunk */
  guint                  out_head;
  GByteArray            *staging;
  guint64                out_bytes;
  guint64                total_queued;  /* every byte ever queued */
  guint64                total_written; /* every byte ever handed to the kernel */
  GByteArray            *tls_chunk;     /* TLS: bytes in flight, retried as they are */
  gsize                  tls_off;
};

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
  t->out = g_array_new (FALSE, FALSE, sizeof (OutChunk));
  t->staging = g_byte_array_new ();
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
  g_array_unref (t->out);
  g_byte_array_unref (t->staging);
  if (t->tls_chunk)
    g_byte_array_unref (t->tls_chunk);
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

static void
queue_copy (FwsTransport *t,
            const guint8 *data,
            gsize         len)
{
  gsize at = t->staging->len;
  OutChunk chunk = { NULL, at, len };

  if (len == 0)
    return;
  g_byte_array_append (t->staging, data, (guint) len);
  t->out_bytes += len;
  t->total_queued += len;

  /* Extend the last chunk when it ends where this one starts. */
  if (t->out->len > t->out_head)
    {
      OutChunk *last = &g_array_index (t->out, OutChunk, t->out->len - 1);

      if (last->bytes == NULL && last->offset + last->len == at)
        {
          last->len += len;
          return;
        }
    }
  g_array_append_val (t->out, chunk);
}

void
fws_transport_write (FwsTransport *t,
                     const guint8 *data,
                     gsize         len)
{
  if (t->dead || len == 0)
    return;
  queue_copy (t, data, len);
  wake_flush (t);
}

void
fws_transport_write_bytes (FwsTransport *t,
                           GBytes       *bytes)
{
  gsize len;
  const guint8 *data;

  if (t->dead)
    return;
  data = g_bytes_get_data (bytes, &len);
  if (len <= COPY_THRESHOLD)
    {
      /* Small payloads share the staging buffer: one iovec (or one TLS
       * chunk) for many messages. Large ones are referenced; on TLS they
       * are copied once, straight into the 16 KiB chunk in flight. */
      queue_copy (t, data, len);
    }
  else
    {
      OutChunk chunk = { g_bytes_ref (bytes), 0, len };

      g_array_append_val (t->out, chunk);
      t->out_bytes += len;
      t->total_queued += len;
    }
  wake_flush (t);
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

static void
out_reset_if_empty (FwsTransport *t)
{
  if (t->out_head < t->out->len)
    return;
  g_array_set_size (t->out, 0);
  t->out_head = 0;
  if (t->staging->len > STAGING_KEEP)
    {
      /* Give a large buffer back when idle. */
      g_byte_array_unref (t->staging);
      t->staging = g_byte_array_new ();
    }
  else
    g_byte_array_set_size (t->staging, 0);
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
      OutChunk *c = &g_array_index (t->out, OutChunk, t->out_head);

      if (n < c->len)
        {
          c->offset += n;
          c->len -= n;
          return;
        }
      n -= c->len;
      g_clear_pointer (&c->bytes, g_bytes_unref);
      t->out_head++;
    }
}

void
fws_transport_clear_queue (FwsTransport *t)
{
  for (guint i = t->out_head; i < t->out->len; i++)
    g_clear_pointer (&g_array_index (t->out, OutChunk, i).bytes, g_bytes_unref);
  t->out_head = t->out->len;
  t->out_bytes = 0;
  out_reset_if_empty (t);
  if (t->tls_chunk)
    g_byte_array_set_size (t->tls_chunk, 0);
  t->tls_off = 0;
}

static const guint8 *
chunk_data (FwsTransport *t,
            OutChunk     *c)
{
  if (c->bytes)
    return (const guint8 *) g_bytes_get_data (c->bytes, NULL) + c->offset;
  return t->staging->data + c->offset;
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

/* Returns TRUE when everything queued was written. */
static gboolean
flush_plain (FwsTransport *t)
{
  while (t->out_head < t->out->len)
    {
      struct iovec iov[MAX_IOV];
      struct msghdr msg = { 0 };
      guint n = 0;
      ssize_t w;

      for (guint i = t->out_head; i < t->out->len && n < MAX_IOV; i++, n++)
        {
          OutChunk *c = &g_array_index (t->out, OutChunk, i);

          iov[n].iov_base = (void *) chunk_data (t, c);
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
  out_reset_if_empty (t);
  return TRUE;
}

/* TLS: never writev (PLATFORM.md 3); one chunk of at most 16 KiB is in
 * flight and a chunk that would block is retried with exactly its bytes. */
static gboolean
flush_tls (FwsTransport *t)
{
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (t->io));

  if (t->tls_chunk == NULL)
    t->tls_chunk = g_byte_array_sized_new (TLS_CHUNK);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize w;

      if (t->tls_off == t->tls_chunk->len)
        {
          g_byte_array_set_size (t->tls_chunk, 0);
          t->tls_off = 0;
          while (t->out_head < t->out->len && t->tls_chunk->len < TLS_CHUNK)
            {
              OutChunk *c = &g_array_index (t->out, OutChunk, t->out_head);
              gsize take = MIN (c->len, TLS_CHUNK - t->tls_chunk->len);

              g_byte_array_append (t->tls_chunk, chunk_data (t, c), (guint) take);
              c->offset += take;
              c->len -= take;
              if (c->len == 0)
                {
                  g_clear_pointer (&c->bytes, g_bytes_unref);
                  t->out_head++;
                }
            }
          if (t->tls_chunk->len == 0)
            {
              out_reset_if_empty (t);
              return TRUE;
            }
        }

      w = g_pollable_output_stream_write_nonblocking (out, t->tls_chunk->data + t->tls_off,
                                                      t->tls_chunk->len - t->tls_off,
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
      g_assert ((gsize) w <= t->tls_chunk->len - t->tls_off);
      t->tls_off += (gsize) w;
      t->out_bytes -= (gsize) w;   /* counts the chunk in flight too */
      t->total_written += (gsize) w;
    }
}

static void
update_events (FwsTransport *t,
               gboolean      want_write)
{
  guint32 events = 0;

  if (t->watch == NULL || t->dead)
    return;
  if (t->reading)
    events |= EPOLLIN;
  if (want_write)
    events |= EPOLLOUT;
  fws_loop_watch_set_events (t->watch, events);
}

static void
do_flush (FwsTransport *t)
{
  gboolean had_data = t->out_bytes > 0;
  guint64 written_before = t->total_written;
  gboolean done;

  if (t->dead || t->io == NULL)
    return;
  done = t->is_tls ? flush_tls (t) : flush_plain (t);
  if (t->dead || t->io == NULL)
    return;
  update_events (t, !done);
  if (t->total_written != written_before && t->callbacks.written != NULL)
    {
      t->callbacks.written (t->user_data);
      if (t->dead || t->io == NULL)
        return;
    }
  if (done && had_data)
    t->callbacks.drained (t->user_data);
}

/* ---- Input ---- */

static void
do_read (FwsTransport *t)
{
  gsize size;
  guint8 *buf;

  if (!t->reading || t->watch == NULL)
    return;
  buf = fws_loop_watch_get_buffer (t->watch, &size);

  for (guint i = 0; i < MAX_READS_PER_WAKEUP; i++)
    {
      gssize n;

      if (!t->reading || t->dead || t->io == NULL)
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
      t->callbacks.received (t->user_data, buf, (gsize) n);
      /* A short read on a plain socket: the kernel has nothing more. */
      if ((gsize) n < size && !t->is_tls)
        return;
    }

  /* Fairness: come back in the next dispatch. TLS may hold decrypted bytes
   * that epoll cannot see (PLATFORM.md 3), so it must be woken. */
  if (t->watch && t->reading && !t->dead)
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
  /* Anything queued before the stream existed. */
  if (t->out_bytes > 0)
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
  /* TLS may already hold decrypted bytes that epoll will never announce. */
  if (reading && t->is_tls)
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
  return t->io != NULL && !t->dead;
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
