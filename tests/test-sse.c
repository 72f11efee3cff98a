/* test-sse.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The text/event-stream core, byte for byte (BEHAVIOUR.md 5 and Decision 2).
 */
#include "test-utils.h"

#include <math.h>
#include <string.h>

#include "fws-http-private.h"
#include "fws-sse-private.h"

#define HEAD_11 \
  "HTTP/1.1 200 OK\r\n" \
  "Content-Type: text/event-stream\r\n" \
  "Cache-Control: no-cache, no-store\r\n" \
  "X-Accel-Buffering: no\r\n" \
  "Connection: close\r\n"

/* Asserts that @out holds exactly @len bytes of @expected. */
static void
assert_string_eq_len (GString    *out,
                      const char *expected,
                      gsize       len)
{
  if (out->len != len || memcmp (out->str, expected, len) != 0)
    {
      g_autofree char *got = g_strescape (out->str, NULL);
      g_autofree char *want = g_strescape (expected, NULL);

      g_error ("bytes differ (%" G_GSIZE_FORMAT " vs %" G_GSIZE_FORMAT "):\n  got:  \"%s\"\n  want: \"%s\"",
               out->len, len, got, want);
    }
}

#define assert_string_eq(out, expected) assert_string_eq_len ((out), (expected), strlen (expected))

/* ---- Recognising a request ---- */

static void
test_accept (void)
{
  static const struct { const char *accept; gboolean ok; } cases[] = {
    { "text/event-stream", TRUE },
    { "text/html, text/event-stream", TRUE },
    { "text/event-stream,text/html", TRUE },
    { "text/html ,  text/event-stream  , */*", TRUE },
    { "\ttext/event-stream\t", TRUE },
    { ",, text/event-stream,", TRUE },
    { "text/event-stream;q=1", FALSE },
    { "text/event-stream ; q=1", FALSE },
    { "Text/Event-Stream", FALSE },
    { "TEXT/EVENT-STREAM", FALSE },
    { "text/event-streams", FALSE },
    { "xtext/event-stream", FALSE },
    { "text/event", FALSE },
    { "text/html", FALSE },
    { "*/*", FALSE },
    { "", FALSE },
    { ",", FALSE },
  };

  g_test_summary ("Accept must have the exact item text/event-stream, split on commas with optional "
                  "whitespace; parameters or another case do not count");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("Accept: %s", cases[i].accept);
      g_assert_cmpint (fws_sse_accept_is_event_stream (cases[i].accept), ==, cases[i].ok);
    }
  g_assert_false (fws_sse_accept_is_event_stream (NULL));
}

static void
test_is_request (void)
{
  SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  g_test_summary ("A GET with an event-stream Accept header is an EventSource request; other methods "
                  "and a missing Accept are not; several Accept headers count as one list");

  g_assert_false (fws_sse_is_request ("GET", h));
  soup_message_headers_append (h, "Accept", "text/html");
  g_assert_false (fws_sse_is_request ("GET", h));
  soup_message_headers_append (h, "Accept", "text/event-stream");
  g_assert_true (fws_sse_is_request ("GET", h));
  g_assert_false (fws_sse_is_request ("POST", h));
  g_assert_false (fws_sse_is_request ("HEAD", h));
  g_assert_false (fws_sse_is_request ("get", h));
  g_assert_false (fws_sse_is_request (NULL, h));
  soup_message_headers_unref (h);
}

/* ---- The response head ---- */

static void
test_retry_ms (void)
{
  g_test_summary ("retry is sent as floor (seconds × 1000)");

  g_assert_cmpuint (fws_sse_retry_ms (5), ==, 5000);
  g_assert_cmpuint (fws_sse_retry_ms (1.5), ==, 1500);
  g_assert_cmpuint (fws_sse_retry_ms (0.25), ==, 250);
  g_assert_cmpuint (fws_sse_retry_ms (0.0019), ==, 1);
  g_assert_cmpuint (fws_sse_retry_ms (0.0004), ==, 0);
  g_assert_cmpuint (fws_sse_retry_ms (0), ==, 0);
  g_assert_cmpuint (fws_sse_retry_ms (-3), ==, 0);
  g_assert_cmpuint (fws_sse_retry_ms (NAN), ==, 0);
  g_assert_cmpuint (fws_sse_retry_ms (1e12), ==, G_MAXUINT);
}

static void
test_head_default (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_test_summary ("The response head of BEHAVIOUR.md 5 plus X-Accel-Buffering, with retry: 5000");

  fws_sse_append_head (out, SOUP_HTTP_1_1, NULL, 5000);
  assert_string_eq (out,
                    "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache, no-store\r\n"
                    "X-Accel-Buffering: no\r\n"
                    "Connection: close\r\n"
                    "\r\n"
                    "retry: 5000\r\n"
                    "\r\n");
}

static void
test_head_http10 (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  SoupMessageHeaders *extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  g_test_summary ("An HTTP/1.0 request gets an HTTP/1.0 status line; an empty header list adds nothing");

  fws_sse_append_head (out, SOUP_HTTP_1_0, extra, 2500);
  assert_string_eq (out,
                    "HTTP/1.0 200 OK\r\n"
                    "Content-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache, no-store\r\n"
                    "X-Accel-Buffering: no\r\n"
                    "Connection: close\r\n"
                    "\r\n"
                    "retry: 2500\r\n"
                    "\r\n");
  soup_message_headers_unref (extra);
}

static void
test_head_extra_headers (void)
{
  g_autoptr(GString) out = g_string_new ("before|");
  SoupMessageHeaders *extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  g_test_summary ("Custom headers follow the fixed ones in order; they never replace or repeat the "
                  "stream's own headers nor set a body framing, and malformed ones are dropped");

  soup_message_headers_append (extra, "Access-Control-Allow-Origin", "*");
  soup_message_headers_append (extra, "Content-Type", "text/html");
  soup_message_headers_append (extra, "cache-control", "max-age=3600");
  soup_message_headers_append (extra, "X-Accel-Buffering", "yes");
  soup_message_headers_append (extra, "Connection", "keep-alive");
  soup_message_headers_append (extra, "Content-Length", "10");
  soup_message_headers_append (extra, "Transfer-Encoding", "chunked");
  soup_message_headers_append (extra, "Content-Encoding", "gzip");
  soup_message_headers_append (extra, "Set-Cookie", "a=1");
  soup_message_headers_append (extra, "Set-Cookie", "b=2");
  soup_message_headers_append (extra, "X-Ctl", "a\001b");
  soup_message_headers_append (extra, "X-Del", "a\177b");
  soup_message_headers_append (extra, "X(Bad)", "v");
  soup_message_headers_append (extra, "X-Tab", "a\tb");
  soup_message_headers_append (extra, "X-Empty", "");

  fws_sse_append_head (out, SOUP_HTTP_1_1, extra, 0);
  assert_string_eq (out,
                    "before|"
                    HEAD_11
                    "Access-Control-Allow-Origin: *\r\n"
                    "Set-Cookie: a=1\r\n"
                    "Set-Cookie: b=2\r\n"
                    "X-Tab: a\tb\r\n"
                    "X-Empty: \r\n"
                    "\r\n"
                    "retry: 0\r\n"
                    "\r\n");
  soup_message_headers_unref (extra);
}

static void
test_header_allowed (void)
{
  g_test_summary ("A header with CR, LF or another control character in its value, or a name that is "
                  "not a token, is never written (libsoup already refuses some of them)");

  g_assert_true (fws_sse_header_is_allowed ("X-Ok", "fine value"));
  g_assert_true (fws_sse_header_is_allowed ("X-Tab", "a\tb"));
  g_assert_true (fws_sse_header_is_allowed ("X-Utf8", "\xc3\xa9"));
  g_assert_false (fws_sse_header_is_allowed ("X-Evil", "a\r\nX-Injected: 1"));
  g_assert_false (fws_sse_header_is_allowed ("X-Evil", "a\rb"));
  g_assert_false (fws_sse_header_is_allowed ("X-Evil", "a\nb"));
  g_assert_false (fws_sse_header_is_allowed ("X-Evil", "a\001b"));
  g_assert_false (fws_sse_header_is_allowed ("X-Evil", "a\177b"));
  g_assert_false (fws_sse_header_is_allowed ("X-Evil\r\nX-Injected", "1"));
  g_assert_false (fws_sse_header_is_allowed ("X Evil", "1"));
  g_assert_false (fws_sse_header_is_allowed ("X:Evil", "1"));
  g_assert_false (fws_sse_header_is_allowed ("", "1"));
  g_assert_false (fws_sse_header_is_allowed (NULL, "1"));
  g_assert_false (fws_sse_header_is_allowed ("X-Ok", NULL));
  g_assert_false (fws_sse_header_is_allowed ("CONTENT-TYPE", "text/plain"));
  g_assert_false (fws_sse_header_is_allowed ("connection", "keep-alive"));
}

static void
test_retry_and_ping (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_test_summary ("A ping is the comment ':' and a blank line; a retry field stands alone");

  fws_sse_append_ping (out);
  assert_string_eq (out, ":\r\n\r\n");
  fws_sse_append_ping (out);
  assert_string_eq (out, ":\r\n\r\n:\r\n\r\n");

  g_string_truncate (out, 0);
  fws_sse_append_retry (out, 1234);
  assert_string_eq (out, "retry: 1234\r\n\r\n");
}

/* ---- Events ---- */

typedef struct
{
  const char *data;
  const char *event;
  const char *id;
  const char *expected;
} EventCase;

static void
test_events (void)
{
  static const EventCase cases[] = {
    { "hello", NULL, NULL, "data: hello\r\n\r\n" },
    { "hello", "tick", NULL, "event: tick\r\ndata: hello\r\n\r\n" },
    { "hello", NULL, "42", "id: 42\r\ndata: hello\r\n\r\n" },
    { "hello", "tick", "42", "event: tick\r\nid: 42\r\ndata: hello\r\n\r\n" },
    { "", NULL, NULL, "data: \r\n\r\n" },
    { "x", "", "", "event: \r\nid: \r\ndata: x\r\n\r\n" },
    { "a\nb", NULL, NULL, "data: a\r\ndata: b\r\n\r\n" },
    { "a\r\nb", NULL, NULL, "data: a\r\ndata: b\r\n\r\n" },
    { "a\rb", NULL, NULL, "data: a\r\ndata: b\r\n\r\n" },
    { "a\nb\r\nc\rd", "multi", "7", "event: multi\r\nid: 7\r\ndata: a\r\ndata: b\r\ndata: c\r\ndata: d\r\n\r\n" },
    { "a\n\nb", NULL, NULL, "data: a\r\ndata: \r\ndata: b\r\n\r\n" },
    { "a\r\rb", NULL, NULL, "data: a\r\ndata: \r\ndata: b\r\n\r\n" },
    { "a\n\rb", NULL, NULL, "data: a\r\ndata: \r\ndata: b\r\n\r\n" },
    { "a\n", NULL, NULL, "data: a\r\ndata: \r\n\r\n" },
    { "a\r", NULL, NULL, "data: a\r\ndata: \r\n\r\n" },
    { "a\r\n", NULL, NULL, "data: a\r\ndata: \r\n\r\n" },
    { "\r\n", NULL, NULL, "data: \r\ndata: \r\n\r\n" },
    { "\n", NULL, NULL, "data: \r\ndata: \r\n\r\n" },
    { " leading space", NULL, NULL, "data:  leading space\r\n\r\n" },
    { "data: x\n\nevent: forged", NULL, NULL, "data: data: x\r\ndata: \r\ndata: event: forged\r\n\r\n" },
    { "h\xc3\xa9llo \xe2\x9c\x93", "\xc3\xa9v", "\xe2\x9c\x93", "event: \xc3\xa9v\r\nid: \xe2\x9c\x93\r\ndata: h\xc3\xa9llo \xe2\x9c\x93\r\n\r\n" },
    { ":not a comment", NULL, NULL, "data: :not a comment\r\n\r\n" },
  };

  g_test_summary ("Each event is [event: X] [id: Y] then one data: line per line of data split on CR, "
                  "LF and CRLF, then a blank line; every line ends in CRLF");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *escaped = g_strescape (cases[i].data, NULL);

      g_test_message ("data \"%s\"", escaped);
      g_assert_true (fws_sse_append_event (out, cases[i].data, strlen (cases[i].data),
                                           cases[i].event, -1, cases[i].id, -1, &error));
      g_assert_no_error (error);
      assert_string_eq (out, cases[i].expected);
    }
}

static void
test_event_appends (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  static const char nul_data[] = "a\0b\nc";
  static const char expected[] = "data: one\r\n\r\nid: 2\r\ndata: a\0b\r\ndata: c\r\n\r\n";

  g_test_summary ("Events append to what is queued; data may carry U+0000 when a length is given");

  g_assert_true (fws_sse_append_event (out, "one", 3, NULL, -1, NULL, -1, NULL));
  g_assert_true (fws_sse_append_event (out, nul_data, sizeof nul_data - 1, NULL, -1, "2x", 1, NULL));
  assert_string_eq_len (out, expected, sizeof expected - 1);
}

typedef struct
{
  const char *value;
  gssize      len;
} Field;

static void
test_event_refused (void)
{
  static const Field bad[] = {
    { "a\rb", -1 },
    { "a\nb", -1 },
    { "a\r\nb", -1 },
    { "\r", -1 },
    { "\n", -1 },
    { "trailing\n", -1 },
    { "a\0b", 3 },
    { "\0", 1 },
    { "tick\0", 5 },
  };

  g_test_summary ("An event or id with CR, LF or NUL is refused with FWS_ERROR_INVALID_ARGUMENT and "
                  "nothing is appended (faye writes them raw, forging fields)");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      for (int as_id = 0; as_id < 2; as_id++)
        {
          g_autoptr(GString) out = g_string_new ("queued");
          g_autoptr(GError) error = NULL;
          gboolean ok;

          if (as_id)
            ok = fws_sse_append_event (out, "data", 4, "ok", -1, bad[i].value, bad[i].len, &error);
          else
            ok = fws_sse_append_event (out, "data", 4, bad[i].value, bad[i].len, "1", -1, &error);
          g_assert_false (ok);
          g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
          g_assert_nonnull (strstr (error->message, as_id ? "id" : "event"));
          assert_string_eq (out, "queued");
        }
    }

  /* The checker on its own. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (fws_sse_check_field ("fine", 4, "id", NULL));
    g_assert_true (fws_sse_check_field ("", 0, "id", NULL));
    g_assert_false (fws_sse_check_field ("a\0", 2, "id", &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_event_invalid_utf8 (void)
{
  static const char * const bad[] = { "\xff", "a\xc3", "\xed\xa0\x80" /* a surrogate */, "\xc0\xaf" };

  g_test_summary ("Data, event and id must be UTF-8 (the stream's only encoding): "
                  "FWS_ERROR_INVALID_UTF8, nothing appended");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      for (int where = 0; where < 3; where++)
        {
          g_autoptr(GString) out = g_string_new (NULL);
          g_autoptr(GError) error = NULL;
          const char *data = where == 0 ? bad[i] : "ok";

          g_assert_false (fws_sse_append_event (out, data, strlen (data),
                                                where == 1 ? bad[i] : NULL, -1,
                                                where == 2 ? bad[i] : NULL, -1, &error));
          g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
          g_assert_cmpuint (out->len, ==, 0);
        }
    }
}

/* ---- The request ---- */

static void
test_last_event_id (void)
{
  g_autofree char *max = g_strnfill (FWS_SSE_MAX_LAST_EVENT_ID, '7');
  g_autofree char *over = g_strnfill (FWS_SSE_MAX_LAST_EVENT_ID + 1, '7');
  struct { const char *value; gssize len; const char *expected; } cases[] = {
    { NULL, -1, "" },
    { "", -1, "" },
    { "42", -1, "42" },
    { "  spaced  ", -1, "  spaced  " },
    { "\xc3\xa9", -1, "\xc3\xa9" },
    { max, -1, max },
    { over, -1, "" },
    { "a\rb", -1, "" },
    { "a\nb", -1, "" },
    { "a\0b", 3, "" },
    { "\xff", -1, "" },
  };

  g_test_summary ("Last-Event-ID is kept up to 1024 bytes of UTF-8 without CR, LF or NUL; anything "
                  "else counts as \"\"");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = fws_sse_last_event_id (cases[i].value, cases[i].len);

      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_request_url (void)
{
  static const struct {
    gboolean secure;
    const char *host;
    const char *forwarded_name;
    const char *forwarded_value;
    const char *path;
    const char *query;
    const char *expected;
  } cases[] = {
    { FALSE, "example.com", NULL, NULL, "/events", NULL, "http://example.com/events" },
    { FALSE, "example.com:8080", NULL, NULL, "/events", "a=1&b=2", "http://example.com:8080/events?a=1&b=2" },
    { FALSE, "example.com", NULL, NULL, "/", "", "http://example.com/" },
    { TRUE, "example.com", NULL, NULL, "/e", NULL, "https://example.com/e" },
    { FALSE, "example.com", "X-Forwarded-Proto", "https", "/e", NULL, "https://example.com/e" },
    { FALSE, "example.com", "X-Forwarded-Proto", "HTTPS", "/e", NULL, "https://example.com/e" },
    { FALSE, "example.com", "X-Forwarded-Proto", "http", "/e", NULL, "http://example.com/e" },
    { FALSE, "example.com", "X-Forwarded-Ssl", "on", "/e", NULL, "https://example.com/e" },
    { FALSE, "example.com", "X-Forwarded-Scheme", "https", "/e", NULL, "https://example.com/e" },
    { FALSE, "[::1]:9000", NULL, NULL, "/e", NULL, "http://[::1]:9000/e" },
    { FALSE, NULL, NULL, NULL, "/e", NULL, NULL },
    { FALSE, "bad host", NULL, NULL, "/e", NULL, NULL },
    { FALSE, "example.com:99999", NULL, NULL, "/e", NULL, NULL },
  };

  g_test_summary ("The url is http(s):// + Host + path + ?query, https also behind a proxy that says "
                  "so; a missing or malformed Host gives NULL");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_autofree char *url = NULL;

      if (cases[i].host)
        soup_message_headers_append (h, "Host", cases[i].host);
      if (cases[i].forwarded_name)
        soup_message_headers_append (h, cases[i].forwarded_name, cases[i].forwarded_value);
      url = fws_http_request_url ("http", cases[i].secure, h, NULL, cases[i].path, cases[i].query);
      g_assert_cmpstr (url, ==, cases[i].expected);
      soup_message_headers_unref (h);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sse/request/accept", test_accept);
  g_test_add_func ("/sse/request/is-request", test_is_request);
  g_test_add_func ("/sse/request/last-event-id", test_last_event_id);
  g_test_add_func ("/sse/request/url", test_request_url);
  g_test_add_func ("/sse/head/retry-ms", test_retry_ms);
  g_test_add_func ("/sse/head/default", test_head_default);
  g_test_add_func ("/sse/head/http-1.0", test_head_http10);
  g_test_add_func ("/sse/head/extra-headers", test_head_extra_headers);
  g_test_add_func ("/sse/head/header-allowed", test_header_allowed);
  g_test_add_func ("/sse/ping-and-retry", test_retry_and_ping);
  g_test_add_func ("/sse/event/bytes", test_events);
  g_test_add_func ("/sse/event/appends", test_event_appends);
  g_test_add_func ("/sse/event/refused", test_event_refused);
  g_test_add_func ("/sse/event/invalid-utf8", test_event_invalid_utf8);

  return g_test_run ();
}
