/* fws-random-private.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fills @buf with bytes from the kernel's CSPRNG (getrandom), through a small
 * per-thread pool so that a 4-byte mask key costs no system call. */
void fws_random_bytes (guint8 *buf,
                       gsize   len);

G_END_DECLS
