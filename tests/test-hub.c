/* test-hub.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsHub over real connections: a SoupServer (or the stream door) on
 * 127.0.0.1 whose handler subscribes every WebSocket and EventSource to a
 * topic, real FwsClient peers and raw TCP peers that read the frames as
 * bytes.
 */
#include "test-utils.h"

#include <string.h>
#include <sys/socket.h>

#include "fws-glib/fws-hub-private.h"

typedef struct
{
  FwsTestServer *server;
  guint          port;
  FwsHub        *hub;
  GPtrArray     *server_conns;   /* of GObject, every connection the handler made */
  FwsPermessageDeflate *deflate; /* (nullable) offered by the server */
  GPtrArray     *server_texts;   /* of char*, what server WebSockets received */
  guint          server_close_timeout;
} Fixture;

static void
server_text_cb (FwsWebSocket *ws, const char *text, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->server_texts, g_strdup (text));
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  const char *topic = fws_test_request_get_path (request) + 1;

  if (fws_test_request_is_event_source (request))
    {
      FwsEventSource *es = fws_test_request_new_event_source (request, &error);

      g_assert_no_error (error);
      fws_hub_subscribe (f->hub, G_OBJECT (es), topic);
      g_ptr_array_add (f->server_conns, es);
      return;
    }
  if (!fws_test_request_expect_websocket (request))
    return;
  {
    FwsWebSocket *ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);

    if (f->deflate != NULL)
      g_assert_true (fws_web_socket_add_extension (ws, FWS_EXTENSION (f->deflate), NULL));
    if (f->server_close_timeout)
      fws_web_socket_set_close_timeout (ws, f->server_close_timeout);
    g_signal_connect (ws, "text-message", G_CALLBACK (server_text_cb), f);
    g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
    g_assert_no_error (error);
    fws_hub_subscribe (f->hub, G_OBJECT (ws), topic);
    g_ptr_array_add (f->server_conns, ws);
  }
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->hub = fws_hub_new ();
  f->server_conns = g_ptr_array_new_with_free_func (g_object_unref);
  f->server_texts = g_ptr_array_new_with_free_func (g_free);
  f->server = fws_test_server_start (GPOINTER_TO_INT (data), NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  /* Disconnect from connections that may outlive the fixture. */
  for (guint i = 0; i < f->server_conns->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (f->server_conns, i), f);
  g_clear_pointer (&f->server, fws_test_server_stop);
  g_clear_object (&f->hub);
  g_clear_pointer (&f->server_texts, g_ptr_array_unref);
  g_clear_pointer (&f->server_conns, g_ptr_array_unref);
  g_clear_object (&f->deflate);
  fws_test_run_for (10);
}

/* ---- FwsClient subscribers ---- */

typedef struct
{
  FwsClient *client;
  GPtrArray *texts;   /* of char* */
  gboolean   open;
  gboolean   closed;
} Sub;

static void
sub_open_cb (FwsWebSocket *ws, gpointer user_data)
{
  ((Sub *) user_data)->open = TRUE;
}

static void
sub_text_cb (FwsWebSocket *ws, const char *text, gpointer user_data)
{
  g_ptr_array_add (((Sub *) user_data)->texts, g_strdup (text));
}

static void
sub_close_cb (FwsWebSocket *ws, guint code, const char *reason, gpointer user_data)
{
  ((Sub *) user_data)->closed = TRUE;
}

static Sub *
sub_connect (Fixture *f, const char *topic)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/%s", f->port, topic);
  Sub *sub = g_new0 (Sub, 1);

  sub->texts = g_ptr_array_new_with_free_func (g_free);
  sub->client = fws_client_new (url, NULL, NULL);
  g_signal_connect (sub->client, "open", G_CALLBACK (sub_open_cb), sub);
  g_signal_connect (sub->client, "text-message", G_CALLBACK (sub_text_cb), sub);
  g_signal_connect (sub->client, "close", G_CALLBACK (sub_close_cb), sub);
  return sub;
}

static void
sub_free (Sub *sub)
{
  g_signal_handlers_disconnect_by_data (sub->client, sub);
  fws_web_socket_close (FWS_WEB_SOCKET (sub->client), 0, NULL, NULL);
  g_object_unref (sub->client);
  g_ptr_array_unref (sub->texts);
  g_free (sub);
}

/* N clients on one topic get every message, in order. */
static void
test_fanout_text (Fixture *f, gconstpointer data)
{
  enum { N = 5, MESSAGES = 20 };
  Sub *subs[N];
  FwsHubStats stats;

  for (guint i = 0; i < N; i++)
    subs[i] = sub_connect (f, "room");
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N, 10);
  for (guint i = 0; i < N; i++)
    fws_test_wait_until (subs[i]->open, 10);

  fws_hub_reset_stats (f->hub);
  for (guint m = 0; m < MESSAGES; m++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", m);

      g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", text), ==, N);
    }
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "nobody", "x"), ==, 0);
  fws_hub_get_stats (f->hub, &stats);
  /* One frame per message, whatever the number of subscribers. */
  g_assert_cmpuint (stats.frames_encoded, ==, MESSAGES);
  g_assert_cmpuint (stats.per_connection, ==, 0);
  g_assert_cmpuint (stats.delivered, ==, N * MESSAGES);

  for (guint i = 0; i < N; i++)
    {
      fws_test_wait_until (subs[i]->texts->len == MESSAGES, 10);
      for (guint m = 0; m < MESSAGES; m++)
        {
          g_autofree char *text = g_strdup_printf ("message %u", m);

          g_assert_cmpstr (g_ptr_array_index (subs[i]->texts, m), ==, text);
        }
    }
  for (guint i = 0; i < N; i++)
    sub_free (subs[i]);
  /* Closed connections leave their topics by themselves. */
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 0, 10);
}

/* ---- Raw TCP peers: what arrives, byte for byte ---- */

typedef struct
{
  GSocket    *socket;
  GByteArray *in;
  gsize       head_len;   /* of the response head in @in, once read */
} Raw;

/* Connects; @rcvbuf > 0 shrinks the receive buffer first (a slow peer). */
static Raw *
raw_connect (Fixture *f, int rcvbuf)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, (guint16) f->port);
  Raw *raw = g_new0 (Raw, 1);

  raw->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  if (rcvbuf > 0)
    g_assert_true (g_socket_set_option (raw->socket, SOL_SOCKET, SO_RCVBUF, rcvbuf, NULL));
  g_assert_true (g_socket_connect (raw->socket, addr, NULL, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (raw->socket, FALSE);
  raw->in = g_byte_array_new ();
  return raw;
}

static void
raw_free (Raw *raw)
{
  g_socket_close (raw->socket, NULL);
  g_object_unref (raw->socket);
  g_byte_array_unref (raw->in);
  g_free (raw);
}

static void
raw_send (Raw *raw, const char *text)
{
  gsize len = strlen (text);
  g_autoptr(GError) error = NULL;

  /* A request head fits in any socket buffer. */
  g_assert_cmpint (g_socket_send (raw->socket, text, len, NULL, &error), ==, (gssize) len);
  g_assert_no_error (error);
}

/* Reads what is there; FALSE at EOF. */
static gboolean
raw_pump (Raw *raw)
{
  guint8 buf[65536];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (raw->socket, (char *) buf, sizeof buf, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      if (n <= 0)
        return FALSE;
      g_byte_array_append (raw->in, buf, (guint) n);
    }
}

/* The bytes after the response head. */
static gsize
raw_body_len (Raw *raw)
{
  raw_pump (raw);
  if (raw->head_len == 0)
    {
      const guint8 *end = raw->in->len ? memmem (raw->in->data, raw->in->len, "\r\n\r\n", 4) : NULL;

      if (end == NULL)
        return 0;
      raw->head_len = (gsize) (end - raw->in->data) + 4;
    }
  return raw->in->len - raw->head_len;
}

static const guint8 *
raw_body (Raw *raw)
{
  return raw->in->data + raw->head_len;
}

/* A WebSocket handshake on /@topic with Sec-WebSocket-Extensions
 * @extensions (nullable); waits for the 101. */
static Raw *
raw_ws (Fixture *f, const char *topic, const char *extensions, int rcvbuf)
{
  Raw *raw = raw_connect (f, rcvbuf);
  g_autofree char *ext = extensions ? g_strdup_printf ("Sec-WebSocket-Extensions: %s\r\n", extensions)
                                    : g_strdup ("");
  g_autofree char *req = g_strdup_printf ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                          "Sec-WebSocket-Version: 13\r\n%s\r\n", topic, ext);

  raw_send (raw, req);
  fws_test_wait_until (raw_body_len (raw) > 0 || raw->head_len > 0, 10);
  g_assert_true (g_str_has_prefix ((const char *) raw->in->data, "HTTP/1.1 101 "));
  if (extensions != NULL)
    g_assert_nonnull (memmem (raw->in->data, raw->head_len, "permessage-deflate", 18));
  return raw;
}

static Raw *
raw_es (Fixture *f, const char *topic, int rcvbuf)
{
  Raw *raw = raw_connect (f, rcvbuf);
  g_autofree char *req = g_strdup_printf ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
                                          topic);

  raw_send (raw, req);
  /* The head, then "retry: 5000" and a blank line. */
  fws_test_wait_until (raw_body_len (raw) >= 15, 10);
  g_assert_true (g_str_has_prefix ((const char *) raw->in->data, "HTTP/1.1 200 OK\r\n"));
  g_assert_cmpmem (raw_body (raw), 15, "retry: 5000\r\n\r\n", 15);
  raw->head_len += 15;
  return raw;
}

/* Every raw peer received exactly @expected (@len bytes). */
static void
assert_all_received (Raw **raws, guint n, const guint8 *expected, gsize len)
{
  for (guint i = 0; i < n; i++)
    {
      fws_test_wait_until (raw_body_len (raws[i]) >= len, 10);
      g_assert_cmpmem (raw_body (raws[i]), raw_body_len (raws[i]), expected, len);
    }
}

static GBytes *
patterned (gsize len)
{
  guint8 *p = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    p[i] = (guint8) (i * 7 + i / 251);
  return g_bytes_new_take (p, len);
}

/* Every subscriber receives the same bytes, those of one frame built once:
 * small (copied into blocks by ordinary sends), over the copy threshold,
 * and large. */
static void
test_shared_frames (Fixture *f, gconstpointer data)
{
  enum { N = 4 };
  const gsize sizes[] = { 5, 2000, 200000 };
  Raw *raws[N];
  GByteArray *expected = g_byte_array_new ();
  FwsHubStats stats;

  for (guint i = 0; i < N; i++)
    raws[i] = raw_ws (f, "room", NULL, 0);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N, 10);

  fws_hub_reset_stats (f->hub);
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", "hello"), ==, N);
  {
    g_autoptr(GBytes) frame = fws_test_frame (0x81, NULL, "hello", 5);

    g_byte_array_append (expected, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
  }
  for (guint s = 1; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(GBytes) payload = patterned (sizes[s]);
      g_autoptr(FwsHubMessage) message = fws_hub_message_new_binary (payload);
      g_autoptr(GBytes) frame = fws_test_frame (0x82, NULL, g_bytes_get_data (payload, NULL), sizes[s]);

      g_assert_true (fws_hub_message_is_binary (message));
      g_assert_true (fws_hub_message_get_data (message) == payload);
      g_assert_cmpuint (fws_hub_publish (f->hub, "room", message), ==, N);
      g_byte_array_append (expected, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
    }
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.frames_encoded, ==, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (stats.per_connection, ==, 0);
  g_assert_cmpuint (stats.delivered, ==, N * G_N_ELEMENTS (sizes));

  assert_all_received (raws, N, expected->data, expected->len);

  for (guint i = 0; i < N; i++)
    raw_free (raws[i]);
  g_byte_array_unref (expected);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 0, 10);
}

/* Raw inflate of a permessage-deflate payload (RFC 7692 7.2.2). */
static char *
inflate_payload (const guint8 *data, gsize len)
{
  g_autoptr(GConverter) conv = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW));
  g_autoptr(GByteArray) in = g_byte_array_new ();
  guint8 out[65536];
  gsize read = 0, written = 0;
  g_autoptr(GError) error = NULL;

  g_byte_array_append (in, data, (guint) len);
  g_byte_array_append (in, (const guint8 *) "\x00\x00\xff\xff", 4);
  g_converter_convert (conv, in->data, in->len, out, sizeof out, G_CONVERTER_NO_FLAGS, &read, &written, &error);
  g_assert_no_error (error);
  return g_strndup ((const char *) out, written);
}

/* One frame of @raw's body at @offset: returns its length; @payload and
 * @payload_len point inside (server frames are never masked). */
static gsize
frame_at (Raw *raw, gsize offset, guint8 *first, const guint8 **payload, gsize *payload_len)
{
  const guint8 *p = raw_body (raw) + offset;
  gsize hl = 2, len = p[1] & 0x7F;

  g_assert_cmpuint (p[1] & 0x80, ==, 0);
  if (len == 126)
    {
      len = (gsize) p[2] << 8 | p[3];
      hl = 4;
    }
  g_assert_cmpuint (len, <, 127 * 1024);
  *first = p[0];
  *payload = p + hl;
  *payload_len = len;
  return hl + len;
}

/* permessage-deflate without server context takeover: one compression per
 * message for every subscriber, the very bytes the session would send. */
static void
test_deflate_shared (Fixture *f, gconstpointer data)
{
  enum { N = 4, MESSAGES = 3 };
  Raw *raws[N];
  FwsHubStats stats;
  const char *text = "the same text, the same text, the same text, compressed once";
  gsize offset = 0, frame_len = 0;

  f->deflate = fws_permessage_deflate_new ();
  for (guint i = 0; i < N; i++)
    raws[i] = raw_ws (f, "room", "permessage-deflate; server_no_context_takeover", 0);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N, 10);

  fws_hub_reset_stats (f->hub);
  for (guint m = 0; m < MESSAGES; m++)
    g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", text), ==, N);
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.compressions, ==, MESSAGES);
  g_assert_cmpuint (stats.frames_encoded, ==, 0);
  g_assert_cmpuint (stats.per_connection, ==, 0);

  /* The same message sent by the connection itself, through its session. */
  g_assert_true (fws_web_socket_send_text (g_ptr_array_index (f->server_conns, 0), text, NULL));

  for (guint m = 0; m < MESSAGES; m++)
    {
      guint8 first;
      const guint8 *payload;
      gsize payload_len;
      g_autofree char *inflated = NULL;

      fws_test_wait_until (raw_body_len (raws[0]) >= offset + 2 &&
                           raw_body_len (raws[0]) >= offset + frame_at (raws[0], offset, &first, &payload, &payload_len), 10);
      frame_len = frame_at (raws[0], offset, &first, &payload, &payload_len);
      g_assert_cmphex (first, ==, 0xC1);   /* FIN, RSV1, text */
      g_assert_cmpuint (payload_len, <, strlen (text));
      inflated = inflate_payload (payload, payload_len);
      g_assert_cmpstr (inflated, ==, text);
      offset += frame_len;
    }
  /* Every subscriber got the same bytes. */
  for (guint i = 1; i < N; i++)
    {
      fws_test_wait_until (raw_body_len (raws[i]) >= offset, 10);
      g_assert_cmpmem (raw_body (raws[i]), offset, raw_body (raws[0]), offset);
    }
  /* And the session compresses the message to those bytes too. */
  fws_test_wait_until (raw_body_len (raws[0]) >= offset + frame_len, 10);
  g_assert_cmpmem (raw_body (raws[0]) + offset, frame_len, raw_body (raws[0]), frame_len);

  for (guint i = 0; i < N; i++)
    raw_free (raws[i]);
}

/* The extension's threshold holds for shared frames too: a message
 * shorter than it goes as the plain frame (no RSV1), a longer one is
 * compressed once. */
static void
test_deflate_threshold (Fixture *f, gconstpointer data)
{
  enum { N = 3 };
  Raw *raws[N];
  FwsHubStats stats;
  const char *shorter = "short";
  const char *longer = "a longer text, a longer text, a longer text, over the threshold";
  gsize offset = 0;

  f->deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "threshold", 32, NULL);
  for (guint i = 0; i < N; i++)
    raws[i] = raw_ws (f, "room", "permessage-deflate; server_no_context_takeover", 0);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N, 10);

  fws_hub_reset_stats (f->hub);
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", shorter), ==, N);
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", longer), ==, N);
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.frames_encoded, ==, 1);
  g_assert_cmpuint (stats.compressions, ==, 1);
  g_assert_cmpuint (stats.per_connection, ==, 0);

  for (guint i = 0; i < N; i++)
    {
      guint8 first;
      const guint8 *payload;
      gsize payload_len, frame_len;
      g_autofree char *inflated = NULL;

      offset = 0;
      fws_test_wait_until (raw_body_len (raws[i]) >= 2 &&
                           raw_body_len (raws[i]) >= frame_at (raws[i], 0, &first, &payload, &payload_len), 10);
      frame_len = frame_at (raws[i], 0, &first, &payload, &payload_len);
      g_assert_cmphex (first, ==, 0x81);   /* FIN, text, no RSV1 */
      g_assert_cmpmem (payload, payload_len, shorter, strlen (shorter));
      offset = frame_len;
      fws_test_wait_until (raw_body_len (raws[i]) >= offset + 2 &&
                           raw_body_len (raws[i]) >= offset + frame_at (raws[i], offset, &first, &payload, &payload_len), 10);
      frame_at (raws[i], offset, &first, &payload, &payload_len);
      g_assert_cmphex (first, ==, 0xC1);   /* FIN, RSV1, text */
      inflated = inflate_payload (payload, payload_len);
      g_assert_cmpstr (inflated, ==, longer);
      raw_free (raws[i]);
    }
}

/* FwsClient peers with permessage-deflate: shared when the server has no
 * context takeover (its own option), one compression per connection when
 * it keeps its context. The clients decode every message either way. */
static void
deflate_clients (Fixture *f, gboolean server_no_takeover)
{
  enum { N = 3, MESSAGES = 4 };
  Sub *subs[N];
  FwsHubStats stats;

  f->deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "no-context-takeover", server_no_takeover, NULL);
  for (guint i = 0; i < N; i++)
    {
      g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();

      subs[i] = sub_connect (f, "room");
      g_assert_true (fws_web_socket_add_extension (FWS_WEB_SOCKET (subs[i]->client), FWS_EXTENSION (ext), NULL));
    }
  for (guint i = 0; i < N; i++)
    fws_test_wait_until (subs[i]->open, 10);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N, 10);

  fws_hub_reset_stats (f->hub);
  for (guint m = 0; m < MESSAGES; m++)
    {
      g_autofree char *text = g_strdup_printf ("message %u message %u message %u", m, m, m);

      g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", text), ==, N);
    }
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.compressions, ==, server_no_takeover ? MESSAGES : 0);
  g_assert_cmpuint (stats.per_connection, ==, server_no_takeover ? 0 : N * MESSAGES);

  for (guint i = 0; i < N; i++)
    {
      fws_test_wait_until (subs[i]->texts->len == MESSAGES, 10);
      for (guint m = 0; m < MESSAGES; m++)
        {
          g_autofree char *text = g_strdup_printf ("message %u message %u message %u", m, m, m);

          g_assert_cmpstr (g_ptr_array_index (subs[i]->texts, m), ==, text);
        }
      sub_free (subs[i]);
    }
}

static void
test_deflate_clients_shared (Fixture *f, gconstpointer data)
{
  deflate_clients (f, TRUE);
}

static void
test_deflate_clients_takeover (Fixture *f, gconstpointer data)
{
  deflate_clients (f, FALSE);
}

/* A subscriber that never reads: once its queue is above the high-water
 * mark it misses messages, counted, while the others get every one and the
 * publisher never waits. With overflow-policy close it is closed (1013)
 * and leaves the topic at once. */
static void
slow_subscriber (Fixture *f, FwsHubOverflow policy)
{
  enum { N = 2, MAX_MESSAGES = 400, SIZE = 128 * 1024 };
  Sub *subs[N];
  Raw *slow;
  g_autoptr(GBytes) payload = patterned (SIZE);
  guint sent = 0, after = 0;
  FwsWebSocket *slow_ws;

  f->server_close_timeout = 5000;
  fws_hub_set_overflow_policy (f->hub, policy);
  slow = raw_ws (f, "room", NULL, 4096);
  fws_test_wait_until (f->server_conns->len == 1, 10);
  slow_ws = g_object_ref (g_ptr_array_index (f->server_conns, 0));
  for (guint i = 0; i < N; i++)
    subs[i] = sub_connect (f, "room");
  for (guint i = 0; i < N; i++)
    fws_test_wait_until (subs[i]->open, 10);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N + 1, 10);
  for (guint i = 0; i < N; i++)
    g_signal_handlers_disconnect_by_func (subs[i]->client, sub_text_cb, subs[i]);

  /* Until the slow one was skipped, and ten more. */
  while (sent < MAX_MESSAGES && after < 10)
    {
      g_autoptr(FwsHubMessage) message = fws_hub_message_new_binary (payload);
      gint64 start = g_get_monotonic_time ();
      guint n = fws_hub_publish (f->hub, "room", message);

      /* Never waits: queued, not written. */
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
      sent++;
      if (fws_hub_get_n_skipped (f->hub) > 0)
        {
          after++;
          g_assert_cmpuint (n, ==, N);
        }
      else
        g_assert_cmpuint (n, ==, N + 1);
      /* The readers keep up. */
      for (guint i = 0; i < N; i++)
        fws_test_wait_until (fws_web_socket_get_buffered_amount (g_ptr_array_index (f->server_conns, i + 1)) == 0, 10);
    }
  g_assert_cmpuint (after, ==, 10);
  if (policy == FWS_HUB_OVERFLOW_SKIP)
    {
      g_assert_cmpuint (fws_hub_get_n_skipped (f->hub), ==, 10);
      g_assert_true (fws_hub_is_subscribed (f->hub, G_OBJECT (slow_ws), "room"));
      g_assert_cmpuint (fws_hub_get_n_subscribers (f->hub, "room"), ==, N + 1);
      g_assert_cmpint (fws_web_socket_get_ready_state (slow_ws), ==, FWS_READY_STATE_OPEN);
    }
  else
    {
      g_assert_cmpuint (fws_hub_get_n_skipped (f->hub), ==, 1);
      g_assert_false (fws_hub_is_subscribed (f->hub, G_OBJECT (slow_ws), "room"));
      g_assert_cmpuint (fws_hub_get_n_subscribers (f->hub, "room"), ==, N);
      g_assert_cmpint (fws_web_socket_get_ready_state (slow_ws), ==, FWS_READY_STATE_CLOSING);
      /* Behind what was queued, the close frame: 1013 and a reason. */
      fws_test_wait_until (!raw_pump (slow) ||
                           (slow->in->len > 23 &&
                            memcmp (slow->in->data + slow->in->len - 23,
                                    "\x88\x15\x03\xf5Subscriber too slow", 23) == 0), 10);
      g_assert_cmpmem (slow->in->data + slow->in->len - 23, 23, "\x88\x15\x03\xf5Subscriber too slow", 23);
    }
  for (guint i = 0; i < N; i++)
    sub_free (subs[i]);
  raw_free (slow);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 0, 10);
  g_object_unref (slow_ws);
}

static void
test_slow_skip (Fixture *f, gconstpointer data)
{
  slow_subscriber (f, FWS_HUB_OVERFLOW_SKIP);
}

static void
test_slow_close (Fixture *f, gconstpointer data)
{
  slow_subscriber (f, FWS_HUB_OVERFLOW_CLOSE);
}

/* A shared frame is held to the subscriber's max-buffered as its own
 * sends are: one larger than the limit is skipped for that subscriber
 * (buffered-amount stays under the limit), the others get it. */
static void
test_max_buffered (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (16 * 1024, 'm');
  FwsWebSocket *limited;
  Raw *raws[2];

  raws[0] = raw_ws (f, "room", NULL, 0);
  fws_test_wait_until (f->server_conns->len == 1, 10);
  limited = g_ptr_array_index (f->server_conns, 0);
  fws_web_socket_set_max_buffered (limited, 8 * 1024);
  raws[1] = raw_ws (f, "room", NULL, 0);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 2, 10);

  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", "small"), ==, 2);
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", big), ==, 1);
  g_assert_cmpuint (fws_hub_get_n_skipped (f->hub), ==, 1);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (limited), <=, 8 * 1024);
  g_assert_cmpint (fws_web_socket_get_ready_state (limited), ==, FWS_READY_STATE_OPEN);
  fws_test_wait_until (raw_body_len (raws[1]) >= 7 + 4 + 16 * 1024, 10);
  g_assert_cmpuint (raw_body_len (raws[1]), ==, 7 + 4 + 16 * 1024);
  fws_test_wait_until (raw_body_len (raws[0]) >= 7, 10);
  g_assert_cmpmem (raw_body (raws[0]), raw_body_len (raws[0]), "\x81\x05small", 7);
  for (guint i = 0; i < 2; i++)
    raw_free (raws[i]);
}

/* The same through the per-connection path (permessage-deflate with
 * context takeover: nothing to share): the hub's policy (skip) holds, not
 * the connection's send-overflow (close), and buffered-amount stays under
 * the limit. */
static void
test_max_buffered_per_connection (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (16 * 1024, 'm');
  FwsHubStats stats;
  FwsWebSocket *limited;
  Raw *raw;

  f->deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "no-context-takeover", FALSE, NULL);
  raw = raw_ws (f, "room", "permessage-deflate", 0);
  fws_test_wait_until (f->server_conns->len == 1 && fws_hub_get_n_subscribers (f->hub, "room") == 1, 10);
  limited = g_ptr_array_index (f->server_conns, 0);
  fws_web_socket_set_max_buffered (limited, 8 * 1024);
  fws_web_socket_set_send_overflow (limited, FWS_SEND_OVERFLOW_CLOSE);

  fws_hub_reset_stats (f->hub);
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", big), ==, 0);
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.per_connection, ==, 1);
  g_assert_cmpuint (fws_hub_get_n_skipped (f->hub), ==, 1);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (limited), <=, 8 * 1024);
  g_assert_cmpint (fws_web_socket_get_ready_state (limited), ==, FWS_READY_STATE_OPEN);
  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", "small"), ==, 1);
  raw_free (raw);
}

/* An EventSource subscriber that never reads is skipped too, or closed
 * (and leaves at once); a WebSocket reader keeps getting every message. */
static void
slow_event_source (Fixture *f, FwsHubOverflow policy)
{
  enum { MAX_MESSAGES = 400, SIZE = 128 * 1024 };
  g_autofree char *text = g_strnfill (SIZE, 'e');
  g_autoptr(FwsHubMessage) message = fws_hub_message_new_text (text);
  Raw *slow;
  Sub *reader;
  GObject *slow_es;
  guint sent = 0;

  fws_hub_set_overflow_policy (f->hub, policy);
  slow = raw_es (f, "room", 4096);
  fws_test_wait_until (f->server_conns->len == 1, 10);
  slow_es = g_object_ref (g_ptr_array_index (f->server_conns, 0));
  reader = sub_connect (f, "room");
  fws_test_wait_until (reader->open, 10);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 2, 10);
  g_signal_handlers_disconnect_by_func (reader->client, sub_text_cb, reader);

  while (sent < MAX_MESSAGES && fws_hub_get_n_skipped (f->hub) == 0)
    {
      guint n = fws_hub_publish (f->hub, "room", message);

      sent++;
      g_assert_cmpuint (n, ==, fws_hub_get_n_skipped (f->hub) > 0 ? 1 : 2);
      fws_test_wait_until (fws_web_socket_get_buffered_amount (g_ptr_array_index (f->server_conns, 1)) == 0, 10);
    }
  g_assert_cmpuint (fws_hub_get_n_skipped (f->hub), ==, 1);
  if (policy == FWS_HUB_OVERFLOW_SKIP)
    {
      g_assert_true (fws_hub_is_subscribed (f->hub, slow_es, "room"));
      g_assert_cmpint (fws_event_source_get_ready_state (FWS_EVENT_SOURCE (slow_es)), ==, FWS_READY_STATE_OPEN);
      g_assert_cmpuint (fws_hub_publish (f->hub, "room", message), ==, 1);
      g_assert_cmpuint (fws_hub_get_n_skipped (f->hub), ==, 2);
    }
  else
    {
      g_assert_false (fws_hub_is_subscribed (f->hub, slow_es, "room"));
      g_assert_cmpuint (fws_hub_get_n_subscribers (f->hub, "room"), ==, 1);
      g_assert_cmpint (fws_event_source_get_ready_state (FWS_EVENT_SOURCE (slow_es)), ==, FWS_READY_STATE_CLOSED);
    }
  raw_free (slow);
  sub_free (reader);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 0, 10);
  g_object_unref (slow_es);
}

static void
test_slow_event_source_skip (Fixture *f, gconstpointer data)
{
  slow_event_source (f, FWS_HUB_OVERFLOW_SKIP);
}

static void
test_slow_event_source_close (Fixture *f, gconstpointer data)
{
  slow_event_source (f, FWS_HUB_OVERFLOW_CLOSE);
}

/* EventSource subscribers share one event per message (type, id, data
 * lines); binary messages reach WebSocket subscribers only. */
static void
test_event_source (Fixture *f, gconstpointer data)
{
  enum { N = 3 };
  Raw *raws[N];
  Sub *ws;
  FwsHubStats stats;
  const char *expected = "event: chat\r\nid: 7\r\ndata: hi\r\ndata: there\r\n\r\n"
                         "data: plain\r\n\r\n";

  for (guint i = 0; i < N; i++)
    raws[i] = raw_es (f, "room", 0);
  ws = sub_connect (f, "room");
  fws_test_wait_until (ws->open, 10);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == N + 1, 10);

  fws_hub_reset_stats (f->hub);
  {
    g_autoptr(FwsHubMessage) event = fws_hub_message_new_event ("chat", "hi\nthere", "7");
    g_autoptr(GBytes) bytes = g_bytes_new_static ("\x01\x02", 2);
    g_autoptr(FwsHubMessage) binary = fws_hub_message_new_binary (bytes);

    g_assert_cmpstr (fws_hub_message_get_event (event), ==, "chat");
    g_assert_cmpstr (fws_hub_message_get_id (event), ==, "7");
    g_assert_false (fws_hub_message_is_binary (event));
    g_assert_cmpuint (fws_hub_publish (f->hub, "room", event), ==, N + 1);
    g_assert_cmpuint (fws_hub_publish (f->hub, "room", binary), ==, 1);
    g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", "plain"), ==, N + 1);
  }
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.events_encoded, ==, 2);
  g_assert_cmpuint (stats.frames_encoded, ==, 3);

  assert_all_received (raws, N, (const guint8 *) expected, strlen (expected));
  fws_test_wait_until (ws->texts->len == 2, 10);
  g_assert_cmpstr (g_ptr_array_index (ws->texts, 0), ==, "hi\nthere");
  g_assert_cmpstr (g_ptr_array_index (ws->texts, 1), ==, "plain");

  /* Closed streams leave too. */
  for (guint i = 0; i < N; i++)
    raw_free (raws[i]);
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 1, 10);
  sub_free (ws);
}

/* Connections that cannot share a frame get the message through their own
 * path: clients (masked frames) and hixie-75. */
static void
test_per_connection (Fixture *f, gconstpointer data)
{
  g_autoptr(FwsHub) hub = fws_hub_new ();
  Sub *client = sub_connect (f, "clients");
  Raw *hixie = raw_connect (f, 0);
  FwsHubStats stats;

  raw_send (hixie, "GET /room HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                   "Host: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n\r\n");
  fws_test_wait_until (raw_body_len (hixie) > 0 || hixie->head_len > 0, 10);
  g_assert_true (g_str_has_prefix ((const char *) hixie->in->data, "HTTP/1.1 101 "));
  fws_test_wait_until (fws_hub_get_n_subscribers (f->hub, "room") == 1, 10);
  fws_test_wait_until (client->open, 10);

  /* The client side subscribes to a hub of its own. */
  fws_hub_subscribe (hub, G_OBJECT (client->client), "up");
  g_assert_cmpuint (fws_hub_publish_text (hub, "up", "from the client"), ==, 1);
  fws_hub_get_stats (hub, &stats);
  g_assert_cmpuint (stats.per_connection, ==, 1);
  g_assert_cmpuint (stats.frames_encoded, ==, 0);
  fws_test_wait_until (f->server_texts->len == 1, 10);
  g_assert_cmpstr (g_ptr_array_index (f->server_texts, 0), ==, "from the client");

  g_assert_cmpuint (fws_hub_publish_text (f->hub, "room", "to hixie"), ==, 1);
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static ("\x01", 1);
    g_autoptr(FwsHubMessage) binary = fws_hub_message_new_binary (bytes);

    /* hixie carries text only. */
    g_assert_cmpuint (fws_hub_publish (f->hub, "room", binary), ==, 0);
  }
  fws_hub_get_stats (f->hub, &stats);
  g_assert_cmpuint (stats.per_connection, ==, 2);
  fws_test_wait_until (raw_body_len (hixie) >= 10, 10);
  g_assert_cmpmem (raw_body (hixie), raw_body_len (hixie), "\x00to hixie\xff", 10);

  raw_free (hixie);
  sub_free (client);
  fws_test_wait_until (fws_hub_get_n_subscribers (hub, "up") == 0, 10);
}

/* ---- Bookkeeping and the bridge ---- */

#define TEST_TYPE_BRIDGE (test_bridge_get_type ())
G_DECLARE_FINAL_TYPE (TestBridge, test_bridge, TEST, BRIDGE, GObject)

struct _TestBridge
{
  GObject    parent_instance;
  GPtrArray *topics;     /* of char* */
  GPtrArray *messages;   /* of FwsHubMessage* */
};

static void test_bridge_iface_init (FwsHubBridgeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestBridge, test_bridge, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FWS_TYPE_HUB_BRIDGE, test_bridge_iface_init))

static void
test_bridge_publish (FwsHubBridge *bridge, FwsHub *hub, const char *topic, FwsHubMessage *message)
{
  TestBridge *self = TEST_BRIDGE (bridge);

  g_ptr_array_add (self->topics, g_strdup (topic));
  g_ptr_array_add (self->messages, fws_hub_message_ref (message));
}

static void
test_bridge_iface_init (FwsHubBridgeInterface *iface)
{
  iface->publish = test_bridge_publish;
}

static void
test_bridge_finalize (GObject *object)
{
  TestBridge *self = TEST_BRIDGE (object);

  g_ptr_array_unref (self->topics);
  g_ptr_array_unref (self->messages);
  G_OBJECT_CLASS (test_bridge_parent_class)->finalize (object);
}

static void
test_bridge_class_init (TestBridgeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_bridge_finalize;
}

static void
test_bridge_init (TestBridge *self)
{
  self->topics = g_ptr_array_new_with_free_func (g_free);
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) fws_hub_message_unref);
}

static void
test_bookkeeping (Fixture *f, gconstpointer data)
{
  g_autoptr(FwsHub) hub = fws_hub_new ();
  g_autoptr(TestBridge) bridge = g_object_new (TEST_TYPE_BRIDGE, NULL);
  Sub *a = sub_connect (f, "x");
  Sub *b = sub_connect (f, "x");
  GObject *ca = G_OBJECT (a->client), *cb = G_OBJECT (b->client);
  FwsHubOverflow policy;
  guint64 skipped = 1;
  FwsHubBridge *got = NULL;

  /* Subscribing twice counts once; topics come and go. */
  fws_hub_subscribe (hub, ca, "t1");
  fws_hub_subscribe (hub, ca, "t1");
  fws_hub_subscribe (hub, ca, "t2");
  fws_hub_subscribe (hub, cb, "t1");
  g_assert_cmpuint (fws_hub_get_n_subscribers (hub, "t1"), ==, 2);
  g_assert_cmpuint (fws_hub_get_n_subscribers (hub, "t2"), ==, 1);
  g_assert_true (fws_hub_is_subscribed (hub, ca, "t2"));
  g_assert_false (fws_hub_is_subscribed (hub, cb, "t2"));
  fws_hub_unsubscribe (hub, ca, "t1");
  fws_hub_unsubscribe (hub, ca, "nothing");
  g_assert_cmpuint (fws_hub_get_n_subscribers (hub, "t1"), ==, 1);
  g_assert_true (fws_hub_is_subscribed (hub, ca, "t2"));
  fws_hub_unsubscribe_all (hub, ca);
  g_assert_false (fws_hub_is_subscribed (hub, ca, "t2"));
  g_assert_cmpuint (fws_hub_get_n_subscribers (hub, "t2"), ==, 0);
  fws_hub_subscribe (hub, ca, "t1");

  /* Sends made before open go out after it. */
  g_assert_cmpuint (fws_hub_publish_text (hub, "t1", "early"), ==, 2);
  fws_test_wait_until (f->server_texts->len == 2, 10);
  g_assert_cmpstr (g_ptr_array_index (f->server_texts, 0), ==, "early");

  /* Properties. */
  g_object_set (hub, "overflow-policy", FWS_HUB_OVERFLOW_CLOSE, "bridge", bridge, NULL);
  g_object_get (hub, "overflow-policy", &policy, "n-skipped", &skipped, "bridge", &got, NULL);
  g_assert_cmpint (policy, ==, FWS_HUB_OVERFLOW_CLOSE);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_true (got == FWS_HUB_BRIDGE (bridge));
  g_clear_object (&got);
  g_assert_true (fws_hub_get_bridge (hub) == FWS_HUB_BRIDGE (bridge));

  /* With a bridge, publish hands over and deliver delivers. */
  g_assert_cmpuint (fws_hub_publish_text (hub, "t1", "bridged"), ==, 0);
  g_assert_cmpuint (bridge->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (bridge->topics, 0), ==, "t1");
  fws_test_run_for (50);
  g_assert_cmpuint (f->server_texts->len, ==, 2);
  g_assert_cmpuint (fws_hub_deliver (hub, "t1", g_ptr_array_index (bridge->messages, 0)), ==, 2);
  fws_test_wait_until (f->server_texts->len == 4, 10);
  g_assert_cmpstr (g_ptr_array_index (f->server_texts, 3), ==, "bridged");
  fws_hub_set_bridge (hub, NULL);
  g_assert_null (fws_hub_get_bridge (hub));

  /* A hub dropped with subscribers lets them go. */
  {
    FwsHub *other = fws_hub_new ();

    fws_hub_subscribe (other, ca, "t");
    fws_hub_subscribe (other, cb, "t");
    g_object_unref (other);
  }

  /* A closed connection leaves, and does not subscribe again. */
  g_object_ref (ca);
  sub_free (a);
  fws_test_wait_until (fws_hub_get_n_subscribers (hub, "t1") == 1, 10);
  fws_test_wait_until (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (ca)) == FWS_READY_STATE_CLOSED, 10);
  fws_hub_subscribe (hub, ca, "t1");
  g_assert_false (fws_hub_is_subscribed (hub, ca, "t1"));
  g_assert_cmpuint (fws_hub_get_n_subscribers (hub, "t1"), ==, 1);
  g_object_unref (ca);
  sub_free (b);
  fws_test_wait_until (fws_hub_get_n_subscribers (hub, "t1") == 0, 10);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/hub/soup/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP), setup, fn, teardown); \
  g_test_add ("/hub/stream/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM), setup, fn, teardown)

  ADD ("fanout-text", test_fanout_text);
  ADD ("shared-frames", test_shared_frames);
  ADD ("deflate-shared", test_deflate_shared);
  ADD ("deflate-threshold", test_deflate_threshold);
  ADD ("max-buffered", test_max_buffered);
  ADD ("max-buffered-per-connection", test_max_buffered_per_connection);
  ADD ("deflate-clients-shared", test_deflate_clients_shared);
  ADD ("deflate-clients-takeover", test_deflate_clients_takeover);
  ADD ("slow-skip", test_slow_skip);
  ADD ("slow-close", test_slow_close);
  ADD ("event-source", test_event_source);
  ADD ("slow-event-source-skip", test_slow_event_source_skip);
  ADD ("slow-event-source-close", test_slow_event_source_close);
  ADD ("per-connection", test_per_connection);
  ADD ("bookkeeping", test_bookkeeping);

  return g_test_run ();
}
