/* test-web-socket.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsClient against FwsWebSocket in a real SoupServer on 127.0.0.1, plus a
 * raw TCP peer for what a well-behaved client would never send.
 */
#include "test-utils.h"

#include <string.h>

typedef struct
{
  FwsTestServer *server;
  guint          port;
  char          *url;

  /* server side */
  char         **server_protocols;
  guint64        server_max_length;
  guint          server_close_timeout;
  guint          server_ping_interval;
  guint          server_pong_timeout;
  guint          client_pings;
  SoupMessageHeaders *server_extra;
  gboolean       server_echo;
  gboolean       server_send_early;
  FwsWebSocket  *server_ws;
  FwsTestEvents *server_events;   /* echo on by default */

  /* client side */
  FwsClient     *client;
  FwsTestEvents *client_events;
} Fixture;

/* ---- server ---- */

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  FwsWebSocket *ws;

  if (g_str_equal (fws_test_request_get_path (request), "/reject"))
    {
      fws_test_request_respond (request, SOUP_STATUS_FORBIDDEN);
      return;
    }
  if (!fws_test_request_expect_websocket (request))
    return;

  ws = g_object_new (FWS_TYPE_WEB_SOCKET,
                     "protocols", f->server_protocols,
                     NULL);
  fws_web_socket_set_extra_headers (ws, f->server_extra);
  if (f->server_max_length)
    fws_web_socket_set_max_length (ws, f->server_max_length);
  if (f->server_close_timeout)
    fws_web_socket_set_close_timeout (ws, f->server_close_timeout);
  g_object_set (ws, "ping-interval", f->server_ping_interval, "pong-timeout", f->server_pong_timeout, NULL);
  g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
  g_assert_no_error (error);
  fws_test_events_watch (f->server_events, ws);
  if (f->server_send_early)
    g_assert_true (fws_web_socket_send_text (ws, "sent before open", NULL));
  g_clear_object (&f->server_ws);
  f->server_ws = ws;
}

/* ---- client ---- */

static void
connect_client_full (Fixture *f, const char *path, const char * const *protocols,
                     SoupMessageHeaders *extra)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u%s", f->port, path);

  f->client = g_object_new (FWS_TYPE_CLIENT, "url", url, "protocols", protocols,
                            "extra-headers", extra, NULL);
  fws_test_events_watch (f->client_events, FWS_WEB_SOCKET (f->client));
}

/* Waits for the client's close: an error @domain/@code, then 1006, once,
 * and never an open. */
static void
assert_client_failed (Fixture *f, GQuark domain, gint code)
{
  fws_test_wait_until (f->client_events->closes > 0, 10);
  g_assert_cmpuint (f->client_events->opens, ==, 0);
  g_assert_error (f->client_events->error, domain, code);
  g_assert_cmpuint (f->client_events->close_code, ==, 1006);
  g_assert_cmpuint (f->client_events->closes, ==, 1);
}

static void
connect_client (Fixture *f)
{
  connect_client_full (f, "/", NULL, NULL);
  fws_test_wait_until (f->client_events->opens > 0 && f->server_events->opens > 0, 10);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->server = fws_test_server_start (GPOINTER_TO_INT (data), NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->server_events = fws_test_events_new (TRUE);
  f->client_events = fws_test_events_new (FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->client)
    fws_test_events_close (f->client_events, f->client, 10);
  if (f->server_ws)
    {
      fws_test_wait_until (f->server_events->closes > 0, 10);
      g_assert_cmpuint (f->server_events->closes, ==, 1);
    }
  g_clear_object (&f->client);
  g_clear_object (&f->server_ws);
  g_clear_pointer (&f->server, fws_test_server_stop);
  fws_test_events_free (f->server_events);
  fws_test_events_free (f->client_events);
  g_free (f->url);
  g_strfreev (f->server_protocols);
  g_clear_pointer (&f->server_extra, soup_message_headers_unref);
  /* Let closed streams finish closing. */
  fws_test_run_for (10);
}

/* ---- a raw TCP peer ---- */

typedef struct
{
  GSocketConnection *conn;
  GSocket           *socket;
  GByteArray        *in;
} Raw;

static Raw *
raw_connect (Fixture *f)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Raw *raw = g_new0 (Raw, 1);

  g_socket_client_set_enable_proxy (sc, FALSE);
  raw->conn = g_socket_client_connect_to_host (sc, "127.0.0.1", (guint16) f->port, NULL, &error);
  g_assert_no_error (error);
  raw->socket = g_socket_connection_get_socket (raw->conn);
  g_socket_set_blocking (raw->socket, FALSE);
  raw->in = g_byte_array_new ();
  return raw;
}

static void
raw_free (Raw *raw)
{
  g_io_stream_close (G_IO_STREAM (raw->conn), NULL, NULL);
  g_object_unref (raw->conn);
  g_byte_array_unref (raw->in);
  g_free (raw);
}

static void
raw_send (Raw *raw, const void *data, gsize len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (raw->socket, (const char *) p, len, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          fws_test_iterate ();
          continue;
        }
      g_assert_no_error (error);
      p += n;
      len -= (gsize) n;
    }
}

/* Reads what is there into raw->in; returns FALSE at EOF. */
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
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        return FALSE;
      g_assert_no_error (error);
      if (n == 0)
        return FALSE;
      g_byte_array_append (raw->in, buf, (guint) n);
    }
}

static gboolean
raw_has (Raw *raw, const char *needle)
{
  raw_pump (raw);
  return raw->in->len >= strlen (needle) &&
         memmem (raw->in->data, raw->in->len, needle, strlen (needle)) != NULL;
}

static const char *
head_end (Raw *raw)
{
  return raw->in->len > 0 ? memmem (raw->in->data, raw->in->len, "\r\n\r\n", 4) : NULL;
}

#define HANDSHAKE_HEAD \
  "GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

/* Sends the handshake and waits for the 101; drops the head from raw->in. */
static void
raw_handshake (Fixture *f, Raw *raw)
{
  const char *end;

  raw_send (raw, HANDSHAKE_HEAD, strlen (HANDSHAKE_HEAD));
  fws_test_wait_until ((raw_pump (raw), head_end (raw) != NULL), 10);
  g_assert_true (g_str_has_prefix ((const char *) raw->in->data, "HTTP/1.1 101 Switching Protocols\r\n"));
  g_assert_nonnull (memmem (raw->in->data, raw->in->len,
                            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", 50));
  end = head_end (raw);
  g_byte_array_remove_range (raw->in, 0, (guint) (end + 4 - (const char *) raw->in->data));
}

/* A masked client frame with key 0 (so payload bytes are unchanged). */
static const guint8 zero_key[4] = { 0, 0, 0, 0 };

static void
raw_send_frame (Raw *raw, guint8 b0, const void *payload, gsize len)
{
  g_autoptr(GBytes) frame = fws_test_frame (b0, zero_key, payload, len);

  raw_send (raw, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

/* ---- tests ---- */

static GBytes *
random_bytes (gsize len)
{
  guint8 *p = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    p[i] = (guint8) g_random_int ();
  return g_bytes_new_take (p, len);
}

static void
test_echo_text (Fixture *f, gconstpointer data)
{
  GBytes *got;

  g_test_summary ("A text message from the client reaches the server and comes back intact");
  connect_client (f);
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (f->client)), ==, FWS_READY_STATE_OPEN);
  g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "héllo wörld", NULL));
  fws_test_wait_until (f->client_events->messages->len == 1, 10);
  got = f->client_events->messages->pdata[0];
  g_assert_cmpuint (g_array_index (f->client_events->types, FwsMessageType, 0), ==, FWS_MESSAGE_TYPE_TEXT);
  g_assert_cmpstr (g_bytes_get_data (got, NULL), ==, "héllo wörld");
  g_assert_cmpuint (g_bytes_get_size (got), ==, strlen ("héllo wörld"));
  g_assert_cmpuint (g_array_index (f->server_events->types, FwsMessageType, 0), ==, FWS_MESSAGE_TYPE_TEXT);
  g_assert_cmpstr (fws_web_socket_get_version (FWS_WEB_SOCKET (f->client)), ==, "hybi-13");
  g_assert_cmpuint (fws_client_get_status (f->client), ==, 101);
}

typedef struct
{
  GPtrArray *texts;
  guint      destroyed;
} FuncData;

static void
message_func (FwsWebSocket *ws, FwsMessageType type, GBytes *data, gpointer user_data)
{
  FuncData *fd = user_data;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  g_assert_cmpuint (type, ==, FWS_MESSAGE_TYPE_TEXT);
  g_assert_cmpuint (text[len], ==, '\0');
  g_ptr_array_add (fd->texts, g_strndup (text, len));
  /* The same echo the signal handler of the events recorder sends. */
  g_assert_true (fws_web_socket_send (ws, type, data, NULL));
}

static void
func_data_destroy (gpointer user_data)
{
  FuncData *fd = user_data;

  fd->destroyed++;
}

static void
test_message_func (Fixture *f, gconstpointer data)
{
  FuncData fd = { g_ptr_array_new_with_free_func (g_free), 0 };
  FuncData other = { g_ptr_array_new_with_free_func (g_free), 0 };
  FwsWebSocket *client;

  g_test_summary ("With a message function set, every message goes to it in order and the "
                  "message signal is not emitted; destroy runs when it is replaced and on "
                  "dispose; NULL goes back to the signal");
  connect_client (f);
  client = FWS_WEB_SOCKET (f->client);

  fws_web_socket_set_message_func (f->server_ws, message_func, &fd, func_data_destroy);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_assert_true (fws_web_socket_send_text (client, text, NULL));
    }
  fws_test_wait_until (f->client_events->messages->len == 20, 10);
  g_assert_cmpuint (fd.texts->len, ==, 20);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_assert_cmpstr (fd.texts->pdata[i], ==, text);
    }
  /* The recorder's "message" handler saw none of them. */
  g_assert_cmpuint (f->server_events->messages->len, ==, 0);

  /* Replaced: the first data is destroyed, the new function gets the rest. */
  fws_web_socket_set_message_func (f->server_ws, message_func, &other, func_data_destroy);
  g_assert_cmpuint (fd.destroyed, ==, 1);
  g_assert_true (fws_web_socket_send_text (client, "to the other", NULL));
  fws_test_wait_until (other.texts->len == 1, 10);
  g_assert_cmpstr (other.texts->pdata[0], ==, "to the other");
  g_assert_cmpuint (fd.texts->len, ==, 20);

  /* NULL: the signal again (the recorder echoes). */
  fws_web_socket_set_message_func (f->server_ws, NULL, NULL, NULL);
  g_assert_cmpuint (other.destroyed, ==, 1);
  g_assert_true (fws_web_socket_send_text (client, "to the signal", NULL));
  fws_test_wait_until (f->server_events->messages->len == 1, 10);
  g_assert_cmpuint (other.texts->len, ==, 1);

  /* Dispose runs destroy. */
  fws_web_socket_set_message_func (f->server_ws, message_func, &fd, func_data_destroy);
  fws_test_events_close (f->client_events, f->client, 10);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_clear_object (&f->server_ws);
  g_assert_cmpuint (fd.destroyed, ==, 2);

  g_ptr_array_unref (fd.texts);
  g_ptr_array_unref (other.texts);
}

static void
test_echo_binary_sizes (Fixture *f, gconstpointer data)
{
  static const gsize sizes[] = { 0, 1, 125, 126, 65535, 65536, 16 * 1024 * 1024 };

  g_test_summary ("Binary messages of 0, 1, 125, 126, 65535, 65536 bytes and 16 MiB round-trip intact in both directions");
  connect_client (f);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) payload = random_bytes (sizes[i]);

      g_assert_true (fws_web_socket_send_binary (FWS_WEB_SOCKET (f->client), payload, NULL));
      fws_test_wait_until (f->client_events->messages->len == i + 1, 30);
      g_assert_cmpuint (g_array_index (f->client_events->types, FwsMessageType, i), ==, FWS_MESSAGE_TYPE_BINARY);
      g_assert_true (g_bytes_equal (f->client_events->messages->pdata[i], payload));
      g_assert_true (g_bytes_equal (f->server_events->messages->pdata[i], payload));
    }
}

static void
test_fragmented_input (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);

  g_test_summary ("A message in three fragments with a ping between them is reassembled; the ping is answered at once");
  raw_handshake (f, raw);
  raw_send_frame (raw, 0x01, "Hel", 3);
  raw_send_frame (raw, 0x89, "P", 1);
  raw_send_frame (raw, 0x00, "lo, ", 4);
  raw_send_frame (raw, 0x80, "world", 5);
  fws_test_wait_until (f->server_events->messages->len == 1, 10);
  g_assert_cmpstr (g_bytes_get_data (f->server_events->messages->pdata[0], NULL), ==, "Hello, world");
  /* pong 8a 01 50, then the echo 81 0c ... */
  fws_test_wait_until ((raw_pump (raw), raw->in->len >= 3 + 2 + 12), 10);
  fws_test_assert_hex (raw->in->data, 3 + 2 + 12, "8a 01 50 81 0c 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64");
  raw_free (raw);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1006);
}

static void
ping_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;
  gboolean ok = fws_web_socket_ping_finish (FWS_WEB_SOCKET (source), result, out);

  if (ok)
    *out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "ok");
}

static void
test_ping_pong (Fixture *f, gconstpointer data)
{
  GError *client_result = NULL;
  GError *server_result = NULL;
  g_autoptr(GBytes) payload = g_bytes_new_static ("are you there", 13);

  g_test_summary ("ping_async completes when the matching pong arrives, in both directions");
  connect_client (f);
  fws_web_socket_ping_async (FWS_WEB_SOCKET (f->client), payload, NULL, ping_done_cb, &client_result);
  fws_web_socket_ping_async (f->server_ws, NULL, NULL, ping_done_cb, &server_result);
  fws_test_wait_until (client_result != NULL && server_result != NULL, 10);
  g_assert_error (client_result, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_error (server_result, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&client_result);
  g_clear_error (&server_result);
}

static void
test_ping_fails_on_close (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  GError *result = NULL;

  g_test_summary ("A ping whose pong never comes fails with FWS_ERROR_CLOSED when the socket closes, instead of hanging");
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->opens > 0, 10);
  fws_web_socket_ping_async (f->server_ws, NULL, NULL, ping_done_cb, &result);
  /* The raw peer reads the ping and goes away without a pong. */
  fws_test_wait_until ((raw_pump (raw), raw->in->len >= 3), 10);
  fws_test_assert_hex (raw->in->data, 3, "89 01 31");
  raw_free (raw);
  fws_test_wait_until (result != NULL, 10);
  g_assert_error (result, FWS_ERROR, FWS_ERROR_CLOSED);
  g_clear_error (&result);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1006);
}

static void
test_close_from_client (Fixture *f, gconstpointer data)
{
  g_test_summary ("close (4000, \"bye\") from the client reaches the server and both report the code and reason");
  connect_client (f);
  g_assert_true (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 4000, "bye", NULL));
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (f->client)), ==, FWS_READY_STATE_CLOSING);
  /* Signals never fire inside the call. */
  g_assert_cmpuint (f->client_events->closes, ==, 0);
  fws_test_wait_until (f->client_events->closes > 0 && f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 4000);
  g_assert_cmpstr (f->server_events->close_reason, ==, "bye");
  g_assert_cmpuint (f->client_events->close_code, ==, 4000);
  g_assert_cmpstr (f->client_events->close_reason, ==, "bye");
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (f->client)), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (f->client_events->closes, ==, 1);
  g_assert_cmpuint (f->client_events->errors, ==, 0);
  g_assert_false (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "late", NULL));
}

static void
test_close_from_server (Fixture *f, gconstpointer data)
{
  g_test_summary ("close (3001, reason) from the server reaches the client");
  connect_client (f);
  g_assert_true (fws_web_socket_close (f->server_ws, 3001, "server going", NULL));
  fws_test_wait_until (f->client_events->closes > 0 && f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->client_events->close_code, ==, 3001);
  g_assert_cmpstr (f->client_events->close_reason, ==, "server going");
  g_assert_cmpuint (f->server_events->close_code, ==, 3001);
  g_assert_cmpuint (f->client_events->closes, ==, 1);
}

static void
test_close_arguments (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  char long_reason[130];

  g_test_summary ("close refuses codes an endpoint may not send (1005, 5000), and reasons over 123 bytes");
  connect_client (f);
  g_assert_false (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1005, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 5000, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  memset (long_reason, 'x', 124);
  long_reason[124] = '\0';
  g_assert_false (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1000, long_reason, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  long_reason[123] = '\0';
  g_assert_true (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1000, long_reason, &error));
  g_assert_no_error (error);
  g_assert_false (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1000, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpstr (f->server_events->close_reason, ==, long_reason);
}

static void
test_subprotocol (Fixture *f, gconstpointer data)
{
  const char *offered[] = { "foo", "echo", "bar", NULL };

  g_test_summary ("The server picks the first of the client's subprotocols it supports; both report it");
  f->server_protocols = g_strdupv ((char **) (const char *[]) { "bar", "echo", NULL });
  connect_client_full (f, "/", offered, NULL);
  fws_test_wait_until (f->client_events->opens > 0 && f->server_events->opens > 0, 10);
  g_assert_cmpstr (fws_web_socket_get_protocol (FWS_WEB_SOCKET (f->client)), ==, "echo");
  g_assert_cmpstr (fws_web_socket_get_protocol (f->server_ws), ==, "echo");
}

static void
test_no_subprotocol (Fixture *f, gconstpointer data)
{
  const char *offered[] = { "foo", NULL };

  g_test_summary ("Without a common subprotocol the connection opens with protocol \"\"");
  f->server_protocols = g_strdupv ((char **) (const char *[]) { "bar", NULL });
  connect_client_full (f, "/", offered, NULL);
  fws_test_wait_until (f->client_events->opens > 0 && f->server_events->opens > 0, 10);
  g_assert_cmpstr (fws_web_socket_get_protocol (FWS_WEB_SOCKET (f->client)), ==, "");
  g_assert_cmpstr (fws_web_socket_get_protocol (f->server_ws), ==, "");
}

static void
test_max_length (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) ok = random_bytes (1000);
  g_autoptr(GBytes) big = random_bytes (1001);

  g_test_summary ("A message of max-length bytes passes; one byte more closes with 1009 and an error on the server");
  f->server_max_length = 1000;
  connect_client (f);
  g_assert_cmpuint (fws_web_socket_get_max_length (f->server_ws), ==, 1000);
  g_assert_true (fws_web_socket_send_binary (FWS_WEB_SOCKET (f->client), ok, NULL));
  g_assert_true (fws_web_socket_send_binary (FWS_WEB_SOCKET (f->client), big, NULL));
  fws_test_wait_until (f->client_events->closes > 0 && f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->messages->len, ==, 1);
  g_assert_cmpuint (f->server_events->close_code, ==, 1009);
  g_assert_error (f->server_events->error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_cmpuint (f->client_events->close_code, ==, 1009);
}

static void
test_invalid_utf8 (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  static const guint8 bad[] = { 'o', 'k', 0xC3, 0x28 };

  g_test_summary ("Invalid UTF-8 in a text frame closes with 1007 and an error; the close frame carries 1007");
  raw_handshake (f, raw);
  raw_send_frame (raw, 0x81, bad, sizeof bad);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1007);
  g_assert_error (f->server_events->error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  fws_test_wait_until ((raw_pump (raw), raw->in->len >= 4), 10);
  g_assert_cmphex (raw->in->data[0], ==, 0x88);
  g_assert_cmphex (raw->in->data[2], ==, 0x03);
  g_assert_cmphex (raw->in->data[3], ==, 0xef);
  raw_free (raw);
}

static void
test_early_frame (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  GByteArray *all = g_byte_array_new ();
  g_autoptr(GBytes) frame = fws_test_frame (0x81, zero_key, "early", 5);

  g_test_summary ("A frame sent in the same write as the request head is not lost when the connection is taken from libsoup");
  g_byte_array_append (all, (const guint8 *) HANDSHAKE_HEAD, strlen (HANDSHAKE_HEAD));
  g_byte_array_append (all, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
  raw_send (raw, all->data, all->len);
  g_byte_array_unref (all);
  fws_test_wait_until (f->server_events->messages->len == 1, 10);
  g_assert_cmpstr (g_bytes_get_data (f->server_events->messages->pdata[0], NULL), ==, "early");
  raw_free (raw);
}

static void
test_send_before_open (Fixture *f, gconstpointer data)
{
  g_test_summary ("Messages sent before the handshake completed are queued and delivered after it, in order");
  f->server_send_early = TRUE;
  connect_client_full (f, "/", NULL, NULL);
  g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "one", NULL));
  g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "two", NULL));
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (FWS_WEB_SOCKET (f->client)), ==, 6);
  fws_test_wait_until (f->client_events->messages->len == 3, 10);
  g_assert_cmpstr (g_bytes_get_data (f->client_events->messages->pdata[0], NULL), ==, "sent before open");
  g_assert_cmpstr (g_bytes_get_data (f->client_events->messages->pdata[1], NULL), ==, "one");
  g_assert_cmpstr (g_bytes_get_data (f->client_events->messages->pdata[2], NULL), ==, "two");
}

static void
notify_cb (GObject *obj, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_buffered_amount (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  g_autoptr(GBytes) big = random_bytes (16 * 1024 * 1024);
  guint notified = 0;
  gsize expected = 16 * 1024 * 1024 + 10;

  g_test_summary ("buffered-amount counts queued bytes while a peer does not read, and drops to 0 with a notify once it does");
  f->server_events->echo = FALSE;
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->opens > 0, 10);
  g_signal_connect (f->server_ws, "notify::buffered-amount", G_CALLBACK (notify_cb), &notified);
  g_assert_true (fws_web_socket_send_binary (f->server_ws, big, NULL));
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->server_ws), ==, expected);
  fws_test_run_for (200);
  /* The kernel takes a few MB; the rest stays queued. */
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->server_ws), >, 0);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->server_ws), <, expected);
  g_assert_cmpuint (notified, ==, 0);
  fws_test_wait_until ((raw_pump (raw), raw->in->len == expected), 30);
  fws_test_wait_until (notified > 0, 10);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->server_ws), ==, 0);
  fws_test_assert_hex (raw->in->data, 10, "82 7f 00 00 00 00 01 00 00 00");
  g_assert_cmpint (memcmp (raw->in->data + 10, g_bytes_get_data (big, NULL), 16 * 1024 * 1024), ==, 0);
  raw_free (raw);
}

static void
test_rejected_handshake (Fixture *f, gconstpointer data)
{
  g_test_summary ("A non-101 answer gives error (with the status) then close 1006, once each, and the status is visible");
  connect_client_full (f, "/reject", NULL, NULL);
  fws_test_wait_until (f->client_events->closes > 0, 10);
  g_assert_cmpuint (f->client_events->opens, ==, 0);
  g_assert_error (f->client_events->error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (f->client_events->error->message, "Unexpected response code: 403"));
  g_assert_cmpuint (f->client_events->close_code, ==, 1006);
  g_assert_cmpuint (f->client_events->errors, ==, 1);
  g_assert_cmpuint (f->client_events->closes, ==, 1);
  g_assert_cmpuint (fws_client_get_status (f->client), ==, 403);
}

static void
test_connection_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;

  g_test_summary ("A refused connection gives error then close 1006, never open");
  /* A port that was free a moment ago and has no listener. */
  url = g_strdup_printf ("ws://127.0.0.1:%u/", fws_test_free_port ());
  f->client = fws_client_new (url, NULL, NULL);
  fws_test_events_watch (f->client_events, FWS_WEB_SOCKET (f->client));
  assert_client_failed (f, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
test_bad_url (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  FwsClient *client;

  g_test_summary ("A URL that is not ws:// or wss:// is refused synchronously with a GError");
  client = fws_client_new ("http://127.0.0.1/", NULL, &error);
  g_assert_null (client);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  client = fws_client_new ("stream.wikimedia.org/rc", NULL, &error);
  g_assert_null (client);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
}

static void
test_close_before_connect (Fixture *f, gconstpointer data)
{
  g_test_summary ("close() right after construction gives one close with the given code and no open; nothing reaches the server");
  connect_client_full (f, "/", NULL, NULL);
  g_assert_true (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 3000, "never mind", NULL));
  g_assert_cmpuint (f->client_events->closes, ==, 0);
  fws_test_wait_until (f->client_events->closes > 0, 10);
  fws_test_run_for (100);
  g_assert_cmpuint (f->client_events->opens, ==, 0);
  g_assert_cmpuint (f->client_events->close_code, ==, 3000);
  g_assert_cmpstr (f->client_events->close_reason, ==, "never mind");
  g_assert_null (f->server_ws);
  g_assert_cmpuint (f->client_events->closes, ==, 1);
}

static void
test_headers (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  SoupMessageHeaders *seen;
  g_autofree char *url = NULL;

  g_test_summary ("Extra request headers reach the server, extra response headers reach the client; url is reported");
  soup_message_headers_append (extra, "X-Client", "c1");
  f->server_extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  soup_message_headers_append (f->server_extra, "X-Server", "s1");
  connect_client_full (f, "/path?q=1", NULL, extra);
  fws_test_wait_until (f->client_events->opens > 0 && f->server_events->opens > 0, 10);
  seen = fws_web_socket_get_headers (f->server_ws);
  g_assert_cmpstr (soup_message_headers_get_one (seen, "X-Client"), ==, "c1");
  seen = fws_web_socket_get_headers (FWS_WEB_SOCKET (f->client));
  g_assert_cmpstr (soup_message_headers_get_one (seen, "X-Server"), ==, "s1");
  g_assert_cmpstr (soup_message_headers_get_one (seen, "Upgrade"), ==, "websocket");
  url = g_strdup_printf ("ws://127.0.0.1:%u/path?q=1", f->port);
  g_assert_cmpstr (fws_web_socket_get_url (f->server_ws), ==, url);
  g_assert_cmpstr (fws_web_socket_get_url (FWS_WEB_SOCKET (f->client)), ==, url);
}

static void
test_bad_version (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  static const char head[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\r\n";

  g_test_summary ("An unsupported Sec-WebSocket-Version is answered 426 with Sec-WebSocket-Version: 13, then error and close");
  raw_send (raw, head, strlen (head));
  fws_test_wait_until (f->server_events->closes > 0, 10);
  fws_test_wait_until (!raw_pump (raw), 10);
  g_assert_true (g_str_has_prefix ((const char *) raw->in->data, "HTTP/1.1 426 "));
  g_assert_true (raw_has (raw, "Sec-WebSocket-Version: 13\r\n"));
  g_assert_true (raw_has (raw, "Unsupported WebSocket version: 7"));
  g_assert_error (f->server_events->error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpuint (f->server_events->opens, ==, 0);
  raw_free (raw);
}

static void
test_missing_key (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  static const char head[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

  g_test_summary ("A request without Sec-WebSocket-Key is answered 400 with a plain-text reason");
  raw_send (raw, head, strlen (head));
  fws_test_wait_until (f->server_events->closes > 0, 10);
  fws_test_wait_until (!raw_pump (raw), 10);
  g_assert_true (g_str_has_prefix ((const char *) raw->in->data, "HTTP/1.1 400 Bad Request\r\n"));
  g_assert_true (raw_has (raw, "Content-Type: text/plain\r\n"));
  g_assert_true (raw_has (raw, "Sec-WebSocket-Key"));
  raw_free (raw);
}

static void
test_close_timeout (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  gint64 start;

  g_test_summary ("A peer that never answers the close frame is dropped after close-timeout, reported as 1006");
  f->server_close_timeout = 300;
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->opens > 0, 10);
  start = g_get_monotonic_time ();
  g_assert_true (fws_web_socket_close (f->server_ws, 1000, "bye", NULL));
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  g_assert_cmpuint (f->server_events->close_code, ==, 1006);
  /* The peer did get our close frame, then EOF. */
  fws_test_wait_until (!raw_pump (raw), 10);
  fws_test_assert_hex (raw->in->data, raw->in->len, "88 05 03 e8 62 79 65");
  raw_free (raw);
}

static void
test_other_connections_unharmed (Fixture *f, gconstpointer data)
{
  Raw *raw;
  FwsWebSocket *first;

  g_test_summary ("A connection failing on bad input leaves another connection working");
  connect_client (f);
  first = g_object_ref (f->server_ws);
  raw = raw_connect (f);
  raw_handshake (f, raw);
  raw_send_frame (raw, 0x83, NULL, 0);   /* reserved opcode 3 */
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1002);
  g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "still here", NULL));
  fws_test_wait_until (f->client_events->messages->len == 1, 10);
  g_assert_cmpstr (g_bytes_get_data (f->client_events->messages->pdata[0], NULL), ==, "still here");
  raw_free (raw);
  /* teardown closes the first connection through the client. */
  f->server_events->closes = 0;
  g_clear_pointer (&f->server_events->close_reason, g_free);
  g_clear_object (&f->server_ws);
  f->server_ws = first;
}

static void
test_keepalive_pings (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);

  g_test_summary ("ping-interval sends pings with the payloads 1, 2, 3, ... once open");
  f->server_ping_interval = 50;
  raw_handshake (f, raw);
  fws_test_wait_until ((raw_pump (raw), raw->in->len >= 6), 10);
  fws_test_assert_hex (raw->in->data, 6, "89 01 31 89 01 32");
  raw_free (raw);
}

static void
test_pong_timeout (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);

  g_test_summary ("A peer that never answers pings is dropped after pong-timeout: error TIMED_OUT, close 1006");
  f->server_ping_interval = 50;
  f->server_pong_timeout = 150;
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1006);
  g_assert_error (f->server_events->error, FWS_ERROR, FWS_ERROR_TIMED_OUT);
  /* Dropped: EOF, and no close frame after the pings. */
  fws_test_wait_until (!raw_pump (raw), 10);
  g_assert_cmphex (raw->in->data[raw->in->len - 3], ==, 0x89);
  raw_free (raw);
}

static void
client_ping_cb (FwsWebSocket *ws, GBytes *payload, Fixture *f)
{
  f->client_pings++;
}

static void
test_keepalive_alive (Fixture *f, gconstpointer data)
{
  g_test_summary ("A peer that answers pings stays connected past many pong deadlines");
  f->server_ping_interval = 30;
  f->server_pong_timeout = 100;
  connect_client_full (f, "/", NULL, NULL);
  g_signal_connect (f->client, "ping", G_CALLBACK (client_ping_cb), f);
  fws_test_wait_until (f->client_events->opens > 0 && f->server_events->opens > 0, 10);
  fws_test_run_for (600);
  g_assert_cmpuint (f->client_pings, >=, 5);
  g_assert_cmpuint (f->server_events->closes, ==, 0);
  g_assert_null (f->server_events->error);
  g_assert_cmpint (fws_web_socket_get_ready_state (f->server_ws), ==, FWS_READY_STATE_OPEN);
}

static void
test_close_timeout_with_queue (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  g_autoptr(GBytes) big = random_bytes (32 * 1024 * 1024);

  g_test_summary ("close-timeout drops the transport even while unwritten data is queued to a peer that does not read");
  f->server_close_timeout = 300;
  f->server_events->echo = FALSE;
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->opens > 0, 10);
  g_assert_true (fws_web_socket_send_binary (f->server_ws, big, NULL));
  fws_test_run_for (100);
  g_assert_true (fws_web_socket_close (f->server_ws, 1000, NULL, NULL));
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->server_ws), >, 0);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1006);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->server_ws), ==, 0);
  raw_free (raw);
}

static void
test_handshake_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autofree char *url = NULL;
  guint16 port;

  g_test_summary ("A server that accepts and never answers makes the client fail after handshake-timeout");
  port = fws_test_listen_loopback (listener);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  f->client = g_object_new (FWS_TYPE_CLIENT, "url", url, "handshake-timeout", 200, NULL);
  fws_test_events_watch (f->client_events, FWS_WEB_SOCKET (f->client));
  /* The kernel completes the TCP handshake from the backlog: nobody accepts,
   * nobody answers. */
  assert_client_failed (f, FWS_ERROR, FWS_ERROR_TIMED_OUT);
}

#define HIXIE76_HEAD \
  "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n" \
  "Origin: http://example.com\r\nSec-WebSocket-Key1: 1   38 wZ3f9 23O0 3l 0r\r\n" \
  "Sec-WebSocket-Key2: 27   0E 6 2  1665:< ;U 1H\r\n\r\n"
#define HIXIE76_ANSWER_HEAD \
  "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n\r\n"

static const guint8 key3[8] = { 0x91, 0x25, 0x3e, 0xd3, 0xa9, 0xe7, 0x6a, 0x88 };

/* mode 0: key3 and a frame in the same write as the head; 1: key3 100 ms
 * later; 2: key3 split in two writes. */
static void
run_hixie76 (Fixture *f, int mode)
{
  Raw *raw = raw_connect (f);
  g_autoptr(GByteArray) first = g_byte_array_new ();
  gsize head_len = strlen (HIXIE76_ANSWER_HEAD);

  g_byte_array_append (first, (const guint8 *) HIXIE76_HEAD, strlen (HIXIE76_HEAD));
  if (mode == 0)
    {
      g_byte_array_append (first, key3, 8);
      g_byte_array_append (first, (const guint8 *) "\x00Hi\xff", 4);
    }
  raw_send (raw, first->data, first->len);
  if (mode == 1)
    {
      fws_test_run_for (100);
      g_assert_cmpuint (f->server_events->opens, ==, 0);
      raw_send (raw, key3, 8);
      raw_send (raw, "\x00Hi\xff", 4);
    }
  else if (mode == 2)
    {
      raw_send (raw, key3, 4);
      fws_test_run_for (50);
      g_assert_cmpuint (f->server_events->opens, ==, 0);
      raw_send (raw, key3 + 4, 4);
      raw_send (raw, "\x00Hi\xff", 4);
    }
  fws_test_wait_until (f->server_events->messages->len == 1, 10);
  g_assert_cmpuint (f->server_events->opens, >, 0);
  g_assert_cmpstr (fws_web_socket_get_version (f->server_ws), ==, "hixie-76");
  g_assert_cmpstr (g_bytes_get_data (f->server_events->messages->pdata[0], NULL), ==, "Hi");
  /* head, the 16-byte answer, then the echo of "Hi" */
  fws_test_wait_until ((raw_pump (raw), raw->in->len >= head_len + 16 + 4), 10);
  g_assert_cmpmem (raw->in->data, head_len, HIXIE76_ANSWER_HEAD, head_len);
  fws_test_assert_hex (raw->in->data + head_len, raw->in->len - head_len,
                       "b4 9c 6e 40 53 04 04 26 e5 1b bf 6c b7 9f 1d f9 00 48 69 ff");
  /* The peer's closing frame is answered and reported as 1005. */
  raw_send (raw, "\xff\x00", 2);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1005);
  fws_test_wait_until (!raw_pump (raw), 10);
  fws_test_assert_hex (raw->in->data + raw->in->len - 2, 2, "ff 00");
  raw_free (raw);
}

static void
test_hixie76_key3_with_head (Fixture *f, gconstpointer data)
{
  g_test_summary ("hixie-76 through SoupServer: the 8 key bytes and a frame in the same write as the head are not lost");
  run_hixie76 (f, 0);
}

static void
test_hixie76_key3_late (Fixture *f, gconstpointer data)
{
  g_test_summary ("hixie-76 through SoupServer: the 8 key bytes arriving 100 ms after the head open the connection then");
  run_hixie76 (f, 1);
}

static void
test_hixie76_key3_split (Fixture *f, gconstpointer data)
{
  g_test_summary ("hixie-76 through SoupServer: the 8 key bytes split over two writes");
  run_hixie76 (f, 2);
}

static void
test_hixie75 (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  static const char head[] =
    "GET /old HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n\r\n";
  static const char answer[] =
    "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
    "WebSocket-Location: ws://example.com/old\r\n\r\n";
  g_autoptr(GBytes) bin = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;

  g_test_summary ("hixie-75 through SoupServer: text echoes, version hixie-75, binary refused with NOT_SUPPORTED");
  raw_send (raw, head, strlen (head));
  raw_send (raw, "\x00" "caf\xc3\xa9\xff", 7);
  fws_test_wait_until (f->server_events->messages->len == 1, 10);
  g_assert_cmpstr (fws_web_socket_get_version (f->server_ws), ==, "hixie-75");
  g_assert_cmpstr (g_bytes_get_data (f->server_events->messages->pdata[0], NULL), ==, "café");
  g_assert_false (fws_web_socket_send_binary (f->server_ws, bin, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED);
  fws_test_wait_until ((raw_pump (raw), raw->in->len >= strlen (answer) + 7), 10);
  g_assert_cmpmem (raw->in->data, strlen (answer), answer, strlen (answer));
  fws_test_assert_hex (raw->in->data + strlen (answer), 7, "00 63 61 66 c3 a9 ff");
  raw_free (raw);
  fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->server_events->close_code, ==, 1006);
}

static void
send_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;

  if (fws_web_socket_send_finish (FWS_WEB_SOCKET (source), result, out))
    *out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "written");
}

static void
test_send_async_flow (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  g_autoptr(GBytes) big = random_bytes (32 * 1024 * 1024);
  g_autoptr(GBytes) small = g_bytes_new_static ("after", 5);
  GError *first = NULL;
  GError *second = NULL;

  g_test_summary ("send_async completes only once the message was written: not while the peer reads "
                  "nothing, then in order once it reads");
  f->server_events->echo = FALSE;
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->opens > 0, 10);
  fws_web_socket_send_async (f->server_ws, FWS_MESSAGE_TYPE_BINARY, big, NULL, send_done_cb, &first);
  fws_web_socket_send_async (f->server_ws, FWS_MESSAGE_TYPE_TEXT, small, NULL, send_done_cb, &second);
  fws_test_run_for (300);
  g_assert_null (first);
  g_assert_null (second);
  fws_test_wait_until ((raw_pump (raw), first != NULL), 30);
  fws_test_wait_until ((raw_pump (raw), second != NULL), 10);
  g_assert_error (first, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_error (second, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&first);
  g_clear_error (&second);
  raw_free (raw);
}

static void
test_send_async_fails_on_close (Fixture *f, gconstpointer data)
{
  Raw *raw = raw_connect (f);
  g_autoptr(GBytes) big = random_bytes (32 * 1024 * 1024);
  GError *result = NULL;

  g_test_summary ("send_async to a peer that goes away without reading fails with FWS_ERROR_CLOSED instead of hanging");
  f->server_events->echo = FALSE;
  raw_handshake (f, raw);
  fws_test_wait_until (f->server_events->opens > 0, 10);
  fws_web_socket_send_async (f->server_ws, FWS_MESSAGE_TYPE_BINARY, big, NULL, send_done_cb, &result);
  fws_test_run_for (100);
  g_assert_null (result);
  raw_free (raw);
  fws_test_wait_until (result != NULL, 10);
  g_assert_error (result, FWS_ERROR, FWS_ERROR_CLOSED);
  g_clear_error (&result);
}

static void
test_send_async_before_open (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) hello = g_bytes_new_static ("early", 5);
  GError *result = NULL;

  g_test_summary ("send_async before the handshake completes after open, once written; invalid UTF-8 fails at once");
  connect_client_full (f, "/", NULL, NULL);
  fws_web_socket_send_async (FWS_WEB_SOCKET (f->client), FWS_MESSAGE_TYPE_TEXT, hello, NULL, send_done_cb, &result);
  g_assert_null (result);
  fws_test_wait_until (result != NULL, 10);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_cmpuint (f->client_events->opens, >, 0);
  g_clear_error (&result);
  fws_test_wait_until (f->server_events->messages->len == 1, 10);
  {
    g_autoptr(GBytes) bad = g_bytes_new_static ("\xc3\x28", 2);

    fws_web_socket_send_async (FWS_WEB_SOCKET (f->client), FWS_MESSAGE_TYPE_TEXT, bad, NULL, send_done_cb, &result);
    fws_test_wait_until (result != NULL, 10);
    g_assert_error (result, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
    g_clear_error (&result);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, fn) \
  g_test_add ("/web-socket/soup/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP), setup, fn, teardown); \
  g_test_add ("/web-socket/stream/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM), setup, fn, teardown)
  ADD ("echo-text", test_echo_text);
  ADD ("message-func", test_message_func);
  ADD ("echo-binary-sizes", test_echo_binary_sizes);
  ADD ("fragmented-input", test_fragmented_input);
  ADD ("ping-pong", test_ping_pong);
  ADD ("ping-fails-on-close", test_ping_fails_on_close);
  ADD ("close-from-client", test_close_from_client);
  ADD ("close-from-server", test_close_from_server);
  ADD ("close-arguments", test_close_arguments);
  ADD ("subprotocol", test_subprotocol);
  ADD ("no-subprotocol", test_no_subprotocol);
  ADD ("max-length", test_max_length);
  ADD ("invalid-utf8", test_invalid_utf8);
  ADD ("early-frame", test_early_frame);
  ADD ("send-before-open", test_send_before_open);
  ADD ("buffered-amount", test_buffered_amount);
  ADD ("rejected-handshake", test_rejected_handshake);
  ADD ("connection-refused", test_connection_refused);
  ADD ("bad-url", test_bad_url);
  ADD ("close-before-connect", test_close_before_connect);
  ADD ("headers", test_headers);
  ADD ("bad-version", test_bad_version);
  ADD ("missing-key", test_missing_key);
  ADD ("close-timeout", test_close_timeout);
  ADD ("other-connections-unharmed", test_other_connections_unharmed);
  ADD ("keepalive-pings", test_keepalive_pings);
  ADD ("pong-timeout", test_pong_timeout);
  ADD ("keepalive-alive", test_keepalive_alive);
  ADD ("close-timeout-with-queue", test_close_timeout_with_queue);
  ADD ("handshake-timeout", test_handshake_timeout);
  ADD ("hixie76-key3-with-head", test_hixie76_key3_with_head);
  ADD ("hixie76-key3-late", test_hixie76_key3_late);
  ADD ("hixie76-key3-split", test_hixie76_key3_split);
  ADD ("hixie75", test_hixie75);
  ADD ("send-async-flow", test_send_async_flow);
  ADD ("send-async-fails-on-close", test_send_async_fails_on_close);
  ADD ("send-async-before-open", test_send_async_before_open);
#undef ADD

  return g_test_run ();
}
