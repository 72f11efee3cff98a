/* fws-listener.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-listener.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-loop-private.h"
#include "fws-request.h"
#include "fws-sse-private.h"

/**
 * FwsListener:
 *
 * Accepts connections for a [class@Soup.Server] or for the program itself,
 * and keeps peers that never finish their TLS handshake or their first
 * request head from piling up.
 *
 * A [class@Soup.Server] listening on its own reads a request head for as
 * long as the peer takes, runs each TLS handshake in a thread with no
 * deadline, and stops accepting for good after one failed accept (a burst
 * past the descriptor limit). An `FwsListener` accepts instead and hands
 * each connection over once it is safe to:
 *
 * ```c
 * g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
 * g_autoptr(FwsListener) listener = fws_listener_new ();
 *
 * soup_server_add_handler (server, NULL, handle, NULL, NULL);
 * fws_listener_set_soup_server (listener, server);
 * if (!fws_listener_listen_local (listener, 8080, &error))
 *   g_error ("%s", error->message);
 * ```
 *
 * What it does:
 *
 * - listening sockets with a backlog of 4096
 *   ([method@Fws.Listener.listen_local]) or the program's own
 *   ([method@Fws.Listener.add_socket]);
 * - with [property@Fws.Listener:tls-certificate], the server TLS handshake,
 *   asynchronously;
 * - a deadline, [property@Fws.Listener:handshake-timeout] (10 seconds by
 *   default), for the TLS handshake and the first request head together: a
 *   connection that has not sent its whole head by then is closed;
 * - a cap, [property@Fws.Listener:max-pending] (512 by default), on
 *   connections still in their TLS handshake or before their first head:
 *   past it, new connections are closed as soon as they are accepted;
 * - when accepting fails for lack of descriptors (`EMFILE`, `ENFILE`) or
 *   memory, it pauses for 100 ms and tries again: it never stops accepting;
 * - with a [class@Soup.Server], a WebSocket or EventSource request that
 *   announces a body (`Content-Length` above 0, or `Transfer-Encoding`) is
 *   answered with 400 and closed before any of the body is read.
 *
 * Each connection then goes to the [class@Soup.Server] given with
 * [method@Fws.Listener.set_soup_server] (through
 * [method@Soup.Server.accept_iostream], which reads the head), or, without
 * one, its head is read with [func@Fws.Request.read_async] and handed to the
 * [signal@Fws.Listener::request] signal.
 *
 * The counters ([property@Fws.Listener:n-pending],
 * [property@Fws.Listener:n-accepted], ...) tell what it did; they are not
 * notified.
 *
 * Since: 0.2
 */

#define DEFAULT_HANDSHAKE_TIMEOUT_MS 10000
#define DEFAULT_MAX_PENDING 512
#define LISTEN_BACKLOG 4096
#define ACCEPT_RETRY_MS 100
/* Accepts per dispatch: the watch is level-triggered, so more come next. */
#define ACCEPT_BATCH 256

typedef struct _Door Door;
typedef struct _Pending Pending;

struct _FwsListener
{
  GObject          parent_instance;

  GMainContext    *context;
  GPtrArray       *doors;          /* of Door* */
  GHashTable      *pending;        /* Pending* set */
  GHashTable      *by_peer;        /* "address port" -> Pending*, SoupServer mode */

  SoupServer      *server;
  gulong           started_id;
  GTlsCertificate *certificate;
  guint            handshake_timeout;
  guint            max_pending;

  guint64          n_accepted;
  guint64          n_refused;
  guint64          n_timed_out;
  guint64          n_accept_pauses;
};

struct _Door
{
  FwsListener  *listener;
  GSocket      *socket;          /* (owned) */
  FwsLoopWatch *watch;
  GSource      *retry;           /* (owned) (nullable) while paused */
};

struct _Pending
{
  gint               ref_count;
  FwsListener       *listener;   /* NULL once done */
  GSocketConnection *conn;       /* (owned) */
  GIOStream         *stream;     /* (owned) conn, or the TLS connection over it */
  GCancellable      *cancellable;
  GSource           *timer;      /* (owned) (nullable) */
  char              *peer;       /* key in by_peer (nullable) */
  SoupServerMessage *msg;        /* (owned) (nullable) its first request */
  gulong             got_headers_id;
  gulong             finished_id;
};

G_DEFINE_FINAL_TYPE (FwsListener, fws_listener, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SOUP_SERVER,
  PROP_TLS_CERTIFICATE,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_MAX_PENDING,
  PROP_N_PENDING,
  PROP_N_ACCEPTED,
  PROP_N_REFUSED,
  PROP_N_TIMED_OUT,
  PROP_N_ACCEPT_PAUSES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  REQUEST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* ---- Pending connections ---- */

static Pending *
pending_ref (Pending *p)
{
  p->ref_count++;
  return p;
}

static void
pending_unref (Pending *p)
{
  if (--p->ref_count > 0)
    return;
  g_assert (p->listener == NULL);
  g_clear_object (&p->stream);
  g_clear_object (&p->conn);
  g_clear_object (&p->cancellable);
  g_free (p);
}

/* The connection left the pending state (handed over, or closed with
 * @close). */
static void
pending_done (Pending  *p,
              gboolean  close)
{
  FwsListener *self = p->listener;

  if (self == NULL)
    return;
  p->listener = NULL;
  destroy_source (&p->timer);
  if (p->msg != NULL)
    {
      g_signal_handler_disconnect (p->msg, p->got_headers_id);
      g_signal_handler_disconnect (p->msg, p->finished_id);
      g_clear_object (&p->msg);
    }
  if (p->peer != NULL)
    {
      if (g_hash_table_lookup (self->by_peer, p->peer) == p)
        g_hash_table_remove (self->by_peer, p->peer);
      g_clear_pointer (&p->peer, g_free);
    }
  g_cancellable_cancel (p->cancellable);
  if (close)
    {
      /* A shutdown ends what reads the socket (a handshake thread,
       * libsoup's reader) without closing the descriptor under it. */
      g_socket_shutdown (g_socket_connection_get_socket (p->conn), TRUE, TRUE, NULL);
    }
  g_hash_table_remove (self->pending, p);
}

static gboolean
pending_timeout_cb (gpointer user_data)
{
  Pending *p = user_data;

  g_clear_pointer (&p->timer, g_source_unref);
  p->listener->n_timed_out++;
  pending_done (p, TRUE);
  return G_SOURCE_REMOVE;
}

static char *
peer_key (GSocketAddress *address)
{
  g_autofree char *host = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  return g_strdup_printf ("%s %u", host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

/* ---- SoupServer mode ---- */

static gboolean
announces_body (SoupMessageHeaders *headers)
{
  return soup_message_headers_get_one (headers, "Transfer-Encoding") != NULL ||
         soup_message_headers_get_content_length (headers) > 0;
}

/* Answers 400 on the connection itself and shuts it: libsoup would read
 * (and buffer) the whole body before any handler could answer, even when a
 * got-headers or early handler sets a status. libsoup then sees the end of
 * the stream and drops the request. Wire text is fixed English. */
static void
refuse_body (Pending *p)
{
  static const char body[] = "A WebSocket or EventSource request has no body\n";
  g_autofree char *answer = g_strdup_printf ("HTTP/1.1 400 Bad Request\r\n"
                                             "Content-Type: text/plain; charset=utf-8\r\n"
                                             "Content-Length: %u\r\n"
                                             "Connection: close\r\n\r\n%s",
                                             (guint) (sizeof body - 1), body);
  GOutputStream *out = g_io_stream_get_output_stream (p->stream);

  /* A small answer: the socket buffer takes it whole. */
  if (G_IS_POLLABLE_OUTPUT_STREAM (out))
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out), answer, strlen (answer),
                                                NULL, NULL);
  if (G_IS_TLS_CONNECTION (p->stream))
    g_output_stream_flush (out, NULL, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (p->conn), TRUE, TRUE, NULL);
}

static void
msg_got_headers_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  Pending *p = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);

  /* A WebSocket or EventSource request has no body: one announced is
   * refused before libsoup reads it. */
  if (announces_body (headers) &&
      (fws_handshake_is_websocket_request (method, headers) || fws_sse_is_request (method, headers)))
    refuse_body (p);
  pending_done (p, FALSE);
}

static void
msg_finished_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  pending_done (user_data, FALSE);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  FwsListener *self = user_data;
  g_autofree char *key = peer_key (soup_server_message_get_remote_address (msg));
  Pending *p;

  if (key == NULL)
    return;
  p = g_hash_table_lookup (self->by_peer, key);
  if (p == NULL || p->msg != NULL)
    return;
  p->msg = g_object_ref (msg);
  p->got_headers_id = g_signal_connect (msg, "got-headers", G_CALLBACK (msg_got_headers_cb), p);
  p->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (msg_finished_cb), p);
}

static void
hand_to_server (Pending *p)
{
  FwsListener *self = p->listener;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (p->conn, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (p->conn, NULL);

  p->peer = peer_key (remote);
  if (p->peer != NULL)
    g_hash_table_replace (self->by_peer, g_strdup (p->peer), p);
  /* The head may be read (and @p done) inside the call. */
  pending_ref (p);
  if (!soup_server_accept_iostream (self->server, p->stream, local, remote, &error))
    {
      g_debug ("FwsListener: %s", error->message);
      pending_done (p, TRUE);
    }
  else if (p->peer == NULL)
    {
      /* Not an IP peer: no request-started match, nothing to wait for. */
      pending_done (p, FALSE);
    }
  pending_unref (p);
}

/* ---- Request mode ---- */

static void
request_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pending *p = user_data;
  FwsListener *self = p->listener;
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsRequest) request = fws_request_read_finish (result, &error);

  if (self != NULL)
    {
      g_object_ref (self);
      if (request == NULL && g_error_matches (error, FWS_ERROR, FWS_ERROR_TIMED_OUT))
        self->n_timed_out++;
      /* A failed read closes by itself, after its 400 when it wrote one. */
      pending_done (p, FALSE);
      if (request != NULL)
        g_signal_emit (self, signals[REQUEST], 0, request);
      g_object_unref (self);
    }
  pending_unref (p);
}

/* ---- After accept ---- */

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *p = user_data;
  g_autoptr(GError) error = NULL;

  if (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (p->listener != NULL)
        hand_to_server (p);
    }
  else if (p->listener != NULL)
    {
      g_debug ("FwsListener: TLS handshake failed: %s", error->message);
      pending_done (p, TRUE);
    }
  pending_unref (p);
}

static void
start_pending (FwsListener *self,
               GSocket     *socket)
{
  Pending *p = g_new0 (Pending, 1);

  p->ref_count = 1;
  p->listener = self;
  p->conn = G_SOCKET_CONNECTION (g_socket_connection_factory_create_connection (socket));
  p->cancellable = g_cancellable_new ();
  g_hash_table_add (self->pending, p);

  if (self->certificate != NULL)
    {
      g_autoptr(GError) error = NULL;

      p->stream = g_tls_server_connection_new (G_IO_STREAM (p->conn), self->certificate, &error);
      if (p->stream == NULL)
        {
          g_warning ("FwsListener: %s", error->message);
          pending_done (p, TRUE);
          return;
        }
    }
  else
    p->stream = G_IO_STREAM (g_object_ref (p->conn));

  if (self->server == NULL)
    {
      /* FwsRequest runs the handshake and reads the head under one
       * deadline. */
      fws_request_read_async (p->stream, self->handshake_timeout, p->cancellable,
                              request_read_cb, pending_ref (p));
      return;
    }

  p->timer = g_timeout_source_new (self->handshake_timeout);
  g_source_set_static_name (p->timer, "fws-listener-deadline");
  g_source_set_callback (p->timer, pending_timeout_cb, p, NULL);
  g_source_attach (p->timer, self->context);
  if (self->certificate != NULL)
    g_tls_connection_handshake_async (G_TLS_CONNECTION (p->stream), G_PRIORITY_DEFAULT, p->cancellable,
                                      handshake_cb, pending_ref (p));
  else
    hand_to_server (p);
}

/* ---- Accepting ---- */

static void door_accept_cb (gpointer user_data, guint32 events);

static gboolean
door_retry_cb (gpointer user_data)
{
  Door *door = user_data;

  g_clear_pointer (&door->retry, g_source_unref);
  fws_loop_watch_set_events (door->watch, EPOLLIN);
  return G_SOURCE_REMOVE;
}

/* Out of descriptors or memory: stop watching (the socket stays readable,
 * so the loop would spin) and look again shortly. */
static void
door_pause (Door *door)
{
  FwsListener *self = door->listener;

  if (door->retry != NULL)
    return;
  self->n_accept_pauses++;
  fws_loop_watch_set_events (door->watch, 0);
  door->retry = g_timeout_source_new (ACCEPT_RETRY_MS);
  g_source_set_static_name (door->retry, "fws-listener-retry");
  g_source_set_callback (door->retry, door_retry_cb, door, NULL);
  g_source_attach (door->retry, self->context);
}

static void
door_accept_cb (gpointer user_data,
                guint32  events)
{
  Door *door = user_data;
  FwsListener *self = door->listener;
  int fd = g_socket_get_fd (door->socket);
  guint i;

  g_object_ref (self);
  for (i = 0; i < ACCEPT_BATCH && door->watch != NULL; i++)
    {
      g_autoptr(GSocket) socket = NULL;
      int client = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

      if (client < 0)
        {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            door_pause (door);
          else if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
          /* EAGAIN, or an error that a later readiness may clear. */
          break;
        }
      self->n_accepted++;
      if (g_hash_table_size (self->pending) >= self->max_pending)
        {
          self->n_refused++;
          close (client);
          continue;
        }
      socket = g_socket_new_from_fd (client, NULL);
      if (socket == NULL)
        {
          close (client);
          continue;
        }
      start_pending (self, socket);
    }
  g_object_unref (self);
}

static void
door_free (gpointer data)
{
  Door *door = data;

  g_clear_pointer (&door->watch, fws_loop_watch_free);
  destroy_source (&door->retry);
  g_socket_close (door->socket, NULL);
  g_object_unref (door->socket);
  g_free (door);
}

/**
 * fws_listener_new:
 *
 * Makes a listener with no listening socket yet.
 *
 * Returns: (transfer full): a new [class@Fws.Listener]
 * Since: 0.2
 */
FwsListener *
fws_listener_new (void)
{
  return g_object_new (FWS_TYPE_LISTENER, NULL);
}

/**
 * fws_listener_add_socket:
 * @self: a [class@Fws.Listener]
 * @socket: a bound TCP or Unix stream socket
 * @error: return location for a [struct@GLib.Error]
 *
 * Listens on @socket (with its [property@Gio.Socket:listen-backlog]: set it
 * to 4096 first, GLib's default is 10) and accepts its connections in the
 * thread-default [struct@GLib.MainContext] of the listener's creator.
 *
 * Returns: %TRUE on success
 * Since: 0.2
 */
gboolean
fws_listener_add_socket (FwsListener  *self,
                         GSocket      *socket,
                         GError      **error)
{
  Door *door;

  g_return_val_if_fail (FWS_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);

  if (!g_socket_listen (socket, error))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  door = g_new0 (Door, 1);
  door->listener = self;
  door->socket = g_object_ref (socket);
  door->watch = fws_loop_watch_new (self->context, g_socket_get_fd (socket), EPOLLIN, door_accept_cb, door);
  g_ptr_array_add (self->doors, door);
  return TRUE;
}

static GSocket *
bind_local (GSocketFamily   family,
            guint           port,
            GError        **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) address = g_inet_address_new_loopback (family);
  g_autoptr(GSocketAddress) sockaddr = g_inet_socket_address_new (address, (guint16) port);

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL || !g_socket_bind (socket, sockaddr, TRUE, error))
    return NULL;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  return g_steal_pointer (&socket);
}

/**
 * fws_listener_listen_local:
 * @self: a [class@Fws.Listener]
 * @port: a TCP port, or 0 for a free one (then see
 *   [method@Fws.Listener.get_port])
 * @error: return location for a [struct@GLib.Error]
 *
 * Listens on 127.0.0.1 at @port, and on ::1 at the same port when the
 * system has IPv6, with a backlog of 4096.
 *
 * Returns: %TRUE on success
 * Since: 0.2
 */
gboolean
fws_listener_listen_local (FwsListener  *self,
                           guint         port,
                           GError      **error)
{
  g_autoptr(GSocket) v4 = NULL;
  g_autoptr(GSocket) v6 = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  g_return_val_if_fail (FWS_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  v4 = bind_local (G_SOCKET_FAMILY_IPV4, port, error);
  if (v4 == NULL || !fws_listener_add_socket (self, v4, error))
    return FALSE;
  bound = g_socket_get_local_address (v4, error);
  if (bound == NULL)
    return FALSE;
  /* ::1 is a bonus: a system without IPv6 still listens on 127.0.0.1. */
  v6 = bind_local (G_SOCKET_FAMILY_IPV6, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), NULL);
  if (v6 != NULL)
    fws_listener_add_socket (self, v6, NULL);
  return TRUE;
}

/**
 * fws_listener_get_port:
 * @self: a [class@Fws.Listener]
 *
 * Gets the port of the first listening socket.
 *
 * Returns: the port, or 0 when not listening on a TCP socket
 * Since: 0.2
 */
guint
fws_listener_get_port (FwsListener *self)
{
  g_autoptr(GSocketAddress) address = NULL;
  Door *door;

  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);

  if (self->doors->len == 0)
    return 0;
  door = g_ptr_array_index (self->doors, 0);
  address = g_socket_get_local_address (door->socket, NULL);
  return G_IS_INET_SOCKET_ADDRESS (address) ?
           g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)) : 0;
}

static void
drop_pending (FwsListener *self)
{
  GList *all = g_hash_table_get_keys (self->pending);
  GList *l;

  /* pending_done removes from the table: hold each until done. */
  for (l = all; l != NULL; l = l->next)
    pending_ref (l->data);
  for (l = all; l != NULL; l = l->next)
    {
      pending_done (l->data, TRUE);
      pending_unref (l->data);
    }
  g_list_free (all);
}

/**
 * fws_listener_stop:
 * @self: a [class@Fws.Listener]
 *
 * Closes the listening sockets and the connections still in their TLS
 * handshake or before their first head. Connections already handed over
 * are left alone.
 *
 * Since: 0.2
 */
void
fws_listener_stop (FwsListener *self)
{
  g_return_if_fail (FWS_IS_LISTENER (self));

  g_ptr_array_set_size (self->doors, 0);
  drop_pending (self);
}

/**
 * fws_listener_set_soup_server:
 * @self: a [class@Fws.Listener]
 * @server: (nullable): the server to hand connections to, or %NULL to
 *   emit [signal@Fws.Listener::request] instead
 *
 * Hands each connection, once its TLS handshake is done, to @server with
 * [method@Soup.Server.accept_iostream]. @server needs no listening socket
 * (and no TLS certificate) of its own.
 *
 * Since: 0.2
 */
void
fws_listener_set_soup_server (FwsListener *self,
                              SoupServer  *server)
{
  g_return_if_fail (FWS_IS_LISTENER (self));
  g_return_if_fail (server == NULL || SOUP_IS_SERVER (server));

  if (self->server == server)
    return;
  if (self->server != NULL)
    g_clear_signal_handler (&self->started_id, self->server);
  g_set_object (&self->server, server);
  if (server != NULL)
    self->started_id = g_signal_connect (server, "request-started", G_CALLBACK (request_started_cb), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOUP_SERVER]);
}

/**
 * fws_listener_get_soup_server:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:soup-server].
 *
 * Returns: (transfer none) (nullable): the server, or %NULL
 * Since: 0.2
 */
SoupServer *
fws_listener_get_soup_server (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), NULL);
  return self->server;
}

/**
 * fws_listener_set_tls_certificate:
 * @self: a [class@Fws.Listener]
 * @certificate: (nullable): the server certificate, with its private key,
 *   or %NULL for plain TCP
 *
 * Sets [property@Fws.Listener:tls-certificate]. It applies to connections
 * accepted afterwards.
 *
 * Since: 0.2
 */
void
fws_listener_set_tls_certificate (FwsListener     *self,
                                  GTlsCertificate *certificate)
{
  g_return_if_fail (FWS_IS_LISTENER (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  if (g_set_object (&self->certificate, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * fws_listener_get_tls_certificate:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:tls-certificate].
 *
 * Returns: (transfer none) (nullable): the certificate, or %NULL
 * Since: 0.2
 */
GTlsCertificate *
fws_listener_get_tls_certificate (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), NULL);
  return self->certificate;
}

/**
 * fws_listener_set_handshake_timeout:
 * @self: a [class@Fws.Listener]
 * @timeout_ms: milliseconds, at least 1
 *
 * Sets [property@Fws.Listener:handshake-timeout].
 *
 * Since: 0.2
 */
void
fws_listener_set_handshake_timeout (FwsListener *self,
                                    guint        timeout_ms)
{
  g_return_if_fail (FWS_IS_LISTENER (self));
  g_return_if_fail (timeout_ms > 0);

  if (self->handshake_timeout == timeout_ms)
    return;
  self->handshake_timeout = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HANDSHAKE_TIMEOUT]);
}

/**
 * fws_listener_get_handshake_timeout:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:handshake-timeout].
 *
 * Returns: the timeout, in milliseconds
 * Since: 0.2
 */
guint
fws_listener_get_handshake_timeout (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return self->handshake_timeout;
}

/**
 * fws_listener_set_max_pending:
 * @self: a [class@Fws.Listener]
 * @max_pending: the cap, at least 1
 *
 * Sets [property@Fws.Listener:max-pending].
 *
 * Since: 0.2
 */
void
fws_listener_set_max_pending (FwsListener *self,
                              guint        max_pending)
{
  g_return_if_fail (FWS_IS_LISTENER (self));
  g_return_if_fail (max_pending > 0);

  if (self->max_pending == max_pending)
    return;
  self->max_pending = max_pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PENDING]);
}

/**
 * fws_listener_get_max_pending:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:max-pending].
 *
 * Returns: the cap
 * Since: 0.2
 */
guint
fws_listener_get_max_pending (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return self->max_pending;
}

/**
 * fws_listener_get_n_pending:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:n-pending].
 *
 * Returns: the connections in their TLS handshake or before their first head
 * Since: 0.2
 */
guint
fws_listener_get_n_pending (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return g_hash_table_size (self->pending);
}

/**
 * fws_listener_get_n_accepted:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:n-accepted].
 *
 * Returns: the connections accepted so far, refused ones included
 * Since: 0.2
 */
guint64
fws_listener_get_n_accepted (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return self->n_accepted;
}

/**
 * fws_listener_get_n_refused:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:n-refused].
 *
 * Returns: the connections closed at once because
 *   [property@Fws.Listener:max-pending] were pending
 * Since: 0.2
 */
guint64
fws_listener_get_n_refused (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return self->n_refused;
}

/**
 * fws_listener_get_n_timed_out:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:n-timed-out].
 *
 * Returns: the connections closed because their TLS handshake or first
 *   head took longer than [property@Fws.Listener:handshake-timeout]
 * Since: 0.2
 */
guint64
fws_listener_get_n_timed_out (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return self->n_timed_out;
}

/**
 * fws_listener_get_n_accept_pauses:
 * @self: a [class@Fws.Listener]
 *
 * Gets [property@Fws.Listener:n-accept-pauses].
 *
 * Returns: how many times accepting paused for lack of descriptors or memory
 * Since: 0.2
 */
guint64
fws_listener_get_n_accept_pauses (FwsListener *self)
{
  g_return_val_if_fail (FWS_IS_LISTENER (self), 0);
  return self->n_accept_pauses;
}

/* ---- GObject ---- */

static void
fws_listener_dispose (GObject *object)
{
  FwsListener *self = FWS_LISTENER (object);

  g_ptr_array_set_size (self->doors, 0);
  drop_pending (self);
  if (self->server != NULL)
    g_clear_signal_handler (&self->started_id, self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (fws_listener_parent_class)->dispose (object);
}

static void
fws_listener_finalize (GObject *object)
{
  FwsListener *self = FWS_LISTENER (object);

  g_ptr_array_unref (self->doors);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->by_peer);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (fws_listener_parent_class)->finalize (object);
}

static void
fws_listener_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FwsListener *self = FWS_LISTENER (object);

  switch (prop_id)
    {
    case PROP_SOUP_SERVER:
      g_value_set_object (value, self->server);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->certificate);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_N_PENDING:
      g_value_set_uint (value, g_hash_table_size (self->pending));
      break;
    case PROP_N_ACCEPTED:
      g_value_set_uint64 (value, self->n_accepted);
      break;
    case PROP_N_REFUSED:
      g_value_set_uint64 (value, self->n_refused);
      break;
    case PROP_N_TIMED_OUT:
      g_value_set_uint64 (value, self->n_timed_out);
      break;
    case PROP_N_ACCEPT_PAUSES:
      g_value_set_uint64 (value, self->n_accept_pauses);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_listener_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FwsListener *self = FWS_LISTENER (object);

  switch (prop_id)
    {
    case PROP_SOUP_SERVER:
      fws_listener_set_soup_server (self, g_value_get_object (value));
      break;
    case PROP_TLS_CERTIFICATE:
      fws_listener_set_tls_certificate (self, g_value_get_object (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      fws_listener_set_handshake_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_PENDING:
      fws_listener_set_max_pending (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_listener_class_init (FwsListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = fws_listener_dispose;
  object_class->finalize = fws_listener_finalize;
  object_class->get_property = fws_listener_get_property;
  object_class->set_property = fws_listener_set_property;

  /**
   * FwsListener:soup-server: (getter get_soup_server) (setter set_soup_server)
   *
   * The server that connections are handed to, or %NULL to emit
   * [signal@Fws.Listener::request] instead.
   *
   * Since: 0.2
   */
  properties[PROP_SOUP_SERVER] =
    g_param_spec_object ("soup-server", NULL, NULL, SOUP_TYPE_SERVER, rw);

  /**
   * FwsListener:tls-certificate: (getter get_tls_certificate) (setter set_tls_certificate)
   *
   * The server certificate (with its private key): with one, each
   * connection starts with a TLS handshake; %NULL for plain TCP.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE, rw);

  /**
   * FwsListener:handshake-timeout: (getter get_handshake_timeout) (setter set_handshake_timeout)
   *
   * How long, in milliseconds, the TLS handshake and the first request
   * head may take together, from the accept. A connection that has not
   * sent its whole head by then is closed.
   *
   * Since: 0.2
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 1, G_MAXUINT, DEFAULT_HANDSHAKE_TIMEOUT_MS, rw);

  /**
   * FwsListener:max-pending: (getter get_max_pending) (setter set_max_pending)
   *
   * How many connections may be in their TLS handshake or before their
   * first head at once; past it, new connections are closed as soon as
   * they are accepted.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_PENDING] =
    g_param_spec_uint ("max-pending", NULL, NULL, 1, G_MAXUINT, DEFAULT_MAX_PENDING, rw);

  /**
   * FwsListener:n-pending: (getter get_n_pending)
   *
   * Connections in their TLS handshake or before their first head. Not
   * notified.
   *
   * Since: 0.2
   */
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0, ro);

  /**
   * FwsListener:n-accepted: (getter get_n_accepted)
   *
   * Connections accepted so far, refused ones included. Not notified.
   *
   * Since: 0.2
   */
  properties[PROP_N_ACCEPTED] =
    g_param_spec_uint64 ("n-accepted", NULL, NULL, 0, G_MAXUINT64, 0, ro);

  /**
   * FwsListener:n-refused: (getter get_n_refused)
   *
   * Connections closed at once because [property@Fws.Listener:max-pending]
   * were pending. Not notified.
   *
   * Since: 0.2
   */
  properties[PROP_N_REFUSED] =
    g_param_spec_uint64 ("n-refused", NULL, NULL, 0, G_MAXUINT64, 0, ro);

  /**
   * FwsListener:n-timed-out: (getter get_n_timed_out)
   *
   * Connections closed because their TLS handshake and first head took
   * longer than [property@Fws.Listener:handshake-timeout]. Not notified.
   *
   * Since: 0.2
   */
  properties[PROP_N_TIMED_OUT] =
    g_param_spec_uint64 ("n-timed-out", NULL, NULL, 0, G_MAXUINT64, 0, ro);

  /**
   * FwsListener:n-accept-pauses: (getter get_n_accept_pauses)
   *
   * How many times accepting paused (for 100 ms) because the process or
   * the system was out of descriptors or memory. Not notified.
   *
   * Since: 0.2
   */
  properties[PROP_N_ACCEPT_PAUSES] =
    g_param_spec_uint64 ("n-accept-pauses", NULL, NULL, 0, G_MAXUINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FwsListener::request:
   * @self: the listener
   * @request: the request head, read within
   *   [property@Fws.Listener:handshake-timeout]
   *
   * Emitted, when there is no [property@Fws.Listener:soup-server], for each
   * connection whose first request head was read. The handler takes the
   * connection over ([ctor@Fws.WebSocket.new_for_request],
   * [ctor@Fws.EventSource.new_for_request]) or answers it
   * ([method@Fws.Request.respond]); a request left alone is closed.
   *
   * Since: 0.2
   */
  signals[REQUEST] =
    g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, FWS_TYPE_REQUEST);
}

static void
fws_listener_init (FwsListener *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->doors = g_ptr_array_new_with_free_func (door_free);
  self->pending = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) pending_unref, NULL);
  self->by_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->max_pending = DEFAULT_MAX_PENDING;
}
