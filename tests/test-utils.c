/* test-utils.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-utils.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

void
fws_test_iterate (void)
{
  GMainContext *ctx = g_main_context_get_thread_default ();
  GSource *timeout;

  if (g_main_context_iteration (ctx, FALSE))
    return;
  /* Nothing was ready: block, but never for long. */
  timeout = g_timeout_source_new (50);
  g_source_set_callback (timeout, wake_cb, NULL, NULL);
  g_source_set_static_name (timeout, "fws-test-iterate");
  g_source_attach (timeout, ctx);
  g_main_context_iteration (ctx, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
}

void
fws_test_run_for (guint msec)
{
  gint64 end = g_get_monotonic_time () + (gint64) msec * 1000;

  while (g_get_monotonic_time () < end)
    fws_test_iterate ();
}

GBytes *
fws_test_hex (const char *hex)
{
  GByteArray *arr = g_byte_array_new ();
  const char *p = hex;

  while (*p)
    {
      guint8 b;

      if (g_ascii_isspace (*p))
        {
          p++;
          continue;
        }
      g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
      b = (guint8) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      g_byte_array_append (arr, &b, 1);
      p += 2;
    }
  return g_byte_array_free_to_bytes (arr);
}

static char *
to_hex (const guint8 *bytes, gsize len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, i ? " %02x" : "%02x", bytes[i]);
  return g_string_free (s, FALSE);
}

void
fws_test_assert_hex (const guint8 *bytes, gsize len, const char *hex)
{
  g_autoptr(GBytes) want = fws_test_hex (hex);
  gsize want_len;
  const guint8 *want_data = g_bytes_get_data (want, &want_len);

  if (want_len != len || (len && memcmp (want_data, bytes, len) != 0))
    {
      g_autofree char *got = to_hex (bytes, len);
      g_autofree char *exp = to_hex (want_data, want_len);
      g_error ("bytes differ:\n  got:  %s\n  want: %s", got, exp);
    }
}

GBytes *
fws_test_frame (guint8        first_byte,
                const guint8 *mask,
                const void   *payload,
                gsize         len)
{
  GByteArray *a = g_byte_array_sized_new ((guint) len + 14);
  guint8 mask_bit = mask != NULL ? 0x80 : 0;
  guint8 b;

  g_byte_array_append (a, &first_byte, 1);
  if (len < 126)
    {
      b = mask_bit | (guint8) len;
      g_byte_array_append (a, &b, 1);
    }
  else
    {
      int n = len < 65536 ? 2 : 8;

      b = mask_bit | (n == 2 ? 126 : 127);
      g_byte_array_append (a, &b, 1);
      for (int i = n - 1; i >= 0; i--)
        {
          b = (guint8) ((guint64) len >> (8 * i));
          g_byte_array_append (a, &b, 1);
        }
    }
  if (mask != NULL)
    g_byte_array_append (a, mask, 4);
  if (len > 0)
    {
      guint start = a->len;

      g_byte_array_append (a, payload, (guint) len);
      for (gsize i = 0; mask != NULL && i < len; i++)
        a->data[start + i] ^= mask[i % 4];
    }
  return g_byte_array_free_to_bytes (a);
}

GBytes *
fws_test_close_frame (const guint8 *mask,
                      guint16       code,
                      const char   *reason)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  guint8 be[2] = { (guint8) (code >> 8), (guint8) code };

  g_byte_array_append (body, be, 2);
  if (reason != NULL)
    g_byte_array_append (body, (const guint8 *) reason, (guint) strlen (reason));
  return fws_test_frame (0x88, mask, body->data, body->len);
}

GSocket *
fws_test_listen_socket (guint *port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *sock;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_option (sock, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  g_socket_bind (sock, addr, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (sock, 4096);
  g_socket_listen (sock, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return sock;
}

guint16
fws_test_listen_loopback (GSocketListener *listener)
{
  g_autoptr(GError) error = NULL;
  guint port;
  g_autoptr(GSocket) sock = fws_test_listen_socket (&port);

  g_socket_listener_add_socket (listener, sock, NULL, &error);
  g_assert_no_error (error);
  return (guint16) port;
}

guint16
fws_test_free_port (void)
{
  guint port;
  g_autoptr(GSocket) sock = fws_test_listen_socket (&port);

  g_socket_close (sock, NULL);
  return (guint16) port;
}

GSubprocess *
fws_test_spawn_until_line (const char * const *argv,
                           const char          *ready_prefix,
                           guint                seconds,
                           char               **ready_line)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;
  GInputStream *out;
  GString *buf = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_subprocess_get_stdout_pipe (proc);

  for (;;)
    {
      char c;
      gssize n;

      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not print '%s' within %u s (got '%s')", argv[0], ready_prefix, seconds, buf->str);

      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (out), &c, 1, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          g_usleep (10000);
          continue;
        }
      g_assert_no_error (error);
      if (n == 0)
        g_error ("%s exited before printing '%s' (got '%s')", argv[0], ready_prefix, buf->str);
      if (c == '\n')
        {
          if (g_str_has_prefix (buf->str, ready_prefix))
            break;
          g_string_truncate (buf, 0);
          continue;
        }
      g_string_append_c (buf, c);
    }
  if (ready_line)
    *ready_line = g_string_free (buf, FALSE);
  else
    g_string_free (buf, TRUE);
  return proc;
}

static void
waited_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  *done = TRUE;
}

void
fws_test_subprocess_stop (GSubprocess *proc)
{
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  if (proc == NULL)
    return;
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait_async (proc, NULL, waited_cb, &done);
  while (!done)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_subprocess_force_exit (proc);
          deadline = G_MAXINT64;
        }
      fws_test_iterate ();
    }
  g_object_unref (proc);
}

