/* chat-redis.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The chat's scale-out through Redis, with hiredis's GLib adapter: an
 * FwsHubBridge that publishes to Redis pub/sub, and a subscription that
 * hands every message the bus delivers (this process's own included) to
 * fws_hub_deliver(), so that every process delivers in Redis's order.
 *
 * Redis holds, per room R:
 *   fws-chat:room:R:stream     the recent messages (XADD MAXLEN, XRANGE)
 *   fws-chat:room:R:presence   sorted set: "SERVER:N NICK" -> expiry (ms)
 *   fws-chat:room:R:state      hash: the presence list's version and JSON
 * and the bus carries, on channel "fws-chat:" + topic, "EVENT\nID\nDATA".
 *
 * A message is added to the stream and published by one Lua script, so the
 * stream's order and the bus's are the same; the script gives the message
 * the stream's id.
 */
#include "chat.h"

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>
#include <string.h>

#define CHANNEL_PREFIX  "fws-chat:"

/* KEYS: stream. ARGV: channel, message JSON without id, MAXLEN. */
static const char say_script[] =
  "local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '*', 'm', ARGV[2])\n"
  "local json = '{\"id\":\"' .. id .. '\",' .. string.sub(ARGV[2], 2)\n"
  "redis.call('PUBLISH', ARGV[1], 'message\\n' .. id .. '\\n' .. json)\n"
  "return id\n";

/* KEYS: presence set, state hash. ARGV: channel, op (add, rem, refresh,
 * get), ttl (ms), room, members... Publishes the list when it changed and
 * returns it. */
static const char presence_script[] =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
  "local op, ttl = ARGV[2], tonumber(ARGV[3])\n"
  "for i = 5, #ARGV do\n"
  "  if op == 'add' then redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])\n"
  "  elseif op == 'rem' then redis.call('ZREM', KEYS[1], ARGV[i])\n"
  "  elseif op == 'refresh' then redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i]) end\n"
  "end\n"
  "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
  "local seen, nicks = {}, {}\n"
  "for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
  "  local nick = string.match(m, '^[^ ]* (.*)$')\n"
  "  if nick and not seen[nick] then seen[nick] = true; nicks[#nicks + 1] = nick end\n"
  "end\n"
  "table.sort(nicks)\n"
  "for i, n in ipairs(nicks) do nicks[i] = cjson.encode(n) end\n"
  "local members = '[' .. table.concat(nicks, ',') .. ']'\n"
  "local old = redis.call('HGET', KEYS[2], 'members') or '[]'\n"
  "local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')\n"
  "if members ~= old then\n"
  "  version = redis.call('HINCRBY', KEYS[2], 'version', 1)\n"
  "  redis.call('HSET', KEYS[2], 'members', members)\n"
  "end\n"
  "local json = '{\"type\":\"presence\",\"room\":' .. cjson.encode(ARGV[4]) ..\n"
  "  ',\"version\":' .. version .. ',\"members\":' .. members .. '}'\n"
  "if members ~= old then redis.call('PUBLISH', ARGV[1], 'presence\\n\\n' .. json) end\n"
  "return json\n";

struct _ChatRedis
{
  redisAsyncContext *cmd;    /* commands */
  redisAsyncContext *sub;    /* the subscription */
  GSource           *cmd_source;
  GSource           *sub_source;
  FwsHub            *hub;
  FwsHubBridge      *bridge;
  char              *history_max;
  char              *presence_ttl_ms;
  guint              pending;   /* commands sent on cmd, not answered yet */
  gboolean           subscribed;
  gboolean           closing;
  int                n_connected;
  char              *error;
};

/* ---- the bridge ---- */

#define CHAT_TYPE_REDIS_BRIDGE (chat_redis_bridge_get_type ())
G_DECLARE_FINAL_TYPE (ChatRedisBridge, chat_redis_bridge, CHAT, REDIS_BRIDGE, GObject)

struct _ChatRedisBridge
{
  GObject    parent_instance;
  ChatRedis *redis;
};

static void chat_redis_bridge_iface_init (FwsHubBridgeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ChatRedisBridge, chat_redis_bridge, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FWS_TYPE_HUB_BRIDGE, chat_redis_bridge_iface_init))

static void
chat_redis_bridge_class_init (ChatRedisBridgeClass *klass)
{
}

static void
chat_redis_bridge_init (ChatRedisBridge *self)
{
}

/* ---- commands ---- */

typedef struct
{
  ChatRedis *redis;
  void     (*func) (ChatRedis *redis, redisReply *reply, gpointer user_data);
  gpointer   user_data;
} Call;

static void
call_cb (redisAsyncContext *ac,
         void              *reply,
         void              *privdata)
{
  Call *call = privdata;

  call->redis->pending--;
  if (call->func != NULL)
    call->func (call->redis, reply, call->user_data);
  g_free (call);
}

/* argv: NULL-terminated; @lens may be NULL (strlen). */
static void
command (ChatRedis   *redis,
         const char **argv,
         const size_t *lens,
         void        (*func) (ChatRedis *, redisReply *, gpointer),
         gpointer     user_data)
{
  Call *call = g_new0 (Call, 1);
  size_t argc = g_strv_length ((char **) argv);
  g_autofree size_t *argvlen = g_new (size_t, argc);

  for (size_t i = 0; i < argc; i++)
    argvlen[i] = lens && lens[i] != (size_t) -1 ? lens[i] : strlen (argv[i]);
  call->redis = redis;
  call->func = func;
  call->user_data = user_data;
  redis->pending++;
  if (redisAsyncCommandArgv (redis->cmd, call_cb, call, (int) argc, argv, argvlen) != REDIS_OK)
    {
      /* Disconnected: the callback will not run. */
      redis->pending--;
      if (func != NULL)
        func (redis, NULL, user_data);
      g_free (call);
    }
}

static void
say_cb (ChatRedis  *redis,
        redisReply *reply,
        gpointer    user_data)
{
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
    g_printerr ("Redis: cannot publish: %s\n", reply ? reply->str : "disconnected");
}

static void
chat_redis_bridge_publish (FwsHubBridge  *bridge,
                           FwsHub        *hub,
                           const char    *topic,
                           FwsHubMessage *message)
{
  ChatRedis *redis = CHAT_REDIS_BRIDGE (bridge)->redis;
  g_autofree char *channel = g_strconcat (CHANNEL_PREFIX, topic, NULL);
  gboolean is_messages = FALSE;
  g_autofree char *room = chat_topic_room (topic, &is_messages);
  GBytes *data = fws_hub_message_get_data (message);
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  if (room != NULL && is_messages && fws_hub_message_get_id (message) == NULL)
    {
      /* A new chat message: into the stream and onto the bus at once. */
      g_autofree char *key = g_strdup_printf (CHANNEL_PREFIX "room:%s:stream", room);
      const char *argv[] = { "EVAL", say_script, "1", key, channel, bytes, redis->history_max, NULL };
      size_t lens[] = { (size_t) -1, (size_t) -1, (size_t) -1, (size_t) -1, (size_t) -1, len, (size_t) -1 };

      command (redis, argv, lens, say_cb, NULL);
    }
  else
    {
      /* Anything else goes over the bus as it is. */
      const char *event = fws_hub_message_get_event (message);
      const char *id = fws_hub_message_get_id (message);
      GString *payload = g_string_new (NULL);
      const char *argv[] = { "PUBLISH", channel, NULL, NULL };
      size_t lens[] = { (size_t) -1, (size_t) -1, 0 };

      g_string_append_printf (payload, "%s\n%s\n", event ? event : "", id ? id : "");
      g_string_append_len (payload, bytes, len);
      argv[2] = payload->str;
      lens[2] = payload->len;
      command (redis, argv, lens, say_cb, NULL);
      g_string_free (payload, TRUE);
    }
}

static void
chat_redis_bridge_iface_init (FwsHubBridgeInterface *iface)
{
  iface->publish = chat_redis_bridge_publish;
}

/* ---- the subscription ---- */

static void
subscription_cb (redisAsyncContext *ac,
                 void              *r,
                 void              *privdata)
{
  ChatRedis *redis = privdata;
  redisReply *reply = r;
  const char *channel, *payload, *end, *nl1, *nl2;
  g_autofree char *event = NULL;
  g_autofree char *id = NULL;
  g_autofree char *data = NULL;
  FwsHubMessage *message;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
    return;
  if (g_str_equal (reply->element[0]->str, "psubscribe"))
    {
      redis->subscribed = TRUE;
      return;
    }
  if (!g_str_equal (reply->element[0]->str, "pmessage") || reply->elements != 4)
    return;
  channel = reply->element[2]->str;
  payload = reply->element[3]->str;
  end = payload + reply->element[3]->len;
  nl1 = memchr (payload, '\n', end - payload);
  nl2 = nl1 ? memchr (nl1 + 1, '\n', end - nl1 - 1) : NULL;
  if (!g_str_has_prefix (channel, CHANNEL_PREFIX) || nl2 == NULL)
    return;
  event = g_strndup (payload, nl1 - payload);
  id = g_strndup (nl1 + 1, nl2 - nl1 - 1);
  data = g_strndup (nl2 + 1, end - nl2 - 1);
  message = fws_hub_message_new_event (*event ? event : NULL, data, *id ? id : NULL);
  channel += strlen (CHANNEL_PREFIX);
  chat_on_bus_message (channel, message);
  fws_hub_deliver (redis->hub, channel, message);
  fws_hub_message_unref (message);
}

/* ---- history and presence ---- */

typedef struct
{
  ChatRedisHistoryFunc func;
  gpointer             user_data;
  gboolean             reverse;
} HistoryCall;

static void
history_cb (ChatRedis  *redis,
            redisReply *reply,
            gpointer    user_data)
{
  HistoryCall *call = user_data;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                 reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "disconnected");
  else
    for (size_t i = 0; i < reply->elements; i++)
      {
        size_t k = call->reverse ? reply->elements - 1 - i : i;
        redisReply *entry = reply->element[k];

        /* [id, ["m", json]] */
        if (entry->type == REDIS_REPLY_ARRAY && entry->elements == 2 &&
            entry->element[1]->type == REDIS_REPLY_ARRAY && entry->element[1]->elements == 2)
          g_ptr_array_add (messages, chat_splice_id (entry->element[1]->element[1]->str,
                                                     entry->element[0]->str));
      }
  call->func (error ? NULL : messages, error, call->user_data);
  g_free (call);
}

void
chat_redis_history (ChatRedis            *redis,
                    const char           *room,
                    const char           *since,
                    guint                 count,
                    ChatRedisHistoryFunc  func,
                    gpointer              user_data)
{
  g_autofree char *key = g_strdup_printf (CHANNEL_PREFIX "room:%s:stream", room);
  g_autofree char *start = since ? g_strconcat ("(", since, NULL) : NULL;
  g_autofree char *n = g_strdup_printf ("%u", since ? G_MAXINT : count);
  HistoryCall *call = g_new0 (HistoryCall, 1);

  call->func = func;
  call->user_data = user_data;
  call->reverse = since == NULL;
  if (since != NULL)
    {
      /* Everything after the client's last id, oldest first. */
      const char *argv[] = { "XRANGE", key, start, "+", "COUNT", redis->history_max, NULL };

      command (redis, argv, NULL, history_cb, call);
    }
  else
    {
      /* The last @count, newest first: history_cb turns them round. */
      const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", n, NULL };

      command (redis, argv, NULL, history_cb, call);
    }
}

typedef struct
{
  ChatRedisPresenceFunc func;
  gpointer              user_data;
} PresenceCall;

static void
presence_cb (ChatRedis  *redis,
             redisReply *reply,
             gpointer    user_data)
{
  PresenceCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (reply == NULL || reply->type != REDIS_REPLY_STRING)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                   reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "disconnected");
      if (call->func == NULL)
        g_printerr ("Redis: presence: %s\n", error->message);
    }
  if (call->func != NULL)
    call->func (error ? NULL : reply->str, error, call->user_data);
  g_free (call);
}

void
chat_redis_presence (ChatRedis                *redis,
                     const char               *room,
                     const char               *op,
                     const char * const       *members,
                     ChatRedisPresenceFunc     func,
                     gpointer                  user_data)
{
  g_autofree char *set = g_strdup_printf (CHANNEL_PREFIX "room:%s:presence", room);
  g_autofree char *state = g_strdup_printf (CHANNEL_PREFIX "room:%s:state", room);
  g_autofree char *channel = g_strdup_printf (CHANNEL_PREFIX "room:%s:presence", room);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  PresenceCall *call = g_new0 (PresenceCall, 1);

  call->func = func;
  call->user_data = user_data;
  g_ptr_array_add (argv, (gpointer) "EVAL");
  g_ptr_array_add (argv, (gpointer) presence_script);
  g_ptr_array_add (argv, (gpointer) "2");
  g_ptr_array_add (argv, set);
  g_ptr_array_add (argv, state);
  g_ptr_array_add (argv, channel);
  g_ptr_array_add (argv, (gpointer) op);
  g_ptr_array_add (argv, redis->presence_ttl_ms);
  g_ptr_array_add (argv, (gpointer) room);
  for (; members && *members; members++)
    g_ptr_array_add (argv, (gpointer) *members);
  g_ptr_array_add (argv, NULL);
  command (redis, (const char **) argv->pdata, NULL, presence_cb, call);
}

/* ---- connecting ---- */

static void
connect_cb (const redisAsyncContext *ac,
            int                      status)
{
  ChatRedis *redis = ac->data;

  if (status != REDIS_OK)
    {
      if (redis->error == NULL)
        redis->error = g_strdup (ac->errstr);
      return;
    }
  redis->n_connected++;
}

static void
disconnect_cb (const redisAsyncContext *ac,
               int                      status)
{
  ChatRedis *redis = ac->data;

  redis->n_connected--;
  if (ac == redis->cmd)
    redis->cmd = NULL;
  else
    redis->sub = NULL;
  if (!redis->closing)
    {
      /* The rooms cannot go on without the bus: a supervisor restarts the
       * process and the clients reconnect, to it or to another one. */
      g_printerr ("lost the connection to Redis: %s\n", ac->errstr[0] ? ac->errstr : "closed");
      exit (1);
    }
}

static redisAsyncContext *
open_context (ChatRedis   *redis,
              const char  *host,
              int          port,
              GSource    **source,
              GError     **error)
{
  redisAsyncContext *ac = redisAsyncConnect (host, port);

  if (ac == NULL || ac->err)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", ac ? ac->errstr : "out of memory");
      if (ac != NULL)
        redisAsyncFree (ac);
      return NULL;
    }
  ac->data = redis;
  *source = redis_source_new (ac);
  g_source_set_static_name (*source, "fws-chat-redis");
  g_source_attach (*source, NULL);
  redisAsyncSetConnectCallback (ac, connect_cb);
  redisAsyncSetDisconnectCallback (ac, disconnect_cb);
  return ac;
}

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
ping_cb (ChatRedis  *redis,
         redisReply *reply,
         gpointer    user_data)
{
  *(int *) user_data = reply && reply->type != REDIS_REPLY_ERROR ? 1 : -1;
}

ChatRedis *
chat_redis_connect (const char  *host,
                    int          port,
                    FwsHub      *hub,
                    guint        history_max,
                    guint        presence_ttl_ms,
                    GError     **error)
{
  ChatRedis *redis = g_new0 (ChatRedis, 1);
  gboolean timed_out = FALSE;
  guint timeout;
  int pong = 0;
  const char *ping[] = { "PING", NULL };

  redis->hub = hub;
  redis->history_max = g_strdup_printf ("%u", history_max);
  redis->presence_ttl_ms = g_strdup_printf ("%u", presence_ttl_ms);
  redis->cmd = open_context (redis, host, port, &redis->cmd_source, error);
  if (redis->cmd != NULL)
    redis->sub = open_context (redis, host, port, &redis->sub_source, error);
  if (redis->sub == NULL)
    return NULL;
  redisAsyncCommand (redis->sub, subscription_cb, redis, "PSUBSCRIBE " CHANNEL_PREFIX "room:*");
  command (redis, ping, NULL, ping_cb, &pong);
  /* Both connections up and subscribed within 5 s, or an error. */
  timeout = g_timeout_add_seconds (5, timed_out_cb, &timed_out);
  while (!timed_out && redis->error == NULL && !(redis->subscribed && pong != 0))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  if (redis->error != NULL || timed_out || pong < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                   redis->error ? redis->error : timed_out ? "no answer within 5 s" : "PING failed");
      return NULL;
    }
  redis->bridge = g_object_new (CHAT_TYPE_REDIS_BRIDGE, NULL);
  CHAT_REDIS_BRIDGE (redis->bridge)->redis = redis;
  fws_hub_set_bridge (hub, redis->bridge);
  return redis;
}

void
chat_redis_close (ChatRedis *redis,
                  guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (timeout_ms, timed_out_cb, &timed_out);

  while (!timed_out && redis->pending > 0)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  redis->closing = TRUE;
  fws_hub_set_bridge (redis->hub, NULL);
  if (redis->cmd != NULL)
    redisAsyncDisconnect (redis->cmd);
  if (redis->sub != NULL)
    redisAsyncDisconnect (redis->sub);
}
