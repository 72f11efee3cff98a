/* chat-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fws-chat-server [--host ADDR] [--port N] [--redis HOST:PORT] [--history N] [--name NAME]
 *                 [--presence-ttl S] [--max-rooms N]
 *
 * A chat with rooms, nicknames, presence and recent history, fanned out
 * with FwsHub: one topic per room for its messages, one for its presence.
 *
 *   GET /                          the chat page
 *   GET /chat?room=R&nick=N[&since=ID]
 *                                  WebSocket (permessage-deflate when the
 *                                  client offers it). The server sends JSON
 *                                  text messages: first {"type":"welcome",...},
 *                                  then the room's recent messages (those after
 *                                  ID when given: what a client that reconnects
 *                                  missed), then each new one, all
 *                                  {"type":"message","id":...,"nick":...,"text":...}.
 *                                  The client sends the text of a message, as
 *                                  a plain text message.
 *   GET /presence?room=R           EventSource: a "hello" event (the server's
 *                                  name and the URL it sees), then "presence"
 *                                  events, each the whole list of nicknames in
 *                                  the room with a version number that grows.
 *   GET /messages?room=R           EventSource of the room's messages ("message"
 *                                  events with their ids), from after the
 *                                  Last-Event-ID when the client sends one.
 *
 * Alone, the process fans out with the in-process hub and keeps each room's
 * last --history messages in memory. With --redis, it gives the hub a bridge
 * to Redis pub/sub (chat-redis.c) so that several processes share rooms,
 * keeps history in a Redis stream per room and presence in Redis, and ids
 * are the stream's: a client reconnecting to any process gets what it missed.
 * Rooms are kept until the process ends; a request for a new room past
 * --max-rooms (default 1000) is answered 503, so that clients making up
 * room names cannot grow the process without bound.
 *
 * JSON: the server only writes it (the client sends plain text), so a small
 * escaping function does, rather than a JSON library as a dependency of the
 * example; Redis's Lua scripts use Redis's own cjson.
 */
#include <fws-glib/fws-glib.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "chat.h"
#include "chat-page.h"

#define REPLAY_MAX       50     /* messages a client gets when it joins */
#define TEXT_MAX_CHARS   2000
#define NICK_MAX_CHARS   24
#define ROOM_MAX_CHARS   40

typedef struct
{
  char *id;
  char *json;                /* with its id */
} Entry;

typedef struct
{
  char       *name;
  char       *messages_topic;
  char       *presence_topic;
  GQueue      history;       /* Entry: oldest first, at most history_max */
  GHashTable *members;       /* Member, this process's connections */
  GHashTable *nicks;         /* in-process mode: nick -> count of connections */
  guint64     presence_version;
} Room;

typedef struct
{
  FwsWebSocket *ws;
  Room         *room;
  char         *nick;
  char         *member_id;   /* "SERVER:N NICK", unique across processes */
  char         *since;
  gboolean      present;
} Member;

static FwsHub *hub;
static GHashTable *rooms;
static guint history_max = 200;
static guint rooms_max = 1000;
static int presence_ttl = 15;   /* s: Redis presence entries, refreshed 3 times as often */
static char *server_name;
static guint64 member_counter;
#ifdef CHAT_HAVE_REDIS
static ChatRedis *redis;
#else
static gpointer redis;
#endif

/* ---- small helpers ---- */

static void
json_append_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (; *s; s++)
    {
      guchar c = (guchar) *s;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
parse_id (const char *id, guint64 *ms, guint64 *seq)
{
  char *end = NULL;

  *ms = g_ascii_strtoull (id, &end, 10);
  *seq = (end && *end == '-') ? g_ascii_strtoull (end + 1, NULL, 10) : 0;
}

int
chat_id_compare (const char *a, const char *b)
{
  guint64 ams, aseq, bms, bseq;

  parse_id (a, &ams, &aseq);
  parse_id (b, &bms, &bseq);
  if (ams != bms)
    return ams < bms ? -1 : 1;
  if (aseq != bseq)
    return aseq < bseq ? -1 : 1;
  return 0;
}

char *
chat_splice_id (const char *json_without_id, const char *id)
{
  GString *out = g_string_new ("{\"id\":");

  json_append_string (out, id);
  g_string_append_c (out, ',');
  g_string_append (out, json_without_id + 1);
  return g_string_free (out, FALSE);
}

char *
chat_topic_room (const char *topic, gboolean *is_messages)
{
  const char *colon;

  if (!g_str_has_prefix (topic, "room:"))
    return NULL;
  topic += strlen ("room:");
  colon = strrchr (topic, ':');
  if (colon == NULL)
    return NULL;
  *is_messages = g_str_equal (colon, ":messages");
  return g_strndup (topic, colon - topic);
}

static gboolean
valid_room (const char *room)
{
  size_t len = room ? strlen (room) : 0;

  if (len == 0 || len > ROOM_MAX_CHARS)
    return FALSE;
  for (size_t i = 0; i < len; i++)
    if (!g_ascii_isalnum (room[i]) && room[i] != '-' && room[i] != '_' && room[i] != '.')
      return FALSE;
  return TRUE;
}

static void
too_many_rooms (SoupServerMessage *msg)
{
  const char *text = "too many rooms on this server\n";

  soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, text, strlen (text));
}

static gboolean
valid_nick (const char *nick)
{
  glong n;

  if (nick == NULL || !g_utf8_validate (nick, -1, NULL))
    return FALSE;
  n = g_utf8_strlen (nick, -1);
  if (n == 0 || n > NICK_MAX_CHARS || g_ascii_isspace (nick[0]))
    return FALSE;
  for (const char *p = nick; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* A message id as the server gives them: digits, a dash, digits. */
static gboolean
valid_id (const char *id)
{
  const char *p = id;

  if (id == NULL || strlen (id) > 41 || !g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '-' && g_ascii_isdigit (p[1]))
    for (p++; g_ascii_isdigit (*p); p++)
      ;
  return *p == '\0';
}

static const char *
query_get (GHashTable *query, const char *key)
{
  const char *value = query ? g_hash_table_lookup (query, key) : NULL;

  return value && *value ? value : NULL;
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->id);
  g_free (entry->json);
  g_free (entry);
}

static void
room_free (gpointer data)
{
  Room *room = data;

  g_queue_clear_full (&room->history, entry_free);
  g_hash_table_unref (room->members);
  g_hash_table_unref (room->nicks);
  g_free (room->messages_topic);
  g_free (room->presence_topic);
  g_free (room->name);
  g_free (room);
}

/* Whether a request may use room @name: it exists, or there is room for
 * one more. */
static gboolean
room_admit (const char *name)
{
  return g_hash_table_contains (rooms, name) || g_hash_table_size (rooms) < rooms_max;
}

static Room *
room_get (const char *name)
{
  Room *room = g_hash_table_lookup (rooms, name);

  if (room == NULL)
    {
      room = g_new0 (Room, 1);
      room->name = g_strdup (name);
      room->messages_topic = g_strdup_printf ("room:%s:messages", name);
      room->presence_topic = g_strdup_printf ("room:%s:presence", name);
      g_queue_init (&room->history);
      room->members = g_hash_table_new (NULL, NULL);
      room->nicks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (rooms, room->name, room);
    }
  return room;
}

/* Keeps a message in the room's recent history: the authority in-process,
 * a cache of what the bus delivered with Redis. */
static void
room_record (Room       *room,
             const char *id,
             const char *json)
{
  Entry *last = g_queue_peek_tail (&room->history);
  Entry *entry;

  if (last != NULL && chat_id_compare (id, last->id) <= 0)
    return;
  entry = g_new (Entry, 1);
  entry->id = g_strdup (id);
  entry->json = g_strdup (json);
  g_queue_push_tail (&room->history, entry);
  while (g_queue_get_length (&room->history) > history_max)
    entry_free (g_queue_pop_head (&room->history));
}

void
chat_on_bus_message (const char    *topic,
                     FwsHubMessage *message)
{
  gboolean is_messages = FALSE;
  g_autofree char *name = chat_topic_room (topic, &is_messages);
  GBytes *data = fws_hub_message_get_data (message);
  g_autofree char *json = NULL;
  Room *room;
  gsize len;
  const char *bytes;

  /* Only rooms a client of this process asked for: the bus carries every
   * room of every process, and the history is in Redis anyway. */
  if (name == NULL || !is_messages || fws_hub_message_get_id (message) == NULL)
    return;
  room = g_hash_table_lookup (rooms, name);
  if (room == NULL)
    return;
  bytes = g_bytes_get_data (data, &len);
  json = g_strndup (bytes, len);
  room_record (room, fws_hub_message_get_id (message), json);
}

static char *
new_id (void)
{
  static guint64 last_ms, seq;
  guint64 ms = (guint64) (g_get_real_time () / 1000);

  if (ms <= last_ms)
    {
      ms = last_ms;
      seq++;
    }
  else
    seq = 0;
  last_ms = ms;
  return g_strdup_printf ("%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, ms, seq);
}

/* ---- sending to one connection ---- */

#ifdef CHAT_HAVE_REDIS
/* Still there when Redis answered? */
static gboolean
conn_is_open (GObject *conn)
{
  if (FWS_IS_WEB_SOCKET (conn))
    return fws_web_socket_get_ready_state (FWS_WEB_SOCKET (conn)) == FWS_READY_STATE_OPEN;
  return fws_event_source_get_ready_state (FWS_EVENT_SOURCE (conn)) == FWS_READY_STATE_OPEN;
}
#endif

static void
conn_send (GObject    *conn,
           const char *event,
           const char *id,
           const char *json)
{
  if (FWS_IS_WEB_SOCKET (conn))
    fws_web_socket_send_text (FWS_WEB_SOCKET (conn), json, NULL);
  else
    fws_event_source_send (FWS_EVENT_SOURCE (conn), json, event, id, NULL);
}

/* ---- history, then live messages ---- */

typedef struct
{
  GObject *conn;
  Room    *room;
} Replay;

/* Sends the room's recorded messages after @after (the last @count when
 * NULL), and subscribes: nothing is missed and nothing comes twice, since
 * this runs in one go on the main loop. */
static void
replay_finish (GObject    *conn,
               Room       *room,
               const char *after,
               guint       count)
{
  GList *l = room->history.tail;
  guint n = 0;

  /* Walk back to the first entry to send. */
  while (l != NULL && l->prev != NULL)
    {
      Entry *prev = l->prev->data;

      if (after != NULL ? chat_id_compare (prev->id, after) <= 0 : n + 1 >= count)
        break;
      l = l->prev;
      n++;
    }
  if (l != NULL && after != NULL && chat_id_compare (((Entry *) l->data)->id, after) <= 0)
    l = l->next;
  if (after == NULL && count == 0)
    l = NULL;
  for (; l != NULL; l = l->next)
    {
      Entry *entry = l->data;

      conn_send (conn, "message", entry->id, entry->json);
    }
  fws_hub_subscribe (hub, conn, room->messages_topic);
}

#ifdef CHAT_HAVE_REDIS
static void
replay_history_cb (GPtrArray    *messages,
                   const GError *error,
                   gpointer      user_data)
{
  Replay *replay = user_data;
  g_autofree char *last = NULL;

  if (error != NULL)
    {
      g_printerr ("history of %s: %s\n", replay->room->name, error->message);
      if (FWS_IS_WEB_SOCKET (replay->conn))
        fws_web_socket_close (FWS_WEB_SOCKET (replay->conn), 1011, "history unavailable", NULL);
      else
        fws_event_source_close (FWS_EVENT_SOURCE (replay->conn));
    }
  else if (conn_is_open (replay->conn))
    {
      for (guint i = 0; i < messages->len; i++)
        {
          const char *json = messages->pdata[i];
          /* {"id":"ID",... as chat_splice_id() writes it */
          const char *start = json + strlen ("{\"id\":\"");
          const char *end = strchr (start, '"');

          g_free (last);
          last = g_strndup (start, end - start);
          conn_send (replay->conn, "message", last, json);
        }
      /* What the bus delivered after Redis answered, recorded meanwhile. */
      replay_finish (replay->conn, replay->room, last ? last : g_object_get_data (replay->conn, "chat-since"),
                     last ? 0 : REPLAY_MAX);
    }
  g_object_unref (replay->conn);
  g_free (replay);
}
#endif

/* The room's messages after @since (or its last REPLAY_MAX), then the live
 * ones: from Redis, the stream first, then what the bus delivered after
 * Redis answered; in-process, the ring. */
static void
replay_start (GObject    *conn,
              Room       *room,
              const char *since)
{
  if (since != NULL)
    g_object_set_data_full (conn, "chat-since", g_strdup (since), g_free);
#ifdef CHAT_HAVE_REDIS
  if (redis != NULL)
    {
      Replay *replay = g_new0 (Replay, 1);

      replay->conn = g_object_ref (conn);
      replay->room = room;
      chat_redis_history (redis, room->name, since, REPLAY_MAX, replay_history_cb, replay);
      return;
    }
#endif
  replay_finish (conn, room, since, REPLAY_MAX);
}

/* ---- presence ---- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char *
presence_json_local (Room *room)
{
  g_autoptr(GPtrArray) nicks = g_ptr_array_new ();
  GString *out = g_string_new ("{\"type\":\"presence\",\"room\":");
  GHashTableIter iter;
  gpointer nick;

  g_hash_table_iter_init (&iter, room->nicks);
  while (g_hash_table_iter_next (&iter, &nick, NULL))
    g_ptr_array_add (nicks, nick);
  g_ptr_array_sort (nicks, compare_strings);
  json_append_string (out, room->name);
  g_string_append_printf (out, ",\"version\":%" G_GUINT64_FORMAT ",\"members\":[", room->presence_version);
  for (guint i = 0; i < nicks->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      json_append_string (out, nicks->pdata[i]);
    }
  g_string_append (out, "]}");
  return g_string_free (out, FALSE);
}

static void
presence_update (Member   *member,
                 gboolean  present)
{
  Room *room = member->room;

  if (member->present == present)
    return;
  member->present = present;
#ifdef CHAT_HAVE_REDIS
  if (redis != NULL)
    {
      const char *members[] = { member->member_id, NULL };

      chat_redis_presence (redis, room->name, present ? "add" : "rem", members, NULL, NULL);
      return;
    }
#endif
  {
    guint count = GPOINTER_TO_UINT (g_hash_table_lookup (room->nicks, member->nick));
    g_autofree char *json = NULL;
    g_autoptr(FwsHubMessage) message = NULL;

    if (present)
      g_hash_table_replace (room->nicks, g_strdup (member->nick), GUINT_TO_POINTER (count + 1));
    else if (count > 1)
      g_hash_table_replace (room->nicks, g_strdup (member->nick), GUINT_TO_POINTER (count - 1));
    else
      g_hash_table_remove (room->nicks, member->nick);
    /* The list changes only when a nickname comes or goes. */
    if ((present && count > 0) || (!present && count > 1))
      return;
    room->presence_version++;
    json = presence_json_local (room);
    message = fws_hub_message_new_event ("presence", json, NULL);
    fws_hub_publish (hub, room->presence_topic, message);
  }
}

#ifdef CHAT_HAVE_REDIS
/* Presence entries in Redis expire unless the process that holds the
 * connection refreshes them: those of a process that died go away. */
static gboolean
presence_refresh_cb (gpointer user_data)
{
  GHashTableIter iter;
  Room *room;

  g_hash_table_iter_init (&iter, rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    {
      g_autoptr(GPtrArray) ids = g_ptr_array_new ();
      GHashTableIter miter;
      Member *member;

      g_hash_table_iter_init (&miter, room->members);
      while (g_hash_table_iter_next (&miter, (gpointer *) &member, NULL))
        if (member->present)
          g_ptr_array_add (ids, member->member_id);
      /* With none, the refresh still drops the entries of dead processes. */
      g_ptr_array_add (ids, NULL);
      chat_redis_presence (redis, room->name, "refresh", (const char * const *) ids->pdata, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
presence_snapshot_cb (const char   *json,
                      const GError *error,
                      gpointer      user_data)
{
  GObject *conn = user_data;

  if (json != NULL && conn_is_open (conn))
    conn_send (conn, "presence", NULL, json);
  g_object_unref (conn);
}
#endif

/* ---- GET /chat: the WebSocket ---- */

static void
member_free (Member *member)
{
  g_free (member->nick);
  g_free (member->member_id);
  g_free (member->since);
  g_free (member);
}

static void
on_ws_open (FwsWebSocket *ws,
            gpointer      user_data)
{
  Member *member = user_data;
  GString *welcome = g_string_new ("{\"type\":\"welcome\",\"room\":");
  g_autoptr(GPtrArray) sessions = fws_web_socket_get_extension_sessions (ws);
  g_autofree char *json = NULL;

  json_append_string (welcome, member->room->name);
  g_string_append (welcome, ",\"nick\":");
  json_append_string (welcome, member->nick);
  g_string_append (welcome, ",\"server\":");
  json_append_string (welcome, server_name);
  g_string_append (welcome, ",\"url\":");
  json_append_string (welcome, fws_web_socket_get_url (ws));
  /* permessage-deflate is the only extension this server accepts. */
  g_string_append_printf (welcome, ",\"deflate\":%s,\"history\":\"%s\"}",
                          sessions && sessions->len > 0 ? "true" : "false",
                          redis ? "redis" : "memory");
  json = g_string_free (welcome, FALSE);
  fws_web_socket_send_text (ws, json, NULL);
  replay_start (G_OBJECT (ws), member->room, member->since);
  presence_update (member, TRUE);
}

static void
say (Room       *room,
     const char *nick,
     const char *text)
{
  GString *out = g_string_new ("{\"type\":\"message\",\"room\":");
  g_autofree char *json = NULL;
  g_autoptr(FwsHubMessage) message = NULL;

  json_append_string (out, room->name);
  g_string_append (out, ",\"nick\":");
  json_append_string (out, nick);
  g_string_append (out, ",\"text\":");
  json_append_string (out, text);
  g_string_append_printf (out, ",\"time\":%" G_GINT64_FORMAT "}", g_get_real_time () / 1000);
  json = g_string_free (out, FALSE);
  if (fws_hub_get_bridge (hub) != NULL)
    {
      /* The bridge gives it its id (the stream's) on the way through Redis. */
      message = fws_hub_message_new_event ("message", json, NULL);
    }
  else
    {
      g_autofree char *id = new_id ();
      g_autofree char *full = chat_splice_id (json, id);

      room_record (room, id, full);
      message = fws_hub_message_new_event ("message", full, id);
    }
  fws_hub_publish (hub, room->messages_topic, message);
}

static void
on_ws_message (FwsWebSocket   *ws,
               FwsMessageType  type,
               GBytes         *data,
               gpointer        user_data)
{
  Member *member = user_data;
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);
  g_autofree char *text = NULL;

  if (type != FWS_MESSAGE_TYPE_TEXT || !member->present)
    return;
  text = g_strstrip (g_strndup (bytes, len));
  if (*text == '\0')
    return;
  if (g_utf8_strlen (text, -1) > TEXT_MAX_CHARS)
    {
      fws_web_socket_send_text (ws, "{\"type\":\"error\",\"text\":\"message too long\"}", NULL);
      return;
    }
  say (member->room, member->nick, text);
}

static void
on_ws_close (FwsWebSocket *ws,
             guint         code,
             const char   *reason,
             gpointer      user_data)
{
  Member *member = user_data;

  /* The hub drops the connection from its topics by itself. */
  presence_update (member, FALSE);
  g_hash_table_remove (member->room->members, member);
  g_signal_handlers_disconnect_by_data (ws, member);
  member_free (member);
}

static void
serve_chat (SoupServerMessage *msg,
            GHashTable        *query)
{
  const char *room = query_get (query, "room");
  const char *nick = query_get (query, "nick");
  const char *since = query_get (query, "since");
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsWebSocket) ws = NULL;
  g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
  Member *member;

  if (!valid_room (room) || !valid_nick (nick))
    {
      const char *text = "room: 1 to 40 of A-Z a-z 0-9 - _ .; nick: 1 to 24 characters\n";

      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, text, strlen (text));
      return;
    }
  /* Pings below the read timeout of a proxy in front (nginx: 60 s). */
  ws = g_object_new (FWS_TYPE_WEB_SOCKET,
                     "ping-interval", 30000,
                     "pong-timeout", 10000,
                     "max-length", (guint64) 16384,
                     NULL);
  fws_web_socket_add_extension (ws, FWS_EXTENSION (deflate), NULL);
  if (!room_admit (room))
    {
      too_many_rooms (msg);
      return;
    }
  if (!fws_web_socket_accept (ws, msg, &error))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
                                        error->message, strlen (error->message));
      return;
    }
  member = g_new0 (Member, 1);
  member->ws = ws;
  member->room = room_get (room);
  member->nick = g_strdup (nick);
  member->member_id = g_strdup_printf ("%s:%" G_GUINT64_FORMAT " %s", server_name, ++member_counter, nick);
  member->since = valid_id (since) ? g_strdup (since) : NULL;
  g_hash_table_add (member->room->members, member);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), member);
  g_signal_connect (ws, "close", G_CALLBACK (on_ws_close), member);
  if (fws_web_socket_get_ready_state (ws) == FWS_READY_STATE_OPEN)
    on_ws_open (ws, member);
  else
    g_signal_connect (ws, "open", G_CALLBACK (on_ws_open), member);
}

/* ---- GET /presence and GET /messages: EventSource ---- */

/* The first event of both feeds: which process serves it, and the URL it
 * sees (https:// behind a proxy that terminates TLS). No id: it leaves the
 * client's Last-Event-ID alone. */
static void
send_hello (FwsEventSource *es,
            Room           *room)
{
  GString *hello = g_string_new ("{\"type\":\"hello\",\"room\":");
  g_autofree char *json = NULL;

  json_append_string (hello, room->name);
  g_string_append (hello, ",\"server\":");
  json_append_string (hello, server_name);
  g_string_append (hello, ",\"url\":");
  json_append_string (hello, fws_event_source_get_url (es));
  g_string_append_c (hello, '}');
  json = g_string_free (hello, FALSE);
  fws_event_source_send (es, json, "hello", NULL, NULL);
}

static void
on_presence_open (FwsEventSource *es,
                  gpointer        user_data)
{
  Room *room = user_data;

  g_signal_handlers_disconnect_by_func (es, on_presence_open, user_data);
  send_hello (es, room);
  /* Subscribed first: an update that comes before the snapshot is newer
   * or the same; the page keeps the highest version. */
  fws_hub_subscribe (hub, G_OBJECT (es), room->presence_topic);
#ifdef CHAT_HAVE_REDIS
  if (redis != NULL)
    {
      chat_redis_presence (redis, room->name, "get", NULL, presence_snapshot_cb, g_object_ref (es));
      return;
    }
#endif
  {
    g_autofree char *snapshot = presence_json_local (room);

    fws_event_source_send (es, snapshot, "presence", NULL, NULL);
  }
}

static void
on_messages_open (FwsEventSource *es,
                  gpointer        user_data)
{
  const char *last = fws_event_source_get_last_event_id (es);

  g_signal_handlers_disconnect_by_func (es, on_messages_open, user_data);
  send_hello (es, user_data);
  replay_start (G_OBJECT (es), user_data, valid_id (last) ? last : NULL);
}

static void
serve_event_source (SoupServerMessage *msg,
                    GHashTable        *query,
                    GCallback          on_open)
{
  const char *room = query_get (query, "room");
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsEventSource) es = g_object_new (FWS_TYPE_EVENT_SOURCE,
                                               "ping-seconds", 20.0,
                                               "retry", 1.0,
                                               NULL);

  if (!valid_room (room))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  if (!room_admit (room))
    {
      too_many_rooms (msg);
      return;
    }
  /* curl and other clients do not ask for text/event-stream. */
  if (!fws_event_source_is_event_source_request (msg))
    soup_message_headers_replace (soup_server_message_get_request_headers (msg),
                                  "Accept", "text/event-stream");
  if (!fws_event_source_accept (es, msg, &error))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
                                        error->message, strlen (error->message));
      return;
    }
  if (fws_event_source_get_ready_state (es) == FWS_READY_STATE_OPEN)
    ((void (*) (FwsEventSource *, gpointer)) on_open) (es, room_get (room));
  else
    g_signal_connect (es, "open", on_open, room_get (room));
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  gboolean get = soup_server_message_get_method (msg) == SOUP_METHOD_GET;

  if (g_str_equal (path, "/chat") && fws_web_socket_is_websocket_request (msg))
    serve_chat (msg, query);
  else if (get && g_str_equal (path, "/presence"))
    serve_event_source (msg, query, G_CALLBACK (on_presence_open));
  else if (get && g_str_equal (path, "/messages"))
    serve_event_source (msg, query, G_CALLBACK (on_messages_open));
  else if (get && g_str_equal (path, "/"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                        chat_page, strlen (chat_page));
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* ---- main ---- */

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static guint
count_members (void)
{
  GHashTableIter iter;
  Room *room;
  guint n = 0;

  g_hash_table_iter_init (&iter, rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    n += g_hash_table_size (room->members);
  return n;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(FwsListener) listener = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  g_autofree char *redis_address = NULL;
  int port = 8080;
  int history = 200;
  int max_rooms = 1000;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 8080; 0 picks a free one)", "N" },
    { "redis", 0, 0, G_OPTION_ARG_STRING, &redis_address,
      "Share rooms with other processes through the Redis server at HOST:PORT", "HOST:PORT" },
    { "history", 0, 0, G_OPTION_ARG_INT, &history, "Messages kept per room (default 200)", "N" },
    { "max-rooms", 0, 0, G_OPTION_ARG_INT, &max_rooms, "Rooms kept at most; a new one past it is refused (default 1000)", "N" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &server_name, "This process's name (default HOST-PID)", "NAME" },
    { "presence-ttl", 0, 0, G_OPTION_ARG_INT, &presence_ttl,
      "With --redis: seconds before the nicknames of a process that died leave the presence lists (default 15)", "S" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- chat server: rooms, nicknames, presence, history");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("invalid --port %d: expected 0 to 65535\n", port);
      return 2;
    }
  if (history < 1 || history > 100000)
    {
      g_printerr ("invalid --history %d: expected 1 to 100000\n", history);
      return 2;
    }
  history_max = (guint) history;
  if (max_rooms < 1 || max_rooms > 1000000)
    {
      g_printerr ("invalid --max-rooms %d: expected 1 to 1000000\n", max_rooms);
      return 2;
    }
  rooms_max = (guint) max_rooms;
  if (presence_ttl < 3 || presence_ttl > 3600)
    {
      g_printerr ("invalid --presence-ttl %d: expected 3 to 3600 seconds\n", presence_ttl);
      return 2;
    }
  if (server_name == NULL)
    server_name = g_strdup_printf ("%s-%d", g_get_host_name (), (int) getpid ());

  hub = fws_hub_new ();
  /* A client too slow to keep up is closed rather than skipped: it comes
   * back with the id of the last message it got and misses nothing. */
  fws_hub_set_overflow_policy (hub, FWS_HUB_OVERFLOW_CLOSE);
  rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, room_free);
  if (redis_address != NULL)
    {
#ifdef CHAT_HAVE_REDIS
      const char *colon = strrchr (redis_address, ':');
      g_autofree char *redis_host = colon ? g_strndup (redis_address, colon - redis_address) : NULL;
      guint64 redis_port = 0;

      if (colon == NULL || *redis_host == '\0' ||
          !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &redis_port, NULL))
        {
          g_printerr ("invalid --redis %s: expected HOST:PORT\n", redis_address);
          return 2;
        }
      redis = chat_redis_connect (redis_host, (int) redis_port, hub, history_max,
                                  (guint) presence_ttl * 1000, &error);
      if (redis == NULL)
        {
          g_printerr ("cannot use Redis at %s: %s\n", redis_address, error->message);
          return 1;
        }
      g_timeout_add_seconds ((guint) presence_ttl / 3, presence_refresh_cb, NULL);
#else
      g_printerr ("--redis: this fws-chat-server was built without hiredis\n");
      return 2;
#endif
    }

  address = g_inet_address_new_from_string (host ? host : "127.0.0.1");
  if (address == NULL)
    {
      g_printerr ("invalid --host %s: expected an IP address\n", host);
      return 2;
    }
  sockaddr = g_inet_socket_address_new (address, (guint16) port);
  sock = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &error);
  if (sock)
    g_socket_set_option (sock, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  if (sock == NULL ||
      !g_socket_bind (sock, sockaddr, TRUE, &error) ||
      (g_socket_set_listen_backlog (sock, 1024), !g_socket_listen (sock, &error)))
    {
      g_printerr ("cannot listen: %s\n", error->message);
      return 1;
    }

  server = soup_server_new ("server-header", "fws-chat-server", NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  listener = fws_listener_new ();
  fws_listener_set_soup_server (listener, server);
  if (!fws_listener_add_socket (listener, sock, &error))
    {
      g_printerr ("cannot listen: %s\n", error->message);
      return 1;
    }

  bound = g_socket_get_local_address (sock, &error);
  {
    g_autofree char *addr = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)));
    guint16 real_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

    if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
      printf ("listening on http://[%s]:%u/\n", addr, real_port);
    else
      printf ("listening on http://%s:%u/\n", addr, real_port);
    fflush (stdout);
  }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  fws_listener_stop (listener);
  /* Goodbye to every client (1001: they reconnect, to another process
   * behind a proxy), and a few seconds for their close handshakes, which
   * take them out of the presence lists. */
  if (fws_server_close_all (1001, "server stopping") > 0)
    {
      gboolean timed_out = FALSE;
      guint timeout = g_timeout_add_seconds (3, timed_out_cb, &timed_out);

      while (!timed_out && count_members () > 0)
        g_main_context_iteration (NULL, TRUE);
      if (!timed_out)
        g_source_remove (timeout);
    }
#ifdef CHAT_HAVE_REDIS
  if (redis != NULL)
    {
      /* Those still there leave the presence lists now rather than when
       * their entries expire. */
      GHashTableIter iter;
      Room *room;

      g_hash_table_iter_init (&iter, rooms);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
        {
          g_autoptr(GPtrArray) ids = g_ptr_array_new ();
          GHashTableIter miter;
          Member *member;

          g_hash_table_iter_init (&miter, room->members);
          while (g_hash_table_iter_next (&miter, (gpointer *) &member, NULL))
            if (member->present)
              {
                g_ptr_array_add (ids, member->member_id);
                member->present = FALSE;
              }
          g_ptr_array_add (ids, NULL);
          if (ids->len > 1)
            chat_redis_presence (redis, room->name, "rem", (const char * const *) ids->pdata, NULL, NULL);
        }
      chat_redis_close (redis, 2000);
    }
#endif
  soup_server_disconnect (server);
  return 0;
}
