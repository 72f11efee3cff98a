/* minimal-event-source.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * minimal-event-source [PORT]: an EventSource server on 127.0.0.1 (PORT 0
 * picks a free one): any GET is a stream of "tick N" events, one a second
 * (try curl http://127.0.0.1:8080/). echo-server.c's /events has more.
 */
#include <fws-glib/fws-glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

static gboolean
tick (gpointer es)
{
  static guint n;
  g_autofree char *data = g_strdup_printf ("tick %u", ++n);

  /* Once the stream is closed, sending fails and the timer stops (and
   * drops its reference). */
  return fws_event_source_send (es, data, NULL, NULL, NULL);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  g_autoptr(FwsEventSource) es = NULL;

  /* Browsers ask for text/event-stream; curl does not. */
  soup_message_headers_replace (soup_server_message_get_request_headers (msg), "Accept", "text/event-stream");
  es = fws_event_source_new (msg, NULL);
  if (es != NULL)
    g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 1, tick, g_object_ref (es), g_object_unref);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
}

int
main (int argc, char **argv)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoslist(GUri) uris = NULL;

  setlocale (LC_ALL, "");
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  if (!soup_server_listen_local (server, argc > 1 ? atoi (argv[1]) : 8080, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("%s", error->message);
  uris = soup_server_get_uris (server);
  printf ("listening on http://127.0.0.1:%d/\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_main_loop_run (g_main_loop_new (NULL, FALSE));
  return 0;
}
