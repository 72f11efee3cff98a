/* test-events.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one recorder of what a WebSocket's and an EventSource's signals
 * reported (declared in test-utils.h).
 */
#include "test-utils.h"

FwsTestEvents *
fws_test_events_new (gboolean echo)
{
  FwsTestEvents *e = g_new0 (FwsTestEvents, 1);

  e->echo = echo;
  e->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  e->types = g_array_new (FALSE, FALSE, sizeof (FwsMessageType));
  return e;
}

void
fws_test_events_clear (FwsTestEvents *e)
{
  e->opens = e->errors = e->closes = 0;
  e->close_code = 0;
  g_clear_error (&e->error);
  g_clear_pointer (&e->close_reason, g_free);
  g_ptr_array_set_size (e->messages, 0);
  g_array_set_size (e->types, 0);
}

void
fws_test_events_free (FwsTestEvents *e)
{
  if (e == NULL)
    return;
  fws_test_events_clear (e);
  g_ptr_array_unref (e->messages);
  g_array_unref (e->types);
  g_free (e);
}

static void
events_open_cb (FwsWebSocket *ws, FwsTestEvents *e)
{
  e->opens++;
}

static void
events_message_cb (FwsWebSocket *ws, FwsMessageType type, GBytes *data, FwsTestEvents *e)
{
  g_ptr_array_add (e->messages, g_bytes_ref (data));
  g_array_append_val (e->types, type);
  if (e->echo)
    g_assert_true (fws_web_socket_send (ws, type, data, NULL));
}

static void
events_error_cb (FwsWebSocket *ws, GError *error, FwsTestEvents *e)
{
  g_test_message ("error signal: %s", error->message);
  e->errors++;
  g_clear_error (&e->error);
  e->error = g_error_copy (error);
}

static void
events_close_cb (FwsWebSocket *ws, guint code, const char *reason, FwsTestEvents *e)
{
  e->closes++;
  e->close_code = code;
  g_free (e->close_reason);
  e->close_reason = g_strdup (reason);
}

void
fws_test_events_watch (FwsTestEvents *e,
                       FwsWebSocket  *ws)
{
  g_signal_connect (ws, "open", G_CALLBACK (events_open_cb), e);
  g_signal_connect (ws, "message", G_CALLBACK (events_message_cb), e);
  g_signal_connect (ws, "error", G_CALLBACK (events_error_cb), e);
  g_signal_connect (ws, "close", G_CALLBACK (events_close_cb), e);
}

void
fws_test_events_close (FwsTestEvents *e,
                       gpointer       ws,
                       guint          seconds)
{
  if (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (ws)) < FWS_READY_STATE_CLOSING)
    fws_web_socket_close (FWS_WEB_SOCKET (ws), 1000, NULL, NULL);
  fws_test_wait_until (e->closes > 0, seconds);
}

void
fws_test_events_release (FwsTestEvents *e,
                         gpointer       ws_ptr)
{
  FwsWebSocket **ws = ws_ptr;

  if (*ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (*ws, e);
      g_clear_object (ws);
    }
  fws_test_events_clear (e);
}

FwsWebSocket *
fws_test_request_take_web_socket (FwsTestRequest *request,
                                  FwsTestEvents  *e)
{
  g_autoptr(GError) error = NULL;
  FwsWebSocket *ws = fws_test_request_new_web_socket (request, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ws);
  fws_test_events_watch (e, ws);
  return ws;
}

void
fws_test_events_assert_types (FwsTestEvents  *e,
                              FwsMessageType  type)
{
  for (guint i = 0; i < e->types->len; i++)
    g_assert_cmpint (g_array_index (e->types, FwsMessageType, i), ==, type);
}

static void
source_open_cb (FwsEventSource *es, FwsTestSourceEvents *e)
{
  g_assert_false (e->in_call);
  e->opens++;
  e->state_at_open = fws_event_source_get_ready_state (es);
}

static void
source_close_cb (FwsEventSource *es, FwsTestSourceEvents *e)
{
  g_assert_false (e->in_call);
  e->closes++;
  g_assert_cmpint (fws_event_source_get_ready_state (es), ==, FWS_READY_STATE_CLOSED);
}

void
fws_test_source_events_watch (FwsTestSourceEvents *e,
                              FwsEventSource      *es)
{
  g_signal_connect (es, "open", G_CALLBACK (source_open_cb), e);
  g_signal_connect (es, "close", G_CALLBACK (source_close_cb), e);
}
