/* fws-web-socket-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What FwsClient needs from its parent.
 */
#pragma once

#include "fws-web-socket.h"
#include "fws-driver-private.h"

G_BEGIN_DECLS

const FwsDriverCallbacks *fws_web_socket_get_driver_callbacks (void);

/* Takes ownership of @driver, made with the callbacks above and @self. */
void          fws_web_socket_set_driver     (FwsWebSocket *self,
                                             FwsDriver    *driver);
FwsDriver    *fws_web_socket_get_driver     (FwsWebSocket *self);
GMainContext *fws_web_socket_get_context    (FwsWebSocket *self);
void          fws_web_socket_set_url        (FwsWebSocket *self,
                                             const char   *url);

/* Adopts a connected stream (a GSocketConnection, or a GTlsConnection over
 * one) and starts the driver: its first bytes go out, and reading begins. */
void          fws_web_socket_begin          (FwsWebSocket *self,
                                             GIOStream    *stream);

/* A failure before any transport exists (client: DNS, connect, TLS): emits
 * error, then close (1006), from the main loop. */
void          fws_web_socket_fail_early     (FwsWebSocket *self,
                                             const GError *error);

/* Keeps @self alive until its close signal has been emitted, and starts
 * the handshake-timeout clock. */
void          fws_web_socket_hold           (FwsWebSocket *self);

/* The subclass runs the handshake-timeout clock itself (FwsClient: it
 * spans name lookup, proxies and TLS, and knows what to cancel). */
void          fws_web_socket_set_handshake_timer_external (FwsWebSocket *self);

/* Called by the class when the connection finishes, to stop a connect in
 * progress. */
typedef void (*FwsWebSocketAbortFunc) (FwsWebSocket *self);
void          fws_web_socket_set_abort_func (FwsWebSocket          *self,
                                             FwsWebSocketAbortFunc  func);

G_END_DECLS
