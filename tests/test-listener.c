/* test-listener.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsListener against peers written here: clients that never finish their
 * head or their TLS handshake, a burst past the descriptor limit, a
 * WebSocket request that announces a 256 MiB body. Every bound is asserted
 * through the listener's counters and what the peer reads, never by time.
 */
#include "test-tls-utils.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define WS_HEAD \
  "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

/* ---- A raw peer on the test's own loop ---- */

static GSocket *
raw_connect (guint port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (lo, (guint16) port);
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  /* The kernel completes the connect from the backlog. */
  g_socket_connect (sock, address, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (sock, FALSE);
  return sock;
}

static void
raw_send (GSocket    *sock,
          const char *text)
{
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_send (sock, text, strlen (text), NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (n, ==, (gssize) strlen (text));
}

/* Reads what is there; TRUE once the peer closed (EOF or reset). */
static gboolean
raw_poll (GSocket *sock,
          GString *into)
{
  char buf[4096];
  gssize n;

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      n = g_socket_receive (sock, buf, sizeof buf, NULL, &error);
      if (n > 0)
        {
          g_string_append_len (into, buf, n);
          continue;
        }
      if (n == 0)
        return TRUE;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return FALSE;
      return TRUE;
    }
}

/* Iterates until the peer has a whole response head (or was closed). */
static GString *
raw_read_head (GSocket *sock,
               guint    seconds)
{
  GString *got = g_string_new (NULL);
  gboolean closed = FALSE;

  fws_test_wait_until ((closed = raw_poll (sock, got)) || strstr (got->str, "\r\n\r\n") != NULL, seconds);
  return got;
}

static void
assert_closed_by_server (GSocket *sock)
{
  g_autoptr(GString) got = g_string_new (NULL);

  fws_test_wait_until (raw_poll (sock, got), 5);
  g_assert_cmpuint (got->len, ==, 0);
}

/* ---- Servers ---- */

typedef struct
{
  guint    handled;
  gboolean https;    /* the last request's URI */
} Counts;

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Counts *counts = user_data;

  counts->handled++;
  counts->https = g_strcmp0 (g_uri_get_scheme (soup_server_message_get_uri (msg)), "https") == 0;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok\n", 3);
}

static SoupServer *
soup_server_for_test (Counts *counts)
{
  SoupServer *server = soup_server_new (NULL, NULL);

  soup_server_add_handler (server, NULL, handle, counts, NULL);
  return server;
}

static void
respond_ok (FwsListener *listener,
            FwsRequest  *request,
            gpointer     user_data)
{
  Counts *counts = user_data;

  counts->handled++;
  g_assert_true (fws_request_respond (request, 200, NULL, "ok\n", NULL));
}

/* ---- The first head: a deadline ---- */

static void
check_head_deadline (gboolean soup)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsListener) listener = fws_listener_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GSocket) slow = NULL;
  g_autoptr(GSocket) good = NULL;
  g_autoptr(GString) head = NULL;
  Counts counts = { 0 };

  if (soup)
    {
      server = soup_server_for_test (&counts);
      fws_listener_set_soup_server (listener, server);
    }
  else
    g_signal_connect (listener, "request", G_CALLBACK (respond_ok), &counts);
  fws_listener_set_handshake_timeout (listener, 1000);
  g_assert_true (fws_listener_listen_local (listener, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fws_listener_get_port (listener), >, 0);

  /* A head that never ends. */
  slow = raw_connect (fws_listener_get_port (listener));
  raw_send (slow, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  fws_test_wait_until (fws_listener_get_n_pending (listener) == 1, 5);

  /* A client with its whole head meanwhile is served. */
  good = raw_connect (fws_listener_get_port (listener));
  raw_send (good, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  head = raw_read_head (good, 5);
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 200"));
  g_assert_cmpuint (counts.handled, ==, 1);

  /* The slow one is closed at the deadline, and counted. */
  fws_test_wait_until (fws_listener_get_n_timed_out (listener) == 1, 5);
  assert_closed_by_server (slow);
  g_assert_cmpuint (fws_listener_get_n_pending (listener), ==, 0);
  g_assert_cmpuint (fws_listener_get_n_accepted (listener), ==, 2);
  g_assert_cmpuint (fws_listener_get_n_refused (listener), ==, 0);
  g_assert_cmpuint (counts.handled, ==, 1);
}

static void
test_head_deadline_soup (void)
{
  check_head_deadline (TRUE);
}

static void
test_head_deadline_request (void)
{
  check_head_deadline (FALSE);
}

/* Request mode: a malformed head gets FwsRequest's 400 whole before the
 * close. */
static void
test_malformed_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsListener) listener = fws_listener_new ();
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GString) got = g_string_new (NULL);
  Counts counts = { 0 };

  g_signal_connect (listener, "request", G_CALLBACK (respond_ok), &counts);
  g_assert_true (fws_listener_listen_local (listener, 0, &error));
  g_assert_no_error (error);
  sock = raw_connect (fws_listener_get_port (listener));
  raw_send (sock, "NOT HTTP AT ALL\r\n\r\n");
  fws_test_wait_until (raw_poll (sock, got), 5);
  g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 400 Bad Request\r\n"));
  g_assert_true (g_str_has_suffix (got->str, "Malformed HTTP request head\n"));
  g_assert_cmpuint (counts.handled, ==, 0);
  g_assert_cmpuint (fws_listener_get_n_pending (listener), ==, 0);
}

/* ---- TLS: a deadline and a cap on unfinished handshakes ---- */

typedef struct
{
  guint    port;
  GString *got;
  gint     done;
} TlsClient;

static gboolean
accept_any (GTlsConnection       *conn,
            GTlsCertificate      *cert,
            GTlsCertificateFlags  errors,
            gpointer              user_data)
{
  return TRUE;
}

/* A well-behaved TLS client, blocking, in its own thread. */
static gpointer
tls_client_thread (gpointer data)
{
  TlsClient *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GIOStream) tls = NULL;
  static const char request[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  char buf[1024];
  gssize n;

  g_socket_client_set_timeout (client, 10);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) c->port, NULL, &error);
  if (conn != NULL)
    tls = g_tls_client_connection_new (G_IO_STREAM (conn), NULL, &error);
  if (tls != NULL)
    {
      g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
      if (g_output_stream_write_all (g_io_stream_get_output_stream (tls), request, sizeof request - 1,
                                     NULL, NULL, &error))
        while ((n = g_input_stream_read (g_io_stream_get_input_stream (tls), buf, sizeof buf, NULL, &error)) > 0)
          g_string_append_len (c->got, buf, n);
    }
  if (error != NULL)
    g_string_append_printf (c->got, "error: %s", error->message);
  g_atomic_int_set (&c->done, 1);
  return NULL;
}

static void
run_tls_client (TlsClient *good,
                guint      port)
{
  GThread *thread;

  good->port = port;
  good->got = g_string_new (NULL);
  thread = g_thread_new ("tls-client", tls_client_thread, good);
  fws_test_wait_until (g_atomic_int_get (&good->done), 30);
  g_thread_join (thread);
}

static void
test_tls_pending_cap (void)
{
  FwsTestCerts *certs = fws_test_certs_new ();
  g_autoptr(GTlsCertificate) cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsListener) listener = fws_listener_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GSocket) late = NULL;
  GSocket *silent[6];
  TlsClient good = { 0 };
  Counts counts = { 0 };
  guint port, i;

  server = soup_server_for_test (&counts);
  g_object_set (listener,
                "soup-server", server,
                "tls-certificate", cert,
                "max-pending", 4,
                "handshake-timeout", 60000,
                NULL);
  g_assert_true (fws_listener_listen_local (listener, 0, &error));
  g_assert_no_error (error);
  port = fws_listener_get_port (listener);

  /* Three silent peers: a good client still gets through ... */
  for (i = 0; i < 3; i++)
    silent[i] = raw_connect (port);
  fws_test_wait_until (fws_listener_get_n_pending (listener) == 3, 10);
  run_tls_client (&good, port);
  g_assert_true (g_str_has_prefix (good.got->str, "HTTP/1.1 200"));
  g_assert_cmpuint (counts.handled, ==, 1);
  g_assert_true (counts.https);
  g_assert_cmpuint (fws_listener_get_n_pending (listener), ==, 3);

  /* ... a fourth fills the cap, and the next two are closed as soon as
   * they are accepted. */
  silent[3] = raw_connect (port);
  fws_test_wait_until (fws_listener_get_n_pending (listener) == 4, 10);
  for (i = 4; i < 6; i++)
    silent[i] = raw_connect (port);
  fws_test_wait_until (fws_listener_get_n_refused (listener) == 2, 10);
  assert_closed_by_server (silent[4]);
  assert_closed_by_server (silent[5]);
  g_assert_cmpuint (fws_listener_get_n_pending (listener), ==, 4);

  /* Peers that leave free their places. */
  for (i = 0; i < 6; i++)
    g_object_unref (silent[i]);
  fws_test_wait_until (fws_listener_get_n_pending (listener) == 0, 10);
  g_assert_cmpuint (fws_listener_get_n_timed_out (listener), ==, 0);

  /* The handshake deadline closes a peer that stays silent. */
  fws_listener_set_handshake_timeout (listener, 300);
  late = raw_connect (port);
  fws_test_wait_until (fws_listener_get_n_timed_out (listener) == 1, 10);
  assert_closed_by_server (late);
  g_assert_cmpuint (fws_listener_get_n_pending (listener), ==, 0);
  g_assert_cmpuint (fws_listener_get_n_accepted (listener), ==, 8);

  g_string_free (good.got, TRUE);
  fws_test_certs_free (certs);
}

/* ---- Out of descriptors: pause, never stop ---- */

static void
fill_up (GArray *fillers)
{
  int fd;

  while ((fd = dup (0)) >= 0)
    g_array_append_val (fillers, fd);
}

static void
test_emfile (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsListener) listener = fws_listener_new ();
  g_autoptr(GArray) fillers = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GString) head = NULL;
  GSocket *clients[4];
  struct rlimit saved, low;
  Counts counts = { 0 };
  guint64 pauses;
  int fd, probe;
  guint i;

  /* valgrind keeps descriptors of its own and emulates the limit. */
  if (g_getenv ("FWS_UNDER_VALGRIND") != NULL)
    {
      g_test_skip ("descriptor limits are emulated under valgrind");
      return;
    }
  g_signal_connect (listener, "request", G_CALLBACK (respond_ok), &counts);
  g_assert_true (fws_listener_listen_local (listener, 0, &error));
  g_assert_no_error (error);

  for (i = 0; i < 3; i++)
    clients[i] = raw_connect (fws_listener_get_port (listener));

  /* A low limit, so that filling the table is cheap. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  probe = dup (0);
  g_assert_cmpint (probe, >=, 0);
  close (probe);
  low = saved;
  low.rlim_cur = MIN ((rlim_t) probe + 64, saved.rlim_cur);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
  while ((fd = dup (0)) >= 0)
    g_array_append_val (fillers, fd);
  g_assert_cmpint (errno, ==, EMFILE);

  /* The three connections wait in the backlog; accepting pauses, and
   * tries again (a descriptor another test's object frees meanwhile is
   * taken back at once). */
  fws_test_wait_until ((fill_up (fillers), fws_listener_get_n_accept_pauses (listener) >= 3), 5);
  g_assert_cmpuint (fws_listener_get_n_accepted (listener), <, 3);

  for (i = 0; i < fillers->len; i++)
    close (g_array_index (fillers, int, i));
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);

  /* It resumes by itself: the waiting ones and a new one are served. */
  fws_test_wait_until (fws_listener_get_n_accepted (listener) == 3, 5);
  pauses = fws_listener_get_n_accept_pauses (listener);
  clients[3] = raw_connect (fws_listener_get_port (listener));
  raw_send (clients[3], "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  head = raw_read_head (clients[3], 5);
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 200"));
  g_assert_cmpuint (fws_listener_get_n_accepted (listener), ==, 4);
  g_assert_cmpuint (fws_listener_get_n_accept_pauses (listener), ==, pauses);

  for (i = 0; i < 4; i++)
    g_object_unref (clients[i]);
}

/* ---- A body on a WebSocket or EventSource request ---- */

static void
check_body_refused (const char *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsListener) listener = fws_listener_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GString) head = NULL;
  Counts counts = { 0 };

  server = soup_server_for_test (&counts);
  fws_listener_set_soup_server (listener, server);
  g_assert_true (fws_listener_listen_local (listener, 0, &error));
  g_assert_no_error (error);

  /* 256 MiB announced, a few bytes sent: the answer cannot have waited
   * for the body. */
  sock = raw_connect (fws_listener_get_port (listener));
  raw_send (sock, request);
  head = raw_read_head (sock, 5);
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 400"));
  g_assert_cmpuint (counts.handled, ==, 0);
  assert_closed_by_server (sock);
  g_assert_cmpuint (fws_listener_get_n_pending (listener), ==, 0);
}

static void
test_body_refused_websocket (void)
{
  check_body_refused (WS_HEAD "Content-Length: 268435456\r\n\r\nabc");
}

static void
test_body_refused_event_source (void)
{
  check_body_refused ("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n10000000\r\nabc");
}

/* ---- allowed-origins, through both doors ---- */

static const char * const good_origins[] = { "https://good.example", "http://127.0.0.1:8080", NULL };

typedef struct
{
  guint  opens;
  guint  errors;
  guint  closes;
  guint  close_code;
} OriginEvents;

static void
ws_error_cb (FwsWebSocket *ws, GError *error, OriginEvents *ev)
{
  g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  ev->errors++;
}

static void
ws_close_cb (FwsWebSocket *ws, guint code, const char *reason, OriginEvents *ev)
{
  ev->closes++;
  ev->close_code = code;
}

static void
count_open_cb (GObject *object, OriginEvents *ev)
{
  ev->opens++;
}

static void
es_close_cb (FwsEventSource *es, OriginEvents *ev)
{
  ev->closes++;
}

static void
origins_handler (FwsTestRequest *request,
                 gpointer        user_data)
{
  OriginEvents *ev = user_data;
  g_autoptr(GError) error = NULL;

  if (fws_test_request_is_websocket (request))
    {
      g_autoptr(FwsWebSocket) ws = g_object_new (FWS_TYPE_WEB_SOCKET, "allowed-origins", good_origins, NULL);

      g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
      g_assert_no_error (error);
      g_signal_connect (ws, "open", G_CALLBACK (count_open_cb), ev);
      g_signal_connect (ws, "error", G_CALLBACK (ws_error_cb), ev);
      g_signal_connect (ws, "close", G_CALLBACK (ws_close_cb), ev);
    }
  else if (fws_test_request_is_event_source (request))
    {
      g_autoptr(FwsEventSource) es = g_object_new (FWS_TYPE_EVENT_SOURCE, NULL);

      g_assert_true (fws_test_request_accept_event_source (request, es, &error));
      g_assert_no_error (error);
      /* Options set right after the accept still apply. */
      fws_event_source_set_allowed_origins (es, good_origins);
      g_assert_cmpstrv (fws_event_source_get_allowed_origins (es), good_origins);
      g_signal_connect (es, "open", G_CALLBACK (count_open_cb), ev);
      g_signal_connect (es, "close", G_CALLBACK (es_close_cb), ev);
    }
  else
    fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
}

static GString *
ask (FwsTestServer *server,
     const char    *head)
{
  g_autoptr(GSocket) sock = raw_connect (fws_test_server_get_port (server));

  raw_send (sock, head);
  return raw_read_head (sock, 5);
}

static void
check_origins (FwsTestDoor door,
               gboolean    websocket)
{
  OriginEvents ev = { 0 };
  FwsTestServer *server = fws_test_server_start (door, NULL, origins_handler, &ev);
  const char *head = websocket ? WS_HEAD : "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  const char *ok = websocket ? "HTTP/1.1 101" : "HTTP/1.1 200";
  g_autofree char *foreign = g_strconcat (head, "Origin: https://evil.example\r\n\r\n", NULL);
  g_autofree char *cased = g_strconcat (head, "Origin: https://GOOD.example\r\n\r\n", NULL);
  g_autofree char *twice = g_strconcat (head, "Origin: https://good.example\r\nOrigin: https://evil.example\r\n\r\n", NULL);
  g_autofree char *good = g_strconcat (head, "Origin: https://good.example\r\n\r\n", NULL);
  g_autofree char *none = g_strconcat (head, "\r\n", NULL);
  g_autoptr(GString) got = NULL;

  /* Another origin: exactly this 403, then the end; and no open. */
  {
    g_autoptr(GSocket) sock = raw_connect (fws_test_server_get_port (server));

    got = g_string_new (NULL);
    raw_send (sock, foreign);
    fws_test_wait_until (raw_poll (sock, got), 5);
    g_assert_cmpstr (got->str, ==, "HTTP/1.1 403 Forbidden\r\n"
                                   "Content-Type: text/plain; charset=utf-8\r\n"
                                   "Content-Length: 19\r\n"
                                   "Connection: close\r\n"
                                   "\r\n"
                                   "Origin not allowed\n");
  }
  fws_test_wait_until (ev.closes == 1, 5);
  g_assert_cmpuint (ev.opens, ==, 0);
  if (websocket)
    {
      g_assert_cmpuint (ev.errors, ==, 1);
      g_assert_cmpuint (ev.close_code, ==, FWS_CLOSE_CODE_POLICY_VIOLATION);
    }
  g_string_free (got, TRUE);

  /* Exact: another case is another origin; two Origin headers never pass. */
  got = ask (server, cased);
  g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 403"));
  g_string_free (got, TRUE);
  got = ask (server, twice);
  g_assert_true (g_str_has_prefix (got->str, "HTTP/1.1 403"));
  g_string_free (got, TRUE);
  fws_test_wait_until (ev.closes == 3, 5);
  g_assert_cmpuint (ev.opens, ==, 0);

  /* A listed origin, and no Origin at all (not a browser), are accepted. */
  got = ask (server, good);
  g_assert_true (g_str_has_prefix (got->str, ok));
  g_string_free (got, TRUE);
  got = ask (server, none);
  g_assert_true (g_str_has_prefix (got->str, ok));
  fws_test_wait_until (ev.opens == 2, 5);
  fws_test_wait_until (ev.closes == 5, 5);

  fws_test_server_stop (server);
}

static void
test_origins_websocket_soup (void)
{
  check_origins (FWS_TEST_DOOR_SOUP, TRUE);
}

static void
test_origins_websocket_stream (void)
{
  check_origins (FWS_TEST_DOOR_STREAM, TRUE);
}

static void
test_origins_event_source_soup (void)
{
  check_origins (FWS_TEST_DOOR_SOUP, FALSE);
}

static void
test_origins_event_source_stream (void)
{
  check_origins (FWS_TEST_DOOR_STREAM, FALSE);
}

static void
test_origins_default (void)
{
  g_autoptr(FwsWebSocket) ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  g_auto(GStrv) origins = NULL;

  g_assert_null (fws_web_socket_get_allowed_origins (ws));
  fws_web_socket_set_allowed_origins (ws, good_origins);
  g_object_get (ws, "allowed-origins", &origins, NULL);
  g_assert_cmpstrv (origins, good_origins);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/listener/head-deadline/soup", test_head_deadline_soup);
  g_test_add_func ("/listener/head-deadline/request", test_head_deadline_request);
  g_test_add_func ("/listener/malformed-request", test_malformed_request);
  g_test_add_func ("/listener/tls-pending-cap", test_tls_pending_cap);
  g_test_add_func ("/listener/emfile", test_emfile);
  g_test_add_func ("/listener/body-refused/websocket", test_body_refused_websocket);
  g_test_add_func ("/listener/body-refused/event-source", test_body_refused_event_source);
  g_test_add_func ("/origins/default", test_origins_default);
  g_test_add_func ("/origins/websocket/soup", test_origins_websocket_soup);
  g_test_add_func ("/origins/websocket/stream", test_origins_websocket_stream);
  g_test_add_func ("/origins/event-source/soup", test_origins_event_source_soup);
  g_test_add_func ("/origins/event-source/stream", test_origins_event_source_stream);
  return g_test_run ();
}
