/* fws-sse.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-sse-private.h"

#include <math.h>
#include <string.h>

#include "fws-error.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-utf8-private.h"

static gboolean
is_ows (char c)
{
  return c == ' ' || c == '\t';
}

gboolean
fws_sse_accept_is_event_stream (const char *accept)
{
  static const char item[] = "text/event-stream";
  const char *p = accept;

  if (accept == NULL)
    return FALSE;

  while (*p != '\0')
    {
      const char *start, *end;

      while (is_ows (*p))
        p++;
      start = p;
      while (*p != '\0' && *p != ',')
        p++;
      end = p;
      while (end > start && is_ows (end[-1]))
        end--;
      if ((gsize) (end - start) == sizeof item - 1 && memcmp (start, item, sizeof item - 1) == 0)
        return TRUE;
      if (*p == ',')
        p++;
    }
  return FALSE;
}

gboolean
fws_sse_is_request (const char         *method,
                    SoupMessageHeaders *request)
{
  g_return_val_if_fail (request != NULL, FALSE);

  if (g_strcmp0 (method, "GET") != 0)
    return FALSE;
  return fws_sse_accept_is_event_stream (soup_message_headers_get_list (request, "Accept"));
}

guint
fws_sse_retry_ms (double seconds)
{
  double ms;

  if (isnan (seconds) || seconds <= 0)
    return 0;
  ms = seconds * 1000.0;
  if (ms >= (double) G_MAXUINT)
    return G_MAXUINT;
  return (guint) ms;   /* truncation is floor () here: ms > 0 */
}

/* The lines the stream writes itself, and those that would change how the
 * body is framed. */
static const char * const sse_reserved[] = {
  "Content-Type", "Cache-Control", "X-Accel-Buffering", "Connection",
  "Content-Length", "Transfer-Encoding", "Content-Encoding", NULL
};

gboolean
fws_sse_header_is_allowed (const char *name,
                           const char *value)
{
  return fws_http_extra_header_is_allowed (name, value, sse_reserved);
}

void
fws_sse_append_head (GString            *out,
                     SoupHTTPVersion     version,
                     SoupMessageHeaders *extra_headers,
                     guint               retry_ms)
{
  g_return_if_fail (out != NULL);

  g_string_append (out, version == SOUP_HTTP_1_0 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n");
  g_string_append (out,
                   "Content-Type: text/event-stream\r\n"
                   "Cache-Control: no-cache, no-store\r\n"
                   "X-Accel-Buffering: no\r\n"
                   "Connection: close\r\n");
  fws_http_append_extra_headers (out, extra_headers, sse_reserved, FWS_HTTP_EXTRA_HEADERS_DEFAULT);
  g_string_append (out, "\r\n");
  fws_sse_append_retry (out, retry_ms);
}

void
fws_sse_append_retry (GString *out,
                      guint    retry_ms)
{
  g_return_if_fail (out != NULL);
  g_string_append_printf (out, "retry: %u\r\n\r\n", retry_ms);
}

void
fws_sse_append_ping (GString *out)
{
  g_return_if_fail (out != NULL);
  g_string_append (out, ":\r\n\r\n");
}

gboolean
fws_sse_check_field (const char  *value,
                     gsize        len,
                     const char  *what,
                     GError     **error)
{
  g_return_val_if_fail (value != NULL || len == 0, FALSE);

  for (gsize i = 0; i < len; i++)
    if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0')
      {
        g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                     /* Translators: %s is "event" or "id", field names of the
                      * text/event-stream format. */
                     _("An EventSource %s must not contain CR, LF or NUL"), what);
        return FALSE;
      }
  if (!fws_utf8_validate ((const guint8 *) value, len))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8,
                   /* Translators: %s is "event" or "id". */
                   _("An EventSource %s must be valid UTF-8"), what);
      return FALSE;
    }
  return TRUE;
}

static void
append_field (GString    *out,
              const char *name,
              const char *value,
              gsize       len)
{
  g_string_append (out, name);
  g_string_append (out, ": ");
  g_string_append_len (out, value, (gssize) len);
  g_string_append (out, "\r\n");
}

gboolean
fws_sse_append_event (GString     *out,
                      const char  *data,
                      gsize        data_len,
                      const char  *event,
                      gssize       event_len,
                      const char  *id,
                      gssize       id_len,
                      GError     **error)
{
  gsize start = 0;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (data != NULL || data_len == 0, FALSE);

  if (event != NULL && event_len < 0)
    event_len = (gssize) strlen (event);
  if (id != NULL && id_len < 0)
    id_len = (gssize) strlen (id);

  if (event != NULL && !fws_sse_check_field (event, (gsize) event_len, "event", error))
    return FALSE;
  if (id != NULL && !fws_sse_check_field (id, (gsize) id_len, "id", error))
    return FALSE;
  if (!fws_utf8_validate ((const guint8 *) data, data_len))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8, _("EventSource data must be valid UTF-8"));
      return FALSE;
    }

  if (event != NULL)
    append_field (out, "event", event, (gsize) event_len);
  if (id != NULL)
    append_field (out, "id", id, (gsize) id_len);

  /* Each CR, LF or CRLF ends a line; the text after the last break (maybe
   * empty) is the last line. */
  for (gsize i = 0; i <= data_len; i++)
    {
      if (i < data_len && data[i] != '\r' && data[i] != '\n')
        continue;
      append_field (out, "data", data + start, i - start);
      if (i < data_len && data[i] == '\r' && i + 1 < data_len && data[i + 1] == '\n')
        i++;
      start = i + 1;
    }
  g_string_append (out, "\r\n");
  return TRUE;
}

char *
fws_sse_last_event_id (const char *value,
                       gssize      len)
{
  if (value == NULL)
    return g_strdup ("");
  if (len < 0)
    len = (gssize) strlen (value);
  if ((gsize) len > FWS_SSE_MAX_LAST_EVENT_ID ||
      memchr (value, '\r', (gsize) len) != NULL ||
      memchr (value, '\n', (gsize) len) != NULL ||
      memchr (value, '\0', (gsize) len) != NULL ||
      !fws_utf8_validate ((const guint8 *) value, (gsize) len))
    return g_strdup ("");
  return g_strndup (value, (gsize) len);
}
