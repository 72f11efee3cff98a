/* fws-utf8-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Incremental UTF-8 validation (sans I/O). Unlike g_utf8_validate_len() it
 * accepts U+0000. It rejects overlong forms, surrogates (U+D800-U+DFFF) and
 * code points above U+10FFFF, as RFC 3629 says. ASCII runs are checked a
 * machine word at a time.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint32 state;   /* 0: at a character boundary; FWS_UTF8_REJECT: invalid (sticky) */
  guint32 codep;   /* private to the implementation */
} FwsUtf8Validator;

#define FWS_UTF8_REJECT 1

/* Resets @v to the start of a new text. */
void     fws_utf8_validator_init     (FwsUtf8Validator *v);

/* Validates the next @len bytes of a text. Returns FALSE as soon as the
 * bytes seen so far cannot start any valid UTF-8 text (the validator then
 * stays rejected). A character split across calls is fine. */
gboolean fws_utf8_validator_feed     (FwsUtf8Validator *v,
                                      const guint8     *data,
                                      gsize             len);

/* TRUE when everything fed so far is valid and ends on a character boundary. */
gboolean fws_utf8_validator_finish   (const FwsUtf8Validator *v);

/* Validates a whole text. */
gboolean fws_utf8_validate           (const guint8 *data,
                                      gsize         len);

G_END_DECLS
