/* test-event-source.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsEventSource in a real SoupServer on 127.0.0.1, read by a raw TCP (or
 * TLS) client, so every byte on the wire is checked.
 */
#include "test-tls-utils.h"

#include <glib/gstdio.h>
#include <string.h>

#define HEAD_TAIL \
  "Content-Type: text/event-stream\r\n" \
  "Cache-Control: no-cache, no-store\r\n" \
  "X-Accel-Buffering: no\r\n" \
  "Connection: close\r\n"

#define HEAD_11 "HTTP/1.1 200 OK\r\n" HEAD_TAIL "\r\nretry: 5000\r\n\r\n"

/* Added to the door in the test data. */
#define TLS 0x10

typedef struct
{
  FwsTestServer      *server;
  guint               port;
  gboolean            tls;

  /* what the handler does */
  gboolean            use_new;          /* fws_event_source_new () rather than g_object_new + accept */
  gboolean            keep_ref;         /* else only a weak pointer: the stream holds itself */
  double              retry;            /* < 0: default */
  double              ping_seconds;
  SoupMessageHeaders *extra;
  const char         *send_early;       /* sent right after accepting */
  gboolean            close_early;      /* closed right after accepting */

  /* what the server saw */
  guint               requests;
  guint               streams;
  FwsEventSource     *es;               /* strong or weak, see keep_ref */
  FwsTestSourceEvents events;           /* in_call: inside an API call, no signal may come */
  char               *url;
  char               *last_event_id;
  GError             *not_a_request_error;

  /* the client */
  GIOStream          *conn;
  GString            *received;
  gboolean            eof;
  gboolean            async_done;
  GError             *async_error;
} Fixture;

/* ---- the server ---- */

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  FwsEventSource *es;

  f->requests++;
  if (!fws_test_request_is_event_source (request))
    {
      /* Nothing is taken over: the program answers as usual. */
      g_clear_error (&f->not_a_request_error);
      g_assert_null (fws_test_request_new_event_source (request, &f->not_a_request_error));
      fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
      return;
    }
  f->streams++;

  f->events.in_call = TRUE;
  if (f->use_new)
    {
      es = fws_test_request_new_event_source (request, &error);
      g_assert_no_error (error);
      g_assert_nonnull (es);
      if (f->retry >= 0)
        fws_event_source_set_retry (es, f->retry);
      fws_event_source_set_ping_seconds (es, f->ping_seconds);
      fws_event_source_set_extra_headers (es, f->extra);
    }
  else
    {
      es = g_object_new (FWS_TYPE_EVENT_SOURCE,
                         "ping-seconds", f->ping_seconds,
                         "extra-headers", f->extra,
                         NULL);
      if (f->retry >= 0)
        g_object_set (es, "retry", f->retry, NULL);
      g_assert_true (fws_test_request_accept_event_source (request, es, &error));
      g_assert_no_error (error);
    }
  fws_test_source_events_watch (&f->events, es);

  g_assert_cmpint (fws_event_source_get_ready_state (es), ==, FWS_READY_STATE_CONNECTING);
  g_free (f->url);
  f->url = g_strdup (fws_event_source_get_url (es));
  g_free (f->last_event_id);
  g_object_get (es, "last-event-id", &f->last_event_id, NULL);

  if (f->send_early)
    g_assert_true (fws_event_source_send (es, f->send_early, NULL, NULL, NULL));
  if (f->close_early)
    fws_event_source_close (es);
  f->events.in_call = FALSE;

  if (f->es != NULL)
    {
      if (f->keep_ref)
        g_clear_object (&f->es);
      else
        g_object_remove_weak_pointer (G_OBJECT (f->es), (gpointer *) &f->es);
    }
  f->es = es;
  if (!f->keep_ref)
    {
      g_object_add_weak_pointer (G_OBJECT (es), (gpointer *) &f->es);
      g_object_unref (es);
    }
}

static GTlsCertificate *
make_certificate (void)
{
  FwsTestCerts *certs;
  GTlsCertificate *cert;

  fws_test_assert_tls_backend ();
  certs = fws_test_certs_new ();
  cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  fws_test_certs_free (certs);
  return cert;
}

/* ---- the client ---- */

static gboolean
accept_any_certificate_cb (GTlsConnection       *conn,
                           GTlsCertificate      *cert,
                           GTlsCertificateFlags  errors,
                           gpointer              user_data)
{
  return TRUE;
}

static void
tls_event_cb (GSocketClient      *client,
              GSocketClientEvent  event,
              GSocketConnectable *connectable,
              GIOStream          *connection,
              gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    g_signal_connect (connection, "accept-certificate", G_CALLBACK (accept_any_certificate_cb), NULL);
}

static void
connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  f->conn = G_IO_STREAM (g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &f->async_error));
  f->async_done = TRUE;
}

static void
client_connect (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, (guint16) f->port);

  if (f->conn)
    g_io_stream_close (f->conn, NULL, NULL);
  g_clear_object (&f->conn);
  g_string_truncate (f->received, 0);
  f->eof = FALSE;
  g_socket_client_set_enable_proxy (client, FALSE);
  if (f->tls)
    {
      g_socket_client_set_tls (client, TRUE);
      g_signal_connect (client, "event", G_CALLBACK (tls_event_cb), NULL);
    }
  /* The server runs in this thread: connect (and handshake) asynchronously. */
  f->async_done = FALSE;
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (addr), NULL, connected_cb, f);
  fws_test_wait_until (f->async_done, 10);
  g_assert_no_error (f->async_error);
  g_assert_nonnull (f->conn);
}

static void
written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &f->async_error);
  f->async_done = TRUE;
}

static void
client_write (Fixture *f, const char *text)
{
  f->async_done = FALSE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (f->conn), text, strlen (text),
                                   G_PRIORITY_DEFAULT, NULL, written_cb, f);
  fws_test_wait_until (f->async_done, 10);
  g_assert_no_error (f->async_error);
}

/* Reads what is there; returns FALSE at EOF. */
static gboolean
client_read_some (Fixture *f)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (f->conn));
  static char buf[65536];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      if (n < 0 && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
                    g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)))
        n = 0;
      g_assert_no_error (error);
      if (n == 0)
        {
          f->eof = TRUE;
          return FALSE;
        }
      g_string_append_len (f->received, buf, n);
    }
}

/* Reads until @len bytes have arrived in all. */
static void
client_read_len (Fixture *f, gsize len)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (f->received->len < len && !f->eof)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out with %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes", f->received->len, len);
      if (client_read_some (f))
        fws_test_iterate ();
    }
}

static void
client_read_to_eof (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!f->eof)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for EOF with %" G_GSIZE_FORMAT " bytes", f->received->len);
      if (client_read_some (f))
        fws_test_iterate ();
    }
}

/* Asserts that exactly @expected arrived (so far). */
static void
assert_received (Fixture *f, const char *expected)
{
  gsize len = strlen (expected);

  client_read_len (f, len);
  /* Anything extra would show up now. */
  fws_test_run_for (20);
  client_read_some (f);
  if (f->received->len != len || memcmp (f->received->str, expected, len) != 0)
    {
      g_autofree char *got = g_strescape (f->received->str, NULL);
      g_autofree char *want = g_strescape (expected, NULL);

      g_error ("the client got:\n  \"%s\"\nnot:\n  \"%s\"", got, want);
    }
}

static char *
event_request (Fixture *f, const char *path, const char *extra_lines)
{
  return g_strdup_printf ("GET %s HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\n"
                          "Accept: text/event-stream\r\n"
                          "%s"
                          "\r\n", path, f->port, extra_lines ? extra_lines : "");
}

/* ---- fixture ---- */

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  f->tls = (GPOINTER_TO_INT (data) & TLS) != 0;
  if (f->tls)
    cert = make_certificate ();
  f->server = fws_test_server_start (GPOINTER_TO_INT (data) & ~TLS, cert, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->keep_ref = TRUE;
  f->retry = -1;
  f->received = g_string_new (NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->es && f->keep_ref)
    {
      fws_event_source_close (f->es);
      fws_test_wait_until (f->events.closes == f->streams, 10);
    }
  if (f->conn)
    g_io_stream_close (f->conn, NULL, NULL);
  g_clear_object (&f->conn);
  if (f->es && !f->keep_ref)
    {
      /* Held by itself until the client's close is noticed. */
      fws_test_wait_until (f->es == NULL, 10);
    }
  g_clear_object (&f->es);
  g_clear_pointer (&f->server, fws_test_server_stop);
  g_clear_pointer (&f->extra, soup_message_headers_unref);
  g_string_free (f->received, TRUE);
  g_free (f->url);
  g_free (f->last_event_id);
  g_clear_error (&f->not_a_request_error);
  g_clear_error (&f->async_error);
  fws_test_run_for (10);
}

/* ---- tests ---- */

static void
test_events (Fixture *f, gconstpointer data)
{
  g_autofree char *request = event_request (f, "/events?x=1", NULL);
  g_autoptr(GError) error = NULL;
  GString *want = g_string_new (HEAD_11);
  g_autofree char *big = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *url = NULL;

  g_test_summary ("The exact response head (retry: 5000), then each send and ping as its exact bytes; "
                  "open comes from the main loop once the head is out; refused sends write nothing");

  f->use_new = TRUE;
  client_connect (f);
  client_write (f, request);
  fws_test_wait_until (f->events.opens == 1, 10);
  g_assert_cmpint (f->events.state_at_open, ==, FWS_READY_STATE_OPEN);
  g_assert_cmpint (fws_event_source_get_ready_state (f->es), ==, FWS_READY_STATE_OPEN);
  url = g_strdup_printf ("%s://127.0.0.1:%u/events?x=1", f->tls ? "https" : "http", f->port);
  g_assert_cmpstr (f->url, ==, url);
  g_assert_cmpstr (f->last_event_id, ==, "");
  assert_received (f, want->str);

  f->events.in_call = TRUE;
  g_assert_true (fws_event_source_send (f->es, "hello", NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (fws_event_source_send (f->es, "line 1\nline 2\r\nline 3\rline 4", NULL, "2", &error));
  g_assert_true (fws_event_source_send (f->es, "12:00:00", "tick", "3", &error));
  g_assert_true (fws_event_source_ping (f->es, &error));
  g_assert_true (fws_event_source_send (f->es, "", "empty", "", &error));
  g_assert_no_error (error);

  /* Refused: nothing is written. */
  g_assert_false (fws_event_source_send (f->es, "x", "a\nb", NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (fws_event_source_send (f->es, "x", "a\rb", NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (fws_event_source_send (f->es, "x", NULL, "1\r\nevent: forged", &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (fws_event_source_send (f->es, "\xff", NULL, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  g_clear_error (&error);
  f->events.in_call = FALSE;

  g_string_append (want,
                   "data: hello\r\n\r\n"
                   "id: 2\r\ndata: line 1\r\ndata: line 2\r\ndata: line 3\r\ndata: line 4\r\n\r\n"
                   "event: tick\r\nid: 3\r\ndata: 12:00:00\r\n\r\n"
                   ":\r\n\r\n"
                   "event: empty\r\nid: \r\ndata: \r\n\r\n");
  assert_received (f, want->str);

  /* A large event, in many writes (and 16 KiB TLS records). */
  big = g_strnfill (300 * 1024, 'z');
  for (gsize i = 1000; i < 300 * 1024; i += 1000)
    big[i] = '\n';
  g_assert_true (fws_event_source_send (f->es, big, "big", NULL, NULL));
  g_string_append (want, "event: big\r\n");
  {
    g_auto(GStrv) lines = g_strsplit (big, "\n", -1);

    for (guint i = 0; lines[i]; i++)
      g_string_append_printf (want, "data: %s\r\n", lines[i]);
    g_string_append (want, "\r\n");
  }
  g_assert_true (fws_event_source_send (f->es, "after", NULL, NULL, NULL));
  g_string_append (want, "data: after\r\n\r\n");
  assert_received (f, want->str);

  /* close: CLOSED at once, the signal later, then nothing more. */
  f->events.in_call = TRUE;
  fws_event_source_close (f->es);
  g_assert_cmpint (fws_event_source_get_ready_state (f->es), ==, FWS_READY_STATE_CLOSED);
  g_assert_false (fws_event_source_send (f->es, "late", NULL, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (fws_event_source_ping (f->es, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
  g_clear_error (&error);
  fws_event_source_close (f->es);
  f->events.in_call = FALSE;
  g_assert_cmpuint (f->events.closes, ==, 0);

  client_read_to_eof (f);
  expected = g_string_free (want, FALSE);
  g_assert_cmpuint (f->received->len, ==, strlen (expected));
  g_assert_true (memcmp (f->received->str, expected, f->received->len) == 0);
  fws_test_wait_until (f->events.closes == 1, 10);
  fws_test_run_for (50);
  g_assert_cmpuint (f->events.closes, ==, 1);
  g_assert_cmpuint (f->events.opens, ==, 1);
  g_assert_cmpuint (f->requests, ==, 1);

  /* Nothing else holds it now. */
  g_object_add_weak_pointer (G_OBJECT (f->es), (gpointer *) &f->es);
  g_object_unref (f->es);
  g_assert_null (f->es);
}

static void
test_http_10 (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/events", f->port);

  g_test_summary ("An HTTP/1.0 request without Host is answered in HTTP/1.0; the url names the "
                  "address it came to");

  client_connect (f);
  client_write (f, "GET /events HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n");
  fws_test_wait_until (f->events.opens == 1, 10);
  g_assert_cmpstr (f->url, ==, url);
  assert_received (f, "HTTP/1.0 200 OK\r\n" HEAD_TAIL "\r\nretry: 5000\r\n\r\n");
  g_assert_true (fws_event_source_send (f->es, "one", NULL, "1", NULL));
  fws_event_source_close (f->es);
  client_read_to_eof (f);
  g_assert_cmpstr (f->received->str, ==, "HTTP/1.0 200 OK\r\n" HEAD_TAIL "\r\nretry: 5000\r\n\r\n"
                                         "id: 1\r\ndata: one\r\n\r\n");
  fws_test_wait_until (f->events.closes == 1, 10);
}

static void
test_keep_alive (Fixture *f, gconstpointer data)
{
  g_autofree char *first = event_request (f, "/events", "Connection: keep-alive\r\n");
  g_autofree char *both = g_strdup_printf ("%sGET /other HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", first, f->port);

  g_test_summary ("A keep-alive request, even with a second request pipelined behind it, gets "
                  "Connection: close and a raw body up to the close: libsoup answers nothing more");

  client_connect (f);
  client_write (f, both);
  fws_test_wait_until (f->events.opens == 1, 10);
  g_assert_true (fws_event_source_send (f->es, "x", NULL, NULL, NULL));
  fws_event_source_close (f->es);
  client_read_to_eof (f);
  g_assert_cmpstr (f->received->str, ==, HEAD_11 "data: x\r\n\r\n");
  g_assert_null (strstr (f->received->str, "Content-Length"));
  g_assert_null (strstr (f->received->str, "Transfer-Encoding"));
  g_assert_cmpuint (f->requests, ==, 1);
  fws_test_wait_until (f->events.closes == 1, 10);
}

static void
test_options (Fixture *f, gconstpointer data)
{
  g_autofree char *request = event_request (f, "/events", NULL);
  SoupMessageHeaders *got_extra = NULL;
  double retry = 0, ping = 0;
  gsize before;

  g_test_summary ("retry, ping-seconds and extra-headers set as properties before accept: the head "
                  "has the custom lines (never replacing its own) and retry: 2500; pings come every "
                  "ping-seconds until turned off; a new retry is sent as its own field");

  f->extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  soup_message_headers_append (f->extra, "Access-Control-Allow-Origin", "*");
  soup_message_headers_append (f->extra, "Content-Type", "text/html");
  soup_message_headers_append (f->extra, "Content-Length", "5");
  soup_message_headers_append (f->extra, "X-Ctl", "a\001b");
  f->retry = 2.5;
  f->ping_seconds = 0.05;

  client_connect (f);
  client_write (f, request);
  fws_test_wait_until (f->events.opens == 1, 10);
  g_object_get (f->es, "retry", &retry, "ping-seconds", &ping, "extra-headers", &got_extra, NULL);
  g_assert_cmpfloat (retry, ==, 2.5);
  g_assert_cmpfloat (ping, ==, 0.05);
  g_assert_true (got_extra == f->extra);
  soup_message_headers_unref (got_extra);

  client_read_len (f, strlen ("HTTP/1.1 200 OK\r\n" HEAD_TAIL "Access-Control-Allow-Origin: *\r\n\r\n"
                              "retry: 2500\r\n\r\n:\r\n\r\n:\r\n\r\n"));
  g_assert_true (g_str_has_prefix (f->received->str, "HTTP/1.1 200 OK\r\n" HEAD_TAIL
                                   "Access-Control-Allow-Origin: *\r\n\r\nretry: 2500\r\n\r\n:\r\n\r\n:\r\n\r\n"));

  /* Pings stop; the new retry goes out alone. */
  fws_event_source_set_ping_seconds (f->es, 0);
  fws_test_run_for (100);
  client_read_some (f);
  before = f->received->len;
  g_assert_true (g_str_has_suffix (f->received->str, ":\r\n\r\n"));
  fws_test_run_for (200);
  client_read_some (f);
  g_assert_cmpuint (f->received->len, ==, before);
  fws_event_source_set_retry (f->es, 1.0);
  client_read_len (f, before + strlen ("retry: 1000\r\n\r\n"));
  g_assert_cmpstr (f->received->str + before, ==, "retry: 1000\r\n\r\n");

  /* Too late for headers. */
  g_test_expect_message ("Fws", G_LOG_LEVEL_WARNING, "*extra-headers*");
  fws_event_source_set_extra_headers (f->es, NULL);
  g_test_assert_expected_messages ();
  g_assert_true (fws_event_source_get_extra_headers (f->es) == f->extra);
}

static void
test_last_event_id (Fixture *f, gconstpointer data)
{
  g_autofree char *long_id = g_strnfill (1025, '9');
  g_autofree char *long_line = g_strdup_printf ("Last-Event-ID: %s\r\n", long_id);
  g_autofree char *first = event_request (f, "/feed?since=1", "Last-Event-ID: 41\r\nX-Forwarded-Proto: https\r\n");
  g_autofree char *second = event_request (f, "/feed", long_line);
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u/feed?since=1", f->port);

  g_test_summary ("last-event-id is the Last-Event-ID header, \"\" when longer than 1024 bytes; "
                  "the url says https behind a proxy that says X-Forwarded-Proto: https");

  client_connect (f);
  client_write (f, first);
  fws_test_wait_until (f->events.opens == 1, 10);
  g_assert_cmpstr (f->last_event_id, ==, "41");
  g_assert_cmpstr (fws_event_source_get_last_event_id (f->es), ==, "41");
  g_assert_cmpstr (f->url, ==, url);
  fws_event_source_close (f->es);
  fws_test_wait_until (f->events.closes == 1, 10);

  client_connect (f);
  client_write (f, second);
  fws_test_wait_until (f->events.opens == 2, 10);
  g_assert_cmpstr (f->last_event_id, ==, "");
}

static void
test_client_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *request = event_request (f, "/events", NULL);
  gint64 gone_at;

  g_test_summary ("A stream nobody holds stays alive while the client listens; when the client goes "
                  "away, close comes at once, once, the ping timer stops and the object is freed");

  f->keep_ref = FALSE;
  f->ping_seconds = 0.02;
  client_connect (f);
  client_write (f, request);
  fws_test_wait_until (f->events.opens == 1, 10);
  client_read_len (f, strlen (HEAD_11 ":\r\n\r\n:\r\n\r\n"));
  g_assert_nonnull (f->es);   /* it holds itself */
  g_assert_cmpuint (f->events.closes, ==, 0);

  g_io_stream_close (f->conn, NULL, NULL);
  gone_at = g_get_monotonic_time ();
  fws_test_wait_until (f->events.closes == 1, 5);
  g_assert_cmpint (g_get_monotonic_time () - gone_at, <, G_USEC_PER_SEC);
  g_assert_null (f->es);      /* freed right after close */
  fws_test_run_for (100);
  g_assert_cmpuint (f->events.closes, ==, 1);
}

static void
test_close_before_open (Fixture *f, gconstpointer data)
{
  g_autofree char *request = event_request (f, "/events", NULL);

  g_test_summary ("An event sent and close() called right after accept: the head and the event "
                  "still go out, then the connection closes; open is never emitted, close once");

  f->send_early = "early";
  f->close_early = TRUE;
  client_connect (f);
  client_write (f, request);
  client_read_to_eof (f);
  g_assert_cmpstr (f->received->str, ==, HEAD_11 "data: early\r\n\r\n");
  fws_test_wait_until (f->events.closes == 1, 10);
  fws_test_run_for (50);
  g_assert_cmpuint (f->events.opens, ==, 0);
  g_assert_cmpuint (f->events.closes, ==, 1);
  g_assert_cmpint (fws_event_source_get_ready_state (f->es), ==, FWS_READY_STATE_CLOSED);
}

static void
test_send_before_open (Fixture *f, gconstpointer data)
{
  g_autofree char *request = event_request (f, "/events", NULL);

  g_test_summary ("An event sent before open goes out right behind the head");

  f->send_early = "first\nsecond";
  client_connect (f);
  client_write (f, request);
  fws_test_wait_until (f->events.opens == 1, 10);
  assert_received (f, HEAD_11 "data: first\r\ndata: second\r\n\r\n");
}

static void
test_backpressure (Fixture *f, gconstpointer data)
{
  g_autofree char *request = event_request (f, "/events", NULL);
  g_autofree char *payload = g_strnfill (4000, 'p');
  GString *want = g_string_new (HEAD_11);
  g_autofree char *expected = NULL;

  g_test_summary ("8 MB of events queued while the client reads nothing arrive whole and in order "
                  "once it reads (partial writes; on TLS, 16 KiB records retried as they were)");

  client_connect (f);
  client_write (f, request);
  fws_test_wait_until (f->events.opens == 1, 10);
  for (guint i = 0; i < 2000; i++)
    {
      char id[16];

      g_snprintf (id, sizeof id, "%u", i);
      payload[0] = (char) ('a' + i % 26);
      g_assert_true (fws_event_source_send (f->es, payload, NULL, id, NULL));
      g_string_append_printf (want, "id: %s\r\ndata: %s\r\n\r\n", id, payload);
    }
  /* Let the server fill the socket and wait for room. */
  fws_test_run_for (200);
  fws_event_source_close (f->es);
  client_read_to_eof (f);
  expected = g_string_free (want, FALSE);
  g_assert_cmpuint (f->received->len, ==, strlen (expected));
  g_assert_true (memcmp (f->received->str, expected, f->received->len) == 0);
  fws_test_wait_until (f->events.closes == 1, 10);
}

static void
test_not_a_request (Fixture *f, gconstpointer data)
{
  static const char * const requests[] = {
    "GET /events HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream;q=1\r\n\r\n",
    "GET /events HTTP/1.1\r\nHost: h\r\nAccept: Text/Event-Stream\r\n\r\n",
    "POST /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\nContent-Length: 0\r\n\r\n",
  };

  g_test_summary ("Without the exact Accept item, or with another method, nothing is taken over: "
                  "new() fails with FWS_ERROR_HANDSHAKE and libsoup answers");

  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      client_connect (f);
      client_write (f, requests[i]);
      client_read_len (f, strlen ("HTTP/1.1 404"));
      g_assert_true (g_str_has_prefix (f->received->str, "HTTP/1.1 404"));
      g_assert_error (f->not_a_request_error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_cmpuint (f->streams, ==, 0);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, fn) \
  g_test_add ("/event-source/soup/tcp/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP), setup, fn, teardown); \
  g_test_add ("/event-source/stream/tcp/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM), setup, fn, teardown)
  ADD ("events", test_events);
  ADD ("http-1.0", test_http_10);
  ADD ("keep-alive", test_keep_alive);
  ADD ("options", test_options);
  ADD ("last-event-id", test_last_event_id);
  ADD ("client-gone", test_client_gone);
  ADD ("close-before-open", test_close_before_open);
  ADD ("send-before-open", test_send_before_open);
  ADD ("not-a-request", test_not_a_request);
  ADD ("backpressure", test_backpressure);
#undef ADD
#define ADD(path, fn) \
  g_test_add ("/event-source/soup/tls/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP | TLS), setup, fn, teardown); \
  g_test_add ("/event-source/stream/tls/" path, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM | TLS), setup, fn, teardown)
  ADD ("events", test_events);
  ADD ("client-gone", test_client_gone);
  ADD ("close-before-open", test_close_before_open);
  ADD ("backpressure", test_backpressure);
#undef ADD

  return g_test_run ();
}
