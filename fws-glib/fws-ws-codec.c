/* fws-ws-codec.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-ws-codec-private.h"

#include "fws-buffers-private.h"
#include "fws-error.h"
#include "fws-i18n-private.h"
#include "fws-utf8-private.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* RFC 6455 framing, sans I/O.
 *
 * The parser is a small state machine (header byte 1, header byte 2,
 * extended length, mask key, payload) fed with whatever bytes arrived, so a
 * frame may be split anywhere and several frames may come in one call. Each
 * check runs as soon as the bytes it needs are known: the size limit and the
 * control frame limit are checked from the header, before anything is
 * allocated, and text is validated as UTF-8 while its bytes arrive.
 *
 * Memory: control frames are unmasked into a 125-byte buffer inside the
 * codec; data payloads are unmasked straight from the input into the message
 * buffer, which is handed to the caller as a GBytes without another copy.
 * Nothing is kept per frame, so a stream of empty continuation frames costs
 * nothing.
 *
 * Callbacks may call fws_ws_codec_stop(); the parser re-checks that after
 * every callback before it looks at more input. They must not free the codec
 * or feed it again (no re-entrancy).
 *
 * Errors: the feed call that finds a protocol violation returns FALSE with
 * the error and the close code. From then on the codec is dead: every later
 * fws_ws_codec_feed() ignores its input and returns TRUE (the caller has
 * already been told, and is expected to close the connection), just as after
 * fws_ws_codec_stop().
 */

#define MAX_CONTROL_PAYLOAD 125

typedef enum
{
  STAGE_HEADER1,
  STAGE_HEADER2,
  STAGE_EXT_LENGTH,
  STAGE_MASK_KEY,
  STAGE_PAYLOAD,
} ParseStage;

struct _FwsWsCodec
{
  FwsWsRole            role;
  gsize                max_length;    /* effective: at most G_MAXSIZE - 1 */
  guint                allowed_rsv;
  FwsWsCodecCallbacks  callbacks;
  gpointer             user_data;
  gboolean             stopped;       /* by fws_ws_codec_stop () or an error */
  gboolean             paused;        /* by fws_ws_codec_pause (), until the feed returns */

  /* The frame being parsed. */
  ParseStage           stage;
  gboolean             fin;
  guint                rsv;
  guint                opcode;
  gboolean             masked;
  guint8               mask_key[4];
  guint8               ext[8];        /* extended length bytes */
  guint                ext_need;      /* 2 or 8 */
  guint                have;          /* bytes of ext[] or mask_key[] held */
  guint64              frame_length;
  guint64              frame_done;    /* payload bytes of this frame seen */

  /* The data message being assembled. */
  gboolean             msg_open;
  guint                msg_opcode;
  guint                msg_rsv;
  gboolean             msg_validate;  /* text without RSV bits */
  FwsUtf8Validator     utf8;
  guint8              *msg_buf;       /* (owned) (nullable) */
  gsize                msg_len;
  gsize                msg_alloc;     /* always > msg_len when msg_buf != NULL */
  guint64              msg_frames;    /* frames of the open message so far */
  guint                max_fragments; /* 0: no limit */

  guint8               control[MAX_CONTROL_PAYLOAD];
};

static inline gsize
effective_max_length (guint64 max_length)
{
  if (max_length == 0 || max_length > (guint64) G_MAXSIZE - 1)
    return G_MAXSIZE - 1;
  return (gsize) max_length;
}

FwsWsCodec *
fws_ws_codec_new (FwsWsRole                  role,
                  guint64                    max_length,
                  const FwsWsCodecCallbacks *callbacks,
                  gpointer                   user_data)
{
  FwsWsCodec *codec;

  g_return_val_if_fail (role == FWS_WS_ROLE_SERVER || role == FWS_WS_ROLE_CLIENT, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  codec = g_new0 (FwsWsCodec, 1);
  codec->role = role;
  codec->max_length = effective_max_length (max_length);
  codec->max_fragments = FWS_WS_DEFAULT_MAX_FRAGMENTS;
  codec->callbacks = *callbacks;
  codec->user_data = user_data;
  codec->stage = STAGE_HEADER1;

  return codec;
}

static void
drop_message (FwsWsCodec *codec)
{
  fws_buffers_give (g_steal_pointer (&codec->msg_buf), codec->msg_alloc);
  codec->msg_len = 0;
  codec->msg_alloc = 0;
  codec->msg_open = FALSE;
}

void
fws_ws_codec_free (FwsWsCodec *codec)
{
  if (codec == NULL)
    return;

  drop_message (codec);
  g_free (codec);
}

void
fws_ws_codec_set_max_length (FwsWsCodec *codec,
                             guint64     max_length)
{
  g_return_if_fail (codec != NULL);

  codec->max_length = effective_max_length (max_length);
}

void
fws_ws_codec_set_max_fragments (FwsWsCodec *codec,
                                guint       max_fragments)
{
  g_return_if_fail (codec != NULL);

  codec->max_fragments = max_fragments;
}

guint64
fws_ws_codec_get_fragments (FwsWsCodec *codec)
{
  g_return_val_if_fail (codec != NULL, 0);

  return codec->msg_open ? codec->msg_frames : 0;
}

void
fws_ws_codec_set_allowed_rsv (FwsWsCodec *codec,
                              guint       rsv)
{
  g_return_if_fail (codec != NULL);
  g_return_if_fail ((rsv & ~(guint) (FWS_WS_RSV1 | FWS_WS_RSV2 | FWS_WS_RSV3)) == 0);

  codec->allowed_rsv = rsv;
}

void
fws_ws_codec_stop (FwsWsCodec *codec)
{
  g_return_if_fail (codec != NULL);

  codec->stopped = TRUE;
  drop_message (codec);
}

void
fws_ws_codec_pause (FwsWsCodec *codec)
{
  g_return_if_fail (codec != NULL);

  codec->paused = TRUE;
}

gsize
fws_ws_codec_get_buffered (FwsWsCodec *codec)
{
  g_return_val_if_fail (codec != NULL, 0);

  return codec->msg_len;
}

gsize
fws_ws_codec_get_allocated (FwsWsCodec *codec)
{
  g_return_val_if_fail (codec != NULL, 0);

  return codec->msg_alloc;
}

G_GNUC_PRINTF (5, 6)
static gboolean
codec_fail (FwsWsCodec  *codec,
            guint16     *close_code,
            GError     **error,
            FwsError     code,
            const char  *format,
            ...)
{
  va_list args;
  char *message;

  codec->stopped = TRUE;
  drop_message (codec);

  if (close_code != NULL)
    {
      switch (code)
        {
        case FWS_ERROR_TOO_LARGE:
          *close_code = 1009;
          break;
        case FWS_ERROR_INVALID_UTF8:
          *close_code = 1007;
          break;
        default:
          *close_code = 1002;
          break;
        }
    }

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, FWS_ERROR, code, message);
  g_free (message);

  return FALSE;
}

static inline gboolean
is_control (guint opcode)
{
  return (opcode & 0x8) != 0;
}

/* Checks header byte 1, in the order of BEHAVIOUR.md 2.9. */
static gboolean
parse_byte1 (FwsWsCodec  *codec,
             guint8       b,
             guint16     *close_code,
             GError     **error)
{
  guint rsv = b & 0x70;
  guint opcode = b & 0x0F;
  gboolean fin = (b & 0x80) != 0;

  if (rsv != 0 &&
      ((rsv & ~codec->allowed_rsv) != 0 ||
       (opcode != FWS_WS_OP_TEXT && opcode != FWS_WS_OP_BINARY)))
    return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                       _("One or more reserved bits are on: reserved1 = %d, reserved2 = %d, reserved3 = %d"),
                       (rsv & FWS_WS_RSV1) ? 1 : 0,
                       (rsv & FWS_WS_RSV2) ? 1 : 0,
                       (rsv & FWS_WS_RSV3) ? 1 : 0);

  switch (opcode)
    {
    case FWS_WS_OP_CONTINUATION:
    case FWS_WS_OP_TEXT:
    case FWS_WS_OP_BINARY:
    case FWS_WS_OP_CLOSE:
    case FWS_WS_OP_PING:
    case FWS_WS_OP_PONG:
      break;
    default:
      return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                         _("Unrecognized frame opcode: %u"), opcode);
    }

  if (is_control (opcode) && !fin)
    return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                       _("Received fragmented control frame: opcode = %u"), opcode);

  if ((opcode == FWS_WS_OP_TEXT || opcode == FWS_WS_OP_BINARY) && codec->msg_open)
    return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                       "%s", _("Received new data frame but previous continuous frame is unfinished"));

  if (opcode == FWS_WS_OP_CONTINUATION && !codec->msg_open)
    return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                       "%s", _("Received unexpected continuation frame"));

  /* A flood of (empty) fragments costs no memory here, and time only in
   * proportion to its bytes; an optional limit bounds the frames of one
   * message. */
  if (opcode == FWS_WS_OP_CONTINUATION && ++codec->msg_frames > codec->max_fragments &&
      codec->max_fragments != 0)
    return codec_fail (codec, close_code, error, FWS_ERROR_TOO_LARGE,
                       _("Message in more than %u fragments"), codec->max_fragments);
  if (opcode == FWS_WS_OP_TEXT || opcode == FWS_WS_OP_BINARY)
    codec->msg_frames = 1;

  codec->fin = fin;
  codec->rsv = rsv;
  codec->opcode = opcode;
  return TRUE;
}

/* Checks the mask bit of header byte 2 against our role. */
static gboolean
check_mask_bit (FwsWsCodec  *codec,
                guint16     *close_code,
                GError     **error)
{
  if (codec->role == FWS_WS_ROLE_SERVER && !codec->masked)
    return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                       "%s", _("Received unmasked frame but masking is required"));
  if (codec->role == FWS_WS_ROLE_CLIENT && codec->masked)
    return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                       "%s", _("Received masked frame but masking is not allowed"));
  return TRUE;
}

/* Checks the payload length, once known, before anything is allocated. */
static gboolean
check_length (FwsWsCodec  *codec,
              guint16     *close_code,
              GError     **error)
{
  guint64 len = codec->frame_length;

  if (is_control (codec->opcode))
    {
      if (len > MAX_CONTROL_PAYLOAD)
        return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                           _("Received control frame having too long payload: %u"),
                           (guint) MIN (len, G_MAXUINT));
      return TRUE;
    }

  /* msg_len <= max_length unless the limit was lowered in the middle of a
   * message. Written so that nothing overflows. */
  if (codec->msg_len > codec->max_length ||
      len > (guint64) (codec->max_length - codec->msg_len))
    return codec_fail (codec, close_code, error, FWS_ERROR_TOO_LARGE,
                       "%s", _("WebSocket frame length too large"));

  return TRUE;
}

/* Makes room for the next @n payload bytes of the current data frame plus
 * the trailing NUL. The size check has passed, so the frame fits in
 * max_length < G_MAXSIZE.
 *
 * A FIN frame ends the message, so nothing is allocated past its end: a
 * message carried by one frame gets exactly len + 1 bytes. Fragmented
 * messages grow geometrically, never past max_length + 1. Ahead of the data
 * that actually arrived, at most PREALLOC_MAX bytes are reserved on the
 * strength of a header alone, so a huge length with a huge (or no) limit
 * costs memory only as its bytes arrive. */
#define PREALLOC_MAX ((gsize) 16 * 1024 * 1024)

static gboolean
reserve (FwsWsCodec  *codec,
         gsize        n,
         guint16     *close_code,
         GError     **error)
{
  gsize needed = codec->msg_len + n + 1;
  gsize frame_end = codec->msg_len + (gsize) (codec->frame_length - codec->frame_done) + 1;
  gsize limit = codec->fin ? frame_end : codec->max_length + 1;
  gsize new_alloc;
  guint8 *buf;

  if (needed <= codec->msg_alloc)
    return TRUE;

  new_alloc = codec->msg_alloc <= G_MAXSIZE / 2 ? codec->msg_alloc * 2 : G_MAXSIZE;
  if (codec->msg_len <= G_MAXSIZE - PREALLOC_MAX)
    new_alloc = MAX (new_alloc, MIN (frame_end, codec->msg_len + PREALLOC_MAX));
  new_alloc = MIN (new_alloc, limit);
  new_alloc = MAX (new_alloc, needed);

  /* A large buffer of an earlier message, its pages already mapped. */
  if (new_alloc >= FWS_BUFFERS_MIN)
    {
      gsize cap;

      /* Not twice as large as asked (a small message must not pin a large
       * buffer while the application keeps it), nor past max-length. */
      buf = fws_buffers_take (new_alloc, MIN (new_alloc <= G_MAXSIZE / 2 ? new_alloc * 2 : G_MAXSIZE,
                                              codec->max_length + 1), &cap);
      if (buf != NULL)
        {
          if (codec->msg_len > 0)
            memcpy (buf, codec->msg_buf, codec->msg_len);
          fws_buffers_give (codec->msg_buf, codec->msg_alloc);
          codec->msg_buf = buf;
          codec->msg_alloc = cap;
          return TRUE;
        }
    }

  /* Memory running out for what the peer sends (only possible with a huge
   * limit) makes its message too large; it is no reason to abort. */
  buf = g_try_realloc (codec->msg_buf, new_alloc);
  if (buf == NULL)
    return codec_fail (codec, close_code, error, FWS_ERROR_TOO_LARGE,
                       "%s", _("WebSocket frame length too large"));

  codec->msg_buf = buf;
  codec->msg_alloc = new_alloc;
  return TRUE;
}

/* The header is complete: prepares for the payload. */
static gboolean
begin_payload (FwsWsCodec  *codec,
               guint16     *close_code,
               GError     **error)
{
  codec->frame_done = 0;
  codec->stage = STAGE_PAYLOAD;

  if (is_control (codec->opcode))
    return TRUE;

  if (codec->opcode != FWS_WS_OP_CONTINUATION)
    {
      codec->msg_open = TRUE;
      codec->msg_opcode = codec->opcode;
      codec->msg_rsv = codec->rsv;
      codec->msg_validate = codec->opcode == FWS_WS_OP_TEXT && codec->rsv == 0;
      if (codec->msg_validate)
        fws_utf8_validator_init (&codec->utf8);
    }

  if (codec->frame_length > 0)
    return reserve (codec, (gsize) MIN (codec->frame_length, PREALLOC_MAX), close_code, error);

  return TRUE;
}

/* The frame's payload is complete: delivers what is due. Callbacks may stop
 * the codec; the caller checks codec->stopped afterwards. */
static gboolean
end_frame (FwsWsCodec  *codec,
           guint16     *close_code,
           GError     **error)
{
  codec->stage = STAGE_HEADER1;

  if (is_control (codec->opcode))
    {
      if (codec->callbacks.control != NULL)
        codec->callbacks.control (codec->user_data, codec->opcode,
                                  codec->control, (gsize) codec->frame_length);
      return TRUE;
    }

  if (!codec->fin)
    return TRUE;

  if (codec->msg_validate && !fws_utf8_validator_finish (&codec->utf8))
    return codec_fail (codec, close_code, error, FWS_ERROR_INVALID_UTF8,
                       "%s", _("Could not decode a text frame as UTF-8"));

  {
    guint8 *buf = codec->msg_buf;
    gsize len = codec->msg_len;
    guint opcode = codec->msg_opcode;
    guint rsv = codec->msg_rsv;
    gsize alloc = codec->msg_alloc;
    gboolean cached = alloc >= FWS_BUFFERS_MIN && alloc <= FWS_BUFFERS_MAX_CAP;
    GBytes *payload;

    if (buf == NULL)
      buf = g_malloc (1);
    else if (!cached && alloc - (len + 1) > alloc / 8)
      buf = g_realloc (buf, len + 1);   /* geometric growth overshot: shrink */
    buf[len] = '\0';

    codec->msg_buf = NULL;
    codec->msg_len = 0;
    codec->msg_alloc = 0;
    codec->msg_open = FALSE;

    /* (transfer full): the callback owns @payload. A large buffer goes
     * back to the cache when the application lets go of the message. */
    if (cached)
      payload = fws_buffers_wrap (buf, len, alloc);
    else
      payload = g_bytes_new_take (buf, len);
    if (codec->callbacks.message != NULL)
      codec->callbacks.message (codec->user_data, opcode, rsv, payload);
    else
      g_bytes_unref (payload);
  }

  return TRUE;
}

static gboolean feed_loop (FwsWsCodec *codec, const guint8 **pp, const guint8 *end,
                           guint16 *close_code, GError **error);

gboolean
fws_ws_codec_feed (FwsWsCodec   *codec,
                   const guint8 *data,
                   gsize         len,
                   guint16      *close_code,
                   GError      **error)
{
  return fws_ws_codec_feed_some (codec, data, len, NULL, close_code, error);
}

gboolean
fws_ws_codec_feed_some (FwsWsCodec   *codec,
                        const guint8 *data,
                        gsize         len,
                        gsize        *consumed,
                        guint16      *close_code,
                        GError      **error)
{
  const guint8 *p, *end;
  gboolean ok;

  g_return_val_if_fail (codec != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  codec->paused = FALSE;
  if (consumed != NULL)
    *consumed = len;
  if (len == 0)
    return TRUE;   /* @data may be NULL: no pointer arithmetic on it */
  p = data;
  end = data + len;
  ok = feed_loop (codec, &p, end, close_code, error);
  /* After a pause, the rest is the caller's to feed again; after an error
   * or a stop, every byte counts as taken (they are ignored). */
  if (consumed != NULL && ok && !codec->stopped)
    *consumed = (gsize) (p - data);
  codec->paused = FALSE;
  return ok;
}

static gboolean
feed_loop (FwsWsCodec    *codec,
           const guint8 **pp,
           const guint8  *end,
           guint16       *close_code,
           GError       **error)
{
  const guint8 *p = *pp;

  while (!codec->stopped && !codec->paused && p < end)
    {
      switch (codec->stage)
        {
        case STAGE_HEADER1:
          if (!parse_byte1 (codec, *p++, close_code, error))
            return FALSE;
          codec->stage = STAGE_HEADER2;
          break;

        case STAGE_HEADER2:
          {
            guint8 b = *p++;
            guint len7 = b & 0x7F;

            codec->masked = (b & 0x80) != 0;
            if (!check_mask_bit (codec, close_code, error))
              return FALSE;

            codec->have = 0;
            if (len7 >= 126)
              {
                codec->ext_need = len7 == 126 ? 2 : 8;
                codec->stage = STAGE_EXT_LENGTH;
                break;
              }

            codec->frame_length = len7;
            if (!check_length (codec, close_code, error))
              return FALSE;
            if (codec->masked)
              {
                codec->stage = STAGE_MASK_KEY;
                break;
              }
            if (!begin_payload (codec, close_code, error))
              return FALSE;
          }
          break;

        case STAGE_EXT_LENGTH:
          {
            gsize n = MIN ((gsize) (end - p), codec->ext_need - codec->have);
            guint64 value = 0;
            guint i;

            memcpy (codec->ext + codec->have, p, n);
            p += n;
            codec->have += n;
            if (codec->have < codec->ext_need)
              break;

            for (i = 0; i < codec->ext_need; i++)
              value = (value << 8) | codec->ext[i];
            if (value & G_GUINT64_CONSTANT (0x8000000000000000))
              return codec_fail (codec, close_code, error, FWS_ERROR_PROTOCOL,
                                 "%s", _("Received frame with an invalid payload length"));

            codec->frame_length = value;
            if (!check_length (codec, close_code, error))
              return FALSE;

            codec->have = 0;
            if (codec->masked)
              {
                codec->stage = STAGE_MASK_KEY;
                break;
              }
            if (!begin_payload (codec, close_code, error))
              return FALSE;
          }
          break;

        case STAGE_MASK_KEY:
          {
            gsize n = MIN ((gsize) (end - p), 4 - codec->have);

            memcpy (codec->mask_key + codec->have, p, n);
            p += n;
            codec->have += n;
            if (codec->have < 4)
              break;
            if (!begin_payload (codec, close_code, error))
              return FALSE;
          }
          break;

        case STAGE_PAYLOAD:
          {
            guint64 remaining = codec->frame_length - codec->frame_done;
            gsize n = (gsize) MIN ((guint64) (end - p), remaining);

            if (n > 0)
              {
                guint8 *dst;

                if (is_control (codec->opcode))
                  {
                    dst = codec->control + codec->frame_done;
                  }
                else
                  {
                    if (codec->msg_len + n >= codec->msg_alloc &&
                        !reserve (codec, n, close_code, error))
                      return FALSE;
                    dst = codec->msg_buf + codec->msg_len;
                  }

                if (codec->masked)
                  fws_ws_mask_copy (dst, p, n, codec->mask_key, (gsize) (codec->frame_done & 3));
                else
                  memcpy (dst, p, n);
                p += n;
                codec->frame_done += n;

                if (!is_control (codec->opcode))
                  {
                    codec->msg_len += n;
                    if (codec->msg_validate &&
                        !fws_utf8_validator_feed (&codec->utf8, dst, n))
                      return codec_fail (codec, close_code, error, FWS_ERROR_INVALID_UTF8,
                                         "%s", _("Could not decode a text frame as UTF-8"));
                  }
              }
          }
          break;

        default:
          g_assert_not_reached ();
        }

      /* A frame whose payload is complete (including an empty one whose
       * header just ended) is delivered now, even at the end of the input. */
      if (codec->stage == STAGE_PAYLOAD && codec->frame_done == codec->frame_length)
        {
          if (!end_frame (codec, close_code, error))
            return FALSE;
          /* The callback may have stopped us: the loop condition checks. */
        }
    }

  *pp = p;
  return TRUE;
}

gsize
fws_ws_frame_header (guint8        out[FWS_WS_MAX_HEADER],
                     gboolean      fin,
                     guint         rsv,
                     guint         opcode,
                     guint64       payload_len,
                     const guint8 *mask_key)
{
  gsize n = 2;
  guint8 mask_bit = mask_key != NULL ? 0x80 : 0;

  g_return_val_if_fail (out != NULL, 0);
  g_return_val_if_fail ((rsv & ~0x70u) == 0, 0);
  g_return_val_if_fail (opcode <= 0xF, 0);
  g_return_val_if_fail (payload_len <= G_GUINT64_CONSTANT (0x7FFFFFFFFFFFFFFF), 0);

  out[0] = (fin ? 0x80 : 0) | rsv | opcode;
  if (payload_len <= 125)
    {
      out[1] = mask_bit | (guint8) payload_len;
    }
  else if (payload_len <= 0xFFFF)
    {
      out[1] = mask_bit | 126;
      out[2] = (guint8) (payload_len >> 8);
      out[3] = (guint8) payload_len;
      n = 4;
    }
  else
    {
      int i;

      out[1] = mask_bit | 127;
      for (i = 0; i < 8; i++)
        out[2 + i] = (guint8) (payload_len >> (56 - 8 * i));
      n = 10;
    }

  if (mask_key != NULL)
    {
      memcpy (out + n, mask_key, 4);
      n += 4;
    }

  return n;
}

void
fws_ws_mask_copy (guint8       *dst,
                  const guint8 *src,
                  gsize         len,
                  const guint8  key[4],
                  gsize         key_offset)
{
  gsize k = key_offset & 3;
  guint8 rotated[8];
  guint64 word_key;
  gsize i;

  /* Head: byte at a time until @dst is 8-byte aligned. */
  while (len > 0 && ((uintptr_t) dst & 7) != 0)
    {
      *dst++ = *src++ ^ key[k];
      k = (k + 1) & 3;
      len--;
    }

  /* The key as it lines up with the next 8 bytes in memory order; 8 is a
   * multiple of 4, so it stays in phase from word to word. */
  for (i = 0; i < 8; i++)
    rotated[i] = key[(k + i) & 3];
  memcpy (&word_key, rotated, sizeof word_key);

  /* Body: memcpy keeps unaligned loads (from @src) free of undefined
   * behaviour; the compiler turns it into plain loads and stores. */
  while (len >= 32)
    {
      guint64 w0, w1, w2, w3;

      memcpy (&w0, src, 8);
      memcpy (&w1, src + 8, 8);
      memcpy (&w2, src + 16, 8);
      memcpy (&w3, src + 24, 8);
      w0 ^= word_key;
      w1 ^= word_key;
      w2 ^= word_key;
      w3 ^= word_key;
      memcpy (dst, &w0, 8);
      memcpy (dst + 8, &w1, 8);
      memcpy (dst + 16, &w2, 8);
      memcpy (dst + 24, &w3, 8);
      src += 32;
      dst += 32;
      len -= 32;
    }
  while (len >= 8)
    {
      guint64 w;

      memcpy (&w, src, 8);
      w ^= word_key;
      memcpy (dst, &w, 8);
      src += 8;
      dst += 8;
      len -= 8;
    }

  /* Tail. */
  for (i = 0; i < len; i++)
    dst[i] = src[i] ^ rotated[i];
}

void
fws_ws_mask (guint8       *data,
             gsize         len,
             const guint8  key[4],
             gsize         key_offset)
{
  fws_ws_mask_copy (data, data, len, key, key_offset);
}

gboolean
fws_ws_close_code_is_valid (guint code)
{
  return (code >= 1000 && code <= 1003) ||
         (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

gboolean
fws_ws_close_payload_parse (const guint8  *payload,
                            gsize          len,
                            guint16       *code,
                            char         **reason,
                            GError       **error)
{
  guint16 value;
  char *text;

  g_return_val_if_fail (payload != NULL || len == 0, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (len == 0)
    {
      *code = 1005;
      *reason = g_strdup ("");
      return TRUE;
    }

  *code = 1002;
  *reason = g_strdup ("");

  if (len == 1)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_PROTOCOL,
                           _("Received close frame with a one-byte payload"));
      return FALSE;
    }

  value = (guint16) ((payload[0] << 8) | payload[1]);
  if (!fws_ws_close_code_is_valid (value))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_PROTOCOL,
                   _("Received close frame with invalid close code: %u"), (guint) value);
      return FALSE;
    }

  if (!fws_utf8_validate (payload + 2, len - 2))
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8,
                           _("Received close frame with a reason that is not UTF-8"));
      return FALSE;
    }

  text = g_malloc (len - 1);
  memcpy (text, payload + 2, len - 2);
  text[len - 2] = '\0';

  g_free (*reason);
  *reason = text;
  *code = value;
  return TRUE;
}
