/* fws-proxy-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HTTP CONNECT exchange with a proxy (BEHAVIOUR.md 2.8), sans I/O: the
 * request is a GBytes, the answer is fed in as bytes, and the result says
 * whether the tunnel is up. No sockets, no main loop, no clock.
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  FWS_PROXY_NEED_MORE,   /* the answer's head is not complete yet */
  FWS_PROXY_CONNECTED,   /* a 2xx: the tunnel is open */
  FWS_PROXY_FAILED,      /* refused, malformed or too large: @error is set */
} FwsProxyResult;

typedef struct _FwsProxy FwsProxy;

/* Parses a proxy URL: http:// or https://, a host, an optional port (80 or
 * 443 by default), optional user:password; a path is ignored. On failure
 * sets FWS_ERROR_INVALID_ARGUMENT. */
GUri           *fws_proxy_parse_url            (const char          *url,
                                                GError             **error);

/* @target: the ws://, wss://, http:// or https:// URL to reach through
 * the tunnel. @proxy: the
 * proxy's URL (from fws_proxy_parse_url or a GProxyResolver); its
 * user:password (percent-encoded) becomes Proxy-Authorization: Basic.
 * @headers (nullable): extra headers for the proxy, in order. */
FwsProxy       *fws_proxy_new                  (GUri                *target,
                                                GUri                *proxy,
                                                SoupMessageHeaders  *headers);
void            fws_proxy_free                 (FwsProxy            *proxy);

/* The request, byte for byte as BEHAVIOUR.md 2.8:
 *   CONNECT host:port HTTP/1.1          (port explicit, or 80 for ws/http,
 *                                        443 for wss/https)
 *   Host: host[:port]                   (port only if not the default)
 *   Connection: keep-alive
 *   Proxy-Connection: keep-alive
 *   Proxy-Authorization: Basic b64      (only if the proxy URL has a user)
 *   <extra headers, in order>           (not Host, Connection,
 *                                        Proxy-Connection, nor
 *                                        Proxy-Authorization when the URL
 *                                        gave one; the first of a name
 *                                        wins; no CR, LF or other control
 *                                        characters)
 *   <blank line>                                                          */
GBytes         *fws_proxy_get_request          (FwsProxy            *proxy);

/* Feeds bytes of the proxy's answer. *@consumed is set to the number of
 * bytes of @data that belong to the answer's head; with
 * FWS_PROXY_CONNECTED, bytes after it are the tunnel's. The head is read
 * with the limits of FWS_HTTP_DEFAULT_MAX_*. Errors (FWS_ERROR_HANDSHAKE,
 * or FWS_ERROR_TOO_LARGE for a head over the limits) name the target URL
 * and the proxy's (both without password) and, for a refusal, the status
 * and reason. Once
 * CONNECTED or FAILED, nothing more may be fed. */
FwsProxyResult  fws_proxy_feed                 (FwsProxy            *proxy,
                                                const guint8        *data,
                                                gsize                len,
                                                gsize               *consumed,
                                                GError             **error);

/* The answer's status (0 before it arrived), reason and headers (NULL
 * before). */
guint               fws_proxy_get_status           (FwsProxy *proxy);
const char         *fws_proxy_get_reason           (FwsProxy *proxy);
SoupMessageHeaders *fws_proxy_get_response_headers (FwsProxy *proxy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsProxy, fws_proxy_free)

G_END_DECLS
