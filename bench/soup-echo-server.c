/* soup-echo-server.c: the libsoup baseline for fws-bench.
 *
 * A SoupServer that echoes every WebSocket message through libsoup 3.2's own
 * WebSocket support (soup_server_add_websocket_handler), with the same
 * command-line contract as examples/fws-echo-server:
 *
 *   soup-echo-server [--host ADDR] [--port N]
 *
 * It listens on its own GSocket with a backlog of 4096 (libsoup's default is
 * 10, see PLATFORM.md 4) so both servers are compared on equal terms, lifts
 * libsoup's incoming payload limit, keeps keepalive pings off, and prints
 * exactly one line "listening on http://HOST:PORT/" once it accepts.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <libsoup/soup.h>

static void
on_message (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  soup_websocket_connection_send_message (conn, (SoupWebsocketDataType) type, message);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  g_signal_handlers_disconnect_by_data (conn, user_data);
  g_object_unref (conn);
}

static void
on_websocket (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  /* libsoup drops its own reference when this callback returns. */
  g_object_ref (conn);
  soup_websocket_connection_set_max_incoming_payload_size (conn, 0);
  soup_websocket_connection_set_keepalive_interval (conn, 0);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), user_data);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), user_data);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static void
raise_nofile_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        g_printerr ("soup-echo-server: setrlimit(RLIMIT_NOFILE): %s\n", g_strerror (errno));
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *host = NULL;
  int port = 0;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port to listen on (default 0: any free port)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) iaddr = NULL;
  g_autoptr(GSocketAddress) saddr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *bound_host = NULL;
  guint bound_port;

  octx = g_option_context_new ("- libsoup WebSocket echo server (benchmark baseline)");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("soup-echo-server: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("soup-echo-server: invalid port %d\n", port);
      return 2;
    }

  raise_nofile_limit ();

  iaddr = g_inet_address_new_from_string (host ? host : "127.0.0.1");
  if (iaddr == NULL)
    {
      g_printerr ("soup-echo-server: invalid address '%s'\n", host);
      return 2;
    }
  saddr = g_inet_socket_address_new (iaddr, (guint16) port);

  sock = g_socket_new (g_inet_address_get_family (iaddr), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &error);
  if (sock == NULL
      || !g_socket_bind (sock, saddr, TRUE, &error))
    {
      g_printerr ("soup-echo-server: %s\n", error->message);
      return 1;
    }
  g_socket_set_listen_backlog (sock, 4096);
  if (!g_socket_listen (sock, &error))
    {
      g_printerr ("soup-echo-server: %s\n", error->message);
      return 1;
    }

  server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (server, NULL, NULL, NULL, on_websocket, NULL, NULL);
  if (!soup_server_listen_socket (server, sock, 0, &error))
    {
      g_printerr ("soup-echo-server: %s\n", error->message);
      return 1;
    }

  bound = g_socket_get_local_address (sock, &error);
  if (bound == NULL)
    {
      g_printerr ("soup-echo-server: %s\n", error->message);
      return 1;
    }
  bound_host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)));
  bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  if (g_inet_address_get_family (iaddr) == G_SOCKET_FAMILY_IPV6)
    printf ("listening on http://[%s]:%u/\n", bound_host, bound_port);
  else
    printf ("listening on http://%s:%u/\n", bound_host, bound_port);
  fflush (stdout);

  g_main_loop_run (loop);

  soup_server_disconnect (server);
  return 0;
}
