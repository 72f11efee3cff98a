/* test-handshake.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-utils.h"

#include <string.h>

#include "fws-handshake-private.h"
#include "fws-extensions-private.h"

#define KEY_6_5    "JFBCWHksyIpXV+6Wlq/9pw=="
#define ACCEPT_6_5 "JdiiuafpBKRqD7eol0y4vJDTsTs="
#define KEY_6_6    "2vBVWg4Qyk3ZoM/5d3QD9Q=="
#define ACCEPT_6_6 "QV3I5XUXU2CdhtjixE7QCkCcMZM="

/* ---- Helpers ---- */

/* Name/value pairs, NULL-terminated. */
static SoupMessageHeaders *
headers_new (SoupMessageHeadersType type,
             ...)
{
  SoupMessageHeaders *headers = soup_message_headers_new (type);
  const char *name;
  va_list args;

  va_start (args, type);
  while ((name = va_arg (args, const char *)) != NULL)
    soup_message_headers_append (headers, name, va_arg (args, const char *));
  va_end (args);
  return headers;
}

/* The request of BEHAVIOUR.md 6.5. */
static SoupMessageHeaders *
hybi_request (void)
{
  return headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                      "Connection", "Upgrade",
                      "Upgrade", "websocket",
                      "Origin", "http://www.example.com",
                      "Sec-WebSocket-Key", KEY_6_5,
                      "Sec-WebSocket-Version", "13",
                      NULL);
}

static void
assert_bytes_eq (GBytes     *bytes,
                 const char *expected)
{
  gsize len;
  const char *data;
  g_autofree char *copy = NULL;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  copy = g_strndup (data, len);
  g_assert_cmpstr (copy, ==, expected);
  g_assert_cmpuint (len, ==, strlen (expected));
  g_assert_cmpint (memcmp (data, expected, len), ==, 0);
}

static SoupMessageHeaders *
parse_response_or_die (const char *text,
                       guint      *status)
{
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = NULL;

  g_assert_true (fws_http_parse_response (text, strlen (text), status, NULL, &headers, &error));
  g_assert_no_error (error);
  return headers;
}

/* ---- The head reader ---- */

static const char simple_request[] =
  "GET /chat HTTP/1.1\r\n"
  "Host: example.com\r\n"
  "Upgrade: websocket\r\n"
  "\r\n";

static void
test_head_reader_whole (void)
{
  g_autoptr(FwsHttpHeadReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  const char *head;
  gsize len = 0;
  gssize used;

  g_test_summary ("A head given in one piece is found whole");

  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  used = fws_http_head_reader_feed (reader, (const guint8 *) simple_request,
                                    strlen (simple_request), &error);
  g_assert_no_error (error);
  g_assert_cmpint (used, ==, (gssize) strlen (simple_request));
  head = fws_http_head_reader_get_head (reader, &len);
  g_assert_cmpuint (len, ==, strlen (simple_request));
  g_assert_cmpstr (head, ==, simple_request);
}

static void
test_head_reader_byte_at_a_time (void)
{
  g_autoptr(FwsHttpHeadReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = strlen (simple_request);
  gsize i, len = 0;

  g_test_summary ("A head that arrives one byte at a time is complete on its last byte");

  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  for (i = 0; i < n; i++)
    {
      gssize used = fws_http_head_reader_feed (reader, (const guint8 *) simple_request + i, 1, &error);

      g_assert_no_error (error);
      g_assert_cmpint (used, ==, i + 1 == n ? 1 : 0);
    }
  g_assert_cmpstr (fws_http_head_reader_get_head (reader, &len), ==, simple_request);
  g_assert_cmpuint (len, ==, n);
}

static void
test_head_reader_split_everywhere (void)
{
  gsize n = strlen (simple_request);
  gsize cut;

  g_test_summary ("A head followed by frame bytes, cut in two at every offset, ends at the right byte");

  for (cut = 0; cut <= n + 4; cut++)
    {
      g_autoptr(FwsHttpHeadReader) reader = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *all = g_strconcat (simple_request, "\x81\x02Hi", NULL);
      gsize all_len = n + 4;
      gssize used;

      reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                         FWS_HTTP_DEFAULT_MAX_HEADERS);
      used = fws_http_head_reader_feed (reader, (const guint8 *) all, cut, &error);
      g_assert_no_error (error);
      if (cut >= n)
        {
          g_assert_cmpint (used, ==, (gssize) n);
        }
      else
        {
          g_assert_cmpint (used, ==, 0);
          used = fws_http_head_reader_feed (reader, (const guint8 *) all + cut, all_len - cut, &error);
          g_assert_no_error (error);
          g_assert_cmpint (used, ==, (gssize) (n - cut));
        }
      g_assert_cmpstr (fws_http_head_reader_get_head (reader, NULL), ==, simple_request);
    }
}

static void
test_head_reader_trailing_bytes (void)
{
  g_autoptr(FwsHttpHeadReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = g_strdup ("HTTP/1.1 101 Switching Protocols\r\n"
                                      "Upgrade: websocket\r\n"
                                      "Connection: Upgrade\r\n"
                                      "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n"
                                      "\r\n");
  guint8 data[256];
  gsize plen = strlen (prefix);
  gsize len = 0;
  gssize used;

  g_test_summary ("The reader never takes the bytes after the head (a frame in the same read)");

  memcpy (data, prefix, plen);
  memcpy (data + plen, "\x81\x02Hi\r\n\r\n", 8);
  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  used = fws_http_head_reader_feed (reader, data, plen + 8, &error);
  g_assert_no_error (error);
  g_assert_cmpint (used, ==, (gssize) plen);
  g_assert_cmpstr (fws_http_head_reader_get_head (reader, &len), ==, prefix);
  g_assert_cmpuint (len, ==, plen);
  fws_test_assert_hex (data + used, 4, "81 02 48 69");
}

static void
test_head_reader_line_endings (void)
{
  const char *heads[] = {
    "GET / HTTP/1.1\nHost: a\n\n",
    "GET / HTTP/1.1\r\nHost: a\n\n",
    "GET / HTTP/1.1\nHost: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n\n",
    "GET / HTTP/1.1\r\nHost: a\n\r\n",
    "GET / HTTP/1.1\n\n",
    "GET / HTTP/1.1\r\n\r\n",
  };
  guint i;

  g_test_summary ("Bare LF, CRLF and mixed line endings all end a head");

  for (i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      g_autoptr(FwsHttpHeadReader) reader = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *with_tail = g_strconcat (heads[i], "XYZ", NULL);
      gssize used;

      reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                         FWS_HTTP_DEFAULT_MAX_HEADERS);
      used = fws_http_head_reader_feed (reader, (const guint8 *) with_tail, strlen (with_tail), &error);
      g_assert_no_error (error);
      g_assert_cmpint (used, ==, (gssize) strlen (heads[i]));
      g_assert_cmpstr (fws_http_head_reader_get_head (reader, NULL), ==, heads[i]);
    }
}

static void
test_head_reader_leading_empty_lines (void)
{
  g_autoptr(FwsHttpHeadReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  const char *input = "\r\n\n\r\n" "GET / HTTP/1.1\r\nHost: a\r\n\r\n" "rest";
  gsize i;
  gssize used = 0;

  g_test_summary ("Empty lines before the start line are skipped, not taken as the end of the head");

  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  /* Byte by byte, so the leading lines also straddle calls. */
  for (i = 0; i < strlen (input) && used == 0; i++)
    {
      used = fws_http_head_reader_feed (reader, (const guint8 *) input + i, 1, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpint (used, ==, 1);
  g_assert_cmpuint (i, ==, strlen (input) - strlen ("rest"));
  g_assert_cmpstr (fws_http_head_reader_get_head (reader, NULL), ==, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");

  /* In one piece: the count includes the skipped lines. */
  g_clear_pointer (&reader, fws_http_head_reader_free);
  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  used = fws_http_head_reader_feed (reader, (const guint8 *) input, strlen (input), &error);
  g_assert_no_error (error);
  g_assert_cmpint (used, ==, (gssize) (strlen (input) - strlen ("rest")));
  g_assert_cmpstr (fws_http_head_reader_get_head (reader, NULL), ==, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

/* Feeds @head to a new reader, whole (@chunk 0) or @chunk bytes at a time;
 * returns the final result. */
static gssize
feed_head (const char  *head,
           gsize        len,
           gsize        max_head,
           gsize        max_line,
           guint        max_headers,
           gsize        chunk,
           GError     **error)
{
  g_autoptr(FwsHttpHeadReader) reader = fws_http_head_reader_new (max_head, max_line, max_headers);
  gsize off = 0;
  gssize used = 0;

  if (chunk == 0)
    chunk = len;
  while (off < len && used == 0)
    {
      gsize n = MIN (chunk, len - off);

      used = fws_http_head_reader_feed (reader, (const guint8 *) head + off, n, error);
      if (used > 0)
        used += (gssize) off;
      off += n;
    }
  return used;
}

/* "GET / HTTP/1.1" EOL, then a header line of @line_len bytes, EOL, EOL. */
static char *
head_with_line (gsize       line_len,
                const char *eol)
{
  GString *s = g_string_new ("GET / HTTP/1.1");

  g_string_append (s, eol);
  g_string_append (s, "X-Long: ");
  while (s->len < strlen ("GET / HTTP/1.1") + strlen (eol) + line_len)
    g_string_append_c (s, 'a');
  g_string_append (s, eol);
  g_string_append (s, eol);
  return g_string_free (s, FALSE);
}

static void
test_head_reader_line_limit (void)
{
  const char *eols[] = { "\r\n", "\n" };
  guint e;

  g_test_summary ("A header line of max_line bytes is accepted and one of max_line + 1 is not, "
                  "with the default and a small limit, whole or byte by byte");

  for (e = 0; e < G_N_ELEMENTS (eols); e++)
    {
      gsize chunks[] = { 0, 1, 7 };
      guint c;

      for (c = 0; c < G_N_ELEMENTS (chunks); c++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *ok = head_with_line (4096, eols[e]);
          g_autofree char *bad = head_with_line (4097, eols[e]);
          g_autofree char *small_ok = head_with_line (20, eols[e]);
          g_autofree char *small_bad = head_with_line (21, eols[e]);

          g_assert_cmpint (feed_head (ok, strlen (ok), FWS_HTTP_DEFAULT_MAX_HEAD,
                                      FWS_HTTP_DEFAULT_MAX_LINE, FWS_HTTP_DEFAULT_MAX_HEADERS,
                                      chunks[c], &error), ==, (gssize) strlen (ok));
          g_assert_no_error (error);

          g_assert_cmpint (feed_head (bad, strlen (bad), FWS_HTTP_DEFAULT_MAX_HEAD,
                                      FWS_HTTP_DEFAULT_MAX_LINE, FWS_HTTP_DEFAULT_MAX_HEADERS,
                                      chunks[c], &error), ==, -1);
          g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
          g_assert_cmpstr (error->message, ==, "HTTP header line too long");
          g_clear_error (&error);

          g_assert_cmpint (feed_head (small_ok, strlen (small_ok), 1000, 20, 10,
                                      chunks[c], &error), ==, (gssize) strlen (small_ok));
          g_assert_no_error (error);

          g_assert_cmpint (feed_head (small_bad, strlen (small_bad), 1000, 20, 10,
                                      chunks[c], &error), ==, -1);
          g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
          g_clear_error (&error);
        }
    }
}

static void
test_head_reader_line_limit_edges (void)
{
  g_autoptr(GError) error = NULL;
  /* max_line 14: "GET / HTTP/1.1" is exactly 14 bytes. */
  const char *start_ok = "GET / HTTP/1.1\r\n\r\n";
  const char *start_bad = "GET /x HTTP/1.1\r\n\r\n";
  /* A CR may follow the 14 bytes only as part of CRLF. */
  const char *cr_then_more = "GET / HTTP/1.1\rX\r\n\r\n";
  /* Stray CRs count as line bytes. */
  const char *two_crs = "GET / HTTP/1.1\r\r\n\r\n";

  g_test_summary ("The start line is limited too, and only the CR of a CRLF is allowed past max_line");

  g_assert_cmpint (feed_head (start_ok, strlen (start_ok), 1000, 14, 10, 0, &error), ==,
                   (gssize) strlen (start_ok));
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (start_bad, strlen (start_bad), 1000, 14, 10, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpint (feed_head (cr_then_more, strlen (cr_then_more), 1000, 14, 10, 1, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpint (feed_head (two_crs, strlen (two_crs), 1000, 14, 10, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

/* A head of exactly @size bytes: the start line, header lines of about
 * 1000 bytes, the blank line. */
static char *
head_of_size (gsize size)
{
  GString *s = g_string_new ("GET / HTTP/1.1\r\n");
  gsize rest, lines, i;

  g_assert_cmpuint (size, >=, s->len + 2 + 1000);
  rest = size - s->len - 2;
  lines = (rest + 999) / 1000;
  for (i = 0; i < lines; i++)
    {
      /* This line's share, the remainder going to the first one. */
      gsize line = rest / lines + (i == 0 ? rest % lines : 0);
      gsize target = s->len + line - 2;

      g_string_append_printf (s, "X-%03u:", (guint) i);
      while (s->len < target)
        g_string_append_c (s, 'a');
      g_string_append (s, "\r\n");
    }
  g_string_append (s, "\r\n");
  g_assert_cmpuint (s->len, ==, size);
  return g_string_free (s, FALSE);
}

static void
test_head_reader_head_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ok = head_of_size (FWS_HTTP_DEFAULT_MAX_HEAD);
  g_autofree char *bad = head_of_size (FWS_HTTP_DEFAULT_MAX_HEAD + 1);
  const char *small = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const char *leading = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  gsize small_len = strlen (small);

  g_test_summary ("A head of max_head bytes is accepted and one of max_head + 1 is not; "
                  "empty lines before the start line count");

  g_assert_cmpint (feed_head (ok, strlen (ok), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 0, &error), ==, (gssize) strlen (ok));
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (ok, strlen (ok), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 1, &error), ==, (gssize) strlen (ok));
  g_assert_no_error (error);

  g_assert_cmpint (feed_head (bad, strlen (bad), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "HTTP head too large");
  g_clear_error (&error);

  g_assert_cmpint (feed_head (small, small_len, small_len, 100, 10, 0, &error), ==, (gssize) small_len);
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (small, small_len, small_len - 1, 100, 10, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpint (feed_head (leading, strlen (leading), small_len, 100, 10, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

static char *
head_with_headers (guint n)
{
  GString *s = g_string_new ("GET / HTTP/1.1\r\n");
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "X-Header-%u: %u\r\n", i, i);
  g_string_append (s, "\r\n");
  return g_string_free (s, FALSE);
}

static void
test_head_reader_header_count (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ok = head_with_headers (100);
  g_autofree char *bad = head_with_headers (101);
  g_autofree char *none = head_with_headers (0);
  g_autofree char *one = head_with_headers (1);
  g_autofree char *three = head_with_headers (3);
  g_autofree char *four = head_with_headers (4);

  g_test_summary ("100 header lines are accepted and 101 are not; small limits too");

  g_assert_cmpint (feed_head (ok, strlen (ok), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 0, &error), ==, (gssize) strlen (ok));
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (bad, strlen (bad), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "Too many HTTP headers");
  g_clear_error (&error);
  g_assert_cmpint (feed_head (bad, strlen (bad), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 1, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_cmpint (feed_head (none, strlen (none), 1000, 100, 0, 0, &error), ==, (gssize) strlen (none));
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (one, strlen (one), 1000, 100, 0, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpint (feed_head (three, strlen (three), 1000, 100, 3, 0, &error), ==, (gssize) strlen (three));
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (four, strlen (four), 1000, 100, 3, 0, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
}

static void
test_head_reader_nul (void)
{
#define H(s) { s, sizeof s - 1 }
  static const struct {
    const char *data;
    gsize len;
  } heads[] = {
    H ("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"),
    H ("GET /\0 HTTP/1.1\r\n\r\n"),
    H ("\r\n\0GET / HTTP/1.1\r\n\r\n"),
    H ("GET / HTTP/1.1\r\n\0\r\n\r\n"),
  };
#undef H
  guint i;

  g_test_summary ("A NUL byte anywhere in the head is a handshake error");

  for (i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      gsize chunk;

      for (chunk = 0; chunk <= 1; chunk++)
        {
          g_autoptr(GError) error = NULL;

          g_assert_cmpint (feed_head (heads[i].data, heads[i].len, FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                      FWS_HTTP_DEFAULT_MAX_HEADERS, chunk, &error), ==, -1);
          g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
        }
    }
}

static void
test_head_reader_large_byte_at_a_time (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *head = head_of_size (FWS_HTTP_DEFAULT_MAX_HEAD);
  g_autofree char *bad = head_of_size (FWS_HTTP_DEFAULT_MAX_HEAD + 1);
  gint64 t0 = g_get_monotonic_time ();

  g_test_summary ("A 64 KiB head fed one byte at a time is read in linear time");

  g_assert_cmpint (feed_head (head, strlen (head), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 1, &error), ==, (gssize) strlen (head));
  g_assert_no_error (error);
  g_assert_cmpint (feed_head (bad, strlen (bad), FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                              FWS_HTTP_DEFAULT_MAX_HEADERS, 1, &error), ==, -1);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  /* Generous even under valgrind; a quadratic reader would take minutes. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 20 * G_USEC_PER_SEC);
}

/* ---- Parsing complete heads ---- */

static void
test_parse_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  SoupMessageHeaders *headers = NULL;
  SoupHTTPVersion version = SOUP_HTTP_1_0;
  const char *head = "GET /chat?room=1 HTTP/1.1\r\n"
                     "Host: example.com:8080\r\n"
                     "Sec-WebSocket-Protocol: a\r\n"
                     "Sec-WebSocket-Protocol: b, c\r\n"
                     "\r\n";

  g_test_summary ("A request head gives its method, target, version and headers");

  g_assert_true (fws_http_parse_request (head, strlen (head), &method, &path, &version, &headers, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (method, ==, "GET");
  g_assert_cmpstr (path, ==, "/chat?room=1");
  g_assert_cmpint (version, ==, SOUP_HTTP_1_1);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Host"), ==, "example.com:8080");
  g_assert_cmpstr (soup_message_headers_get_list (headers, "Sec-WebSocket-Protocol"), ==, "a, b, c");
  soup_message_headers_unref (headers);
}

static void
test_parse_request_invalid (void)
{
  static const char * const heads[] = {
    "GET /\r\nHost: a\r\n\r\n",
    "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "GET / FOO/1.1\r\nHost: a\r\n\r\n",
    "\r\n\r\n",
    "GET\r\n\r\n",
  };
  guint i;

  g_test_summary ("Malformed request heads are refused with 'Invalid HTTP request'");

  for (i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      g_autoptr(GError) error = NULL;
      SoupMessageHeaders *headers = NULL;
      char *method = NULL;

      g_assert_false (fws_http_parse_request (heads[i], strlen (heads[i]), &method, NULL, NULL,
                                              &headers, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==, "Invalid HTTP request");
      g_assert_null (headers);
      g_assert_null (method);
    }

  /* Empty, and a NUL inside the given length. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (fws_http_parse_request ("", 0, NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
    g_clear_error (&error);
    g_assert_false (fws_http_parse_request ("GET / HTTP/1.1\r\nA: \0\r\n\r\n",
                                            sizeof "GET / HTTP/1.1\r\nA: \0\r\n\r\n" - 1,
                                            NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  }
}

static void
test_parse_response (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  SoupMessageHeaders *headers = NULL;
  guint status = 0;
  /* The head is followed by frame bytes that are not part of it. */
  const char *buffer = "HTTP/1.1 101 Switching Protocols\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n"
                       "\r\n"
                       "\x81\x02Hi";

  g_test_summary ("A response head gives its status, reason and headers, and reads only its length");

  g_assert_true (fws_http_parse_response (buffer, strlen (buffer) - 4, &status, &reason, &headers, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 101);
  g_assert_cmpstr (reason, ==, "Switching Protocols");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Upgrade"), ==, "websocket");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Sec-WebSocket-Accept"), ==, ACCEPT_6_6);
  soup_message_headers_unref (headers);
}

static void
test_parse_response_lenient (void)
{
  static const char * const heads[] = {
    "HTTP/1.1 101 \r\nUpgrade: websocket\r\n\r\n",
    "HTTP/1.1 101\r\nUpgrade: websocket\r\n\r\n",
    "HTTP/1.1 101\nUpgrade: websocket\n\n",
    "\r\nHTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n",
  };
  guint i;

  g_test_summary ("An empty or missing reason phrase is accepted (libsoup's rule)");

  for (i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *reason = NULL;
      SoupMessageHeaders *headers = NULL;
      guint status = 0;

      g_assert_true (fws_http_parse_response (heads[i], strlen (heads[i]), &status, &reason,
                                              &headers, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (status, ==, 101);
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Upgrade"), ==, "websocket");
      soup_message_headers_unref (headers);
    }
}

static void
test_parse_response_invalid (void)
{
  static const char * const heads[] = {
    /* BEHAVIOUR.md 6.6, "bad status code". */
    "HTTP/1.1 4 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
    "HTTP/1.1 1010 Switching Protocols\r\n\r\n",
    "HTTP/1.1 101x\r\n\r\n",
    "HTTP/1.1 abc OK\r\n\r\n",
    "ICY 200 OK\r\n\r\n",
    "HTTP/2 101 OK\r\n\r\n",
    "HTTP/1.1\r\n\r\n",
    "SSH-2.0-OpenSSH_9.2\r\n\r\n",
  };
  guint i;

  g_test_summary ("Malformed status lines are refused with 'Invalid HTTP response'");

  for (i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      g_autoptr(GError) error = NULL;
      SoupMessageHeaders *headers = NULL;
      guint status = 0;

      g_assert_false (fws_http_parse_response (heads[i], strlen (heads[i]), &status, NULL,
                                               &headers, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==, "Invalid HTTP response");
      g_assert_null (headers);
      g_assert_cmpuint (status, ==, 0);
    }
}

/* ---- Server side ---- */

static void
test_accept_vectors (void)
{
  static const char * const vectors[][2] = {
    { KEY_6_5, ACCEPT_6_5 },
    { KEY_6_6, ACCEPT_6_6 },
    { "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
  };
  guint i;

  g_test_summary ("Sec-WebSocket-Accept vectors of BEHAVIOUR.md 6.11, the RFC 6455 example included");

  g_assert_cmpstr (FWS_WS_GUID, ==, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *accept = fws_handshake_accept_key (vectors[i][0]);

      g_assert_cmpstr (accept, ==, vectors[i][1]);
    }
}

static void
test_is_websocket_request (void)
{
  static const struct {
    const char *method, *connection, *upgrade;
    gboolean expected;
  } cases[] = {
    { "GET", "Upgrade", "websocket", TRUE },
    { "GET", "upgrade", "WebSocket", TRUE },
    { "GET", "keep-alive, Upgrade", "websocket", TRUE },
    { "GET", "keep-alive,upgrade", "WEBSOCKET", TRUE },
    { "GET", "Upgrade , keep-alive", "websocket", TRUE },
    { "POST", "Upgrade", "websocket", FALSE },
    { "get", "Upgrade", "websocket", FALSE },
    { NULL, "Upgrade", "websocket", FALSE },
    { "GET", NULL, "websocket", FALSE },
    { "GET", "keep-alive", "websocket", FALSE },
    { "GET", "upgrades", "websocket", FALSE },
    { "GET", "Upgrade", NULL, FALSE },
    { "GET", "Upgrade", "websocket, foo", FALSE },
    { "GET", "Upgrade", "h2c", FALSE },
  };
  guint i;

  g_test_summary ("The upgrade test of BEHAVIOUR.md 1.2: GET, a Connection token list with upgrade, "
                  "Upgrade exactly websocket");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

      if (cases[i].connection != NULL)
        soup_message_headers_append (headers, "Connection", cases[i].connection);
      if (cases[i].upgrade != NULL)
        soup_message_headers_append (headers, "Upgrade", cases[i].upgrade);
      g_assert_cmpint (fws_handshake_is_websocket_request (cases[i].method, headers), ==, cases[i].expected);
      soup_message_headers_unref (headers);
    }
}

#define RESPONSE_6_5 \
  "HTTP/1.1 101 Switching Protocols\r\n" \
  "Upgrade: websocket\r\n" \
  "Connection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n" \
  "\r\n"

static void
test_server_respond (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *protocol = NULL;
  SoupMessageHeaders *request = hybi_request ();

  g_test_summary ("BEHAVIOUR.md 6.5: start writes the exact 101 response");

  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, &protocol, &response, &error));
  g_assert_no_error (error);
  g_assert_null (protocol);
  assert_bytes_eq (response, RESPONSE_6_5);
  soup_message_headers_unref (request);
}

static void
test_server_subprotocols (void)
{
  static const struct {
    const char *offer[3];
    const char *server[3];
    const char *selected;
  } cases[] = {
    { { "foo, bar, xmpp", NULL }, { "xmpp", NULL }, "xmpp" },
    { { "foo,bar,xmpp", NULL }, { "xmpp", "bar", NULL }, "bar" },
    { { "foo", "bar ,  xmpp" }, { "xmpp", NULL }, "xmpp" },
    { { "a, b", NULL }, { "b", "a", NULL }, "a" },
    { { "foo, bar", NULL }, { "xmpp", NULL }, NULL },
    { { "XMPP", NULL }, { "xmpp", NULL }, NULL },
    { { NULL }, { "xmpp", NULL }, NULL },
    { { "xmpp", NULL }, { NULL }, NULL },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 6.5/2.6: the first protocol in the client's order that the server "
                  "supports is selected and sent after the accept key");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = NULL;
      g_autofree char *protocol = NULL;
      SoupMessageHeaders *request = hybi_request ();
      guint j;

      for (j = 0; j < G_N_ELEMENTS (cases[i].offer) && cases[i].offer[j] != NULL; j++)
        soup_message_headers_append (request, "Sec-WebSocket-Protocol", cases[i].offer[j]);
      g_assert_true (fws_handshake_server_respond ("GET", request, cases[i].server, NULL, NULL,
                                                   &protocol, &response, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (protocol, ==, cases[i].selected);
      if (cases[i].selected != NULL)
        {
          g_autofree char *expected =
            g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                             "Sec-WebSocket-Protocol: %s\r\n"
                             "\r\n", cases[i].selected);
          assert_bytes_eq (response, expected);
        }
      else
        assert_bytes_eq (response, RESPONSE_6_5);
      soup_message_headers_unref (request);
    }
}

static void
test_server_custom_headers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *protocol = NULL;
  SoupMessageHeaders *request = hybi_request ();
  SoupMessageHeaders *extra = headers_new (SOUP_MESSAGE_HEADERS_RESPONSE,
                                           "Authorization", "Bearer WAT",
                                           NULL);
  const char * const protocols[] = { "xmpp", NULL };

  g_test_summary ("BEHAVIOUR.md 6.5: custom headers come first, before Upgrade");

  soup_message_headers_append (request, "Sec-WebSocket-Protocol", "xmpp");
  g_assert_true (fws_handshake_server_respond ("GET", request, protocols, extra, NULL, &protocol, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "Authorization: Bearer WAT\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                   "Sec-WebSocket-Protocol: xmpp\r\n"
                   "\r\n");
  soup_message_headers_unref (extra);
  soup_message_headers_unref (request);
}

static void
test_server_reserved_headers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  SoupMessageHeaders *request = hybi_request ();
  SoupMessageHeaders *extra = headers_new (SOUP_MESSAGE_HEADERS_RESPONSE,
                                           "X-Before", "1",
                                           "Upgrade", "h2c",
                                           "connection", "close",
                                           "Sec-WebSocket-Accept", "forged",
                                           "SEC-WEBSOCKET-PROTOCOL", "chat",
                                           "Sec-WebSocket-Extensions", "permessage-deflate",
                                           "Sec-WebSocket-Version", "8",
                                           "Content-Length", "42",
                                           "transfer-encoding", "chunked",
                                           "X-After", "2",
                                           NULL);

  g_test_summary ("Custom headers never replace the handshake's own (any case), nor give a 101 a body");

  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, extra, NULL, NULL, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "X-Before: 1\r\n"
                   "X-After: 2\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                   "\r\n");
  soup_message_headers_unref (extra);
  soup_message_headers_unref (request);
}

static void
test_server_header_injection (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  SoupMessageHeaders *request = hybi_request ();
  SoupMessageHeaders *extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  g_test_summary ("Custom headers with control characters or a bad name are never written");

  /* libsoup itself refuses CR and LF; we must not write them either way. */
  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*");
  soup_message_headers_append (extra, "X-Evil", "a\r\nX-Injected: 1");
  g_test_assert_expected_messages ();
  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*");
  soup_message_headers_append (extra, "X-Evil\r\nX-Injected", "1");
  g_test_assert_expected_messages ();

  /* What libsoup lets through, and we drop. */
  soup_message_headers_append (extra, "X-Ok", "yes");
  soup_message_headers_append (extra, "X-Vt", "a\vb");
  soup_message_headers_append (extra, "X-Nul-Like", "a\001b");
  soup_message_headers_append (extra, "X-Del", "a\177b");
  soup_message_headers_append (extra, "X(Bad)", "v");
  soup_message_headers_append (extra, "X-Tab", "a\tb");

  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, extra, NULL, NULL, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "X-Ok: yes\r\n"
                   "X-Tab: a\tb\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                   "\r\n");
  soup_message_headers_unref (extra);
  soup_message_headers_unref (request);
}

static char *
bad_request (const char *body)
{
  return g_strdup_printf ("HTTP/1.1 400 Bad Request\r\n"
                          "Content-Type: text/plain\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "\r\n"
                          "%s", strlen (body), body);
}

static char *
upgrade_required (const char *body)
{
  return g_strdup_printf ("HTTP/1.1 426 Upgrade Required\r\n"
                          "Content-Type: text/plain\r\n"
                          "Sec-WebSocket-Version: 13\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "\r\n"
                          "%s", strlen (body), body);
}

/* Runs the handshake on @request (consumed) and expects a refusal. */
static void
assert_refused (const char         *method,
                SoupMessageHeaders *request,
                guint               status,
                const char         *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *expected = NULL;
  char *protocol = (char *) "unset";
  const char * const protocols[] = { "xmpp", NULL };

  g_assert_false (fws_handshake_server_respond (method, request, protocols, NULL, NULL,
                                                &protocol, &response, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_null (protocol);
  expected = status == 426 ? upgrade_required (message) : bad_request (message);
  assert_bytes_eq (response, expected);
  soup_message_headers_unref (request);
}

static void
test_server_error_responses (void)
{
  SoupMessageHeaders *request;
  g_autofree char *not_ws = NULL;

  g_test_summary ("Every refusal: exact 400/426 bytes and the same message in the GError");

  /* The exact bytes once, by hand. */
  not_ws = bad_request ("Not a WebSocket request");
  g_assert_cmpstr (not_ws, ==, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 23\r\n\r\nNot a WebSocket request");

  assert_refused ("POST", hybi_request (), 400, "Not a WebSocket request");
  assert_refused (NULL, hybi_request (), 400, "Not a WebSocket request");

  request = hybi_request ();
  soup_message_headers_remove (request, "Upgrade");
  assert_refused ("GET", request, 400, "Not a WebSocket request");

  request = hybi_request ();
  soup_message_headers_replace (request, "Upgrade", "websocket, foo");
  assert_refused ("GET", request, 400, "Not a WebSocket request");

  request = hybi_request ();
  soup_message_headers_replace (request, "Connection", "keep-alive");
  assert_refused ("GET", request, 400, "Not a WebSocket request");

  /* Decision 5: 426 with the version received. */
  request = hybi_request ();
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "7");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 7");
  {
    g_autofree char *bytes = upgrade_required ("Unsupported WebSocket version: 7");

    g_assert_cmpstr (bytes, ==, "HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain\r\n"
                                "Sec-WebSocket-Version: 13\r\nContent-Length: 32\r\n\r\n"
                                "Unsupported WebSocket version: 7");
  }

  request = hybi_request ();
  soup_message_headers_append (request, "Sec-WebSocket-Version", "8");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 13, 8");

  request = hybi_request ();
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "1\0013\377");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 1?3?");

  request = hybi_request ();
  soup_message_headers_remove (request, "Sec-WebSocket-Version");
  assert_refused ("GET", request, 426, "Missing handshake request header: Sec-WebSocket-Version");

  request = hybi_request ();
  soup_message_headers_remove (request, "Sec-WebSocket-Key");
  assert_refused ("GET", request, 400, "Missing handshake request header: Sec-WebSocket-Key");

  /* The version is checked before the key (BEHAVIOUR.md 2.6). */
  request = hybi_request ();
  soup_message_headers_remove (request, "Sec-WebSocket-Key");
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "8");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 8");
}

static void
test_server_invalid_keys (void)
{
  static const char * const keys[] = {
    "",
    "abc",
    "JFBCWHksyIpXV+6Wlq/9pw=",        /* 23 characters */
    "JFBCWHksyIpXV+6Wlq/9pw===",      /* 25 */
    "JFBCWHksyIpXV+6Wlq/9p===",       /* 15 bytes and a bit */
    "JFBCWHksyIpXV+6Wlq/9pw!=",       /* not base64 */
    "JFBCWHksyIpXV+6Wlq/9p w==",
    "JFBCWHksyIpXV+6Wlq/9pwAA",       /* 18 bytes */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",   /* 20 bytes */
    "JFBCWHksyIpXV-6Wlq_9pw==",       /* base64url */
  };
  guint i;

  g_test_summary ("A Sec-WebSocket-Key that is not base64 of 16 bytes is a 400");

  for (i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      SoupMessageHeaders *request = hybi_request ();

      soup_message_headers_replace (request, "Sec-WebSocket-Key", keys[i]);
      assert_refused ("GET", request, 400, "Invalid Sec-WebSocket-Key header");
    }

  /* Two keys are joined into a list, which is not a key. */
  {
    SoupMessageHeaders *request = hybi_request ();

    soup_message_headers_append (request, "Sec-WebSocket-Key", KEY_6_6);
    assert_refused ("GET", request, 400, "Invalid Sec-WebSocket-Key header");
  }
}

static void
test_server_host (void)
{
  static const char * const good[] = {
    "example.com", "example.com:8080", "127.0.0.1:1", "[::1]", "[::1]:65535", "localhost",
  };
  static const char * const bad[] = {
    "exa mple.com", "example.com/x", "user@example.com", "example.com:", "example.com:0",
    "example.com:65536", "example.com:1:2", "[::1", "[::1]x", "[nothex]:80", "::1", "a\001b",
  };
  guint i;

  g_test_summary ("A malformed Host is a 400; a valid or missing one is accepted");

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = NULL;
      SoupMessageHeaders *request = hybi_request ();

      soup_message_headers_append (request, "Host", good[i]);
      g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
      g_assert_no_error (error);
      assert_bytes_eq (response, RESPONSE_6_5);
      soup_message_headers_unref (request);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      SoupMessageHeaders *request = hybi_request ();

      soup_message_headers_append (request, "Host", bad[i]);
      assert_refused ("GET", request, 400, "Invalid Host header");
    }
}

static void
test_server_connection_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  SoupMessageHeaders *request = hybi_request ();

  g_test_summary ("Connection: keep-alive, Upgrade (Firefox) is a WebSocket request");

  soup_message_headers_replace (request, "Connection", "keep-alive, Upgrade");
  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response, RESPONSE_6_5);
  soup_message_headers_unref (request);
}

/* ---- request_url ---- */

static void
test_request_url (void)
{
  static const struct {
    gboolean secure;
    const char *header, *value;
    const char *host, *path, *query;
    const char *expected;
  } cases[] = {
    { FALSE, NULL, NULL, "example.com", "/chat", NULL, "ws://example.com/chat" },
    { FALSE, NULL, NULL, "example.com", "/chat", "", "ws://example.com/chat" },
    { FALSE, NULL, NULL, "example.com:8080", "/chat", "a=1&b=2", "ws://example.com:8080/chat?a=1&b=2" },
    { FALSE, NULL, NULL, "[::1]:8080", "/", NULL, "ws://[::1]:8080/" },
    { TRUE, NULL, NULL, "example.com", "/chat", NULL, "wss://example.com/chat" },
    { FALSE, "X-Forwarded-Ssl", "on", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Ssl", "ON", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Ssl", "off", "example.com", "/", NULL, "ws://example.com/" },
    { FALSE, "X-Forwarded-Scheme", "https", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Scheme", "HTTPS", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Scheme", "http", "example.com", "/", NULL, "ws://example.com/" },
    { FALSE, "X-Forwarded-Proto", "https", "example.com", "/", "x", "wss://example.com/?x" },
    { FALSE, "X-Forwarded-Proto", "Https", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Proto", "http", "example.com", "/", NULL, "ws://example.com/" },
    { TRUE, "X-Forwarded-Proto", "http", "example.com", "/", NULL, "wss://example.com/" },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 1.2: ws or wss (TLS or a forwarding header), Host, path, ?query");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *request = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                                 "Host", cases[i].host, NULL);
      g_autofree char *url = NULL;

      if (cases[i].header != NULL)
        soup_message_headers_append (request, cases[i].header, cases[i].value);
      url = fws_handshake_request_url (cases[i].secure, request, cases[i].path, cases[i].query);
      g_assert_cmpstr (url, ==, cases[i].expected);
      soup_message_headers_unref (request);
    }
}

static void
test_request_url_bad_host (void)
{
  static const char * const hosts[] = {
    "", " ", "a b", "a/b", "/", "@", "user@host", "user:pw@host", "host:", "host:abc", "host:-1",
    "host:0", "host:65536", "host:123456", "host:1:2", "host:80/x", "::1", "[::1", "[::1]]",
    "[::1]:", "[::1]x", "[::1]:99999", "[]", "[:::::]", "[1.2.3.4]", "a\tb", "a\001b", "a\177b",
    "exa\303\251mple.com", "%00", "a%2fb", "host?x", "host#x", "host\\x", "[::1%]", "..\"",
    "a,b", "a;b",
  };
  guint i;

  g_test_summary ("A missing or malformed Host gives NULL, never a crash");

  for (i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      SoupMessageHeaders *request = headers_new (SOUP_MESSAGE_HEADERS_REQUEST, "Host", hosts[i], NULL);
      g_autofree char *url = fws_handshake_request_url (FALSE, request, "/", NULL);

      if (url != NULL)
        g_error ("Host %s gave %s", hosts[i], url);
      soup_message_headers_unref (request);
    }

  {
    SoupMessageHeaders *request = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
    g_autofree char *url = fws_handshake_request_url (TRUE, request, "/", "a");

    g_assert_null (url);
    soup_message_headers_unref (request);
  }

  /* A very long one. */
  {
    g_autofree char *long_host = g_strnfill (10000, 'a');
    SoupMessageHeaders *request = headers_new (SOUP_MESSAGE_HEADERS_REQUEST, "Host", long_host, NULL);
    g_autofree char *url = fws_handshake_request_url (FALSE, request, "/", NULL);

    g_assert_null (url);
    soup_message_headers_unref (request);
  }
}

/* ---- Client side ---- */

static void
test_parse_url (void)
{
  static const struct {
    const char *url, *scheme, *host;
    int port;
  } good[] = {
    { "ws://www.example.com/socket", "ws", "www.example.com", -1 },
    { "wss://www.example.com:3000/socket", "wss", "www.example.com", 3000 },
    { "WS://www.example.com", "ws", "www.example.com", -1 },
    { "wSs://user:pass@www.example.com/", "wss", "www.example.com", -1 },
    { "ws://[::1]:8080/", "ws", "::1", 8080 },
    { "ws://127.0.0.1/", "ws", "127.0.0.1", -1 },
  };
  static const char * const bad[] = {
    "stream.wikimedia.org/rc", "http://x/", "https://x/", "wss://", "ws:///path", "ws:path",
    "ws://a%0D%0Ab/", "ws://a b/", "ws://a%2Fb/", "ws://h:99999/", "", "ftp://h/", "ws//h/",
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 2.7/6.6: only ws and wss URLs with a valid host are accepted");

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GUri) uri = fws_handshake_parse_url (good[i].url, &error);

      g_assert_no_error (error);
      g_assert_nonnull (uri);
      g_assert_cmpstr (g_uri_get_scheme (uri), ==, good[i].scheme);
      g_assert_cmpstr (g_uri_get_host (uri), ==, good[i].host);
      g_assert_cmpint (g_uri_get_port (uri), ==, good[i].port);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GUri) uri = fws_handshake_parse_url (bad[i], &error);
      g_autofree char *message = g_strdup_printf ("%s is not a valid WebSocket URL", bad[i]);

      g_assert_null (uri);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, message);
    }
}

static void
test_client_key (void)
{
  g_autofree guchar *nonce = NULL;
  g_autofree char *key = NULL;
  gsize len = 0;
  const guint8 zeros[16] = { 0 };

  g_test_summary ("The client key is the base64 of the 16-byte nonce");

  nonce = g_base64_decode (KEY_6_6, &len);
  g_assert_cmpuint (len, ==, 16);
  key = fws_handshake_client_key (nonce);
  g_assert_cmpstr (key, ==, KEY_6_6);
  g_clear_pointer (&key, g_free);
  key = fws_handshake_client_key (zeros);
  g_assert_cmpstr (key, ==, "AAAAAAAAAAAAAAAAAAAAAA==");
}

#define REQUEST_TAIL_6_6 \
  "Upgrade: websocket\r\n" \
  "Connection: Upgrade\r\n" \
  "Sec-WebSocket-Key: " KEY_6_6 "\r\n" \
  "Sec-WebSocket-Version: 13\r\n"

static void
assert_request (const char         *url,
                const char * const *protocols,
                SoupMessageHeaders *extra,
                const char         *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = fws_handshake_parse_url (url, &error);
  g_autoptr(GBytes) request = NULL;

  g_assert_no_error (error);
  request = fws_handshake_client_request (uri, KEY_6_6, protocols, extra, NULL);
  assert_bytes_eq (request, expected);
}

static void
test_client_request (void)
{
  g_test_summary ("BEHAVIOUR.md 6.6: start writes the exact handshake request");

  assert_request ("ws://www.example.com/socket", NULL, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "\r\n");
}

static void
test_client_request_protocols (void)
{
  const char * const protocols[] = { "foo", "bar", "xmpp", NULL };
  const char * const empty[] = { NULL };
  const char * const with_bad[] = { "foo", "b a d", "x\r\ny", "xmpp", NULL };

  g_test_summary ("BEHAVIOUR.md 6.6: subprotocols go after the version, joined with ', '");

  assert_request ("ws://www.example.com/socket", protocols, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: foo, bar, xmpp\r\n"
                  "\r\n");
  assert_request ("ws://www.example.com/socket", empty, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "\r\n");
  /* Protocols that are not tokens cannot be written. */
  assert_request ("ws://www.example.com/socket", with_bad, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: foo, xmpp\r\n"
                  "\r\n");
}

static void
test_client_request_basic_auth (void)
{
  g_autofree char *escaped = NULL;
  g_autofree char *expected = NULL;

  g_test_summary ("BEHAVIOUR.md 6.6: user:password in the URL becomes Authorization: Basic, "
                  "percent-decoded");

  assert_request ("ws://user:pass@www.example.com/socket", NULL, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Authorization: Basic dXNlcjpwYXNz\r\n"
                  "\r\n");

  escaped = g_base64_encode ((const guchar *) "us@er:p:ss w", strlen ("us@er:p:ss w"));
  expected = g_strdup_printf ("GET /socket HTTP/1.1\r\n"
                              "Host: www.example.com\r\n"
                              REQUEST_TAIL_6_6
                              "Authorization: Basic %s\r\n"
                              "\r\n", escaped);
  assert_request ("ws://us%40er:p%3Ass%20w@www.example.com/socket", NULL, NULL, expected);

  /* A user without a password, as websocket-driver: "user:". */
  g_clear_pointer (&escaped, g_free);
  g_clear_pointer (&expected, g_free);
  escaped = g_base64_encode ((const guchar *) "user:", 5);
  expected = g_strdup_printf ("GET / HTTP/1.1\r\n"
                              "Host: www.example.com\r\n"
                              REQUEST_TAIL_6_6
                              "Authorization: Basic %s\r\n"
                              "\r\n", escaped);
  assert_request ("ws://user@www.example.com", NULL, NULL, expected);
}

static void
test_client_request_ports (void)
{
  static const struct {
    const char *url, *host;
  } cases[] = {
    { "ws://www.example.com:3000/socket", "www.example.com:3000" },
    { "wss://www.example.com/socket", "www.example.com" },
    { "wss://www.example.com:3000/socket", "www.example.com:3000" },
    { "ws://www.example.com:80/socket", "www.example.com" },
    { "wss://www.example.com:443/socket", "www.example.com" },
    { "ws://www.example.com:443/socket", "www.example.com:443" },
    { "wss://www.example.com:80/socket", "www.example.com:80" },
    { "ws://[::1]:8080/socket", "[::1]:8080" },
    { "ws://[::1]/socket", "[::1]" },
    { "ws://[fe80::1%25eth0]:81/socket", "[fe80::1%25eth0]:81" },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 6.6: Host carries the port only when it is not the scheme default; "
                  "IPv6 literals in brackets");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("GET /socket HTTP/1.1\r\n"
                                                   "Host: %s\r\n"
                                                   REQUEST_TAIL_6_6
                                                   "\r\n", cases[i].host);

      assert_request (cases[i].url, NULL, NULL, expected);
    }
}

static void
test_client_request_target (void)
{
  static const struct {
    const char *url, *target;
  } cases[] = {
    { "ws://www.example.com", "/" },
    { "ws://www.example.com/", "/" },
    { "ws://www.example.com?a=1", "/?a=1" },
    { "ws://www.example.com/p?a=1&b=%20#frag", "/p?a=1&b=%20" },
    { "ws://www.example.com/p#frag", "/p" },
    { "ws://www.example.com/a%20b/c", "/a%20b/c" },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 2.7: path '/' when empty, query kept, fragment dropped");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                                                   "Host: www.example.com\r\n"
                                                   REQUEST_TAIL_6_6
                                                   "\r\n", cases[i].target);

      assert_request (cases[i].url, NULL, NULL, expected);
    }
}

static void
test_client_request_decoded_uri (void)
{
  g_autoptr(GUri) uri = g_uri_parse ("ws://h/a%20b%0D%0A%C3%A9?q=%0A%20x", G_URI_FLAGS_NONE, NULL);
  g_autoptr(GBytes) request = NULL;

  g_test_summary ("A GUri parsed without G_URI_FLAGS_ENCODED still gives a well-formed request line");

  g_assert_cmpstr (g_uri_get_path (uri), ==, "/a b\r\n\303\251");
  request = fws_handshake_client_request (uri, KEY_6_6, NULL, NULL, NULL);
  assert_bytes_eq (request,
                   "GET /a%20b%0D%0A%C3%A9?q=%0A%20x HTTP/1.1\r\n"
                   "Host: h\r\n"
                   REQUEST_TAIL_6_6
                   "\r\n");
}

static void
test_client_request_custom_headers (void)
{
  const char * const protocols[] = { "xmpp", NULL };
  SoupMessageHeaders *extra = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                           "User-Agent", "Chrome",
                                           NULL);
  SoupMessageHeaders *reserved = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                              "host", "evil.example",
                                              "Upgrade", "h2c",
                                              "Connection", "close",
                                              "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==",
                                              "Sec-WebSocket-Version", "8",
                                              "Sec-WebSocket-Protocol", "irc",
                                              "Sec-WebSocket-Extensions", "permessage-deflate",
                                              "Authorization", "Bearer WAT",
                                              "Content-Length", "42",
                                              "Transfer-Encoding", "chunked",
                                              "X-Ok", "1",
                                              "X-Bad", "a\001b",
                                              "X/Bad", "1",
                                              NULL);

  g_test_summary ("BEHAVIOUR.md 6.6: custom headers follow the protocol's lines; reserved names and "
                  "unsafe values are dropped; Authorization only yields to credentials in the URL");

  assert_request ("ws://www.example.com/socket", NULL, extra,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "User-Agent: Chrome\r\n"
                  "\r\n");
  assert_request ("ws://www.example.com/socket", protocols, reserved,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: xmpp\r\n"
                  "Authorization: Bearer WAT\r\n"
                  "X-Ok: 1\r\n"
                  "\r\n");
  assert_request ("ws://user:pass@www.example.com/socket", protocols, reserved,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: xmpp\r\n"
                  "Authorization: Basic dXNlcjpwYXNz\r\n"
                  "X-Ok: 1\r\n"
                  "\r\n");
  soup_message_headers_unref (reserved);
  soup_message_headers_unref (extra);
}

#define VALID_RESPONSE_6_6 \
  "HTTP/1.1 101 Switching Protocols\r\n" \
  "Upgrade: websocket\r\n" \
  "Connection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n" \
  "\r\n"

static void
assert_check (const char         *response_text,
              const char * const *protocols,
              const char         *error_message,
              const char         *expected_protocol)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *protocol = NULL;
  SoupMessageHeaders *response;
  guint status = 0;
  gboolean ok;

  response = parse_response_or_die (response_text, &status);
  ok = fws_handshake_client_check (status, response, KEY_6_6, protocols, &protocol, &error);
  if (error_message != NULL)
    {
      g_autofree char *full = g_strconcat ("Error during WebSocket handshake: ", error_message, NULL);

      g_assert_false (ok);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==, full);
      g_assert_null (protocol);
    }
  else
    {
      g_assert_true (ok);
      g_assert_no_error (error);
      g_assert_cmpstr (protocol, ==, expected_protocol);
    }
  soup_message_headers_unref (response);
}

static void
test_client_check (void)
{
  const char * const protocols[] = { "foo", "xmpp", NULL };

  g_test_summary ("BEHAVIOUR.md 6.6: response validation, in order, with exact messages");

  assert_check (VALID_RESPONSE_6_6, NULL, NULL, NULL);
  assert_check (VALID_RESPONSE_6_6, protocols, NULL, NULL);

  assert_check ("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "Unexpected response code: 200", NULL);
  assert_check ("HTTP/1.1 403 Forbidden\r\n\r\n", NULL, "Unexpected response code: 403", NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Upgrade' header is missing", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: wrong\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Upgrade' header value is not 'WebSocket'", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, NULL, NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Connection' header is missing", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: close\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Connection' header value is not 'Upgrade'", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                "Connection: keep-alive, Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, NULL, NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n\r\n",
                NULL, "Sec-WebSocket-Accept mismatch", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "\r\n",
                NULL, "Sec-WebSocket-Accept mismatch", NULL);
  /* Compared exactly: not case-insensitively. */
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: qv3i5xuxu2cdhtjixe7qckccmzm=\r\n\r\n",
                NULL, "Sec-WebSocket-Accept mismatch", NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
                protocols, NULL, "xmpp");
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                protocols, "Sec-WebSocket-Protocol mismatch", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
                NULL, "Sec-WebSocket-Protocol mismatch", NULL);

  /* The first failing check wins. */
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: wrong\r\n"
                "Sec-WebSocket-Accept: bad\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                protocols, "'Upgrade' header value is not 'WebSocket'", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: bad\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                protocols, "Sec-WebSocket-Accept mismatch", NULL);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = fws_handshake_parse_url ("wss://chat.example.com:8443/room?id=7", &error);
  g_autoptr(FwsHttpHeadReader) reader = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  g_autofree char *server_protocol = NULL;
  g_autofree char *client_protocol = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *request_headers = NULL;
  SoupMessageHeaders *response_headers = NULL;
  const char * const client_protocols[] = { "v2.chat", "v1.chat", NULL };
  const char * const server_protocols[] = { "v1.chat", "v2.chat", NULL };
  const char *head;
  gsize len;
  guint status = 0;

  g_test_summary ("Our client's request satisfies our server and its answer satisfies the client");

  g_assert_no_error (error);
  request = fws_handshake_client_request (uri, KEY_6_6, client_protocols, NULL, NULL);
  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  g_assert_cmpint (fws_http_head_reader_feed (reader, g_bytes_get_data (request, NULL),
                                              g_bytes_get_size (request), &error),
                   ==, (gssize) g_bytes_get_size (request));
  g_assert_no_error (error);
  head = fws_http_head_reader_get_head (reader, &len);
  g_assert_true (fws_http_parse_request (head, len, &method, &target, NULL, &request_headers, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "/room?id=7");

  url = fws_handshake_request_url (TRUE, request_headers, "/room", "id=7");
  g_assert_cmpstr (url, ==, "wss://chat.example.com:8443/room?id=7");

  g_assert_true (fws_handshake_server_respond (method, request_headers, server_protocols, NULL, NULL,
                                               &server_protocol, &response, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (server_protocol, ==, "v2.chat");

  g_assert_true (fws_http_parse_response (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                                          &status, NULL, &response_headers, &error));
  g_assert_no_error (error);
  g_assert_true (fws_handshake_client_check (status, response_headers, KEY_6_6, client_protocols,
                                             &client_protocol, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (client_protocol, ==, "v2.chat");

  soup_message_headers_unref (request_headers);
  soup_message_headers_unref (response_headers);
}

/* ---- Extensions in the handshake ---- */

static void
test_server_extensions (void)
{
  static const char * const protocols[] = { "xmpp", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(FwsExtensions) exts = fws_extensions_new ();
  g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
  g_autofree char *protocol = NULL;
  g_autoptr(SoupMessageHeaders) request = hybi_request ();

  g_test_summary ("BEHAVIOUR.md 2.6: Sec-WebSocket-Extensions comes last, after the subprotocol, "
                  "only when an extension was accepted; a custom one is never written");
  soup_message_headers_append (request, "Sec-WebSocket-Protocol", "xmpp");
  soup_message_headers_append (request, "Sec-WebSocket-Extensions", "x-unknown, permessage-deflate; client_max_window_bits");
  g_assert_true (fws_extensions_add (exts, FWS_EXTENSION (deflate), NULL));
  {
    g_autoptr(SoupMessageHeaders) extra = headers_new (SOUP_MESSAGE_HEADERS_RESPONSE,
                                                       "Sec-WebSocket-Extensions", "forged", NULL);

    g_assert_true (fws_handshake_server_respond ("GET", request, protocols, extra, exts,
                                                 &protocol, &response, &error));
  }
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: JdiiuafpBKRqD7eol0y4vJDTsTs=\r\n"
                   "Sec-WebSocket-Protocol: xmpp\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                   "\r\n");
  g_assert_cmpuint (fws_extensions_get_rsv (exts), ==, FWS_RESERVED_BITS_RSV1);

  /* Nothing accepted: no header. */
  g_clear_pointer (&response, g_bytes_unref);
  g_clear_pointer (&protocol, g_free);
  soup_message_headers_replace (request, "Sec-WebSocket-Extensions", "x-unknown");
  {
    g_autoptr(FwsExtensions) none = fws_extensions_new ();

    g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, none, &protocol, &response, &error));
  }
  g_assert_null (g_strstr_len (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                               "Sec-WebSocket-Extensions"));
}

static void
test_server_extensions_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) request = hybi_request ();

  g_test_summary ("BEHAVIOUR.md 6.5/6.11: a malformed Sec-WebSocket-Extensions is a 400 with "
                  "Content-Length 57, checked after the key, even with no extension registered");
  soup_message_headers_append (request, "Sec-WebSocket-Extensions", "x-webkit- -frame");
  g_assert_false (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (error->message, ==, "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  assert_bytes_eq (response,
                   "HTTP/1.1 400 Bad Request\r\n"
                   "Content-Type: text/plain\r\n"
                   "Content-Length: 57\r\n"
                   "\r\n"
                   "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  /* A missing key is reported first. */
  g_clear_error (&error);
  g_clear_pointer (&response, g_bytes_unref);
  soup_message_headers_remove (request, "Sec-WebSocket-Key");
  g_assert_false (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
  g_assert_cmpstr (error->message, ==, "Missing handshake request header: Sec-WebSocket-Key");
}

static void
test_client_request_extensions (void)
{
  g_autoptr(SoupMessageHeaders) extra = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                                     "X-Custom", "1",
                                                     "Sec-WebSocket-Extensions", "forged",
                                                     NULL);
  g_autoptr(GUri) uri = fws_handshake_parse_url ("ws://www.example.com/socket", NULL);
  g_autoptr(GBytes) request = NULL;

  g_test_summary ("BEHAVIOUR.md 2.7: the offer comes after the custom headers, which cannot forge it");
  request = fws_handshake_client_request (uri, KEY_6_6, NULL, extra, "permessage-deflate; client_max_window_bits");
  assert_bytes_eq (request,
                   "GET /socket HTTP/1.1\r\n"
                   "Host: www.example.com\r\n"
                   REQUEST_TAIL_6_6
                   "X-Custom: 1\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                   "\r\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/handshake/head-reader/whole", test_head_reader_whole);
  g_test_add_func ("/handshake/head-reader/byte-at-a-time", test_head_reader_byte_at_a_time);
  g_test_add_func ("/handshake/head-reader/split-everywhere", test_head_reader_split_everywhere);
  g_test_add_func ("/handshake/head-reader/trailing-bytes", test_head_reader_trailing_bytes);
  g_test_add_func ("/handshake/head-reader/line-endings", test_head_reader_line_endings);
  g_test_add_func ("/handshake/head-reader/leading-empty-lines", test_head_reader_leading_empty_lines);
  g_test_add_func ("/handshake/head-reader/line-limit", test_head_reader_line_limit);
  g_test_add_func ("/handshake/head-reader/line-limit-edges", test_head_reader_line_limit_edges);
  g_test_add_func ("/handshake/head-reader/head-limit", test_head_reader_head_limit);
  g_test_add_func ("/handshake/head-reader/header-count", test_head_reader_header_count);
  g_test_add_func ("/handshake/head-reader/nul", test_head_reader_nul);
  g_test_add_func ("/handshake/head-reader/large-byte-at-a-time", test_head_reader_large_byte_at_a_time);

  g_test_add_func ("/handshake/parse/request", test_parse_request);
  g_test_add_func ("/handshake/parse/request-invalid", test_parse_request_invalid);
  g_test_add_func ("/handshake/parse/response", test_parse_response);
  g_test_add_func ("/handshake/parse/response-lenient", test_parse_response_lenient);
  g_test_add_func ("/handshake/parse/response-invalid", test_parse_response_invalid);

  g_test_add_func ("/handshake/server/accept-vectors", test_accept_vectors);
  g_test_add_func ("/handshake/server/is-websocket-request", test_is_websocket_request);
  g_test_add_func ("/handshake/server/respond", test_server_respond);
  g_test_add_func ("/handshake/server/subprotocols", test_server_subprotocols);
  g_test_add_func ("/handshake/server/custom-headers", test_server_custom_headers);
  g_test_add_func ("/handshake/server/reserved-headers", test_server_reserved_headers);
  g_test_add_func ("/handshake/server/header-injection", test_server_header_injection);
  g_test_add_func ("/handshake/server/error-responses", test_server_error_responses);
  g_test_add_func ("/handshake/server/invalid-keys", test_server_invalid_keys);
  g_test_add_func ("/handshake/server/host", test_server_host);
  g_test_add_func ("/handshake/server/connection-list", test_server_connection_list);
  g_test_add_func ("/handshake/server/request-url", test_request_url);
  g_test_add_func ("/handshake/server/request-url-bad-host", test_request_url_bad_host);

  g_test_add_func ("/handshake/client/parse-url", test_parse_url);
  g_test_add_func ("/handshake/client/key", test_client_key);
  g_test_add_func ("/handshake/client/request", test_client_request);
  g_test_add_func ("/handshake/client/request-protocols", test_client_request_protocols);
  g_test_add_func ("/handshake/client/request-basic-auth", test_client_request_basic_auth);
  g_test_add_func ("/handshake/client/request-ports", test_client_request_ports);
  g_test_add_func ("/handshake/client/request-target", test_client_request_target);
  g_test_add_func ("/handshake/client/request-decoded-uri", test_client_request_decoded_uri);
  g_test_add_func ("/handshake/client/request-custom-headers", test_client_request_custom_headers);
  g_test_add_func ("/handshake/client/check", test_client_check);
  g_test_add_func ("/handshake/round-trip", test_round_trip);
  g_test_add_func ("/handshake/server/extensions", test_server_extensions);
  g_test_add_func ("/handshake/server/extensions-invalid", test_server_extensions_invalid);
  g_test_add_func ("/handshake/client/request-extensions", test_client_request_extensions);

  return g_test_run ();
}
