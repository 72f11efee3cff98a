/* fws-event-source-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the hub (fws-hub.c) needs of an EventSource stream.
 */
#pragma once

#include "fws-event-source.h"

G_BEGIN_DECLS

/* Queues @event, the bytes of one whole event (fws_sse_append_event), by
 * reference once the head went out (a copy before). FALSE with
 * FWS_ERROR_CLOSED once closing, FWS_ERROR_QUEUE_FULL past the hard limit. */
gboolean fws_event_source_send_prebuilt (FwsEventSource  *self,
                                         GBytes          *event,
                                         GError         **error);
/* Bytes queued for the peer and the high-water mark (0: none). */
void     fws_event_source_get_queue     (FwsEventSource  *self,
                                         guint64         *queued,
                                         guint64         *high_water);

G_END_DECLS
