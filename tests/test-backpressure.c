/* test-backpressure.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The public bounds on what a connection queues for its peer (docs/limits.md):
 * max-buffered, the water marks, the send-overflow policy, send_async
 * waiting for room, one pong at a time, and the pong deadline while reading
 * is paused. The bad peers are raw sockets written here, on 127.0.0.1, with
 * a small receive buffer so that the kernel holds little; every bound is
 * asserted through the library's own counters (buffered-amount,
 * ready-state), never through timing or memory use. Every wait is bounded.
 */
#include "test-utils.h"
#include "fws-handshake-private.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define WAIT_S 60            /* generous: the tests also run under valgrind */
#define PEER_RCVBUF 4096
#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

typedef struct
{
  FwsTestServer   *server;
  FwsTestEvents   *events;
  FwsWebSocket    *ws;
  FwsEventSource  *es;
  guint            pings_seen;      /* the server's ping signals */
  guint            pongs_seen;      /* the server's pong signals */

  /* what the handler sets before accepting */
  gboolean         event_source;
  guint64          max_buffered;
  guint64          high_water;
  guint64          low_water;
  FwsSendOverflow  policy;
  guint            ping_interval;
  guint            pong_timeout;

  /* the raw peer */
  GSocket         *peer;
  GByteArray      *in;              /* read, not yet parsed */
} Fixture;

/* ---- The server ---- */

static void
ping_cb (FwsWebSocket *ws, GBytes *payload, Fixture *f)
{
  f->pings_seen++;
}

static void
pong_cb (FwsWebSocket *ws, GBytes *payload, Fixture *f)
{
  f->pongs_seen++;
}

static void
handler (FwsTestRequest *request,
         gpointer        user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  /* The options are set before the connection is taken over: they must
   * reach the transport either door brings. */
  if (f->event_source)
    {
      f->es = g_object_new (FWS_TYPE_EVENT_SOURCE,
                            "max-buffered", f->max_buffered,
                            "high-water-mark", f->high_water,
                            "low-water-mark", f->low_water,
                            "send-overflow", f->policy,
                            NULL);
      g_assert_true (fws_test_request_accept_event_source (request, f->es, &error));
      g_assert_no_error (error);
      return;
    }
  f->ws = g_object_new (FWS_TYPE_WEB_SOCKET,
                        "max-buffered", f->max_buffered,
                        "high-water-mark", f->high_water,
                        "low-water-mark", f->low_water,
                        "send-overflow", f->policy,
                        "ping-interval", f->ping_interval,
                        "pong-timeout", f->pong_timeout,
                        "close-timeout", 500,
                        NULL);
  fws_test_events_watch (f->events, f->ws);
  g_signal_connect (f->ws, "ping", G_CALLBACK (ping_cb), f);
  g_signal_connect (f->ws, "pong", G_CALLBACK (pong_cb), f);
  g_assert_true (fws_test_request_accept_web_socket (request, f->ws, &error));
  g_assert_no_error (error);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->events = fws_test_events_new (FALSE);
  f->server = fws_test_server_start (GPOINTER_TO_INT (data), NULL, handler, f);
  f->max_buffered = G_GUINT64_CONSTANT (1) << 30;
  f->high_water = 0;
  f->low_water = 0;
  f->policy = FWS_SEND_OVERFLOW_ERROR;
  f->in = g_byte_array_new ();
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->peer != NULL)
    g_socket_close (f->peer, NULL);
  g_clear_object (&f->peer);
  if (f->ws != NULL)
    {
      if (fws_web_socket_get_ready_state (f->ws) != FWS_READY_STATE_CLOSED)
        fws_test_events_close (f->events, f->ws, WAIT_S);
      g_signal_handlers_disconnect_by_data (f->ws, f);
      fws_test_events_release (f->events, &f->ws);
    }
  if (f->es != NULL)
    {
      fws_event_source_close (f->es);
      fws_test_wait_until (fws_event_source_get_ready_state (f->es) == FWS_READY_STATE_CLOSED, WAIT_S);
      g_clear_object (&f->es);
    }
  fws_test_server_stop (f->server);
  fws_test_events_free (f->events);
  g_byte_array_unref (f->in);
}

/* Runs what is ready in the context, without blocking. */
static void
drain_context (void)
{
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* ---- The raw peer ---- */

static void
peer_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string ("127.0.0.1",
                                                                          fws_test_server_get_port (f->server));

  f->peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  /* A small window: the kernel holds little of what the server sends. */
  g_socket_set_option (f->peer, SOL_SOCKET, SO_RCVBUF, PEER_RCVBUF, &error);
  g_assert_no_error (error);
  g_socket_connect (f->peer, addr, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (f->peer, FALSE);
}

/* Gives the socket of this process connected from @local_port to
 * @remote_port on 127.0.0.1 a small send buffer, so that what the kernel
 * holds is small beside the bounds under test. The library hides its
 * sockets: this one is found by its addresses. */
static void
shrink_sndbuf (guint16 local_port,
               guint16 remote_port)
{
  gboolean found = FALSE;

  for (int fd = 3; fd < 4096; fd++)
    {
      struct sockaddr_in me, them;
      socklen_t me_len = sizeof me, them_len = sizeof them;
      int size = PEER_RCVBUF;

      if (getsockname (fd, (struct sockaddr *) &me, &me_len) != 0 || me.sin_family != AF_INET ||
          getpeername (fd, (struct sockaddr *) &them, &them_len) != 0 ||
          ntohs (me.sin_port) != local_port || ntohs (them.sin_port) != remote_port)
        continue;
      g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), ==, 0);
      found = TRUE;
    }
  g_assert_true (found);
}

static guint16
local_port_of (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, &error);

  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

/* The server's end of the peer's connection. */
static void
shrink_server_sndbuf (Fixture *f)
{
  shrink_sndbuf (fws_test_server_get_port (f->server), local_port_of (f->peer));
}

/* Writes everything, running the context while the kernel is full. */
static void
peer_write (Fixture    *f,
            const void *data,
            gsize       len)
{
  const guint8 *p = data;
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  while (len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (f->peer, (const char *) p, len, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          fws_test_iterate ();
          continue;
        }
      p += n;
      len -= (gsize) n;
    }
}

static void
peer_write_bytes (Fixture *f,
                  GBytes  *bytes)
{
  peer_write (f, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* Reads what the kernel has, at most @max bytes; returns how many (0 on
 * nothing, -1 at the end of the stream). */
static gssize
peer_read (Fixture *f,
           gsize    max)
{
  guint8 buf[65536];
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (f->peer, (char *) buf, MIN (max, sizeof buf), NULL, &error);

  if (n < 0)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      return 0;
    }
  if (n == 0)
    return -1;
  g_byte_array_append (f->in, buf, (guint) n);
  return n;
}

/* One frame from the server (never masked), removed from f->in; FALSE if
 * it is not all there yet. */
static gboolean
peer_frame (Fixture  *f,
            guint8   *opcode,
            GBytes  **payload)
{
  const guint8 *d = f->in->data;
  guint64 len;
  gsize head = 2;

  if (f->in->len < 2)
    return FALSE;
  g_assert_cmpint (d[1] & 0x80, ==, 0);
  len = d[1] & 0x7F;
  if (len == 126)
    {
      if (f->in->len < 4)
        return FALSE;
      len = ((guint64) d[2] << 8) | d[3];
      head = 4;
    }
  else if (len == 127)
    {
      if (f->in->len < 10)
        return FALSE;
      len = 0;
      for (guint i = 0; i < 8; i++)
        len = (len << 8) | d[2 + i];
      head = 10;
    }
  if (f->in->len < head + len)
    return FALSE;
  g_assert_cmpint (d[0] & 0x80, ==, 0x80);   /* the library sends whole messages */
  *opcode = d[0] & 0x0F;
  *payload = g_bytes_new (d + head, (gsize) len);
  g_byte_array_remove_range (f->in, 0, (guint) (head + len));
  return TRUE;
}

/* The opening handshake, read through the end of the 101 head. */
static void
peer_handshake (Fixture *f)
{
  static const char request[] =
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  const guint8 *end;

  peer_connect (f);
  peer_write (f, request, strlen (request));
  while ((end = f->in->len > 0 ? memmem (f->in->data, f->in->len, "\r\n\r\n", 4) : NULL) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (peer_read (f, sizeof (guint8[65536])) == 0)
        fws_test_iterate ();
    }
  g_assert_true (f->in->len >= 12 && memcmp (f->in->data, "HTTP/1.1 101", 12) == 0);
  g_byte_array_remove_range (f->in, 0, (guint) (end + 4 - f->in->data));
  fws_test_wait_until (f->ws != NULL && fws_web_socket_get_ready_state (f->ws) == FWS_READY_STATE_OPEN, WAIT_S);
  shrink_server_sndbuf (f);
}

static GBytes *
masked_frame (guint8      first_byte,
              const void *payload,
              gsize       len)
{
  static const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };

  return fws_test_frame (first_byte, mask, payload, len);
}

static GBytes *
pattern (gsize  len,
         guint  seed)
{
  guint8 *d = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    d[i] = (guint8) (seed * 31 + i / 1024);
  return g_bytes_new_take (d, len);
}

/* ---- Properties ---- */

static void
count_notify_cb (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_properties (void)
{
  g_autoptr(FwsWebSocket) ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  g_autoptr(FwsEventSource) es = g_object_new (FWS_TYPE_EVENT_SOURCE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsClient) client = NULL;
  FwsTestEvents *events = fws_test_events_new (FALSE);
  guint notified = 0;
  guint64 max = 0;
  FwsSendOverflow policy = 42;

  g_test_summary ("max-buffered, the water marks and send-overflow: documented defaults (no pausing on "
                  "FwsClient), getters, setters, notify only on change");

  g_assert_cmpuint (fws_web_socket_get_max_buffered (ws), ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (fws_web_socket_get_high_water_mark (ws), ==, 1024 * 1024);
  g_assert_cmpuint (fws_web_socket_get_low_water_mark (ws), ==, 256 * 1024);
  g_assert_cmpint (fws_web_socket_get_send_overflow (ws), ==, FWS_SEND_OVERFLOW_ERROR);
  g_assert_cmpuint (fws_event_source_get_max_buffered (es), ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (fws_event_source_get_high_water_mark (es), ==, 1024 * 1024);
  g_assert_cmpuint (fws_event_source_get_low_water_mark (es), ==, 256 * 1024);
  g_assert_cmpint (fws_event_source_get_send_overflow (es), ==, FWS_SEND_OVERFLOW_ERROR);
  g_assert_cmpuint (fws_event_source_get_buffered_amount (es), ==, 0);

  g_signal_connect (ws, "notify::max-buffered", G_CALLBACK (count_notify_cb), &notified);
  fws_web_socket_set_max_buffered (ws, 4096);
  fws_web_socket_set_max_buffered (ws, 4096);
  g_assert_cmpuint (notified, ==, 1);
  g_object_set (ws, "send-overflow", FWS_SEND_OVERFLOW_CLOSE, "high-water-mark", (guint64) 0, NULL);
  g_object_get (ws, "max-buffered", &max, "send-overflow", &policy, NULL);
  g_assert_cmpuint (max, ==, 4096);
  g_assert_cmpint (policy, ==, FWS_SEND_OVERFLOW_CLOSE);
  g_assert_cmpuint (fws_web_socket_get_high_water_mark (ws), ==, 0);
  g_object_set (es, "max-buffered", (guint64) 0, "send-overflow", FWS_SEND_OVERFLOW_CLOSE, NULL);
  g_assert_cmpuint (fws_event_source_get_max_buffered (es), ==, 0);
  g_assert_cmpint (fws_event_source_get_send_overflow (es), ==, FWS_SEND_OVERFLOW_CLOSE);

  /* A client does not pause reading by default (docs/limits.md). */
  client = fws_client_new ("ws://127.0.0.1:9/", NULL, &error);
  g_assert_no_error (error);
  fws_test_events_watch (events, FWS_WEB_SOCKET (client));
  g_assert_cmpuint (fws_web_socket_get_high_water_mark (FWS_WEB_SOCKET (client)), ==, 0);
  g_assert_cmpuint (fws_web_socket_get_low_water_mark (FWS_WEB_SOCKET (client)), ==, 0);
  g_assert_cmpuint (fws_web_socket_get_max_buffered (FWS_WEB_SOCKET (client)), ==, G_GUINT64_CONSTANT (1) << 30);
  fws_test_events_close (events, client, WAIT_S);
  fws_test_events_release (events, &client);
  fws_test_events_free (events);
}

/* ---- send-overflow ---- */

#define SMALL_MAX (64 * 1024)
#define MSG_LEN (16 * 1024)

/* Sends MSG_LEN messages until one is refused; returns how many went. */
static guint
fill_queue (Fixture  *f,
            GError  **error)
{
  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GBytes) msg = pattern (MSG_LEN, i);

      drain_context ();
      if (!fws_web_socket_send (f->ws, FWS_MESSAGE_TYPE_BINARY, msg, error))
        return i;
      g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->ws), <=, SMALL_MAX);
    }
  g_assert_not_reached ();
}

/* Reads @n messages from fill_queue, checks their bytes. */
static void
peer_expect_messages (Fixture *f,
                      guint    n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;

  for (guint i = 0; i < n;)
    {
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(GBytes) expected = NULL;
      guint8 opcode;

      if (!peer_frame (f, &opcode, &payload))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          if (peer_read (f, 65536) == 0)
            fws_test_iterate ();
          continue;
        }
      g_assert_cmpint (opcode, ==, 2);
      expected = pattern (MSG_LEN, i);
      g_assert_true (g_bytes_equal (payload, expected));
      i++;
    }
}

static void
test_overflow_error (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) small = g_bytes_new_static ("x", 1);
  guint sent;

  g_test_summary ("A synchronous send past max-buffered fails with FWS_ERROR_QUEUE_FULL, queues nothing, "
                  "and the connection stays open; the peer later gets every message that was accepted");

  f->max_buffered = SMALL_MAX;
  peer_handshake (f);
  sent = fill_queue (f, &error);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_nonnull (strstr (error->message, "65536"));
  g_assert_cmpuint (sent, >, 0);
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->ws), <=, SMALL_MAX);
  g_assert_cmpuint (f->events->errors, ==, 0);

  /* Invalid text is refused for what it is, whatever the room. */
  g_clear_error (&error);
  g_assert_false (fws_web_socket_send_text_len (f->ws, "\xff", 1, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);

  peer_expect_messages (f, sent);
  fws_test_wait_until (fws_web_socket_get_buffered_amount (f->ws) == 0, WAIT_S);
  g_assert_true (fws_web_socket_send (f->ws, FWS_MESSAGE_TYPE_BINARY, small, NULL));
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);
}

static void
test_overflow_close (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) reply = NULL;
  gint64 deadline;
  guint8 opcode;
  guint sent;

  g_test_summary ("With send-overflow CLOSE, a synchronous send past max-buffered fails and closes the "
                  "connection with 1008: the close frame goes out behind what was queued");

  f->max_buffered = SMALL_MAX;
  f->policy = FWS_SEND_OVERFLOW_CLOSE;
  peer_handshake (f);
  sent = fill_queue (f, &error);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_CLOSING);
  g_assert_cmpuint (f->events->errors, ==, 1);
  g_assert_error (f->events->error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);

  peer_expect_messages (f, sent);
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (!peer_frame (f, &opcode, &payload))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (peer_read (f, 65536) == 0)
        fws_test_iterate ();
    }
  g_assert_cmpint (opcode, ==, 8);
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload),
                   "\x03\xf0" "Send queue full", 17);
  reply = masked_frame (0x88, g_bytes_get_data (payload, NULL), 2);
  peer_write_bytes (f, reply);
  fws_test_wait_until (f->events->closes == 1, WAIT_S);
  g_assert_cmpuint (f->events->close_code, ==, 1008);
}

static void
test_set_later (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) big = pattern (512 * 1024, 1);
  g_autoptr(GBytes) ping = masked_frame (0x89, "later", 5);
  g_autoptr(GError) error = NULL;
  gint64 deadline;
  guint got = 0;
  guint sent;

  g_test_summary ("max-buffered and the water marks set on an open connection apply at once: a send past "
                  "the new limit fails, and reading pauses above the new high-water mark until the queue "
                  "drains to the low one");

  /* Open with no bounds at all. */
  f->max_buffered = 0;
  f->high_water = 0;
  peer_handshake (f);
  g_assert_cmpuint (fws_web_socket_get_max_buffered (f->ws), ==, 0);

  fws_web_socket_set_high_water_mark (f->ws, 64 * 1024);
  fws_web_socket_set_low_water_mark (f->ws, 16 * 1024);
  g_assert_true (fws_web_socket_send (f->ws, FWS_MESSAGE_TYPE_BINARY, big, NULL));
  fws_test_run_for (50);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->ws), >, 64 * 1024);
  /* Above the high-water mark nothing is read: the ping waits in the
   * kernel for as long as the queue does not drain. */
  peer_write_bytes (f, ping);
  fws_test_run_for (200);
  g_assert_cmpuint (f->pings_seen, ==, 0);

  fws_web_socket_set_max_buffered (f->ws, SMALL_MAX);
  sent = fill_queue (f, &error);
  g_assert_cmpuint (sent, ==, 0);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);

  /* The peer reads: the queue drains, reading resumes, the ping is seen. */
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (got == 0 || f->pings_seen == 0)
    {
      g_autoptr(GBytes) payload = NULL;
      guint8 opcode;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (peer_frame (f, &opcode, &payload))
        {
          if (opcode == 2)
            {
              g_assert_true (g_bytes_equal (payload, big));
              got++;
            }
          continue;
        }
      if (peer_read (f, 65536) == 0)
        fws_test_iterate ();
    }
  g_assert_cmpuint (f->pings_seen, ==, 1);
}

/* ---- EventSource ---- */

static void
test_event_source_overflow (Fixture       *f,
                            gconstpointer  data)
{
  static const char request[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  g_autoptr(GError) error = NULL;
  char *event = g_malloc (MSG_LEN + 1);
  gint64 deadline;
  guint sent = 0;
  guint got = 0;

  g_test_summary ("FwsEventSource: a send past max-buffered fails with FWS_ERROR_QUEUE_FULL and the stream "
                  "stays open; with send-overflow CLOSE it fails and closes; the client gets what was accepted");

  f->event_source = TRUE;
  f->max_buffered = SMALL_MAX;
  peer_connect (f);
  peer_write (f, request, strlen (request));
  fws_test_wait_until (f->es != NULL && fws_event_source_get_ready_state (f->es) == FWS_READY_STATE_OPEN, WAIT_S);
  shrink_server_sndbuf (f);

  memset (event, 'e', MSG_LEN);
  event[MSG_LEN] = '\0';
  for (;; sent++)
    {
      g_assert_cmpuint (sent, <, 20000);
      drain_context ();
      if (!fws_event_source_send (f->es, event, NULL, NULL, &error))
        break;
      g_assert_cmpuint (fws_event_source_get_buffered_amount (f->es), <=, SMALL_MAX);
    }
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_cmpuint (sent, >, 0);
  g_assert_cmpint (fws_event_source_get_ready_state (f->es), ==, FWS_READY_STATE_OPEN);
  g_assert_cmpuint (fws_event_source_get_buffered_amount (f->es), <=, SMALL_MAX);

  g_clear_error (&error);
  fws_event_source_set_send_overflow (f->es, FWS_SEND_OVERFLOW_CLOSE);
  g_assert_false (fws_event_source_send (f->es, event, NULL, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_cmpint (fws_event_source_get_ready_state (f->es), ==, FWS_READY_STATE_CLOSED);

  /* The client reads to the end: every accepted event, then EOF. */
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      gssize n = peer_read (f, 65536);

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (n < 0)
        break;
      if (n == 0)
        fws_test_iterate ();
    }
  for (const guint8 *p = f->in->data, *end = p + f->in->len;
       (p = memmem (p, end - p, "data: ", 6)) != NULL; p += 6)
    got++;
  g_assert_cmpuint (got, ==, sent);
  g_free (event);
}

/* ---- send_async waits for room ---- */

#define ASYNC_N 32
#define ASYNC_LEN (256 * 1024)

typedef struct
{
  Fixture *f;
  guint    index;
} AsyncSend;

static guint async_done;
static guint async_order[ASYNC_N];
static GError *async_errors[ASYNC_N];

static void
async_sent_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  guint index = GPOINTER_TO_UINT (user_data);

  g_assert_null (async_errors[index]);
  fws_web_socket_send_finish (FWS_WEB_SOCKET (source), result, &async_errors[index]);
  async_order[async_done++] = index;
}

static void
async_reset (void)
{
  async_done = 0;
  for (guint i = 0; i < ASYNC_N; i++)
    g_clear_error (&async_errors[i]);
}

static void
test_send_async_waits (Fixture       *f,
                       gconstpointer  data)
{
  gint64 deadline;
  guint got = 0;

  g_test_summary ("send_async never fails for want of room: messages larger than a small max-buffered "
                  "wait while the peer does not read, then all complete in order once it reads, and the "
                  "peer gets every byte in order");

  f->max_buffered = SMALL_MAX;
  peer_handshake (f);
  async_reset ();
  for (guint i = 0; i < ASYNC_N; i++)
    {
      g_autoptr(GBytes) msg = pattern (ASYNC_LEN, i);

      fws_web_socket_send_async (f->ws, FWS_MESSAGE_TYPE_BINARY, msg, NULL, async_sent_cb, GUINT_TO_POINTER (i));
    }
  /* The peer reads nothing for a while. */
  for (guint i = 0; i < 20; i++)
    {
      fws_test_run_for (10);
      g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->ws), <=, ASYNC_LEN + 14);
    }
  for (guint i = 0; i < async_done; i++)
    g_assert_no_error (async_errors[async_order[i]]);
  g_assert_cmpuint (async_done, <, ASYNC_N);   /* some wait */

  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (got < ASYNC_N)
    {
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(GBytes) expected = NULL;
      guint8 opcode;

      g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->ws), <=, ASYNC_LEN + 14);
      if (!peer_frame (f, &opcode, &payload))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          if (peer_read (f, 65536) == 0)
            fws_test_iterate ();
          continue;
        }
      g_assert_cmpint (opcode, ==, 2);
      expected = pattern (ASYNC_LEN, got);
      g_assert_true (g_bytes_equal (payload, expected));
      got++;
    }
  fws_test_wait_until (async_done == ASYNC_N, WAIT_S);
  for (guint i = 0; i < ASYNC_N; i++)
    {
      g_assert_cmpuint (async_order[i], ==, i);
      g_assert_no_error (async_errors[i]);
    }
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);
  async_reset ();
}

static void
test_send_async_cancel_close (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint closed = 0;

  g_test_summary ("A send_async waiting for room completes with G_IO_ERROR_CANCELLED when cancelled, and "
                  "with FWS_ERROR_CLOSED when the connection closes first");

  f->max_buffered = SMALL_MAX;
  peer_handshake (f);
  async_reset ();
  for (guint i = 0; i < ASYNC_N; i++)
    {
      g_autoptr(GBytes) msg = pattern (ASYNC_LEN, i);

      fws_web_socket_send_async (f->ws, FWS_MESSAGE_TYPE_BINARY, msg, i == ASYNC_N - 1 ? cancellable : NULL,
                                 async_sent_cb, GUINT_TO_POINTER (i));
    }
  fws_test_run_for (100);
  g_assert_cmpuint (async_done, <, ASYNC_N - 1);
  g_cancellable_cancel (cancellable);
  fws_test_wait_until (async_errors[ASYNC_N - 1] != NULL, WAIT_S);
  g_assert_error (async_errors[ASYNC_N - 1], G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The peer never reads: close gives up after close-timeout. */
  g_assert_true (fws_web_socket_close (f->ws, 1000, NULL, NULL));
  fws_test_wait_until (f->events->closes == 1, WAIT_S);
  g_assert_cmpuint (async_done, ==, ASYNC_N);
  for (guint i = 0; i < ASYNC_N - 1; i++)
    if (async_errors[i] != NULL)
      {
        g_assert_error (async_errors[i], FWS_ERROR, FWS_ERROR_CLOSED);
        closed++;
      }
  g_assert_cmpuint (closed, >, 0);
  async_reset ();
}

/* ---- One pong at a time ---- */

#define N_PINGS 100000

static void
test_pong_coalescing (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) big = pattern (8 * 1024 * 1024, 7);
  g_autoptr(GByteArray) batch = g_byte_array_new ();
  char last[16] = "";
  guint64 before;
  guint64 most = 0;
  guint pongs = 0;
  gboolean got_big = FALSE;
  GBytes *last_pong = NULL;
  gint64 deadline;

  g_test_summary ("RFC 6455 5.5.3: a peer that pings 100,000 times and never reads makes the server queue "
                  "at most one pong; when it reads it gets a few pongs, the last for its last ping");

  /* Reading never pauses here: the pongs alone must stay bounded. */
  f->high_water = 0;
  peer_handshake (f);
  /* Fill the kernel and leave a backlog, so that no pong can go out. */
  g_assert_true (fws_web_socket_send (f->ws, FWS_MESSAGE_TYPE_BINARY, big, NULL));
  fws_test_run_for (100);
  before = fws_web_socket_get_buffered_amount (f->ws);
  g_assert_cmpuint (before, >, 0);

  for (guint i = 1; i <= N_PINGS; i++)
    {
      g_autoptr(GBytes) frame = NULL;

      g_snprintf (last, sizeof last, "%u", i);
      frame = masked_frame (0x89, last, strlen (last));
      g_byte_array_append (batch, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
      if (i % 1000 == 0)
        {
          peer_write (f, batch->data, batch->len);
          g_byte_array_set_size (batch, 0);
          fws_test_wait_until (f->pings_seen == i, WAIT_S);
          most = MAX (most, fws_web_socket_get_buffered_amount (f->ws));
        }
    }
  g_assert_cmpuint (f->pings_seen, ==, N_PINGS);
  /* At most one pong frame (2 + 6 bytes) above the backlog. */
  g_assert_cmpuint (most, <=, before + 8);

  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(GBytes) payload = NULL;
      guint8 opcode;

      if (peer_frame (f, &opcode, &payload))
        {
          if (opcode == 2)
            {
              g_assert_true (g_bytes_equal (payload, big));
              got_big = TRUE;
            }
          else
            {
              g_assert_cmpint (opcode, ==, 0xA);
              pongs++;
              g_clear_pointer (&last_pong, g_bytes_unref);
              last_pong = g_steal_pointer (&payload);
            }
          continue;
        }
      /* Done once the server has nothing left and the peer read it all. */
      if (got_big && fws_web_socket_get_buffered_amount (f->ws) == 0 && last_pong != NULL &&
          g_bytes_get_size (last_pong) == strlen (last) &&
          memcmp (g_bytes_get_data (last_pong, NULL), last, strlen (last)) == 0)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (peer_read (f, 65536) == 0)
        fws_test_iterate ();
    }
  fws_test_run_for (50);
  while (peer_read (f, 65536) > 0)
    ;
  g_assert_cmpuint (f->in->len, ==, 0);
  g_assert_cmpuint (pongs, <=, 3);
  g_assert_cmpmem (g_bytes_get_data (last_pong, NULL), g_bytes_get_size (last_pong), last, strlen (last));
  g_bytes_unref (last_pong);
}

/* ---- The pong deadline while reading is paused ---- */

#define TOPUP_N 64
#define TOPUP_LEN (64 * 1024)

static void
test_pong_deadline_paused (Fixture       *f,
                           gconstpointer  data)
{
  guint queued = 0;
  guint got = 0;
  guint pings = 0;
  guint pongs_while_paused = 0;
  gint64 deadline;

  g_test_summary ("A peer that reads slowly and answers every ping is not killed by pong-timeout while "
                  "the high-water mark keeps its pongs unread in the kernel");

  f->high_water = 64 * 1024;
  f->low_water = 16 * 1024;
  f->ping_interval = 50;
  f->pong_timeout = 300;
  peer_handshake (f);

  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (got < TOPUP_N || fws_web_socket_get_buffered_amount (f->ws) > 0)
    {
      g_autoptr(GBytes) payload = NULL;
      guint8 opcode;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);
      /* The server keeps its queue above the high-water mark, so that it
       * reads nothing, and its pings go out between the messages. */
      while (queued < TOPUP_N && fws_web_socket_get_buffered_amount (f->ws) < 2 * f->high_water)
        {
          g_autoptr(GBytes) msg = pattern (TOPUP_LEN, queued++);

          g_assert_true (fws_web_socket_send (f->ws, FWS_MESSAGE_TYPE_BINARY, msg, NULL));
        }
      if (peer_frame (f, &opcode, &payload))
        {
          if (opcode == 2)
            {
              g_autoptr(GBytes) expected = pattern (TOPUP_LEN, got++);

              g_assert_true (g_bytes_equal (payload, expected));
            }
          else
            {
              g_autoptr(GBytes) pong = masked_frame (0x8A, g_bytes_get_data (payload, NULL),
                                                     g_bytes_get_size (payload));

              g_assert_cmpint (opcode, ==, 9);
              pings++;
              /* Above the high-water mark the server reads nothing: this
               * pong waits in its kernel. */
              if (fws_web_socket_get_buffered_amount (f->ws) > f->high_water)
                pongs_while_paused++;
              peer_write_bytes (f, pong);
            }
          continue;
        }
      /* A slow reader: at most 16 KiB every 3 ms or so, so that reading
       * stays paused for several pong-timeouts. */
      peer_read (f, 16 * 1024);
      drain_context ();
      g_usleep (3000);
      drain_context ();
    }
  g_assert_cmpuint (pings, >=, 1);
  g_assert_cmpuint (pongs_while_paused, >=, 1);
  fws_test_wait_until (f->pongs_seen >= 1, WAIT_S);
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);
  g_assert_cmpuint (f->events->errors, ==, 0);
}

static void
test_pong_deadline_dead_peer (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GBytes) big = pattern (4 * 1024 * 1024, 5);

  g_test_summary ("A peer that neither reads nor answers still meets the pong deadline while reading is "
                  "paused: error FWS_ERROR_TIMED_OUT, close 1006");

  f->high_water = 64 * 1024;
  f->low_water = 16 * 1024;
  f->ping_interval = 50;
  f->pong_timeout = 300;
  peer_handshake (f);
  g_assert_true (fws_web_socket_send (f->ws, FWS_MESSAGE_TYPE_BINARY, big, NULL));
  fws_test_wait_until (f->events->closes == 1, WAIT_S);
  g_assert_error (f->events->error, FWS_ERROR, FWS_ERROR_TIMED_OUT);
  g_assert_cmpuint (f->events->close_code, ==, 1006);
}

/* ---- FwsClient ---- */

static void
count_cb (gpointer instance, GBytes *payload, guint *count)
{
  (*count)++;
}

/* Reads from @sock into @in until @in holds @needle; returns the offset
 * past it. */
static gsize
raw_read_until (GSocket    *sock,
                GByteArray *in,
                const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  const guint8 *at;

  /* An empty GByteArray's data may be NULL, which memmem must not get. */
  while ((at = in->len > 0 ? memmem (in->data, in->len, needle, strlen (needle)) : NULL) == NULL)
    {
      guint8 buf[4096];
      gssize n = g_socket_receive (sock, (char *) buf, sizeof buf, NULL, NULL);

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (n, !=, 0);
      if (n > 0)
        g_byte_array_append (in, buf, (guint) n);
      else
        fws_test_iterate ();
    }
  return (gsize) (at - in->data) + strlen (needle);
}

static void
test_client_water_marks (gconstpointer data)
{
  gboolean pause = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) big = pattern (2 * 1024 * 1024, 9);
  g_autoptr(GBytes) ping = fws_test_frame (0x89, NULL, "srv", 3);
  g_autoptr(GByteArray) in = g_byte_array_new ();
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocket) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsClient) client = NULL;
  g_autofree char *url = NULL;
  g_autofree char *key = NULL;
  g_autofree char *accept = NULL;
  g_autofree char *answer = NULL;
  FwsTestEvents *events = fws_test_events_new (FALSE);
  guint pings = 0;
  guint port;
  gint64 deadline;
  const char *key_line;
  int rcvbuf = PEER_RCVBUF;

  g_test_summary (pause ? "An FwsClient whose high-water-mark is set before it connects pauses reading above it"
                        : "An FwsClient keeps reading by default, however much it has queued (two peers that "
                          "both pause can deadlock)");

  listener = fws_test_listen_socket (&port);
  /* Inherited by the accepted socket: a small window. */
  g_assert_cmpint (setsockopt (g_socket_get_fd (listener), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), ==, 0);
  g_socket_set_blocking (listener, FALSE);
  url = g_strdup_printf ("ws://127.0.0.1:%u/", port);
  client = fws_client_new (url, NULL, &error);
  g_assert_no_error (error);
  fws_web_socket_set_close_timeout (FWS_WEB_SOCKET (client), 200);
  if (pause)
    {
      fws_web_socket_set_high_water_mark (FWS_WEB_SOCKET (client), 64 * 1024);
      fws_web_socket_set_low_water_mark (FWS_WEB_SOCKET (client), 16 * 1024);
    }
  fws_test_events_watch (events, FWS_WEB_SOCKET (client));
  g_signal_connect (client, "ping", G_CALLBACK (count_cb), &pings);

  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while ((server = g_socket_accept (listener, NULL, NULL)) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fws_test_iterate ();
    }
  g_socket_set_blocking (server, FALSE);
  g_byte_array_set_size (in, raw_read_until (server, in, "\r\n\r\n"));
  g_byte_array_append (in, (const guint8 *) "", 1);
  key_line = strstr ((const char *) in->data, "Sec-WebSocket-Key: ");
  g_assert_nonnull (key_line);
  key = g_strndup (key_line + 19, strcspn (key_line + 19, "\r\n"));
  accept = fws_handshake_accept_key (key);
  answer = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
  g_assert_cmpint (g_socket_send (server, answer, strlen (answer), NULL, &error), ==, (gssize) strlen (answer));
  fws_test_wait_until (events->opens == 1, WAIT_S);
  /* The client's end: its local port is the remote port of ours. */
  {
    g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (server, &error);

    g_assert_no_error (error);
    shrink_sndbuf (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)), (guint16) port);
  }

  /* The client queues far more than the mark, then the server pings. */
  g_assert_true (fws_web_socket_send (FWS_WEB_SOCKET (client), FWS_MESSAGE_TYPE_BINARY, big, NULL));
  fws_test_run_for (50);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (FWS_WEB_SOCKET (client)), >, 1024 * 1024);
  g_assert_cmpint (g_socket_send (server, g_bytes_get_data (ping, NULL), g_bytes_get_size (ping), NULL, &error),
                   ==, (gssize) g_bytes_get_size (ping));
  fws_test_run_for (200);
  g_assert_cmpuint (pings, ==, pause ? 0 : 1);

  /* The server reads: the client's queue drains, and a paused client
   * resumes reading. */
  deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  while (fws_web_socket_get_buffered_amount (FWS_WEB_SOCKET (client)) > 0 || pings == 0)
    {
      guint8 buf[65536];
      gssize n = g_socket_receive (server, (char *) buf, sizeof buf, NULL, NULL);

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_assert_cmpint (n, !=, 0);
      if (n < 0)
        fws_test_iterate ();
    }
  g_assert_cmpuint (pings, ==, 1);
  g_assert_cmpint (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)), ==, FWS_READY_STATE_OPEN);
  g_signal_handlers_disconnect_by_data (client, &pings);
  fws_test_events_close (events, client, WAIT_S);
  fws_test_events_release (events, &client);
  fws_test_events_free (events);
}

int
main (int   argc,
      char *argv[])
{
  static const struct
  {
    const char *name;
    void      (*body) (Fixture *, gconstpointer);
  } tests[] = {
    { "overflow-error", test_overflow_error },
    { "overflow-close", test_overflow_close },
    { "set-later", test_set_later },
    { "event-source-overflow", test_event_source_overflow },
    { "send-async-waits", test_send_async_waits },
    { "send-async-cancel-close", test_send_async_cancel_close },
    { "pong-coalescing", test_pong_coalescing },
    { "pong-deadline-paused", test_pong_deadline_paused },
    { "pong-deadline-dead-peer", test_pong_deadline_dead_peer },
  };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/backpressure/properties", test_properties);
  g_test_add_data_func ("/backpressure/client/keeps-reading", GINT_TO_POINTER (FALSE), test_client_water_marks);
  g_test_add_data_func ("/backpressure/client/pauses-when-set", GINT_TO_POINTER (TRUE), test_client_water_marks);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *soup = g_strdup_printf ("/backpressure/soup/%s", tests[i].name);
      g_autofree char *stream = g_strdup_printf ("/backpressure/stream/%s", tests[i].name);

      g_test_add (soup, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_SOUP), setup, tests[i].body, teardown);
      g_test_add (stream, Fixture, GINT_TO_POINTER (FWS_TEST_DOOR_STREAM), setup, tests[i].body, teardown);
    }
  return g_test_run ();
}
