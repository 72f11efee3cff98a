/* fws-proxy.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HTTP CONNECT exchange, sans I/O (see fws-proxy-private.h).
 *
 * Departures from websocket-driver's Proxy (BEHAVIOUR.md 2.8), listed in the
 * docs: any 2xx opens the tunnel (RFC 9110 9.3.6; faye: 200 only); the
 * answer's head has the same limits as every other head (faye: none); a
 * malformed answer fails at once instead of hanging; and the caller closes
 * the connection after a refusal (faye left it open).
 */
#include "config.h"

#include <string.h>

#include "fws-proxy-private.h"
#include "fws-error.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"

struct _FwsProxy
{
  GBytes             *request;
  char               *target_url;       /* for messages, without password */
  char               *proxy_url;        /* likewise */
  FwsHttpHeadReader  *reader;
  guint               status;
  char               *reason;
  SoupMessageHeaders *response_headers;
  gboolean            done;
};

GUri *
fws_proxy_parse_url (const char  *url,
                     GError     **error)
{
  GUri *uri;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (uri != NULL)
    {
      const char *scheme = g_uri_get_scheme (uri);

      if ((g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
          fws_http_is_valid_host (g_uri_get_host (uri)))
        return uri;
      g_uri_unref (uri);
    }
  g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
               _("%s is not a valid proxy URL: use http://host:port or https://host:port"), url);
  return NULL;
}

/* The lines fws_proxy_new writes itself. */
static const char * const reserved[] = {
  "Host", "Connection", "Proxy-Connection", NULL
};
static const char * const reserved_with_auth[] = {
  "Host", "Connection", "Proxy-Connection", "Proxy-Authorization", NULL
};

FwsProxy *
fws_proxy_new (GUri               *target,
               GUri               *proxy,
               SoupMessageHeaders *headers)
{
  FwsProxy *self;
  GString *req;
  const char *host, *user;
  gboolean secure;
  int port, default_port;

  g_return_val_if_fail (target != NULL, NULL);
  g_return_val_if_fail (proxy != NULL, NULL);
  host = g_uri_get_host (target);
  g_return_val_if_fail (fws_http_is_valid_host (host), NULL);

  secure = g_ascii_strcasecmp (g_uri_get_scheme (target), "wss") == 0 ||
           g_ascii_strcasecmp (g_uri_get_scheme (target), "https") == 0;
  default_port = secure ? 443 : 80;
  port = g_uri_get_port (target);

  req = g_string_new ("CONNECT ");
  /* The request target always has the port; Host only when not the
   * default. */
  fws_http_append_authority (req, host, port > 0 ? port : default_port, 0);
  g_string_append (req, " HTTP/1.1\r\nHost: ");
  fws_http_append_authority (req, host, port, default_port);
  g_string_append (req, "\r\n"
                        "Connection: keep-alive\r\n"
                        "Proxy-Connection: keep-alive\r\n");

  user = g_uri_get_user (proxy);
  if (user != NULL)
    {
      g_autofree char *credentials = fws_http_basic_credentials (user, g_uri_get_password (proxy));

      g_string_append_printf (req, "Proxy-Authorization: Basic %s\r\n", credentials);
    }

  fws_http_append_extra_headers (req, headers,
                                 user != NULL ? reserved_with_auth : reserved,
                                 FWS_HTTP_EXTRA_HEADERS_FIRST_WINS);
  g_string_append (req, "\r\n");

  self = g_new0 (FwsProxy, 1);
  self->request = g_string_free_to_bytes (req);
  self->target_url = g_uri_to_string_partial (target, G_URI_HIDE_PASSWORD | G_URI_HIDE_AUTH_PARAMS);
  self->proxy_url = g_uri_to_string_partial (proxy, G_URI_HIDE_PASSWORD | G_URI_HIDE_AUTH_PARAMS);
  self->reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD,
                                           FWS_HTTP_DEFAULT_MAX_LINE,
                                           FWS_HTTP_DEFAULT_MAX_HEADERS);
  return self;
}

void
fws_proxy_free (FwsProxy *self)
{
  if (self == NULL)
    return;
  g_bytes_unref (self->request);
  g_free (self->target_url);
  g_free (self->proxy_url);
  fws_http_head_reader_free (self->reader);
  g_free (self->reason);
  g_clear_pointer (&self->response_headers, soup_message_headers_unref);
  g_free (self);
}

GBytes *
fws_proxy_get_request (FwsProxy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->request;
}

FwsProxyResult
fws_proxy_feed (FwsProxy      *self,
                const guint8  *data,
                gsize          len,
                gsize         *consumed,
                GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *head;
  gsize head_len;
  gssize used;

  g_return_val_if_fail (self != NULL, FWS_PROXY_FAILED);
  g_return_val_if_fail (data != NULL || len == 0, FWS_PROXY_FAILED);
  g_return_val_if_fail (!self->done, FWS_PROXY_FAILED);

  if (consumed != NULL)
    *consumed = 0;

  used = fws_http_head_reader_feed (self->reader, data, len, &local_error);
  if (used < 0)
    {
      self->done = TRUE;
      g_set_error (error, FWS_ERROR, local_error->code,
                   _("Can't establish a connection to the server at %s: "
                     "the proxy %s gave an invalid answer: %s"),
                   self->target_url, self->proxy_url, local_error->message);
      return FWS_PROXY_FAILED;
    }
  if (used == 0)
    {
      if (consumed != NULL)
        *consumed = len;
      return FWS_PROXY_NEED_MORE;
    }

  self->done = TRUE;
  if (consumed != NULL)
    *consumed = (gsize) used;
  head = fws_http_head_reader_get_head (self->reader, &head_len);
  if (!fws_http_parse_response (head, head_len, &self->status, &self->reason,
                                &self->response_headers, &local_error))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE,
                   _("Can't establish a connection to the server at %s: "
                     "the proxy %s gave an invalid answer: %s"),
                   self->target_url, self->proxy_url, local_error->message);
      return FWS_PROXY_FAILED;
    }
  if (self->status < 200 || self->status > 299)
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE,
                   _("Can't establish a connection to the server at %s: "
                     "the proxy %s answered %u %s"),
                   self->target_url, self->proxy_url, self->status, self->reason ? self->reason : "");
      return FWS_PROXY_FAILED;
    }
  return FWS_PROXY_CONNECTED;
}

guint
fws_proxy_get_status (FwsProxy *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->status;
}

const char *
fws_proxy_get_reason (FwsProxy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->reason;
}

SoupMessageHeaders *
fws_proxy_get_response_headers (FwsProxy *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->response_headers;
}
