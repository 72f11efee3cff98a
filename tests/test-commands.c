/* test-commands.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The commands of FwsWebSocket and FwsClient over a real connection on
 * 127.0.0.1 (a SoupServer, an FwsClient): text with U+0000 through
 * send_text_len, the close codes both sides accept, and the ping counter
 * that keepalive and ping_async share. The byte-level rules behind them
 * are in test-driver.
 */
#include "test-utils.h"

#include <string.h>

typedef struct
{
  FwsTestServer *server;
  guint         port;
  guint         ping_interval;

  FwsWebSocket  *server_ws;
  FwsTestEvents *server_events;   /* messages must be text, one close */

  FwsClient     *client;
  FwsTestEvents *client_events;   /* likewise */
  GPtrArray     *client_pings;    /* of GBytes */
} Fixture;

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  FwsWebSocket *ws;

  if (!fws_test_request_expect_websocket (request))
    return;
  ws = g_object_new (FWS_TYPE_WEB_SOCKET, "ping-interval", f->ping_interval, NULL);
  g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
  g_assert_no_error (error);
  fws_test_events_watch (f->server_events, ws);
  g_assert_null (f->server_ws);
  f->server_ws = ws;
}

static void
client_ping_cb (FwsWebSocket *ws, GBytes *payload, Fixture *f)
{
  g_ptr_array_add (f->client_pings, g_bytes_ref (payload));
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->server_events = fws_test_events_new (FALSE);
  f->client_events = fws_test_events_new (FALSE);
  f->client_pings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
connect_client (Fixture *f)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);
  g_autoptr(GError) error = NULL;

  f->client = fws_client_new (url, NULL, &error);
  g_assert_no_error (error);
  fws_test_events_watch (f->client_events, FWS_WEB_SOCKET (f->client));
  g_signal_connect (f->client, "ping", G_CALLBACK (client_ping_cb), f);
  fws_test_wait_until (f->client_events->opens > 0 && f->server_events->opens > 0, 10);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->client)
    fws_test_events_close (f->client_events, f->client, 10);
  if (f->server_ws)
    fws_test_wait_until (f->server_events->closes > 0, 10);
  g_assert_cmpuint (f->client_events->closes, <=, 1);
  g_assert_cmpuint (f->server_events->closes, <=, 1);
  fws_test_events_assert_types (f->server_events, FWS_MESSAGE_TYPE_TEXT);
  fws_test_events_assert_types (f->client_events, FWS_MESSAGE_TYPE_TEXT);
  g_clear_object (&f->client);
  g_clear_object (&f->server_ws);
  g_clear_pointer (&f->server, fws_test_server_stop);
  fws_test_events_free (f->server_events);
  fws_test_events_free (f->client_events);
  g_ptr_array_unref (f->client_pings);
}

static void
assert_bytes (GBytes *bytes, const char *data, gsize len)
{
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), data, len);
}

static void
test_send_text_len (Fixture *f, gconstpointer data)
{
  static const char text[] = "a\0b\0caf\xc3\xa9";   /* 9 bytes, two of them U+0000 */
  g_autoptr(GError) error = NULL;

  g_test_summary ("send_text_len sends a text with U+0000 whole, both ways; -1 means up to the "
                  "NUL; bytes that are not UTF-8 are refused with INVALID_UTF8");
  connect_client (f);
  g_assert_true (fws_web_socket_send_text_len (FWS_WEB_SOCKET (f->client), text, sizeof text - 1, &error));
  g_assert_no_error (error);
  g_assert_true (fws_web_socket_send_text_len (FWS_WEB_SOCKET (f->client), text, -1, &error));
  g_assert_true (fws_web_socket_send_text_len (f->server_ws, text, sizeof text - 1, &error));
  g_assert_false (fws_web_socket_send_text_len (f->server_ws, "\xc3\x28", 2, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  fws_test_wait_until (f->server_events->messages->len == 2 && f->client_events->messages->len == 1, 10);
  assert_bytes (f->server_events->messages->pdata[0], text, sizeof text - 1);
  assert_bytes (f->server_events->messages->pdata[1], "a", 1);
  assert_bytes (f->client_events->messages->pdata[0], text, sizeof text - 1);
}

static void
test_close_codes (Fixture *f, gconstpointer data)
{
  static const guint codes[] = { 1001, 1008, 1011 };
  g_autoptr(GError) error = NULL;

  g_test_summary ("close accepts 1001, 1008 and 1011 on the server and on the client, and the "
                  "peer reports the code; 1015 is refused on both");
  for (guint i = 0; i < 2 * G_N_ELEMENTS (codes); i++)
    {
      guint code = codes[i / 2];
      gboolean from_client = i % 2 == 0;

      connect_client (f);
      g_assert_false (fws_web_socket_close (f->server_ws, 1015, NULL, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
      g_assert_false (fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1015, NULL, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
      g_assert_true (fws_web_socket_close (from_client ? FWS_WEB_SOCKET (f->client) : f->server_ws,
                                           code, "bye", &error));
      g_assert_no_error (error);
      fws_test_wait_until (f->client_events->closes > 0 && f->server_events->closes > 0, 10);
      g_assert_cmpuint (f->server_events->closes, ==, 1);
      g_assert_cmpuint (f->client_events->closes, ==, 1);
      g_assert_cmpuint (f->server_events->close_code, ==, code);
      g_assert_cmpuint (f->client_events->close_code, ==, code);
      g_clear_object (&f->client);
      g_clear_object (&f->server_ws);
      fws_test_events_clear (f->client_events);
      fws_test_events_clear (f->server_events);
    }
}

static void
ping_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;
  GError *error = NULL;

  if (fws_web_socket_ping_finish (FWS_WEB_SOCKET (source), result, &error))
    *out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "pong");
  else
    *out = error;
}

static void
test_shared_ping_counter (Fixture *f, gconstpointer data)
{
  GError *result = NULL;

  g_test_summary ("Keepalive pings and ping_async (NULL) take their payloads from one counter: "
                  "the peer never sees the same payload twice, so a keepalive pong cannot "
                  "complete the application's ping");
  f->ping_interval = 20;
  connect_client (f);
  fws_test_wait_until (f->client_pings->len >= 2, 10);
  fws_web_socket_ping_async (f->server_ws, NULL, NULL, ping_done_cb, &result);
  fws_test_wait_until (result != NULL, 10);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&result);
  /* A few more keepalives after it. */
  {
    guint seen = f->client_pings->len;

    fws_test_wait_until (f->client_pings->len >= seen + 2, 10);
  }
  for (guint i = 0; i < f->client_pings->len; i++)
    {
      g_autofree char *want = g_strdup_printf ("%u", i + 1);

      /* "1", "2", "3", ... in order, whoever asked for the ping. */
      assert_bytes (f->client_pings->pdata[i], want, strlen (want));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/commands/send-text-len", Fixture, NULL, setup, test_send_text_len, teardown);
  g_test_add ("/commands/close-codes", Fixture, NULL, setup, test_close_codes, teardown);
  g_test_add ("/commands/shared-ping-counter", Fixture, NULL, setup, test_shared_ping_counter, teardown);

  return g_test_run ();
}
