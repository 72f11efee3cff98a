/* chat.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What chat-server.c and its Redis part (chat-redis.c) share.
 */
#pragma once

#include <fws-glib/fws-glib.h>

/* Message ids are Redis stream ids, "MILLISECONDS-SEQUENCE", in both modes. */
int   chat_id_compare (const char *a, const char *b);

/* Topics: "room:NAME:messages" and "room:NAME:presence". */
char *chat_topic_room (const char *topic, gboolean *is_messages);

/* "{"id":"ID","type":...": the message JSON without its id, and the id. */
char *chat_splice_id  (const char *json_without_id, const char *id);

/* Called for every message the Redis bus delivers, before the hub sends it
 * to this process's subscribers (it records chat messages in the room's
 * recent history). */
void  chat_on_bus_message (const char *topic, FwsHubMessage *message);

#ifdef CHAT_HAVE_REDIS
typedef struct _ChatRedis ChatRedis;

/* History: an array of message JSON strings (with ids), oldest first, or
 * NULL with error. */
typedef void (*ChatRedisHistoryFunc) (GPtrArray *messages, const GError *error, gpointer user_data);
/* Presence: the room's presence JSON, or NULL with error. */
typedef void (*ChatRedisPresenceFunc) (const char *json, const GError *error, gpointer user_data);

ChatRedis *chat_redis_connect  (const char *host, int port, FwsHub *hub, guint history_max,
                                guint presence_ttl_ms, GError **error);
void       chat_redis_history  (ChatRedis *redis, const char *room, const char *since,
                                guint count, ChatRedisHistoryFunc func, gpointer user_data);
/* op: "add", "rem", "refresh" or "get"; members: "ID NICK" strings. */
void       chat_redis_presence (ChatRedis *redis, const char *room, const char *op,
                                const char * const *members, ChatRedisPresenceFunc func,
                                gpointer user_data);
/* Runs the main context until every command sent was answered (at most
 * timeout_ms), then disconnects. */
void       chat_redis_close    (ChatRedis *redis, guint timeout_ms);
#endif
