/* minimal-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * minimal-server [PORT]: a WebSocket echo server on 127.0.0.1 (PORT 0
 * picks a free one). echo-server.c is the full example.
 */
#include <fws-glib/fws-glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

static void
on_message (FwsWebSocket *ws, FwsMessageType type, GBytes *data, gpointer user_data)
{
  fws_web_socket_send (ws, type, data, NULL);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  /* The connection keeps itself alive until it closes. */
  g_autoptr(FwsWebSocket) ws = fws_web_socket_new (msg, NULL, NULL);

  if (ws != NULL)
    g_signal_connect (ws, "message", G_CALLBACK (on_message), NULL);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, "Not a WebSocket request");
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
