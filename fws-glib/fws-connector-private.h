/* fws-connector-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The connector: a URL in, a connected GIOStream out. No protocol above
 * the tunnel (no WebSocket, no HTTP request of its own).
 *
 * What goes in:
 *   - @uri: ws://, wss://, http:// or https:// with a host and an optional
 *     port (80 or 443 by default). wss:// and https:// get TLS to the host
 *     of @uri (also its SNI and the name the certificate must match).
 *   - FwsConnectorOptions, copied at the call, so the caller may free or
 *     change its own right after:
 *       proxy            "http://[user:password@]host:port" or https:// (an
 *                        HTTP proxy asked for a tunnel with CONNECT, for
 *                        every scheme of @uri; TLS to the server runs
 *                        inside it), or socks://, socks4://, socks4a://,
 *                        socks5:// (spoken by GIO, to the name of @uri).
 *                        NULL or "" when none is given.
 *       use_system_proxy without a proxy: ask proxy_resolver, or the
 *                        system's default resolver when it is NULL, for
 *                        the proxy of @uri (ws and wss are looked up as
 *                        http and https); "direct://" or FALSE: connect
 *                        directly.
 *       proxy_headers    extra headers for the CONNECT request, in order.
 *       tls_*            trust the tls_database and every tls_ca_files
 *                        file (a certificate any of them accepts is
 *                        accepted), or the system's authorities when
 *                        neither is given; tls_verify FALSE accepts any
 *                        certificate (also the proxy's). tls_certificate
 *                        is presented to the server, never to a proxy.
 *   - a GCancellable (nullable).
 *
 * What comes out, once, through the GAsyncReadyCallback, in the
 * thread-default GMainContext of the caller of fws_connector_connect_async
 * (never from inside that call):
 *   - a GIOStream: the GSocketConnection itself without TLS, or a
 *     GTcpWrapperConnection around the GTlsConnection (whose handshake is
 *     done) with TLS. Nothing has been read from the server: the caller
 *     speaks first.
 *   - or a GError with a message for people (translated), naming the URL
 *     (and the proxy) without password; GIO's domain and code are kept
 *     (G_IO_ERROR_CONNECTION_REFUSED, G_TLS_ERROR_BAD_CERTIFICATE, ...),
 *     and FWS_ERROR codes are used for what GIO does not say (a proxy's
 *     refusal: FWS_ERROR_HANDSHAKE; a bad proxy URL:
 *     FWS_ERROR_INVALID_ARGUMENT; no TLS backend: FWS_ERROR_NOT_SUPPORTED).
 *   - Cancelling the GCancellable at any time before the callback makes it
 *     complete with G_IO_ERROR_CANCELLED; whatever was built so far is
 *     closed and let go.
 *
 * The connector holds no reference to anything of the caller's but what it
 * was given in the options.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean            tls_verify;        /* default TRUE */
  char              **tls_ca_files;      /* nullable */
  GTlsDatabase       *tls_database;      /* nullable */
  GTlsCertificate    *tls_certificate;   /* nullable */
  char               *proxy;             /* nullable; NULL or "" = none given */
  SoupMessageHeaders *proxy_headers;     /* nullable */
  gboolean            use_system_proxy;
  GProxyResolver     *proxy_resolver;    /* nullable: used instead of the
                                          * system's default resolver */
} FwsConnectorOptions;

/* Sets the defaults: tls_verify TRUE, everything else 0 or NULL. */
void       fws_connector_options_init   (FwsConnectorOptions *options);
/* Lets go of what @options holds and sets the defaults again. */
void       fws_connector_options_clear  (FwsConnectorOptions *options);
/* @dest (initialised or cleared) gets its own references and copies of
 * what @src holds. */
void       fws_connector_options_copy   (FwsConnectorOptions       *dest,
                                         const FwsConnectorOptions *src);

/* The setters of the clients' properties (FwsClient and
 * FwsEventSourceClient keep theirs in an FwsConnectorOptions): each copies
 * or references its value and returns TRUE when @options changed, so that
 * the caller notifies. */
gboolean   fws_connector_options_set_tls_verify      (FwsConnectorOptions *options,
                                                      gboolean             verify);
gboolean   fws_connector_options_set_tls_ca_files    (FwsConnectorOptions *options,
                                                      const char * const  *files);
gboolean   fws_connector_options_set_tls_database    (FwsConnectorOptions *options,
                                                      GTlsDatabase        *database);
gboolean   fws_connector_options_set_tls_certificate (FwsConnectorOptions *options,
                                                      GTlsCertificate     *certificate);
gboolean   fws_connector_options_set_proxy           (FwsConnectorOptions *options,
                                                      const char          *proxy);
gboolean   fws_connector_options_set_proxy_headers   (FwsConnectorOptions *options,
                                                      SoupMessageHeaders  *headers);
gboolean   fws_connector_options_set_use_system_proxy (FwsConnectorOptions *options,
                                                       gboolean             use_system_proxy);

void       fws_connector_connect_async  (GUri                      *uri,
                                         const FwsConnectorOptions *options,
                                         GCancellable              *cancellable,
                                         GAsyncReadyCallback        callback,
                                         gpointer                   user_data);

/* (transfer full): a GSocketConnection, or a GTcpWrapperConnection around
 * the GTlsConnection; NULL with @error set. */
GIOStream *fws_connector_connect_finish (GAsyncResult              *result,
                                         GError                   **error);

G_END_DECLS
