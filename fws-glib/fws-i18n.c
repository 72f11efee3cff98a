/* fws-i18n.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>

#include "fws-i18n-private.h"

/* Binds the library's text domain to LOCALEDIR, the locale directory of
 * the prefix it was configured for (meson's prefix / localedir), once. It
 * runs before the first translatable string on every path: the gettext
 * macro of fws-i18n-private.h calls it, and so does fws_error_quark(). */
void
fws_i18n_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      /* FWS_LOCALEDIR points an uninstalled build at the .mo files in its
       * build directory (the tests set it to build/po); it is ignored in
       * setuid and setgid programs. */
      const char *localedir = secure_getenv ("FWS_LOCALEDIR");

      if (localedir == NULL || *localedir == '\0')
        localedir = LOCALEDIR;
      bindtextdomain (GETTEXT_PACKAGE, localedir);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }
}

const char *
fws_i18n_gettext (const char *msgid)
{
  fws_i18n_init ();
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}
