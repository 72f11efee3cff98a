/* fws-client.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-client.h"

#include <string.h>

#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-i18n-private.h"
#include "fws-proxy-private.h"
#include "fws-random-private.h"
#include "fws-web-socket-private.h"

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
 * Since: 0.1
 */

#define PROXY_READ_SIZE 4096

struct _FwsClient
{
  FwsWebSocket        parent_instance;

  GUri               *uri;
  GError             *url_error;
  GCancellable       *cancellable;
  GSource            *connect_source;
  GSource            *timeout_source;

  /* options */
  gboolean            tls_verify;
  char              **tls_ca_files;
  GTlsDatabase       *tls_database;
  GTlsCertificate    *tls_certificate;
  char               *proxy;
  SoupMessageHeaders *proxy_headers;
  gboolean            use_system_proxy;

  /* the connection being built, until fws_web_socket_begin () */
  gboolean            connecting;
  gboolean            gave_up;        /* timed out or closed: drop what completes */
  GUri               *proxy_uri;      /* the HTTP or SOCKS proxy in use, or NULL */
  gboolean            socks;
  GSocketConnection  *tcp;
  GIOStream          *stream;         /* the top of the stack so far */
  FwsProxy           *exchange;
  guint8             *buf;
  GPtrArray          *databases;      /* of GTlsDatabase: every trust store to try */
  GTlsCertificateFlags tls_errors;
  gboolean            tls_to_proxy;
};

G_DEFINE_FINAL_TYPE (FwsClient, fws_client, FWS_TYPE_WEB_SOCKET)

enum
{
  PROP_0,
  PROP_STATUS,
  PROP_TLS_VERIFY,
  PROP_TLS_CA_FILES,
  PROP_TLS_DATABASE,
  PROP_TLS_CERTIFICATE,
  PROP_PROXY,
  PROP_PROXY_HEADERS,
  PROP_USE_SYSTEM_PROXY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void tls_start (FwsClient *self, gboolean to_proxy);
static void proxy_start (FwsClient *self);

/* ---- Helpers ---- */

static gboolean
is_secure (FwsClient *self)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (self->uri), "wss") == 0;
}

static int
uri_port (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  if (g_ascii_strcasecmp (scheme, "wss") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
    return 443;
  if (g_ascii_strncasecmp (scheme, "socks", 5) == 0)
    return 1080;
  return 80;
}

/* A URL for messages: never with its password. */
static char *
uri_for_people (GUri *uri)
{
  return g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD | G_URI_HIDE_AUTH_PARAMS);
}

static gboolean
tls_available (void)
{
  return g_tls_backend_supports_tls (g_tls_backend_get_default ());
}

static gboolean
is_socks_scheme (const char *scheme)
{
  return g_ascii_strcasecmp (scheme, "socks") == 0 ||
         g_ascii_strcasecmp (scheme, "socks4") == 0 ||
         g_ascii_strcasecmp (scheme, "socks4a") == 0 ||
         g_ascii_strcasecmp (scheme, "socks5") == 0;
}

/* An http://, https:// or socks*:// proxy URL, or NULL with @error set. */
static GUri *
parse_proxy_url (const char  *url,
                 gboolean    *socks,
                 GError     **error)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);

  if (uri != NULL && is_socks_scheme (g_uri_get_scheme (uri)) && g_uri_get_host (uri) != NULL &&
      *g_uri_get_host (uri) != '\0')
    {
      *socks = TRUE;
      return uri;
    }
  g_clear_pointer (&uri, g_uri_unref);
  *socks = FALSE;
  return fws_proxy_parse_url (url, error);
}

/* ---- The system's proxy resolver ---- */

/* GLib 2.74 picks its default GProxyResolver by instantiating every
 * implementation in priority order until one says it is supported.
 * glib-networking's "gnome" resolver comes first, and creating it calls
 * g_settings_new ("org.gnome.system.proxy"), which aborts the process when
 * that schema is not installed (a system without gsettings-desktop-schemas,
 * or a test run with G_TEST_OPTION_ISOLATE_DIRS). When the schema is
 * missing the gnome resolver could not be used anyway, so choose among the
 * others the same way GLib does, honouring GIO_USE_PROXY_RESOLVER. */
static gboolean
gnome_proxy_schema_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    return FALSE;
  schema = g_settings_schema_source_lookup (source, "org.gnome.system.proxy", TRUE);
  return schema != NULL;
}

static GProxyResolver *
try_resolver (GIOExtension *extension)
{
  GType type = g_io_extension_get_type (extension);
  gpointer impl;

  if (g_type_is_a (type, G_TYPE_INITABLE))
    impl = g_initable_new (type, NULL, NULL, NULL);
  else
    impl = g_object_new (type, NULL);
  if (impl != NULL && G_IS_PROXY_RESOLVER (impl) && g_proxy_resolver_is_supported (impl))
    return impl;
  g_clear_object (&impl);
  return NULL;
}

static GProxyResolver *
pick_resolver_without_gnome (void)
{
  GIOExtensionPoint *point;
  const char *preferred = g_getenv ("GIO_USE_PROXY_RESOLVER");
  GProxyResolver *resolver = NULL;

  /* Loads the GIO modules, so that their resolvers are registered. */
  (void) g_tls_backend_get_default ();
  point = g_io_extension_point_lookup (G_PROXY_RESOLVER_EXTENSION_POINT_NAME);
  if (point == NULL)
    return g_simple_proxy_resolver_new (NULL, NULL);

  if (preferred != NULL && g_strcmp0 (preferred, "gnome") != 0)
    {
      GIOExtension *extension = g_io_extension_point_get_extension_by_name (point, preferred);

      if (extension != NULL)
        resolver = try_resolver (extension);
    }
  for (GList *l = g_io_extension_point_get_extensions (point); l != NULL && resolver == NULL; l = l->next)
    {
      if (g_strcmp0 (g_io_extension_get_name (l->data), "gnome") == 0)
        continue;
      resolver = try_resolver (l->data);
    }
  return resolver != NULL ? resolver : g_simple_proxy_resolver_new (NULL, NULL);
}

static GProxyResolver *
system_proxy_resolver (void)
{
  static GProxyResolver *resolver = NULL;

  if (g_once_init_enter (&resolver))
    {
      GProxyResolver *chosen;

      if (gnome_proxy_schema_installed ())
        chosen = g_object_ref (g_proxy_resolver_get_default ());
      else
        chosen = pick_resolver_without_gnome ();
      g_once_init_leave (&resolver, chosen);
    }
  return resolver;
}

/* ---- Failing and finishing the connection ---- */

static void
close_stream_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

/* Lets go of what was built so far. Only called when no operation is
 * pending on it. */
static void
drop_connection (FwsClient *self)
{
  GIOStream *top = self->stream ? self->stream : G_IO_STREAM (self->tcp);

  if (top != NULL)
    g_io_stream_close_async (top, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
  g_clear_object (&self->stream);
  g_clear_object (&self->tcp);
  g_clear_pointer (&self->exchange, fws_proxy_free);
  g_clear_pointer (&self->buf, g_free);
  g_clear_pointer (&self->databases, g_ptr_array_unref);
  self->connecting = FALSE;
}

/* Every step ends here on failure: error, then close (1006). */
static void
connect_failed (FwsClient *self,
                GError    *error)
{
  drop_connection (self);
  if (!self->gave_up)
    {
      self->gave_up = TRUE;
      fws_web_socket_fail_early (FWS_WEB_SOCKET (self), error);
    }
}

/* TRUE when the step that just completed must not go on: the timeout
 * fired, or the app closed the connection. */
static gboolean
given_up (FwsClient *self)
{
  if (!self->gave_up)
    return FALSE;
  drop_connection (self);
  return TRUE;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static gboolean
timeout_cb (gpointer user_data)
{
  FwsClient *self = user_data;
  FwsDriver *driver = fws_web_socket_get_driver (FWS_WEB_SOCKET (self));
  g_autoptr(GError) error = NULL;
  g_autofree char *url = uri_for_people (self->uri);

  g_clear_pointer (&self->timeout_source, g_source_unref);
  error = g_error_new (FWS_ERROR, FWS_ERROR_TIMED_OUT,
                       _("The WebSocket connection to %s was not established within %u ms"),
                       url, fws_web_socket_get_handshake_timeout (FWS_WEB_SOCKET (self)));
  if (self->connecting && !self->gave_up)
    {
      /* What is pending completes with G_IO_ERROR_CANCELLED and lets go. */
      self->gave_up = TRUE;
      g_cancellable_cancel (self->cancellable);
      fws_web_socket_fail_early (FWS_WEB_SOCKET (self), error);
    }
  else if (driver != NULL && fws_driver_get_state (driver) == FWS_READY_STATE_CONNECTING)
    {
      /* The HTTP handshake is under way on the transport. */
      fws_driver_fail (driver, FWS_CLOSE_CODE_ABNORMAL, error);
    }
  return G_SOURCE_REMOVE;
}

static void
opened_cb (FwsClient *self,
           gpointer   user_data)
{
  destroy_source (&self->timeout_source);
}

/* ---- Steps ---- */

/* The stack is complete: hand it to FwsWebSocket, which starts the
 * WebSocket handshake. */
static void
begin (FwsClient *self)
{
  g_autoptr(GIOStream) stream = NULL;

  if (self->stream == NULL || self->stream == G_IO_STREAM (self->tcp))
    stream = G_IO_STREAM (g_object_ref (self->tcp));
  else
    stream = G_IO_STREAM (g_tcp_wrapper_connection_new (self->stream,
                                                        g_socket_connection_get_socket (self->tcp)));
  g_clear_object (&self->stream);
  g_clear_object (&self->tcp);
  g_clear_pointer (&self->exchange, fws_proxy_free);
  g_clear_pointer (&self->buf, g_free);
  g_clear_pointer (&self->databases, g_ptr_array_unref);
  self->connecting = FALSE;

  if (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (self)) == FWS_READY_STATE_CONNECTING)
    fws_web_socket_begin (FWS_WEB_SOCKET (self), stream);
  else
    g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
}

/* After TCP (and TLS to an https proxy, and the tunnel): TLS to the server
 * for wss://, then the WebSocket handshake. */
static void
to_server (FwsClient *self)
{
  if (is_secure (self))
    tls_start (self, FALSE);
  else
    begin (self);
}

/* -- TLS -- */

static char *
certificate_problems (GTlsCertificateFlags flags)
{
  GString *out = g_string_new (NULL);
  struct { GTlsCertificateFlags flag; const char *text; } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, N_("it is not signed by a trusted certificate authority") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, N_("it is for another host name") },
    { G_TLS_CERTIFICATE_EXPIRED, N_("it has expired") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, N_("it is not valid yet") },
    { G_TLS_CERTIFICATE_REVOKED, N_("it has been revoked") },
    { G_TLS_CERTIFICATE_INSECURE, N_("it uses an insecure algorithm") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, N_("it could not be checked") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      {
        if (out->len > 0)
          g_string_append (out, ", ");
        g_string_append (out, _(reasons[i].text));
      }
  if (out->len == 0)
    g_string_append (out, _("it could not be checked"));
  return g_string_free (out, FALSE);
}

/* Runs when the connection's own check (its database, or the system's)
 * failed. Another trust store may still vouch for the certificate. */
static gboolean
accept_certificate_cb (GTlsConnection       *conn,
                       GTlsCertificate      *peer_cert,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  FwsClient *self = user_data;
  GSocketConnectable *identity;

  if (!self->tls_verify)
    return TRUE;

  identity = g_tls_client_connection_get_server_identity (G_TLS_CLIENT_CONNECTION (conn));
  for (guint i = 1; self->databases != NULL && i < self->databases->len; i++)
    {
      GTlsCertificateFlags flags;

      flags = g_tls_database_verify_chain (self->databases->pdata[i], peer_cert,
                                           G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                           identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                           NULL, NULL);
      if (flags == 0)
        return TRUE;
    }
  self->tls_errors = errors;
  return FALSE;
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FwsClient) self = user_data;
  g_autoptr(GError) error = NULL;
  GTlsConnection *conn = G_TLS_CONNECTION (source);

  g_tls_connection_handshake_finish (conn, result, &error);
  g_signal_handlers_disconnect_by_func (conn, accept_certificate_cb, self);
  if (given_up (self))
    return;

  if (error != NULL)
    {
      GSocketConnectable *identity = g_tls_client_connection_get_server_identity (G_TLS_CLIENT_CONNECTION (conn));
      g_autofree char *name = g_socket_connectable_to_string (identity);

      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) && self->tls_errors != 0)
        {
          g_autofree char *problems = certificate_problems (self->tls_errors);

          g_clear_error (&error);
          error = g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                               _("The TLS certificate of %s is not acceptable: %s"), name, problems);
        }
      else
        g_prefix_error (&error, _("TLS handshake with %s failed: "), name);
      if (self->tls_to_proxy)
        {
          g_autofree char *proxy = uri_for_people (self->proxy_uri);

          g_prefix_error (&error, _("Could not connect to the proxy %s: "), proxy);
        }
      connect_failed (self, error);
      return;
    }

  if (self->tls_to_proxy)
    proxy_start (self);
  else
    begin (self);
}

/* Builds the trust stores: the tls-database, then each tls-ca-files file.
 * With none of them, the system's default database is used. */
static gboolean
load_databases (FwsClient  *self,
                GError    **error)
{
  if (self->databases != NULL)
    return TRUE;
  self->databases = g_ptr_array_new_with_free_func (g_object_unref);
  if (self->tls_database != NULL)
    g_ptr_array_add (self->databases, g_object_ref (self->tls_database));
  for (guint i = 0; self->tls_ca_files != NULL && self->tls_ca_files[i] != NULL; i++)
    {
      GTlsDatabase *db = g_tls_file_database_new (self->tls_ca_files[i], error);

      if (db == NULL)
        {
          g_prefix_error (error, _("Could not load the certificate authorities in %s: "),
                          self->tls_ca_files[i]);
          return FALSE;
        }
      g_ptr_array_add (self->databases, db);
    }
  return TRUE;
}

static void
tls_start (FwsClient *self,
           gboolean   to_proxy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  GUri *peer = to_proxy ? self->proxy_uri : self->uri;
  GIOStream *base = self->stream ? self->stream : G_IO_STREAM (self->tcp);
  GIOStream *conn;

  self->tls_to_proxy = to_proxy;
  self->tls_errors = 0;
  if (!load_databases (self, &error))
    {
      connect_failed (self, error);
      return;
    }

  identity = g_network_address_new (g_uri_get_host (peer), (guint16) uri_port (peer));
  conn = g_tls_client_connection_new (base, identity, &error);
  if (conn == NULL)
    {
      g_autofree char *url = uri_for_people (peer);

      g_prefix_error (&error, _("Could not start TLS with %s: "), url);
      connect_failed (self, error);
      return;
    }
  if (self->databases->len > 0)
    g_tls_connection_set_database (G_TLS_CONNECTION (conn), self->databases->pdata[0]);
  /* The client certificate is for the server, not for a proxy. */
  if (self->tls_certificate != NULL && !to_proxy)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (conn), self->tls_certificate);
  g_signal_connect (conn, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);

  g_clear_object (&self->stream);
  self->stream = conn;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (conn), G_PRIORITY_DEFAULT, self->cancellable,
                                    handshake_cb, g_object_ref (self));
}

/* -- CONNECT through an HTTP proxy -- */

static void proxy_read (FwsClient *self);

static void
proxy_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FwsClient) self = user_data;
  g_autoptr(GError) error = NULL;
  FwsProxyResult status;
  gssize n;
  gsize used = 0;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (given_up (self))
    return;
  if (n < 0)
    {
      g_autofree char *proxy = uri_for_people (self->proxy_uri);

      g_prefix_error (&error, _("Could not read the answer of the proxy %s: "), proxy);
      connect_failed (self, error);
      return;
    }
  if (n == 0)
    {
      g_autofree char *url = uri_for_people (self->uri);
      g_autofree char *proxy = uri_for_people (self->proxy_uri);

      error = g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                           _("Can't establish a connection to the server at %s: "
                             "the proxy %s closed the connection without answering"),
                           url, proxy);
      connect_failed (self, error);
      return;
    }

  status = fws_proxy_feed (self->exchange, self->buf, (gsize) n, &used, &error);
  switch (status)
    {
    case FWS_PROXY_NEED_MORE:
      proxy_read (self);
      return;
    case FWS_PROXY_FAILED:
      connect_failed (self, error);
      return;
    case FWS_PROXY_CONNECTED:
    default:
      break;
    }
  if (used < (gsize) n)
    {
      /* ws:// and wss:// both speak first, so nothing can come from the
       * server yet: these bytes are the proxy's mistake. */
      g_autofree char *url = uri_for_people (self->uri);
      g_autofree char *proxy = uri_for_people (self->proxy_uri);

      error = g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                           _("Can't establish a connection to the server at %s: "
                             "the proxy %s sent data after its answer"),
                           url, proxy);
      connect_failed (self, error);
      return;
    }
  g_clear_pointer (&self->exchange, fws_proxy_free);
  g_clear_pointer (&self->buf, g_free);
  to_server (self);
}

static void
proxy_read (FwsClient *self)
{
  GIOStream *stream = self->stream ? self->stream : G_IO_STREAM (self->tcp);

  if (self->buf == NULL)
    self->buf = g_malloc (PROXY_READ_SIZE);
  g_input_stream_read_async (g_io_stream_get_input_stream (stream), self->buf, PROXY_READ_SIZE,
                             G_PRIORITY_DEFAULT, self->cancellable, proxy_read_cb, g_object_ref (self));
}

static void
proxy_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FwsClient) self = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  if (given_up (self))
    return;
  if (error != NULL)
    {
      g_autofree char *proxy = uri_for_people (self->proxy_uri);

      g_prefix_error (&error, _("Could not write to the proxy %s: "), proxy);
      connect_failed (self, error);
      return;
    }
  proxy_read (self);
}

static void
proxy_start (FwsClient *self)
{
  GIOStream *stream = self->stream ? self->stream : G_IO_STREAM (self->tcp);
  GBytes *request;

  self->exchange = fws_proxy_new (self->uri, self->proxy_uri, self->proxy_headers);
  request = fws_proxy_get_request (self->exchange);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                   g_bytes_get_data (request, NULL), g_bytes_get_size (request),
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   proxy_written_cb, g_object_ref (self));
}

/* -- TCP -- */

static void
tcp_connected_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FwsClient) self = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  self->tcp = conn;
  if (given_up (self))
    return;
  if (conn == NULL)
    {
      g_autofree char *url = uri_for_people (self->uri);

      if (self->proxy_uri != NULL)
        {
          g_autofree char *proxy = uri_for_people (self->proxy_uri);

          g_prefix_error (&error, _("Could not connect to %s through the proxy %s: "), url, proxy);
        }
      else
        g_prefix_error (&error, _("Could not connect to %s: "), url);
      connect_failed (self, error);
      return;
    }

  if (self->proxy_uri == NULL || self->socks)
    to_server (self);
  else if (g_ascii_strcasecmp (g_uri_get_scheme (self->proxy_uri), "https") == 0)
    tls_start (self, TRUE);
  else
    proxy_start (self);
}

static void
connect_tcp (FwsClient *self)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  gboolean need_tls = is_secure (self) ||
                      (self->proxy_uri != NULL && !self->socks &&
                       g_ascii_strcasecmp (g_uri_get_scheme (self->proxy_uri), "https") == 0);

  if (need_tls && !tls_available ())
    {
      g_autoptr(GError) error = g_error_new_literal (FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                                                     _("TLS is not available: install glib-networking"));
      connect_failed (self, error);
      return;
    }

  client = g_socket_client_new ();
  if (self->socks)
    {
      g_autofree char *socks = g_uri_to_string (self->proxy_uri);
      g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (socks, NULL);

      /* GIO speaks SOCKS itself, to the server's name. */
      g_socket_client_set_proxy_resolver (client, resolver);
      g_socket_client_set_enable_proxy (client, TRUE);
      address = g_network_address_new (g_uri_get_host (self->uri), (guint16) uri_port (self->uri));
    }
  else
    {
      GUri *peer = self->proxy_uri ? self->proxy_uri : self->uri;

      g_socket_client_set_enable_proxy (client, FALSE);
      address = g_network_address_new (g_uri_get_host (peer), (guint16) uri_port (peer));
    }
  g_socket_client_connect_async (client, address, self->cancellable, tcp_connected_cb, g_object_ref (self));
}

/* -- The system's proxy settings -- */

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FwsClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) proxies = NULL;

  proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source), result, &error);
  if (given_up (self))
    return;
  if (proxies == NULL)
    {
      g_autofree char *url = uri_for_people (self->uri);

      g_prefix_error (&error, _("Could not look up the proxy for %s: "), url);
      connect_failed (self, error);
      return;
    }

  for (guint i = 0; proxies[i] != NULL; i++)
    {
      if (g_ascii_strncasecmp (proxies[i], "direct://", 9) == 0)
        {
          connect_tcp (self);
          return;
        }
      self->proxy_uri = parse_proxy_url (proxies[i], &self->socks, NULL);
      if (self->proxy_uri != NULL)
        {
          connect_tcp (self);
          return;
        }
    }

  {
    g_autofree char *url = uri_for_people (self->uri);
    g_autofree char *list = g_strjoinv (", ", proxies);

    error = g_error_new (FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                         _("The system's proxy settings give no usable proxy for %s (%s)"), url, list);
    connect_failed (self, error);
  }
}

static gboolean
connect_cb (gpointer user_data)
{
  FwsClient *self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->connect_source, g_source_unref);
  if (self->url_error)
    {
      self->gave_up = TRUE;
      fws_web_socket_fail_early (FWS_WEB_SOCKET (self), self->url_error);
      return G_SOURCE_REMOVE;
    }

  self->connecting = TRUE;
  if (fws_web_socket_get_handshake_timeout (FWS_WEB_SOCKET (self)) > 0)
    {
      self->timeout_source = g_timeout_source_new (fws_web_socket_get_handshake_timeout (FWS_WEB_SOCKET (self)));
      g_source_set_static_name (self->timeout_source, "fws-client-handshake-timeout");
      g_source_set_callback (self->timeout_source, timeout_cb, self, NULL);
      g_source_attach (self->timeout_source, fws_web_socket_get_context (FWS_WEB_SOCKET (self)));
    }

  if (self->proxy != NULL && *self->proxy != '\0')
    {
      self->proxy_uri = parse_proxy_url (self->proxy, &self->socks, &error);
      if (self->proxy_uri == NULL)
        connect_failed (self, error);
      else
        connect_tcp (self);
    }
  else if (self->use_system_proxy)
    {
      g_autofree char *lookup = NULL;
      g_autoptr(GString) authority = g_string_new (NULL);
      const char *host = g_uri_get_host (self->uri);

      /* The resolver knows http and https; ws and wss map to them. */
      if (strchr (host, ':') != NULL)
        g_string_append_printf (authority, "[%s]", host);
      else
        g_string_append (authority, host);
      lookup = g_strdup_printf ("%s://%s:%d/", is_secure (self) ? "https" : "http",
                                authority->str, uri_port (self->uri));
      g_proxy_resolver_lookup_async (system_proxy_resolver (), lookup, self->cancellable,
                                     lookup_cb, g_object_ref (self));
    }
  else
    connect_tcp (self);
  return G_SOURCE_REMOVE;
}

static void
abort_cb (FwsWebSocket *ws)
{
  FwsClient *self = FWS_CLIENT (ws);

  destroy_source (&self->connect_source);
  destroy_source (&self->timeout_source);
  self->gave_up = TRUE;
  g_cancellable_cancel (self->cancellable);
}

static void
fws_client_constructed (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);
  FwsWebSocket *ws = FWS_WEB_SOCKET (object);

  G_OBJECT_CLASS (fws_client_parent_class)->constructed (object);

  self->uri = fws_handshake_parse_url (fws_web_socket_get_url (ws), &self->url_error);
  if (self->uri)
    {
      guint8 nonce[16];
      g_autofree char *key = NULL;

      fws_random_bytes (nonce, sizeof nonce);
      key = fws_handshake_client_key (nonce);
      fws_web_socket_set_driver (ws, fws_driver_new_client (fws_web_socket_get_driver_callbacks (), ws,
                                                            self->uri, key,
                                                            fws_web_socket_get_protocols (ws),
                                                            fws_web_socket_get_extra_headers (ws),
                                                            fws_web_socket_get_max_length (ws)));
    }
  fws_web_socket_set_abort_func (ws, abort_cb);
  fws_web_socket_hold (ws);
  g_signal_connect (self, "open", G_CALLBACK (opened_cb), NULL);

  self->connect_source = g_idle_source_new ();
  g_source_set_priority (self->connect_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->connect_source, "fws-client-connect");
  g_source_set_callback (self->connect_source, connect_cb, self, NULL);
  g_source_attach (self->connect_source, fws_web_socket_get_context (ws));
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
  FwsDriver *driver;

  g_return_val_if_fail (FWS_IS_CLIENT (self), 0);
  driver = fws_web_socket_get_driver (FWS_WEB_SOCKET (self));
  return driver ? fws_driver_get_status (driver) : 0;
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
  return self->tls_verify;
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
  verify = !!verify;
  if (self->tls_verify == verify)
    return;
  self->tls_verify = verify;
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
  return (const char * const *) self->tls_ca_files;
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
  if (self->tls_ca_files == NULL && files == NULL)
    return;
  if (self->tls_ca_files != NULL && files != NULL &&
      g_strv_equal ((const char * const *) self->tls_ca_files, files))
    return;
  g_strfreev (self->tls_ca_files);
  self->tls_ca_files = g_strdupv ((char **) files);
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
  return self->tls_database;
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
  if (g_set_object (&self->tls_database, database))
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
  return self->tls_certificate;
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
  if (g_set_object (&self->tls_certificate, certificate))
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
  return self->proxy;
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
  if (g_strcmp0 (self->proxy, proxy) == 0)
    return;
  g_free (self->proxy);
  self->proxy = g_strdup (proxy);
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
  return self->proxy_headers;
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
  if (self->proxy_headers == headers)
    return;
  g_clear_pointer (&self->proxy_headers, soup_message_headers_unref);
  self->proxy_headers = headers ? soup_message_headers_ref (headers) : NULL;
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
  return self->use_system_proxy;
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
  use_system_proxy = !!use_system_proxy;
  if (self->use_system_proxy == use_system_proxy)
    return;
  self->use_system_proxy = use_system_proxy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USE_SYSTEM_PROXY]);
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
    case PROP_TLS_VERIFY:
      g_value_set_boolean (value, self->tls_verify);
      break;
    case PROP_TLS_CA_FILES:
      g_value_set_boxed (value, self->tls_ca_files);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_PROXY:
      g_value_set_string (value, self->proxy);
      break;
    case PROP_PROXY_HEADERS:
      g_value_set_boxed (value, self->proxy_headers);
      break;
    case PROP_USE_SYSTEM_PROXY:
      g_value_set_boolean (value, self->use_system_proxy);
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_client_dispose (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  destroy_source (&self->connect_source);
  destroy_source (&self->timeout_source);
  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (fws_client_parent_class)->dispose (object);
}

static void
fws_client_finalize (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  /* Every pending step holds a reference, so nothing is in flight. */
  g_clear_object (&self->stream);
  g_clear_object (&self->tcp);
  g_clear_pointer (&self->exchange, fws_proxy_free);
  g_clear_pointer (&self->buf, g_free);
  g_clear_pointer (&self->databases, g_ptr_array_unref);
  g_clear_pointer (&self->proxy_uri, g_uri_unref);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_error (&self->url_error);
  g_clear_object (&self->cancellable);
  g_strfreev (self->tls_ca_files);
  g_clear_object (&self->tls_database);
  g_clear_object (&self->tls_certificate);
  g_free (self->proxy);
  g_clear_pointer (&self->proxy_headers, soup_message_headers_unref);
  G_OBJECT_CLASS (fws_client_parent_class)->finalize (object);
}

static void
fws_client_class_init (FwsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();

  object_class->constructed = fws_client_constructed;
  object_class->get_property = fws_client_get_property;
  object_class->set_property = fws_client_set_property;
  object_class->dispose = fws_client_dispose;
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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fws_client_init (FwsClient *self)
{
  self->cancellable = g_cancellable_new ();
  fws_web_socket_set_handshake_timer_external (FWS_WEB_SOCKET (self));
  self->tls_verify = TRUE;
  self->use_system_proxy = TRUE;
}
