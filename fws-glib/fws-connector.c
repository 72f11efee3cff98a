/* fws-connector.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A URL to a connected GIOStream (see fws-connector-private.h): the proxy
 * lookup, TCP (SOCKS through GIO), CONNECT through an HTTP or HTTPS proxy
 * with the sans-I/O FwsProxy, and TLS, as one GTask.
 *
 * Every step runs with the task's cancellable and holds a reference on the
 * task; the state of the connection being built is the task's data. A step
 * that completes after a cancel, or fails, closes what was built and
 * returns the error.
 */
#include "config.h"

#include "fws-connector-private.h"

#include <string.h>

#include "fws-error.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-proxy-private.h"

#define PROXY_READ_SIZE 4096

typedef struct
{
  GUri               *uri;
  FwsConnectorOptions options;         /* a copy */

  GUri               *proxy_uri;       /* the HTTP or SOCKS proxy in use, or NULL */
  gboolean            socks;
  GSocketConnection  *tcp;
  GIOStream          *stream;          /* the top of the stack so far */
  FwsProxy           *exchange;
  guint8             *buf;
  GPtrArray          *databases;       /* of GTlsDatabase: every trust store to try */
  GTlsCertificateFlags tls_errors;
  gboolean            tls_to_proxy;
} ConnectData;

static void tls_start (GTask *task, gboolean to_proxy);
static void proxy_start (GTask *task);

/* ---- Helpers ---- */

static gboolean
is_secure (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);

  return g_ascii_strcasecmp (scheme, "wss") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

static int
uri_port (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  if (is_secure (uri))
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

static GIOStream *
top_of (ConnectData *data)
{
  return data->stream != NULL ? data->stream : G_IO_STREAM (data->tcp);
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

/* ---- The task's data ---- */

static void
close_stream_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

/* Closes @stream (without blocking) and lets go of it. */
static void
close_and_unref (gpointer stream)
{
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
  g_object_unref (stream);
}

/* Lets go of what was built so far, closing it. Only called when no
 * operation is pending on it. */
static void
drop_connection (ConnectData *data)
{
  GIOStream *top = top_of (data);

  if (top != NULL)
    g_io_stream_close_async (top, G_PRIORITY_DEFAULT, NULL, close_stream_cb, NULL);
  g_clear_object (&data->stream);
  g_clear_object (&data->tcp);
  g_clear_pointer (&data->exchange, fws_proxy_free);
  g_clear_pointer (&data->buf, g_free);
  g_clear_pointer (&data->databases, g_ptr_array_unref);
}

static void
connect_data_free (gpointer user_data)
{
  ConnectData *data = user_data;

  drop_connection (data);
  g_clear_pointer (&data->proxy_uri, g_uri_unref);
  g_clear_pointer (&data->uri, g_uri_unref);
  fws_connector_options_clear (&data->options);
  g_free (data);
}

/* Every step ends here on failure. */
static void
fail (GTask  *task,
      GError *error)
{
  drop_connection (g_task_get_task_data (task));
  g_task_return_error (task, error);
}

/* TRUE when the step that just completed must not go on: the cancellable
 * was cancelled. The task has then completed with G_IO_ERROR_CANCELLED. */
static gboolean
cancelled (GTask *task)
{
  if (!g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    return FALSE;
  drop_connection (g_task_get_task_data (task));
  g_task_return_error_if_cancelled (task);
  return TRUE;
}

/* ---- Steps ---- */

/* The stack is complete. */
static void
succeed (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  GIOStream *stream;

  if (data->stream == NULL)
    stream = G_IO_STREAM (g_object_ref (data->tcp));
  else
    stream = G_IO_STREAM (g_tcp_wrapper_connection_new (data->stream,
                                                        g_socket_connection_get_socket (data->tcp)));
  g_clear_object (&data->stream);
  g_clear_object (&data->tcp);
  g_clear_pointer (&data->exchange, fws_proxy_free);
  g_clear_pointer (&data->buf, g_free);
  g_clear_pointer (&data->databases, g_ptr_array_unref);
  /* Closed when a cancel after this point turns the result into an error. */
  g_task_return_pointer (task, stream, close_and_unref);
}

/* After TCP (and TLS to an https proxy, and the tunnel): TLS to the server
 * for wss:// and https://. */
static void
to_server (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);

  if (is_secure (data->uri))
    tls_start (task, FALSE);
  else
    succeed (task);
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
  ConnectData *data = user_data;
  GSocketConnectable *identity;

  if (!data->options.tls_verify)
    return TRUE;

  identity = g_tls_client_connection_get_server_identity (G_TLS_CLIENT_CONNECTION (conn));
  for (guint i = 1; data->databases != NULL && i < data->databases->len; i++)
    {
      GTlsCertificateFlags flags;

      flags = g_tls_database_verify_chain (data->databases->pdata[i], peer_cert,
                                           G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                           identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                           NULL, NULL);
      if (flags == 0)
        return TRUE;
    }
  data->tls_errors = errors;
  return FALSE;
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GTlsConnection *conn = G_TLS_CONNECTION (source);

  g_tls_connection_handshake_finish (conn, result, &error);
  g_signal_handlers_disconnect_by_func (conn, accept_certificate_cb, data);
  if (cancelled (task))
    return;

  if (error != NULL)
    {
      GSocketConnectable *identity = g_tls_client_connection_get_server_identity (G_TLS_CLIENT_CONNECTION (conn));
      g_autofree char *name = g_socket_connectable_to_string (identity);

      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) && data->tls_errors != 0)
        {
          g_autofree char *problems = certificate_problems (data->tls_errors);

          g_clear_error (&error);
          error = g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                               _("The TLS certificate of %s is not acceptable: %s"), name, problems);
        }
      else
        g_prefix_error (&error, _("TLS handshake with %s failed: "), name);
      if (data->tls_to_proxy)
        {
          g_autofree char *proxy = uri_for_people (data->proxy_uri);

          g_prefix_error (&error, _("Could not connect to the proxy %s: "), proxy);
        }
      fail (task, g_steal_pointer (&error));
      return;
    }

  if (data->tls_to_proxy)
    proxy_start (task);
  else
    succeed (task);
}

/* Builds the trust stores: the tls-database, then each tls-ca-files file.
 * With none of them, the system's default database is used. */
static gboolean
load_databases (ConnectData  *data,
                GError      **error)
{
  if (data->databases != NULL)
    return TRUE;
  data->databases = g_ptr_array_new_with_free_func (g_object_unref);
  if (data->options.tls_database != NULL)
    g_ptr_array_add (data->databases, g_object_ref (data->options.tls_database));
  for (guint i = 0; data->options.tls_ca_files != NULL && data->options.tls_ca_files[i] != NULL; i++)
    {
      GTlsDatabase *db = g_tls_file_database_new (data->options.tls_ca_files[i], error);

      if (db == NULL)
        {
          g_prefix_error (error, _("Could not load the certificate authorities in %s: "),
                          data->options.tls_ca_files[i]);
          return FALSE;
        }
      g_ptr_array_add (data->databases, db);
    }
  return TRUE;
}

static void
tls_start (GTask    *task,
           gboolean  to_proxy)
{
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  GUri *peer = to_proxy ? data->proxy_uri : data->uri;
  GIOStream *conn;

  data->tls_to_proxy = to_proxy;
  data->tls_errors = 0;
  if (!load_databases (data, &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  identity = g_network_address_new (g_uri_get_host (peer), (guint16) uri_port (peer));
  conn = g_tls_client_connection_new (top_of (data), identity, &error);
  if (conn == NULL)
    {
      g_autofree char *url = uri_for_people (peer);

      g_prefix_error (&error, _("Could not start TLS with %s: "), url);
      fail (task, g_steal_pointer (&error));
      return;
    }
  if (data->databases->len > 0)
    g_tls_connection_set_database (G_TLS_CONNECTION (conn), data->databases->pdata[0]);
  /* The client certificate is for the server, not for a proxy. */
  if (data->options.tls_certificate != NULL && !to_proxy)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (conn), data->options.tls_certificate);
  g_signal_connect (conn, "accept-certificate", G_CALLBACK (accept_certificate_cb), data);

  g_clear_object (&data->stream);
  data->stream = conn;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (conn), G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), handshake_cb, g_object_ref (task));
}

/* -- CONNECT through an HTTP proxy -- */

static void proxy_read (GTask *task);

static void
proxy_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  FwsProxyResult status;
  gssize n;
  gsize used = 0;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (cancelled (task))
    return;
  if (n < 0)
    {
      g_autofree char *proxy = uri_for_people (data->proxy_uri);

      g_prefix_error (&error, _("Could not read the answer of the proxy %s: "), proxy);
      fail (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      g_autofree char *url = uri_for_people (data->uri);
      g_autofree char *proxy = uri_for_people (data->proxy_uri);

      fail (task, g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                               _("Can't establish a connection to the server at %s: "
                                 "the proxy %s closed the connection without answering"),
                               url, proxy));
      return;
    }

  status = fws_proxy_feed (data->exchange, data->buf, (gsize) n, &used, &error);
  switch (status)
    {
    case FWS_PROXY_NEED_MORE:
      proxy_read (task);
      return;
    case FWS_PROXY_FAILED:
      fail (task, g_steal_pointer (&error));
      return;
    case FWS_PROXY_CONNECTED:
    default:
      break;
    }
  if (used < (gsize) n)
    {
      /* ws:// and wss:// (and HTTP) speak first, so nothing can come from
       * the server yet: these bytes are the proxy's mistake. */
      g_autofree char *url = uri_for_people (data->uri);
      g_autofree char *proxy = uri_for_people (data->proxy_uri);

      fail (task, g_error_new (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                               _("Can't establish a connection to the server at %s: "
                                 "the proxy %s sent data after its answer"),
                               url, proxy));
      return;
    }
  g_clear_pointer (&data->exchange, fws_proxy_free);
  g_clear_pointer (&data->buf, g_free);
  to_server (task);
}

static void
proxy_read (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);

  if (data->buf == NULL)
    data->buf = g_malloc (PROXY_READ_SIZE);
  g_input_stream_read_async (g_io_stream_get_input_stream (top_of (data)), data->buf, PROXY_READ_SIZE,
                             G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                             proxy_read_cb, g_object_ref (task));
}

static void
proxy_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  if (cancelled (task))
    return;
  if (error != NULL)
    {
      g_autofree char *proxy = uri_for_people (data->proxy_uri);

      g_prefix_error (&error, _("Could not write to the proxy %s: "), proxy);
      fail (task, g_steal_pointer (&error));
      return;
    }
  proxy_read (task);
}

static void
proxy_start (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  GBytes *request;

  data->exchange = fws_proxy_new (data->uri, data->proxy_uri, data->options.proxy_headers);
  request = fws_proxy_get_request (data->exchange);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (top_of (data)),
                                   g_bytes_get_data (request, NULL), g_bytes_get_size (request),
                                   G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   proxy_written_cb, g_object_ref (task));
}

/* -- TCP -- */

static void
tcp_connected_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->tcp = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (cancelled (task))
    return;
  if (data->tcp == NULL)
    {
      g_autofree char *url = uri_for_people (data->uri);

      if (data->proxy_uri != NULL)
        {
          g_autofree char *proxy = uri_for_people (data->proxy_uri);

          g_prefix_error (&error, _("Could not connect to %s through the proxy %s: "), url, proxy);
        }
      else
        g_prefix_error (&error, _("Could not connect to %s: "), url);
      fail (task, g_steal_pointer (&error));
      return;
    }

  if (data->proxy_uri == NULL || data->socks)
    to_server (task);
  else if (g_ascii_strcasecmp (g_uri_get_scheme (data->proxy_uri), "https") == 0)
    tls_start (task, TRUE);
  else
    proxy_start (task);
}

static void
connect_tcp (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  gboolean need_tls = is_secure (data->uri) ||
                      (data->proxy_uri != NULL && !data->socks &&
                       g_ascii_strcasecmp (g_uri_get_scheme (data->proxy_uri), "https") == 0);

  if (need_tls && !tls_available ())
    {
      fail (task, g_error_new_literal (FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                                       _("TLS is not available: install glib-networking")));
      return;
    }

  client = g_socket_client_new ();
  if (data->socks)
    {
      g_autofree char *socks = g_uri_to_string (data->proxy_uri);
      g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (socks, NULL);

      /* GIO speaks SOCKS itself, to the server's name. */
      g_socket_client_set_proxy_resolver (client, resolver);
      g_socket_client_set_enable_proxy (client, TRUE);
      address = g_network_address_new (g_uri_get_host (data->uri), (guint16) uri_port (data->uri));
    }
  else
    {
      GUri *peer = data->proxy_uri ? data->proxy_uri : data->uri;

      g_socket_client_set_enable_proxy (client, FALSE);
      address = g_network_address_new (g_uri_get_host (peer), (guint16) uri_port (peer));
    }
  g_socket_client_connect_async (client, address, g_task_get_cancellable (task),
                                 tcp_connected_cb, g_object_ref (task));
}

/* -- The system's proxy settings -- */

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) proxies = NULL;
  g_autofree char *url = NULL;
  g_autofree char *list = NULL;

  proxies = g_proxy_resolver_lookup_finish (G_PROXY_RESOLVER (source), result, &error);
  if (cancelled (task))
    return;
  if (proxies == NULL)
    {
      url = uri_for_people (data->uri);
      g_prefix_error (&error, _("Could not look up the proxy for %s: "), url);
      fail (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; proxies[i] != NULL; i++)
    {
      if (g_ascii_strncasecmp (proxies[i], "direct://", 9) == 0)
        {
          connect_tcp (task);
          return;
        }
      data->proxy_uri = parse_proxy_url (proxies[i], &data->socks, NULL);
      if (data->proxy_uri != NULL)
        {
          connect_tcp (task);
          return;
        }
    }

  url = uri_for_people (data->uri);
  list = g_strjoinv (", ", proxies);
  fail (task, g_error_new (FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                           _("The system's proxy settings give no usable proxy for %s (%s)"), url, list));
}

/* ---- API ---- */

void
fws_connector_options_init (FwsConnectorOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->tls_verify = TRUE;
}

void
fws_connector_options_clear (FwsConnectorOptions *options)
{
  g_return_if_fail (options != NULL);
  g_strfreev (options->tls_ca_files);
  g_clear_object (&options->tls_database);
  g_clear_object (&options->tls_certificate);
  g_free (options->proxy);
  g_clear_pointer (&options->proxy_headers, soup_message_headers_unref);
  g_clear_object (&options->proxy_resolver);
  fws_connector_options_init (options);
}

void
fws_connector_options_copy (FwsConnectorOptions       *dest,
                            const FwsConnectorOptions *src)
{
  g_return_if_fail (dest != NULL && src != NULL);
  dest->tls_verify = src->tls_verify;
  dest->tls_ca_files = g_strdupv (src->tls_ca_files);
  dest->tls_database = src->tls_database ? g_object_ref (src->tls_database) : NULL;
  dest->tls_certificate = src->tls_certificate ? g_object_ref (src->tls_certificate) : NULL;
  dest->proxy = g_strdup (src->proxy);
  dest->proxy_headers = src->proxy_headers ? soup_message_headers_ref (src->proxy_headers) : NULL;
  dest->use_system_proxy = src->use_system_proxy;
  dest->proxy_resolver = src->proxy_resolver ? g_object_ref (src->proxy_resolver) : NULL;
}

gboolean
fws_connector_options_set_tls_verify (FwsConnectorOptions *options,
                                      gboolean             verify)
{
  verify = !!verify;
  if (options->tls_verify == verify)
    return FALSE;
  options->tls_verify = verify;
  return TRUE;
}

gboolean
fws_connector_options_set_tls_ca_files (FwsConnectorOptions *options,
                                        const char * const  *files)
{
  if (options->tls_ca_files == NULL && files == NULL)
    return FALSE;
  if (options->tls_ca_files != NULL && files != NULL &&
      g_strv_equal ((const char * const *) options->tls_ca_files, files))
    return FALSE;
  g_strfreev (options->tls_ca_files);
  options->tls_ca_files = g_strdupv ((char **) files);
  return TRUE;
}

gboolean
fws_connector_options_set_tls_database (FwsConnectorOptions *options,
                                        GTlsDatabase        *database)
{
  return g_set_object (&options->tls_database, database);
}

gboolean
fws_connector_options_set_tls_certificate (FwsConnectorOptions *options,
                                           GTlsCertificate     *certificate)
{
  return g_set_object (&options->tls_certificate, certificate);
}

gboolean
fws_connector_options_set_proxy (FwsConnectorOptions *options,
                                 const char          *proxy)
{
  if (g_strcmp0 (options->proxy, proxy) == 0)
    return FALSE;
  g_free (options->proxy);
  options->proxy = g_strdup (proxy);
  return TRUE;
}

gboolean
fws_connector_options_set_proxy_headers (FwsConnectorOptions *options,
                                         SoupMessageHeaders  *headers)
{
  if (options->proxy_headers == headers)
    return FALSE;
  g_clear_pointer (&options->proxy_headers, soup_message_headers_unref);
  options->proxy_headers = headers ? soup_message_headers_ref (headers) : NULL;
  return TRUE;
}

gboolean
fws_connector_options_set_use_system_proxy (FwsConnectorOptions *options,
                                            gboolean             use_system_proxy)
{
  use_system_proxy = !!use_system_proxy;
  if (options->use_system_proxy == use_system_proxy)
    return FALSE;
  options->use_system_proxy = use_system_proxy;
  return TRUE;
}

void
fws_connector_connect_async (GUri                      *uri,
                             const FwsConnectorOptions *options,
                             GCancellable              *cancellable,
                             GAsyncReadyCallback        callback,
                             gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ConnectData *data;

  g_return_if_fail (uri != NULL && g_uri_get_host (uri) != NULL);
  g_return_if_fail (options != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, fws_connector_connect_async);
  g_task_set_name (task, "[fws] fws_connector_connect_async");
  data = g_new0 (ConnectData, 1);
  data->uri = g_uri_ref (uri);
  fws_connector_options_copy (&data->options, options);
  g_task_set_task_data (task, data, connect_data_free);

  if (cancelled (task))
    return;

  if (options->proxy != NULL && *options->proxy != '\0')
    {
      data->proxy_uri = parse_proxy_url (options->proxy, &data->socks, &error);
      if (data->proxy_uri == NULL)
        fail (task, g_steal_pointer (&error));
      else
        connect_tcp (task);
    }
  else if (options->use_system_proxy)
    {
      GProxyResolver *resolver = options->proxy_resolver ? options->proxy_resolver : system_proxy_resolver ();
      g_autofree char *authority = fws_http_format_authority (g_uri_get_host (uri), uri_port (uri), 0);
      g_autofree char *lookup = NULL;

      /* The resolver knows http and https; ws and wss map to them. */
      lookup = g_strdup_printf ("%s://%s/", is_secure (uri) ? "https" : "http", authority);
      g_proxy_resolver_lookup_async (resolver, lookup, cancellable, lookup_cb, g_object_ref (task));
    }
  else
    connect_tcp (task);
}

GIOStream *
fws_connector_connect_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == fws_connector_connect_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
