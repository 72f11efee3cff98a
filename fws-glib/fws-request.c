/* fws-request.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-request-private.h"

#include <string.h>

#include "fws-connection-private.h"
#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-sse-private.h"

/**
 * FwsRequest:
 *
 * The head of an HTTP request read from a [class@Gio.IOStream] that the
 * program accepted itself, for example in a [class@Gio.SocketService]
 * handler: the second way in, beside a [class@Soup.Server] handler.
 *
 * [func@Fws.Request.read_async] reads the head with the library's own
 * bounded reader. The program then looks at the method, the path and the
 * headers and either makes a WebSocket of it
 * ([ctor@Fws.WebSocket.new_for_request]), an EventSource stream
 * ([ctor@Fws.EventSource.new_for_request]), or answers it with
 * [method@Fws.Request.respond]:
 *
 * ```c
 * static void
 * on_request (GObject *source, GAsyncResult *result, gpointer user_data)
 * {
 *   g_autoptr(FwsRequest) request = fws_request_read_finish (result, NULL);
 *
 *   if (request == NULL)
 *     return;    // the library already answered a malformed head with 400
 *   if (fws_request_is_websocket (request))
 *     {
 *       FwsWebSocket *ws = fws_web_socket_new_for_request (request, NULL, NULL);
 *       g_signal_connect (ws, "message", G_CALLBACK (on_message), NULL);
 *       g_object_unref (ws);  // it keeps itself alive until it closes
 *     }
 *   else
 *     fws_request_respond (request, 404, NULL, "Not found\n", NULL);
 * }
 *
 * static gboolean
 * on_incoming (GSocketService *service, GSocketConnection *connection,
 *              GObject *source, gpointer user_data)
 * {
 *   fws_request_read_async (G_IO_STREAM (connection), 0, NULL, on_request, NULL);
 *   return TRUE;
 * }
 * ```
 *
 * A TLS server wraps the accepted connection in a
 * [iface@Gio.TlsServerConnection] first; the handshake then runs under the
 * same deadline as the head. Limits: the head must arrive complete within
 * the timeout (10 seconds by default; the clock starts when the stream is
 * handed over, so a peer that trickles one byte a second is cut off), in at
 * most 64 KiB, with lines of at most 4 KiB and at most 100 header lines. A
 * head that breaks them, or does not parse, is answered with a plain-text
 * 400 and the connection closed; the read then fails.
 *
 * Since: 0.2
 */

#define DEFAULT_TIMEOUT_MS 10000
#define RESPOND_FLUSH_TIMEOUT_MS 10000

struct _FwsRequest
{
  GObject             parent_instance;

  GMainContext       *context;
  FwsTransport       *transport;     /* (owned) (nullable) once taken */
  FwsHttpHeadReader  *reader;        /* (owned) while reading */
  GTask              *task;          /* (owned) while reading */
  GCancellable       *cancellable;   /* (owned) cancels the TLS handshake */
  GSource            *deadline;
  GSource            *flush_timer;   /* after an answer */
  GIOStream          *handshaking;   /* (owned) a TLS stream in its handshake */
  gulong              cancel_id;
  guint               timeout_ms;

  char               *method;
  char               *path;
  char               *query;
  SoupHTTPVersion     version;
  SoupMessageHeaders *headers;
  GByteArray         *early;         /* bytes behind the head */
  gboolean            secure;
  char               *local_authority; /* the address it came to, for a head without Host */
  gboolean            answered;      /* respond() or a 400: flushing, then closed */
};

G_DEFINE_FINAL_TYPE (FwsRequest, fws_request, G_TYPE_OBJECT)

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Ends the read: @error NULL returns the request to the caller. */
static void
complete (FwsRequest *self,
          GError     *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task == NULL)
    return;
  destroy_source (&self->deadline);
  g_clear_pointer (&self->reader, fws_http_head_reader_free);
  if (self->cancel_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancel_id);
      self->cancel_id = 0;
    }
  if (self->transport != NULL)
    fws_transport_set_reading (self->transport, FALSE);
  if (error != NULL)
    {
      if (!self->answered && self->transport != NULL)
        fws_transport_release (self->transport);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

/* ---- Answers ---- */

static void
respond_flush_done (FwsRequest *self)
{
  destroy_source (&self->flush_timer);
  if (self->transport != NULL)
    fws_transport_release (self->transport);
  /* The ref taken when the answer was queued. */
  g_object_unref (self);
}

static gboolean
respond_timeout_cb (gpointer user_data)
{
  FwsRequest *self = user_data;

  g_clear_pointer (&self->flush_timer, g_source_unref);
  respond_flush_done (self);
  return G_SOURCE_REMOVE;
}

/* Queues a whole response and closes once it is written (or after a
 * bounded wait for a peer that reads nothing). */
static void
answer (FwsRequest *self,
        guint       status,
        const char *content_type,
        const char *body)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *phrase = soup_status_get_phrase (status);
  gsize body_len = body ? strlen (body) : 0;

  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, phrase ? phrase : "Status");
  if (body_len > 0)
    g_string_append_printf (out, "Content-Type: %s\r\n", content_type ? content_type : "text/plain; charset=utf-8");
  g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n", body_len);
  if (body_len > 0)
    g_string_append_len (out, body, (gssize) body_len);

  self->answered = TRUE;
  g_object_ref (self);
  fws_transport_set_reading (self->transport, FALSE);
  fws_transport_write (self->transport, (const guint8 *) out->str, out->len);
  self->flush_timer = g_timeout_source_new (RESPOND_FLUSH_TIMEOUT_MS);
  g_source_set_static_name (self->flush_timer, "fws-request-respond-timeout");
  g_source_set_callback (self->flush_timer, respond_timeout_cb, self, NULL);
  g_source_attach (self->flush_timer, self->context);
}

/* ---- Reading the head ---- */

static void
transport_received_cb (gpointer      user_data,
                       const guint8 *data,
                       gsize         len)
{
  FwsRequest *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  const char *head;
  gsize head_len;
  gssize n;
  char *q;

  if (self->reader == NULL || self->answered)
    return;
  n = fws_http_head_reader_feed (self->reader, data, len, &error);
  if (n == 0)
    return;
  if (n > 0)
    {
      head = fws_http_head_reader_get_head (self->reader, &head_len);
      if (fws_http_parse_request (head, head_len, &self->method, &target, &self->version,
                                  &self->headers, &error))
        {
          q = strchr (target, '?');
          if (q != NULL)
            {
              self->query = g_strdup (q + 1);
              *q = '\0';
            }
          self->path = g_steal_pointer (&target);
          self->early = g_byte_array_new ();
          g_byte_array_append (self->early, data + n, (guint) (len - (gsize) n));
          complete (self, NULL);
          return;
        }
    }
  /* Wire text is fixed English; the error for people is translated. */
  answer (self, SOUP_STATUS_BAD_REQUEST, "text/plain; charset=utf-8",
          g_error_matches (error, FWS_ERROR, FWS_ERROR_TOO_LARGE) ?
            "Request head too large\n" : "Malformed HTTP request head\n");
  complete (self, g_steal_pointer (&error));
}

static void
transport_failed_cb (gpointer      user_data,
                     const GError *error)
{
  FwsRequest *self = user_data;

  if (self->answered)
    {
      respond_flush_done (self);
      return;
    }
  if (error != NULL)
    complete (self, g_error_copy (error));
  else
    complete (self, g_error_new_literal (FWS_ERROR, FWS_ERROR_CLOSED,
                                         _("The peer closed the connection before its request head was complete")));
}

static void
transport_drained_cb (gpointer user_data)
{
  FwsRequest *self = user_data;

  if (self->answered)
    respond_flush_done (self);
}

static const FwsTransportCallbacks transport_callbacks = {
  transport_received_cb,
  transport_failed_cb,
  transport_drained_cb,
  NULL,
};

static gboolean
deadline_cb (gpointer user_data)
{
  FwsRequest *self = user_data;

  g_clear_pointer (&self->deadline, g_source_unref);
  g_cancellable_cancel (self->cancellable);
  complete (self, g_error_new (FWS_ERROR, FWS_ERROR_TIMED_OUT,
                               _("The request head did not arrive within %u ms"), self->timeout_ms));
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_idle_cb (gpointer user_data)
{
  FwsRequest *self = user_data;
  GError *error = NULL;

  if (self->task != NULL && g_cancellable_set_error_if_cancelled (g_task_get_cancellable (self->task), &error))
    {
      g_cancellable_cancel (self->cancellable);
      complete (self, error);
    }
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  FwsRequest *self = user_data;

  /* May run in another thread: finish in the request's context, and
   * never from inside the cancel (g_cancellable_disconnect in complete
   * would wait for this handler to return). */
  GSource *idle = g_idle_source_new ();

  g_source_set_priority (idle, G_PRIORITY_DEFAULT);
  g_source_set_static_name (idle, "fws-request-cancelled");
  g_source_set_callback (idle, cancelled_idle_cb, g_object_ref (self), g_object_unref);
  g_source_attach (idle, self->context);
  g_source_unref (idle);
}

static void
remember_local_address (FwsRequest *self,
                        GIOStream  *stream)
{
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *host = NULL;

  if (G_IS_TLS_CONNECTION (stream))
    g_object_get (stream, "base-io-stream", &base, NULL);
  else
    base = g_object_ref (stream);
  if (G_IS_SOCKET_CONNECTION (base))
    local = g_socket_connection_get_local_address (G_SOCKET_CONNECTION (base), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local))
    return;
  host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  self->local_authority = fws_http_format_authority (host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)),
                                                     self->secure ? 443 : 80);
}

static void
start_reading (FwsRequest *self,
               GIOStream  *stream)
{
  if (!fws_transport_adopt (self->transport, stream))
    {
      complete (self, g_error_new_literal (FWS_ERROR, FWS_ERROR_FAILED,
                                           _("The connection is not a socket connection")));
      return;
    }
  self->secure = fws_transport_is_tls (self->transport);
  remember_local_address (self, stream);
  fws_transport_set_reading (self->transport, TRUE);
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FwsRequest) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = g_steal_pointer (&self->handshaking);

  if (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error) && self->task != NULL)
    {
      start_reading (self, stream);
      return;
    }
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (self->task != NULL)
    {
      g_prefix_error (&error, "%s", _("TLS handshake failed: "));
      complete (self, g_steal_pointer (&error));
    }
}

/**
 * fws_request_read_async:
 * @stream: a connection the program accepted: a [class@Gio.SocketConnection]
 *   (TCP or a Unix socket) or a [iface@Gio.TlsServerConnection] over one
 * @timeout_ms: how long the head (and the TLS handshake) may take, in
 *   milliseconds; 0 for the default of 10 seconds
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called once the head was read, or could not be
 * @user_data: data for @callback
 *
 * Reads the head of an HTTP/1.x request from @stream, which the request
 * then owns. See [class@Fws.Request] for the limits; a head that breaks
 * them is answered with 400 and the connection closed.
 *
 * Since: 0.2
 */
void
fws_request_read_async (GIOStream           *stream,
                        guint                timeout_ms,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  FwsRequest *self;

  g_return_if_fail (G_IS_IO_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (FWS_TYPE_REQUEST, NULL);
  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, fws_request_read_async);
  g_task_set_name (self->task, "fws_request_read_async");
  self->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
  self->reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                           FWS_HTTP_DEFAULT_MAX_HEADERS);

  /* The clock starts now: a peer that trickles its head is cut off. */
  self->deadline = g_timeout_source_new (self->timeout_ms);
  g_source_set_static_name (self->deadline, "fws-request-deadline");
  g_source_set_callback (self->deadline, deadline_cb, self, NULL);
  g_source_attach (self->deadline, self->context);
  if (cancellable != NULL)
    self->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), self, NULL);

  if (G_IS_TLS_CONNECTION (stream) &&
      g_tls_connection_get_protocol_version (G_TLS_CONNECTION (stream)) == G_TLS_PROTOCOL_VERSION_UNKNOWN)
    {
      self->handshaking = g_object_ref (stream);
      g_tls_connection_handshake_async (G_TLS_CONNECTION (stream), G_PRIORITY_DEFAULT, self->cancellable,
                                        handshake_cb, g_object_ref (self));
    }
  else
    start_reading (self, stream);
  /* The task holds the request until it completes. */
  g_object_unref (self);
}

/**
 * fws_request_read_finish:
 * @result: the result passed to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [func@Fws.Request.read_async].
 *
 * Returns: (transfer full): the request, or %NULL with @error set: the
 *   head was malformed or too large (a 400 was sent), did not arrive in
 *   time, the peer went away, or the read was cancelled
 * Since: 0.2
 */
FwsRequest *
fws_request_read_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fws_request_read_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * fws_request_get_method:
 * @self: a [class@Fws.Request]
 *
 * Gets the request method.
 *
 * Returns: the method, such as "GET"
 * Since: 0.2
 */
const char *
fws_request_get_method (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), NULL);
  return self->method;
}

/**
 * fws_request_get_path:
 * @self: a [class@Fws.Request]
 *
 * Gets the path of the request target, without the query.
 *
 * Returns: the path, as sent (not percent-decoded)
 * Since: 0.2
 */
const char *
fws_request_get_path (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), NULL);
  return self->path;
}

/**
 * fws_request_get_query:
 * @self: a [class@Fws.Request]
 *
 * Gets the query of the request target: what follows the `?`.
 *
 * Returns: (nullable): the query, as sent, or %NULL when there is none
 * Since: 0.2
 */
const char *
fws_request_get_query (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), NULL);
  return self->query;
}

/**
 * fws_request_get_http_version:
 * @self: a [class@Fws.Request]
 *
 * Gets the HTTP version of the request.
 *
 * Returns: %SOUP_HTTP_1_0 or %SOUP_HTTP_1_1
 * Since: 0.2
 */
SoupHTTPVersion
fws_request_get_http_version (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), SOUP_HTTP_1_1);
  return self->version;
}

/**
 * fws_request_get_headers:
 * @self: a [class@Fws.Request]
 *
 * Gets the request headers.
 *
 * Returns: (transfer none): the headers
 * Since: 0.2
 */
SoupMessageHeaders *
fws_request_get_headers (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), NULL);
  return self->headers;
}

/**
 * fws_request_get_secure:
 * @self: a [class@Fws.Request]
 *
 * Whether the request came over TLS.
 *
 * Returns: %TRUE for a request read from a [class@Gio.TlsConnection]
 * Since: 0.2
 */
gboolean
fws_request_get_secure (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), FALSE);
  return self->secure;
}

/**
 * fws_request_is_websocket:
 * @self: a [class@Fws.Request]
 *
 * Whether the request asks for a WebSocket: a GET whose `Connection`
 * header has the token `upgrade` and whose `Upgrade` header is
 * `websocket`, as [func@Fws.WebSocket.is_websocket_request] checks.
 *
 * Returns: %TRUE for a WebSocket request
 * Since: 0.2
 */
gboolean
fws_request_is_websocket (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), FALSE);
  return fws_handshake_is_websocket_request (self->method, self->headers);
}

/**
 * fws_request_is_event_source:
 * @self: a [class@Fws.Request]
 *
 * Whether the request asks for an event stream: a GET whose `Accept`
 * header lists `text/event-stream`, as
 * [func@Fws.EventSource.is_event_source_request] checks.
 *
 * Returns: %TRUE for an EventSource request
 * Since: 0.2
 */
gboolean
fws_request_is_event_source (FwsRequest *self)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), FALSE);
  return fws_sse_is_request (self->method, self->headers);
}

/**
 * fws_request_respond:
 * @self: a [class@Fws.Request]
 * @status: an HTTP status code, from 100 to 999
 * @content_type: (nullable): the body's media type; %NULL for
 *   `text/plain; charset=utf-8`
 * @body: (nullable): the body, or %NULL for none
 * @error: return location for a [struct@GLib.Error]
 *
 * Answers the request with a whole response (with `Content-Length` and
 * `Connection: close`), then closes the connection once it was written, or
 * after ten seconds if the peer reads nothing.
 *
 * Returns: %TRUE if the answer was queued; %FALSE with @error set when the
 *   request was already answered or taken over, or its connection is gone
 * Since: 0.2
 */
gboolean
fws_request_respond (FwsRequest  *self,
                     guint        status,
                     const char  *content_type,
                     const char  *body,
                     GError     **error)
{
  g_return_val_if_fail (FWS_IS_REQUEST (self), FALSE);
  g_return_val_if_fail (status >= 100 && status <= 999, FALSE);
  g_return_val_if_fail (content_type == NULL || fws_http_is_safe_value (content_type), FALSE);

  if (self->answered || self->transport == NULL || !fws_transport_is_open (self->transport) ||
      self->task != NULL)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED,
                           _("The request was answered already, or its connection is closed"));
      return FALSE;
    }
  answer (self, status, content_type, body);
  return TRUE;
}

const char *
fws_request_get_local_authority (FwsRequest *self)
{
  return self->local_authority;
}

/**
 * fws_server_close_all:
 * @code: the close code for WebSockets: 1001 (going away) when a server
 *   stops; any code [method@Fws.WebSocket.close] accepts
 * @reason: (nullable): the close reason for WebSockets
 *
 * Closes every server-side connection of the calling thread's
 * thread-default [struct@GLib.MainContext] that is still open, whichever
 * door it came through: each [class@Fws.WebSocket] as
 * [method@Fws.WebSocket.close] does (hixie ones without a code), each
 * [class@Fws.EventSource] as [method@Fws.EventSource.close] does. Their
 * close signals follow from the main loop, as usual; run it until they
 * arrived before exiting. Clients are not touched.
 *
 * Returns: how many connections were asked to close
 * Since: 0.2
 */
guint
fws_server_close_all (guint       code,
                      const char *reason)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  return fws_connection_shutdown_all (context, code, reason);
}

FwsTransport *
fws_request_steal_transport (FwsRequest  *self,
                             GByteArray **early,
                             GError     **error)
{
  if (self->answered || self->task != NULL || self->transport == NULL ||
      !fws_transport_is_open (self->transport))
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED,
                           _("The request was answered already, or its connection is closed"));
      return NULL;
    }
  *early = g_steal_pointer (&self->early);
  return g_steal_pointer (&self->transport);
}

/* ---- GObject ---- */

static void
fws_request_finalize (GObject *object)
{
  FwsRequest *self = FWS_REQUEST (object);

  g_assert (self->task == NULL);
  destroy_source (&self->deadline);
  destroy_source (&self->flush_timer);
  g_clear_pointer (&self->transport, fws_transport_free);
  g_clear_pointer (&self->reader, fws_http_head_reader_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->headers, soup_message_headers_unref);
  g_clear_pointer (&self->early, g_byte_array_unref);
  g_free (self->local_authority);
  g_free (self->method);
  g_free (self->path);
  g_free (self->query);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (fws_request_parent_class)->finalize (object);
}

static void
fws_request_class_init (FwsRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();
  object_class->finalize = fws_request_finalize;
}

static void
fws_request_init (FwsRequest *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->version = SOUP_HTTP_1_1;
  self->transport = fws_transport_new (self->context, G_OBJECT (self), &transport_callbacks, self);
}
