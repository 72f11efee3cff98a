/* test-examples.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The command-line contract of examples/fws-echo-server and fws-client,
 * which other tools drive.
 */
#include "test-tls-utils.h"

#include <glib/gstdio.h>
#include <string.h>

static const char *
tool (const char *env)
{
  const char *path = g_getenv (env);

  if (path == NULL)
    g_error ("%s is not set (run through meson test)", env);
  return path;
}

/* Which server the server cases start; FWS_STREAM_SERVER for the
 * /examples/stream-server/ run of them (see the end of the file). */
static const char *server_env = "FWS_ECHO_SERVER";

static GSubprocess *
start_echo_server (guint *port, const char * const *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *line = NULL;
  GSubprocess *proc;
  const char *p;

  g_ptr_array_add (argv, (char *) tool (server_env));
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, (char *) "0");
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (char *) extra[i]);
  g_ptr_array_add (argv, NULL);
  proc = fws_test_spawn_until_line ((const char * const *) argv->pdata, "listening on ", 10, &line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, "/"));
  p = line + strlen ("listening on http://127.0.0.1:");
  *port = (guint) g_ascii_strtoull (p, NULL, 10);
  g_assert_cmpuint (*port, >, 0);
  return proc;
}

typedef struct
{
  gboolean done;
  char    *out;
  char    *err;
} Communicated;

static void
communicated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicated *c = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &error);
  g_assert_no_error (error);
  c->done = TRUE;
}

/* Runs the program in $@which with @args, the environment variables @env
 * (NAME=value, may be NULL) and @input on stdin; returns its exit status. */
static int
run_tool (const char *which, const char * const *args, const char * const *env,
          const char *input, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  Communicated c = { 0 };

  g_ptr_array_add (argv, (char *) tool (which));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; env && env[i]; i++)
    {
      g_auto(GStrv) kv = g_strsplit (env[i], "=", 2);

      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, input, NULL, communicated_cb, &c);
  fws_test_wait_until (c.done, 30);
  g_test_message ("stderr: %s", c.err);
  *out = c.out;
  *err = c.err;
  return g_subprocess_get_exit_status (proc);
}

/* Runs fws-client with @args and @input on stdin; returns its exit status. */
static int
run_client (const char * const *args, const char *input, char **out, char **err)
{
  return run_tool ("FWS_CLIENT", args, NULL, input, out, err);
}

static guint
count_occurrences (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_echo_server_and_client (void)
{
  guint port;
  GSubprocess *server;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_test_summary ("fws-echo-server --port 0 prints its URL; fws-client sends stdin lines and prints the echoes, then closes 1000 and exits 0");
  server = start_echo_server (&port, NULL);
  url = g_strdup_printf ("ws://127.0.0.1:%u/any/path", port);
  status = run_client ((const char *[]) { url, NULL }, "hello\nwörld\n\nlast\n", &out, &err);
  g_assert_cmpstr (out, ==, "hello\nwörld\n\nlast\n");
  g_assert_true (g_str_has_suffix (err, "close 1000 \n"));
  g_assert_cmpint (status, ==, 0);
  fws_test_subprocess_stop (server);
}

static void
test_client_event_source (void)
{
  guint port;
  GSubprocess *server;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_test_summary ("fws-client --events 3 http://.../events reads the echo server's event stream: each "
                  "event as event:, id: and data: lines and a blank line, then exits 0");
  server = start_echo_server (&port, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/events", port);
  status = run_client ((const char *[]) { "--events", "3", url, NULL }, NULL, &out, &err);
  g_assert_true (g_regex_match_simple ("^event: message\nid: 1\ndata: 1\n\n"
                                       "event: tick\nid: 1\ndata: [0-9]{2}:[0-9]{2}:[0-9]{2}\n\n"
                                       "event: message\nid: 2\ndata: 2\n\n$",
                                       out, 0, 0));
  g_assert_cmpuint (count_occurrences (err, "error:"), ==, 0);
  g_assert_cmpint (status, ==, 0);
  fws_test_subprocess_stop (server);
}

static void
test_client_event_source_refused (void)
{
  guint port;
  GSubprocess *server;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_test_summary ("fws-client in EventSource mode, answered 404: one error line naming the status, "
                  "nothing on stdout, exit 1");
  server = start_echo_server (&port, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/nothing", port);
  status = run_client ((const char *[]) { url, NULL }, NULL, &out, &err);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpuint (count_occurrences (err, "error:"), ==, 1);
  g_assert_nonnull (strstr (err, "404"));
  g_assert_cmpint (status, ==, 1);
  fws_test_subprocess_stop (server);
}

/* ---- A client that runs while the test acts ---- */

typedef struct
{
  GSubprocess      *proc;
  GOutputStream    *in;
  GDataInputStream *out;
  GDataInputStream *err;
  GString          *out_text;   /* every stdout line, each ending in LF */
  GString          *err_text;
  gboolean          exited;
  gboolean          out_eof;
  gboolean          err_eof;
} Running;

static void read_out (Running *r);
static void read_err (Running *r);

static void
out_line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Running *r = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                     NULL, NULL);

  if (line == NULL)
    {
      r->out_eof = TRUE;
      return;
    }
  g_string_append_printf (r->out_text, "%s\n", line);
  read_out (r);
}

static void
err_line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Running *r = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                                     NULL, NULL);

  if (line == NULL)
    {
      r->err_eof = TRUE;
      return;
    }
  g_test_message ("client stderr: %s", line);
  g_string_append_printf (r->err_text, "%s\n", line);
  read_err (r);
}

static void
read_out (Running *r)
{
  g_data_input_stream_read_line_async (r->out, G_PRIORITY_DEFAULT, NULL, out_line_cb, r);
}

static void
read_err (Running *r)
{
  g_data_input_stream_read_line_async (r->err, G_PRIORITY_DEFAULT, NULL, err_line_cb, r);
}

static void
exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Running *r = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  r->exited = TRUE;
}

static Running *
start_client (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Running *r = g_new0 (Running, 1);

  g_ptr_array_add (argv, (char *) tool ("FWS_CLIENT"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  r->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  r->in = g_subprocess_get_stdin_pipe (r->proc);
  r->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (r->proc));
  r->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (r->proc));
  r->out_text = g_string_new (NULL);
  r->err_text = g_string_new (NULL);
  read_out (r);
  read_err (r);
  g_subprocess_wait_async (r->proc, NULL, exited_cb, r);
  return r;
}

static void
client_write (Running *r, const char *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (r->in, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Waits for the client to exit, and for the last of its output. */
static int
finish_client (Running *r)
{
  int status;

  fws_test_wait_until (r->exited && r->out_eof && r->err_eof, 30);
  status = g_subprocess_get_exit_status (r->proc);
  g_object_unref (r->out);
  g_object_unref (r->err);
  g_object_unref (r->proc);
  g_string_free (r->out_text, TRUE);
  g_string_free (r->err_text, TRUE);
  g_free (r);
  return status;
}

static GSubprocess *
restart_echo_server (guint port)
{
  g_autofree char *port_arg = g_strdup_printf ("%u", port);
  guint again = 0;
  GSubprocess *server = start_echo_server (&again, (const char *[]) { "--port", port_arg, NULL });

  g_assert_cmpuint (again, ==, port);
  return server;
}

static void
test_client_reconnect (void)
{
  guint port;
  GSubprocess *server;
  g_autofree char *url = NULL;
  Running *r;
  gint64 deadline;

  g_test_summary ("fws-client --reconnect: when the server goes away and comes back on the same port, "
                  "the client says \"reconnecting 1 ...\" on stderr, connects again and goes on "
                  "sending stdin; at the end of stdin it closes 1000 and exits 0");
  server = start_echo_server (&port, NULL);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  r = start_client ((const char *[]) { "--reconnect", url, NULL });
  client_write (r, "one\n");
  fws_test_wait_until (strstr (r->out_text->str, "one\n") != NULL, 10);

  fws_test_subprocess_stop (server);
  fws_test_wait_until (strstr (r->err_text->str, "reconnecting 1 ") != NULL, 10);
  server = restart_echo_server (port);
  /* Lines sent while it is away are lost ("send failed"): send until one
   * comes back. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (strstr (r->out_text->str, "two\n") == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      client_write (r, "two\n");
      fws_test_run_for (200);
    }
  g_output_stream_close (r->in, NULL, NULL);
  fws_test_wait_until (r->exited, 10);
  g_assert_nonnull (strstr (r->err_text->str, "close 1000"));
  g_assert_cmpint (finish_client (r), ==, 0);
  fws_test_subprocess_stop (server);
}

static void
test_client_event_source_reconnect (void)
{
  guint port;
  GSubprocess *server;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  Running *r;

  g_test_summary ("fws-client --reconnect in EventSource mode: the stream of a server that went away "
                  "and came back goes on after the last event id (the counter resumes at 2, not 1)");
  server = start_echo_server (&port, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/events", port);
  r = start_client ((const char *[]) { "--reconnect", "--events", "4", url, NULL });
  fws_test_wait_until (strstr (r->out_text->str, "event: message\nid: 1\ndata: 1\n\n") != NULL, 10);
  fws_test_subprocess_stop (server);
  fws_test_wait_until (strstr (r->err_text->str, "reconnecting 1 ") != NULL, 10);
  server = restart_echo_server (port);
  fws_test_wait_until (r->exited && r->out_eof, 30);
  out = g_strdup (r->out_text->str);
  g_assert_cmpuint (count_occurrences (out, "event: "), ==, 4);
  g_assert_cmpuint (count_occurrences (out, "event: message\nid: 1\ndata: 1\n"), ==, 1);
  g_assert_nonnull (strstr (out, "event: message\nid: 2\ndata: 2\n"));
  g_assert_cmpint (finish_client (r), ==, 0);
  fws_test_subprocess_stop (server);
}

static void
test_client_event_source_once (void)
{
  guint port;
  GSubprocess *server;
  g_autofree char *url = NULL;
  Running *r;

  g_test_summary ("fws-client in EventSource mode without --reconnect: the end of the stream is one "
                  "error line and exit 1, no reconnection");
  server = start_echo_server (&port, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/events", port);
  r = start_client ((const char *[]) { url, NULL });
  fws_test_wait_until (strstr (r->out_text->str, "data: 1\n") != NULL, 10);
  fws_test_subprocess_stop (server);
  fws_test_wait_until (r->exited && r->err_eof, 10);
  g_assert_cmpuint (count_occurrences (r->err_text->str, "error:"), ==, 1);
  g_assert_null (strstr (r->err_text->str, "reconnecting"));
  g_assert_cmpint (finish_client (r), ==, 1);
}

static void
got_page_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GBytes **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static void
test_echo_server_page (void)
{
  guint port;
  GSubprocess *server = start_echo_server (&port, NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  GBytes *page = NULL;
  g_autofree char *text = NULL;

  g_test_summary ("GET / serves an HTML page whose script connects back with a WebSocket");
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, got_page_cb, &page);
  fws_test_wait_until (page != NULL, 10);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL),
                                   "text/html"));
  text = g_strndup (g_bytes_get_data (page, NULL), g_bytes_get_size (page));
  g_assert_nonnull (strstr (text, "new WebSocket("));
  g_bytes_unref (page);
  fws_test_subprocess_stop (server);
}

/* An in-process server that drives fws-client --echo; @events records
 * what its WebSocket received. */
typedef struct
{
  FwsWebSocket  *ws;
  FwsTestEvents *events;
  guint          close_with;
} Driver;

/* Runs after @events recorded the message (connected after it). */
static void
driver_message_cb (FwsWebSocket *ws, FwsMessageType type, GBytes *data, Driver *d)
{
  if (d->events->messages->len == 2)
    fws_web_socket_close (ws, d->close_with, "done", NULL);
}

static void
driver_open_cb (FwsWebSocket *ws, Driver *d)
{
  g_autoptr(GBytes) bin = g_bytes_new_static ("\x00\x01\x02", 3);

  g_assert_true (fws_web_socket_send_text (ws, "t1", NULL));
  g_assert_true (fws_web_socket_send_binary (ws, bin, NULL));
}

static void
driver_handler (FwsTestRequest *request, gpointer user_data)
{
  Driver *d = user_data;
  const char * const protocols[] = { "chat", NULL };
  g_autoptr(GError) error = NULL;

  if (!fws_test_request_expect_websocket (request))
    return;
  d->ws = fws_test_request_new_web_socket (request, protocols, &error);
  g_assert_no_error (error);
  g_assert_nonnull (d->ws);
  g_assert_cmpstr (soup_message_headers_get_one (fws_web_socket_get_headers (d->ws), "X-Test"), ==, "yes");
  fws_test_events_watch (d->events, d->ws);
  g_signal_connect (d->ws, "open", G_CALLBACK (driver_open_cb), d);
  g_signal_connect (d->ws, "message", G_CALLBACK (driver_message_cb), d);
}

static void
run_echo_client (guint close_with, int expect_status)
{
  Driver d = { NULL, fws_test_events_new (FALSE), close_with };
  FwsTestServer *server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, driver_handler, &d);
  GPtrArray *messages = d.events->messages;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *want_err = NULL;
  int status;

  url = g_strdup_printf ("ws://127.0.0.1:%u/", fws_test_server_get_port (server));
  status = run_client ((const char *[]) { "--echo", "--protocol", "chat", "--header", "X-Test: yes", url, NULL },
                       "", &out, &err);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpuint (g_array_index (d.events->types, FwsMessageType, 0), ==, FWS_MESSAGE_TYPE_TEXT);
  g_assert_cmpstr (g_bytes_get_data (messages->pdata[0], NULL), ==, "t1");
  g_assert_cmpuint (g_array_index (d.events->types, FwsMessageType, 1), ==, FWS_MESSAGE_TYPE_BINARY);
  g_assert_cmpmem (g_bytes_get_data (messages->pdata[1], NULL), g_bytes_get_size (messages->pdata[1]),
                   "\x00\x01\x02", 3);
  g_assert_cmpstr (fws_web_socket_get_protocol (d.ws), ==, "chat");
  want_err = g_strdup_printf ("close %u done\n", close_with);
  g_assert_true (g_str_has_suffix (err, want_err));
  g_assert_cmpint (status, ==, expect_status);
  g_signal_handlers_disconnect_by_data (d.ws, &d);
  fws_test_events_release (d.events, &d.ws);
  fws_test_events_free (d.events);
  fws_test_server_stop (server);
}

static void
test_client_echo_mode (void)
{
  g_test_summary ("fws-client --echo sends each message back with its type, sends --protocol and --header, exits 0 on 1000");
  run_echo_client (1000, 0);
}

static void
test_client_exit_status (void)
{
  g_test_summary ("fws-client exits 1 when the close code is not 1000 or 1005");
  run_echo_client (4000, 1);
}

static void
binary_handler (FwsTestRequest *request, gpointer user_data)
{
  FwsWebSocket **out = user_data;
  g_autoptr(GError) error = NULL;

  if (!fws_test_request_expect_websocket (request))
    return;
  *out = fws_test_request_new_web_socket (request, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (*out, "open", G_CALLBACK (driver_open_cb), NULL);
}

static void
test_client_prints_binary (void)
{
  FwsWebSocket *ws = NULL;
  FwsTestServer *server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, binary_handler, &ws);
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_test_summary ("Without --echo, a binary message is printed as <binary N bytes>");
  url = g_strdup_printf ("ws://127.0.0.1:%u/", fws_test_server_get_port (server));
  g_assert_cmpint (run_client ((const char *[]) { url, NULL }, "", &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "t1\n<binary 3 bytes>\n");
  g_clear_object (&ws);
  fws_test_server_stop (server);
}

static void
test_server_names_bad_option (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;

  g_test_summary ("A bad --port or --max-length is named with its value, exit status 2");
  g_assert_cmpint (run_tool ("FWS_ECHO_SERVER", (const char *[]) { "--port", "70000", NULL }, NULL, NULL,
                             &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--port 70000"));
  g_assert_null (strstr (err, "--max-length"));
  g_assert_cmpint (run_tool ("FWS_ECHO_SERVER", (const char *[]) { "--port", "0", "--max-length", "-1", NULL },
                             NULL, NULL, &out2, &err2), ==, 2);
  g_assert_nonnull (strstr (err2, "--max-length -1"));
  g_assert_null (strstr (err2, "--port"));
}

/* Runs fws-echo-server with @args, connects a client that offers
 * permessage-deflate keeping its own context, sends "hi" and returns the
 * Sec-WebSocket-Extensions of the answer. */
static char *
echo_server_deflate (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(FwsPermessageDeflate) deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE,
                                                          "no-context-takeover", FALSE, NULL);
  g_autoptr(FwsWebSocket) client = NULL;
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  FwsTestEvents *events = fws_test_events_new (FALSE);
  char *extensions;

  g_ptr_array_add (argv, (gpointer) tool ("FWS_ECHO_SERVER"));
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  server = fws_test_spawn_until_line ((const char * const *) argv->pdata, "listening on ", 10, &line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  url = g_strdup_printf ("ws://127.0.0.1:%u/",
                         (guint) g_ascii_strtoull (line + strlen ("listening on http://127.0.0.1:"), NULL, 10));
  client = g_object_new (FWS_TYPE_CLIENT, "url", url, NULL);
  g_assert_true (fws_web_socket_add_extension (client, FWS_EXTENSION (deflate), NULL));
  fws_test_events_watch (events, client);
  fws_test_wait_until (events->opens > 0 || events->closes > 0, 10);
  g_assert_cmpuint (events->opens, ==, 1);
  g_assert_true (fws_web_socket_send_text (client, "hi", NULL));
  fws_test_wait_until (events->messages->len > 0 || events->closes > 0, 10);
  g_assert_cmpuint (events->messages->len, ==, 1);
  g_assert_cmpstr (g_bytes_get_data (events->messages->pdata[0], NULL), ==, "hi");
  extensions = g_strdup (soup_message_headers_get_list (fws_web_socket_get_headers (client),
                                                        "Sec-WebSocket-Extensions"));
  g_assert_true (fws_web_socket_close (client, 1000, NULL, NULL));
  fws_test_wait_until (events->closes > 0, 10);
  g_clear_object (&client);
  fws_test_events_free (events);
  fws_test_subprocess_stop (g_steal_pointer (&server));
  return extensions;
}

static void
test_server_deflate_options (void)
{
  g_autofree char *plain = echo_server_deflate ((const char *[]) { NULL });
  g_autofree char *level = echo_server_deflate ((const char *[]) { "--deflate-level", "1", NULL });
  g_autofree char *takeover = echo_server_deflate ((const char *[]) {
    "--deflate-level", "9", "--deflate-mem-level", "5", "--deflate-window-bits", "12",
    "--deflate-context-takeover", NULL });
  static const char * const bad[][3] = {
    { "--deflate-level", "10", "--deflate-level 10" },
    { "--deflate-mem-level", "0x", "--deflate-mem-level" },
    { "--deflate-mem-level", "10", "--deflate-mem-level 10" },
    { "--deflate-window-bits", "16", "--deflate-window-bits 16" },
  };

  g_test_summary ("fws-echo-server: without a --deflate option no permessage-deflate; each "
                  "--deflate-* option implies --deflate (the library's defaults: no context "
                  "takeover for the server's compressor, unless --deflate-context-takeover) and "
                  "echoes through it; a value out of range is named, exit status 2");
  g_assert_null (plain);
  g_assert_cmpstr (level, ==, "permessage-deflate; server_no_context_takeover");
  g_assert_cmpstr (takeover, ==, "permessage-deflate");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (run_tool ("FWS_ECHO_SERVER", (const char *[]) { "--port", "0", bad[i][0], bad[i][1], NULL },
                                 NULL, NULL, &out, &err), ==, 2);
      g_assert_nonnull (strstr (err, bad[i][2]));
    }
}

static void
test_server_calls_setlocale (void)
{
  const char * const env[] = { "LC_ALL=C.UTF-8", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_test_summary ("Under a UTF-8 locale the examples print GLib's messages as they are: quotes are "
                  "not escaped as \\u201c (the programs call setlocale)");
  g_assert_cmpint (run_tool ("FWS_ECHO_SERVER", (const char *[]) { "--port", "abc", NULL }, env, NULL,
                             &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "abc"));
  g_assert_null (strstr (err, "\\u201"));
  g_assert_null (strstr (err, "?abc?"));
}

static void
test_server_host_name (void)
{
  g_autoptr(GSubprocess) server = NULL;
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { tool ("FWS_ECHO_SERVER"), "--host", "localhost", "--port", "0", NULL };
  const char *p;

  g_test_summary ("--host takes a host name (localhost), and a client reaches it by that name");
  server = fws_test_spawn_until_line (argv, "listening on ", 10, &line);
  if (g_str_has_prefix (line, "listening on http://127.0.0.1:"))
    p = line + strlen ("listening on http://127.0.0.1:");
  else if (g_str_has_prefix (line, "listening on http://[::1]:"))
    p = line + strlen ("listening on http://[::1]:");
  else
    g_error ("unexpected line %s", line);
  url = g_strdup_printf ("ws://localhost:%u/", (guint) g_ascii_strtoull (p, NULL, 10));
  g_assert_cmpint (run_client ((const char *[]) { url, NULL }, "hi\n", &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "hi\n");
  fws_test_subprocess_stop (g_steal_pointer (&server));
}

static void
test_client_error_once (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_test_summary ("A client error is printed once, not again as the close reason");
  /* A port that is bound but not listening refuses connections. */
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_assert_cmpint (run_client ((const char *[]) { url, NULL }, "", &out, &err), ==, 1);
  g_assert_cmpuint (count_occurrences (err, "refused"), ==, 1);
  g_assert_nonnull (strstr (err, "close 1006"));
}

/* A server that takes nothing over: what a SoupServer without a handler
 * answers. */
static void
not_found_handler (FwsTestRequest *request, gpointer user_data)
{
  fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
}

static void
test_client_wss_to_plain_server (void)
{
  FwsTestServer *server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, not_found_handler, NULL);
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();

  g_test_summary ("A wss:// URL for a plain server: the client gives up after --timeout and says "
                  "the server may not speak TLS, use ws://");
  url = g_strdup_printf ("wss://127.0.0.1:%u/", fws_test_server_get_port (server));
  g_assert_cmpint (run_client ((const char *[]) { "--timeout", "2", url, NULL }, "", &out, &err), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (err, "hint: "));
  g_assert_nonnull (strstr (err, "TLS"));
  g_assert_nonnull (strstr (err, "ws://"));
  fws_test_server_stop (server);
}

static void
test_client_ws_to_tls_server (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "bindings", "test-server.pem", NULL);
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (pem, &error);
  FwsTestServer *server = NULL;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_test_summary ("A ws:// URL for a TLS server: the client says the server may want TLS, use wss://");
  g_assert_no_error (error);
  server = fws_test_server_start (FWS_TEST_DOOR_SOUP, cert, not_found_handler, NULL);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", fws_test_server_get_port (server));
  g_assert_cmpint (run_client ((const char *[]) { "--timeout", "10", url, NULL }, "", &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "hint: "));
  g_assert_nonnull (strstr (err, "wss://"));
  fws_test_server_stop (server);
}

/* A TLS server that, like openssl s_server, ends the connection (a FIN,
 * not a reset) when the handshake fails, without an HTTP answer. The
 * connections stay in @user_data until the test ends. */
static void
tls_handshake_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  GIOStream *base = NULL;

  g_assert_false (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error));
  g_object_get (source, "base-io-stream", &base, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)), FALSE, TRUE, NULL);
  g_ptr_array_add (user_data, base);
}

static gboolean
tls_incoming_cb (GSocketService *service, GSocketConnection *conn, GObject *source_object, gpointer user_data)
{
  GPtrArray *conns = user_data;
  GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (conn), g_ptr_array_index (conns, 0), NULL);

  g_assert_nonnull (tls);
  g_ptr_array_add (conns, tls);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, NULL, tls_handshake_done_cb, conns);
  return TRUE;
}

static void
test_client_ws_to_closing_tls_server (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "bindings", "test-server.pem", NULL);
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (pem, &error);
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_test_summary ("A ws:// URL for a TLS server that ends the connection without an HTTP answer: "
                  "the client says the server may want TLS, use wss://");
  g_assert_no_error (error);
  g_ptr_array_add (conns, g_object_ref (cert));
  g_signal_connect (service, "incoming", G_CALLBACK (tls_incoming_cb), conns);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", fws_test_listen_loopback (G_SOCKET_LISTENER (service)));
  g_socket_service_start (service);
  g_assert_cmpint (run_client ((const char *[]) { "--timeout", "10", url, NULL }, "", &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "hint: "));
  g_assert_nonnull (strstr (err, "wss://"));
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
}

static void
test_server_tls_key_mismatch (void)
{
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "bindings", "test-server.pem", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *key = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status;
  gint64 start;

  g_test_summary ("fws-echo-server refuses, at start-up, a --tls-key that does not belong to its "
                  "--tls-cert (a key of the same type), instead of failing every handshake later");
  if (g_getenv ("FWS_EXAMPLES_TLS") == NULL)
    {
      g_test_skip ("this echo server has no --tls-cert (only the C example has)");
      return;
    }
  dir = g_dir_make_tmp ("fws-examples-XXXXXX", &error);
  g_assert_no_error (error);
  key = g_build_filename (dir, "other.key", NULL);
  {
    g_autofree char *command = g_strdup_printf ("certtool --generate-privkey --ecc --outfile %s", key);

    if (!g_spawn_command_line_sync (command, NULL, NULL, &wait_status, &error) ||
        !g_spawn_check_wait_status (wait_status, &error))
      g_error ("certtool (gnutls-bin) could not make a key: %s", error->message);
  }
  start = g_get_monotonic_time ();
  g_assert_cmpint (run_tool ("FWS_ECHO_SERVER",
                             (const char *[]) { "--port", "0", "--tls-cert", pem, "--tls-key", key, NULL },
                             NULL, NULL, &out, &err), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "does not belong to the --tls-cert"));
  g_remove (key);
  g_rmdir (dir);
}

/* ---- The same server cases against fws-stream-server (FWS_STREAM_SERVER),
 * which accepts its connections itself: no SoupServer ---- */

typedef struct
{
  const char *path;
  GTestFunc   func;
} ServerCase;

static void
with_stream_server (gconstpointer data)
{
  const ServerCase *c = data;

  server_env = "FWS_STREAM_SERVER";
  c->func ();
  server_env = "FWS_ECHO_SERVER";
}

static void
test_stream_server_tls (void)
{
  g_autofree char *pem = g_test_build_filename (G_TEST_DIST, "bindings", "test-server.pem", NULL);
  g_autofree char *ca = g_test_build_filename (G_TEST_DIST, "bindings", "test-ca.pem", NULL);
  const char *argv[] = { tool ("FWS_STREAM_SERVER"), "--port", "0", "--tls-cert", pem, "--tls-key", pem, NULL };
  const char *ca_files[] = { ca, NULL };
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  FwsClient *client = NULL;
  FwsTestEvents *events = fws_test_events_new (FALSE);
  GBytes *echo;
  GSubprocess *server;

  g_test_summary ("fws-stream-server --tls-cert FILE --tls-key FILE prints an https:// URL and echoes over wss://");
  server = fws_test_spawn_until_line (argv, "listening on ", 10, &line);
  g_assert_true (g_str_has_prefix (line, "listening on https://127.0.0.1:"));
  url = g_strdup_printf ("wss://127.0.0.1:%u/secure",
                         (guint) g_ascii_strtoull (line + strlen ("listening on https://127.0.0.1:"), NULL, 10));
  client = g_object_new (FWS_TYPE_CLIENT, "url", url, "tls-ca-files", ca_files, "use-system-proxy", FALSE, NULL);
  fws_test_events_watch (events, FWS_WEB_SOCKET (client));
  fws_test_wait_until (events->opens > 0 || events->closes > 0, 10);
  g_assert_cmpuint (events->opens, >, 0);
  g_assert_true (fws_web_socket_send_text (FWS_WEB_SOCKET (client), "secret", NULL));
  fws_test_wait_until (events->messages->len > 0 || events->closes > 0, 10);
  g_assert_cmpuint (events->messages->len, >, 0);
  fws_test_events_assert_types (events, FWS_MESSAGE_TYPE_TEXT);
  echo = g_ptr_array_index (events->messages, events->messages->len - 1);
  g_assert_cmpmem (g_bytes_get_data (echo, NULL), g_bytes_get_size (echo), "secret", 6);
  g_assert_true (fws_web_socket_close (FWS_WEB_SOCKET (client), 1000, NULL, NULL));
  fws_test_wait_until (events->closes > 0, 10);
  g_assert_cmpuint (events->close_code, ==, 1000);
  fws_test_events_release (events, &client);
  fws_test_events_free (events);
  fws_test_subprocess_stop (server);
}

static const ServerCase stream_server_cases[] = {
  { "/examples/stream-server/echo-server-and-client", test_echo_server_and_client },
  { "/examples/stream-server/echo-server-page", test_echo_server_page },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/examples/echo-server-and-client", test_echo_server_and_client);
  g_test_add_func ("/examples/echo-server-page", test_echo_server_page);
  g_test_add_func ("/examples/client-echo-mode", test_client_echo_mode);
  g_test_add_func ("/examples/client-exit-status", test_client_exit_status);
  g_test_add_func ("/examples/client-prints-binary", test_client_prints_binary);
  g_test_add_func ("/examples/client-event-source", test_client_event_source);
  g_test_add_func ("/examples/client-event-source-refused", test_client_event_source_refused);
  g_test_add_func ("/examples/client-reconnect", test_client_reconnect);
  g_test_add_func ("/examples/client-event-source-reconnect", test_client_event_source_reconnect);
  g_test_add_func ("/examples/client-event-source-once", test_client_event_source_once);
  g_test_add_func ("/examples/server-names-bad-option", test_server_names_bad_option);
  if (g_getenv ("FWS_EXAMPLES_DEFLATE") != NULL)
    g_test_add_func ("/examples/server-deflate-options", test_server_deflate_options);
  g_test_add_func ("/examples/server-calls-setlocale", test_server_calls_setlocale);
  g_test_add_func ("/examples/server-host-name", test_server_host_name);
  g_test_add_func ("/examples/client-error-once", test_client_error_once);
  g_test_add_func ("/examples/client-wss-to-plain-server", test_client_wss_to_plain_server);
  g_test_add_func ("/examples/client-ws-to-tls-server", test_client_ws_to_tls_server);
  g_test_add_func ("/examples/client-ws-to-closing-tls-server", test_client_ws_to_closing_tls_server);
  g_test_add_func ("/examples/server-tls-key-mismatch", test_server_tls_key_mismatch);
  if (g_getenv ("FWS_STREAM_SERVER") != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (stream_server_cases); i++)
        g_test_add_data_func (stream_server_cases[i].path, &stream_server_cases[i], with_stream_server);
      g_test_add_func ("/examples/stream-server/tls", test_stream_server_tls);
    }

  return g_test_run ();
}
