/* fws-event-source.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "fws-version-macros.h"
#include "fws-types.h"
#include "fws-request.h"

G_BEGIN_DECLS

#define FWS_TYPE_EVENT_SOURCE (fws_event_source_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsEventSource, fws_event_source, FWS, EVENT_SOURCE, GObject)

FWS_AVAILABLE_IN_ALL
gboolean            fws_event_source_is_event_source_request (SoupServerMessage   *msg);

FWS_AVAILABLE_IN_ALL
FwsEventSource     *fws_event_source_new                     (SoupServerMessage   *msg,
                                                              GError             **error);

FWS_AVAILABLE_IN_ALL
gboolean            fws_event_source_accept                  (FwsEventSource      *self,
                                                              SoupServerMessage   *msg,
                                                              GError             **error);

FWS_AVAILABLE_IN_ALL
FwsEventSource     *fws_event_source_new_for_request         (FwsRequest          *request,
                                                              GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_event_source_accept_request          (FwsEventSource      *self,
                                                              FwsRequest          *request,
                                                              GError             **error);

FWS_AVAILABLE_IN_ALL
gboolean            fws_event_source_send                    (FwsEventSource      *self,
                                                              const char          *data,
                                                              const char          *event,
                                                              const char          *id,
                                                              GError             **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_event_source_ping                    (FwsEventSource      *self,
                                                              GError             **error);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_close                   (FwsEventSource      *self);

FWS_AVAILABLE_IN_ALL
FwsReadyState       fws_event_source_get_ready_state         (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_event_source_get_url                 (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
const char         *fws_event_source_get_last_event_id       (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
double              fws_event_source_get_retry               (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_retry               (FwsEventSource      *self,
                                                              double               seconds);
FWS_AVAILABLE_IN_ALL
double              fws_event_source_get_ping_seconds        (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_ping_seconds        (FwsEventSource      *self,
                                                              double               seconds);
FWS_AVAILABLE_IN_ALL
SoupMessageHeaders *fws_event_source_get_extra_headers       (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_extra_headers       (FwsEventSource      *self,
                                                              SoupMessageHeaders  *headers);
FWS_AVAILABLE_IN_ALL
const char * const *fws_event_source_get_allowed_origins     (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_allowed_origins     (FwsEventSource      *self,
                                                              const char * const  *origins);

FWS_AVAILABLE_IN_ALL
guint64             fws_event_source_get_buffered_amount     (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
guint64             fws_event_source_get_max_buffered        (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_max_buffered        (FwsEventSource      *self,
                                                              guint64              max_buffered);
FWS_AVAILABLE_IN_ALL
guint64             fws_event_source_get_high_water_mark     (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_high_water_mark     (FwsEventSource      *self,
                                                              guint64              bytes);
FWS_AVAILABLE_IN_ALL
guint64             fws_event_source_get_low_water_mark      (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_low_water_mark      (FwsEventSource      *self,
                                                              guint64              bytes);
FWS_AVAILABLE_IN_ALL
FwsSendOverflow     fws_event_source_get_send_overflow       (FwsEventSource      *self);
FWS_AVAILABLE_IN_ALL
void                fws_event_source_set_send_overflow       (FwsEventSource      *self,
                                                              FwsSendOverflow      policy);

G_END_DECLS
