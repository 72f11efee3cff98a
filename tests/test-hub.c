/* test-hub.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsHub over real connections: a SoupServer (or the stream door) on
 * 127.0.0.1 whose handler subscribes every WebSocket and EventSource to a
 * topic, real FwsClient peers and raw TCP peers that read the frames as
 * bytes.
 */
#include "test-utils.h"

#include <string.h>

#include "fws-glib/fws-hub-private.h"

typedef struct
{
  FwsTestServer *server;
  guint          port;
  FwsHub        *hub;
  GPtrArray     *server_conns;   /* of GObject, every connection the handler made */
  FwsPermessageDeflate *deflate; /* (nullable) offered by the server */
} Fixture;

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
  f->server = fws_test_server_start (GPOINTER_TO_INT (data), NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server, fws_test_server_stop);
  g_clear_object (&f->hub);
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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add ("/hub/soup/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP), setup, fn, teardown); \
  g_test_add ("/hub/stream/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM), setup, fn, teardown)

  ADD ("fanout-text", test_fanout_text);

  return g_test_run ();
}
