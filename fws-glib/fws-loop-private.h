/* fws-loop-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One epoll-backed GSource per GMainContext watches every fws-glib socket on
 * that context and dispatches only the ready ones, so a main-loop iteration
 * costs the same with 10 or 10,000 idle connections (PLATFORM.md 2). The
 * first few sockets (at most 4) are polled by GLib directly instead, which
 * saves the epoll_wait per dispatch when a context has few connections.
 * The source may recurse; a watch whose function is on the stack is never
 * called again from a nested main loop on the same context.
 */
#pragma once

#include <glib.h>
#include <sys/epoll.h>

G_BEGIN_DECLS

/* Extra event bits, beside EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP. */
#define FWS_LOOP_FLUSH  (1u << 28)   /* fws_loop_watch_wake (FWS_LOOP_FLUSH) */
#define FWS_LOOP_READ   (1u << 29)   /* read again: bytes may be buffered (TLS) */

typedef struct _FwsLoopWatch FwsLoopWatch;

typedef void (*FwsLoopFunc) (gpointer user_data,
                             guint32  events);

/* Watches @fd (may be -1: then only wakes are delivered) for @events
 * (EPOLLIN and/or EPOLLOUT, level-triggered) on @context's loop. */
FwsLoopWatch *fws_loop_watch_new        (GMainContext *context,
                                         int           fd,
                                         guint32       events,
                                         FwsLoopFunc   func,
                                         gpointer      user_data);
void          fws_loop_watch_set_events (FwsLoopWatch *watch,
                                         guint32       events);
/* Delivers @events (FWS_LOOP_FLUSH, FWS_LOOP_READ) to the watch's function
 * in the next dispatch of its loop, after the socket events of that
 * dispatch: messages queued while handling input leave in one write. */
void          fws_loop_watch_wake       (FwsLoopWatch *watch,
                                         guint32       events);
/* Stops the watch. Safe from inside its own callback. */
void          fws_loop_watch_free       (FwsLoopWatch *watch);

/* A scratch buffer shared by every connection of the watch's context, for
 * reads whose bytes are consumed before the callback returns. */
guint8       *fws_loop_watch_get_buffer (FwsLoopWatch *watch,
                                         gsize        *size);

/* The number of dispatches the watch's loop has started: callbacks made in
 * one dispatch (socket events and wakes alike) see the same value, so an
 * owner can bound its work per dispatch (fairness, docs/limits.md). A
 * main loop nested in a callback starts dispatches of its own, so watches
 * handled after it in the outer dispatch see a newer value (a fresh
 * budget); the watch whose callback nests is never re-entered. */
guint64       fws_loop_watch_get_dispatch (FwsLoopWatch *watch);

G_END_DECLS
