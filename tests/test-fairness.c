/* test-fairness.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fairness over loopback (issue 10, item 3): the work one connection does in
 * one main-loop dispatch is bounded, and the rest continues in later ones.
 * The peers are raw sockets written here (a permessage-deflate client with
 * zlib); the bounds are asserted through signal counts per main-context
 * iteration and the order of events, never through timing.
 */
#include "test-utils.h"

#include <string.h>
#include <sys/socket.h>
#include <zlib.h>

#include "fws-transport-private.h"

/* What FwsWebSocket allows one connection per dispatch (fws-web-socket.c). */
#define TURN_MESSAGES 256
#define TURN_INFLATED (256 * 1024)

typedef struct
{
  FwsTestServer *server;
  guint          port;
  GPtrArray     *sockets;    /* of FwsWebSocket, in the order they came */
  GPtrArray     *events;     /* of FwsTestEvents, likewise */
  gboolean       echo;
  guint          total_messages;
} Fixture;

static void
message_count_cb (FwsWebSocket *ws, FwsMessageType type, GBytes *data, gpointer user_data)
{
  ((Fixture *) user_data)->total_messages++;
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();
  FwsTestEvents *events;
  FwsWebSocket *ws;

  if (!fws_test_request_expect_websocket (request))
    return;
  ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  g_assert_true (fws_web_socket_add_extension (ws, FWS_EXTENSION (ext), &error));
  g_assert_no_error (error);
  g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
  g_assert_no_error (error);
  events = fws_test_events_new (f->echo);
  fws_test_events_watch (events, ws);
  g_signal_connect (ws, "message", G_CALLBACK (message_count_cb), f);
  g_ptr_array_add (f->sockets, ws);
  g_ptr_array_add (f->events, events);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->server = fws_test_server_start (GPOINTER_TO_INT (data), NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) fws_test_events_free);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->sockets->len; i++)
    fws_test_events_close (f->events->pdata[i], f->sockets->pdata[i], 10);
  g_ptr_array_unref (f->sockets);
  g_ptr_array_unref (f->events);
  g_clear_pointer (&f->server, fws_test_server_stop);
}

#define EVENTS(f, i) ((FwsTestEvents *) (f)->events->pdata[i])

/* ---- A raw peer ---- */

typedef struct
{
  GSocketConnection *conn;
  GSocket           *socket;
  GByteArray        *in;
  GByteArray        *out;      /* not yet sent */
  z_stream           z;        /* permessage-deflate, context takeover */
  gboolean           deflate;
} Peer;

static void
peer_flush (Peer *peer)
{
  while (peer->out->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (peer->socket, (const char *) peer->out->data, peer->out->len, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return;
        }
      g_byte_array_remove_range (peer->out, 0, (guint) n);
    }
}

/* Reads what is there; returns FALSE at EOF. */
static gboolean
peer_pump (Peer *peer)
{
  guint8 buf[65536];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (peer->socket, (char *) buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          return FALSE;
        }
      if (n == 0)
        return FALSE;
      g_byte_array_append (peer->in, buf, (guint) n);
    }
}

static gboolean
peer_has_head (Peer *peer)
{
  peer_pump (peer);
  return peer->in->len >= 4 && memmem (peer->in->data, peer->in->len, "\r\n\r\n", 4) != NULL;
}

static Peer *
peer_connect (Fixture *f, gboolean deflate)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *head = g_strdup_printf ("GET /fair HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                           "Sec-WebSocket-Version: 13\r\n%s\r\n",
                                           deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
  guint n_before = f->sockets->len;
  Peer *peer = g_new0 (Peer, 1);
  const guint8 *end;

  peer->conn = g_socket_client_connect_to_host (sc, "127.0.0.1", (guint16) f->port, NULL, &error);
  g_assert_no_error (error);
  peer->socket = g_socket_connection_get_socket (peer->conn);
  g_socket_set_blocking (peer->socket, FALSE);
  peer->in = g_byte_array_new ();
  peer->out = g_byte_array_new ();
  peer->deflate = deflate;
  g_assert_cmpint (deflateInit2 (&peer->z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);

  g_byte_array_append (peer->out, (const guint8 *) head, (guint) strlen (head));
  peer_flush (peer);
  fws_test_wait_until (peer_has_head (peer) && f->sockets->len > n_before &&
                       EVENTS (f, f->sockets->len - 1)->opens > 0, 10);
  g_assert_true (g_str_has_prefix ((const char *) peer->in->data, "HTTP/1.1 101 "));
  g_assert_true ((memmem (peer->in->data, peer->in->len, "permessage-deflate", 18) != NULL) == deflate);
  end = memmem (peer->in->data, peer->in->len, "\r\n\r\n", 4);
  g_byte_array_remove_range (peer->in, 0, (guint) (end + 4 - peer->in->data));
  return peer;
}

static void
peer_free (Peer *peer)
{
  deflateEnd (&peer->z);
  g_io_stream_close (G_IO_STREAM (peer->conn), NULL, NULL);
  g_object_unref (peer->conn);
  g_byte_array_unref (peer->in);
  g_byte_array_unref (peer->out);
  g_free (peer);
}

/* Queues a masked text frame (compressed, with RSV1, when @compress). */
static void
peer_queue_text (Peer *peer, const void *data, gsize len, gboolean compress)
{
  static const guint8 key[4] = { 0x37, 0xfa, 0x21, 0x3d };
  g_autoptr(GBytes) frame = NULL;

  if (compress)
    {
      gsize cap = deflateBound (&peer->z, (uLong) len) + 64;
      g_autofree guint8 *z = g_malloc (cap);

      g_assert_true (peer->deflate);
      peer->z.next_in = (Bytef *) data;
      peer->z.avail_in = (uInt) len;
      peer->z.next_out = z;
      peer->z.avail_out = (uInt) cap;
      g_assert_cmpint (deflate (&peer->z, Z_SYNC_FLUSH), ==, Z_OK);
      g_assert_cmpuint (peer->z.avail_in, ==, 0);
      g_assert_cmpuint (peer->z.avail_out, >, 0);
      /* RFC 7692: without the final 00 00 ff ff. */
      frame = fws_test_frame (0xc1, key, z, cap - peer->z.avail_out - 4);
    }
  else
    frame = fws_test_frame (0x81, key, data, len);
  g_byte_array_append (peer->out, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
}

/* Counts the whole frames in peer->in (unmasked, short headers); drops them. */
static guint
peer_take_frames (Peer *peer)
{
  guint n = 0;
  gsize off = 0;

  for (;;)
    {
      guint64 len;
      gsize head;

      if (peer->in->len - off < 2)
        break;
      len = peer->in->data[off + 1] & 0x7f;
      head = 2;
      if (len == 126)
        {
          if (peer->in->len - off < 4)
            break;
          len = ((guint64) peer->in->data[off + 2] << 8) | peer->in->data[off + 3];
          head = 4;
        }
      g_assert_cmpuint (len, <, 127 * 1024);
      if (peer->in->len - off < head + len)
        break;
      off += head + (gsize) len;
      n++;
    }
  g_byte_array_remove_range (peer->in, 0, (guint) off);
  return n;
}

/* ---- Tests ---- */

/* Runs one main-context iteration (fws_test_iterate) and returns how many
 * messages the server's connections emitted in it. */
static guint
iterate_counting (Fixture *f)
{
  guint before = f->total_messages;

  fws_test_iterate ();
  return f->total_messages - before;
}

static void
test_messages_per_dispatch (Fixture *f, gconstpointer data)
{
  const guint n = 3000;
  Peer *peer;
  guint most = 0, busy = 0;
  gint64 deadline;

  g_test_summary ("3,000 small messages that arrive in one read are emitted at most 256 per "
                  "main-context iteration (one dispatch), all of them in order");
  peer = peer_connect (f, FALSE);
  for (guint i = 0; i < n; i++)
    {
      char text[16];

      g_snprintf (text, sizeof text, "m%u", i);
      peer_queue_text (peer, text, strlen (text), FALSE);
    }
  g_assert_cmpuint (peer->out->len, <, 64 * 1024);   /* one read of the transport */
  peer_flush (peer);
  g_assert_cmpuint (peer->out->len, ==, 0);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (EVENTS (f, 0)->messages->len < n)
    {
      guint k = iterate_counting (f);

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      most = MAX (most, k);
      if (k > 0)
        busy++;
    }
  g_test_message ("at most %u messages in one iteration, %u iterations emitted some", most, busy);
  g_assert_cmpuint (most, <=, TURN_MESSAGES);
  g_assert_cmpuint (busy, >=, (n + TURN_MESSAGES - 1) / TURN_MESSAGES);
  for (guint i = 0; i < n; i += 997)
    {
      g_autofree char *want = g_strdup_printf ("m%u", i);

      g_assert_cmpstr (g_bytes_get_data (EVENTS (f, 0)->messages->pdata[i], NULL), ==, want);
    }
  peer_free (peer);
}

static void
test_inflate_yields (Fixture *f, gconstpointer data)
{
  const gsize big_len = 16 * 1024 * 1024;
  g_autofree char *big = g_malloc (big_len);
  Peer *bomber, *other;
  guint iterations = 0;
  gint64 deadline;

  g_test_summary ("A message that inflates to 16 MiB is inflated 256 KiB per dispatch: a small "
                  "message another connection sends after it arrived is emitted first, and the "
                  "big one takes at least 64 iterations");
  memset (big, 'a', big_len);
  bomber = peer_connect (f, TRUE);
  other = peer_connect (f, FALSE);

  peer_queue_text (bomber, big, big_len, TRUE);
  g_assert_cmpuint (bomber->out->len, <, 64 * 1024);
  peer_flush (bomber);
  g_assert_cmpuint (bomber->out->len, ==, 0);
  /* The server reads the frame and starts on it. */
  fws_test_iterate ();
  fws_test_iterate ();
  g_assert_cmpuint (EVENTS (f, 0)->messages->len, ==, 0);

  peer_queue_text (other, "after", 5, FALSE);
  peer_flush (other);
  fws_test_wait_until (EVENTS (f, 1)->messages->len > 0, 10);
  g_assert_cmpuint (EVENTS (f, 0)->messages->len, ==, 0);
  g_assert_cmpstr (g_bytes_get_data (EVENTS (f, 1)->messages->pdata[0], NULL), ==, "after");

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (EVENTS (f, 0)->messages->len == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fws_test_iterate ();
      iterations++;
    }
  g_test_message ("%u more iterations for the 16 MiB message", iterations);
  g_assert_cmpuint (iterations + 2, >=, big_len / TURN_INFLATED);
  g_assert_cmpuint (g_bytes_get_size (EVENTS (f, 0)->messages->pdata[0]), ==, big_len);
  peer_free (bomber);
  peer_free (other);
}

static void
test_paused_with_backlog (Fixture *f, gconstpointer data)
{
  const guint n = 20000;
  const gsize len = 1000;
  g_autofree char *text = g_strnfill (len, 'e');
  guint echoed = 0;
  gboolean saw_pressure = FALSE;
  Peer *peer;
  gint64 deadline;

  g_test_summary ("A peer that sends 20 MB of messages to echo and does not read: reading pauses "
                  "above the high-water mark with input deferred, and once the peer reads, every "
                  "echo arrives (the paused connection resumes its deferred input)");
  f->echo = TRUE;
  peer = peer_connect (f, FALSE);
  for (guint i = 0; i < n; i++)
    peer_queue_text (peer, text, len, FALSE);

  /* Send without reading until the server stops taking bytes. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!saw_pressure)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      peer_flush (peer);
      fws_test_iterate ();
      if (fws_web_socket_get_buffered_amount (f->sockets->pdata[0]) > 1024 * 1024)
        saw_pressure = TRUE;
      if (peer->out->len == 0)
        break;
    }
  g_assert_true (saw_pressure);
  g_assert_cmpuint (EVENTS (f, 0)->messages->len, <, n);

  /* Now read everything. */
  while (echoed < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      peer_flush (peer);
      fws_test_iterate ();
      g_assert_true (peer_pump (peer));
      echoed += peer_take_frames (peer);
    }
  g_assert_cmpuint (EVENTS (f, 0)->messages->len, ==, n);
  g_assert_cmpuint (echoed, ==, n);
  peer_free (peer);
}

static void
test_close_while_inflating (Fixture *f, gconstpointer data)
{
  const gsize big_len = 32 * 1024 * 1024;
  g_autofree char *big = g_malloc (big_len);
  Peer *bomber;

  g_test_summary ("Closing a connection while a message inflates over several dispatches is "
                  "safe: the server closes with 1000, the peer answers, and nothing is emitted "
                  "after close (valgrind sees no leak)");
  memset (big, 'b', big_len);
  bomber = peer_connect (f, TRUE);
  peer_queue_text (bomber, big, big_len, TRUE);
  peer_queue_text (bomber, "after", 5, TRUE);
  peer_flush (bomber);
  fws_test_iterate ();
  fws_test_iterate ();
  g_assert_cmpuint (EVENTS (f, 0)->messages->len, ==, 0);
  g_assert_true (fws_web_socket_close (f->sockets->pdata[0], 1000, "bye", NULL));
  {
    static const guint8 key[4] = { 1, 2, 3, 4 };
    static const guint8 body[2] = { 0x03, 0xe8 };
    g_autoptr(GBytes) close_frame = fws_test_frame (0x88, key, body, 2);

    g_byte_array_append (bomber->out, g_bytes_get_data (close_frame, NULL),
                         (guint) g_bytes_get_size (close_frame));
    peer_flush (bomber);
  }
  fws_test_wait_until (EVENTS (f, 0)->closes > 0, 20);
  g_assert_cmpuint (EVENTS (f, 0)->close_code, ==, 1000);
  /* Messages that were still on their way may have been emitted before the
   * close frame was read; none after it. */
  g_assert_cmpuint (EVENTS (f, 0)->messages->len, <=, 2);
  peer_free (bomber);

  /* The peer vanishes while its message inflates: 1006 once reading resumes. */
  bomber = peer_connect (f, TRUE);
  peer_queue_text (bomber, big, big_len, TRUE);
  peer_flush (bomber);
  fws_test_iterate ();
  peer_free (bomber);
  fws_test_wait_until (EVENTS (f, 1)->closes > 0, 20);
  g_assert_cmpuint (EVENTS (f, 1)->close_code, ==, 1006);
}

/* ---- The transport's deferred input ---- */

typedef struct
{
  FwsTransport *transport;
  GObject      *owner;
  GByteArray   *got;          /* everything received, in order */
  gsize         take;         /* bytes taken per call; the rest is deferred */
  guint         calls;
  guint         failed;
} DeferOwner;

static void
defer_received_cb (gpointer user_data, const guint8 *data, gsize len)
{
  DeferOwner *o = user_data;
  gsize n = MIN (len, o->take);

  /* Never while the high-water mark holds reading back. */
  g_assert_false (fws_transport_is_read_paused (o->transport));
  o->calls++;
  g_byte_array_append (o->got, data, (guint) n);
  if (n < len)
    fws_transport_defer (o->transport, data + n, len - n);
}

static void
defer_failed_cb (gpointer user_data, const GError *error)
{
  ((DeferOwner *) user_data)->failed++;
}

static void
defer_drained_cb (gpointer user_data)
{
}

static const FwsTransportCallbacks defer_callbacks = {
  defer_received_cb,
  defer_failed_cb,
  defer_drained_cb,
  NULL,
  NULL,
};

static void
loopback_pair (GSocketConnection **ours, GSocket **peer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocket) accepted = NULL;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  bound = g_socket_get_local_address (listener, &error);
  *peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_true (g_socket_connect (*peer, bound, NULL, &error));
  accepted = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (*peer, FALSE);
  *ours = g_socket_connection_factory_create_connection (accepted);
}

static gsize
peer_drain (GSocket *peer)
{
  guint8 buf[65536];
  gsize total = 0;
  gssize n;

  while ((n = g_socket_receive (peer, (char *) buf, sizeof buf, NULL, NULL)) > 0)
    total += (gsize) n;
  return total;
}

static void
test_transport_deferred (void)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autofree guint8 *input = g_malloc (100000);
  g_autofree guint8 *junk = g_malloc0 (1024 * 1024);
  DeferOwner o = { 0 };
  guint calls;

  g_test_summary ("An owner that takes 1,000 bytes per call and defers the rest gets them one "
                  "call per dispatch, in order; while the high-water mark pauses reading nothing "
                  "is handed over, and once the queue drains the deferred input resumes; "
                  "reading turned off and on again resumes it too; release while deferred is safe");
  for (gsize i = 0; i < 100000; i++)
    input[i] = (guint8) (i * 31 + i / 251);
  o.owner = g_object_new (G_TYPE_OBJECT, NULL);
  o.got = g_byte_array_new ();
  o.take = 1000;
  o.transport = fws_transport_new (g_main_context_default (), o.owner, &defer_callbacks, &o);
  loopback_pair (&conn, &peer);
  g_assert_true (fws_transport_adopt (o.transport, G_IO_STREAM (conn)));
  fws_transport_set_water_marks (o.transport, 64 * 1024, 16 * 1024);
  fws_transport_set_reading (o.transport, TRUE);

  g_assert_cmpint (g_socket_send (peer, (const char *) input, 100000, NULL, NULL), ==, 100000);
  fws_test_wait_until (o.got->len > 0, 10);
  g_assert_true (fws_transport_is_deferred (o.transport));
  /* One call per dispatch from here: each iteration takes at most 1,000. */
  for (guint i = 0; i < 5; i++)
    {
      guint before = o.got->len;

      g_main_context_iteration (NULL, FALSE);
      g_assert_cmpuint (o.got->len - before, <=, 1000);
    }

  /* The peer stops reading and we queue 32 MiB: reading pauses. */
  for (guint i = 0; i < 32; i++)
    fws_transport_write (o.transport, junk, 1024 * 1024);
  fws_test_wait_until (fws_transport_is_read_paused (o.transport), 10);
  calls = o.calls;
  fws_test_run_for (200);
  g_assert_cmpuint (o.calls, ==, calls);
  g_assert_true (fws_transport_is_deferred (o.transport));

  /* The peer reads: the queue drains, reading resumes with what was deferred. */
  {
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
    gsize drained = 0;

    while (fws_transport_get_queued (o.transport) > 0 || fws_transport_is_read_paused (o.transport))
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        drained += peer_drain (peer);
        fws_test_iterate ();
      }
    g_assert_cmpuint (o.calls, >, calls);
  }

  /* Reading off: nothing handed over; on again: it resumes. */
  fws_transport_set_reading (o.transport, FALSE);
  calls = o.calls;
  fws_test_run_for (100);
  g_assert_cmpuint (o.calls, ==, calls);
  fws_transport_set_reading (o.transport, TRUE);
  fws_test_wait_until (o.got->len >= 60000, 20);

  /* Released with input deferred. */
  g_assert_true (fws_transport_is_deferred (o.transport));
  g_assert_cmpmem (o.got->data, o.got->len, input, o.got->len);
  fws_transport_release (o.transport);
  g_assert_false (fws_transport_is_deferred (o.transport));
  fws_test_run_for (50);
  g_assert_cmpuint (o.failed, ==, 0);
  fws_transport_free (o.transport);
  g_object_unref (o.owner);
  g_byte_array_unref (o.got);
}

static void
test_transport_deferred_all (void)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autofree guint8 *input = g_malloc (300000);
  DeferOwner o = { 0 };

  g_test_summary ("Deferred input is handed over before anything more is read, to the last "
                  "byte and in order, with more arriving meanwhile");
  for (gsize i = 0; i < 300000; i++)
    input[i] = (guint8) (i * 7 + i / 997);
  o.owner = g_object_new (G_TYPE_OBJECT, NULL);
  o.got = g_byte_array_new ();
  o.take = 4000;
  o.transport = fws_transport_new (g_main_context_default (), o.owner, &defer_callbacks, &o);
  loopback_pair (&conn, &peer);
  g_assert_true (fws_transport_adopt (o.transport, G_IO_STREAM (conn)));
  fws_transport_set_reading (o.transport, TRUE);
  for (gsize off = 0; off < 300000; off += 50000)
    {
      gsize sent = 0;

      while (sent < 50000)
        {
          gssize n = g_socket_send (peer, (const char *) input + off + sent, 50000 - sent, NULL, NULL);

          if (n > 0)
            sent += (gsize) n;
          fws_test_iterate ();
        }
    }
  fws_test_wait_until (o.got->len == 300000, 20);
  g_assert_cmpmem (o.got->data, o.got->len, input, 300000);
  fws_test_run_for (50);
  g_assert_false (fws_transport_is_deferred (o.transport));
  fws_transport_free (o.transport);
  g_object_unref (o.owner);
  g_byte_array_unref (o.got);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fairness/transport/deferred", test_transport_deferred);
  g_test_add_func ("/fairness/transport/deferred-all", test_transport_deferred_all);

  for (int door = FWS_TEST_DOOR_SOUP; door <= FWS_TEST_DOOR_STREAM; door++)
    {
      const char *name = door == FWS_TEST_DOOR_SOUP ? "soup" : "stream";
      g_autofree char *p1 = g_strdup_printf ("/fairness/%s/messages-per-dispatch", name);
      g_autofree char *p2 = g_strdup_printf ("/fairness/%s/inflate-yields", name);
      g_autofree char *p3 = g_strdup_printf ("/fairness/%s/paused-with-backlog", name);
      g_autofree char *p4 = g_strdup_printf ("/fairness/%s/close-while-inflating", name);

      g_test_add (p1, Fixture, GINT_TO_POINTER (door), setup, test_messages_per_dispatch, teardown);
      g_test_add (p2, Fixture, GINT_TO_POINTER (door), setup, test_inflate_yields, teardown);
      g_test_add (p3, Fixture, GINT_TO_POINTER (door), setup, test_paused_with_backlog, teardown);
      g_test_add (p4, Fixture, GINT_TO_POINTER (door), setup, test_close_while_inflating, teardown);
    }
  return g_test_run ();
}
