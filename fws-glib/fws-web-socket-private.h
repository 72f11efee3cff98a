/* fws-web-socket-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What FwsClient needs from its parent: two calls, and nothing of the
 * parent's insides.
 */
#pragma once

#include "fws-web-socket.h"
#include "fws-connector-private.h"

G_BEGIN_DECLS

/* The client side, called once at construction: makes the client
 * driver for the url property (sends are queued from now on) and, when the
 * main loop next runs, connects through the connector with @options, then
 * writes the handshake request; the handshake-timeout covers both and
 * cancels the connector. @options is read then (FwsClient keeps its
 * properties in it), and the connector copies it. A failure is reported
 * with error, then close (1006). The connection keeps itself alive until
 * it closed. */
void  fws_web_socket_connect    (FwsWebSocket              *self,
                                 const FwsConnectorOptions *options);

/* The client side: the handshake response's status, 0 before it arrived. */
guint fws_web_socket_get_status (FwsWebSocket *self);

/* FwsClient's defaults, from its instance init: the water marks off
 * (docs/limits.md: two peers that both pause can deadlock). */
void  fws_web_socket_set_client_limits (FwsWebSocket *self);

G_END_DECLS
