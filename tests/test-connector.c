/* test-connector.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The connector on its own (fws-connector-private.h), on 127.0.0.1: a
 * GSocketService that accepts, optionally speaks TLS with certificates made
 * when the test starts, and records what it reads; the CONNECT proxy of
 * test-fake-proxy.c. What comes out (the stream and its type, bytes that
 * reach the server), how it fails (untrusted certificate, refused port,
 * bad proxy URL), cancellation at each stage, and where the callback runs.
 */
#include "test-tls-utils.h"
#include "test-fake-proxy.h"

#include <string.h>

#include "fws-connector-private.h"

static FwsTestCerts *certs;

typedef struct _Fixture Fixture;

/* One accepted connection, server side. */
typedef struct
{
  Fixture   *f;
  GIOStream *stream;          /* the GSocketConnection, or a GTlsServerConnection over it */
  gboolean   handshake_done;
  GError    *handshake_error;
  GString   *received;
  gboolean   eof;             /* read 0 bytes, or failed */
  guint8     buf[1024];
} ServerConn;

struct _Fixture
{
  GSocketService  *service;
  guint16          port;
  GTlsCertificate *server_cert;   /* NULL: plain TCP */
  GPtrArray       *conns;         /* of ServerConn */
  GCancellable    *server_cancel;
  guint            pending;       /* server operations in flight */

  FwsFakeProxy    *proxy;

  /* the connector's result */
  gboolean         done;
  GIOStream       *stream;
  GError          *error;
  GMainContext    *callback_context;   /* thread-default when the callback ran */
};

static void
server_conn_free (gpointer data)
{
  ServerConn *c = data;

  g_clear_object (&c->stream);
  g_clear_error (&c->handshake_error);
  g_string_free (c->received, TRUE);
  g_free (c);
}

static void server_read (ServerConn *c);

static void
server_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ServerConn *c = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  c->f->pending--;
  if (n <= 0)
    {
      c->eof = TRUE;
      return;
    }
  g_string_append_len (c->received, (const char *) c->buf, n);
  server_read (c);
}

static void
server_read (ServerConn *c)
{
  c->f->pending++;
  g_input_stream_read_async (g_io_stream_get_input_stream (c->stream), c->buf, sizeof c->buf,
                             G_PRIORITY_DEFAULT, c->f->server_cancel, server_read_cb, c);
}

static void
server_handshake_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ServerConn *c = user_data;

  c->f->pending--;
  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &c->handshake_error);
  c->handshake_done = TRUE;
  if (c->handshake_error == NULL)
    server_read (c);
  else
    c->eof = TRUE;
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  Fixture *f = user_data;
  ServerConn *c = g_new0 (ServerConn, 1);

  c->f = f;
  c->received = g_string_new (NULL);
  g_ptr_array_add (f->conns, c);
  if (f->server_cert != NULL)
    {
      g_autoptr(GError) error = NULL;

      c->stream = g_tls_server_connection_new (G_IO_STREAM (connection), f->server_cert, &error);
      g_assert_no_error (error);
      f->pending++;
      g_tls_connection_handshake_async (G_TLS_CONNECTION (c->stream), G_PRIORITY_DEFAULT,
                                        f->server_cancel, server_handshake_cb, c);
    }
  else
    {
      c->stream = G_IO_STREAM (g_object_ref (connection));
      server_read (c);
    }
  return TRUE;
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->conns = g_ptr_array_new_with_free_func (server_conn_free);
  f->server_cancel = g_cancellable_new ();
  f->service = g_socket_service_new ();
  f->port = fws_test_listen_loopback (G_SOCKET_LISTENER (f->service));
  g_signal_connect (f->service, "incoming", G_CALLBACK (incoming_cb), f);
  g_socket_service_start (f->service);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  g_cancellable_cancel (f->server_cancel);
  fws_test_wait_until (f->pending == 0, 10);
  for (guint i = 0; i < f->conns->len; i++)
    {
      ServerConn *c = f->conns->pdata[i];

      g_io_stream_close (c->stream, NULL, NULL);
    }
  g_clear_pointer (&f->conns, g_ptr_array_unref);
  g_clear_object (&f->service);
  g_clear_object (&f->server_cancel);
  g_clear_object (&f->server_cert);
  g_clear_pointer (&f->proxy, fws_fake_proxy_free);
  if (f->stream != NULL)
    g_io_stream_close (f->stream, NULL, NULL);
  g_clear_object (&f->stream);
  g_clear_error (&f->error);
  /* Lets the connector's asynchronous closes finish. */
  fws_test_run_for (50);
}

/* ---- Driving the connector ---- */

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;

  g_assert_null (source);
  g_assert_false (f->done);
  f->stream = fws_connector_connect_finish (result, &f->error);
  g_assert_true ((f->stream == NULL) != (f->error == NULL));
  f->callback_context = g_main_context_get_thread_default ();
  f->done = TRUE;
}

static void
start (Fixture                   *f,
       const char                *url,
       const FwsConnectorOptions *options,
       GCancellable              *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &error);

  g_assert_no_error (error);
  f->done = FALSE;
  fws_connector_connect_async (uri, options, cancellable, connected_cb, f);
  /* Never from inside the call. */
  g_assert_false (f->done);
}

/* Connects to @url and waits (bounded) for the result. */
static void
run (Fixture                   *f,
     const char                *url,
     const FwsConnectorOptions *options)
{
  start (f, url, options, NULL);
  fws_test_wait_until (f->done, 20);
}

static ServerConn *
wait_for_conn (Fixture *f)
{
  fws_test_wait_until (f->conns->len >= 1, 10);
  g_assert_cmpuint (f->conns->len, ==, 1);
  return f->conns->pdata[0];
}

/* Writes @text on the client's stream and waits for the server to read it. */
static void
assert_bytes_arrive (Fixture    *f,
                     const char *text)
{
  g_autoptr(GError) error = NULL;
  ServerConn *c = wait_for_conn (f);
  gsize written = 0;

  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (f->stream), text, strlen (text),
                                            &written, NULL, &error));
  g_assert_no_error (error);
  fws_test_wait_until (c->received->len >= strlen (text) || c->eof, 10);
  g_assert_cmpstr (c->received->str, ==, text);
}

static void
direct_options (FwsConnectorOptions *options)
{
  fws_connector_options_init (options);
  options->use_system_proxy = FALSE;
}

/* ---- Tests ---- */

static void
test_defaults (Fixture       *f,
               gconstpointer  data)
{
  FwsConnectorOptions options;

  g_test_summary ("fws_connector_options_init: tls_verify TRUE, everything else unset");
  memset (&options, 0xff, sizeof options);
  fws_connector_options_init (&options);
  g_assert_true (options.tls_verify);
  g_assert_null (options.tls_ca_files);
  g_assert_null (options.tls_database);
  g_assert_null (options.tls_certificate);
  g_assert_null (options.proxy);
  g_assert_null (options.proxy_headers);
  g_assert_false (options.use_system_proxy);
  g_assert_null (options.proxy_resolver);
}

static void
test_tcp (Fixture       *f,
          gconstpointer  data)
{
  const char *scheme = data;
  FwsConnectorOptions options;
  g_autofree char *url = g_strdup_printf ("%s://127.0.0.1:%u/path", scheme, f->port);
  g_autoptr(GSocketAddress) remote = NULL;

  g_test_summary ("ws:// and http://: a plain GSocketConnection to the URL's host and port, "
                  "and bytes written on it reach the server");
  direct_options (&options);
  run (f, url, &options);
  g_assert_no_error (f->error);
  g_assert_true (G_IS_TCP_CONNECTION (f->stream));
  g_assert_false (G_IS_TCP_WRAPPER_CONNECTION (f->stream));
  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (f->stream), NULL);
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)), ==, f->port);
  assert_bytes_arrive (f, "GET /path HTTP/1.1\r\n\r\n");
}

static void
test_context (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  FwsConnectorOptions options;
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);

  g_test_summary ("The callback runs in the thread-default context of the caller, not the global "
                  "default one, for a success and for an error found at once");
  direct_options (&options);
  g_main_context_push_thread_default (context);
  /* The kernel completes the TCP handshake without the service accepting
   * (it runs on the global default context, which is not iterated here). */
  run (f, url, &options);
  g_assert_no_error (f->error);
  g_assert_true (f->callback_context == context);
  g_clear_object (&f->stream);

  f->callback_context = NULL;
  options.proxy = (char *) "ftp://127.0.0.1:1";
  run (f, url, &options);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (f->error->message, ==,
                   "ftp://127.0.0.1:1 is not a valid proxy URL: use http://host:port or https://host:port");
  g_assert_true (f->callback_context == context);
  g_main_context_pop_thread_default (context);
}

static void
test_tls (Fixture       *f,
          gconstpointer  data)
{
  gboolean with_database = GPOINTER_TO_INT (data);
  /* The first store does not know the server's CA: the second vouches. */
  const char *ca_files[] = { certs->ca2, certs->ca, NULL };
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  FwsConnectorOptions options;
  g_autofree char *url = NULL;
  GIOStream *tls;
  ServerConn *c;

  g_test_summary ("wss:// (tls_ca_files) and https:// (tls_database): a GTcpWrapperConnection around "
                  "a GTlsConnection verified against the given CA, and bytes reach the server");
  f->server_cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  direct_options (&options);
  if (with_database)
    {
      database = g_tls_file_database_new (certs->ca, &error);
      g_assert_no_error (error);
      options.tls_database = database;
      url = g_strdup_printf ("https://localhost:%u/", f->port);
    }
  else
    {
      options.tls_ca_files = (char **) ca_files;
      url = g_strdup_printf ("wss://127.0.0.1:%u/", f->port);
    }
  run (f, url, &options);
  g_assert_no_error (f->error);
  g_assert_true (G_IS_TCP_WRAPPER_CONNECTION (f->stream));
  tls = g_tcp_wrapper_connection_get_base_io_stream (G_TCP_WRAPPER_CONNECTION (f->stream));
  g_assert_true (G_IS_TLS_CLIENT_CONNECTION (tls));
  g_assert_true (g_tls_certificate_is_same (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)),
                                            f->server_cert));
  c = wait_for_conn (f);
  fws_test_wait_until (c->handshake_done, 10);
  g_assert_no_error (c->handshake_error);
  assert_bytes_arrive (f, "hello over TLS");
}

static void
test_tls_untrusted (Fixture       *f,
                    gconstpointer  data)
{
  const char *ca_files[] = { certs->ca, NULL };
  FwsConnectorOptions options;
  g_autofree char *url = g_strdup_printf ("wss://127.0.0.1:%u/", f->port);
  g_autofree char *want = NULL;

  g_test_summary ("A certificate signed by a CA that is not trusted: G_TLS_ERROR_BAD_CERTIFICATE "
                  "with the message FwsClient reports; accepted with tls_verify FALSE");
  f->server_cert = fws_test_certs_load (certs->server2_cert, certs->server2_key);
  direct_options (&options);
  options.tls_ca_files = (char **) ca_files;
  run (f, url, &options);
  g_assert_error (f->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  want = g_strdup_printf ("The TLS certificate of 127.0.0.1:%u is not acceptable: "
                          "it is not signed by a trusted certificate authority", f->port);
  g_assert_cmpstr (f->error->message, ==, want);
  g_assert_null (f->stream);
  g_clear_error (&f->error);

  options.tls_verify = FALSE;
  run (f, url, &options);
  g_assert_no_error (f->error);
  g_assert_true (G_IS_TCP_WRAPPER_CONNECTION (f->stream));
}

static void
test_proxy_connect (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  FwsConnectorOptions options;
  g_autofree char *proxy = NULL;
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);
  g_autofree char *want = NULL;

  g_test_summary ("Through an HTTP proxy with CONNECT: the request is byte-exact (credentials, "
                  "proxy_headers), and the stream is the tunnel to the server");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  proxy = g_strdup_printf ("http://user:pass@127.0.0.1:%u", f->proxy->port);
  soup_message_headers_append (headers, "X-Proxy-Test", "yes");
  direct_options (&options);
  options.proxy = proxy;
  options.proxy_headers = headers;
  run (f, url, &options);
  g_assert_no_error (f->error);
  g_assert_true (G_IS_SOCKET_CONNECTION (f->stream));
  want = g_strdup_printf ("CONNECT 127.0.0.1:%u HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\n"
                          "Connection: keep-alive\r\n"
                          "Proxy-Connection: keep-alive\r\n"
                          "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                          "X-Proxy-Test: yes\r\n"
                          "\r\n", f->port, f->port);
  /* The fake proxy records the request in the main loop after answering. */
  fws_test_wait_until (f->proxy->requests->len == 1, 10);
  g_assert_cmpstr (f->proxy->requests->pdata[0], ==, want);
  assert_bytes_arrive (f, "through the tunnel");
}

static void
test_proxy_https_default_port (Fixture       *f,
                               gconstpointer  data)
{
  const char *ca_files[] = { certs->ca, NULL };
  FwsConnectorOptions options;
  g_autofree char *proxy = NULL;

  g_test_summary ("https:// without a port through a CONNECT proxy asks for port 443, then TLS to "
                  "the server inside the tunnel, verified against the URL's host");
  f->server_cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->target_port = f->port;
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  direct_options (&options);
  options.proxy = proxy;
  options.tls_ca_files = (char **) ca_files;
  run (f, "https://localhost/events", &options);
  g_assert_no_error (f->error);
  fws_test_wait_until (f->proxy->requests->len == 1, 10);
  g_assert_true (g_str_has_prefix (f->proxy->requests->pdata[0],
                                   "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\n"));
  g_assert_true (G_IS_TCP_WRAPPER_CONNECTION (f->stream));
  assert_bytes_arrive (f, "GET /events HTTP/1.1\r\n\r\n");
}

static void
test_proxy_resolver (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GProxyResolver) resolver = NULL;
  FwsConnectorOptions options;
  g_autofree char *proxy = NULL;
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);

  g_test_summary ("use_system_proxy with a proxy_resolver: that resolver's HTTP proxy is used with "
                  "CONNECT; without use_system_proxy it is not asked");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  resolver = g_simple_proxy_resolver_new (proxy, NULL);
  fws_connector_options_init (&options);
  options.use_system_proxy = TRUE;
  options.proxy_resolver = resolver;
  run (f, url, &options);
  g_assert_no_error (f->error);
  fws_test_wait_until (f->proxy->requests->len == 1, 10);
  g_assert_true (g_str_has_prefix (f->proxy->requests->pdata[0], "CONNECT 127.0.0.1:"));
  assert_bytes_arrive (f, "resolved");
  g_clear_object (&f->stream);

  options.use_system_proxy = FALSE;
  run (f, url, &options);
  g_assert_no_error (f->error);
  fws_test_wait_until (f->conns->len == 2, 10);
  g_assert_cmpuint (f->proxy->requests->len, ==, 1);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  guint16 port = fws_test_free_port ();
  FwsConnectorOptions options;
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  g_autofree char *prefix = g_strdup_printf ("Could not connect to %s: ", url);

  g_test_summary ("A refused port: G_IO_ERROR_CONNECTION_REFUSED, with the URL in the message");
  direct_options (&options);
  run (f, url, &options);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_true (g_str_has_prefix (f->error->message, prefix));
  g_assert_null (f->stream);
}

static void
test_cancel_tls (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  FwsConnectorOptions options;
  g_autofree char *url = g_strdup_printf ("wss://127.0.0.1:%u/", f->port);
  ServerConn *c;

  g_test_summary ("Cancelled during the TLS handshake (the server never answers): completes with "
                  "G_IO_ERROR_CANCELLED and the connection is closed");
  direct_options (&options);
  options.tls_verify = FALSE;
  start (f, url, &options, cancellable);
  c = wait_for_conn (f);
  /* The ClientHello arrived: the handshake is under way. */
  fws_test_wait_until (c->received->len > 0, 10);
  g_assert_false (f->done);
  g_cancellable_cancel (cancellable);
  fws_test_wait_until (f->done, 10);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->stream);
  fws_test_wait_until (c->eof, 10);
}

static void
test_cancel_proxy (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  FwsConnectorOptions options;
  g_autofree char *proxy = NULL;
  g_autofree char *url = g_strdup_printf ("wss://127.0.0.1:%u/", f->port);

  g_test_summary ("Cancelled while waiting for the proxy's answer to CONNECT: G_IO_ERROR_CANCELLED");
  f->proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  f->proxy->silent = TRUE;
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy->port);
  direct_options (&options);
  options.proxy = proxy;
  start (f, url, &options, cancellable);
  fws_test_wait_until (f->proxy->requests->len == 1, 10);
  g_assert_false (f->done);
  g_cancellable_cancel (cancellable);
  fws_test_wait_until (f->done, 10);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->stream);
}

static void
test_cancel_tcp (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  FwsConnectorOptions options;
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);

  g_test_summary ("Cancelled right after the call (TCP under way), or before it: G_IO_ERROR_CANCELLED, "
                  "never from inside the call");
  direct_options (&options);
  start (f, url, &options, cancellable);
  g_cancellable_cancel (cancellable);
  fws_test_wait_until (f->done, 10);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->stream);
  g_clear_error (&f->error);

  start (f, url, &options, cancellable);
  fws_test_wait_until (f->done, 10);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (f->stream);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  certs = fws_test_certs_new ();   /* also fails without a TLS backend */

#define ADD(path, data, fn) g_test_add ("/connector/" path, Fixture, data, setup, fn, teardown)
  ADD ("options/defaults", NULL, test_defaults);
  ADD ("tcp/ws", "ws", test_tcp);
  ADD ("tcp/http", "http", test_tcp);
  ADD ("context", NULL, test_context);
  ADD ("tls/ca-files", GINT_TO_POINTER (FALSE), test_tls);
  ADD ("tls/database", GINT_TO_POINTER (TRUE), test_tls);
  ADD ("tls/untrusted", NULL, test_tls_untrusted);
  ADD ("proxy/connect", NULL, test_proxy_connect);
  ADD ("proxy/https-default-port", NULL, test_proxy_https_default_port);
  ADD ("proxy/resolver", NULL, test_proxy_resolver);
  ADD ("refused", NULL, test_refused);
  ADD ("cancel/tcp", NULL, test_cancel_tcp);
  ADD ("cancel/tls", NULL, test_cancel_tls);
  ADD ("cancel/proxy", NULL, test_cancel_proxy);
#undef ADD

  ret = g_test_run ();
  fws_test_certs_free (certs);
  return ret;
}
