/* test-sse-parser.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The text/event-stream parser of the EventSource client, byte for byte:
 * the rules of the WHATWG HTML standard ("Interpreting an event stream",
 * "Dispatching the event"), the cases of the web-platform-tests
 * eventsource/format-*.htm tests (their streams retold here, as the test
 * server sends them: their message resource appends "\n\n\n", or "\n" with
 * newline=none), and the caps.
 *
 * Every vector is fed whole, split at every offset, split at every pair of
 * offsets (short vectors), and one byte at a time; all must give the same
 * events, the same error and the same last event ID, and the parser's
 * memory must stay within its bound after every feed.
 */
#include "test-utils.h"

#include <string.h>

#include "fws-sse-parser-private.h"

/* ---- Vectors ---- */

typedef struct
{
  char         kind;       /* 'M': an event, 'R': a retry, 0: the end */
  const char  *type;
  gsize        type_len;
  const char  *data;
  gsize        data_len;
  const char  *id;
  guint64      retry_ms;
} Want;

/* String literals may hold NUL bytes: their size is what counts. */
#define MSG(t, d, i) { 'M', t, sizeof t - 1, d, sizeof d - 1, i, 0 }
#define RETRY(n)     { 'R', NULL, 0, NULL, 0, NULL, n }
#define STREAM(s)    .stream = s, .len = sizeof s - 1

typedef struct
{
  const char  *name;
  const char  *summary;
  const char  *stream;
  gsize        len;
  Want         want[8];
  const char  *last_id;     /* the last event ID string at the end (NULL: "") */
  const char  *initial_id;  /* given to the parser (NULL: none) */
  gsize        max_line;    /* 0: 1024 */
  gsize        max_event;   /* 0: 1024 */
  gboolean     too_large;   /* the stream ends in FWS_ERROR_TOO_LARGE */
} Vector;

#define DEFAULT_CAP 1024

static void
append_escaped (GString    *out,
                const char *p,
                gsize       len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) p[i];

      if (c == '\\' || c == '"')
        g_string_append_printf (out, "\\%c", c);
      else if (c >= 0x20 && c < 0x7F)
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "\\x%02X", c);
    }
  g_string_append_c (out, '"');
}

static void
append_message (GString    *out,
                const char *type,
                gsize       type_len,
                const char *data,
                gsize       data_len,
                const char *id)
{
  g_string_append (out, "event type=");
  append_escaped (out, type, type_len);
  g_string_append (out, " data=");
  append_escaped (out, data, data_len);
  g_string_append (out, " id=");
  append_escaped (out, id, strlen (id));
  g_string_append_c (out, '\n');
}

static char *
want_transcript (const Vector *v)
{
  GString *out = g_string_new (NULL);
  const char *last_id = v->last_id != NULL ? v->last_id : "";

  for (const Want *w = v->want; w->kind != 0; w++)
    if (w->kind == 'M')
      append_message (out, w->type, w->type_len, w->data, w->data_len, w->id);
    else
      g_string_append_printf (out, "retry %" G_GUINT64_FORMAT "\n", w->retry_ms);
  if (v->too_large)
    g_string_append (out, "error too-large\n");
  g_string_append (out, "last-event-id=");
  append_escaped (out, last_id, strlen (last_id));
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

/* Takes the events out of @queue into @out, checking each one's shape. */
static void
take_events (GQueue  *queue,
             GString *out)
{
  FwsSseParserEvent *event;

  while ((event = g_queue_pop_head (queue)) != NULL)
    {
      if (event->kind == FWS_SSE_PARSER_MESSAGE)
        {
          gsize size;
          const char *data = g_bytes_get_data (event->data, &size);
          gsize type_len = g_ref_string_length (event->type);

          /* The documented NUL after the data, even when it is empty. */
          g_assert_nonnull (data);
          g_assert_cmpint (data[size], ==, '\0');
          g_assert_cmpint (event->type[type_len], ==, '\0');
          g_assert_cmpuint (type_len, >, 0);
          g_assert_null (memchr (event->last_event_id, '\0', g_ref_string_length (event->last_event_id)));
          g_assert_true (g_utf8_validate (event->last_event_id, -1, NULL));
          append_message (out, event->type, type_len, data, size, event->last_event_id);
        }
      else
        {
          g_assert_cmpint (event->kind, ==, FWS_SSE_PARSER_RETRY);
          g_assert_null (event->type);
          g_assert_null (event->data);
          g_assert_null (event->last_event_id);
          g_string_append_printf (out, "retry %" G_GUINT64_FORMAT "\n", event->retry_ms);
        }
      fws_sse_parser_event_free (event);
    }
}

/* Feeds @v's stream cut at @cuts (ascending offsets), then finishes; returns
 * what came out, in want_transcript()'s form. */
static char *
run (const Vector *v,
     const gsize  *cuts,
     gsize         n_cuts)
{
  gsize max_line = v->max_line ? v->max_line : DEFAULT_CAP;
  gsize max_event = v->max_event ? v->max_event : DEFAULT_CAP;
  gsize bound = fws_sse_parser_max_allocated (max_line, max_event);
  g_autoptr(FwsSseParser) parser = fws_sse_parser_new (max_line, max_event, v->initial_id);
  GQueue queue = G_QUEUE_INIT;
  GString *out = g_string_new (NULL);
  gboolean failed = FALSE;
  gsize start = 0;

  for (gsize i = 0; i <= n_cuts; i++)
    {
      gsize stop = i < n_cuts ? cuts[i] : v->len;
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_assert_cmpuint (stop, >=, start);
      ok = fws_sse_parser_feed (parser, (const guint8 *) v->stream + start, stop - start, &queue, &error);
      if (!ok)
        {
          /* Only one feed fails; the error is the documented one. */
          g_assert_false (failed);
          g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
          g_assert_cmpstr (error->message, !=, "");
          failed = TRUE;
        }
      else
        {
          g_assert_no_error (error);
          /* Nothing comes out of a dead parser. */
          if (failed)
            g_assert_cmpuint (queue.length, ==, 0);
        }
      g_assert_cmpuint (fws_sse_parser_get_allocated (parser), <=, bound);
      take_events (&queue, out);
      start = stop;
    }

  {
    g_autofree char *last_id = g_strdup (fws_sse_parser_get_last_event_id (parser));

    fws_sse_parser_finish (parser);
    /* The end of the stream dispatches nothing and keeps the last event ID. */
    g_assert_cmpstr (fws_sse_parser_get_last_event_id (parser), ==, last_id);
    g_assert_cmpuint (fws_sse_parser_get_allocated (parser), <=, bound);
    g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "data:x\n\n", 8, &queue, NULL));
    g_assert_cmpuint (queue.length, ==, 0);

    if (failed)
      g_string_append (out, "error too-large\n");
    g_string_append (out, "last-event-id=");
    append_escaped (out, last_id, strlen (last_id));
    g_string_append_c (out, '\n');
  }
  return g_string_free (out, FALSE);
}

static void
check_vector (const Vector *v)
{
  g_autofree char *want = want_transcript (v);
  g_autofree char *whole = run (v, NULL, 0);
  g_autofree gsize *cuts = g_new (gsize, v->len + 2);

  if (v->summary != NULL)
    g_test_summary (v->summary);

  /* Whole. */
  g_assert_cmpstr (whole, ==, want);

  /* Split once, at every offset (0 and len give an empty feed). */
  for (gsize i = 0; i <= v->len; i++)
    {
      g_autofree char *got = NULL;

      cuts[0] = i;
      got = run (v, cuts, 1);
      if (g_strcmp0 (got, want) != 0)
        g_test_message ("split at %" G_GSIZE_FORMAT, i);
      g_assert_cmpstr (got, ==, want);
    }

  /* Split twice, at every pair of offsets, when that stays cheap. */
  if (v->len <= 96)
    for (gsize i = 0; i <= v->len; i++)
      for (gsize j = i; j <= v->len; j++)
        {
          g_autofree char *got = NULL;

          cuts[0] = i;
          cuts[1] = j;
          got = run (v, cuts, 2);
          if (g_strcmp0 (got, want) != 0)
            g_test_message ("split at %" G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT, i, j);
          g_assert_cmpstr (got, ==, want);
        }

  /* One byte at a time. */
  if (v->len > 0)
    {
      g_autofree char *got = NULL;

      for (gsize i = 0; i < v->len; i++)
        cuts[i] = i + 1;
      got = run (v, cuts, v->len - 1);
      g_assert_cmpstr (got, ==, want);
    }
}

static void
test_vector (gconstpointer data)
{
  check_vector (data);
}

/* ---- The web-platform-tests eventsource/format-* cases ---- */

static const Vector wpt_vectors[] = {
  { .name = "format-bom",
    .summary = "A BOM is dropped at the start of the stream only: the second one makes "
               "its line's field name unknown",
    STREAM ("\xEF\xBB\xBF" "data:1\n\n" "\xEF\xBB\xBF" "data:2\n\ndata:3" "\n\n\n"),
    .want = { MSG ("message", "1", ""), MSG ("message", "3", "") } },
  { .name = "format-bom-2",
    .summary = "Of two BOMs at the start, only the first is dropped",
    STREAM ("\xEF\xBB\xBF" "\xEF\xBB\xBF" "data:1\n\ndata:2\n\ndata:3" "\n\n\n"),
    .want = { MSG ("message", "2", ""), MSG ("message", "3", "") } },
  { .name = "format-comments",
    .summary = "Comments (with NUL, long ones, ones that look like fields) end with any "
               "line end and are ignored",
    STREAM ("data:1\r:\0\n:\r\ndata:2\n:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\rdata:3\n"
            ":data:fail\r:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\ndata:4\n" "\n"),
    .want = { MSG ("message", "1\n2\n3\n4", "") } },
  { .name = "format-data-before-final-empty-line",
    .summary = "An event without its blank line is dropped at the end of the stream, and "
               "its id field does not reach the last event ID",
    STREAM ("retry:1000\ndata:test1\n\nid:test\ndata:test2" "\n"),
    .want = { RETRY (1000), MSG ("message", "test1", "") } },
  { .name = "format-data-before-final-empty-line-reconnected",
    .summary = "The same stream after a reconnection: the new parser starts from the last "
               "event ID string, which the unfinished event did not change",
    STREAM ("retry:1000\ndata:test1\n\nid:test\ndata:test2" "\n"),
    .initial_id = "",
    .want = { RETRY (1000), MSG ("message", "test1", "") } },
  { .name = "format-field-data",
    .summary = "data with an empty value, data without a colon (twice), then data:test",
    STREAM ("data:\n\ndata\ndata\n\ndata:test" "\n\n\n"),
    .want = { MSG ("message", "", ""), MSG ("message", "\n", ""), MSG ("message", "test", "") } },
  { .name = "format-field-event",
    .summary = "An event field sets the type of that event only",
    STREAM ("event:test\ndata:x\n\ndata:x" "\n\n\n"),
    .want = { MSG ("test", "x", ""), MSG ("message", "x", "") } },
  { .name = "format-field-event-empty",
    .summary = "An empty event field (after its one space) gives the type message",
    STREAM ("event: \ndata:data" "\n\n\n"),
    .want = { MSG ("message", "data", "") } },
  { .name = "format-field-id",
    .summary = "An id field (not ASCII) sets the last event ID of the event",
    STREAM ("id: \xE2\x80\xA6\nretry: 200\ndata: hello\n\n"),
    .want = { RETRY (200), MSG ("message", "hello", "\xE2\x80\xA6") },
    .last_id = "\xE2\x80\xA6" },
  { .name = "format-field-id-2",
    .summary = "After a reconnection, events without an id field keep the last event ID "
               "(the second and third connections of format-field-id-2, and the second "
               "of format-field-id)",
    STREAM ("data: \xE2\x80\xA6\n\n"),
    .initial_id = "\xE2\x80\xA6",
    .want = { MSG ("message", "\xE2\x80\xA6", "\xE2\x80\xA6") },
    .last_id = "\xE2\x80\xA6" },
  { .name = "format-field-id-3-persists",
    .summary = "The last event ID stays with later events that have no id field",
    STREAM ("id: 1\ndata: 1\n\ndata:2\n\n"),
    .want = { MSG ("message", "1", "1"), MSG ("message", "2", "1") },
    .last_id = "1" },
  { .name = "format-field-id-3-changes-and-persists",
    .summary = "A second id field changes it for that event and the later ones",
    STREAM ("id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n"),
    .want = { MSG ("message", "1", "1"), MSG ("message", "2", "2"), MSG ("message", "3", "2") },
    .last_id = "2" },
  { .name = "format-field-id-3-resets",
    .summary = "An empty id field resets it",
    STREAM ("id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n"),
    .want = { MSG ("message", "1", "1"), MSG ("message", "2", ""), MSG ("message", "3", "") } },
  { .name = "format-field-id-null",
    .summary = "An id field with U+0000 is ignored (the standard since 2019; the older wpt "
               "test expected the id to be taken)",
    STREAM ("id: \0\0\ndata: hello\n\n"),
    .want = { MSG ("message", "hello", "") } },
  { .name = "format-field-parsing",
    .summary = "Field names are exact and case-sensitive; NUL is data; one space is "
               "stripped; CR, LF and CRLF end lines",
    STREAM ("data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\r"
            "data:\r\n data:32\ndata:4\n" "\n"),
    .want = { MSG ("message", "\0\n 2\n1\n3\n\n4", "") } },
  { .name = "format-field-retry",
    .summary = "retry is read in base ten, leading zeros and all",
    STREAM ("retry:02000\ndata:x" "\n\n\n"),
    .want = { RETRY (2000), MSG ("message", "x", "") } },
  { .name = "format-field-retry-bogus",
    .summary = "A retry value that is not all digits is ignored",
    STREAM ("retry:2000\nretry:1000x\ndata:x" "\n\n\n"),
    .want = { RETRY (2000), MSG ("message", "x", "") } },
  { .name = "format-field-retry-empty",
    .summary = "A retry field without a value changes nothing",
    STREAM ("retry\ndata:test" "\n\n\n"),
    .want = { MSG ("message", "test", "") } },
  { .name = "format-field-unknown",
    .summary = "Unknown fields, a name with a leading space, a line without a colon and a "
               "comment are ignored",
    STREAM ("data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test" "\n\n\n"),
    .want = { MSG ("message", "test\n\ntest", "") } },
  { .name = "format-leading-space",
    .summary = "Only a space is stripped, not a tab; a CR ends a line",
    STREAM ("data:\ttest\rdata: \ndata:test" "\n\n\n"),
    .want = { MSG ("message", "\ttest\n\ntest", "") } },
  { .name = "format-newlines",
    .summary = "CRLF, LF and a last CR: one event",
    STREAM ("data:test\r\ndata\ndata:test\r\n\r" "\n"),
    .want = { MSG ("message", "test\n\ntest", "") } },
  { .name = "format-null-character",
    .summary = "U+0000 in data is kept",
    STREAM ("data:\0\n\n" "\n\n\n"),
    .want = { MSG ("message", "\0", "") } },
  { .name = "format-utf-8",
    .summary = "The stream is UTF-8 (a charset parameter does not change that)",
    STREAM ("data:ok\xE2\x80\xA6" "\n\n\n"),
    .want = { MSG ("message", "ok\xE2\x80\xA6", "") } },
};

/* ---- The standard's rules, one by one ---- */

static const Vector rule_vectors[] = {
  /* Line ends. */
  { .name = "line-ends-mixed",
    .summary = "CR, LF and CRLF each end one line",
    STREAM ("data:a\rdata:b\ndata:c\r\ndata:d\r\n\r\n"),
    .want = { MSG ("message", "a\nb\nc\nd", "") } },
  { .name = "crlf-is-one-line-end",
    .summary = "CR LF after a data line is one line end, not a blank line",
    STREAM ("data:a\r\ndata:b\r\n\r\n"),
    .want = { MSG ("message", "a\nb", "") } },
  { .name = "cr-cr-lf",
    .summary = "CR ends the data line, CR LF is the blank line: one event, no second blank line",
    STREAM ("data:a\r\r\ndata:b\r\r\n"),
    .want = { MSG ("message", "a", ""), MSG ("message", "b", "") } },
  { .name = "lf-cr",
    .summary = "LF then CR: two line ends (the CR is a blank line)",
    STREAM ("data:a\n\rdata:b\n\r"),
    .want = { MSG ("message", "a", ""), MSG ("message", "b", "") } },
  { .name = "cr-only",
    .summary = "A stream that uses CR alone",
    STREAM ("event:e\rdata:1\rdata:2\r\rdata:3\r\r"),
    .want = { MSG ("e", "1\n2", ""), MSG ("message", "3", "") } },
  { .name = "blank-lines",
    .summary = "Blank lines without data dispatch nothing",
    STREAM ("\n\r\n\r\n\ndata:x\n\n\n\n"),
    .want = { MSG ("message", "x", "") } },

  /* BOM. */
  { .name = "bom-then-blank-line",
    .summary = "A BOM alone, then a blank line and an event",
    STREAM ("\xEF\xBB\xBF" "\ndata:x\n\n"),
    .want = { MSG ("message", "x", "") } },
  { .name = "bom-partial",
    .summary = "Bytes that start like a BOM but are not one stay in the line (and make its "
               "field name unknown)",
    STREAM ("\xEF\xBB" "data:1\n\n" "\xEF" "data:2\n\ndata:3\n\n"),
    .want = { MSG ("message", "3", "") } },
  { .name = "bom-partial-line-end",
    .summary = "EF BB then LF: a line of two invalid bytes, ignored",
    STREAM ("\xEF\xBB\ndata:x\n\n"),
    .want = { MSG ("message", "x", "") } },
  { .name = "bom-in-value",
    .summary = "U+FEFF inside a value is kept",
    STREAM ("data:" "\xEF\xBB\xBF" "x\n\n"),
    .want = { MSG ("message", "\xEF\xBB\xBF" "x", "") } },
  { .name = "bom-after-first-line",
    .summary = "A BOM at the start of a later line is not dropped",
    STREAM ("\n" "\xEF\xBB\xBF" "data:x\n\ndata:y\n\n"),
    .want = { MSG ("message", "y", "") } },

  /* Comments and fields. */
  { .name = "comment",
    .summary = "Lines that start with a colon are ignored, whatever follows",
    STREAM (":\n: data:x\n:data:y\ndata:z\n:\n\n"),
    .want = { MSG ("message", "z", "") } },
  { .name = "no-colon",
    .summary = "A line without a colon is a field name with an empty value",
    STREAM ("data\n\nevent\ndata\n\n"),
    .want = { MSG ("message", "", ""), MSG ("message", "", "") } },
  { .name = "one-space-only",
    .summary = "Only one leading space is stripped from the value",
    STREAM ("data:  two\ndata: \ndata:\ndata: x \n\n"),
    .want = { MSG ("message", " two\n\n\nx ", "") } },
  { .name = "colon-in-value",
    .summary = "The value starts after the first colon; later colons belong to it",
    STREAM ("data:a:b\ndata: :c\nevent:x:y\n\n"),
    .want = { MSG ("x:y", "a:b\n:c", "") } },
  { .name = "space-before-colon",
    .summary = "A space before the colon is part of the field name",
    STREAM ("data :x\n\ndata:y\n\n"),
    .want = { MSG ("message", "y", "") } },
  { .name = "unknown-fields",
    .summary = "Unknown and differently cased field names are ignored",
    STREAM ("DATA:a\nData:b\nevents:c\nids:d\nretries:5\nfoo\ndata:e\n\n"),
    .want = { MSG ("message", "e", "") } },

  /* data. */
  { .name = "data-one-trailing-lf",
    .summary = "Only the last LF is removed from the data buffer",
    STREAM ("data:a\ndata:\n\n"),
    .want = { MSG ("message", "a\n", "") } },
  { .name = "data-empty-value",
    .summary = "A data field with an empty value dispatches an event with empty data",
    STREAM ("data:\n\n"),
    .want = { MSG ("message", "", "") } },
  { .name = "no-data-resets-type",
    .summary = "A blank line without data resets the event type and dispatches nothing",
    STREAM ("event:a\n\ndata:x\n\n"),
    .want = { MSG ("message", "x", "") } },

  /* event. */
  { .name = "event-last-wins",
    .summary = "The last event field of an event wins; the type is reset after dispatch",
    STREAM ("event:a\nevent:b\ndata:x\n\ndata:y\n\n"),
    .want = { MSG ("b", "x", ""), MSG ("message", "y", "") } },
  { .name = "event-empty-resets",
    .summary = "An empty event field after another one empties the type buffer",
    STREAM ("event:a\nevent:\ndata:x\n\n"),
    .want = { MSG ("message", "x", "") } },
  { .name = "event-nul",
    .summary = "An event type may contain U+0000",
    STREAM ("event:a\0b\ndata:x\n\n"),
    .want = { MSG ("a\0b", "x", "") } },

  /* id. */
  { .name = "id-without-dispatch",
    .summary = "A blank line sets the last event ID string even when nothing is dispatched",
    STREAM ("id:7\n\n"),
    .last_id = "7" },
  { .name = "id-without-dispatch-then-event",
    .summary = "The id set by a blank line without data reaches the next event",
    STREAM ("id:7\n\ndata:x\n\n"),
    .want = { MSG ("message", "x", "7") },
    .last_id = "7" },
  { .name = "id-unfinished",
    .summary = "An id field with no blank line after it does not reach the last event ID",
    STREAM ("id:1\ndata:a\n\nid:2\ndata:b\n"),
    .want = { MSG ("message", "a", "1") },
    .last_id = "1" },
  { .name = "id-after-data",
    .summary = "An id field after the data lines still counts for that event",
    STREAM ("data:a\nid:3\n\n"),
    .want = { MSG ("message", "a", "3") },
    .last_id = "3" },
  { .name = "id-nul-ignored",
    .summary = "An id with U+0000 anywhere is ignored: the previous one stays",
    STREAM ("id:1\ndata:a\n\nid:2\0\ndata:b\n\nid:\0\ndata:c\n\n"),
    .want = { MSG ("message", "a", "1"), MSG ("message", "b", "1"), MSG ("message", "c", "1") },
    .last_id = "1" },
  { .name = "id-no-colon",
    .summary = "An id field without a colon resets the last event ID",
    STREAM ("id:1\n\nid\ndata:x\n\n"),
    .want = { MSG ("message", "x", "") } },
  { .name = "id-initial",
    .summary = "The last event ID given at creation is carried until an id field changes it",
    STREAM ("data:a\n\nid:n\ndata:b\n\n"),
    .initial_id = "old",
    .want = { MSG ("message", "a", "old"), MSG ("message", "b", "n") },
    .last_id = "n" },
  { .name = "id-initial-untouched",
    .summary = "Without a blank line, the given last event ID stays",
    STREAM ("id:n\ndata:a\n"),
    .initial_id = "old",
    .last_id = "old" },

  /* retry. */
  { .name = "retry-values",
    .summary = "retry takes all-digit values (one space stripped), at once, in stream order",
    STREAM ("retry:0\nretry: 5\ndata:x\nretry:007\n\n"),
    .want = { RETRY (0), RETRY (5), RETRY (7), MSG ("message", "x", "") } },
  { .name = "retry-ignored",
    .summary = "retry values with anything but ASCII digits are ignored",
    STREAM ("retry:  5\nretry:5 \nretry:-5\nretry:+5\nretry:1.5\nretry:1e3\nretry:0x10\n"
            "retry:\xEF\xBC\x91\nretry:\nretry\n"),
    .want = { { 0 } } },
  { .name = "retry-max",
    .summary = "retry up to G_MAXUINT64 is exact; more digits saturate",
    STREAM ("retry:18446744073709551615\nretry:18446744073709551616\n"
            "retry:99999999999999999999999999\n"),
    .want = { RETRY (G_MAXUINT64), RETRY (G_MAXUINT64), RETRY (G_MAXUINT64) } },
  { .name = "retry-unfinished-line",
    .summary = "A retry line without its line end is dropped at the end of the stream",
    STREAM ("retry:5\nretry:6"),
    .want = { RETRY (5) } },

  /* End of the stream. */
  { .name = "unfinished-event",
    .summary = "An event without its blank line is dropped at the end of the stream",
    STREAM ("data:a\n\ndata:b\nevent:e\n"),
    .want = { MSG ("message", "a", "") } },
  { .name = "unfinished-line",
    .summary = "A line without its line end is dropped at the end of the stream",
    STREAM ("data:a\n\ndata:b"),
    .want = { MSG ("message", "a", "") } },
  { .name = "empty-stream",
    .summary = "An empty stream gives nothing",
    STREAM (""),
    .want = { { 0 } } },

  /* UTF-8 decode: one U+FFFD for each maximal invalid subpart. */
  { .name = "utf8-valid",
    .summary = "Valid UTF-8 of every length passes unchanged",
    STREAM ("data:a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z\n\n"),
    .want = { MSG ("message", "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", "") } },
  { .name = "utf8-invalid-bytes",
    .summary = "Bytes that cannot start a sequence each become U+FFFD",
    STREAM ("data:\xFF" "a\x80" "b\xC0\xAF" "c\xF5\n\n"),
    .want = { MSG ("message",
                   "\xEF\xBF\xBD" "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD", "") } },
  { .name = "utf8-mixed",
    .summary = "Valid sequences of every length between invalid bytes pass unchanged",
    STREAM ("data:\xC3\xA9\xFF\xE2\x82\xAC\xF0\x9F\x98\x80\xC3\n\n"),
    .want = { MSG ("message", "\xC3\xA9\xEF\xBF\xBD\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD", "") } },
  { .name = "utf8-truncated",
    .summary = "A sequence cut short is one U+FFFD, and the byte that cut it stays",
    STREAM ("data:\xC3(\xE2\x82" "x\xF0\x9F\x98\n\n"),
    .want = { MSG ("message", "\xEF\xBF\xBD(\xEF\xBF\xBD" "x\xEF\xBF\xBD", "") } },
  { .name = "utf8-overlong-surrogate-too-big",
    .summary = "Overlong forms, surrogates and code points past U+10FFFF: one U+FFFD per byte",
    STREAM ("data:\xE0\x80\x80|\xED\xA0\x80|\xF4\x90\x80\x80\n\n"),
    .want = { MSG ("message", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
                   "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", "") } },
  { .name = "utf8-cut-by-line-end",
    .summary = "A sequence cut by a line end is U+FFFD on each side",
    STREAM ("data:\xE2\x82\ndata:\xAC\n\n"),
    .want = { MSG ("message", "\xEF\xBF\xBD\n\xEF\xBF\xBD", "") } },
  { .name = "utf8-event-and-id",
    .summary = "Event types and ids are decoded the same way",
    STREAM ("event:\xFF" "e\nid:\xC3\ndata:x\n\n"),
    .want = { MSG ("\xEF\xBF\xBD" "e", "x", "\xEF\xBF\xBD") },
    .last_id = "\xEF\xBF\xBD" },
  { .name = "utf8-field-name",
    .summary = "A field name with invalid UTF-8 is unknown",
    STREAM ("d\xFF" "ata:x\ndata\xC3:y\n\ndata:z\n\n"),
    .want = { MSG ("message", "z", "") } },

  /* Caps. */
  { .name = "max-line-exact",
    .summary = "A line of exactly max-line bytes is fine (its line end not counted)",
    STREAM ("data:123\r\n:comment\r\n\r\n"),
    .max_line = 8,
    .want = { MSG ("message", "123", "") } },
  { .name = "max-line-over",
    .summary = "A line of max-line + 1 bytes fails with FWS_ERROR_TOO_LARGE; what came "
               "before it was delivered",
    STREAM ("data:1\n\ndata:1234\n\ndata:2\n\n"),
    .max_line = 8,
    .want = { MSG ("message", "1", "") },
    .too_large = TRUE },
  { .name = "max-line-comment",
    .summary = "Comment lines count too",
    STREAM (":1234567890\ndata:x\n\n"),
    .max_line = 8,
    .too_large = TRUE },
  { .name = "max-line-endless",
    .summary = "A line that never ends fails once it passes max-line, without waiting for its end",
    STREAM ("data:x\n\ndataaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    .max_line = 8,
    .want = { MSG ("message", "x", "") },
    .too_large = TRUE },
  { .name = "max-line-partial-bom",
    .summary = "Bytes of a would-be BOM count in the line's length",
    STREAM ("\xEF\xBB" "data:1\n"),
    .max_line = 7,
    .too_large = TRUE },
  { .name = "max-line-partial-bom-alone",
    .summary = "The would-be BOM bytes alone can pass the line cap",
    STREAM ("\xEF\xBB" "x\n"),
    .max_line = 1,
    .too_large = TRUE },
  { .name = "max-event-exact",
    .summary = "Data of exactly max-event bytes (joining LFs counted) is fine",
    STREAM ("data:aa\ndata:bb\n\n"),
    .max_event = 5,
    .want = { MSG ("message", "aa\nbb", "") } },
  { .name = "max-event-over",
    .summary = "Data of max-event + 1 bytes fails with FWS_ERROR_TOO_LARGE",
    STREAM ("data:x\n\ndata:aa\ndata:bb\n\n"),
    .max_event = 4,
    .want = { MSG ("message", "x", "") },
    .too_large = TRUE },
  { .name = "max-event-replaced",
    .summary = "The cap counts data after U+FFFD replaced invalid bytes",
    STREAM ("data:\xFF\xFF\n\ndata:\xFF\xFF\xFF\n\n"),
    .max_event = 6,
    .want = { MSG ("message", "\xEF\xBF\xBD\xEF\xBF\xBD", "") },
    .too_large = TRUE },
  { .name = "max-event-empty-lines",
    .summary = "Empty data lines grow the data by their LF and are capped too",
    STREAM ("data\ndata\ndata\ndata\ndata\ndata\n\n"),
    .max_event = 4,
    .too_large = TRUE },
};

/* ---- Behaviour a table cannot show ---- */

static void
test_dispatch_at_once (void)
{
  g_autoptr(FwsSseParser) parser = fws_sse_parser_new (DEFAULT_CAP, DEFAULT_CAP, NULL);
  GQueue queue = G_QUEUE_INIT;
  g_autoptr(GString) out = g_string_new (NULL);

  g_test_summary ("An event is dispatched in the feed that brings its blank line, also when "
                  "that blank line ends with a CR that an LF may still follow");

  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "data:a\r\r", 8, &queue, NULL));
  take_events (&queue, out);
  g_assert_cmpstr (out->str, ==, "event type=\"message\" data=\"a\" id=\"\"\n");

  g_string_truncate (out, 0);
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "\ndata:b\n", 8, &queue, NULL));
  take_events (&queue, out);
  g_assert_cmpstr (out->str, ==, "");
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "\n", 1, &queue, NULL));
  take_events (&queue, out);
  g_assert_cmpstr (out->str, ==, "event type=\"message\" data=\"b\" id=\"\"\n");
}

static void
test_last_event_id_getter (void)
{
  g_autoptr(FwsSseParser) parser = fws_sse_parser_new (DEFAULT_CAP, DEFAULT_CAP, "start");
  g_autoptr(FwsSseParser) plain = fws_sse_parser_new (DEFAULT_CAP, DEFAULT_CAP, NULL);
  GQueue queue = G_QUEUE_INIT;

  g_test_summary ("The last event ID string starts as given, changes at blank lines only, "
                  "and survives the end of the stream");

  g_assert_cmpstr (fws_sse_parser_get_last_event_id (plain), ==, "");
  g_assert_cmpstr (fws_sse_parser_get_last_event_id (parser), ==, "start");
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "id:7\n", 5, &queue, NULL));
  g_assert_cmpstr (fws_sse_parser_get_last_event_id (parser), ==, "start");
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "\n", 1, &queue, NULL));
  g_assert_cmpstr (fws_sse_parser_get_last_event_id (parser), ==, "7");
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "id:8\ndata:x", 11, &queue, NULL));
  g_assert_cmpuint (queue.length, ==, 0);
  fws_sse_parser_finish (parser);
  g_assert_cmpstr (fws_sse_parser_get_last_event_id (parser), ==, "7");
}

static void
test_last_event_id_shared (void)
{
  g_autoptr(FwsSseParser) parser = NULL;
  g_autoptr(GString) stream = g_string_new ("id:");
  GQueue queue = G_QUEUE_INIT;
  FwsSseParserEvent *first, *event;
  guint n = 0;

  g_test_summary ("Events share the last event ID string: a long id followed by many small "
                  "events costs its bytes once, not once per event");

  for (guint i = 0; i < 4000; i++)
    g_string_append_c (stream, 'i');
  g_string_append_c (stream, '\n');
  for (guint i = 0; i < 1000; i++)
    g_string_append (stream, "data\n\n");
  parser = fws_sse_parser_new (8192, 16, NULL);
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) stream->str, stream->len, &queue, NULL));
  g_assert_cmpuint (queue.length, ==, 1000);
  first = g_queue_peek_head (&queue);
  g_assert_cmpuint (g_ref_string_length (first->last_event_id), ==, 4000);
  while ((event = g_queue_pop_head (&queue)) != NULL)
    {
      g_assert_true (event->last_event_id == first->last_event_id);
      if (event != first)
        fws_sse_parser_event_free (event);
      n++;
    }
  g_assert_cmpuint (n, ==, 1000);
  fws_sse_parser_event_free (first);
}

static void
test_endless (void)
{
  static const struct { const char *piece; gsize max_line, max_event; } cases[] = {
    { "x", 1000, 1000 },                  /* one endless line */
    { ":", 1000, 1000 },                  /* one endless comment */
    { "data:xxxxxxxxxxxxxxxxxxxx\n", 64, 1000 },   /* an event that never ends */
    { "data\n", 64, 1000 },               /* the same with empty data lines */
  };

  g_test_summary ("A peer that sends forever ends parsing with FWS_ERROR_TOO_LARGE, and the "
                  "parser's memory stays within its bound meanwhile");

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(FwsSseParser) parser = fws_sse_parser_new (cases[c].max_line, cases[c].max_event, NULL);
      gsize bound = fws_sse_parser_max_allocated (cases[c].max_line, cases[c].max_event);
      g_autoptr(GString) chunk = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      GQueue queue = G_QUEUE_INIT;
      gsize fed = 0;
      gboolean ok = TRUE;

      while (chunk->len < 100)
        g_string_append (chunk, cases[c].piece);
      while (ok && fed < 10 * 1024 * 1024)
        {
          ok = fws_sse_parser_feed (parser, (const guint8 *) chunk->str, chunk->len, &queue, &error);
          fed += chunk->len;
          g_assert_cmpuint (fws_sse_parser_get_allocated (parser), <=, bound);
          g_assert_cmpuint (queue.length, ==, 0);
        }
      g_assert_false (ok);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
      /* It failed as soon as the cap was passed, not later. */
      g_assert_cmpuint (fed, <=, 5 * MAX (cases[c].max_line, cases[c].max_event) + 2 * chunk->len);
      /* Dead: input is ignored and nothing is held. */
      g_assert_cmpuint (fws_sse_parser_get_allocated (parser), <=, 8);
      g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) "\n\ndata:x\n\n", 10, &queue, NULL));
      g_assert_cmpuint (queue.length, ==, 0);
    }
}

static void
test_long_comments (void)
{
  g_autoptr(GString) x = g_string_new (NULL);
  g_autoptr(GString) s = g_string_new (NULL);
  Vector v = { 0 };

  for (guint i = 0; i < 2048; i++)
    g_string_append_c (x, 'x');
  /* format-comments with its 2 KiB comments, as the wpt test sends it. */
  g_string_append_len (s, "data:1\r:\0\n:\r\ndata:2\n:", 21);
  g_string_append (s, x->str);
  g_string_append (s, "\rdata:3\n:data:fail\r:");
  g_string_append (s, x->str);
  g_string_append (s, "\ndata:4\n\n");

  v.summary = "format-comments with its 2 KiB comments, split everywhere";
  v.stream = s->str;
  v.len = s->len;
  v.max_line = 4096;
  v.want[0] = (Want) MSG ("message", "1\n2\n3\n4", "");
  check_vector (&v);

  /* The same with a line cap below the comments' length. */
  v.summary = NULL;
  v.max_line = 2048;
  v.want[0] = (Want) { 0 };
  v.too_large = TRUE;
  check_vector (&v);
}

static void
test_large_event (void)
{
  g_autoptr(FwsSseParser) parser = fws_sse_parser_new (100, 100000, NULL);
  g_autoptr(GString) s = g_string_new (NULL);
  GQueue queue = G_QUEUE_INIT;
  FwsSseParserEvent *event;
  gsize size;
  const char *data;

  g_test_summary ("An event of many data lines is joined exactly, and what the parser holds "
                  "shrinks back after it was dispatched");

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (s, "data:%05u%s\n", i, "0123456789012345678901234567890123456789");
  g_string_append (s, "\n");
  g_assert_true (fws_sse_parser_feed (parser, (const guint8 *) s->str, s->len, &queue, NULL));
  g_assert_cmpuint (queue.length, ==, 1);
  event = g_queue_pop_head (&queue);
  data = g_bytes_get_data (event->data, &size);
  g_assert_cmpuint (size, ==, 1000 * 46 - 1);
  g_assert_true (g_str_has_prefix (data, "00000012345"));
  g_assert_cmpint (data[45], ==, '\n');
  g_assert_true (g_str_has_suffix (data, "00999" "0123456789012345678901234567890123456789"));
  fws_sse_parser_event_free (event);
  /* Only the line buffer (the lines came whole, so not even that) and the small strings. */
  g_assert_cmpuint (fws_sse_parser_get_allocated (parser), <=, 100 + 64);
}

static void
test_new_checks_arguments (void)
{
  g_test_summary ("A cap of 0 is a caller bug");

  if (g_test_subprocess ())
    {
      g_assert_null (fws_sse_parser_new (0, 1, NULL));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*max_line > 0*");
}

static void
test_new_checks_utf8 (void)
{
  g_test_summary ("An initial last event ID that is not UTF-8 is a caller bug");

  if (g_test_subprocess ())
    {
      g_assert_null (fws_sse_parser_new (10, 10, "\xFF"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*g_utf8_validate*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (wpt_vectors); i++)
    {
      g_autofree char *path = g_strconcat ("/sse-parser/wpt/", wpt_vectors[i].name, NULL);

      g_test_add_data_func (path, &wpt_vectors[i], test_vector);
    }
  g_test_add_func ("/sse-parser/wpt/format-comments-long", test_long_comments);
  for (gsize i = 0; i < G_N_ELEMENTS (rule_vectors); i++)
    {
      g_autofree char *path = g_strconcat ("/sse-parser/rules/", rule_vectors[i].name, NULL);

      g_test_add_data_func (path, &rule_vectors[i], test_vector);
    }
  g_test_add_func ("/sse-parser/dispatch-at-once", test_dispatch_at_once);
  g_test_add_func ("/sse-parser/last-event-id/getter", test_last_event_id_getter);
  g_test_add_func ("/sse-parser/last-event-id/shared", test_last_event_id_shared);
  g_test_add_func ("/sse-parser/caps/endless", test_endless);
  g_test_add_func ("/sse-parser/caps/large-event", test_large_event);
  g_test_add_func ("/sse-parser/new/caps", test_new_checks_arguments);
  g_test_add_func ("/sse-parser/new/utf8", test_new_checks_utf8);

  return g_test_run ();
}
