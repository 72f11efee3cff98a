/* fuzz-sse-parser.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The EventSource client's event stream parser (FwsSseParser). Input:
 *   byte 0  the split (fuzz-common.h);
 *   byte 1  flags: bits 0-1 max_line (4096, 7, 16, 64); bits 2-3 max_event
 *           (1 MiB, 5, 32, 256); bit 4 start from the last event ID "prev";
 *   then    the stream.
 * Checks: every event is well formed (type not empty, type and data UTF-8,
 * a NUL after the data, data at most max_event bytes, last event ID UTF-8
 * without NUL), the parser's memory stays within its bound after every
 * feed, and the events, the error and the last event ID are the same when
 * the stream is fed split as the input says and one byte at a time.
 * Against a plain model of the HTML standard written here, which decodes
 * the whole stream first (the Encoding standard's UTF-8 decoder) and only
 * then splits lines: without a failure the events and the last event ID
 * are the model's; a failure (FWS_ERROR_TOO_LARGE) happens iff a raw line
 * is longer than max_line or the model's data buffer ever holds more than
 * max_event bytes (its last LF not counted), and the events before it are
 * a prefix of the model's.
 */
#include "fuzz-common.h"

#include "fws-error.h"
#include "fws-sse-parser-private.h"

static const gsize max_lines[4] = { 4096, 7, 16, 64 };
static const gsize max_events[4] = { 1024 * 1024, 5, 32, 256 };

/* One event in a transcript: kind, then length-prefixed fields. */
static void
append_field (GString *t, const char *p, gsize len)
{
  g_string_append_printf (t, "%" G_GSIZE_FORMAT ":", len);
  g_string_append_len (t, p, (gssize) len);
}

static void
append_message (GString *t, const char *type, gsize type_len, const char *data, gsize data_len,
                const char *id)
{
  g_string_append_c (t, 'M');
  append_field (t, type, type_len);
  append_field (t, data, data_len);
  append_field (t, id, strlen (id));
  g_string_append_c (t, ';');
}

static void
append_retry (GString *t, guint64 ms)
{
  g_string_append_printf (t, "R%" G_GUINT64_FORMAT ";", ms);
}

/* ---- The parser, fed in pieces ---- */

typedef struct
{
  GString  *events;
  gboolean  failed;
  char     *last_id;
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_string_free (o->events, TRUE);
  g_free (o->last_id);
}

static void
take (GQueue *queue, gsize max_event, GString *t)
{
  FwsSseParserEvent *e;

  while ((e = g_queue_pop_head (queue)) != NULL)
    {
      if (e->kind == FWS_SSE_PARSER_MESSAGE)
        {
          gsize size, type_len = g_ref_string_length (e->type);
          const char *data = g_bytes_get_data (e->data, &size);
          gsize id_len = g_ref_string_length (e->last_event_id);

          FUZZ_CHECK (size <= max_event);
          FUZZ_CHECK (data != NULL && data[size] == '\0');
          FUZZ_CHECK (fuzz_utf8_ok (data, size));
          FUZZ_CHECK (type_len > 0 && e->type[type_len] == '\0');
          FUZZ_CHECK (fuzz_utf8_ok (e->type, type_len));
          FUZZ_CHECK (memchr (e->last_event_id, '\0', id_len) == NULL);
          FUZZ_CHECK (g_utf8_validate (e->last_event_id, (gssize) id_len, NULL));
          append_message (t, e->type, type_len, data, size, e->last_event_id);
        }
      else
        {
          FUZZ_CHECK (e->kind == FWS_SSE_PARSER_RETRY);
          FUZZ_CHECK (e->type == NULL && e->data == NULL && e->last_event_id == NULL);
          append_retry (t, e->retry_ms);
        }
      fws_sse_parser_event_free (e);
    }
}

static void
run_parser (const uint8_t *data, size_t size, guint max_piece, gsize max_line, gsize max_event,
            const char *initial_id, Outcome *o)
{
  FwsSseParser *parser = fws_sse_parser_new (max_line, max_event, initial_id);
  gsize bound = fws_sse_parser_max_allocated (max_line, max_event);
  GQueue queue = G_QUEUE_INIT;
  FuzzSplitter s;
  const uint8_t *piece;
  size_t len;

  o->events = g_string_new (NULL);
  o->failed = FALSE;
  fuzz_splitter_init (&s, data, size, max_piece);
  while (fuzz_splitter_next (&s, &piece, &len))
    {
      GError *error = NULL;

      if (!fws_sse_parser_feed (parser, piece, len, &queue, &error))
        {
          FUZZ_CHECK (!o->failed);
          FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_TOO_LARGE));
          g_clear_error (&error);
          o->failed = TRUE;
        }
      else
        FUZZ_CHECK (error == NULL && (!o->failed || queue.length == 0));
      FUZZ_CHECK (fws_sse_parser_get_allocated (parser) <= bound);
      take (&queue, max_event, o->events);
    }
  o->last_id = g_strdup (fws_sse_parser_get_last_event_id (parser));
  fws_sse_parser_finish (parser);
  FUZZ_CHECK (strcmp (fws_sse_parser_get_last_event_id (parser), o->last_id) == 0);
  FUZZ_CHECK (fws_sse_parser_get_allocated (parser) <= bound);
  fws_sse_parser_free (parser);
}

/* ---- The model ---- */

/* The Encoding standard's UTF-8 decoder, step by step; U+FFFD on errors. */
static void
model_decode (const guint8 *p, gsize len, GString *out)
{
  guint32 cp = 0;
  guint needed = 0, seen = 0;
  guint8 lower = 0x80, upper = 0xBF;
  gsize i = 0;

  while (i < len)
    {
      guint8 b = p[i];

      if (needed == 0)
        {
          i++;
          if (b <= 0x7F)
            g_string_append_c (out, (char) b);
          else if (b >= 0xC2 && b <= 0xDF)
            needed = 1, cp = b & 0x1F;
          else if (b >= 0xE0 && b <= 0xEF)
            {
              if (b == 0xE0)
                lower = 0xA0;
              if (b == 0xED)
                upper = 0x9F;
              needed = 2, cp = b & 0xF;
            }
          else if (b >= 0xF0 && b <= 0xF4)
            {
              if (b == 0xF0)
                lower = 0x90;
              if (b == 0xF4)
                upper = 0x8F;
              needed = 3, cp = b & 0x7;
            }
          else
            g_string_append (out, "\xEF\xBF\xBD");
          continue;
        }
      if (b < lower || b > upper)
        {
          /* The byte is read again as the start of something new. */
          cp = needed = seen = 0;
          lower = 0x80, upper = 0xBF;
          g_string_append (out, "\xEF\xBF\xBD");
          continue;
        }
      i++;
      lower = 0x80, upper = 0xBF;
      cp = (cp << 6) | (b & 0x3F);
      if (++seen == needed)
        {
          g_string_append_unichar (out, cp);
          cp = needed = seen = 0;
        }
    }
  if (needed != 0)
    g_string_append (out, "\xEF\xBF\xBD");
}

typedef struct
{
  GString *events;
  char    *last_id;
  gsize    max_data;       /* the longest the data buffer got, its last LF not counted */
  gsize    max_raw_line;   /* the longest raw line, a last one without its end included */
} Model;

static gboolean
is (const char *name, gsize len, const char *what)
{
  return len == strlen (what) && memcmp (name, what, len) == 0;
}

static void
run_model (const uint8_t *data, size_t size, const char *initial_id, Model *m)
{
  GString *text = g_string_new (NULL);
  GString *buf = g_string_new (NULL), *type = g_string_new (NULL), *id = g_string_new (initial_id);
  gsize pos = 0, run = 0;

  m->events = g_string_new (NULL);
  m->last_id = g_strdup (initial_id);
  m->max_data = 0;
  m->max_raw_line = 0;

  if (size >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    data += 3, size -= 3;

  /* Raw line lengths, for the caps. */
  for (gsize i = 0; i < size; i++)
    {
      run = data[i] == '\r' || data[i] == '\n' ? 0 : run + 1;
      m->max_raw_line = MAX (m->max_raw_line, run);
    }

  model_decode (data, size, text);

  for (;;)
    {
      gsize eol = pos, colon;
      const char *line = text->str + pos, *value;
      gsize len, name_len, value_len;

      while (eol < text->len && text->str[eol] != '\r' && text->str[eol] != '\n')
        eol++;
      if (eol == text->len)
        break;   /* no line end: dropped */
      len = eol - pos;
      pos = eol + 1;
      if (text->str[eol] == '\r' && pos < text->len && text->str[pos] == '\n')
        pos++;

      if (len == 0)
        {
          g_free (m->last_id);
          m->last_id = g_strndup (id->str, id->len);
          if (buf->len == 0)
            {
              g_string_truncate (type, 0);
              continue;
            }
          g_string_truncate (buf, buf->len - 1);
          append_message (m->events, type->len ? type->str : "message", type->len ? type->len : 7,
                          buf->str, buf->len, m->last_id);
          g_string_truncate (buf, 0);
          g_string_truncate (type, 0);
          continue;
        }
      if (line[0] == ':')
        continue;
      for (colon = 0; colon < len && line[colon] != ':'; colon++)
        ;
      name_len = colon;
      value = colon < len ? line + colon + 1 : line + len;
      value_len = colon < len ? len - colon - 1 : 0;
      if (value_len > 0 && value[0] == ' ')
        value++, value_len--;

      if (is (line, name_len, "event"))
        g_string_assign (type, ""), g_string_append_len (type, value, (gssize) value_len);
      else if (is (line, name_len, "data"))
        {
          g_string_append_len (buf, value, (gssize) value_len);
          g_string_append_c (buf, '\n');
          m->max_data = MAX (m->max_data, buf->len - 1);
        }
      else if (is (line, name_len, "id"))
        {
          if (memchr (value, '\0', value_len) == NULL)
            g_string_assign (id, ""), g_string_append_len (id, value, (gssize) value_len);
        }
      else if (is (line, name_len, "retry") && value_len > 0)
        {
          guint64 ms = 0;
          gboolean digits = TRUE;

          for (gsize i = 0; i < value_len; i++)
            digits = digits && value[i] >= '0' && value[i] <= '9';
          if (digits)
            {
              for (gsize i = 0; i < value_len; i++)
                {
                  unsigned __int128 next = (unsigned __int128) ms * 10 + (guint) (value[i] - '0');

                  ms = next > G_MAXUINT64 ? G_MAXUINT64 : (guint64) next;
                }
              append_retry (m->events, ms);
            }
        }
    }

  g_string_free (text, TRUE);
  g_string_free (buf, TRUE);
  g_string_free (type, TRUE);
  g_string_free (id, TRUE);
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
  guint split;
  gsize max_line, max_event;
  const char *initial_id;
  Outcome split_run, byte_run;
  Model m;

  if (size < 2)
    return 0;
  split = data[0];
  max_line = max_lines[data[1] & 3];
  max_event = max_events[(data[1] >> 2) & 3];
  initial_id = (data[1] & 0x10) ? "prev" : "";
  data += 2;
  size -= 2;

  run_parser (data, size, split, max_line, max_event, initial_id, &split_run);
  run_parser (data, size, 1, max_line, max_event, initial_id, &byte_run);
  FUZZ_CHECK (split_run.failed == byte_run.failed);
  FUZZ_CHECK (g_string_equal (split_run.events, byte_run.events));
  FUZZ_CHECK (strcmp (split_run.last_id, byte_run.last_id) == 0);

  run_model (data, size, initial_id, &m);
  FUZZ_CHECK (split_run.failed == (m.max_raw_line > max_line || m.max_data > max_event));
  if (!split_run.failed)
    {
      FUZZ_CHECK (g_string_equal (split_run.events, m.events));
      FUZZ_CHECK (strcmp (split_run.last_id, m.last_id) == 0);
    }
  else
    FUZZ_CHECK (split_run.events->len <= m.events->len &&
                memcmp (split_run.events->str, m.events->str, split_run.events->len) == 0);

  outcome_clear (&split_run);
  outcome_clear (&byte_run);
  g_string_free (m.events, TRUE);
  g_free (m.last_id);
  return 0;
}
