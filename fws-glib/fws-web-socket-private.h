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

/* What FwsClient adds to each connection; the members may be NULL. */
typedef struct
{
  /* From the main loop, right before connecting: returns the options to
   * connect with (read then, instead of those given to
   * fws_web_socket_connect) and may set *@request_headers (transfer full)
   * to the extra headers of this handshake request, which then replace
   * @extra_headers (the extra-headers property, nullable). */
  const FwsConnectorOptions *(*prepare)  (FwsWebSocket        *self,
                                          SoupMessageHeaders  *extra_headers,
                                          SoupMessageHeaders **request_headers);
  /* The handshake response head arrived (whatever its status): right
   * before open, or before error when the handshake failed. */
  void                       (*response) (FwsWebSocket        *self,
                                          SoupMessageHeaders  *response_headers);
} FwsWebSocketClientHooks;

/* Sets the hooks (static, or alive as long as @self) before
 * fws_web_socket_connect. */
void  fws_web_socket_set_client_hooks (FwsWebSocket                  *self,
                                       const FwsWebSocketClientHooks *hooks);

/* The client side: the handshake response's status, 0 before it arrived. */
guint fws_web_socket_get_status (FwsWebSocket *self);

G_END_DECLS
