/* fuzz-hixie.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The hixie-75 and hixie-76 frame parsers (FwsHixieParser) and the
 * hixie-76 key numbers (fws_hixie_key_value). Input:
 *   byte 0  the split (fuzz-common.h);
 *   byte 1  flags: bits 0-1 max_length (1 MiB, 3, 16, 125); bit 2 stop the
 *           parser from the callback of the first message;
 *   then    bytes from the peer, fed to a hixie-75 and a hixie-76 parser;
 *           also, up to a NUL byte, a key for fws_hixie_key_value.
 * Checks, against a plain model of the drafts written here: the same
 * messages in the same order, each UTF-8 with a NUL after it and at most
 * max_length bytes; a hixie-76 close exactly when the model sees 0xFF 0x00;
 * a failure exactly when the model fails (where a text frame is left open
 * at the end of the input, the parser may fail earlier than the model can
 * tell, so there only the messages are compared); the key number equals
 * the model's (digits as one number, divided by the count of spaces).
 */
#include "fuzz-common.h"

#include "fws-error.h"
#include "fws-hixie-private.h"

/* ---- The model ---- */

typedef struct
{
  GPtrArray *messages;   /* of GBytes */
  gboolean   closed;
  gboolean   failed;
  gboolean   open_text; /* input ended inside a text frame */
} Outcome;

static void
outcome_init (Outcome *o)
{
  o->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  o->closed = o->failed = o->open_text = FALSE;
}

static void
model (FwsWsVersion version, guint64 max_length, gboolean stop_after_first,
       const guint8 *p, gsize len, Outcome *o)
{
  gsize i = 0;

  while (i < len)
    {
      guint8 b = p[i++];

      if (b & 0x80)
        {
          unsigned __int128 length = 0;

          if (version == FWS_WS_VERSION_HIXIE_76 && i < len && p[i] == 0x00)
            {
              o->closed = TRUE;
              return;
            }
          for (;;)
            {
              if (i == len)
                return;   /* the length continues past the input */
              b = p[i++];
              length = (length << 7) | (b & 0x7F);
              if (length > max_length)
                {
                  o->failed = TRUE;
                  return;
                }
              if (!(b & 0x80))
                break;
            }
          if (length >= len - i)
            return;   /* skipping to the end */
          i += (gsize) length;
        }
      else
        {
          const guint8 *end = memchr (p + i, 0xFF, len - i);
          gsize n = end ? (gsize) (end - (p + i)) : len - i;

          if (n > max_length || !fuzz_utf8_ok (p + i, n))
            {
              if (end == NULL)
                o->open_text = TRUE;
              else
                o->failed = TRUE;
              return;
            }
          if (end == NULL)
            {
              o->open_text = TRUE;
              return;
            }
          g_ptr_array_add (o->messages, g_bytes_new (p + i, n));
          i += n + 1;
          if (stop_after_first)
            return;
        }
    }
}

/* ---- The parser ---- */

typedef struct
{
  FwsHixieParser *parser;
  guint64         max_length;
  gboolean        stop_after_first;
  Outcome         o;
} State;

static void
message_cb (gpointer user_data, GBytes *payload)
{
  State *st = user_data;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);

  FUZZ_CHECK (!st->o.closed && !st->o.failed);
  FUZZ_CHECK (p != NULL && p[len] == '\0');
  FUZZ_CHECK (len <= st->max_length);
  FUZZ_CHECK (fuzz_utf8_ok (p, len));
  g_ptr_array_add (st->o.messages, g_bytes_new (p, len));
  if (st->stop_after_first)
    fws_hixie_parser_stop (st->parser);
}

static void
close_cb (gpointer user_data)
{
  State *st = user_data;

  FUZZ_CHECK (!st->o.closed && !st->o.failed);
  st->o.closed = TRUE;
}

static const FwsHixieCallbacks callbacks = { message_cb, close_cb };

static void
run (FwsWsVersion version, guint max_piece, guint flags, const guint8 *data, gsize size)
{
  static const guint64 max_lengths[] = { 1 << 20, 3, 16, 125 };
  State st = { 0 };
  Outcome want;
  FuzzSplitter split;
  const uint8_t *piece;
  size_t len;

  st.max_length = max_lengths[flags & 3];
  st.stop_after_first = (flags & 4) != 0;
  outcome_init (&st.o);
  st.parser = fws_hixie_parser_new (version, st.max_length, &callbacks, &st);
  fuzz_splitter_init (&split, data, size, max_piece);
  while (fuzz_splitter_next (&split, &piece, &len))
    {
      GError *error = NULL;

      if (!fws_hixie_parser_feed (st.parser, piece, len, &error))
        {
          FUZZ_CHECK (!st.o.failed);
          FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_TOO_LARGE) ||
                      g_error_matches (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8));
          g_clear_error (&error);
          st.o.failed = TRUE;
        }
      FUZZ_CHECK (error == NULL);
    }
  fws_hixie_parser_free (st.parser);

  outcome_init (&want);
  model (version, st.max_length, st.stop_after_first, data, size, &want);
  FUZZ_CHECK (st.o.messages->len == want.messages->len);
  for (guint i = 0; i < want.messages->len; i++)
    FUZZ_CHECK (g_bytes_equal (st.o.messages->pdata[i], want.messages->pdata[i]));
  FUZZ_CHECK (st.o.closed == want.closed);
  if (!want.open_text)
    FUZZ_CHECK (st.o.failed == want.failed);
  g_ptr_array_unref (st.o.messages);
  g_ptr_array_unref (want.messages);
}

/* ---- Keys ---- */

static void
check_key (const char *key)
{
  unsigned __int128 number = 0;
  guint64 spaces = 0;
  gboolean digits = FALSE, too_big = FALSE, ok;
  guint32 value = 0;

  for (const char *p = key; *p; p++)
    if (*p >= '0' && *p <= '9')
      {
        digits = TRUE;
        if (!too_big)
          number = number * 10 + (guint) (*p - '0');
        if (number > G_MAXUINT64)
          too_big = TRUE;
      }
    else if (*p == ' ')
      spaces++;
  ok = digits && !too_big && spaces > 0 && number % spaces == 0 && number / spaces <= G_MAXUINT32;

  FUZZ_CHECK (fws_hixie_key_value (key, &value) == ok);
  if (ok)
    FUZZ_CHECK (value == (guint32) (number / spaces));
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
  char *key;

  if (size < 2)
    return 0;
  run (FWS_WS_VERSION_HIXIE_75, data[0], data[1], data + 2, size - 2);
  run (FWS_WS_VERSION_HIXIE_76, data[0], data[1], data + 2, size - 2);
  key = fuzz_strndup (data + 2, size - 2);
  check_key (key);
  g_free (key);
  return 0;
}
