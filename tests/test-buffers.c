/* test-buffers.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The per-thread cache of large message buffers: what it keeps, its bounds,
 * and that a large message of the codec reuses the buffer of the one before
 * once the application let go of it.
 */
#include "test-utils.h"

#include "fws-buffers-private.h"
#include "fws-ws-codec-private.h"

#include <string.h>

#define K ((gsize) 1024)
#define M ((gsize) 1024 * 1024)

/* Empties this thread's cache. */
static void
drain (void)
{
  gsize cap;
  guint8 *buf;

  while ((buf = fws_buffers_take (FWS_BUFFERS_MIN, G_MAXSIZE, &cap)) != NULL)
    g_free (buf);
}

static void
test_take_give (void)
{
  static const struct
  {
    gsize    given;       /* 0: nothing given */
    gsize    min, max;
    gboolean reused;
  } cases[] = {
    { 0,               64 * K, G_MAXSIZE, FALSE },  /* empty cache */
    { 100 * K,         90 * K, 200 * K,   TRUE },
    { 100 * K,         64 * K, 99 * K,    FALSE },  /* larger than max */
    { 100 * K,         101 * K, G_MAXSIZE, FALSE }, /* smaller than min */
    { 100 * K,         10 * K, G_MAXSIZE, FALSE },  /* min below FWS_BUFFERS_MIN */
    { 63 * K,          32 * K, G_MAXSIZE, FALSE },  /* too small to be kept */
    { FWS_BUFFERS_MAX_CAP + 1, 64 * K, G_MAXSIZE, FALSE },  /* too large to be kept */
    { FWS_BUFFERS_MAX_CAP, FWS_BUFFERS_MAX_CAP, FWS_BUFFERS_MAX_CAP, TRUE },
  };

  g_test_summary ("A given buffer comes back from take when its size is within [min, max], "
                  "and only buffers of FWS_BUFFERS_MIN to FWS_BUFFERS_MAX_CAP bytes are kept");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 *given = NULL, *got;
      gsize cap = 0;

      drain ();
      if (cases[i].given > 0)
        {
          given = g_malloc (cases[i].given);
          fws_buffers_give (given, cases[i].given);
        }
      got = fws_buffers_take (cases[i].min, cases[i].max, &cap);
      if (cases[i].reused)
        {
          g_assert_true (got == given);
          g_assert_cmpuint (cap, ==, cases[i].given);
        }
      else
        g_assert_null (got);
      g_free (got);
    }
  drain ();
}

static void
test_smallest_fits (void)
{
  gsize sizes[] = { 300 * K, 100 * K, 200 * K };
  guint8 *bufs[3];
  gsize cap;

  g_test_summary ("take returns the smallest cached buffer that fits");
  drain ();
  for (guint i = 0; i < 3; i++)
    fws_buffers_give (bufs[i] = g_malloc (sizes[i]), sizes[i]);
  g_assert_true (fws_buffers_take (150 * K, G_MAXSIZE, &cap) == bufs[2]);
  g_assert_cmpuint (cap, ==, 200 * K);
  g_free (bufs[2]);
  g_assert_true (fws_buffers_take (64 * K, G_MAXSIZE, &cap) == bufs[1]);
  g_free (bufs[1]);
  g_assert_true (fws_buffers_take (64 * K, G_MAXSIZE, &cap) == bufs[0]);
  g_free (bufs[0]);
  g_assert_null (fws_buffers_take (64 * K, G_MAXSIZE, &cap));
}

static void
test_bounds (void)
{
  gsize cap, total = 0;
  guint8 *buf;
  guint count = 0;

  g_test_summary ("The cache keeps at most FWS_BUFFERS_MAX_COUNT buffers and FWS_BUFFERS_MAX_TOTAL bytes");
  drain ();
  /* Twice as many buffers as it may hold, of 128 KiB: the count bounds. */
  for (guint i = 0; i < 2 * FWS_BUFFERS_MAX_COUNT; i++)
    fws_buffers_give (g_malloc (128 * K), 128 * K);
  while ((buf = fws_buffers_take (FWS_BUFFERS_MIN, G_MAXSIZE, &cap)) != NULL)
    {
      count++;
      g_free (buf);
    }
  g_assert_cmpuint (count, ==, FWS_BUFFERS_MAX_COUNT);

  /* Buffers of 4 MiB: the bytes bound. */
  for (guint i = 0; i < FWS_BUFFERS_MAX_COUNT; i++)
    fws_buffers_give (g_malloc (4 * M), 4 * M);
  while ((buf = fws_buffers_take (FWS_BUFFERS_MIN, G_MAXSIZE, &cap)) != NULL)
    {
      total += cap;
      g_free (buf);
    }
  g_assert_cmpuint (total, ==, FWS_BUFFERS_MAX_TOTAL / (4 * M) * (4 * M));
  g_assert_cmpuint (total, <=, FWS_BUFFERS_MAX_TOTAL);
}

typedef struct
{
  GPtrArray *messages;
} Got;

static void
message_cb (gpointer user_data, guint opcode, guint rsv, GBytes *payload)
{
  Got *got = user_data;

  g_ptr_array_add (got->messages, payload);
}

static void
feed_binary (FwsWsCodec *codec, const guint8 *payload, gsize len)
{
  static const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  g_autoptr(GBytes) frame = fws_test_frame (0x82, mask, payload, len);
  g_autoptr(GError) error = NULL;
  guint16 code = 0;
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  /* In pieces, as a socket delivers them. */
  for (gsize off = 0; off < size; off += 65536)
    g_assert_true (fws_ws_codec_feed (codec, data + off, MIN (65536, size - off), &code, &error));
  g_assert_no_error (error);
}

static void
test_codec_reuses (void)
{
  static const FwsWsCodecCallbacks callbacks = { message_cb, NULL };
  gsize len = 1 * M;
  g_autofree guint8 *one = g_malloc (len);
  g_autofree guint8 *two = g_malloc (len);
  Got got = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  FwsWsCodec *codec = fws_ws_codec_new (FWS_WS_ROLE_SERVER, 0, &callbacks, &got);
  const guint8 *first_data, *second_data;
  gsize size;

  g_test_summary ("A 1 MiB message reuses the buffer of the 1 MiB message before it once that "
                  "message was released, with its own bytes and the NUL after them; while the "
                  "first is kept, the second gets another buffer");
  drain ();
  for (gsize i = 0; i < len; i++)
    {
      one[i] = (guint8) (i * 7);
      two[i] = (guint8) (i * 13 + 1);
    }

  feed_binary (codec, one, len);
  g_assert_cmpuint (got.messages->len, ==, 1);
  first_data = g_bytes_get_data (got.messages->pdata[0], &size);
  g_assert_cmpmem (first_data, size, one, len);

  /* Kept: the next message must not write over it. */
  feed_binary (codec, two, len);
  g_assert_cmpuint (got.messages->len, ==, 2);
  second_data = g_bytes_get_data (got.messages->pdata[1], NULL);
  g_assert_true (second_data != first_data);
  g_assert_cmpmem (g_bytes_get_data (got.messages->pdata[0], NULL), len, one, len);
  g_assert_cmpmem (g_bytes_get_data (got.messages->pdata[1], NULL), len, two, len);

  /* Released: its buffer carries the next message. */
  g_ptr_array_set_size (got.messages, 0);
  feed_binary (codec, two, len);
  g_assert_cmpuint (got.messages->len, ==, 1);
  {
    const guint8 *data = g_bytes_get_data (got.messages->pdata[0], &size);
    gsize cap;
    guint8 *spare;

    g_assert_cmpmem (data, size, two, len);
    g_assert_cmpuint (data[size], ==, 0);
    /* Two buffers were released; one carries this message, the other is
     * still in the cache. */
    g_assert_true (data == first_data || data == second_data);
    spare = fws_buffers_take (len + 1, 2 * (len + 1), &cap);
    g_assert_true (spare == (data == first_data ? second_data : first_data));
    g_free (spare);
  }

  fws_ws_codec_free (codec);
  g_ptr_array_unref (got.messages);
  drain ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/buffers/take-give", test_take_give);
  g_test_add_func ("/buffers/smallest-fits", test_smallest_fits);
  g_test_add_func ("/buffers/bounds", test_bounds);
  g_test_add_func ("/buffers/codec-reuses", test_codec_reuses);
  return g_test_run ();
}
