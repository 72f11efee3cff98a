/* fws-connection-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The connection shell: what a server-side WebSocket, an EventSource stream
 * and a client share, written once. It owns the transport, takes the
 * connection over from either door (a SoupServerMessage, or an FwsRequest
 * read from a GIOStream the program accepted) or adopts a connected stream
 * (the client), runs the lifecycle timers and finishes exactly once.
 *
 * The contract:
 * - In: the owner's commands (write through the transport, set a timer,
 *   finish with or without flushing).
 * - Out: the callbacks below, always from the main loop of the context
 *   that was thread-default when the shell was made, never inside a call
 *   the owner made; the owner is kept alive while they run.
 * - finished is called exactly once, after which nothing more is read,
 *   written or timed. A held owner is released right after it.
 * - No protocol rule lives here: no parsing, no status codes, no signals.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-request.h"
#include "fws-transport-private.h"

G_BEGIN_DECLS

typedef enum
{
  FWS_CONNECTION_TIMER_HANDSHAKE,
  FWS_CONNECTION_TIMER_CLOSE,
  FWS_CONNECTION_TIMER_PING,
  FWS_CONNECTION_TIMER_PONG,
  FWS_CONNECTION_N_TIMERS
} FwsConnectionTimer;

typedef struct
{
  /* The connection was taken over: write the first bytes. @early holds
   * what the peer sent right behind its request head. Reading starts once
   * this returns, unless the owner finished. */
  void (*start)    (GObject *owner, const guint8 *early, gsize len);
  /* Bytes from the peer. */
  void (*received) (GObject *owner, const guint8 *data, gsize len);
  /* The peer closed (@error NULL) or the stream failed: nothing more is
   * read or written, and the shell finishes after this returns. */
  void (*failed)   (GObject *owner, const GError *error);
  /* (nullable) Everything queued has been written. */
  void (*drained)  (GObject *owner);
  /* (nullable) Bytes reached the kernel. */
  void (*written)  (GObject *owner);
  /* A timer set with fws_connection_set_timer() expired (it is cleared). */
  void (*timeout)  (GObject *owner, FwsConnectionTimer timer);
  /* The connection is over: report it (the close signal). Once. */
  void (*finished) (GObject *owner);
  /* (nullable) The server program closes every connection it serves
   * (fws_server_close_all): close with @code and @reason as the protocol
   * allows. Server connections only. */
  void (*shutdown) (GObject *owner, guint code, const char *reason);
} FwsConnectionCallbacks;

typedef struct _FwsConnection FwsConnection;

FwsConnection *fws_connection_new         (GObject                      *owner,
                                           const FwsConnectionCallbacks *callbacks);
void           fws_connection_free        (FwsConnection *conn);
/* From the owner's dispose: stops every source and closes the stream. */
void           fws_connection_dispose     (FwsConnection *conn);

/* The doors. Each may be used once; each holds the owner until finished
 * and calls start from the main loop. */
gboolean       fws_connection_take_message (FwsConnection      *conn,
                                            SoupServerMessage  *msg,
                                            GError            **error);
gboolean       fws_connection_take_request (FwsConnection      *conn,
                                            FwsRequest         *request,
                                            GError            **error);
/* A connected stream (the client's, from the connector). */
gboolean       fws_connection_take_stream  (FwsConnection      *conn,
                                            GIOStream          *stream,
                                            GError            **error);
/* Whether a door was used. */
gboolean       fws_connection_is_attached  (FwsConnection *conn);

/* Keeps the owner alive until finished (doors do it themselves). */
void           fws_connection_hold        (FwsConnection *conn);

FwsTransport  *fws_connection_get_transport (FwsConnection *conn);
/* The transport's hard limit and water marks (fws_transport_set_max_queued,
 * fws_transport_set_water_marks), kept for the transport a door brings.
 * Without it the transport's defaults hold, and take_stream turns the
 * water marks off (a client). */
void           fws_connection_set_limits    (FwsConnection *conn,
                                             guint64        max_queued,
                                             guint64        high_water,
                                             guint64        low_water);
GMainContext  *fws_connection_get_context   (FwsConnection *conn);

/* Starts or restarts a timer; 0 ms clears it. */
void           fws_connection_set_timer   (FwsConnection      *conn,
                                           FwsConnectionTimer  timer,
                                           guint               msec);
void           fws_connection_clear_timer (FwsConnection      *conn,
                                           FwsConnectionTimer  timer);
gboolean       fws_connection_has_timer   (FwsConnection      *conn,
                                           FwsConnectionTimer  timer);

/* Ends the connection from the main loop: with @flush, once what is queued
 * was written (bound it with the close timer); without, dropping it. Stops
 * reading at once. Calling it again may only drop the flush. */
void           fws_connection_finish      (FwsConnection *conn,
                                           gboolean       flush);
/* finish was called (or the transport failed): no more input is wanted. */
gboolean       fws_connection_is_closing  (FwsConnection *conn);
/* The transport failed or was dropped: nothing more can be written. */
gboolean       fws_connection_is_dead     (FwsConnection *conn);
gboolean       fws_connection_is_finished (FwsConnection *conn);

/* Calls shutdown on every server connection of @context that has not
 * finished; returns how many. */
guint          fws_connection_shutdown_all (GMainContext *context,
                                            guint         code,
                                            const char   *reason);

/* Whether a server class may take a request over: HTTP/1.x, else
 * FWS_ERROR_NOT_SUPPORTED with @not_http1; of its kind (@is_kind), else
 * FWS_ERROR_HANDSHAKE with @not_kind. The messages come translated. */
gboolean       fws_connection_check_request (SoupHTTPVersion   version,
                                             gboolean          is_kind,
                                             const char       *not_http1,
                                             const char       *not_kind,
                                             GError          **error);

G_END_DECLS
