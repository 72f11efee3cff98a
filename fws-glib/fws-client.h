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
FwsClient          *fws_client_new                   (const char          *url,
                                                      const char * const  *protocols,
                                                      GError             **error);
FWS_AVAILABLE_IN_ALL
guint               fws_client_get_status            (FwsClient           *self);

FWS_AVAILABLE_IN_ALL
gboolean            fws_client_get_reconnect                (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_reconnect                (FwsClient           *self,
                                                             gboolean             reconnect);
FWS_AVAILABLE_IN_ALL
guint               fws_client_get_reconnect_initial_delay  (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_reconnect_initial_delay  (FwsClient           *self,
                                                             guint                msec);
FWS_AVAILABLE_IN_ALL
guint               fws_client_get_reconnect_max_delay      (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_reconnect_max_delay      (FwsClient           *self,
                                                             guint                msec);
FWS_AVAILABLE_IN_ALL
guint               fws_client_get_reconnect_max_attempts   (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_reconnect_max_attempts   (FwsClient           *self,
                                                             guint                max_attempts);
FWS_AVAILABLE_IN_ALL
GNetworkMonitor    *fws_client_get_network_monitor          (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_network_monitor          (FwsClient           *self,
                                                             GNetworkMonitor     *monitor);

FWS_AVAILABLE_IN_ALL
gboolean            fws_client_get_tls_verify        (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_tls_verify        (FwsClient           *self,
                                                      gboolean             verify);
FWS_AVAILABLE_IN_ALL
const char * const *fws_client_get_tls_ca_files      (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_tls_ca_files      (FwsClient           *self,
                                                      const char * const  *files);
FWS_AVAILABLE_IN_ALL
GTlsDatabase       *fws_client_get_tls_database      (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_tls_database      (FwsClient           *self,
                                                      GTlsDatabase        *database);
FWS_AVAILABLE_IN_ALL
GTlsCertificate    *fws_client_get_tls_certificate   (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_tls_certificate   (FwsClient           *self,
                                                      GTlsCertificate     *certificate);

FWS_AVAILABLE_IN_ALL
const char         *fws_client_get_proxy             (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_proxy             (FwsClient           *self,
                                                      const char          *proxy);
FWS_AVAILABLE_IN_ALL
SoupMessageHeaders *fws_client_get_proxy_headers     (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_proxy_headers     (FwsClient           *self,
                                                      SoupMessageHeaders  *headers);
FWS_AVAILABLE_IN_ALL
gboolean            fws_client_get_use_system_proxy  (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_use_system_proxy  (FwsClient           *self,
                                                      gboolean             use_system_proxy);

FWS_AVAILABLE_IN_ALL
SoupSession        *fws_client_get_session           (FwsClient           *self);
FWS_AVAILABLE_IN_ALL
void                fws_client_set_session           (FwsClient           *self,
                                                      SoupSession         *session);

G_END_DECLS
