/* fws-event-source.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-event-source-private.h"

#include <string.h>

#include "fws-enum-types.h"
#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-sse-private.h"
#include "fws-connection-private.h"
#include "fws-request-private.h"

/**
 * FwsEventSource:
 *
 * The server side of an EventSource (server-sent events) stream.
 *
 * Make one inside a [class@Soup.Server] handler for a request that passes
 * [func@Fws.EventSource.is_event_source_request], with
 * [ctor@Fws.EventSource.new], or with [ctor@GObject.Object.new] and
 * [method@Fws.EventSource.accept] to set options first. It takes the
 * connection over from libsoup and writes the response itself when the main
 * loop next runs:
 *
 * ```
 * HTTP/1.1 200 OK
 * Content-Type: text/event-stream
 * Cache-Control: no-cache, no-store
 * X-Accel-Buffering: no
 * Connection: close
 * (the lines of extra-headers)
 *
 * retry: 5000
 * ```
 *
 * The status line carries the request's HTTP version (1.0 or 1.1). There is
 * no Content-Length and no chunked encoding: the stream is the body, and it
 * ends when the connection closes. Every line ends in CRLF. Each
 * [method@Fws.EventSource.send] then writes one event, and
 * [method@Fws.EventSource.ping] (or the [property@Fws.EventSource:ping-seconds]
 * timer) a comment line.
 *
 * Unlike faye, the connection keeps reading, so a client that goes away is
 * noticed at once; a client that vanishes without closing is noticed when a
 * write fails, which pings help with.
 *
 * All I/O, timers and signals happen in the thread-default
 * [struct@GLib.MainContext] of the thread that created the object; call its
 * methods from that thread. No signal is emitted from inside a method call:
 * [signal@Fws.EventSource::open] and [signal@Fws.EventSource::close] come
 * from the main loop. The stream keeps itself alive until its close signal
 * has been emitted, so a server handler may drop its reference right away.
 *
 * Since: 0.1
 */

#define DEFAULT_RETRY 5.0
#define MAX_SECONDS 4294967.0              /* G_MAXUINT milliseconds */
#define CLOSE_FLUSH_TIMEOUT_MS 30000

struct _FwsEventSource
{
  GObject             parent_instance;

  FwsConnection      *conn;              /* (owned) the shell: transport, lifecycle, timers */
  FwsReadyState       ready_state;
  gboolean            state_notify_pending; /* CLOSED by close (), notified later */

  /* options */
  double              retry;
  double              ping_seconds;
  SoupMessageHeaders *extra_headers;
  char              **allowed_origins;   /* NULL: all */
  guint64             max_buffered;      /* 0: none */
  guint64             high_water_mark;   /* 0: never pause reading */
  guint64             low_water_mark;
  FwsSendOverflow     send_overflow;

  /* the request */
  char               *origin;
  char               *url;
  char               *last_event_id;
  SoupHTTPVersion     version;

  /* output */
  GString            *out;               /* formatted, not yet handed to the transport */
  gboolean            head_queued;
};

G_DEFINE_FINAL_TYPE (FwsEventSource, fws_event_source, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_URL,
  PROP_LAST_EVENT_ID,
  PROP_READY_STATE,
  PROP_RETRY,
  PROP_PING_SECONDS,
  PROP_EXTRA_HEADERS,
  PROP_ALLOWED_ORIGINS,
  PROP_BUFFERED_AMOUNT,
  PROP_MAX_BUFFERED,
  PROP_HIGH_WATER_MARK,
  PROP_LOW_WATER_MARK,
  PROP_SEND_OVERFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  OPEN,
  CLOSE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Output ---- */

/* Hands what was formatted to the transport, once the head went first.
 * Events were checked against max-buffered by send; the head, comments
 * and pings are bounded otherwise (once, and by the clock). */
static void
push_out (FwsEventSource *self)
{
  if (!self->head_queued || fws_connection_is_dead (self->conn) || self->out->len == 0)
    return;
  fws_transport_write_unlimited (fws_connection_get_transport (self->conn), (const guint8 *) self->out->str,
                                 self->out->len);
  g_string_truncate (self->out, 0);
}

/* The head goes before anything queued while connecting. */
static void
queue_head (FwsEventSource *self)
{
  g_autoptr(GString) head = NULL;

  if (self->head_queued)
    return;
  head = g_string_new (NULL);
  fws_sse_append_head (head, self->version, self->extra_headers, fws_sse_retry_ms (self->retry));
  fws_transport_write_unlimited (fws_connection_get_transport (self->conn), (const guint8 *) head->str,
                                 head->len);
  self->head_queued = TRUE;
  push_out (self);
}

static void
set_ready_state (FwsEventSource *self,
                 FwsReadyState   state)
{
  if (self->ready_state == state && !self->state_notify_pending)
    return;
  self->ready_state = state;
  self->state_notify_pending = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY_STATE]);
}

static void
arm_ping_timer (FwsEventSource *self)
{
  guint ms = 0;

  if (self->ping_seconds > 0 && self->head_queued && !fws_connection_is_closing (self->conn))
    ms = MAX (fws_sse_retry_ms (self->ping_seconds), 1);
  fws_connection_set_timer (self->conn, FWS_CONNECTION_TIMER_PING, ms);
}

/* ---- The shell's events ---- */

static void
conn_start_cb (GObject      *owner,
               const guint8 *early,
               gsize         len)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (owner);

  if (!fws_handshake_origin_allowed (self->origin, (const char * const *) self->allowed_origins))
    {
      g_autoptr(GBytes) answer = fws_handshake_forbidden_response ();

      /* 403, then closed: never open. */
      fws_transport_write (fws_connection_get_transport (self->conn), g_bytes_get_data (answer, NULL),
                           g_bytes_get_size (answer));
      fws_connection_finish (self->conn, TRUE);
      return;
    }
  /* Bytes behind the request are dropped: a client has nothing to say
   * here. Reading goes on all the same: it notices a client that goes
   * away (even one gone already). */
  queue_head (self);
  arm_ping_timer (self);
}

static void
conn_received_cb (GObject      *owner,
                  const guint8 *data,
                  gsize         len)
{
}

static void
conn_failed_cb (GObject      *owner,
                const GError *error)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (owner);

  if (error != NULL)
    g_debug ("EventSource %s: %s", self->url ? self->url : "", error->message);
  g_string_truncate (self->out, 0);
}

static void
conn_drained_cb (GObject *owner)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (owner);

  g_object_notify_by_pspec (owner, properties[PROP_BUFFERED_AMOUNT]);
  if (self->ready_state == FWS_READY_STATE_CONNECTING && !fws_connection_is_closing (self->conn))
    {
      /* The head is out. */
      set_ready_state (self, FWS_READY_STATE_OPEN);
      g_signal_emit (self, signals[OPEN], 0);
    }
}

static void
conn_timeout_cb (GObject            *owner,
                 FwsConnectionTimer  timer)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (owner);

  if (timer == FWS_CONNECTION_TIMER_PING)
    {
      fws_sse_append_ping (self->out);
      push_out (self);
      arm_ping_timer (self);
    }
  else
    {
      /* The client reads nothing: drop what is left. */
      fws_connection_finish (self->conn, FALSE);
    }
}

static void
conn_finished_cb (GObject *owner)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (owner);

  g_string_truncate (self->out, 0);
  set_ready_state (self, FWS_READY_STATE_CLOSED);
  g_signal_emit (self, signals[CLOSE], 0);
}

static void
conn_shutdown_cb (GObject    *owner,
                  guint       code,
                  const char *reason)
{
  fws_event_source_close (FWS_EVENT_SOURCE (owner));
}

static const FwsConnectionCallbacks conn_callbacks = {
  conn_start_cb,
  conn_received_cb,
  conn_failed_cb,
  conn_drained_cb,
  NULL,
  conn_timeout_cb,
  conn_finished_cb,
  conn_shutdown_cb,
};

/* ---- Server side ---- */

/* The URL, also for an HTTP/1.0 request without Host (libsoup then names
 * the local address in the message's URI). */
static char *
request_url (SoupServerMessage  *msg,
             GError            **error)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  gboolean secure = g_strcmp0 (g_uri_get_scheme (uri), "https") == 0;
  g_autofree char *authority = NULL;
  char *url;

  if (soup_message_headers_get_list (request, "Host") == NULL && g_uri_get_host (uri) != NULL)
    authority = fws_http_format_authority (g_uri_get_host (uri), g_uri_get_port (uri),
                                           secure ? 443 : 80);
  url = fws_http_request_url ("http", secure, request, authority,
                              g_uri_get_path (uri), g_uri_get_query (uri));

  if (url == NULL)
    g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Invalid Host header"));
  return url;
}

static gboolean
check_request (SoupHTTPVersion   version,
               gboolean          is_event_source,
               GError          **error)
{
  return fws_connection_check_request (version, is_event_source,
                                       _("EventSource requests are only supported over HTTP/1.x"),
                                       _("Not an EventSource request"), error);
}

/* Takes @url. */
static void
set_request (FwsEventSource     *self,
             SoupHTTPVersion     version,
             char               *url,
             SoupMessageHeaders *request)
{
  self->version = version;
  g_free (self->url);
  self->url = url;
  g_free (self->last_event_id);
  self->last_event_id = fws_sse_last_event_id (soup_message_headers_get_one (request, "Last-Event-ID"), -1);
  g_free (self->origin);
  self->origin = g_strdup (soup_message_headers_get_list (request, "Origin"));
}

static gboolean
take_over (FwsEventSource *self,
           gboolean        taken)
{
  if (!taken)
    {
      fws_connection_finish (self->conn, FALSE);
      self->ready_state = FWS_READY_STATE_CLOSED;
    }
  return taken;
}

/**
 * fws_event_source_is_event_source_request:
 * @msg: a request received by a [class@Soup.Server]
 *
 * Whether @msg asks for an EventSource stream: a GET whose `Accept` header,
 * split on commas, has the exact item `text/event-stream` (an item with
 * parameters, such as `text/event-stream;q=1`, or in another case does not
 * count).
 *
 * Returns: %TRUE if @msg is an EventSource request
 * Since: 0.1
 */
gboolean
fws_event_source_is_event_source_request (SoupServerMessage *msg)
{
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  return fws_sse_is_request (soup_server_message_get_method (msg),
                             soup_server_message_get_request_headers (msg));
}

/**
 * fws_event_source_new:
 * @msg: an EventSource request received by a [class@Soup.Server] handler
 * @error: return location for a [struct@GLib.Error]
 *
 * Takes the connection of @msg over from libsoup and makes an EventSource
 * stream of it, with the default options. Call it inside the handler,
 * before setting any status on @msg; the handler must not touch @msg
 * afterwards. The response head is written when the main loop next runs,
 * so options set and signal handlers connected right after this call still
 * apply.
 *
 * Returns: (transfer full) (nullable): the new stream, or %NULL if @msg is
 *   not an EventSource request over HTTP/1.x with a valid Host (nothing was
 *   taken over then: answer @msg as usual)
 * Since: 0.1
 */
FwsEventSource *
fws_event_source_new (SoupServerMessage  *msg,
                      GError            **error)
{
  FwsEventSource *self;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FWS_TYPE_EVENT_SOURCE, NULL);
  if (!fws_event_source_accept (self, msg, error))
    g_clear_object (&self);
  return self;
}

/**
 * fws_event_source_accept:
 * @self: a [class@Fws.EventSource] made with [ctor@GObject.Object.new]
 * @msg: an EventSource request received by a [class@Soup.Server] handler
 * @error: return location for a [struct@GLib.Error]
 *
 * Like [ctor@Fws.EventSource.new], for a stream whose options were set as
 * properties first. Only once per object.
 *
 * Returns: %TRUE if the connection was taken over; %FALSE with @error set
 *   (%FWS_ERROR_NOT_SUPPORTED for HTTP/2, %FWS_ERROR_HANDSHAKE for a request
 *   that is not an EventSource request or has a malformed Host) if it was
 *   left to libsoup
 * Since: 0.1
 */
gboolean
fws_event_source_accept (FwsEventSource     *self,
                         SoupServerMessage  *msg,
                         GError            **error)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);
  g_return_val_if_fail (!fws_connection_is_attached (self->conn) && !fws_connection_is_closing (self->conn), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_request (soup_server_message_get_http_version (msg),
                      fws_event_source_is_event_source_request (msg), error))
    return FALSE;
  url = request_url (msg, error);
  if (url == NULL)
    return FALSE;

  /* Everything needed from @msg is read before the steal (PLATFORM.md 1a). */
  set_request (self, soup_server_message_get_http_version (msg), g_steal_pointer (&url),
               soup_server_message_get_request_headers (msg));
  return take_over (self, fws_connection_take_message (self->conn, msg, error));
}

/**
 * fws_event_source_new_for_request:
 * @request: an EventSource request read from a stream the program accepted
 * @error: return location for a [struct@GLib.Error]
 *
 * Like [ctor@Fws.EventSource.new], for a request read with
 * [func@Fws.Request.read_async] instead of one a [class@Soup.Server]
 * received: the second way in, for programs that accept connections
 * themselves.
 *
 * Returns: (transfer full) (nullable): the new stream, or %NULL if
 *   @request is not an EventSource request over HTTP/1.x with a valid Host
 *   (nothing was taken over then: answer it with
 *   [method@Fws.Request.respond])
 * Since: 0.2
 */
FwsEventSource *
fws_event_source_new_for_request (FwsRequest  *request,
                                  GError     **error)
{
  FwsEventSource *self;

  g_return_val_if_fail (FWS_IS_REQUEST (request), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FWS_TYPE_EVENT_SOURCE, NULL);
  if (!fws_event_source_accept_request (self, request, error))
    g_clear_object (&self);
  return self;
}

/**
 * fws_event_source_accept_request:
 * @self: a [class@Fws.EventSource] made with [ctor@GObject.Object.new]
 * @request: an EventSource request read from a stream the program accepted
 * @error: return location for a [struct@GLib.Error]
 *
 * Like [method@Fws.EventSource.accept], for a request read with
 * [func@Fws.Request.read_async]. Only once per object.
 *
 * Returns: %TRUE if the connection was taken over
 * Since: 0.2
 */
gboolean
fws_event_source_accept_request (FwsEventSource  *self,
                                 FwsRequest      *request,
                                 GError         **error)
{
  SoupMessageHeaders *headers;
  char *url;

  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), FALSE);
  g_return_val_if_fail (FWS_IS_REQUEST (request), FALSE);
  g_return_val_if_fail (!fws_connection_is_attached (self->conn) && !fws_connection_is_closing (self->conn), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_request (fws_request_get_http_version (request), fws_request_is_event_source (request), error))
    return FALSE;
  headers = fws_request_get_headers (request);
  url = fws_http_request_url ("http", fws_request_get_secure (request), headers,
                              soup_message_headers_get_list (headers, "Host") == NULL ?
                                fws_request_get_local_authority (request) : NULL,
                              fws_request_get_path (request), fws_request_get_query (request));
  if (url == NULL)
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Invalid Host header"));
      return FALSE;
    }
  set_request (self, fws_request_get_http_version (request), url, headers);
  return take_over (self, fws_connection_take_request (self->conn, request, error));
}

/* ---- Public API ---- */

/**
 * fws_event_source_send:
 * @self: a [class@Fws.EventSource]
 * @data: the event's data, UTF-8
 * @event: (nullable): the event's type, or %NULL for a plain message
 * @id: (nullable): the event's id, which the client sends back in
 *   `Last-Event-ID` when it reconnects, or %NULL for none (an empty id
 *   resets the client's)
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues one event:
 *
 * ```
 * event: <event>
 * id: <id>
 * data: <first line of data>
 * data: <second line of data>
 *
 * ```
 *
 * @data is split on CR, LF and CRLF, so the client sees those breaks as LF.
 * An event or id with CR, LF or NUL would forge other fields, so it is
 * refused (unlike faye) and nothing is written. Events sent before the
 * stream is open go out right after the response head. It is never
 * blocking: the bytes go out when the main loop runs.
 *
 * An event that would take [property@Fws.EventSource:buffered-amount]
 * past [property@Fws.EventSource:max-buffered] is not queued: the send
 * fails with %FWS_ERROR_QUEUE_FULL and, if
 * [property@Fws.EventSource:send-overflow] is %FWS_SEND_OVERFLOW_CLOSE,
 * the stream is closed as by [method@Fws.EventSource.close].
 *
 * Returns: %TRUE if the event was queued; %FALSE with @error set when
 *   @event or @id has CR, LF or NUL (%FWS_ERROR_INVALID_ARGUMENT), a string
 *   is not valid UTF-8 (%FWS_ERROR_INVALID_UTF8), the stream is closed
 *   (%FWS_ERROR_CLOSED), or the send queue is full (%FWS_ERROR_QUEUE_FULL)
 * Since: 0.1
 */
gboolean
fws_event_source_send (FwsEventSource  *self,
                       const char      *data,
                       const char      *event,
                       const char      *id,
                       GError         **error)
{
  gsize before;
  gsize added;

  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->ready_state == FWS_READY_STATE_CLOSED || fws_connection_is_closing (self->conn))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The EventSource stream is closed"));
      return FALSE;
    }
  before = self->out->len;
  if (!fws_sse_append_event (self->out, data, strlen (data), event, -1, id, -1, error))
    return FALSE;
  added = self->out->len - before;
  if (self->max_buffered != 0 &&
      ((guint64) added > self->max_buffered ||
       fws_event_source_get_buffered_amount (self) - added > self->max_buffered - added))
    {
      char size[24];
      char limit[24];

      g_string_truncate (self->out, before);
      /* No G_GUINT64_FORMAT inside a translatable string: xgettext cannot
       * see through it. */
      g_snprintf (size, sizeof size, "%" G_GSIZE_FORMAT, added);
      g_snprintf (limit, sizeof limit, "%" G_GUINT64_FORMAT, self->max_buffered);
      g_set_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL,
                   _("An event of %s bytes does not fit in the send queue: the client "
                     "is not reading fast enough, and max-buffered is %s bytes"), size, limit);
      if (self->send_overflow == FWS_SEND_OVERFLOW_CLOSE)
        fws_event_source_close (self);
      return FALSE;
    }
  push_out (self);
  return TRUE;
}

/**
 * fws_event_source_ping:
 * @self: a [class@Fws.EventSource]
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues a comment line (`:` and a blank line), which clients ignore. It
 * keeps proxies from timing the connection out, and lets a write notice a
 * client that vanished. [property@Fws.EventSource:ping-seconds] sends one
 * periodically.
 *
 * Returns: %TRUE if the comment was queued; %FALSE with @error set
 *   (%FWS_ERROR_CLOSED) once the stream is closed
 * Since: 0.1
 */
gboolean
fws_event_source_ping (FwsEventSource  *self,
                       GError         **error)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->ready_state == FWS_READY_STATE_CLOSED || fws_connection_is_closing (self->conn))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The EventSource stream is closed"));
      return FALSE;
    }
  fws_sse_append_ping (self->out);
  push_out (self);
  return TRUE;
}

/**
 * fws_event_source_close:
 * @self: a [class@Fws.EventSource]
 *
 * Ends the stream: what is queued is written (the response head too, if
 * the stream was not open yet), then the connection is closed and
 * [signal@Fws.EventSource::close] is emitted from the main loop. A client
 * that reads nothing is dropped after 30 seconds. The state is
 * %FWS_READY_STATE_CLOSED as soon as this returns. Does nothing if the
 * stream is already closed.
 *
 * Since: 0.1
 */
void
fws_event_source_close (FwsEventSource *self)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));

  if (self->ready_state == FWS_READY_STATE_CLOSED || fws_connection_is_closing (self->conn))
    return;
  self->ready_state = FWS_READY_STATE_CLOSED;
  self->state_notify_pending = TRUE;  /* notify::ready-state comes with close */
  fws_connection_clear_timer (self->conn, FWS_CONNECTION_TIMER_PING);
  if (fws_connection_is_attached (self->conn) && !fws_connection_is_dead (self->conn))
    {
      /* The head and what is queued go out first, within the timeout. */
      queue_head (self);
      fws_connection_set_timer (self->conn, FWS_CONNECTION_TIMER_CLOSE, CLOSE_FLUSH_TIMEOUT_MS);
    }
  fws_connection_finish (self->conn, TRUE);
}

/**
 * fws_event_source_get_ready_state:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:ready-state].
 *
 * Returns: the stream's state: %FWS_READY_STATE_CONNECTING until the
 *   response head is written, then %FWS_READY_STATE_OPEN, then
 *   %FWS_READY_STATE_CLOSED (there is no closing state)
 * Since: 0.1
 */
FwsReadyState
fws_event_source_get_ready_state (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), FWS_READY_STATE_CLOSED);
  return self->ready_state;
}

/**
 * fws_event_source_get_url:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:url].
 *
 * Returns: (nullable): the URL of the request: `http://` or `https://` (also
 *   behind a proxy that sets `X-Forwarded-Proto: https`), the Host header,
 *   the path and the query; %NULL before [method@Fws.EventSource.accept]
 * Since: 0.1
 */
const char *
fws_event_source_get_url (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), NULL);
  return self->url;
}

/**
 * fws_event_source_get_last_event_id:
 * @self: a [class@Fws.EventSource]
 *
 * The `Last-Event-ID` header of the request, which a reconnecting client
 * sets to the last id it received. Only the header counts, never the query.
 * A value of more than 1024 bytes, with CR, LF or NUL, or that is not UTF-8
 * is taken as "".
 *
 * Returns: the last event id, or ""
 * Since: 0.1
 */
const char *
fws_event_source_get_last_event_id (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), "");
  return self->last_event_id;
}

/**
 * fws_event_source_get_retry:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:retry].
 *
 * Returns: the reconnection delay sent to the client, in seconds
 * Since: 0.1
 */
double
fws_event_source_get_retry (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), DEFAULT_RETRY);
  return self->retry;
}

/**
 * fws_event_source_set_retry:
 * @self: a [class@Fws.EventSource]
 * @seconds: the delay, in seconds (fractions allowed)
 *
 * Sets [property@Fws.EventSource:retry]. Once the response head is queued,
 * a new value is sent as a `retry:` field of its own.
 *
 * Since: 0.1
 */
void
fws_event_source_set_retry (FwsEventSource *self,
                            double          seconds)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));
  g_return_if_fail (seconds >= 0 && seconds <= MAX_SECONDS);

  if (self->retry == seconds)
    return;
  self->retry = seconds;
  if (self->head_queued && !fws_connection_is_closing (self->conn))
    {
      fws_sse_append_retry (self->out, fws_sse_retry_ms (seconds));
      push_out (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY]);
}

/**
 * fws_event_source_get_ping_seconds:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:ping-seconds].
 *
 * Returns: the seconds between two comment lines, or 0 when off
 * Since: 0.1
 */
double
fws_event_source_get_ping_seconds (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), 0);
  return self->ping_seconds;
}

/**
 * fws_event_source_set_ping_seconds:
 * @self: a [class@Fws.EventSource]
 * @seconds: the seconds between two comment lines, or 0 for none
 *
 * Sets [property@Fws.EventSource:ping-seconds]. A running timer starts over.
 *
 * Since: 0.1
 */
void
fws_event_source_set_ping_seconds (FwsEventSource *self,
                           double          seconds)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));
  g_return_if_fail (seconds >= 0 && seconds <= MAX_SECONDS);

  if (self->ping_seconds == seconds)
    return;
  self->ping_seconds = seconds;
  arm_ping_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PING_SECONDS]);
}

/**
 * fws_event_source_get_extra_headers:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:extra-headers].
 *
 * Returns: (transfer none) (nullable): the headers added to the response
 * Since: 0.1
 */
SoupMessageHeaders *
fws_event_source_get_extra_headers (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), NULL);
  return self->extra_headers;
}

/**
 * fws_event_source_set_extra_headers:
 * @self: a [class@Fws.EventSource]
 * @headers: (nullable): headers to add to the response
 *
 * Sets [property@Fws.EventSource:extra-headers]. Only before the response
 * head is written, which happens when the main loop runs after
 * [method@Fws.EventSource.accept].
 *
 * Since: 0.1
 */
void
fws_event_source_set_extra_headers (FwsEventSource     *self,
                                    SoupMessageHeaders *headers)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));

  if (self->head_queued)
    {
      g_warning ("FwsEventSource:extra-headers can only be set before the response is written");
      return;
    }
  if (self->extra_headers == headers)
    return;
  g_clear_pointer (&self->extra_headers, soup_message_headers_unref);
  self->extra_headers = headers ? soup_message_headers_ref (headers) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTRA_HEADERS]);
}

/**
 * fws_event_source_set_allowed_origins:
 * @self: a [class@Fws.EventSource]
 * @origins: (nullable) (array zero-terminated=1): the origins accepted,
 *   such as "https://example.com", or %NULL for all
 *
 * Sets [property@Fws.EventSource:allowed-origins]. It applies until the
 * response is written, which happens when the main loop runs after
 * [method@Fws.EventSource.accept].
 *
 * Since: 0.2
 */
void
fws_event_source_set_allowed_origins (FwsEventSource     *self,
                                      const char * const *origins)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));

  g_strfreev (self->allowed_origins);
  self->allowed_origins = g_strdupv ((char **) origins);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOWED_ORIGINS]);
}

/**
 * fws_event_source_get_allowed_origins:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:allowed-origins].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the
 *   origins accepted, or %NULL for all
 * Since: 0.2
 */
const char * const *
fws_event_source_get_allowed_origins (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), NULL);
  return (const char * const *) self->allowed_origins;
}

/* ---- GObject ---- */

/**
 * fws_event_source_get_buffered_amount:
 * @self: a [class@Fws.EventSource]
 *
 * The bytes queued for the client and not yet handed to the kernel: the
 * response head, events, comments. `notify::buffered-amount` is emitted
 * when the queue has drained.
 *
 * Returns: the number of bytes queued
 * Since: 0.2
 */
guint64
fws_event_source_get_buffered_amount (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), 0);
  return fws_transport_get_queued (fws_connection_get_transport (self->conn)) + self->out->len;
}

static void
apply_limits (FwsEventSource *self)
{
  fws_connection_set_limits (self->conn, self->max_buffered, self->high_water_mark, self->low_water_mark);
}

/**
 * fws_event_source_get_max_buffered:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:max-buffered].
 *
 * Returns: the hard limit on bytes queued for the client, 0 for none
 * Since: 0.2
 */
guint64
fws_event_source_get_max_buffered (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), 0);
  return self->max_buffered;
}

/**
 * fws_event_source_set_max_buffered:
 * @self: a [class@Fws.EventSource]
 * @max_buffered: the hard limit on bytes queued for the client, 0 for none
 *
 * Sets [property@Fws.EventSource:max-buffered]; it applies at once.
 *
 * Since: 0.2
 */
void
fws_event_source_set_max_buffered (FwsEventSource *self,
                                   guint64         max_buffered)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));
  if (self->max_buffered == max_buffered)
    return;
  self->max_buffered = max_buffered;
  apply_limits (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BUFFERED]);
}

/**
 * fws_event_source_get_high_water_mark:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:high-water-mark].
 *
 * Returns: the bytes queued above which reading pauses, 0 for never
 * Since: 0.2
 */
guint64
fws_event_source_get_high_water_mark (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), 0);
  return self->high_water_mark;
}

/**
 * fws_event_source_set_high_water_mark:
 * @self: a [class@Fws.EventSource]
 * @bytes: the bytes queued above which reading pauses, 0 for never
 *
 * Sets [property@Fws.EventSource:high-water-mark]; it applies at once.
 *
 * Since: 0.2
 */
void
fws_event_source_set_high_water_mark (FwsEventSource *self,
                                      guint64         bytes)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));
  if (self->high_water_mark == bytes)
    return;
  self->high_water_mark = bytes;
  apply_limits (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGH_WATER_MARK]);
}

/**
 * fws_event_source_get_low_water_mark:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:low-water-mark].
 *
 * Returns: the bytes queued at or below which paused reading resumes
 * Since: 0.2
 */
guint64
fws_event_source_get_low_water_mark (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), 0);
  return self->low_water_mark;
}

/**
 * fws_event_source_set_low_water_mark:
 * @self: a [class@Fws.EventSource]
 * @bytes: the bytes queued at or below which paused reading resumes
 *
 * Sets [property@Fws.EventSource:low-water-mark]; it applies at once.
 *
 * Since: 0.2
 */
void
fws_event_source_set_low_water_mark (FwsEventSource *self,
                                     guint64         bytes)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));
  if (self->low_water_mark == bytes)
    return;
  self->low_water_mark = bytes;
  apply_limits (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOW_WATER_MARK]);
}

/**
 * fws_event_source_get_send_overflow:
 * @self: a [class@Fws.EventSource]
 *
 * Gets [property@Fws.EventSource:send-overflow].
 *
 * Returns: what a send past max-buffered does
 * Since: 0.2
 */
FwsSendOverflow
fws_event_source_get_send_overflow (FwsEventSource *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE (self), FWS_SEND_OVERFLOW_ERROR);
  return self->send_overflow;
}

/**
 * fws_event_source_set_send_overflow:
 * @self: a [class@Fws.EventSource]
 * @policy: what a send past max-buffered does
 *
 * Sets [property@Fws.EventSource:send-overflow].
 *
 * Since: 0.2
 */
void
fws_event_source_set_send_overflow (FwsEventSource  *self,
                                    FwsSendOverflow  policy)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE (self));
  g_return_if_fail (policy == FWS_SEND_OVERFLOW_ERROR || policy == FWS_SEND_OVERFLOW_CLOSE);
  if (self->send_overflow == policy)
    return;
  self->send_overflow = policy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEND_OVERFLOW]);
}

static void
fws_event_source_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_LAST_EVENT_ID:
      g_value_set_string (value, self->last_event_id);
      break;
    case PROP_READY_STATE:
      g_value_set_enum (value, self->ready_state);
      break;
    case PROP_RETRY:
      g_value_set_double (value, self->retry);
      break;
    case PROP_PING_SECONDS:
      g_value_set_double (value, self->ping_seconds);
      break;
    case PROP_EXTRA_HEADERS:
      g_value_set_boxed (value, self->extra_headers);
      break;
    case PROP_ALLOWED_ORIGINS:
      g_value_set_boxed (value, self->allowed_origins);
      break;
    case PROP_BUFFERED_AMOUNT:
      g_value_set_uint64 (value, fws_event_source_get_buffered_amount (self));
      break;
    case PROP_MAX_BUFFERED:
      g_value_set_uint64 (value, self->max_buffered);
      break;
    case PROP_HIGH_WATER_MARK:
      g_value_set_uint64 (value, self->high_water_mark);
      break;
    case PROP_LOW_WATER_MARK:
      g_value_set_uint64 (value, self->low_water_mark);
      break;
    case PROP_SEND_OVERFLOW:
      g_value_set_enum (value, self->send_overflow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_event_source_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (object);

  switch (prop_id)
    {
    case PROP_RETRY:
      fws_event_source_set_retry (self, g_value_get_double (value));
      break;
    case PROP_PING_SECONDS:
      fws_event_source_set_ping_seconds (self, g_value_get_double (value));
      break;
    case PROP_EXTRA_HEADERS:
      fws_event_source_set_extra_headers (self, g_value_get_boxed (value));
      break;
    case PROP_ALLOWED_ORIGINS:
      fws_event_source_set_allowed_origins (self, g_value_get_boxed (value));
      break;
    case PROP_MAX_BUFFERED:
      fws_event_source_set_max_buffered (self, g_value_get_uint64 (value));
      break;
    case PROP_HIGH_WATER_MARK:
      fws_event_source_set_high_water_mark (self, g_value_get_uint64 (value));
      break;
    case PROP_LOW_WATER_MARK:
      fws_event_source_set_low_water_mark (self, g_value_get_uint64 (value));
      break;
    case PROP_SEND_OVERFLOW:
      fws_event_source_set_send_overflow (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_event_source_dispose (GObject *object)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (object);

  fws_connection_dispose (self->conn);
  g_string_truncate (self->out, 0);

  G_OBJECT_CLASS (fws_event_source_parent_class)->dispose (object);
}

static void
fws_event_source_finalize (GObject *object)
{
  FwsEventSource *self = FWS_EVENT_SOURCE (object);

  g_clear_pointer (&self->conn, fws_connection_free);
  g_string_free (self->out, TRUE);
  g_clear_pointer (&self->extra_headers, soup_message_headers_unref);
  g_free (self->url);
  g_free (self->last_event_id);
  g_free (self->origin);
  g_strfreev (self->allowed_origins);

  G_OBJECT_CLASS (fws_event_source_parent_class)->finalize (object);
}

static void
fws_event_source_class_init (FwsEventSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();

  object_class->get_property = fws_event_source_get_property;
  object_class->set_property = fws_event_source_set_property;
  object_class->dispose = fws_event_source_dispose;
  object_class->finalize = fws_event_source_finalize;

  /**
   * FwsEventSource:url:
   *
   * The URL of the request: `http://` or `https://`, the Host header, the
   * path and the query.
   *
   * Since: 0.1
   */
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:last-event-id:
   *
   * The request's `Last-Event-ID` header, or "" (see
   * [method@Fws.EventSource.get_last_event_id]).
   *
   * Since: 0.1
   */
  properties[PROP_LAST_EVENT_ID] =
    g_param_spec_string ("last-event-id", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:ready-state:
   *
   * The stream's state: %FWS_READY_STATE_CONNECTING, then
   * %FWS_READY_STATE_OPEN once the response head is written, then
   * %FWS_READY_STATE_CLOSED.
   *
   * Since: 0.1
   */
  properties[PROP_READY_STATE] =
    g_param_spec_enum ("ready-state", NULL, NULL,
                       FWS_TYPE_READY_STATE, FWS_READY_STATE_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:retry:
   *
   * How long the client waits before it reconnects, in seconds (fractions
   * allowed). It is sent as `retry:` and the milliseconds, rounded down,
   * right after the response head.
   *
   * Since: 0.1
   */
  properties[PROP_RETRY] =
    g_param_spec_double ("retry", NULL, NULL, 0, MAX_SECONDS, DEFAULT_RETRY,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:ping-seconds:
   *
   * Seconds between two comment lines sent to keep the connection busy
   * (see [method@Fws.EventSource.ping]), or 0 (the default) for none. This
   * is faye's `ping` option, renamed so that it does not hide the method
   * of that name in bindings.
   *
   * Since: 0.1
   */
  properties[PROP_PING_SECONDS] =
    g_param_spec_double ("ping-seconds", NULL, NULL, 0, MAX_SECONDS, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:extra-headers:
   *
   * Headers added to the response, in order. They never replace the
   * stream's own headers (Content-Type, Cache-Control, X-Accel-Buffering,
   * Connection), nor set Content-Length, Transfer-Encoding or
   * Content-Encoding; a header whose name is not an HTTP token or whose
   * value has a control character is dropped. Set it before the response
   * is written.
   *
   * Since: 0.1
   */
  properties[PROP_EXTRA_HEADERS] =
    g_param_spec_boxed ("extra-headers", NULL, NULL, SOUP_TYPE_MESSAGE_HEADERS,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:allowed-origins: (getter get_allowed_origins) (setter set_allowed_origins)
   *
   * The origins whose pages may read this stream, each exactly as browsers
   * send it in `Origin` (such as "https://example.com"; compared byte for
   * byte). A request with another Origin is answered with 403 Forbidden and
   * the body "Origin not allowed", then closed:
   * [signal@Fws.EventSource::close] is emitted without
   * [signal@Fws.EventSource::open]. A request without Origin (same-origin,
   * or not from a browser) is accepted. %NULL, the default, accepts every
   * origin.
   *
   * Since: 0.2
   */
  properties[PROP_ALLOWED_ORIGINS] =
    g_param_spec_boxed ("allowed-origins", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:buffered-amount:
   *
   * Bytes queued for the client and not yet written. Notified when the
   * queue drains.
   *
   * Since: 0.2
   */
  properties[PROP_BUFFERED_AMOUNT] =
    g_param_spec_uint64 ("buffered-amount", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:max-buffered:
   *
   * The hard limit on the bytes queued for the client
   * ([property@Fws.EventSource:buffered-amount]), 1 GiB by default; 0
   * means none. An event that would pass it is not queued:
   * [method@Fws.EventSource.send] fails with %FWS_ERROR_QUEUE_FULL, and
   * closes the stream if [property@Fws.EventSource:send-overflow] says so.
   * See docs/limits.md.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_BUFFERED] =
    g_param_spec_uint64 ("max-buffered", NULL, NULL, 0, G_MAXUINT64, FWS_TRANSPORT_DEFAULT_MAX_QUEUED,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:high-water-mark:
   *
   * Once more than this many bytes are queued for the client, nothing more
   * is read from it until the queue is down to
   * [property@Fws.EventSource:low-water-mark] (1 MiB by default; 0: never
   * pause). A client has nothing to say on an EventSource stream; reading
   * only notices that it went away, which a client that does not read
   * cannot hide for long anyway.
   *
   * Since: 0.2
   */
  properties[PROP_HIGH_WATER_MARK] =
    g_param_spec_uint64 ("high-water-mark", NULL, NULL, 0, G_MAXUINT64, FWS_TRANSPORT_DEFAULT_HIGH_WATER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:low-water-mark:
   *
   * Reading paused by [property@Fws.EventSource:high-water-mark] resumes
   * once at most this many bytes are queued (256 KiB by default; clamped
   * to the high-water mark).
   *
   * Since: 0.2
   */
  properties[PROP_LOW_WATER_MARK] =
    g_param_spec_uint64 ("low-water-mark", NULL, NULL, 0, G_MAXUINT64, FWS_TRANSPORT_DEFAULT_LOW_WATER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSource:send-overflow:
   *
   * What [method@Fws.EventSource.send] does when its event would take the
   * queue past [property@Fws.EventSource:max-buffered]: fail with
   * %FWS_ERROR_QUEUE_FULL and keep the stream open (the default), or fail
   * and close the stream as [method@Fws.EventSource.close] does (what is
   * queued is written first, within 30 seconds).
   *
   * Since: 0.2
   */
  properties[PROP_SEND_OVERFLOW] =
    g_param_spec_enum ("send-overflow", NULL, NULL, FWS_TYPE_SEND_OVERFLOW, FWS_SEND_OVERFLOW_ERROR,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FwsEventSource::open:
   * @self: the stream
   *
   * The response head was written: the client is listening.
   *
   * Since: 0.1
   */
  signals[OPEN] = g_signal_new ("open", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * FwsEventSource::close:
   * @self: the stream
   *
   * The stream ended: [method@Fws.EventSource.close] was called and the
   * connection is closed, or the client went away. Emitted exactly once,
   * from the main loop.
   *
   * Since: 0.1
   */
  signals[CLOSE] = g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fws_event_source_init (FwsEventSource *self)
{
  self->conn = fws_connection_new (G_OBJECT (self), &conn_callbacks);
  self->ready_state = FWS_READY_STATE_CONNECTING;
  self->retry = DEFAULT_RETRY;
  self->last_event_id = g_strdup ("");
  self->out = g_string_new (NULL);
  self->max_buffered = FWS_TRANSPORT_DEFAULT_MAX_QUEUED;
  self->high_water_mark = FWS_TRANSPORT_DEFAULT_HIGH_WATER;
  self->low_water_mark = FWS_TRANSPORT_DEFAULT_LOW_WATER;
}

/* ---- The hub's share (fws-event-source-private.h) ---- */

gboolean
fws_event_source_send_prebuilt (FwsEventSource  *self,
                                GBytes          *event,
                                GError         **error)
{
  if (self->ready_state == FWS_READY_STATE_CLOSED || fws_connection_is_closing (self->conn) ||
      fws_connection_is_dead (self->conn))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The EventSource stream is closed"));
      return FALSE;
    }
  if (!self->head_queued)
    {
      g_string_append_len (self->out, g_bytes_get_data (event, NULL), g_bytes_get_size (event));
      return TRUE;
    }
  push_out (self);
  return fws_transport_try_write_shared (fws_connection_get_transport (self->conn), event, error);
}

void
fws_event_source_get_queue (FwsEventSource *self,
                            guint64        *queued,
                            guint64        *high_water)
{
  FwsTransport *transport = fws_connection_get_transport (self->conn);
  guint64 low;

  *queued = fws_transport_get_queued (transport) + self->out->len;
  fws_transport_get_water_marks (transport, high_water, &low);
}
