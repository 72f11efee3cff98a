/* fws-permessage-deflate-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What tests may observe of a permessage-deflate session.
 */
#pragma once

#include "fws-permessage-deflate.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean own_takeover;    /* our compressor keeps its context between messages */
  guint    own_window;      /* negotiated window of our compressor, 8..15 */
  gboolean peer_takeover;   /* the peer's compressor keeps its context */
  guint    peer_window;     /* negotiated window of the peer's compressor, 8..15 */
  int      level;
  int      mem_level;
  int      strategy;
} FwsDeflateConfig;

/* FALSE unless @session is a permessage-deflate session that was activated
 * (client) or created for an offer (server). */
gboolean fws_permessage_deflate_session_get_config       (FwsExtensionSession *session,
                                                          FwsDeflateConfig    *config);
/* The window bits given to zlib: max (negotiated, 9). */
guint    fws_permessage_deflate_session_get_deflate_bits (FwsExtensionSession *session);
guint    fws_permessage_deflate_session_get_inflate_bits (FwsExtensionSession *session);
/* Whether a zlib stream exists right now. */
gboolean fws_permessage_deflate_session_has_deflater     (FwsExtensionSession *session);
gboolean fws_permessage_deflate_session_has_inflater     (FwsExtensionSession *session);
/* How many zlib streams the session created so far. */
guint    fws_permessage_deflate_session_get_deflater_inits (FwsExtensionSession *session);
guint    fws_permessage_deflate_session_get_inflater_inits (FwsExtensionSession *session);

/* For the hub (fws-hub.c): whether @session compresses every message
 * with a fresh stream (no context takeover on our side), so that all
 * sessions with the same @key (window, level, memory level, strategy)
 * send the same bytes for a message. FALSE for any other session.
 * @threshold: messages shorter than it go uncompressed (0: none is). */
gboolean fws_permessage_deflate_session_get_shared_key  (FwsExtensionSession *session,
                                                          guint32             *key,
                                                          guint               *threshold);
/* Compresses @data as such a session with @key would: the payload of a
 * frame with RSV1 set, which any session with that key may send. */
GBytes  *fws_permessage_deflate_compress_shared          (guint32              key,
                                                          GBytes              *data,
                                                          GError             **error);

/* Process-wide: the most bytes that inflating sessions held at once (their
 * zlib state and the output being built) since the last reset. */
gsize    fws_permessage_deflate_get_inflate_peak         (void);
void     fws_permessage_deflate_reset_inflate_peak       (void);

G_END_DECLS
