/* fws-random.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-random-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define POOL_SIZE 512

static __thread guint8 pool[POOL_SIZE];
static __thread gsize pool_left;

static void
fill (guint8 *buf, gsize len)
{
  while (len > 0)
    {
      ssize_t n = getrandom (buf, len, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom() failed: %s", g_strerror (errno));
        }
      buf += n;
      len -= (gsize) n;
    }
}

void
fws_random_bytes (guint8 *buf,
                  gsize   len)
{
  if (len > POOL_SIZE / 4)
    {
      fill (buf, len);
      return;
    }
  if (pool_left < len)
    {
      fill (pool, POOL_SIZE);
      pool_left = POOL_SIZE;
    }
  memcpy (buf, pool + POOL_SIZE - pool_left, len);
  /* Never hand out the same bytes twice. */
  memset (pool + POOL_SIZE - pool_left, 0, len);
  pool_left -= len;
}
