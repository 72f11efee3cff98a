/* fws-sse-parser.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The text/event-stream parser of an EventSource client, sans I/O (see
 * fws-sse-parser-private.h). It follows the WHATWG HTML standard, section
 * "Server-sent events": "Parsing an event stream", "Interpreting an event
 * stream" and "Dispatching the event".
 *
 * Bytes to lines. A leading UTF-8 BOM (EF BB BF) is dropped, at the very
 * start of the stream only (possibly split across feeds); a BOM anywhere
 * else is U+FEFF, part of its line. Lines end at CR LF, at LF, or at CR. A
 * CR ends its line at once (nothing waits for the next byte); an LF right
 * after it, even at the start of the next feed, belongs to that line end.
 * A line is taken straight from the input when it lies whole in one feed,
 * and is otherwise gathered in the line buffer.
 *
 * UTF-8. The standard decodes the whole stream with "UTF-8 decode" (the
 * Encoding standard's decoder, each maximal invalid subpart becoming one
 * U+FFFD) before it splits lines. That decoder never swallows an ASCII
 * byte, so CR, LF, ':' and the space after it stay where they are: decoding
 * each line alone gives the same text as decoding the stream, and a
 * sequence cut by a line end is an invalid subpart either way. Field names
 * are compared as bytes (a name with invalid UTF-8 is no known name after
 * decoding either), retry values must be ASCII digits, and comments are
 * ignored, so only the values of event, data and id fields are decoded:
 * validated in one pass, and only when invalid copied with each maximal
 * invalid subpart replaced by EF BF BD. That copy is the one transient
 * allocation beyond the buffers counted in the header (at most 3 ×
 * max_line bytes, freed before the line's processing returns).
 *
 * Limits. A line longer than max_line fails as soon as its max_line + 1st
 * byte arrives, before it is buffered, whether or not its end has arrived,
 * so a peer's endless line costs max_line bytes at most. Data is kept as
 * the data lines joined by LF (the standard's data buffer without its last
 * LF, which dispatching removes anyway), and a data line that would make it
 * longer than max_event fails before it is copied. Buffers grow
 * geometrically and never past their cap. Both failures give the same
 * events before them whatever the feed boundaries are.
 *
 * Last event ID. The standard keeps two things: the last event ID buffer
 * (set by each id field without U+0000) and the event source's last event
 * ID string, which takes the buffer's value at every blank line, even one
 * that dispatches nothing because no data field came. Events carry the
 * string. It is a GRefString shared by every event that carries it, so a
 * long id followed by many small events costs its bytes once.
 */
#include "config.h"

#include "fws-sse-parser-private.h"

#include <string.h>

#include "fws-error.h"
#include "fws-i18n-private.h"
#include "fws-utf8-private.h"

struct _FwsSseParser
{
  gsize     max_line;
  gsize     max_event;
  gboolean  dead;            /* after an error or fws_sse_parser_finish () */

  /* Bytes to lines. */
  guint     bom_seen;        /* bytes of a leading BOM matched so far */
  gboolean  bom_done;        /* past the start of the stream */
  gboolean  skip_lf;         /* the last line ended with CR */

  /* The line not finished yet (raw bytes, no line end). */
  guint8   *line;            /* (owned) (nullable) */
  gsize     line_len;
  gsize     line_alloc;      /* at most max_line */

  /* The event being gathered. */
  gboolean  has_data;        /* a data field came: the standard's data buffer is not empty */
  guint8   *data;            /* (owned) (nullable) data lines joined by LF, then NUL */
  gsize     data_len;        /* at most max_event */
  gsize     data_alloc;      /* at most max_event + 1 */
  char     *type;            /* (owned) (nullable) GRefString; NULL: empty */
  char     *id_buffer;       /* (owned) (nullable) GRefString; NULL once dead */
  char     *last_event_id;   /* (owned) GRefString */
  char     *message;         /* (owned) (nullable) GRefString "message"; NULL once dead */
};

static const guint8 bom[3] = { 0xEF, 0xBB, 0xBF };

void
fws_sse_parser_event_free (FwsSseParserEvent *event)
{
  if (event == NULL)
    return;
  g_clear_pointer (&event->type, g_ref_string_release);
  g_clear_pointer (&event->data, g_bytes_unref);
  g_clear_pointer (&event->last_event_id, g_ref_string_release);
  g_free (event);
}

FwsSseParser *
fws_sse_parser_new (gsize       max_line,
                    gsize       max_event,
                    const char *last_event_id)
{
  FwsSseParser *self;

  g_return_val_if_fail (max_line > 0, NULL);
  g_return_val_if_fail (max_event > 0, NULL);
  if (last_event_id == NULL)
    last_event_id = "";
  g_return_val_if_fail (g_utf8_validate (last_event_id, -1, NULL), NULL);
  g_return_val_if_fail (strlen (last_event_id) <= 3 * MIN (max_line, G_MAXSIZE / 16), NULL);

  fws_i18n_init ();

  self = g_new0 (FwsSseParser, 1);
  /* Far beyond any memory, and small enough that 3 × max_line + 1 and
   * max_event + 1 cannot overflow. */
  self->max_line = MIN (max_line, G_MAXSIZE / 16);
  self->max_event = MIN (max_event, G_MAXSIZE / 16);
  self->id_buffer = g_ref_string_new (last_event_id);
  self->last_event_id = g_ref_string_acquire (self->id_buffer);
  self->message = g_ref_string_new_len ("message", 7);
  return self;
}

/* Frees what a dead parser no longer needs; the last event ID string stays. */
static void
drop_buffers (FwsSseParser *self)
{
  g_clear_pointer (&self->line, g_free);
  self->line_len = 0;
  self->line_alloc = 0;
  g_clear_pointer (&self->data, g_free);
  self->data_len = 0;
  self->data_alloc = 0;
  self->has_data = FALSE;
  g_clear_pointer (&self->type, g_ref_string_release);
  g_clear_pointer (&self->id_buffer, g_ref_string_release);
  g_clear_pointer (&self->message, g_ref_string_release);
}

void
fws_sse_parser_free (FwsSseParser *self)
{
  if (self == NULL)
    return;
  drop_buffers (self);
  g_clear_pointer (&self->last_event_id, g_ref_string_release);
  g_free (self);
}

void
fws_sse_parser_finish (FwsSseParser *self)
{
  g_return_if_fail (self != NULL);

  self->dead = TRUE;
  drop_buffers (self);
}

const char *
fws_sse_parser_get_last_event_id (FwsSseParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->last_event_id;
}

static gsize
ref_string_size (const char *s)
{
  return s != NULL ? g_ref_string_length ((char *) s) + 1 : 0;
}

gsize
fws_sse_parser_get_allocated (FwsSseParser *self)
{
  gsize total;

  g_return_val_if_fail (self != NULL, 0);

  total = self->line_alloc + self->data_alloc;
  total += ref_string_size (self->type);
  total += ref_string_size (self->id_buffer);
  if (self->last_event_id != self->id_buffer)
    total += ref_string_size (self->last_event_id);
  total += ref_string_size (self->message);
  return total;
}

gsize
fws_sse_parser_max_allocated (gsize max_line,
                              gsize max_event)
{
  max_line = MIN (max_line, G_MAXSIZE / 16);
  max_event = MIN (max_event, G_MAXSIZE / 16);
  return max_line + (max_event + 1) + 3 * (3 * max_line + 1) + sizeof "message";
}

static gboolean
parser_fail (FwsSseParser  *self,
             GError       **error,
             const char    *message)
{
  self->dead = TRUE;
  drop_buffers (self);
  g_set_error_literal (error, FWS_ERROR, FWS_ERROR_TOO_LARGE, message);
  return FALSE;
}

static gboolean
line_too_long (FwsSseParser  *self,
               GError       **error)
{
  g_autofree char *message = NULL;
  char limit[24];

  /* No G_GSIZE_FORMAT inside a translatable string: xgettext cannot see
   * through it. */
  g_snprintf (limit, sizeof limit, "%" G_GSIZE_FORMAT, self->max_line);
  message = g_strdup_printf (_("The server sent an event stream line longer than %s bytes"), limit);
  return parser_fail (self, error, message);
}

static gboolean
event_too_large (FwsSseParser  *self,
                 GError       **error)
{
  g_autofree char *message = NULL;
  char limit[24];

  g_snprintf (limit, sizeof limit, "%" G_GSIZE_FORMAT, self->max_event);
  message = g_strdup_printf (_("The server sent an event with more than %s bytes of data"), limit);
  return parser_fail (self, error, message);
}

/* Makes room for @needed bytes in *@buf, growing geometrically (from
 * @first bytes or @needed, the larger) but never past @cap (>= @needed).
 * FALSE if memory ran out. */
static gboolean
reserve (guint8 **buf,
         gsize   *alloc,
         gsize    needed,
         gsize    first,
         gsize    cap)
{
  gsize new_alloc;
  guint8 *p;

  if (needed <= *alloc)
    return TRUE;
  new_alloc = *alloc <= G_MAXSIZE / 2 ? *alloc * 2 : G_MAXSIZE;
  new_alloc = MAX (new_alloc, first);
  new_alloc = MIN (new_alloc, cap);
  new_alloc = MAX (new_alloc, needed);
  p = g_try_realloc (*buf, new_alloc);
  if (p == NULL)
    return FALSE;
  *buf = p;
  *alloc = new_alloc;
  return TRUE;
}

/* Appends @n bytes of the current line to the line buffer, or fails when
 * the line would pass max_line. */
static gboolean
append_line (FwsSseParser  *self,
             const guint8  *p,
             gsize          n,
             GError       **error)
{
  if (n > self->max_line - self->line_len)
    return line_too_long (self, error);
  if (n == 0)
    return TRUE;
  if (!reserve (&self->line, &self->line_alloc, self->line_len + n, 64, self->max_line))
    return line_too_long (self, error);
  memcpy (self->line + self->line_len, p, n);
  self->line_len += n;
  return TRUE;
}

/* ---- UTF-8 decode ---- */

/* The length of the valid UTF-8 sequence at @p (@left > 0 bytes left), or
 * 0 when there is none; then *@skip is the length of the maximal invalid
 * subpart there (what the Encoding standard's decoder consumes before it
 * emits one U+FFFD), at least 1. */
static gsize
utf8_sequence (const guint8 *p,
               gsize         left,
               gsize        *skip)
{
  guint8 b = p[0];
  guint8 lower = 0x80, upper = 0xBF;
  gsize need;

  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF)
    need = 1;
  else if (b >= 0xE0 && b <= 0xEF)
    {
      need = 2;
      if (b == 0xE0)
        lower = 0xA0;
      else if (b == 0xED)
        upper = 0x9F;
    }
  else if (b >= 0xF0 && b <= 0xF4)
    {
      need = 3;
      if (b == 0xF0)
        lower = 0x90;
      else if (b == 0xF4)
        upper = 0x8F;
    }
  else
    {
      *skip = 1;
      return 0;
    }

  for (gsize i = 1; i <= need; i++)
    {
      if (i >= left || p[i] < lower || p[i] > upper)
        {
          *skip = i;
          return 0;
        }
      lower = 0x80;
      upper = 0xBF;
    }
  return need + 1;
}

/* @value decoded: itself when it is valid UTF-8 (*@copy NULL), otherwise a
 * new copy with U+FFFD for each maximal invalid subpart (*@copy owns it). */
static const guint8 *
utf8_decode (const guint8  *value,
             gsize          len,
             gsize         *out_len,
             guint8       **copy)
{
  gsize size = 0, i, o;
  guint8 *out;

  *copy = NULL;
  *out_len = len;
  if (fws_utf8_validate (value, len))
    return value;

  for (i = 0; i < len;)
    {
      gsize skip, n = utf8_sequence (value + i, len - i, &skip);

      size += n > 0 ? n : 3;
      i += n > 0 ? n : skip;
    }

  out = g_malloc (size + 1);
  for (i = 0, o = 0; i < len;)
    {
      gsize skip, n = utf8_sequence (value + i, len - i, &skip);

      if (n > 0)
        {
          memcpy (out + o, value + i, n);
          o += n;
          i += n;
        }
      else
        {
          out[o++] = 0xEF;
          out[o++] = 0xBF;
          out[o++] = 0xBD;
          i += skip;
        }
    }
  g_assert (o == size);
  out[size] = '\0';
  *copy = out;
  *out_len = size;
  return out;
}

/* ---- Lines to events ---- */

/* A blank line: "Dispatching the event". */
static void
dispatch (FwsSseParser *self,
          GQueue       *events_out)
{
  FwsSseParserEvent *event;
  guint8 *buf;

  /* Step 1: the last event ID string takes the buffer's value, whether or
   * not an event follows. */
  if (self->last_event_id != self->id_buffer)
    {
      g_clear_pointer (&self->last_event_id, g_ref_string_release);
      self->last_event_id = g_ref_string_acquire (self->id_buffer);
    }

  /* Step 2: no data field, no event. */
  if (!self->has_data)
    {
      g_clear_pointer (&self->type, g_ref_string_release);
      return;
    }

  /* Steps 3 to 7: the data (its last LF was never stored), the type
   * ("message" unless an event field set one), the last event ID string;
   * then the buffers are emptied. */
  buf = self->data;
  g_assert (buf != NULL);   /* a data field reserved at least its NUL */
  if (self->data_alloc - (self->data_len + 1) > self->data_alloc / 8)
    buf = g_realloc (buf, self->data_len + 1);   /* growth overshot: shrink */
  buf[self->data_len] = '\0';

  event = g_new0 (FwsSseParserEvent, 1);
  event->kind = FWS_SSE_PARSER_MESSAGE;
  event->type = self->type != NULL ? g_steal_pointer (&self->type) : g_ref_string_acquire (self->message);
  event->data = g_bytes_new_take (buf, self->data_len);
  event->last_event_id = g_ref_string_acquire (self->last_event_id);

  self->data = NULL;
  self->data_len = 0;
  self->data_alloc = 0;
  self->has_data = FALSE;

  g_queue_push_tail (events_out, event);
}

static gboolean
append_data (FwsSseParser  *self,
             const guint8  *value,
             gsize          len,
             GError       **error)
{
  gsize add = len + (self->has_data ? 1 : 0);

  /* data_len <= max_event, so this cannot overflow. */
  if (add > self->max_event - self->data_len)
    return event_too_large (self, error);
  /* The first data line gets exactly its size: an event of one line
   * needs no other allocation. */
  if (!reserve (&self->data, &self->data_alloc, self->data_len + add + 1, 0, self->max_event + 1))
    return event_too_large (self, error);
  if (self->has_data)
    self->data[self->data_len++] = '\n';
  if (len > 0)
    memcpy (self->data + self->data_len, value, len);
  self->data_len += len;
  self->data[self->data_len] = '\0';
  self->has_data = TRUE;
  return TRUE;
}

static void
set_retry (const guint8 *value,
           gsize         len,
           GQueue       *events_out)
{
  FwsSseParserEvent *event;
  guint64 ms = 0;

  /* "If the field value consists of only ASCII digits": the standard says
   * nothing of an empty value; it is ignored here, not taken as 0
   * (Chromium goes back to its default delay instead). More digits than a
   * guint64 holds saturate (Chromium ignores such a value). */
  if (len == 0)
    return;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (value[i]))
      return;
  for (gsize i = 0; i < len; i++)
    {
      guint digit = value[i] - '0';

      if (ms > (G_MAXUINT64 - digit) / 10)
        ms = G_MAXUINT64;
      else
        ms = ms * 10 + digit;
    }

  event = g_new0 (FwsSseParserEvent, 1);
  event->kind = FWS_SSE_PARSER_RETRY;
  event->retry_ms = ms;
  g_queue_push_tail (events_out, event);
}

static gboolean
name_is (const guint8 *name,
         gsize         len,
         const char   *what)
{
  return len == strlen (what) && memcmp (name, what, len) == 0;
}

/* One complete line, without its line end: "Interpreting an event stream". */
static gboolean
process_line (FwsSseParser  *self,
              const guint8  *line,
              gsize          len,
              GQueue        *events_out,
              GError       **error)
{
  const guint8 *colon, *value;
  gsize name_len, value_len;
  g_autofree guint8 *copy = NULL;
  gboolean ok = TRUE;

  if (len == 0)
    {
      dispatch (self, events_out);
      return TRUE;
    }
  if (line[0] == ':')
    return TRUE;   /* a comment */

  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      name_len = (gsize) (colon - line);
      value = colon + 1;
      value_len = len - name_len - 1;
      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
    }
  else
    {
      name_len = len;
      value = line + len;
      value_len = 0;
    }

  if (name_is (line, name_len, "data"))
    {
      value = utf8_decode (value, value_len, &value_len, &copy);
      ok = append_data (self, value, value_len, error);
    }
  else if (name_is (line, name_len, "event"))
    {
      value = utf8_decode (value, value_len, &value_len, &copy);
      g_clear_pointer (&self->type, g_ref_string_release);
      if (value_len > 0)
        self->type = g_ref_string_new_len ((const char *) value, (gssize) value_len);
    }
  else if (name_is (line, name_len, "id"))
    {
      if (memchr (value, '\0', value_len) == NULL)
        {
          value = utf8_decode (value, value_len, &value_len, &copy);
          g_clear_pointer (&self->id_buffer, g_ref_string_release);
          self->id_buffer = g_ref_string_new_len ((const char *) value, (gssize) value_len);
        }
    }
  else if (name_is (line, name_len, "retry"))
    set_retry (value, value_len, events_out);
  /* Any other field is ignored. */

  return ok;
}

gboolean
fws_sse_parser_feed (FwsSseParser  *self,
                     const guint8  *data,
                     gsize          len,
                     GQueue        *events_out,
                     GError       **error)
{
  const guint8 *p, *end;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (events_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->dead || len == 0)
    return TRUE;
  p = data;
  end = data + len;

  /* A BOM at the very start of the stream is dropped. Bytes that began
   * like one but were not go to the line like any others. */
  if (!self->bom_done)
    {
      while (p < end && self->bom_seen < sizeof bom && *p == bom[self->bom_seen])
        {
          p++;
          self->bom_seen++;
        }
      if (self->bom_seen == sizeof bom)
        self->bom_done = TRUE;
      else if (p < end)
        {
          self->bom_done = TRUE;
          if (!append_line (self, bom, self->bom_seen, error))
            return FALSE;
        }
      else
        return TRUE;   /* still a BOM so far */
    }

  while (p < end)
    {
      const guint8 *eol;
      gsize n;
      gboolean ok;

      if (self->skip_lf)
        {
          self->skip_lf = FALSE;
          if (*p == '\n')
            {
              p++;
              continue;
            }
        }

      for (eol = p; eol < end && *eol != '\n' && *eol != '\r'; eol++)
        ;
      n = (gsize) (eol - p);

      if (eol == end)
        return append_line (self, p, n, error);   /* the line goes on in a later feed */

      if (self->line_len == 0)
        {
          /* The whole line is in @data: no copy. */
          if (n > self->max_line)
            return line_too_long (self, error);
          ok = process_line (self, p, n, events_out, error);
        }
      else
        {
          if (!append_line (self, p, n, error))
            return FALSE;
          ok = process_line (self, self->line, self->line_len, events_out, error);
          self->line_len = 0;
        }
      if (!ok)
        return FALSE;

      self->skip_lf = *eol == '\r';
      p = eol + 1;
    }

  return TRUE;
}
