/* fws-buffers.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-buffers-private.h"

#define MAX_BUFFERS FWS_BUFFERS_MAX_COUNT
#define MAX_TOTAL   FWS_BUFFERS_MAX_TOTAL
#define MAX_CAP     FWS_BUFFERS_MAX_CAP

typedef struct
{
  guint8 *buf[MAX_BUFFERS];
  gsize   cap[MAX_BUFFERS];
  gsize   total;
} Cache;

typedef struct
{
  guint8 *buf;
  gsize   cap;
} Wrapped;

static void
cache_free (gpointer data)
{
  Cache *cache = data;

  for (guint i = 0; i < MAX_BUFFERS; i++)
    g_free (cache->buf[i]);
  g_free (cache);
}

static GPrivate cache_key = G_PRIVATE_INIT (cache_free);

static Cache *
cache_get (void)
{
  Cache *cache = g_private_get (&cache_key);

  if (cache == NULL)
    {
      cache = g_new0 (Cache, 1);
      g_private_set (&cache_key, cache);
    }
  return cache;
}

guint8 *
fws_buffers_take (gsize  min,
                  gsize  max,
                  gsize *cap)
{
  Cache *cache = g_private_get (&cache_key);
  guint best = MAX_BUFFERS;
  guint8 *buf;

  if (cache == NULL || min < FWS_BUFFERS_MIN)
    return NULL;
  for (guint i = 0; i < MAX_BUFFERS; i++)
    if (cache->buf[i] != NULL && cache->cap[i] >= min && cache->cap[i] <= max &&
        (best == MAX_BUFFERS || cache->cap[i] < cache->cap[best]))
      best = i;
  if (best == MAX_BUFFERS)
    return NULL;
  buf = cache->buf[best];
  *cap = cache->cap[best];
  cache->buf[best] = NULL;
  cache->total -= *cap;
  return buf;
}

void
fws_buffers_give (guint8 *buf,
                  gsize   cap)
{
  Cache *cache;

  if (buf == NULL)
    return;
  if (cap < FWS_BUFFERS_MIN || cap > MAX_CAP)
    {
      g_free (buf);
      return;
    }
  cache = cache_get ();
  if (cache->total + cap <= MAX_TOTAL)
    for (guint i = 0; i < MAX_BUFFERS; i++)
      if (cache->buf[i] == NULL)
        {
          cache->buf[i] = buf;
          cache->cap[i] = cap;
          cache->total += cap;
          return;
        }
  g_free (buf);
}

static void
wrapped_free (gpointer data)
{
  Wrapped *w = data;

  fws_buffers_give (w->buf, w->cap);
  g_free (w);
}

GBytes *
fws_buffers_wrap (guint8 *buf,
                  gsize   len,
                  gsize   cap)
{
  Wrapped *w = g_new (Wrapped, 1);

  w->buf = buf;
  w->cap = cap;
  return g_bytes_new_with_free_func (buf, len, wrapped_free, w);
}
