/* fws-web-socket.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-web-socket-private.h"

#include <string.h>

#include "fws-enum-types.h"
#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-i18n-private.h"
#include "fws-connection-private.h"
#include "fws-connector-private.h"
#include "fws-driver-private.h"
#include "fws-marshal.h"
#include "fws-random-private.h"
#include "fws-permessage-deflate-private.h"
#include "fws-hixie-private.h"

/**
 * FwsWebSocket:
 *
 * A WebSocket connection.
 *
 * On the server side, make one inside a [class@Soup.Server] handler with
 * [ctor@Fws.WebSocket.new] (or [method@Fws.WebSocket.accept] after setting
 * options): it takes the connection over from libsoup and writes the
 * handshake itself when the main loop next runs, so signal handlers
 * connected right after construction see every event.
 *
 * [class@Fws.Client] is the client side, with the same API.
 *
 * All I/O, timers and signals happen in the thread-default
 * [struct@GLib.MainContext] of the thread that created the object; call its
 * methods from that thread. A connection keeps itself alive until its
 * [signal@Fws.WebSocket::close] signal has been emitted, so a server handler
 * may drop its reference right away.
 *
 * Since: 0.1
 */

/**
 * FwsWebSocketClass:
 * @parent_class: the parent class
 *
 * The class structure of [class@Fws.WebSocket]. It has no virtual methods:
 * it is public so that [class@Fws.Client] can derive from it.
 *
 * Since: 0.1
 */

#define DEFAULT_MAX_LENGTH ((1 << 26) - 1)
#define DEFAULT_CLOSE_TIMEOUT_MS 30000
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 30000

/* Fairness: the most one connection does in one main-loop dispatch
 * (docs/limits.md); the rest waits for the next one, so a peer whose
 * messages inflate to max-length cannot stall the others. */
#define TURN_BYTES    (1024 * 1024)   /* bytes parsed */
#define TURN_INFLATED (256 * 1024)    /* bytes inflated, or of inflated text UTF-8-checked */
#define TURN_MESSAGES 256             /* messages and control frames handled */

typedef struct
{
  GBytes       *payload;
  GTask        *task;
  GCancellable *cancellable;
  gulong        cancel_id;
} PingOp;

typedef struct
{
  GTask          *task;
  guint64         target;     /* written once the transport's total reaches it; 0: still in the driver */
  GCancellable   *cancellable;
  gulong          cancel_id;
  GBytes         *data;       /* (nullable) waiting for room: not sent yet */
  FwsMessageType  type;
} SendOp;

typedef struct
{
  FwsConnection      *conn;              /* (owned) the shell: transport, lifecycle, timers */
  FwsDriver          *driver;            /* (owned) (nullable) the protocol */
  FwsReadyState       notified_state;    /* the ready-state last notified */

  /* options */
  char               *url;
  char              **protocols;
  char              **allowed_origins; /* server; NULL: all */
  SoupMessageHeaders *extra_headers;
  SoupMessageHeaders *request_headers;
  GPtrArray          *extensions;        /* of FwsExtension */
  guint64             max_length;
  guint               close_timeout;
  guint               handshake_timeout;
  guint               ping_interval;
  guint               pong_timeout;
  guint64             max_buffered;      /* 0: none */
  guint64             high_water_mark;   /* 0: never pause reading */
  guint64             low_water_mark;
  FwsSendOverflow     send_overflow;

  /* what close reports */
  guint               close_code;
  char               *close_reason;
  GError             *failure;           /* reported as error right before close */

  gboolean            close_called;      /* the app called close(): failures go unreported */

  /* the client side */
  GUri               *uri;
  const FwsConnectorOptions *connector_options; /* the subclass's, read once */
  const FwsWebSocketClientHooks *client_hooks;  /* (nullable) FwsClient's */
  GSource            *connect_source;
  GCancellable       *connecting;        /* (owned) the connector at work */

  /* reconnecting (FwsClient) */
  FwsWebSocketEndedFunc ended;
  GError             *last_error;        /* the last error signal's, while ended is set */
  gboolean            opened;            /* this connection opened */
  FwsConnection      *retired_conn;      /* (owned) (nullable) the finished shell, freed later */
  FwsDriver          *retired_driver;    /* (owned) (nullable) its driver */
  gboolean            reconnect_pending; /* reconnect waits for the last connector */

  GList              *pings;             /* of PingOp */
  GQueue              sends;             /* of SendOp, in the order they were queued */
  GQueue              waiting;           /* of SendOp, send_async's waiting for room, in order */

  /* at most one pong waits in the transport (RFC 6455 5.5.3) */
  guint64             pong_end;          /* total queued behind the last pong */
  GBytes             *held_pong;         /* (nullable) the latest ping's payload, answered once it is out */

  /* the pong deadline */
  guint64             ping_end;          /* total queued behind the last ping */
  guint64             written_at_deadline; /* total written when the deadline was (re)armed */

  guint64             turn_dispatch;     /* the dispatch the driver's turn belongs to */

  /* fws_web_socket_set_message_func: messages skip the signals */
  FwsMessageFunc      message_func;
  gpointer            message_data;
  GDestroyNotify      message_destroy;
} FwsWebSocketPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (FwsWebSocket, fws_web_socket, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_READY_STATE,
  PROP_URL,
  PROP_PROTOCOL,
  PROP_PROTOCOLS,
  PROP_VERSION,
  PROP_BUFFERED_AMOUNT,
  PROP_MAX_LENGTH,
  PROP_HEADERS,
  PROP_EXTRA_HEADERS,
  PROP_CLOSE_TIMEOUT,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_PING_INTERVAL,
  PROP_PONG_TIMEOUT,
  PROP_EXTENSIONS,
  PROP_CLOSE_CODE,
  PROP_CLOSE_REASON,
  PROP_ALLOWED_ORIGINS,
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
  MESSAGE,
  TEXT_MESSAGE,
  ERROR,
  CLOSE,
  PING,
  PONG,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The state follows the driver and the shell; nothing else keeps one. */
static FwsReadyState
current_state (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (fws_connection_is_finished (priv->conn))
    return FWS_READY_STATE_CLOSED;
  if (fws_connection_is_closing (priv->conn))
    return FWS_READY_STATE_CLOSING;
  if (priv->driver == NULL)
    return FWS_READY_STATE_CONNECTING;
  switch (fws_driver_get_state (priv->driver))
    {
    case FWS_READY_STATE_CONNECTING:
      return FWS_READY_STATE_CONNECTING;
    case FWS_READY_STATE_OPEN:
      return FWS_READY_STATE_OPEN;
    case FWS_READY_STATE_CLOSING:
    case FWS_READY_STATE_CLOSED:
    default:
      return FWS_READY_STATE_CLOSING;
    }
}

static void
notify_state (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  FwsReadyState state = current_state (self);

  if (priv->notified_state == state)
    return;
  priv->notified_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY_STATE]);
}

static FwsTransport *
transport_of (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  return fws_connection_get_transport (priv->conn);
}

/* buffered-amount: what the transport holds and what the protocol keeps
 * back (messages held for the handshake). On every send: no type check. */
static guint64
queued_bytes (FwsWebSocketPrivate *priv)
{
  return fws_transport_get_queued (fws_connection_get_transport (priv->conn)) +
         (priv->driver ? fws_driver_get_pending_bytes (priv->driver) : 0);
}

/* Records what close will report; the first cause wins. */
static void
set_close (FwsWebSocket *self,
           guint         code,
           const char   *reason)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  priv->close_code = code;
  g_free (priv->close_reason);
  priv->close_reason = g_strdup (reason);
}

/* Drops the transport without waiting for writes: the peer is gone or
 * stuck. @error is reported, then close 1006. */
static void
abandon (FwsWebSocket *self,
         const GError *error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (fws_connection_is_finished (priv->conn))
    return;
  g_clear_error (&priv->failure);
  priv->failure = g_error_copy (error);
  set_close (self, FWS_CLOSE_CODE_ABNORMAL, error->message);
  /* The driver closes too, so that its commands refuse from now on. */
  if (priv->driver != NULL)
    fws_driver_abort (priv->driver);
  fws_connection_finish (priv->conn, FALSE);
  notify_state (self);
}

/* ---- Driver output ---- */

/* The driver's small writes: the handshake, control frames, hixie text.
 * The transport has no hard limit of its own here (apply_limits): data
 * messages were checked against max-buffered before they reached the
 * driver, at most one pong waits, there is one close frame, and the close
 * frame of the send-overflow policy must go out when the queue is full. */
static void
driver_write_cb (gpointer      user_data,
                 const guint8 *data,
                 gsize         len)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (user_data);

  if (!fws_connection_is_dead (priv->conn))
    fws_transport_write (fws_connection_get_transport (priv->conn), data, len);
}

static void
driver_write_frame_cb (gpointer      user_data,
                       const guint8 *header,
                       gsize         header_len,
                       GBytes       *payload)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (user_data);
  FwsTransport *transport = fws_connection_get_transport (priv->conn);

  if (fws_connection_is_dead (priv->conn))
    return;
  fws_transport_write_frame (transport, header, header_len, payload);
}

static void
driver_random_cb (gpointer  user_data,
                  guint8   *buf,
                  gsize     len)
{
  fws_random_bytes (buf, len);
}

/* ---- send_async and ping_async bookkeeping ---- */

static void
send_op_free (SendOp *op)
{
  if (op->cancel_id)
    g_cancellable_disconnect (op->cancellable, op->cancel_id);
  g_clear_object (&op->cancellable);
  g_clear_pointer (&op->data, g_bytes_unref);
  g_object_unref (op->task);
  g_free (op);
}

static gboolean message_fits (FwsWebSocket *self, gsize len);
static void apply_limits (FwsWebSocket *self);

/* Completes the send_async operations whose bytes the kernel now has. */
static void
complete_sends (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  guint64 written = fws_transport_get_total_written (transport_of (self));
  SendOp *op;

  while ((op = g_queue_peek_head (&priv->sends)) != NULL && op->target != 0 && op->target <= written)
    {
      g_queue_pop_head (&priv->sends);
      g_task_return_boolean (op->task, TRUE);
      send_op_free (op);
    }
}

/* Writes a pong now; the next waits until it is out. */
static void
send_pong (FwsWebSocket *self,
           GBytes       *payload)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->driver != NULL && fws_driver_pong (priv->driver, payload))
    priv->pong_end = fws_transport_get_total_queued (transport_of (self));
}

/* Hands send_async's waiting messages to the driver, in order, while they
 * fit under max-buffered; one larger than the limit goes alone once the
 * queue is empty. */
static void
push_waiting_sends (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  SendOp *op;

  while ((op = g_queue_peek_head (&priv->waiting)) != NULL)
    {
      g_autoptr(GBytes) data = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = g_bytes_get_size (op->data);

      if (current_state (self) <= FWS_READY_STATE_OPEN && priv->driver != NULL &&
          !message_fits (self, len) && queued_bytes (priv) > 0)
        return;
      g_queue_pop_head (&priv->waiting);
      data = g_steal_pointer (&op->data);
      if (priv->driver == NULL)
        g_set_error_literal (&error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
      if (error != NULL || !fws_driver_send (priv->driver, op->type, data, &error))
        {
          g_task_return_error (op->task, g_steal_pointer (&error));
          send_op_free (op);
          continue;
        }
      /* In the transport, unless it waits in the driver for the handshake
       * (then open sets the target). */
      if (fws_driver_get_state (priv->driver) != FWS_READY_STATE_CONNECTING)
        op->target = fws_transport_get_total_queued (transport_of (self));
      g_queue_push_tail (&priv->sends, op);
    }
}

static void
ping_op_free (PingOp *op)
{
  if (op->cancel_id)
    g_cancellable_disconnect (op->cancellable, op->cancel_id);
  g_object_unref (op->task);
  g_clear_object (&op->cancellable);
  g_bytes_unref (op->payload);
  g_free (op);
}

static void
fail_pending (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  GList *pings = g_steal_pointer (&priv->pings);
  SendOp *op;

  while ((op = g_queue_pop_head (&priv->sends)) != NULL ||
         (op = g_queue_pop_head (&priv->waiting)) != NULL)
    {
      g_task_return_new_error (op->task, FWS_ERROR, FWS_ERROR_CLOSED,
                               _("The connection closed before the message was written"));
      send_op_free (op);
    }
  for (GList *l = pings; l; l = l->next)
    {
      PingOp *ping = l->data;

      g_task_return_new_error (ping->task, FWS_ERROR, FWS_ERROR_CLOSED,
                               _("The connection closed before the pong arrived"));
      ping_op_free (ping);
    }
  g_list_free (pings);
}

/* ---- Timers ---- */

/* A ping went out: the peer has pong-timeout ms to show it is alive. */
static void
arm_pong_deadline (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  FwsTransport *transport = transport_of (self);

  priv->ping_end = fws_transport_get_total_queued (transport);
  if (!fws_connection_has_timer (priv->conn, FWS_CONNECTION_TIMER_PONG))
    {
      priv->written_at_deadline = fws_transport_get_total_written (transport);
      fws_connection_set_timer (priv->conn, FWS_CONNECTION_TIMER_PONG, priv->pong_timeout);
    }
}

/* The pong deadline passed. A pong can be late without the peer being
 * gone: our ping may still wait in our queue, or the pong in the kernel
 * while the high-water mark keeps us from reading. Then a peer that read
 * some of what we sent since the deadline was armed gets another
 * pong-timeout; one that neither reads nor answers does not. */
static gboolean
extend_pong_deadline (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  FwsTransport *transport = transport_of (self);
  guint64 written = fws_transport_get_total_written (transport);

  if (written == priv->written_at_deadline)
    return FALSE;
  if (!fws_transport_is_read_paused (transport) && written >= priv->ping_end)
    return FALSE;
  priv->written_at_deadline = written;
  fws_connection_set_timer (priv->conn, FWS_CONNECTION_TIMER_PONG, priv->pong_timeout);
  return TRUE;
}

static void
restart_ping_timer (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  fws_connection_set_timer (priv->conn, FWS_CONNECTION_TIMER_PING,
                            current_state (self) == FWS_READY_STATE_OPEN ? priv->ping_interval : 0);
}

static void
keepalive_ping (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GBytes) sent = NULL;

  restart_ping_timer (self);
  if (current_state (self) != FWS_READY_STATE_OPEN)
    return;
  /* The driver's counter: "1", "2", "3", ... as faye sends them, shared
   * with ping_async (NULL), so a keepalive pong never completes one. */
  sent = fws_driver_ping (priv->driver, NULL, NULL);
  if (sent != NULL)
    arm_pong_deadline (self);
}

/* A connector still at work completes with G_IO_ERROR_CANCELLED. */
static void
stop_connecting (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->connect_source != NULL)
    {
      g_source_destroy (priv->connect_source);
      g_clear_pointer (&priv->connect_source, g_source_unref);
    }
  if (priv->connecting != NULL)
    g_cancellable_cancel (priv->connecting);
}

/* ---- The shell's events ---- */

/* Input for the driver, a turn per dispatch: what the turn's budget does
 * not cover (and a message still inflating) waits in the transport for a
 * later dispatch, and the socket is not read meanwhile. */
static void
feed_driver (FwsWebSocketPrivate *priv,
             const guint8        *data,
             gsize                len)
{
  FwsTransport *transport = fws_connection_get_transport (priv->conn);
  guint64 dispatch = fws_transport_get_dispatch (transport);
  gsize used;

  if (dispatch != priv->turn_dispatch)
    {
      priv->turn_dispatch = dispatch;
      fws_driver_new_turn (priv->driver);
    }
  used = fws_driver_feed (priv->driver, data, len);
  if ((used < len || fws_driver_has_backlog (priv->driver)) &&
      !fws_connection_is_closing (priv->conn))
    fws_transport_defer (transport, data + used, len - used);
}

static void
conn_start_cb (GObject      *owner,
               const guint8 *early,
               gsize         len)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (FWS_WEB_SOCKET (owner));

  if (priv->driver == NULL)
    return;
  fws_driver_set_budget (priv->driver, TURN_BYTES, TURN_INFLATED, TURN_MESSAGES);
  fws_driver_start (priv->driver);
  if (len > 0 && !fws_connection_is_closing (priv->conn))
    feed_driver (priv, early, len);
}

static void
conn_received_cb (GObject      *owner,
                  const guint8 *data,
                  gsize         len)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (FWS_WEB_SOCKET (owner));

  if (priv->driver != NULL)
    feed_driver (priv, data, len);
}

static void
conn_failed_cb (GObject      *owner,
                const GError *error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (FWS_WEB_SOCKET (owner));

  /* EOF or a failure: close 1006 unless a closing handshake completed. */
  if (priv->driver != NULL)
    fws_driver_transport_closed (priv->driver, error);
}

static void
conn_drained_cb (GObject *owner)
{
  g_object_notify_by_pspec (owner, properties[PROP_BUFFERED_AMOUNT]);
}

static void
conn_written_cb (GObject *owner)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (owner);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->held_pong != NULL &&
      fws_transport_get_total_written (transport_of (self)) >= priv->pong_end)
    {
      g_autoptr(GBytes) payload = g_steal_pointer (&priv->held_pong);

      send_pong (self, payload);
    }
  /* The common case, on every write: no send_async in flight or waiting. */
  if (priv->sends.head == NULL && priv->waiting.head == NULL)
    return;
  complete_sends (self);
  push_waiting_sends (self);
  complete_sends (self);
}

static void
conn_timeout_cb (GObject            *owner,
                 FwsConnectionTimer  timer)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (owner);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  switch (timer)
    {
    case FWS_CONNECTION_TIMER_HANDSHAKE:
      if (priv->uri != NULL)
        {
          g_autofree char *url = g_uri_to_string_partial (priv->uri, G_URI_HIDE_PASSWORD | G_URI_HIDE_AUTH_PARAMS);

          error = g_error_new (FWS_ERROR, FWS_ERROR_TIMED_OUT,
                               _("The WebSocket connection to %s was not established within %u ms"),
                               url, priv->handshake_timeout);
        }
      else
        error = g_error_new (FWS_ERROR, FWS_ERROR_TIMED_OUT,
                             _("The opening handshake did not finish within %u ms"), priv->handshake_timeout);
      abandon (self, error);
      break;
    case FWS_CONNECTION_TIMER_CLOSE:
      /* The peer never finished the close handshake, or never read what we
       * queued: drop the transport without waiting for writes. */
      set_close (self, FWS_CLOSE_CODE_ABNORMAL, NULL);
      fws_connection_finish (priv->conn, FALSE);
      break;
    case FWS_CONNECTION_TIMER_PING:
      keepalive_ping (self);
      break;
    case FWS_CONNECTION_TIMER_PONG:
      if (extend_pong_deadline (self))
        break;
      error = g_error_new (FWS_ERROR, FWS_ERROR_TIMED_OUT,
                           _("No pong arrived within %u ms of a ping"), priv->pong_timeout);
      abandon (self, error);
      break;
    case FWS_CONNECTION_N_TIMERS:
    default:
      g_assert_not_reached ();
    }
}

static void
conn_finished_cb (GObject *owner)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (owner);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GError) failure = g_steal_pointer (&priv->failure);
  g_autofree char *reason = g_strdup (priv->close_reason ? priv->close_reason : "");

  stop_connecting (self);
  /* However it ended, the driver's commands refuse from now on. */
  if (priv->driver != NULL)
    fws_driver_abort (priv->driver);
  fail_pending (self);
  if (failure != NULL)
    g_signal_emit (self, signals[ERROR], 0, failure);
  if (priv->close_code == 0)
    priv->close_code = FWS_CLOSE_CODE_ABNORMAL;
  if (priv->close_reason == NULL)
    priv->close_reason = g_strdup ("");
  if (priv->ended != NULL &&
      priv->ended (self, priv->close_code, reason, failure ? failure : priv->last_error,
                   priv->opened, priv->close_called))
    return;  /* reset: connecting again */
  notify_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSE_CODE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSE_REASON]);
  g_signal_emit (self, signals[CLOSE], 0, priv->close_code, reason);
}

static void
conn_shutdown_cb (GObject    *owner,
                  guint       code,
                  const char *reason)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (owner);
  g_autoptr(GError) error = NULL;

  /* hixie connections have no close codes: they close without one. */
  if (!fws_web_socket_close (self, code, reason, &error) &&
      g_error_matches (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED))
    fws_web_socket_close (self, 0, NULL, NULL);
}

static const FwsConnectionCallbacks conn_callbacks = {
  conn_start_cb,
  conn_received_cb,
  conn_failed_cb,
  conn_drained_cb,
  conn_written_cb,
  conn_timeout_cb,
  conn_finished_cb,
  conn_shutdown_cb,
};

/* ---- Driver events ---- */

/* The client's handshake response, if it arrived, goes to the hook. */
static void
client_response (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  SoupMessageHeaders *headers;

  if (priv->client_hooks == NULL || priv->client_hooks->response == NULL || priv->driver == NULL)
    return;
  headers = fws_driver_get_response_headers (priv->driver);
  if (headers != NULL)
    priv->client_hooks->response (self, headers);
}

static void
driver_open_cb (gpointer user_data)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->notified_state != FWS_READY_STATE_CONNECTING)
    return;
  client_response (self);
  fws_connection_clear_timer (priv->conn, FWS_CONNECTION_TIMER_HANDSHAKE);
  /* Messages sent while connecting are in the transport now. */
  for (GList *l = priv->sends.head; l; l = l->next)
    {
      SendOp *op = l->data;

      if (op->target == 0)
        op->target = fws_transport_get_total_queued (transport_of (self));
    }
  priv->opened = TRUE;
  notify_state (self);
  restart_ping_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROTOCOL]);
  g_signal_emit (self, signals[OPEN], 0);
}

static void
driver_message_cb (gpointer        user_data,
                   FwsMessageType  type,
                   GBytes         *data)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  /* As in the standard API, nothing is delivered once close() was called. */
  if (current_state (self) != FWS_READY_STATE_OPEN)
    return;
  if (priv->message_func != NULL)
    {
      priv->message_func (self, type, data, priv->message_data);
      return;
    }
  g_signal_emit (self, signals[MESSAGE], 0, type, data);
  /* The same text as a string, only for those who connected (bindings). */
  if (type == FWS_MESSAGE_TYPE_TEXT && g_signal_has_handler_pending (self, signals[TEXT_MESSAGE], 0, FALSE))
    {
      const char *text = g_bytes_get_data (data, NULL);

      g_signal_emit (self, signals[TEXT_MESSAGE], 0, text != NULL ? text : "");
    }
}

static void
driver_ping_cb (gpointer  user_data,
                GBytes   *payload)
{
  g_signal_emit (user_data, signals[PING], 0, payload);
}

/* RFC 6455 5.5.3: while a pong waits in the transport, later pings are
 * answered once, with the latest payload, after it went out. A peer that
 * pings without reading makes us queue one pong, not one per ping. */
static gboolean
driver_hold_pong_cb (gpointer  user_data,
                     GBytes   *payload)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (fws_transport_get_total_written (transport_of (self)) < priv->pong_end)
    {
      g_clear_pointer (&priv->held_pong, g_bytes_unref);
      priv->held_pong = g_bytes_ref (payload);
    }
  else
    send_pong (self, payload);
  return TRUE;
}

static void
driver_pong_cb (gpointer  user_data,
                GBytes   *payload)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  GList *l = priv->pings;

  /* Any pong shows the peer is alive. */
  fws_connection_clear_timer (priv->conn, FWS_CONNECTION_TIMER_PONG);
  while (l)
    {
      GList *next = l->next;
      PingOp *op = l->data;

      if (g_bytes_equal (op->payload, payload))
        {
          priv->pings = g_list_delete_link (priv->pings, l);
          g_task_return_boolean (op->task, TRUE);
          ping_op_free (op);
        }
      l = next;
    }
  g_signal_emit (self, signals[PONG], 0, payload);
}

static void
driver_error_cb (gpointer      user_data,
                 const GError *error)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->ended != NULL)
    {
      g_clear_error (&priv->last_error);
      priv->last_error = g_error_copy (error);   /* for ended */
    }
  /* Once the app called close(), failures are not reported. */
  if (priv->close_called && !fws_connection_is_dead (priv->conn))
    return;
  if (priv->notified_state == FWS_READY_STATE_CONNECTING)
    client_response (self);
  g_signal_emit (self, signals[ERROR], 0, error);
}

static void
driver_close_cb (gpointer    user_data,
                 guint       code,
                 const char *reason)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->close_code != 0 || fws_connection_is_finished (priv->conn))
    return;
  set_close (self, code, reason);
  /* Flush what is queued (an echoed close frame, a 400), then let go of the
   * transport; a peer that reads nothing cannot hold us past the timeout. */
  if (!fws_connection_has_timer (priv->conn, FWS_CONNECTION_TIMER_CLOSE))
    fws_connection_set_timer (priv->conn, FWS_CONNECTION_TIMER_CLOSE, priv->close_timeout);
  fws_connection_finish (priv->conn, TRUE);
  notify_state (self);
}

static const FwsDriverCallbacks driver_callbacks = {
  driver_write_cb,
  driver_write_frame_cb,
  driver_random_cb,
  driver_open_cb,
  driver_message_cb,
  driver_ping_cb,
  driver_pong_cb,
  driver_error_cb,
  driver_close_cb,
  driver_hold_pong_cb,
};

/* Hands the registered extensions to a driver not started yet. */
static void
apply_extensions (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  if (priv->driver != NULL && priv->extensions->len > 0 &&
      !fws_driver_set_extensions (priv->driver, priv->extensions, &error))
    g_warning ("FwsWebSocket:extensions: %s", error->message);
}

static void
arm_handshake_timer (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (current_state (self) == FWS_READY_STATE_CONNECTING &&
      !fws_connection_has_timer (priv->conn, FWS_CONNECTION_TIMER_HANDSHAKE))
    fws_connection_set_timer (priv->conn, FWS_CONNECTION_TIMER_HANDSHAKE, priv->handshake_timeout);
}

/* ---- Client side ---- */

static void start_client (FwsWebSocket *self);

/* The connector is done: the shell takes the stream and the driver writes
 * the request, or the failure is reported (error, then close 1006). */
static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FwsWebSocket) self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = fws_connector_connect_finish (result, &error);

  g_clear_object (&priv->connecting);
  if (priv->driver == NULL)
    {
      /* An attempt given up before fws_web_socket_reset (): the next one
       * waited for it to let go. */
      if (stream != NULL)
        g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      if (priv->reconnect_pending && current_state (self) == FWS_READY_STATE_CONNECTING)
        start_client (self);
      priv->reconnect_pending = FALSE;
      return;
    }
  if (fws_connection_is_closing (priv->conn))
    {
      /* Timed out or closed: that was reported already. */
      if (stream != NULL)
        g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      return;
    }
  if (stream == NULL || !fws_connection_take_stream (priv->conn, stream, &error))
    abandon (self, error);
}

static gboolean
connect_cb (gpointer user_data)
{
  FwsWebSocket *self = user_data;
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  const FwsConnectorOptions *options = priv->connector_options;

  g_clear_pointer (&priv->connect_source, g_source_unref);
  if (current_state (self) != FWS_READY_STATE_CONNECTING)
    return G_SOURCE_REMOVE;
  if (priv->client_hooks != NULL && priv->client_hooks->prepare != NULL)
    {
      g_autoptr(SoupMessageHeaders) headers = NULL;

      options = priv->client_hooks->prepare (self, priv->extra_headers, &headers);
      if (headers != NULL)
        fws_driver_set_extra_headers (priv->driver, headers);
    }
  /* One clock for name lookup, proxies, TLS and the HTTP handshake. */
  arm_handshake_timer (self);
  priv->connecting = g_cancellable_new ();
  fws_connector_connect_async (priv->uri, options, priv->connecting, connected_cb,
                               g_object_ref (self));
  return G_SOURCE_REMOVE;
}

/* A new driver for priv->uri, then the connector from the main loop. */
static void
start_client (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autofree char *key = NULL;
  guint8 nonce[16];

  fws_random_bytes (nonce, sizeof nonce);
  key = fws_handshake_client_key (nonce);
  priv->driver = fws_driver_new_client (&driver_callbacks, self, priv->uri, key,
                                        (const char * const *) priv->protocols,
                                        priv->extra_headers, priv->max_length);
  apply_extensions (self);
  priv->connect_source = g_idle_source_new ();
  g_source_set_priority (priv->connect_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (priv->connect_source, "fws-web-socket-connect");
  g_source_set_callback (priv->connect_source, connect_cb, self, NULL);
  g_source_attach (priv->connect_source, fws_connection_get_context (priv->conn));
}

void
fws_web_socket_set_ended_func (FwsWebSocket          *self,
                               FwsWebSocketEndedFunc  ended)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  priv->ended = ended;
}

/* The finished shell is still in its own call (it releases its hold on us
 * after it): it is kept until the next reset, reconnect or finalize. */
static void
free_retired (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_clear_pointer (&priv->retired_conn, fws_connection_free);
  g_clear_pointer (&priv->retired_driver, fws_driver_free);
}

static void apply_limits (FwsWebSocket *self);

void
fws_web_socket_reset (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (priv->uri != NULL && fws_connection_is_finished (priv->conn));

  free_retired (self);
  priv->retired_conn = g_steal_pointer (&priv->conn);
  priv->retired_driver = g_steal_pointer (&priv->driver);
  priv->conn = fws_connection_new (G_OBJECT (self), &conn_callbacks);
  fws_connection_hold (priv->conn);
  apply_limits (self);   /* the water marks set on this object */
  /* The new transport counts its bytes from 0: the pong and ping marks of
   * the old one mean nothing there. */
  priv->pong_end = 0;
  priv->ping_end = 0;
  priv->written_at_deadline = 0;
  g_clear_pointer (&priv->held_pong, g_bytes_unref);
  priv->close_code = 0;
  g_clear_pointer (&priv->close_reason, g_free);
  g_clear_error (&priv->failure);
  g_clear_error (&priv->last_error);
  priv->opened = FALSE;
  notify_state (self);
}

void
fws_web_socket_reconnect (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (priv->uri != NULL && priv->driver == NULL);

  if (current_state (self) != FWS_READY_STATE_CONNECTING)
    return;
  free_retired (self);
  /* The connector of the attempt given up has not called back yet (it
   * was cancelled): it starts the next one when it does. */
  if (priv->connecting != NULL)
    priv->reconnect_pending = TRUE;
  else
    start_client (self);
}

void
fws_web_socket_connect (FwsWebSocket              *self,
                        const FwsConnectorOptions *options)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GError) error = NULL;

  g_return_if_fail (priv->driver == NULL && !fws_connection_is_attached (priv->conn));

  fws_connection_hold (priv->conn);
  priv->uri = fws_handshake_parse_url (priv->url, &error);
  if (priv->uri == NULL)
    {
      abandon (self, error);
      return;
    }
  priv->connector_options = options;
  start_client (self);
}

void
fws_web_socket_set_client_hooks (FwsWebSocket                  *self,
                                 const FwsWebSocketClientHooks *hooks)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  priv->client_hooks = hooks;
}

guint
fws_web_socket_get_status (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  return priv->driver ? fws_driver_get_status (priv->driver) : 0;
}

/* ---- Server side ---- */

/* What both doors share once the request is known. */
static void
make_server_driver (FwsWebSocket       *self,
                    const char         *method,
                    SoupMessageHeaders *request,
                    gboolean            secure,
                    const char         *path,
                    const char         *query)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  priv->url = fws_handshake_request_url (secure, request, path, query);
  priv->request_headers = soup_message_headers_ref (request);
  priv->driver = fws_driver_new_server (&driver_callbacks, self, method, request,
                                        (const char * const *) priv->protocols,
                                        priv->extra_headers, priv->max_length);
  fws_driver_set_url (priv->driver, priv->url);
  fws_driver_set_allowed_origins (priv->driver, (const char * const *) priv->allowed_origins);
  apply_extensions (self);
}


static gboolean
check_request (SoupHTTPVersion   version,
               gboolean          is_websocket,
               GError          **error)
{
  return fws_connection_check_request (version, is_websocket,
                                       _("WebSocket requests are only supported over HTTP/1.x"),
                                       _("Not a WebSocket request"), error);
}

/**
 * fws_web_socket_is_websocket_request:
 * @msg: a request received by a [class@Soup.Server]
 *
 * Whether @msg asks for a WebSocket: a GET whose `Connection` header
 * contains the token `upgrade` and whose `Upgrade` header is `websocket`.
 *
 * Returns: %TRUE if @msg is a WebSocket request
 * Since: 0.1
 */
gboolean
fws_web_socket_is_websocket_request (SoupServerMessage *msg)
{
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);

  return fws_handshake_is_websocket_request (soup_server_message_get_method (msg),
                                             soup_server_message_get_request_headers (msg));
}

/**
 * fws_web_socket_new:
 * @msg: a WebSocket request received by a [class@Soup.Server] handler
 * @protocols: (nullable) (array zero-terminated=1): the subprotocols the
 *   server supports, in any order
 * @error: return location for a [struct@GLib.Error]
 *
 * Takes the connection of @msg over from libsoup and makes a server-side
 * WebSocket of it. Call it inside the handler, before setting any status on
 * @msg; the handler must not touch @msg afterwards. The handshake answer is
 * written when the main loop next runs, so connect signal handlers right
 * after this call.
 *
 * Returns: (transfer full) (nullable): the new connection, or %NULL if @msg
 *   is not a WebSocket request over HTTP/1.x (nothing was taken over then)
 * Since: 0.1
 */
FwsWebSocket *
fws_web_socket_new (SoupServerMessage   *msg,
                    const char * const  *protocols,
                    GError             **error)
{
  FwsWebSocket *self;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FWS_TYPE_WEB_SOCKET, "protocols", protocols, NULL);
  if (!fws_web_socket_accept (self, msg, error))
    g_clear_object (&self);
  return self;
}

/**
 * fws_web_socket_accept:
 * @self: a [class@Fws.WebSocket] made with [ctor@GObject.Object.new]
 * @msg: a WebSocket request received by a [class@Soup.Server] handler
 * @error: return location for a [struct@GLib.Error]
 *
 * Like [ctor@Fws.WebSocket.new], for a connection whose options were set as
 * properties first. Only once per object.
 *
 * A request that asks for a WebSocket but breaks the handshake rules (a
 * missing key, an unsupported version) is still taken over: the answer is a
 * 400 or 426 response, then [signal@Fws.WebSocket::error] and
 * [signal@Fws.WebSocket::close] are emitted.
 *
 * Returns: %TRUE if the connection was taken over
 * Since: 0.1
 */
gboolean
fws_web_socket_accept (FwsWebSocket       *self,
                       SoupServerMessage  *msg,
                       GError            **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  GUri *uri;

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);
  g_return_val_if_fail (priv->driver == NULL && !fws_connection_is_attached (priv->conn), FALSE);

  if (!check_request (soup_server_message_get_http_version (msg),
                      fws_web_socket_is_websocket_request (msg), error))
    return FALSE;

  /* Everything needed from @msg is read before the steal (PLATFORM.md 1a). */
  uri = soup_server_message_get_uri (msg);
  make_server_driver (self, soup_server_message_get_method (msg),
                      soup_server_message_get_request_headers (msg),
                      g_strcmp0 (g_uri_get_scheme (uri), "https") == 0,
                      g_uri_get_path (uri), g_uri_get_query (uri));
  /* Bytes the client sent right behind its head (hixie-76's key, early
   * frames) come out of libsoup's buffer and are parsed first. */
  if (!fws_connection_take_message (priv->conn, msg, error))
    return FALSE;
  arm_handshake_timer (self);
  return TRUE;
}

/**
 * fws_web_socket_new_for_request:
 * @request: a WebSocket request read from a stream the program accepted
 * @protocols: (nullable) (array zero-terminated=1): the subprotocols the
 *   server supports, in any order
 * @error: return location for a [struct@GLib.Error]
 *
 * Like [ctor@Fws.WebSocket.new], for a request read with
 * [func@Fws.Request.read_async] instead of one a [class@Soup.Server]
 * received: the second way in, for programs that accept connections
 * themselves (plain TCP, TLS or a Unix socket).
 *
 * Returns: (transfer full) (nullable): the new connection, or %NULL if
 *   @request is not a WebSocket request (nothing was taken over then)
 * Since: 0.2
 */
FwsWebSocket *
fws_web_socket_new_for_request (FwsRequest          *request,
                                const char * const  *protocols,
                                GError             **error)
{
  FwsWebSocket *self;

  g_return_val_if_fail (FWS_IS_REQUEST (request), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FWS_TYPE_WEB_SOCKET, "protocols", protocols, NULL);
  if (!fws_web_socket_accept_request (self, request, error))
    g_clear_object (&self);
  return self;
}

/**
 * fws_web_socket_accept_request:
 * @self: a [class@Fws.WebSocket] made with [ctor@GObject.Object.new]
 * @request: a WebSocket request read from a stream the program accepted
 * @error: return location for a [struct@GLib.Error]
 *
 * Like [method@Fws.WebSocket.accept], for a request read with
 * [func@Fws.Request.read_async]. The request's connection is taken over,
 * with the bytes the client sent right behind its head.
 *
 * Returns: %TRUE if the connection was taken over
 * Since: 0.2
 */
gboolean
fws_web_socket_accept_request (FwsWebSocket  *self,
                               FwsRequest    *request,
                               GError       **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);
  g_return_val_if_fail (FWS_IS_REQUEST (request), FALSE);
  g_return_val_if_fail (priv->driver == NULL && !fws_connection_is_attached (priv->conn), FALSE);

  if (!check_request (fws_request_get_http_version (request), fws_request_is_websocket (request), error))
    return FALSE;
  make_server_driver (self, fws_request_get_method (request), fws_request_get_headers (request),
                      fws_request_get_secure (request), fws_request_get_path (request),
                      fws_request_get_query (request));
  if (!fws_connection_take_request (priv->conn, request, error))
    return FALSE;
  arm_handshake_timer (self);
  return TRUE;
}

/* ---- Room in the send queue ---- */

/* An upper bound of what a data message of @len bytes adds to the queue:
 * the largest frame header and, with extensions, what permessage-deflate
 * may add to data that does not compress (zlib's deflateBound, rounded
 * up). An extension of the application's that grows a message further
 * takes the queue past the limit by what it added to that message. */
static inline guint64
message_bound (FwsWebSocketPrivate *priv,
               gsize                len)
{
  guint64 bound = (guint64) len + 14;

  if (priv->extensions->len > 0)
    bound += (len >> 12) + (len >> 14) + 64;
  return bound;
}

/* Whether a data message of @len bytes fits under max-buffered now. */
static inline gboolean
message_fits (FwsWebSocket *self,
              gsize         len)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  guint64 bound;

  if (priv->max_buffered == 0)
    return TRUE;
  bound = message_bound (priv, len);
  return bound <= priv->max_buffered && queued_bytes (priv) <= priv->max_buffered - bound;
}

static void
set_queue_full (FwsWebSocket  *self,
                gsize          len,
                GError       **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  char size[24];
  char limit[24];

  /* No G_GUINT64_FORMAT inside a translatable string: xgettext cannot
   * see through it. */
  g_snprintf (size, sizeof size, "%" G_GSIZE_FORMAT, len);
  g_snprintf (limit, sizeof limit, "%" G_GUINT64_FORMAT, priv->max_buffered);
  g_set_error (error, FWS_ERROR, FWS_ERROR_QUEUE_FULL,
               _("A message of %s bytes does not fit in the send queue: the peer "
                 "is not reading fast enough, and max-buffered is %s bytes"), size, limit);
}

/* A synchronous send found no room: the send-overflow policy. */
static gboolean
overflow (FwsWebSocket  *self,
          gsize          len,
          GError       **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->send_overflow == FWS_SEND_OVERFLOW_CLOSE)
    {
      g_autoptr(GError) failure = NULL;

      /* 1008 with a fixed English reason on the wire; the close frame is
       * a control frame, which the hard limit lets through. */
      set_queue_full (self, len, &failure);
      fws_driver_fail (priv->driver, FWS_CLOSE_CODE_POLICY_VIOLATION, failure);
    }
  set_queue_full (self, len, error);
  return FALSE;
}

/* fws_web_socket_send without the argument checks; @policy: a full queue
 * gets the send-overflow policy, else it only fails (the hub's own
 * overflow policy decides then). */
static inline gboolean
send_message (FwsWebSocket    *self,
              FwsMessageType   type,
              GBytes          *data,
              gboolean         policy,
              GError         **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->driver == NULL)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
      return FALSE;
    }
  /* A message refused for another reason (closed, not UTF-8) is refused
   * for it, and never closes the connection. */
  if (!message_fits (self, g_bytes_get_size (data)))
    {
      if (!fws_driver_check_send (priv->driver, type, data, error))
        return FALSE;
      if (!policy)
        {
          set_queue_full (self, g_bytes_get_size (data), error);
          return FALSE;
        }
      return overflow (self, g_bytes_get_size (data), error);
    }
  return fws_driver_send (priv->driver, type, data, error);
}

/* ---- Public API ---- */

/**
 * fws_web_socket_send:
 * @self: a [class@Fws.WebSocket]
 * @type: the message type
 * @data: the payload; for %FWS_MESSAGE_TYPE_TEXT it must be UTF-8
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues one message. It is never blocking: the bytes go out when the main
 * loop runs (see [property@Fws.WebSocket:buffered-amount]). Before the
 * handshake has completed, messages wait and go out right after it.
 *
 * A message that would take [property@Fws.WebSocket:buffered-amount] past
 * [property@Fws.WebSocket:max-buffered] is not queued: the send fails with
 * %FWS_ERROR_QUEUE_FULL and, if [property@Fws.WebSocket:send-overflow] is
 * %FWS_SEND_OVERFLOW_CLOSE, the connection is closed with 1008.
 * [method@Fws.WebSocket.send_async] waits for room instead.
 *
 * Returns: %TRUE if the message was queued; %FALSE with @error set if the
 *   connection is closing or closed (%FWS_ERROR_CLOSED), if text is not
 *   valid UTF-8 (%FWS_ERROR_INVALID_UTF8), for binary on a hixie
 *   connection (%FWS_ERROR_NOT_SUPPORTED), or if the send queue is full
 *   (%FWS_ERROR_QUEUE_FULL)
 * Since: 0.1
 */
gboolean
fws_web_socket_send (FwsWebSocket    *self,
                     FwsMessageType   type,
                     GBytes          *data,
                     GError         **error)
{
  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (type == FWS_MESSAGE_TYPE_TEXT || type == FWS_MESSAGE_TYPE_BINARY, FALSE);

  return send_message (self, type, data, TRUE, error);
}

/**
 * fws_web_socket_send_text:
 * @self: a [class@Fws.WebSocket]
 * @text: a UTF-8 string
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues @text as one text message; the peer sees it as one message event.
 * The message ends at the first NUL byte of @text: to send a text that
 * contains U+0000, use [method@Fws.WebSocket.send_text_len].
 *
 * Returns: %TRUE if the message was queued
 * Since: 0.1
 */
gboolean
fws_web_socket_send_text (FwsWebSocket  *self,
                          const char    *text,
                          GError       **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  return fws_web_socket_send_text_len (self, text, -1, error);
}

/**
 * fws_web_socket_send_text_len:
 * @self: a [class@Fws.WebSocket]
 * @text: (array length=len) (element-type guint8): UTF-8 text, which may
 *   contain U+0000
 * @len: the length of @text in bytes, or -1 if @text is NUL-terminated
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues the @len bytes of @text as one text message, NUL bytes included:
 * the way to send a string with U+0000 from C, and from languages whose
 * strings may hold it (bindings pass the string's bytes and their length).
 * Like [method@Fws.WebSocket.send], it fails with %FWS_ERROR_INVALID_UTF8
 * if the bytes are not UTF-8.
 *
 * Returns: %TRUE if the message was queued
 * Since: 0.2
 */
gboolean
fws_web_socket_send_text_len (FwsWebSocket  *self,
                              const char    *text,
                              gssize         len,
                              GError       **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  bytes = g_bytes_new (text, len < 0 ? strlen (text) : (gsize) len);
  return fws_web_socket_send (self, FWS_MESSAGE_TYPE_TEXT, bytes, error);
}

/**
 * fws_web_socket_send_binary:
 * @self: a [class@Fws.WebSocket]
 * @data: the payload
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues @data as one binary message. The bytes are not copied on the
 * server side: @data is referenced until written.
 *
 * Returns: %TRUE if the message was queued
 * Since: 0.1
 */
gboolean
fws_web_socket_send_binary (FwsWebSocket  *self,
                            GBytes        *data,
                            GError       **error)
{
  return fws_web_socket_send (self, FWS_MESSAGE_TYPE_BINARY, data, error);
}

/**
 * fws_web_socket_send_data:
 * @self: a [class@Fws.WebSocket]
 * @type: the message type
 * @data: (array length=len): the payload; for %FWS_MESSAGE_TYPE_TEXT it
 *   must be UTF-8
 * @len: the length of @data in bytes
 * @error: return location for a [struct@GLib.Error]
 *
 * Queues a copy of the @len bytes at @data as one message, like
 * [method@Fws.WebSocket.send] with a [struct@GLib.Bytes] made from them.
 * This is the way bindings send their own byte types: `bytes` in Python,
 * `Uint8Array` in GJS, `uint8[]` in Vala, without wrapping them in a
 * [struct@GLib.Bytes] first.
 *
 * Returns: %TRUE if the message was queued; %FALSE with @error set as for
 *   [method@Fws.WebSocket.send]
 * Since: 0.2
 */
gboolean
fws_web_socket_send_data (FwsWebSocket    *self,
                          FwsMessageType   type,
                          const guint8    *data,
                          gsize            len,
                          GError         **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  bytes = g_bytes_new (data, len);
  return fws_web_socket_send (self, type, bytes, error);
}

static void
clear_message_func (FwsWebSocketPrivate *priv)
{
  GDestroyNotify destroy = priv->message_destroy;
  gpointer data = priv->message_data;

  priv->message_func = NULL;
  priv->message_data = NULL;
  priv->message_destroy = NULL;
  if (destroy != NULL)
    destroy (data);
}

/**
 * fws_web_socket_set_message_func: (skip)
 * @self: a connection
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   the function that receives every message from now on, or %NULL to go
 *   back to the signals
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when @func is replaced or the
 *   connection is disposed
 *
 * A faster way for C programs to receive messages: while a function is
 * set, every complete message is passed to it, and neither
 * [signal@Fws.WebSocket::message] nor [signal@Fws.WebSocket::text-message]
 * is emitted. @data is the same as the signal's: valid during the call,
 * g_bytes_ref() keeps it. A signal emission with its GBytes argument costs
 * about as much as the rest of receiving a small message; a program that
 * handles every message in one place saves it. Bindings use the signals.
 *
 * Since: 0.2
 */
void
fws_web_socket_set_message_func (FwsWebSocket   *self,
                                 FwsMessageFunc  func,
                                 gpointer        user_data,
                                 GDestroyNotify  destroy)
{
  FwsWebSocketPrivate *priv;

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));

  priv = fws_web_socket_get_instance_private (self);
  clear_message_func (priv);
  priv->message_func = func;
  priv->message_data = user_data;
  priv->message_destroy = destroy;
}

static gboolean
send_cancel_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  FwsWebSocket *self = g_task_get_source_object (task);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  GQueue *queues[] = { &priv->sends, &priv->waiting };

  for (gsize i = 0; i < G_N_ELEMENTS (queues); i++)
    for (GList *l = queues[i]->head; l; l = l->next)
      {
        SendOp *op = l->data;

        if (op->task == task)
          {
            g_queue_delete_link (queues[i], l);
            g_task_return_error_if_cancelled (op->task);
            send_op_free (op);
            return G_SOURCE_REMOVE;
          }
      }
  return G_SOURCE_REMOVE;
}

static void
send_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  FwsWebSocket *self = g_task_get_source_object (task);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  GSource *source = g_idle_source_new ();

  /* May run in another thread: finish in the connection's context, and
   * never inside this handler, where g_cancellable_disconnect (in
   * send_op_free) would deadlock (g_main_context_invoke_full runs the
   * callback at once when the context is ours). */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "fws-web-socket-send-cancelled");
  g_source_set_callback (source, send_cancel_idle_cb, g_object_ref (task), g_object_unref);
  g_source_attach (source, fws_connection_get_context (priv->conn));
  g_source_unref (source);
}

/**
 * fws_web_socket_send_async:
 * @self: a [class@Fws.WebSocket]
 * @type: the message type
 * @data: the payload; for %FWS_MESSAGE_TYPE_TEXT it must be UTF-8
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called once the message was handed to the
 *   kernel, or could not be
 * @user_data: data for @callback
 *
 * Queues one message, as [method@Fws.WebSocket.send] does, and completes
 * once its last byte was written to the socket: awaiting each send (or
 * keeping a few in flight) paces a producer to what the peer reads, the
 * flow control that [property@Fws.WebSocket:buffered-amount] allows by
 * polling. It fails with %FWS_ERROR_CLOSED if the connection closes first,
 * and with the errors of [method@Fws.WebSocket.send] if the message cannot
 * be queued.
 *
 * It never fails for want of room: a message that would take the queue
 * past [property@Fws.WebSocket:max-buffered] waits, with @data
 * referenced, until the peer has read enough (a message larger than the
 * limit by itself waits until the queue is empty, then goes alone).
 * Messages of send_async go out in the order of the calls; one of
 * [method@Fws.WebSocket.send] that fits goes out at once, before those
 * still waiting.
 *
 * Cancelling stops the wait: the operation fails with
 * %G_IO_ERROR_CANCELLED, and a message still waiting for room is not sent
 * (one already queued is).
 *
 * Since: 0.1
 */
void
fws_web_socket_send_async (FwsWebSocket        *self,
                           FwsMessageType       type,
                           GBytes              *data,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  gboolean wait;
  SendOp *op;

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  g_return_if_fail (data != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fws_web_socket_send_async);
  g_task_set_name (task, "fws_web_socket_send_async");

  /* No room, or earlier ones wait: wait behind them (once the message
   * passed the checks it would pass now). */
  wait = priv->driver != NULL &&
         (!g_queue_is_empty (&priv->waiting) || !message_fits (self, g_bytes_get_size (data)));
  if (wait ? !fws_driver_check_send (priv->driver, type, data, &error)
           : !fws_web_socket_send (self, type, data, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  op = g_new0 (SendOp, 1);
  op->task = g_steal_pointer (&task);
  if (cancellable)
    {
      op->cancellable = g_object_ref (cancellable);
      op->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (send_cancelled_cb), op->task, NULL);
    }
  if (wait)
    {
      op->data = g_bytes_ref (data);
      op->type = type;
      g_queue_push_tail (&priv->waiting, op);
      /* An empty queue never drains again: a message larger than the
       * limit goes now. */
      push_waiting_sends (self);
      return;
    }
  /* In the transport already, unless it waits in the driver for the
   * handshake (then open sets the target). */
  if (fws_driver_get_state (priv->driver) != FWS_READY_STATE_CONNECTING)
    op->target = fws_transport_get_total_queued (transport_of (self));
  g_queue_push_tail (&priv->sends, op);
  complete_sends (self);
}

/**
 * fws_web_socket_send_finish:
 * @self: a [class@Fws.WebSocket]
 * @result: the result passed to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Fws.WebSocket.send_async].
 *
 * Returns: %TRUE once the message was written to the socket
 * Since: 0.1
 */
gboolean
fws_web_socket_send_finish (FwsWebSocket  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ping_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data);

static gboolean
ping_cancel_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  FwsWebSocket *self = g_task_get_source_object (task);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  for (GList *l = priv->pings; l; l = l->next)
    {
      PingOp *op = l->data;

      if (op->task == task)
        {
          priv->pings = g_list_delete_link (priv->pings, l);
          g_task_return_error_if_cancelled (op->task);
          g_object_unref (op->task);
          g_clear_object (&op->cancellable);
          g_bytes_unref (op->payload);
          g_free (op);
          break;
        }
    }
  return G_SOURCE_REMOVE;
}

static void
ping_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  FwsWebSocket *self = g_task_get_source_object (task);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  /* May run in another thread: finish in the connection's context. */
  g_main_context_invoke_full (fws_connection_get_context (priv->conn), G_PRIORITY_DEFAULT, ping_cancel_idle_cb,
                              g_object_ref (task), g_object_unref);
}

/**
 * fws_web_socket_ping_async:
 * @self: a [class@Fws.WebSocket]
 * @payload: (nullable): at most 125 bytes, or %NULL for a counter ("1",
 *   "2", ...) chosen by the connection, which the keepalive pings of
 *   [property@Fws.WebSocket:ping-interval] share, so that their pongs never
 *   complete this ping
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the matching pong arrived, or the
 *   ping failed
 * @user_data: data for @callback
 *
 * Sends a ping. The operation completes when a pong with the same payload
 * arrives; it fails with %FWS_ERROR_CLOSED if the connection closes first,
 * so it never hangs. Every pending ping with that payload completes on its
 * pong. Cancel @cancellable to stop waiting.
 *
 * Since: 0.1
 */
void
fws_web_socket_ping_async (FwsWebSocket        *self,
                           GBytes              *payload,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) sent = NULL;
  g_autoptr(GError) error = NULL;
  PingOp *op;

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fws_web_socket_ping_async);
  g_task_set_name (task, "fws_web_socket_ping_async");

  if (priv->driver == NULL)
    g_set_error_literal (&error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
  else
    sent = fws_driver_ping (priv->driver, payload, &error);
  if (sent == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  op = g_new0 (PingOp, 1);
  op->payload = g_steal_pointer (&sent);
  op->task = g_steal_pointer (&task);
  if (cancellable)
    {
      op->cancellable = g_object_ref (cancellable);
      op->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (ping_cancelled_cb), op->task, NULL);
    }
  priv->pings = g_list_append (priv->pings, op);
  arm_pong_deadline (self);
}

/**
 * fws_web_socket_ping_finish:
 * @self: a [class@Fws.WebSocket]
 * @result: the result passed to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Fws.WebSocket.ping_async].
 *
 * Returns: %TRUE if the pong arrived
 * Since: 0.1
 */
gboolean
fws_web_socket_ping_finish (FwsWebSocket  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * fws_web_socket_close:
 * @self: a [class@Fws.WebSocket]
 * @code: a code an endpoint may send (RFC 6455 section 7.4): 1000 to
 *   1003, 1007 to 1014 or 3000 to 4999 (such as the values of
 *   [enum@Fws.CloseCode] that are not marked "never sent"), or 0 for 1000;
 *   a hixie connection, which has no codes, takes only 1000
 * @reason: (nullable): at most 123 bytes of UTF-8
 * @error: return location for a [struct@GLib.Error]
 *
 * Starts the closing handshake. [signal@Fws.WebSocket::close] follows once
 * the peer answered and the transport is closed, or after
 * [property@Fws.WebSocket:close-timeout] without an answer (code 1006).
 * Called before the handshake completed, the connection is dropped without
 * writing anything and close reports @code and @reason.
 *
 * Returns: %TRUE if closing started; %FALSE with @error set for a code or
 *   reason that is not allowed (%FWS_ERROR_INVALID_ARGUMENT), or a code on
 *   a hixie connection (%FWS_ERROR_NOT_SUPPORTED), or when already closing
 *   (%FWS_ERROR_CLOSED)
 * Since: 0.1
 */
gboolean
fws_web_socket_close (FwsWebSocket  *self,
                      guint          code,
                      const char    *reason,
                      GError       **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  FwsReadyState state;

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);

  if (priv->driver == NULL)
    {
      /* Nothing started yet (a client with a bad URL). */
      if (!fws_driver_check_close (code, reason, error))
        return FALSE;
      if (current_state (self) >= FWS_READY_STATE_CLOSING)
        {
          g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
          return FALSE;
        }
      priv->close_called = TRUE;
      set_close (self, code ? code : FWS_CLOSE_CODE_NORMAL, reason ? reason : "");
      fws_connection_finish (priv->conn, FALSE);
      notify_state (self);
      return TRUE;
    }

  state = fws_driver_get_state (priv->driver);
  if (!fws_driver_close (priv->driver, code, reason, error))
    return FALSE;
  priv->close_called = TRUE;
  if (state == FWS_READY_STATE_CONNECTING)
    {
      /* The driver closed at once and wrote nothing; nor will we. */
      fws_connection_finish (priv->conn, FALSE);
    }
  else
    fws_connection_set_timer (priv->conn, FWS_CONNECTION_TIMER_CLOSE, priv->close_timeout);
  notify_state (self);
  return TRUE;
}

/**
 * fws_web_socket_get_ready_state:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:ready-state].
 *
 * Returns: the connection state
 * Since: 0.1
 */
FwsReadyState
fws_web_socket_get_ready_state (FwsWebSocket *self)
{
  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FWS_READY_STATE_CLOSED);
  return current_state (self);
}

/**
 * fws_web_socket_get_url:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:url].
 *
 * Returns: (nullable): the URL: the client's URL, or on the server side
 *   `ws://` or `wss://`, the Host header, the path and the query
 * Since: 0.1
 */
const char *
fws_web_socket_get_url (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  return priv->url;
}

/**
 * fws_web_socket_get_protocol:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:protocol], the subprotocol both sides
 * agreed on.
 *
 * Returns: the negotiated subprotocol, or "" when there is none
 * Since: 0.1
 */
const char *
fws_web_socket_get_protocol (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  const char *protocol;

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), "");
  protocol = priv->driver ? fws_driver_get_protocol (priv->driver) : NULL;
  return protocol ? protocol : "";
}

/**
 * fws_web_socket_get_version:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:version].
 *
 * Returns: the protocol version: "hybi-13", or "hixie-75" or "hixie-76"
 *   for a server-side connection from a client of those old drafts
 * Since: 0.1
 */
const char *
fws_web_socket_get_version (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), "");
  return priv->driver ? fws_driver_get_version (priv->driver) : "hybi-13";
}

/**
 * fws_web_socket_get_buffered_amount:
 * @self: a [class@Fws.WebSocket]
 *
 * The bytes queued and not yet handed to the kernel: frames, handshake and
 * messages waiting for the handshake. `notify::buffered-amount` is emitted
 * when the queue has drained.
 *
 * Returns: the number of bytes queued
 * Since: 0.1
 */
guint64
fws_web_socket_get_buffered_amount (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return queued_bytes (priv);
}

/**
 * fws_web_socket_get_max_length:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:max-length].
 *
 * Returns: the largest incoming message accepted, in bytes
 * Since: 0.1
 */
guint64
fws_web_socket_get_max_length (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->max_length;
}

/**
 * fws_web_socket_set_max_length:
 * @self: a [class@Fws.WebSocket]
 * @max_length: the largest incoming message to accept, in bytes
 *
 * Sets [property@Fws.WebSocket:max-length].
 *
 * Since: 0.1
 */
void
fws_web_socket_set_max_length (FwsWebSocket *self,
                               guint64       max_length)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->max_length == max_length)
    return;
  priv->max_length = max_length;
  if (priv->driver)
    fws_driver_set_max_length (priv->driver, max_length);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LENGTH]);
}

/**
 * fws_web_socket_get_max_buffered:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:max-buffered].
 *
 * Returns: the hard limit on bytes queued for the peer, 0 for none
 * Since: 0.2
 */
guint64
fws_web_socket_get_max_buffered (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->max_buffered;
}

/* max-buffered is checked here, before a message reaches the driver: it
 * counts the messages the driver holds for the handshake too, and lets a
 * message of send_async larger than the limit go alone. The transport's
 * own hard limit, which would refuse that one, is off. */
static void
apply_limits (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  fws_connection_set_limits (priv->conn, 0, priv->high_water_mark, priv->low_water_mark);
}

/**
 * fws_web_socket_set_max_buffered:
 * @self: a [class@Fws.WebSocket]
 * @max_buffered: the hard limit on bytes queued for the peer, 0 for none
 *
 * Sets [property@Fws.WebSocket:max-buffered]. It applies at once, also
 * to an open connection.
 *
 * Since: 0.2
 */
void
fws_web_socket_set_max_buffered (FwsWebSocket *self,
                                 guint64       max_buffered)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->max_buffered == max_buffered)
    return;
  priv->max_buffered = max_buffered;
  apply_limits (self);
  push_waiting_sends (self);
  complete_sends (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BUFFERED]);
}

/**
 * fws_web_socket_get_high_water_mark:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:high-water-mark].
 *
 * Returns: the bytes queued above which reading pauses, 0 for never
 * Since: 0.2
 */
guint64
fws_web_socket_get_high_water_mark (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->high_water_mark;
}

/**
 * fws_web_socket_set_high_water_mark:
 * @self: a [class@Fws.WebSocket]
 * @bytes: the bytes queued above which reading pauses, 0 for never
 *
 * Sets [property@Fws.WebSocket:high-water-mark]. It applies at once, also
 * to an open connection.
 *
 * Since: 0.2
 */
void
fws_web_socket_set_high_water_mark (FwsWebSocket *self,
                                    guint64       bytes)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->high_water_mark == bytes)
    return;
  priv->high_water_mark = bytes;
  apply_limits (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIGH_WATER_MARK]);
}

/**
 * fws_web_socket_get_low_water_mark:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:low-water-mark].
 *
 * Returns: the bytes queued at or below which paused reading resumes
 * Since: 0.2
 */
guint64
fws_web_socket_get_low_water_mark (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->low_water_mark;
}

/**
 * fws_web_socket_set_low_water_mark:
 * @self: a [class@Fws.WebSocket]
 * @bytes: the bytes queued at or below which paused reading resumes
 *
 * Sets [property@Fws.WebSocket:low-water-mark]. It applies at once, also
 * to an open connection.
 *
 * Since: 0.2
 */
void
fws_web_socket_set_low_water_mark (FwsWebSocket *self,
                                   guint64       bytes)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->low_water_mark == bytes)
    return;
  priv->low_water_mark = bytes;
  apply_limits (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOW_WATER_MARK]);
}

/**
 * fws_web_socket_get_send_overflow:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:send-overflow].
 *
 * Returns: what a synchronous send past max-buffered does
 * Since: 0.2
 */
FwsSendOverflow
fws_web_socket_get_send_overflow (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FWS_SEND_OVERFLOW_ERROR);
  return priv->send_overflow;
}

/**
 * fws_web_socket_set_send_overflow:
 * @self: a [class@Fws.WebSocket]
 * @policy: what a synchronous send past max-buffered does
 *
 * Sets [property@Fws.WebSocket:send-overflow].
 *
 * Since: 0.2
 */
void
fws_web_socket_set_send_overflow (FwsWebSocket    *self,
                                  FwsSendOverflow  policy)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  g_return_if_fail (policy == FWS_SEND_OVERFLOW_ERROR || policy == FWS_SEND_OVERFLOW_CLOSE);
  if (priv->send_overflow == policy)
    return;
  priv->send_overflow = policy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEND_OVERFLOW]);
}

void
fws_web_socket_set_client_limits (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  priv->high_water_mark = 0;
  priv->low_water_mark = 0;
  apply_limits (self);
}

/**
 * fws_web_socket_get_headers:
 * @self: a [class@Fws.WebSocket]
 *
 * The HTTP headers of the other side's handshake: the request headers on
 * the server side, the response headers on the client side (%NULL until
 * the response arrived).
 *
 * Returns: (transfer none) (nullable): the headers
 * Since: 0.1
 */
SoupMessageHeaders *
fws_web_socket_get_headers (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  if (priv->request_headers)
    return priv->request_headers;
  return priv->driver ? fws_driver_get_response_headers (priv->driver) : NULL;
}

/**
 * fws_web_socket_get_extra_headers:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:extra-headers].
 *
 * Returns: (transfer none) (nullable): the headers added to our side of the
 *   handshake
 * Since: 0.1
 */
SoupMessageHeaders *
fws_web_socket_get_extra_headers (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  return priv->extra_headers;
}

/**
 * fws_web_socket_set_extra_headers:
 * @self: a [class@Fws.WebSocket]
 * @headers: (nullable): headers to add to our side of the handshake
 *
 * Sets [property@Fws.WebSocket:extra-headers]. Only before the handshake
 * was written (for a server, before [method@Fws.WebSocket.accept] returns
 * to the main loop; for a client, before it connects); later it warns and
 * changes nothing.
 *
 * Since: 0.1
 */
void
fws_web_socket_set_extra_headers (FwsWebSocket       *self,
                                  SoupMessageHeaders *headers)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));

  if (priv->extra_headers == headers)
    return;
  if (priv->driver != NULL && !fws_driver_set_extra_headers (priv->driver, headers))
    {
      g_warning ("FwsWebSocket:extra-headers can only be set before the handshake");
      return;
    }
  g_clear_pointer (&priv->extra_headers, soup_message_headers_unref);
  priv->extra_headers = headers ? soup_message_headers_ref (headers) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTRA_HEADERS]);
}

/**
 * fws_web_socket_set_allowed_origins:
 * @self: a [class@Fws.WebSocket]
 * @origins: (nullable) (array zero-terminated=1): the origins accepted,
 *   such as "https://example.com", or %NULL for all
 *
 * Sets [property@Fws.WebSocket:allowed-origins]. On a server-side
 * connection it applies until the handshake answer is written, which is
 * when the main loop next runs after the accept.
 *
 * Since: 0.2
 */
void
fws_web_socket_set_allowed_origins (FwsWebSocket       *self,
                                    const char * const *origins)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));

  g_strfreev (priv->allowed_origins);
  priv->allowed_origins = g_strdupv ((char **) origins);
  if (priv->driver != NULL)
    fws_driver_set_allowed_origins (priv->driver, origins);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOWED_ORIGINS]);
}

/**
 * fws_web_socket_get_allowed_origins:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:allowed-origins].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the
 *   origins accepted, or %NULL for all
 * Since: 0.2
 */
const char * const *
fws_web_socket_get_allowed_origins (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  return (const char * const *) priv->allowed_origins;
}

/**
 * fws_web_socket_get_protocols:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:protocols].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the
 *   subprotocols offered (client) or supported (server)
 * Since: 0.1
 */
const char * const *
fws_web_socket_get_protocols (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  return (const char * const *) priv->protocols;
}

/**
 * fws_web_socket_get_close_timeout:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:close-timeout].
 *
 * Returns: the close-handshake timeout in milliseconds
 * Since: 0.1
 */
guint
fws_web_socket_get_close_timeout (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->close_timeout;
}

/**
 * fws_web_socket_set_close_timeout:
 * @self: a [class@Fws.WebSocket]
 * @msec: milliseconds
 *
 * Sets [property@Fws.WebSocket:close-timeout].
 *
 * Since: 0.1
 */
void
fws_web_socket_set_close_timeout (FwsWebSocket *self,
                                  guint         msec)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->close_timeout == msec)
    return;
  priv->close_timeout = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSE_TIMEOUT]);
}

/**
 * fws_web_socket_get_handshake_timeout:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:handshake-timeout].
 *
 * Returns: the opening-handshake timeout in milliseconds, 0 for none
 * Since: 0.1
 */
guint
fws_web_socket_get_handshake_timeout (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->handshake_timeout;
}

/**
 * fws_web_socket_set_handshake_timeout:
 * @self: a [class@Fws.WebSocket]
 * @msec: milliseconds, 0 for none
 *
 * Sets [property@Fws.WebSocket:handshake-timeout]. It takes effect for a
 * handshake that has not started yet.
 *
 * Since: 0.1
 */
void
fws_web_socket_set_handshake_timeout (FwsWebSocket *self,
                                      guint         msec)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->handshake_timeout == msec)
    return;
  priv->handshake_timeout = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HANDSHAKE_TIMEOUT]);
}

/**
 * fws_web_socket_get_ping_interval:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:ping-interval].
 *
 * Returns: the keepalive ping interval in milliseconds, 0 when off
 * Since: 0.1
 */
guint
fws_web_socket_get_ping_interval (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->ping_interval;
}

/**
 * fws_web_socket_set_ping_interval:
 * @self: a [class@Fws.WebSocket]
 * @msec: milliseconds between keepalive pings, 0 to stop them
 *
 * Sets [property@Fws.WebSocket:ping-interval].
 *
 * Since: 0.1
 */
void
fws_web_socket_set_ping_interval (FwsWebSocket *self,
                                  guint         msec)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->ping_interval == msec)
    return;
  priv->ping_interval = msec;
  restart_ping_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PING_INTERVAL]);
}

/**
 * fws_web_socket_get_pong_timeout:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:pong-timeout].
 *
 * Returns: the pong deadline in milliseconds, 0 when off
 * Since: 0.1
 */
guint
fws_web_socket_get_pong_timeout (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return priv->pong_timeout;
}

/**
 * fws_web_socket_set_pong_timeout:
 * @self: a [class@Fws.WebSocket]
 * @msec: milliseconds, 0 for no deadline
 *
 * Sets [property@Fws.WebSocket:pong-timeout].
 *
 * Since: 0.1
 */
void
fws_web_socket_set_pong_timeout (FwsWebSocket *self,
                                 guint         msec)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));
  if (priv->pong_timeout == msec)
    return;
  priv->pong_timeout = msec;
  if (msec == 0)
    fws_connection_clear_timer (priv->conn, FWS_CONNECTION_TIMER_PONG);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PONG_TIMEOUT]);
}

/**
 * fws_web_socket_add_extension:
 * @self: a [class@Fws.WebSocket]
 * @extension: an extension, such as a [class@Fws.PermessageDeflate]
 * @error: return location for a [struct@GLib.Error]
 *
 * Registers @extension for the opening handshake, after those registered
 * before: a client offers it, a server accepts it if the client offered
 * it (in registration order). Call it before the handshake starts: on the
 * server side before the main loop runs after [method@Fws.WebSocket.accept],
 * on the client side before the main loop runs after construction.
 *
 * This is the way for language bindings to set extensions; the
 * [property@Fws.WebSocket:extensions] property holds the same list.
 *
 * Returns: %TRUE if @extension was registered; %FALSE with
 *   %FWS_ERROR_INVALID_ARGUMENT if its name is not a token or is already
 *   registered, or if the handshake has started
 * Since: 0.1
 */
gboolean
fws_web_socket_add_extension (FwsWebSocket  *self,
                              FwsExtension  *extension,
                              GError       **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), FALSE);
  g_return_val_if_fail (FWS_IS_EXTENSION (extension), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!fws_extensions_check (priv->extensions, extension, error))
    return FALSE;
  if (priv->driver != NULL && !fws_driver_add_extension (priv->driver, extension, error))
    return FALSE;
  g_ptr_array_add (priv->extensions, g_object_ref (extension));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTENSIONS]);
  return TRUE;
}

/**
 * fws_web_socket_get_extensions:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:extensions].
 *
 * Returns: (transfer none) (element-type FwsExtension): the registered
 *   extensions, in order
 * Since: 0.1
 */
GPtrArray *
fws_web_socket_get_extensions (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  return priv->extensions;
}

/**
 * fws_web_socket_set_extensions:
 * @self: a [class@Fws.WebSocket]
 * @extensions: (nullable) (element-type FwsExtension): the extensions, in
 *   order of preference
 *
 * Replaces the registered extensions (see
 * [method@Fws.WebSocket.add_extension]). Only before the handshake; one
 * whose name is not a token, or repeats an earlier one, is skipped with a
 * warning.
 *
 * Since: 0.1
 */
void
fws_web_socket_set_extensions (FwsWebSocket *self,
                               GPtrArray    *extensions)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  g_autoptr(GPtrArray) list = NULL;
  guint i;

  g_return_if_fail (FWS_IS_WEB_SOCKET (self));

  list = g_ptr_array_new_with_free_func (g_object_unref);
  for (i = 0; extensions != NULL && i < extensions->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!FWS_IS_EXTENSION (extensions->pdata[i]))
        {
          g_warning ("FwsWebSocket:extensions: item %u is not an FwsExtension", i);
          continue;
        }
      if (!fws_extensions_check (list, extensions->pdata[i], &error))
        {
          g_warning ("FwsWebSocket:extensions: %s", error->message);
          continue;
        }
      g_ptr_array_add (list, g_object_ref (extensions->pdata[i]));
    }
  if (priv->driver != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!fws_driver_set_extensions (priv->driver, list, &error))
        {
          g_warning ("FwsWebSocket:extensions: %s", error->message);
          return;
        }
    }
  g_ptr_array_unref (priv->extensions);
  priv->extensions = g_steal_pointer (&list);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTENSIONS]);
}

/**
 * fws_web_socket_get_extension_sessions:
 * @self: a [class@Fws.WebSocket]
 *
 * The extensions in use on this connection, once the handshake negotiated
 * them: one session per accepted extension, in the order they apply to
 * outgoing messages. The standard API's `extensions` attribute names
 * them; here each session can also be asked about its parameters.
 *
 * Returns: (transfer container) (element-type FwsExtensionSession): the
 *   active sessions; empty before the handshake and when none was agreed
 * Since: 0.2
 */
GPtrArray *
fws_web_socket_get_extension_sessions (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  GPtrArray *sessions;
  FwsExtensions *exts;
  guint n;

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  sessions = g_ptr_array_new_with_free_func (g_object_unref);
  exts = priv->driver ? fws_driver_get_extensions (priv->driver) : NULL;
  n = exts ? fws_extensions_get_n_active (exts) : 0;
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (sessions, g_object_ref (fws_extensions_get_active_session (exts, i)));
  return sessions;
}

/**
 * fws_web_socket_get_close_code:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:close-code].
 *
 * Returns: the code the close signal reported, or 0 before it
 * Since: 0.2
 */
guint
fws_web_socket_get_close_code (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), 0);
  return fws_connection_is_finished (priv->conn) ? priv->close_code : 0;
}

/**
 * fws_web_socket_get_close_reason:
 * @self: a [class@Fws.WebSocket]
 *
 * Gets [property@Fws.WebSocket:close-reason].
 *
 * Returns: (nullable): the reason the close signal reported, or %NULL
 *   before it
 * Since: 0.2
 */
const char *
fws_web_socket_get_close_reason (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_return_val_if_fail (FWS_IS_WEB_SOCKET (self), NULL);
  return fws_connection_is_finished (priv->conn) ? priv->close_reason : NULL;
}

/* ---- GObject ---- */

static void
fws_web_socket_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (object);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_READY_STATE:
      g_value_set_enum (value, current_state (self));
      break;
    case PROP_URL:
      g_value_set_string (value, priv->url);
      break;
    case PROP_PROTOCOL:
      g_value_set_string (value, fws_web_socket_get_protocol (self));
      break;
    case PROP_PROTOCOLS:
      g_value_set_boxed (value, priv->protocols);
      break;
    case PROP_ALLOWED_ORIGINS:
      g_value_set_boxed (value, priv->allowed_origins);
      break;
    case PROP_VERSION:
      g_value_set_string (value, fws_web_socket_get_version (self));
      break;
    case PROP_BUFFERED_AMOUNT:
      g_value_set_uint64 (value, fws_web_socket_get_buffered_amount (self));
      break;
    case PROP_MAX_LENGTH:
      g_value_set_uint64 (value, priv->max_length);
      break;
    case PROP_HEADERS:
      g_value_set_boxed (value, fws_web_socket_get_headers (self));
      break;
    case PROP_EXTRA_HEADERS:
      g_value_set_boxed (value, priv->extra_headers);
      break;
    case PROP_EXTENSIONS:
      g_value_set_boxed (value, priv->extensions);
      break;
    case PROP_CLOSE_TIMEOUT:
      g_value_set_uint (value, priv->close_timeout);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, priv->handshake_timeout);
      break;
    case PROP_PING_INTERVAL:
      g_value_set_uint (value, priv->ping_interval);
      break;
    case PROP_PONG_TIMEOUT:
      g_value_set_uint (value, priv->pong_timeout);
      break;
    case PROP_MAX_BUFFERED:
      g_value_set_uint64 (value, fws_web_socket_get_max_buffered (self));
      break;
    case PROP_HIGH_WATER_MARK:
      g_value_set_uint64 (value, fws_web_socket_get_high_water_mark (self));
      break;
    case PROP_LOW_WATER_MARK:
      g_value_set_uint64 (value, fws_web_socket_get_low_water_mark (self));
      break;
    case PROP_SEND_OVERFLOW:
      g_value_set_enum (value, fws_web_socket_get_send_overflow (self));
      break;
    case PROP_CLOSE_CODE:
      g_value_set_uint (value, fws_web_socket_get_close_code (self));
      break;
    case PROP_CLOSE_REASON:
      g_value_set_string (value, fws_web_socket_get_close_reason (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_web_socket_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (object);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_URL:
      g_free (priv->url);
      priv->url = g_value_dup_string (value);
      break;
    case PROP_PROTOCOLS:
      g_strfreev (priv->protocols);
      priv->protocols = g_value_dup_boxed (value);
      break;
    case PROP_ALLOWED_ORIGINS:
      fws_web_socket_set_allowed_origins (self, g_value_get_boxed (value));
      break;
    case PROP_MAX_LENGTH:
      fws_web_socket_set_max_length (self, g_value_get_uint64 (value));
      break;
    case PROP_EXTENSIONS:
      fws_web_socket_set_extensions (self, g_value_get_boxed (value));
      break;
    case PROP_EXTRA_HEADERS:
      fws_web_socket_set_extra_headers (self, g_value_get_boxed (value));
      break;
    case PROP_CLOSE_TIMEOUT:
      fws_web_socket_set_close_timeout (self, g_value_get_uint (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      fws_web_socket_set_handshake_timeout (self, g_value_get_uint (value));
      break;
    case PROP_PING_INTERVAL:
      fws_web_socket_set_ping_interval (self, g_value_get_uint (value));
      break;
    case PROP_PONG_TIMEOUT:
      fws_web_socket_set_pong_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_BUFFERED:
      fws_web_socket_set_max_buffered (self, g_value_get_uint64 (value));
      break;
    case PROP_HIGH_WATER_MARK:
      fws_web_socket_set_high_water_mark (self, g_value_get_uint64 (value));
      break;
    case PROP_LOW_WATER_MARK:
      fws_web_socket_set_low_water_mark (self, g_value_get_uint64 (value));
      break;
    case PROP_SEND_OVERFLOW:
      fws_web_socket_set_send_overflow (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_web_socket_dispose (GObject *object)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (object);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  stop_connecting (self);
  fws_connection_dispose (priv->conn);
  fail_pending (self);
  clear_message_func (priv);

  G_OBJECT_CLASS (fws_web_socket_parent_class)->dispose (object);
}

static void
fws_web_socket_finalize (GObject *object)
{
  FwsWebSocket *self = FWS_WEB_SOCKET (object);
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  g_clear_pointer (&priv->conn, fws_connection_free);
  g_clear_pointer (&priv->driver, fws_driver_free);
  free_retired (self);
  g_clear_error (&priv->last_error);
  g_clear_pointer (&priv->extra_headers, soup_message_headers_unref);
  g_clear_pointer (&priv->request_headers, soup_message_headers_unref);
  g_clear_pointer (&priv->extensions, g_ptr_array_unref);
  g_strfreev (priv->protocols);
  g_strfreev (priv->allowed_origins);
  g_free (priv->url);
  g_free (priv->close_reason);
  g_clear_error (&priv->failure);
  g_clear_pointer (&priv->uri, g_uri_unref);
  g_clear_object (&priv->connecting);
  g_clear_pointer (&priv->held_pong, g_bytes_unref);

  G_OBJECT_CLASS (fws_web_socket_parent_class)->finalize (object);
}

static void
fws_web_socket_class_init (FwsWebSocketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();

  object_class->get_property = fws_web_socket_get_property;
  object_class->set_property = fws_web_socket_set_property;
  object_class->dispose = fws_web_socket_dispose;
  object_class->finalize = fws_web_socket_finalize;

  /**
   * FwsWebSocket:ready-state:
   *
   * The connection state, as in the standard WebSocket API.
   *
   * Since: 0.1
   */
  properties[PROP_READY_STATE] =
    g_param_spec_enum ("ready-state", NULL, NULL,
                       FWS_TYPE_READY_STATE, FWS_READY_STATE_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:url:
   *
   * The URL of the connection. Set it when constructing a
   * [class@Fws.Client]; on the server side it is derived from the request:
   * `ws://`, or `wss://` over TLS or behind a proxy that sets
   * `X-Forwarded-Proto: https`, `X-Forwarded-Scheme: https` or
   * `X-Forwarded-Ssl: on`, then the Host header, the path and the query.
   *
   * Since: 0.1
   */
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:protocol:
   *
   * The negotiated subprotocol, or "" when there is none.
   *
   * Since: 0.1
   */
  properties[PROP_PROTOCOL] =
    g_param_spec_string ("protocol", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:protocols:
   *
   * The subprotocols the server supports or the client offers.
   *
   * Since: 0.1
   */
  properties[PROP_PROTOCOLS] =
    g_param_spec_boxed ("protocols", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:allowed-origins: (getter get_allowed_origins) (setter set_allowed_origins)
   *
   * Server side: the origins whose pages may open this connection, each
   * exactly as browsers send it in `Origin` (scheme, host and a port other
   * than the default, such as "https://example.com"; compared byte for
   * byte). A request with another Origin is answered with 403 Forbidden
   * and the body "Origin not allowed", then [signal@Fws.WebSocket::error]
   * (%FWS_ERROR_HANDSHAKE) and [signal@Fws.WebSocket::close] (1008) are
   * emitted. A request without Origin (not from a browser) is accepted.
   * %NULL, the default, accepts every origin. See "Cross-site WebSocket
   * hijacking" in the server guide.
   *
   * Since: 0.2
   */
  properties[PROP_ALLOWED_ORIGINS] =
    g_param_spec_boxed ("allowed-origins", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:version:
   *
   * The protocol version: "hybi-13", or "hixie-75" or "hixie-76" for a
   * server-side connection from a client of those old drafts (text
   * messages only; no binary, ping or close codes).
   *
   * Since: 0.1
   */
  properties[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, "hybi-13",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:buffered-amount:
   *
   * Bytes queued and not yet written. Notified when the queue drains.
   *
   * Since: 0.1
   */
  properties[PROP_BUFFERED_AMOUNT] =
    g_param_spec_uint64 ("buffered-amount", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:max-length:
   *
   * The largest incoming message accepted, in bytes, summed over its
   * fragments. A larger one closes the connection with 1009.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_LENGTH] =
    g_param_spec_uint64 ("max-length", NULL, NULL, 1, G_MAXUINT64 - 1, DEFAULT_MAX_LENGTH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:headers:
   *
   * The HTTP headers of the other side's handshake: request headers on the
   * server side, response headers on the client side.
   *
   * Since: 0.1
   */
  properties[PROP_HEADERS] =
    g_param_spec_boxed ("headers", NULL, NULL, SOUP_TYPE_MESSAGE_HEADERS,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:extra-headers:
   *
   * Headers added to our side of the handshake (the 101 response or the
   * client's request), in order. They cannot replace the handshake's own
   * headers. Set it before the handshake.
   *
   * Since: 0.1
   */
  properties[PROP_EXTRA_HEADERS] =
    g_param_spec_boxed ("extra-headers", NULL, NULL, SOUP_TYPE_MESSAGE_HEADERS,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:close-timeout:
   *
   * Milliseconds to wait for the peer to finish the closing handshake (and
   * read what was queued) before the transport is dropped and close reports
   * 1006.
   *
   * Since: 0.1
   */
  properties[PROP_CLOSE_TIMEOUT] =
    g_param_spec_uint ("close-timeout", NULL, NULL, 1, G_MAXUINT, DEFAULT_CLOSE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:handshake-timeout:
   *
   * Milliseconds the opening handshake may take, from construction to
   * [signal@Fws.WebSocket::open] (for a client: name lookup, connect, TLS
   * and the HTTP exchange). Past it the connection is dropped with an
   * %FWS_ERROR_TIMED_OUT error and close 1006. 0 means no limit.
   *
   * Since: 0.1
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 0, G_MAXUINT, DEFAULT_HANDSHAKE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:ping-interval:
   *
   * Milliseconds between keepalive pings once open, whose payloads are
   * "1", "2", "3", ... 0 (the default) sends none.
   *
   * Since: 0.1
   */
  properties[PROP_PING_INTERVAL] =
    g_param_spec_uint ("ping-interval", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:pong-timeout:
   *
   * Milliseconds the peer has to answer a ping (a keepalive ping or one
   * from [method@Fws.WebSocket.ping_async]) with any pong. Past it the
   * connection is considered dead: it is dropped without a close frame,
   * with an %FWS_ERROR_TIMED_OUT error and close 1006. 0 (the default)
   * means no deadline.
   *
   * A pong can be late while the peer is alive: our ping may still wait in
   * our queue, or its pong in the kernel while
   * [property@Fws.WebSocket:high-water-mark] keeps us from reading. Then,
   * if the peer read some of what we sent since the deadline was set, the
   * deadline starts again; a peer that neither reads nor answers still
   * times out.
   *
   * Since: 0.1
   */
  properties[PROP_PONG_TIMEOUT] =
    g_param_spec_uint ("pong-timeout", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:max-buffered:
   *
   * The hard limit on the bytes queued for the peer and not yet handed to
   * the kernel ([property@Fws.WebSocket:buffered-amount]), 1 GiB by
   * default; 0 means none. A message that would pass it is not queued:
   * [method@Fws.WebSocket.send] fails with %FWS_ERROR_QUEUE_FULL (and
   * closes the connection if [property@Fws.WebSocket:send-overflow] says
   * so), while [method@Fws.WebSocket.send_async] waits for room. Control
   * frames (a pong, the close frame) may pass it by their few bytes. See
   * docs/limits.md.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_BUFFERED] =
    g_param_spec_uint64 ("max-buffered", NULL, NULL, 0, G_MAXUINT64, FWS_TRANSPORT_DEFAULT_MAX_QUEUED,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:high-water-mark:
   *
   * Once more than this many bytes are queued for the peer, nothing more
   * is read from it until the queue is down to
   * [property@Fws.WebSocket:low-water-mark]: its bytes wait in the
   * kernel, TCP back-pressure reaches it, and what it could make us send
   * (echoes, pongs) stays bounded. 0 means never pause.
   *
   * The default is 1 MiB on server connections and 0 on [class@Fws.Client]:
   * two peers that both pause can deadlock, each waiting for the other to
   * read, so only the side that must protect itself from peers it does not
   * trust pauses by default. A client's queue is still bounded by
   * [property@Fws.WebSocket:max-buffered].
   *
   * Since: 0.2
   */
  properties[PROP_HIGH_WATER_MARK] =
    g_param_spec_uint64 ("high-water-mark", NULL, NULL, 0, G_MAXUINT64, FWS_TRANSPORT_DEFAULT_HIGH_WATER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:low-water-mark:
   *
   * Reading paused by [property@Fws.WebSocket:high-water-mark] resumes
   * once at most this many bytes are queued (clamped to the high-water
   * mark). 256 KiB on server connections and 0 on [class@Fws.Client] by
   * default.
   *
   * Since: 0.2
   */
  properties[PROP_LOW_WATER_MARK] =
    g_param_spec_uint64 ("low-water-mark", NULL, NULL, 0, G_MAXUINT64, FWS_TRANSPORT_DEFAULT_LOW_WATER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:send-overflow:
   *
   * What a synchronous send ([method@Fws.WebSocket.send] and the other
   * `send_*` methods) does when its message would take the queue past
   * [property@Fws.WebSocket:max-buffered]: fail with
   * %FWS_ERROR_QUEUE_FULL and keep the connection open (the default), or
   * fail and close the connection with 1008 (policy violation).
   *
   * The code is 1008 rather than 1013 (try again later): 1008 is RFC
   * 6455's own code for a policy of the endpoint's, which either side may
   * send, while 1013 (registered with IANA later) tells a client that a
   * server is overloaded for now and invites it to retry, and a peer that
   * does not read what it is sent would overflow again.
   *
   * Since: 0.2
   */
  properties[PROP_SEND_OVERFLOW] =
    g_param_spec_enum ("send-overflow", NULL, NULL, FWS_TYPE_SEND_OVERFLOW, FWS_SEND_OVERFLOW_ERROR,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:extensions: (type GPtrArray(FwsExtension))
   *
   * The WebSocket extensions (such as [class@Fws.PermessageDeflate]) to
   * negotiate, in order of preference: a #GPtrArray of [iface@Fws.Extension].
   * Set it before the handshake. PyGObject and GJS cannot convert a list
   * to a #GPtrArray property: there, call
   * [method@Fws.WebSocket.set_extensions] or
   * [method@Fws.WebSocket.add_extension] instead.
   *
   * Since: 0.1
   */
  properties[PROP_EXTENSIONS] =
    g_param_spec_boxed ("extensions", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:close-code:
   *
   * The code [signal@Fws.WebSocket::close] reported, readable after it:
   * the peer's code, 1005 when its close frame had none, our own on a
   * failure, or 1006. 0 until the connection closed.
   *
   * Since: 0.2
   */
  properties[PROP_CLOSE_CODE] =
    g_param_spec_uint ("close-code", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsWebSocket:close-reason:
   *
   * The reason [signal@Fws.WebSocket::close] reported, readable after it;
   * %NULL until the connection closed.
   *
   * Since: 0.2
   */
  properties[PROP_CLOSE_REASON] =
    g_param_spec_string ("close-reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FwsWebSocket::open:
   * @self: the connection
   *
   * The opening handshake completed: messages can flow.
   *
   * Since: 0.1
   */
  signals[OPEN] = g_signal_new ("open", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, fws_marshal_VOID__VOID, G_TYPE_NONE, 0);
  g_signal_set_va_marshaller (signals[OPEN], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__VOIDv);

  /**
   * FwsWebSocket::message:
   * @self: the connection
   * @type: the message type
   * @data: the payload; for text, UTF-8 followed by a NUL byte that is not
   *   counted in its size
   *
   * A complete message arrived.
   *
   * Since: 0.1
   */
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, fws_marshal_VOID__ENUM_BOXED, G_TYPE_NONE, 2,
                                   FWS_TYPE_MESSAGE_TYPE, G_TYPE_BYTES);
  g_signal_set_va_marshaller (signals[MESSAGE], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__ENUM_BOXEDv);

  /**
   * FwsWebSocket::text-message:
   * @self: the connection
   * @text: the text of the message, UTF-8
   *
   * A complete text message arrived: the same message as
   * [signal@Fws.WebSocket::message], emitted right after it, as a string.
   * It lets Python and JavaScript read a text message as a `str` or a
   * `string` without decoding a [struct@GLib.Bytes]. It is only emitted
   * while a handler is connected, so it costs nothing otherwise. A text
   * that contains U+0000 ends at the first one here; the
   * [signal@Fws.WebSocket::message] signal has it whole.
   *
   * Since: 0.2
   */
  signals[TEXT_MESSAGE] = g_signal_new ("text-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, g_cclosure_marshal_VOID__STRING, G_TYPE_NONE, 1,
                                        G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[TEXT_MESSAGE], G_TYPE_FROM_CLASS (klass), g_cclosure_marshal_VOID__STRINGv);

  /**
   * FwsWebSocket::error:
   * @self: the connection
   * @error: what went wrong
   *
   * Something failed: the handshake, the peer's bytes, the transport.
   * [signal@Fws.WebSocket::close] always follows, or, on a
   * [class@Fws.Client] that reconnects, [signal@Fws.Client::reconnecting].
   *
   * Since: 0.1
   */
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, fws_marshal_VOID__BOXED, G_TYPE_NONE, 1, G_TYPE_ERROR);
  g_signal_set_va_marshaller (signals[ERROR], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__BOXEDv);

  /**
   * FwsWebSocket::close:
   * @self: the connection
   * @code: the close code: the peer's (1005 if its close frame had none),
   *   ours after a failure, or 1006 when the transport ended without a
   *   closing handshake
   * @reason: the close reason
   *
   * The connection is closed. Emitted exactly once (for a
   * [class@Fws.Client] that reconnects, once it stopped for good).
   *
   * Since: 0.1
   */
  signals[CLOSE] = g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, fws_marshal_VOID__UINT_STRING, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  g_signal_set_va_marshaller (signals[CLOSE], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__UINT_STRINGv);

  /**
   * FwsWebSocket::ping:
   * @self: the connection
   * @payload: the ping's payload
   *
   * The peer sent a ping; the pong was already queued.
   *
   * Since: 0.1
   */
  signals[PING] = g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, fws_marshal_VOID__BOXED, G_TYPE_NONE, 1, G_TYPE_BYTES);
  g_signal_set_va_marshaller (signals[PING], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__BOXEDv);

  /**
   * FwsWebSocket::pong:
   * @self: the connection
   * @payload: the pong's payload
   *
   * The peer sent a pong.
   *
   * Since: 0.1
   */
  signals[PONG] = g_signal_new ("pong", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, fws_marshal_VOID__BOXED, G_TYPE_NONE, 1, G_TYPE_BYTES);
  g_signal_set_va_marshaller (signals[PONG], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__BOXEDv);
}

static void
fws_web_socket_init (FwsWebSocket *self)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  priv->conn = fws_connection_new (G_OBJECT (self), &conn_callbacks);
  priv->notified_state = FWS_READY_STATE_CONNECTING;
  priv->max_length = DEFAULT_MAX_LENGTH;
  priv->close_timeout = DEFAULT_CLOSE_TIMEOUT_MS;
  priv->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT_MS;
  priv->max_buffered = FWS_TRANSPORT_DEFAULT_MAX_QUEUED;
  priv->high_water_mark = FWS_TRANSPORT_DEFAULT_HIGH_WATER;
  priv->low_water_mark = FWS_TRANSPORT_DEFAULT_LOW_WATER;
  apply_limits (self);
  g_queue_init (&priv->sends);
  g_queue_init (&priv->waiting);
  priv->extensions = g_ptr_array_new_with_free_func (g_object_unref);
}

/* ---- The hub's share (fws-web-socket-private.h) ---- */

FwsWebSocketShare
fws_web_socket_get_share (FwsWebSocket *self,
                          guint32      *deflate_key,
                          guint        *deflate_threshold)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  FwsExtensions *exts;

  if (priv->driver == NULL || priv->uri != NULL ||
      fws_connection_is_closing (priv->conn) ||
      fws_driver_get_state (priv->driver) != FWS_READY_STATE_OPEN ||
      /* The same static string: no strcmp per delivery. */
      fws_driver_get_version (priv->driver) != fws_ws_version_to_string (FWS_WS_VERSION_HYBI_13))
    return FWS_WEB_SOCKET_SHARE_NONE;
  exts = fws_driver_get_extensions (priv->driver);
  switch (fws_extensions_get_n_active (exts))
    {
    case 0:
      return FWS_WEB_SOCKET_SHARE_PLAIN;
    case 1:
      if (fws_permessage_deflate_session_get_shared_key (fws_extensions_get_active_session (exts, 0),
                                                         deflate_key, deflate_threshold))
        return FWS_WEB_SOCKET_SHARE_DEFLATE;
      return FWS_WEB_SOCKET_SHARE_NONE;
    default:
      return FWS_WEB_SOCKET_SHARE_NONE;
    }
}

gboolean
fws_web_socket_send_for_hub (FwsWebSocket    *self,
                             FwsMessageType   type,
                             GBytes          *data,
                             GError         **error)
{
  return send_message (self, type, data, FALSE, error);
}

gboolean
fws_web_socket_send_prebuilt (FwsWebSocket  *self,
                              GBytes        *frame,
                              GError       **error)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);

  if (priv->driver == NULL || fws_connection_is_dead (priv->conn) ||
      fws_driver_get_state (priv->driver) != FWS_READY_STATE_OPEN)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
      return FALSE;
    }
  /* max-buffered, as fws_web_socket_send checks it (the transport has no
   * hard limit of its own); the hub decides what a full queue means, so
   * the send-overflow policy is not applied here. */
  if (priv->max_buffered != 0 &&
      (g_bytes_get_size (frame) > priv->max_buffered ||
       queued_bytes (priv) > priv->max_buffered - g_bytes_get_size (frame)))
    {
      set_queue_full (self, g_bytes_get_size (frame), error);
      return FALSE;
    }
  return fws_transport_try_write_shared (transport_of (self), frame, error);
}

void
fws_web_socket_get_queue (FwsWebSocket *self,
                          guint64      *queued,
                          guint64      *high_water)
{
  FwsWebSocketPrivate *priv = fws_web_socket_get_instance_private (self);
  guint64 low;

  *queued = queued_bytes (priv);
  fws_transport_get_water_marks (transport_of (self), high_water, &low);
}
