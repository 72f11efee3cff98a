/* test-fake-proxy.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each accepted connection runs its setup (TLS handshake, reading the
 * request, connecting to the target, answering) in a worker thread with
 * blocking I/O; the tunnel itself is a g_io_stream_splice_async () in the
 * main context. Teardown cancels everything and waits for it.
 */
#include "test-fake-proxy.h"

#include <string.h>

#define MAX_HEAD (64 * 1024)

struct _FwsFakeProxyPrivate
{
  GSocketService *service;
  GCancellable   *cancellable;
  GPtrArray      *conns;      /* of Conn */
  guint           pending;    /* setups and splices not finished */
};

typedef struct
{
  FwsFakeProxy *proxy;
  GIOStream    *client;
  GIOStream    *target;
  char         *request;
  gboolean      tunnel;
} Conn;

static void
conn_free (Conn *c)
{
  if (c->client)
    g_io_stream_close (c->client, NULL, NULL);
  if (c->target)
    g_io_stream_close (c->target, NULL, NULL);
  g_clear_object (&c->client);
  g_clear_object (&c->target);
  g_free (c->request);
  g_free (c);
}

static gboolean
connect_target (Conn          *c,
                guint          port,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  g_socket_client_set_enable_proxy (client, FALSE);
  if (c->proxy->target_port != 0)
    port = c->proxy->target_port;
  c->target = G_IO_STREAM (g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port,
                                                            cancellable, error));
  return c->target != NULL;
}

static gboolean
http_setup (Conn          *c,
            GCancellable  *cancellable,
            GError       **error)
{
  FwsFakeProxy *proxy = c->proxy;
  GInputStream *in = g_io_stream_get_input_stream (c->client);
  GOutputStream *out = g_io_stream_get_output_stream (c->client);
  g_autoptr(GString) head = g_string_new (NULL);
  static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
  const char *colon, *space;
  guint64 port = 0;

  /* One byte at a time, so nothing past the head is taken. */
  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      char ch;
      gssize n = g_input_stream_read (in, &ch, 1, cancellable, error);

      if (n <= 0 || head->len > MAX_HEAD)
        return FALSE;
      g_string_append_c (head, ch);
    }
  c->request = g_strdup (head->str);

  if (proxy->silent)
    return TRUE;
  if (proxy->answer != NULL)
    {
      g_output_stream_write_all (out, proxy->answer, strlen (proxy->answer), NULL, cancellable, error);
      return TRUE;
    }

  /* "CONNECT host:port HTTP/1.1" */
  space = strchr (head->str + 8, ' ');
  colon = space ? g_strrstr_len (head->str, space - head->str, ":") : NULL;
  if (colon == NULL)
    return FALSE;
  {
    g_autofree char *digits = g_strndup (colon + 1, space - colon - 1);

    if (!g_ascii_string_to_unsigned (digits, 10, 1, 65535, &port, error))
      return FALSE;
  }
  if (!connect_target (c, (guint) port, cancellable, error))
    return FALSE;
  {
    /* One write, so that the extra bytes come with the answer. */
    g_autofree char *answer = g_strconcat (ok, proxy->extra_bytes ? "junk" : "", NULL);

    if (!g_output_stream_write_all (out, answer, strlen (answer), NULL, cancellable, error))
      return FALSE;
  }
  c->tunnel = TRUE;
  return TRUE;
}

static gboolean
read_exactly (GInputStream  *in,
              guint8        *buf,
              gsize          len,
              GCancellable  *cancellable,
              GError       **error)
{
  gsize got = 0;

  if (!g_input_stream_read_all (in, buf, len, &got, cancellable, error))
    return FALSE;
  if (got != len)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "short SOCKS5 message");
      return FALSE;
    }
  return TRUE;
}

/* RFC 1928, no authentication, CONNECT only. */
static gboolean
socks5_setup (Conn          *c,
              GCancellable  *cancellable,
              GError       **error)
{
  GInputStream *in = g_io_stream_get_input_stream (c->client);
  GOutputStream *out = g_io_stream_get_output_stream (c->client);
  static const guint8 no_auth[] = { 5, 0 };
  static const guint8 granted[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  guint8 buf[300];
  g_autofree char *host = NULL;
  guint port;

  if (!read_exactly (in, buf, 2, cancellable, error) || buf[0] != 5 ||
      !read_exactly (in, buf + 2, buf[1], cancellable, error) ||
      !g_output_stream_write_all (out, no_auth, sizeof no_auth, NULL, cancellable, error) ||
      !read_exactly (in, buf, 4, cancellable, error))
    return FALSE;
  if (buf[1] != 1)
    return FALSE;
  switch (buf[3])
    {
    case 1:
      if (!read_exactly (in, buf, 4, cancellable, error))
        return FALSE;
      host = g_strdup_printf ("%u.%u.%u.%u", buf[0], buf[1], buf[2], buf[3]);
      break;
    case 3:
      if (!read_exactly (in, buf, 1, cancellable, error) ||
          !read_exactly (in, buf + 1, buf[0], cancellable, error))
        return FALSE;
      host = g_strndup ((const char *) buf + 1, buf[0]);
      break;
    default:
      return FALSE;
    }
  if (!read_exactly (in, buf, 2, cancellable, error))
    return FALSE;
  port = (guint) buf[0] << 8 | buf[1];
  c->request = g_strdup_printf ("%s:%u", host, port);
  if (c->proxy->silent)
    return TRUE;
  if (!connect_target (c, port, cancellable, error) ||
      !g_output_stream_write_all (out, granted, sizeof granted, NULL, cancellable, error))
    return FALSE;
  c->tunnel = TRUE;
  return TRUE;
}

static void
setup_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  Conn *c = data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (c->proxy->tls_certificate != NULL)
    {
      GIOStream *tls = g_tls_server_connection_new (c->client, c->proxy->tls_certificate, &error);

      if (tls == NULL || !g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, &error))
        {
          g_clear_object (&tls);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_object_unref (c->client);
      c->client = tls;
    }
  if (c->proxy->kind == FWS_FAKE_PROXY_HTTP)
    ok = http_setup (c, cancellable, &error);
  else
    ok = socks5_setup (c, cancellable, &error);
  if (!ok && error == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad proxy request");
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
spliced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FwsFakeProxy *proxy = user_data;

  g_io_stream_splice_finish (result, NULL);
  proxy->priv->pending--;
}

static void
setup_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Conn *c = user_data;
  FwsFakeProxy *proxy = c->proxy;
  g_autoptr(GError) error = NULL;

  proxy->priv->pending--;
  if (c->request != NULL)
    g_ptr_array_add (proxy->requests, g_strdup (c->request));
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_test_message ("fake proxy: %s", error->message);
      g_io_stream_close (c->client, NULL, NULL);
      return;
    }
  if (c->tunnel)
    {
      proxy->priv->pending++;
      g_io_stream_splice_async (c->client, c->target,
                                G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2 |
                                G_IO_STREAM_SPLICE_WAIT_FOR_BOTH,
                                G_PRIORITY_DEFAULT, proxy->priv->cancellable, spliced_cb, proxy);
    }
  else if (!proxy->silent)
    g_io_stream_close (c->client, NULL, NULL);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  FwsFakeProxy *proxy = user_data;
  g_autoptr(GTask) task = NULL;
  Conn *c = g_new0 (Conn, 1);

  proxy->connections++;
  c->proxy = proxy;
  c->client = G_IO_STREAM (g_object_ref (connection));
  g_ptr_array_add (proxy->priv->conns, c);
  proxy->priv->pending++;
  task = g_task_new (NULL, proxy->priv->cancellable, setup_done_cb, c);
  g_task_set_task_data (task, c, NULL);
  g_task_run_in_thread (task, setup_thread);
  return TRUE;
}

FwsFakeProxy *
fws_fake_proxy_new (FwsFakeProxyKind kind)
{
  FwsFakeProxy *proxy = g_new0 (FwsFakeProxy, 1);

  proxy->kind = kind;
  proxy->requests = g_ptr_array_new_with_free_func (g_free);
  proxy->priv = g_new0 (FwsFakeProxyPrivate, 1);
  proxy->priv->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  proxy->priv->cancellable = g_cancellable_new ();
  proxy->priv->service = g_socket_service_new ();
  proxy->port = fws_test_listen_loopback (G_SOCKET_LISTENER (proxy->priv->service));
  g_signal_connect (proxy->priv->service, "incoming", G_CALLBACK (incoming_cb), proxy);
  g_socket_service_start (proxy->priv->service);
  return proxy;
}

void
fws_fake_proxy_free (FwsFakeProxy *proxy)
{
  FwsFakeProxyPrivate *priv;

  if (proxy == NULL)
    return;
  priv = proxy->priv;
  g_socket_service_stop (priv->service);
  g_socket_listener_close (G_SOCKET_LISTENER (priv->service));
  g_signal_handlers_disconnect_by_data (priv->service, proxy);
  g_cancellable_cancel (priv->cancellable);
  /* A worker blocked in a read sees the cancellation; a splice stops. */
  for (guint i = 0; i < priv->conns->len; i++)
    {
      Conn *c = priv->conns->pdata[i];

      if (c->target && !c->tunnel)
        g_io_stream_close (c->target, NULL, NULL);
    }
  fws_test_wait_until (priv->pending == 0, 10);
  g_ptr_array_unref (priv->conns);
  g_clear_object (&priv->service);
  g_clear_object (&priv->cancellable);
  g_free (priv);
  g_clear_object (&proxy->tls_certificate);
  g_free (proxy->answer);
  g_ptr_array_unref (proxy->requests);
  g_free (proxy);
}
