/* fws-i18n-private.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

void fws_i18n_init (void);

G_END_DECLS
