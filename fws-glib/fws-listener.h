/* fws-listener.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-version-macros.h"

G_BEGIN_DECLS

#define FWS_TYPE_LISTENER (fws_listener_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsListener, fws_listener, FWS, LISTENER, GObject)

FWS_AVAILABLE_IN_ALL
FwsListener     *fws_listener_new                 (void);
FWS_AVAILABLE_IN_ALL
gboolean         fws_listener_listen_local        (FwsListener      *self,
                                                   guint             port,
                                                   GError          **error);
FWS_AVAILABLE_IN_ALL
gboolean         fws_listener_add_socket          (FwsListener      *self,
                                                   GSocket          *socket,
                                                   GError          **error);
FWS_AVAILABLE_IN_ALL
guint            fws_listener_get_port            (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
void             fws_listener_stop                (FwsListener      *self);

FWS_AVAILABLE_IN_ALL
void             fws_listener_set_soup_server     (FwsListener      *self,
                                                   SoupServer       *server);
FWS_AVAILABLE_IN_ALL
SoupServer      *fws_listener_get_soup_server     (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
void             fws_listener_set_tls_certificate (FwsListener      *self,
                                                   GTlsCertificate  *certificate);
FWS_AVAILABLE_IN_ALL
GTlsCertificate *fws_listener_get_tls_certificate (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
void             fws_listener_set_handshake_timeout (FwsListener    *self,
                                                     guint           timeout_ms);
FWS_AVAILABLE_IN_ALL
guint            fws_listener_get_handshake_timeout (FwsListener    *self);
FWS_AVAILABLE_IN_ALL
void             fws_listener_set_max_pending     (FwsListener      *self,
                                                   guint             max_pending);
FWS_AVAILABLE_IN_ALL
guint            fws_listener_get_max_pending     (FwsListener      *self);

FWS_AVAILABLE_IN_ALL
guint            fws_listener_get_n_pending       (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
guint64          fws_listener_get_n_accepted      (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
guint64          fws_listener_get_n_refused       (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
guint64          fws_listener_get_n_timed_out     (FwsListener      *self);
FWS_AVAILABLE_IN_ALL
guint64          fws_listener_get_n_accept_pauses (FwsListener      *self);

G_END_DECLS
