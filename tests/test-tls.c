/* test-tls.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * wss:// end to end on 127.0.0.1: FwsClient against FwsWebSocket in a
 * SoupServer listening with TLS, with certificates made by certtool when
 * the test starts (a CA, a second CA, a server certificate, an expired one,
 * one for another name, a client certificate). Verification, its options
 * and its failures, client certificates, large messages over TLS, and the
 * server's idea of its URL (TLS or X-Forwarded-*).
 */
#include "test-tls-utils.h"

#include <string.h>

#include "fws-handshake-private.h"

static FwsTestCerts *certs;

typedef enum
{
  SERVER_GOOD,       /* localhost + 127.0.0.1, signed by ca */
  SERVER_EXPIRED,
  SERVER_OTHER,      /* other.example */
  SERVER_CA2,        /* signed by ca2 */
  SERVER_PLAIN,      /* no TLS */
} ServerKind;

typedef struct
{
  FwsTestServer *server;
  guint           port;

  /* server side */
  FwsWebSocket   *server_ws;
  FwsTestEvents  *server_events;
  char           *server_url;
  guint           requests;
  GTlsCertificate *peer_cert;          /* the client's, as the server saw it */

  /* client side */
  FwsClient      *client;
  FwsTestEvents  *events;
} Fixture;

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  GTlsCertificate *peer;

  f->requests++;
  if (!fws_test_request_expect_websocket (request))
    return;
  peer = soup_server_message_get_tls_peer_certificate (fws_test_request_get_message (request));
  g_set_object (&f->peer_cert, peer);

  if (f->server_ws != NULL)
    {
      /* A test that connects again: close_client () waited for the
       * previous one to close. */
      fws_test_events_release (f->server_events, &f->server_ws);
    }
  f->server_ws = fws_test_request_take_web_socket (request, f->server_events);
  g_free (f->server_url);
  f->server_url = g_strdup (fws_web_socket_get_url (f->server_ws));
}

static void
setup (Fixture *f, gconstpointer data)
{
  ServerKind kind = GPOINTER_TO_INT (data);
  g_autoptr(GTlsCertificate) cert = NULL;

  switch (kind)
    {
    case SERVER_GOOD:
      cert = fws_test_certs_load (certs->server_cert, certs->server_key);
      break;
    case SERVER_EXPIRED:
      cert = fws_test_certs_load (certs->expired_cert, certs->expired_key);
      break;
    case SERVER_OTHER:
      cert = fws_test_certs_load (certs->other_cert, certs->other_key);
      break;
    case SERVER_CA2:
      cert = fws_test_certs_load (certs->server2_cert, certs->server2_key);
      break;
    case SERVER_PLAIN:
    default:
      break;
    }
  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, cert, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->server_events = fws_test_events_new (TRUE);
  f->events = fws_test_events_new (FALSE);
}

static void
close_client (Fixture *f)
{
  if (f->client != NULL)
    {
      fws_test_events_close (f->events, f->client, 10);
      if (f->server_ws)
        fws_test_wait_until (f->server_events->closes > 0, 10);
    }
  fws_test_events_release (f->events, &f->client);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  close_client (f);
  if (f->server_ws)
    fws_test_wait_until (f->server_events->closes > 0, 10);
  fws_test_events_release (f->server_events, &f->server_ws);
  g_clear_pointer (&f->server, fws_test_server_stop);
  g_clear_object (&f->peer_cert);
  g_free (f->server_url);
  fws_test_events_free (f->server_events);
  fws_test_events_free (f->events);
  /* Let closing TLS streams finish. */
  fws_test_run_for (20);
}

/* A client for @path on our server (the previous one closed and
 * forgotten); set options on it, then wait. */
static FwsClient *
new_client (Fixture *f, const char *host, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("wss://%s:%u%s", host, f->port, path);

  close_client (f);
  f->client = fws_client_new (url, NULL, &error);
  g_assert_no_error (error);
  /* Never through a proxy a developer's environment may name. */
  fws_client_set_use_system_proxy (f->client, FALSE);
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 10000);
  fws_test_events_watch (f->events, FWS_WEB_SOCKET (f->client));
  return f->client;
}

static void
assert_opens_and_echoes (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->opens, ==, 1);
  g_assert_cmpuint (fws_client_get_status (f->client), ==, 101);
  fws_web_socket_send_text (FWS_WEB_SOCKET (f->client), "over tls", &error);
  g_assert_no_error (error);
  fws_test_wait_until (f->events->messages->len == 1, 10);
  g_assert_cmpstr (g_bytes_get_data (f->events->messages->pdata[0], NULL), ==, "over tls");
}

/* error once, then close 1006 once, never open; the error is returned. */
static const GError *
assert_fails (Fixture *f)
{
  fws_test_wait_until (f->events->closes > 0, 15);
  fws_test_run_for (50);
  g_assert_cmpuint (f->events->opens, ==, 0);
  g_assert_cmpuint (f->events->errors, ==, 1);
  g_assert_cmpuint (f->events->closes, ==, 1);
  g_assert_cmpuint (f->events->close_code, ==, 1006);
  g_assert_nonnull (f->events->error);
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (f->client)), ==, FWS_READY_STATE_CLOSED);
  return f->events->error;
}

static void
assert_bad_certificate (Fixture *f, const char *problem)
{
  const GError *error = assert_fails (f);

  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  if (strstr (error->message, problem) == NULL)
    g_error ("expected “%s” in the message: %s", problem, error->message);
  /* Nothing reached the WebSocket layer of the server. */
  g_assert_null (f->server_ws);
}

/* ---- tests ---- */

static void
test_ca_file (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autofree char *url = NULL;

  g_test_summary ("wss:// with tls-ca-files naming the CA: the certificate for 127.0.0.1 is accepted, "
                  "messages flow, and both sides report the wss:// URL");
  new_client (f, "127.0.0.1", "/path?x=1");
  fws_client_set_tls_ca_files (f->client, ca_files);
  g_assert_true (fws_client_get_tls_verify (f->client));
  assert_opens_and_echoes (f);
  url = g_strdup_printf ("wss://127.0.0.1:%u/path?x=1", f->port);
  g_assert_cmpstr (f->server_url, ==, url);
  g_assert_cmpstr (fws_web_socket_get_url (FWS_WEB_SOCKET (f->client)), ==, url);
  g_assert_cmpstr (fws_web_socket_get_url (f->server_ws), ==, url);
  g_assert_cmpstrv (fws_client_get_tls_ca_files (f->client), ca_files);
}

static void
test_ca_file_dns_name (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };

  g_test_summary ("wss://localhost: the name (not only the address) is checked against the certificate");
  new_client (f, "localhost", "/");
  g_object_set (f->client, "tls-ca-files", ca_files, NULL);
  assert_opens_and_echoes (f);
}

static void
test_database (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (certs->ca, &error);

  g_test_summary ("tls-database set to a GTlsFileDatabase of the CA: accepted");
  g_assert_no_error (error);
  new_client (f, "127.0.0.1", "/");
  g_object_set (f->client, "tls-database", db, NULL);
  g_assert_true (fws_client_get_tls_database (f->client) == db);
  assert_opens_and_echoes (f);
}

static void
test_second_ca (Fixture *f, gconstpointer data)
{
  const char *both[] = { certs->ca, certs->ca2, NULL };
  const char *first_only[] = { certs->ca, NULL };
  const char *second_only[] = { certs->ca2, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (certs->ca, &error);

  g_test_summary ("A certificate signed by the second of two tls-ca-files (or by tls-ca-files when "
                  "tls-database is another CA) is accepted; with only the other CA it is not");
  g_assert_no_error (error);

  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_ca_files (f->client, both);
  assert_opens_and_echoes (f);

  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_database (f->client, db);
  fws_client_set_tls_ca_files (f->client, second_only);
  assert_opens_and_echoes (f);

  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_ca_files (f->client, first_only);
  g_assert_error (assert_fails (f), G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (f->events->error->message, "not signed by a trusted certificate authority"));
}

static void
test_untrusted (Fixture *f, gconstpointer data)
{
  g_autofree char *want = NULL;

  g_test_summary ("Verification is on by default: a certificate from an unknown CA fails with "
                  "G_TLS_ERROR_BAD_CERTIFICATE saying so, then close 1006, once each");
  new_client (f, "127.0.0.1", "/");
  assert_bad_certificate (f, "not signed by a trusted certificate authority");
  want = g_strdup_printf ("The TLS certificate of 127.0.0.1:%u is not acceptable: ", f->port);
  g_assert_true (g_str_has_prefix (f->events->error->message, want));
  g_assert_cmpstr (f->events->close_reason, ==, f->events->error->message);
}

static void
test_wrong_host (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };

  g_test_summary ("A trusted certificate for other.example fails for 127.0.0.1 (another host name)");
  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_bad_certificate (f, "it is for another host name");
}

static void
test_expired (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };

  g_test_summary ("A trusted certificate that expired in 2002 fails (expired)");
  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_bad_certificate (f, "it has expired");
}

static void
test_verify_off (Fixture *f, gconstpointer data)
{
  g_test_summary ("With tls-verify FALSE, an untrusted, wrong-name or expired certificate is accepted");
  new_client (f, "127.0.0.1", "/");
  g_object_set (f->client, "tls-verify", FALSE, NULL);
  g_assert_false (fws_client_get_tls_verify (f->client));
  assert_opens_and_echoes (f);
}

static void
test_bad_ca_file (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { "/nonexistent/fws-ca.pem", NULL };

  g_test_summary ("A tls-ca-files entry that cannot be read fails the connection, naming the file");
  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_ca_files (f->client, ca_files);
  assert_fails (f);
  g_assert_nonnull (strstr (f->events->error->message, "/nonexistent/fws-ca.pem"));
}

/* SoupServer 3.2 cannot take client certificates: with tls-auth-mode set,
 * glib-networking 2.74 asks the server connection's accept-certificate
 * handler, which libsoup 3.2 does not connect, so every certificate is
 * refused. This server is a GTlsServerConnection of our own, in a thread,
 * that answers the WebSocket handshake and records what the client sent. */
typedef struct
{
  GTlsCertificate *cert;
  GTlsDatabase    *database;
  GMutex           lock;
  GTlsCertificate *peer;      /* (locked) */
  guint            handshakes;  /* (locked) */
  gint             finished;    /* (atomic) workers done */
} AuthServer;

static gboolean
auth_accept_cb (GTlsConnection *conn, GTlsCertificate *peer, GTlsCertificateFlags errors, gpointer user_data)
{
  AuthServer *s = user_data;

  g_mutex_lock (&s->lock);
  g_set_object (&s->peer, peer);
  g_mutex_unlock (&s->lock);
  return errors == 0;
}

static void
auth_serve (AuthServer *s, GSocketConnection *connection)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GString) head = g_string_new (NULL);
  g_autofree char *key = NULL;
  g_autofree char *accept = NULL;
  g_autofree char *answer = NULL;
  const char *line;
  char buf[1024];

  tls = g_tls_server_connection_new (G_IO_STREAM (connection), s->cert, NULL);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), s->database);
  g_object_set (tls, "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED, NULL);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (auth_accept_cb), s);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, NULL))
    return;
  g_mutex_lock (&s->lock);
  s->handshakes++;
  g_mutex_unlock (&s->lock);
  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      char ch;

      if (g_input_stream_read (g_io_stream_get_input_stream (tls), &ch, 1, NULL, NULL) <= 0)
        return;
      g_string_append_c (head, ch);
    }
  line = strstr (head->str, "Sec-WebSocket-Key: ");
  if (line == NULL)
    return;
  key = g_strndup (line + 19, strcspn (line + 19, "\r\n"));
  accept = fws_handshake_accept_key (key);
  answer = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
  g_output_stream_write_all (g_io_stream_get_output_stream (tls), answer, strlen (answer), NULL, NULL, NULL);
  while (g_input_stream_read (g_io_stream_get_input_stream (tls), buf, sizeof buf, NULL, NULL) > 0)
    ;
}

static gboolean
auth_run_cb (GThreadedSocketService *service, GSocketConnection *connection,
             GObject *source, gpointer user_data)
{
  AuthServer *s = user_data;

  auth_serve (s, connection);
  g_atomic_int_inc (&s->finished);
  return TRUE;
}

static void
test_client_certificate (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) mine = fws_test_certs_load (certs->client_cert, certs->client_key);
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (2);
  AuthServer s = { 0 };
  guint16 port;
  gboolean seen;

  g_test_summary ("tls-certificate is presented to a server that asks for one; without it the server sees none");
  g_mutex_init (&s.lock);
  s.cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  s.database = g_tls_file_database_new (certs->ca, &error);
  g_assert_no_error (error);
  port = fws_test_listen_loopback (G_SOCKET_LISTENER (service));
  g_signal_connect (service, "run", G_CALLBACK (auth_run_cb), &s);
  g_socket_service_start (service);
  f->port = port;

  new_client (f, "127.0.0.1", "/");
  /* This server never answers a close frame. */
  fws_web_socket_set_close_timeout (FWS_WEB_SOCKET (f->client), 100);
  fws_client_set_tls_ca_files (f->client, ca_files);
  fws_client_set_tls_certificate (f->client, mine);
  g_assert_true (fws_client_get_tls_certificate (f->client) == mine);
  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->opens, ==, 1);
  g_mutex_lock (&s.lock);
  seen = s.peer != NULL && g_tls_certificate_is_same (s.peer, mine);
  g_mutex_unlock (&s.lock);
  g_assert_true (seen);
  close_client (f);

  g_mutex_lock (&s.lock);
  g_clear_object (&s.peer);
  g_mutex_unlock (&s.lock);
  new_client (f, "127.0.0.1", "/");
  fws_web_socket_set_close_timeout (FWS_WEB_SOCKET (f->client), 100);
  fws_client_set_tls_ca_files (f->client, ca_files);
  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
  g_assert_cmpuint (f->events->opens, ==, 1);
  close_client (f);
  g_mutex_lock (&s.lock);
  g_assert_null (s.peer);
  g_assert_cmpuint (s.handshakes, ==, 2);
  g_mutex_unlock (&s.lock);

  /* The workers end when their clients are gone. */
  fws_test_wait_until (g_atomic_int_get (&s.finished) == 2, 10);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_clear_object (&service);
  g_clear_object (&s.cert);
  g_clear_object (&s.database);
  g_mutex_clear (&s.lock);
}

static GBytes *
random_bytes (gsize len)
{
  guint8 *buf = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_test_rand_int_range (0, 256);
  return g_bytes_new_take (buf, len);
}

static void
test_large_messages (Fixture *f, gconstpointer data)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autoptr(GBytes) up = random_bytes (16 * 1024 * 1024);
  g_autoptr(GBytes) down = random_bytes (16 * 1024 * 1024 + 3);
  g_autoptr(GError) error = NULL;

  g_test_summary ("16 MiB from the client (echoed back) and 16 MiB + 3 from the server cross TLS intact "
                  "(16 KiB records written and read in chunks)");
  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_ca_files (f->client, ca_files);
  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
  g_assert_cmpuint (f->events->opens, ==, 1);

  fws_web_socket_send_binary (FWS_WEB_SOCKET (f->client), up, &error);
  g_assert_no_error (error);
  fws_test_wait_until (f->events->messages->len == 1 || f->events->closes > 0, 60);
  g_assert_cmpuint (f->server_events->messages->len, ==, 1);
  g_assert_true (g_bytes_equal (f->server_events->messages->pdata[0], up));
  g_assert_true (g_bytes_equal (f->events->messages->pdata[0], up));

  fws_web_socket_send_binary (f->server_ws, down, &error);
  g_assert_no_error (error);
  fws_test_wait_until (f->events->messages->len == 2 || f->events->closes > 0, 60);
  g_assert_true (g_bytes_equal (f->events->messages->pdata[1], down));
  fws_test_wait_until (fws_web_socket_get_buffered_amount (f->server_ws) == 0, 10);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (FWS_WEB_SOCKET (f->client)), ==, 0);
  g_assert_cmpuint (f->events->errors + f->server_events->errors, ==, 0);
}

/* An HTTP server that answers anything with a 400, at once. */
static gboolean
plain_http_run_cb (GThreadedSocketService *service, GSocketConnection *connection,
                   GObject *source, gpointer user_data)
{
  static const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  char buf[1024];

  if (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buf, sizeof buf, NULL, NULL) > 0)
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                               answer, strlen (answer), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
test_not_tls (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (2);
  g_autofree char *want = NULL;

  g_test_summary ("wss:// to a server that answers in plain HTTP fails with a GIO TLS error naming the server");
  f->port = fws_test_listen_loopback (G_SOCKET_LISTENER (service));
  g_signal_connect (service, "run", G_CALLBACK (plain_http_run_cb), NULL);
  g_socket_service_start (service);

  new_client (f, "127.0.0.1", "/");
  fws_client_set_tls_verify (f->client, FALSE);
  assert_fails (f);
  g_assert_true (f->events->error->domain == G_TLS_ERROR || f->events->error->domain == G_IO_ERROR);
  want = g_strdup_printf ("TLS handshake with 127.0.0.1:%u failed: ", f->port);
  g_assert_true (g_str_has_prefix (f->events->error->message, want));
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
}

static void
test_forwarded (Fixture *f, gconstpointer data)
{
  static const struct { const char *name; const char *value; const char *scheme; } cases[] = {
    { NULL, NULL, "ws" },
    { "X-Forwarded-Proto", "https", "wss" },
    { "X-Forwarded-Proto", "HTTPS", "wss" },
    { "X-Forwarded-Ssl", "on", "wss" },
    { "X-Forwarded-Scheme", "https", "wss" },
    { "X-Forwarded-Proto", "http", "ws" },
    { "X-Forwarded-Ssl", "off", "ws" },
  };

  g_test_summary ("Behind a TLS-terminating proxy the server reports wss:// when X-Forwarded-Proto or "
                  "-Scheme is https or X-Forwarded-Ssl is on, ws:// otherwise (BEHAVIOUR.md 1.2)");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/fw?i=%u", f->port, i);
      g_autofree char *want = g_strdup_printf ("%s://127.0.0.1:%u/fw?i=%u", cases[i].scheme, f->port, i);

      if (cases[i].name)
        soup_message_headers_append (extra, cases[i].name, cases[i].value);
      close_client (f);
      f->client = g_object_new (FWS_TYPE_CLIENT, "url", url, "extra-headers", extra,
                                "use-system-proxy", FALSE, NULL);
      fws_test_events_watch (f->events, FWS_WEB_SOCKET (f->client));
      fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
      g_assert_cmpuint (f->events->opens, ==, 1);
      g_assert_cmpstr (f->server_url, ==, want);
    }
}

static void
test_no_backend (void)
{
  g_test_summary ("Without a TLS backend, wss:// fails saying to install glib-networking, then close 1006");
  if (g_test_subprocess ())
    {
      FwsTestEvents *e = fws_test_events_new (FALSE);
      FwsClient *client;

      /* Before anything asks GIO for its TLS backend. */
      g_setenv ("GIO_USE_TLS", "dummy", TRUE);
      client = fws_client_new ("wss://127.0.0.1:9/", NULL, NULL);
      fws_client_set_use_system_proxy (client, FALSE);
      fws_test_events_watch (e, FWS_WEB_SOCKET (client));
      fws_test_wait_until (e->closes > 0, 10);
      g_assert_error (e->error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED);
      g_assert_cmpstr (e->error->message, ==, "TLS is not available: install glib-networking");
      g_assert_cmpuint (e->errors, ==, 1);
      g_assert_cmpuint (e->closes, ==, 1);
      g_assert_cmpuint (e->close_code, ==, 1006);
      g_assert_cmpuint (e->opens, ==, 0);
      g_object_unref (client);
      fws_test_events_free (e);
      return;
    }
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The no-backend child must reach GIO's TLS backend only after choosing it. */
  if (!g_test_subprocess ())
    certs = fws_test_certs_new ();

#define ADD(path, kind, fn) \
  g_test_add ("/tls/" path, Fixture, GINT_TO_POINTER (kind), setup, fn, teardown)
  ADD ("ca-file", SERVER_GOOD, test_ca_file);
  ADD ("ca-file-dns-name", SERVER_GOOD, test_ca_file_dns_name);
  ADD ("database", SERVER_GOOD, test_database);
  ADD ("second-ca", SERVER_CA2, test_second_ca);
  ADD ("untrusted", SERVER_GOOD, test_untrusted);
  ADD ("wrong-host", SERVER_OTHER, test_wrong_host);
  ADD ("expired", SERVER_EXPIRED, test_expired);
  ADD ("verify-off/untrusted", SERVER_GOOD, test_verify_off);
  ADD ("verify-off/wrong-host", SERVER_OTHER, test_verify_off);
  ADD ("verify-off/expired", SERVER_EXPIRED, test_verify_off);
  ADD ("bad-ca-file", SERVER_GOOD, test_bad_ca_file);
  ADD ("client-certificate", SERVER_GOOD, test_client_certificate);
  ADD ("large-messages", SERVER_GOOD, test_large_messages);
  ADD ("not-tls", SERVER_PLAIN, test_not_tls);
  ADD ("forwarded", SERVER_PLAIN, test_forwarded);
#undef ADD
  g_test_add_func ("/tls/no-backend", test_no_backend);

  ret = g_test_run ();
  fws_test_certs_free (certs);
  return ret;
}
