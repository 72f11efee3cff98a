/* fws-reconnect.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-reconnect-private.h"

#include <string.h>

#include "fws-error.h"
#include "fws-random-private.h"

static guint32 (*test_random) (void);

void
fws_reconnect_set_test_random (guint32 (*func) (void))
{
  test_random = func;
}

static guint32
random_bits (void)
{
  guint32 bits;

  if (test_random != NULL)
    return test_random ();
  fws_random_bytes ((guint8 *) &bits, sizeof bits);
  return bits;
}

/* ---- Sans I/O ---- */

guint
fws_reconnect_cap (guint initial_delay,
                   guint max_delay,
                   guint step)
{
  guint64 cap = initial_delay;

  if (step == 0)
    return 0;
  /* Doubling stops once past the cap, so nothing overflows. */
  for (guint i = 1; i < step && cap < max_delay; i++)
    cap *= 2;
  return (guint) MIN (cap, (guint64) max_delay);
}

guint
fws_reconnect_jitter (guint   cap,
                      guint32 random)
{
  /* (cap + 1) * random / 2^32: every value of [0, cap], none above. */
  return (guint) ((((guint64) cap + 1) * random) >> 32);
}

gboolean
fws_reconnect_error_is_final (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == G_TLS_ERROR)
    return error->code == G_TLS_ERROR_BAD_CERTIFICATE || error->code == G_TLS_ERROR_NOT_TLS ||
           error->code == G_TLS_ERROR_HANDSHAKE || error->code == G_TLS_ERROR_CERTIFICATE_REQUIRED;
  if (error->domain == FWS_ERROR)
    return error->code == FWS_ERROR_INVALID_ARGUMENT || error->code == FWS_ERROR_NOT_SUPPORTED;
  return FALSE;
}

gboolean
fws_reconnect_host_is_loopback (const char *host)
{
  g_autofree char *bare = NULL;
  g_autoptr(GInetAddress) address = NULL;
  gsize len;

  if (host == NULL)
    return FALSE;
  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    bare = g_ascii_strdown (host + 1, (gssize) len - 2);
  else
    bare = g_ascii_strdown (host, -1);
  if (g_str_equal (bare, "localhost") || g_str_has_suffix (bare, ".localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* ---- The wait ---- */

void
fws_reconnect_init (FwsReconnect     *r,
                    gboolean          enabled,
                    FwsReconnectFunc  func,
                    gpointer          user_data)
{
  memset (r, 0, sizeof *r);
  r->enabled = enabled;
  r->initial_delay = FWS_RECONNECT_DEFAULT_INITIAL_DELAY_MS;
  r->max_delay = FWS_RECONNECT_DEFAULT_MAX_DELAY_MS;
  r->context = g_main_context_ref_thread_default ();
  r->func = func;
  r->user_data = user_data;
}

static void
destroy_timer (FwsReconnect *r)
{
  if (r->timer != NULL)
    {
      g_source_destroy (r->timer);
      g_clear_pointer (&r->timer, g_source_unref);
    }
}

static void
unwatch (FwsReconnect *r)
{
  if (r->watched != NULL)
    {
      g_clear_signal_handler (&r->notify_id, r->watched);
      g_clear_object (&r->watched);
    }
}

void
fws_reconnect_stop (FwsReconnect *r)
{
  r->waiting = FALSE;
  r->offline = FALSE;
  destroy_timer (r);
  unwatch (r);
}

void
fws_reconnect_clear (FwsReconnect *r)
{
  fws_reconnect_stop (r);
  g_clear_object (&r->monitor);
  g_clear_pointer (&r->context, g_main_context_unref);
}

GNetworkMonitor *
fws_reconnect_get_monitor (FwsReconnect *r)
{
  return r->monitor_set ? r->monitor : g_network_monitor_get_default ();
}

static gboolean
network_available (FwsReconnect *r)
{
  GNetworkMonitor *monitor = r->watched;

  return monitor == NULL || g_network_monitor_get_network_available (monitor);
}

static gboolean
timer_cb (gpointer user_data)
{
  FwsReconnect *r = user_data;

  g_clear_pointer (&r->timer, g_source_unref);
  fws_reconnect_stop (r);
  r->func (r->user_data);
  return G_SOURCE_REMOVE;
}

static void
arm (FwsReconnect *r,
     guint         delay)
{
  destroy_timer (r);
  r->timer = g_timeout_source_new (delay);
  g_source_set_priority (r->timer, G_PRIORITY_DEFAULT);
  g_source_set_static_name (r->timer, "fws-reconnect");
  g_source_set_callback (r->timer, timer_cb, r, NULL);
  g_source_attach (r->timer, r->context);
}

static void
network_cb (GObject    *monitor,
            GParamSpec *pspec,
            gpointer    user_data)
{
  FwsReconnect *r = user_data;

  if (!r->waiting)
    return;
  if (!network_available (r))
    {
      /* No attempt while there is no network. */
      r->offline = TRUE;
      destroy_timer (r);
    }
  else if (r->offline)
    {
      /* Back: the rest of the backoff is not waited for. From the main
       * loop, not from inside the monitor's notify. */
      r->offline = FALSE;
      arm (r, 0);
    }
}

static void
watch (FwsReconnect *r)
{
  /* The system's monitor follows the default route, which a loopback
   * connection does not need: it would hold back a client of a local
   * service on a machine that is offline. */
  GNetworkMonitor *monitor = r->loopback && !r->monitor_set ? NULL : fws_reconnect_get_monitor (r);

  if (monitor == r->watched)
    return;
  unwatch (r);
  if (monitor == NULL)
    return;
  r->watched = g_object_ref (monitor);
  r->notify_id = g_signal_connect (monitor, "notify::network-available", G_CALLBACK (network_cb), r);
}

gboolean
fws_reconnect_set_monitor (FwsReconnect    *r,
                           GNetworkMonitor *monitor)
{
  if (r->monitor_set && r->monitor == monitor)
    return FALSE;
  r->monitor_set = TRUE;
  g_set_object (&r->monitor, monitor);
  if (r->waiting)
    {
      /* Follow the new one. */
      watch (r);
      network_cb (NULL, NULL, r);
    }
  return TRUE;
}

gboolean
fws_reconnect_next (FwsReconnect *r,
                    guint        *attempt)
{
  if (!r->enabled || (r->max_attempts != 0 && r->attempt >= r->max_attempts))
    return FALSE;
  r->attempt++;
  *attempt = r->attempt;
  return TRUE;
}

guint
fws_reconnect_backoff (FwsReconnect *r,
                       guint         step)
{
  if (step == 0)
    return 0;
  return fws_reconnect_jitter (fws_reconnect_cap (r->initial_delay, r->max_delay, step), random_bits ());
}

void
fws_reconnect_wait (FwsReconnect *r,
                    guint         delay)
{
  fws_reconnect_stop (r);
  r->waiting = TRUE;
  watch (r);
  r->offline = !network_available (r);
  if (!r->offline)
    arm (r, delay);
}

gboolean
fws_reconnect_is_waiting (FwsReconnect *r)
{
  return r->waiting;
}

void
fws_reconnect_reset (FwsReconnect *r)
{
  r->attempt = 0;
}
