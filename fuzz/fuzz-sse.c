/* fuzz-sse.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The EventSource (text/event-stream) formatter and validators. Input:
 *   byte 0  the event name's length (255: no event name);
 *   byte 1  the id's length (255: no id);
 *   then    the event name, the id, and the data (the rest).
 * Checks, against the HTML standard's event stream parser written here: an
 * event is refused iff its name or id has CR, LF or NUL or is not UTF-8, or
 * its data is not UTF-8 (and then nothing is appended); an accepted event
 * reads back as exactly one event with that name, that id, and the data
 * with each CR, LF or CRLF turned into LF. Also fws_sse_last_event_id,
 * fws_sse_accept_is_event_stream and fws_sse_retry_ms against plain
 * models, and fws_sse_header_is_allowed / fws_sse_append_head with the
 * name and id as a custom header (the head stays well formed).
 */
#include "fuzz-common.h"

#include <math.h>

#include "fws-error.h"
#include "fws-sse-private.h"

static gboolean
field_ok (const guint8 *p, gsize len)
{
  return memchr (p, '\r', len) == NULL && memchr (p, '\n', len) == NULL &&
         memchr (p, '\0', len) == NULL && g_utf8_validate ((const char *) p, (gssize) len, NULL);
}

/* The event stream interpretation of the HTML standard, for one event that
 * must end exactly at the end of @s. */
static void
parse_stream (const char *s, gsize len, GString **event, GString **id, GString *data, gboolean *dispatched)
{
  gsize i = 0;

  *dispatched = FALSE;
  while (i < len)
    {
      gsize start = i, end, colon;
      const char *value;
      gsize vlen;

      FUZZ_CHECK (!*dispatched);   /* nothing after the blank line */
      while (i < len && s[i] != '\r' && s[i] != '\n')
        i++;
      end = i;
      /* Our lines end in CRLF. */
      FUZZ_CHECK (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n');
      i += 2;
      if (end == start)
        {
          *dispatched = TRUE;
          continue;
        }
      FUZZ_CHECK (s[start] != ':');   /* no comments in events */
      for (colon = start; colon < end && s[colon] != ':'; colon++)
        ;
      FUZZ_CHECK (colon < end);
      value = s + colon + 1;
      vlen = end - colon - 1;
      if (vlen > 0 && value[0] == ' ')
        {
          value++;
          vlen--;
        }
      if (colon - start == 5 && memcmp (s + start, "event", 5) == 0)
        {
          FUZZ_CHECK (*event == NULL);
          *event = g_string_new_len (value, (gssize) vlen);
        }
      else if (colon - start == 2 && memcmp (s + start, "id", 2) == 0)
        {
          FUZZ_CHECK (*id == NULL);
          *id = g_string_new_len (value, (gssize) vlen);
        }
      else if (colon - start == 4 && memcmp (s + start, "data", 4) == 0)
        {
          g_string_append_len (data, value, (gssize) vlen);
          g_string_append_c (data, '\n');
        }
      else
        FUZZ_CHECK (!"an unknown field");
    }
  if (data->len > 0)
    g_string_truncate (data, data->len - 1);   /* the last LF */
}

static GString *
normalize_newlines (const guint8 *p, gsize len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    if (p[i] == '\r')
      {
        g_string_append_c (s, '\n');
        if (i + 1 < len && p[i + 1] == '\n')
          i++;
      }
    else
      g_string_append_c (s, (char) p[i]);
  return s;
}

static void
check_event (const guint8 *event, gsize event_len, const guint8 *id, gsize id_len,
             const guint8 *data, gsize data_len)
{
  GString *out = g_string_new ("prefix");
  GError *error = NULL;
  gboolean want = (event == NULL || field_ok (event, event_len)) &&
                  (id == NULL || field_ok (id, id_len)) &&
                  fuzz_utf8_ok (data, data_len);
  gboolean ok = fws_sse_append_event (out, (const char *) data, data_len,
                                      (const char *) event, (gssize) event_len,
                                      (const char *) id, (gssize) id_len, &error);

  FUZZ_CHECK (ok == want);
  if (!ok)
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT) ||
                  g_error_matches (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8));
      FUZZ_CHECK (out->len == 6);   /* nothing appended */
      g_clear_error (&error);
    }
  else
    {
      GString *got_event = NULL, *got_id = NULL, *got_data = g_string_new (NULL);
      GString *want_data = normalize_newlines (data, data_len);
      gboolean dispatched;

      FUZZ_CHECK (error == NULL);
      parse_stream (out->str + 6, out->len - 6, &got_event, &got_id, got_data, &dispatched);
      FUZZ_CHECK (dispatched);
      FUZZ_CHECK ((got_event != NULL) == (event != NULL));
      if (event != NULL)
        FUZZ_CHECK (got_event->len == event_len && memcmp (got_event->str, event, event_len) == 0);
      FUZZ_CHECK ((got_id != NULL) == (id != NULL));
      if (id != NULL)
        FUZZ_CHECK (got_id->len == id_len && memcmp (got_id->str, id, id_len) == 0);
      FUZZ_CHECK (g_string_equal (got_data, want_data));
      if (got_event)
        g_string_free (got_event, TRUE);
      if (got_id)
        g_string_free (got_id, TRUE);
      g_string_free (got_data, TRUE);
      g_string_free (want_data, TRUE);
    }
  g_string_free (out, TRUE);

  /* The same fields checked alone. */
  if (event != NULL)
    {
      ok = fws_sse_check_field ((const char *) event, event_len, "event", &error);
      FUZZ_CHECK (ok == field_ok (event, event_len));
      g_clear_error (&error);
    }
}

static void
check_last_event_id (const guint8 *p, gsize len)
{
  char *got = fws_sse_last_event_id ((const char *) p, (gssize) len);
  gboolean keep = len <= FWS_SSE_MAX_LAST_EVENT_ID && field_ok (p, len);

  if (keep)
    FUZZ_CHECK (strlen (got) == len && memcmp (got, p, len) == 0);
  else
    FUZZ_CHECK (got[0] == '\0');
  g_free (got);
}

static void
check_accept (const char *accept)
{
  gboolean want = FALSE;
  char **items = g_strsplit (accept, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *a = items[i];
      gsize n = strlen (a);

      while (*a == ' ' || *a == '\t')
        a++, n--;
      while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
        n--;
      if (n == strlen ("text/event-stream") && memcmp (a, "text/event-stream", n) == 0)
        want = TRUE;
    }
  g_strfreev (items);
  FUZZ_CHECK (fws_sse_accept_is_event_stream (accept) == want);
}

static void
check_retry (const guint8 *p, gsize len)
{
  double seconds;
  guint want;

  if (len < sizeof seconds)
    return;
  memcpy (&seconds, p, sizeof seconds);
  if (isnan (seconds) || seconds <= 0)
    want = 0;
  else if (seconds * 1000.0 >= (double) G_MAXUINT)
    want = G_MAXUINT;
  else
    want = (guint) floor (seconds * 1000.0);
  FUZZ_CHECK (fws_sse_retry_ms (seconds) == want);
}

static void
check_head (const guint8 *name, gsize name_len, const guint8 *value, gsize value_len)
{
  char *n = g_strndup ((const char *) name, name_len);
  char *v = g_strndup ((const char *) value, value_len);

  if (fws_sse_header_is_allowed (n, v))
    {
      SoupMessageHeaders *extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      GString *out = g_string_new (NULL);
      gsize head;

      soup_message_headers_append (extra, n, v);
      fws_sse_append_head (out, SOUP_HTTP_1_1, extra, 3000);
      head = fuzz_check_written_head (out->str, out->len);
      FUZZ_CHECK (strcmp (out->str + head, "retry: 3000\r\n\r\n") == 0);
      g_string_free (out, TRUE);
      soup_message_headers_unref (extra);
    }
  g_free (n);
  g_free (v);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize event_len, id_len;
  const guint8 *event, *id, *rest;
  gsize rest_len;
  char *text;

  if (size < 2)
    return 0;
  event_len = data[0] == 255 ? 0 : data[0];
  id_len = data[1] == 255 ? 0 : data[1];
  data += 2;
  size -= 2;
  event_len = MIN (event_len, size);
  id_len = MIN (id_len, size - event_len);
  event = data;
  id = data + event_len;
  rest = id + id_len;
  rest_len = size - event_len - id_len;

  check_event (data[-2] == 255 ? NULL : event, event_len, data[-1] == 255 ? NULL : id, id_len,
               rest, rest_len);
  check_last_event_id (rest, rest_len);
  text = fuzz_strndup (rest, rest_len);
  check_accept (text);
  g_free (text);
  check_retry (rest, rest_len);
  check_head (event, event_len, id, id_len);
  return 0;
}
