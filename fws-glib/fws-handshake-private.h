/* fws-handshake-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RFC 6455 opening handshake, sans I/O: the WebSocket rules applied to
 * HTTP heads that fws-http-private.h reads and parses (it is included here,
 * so users of the handshake get the head reader and parsers too).
 * Messages meant for people are translatable and follow BEHAVIOUR.md 2.6/2.7.
 *
 * Include order: this header needs fws-extensions-private.h (for
 * FwsExtensions) and fws-http-private.h; neither includes it back.
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "fws-extensions-private.h"
#include "fws-http-private.h"

G_BEGIN_DECLS

#define FWS_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* ---- Server side (hybi-13) ---- */

/* TRUE iff @method is GET, the Connection header is a comma list containing
 * the token "upgrade" (any case, spaces around commas allowed) and Upgrade is
 * exactly "websocket" (any case). */
gboolean fws_handshake_is_websocket_request (const char         *method,
                                             SoupMessageHeaders *request);

/* Whether @origin, the request's Origin header (all its values joined, as
 * soup_message_headers_get_list gives them; nullable), is one of @allowed
 * (exact, byte for byte): always TRUE when @allowed is NULL, and for a
 * request without Origin (not a browser: browsers send Origin on every
 * WebSocket request and on every cross-origin EventSource request). Two
 * Origin headers never match; "null" passes only if listed. */
gboolean fws_handshake_origin_allowed (const char          *origin,
                                       const char * const  *allowed);

/* The answer to a request whose Origin is not allowed: 403 Forbidden,
 * Content-Type: text/plain; charset=utf-8, Content-Length, Connection:
 * close, and the body "Origin not allowed\n". */
GBytes  *fws_handshake_forbidden_response (void);

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
 * Connection, Sec-WebSocket-Accept, -Protocol, -Extensions, -Version,
 * Content-Length or Transfer-Encoding is skipped, and so is a line with a
 * malformed name or value (fws_http_append_extra_headers). */
gboolean fws_handshake_server_respond (const char          *method,
                                       SoupMessageHeaders  *request,
                                       const char * const  *protocols,
                                       SoupMessageHeaders  *extra_headers,
                                       FwsExtensions       *extensions,
                                       char               **out_protocol,
                                       GBytes             **out_response,
                                       GError             **error);

/* The URL of a request (fws_http_request_url with "ws"): ws:// or wss://
 * (when @secure or when X-Forwarded-Proto/-Scheme is https or
 * X-Forwarded-Ssl is on), then Host, then @path and ?@query if @query is
 * non-empty. NULL when Host is missing or malformed. */
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
 * of the lines above (or Content-Length, Transfer-Encoding) and malformed
 * ones, which are skipped (fws_http_append_extra_headers), then
 * Sec-WebSocket-Extensions: @extensions (if not NULL); blank line. */
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
