/* test-client.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How FwsClient fails, and how it goes through proxies, on 127.0.0.1:
 * servers that answer with canned bytes (a raw GThreadedSocketService), a
 * proxy the test controls (HTTP CONNECT, https:// CONNECT, SOCKS5) and the
 * system's proxy settings from the environment (http_proxy, https_proxy)
 * through GIO's proxy resolver. Every failure must be one error, then one
 * close with 1006, and never an open.
 */
#include "test-tls-utils.h"
#include "test-fake-proxy.h"

#include <string.h>

#include "fws-handshake-private.h"

static FwsTestCerts *certs;

/* ---- a server that answers the handshake with canned bytes ---- */

typedef enum
{
  RAW_NOT_101,
  RAW_MISSING_ACCEPT,
  RAW_WRONG_ACCEPT,
  RAW_UNREQUESTED_PROTOCOL,
  RAW_HUGE_HEAD,
  RAW_MANY_HEADERS,
  RAW_SILENT,
  RAW_HANG_UP,
} RawMode;

typedef struct
{
  GSocketService *service;
  guint16         port;
  RawMode         mode;
} RawServer;

static char *
raw_answer (RawMode     mode,
            const char *head)
{
  const char *key_line = strstr (head, "Sec-WebSocket-Key: ");
  g_autofree char *key = NULL;
  g_autofree char *accept = NULL;
  GString *out;

  g_assert_nonnull (key_line);
  key = g_strndup (key_line + 19, strcspn (key_line + 19, "\r\n"));
  accept = fws_handshake_accept_key (key);

  switch (mode)
    {
    case RAW_NOT_101:
      return g_strdup ("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    case RAW_MISSING_ACCEPT:
      return g_strdup ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    case RAW_WRONG_ACCEPT:
      return g_strdup ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\n\r\n");
    case RAW_UNREQUESTED_PROTOCOL:
      return g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: chat\r\n\r\n", accept);
    case RAW_HUGE_HEAD:
      out = g_string_new ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
      for (int i = 0; i < 80; i++)
        {
          g_string_append_printf (out, "X-Filler-%d: ", i);
          for (int k = 0; k < 1000; k++)
            g_string_append_c (out, 'f');
          g_string_append (out, "\r\n");
        }
      g_string_append_printf (out, "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
      return g_string_free (out, FALSE);
    case RAW_MANY_HEADERS:
      out = g_string_new ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
      for (int i = 0; i < 300; i++)
        g_string_append_printf (out, "X-H%d: v\r\n", i);
      g_string_append_printf (out, "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
      return g_string_free (out, FALSE);
    case RAW_SILENT:
    case RAW_HANG_UP:
    default:
      return NULL;
    }
}

/* Runs in a worker thread, with blocking I/O. */
static gboolean
raw_run_cb (GThreadedSocketService *service,
            GSocketConnection      *connection,
            GObject                *source,
            gpointer                user_data)
{
  RawMode mode = GPOINTER_TO_INT (user_data);
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GString) head = g_string_new (NULL);
  g_autofree char *answer = NULL;
  char buf[4096];

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      char ch;

      if (g_input_stream_read (in, &ch, 1, NULL, NULL) <= 0)
        return TRUE;
      g_string_append_c (head, ch);
    }
  if (mode == RAW_HANG_UP)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  answer = raw_answer (mode, head->str);
  if (answer != NULL)
    g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
  /* Hold the connection until the client lets go. */
  while (g_input_stream_read (in, buf, sizeof buf, NULL, NULL) > 0)
    ;
  return TRUE;
}

static RawServer *
raw_server_new (RawMode mode)
{
  RawServer *raw = g_new0 (RawServer, 1);

  raw->mode = mode;
  raw->service = g_threaded_socket_service_new (4);
  raw->port = fws_test_listen_loopback (G_SOCKET_LISTENER (raw->service));
  g_signal_connect (raw->service, "run", G_CALLBACK (raw_run_cb), GINT_TO_POINTER (mode));
  g_socket_service_start (raw->service);
  return raw;
}

static void
raw_server_free (RawServer *raw)
{
  if (raw == NULL)
    return;
  g_socket_service_stop (raw->service);
  g_socket_listener_close (G_SOCKET_LISTENER (raw->service));
  /* Workers end when their client is gone; they only use their own data. */
  g_object_unref (raw->service);
  g_free (raw);
}

/* ---- fixture: an echo server (plain and TLS), a client, maybe a proxy ---- */

typedef struct
{
  FwsTestServer *server;
  guint           port;
  FwsTestServer *tls_server;
  guint           tls_port;
  guint           requests;
  FwsWebSocket   *server_ws;
  FwsTestEvents  *server_events;

  RawServer      *raw;
  FwsFakeProxy   *proxy;

  FwsClient      *client;
  FwsTestEvents  *events;
} Fixture;

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;

  f->requests++;
  if (!fws_test_request_expect_websocket (request))
    return;
  g_assert_null (f->server_ws);
  f->server_ws = fws_test_request_take_web_socket (request, f->server_events);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->server_events = fws_test_events_new (TRUE);
  f->events = fws_test_events_new (FALSE);
}

/* A TLS echo server whose certificate is for other.example (or, with
 * @for_localhost, for localhost and 127.0.0.1). */
static void
start_tls_server (Fixture *f, gboolean for_localhost)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  if (for_localhost)
    cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  else
    cert = fws_test_certs_load (certs->other_cert, certs->other_key);
  f->tls_server = fws_test_server_start (FWS_TEST_DOOR_SOUP, cert, handler, f);
  f->tls_port = fws_test_server_get_port (f->tls_server);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->client)
    fws_test_events_close (f->events, f->client, 10);
  fws_test_events_release (f->events, &f->client);
  if (f->server_ws)
    fws_test_wait_until (f->server_events->closes > 0, 10);
  fws_test_events_release (f->server_events, &f->server_ws);
  g_clear_pointer (&f->proxy, fws_fake_proxy_free);
  g_clear_pointer (&f->raw, raw_server_free);
  g_clear_pointer (&f->server, fws_test_server_stop);
  g_clear_pointer (&f->tls_server, fws_test_server_stop);
  fws_test_events_free (f->server_events);
  fws_test_events_free (f->events);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  fws_test_run_for (20);
}

static FwsClient *
new_client (Fixture *f, const char *url)
{
  g_autoptr(GError) error = NULL;

  f->client = fws_client_new (url, NULL, &error);
  g_assert_no_error (error);
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 10000);
  fws_test_events_watch (f->events, FWS_WEB_SOCKET (f->client));
  return f->client;
}

static FwsClient *
new_client_to_port (Fixture *f, const char *scheme, guint port)
{
  g_autofree char *url = g_strdup_printf ("%s://127.0.0.1:%u/", scheme, port);

  return new_client (f, url);
}

static const GError *
assert_fails (Fixture *f, guint seconds)
{
  fws_test_wait_until (f->events->closes > 0, seconds);
  fws_test_run_for (50);
  g_assert_cmpuint (f->events->opens, ==, 0);
  g_assert_cmpuint (f->events->errors, ==, 1);
  g_assert_cmpuint (f->events->closes, ==, 1);
  g_assert_cmpuint (f->events->close_code, ==, 1006);
  g_assert_nonnull (f->events->error);
  g_assert_cmpstr (f->events->close_reason, ==, f->events->error->message);
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (f->client)), ==, FWS_READY_STATE_CLOSED);
  return f->events->error;
}

static void
assert_message_contains (const GError *error, const char *part)
{
  if (strstr (error->message, part) == NULL)
    g_error ("expected “%s” in the error message: %s", part, error->message);
}

static void
assert_opens_and_echoes (Fixture *f, gsize size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  guint8 *buf = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    buf[i] = (guint8) (i * 7 + 3);
  payload = g_bytes_new_take (buf, size);

  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->opens, ==, 1);
  fws_web_socket_send_binary (FWS_WEB_SOCKET (f->client), payload, &error);
  g_assert_no_error (error);
  fws_test_wait_until (f->events->messages->len == 1 || f->events->closes > 0, 30);
  g_assert_cmpuint (f->events->messages->len, ==, 1);
  g_assert_true (g_bytes_equal (f->events->messages->pdata[0], payload));
}

/* ---- URL and connection failures ---- */

static void
test_bad_urls (Fixture *f, gconstpointer data)
{
  static const char * const bad[] = {
    "http://127.0.0.1/", "ftp://example.com/", "stream.wikimedia.org/rc", "ws://", "ws:///path",
    "wss://exa mple.com/", "", "ws://a%0D%0Ab/",
  };

  g_test_summary ("Malformed URLs and other schemes are refused by fws_client_new with "
                  "FWS_ERROR_INVALID_ARGUMENT; through g_object_new, with error then close 1006");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      FwsClient *client = fws_client_new (bad[i], NULL, &error);

      g_assert_null (client);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "is not a valid WebSocket URL"));
    }

  f->client = g_object_new (FWS_TYPE_CLIENT, "url", "http://127.0.0.1/", NULL);
  fws_test_events_watch (f->events, FWS_WEB_SOCKET (f->client));
  /* Nothing is emitted before the main loop runs. */
  g_assert_cmpuint (f->events->errors + f->events->closes, ==, 0);
  g_assert_error (assert_fails (f, 5), FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
}

static void
test_dns_failure (Fixture *f, gconstpointer data)
{
  const GError *error;

  g_test_summary ("A name that does not resolve (.invalid) fails with GIO's resolver error, prefixed with the URL");
  new_client (f, "ws://fws-glib-test.invalid:8080/");
  /* A slow resolver must not turn this into a timeout. */
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 25000);
  error = assert_fails (f, 30);
  g_assert_true (error->domain == G_RESOLVER_ERROR || error->domain == G_IO_ERROR);
  g_assert_true (g_str_has_prefix (error->message, "Could not connect to ws://fws-glib-test.invalid:8080/: "));
}

static void
test_connection_refused (Fixture *f, gconstpointer data)
{
  guint16 port = fws_test_free_port ();
  g_autofree char *prefix = g_strdup_printf ("Could not connect to ws://127.0.0.1:%u/: ", port);
  const GError *error;

  g_test_summary ("A refused connection fails with G_IO_ERROR_CONNECTION_REFUSED, prefixed with the URL");
  new_client_to_port (f, "ws", port);
  error = assert_fails (f, 10);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_true (g_str_has_prefix (error->message, prefix));
}

/* ---- handshake failures against canned answers ---- */

static void
run_raw (Fixture *f, RawMode mode, const char * const *protocols)
{
  g_autofree char *url = NULL;

  f->raw = raw_server_new (mode);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", f->raw->port);
  f->client = g_object_new (FWS_TYPE_CLIENT, "url", url, "protocols", protocols,
                            "handshake-timeout", 10000, NULL);
  fws_test_events_watch (f->events, FWS_WEB_SOCKET (f->client));
}

static void
test_not_101 (Fixture *f, gconstpointer data)
{
  g_test_summary ("A 404 answer fails with FWS_ERROR_HANDSHAKE naming the status; status is 404");
  run_raw (f, RAW_NOT_101, NULL);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (f->events->error->message, ==, "Error during WebSocket handshake: Unexpected response code: 404");
  g_assert_cmpuint (fws_client_get_status (f->client), ==, 404);
}

static void
test_missing_accept (Fixture *f, gconstpointer data)
{
  g_test_summary ("A 101 without Sec-WebSocket-Accept fails: Sec-WebSocket-Accept mismatch");
  run_raw (f, RAW_MISSING_ACCEPT, NULL);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (f->events->error->message, ==, "Error during WebSocket handshake: Sec-WebSocket-Accept mismatch");
}

static void
test_wrong_accept (Fixture *f, gconstpointer data)
{
  g_test_summary ("A 101 with the wrong Sec-WebSocket-Accept fails: Sec-WebSocket-Accept mismatch");
  run_raw (f, RAW_WRONG_ACCEPT, NULL);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (f->events->error->message, ==, "Error during WebSocket handshake: Sec-WebSocket-Accept mismatch");
}

static void
test_unrequested_protocol (Fixture *f, gconstpointer data)
{
  static const char * const offered[] = { "echo", NULL };

  g_test_summary ("A subprotocol the client did not offer fails: Sec-WebSocket-Protocol mismatch "
                  "(with none offered and with another offered)");
  run_raw (f, RAW_UNREQUESTED_PROTOCOL, NULL);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (f->events->error->message, ==, "Error during WebSocket handshake: Sec-WebSocket-Protocol mismatch");

  fws_test_events_release (f->events, &f->client);
  g_clear_pointer (&f->raw, raw_server_free);
  run_raw (f, RAW_UNREQUESTED_PROTOCOL, offered);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (f->events->error->message, ==, "Error during WebSocket handshake: Sec-WebSocket-Protocol mismatch");
}

static void
test_huge_head (Fixture *f, gconstpointer data)
{
  g_test_summary ("A response head over 64 KiB fails with FWS_ERROR_TOO_LARGE");
  run_raw (f, RAW_HUGE_HEAD, NULL);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_TOO_LARGE);
}

static void
test_many_headers (Fixture *f, gconstpointer data)
{
  g_test_summary ("A response head with 300 headers fails with FWS_ERROR_TOO_LARGE");
  run_raw (f, RAW_MANY_HEADERS, NULL);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_TOO_LARGE);
}

static void
test_hang_up (Fixture *f, gconstpointer data)
{
  g_test_summary ("A server that reads the request and hangs up fails the connection (1006), error once");
  run_raw (f, RAW_HANG_UP, NULL);
  assert_fails (f, 10);
}

/* ---- timeouts ---- */

static void
test_timeout_handshake (Fixture *f, gconstpointer data)
{
  gint64 start;

  g_test_summary ("A server that accepts TCP and never answers: FWS_ERROR_TIMED_OUT after handshake-timeout, "
                  "then close 1006");
  run_raw (f, RAW_SILENT, NULL);
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 300);
  g_assert_cmpuint (fws_web_socket_get_handshake_timeout (FWS_WEB_SOCKET (f->client)), ==, 300);
  start = g_get_monotonic_time ();
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  assert_message_contains (f->events->error, "was not established within 300 ms");
}

static void
test_timeout_tls (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;

  g_test_summary ("wss:// to a server that never answers the TLS handshake: FWS_ERROR_TIMED_OUT, close 1006");
  f->raw = raw_server_new (RAW_SILENT);
  url = g_strdup_printf ("wss://127.0.0.1:%u/", f->raw->port);
  new_client (f, url);
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 300);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_TIMED_OUT);
}

static void
test_timeout_proxy (Fixture *f, gconstpointer data)
{
  g_autofree char *proxy = NULL;

  g_test_summary ("A proxy that never answers CONNECT: FWS_ERROR_TIMED_OUT, close 1006");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->silent = TRUE;
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, proxy);
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 300);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_TIMED_OUT);
  fws_test_wait_until (f->proxy->requests->len == 1, 5);
}

static void
test_timeout_default (Fixture *f, gconstpointer data)
{
  g_autoptr(FwsClient) client = fws_client_new ("ws://127.0.0.1:1/", NULL, NULL);

  g_test_summary ("handshake-timeout defaults to 30 s; tls-verify and use-system-proxy to TRUE");
  g_assert_cmpuint (fws_web_socket_get_handshake_timeout (FWS_WEB_SOCKET (client)), ==, 30000);
  g_assert_true (fws_client_get_tls_verify (client));
  g_assert_true (fws_client_get_use_system_proxy (client));
  g_assert_null (fws_client_get_proxy (client));
  g_assert_null (fws_client_get_proxy_headers (client));
  g_assert_null (fws_client_get_tls_ca_files (client));
  g_assert_null (fws_client_get_tls_database (client));
  g_assert_null (fws_client_get_tls_certificate (client));
  fws_web_socket_close (FWS_WEB_SOCKET (client), 1000, NULL, NULL);
  fws_test_wait_until (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)) == FWS_READY_STATE_CLOSED, 5);
}

/* ---- proxies ---- */

static void
test_http_proxy_ws (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *proxy = NULL;
  g_autofree char *want = NULL;

  g_test_summary ("ws:// through an HTTP proxy: the CONNECT request is byte-exact (credentials from the "
                  "proxy URL, then proxy-headers), and messages flow through the tunnel");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  proxy = g_strdup_printf ("http://user:pass@127.0.0.1:%u", f->proxy->port);
  soup_message_headers_append (headers, "X-Proxy-Test", "yes");
  new_client_to_port (f, "ws", f->port);
  g_object_set (f->client, "proxy", proxy, "proxy-headers", headers, NULL);
  g_assert_cmpstr (fws_client_get_proxy (f->client), ==, proxy);
  g_assert_true (fws_client_get_proxy_headers (f->client) == headers);
  assert_opens_and_echoes (f, 100000);

  want = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\n"
                          "Connection: keep-alive\r\n"
                          "Proxy-Connection: keep-alive\r\n"
                          "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                          "X-Proxy-Test: yes\r\n"
                          "\r\n", f->port, f->port);
  g_assert_cmpuint (f->proxy->requests->len, ==, 1);
  g_assert_cmpstr (f->proxy->requests->pdata[0], ==, want);
}

static void
test_http_proxy_wss (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autofree char *proxy = NULL;
  g_autofree char *url = NULL;
  g_autofree char *want = NULL;

  g_test_summary ("wss://other.example through an HTTP proxy: TLS runs inside the tunnel and is verified "
                  "against other.example (the client never resolves it; the proxy does)");
  start_tls_server (f, FALSE);
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->target_port = (guint16) f->tls_port;
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  url = g_strdup_printf ("wss://other.example:%u/", f->tls_port);
  new_client (f, url);
  fws_client_set_proxy (f->client, proxy);
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_opens_and_echoes (f, 300000);
  want = g_strdup_printf ("CONNECT other.example:%u HTTP/1.1\r\n"
                          "Host: other.example:%u\r\n"
                          "Connection: keep-alive\r\n"
                          "Proxy-Connection: keep-alive\r\n"
                          "\r\n", f->tls_port, f->tls_port);
  g_assert_cmpstr (f->proxy->requests->pdata[0], ==, want);
}

static void
test_http_proxy_wss_wrong_name (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autofree char *proxy = NULL;
  g_autofree char *url = NULL;

  g_test_summary ("Through a proxy at 127.0.0.1, a certificate for 127.0.0.1 does not pass for "
                  "wss://other.example: the server's name is checked, not the proxy's");
  start_tls_server (f, TRUE);
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->target_port = (guint16) f->tls_port;
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  url = g_strdup_printf ("wss://other.example:%u/", f->tls_port);
  new_client (f, url);
  fws_client_set_proxy (f->client, proxy);
  fws_client_set_tls_ca_files (f->client, ca_files);
  g_assert_error (assert_fails (f, 10), G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  assert_message_contains (f->events->error, "it is for another host name");
  assert_message_contains (f->events->error, "other.example");
}

static void
test_https_proxy (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autofree char *proxy = NULL;

  g_test_summary ("ws:// through an https:// proxy: TLS to the proxy (verified), then CONNECT inside it");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->tls_certificate = fws_test_certs_load (certs->server_cert, certs->server_key);
  proxy = g_strdup_printf ("https://127.0.0.1:%u", f->proxy->port);
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, proxy);
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_opens_and_echoes (f, 200000);
  g_assert_true (g_str_has_prefix (f->proxy->requests->pdata[0], "CONNECT 127.0.0.1:"));
}

static void
test_https_proxy_wss (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autofree char *proxy = NULL;
  g_autofree char *url = NULL;

  g_test_summary ("wss:// through an https:// proxy: TLS to the server inside TLS to the proxy, each "
                  "verified against its own name; 1 MiB crosses both layers intact");
  start_tls_server (f, FALSE);
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->tls_certificate = fws_test_certs_load (certs->server_cert, certs->server_key);
  f->proxy->target_port = (guint16) f->tls_port;
  proxy = g_strdup_printf ("https://localhost:%u", f->proxy->port);
  url = g_strdup_printf ("wss://other.example:%u/", f->tls_port);
  new_client (f, url);
  fws_client_set_proxy (f->client, proxy);
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_opens_and_echoes (f, 1024 * 1024);
}

static void
test_https_proxy_untrusted (Fixture *f, gconstpointer data)
{
  g_autofree char *proxy = NULL;
  g_autofree char *prefix = NULL;

  g_test_summary ("An https:// proxy with an untrusted certificate: the error names the proxy and the problem");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->tls_certificate = fws_test_certs_load (certs->server_cert, certs->server_key);
  proxy = g_strdup_printf ("https://127.0.0.1:%u", f->proxy->port);
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, proxy);
  g_assert_error (assert_fails (f, 10), G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  prefix = g_strdup_printf ("Could not connect to the proxy %s: ", proxy);
  g_assert_true (g_str_has_prefix (f->events->error->message, prefix));
  assert_message_contains (f->events->error, "not signed by a trusted certificate authority");
  g_assert_cmpuint (f->requests, ==, 0);
}

static void
test_proxy_refusals (Fixture *f, gconstpointer data)
{
  static const struct { const char *answer; const char *part; } cases[] = {
    { "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n\r\n",
      " answered 407 Proxy Authentication Required" },
    { "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", " answered 403 Forbidden" },
    { "HTTP/1.0 502 Bad Gateway\r\n\r\n", " answered 502 Bad Gateway" },
    { "", " closed the connection without answering" },
    { "SSH-2.0-OpenSSH\r\n\r\n", " gave an invalid answer: Invalid HTTP response" },
  };

  g_test_summary ("A proxy that refuses (407, 403, 502), hangs up or babbles: error naming the server, "
                  "the proxy and the status, then close 1006; nothing reaches the server");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *proxy = NULL;
      g_autofree char *prefix = g_strdup_printf ("Can't establish a connection to the server at "
                                                 "ws://127.0.0.1:%u/: ", f->port);

      if (f->client)
        {
          fws_test_events_release (f->events, &f->client);
          g_clear_pointer (&f->proxy, fws_fake_proxy_free);
        }
      f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
      f->proxy->answer = g_strdup (cases[i].answer);
      proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
      new_client_to_port (f, "ws", f->port);
      fws_client_set_proxy (f->client, proxy);
      g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_true (g_str_has_prefix (f->events->error->message, prefix));
      assert_message_contains (f->events->error, cases[i].part);
      assert_message_contains (f->events->error, proxy);
    }
  g_assert_cmpuint (f->requests, ==, 0);
}

static void
test_proxy_extra_bytes (Fixture *f, gconstpointer data)
{
  g_autofree char *proxy = NULL;

  g_test_summary ("A proxy that sends bytes after its 200 (before the client spoke) is refused");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->extra_bytes = TRUE;
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, proxy);
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  assert_message_contains (f->events->error, "sent data after its answer");
}

static void
test_bad_proxy_url (Fixture *f, gconstpointer data)
{
  g_test_summary ("A proxy URL that is not http://, https:// or socks: error then close, at connect time");
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, "ftp://127.0.0.1:21");
  g_assert_error (assert_fails (f, 10), FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  assert_message_contains (f->events->error, "ftp://127.0.0.1:21");
}

static void
test_proxy_refused_connection (Fixture *f, gconstpointer data)
{
  guint16 port = fws_test_free_port ();
  g_autofree char *proxy = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree char *part = g_strdup_printf ("through the proxy %s", proxy);

  g_test_summary ("A proxy that refuses the TCP connection: G_IO_ERROR_CONNECTION_REFUSED naming the proxy");
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, proxy);
  g_assert_error (assert_fails (f, 10), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  assert_message_contains (f->events->error, part);
}

static void
test_socks5_proxy (Fixture *f, gconstpointer data)
{
  g_autofree char *proxy = NULL;
  g_autofree char *want = NULL;

  g_test_summary ("ws:// through a socks5:// proxy (GIO's SOCKS client): messages flow");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_SOCKS5);
  proxy = g_strdup_printf ("socks5://127.0.0.1:%u", f->proxy->port);
  new_client_to_port (f, "ws", f->port);
  fws_client_set_proxy (f->client, proxy);
  assert_opens_and_echoes (f, 1000);
  want = g_strdup_printf ("127.0.0.1:%u", f->port);
  g_assert_cmpstr (f->proxy->requests->pdata[0], ==, want);
}

/* ---- the system's proxy settings ---- */

static void
test_system_proxy (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autofree char *http_proxy = NULL;
  g_autofree char *want = NULL;
  g_autofree char *url = NULL;

  g_test_summary ("Without proxy set, http_proxy (for ws://) and https_proxy (for wss://) from the "
                  "environment are used through GIO's proxy resolver, with the same CONNECT code; "
                  "use-system-proxy FALSE connects directly");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  http_proxy = g_strdup_printf ("http://user:pass@127.0.0.1:%u", f->proxy->port);
  g_setenv ("http_proxy", http_proxy, TRUE);
  g_setenv ("https_proxy", http_proxy, TRUE);

  new_client_to_port (f, "ws", f->port);
  assert_opens_and_echoes (f, 1000);
  g_assert_cmpuint (f->proxy->requests->len, ==, 1);
  want = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\n"
                          "Connection: keep-alive\r\n"
                          "Proxy-Connection: keep-alive\r\n"
                          "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                          "\r\n", f->port, f->port);
  g_assert_cmpstr (f->proxy->requests->pdata[0], ==, want);

  /* Directly, with use-system-proxy off. */
  fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1000, NULL, NULL);
  fws_test_wait_until (f->events->closes > 0 && f->server_events->closes > 0, 10);
  fws_test_events_release (f->events, &f->client);
  fws_test_events_release (f->server_events, &f->server_ws);
  new_client_to_port (f, "ws", f->port);
  fws_client_set_use_system_proxy (f->client, FALSE);
  assert_opens_and_echoes (f, 1000);
  g_assert_cmpuint (f->proxy->connections, ==, 1);

  /* wss:// goes to https_proxy. */
  fws_web_socket_close (FWS_WEB_SOCKET (f->client), 1000, NULL, NULL);
  fws_test_wait_until (f->events->closes > 0 && f->server_events->closes > 0, 10);
  fws_test_events_release (f->events, &f->client);
  fws_test_events_release (f->server_events, &f->server_ws);
  start_tls_server (f, TRUE);
  url = g_strdup_printf ("wss://localhost:%u/", f->tls_port);
  new_client (f, url);
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_opens_and_echoes (f, 1000);
  g_assert_cmpuint (f->proxy->requests->len, ==, 2);
  g_assert_true (g_str_has_prefix (f->proxy->requests->pdata[1], "CONNECT localhost:"));
}

/* The system path must not abort where GSettings has no schemas (here:
 * G_TEST_OPTION_ISOLATE_DIRS hides them); with no proxy in the
 * environment it connects directly. */
static void
test_system_proxy_direct (Fixture *f, gconstpointer data)
{
  g_test_summary ("With the system's settings naming no proxy (and no GSettings schemas visible), "
                  "the client connects directly and nothing aborts");
  new_client_to_port (f, "ws", f->port);
  g_assert_true (fws_client_get_use_system_proxy (f->client));
  assert_opens_and_echoes (f, 10);
}

int
main (int argc, char **argv)
{
  static const char * const proxy_vars[] = {
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    "no_proxy", "NO_PROXY", "ftp_proxy", "socks_proxy",
  };
  GIOExtensionPoint *point;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The system proxy is whatever these tests set, read by libproxy's
   * resolver (glib-networking), which honours the proxy variables. */
  for (guint i = 0; i < G_N_ELEMENTS (proxy_vars); i++)
    g_unsetenv (proxy_vars[i]);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "libproxy", TRUE);
  certs = fws_test_certs_new ();   /* also loads GIO's modules */
  point = g_io_extension_point_lookup (G_PROXY_RESOLVER_EXTENSION_POINT_NAME);
  if (point == NULL || g_io_extension_point_get_extension_by_name (point, "libproxy") == NULL)
    g_error ("the system-proxy tests need glib-networking's libproxy resolver: install glib-networking");

#define ADD(path, fn) g_test_add ("/client/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("bad-urls", test_bad_urls);
  ADD ("dns-failure", test_dns_failure);
  ADD ("connection-refused", test_connection_refused);
  ADD ("handshake/not-101", test_not_101);
  ADD ("handshake/missing-accept", test_missing_accept);
  ADD ("handshake/wrong-accept", test_wrong_accept);
  ADD ("handshake/unrequested-protocol", test_unrequested_protocol);
  ADD ("handshake/huge-head", test_huge_head);
  ADD ("handshake/many-headers", test_many_headers);
  ADD ("handshake/hang-up", test_hang_up);
  ADD ("timeout/handshake", test_timeout_handshake);
  ADD ("timeout/tls", test_timeout_tls);
  ADD ("timeout/proxy", test_timeout_proxy);
  ADD ("timeout/defaults", test_timeout_default);
  ADD ("proxy/http-ws", test_http_proxy_ws);
  ADD ("proxy/http-wss", test_http_proxy_wss);
  ADD ("proxy/http-wss-wrong-name", test_http_proxy_wss_wrong_name);
  ADD ("proxy/https-ws", test_https_proxy);
  ADD ("proxy/https-wss", test_https_proxy_wss);
  ADD ("proxy/https-untrusted", test_https_proxy_untrusted);
  ADD ("proxy/refusals", test_proxy_refusals);
  ADD ("proxy/extra-bytes", test_proxy_extra_bytes);
  ADD ("proxy/bad-url", test_bad_proxy_url);
  ADD ("proxy/refused-connection", test_proxy_refused_connection);
  ADD ("proxy/socks5", test_socks5_proxy);
  ADD ("system-proxy/environment", test_system_proxy);
  ADD ("system-proxy/direct", test_system_proxy_direct);
#undef ADD

  ret = g_test_run ();
  fws_test_certs_free (certs);
  return ret;
}
