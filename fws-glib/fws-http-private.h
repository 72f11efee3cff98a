/* fws-http-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP/1.1 helpers shared by the WebSocket handshakes (hybi and hixie), the
 * EventSource response, and the proxy's CONNECT exchange, sans I/O: token
 * and value checks, a head reader with hard limits, request and response
 * parsers (libsoup's, with the checks described in fws-http.c), writing a
 * caller's extra header lines, host and Host checks, authorities with IPv6
 * brackets, and the URL of a request as a server sees it.
 *
 * Nothing here knows about WebSocket or EventSource; this header includes
 * no other private header of the library.
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define FWS_HTTP_DEFAULT_MAX_LINE    4096
#define FWS_HTTP_DEFAULT_MAX_HEAD    (64 * 1024)
#define FWS_HTTP_DEFAULT_MAX_HEADERS 100

/* ---- Small validators ---- */

/* An RFC 7230 tchar. */
gboolean fws_http_is_tchar      (guchar c);
/* An RFC 7230 token: a header name, a subprotocol, an extension name. */
gboolean fws_http_is_token      (const char *s);
/* A header value we may write: no control characters but HT, so a CR or
 * LF cannot inject header lines. */
gboolean fws_http_is_safe_value (const char *s);

/* A host as GUri gives it: a DNS name or IPv4 address (letters, digits,
 * '-', '.', '_', '~'; 1 to 255 bytes) or an IPv6 address without brackets
 * (at most 100 bytes), with an optional zone ("fe80::1%eth0", the zone in
 * the same characters as a name). Anything else, such as a percent-decoded
 * CR or LF, is refused. */
gboolean fws_http_is_valid_host        (const char *host);
/* A Host header value: host, host:port, [v6] or [v6]:port, where a zone is
 * written "%25zone" (RFC 6874) or "%zone", and port is 1 to 65535 in at
 * most five digits. NULL is not valid. */
gboolean fws_http_is_valid_host_header (const char *host);

/* ---- Reading an HTTP head out of a byte stream, with limits ---- */

typedef struct _FwsHttpHeadReader FwsHttpHeadReader;

FwsHttpHeadReader *fws_http_head_reader_new  (gsize max_head,
                                              gsize max_line,
                                              guint max_headers);
void               fws_http_head_reader_free (FwsHttpHeadReader *reader);

/* Feeds bytes. Returns:
 *   0  more bytes are needed (all of @data was taken into the head);
 *   N > 0  the head is complete; it ended at @data[N - 1], so bytes from
 *      @data[N] on are not part of it (a body, or the first frames);
 *  -1  the head broke a limit (line longer than max_line, head longer than
 *      max_head, more than max_headers lines) or has a NUL byte: @error is
 *      set (FWS_ERROR_TOO_LARGE or FWS_ERROR_HANDSHAKE).
 * Lines end in LF with an optional CR before it. Never reads past the head. */
gssize             fws_http_head_reader_feed (FwsHttpHeadReader *reader,
                                              const guint8      *data,
                                              gsize              len,
                                              GError           **error);
/* The complete head (start line to the blank line, inclusive), once feed
 * returned N > 0. */
const char        *fws_http_head_reader_get_head (FwsHttpHeadReader *reader,
                                                  gsize             *len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsHttpHeadReader, fws_http_head_reader_free)

/* ---- Decoding a chunked body (RFC 9112 7.1) ---- */

/* The decoder takes the bytes of a response body sent with
 * "Transfer-Encoding: chunked", split anywhere, and gives back the body's
 * bytes as spans of its input (nothing is copied or buffered).
 *
 * What it accepts, strictly:
 *   chunk      = hex-size [ extension ] line-end data line-end
 *   last-chunk = 1*"0" [ extension ] line-end *( trailer-line line-end ) line-end
 * where hex-size is one or more hex digits (no sign, no "0x", no space
 * before them; leading zeros are fine), a value that does not fit in 64
 * bits is refused; spaces and tabs may follow the digits, then a ';' starts
 * an extension that runs to the line end, with no control character but
 * HT (extensions are skipped unread); a line end is LF with
 * an optional CR before it (a CR alone is refused); trailer lines are
 * skipped unread. Bytes after the last chunk's blank line are not the
 * body's: the decoder says where the body ended.
 *
 * Caps, given at creation (at least 1): @max_line bytes in a size line or
 * a trailer line (its line end not counted), @max_trailers bytes in the
 * whole trailer section (line ends counted, the final blank line not).
 * Past a cap: FWS_ERROR_TOO_LARGE; a malformed chunk: FWS_ERROR_PROTOCOL.
 * After an error the decoder is dead: every feed fails again. */

#define FWS_HTTP_DEFAULT_MAX_TRAILERS (16 * 1024)

typedef enum
{
  FWS_HTTP_CHUNKED_MORE,    /* all is well: feed what is left of @data */
  FWS_HTTP_CHUNKED_DONE,    /* the body ended at @data[*consumed - 1] */
  FWS_HTTP_CHUNKED_FAILED,  /* @error is set; nothing more may be fed */
} FwsHttpChunkedResult;

typedef struct _FwsHttpChunkedDecoder FwsHttpChunkedDecoder;

FwsHttpChunkedDecoder *fws_http_chunked_decoder_new  (gsize max_line,
                                                      gsize max_trailers);
void                   fws_http_chunked_decoder_free (FwsHttpChunkedDecoder *decoder);

/* Reads from @data (@len bytes). Sets *@consumed to how many bytes of @data
 * were used, and *@body / *@body_len to at most one span of body bytes
 * within them (*@body_len 0 when there is none). With MORE and @len > 0 at
 * least one byte is used, so a caller loops, feeding @data + *@consumed,
 * until it has used all of @data, or until DONE or FAILED. With FAILED,
 * *@consumed and *@body_len are 0. After DONE, feeding is a programmer
 * error. */
FwsHttpChunkedResult   fws_http_chunked_decoder_feed (FwsHttpChunkedDecoder  *decoder,
                                                      const guint8           *data,
                                                      gsize                   len,
                                                      gsize                  *consumed,
                                                      const guint8          **body,
                                                      gsize                  *body_len,
                                                      GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsHttpChunkedDecoder, fws_http_chunked_decoder_free)

/* Parse a complete head. On failure set @error (FWS_ERROR_HANDSHAKE,
 * "Invalid HTTP response" / "Invalid HTTP request"). */
gboolean fws_http_parse_response (const char          *head,
                                  gsize                len,
                                  guint               *status,
                                  char               **reason,
                                  SoupMessageHeaders **headers,
                                  GError             **error);
gboolean fws_http_parse_request  (const char          *head,
                                  gsize                len,
                                  char               **method,
                                  char               **path,
                                  SoupHTTPVersion     *version,
                                  SoupMessageHeaders **headers,
                                  GError             **error);

/* ---- Writing a caller's extra header lines ---- */

typedef enum
{
  FWS_HTTP_EXTRA_HEADERS_DEFAULT    = 0,
  /* Only the first line of each name (compared case-insensitively) is
   * written; later ones are skipped. */
  FWS_HTTP_EXTRA_HEADERS_FIRST_WINS = 1 << 0,
} FwsHttpExtraHeadersFlags;

/* Whether @name matches an entry of @reserved (NULL-terminated, nullable):
 * case-insensitively, and an entry that ends in '*' matches every name that
 * starts with the text before it ("Sec-WebSocket-*"). */
gboolean fws_http_name_is_reserved        (const char         *name,
                                           const char * const *reserved);

/* Whether the line "@name: @value" may be written among the extra headers:
 * @name is a token, @value (non-NULL) passes fws_http_is_safe_value and
 * @name is not reserved. */
gboolean fws_http_extra_header_is_allowed (const char         *name,
                                           const char         *value,
                                           const char * const *reserved);

/* Appends "name: value\r\n" for each line of @extra_headers (nullable), in
 * its order, that fws_http_extra_header_is_allowed accepts. A line that is
 * not allowed is skipped, never refused: the rest is still written and no
 * error is raised (each caller documents this), so a reserved name cannot
 * replace the caller's own lines, and a name or value with a CR, LF or
 * other control character cannot inject a line. Skipped lines are logged
 * with g_debug. */
void     fws_http_append_extra_headers    (GString                  *out,
                                           SoupMessageHeaders       *extra_headers,
                                           const char * const       *reserved,
                                           FwsHttpExtraHeadersFlags  flags);

/* ---- Authorities and URLs ---- */

/* Appends the authority of @host (a host as GUri gives it: a name, an IPv4
 * address, or an IPv6 address without brackets): "host", "host:port",
 * "[v6]" or "[v6]:port". An IPv6 zone ("fe80::1%eth0") is written in the
 * URI form "[fe80::1%25eth0]" (RFC 6874). The port is left out when it is
 * <= 0 or equal to @default_port (pass 0 to always write a positive one). */
void     fws_http_append_authority (GString    *out,
                                    const char *host,
                                    int         port,
                                    int         default_port);
/* The same, newly allocated. */
char    *fws_http_format_authority (const char *host,
                                    int         port,
                                    int         default_port);

/* The URL of a request as the server sees it: @scheme ("ws" or "http"),
 * with "s" added when @secure or when the request's X-Forwarded-Proto or
 * X-Forwarded-Scheme is https or its X-Forwarded-Ssl is on; "://"; the
 * authority (@host if non-NULL, else the request's Host header); @path;
 * "?" and @query if @query is non-empty. NULL when the authority is missing
 * or fails fws_http_is_valid_host_header. */
char    *fws_http_request_url      (const char         *scheme,
                                    gboolean            secure,
                                    SoupMessageHeaders *request,
                                    const char         *host,
                                    const char         *path,
                                    const char         *query);

/* The credentials of "Authorization: Basic" (and Proxy-Authorization):
 * base64 of @user ":" @password (NULL: empty), both as they appear in a
 * URL, percent-decoded (kept as they are where they do not decode). */
char    *fws_http_basic_credentials (const char *user,
                                     const char *password);

G_END_DECLS
