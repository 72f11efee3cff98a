/* test-reconnect.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The reconnect policy of FwsClient and FwsEventSourceClient, over
 * loopback sockets:
 *   - the backoff's caps and jitter, and which errors are final (table);
 *   - a SoupServer on 127.0.0.1 that goes away (fws_server_close_all, then
 *     its listener closed) and comes back on the same port: the client
 *     says it is reconnecting, with the attempt number, a delay within
 *     [0, cap] and why; attempts against the closed port are refused;
 *     once the server is back it opens again and messages flow;
 *   - max attempts used up: error, close 1006, CLOSED, nothing more;
 *   - attempts that time out in the TLS handshake (a server that accepts
 *     and never speaks): the next starts once the connector let go;
 *   - a GNetworkMonitor the test controls (TestNetworkMonitor below, a
 *     real implementation of the interface whose network-available the
 *     test flips): while unavailable no attempt reaches the server; when
 *     it comes back the client reconnects at once, long before a 60 s
 *     backoff;
 *   - what does not reconnect: close () by the program (also while
 *     waiting), a close frame with 1000, a 404, an untrusted certificate,
 *     and the default (reconnect FALSE); a 503 does reconnect;
 *   - the EventSource client under the policy: reconnecting with
 *     Last-Event-ID after the server came back, its max attempts, and the
 *     network monitor.
 * Every wait is bounded; delays are asserted against their caps, or
 * exactly with the test's random source (fws_reconnect_set_test_random).
 */
#include "test-utils.h"
#include "test-tls-utils.h"

#include "fws-reconnect-private.h"
#include "fws-web-socket-private.h"

#include <string.h>

/* ---- A network monitor whose state the test sets ---- */

#define TEST_TYPE_NETWORK_MONITOR (test_network_monitor_get_type ())
G_DECLARE_FINAL_TYPE (TestNetworkMonitor, test_network_monitor, TEST, NETWORK_MONITOR, GObject)

struct _TestNetworkMonitor
{
  GObject  parent_instance;
  gboolean available;
};

enum
{
  MON_PROP_0,
  MON_PROP_NETWORK_AVAILABLE,
  MON_PROP_NETWORK_METERED,
  MON_PROP_CONNECTIVITY,
};

static gboolean
test_network_monitor_initable_init (GInitable     *initable,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  return TRUE;
}

static void
test_network_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = test_network_monitor_initable_init;
}

static gboolean
test_network_monitor_can_reach (GNetworkMonitor     *monitor,
                                GSocketConnectable  *connectable,
                                GCancellable        *cancellable,
                                GError             **error)
{
  if (TEST_NETWORK_MONITOR (monitor)->available)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "Network unreachable");
  return FALSE;
}

static void
test_network_monitor_iface_init (GNetworkMonitorInterface *iface)
{
  iface->can_reach = test_network_monitor_can_reach;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestNetworkMonitor, test_network_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, test_network_monitor_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR, test_network_monitor_iface_init))

static void
test_network_monitor_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TestNetworkMonitor *self = TEST_NETWORK_MONITOR (object);

  switch (prop_id)
    {
    case MON_PROP_NETWORK_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case MON_PROP_NETWORK_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case MON_PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_network_monitor_class_init (TestNetworkMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_network_monitor_get_property;
  g_object_class_override_property (object_class, MON_PROP_NETWORK_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, MON_PROP_NETWORK_METERED, "network-metered");
  g_object_class_override_property (object_class, MON_PROP_CONNECTIVITY, "connectivity");
}

static void
test_network_monitor_init (TestNetworkMonitor *self)
{
  self->available = TRUE;
}

/* As GIO's monitors do: network-changed, then the notify. */
static void
test_network_monitor_set_available (TestNetworkMonitor *self,
                                    gboolean            available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_signal_emit_by_name (self, "network-changed", available);
  g_object_notify (G_OBJECT (self), "network-available");
}

/* ---- The test's random source: the top of every range ---- */

static guint32
max_random (void)
{
  return G_MAXUINT32;
}

/* ---- A WebSocket server on a port of the test's choice ---- */

typedef struct
{
  SoupServer *soup;
  guint       port;
  guint       requests;   /* handshakes that reached it */
  GPtrArray  *sockets;    /* of FwsWebSocket */
  GPtrArray  *streams;    /* of FwsEventSource */
  GPtrArray  *last_ids;   /* of char *: each EventSource request's Last-Event-ID, or "(none)" */
  double      retry;      /* what its event streams send */
} Server;

static void
server_echo_cb (FwsWebSocket   *ws,
                FwsMessageType  type,
                GBytes         *data,
                gpointer        user_data)
{
  fws_web_socket_send (ws, type, data, NULL);
}

static void
server_open_cb (FwsWebSocket *ws,
                gpointer      user_data)
{
  const char *url = fws_web_socket_get_url (ws);

  if (g_str_has_suffix (url, "/close-1000"))
    fws_web_socket_close (ws, 1000, "bye", NULL);
}

static void
stream_open_cb (FwsEventSource *es,
                Server         *s)
{
  guint n = s->streams->len;
  g_autofree char *id = g_strdup_printf ("%u", n);
  g_autofree char *data = g_strdup_printf ("event %u", n);

  fws_event_source_send (es, data, NULL, id, NULL);
}

static void
server_handler (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Server *s = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;

  s->requests++;
  if (g_str_equal (path, "/status-404"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (g_str_equal (path, "/status-503"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }
  if (g_str_equal (path, "/events"))
    {
      const char *last_id = soup_message_headers_get_one (headers, "Last-Event-ID");
      FwsEventSource *es = g_object_new (FWS_TYPE_EVENT_SOURCE, "retry", s->retry, NULL);

      g_ptr_array_add (s->last_ids, g_strdup (last_id ? last_id : "(none)"));
      g_ptr_array_add (s->streams, es);
      g_signal_connect (es, "open", G_CALLBACK (stream_open_cb), s);
      g_assert_true (fws_event_source_accept (es, msg, &error));
      g_assert_no_error (error);
      return;
    }
  {
    FwsWebSocket *ws = fws_web_socket_new (msg, NULL, &error);

    g_assert_no_error (error);
    g_signal_connect (ws, "message", G_CALLBACK (server_echo_cb), NULL);
    g_signal_connect (ws, "open", G_CALLBACK (server_open_cb), NULL);
    g_ptr_array_add (s->sockets, ws);
  }
}

/* Listens on 127.0.0.1:@port (0: a free one). */
static void
server_start (Server *s,
              guint   port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, (guint16) port);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) sock = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (sock, addr, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (sock, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  s->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (s->soup, NULL, server_handler, s, NULL);
  soup_server_listen_socket (s->soup, sock, 0, &error);
  g_assert_no_error (error);
}

static Server *
server_new (guint port)
{
  Server *s = g_new0 (Server, 1);

  s->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  s->streams = g_ptr_array_new_with_free_func (g_object_unref);
  s->last_ids = g_ptr_array_new_with_free_func (g_free);
  s->retry = 0.05;
  server_start (s, port);
  return s;
}

static gboolean
all_closed (Server *s)
{
  for (guint i = 0; i < s->sockets->len; i++)
    if (fws_web_socket_get_ready_state (g_ptr_array_index (s->sockets, i)) != FWS_READY_STATE_CLOSED)
      return FALSE;
  for (guint i = 0; i < s->streams->len; i++)
    if (fws_event_source_get_ready_state (g_ptr_array_index (s->streams, i)) != FWS_READY_STATE_CLOSED)
      return FALSE;
  return TRUE;
}

/* The server goes away: every connection it serves is closed (1001 for
 * WebSockets), and nothing listens on its port any more. */
static void
server_go_away (Server *s)
{
  fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting");
  fws_test_wait_until (all_closed (s), 5);
  soup_server_disconnect (s->soup);
  g_clear_object (&s->soup);
}

static void
server_free (Server *s)
{
  if (s->soup != NULL)
    server_go_away (s);
  g_ptr_array_unref (s->sockets);
  g_ptr_array_unref (s->streams);
  g_ptr_array_unref (s->last_ids);
  g_free (s);
}

/* ---- What a client reported ---- */

typedef struct
{
  gpointer       client;        /* FwsClient or FwsEventSourceClient */
  guint          opens;
  guint          closes;
  guint          close_code;
  GPtrArray     *errors;        /* of GError */
  GArray        *attempts;      /* of guint */
  GArray        *delays;        /* of guint */
  GPtrArray     *causes;        /* of GError */
  GPtrArray     *messages;      /* of char * */
} Rec;

static void
rec_open_cb (gpointer client,
             Rec     *r)
{
  r->opens++;
}

static void
rec_ws_message_cb (FwsWebSocket   *ws,
                   FwsMessageType  type,
                   GBytes         *data,
                   Rec            *r)
{
  g_ptr_array_add (r->messages, g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data)));
}

static void
rec_es_message_cb (FwsEventSourceClient *client,
                   const char           *type,
                   const char           *data,
                   const char           *id,
                   Rec                  *r)
{
  g_ptr_array_add (r->messages, g_strdup_printf ("%s|%s", data, id));
}

static void
rec_error_cb (gpointer      client,
              const GError *error,
              Rec          *r)
{
  g_test_message ("error: %s", error->message);
  g_ptr_array_add (r->errors, g_error_copy (error));
}

static void
rec_close_cb (FwsWebSocket *ws,
              guint         code,
              const char   *reason,
              Rec          *r)
{
  g_assert_cmpint (fws_web_socket_get_ready_state (ws), ==, FWS_READY_STATE_CLOSED);
  r->closes++;
  r->close_code = code;
}

static void
rec_reconnecting_cb (GObject      *client,
                     guint         attempt,
                     guint         delay,
                     const GError *error,
                     Rec          *r)
{
  FwsReadyState state;

  g_object_get (client, "ready-state", &state, NULL);
  g_test_message ("reconnecting: attempt %u in %u ms: %s", attempt, delay, error->message);
  g_assert_cmpint (state, ==, FWS_READY_STATE_CONNECTING);
  g_assert_nonnull (error);
  g_array_append_val (r->attempts, attempt);
  g_array_append_val (r->delays, delay);
  g_ptr_array_add (r->causes, g_error_copy (error));
}

static Rec *
rec_new (void)
{
  Rec *r = g_new0 (Rec, 1);

  r->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  r->causes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  r->attempts = g_array_new (FALSE, FALSE, sizeof (guint));
  r->delays = g_array_new (FALSE, FALSE, sizeof (guint));
  r->messages = g_ptr_array_new_with_free_func (g_free);
  return r;
}

static void
rec_watch (Rec      *r,
           gpointer  client)
{
  r->client = client;
  g_signal_connect (client, "open", G_CALLBACK (rec_open_cb), r);
  g_signal_connect (client, "error", G_CALLBACK (rec_error_cb), r);
  g_signal_connect (client, "reconnecting", G_CALLBACK (rec_reconnecting_cb), r);
  if (FWS_IS_CLIENT (client))
    {
      g_signal_connect (client, "message", G_CALLBACK (rec_ws_message_cb), r);
      g_signal_connect (client, "close", G_CALLBACK (rec_close_cb), r);
    }
  else
    g_signal_connect (client, "message", G_CALLBACK (rec_es_message_cb), r);
}

/* A WebSocket client of @path on @port with the policy on. */
static Rec *
ws_client (guint               port,
           const char         *path,
           TestNetworkMonitor *monitor,
           guint               initial_delay,
           guint               max_delay)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u%s", port, path);
  Rec *r = rec_new ();
  FwsClient *client = g_object_new (FWS_TYPE_CLIENT, "url", url, "reconnect", TRUE,
                                    "reconnect-initial-delay", initial_delay,
                                    "reconnect-max-delay", max_delay,
                                    "network-monitor", monitor, NULL);

  rec_watch (r, client);
  return r;
}

/* Closes the client if it is not closed, waits until it let go of itself,
 * and frees. */
static void
rec_free (Rec *r)
{
  GWeakRef weak;

  if (FWS_IS_CLIENT (r->client))
    {
      if (fws_web_socket_get_ready_state (r->client) < FWS_READY_STATE_CLOSING)
        fws_web_socket_close (r->client, 1000, NULL, NULL);
      fws_test_wait_until (r->closes == 1, 5);
    }
  else
    fws_event_source_client_close (r->client);
  g_weak_ref_init (&weak, r->client);
  g_signal_handlers_disconnect_by_data (r->client, r);
  g_clear_object (&r->client);
  fws_test_wait_until (({ GObject *o = g_weak_ref_get (&weak); gboolean gone = o == NULL;
                          g_clear_object (&o); gone; }), 5);
  g_weak_ref_clear (&weak);
  g_ptr_array_unref (r->errors);
  g_ptr_array_unref (r->causes);
  g_array_unref (r->attempts);
  g_array_unref (r->delays);
  g_ptr_array_unref (r->messages);
  g_free (r);
}

static guint
nth_uint (GArray *array,
          guint   i)
{
  g_assert_cmpuint (i, <, array->len);
  return g_array_index (array, guint, i);
}

static GError *
nth_error (GPtrArray *errors,
           guint      i)
{
  g_assert_cmpuint (i, <, errors->len);
  return g_ptr_array_index (errors, i);
}

static void
send_and_expect_echo (Rec        *r,
                      const char *text)
{
  guint before = r->messages->len;
  g_autoptr(GError) error = NULL;

  fws_web_socket_send_text (r->client, text, &error);
  g_assert_no_error (error);
  fws_test_wait_until (r->messages->len == before + 1, 5);
  g_assert_cmpstr (g_ptr_array_index (r->messages, before), ==, text);
}

static void
ping_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  *(int *) user_data = fws_web_socket_ping_finish (FWS_WEB_SOCKET (source), result, &error) ? 1 : -1;
}

/* The server pings its newest connection; the client's pong comes back. */
static void
server_ping_answered (Server *s)
{
  FwsWebSocket *ws = g_ptr_array_index (s->sockets, s->sockets->len - 1);
  g_autoptr(GBytes) payload = g_bytes_new_static ("are you there", 13);
  int done = 0;

  fws_web_socket_ping_async (ws, payload, NULL, ping_done_cb, &done);
  fws_test_wait_until (done != 0, 5);
  g_assert_cmpint (done, ==, 1);
}

/* ---- The policy's arithmetic ---- */

static void
test_backoff (void)
{
  static const struct { guint initial, max, step, cap; } caps[] = {
    { 1000, 30000, 0, 0 },
    { 1000, 30000, 1, 1000 },
    { 1000, 30000, 2, 2000 },
    { 1000, 30000, 5, 16000 },
    { 1000, 30000, 6, 30000 },
    { 1000, 30000, 1000, 30000 },
    { 0, 30000, 7, 0 },
    { 100, 50, 1, 50 },
    { G_MAXUINT, G_MAXUINT, 40, G_MAXUINT },
    { 3, G_MAXUINT, 33, G_MAXUINT },
  };
  static const struct { guint cap; guint32 random; guint delay; } jitters[] = {
    { 0, 0, 0 },
    { 0, G_MAXUINT32, 0 },
    { 1000, 0, 0 },
    { 1000, 0x80000000u, 500 },
    { 1000, G_MAXUINT32, 1000 },
    { 1, 0x7fffffffu, 0 },
    { 1, 0x80000000u, 1 },
    { G_MAXUINT, G_MAXUINT32, G_MAXUINT },
  };
  static const struct { const char *host; gboolean loopback; } hosts[] = {
    { "127.0.0.1", TRUE },
    { "127.45.6.7", TRUE },
    { "::1", TRUE },
    { "[::1]", TRUE },
    { "localhost", TRUE },
    { "LocalHost", TRUE },
    { "app.localhost", TRUE },
    { "128.0.0.1", FALSE },
    { "[::2]", FALSE },
    { "example.com", FALSE },
    { "localhost.example.com", FALSE },
    { "", FALSE },
    { NULL, FALSE },
  };
  g_autoptr(GError) bad_cert = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "x");
  g_autoptr(GError) tls_eof = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_EOF, "x");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "x");
  g_autoptr(GError) bad_url = g_error_new_literal (FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT, "x");
  g_autoptr(GError) timed_out = g_error_new_literal (FWS_ERROR, FWS_ERROR_TIMED_OUT, "x");

  g_test_summary ("The cap of attempt n is min (max, initial * 2^(n-1)), without overflow; the "
                  "jitter covers [0, cap]; loopback hosts are told apart; certificate and URL errors are "
                  "final, network errors not");

  for (guint i = 0; i < G_N_ELEMENTS (caps); i++)
    g_assert_cmpuint (fws_reconnect_cap (caps[i].initial, caps[i].max, caps[i].step), ==, caps[i].cap);
  for (guint i = 0; i < G_N_ELEMENTS (jitters); i++)
    g_assert_cmpuint (fws_reconnect_jitter (jitters[i].cap, jitters[i].random), ==, jitters[i].delay);

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    g_assert_cmpint (fws_reconnect_host_is_loopback (hosts[i].host), ==, hosts[i].loopback);

  g_assert_true (fws_reconnect_error_is_final (bad_cert));
  g_assert_true (fws_reconnect_error_is_final (bad_url));
  g_assert_false (fws_reconnect_error_is_final (tls_eof));
  g_assert_false (fws_reconnect_error_is_final (refused));
  g_assert_false (fws_reconnect_error_is_final (timed_out));
  g_assert_false (fws_reconnect_error_is_final (NULL));
}

/* ---- FwsClient ---- */

/* The client's high-water mark, as the property and the connection's
 * transport hold it. */
static void
assert_client_limits (FwsClient *client,
                      guint64    expected)
{
  guint64 queued, high = G_MAXUINT64;

  g_assert_cmpuint (fws_web_socket_get_high_water_mark (FWS_WEB_SOCKET (client)), ==, expected);
  fws_web_socket_get_queue (FWS_WEB_SOCKET (client), &queued, &high);
  g_assert_cmpuint (high, ==, expected);
}

static void
test_client_server_comes_back (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  static const guint caps[] = { 50, 100, 200, 400, 400 };
  Server *s = server_new (0);
  guint port = s->port;
  Rec *r;

  g_test_summary ("A server that goes away (1001, then its port closed) and comes back on the same "
                  "port: the client emits reconnecting with attempts 1, 2, 3... and delays that "
                  "double up to the cap, stays CONNECTING, and once the server is back opens again "
                  "(with the high-water mark set on the client, answering the server's pings) and messages flow; close is emitted only at "
                  "the end");

  fws_reconnect_set_test_random (max_random);
  r = ws_client (port, "/", monitor, 50, 400);
  fws_test_wait_until (r->opens == 1, 5);
  send_and_expect_echo (r, "before");
  {
    /* 64 KiB out before a pong: the pong's place in this connection's
     * byte count, which the next connection must not inherit. */
    g_autofree char *big = g_strnfill (65536, 'b');

    send_and_expect_echo (r, big);
    server_ping_answered (s);
  }
  assert_client_limits (r->client, 0);   /* FwsClient's default: off */
  fws_web_socket_set_high_water_mark (r->client, 65536);
  assert_client_limits (r->client, 65536);

  server_go_away (s);
  fws_test_wait_until (r->attempts->len >= 5, 10);
  g_assert_cmpuint (r->closes, ==, 0);
  g_assert_cmpint (fws_web_socket_get_ready_state (r->client), ==, FWS_READY_STATE_CONNECTING);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpuint (nth_uint (r->attempts, i), ==, i + 1);
      g_assert_cmpuint (nth_uint (r->delays, i), ==, caps[i]);
    }
  /* The first was lost to the server's 1001, the others to the closed port. */
  g_assert_error (nth_error (r->causes, 0), FWS_ERROR, FWS_ERROR_CLOSED);
  g_assert_nonnull (strstr (nth_error (r->causes, 0)->message, "1001"));
  for (guint i = 1; i < 5; i++)
    g_assert_error (nth_error (r->causes, i), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (fws_web_socket_get_close_code (r->client), ==, 0);
  g_assert_cmpuint (fws_client_get_status (r->client), ==, 0);

  server_start (s, port);
  g_assert_cmpuint (s->port, ==, port);
  fws_test_wait_until (r->opens == 2, 5);
  g_assert_cmpuint (fws_client_get_status (r->client), ==, 101);
  send_and_expect_echo (r, "after");
  /* The new connection has the limits set on the client too, and answers
   * pings (the last connection's pong position does not hold them). */
  assert_client_limits (r->client, 65536);
  server_ping_answered (s);
  g_assert_cmpuint (r->closes, ==, 0);
  fws_reconnect_set_test_random (NULL);

  fws_web_socket_close (r->client, 1000, NULL, NULL);
  fws_test_wait_until (r->closes == 1, 5);
  g_assert_cmpuint (r->close_code, ==, 1000);
  rec_free (r);
  server_free (s);
}

static void
test_client_max_attempts (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  guint port = fws_test_free_port ();
  guint attempts;
  Rec *r;

  g_test_summary ("Nothing listens: after reconnect-max-attempts attempts, each with a random "
                  "delay within [0, cap], the client reports the last failure and closes with "
                  "1006, and makes no more attempts");

  r = ws_client (port, "/", monitor, 20, 60);
  fws_client_set_reconnect_max_attempts (r->client, 3);
  g_assert_cmpuint (fws_client_get_reconnect_max_attempts (r->client), ==, 3);
  fws_test_wait_until (r->closes == 1, 10);
  g_assert_cmpuint (r->attempts->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (nth_uint (r->attempts, i), ==, i + 1);
      g_assert_cmpuint (nth_uint (r->delays, i), <=, fws_reconnect_cap (20, 60, i + 1));
    }
  g_assert_cmpuint (r->close_code, ==, 1006);
  g_assert_cmpint (fws_web_socket_get_ready_state (r->client), ==, FWS_READY_STATE_CLOSED);
  /* The first connection and three attempts, each refused. */
  g_assert_cmpuint (r->errors->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_error (nth_error (r->errors, i), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  attempts = r->attempts->len;
  fws_test_run_for (300);
  g_assert_cmpuint (r->attempts->len, ==, attempts);
  g_assert_cmpuint (r->closes, ==, 1);
  rec_free (r);
}

static void
test_client_network (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  Server *s = server_new (0);
  Rec *r;

  g_test_summary ("While the network monitor says the network is unavailable, no attempt reaches "
                  "the server, however short the delay; when it comes back the client reconnects "
                  "at once, also when its backoff was 60 s; a timer running when the network goes is "
                  "stopped");

  r = ws_client (s->port, "/", monitor, 20, 20);
  g_assert_true (fws_client_get_network_monitor (r->client) == G_NETWORK_MONITOR (monitor));
  fws_test_wait_until (r->opens == 1, 5);
  g_assert_cmpuint (s->requests, ==, 1);

  /* Short delays, no network: one reconnecting, no attempt, no loop. */
  test_network_monitor_set_available (monitor, FALSE);
  fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting");
  fws_test_wait_until (r->attempts->len == 1, 5);
  fws_test_run_for (500);
  g_assert_cmpuint (r->attempts->len, ==, 1);
  g_assert_cmpuint (s->requests, ==, 1);
  g_assert_cmpint (fws_web_socket_get_ready_state (r->client), ==, FWS_READY_STATE_CONNECTING);
  test_network_monitor_set_available (monitor, TRUE);
  fws_test_wait_until (r->opens == 2, 5);
  g_assert_cmpuint (s->requests, ==, 2);
  send_and_expect_echo (r, "back");

  /* A 60 s backoff: the network's return cuts it short. */
  fws_reconnect_set_test_random (max_random);
  g_object_set (r->client, "reconnect-initial-delay", 60000, "reconnect-max-delay", 60000, NULL);
  test_network_monitor_set_available (monitor, FALSE);
  fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting");
  fws_test_wait_until (r->attempts->len == 2, 5);
  /* The count started again after the open. */
  g_assert_cmpuint (nth_uint (r->attempts, 1), ==, 1);
  g_assert_cmpuint (nth_uint (r->delays, 1), ==, 60000);
  fws_test_run_for (200);
  g_assert_cmpuint (s->requests, ==, 2);
  test_network_monitor_set_available (monitor, TRUE);
  fws_test_wait_until (r->opens == 3, 5);
  g_assert_cmpuint (s->requests, ==, 3);
  send_and_expect_echo (r, "at once");

  /* The network goes while the timer runs: the timer goes too. */
  g_object_set (r->client, "reconnect-initial-delay", 300, "reconnect-max-delay", 300, NULL);
  fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting");
  fws_test_wait_until (r->attempts->len == 3, 5);
  g_assert_cmpuint (nth_uint (r->delays, 2), ==, 300);
  test_network_monitor_set_available (monitor, FALSE);
  fws_test_run_for (700);
  g_assert_cmpuint (s->requests, ==, 3);
  test_network_monitor_set_available (monitor, TRUE);
  fws_test_wait_until (r->opens == 4, 5);
  g_assert_cmpuint (s->requests, ==, 4);
  fws_reconnect_set_test_random (NULL);
  g_assert_cmpuint (r->closes, ==, 0);

  rec_free (r);
  server_free (s);
}

static void
test_client_close_stops (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  Server *s = server_new (0);
  guint port = fws_test_free_port ();
  Rec *r;

  g_test_summary ("close () by the program ends the client: while waiting to reconnect (close "
                  "reports the program's code) and while open; no attempt follows");

  r = ws_client (port, "/", monitor, 50, 50);
  fws_test_wait_until (r->attempts->len == 1, 5);
  g_assert_true (fws_web_socket_close (r->client, 4000, "enough", NULL));
  fws_test_wait_until (r->closes == 1, 5);
  g_assert_cmpuint (r->close_code, ==, 4000);
  g_assert_cmpstr (fws_web_socket_get_close_reason (r->client), ==, "enough");
  fws_test_run_for (300);
  g_assert_cmpuint (r->attempts->len, ==, 1);
  g_assert_cmpuint (r->closes, ==, 1);
  rec_free (r);

  r = ws_client (s->port, "/", monitor, 20, 20);
  fws_test_wait_until (r->opens == 1, 5);
  fws_web_socket_close (r->client, 1000, NULL, NULL);
  fws_test_wait_until (r->closes == 1, 5);
  fws_test_run_for (200);
  g_assert_cmpuint (r->attempts->len, ==, 0);
  g_assert_cmpuint (s->requests, ==, 1);
  rec_free (r);
  server_free (s);
}

static void
test_client_final (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  Server *s = server_new (0);
  Rec *r;

  g_test_summary ("No reconnecting after a close frame with 1000 or a 404; a 503 does reconnect; "
                  "without the reconnect property a lost connection closes");

  r = ws_client (s->port, "/close-1000", monitor, 20, 20);
  fws_test_wait_until (r->closes == 1, 5);
  g_assert_cmpuint (r->close_code, ==, 1000);
  g_assert_cmpuint (r->opens, ==, 1);
  g_assert_cmpuint (r->attempts->len, ==, 0);
  rec_free (r);

  r = ws_client (s->port, "/status-404", monitor, 20, 20);
  fws_test_wait_until (r->closes == 1, 5);
  g_assert_cmpuint (r->close_code, ==, 1006);
  g_assert_cmpuint (r->errors->len, ==, 1);
  g_assert_error (nth_error (r->errors, 0), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpuint (fws_client_get_status (r->client), ==, 404);
  g_assert_cmpuint (r->attempts->len, ==, 0);
  rec_free (r);

  r = ws_client (s->port, "/status-503", monitor, 20, 20);
  fws_client_set_reconnect_max_attempts (r->client, 2);
  fws_test_wait_until (r->closes == 1, 5);
  g_assert_cmpuint (r->attempts->len, ==, 2);
  g_assert_error (nth_error (r->causes, 0), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  rec_free (r);

  r = ws_client (s->port, "/", monitor, 20, 20);
  fws_client_set_reconnect (r->client, FALSE);
  fws_test_wait_until (r->opens == 1, 5);
  fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting");
  fws_test_wait_until (r->closes == 1, 5);
  g_assert_cmpuint (r->close_code, ==, 1001);
  g_assert_cmpuint (r->attempts->len, ==, 0);
  rec_free (r);

  {
    g_autoptr(FwsClient) plain = fws_client_new ("ws://127.0.0.1:1/", NULL, NULL);

    g_assert_false (fws_client_get_reconnect (plain));
    g_assert_cmpuint (fws_client_get_reconnect_initial_delay (plain), ==, 1000);
    g_assert_cmpuint (fws_client_get_reconnect_max_delay (plain), ==, 30000);
    g_assert_cmpuint (fws_client_get_reconnect_max_attempts (plain), ==, 0);
    g_assert_true (fws_client_get_network_monitor (plain) == g_network_monitor_get_default ());
    fws_web_socket_close (FWS_WEB_SOCKET (plain), 1000, NULL, NULL);
  }
  server_free (s);
}

static gboolean
hold_incoming_cb (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source,
                  GPtrArray         *held)
{
  g_ptr_array_add (held, g_object_ref (connection));
  return TRUE;
}

static void
test_client_handshake_timeout (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
  guint16 port = fws_test_listen_loopback (G_SOCKET_LISTENER (service));
  g_autofree char *url = g_strdup_printf ("wss://127.0.0.1:%u/", port);
  Rec *r = rec_new ();

  g_test_summary ("A server that accepts and never speaks TLS: each attempt ends at the "
                  "handshake-timeout while the connector is still at work, and the next attempt "
                  "starts only once it let go; every attempt reaches the server");

  fws_test_assert_tls_backend ();
  g_signal_connect (service, "incoming", G_CALLBACK (hold_incoming_cb), held);
  g_socket_service_start (service);
  rec_watch (r, g_object_new (FWS_TYPE_CLIENT, "url", url, "reconnect", TRUE, "handshake-timeout", 100,
                              "reconnect-initial-delay", 0, "reconnect-max-attempts", 3,
                              "network-monitor", monitor, NULL));
  fws_test_wait_until (r->closes == 1, 10);
  g_assert_cmpuint (r->attempts->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (nth_uint (r->delays, i), ==, 0);
      g_assert_error (nth_error (r->causes, i), FWS_ERROR, FWS_ERROR_TIMED_OUT);
    }
  g_assert_cmpuint (r->close_code, ==, 1006);
  fws_test_wait_until (held->len == 4, 5);
  rec_free (r);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
}

static void
tls_handler (FwsTestRequest *request,
             gpointer        user_data)
{
  guint *requests = user_data;

  (*requests)++;
  fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
}

static void
test_client_untrusted (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autofree char *url = NULL;
  FwsTestCerts *certs;
  FwsTestServer *server;
  guint requests = 0;
  Rec *r = rec_new ();

  g_test_summary ("A server whose certificate is not trusted: error and close, no reconnecting");

  certs = fws_test_certs_new ();
  cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  server = fws_test_server_start (FWS_TEST_DOOR_SOUP, cert, tls_handler, &requests);
  url = g_strdup_printf ("wss://127.0.0.1:%u/", fws_test_server_get_port (server));
  rec_watch (r, g_object_new (FWS_TYPE_CLIENT, "url", url, "reconnect", TRUE,
                              "reconnect-initial-delay", 10, "network-monitor", monitor, NULL));
  fws_test_wait_until (r->closes == 1, 10);
  g_assert_cmpuint (r->errors->len, ==, 1);
  g_assert_error (nth_error (r->errors, 0), G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  fws_test_run_for (200);
  g_assert_cmpuint (r->attempts->len, ==, 0);
  g_assert_cmpuint (requests, ==, 0);
  rec_free (r);
  fws_test_server_stop (server);
  fws_test_certs_free (certs);
}

/* ---- FwsEventSourceClient ---- */

static Rec *
es_client (guint               port,
           TestNetworkMonitor *monitor,
           guint               initial_delay,
           guint               max_delay)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/events", port);
  Rec *r = rec_new ();

  rec_watch (r, g_object_new (FWS_TYPE_EVENT_SOURCE_CLIENT, "url", url,
                              "reconnect-initial-delay", initial_delay,
                              "reconnect-max-delay", max_delay,
                              "network-monitor", monitor, NULL));
  return r;
}

static void
test_event_source_server_comes_back (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  Server *s = server_new (0);
  guint port = s->port;
  /* retry: 50, then backoff caps of 40, 80, 160, 160 */
  static const guint delays[] = { 50, 90, 130, 210, 210 };
  Rec *r;

  g_test_summary ("The EventSource client under the policy: when the server goes away it waits the "
                  "server's retry, then adds a doubling backoff; once the server is back it "
                  "reconnects with Last-Event-ID");

  fws_reconnect_set_test_random (max_random);
  r = es_client (port, monitor, 40, 160);
  g_assert_true (fws_event_source_client_get_reconnect (r->client));
  fws_test_wait_until (r->messages->len == 1, 5);
  g_assert_cmpstr (g_ptr_array_index (r->messages, 0), ==, "event 1|1");

  server_go_away (s);
  fws_test_wait_until (r->attempts->len >= 5, 10);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpuint (nth_uint (r->attempts, i), ==, i + 1);
      g_assert_cmpuint (nth_uint (r->delays, i), ==, delays[i]);
    }
  for (guint i = 1; i < 5; i++)
    g_assert_error (nth_error (r->causes, i), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (fws_event_source_client_get_ready_state (r->client), ==, FWS_READY_STATE_CONNECTING);

  server_start (s, port);
  fws_test_wait_until (r->messages->len == 2, 5);
  g_assert_cmpstr (g_ptr_array_index (r->messages, 1), ==, "event 2|2");
  g_assert_cmpuint (r->opens, ==, 2);
  g_assert_cmpuint (s->last_ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (s->last_ids, 0), ==, "(none)");
  g_assert_cmpstr (g_ptr_array_index (s->last_ids, 1), ==, "1");
  fws_reconnect_set_test_random (NULL);
  rec_free (r);
  server_free (s);
}

static void
test_event_source_max_attempts (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  guint port = fws_test_free_port ();
  Rec *r;

  g_test_summary ("The EventSource client stops (CLOSED, with the last failure) after "
                  "reconnect-max-attempts; with reconnect FALSE it does not reconnect at all");

  r = es_client (port, monitor, 10, 10);
  fws_event_source_client_set_reconnection_time (r->client, 10);
  fws_event_source_client_set_reconnect_max_attempts (r->client, 2);
  fws_test_wait_until (fws_event_source_client_get_ready_state (r->client) == FWS_READY_STATE_CLOSED, 10);
  g_assert_cmpuint (r->attempts->len, ==, 2);
  g_assert_cmpuint (r->errors->len, ==, 3);
  g_assert_error (nth_error (r->errors, 2), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  fws_test_run_for (200);
  g_assert_cmpuint (r->attempts->len, ==, 2);
  rec_free (r);

  r = es_client (port, monitor, 10, 10);
  fws_event_source_client_set_reconnect (r->client, FALSE);
  fws_test_wait_until (fws_event_source_client_get_ready_state (r->client) == FWS_READY_STATE_CLOSED, 10);
  g_assert_cmpuint (r->attempts->len, ==, 0);
  g_assert_cmpuint (r->errors->len, ==, 1);
  rec_free (r);
}

static void
test_event_source_network (void)
{
  g_autoptr(TestNetworkMonitor) monitor = g_object_new (TEST_TYPE_NETWORK_MONITOR, NULL);
  Server *s = server_new (0);
  Rec *r;

  g_test_summary ("The EventSource client makes no attempt while the network is unavailable and "
                  "reconnects at once when it comes back, long before the server's 60 s retry");

  s->retry = 60;
  r = es_client (s->port, monitor, 10, 10);
  fws_test_wait_until (r->messages->len == 1, 5);
  g_assert_cmpuint (fws_event_source_client_get_reconnection_time (r->client), ==, 60000);

  test_network_monitor_set_available (monitor, FALSE);
  fws_server_close_all (FWS_CLOSE_CODE_GOING_AWAY, "restarting");
  fws_test_wait_until (r->attempts->len == 1, 5);
  g_assert_cmpuint (nth_uint (r->delays, 0), ==, 60000);
  fws_test_run_for (300);
  g_assert_cmpuint (s->requests, ==, 1);
  test_network_monitor_set_available (monitor, TRUE);
  fws_test_wait_until (r->messages->len == 2, 5);
  g_assert_cmpuint (s->requests, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (s->last_ids, 1), ==, "1");
  rec_free (r);
  server_free (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/reconnect/backoff", test_backoff);
  g_test_add_func ("/reconnect/client/server-comes-back", test_client_server_comes_back);
  g_test_add_func ("/reconnect/client/max-attempts", test_client_max_attempts);
  g_test_add_func ("/reconnect/client/network", test_client_network);
  g_test_add_func ("/reconnect/client/close-stops", test_client_close_stops);
  g_test_add_func ("/reconnect/client/final", test_client_final);
  g_test_add_func ("/reconnect/client/untrusted", test_client_untrusted);
  g_test_add_func ("/reconnect/client/handshake-timeout", test_client_handshake_timeout);
  g_test_add_func ("/reconnect/event-source/server-comes-back", test_event_source_server_comes_back);
  g_test_add_func ("/reconnect/event-source/max-attempts", test_event_source_max_attempts);
  g_test_add_func ("/reconnect/event-source/network", test_event_source_network);
  return g_test_run ();
}
