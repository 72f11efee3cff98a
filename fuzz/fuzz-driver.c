/* fuzz-driver.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The whole pipeline of one connection (FwsDriver: codec or hixie parser,
 * close handshake, extensions with permessage-deflate inflating RSV1
 * frames), fed bytes from the peer once the handshake is done. The server
 * role by default, the client role with -DFUZZ_ROLE_CLIENT. Input:
 *   byte 0  the split (fuzz-common.h);
 *   byte 1  flags: bits 0-2 the handshake (below); bit 3 echo each message
 *           back (runs the compressor); bit 4 close from the callback of the
 *           second message; bit 5 max_length 64 instead of 1 MiB; bit 6
 *           lower max_length to 16 after the first piece; bit 7 send a
 *           message before the handshake (queued, then flushed);
 *   then    the bytes from the peer.
 * Server handshakes: 0 hybi without extensions; 1-4 hybi offering
 * permessage-deflate with various parameters; 5 hixie-75; 6 hixie-76 (the
 * 8 key bytes come from the input); 7 hybi with a permessage-deflate that
 * refuses context takeover.
 * Client handshakes: 0 permessage-deflate offered, none accepted; 1-5
 * permessage-deflate accepted with various parameters; 6 no extension
 * registered; 7 the input starts with the server's response head itself.
 * Checks: events in order (open once, before messages; close once, last;
 * error only right before close), text is UTF-8 with a NUL after it, no
 * message above max_length (before it was lowered); what we wrote after the
 * handshake parses as frames of the other role, with valid close payloads.
 */
#include "fuzz-common.h"

#include "fws-driver-private.h"
#include "fws-error.h"
#include "fws-permessage-deflate.h"
#include "fws-ws-codec-private.h"

#ifdef FUZZ_ROLE_CLIENT
# define CLIENT 1
#else
# define CLIENT 0
#endif

#define CLIENT_KEY "2vBVWg4Qyk3ZoM/5d3QD9Q=="
#define CLIENT_ACCEPT "QV3I5XUXU2CdhtjixE7QCkCcMZM="

typedef struct
{
  FwsDriver  *driver;
  GByteArray *out;
  guint64     max_length;
  gboolean    hybi;
  gboolean    echo;
  gboolean    close_on_second;
  gboolean    opened;
  gboolean    closed;
  gboolean    error_seen;
  guint       messages;
} State;

static void
write_cb (gpointer user_data, const guint8 *data, gsize len)
{
  State *st = user_data;

  FUZZ_CHECK (data != NULL || len == 0);
  g_byte_array_append (st->out, data, (guint) len);
}

static void
write_frame_cb (gpointer user_data, const guint8 *header, gsize header_len, GBytes *payload)
{
  State *st = user_data;
  gsize len;
  const guint8 *p = g_bytes_get_data (payload, &len);

  FUZZ_CHECK (header_len >= 2 && header_len <= FWS_WS_MAX_HEADER);
  g_byte_array_append (st->out, header, (guint) header_len);
  if (len > 0)
    g_byte_array_append (st->out, p, (guint) len);
}

static void
random_cb (gpointer user_data, guint8 *buf, gsize len)
{
  /* Deterministic: a fixed mask key. */
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) (0x37 + 0x5B * i);
}

static void
open_cb (gpointer user_data)
{
  State *st = user_data;

  FUZZ_CHECK (!st->opened && !st->closed && !st->error_seen);
  st->opened = TRUE;
}

static void
message_cb (gpointer user_data, FwsMessageType type, GBytes *data)
{
  State *st = user_data;
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);

  FUZZ_CHECK (st->opened && !st->closed && !st->error_seen);
  FUZZ_CHECK (type == FWS_MESSAGE_TYPE_TEXT || type == FWS_MESSAGE_TYPE_BINARY);
  FUZZ_CHECK (len <= st->max_length);
  if (type == FWS_MESSAGE_TYPE_TEXT)
    {
      FUZZ_CHECK (p != NULL && p[len] == '\0');
      FUZZ_CHECK (fuzz_utf8_ok (p, len));
    }
  st->messages++;
  if (st->echo)
    fws_driver_send (st->driver, type, data, NULL);
  if (st->close_on_second && st->messages == 2)
    fws_driver_close (st->driver, 1000, "bye", NULL);
}

static void
ping_cb (gpointer user_data, GBytes *payload)
{
  State *st = user_data;

  FUZZ_CHECK (st->opened && !st->closed && st->hybi);
  FUZZ_CHECK (g_bytes_get_size (payload) <= 125);
}

static void
pong_cb (gpointer user_data, GBytes *payload)
{
  State *st = user_data;

  FUZZ_CHECK (st->opened && !st->closed && st->hybi);
  FUZZ_CHECK (g_bytes_get_size (payload) <= 125);
}

static void
error_cb (gpointer user_data, const GError *error)
{
  State *st = user_data;

  FUZZ_CHECK (!st->closed && !st->error_seen);
  FUZZ_CHECK (error != NULL && error->message != NULL);
  st->error_seen = TRUE;
}

static void
close_cb (gpointer user_data, guint code, const char *reason)
{
  State *st = user_data;

  FUZZ_CHECK (!st->closed);
  FUZZ_CHECK (reason != NULL);
  FUZZ_CHECK (g_utf8_validate (reason, -1, NULL));
  FUZZ_CHECK (code >= 1000 && code <= 4999);
  st->closed = TRUE;
}

static const FwsDriverCallbacks callbacks = {
  write_cb, write_frame_cb, random_cb, open_cb, message_cb, ping_cb, pong_cb, error_cb, close_cb,
};

/* ---- What we wrote must parse as frames of the other role ---- */

static void
peer_message_cb (gpointer user_data, guint opcode, guint rsv, GBytes *payload)
{
  g_bytes_unref (payload);
}

static void
peer_control_cb (gpointer user_data, guint opcode, const guint8 *payload, gsize len)
{
  if (opcode == FWS_WS_OP_CLOSE)
    {
      GError *error = NULL;
      char *reason = NULL;
      guint16 code;

      /* Our close frames have a valid code and a whole UTF-8 reason. */
      FUZZ_CHECK (fws_ws_close_payload_parse (payload, len, &code, &reason, &error));
      g_free (reason);
    }
}

static const FwsWsCodecCallbacks peer_callbacks = { peer_message_cb, peer_control_cb };

static void
check_written_frames (const guint8 *data, gsize len)
{
  FwsWsCodec *peer = fws_ws_codec_new (CLIENT ? FWS_WS_ROLE_SERVER : FWS_WS_ROLE_CLIENT, 0,
                                       &peer_callbacks, NULL);
  GError *error = NULL;
  guint16 code;

  fws_ws_codec_set_allowed_rsv (peer, FWS_WS_RSV1);
  if (!fws_ws_codec_feed (peer, data, len, &code, &error))
    {
      fprintf (stderr, "we wrote a bad frame: %s\n", error->message);
      abort ();
    }
  fws_ws_codec_free (peer);
}

/* ---- Setting up the connection ---- */

static FwsPermessageDeflate *
new_deflate (gboolean no_takeover)
{
  return g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "no-context-takeover", no_takeover, NULL);
}

static void
add_deflate (FwsDriver *driver, gboolean no_takeover)
{
  FwsPermessageDeflate *deflate = new_deflate (no_takeover);
  GError *error = NULL;

  FUZZ_CHECK (fws_driver_add_extension (driver, FWS_EXTENSION (deflate), &error));
  g_object_unref (deflate);
}

#if !CLIENT

static const char * const offers[8] = {
  NULL,
  "permessage-deflate",
  "permessage-deflate; client_max_window_bits",
  "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
  "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
  NULL,
  NULL,
  "permessage-deflate; client_max_window_bits=9",
};

static FwsDriver *
new_driver (State *st, guint kind)
{
  SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  FwsDriver *driver;
  static const char * const protocols[] = { "chat", "superchat", NULL };

  soup_message_headers_append (h, "Host", "www.example.com");
  soup_message_headers_append (h, "Origin", "http://www.example.com");
  if (kind == 5 || kind == 6)
    {
      soup_message_headers_append (h, "Connection", "Upgrade");
      soup_message_headers_append (h, "Upgrade", "WebSocket");
      if (kind == 6)
        {
          soup_message_headers_append (h, "Sec-WebSocket-Key1", "1   38 wZ3f9 23O0 3l 0r");
          soup_message_headers_append (h, "Sec-WebSocket-Key2", "27   0E 6 2  1665:< ;U 1H");
        }
    }
  else
    {
      soup_message_headers_append (h, "Connection", "Upgrade");
      soup_message_headers_append (h, "Upgrade", "websocket");
      soup_message_headers_append (h, "Sec-WebSocket-Key", "JFBCWHksyIpXV+6Wlq/9pw==");
      soup_message_headers_append (h, "Sec-WebSocket-Version", "13");
      soup_message_headers_append (h, "Sec-WebSocket-Protocol", "chat");
      if (offers[kind] != NULL)
        soup_message_headers_append (h, "Sec-WebSocket-Extensions", offers[kind]);
    }
  st->hybi = kind != 5 && kind != 6;
  driver = fws_driver_new_server (&callbacks, st, "GET", h, protocols, NULL, st->max_length);
  soup_message_headers_unref (h);
  fws_driver_set_url (driver, "ws://www.example.com/socket");
  if (st->hybi)
    add_deflate (driver, kind == 7);
  return driver;
}

#else /* CLIENT */

static const char * const responses[8] = {
  NULL,
  "permessage-deflate",
  "permessage-deflate; server_no_context_takeover",
  "permessage-deflate; server_max_window_bits=10",
  "permessage-deflate; client_max_window_bits=8",
  "permessage-deflate; client_no_context_takeover; server_max_window_bits=8",
  NULL,
  NULL,
};

static FwsDriver *
new_driver (State *st, guint kind)
{
  GUri *uri = g_uri_parse ("ws://www.example.com/socket", G_URI_FLAGS_NONE, NULL);
  FwsDriver *driver = fws_driver_new_client (&callbacks, st, uri, CLIENT_KEY, NULL, NULL, st->max_length);

  g_uri_unref (uri);
  st->hybi = TRUE;
  if (kind != 6)
    add_deflate (driver, FALSE);
  return driver;
}

/* The server's response, unless the input brings its own (kind 7). */
static void
client_respond (State *st, guint kind)
{
  GString *s;

  if (kind == 7)
    return;
  s = g_string_new ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: " CLIENT_ACCEPT "\r\n");
  if (responses[kind] != NULL)
    g_string_append_printf (s, "Sec-WebSocket-Extensions: %s\r\n", responses[kind]);
  g_string_append (s, "\r\n");
  fws_driver_parse (st->driver, (const guint8 *) s->str, s->len);
  g_string_free (s, TRUE);
  FUZZ_CHECK (st->opened || st->closed);
}

#endif /* CLIENT */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  State st = { 0 };
  FuzzSplitter split;
  const uint8_t *piece;
  size_t len;
  guint flags, kind;
  gboolean first = TRUE;
  guint8 max_piece;
  gsize frames_from = 0;

  if (size < 2)
    return 0;
  max_piece = data[0];
  flags = data[1];
  data += 2;
  size -= 2;
  kind = flags & 7;
  st.echo = (flags & 8) != 0;
  st.close_on_second = (flags & 16) != 0;
  st.max_length = (flags & 32) ? 64 : 1 << 20;
  st.out = g_byte_array_new ();
  st.driver = new_driver (&st, kind);

  if (flags & 128)
    {
      GBytes *early = g_bytes_new_static ("queued", 6);

      FUZZ_CHECK (fws_driver_send (st.driver, FWS_MESSAGE_TYPE_TEXT, early, NULL));
      g_bytes_unref (early);
    }

  fws_driver_start (st.driver);
#if CLIENT
  /* The request we wrote: a head, nothing else. */
  FUZZ_CHECK (fuzz_check_written_head ((const char *) st.out->data, st.out->len) == st.out->len);
  g_byte_array_set_size (st.out, 0);
  client_respond (&st, kind);
#else
  /* The 101 (or 400): a head (and a body only when refused). */
  if (st.out->len > 0)
    frames_from = fuzz_check_written_head ((const char *) st.out->data, st.out->len);
  FUZZ_CHECK (st.opened || st.closed || kind == 6);
#endif

  fuzz_splitter_init (&split, data, size, max_piece);
  while (fuzz_splitter_next (&split, &piece, &len))
    {
      fws_driver_parse (st.driver, piece, len);
      if (first && (flags & 64))
        fws_driver_set_max_length (st.driver, 16);   /* checks keep the old limit */
      first = FALSE;
    }
  fws_driver_transport_closed (st.driver, NULL);
  FUZZ_CHECK (st.closed);
  FUZZ_CHECK (fws_driver_get_state (st.driver) == FWS_READY_STATE_CLOSED);

  if (st.hybi && st.opened)
    check_written_frames (st.out->data + frames_from, st.out->len - frames_from);

  fws_driver_free (st.driver);
  g_byte_array_unref (st.out);
  return 0;
}
