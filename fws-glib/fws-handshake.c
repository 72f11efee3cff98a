/* fws-handshake.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP/1.1 heads and the RFC 6455 opening handshake, sans I/O.
 *
 * Parsing the header lines is left to libsoup; where its rules differ from
 * websocket-driver's own parser (BEHAVIOUR.md 2.4) we keep libsoup's, except
 * where noted:
 *   - any method token is accepted (websocket-driver only knows the eight
 *     methods of RFC 2616); spaces and tabs between the start-line fields
 *     may repeat;
 *   - header lines without a ':' are ignored instead of failing the head,
 *     obs-fold continuation lines are joined with a space, and values may
 *     hold non-ASCII bytes;
 *   - "HTTP/1.1 101\r\n" (no space and no reason after the code) is
 *     accepted; websocket-driver requires the space;
 *   - HTTP/1.0 is accepted (libsoup then drops the headers named in
 *     Connection, so such a request is never a WebSocket upgrade);
 *     HTTP/2.0 and a request with an unknown Expect are refused.
 * We are stricter than libsoup on a response: the status line must start
 * with "HTTP/" (libsoup also takes Shoutcast's "ICY") and the three digits
 * of the code must be followed by a space, a tab or the end of the line
 * (libsoup reads "101x" as 101).
 */
#include "config.h"

#include <string.h>

#include "fws-handshake-private.h"

#include "fws-extensions-private.h"
#include "fws-error.h"
#include "fws-i18n-private.h"

/* ---- Reading an HTTP head out of a byte stream ---- */

struct _FwsHttpHeadReader
{
  gsize     max_head;
  gsize     max_line;
  guint     max_headers;

  GString  *head;        /* the head so far, without the leading empty lines */
  gsize     total;       /* bytes consumed, leading empty lines included */
  gsize     line_len;    /* bytes of the current line so far (a CR counts) */
  guint     n_lines;     /* complete lines, the start line included */
  guint     leading : 1; /* still skipping empty lines before the start line */
  guint     last_cr : 1; /* the last byte of the current line was a CR */
  guint     complete : 1;
  guint     failed : 1;
};

FwsHttpHeadReader *
fws_http_head_reader_new (gsize max_head,
                          gsize max_line,
                          guint max_headers)
{
  FwsHttpHeadReader *reader = g_new0 (FwsHttpHeadReader, 1);

  reader->max_head = max_head;
  reader->max_line = max_line;
  reader->max_headers = max_headers;
  reader->head = g_string_new (NULL);
  reader->leading = TRUE;
  return reader;
}

void
fws_http_head_reader_free (FwsHttpHeadReader *reader)
{
  if (reader == NULL)
    return;
  g_string_free (reader->head, TRUE);
  g_free (reader);
}

static gssize
reader_fail (FwsHttpHeadReader  *reader,
             GError            **error,
             FwsError            code,
             const char         *message)
{
  reader->failed = TRUE;
  g_set_error_literal (error, FWS_ERROR, code, message);
  return -1;
}

gssize
fws_http_head_reader_feed (FwsHttpHeadReader  *reader,
                           const guint8       *data,
                           gsize               len,
                           GError            **error)
{
  gsize start = 0;
  gsize i;

  g_return_val_if_fail (reader != NULL, -1);
  g_return_val_if_fail (data != NULL || len == 0, -1);
  g_return_val_if_fail (!reader->complete, -1);
  g_return_val_if_fail (!reader->failed, -1);

  for (i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (++reader->total > reader->max_head)
        return reader_fail (reader, error, FWS_ERROR_TOO_LARGE, _("HTTP head too large"));
      if (c == '\0')
        return reader_fail (reader, error, FWS_ERROR_HANDSHAKE, _("HTTP head contains a NUL byte"));

      if (reader->leading)
        {
          /* Empty lines before the start line are skipped (RFC 7230 3.5),
           * as libsoup's parsers skip any CR and LF there. */
          if (c == '\r' || c == '\n')
            {
              start = i + 1;
              continue;
            }
          reader->leading = FALSE;
        }

      if (c == '\n')
        {
          gboolean empty = reader->line_len == 0 ||
                           (reader->line_len == 1 && reader->last_cr);

          if (empty)
            {
              /* The start line is never empty, so this ends the head. */
              g_string_append_len (reader->head, (const char *) data + start, i + 1 - start);
              reader->complete = TRUE;
              return (gssize) (i + 1);
            }
          /* n_lines counts the start line, so it is the number of header
           * lines once this one is done. */
          if (reader->n_lines > reader->max_headers)
            return reader_fail (reader, error, FWS_ERROR_TOO_LARGE, _("Too many HTTP headers"));
          reader->n_lines++;
          reader->line_len = 0;
          reader->last_cr = FALSE;
          continue;
        }

      /* A line may hold max_line bytes plus the CR of its CRLF. */
      reader->line_len++;
      if (reader->line_len > reader->max_line &&
          (reader->line_len > reader->max_line + 1 || c != '\r'))
        return reader_fail (reader, error, FWS_ERROR_TOO_LARGE, _("HTTP header line too long"));
      reader->last_cr = (c == '\r');
    }

  if (start < len)
    g_string_append_len (reader->head, (const char *) data + start, len - start);
  return 0;
}

const char *
fws_http_head_reader_get_head (FwsHttpHeadReader *reader,
                               gsize             *len)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (reader->complete, NULL);

  if (len != NULL)
    *len = reader->head->len;
  return reader->head->str;
}

/* ---- Parsing a complete head ---- */

/* libsoup reads up to the first NUL in places, so hand it a NUL-terminated
 * copy and refuse a head that holds one. */
static char *
head_dup (const char *head,
          gsize       len)
{
  if (len == 0 || len > G_MAXINT || memchr (head, '\0', len) != NULL)
    return NULL;
  return g_strndup (head, len);
}

/* The stricter checks described at the top of this file. */
static gboolean
status_line_is_strict (const char *line)
{
  const char *p;

  while (*line == '\r' || *line == '\n')
    line++;
  if (strncmp (line, "HTTP/", 5) != 0)
    return FALSE;
  p = line + 5;
  while (g_ascii_isdigit (*p) || *p == '.')
    p++;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2]))
    return FALSE;
  p += 3;
  return *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
}

gboolean
fws_http_parse_response (const char          *head,
                         gsize                len,
                         guint               *status,
                         char               **reason,
                         SoupMessageHeaders **headers,
                         GError             **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *phrase = NULL;
  SoupMessageHeaders *parsed;
  guint code = 0;

  g_return_val_if_fail (head != NULL || len == 0, FALSE);

  copy = head_dup (head, len);
  parsed = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (copy == NULL ||
      !soup_headers_parse_response (copy, (int) len, parsed, NULL, &code, &phrase) ||
      !status_line_is_strict (copy))
    {
      soup_message_headers_unref (parsed);
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Invalid HTTP response"));
      return FALSE;
    }

  if (status != NULL)
    *status = code;
  if (reason != NULL)
    *reason = g_steal_pointer (&phrase);
  if (headers != NULL)
    *headers = parsed;
  else
    soup_message_headers_unref (parsed);
  return TRUE;
}

gboolean
fws_http_parse_request (const char          *head,
                        gsize                len,
                        char               **method,
                        char               **path,
                        SoupHTTPVersion     *version,
                        SoupMessageHeaders **headers,
                        GError             **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *req_method = NULL;
  g_autofree char *req_path = NULL;
  SoupMessageHeaders *parsed;
  SoupHTTPVersion ver = SOUP_HTTP_1_1;
  guint code = SOUP_STATUS_BAD_REQUEST;

  g_return_val_if_fail (head != NULL || len == 0, FALSE);

  copy = head_dup (head, len);
  parsed = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  if (copy != NULL)
    code = soup_headers_parse_request (copy, (int) len, parsed, &req_method, &req_path, &ver);
  if (code != SOUP_STATUS_OK)
    {
      soup_message_headers_unref (parsed);
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Invalid HTTP request"));
      return FALSE;
    }

  if (method != NULL)
    *method = g_steal_pointer (&req_method);
  if (path != NULL)
    *path = g_steal_pointer (&req_path);
  if (version != NULL)
    *version = ver;
  if (headers != NULL)
    *headers = parsed;
  else
    soup_message_headers_unref (parsed);
  return TRUE;
}

/* ---- Validators shared by both sides ---- */

gboolean
fws_http_is_tchar (guchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", (char) c) != NULL);
}

gboolean
fws_http_is_token (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!fws_http_is_tchar ((guchar) *s))
      return FALSE;
  return TRUE;
}

gboolean
fws_http_is_safe_value (const char *s)
{
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return FALSE;
    }
  return TRUE;
}

/* A DNS name or IPv4 address: letters, digits, '-', '.', '_', '~'. */
static gboolean
is_valid_reg_name (const char *s,
                   gsize       len)
{
  gsize i;

  if (len == 0 || len > 255)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_' && s[i] != '~')
      return FALSE;
  return TRUE;
}

/* An IPv6 address without brackets, with an optional zone ("%eth0" or the
 * URI form "%25eth0"). */
static gboolean
is_valid_ipv6 (const char *s,
               gsize       len)
{
  g_autofree char *addr = NULL;
  const char *zone;
  gsize i;

  if (len == 0 || len > 100 || memchr (s, ':', len) == NULL)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != ':' && s[i] != '.' && s[i] != '%' &&
        s[i] != '-' && s[i] != '_' && s[i] != '~')
      return FALSE;
  addr = g_strndup (s, len);
  zone = strchr (addr, '%');
  if (zone != NULL)
    {
      if (zone[1] == '\0' || strchr (zone + 1, '%') != NULL)
        return FALSE;
      addr[zone - addr] = '\0';
    }
  return g_hostname_is_ip_address (addr) && strchr (addr, ':') != NULL;
}

/* 1 to 65535, in at most five digits. */
static gboolean
is_valid_port (const char *s)
{
  guint value = 0;
  gsize i;

  for (i = 0; s[i] != '\0'; i++)
    {
      if (i >= 5 || !g_ascii_isdigit (s[i]))
        return FALSE;
      value = value * 10 + (guint) (s[i] - '0');
    }
  return i > 0 && value >= 1 && value <= 65535;
}

/* A Host header: host, host:port, [v6] or [v6]:port. */
static gboolean
is_valid_host_header (const char *host)
{
  const char *port = NULL;

  if (host == NULL)
    return FALSE;
  if (host[0] == '[')
    {
      const char *end = strchr (host, ']');

      if (end == NULL || !is_valid_ipv6 (host + 1, (gsize) (end - host - 1)))
        return FALSE;
      if (end[1] == '\0')
        return TRUE;
      if (end[1] != ':')
        return FALSE;
      port = end + 2;
    }
  else
    {
      const char *colon = strchr (host, ':');
      gsize len = colon != NULL ? (gsize) (colon - host) : strlen (host);

      if (!is_valid_reg_name (host, len))
        return FALSE;
      if (colon != NULL)
        port = colon + 1;
    }
  return port == NULL || is_valid_port (port);
}

static gboolean
name_in (const char         *name,
         const char * const *names)
{
  for (; *names != NULL; names++)
    if (g_ascii_strcasecmp (name, *names) == 0)
      return TRUE;
  return FALSE;
}

/* Appends the custom headers that are well formed and not in @reserved. */
static void
append_extra_headers (GString            *out,
                      SoupMessageHeaders *extra_headers,
                      const char * const *reserved)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;

  if (extra_headers == NULL)
    return;
  soup_message_headers_iter_init (&iter, extra_headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (name_in (name, reserved))
        continue;
      if (!fws_http_is_token (name) || !fws_http_is_safe_value (value))
        {
          g_debug ("Dropping the malformed custom header %s", fws_http_is_token (name) ? name : "(invalid name)");
          continue;
        }
      g_string_append_printf (out, "%s: %s\r\n", name, value);
    }
}

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
  if (host != NULL && !is_valid_host_header (host))
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
  append_extra_headers (response, extra_headers, server_reserved);
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

static gboolean
is_on (SoupMessageHeaders *headers,
       const char         *name,
       const char         *value)
{
  const char *found = soup_message_headers_get_list (headers, name);

  return found != NULL && g_ascii_strcasecmp (found, value) == 0;
}

char *
fws_handshake_request_url (gboolean            secure,
                           SoupMessageHeaders *request,
                           const char         *path,
                           const char         *query)
{
  const char *host;

  g_return_val_if_fail (request != NULL, NULL);

  host = soup_message_headers_get_list (request, "Host");
  if (!is_valid_host_header (host))
    return NULL;

  secure = secure ||
           is_on (request, "X-Forwarded-Ssl", "on") ||
           is_on (request, "X-Forwarded-Scheme", "https") ||
           is_on (request, "X-Forwarded-Proto", "https");

  return g_strconcat (secure ? "wss://" : "ws://", host,
                      path != NULL ? path : "",
                      query != NULL && *query != '\0' ? "?" : "",
                      query != NULL ? query : "",
                      NULL);
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
          host != NULL &&
          (is_valid_reg_name (host, strlen (host)) || is_valid_ipv6 (host, strlen (host))))
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

/* user:password, percent-decoded, in base64. */
static char *
basic_credentials (const char *user,
                   const char *password)
{
  GByteArray *plain = g_byte_array_new ();
  const char *parts[2] = { user, password != NULL ? password : "" };
  char *encoded;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr(GBytes) decoded = g_uri_unescape_bytes (parts[i], -1, NULL, NULL);

      if (i > 0)
        g_byte_array_append (plain, (const guint8 *) ":", 1);
      if (decoded != NULL)
        g_byte_array_append (plain, g_bytes_get_data (decoded, NULL), (guint) g_bytes_get_size (decoded));
      else
        g_byte_array_append (plain, (const guint8 *) parts[i], (guint) strlen (parts[i]));
    }
  encoded = g_base64_encode (plain->data, plain->len);
  g_byte_array_unref (plain);
  return encoded;
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

  g_return_val_if_fail (host != NULL &&
                        (is_valid_reg_name (host, strlen (host)) || is_valid_ipv6 (host, strlen (host))),
                        NULL);

  request = g_string_new ("GET ");
  append_target (request, path != NULL && *path != '\0' ? path : "/");
  if (query != NULL)
    {
      g_string_append_c (request, '?');
      append_target (request, query);
    }
  g_string_append (request, " HTTP/1.1\r\nHost: ");

  if (strchr (host, ':') != NULL)
    {
      /* An IPv6 literal; GUri decoded its zone, which goes back to the URI
       * form "%25zone" (RFC 6874). */
      g_auto(GStrv) pieces = g_strsplit (host, "%", 2);

      g_string_append_printf (request, "[%s", pieces[0]);
      if (pieces[1] != NULL)
        g_string_append_printf (request, "%%25%s", pieces[1]);
      g_string_append_c (request, ']');
    }
  else
    g_string_append (request, host);
  if (port > 0 && port != (secure ? 443 : 80))
    g_string_append_printf (request, ":%d", port);

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
      g_autofree char *credentials = basic_credentials (user, password);

      g_string_append_printf (request, "Authorization: Basic %s\r\n", credentials);
    }

  append_extra_headers (request, extra_headers,
                        with_auth ? client_reserved_auth : client_reserved);
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
