/* fws-sse-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Server-sent events (text/event-stream), sans I/O: recognising a request,
 * and the exact bytes of the response head, of events, of comments (pings)
 * and of retry fields (BEHAVIOUR.md 5, with Decision 2: CR, LF and NUL are
 * refused in event names and ids; data is split on CR, LF and CRLF).
 * Every line ends in CRLF. No GObject, no streams, no main loop, no clock.
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The longest Last-Event-ID header kept, in bytes. */
#define FWS_SSE_MAX_LAST_EVENT_ID 1024

/* TRUE iff @accept (an Accept header value, nullable), split on commas with
 * optional spaces or tabs around the items, has the exact item
 * "text/event-stream" (no parameters, same case). */
gboolean    fws_sse_accept_is_event_stream (const char         *accept);

/* TRUE iff @method is GET and the Accept header(s) of @request pass
 * fws_sse_accept_is_event_stream(). */
gboolean    fws_sse_is_request             (const char         *method,
                                            SoupMessageHeaders *request);

/* floor (@seconds × 1000), clamped to [0, G_MAXUINT]; NaN gives 0. */
guint       fws_sse_retry_ms               (double              seconds);

/* Whether a custom response header may be written: @name is an HTTP token,
 * @value has no control characters (HTAB allowed; no CR, LF, NUL, DEL), and
 * @name is none of the headers the stream writes itself or that would
 * change how the body is framed (Content-Type, Cache-Control,
 * X-Accel-Buffering, Connection, Content-Length, Transfer-Encoding,
 * Content-Encoding). */
gboolean    fws_sse_header_is_allowed      (const char         *name,
                                            const char         *value);

/* Appends the response head:
 *   HTTP/1.1 200 OK (HTTP/1.0 for an HTTP/1.0 @version)
 *   Content-Type: text/event-stream
 *   Cache-Control: no-cache, no-store
 *   X-Accel-Buffering: no
 *   Connection: close
 *   the allowed lines of @extra_headers (nullable), in order (the others
 *   are skipped: fws_http_append_extra_headers)
 *   a blank line
 *   retry: @retry_ms, a blank line. */
void        fws_sse_append_head            (GString            *out,
                                            SoupHTTPVersion     version,
                                            SoupMessageHeaders *extra_headers,
                                            guint               retry_ms);

/* Appends "retry: @retry_ms\r\n\r\n". */
void        fws_sse_append_retry           (GString            *out,
                                            guint               retry_ms);

/* Appends ":\r\n\r\n", a comment line that keeps the connection busy. */
void        fws_sse_append_ping            (GString            *out);

/* Checks an event name or id (@what names it in the message): valid UTF-8
 * (FWS_ERROR_INVALID_UTF8) without CR, LF or NUL
 * (FWS_ERROR_INVALID_ARGUMENT). */
gboolean    fws_sse_check_field            (const char         *value,
                                            gsize               len,
                                            const char         *what,
                                            GError            **error);

/* Appends one event: "event: @event\r\n" if @event is non-NULL, "id: @id\r\n"
 * if @id is non-NULL (even empty: that resets the client's last event id),
 * then "data: LINE\r\n" for each line of @data split on CR, LF and CRLF,
 * then "\r\n". @event_len and @id_len may be -1 for NUL-terminated strings.
 * On a refused argument (see fws_sse_check_field(); @data must be valid
 * UTF-8, U+0000 allowed) returns FALSE, sets @error and appends nothing. */
gboolean    fws_sse_append_event           (GString            *out,
                                            const char         *data,
                                            gsize               data_len,
                                            const char         *event,
                                            gssize              event_len,
                                            const char         *id,
                                            gssize              id_len,
                                            GError            **error);

/* @value (a Last-Event-ID header, nullable) if it has at most
 * FWS_SSE_MAX_LAST_EVENT_ID bytes, is valid UTF-8 and has no CR, LF or
 * NUL in its @len bytes (-1: NUL-terminated); "" otherwise. Newly
 * allocated. */
char       *fws_sse_last_event_id          (const char         *value,
                                            gssize              len);

G_END_DECLS
