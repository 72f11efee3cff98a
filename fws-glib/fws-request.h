/* fws-request.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-version-macros.h"

G_BEGIN_DECLS

#define FWS_TYPE_REQUEST (fws_request_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsRequest, fws_request, FWS, REQUEST, GObject)

FWS_AVAILABLE_IN_ALL
void                fws_request_read_async            (GIOStream            *stream,
                                                       guint                 timeout_ms,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
FWS_AVAILABLE_IN_ALL
FwsRequest         *fws_request_read_finish           (GAsyncResult         *result,
                                                       GError              **error);

FWS_AVAILABLE_IN_ALL
const char         *fws_request_get_method            (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_request_get_path              (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_request_get_query             (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
SoupHTTPVersion     fws_request_get_http_version      (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
SoupMessageHeaders *fws_request_get_headers           (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_request_get_secure            (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_request_is_websocket          (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_request_is_event_source       (FwsRequest           *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_request_respond               (FwsRequest           *self,
                                                       guint                 status,
                                                       const char           *content_type,
                                                       const char           *body,
                                                       GError              **error);

/* Servers */
FWS_AVAILABLE_IN_ALL
guint               fws_server_close_all              (guint                 code,
                                                       const char           *reason);

G_END_DECLS
