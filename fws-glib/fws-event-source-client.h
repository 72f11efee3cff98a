/* fws-event-source-client.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-version-macros.h"
#include "fws-types.h"

G_BEGIN_DECLS

#define FWS_TYPE_EVENT_SOURCE_CLIENT (fws_event_source_client_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsEventSourceClient, fws_event_source_client, FWS, EVENT_SOURCE_CLIENT, GObject)

FWS_AVAILABLE_IN_ALL
FwsEventSourceClient *fws_event_source_client_new                   (const char            *url,
                                                                     GError               **error);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_close                 (FwsEventSourceClient  *self);

FWS_AVAILABLE_IN_ALL
const char           *fws_event_source_client_get_url               (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
FwsReadyState         fws_event_source_client_get_ready_state       (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
const char           *fws_event_source_client_get_last_event_id     (FwsEventSourceClient  *self);

FWS_AVAILABLE_IN_ALL
guint                 fws_event_source_client_get_reconnection_time (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_reconnection_time (FwsEventSourceClient  *self,
                                                                     guint                  msec);
FWS_AVAILABLE_IN_ALL
gboolean              fws_event_source_client_get_reconnect         (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_reconnect         (FwsEventSourceClient  *self,
                                                                     gboolean               reconnect);
FWS_AVAILABLE_IN_ALL
guint                 fws_event_source_client_get_reconnect_initial_delay (FwsEventSourceClient *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_reconnect_initial_delay (FwsEventSourceClient *self,
                                                                           guint                 msec);
FWS_AVAILABLE_IN_ALL
guint                 fws_event_source_client_get_reconnect_max_delay (FwsEventSourceClient *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_reconnect_max_delay (FwsEventSourceClient *self,
                                                                       guint                 msec);
FWS_AVAILABLE_IN_ALL
guint                 fws_event_source_client_get_reconnect_max_attempts (FwsEventSourceClient *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_reconnect_max_attempts (FwsEventSourceClient *self,
                                                                          guint                 max_attempts);
FWS_AVAILABLE_IN_ALL
GNetworkMonitor      *fws_event_source_client_get_network_monitor   (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_network_monitor   (FwsEventSourceClient  *self,
                                                                     GNetworkMonitor       *monitor);
FWS_AVAILABLE_IN_ALL
guint                 fws_event_source_client_get_handshake_timeout (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_handshake_timeout (FwsEventSourceClient  *self,
                                                                     guint                  msec);
FWS_AVAILABLE_IN_ALL
guint                 fws_event_source_client_get_max_redirects     (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_max_redirects     (FwsEventSourceClient  *self,
                                                                     guint                  max_redirects);
FWS_AVAILABLE_IN_ALL
guint64               fws_event_source_client_get_max_line_length   (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_max_line_length   (FwsEventSourceClient  *self,
                                                                     guint64                max_line_length);
FWS_AVAILABLE_IN_ALL
guint64               fws_event_source_client_get_max_event_size    (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_max_event_size    (FwsEventSourceClient  *self,
                                                                     guint64                max_event_size);
FWS_AVAILABLE_IN_ALL
SoupMessageHeaders   *fws_event_source_client_get_extra_headers     (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_extra_headers     (FwsEventSourceClient  *self,
                                                                     SoupMessageHeaders    *headers);

FWS_AVAILABLE_IN_ALL
gboolean              fws_event_source_client_get_tls_verify        (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_tls_verify        (FwsEventSourceClient  *self,
                                                                     gboolean               verify);
FWS_AVAILABLE_IN_ALL
const char * const   *fws_event_source_client_get_tls_ca_files      (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_tls_ca_files      (FwsEventSourceClient  *self,
                                                                     const char * const    *files);
FWS_AVAILABLE_IN_ALL
GTlsDatabase         *fws_event_source_client_get_tls_database      (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_tls_database      (FwsEventSourceClient  *self,
                                                                     GTlsDatabase          *database);
FWS_AVAILABLE_IN_ALL
GTlsCertificate      *fws_event_source_client_get_tls_certificate   (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_tls_certificate   (FwsEventSourceClient  *self,
                                                                     GTlsCertificate       *certificate);
FWS_AVAILABLE_IN_ALL
const char           *fws_event_source_client_get_proxy             (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_proxy             (FwsEventSourceClient  *self,
                                                                     const char            *proxy);
FWS_AVAILABLE_IN_ALL
gboolean              fws_event_source_client_get_use_system_proxy  (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_use_system_proxy  (FwsEventSourceClient  *self,
                                                                     gboolean               use_system_proxy);

FWS_AVAILABLE_IN_ALL
SoupSession          *fws_event_source_client_get_session           (FwsEventSourceClient  *self);
FWS_AVAILABLE_IN_ALL
void                  fws_event_source_client_set_session           (FwsEventSourceClient  *self,
                                                                     SoupSession           *session);

G_END_DECLS
