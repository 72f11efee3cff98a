/* fws-handshake-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP/1.1 heads and the RFC 6455 opening handshake, sans I/O. Parsing of
 * header lines is libsoup's (soup_headers_parse_request/response); this file
 * finds the end of a head with hard limits and applies the WebSocket rules.
 * Messages meant for people are translatable and follow BEHAVIOUR.md 2.6/2.7.
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "fws-extensions-private.h"

G_BEGIN_DECLS

#define FWS_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

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

/* ---- Server side (hybi-13) ---- */

/* TRUE iff @method is GET, the Connection header is a comma list containing
 * the token "upgrade" (any case, spaces around commas allowed) and Upgrade is
 * exactly "websocket" (any case). */
gboolean fws_handshake_is_websocket_request (const char         *method,
                                             SoupMessageHeaders *request);

/* Checks a hybi request and builds the answer.
 *
 * On success returns TRUE; *@out_response is the complete 101 response:
 *   HTTP/1.1 101 Switching Protocols, the lines of @extra_headers (nullable,
 *   in their order), Upgrade: websocket, Connection: Upgrade,
 *   Sec-WebSocket-Accept, Sec-WebSocket-Protocol (only if one was selected),
 *   Sec-WebSocket-Extensions (only if @extensions accepted any), blank line;
 * *@out_protocol is the selected subprotocol (the first one in the client's
 * list that is also in @protocols), or NULL.
 *
 * On failure returns FALSE, sets @error (FWS_ERROR_HANDSHAKE with the reason)
 * and *@out_response to the response to write:
 *   - not a WebSocket request, missing or malformed Sec-WebSocket-Key (must be
 *     base64 of 16 bytes), bad Host, a Sec-WebSocket-Extensions header that
 *     does not parse (checked even when @extensions is NULL; the body is
 *     "Invalid Sec-WebSocket-Extensions header: <value>"): 400 Bad Request,
 *     Content-Type:
 *     text/plain, Content-Length, the reason as body;
 *   - Sec-WebSocket-Version other than 13: 426 Upgrade Required with
 *     Sec-WebSocket-Version: 13 and a body naming the version received
 *     ("Unsupported WebSocket version: 7").
 * Extra headers never replace the handshake's own headers: a custom Upgrade,
 * Connection, Sec-WebSocket-Accept, -Protocol or -Extensions is dropped. */
gboolean fws_handshake_server_respond (const char          *method,
                                       SoupMessageHeaders  *request,
                                       const char * const  *protocols,
                                       SoupMessageHeaders  *extra_headers,
                                       FwsExtensions       *extensions,
                                       char               **out_protocol,
                                       GBytes             **out_response,
                                       GError             **error);

/* The URL of a request: ws:// or wss:// (when @secure or when
 * X-Forwarded-Proto/-Scheme is https or X-Forwarded-Ssl is on), then Host,
 * then @path and ?@query if @query is non-empty. NULL when Host is missing
 * or malformed. */
char    *fws_handshake_request_url    (gboolean            secure,
                                       SoupMessageHeaders *request,
                                       const char         *path,
                                       const char         *query);

/* base64 (SHA-1 (key + GUID)) */
char    *fws_handshake_accept_key     (const char *key);

/* ---- Client side ---- */

/* Parses @url; only ws:// and wss:// with a host are accepted. On failure
 * sets FWS_ERROR_INVALID_ARGUMENT "<url> is not a valid WebSocket URL". */
GUri    *fws_handshake_parse_url      (const char  *url,
                                       GError     **error);

/* base64 of the 16 bytes of @nonce (which the caller takes from a CSPRNG). */
char    *fws_handshake_client_key     (const guint8 nonce[16]);

/* The request of BEHAVIOUR.md 2.7: GET path?query HTTP/1.1 (path "/" when
 * empty, no fragment), Host (port only when not the scheme default),
 * Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key,
 * Sec-WebSocket-Version: 13, Sec-WebSocket-Protocol: a, b (if any),
 * Authorization: Basic (if the URL has user:password), then
 * @extra_headers (nullable) in order, except those that would replace one
 * of the lines above, then Sec-WebSocket-Extensions: @extensions (if not
 * NULL); blank line. */
GBytes  *fws_handshake_client_request (GUri               *uri,
                                       const char         *key,
                                       const char * const *protocols,
                                       SoupMessageHeaders *extra_headers,
                                       const char         *extensions);

/* Validates the response to our request. Errors (FWS_ERROR_HANDSHAKE), in
 * this order, each prefixed "Error during WebSocket handshake: ":
 * "Unexpected response code: N", "'Upgrade' header is missing",
 * "'Upgrade' header value is not 'WebSocket'", "'Connection' header is
 * missing", "'Connection' header value is not 'Upgrade'" (a token list that
 * contains upgrade is accepted), "Sec-WebSocket-Accept mismatch",
 * "Sec-WebSocket-Protocol mismatch" (a protocol we did not offer). On
 * success *@out_protocol is the server's choice or NULL. */
gboolean fws_handshake_client_check   (guint                status,
                                       SoupMessageHeaders  *response,
                                       const char          *key,
                                       const char * const  *protocols,
                                       char               **out_protocol,
                                       GError             **error);

G_END_DECLS
