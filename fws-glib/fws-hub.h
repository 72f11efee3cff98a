/* fws-hub.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include "fws-version-macros.h"

G_BEGIN_DECLS

/**
 * FwsHubOverflow:
 * @FWS_HUB_OVERFLOW_SKIP: a subscriber whose queue is above its high-water
 *   mark misses the message; the hub counts it in
 *   [property@Fws.Hub:n-skipped]
 * @FWS_HUB_OVERFLOW_CLOSE: such a subscriber is closed: a WebSocket with
 *   close code 1013 (try again later), an EventSource stream by closing it;
 *   it is counted in [property@Fws.Hub:n-skipped] too
 *
 * What [class@Fws.Hub] does with a subscriber that does not keep up. Either
 * way the publisher never waits.
 *
 * Since: 0.2
 */
typedef enum
{
  FWS_HUB_OVERFLOW_SKIP,
  FWS_HUB_OVERFLOW_CLOSE,
} FwsHubOverflow;

/* ---- FwsHubMessage ---- */

#define FWS_TYPE_HUB_MESSAGE (fws_hub_message_get_type ())

/**
 * FwsHubMessage:
 *
 * An immutable message published to a topic of a [class@Fws.Hub].
 *
 * A WebSocket subscriber gets its data as a text or binary message; an
 * EventSource subscriber gets it as an event (of type `message` unless an
 * event type was given, with the id if one was given). Binary messages are
 * not delivered to EventSource subscribers.
 *
 * The hub keeps the encodings it builds on the message (the WebSocket
 * frame, the compressed frame, the EventSource event): each is built once
 * and its bytes are shared by every subscriber's queue. They are built by
 * the thread that delivers the message: a message may be delivered by one
 * thread at a time.
 *
 * Since: 0.2
 */
typedef struct _FwsHubMessage FwsHubMessage;

FWS_AVAILABLE_IN_ALL
GType          fws_hub_message_get_type   (void) G_GNUC_CONST;
FWS_AVAILABLE_IN_ALL
FwsHubMessage *fws_hub_message_new_text   (const char    *text);
FWS_AVAILABLE_IN_ALL
FwsHubMessage *fws_hub_message_new_binary (GBytes        *data);
FWS_AVAILABLE_IN_ALL
FwsHubMessage *fws_hub_message_new_event  (const char    *event,
                                           const char    *data,
                                           const char    *id);
FWS_AVAILABLE_IN_ALL
FwsHubMessage *fws_hub_message_ref        (FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
void           fws_hub_message_unref      (FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
gboolean       fws_hub_message_is_binary  (FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
GBytes        *fws_hub_message_get_data   (FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
const char    *fws_hub_message_get_event  (FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
const char    *fws_hub_message_get_id     (FwsHubMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsHubMessage, fws_hub_message_unref)

/* ---- FwsHub ---- */

#define FWS_TYPE_HUB (fws_hub_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (FwsHub, fws_hub, FWS, HUB, GObject)

/* ---- FwsHubBridge ---- */

#define FWS_TYPE_HUB_BRIDGE (fws_hub_bridge_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (FwsHubBridge, fws_hub_bridge, FWS, HUB_BRIDGE, GObject)

/**
 * FwsHubBridgeInterface:
 * @g_iface: the parent interface
 * @publish: hands a message published on @hub to the bus; the bridge
 *   later calls [method@Fws.Hub.deliver] for every message that comes from
 *   the bus, its own included
 *
 * The interface a bridge to an external message bus implements.
 *
 * Since: 0.2
 */
struct _FwsHubBridgeInterface
{
  GTypeInterface g_iface;

  void (*publish) (FwsHubBridge  *bridge,
                   FwsHub        *hub,
                   const char    *topic,
                   FwsHubMessage *message);
};

FWS_AVAILABLE_IN_ALL
void fws_hub_bridge_publish (FwsHubBridge  *bridge,
                             FwsHub        *hub,
                             const char    *topic,
                             FwsHubMessage *message);

/* ---- FwsHub methods ---- */

FWS_AVAILABLE_IN_ALL
FwsHub         *fws_hub_new                 (void);
FWS_AVAILABLE_IN_ALL
void            fws_hub_subscribe           (FwsHub        *hub,
                                             GObject       *connection,
                                             const char    *topic);
FWS_AVAILABLE_IN_ALL
void            fws_hub_unsubscribe         (FwsHub        *hub,
                                             GObject       *connection,
                                             const char    *topic);
FWS_AVAILABLE_IN_ALL
void            fws_hub_unsubscribe_all     (FwsHub        *hub,
                                             GObject       *connection);
FWS_AVAILABLE_IN_ALL
gboolean        fws_hub_is_subscribed       (FwsHub        *hub,
                                             GObject       *connection,
                                             const char    *topic);
FWS_AVAILABLE_IN_ALL
guint           fws_hub_get_n_subscribers   (FwsHub        *hub,
                                             const char    *topic);
FWS_AVAILABLE_IN_ALL
guint           fws_hub_publish             (FwsHub        *hub,
                                             const char    *topic,
                                             FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
guint           fws_hub_publish_text        (FwsHub        *hub,
                                             const char    *topic,
                                             const char    *text);
FWS_AVAILABLE_IN_ALL
guint           fws_hub_deliver             (FwsHub        *hub,
                                             const char    *topic,
                                             FwsHubMessage *message);
FWS_AVAILABLE_IN_ALL
void            fws_hub_set_bridge          (FwsHub        *hub,
                                             FwsHubBridge  *bridge);
FWS_AVAILABLE_IN_ALL
FwsHubBridge   *fws_hub_get_bridge          (FwsHub        *hub);
FWS_AVAILABLE_IN_ALL
void            fws_hub_set_overflow_policy (FwsHub        *hub,
                                             FwsHubOverflow policy);
FWS_AVAILABLE_IN_ALL
FwsHubOverflow  fws_hub_get_overflow_policy (FwsHub        *hub);
FWS_AVAILABLE_IN_ALL
guint64         fws_hub_get_n_skipped       (FwsHub        *hub);

G_END_DECLS
