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
 * Bounds (docs/limits.md): every length on the queue is a gsize and every
 * count a guint64 (no GByteArray/GArray, whose guint lengths abort past
 * 4 GiB, PLATFORM.md 7). A hard limit refuses writes that would queue more
 * than it; above a high-water mark reading from the peer pauses until the
 * queue drains to a low-water mark, so TCP back-pressure reaches a peer
 * that sends faster than it reads what we answer.
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
  /* (nullable) The queue rose above the high-water mark (@above TRUE:
   * reading paused) or fell back to the low-water mark (@above FALSE:
   * reading resumed, if the owner wants it). */
  void (*pressure) (gpointer user_data, gboolean above);
} FwsTransportCallbacks;

/* Defaults (docs/limits.md explains them). */
#define FWS_TRANSPORT_DEFAULT_MAX_QUEUED  (G_GUINT64_CONSTANT (1) << 30)   /* 1 GiB */
#define FWS_TRANSPORT_DEFAULT_HIGH_WATER  (G_GUINT64_CONSTANT (1) << 20)   /* 1 MiB */
#define FWS_TRANSPORT_DEFAULT_LOW_WATER   (G_GUINT64_CONSTANT (256) << 10) /* 256 KiB */

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

/* Queues bytes: copied. Returns FALSE with FWS_ERROR_QUEUE_FULL, and
 * queues nothing, when the queue would pass the hard limit; FALSE with
 * FWS_ERROR_CLOSED once the stream failed or was released. */
gboolean      fws_transport_try_write        (FwsTransport  *transport,
                                              const guint8  *data,
                                              gsize          len,
                                              GError       **error);
/* The same; large payloads are referenced and written without a copy. */
gboolean      fws_transport_try_write_bytes  (FwsTransport  *transport,
                                              GBytes        *bytes,
                                              GError       **error);
/* A frame header (copied) and its payload, all or nothing. */
gboolean      fws_transport_try_write_frame  (FwsTransport  *transport,
                                              const guint8  *header,
                                              gsize          header_len,
                                              GBytes        *payload,
                                              GError       **error);
/* The same, always by reference whatever the size: bytes shared by many
 * transports (the hub's pre-built frames) are never copied. */
gboolean      fws_transport_try_write_shared (FwsTransport  *transport,
                                              GBytes        *bytes,
                                              GError       **error);
/* Like the try_ variants, for callers that do not handle the error: a
 * write past the hard limit queues nothing and fails the transport (the
 * failed callback runs from the main loop with FWS_ERROR_QUEUE_FULL), so
 * the peer never sees a stream with a piece missing. */
void          fws_transport_write        (FwsTransport *transport,
                                          const guint8 *data,
                                          gsize         len);
void          fws_transport_write_bytes  (FwsTransport *transport,
                                          GBytes       *bytes);
void          fws_transport_write_frame  (FwsTransport *transport,
                                          const guint8 *header,
                                          gsize         header_len,
                                          GBytes       *payload);
/* Bytes that pass the hard limit, for an owner that bounds them itself:
 * WebSocket control frames (at most one pong waits, and a close frame
 * must go out when the queue is full), data the owner checked against
 * the limit before formatting it. Copied; nothing is queued once the
 * stream failed. */
void          fws_transport_write_unlimited (FwsTransport *transport,
                                             const guint8 *data,
                                             gsize         len);

/* The hard limit on bytes queued (including a TLS chunk in flight);
 * 0: none. Default FWS_TRANSPORT_DEFAULT_MAX_QUEUED. */
void          fws_transport_set_max_queued (FwsTransport *transport,
                                            guint64       max_queued);
guint64       fws_transport_get_max_queued (FwsTransport *transport);
/* Reading pauses while more than @high bytes are queued and resumes once
 * at most @low are (@low is clamped to @high). @high 0: never pause.
 * Defaults FWS_TRANSPORT_DEFAULT_HIGH_WATER / _LOW_WATER. Two peers that
 * both pause can deadlock (docs/limits.md): a client turns it off. */
void          fws_transport_set_water_marks (FwsTransport *transport,
                                             guint64       high,
                                             guint64       low);
void          fws_transport_get_water_marks (FwsTransport *transport,
                                             guint64      *high,
                                             guint64      *low);
/* Reading is paused by the high-water mark (whatever the owner asked). */
gboolean      fws_transport_is_read_paused (FwsTransport *transport);
/* Bytes queued and not yet handed to the kernel. */
guint64       fws_transport_get_queued   (FwsTransport *transport);
/* Bytes ever queued, and ever handed to the kernel: a byte queued when
 * the first was N is written once the second reaches N. */
guint64       fws_transport_get_total_queued  (FwsTransport *transport);
guint64       fws_transport_get_total_written (FwsTransport *transport);
/* Bytes ever read from the stream and handed to the received callback. */
guint64       fws_transport_get_total_read    (FwsTransport *transport);
/* Forgets what is queued. */
void          fws_transport_clear_queue  (FwsTransport *transport);

/* Whether the owner wants input. Bytes are read only while the owner
 * wants them and the high-water mark does not pause reading. */
void          fws_transport_set_reading  (FwsTransport *transport,
                                          gboolean      reading);
gboolean      fws_transport_is_tls       (FwsTransport *transport);
/* A stream is attached and has not failed or been released. */
gboolean      fws_transport_is_open      (FwsTransport *transport);

/* Fairness: the owner did not finish with its input in this dispatch.
 * @rest (@len bytes, possibly 0; it may point into the data given to
 * received) is kept and handed to received again from a later dispatch,
 * before anything more is read from the stream; until then the stream is
 * not watched for input, so the peer's bytes wait in the kernel. Nothing
 * is handed over while reading is off or paused; it resumes with them. */
void          fws_transport_defer        (FwsTransport *transport,
                                          const guint8 *rest,
                                          gsize         len);
gboolean      fws_transport_is_deferred  (FwsTransport *transport);
/* The dispatch of the context's loop in progress (or the last one): the
 * same value for every callback made in one dispatch. */
guint64       fws_transport_get_dispatch (FwsTransport *transport);

/* Closes the stream now, without flushing; idempotent. */
void          fws_transport_release      (FwsTransport *transport);

G_END_DECLS
