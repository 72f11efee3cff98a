/* fws-permessage-deflate.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * permessage-deflate (RFC 7692) with zlib, sans I/O. BEHAVIOUR.md 4, with
 * the hardening of its Decisions (inflation bounded by max-length).
 */
#include "config.h"

#include "fws-permessage-deflate-private.h"

#include <string.h>
#include <gio/gio.h>
#include <zlib.h>

#include "fws-enum-types.h"
#include "fws-error.h"
#include "fws-extensions-private.h"
#include "fws-i18n-private.h"

#define EXTENSION_NAME "permessage-deflate"
#define MIN_ZLIB_WINDOW_BITS 9
#define MAX_WINDOW_BITS 15
#define MIN_WINDOW_BITS 8
#define DEFAULT_MEM_LEVEL 5

#define SERVER_NO_CONTEXT_TAKEOVER "server_no_context_takeover"
#define CLIENT_NO_CONTEXT_TAKEOVER "client_no_context_takeover"
#define SERVER_MAX_WINDOW_BITS "server_max_window_bits"
#define CLIENT_MAX_WINDOW_BITS "client_max_window_bits"

/* The empty stored block a sync flush ends with; stripped when sending,
 * appended when receiving (RFC 7692 7.2.1, 7.2.2). */
static const guint8 trailer[4] = { 0x00, 0x00, 0xFF, 0xFF };

/**
 * FwsPermessageDeflate:
 *
 * The permessage-deflate extension (RFC 7692): messages are compressed with
 * zlib's raw deflate.
 *
 * ```c
 * g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
 * fws_web_socket_add_extension (ws, FWS_EXTENSION (deflate), NULL);
 * ```
 *
 * One object can serve any number of connections; its options are construct
 * properties (make another object for other options). `no-context-takeover`
 * and `max-window-bits` restrict our own compressor; `request-no-context-takeover`
 * and `request-max-window-bits` ask the same of the peer's. On the server
 * side, the first offer of the client that is valid and acceptable is
 * answered; a client rejects a response it cannot accept, which fails the
 * handshake.
 *
 * Every text and binary message is compressed (the first and only frame
 * of a compressed message has RSV1 set), unless it is shorter than
 * [property@Fws.PermessageDeflate:threshold]. zlib streams exist only on
 * connections that negotiated the extension and are created when the first
 * message needs them. Without context takeover, the default for our own
 * compressor, a connection keeps none between messages: its messages are
 * compressed by a stream its thread shares, and a peer's are inflated by a
 * stream released after each message. docs/extensions.md compares the
 * defaults with those of other libraries.
 *
 * Incoming messages are inflated in bounded steps: one that would exceed
 * [property@Fws.WebSocket:max-length] once inflated fails the connection with
 * close code 1009 before more than about max-length bytes are allocated.
 * Data that is not valid deflate closes it with 1007 (invalid data), where
 * faye's websocket-driver used 1010.
 *
 * Window bits 8: zlib refuses 8 for raw deflate, so window sizes of 8
 * negotiated for either side are used as 9 by zlib. For the peer's
 * compressor this is harmless (a larger window inflates anything a smaller
 * one produced). For our own compressor it is safe too: zlib never emits a
 * match more than (window size - 262) bytes back, 250 bytes for a window of
 * 9 bits, which a peer inflating with a 256-byte window accepts. So a
 * window of 8 is negotiated like any other value.
 *
 * Since: 0.1
 */

struct _FwsPermessageDeflate
{
  GObject parent_instance;

  int                level;
  guint              mem_level;
  FwsDeflateStrategy strategy;
  gboolean           no_context_takeover;
  guint              max_window_bits;
  gboolean           request_no_context_takeover;
  guint              request_max_window_bits;
  guint              threshold;
};

enum
{
  PROP_0,
  PROP_LEVEL,
  PROP_MEM_LEVEL,
  PROP_STRATEGY,
  PROP_NO_CONTEXT_TAKEOVER,
  PROP_MAX_WINDOW_BITS,
  PROP_REQUEST_NO_CONTEXT_TAKEOVER,
  PROP_REQUEST_MAX_WINDOW_BITS,
  PROP_THRESHOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------
 * Accounting of inflater memory
 * ------------------------------------------------------------------------ */

static gssize inflate_current;
static gssize inflate_peak;

static void
inflate_account (gssize delta)
{
  gssize now = g_atomic_pointer_add (&inflate_current, delta) + delta;
  gssize peak = (gssize) g_atomic_pointer_get (&inflate_peak);

  while (now > peak)
    {
      if (g_atomic_pointer_compare_and_exchange (&inflate_peak, peak, now))
        break;
      peak = (gssize) g_atomic_pointer_get (&inflate_peak);
    }
}

gsize
fws_permessage_deflate_get_inflate_peak (void)
{
  return (gsize) g_atomic_pointer_get (&inflate_peak);
}

void
fws_permessage_deflate_reset_inflate_peak (void)
{
  g_atomic_pointer_set (&inflate_peak, g_atomic_pointer_get (&inflate_current));
}

/* zlib's allocations for inflaters, counted. A size header keeps the count
 * right on free. */
#define ZHEADER 16

static voidpf
counted_zalloc (voidpf opaque,
                uInt   items,
                uInt   size)
{
  gsize n;
  guint8 *p;

  if (size != 0 && items > (G_MAXSIZE - ZHEADER) / size)
    return Z_NULL;
  n = (gsize) items * size;
  p = g_try_malloc (n + ZHEADER);
  if (p == NULL)
    return Z_NULL;
  memcpy (p, &n, sizeof n);
  inflate_account ((gssize) n);
  return p + ZHEADER;
}

static void
counted_zfree (voidpf opaque,
               voidpf address)
{
  guint8 *p = (guint8 *) address - ZHEADER;
  gsize n;

  memcpy (&n, p, sizeof n);
  inflate_account (-(gssize) n);
  g_free (p);
}

/* ------------------------------------------------------------------------
 * Live zlib streams, and the compressors shared by the sessions of a thread
 * ------------------------------------------------------------------------ */

static gint live_deflaters;
static gint live_inflaters;

guint
fws_permessage_deflate_get_live_deflaters (void)
{
  return (guint) g_atomic_int_get (&live_deflaters);
}

guint
fws_permessage_deflate_get_live_inflaters (void)
{
  return (guint) g_atomic_int_get (&live_inflaters);
}

/* A compressor without context takeover starts every message afresh, so
 * one zlib stream per thread and set of zlib parameters serves all such
 * sessions of the thread: it is reset after each message instead of being
 * made and freed again (as uWebSockets' shared compressor is). A few sets
 * of parameters are kept, the least recently used one is dropped. */
#define MAX_SHARED_DEFLATERS 4

typedef struct
{
  int       level;
  int       mem_level;
  int       strategy;
  int       window_bits;
  z_stream *z;
} SharedDeflater;

typedef struct
{
  SharedDeflater slot[MAX_SHARED_DEFLATERS];   /* most recently used first */
  guint          n;
} SharedDeflaters;

static void
shared_deflater_end (SharedDeflater *d)
{
  deflateEnd (d->z);
  g_clear_pointer (&d->z, g_free);
  g_atomic_int_dec_and_test (&live_deflaters);
}

static void
shared_deflaters_free (gpointer data)
{
  SharedDeflaters *shared = data;

  for (guint i = 0; i < shared->n; i++)
    shared_deflater_end (&shared->slot[i]);
  g_free (shared);
}

static GPrivate shared_deflaters_key = G_PRIVATE_INIT (shared_deflaters_free);

/* This thread's compressor for these parameters, made if needed; NULL
 * with @ret set when zlib refuses. */
static z_stream *
shared_deflater_get (int  level,
                     int  mem_level,
                     int  strategy,
                     int  window_bits,
                     int *ret)
{
  SharedDeflaters *shared = g_private_get (&shared_deflaters_key);
  SharedDeflater found = { level, mem_level, strategy, window_bits, NULL };
  guint i;

  if (shared == NULL)
    {
      shared = g_new0 (SharedDeflaters, 1);
      g_private_set (&shared_deflaters_key, shared);
    }
  for (i = 0; i < shared->n; i++)
    {
      SharedDeflater *d = &shared->slot[i];

      if (d->level == level && d->mem_level == mem_level && d->strategy == strategy &&
          d->window_bits == window_bits)
        break;
    }
  if (i < shared->n)
    found = shared->slot[i];
  else
    {
      found.z = g_new0 (z_stream, 1);
      *ret = deflateInit2 (found.z, level, Z_DEFLATED, -window_bits, mem_level, strategy);
      if (*ret != Z_OK)
        {
          g_free (found.z);
          return NULL;
        }
      g_atomic_int_inc (&live_deflaters);
      if (shared->n == MAX_SHARED_DEFLATERS)
        shared_deflater_end (&shared->slot[--shared->n]);
      i = shared->n++;
    }
  /* To the front. */
  memmove (&shared->slot[1], &shared->slot[0], i * sizeof shared->slot[0]);
  shared->slot[0] = found;
  return found.z;
}

/* After a message: ready for the next one, or dropped if zlib cannot
 * reset it (@failed: the message failed, drop it anyway). */
static void
shared_deflater_put (z_stream *z,
                     gboolean  failed)
{
  SharedDeflaters *shared = g_private_get (&shared_deflaters_key);

  if (!failed && deflateReset (z) == Z_OK)
    return;
  for (guint i = 0; shared != NULL && i < shared->n; i++)
    if (shared->slot[i].z == z)
      {
        shared_deflater_end (&shared->slot[i]);
        memmove (&shared->slot[i], &shared->slot[i + 1], (shared->n - i - 1) * sizeof shared->slot[0]);
        shared->n--;
        return;
      }
}

void
fws_permessage_deflate_release_shared (void)
{
  SharedDeflaters *shared = g_private_get (&shared_deflaters_key);

  while (shared != NULL && shared->n > 0)
    shared_deflater_end (&shared->slot[--shared->n]);
}

/* ------------------------------------------------------------------------
 * Parameters (BEHAVIOUR.md 4.2)
 * ------------------------------------------------------------------------ */

static gboolean
is_flag (GVariant *v)
{
  return g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean (v);
}

static gboolean
is_window_bits (GVariant *v)
{
  if (!g_variant_is_of_type (v, G_VARIANT_TYPE_INT64))
    return FALSE;
  return g_variant_get_int64 (v) >= MIN_WINDOW_BITS && g_variant_get_int64 (v) <= MAX_WINDOW_BITS;
}

/* In an offer, client_max_window_bits may also be a bare flag. */
static gboolean
valid_params (FwsExtensionParams *params,
              gboolean            is_response)
{
  guint i, n = fws_extension_params_get_length (params);

  for (i = 0; i < n; i++)
    {
      const char *key = fws_extension_params_get_key (params, i);
      GVariant *value = fws_extension_params_get_value (params, i);

      if (fws_extension_params_count (params, key) != 1)
        return FALSE;
      if (strcmp (key, SERVER_NO_CONTEXT_TAKEOVER) == 0 ||
          strcmp (key, CLIENT_NO_CONTEXT_TAKEOVER) == 0)
        {
          if (!is_flag (value))
            return FALSE;
        }
      else if (strcmp (key, SERVER_MAX_WINDOW_BITS) == 0)
        {
          if (!is_window_bits (value))
            return FALSE;
        }
      else if (strcmp (key, CLIENT_MAX_WINDOW_BITS) == 0)
        {
          if (!is_window_bits (value) && (is_response || !is_flag (value)))
            return FALSE;
        }
      else
        return FALSE;
    }
  return TRUE;
}

/* The window bits of @key: 15 when absent or a flag. */
static guint
window_bits_of (FwsExtensionParams *params,
                const char         *key)
{
  GVariant *v = fws_extension_params_lookup (params, key);

  return v != NULL && is_window_bits (v) ? (guint) g_variant_get_int64 (v) : MAX_WINDOW_BITS;
}

/* ------------------------------------------------------------------------
 * The session
 * ------------------------------------------------------------------------ */

#define FWS_TYPE_DEFLATE_SESSION (fws_deflate_session_get_type ())
G_DECLARE_FINAL_TYPE (FwsDeflateSession, fws_deflate_session, FWS, DEFLATE_SESSION, GObject)

struct _FwsDeflateSession
{
  GObject             parent_instance;

  gboolean            is_client;
  /* options, copied from the extension */
  int                 level;
  int                 mem_level;
  int                 strategy;
  gboolean            no_context_takeover;
  guint               max_window_bits;
  gboolean            request_no_context_takeover;
  guint               request_max_window_bits;
  guint               threshold;

  gboolean            configured;
  FwsDeflateConfig    config;
  FwsExtensionParams *response;      /* server */

  z_stream           *deflater;      /* (nullable) */
  gboolean            deflater_shared;  /* deflater is this thread's, lent for one message */
  z_stream           *inflater;      /* (nullable) */
  gboolean            inflater_ended;  /* a final block arrived: reset before use */
  guint               deflater_inits;
  guint               inflater_inits;
  struct _Inflation  *inflation;     /* (nullable) a message inflated in steps */
  guint               deflated;      /* messages compressed */
};

static void fws_deflate_session_iface_init (FwsExtensionSessionInterface *iface);
static void inflation_free (FwsDeflateSession *self);

G_DEFINE_FINAL_TYPE_WITH_CODE (FwsDeflateSession, fws_deflate_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FWS_TYPE_EXTENSION_SESSION,
                                                      fws_deflate_session_iface_init))

/* Releases our compressor: a shared one goes back to its thread, reset. */
static void
end_deflater (FwsDeflateSession *self)
{
  if (self->deflater == NULL)
    return;
  if (self->deflater_shared)
    {
      shared_deflater_put (g_steal_pointer (&self->deflater), FALSE);
      self->deflater_shared = FALSE;
      return;
    }
  deflateEnd (self->deflater);
  g_clear_pointer (&self->deflater, g_free);
  g_atomic_int_dec_and_test (&live_deflaters);
}

static void
end_inflater (FwsDeflateSession *self)
{
  inflation_free (self);
  if (self->inflater == NULL)
    return;
  inflateEnd (self->inflater);
  g_clear_pointer (&self->inflater, g_free);
  self->inflater_ended = FALSE;
  g_atomic_int_dec_and_test (&live_inflaters);
}

static void
fws_deflate_session_finalize (GObject *object)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (object);

  end_deflater (self);
  end_inflater (self);
  g_clear_pointer (&self->response, fws_extension_params_unref);
  G_OBJECT_CLASS (fws_deflate_session_parent_class)->finalize (object);
}

static void
fws_deflate_session_class_init (FwsDeflateSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fws_deflate_session_finalize;
}

static void
fws_deflate_session_init (FwsDeflateSession *self)
{
}

static FwsDeflateSession *
session_new (FwsPermessageDeflate *ext,
             gboolean              is_client)
{
  FwsDeflateSession *self = g_object_new (FWS_TYPE_DEFLATE_SESSION, NULL);

  self->is_client = is_client;
  self->level = ext->level;
  self->mem_level = (int) ext->mem_level;
  self->strategy = (int) ext->strategy;
  self->no_context_takeover = ext->no_context_takeover;
  self->max_window_bits = ext->max_window_bits;
  self->request_no_context_takeover = ext->request_no_context_takeover;
  self->request_max_window_bits = ext->request_max_window_bits;
  self->threshold = ext->threshold;
  self->config.level = self->level;
  self->config.mem_level = self->mem_level;
  self->config.strategy = self->strategy;
  return self;
}

/* Client (BEHAVIOUR.md 4.3). */
static FwsExtensionParams **
session_generate_offer (FwsExtensionSession  *session,
                        GError              **error)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (session);
  FwsExtensionParams **offers = g_new0 (FwsExtensionParams *, 2);
  FwsExtensionParams *offer = fws_extension_params_new ();

  if (self->no_context_takeover)
    fws_extension_params_add_flag (offer, CLIENT_NO_CONTEXT_TAKEOVER);
  if (self->max_window_bits < MAX_WINDOW_BITS)
    fws_extension_params_add_int (offer, CLIENT_MAX_WINDOW_BITS, self->max_window_bits);
  else
    fws_extension_params_add_flag (offer, CLIENT_MAX_WINDOW_BITS);
  if (self->request_no_context_takeover)
    fws_extension_params_add_flag (offer, SERVER_NO_CONTEXT_TAKEOVER);
  if (self->request_max_window_bits < MAX_WINDOW_BITS)
    fws_extension_params_add_int (offer, SERVER_MAX_WINDOW_BITS, self->request_max_window_bits);
  offers[0] = offer;
  return offers;
}

static gboolean
session_activate (FwsExtensionSession  *session,
                  FwsExtensionParams   *params,
                  GError              **error)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (session);
  GVariant *client_bits, *server_bits;

  g_return_val_if_fail (self->is_client, FALSE);

  if (!valid_params (params, TRUE))
    return FALSE;
  client_bits = fws_extension_params_lookup (params, CLIENT_MAX_WINDOW_BITS);
  server_bits = fws_extension_params_lookup (params, SERVER_MAX_WINDOW_BITS);
  if (client_bits != NULL && (guint) g_variant_get_int64 (client_bits) > self->max_window_bits)
    return FALSE;
  if (self->request_no_context_takeover &&
      fws_extension_params_lookup (params, SERVER_NO_CONTEXT_TAKEOVER) == NULL)
    return FALSE;
  if (self->request_max_window_bits < MAX_WINDOW_BITS &&
      (server_bits == NULL || (guint) g_variant_get_int64 (server_bits) > self->request_max_window_bits))
    return FALSE;

  self->config.own_takeover = !self->no_context_takeover &&
                              fws_extension_params_lookup (params, CLIENT_NO_CONTEXT_TAKEOVER) == NULL;
  self->config.own_window = MIN (self->max_window_bits, window_bits_of (params, CLIENT_MAX_WINDOW_BITS));
  self->config.peer_takeover = fws_extension_params_lookup (params, SERVER_NO_CONTEXT_TAKEOVER) == NULL;
  self->config.peer_window = window_bits_of (params, SERVER_MAX_WINDOW_BITS);
  self->configured = TRUE;
  return TRUE;
}

/* Server (BEHAVIOUR.md 4.4): configures @self for @offer and builds the
 * response. */
static void
server_accept (FwsDeflateSession  *self,
               FwsExtensionParams *offer)
{
  FwsExtensionParams *response = fws_extension_params_new ();
  GVariant *client_bits = fws_extension_params_lookup (offer, CLIENT_MAX_WINDOW_BITS);

  self->config.own_takeover = !self->no_context_takeover &&
                              fws_extension_params_lookup (offer, SERVER_NO_CONTEXT_TAKEOVER) == NULL;
  if (!self->config.own_takeover)
    fws_extension_params_add_flag (response, SERVER_NO_CONTEXT_TAKEOVER);

  self->config.peer_takeover = !self->request_no_context_takeover &&
                               fws_extension_params_lookup (offer, CLIENT_NO_CONTEXT_TAKEOVER) == NULL;
  if (!self->config.peer_takeover)
    fws_extension_params_add_flag (response, CLIENT_NO_CONTEXT_TAKEOVER);

  self->config.own_window = MIN (self->max_window_bits, window_bits_of (offer, SERVER_MAX_WINDOW_BITS));
  /* Only when asked: Firefox drops a connection whose response has a
   * server_max_window_bits it did not offer. */
  if (self->config.own_window < MAX_WINDOW_BITS &&
      fws_extension_params_lookup (offer, SERVER_MAX_WINDOW_BITS) != NULL)
    fws_extension_params_add_int (response, SERVER_MAX_WINDOW_BITS, self->config.own_window);

  /* Without client_max_window_bits in the offer the client may not be able
   * to use a smaller window, so none is asked for. */
  if (client_bits != NULL)
    self->config.peer_window = MIN (self->request_max_window_bits, window_bits_of (offer, CLIENT_MAX_WINDOW_BITS));
  else
    self->config.peer_window = MAX_WINDOW_BITS;
  if (self->config.peer_window < MAX_WINDOW_BITS)
    fws_extension_params_add_int (response, CLIENT_MAX_WINDOW_BITS, self->config.peer_window);

  self->response = response;
  self->configured = TRUE;
}

static FwsExtensionParams *
session_generate_response (FwsExtensionSession *session)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (session);

  g_return_val_if_fail (self->response != NULL, fws_extension_params_new ());
  return fws_extension_params_ref (self->response);
}

static gboolean
zlib_failed (GError     **error,
             int          code,
             const char  *what)
{
  g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION, _("%s failed (zlib error %d)"), what, code);
  return FALSE;
}

/* ---- Compression ---- */

static gboolean
ensure_deflater (FwsDeflateSession  *self,
                 GError            **error)
{
  int ret = Z_OK;

  if (self->deflater != NULL)
    return TRUE;
  if (!self->config.own_takeover)
    {
      /* zlib refuses 8 bits for raw deflate: 9 it is (see the class docs). */
      self->deflater = shared_deflater_get (self->level, self->mem_level, self->strategy,
                                            (int) MAX (self->config.own_window, MIN_ZLIB_WINDOW_BITS),
                                            &ret);
      if (self->deflater == NULL)
        return zlib_failed (error, ret, "deflateInit2");
      self->deflater_shared = TRUE;
      return TRUE;
    }
  self->deflater = g_new0 (z_stream, 1);
  ret = deflateInit2 (self->deflater, self->level, Z_DEFLATED,
                      -(int) MAX (self->config.own_window, MIN_ZLIB_WINDOW_BITS),
                      self->mem_level, self->strategy);
  if (ret != Z_OK)
    {
      g_clear_pointer (&self->deflater, g_free);
      return zlib_failed (error, ret, "deflateInit2");
    }
  g_atomic_int_inc (&live_deflaters);
  self->deflater_inits++;
  return TRUE;
}

/* Compresses one message with @z and a sync flush, the trailer taken
 * off (RFC 7692 7.2.1); NULL with *@ret set when zlib fails. */
static GBytes *
deflate_message (z_stream     *z,
                 const guint8 *in,
                 gsize         in_len,
                 int          *ret)
{
  gsize alloc, out_len;
  guint8 *out;

  /* Sync flush markers and block headers come on top of the bound. */
  alloc = deflateBound (z, (uLong) MIN (in_len, G_MAXULONG - 64)) + 64;
  if (in_len > G_MAXULONG - 64)
    alloc = in_len + in_len / 16 + 64;
  out = g_malloc (alloc);
  out_len = 0;

  z->next_in = (Bytef *) in;
  z->avail_in = 0;
  for (;;)
    {
      gsize in_left = in_len - (gsize) ((const guint8 *) z->next_in - in);

      z->avail_in = (uInt) MIN (in_left, G_MAXUINT);
      if (out_len == alloc)
        {
          alloc = alloc + alloc / 2 + 64;
          out = g_realloc (out, alloc);
        }
      z->next_out = out + out_len;
      z->avail_out = (uInt) MIN (alloc - out_len, G_MAXUINT);
      *ret = deflate (z, Z_SYNC_FLUSH);
      out_len = (gsize) (z->next_out - out);
      if (*ret == Z_BUF_ERROR)
        break;   /* nothing left to do: no input, flushed already */
      if (*ret != Z_OK)
        {
          g_free (out);
          return NULL;
        }
      if (z->avail_in == 0 && (gsize) ((const guint8 *) z->next_in - in) == in_len && z->avail_out > 0)
        break;
    }

  if (out_len >= 4 && memcmp (out + out_len - 4, trailer, 4) == 0)
    out_len -= 4;
  if (out_len == 0)
    {
      /* An empty message, or zlib had nothing to flush: the start of an
       * empty stored block, which the trailer the peer appends completes. */
      out[0] = 0x00;
      out_len = 1;
    }
  if (alloc - out_len > alloc / 8)
    out = g_realloc (out, out_len);
  return g_bytes_new_take (out, out_len);
}

static gboolean
session_process_outgoing (FwsExtensionSession  *session,
                          FwsExtensionMessage  *message,
                          GError              **error)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (session);
  GBytes *data = fws_extension_message_get_data (message);
  gsize in_len;
  const guint8 *in = g_bytes_get_data (data, &in_len);
  g_autoptr(GBytes) compressed = NULL;
  int ret = Z_OK;

  /* Short messages go as they are (RFC 7692 6: compressing is per message). */
  if (in_len < self->threshold)
    return TRUE;
  if (!ensure_deflater (self, error))
    return FALSE;

  compressed = deflate_message (self->deflater, in, in_len, &ret);
  if (compressed == NULL)
    {
      if (self->deflater_shared)
        {
          shared_deflater_put (g_steal_pointer (&self->deflater), TRUE);
          self->deflater_shared = FALSE;
        }
      end_deflater (self);
      return zlib_failed (error, ret, "deflate");
    }
  fws_extension_message_set_data (message, compressed);
  fws_extension_message_set_rsv (message, fws_extension_message_get_rsv (message) | FWS_RESERVED_BITS_RSV1);
  self->deflated++;

  if (!self->config.own_takeover)
    end_deflater (self);
  return TRUE;
}

/* ---- Decompression ---- */

static gboolean
ensure_inflater (FwsDeflateSession  *self,
                 GError            **error)
{
  int ret;

  if (self->inflater != NULL)
    {
      if (self->inflater_ended)
        {
          inflateReset (self->inflater);
          self->inflater_ended = FALSE;
        }
      return TRUE;
    }
  self->inflater = g_new0 (z_stream, 1);
  self->inflater->zalloc = counted_zalloc;
  self->inflater->zfree = counted_zfree;
  ret = inflateInit2 (self->inflater, -(int) MAX (self->config.peer_window, MIN_ZLIB_WINDOW_BITS));
  if (ret != Z_OK)
    {
      g_clear_pointer (&self->inflater, g_free);
      return zlib_failed (error, ret, "inflateInit2");
    }
  g_atomic_int_inc (&live_inflaters);
  self->inflater_inits++;
  return TRUE;
}

/* Output of one inflation: grows geometrically, never past max + 2 bytes
 * (max + 1 of data, so that one byte too many is seen, and the NUL). */
typedef struct
{
  guint8 *buf;
  gsize   len;
  gsize   alloc;
  gsize   max;
} Output;

static gboolean
output_grow (Output *o)
{
  gsize limit = o->max + 2;
  gsize new_alloc = o->alloc <= limit / 2 ? o->alloc * 2 : limit;
  guint8 *buf;

  if (new_alloc <= o->alloc)
    return FALSE;
  buf = g_try_realloc (o->buf, new_alloc);
  if (buf == NULL)
    return FALSE;
  inflate_account ((gssize) (new_alloc - o->alloc));
  o->buf = buf;
  o->alloc = new_alloc;
  return TRUE;
}

static void
output_clear (Output *o)
{
  inflate_account (-(gssize) o->alloc);
  g_clear_pointer (&o->buf, g_free);
  o->alloc = o->len = 0;
}

static gboolean
too_large (GError **error)
{
  g_set_error_literal (error, FWS_ERROR, FWS_ERROR_TOO_LARGE,
                       _("Message inflates to more than max-length"));
  return FALSE;
}

typedef enum
{
  SOME_ERROR,
  SOME_DONE,      /* the input was consumed, or the stream ended */
  SOME_MORE,      /* stopped at @stop_at bytes of output */
} SomeResult;

/* Feeds the input from *@used to @len to the inflater, appending what
 * comes out to @o, but never past @stop_at bytes of output; *@used
 * advances. Sets *@ended when the stream had a final block. */
static SomeResult
inflate_some (FwsDeflateSession  *self,
              const guint8       *in,
              gsize               len,
              gsize              *used,
              Output             *o,
              gsize               stop_at,
              gboolean           *ended,
              GError            **error)
{
  z_stream *z = self->inflater;

  for (;;)
    {
      int ret;

      if (o->len >= stop_at)
        return SOME_MORE;
      if (o->len + 1 >= o->alloc && !output_grow (o))
        return too_large (error), SOME_ERROR;
      z->next_in = (Bytef *) in + *used;
      z->avail_in = (uInt) MIN (len - *used, G_MAXUINT);
      z->next_out = o->buf + o->len;
      z->avail_out = (uInt) MIN (MIN (o->alloc - 1 - o->len, stop_at - o->len), G_MAXUINT);
      ret = inflate (z, Z_SYNC_FLUSH);
      *used = (gsize) ((const guint8 *) z->next_in - in);
      o->len = (gsize) (z->next_out - o->buf);
      if (o->len > o->max)
        return too_large (error), SOME_ERROR;

      switch (ret)
        {
        case Z_STREAM_END:
          *ended = TRUE;
          return SOME_DONE;
        case Z_OK:
        case Z_BUF_ERROR:
          if (*used == len && z->avail_out > 0)
            return SOME_DONE;   /* everything consumed, nothing pending */
          if (ret == Z_BUF_ERROR && z->avail_out > 0)
            return SOME_DONE;   /* no progress possible */
          break;
        case Z_MEM_ERROR:
          zlib_failed (error, ret, "inflate");
          return SOME_ERROR;
        default:   /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("Invalid compressed data: %s"), z->msg ? z->msg : "?");
          return SOME_ERROR;
        }
    }
}

/* A message being inflated in steps: where its input and the trailer
 * stand, and the output so far (bounded by max-length as a whole). Kept
 * between messages while the inflater lives, so a message that takes one
 * step costs no allocation. */
typedef struct _Inflation
{
  FwsExtensionMessage *message;   /* (nullable) the one in progress, for identity */
  gboolean             owned;     /* @message is referenced: it spans calls */
  Output               out;
  gsize                used;      /* bytes of the message's data fed */
  gsize                trailer;   /* bytes of the 4-byte trailer fed */
} Inflation;

static void
inflation_clear (FwsDeflateSession *self)
{
  Inflation *inf = self->inflation;

  if (inf == NULL || inf->message == NULL)
    return;
  output_clear (&inf->out);
  if (inf->owned)
    fws_extension_message_unref (inf->message);
  inf->message = NULL;
  inf->owned = FALSE;
}

static void
inflation_free (FwsDeflateSession *self)
{
  inflation_clear (self);
  g_clear_pointer (&self->inflation, g_free);
}

static Inflation *
inflation_begin (FwsDeflateSession    *self,
                 FwsExtensionMessage  *message,
                 GError              **error)
{
  guint64 max_length = fws_extension_message_get_max_length (message);
  gsize in_len = g_bytes_get_size (fws_extension_message_get_data (message));
  Inflation *inf;
  guint8 *buf;
  gsize max, first;

  inflation_clear (self);
  if (!ensure_inflater (self, error))
    return NULL;
  max = max_length == 0 || max_length > G_MAXSIZE - 4 ? G_MAXSIZE - 4 : (gsize) max_length;
  /* Deflate rarely does better than 4:1 on real data; start there and grow. */
  first = in_len <= (G_MAXSIZE - 16384) / 4 ? in_len * 4 + 16384 : G_MAXSIZE;
  first = MIN (first, max + 2);
  buf = g_try_malloc (first);
  if (buf == NULL)
    {
      end_inflater (self);
      too_large (error);
      return NULL;
    }
  if (self->inflation == NULL)
    self->inflation = g_new0 (Inflation, 1);
  inf = self->inflation;
  inf->out.buf = buf;
  inf->out.len = 0;
  inf->out.alloc = first;
  inf->out.max = max;
  inflate_account ((gssize) first);
  inf->used = 0;
  inf->trailer = 0;
  inf->message = message;
  inf->owned = FALSE;
  return inf;
}

FwsInflateStep
fws_permessage_deflate_session_inflate_step (FwsExtensionSession  *session,
                                             FwsExtensionMessage  *message,
                                             gsize                *budget,
                                             GError              **error)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (session);
  Inflation *inf = self->inflation;
  gsize in_len;
  const guint8 *in;
  gboolean ended = FALSE;
  gsize before, stop_at;
  SomeResult r;

  if (inf == NULL || inf->message != message)
    {
      if ((fws_extension_message_get_rsv (message) & FWS_RESERVED_BITS_RSV1) == 0)
        return FWS_INFLATE_DONE;
      inf = inflation_begin (self, message, error);
      if (inf == NULL)
        return FWS_INFLATE_ERROR;
    }

  in = g_bytes_get_data (fws_extension_message_get_data (message), &in_len);
  before = inf->out.len;
  stop_at = *budget < G_MAXSIZE - before ? before + *budget : G_MAXSIZE;
  r = inflate_some (self, in, in_len, &inf->used, &inf->out, stop_at, &ended, error);
  if (r == SOME_DONE && !ended)
    r = inflate_some (self, trailer, sizeof trailer, &inf->trailer, &inf->out, stop_at, &ended, error);
  if (r != SOME_ERROR)
    *budget -= inf->out.len - before;
  if (r == SOME_ERROR)
    {
      end_inflater (self);
      end_deflater (self);
      return FWS_INFLATE_ERROR;
    }
  if (r == SOME_MORE)
    {
      if (!inf->owned)
        {
          fws_extension_message_ref (message);
          inf->owned = TRUE;
        }
      return FWS_INFLATE_MORE;
    }
  if (ended)
    self->inflater_ended = TRUE;

  {
    gsize alloc = inf->out.alloc;
    gsize len = inf->out.len;
    guint8 *buf = g_steal_pointer (&inf->out.buf);

    inf->out.alloc = 0;
    inflation_clear (self);
    if (alloc - (len + 1) > alloc / 8)
      buf = g_realloc (buf, len + 1);
    buf[len] = '\0';
    inflate_account (-(gssize) alloc);
    fws_extension_message_take_terminated (message, g_bytes_new_take (buf, len));
  }
  fws_extension_message_set_rsv (message, fws_extension_message_get_rsv (message) & ~FWS_RESERVED_BITS_RSV1);

  if (!self->config.peer_takeover)
    end_inflater (self);
  return FWS_INFLATE_DONE;
}

gboolean
fws_permessage_deflate_session_can_step (FwsExtensionSession *session)
{
  return FWS_IS_DEFLATE_SESSION (session);
}

static gboolean
session_process_incoming (FwsExtensionSession  *session,
                          FwsExtensionMessage  *message,
                          GError              **error)
{
  gsize budget = G_MAXSIZE;
  FwsInflateStep step;

  /* No budget: one step does it all (max-length bounds the output). */
  step = fws_permessage_deflate_session_inflate_step (session, message, &budget, error);
  g_assert (step != FWS_INFLATE_MORE);
  return step == FWS_INFLATE_DONE;
}

static void
session_close (FwsExtensionSession *session)
{
  FwsDeflateSession *self = FWS_DEFLATE_SESSION (session);

  end_deflater (self);
  end_inflater (self);
}

static void
fws_deflate_session_iface_init (FwsExtensionSessionInterface *iface)
{
  iface->generate_offer = session_generate_offer;
  iface->activate = session_activate;
  iface->generate_response = session_generate_response;
  iface->process_incoming_message = session_process_incoming;
  iface->process_outgoing_message = session_process_outgoing;
  iface->close = session_close;
}

/* ---- Shared compression (the hub) ---- */

/* Key: zlib window bits, level + 1, memory level, strategy, 8 bits each. */
gboolean
fws_permessage_deflate_session_get_shared_key (FwsExtensionSession *session,
                                               guint32             *key,
                                               guint               *threshold)
{
  FwsDeflateSession *self;

  if (!FWS_IS_DEFLATE_SESSION (session))
    return FALSE;
  self = FWS_DEFLATE_SESSION (session);
  if (!self->configured || self->config.own_takeover)
    return FALSE;
  *key = (guint32) MAX (self->config.own_window, MIN_ZLIB_WINDOW_BITS) << 24 |
         (guint32) (self->level + 1) << 16 |
         (guint32) self->mem_level << 8 |
         (guint32) self->strategy;
  *threshold = self->threshold;
  return TRUE;
}

GBytes *
fws_permessage_deflate_compress_shared (guint32   key,
                                        GBytes   *data,
                                        GError  **error)
{
  gsize in_len;
  const guint8 *in = g_bytes_get_data (data, &in_len);
  GBytes *compressed;
  z_stream *z;
  int ret = Z_OK;

  /* The thread's shared compressor for the key's parameters, fresh for
   * each message: the output the sessions produce. */
  z = shared_deflater_get ((int) ((key >> 16) & 0xFF) - 1, (int) ((key >> 8) & 0xFF),
                           (int) (key & 0xFF), (int) (key >> 24), &ret);
  if (z == NULL)
    {
      zlib_failed (error, ret, "deflateInit2");
      return NULL;
    }
  compressed = deflate_message (z, in, in_len, &ret);
  shared_deflater_put (z, compressed == NULL);
  if (compressed == NULL)
    zlib_failed (error, ret, "deflate");
  return compressed;
}

/* ---- Private accessors ---- */

gboolean
fws_permessage_deflate_session_get_config (FwsExtensionSession *session,
                                           FwsDeflateConfig    *config)
{
  FwsDeflateSession *self;

  if (!FWS_IS_DEFLATE_SESSION (session))
    return FALSE;
  self = FWS_DEFLATE_SESSION (session);
  if (!self->configured)
    return FALSE;
  *config = self->config;
  return TRUE;
}

guint
fws_permessage_deflate_session_get_deflate_bits (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), 0);
  return MAX (FWS_DEFLATE_SESSION (session)->config.own_window, MIN_ZLIB_WINDOW_BITS);
}

guint
fws_permessage_deflate_session_get_inflate_bits (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), 0);
  return MAX (FWS_DEFLATE_SESSION (session)->config.peer_window, MIN_ZLIB_WINDOW_BITS);
}

gboolean
fws_permessage_deflate_session_has_deflater (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), FALSE);
  return FWS_DEFLATE_SESSION (session)->deflater != NULL;
}

gboolean
fws_permessage_deflate_session_has_inflater (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), FALSE);
  return FWS_DEFLATE_SESSION (session)->inflater != NULL;
}

guint
fws_permessage_deflate_session_get_deflater_inits (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), 0);
  return FWS_DEFLATE_SESSION (session)->deflater_inits;
}

guint
fws_permessage_deflate_session_get_inflater_inits (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), 0);
  return FWS_DEFLATE_SESSION (session)->inflater_inits;
}

guint
fws_permessage_deflate_session_get_deflated (FwsExtensionSession *session)
{
  g_return_val_if_fail (FWS_IS_DEFLATE_SESSION (session), 0);
  return FWS_DEFLATE_SESSION (session)->deflated;
}

/* ------------------------------------------------------------------------
 * The extension
 * ------------------------------------------------------------------------ */

static const char *
deflate_get_name (FwsExtension *extension)
{
  return EXTENSION_NAME;
}

static FwsReservedBits
deflate_get_rsv (FwsExtension *extension)
{
  return FWS_RESERVED_BITS_RSV1;
}

static FwsExtensionSession *
deflate_create_client_session (FwsExtension *extension)
{
  return FWS_EXTENSION_SESSION (session_new (FWS_PERMESSAGE_DEFLATE (extension), TRUE));
}

static FwsExtensionSession *
deflate_create_server_session (FwsExtension *extension,
                               GList        *offers)
{
  FwsPermessageDeflate *self = FWS_PERMESSAGE_DEFLATE (extension);

  for (GList *l = offers; l != NULL; l = l->next)
    {
      FwsExtensionParams *offer = l->data;
      FwsDeflateSession *session;

      if (!valid_params (offer, FALSE))
        continue;
      session = session_new (self, FALSE);
      server_accept (session, offer);
      return FWS_EXTENSION_SESSION (session);
    }
  return NULL;
}

static void
fws_permessage_deflate_extension_init (FwsExtensionInterface *iface)
{
  iface->get_name = deflate_get_name;
  iface->get_rsv = deflate_get_rsv;
  iface->create_client_session = deflate_create_client_session;
  iface->create_server_session = deflate_create_server_session;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (FwsPermessageDeflate, fws_permessage_deflate, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FWS_TYPE_EXTENSION,
                                                      fws_permessage_deflate_extension_init))

/**
 * fws_permessage_deflate_new:
 *
 * Makes the permessage-deflate extension with its default options: zlib's
 * default level, memory level 5 and 15-bit windows; our compressor without
 * context takeover (since 0.2), the peer's with it; every message
 * compressed. Set other options with [ctor@GObject.Object.new].
 *
 * Returns: (transfer full): a new [class@Fws.PermessageDeflate]
 * Since: 0.1
 */
FwsPermessageDeflate *
fws_permessage_deflate_new (void)
{
  return g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, NULL);
}

/**
 * fws_permessage_deflate_get_level:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:level].
 *
 * Returns: the value of [property@Fws.PermessageDeflate:level]
 * Since: 0.1
 */
int
fws_permessage_deflate_get_level (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), Z_DEFAULT_COMPRESSION);
  return self->level;
}

/**
 * fws_permessage_deflate_get_threshold:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:threshold].
 *
 * Returns: the value of [property@Fws.PermessageDeflate:threshold]
 * Since: 0.2
 */
guint
fws_permessage_deflate_get_threshold (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), 0);
  return self->threshold;
}

/**
 * fws_permessage_deflate_get_mem_level:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:mem-level].
 *
 * Returns: the value of [property@Fws.PermessageDeflate:mem-level]
 * Since: 0.1
 */
guint
fws_permessage_deflate_get_mem_level (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), DEFAULT_MEM_LEVEL);
  return self->mem_level;
}

/**
 * fws_permessage_deflate_get_strategy:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:strategy].
 *
 * Returns: the value of [property@Fws.PermessageDeflate:strategy]
 * Since: 0.1
 */
FwsDeflateStrategy
fws_permessage_deflate_get_strategy (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), FWS_DEFLATE_STRATEGY_DEFAULT);
  return self->strategy;
}

/**
 * fws_permessage_deflate_get_no_context_takeover:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:no-context-takeover].
 *
 * Returns: the value of [property@Fws.PermessageDeflate:no-context-takeover]
 * Since: 0.1
 */
gboolean
fws_permessage_deflate_get_no_context_takeover (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), FALSE);
  return self->no_context_takeover;
}

/**
 * fws_permessage_deflate_get_max_window_bits:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:max-window-bits].
 *
 * Returns: the value of [property@Fws.PermessageDeflate:max-window-bits]
 * Since: 0.1
 */
guint
fws_permessage_deflate_get_max_window_bits (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), MAX_WINDOW_BITS);
  return self->max_window_bits;
}

/**
 * fws_permessage_deflate_get_request_no_context_takeover:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:request-no-context-takeover].
 *
 * Returns: the value of
 *   [property@Fws.PermessageDeflate:request-no-context-takeover]
 * Since: 0.1
 */
gboolean
fws_permessage_deflate_get_request_no_context_takeover (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), FALSE);
  return self->request_no_context_takeover;
}

/**
 * fws_permessage_deflate_get_request_max_window_bits:
 * @self: a [class@Fws.PermessageDeflate]
 *
 * Gets [property@Fws.PermessageDeflate:request-max-window-bits].
 *
 * Returns: the value of
 *   [property@Fws.PermessageDeflate:request-max-window-bits]
 * Since: 0.1
 */
guint
fws_permessage_deflate_get_request_max_window_bits (FwsPermessageDeflate *self)
{
  g_return_val_if_fail (FWS_IS_PERMESSAGE_DEFLATE (self), MAX_WINDOW_BITS);
  return self->request_max_window_bits;
}

static void
fws_permessage_deflate_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  FwsPermessageDeflate *self = FWS_PERMESSAGE_DEFLATE (object);

  switch (prop_id)
    {
    case PROP_LEVEL:
      g_value_set_int (value, self->level);
      break;
    case PROP_MEM_LEVEL:
      g_value_set_uint (value, self->mem_level);
      break;
    case PROP_STRATEGY:
      g_value_set_enum (value, self->strategy);
      break;
    case PROP_NO_CONTEXT_TAKEOVER:
      g_value_set_boolean (value, self->no_context_takeover);
      break;
    case PROP_MAX_WINDOW_BITS:
      g_value_set_uint (value, self->max_window_bits);
      break;
    case PROP_REQUEST_NO_CONTEXT_TAKEOVER:
      g_value_set_boolean (value, self->request_no_context_takeover);
      break;
    case PROP_REQUEST_MAX_WINDOW_BITS:
      g_value_set_uint (value, self->request_max_window_bits);
      break;
    case PROP_THRESHOLD:
      g_value_set_uint (value, self->threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_permessage_deflate_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  FwsPermessageDeflate *self = FWS_PERMESSAGE_DEFLATE (object);

  switch (prop_id)
    {
    case PROP_LEVEL:
      self->level = g_value_get_int (value);
      break;
    case PROP_MEM_LEVEL:
      self->mem_level = g_value_get_uint (value);
      break;
    case PROP_STRATEGY:
      self->strategy = g_value_get_enum (value);
      break;
    case PROP_NO_CONTEXT_TAKEOVER:
      self->no_context_takeover = g_value_get_boolean (value);
      break;
    case PROP_MAX_WINDOW_BITS:
      self->max_window_bits = g_value_get_uint (value);
      break;
    case PROP_REQUEST_NO_CONTEXT_TAKEOVER:
      self->request_no_context_takeover = g_value_get_boolean (value);
      break;
    case PROP_REQUEST_MAX_WINDOW_BITS:
      self->request_max_window_bits = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fws_permessage_deflate_class_init (FwsPermessageDeflateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  fws_i18n_init ();

  object_class->get_property = fws_permessage_deflate_get_property;
  object_class->set_property = fws_permessage_deflate_set_property;

  /**
   * FwsPermessageDeflate:level:
   *
   * The compression level of our compressor, from 0 (none) to 9 (best),
   * or -1 for zlib's default (6).
   *
   * Since: 0.1
   */
  properties[PROP_LEVEL] =
    g_param_spec_int ("level", NULL, NULL, -1, 9, Z_DEFAULT_COMPRESSION, flags);

  /**
   * FwsPermessageDeflate:mem-level:
   *
   * How much memory our compressor uses, from 1 (least) to 9 (most): a
   * hash table of 2^(mem-level + 8) bytes, which zlib clears whenever the
   * compressor starts afresh (for every message without context takeover),
   * and a buffer of 2^(mem-level + 6) symbols per deflate block.
   *
   * The default is 5 since 0.2 (zlib's own default is 8): an 8 KiB table
   * instead of 64 KiB, for compression within about 0.3% on large
   * messages and the same on small ones.
   *
   * Since: 0.1
   */
  properties[PROP_MEM_LEVEL] =
    g_param_spec_uint ("mem-level", NULL, NULL, 1, 9, DEFAULT_MEM_LEVEL, flags);

  /**
   * FwsPermessageDeflate:strategy:
   *
   * The compression strategy of our compressor.
   *
   * Since: 0.1
   */
  properties[PROP_STRATEGY] =
    g_param_spec_enum ("strategy", NULL, NULL, FWS_TYPE_DEFLATE_STRATEGY,
                       FWS_DEFLATE_STRATEGY_DEFAULT, flags);

  /**
   * FwsPermessageDeflate:no-context-takeover:
   *
   * Whether our compressor starts afresh for every message (a client
   * offers `client_no_context_takeover`, a server answers
   * `server_no_context_takeover`).
   *
   * With it (the default since 0.2), one zlib compressor per thread and
   * set of options serves every such connection of the thread, reset
   * after each message, so a connection keeps no compressor between
   * messages. Without it each connection keeps a compressor of its own
   * from its first message on (about 32 KiB resident with the default
   * 15-bit window and memory level 5, 90 KiB with memory level 8; see
   * [property@Fws.PermessageDeflate:mem-level] and
   * [property@Fws.PermessageDeflate:max-window-bits] to make it smaller),
   * which compresses a run of similar small messages much better.
   *
   * Since: 0.1
   */
  properties[PROP_NO_CONTEXT_TAKEOVER] =
    g_param_spec_boolean ("no-context-takeover", NULL, NULL, TRUE, flags);

  /**
   * FwsPermessageDeflate:max-window-bits:
   *
   * The largest window of our compressor, 8 to 15 bits. Below 15 a client
   * offers `client_max_window_bits=N`; at 15 (no limit) it offers the bare
   * `client_max_window_bits`. A server uses it without telling unless the
   * client asked with `server_max_window_bits`.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_WINDOW_BITS] =
    g_param_spec_uint ("max-window-bits", NULL, NULL, MIN_WINDOW_BITS, MAX_WINDOW_BITS,
                       MAX_WINDOW_BITS, flags);

  /**
   * FwsPermessageDeflate:request-no-context-takeover:
   *
   * Whether to ask the peer to compress every message afresh (a client
   * offers `server_no_context_takeover` and rejects a response without it;
   * a server answers `client_no_context_takeover`).
   *
   * Since: 0.1
   */
  properties[PROP_REQUEST_NO_CONTEXT_TAKEOVER] =
    g_param_spec_boolean ("request-no-context-takeover", NULL, NULL, FALSE, flags);

  /**
   * FwsPermessageDeflate:request-max-window-bits:
   *
   * The largest window the peer's compressor may use, 8 to 15 bits; 15
   * asks for nothing. Below 15 a client offers `server_max_window_bits=N`
   * and rejects a response without one at most N; a server answers
   * `client_max_window_bits` when the client said it supports it.
   *
   * Since: 0.1
   */
  properties[PROP_REQUEST_MAX_WINDOW_BITS] =
    g_param_spec_uint ("request-max-window-bits", NULL, NULL, MIN_WINDOW_BITS, MAX_WINDOW_BITS,
                       MAX_WINDOW_BITS, flags);

  /**
   * FwsPermessageDeflate:threshold:
   *
   * Text and binary messages shorter than this many bytes are sent
   * uncompressed (without RSV1), which RFC 7692 allows message by message;
   * 0, the default, compresses every message. Node's ws uses 1024.
   *
   * Since: 0.2
   */
  properties[PROP_THRESHOLD] =
    g_param_spec_uint ("threshold", NULL, NULL, 0, G_MAXUINT, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fws_permessage_deflate_init (FwsPermessageDeflate *self)
{
  self->level = Z_DEFAULT_COMPRESSION;
  self->mem_level = DEFAULT_MEM_LEVEL;
  self->strategy = FWS_DEFLATE_STRATEGY_DEFAULT;
  self->max_window_bits = MAX_WINDOW_BITS;
  self->request_max_window_bits = MAX_WINDOW_BITS;
  self->no_context_takeover = TRUE;
}
