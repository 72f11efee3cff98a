/* fws-error.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-error.h"

/**
 * fws_error_quark:
 *
 * The quark of the %FWS_ERROR domain.
 *
 * Returns: the error domain quark
 * Since: 0.1
 */
G_DEFINE_QUARK (fws-error-quark, fws_error)
