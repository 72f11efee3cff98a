/* test-shutdown.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A server stopping: fws_server_close_all closes every WebSocket and
 * EventSource it serves, through either door, and a WebSocket's close code
 * and reason stay readable afterwards.
 */
#include "test-utils.h"

#include <string.h>

typedef struct
{
  FwsTestServer  *server;
  GPtrArray      *sockets;    /* server side, of FwsWebSocket */
  GPtrArray      *streams;    /* of FwsEventSource */
  guint           closes;
  FwsClient      *clients[3];
  guint           client_code[3];
  guint           client_closes;
  GIOStream      *es_conn;
} Fixture;

static void
es_close_cb (FwsEventSource *es, Fixture *f)
{
  f->closes++;
}

static void
ws_close_cb (FwsWebSocket *ws, guint code, const char *reason, Fixture *f)
{
  f->closes++;
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  if (fws_test_request_is_websocket (request))
    {
      FwsWebSocket *ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);

      g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
      g_signal_connect (ws, "close", G_CALLBACK (ws_close_cb), f);
      g_ptr_array_add (f->sockets, ws);
    }
  else if (fws_test_request_is_event_source (request))
    {
      FwsEventSource *es = fws_test_request_new_event_source (request, &error);

      g_assert_no_error (error);
      g_signal_connect (es, "close", G_CALLBACK (es_close_cb), f);
      g_ptr_array_add (f->streams, es);
    }
  else
    fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
}

static void
client_close_cb (FwsWebSocket *ws, guint code, const char *reason, Fixture *f)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->clients); i++)
    if (FWS_WEB_SOCKET (f->clients[i]) == ws)
      f->client_code[i] = code;
  f->client_closes++;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->server = fws_test_server_start (GPOINTER_TO_INT (data), NULL, handler, f);
  f->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  f->streams = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->clients); i++)
    g_clear_object (&f->clients[i]);
  if (f->es_conn)
    g_io_stream_close (f->es_conn, NULL, NULL);
  g_clear_object (&f->es_conn);
  g_ptr_array_unref (f->sockets);
  g_ptr_array_unref (f->streams);
  g_clear_pointer (&f->server, fws_test_server_stop);
  fws_test_run_for (20);
}

static void
test_close_all (Fixture *f, gconstpointer data)
{
  guint port = fws_test_server_get_port (f->server);
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  g_autofree char *head = g_strdup_printf ("GET /events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                           "Accept: text/event-stream\r\n\r\n", port);
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;

  g_test_summary ("fws_server_close_all closes every WebSocket (1001 and the reason reach each "
                  "client) and EventSource the server holds, and touches no client; the close "
                  "code and reason stay readable afterwards");

  for (guint i = 0; i < G_N_ELEMENTS (f->clients); i++)
    {
      f->clients[i] = fws_client_new (url, NULL, &error);
      g_assert_no_error (error);
      g_signal_connect (f->clients[i], "close", G_CALLBACK (client_close_cb), f);
    }
  f->es_conn = G_IO_STREAM (g_socket_client_connect_to_host (sc, "127.0.0.1", port, NULL, &error));
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (f->es_conn), head, strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  fws_test_wait_until (f->sockets->len == 3 && f->streams->len == 1, 10);
  for (guint i = 0; i < G_N_ELEMENTS (f->clients); i++)
    fws_test_wait_until (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (f->clients[i])) == FWS_READY_STATE_OPEN, 10);
  g_assert_cmpuint (fws_web_socket_get_close_code (f->sockets->pdata[0]), ==, 0);
  g_assert_null (fws_web_socket_get_close_reason (f->sockets->pdata[0]));

  g_assert_cmpuint (fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting"), ==, 4);
  fws_test_wait_until (f->closes == 4 && f->client_closes == 3, 10);
  for (guint i = 0; i < G_N_ELEMENTS (f->clients); i++)
    {
      FwsWebSocket *client = FWS_WEB_SOCKET (f->clients[i]);
      guint code = 0;
      g_autofree char *reason = NULL;

      g_assert_cmpuint (f->client_code[i], ==, FWS_CLOSE_CODE_GOING_AWAY);
      g_object_get (client, "close-code", &code, "close-reason", &reason, NULL);
      g_assert_cmpuint (code, ==, FWS_CLOSE_CODE_GOING_AWAY);
      g_assert_cmpstr (reason, ==, "restarting");
      g_assert_cmpuint (fws_web_socket_get_close_code (f->sockets->pdata[i]), ==, FWS_CLOSE_CODE_GOING_AWAY);
    }
  g_assert_cmpint (fws_event_source_get_ready_state (f->streams->pdata[0]), ==, FWS_READY_STATE_CLOSED);
  /* Nothing is left to close. */
  g_assert_cmpuint (fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/shutdown/soup/close-all", Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP), setup,
              test_close_all, teardown);
  g_test_add ("/shutdown/stream/close-all", Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM), setup,
              test_close_all, teardown);
  return g_test_run ();
}
