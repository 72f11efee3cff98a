/* test-transport.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The byte pipe under FwsWebSocket and FwsEventSource, over real loopback
 * TCP: the hard limit on its queue, 64-bit counts, and reading that pauses
 * above the high-water mark so TCP back-pressure reaches the peer. Every
 * assertion goes through the transport's own counters, never timing.
 */
#include "test-utils.h"
#include "test-tls-utils.h"

#include <string.h>
#include <sys/socket.h>

#include "fws-transport-private.h"

typedef struct
{
  FwsTransport *transport;
  GObject      *owner;
  guint         n_failed;
  GError       *error;        /* of the failed callback */
  guint64       received;     /* bytes seen by the received callback */
  GArray       *pressure;     /* of gboolean, in order */
  guint64       queued_at_resume;
  gboolean      echo;         /* write every byte received back */
  guint64       max_queued_seen;
} Fixture;

static void
received_cb (gpointer      user_data,
             const guint8 *data,
             gsize         len)
{
  Fixture *f = user_data;

  /* Never while the high-water mark holds reading back. */
  g_assert_false (fws_transport_is_read_paused (f->transport));
  f->received += len;
  if (f->echo)
    {
      fws_transport_write (f->transport, data, len);
      f->max_queued_seen = MAX (f->max_queued_seen, fws_transport_get_queued (f->transport));
    }
}

static void
failed_cb (gpointer      user_data,
           const GError *error)
{
  Fixture *f = user_data;

  f->n_failed++;
  g_clear_error (&f->error);
  if (error)
    f->error = g_error_copy (error);
}

static void
drained_cb (gpointer user_data)
{
}

static void
pressure_cb (gpointer user_data,
             gboolean above)
{
  Fixture *f = user_data;

  g_array_append_val (f->pressure, above);
  g_assert_cmpint (above, ==, fws_transport_is_read_paused (f->transport));
  if (!above)
    f->queued_at_resume = fws_transport_get_queued (f->transport);
}

/* Initialised in the order of the existing owners' tables, with the new
 * member last: older initialisers leave it NULL. */
static const FwsTransportCallbacks callbacks = {
  received_cb,
  failed_cb,
  drained_cb,
  NULL,
  pressure_cb,
};

static void
fixture_init (Fixture *f)
{
  memset (f, 0, sizeof *f);
  f->owner = g_object_new (G_TYPE_OBJECT, NULL);
  f->pressure = g_array_new (FALSE, FALSE, sizeof (gboolean));
  f->transport = fws_transport_new (g_main_context_default (), f->owner, &callbacks, f);
}

static void
fixture_clear (Fixture *f)
{
  fws_transport_free (f->transport);
  g_object_unref (f->owner);
  g_array_unref (f->pressure);
  g_clear_error (&f->error);
}

static void
set_buffers (GSocket *socket,
             int      size)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, size, &error));
  g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, size, &error));
  g_assert_no_error (error);
}

/* A connected loopback pair with small kernel buffers, so that what one
 * side does not read backs up quickly. @peer is non-blocking. */
static void
loopback_pair (GSocketConnection **ours,
               GSocket           **peer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocket) accepted = NULL;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  set_buffers (listener, 16384);   /* inherited by the accepted socket */
  g_assert_true (g_socket_bind (listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);

  *peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  set_buffers (*peer, 16384);
  g_assert_true (g_socket_connect (*peer, bound, NULL, &error));
  accepted = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (*peer, FALSE);
  *ours = g_socket_connection_factory_create_connection (accepted);
}

/* Iterates until the context has nothing ready, at most @max times. */
static void
iterate_until_idle (guint max)
{
  GMainContext *ctx = g_main_context_get_thread_default ();

  while (max-- > 0 && g_main_context_iteration (ctx, FALSE))
    ;
}

/* ---- The hard limit ---- */

static void
test_defaults (void)
{
  Fixture f;
  guint64 high, low;

  g_test_summary ("The documented defaults: 1 GiB hard limit, high-water 1 MiB, low-water 256 KiB");
  fixture_init (&f);
  g_assert_cmpuint (fws_transport_get_max_queued (f.transport), ==, G_GUINT64_CONSTANT (1) << 30);
  fws_transport_get_water_marks (f.transport, &high, &low);
  g_assert_cmpuint (high, ==, 1024 * 1024);
  g_assert_cmpuint (low, ==, 256 * 1024);
  /* The low mark never exceeds the high one. */
  fws_transport_set_water_marks (f.transport, 1000, 5000);
  fws_transport_get_water_marks (f.transport, &high, &low);
  g_assert_cmpuint (high, ==, 1000);
  g_assert_cmpuint (low, ==, 1000);
  fixture_clear (&f);
}

static void
test_hard_limit_small_writes (void)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame_payload = NULL;
  const guint64 limit = 65536;
  guint8 msg[100];
  guint64 accepted = 0;
  guint n_writes = 0;
  Fixture f;

  g_test_summary ("Many small writes past the hard limit: the one that would cross it fails with "
                  "FWS_ERROR_QUEUE_FULL and queues nothing; no abort");
  fixture_init (&f);
  loopback_pair (&conn, &peer);
  g_assert_true (fws_transport_adopt (f.transport, G_IO_STREAM (conn)));
  fws_transport_set_max_queued (f.transport, limit);
  memset (msg, 'x', sizeof msg);

  /* No loop iteration: nothing is flushed, so the queue only grows. */
  while (fws_transport_try_write (f.transport, msg, sizeof msg, &error))
    {
      accepted += sizeof msg;
      n_writes++;
      g_assert_cmpuint (n_writes, <, 1000000);
    }
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_cmpuint (accepted, ==, (limit / sizeof msg) * sizeof msg);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, accepted);
  g_assert_cmpuint (fws_transport_get_total_queued (f.transport), ==, accepted);
  g_clear_error (&error);

  /* What still fits is taken... */
  g_assert_true (fws_transport_try_write (f.transport, msg, limit - accepted, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, limit);
  /* ...and not one byte more; an empty write is fine. */
  g_assert_false (fws_transport_try_write (f.transport, msg, 1, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_clear_error (&error);
  g_assert_true (fws_transport_try_write (f.transport, msg, 0, &error));

  /* Written to the kernel, the queue has room again. */
  fws_test_wait_until (fws_transport_get_queued (f.transport) < limit - 1000, 10);
  g_assert_true (fws_transport_try_write (f.transport, msg, sizeof msg, &error));
  g_assert_no_error (error);

  /* A frame is all or nothing: a header that fits with a payload that
   * does not queues neither. */
  {
    guint64 before = fws_transport_get_queued (f.transport);
    guint8 header[4] = { 0x82, 0x7e, 0, 0 };

    frame_payload = g_bytes_new_take (g_malloc0 (limit), limit);
    g_assert_false (fws_transport_try_write_frame (f.transport, header, sizeof header, frame_payload, &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
    g_clear_error (&error);
    g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, before);
    g_assert_false (fws_transport_try_write_bytes (f.transport, frame_payload, &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
    g_clear_error (&error);
    g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, before);
  }

  /* The void variant, for callers that do not handle the error: the
   * write queues nothing and the transport fails, from the loop. */
  while (fws_transport_get_queued (f.transport) + sizeof msg <= limit)
    fws_transport_write (f.transport, msg, sizeof msg);
  fws_transport_write (f.transport, msg, sizeof msg);
  g_assert_cmpuint (f.n_failed, ==, 0);
  g_assert_false (fws_transport_is_open (f.transport));
  g_assert_false (fws_transport_try_write (f.transport, msg, 1, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
  g_clear_error (&error);
  fws_test_wait_until (f.n_failed > 0, 10);
  g_assert_cmpuint (f.n_failed, ==, 1);
  g_assert_error (f.error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, 0);

  fixture_clear (&f);
}

/* ---- 64-bit counts ---- */

static guint8 one_mib[1024 * 1024];   /* zero pages, never touched */

static void
test_counts_are_64_bit (void)
{
  g_autoptr(GBytes) mib = g_bytes_new_static (one_mib, sizeof one_mib);
  g_autoptr(GError) error = NULL;
  const guint64 five_gib = G_GUINT64_CONSTANT (5) << 30;
  Fixture f;

  g_test_summary ("More than 4 GiB queued (references to one 1 MiB payload, never written) is "
                  "counted exactly, and the hard limit works past 4 GiB");
  G_STATIC_ASSERT (sizeof (fws_transport_get_queued (NULL)) == 8);
  G_STATIC_ASSERT (sizeof (fws_transport_get_total_queued (NULL)) == 8);
  G_STATIC_ASSERT (sizeof (fws_transport_get_total_written (NULL)) == 8);
  G_STATIC_ASSERT (sizeof (fws_transport_get_total_read (NULL)) == 8);
  G_STATIC_ASSERT (sizeof (fws_transport_get_max_queued (NULL)) == 8);

  fixture_init (&f);   /* no stream: nothing is flushed */
  fws_transport_set_max_queued (f.transport, five_gib + 100);
  for (guint64 i = 0; i < five_gib / sizeof one_mib; i++)
    g_assert_true (fws_transport_try_write_bytes (f.transport, mib, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, five_gib);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), >, G_MAXUINT32);
  g_assert_cmpuint (fws_transport_get_total_queued (f.transport), ==, five_gib);

  g_assert_false (fws_transport_try_write_bytes (f.transport, mib, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL);
  g_clear_error (&error);
  g_assert_true (fws_transport_try_write (f.transport, one_mib, 100, &error));
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, five_gib + 100);

  fws_transport_clear_queue (f.transport);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, 0);
  g_assert_cmpuint (fws_transport_get_total_queued (f.transport), ==, five_gib + 100);
  /* 0: no limit. */
  fws_transport_set_max_queued (f.transport, 0);
  g_assert_true (fws_transport_try_write_bytes (f.transport, mib, &error));
  fixture_clear (&f);
}

/* ---- TLS ---- */

static gboolean
accept_any_cb (GTlsConnection       *conn,
               GTlsCertificate      *cert,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  return TRUE;
}

static void
handshake_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  guint *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error));
  g_assert_no_error (error);
  (*done)++;
}

/* A loopback pair with TLS over it, handshakes done. */
static void
tls_pair (FwsTestCerts  *certs,
          GIOStream    **ours_tls,
          GIOStream    **peer_tls)
{
  g_autoptr(GTlsCertificate) cert = fws_test_certs_load (certs->server_cert, certs->server_key);
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocketConnection) peer_conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GError) error = NULL;
  guint handshakes = 0;

  loopback_pair (&conn, &peer);
  peer_conn = g_socket_connection_factory_create_connection (peer);
  *ours_tls = g_tls_server_connection_new (G_IO_STREAM (conn), cert, &error);
  g_assert_no_error (error);
  *peer_tls = g_tls_client_connection_new (G_IO_STREAM (peer_conn), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (*peer_tls, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (*ours_tls), G_PRIORITY_DEFAULT, NULL,
                                    handshake_done_cb, &handshakes);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (*peer_tls), G_PRIORITY_DEFAULT, NULL,
                                    handshake_done_cb, &handshakes);
  fws_test_wait_until (handshakes == 2, 20);
}

/* ---- Order and integrity ---- */

/* The peer reads at most @len bytes, plain or TLS; -1 when it would block. */
static gssize
peer_receive (GSocket   *peer,
              GIOStream *peer_tls,
              guint8    *buf,
              gsize      len)
{
  g_autoptr(GError) error = NULL;
  gssize n;

  if (peer_tls)
    n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (peer_tls)),
                                                  buf, len, NULL, &error);
  else
    n = g_socket_receive (peer, (char *) buf, len, NULL, &error);
  if (n < 0)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  else
    g_assert_cmpint (n, >, 0);
  return n;
}

static void
test_stream_intact (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  FwsTestCerts *certs = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GIOStream) ours_tls = NULL;
  g_autoptr(GIOStream) peer_tls = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261203);
  const guint64 total = 8 * 1024 * 1024;
  guint8 *pattern = g_malloc (total + 70000);
  guint64 queued = 0, got = 0;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  static guint8 buf[65536];
  Fixture f;

  g_test_summary ("8 MiB written as a random mix of small copies, headers and referenced "
                  "payloads, with the peer reading at random moments, arrives byte for byte");
  for (gsize i = 0; i < total + 70000; i++)
    pattern[i] = (guint8) (i * 7 + (i >> 13));
  fixture_init (&f);
  if (tls)
    {
      fws_test_assert_tls_backend ();
      certs = fws_test_certs_new ();
      tls_pair (certs, &ours_tls, &peer_tls);
      g_assert_true (fws_transport_adopt (f.transport, ours_tls));
    }
  else
    {
      loopback_pair (&conn, &peer);
      g_assert_true (fws_transport_adopt (f.transport, G_IO_STREAM (conn)));
    }
  fws_transport_set_water_marks (f.transport, 0, 0);

  while (queued < total || got < queued)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* A burst of writes of every kind... */
      for (guint n = g_rand_int_range (rand, 0, 40); n > 0 && queued < total; n--)
        {
          g_autoptr(GError) error = NULL;
          gsize len;

          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0:   /* a small copy */
              len = g_rand_int_range (rand, 0, 200);
              g_assert_true (fws_transport_try_write (f.transport, pattern + queued, len, &error));
              break;
            case 1:   /* a copy of any size */
              len = g_rand_int_range (rand, 1, 40000);
              g_assert_true (fws_transport_try_write (f.transport, pattern + queued, len, &error));
              break;
            case 2:   /* a payload, small (copied) or large (referenced) */
              {
                g_autoptr(GBytes) bytes = NULL;

                len = g_rand_int_range (rand, 0, 70000);
                bytes = g_bytes_new (pattern + queued, len);
                g_assert_true (fws_transport_try_write_bytes (f.transport, bytes, &error));
              }
              break;
            default:  /* a header and its payload */
              {
                g_autoptr(GBytes) bytes = NULL;
                gsize hlen = g_rand_int_range (rand, 2, 15);

                len = g_rand_int_range (rand, 0, 5000);
                bytes = g_bytes_new (pattern + queued + hlen, len);
                g_assert_true (fws_transport_try_write_frame (f.transport, pattern + queued, hlen,
                                                              bytes, &error));
                len += hlen;
              }
              break;
            }
          g_assert_no_error (error);
          queued += len;
        }
      /* ...some of it flushed, some of it read. */
      if (g_rand_boolean (rand))
        g_main_context_iteration (NULL, FALSE);
      if (g_rand_boolean (rand))
        {
          gssize n = peer_receive (peer, peer_tls, buf, g_rand_int_range (rand, 1, sizeof buf));

          if (n > 0)
            {
              if (memcmp (buf, pattern + got, n) != 0)
                g_error ("the stream differs within bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                         got, got + (guint64) n);
              got += (guint64) n;
            }
        }
    }
  g_assert_cmpuint (got, ==, queued);
  g_assert_cmpuint (fws_transport_get_total_written (f.transport), ==, queued);
  g_assert_cmpuint (fws_transport_get_total_queued (f.transport), ==, queued);
  g_assert_cmpuint (fws_transport_get_queued (f.transport), ==, 0);
  g_free (pattern);
  fixture_clear (&f);
  if (certs)
    fws_test_certs_free (certs);
}

/* ---- Back-pressure ---- */

/* The peer sends until its kernel says it would block; returns the bytes. */
static guint64
peer_send_until_blocked (GSocket *peer)
{
  static guint8 buf[4096];
  guint64 sent = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send (peer, (const char *) buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return sent;
        }
      sent += (guint64) n;
      /* Bounded: small buffers fill long before this. */
      g_assert_cmpuint (sent, <, 64 * 1024 * 1024);
    }
}

/* The peer reads what is there; returns the bytes. */
static guint64
peer_drain (GSocket *peer)
{
  static guint8 buf[65536];
  guint64 got = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive (peer, (char *) buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return got;
        }
      g_assert_cmpint (n, >, 0);
      got += (guint64) n;
    }
}

static void
test_read_pauses_above_high_water (void)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GError) error = NULL;
  const guint64 high = 64 * 1024, low = 16 * 1024;
  const gsize out_size = 1024 * 1024;
  guint64 peer_sent = 0, peer_got = 0, read_at_pause;
  Fixture f;

  g_test_summary ("While our queue is above the high-water mark nothing is read from the peer, "
                  "whose sends then block; below the low-water mark reading resumes and every "
                  "byte arrives");
  fixture_init (&f);
  loopback_pair (&conn, &peer);
  g_assert_true (fws_transport_adopt (f.transport, G_IO_STREAM (conn)));
  fws_transport_set_water_marks (f.transport, high, low);
  fws_transport_set_reading (f.transport, TRUE);

  /* Reading works while the queue is empty. */
  peer_sent += peer_send_until_blocked (peer);
  fws_test_wait_until (f.received == peer_sent, 10);
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, peer_sent);
  g_assert_cmpuint (f.pressure->len, ==, 0);

  /* 1 MiB for a peer that does not read: the queue stays above 64 KiB. */
  big = g_bytes_new_take (g_malloc0 (out_size), out_size);
  g_assert_true (fws_transport_try_write_bytes (f.transport, big, &error));
  g_assert_no_error (error);
  fws_test_wait_until (f.pressure->len == 1, 10);
  g_assert_true (g_array_index (f.pressure, gboolean, 0));
  g_assert_true (fws_transport_is_read_paused (f.transport));
  g_assert_cmpuint (fws_transport_get_queued (f.transport), >, high);
  read_at_pause = fws_transport_get_total_read (f.transport);

  /* The peer keeps sending until TCP back-pressure stops it... */
  for (guint round = 0; round < 5; round++)
    {
      peer_sent += peer_send_until_blocked (peer);
      iterate_until_idle (1000);
      fws_test_iterate ();
    }
  g_assert_cmpuint (peer_sent, >, read_at_pause);
  /* ...and nothing of it was read: the counter did not move. */
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, read_at_pause);
  g_assert_cmpuint (f.received, ==, read_at_pause);
  g_assert_true (fws_transport_is_read_paused (f.transport));
  g_assert_cmpuint (f.pressure->len, ==, 1);

  /* The owner's own flag cannot override the pause. */
  fws_transport_set_reading (f.transport, FALSE);
  fws_transport_set_reading (f.transport, TRUE);
  iterate_until_idle (1000);
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, read_at_pause);

  /* The peer reads what we sent: the queue falls to the low-water mark,
   * reading resumes, and everything the peer sent arrives. */
  {
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    while (peer_got < out_size || f.received < peer_sent)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        peer_got += peer_drain (peer);
        fws_test_iterate ();
      }
  }
  g_assert_cmpuint (peer_got, ==, out_size);
  g_assert_cmpuint (f.pressure->len, ==, 2);
  g_assert_false (g_array_index (f.pressure, gboolean, 1));
  g_assert_cmpuint (f.queued_at_resume, <=, low);
  g_assert_false (fws_transport_is_read_paused (f.transport));
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, peer_sent);
  g_assert_cmpuint (fws_transport_get_total_written (f.transport), ==, out_size);
  g_assert_cmpuint (f.n_failed, ==, 0);

  /* Reading goes on as before. */
  peer_sent += peer_send_until_blocked (peer);
  fws_test_wait_until (f.received == peer_sent, 10);

  fixture_clear (&f);
}

static void
test_owner_flag_and_pause_combine (void)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GError) error = NULL;
  guint64 peer_sent;
  Fixture f;

  g_test_summary ("Leaving the high-water state does not read for an owner that does not want "
                  "input; high-water 0 never pauses");
  fixture_init (&f);
  loopback_pair (&conn, &peer);
  g_assert_true (fws_transport_adopt (f.transport, G_IO_STREAM (conn)));
  fws_transport_set_water_marks (f.transport, 1000, 0);
  big = g_bytes_new_take (g_malloc0 (256 * 1024), 256 * 1024);
  g_assert_true (fws_transport_try_write_bytes (f.transport, big, &error));
  fws_test_wait_until (f.pressure->len == 1, 10);
  peer_sent = peer_send_until_blocked (peer);

  /* Disabling the mark resumes at once (from the loop), but the owner
   * does not read yet. */
  fws_transport_set_water_marks (f.transport, 0, 0);
  fws_test_wait_until (f.pressure->len == 2, 10);
  g_assert_false (fws_transport_is_read_paused (f.transport));
  iterate_until_idle (1000);
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, 0);

  /* Now it does, with 256 KiB still queued. */
  fws_transport_set_reading (f.transport, TRUE);
  fws_test_wait_until (f.received == peer_sent, 10);
  g_assert_cmpuint (f.pressure->len, ==, 2);
  fixture_clear (&f);
}

static void
test_echo_amplification_bounded (void)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GSocket) peer = NULL;
  const guint64 high = 64 * 1024, low = 16 * 1024;
  const gsize read_size = 64 * 1024;   /* fws-loop's read buffer: one read at most */
  guint64 peer_sent = 0, peer_got = 0;
  Fixture f;

  g_test_summary ("An echo for a peer that sends without reading: our queue never grows past "
                  "the high-water mark plus one read, however long the peer goes on");
  fixture_init (&f);
  f.echo = TRUE;
  loopback_pair (&conn, &peer);
  g_assert_true (fws_transport_adopt (f.transport, G_IO_STREAM (conn)));
  fws_transport_set_water_marks (f.transport, high, low);
  fws_transport_set_reading (f.transport, TRUE);

  /* Twenty rounds of sending until the kernel pushes back. */
  for (guint round = 0; round < 20; round++)
    {
      peer_sent += peer_send_until_blocked (peer);
      iterate_until_idle (1000);
      fws_test_iterate ();
    }
  g_assert_true (fws_transport_is_read_paused (f.transport));
  g_assert_cmpuint (f.received, <, peer_sent);
  g_assert_cmpuint (f.max_queued_seen, <=, high + read_size);

  /* Once the peer reads, everything is echoed. */
  {
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    while (peer_got < peer_sent)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        peer_got += peer_drain (peer);
        fws_test_iterate ();
      }
  }
  g_assert_cmpuint (peer_got, ==, peer_sent);
  g_assert_cmpuint (f.max_queued_seen, <=, high + read_size);
  g_assert_cmpuint (f.n_failed, ==, 0);
  fixture_clear (&f);
}

/* ---- A client and a server ---- */

static void
test_client_and_server (void)
{
  g_autoptr(GSocketConnection) conn_a = NULL;
  g_autoptr(GSocketConnection) conn_b = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GBytes) msg = g_bytes_new_take (g_malloc0 (4 * 1024 * 1024), 4 * 1024 * 1024);
  g_autoptr(GError) error = NULL;
  guint64 high, low;
  Fixture a, b;

  g_test_summary ("A client that does not pause (as FwsClient's connections are set up) "
                  "pipelining two 4 MiB writes to an echoing server that does gets all back");
  fixture_init (&a);
  fixture_init (&b);
  a.echo = TRUE;
  loopback_pair (&conn_a, &peer);
  conn_b = g_socket_connection_factory_create_connection (peer);
  g_assert_true (fws_transport_adopt (a.transport, G_IO_STREAM (conn_a)));
  fws_transport_set_water_marks (b.transport, 0, 0);   /* fws_connection_take_stream */
  g_assert_true (fws_transport_adopt (b.transport, G_IO_STREAM (conn_b)));
  fws_transport_get_water_marks (a.transport, &high, &low);
  g_assert_cmpuint (high, ==, FWS_TRANSPORT_DEFAULT_HIGH_WATER);
  fws_transport_set_reading (a.transport, TRUE);
  fws_transport_set_reading (b.transport, TRUE);
  g_assert_true (fws_transport_try_write_bytes (b.transport, msg, &error));
  g_assert_true (fws_transport_try_write_bytes (b.transport, msg, &error));
  g_assert_no_error (error);

  /* Were B to pause too, each side would sit above its mark waiting for
   * the other to read (docs/limits.md). */
  fws_test_wait_until (b.received == 8 * 1024 * 1024, 20);
  g_assert_cmpuint (a.max_queued_seen, <=, FWS_TRANSPORT_DEFAULT_HIGH_WATER + 64 * 1024);
  g_assert_cmpuint (b.pressure->len, ==, 0);
  fixture_clear (&a);
  fixture_clear (&b);
}

/* ---- Back-pressure over TLS ---- */

/* The peer's TLS writes: always the same 16 KiB, so a retry after
 * WOULD_BLOCK is made with exactly the same bytes (PLATFORM.md 3). */
static guint64
peer_tls_send_until_blocked (GIOStream *peer)
{
  static guint8 record[16384];
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (peer));
  guint64 sent = 0;

  memset (record, 'p', sizeof record);
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (out, record, sizeof record, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return sent;
        }
      g_assert_cmpint (n, <=, sizeof record);
      sent += (guint64) n;
      g_assert_cmpuint (sent, <, 64 * 1024 * 1024);
    }
}

/* Reads what the peer can; checks the pattern our side wrote. */
static guint64
peer_tls_drain (GIOStream *peer,
                guint64    offset)
{
  static guint8 buf[65536];
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (peer));
  guint64 got = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (in, buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return got;
        }
      g_assert_cmpint (n, >, 0);
      for (gssize i = 0; i < n; i++)
        if (buf[i] != (guint8) ((offset + got + (guint64) i) % 251))
          g_error ("byte %" G_GUINT64_FORMAT " differs", offset + got + (guint64) i);
      got += (guint64) n;
    }
}

static void
test_tls_read_pauses_above_high_water (void)
{
  FwsTestCerts *certs;
  g_autoptr(GIOStream) ours_tls = NULL;
  g_autoptr(GIOStream) peer_tls = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) big = NULL;
  const gsize out_size = 1024 * 1024;
  guint64 peer_sent = 0, peer_got = 0, read_at_pause;
  guint8 *pattern;
  Fixture f;

  g_test_summary ("Over TLS: reading pauses above the high-water mark and resumes below the "
                  "low one; every byte arrives, ours intact through retried 16 KiB chunks");
  fws_test_assert_tls_backend ();
  certs = fws_test_certs_new ();
  fixture_init (&f);
  tls_pair (certs, &ours_tls, &peer_tls);
  g_assert_true (fws_transport_adopt (f.transport, ours_tls));
  g_assert_true (fws_transport_is_tls (f.transport));
  fws_transport_set_water_marks (f.transport, 64 * 1024, 16 * 1024);
  fws_transport_set_reading (f.transport, TRUE);

  peer_sent += peer_tls_send_until_blocked (peer_tls);
  fws_test_wait_until (f.received == peer_sent, 10);

  pattern = g_malloc (out_size);
  for (gsize i = 0; i < out_size; i++)
    pattern[i] = (guint8) (i % 251);
  big = g_bytes_new_take (pattern, out_size);
  g_assert_true (fws_transport_try_write_bytes (f.transport, big, &error));
  fws_test_wait_until (f.pressure->len == 1, 10);
  read_at_pause = fws_transport_get_total_read (f.transport);

  for (guint round = 0; round < 5; round++)
    {
      peer_sent += peer_tls_send_until_blocked (peer_tls);
      iterate_until_idle (1000);
      fws_test_iterate ();
    }
  g_assert_cmpuint (peer_sent, >, read_at_pause);
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, read_at_pause);
  g_assert_true (fws_transport_is_read_paused (f.transport));

  {
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    while (peer_got < out_size || f.received < peer_sent)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        peer_got += peer_tls_drain (peer_tls, peer_got);
        /* A record the peer's last write left pending goes out now. */
        if (fws_transport_is_read_paused (f.transport) == FALSE)
          peer_sent += peer_tls_send_until_blocked (peer_tls);
        fws_test_iterate ();
      }
  }
  g_assert_cmpuint (peer_got, ==, out_size);
  g_assert_cmpuint (f.pressure->len, ==, 2);
  g_assert_cmpuint (f.queued_at_resume, <=, 16 * 1024);
  g_assert_cmpuint (fws_transport_get_total_read (f.transport), ==, peer_sent);
  g_assert_cmpuint (f.n_failed, ==, 0);

  fixture_clear (&f);
  fws_test_certs_free (certs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/transport/defaults", test_defaults);
  g_test_add_func ("/transport/hard-limit-small-writes", test_hard_limit_small_writes);
  g_test_add_func ("/transport/counts-are-64-bit", test_counts_are_64_bit);
  g_test_add_data_func ("/transport/stream-intact", GINT_TO_POINTER (FALSE), test_stream_intact);
  g_test_add_data_func ("/transport/stream-intact-tls", GINT_TO_POINTER (TRUE), test_stream_intact);
  g_test_add_func ("/transport/read-pauses-above-high-water", test_read_pauses_above_high_water);
  g_test_add_func ("/transport/owner-flag-and-pause-combine", test_owner_flag_and_pause_combine);
  g_test_add_func ("/transport/echo-amplification-bounded", test_echo_amplification_bounded);
  g_test_add_func ("/transport/client-and-server", test_client_and_server);
  g_test_add_func ("/transport/tls-read-pauses-above-high-water", test_tls_read_pauses_above_high_water);

  return g_test_run ();
}
