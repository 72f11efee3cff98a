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
/* How many zlib streams of its own the session created so far (without
 * context takeover its compressor is its thread's shared one: none). */
guint    fws_permessage_deflate_session_get_deflater_inits (FwsExtensionSession *session);
guint    fws_permessage_deflate_session_get_inflater_inits (FwsExtensionSession *session);
/* How many messages the session compressed so far. */
guint    fws_permessage_deflate_session_get_deflated      (FwsExtensionSession *session);

/* Process-wide: zlib streams alive now, the threads' shared compressors
 * included. */
guint    fws_permessage_deflate_get_live_deflaters       (void);
guint    fws_permessage_deflate_get_live_inflaters       (void);
/* Frees the calling thread's shared compressors (made again when needed). */
void     fws_permessage_deflate_release_shared           (void);

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

/* Inflating in steps (fairness): a message is inflated a budget of output
 * bytes at a time, the session keeping its place between calls. */
typedef enum
{
  FWS_INFLATE_DONE,    /* the message holds its inflated data (or had no RSV1) */
  FWS_INFLATE_MORE,    /* the budget ran out: call again with the same message */
  FWS_INFLATE_ERROR,   /* @error set, as process_incoming_message would */
} FwsInflateStep;

/* Whether @session is a permessage-deflate session (it can step). */
gboolean       fws_permessage_deflate_session_can_step    (FwsExtensionSession  *session);
/* Inflates @message (as process_incoming_message does) producing at most
 * *@budget bytes of output in this call; *@budget is decreased by what was
 * produced. A message that inflates past its max-length fails with
 * FWS_ERROR_TOO_LARGE once max-length + 1 bytes came out, whatever the
 * steps. Calling it with another message abandons the one in progress. */
FwsInflateStep fws_permessage_deflate_session_inflate_step (FwsExtensionSession  *session,
                                                           FwsExtensionMessage  *message,
                                                           gsize                *budget,
                                                           GError              **error);

G_END_DECLS
