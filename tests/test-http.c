/* test-http.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The sans-I/O HTTP helpers of fws-http.c: the head reader, the request and
 * response parsers, token, value and host checks, extra header lines,
 * authorities and request URLs, the chunked body decoder. Byte-exact and
 * table-driven.
 */
#include "test-utils.h"

#include <string.h>

#include "fws-error.h"
#include "fws-http-private.h"

#define ACCEPT_6_6 "QV3I5XUXU2CdhtjixE7QCkCcMZM="

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

/* ---- The chunked body decoder ---- */

typedef struct
{
  const char           *name;
  const char           *input;
  gsize                 input_len;     /* 0: strlen (input) */
  gsize                 max_line;      /* 0: FWS_HTTP_DEFAULT_MAX_LINE */
  gsize                 max_trailers;  /* 0: FWS_HTTP_DEFAULT_MAX_TRAILERS */
  FwsHttpChunkedResult  result;
  int                   error_code;    /* with FAILED */
  const char           *body;          /* the body given back (before a failure) */
  gsize                 after;         /* with DONE: bytes of input after the body */
} ChunkedVector;

static const ChunkedVector chunked_vectors[] = {
  { "one chunk", "5\r\nhello\r\n0\r\n\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "three chunks", "3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "abcdef", 0 },
  { "empty body", "0\r\n\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "", 0 },
  { "hex both cases", "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_DONE, 0, "0123456789abcdefghij", 0 },
  { "leading zeros", "0005\r\nhello\r\n000\r\n\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "LF line ends", "5\nhello\n0\n\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "mixed line ends", "5\r\nhello\n0\n\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "extensions", "5;name=value\r\nhello\r\n0;last;q=\"a b\"\r\n\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "spaces before an extension", "5 \t;ext\r\nhello\r\n0  \r\n\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "trailers skipped", "5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: two\r\n\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "trailers with LF", "1\na\n0\nX: 1\n\n", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "a", 0 },
  { "framing inside data", "a\r\n0\r\n\r\n5\r\nab\r\n0\r\n\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_DONE, 0, "0\r\n\r\n5\r\nab", 0 },
  { "NUL and high bytes in data", "4\r\n\0\xff\r\xfe\r\n0\r\n\r\n", 14, 0, 0,
    FWS_HTTP_CHUNKED_DONE, 0, "\0\xff\r\xfe", 0 },
  { "bytes after the body", "1\r\na\r\n0\r\n\r\nHTTP/1.1", 0, 0, 0, FWS_HTTP_CHUNKED_DONE, 0, "a", 8 },
  { "largest size", "ffffffffffffffff\r\nab", 0, 0, 0, FWS_HTTP_CHUNKED_MORE, 0, "ab", 0 },
  { "unfinished data", "5\r\nhel", 0, 0, 0, FWS_HTTP_CHUNKED_MORE, 0, "hel", 0 },
  { "unfinished size line", "5;ext", 0, 0, 0, FWS_HTTP_CHUNKED_MORE, 0, "", 0 },
  { "unfinished trailers", "0\r\nX: 1\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_MORE, 0, "", 0 },
  { "nothing", "", 0, 0, 0, FWS_HTTP_CHUNKED_MORE, 0, "", 0 },

  { "no size", "\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "not hex", "g\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "0x prefix", "0x5\r\nhello\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "sign", "+5\r\nhello\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "minus", "-5\r\nhello\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "space first", " 5\r\nhello\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "digits after a space", "5 5\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "junk after the size", "5x\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "CR alone in the size line", "5\rhello", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "control byte in an extension", "5;a\x01\r\nhello\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "NUL in an extension", "5;a\0\r\nhello\r\n", 13, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "DEL in an extension", "5;\x7f\r\n", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "data longer than its size", "5\r\nhello!\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "hello", 0 },
  { "CR alone after data", "5\r\nhello\rX", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "hello", 0 },
  { "CR alone in a trailer", "0\r\nab\rX", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "CR alone in the blank line", "0\r\n\rX", 0, 0, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_PROTOCOL, "", 0 },
  { "size over 64 bits", "10000000000000000\r\n", 0, 0, 0,
    FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },

  { "size line at the cap", "0005\r\nhello\r\n0\r\n\r\n", 0, 4, 0, FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "size line over the cap", "00005\r\nhello\r\n", 0, 4, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },
  { "zeros over the cap", "00000\r\n\r\n", 0, 4, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },
  { "extension at the cap", "5;ab\r\nhello\r\n0\r\n\r\n", 0, 4, 0, FWS_HTTP_CHUNKED_DONE, 0, "hello", 0 },
  { "extension over the cap", "5;abc\r\nhello\r\n", 0, 4, 0,
    FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },
  { "spaces over the cap", "5    \r\nhello\r\n", 0, 4, 0, FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },
  { "trailer line at the cap", "0\r\nX: 1\r\n\r\n", 0, 4, 0, FWS_HTTP_CHUNKED_DONE, 0, "", 0 },
  { "trailer line over the cap", "0\r\nX: 12\r\n\r\n", 0, 4, 0,
    FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },
  { "trailers at the cap", "0\r\nab\r\ncd\r\n\r\n", 0, 0, 8, FWS_HTTP_CHUNKED_DONE, 0, "", 0 },
  { "trailers at the cap, LF", "0\nabc\ndef\n\n", 0, 0, 8, FWS_HTTP_CHUNKED_DONE, 0, "", 0 },
  { "trailers over the cap", "0\r\nab\r\ncde\r\n\r\n", 0, 0, 8,
    FWS_HTTP_CHUNKED_FAILED, FWS_ERROR_TOO_LARGE, "", 0 },
};

/* Feeds @pieces (offsets into the vector's input where a new read starts)
 * and checks what comes out against the vector. */
static void
run_chunked (const ChunkedVector *v,
             const gsize         *cuts,
             guint                n_cuts,
             const char          *how)
{
  g_autoptr(FwsHttpChunkedDecoder) decoder = NULL;
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  gsize len = v->input_len ? v->input_len : strlen (v->input);
  gsize expected_body_len = 0;
  FwsHttpChunkedResult result = FWS_HTTP_CHUNKED_MORE;
  gsize total = 0;

  decoder = fws_http_chunked_decoder_new (v->max_line ? v->max_line : FWS_HTTP_DEFAULT_MAX_LINE,
                                          v->max_trailers ? v->max_trailers : FWS_HTTP_DEFAULT_MAX_TRAILERS);
  for (guint piece = 0; piece <= n_cuts && result == FWS_HTTP_CHUNKED_MORE; piece++)
    {
      gsize start = piece == 0 ? 0 : cuts[piece - 1];
      gsize end = piece == n_cuts ? len : cuts[piece];
      const guint8 *p = (const guint8 *) v->input + start;
      gsize left = end - start;

      do
        {
          const guint8 *span = NULL;
          gsize span_len = 0, used = 0;

          result = fws_http_chunked_decoder_feed (decoder, p, left, &used, &span, &span_len, &error);
          g_assert_cmpuint (used, <=, left);
          if (result == FWS_HTTP_CHUNKED_MORE && left > 0)
            g_assert_cmpuint (used, >, 0);
          if (span_len > 0)
            {
              g_assert_true (span >= p && span + span_len <= p + used);
              g_byte_array_append (body, span, span_len);
            }
          p += used;
          left -= used;
          total += used;
        }
      while (result == FWS_HTTP_CHUNKED_MORE && left > 0);
    }

  if (result != v->result)
    g_error ("chunked vector \"%s\" (%s): result %d, expected %d (%s)", v->name, how, result, v->result,
             error ? error->message : "no error");
  if (v->result == FWS_HTTP_CHUNKED_FAILED)
    g_assert_error (error, FWS_ERROR, v->error_code);
  else
    g_assert_no_error (error);
  if (v->result == FWS_HTTP_CHUNKED_DONE)
    g_assert_cmpuint (total, ==, len - v->after);
  else if (v->result == FWS_HTTP_CHUNKED_MORE)
    g_assert_cmpuint (total, ==, len);

  expected_body_len = strlen (v->body);
  if (v->input_len != 0 && v->result == FWS_HTTP_CHUNKED_DONE)
    expected_body_len = 4;  /* the one vector with a NUL in its body */
  g_assert_cmpmem (body->data, body->len, v->body, expected_body_len);

  if (v->result == FWS_HTTP_CHUNKED_FAILED)
    {
      g_autoptr(GError) again = NULL;
      const guint8 *span = NULL;
      gsize span_len = 0, used = 0;

      /* A dead decoder fails every feed the same way. */
      g_assert_cmpint (fws_http_chunked_decoder_feed (decoder, (const guint8 *) "0\r\n\r\n", 5,
                                                      &used, &span, &span_len, &again),
                       ==, FWS_HTTP_CHUNKED_FAILED);
      g_assert_error (again, FWS_ERROR, v->error_code);
      g_assert_cmpuint (used, ==, 0);
      g_assert_cmpuint (span_len, ==, 0);
    }
}

static void
test_chunked_vectors (void)
{
  g_test_summary ("Each chunked vector decodes the same whole, cut in two at every offset, "
                  "cut in three at every pair of offsets, and one byte at a time");

  for (gsize i = 0; i < G_N_ELEMENTS (chunked_vectors); i++)
    {
      const ChunkedVector *v = &chunked_vectors[i];
      gsize len = v->input_len ? v->input_len : strlen (v->input);
      g_autofree gsize *bytes = g_new (gsize, len + 1);

      run_chunked (v, NULL, 0, "whole");
      for (gsize a = 0; a <= len; a++)
        {
          run_chunked (v, &a, 1, "two pieces");
          for (gsize b = a; b <= len; b++)
            {
              gsize cuts[2] = { a, b };

              run_chunked (v, cuts, 2, "three pieces");
            }
        }
      for (gsize a = 0; a < len; a++)
        bytes[a] = a + 1;
      if (len > 0)
        run_chunked (v, bytes, len - 1, "byte at a time");
    }
}

static void
test_chunked_large (void)
{
  g_autoptr(FwsHttpChunkedDecoder) decoder = fws_http_chunked_decoder_new (16, 16);
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint8 *p;
  gsize left, expected = 0;
  FwsHttpChunkedResult result = FWS_HTTP_CHUNKED_MORE;

  g_test_summary ("Many chunks of many sizes give back the body in order, as spans of the input");

  for (guint n = 1; n < 600; n += 7)
    {
      g_string_append_printf (input, "%x\r\n", n);
      for (guint i = 0; i < n; i++)
        g_string_append_c (input, (char) ('a' + (expected + i) % 26));
      expected += n;
      g_string_append (input, "\r\n");
    }
  g_string_append (input, "0\r\n\r\n");

  p = (const guint8 *) input->str;
  left = input->len;
  while (left > 0 && result == FWS_HTTP_CHUNKED_MORE)
    {
      const guint8 *span;
      gsize span_len, used;

      result = fws_http_chunked_decoder_feed (decoder, p, MIN (left, 1000), &used, &span, &span_len, &error);
      g_assert_no_error (error);
      g_byte_array_append (body, span, span_len);
      p += used;
      left -= used;
    }
  g_assert_cmpint (result, ==, FWS_HTTP_CHUNKED_DONE);
  g_assert_cmpuint (left, ==, 0);
  g_assert_cmpuint (body->len, ==, expected);
  for (gsize i = 0; i < expected; i++)
    g_assert_cmpint (body->data[i], ==, 'a' + i % 26);
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

/* ---- Token, value and host checks ---- */

static void
test_token_and_value (void)
{
  static const struct {
    const char *s;
    gboolean    token;
    gboolean    safe;
  } cases[] = {
    { "X-Custom", TRUE, TRUE },
    { "!#$%&'*+-.^_`|~09azAZ", TRUE, TRUE },
    { "", FALSE, TRUE },
    { "a b", FALSE, TRUE },
    { "a\tb", FALSE, TRUE },
    { "a:b", FALSE, TRUE },
    { "a(b)", FALSE, TRUE },
    { "a\"b", FALSE, TRUE },
    { "\xc3\xa9", FALSE, TRUE },
    { "a\rb", FALSE, FALSE },
    { "a\nb", FALSE, FALSE },
    { "a\r\nX-Injected: 1", FALSE, FALSE },
    { "a\001b", FALSE, FALSE },
    { "a\vb", FALSE, FALSE },
    { "a\177b", FALSE, FALSE },
  };

  g_test_summary ("Header names must be RFC 7230 tokens; values may hold no control "
                  "character but HT");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (fws_http_is_token (cases[i].s), ==, cases[i].token);
      g_assert_cmpint (fws_http_is_safe_value (cases[i].s), ==, cases[i].safe);
    }
  g_assert_false (fws_http_is_token (NULL));
  g_assert_false (fws_http_is_tchar ('\0'));
  g_assert_false (fws_http_is_tchar (0x80));
}

static void
test_valid_host (void)
{
  g_autofree char *name255 = g_strnfill (255, 'a');
  g_autofree char *name256 = g_strnfill (256, 'a');
  const struct {
    const char *host;
    gboolean    valid;
  } cases[] = {
    { "example.com", TRUE },
    { "127.0.0.1", TRUE },
    { "a-b_c~d", TRUE },
    { name255, TRUE },
    { "::1", TRUE },
    { "2001:db8::1", TRUE },
    { "::ffff:1.2.3.4", TRUE },
    { "fe80::1%eth0", TRUE },
    { name256, FALSE },
    { "", FALSE },
    { "a b", FALSE },
    { "a\r\nb", FALSE },
    { "example.com:80", FALSE },
    { "[::1]", FALSE },
    { "a:b", FALSE },
    { "1.2.3.4:", FALSE },
    { "fe80::1%", FALSE },
    { "fe80::1%a%b", FALSE },
    /* GUri percent-decodes a zone ("%25a%0D%0Ab"): it must not bring a
     * line break or a space (fws-proxy.c's own check of a proxy URL used
     * to accept any zone). */
    { "fe80::1%a\r\nX-Injected: 1", FALSE },
    { "fe80::1%a b", FALSE },
  };

  g_test_summary ("A host from a URL is a name, an IPv4 address or an IPv6 address with "
                  "an optional zone, in a small character set");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i].host);
      g_assert_cmpint (fws_http_is_valid_host (cases[i].host), ==, cases[i].valid);
    }
  g_assert_false (fws_http_is_valid_host (NULL));
}

static void
test_valid_host_header (void)
{
  static const struct {
    const char *value;
    gboolean    valid;
  } cases[] = {
    { "example.com", TRUE },
    { "example.com:80", TRUE },
    { "example.com:1", TRUE },
    { "example.com:65535", TRUE },
    { "127.0.0.1:8080", TRUE },
    { "[::1]", TRUE },
    { "[::1]:8080", TRUE },
    { "[fe80::1%25eth0]:1", TRUE },
    { "[fe80::1%eth0]", TRUE },
    { "", FALSE },
    { "example.com:", FALSE },
    { "example.com:0", FALSE },
    { "example.com:65536", FALSE },
    { "example.com:000080", FALSE },
    { "example.com:8a", FALSE },
    { ":80", FALSE },
    { "::1", FALSE },
    { "[::1", FALSE },
    { "[::1]x", FALSE },
    { "[::1]:", FALSE },
    { "[1.2.3.4]", FALSE },
    { "[example.com]", FALSE },
    { "a b", FALSE },
    { "a\r\nb", FALSE },
    { "user@example.com", FALSE },
  };

  g_test_summary ("A Host header is host, host:port, [v6] or [v6]:port with a port of 1 "
                  "to 65535");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i].value);
      g_assert_cmpint (fws_http_is_valid_host_header (cases[i].value), ==, cases[i].valid);
    }
  g_assert_false (fws_http_is_valid_host_header (NULL));
}

/* ---- Extra header lines ---- */

static void
test_name_is_reserved (void)
{
  static const char * const reserved[] = { "Upgrade", "Sec-WebSocket-*", NULL };
  static const struct {
    const char *name;
    gboolean    reserved;
  } cases[] = {
    { "Upgrade", TRUE },
    { "upgrade", TRUE },
    { "UPGRADE", TRUE },
    { "Upgrade2", FALSE },
    { "Upgrad", FALSE },
    { "Sec-WebSocket-Key", TRUE },
    { "sec-websocket-anything", TRUE },
    { "Sec-WebSocket-", TRUE },
    { "Sec-WebSocket", FALSE },
    { "Sec-WebSocketX", FALSE },
    { "X-Sec-WebSocket-Key", FALSE },
  };

  g_test_summary ("Reserved names match case-insensitively; an entry ending in '*' is a prefix");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s", i, cases[i].name);
      g_assert_cmpint (fws_http_name_is_reserved (cases[i].name, reserved), ==, cases[i].reserved);
    }
  g_assert_false (fws_http_name_is_reserved ("Upgrade", NULL));
}

static void
test_extra_header_is_allowed (void)
{
  static const char * const reserved[] = { "Content-Length", "WebSocket-*", NULL };
  static const struct {
    const char *name;
    const char *value;
    gboolean    allowed;
  } cases[] = {
    { "X-Ok", "fine value", TRUE },
    { "X-Tab", "a\tb", TRUE },
    { "X-Empty", "", TRUE },
    { "X-Utf8", "\xc3\xa9", TRUE },
    { "content-length", "0", FALSE },
    { "WebSocket-Origin", "x", FALSE },
    /* Injection: a CR or LF in the value or the name. */
    { "X-Evil", "a\r\nX-Injected: 1", FALSE },
    { "X-Evil", "a\rb", FALSE },
    { "X-Evil", "a\nb", FALSE },
    { "X-Evil\r\nX-Injected", "1", FALSE },
    { "X-Evil\n", "1", FALSE },
    { "X-Evil", "a\001b", FALSE },
    { "X-Evil", "a\177b", FALSE },
    { "X Evil", "1", FALSE },
    { "X:Evil", "1", FALSE },
    { "", "1", FALSE },
    { "X-Null", NULL, FALSE },
    { NULL, "1", FALSE },
  };

  g_test_summary ("A line is written only if its name is a token, its value is safe and its "
                  "name is not reserved");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (fws_http_extra_header_is_allowed (cases[i].name, cases[i].value, reserved),
                       ==, cases[i].allowed);
    }
}

static void
test_extra_headers (void)
{
  static const char * const ws_reserved[] = { "Upgrade", "Connection", "Sec-WebSocket-*", NULL };
  static const char * const proxy_reserved[] = { "Host", "Connection", NULL };
  static const struct {
    const char * const      *reserved;
    FwsHttpExtraHeadersFlags flags;
    const char              *lines[16];   /* name, value, ..., NULL */
    const char              *expected;
  } cases[] = {
    /* Nothing to write. */
    { ws_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT, { NULL }, "" },
    /* In order, repeated names kept, values as they are. (libsoup's
     * iterator gives the headers it knows by name, such as Set-Cookie,
     * before the others, so this table uses names it does not know.) */
    { ws_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT,
      { "X-One", "1", "X-Cookie", "a=1", "x-one", "2", "X-Cookie", "b=2", "X-Empty", "", NULL },
      "X-One: 1\r\nX-Cookie: a=1\r\nx-one: 2\r\nX-Cookie: b=2\r\nX-Empty: \r\n" },
    /* Reserved names, in any case and by prefix, are skipped; the rest
     * keep their order. */
    { ws_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT,
      { "upgrade", "h2c", "X-A", "a", "CONNECTION", "close", "Sec-WebSocket-Accept", "forged",
        "sec-websocket-protocol", "x", "Sec-WebSocketX", "kept", "X-B", "b", NULL },
      "X-A: a\r\nSec-WebSocketX: kept\r\nX-B: b\r\n" },
    /* No reserved list. */
    { NULL, FWS_HTTP_EXTRA_HEADERS_DEFAULT,
      { "Upgrade", "h2c", "Host", "h", NULL },
      "Upgrade: h2c\r\nHost: h\r\n" },
    /* Malformed lines that libsoup lets through are skipped, never
     * refused: the lines around them are written. */
    { ws_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT,
      { "X-Ok", "yes", "X-Vt", "a\vb", "X-Ctl", "a\001b", "X-Del", "a\177b", "X(Bad)", "v",
        "X\"q\"", "v", "X-Tab", "a\tb", NULL },
      "X-Ok: yes\r\nX-Tab: a\tb\r\n" },
    /* First wins: later lines of a name already written are skipped;
     * a skipped malformed line does not count as written. */
    { proxy_reserved, FWS_HTTP_EXTRA_HEADERS_FIRST_WINS,
      { "X-One", "first", "host", "evil", "x-one", "second", "X-Two", "a\001", "X-Two", "ok",
        "X-TWO", "again", "X-Auth", "t", NULL },
      "X-One: first\r\nX-Two: ok\r\nX-Auth: t\r\n" },
  };

  g_test_summary ("Extra header lines are written in order, byte for byte, without reserved, "
                  "malformed or (with FIRST_WINS) repeated names");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_autoptr(GString) out = g_string_new ("HEAD\r\n");
      g_autofree char *expected = g_strconcat ("HEAD\r\n", cases[i].expected, NULL);

      g_test_message ("case %u", i);
      for (guint j = 0; cases[i].lines[j] != NULL; j += 2)
        soup_message_headers_append (headers, cases[i].lines[j], cases[i].lines[j + 1]);
      fws_http_append_extra_headers (out, headers, cases[i].reserved, cases[i].flags);
      g_assert_cmpstr (out->str, ==, expected);
      g_assert_cmpuint (out->len, ==, strlen (expected));
      soup_message_headers_unref (headers);
    }

  /* NULL headers append nothing. */
  {
    g_autoptr(GString) out = g_string_new ("x");

    fws_http_append_extra_headers (out, NULL, ws_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT);
    g_assert_cmpstr (out->str, ==, "x");
  }
}

static void
test_extra_headers_injection (void)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GString) out = g_string_new (NULL);

  g_test_summary ("A CR or LF cannot reach the output: libsoup refuses to store it, and what "
                  "it stores with other control characters is skipped");

  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*");
  soup_message_headers_append (headers, "X-Evil", "a\r\nX-Injected: 1");
  g_test_assert_expected_messages ();
  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*");
  soup_message_headers_append (headers, "X-Evil\r\nX-Injected", "1");
  g_test_assert_expected_messages ();
  soup_message_headers_append (headers, "X-Evil", "a\013X-Injected: 1");
  soup_message_headers_append (headers, "X-Ok", "1");

  fws_http_append_extra_headers (out, headers, NULL, FWS_HTTP_EXTRA_HEADERS_DEFAULT);
  g_assert_cmpstr (out->str, ==, "X-Ok: 1\r\n");
  soup_message_headers_unref (headers);
}

/* ---- Authorities, URLs, credentials ---- */

static void
test_authority (void)
{
  static const struct {
    const char *host;
    int         port;
    int         default_port;
    const char *expected;
  } cases[] = {
    /* A name. */
    { "example.com", 0, 80, "example.com" },
    { "example.com", -1, 80, "example.com" },
    { "example.com", 80, 80, "example.com" },
    { "example.com", 443, 443, "example.com" },
    { "example.com", 443, 80, "example.com:443" },
    { "example.com", 80, 443, "example.com:80" },
    { "example.com", 8080, 80, "example.com:8080" },
    { "example.com", 65535, 80, "example.com:65535" },
    /* IPv4. */
    { "127.0.0.1", 80, 80, "127.0.0.1" },
    { "127.0.0.1", 9000, 80, "127.0.0.1:9000" },
    /* IPv6: brackets, with or without a port. */
    { "::1", 443, 443, "[::1]" },
    { "::1", 0, 443, "[::1]" },
    { "::1", 8443, 443, "[::1]:8443" },
    { "2001:db8::1", 80, 443, "[2001:db8::1]:80" },
    { "::ffff:1.2.3.4", 0, 80, "[::ffff:1.2.3.4]" },
    /* A zone in the URI form (RFC 6874). */
    { "fe80::1%eth0", 8080, 80, "[fe80::1%25eth0]:8080" },
    { "fe80::1%eth0", 80, 80, "[fe80::1%25eth0]" },
    /* Default port 0: any positive port is written (a CONNECT target). */
    { "example.com", 80, 0, "example.com:80" },
    { "::1", 443, 0, "[::1]:443" },
    { "example.com", 0, 0, "example.com" },
  };

  g_test_summary ("Authorities are host, host:port, [v6] or [v6]:port; the port is left "
                  "out when it is the default or not positive");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *formatted = NULL;
      g_autoptr(GString) out = g_string_new ("Host: ");
      g_autofree char *expected = g_strconcat ("Host: ", cases[i].expected, NULL);

      g_test_message ("case %u: %s %d %d", i, cases[i].host, cases[i].port, cases[i].default_port);
      formatted = fws_http_format_authority (cases[i].host, cases[i].port, cases[i].default_port);
      g_assert_cmpstr (formatted, ==, cases[i].expected);
      fws_http_append_authority (out, cases[i].host, cases[i].port, cases[i].default_port);
      g_assert_cmpstr (out->str, ==, expected);
    }
}

static void
test_request_url (void)
{
  static const struct {
    const char *scheme;
    gboolean    secure;
    const char *host_header;    /* NULL: none */
    const char *forwarded[2];   /* name, value */
    const char *host;           /* the override, or NULL */
    const char *path;
    const char *query;
    const char *expected;       /* NULL: no URL */
  } cases[] = {
    { "ws", FALSE, "example.com", { NULL }, NULL, "/chat", NULL, "ws://example.com/chat" },
    { "ws", TRUE, "example.com", { NULL }, NULL, "/chat", NULL, "wss://example.com/chat" },
    { "http", FALSE, "example.com:8080", { NULL }, NULL, "/events", "a=1", "http://example.com:8080/events?a=1" },
    { "http", TRUE, "[::1]:8443", { NULL }, NULL, "/", "", "https://[::1]:8443/" },
    { "ws", FALSE, "example.com", { NULL }, NULL, NULL, NULL, "ws://example.com" },
    /* Behind a TLS proxy. */
    { "ws", FALSE, "example.com", { "X-Forwarded-Proto", "https" }, NULL, "/", NULL, "wss://example.com/" },
    { "http", FALSE, "example.com", { "X-Forwarded-Scheme", "HTTPS" }, NULL, "/", NULL, "https://example.com/" },
    { "http", FALSE, "example.com", { "X-Forwarded-Ssl", "on" }, NULL, "/", NULL, "https://example.com/" },
    { "ws", FALSE, "example.com", { "X-Forwarded-Proto", "http" }, NULL, "/", NULL, "ws://example.com/" },
    { "ws", TRUE, "example.com", { "X-Forwarded-Proto", "http" }, NULL, "/", NULL, "wss://example.com/" },
    { "ws", FALSE, "example.com", { "X-Forwarded-Ssl", "off" }, NULL, "/", NULL, "ws://example.com/" },
    /* The caller's authority wins over Host, and stands in for a missing one. */
    { "http", FALSE, "example.com", { NULL }, "127.0.0.1:9000", "/", NULL, "http://127.0.0.1:9000/" },
    { "http", FALSE, NULL, { NULL }, "[::1]", "/e", NULL, "http://[::1]/e" },
    /* No URL without a valid authority. */
    { "ws", FALSE, NULL, { NULL }, NULL, "/", NULL, NULL },
    { "ws", FALSE, "a b", { NULL }, NULL, "/", NULL, NULL },
    { "ws", FALSE, "example.com:0", { NULL }, NULL, "/", NULL, NULL },
    { "http", FALSE, "example.com", { NULL }, "::1", "/", NULL, NULL },
  };

  g_test_summary ("The URL of a request: scheme (secure by flag or X-Forwarded-*), "
                  "authority, path, query");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *request = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
      g_autofree char *url = NULL;

      g_test_message ("case %u", i);
      if (cases[i].host_header != NULL)
        soup_message_headers_append (request, "Host", cases[i].host_header);
      if (cases[i].forwarded[0] != NULL)
        soup_message_headers_append (request, cases[i].forwarded[0], cases[i].forwarded[1]);
      url = fws_http_request_url (cases[i].scheme, cases[i].secure, request, cases[i].host,
                                  cases[i].path, cases[i].query);
      g_assert_cmpstr (url, ==, cases[i].expected);
      soup_message_headers_unref (request);
    }
}

static void
test_basic_credentials (void)
{
  static const struct {
    const char *user;
    const char *password;
    const char *expected;
  } cases[] = {
    { "user", "pass", "dXNlcjpwYXNz" },          /* user:pass */
    { "us%3Aer", NULL, "dXM6ZXI6" },             /* us:er: */
    { "a", "%zz", "YToleno=" },                  /* a:%zz, kept as it is */
    { "%C3%A9", "p%20w", "w6k6cCB3" },           /* é:p w */
  };

  g_test_summary ("Basic credentials are base64 of user:password, percent-decoded");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *credentials = fws_http_basic_credentials (cases[i].user, cases[i].password);

      g_assert_cmpstr (credentials, ==, cases[i].expected);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http/head-reader/whole", test_head_reader_whole);
  g_test_add_func ("/http/head-reader/byte-at-a-time", test_head_reader_byte_at_a_time);
  g_test_add_func ("/http/head-reader/split-everywhere", test_head_reader_split_everywhere);
  g_test_add_func ("/http/head-reader/trailing-bytes", test_head_reader_trailing_bytes);
  g_test_add_func ("/http/head-reader/line-endings", test_head_reader_line_endings);
  g_test_add_func ("/http/head-reader/leading-empty-lines", test_head_reader_leading_empty_lines);
  g_test_add_func ("/http/head-reader/line-limit", test_head_reader_line_limit);
  g_test_add_func ("/http/head-reader/line-limit-edges", test_head_reader_line_limit_edges);
  g_test_add_func ("/http/head-reader/head-limit", test_head_reader_head_limit);
  g_test_add_func ("/http/head-reader/header-count", test_head_reader_header_count);
  g_test_add_func ("/http/head-reader/nul", test_head_reader_nul);
  g_test_add_func ("/http/head-reader/large-byte-at-a-time", test_head_reader_large_byte_at_a_time);

  g_test_add_func ("/http/chunked/vectors", test_chunked_vectors);
  g_test_add_func ("/http/chunked/large", test_chunked_large);

  g_test_add_func ("/http/parse/request", test_parse_request);
  g_test_add_func ("/http/parse/request-invalid", test_parse_request_invalid);
  g_test_add_func ("/http/parse/response", test_parse_response);
  g_test_add_func ("/http/parse/response-lenient", test_parse_response_lenient);
  g_test_add_func ("/http/parse/response-invalid", test_parse_response_invalid);

  g_test_add_func ("/http/check/token-and-value", test_token_and_value);
  g_test_add_func ("/http/check/host", test_valid_host);
  g_test_add_func ("/http/check/host-header", test_valid_host_header);

  g_test_add_func ("/http/extra-headers/reserved-names", test_name_is_reserved);
  g_test_add_func ("/http/extra-headers/is-allowed", test_extra_header_is_allowed);
  g_test_add_func ("/http/extra-headers/write", test_extra_headers);
  g_test_add_func ("/http/extra-headers/injection", test_extra_headers_injection);

  g_test_add_func ("/http/authority", test_authority);
  g_test_add_func ("/http/request-url", test_request_url);
  g_test_add_func ("/http/basic-credentials", test_basic_credentials);

  return g_test_run ();
}
