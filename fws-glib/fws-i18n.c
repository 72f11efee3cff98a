/* fws-i18n.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-i18n-private.h"

void
fws_i18n_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }
}
