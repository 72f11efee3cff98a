/* test-loop.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The epoll source of fws-loop.c may recurse (it is not blocked around its
 * dispatch, which would cost eventfd wakeups per message). A "message"
 * handler that runs a nested main loop on the same context must then still
 * see no re-entrant delivery on its own connection, the nested loop must not
 * spin on the socket that nobody may read, and every message must arrive,
 * in order, once the handler returns. FwsClient against FwsWebSocket in a
 * real SoupServer on 127.0.0.1. The first sockets of a context are polled
 * by GLib directly, the others through epoll: the test runs once each way
 * (idle connections opened first take the direct places).
 */
#include "test-utils.h"

#include <string.h>

#define N_LATER 5

typedef struct
{
  FwsTestServer *server;
  FwsWebSocket  *server_ws;
  FwsClient     *client;
  FwsTestEvents *client_events;
  GPtrArray     *idle;           /* of FwsClient */
  guint          idle_opened;

  guint          in_handler;     /* depth of the server's message handler */
  guint          max_in_handler;
  GPtrArray     *received;       /* of char *, in the order delivered */
  guint          nested_iterations;
  guint          nested_client_messages;
  gboolean       nested_done;
} Fixture;

/* A source that never dispatches: its prepare runs once per iteration of
 * whichever loop iterates the context, so it counts iterations. */
static gboolean
count_prepare (GSource *source, gint *timeout)
{
  guint **count = (guint **) (source + 1);

  (**count)++;
  *timeout = -1;
  return FALSE;
}

static GSourceFuncs count_funcs = { count_prepare, NULL, NULL, NULL, NULL, NULL };

static gboolean
send_later_cb (gpointer user_data)
{
  Fixture *f = user_data;

  for (guint i = 0; i < N_LATER; i++)
    {
      g_autofree char *text = g_strdup_printf ("later %u", i);

      g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), text, NULL));
    }
  return G_SOURCE_REMOVE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
server_message_cb (FwsWebSocket   *ws,
                   FwsMessageType  type,
                   GBytes         *data,
                   Fixture        *f)
{
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  f->in_handler++;
  f->max_in_handler = MAX (f->max_in_handler, f->in_handler);
  g_ptr_array_add (f->received, g_strndup (text, len));

  if (g_str_equal (f->received->pdata[f->received->len - 1], "first"))
    {
      GMainContext *context = g_main_context_get_thread_default ();
      g_autoptr(GMainLoop) nested = g_main_loop_new (context, FALSE);
      GSource *counter = g_source_new (&count_funcs, sizeof (GSource) + sizeof (guint *));
      guint client_before = f->client_events->messages->len;

      *(guint **) (counter + 1) = &f->nested_iterations;
      g_source_attach (counter, context);
      /* The client (on the same context, not busy) sends more while this
       * handler is still on the stack; its echo of "first" must arrive too. */
      g_timeout_add (50, send_later_cb, f);
      g_timeout_add (400, quit_cb, nested);
      g_main_loop_run (nested);
      g_source_destroy (counter);
      g_source_unref (counter);
      f->nested_client_messages = f->client_events->messages->len - client_before;
      f->nested_done = TRUE;
    }

  fws_web_socket_send (ws, type, data, NULL);
  f->in_handler--;
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  if (!fws_test_request_expect_websocket (request))
    return;
  if (g_str_equal (fws_test_request_get_path (request), "/idle"))
    {
      g_ptr_array_add (f->idle, fws_test_request_new_web_socket (request, NULL, &error));
      g_assert_no_error (error);
      return;
    }
  f->server_ws = fws_test_request_new_web_socket (request, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->server_ws, "message", G_CALLBACK (server_message_cb), f);
}

static void
idle_open_cb (FwsWebSocket *ws, Fixture *f)
{
  f->idle_opened++;
}

static void
test_nested_main_loop (Fixture *f, gconstpointer data)
{
  guint n_idle = GPOINTER_TO_UINT (data);
  g_autofree char *url = NULL;

  g_test_summary ("A message handler that runs a nested main loop on the same context gets no "
                  "re-entrant delivery, the nested loop does not spin, and every message arrives "
                  "in order afterwards");

  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  for (guint i = 0; i < n_idle; i++)
    {
      g_autofree char *idle_url = g_strdup_printf ("ws://127.0.0.1:%u/idle", fws_test_server_get_port (f->server));
      FwsClient *idle = g_object_new (FWS_TYPE_CLIENT, "url", idle_url, NULL);

      g_signal_connect (idle, "open", G_CALLBACK (idle_open_cb), f);
      g_ptr_array_add (f->idle, idle);
    }
  fws_test_wait_until (f->idle_opened == n_idle && f->idle->len == 2 * n_idle, 10);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", fws_test_server_get_port (f->server));
  f->client = g_object_new (FWS_TYPE_CLIENT, "url", url, NULL);
  fws_test_events_watch (f->client_events, FWS_WEB_SOCKET (f->client));
  fws_test_wait_until (f->client_events->opens > 0 && f->server_ws != NULL, 10);

  g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "first", NULL));
  fws_test_wait_until (f->client_events->messages->len == 1 + N_LATER, 10);

  g_assert_true (f->nested_done);
  /* Never two deliveries on the stack of one connection. */
  g_assert_cmpuint (f->max_in_handler, ==, 1);
  /* In the nested loop the client went on working: it sent, and the echo of
   * nothing came back (the server's connection waits for the handler). */
  g_assert_cmpuint (f->nested_client_messages, ==, 0);
  /* 400 ms of nested loop: a few iterations (the two timeouts, the client's
   * send, the server socket becoming readable once), not a spin. */
  g_test_message ("nested loop iterations: %u", f->nested_iterations);
  g_assert_cmpuint (f->nested_iterations, <, 40);

  g_assert_cmpuint (f->received->len, ==, 1 + N_LATER);
  g_assert_cmpstr (f->received->pdata[0], ==, "first");
  for (guint i = 0; i < N_LATER; i++)
    {
      g_autofree char *text = g_strdup_printf ("later %u", i);
      GBytes *echo = f->client_events->messages->pdata[1 + i];

      g_assert_cmpstr (f->received->pdata[1 + i], ==, text);
      g_assert_cmpmem (g_bytes_get_data (echo, NULL), g_bytes_get_size (echo), text, strlen (text));
    }
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->received = g_ptr_array_new_with_free_func (g_free);
  f->idle = g_ptr_array_new_with_free_func (g_object_unref);
  f->client_events = fws_test_events_new (FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->client)
    fws_test_events_close (f->client_events, f->client, 10);
  g_clear_object (&f->client);
  g_clear_object (&f->server_ws);
  g_clear_pointer (&f->server, fws_test_server_stop);
  fws_test_events_free (f->client_events);
  g_ptr_array_unref (f->received);
  for (guint i = 0; i < f->idle->len; i++)
    fws_web_socket_close (f->idle->pdata[i], 1000, NULL, NULL);
  fws_test_run_for (50);
  g_ptr_array_unref (f->idle);
  fws_test_run_for (10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* Four idle connections are eight sockets: more than GLib polls directly. */
  g_test_add ("/loop/nested-main-loop/direct", Fixture, GUINT_TO_POINTER (0), setup, test_nested_main_loop, teardown);
  g_test_add ("/loop/nested-main-loop/epoll", Fixture, GUINT_TO_POINTER (4), setup, test_nested_main_loop, teardown);
  return g_test_run ();
}
