/* fws-connection.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-connection-private.h"

#include "fws-error.h"
#include "fws-i18n-private.h"
#include "fws-request-private.h"

struct _FwsConnection
{
  GMainContext                 *context;
  GObject                      *owner;       /* not owned, unless held */
  const FwsConnectionCallbacks *callbacks;
  FwsTransport                 *transport;   /* (owned) */

  GByteArray                   *early;       /* bytes behind the request head */
  gboolean                      attached;
  gboolean                      held;
  gboolean                      closing;     /* finish was asked for */
  gboolean                      flush;       /* ... once the queue drained */
  gboolean                      dead;        /* nothing more is written */
  gboolean                      finished;

  /* the owner's bounds, for whichever transport the doors bring */
  gboolean                      limits_set;
  guint64                       max_queued;
  guint64                       high_water;
  guint64                       low_water;

  gboolean                      listed;      /* in the server registry */
  GSource                      *start_source;
  GSource                      *finish_source;
  GSource                      *timers[FWS_CONNECTION_N_TIMERS];
};

static const char * const timer_names[FWS_CONNECTION_N_TIMERS] = {
  "fws-connection-handshake-timeout",
  "fws-connection-close-timeout",
  "fws-connection-ping",
  "fws-connection-pong-deadline",
};

static void do_finish (FwsConnection *conn);

/* ---- The server connections of each context ---- */

G_LOCK_DEFINE_STATIC (registry);
static GHashTable *registry;   /* GMainContext -> GHashTable of FwsConnection */

static void
list_server (FwsConnection *conn)
{
  GHashTable *set;

  G_LOCK (registry);
  if (registry == NULL)
    registry = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_hash_table_unref);
  set = g_hash_table_lookup (registry, conn->context);
  if (set == NULL)
    {
      set = g_hash_table_new (NULL, NULL);
      g_hash_table_insert (registry, conn->context, set);
    }
  g_hash_table_add (set, conn);
  conn->listed = TRUE;
  G_UNLOCK (registry);
}

static void
unlist_server (FwsConnection *conn)
{
  GHashTable *set;

  if (!conn->listed)
    return;
  G_LOCK (registry);
  set = g_hash_table_lookup (registry, conn->context);
  g_hash_table_remove (set, conn);
  if (g_hash_table_size (set) == 0)
    g_hash_table_remove (registry, conn->context);
  conn->listed = FALSE;
  G_UNLOCK (registry);
}

guint
fws_connection_shutdown_all (GMainContext *context,
                             guint         code,
                             const char   *reason)
{
  g_autoptr(GPtrArray) owners = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) conns = g_ptr_array_new ();
  GHashTable *set;
  guint n = 0;

  /* Collected first: closing changes the registry. */
  G_LOCK (registry);
  set = registry ? g_hash_table_lookup (registry, context) : NULL;
  if (set != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, set);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          FwsConnection *conn = key;

          g_ptr_array_add (owners, g_object_ref (conn->owner));
          g_ptr_array_add (conns, conn);
        }
    }
  G_UNLOCK (registry);

  for (guint i = 0; i < conns->len; i++)
    {
      FwsConnection *conn = conns->pdata[i];

      if (conn->finished || conn->callbacks->shutdown == NULL)
        continue;
      conn->callbacks->shutdown (conn->owner, code, reason);
      n++;
    }
  return n;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static GSource *
attach_idle (FwsConnection *conn,
             const char    *name,
             GSourceFunc    func)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, conn, NULL);
  g_source_attach (source, conn->context);
  return source;
}

/* ---- Transport events ---- */

static void
transport_received_cb (gpointer      user_data,
                       const guint8 *data,
                       gsize         len)
{
  FwsConnection *conn = user_data;

  if (!conn->closing)
    conn->callbacks->received (conn->owner, data, len);
}

static gboolean
finish_source_cb (gpointer user_data)
{
  FwsConnection *conn = user_data;

  g_clear_pointer (&conn->finish_source, g_source_unref);
  /* What is queued (an echoed close frame, a 400) goes out first: then the
   * drained callback finishes. */
  if (!conn->flush || conn->dead || !fws_transport_is_open (conn->transport) ||
      fws_transport_get_queued (conn->transport) == 0)
    do_finish (conn);
  return G_SOURCE_REMOVE;
}

static void
schedule_finish (FwsConnection *conn)
{
  if (conn->finish_source == NULL && !conn->finished)
    conn->finish_source = attach_idle (conn, "fws-connection-finish", finish_source_cb);
}

static void
transport_failed_cb (gpointer      user_data,
                     const GError *error)
{
  FwsConnection *conn = user_data;

  conn->dead = TRUE;
  if (!conn->finished)
    conn->callbacks->failed (conn->owner, error);
  conn->closing = TRUE;
  conn->flush = FALSE;
  schedule_finish (conn);
}

static void
transport_drained_cb (gpointer user_data)
{
  FwsConnection *conn = user_data;

  if (conn->callbacks->drained != NULL && !conn->finished)
    conn->callbacks->drained (conn->owner);
  /* The callback may have queued more (an EventSource closed in open). */
  if (conn->closing && conn->flush && !conn->finished &&
      fws_transport_get_queued (conn->transport) == 0)
    do_finish (conn);
}

static void
transport_written_cb (gpointer user_data)
{
  FwsConnection *conn = user_data;

  if (conn->callbacks->written != NULL && !conn->finished)
    conn->callbacks->written (conn->owner);
}

static const FwsTransportCallbacks transport_callbacks = {
  transport_received_cb,
  transport_failed_cb,
  transport_drained_cb,
  transport_written_cb,
};

/* ---- Life ---- */

FwsConnection *
fws_connection_new (GObject                      *owner,
                    const FwsConnectionCallbacks *callbacks)
{
  FwsConnection *conn = g_new0 (FwsConnection, 1);

  conn->context = g_main_context_ref_thread_default ();
  conn->owner = owner;
  conn->callbacks = callbacks;
  conn->transport = fws_transport_new (conn->context, owner, &transport_callbacks, conn);
  conn->max_queued = FWS_TRANSPORT_DEFAULT_MAX_QUEUED;
  conn->high_water = FWS_TRANSPORT_DEFAULT_HIGH_WATER;
  conn->low_water = FWS_TRANSPORT_DEFAULT_LOW_WATER;
  return conn;
}

static void
apply_limits (FwsConnection *conn)
{
  fws_transport_set_max_queued (conn->transport, conn->max_queued);
  fws_transport_set_water_marks (conn->transport, conn->high_water, conn->low_water);
}

void
fws_connection_set_limits (FwsConnection *conn,
                           guint64        max_queued,
                           guint64        high_water,
                           guint64        low_water)
{
  conn->limits_set = TRUE;
  conn->max_queued = max_queued;
  conn->high_water = high_water;
  conn->low_water = low_water;
  apply_limits (conn);
}

void
fws_connection_dispose (FwsConnection *conn)
{
  unlist_server (conn);
  destroy_source (&conn->start_source);
  destroy_source (&conn->finish_source);
  for (guint i = 0; i < FWS_CONNECTION_N_TIMERS; i++)
    destroy_source (&conn->timers[i]);
  conn->dead = TRUE;
  fws_transport_release (conn->transport);
}

void
fws_connection_free (FwsConnection *conn)
{
  if (conn == NULL)
    return;
  fws_connection_dispose (conn);
  g_clear_pointer (&conn->transport, fws_transport_free);
  g_clear_pointer (&conn->early, g_byte_array_unref);
  g_main_context_unref (conn->context);
  g_free (conn);
}

void
fws_connection_hold (FwsConnection *conn)
{
  if (!conn->held && !conn->finished)
    {
      conn->held = TRUE;
      g_object_ref (conn->owner);
    }
}

static void
do_finish (FwsConnection *conn)
{
  GObject *owner = conn->owner;

  if (conn->finished)
    return;
  conn->finished = TRUE;
  conn->closing = TRUE;
  g_object_ref (owner);

  fws_connection_dispose (conn);
  g_clear_pointer (&conn->early, g_byte_array_unref);
  conn->callbacks->finished (owner);

  if (conn->held)
    {
      conn->held = FALSE;
      g_object_unref (owner);
    }
  g_object_unref (owner);
}

void
fws_connection_finish (FwsConnection *conn,
                       gboolean       flush)
{
  if (conn->finished)
    return;
  if (!conn->closing)
    conn->flush = flush;
  else if (!flush)
    conn->flush = FALSE;
  conn->closing = TRUE;
  fws_transport_set_reading (conn->transport, FALSE);
  if (!conn->flush)
    {
      conn->dead = TRUE;
      fws_transport_clear_queue (conn->transport);
    }
  destroy_source (&conn->start_source);
  schedule_finish (conn);
}

gboolean
fws_connection_is_closing (FwsConnection *conn)
{
  return conn->closing;
}

gboolean
fws_connection_is_dead (FwsConnection *conn)
{
  return conn->dead || conn->finished;
}

gboolean
fws_connection_is_finished (FwsConnection *conn)
{
  return conn->finished;
}

/* ---- Doors ---- */

static gboolean
start_cb (gpointer user_data)
{
  FwsConnection *conn = user_data;
  g_autoptr(GByteArray) early = g_steal_pointer (&conn->early);
  GObject *owner = g_object_ref (conn->owner);

  g_clear_pointer (&conn->start_source, g_source_unref);
  conn->callbacks->start (owner, early ? early->data : NULL, early ? early->len : 0);
  if (!conn->closing && !conn->finished)
    fws_transport_set_reading (conn->transport, TRUE);
  g_object_unref (owner);
  return G_SOURCE_REMOVE;
}

static void
begin (FwsConnection *conn)
{
  fws_connection_hold (conn);
  conn->start_source = attach_idle (conn, "fws-connection-start", start_cb);
}

/* A server connection, for fws_connection_shutdown_all. */
static void
begin_server (FwsConnection *conn)
{
  if (conn->callbacks->shutdown != NULL)
    list_server (conn);
  begin (conn);
}

gboolean
fws_connection_take_message (FwsConnection      *conn,
                             SoupServerMessage  *msg,
                             GError            **error)
{
  g_return_val_if_fail (!conn->attached, FALSE);

  conn->attached = TRUE;
  conn->early = g_byte_array_new ();
  if (!fws_transport_steal (conn->transport, msg, conn->early, error))
    {
      conn->dead = TRUE;
      return FALSE;
    }
  begin_server (conn);
  return TRUE;
}

gboolean
fws_connection_take_request (FwsConnection      *conn,
                             FwsRequest         *request,
                             GError            **error)
{
  FwsTransport *transport;

  g_return_val_if_fail (!conn->attached, FALSE);

  transport = fws_request_steal_transport (request, &conn->early, error);
  if (transport == NULL)
    return FALSE;
  conn->attached = TRUE;
  fws_transport_free (conn->transport);
  conn->transport = transport;
  fws_transport_set_owner (transport, conn->owner, &transport_callbacks, conn);
  apply_limits (conn);
  begin_server (conn);
  return TRUE;
}

gboolean
fws_connection_take_stream (FwsConnection  *conn,
                            GIOStream      *stream,
                            GError        **error)
{
  g_return_val_if_fail (!conn->attached, FALSE);

  conn->attached = TRUE;
  /* A client does not pause reading above the high-water mark unless its
   * owner says so: two peers that both pause can deadlock, and servers do
   * (docs/limits.md). */
  if (!conn->limits_set)
    fws_transport_set_water_marks (conn->transport, 0, 0);
  if (!fws_transport_adopt (conn->transport, stream))
    {
      conn->dead = TRUE;
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_FAILED,
                           _("The connection is not a socket connection"));
      return FALSE;
    }
  begin (conn);
  return TRUE;
}

gboolean
fws_connection_is_attached (FwsConnection *conn)
{
  return conn->attached;
}

FwsTransport *
fws_connection_get_transport (FwsConnection *conn)
{
  return conn->transport;
}

GMainContext *
fws_connection_get_context (FwsConnection *conn)
{
  return conn->context;
}

/* ---- Timers ---- */

typedef struct
{
  FwsConnection      *conn;
  FwsConnectionTimer  timer;
} TimerData;

static gboolean
timer_cb (gpointer user_data)
{
  TimerData *data = user_data;
  FwsConnection *conn = data->conn;
  FwsConnectionTimer timer = data->timer;
  GObject *owner = g_object_ref (conn->owner);

  g_clear_pointer (&conn->timers[timer], g_source_unref);
  conn->callbacks->timeout (owner, timer);
  g_object_unref (owner);
  return G_SOURCE_REMOVE;
}

void
fws_connection_set_timer (FwsConnection      *conn,
                          FwsConnectionTimer  timer,
                          guint               msec)
{
  TimerData *data;

  destroy_source (&conn->timers[timer]);
  if (msec == 0 || conn->finished)
    return;
  data = g_new (TimerData, 1);
  data->conn = conn;
  data->timer = timer;
  conn->timers[timer] = g_timeout_source_new (msec);
  g_source_set_static_name (conn->timers[timer], timer_names[timer]);
  g_source_set_callback (conn->timers[timer], timer_cb, data, g_free);
  g_source_attach (conn->timers[timer], conn->context);
}

void
fws_connection_clear_timer (FwsConnection      *conn,
                            FwsConnectionTimer  timer)
{
  destroy_source (&conn->timers[timer]);
}

gboolean
fws_connection_has_timer (FwsConnection      *conn,
                          FwsConnectionTimer  timer)
{
  return conn->timers[timer] != NULL;
}

gboolean
fws_connection_check_request (SoupHTTPVersion   version,
                              gboolean          is_kind,
                              const char       *not_http1,
                              const char       *not_kind,
                              GError          **error)
{
  if (version != SOUP_HTTP_1_1 && version != SOUP_HTTP_1_0)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED, not_http1);
      return FALSE;
    }
  if (!is_kind)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_HANDSHAKE, not_kind);
      return FALSE;
    }
  return TRUE;
}
