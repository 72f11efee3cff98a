/* fws-client.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "fws-error.h"
#include "fws-handshake-private.h"
#include "fws-i18n-private.h"
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
 * FwsClient *client = fws_client_new ("ws://127.0.0.1:8080/", NULL, &error);
 * g_signal_connect (client, "message", G_CALLBACK (on_message), NULL);
 * ```
 *
 * Since: 0.1
 */

struct _FwsClient
{
  FwsWebSocket   parent_instance;

  GUri          *uri;
  GError        *url_error;
  GCancellable  *cancellable;
  GSource       *connect_source;
  gboolean       connecting;
};

G_DEFINE_FINAL_TYPE (FwsClient, fws_client, FWS_TYPE_WEB_SOCKET)

enum
{
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FwsClient *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = NULL;

  conn = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  self->connecting = FALSE;
  if (conn == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *url = g_uri_to_string (self->uri);

          g_prefix_error (&error, _("Could not connect to %s: "), url);
          fws_web_socket_fail_early (FWS_WEB_SOCKET (self), error);
        }
      g_object_unref (self);
      return;
    }
  if (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (self)) == FWS_READY_STATE_CONNECTING)
    {
      fws_web_socket_begin (FWS_WEB_SOCKET (self), G_IO_STREAM (conn));
    }
  else
    g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (self);
}

static gboolean
connect_cb (gpointer user_data)
{
  FwsClient *self = user_data;
  g_autoptr(GSocketClient) client = NULL;
  gboolean secure;
  int port;

  g_clear_pointer (&self->connect_source, g_source_unref);
  if (self->url_error)
    {
      fws_web_socket_fail_early (FWS_WEB_SOCKET (self), self->url_error);
      return G_SOURCE_REMOVE;
    }

  secure = g_ascii_strcasecmp (g_uri_get_scheme (self->uri), "wss") == 0;
  port = g_uri_get_port (self->uri);
  if (port <= 0)
    port = secure ? 443 : 80;

  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  if (secure)
    g_socket_client_set_tls (client, TRUE);

  self->connecting = TRUE;
  g_socket_client_connect_to_host_async (client, g_uri_get_host (self->uri), (guint16) port,
                                         self->cancellable, connected_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
abort_cb (FwsWebSocket *ws)
{
  FwsClient *self = FWS_CLIENT (ws);

  if (self->connect_source)
    {
      g_source_destroy (self->connect_source);
      g_clear_pointer (&self->connect_source, g_source_unref);
    }
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

  self->connect_source = g_idle_source_new ();
  g_source_set_priority (self->connect_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->connect_source, "fws-client-connect");
  g_source_set_callback (self->connect_source, connect_cb, self, NULL);
  g_source_attach (self->connect_source, fws_web_socket_get_context (ws));
}

/**
 * fws_client_new:
 * @url: a `ws://` or `wss://` URL
 * @protocols: (nullable) (array zero-terminated=1): subprotocols to offer,
 *   in order of preference
 * @error: return location for a [struct@GLib.Error]
 *
 * Makes a client that connects to @url when the main loop next runs. Other
 * options are properties: construct with [ctor@GObject.Object.new] to set
 * them (`url` is then checked when connecting, and a bad one is reported
 * with the `error` and `close` signals).
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_client_dispose (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  if (self->connect_source)
    {
      g_source_destroy (self->connect_source);
      g_clear_pointer (&self->connect_source, g_source_unref);
    }
  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (fws_client_parent_class)->dispose (object);
}

static void
fws_client_finalize (GObject *object)
{
  FwsClient *self = FWS_CLIENT (object);

  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_error (&self->url_error);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (fws_client_parent_class)->finalize (object);
}

static void
fws_client_class_init (FwsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  fws_i18n_init ();

  object_class->constructed = fws_client_constructed;
  object_class->get_property = fws_client_get_property;
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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fws_client_init (FwsClient *self)
{
  self->cancellable = g_cancellable_new ();
}
