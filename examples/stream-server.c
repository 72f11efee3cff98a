/* stream-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fws-stream-server [--host ADDR] [--port N] [--protocol P]... [--max-length N] [--deflate]
 *                   [--tls-cert FILE --tls-key FILE]
 *
 * echo-server.c without a SoupServer: an FwsListener accepts the
 * connections, runs the TLS handshake (with --tls-cert and --tls-key) and
 * reads the request head within a deadline, caps the connections still
 * doing so, and hands each head to the program as an FwsRequest through
 * its "request" signal. The same contract as fws-echo-server:
 * a WebSocket request on any path is echoed back message by message, each
 * with its type; GET / serves a page that connects back; GET /events is an
 * EventSource stream (a counter every second with ids resuming after the
 * client's Last-Event-ID, a "tick" event with the time, a comment line
 * every 10 s); anything else is answered with 404.
 */
#include <fws-glib/fws-glib.h>
#include <glib-unix.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "echo-page.h"

static char **protocols;
static guint64 max_length;
static gboolean deflate;
static GTlsCertificate *certificate;

static void
on_message (FwsWebSocket   *ws,
            FwsMessageType  type,
            GBytes         *data,
            gpointer        user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fws_web_socket_send (ws, type, data, &error))
    g_printerr ("echo failed: %s\n", error->message);
}

static void
on_error (FwsWebSocket *ws,
          GError       *error,
          gpointer      user_data)
{
  g_printerr ("%s: %s\n", fws_web_socket_get_url (ws), error->message);
}

/* Answers a request that could not be taken over with 400 and the reason. */
static void
refuse (FwsRequest   *request,
        const GError *reason)
{
  g_autofree char *body = g_strconcat (reason->message, "\n", NULL);

  fws_request_respond (request, 400, NULL, body, NULL);
}

/* ---- WebSocket: echo ---- */

static void
serve_websocket (FwsRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsWebSocket) ws = g_object_new (FWS_TYPE_WEB_SOCKET,
                                             "protocols", protocols,
                                             NULL);

  if (max_length)
    fws_web_socket_set_max_length (ws, max_length);
  if (deflate)
    {
      /* Accepted when the client offers it. */
      g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();

      fws_web_socket_add_extension (ws, FWS_EXTENSION (ext), NULL);
    }
  if (!fws_web_socket_accept_request (ws, request, &error))
    {
      refuse (request, error);
      return;
    }
  /* The connection keeps itself alive until it closes. */
  g_signal_connect (ws, "message", G_CALLBACK (on_message), NULL);
  g_signal_connect (ws, "error", G_CALLBACK (on_error), NULL);
}

/* ---- /events: server-sent events ---- */

typedef struct
{
  FwsEventSource *es;      /* not owned: it holds itself until close */
  GSource        *timer;
  guint64         counter;
} Stream;

static gboolean
on_tick (gpointer user_data)
{
  Stream *stream = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
  char id[32];

  g_snprintf (id, sizeof id, "%" G_GUINT64_FORMAT, ++stream->counter);
  /* A plain event (the page's onmessage), then a named one. */
  fws_event_source_send (stream->es, id, NULL, id, NULL);
  fws_event_source_send (stream->es, time, "tick", NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
on_stream_close (FwsEventSource *es,
                 gpointer        user_data)
{
  Stream *stream = user_data;

  g_source_destroy (stream->timer);
  g_source_unref (stream->timer);
  g_free (stream);
}

static void
serve_events (FwsRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsEventSource) es = g_object_new (FWS_TYPE_EVENT_SOURCE,
                                               "ping-seconds", 10.0,
                                               NULL);
  Stream *stream;

  /* fws_event_source_accept_request() takes only requests that ask for
   * text/event-stream, as browsers do; curl asks for anything. */
  if (!fws_request_is_event_source (request))
    soup_message_headers_replace (fws_request_get_headers (request), "Accept", "text/event-stream");
  if (!fws_event_source_accept_request (es, request, &error))
    {
      refuse (request, error);
      return;
    }
  stream = g_new0 (Stream, 1);
  stream->es = es;
  /* A client that reconnects goes on where it left off. */
  stream->counter = g_ascii_strtoull (fws_event_source_get_last_event_id (es), NULL, 10);
  stream->timer = g_timeout_source_new_seconds (1);
  g_source_set_static_name (stream->timer, "fws-stream-server-tick");
  g_source_set_callback (stream->timer, on_tick, stream, NULL);
  g_source_attach (stream->timer, g_main_context_get_thread_default ());
  g_signal_connect (es, "close", G_CALLBACK (on_stream_close), stream);
}

/* ---- The server ---- */

/* A head arrived in time (a malformed one was answered with 400, and a
 * peer too slow or failing its TLS handshake was dropped, by the
 * listener). A request no handler takes over is closed. */
static void
on_request (FwsListener *listener,
            FwsRequest  *request,
            gpointer     user_data)
{
  const char *path;

  path = fws_request_get_path (request);
  if (g_str_equal (path, "/events") && g_str_equal (fws_request_get_method (request), "GET") &&
      !fws_request_is_websocket (request))
    serve_events (request);
  else if (fws_request_is_websocket (request))
    serve_websocket (request);
  else if (g_str_equal (fws_request_get_method (request), "GET") && g_str_equal (path, "/"))
    fws_request_respond (request, 200, "text/html; charset=utf-8", echo_page, NULL);
  else
    fws_request_respond (request, 404, NULL, NULL, NULL);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static void
raise_fd_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(FwsListener) listener = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  gint64 max_len_opt = 0;
  int port = 8080;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 8080; 0 picks a free one)", "N" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING_ARRAY, &protocols, "A subprotocol to support (repeatable)", "P" },
    { "max-length", 0, 0, G_OPTION_ARG_INT64, &max_len_opt, "Largest message accepted, in bytes", "N" },
    { "deflate", 0, 0, G_OPTION_ARG_NONE, &deflate, "Accept permessage-deflate compression", NULL },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Listen with TLS, with this PEM certificate (needs --tls-key)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "The PEM private key of --tls-cert", "FILE" },
    { NULL }
  };

  context = g_option_context_new ("- WebSocket echo server without a SoupServer");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || max_len_opt < 0)
    {
      g_printerr ("invalid --port or --max-length\n");
      return 2;
    }
  max_length = (guint64) max_len_opt;
  if ((tls_cert == NULL) != (tls_key == NULL))
    {
      g_printerr ("--tls-cert and --tls-key go together\n");
      return 2;
    }
  if (tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (certificate == NULL)
        {
          g_printerr ("cannot load --tls-cert/--tls-key: %s\n", error->message);
          return 1;
        }
    }
  raise_fd_limit ();

  address = g_inet_address_new_from_string (host ? host : "127.0.0.1");
  if (address == NULL)
    {
      g_printerr ("invalid --host %s\n", host);
      return 2;
    }
  /* The socket is made here rather than by fws_listener_listen_local(),
   * for a deep backlog: GSocket's default of 10 drops connections in a
   * burst. */
  sockaddr = g_inet_socket_address_new (address, (guint16) port);
  sock = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &error);
  if (sock)
    g_socket_set_option (sock, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  if (sock == NULL ||
      !g_socket_bind (sock, sockaddr, TRUE, &error) ||
      (g_socket_set_listen_backlog (sock, 4096), !g_socket_listen (sock, &error)))
    {
      g_printerr ("cannot listen: %s\n", error->message);
      return 1;
    }

  /* Without a SoupServer, the listener emits "request" for each head. */
  listener = fws_listener_new ();
  fws_listener_set_tls_certificate (listener, certificate);
  g_signal_connect (listener, "request", G_CALLBACK (on_request), NULL);
  if (!fws_listener_add_socket (listener, sock, &error))
    {
      g_printerr ("cannot listen: %s\n", error->message);
      return 1;
    }

  bound = g_socket_get_local_address (sock, &error);
  {
    g_autofree char *addr = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)));
    guint16 real_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    const char *scheme = certificate ? "https" : "http";

    if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
      printf ("listening on %s://[%s]:%u/\n", scheme, addr, real_port);
    else
      printf ("listening on %s://%s:%u/\n", scheme, addr, real_port);
    fflush (stdout);
  }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  fws_listener_stop (listener);
  g_clear_object (&certificate);
  g_strfreev (protocols);
  return 0;
}
