/* fws-hub-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What tests and the bench observe of a hub: how much work its deliveries
 * did.
 */
#pragma once

#include "fws-hub.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 frames_encoded;   /* plain WebSocket frames built */
  guint64 compressions;     /* shared permessage-deflate frames built */
  guint64 events_encoded;   /* EventSource events built */
  guint64 per_connection;   /* messages sent through a connection's own path */
  guint64 delivered;        /* messages queued for a subscriber */
} FwsHubStats;

void fws_hub_get_stats   (FwsHub      *hub,
                          FwsHubStats *stats);
void fws_hub_reset_stats (FwsHub      *hub);

G_END_DECLS
