/* fws-utf8.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-utf8-private.h"

#include <string.h>

/* A deterministic automaton, run as a "shift DFA": each state is a bit
 * offset, and the 64-bit row of the input byte holds, at every state's
 * offset, the 6-bit offset of the next state. A step is then
 *
 *   state = (rows[byte] >> state) & 63
 *
 * whose only dependency on the previous step is one shift, so the loop is not
 * bound by the latency of a table lookup per byte.
 *
 * Every state other than ACCEPT is the set of bytes still allowed next, so
 * the automaton rejects at the first byte that cannot continue a valid text:
 * overlong forms (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code
 * points past U+10FFFF (F4 90-BF, F5-FF) fail at the byte that makes them
 * so. U+0000 is an ordinary ASCII byte.
 *
 * REJECT is offset 0, so a row only spells out the transitions that are
 * allowed. FwsUtf8Validator.state stores 0 for ACCEPT and FWS_UTF8_REJECT
 * for REJECT, as the header promises, and the offset itself otherwise. */

#define S_REJECT  0
#define S_ACCEPT  6
#define S_TAIL1  12   /* one more 80-BF */
#define S_TAIL2  18   /* two more 80-BF */
#define S_E0     24   /* after E0: A0-BF, then one more */
#define S_ED     30   /* after ED: 80-9F, then one more */
#define S_TAIL3  36   /* three more 80-BF (after F1-F3) */
#define S_F0     42   /* after F0: 90-BF, then two more */
#define S_F4     48   /* after F4: 80-8F, then two more */

/* In state @from, go to state @to. */
#define T(from, to) ((guint64) (to) << (from))

#define ROW_ASCII   (T (S_ACCEPT, S_ACCEPT))                                    /* 00-7F */
#define ROW_CONT_80 (T (S_TAIL1, S_ACCEPT) | T (S_TAIL2, S_TAIL1) | T (S_ED, S_TAIL1) | \
                     T (S_TAIL3, S_TAIL2) | T (S_F4, S_TAIL2))                   /* 80-8F */
#define ROW_CONT_90 (T (S_TAIL1, S_ACCEPT) | T (S_TAIL2, S_TAIL1) | T (S_ED, S_TAIL1) | \
                     T (S_TAIL3, S_TAIL2) | T (S_F0, S_TAIL2))                   /* 90-9F */
#define ROW_CONT_A0 (T (S_TAIL1, S_ACCEPT) | T (S_TAIL2, S_TAIL1) | T (S_E0, S_TAIL1) | \
                     T (S_TAIL3, S_TAIL2) | T (S_F0, S_TAIL2))                   /* A0-BF */
#define ROW_BAD     G_GUINT64_CONSTANT (0)                                      /* C0-C1, F5-FF */
#define ROW_LEAD2   (T (S_ACCEPT, S_TAIL1))                                     /* C2-DF */
#define ROW_E0      (T (S_ACCEPT, S_E0))                                        /* E0 */
#define ROW_LEAD3   (T (S_ACCEPT, S_TAIL2))                                     /* E1-EC, EE-EF */
#define ROW_ED      (T (S_ACCEPT, S_ED))                                        /* ED */
#define ROW_F0      (T (S_ACCEPT, S_F0))                                        /* F0 */
#define ROW_LEAD4   (T (S_ACCEPT, S_TAIL3))                                     /* F1-F3 */
#define ROW_F4      (T (S_ACCEPT, S_F4))                                        /* F4 */

#define R4(r) r, r, r, r
#define R16(r) R4 (r), R4 (r), R4 (r), R4 (r)

static const guint64 rows[256] = {
  /* 00-7F */
  R16 (ROW_ASCII), R16 (ROW_ASCII), R16 (ROW_ASCII), R16 (ROW_ASCII),
  R16 (ROW_ASCII), R16 (ROW_ASCII), R16 (ROW_ASCII), R16 (ROW_ASCII),
  /* 80-BF */
  R16 (ROW_CONT_80), R16 (ROW_CONT_90), R16 (ROW_CONT_A0), R16 (ROW_CONT_A0),
  /* C0-DF */
  ROW_BAD, ROW_BAD, ROW_LEAD2, ROW_LEAD2, R4 (ROW_LEAD2), R4 (ROW_LEAD2), R4 (ROW_LEAD2),
  R16 (ROW_LEAD2),
  /* E0-EF */
  ROW_E0, ROW_LEAD3, ROW_LEAD3, ROW_LEAD3, R4 (ROW_LEAD3), R4 (ROW_LEAD3),
  ROW_LEAD3, ROW_ED, ROW_LEAD3, ROW_LEAD3,
  /* F0-FF */
  ROW_F0, ROW_LEAD4, ROW_LEAD4, ROW_LEAD4, ROW_F4, ROW_BAD, ROW_BAD, ROW_BAD,
  R4 (ROW_BAD), R4 (ROW_BAD),
};

#undef R16
#undef R4
#undef T

static inline guint32
state_from_public (guint32 state)
{
  if (state == 0)
    return S_ACCEPT;
  if (state == FWS_UTF8_REJECT)
    return S_REJECT;
  return state;
}

/* Never called with S_REJECT: a rejection stores FWS_UTF8_REJECT itself. */
static inline guint32
state_to_public (guint32 state)
{
  return state == S_ACCEPT ? 0 : state;
}

#define HIGH_BITS G_GUINT64_CONSTANT (0x8080808080808080)

static inline guint64
load64 (const guint8 *p)
{
  guint64 w;

  /* Unaligned and aliasing-safe; compiles to a plain load. */
  memcpy (&w, p, sizeof w);
  return w;
}

void
fws_utf8_validator_init (FwsUtf8Validator *v)
{
  g_return_if_fail (v != NULL);

  v->state = 0;
  v->codep = 0;
}

gboolean
fws_utf8_validator_feed (FwsUtf8Validator *v,
                         const guint8     *data,
                         gsize             len)
{
  const guint8 *p, *end;
  guint32 state;

  g_return_val_if_fail (v != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  state = state_from_public (v->state);
  if (state == S_REJECT)
    return FALSE;
  if (len == 0)
    return TRUE;   /* @data may be NULL: no pointer arithmetic on it */

  p = data;
  end = data + len;

  while (p < end)
    {
      if (state == S_ACCEPT)
        {
          /* ASCII fast path: at a character boundary, skip whole words
           * whose bytes all have the high bit clear. */
          while (end - p >= 16 && ((load64 (p) | load64 (p + 8)) & HIGH_BITS) == 0)
            p += 16;
          if (end - p >= 8 && (load64 (p) & HIGH_BITS) == 0)
            p += 8;
          while (p < end && *p < 0x80)
            p++;
          if (p == end)
            break;
        }

      /* Through the rest of a character and any other non-ASCII ones. */
      do
        {
          state = (guint32) (rows[*p++] >> state) & 63;
          if (G_UNLIKELY (state == S_REJECT))
            {
              v->state = FWS_UTF8_REJECT;
              return FALSE;
            }
        }
      while (p < end && (state != S_ACCEPT || *p >= 0x80));
    }

  v->state = state_to_public (state);
  return TRUE;
}

gboolean
fws_utf8_validator_finish (const FwsUtf8Validator *v)
{
  g_return_val_if_fail (v != NULL, FALSE);

  return v->state == 0;
}

gboolean
fws_utf8_validate (const guint8 *data,
                   gsize         len)
{
  FwsUtf8Validator v;

  fws_utf8_validator_init (&v);
  return fws_utf8_validator_feed (&v, data, len) && fws_utf8_validator_finish (&v);
}
