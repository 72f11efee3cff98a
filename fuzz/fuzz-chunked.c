/* fuzz-chunked.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The chunked body decoder of fws-http.c (FwsHttpChunkedDecoder), which the
 * EventSource client reads node's event streams with. Input:
 *   byte 0  the split (fuzz-common.h);
 *   byte 1  flags: bits 0-1 max_line (4096, 1, 3, 8); bits 2-3 max_trailers
 *           (16384, 1, 4, 16); bit 4 LF line ends in the round trip;
 *           bit 5 chunk extensions in it; bit 6 trailers in it;
 *   then    the bytes.
 * Checks, on the bytes as a chunked body: each feed uses at most what it
 * was given and at least one byte while it says MORE, its body span lies in
 * what it used, a failing feed uses nothing; fed split as the input says,
 * one byte at a time and whole, the result, the error code, the body and
 * (without a failure) the bytes used are the same; a dead decoder fails
 * again. Round trip: the bytes, encoded here as a valid
 * chunked body (chunk sizes from a generator seeded by the input, the
 * flags' line ends, extensions and trailers) and followed by more bytes,
 * decode to themselves, DONE exactly at the end of the encoding.
 */
#include "fuzz-common.h"

#include "fws-error.h"
#include "fws-http-private.h"

static const gsize max_lines[4] = { FWS_HTTP_DEFAULT_MAX_LINE, 1, 3, 8 };
static const gsize max_trailers[4] = { FWS_HTTP_DEFAULT_MAX_TRAILERS, 1, 4, 16 };

typedef struct
{
  FwsHttpChunkedResult  result;
  int                   code;      /* with FAILED */
  GByteArray           *body;
  gsize                 used;
} Outcome;

static void
decode (const uint8_t *data,
        size_t         size,
        guint          max_piece,
        gsize          max_line,
        gsize          max_trailer,
        Outcome       *o)
{
  FwsHttpChunkedDecoder *decoder = fws_http_chunked_decoder_new (max_line, max_trailer);
  FuzzSplitter splitter;
  const uint8_t *piece;
  size_t len;

  o->result = FWS_HTTP_CHUNKED_MORE;
  o->code = -1;
  o->body = g_byte_array_new ();
  o->used = 0;
  fuzz_splitter_init (&splitter, data, size, max_piece);
  while (o->result == FWS_HTTP_CHUNKED_MORE && fuzz_splitter_next (&splitter, &piece, &len))
    {
      while (o->result == FWS_HTTP_CHUNKED_MORE && len > 0)
        {
          GError *error = NULL;
          const guint8 *span = NULL;
          gsize span_len = 0, used = 0;

          o->result = fws_http_chunked_decoder_feed (decoder, piece, len, &used, &span, &span_len, &error);
          FUZZ_CHECK (used <= len);
          FUZZ_CHECK (o->result != FWS_HTTP_CHUNKED_MORE || used > 0);
          if (span_len > 0)
            {
              FUZZ_CHECK (span >= piece && span + span_len <= piece + used);
              g_byte_array_append (o->body, span, (guint) span_len);
            }
          if (o->result == FWS_HTTP_CHUNKED_FAILED)
            {
              FUZZ_CHECK (used == 0 && span_len == 0);
              FUZZ_CHECK (error != NULL && error->domain == FWS_ERROR);
              FUZZ_CHECK (error->code == FWS_ERROR_PROTOCOL || error->code == FWS_ERROR_TOO_LARGE);
              o->code = error->code;
              g_error_free (error);
            }
          else
            FUZZ_CHECK (error == NULL);
          piece += used;
          len -= used;
          o->used += used;
        }
    }
  if (o->result == FWS_HTTP_CHUNKED_FAILED)
    {
      GError *again = NULL;
      const guint8 *span = NULL;
      gsize span_len = 0, used = 0;

      FUZZ_CHECK (fws_http_chunked_decoder_feed (decoder, (const guint8 *) "0\r\n\r\n", 5, &used, &span,
                                                 &span_len, &again) == FWS_HTTP_CHUNKED_FAILED);
      FUZZ_CHECK (again != NULL && again->code == o->code && used == 0 && span_len == 0);
      g_error_free (again);
    }
  fws_http_chunked_decoder_free (decoder);
}

static void
check_same (const Outcome *a,
            const Outcome *b)
{
  FUZZ_CHECK (a->result == b->result);
  FUZZ_CHECK (a->code == b->code);
  /* A failing feed reports nothing used, so the totals then depend on
   * the split. */
  FUZZ_CHECK (a->result == FWS_HTTP_CHUNKED_FAILED || a->used == b->used);
  FUZZ_CHECK (a->body->len == b->body->len);
  FUZZ_CHECK (a->body->len == 0 || memcmp (a->body->data, b->body->data, a->body->len) == 0);
}

/* A valid chunked encoding of @data, then a few bytes that are not its. */
static GByteArray *
encode (const uint8_t *data,
        size_t         size,
        guint          flags,
        gsize         *encoded_len)
{
  GString *out = g_string_new (NULL);
  const char *eol = (flags & 0x10) ? "\n" : "\r\n";
  guint32 state = 0x2545F491u ^ (guint32) size;
  size_t i = 0;

  while (i < size)
    {
      size_t n;

      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      n = MIN (1 + state % 300, size - i);
      g_string_append_printf (out, (state & 0x100) ? "%zX" : "%zx", n);
      if (flags & 0x20)
        g_string_append (out, (state & 0x200) ? " ;a=b" : ";x");
      g_string_append (out, eol);
      g_string_append_len (out, (const char *) data + i, (gssize) n);
      g_string_append (out, eol);
      i += n;
    }
  g_string_append (out, "0");
  g_string_append (out, eol);
  if (flags & 0x40)
    {
      g_string_append (out, "X-One: 1");
      g_string_append (out, eol);
      g_string_append (out, "X-Two: 2");
      g_string_append (out, eol);
    }
  g_string_append (out, eol);
  *encoded_len = out->len;
  g_string_append (out, "HTTP/1.1 200 OK\r\n");
  return g_bytes_unref_to_array (g_string_free_to_bytes (out));
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Outcome split, bytes, whole, trip;
  GByteArray *encoded;
  gsize encoded_len = 0;
  guint max_piece, flags;
  gsize max_line, max_trailer;

  if (size < 2 || size > 64 * 1024)
    return 0;
  max_piece = data[0];
  flags = data[1];
  max_line = max_lines[flags & 3];
  max_trailer = max_trailers[(flags >> 2) & 3];
  data += 2;
  size -= 2;

  decode (data, size, max_piece, max_line, max_trailer, &split);
  decode (data, size, 1, max_line, max_trailer, &bytes);
  decode (data, size, 0, max_line, max_trailer, &whole);
  check_same (&split, &bytes);
  check_same (&split, &whole);
  if (split.result == FWS_HTTP_CHUNKED_MORE)
    FUZZ_CHECK (split.used == size);
  FUZZ_CHECK (split.body->len <= split.used);
  g_byte_array_unref (split.body);
  g_byte_array_unref (bytes.body);
  g_byte_array_unref (whole.body);

  encoded = encode (data, size, flags, &encoded_len);
  decode (encoded->data, encoded->len, max_piece, FWS_HTTP_DEFAULT_MAX_LINE, FWS_HTTP_DEFAULT_MAX_TRAILERS,
          &trip);
  FUZZ_CHECK (trip.result == FWS_HTTP_CHUNKED_DONE);
  FUZZ_CHECK (trip.used == encoded_len);
  FUZZ_CHECK (trip.body->len == size);
  FUZZ_CHECK (size == 0 || memcmp (trip.body->data, data, size) == 0);
  g_byte_array_unref (trip.body);
  g_byte_array_unref (encoded);
  return 0;
}
