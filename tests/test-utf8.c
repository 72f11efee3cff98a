/* test-utf8.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-utils.h"

#include "fws-utf8-private.h"

#include <string.h>

typedef struct
{
  const char *name;
  const guint8 *bytes;
  gsize len;
} Sample;

#define S(name, ...) { name, (const guint8[]) { __VA_ARGS__ }, sizeof ((const guint8[]) { __VA_ARGS__ }) }

static const Sample valid_samples[] = {
  S ("ASCII", 'H', 'e', 'l', 'l', 'o'),
  S ("U+0000", 0x00),
  S ("U+0000 inside ASCII", 'a', 0x00, 'b', 0x00, 0x00, 'c', 'd', 'e', 'f', 'g', 'h'),
  S ("U+007F", 0x7F),
  S ("U+0080 (2 bytes)", 0xC2, 0x80),
  S ("U+07FF (2 bytes)", 0xDF, 0xBF),
  S ("U+0800 (3 bytes)", 0xE0, 0xA0, 0x80),
  S ("U+D7FF (before surrogates)", 0xED, 0x9F, 0xBF),
  S ("U+E000 (after surrogates)", 0xEE, 0x80, 0x80),
  S ("U+FFFF (3 bytes)", 0xEF, 0xBF, 0xBF),
  S ("U+10000 (4 bytes)", 0xF0, 0x90, 0x80, 0x80),
  S ("U+10FFFF (max)", 0xF4, 0x8F, 0xBF, 0xBF),
  S ("Apple = U+F8FF", 0x41, 0x70, 0x70, 0x6c, 0x65, 0x20, 0x3d, 0x20, 0xef, 0xa3, 0xbf),
  S ("Greek", 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5),
  S ("emoji in ASCII", 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0xF0, 0x9F, 0x98, 0x80,
     'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u'),
};

typedef struct
{
  const char *name;
  const guint8 *bytes;
  gsize len;
  gssize fail_at;   /* index of the byte whose feed returns FALSE; -1: only finish fails */
} BadSample;

#define B(name, fail_at, ...) { name, (const guint8[]) { __VA_ARGS__ }, sizeof ((const guint8[]) { __VA_ARGS__ }), fail_at }

static const BadSample invalid_samples[] = {
  B ("overlong C0 80", 0, 0xC0, 0x80),
  B ("overlong C1 BF", 0, 0xC1, 0xBF),
  B ("overlong E0 80 80", 1, 0xE0, 0x80, 0x80),
  B ("overlong E0 9F BF", 1, 0xE0, 0x9F, 0xBF),
  B ("overlong F0 80 80 80", 1, 0xF0, 0x80, 0x80, 0x80),
  B ("overlong F0 8F BF BF", 1, 0xF0, 0x8F, 0xBF, 0xBF),
  B ("surrogate ED A0 80", 1, 0xED, 0xA0, 0x80),
  B ("surrogate ED BF BF", 1, 0xED, 0xBF, 0xBF),
  B ("U+110000 F4 90 80 80", 1, 0xF4, 0x90, 0x80, 0x80),
  B ("F5", 0, 0xF5, 0x80, 0x80, 0x80),
  B ("FF", 0, 0xFF),
  B ("F8 (5-byte form)", 0, 0xF8, 0x88, 0x80, 0x80, 0x80),
  B ("lone continuation 80", 0, 0x80),
  B ("lone continuation after ASCII", 3, 'a', 'b', 'c', 0xBF, 'd'),
  B ("2-byte lead then ASCII", 1, 0xC3, 'a'),
  B ("3-byte lead, one continuation, then ASCII", 2, 0xE2, 0x82, 'a'),
  B ("4-byte lead then new lead", 1, 0xF0, 0xF0),
  B ("too many continuations", 2, 0xC3, 0xA9, 0x80),
  B ("ASCII then F4 90", 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0xF4, 0x90),
  B ("truncated 2-byte", -1, 0xC3),
  B ("truncated 3-byte", -1, 'x', 0xE2, 0x82),
  B ("truncated 4-byte", -1, 0xF0, 0x9F, 0x98),
  B ("truncated after ASCII run", -1, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0xF4),
};

/* A validator written the slow, obvious way: is @s[0..@len) a prefix of some
 * valid UTF-8 text? (@complete: and does it end on a character boundary?) */
static gboolean
ref_prefix_ok (const guint8 *s,
               gsize         len,
               gboolean     *complete)
{
  gsize i = 0;

  *complete = TRUE;
  while (i < len)
    {
      guint b = s[i];
      guint n, k, rem;
      guint32 cp, min, max, lo, hi, a, z;

      if (b < 0x80)
        {
          i++;
          continue;
        }
      if (b >= 0xC0 && b < 0xE0)
        {
          n = 2;
          cp = b & 0x1F;
          min = 0x80;
          max = 0x7FF;
        }
      else if (b >= 0xE0 && b < 0xF0)
        {
          n = 3;
          cp = b & 0x0F;
          min = 0x800;
          max = 0xFFFF;
        }
      else if (b >= 0xF0 && b < 0xF8)
        {
          n = 4;
          cp = b & 0x07;
          min = 0x10000;
          max = 0x10FFFF;
        }
      else
        return FALSE;

      for (k = 1; k < n && i + k < len; k++)
        {
          if ((s[i + k] & 0xC0) != 0x80)
            return FALSE;
          cp = (cp << 6) | (s[i + k] & 0x3F);
        }
      rem = n - k;
      /* The code points the completed character could still have. */
      lo = cp << (6 * rem);
      hi = lo | ((1u << (6 * rem)) - 1);
      a = MAX (lo, min);
      z = MIN (hi, max);
      if (a > z)
        return FALSE;
      if (a >= 0xD800 && z <= 0xDFFF)
        return FALSE;
      if (rem > 0)
        *complete = FALSE;
      i += k;
    }
  return TRUE;
}

/* The index at which a fail-fast validator must fail, or -1. */
static gssize
ref_fail_at (const guint8 *s,
             gsize         len)
{
  gsize i;

  for (i = 1; i <= len; i++)
    {
      gboolean complete;

      if (!ref_prefix_ok (s, i, &complete))
        return (gssize) i - 1;
    }
  return -1;
}

static gboolean
ref_valid (const guint8 *s,
           gsize         len)
{
  gboolean complete;

  return ref_prefix_ok (s, len, &complete) && complete;
}

/* Feeds one byte at a time and returns the index where feed failed (-1 if
 * never), checking that the rejection is sticky. */
static gssize
feed_bytewise (const guint8 *s,
               gsize         len,
               gboolean     *finished)
{
  FwsUtf8Validator v;
  gssize fail_at = -1;
  gsize i;

  fws_utf8_validator_init (&v);
  for (i = 0; i < len; i++)
    {
      gboolean ok = fws_utf8_validator_feed (&v, s + i, 1);

      if (fail_at < 0 && !ok)
        {
          fail_at = (gssize) i;
          g_assert_cmpuint (v.state, ==, FWS_UTF8_REJECT);
        }
      else if (fail_at >= 0)
        g_assert_false (ok);
    }
  if (fail_at >= 0)
    {
      /* Sticky, even for ASCII and empty input. */
      g_assert_false (fws_utf8_validator_feed (&v, (const guint8 *) "a", 1));
      g_assert_false (fws_utf8_validator_feed (&v, (const guint8 *) "", 0));
    }
  *finished = fws_utf8_validator_finish (&v);
  return fail_at;
}

static void
test_valid (void)
{
  gsize i;

  g_test_summary ("Valid UTF-8 samples (ASCII, U+0000, 2/3/4-byte, U+10FFFF) are accepted "
                  "whole, byte by byte and in one feed");

  for (i = 0; i < G_N_ELEMENTS (valid_samples); i++)
    {
      const Sample *s = &valid_samples[i];
      FwsUtf8Validator v;
      gboolean finished;

      g_test_message ("%s", s->name);
      g_assert_true (fws_utf8_validate (s->bytes, s->len));
      g_assert_true (ref_valid (s->bytes, s->len));

      fws_utf8_validator_init (&v);
      g_assert_true (fws_utf8_validator_feed (&v, s->bytes, s->len));
      g_assert_cmpuint (v.state, ==, 0);
      g_assert_true (fws_utf8_validator_finish (&v));

      g_assert_cmpint (feed_bytewise (s->bytes, s->len, &finished), ==, -1);
      g_assert_true (finished);
    }

  /* Empty text. */
  g_assert_true (fws_utf8_validate (NULL, 0));
  g_assert_true (fws_utf8_validate ((const guint8 *) "", 0));
}

static void
test_invalid (void)
{
  gsize i;

  g_test_summary ("Overlongs, surrogates, code points past U+10FFFF, F5-FF, lone "
                  "continuations and truncated characters are rejected");

  for (i = 0; i < G_N_ELEMENTS (invalid_samples); i++)
    {
      const BadSample *s = &invalid_samples[i];
      FwsUtf8Validator v;

      g_test_message ("%s", s->name);
      g_assert_false (fws_utf8_validate (s->bytes, s->len));
      g_assert_false (ref_valid (s->bytes, s->len));

      fws_utf8_validator_init (&v);
      if (s->fail_at >= 0)
        {
          g_assert_false (fws_utf8_validator_feed (&v, s->bytes, s->len));
          g_assert_cmpuint (v.state, ==, FWS_UTF8_REJECT);
        }
      else
        {
          /* Truncated at the end: every byte so far may start valid text. */
          g_assert_true (fws_utf8_validator_feed (&v, s->bytes, s->len));
          g_assert_cmpuint (v.state, !=, 0);
          g_assert_cmpuint (v.state, !=, FWS_UTF8_REJECT);
        }
      g_assert_false (fws_utf8_validator_finish (&v));
    }
}

static void
test_fail_fast (void)
{
  gsize i;

  g_test_summary ("Fed one byte at a time, the validator fails exactly at the first "
                  "byte that cannot continue valid UTF-8 (e.g. F4 90, ED A0 at byte 2)");

  for (i = 0; i < G_N_ELEMENTS (invalid_samples); i++)
    {
      const BadSample *s = &invalid_samples[i];
      gboolean finished;

      g_test_message ("%s", s->name);
      g_assert_cmpint (feed_bytewise (s->bytes, s->len, &finished), ==, s->fail_at);
      g_assert_cmpint (ref_fail_at (s->bytes, s->len), ==, s->fail_at);
      g_assert_false (finished);
    }

  /* Every lead byte followed by every second byte: the verdict at byte 2
   * matches the reference. */
  for (i = 0; i < 256; i++)
    {
      guint j;

      for (j = 0; j < 256; j++)
        {
          guint8 s[2] = { (guint8) i, (guint8) j };
          gboolean finished;

          g_assert_cmpint (feed_bytewise (s, 2, &finished), ==, ref_fail_at (s, 2));
          g_assert_cmpint (finished, ==, ref_valid (s, 2));
        }
    }
}

static void
test_split (void)
{
  GString *text = g_string_new (NULL);
  gsize i;

  g_test_summary ("Valid text split at every position across two feeds is accepted");

  for (i = 0; i < G_N_ELEMENTS (valid_samples); i++)
    g_string_append_len (text, (const char *) valid_samples[i].bytes, valid_samples[i].len);
  /* Long enough for the word path on both sides of most splits. */
  g_string_append (text, "0123456789abcdefghijklmnopqrstuvwxyz\xe2\x82\xac" "0123456789abcdef");

  for (i = 0; i <= text->len; i++)
    {
      FwsUtf8Validator v;

      fws_utf8_validator_init (&v);
      g_assert_true (fws_utf8_validator_feed (&v, (const guint8 *) text->str, i));
      g_assert_true (fws_utf8_validator_feed (&v, (const guint8 *) text->str + i, text->len - i));
      g_assert_true (fws_utf8_validator_finish (&v));
    }

  /* A split inside a character leaves the validator mid-character. */
  {
    FwsUtf8Validator v;

    fws_utf8_validator_init (&v);
    g_assert_true (fws_utf8_validator_feed (&v, (const guint8 *) "\xef\xa3", 2));
    g_assert_false (fws_utf8_validator_finish (&v));
    g_assert_true (fws_utf8_validator_feed (&v, (const guint8 *) "\xbf", 1));
    g_assert_true (fws_utf8_validator_finish (&v));
  }

  /* The validator can be reset after a rejection. */
  {
    FwsUtf8Validator v;

    fws_utf8_validator_init (&v);
    g_assert_false (fws_utf8_validator_feed (&v, (const guint8 *) "\xc0", 1));
    fws_utf8_validator_init (&v);
    g_assert_true (fws_utf8_validator_feed (&v, (const guint8 *) "ok", 2));
    g_assert_true (fws_utf8_validator_finish (&v));
  }

  g_string_free (text, TRUE);
}

static void
append_random_piece (GByteArray *arr)
{
  guint kind = g_test_rand_int_range (0, 10);
  guint8 buf[8];
  gsize n, i;

  switch (kind)
    {
    case 0: case 1: case 2:
      /* An ASCII run, sometimes long enough for the word path. */
      n = g_test_rand_int_range (1, 24);
      for (i = 0; i < n; i++)
        {
          buf[0] = (guint8) g_test_rand_int_range (0, 0x80);
          g_byte_array_append (arr, buf, 1);
        }
      break;
    case 3: case 4: case 5: case 6:
      {
        /* A code point, any plane, surrogates included (encoded the naive
         * way, so they are invalid). */
        static const guint32 ranges[][2] = {
          { 0x80, 0x7FF }, { 0x800, 0xFFFF }, { 0xD7F0, 0xE010 }, { 0x10000, 0x10FFFF },
        };
        guint r = g_test_rand_int_range (0, G_N_ELEMENTS (ranges));
        guint32 cp = (guint32) g_test_rand_int_range ((gint32) ranges[r][0], (gint32) ranges[r][1] + 1);

        if (cp < 0x800)
          {
            buf[0] = 0xC0 | (cp >> 6);
            buf[1] = 0x80 | (cp & 0x3F);
            n = 2;
          }
        else if (cp < 0x10000)
          {
            buf[0] = 0xE0 | (cp >> 12);
            buf[1] = 0x80 | ((cp >> 6) & 0x3F);
            buf[2] = 0x80 | (cp & 0x3F);
            n = 3;
          }
        else
          {
            buf[0] = 0xF0 | (cp >> 18);
            buf[1] = 0x80 | ((cp >> 12) & 0x3F);
            buf[2] = 0x80 | ((cp >> 6) & 0x3F);
            buf[3] = 0x80 | (cp & 0x3F);
            n = 4;
          }
        g_byte_array_append (arr, buf, n);
      }
      break;
    case 7:
      /* Boundary-ish lead bytes followed by continuation bytes. */
      {
        static const guint8 leads[] = { 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEE, 0xF0, 0xF4, 0xF5 };

        buf[0] = leads[g_test_rand_int_range (0, G_N_ELEMENTS (leads))];
        n = g_test_rand_int_range (0, 4);
        for (i = 0; i < n; i++)
          buf[1 + i] = (guint8) g_test_rand_int_range (0x80, 0xC0);
        g_byte_array_append (arr, buf, n + 1);
      }
      break;
    default:
      /* Rarely, any byte at all. */
      if (g_test_rand_int_range (0, 4) == 0)
        {
          buf[0] = (guint8) g_test_rand_int_range (0, 256);
          g_byte_array_append (arr, buf, 1);
        }
      break;
    }
}

static void
test_random (void)
{
  guint iter;
  guint n_valid = 0, n_invalid = 0;

  g_test_summary ("Random mixes of valid and invalid UTF-8 agree with a naive reference "
                  "validator: verdict, fail-fast position and random chunking");

  for (iter = 0; iter < 4000; iter++)
    {
      GByteArray *arr = g_byte_array_new ();
      guint pieces = g_test_rand_int_range (0, 12);
      gboolean expect, finished;
      gssize fail_at;
      FwsUtf8Validator v;
      gsize off;
      gboolean ok = TRUE;
      guint i;

      for (i = 0; i < pieces; i++)
        append_random_piece (arr);

      expect = ref_valid (arr->data, arr->len);
      fail_at = ref_fail_at (arr->data, arr->len);
      if (expect)
        n_valid++;
      else
        n_invalid++;

      g_assert_cmpint (fws_utf8_validate (arr->data, arr->len), ==, expect);
      g_assert_cmpint (feed_bytewise (arr->data, arr->len, &finished), ==, fail_at);
      g_assert_cmpint (finished, ==, expect);

      /* Random chunks: the chunk holding the bad byte is the first to fail. */
      fws_utf8_validator_init (&v);
      for (off = 0; off < arr->len; )
        {
          gsize n = (gsize) g_test_rand_int_range (0, 20);

          n = MIN (n, arr->len - off);

          ok = fws_utf8_validator_feed (&v, arr->data + off, n);
          if (fail_at >= 0 && (gssize) (off + n) > fail_at)
            g_assert_false (ok);
          else
            g_assert_true (ok);
          off += n;
        }
      g_assert_cmpint (fws_utf8_validator_finish (&v), ==, expect);

      g_byte_array_unref (arr);
    }

  g_test_message ("%u valid, %u invalid", n_valid, n_invalid);
  /* The generator must exercise both outcomes. */
  g_assert_cmpuint (n_valid, >, 100);
  g_assert_cmpuint (n_invalid, >, 100);
}

static void
test_word_path (void)
{
  guint64 storage[8];
  guint8 *base = (guint8 *) storage;
  gsize len, offset, pos;

  g_test_summary ("ASCII buffers of lengths 0-40 at offsets 0-7: valid as is, rejected "
                  "with a bad byte at any position, accepted with a 2-byte character there");

  for (offset = 0; offset < 8; offset++)
    for (len = 0; len <= 40; len++)
      {
        guint8 *buf = base + offset;

        for (pos = 0; pos < len; pos++)
          buf[pos] = (guint8) ((pos * 37 + offset) & 0x7F);   /* includes 0x00 */
        g_assert_true (fws_utf8_validate (buf, len));

        for (pos = 0; pos < len; pos++)
          {
            static const guint8 bad[] = { 0x80, 0xBF, 0xC0, 0xF5, 0xFF };
            guint8 saved = buf[pos];
            gsize b;

            for (b = 0; b < G_N_ELEMENTS (bad); b++)
              {
                FwsUtf8Validator v;

                buf[pos] = bad[b];
                g_assert_false (fws_utf8_validate (buf, len));
                fws_utf8_validator_init (&v);
                g_assert_false (fws_utf8_validator_feed (&v, buf, len));
                /* The prefix before the bad byte is fine. */
                g_assert_true (fws_utf8_validate (buf, pos));
              }

            /* A lead byte at the very end is an incomplete character. */
            buf[pos] = 0xC3;
            if (pos == len - 1)
              {
                FwsUtf8Validator v;

                fws_utf8_validator_init (&v);
                g_assert_true (fws_utf8_validator_feed (&v, buf, len));
                g_assert_false (fws_utf8_validator_finish (&v));
              }
            else
              {
                guint8 saved_next = buf[pos + 1];

                /* C3 + ASCII is invalid; C3 A9 (é) is fine. */
                g_assert_false (fws_utf8_validate (buf, len));
                buf[pos + 1] = 0xA9;
                g_assert_true (fws_utf8_validate (buf, len));
                buf[pos + 1] = saved_next;
              }
            buf[pos] = saved;
          }
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/utf8/valid", test_valid);
  g_test_add_func ("/utf8/invalid", test_invalid);
  g_test_add_func ("/utf8/fail-fast", test_fail_fast);
  g_test_add_func ("/utf8/split", test_split);
  g_test_add_func ("/utf8/random", test_random);
  g_test_add_func ("/utf8/word-path", test_word_path);

  return g_test_run ();
}
