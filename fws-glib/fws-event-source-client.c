/* fws-event-source-client.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-event-source-client.h"

#include <string.h>

#include "fws-connection-private.h"
#include "fws-connector-private.h"
#include "fws-enum-types.h"
#include "fws-error.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-marshal.h"
#include "fws-session-private.h"
#include "fws-sse-parser-private.h"
#include "fws-reconnect-private.h"

/**
 * FwsEventSourceClient:
 *
 * The client side of server-sent events: it reads a `text/event-stream`
 * as the browser's `EventSource` does, with the same API in GObject form.
 *
 * It starts connecting when the main loop next runs after construction, so
 * set options and connect signal handlers first:
 *
 * ```c
 * g_autoptr(GError) error = NULL;
 * FwsEventSourceClient *events =
 *   fws_event_source_client_new ("https://example.com/events", &error);
 * g_signal_connect (events, "message", G_CALLBACK (on_message), NULL);
 * ```
 *
 * The request is `GET` with `Accept: text/event-stream`,
 * `Cache-Control: no-cache`, `Last-Event-ID` once the stream set an id,
 * `Authorization: Basic` when the URL has a user, then
 * [property@Fws.EventSourceClient:extra-headers]. The response must be
 * `200` with the media type `text/event-stream` (parameters such as
 * `charset` are allowed); its body may be sent with
 * `Transfer-Encoding: chunked`, with a `Content-Length`, or up to the end of
 * the connection. Redirects (301, 302, 303, 307 and 308) are followed, up
 * to [property@Fws.EventSourceClient:max-redirects] in a row, to `http://`
 * and `https://` URLs only. The stream is parsed as the WHATWG HTML
 * standard's server-sent events section says: each event arrives with
 * [signal@Fws.EventSourceClient::message].
 *
 * ## Reconnecting
 *
 * When the connection cannot be made or ends (the server closed it, the
 * network failed, the response head was malformed, the handshake took
 * longer than [property@Fws.EventSourceClient:handshake-timeout]), the
 * client reports it with [signal@Fws.EventSourceClient::error], goes back
 * to %FWS_READY_STATE_CONNECTING and connects again, to the URL it was
 * made with, after [property@Fws.EventSourceClient:reconnection-time]
 * (which the stream's `retry` fields change), sending the last event id it
 * saw as `Last-Event-ID`.
 *
 * The reconnect policy shapes those waits, with the properties
 * [class@Fws.Client] has: the first attempt after a stream that had
 * opened waits [property@Fws.EventSourceClient:reconnection-time], as the
 * standard says; each further attempt in a row adds a random backoff
 * between 0 and min ([property@Fws.EventSourceClient:reconnect-max-delay],
 * [property@Fws.EventSourceClient:reconnect-initial-delay] × 2^(n-2)) ms
 * for attempt n. [signal@Fws.EventSourceClient::reconnecting] says when,
 * and after [property@Fws.EventSourceClient:reconnect-max-attempts]
 * attempts in a row the client stops (%FWS_READY_STATE_CLOSED, with the
 * last failure as `error`). With [property@Fws.EventSourceClient:reconnect]
 * set to %FALSE it does not reconnect at all. While
 * [property@Fws.EventSourceClient:network-monitor] says the network is
 * unavailable, no attempt is made and no timer runs; when it comes back,
 * the client connects at once.
 *
 * It stops for good, with the `error` signal and
 * %FWS_READY_STATE_CLOSED, when the server answers anything but a `200`
 * event stream (a `204 No Content` is how a server says "do not
 * reconnect"), when a redirect goes nowhere or there are too many, when the
 * stream passes [property@Fws.EventSourceClient:max-line-length] or
 * [property@Fws.EventSourceClient:max-event-size] (a peer that sends an
 * endless line), and when [method@Fws.EventSourceClient.close] is called
 * (then without the `error` signal).
 *
 * ## TLS and proxies
 *
 * An `https://` URL is reached over TLS, verified as
 * [class@Fws.Client] does it: see [property@Fws.EventSourceClient:tls-verify],
 * [property@Fws.EventSourceClient:tls-ca-files] and
 * [property@Fws.EventSourceClient:tls-database]. With
 * [property@Fws.EventSourceClient:proxy] set, the connection goes through
 * that proxy (an HTTP proxy is asked for a tunnel with `CONNECT`);
 * otherwise the system's proxy settings apply, unless
 * [property@Fws.EventSourceClient:use-system-proxy] is %FALSE.
 *
 * ## A SoupSession
 *
 * With [property@Fws.EventSourceClient:session] set, each request goes
 * out as one of that session's would: with the cookies of the session's
 * [class@Soup.CookieJar] for its URL (the `Set-Cookie` headers of every
 * response, redirects included, are stored in the jar), the session's user
 * agent, and the session's TLS database and proxy resolver when the client
 * has none of its own.
 *
 * All I/O, timers and signals happen in the thread-default
 * [struct@GLib.MainContext] of the thread that created the object; call its
 * methods from that thread. The `open`, `message` and `error` signals are
 * never emitted from inside a method call.
 * The client keeps itself alive until it is %FWS_READY_STATE_CLOSED: call
 * [method@Fws.EventSourceClient.close] to stop it.
 *
 * Since: 0.2
 */

#define DEFAULT_RECONNECTION_TIME_MS 3000
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 30000
#define DEFAULT_MAX_REDIRECTS        10

typedef enum
{
  NEXT_RECONNECT,   /* report the failure, wait, connect again */
  NEXT_REDIRECT,    /* connect to the new target now */
  NEXT_CLOSE,       /* report the failure and stop */
} Next;

typedef enum
{
  BODY_UNTIL_EOF,
  BODY_LENGTH,
  BODY_CHUNKED,
} BodyFraming;

struct _FwsEventSourceClient
{
  GObject                 parent_instance;

  GMainContext           *context;
  char                   *url;
  GUri                   *uri;            /* (nullable) @url, if valid */

  /* options */
  FwsConnectorOptions     options;
  SoupMessageHeaders     *extra_headers;
  guint64                 max_line;
  guint64                 max_event;
  guint                   max_redirects;
  guint                   reconnection_time;
  guint                   handshake_timeout;

  SoupSession            *session;        /* (nullable) the session property */

  FwsReadyState           ready_state;
  char                   *last_event_id;  /* never NULL */
  gboolean                held;           /* a reference until CLOSED */

  GSource                *step_source;    /* start, or act on a finished attempt */

  /* The reconnect policy: its properties and its wait. */
  FwsReconnect            reconnect;

  /* The attempt at work: one connection, one request. */
  guint                   serial;
  FwsConnection          *conn;           /* (owned) (nullable) */
  GCancellable           *connecting;     /* (owned) (nullable) the connector at work */
  GUri                   *target;         /* (owned) (nullable) after redirects */
  guint                   redirects;      /* followed in a row */
  Next                    next;
  GError                 *failure;        /* what the error signal reports */
  FwsHttpHeadReader      *head;
  gboolean                in_body;
  BodyFraming             framing;
  guint64                 length_left;
  FwsHttpChunkedDecoder  *chunked;
  FwsSseParser           *parser;
};

G_DEFINE_FINAL_TYPE (FwsEventSourceClient, fws_event_source_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_URL,
  PROP_READY_STATE,
  PROP_LAST_EVENT_ID,
  PROP_RECONNECTION_TIME,
  /* reconnecting */
  PROP_RECONNECT,
  PROP_RECONNECT_INITIAL_DELAY,
  PROP_RECONNECT_MAX_DELAY,
  PROP_RECONNECT_MAX_ATTEMPTS,
  PROP_NETWORK_MONITOR,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_MAX_REDIRECTS,
  PROP_MAX_LINE_LENGTH,
  PROP_MAX_EVENT_SIZE,
  PROP_EXTRA_HEADERS,
  PROP_TLS_VERIFY,
  PROP_TLS_CA_FILES,
  PROP_TLS_DATABASE,
  PROP_TLS_CERTIFICATE,
  PROP_PROXY,
  PROP_USE_SYSTEM_PROXY,

  PROP_SESSION,

  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  OPEN,
  MESSAGE,
  ERROR,
  RECONNECTING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_attempt (FwsEventSourceClient *self);

/* ---- Helpers ---- */

/* An http:// or https:// URL with a host we can write. */
static GUri *
parse_url (const char  *url,
           GError     **error)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);

  if (uri != NULL)
    {
      const char *scheme = g_uri_get_scheme (uri);

      if ((g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
          fws_http_is_valid_host (g_uri_get_host (uri)))
        return uri;
      g_uri_unref (uri);
    }
  g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
               _("%s is not a valid EventSource URL"), url);
  return NULL;
}

static gboolean
uri_is_https (GUri *uri)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0;
}

/* For messages: the URL without password. */
static char *
url_for_people (GUri *uri)
{
  return g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD | G_URI_HIDE_AUTH_PARAMS);
}

static void
set_ready_state (FwsEventSourceClient *self,
                 FwsReadyState         state)
{
  if (self->ready_state == state)
    return;
  self->ready_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY_STATE]);
}

static void
set_last_event_id (FwsEventSourceClient *self,
                   const char           *id)
{
  if (strcmp (self->last_event_id, id) == 0)
    return;
  g_free (self->last_event_id);
  self->last_event_id = g_strdup (id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_EVENT_ID]);
}

static GSource *
attach_source (FwsEventSourceClient *self,
               GSource              *source,
               const char           *name,
               GSourceFunc           func)
{
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* ---- The request ---- */

static const char * const reserved_headers[] = {
  "Host", "Accept", "Cache-Control", "Last-Event-ID", "Connection", "Upgrade",
  "Content-Length", "Transfer-Encoding", NULL
};

static const char * const reserved_headers_auth[] = {
  "Host", "Accept", "Cache-Control", "Last-Event-ID", "Connection", "Upgrade",
  "Content-Length", "Transfer-Encoding", "Authorization", NULL
};

/* After a redirect to another origin, credentials are not passed on. */
static const char * const reserved_headers_elsewhere[] = {
  "Host", "Accept", "Cache-Control", "Last-Event-ID", "Connection", "Upgrade",
  "Content-Length", "Transfer-Encoding", "Authorization", "Cookie", NULL
};

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  return port > 0 ? port : uri_is_https (uri) ? 443 : 80;
}

static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return uri_is_https (a) == uri_is_https (b) &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         effective_port (a) == effective_port (b);
}

/* A path or query as it is, but for bytes that cannot be in a request line
 * (the URL is G_URI_FLAGS_ENCODED, so a Location may still have them). */
static void
append_target (GString    *out,
               const char *s)
{
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if (c <= 0x20 || c >= 0x7f)
        g_string_append_printf (out, "%%%02X", c);
      else
        g_string_append_c (out, (char) c);
    }
}

static GString *
format_request (FwsEventSourceClient *self)
{
  GUri *uri = self->target;
  GString *out = g_string_new ("GET ");
  const char *path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  const char *user = g_uri_get_user (uri);

  append_target (out, *path ? path : "/");
  if (query != NULL)
    {
      g_string_append_c (out, '?');
      append_target (out, query);
    }
  g_string_append (out, " HTTP/1.1\r\nHost: ");
  fws_http_append_authority (out, g_uri_get_host (uri), g_uri_get_port (uri), uri_is_https (uri) ? 443 : 80);
  g_string_append (out, "\r\n"
                        "Accept: text/event-stream\r\n"
                        "Cache-Control: no-cache\r\n");
  /* An id cannot hold CR, LF or NUL; one with another control character
   * is not a header value we may write, so it is not sent. */
  if (self->last_event_id[0] != '\0' && fws_http_is_safe_value (self->last_event_id))
    g_string_append_printf (out, "Last-Event-ID: %s\r\n", self->last_event_id);
  if (user != NULL)
    {
      g_autofree char *credentials = fws_http_basic_credentials (user, g_uri_get_password (uri));

      g_string_append_printf (out, "Authorization: Basic %s\r\n", credentials);
    }
  if (self->session != NULL)
    {
      /* The jar's cookies for this URL go wherever it is; the client's own
       * Cookie lines only to the origin it was made for. */
      gboolean elsewhere = !same_origin (uri, self->uri);
      g_autoptr(SoupMessageHeaders) headers =
        fws_session_request_headers (self->session, uri, self->extra_headers, elsewhere);

      fws_http_append_extra_headers (out, headers,
                                     elsewhere || user != NULL ? reserved_headers_auth : reserved_headers,
                                     FWS_HTTP_EXTRA_HEADERS_DEFAULT);
    }
  else
    fws_http_append_extra_headers (out, self->extra_headers,
                                   !same_origin (uri, self->uri) ? reserved_headers_elsewhere :
                                   user != NULL ? reserved_headers_auth : reserved_headers,
                                   FWS_HTTP_EXTRA_HEADERS_DEFAULT);
  g_string_append (out, "\r\n");
  return out;
}

/* ---- One attempt ---- */

/* Ends the attempt: the first reason given wins. Takes @error. */
static void
end_attempt (FwsEventSourceClient *self,
             Next                  next,
             GError               *error)
{
  if (self->conn == NULL || fws_connection_is_closing (self->conn))
    {
      g_clear_error (&error);
      return;
    }
  self->next = next;
  g_clear_error (&self->failure);
  self->failure = error;
  fws_connection_finish (self->conn, FALSE);
}

static gboolean
attempt_is_over (FwsEventSourceClient *self)
{
  return self->conn == NULL || fws_connection_is_closing (self->conn) ||
         self->ready_state == FWS_READY_STATE_CLOSED;
}

static GError *
stream_ended_error (FwsEventSourceClient *self)
{
  g_autofree char *url = url_for_people (self->target);

  if (!self->in_body)
    return g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                        _("The server at %s closed the connection before answering"), url);
  return g_error_new (FWS_ERROR, FWS_ERROR_CLOSED, _("The event stream from %s ended"), url);
}

static void
feed_parser (FwsEventSourceClient *self,
             const guint8         *data,
             gsize                 len)
{
  GQueue events = G_QUEUE_INIT;
  GError *error = NULL;
  gboolean ok = fws_sse_parser_feed (self->parser, data, len, &events, &error);
  FwsSseParserEvent *event;

  while ((event = g_queue_pop_head (&events)) != NULL)
    {
      if (self->ready_state == FWS_READY_STATE_OPEN && !attempt_is_over (self))
        {
          if (event->kind == FWS_SSE_PARSER_MESSAGE)
            {
              const char *text = g_bytes_get_data (event->data, NULL);

              set_last_event_id (self, event->last_event_id);
              g_signal_emit (self, signals[MESSAGE], 0, event->type, text ? text : "", event->last_event_id);
            }
          else
            {
              fws_event_source_client_set_reconnection_time (self, (guint) MIN (event->retry_ms, G_MAXUINT));
            }
        }
      fws_sse_parser_event_free (event);
    }
  /* A blank line sets the last event id even when it dispatches nothing. */
  if (self->ready_state == FWS_READY_STATE_OPEN && !attempt_is_over (self))
    set_last_event_id (self, fws_sse_parser_get_last_event_id (self->parser));
  if (!ok)
    {
      g_autofree char *url = url_for_people (self->target);

      g_prefix_error (&error, _("The event stream from %s: "), url);
      end_attempt (self, NEXT_CLOSE, error);
    }
}

static void
feed_body (FwsEventSourceClient *self,
           const guint8         *data,
           gsize                 len)
{
  switch (self->framing)
    {
    case BODY_UNTIL_EOF:
      feed_parser (self, data, len);
      break;

    case BODY_LENGTH:
      {
        gsize n = (gsize) MIN ((guint64) len, self->length_left);

        self->length_left -= n;
        feed_parser (self, data, n);
        if (self->length_left == 0)
          end_attempt (self, NEXT_RECONNECT, stream_ended_error (self));
      }
      break;

    case BODY_CHUNKED:
      while (len > 0 && !attempt_is_over (self))
        {
          GError *error = NULL;
          const guint8 *span = NULL;
          gsize span_len = 0, used = 0;
          FwsHttpChunkedResult result;

          result = fws_http_chunked_decoder_feed (self->chunked, data, len, &used, &span, &span_len, &error);
          if (span_len > 0)
            feed_parser (self, span, span_len);
          data += used;
          len -= used;
          if (result == FWS_HTTP_CHUNKED_DONE)
            end_attempt (self, NEXT_RECONNECT, stream_ended_error (self));
          else if (result == FWS_HTTP_CHUNKED_FAILED)
            {
              g_autofree char *url = url_for_people (self->target);

              g_prefix_error (&error, _("The event stream from %s: "), url);
              end_attempt (self, NEXT_RECONNECT, error);
            }
        }
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Whether @headers say the body is an event stream. */
static gboolean
is_event_stream (SoupMessageHeaders *headers)
{
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type != NULL && g_ascii_strcasecmp (type, "text/event-stream") == 0;
}

static void
follow_redirect (FwsEventSourceClient *self,
                 guint                 status,
                 SoupMessageHeaders   *headers)
{
  const char *location = soup_message_headers_get_one (headers, "Location");
  g_autofree char *url = url_for_people (self->target);
  GUri *next = NULL;

  if (self->redirects >= self->max_redirects)
    {
      end_attempt (self, NEXT_CLOSE,
                   g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                _("The server at %s redirected once more after %u redirects"),
                                url, self->redirects));
      return;
    }
  if (location != NULL)
    next = g_uri_parse_relative (self->target, location, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (next == NULL ||
      (g_ascii_strcasecmp (g_uri_get_scheme (next), "http") != 0 && !uri_is_https (next)) ||
      !fws_http_is_valid_host (g_uri_get_host (next)))
    {
      g_clear_pointer (&next, g_uri_unref);
      end_attempt (self, NEXT_CLOSE,
                   g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                _("The server at %s answered %u without an http or https URL to go to"),
                                url, status));
      return;
    }
  g_uri_unref (self->target);
  self->target = next;
  self->redirects++;
  end_attempt (self, NEXT_REDIRECT, NULL);
}

/* Sets up the body's framing; FALSE when it is one we cannot read. */
static gboolean
choose_framing (FwsEventSourceClient  *self,
                SoupMessageHeaders    *headers,
                GError               **error)
{
  const char *coding = soup_message_headers_get_list (headers, "Transfer-Encoding");

  if (coding != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (coding));

      if (g_ascii_strcasecmp (trimmed, "chunked") != 0)
        {
          g_autofree char *url = url_for_people (self->target);

          g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE,
                       _("The server at %s sent the event stream with Transfer-Encoding %s"), url, coding);
          return FALSE;
        }
      self->framing = BODY_CHUNKED;
      self->chunked = fws_http_chunked_decoder_new (FWS_HTTP_DEFAULT_MAX_LINE, FWS_HTTP_DEFAULT_MAX_TRAILERS);
    }
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      self->framing = BODY_LENGTH;
      self->length_left = (guint64) soup_message_headers_get_content_length (headers);
    }
  else
    self->framing = BODY_UNTIL_EOF;
  return TRUE;
}

static void
handle_head (FwsEventSourceClient *self)
{
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *url = url_for_people (self->target);
  GError *error = NULL;
  const char *head;
  gsize head_len = 0, max_line;
  guint status = 0;

  head = fws_http_head_reader_get_head (self->head, &head_len);
  if (!fws_http_parse_response (head, head_len, &status, &reason, &headers, &error))
    {
      g_prefix_error (&error, "%s: ", url);
      end_attempt (self, NEXT_RECONNECT, error);
      return;
    }
  fws_session_store_cookies (self->session, self->target, headers);

  switch (status)
    {
    case 200:
      break;
    case 204:
      end_attempt (self, NEXT_CLOSE,
                   g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                _("The server at %s answered 204 No Content: the stream is over"), url));
      return;
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
      follow_redirect (self, status, headers);
      return;
    default:
      end_attempt (self, NEXT_CLOSE,
                   g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                _("The server at %s answered %u %s instead of an event stream"),
                                url, status, reason ? reason : ""));
      return;
    }

  if (!is_event_stream (headers))
    {
      const char *type = soup_message_headers_get_one (headers, "Content-Type");

      end_attempt (self, NEXT_CLOSE,
                   g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                _("The server at %s answered with Content-Type %s instead of text/event-stream"),
                                url, type ? type : _("(none)")));
      return;
    }
  if (!choose_framing (self, headers, &error))
    {
      end_attempt (self, NEXT_CLOSE, error);
      return;
    }

  self->in_body = TRUE;
  self->redirects = 0;
  max_line = (gsize) MIN (self->max_line, G_MAXSIZE / 8);
  /* An id from a stream with a larger cap than this one is forgotten. */
  self->parser = fws_sse_parser_new (max_line, (gsize) MIN (self->max_event, G_MAXSIZE / 8),
                                     strlen (self->last_event_id) <= 3 * max_line ? self->last_event_id : NULL);
  fws_connection_clear_timer (self->conn, FWS_CONNECTION_TIMER_HANDSHAKE);
  fws_reconnect_reset (&self->reconnect);
  set_ready_state (self, FWS_READY_STATE_OPEN);
  g_signal_emit (self, signals[OPEN], 0);
  if (self->framing == BODY_LENGTH && self->length_left == 0 && !attempt_is_over (self))
    end_attempt (self, NEXT_RECONNECT, stream_ended_error (self));
}

/* ---- The shell's events ---- */

static void
conn_start_cb (GObject      *owner,
               const guint8 *early,
               gsize         len)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (owner);
  g_autoptr(GString) request = format_request (self);

  fws_transport_write (fws_connection_get_transport (self->conn), (const guint8 *) request->str, request->len);
}

static void
conn_received_cb (GObject      *owner,
                  const guint8 *data,
                  gsize         len)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (owner);

  while (len > 0 && !attempt_is_over (self))
    {
      if (!self->in_body)
        {
          GError *error = NULL;
          gssize used = fws_http_head_reader_feed (self->head, data, len, &error);

          if (used < 0)
            {
              g_autofree char *url = url_for_people (self->target);

              g_prefix_error (&error, "%s: ", url);
              end_attempt (self, NEXT_RECONNECT, error);
              return;
            }
          if (used == 0)
            return;
          data += used;
          len -= (gsize) used;
          handle_head (self);
          continue;
        }
      feed_body (self, data, len);
      return;
    }
}

static void
conn_failed_cb (GObject      *owner,
                const GError *error)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (owner);

  if (error != NULL)
    {
      g_autofree char *url = url_for_people (self->target);
      GError *copy = g_error_copy (error);

      g_prefix_error (&copy, _("The event stream from %s: "), url);
      end_attempt (self, NEXT_RECONNECT, copy);
    }
  else
    end_attempt (self, NEXT_RECONNECT, stream_ended_error (self));
}

static void
conn_timeout_cb (GObject            *owner,
                 FwsConnectionTimer  timer)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (owner);
  g_autofree char *url = url_for_people (self->target);

  if (timer != FWS_CONNECTION_TIMER_HANDSHAKE)
    return;
  end_attempt (self, NEXT_RECONNECT,
               g_error_new (FWS_ERROR, FWS_ERROR_TIMED_OUT,
                            _("The event stream from %s did not start within %u ms"),
                            url, self->handshake_timeout));
}

static gboolean step_cb (gpointer user_data);

static void
schedule_step (FwsEventSourceClient *self)
{
  if (self->step_source == NULL)
    self->step_source = attach_source (self, g_idle_source_new (), "fws-event-source-client-step", step_cb);
}

static void
conn_finished_cb (GObject *owner)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (owner);

  /* The shell is still in its own call: it is freed from the main loop. */
  schedule_step (self);
}

static const FwsConnectionCallbacks conn_callbacks = {
  conn_start_cb,
  conn_received_cb,
  conn_failed_cb,
  NULL,
  NULL,
  conn_timeout_cb,
  conn_finished_cb,
};

/* ---- Connecting ---- */

typedef struct
{
  FwsEventSourceClient *self;   /* (owned) */
  guint                 serial;
} Attempt;

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(FwsEventSourceClient) self = attempt->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) stream = fws_connector_connect_finish (result, &error);
  gboolean current = attempt->serial == self->serial;

  g_free (attempt);
  if (current)
    g_clear_object (&self->connecting);
  if (!current || attempt_is_over (self))
    {
      /* Timed out or closed: that was dealt with already. */
      if (stream != NULL)
        g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      return;
    }
  if (stream == NULL || !fws_connection_take_stream (self->conn, stream, &error))
    end_attempt (self, NEXT_RECONNECT, g_steal_pointer (&error));
}

static void
start_attempt (FwsEventSourceClient *self)
{
  FwsConnectorOptions options;
  Attempt *attempt;

  g_assert (self->conn == NULL);

  self->conn = fws_connection_new (G_OBJECT (self), &conn_callbacks);
  self->next = NEXT_RECONNECT;
  g_clear_error (&self->failure);
  self->head = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                         FWS_HTTP_DEFAULT_MAX_HEADERS);
  self->in_body = FALSE;
  self->framing = BODY_UNTIL_EOF;
  self->length_left = 0;
  /* One clock for name lookup, proxies, TLS and the response head. */
  fws_connection_set_timer (self->conn, FWS_CONNECTION_TIMER_HANDSHAKE, self->handshake_timeout);

  self->serial++;
  self->connecting = g_cancellable_new ();
  attempt = g_new (Attempt, 1);
  attempt->self = g_object_ref (self);
  attempt->serial = self->serial;
  fws_session_connector_options (self->session, &self->options, &options);
  fws_connector_connect_async (self->target, &options, self->connecting, connected_cb, attempt);
}

/* Forgets the finished attempt. */
static void
clear_attempt (FwsEventSourceClient *self)
{
  if (self->connecting != NULL)
    {
      g_cancellable_cancel (self->connecting);
      g_clear_object (&self->connecting);
    }
  g_clear_pointer (&self->conn, fws_connection_free);
  g_clear_pointer (&self->head, fws_http_head_reader_free);
  g_clear_pointer (&self->chunked, fws_http_chunked_decoder_free);
  g_clear_pointer (&self->parser, fws_sse_parser_free);
  self->in_body = FALSE;
}

static void
restart_from_url (FwsEventSourceClient *self)
{
  g_clear_pointer (&self->target, g_uri_unref);
  self->target = g_uri_ref (self->uri);
  self->redirects = 0;
  start_attempt (self);
}

static void
reconnect_cb (gpointer user_data)
{
  FwsEventSourceClient *self = user_data;

  if (self->ready_state == FWS_READY_STATE_CONNECTING && self->conn == NULL)
    restart_from_url (self);
}

/* The server's reconnection time, then backoff for attempts in a row. */
static guint
reconnect_delay (FwsEventSourceClient *self,
                 guint                 attempt)
{
  guint64 delay = (guint64) self->reconnection_time + fws_reconnect_backoff (&self->reconnect, attempt - 1);

  return (guint) MIN (delay, G_MAXUINT);
}

/* What happens once an attempt finished: follow a redirect, report and
 * wait to reconnect, or report and stop. */
static void
after_attempt (FwsEventSourceClient *self)
{
  g_autoptr(GError) failure = g_steal_pointer (&self->failure);
  Next next = self->next;

  clear_attempt (self);
  if (self->ready_state == FWS_READY_STATE_CLOSED)
    return;  /* close() was called: nothing more is reported */

  switch (next)
    {
    case NEXT_REDIRECT:
      start_attempt (self);
      break;
    case NEXT_CLOSE:
      set_ready_state (self, FWS_READY_STATE_CLOSED);
      if (failure != NULL)
        g_signal_emit (self, signals[ERROR], 0, failure);
      break;
    case NEXT_RECONNECT:
    default:
      {
        guint attempt = 0, delay;

        if (!fws_reconnect_next (&self->reconnect, &attempt))
          {
            /* Reconnecting is off, or the attempts are used up. */
            set_ready_state (self, FWS_READY_STATE_CLOSED);
            if (failure != NULL)
              g_signal_emit (self, signals[ERROR], 0, failure);
            break;
          }
        set_ready_state (self, FWS_READY_STATE_CONNECTING);
        if (failure != NULL)
          g_signal_emit (self, signals[ERROR], 0, failure);
        if (self->ready_state != FWS_READY_STATE_CONNECTING || fws_reconnect_is_waiting (&self->reconnect))
          break;
        delay = reconnect_delay (self, attempt);
        self->reconnect.loopback = fws_reconnect_host_is_loopback (g_uri_get_host (self->uri));
        fws_reconnect_wait (&self->reconnect, delay);
        if (failure == NULL)
          failure = g_error_new_literal (FWS_ERROR, FWS_ERROR_CLOSED, _("The event stream ended"));
        g_signal_emit (self, signals[RECONNECTING], 0, attempt, delay, failure);
      }
      break;
    }
}

static gboolean
step_cb (gpointer user_data)
{
  g_autoptr(FwsEventSourceClient) self = g_object_ref (user_data);

  g_clear_pointer (&self->step_source, g_source_unref);
  if (self->conn != NULL && fws_connection_is_finished (self->conn))
    after_attempt (self);
  else if (self->conn == NULL && !fws_reconnect_is_waiting (&self->reconnect) &&
           self->ready_state == FWS_READY_STATE_CONNECTING)
    {
      /* The first attempt. */
      if (self->uri != NULL)
        restart_from_url (self);
      else
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GUri) uri = parse_url (self->url ? self->url : "", &error);

          g_assert (uri == NULL);
          set_ready_state (self, FWS_READY_STATE_CLOSED);
          g_signal_emit (self, signals[ERROR], 0, error);
        }
    }

  if (self->ready_state == FWS_READY_STATE_CLOSED && self->conn == NULL && self->held)
    {
      self->held = FALSE;
      g_object_unref (self);
    }
  return G_SOURCE_REMOVE;
}

/* ---- Public API ---- */

/**
 * fws_event_source_client_new:
 * @url: an `http://` or `https://` URL
 * @error: return location for a [struct@GLib.Error]
 *
 * Makes a client that connects to @url when the main loop next runs. Other
 * options are properties: set them before returning to the main loop, or
 * construct with [ctor@GObject.Object.new] (`url` is then checked when
 * connecting, and a bad one is reported with the `error` signal).
 *
 * Returns: (transfer full) (nullable): the client, or %NULL if @url is not
 *   an `http://` or `https://` URL
 * Since: 0.2
 */
FwsEventSourceClient *
fws_event_source_client_new (const char  *url,
                             GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = parse_url (url, error);
  if (uri == NULL)
    return NULL;
  return g_object_new (FWS_TYPE_EVENT_SOURCE_CLIENT, "url", url, NULL);
}

/**
 * fws_event_source_client_close:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Stops the client, as `EventSource.close()` does: the connection (or the
 * wait before reconnecting) ends, ready-state is %FWS_READY_STATE_CLOSED
 * when this returns, and no more signals are emitted. Calling it again does
 * nothing.
 *
 * Since: 0.2
 */
void
fws_event_source_client_close (FwsEventSourceClient *self)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));

  if (self->ready_state == FWS_READY_STATE_CLOSED)
    return;
  set_ready_state (self, FWS_READY_STATE_CLOSED);
  fws_reconnect_stop (&self->reconnect);
  if (self->connecting != NULL)
    g_cancellable_cancel (self->connecting);
  if (self->conn != NULL && !fws_connection_is_finished (self->conn))
    fws_connection_finish (self->conn, FALSE);
  /* The reference the client held on itself goes from the main loop. */
  schedule_step (self);
}

/**
 * fws_event_source_client_get_url:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:url].
 *
 * Returns: (nullable): the URL the client was made with
 * Since: 0.2
 */
const char *
fws_event_source_client_get_url (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->url;
}

/**
 * fws_event_source_client_get_ready_state:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:ready-state].
 *
 * Returns: %FWS_READY_STATE_CONNECTING, %FWS_READY_STATE_OPEN or
 *   %FWS_READY_STATE_CLOSED
 * Since: 0.2
 */
FwsReadyState
fws_event_source_client_get_ready_state (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), FWS_READY_STATE_CLOSED);
  return self->ready_state;
}

/**
 * fws_event_source_client_get_last_event_id:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:last-event-id].
 *
 * Returns: the last event id the stream set, or ""
 * Since: 0.2
 */
const char *
fws_event_source_client_get_last_event_id (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->last_event_id;
}

/**
 * fws_event_source_client_get_reconnection_time:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:reconnection-time].
 *
 * Returns: the wait before reconnecting, in milliseconds
 * Since: 0.2
 */
guint
fws_event_source_client_get_reconnection_time (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->reconnection_time;
}

/**
 * fws_event_source_client_set_reconnection_time:
 * @self: a [class@Fws.EventSourceClient]
 * @msec: the wait before reconnecting, in milliseconds
 *
 * Sets [property@Fws.EventSourceClient:reconnection-time].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_reconnection_time (FwsEventSourceClient *self,
                                               guint                 msec)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->reconnection_time == msec)
    return;
  self->reconnection_time = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECTION_TIME]);
}

/**
 * fws_event_source_client_get_reconnect:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:reconnect].
 *
 * Returns: whether the client connects again after the stream ended or
 *   failed
 * Since: 0.2
 */
gboolean
fws_event_source_client_get_reconnect (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), FALSE);
  return self->reconnect.enabled;
}

/**
 * fws_event_source_client_set_reconnect:
 * @self: a [class@Fws.EventSourceClient]
 * @reconnect: %FALSE to stop when the stream ends or fails
 *
 * Sets [property@Fws.EventSourceClient:reconnect].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_reconnect (FwsEventSourceClient *self,
                                       gboolean              reconnect)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  reconnect = !!reconnect;
  if (self->reconnect.enabled == reconnect)
    return;
  self->reconnect.enabled = reconnect;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT]);
}

/**
 * fws_event_source_client_get_reconnect_initial_delay:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:reconnect-initial-delay].
 *
 * Returns: the cap of the first backoff, in milliseconds
 * Since: 0.2
 */
guint
fws_event_source_client_get_reconnect_initial_delay (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->reconnect.initial_delay;
}

/**
 * fws_event_source_client_set_reconnect_initial_delay:
 * @self: a [class@Fws.EventSourceClient]
 * @msec: the cap of the first backoff, in milliseconds
 *
 * Sets [property@Fws.EventSourceClient:reconnect-initial-delay].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_reconnect_initial_delay (FwsEventSourceClient *self,
                                                     guint                 msec)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->reconnect.initial_delay == msec)
    return;
  self->reconnect.initial_delay = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_INITIAL_DELAY]);
}

/**
 * fws_event_source_client_get_reconnect_max_delay:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:reconnect-max-delay].
 *
 * Returns: the longest backoff, in milliseconds
 * Since: 0.2
 */
guint
fws_event_source_client_get_reconnect_max_delay (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->reconnect.max_delay;
}

/**
 * fws_event_source_client_set_reconnect_max_delay:
 * @self: a [class@Fws.EventSourceClient]
 * @msec: the longest backoff, in milliseconds
 *
 * Sets [property@Fws.EventSourceClient:reconnect-max-delay].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_reconnect_max_delay (FwsEventSourceClient *self,
                                                 guint                 msec)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->reconnect.max_delay == msec)
    return;
  self->reconnect.max_delay = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_MAX_DELAY]);
}

/**
 * fws_event_source_client_get_reconnect_max_attempts:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:reconnect-max-attempts].
 *
 * Returns: how many attempts in a row are made, or 0 for no limit
 * Since: 0.2
 */
guint
fws_event_source_client_get_reconnect_max_attempts (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->reconnect.max_attempts;
}

/**
 * fws_event_source_client_set_reconnect_max_attempts:
 * @self: a [class@Fws.EventSourceClient]
 * @max_attempts: how many attempts in a row to make, or 0 for no limit
 *
 * Sets [property@Fws.EventSourceClient:reconnect-max-attempts].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_reconnect_max_attempts (FwsEventSourceClient *self,
                                                    guint                 max_attempts)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->reconnect.max_attempts == max_attempts)
    return;
  self->reconnect.max_attempts = max_attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_MAX_ATTEMPTS]);
}

/**
 * fws_event_source_client_get_network_monitor:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:network-monitor].
 *
 * Returns: (transfer none) (nullable): the network monitor watched while
 *   waiting to reconnect
 * Since: 0.2
 */
GNetworkMonitor *
fws_event_source_client_get_network_monitor (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return fws_reconnect_get_monitor (&self->reconnect);
}

/**
 * fws_event_source_client_set_network_monitor:
 * @self: a [class@Fws.EventSourceClient]
 * @monitor: (nullable): the network monitor to watch, or %NULL to watch
 *   none
 *
 * Sets [property@Fws.EventSourceClient:network-monitor].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_network_monitor (FwsEventSourceClient *self,
                                             GNetworkMonitor      *monitor)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  g_return_if_fail (monitor == NULL || G_IS_NETWORK_MONITOR (monitor));
  if (fws_reconnect_set_monitor (&self->reconnect, monitor))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_MONITOR]);
}

/**
 * fws_event_source_client_get_handshake_timeout:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:handshake-timeout].
 *
 * Returns: the time a connection has to start the stream, in milliseconds
 * Since: 0.2
 */
guint
fws_event_source_client_get_handshake_timeout (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->handshake_timeout;
}

/**
 * fws_event_source_client_set_handshake_timeout:
 * @self: a [class@Fws.EventSourceClient]
 * @msec: the time a connection has to start the stream, in milliseconds;
 *   0 for no limit
 *
 * Sets [property@Fws.EventSourceClient:handshake-timeout].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_handshake_timeout (FwsEventSourceClient *self,
                                               guint                 msec)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->handshake_timeout == msec)
    return;
  self->handshake_timeout = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HANDSHAKE_TIMEOUT]);
}

/**
 * fws_event_source_client_get_max_redirects:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:max-redirects].
 *
 * Returns: how many redirects in a row are followed
 * Since: 0.2
 */
guint
fws_event_source_client_get_max_redirects (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->max_redirects;
}

/**
 * fws_event_source_client_set_max_redirects:
 * @self: a [class@Fws.EventSourceClient]
 * @max_redirects: how many redirects in a row to follow; 0 for none
 *
 * Sets [property@Fws.EventSourceClient:max-redirects].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_max_redirects (FwsEventSourceClient *self,
                                           guint                 max_redirects)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->max_redirects == max_redirects)
    return;
  self->max_redirects = max_redirects;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_REDIRECTS]);
}

/**
 * fws_event_source_client_get_max_line_length:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:max-line-length].
 *
 * Returns: the longest line accepted, in bytes
 * Since: 0.2
 */
guint64
fws_event_source_client_get_max_line_length (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->max_line;
}

/**
 * fws_event_source_client_set_max_line_length:
 * @self: a [class@Fws.EventSourceClient]
 * @max_line_length: the longest line to accept, in bytes (at least 1)
 *
 * Sets [property@Fws.EventSourceClient:max-line-length].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_max_line_length (FwsEventSourceClient *self,
                                             guint64               max_line_length)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  g_return_if_fail (max_line_length >= 1);
  if (self->max_line == max_line_length)
    return;
  self->max_line = max_line_length;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LINE_LENGTH]);
}

/**
 * fws_event_source_client_get_max_event_size:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:max-event-size].
 *
 * Returns: the largest event data accepted, in bytes
 * Since: 0.2
 */
guint64
fws_event_source_client_get_max_event_size (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), 0);
  return self->max_event;
}

/**
 * fws_event_source_client_set_max_event_size:
 * @self: a [class@Fws.EventSourceClient]
 * @max_event_size: the largest event data to accept, in bytes (at least 1)
 *
 * Sets [property@Fws.EventSourceClient:max-event-size].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_max_event_size (FwsEventSourceClient *self,
                                            guint64               max_event_size)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  g_return_if_fail (max_event_size >= 1);
  if (self->max_event == max_event_size)
    return;
  self->max_event = max_event_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_EVENT_SIZE]);
}

/**
 * fws_event_source_client_get_extra_headers:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:extra-headers].
 *
 * Returns: (transfer none) (nullable): the headers added to each request
 * Since: 0.2
 */
SoupMessageHeaders *
fws_event_source_client_get_extra_headers (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->extra_headers;
}

/**
 * fws_event_source_client_set_extra_headers:
 * @self: a [class@Fws.EventSourceClient]
 * @headers: (nullable): headers to add to each request
 *
 * Sets [property@Fws.EventSourceClient:extra-headers].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_extra_headers (FwsEventSourceClient *self,
                                           SoupMessageHeaders   *headers)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (self->extra_headers == headers)
    return;
  g_clear_pointer (&self->extra_headers, soup_message_headers_unref);
  self->extra_headers = headers ? soup_message_headers_ref (headers) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTRA_HEADERS]);
}

/**
 * fws_event_source_client_get_tls_verify:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:tls-verify].
 *
 * Returns: whether the server's TLS certificate is verified
 * Since: 0.2
 */
gboolean
fws_event_source_client_get_tls_verify (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), TRUE);
  return self->options.tls_verify;
}

/**
 * fws_event_source_client_set_tls_verify:
 * @self: a [class@Fws.EventSourceClient]
 * @verify: %FALSE to accept any certificate
 *
 * Sets [property@Fws.EventSourceClient:tls-verify].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_tls_verify (FwsEventSourceClient *self,
                                        gboolean              verify)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (fws_connector_options_set_tls_verify (&self->options, verify))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_VERIFY]);
}

/**
 * fws_event_source_client_get_tls_ca_files:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:tls-ca-files].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the files
 *   of trusted certificate authorities
 * Since: 0.2
 */
const char * const *
fws_event_source_client_get_tls_ca_files (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return (const char * const *) self->options.tls_ca_files;
}

/**
 * fws_event_source_client_set_tls_ca_files:
 * @self: a [class@Fws.EventSourceClient]
 * @files: (nullable) (array zero-terminated=1): PEM files of trusted
 *   certificate authorities
 *
 * Sets [property@Fws.EventSourceClient:tls-ca-files].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_tls_ca_files (FwsEventSourceClient *self,
                                          const char * const   *files)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (fws_connector_options_set_tls_ca_files (&self->options, files))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CA_FILES]);
}

/**
 * fws_event_source_client_get_tls_database:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:tls-database].
 *
 * Returns: (transfer none) (nullable): the database of trusted certificate
 *   authorities
 * Since: 0.2
 */
GTlsDatabase *
fws_event_source_client_get_tls_database (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->options.tls_database;
}

/**
 * fws_event_source_client_set_tls_database:
 * @self: a [class@Fws.EventSourceClient]
 * @database: (nullable): a database of trusted certificate authorities
 *
 * Sets [property@Fws.EventSourceClient:tls-database].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_tls_database (FwsEventSourceClient *self,
                                          GTlsDatabase         *database)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));
  if (fws_connector_options_set_tls_database (&self->options, database))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}

/**
 * fws_event_source_client_get_tls_certificate:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:tls-certificate].
 *
 * Returns: (transfer none) (nullable): the client certificate
 * Since: 0.2
 */
GTlsCertificate *
fws_event_source_client_get_tls_certificate (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->options.tls_certificate;
}

/**
 * fws_event_source_client_set_tls_certificate:
 * @self: a [class@Fws.EventSourceClient]
 * @certificate: (nullable): a certificate with its private key
 *
 * Sets [property@Fws.EventSourceClient:tls-certificate].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_tls_certificate (FwsEventSourceClient *self,
                                             GTlsCertificate      *certificate)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));
  if (fws_connector_options_set_tls_certificate (&self->options, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * fws_event_source_client_get_proxy:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:proxy].
 *
 * Returns: (nullable): the URL of the proxy to go through
 * Since: 0.2
 */
const char *
fws_event_source_client_get_proxy (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->options.proxy;
}

/**
 * fws_event_source_client_set_proxy:
 * @self: a [class@Fws.EventSourceClient]
 * @proxy: (nullable): a proxy URL such as `http://user:password@host:3128`,
 *   or %NULL for the system's settings
 *
 * Sets [property@Fws.EventSourceClient:proxy]. A malformed URL is reported
 * when connecting, with the `error` signal.
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_proxy (FwsEventSourceClient *self,
                                   const char           *proxy)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (fws_connector_options_set_proxy (&self->options, proxy))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY]);
}

/**
 * fws_event_source_client_get_use_system_proxy:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:use-system-proxy].
 *
 * Returns: whether the system's proxy settings apply when
 *   [property@Fws.EventSourceClient:proxy] is not set
 * Since: 0.2
 */
gboolean
fws_event_source_client_get_use_system_proxy (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), TRUE);
  return self->options.use_system_proxy;
}

/**
 * fws_event_source_client_set_use_system_proxy:
 * @self: a [class@Fws.EventSourceClient]
 * @use_system_proxy: %FALSE to connect directly unless
 *   [property@Fws.EventSourceClient:proxy] is set
 *
 * Sets [property@Fws.EventSourceClient:use-system-proxy].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_use_system_proxy (FwsEventSourceClient *self,
                                              gboolean              use_system_proxy)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  if (fws_connector_options_set_use_system_proxy (&self->options, use_system_proxy))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_SYSTEM_PROXY]);
}

/**
 * fws_event_source_client_get_session:
 * @self: a [class@Fws.EventSourceClient]
 *
 * Gets [property@Fws.EventSourceClient:session].
 *
 * Returns: (transfer none) (nullable): the session whose cookies, user
 *   agent, TLS database and proxy resolver the client uses
 * Since: 0.2
 */
SoupSession *
fws_event_source_client_get_session (FwsEventSourceClient *self)
{
  g_return_val_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self), NULL);
  return self->session;
}

/**
 * fws_event_source_client_set_session:
 * @self: a [class@Fws.EventSourceClient]
 * @session: (nullable): a session to take cookies, the user agent, the TLS
 *   database and the proxy resolver from
 *
 * Sets [property@Fws.EventSourceClient:session].
 *
 * Since: 0.2
 */
void
fws_event_source_client_set_session (FwsEventSourceClient *self,
                                     SoupSession          *session)
{
  g_return_if_fail (FWS_IS_EVENT_SOURCE_CLIENT (self));
  g_return_if_fail (session == NULL || SOUP_IS_SESSION (session));
  if (g_set_object (&self->session, session))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

/* ---- GObject ---- */

static void
fws_event_source_client_constructed (GObject *object)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (object);

  G_OBJECT_CLASS (fws_event_source_client_parent_class)->constructed (object);
  self->uri = self->url ? parse_url (self->url, NULL) : NULL;
  /* Alive until CLOSED; the first attempt starts from the main loop. */
  self->held = TRUE;
  g_object_ref (self);
  schedule_step (self);
}

static void
fws_event_source_client_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, fws_event_source_client_get_url (self));
      break;
    case PROP_READY_STATE:
      g_value_set_enum (value, fws_event_source_client_get_ready_state (self));
      break;
    case PROP_LAST_EVENT_ID:
      g_value_set_string (value, fws_event_source_client_get_last_event_id (self));
      break;
    case PROP_RECONNECTION_TIME:
      g_value_set_uint (value, fws_event_source_client_get_reconnection_time (self));
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, fws_event_source_client_get_reconnect (self));
      break;
    case PROP_RECONNECT_INITIAL_DELAY:
      g_value_set_uint (value, fws_event_source_client_get_reconnect_initial_delay (self));
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_uint (value, fws_event_source_client_get_reconnect_max_delay (self));
      break;
    case PROP_RECONNECT_MAX_ATTEMPTS:
      g_value_set_uint (value, fws_event_source_client_get_reconnect_max_attempts (self));
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, fws_event_source_client_get_network_monitor (self));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, fws_event_source_client_get_handshake_timeout (self));
      break;
    case PROP_MAX_REDIRECTS:
      g_value_set_uint (value, fws_event_source_client_get_max_redirects (self));
      break;
    case PROP_MAX_LINE_LENGTH:
      g_value_set_uint64 (value, fws_event_source_client_get_max_line_length (self));
      break;
    case PROP_MAX_EVENT_SIZE:
      g_value_set_uint64 (value, fws_event_source_client_get_max_event_size (self));
      break;
    case PROP_EXTRA_HEADERS:
      g_value_set_boxed (value, fws_event_source_client_get_extra_headers (self));
      break;
    case PROP_TLS_VERIFY:
      g_value_set_boolean (value, fws_event_source_client_get_tls_verify (self));
      break;
    case PROP_TLS_CA_FILES:
      g_value_set_boxed (value, fws_event_source_client_get_tls_ca_files (self));
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, fws_event_source_client_get_tls_database (self));
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, fws_event_source_client_get_tls_certificate (self));
      break;
    case PROP_PROXY:
      g_value_set_string (value, fws_event_source_client_get_proxy (self));
      break;
    case PROP_USE_SYSTEM_PROXY:
      g_value_set_boolean (value, fws_event_source_client_get_use_system_proxy (self));
      break;

    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_event_source_client_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      break;
    case PROP_RECONNECTION_TIME:
      fws_event_source_client_set_reconnection_time (self, g_value_get_uint (value));
      break;
    case PROP_RECONNECT:
      fws_event_source_client_set_reconnect (self, g_value_get_boolean (value));
      break;
    case PROP_RECONNECT_INITIAL_DELAY:
      fws_event_source_client_set_reconnect_initial_delay (self, g_value_get_uint (value));
      break;
    case PROP_RECONNECT_MAX_DELAY:
      fws_event_source_client_set_reconnect_max_delay (self, g_value_get_uint (value));
      break;
    case PROP_RECONNECT_MAX_ATTEMPTS:
      fws_event_source_client_set_reconnect_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_NETWORK_MONITOR:
      fws_event_source_client_set_network_monitor (self, g_value_get_object (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      fws_event_source_client_set_handshake_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_REDIRECTS:
      fws_event_source_client_set_max_redirects (self, g_value_get_uint (value));
      break;
    case PROP_MAX_LINE_LENGTH:
      fws_event_source_client_set_max_line_length (self, g_value_get_uint64 (value));
      break;
    case PROP_MAX_EVENT_SIZE:
      fws_event_source_client_set_max_event_size (self, g_value_get_uint64 (value));
      break;
    case PROP_EXTRA_HEADERS:
      fws_event_source_client_set_extra_headers (self, g_value_get_boxed (value));
      break;
    case PROP_TLS_VERIFY:
      fws_event_source_client_set_tls_verify (self, g_value_get_boolean (value));
      break;
    case PROP_TLS_CA_FILES:
      fws_event_source_client_set_tls_ca_files (self, g_value_get_boxed (value));
      break;
    case PROP_TLS_DATABASE:
      fws_event_source_client_set_tls_database (self, g_value_get_object (value));
      break;
    case PROP_TLS_CERTIFICATE:
      fws_event_source_client_set_tls_certificate (self, g_value_get_object (value));
      break;
    case PROP_PROXY:
      fws_event_source_client_set_proxy (self, g_value_get_string (value));
      break;
    case PROP_USE_SYSTEM_PROXY:
      fws_event_source_client_set_use_system_proxy (self, g_value_get_boolean (value));
      break;

    case PROP_SESSION:
      fws_event_source_client_set_session (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_event_source_client_dispose (GObject *object)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (object);

  destroy_source (&self->step_source);
  fws_reconnect_clear (&self->reconnect);
  clear_attempt (self);
  G_OBJECT_CLASS (fws_event_source_client_parent_class)->dispose (object);
}

static void
fws_event_source_client_finalize (GObject *object)
{
  FwsEventSourceClient *self = FWS_EVENT_SOURCE_CLIENT (object);

  g_assert (self->conn == NULL);
  g_clear_error (&self->failure);
  g_clear_pointer (&self->target, g_uri_unref);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_free (self->url);
  g_free (self->last_event_id);
  g_clear_pointer (&self->extra_headers, soup_message_headers_unref);
  fws_connector_options_clear (&self->options);
  g_clear_object (&self->session);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (fws_event_source_client_parent_class)->finalize (object);
}

static void
fws_event_source_client_class_init (FwsEventSourceClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();

  object_class->constructed = fws_event_source_client_constructed;
  object_class->get_property = fws_event_source_client_get_property;
  object_class->set_property = fws_event_source_client_set_property;
  object_class->dispose = fws_event_source_client_dispose;
  object_class->finalize = fws_event_source_client_finalize;

  /**
   * FwsEventSourceClient:url:
   *
   * The `http://` or `https://` URL of the event stream, as given. After a
   * redirect the stream comes from another URL, but a reconnection starts
   * from this one again.
   *
   * Since: 0.2
   */
  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:ready-state:
   *
   * %FWS_READY_STATE_CONNECTING while connecting or waiting to reconnect,
   * %FWS_READY_STATE_OPEN while the stream is read, %FWS_READY_STATE_CLOSED
   * once the client stopped for good. It is never
   * %FWS_READY_STATE_CLOSING.
   *
   * Since: 0.2
   */
  properties[PROP_READY_STATE] =
    g_param_spec_enum ("ready-state", NULL, NULL, FWS_TYPE_READY_STATE, FWS_READY_STATE_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:last-event-id:
   *
   * The last event id the stream set with an `id` field (kept across
   * reconnections, and sent as `Last-Event-ID` when reconnecting), or "".
   *
   * Since: 0.2
   */
  properties[PROP_LAST_EVENT_ID] =
    g_param_spec_string ("last-event-id", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:reconnection-time:
   *
   * How long to wait, in milliseconds, before connecting again after the
   * connection ended or failed. It starts at 3000, as browsers wait about
   * three seconds, and each `retry` field of the stream sets it.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECTION_TIME] =
    g_param_spec_uint ("reconnection-time", NULL, NULL, 0, G_MAXUINT, DEFAULT_RECONNECTION_TIME_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:reconnect:
   *
   * Whether the client connects again after the stream ended or failed,
   * as the standard says. Default %TRUE (unlike
   * [property@Fws.Client:reconnect]); %FALSE stops the client
   * (%FWS_READY_STATE_CLOSED) at the first end or failure.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT] =
    g_param_spec_boolean ("reconnect", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:reconnect-initial-delay:
   *
   * The cap, in milliseconds, of the backoff added to
   * [property@Fws.EventSourceClient:reconnection-time] for the second
   * attempt in a row; it doubles with each further attempt, up to
   * [property@Fws.EventSourceClient:reconnect-max-delay], and each backoff
   * is chosen at random below its cap. Default 1000.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT_INITIAL_DELAY] =
    g_param_spec_uint ("reconnect-initial-delay", NULL, NULL, 0, G_MAXUINT,
                       FWS_RECONNECT_DEFAULT_INITIAL_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:reconnect-max-delay:
   *
   * The longest backoff, in milliseconds, added to
   * [property@Fws.EventSourceClient:reconnection-time]. Default 30000.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT_MAX_DELAY] =
    g_param_spec_uint ("reconnect-max-delay", NULL, NULL, 0, G_MAXUINT,
                       FWS_RECONNECT_DEFAULT_MAX_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:reconnect-max-attempts:
   *
   * How many attempts to reconnect are made in a row (counting from the
   * last stream that opened) before the client stops. 0, the default,
   * means no limit, as the standard has it.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT_MAX_ATTEMPTS] =
    g_param_spec_uint ("reconnect-max-attempts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:network-monitor:
   *
   * The network monitor watched while waiting to reconnect: no attempt is
   * made while its [property@Gio.NetworkMonitor:network-available] is
   * %FALSE, and the client reconnects at once when it turns %TRUE. It is
   * [func@Gio.NetworkMonitor.get_default] unless set; set it to %NULL to
   * watch none. Its notifications are expected in the client's main
   * context.
   * The default monitor follows the system's default route, which a
   * loopback URL (`localhost`, 127.0.0.0/8, `::1`) does not need: it is
   * not consulted for one.
   *
   * Since: 0.2
   */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:handshake-timeout:
   *
   * How long, in milliseconds, each connection has to resolve the name,
   * get through a proxy and TLS, and receive the response head; one that
   * takes longer is dropped and retried like a network error. 0 means no
   * limit. Default 30000.
   *
   * Since: 0.2
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL, 0, G_MAXUINT, DEFAULT_HANDSHAKE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:max-redirects:
   *
   * How many redirects in a row are followed before the client stops with
   * an error. Default 10.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_REDIRECTS] =
    g_param_spec_uint ("max-redirects", NULL, NULL, 0, G_MAXUINT, DEFAULT_MAX_REDIRECTS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:max-line-length:
   *
   * The longest line of the stream accepted, in bytes, its line end not
   * counted. A longer line (a peer that never ends one) stops the client
   * with an %FWS_ERROR_TOO_LARGE error, before more than this is held.
   * Default 1 MiB. It applies from the next connection on.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_LINE_LENGTH] =
    g_param_spec_uint64 ("max-line-length", NULL, NULL, 1, G_MAXUINT64, FWS_SSE_PARSER_DEFAULT_MAX_LINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:max-event-size:
   *
   * The largest data of one event accepted, in bytes (its data lines
   * joined). A larger event stops the client with an %FWS_ERROR_TOO_LARGE
   * error. Default 16 MiB. It applies from the next connection on.
   *
   * Since: 0.2
   */
  properties[PROP_MAX_EVENT_SIZE] =
    g_param_spec_uint64 ("max-event-size", NULL, NULL, 1, G_MAXUINT64, FWS_SSE_PARSER_DEFAULT_MAX_EVENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:extra-headers:
   *
   * Headers added, in order, to each request (an `Origin`, a
   * `Cookie`, an `Authorization` token). They cannot replace `Host`,
   * `Accept`, `Cache-Control`, `Last-Event-ID`, `Connection`, `Upgrade`,
   * `Content-Length`, `Transfer-Encoding`, nor the `Authorization` made
   * from a user in the URL; such lines, and lines with control characters,
   * are skipped. After a redirect to another origin (scheme, host or
   * port), `Authorization` and `Cookie` lines are not sent.
   *
   * Since: 0.2
   */
  properties[PROP_EXTRA_HEADERS] =
    g_param_spec_boxed ("extra-headers", NULL, NULL, SOUP_TYPE_MESSAGE_HEADERS,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:tls-verify:
   *
   * Whether the server's TLS certificate must be signed by a trusted
   * certificate authority, be valid now and match the host name of the
   * URL. Set it to %FALSE to accept any certificate, which lets anyone on
   * the path read and change the traffic. It also applies to an `https://`
   * proxy.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_VERIFY] =
    g_param_spec_boolean ("tls-verify", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:tls-ca-files:
   *
   * PEM files of certificate authorities to trust instead of the system's;
   * a certificate signed by any of them (or by
   * [property@Fws.EventSourceClient:tls-database]) is accepted.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_CA_FILES] =
    g_param_spec_boxed ("tls-ca-files", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:tls-database:
   *
   * A database of certificate authorities to trust instead of the
   * system's (together with [property@Fws.EventSourceClient:tls-ca-files],
   * if set).
   *
   * Since: 0.2
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL, G_TYPE_TLS_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:tls-certificate:
   *
   * A certificate, with its private key, to present to a server that asks
   * for one.
   *
   * Since: 0.2
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:proxy:
   *
   * The proxy to go through, as a URL: `http://host:port` or
   * `https://host:port` for an HTTP proxy, which is asked for a tunnel with
   * `CONNECT` (a `user:password@` in the URL is sent as
   * `Proxy-Authorization: Basic`), or `socks5://host:port` (also `socks4`,
   * `socks4a`, `socks`). When %NULL, the system's proxy settings apply
   * (see [property@Fws.EventSourceClient:use-system-proxy]).
   *
   * Since: 0.2
   */
  properties[PROP_PROXY] =
    g_param_spec_string ("proxy", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:use-system-proxy:
   *
   * Whether the system's proxy settings (through the default
   * [iface@Gio.ProxyResolver]) apply when
   * [property@Fws.EventSourceClient:proxy] is not set.
   *
   * Since: 0.2
   */
  properties[PROP_USE_SYSTEM_PROXY] =
    g_param_spec_boolean ("use-system-proxy", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsEventSourceClient:session:
   *
   * A [class@Soup.Session] whose [class@Soup.CookieJar] (cookies sent with
   * each request, `Set-Cookie` of each response stored), user agent, TLS
   * database and proxy resolver the client uses, as a request of that
   * session would. The client's own
   * [property@Fws.EventSourceClient:tls-database],
   * [property@Fws.EventSourceClient:tls-ca-files] and
   * [property@Fws.EventSourceClient:proxy] win over the session's; a
   * `User-Agent` or `Cookie` in
   * [property@Fws.EventSourceClient:extra-headers] is kept (its cookies
   * after the jar's, and only for the origin of
   * [property@Fws.EventSourceClient:url]). It applies from the next
   * connection on.
   *
   * Since: 0.2
   */
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, SOUP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FwsEventSourceClient::open:
   * @self: the client
   *
   * The server answered with an event stream: ready-state is
   * %FWS_READY_STATE_OPEN. Emitted again after each reconnection.
   *
   * Since: 0.2
   */
  signals[OPEN] = g_signal_new ("open", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, fws_marshal_VOID__VOID, G_TYPE_NONE, 0);
  g_signal_set_va_marshaller (signals[OPEN], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__VOIDv);

  /**
   * FwsEventSourceClient::message:
   * @self: the client
   * @type: the event type: the `event` field, or "message" when there was
   *   none
   * @data: the event's data lines, joined with LF (a U+0000 in it ends the
   *   string as C sees it)
   * @last_event_id: the last event id when the event was dispatched, or ""
   *
   * An event arrived. Unlike the browser's, every event type comes through
   * this one signal: compare @type.
   *
   * Since: 0.2
   */
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                   G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                                   G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                                   G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * FwsEventSourceClient::error:
   * @self: the client
   * @error: what went wrong
   *
   * The connection failed or ended. This is informational, as in the
   * browser's API: look at ready-state, which is
   * %FWS_READY_STATE_CONNECTING when the client will connect again after
   * [property@Fws.EventSourceClient:reconnection-time], and
   * %FWS_READY_STATE_CLOSED when it stopped for good.
   *
   * Since: 0.2
   */
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, fws_marshal_VOID__BOXED, G_TYPE_NONE, 1, G_TYPE_ERROR);
  g_signal_set_va_marshaller (signals[ERROR], G_TYPE_FROM_CLASS (klass), fws_marshal_VOID__BOXEDv);

  /**
   * FwsEventSourceClient::reconnecting:
   * @self: the client
   * @attempt: the number of this attempt: 1 for the first after a stream
   *   that had opened
   * @delay: the wait before it, in milliseconds (longer while the network
   *   is unavailable, shorter if it comes back)
   * @error: why the stream ended
   *
   * The client will connect again; ready-state is
   * %FWS_READY_STATE_CONNECTING. Emitted right after
   * [signal@Fws.EventSourceClient::error].
   *
   * Since: 0.2
   */
  signals[RECONNECTING] = g_signal_new ("reconnecting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                        G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);
}

static void
fws_event_source_client_init (FwsEventSourceClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  fws_connector_options_init (&self->options);
  self->options.use_system_proxy = TRUE;
  self->max_line = FWS_SSE_PARSER_DEFAULT_MAX_LINE;
  self->max_event = FWS_SSE_PARSER_DEFAULT_MAX_EVENT;
  self->max_redirects = DEFAULT_MAX_REDIRECTS;
  self->reconnection_time = DEFAULT_RECONNECTION_TIME_MS;
  fws_reconnect_init (&self->reconnect, TRUE, reconnect_cb, self);
  self->handshake_timeout = DEFAULT_HANDSHAKE_TIMEOUT_MS;
  self->ready_state = FWS_READY_STATE_CONNECTING;
  self->last_event_id = g_strdup ("");
}
