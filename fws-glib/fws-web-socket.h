/* fws-web-socket.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-version-macros.h"
#include "fws-types.h"
#include "fws-extension.h"
#include "fws-request.h"

G_BEGIN_DECLS

#define FWS_TYPE_WEB_SOCKET (fws_web_socket_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (FwsWebSocket, fws_web_socket, FWS, WEB_SOCKET, GObject)

struct _FwsWebSocketClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer padding[8];
};

FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_is_websocket_request (SoupServerMessage   *msg);

FWS_AVAILABLE_IN_ALL
FwsWebSocket       *fws_web_socket_new                  (SoupServerMessage   *msg,
                                                         const char * const  *protocols,
                                                         GError             **error);

FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_accept               (FwsWebSocket        *self,
                                                         SoupServerMessage   *msg,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
FwsWebSocket       *fws_web_socket_new_for_request      (FwsRequest          *request,
                                                         const char * const  *protocols,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_accept_request       (FwsWebSocket        *self,
                                                         FwsRequest          *request,
                                                         GError             **error);

FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_send_text            (FwsWebSocket        *self,
                                                         const char          *text,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_send_text_len        (FwsWebSocket        *self,
                                                         const char          *text,
                                                         gssize               len,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_send_binary          (FwsWebSocket        *self,
                                                         GBytes              *data,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_send                 (FwsWebSocket        *self,
                                                         FwsMessageType       type,
                                                         GBytes              *data,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_send_data            (FwsWebSocket        *self,
                                                         FwsMessageType       type,
                                                         const guint8        *data,
                                                         gsize                len,
                                                         GError             **error);

/**
 * FwsMessageFunc:
 * @self: the connection
 * @type: the message type
 * @data: the payload, as for [signal@Fws.WebSocket::message]
 * @user_data: the data given to fws_web_socket_set_message_func()
 *
 * Receives every complete message of a connection instead of the
 * [signal@Fws.WebSocket::message] signal. See
 * fws_web_socket_set_message_func().
 *
 * Since: 0.2
 */
typedef void (*FwsMessageFunc) (FwsWebSocket   *self,
                                FwsMessageType  type,
                                GBytes         *data,
                                gpointer        user_data);

FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_message_func     (FwsWebSocket        *self,
                                                         FwsMessageFunc       func,
                                                         gpointer             user_data,
                                                         GDestroyNotify       destroy);

FWS_AVAILABLE_IN_ALL
void                fws_web_socket_send_async           (FwsWebSocket        *self,
                                                         FwsMessageType       type,
                                                         GBytes              *data,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_send_finish          (FwsWebSocket        *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

FWS_AVAILABLE_IN_ALL
void                fws_web_socket_ping_async           (FwsWebSocket        *self,
                                                         GBytes              *payload,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_ping_finish          (FwsWebSocket        *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_close                (FwsWebSocket        *self,
                                                         guint                code,
                                                         const char          *reason,
                                                         GError             **error);

FWS_AVAILABLE_IN_ALL
FwsReadyState       fws_web_socket_get_ready_state      (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_web_socket_get_url              (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_web_socket_get_protocol         (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_web_socket_get_version          (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
guint64             fws_web_socket_get_buffered_amount  (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
guint64             fws_web_socket_get_max_length       (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_max_length       (FwsWebSocket        *self,
                                                         guint64              max_length);
FWS_AVAILABLE_IN_ALL
guint64             fws_web_socket_get_max_buffered     (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_max_buffered     (FwsWebSocket        *self,
                                                         guint64              max_buffered);
FWS_AVAILABLE_IN_ALL
guint64             fws_web_socket_get_high_water_mark  (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_high_water_mark  (FwsWebSocket        *self,
                                                         guint64              bytes);
FWS_AVAILABLE_IN_ALL
guint64             fws_web_socket_get_low_water_mark   (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_low_water_mark   (FwsWebSocket        *self,
                                                         guint64              bytes);
FWS_AVAILABLE_IN_ALL
FwsSendOverflow     fws_web_socket_get_send_overflow    (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_send_overflow    (FwsWebSocket        *self,
                                                         FwsSendOverflow      policy);
FWS_AVAILABLE_IN_ALL
SoupMessageHeaders *fws_web_socket_get_headers          (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
SoupMessageHeaders *fws_web_socket_get_extra_headers    (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_extra_headers    (FwsWebSocket        *self,
                                                         SoupMessageHeaders  *headers);
FWS_AVAILABLE_IN_ALL
const char * const *fws_web_socket_get_protocols        (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
const char * const *fws_web_socket_get_allowed_origins  (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_allowed_origins  (FwsWebSocket        *self,
                                                         const char * const  *origins);
FWS_AVAILABLE_IN_ALL
guint               fws_web_socket_get_close_timeout    (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_close_timeout    (FwsWebSocket        *self,
                                                         guint                msec);

FWS_AVAILABLE_IN_ALL
guint               fws_web_socket_get_handshake_timeout (FwsWebSocket       *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_handshake_timeout (FwsWebSocket       *self,
                                                          guint               msec);
FWS_AVAILABLE_IN_ALL
guint               fws_web_socket_get_ping_interval    (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_ping_interval    (FwsWebSocket        *self,
                                                         guint                msec);
FWS_AVAILABLE_IN_ALL
guint               fws_web_socket_get_pong_timeout     (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_pong_timeout     (FwsWebSocket        *self,
                                                         guint                msec);

FWS_AVAILABLE_IN_ALL
gboolean            fws_web_socket_add_extension        (FwsWebSocket        *self,
                                                         FwsExtension        *extension,
                                                         GError             **error);
FWS_AVAILABLE_IN_ALL
GPtrArray          *fws_web_socket_get_extensions       (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
void                fws_web_socket_set_extensions       (FwsWebSocket        *self,
                                                         GPtrArray           *extensions);

FWS_AVAILABLE_IN_ALL
GPtrArray          *fws_web_socket_get_extension_sessions (FwsWebSocket      *self);

FWS_AVAILABLE_IN_ALL
guint               fws_web_socket_get_close_code       (FwsWebSocket        *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_web_socket_get_close_reason     (FwsWebSocket        *self);

G_END_DECLS
