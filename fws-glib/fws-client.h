/* fws-client.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include "fws-web-socket.h"

G_BEGIN_DECLS

#define FWS_TYPE_CLIENT (fws_client_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsClient, fws_client, FWS, CLIENT, FwsWebSocket)

FWS_AVAILABLE_IN_ALL
FwsClient          *fws_client_new                 (const char          *url,
                                                    const char * const  *protocols,
                                                    GError             **error);
FWS_AVAILABLE_IN_ALL
guint               fws_client_get_status          (FwsClient           *self);

G_END_DECLS
