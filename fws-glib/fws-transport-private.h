/* fws-transport-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The byte pipe under FwsWebSocket and FwsEventSource: a connected stream
 * (plain TCP, or TLS over it) watched by the context's one epoll source
 * (fws-loop), an ordered write queue drained in batches (sendmsg with
 * iovecs on plain sockets; on TLS one chunk of at most 16 KiB in flight,
 * retried with exactly its bytes, PLATFORM.md 3), and reads until the
 * stream would block. It also takes a connection over from a SoupServer
 * handler without losing what libsoup read ahead (PLATFORM.md 1).
 *
 * Callbacks run from the main loop only, never inside a call the owner
 * made; the owner is kept alive while they run.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  /* Bytes arrived (only while reading). */
  void (*received) (gpointer user_data, const guint8 *data, gsize len);
  /* The peer closed (@error NULL) or the stream failed; the queue was
   * dropped, nothing more will be read or written. */
  void (*failed)   (gpointer user_data, const GError *error);
  /* The queue became empty after a flush that wrote something. */
  void (*drained)  (gpointer user_data);
  /* (nullable) A flush handed bytes to the kernel (before drained). */
  void (*written)  (gpointer user_data);
} FwsTransportCallbacks;

typedef struct _FwsTransport FwsTransport;

/* @owner is kept alive while a callback runs; callbacks get @user_data. */
FwsTransport *fws_transport_new          (GMainContext                *context,
                                          GObject                     *owner,
                                          const FwsTransportCallbacks *callbacks,
                                          gpointer                     user_data);
/* Hands the transport to another owner (a request read by the GIOStream
 * door, taken over by a connection). */
void          fws_transport_set_owner    (FwsTransport                *transport,
                                          GObject                     *owner,
                                          const FwsTransportCallbacks *callbacks,
                                          gpointer                     user_data);
/* Releases the stream (see fws_transport_release) and frees. */
void          fws_transport_free         (FwsTransport *transport);

/* Takes the connection of @msg over from libsoup. What libsoup had read
 * ahead (and what the kernel held) is appended to @early_input. Reading
 * does not start until fws_transport_set_reading(). */
gboolean      fws_transport_steal        (FwsTransport       *transport,
                                          SoupServerMessage  *msg,
                                          GByteArray         *early_input,
                                          GError            **error);
/* Adopts a connected GSocketConnection, GTlsConnection over one, or a
 * GTcpWrapperConnection around a GTlsConnection. */
gboolean      fws_transport_adopt        (FwsTransport *transport,
                                          GIOStream    *stream);

/* Queues bytes: copied. */
void          fws_transport_write        (FwsTransport *transport,
                                          const guint8 *data,
                                          gsize         len);
/* Queues bytes: large ones are referenced and written without a copy. */
void          fws_transport_write_bytes  (FwsTransport *transport,
                                          GBytes       *bytes);
/* Bytes queued and not yet handed to the kernel. */
guint64       fws_transport_get_queued   (FwsTransport *transport);
/* Bytes ever queued, and ever handed to the kernel: a byte queued when
 * the first was N is written once the second reaches N. */
guint64       fws_transport_get_total_queued  (FwsTransport *transport);
guint64       fws_transport_get_total_written (FwsTransport *transport);
/* Forgets what is queued. */
void          fws_transport_clear_queue  (FwsTransport *transport);

void          fws_transport_set_reading  (FwsTransport *transport,
                                          gboolean      reading);
gboolean      fws_transport_is_tls       (FwsTransport *transport);
/* A stream is attached and has not failed or been released. */
gboolean      fws_transport_is_open      (FwsTransport *transport);

/* Closes the stream now, without flushing; idempotent. */
void          fws_transport_release      (FwsTransport *transport);

G_END_DECLS
