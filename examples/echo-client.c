/* echo-client.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fws-client [--protocol P]... [--header 'Name: value']... [--echo] [--deflate]
 *            [--ca FILE]... [--insecure] [--proxy URL] [--timeout S] [--reconnect]
 *            ws[s]://URL
 * fws-client [--events N] [--header 'Name: value']... [--ca FILE]...
 *            [--insecure] [--proxy URL] [--timeout S] [--reconnect] http[s]://URL
 *
 * Without --echo, sends each line of stdin as a text message and prints
 * each text message received as a line (a binary one as "<binary N bytes>").
 * At the end of stdin it waits until everything was sent and no message has
 * arrived for half a second, then closes. With --echo, sends every message
 * received back unchanged. On close, prints "close CODE REASON" to stderr
 * and exits 0 for 1000 or 1005, 1 otherwise. For wss://, --ca trusts the
 * certificate authorities in FILE instead of the system's, and --insecure
 * accepts any certificate. --proxy goes through an HTTP (CONNECT) or SOCKS
 * proxy; without it the system's proxy settings apply. --timeout gives up
 * connecting after S seconds (default 30). With --reconnect, a connection
 * that is lost (no close frame, a close with 1001, 1011-1014, a 5xx answer)
 * is made again with backoff, and each wait is announced on stderr as
 * "reconnecting ATTEMPT DELAY_MS: REASON"; stdin goes on being sent once
 * the connection is back. Each error is printed once; when
 * the connection fails before it opened, a "hint:" line says what is likely
 * wrong (a wss:// URL for a plain server, a ws:// URL for a TLS one).
 *
 * An http:// or https:// URL is read as an EventSource stream
 * (FwsEventSourceClient): each event is printed as the lines "event: TYPE",
 * "id: ID" (when the stream set an id), "data: LINE" for each line of its
 * data, and a blank line. Each error is printed as "error: MESSAGE", and
 * the client exits 1 once it stopped: at the first end of the stream or
 * failure, or with --reconnect (which reconnects with backoff and the last
 * event id, announcing each wait as with WebSocket) only when the server
 * answered anything but an event stream. With --events N it exits 0 after N
 * events; SIGINT or SIGTERM stops it with status 0.
 */
#include <fws-glib/fws-glib.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

typedef struct
{
  GMainLoop        *loop;
  FwsWebSocket     *ws;
  const char       *url;
  gboolean          opened;
  char             *last_error;
  GDataInputStream *input;
  gboolean          echo;
  gboolean          stdin_done;
  gboolean          reading;
  gint64            last_activity;
  guint             exit_code;
  GSource          *quiet_source;
} App;

static void read_line (App *app);

/* ---- EventSource mode ---- */

typedef struct
{
  GMainLoop            *loop;
  FwsEventSourceClient *events;
  guint                 max_events;   /* 0: no end */
  guint                 seen;
  int                   exit_code;
} EventsApp;

static void
on_event (FwsEventSourceClient *events, const char *type, const char *data, const char *id, EventsApp *app)
{
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);

  printf ("event: %s\n", type);
  if (*id != '\0')
    printf ("id: %s\n", id);
  for (guint i = 0; lines[i] != NULL; i++)
    printf ("data: %s\n", lines[i]);
  printf ("\n");
  fflush (stdout);
  if (app->max_events > 0 && ++app->seen == app->max_events)
    {
      app->exit_code = 0;
      fws_event_source_client_close (events);
      g_main_loop_quit (app->loop);
    }
}

static void
on_reconnecting (GObject *client, guint attempt, guint delay, GError *error, gpointer app)
{
  g_printerr ("reconnecting %u %u: %s\n", attempt, delay, error->message);
}

static void
on_events_error (FwsEventSourceClient *events, GError *error, EventsApp *app)
{
  g_printerr ("error: %s\n", error->message);
  if (fws_event_source_client_get_ready_state (events) == FWS_READY_STATE_CLOSED)
    {
      app->exit_code = 1;
      g_main_loop_quit (app->loop);
    }
}

static gboolean
events_signal_cb (gpointer user_data)
{
  EventsApp *app = user_data;

  app->exit_code = 0;
  fws_event_source_client_close (app->events);
  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

static int
run_event_source (const char *url, SoupMessageHeaders *headers, char **ca_files, gboolean insecure,
                  const char *proxy, int timeout, int max_events, gboolean reconnect)
{
  EventsApp app = { 0 };
  guint sigint, sigterm;

  app.loop = g_main_loop_new (NULL, FALSE);
  app.max_events = (guint) max_events;
  app.exit_code = 1;
  app.events = g_object_new (FWS_TYPE_EVENT_SOURCE_CLIENT,
                             "url", url,
                             "extra-headers", headers,
                             "tls-ca-files", ca_files,
                             "tls-verify", !insecure,
                             "proxy", proxy,
                             "reconnect", reconnect,
                             NULL);
  if (timeout > 0)
    fws_event_source_client_set_handshake_timeout (app.events, (guint) timeout * 1000);
  g_signal_connect (app.events, "message", G_CALLBACK (on_event), &app);
  g_signal_connect (app.events, "error", G_CALLBACK (on_events_error), &app);
  g_signal_connect (app.events, "reconnecting", G_CALLBACK (on_reconnecting), &app);
  sigint = g_unix_signal_add (SIGINT, events_signal_cb, &app);
  sigterm = g_unix_signal_add (SIGTERM, events_signal_cb, &app);

  g_main_loop_run (app.loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  fws_event_source_client_close (app.events);
  g_object_unref (app.events);
  g_main_loop_unref (app.loop);
  return app.exit_code;
}

/* ---- WebSocket mode ---- */

static void
on_open (FwsWebSocket *ws, App *app)
{
  app->opened = TRUE;
  /* After a reconnection, stdin is still being read. */
  if (!app->echo && !app->reading)
    {
      app->reading = TRUE;
      read_line (app);
    }
}

static void
on_message (FwsWebSocket *ws, FwsMessageType type, GBytes *data, App *app)
{
  app->last_activity = g_get_monotonic_time ();
  if (app->echo)
    {
      g_autoptr(GError) error = NULL;

      if (!fws_web_socket_send (ws, type, data, &error))
        g_printerr ("send failed: %s\n", error->message);
      return;
    }
  if (type == FWS_MESSAGE_TYPE_TEXT)
    printf ("%s\n", (const char *) g_bytes_get_data (data, NULL));
  else
    printf ("<binary %" G_GSIZE_FORMAT " bytes>\n", g_bytes_get_size (data));
  fflush (stdout);
}

/* What is likely wrong when a connection fails before it opened: a plain
 * server does not answer a TLS handshake (wss:// times out or fails with
 * a TLS error), and a TLS server drops a plain HTTP request (ws:// sees the
 * connection reset, or closed with no HTTP answer). */
static const char *
hint_for (App *app, const GError *error)
{
  gboolean tls = g_ascii_strncasecmp (app->url, "wss:", 4) == 0;

  if (app->opened)
    return NULL;
  if (tls && (g_error_matches (error, FWS_ERROR, FWS_ERROR_TIMED_OUT) ||
              g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
              g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_MISC)))
    return "is the server speaking TLS? A wss:// URL needs a TLS server; for a plain one use ws://";
  /* No HTTP status: the server ended the connection without an answer. */
  if (!tls && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
               g_error_matches (error, FWS_ERROR, FWS_ERROR_TIMED_OUT) ||
               (g_error_matches (error, FWS_ERROR, FWS_ERROR_HANDSHAKE) &&
                fws_client_get_status (FWS_CLIENT (app->ws)) == 0)))
    return "does the server want TLS? For a TLS server use a wss:// URL";
  return NULL;
}

static void
on_error (FwsWebSocket *ws, GError *error, App *app)
{
  const char *hint = hint_for (app, error);

  g_printerr ("error: %s\n", error->message);
  if (hint != NULL)
    g_printerr ("hint: %s\n", hint);
  g_free (app->last_error);
  app->last_error = g_strdup (error->message);
}

static void
on_close (FwsWebSocket *ws, guint code, const char *reason, App *app)
{
  /* After an error the reason is that error again: not twice. */
  if (g_strcmp0 (reason, app->last_error) == 0)
    reason = "";
  g_printerr ("close %u %s\n", code, reason);
  app->exit_code = (code == 1000 || code == 1005) ? 0 : 1;
  g_main_loop_quit (app->loop);
}

static gboolean
quiet_cb (gpointer user_data)
{
  App *app = user_data;

  if (fws_web_socket_get_buffered_amount (app->ws) > 0 ||
      g_get_monotonic_time () - app->last_activity < 500 * 1000)
    return G_SOURCE_CONTINUE;
  app->quiet_source = NULL;
  fws_web_socket_close (app->ws, 1000, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);

  if (line == NULL)
    {
      if (error)
        g_printerr ("stdin: %s\n", error->message);
      app->stdin_done = TRUE;
      app->last_activity = g_get_monotonic_time ();
      app->quiet_source = g_timeout_source_new (50);
      g_source_set_callback (app->quiet_source, quiet_cb, app, NULL);
      g_source_attach (app->quiet_source, NULL);
      g_source_unref (app->quiet_source);
      return;
    }
  if (!fws_web_socket_send_text (app->ws, line, &error))
    g_printerr ("send failed: %s\n", error->message);
  read_line (app);
}

static void
read_line (App *app)
{
  g_data_input_stream_read_line_async (app->input, G_PRIORITY_DEFAULT, NULL, line_cb, app);
}

static gboolean
signal_cb (gpointer user_data)
{
  App *app = user_data;

  if (fws_web_socket_get_ready_state (app->ws) >= FWS_READY_STATE_CLOSING)
    g_main_loop_quit (app->loop);
  else
    fws_web_socket_close (app->ws, 1000, "interrupted", NULL);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_auto(GStrv) protocols = NULL;
  g_auto(GStrv) header_args = NULL;
  g_autoptr(GUnixInputStream) in = NULL;
  gboolean echo = FALSE;
  gboolean deflate = FALSE;
  g_auto(GStrv) ca_files = NULL;
  gboolean insecure = FALSE;
  g_autofree char *proxy = NULL;
  int timeout = 0;
  int max_events = 0;
  gboolean reconnect = FALSE;
  gboolean event_source = FALSE;
  App app = { 0 };
  GOptionEntry entries[] = {
    { "protocol", 0, 0, G_OPTION_ARG_STRING_ARRAY, &protocols, "A subprotocol to offer (repeatable)", "P" },
    { "header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &header_args, "An extra request header (repeatable)", "'Name: value'" },
    { "echo", 0, 0, G_OPTION_ARG_NONE, &echo, "Send every message received back", NULL },
    { "deflate", 0, 0, G_OPTION_ARG_NONE, &deflate, "Offer permessage-deflate compression", NULL },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &ca_files, "Trust the certificate authorities in this PEM file (repeatable)", "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure, "Accept any TLS certificate", NULL },
    { "proxy", 0, 0, G_OPTION_ARG_STRING, &proxy, "Go through this proxy (http://[user:password@]host:port, https://, socks5://)", "URL" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Give up connecting after S seconds (default 30)", "S" },
    { "events", 0, 0, G_OPTION_ARG_INT, &max_events, "EventSource (http:// or https://): exit after N events", "N" },
    { "reconnect", 0, 0, G_OPTION_ARG_NONE, &reconnect, "Connect again, with backoff, when the connection is lost", NULL },
    { NULL }
  };

  /* GLib's messages (option errors among them) in the user's language and
   * character set. */
  setlocale (LC_ALL, "");
  context = g_option_context_new ("URL - WebSocket (ws://, wss://) or EventSource (http://, https://) client");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (timeout < 0 || timeout > G_MAXINT / 1000)
    {
      g_printerr ("invalid --timeout %d: expected seconds, 0 or more\n", timeout);
      return 2;
    }
  if (max_events < 0)
    {
      g_printerr ("invalid --events %d: expected a count, 0 or more\n", max_events);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("usage: fws-client [OPTION...] URL\n");
      return 2;
    }

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  for (guint i = 0; header_args && header_args[i]; i++)
    {
      char *colon = strchr (header_args[i], ':');

      if (colon == NULL || colon == header_args[i])
        {
          g_printerr ("invalid --header '%s': expected 'Name: value'\n", header_args[i]);
          return 2;
        }
      *colon = '\0';
      soup_message_headers_append (headers, g_strstrip (header_args[i]), g_strstrip (colon + 1));
    }

  {
    g_autoptr(GUri) check = g_uri_parse (argv[1], G_URI_FLAGS_NONE, NULL);
    const char *scheme = check ? g_uri_get_scheme (check) : NULL;

    event_source = scheme != NULL && (g_ascii_strcasecmp (scheme, "http") == 0 ||
                                      g_ascii_strcasecmp (scheme, "https") == 0);
    if (!event_source &&
        (scheme == NULL || (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0)))
      {
        g_printerr ("%s is not a valid WebSocket or EventSource URL\n", argv[1]);
        return 2;
      }
  }
  if (event_source)
    return run_event_source (argv[1], headers, ca_files, insecure, proxy, timeout, max_events, reconnect);

  app.loop = g_main_loop_new (NULL, FALSE);
  app.echo = echo;
  app.url = argv[1];
  app.exit_code = 1;
  app.ws = g_object_new (FWS_TYPE_CLIENT,
                         "url", argv[1],
                         "protocols", protocols,
                         "extra-headers", headers,
                         "tls-ca-files", ca_files,
                         "tls-verify", !insecure,
                         "proxy", proxy,
                         "reconnect", reconnect,
                         NULL);
  if (timeout > 0)
    fws_web_socket_set_handshake_timeout (app.ws, (guint) timeout * 1000);
  if (deflate)
    {
      g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();

      fws_web_socket_add_extension (app.ws, FWS_EXTENSION (ext), NULL);
    }
  in = G_UNIX_INPUT_STREAM (g_unix_input_stream_new (0, FALSE));
  app.input = g_data_input_stream_new (G_INPUT_STREAM (in));

  g_signal_connect (app.ws, "open", G_CALLBACK (on_open), &app);
  g_signal_connect (app.ws, "message", G_CALLBACK (on_message), &app);
  g_signal_connect (app.ws, "error", G_CALLBACK (on_error), &app);
  g_signal_connect (app.ws, "close", G_CALLBACK (on_close), &app);
  g_signal_connect (app.ws, "reconnecting", G_CALLBACK (on_reconnecting), &app);
  g_unix_signal_add (SIGINT, signal_cb, &app);
  g_unix_signal_add (SIGTERM, signal_cb, &app);

  g_main_loop_run (app.loop);

  g_object_unref (app.input);
  g_object_unref (app.ws);
  g_main_loop_unref (app.loop);
  g_free (app.last_error);
  return (int) app.exit_code;
}
