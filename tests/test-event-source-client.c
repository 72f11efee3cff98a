/* test-event-source-client.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsEventSourceClient over loopback sockets:
 *   - against FwsEventSource through both doors (a SoupServer and a
 *     GSocketService read with FwsRequest), also over TLS: events with
 *     types, ids and several data lines; the server ends the stream and the
 *     client comes back with Last-Event-ID, which the server checks; the
 *     server's retry honoured; 204 stops; 404 fails without reconnecting;
 *     a redirect (from the raw server below) followed; an HTTP proxy;
 *   - against a raw server in this file that writes canned bytes: the
 *     request head, a wrong Content-Type, too many redirects, a server
 *     that never answers (handshake-timeout), an endless
 *     line, a chunked body split at odd places (with an extension and a
 *     trailer), a Content-Length body, close() from a handler;
 *   - against a server nobody here wrote: the npm package sse-channel on
 *     node's http (tests/peers/sse-channel-server.js), which sends a
 *     chunked body and replays missed events from Last-Event-ID.
 * Every wait is bounded.
 */
#include "test-utils.h"
#include "test-fake-proxy.h"
#include "test-tls-utils.h"

#include <string.h>

/* ---- What the client reported ---- */

typedef struct
{
  FwsEventSourceClient *client;
  guint                 opens;
  GPtrArray            *messages;      /* of "type|data|id" */
  GPtrArray            *errors;        /* of GError */
  GArray               *error_states;  /* FwsReadyState at each error */
  gint64                error_time;    /* of the first error */
  gint64                reopen_time;   /* of the second open */
  gboolean              close_on_message;
} Recorder;

static void
open_cb (FwsEventSourceClient *client,
         Recorder             *r)
{
  g_assert_cmpint (fws_event_source_client_get_ready_state (client), ==, FWS_READY_STATE_OPEN);
  r->opens++;
  if (r->opens == 2)
    r->reopen_time = g_get_monotonic_time ();
}

static void
message_cb (FwsEventSourceClient *client,
            const char           *type,
            const char           *data,
            const char           *id,
            Recorder             *r)
{
  g_assert_cmpstr (fws_event_source_client_get_last_event_id (client), ==, id);
  g_ptr_array_add (r->messages, g_strdup_printf ("%s|%s|%s", type, data, id));
  if (r->close_on_message)
    {
      fws_event_source_client_close (client);
      g_assert_cmpint (fws_event_source_client_get_ready_state (client), ==, FWS_READY_STATE_CLOSED);
    }
}

static void
error_cb (FwsEventSourceClient *client,
          const GError         *error,
          Recorder             *r)
{
  FwsReadyState state = fws_event_source_client_get_ready_state (client);

  g_test_message ("error (state %d): %s", state, error->message);
  if (r->errors->len == 0)
    r->error_time = g_get_monotonic_time ();
  g_ptr_array_add (r->errors, g_error_copy (error));
  g_array_append_val (r->error_states, state);
}

static Recorder *
recorder_new (const char *url)
{
  g_autoptr(GError) error = NULL;
  Recorder *r = g_new0 (Recorder, 1);

  r->client = fws_event_source_client_new (url, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r->client);
  r->messages = g_ptr_array_new_with_free_func (g_free);
  r->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  r->error_states = g_array_new (FALSE, FALSE, sizeof (FwsReadyState));
  g_signal_connect (r->client, "open", G_CALLBACK (open_cb), r);
  g_signal_connect (r->client, "message", G_CALLBACK (message_cb), r);
  g_signal_connect (r->client, "error", G_CALLBACK (error_cb), r);
  g_assert_cmpint (fws_event_source_client_get_ready_state (r->client), ==, FWS_READY_STATE_CONNECTING);
  return r;
}

static GError *
nth_error (Recorder *r,
           guint     i)
{
  g_assert_cmpuint (i, <, r->errors->len);
  return g_ptr_array_index (r->errors, i);
}

static FwsReadyState
error_state (Recorder *r,
             guint     i)
{
  return g_array_index (r->error_states, FwsReadyState, i);
}

/* Closes the client, checks it lets itself go, and frees. */
static void
recorder_free (Recorder *r)
{
  GWeakRef weak;

  fws_event_source_client_close (r->client);
  g_assert_cmpint (fws_event_source_client_get_ready_state (r->client), ==, FWS_READY_STATE_CLOSED);
  g_weak_ref_init (&weak, r->client);
  g_signal_handlers_disconnect_by_data (r->client, r);
  g_clear_object (&r->client);
  fws_test_wait_until (({ GObject *o = g_weak_ref_get (&weak); gboolean gone = o == NULL;
                          g_clear_object (&o); gone; }), 5);
  g_weak_ref_clear (&weak);
  g_ptr_array_unref (r->messages);
  g_ptr_array_unref (r->errors);
  g_array_unref (r->error_states);
  g_free (r);
}

static void
assert_messages (Recorder           *r,
                 const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, r->messages->len); i++)
    g_assert_cmpstr (g_ptr_array_index (r->messages, i), ==, expected[i]);
  g_assert_cmpuint (r->messages->len, ==, n);
}

/* ---- FwsEventSource, through either door ---- */

typedef struct
{
  FwsTestServer *server;
  GPtrArray     *paths;           /* of char *: every request, in order */
  GPtrArray     *last_ids;        /* of char *: its Last-Event-ID, or "(none)" */
  GPtrArray     *credentials;     /* of char *: its "Authorization|Cookie" */
  GPtrArray     *streams;         /* of FwsEventSource */
  guint          events_requests; /* at /events */
  double         retry;           /* what FwsEventSource sends */
  FwsTestCerts  *certs;
} Fixture;

static void
send_event (FwsEventSource *es,
            const char     *data,
            const char     *event,
            const char     *id)
{
  g_autoptr(GError) error = NULL;

  fws_event_source_send (es, data, event, id, &error);
  g_assert_no_error (error);
}

/* /events: the first stream sends three events and ends; the next ones say
 * what Last-Event-ID they were asked with. /hold: one event, kept open. */
static void
es_open_cb (FwsEventSource *es,
            Fixture        *f)
{
  const char *url = fws_event_source_get_url (es);

  if (g_str_has_suffix (url, "/hold"))
    {
      send_event (es, "held", NULL, "h1");
      return;
    }
  if (f->events_requests == 1)
    {
      send_event (es, "hello", NULL, "1");
      send_event (es, "line one\nline two\nline three", "tick", "2");
      send_event (es, "h\xc3\xa9llo \xe2\x9c\x93", NULL, "3");
      fws_event_source_close (es);
    }
  else
    {
      g_autofree char *data = g_strdup_printf ("Last-Event-ID was %s", fws_event_source_get_last_event_id (es));

      send_event (es, data, "resumed", NULL);
    }
}

static void
door_handler (FwsTestRequest *request,
              gpointer        user_data)
{
  Fixture *f = user_data;
  const char *path = fws_test_request_get_path (request);
  SoupMessageHeaders *headers = fws_test_request_get_headers (request);
  const char *last_id = soup_message_headers_get_one (headers, "Last-Event-ID");
  g_autoptr(GError) error = NULL;
  FwsEventSource *es;

  g_ptr_array_add (f->paths, g_strdup (path));
  g_ptr_array_add (f->last_ids, g_strdup (last_id ? last_id : "(none)"));
  g_ptr_array_add (f->credentials, g_strdup_printf ("%s|%s",
                                                    soup_message_headers_get_one (headers, "Authorization"),
                                                    soup_message_headers_get_one (headers, "Cookie")));

  if (g_str_equal (path, "/no-content"))
    {
      fws_test_request_respond (request, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (!(g_str_equal (path, "/events") || g_str_equal (path, "/hold")) ||
      !fws_test_request_is_event_source (request))
    {
      fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
      return;
    }
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Cache-Control"), ==, "no-cache");
  if (g_str_equal (path, "/events"))
    f->events_requests++;
  es = g_object_new (FWS_TYPE_EVENT_SOURCE, "retry", f->retry, NULL);
  g_signal_connect (es, "open", G_CALLBACK (es_open_cb), f);
  g_assert_true (fws_test_request_accept_event_source (request, es, &error));
  g_assert_no_error (error);
  g_ptr_array_add (f->streams, es);
}

static void
start_server (Fixture     *f,
              FwsTestDoor  door,
              gboolean     tls)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  f->paths = g_ptr_array_new_with_free_func (g_free);
  f->last_ids = g_ptr_array_new_with_free_func (g_free);
  f->credentials = g_ptr_array_new_with_free_func (g_free);
  f->streams = g_ptr_array_new_with_free_func (g_object_unref);
  f->retry = 0.2;
  if (tls)
    {
      fws_test_assert_tls_backend ();
      f->certs = fws_test_certs_new ();
      cert = fws_test_certs_load (f->certs->server_cert, f->certs->server_key);
    }
  f->server = fws_test_server_start (door, cert, door_handler, f);
}

static void
setup_soup (Fixture *f, gconstpointer data)
{
  start_server (f, FWS_TEST_DOOR_SOUP, FALSE);
}

static void
setup_stream (Fixture *f, gconstpointer data)
{
  start_server (f, FWS_TEST_DOOR_STREAM, FALSE);
}

static void
setup_soup_tls (Fixture *f, gconstpointer data)
{
  start_server (f, FWS_TEST_DOOR_SOUP, TRUE);
}

static void
setup_stream_tls (Fixture *f, gconstpointer data)
{
  start_server (f, FWS_TEST_DOOR_STREAM, TRUE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  /* Each stream notices its client went away, and closes. */
  for (guint i = 0; i < f->streams->len; i++)
    {
      FwsEventSource *es = g_ptr_array_index (f->streams, i);

      fws_test_wait_until (fws_event_source_get_ready_state (es) == FWS_READY_STATE_CLOSED, 10);
    }
  fws_test_server_stop (f->server);
  g_ptr_array_unref (f->streams);
  g_ptr_array_unref (f->paths);
  g_ptr_array_unref (f->last_ids);
  g_ptr_array_unref (f->credentials);
  g_clear_pointer (&f->certs, fws_test_certs_free);
}

static char *
server_url (Fixture    *f,
            const char *path)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", f->certs ? "https" : "http",
                          fws_test_server_get_port (f->server), path);
}

static const char * const first_stream[] = {
  "message|hello|1",
  "tick|line one\nline two\nline three|2",
  "message|h\xc3\xa9llo \xe2\x9c\x93|3",
  NULL
};

static const char * const both_streams[] = {
  "message|hello|1",
  "tick|line one\nline two\nline three|2",
  "message|h\xc3\xa9llo \xe2\x9c\x93|3",
  "resumed|Last-Event-ID was 3|3",
  NULL
};

static void
test_events_and_reconnect (Fixture *f, gconstpointer data)
{
  g_autofree char *url = server_url (f, "/events");
  Recorder *r;

  g_test_summary ("Events with types, ids and several data lines arrive; when the server ends the "
                  "stream the client reports it, reconnects and sends Last-Event-ID, which the server "
                  "sees; an event without an id keeps the last one");

  r = recorder_new (url);
  g_assert_cmpstr (fws_event_source_client_get_url (r->client), ==, url);
  g_assert_cmpstr (fws_event_source_client_get_last_event_id (r->client), ==, "");
  fws_test_wait_until (r->messages->len == 3, 10);
  assert_messages (r, first_stream);
  g_assert_cmpuint (r->opens, ==, 1);
  g_assert_cmpstr (fws_event_source_client_get_last_event_id (r->client), ==, "3");

  fws_test_wait_until (r->messages->len == 4, 10);
  assert_messages (r, both_streams);
  g_assert_cmpuint (r->opens, ==, 2);
  g_assert_cmpuint (r->errors->len, ==, 1);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_CLOSED);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CONNECTING);
  g_assert_cmpuint (f->events_requests, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->last_ids, 0), ==, "(none)");
  g_assert_cmpstr (g_ptr_array_index (f->last_ids, 1), ==, "3");
  /* FwsEventSource said retry: 200. */
  g_assert_cmpuint (fws_event_source_client_get_reconnection_time (r->client), ==, 200);
  recorder_free (r);
}

static void
test_retry (Fixture *f, gconstpointer data)
{
  g_autofree char *url = server_url (f, "/events");
  Recorder *r;
  gint64 waited;

  g_test_summary ("The client waits the reconnection time the stream's retry field sets, not its "
                  "3 s default");

  f->retry = 0.05;
  r = recorder_new (url);
  g_assert_cmpuint (fws_event_source_client_get_reconnection_time (r->client), ==, 3000);
  fws_test_wait_until (r->opens == 2, 10);
  g_assert_cmpuint (fws_event_source_client_get_reconnection_time (r->client), ==, 50);
  waited = (r->reopen_time - r->error_time) / 1000;
  g_test_message ("reconnected %" G_GINT64_FORMAT " ms after the error", waited);
  g_assert_cmpint (waited, >=, 40);
  g_assert_cmpint (waited, <, 1500);
  recorder_free (r);
}

/* Runs the loop long enough that a client that would reconnect after
 * @reconnect_ms did. */
static void
assert_no_reconnect (Fixture  *f,
                     Recorder *r,
                     guint     requests)
{
  fws_test_run_for (fws_event_source_client_get_reconnection_time (r->client) * 3 + 100);
  g_assert_cmpuint (f->paths->len, ==, requests);
}

static void
test_no_content (Fixture *f, gconstpointer data)
{
  g_autofree char *url = server_url (f, "/no-content");
  Recorder *r;

  g_test_summary ("A 204 No Content stops the client: an error, CLOSED, no reconnection");

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 1, 10);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (nth_error (r, 0)->message, "204"));
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpint (fws_event_source_client_get_ready_state (r->client), ==, FWS_READY_STATE_CLOSED);
  assert_no_reconnect (f, r, 1);
  g_assert_cmpuint (r->opens, ==, 0);
  g_assert_cmpuint (r->errors->len, ==, 1);
  recorder_free (r);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autofree char *url = server_url (f, "/missing");
  Recorder *r;

  g_test_summary ("A 404 fails the client without reconnecting");

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 1, 10);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (nth_error (r, 0)->message, "404"));
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CLOSED);
  assert_no_reconnect (f, r, 1);
  g_assert_cmpuint (r->errors->len, ==, 1);
  recorder_free (r);
}

static void
test_tls (Fixture *f, gconstpointer data)
{
  g_autofree char *url = server_url (f, "/events");
  const char *ca_files[] = { f->certs->ca, NULL };
  Recorder *r;

  g_test_summary ("Over https with a CA the test made, events and the reconnection arrive; "
                  "without that CA the certificate is refused and the client keeps trying");

  r = recorder_new (url);
  fws_event_source_client_set_tls_ca_files (r->client, ca_files);
  fws_test_wait_until (r->messages->len == 4, 10);
  assert_messages (r, both_streams);
  g_assert_cmpstr (g_ptr_array_index (f->last_ids, 1), ==, "3");
  recorder_free (r);

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 2, 10);
  g_assert_error (nth_error (r, 0), G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CONNECTING);
  g_assert_cmpint (error_state (r, 1), ==, FWS_READY_STATE_CONNECTING);
  g_assert_cmpuint (r->opens, ==, 0);
  recorder_free (r);
}

static void
test_proxy (Fixture *f, gconstpointer data)
{
  FwsFakeProxy *proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  g_autofree char *url = server_url (f, "/hold");
  g_autofree char *proxy_url = g_strdup_printf ("http://user:secret@127.0.0.1:%u", proxy->port);
  g_autofree char *connect = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n",
                                              fws_test_server_get_port (f->server));
  Recorder *r;

  g_test_summary ("Through an HTTP proxy (CONNECT with Basic credentials) the stream arrives");

  r = recorder_new (url);
  fws_event_source_client_set_proxy (r->client, proxy_url);
  g_assert_cmpstr (fws_event_source_client_get_proxy (r->client), ==, proxy_url);
  fws_test_wait_until (r->messages->len == 1, 10);
  g_assert_cmpstr (g_ptr_array_index (r->messages, 0), ==, "message|held|h1");
  g_assert_cmpuint (proxy->requests->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (proxy->requests, 0), connect));
  g_assert_nonnull (strstr (g_ptr_array_index (proxy->requests, 0),
                            "\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n"));
  recorder_free (r);
  fws_fake_proxy_free (proxy);
}

/* ---- A raw server that writes canned bytes ---- */

typedef struct
{
  GSocketService *service;
  guint           port;
  GPtrArray      *heads;         /* of char *: each request head */
  char           *hold_url;      /* where /hop/0 sends the client */
  guint64         endless_sent;
  guint           pending;       /* connections still open */
} RawServer;

typedef struct
{
  RawServer  *server;
  GIOStream  *stream;
  GByteArray *in;
  guint8      buf[4096];
  gboolean    endless;
  gboolean    silent;
} RawConn;

#define ENDLESS_BLOCK (64 * 1024)
#define ENDLESS_CAP   (64 * 1024 * 1024)

static const char endless_block[ENDLESS_BLOCK] = { [0 ... ENDLESS_BLOCK - 1] = 'a' };

static void
raw_conn_free (RawConn *conn)
{
  conn->server->pending--;
  g_io_stream_close (conn->stream, NULL, NULL);
  g_object_unref (conn->stream);
  g_byte_array_unref (conn->in);
  g_free (conn);
}

static void raw_write (RawConn *conn, GBytes *bytes);

static void
raw_written_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RawConn *conn = user_data;
  g_autoptr(GError) error = NULL;

  if (g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error) &&
      conn->endless && conn->server->endless_sent < ENDLESS_CAP)
    {
      g_autoptr(GBytes) block = g_bytes_new_static (endless_block, sizeof endless_block);

      conn->server->endless_sent += sizeof endless_block;
      raw_write (conn, block);
      return;
    }
  raw_conn_free (conn);
}

static void
raw_write (RawConn *conn,
           GBytes  *bytes)
{
  gsize len = 0;
  const void *data = g_bytes_get_data (bytes, &len);

  /* The bytes are static or kept by the callback's connection. */
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream), data, len,
                                   G_PRIORITY_DEFAULT, NULL, raw_written_cb, conn);
}

static guint
count_heads (RawServer  *server,
             const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < server->heads->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (server->heads, i), prefix);
  return n;
}

/* The canned answers, by path. */
static GBytes *
raw_response (RawConn    *conn,
              const char *path)
{
  RawServer *server = conn->server;
  GString *out = g_string_new (NULL);

  if (g_str_equal (path, "/wrong-type"))
    g_string_append (out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: no\n\n");
  else if (g_str_equal (path, "/loop"))
    g_string_append (out, "HTTP/1.1 307 Temporary Redirect\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
  else if (g_str_has_prefix (path, "/hop/"))
    {
      guint n = (guint) g_ascii_strtoull (path + 5, NULL, 10);

      if (n > 0)
        g_string_append_printf (out, "HTTP/1.1 302 Found\r\nLocation: /hop/%u\r\n\r\n", n - 1);
      else
        g_string_append_printf (out, "HTTP/1.1 301 Moved Permanently\r\nLocation: %s\r\n\r\n", server->hold_url);
    }
  else if (g_str_equal (path, "/endless"))
    {
      g_string_append (out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: ");
      conn->endless = TRUE;
    }
  else if (g_str_equal (path, "/chunked") && count_heads (server, "GET /chunked ") == 1)
    {
      /* Two events cut across chunks, between a CR and its LF and inside
       * a UTF-8 sequence; an extension and a trailer; then the last chunk. */
      const char * const pieces[] = {
        "id:", " 7\r", "\ndata: sp", "lit \xc3", "\xa9\r", "\n\r\nevent", ": tock\ndata: two\n\n", NULL
      };

      g_string_append (out, "HTTP/1.1 200 OK\r\n"
                            "Content-Type: Text/Event-Stream; charset=utf-8\r\n"
                            "Transfer-Encoding: chunked\r\n"
                            "\r\n");
      for (guint i = 0; pieces[i]; i++)
        g_string_append_printf (out, "%zx%s\r\n%s\r\n", strlen (pieces[i]), i == 1 ? ";ext=1" : "", pieces[i]);
      g_string_append (out, "0\r\nX-Trailer: yes\r\n\r\n");
    }
  else if (g_str_equal (path, "/length") && count_heads (server, "GET /length ") == 1)
    {
      const char body[] = "id: 9\ndata: counted\n\n";

      g_string_append_printf (out, "HTTP/1.1 200 OK\r\n"
                                   "Content-Type: text/event-stream\r\n"
                                   "Content-Length: %zu\r\n"
                                   "\r\n"
                                   "%s"
                                   ": a\ndata: past the length\n\n", strlen (body), body);
    }
  else if (g_str_equal (path, "/silent"))
    {
      /* Never answers: reads until the client goes. */
      conn->silent = TRUE;
      g_string_free (out, TRUE);
      return NULL;
    }
  else if (g_str_equal (path, "/empty-data"))
    g_string_append (out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                          "data\n\nid: e\ndata:\n\nevent: x\n\ndata: last\n\n");
  else if (g_str_equal (path, "/hold"))
    g_string_append (out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                          "data: first\n\ndata: second\n\ndata: third\n\n");
  else
    g_string_append (out, "HTTP/1.1 204 No Content\r\n\r\n");
  return g_string_free_to_bytes (out);
}

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RawConn *conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  const char *end;

  if (n <= 0)
    {
      raw_conn_free (conn);
      return;
    }
  if (conn->silent)
    {
      g_input_stream_read_async (G_INPUT_STREAM (source), conn->buf, sizeof conn->buf, G_PRIORITY_DEFAULT,
                                 NULL, raw_read_cb, conn);
      return;
    }
  g_byte_array_append (conn->in, conn->buf, (guint) n);
  g_assert_cmpuint (conn->in->len, <, 64 * 1024);
  end = g_strstr_len ((const char *) conn->in->data, conn->in->len, "\r\n\r\n");
  if (end == NULL)
    {
      g_input_stream_read_async (G_INPUT_STREAM (source), conn->buf, sizeof conn->buf, G_PRIORITY_DEFAULT,
                                 NULL, raw_read_cb, conn);
      return;
    }
  {
    g_autofree char *head = g_strndup ((const char *) conn->in->data, end + 4 - (const char *) conn->in->data);
    g_auto(GStrv) words = g_strsplit (head, " ", 3);
    g_autoptr(GBytes) response = NULL;

    g_ptr_array_add (conn->server->heads, g_strdup (head));
    response = raw_response (conn, words[1] ? words[1] : "/");
    if (response == NULL)
      {
        g_input_stream_read_async (G_INPUT_STREAM (source), conn->buf, sizeof conn->buf, G_PRIORITY_DEFAULT,
                                   NULL, raw_read_cb, conn);
        return;
      }
    /* The connection keeps the response until it is written. */
    g_object_set_data_full (G_OBJECT (conn->stream), "response", g_bytes_ref (response),
                            (GDestroyNotify) g_bytes_unref);
    raw_write (conn, response);
  }
}

static gboolean
raw_incoming_cb (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source,
                 gpointer           user_data)
{
  RawConn *conn = g_new0 (RawConn, 1);

  conn->server = user_data;
  conn->server->pending++;
  conn->stream = G_IO_STREAM (g_object_ref (connection));
  conn->in = g_byte_array_new ();
  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream), conn->buf, sizeof conn->buf,
                             G_PRIORITY_DEFAULT, NULL, raw_read_cb, conn);
  return TRUE;
}

static RawServer *
raw_server_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) sock = NULL;
  RawServer *server = g_new0 (RawServer, 1);

  server->heads = g_ptr_array_new_with_free_func (g_free);
  sock = fws_test_listen_socket (&server->port);
  server->service = g_socket_service_new ();
  g_socket_listener_add_socket (G_SOCKET_LISTENER (server->service), sock, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (server->service, "incoming", G_CALLBACK (raw_incoming_cb), server);
  g_socket_service_start (server->service);
  return server;
}

static void
raw_server_stop (RawServer *server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  fws_test_wait_until (server->pending == 0, 10);
  g_ptr_array_unref (server->heads);
  g_free (server->hold_url);
  g_free (server);
}

static char *
raw_url (RawServer  *server,
         const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", server->port, path);
}

static void
test_redirect (Fixture *f, gconstpointer data)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/hop/2");
  Recorder *r;

  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  g_test_summary ("Redirects (302, 302, then 301 to another server) are followed to the stream; "
                  "Authorization and Cookie from extra-headers do not go to the other origin");

  raw->hold_url = server_url (f, "/hold");
  soup_message_headers_append (extra, "Authorization", "Bearer secret");
  soup_message_headers_append (extra, "Cookie", "session=secret");
  soup_message_headers_append (extra, "X-Trace", "1");
  r = recorder_new (url);
  fws_event_source_client_set_extra_headers (r->client, extra);
  fws_test_wait_until (r->messages->len == 1, 10);
  g_assert_cmpstr (g_ptr_array_index (r->messages, 0), ==, "message|held|h1");
  g_assert_cmpuint (r->opens, ==, 1);
  g_assert_cmpuint (r->errors->len, ==, 0);
  g_assert_cmpuint (raw->heads->len, ==, 3);
  g_assert_cmpuint (f->paths->len, ==, 1);
  for (guint i = 0; i < raw->heads->len; i++)
    {
      g_assert_nonnull (strstr (g_ptr_array_index (raw->heads, i), "\r\nAuthorization: Bearer secret\r\n"));
      g_assert_nonnull (strstr (g_ptr_array_index (raw->heads, i), "\r\nCookie: session=secret\r\n"));
    }
  g_assert_cmpstr (g_ptr_array_index (f->credentials, 0), ==, "(null)|(null)");
  /* The URL stays the one the client was made with. */
  g_assert_cmpstr (fws_event_source_client_get_url (r->client), ==, url);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_request_head (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  Recorder *r;

  g_test_summary ("The request is a GET with Accept: text/event-stream, Cache-Control: no-cache, "
                  "the user's Authorization, then the extra headers that may be written");

  url = g_strdup_printf ("http://user:pa%%20ss@127.0.0.1:%u/head?a=1&b", raw->port);
  soup_message_headers_append (extra, "Origin", "http://example.com");
  soup_message_headers_append (extra, "Accept", "text/html");
  soup_message_headers_append (extra, "X-Bad", "a\x01b");
  soup_message_headers_append (extra, "Authorization", "Bearer nope");
  r = recorder_new (url);
  fws_event_source_client_set_extra_headers (r->client, extra);
  fws_test_wait_until (r->errors->len == 1, 10);
  expected = g_strdup_printf ("GET /head?a=1&b HTTP/1.1\r\n"
                              "Host: 127.0.0.1:%u\r\n"
                              "Accept: text/event-stream\r\n"
                              "Cache-Control: no-cache\r\n"
                              "Authorization: Basic dXNlcjpwYSBzcw==\r\n"
                              "Origin: http://example.com\r\n"
                              "\r\n", raw->port);
  g_assert_cmpstr (g_ptr_array_index (raw->heads, 0), ==, expected);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_wrong_content_type (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/wrong-type");
  Recorder *r;

  g_test_summary ("A 200 that is not text/event-stream fails the client without reconnecting, "
                  "and its body is not read as events");

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 1, 10);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (nth_error (r, 0)->message, "text/plain"));
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CLOSED);
  fws_test_run_for (300);
  g_assert_cmpuint (raw->heads->len, ==, 1);
  g_assert_cmpuint (r->opens, ==, 0);
  g_assert_cmpuint (r->messages->len, ==, 0);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_too_many_redirects (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/loop");
  Recorder *r;

  g_test_summary ("A redirect loop stops after max-redirects redirects, with an error and no "
                  "reconnection");

  r = recorder_new (url);
  g_assert_cmpuint (fws_event_source_client_get_max_redirects (r->client), ==, 10);
  fws_event_source_client_set_max_redirects (r->client, 4);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 1, 10);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CLOSED);
  fws_test_run_for (300);
  /* The first request and four redirects followed. */
  g_assert_cmpuint (raw->heads->len, ==, 5);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_endless_line (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/endless");
  Recorder *r;

  g_test_summary ("A line that never ends stops the client at max-line-length with "
                  "FWS_ERROR_TOO_LARGE, long before the server stops sending");

  r = recorder_new (url);
  g_assert_cmpuint (fws_event_source_client_get_max_line_length (r->client), ==, 1024 * 1024);
  fws_event_source_client_set_max_line_length (r->client, 4096);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 1, 20);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (r->opens, ==, 1);
  g_assert_cmpuint (raw->endless_sent, <, ENDLESS_CAP);
  fws_test_run_for (300);
  g_assert_cmpuint (raw->heads->len, ==, 1);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_event_size (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/hold");
  Recorder *r;

  g_test_summary ("An event whose data passes max-event-size stops the client after the events "
                  "that fit");

  r = recorder_new (url);
  g_assert_cmpuint (fws_event_source_client_get_max_event_size (r->client), ==, 16 * 1024 * 1024);
  fws_event_source_client_set_max_event_size (r->client, 5);
  fws_test_wait_until (r->errors->len == 1, 10);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (r->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (r->messages, 0), ==, "message|first|");
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_chunked (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/chunked");
  const char * const expected[] = { "message|split \xc3\xa9|7", "tock|two|7", NULL };
  Recorder *r;

  g_test_summary ("A chunked body cut inside lines, line ends and a UTF-8 sequence gives whole "
                  "events; its last chunk ends the stream and the client reconnects with "
                  "Last-Event-ID");

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 2, 10);
  assert_messages (r, expected);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_CLOSED);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CONNECTING);
  /* The second answer is a 204. */
  g_assert_cmpint (error_state (r, 1), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (raw->heads->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (raw->heads, 1), "\r\nLast-Event-ID: 7\r\n"));
  g_assert_null (strstr (g_ptr_array_index (raw->heads, 0), "Last-Event-ID"));
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_content_length (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/length");
  Recorder *r;

  g_test_summary ("A body with Content-Length ends after that many bytes: what follows is not "
                  "read, and the client reconnects");

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 2, 10);
  g_assert_cmpuint (r->messages->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (r->messages, 0), ==, "message|counted|9");
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CONNECTING);
  g_assert_nonnull (strstr (g_ptr_array_index (raw->heads, 1), "\r\nLast-Event-ID: 9\r\n"));
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_handshake_timeout (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/silent");
  Recorder *r;

  g_test_summary ("A server that never answers is dropped after handshake-timeout and tried again");

  r = recorder_new (url);
  g_assert_cmpuint (fws_event_source_client_get_handshake_timeout (r->client), ==, 30000);
  fws_event_source_client_set_handshake_timeout (r->client, 200);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 2, 10);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_TIMED_OUT);
  g_assert_cmpint (error_state (r, 0), ==, FWS_READY_STATE_CONNECTING);
  g_assert_cmpint (error_state (r, 1), ==, FWS_READY_STATE_CONNECTING);
  fws_test_wait_until (raw->heads->len >= 2, 5);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_empty_data (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/empty-data");
  const char * const expected[] = { "message||", "message||e", "message|last|e", NULL };
  Recorder *r;

  g_test_summary ("A data field without a value dispatches an event with empty data; an event "
                  "with no data field dispatches nothing");

  r = recorder_new (url);
  fws_test_wait_until (r->messages->len == 3, 10);
  assert_messages (r, expected);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_close_in_handler (void)
{
  RawServer *raw = raw_server_start ();
  g_autofree char *url = raw_url (raw, "/hold");
  Recorder *r;

  g_test_summary ("close() from a message handler: CLOSED at once, no more events, no error");

  r = recorder_new (url);
  r->close_on_message = TRUE;
  fws_test_wait_until (r->messages->len == 1, 10);
  fws_test_run_for (200);
  g_assert_cmpuint (r->messages->len, ==, 1);
  g_assert_cmpuint (r->errors->len, ==, 0);
  g_assert_cmpint (fws_event_source_client_get_ready_state (r->client), ==, FWS_READY_STATE_CLOSED);
  recorder_free (r);
  raw_server_stop (raw);
}

static void
test_refused (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/events", fws_test_free_port ());
  Recorder *r;

  g_test_summary ("A refused connection is reported and retried after reconnection-time");

  r = recorder_new (url);
  fws_event_source_client_set_reconnection_time (r->client, 50);
  fws_test_wait_until (r->errors->len == 3, 10);
  g_assert_error (nth_error (r, 0), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (error_state (r, 2), ==, FWS_READY_STATE_CONNECTING);
  recorder_free (r);
}

static void
count_error_cb (FwsEventSourceClient *client,
                const GError         *error,
                guint                *errors)
{
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  (*errors)++;
}

static void
test_bad_url (void)
{
  const char * const bad[] = { "ws://127.0.0.1/", "ftp://127.0.0.1/", "/events", "http://", "http://a b/", NULL };
  g_autoptr(FwsEventSourceClient) client = NULL;
  guint errors = 0;

  g_test_summary ("Only http and https URLs with a host are taken; a bad url set as a property "
                  "is reported from the main loop");

  for (guint i = 0; bad[i]; i++)
    {
      g_autoptr(GError) local = NULL;

      g_assert_null (fws_event_source_client_new (bad[i], &local));
      g_assert_error (local, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
    }

  client = g_object_new (FWS_TYPE_EVENT_SOURCE_CLIENT, "url", "ws://127.0.0.1/", NULL);
  g_signal_connect (client, "error", G_CALLBACK (count_error_cb), &errors);
  g_assert_cmpuint (errors, ==, 0);
  fws_test_wait_until (errors == 1, 5);
  g_assert_cmpint (fws_event_source_client_get_ready_state (client), ==, FWS_READY_STATE_CLOSED);
}

/* ---- A server nobody here wrote: sse-channel on node ---- */

static void
test_sse_channel (void)
{
  const char *node = g_getenv ("FWS_TEST_NODE") ? g_getenv ("FWS_TEST_NODE") : "/usr/bin/node";
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "peers", "sse-channel-server.js", NULL);
  g_autofree char *module = g_test_build_filename (G_TEST_BUILT, "node_modules", "sse-channel", NULL);
  g_autofree char *ready = NULL;
  g_autofree char *url = NULL;
  const char *argv[] = { node, script, module, NULL };
  const char * const expected[] = {
    "message|one|1", "tick|line a\nline b|2", "message|three|3",
    "message|four|4", "tick|five|5", "hello|last-event-id=3|5", NULL
  };
  GSubprocess *proc;
  Recorder *r;

  g_test_summary ("Against the npm package sse-channel on node's http: a chunked stream with a "
                  "charset parameter, its end, a reconnection with Last-Event-ID, and the events "
                  "missed meanwhile replayed from it");

  if (!g_file_test (module, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *reason = g_strdup_printf ("%s is missing: npm install --prefix BUILDDIR/tests --no-save "
                                                 "--no-package-lock sse-channel@4.0.2 (tools/test does)", module);

      g_test_skip (reason);
      return;
    }
  proc = fws_test_spawn_until_line (argv, "READY ", 30, &ready);
  url = g_strdup_printf ("http://127.0.0.1:%s/events", ready + strlen ("READY "));
  r = recorder_new (url);
  fws_test_wait_until (r->messages->len == 6, 20);
  assert_messages (r, expected);
  g_assert_cmpuint (r->opens, ==, 2);
  g_assert_cmpuint (r->errors->len, ==, 1);
  g_assert_error (nth_error (r, 0), FWS_ERROR, FWS_ERROR_CLOSED);
  g_assert_cmpuint (fws_event_source_client_get_reconnection_time (r->client), ==, 200);
  recorder_free (r);
  fws_test_subprocess_stop (proc);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/event-source-client/soup/events-and-reconnect", Fixture, NULL, setup_soup,
              test_events_and_reconnect, teardown);
  g_test_add ("/event-source-client/stream/events-and-reconnect", Fixture, NULL, setup_stream,
              test_events_and_reconnect, teardown);
  g_test_add ("/event-source-client/soup/retry", Fixture, NULL, setup_soup, test_retry, teardown);
  g_test_add ("/event-source-client/stream/retry", Fixture, NULL, setup_stream, test_retry, teardown);
  g_test_add ("/event-source-client/soup/no-content", Fixture, NULL, setup_soup, test_no_content, teardown);
  g_test_add ("/event-source-client/stream/no-content", Fixture, NULL, setup_stream, test_no_content, teardown);
  g_test_add ("/event-source-client/soup/not-found", Fixture, NULL, setup_soup, test_not_found, teardown);
  g_test_add ("/event-source-client/stream/not-found", Fixture, NULL, setup_stream, test_not_found, teardown);
  g_test_add ("/event-source-client/soup/redirect", Fixture, NULL, setup_soup, test_redirect, teardown);
  g_test_add ("/event-source-client/stream/redirect", Fixture, NULL, setup_stream, test_redirect, teardown);
  g_test_add ("/event-source-client/soup/proxy", Fixture, NULL, setup_soup, test_proxy, teardown);
  g_test_add ("/event-source-client/stream/proxy", Fixture, NULL, setup_stream, test_proxy, teardown);
  g_test_add ("/event-source-client/soup/tls", Fixture, NULL, setup_soup_tls, test_tls, teardown);
  g_test_add ("/event-source-client/stream/tls", Fixture, NULL, setup_stream_tls, test_tls, teardown);

  g_test_add_func ("/event-source-client/raw/request-head", test_request_head);
  g_test_add_func ("/event-source-client/raw/wrong-content-type", test_wrong_content_type);
  g_test_add_func ("/event-source-client/raw/too-many-redirects", test_too_many_redirects);
  g_test_add_func ("/event-source-client/raw/endless-line", test_endless_line);
  g_test_add_func ("/event-source-client/raw/event-size", test_event_size);
  g_test_add_func ("/event-source-client/raw/chunked", test_chunked);
  g_test_add_func ("/event-source-client/raw/content-length", test_content_length);
  g_test_add_func ("/event-source-client/raw/empty-data", test_empty_data);
  g_test_add_func ("/event-source-client/raw/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/event-source-client/raw/close-in-handler", test_close_in_handler);
  g_test_add_func ("/event-source-client/refused", test_refused);
  g_test_add_func ("/event-source-client/bad-url", test_bad_url);

  g_test_add_func ("/event-source-client/sse-channel", test_sse_channel);

  return g_test_run ();
}
