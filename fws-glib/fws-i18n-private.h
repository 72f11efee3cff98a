/* fws-i18n-private.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

void        fws_i18n_init    (void);
const char *fws_i18n_gettext (const char *msgid) G_GNUC_FORMAT (1);

/* Every translatable string binds the text domain first: a message raised
 * before any class of the library was initialised (fws_client_new() with a
 * bad URL, say) is translated like the ones after it. */
#undef _
#define _(String) ((char *) fws_i18n_gettext (String))

G_END_DECLS
