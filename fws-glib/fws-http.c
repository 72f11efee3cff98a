/* fws-http.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP/1.1 helpers, sans I/O (see fws-http-private.h).
 *
 * Parsing the header lines is left to libsoup; where its rules differ from
 * websocket-driver's own parser (BEHAVIOUR.md 2.4) we keep libsoup's, except
 * where noted:
 *   - any method token is accepted (websocket-driver only knows the eight
 *     methods of RFC 2616); spaces and tabs between the start-line fields
 *     may repeat;
 *   - header lines without a ':' are ignored instead of failing the head,
 *     obs-fold continuation lines are joined with a space, and values may
 *     hold non-ASCII bytes;
 *   - "HTTP/1.1 101\r\n" (no space and no reason after the code) is
 *     accepted; websocket-driver requires the space;
 *   - HTTP/1.0 is accepted (libsoup then drops the headers named in
 *     Connection, so such a request is never a WebSocket upgrade);
 *     HTTP/2.0 and a request with an unknown Expect are refused.
 * We are stricter than libsoup on a response: the status line must start
 * with "HTTP/" (libsoup also takes Shoutcast's "ICY") and the three digits
 * of the code must be followed by a space, a tab or the end of the line
 * (libsoup reads "101x" as 101).
 */
#include "config.h"

#include <string.h>

#include "fws-http-private.h"

#include "fws-error.h"
#include "fws-i18n-private.h"

/* ---- Reading an HTTP head out of a byte stream ---- */

struct _FwsHttpHeadReader
{
  gsize     max_head;
  gsize     max_line;
  guint     max_headers;

  GString  *head;        /* the head so far, without the leading empty lines */
  gsize     total;       /* bytes consumed, leading empty lines included */
  gsize     line_len;    /* bytes of the current line so far (a CR counts) */
  guint     n_lines;     /* complete lines, the start line included */
  guint     leading : 1; /* still skipping empty lines before the start line */
  guint     last_cr : 1; /* the last byte of the current line was a CR */
  guint     complete : 1;
  guint     failed : 1;
};

FwsHttpHeadReader *
fws_http_head_reader_new (gsize max_head,
                          gsize max_line,
                          guint max_headers)
{
  FwsHttpHeadReader *reader = g_new0 (FwsHttpHeadReader, 1);

  reader->max_head = max_head;
  reader->max_line = max_line;
  reader->max_headers = max_headers;
  reader->head = g_string_new (NULL);
  reader->leading = TRUE;
  return reader;
}

void
fws_http_head_reader_free (FwsHttpHeadReader *reader)
{
  if (reader == NULL)
    return;
  g_string_free (reader->head, TRUE);
  g_free (reader);
}

static gssize
reader_fail (FwsHttpHeadReader  *reader,
             GError            **error,
             FwsError            code,
             const char         *message)
{
  reader->failed = TRUE;
  g_set_error_literal (error, FWS_ERROR, code, message);
  return -1;
}

gssize
fws_http_head_reader_feed (FwsHttpHeadReader  *reader,
                           const guint8       *data,
                           gsize               len,
                           GError            **error)
{
  gsize start = 0;
  gsize i;

  g_return_val_if_fail (reader != NULL, -1);
  g_return_val_if_fail (data != NULL || len == 0, -1);
  g_return_val_if_fail (!reader->complete, -1);
  g_return_val_if_fail (!reader->failed, -1);

  for (i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (++reader->total > reader->max_head)
        return reader_fail (reader, error, FWS_ERROR_TOO_LARGE, _("HTTP head too large"));
      if (c == '\0')
        return reader_fail (reader, error, FWS_ERROR_HANDSHAKE, _("HTTP head contains a NUL byte"));

      if (reader->leading)
        {
          /* Empty lines before the start line are skipped (RFC 7230 3.5),
           * as libsoup's parsers skip any CR and LF there. */
          if (c == '\r' || c == '\n')
            {
              start = i + 1;
              continue;
            }
          reader->leading = FALSE;
        }

      if (c == '\n')
        {
          gboolean empty = reader->line_len == 0 ||
                           (reader->line_len == 1 && reader->last_cr);

          if (empty)
            {
              /* The start line is never empty, so this ends the head. */
              g_string_append_len (reader->head, (const char *) data + start, i + 1 - start);
              reader->complete = TRUE;
              return (gssize) (i + 1);
            }
          /* n_lines counts the start line, so it is the number of header
           * lines once this one is done. */
          if (reader->n_lines > reader->max_headers)
            return reader_fail (reader, error, FWS_ERROR_TOO_LARGE, _("Too many HTTP headers"));
          reader->n_lines++;
          reader->line_len = 0;
          reader->last_cr = FALSE;
          continue;
        }

      /* A line may hold max_line bytes plus the CR of its CRLF. */
      reader->line_len++;
      if (reader->line_len > reader->max_line &&
          (reader->line_len > reader->max_line + 1 || c != '\r'))
        return reader_fail (reader, error, FWS_ERROR_TOO_LARGE, _("HTTP header line too long"));
      reader->last_cr = (c == '\r');
    }

  if (start < len)
    g_string_append_len (reader->head, (const char *) data + start, len - start);
  return 0;
}

const char *
fws_http_head_reader_get_head (FwsHttpHeadReader *reader,
                               gsize             *len)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (reader->complete, NULL);

  if (len != NULL)
    *len = reader->head->len;
  return reader->head->str;
}

/* ---- Decoding a chunked body ---- */

typedef enum
{
  CHUNK_SIZE_START,   /* the first hex digit of a size line */
  CHUNK_SIZE,         /* more hex digits, an extension or the line end */
  CHUNK_SIZE_SPACE,   /* spaces or tabs after the digits */
  CHUNK_EXTENSION,    /* skipping an extension up to the line end */
  CHUNK_SIZE_CR,      /* the size line's CR: its LF must follow */
  CHUNK_DATA,         /* @remaining body bytes */
  CHUNK_DATA_END,     /* the line end after the data */
  CHUNK_DATA_CR,      /* ... its CR: the LF must follow */
  CHUNK_TRAILER,      /* in a trailer line (or at the start of one) */
  CHUNK_TRAILER_CR,   /* a trailer line's CR: its LF must follow */
  CHUNK_DONE,
  CHUNK_FAILED,
} ChunkState;

struct _FwsHttpChunkedDecoder
{
  gsize       max_line;
  gsize       max_trailers;
  ChunkState  state;
  guint64     remaining;    /* the size so far, then the data left */
  gsize       line_len;     /* bytes of the current line, line end not counted */
  gsize       trailers;     /* bytes of the trailer section so far */
  GError     *failure;      /* (nullable) what made it fail */
};

FwsHttpChunkedDecoder *
fws_http_chunked_decoder_new (gsize max_line,
                              gsize max_trailers)
{
  FwsHttpChunkedDecoder *decoder;

  g_return_val_if_fail (max_line >= 1 && max_trailers >= 1, NULL);

  decoder = g_new0 (FwsHttpChunkedDecoder, 1);
  decoder->max_line = max_line;
  decoder->max_trailers = max_trailers;
  decoder->state = CHUNK_SIZE_START;
  return decoder;
}

void
fws_http_chunked_decoder_free (FwsHttpChunkedDecoder *decoder)
{
  if (decoder == NULL)
    return;
  g_clear_error (&decoder->failure);
  g_free (decoder);
}

static FwsHttpChunkedResult
chunked_fail (FwsHttpChunkedDecoder  *decoder,
              GError                **error,
              FwsError                code,
              const char             *message)
{
  decoder->state = CHUNK_FAILED;
  decoder->failure = g_error_new_literal (FWS_ERROR, code, message);
  g_propagate_error (error, g_error_copy (decoder->failure));
  return FWS_HTTP_CHUNKED_FAILED;
}

static int
hex_value (guint8 c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One more byte of a size line or a trailer line (not its line end). */
static gboolean
chunked_line_byte (FwsHttpChunkedDecoder *decoder)
{
  return ++decoder->line_len <= decoder->max_line;
}

FwsHttpChunkedResult
fws_http_chunked_decoder_feed (FwsHttpChunkedDecoder  *decoder,
                               const guint8           *data,
                               gsize                   len,
                               gsize                  *consumed,
                               const guint8          **body,
                               gsize                  *body_len,
                               GError                **error)
{
  gsize i = 0;

  g_return_val_if_fail (decoder != NULL, FWS_HTTP_CHUNKED_FAILED);
  g_return_val_if_fail (data != NULL || len == 0, FWS_HTTP_CHUNKED_FAILED);
  g_return_val_if_fail (consumed != NULL && body != NULL && body_len != NULL, FWS_HTTP_CHUNKED_FAILED);
  g_return_val_if_fail (decoder->state != CHUNK_DONE, FWS_HTTP_CHUNKED_FAILED);

  *consumed = 0;
  *body = NULL;
  *body_len = 0;
  if (decoder->state == CHUNK_FAILED)
    {
      g_propagate_error (error, g_error_copy (decoder->failure));
      return FWS_HTTP_CHUNKED_FAILED;
    }

  while (i < len)
    {
      guint8 c = data[i];

      switch (decoder->state)
        {
        case CHUNK_SIZE_START:
        case CHUNK_SIZE:
          {
            int v = hex_value (c);

            if (v >= 0)
              {
                if (!chunked_line_byte (decoder))
                  return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunk size line too long"));
                if (decoder->remaining > (G_MAXUINT64 >> 4))
                  return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunk size too large"));
                decoder->remaining = (decoder->remaining << 4) | (guint64) v;
                decoder->state = CHUNK_SIZE;
                break;
              }
            if (decoder->state == CHUNK_SIZE_START)
              return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                   _("Invalid chunked body: a chunk does not start with its size in hex"));
          }
          G_GNUC_FALLTHROUGH;
        case CHUNK_SIZE_SPACE:
          /* After the digits: spaces and tabs, then ';' and an extension,
           * or the line end. */
          if (c == '\r')
            decoder->state = CHUNK_SIZE_CR;
          else if (c == '\n')
            goto size_line_done;
          else if (c != ';' && c != ' ' && c != '\t')
            return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                 _("Invalid chunked body: a chunk size is not a hex number"));
          else if (!chunked_line_byte (decoder))
            return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunk size line too long"));
          else
            decoder->state = c == ';' ? CHUNK_EXTENSION : CHUNK_SIZE_SPACE;
          break;

        case CHUNK_EXTENSION:
          if (c == '\r')
            decoder->state = CHUNK_SIZE_CR;
          else if (c == '\n')
            goto size_line_done;
          else if ((c < 0x20 && c != '\t') || c == 0x7f)
            return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                 _("Invalid chunked body: a control character in a chunk extension"));
          else if (!chunked_line_byte (decoder))
            return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunk size line too long"));
          break;

        case CHUNK_SIZE_CR:
          if (c != '\n')
            return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                 _("Invalid chunked body: a CR without LF"));
        size_line_done:
          decoder->line_len = 0;
          decoder->state = decoder->remaining > 0 ? CHUNK_DATA : CHUNK_TRAILER;
          break;

        case CHUNK_DATA:
          {
            gsize n = (gsize) MIN (decoder->remaining, (guint64) (len - i));

            *body = data + i;
            *body_len = n;
            decoder->remaining -= n;
            if (decoder->remaining == 0)
              decoder->state = CHUNK_DATA_END;
            *consumed = i + n;
            return FWS_HTTP_CHUNKED_MORE;
          }

        case CHUNK_DATA_END:
          if (c == '\r')
            decoder->state = CHUNK_DATA_CR;
          else if (c == '\n')
            decoder->state = CHUNK_SIZE_START;
          else
            return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                 _("Invalid chunked body: a chunk is longer than its size"));
          break;

        case CHUNK_DATA_CR:
          if (c != '\n')
            return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                 _("Invalid chunked body: a CR without LF"));
          decoder->state = CHUNK_SIZE_START;
          break;

        case CHUNK_TRAILER:
          if (decoder->line_len == 0 && (c == '\r' || c == '\n'))
            {
              /* The blank line that ends the body: not counted. */
              if (c == '\r')
                {
                  decoder->state = CHUNK_TRAILER_CR;
                  break;
                }
              decoder->state = CHUNK_DONE;
              *consumed = i + 1;
              return FWS_HTTP_CHUNKED_DONE;
            }
          if (++decoder->trailers > decoder->max_trailers)
            return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunked body trailers too large"));
          if (c == '\r')
            decoder->state = CHUNK_TRAILER_CR;
          else if (c == '\n')
            decoder->line_len = 0;
          else if (!chunked_line_byte (decoder))
            return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunked body trailer line too long"));
          break;

        case CHUNK_TRAILER_CR:
          if (c != '\n')
            return chunked_fail (decoder, error, FWS_ERROR_PROTOCOL,
                                 _("Invalid chunked body: a CR without LF"));
          if (decoder->line_len == 0)
            {
              decoder->state = CHUNK_DONE;
              *consumed = i + 1;
              return FWS_HTTP_CHUNKED_DONE;
            }
          if (++decoder->trailers > decoder->max_trailers)
            return chunked_fail (decoder, error, FWS_ERROR_TOO_LARGE, _("Chunked body trailers too large"));
          decoder->line_len = 0;
          decoder->state = CHUNK_TRAILER;
          break;

        case CHUNK_DONE:
        case CHUNK_FAILED:
        default:
          g_assert_not_reached ();
        }
      i++;
    }

  *consumed = i;
  return FWS_HTTP_CHUNKED_MORE;
}

/* ---- Parsing a complete head ---- */

/* libsoup reads up to the first NUL in places, so hand it a NUL-terminated
 * copy and refuse a head that holds one. */
static char *
head_dup (const char *head,
          gsize       len)
{
  if (len == 0 || len > G_MAXINT || memchr (head, '\0', len) != NULL)
    return NULL;
  return g_strndup (head, len);
}

/* The stricter checks described at the top of this file. */
static gboolean
status_line_is_strict (const char *line)
{
  const char *p;

  while (*line == '\r' || *line == '\n')
    line++;
  if (strncmp (line, "HTTP/", 5) != 0)
    return FALSE;
  p = line + 5;
  while (g_ascii_isdigit (*p) || *p == '.')
    p++;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2]))
    return FALSE;
  p += 3;
  return *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
}

gboolean
fws_http_parse_response (const char          *head,
                         gsize                len,
                         guint               *status,
                         char               **reason,
                         SoupMessageHeaders **headers,
                         GError             **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *phrase = NULL;
  SoupMessageHeaders *parsed;
  guint code = 0;

  g_return_val_if_fail (head != NULL || len == 0, FALSE);

  copy = head_dup (head, len);
  parsed = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (copy == NULL ||
      !soup_headers_parse_response (copy, (int) len, parsed, NULL, &code, &phrase) ||
      !status_line_is_strict (copy))
    {
      soup_message_headers_unref (parsed);
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Invalid HTTP response"));
      return FALSE;
    }

  if (status != NULL)
    *status = code;
  if (reason != NULL)
    *reason = g_steal_pointer (&phrase);
  if (headers != NULL)
    *headers = parsed;
  else
    soup_message_headers_unref (parsed);
  return TRUE;
}

gboolean
fws_http_parse_request (const char          *head,
                        gsize                len,
                        char               **method,
                        char               **path,
                        SoupHTTPVersion     *version,
                        SoupMessageHeaders **headers,
                        GError             **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *req_method = NULL;
  g_autofree char *req_path = NULL;
  SoupMessageHeaders *parsed;
  SoupHTTPVersion ver = SOUP_HTTP_1_1;
  guint code = SOUP_STATUS_BAD_REQUEST;

  g_return_val_if_fail (head != NULL || len == 0, FALSE);

  copy = head_dup (head, len);
  parsed = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  if (copy != NULL)
    code = soup_headers_parse_request (copy, (int) len, parsed, &req_method, &req_path, &ver);
  if (code != SOUP_STATUS_OK)
    {
      soup_message_headers_unref (parsed);
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Invalid HTTP request"));
      return FALSE;
    }

  if (method != NULL)
    *method = g_steal_pointer (&req_method);
  if (path != NULL)
    *path = g_steal_pointer (&req_path);
  if (version != NULL)
    *version = ver;
  if (headers != NULL)
    *headers = parsed;
  else
    soup_message_headers_unref (parsed);
  return TRUE;
}

/* ---- Validators ---- */

gboolean
fws_http_is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", (char) c) != NULL);
}

gboolean
fws_http_is_token (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!fws_http_is_tchar ((guchar) *s))
      return FALSE;
  return TRUE;
}

gboolean
fws_http_is_safe_value (const char *s)
{
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return FALSE;
    }
  return TRUE;
}

/* A DNS name or IPv4 address: letters, digits, '-', '.', '_', '~'. */
static gboolean
is_valid_reg_name (const char *s,
                   gsize       len)
{
  gsize i;

  if (len == 0 || len > 255)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_' && s[i] != '~')
      return FALSE;
  return TRUE;
}

/* An IPv6 address without brackets, with an optional zone ("%eth0" or the
 * URI form "%25eth0"). */
static gboolean
is_valid_ipv6 (const char *s,
               gsize       len)
{
  g_autofree char *addr = NULL;
  const char *zone;
  gsize i;

  if (len == 0 || len > 100 || memchr (s, ':', len) == NULL)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != ':' && s[i] != '.' && s[i] != '%' &&
        s[i] != '-' && s[i] != '_' && s[i] != '~')
      return FALSE;
  addr = g_strndup (s, len);
  zone = strchr (addr, '%');
  if (zone != NULL)
    {
      if (zone[1] == '\0' || strchr (zone + 1, '%') != NULL)
        return FALSE;
      addr[zone - addr] = '\0';
    }
  return g_hostname_is_ip_address (addr) && strchr (addr, ':') != NULL;
}

/* 1 to 65535, in at most five digits. */
static gboolean
is_valid_port (const char *s)
{
  guint value = 0;
  gsize i;

  for (i = 0; s[i] != '\0'; i++)
    {
      if (i >= 5 || !g_ascii_isdigit (s[i]))
        return FALSE;
      value = value * 10 + (guint) (s[i] - '0');
    }
  return i > 0 && value >= 1 && value <= 65535;
}

gboolean
fws_http_is_valid_host_header (const char *host)
{
  const char *port = NULL;

  if (host == NULL)
    return FALSE;
  if (host[0] == '[')
    {
      const char *end = strchr (host, ']');

      if (end == NULL || !is_valid_ipv6 (host + 1, (gsize) (end - host - 1)))
        return FALSE;
      if (end[1] == '\0')
        return TRUE;
      if (end[1] != ':')
        return FALSE;
      port = end + 2;
    }
  else
    {
      const char *colon = strchr (host, ':');
      gsize len = colon != NULL ? (gsize) (colon - host) : strlen (host);

      if (!is_valid_reg_name (host, len))
        return FALSE;
      if (colon != NULL)
        port = colon + 1;
    }
  return port == NULL || is_valid_port (port);
}

gboolean
fws_http_is_valid_host (const char *host)
{
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  return is_valid_reg_name (host, len) || is_valid_ipv6 (host, len);
}

/* ---- Writing a caller's extra header lines ---- */

gboolean
fws_http_name_is_reserved (const char         *name,
                           const char * const *reserved)
{
  g_return_val_if_fail (name != NULL, FALSE);

  if (reserved == NULL)
    return FALSE;
  for (; *reserved != NULL; reserved++)
    {
      const char *entry = *reserved;
      gsize len = strlen (entry);

      if (len > 0 && entry[len - 1] == '*')
        {
          if (g_ascii_strncasecmp (name, entry, len - 1) == 0)
            return TRUE;
        }
      else if (g_ascii_strcasecmp (name, entry) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
fws_http_extra_header_is_allowed (const char         *name,
                                  const char         *value,
                                  const char * const *reserved)
{
  return name != NULL && value != NULL &&
         fws_http_is_token (name) && fws_http_is_safe_value (value) &&
         !fws_http_name_is_reserved (name, reserved);
}

static gboolean
name_in_array (const char *name,
               GPtrArray  *names)
{
  for (guint i = 0; i < names->len; i++)
    if (g_ascii_strcasecmp (name, names->pdata[i]) == 0)
      return TRUE;
  return FALSE;
}

void
fws_http_append_extra_headers (GString                  *out,
                               SoupMessageHeaders       *extra_headers,
                               const char * const       *reserved,
                               FwsHttpExtraHeadersFlags  flags)
{
  g_autoptr(GPtrArray) written = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_return_if_fail (out != NULL);

  if (extra_headers == NULL)
    return;
  if (flags & FWS_HTTP_EXTRA_HEADERS_FIRST_WINS)
    written = g_ptr_array_new ();

  soup_message_headers_iter_init (&iter, extra_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (!fws_http_is_token (name) || !fws_http_is_safe_value (value))
        {
          g_debug ("Dropping the malformed custom header %s",
                   fws_http_is_token (name) ? name : "(invalid name)");
          continue;
        }
      if (fws_http_name_is_reserved (name, reserved))
        {
          g_debug ("Dropping the custom header %s: the library writes it", name);
          continue;
        }
      if (written != NULL)
        {
          if (name_in_array (name, written))
            {
              g_debug ("Dropping a repeated custom header %s", name);
              continue;
            }
          g_ptr_array_add (written, (gpointer) name);
        }
      g_string_append (out, name);
      g_string_append (out, ": ");
      g_string_append (out, value);
      g_string_append (out, "\r\n");
    }
}

/* ---- Authorities and URLs ---- */

void
fws_http_append_authority (GString    *out,
                           const char *host,
                           int         port,
                           int         default_port)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (host != NULL);

  if (strchr (host, ':') != NULL)
    {
      const char *zone = strchr (host, '%');

      g_string_append_c (out, '[');
      if (zone != NULL)
        {
          g_string_append_len (out, host, zone - host);
          g_string_append (out, "%25");
          g_string_append (out, zone + 1);
        }
      else
        g_string_append (out, host);
      g_string_append_c (out, ']');
    }
  else
    g_string_append (out, host);
  if (port > 0 && port != default_port)
    g_string_append_printf (out, ":%d", port);
}

char *
fws_http_format_authority (const char *host,
                           int         port,
                           int         default_port)
{
  GString *out;

  g_return_val_if_fail (host != NULL, NULL);

  out = g_string_new (NULL);
  fws_http_append_authority (out, host, port, default_port);
  return g_string_free (out, FALSE);
}

static gboolean
header_is (SoupMessageHeaders *headers,
           const char         *name,
           const char         *value)
{
  const char *found = soup_message_headers_get_list (headers, name);

  return found != NULL && g_ascii_strcasecmp (found, value) == 0;
}

char *
fws_http_request_url (const char         *scheme,
                      gboolean            secure,
                      SoupMessageHeaders *request,
                      const char         *host,
                      const char         *path,
                      const char         *query)
{
  g_return_val_if_fail (scheme != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);

  if (host == NULL)
    host = soup_message_headers_get_list (request, "Host");
  if (!fws_http_is_valid_host_header (host))
    return NULL;

  secure = secure ||
           header_is (request, "X-Forwarded-Ssl", "on") ||
           header_is (request, "X-Forwarded-Scheme", "https") ||
           header_is (request, "X-Forwarded-Proto", "https");

  return g_strconcat (scheme, secure ? "s://" : "://", host,
                      path != NULL ? path : "",
                      query != NULL && *query != '\0' ? "?" : "",
                      query != NULL ? query : "",
                      NULL);
}

char *
fws_http_basic_credentials (const char *user,
                            const char *password)
{
  GByteArray *plain;
  const char *parts[2] = { user, password != NULL ? password : "" };
  char *encoded;

  g_return_val_if_fail (user != NULL, NULL);

  plain = g_byte_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr(GBytes) decoded = g_uri_unescape_bytes (parts[i], -1, NULL, NULL);

      if (i > 0)
        g_byte_array_append (plain, (const guint8 *) ":", 1);
      if (decoded != NULL)
        g_byte_array_append (plain, g_bytes_get_data (decoded, NULL), (guint) g_bytes_get_size (decoded));
      else
        g_byte_array_append (plain, (const guint8 *) parts[i], (guint) strlen (parts[i]));
    }
  encoded = g_base64_encode (plain->data, plain->len);
  g_byte_array_unref (plain);
  return encoded;
}
