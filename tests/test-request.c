/* test-request.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GIOStream door: FwsRequest reading heads from connections a
 * GSocketService accepted (TCP, TLS, a Unix socket), with raw peers
 * written here for what a well-behaved client never sends.
 */
#include "test-tls-utils.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

typedef struct
{
  GSocketService  *service;
  guint16          port;
  GTlsCertificate *cert;
  guint            timeout_ms;
  char            *unix_path;

  /* what the server saw */
  FwsRequest      *request;     /* the last one read */
  GError          *error;       /* the last read that failed */
  guint            reads_done;
  gboolean         respond;     /* answer 404 from the callback */
  gboolean         echo;        /* take WebSocket requests over and echo */
  FwsWebSocket    *ws;

  /* the raw client */
  GIOStream       *conn;
  GString         *received;
  gboolean         eof;
  gboolean         reading;
} Fixture;

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsRequest) request = fws_request_read_finish (result, &error);

  f->reads_done++;
  if (request == NULL)
    {
      g_clear_error (&f->error);
      f->error = g_steal_pointer (&error);
      return;
    }
  g_set_object (&f->request, request);
  if (f->echo && fws_request_is_websocket (request))
    {
      g_clear_object (&f->ws);
      f->ws = fws_web_socket_new_for_request (request, NULL, &error);
      g_assert_no_error (error);
      g_signal_connect (f->ws, "message", G_CALLBACK (fws_web_socket_send), NULL);
    }
  else if (f->respond)
    {
      g_assert_true (fws_request_respond (request, 404, NULL, "No such thing\n", &error));
      g_assert_no_error (error);
      /* Once answered, it cannot be answered again or taken over. */
      g_assert_false (fws_request_respond (request, 200, NULL, NULL, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
      g_clear_error (&error);
      g_assert_null (fws_web_socket_new_for_request (request, NULL, &error));
    }
}

static gboolean
incoming_cb (GSocketService *service, GSocketConnection *connection, GObject *source, Fixture *f)
{
  g_autoptr(GIOStream) stream = NULL;

  if (f->cert != NULL)
    {
      g_autoptr(GError) error = NULL;

      stream = G_IO_STREAM (g_tls_server_connection_new (G_IO_STREAM (connection), f->cert, &error));
      g_assert_no_error (error);
    }
  else
    stream = G_IO_STREAM (g_object_ref (connection));
  fws_request_read_async (stream, f->timeout_ms, NULL, read_cb, f);
  return TRUE;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->service = g_socket_service_new ();
  f->port = fws_test_listen_loopback (G_SOCKET_LISTENER (f->service));
  g_signal_connect (f->service, "incoming", G_CALLBACK (incoming_cb), f);
  f->received = g_string_new (NULL);
  f->timeout_ms = 2000;
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->conn)
    g_io_stream_close (f->conn, NULL, NULL);
  g_clear_object (&f->conn);
  if (f->ws && fws_web_socket_get_ready_state (f->ws) < FWS_READY_STATE_CLOSING)
    fws_web_socket_close (f->ws, 1000, NULL, NULL);
  if (f->ws)
    fws_test_wait_until (fws_web_socket_get_ready_state (f->ws) == FWS_READY_STATE_CLOSED, 10);
  g_clear_object (&f->ws);
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  g_clear_object (&f->service);
  g_clear_object (&f->request);
  g_clear_object (&f->cert);
  g_clear_error (&f->error);
  g_string_free (f->received, TRUE);
  if (f->unix_path)
    g_unlink (f->unix_path);
  g_free (f->unix_path);
  fws_test_run_for (20);
}

/* ---- the raw client ---- */

static void
client_connect (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn = NULL;

  if (f->unix_path)
    {
      g_autoptr(GSocketAddress) addr = g_unix_socket_address_new (f->unix_path);

      conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, &error);
    }
  else
    conn = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
  g_assert_no_error (error);
  f->conn = G_IO_STREAM (conn);
}

static void
client_write (Fixture *f, const char *data, gsize len)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (f->conn), data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
client_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  f->reading = FALSE;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    f->eof = TRUE;
  else
    g_string_append_len (f->received, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes));
}

/* Reads until @want bytes arrived or EOF. */
static void
client_read (Fixture *f, gsize want)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (f->received->len < want && !f->eof)
    {
      if (!f->reading)
        {
          f->reading = TRUE;
          g_input_stream_read_bytes_async (g_io_stream_get_input_stream (f->conn), 65536,
                                           G_PRIORITY_DEFAULT, NULL, client_read_cb, f);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fws_test_iterate ();
    }
}

static void
client_read_to_eof (Fixture *f)
{
  client_read (f, G_MAXSIZE);
  fws_test_wait_until (!f->reading, 10);
}

/* ---- tests ---- */

static void
test_parts (Fixture *f, gconstpointer data)
{
  SoupMessageHeaders *headers;

  g_test_summary ("A head read from a TCP connection: method, path, query, version and headers; "
                  "WebSocket, EventSource and other requests told apart");

  client_connect (f);
  {
    const char *head = "GET /a/b?x=1&y=%20 HTTP/1.0\r\nAccept: text/event-stream\r\nX-One: 1\r\n\r\n";

    client_write (f, head, strlen (head));
  }
  fws_test_wait_until (f->reads_done == 1, 10);
  g_assert_no_error (f->error);
  g_assert_cmpstr (fws_request_get_method (f->request), ==, "GET");
  g_assert_cmpstr (fws_request_get_path (f->request), ==, "/a/b");
  g_assert_cmpstr (fws_request_get_query (f->request), ==, "x=1&y=%20");
  g_assert_cmpint (fws_request_get_http_version (f->request), ==, SOUP_HTTP_1_0);
  g_assert_false (fws_request_get_secure (f->request));
  headers = fws_request_get_headers (f->request);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "X-One"), ==, "1");
  g_assert_true (fws_request_is_event_source (f->request));
  g_assert_false (fws_request_is_websocket (f->request));

  g_io_stream_close (f->conn, NULL, NULL);
  g_clear_object (&f->conn);
  client_connect (f);
#define WS_HEAD "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" \
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
  client_write (f, WS_HEAD, strlen (WS_HEAD));
  fws_test_wait_until (f->reads_done == 2, 10);
  g_assert_true (fws_request_is_websocket (f->request));
  g_assert_false (fws_request_is_event_source (f->request));
  g_assert_null (fws_request_get_query (f->request));
  g_assert_cmpint (fws_request_get_http_version (f->request), ==, SOUP_HTTP_1_1);
}

static void
test_respond (Fixture *f, gconstpointer data)
{
  const char *want = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: 14\r\nConnection: close\r\n\r\nNo such thing\n";

  g_test_summary ("A request the program answers itself: the exact response, then the connection "
                  "closes; it cannot be answered twice or taken over afterwards");
  f->respond = TRUE;
  client_connect (f);
  client_write (f, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 34);
  client_read_to_eof (f);
  g_assert_cmpstr (f->received->str, ==, want);
}

static void
assert_refused (Fixture *f, const char *body, GQuark domain, int code)
{
  g_autofree char *want = g_strdup_printf ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                           "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                           strlen (body), body);

  client_read_to_eof (f);
  g_assert_cmpstr (f->received->str, ==, want);
  fws_test_wait_until (f->reads_done == 1, 10);
  g_assert_error (f->error, domain, code);
  g_assert_null (f->request);
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_test_summary ("A head that does not parse: 400 with a fixed English reason, the read fails");
  client_connect (f);
  client_write (f, "NOT HTTP AT ALL\r\n\r\n", 19);
  assert_refused (f, "Malformed HTTP request head\n", FWS_ERROR, FWS_ERROR_HANDSHAKE);
}

static void
test_head_too_large (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) head = g_string_new ("GET / HTTP/1.1\r\n");

  g_test_summary ("A head over 64 KiB is refused with 400 before it ends");
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (head, "X-Filler-%u: %s\r\n", i, "0123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789012345678901234567890123456789");
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *line = g_strdup_printf ("X-More-%u: %s\r\n", i, head->str + 16);

      /* Lines stay under the 4 KiB line cap; the head grows past 64 KiB. */
      if (strlen (line) > 4000)
        line[3998] = '\r', line[3999] = '\n', line[4000] = '\0';
      g_string_append (head, line);
    }
  g_assert_cmpuint (head->len, >, 64 * 1024);
  client_connect (f);
  client_write (f, head->str, head->len);
  assert_refused (f, "Request head too large\n", FWS_ERROR, FWS_ERROR_TOO_LARGE);
}

static void
test_too_many_headers (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) head = g_string_new ("GET / HTTP/1.1\r\n");

  g_test_summary ("More than 100 header lines are refused with 400");
  for (guint i = 0; i < 120; i++)
    g_string_append_printf (head, "X-H%u: v\r\n", i);
  g_string_append (head, "\r\n");
  client_connect (f);
  client_write (f, head->str, head->len);
  assert_refused (f, "Request head too large\n", FWS_ERROR, FWS_ERROR_TOO_LARGE);
}

static void
test_trickle (Fixture *f, gconstpointer data)
{
  const char *head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  guint sent = 0;

  g_test_summary ("The deadline runs from the handover: a peer that trickles its head a byte at "
                  "a time is cut off, although it never pauses for long");
  f->timeout_ms = 300;
  client_connect (f);
  while (f->reads_done == 0 && sent < strlen (head))
    {
      client_write (f, head + sent++, 1);
      fws_test_run_for (50);
    }
  fws_test_wait_until (f->reads_done == 1, 10);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_TIMED_OUT);
  g_assert_cmpuint (sent, <, strlen (head));
  /* The connection is closed on our side. */
  client_read_to_eof (f);
  g_assert_true (f->eof);
  g_assert_cmpuint (f->received->len, ==, 0);
}

static void
test_peer_gone (Fixture *f, gconstpointer data)
{
  g_test_summary ("A peer that closes before its head ended: the read fails with FWS_ERROR_CLOSED");
  client_connect (f);
  client_write (f, "GET / HT", 8);
  g_io_stream_close (f->conn, NULL, NULL);
  fws_test_wait_until (f->reads_done == 1, 10);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_CLOSED);
}

/* One masked text frame "hello" (key 01 02 03 04) and its unmasked echo. */
static const char masked_hello[] = "\x81\x85\x01\x02\x03\x04\x69\x67\x6f\x68\x6e";
static const char echoed_hello[] = "\x81\x05hello";

static void
websocket_echo (Fixture *f)
{
  const char *accept_line = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  g_autofree char *with_frame = g_strconcat (WS_HEAD, masked_hello, NULL);
  const char *end;

  f->echo = TRUE;
  client_connect (f);
  /* The first frame rides in the same write as the head: it is kept. */
  client_write (f, with_frame, strlen (with_frame));
  while ((end = strstr (f->received->str, "\r\n\r\n")) == NULL || strlen (end + 4) < 7)
    {
      gsize have = f->received->len;

      client_read (f, have + 1);
      g_assert_false (f->eof);
    }
  g_assert_true (g_str_has_prefix (f->received->str, "HTTP/1.1 101 Switching Protocols\r\n"));
  g_assert_nonnull (strstr (f->received->str, accept_line));
  g_assert_cmpmem (end + 4, 7, echoed_hello, 7);
  g_assert_cmpstr (fws_web_socket_get_url (f->ws), ==, "ws://127.0.0.1/ws");
}

static void
test_unix_socket (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fws-request-XXXXXX", &error);

  g_test_summary ("A WebSocket over a Unix socket: the door needs no TCP; a frame sent with the "
                  "head is kept and echoed");
  g_assert_no_error (error);
  f->unix_path = g_build_filename (dir, "socket", NULL);
  addr = g_unix_socket_address_new (f->unix_path);
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), addr, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  websocket_echo (f);
  g_unlink (f->unix_path);
  g_rmdir (dir);
  g_clear_pointer (&f->unix_path, g_free);
}

static void
test_tcp_early_frame (Fixture *f, gconstpointer data)
{
  g_test_summary ("A WebSocket over TCP: a frame sent in the same write as the head is kept and echoed");
  websocket_echo (f);
}

static void
ws_message_cb (FwsWebSocket *ws, FwsMessageType type, GBytes *data, GBytes **out)
{
  g_clear_pointer (out, g_bytes_unref);
  *out = g_bytes_ref (data);
}

static void
test_tls (Fixture *f, gconstpointer data)
{
  FwsTestCerts *certs;
  g_autoptr(FwsClient) client = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("TLS through a GTlsServerConnection the program made: the handshake runs under "
                  "the read's deadline, the request is secure, and FwsClient verifies the server");
  fws_test_assert_tls_backend ();
  certs = fws_test_certs_new ();
  f->cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  f->echo = TRUE;
  /* The default deadline: under valgrind a TLS handshake is slow. */
  f->timeout_ms = 0;
  url = g_strdup_printf ("wss://127.0.0.1:%u/tls", f->port);
  client = fws_client_new (url, NULL, &error);
  g_assert_no_error (error);
  fws_client_set_tls_ca_files (client, (const char * const []) { certs->ca, NULL });
  g_signal_connect (client, "message", G_CALLBACK (ws_message_cb), &got);
  fws_test_wait_until (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)) != FWS_READY_STATE_CONNECTING, 30);
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)), ==, FWS_READY_STATE_OPEN);
  g_assert_true (fws_request_get_secure (f->request));
  g_assert_cmpstr (fws_web_socket_get_url (f->ws), ==, url);
  fws_web_socket_send_text (FWS_WEB_SOCKET (client), "over TLS", &error);
  g_assert_no_error (error);
  fws_test_wait_until (got != NULL, 10);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), "over TLS", 8);
  fws_web_socket_close (FWS_WEB_SOCKET (client), 1000, NULL, NULL);
  fws_test_wait_until (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)) == FWS_READY_STATE_CLOSED, 10);
  fws_test_certs_free (certs);
}

static void
test_tls_silent (Fixture *f, gconstpointer data)
{
  FwsTestCerts *certs;

  g_test_summary ("A TLS client that never starts its handshake is cut off at the deadline");
  fws_test_assert_tls_backend ();
  certs = fws_test_certs_new ();
  f->cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  fws_test_certs_free (certs);
  f->timeout_ms = 300;
  client_connect (f);
  fws_test_wait_until (f->reads_done == 1, 10);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_TIMED_OUT);
  client_read_to_eof (f);
  g_assert_true (f->eof);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, fn) g_test_add ("/request/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("parts", test_parts);
  ADD ("respond", test_respond);
  ADD ("malformed", test_malformed);
  ADD ("head-too-large", test_head_too_large);
  ADD ("too-many-headers", test_too_many_headers);
  ADD ("trickle", test_trickle);
  ADD ("peer-gone", test_peer_gone);
  ADD ("tcp-early-frame", test_tcp_early_frame);
  ADD ("unix-socket", test_unix_socket);
  ADD ("tls", test_tls);
  ADD ("tls-silent", test_tls_silent);
#undef ADD

  return g_test_run ();
}
