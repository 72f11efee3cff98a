/* fws-hixie.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-hixie-private.h"

#include <string.h>

#include "fws-error.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-utf8-private.h"

FwsWsVersion
fws_hixie_detect (SoupMessageHeaders *request)
{
  if (soup_message_headers_get_one (request, "Sec-WebSocket-Version") != NULL ||
      soup_message_headers_get_one (request, "Sec-WebSocket-Key") != NULL)
    return FWS_WS_VERSION_HYBI_13;
  if (soup_message_headers_get_one (request, "Sec-WebSocket-Key1") != NULL ||
      soup_message_headers_get_one (request, "Sec-WebSocket-Key2") != NULL)
    return FWS_WS_VERSION_HIXIE_76;
  return FWS_WS_VERSION_HIXIE_75;
}

const char *
fws_ws_version_to_string (FwsWsVersion version)
{
  switch (version)
    {
    case FWS_WS_VERSION_HIXIE_75:
      return "hixie-75";
    case FWS_WS_VERSION_HIXIE_76:
      return "hixie-76";
    case FWS_WS_VERSION_HYBI_13:
    default:
      return "hybi-13";
    }
}

gboolean
fws_hixie_key_value (const char *key,
                     guint32    *value)
{
  guint64 number = 0;
  guint64 spaces = 0;
  gboolean digits = FALSE;

  for (const char *p = key; *p; p++)
    {
      if (*p >= '0' && *p <= '9')
        {
          guint d = (guint) (*p - '0');

          if (number > (G_MAXUINT64 - d) / 10)
            return FALSE;
          number = number * 10 + d;
          digits = TRUE;
        }
      else if (*p == ' ')
        spaces++;
    }
  if (!digits || spaces == 0 || number % spaces != 0 || number / spaces > G_MAXUINT32)
    return FALSE;
  *value = (guint32) (number / spaces);
  return TRUE;
}

/* The handshake's own lines, every header of the handshake's families, and
 * the framing headers (the frames follow the head). */
static const char * const hixie_reserved[] = {
  "Upgrade", "Connection", "Content-Length", "Transfer-Encoding",
  "Sec-WebSocket-*", "WebSocket-*", NULL
};

char *
fws_hixie_select_protocol (FwsWsVersion        version,
                           SoupMessageHeaders *request,
                           const char * const *protocols)
{
  const char *name = version == FWS_WS_VERSION_HIXIE_76 ? "Sec-WebSocket-Protocol" : "WebSocket-Protocol";
  const char *wanted = soup_message_headers_get_one (request, name);

  if (wanted == NULL || *wanted == '\0' || protocols == NULL || !fws_http_is_safe_value (wanted))
    return NULL;
  for (guint i = 0; protocols[i] != NULL; i++)
    if (g_str_equal (protocols[i], wanted))
      return g_strdup (wanted);
  return NULL;
}

GBytes *
fws_hixie_response (FwsWsVersion        version,
                    const char         *url,
                    const char         *protocol,
                    SoupMessageHeaders *request,
                    SoupMessageHeaders *extra_headers)
{
  GString *s = g_string_new (NULL);
  const char *origin = soup_message_headers_get_one (request, "Origin");
  gboolean v76 = version == FWS_WS_VERSION_HIXIE_76;

  g_string_append (s, v76 ? "HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
                          : "HTTP/1.1 101 Web Socket Protocol Handshake\r\n");
  g_string_append (s, "Upgrade: WebSocket\r\nConnection: Upgrade\r\n");
  if (origin && fws_http_is_safe_value (origin))
    g_string_append_printf (s, "%s: %s\r\n", v76 ? "Sec-WebSocket-Origin" : "WebSocket-Origin", origin);
  if (url && fws_http_is_safe_value (url))
    g_string_append_printf (s, "%s: %s\r\n", v76 ? "Sec-WebSocket-Location" : "WebSocket-Location", url);
  if (protocol && fws_http_is_safe_value (protocol))
    g_string_append_printf (s, "%s: %s\r\n", v76 ? "Sec-WebSocket-Protocol" : "WebSocket-Protocol", protocol);
  fws_http_append_extra_headers (s, extra_headers, hixie_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT);
  g_string_append (s, "\r\n");
  return g_string_free_to_bytes (s);
}

static GBytes *
bad_request (const char *body)
{
  GString *s = g_string_new ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n");

  g_string_append_printf (s, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s", strlen (body), body);
  return g_string_free_to_bytes (s);
}

gboolean
fws_hixie76_check_keys (SoupMessageHeaders *request,
                        guint32            *value1,
                        guint32            *value2,
                        GBytes            **out_response,
                        GError            **error)
{
  const char *key1 = soup_message_headers_get_one (request, "Sec-WebSocket-Key1");
  const char *key2 = soup_message_headers_get_one (request, "Sec-WebSocket-Key2");

  if (key1 == NULL || key2 == NULL)
    {
      const char *name = key1 == NULL ? "Sec-WebSocket-Key1" : "Sec-WebSocket-Key2";
      g_autofree char *body = g_strdup_printf ("Missing required header: %s", name);

      g_set_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, _("Missing required header: %s"), name);
      if (out_response)
        *out_response = bad_request (body);
      return FALSE;
    }
  if (!fws_hixie_key_value (key1, value1) || !fws_hixie_key_value (key2, value2))
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE,
                           _("Client sent invalid Sec-WebSocket-Key headers"));
      if (out_response)
        *out_response = bad_request ("Client sent invalid Sec-WebSocket-Key headers");
      return FALSE;
    }
  return TRUE;
}

void
fws_hixie76_answer (guint32      value1,
                    guint32      value2,
                    const guint8 key3[8],
                    guint8       out[16])
{
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 buf[16];
  gsize len = 16;

  buf[0] = (guint8) (value1 >> 24);
  buf[1] = (guint8) (value1 >> 16);
  buf[2] = (guint8) (value1 >> 8);
  buf[3] = (guint8) value1;
  buf[4] = (guint8) (value2 >> 24);
  buf[5] = (guint8) (value2 >> 16);
  buf[6] = (guint8) (value2 >> 8);
  buf[7] = (guint8) value2;
  memcpy (buf + 8, key3, 8);
  g_checksum_update (md5, buf, sizeof buf);
  g_checksum_get_digest (md5, out, &len);
  g_assert (len == 16);
}

/* ---- Framing ---- */

typedef enum
{
  STAGE_IDLE,
  STAGE_TEXT,         /* collecting a text frame until 0xFF */
  STAGE_LENGTH_FIRST, /* after a frame type with the high bit set */
  STAGE_LENGTH,       /* more base-128 length bytes */
  STAGE_SKIP,         /* skipping a length-prefixed frame's payload */
  STAGE_DONE,         /* stopped or failed: input is ignored */
} Stage;

struct _FwsHixieParser
{
  FwsWsVersion      version;
  guint64           max_length;
  FwsHixieCallbacks callbacks;
  gpointer          user_data;

  Stage             stage;
  guint64           length;
  guint8           *text;       /* (owned) (nullable) the text frame so far */
  gsize             text_len;   /* gsize, not a GByteArray's guint: no abort past 4 GiB */
  gsize             text_alloc;
  FwsUtf8Validator  utf8;
};

FwsHixieParser *
fws_hixie_parser_new (FwsWsVersion             version,
                      guint64                  max_length,
                      const FwsHixieCallbacks *callbacks,
                      gpointer                 user_data)
{
  FwsHixieParser *p = g_new0 (FwsHixieParser, 1);

  fws_i18n_init ();
  p->version = version;
  p->max_length = max_length;
  p->callbacks = *callbacks;
  p->user_data = user_data;
  p->stage = STAGE_IDLE;
  return p;
}

void
fws_hixie_parser_free (FwsHixieParser *p)
{
  if (p == NULL)
    return;
  g_free (p->text);
  g_free (p);
}

void
fws_hixie_parser_set_max_length (FwsHixieParser *p,
                                 guint64         max_length)
{
  p->max_length = max_length;
}

void
fws_hixie_parser_stop (FwsHixieParser *p)
{
  p->stage = STAGE_DONE;
  g_clear_pointer (&p->text, g_free);
  p->text_len = p->text_alloc = 0;
}

static gboolean
fail (FwsHixieParser *p,
      GError        **error,
      gint            code,
      const char     *message)
{
  fws_hixie_parser_stop (p);
  g_set_error_literal (error, FWS_ERROR, code, message);
  return FALSE;
}

/* One byte of a base-128 length; the length is bounded by max-length as it
 * grows, so an endless prefix ends the connection (CVE-2026-54466). */
static gboolean
take_length_byte (FwsHixieParser *p,
                  guint8          b,
                  GError        **error)
{
  if (p->length > (G_MAXUINT64 >> 7))
    return fail (p, error, FWS_ERROR_TOO_LARGE, _("WebSocket frame length too large"));
  p->length = (p->length << 7) | (b & 0x7F);
  if (p->length > p->max_length)
    return fail (p, error, FWS_ERROR_TOO_LARGE, _("WebSocket frame length too large"));
  if (b & 0x80)
    p->stage = STAGE_LENGTH;
  else
    p->stage = p->length == 0 ? STAGE_IDLE : STAGE_SKIP;
  return TRUE;
}

gboolean
fws_hixie_parser_feed (FwsHixieParser *p,
                       const guint8   *data,
                       gsize           len,
                       GError        **error)
{
  gsize i = 0;

  while (i < len)
    {
      guint8 b;

      switch (p->stage)
        {
        case STAGE_DONE:
          return TRUE;

        case STAGE_IDLE:
          b = data[i++];
          if (b & 0x80)
            {
              p->stage = STAGE_LENGTH_FIRST;
              p->length = 0;
            }
          else
            {
              p->stage = STAGE_TEXT;
              p->text_len = 0;
              fws_utf8_validator_init (&p->utf8);
            }
          break;

        case STAGE_TEXT:
          {
            const guint8 *end = memchr (data + i, 0xFF, len - i);
            gsize n = end ? (gsize) (end - (data + i)) : len - i;

            if ((guint64) p->text_len + n > p->max_length || n >= G_MAXSIZE / 2 - p->text_len)
              return fail (p, error, FWS_ERROR_TOO_LARGE, _("WebSocket frame length too large"));
            if (!fws_utf8_validator_feed (&p->utf8, data + i, n))
              return fail (p, error, FWS_ERROR_INVALID_UTF8, _("Could not decode a text frame as UTF-8"));
            if (p->text_len + n + 1 > p->text_alloc)
              {
                /* Room for the NUL too; geometric growth. */
                gsize want = MAX (p->text_len + n + 1, MAX (p->text_alloc * 2, 64));
                guint8 *grown = g_try_realloc (p->text, want);

                if (grown == NULL)
                  return fail (p, error, FWS_ERROR_TOO_LARGE, _("WebSocket frame length too large"));
                p->text = grown;
                p->text_alloc = want;
              }
            memcpy (p->text + p->text_len, data + i, n);
            p->text_len += n;
            i += n;
            if (end)
              {
                g_autoptr(GBytes) msg = NULL;

                i++;   /* the 0xFF */
                if (!fws_utf8_validator_finish (&p->utf8))
                  return fail (p, error, FWS_ERROR_INVALID_UTF8, _("Could not decode a text frame as UTF-8"));
                if (p->text == NULL)
                  p->text = g_malloc (1);
                p->text[p->text_len] = '\0';
                msg = g_bytes_new_take (g_steal_pointer (&p->text), p->text_len);
                p->text_len = p->text_alloc = 0;
                p->stage = STAGE_IDLE;
                p->callbacks.message (p->user_data, msg);
              }
          }
          break;

        case STAGE_LENGTH_FIRST:
          b = data[i++];
          if (b == 0x00 && p->version == FWS_WS_VERSION_HIXIE_76)
            {
              /* 0xFF 0x00: the closing frame. */
              p->stage = STAGE_DONE;
              p->callbacks.close (p->user_data);
              return TRUE;
            }
          if (!take_length_byte (p, b, error))
            return FALSE;
          break;

        case STAGE_LENGTH:
          if (!take_length_byte (p, data[i++], error))
            return FALSE;
          break;

        case STAGE_SKIP:
          {
            gsize n = (gsize) MIN ((guint64) (len - i), p->length);

            i += n;
            p->length -= n;
            if (p->length == 0)
              p->stage = STAGE_IDLE;
          }
          break;
        }
    }
  return TRUE;
}

GBytes *
fws_hixie_text_frame (const guint8 *text,
                      gsize         len)
{
  guint8 *buf = g_malloc (len + 2);

  buf[0] = 0x00;
  if (len)
    memcpy (buf + 1, text, len);
  buf[len + 1] = 0xFF;
  return g_bytes_new_take (buf, len + 2);
}
