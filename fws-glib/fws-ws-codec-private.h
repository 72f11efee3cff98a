/* fws-ws-codec-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 6455 framing, sans I/O: no GObject, no streams, no GMainContext, no
 * clock, no RNG (the caller supplies mask keys).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FWS_WS_ROLE_SERVER,   /* expects masked frames, sends unmasked ones */
  FWS_WS_ROLE_CLIENT,   /* expects unmasked frames, sends masked ones */
} FwsWsRole;

enum
{
  FWS_WS_OP_CONTINUATION = 0x0,
  FWS_WS_OP_TEXT         = 0x1,
  FWS_WS_OP_BINARY       = 0x2,
  FWS_WS_OP_CLOSE        = 0x8,
  FWS_WS_OP_PING         = 0x9,
  FWS_WS_OP_PONG         = 0xA,
};

#define FWS_WS_RSV1 0x40
#define FWS_WS_RSV2 0x20
#define FWS_WS_RSV3 0x10

/* Largest frame header: 2 + 8 (length) + 4 (mask key). */
#define FWS_WS_MAX_HEADER 14

typedef struct
{
  /* A complete data message (opcode FWS_WS_OP_TEXT or FWS_WS_OP_BINARY).
   * @rsv: the RSV bits of its first frame (0 unless an extension claimed them).
   * @payload: (transfer full): the unmasked, reassembled payload. One NUL
   *   byte follows its data and is not counted in its size, so text can be
   *   used as a C string without a copy.
   * Text messages with @rsv == 0 were validated as UTF-8 already, while they
   * arrived; with RSV bits set the caller validates after its extensions ran. */
  void (*message) (gpointer      user_data,
                   guint         opcode,
                   guint         rsv,
                   GBytes       *payload);
  /* A control frame (FWS_WS_OP_CLOSE, _PING or _PONG), possibly arriving in
   * the middle of a fragmented message. @payload is unmasked, at most 125
   * bytes, and only valid during the call. */
  void (*control) (gpointer      user_data,
                   guint         opcode,
                   const guint8 *payload,
                   gsize         len);
} FwsWsCodecCallbacks;

typedef struct _FwsWsCodec FwsWsCodec;

FwsWsCodec *fws_ws_codec_new             (FwsWsRole                  role,
                                          guint64                    max_length,
                                          const FwsWsCodecCallbacks *callbacks,
                                          gpointer                   user_data);
void        fws_ws_codec_free            (FwsWsCodec *codec);

/* Largest message accepted, summed over its fragments (1009 past it). 0 means
 * no limit beyond G_MAXSIZE - 1. */
void        fws_ws_codec_set_max_length  (FwsWsCodec *codec,
                                          guint64     max_length);
/* Frames one data message may have (first frame included); past it the
 * connection fails with 1009. 0, the default, means no limit: what bounds
 * a fragmented message is max-length, and a frame costs constant memory
 * (nothing is kept per frame) and time in proportion to its bytes, like
 * any other input, so a flood of empty fragments is no worse than a flood
 * of pings. A legal message in 65,537 frames (the Autobahn TestSuite's
 * 9.3.1 and 9.4.1: 4 MiB in 64-byte fragments, then an empty final frame)
 * goes through. */
#define FWS_WS_DEFAULT_MAX_FRAGMENTS 0
void        fws_ws_codec_set_max_fragments (FwsWsCodec *codec,
                                            guint       max_fragments);
/* Frames of the data message being assembled (0 when none is open). */
guint64     fws_ws_codec_get_fragments   (FwsWsCodec *codec);
/* RSV bits that negotiated extensions claimed (FWS_WS_RSV1 | ...). They are
 * then allowed on the first frame of a data message only. Default 0. */
void        fws_ws_codec_set_allowed_rsv (FwsWsCodec *codec,
                                          guint       rsv);

/* Stops parsing: may be called from a callback. fws_ws_codec_feed() then
 * returns TRUE at once and every later call ignores its input. */
void        fws_ws_codec_stop            (FwsWsCodec *codec);

/* Parses @len bytes; frames may be split anywhere across calls and several may
 * arrive in one call. Payloads are unmasked while being copied out of @data
 * (which is not modified). Limits are checked from the frame header, before
 * anything is allocated.
 *
 * Returns FALSE on a protocol violation: @error is set (FWS_ERROR_PROTOCOL,
 * FWS_ERROR_TOO_LARGE or FWS_ERROR_INVALID_UTF8, with a message a person can
 * read) and *@close_code to the code to send (1002, 1007 or 1009). After that,
 * or after fws_ws_codec_stop(), all input is ignored. */
gboolean    fws_ws_codec_feed            (FwsWsCodec   *codec,
                                          const guint8 *data,
                                          gsize         len,
                                          guint16      *close_code,
                                          GError      **error);

/* Like fws_ws_codec_feed(), but a callback may call fws_ws_codec_pause():
 * parsing then stops right after that callback, and *@consumed (nullable)
 * says how many bytes were taken; the caller feeds the rest later. It is
 * @len when nothing paused, and after an error or a stop. */
gboolean    fws_ws_codec_feed_some       (FwsWsCodec   *codec,
                                          const guint8 *data,
                                          gsize         len,
                                          gsize        *consumed,
                                          guint16      *close_code,
                                          GError      **error);
/* From a callback: fws_ws_codec_feed_some() returns after it. (A pause
 * in fws_ws_codec_feed() would lose the rest: use feed_some.) */
void        fws_ws_codec_pause           (FwsWsCodec *codec);

/* Payload bytes held for a message not yet complete. */
gsize       fws_ws_codec_get_buffered    (FwsWsCodec *codec);
/* Bytes allocated for that message: at most about twice what it holds,
 * whatever the number of its frames (never more than max-length + 1). */
gsize       fws_ws_codec_get_allocated   (FwsWsCodec *codec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsWsCodec, fws_ws_codec_free)

/* Writes a frame header into @out and returns its length (2 to 14). With a
 * non-NULL @mask_key the MASK bit is set and the key follows the length.
 * Lengths use the shortest encoding. */
gsize    fws_ws_frame_header          (guint8        out[FWS_WS_MAX_HEADER],
                                       gboolean      fin,
                                       guint         rsv,
                                       guint         opcode,
                                       guint64       payload_len,
                                       const guint8 *mask_key);

/* XORs @len bytes with the 4-byte @key, starting at key byte
 * (@key_offset % 4). Word at a time. */
void     fws_ws_mask                  (guint8       *data,
                                       gsize         len,
                                       const guint8  key[4],
                                       gsize         key_offset);
/* The same, reading @src and writing @dst (which may be equal). */
void     fws_ws_mask_copy             (guint8       *dst,
                                       const guint8 *src,
                                       gsize         len,
                                       const guint8  key[4],
                                       gsize         key_offset);

/* Decodes a received close frame payload.
 * Length 0: returns TRUE, *code = 1005, *reason = "".
 * Length 1, a code not allowed on the wire (see fws_ws_close_code_is_valid)
 * or a reason that is not UTF-8:
 * returns FALSE, *code = 1002, *reason = "" and sets @error.
 * Otherwise TRUE with the code and the reason (newly allocated). */
gboolean fws_ws_close_payload_parse   (const guint8 *payload,
                                       gsize         len,
                                       guint16      *code,
                                       char        **reason,
                                       GError      **error);

/* Whether @code may appear in a close frame on the wire (RFC 6455 7.4 and the
 * IANA registry): 1000-1003, 1007-1014 and 3000-4999. */
gboolean fws_ws_close_code_is_valid   (guint code);

G_END_DECLS
