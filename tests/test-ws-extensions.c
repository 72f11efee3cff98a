/* test-ws-extensions.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The extensions option of FwsWebSocket and FwsClient: the property, the
 * methods for bindings, and a loopback connection (our client, our server)
 * that negotiates permessage-deflate and a toy x-reverse extension.
 */
#include "test-utils.h"
#include "test-extension-doubles.h"

#include <string.h>

#include "fws-permessage-deflate-private.h"

static void
notify_cb (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_property (void)
{
  g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
  g_autoptr(TestExt) reverse = test_ext_new ("x-reverse", FWS_RESERVED_BITS_RSV2, NULL);
  g_autoptr(TestExt) again = test_ext_new ("x-reverse", FWS_RESERVED_BITS_RSV3, NULL);
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GPtrArray) got = NULL;
  g_autoptr(FwsWebSocket) client = NULL;
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  g_test_summary ("The extensions property (a GPtrArray of FwsExtension) is set at construction, "
                  "read back in order, refuses duplicates with a warning; add_extension and "
                  "set_extensions do the same for bindings and notify");
  g_ptr_array_add (list, deflate);
  g_ptr_array_add (list, reverse);
  client = g_object_new (FWS_TYPE_CLIENT, "url", "ws://127.0.0.1:1/", "extensions", list, NULL);
  g_object_get (client, "extensions", &got, NULL);
  g_assert_cmpuint (got->len, ==, 2);
  g_assert_true (got->pdata[0] == (gpointer) deflate);
  g_assert_true (got->pdata[1] == (gpointer) reverse);
  g_assert_true (fws_web_socket_get_extensions (client) == got);

  g_signal_connect (client, "notify::extensions", G_CALLBACK (notify_cb), &notified);
  g_assert_false (fws_web_socket_add_extension (client, FWS_EXTENSION (again), &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (notified, ==, 0);

  g_ptr_array_add (list, again);
  g_test_expect_message ("Fws", G_LOG_LEVEL_WARNING, "*already registered*");
  fws_web_socket_set_extensions (client, list);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fws_web_socket_get_extensions (client)->len, ==, 2);
  g_assert_cmpuint (notified, ==, 1);

  fws_web_socket_set_extensions (client, NULL);
  g_assert_cmpuint (fws_web_socket_get_extensions (client)->len, ==, 0);
  g_assert_true (fws_web_socket_add_extension (client, FWS_EXTENSION (reverse), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (notified, ==, 3);
  fws_web_socket_close (client, 1000, NULL, NULL);
  fws_test_wait_until (fws_web_socket_get_ready_state (client) == FWS_READY_STATE_CLOSED, 5);
}

typedef struct
{
  FwsTestServer *server;
  guint         port;
  FwsWebSocket *server_ws;
  FwsWebSocket *client;
  GPtrArray    *server_extensions;
  FwsTestEvents *client_events;
  FwsTestEvents *server_events;  /* echoes */
} Loop;

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Loop *l = user_data;
  g_autoptr(GError) error = NULL;

  l->server_ws = g_object_new (FWS_TYPE_WEB_SOCKET, "extensions", l->server_extensions, NULL);
  g_assert_true (fws_test_request_accept_web_socket (request, l->server_ws, &error));
  g_assert_no_error (error);
  fws_test_events_watch (l->server_events, l->server_ws);
}

static void
test_loopback (void)
{
  g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
  g_autoptr(TestExt) reverse = test_ext_new ("x-reverse", FWS_RESERVED_BITS_RSV2, NULL);
  g_autoptr(TestExt) client_reverse = test_ext_new ("x-reverse", FWS_RESERVED_BITS_RSV2, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *big = g_strnfill (200000, 'z');
  g_autoptr(GBytes) hello = g_bytes_new_static ("Hello", 5);
  g_autoptr(GBytes) big_bytes = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  Loop l = { 0 };

  g_test_summary ("Our client and our server negotiate permessage-deflate and x-reverse in the "
                  "server's registration order and exchange messages through both; extensions "
                  "cannot be added once the handshake is done");
  reverse->reverse = TRUE;
  client_reverse->reverse = TRUE;
  test_ext_add_offer (client_reverse, NULL, NULL);
  l.server_extensions = g_ptr_array_new ();
  g_ptr_array_add (l.server_extensions, deflate);
  g_ptr_array_add (l.server_extensions, reverse);
  l.client_events = fws_test_events_new (FALSE);
  l.server_events = fws_test_events_new (TRUE);
  l.server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, &l);
  l.port = fws_test_server_get_port (l.server);

  url = g_strdup_printf ("ws://127.0.0.1:%u/", l.port);
  l.client = g_object_new (FWS_TYPE_CLIENT, "url", url, NULL);
  /* The client's order is the reverse of the server's. */
  g_assert_true (fws_web_socket_add_extension (l.client, FWS_EXTENSION (client_reverse), &error));
  g_assert_true (fws_web_socket_add_extension (l.client, FWS_EXTENSION (deflate), &error));
  g_assert_no_error (error);
  fws_test_events_watch (l.client_events, l.client);
  fws_test_wait_until (l.client_events->opens > 0 || l.client_events->closes > 0, 10);
  g_assert_cmpuint (l.client_events->opens, ==, 1);
  g_assert_cmpstr (soup_message_headers_get_list (fws_web_socket_get_headers (l.client), "Sec-WebSocket-Extensions"),
                   ==, "permessage-deflate; client_no_context_takeover; server_no_context_takeover, x-reverse");
  g_assert_cmpstr (soup_message_headers_get_list (fws_web_socket_get_headers (l.server_ws), "Sec-WebSocket-Extensions"),
                   ==, "x-reverse, permessage-deflate; client_max_window_bits; client_no_context_takeover");

  g_assert_false (fws_web_socket_add_extension (l.client, FWS_EXTENSION (reverse), &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  big_bytes = g_bytes_new_static (big, 200000);
  fws_web_socket_send_text (l.client, "h\xc3\xa9llo", &error);
  fws_web_socket_send (l.client, FWS_MESSAGE_TYPE_BINARY, hello, &error);
  fws_web_socket_send (l.client, FWS_MESSAGE_TYPE_TEXT, big_bytes, &error);
  g_assert_no_error (error);
  fws_test_wait_until (l.client_events->messages->len == 3 || l.client_events->closes > 0, 10);
  g_assert_cmpuint (l.client_events->messages->len, ==, 3);
  g_assert_cmpstr (g_bytes_get_data (l.client_events->messages->pdata[0], NULL), ==, "h\xc3\xa9llo");
  g_assert_true (g_bytes_equal (l.client_events->messages->pdata[1], hello));
  g_assert_true (g_bytes_equal (l.client_events->messages->pdata[2], big_bytes));

  sessions = fws_web_socket_get_extension_sessions (l.client);
  g_assert_cmpuint (sessions->len, ==, 2);
  /* The defaults: no context takeover either way here (both ends are
   * ours), so the thread's shared compressor served and each echo got an
   * inflater of its own. */
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflated (sessions->pdata[0]), ==, 3);
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (sessions->pdata[0]), ==, 0);
  g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (sessions->pdata[0]), ==, 3);
  g_assert_false (fws_permessage_deflate_session_has_inflater (sessions->pdata[0]));

  fws_web_socket_close (l.client, 1000, NULL, NULL);
  fws_test_wait_until (l.client_events->closes > 0 && l.server_events->closes > 0, 10);
  g_assert_cmpuint (client_reverse->n_closed, ==, 1);
  g_assert_cmpuint (reverse->n_closed, ==, 1);

  g_clear_object (&l.client);
  g_clear_object (&l.server_ws);
  g_clear_pointer (&l.server, fws_test_server_stop);
  g_ptr_array_unref (l.server_extensions);
  fws_test_events_free (l.client_events);
  fws_test_events_free (l.server_events);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ws-extensions/property", test_property);
  g_test_add_func ("/ws-extensions/loopback", test_loopback);

  return g_test_run ();
}
