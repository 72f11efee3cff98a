/* fuzz-ws-codec.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RFC 6455 frame parser (FwsWsCodec) in one role: the server role
 * (masked frames expected) by default, the client role with
 * -DFUZZ_ROLE_CLIENT. Input:
 *   byte 0  the split: 0 feeds the rest in one piece, N feeds pieces of
 *           1..N bytes (fuzz-common.h);
 *   byte 1  flags: bits 4-6 the RSV bits extensions claimed
 *           (set_allowed_rsv); bits 0-1 max_length (1 MiB, 16, no limit,
 *           125); bit 2 stop the codec from the callback of a close frame;
 *           bit 3 lower max_length to 8 after the first piece;
 *   then    the bytes from the peer.
 * Checks: messages are TEXT or BINARY with a NUL after the payload, at most
 * max_length bytes, text without RSV bits is UTF-8 (U+0000 allowed);
 * control frames are CLOSE, PING or PONG of at most 125 bytes; a close
 * payload that parses has a valid code and a UTF-8 reason; a failure gives
 * an FWS_ERROR and a close code 1002, 1007 or 1009, and later input is
 * ignored.
 */
#include "fuzz-common.h"

#include "fws-error.h"
#include "fws-ws-codec-private.h"

#ifdef FUZZ_ROLE_CLIENT
# define ROLE FWS_WS_ROLE_CLIENT
#else
# define ROLE FWS_WS_ROLE_SERVER
#endif

typedef struct
{
  FwsWsCodec *codec;
  guint64     max_length;
  gboolean    stop_on_close;
  guint       messages;
} State;

static void
message_cb (gpointer user_data, guint opcode, guint rsv, GBytes *payload)
{
  State *st = user_data;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);

  FUZZ_CHECK (opcode == FWS_WS_OP_TEXT || opcode == FWS_WS_OP_BINARY);
  FUZZ_CHECK ((rsv & ~0x70u) == 0);
  FUZZ_CHECK (p != NULL);
  FUZZ_CHECK (p[len] == '\0');
  FUZZ_CHECK (st->max_length == 0 || len <= st->max_length);
  if (opcode == FWS_WS_OP_TEXT && rsv == 0)
    FUZZ_CHECK (fuzz_utf8_ok (p, len));
  st->messages++;
  g_bytes_unref (payload);
}

static void
control_cb (gpointer user_data, guint opcode, const guint8 *payload, gsize len)
{
  State *st = user_data;

  FUZZ_CHECK (opcode == FWS_WS_OP_CLOSE || opcode == FWS_WS_OP_PING || opcode == FWS_WS_OP_PONG);
  FUZZ_CHECK (len <= 125);
  FUZZ_CHECK (payload != NULL || len == 0);
  if (opcode == FWS_WS_OP_CLOSE)
    {
      GError *error = NULL;
      char *reason = NULL;
      guint16 code = 0;

      if (fws_ws_close_payload_parse (payload, len, &code, &reason, &error))
        {
          FUZZ_CHECK (error == NULL);
          FUZZ_CHECK (reason != NULL);
          FUZZ_CHECK (g_utf8_validate (reason, -1, NULL));
          if (len == 0)
            FUZZ_CHECK (code == 1005 && reason[0] == '\0');
          else
            {
              FUZZ_CHECK (code == ((guint) payload[0] << 8 | payload[1]));
              FUZZ_CHECK (fws_ws_close_code_is_valid (code));
              FUZZ_CHECK (strlen (reason) <= len - 2);   /* a C string: cut at a U+0000 */
            }
        }
      else
        {
          FUZZ_CHECK (error != NULL && error->domain == FWS_ERROR);
          FUZZ_CHECK (code == 1002);
          g_clear_error (&error);
        }
      g_free (reason);
      if (st->stop_on_close)
        fws_ws_codec_stop (st->codec);
    }
}

static const FwsWsCodecCallbacks callbacks = { message_cb, control_cb };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint64 max_lengths[] = { 1 << 20, 16, 0, 125 };
  State st = { 0 };
  FuzzSplitter split;
  const uint8_t *piece;
  size_t len;
  guint flags;
  gboolean failed = FALSE;
  gboolean first = TRUE;

  if (size < 2)
    return 0;
  flags = data[1];
  st.max_length = max_lengths[flags & 3];
  st.stop_on_close = (flags & 4) != 0;
  st.codec = fws_ws_codec_new (ROLE, st.max_length, &callbacks, &st);
  fws_ws_codec_set_allowed_rsv (st.codec, flags & 0x70);

  fuzz_splitter_init (&split, data + 2, size - 2, data[0]);
  while (fuzz_splitter_next (&split, &piece, &len))
    {
      GError *error = NULL;
      guint16 code = 0;
      gboolean ok = fws_ws_codec_feed (st.codec, piece, len, &code, &error);

      if (failed)
        FUZZ_CHECK (ok && error == NULL);   /* dead after an error */
      if (!ok)
        {
          FUZZ_CHECK (error != NULL && error->domain == FWS_ERROR);
          FUZZ_CHECK (code == 1002 || code == 1007 || code == 1009);
          FUZZ_CHECK (fws_ws_codec_get_buffered (st.codec) == 0);
          g_clear_error (&error);
          failed = TRUE;
        }
      FUZZ_CHECK (error == NULL);
      if (st.max_length != 0)
        FUZZ_CHECK (fws_ws_codec_get_buffered (st.codec) <= st.max_length);
      if (first && (flags & 8))
        fws_ws_codec_set_max_length (st.codec, 8);   /* checks keep the old, larger limit */
      first = FALSE;
    }
  fws_ws_codec_free (st.codec);
  return 0;
}
