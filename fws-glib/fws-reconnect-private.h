/* fws-reconnect-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The reconnect policy both clients share (FwsClient and
 * FwsEventSourceClient): how long to wait before the next attempt
 * (exponential backoff with full jitter, a cap, a number of attempts), and
 * the wait itself, which watches a GNetworkMonitor: while the network is
 * unavailable no timer is armed; when it comes back the wait ends at once.
 *
 * The contract:
 * - In: the owner's properties (the fields marked "options"), then
 *   fws_reconnect_next () when a connection was lost, and
 *   fws_reconnect_wait () with the delay; fws_reconnect_reset () once a
 *   connection opened; fws_reconnect_stop () when the owner stops.
 * - Out: the func given to fws_reconnect_init (), once per wait, from the
 *   main loop of the context that was thread-default at init, never from
 *   inside a call of the owner's. The owner keeps itself alive while it
 *   waits (the policy holds no reference on it).
 * - The monitor's notify::network-available is expected in that context
 *   too (GNetworkMonitor emits in the context it was made in: make the
 *   client in the same thread as the monitor).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FWS_RECONNECT_DEFAULT_INITIAL_DELAY_MS 1000
#define FWS_RECONNECT_DEFAULT_MAX_DELAY_MS     30000

typedef void (*FwsReconnectFunc) (gpointer user_data);

typedef struct
{
  /* options: the owner's properties */
  gboolean          enabled;
  guint             initial_delay;   /* ms */
  guint             max_delay;       /* ms */
  guint             max_attempts;    /* 0: no limit */
  GNetworkMonitor  *monitor;         /* (owned) (nullable) */
  gboolean          monitor_set;     /* set by the program: NULL watches nothing */
  gboolean          loopback;        /* the URL's host is loopback: the default
                                      * monitor (routes) is not consulted */

  /* the state */
  GMainContext     *context;         /* (owned) */
  FwsReconnectFunc  func;
  gpointer          user_data;
  guint             attempt;         /* attempts since the last open */
  gboolean          waiting;
  gboolean          offline;         /* waiting, and the network is unavailable */
  GSource          *timer;           /* (owned) (nullable) armed only while the network is available */
  GNetworkMonitor  *watched;         /* (owned) (nullable) whose notify we hold */
  gulong            notify_id;
} FwsReconnect;

void             fws_reconnect_init        (FwsReconnect     *r,
                                            gboolean          enabled,
                                            FwsReconnectFunc  func,
                                            gpointer          user_data);
/* Stops and lets go of everything (dispose). */
void             fws_reconnect_clear       (FwsReconnect     *r);

/* The monitor watched: the one set, or g_network_monitor_get_default ()
 * until one was set. (transfer none) */
GNetworkMonitor *fws_reconnect_get_monitor (FwsReconnect     *r);
/* Returns TRUE when it changed (the owner notifies). */
gboolean         fws_reconnect_set_monitor (FwsReconnect     *r,
                                            GNetworkMonitor  *monitor);

/* A connection was lost: FALSE when the policy is off or the attempts are
 * used up; otherwise counts one more and stores its number in @attempt
 * (1 for the first after an open). */
gboolean         fws_reconnect_next        (FwsReconnect     *r,
                                            guint            *attempt);
/* The backoff of attempt @step: 0 for step 0, else a random delay in
 * [0, min (max_delay, initial_delay * 2^(step - 1))] ms. */
guint            fws_reconnect_backoff     (FwsReconnect     *r,
                                            guint             step);
/* Calls func after @delay ms of available network (at once when the
 * network comes back while waiting). Replaces a wait in progress. */
void             fws_reconnect_wait        (FwsReconnect     *r,
                                            guint             delay);
gboolean         fws_reconnect_is_waiting  (FwsReconnect     *r);
/* Ends a wait without calling func. */
void             fws_reconnect_stop        (FwsReconnect     *r);
/* A connection opened: the next loss is attempt 1 again. */
void             fws_reconnect_reset       (FwsReconnect     *r);

/* Whether @host (a URL's, IPv6 without brackets or with) is localhost, a
 * name under .localhost, or a loopback address. */
gboolean         fws_reconnect_host_is_loopback (const char *host);

/* Whether @error says that trying again is futile: the server's
 * certificate was refused (or it does not speak TLS, or wants a client
 * certificate), the URL or proxy URL is invalid, TLS is not available. */
gboolean         fws_reconnect_error_is_final (const GError *error);

/* Sans I/O, for the unit test: the cap of attempt @step (0 for step 0),
 * and a delay in [0, @cap] from 32 random bits. */
guint            fws_reconnect_cap         (guint             initial_delay,
                                            guint             max_delay,
                                            guint             step);
guint            fws_reconnect_jitter      (guint             cap,
                                            guint32           random);

/* Tests only: where the random bits come from (NULL: the kernel's CSPRNG,
 * the default). */
void             fws_reconnect_set_test_random (guint32 (*func) (void));

G_END_DECLS
