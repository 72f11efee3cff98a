/* fws-hub.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-hub-private.h"

#include <string.h>

#include "fws-enum-types.h"
#include "fws-error.h"
#include "fws-event-source-private.h"
#include "fws-extension.h"
#include "fws-i18n-private.h"
#include "fws-permessage-deflate-private.h"
#include "fws-sse-private.h"
#include "fws-utf8-private.h"
#include "fws-web-socket-private.h"
#include "fws-ws-codec-private.h"

/* The high-water mark the hub uses for a connection that has none (a
 * client turns it off): the transport's default. */
#define DEFAULT_HIGH_WATER (G_GUINT64_CONSTANT (1) << 20)

/* RFC 6455 11.7: "Try Again Later". */
#define CLOSE_TRY_AGAIN_LATER 1013

/* ---- FwsHubMessage ---- */

typedef struct
{
  guint32  key;
  GBytes  *frame;
} DeflateFrame;

struct _FwsHubMessage
{
  gatomicrefcount  ref_count;
  gboolean         binary;
  GBytes          *data;
  char            *event;
  char            *id;

  /* The encodings, built when a subscriber first needs them. */
  GBytes          *ws_frame;        /* the unmasked frame, no RSV bit */
  GBytes          *sse_event;       /* the event's bytes */
  GArray          *deflate_frames;  /* (nullable) of DeflateFrame, one per key */
};

G_DEFINE_BOXED_TYPE (FwsHubMessage, fws_hub_message, fws_hub_message_ref, fws_hub_message_unref)

/* Text is kept with a NUL byte just past its size. */
static GBytes *
text_bytes (const char *text,
            gsize       len)
{
  char *copy = g_malloc (len + 1);

  memcpy (copy, text, len);
  copy[len] = '\0';
  return g_bytes_new_take (copy, len);
}

static FwsHubMessage *
message_new (gboolean    binary,
             GBytes     *data,
             const char *event,
             const char *id)
{
  FwsHubMessage *self = g_new0 (FwsHubMessage, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->binary = binary;
  self->data = data;
  self->event = g_strdup (event);
  self->id = g_strdup (id);
  return self;
}

/**
 * fws_hub_message_new_text:
 * @text: a UTF-8 string
 *
 * Makes a text message: a WebSocket subscriber gets a text message, an
 * EventSource subscriber an event of type `message` without an id.
 *
 * Returns: (transfer full): a new message
 * Since: 0.2
 */
FwsHubMessage *
fws_hub_message_new_text (const char *text)
{
  gsize len;

  g_return_val_if_fail (text != NULL, NULL);
  len = strlen (text);
  g_return_val_if_fail (fws_utf8_validate ((const guint8 *) text, len), NULL);
  return message_new (FALSE, text_bytes (text, len), NULL, NULL);
}

/**
 * fws_hub_message_new_binary:
 * @data: the payload
 *
 * Makes a binary message, delivered to WebSocket subscribers only (an
 * EventSource stream carries text). @data is referenced, not copied.
 *
 * Returns: (transfer full): a new message
 * Since: 0.2
 */
FwsHubMessage *
fws_hub_message_new_binary (GBytes *data)
{
  g_return_val_if_fail (data != NULL, NULL);
  return message_new (TRUE, g_bytes_ref (data), NULL, NULL);
}

/**
 * fws_hub_message_new_event:
 * @event: (nullable): the event type, or %NULL for `message`
 * @data: the event's data, UTF-8
 * @id: (nullable): the event id, or %NULL for none
 *
 * Makes an event: an EventSource subscriber gets it with its type and id
 * (a client that reconnects sends the last id it saw); a WebSocket
 * subscriber gets @data as a text message. @event and @id must be UTF-8
 * without CR, LF or NUL.
 *
 * Returns: (transfer full): a new message
 * Since: 0.2
 */
FwsHubMessage *
fws_hub_message_new_event (const char *event,
                           const char *data,
                           const char *id)
{
  gsize len;

  g_return_val_if_fail (data != NULL, NULL);
  len = strlen (data);
  g_return_val_if_fail (fws_utf8_validate ((const guint8 *) data, len), NULL);
  g_return_val_if_fail (event == NULL || fws_sse_check_field (event, strlen (event), "event", NULL), NULL);
  g_return_val_if_fail (id == NULL || fws_sse_check_field (id, strlen (id), "id", NULL), NULL);
  return message_new (FALSE, text_bytes (data, len), event, id);
}

/**
 * fws_hub_message_ref:
 * @message: a [struct@Fws.HubMessage]
 *
 * Takes a reference.
 *
 * Returns: (transfer full): @message
 * Since: 0.2
 */
FwsHubMessage *
fws_hub_message_ref (FwsHubMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);
  g_atomic_ref_count_inc (&message->ref_count);
  return message;
}

/**
 * fws_hub_message_unref:
 * @message: (transfer full): a [struct@Fws.HubMessage]
 *
 * Drops a reference; the last one frees the message.
 *
 * Since: 0.2
 */
void
fws_hub_message_unref (FwsHubMessage *message)
{
  g_return_if_fail (message != NULL);
  if (!g_atomic_ref_count_dec (&message->ref_count))
    return;
  g_bytes_unref (message->data);
  g_free (message->event);
  g_free (message->id);
  g_clear_pointer (&message->ws_frame, g_bytes_unref);
  g_clear_pointer (&message->sse_event, g_bytes_unref);
  if (message->deflate_frames != NULL)
    {
      for (guint i = 0; i < message->deflate_frames->len; i++)
        g_bytes_unref (g_array_index (message->deflate_frames, DeflateFrame, i).frame);
      g_array_unref (message->deflate_frames);
    }
  g_free (message);
}

/**
 * fws_hub_message_is_binary:
 * @message: a [struct@Fws.HubMessage]
 *
 * Whether @message is binary.
 *
 * Returns: whether @message is binary (made by
 *   [ctor@Fws.HubMessage.new_binary])
 * Since: 0.2
 */
gboolean
fws_hub_message_is_binary (FwsHubMessage *message)
{
  g_return_val_if_fail (message != NULL, FALSE);
  return message->binary;
}

/**
 * fws_hub_message_get_data:
 * @message: a [struct@Fws.HubMessage]
 *
 * The payload of @message.
 *
 * Returns: (transfer none): the payload; for text, the UTF-8 bytes, with
 *   a NUL byte just past its size (not counted in it)
 * Since: 0.2
 */
GBytes *
fws_hub_message_get_data (FwsHubMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);
  return message->data;
}

/**
 * fws_hub_message_get_event:
 * @message: a [struct@Fws.HubMessage]
 *
 * The event type of @message, for EventSource subscribers.
 *
 * Returns: (nullable): the event type, or %NULL (`message`)
 * Since: 0.2
 */
const char *
fws_hub_message_get_event (FwsHubMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);
  return message->event;
}

/**
 * fws_hub_message_get_id:
 * @message: a [struct@Fws.HubMessage]
 *
 * The event id of @message, for EventSource subscribers.
 *
 * Returns: (nullable): the event id, or %NULL
 * Since: 0.2
 */
const char *
fws_hub_message_get_id (FwsHubMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);
  return message->id;
}

/* One frame, header and payload in one buffer. */
static GBytes *
build_frame (guint   rsv,
             guint   opcode,
             GBytes *payload)
{
  guint8 header[FWS_WS_MAX_HEADER];
  gsize len, header_len;
  const guint8 *data = g_bytes_get_data (payload, &len);
  guint8 *frame;

  header_len = fws_ws_frame_header (header, TRUE, rsv, opcode, len, NULL);
  frame = g_malloc (header_len + len);
  memcpy (frame, header, header_len);
  if (len)
    memcpy (frame + header_len, data, len);
  return g_bytes_new_take (frame, header_len + len);
}

/* ---- FwsHubBridge ---- */

/**
 * FwsHubBridge:
 *
 * A bridge between a [class@Fws.Hub] and an external message bus (Redis
 * pub/sub, for example), so that several processes share topics.
 *
 * Once a bridge is set, [method@Fws.Hub.publish] hands every message to
 * [method@Fws.HubBridge.publish] instead of delivering it; the bridge sends
 * it to the bus, and calls [method@Fws.Hub.deliver] for every message that
 * comes from the bus (its own included), so that every process delivers in
 * the bus's order. The library has no bus of its own; programs implement
 * this interface, in C or in any language with GObject bindings.
 *
 * Since: 0.2
 */

G_DEFINE_INTERFACE (FwsHubBridge, fws_hub_bridge, G_TYPE_OBJECT)

static void
fws_hub_bridge_default_init (FwsHubBridgeInterface *iface)
{
}

/**
 * fws_hub_bridge_publish:
 * @bridge: a [iface@Fws.HubBridge]
 * @hub: the hub the message was published on
 * @topic: the topic
 * @message: the message
 *
 * Hands a message published on @hub to the bus. [method@Fws.Hub.publish]
 * calls it; the bridge delivers the message later, with
 * [method@Fws.Hub.deliver], when it comes back from the bus. @message is
 * only lent for the call: a bridge that keeps it takes a reference (C,
 * Vala, Python do, by [method@Fws.HubMessage.ref] or by keeping the
 * object), or, like any real bus, carries its fields (data, event, id,
 * whether it is binary) and makes a new message from them (GJS must: it
 * does not keep a message passed to a virtual method).
 *
 * Since: 0.2
 */
void
fws_hub_bridge_publish (FwsHubBridge  *bridge,
                        FwsHub        *hub,
                        const char    *topic,
                        FwsHubMessage *message)
{
  FwsHubBridgeInterface *iface;

  g_return_if_fail (FWS_IS_HUB_BRIDGE (bridge));
  g_return_if_fail (FWS_IS_HUB (hub));
  g_return_if_fail (topic != NULL);
  g_return_if_fail (message != NULL);

  iface = FWS_HUB_BRIDGE_GET_IFACE (bridge);
  g_return_if_fail (iface->publish != NULL);
  iface->publish (bridge, hub, topic, message);
}

/* ---- FwsHub ---- */

/**
 * FwsHub:
 *
 * Topics that WebSocket and EventSource connections subscribe to, and
 * publishing to them: one message to many clients.
 *
 * ```c
 * static FwsHub *hub;
 *
 * // in a SoupServer handler
 * FwsWebSocket *ws = fws_web_socket_new (msg, NULL, &error);
 * fws_hub_subscribe (hub, G_OBJECT (ws), "news");
 *
 * // anywhere in the same thread
 * fws_hub_publish_text (hub, "news", "hello");
 * ```
 *
 * A message is encoded once per publish, not once per subscriber: the
 * WebSocket frame, the EventSource event and, for subscribers that
 * negotiated permessage-deflate without context takeover on the server
 * side (`server_no_context_takeover`, see
 * [property@Fws.PermessageDeflate:no-context-takeover]), the compressed
 * frame are built once, and every subscriber's send queue references the
 * same bytes. Connections that cannot take a shared frame get the message
 * through their own send path, one encoding each: client connections
 * ([class@Fws.Client], whose frames are masked with a key of their own),
 * hixie-75/76 connections, permessage-deflate sessions with context
 * takeover (their compressor's state is their own), other extensions, and
 * connections whose handshake has not completed yet.
 *
 * Back-pressure: a subscriber whose send queue is above its high-water mark
 * (see [property@Fws.WebSocket:buffered-amount]; the transport's mark, 1 MiB
 * by default, or 1 MiB for a connection that has none) when a message is
 * delivered is handled by [property@Fws.Hub:overflow-policy]: with
 * %FWS_HUB_OVERFLOW_SKIP it misses that message, with
 * %FWS_HUB_OVERFLOW_CLOSE it leaves all its topics at once and is closed
 * (close code 1013, try again later, for a WebSocket; its close frame goes
 * out behind what is queued). Both are counted in
 * [property@Fws.Hub:n-skipped]; the publisher never waits for a
 * subscriber. A message that would take a queue past its hard limit is
 * handled the same way.
 *
 * A connection that closes leaves all its topics by itself (on its
 * `close` signal; a client that connects again subscribes again). The hub
 * holds a reference on each subscribed connection until then.
 *
 * Binary messages are not delivered to EventSource subscribers.
 *
 * Use a hub from the thread whose main context its connections use.
 *
 * Since: 0.2
 */

typedef struct _Topic Topic;
typedef struct _Conn  Conn;

typedef struct
{
  Conn     *conn;
  Topic    *topic;
  guint     index;     /* in topic->subs */
  gboolean  dead;      /* left while a delivery ran: removed after it */
} Sub;

struct _Topic
{
  char      *name;
  GPtrArray *subs;     /* of Sub*, not owned */
  guint      n_dead;
};

struct _Conn
{
  FwsHub    *hub;
  GObject   *object;   /* (owned) */
  gboolean   is_web_socket;
  gulong     close_id;
  GPtrArray *subs;     /* of Sub*, the live ones */
};

struct _FwsHub
{
  GObject         parent_instance;

  GHashTable     *topics;     /* name → Topic* (owned) */
  GHashTable     *conns;      /* object → Conn* (owned) */
  FwsHubBridge   *bridge;
  FwsHubOverflow  overflow;
  guint64         n_skipped;

  guint           delivering; /* depth of deliver calls */
  GPtrArray      *dirty;      /* Topics with dead subs, removed after delivering */

  FwsHubStats     stats;
};

G_DEFINE_FINAL_TYPE (FwsHub, fws_hub, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_BRIDGE,
  PROP_OVERFLOW_POLICY,
  PROP_N_SKIPPED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
topic_free (Topic *topic)
{
  for (guint i = 0; i < topic->subs->len; i++)
    g_free (g_ptr_array_index (topic->subs, i));
  g_free (topic->name);
  g_ptr_array_unref (topic->subs);
  g_free (topic);
}

/* Removes the dead subs of @topic, and @topic itself once empty. */
static void
topic_compact (FwsHub *self,
               Topic  *topic)
{
  guint j = 0;

  for (guint i = 0; i < topic->subs->len; i++)
    {
      Sub *sub = g_ptr_array_index (topic->subs, i);

      if (sub->dead)
        {
          g_free (sub);
          continue;
        }
      sub->index = j;
      topic->subs->pdata[j++] = sub;
    }
  g_ptr_array_set_size (topic->subs, j);
  topic->n_dead = 0;
  if (j == 0)
    g_hash_table_remove (self->topics, topic->name);
}

/* Takes @sub out of its topic (now, or after the delivery that runs). */
static void
sub_remove (FwsHub *self,
            Sub    *sub)
{
  Topic *topic = sub->topic;

  if (self->delivering > 0)
    {
      sub->dead = TRUE;
      if (topic->n_dead++ == 0)
        g_ptr_array_add (self->dirty, topic);
      return;
    }
  if (sub->index != topic->subs->len - 1)
    {
      Sub *last = g_ptr_array_index (topic->subs, topic->subs->len - 1);

      topic->subs->pdata[sub->index] = last;
      last->index = sub->index;
    }
  g_ptr_array_set_size (topic->subs, topic->subs->len - 1);
  g_free (sub);
  if (topic->subs->len == 0)
    g_hash_table_remove (self->topics, topic->name);
}

static void
conn_free (Conn *conn)
{
  if (conn->close_id)
    g_signal_handler_disconnect (conn->object, conn->close_id);
  g_ptr_array_unref (conn->subs);
  g_object_unref (conn->object);
  g_free (conn);
}

/* Takes @conn out of every topic and forgets it. */
static void
conn_remove (FwsHub *self,
             Conn   *conn)
{
  for (guint i = 0; i < conn->subs->len; i++)
    sub_remove (self, g_ptr_array_index (conn->subs, i));
  g_ptr_array_set_size (conn->subs, 0);
  g_hash_table_remove (self->conns, conn->object);
}

static void
conn_closed_cb (Conn *conn)
{
  FwsHub *self = g_object_ref (conn->hub);

  conn_remove (self, conn);
  g_object_unref (self);
}

static gboolean
is_closed (GObject *connection)
{
  if (FWS_IS_WEB_SOCKET (connection))
    return fws_web_socket_get_ready_state (FWS_WEB_SOCKET (connection)) == FWS_READY_STATE_CLOSED;
  return fws_event_source_get_ready_state (FWS_EVENT_SOURCE (connection)) == FWS_READY_STATE_CLOSED;
}

static Sub *
find_sub (Conn       *conn,
          const char *topic)
{
  for (guint i = 0; i < conn->subs->len; i++)
    {
      Sub *sub = g_ptr_array_index (conn->subs, i);

      if (strcmp (sub->topic->name, topic) == 0)
        return sub;
    }
  return NULL;
}

/**
 * fws_hub_new:
 *
 * Makes a hub without topics.
 *
 * Returns: (transfer full): a new hub
 * Since: 0.2
 */
FwsHub *
fws_hub_new (void)
{
  return g_object_new (FWS_TYPE_HUB, NULL);
}

/**
 * fws_hub_subscribe:
 * @hub: a [class@Fws.Hub]
 * @connection: an [class@Fws.WebSocket] (or [class@Fws.Client]) or an
 *   [class@Fws.EventSource]
 * @topic: the topic
 *
 * Subscribes @connection to @topic (nothing happens if it is subscribed
 * already, or closed). It stays subscribed until it is unsubscribed or
 * closes. It may subscribe before its handshake completed: messages
 * published meanwhile go out right after it.
 *
 * Since: 0.2
 */
void
fws_hub_subscribe (FwsHub     *hub,
                   GObject    *connection,
                   const char *topic)
{
  Conn *conn;
  Topic *t;
  Sub *sub;

  g_return_if_fail (FWS_IS_HUB (hub));
  g_return_if_fail (FWS_IS_WEB_SOCKET (connection) || FWS_IS_EVENT_SOURCE (connection));
  g_return_if_fail (topic != NULL);

  conn = g_hash_table_lookup (hub->conns, connection);
  if (conn == NULL)
    {
      if (is_closed (connection))
        return;
      conn = g_new0 (Conn, 1);
      conn->hub = hub;
      conn->object = g_object_ref (connection);
      conn->is_web_socket = FWS_IS_WEB_SOCKET (connection);
      conn->subs = g_ptr_array_new ();
      conn->close_id = g_signal_connect_swapped (connection, "close", G_CALLBACK (conn_closed_cb), conn);
      g_hash_table_insert (hub->conns, connection, conn);
    }
  else if (find_sub (conn, topic) != NULL)
    return;

  t = g_hash_table_lookup (hub->topics, topic);
  if (t == NULL)
    {
      t = g_new0 (Topic, 1);
      t->name = g_strdup (topic);
      t->subs = g_ptr_array_new ();
      g_hash_table_insert (hub->topics, t->name, t);
    }
  sub = g_new0 (Sub, 1);
  sub->conn = conn;
  sub->topic = t;
  sub->index = t->subs->len;
  g_ptr_array_add (t->subs, sub);
  g_ptr_array_add (conn->subs, sub);
}

/**
 * fws_hub_unsubscribe:
 * @hub: a [class@Fws.Hub]
 * @connection: a connection
 * @topic: the topic
 *
 * Takes @connection out of @topic; nothing happens if it was not in it.
 *
 * Since: 0.2
 */
void
fws_hub_unsubscribe (FwsHub     *hub,
                     GObject    *connection,
                     const char *topic)
{
  Conn *conn;
  Sub *sub;

  g_return_if_fail (FWS_IS_HUB (hub));
  g_return_if_fail (G_IS_OBJECT (connection));
  g_return_if_fail (topic != NULL);

  conn = g_hash_table_lookup (hub->conns, connection);
  if (conn == NULL || (sub = find_sub (conn, topic)) == NULL)
    return;
  g_ptr_array_remove_fast (conn->subs, sub);
  sub_remove (hub, sub);
  if (conn->subs->len == 0)
    conn_remove (hub, conn);
}

/**
 * fws_hub_unsubscribe_all:
 * @hub: a [class@Fws.Hub]
 * @connection: a connection
 *
 * Takes @connection out of all its topics.
 *
 * Since: 0.2
 */
void
fws_hub_unsubscribe_all (FwsHub  *hub,
                         GObject *connection)
{
  Conn *conn;

  g_return_if_fail (FWS_IS_HUB (hub));
  g_return_if_fail (G_IS_OBJECT (connection));

  conn = g_hash_table_lookup (hub->conns, connection);
  if (conn != NULL)
    conn_remove (hub, conn);
}

/**
 * fws_hub_is_subscribed:
 * @hub: a [class@Fws.Hub]
 * @connection: a connection
 * @topic: the topic
 *
 * Whether @connection is subscribed to @topic.
 *
 * Returns: whether @connection is subscribed to @topic
 * Since: 0.2
 */
gboolean
fws_hub_is_subscribed (FwsHub     *hub,
                       GObject    *connection,
                       const char *topic)
{
  Conn *conn;

  g_return_val_if_fail (FWS_IS_HUB (hub), FALSE);
  g_return_val_if_fail (G_IS_OBJECT (connection), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);

  conn = g_hash_table_lookup (hub->conns, connection);
  return conn != NULL && find_sub (conn, topic) != NULL;
}

/**
 * fws_hub_get_n_subscribers:
 * @hub: a [class@Fws.Hub]
 * @topic: the topic
 *
 * How many connections are subscribed to @topic.
 *
 * Returns: the number of connections subscribed to @topic
 * Since: 0.2
 */
guint
fws_hub_get_n_subscribers (FwsHub     *hub,
                           const char *topic)
{
  Topic *t;

  g_return_val_if_fail (FWS_IS_HUB (hub), 0);
  g_return_val_if_fail (topic != NULL, 0);

  t = g_hash_table_lookup (hub->topics, topic);
  return t != NULL ? t->subs->len - t->n_dead : 0;
}

/* ---- Delivery ---- */

static GBytes *
plain_frame (FwsHub        *self,
             FwsHubMessage *message)
{
  if (message->ws_frame == NULL)
    {
      message->ws_frame = build_frame (0, message->binary ? FWS_WS_OP_BINARY : FWS_WS_OP_TEXT,
                                       message->data);
      self->stats.frames_encoded++;
    }
  return message->ws_frame;
}

static GBytes *
deflate_frame (FwsHub        *self,
               FwsHubMessage *message,
               guint32        key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) compressed = NULL;
  DeflateFrame df;

  if (message->deflate_frames == NULL)
    message->deflate_frames = g_array_new (FALSE, FALSE, sizeof (DeflateFrame));
  for (guint i = 0; i < message->deflate_frames->len; i++)
    {
      DeflateFrame *f = &g_array_index (message->deflate_frames, DeflateFrame, i);

      if (f->key == key)
        return f->frame;
    }
  compressed = fws_permessage_deflate_compress_shared (key, message->data, &error);
  if (compressed == NULL)
    {
      g_debug ("The hub could not compress a message: %s", error->message);
      return NULL;
    }
  self->stats.compressions++;
  df.key = key;
  df.frame = build_frame (FWS_RESERVED_BITS_RSV1, message->binary ? FWS_WS_OP_BINARY : FWS_WS_OP_TEXT,
                          compressed);
  g_array_append_val (message->deflate_frames, df);
  return df.frame;
}

static GBytes *
sse_event (FwsHub        *self,
           FwsHubMessage *message)
{
  if (message->sse_event == NULL)
    {
      GString *out = g_string_new (NULL);
      gsize len;
      const char *data = g_bytes_get_data (message->data, &len);

      /* The constructors checked what this checks again. */
      if (!fws_sse_append_event (out, data, len, message->event, -1, message->id, -1, NULL))
        g_assert_not_reached ();
      message->sse_event = g_string_free_to_bytes (out);
      self->stats.events_encoded++;
    }
  return message->sse_event;
}

/* A subscriber does not keep up. */
static void
overflow (FwsHub *self,
          Conn   *conn)
{
  GObject *object;
  gboolean is_web_socket;

  self->n_skipped++;
  if (self->overflow != FWS_HUB_OVERFLOW_CLOSE)
    return;
  /* It leaves its topics now: its close may wait for a peer that does
   * not read. */
  object = g_object_ref (conn->object);
  is_web_socket = conn->is_web_socket;
  conn_remove (self, conn);
  /* hixie connections have no close codes: a plain close for them. */
  if (is_web_socket &&
      !fws_web_socket_close (FWS_WEB_SOCKET (object), CLOSE_TRY_AGAIN_LATER,
                             "Subscriber too slow", NULL))
    fws_web_socket_close (FWS_WEB_SOCKET (object), 0, NULL, NULL);
  else if (!is_web_socket)
    fws_event_source_close (FWS_EVENT_SOURCE (object));
  g_object_unref (object);
}

/* Queues @message for @conn; TRUE if it was. */
static gboolean
deliver_one (FwsHub        *self,
             Conn          *conn,
             FwsHubMessage *message)
{
  g_autoptr(GError) error = NULL;
  guint64 queued, high;
  gboolean ok;

  if (conn->is_web_socket)
    {
      /* The type was checked at subscribe. */
      FwsWebSocket *ws = (FwsWebSocket *) conn->object;
      GBytes *frame = NULL;
      guint32 key = 0;
      guint threshold = 0;

      fws_web_socket_get_queue (ws, &queued, &high);
      if (queued > (high != 0 ? high : DEFAULT_HIGH_WATER))
        {
          overflow (self, conn);
          return FALSE;
        }
      switch (fws_web_socket_get_share (ws, &key, &threshold))
        {
        case FWS_WEB_SOCKET_SHARE_PLAIN:
          frame = plain_frame (self, message);
          break;
        case FWS_WEB_SOCKET_SHARE_DEFLATE:
          /* What the session would send: short messages uncompressed. */
          if (g_bytes_get_size (message->data) < threshold)
            frame = plain_frame (self, message);
          else
            frame = deflate_frame (self, message, key);
          break;
        case FWS_WEB_SOCKET_SHARE_NONE:
        default:
          break;
        }
      if (frame != NULL)
        ok = fws_web_socket_send_prebuilt (ws, frame, &error);
      else
        {
          self->stats.per_connection++;
          ok = fws_web_socket_send_for_hub (ws, message->binary ? FWS_MESSAGE_TYPE_BINARY : FWS_MESSAGE_TYPE_TEXT,
                                            message->data, &error);
        }
    }
  else
    {
      FwsEventSource *es = (FwsEventSource *) conn->object;

      if (message->binary)
        return FALSE;
      fws_event_source_get_queue (es, &queued, &high);
      if (queued > (high != 0 ? high : DEFAULT_HIGH_WATER))
        {
          overflow (self, conn);
          return FALSE;
        }
      ok = fws_event_source_send_prebuilt (es, sse_event (self, message), &error);
    }
  if (!ok && g_error_matches (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL))
    overflow (self, conn);
  if (ok)
    self->stats.delivered++;
  return ok;
}

/**
 * fws_hub_deliver:
 * @hub: a [class@Fws.Hub]
 * @topic: the topic
 * @message: the message
 *
 * Delivers @message to the local subscribers of @topic now, whether a
 * bridge is set or not. A bridge calls it for each message that comes from
 * its bus.
 *
 * Returns: the number of subscribers the message was queued for
 * Since: 0.2
 */
guint
fws_hub_deliver (FwsHub        *hub,
                 const char    *topic,
                 FwsHubMessage *message)
{
  guint64 skipped;
  Topic *t;
  guint n = 0;

  g_return_val_if_fail (FWS_IS_HUB (hub), 0);
  g_return_val_if_fail (topic != NULL, 0);
  g_return_val_if_fail (message != NULL, 0);

  t = g_hash_table_lookup (hub->topics, topic);
  if (t == NULL)
    return 0;

  g_object_ref (hub);
  fws_hub_message_ref (message);
  skipped = hub->n_skipped;
  hub->delivering++;
  for (guint i = 0; i < t->subs->len; i++)
    {
      Sub *sub = g_ptr_array_index (t->subs, i);

      if (!sub->dead && deliver_one (hub, sub->conn, message))
        n++;
    }
  if (--hub->delivering == 0)
    {
      for (guint i = 0; i < hub->dirty->len; i++)
        topic_compact (hub, g_ptr_array_index (hub->dirty, i));
      g_ptr_array_set_size (hub->dirty, 0);
    }
  if (hub->n_skipped != skipped)
    g_object_notify_by_pspec (G_OBJECT (hub), properties[PROP_N_SKIPPED]);
  fws_hub_message_unref (message);
  g_object_unref (hub);
  return n;
}

/**
 * fws_hub_publish:
 * @hub: a [class@Fws.Hub]
 * @topic: the topic
 * @message: the message
 *
 * Publishes @message to @topic. Without a bridge it is delivered at once
 * (see [method@Fws.Hub.deliver]); with a [property@Fws.Hub:bridge] it is
 * handed to the bridge, which delivers it when it comes back from its bus.
 * It never waits for a subscriber.
 *
 * Returns: the number of subscribers the message was queued for, 0 with a
 *   bridge
 * Since: 0.2
 */
guint
fws_hub_publish (FwsHub        *hub,
                 const char    *topic,
                 FwsHubMessage *message)
{
  g_return_val_if_fail (FWS_IS_HUB (hub), 0);
  g_return_val_if_fail (topic != NULL, 0);
  g_return_val_if_fail (message != NULL, 0);

  if (hub->bridge != NULL)
    {
      g_autoptr(FwsHubBridge) bridge = g_object_ref (hub->bridge);

      fws_hub_bridge_publish (bridge, hub, topic, message);
      return 0;
    }
  return fws_hub_deliver (hub, topic, message);
}

/**
 * fws_hub_publish_text:
 * @hub: a [class@Fws.Hub]
 * @topic: the topic
 * @text: a UTF-8 string
 *
 * Publishes a text message (see [ctor@Fws.HubMessage.new_text]).
 *
 * Returns: as [method@Fws.Hub.publish]
 * Since: 0.2
 */
guint
fws_hub_publish_text (FwsHub     *hub,
                      const char *topic,
                      const char *text)
{
  g_autoptr(FwsHubMessage) message = NULL;

  g_return_val_if_fail (FWS_IS_HUB (hub), 0);
  g_return_val_if_fail (topic != NULL, 0);
  g_return_val_if_fail (text != NULL, 0);

  message = fws_hub_message_new_text (text);
  g_return_val_if_fail (message != NULL, 0);
  return fws_hub_publish (hub, topic, message);
}

/**
 * fws_hub_set_bridge:
 * @hub: a [class@Fws.Hub]
 * @bridge: (nullable): a bridge, or %NULL to deliver locally
 *
 * Sets [property@Fws.Hub:bridge].
 *
 * Since: 0.2
 */
void
fws_hub_set_bridge (FwsHub       *hub,
                    FwsHubBridge *bridge)
{
  g_return_if_fail (FWS_IS_HUB (hub));
  g_return_if_fail (bridge == NULL || FWS_IS_HUB_BRIDGE (bridge));

  if (g_set_object (&hub->bridge, bridge))
    g_object_notify_by_pspec (G_OBJECT (hub), properties[PROP_BRIDGE]);
}

/**
 * fws_hub_get_bridge:
 * @hub: a [class@Fws.Hub]
 *
 * Gets [property@Fws.Hub:bridge].
 *
 * Returns: (transfer none) (nullable): [property@Fws.Hub:bridge]
 * Since: 0.2
 */
FwsHubBridge *
fws_hub_get_bridge (FwsHub *hub)
{
  g_return_val_if_fail (FWS_IS_HUB (hub), NULL);
  return hub->bridge;
}

/**
 * fws_hub_set_overflow_policy:
 * @hub: a [class@Fws.Hub]
 * @policy: the policy
 *
 * Sets [property@Fws.Hub:overflow-policy].
 *
 * Since: 0.2
 */
void
fws_hub_set_overflow_policy (FwsHub         *hub,
                             FwsHubOverflow  policy)
{
  g_return_if_fail (FWS_IS_HUB (hub));
  g_return_if_fail (policy == FWS_HUB_OVERFLOW_SKIP || policy == FWS_HUB_OVERFLOW_CLOSE);

  if (hub->overflow == policy)
    return;
  hub->overflow = policy;
  g_object_notify_by_pspec (G_OBJECT (hub), properties[PROP_OVERFLOW_POLICY]);
}

/**
 * fws_hub_get_overflow_policy:
 * @hub: a [class@Fws.Hub]
 *
 * Gets [property@Fws.Hub:overflow-policy].
 *
 * Returns: [property@Fws.Hub:overflow-policy]
 * Since: 0.2
 */
FwsHubOverflow
fws_hub_get_overflow_policy (FwsHub *hub)
{
  g_return_val_if_fail (FWS_IS_HUB (hub), FWS_HUB_OVERFLOW_SKIP);
  return hub->overflow;
}

/**
 * fws_hub_get_n_skipped:
 * @hub: a [class@Fws.Hub]
 *
 * Gets [property@Fws.Hub:n-skipped].
 *
 * Returns: [property@Fws.Hub:n-skipped]
 * Since: 0.2
 */
guint64
fws_hub_get_n_skipped (FwsHub *hub)
{
  g_return_val_if_fail (FWS_IS_HUB (hub), 0);
  return hub->n_skipped;
}

/* ---- Private ---- */

void
fws_hub_get_stats (FwsHub      *hub,
                   FwsHubStats *stats)
{
  *stats = hub->stats;
}

void
fws_hub_reset_stats (FwsHub *hub)
{
  memset (&hub->stats, 0, sizeof hub->stats);
}

/* ---- GObject ---- */

static void
fws_hub_dispose (GObject *object)
{
  FwsHub *self = FWS_HUB (object);

  g_clear_object (&self->bridge);
  g_hash_table_remove_all (self->conns);
  g_hash_table_remove_all (self->topics);
  G_OBJECT_CLASS (fws_hub_parent_class)->dispose (object);
}

static void
fws_hub_finalize (GObject *object)
{
  FwsHub *self = FWS_HUB (object);

  g_hash_table_unref (self->conns);
  g_hash_table_unref (self->topics);
  g_ptr_array_unref (self->dirty);
  G_OBJECT_CLASS (fws_hub_parent_class)->finalize (object);
}

static void
fws_hub_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  FwsHub *self = FWS_HUB (object);

  switch (prop_id)
    {
    case PROP_BRIDGE:
      g_value_set_object (value, self->bridge);
      break;
    case PROP_OVERFLOW_POLICY:
      g_value_set_enum (value, self->overflow);
      break;
    case PROP_N_SKIPPED:
      g_value_set_uint64 (value, self->n_skipped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_hub_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  FwsHub *self = FWS_HUB (object);

  switch (prop_id)
    {
    case PROP_BRIDGE:
      fws_hub_set_bridge (self, g_value_get_object (value));
      break;
    case PROP_OVERFLOW_POLICY:
      fws_hub_set_overflow_policy (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_hub_class_init (FwsHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fws_hub_dispose;
  object_class->finalize = fws_hub_finalize;
  object_class->get_property = fws_hub_get_property;
  object_class->set_property = fws_hub_set_property;

  /**
   * FwsHub:bridge:
   *
   * The bridge to an external bus, or %NULL: with one,
   * [method@Fws.Hub.publish] hands messages to it and the bridge delivers
   * them with [method@Fws.Hub.deliver].
   *
   * Since: 0.2
   */
  properties[PROP_BRIDGE] =
    g_param_spec_object ("bridge", NULL, NULL, FWS_TYPE_HUB_BRIDGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsHub:overflow-policy:
   *
   * What happens to a subscriber whose send queue is above its high-water
   * mark when a message is delivered: it misses the message
   * (%FWS_HUB_OVERFLOW_SKIP, the default) or is closed
   * (%FWS_HUB_OVERFLOW_CLOSE).
   *
   * Since: 0.2
   */
  properties[PROP_OVERFLOW_POLICY] =
    g_param_spec_enum ("overflow-policy", NULL, NULL, FWS_TYPE_HUB_OVERFLOW, FWS_HUB_OVERFLOW_SKIP,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsHub:n-skipped:
   *
   * How many times a subscriber above its high-water mark was skipped (or
   * closed) since the hub was made.
   *
   * Since: 0.2
   */
  properties[PROP_N_SKIPPED] =
    g_param_spec_uint64 ("n-skipped", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fws_hub_init (FwsHub *self)
{
  /* Subs are freed through their topics; topics own their names. */
  self->topics = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) topic_free);
  self->conns = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) conn_free);
  self->dirty = g_ptr_array_new ();
}
