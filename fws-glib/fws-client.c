/* fws-client.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-client.h"

#include "fws-connector-private.h"
#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-i18n-private.h"
#include "fws-session-private.h"
#include "fws-web-socket-private.h"
#include "fws-reconnect-private.h"

/**
 * FwsClient:
 *
 * The client side of a WebSocket connection, with the API of
 * [class@Fws.WebSocket].
 *
 * It starts connecting when the main loop next runs after construction, so
 * set options and connect signal handlers first:
 *
 * ```c
 * g_autoptr(GError) error = NULL;
 * FwsClient *client = fws_client_new ("wss://example.com/socket", NULL, &error);
 * g_signal_connect (client, "message", G_CALLBACK (on_message), NULL);
 * ```
 *
 * ## TLS
 *
 * A `wss://` URL is reached over TLS. The server's certificate is verified
 * by default, against the system's trusted certificate authorities and the
 * host name of the URL (which is also sent as SNI). Set
 * [property@Fws.Client:tls-ca-files] or [property@Fws.Client:tls-database]
 * to trust other authorities, [property@Fws.Client:tls-certificate] to
 * present a client certificate, or [property@Fws.Client:tls-verify] to
 * %FALSE to accept any certificate (never do that on a network you do not
 * control). TLS needs a GIO TLS backend, which glib-networking provides.
 *
 * ## Proxies
 *
 * With [property@Fws.Client:proxy] set, the connection goes through that
 * proxy: an HTTP proxy is asked for a tunnel with `CONNECT` (for `ws://`
 * and `wss://` alike; TLS to the server runs inside the tunnel and is
 * verified against the server's name), and a SOCKS proxy is used through
 * GIO. Otherwise the system's proxy settings apply, through the default
 * [iface@Gio.ProxyResolver], unless [property@Fws.Client:use-system-proxy]
 * is %FALSE.
 *
 * ## A SoupSession
 *
 * With [property@Fws.Client:session] set, the client acts as a request of
 * that session would: the cookies of the session's
 * [class@Soup.CookieJar] for the URL go with the handshake request (the
 * jar sees `ws://` as `http://` and `wss://` as `https://`), and the
 * `Set-Cookie` headers of the response are stored in it; the session's
 * user agent is sent as `User-Agent`; and the session's TLS database and
 * proxy resolver are used when the client has none of its own (no
 * [property@Fws.Client:tls-database] nor [property@Fws.Client:tls-ca-files];
 * no [property@Fws.Client:proxy]).
 *
 * ## Failures
 *
 * A URL that is not `ws://` or `wss://` is refused by
 * [ctor@Fws.Client.new]. Any later failure (the name does not resolve, the
 * connection is refused, the certificate is not trusted, the proxy or the
 * server refuses, the handshake takes longer than
 * [property@Fws.WebSocket:handshake-timeout]) is reported once with
 * [signal@Fws.WebSocket::error], then [signal@Fws.WebSocket::close] with
 * code 1006.
 *
 * ## Reconnecting
 *
 * With [property@Fws.Client:reconnect] set to %TRUE, a client whose
 * connection was lost connects again by itself, to the same URL with the
 * same options, and emits [signal@Fws.Client::reconnecting] instead of
 * [signal@Fws.WebSocket::close] (after [signal@Fws.WebSocket::error] when
 * there was a failure). While it waits, ready-state is
 * %FWS_READY_STATE_CONNECTING and [method@Fws.WebSocket.send] fails with
 * %FWS_ERROR_CLOSED (nothing is kept for a connection that may not come);
 * [signal@Fws.WebSocket::open] is emitted again once it is back.
 *
 * The wait before attempt n (1 after a connection that had opened) is
 * chosen at random between 0 and
 * min ([property@Fws.Client:reconnect-max-delay],
 * [property@Fws.Client:reconnect-initial-delay] × 2^(n-1)) ms: exponential
 * backoff with full jitter, so that many clients of one server do not come
 * back at the same moment. After [property@Fws.Client:reconnect-max-attempts]
 * attempts in a row without an open, the last failure ends the client with
 * `close` (1006).
 *
 * The client watches [property@Fws.Client:network-monitor]: while it says
 * the network is unavailable, no attempt is made and no timer runs; when
 * the network comes back, the client connects at once, without waiting
 * for the rest of the delay.
 *
 * What reconnects: a connection that failed or ended without a close frame
 * (1006: the network, a refused TCP connection, a server that went away,
 * [property@Fws.WebSocket:handshake-timeout], a missing pong), a server's
 * close frame with 1001 (going away), 1011, 1012 (restart), 1013 (try
 * again later) or 1014, and a handshake answered with a 5xx status. What
 * does not: [method@Fws.WebSocket.close] called by the program (also while
 * waiting: `close` then reports its code), a close frame with 1000 or any
 * other code (the server meant it), a handshake refused with another
 * status (such as a 4xx) or an invalid answer, a TLS certificate that is
 * not trusted, and an invalid URL or proxy URL.
 *
 * Since: 0.1
 */

struct _FwsClient
{
  FwsWebSocket        parent_instance;

  /* The reconnect policy: its properties and its wait. */
  FwsReconnect        reconnect;

  /* The properties; the connection reads them when it starts connecting,
   * when the main loop first runs. */
  FwsConnectorOptions options;

  /* The session property, and what the connection borrows from it. */
  SoupSession        *session;
  FwsConnectorOptions session_options;   /* borrowed pointers: never cleared */
  SoupMessageHeaders *stored_response;   /* the response whose cookies went to the jar */
};

G_DEFINE_FINAL_TYPE (FwsClient, fws_client, FWS_TYPE_WEB_SOCKET)

enum
{
  RECONNECTING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Reconnecting ---- */

/* Close codes after which a server may be back: going away, an error on
 * its side, a restart, try again later, a bad gateway; and 1006, no close
 * frame at all. */
static gboolean
code_reconnects (guint code)
{
  switch (code)
    {
    case FWS_CLOSE_CODE_GOING_AWAY:
    case FWS_CLOSE_CODE_ABNORMAL:
    case FWS_CLOSE_CODE_SERVER_ERROR:
    case 1012:
    case 1013:
    case 1014:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Why a connection that ended without a failure was lost. */
static GError *
lost_error (GUri  *uri,
            guint  code)
{
  g_autofree char *url = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD | G_URI_HIDE_AUTH_PARAMS);

  if (code == FWS_CLOSE_CODE_ABNORMAL)
    return g_error_new (FWS_ERROR, FWS_ERROR_CLOSED,
                        _("The connection to %s ended without a close frame"), url);
  return g_error_new (FWS_ERROR, FWS_ERROR_CLOSED,
                      _("The server at %s closed the connection with code %u"), url, code);
}

static gboolean
client_ended (FwsWebSocket *ws,
              guint         code,
              const char   *reason,
              const GError *error,
              gboolean      opened,
              gboolean      by_program)
{
  FwsClient *self = FWS_CLIENT (ws);
  guint status = fws_web_socket_get_status (ws);
  g_autoptr(GUri) uri = fws_handshake_parse_url (fws_web_socket_get_url (ws), NULL);
  g_autoptr(GError) cause = NULL;
  guint attempt = 0, delay;

  if (opened)
    fws_reconnect_reset (&self->reconnect);
  /* A status that is not 101 (or a 101 that failed the checks) is the
   * server's refusal; only a 5xx may change by itself. An invalid URL
   * never started. */
  if (by_program || uri == NULL || !code_reconnects (code) || fws_reconnect_error_is_final (error) ||
      (!opened && status != 0 && (status < 500 || status > 599)) ||
      !fws_reconnect_next (&self->reconnect, &attempt))
    {
      fws_reconnect_stop (&self->reconnect);
      return FALSE;
    }
  cause = error != NULL ? g_error_copy (error) : lost_error (uri, code);
  delay = fws_reconnect_backoff (&self->reconnect, attempt);
  self->reconnect.loopback = fws_reconnect_host_is_loopback (g_uri_get_host (uri));
  fws_web_socket_reset (ws);
  fws_reconnect_wait (&self->reconnect, delay);
  g_signal_emit (self, signals[RECONNECTING], 0, attempt, delay, cause);
  return TRUE;
}

static void
reconnect_cb (gpointer user_data)
{
  fws_web_socket_reconnect (FWS_WEB_SOCKET (user_data));
}

enum
{
  PROP_0,
  PROP_STATUS,
  /* reconnecting */
  PROP_RECONNECT,
  PROP_RECONNECT_INITIAL_DELAY,
  PROP_RECONNECT_MAX_DELAY,
  PROP_RECONNECT_MAX_ATTEMPTS,
  PROP_NETWORK_MONITOR,
  PROP_TLS_VERIFY,
  PROP_TLS_CA_FILES,
  PROP_TLS_DATABASE,
  PROP_TLS_CERTIFICATE,
  PROP_PROXY,
  PROP_PROXY_HEADERS,
  PROP_USE_SYSTEM_PROXY,

  PROP_SESSION,

  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- The session ---- */

static const FwsConnectorOptions *
prepare_cb (FwsWebSocket        *ws,
            SoupMessageHeaders  *extra_headers,
            SoupMessageHeaders **request_headers)
{
  FwsClient *self = FWS_CLIENT (ws);
  const char *url;
  g_autoptr(GUri) uri = NULL;

  if (self->session == NULL)
    return &self->options;
  url = fws_web_socket_get_url (ws);
  uri = url ? g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL) : NULL;
  if (uri != NULL)
    *request_headers = fws_session_request_headers (self->session, uri, extra_headers, FALSE);
  fws_session_connector_options (self->session, &self->options, &self->session_options);
  return &self->session_options;
}

static void
response_cb (FwsWebSocket       *ws,
             SoupMessageHeaders *response_headers)
{
  FwsClient *self = FWS_CLIENT (ws);
  const char *url = fws_web_socket_get_url (ws);
  g_autoptr(GUri) uri = NULL;

  if (self->session == NULL || self->stored_response == response_headers)
    return;
  g_clear_pointer (&self->stored_response, soup_message_headers_unref);
  self->stored_response = soup_message_headers_ref (response_headers);
  uri = url ? g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL) : NULL;
  if (uri != NULL)
    fws_session_store_cookies (self->session, uri, response_headers);
}

static const FwsWebSocketClientHooks client_hooks = {
  prepare_cb,
  response_cb,
};

static void
fws_client_constructed (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  G_OBJECT_CLASS (fws_client_parent_class)->constructed (object);
  fws_web_socket_set_client_hooks (FWS_WEB_SOCKET (self), &client_hooks);
  fws_web_socket_connect (FWS_WEB_SOCKET (self), &self->options);
}

static void
fws_client_dispose (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  fws_reconnect_clear (&self->reconnect);
  G_OBJECT_CLASS (fws_client_parent_class)->dispose (object);
}

/* ---- Public API ---- */

/**
 * fws_client_new:
 * @url: a `ws://` or `wss://` URL
 * @protocols: (nullable) (array zero-terminated=1): subprotocols to offer,
 *   in order of preference
 * @error: return location for a [struct@GLib.Error]
 *
 * Makes a client that connects to @url when the main loop next runs. Other
 * options are properties: set them before returning to the main loop, or
 * construct with [ctor@GObject.Object.new] (`url` is then checked when
 * connecting, and a bad one is reported with the `error` and `close`
 * signals).
 *
 * Returns: (transfer full) (nullable): the client, or %NULL if @url is not
 *   a WebSocket URL
 * Since: 0.1
 */
FwsClient *
fws_client_new (const char          *url,
                const char * const  *protocols,
                GError             **error)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = fws_handshake_parse_url (url, error);
  if (uri == NULL)
    return NULL;
  return g_object_new (FWS_TYPE_CLIENT, "url", url, "protocols", protocols, NULL);
}

/**
 * fws_client_get_status:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:status].
 *
 * Returns: the HTTP status of the handshake response, or 0 before it arrived
 * Since: 0.1
 */
guint
fws_client_get_status (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), 0);
  return fws_web_socket_get_status (FWS_WEB_SOCKET (self));
}

/**
 * fws_client_get_reconnect:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:reconnect].
 *
 * Returns: whether the client connects again after losing its connection
 * Since: 0.2
 */
gboolean
fws_client_get_reconnect (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), FALSE);
  return self->reconnect.enabled;
}

/**
 * fws_client_set_reconnect:
 * @self: a [class@Fws.Client]
 * @reconnect: %TRUE to connect again after losing the connection
 *
 * Sets [property@Fws.Client:reconnect].
 *
 * Since: 0.2
 */
void
fws_client_set_reconnect (FwsClient *self,
                          gboolean   reconnect)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  reconnect = !!reconnect;
  if (self->reconnect.enabled == reconnect)
    return;
  self->reconnect.enabled = reconnect;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT]);
}

/**
 * fws_client_get_reconnect_initial_delay:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:reconnect-initial-delay].
 *
 * Returns: the cap of the first wait, in milliseconds
 * Since: 0.2
 */
guint
fws_client_get_reconnect_initial_delay (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), 0);
  return self->reconnect.initial_delay;
}

/**
 * fws_client_set_reconnect_initial_delay:
 * @self: a [class@Fws.Client]
 * @msec: the cap of the first wait, in milliseconds
 *
 * Sets [property@Fws.Client:reconnect-initial-delay].
 *
 * Since: 0.2
 */
void
fws_client_set_reconnect_initial_delay (FwsClient *self,
                                        guint      msec)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (self->reconnect.initial_delay == msec)
    return;
  self->reconnect.initial_delay = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_INITIAL_DELAY]);
}

/**
 * fws_client_get_reconnect_max_delay:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:reconnect-max-delay].
 *
 * Returns: the longest wait, in milliseconds
 * Since: 0.2
 */
guint
fws_client_get_reconnect_max_delay (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), 0);
  return self->reconnect.max_delay;
}

/**
 * fws_client_set_reconnect_max_delay:
 * @self: a [class@Fws.Client]
 * @msec: the longest wait, in milliseconds
 *
 * Sets [property@Fws.Client:reconnect-max-delay].
 *
 * Since: 0.2
 */
void
fws_client_set_reconnect_max_delay (FwsClient *self,
                                    guint      msec)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (self->reconnect.max_delay == msec)
    return;
  self->reconnect.max_delay = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_MAX_DELAY]);
}

/**
 * fws_client_get_reconnect_max_attempts:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:reconnect-max-attempts].
 *
 * Returns: how many attempts in a row are made, or 0 for no limit
 * Since: 0.2
 */
guint
fws_client_get_reconnect_max_attempts (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), 0);
  return self->reconnect.max_attempts;
}

/**
 * fws_client_set_reconnect_max_attempts:
 * @self: a [class@Fws.Client]
 * @max_attempts: how many attempts in a row to make, or 0 for no limit
 *
 * Sets [property@Fws.Client:reconnect-max-attempts].
 *
 * Since: 0.2
 */
void
fws_client_set_reconnect_max_attempts (FwsClient *self,
                                       guint      max_attempts)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (self->reconnect.max_attempts == max_attempts)
    return;
  self->reconnect.max_attempts = max_attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_MAX_ATTEMPTS]);
}

/**
 * fws_client_get_network_monitor:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:network-monitor].
 *
 * Returns: (transfer none) (nullable): the network monitor watched while
 *   waiting to reconnect
 * Since: 0.2
 */
GNetworkMonitor *
fws_client_get_network_monitor (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return fws_reconnect_get_monitor (&self->reconnect);
}

/**
 * fws_client_set_network_monitor:
 * @self: a [class@Fws.Client]
 * @monitor: (nullable): the network monitor to watch, or %NULL to watch
 *   none
 *
 * Sets [property@Fws.Client:network-monitor].
 *
 * Since: 0.2
 */
void
fws_client_set_network_monitor (FwsClient       *self,
                                GNetworkMonitor *monitor)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  g_return_if_fail (monitor == NULL || G_IS_NETWORK_MONITOR (monitor));
  if (fws_reconnect_set_monitor (&self->reconnect, monitor))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NETWORK_MONITOR]);
}

/**
 * fws_client_get_tls_verify:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:tls-verify].
 *
 * Returns: whether the server's TLS certificate is verified
 * Since: 0.1
 */
gboolean
fws_client_get_tls_verify (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), TRUE);
  return self->options.tls_verify;
}

/**
 * fws_client_set_tls_verify:
 * @self: a [class@Fws.Client]
 * @verify: %FALSE to accept any certificate
 *
 * Sets [property@Fws.Client:tls-verify].
 *
 * Since: 0.1
 */
void
fws_client_set_tls_verify (FwsClient *self,
                           gboolean   verify)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (fws_connector_options_set_tls_verify (&self->options, verify))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_VERIFY]);
}

/**
 * fws_client_get_tls_ca_files:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:tls-ca-files].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the files
 *   of trusted certificate authorities
 * Since: 0.1
 */
const char * const *
fws_client_get_tls_ca_files (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return (const char * const *) self->options.tls_ca_files;
}

/**
 * fws_client_set_tls_ca_files:
 * @self: a [class@Fws.Client]
 * @files: (nullable) (array zero-terminated=1): PEM files of trusted
 *   certificate authorities
 *
 * Sets [property@Fws.Client:tls-ca-files].
 *
 * Since: 0.1
 */
void
fws_client_set_tls_ca_files (FwsClient          *self,
                             const char * const *files)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (fws_connector_options_set_tls_ca_files (&self->options, files))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CA_FILES]);
}

/**
 * fws_client_get_tls_database:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:tls-database].
 *
 * Returns: (transfer none) (nullable): the database of trusted certificate
 *   authorities set with [method@Fws.Client.set_tls_database]
 * Since: 0.1
 */
GTlsDatabase *
fws_client_get_tls_database (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return self->options.tls_database;
}

/**
 * fws_client_set_tls_database:
 * @self: a [class@Fws.Client]
 * @database: (nullable): a database of trusted certificate authorities
 *
 * Sets [property@Fws.Client:tls-database].
 *
 * Since: 0.1
 */
void
fws_client_set_tls_database (FwsClient    *self,
                             GTlsDatabase *database)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));
  if (fws_connector_options_set_tls_database (&self->options, database))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}

/**
 * fws_client_get_tls_certificate:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:tls-certificate].
 *
 * Returns: (transfer none) (nullable): the client certificate
 * Since: 0.1
 */
GTlsCertificate *
fws_client_get_tls_certificate (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return self->options.tls_certificate;
}

/**
 * fws_client_set_tls_certificate:
 * @self: a [class@Fws.Client]
 * @certificate: (nullable): a certificate with its private key
 *
 * Sets [property@Fws.Client:tls-certificate].
 *
 * Since: 0.1
 */
void
fws_client_set_tls_certificate (FwsClient       *self,
                                GTlsCertificate *certificate)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));
  if (fws_connector_options_set_tls_certificate (&self->options, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * fws_client_get_proxy:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:proxy].
 *
 * Returns: (nullable): the URL of the proxy to go through
 * Since: 0.1
 */
const char *
fws_client_get_proxy (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return self->options.proxy;
}

/**
 * fws_client_set_proxy:
 * @self: a [class@Fws.Client]
 * @proxy: (nullable): a proxy URL such as `http://user:password@host:3128`,
 *   or %NULL for the system's settings
 *
 * Sets [property@Fws.Client:proxy]. A malformed URL is reported when
 * connecting, with the `error` and `close` signals.
 *
 * Since: 0.1
 */
void
fws_client_set_proxy (FwsClient  *self,
                      const char *proxy)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (fws_connector_options_set_proxy (&self->options, proxy))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY]);
}

/**
 * fws_client_get_proxy_headers:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:proxy-headers].
 *
 * Returns: (transfer none) (nullable): the extra headers sent to the proxy
 * Since: 0.1
 */
SoupMessageHeaders *
fws_client_get_proxy_headers (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return self->options.proxy_headers;
}

/**
 * fws_client_set_proxy_headers:
 * @self: a [class@Fws.Client]
 * @headers: (nullable): headers to add to the `CONNECT` request
 *
 * Sets [property@Fws.Client:proxy-headers].
 *
 * Since: 0.1
 */
void
fws_client_set_proxy_headers (FwsClient          *self,
                              SoupMessageHeaders *headers)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (fws_connector_options_set_proxy_headers (&self->options, headers))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY_HEADERS]);
}

/**
 * fws_client_get_use_system_proxy:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:use-system-proxy].
 *
 * Returns: whether the system's proxy settings apply when
 *   [property@Fws.Client:proxy] is not set
 * Since: 0.1
 */
gboolean
fws_client_get_use_system_proxy (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), TRUE);
  return self->options.use_system_proxy;
}

/**
 * fws_client_set_use_system_proxy:
 * @self: a [class@Fws.Client]
 * @use_system_proxy: %FALSE to connect directly unless
 *   [property@Fws.Client:proxy] is set
 *
 * Sets [property@Fws.Client:use-system-proxy].
 *
 * Since: 0.1
 */
void
fws_client_set_use_system_proxy (FwsClient *self,
                                 gboolean   use_system_proxy)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  if (fws_connector_options_set_use_system_proxy (&self->options, use_system_proxy))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_SYSTEM_PROXY]);
}

/**
 * fws_client_get_session:
 * @self: a [class@Fws.Client]
 *
 * Gets [property@Fws.Client:session].
 *
 * Returns: (transfer none) (nullable): the session whose cookies, user
 *   agent, TLS database and proxy resolver the client uses
 * Since: 0.2
 */
SoupSession *
fws_client_get_session (FwsClient *self)
{
  g_return_val_if_fail (FWS_IS_CLIENT (self), NULL);
  return self->session;
}

/**
 * fws_client_set_session:
 * @self: a [class@Fws.Client]
 * @session: (nullable): a session to take cookies, the user agent, the TLS
 *   database and the proxy resolver from
 *
 * Sets [property@Fws.Client:session].
 *
 * Since: 0.2
 */
void
fws_client_set_session (FwsClient   *self,
                        SoupSession *session)
{
  g_return_if_fail (FWS_IS_CLIENT (self));
  g_return_if_fail (session == NULL || SOUP_IS_SESSION (session));
  if (g_set_object (&self->session, session))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

/* ---- GObject ---- */

static void
fws_client_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FwsClient *self = FWS_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_uint (value, fws_client_get_status (self));
      break;
    case PROP_RECONNECT:
      g_value_set_boolean (value, fws_client_get_reconnect (self));
      break;
    case PROP_RECONNECT_INITIAL_DELAY:
      g_value_set_uint (value, fws_client_get_reconnect_initial_delay (self));
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_uint (value, fws_client_get_reconnect_max_delay (self));
      break;
    case PROP_RECONNECT_MAX_ATTEMPTS:
      g_value_set_uint (value, fws_client_get_reconnect_max_attempts (self));
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, fws_client_get_network_monitor (self));
      break;
    case PROP_TLS_VERIFY:
      g_value_set_boolean (value, self->options.tls_verify);
      break;
    case PROP_TLS_CA_FILES:
      g_value_set_boxed (value, self->options.tls_ca_files);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->options.tls_database);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->options.tls_certificate);
      break;
    case PROP_PROXY:
      g_value_set_string (value, self->options.proxy);
      break;
    case PROP_PROXY_HEADERS:
      g_value_set_boxed (value, self->options.proxy_headers);
      break;
    case PROP_USE_SYSTEM_PROXY:
      g_value_set_boolean (value, self->options.use_system_proxy);
      break;

    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_client_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  FwsClient *self = FWS_CLIENT (object);

  switch (prop_id)
    {
    case PROP_RECONNECT:
      fws_client_set_reconnect (self, g_value_get_boolean (value));
      break;
    case PROP_RECONNECT_INITIAL_DELAY:
      fws_client_set_reconnect_initial_delay (self, g_value_get_uint (value));
      break;
    case PROP_RECONNECT_MAX_DELAY:
      fws_client_set_reconnect_max_delay (self, g_value_get_uint (value));
      break;
    case PROP_RECONNECT_MAX_ATTEMPTS:
      fws_client_set_reconnect_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_NETWORK_MONITOR:
      fws_client_set_network_monitor (self, g_value_get_object (value));
      break;
    case PROP_TLS_VERIFY:
      fws_client_set_tls_verify (self, g_value_get_boolean (value));
      break;
    case PROP_TLS_CA_FILES:
      fws_client_set_tls_ca_files (self, g_value_get_boxed (value));
      break;
    case PROP_TLS_DATABASE:
      fws_client_set_tls_database (self, g_value_get_object (value));
      break;
    case PROP_TLS_CERTIFICATE:
      fws_client_set_tls_certificate (self, g_value_get_object (value));
      break;
    case PROP_PROXY:
      fws_client_set_proxy (self, g_value_get_string (value));
      break;
    case PROP_PROXY_HEADERS:
      fws_client_set_proxy_headers (self, g_value_get_boxed (value));
      break;
    case PROP_USE_SYSTEM_PROXY:
      fws_client_set_use_system_proxy (self, g_value_get_boolean (value));
      break;

    case PROP_SESSION:
      fws_client_set_session (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_client_finalize (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  /* A connect in progress holds a reference, so nothing is in flight. */
  fws_connector_options_clear (&self->options);
  g_clear_object (&self->session);
  g_clear_pointer (&self->stored_response, soup_message_headers_unref);
  G_OBJECT_CLASS (fws_client_parent_class)->finalize (object);
}

static void
fws_client_class_init (FwsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();

  object_class->constructed = fws_client_constructed;
  object_class->dispose = fws_client_dispose;
  object_class->get_property = fws_client_get_property;
  object_class->set_property = fws_client_set_property;
  object_class->finalize = fws_client_finalize;

  /**
   * FwsClient:status:
   *
   * The HTTP status of the handshake response (101 on success), or 0
   * before it arrived.
   *
   * Since: 0.1
   */
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, 999, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:reconnect:
   *
   * Whether the client connects again after losing its connection (see
   * "Reconnecting" in [class@Fws.Client]). Default %FALSE: the first loss
   * ends the client with `close`. Setting it to %FALSE does not cancel a
   * wait in progress: call [method@Fws.WebSocket.close] for that.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT] =
    g_param_spec_boolean ("reconnect", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:reconnect-initial-delay:
   *
   * The cap, in milliseconds, of the wait before the first attempt to
   * reconnect; it doubles with each attempt in a row, up to
   * [property@Fws.Client:reconnect-max-delay], and each wait is chosen at
   * random below its cap. Default 1000.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT_INITIAL_DELAY] =
    g_param_spec_uint ("reconnect-initial-delay", NULL, NULL, 0, G_MAXUINT,
                       FWS_RECONNECT_DEFAULT_INITIAL_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:reconnect-max-delay:
   *
   * The longest wait, in milliseconds, before an attempt to reconnect.
   * Default 30000.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT_MAX_DELAY] =
    g_param_spec_uint ("reconnect-max-delay", NULL, NULL, 0, G_MAXUINT,
                       FWS_RECONNECT_DEFAULT_MAX_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:reconnect-max-attempts:
   *
   * How many attempts to reconnect are made in a row (counting from the
   * last connection that opened) before the client gives up with `close`.
   * 0, the default, means no limit.
   *
   * Since: 0.2
   */
  properties[PROP_RECONNECT_MAX_ATTEMPTS] =
    g_param_spec_uint ("reconnect-max-attempts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:network-monitor:
   *
   * The network monitor watched while waiting to reconnect: no attempt is
   * made while its [property@Gio.NetworkMonitor:network-available] is
   * %FALSE, and the client reconnects at once when it turns %TRUE. It is
   * [func@Gio.NetworkMonitor.get_default] unless set; set it to %NULL to
   * watch none (the waits then run whatever the network does). Its
   * notifications are expected in the client's main context.
   * The default monitor follows the system's default route, which a
   * loopback URL (`localhost`, 127.0.0.0/8, `::1`) does not need: it is
   * not consulted for one.
   *
   * Since: 0.2
   */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:tls-verify:
   *
   * Whether the server's TLS certificate must be signed by a trusted
   * certificate authority, be valid now and match the host name of the
   * URL. Set it to %FALSE to accept any certificate, which lets anyone on
   * the path read and change the traffic. It also applies to an `https://`
   * proxy. Set it before connecting.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_VERIFY] =
    g_param_spec_boolean ("tls-verify", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:tls-ca-files:
   *
   * PEM files of certificate authorities to trust instead of the system's;
   * a certificate signed by any of them (or by
   * [property@Fws.Client:tls-database]) is accepted. A file that cannot be
   * read is reported when connecting. Set it before connecting.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CA_FILES] =
    g_param_spec_boxed ("tls-ca-files", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:tls-database:
   *
   * A database of certificate authorities to trust instead of the
   * system's (together with [property@Fws.Client:tls-ca-files], if set).
   * Set it before connecting.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL, G_TYPE_TLS_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:tls-certificate:
   *
   * A certificate, with its private key, to present to a server that asks
   * for one. Set it before connecting.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:proxy:
   *
   * The proxy to go through, as a URL: `http://host:port` or
   * `https://host:port` for an HTTP proxy, which is asked for a tunnel with
   * `CONNECT` (a `user:password@` in the URL is sent as
   * `Proxy-Authorization: Basic`), or `socks5://host:port` (also `socks4`,
   * `socks4a`, `socks`). When %NULL, the system's proxy settings apply
   * (see [property@Fws.Client:use-system-proxy]). Set it before
   * connecting.
   *
   * Since: 0.1
   */
  properties[PROP_PROXY] =
    g_param_spec_string ("proxy", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:proxy-headers:
   *
   * Headers added, in order, to the `CONNECT` request sent to an HTTP
   * proxy. They cannot replace `Host`, `Connection`, `Proxy-Connection`,
   * nor the `Proxy-Authorization` made from the proxy URL. Set it before
   * connecting.
   *
   * Since: 0.1
   */
  properties[PROP_PROXY_HEADERS] =
    g_param_spec_boxed ("proxy-headers", NULL, NULL, SOUP_TYPE_MESSAGE_HEADERS,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:use-system-proxy:
   *
   * Whether the system's proxy settings (through the default
   * [iface@Gio.ProxyResolver]) apply when [property@Fws.Client:proxy] is not
   * set. An HTTP proxy found there is used with `CONNECT` like an explicit
   * one. Set it before connecting.
   *
   * Since: 0.1
   */
  properties[PROP_USE_SYSTEM_PROXY] =
    g_param_spec_boolean ("use-system-proxy", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);

  /**
   * FwsClient:session:
   *
   * A [class@Soup.Session] whose [class@Soup.CookieJar] (cookies sent with
   * the handshake request, `Set-Cookie` of the response stored), user
   * agent, TLS database and proxy resolver the client uses, as a request
   * of that session would. The client's own
   * [property@Fws.Client:tls-database], [property@Fws.Client:tls-ca-files]
   * and [property@Fws.Client:proxy] win over the session's; a `User-Agent`
   * or `Cookie` in [property@Fws.WebSocket:extra-headers] is kept (its
   * cookies after the jar's). Set it before connecting.
   *
   * Since: 0.2
   */
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, SOUP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FwsClient::reconnecting:
   * @self: the client
   * @attempt: the number of this attempt: 1 for the first after a
   *   connection that had opened
   * @delay: the wait before it, in milliseconds (longer while the network
   *   is unavailable, shorter if it comes back)
   * @error: why the connection was lost
   *
   * The connection was lost and the client will connect again (see
   * [property@Fws.Client:reconnect]); ready-state is
   * %FWS_READY_STATE_CONNECTING. Emitted instead of
   * [signal@Fws.WebSocket::close], after [signal@Fws.WebSocket::error]
   * when there was a failure.
   *
   * Since: 0.2
   */
  signals[RECONNECTING] = g_signal_new ("reconnecting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                        G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);
}

static void
fws_client_init (FwsClient *self)
{
  fws_connector_options_init (&self->options);
  self->options.use_system_proxy = TRUE;
  fws_web_socket_set_client_limits (FWS_WEB_SOCKET (self));
  fws_reconnect_init (&self->reconnect, FALSE, reconnect_cb, self);
  fws_web_socket_set_ended_func (FWS_WEB_SOCKET (self), client_ended);
}
