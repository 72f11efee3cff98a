/* fws-handshake.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RFC 6455 opening handshake, sans I/O. Reading and parsing the HTTP
 * heads, and the HTTP checks it shares with the rest of the library, are in
 * fws-http.c.
 */
#include "config.h"

#include <string.h>

#include "fws-handshake-private.h"

#include "fws-error.h"
#include "fws-extensions-private.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"

/* ---- Server side ---- */

gboolean
fws_handshake_is_websocket_request (const char         *method,
                                    SoupMessageHeaders *request)
{
  const char *upgrade;

  g_return_val_if_fail (request != NULL, FALSE);

  if (g_strcmp0 (method, "GET") != 0)
    return FALSE;
  if (!soup_message_headers_header_contains (request, "Connection", "upgrade"))
    return FALSE;
  upgrade = soup_message_headers_get_list (request, "Upgrade");
  return upgrade != NULL && g_ascii_strcasecmp (upgrade, "websocket") == 0;
}

char *
fws_handshake_accept_key (const char *key)
{
  GChecksum *sha1;
  guint8 digest[20];
  gsize digest_len = sizeof digest;

  g_return_val_if_fail (key != NULL, NULL);

  sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, (const guchar *) key, (gssize) strlen (key));
  g_checksum_update (sha1, (const guchar *) FWS_WS_GUID, (gssize) strlen (FWS_WS_GUID));
  g_checksum_get_digest (sha1, digest, &digest_len);
  g_checksum_free (sha1);
  return g_base64_encode (digest, digest_len);
}

/* Not in libsoup 3.2's SoupStatus. */
#define STATUS_UPGRADE_REQUIRED 426

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* RFC 6455 4.2.1: base64 that decodes to 16 bytes, i.e. 22 characters of
 * the alphabet then "==" (g_base64_decode would skip invalid characters). */
static gboolean
is_valid_client_key (const char *key)
{
  gsize i;

  if (strlen (key) != 24 || key[22] != '=' || key[23] != '=')
    return FALSE;
  for (i = 0; i < 22; i++)
    if (!is_base64_char (key[i]))
      return FALSE;
  return TRUE;
}

/* Printable ASCII only, for echoing a peer's value back. */
static char *
sanitize (const char *value)
{
  char *copy = g_strdup (value);
  char *p;

  for (p = copy; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p > 0x7e)
      *p = '?';
  return copy;
}

/* Refuses the handshake, taking @body and @message. @body is the
 * untranslated text, so the bytes on the wire do not depend on the locale;
 * @message, its translation, goes to the GError. */
static gboolean
refuse (guint        status,
        char        *body,
        char        *message,
        GBytes     **out_response,
        GError     **error)
{
  GString *response;

  g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, message);
  g_free (message);

  if (status == STATUS_UPGRADE_REQUIRED)
    response = g_string_new ("HTTP/1.1 426 Upgrade Required\r\n"
                             "Content-Type: text/plain\r\n"
                             "Sec-WebSocket-Version: 13\r\n");
  else
    response = g_string_new ("HTTP/1.1 400 Bad Request\r\n"
                             "Content-Type: text/plain\r\n");
  g_string_append_printf (response, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                          strlen (body), body);
  g_free (body);
  if (out_response != NULL)
    *out_response = g_string_free_to_bytes (response);
  else
    g_string_free (response, TRUE);
  return FALSE;
}

static char *
missing_body (const char *header)
{
  return g_strdup_printf ("Missing handshake request header: %s", header);
}

static char *
missing_message (const char *header)
{
  return g_strdup_printf (_("Missing handshake request header: %s"), header);
}

/* The first protocol in the client's list (@offer, "a, b" possibly joined
 * from several headers) that is in @protocols. */
static char *
select_protocol (const char         *offer,
                 const char * const *protocols)
{
  g_auto(GStrv) items = NULL;
  guint i;

  if (offer == NULL || protocols == NULL || protocols[0] == NULL)
    return NULL;
  items = g_strsplit (offer, ",", -1);
  for (i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);

      if (*item != '\0' && g_strv_contains (protocols, item))
        return g_strdup (item);
    }
  return NULL;
}

/* Besides the handshake's own lines, framing headers: a 101 has no body,
 * and a Content-Length or Transfer-Encoding would make a peer or a proxy
 * read the first frames as one. */
static const char * const server_reserved[] = {
  "Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol",
  "Sec-WebSocket-Extensions", "Sec-WebSocket-Version", "Content-Length",
  "Transfer-Encoding", NULL
};

gboolean
fws_handshake_server_respond (const char          *method,
                              SoupMessageHeaders  *request,
                              const char * const  *protocols,
                              SoupMessageHeaders  *extra_headers,
                              FwsExtensions       *extensions,
                              char               **out_protocol,
                              GBytes             **out_response,
                              GError             **error)
{
  const char *version, *key, *host;
  g_autofree char *accept = NULL;
  g_autofree char *protocol = NULL;
  g_autofree char *accepted = NULL;
  const char *offer;
  GString *response;

  g_return_val_if_fail (request != NULL, FALSE);

  if (out_protocol != NULL)
    *out_protocol = NULL;
  if (out_response != NULL)
    *out_response = NULL;

  if (!fws_handshake_is_websocket_request (method, request))
    return refuse (SOUP_STATUS_BAD_REQUEST, g_strdup ("Not a WebSocket request"),
                   g_strdup (_("Not a WebSocket request")), out_response, error);

  /* Several Sec-WebSocket-Version (or -Key) headers are joined with ", " and
   * so refused, as RFC 6455 allows only one. */
  version = soup_message_headers_get_list (request, "Sec-WebSocket-Version");
  if (version == NULL)
    return refuse (STATUS_UPGRADE_REQUIRED, missing_body ("Sec-WebSocket-Version"),
                   missing_message ("Sec-WebSocket-Version"), out_response, error);
  if (strcmp (version, "13") != 0)
    {
      g_autofree char *shown = sanitize (version);

      return refuse (STATUS_UPGRADE_REQUIRED,
                     g_strdup_printf ("Unsupported WebSocket version: %s", shown),
                     g_strdup_printf (_("Unsupported WebSocket version: %s"), shown),
                     out_response, error);
    }

  key = soup_message_headers_get_list (request, "Sec-WebSocket-Key");
  if (key == NULL)
    return refuse (SOUP_STATUS_BAD_REQUEST, missing_body ("Sec-WebSocket-Key"),
                   missing_message ("Sec-WebSocket-Key"), out_response, error);
  if (!is_valid_client_key (key))
    return refuse (SOUP_STATUS_BAD_REQUEST, g_strdup ("Invalid Sec-WebSocket-Key header"),
                   g_strdup (_("Invalid Sec-WebSocket-Key header")), out_response, error);

  /* A missing Host is left to the caller (fws_handshake_request_url gives
   * NULL); websocket-driver's own tests send none. */
  host = soup_message_headers_get_list (request, "Host");
  if (host != NULL && !fws_http_is_valid_host_header (host))
    return refuse (SOUP_STATUS_BAD_REQUEST, g_strdup ("Invalid Host header"),
                   g_strdup (_("Invalid Host header")), out_response, error);

  /* Extensions come last (BEHAVIOUR.md 2.6), and are checked even when
   * none is registered. */
  offer = soup_message_headers_get_list (request, "Sec-WebSocket-Extensions");
  if (!fws_extensions_generate_response (extensions, offer, &accepted, NULL))
    {
      g_autofree char *shown = sanitize (offer);

      return refuse (SOUP_STATUS_BAD_REQUEST,
                     g_strdup_printf ("Invalid Sec-WebSocket-Extensions header: %s", shown),
                     g_strdup_printf (_("Invalid Sec-WebSocket-Extensions header: %s"), shown),
                     out_response, error);
    }

  accept = fws_handshake_accept_key (key);
  protocol = select_protocol (soup_message_headers_get_list (request, "Sec-WebSocket-Protocol"),
                              protocols);

  response = g_string_new ("HTTP/1.1 101 Switching Protocols\r\n");
  fws_http_append_extra_headers (response, extra_headers, server_reserved,
                                 FWS_HTTP_EXTRA_HEADERS_DEFAULT);
  g_string_append (response, "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n");
  g_string_append_printf (response, "Sec-WebSocket-Accept: %s\r\n", accept);
  if (protocol != NULL)
    g_string_append_printf (response, "Sec-WebSocket-Protocol: %s\r\n", protocol);
  if (accepted != NULL)
    g_string_append_printf (response, "Sec-WebSocket-Extensions: %s\r\n", accepted);
  g_string_append (response, "\r\n");

  if (out_response != NULL)
    *out_response = g_string_free_to_bytes (response);
  else
    g_string_free (response, TRUE);
  if (out_protocol != NULL)
    *out_protocol = g_steal_pointer (&protocol);
  return TRUE;
}

char *
fws_handshake_request_url (gboolean            secure,
                           SoupMessageHeaders *request,
                           const char         *path,
                           const char         *query)
{
  g_return_val_if_fail (request != NULL, NULL);

  return fws_http_request_url ("ws", secure, request, NULL, path, query);
}

/* ---- Client side ---- */

GUri *
fws_handshake_parse_url (const char  *url,
                         GError     **error)
{
  GUri *uri;
  const char *scheme, *host;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (uri != NULL)
    {
      scheme = g_uri_get_scheme (uri);
      host = g_uri_get_host (uri);
      /* g_uri_parse percent-decodes the host ("a%0D%0Ab"), so check it. */
      if ((g_ascii_strcasecmp (scheme, "ws") == 0 || g_ascii_strcasecmp (scheme, "wss") == 0) &&
          fws_http_is_valid_host (host))
        return uri;
      g_uri_unref (uri);
    }

  g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
               _("%s is not a valid WebSocket URL"), url);
  return NULL;
}

char *
fws_handshake_client_key (const guint8 nonce[16])
{
  g_return_val_if_fail (nonce != NULL, NULL);

  return g_base64_encode (nonce, 16);
}

/* Appends a path or query as it is, except for the bytes that cannot be in
 * a request line (spaces, controls, non-ASCII), which are percent-encoded.
 * A GUri from fws_handshake_parse_url () has none: it is G_URI_FLAGS_ENCODED. */
static void
append_target (GString    *out,
               const char *s)
{
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if (c <= 0x20 || c >= 0x7f)
        g_string_append_printf (out, "%%%02X", c);
      else
        g_string_append_c (out, (char) c);
    }
}

static const char * const client_reserved[] = {
  "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
  "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Content-Length",
  "Transfer-Encoding", NULL
};

static const char * const client_reserved_auth[] = {
  "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
  "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Content-Length",
  "Transfer-Encoding", "Authorization", NULL
};

GBytes *
fws_handshake_client_request (GUri               *uri,
                              const char         *key,
                              const char * const *protocols,
                              SoupMessageHeaders *extra_headers,
                              const char         *extensions)
{
  const char *path, *query, *host, *user, *password;
  gboolean secure;
  gboolean with_auth;
  int port;
  GString *request;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (key != NULL && fws_http_is_safe_value (key), NULL);

  secure = g_ascii_strcasecmp (g_uri_get_scheme (uri), "wss") == 0;
  path = g_uri_get_path (uri);
  query = g_uri_get_query (uri);
  host = g_uri_get_host (uri);
  port = g_uri_get_port (uri);
  user = g_uri_get_user (uri);
  password = g_uri_get_password (uri);

  g_return_val_if_fail (fws_http_is_valid_host (host), NULL);

  request = g_string_new ("GET ");
  append_target (request, path != NULL && *path != '\0' ? path : "/");
  if (query != NULL)
    {
      g_string_append_c (request, '?');
      append_target (request, query);
    }
  g_string_append (request, " HTTP/1.1\r\nHost: ");

  fws_http_append_authority (request, host, port, secure ? 443 : 80);
  g_string_append_printf (request, "\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\n"
                          "Sec-WebSocket-Version: 13\r\n",
                          key);

  if (protocols != NULL)
    {
      gboolean first = TRUE;
      guint i;

      for (i = 0; protocols[i] != NULL; i++)
        {
          /* RFC 6455 4.1: each protocol is a token; anything else could
           * break the header, so it is left out. */
          if (!fws_http_is_token (protocols[i]))
            continue;
          g_string_append (request, first ? "Sec-WebSocket-Protocol: " : ", ");
          g_string_append (request, protocols[i]);
          first = FALSE;
        }
      if (!first)
        g_string_append (request, "\r\n");
    }

  with_auth = user != NULL && (*user != '\0' || password != NULL);
  if (with_auth)
    {
      g_autofree char *credentials = fws_http_basic_credentials (user, password);

      g_string_append_printf (request, "Authorization: Basic %s\r\n", credentials);
    }

  fws_http_append_extra_headers (request, extra_headers,
                                 with_auth ? client_reserved_auth : client_reserved,
                                 FWS_HTTP_EXTRA_HEADERS_DEFAULT);
  if (extensions != NULL && fws_http_is_safe_value (extensions))
    g_string_append_printf (request, "Sec-WebSocket-Extensions: %s\r\n", extensions);
  g_string_append (request, "\r\n");
  return g_string_free_to_bytes (request);
}

static gboolean
handshake_failed (GError     **error,
                  const char  *reason)
{
  g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, "%s%s",
               _("Error during WebSocket handshake: "), reason);
  return FALSE;
}

gboolean
fws_handshake_client_check (guint                status,
                            SoupMessageHeaders  *response,
                            const char          *key,
                            const char * const  *protocols,
                            char               **out_protocol,
                            GError             **error)
{
  const char *upgrade, *connection, *accept, *protocol;
  g_autofree char *expected = NULL;

  g_return_val_if_fail (response != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (out_protocol != NULL)
    *out_protocol = NULL;

  if (status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      g_autofree char *reason = g_strdup_printf (_("Unexpected response code: %u"), status);

      return handshake_failed (error, reason);
    }

  upgrade = soup_message_headers_get_list (response, "Upgrade");
  if (upgrade == NULL)
    return handshake_failed (error, _("'Upgrade' header is missing"));
  if (g_ascii_strcasecmp (upgrade, "websocket") != 0)
    return handshake_failed (error, _("'Upgrade' header value is not 'WebSocket'"));

  /* websocket-driver wants exactly "upgrade"; like its server side and
   * RFC 6455 4.1, we take a token list that contains it. */
  connection = soup_message_headers_get_list (response, "Connection");
  if (connection == NULL)
    return handshake_failed (error, _("'Connection' header is missing"));
  if (!soup_header_contains (connection, "upgrade"))
    return handshake_failed (error, _("'Connection' header value is not 'Upgrade'"));

  expected = fws_handshake_accept_key (key);
  accept = soup_message_headers_get_list (response, "Sec-WebSocket-Accept");
  if (accept == NULL || strcmp (accept, expected) != 0)
    return handshake_failed (error, _("Sec-WebSocket-Accept mismatch"));

  /* An empty header still names a protocol we did not offer. */
  protocol = soup_message_headers_get_list (response, "Sec-WebSocket-Protocol");
  if (protocol != NULL)
    {
      if (protocols == NULL || !g_strv_contains (protocols, protocol))
        return handshake_failed (error, _("Sec-WebSocket-Protocol mismatch"));
      if (out_protocol != NULL)
        *out_protocol = g_strdup (protocol);
    }
  return TRUE;
}

gboolean
fws_handshake_origin_allowed (const char         *origin,
                              const char * const *allowed)
{
  return allowed == NULL || origin == NULL || g_strv_contains (allowed, origin);
}

GBytes *
fws_handshake_forbidden_response (void)
{
  static const char response[] = "HTTP/1.1 403 Forbidden\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 19\r\n"
                                 "Connection: close\r\n"
                                 "\r\n"
                                 "Origin not allowed\n";

  return g_bytes_new_static (response, sizeof response - 1);
}
