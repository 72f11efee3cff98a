/* echo-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fws-echo-server [--host ADDR] [--port N] [--protocol P]... [--max-length N] [--deflate]
 *                 [--deflate-level N] [--deflate-mem-level N] [--deflate-window-bits N]
 *                 [--deflate-context-takeover] [--tls-cert FILE --tls-key FILE]
 *
 * A SoupServer: a WebSocket request on any path is echoed back message by
 * message, each with its type; GET / serves a page that connects back.
 * GET /events is an EventSource stream: every second a counter (ids 1, 2,
 * 3, ..., resuming after the client's Last-Event-ID) and a "tick" event
 * with the time, and a comment line every 10 s (an Accept header is not
 * needed: curl http://127.0.0.1:8080/events works). With --tls-cert and
 * --tls-key it listens with TLS (https:// and wss://), once a handshake
 * with itself showed that the key belongs to the certificate. --host takes
 * an address or a host name. The --deflate-* options set the
 * FwsPermessageDeflate properties of the same names (level, mem-level,
 * max-window-bits, and no-context-takeover turned off); each implies
 * --deflate.
 */
#include <fws-glib/fws-glib.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "echo-page.h"

static char **protocols;
static guint64 max_length;
static gboolean deflate;
static int deflate_level = -2;         /* -2: the extension's default */
static int deflate_mem_level;          /* 0: the extension's default */
static int deflate_window_bits;        /* 0: the extension's default */
static gboolean deflate_takeover;

/* The extension with the --deflate-* options; the defaults of
 * FwsPermessageDeflate for those not given. */
static FwsPermessageDeflate *
new_deflate (void)
{
  const char *names[4];
  GValue values[4] = { G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT };
  guint n = 0;
  FwsPermessageDeflate *ext;

  if (deflate_level != -2)
    {
      names[n] = "level";
      g_value_init (&values[n], G_TYPE_INT);
      g_value_set_int (&values[n++], deflate_level);
    }
  if (deflate_mem_level != 0)
    {
      names[n] = "mem-level";
      g_value_init (&values[n], G_TYPE_UINT);
      g_value_set_uint (&values[n++], (guint) deflate_mem_level);
    }
  if (deflate_window_bits != 0)
    {
      names[n] = "max-window-bits";
      g_value_init (&values[n], G_TYPE_UINT);
      g_value_set_uint (&values[n++], (guint) deflate_window_bits);
    }
  if (deflate_takeover)
    {
      names[n] = "no-context-takeover";
      g_value_init (&values[n], G_TYPE_BOOLEAN);
      g_value_set_boolean (&values[n++], FALSE);
    }
  ext = FWS_PERMESSAGE_DEFLATE (g_object_new_with_properties (FWS_TYPE_PERMESSAGE_DEFLATE, n, names, values));
  while (n > 0)
    g_value_unset (&values[--n]);
  return ext;
}

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
serve_events (SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsEventSource) es = g_object_new (FWS_TYPE_EVENT_SOURCE,
                                               "ping-seconds", 10.0,
                                               NULL);
  Stream *stream;

  /* fws_event_source_accept() takes only requests that ask for
   * text/event-stream, as browsers do; curl asks for anything. */
  if (!fws_event_source_is_event_source_request (msg))
    soup_message_headers_replace (soup_server_message_get_request_headers (msg),
                                  "Accept", "text/event-stream");
  if (!fws_event_source_accept (es, msg, &error))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
                                        error->message, strlen (error->message));
      return;
    }
  stream = g_new0 (Stream, 1);
  stream->es = es;
  /* A client that reconnects goes on where it left off. */
  stream->counter = g_ascii_strtoull (fws_event_source_get_last_event_id (es), NULL, 10);
  stream->timer = g_timeout_source_new_seconds (1);
  g_source_set_static_name (stream->timer, "fws-echo-server-tick");
  g_source_set_callback (stream->timer, on_tick, stream, NULL);
  g_source_attach (stream->timer, g_main_context_get_thread_default ());
  g_signal_connect (es, "close", G_CALLBACK (on_stream_close), stream);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  /* Browsers send Accept: text/event-stream; curl and others send none. */
  if (g_str_equal (path, "/events") && soup_server_message_get_method (msg) == SOUP_METHOD_GET &&
      !fws_web_socket_is_websocket_request (msg))
    {
      serve_events (msg);
      return;
    }

  if (fws_web_socket_is_websocket_request (msg))
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
          g_autoptr(FwsPermessageDeflate) ext = new_deflate ();

          fws_web_socket_add_extension (ws, FWS_EXTENSION (ext), NULL);
        }
      if (!fws_web_socket_accept (ws, msg, &error))
        {
          soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
          soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY,
                                            error->message, strlen (error->message));
          return;
        }
      /* The connection keeps itself alive until it closes. Every message
       * goes to on_message: a plain function call costs less than the
       * "message" signal (which bindings use). */
      fws_web_socket_set_message_func (ws, on_message, NULL, NULL);
      g_signal_connect (ws, "error", G_CALLBACK (on_error), NULL);
      return;
    }

  if (soup_server_message_get_method (msg) == SOUP_METHOD_GET && g_str_equal (path, "/"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                        echo_page, strlen (echo_page));
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* ---- start-up checks ---- */

typedef struct
{
  GError  *error;
  gboolean done;
} Handshake;

static gboolean
accept_any_cb (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

static gboolean
timed_out_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
handshake_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Handshake *h = user_data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &h->error);
  h->done = TRUE;
}

/* GIO loads a certificate and a key that do not belong together without a
 * word; clients would then fail every handshake. A TLS handshake with
 * itself over a socket pair finds out at start-up. */
static gboolean
check_key_matches (GTlsCertificate *certificate, GError **error)
{
  g_autoptr(GSocket) a = NULL;
  g_autoptr(GSocket) b = NULL;
  g_autoptr(GSocketConnection) ca = NULL;
  g_autoptr(GSocketConnection) cb = NULL;
  g_autoptr(GIOStream) server = NULL;
  g_autoptr(GIOStream) client = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean timed_out = FALSE;
  guint timeout;
  Handshake hs = { NULL, FALSE }, hc = { NULL, FALSE };
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    return TRUE;  /* cannot check: the clients will tell */
  a = g_socket_new_from_fd (fds[0], NULL);
  b = g_socket_new_from_fd (fds[1], NULL);
  if (a == NULL || b == NULL)
    return TRUE;
  ca = g_socket_connection_factory_create_connection (a);
  cb = g_socket_connection_factory_create_connection (b);
  server = g_tls_server_connection_new (G_IO_STREAM (ca), certificate, error);
  client = server ? g_tls_client_connection_new (G_IO_STREAM (cb), NULL, error) : NULL;
  if (client == NULL)
    return FALSE;
  g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (server), G_PRIORITY_DEFAULT, cancellable,
                                    handshake_cb, &hs);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (client), G_PRIORITY_DEFAULT, cancellable,
                                    handshake_cb, &hc);
  timeout = g_timeout_add_seconds (10, timed_out_cb, &timed_out);
  /* When one side failed (or time is up), the other one is cancelled. */
  while (!(hs.done && hc.done))
    {
      if (timed_out || hs.error != NULL || hc.error != NULL)
        g_cancellable_cancel (cancellable);
      g_main_context_iteration (NULL, TRUE);
    }
  if (!timed_out)
    g_source_remove (timeout);
  if (timed_out && hs.error == NULL && hc.error == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out");
      return FALSE;
    }
  /* The side that failed first has the telling error; the other one was
   * cancelled. */
  if (hs.error != NULL && !g_error_matches (hs.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&hs.error));
      g_clear_error (&hc.error);
      return FALSE;
    }
  if (hc.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&hc.error));
      g_clear_error (&hs.error);
      return FALSE;
    }
  g_clear_error (&hs.error);
  return TRUE;
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
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(FwsListener) listener = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  gint64 max_len_opt = 0;
  int port = 8080;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port (default 8080; 0 picks a free one)", "N" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING_ARRAY, &protocols, "A subprotocol to support (repeatable)", "P" },
    { "max-length", 0, 0, G_OPTION_ARG_INT64, &max_len_opt, "Largest message accepted, in bytes", "N" },
    { "deflate", 0, 0, G_OPTION_ARG_NONE, &deflate, "Accept permessage-deflate compression", NULL },
    { "deflate-level", 0, 0, G_OPTION_ARG_INT, &deflate_level, "zlib compression level of permessage-deflate, 0 to 9 or -1 (zlib's default, 6; implies --deflate)", "N" },
    { "deflate-mem-level", 0, 0, G_OPTION_ARG_INT, &deflate_mem_level, "zlib memory level of permessage-deflate, 1 to 9 (default 5; implies --deflate)", "N" },
    { "deflate-window-bits", 0, 0, G_OPTION_ARG_INT, &deflate_window_bits, "Largest window of our compressor, 8 to 15 bits (default 15; implies --deflate)", "N" },
    { "deflate-context-takeover", 0, 0, G_OPTION_ARG_NONE, &deflate_takeover, "Keep our compressor's context between messages (one zlib stream per connection; implies --deflate)", NULL },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Listen with TLS, with this PEM certificate (needs --tls-key)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "The PEM private key of --tls-cert", "FILE" },
    { NULL }
  };

  /* GLib's messages (option errors among them) in the user's language and
   * character set. */
  setlocale (LC_ALL, "");
  context = g_option_context_new ("- WebSocket echo server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("invalid --port %d: expected 0 to 65535\n", port);
      return 2;
    }
  if (max_len_opt < 0)
    {
      g_printerr ("invalid --max-length %" G_GINT64_FORMAT ": expected 0 or more bytes\n", max_len_opt);
      return 2;
    }
  max_length = (guint64) max_len_opt;
  if (deflate_level != -2 && (deflate_level < -1 || deflate_level > 9))
    {
      g_printerr ("invalid --deflate-level %d: expected -1 to 9\n", deflate_level);
      return 2;
    }
  if (deflate_mem_level != 0 && (deflate_mem_level < 1 || deflate_mem_level > 9))
    {
      g_printerr ("invalid --deflate-mem-level %d: expected 1 to 9\n", deflate_mem_level);
      return 2;
    }
  if (deflate_window_bits != 0 && (deflate_window_bits < 8 || deflate_window_bits > 15))
    {
      g_printerr ("invalid --deflate-window-bits %d: expected 8 to 15\n", deflate_window_bits);
      return 2;
    }
  if (deflate_level != -2 || deflate_mem_level != 0 || deflate_window_bits != 0 || deflate_takeover)
    deflate = TRUE;
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
      if (!check_key_matches (certificate, &error))
        {
          g_printerr ("the --tls-key %s does not belong to the --tls-cert %s (a TLS handshake with it failed: %s)\n",
                      tls_key, tls_cert, error->message);
          return 1;
        }
    }
  raise_fd_limit ();

  address = g_inet_address_new_from_string (host ? host : "127.0.0.1");
  if (address == NULL)
    {
      /* A host name: listen on its first address. */
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      GList *addresses = g_resolver_lookup_by_name (resolver, host, NULL, &error);

      if (addresses == NULL)
        {
          g_printerr ("invalid --host %s: %s\n", host, error->message);
          return 2;
        }
      address = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }
  sockaddr = g_inet_socket_address_new (address, (guint16) port);
  sock = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, &error);
  if (sock)
    g_socket_set_option (sock, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  /* A deep backlog: libsoup's default of 10 drops connections in a burst. */
  if (sock == NULL ||
      !g_socket_bind (sock, sockaddr, TRUE, &error) ||
      (g_socket_set_listen_backlog (sock, 4096), !g_socket_listen (sock, &error)))
    {
      g_printerr ("cannot listen: %s\n", error->message);
      return 1;
    }

  server = soup_server_new ("server-header", "fws-echo-server", NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  /* FwsListener accepts for the server: TLS handshakes and request heads
   * within a deadline, a cap on unfinished ones, and accepting goes on
   * after the process runs out of descriptors. */
  listener = fws_listener_new ();
  fws_listener_set_soup_server (listener, server);
  fws_listener_set_tls_certificate (listener, certificate);
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
  soup_server_disconnect (server);
  g_strfreev (protocols);
  return 0;
}
