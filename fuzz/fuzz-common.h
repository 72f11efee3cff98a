/* fuzz-common.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Shared by the libFuzzer targets in this directory: GLib set up so that any
 * warning or critical aborts (libFuzzer then saves the input), a
 * deterministic splitter that cuts the input into pieces whose sizes the
 * input itself chooses, and oracles that do not use the library's own code.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A failed check: abort, so that libFuzzer reports it and saves the input. */
#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (G_UNLIKELY (!(cond)))                                                \
      {                                                                      \
        fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                 #cond);                                                     \
        abort ();                                                            \
      }                                                                      \
  } while (0)

/* Triage only: FUZZ_ALLOW_LOG=substring lets warnings and criticals whose
 * message contains it pass, to look for other bugs past a known one. */
static gboolean
fuzz_log_allowed (const char *message)
{
  const char *allow = getenv ("FUZZ_ALLOW_LOG");

  return allow != NULL && *allow != '\0' && message != NULL && strstr (message, allow) != NULL;
}

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      const char *message = NULL;

      for (gsize i = 0; i < n_fields; i++)
        if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
          message = fields[i].value;
      if ((level & G_LOG_LEVEL_ERROR) || !fuzz_log_allowed (message))
        {
          g_log_writer_standard_streams (level, fields, n_fields, user_data);
          abort ();
        }
    }
  return G_LOG_WRITER_HANDLED;   /* messages, info and debug: quiet */
}

static void
fuzz_log_handler (const char     *domain,
                  GLogLevelFlags  level,
                  const char     *message,
                  gpointer        user_data)
{
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) &&
      ((level & G_LOG_LEVEL_ERROR) || !fuzz_log_allowed (message)))
    {
      fprintf (stderr, "%s: %s\n", domain ? domain : "(none)", message);
      abort ();
    }
}

/* Call from LLVMFuzzerInitialize. GSlice (GLib < 2.76) would hide
 * allocations from ASan: plain malloc instead. */
static void G_GNUC_UNUSED
fuzz_init (void)
{
  setenv ("G_SLICE", "always-malloc", 1);
  setenv ("G_DEBUG", "gc-friendly", 1);
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  g_log_set_default_handler (fuzz_log_handler, NULL);
}

/* Cuts the input into pieces. With @max_piece 0 it is one piece; otherwise
 * each piece is 1 to @max_piece bytes long, drawn from a xorshift generator
 * seeded with @max_piece (so the same input always splits the same way). */
typedef struct
{
  const uint8_t *p;
  size_t         left;
  guint32        state;
  guint          max_piece;
} FuzzSplitter;

static void G_GNUC_UNUSED
fuzz_splitter_init (FuzzSplitter  *s,
                    const uint8_t *data,
                    size_t         size,
                    guint          max_piece)
{
  s->p = data;
  s->left = size;
  s->state = 0x9E3779B9u ^ (max_piece * 0x85EBCA6Bu);
  s->max_piece = max_piece;
}

/* The next piece, or FALSE at the end. */
static gboolean G_GNUC_UNUSED
fuzz_splitter_next (FuzzSplitter   *s,
                    const uint8_t **piece,
                    size_t         *len)
{
  size_t n;

  if (s->left == 0)
    return FALSE;
  if (s->max_piece == 0)
    n = s->left;
  else
    {
      s->state ^= s->state << 13;
      s->state ^= s->state >> 17;
      s->state ^= s->state << 5;
      n = 1 + s->state % s->max_piece;
      if (n > s->left)
        n = s->left;
    }
  *piece = s->p;
  *len = n;
  s->p += n;
  s->left -= n;
  return TRUE;
}

/* RFC 3629 UTF-8 that may contain U+0000 (GLib's validator, which stops at
 * NUL, on each NUL-free run). */
static gboolean G_GNUC_UNUSED
fuzz_utf8_ok (const void *data,
              size_t      len)
{
  const char *p = data;
  const char *end = p + len;

  while (p < end)
    {
      const char *nul = memchr (p, '\0', (size_t) (end - p));
      const char *stop = nul ? nul : end;

      if (!g_utf8_validate (p, stop - p, NULL))
        return FALSE;
      p = nul ? nul + 1 : end;
    }
  return TRUE;
}

/* A copy of @data with a NUL byte after it (the copy stops at the first
 * NUL of @data, as a C string would). */
static char * G_GNUC_UNUSED
fuzz_strndup (const uint8_t *data,
              size_t         size)
{
  return g_strndup ((const char *) data, size);
}

/* The head of an HTTP message we wrote, up to the blank line: every line
 * ends in CRLF, no CR or LF elsewhere, no NUL, no other control character
 * than HTAB. Returns the head's length (blank line included), or aborts. */
static size_t G_GNUC_UNUSED
fuzz_check_written_head (const char *msg,
                         size_t      len)
{
  size_t i = 0;

  for (;;)
    {
      size_t start = i;

      while (i < len && msg[i] != '\r' && msg[i] != '\n')
        {
          guchar c = (guchar) msg[i];

          FUZZ_CHECK (c >= 0x20 || c == '\t');
          FUZZ_CHECK (c != 0x7F);
          i++;
        }
      FUZZ_CHECK (i + 1 < len && msg[i] == '\r' && msg[i + 1] == '\n');
      i += 2;
      if (i - start == 2)
        return i;   /* the blank line */
    }
}
