/* fws-error.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-error.h"
#include "fws-i18n-private.h"

/**
 * fws_error_quark:
 *
 * The quark of the %FWS_ERROR domain.
 *
 * Returns: the error domain quark
 * Since: 0.1
 */
GQuark
fws_error_quark (void)
{
  /* Every FWS_ERROR raised binds the text domain, whichever path it took. */
  fws_i18n_init ();
  return g_quark_from_static_string ("fws-error-quark");
}
