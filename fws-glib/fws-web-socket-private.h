/* fws-web-socket-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What FwsClient needs from its parent: two calls, and nothing of the
 * parent's insides.
 */
#pragma once

#include "fws-web-socket.h"
#include "fws-connector-private.h"

G_BEGIN_DECLS

/* The client side, for reconnecting (FwsClient). @ended is called once
 * per connection when it ended, after the error signal and before close:
 * with the close code and reason close would report, the failure that
 * ended it (nullable: a close frame, or an EOF without one), whether it
 * had opened, and whether the program called close (). To connect again
 * it calls fws_web_socket_reset () and returns TRUE: close is not emitted
 * then. Returning FALSE lets close be emitted as always. */
typedef gboolean (*FwsWebSocketEndedFunc) (FwsWebSocket *self,
                                           guint         code,
                                           const char   *reason,
                                           const GError *error,
                                           gboolean      opened,
                                           gboolean      by_program);
void  fws_web_socket_set_ended_func (FwsWebSocket          *self,
                                     FwsWebSocketEndedFunc  ended);

/* From @ended only: back to CONNECTING with a fresh shell and no driver
 * (no protocol, no extensions, no status, close code 0; send fails until
 * fws_web_socket_reconnect ()). The shell keeps the object alive. */
void  fws_web_socket_reset      (FwsWebSocket *self);

/* After fws_web_socket_reset (): a new driver (a new key; the url,
 * protocols, extra headers and extensions as set), then the connector
 * when the main loop next runs, as fws_web_socket_connect () does. */
void  fws_web_socket_reconnect  (FwsWebSocket *self);

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

/* FwsClient's defaults, from its instance init: the water marks off
 * (docs/limits.md: two peers that both pause can deadlock). */
void  fws_web_socket_set_client_limits (FwsWebSocket *self);

/* For the hub (fws-hub.c): how a message may reach this connection. */
typedef enum
{
  FWS_WEB_SOCKET_SHARE_NONE,     /* send it through fws_web_socket_send () */
  FWS_WEB_SOCKET_SHARE_PLAIN,    /* the unmasked frame without RSV bits */
  FWS_WEB_SOCKET_SHARE_DEFLATE,  /* the compressed frame for the key */
} FwsWebSocketShare;

/* A server connection that is OPEN on RFC 6455 with no extension takes
 * PLAIN frames; with permessage-deflate alone, without context takeover on
 * our side, DEFLATE frames (@deflate_key set; messages shorter than
 * @deflate_threshold take the PLAIN frame); anything else (client
 * side: frames are masked; hixie; CONNECTING; other extensions) NONE. */
FwsWebSocketShare fws_web_socket_get_share     (FwsWebSocket  *self,
                                                guint32       *deflate_key,
                                                guint         *deflate_threshold);
/* fws_web_socket_send for the hub: a message past max-buffered fails with
 * FWS_ERROR_QUEUE_FULL and the send-overflow policy is not applied (the
 * hub's overflow-policy is). */
gboolean          fws_web_socket_send_for_hub  (FwsWebSocket    *self,
                                                FwsMessageType   type,
                                                GBytes          *data,
                                                GError         **error);
/* Queues a whole frame built for the share get_share () returned, by
 * reference. FALSE with FWS_ERROR_CLOSED once closing, or
 * FWS_ERROR_QUEUE_FULL past the hard limit (nothing queued). */
gboolean          fws_web_socket_send_prebuilt (FwsWebSocket  *self,
                                                GBytes        *frame,
                                                GError       **error);
/* Bytes queued for the peer and the high-water mark (0: none). */
void              fws_web_socket_get_queue     (FwsWebSocket  *self,
                                                guint64       *queued,
                                                guint64       *high_water);

G_END_DECLS
