/* fws-buffers-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small per-thread cache of large message buffers (sans I/O). A received
 * message of a megabyte in a fresh malloc'd buffer faults its pages in
 * every time (glibc serves it with mmap and gives it back on free); handed
 * out as a GBytes whose free function returns the buffer here, the next
 * message of that size reuses pages that are already mapped. The cache
 * holds a few buffers of bounded size; process-wide malloc settings stay
 * the application's business.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Buffers of at least this many bytes go through the cache. */
#define FWS_BUFFERS_MIN ((gsize) 64 * 1024)
/* Per thread: at most this many buffers, this many bytes in all, none
 * larger than FWS_BUFFERS_MAX_CAP. Enough for a few connections exchanging
 * messages of a few megabytes, and a bound on what an idle thread keeps. */
#define FWS_BUFFERS_MAX_COUNT 8
#define FWS_BUFFERS_MAX_TOTAL ((gsize) 16 * 1024 * 1024)
#define FWS_BUFFERS_MAX_CAP   ((gsize) 4 * 1024 * 1024 + 64)

/* A cached buffer of at least @min and at most @max bytes (the smallest
 * such), or NULL; @cap gets its size. Free it with g_free or give it back. */
guint8 *fws_buffers_take (gsize  min,
                          gsize  max,
                          gsize *cap);
/* Keeps @buf (of @cap bytes, from g_malloc) for a later take, or frees it
 * when the cache is full or @cap too large. */
void    fws_buffers_give (guint8 *buf,
                          gsize   cap);
/* A GBytes of the first @len bytes of @buf (@cap bytes, from g_malloc);
 * its last unref gives @buf back. Takes @buf. */
GBytes *fws_buffers_wrap (guint8 *buf,
                          gsize   len,
                          gsize   cap);

G_END_DECLS
