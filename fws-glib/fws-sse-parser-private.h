/* fws-sse-parser-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The client side of server-sent events: a text/event-stream parser as the
 * WHATWG HTML standard's "Interpreting an event stream" and "Dispatching the
 * event" say, sans I/O. Bytes go in as they arrive (split anywhere); events
 * and reconnection times come out in stream order, appended to a GQueue.
 * No GObject, no streams, no main loop, no clock. The stream is UTF-8: a
 * BOM at its very start is dropped, and invalid bytes in values become
 * U+FFFD exactly as the standard's "UTF-8 decode" of the whole stream would
 * make them (how: the top of fws-sse-parser.c).
 *
 * One parser reads one stream (one HTTP response); a reconnection makes a
 * new parser. The last event ID string outlives a stream: the client reads
 * it after each feed (fws_sse_parser_get_last_event_id()), sends it as
 * Last-Event-ID when it reconnects, and gives it to the new parser, whose
 * last event ID buffer starts with it. That is what browsers do (Chromium's
 * EventSourceParser takes the source's last event ID; the web-platform-tests
 * eventsource/format-field-id*.htm and format-data-before-final-empty-line
 * need it): a reconnected stream's events without an id field keep it, and
 * an id field that no blank line followed before the connection ended is
 * forgotten.
 *
 * Memory is bounded by the two caps given at creation: a line may have at
 * most @max_line bytes (its line end not counted), an event's data at most
 * @max_event bytes. Past either cap the feed fails with FWS_ERROR_TOO_LARGE
 * before anything larger is allocated, and the parser is dead. What the
 * parser itself holds never exceeds fws_sse_parser_get_allocated()'s bound:
 *   @max_line (the line buffer)
 *   + @max_event + 1 (the data buffer, with its NUL)
 *   + 3 × (3 × @max_line + 1) (the event type buffer, the last event ID
 *     buffer and the last event ID string: a value may grow up to three
 *     times when invalid UTF-8 is replaced by U+FFFD)
 *   + 8 (the default type, "message").
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Defaults for a client that has no better idea. */
#define FWS_SSE_PARSER_DEFAULT_MAX_LINE  (1024 * 1024)
#define FWS_SSE_PARSER_DEFAULT_MAX_EVENT (16 * 1024 * 1024)

typedef enum
{
  FWS_SSE_PARSER_MESSAGE,   /* a dispatched event */
  FWS_SSE_PARSER_RETRY,     /* a valid retry field: a new reconnection time */
} FwsSseParserEventKind;

typedef struct
{
  FwsSseParserEventKind  kind;

  /* FWS_SSE_PARSER_MESSAGE only (NULL for RETRY):
   * @type: a GRefString: the event type, "message" when the event had no
   *   (or an empty) event field. Valid UTF-8, but may contain U+0000: its
   *   length is g_ref_string_length().
   * @data: the data lines joined with LF, without a trailing LF. Valid
   *   UTF-8 (U+0000 allowed); one NUL byte follows it, not counted in its
   *   size, so it can be used as a C string.
   * @last_event_id: a GRefString: the last event ID string when the event
   *   was dispatched ("" when the stream set none). Valid UTF-8 without
   *   U+0000. Events share it. */
  char                  *type;
  GBytes                *data;
  char                  *last_event_id;

  /* FWS_SSE_PARSER_RETRY only: the reconnection time in milliseconds
   * (saturated at G_MAXUINT64 if the digits say more). */
  guint64                retry_ms;
} FwsSseParserEvent;

void fws_sse_parser_event_free (FwsSseParserEvent *event);

typedef struct _FwsSseParser FwsSseParser;

/* @max_line and @max_event must be at least 1. @last_event_id (nullable:
 * "") is the last event ID string the stream starts with: valid UTF-8 of at
 * most 3 × @max_line bytes (what a parser with these caps can produce). */
FwsSseParser *fws_sse_parser_new     (gsize          max_line,
                                      gsize          max_event,
                                      const char    *last_event_id);
void          fws_sse_parser_free    (FwsSseParser  *parser);

/* Parses @len bytes of the stream. Every event dispatched and every valid
 * retry field they complete is appended to @events_out
 * (FwsSseParserEvent*, transfer full), in stream order.
 *
 * Returns FALSE when a cap is passed: @error is set (FWS_ERROR_TOO_LARGE,
 * translated message). What was appended before stays valid. From then on,
 * and after fws_sse_parser_finish(), the parser is dead: every feed ignores
 * its input and returns TRUE. */
gboolean      fws_sse_parser_feed    (FwsSseParser  *parser,
                                      const guint8  *data,
                                      gsize          len,
                                      GQueue        *events_out,
                                      GError       **error);

/* The end of the stream: a line without its line end and an event without
 * its blank line are dropped, as the standard says. Frees the buffers; the
 * parser is dead afterwards, but its last event ID stays readable. */
void          fws_sse_parser_finish  (FwsSseParser  *parser);

/* The last event ID string: the one given to fws_sse_parser_new() until
 * the stream's first blank line, then the last event ID buffer's value at
 * the latest blank line (the standard sets it at each one, even when no
 * event is dispatched). Valid UTF-8 without U+0000, maybe "". Owned by the
 * parser, valid until the next feed or fws_sse_parser_free(). */
const char   *fws_sse_parser_get_last_event_id (FwsSseParser *parser);

/* Bytes the parser holds for its buffers now: their sizes, without the
 * parser struct, allocator and reference count headers, and the events
 * handed out. At most the bound above. */
gsize         fws_sse_parser_get_allocated     (FwsSseParser *parser);

/* The bound of fws_sse_parser_get_allocated() for these caps (saturated). */
gsize         fws_sse_parser_max_allocated     (gsize max_line,
                                                gsize max_event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsSseParser, fws_sse_parser_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsSseParserEvent, fws_sse_parser_event_free)

G_END_DECLS
