/* test-ws-codec.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-utils.h"

#include "fws-ws-codec-private.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* A recorder: the codec plus everything its callbacks saw. */

typedef enum
{
  EV_MESSAGE,
  EV_CONTROL,
} EventKind;

typedef struct
{
  EventKind  kind;
  guint      opcode;
  guint      rsv;
  GBytes    *payload;
} Event;

typedef struct
{
  FwsWsCodec *codec;
  GArray     *events;              /* Event */
  gboolean    stop_in_message;
  gboolean    stop_in_control;
  gboolean    pause_in_callbacks;  /* fws_ws_codec_pause from message and control */
  guint16     close_code;          /* of the failed feed, else 0 */
  GError     *error;               /* of the failed feed */
  guint       n_failed_feeds;
} Rec;

static void
message_cb (gpointer  user_data,
            guint     opcode,
            guint     rsv,
            GBytes   *payload)
{
  Rec *r = user_data;
  Event ev = { EV_MESSAGE, opcode, rsv, payload };   /* (transfer full) */
  gsize size;
  const guint8 *data = g_bytes_get_data (payload, &size);

  /* The documented trailing NUL, even for empty messages. */
  g_assert_nonnull (data);
  g_assert_cmpuint (data[size], ==, 0);
  g_assert_true (opcode == FWS_WS_OP_TEXT || opcode == FWS_WS_OP_BINARY);
  g_array_append_val (r->events, ev);
  if (r->pause_in_callbacks)
    fws_ws_codec_pause (r->codec);
  if (r->stop_in_message)
    fws_ws_codec_stop (r->codec);
}

static void
control_cb (gpointer      user_data,
            guint         opcode,
            const guint8 *payload,
            gsize         len)
{
  Rec *r = user_data;
  Event ev = { EV_CONTROL, opcode, 0, g_bytes_new (payload, len) };

  g_assert_cmpuint (len, <=, 125);
  g_assert_true (opcode == FWS_WS_OP_CLOSE || opcode == FWS_WS_OP_PING || opcode == FWS_WS_OP_PONG);
  g_array_append_val (r->events, ev);
  if (r->pause_in_callbacks)
    fws_ws_codec_pause (r->codec);
  if (r->stop_in_control)
    fws_ws_codec_stop (r->codec);
}

static const FwsWsCodecCallbacks callbacks = { message_cb, control_cb };

static void
event_clear (gpointer data)
{
  Event *ev = data;

  g_clear_pointer (&ev->payload, g_bytes_unref);
}

static Rec *
rec_new (FwsWsRole role,
         guint64   max_length)
{
  Rec *r = g_new0 (Rec, 1);

  r->codec = fws_ws_codec_new (role, max_length, &callbacks, r);
  r->events = g_array_new (FALSE, TRUE, sizeof (Event));
  g_array_set_clear_func (r->events, event_clear);
  return r;
}

static void
rec_free (Rec *r)
{
  fws_ws_codec_free (r->codec);
  g_array_unref (r->events);
  g_clear_error (&r->error);
  g_free (r);
}

/* Feeds @len bytes; a failure is recorded (only one is expected). */
static gboolean
rec_feed (Rec          *r,
          const guint8 *data,
          gsize         len)
{
  GError *error = NULL;
  guint16 code = 0;
  gboolean ok;

  ok = fws_ws_codec_feed (r->codec, data, len, &code, &error);
  if (ok)
    {
      g_assert_no_error (error);
      g_assert_cmpuint (code, ==, 0);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_null (r->error);
      r->error = error;
      r->close_code = code;
      r->n_failed_feeds++;
    }
  return ok;
}

static gboolean
rec_feed_hex (Rec        *r,
              const char *hex)
{
  GBytes *bytes = fws_test_hex (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gboolean ok = rec_feed (r, data, len);

  g_bytes_unref (bytes);
  return ok;
}

static void
assert_event (Rec        *r,
              guint       index,
              EventKind   kind,
              guint       opcode,
              guint       rsv,
              const void *data,
              gsize       len)
{
  Event *ev;
  gsize size;
  const guint8 *got;

  g_assert_cmpuint (index, <, r->events->len);
  ev = &g_array_index (r->events, Event, index);
  g_assert_cmpint (ev->kind, ==, kind);
  g_assert_cmpuint (ev->opcode, ==, opcode);
  g_assert_cmpuint (ev->rsv, ==, rsv);
  got = g_bytes_get_data (ev->payload, &size);
  g_assert_cmpmem (got, size, data, len);
}

#define assert_message(r, i, op, data, len) assert_event (r, i, EV_MESSAGE, op, 0, data, len)
#define assert_control(r, i, op, data, len) assert_event (r, i, EV_CONTROL, op, 0, data, len)

static void
assert_failed (Rec        *r,
               guint16     close_code,
               FwsError    code,
               const char *message)
{
  g_assert_error (r->error, FWS_ERROR, (gint) code);
  g_assert_cmpstr (r->error->message, ==, message);
  g_assert_cmpuint (r->close_code, ==, close_code);
  g_assert_cmpuint (r->n_failed_feeds, ==, 1);
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);

  /* Dead from now on: input is ignored and feed returns TRUE. */
  g_assert_true (rec_feed_hex (r, "81 00 82 00 89 00"));
  g_assert_true (rec_feed_hex (r, "81 80 00 00 00 00 82 80 00 00 00 00"));
  g_assert_cmpuint (r->n_failed_feeds, ==, 1);
}

/* The obvious masking loop, independent of the code under test. */
static void
naive_mask (guint8       *data,
            gsize         len,
            const guint8  key[4],
            gsize         key_offset)
{
  gsize i;

  for (i = 0; i < len; i++)
    data[i] ^= key[(i + key_offset) % 4];
}

/* Appends one frame; masked with @key when it is not NULL. */
static void
append_frame (GByteArray   *out,
              gboolean      fin,
              guint         rsv,
              guint         opcode,
              const void   *payload,
              gsize         len,
              const guint8 *key)
{
  guint8 header[FWS_WS_MAX_HEADER];
  gsize hlen = fws_ws_frame_header (header, fin, rsv, opcode, len, key);
  guint start;

  g_byte_array_append (out, header, hlen);
  start = out->len;
  if (len > 0)
    g_byte_array_append (out, payload, len);
  if (key != NULL)
    naive_mask (out->data + start, len, key, 0);
}

static const guint8 test_key[4] = { 0x37, 0xfa, 0x21, 0x3d };

static const guint8 apple[] = {
  0x41, 0x70, 0x70, 0x6c, 0x65, 0x20, 0x3d, 0x20, 0xef, 0xa3, 0xbf
};

/* ------------------------------------------------------------------------ */
/* RFC 6455 section 5.7 */

static void
test_rfc_unmasked_text (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);

  g_test_summary ("RFC 6455 5.7: a single-frame unmasked text message (81 05 Hello) reaches a client");

  g_assert_true (rec_feed_hex (r, "81 05 48 65 6c 6c 6f"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_TEXT, "Hello", 5);
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);
  rec_free (r);
}

static void
test_rfc_masked_text (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_SERVER, 0);

  g_test_summary ("RFC 6455 5.7: a single-frame masked text message reaches a server");

  g_assert_true (rec_feed_hex (r, "81 85 37 fa 21 3d 7f 9f 4d 51 58"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_TEXT, "Hello", 5);
  rec_free (r);
}

static void
test_rfc_fragmented (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);

  g_test_summary ("RFC 6455 5.7: a fragmented unmasked text message (01 03 Hel + 80 02 lo) "
                  "is delivered once, whole");

  g_assert_true (rec_feed_hex (r, "01 03 48 65 6c"));
  g_assert_cmpuint (r->events->len, ==, 0);
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 3);
  g_assert_true (rec_feed_hex (r, "80 02 6c 6f"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_TEXT, "Hello", 5);
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);
  rec_free (r);
}

static void
test_rfc_ping_pong (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);

  g_test_summary ("RFC 6455 5.7: an unmasked ping reaches a client, a masked pong reaches a server");

  g_assert_true (rec_feed_hex (r, "89 05 48 65 6c 6c 6f"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_control (r, 0, FWS_WS_OP_PING, "Hello", 5);
  rec_free (r);

  r = rec_new (FWS_WS_ROLE_SERVER, 0);
  g_assert_true (rec_feed_hex (r, "8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_control (r, 0, FWS_WS_OP_PONG, "Hello", 5);
  rec_free (r);
}

static void
test_rfc_binary_lengths (void)
{
  guint8 *payload = g_malloc (65536);
  GByteArray *frame;
  Rec *r;
  gsize i;

  g_test_summary ("RFC 6455 5.7: 256 bytes (82 7E 01 00) and 64 KiB (82 7F 00 00 00 00 00 01 00 00) "
                  "binary messages");

  for (i = 0; i < 65536; i++)
    payload[i] = (guint8) (i * 7 + 3);

  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  frame = g_byte_array_new ();
  g_byte_array_append (frame, (const guint8 *) "\x82\x7e\x01\x00", 4);
  g_byte_array_append (frame, payload, 256);
  g_assert_true (rec_feed (r, frame->data, frame->len));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_BINARY, payload, 256);
  g_byte_array_unref (frame);

  frame = g_byte_array_new ();
  g_byte_array_append (frame, (const guint8 *) "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
  g_byte_array_append (frame, payload, 65536);
  g_assert_true (rec_feed (r, frame->data, frame->len));
  g_assert_cmpuint (r->events->len, ==, 2);
  assert_message (r, 1, FWS_WS_OP_BINARY, payload, 65536);
  g_byte_array_unref (frame);

  rec_free (r);
  g_free (payload);
}

/* ------------------------------------------------------------------------ */
/* websocket-driver's hybi_spec parser cases (BEHAVIOUR.md 6.5) */

static void
test_hybi_parse (void)
{
  GByteArray *b;
  GString *hello40;
  Rec *r;
  guint i;

  g_test_summary ("websocket-driver hybi_spec parse cases, unmasked ones in client role, "
                  "masked ones in server role");

  /* parses unmasked binary frames */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "82 05 48 65 6c 6c 6f"));
  assert_message (r, 0, FWS_WS_OP_BINARY, "Hello", 5);
  /* parses multiple frames from the same packet */
  g_assert_true (rec_feed_hex (r, "81 05 48 65 6c 6c 6f 81 05 48 65 6c 6c 6f"));
  assert_message (r, 1, FWS_WS_OP_TEXT, "Hello", 5);
  assert_message (r, 2, FWS_WS_OP_TEXT, "Hello", 5);
  /* parses empty text frames */
  g_assert_true (rec_feed_hex (r, "81 00"));
  assert_message (r, 3, FWS_WS_OP_TEXT, "", 0);
  /* parses unmasked multibyte text frames */
  g_assert_true (rec_feed_hex (r, "81 0b 41 70 70 6c 65 20 3d 20 ef a3 bf"));
  assert_message (r, 4, FWS_WS_OP_TEXT, apple, sizeof apple);
  /* parses frames received in several packets */
  g_assert_true (rec_feed_hex (r, "81 0b 41 70 70 6c"));
  g_assert_true (rec_feed_hex (r, "65 20 3d 20 ef a3 bf"));
  assert_message (r, 5, FWS_WS_OP_TEXT, apple, sizeof apple);
  /* parses fragmented multibyte text frames (a character split across fragments) */
  g_assert_true (rec_feed_hex (r, "01 0a 41 70 70 6c 65 20 3d 20 ef a3"));
  g_assert_true (rec_feed_hex (r, "80 01 bf"));
  assert_message (r, 6, FWS_WS_OP_TEXT, apple, sizeof apple);
  /* parses unmasked medium-length text frames */
  hello40 = g_string_new (NULL);
  for (i = 0; i < 40; i++)
    g_string_append (hello40, "Hello");
  b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) "\x81\x7e\x00\xc8", 4);
  g_byte_array_append (b, (const guint8 *) hello40->str, hello40->len);
  g_assert_true (rec_feed (r, b->data, b->len));
  assert_message (r, 7, FWS_WS_OP_TEXT, hello40->str, 200);
  g_byte_array_unref (b);
  /* the close frame reaches the control callback byte for byte */
  g_assert_true (rec_feed_hex (r, "88 07 03 e8 48 65 6c 6c 6f"));
  assert_control (r, 8, FWS_WS_OP_CLOSE, "\x03\xe8Hello", 7);
  /* replies to pings with a pong: the ping reaches the control callback */
  g_assert_true (rec_feed_hex (r, "89 04 4f 48 41 49"));
  assert_control (r, 9, FWS_WS_OP_PING, "OHAI", 4);
  /* parses unmasked text frames without dropping input */
  g_assert_true (rec_feed_hex (r, "81 05 48 65 6c 6c 6f 81 05"));
  g_assert_true (rec_feed_hex (r, "57 6f 72 6c 64"));
  assert_message (r, 10, FWS_WS_OP_TEXT, "Hello", 5);
  assert_message (r, 11, FWS_WS_OP_TEXT, "World", 5);
  g_assert_cmpuint (r->events->len, ==, 12);
  rec_free (r);

  /* Masked cases, server role. */
  r = rec_new (FWS_WS_ROLE_SERVER, 0);
  /* parses masked empty text frames */
  g_assert_true (rec_feed_hex (r, "81 80 01 02 03 04"));
  assert_message (r, 0, FWS_WS_OP_TEXT, "", 0);
  /* parses masked fragmented text frames: 01 81 mask M(48) + 80 84 mask M(65 6c 6c 6f) */
  b = g_byte_array_new ();
  append_frame (b, FALSE, 0, FWS_WS_OP_TEXT, "H", 1, test_key);
  g_assert_true (rec_feed (r, b->data, b->len));
  g_byte_array_set_size (b, 0);
  append_frame (b, TRUE, 0, FWS_WS_OP_CONTINUATION, "ello", 4, (const guint8 *) "\xde\xad\xbe\xef");
  fws_test_assert_hex (b->data, 6, "80 84 de ad be ef");
  g_assert_true (rec_feed (r, b->data, b->len));
  assert_message (r, 1, FWS_WS_OP_TEXT, "Hello", 5);
  /* parses masked multibyte text frames */
  g_byte_array_set_size (b, 0);
  append_frame (b, TRUE, 0, FWS_WS_OP_TEXT, apple, sizeof apple, test_key);
  fws_test_assert_hex (b->data, 6, "81 8b 37 fa 21 3d");
  g_assert_true (rec_feed (r, b->data, b->len));
  assert_message (r, 2, FWS_WS_OP_TEXT, apple, sizeof apple);
  /* parses masked fragmented multibyte text frames */
  g_byte_array_set_size (b, 0);
  append_frame (b, FALSE, 0, FWS_WS_OP_TEXT, apple, 10, test_key);
  append_frame (b, TRUE, 0, FWS_WS_OP_CONTINUATION, apple + 10, 1, test_key);
  fws_test_assert_hex (b->data, 6, "01 8a 37 fa 21 3d");
  g_assert_true (rec_feed (r, b->data, b->len));
  assert_message (r, 3, FWS_WS_OP_TEXT, apple, sizeof apple);
  /* parses masked medium-length text frames */
  g_byte_array_set_size (b, 0);
  append_frame (b, TRUE, 0, FWS_WS_OP_TEXT, hello40->str, hello40->len, test_key);
  fws_test_assert_hex (b->data, 8, "81 fe 00 c8 37 fa 21 3d");
  g_assert_true (rec_feed (r, b->data, b->len));
  assert_message (r, 4, FWS_WS_OP_TEXT, hello40->str, 200);
  g_assert_cmpuint (r->events->len, ==, 5);
  g_byte_array_unref (b);
  rec_free (r);

  /* returns an error for too-large frames (2^30 > the default 2^26 - 1) */
  r = rec_new (FWS_WS_ROLE_CLIENT, (G_GUINT64_CONSTANT (1) << 26) - 1);
  g_assert_false (rec_feed_hex (r, "81 7f 00 00 00 00 40 00 00 00"));
  assert_failed (r, 1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large");
  rec_free (r);

  /* closes the socket if the frame has an unrecognized opcode */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_false (rec_feed_hex (r, "83 00"));
  assert_failed (r, 1002, FWS_ERROR_PROTOCOL, "Unrecognized frame opcode: 3");
  g_assert_cmpuint (r->events->len, ==, 0);
  rec_free (r);

  /* masking required: does not emit a message, returns an error (1002, Decision 3) */
  r = rec_new (FWS_WS_ROLE_SERVER, 0);
  g_assert_false (rec_feed_hex (r, "81 05 48 65 6c 6c 6f"));
  assert_failed (r, 1002, FWS_ERROR_PROTOCOL, "Received unmasked frame but masking is required");
  g_assert_cmpuint (r->events->len, ==, 0);
  rec_free (r);

  g_string_free (hello40, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Every error path */

typedef struct
{
  const char *name;
  FwsWsRole   role;
  guint64     max_length;
  guint       allowed_rsv;
  const char *hex;          /* fed as one chunk */
  gsize       fail_at;      /* fed byte by byte: index of the failing byte */
  guint16     close_code;
  FwsError    code;
  const char *message;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "RSV1 without extension", FWS_WS_ROLE_CLIENT, 0, 0, "c1 00", 0,
    1002, FWS_ERROR_PROTOCOL, "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0" },
  { "RSV2 and RSV3", FWS_WS_ROLE_CLIENT, 0, 0, "b2 00", 0,
    1002, FWS_ERROR_PROTOCOL, "One or more reserved bits are on: reserved1 = 0, reserved2 = 1, reserved3 = 1" },
  { "RSV2 when only RSV1 is allowed", FWS_WS_ROLE_CLIENT, 0, FWS_WS_RSV1, "a1 00", 0,
    1002, FWS_ERROR_PROTOCOL, "One or more reserved bits are on: reserved1 = 0, reserved2 = 1, reserved3 = 0" },
  { "RSV1 on a continuation frame", FWS_WS_ROLE_CLIENT, 0, FWS_WS_RSV1, "41 01 61 c0 01 62", 3,
    1002, FWS_ERROR_PROTOCOL, "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0" },
  { "RSV1 on a ping", FWS_WS_ROLE_CLIENT, 0, FWS_WS_RSV1, "c9 00", 0,
    1002, FWS_ERROR_PROTOCOL, "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0" },
  { "RSV bits are checked before the opcode", FWS_WS_ROLE_CLIENT, 0, 0, "93 00", 0,
    1002, FWS_ERROR_PROTOCOL, "One or more reserved bits are on: reserved1 = 0, reserved2 = 0, reserved3 = 1" },
  { "opcode 3", FWS_WS_ROLE_CLIENT, 0, 0, "83 00", 0,
    1002, FWS_ERROR_PROTOCOL, "Unrecognized frame opcode: 3" },
  { "opcode 7", FWS_WS_ROLE_CLIENT, 0, 0, "87 00", 0,
    1002, FWS_ERROR_PROTOCOL, "Unrecognized frame opcode: 7" },
  { "opcode 11", FWS_WS_ROLE_SERVER, 0, 0, "8b 80 00 00 00 00", 0,
    1002, FWS_ERROR_PROTOCOL, "Unrecognized frame opcode: 11" },
  { "opcode 15 after a valid frame", FWS_WS_ROLE_CLIENT, 0, 0, "81 01 61 0f 00", 3,
    1002, FWS_ERROR_PROTOCOL, "Unrecognized frame opcode: 15" },
  { "fragmented ping", FWS_WS_ROLE_CLIENT, 0, 0, "09 00", 0,
    1002, FWS_ERROR_PROTOCOL, "Received fragmented control frame: opcode = 9" },
  { "fragmented close", FWS_WS_ROLE_CLIENT, 0, 0, "08 00", 0,
    1002, FWS_ERROR_PROTOCOL, "Received fragmented control frame: opcode = 8" },
  { "text inside a fragmented message", FWS_WS_ROLE_CLIENT, 0, 0, "01 01 61 81 01 62", 3,
    1002, FWS_ERROR_PROTOCOL, "Received new data frame but previous continuous frame is unfinished" },
  { "binary inside a fragmented message", FWS_WS_ROLE_CLIENT, 0, 0, "02 01 61 89 00 02 01 62", 5,
    1002, FWS_ERROR_PROTOCOL, "Received new data frame but previous continuous frame is unfinished" },
  { "continuation without a message", FWS_WS_ROLE_CLIENT, 0, 0, "80 05 48 65 6c 6c 6f", 0,
    1002, FWS_ERROR_PROTOCOL, "Received unexpected continuation frame" },
  { "continuation after a complete message", FWS_WS_ROLE_CLIENT, 0, 0, "01 01 61 80 01 62 00 00", 6,
    1002, FWS_ERROR_PROTOCOL, "Received unexpected continuation frame" },
  { "ping of 126 bytes (16-bit length)", FWS_WS_ROLE_CLIENT, 0, 0, "89 7e 00 7e", 3,
    1002, FWS_ERROR_PROTOCOL, "Received control frame having too long payload: 126" },
  { "close of 65536 bytes (64-bit length)", FWS_WS_ROLE_CLIENT, 0, 0, "88 7f 00 00 00 00 00 01 00 00", 9,
    1002, FWS_ERROR_PROTOCOL, "Received control frame having too long payload: 65536" },
  { "masked pong of 200 bytes, before the mask key", FWS_WS_ROLE_SERVER, 0, 0, "8a fe 00 c8", 3,
    1002, FWS_ERROR_PROTOCOL, "Received control frame having too long payload: 200" },
  { "unmasked frame to a server", FWS_WS_ROLE_SERVER, 0, 0, "81 05 48 65 6c 6c 6f", 1,
    1002, FWS_ERROR_PROTOCOL, "Received unmasked frame but masking is required" },
  { "unmasked ping to a server", FWS_WS_ROLE_SERVER, 0, 0, "89 00", 1,
    1002, FWS_ERROR_PROTOCOL, "Received unmasked frame but masking is required" },
  { "masked frame to a client", FWS_WS_ROLE_CLIENT, 0, 0, "81 85 37 fa 21 3d 7f 9f 4d 51 58", 1,
    1002, FWS_ERROR_PROTOCOL, "Received masked frame but masking is not allowed" },
  { "mask is checked before the size", FWS_WS_ROLE_CLIENT, 4, 0, "82 85 00 00 00 00", 1,
    1002, FWS_ERROR_PROTOCOL, "Received masked frame but masking is not allowed" },
  { "64-bit length with the top bit set", FWS_WS_ROLE_CLIENT, 0, 0, "82 7f 80 00 00 00 00 00 00 00", 9,
    1002, FWS_ERROR_PROTOCOL, "Received frame with an invalid payload length" },
  { "64-bit length all ones", FWS_WS_ROLE_SERVER, 0, 0, "82 ff ff ff ff ff ff ff ff ff", 9,
    1002, FWS_ERROR_PROTOCOL, "Received frame with an invalid payload length" },
  { "7-bit length over max-length", FWS_WS_ROLE_CLIENT, 4, 0, "82 05 01 02 03 04 05", 1,
    1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large" },
  { "16-bit length over max-length, before the mask key", FWS_WS_ROLE_SERVER, 999, 0,
    "82 fe 03 e8 00 00 00 00", 3,
    1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large" },
  { "2^62 bytes claimed with max-length 2^26 - 1", FWS_WS_ROLE_CLIENT, (1 << 26) - 1, 0,
    "82 7f 40 00 00 00 00 00 00 00", 9,
    1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large" },
  { "2^26 bytes claimed with max-length 2^26 - 1", FWS_WS_ROLE_SERVER, (1 << 26) - 1, 0,
    "82 ff 00 00 00 00 04 00 00 00 00 00 00 00", 9,
    1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large" },
  { "fragments over max-length", FWS_WS_ROLE_CLIENT, 5, 0, "01 03 61 62 63 00 02 64 65 80 01 66", 10,
    1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large" },
  { "invalid UTF-8 in a text frame", FWS_WS_ROLE_CLIENT, 0, 0, "81 03 61 c0 80", 3,
    1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8" },
  { "surrogate in a masked text frame", FWS_WS_ROLE_SERVER, 0, 0, "81 83 00 00 00 00 ed a0 80", 7,
    1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8" },
  { "text ending inside a character", FWS_WS_ROLE_CLIENT, 0, 0, "81 02 61 c3", 3,
    1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8" },
  { "fragmented text ending inside a character", FWS_WS_ROLE_CLIENT, 0, 0, "01 01 e2 00 01 82 80 00", 7,
    1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8" },
  { "invalid UTF-8 in a later fragment, before FIN", FWS_WS_ROLE_CLIENT, 0, 0,
    "01 03 61 62 63 00 04 64 f4 90 65 80 01 66", 9,
    1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8" },
};

static void
test_errors (void)
{
  gsize i;

  g_test_summary ("Every protocol violation fails with its close code, error code and message, "
                  "at the byte that reveals it, and the codec ignores input afterwards");

  for (i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      const ErrorCase *c = &error_cases[i];
      GBytes *bytes = fws_test_hex (c->hex);
      gsize len, j;
      const guint8 *data = g_bytes_get_data (bytes, &len);
      Rec *r;

      g_test_message ("%s", c->name);

      /* In one feed. */
      r = rec_new (c->role, c->max_length);
      fws_ws_codec_set_allowed_rsv (r->codec, c->allowed_rsv);
      g_assert_false (rec_feed (r, data, len));
      assert_failed (r, c->close_code, c->code, c->message);
      rec_free (r);

      /* Byte by byte: the byte at fail_at is the one that fails. */
      r = rec_new (c->role, c->max_length);
      fws_ws_codec_set_allowed_rsv (r->codec, c->allowed_rsv);
      for (j = 0; j < len; j++)
        {
          gboolean ok = rec_feed (r, data + j, 1);

          if (j < c->fail_at)
            g_assert_true (ok);
          else if (j == c->fail_at)
            g_assert_false (ok);
          else
            g_assert_true (ok);   /* ignored */
        }
      g_assert_cmpuint (r->n_failed_feeds, ==, 1);
      assert_failed (r, c->close_code, c->code, c->message);
      rec_free (r);

      g_bytes_unref (bytes);
    }
}

static void
test_error_discards_message (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);

  g_test_summary ("A NULL close_code is allowed, and an error drops the partial message");

  g_assert_true (rec_feed_hex (r, "02 03 61 62 63"));
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 3);
  {
    GError *error = NULL;

    g_assert_false (fws_ws_codec_feed (r->codec, (const guint8 *) "\x83\x00", 2, NULL, &error));
    g_assert_error (error, FWS_ERROR, FWS_ERROR_PROTOCOL);
    g_error_free (error);
  }
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);
  g_assert_true (fws_ws_codec_feed (r->codec, (const guint8 *) "\x80\x00", 2, NULL, NULL));
  g_assert_cmpuint (r->events->len, ==, 0);
  rec_free (r);
}

/* ------------------------------------------------------------------------ */
/* Splits, lengths, limits */

/* A stream with most kinds of frames, and the events it must produce. */
static GByteArray *
build_mixed_stream (gboolean  masked,
                    Rec      *expected)
{
  GByteArray *s = g_byte_array_new ();
  const guint8 *key = masked ? test_key : NULL;
  guint8 big[300];
  GString *text = g_string_new (NULL);
  Event ev;
  gsize i;

  for (i = 0; i < sizeof big; i++)
    big[i] = (guint8) (i * 13);
  for (i = 0; i < 30; i++)
    g_string_append (text, "a\xe2\x82\xac\xf0\x9f\x98\x80");   /* 8 bytes each, 240 total */

  /* A single text frame. */
  append_frame (s, TRUE, 0, FWS_WS_OP_TEXT, "Hello", 5, key);
  ev = (Event) { EV_MESSAGE, FWS_WS_OP_TEXT, 0, g_bytes_new ("Hello", 5) };
  g_array_append_val (expected->events, ev);

  /* A fragmented binary message with control frames in between. */
  append_frame (s, FALSE, 0, FWS_WS_OP_BINARY, big, 3, key);
  append_frame (s, TRUE, 0, FWS_WS_OP_PING, "hi", 2, key);
  ev = (Event) { EV_CONTROL, FWS_WS_OP_PING, 0, g_bytes_new ("hi", 2) };
  g_array_append_val (expected->events, ev);
  append_frame (s, FALSE, 0, FWS_WS_OP_CONTINUATION, NULL, 0, key);
  append_frame (s, TRUE, 0, FWS_WS_OP_PONG, NULL, 0, key);
  ev = (Event) { EV_CONTROL, FWS_WS_OP_PONG, 0, g_bytes_new (NULL, 0) };
  g_array_append_val (expected->events, ev);
  append_frame (s, TRUE, 0, FWS_WS_OP_CONTINUATION, big + 3, sizeof big - 3, key);
  ev = (Event) { EV_MESSAGE, FWS_WS_OP_BINARY, 0, g_bytes_new (big, sizeof big) };
  g_array_append_val (expected->events, ev);

  /* Text in fragments that cut characters, one with a 16-bit length. */
  append_frame (s, FALSE, 0, FWS_WS_OP_TEXT, text->str, 2, key);
  append_frame (s, FALSE, 0, FWS_WS_OP_CONTINUATION, text->str + 2, 5, key);
  append_frame (s, TRUE, 0, FWS_WS_OP_CONTINUATION, text->str + 7, text->len - 7, key);
  ev = (Event) { EV_MESSAGE, FWS_WS_OP_TEXT, 0, g_bytes_new (text->str, text->len) };
  g_array_append_val (expected->events, ev);

  /* Empty messages, U+0000, a 125-byte ping, a close. */
  append_frame (s, TRUE, 0, FWS_WS_OP_TEXT, NULL, 0, key);
  ev = (Event) { EV_MESSAGE, FWS_WS_OP_TEXT, 0, g_bytes_new (NULL, 0) };
  g_array_append_val (expected->events, ev);
  append_frame (s, TRUE, 0, FWS_WS_OP_TEXT, "a\0b", 3, key);
  ev = (Event) { EV_MESSAGE, FWS_WS_OP_TEXT, 0, g_bytes_new ("a\0b", 3) };
  g_array_append_val (expected->events, ev);
  append_frame (s, TRUE, 0, FWS_WS_OP_BINARY, NULL, 0, key);
  ev = (Event) { EV_MESSAGE, FWS_WS_OP_BINARY, 0, g_bytes_new (NULL, 0) };
  g_array_append_val (expected->events, ev);
  append_frame (s, TRUE, 0, FWS_WS_OP_PING, big, 125, key);
  ev = (Event) { EV_CONTROL, FWS_WS_OP_PING, 0, g_bytes_new (big, 125) };
  g_array_append_val (expected->events, ev);
  append_frame (s, TRUE, 0, FWS_WS_OP_CLOSE, "\x03\xe8" "bye", 5, key);
  ev = (Event) { EV_CONTROL, FWS_WS_OP_CLOSE, 0, g_bytes_new ("\x03\xe8" "bye", 5) };
  g_array_append_val (expected->events, ev);

  g_string_free (text, TRUE);
  return s;
}

static void
assert_same_events (Rec *got,
                    Rec *want)
{
  guint i;

  g_assert_cmpuint (got->events->len, ==, want->events->len);
  for (i = 0; i < want->events->len; i++)
    {
      Event *w = &g_array_index (want->events, Event, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (w->payload, &size);

      assert_event (got, i, w->kind, w->opcode, w->rsv, data, size);
    }
}

static void
test_split_everywhere (void)
{
  gsize m;

  g_test_summary ("A stream of many frame kinds gives the same events whether fed whole, "
                  "split in two at every byte position, or byte by byte");

  for (m = 0; m < 2; m++)
    {
      gboolean masked = m == 1;
      FwsWsRole role = masked ? FWS_WS_ROLE_SERVER : FWS_WS_ROLE_CLIENT;
      Rec *want = rec_new (role, 0);
      GByteArray *s = build_mixed_stream (masked, want);
      Rec *r;
      gsize i;

      r = rec_new (role, 0);
      g_assert_true (rec_feed (r, s->data, s->len));
      assert_same_events (r, want);
      rec_free (r);

      for (i = 0; i <= s->len; i++)
        {
          r = rec_new (role, 0);
          g_assert_true (rec_feed (r, s->data, i));
          g_assert_true (rec_feed (r, s->data + i, s->len - i));
          assert_same_events (r, want);
          g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);
          rec_free (r);
        }

      r = rec_new (role, 0);
      for (i = 0; i < s->len; i++)
        g_assert_true (rec_feed (r, s->data + i, 1));
      assert_same_events (r, want);
      rec_free (r);

      g_byte_array_unref (s);
      rec_free (want);
    }
}

static void
test_lengths (void)
{
  static const gsize lengths[] = { 0, 1, 125, 126, 65535, 65536, 16 * 1024 * 1024 };
  static const gsize header_lengths[] = { 2, 2, 2, 4, 4, 10, 10 };
  guint8 *payload = g_malloc (16 * 1024 * 1024);
  gsize i, k;

  g_test_summary ("Messages of 0, 1, 125, 126, 65535, 65536 bytes and 16 MiB, text and binary, "
                  "masked and not, arrive intact with the shortest header");

  for (i = 0; i < 16 * 1024 * 1024; i++)
    payload[i] = (guint8) (0x20 + (i * 31) % 0x5f);   /* printable ASCII */

  for (i = 0; i < G_N_ELEMENTS (lengths); i++)
    for (k = 0; k < 4; k++)
      {
        gboolean masked = (k & 1) != 0;
        guint opcode = (k & 2) ? FWS_WS_OP_BINARY : FWS_WS_OP_TEXT;
        Rec *r = rec_new (masked ? FWS_WS_ROLE_SERVER : FWS_WS_ROLE_CLIENT, 0);
        GByteArray *s = g_byte_array_new ();
        gsize off;

        append_frame (s, TRUE, 0, opcode, payload, lengths[i], masked ? test_key : NULL);
        g_assert_cmpuint (s->len, ==, header_lengths[i] + (masked ? 4 : 0) + lengths[i]);

        /* In 64 KiB - 3 chunks, so frames and chunks do not line up. */
        for (off = 0; off < s->len; off += 65533)
          g_assert_true (rec_feed (r, s->data + off, MIN (65533, s->len - off)));
        g_assert_cmpuint (r->events->len, ==, 1);
        assert_message (r, 0, opcode, payload, lengths[i]);
        g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);

        g_byte_array_unref (s);
        rec_free (r);
      }

  g_free (payload);
}

static void
test_max_length (void)
{
  guint8 payload[1000];
  GByteArray *s;
  Rec *r;

  g_test_summary ("max-length: exactly the limit passes, one more byte fails with 1009 from "
                  "the header; fragments are summed; interleaved control frames do not count");

  memset (payload, 'x', sizeof payload);

  /* Exactly the limit, one frame. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 1000);
  s = g_byte_array_new ();
  append_frame (s, TRUE, 0, FWS_WS_OP_BINARY, payload, 1000, NULL);
  g_assert_true (rec_feed (r, s->data, s->len));
  assert_message (r, 0, FWS_WS_OP_BINARY, payload, 1000);
  rec_free (r);

  /* One more: the 4-byte header alone fails. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 999);
  g_assert_false (rec_feed (r, s->data, 4));
  assert_failed (r, 1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large");
  rec_free (r);
  g_byte_array_unref (s);

  /* Fragments summed: 600 + 400 passes, with a 125-byte ping and a close in between. */
  r = rec_new (FWS_WS_ROLE_SERVER, 1000);
  s = g_byte_array_new ();
  append_frame (s, FALSE, 0, FWS_WS_OP_TEXT, payload, 600, test_key);
  append_frame (s, TRUE, 0, FWS_WS_OP_PING, payload, 125, test_key);
  append_frame (s, TRUE, 0, FWS_WS_OP_CLOSE, "\x03\xe8", 2, test_key);
  append_frame (s, TRUE, 0, FWS_WS_OP_CONTINUATION, payload, 400, test_key);
  g_assert_true (rec_feed (r, s->data, s->len));
  g_assert_cmpuint (r->events->len, ==, 3);
  assert_control (r, 0, FWS_WS_OP_PING, payload, 125);
  assert_control (r, 1, FWS_WS_OP_CLOSE, "\x03\xe8", 2);
  assert_message (r, 2, FWS_WS_OP_TEXT, payload, 1000);
  rec_free (r);
  g_byte_array_unref (s);

  /* 600 + 401 fails at the second header, after the first was buffered. */
  r = rec_new (FWS_WS_ROLE_SERVER, 1000);
  s = g_byte_array_new ();
  append_frame (s, FALSE, 0, FWS_WS_OP_TEXT, payload, 600, test_key);
  g_assert_true (rec_feed (r, s->data, s->len));
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 600);
  g_byte_array_set_size (s, 0);
  append_frame (s, TRUE, 0, FWS_WS_OP_PING, payload, 125, test_key);
  g_assert_true (rec_feed (r, s->data, s->len));
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 600);
  g_byte_array_set_size (s, 0);
  append_frame (s, TRUE, 0, FWS_WS_OP_CONTINUATION, payload, 401, test_key);
  g_assert_false (rec_feed (r, s->data, 4));   /* header without mask key */
  assert_failed (r, 1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large");
  g_assert_cmpuint (r->events->len, ==, 1);
  rec_free (r);
  g_byte_array_unref (s);

  /* The limit can change; 0 lifts it. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 10);
  fws_ws_codec_set_max_length (r->codec, 0);
  s = g_byte_array_new ();
  append_frame (s, TRUE, 0, FWS_WS_OP_BINARY, payload, 1000, NULL);
  g_assert_true (rec_feed (r, s->data, s->len));
  assert_message (r, 0, FWS_WS_OP_BINARY, payload, 1000);
  fws_ws_codec_set_max_length (r->codec, 999);
  g_assert_false (rec_feed (r, s->data, s->len));
  assert_failed (r, 1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large");
  rec_free (r);
  g_byte_array_unref (s);

  /* Lowered below what an open message holds already. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 1000);
  g_assert_true (rec_feed_hex (r, "02 03 61 62 63"));
  fws_ws_codec_set_max_length (r->codec, 2);
  g_assert_false (rec_feed_hex (r, "80 00"));
  assert_failed (r, 1009, FWS_ERROR_TOO_LARGE, "WebSocket frame length too large");
  rec_free (r);
}

static void
test_huge_frames (void)
{
  const gsize big = 40 * 1024 * 1024 + 3;
  guint8 *payload, *chunk;
  guint8 header[FWS_WS_MAX_HEADER];
  gsize hlen, off;
  Rec *r;

  g_test_summary ("With no limit, a header claiming 2^62 bytes allocates nothing up front "
                  "(no abort); a 40 MiB frame, larger than what a header alone reserves, "
                  "arrives intact");

  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "82 7f 40 00 00 00 00 00 00 00"));
  g_assert_true (rec_feed_hex (r, "01 02 03"));
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 3);
  rec_free (r);

  payload = g_malloc (big);
  for (off = 0; off < big; off++)
    payload[off] = (guint8) (off * 5 + (off >> 20));
  chunk = g_malloc (65536);

  r = rec_new (FWS_WS_ROLE_SERVER, big);
  hlen = fws_ws_frame_header (header, TRUE, 0, FWS_WS_OP_BINARY, big, test_key);
  g_assert_cmpuint (hlen, ==, 14);
  g_assert_true (rec_feed (r, header, hlen));
  for (off = 0; off < big; off += 65536)
    {
      gsize n = MIN (65536, big - off);

      memcpy (chunk, payload + off, n);
      naive_mask (chunk, n, test_key, off);
      g_assert_true (rec_feed (r, chunk, n));
      if (off + n < big)
        g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, off + n);
    }
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_BINARY, payload, big);
  rec_free (r);

  g_free (chunk);
  g_free (payload);
}

static void
test_utf8 (void)
{
  GByteArray *s;
  Rec *r;

  g_test_summary ("Text is validated as it arrives: U+0000 is valid, a bad byte fails the feed "
                  "that carries it (mid-frame, before FIN), RSV text is left to the caller");

  /* U+0000 */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "81 03 61 00 62"));
  assert_message (r, 0, FWS_WS_OP_TEXT, "a\0b", 3);
  /* Binary is not validated. */
  g_assert_true (rec_feed_hex (r, "82 02 c0 80"));
  assert_message (r, 1, FWS_WS_OP_BINARY, "\xc0\x80", 2);
  rec_free (r);

  /* Mid-frame: a frame claiming 10 bytes fails on the third. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "81 0a 61 62"));
  g_assert_false (rec_feed_hex (r, "ff"));
  assert_failed (r, 1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8");
  rec_free (r);

  /* Masked, in the second fragment, before FIN: ED A0 fails at A0. */
  r = rec_new (FWS_WS_ROLE_SERVER, 0);
  s = g_byte_array_new ();
  append_frame (s, FALSE, 0, FWS_WS_OP_TEXT, "abc", 3, test_key);
  g_assert_true (rec_feed (r, s->data, s->len));
  g_byte_array_set_size (s, 0);
  append_frame (s, FALSE, 0, FWS_WS_OP_CONTINUATION, "d\xed\xa0\x80" "e", 5, test_key);
  g_assert_true (rec_feed (r, s->data, 6 + 2));           /* header + "d\xed" */
  g_assert_false (rec_feed (r, s->data + 8, 1));          /* \xa0 */
  assert_failed (r, 1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8");
  g_assert_cmpuint (r->events->len, ==, 0);
  rec_free (r);
  g_byte_array_unref (s);

  /* A character split across fragments with a ping in between. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "01 02 61 f0 89 00 00 01 9f 80 02 98 80"));
  assert_control (r, 0, FWS_WS_OP_PING, "", 0);
  assert_message (r, 1, FWS_WS_OP_TEXT, "a\xf0\x9f\x98\x80", 5);
  rec_free (r);

  /* With an extension's RSV1 the text is the caller's to validate. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  fws_ws_codec_set_allowed_rsv (r->codec, FWS_WS_RSV1);
  g_assert_true (rec_feed_hex (r, "c1 07 f2 48 cd c9 c9 07 00"));
  assert_event (r, 0, EV_MESSAGE, FWS_WS_OP_TEXT, FWS_WS_RSV1, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  g_assert_true (rec_feed_hex (r, "41 01 f2 80 01 ff"));
  assert_event (r, 1, EV_MESSAGE, FWS_WS_OP_TEXT, FWS_WS_RSV1, "\xf2\xff", 2);
  /* Plain text on the same codec is still validated. */
  g_assert_false (rec_feed_hex (r, "81 01 ff"));
  assert_failed (r, 1007, FWS_ERROR_INVALID_UTF8, "Could not decode a text frame as UTF-8");
  rec_free (r);
}

/* Feeds @n_frames empty continuation frames (masked ones in the server
 * role) in chunks, checking after each chunk that nothing is held for them. */
static void
feed_empty_continuations (Rec     *r,
                          gboolean masked,
                          guint64  n_frames)
{
  const gsize frame_size = masked ? 6 : 2;
  const gsize per_chunk = 16384;
  guint8 *chunk = g_malloc0 (per_chunk * frame_size);
  guint64 before = fws_ws_codec_get_fragments (r->codec);
  gsize buffered = fws_ws_codec_get_buffered (r->codec);
  gsize allocated = fws_ws_codec_get_allocated (r->codec);
  guint64 sent;

  for (gsize i = 0; i < per_chunk; i++)
    {
      chunk[i * frame_size] = 0x00;                        /* FIN 0, continuation */
      chunk[i * frame_size + 1] = masked ? 0x80 : 0x00;    /* length 0 */
      if (masked)
        memcpy (chunk + i * frame_size + 2, "\x12\x34\x56\x78", 4);
    }

  for (sent = 0; sent < n_frames; )
    {
      gsize n = (gsize) MIN (per_chunk, n_frames - sent);

      g_assert_true (rec_feed (r, chunk, n * frame_size));
      sent += n;
      /* Constant memory: no byte held or allocated for empty frames. */
      g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, buffered);
      g_assert_cmpuint (fws_ws_codec_get_allocated (r->codec), ==, allocated);
      g_assert_cmpuint (fws_ws_codec_get_fragments (r->codec), ==, before + sent);
    }
  g_free (chunk);
}

static void
test_many_empty_continuations (void)
{
  /* Ten million unmasked (2 bytes each) and two million masked (6 bytes
   * each) empty frames take about a second; under valgrind, a tenth. */
  guint64 n_unmasked = g_getenv ("FWS_UNDER_VALGRIND") ? 1000000 : 10000000;
  guint64 n_masked = n_unmasked / 5;
  Rec *r;

  g_test_summary ("Ten million empty continuation frames in an open text message are accepted "
                  "(no fragment limit by default), hold and allocate nothing, and the message "
                  "then ends normally");

  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "01 01 61"));
  feed_empty_continuations (r, FALSE, n_unmasked);
  g_assert_cmpuint (r->events->len, ==, 0);
  /* A ping in the middle is answered and is no fragment. */
  g_assert_true (rec_feed_hex (r, "89 00"));
  g_assert_cmpuint (fws_ws_codec_get_fragments (r->codec), ==, n_unmasked + 1);
  g_assert_true (rec_feed_hex (r, "80 01 62"));
  g_assert_cmpuint (r->events->len, ==, 2);
  assert_message (r, 1, FWS_WS_OP_TEXT, "ab", 2);
  g_assert_cmpuint (fws_ws_codec_get_fragments (r->codec), ==, 0);
  g_assert_cmpuint (r->n_failed_feeds, ==, 0);
  rec_free (r);

  /* What a client sends: masked. */
  r = rec_new (FWS_WS_ROLE_SERVER, 0);
  g_assert_true (rec_feed_hex (r, "02 80 00 00 00 00"));
  feed_empty_continuations (r, TRUE, n_masked);
  g_assert_true (rec_feed_hex (r, "80 80 00 00 00 00"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_BINARY, "", 0);
  rec_free (r);
}

/* The Autobahn TestSuite's 9.3.1 (text) and 9.4.1 (binary): 4 MiB in
 * 64-byte fragments. Its sender loops while the end is not passed, so a
 * payload that is a multiple of 64 ends with an empty final frame: 65,536
 * frames of 64 bytes, then one of 0, 65,537 in all. */
static void
test_autobahn_9_x_1 (gconstpointer data)
{
  const guint opcode = GPOINTER_TO_UINT (data);
  const gsize total = 4 * 1024 * 1024, frag = 64;
  const guint8 key[4] = { 0xa1, 0x5b, 0x07, 0x3c };
  const gsize frame_size = 2 + 4 + frag;
  const gsize per_chunk = 1024;   /* frames fed at once */
  guint8 payload[64];
  guint8 *chunk = g_malloc (per_chunk * frame_size);
  Rec *r = rec_new (FWS_WS_ROLE_SERVER, 67108863);   /* FwsWebSocket's default max-length */
  gsize frames = 0;
  gsize size;
  const guint8 *got;

  g_test_summary ("A 4 MiB message in 65,536 masked 64-byte fragments and an empty final one "
                  "is delivered whole; memory grows with its bytes, not with its frames");

  memset (payload, '*', sizeof payload);
  while (frames < total / frag)
    {
      gsize n = MIN (per_chunk, total / frag - frames);

      for (gsize i = 0; i < n; i++)
        {
          guint8 *f = chunk + i * frame_size;

          f[0] = frames + i == 0 ? opcode : FWS_WS_OP_CONTINUATION;   /* FIN 0 */
          f[1] = 0x80 | (guint8) frag;
          memcpy (f + 2, key, 4);
          fws_ws_mask_copy (f + 6, payload, frag, key, 0);
        }
      g_assert_true (rec_feed (r, chunk, n * frame_size));
      frames += n;
      g_assert_cmpuint (fws_ws_codec_get_fragments (r->codec), ==, frames);
      g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, frames * frag);
      /* Geometric growth of one buffer; nothing per frame. */
      g_assert_cmpuint (fws_ws_codec_get_allocated (r->codec), <=, 2 * frames * frag + 2 * frag);
    }
  g_assert_cmpuint (r->events->len, ==, 0);
  g_assert_true (rec_feed_hex (r, "80 80 01 02 03 04"));
  g_assert_cmpuint (r->n_failed_feeds, ==, 0);
  g_assert_cmpuint (r->events->len, ==, 1);
  g_assert_cmpuint (g_array_index (r->events, Event, 0).opcode, ==, opcode);
  got = g_bytes_get_data (g_array_index (r->events, Event, 0).payload, &size);
  g_assert_cmpuint (size, ==, total);
  for (gsize i = 0; i < size; i++)
    if (got[i] != '*')
      g_error ("byte %" G_GSIZE_FORMAT " is 0x%02x", i, got[i]);
  g_assert_cmpuint (fws_ws_codec_get_allocated (r->codec), ==, 0);

  rec_free (r);
  g_free (chunk);
}

static void
test_fragment_limit (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);

  g_test_summary ("A message of exactly max-fragments frames is delivered; the limit counts per message");
  fws_ws_codec_set_max_fragments (r->codec, 3);
  g_assert_true (rec_feed_hex (r, "01 01 61 00 01 62 80 01 63"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_TEXT, "abc", 3);
  /* A new message starts counting again; a ping in between is not a fragment. */
  g_assert_true (rec_feed_hex (r, "01 01 61 89 00 00 01 62 80 01 63"));
  g_assert_cmpuint (r->events->len, ==, 3);
  g_assert_false (rec_feed_hex (r, "01 01 61 00 01 62 00 01 63 80 01 64"));
  assert_failed (r, 1009, FWS_ERROR_TOO_LARGE, "Message in more than 3 fragments");
  rec_free (r);

  /* 0 lifts the limit again. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  fws_ws_codec_set_max_fragments (r->codec, 3);
  fws_ws_codec_set_max_fragments (r->codec, 0);
  g_assert_true (rec_feed_hex (r, "01 01 61 00 01 62 00 01 63 80 01 64"));
  assert_message (r, 0, FWS_WS_OP_TEXT, "abcd", 4);
  rec_free (r);
}

/* fws_ws_codec_feed_some with a pause in every callback: each call takes
 * the input up to the end of the next frame that made an event. */
typedef struct
{
  const char *name;
  const char *hex;          /* client role: unmasked frames */
  gsize       consumed[6];  /* per call, until the input is used up */
  guint       events[6];    /* events after each call */
} PauseCase;

static const PauseCase pause_cases[] = {
  { "three texts", "81 01 61 81 02 62 63 81 00", { 3, 4, 2 }, { 1, 2, 3 } },
  { "ping inside a fragmented message", "01 01 61 89 00 80 01 62 81 00",
    { 5, 3, 2 }, { 1, 2, 3 } },
  { "an incomplete frame: all taken", "82 03 01 02", { 4 }, { 0 } },
  { "no event: all taken", "01 01 61", { 3 }, { 0 } },
};

static void
test_pause (void)
{
  g_test_summary ("fws_ws_codec_feed_some: a pause from a callback stops right after it and "
                  "reports the bytes taken; the rest, fed again, goes on from there");

  for (gsize i = 0; i < G_N_ELEMENTS (pause_cases); i++)
    {
      const PauseCase *c = &pause_cases[i];
      g_autoptr(GBytes) input = fws_test_hex (c->hex);
      gsize len;
      const guint8 *p = g_bytes_get_data (input, &len);
      Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);
      guint call = 0;

      g_test_message ("%s", c->name);
      r->pause_in_callbacks = TRUE;
      while (len > 0)
        {
          gsize used = 0;
          g_autoptr(GError) error = NULL;

          g_assert_cmpuint (call, <, G_N_ELEMENTS (c->consumed));
          g_assert_true (fws_ws_codec_feed_some (r->codec, p, len, &used, NULL, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (used, ==, c->consumed[call]);
          g_assert_cmpuint (r->events->len, ==, c->events[call]);
          p += used;
          len -= used;
          call++;
        }
      g_assert_cmpuint (call, <, G_N_ELEMENTS (c->consumed));
      g_assert_cmpuint (c->consumed[call], ==, 0);
      rec_free (r);
    }

  /* "82 03 01 02" leaves a frame part way: the next byte completes it. */
  {
    Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);
    gsize used = 0;

    r->pause_in_callbacks = TRUE;
    g_assert_true (fws_ws_codec_feed_some (r->codec, (const guint8 *) "\x82\x02\x01\x02\x81\x00", 6,
                                           &used, NULL, NULL));
    g_assert_cmpuint (used, ==, 4);
    assert_message (r, 0, FWS_WS_OP_BINARY, "\x01\x02", 2);
    rec_free (r);
  }
}

static void
test_stop (void)
{
  Rec *r;

  g_test_summary ("fws_ws_codec_stop() from a callback: feed returns TRUE at once and every "
                  "later input is ignored");

  /* From the message callback, with more frames in the same input. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  r->stop_in_message = TRUE;
  g_assert_true (rec_feed_hex (r, "81 01 61 81 01 62 89 00"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_message (r, 0, FWS_WS_OP_TEXT, "a", 1);
  g_assert_true (rec_feed_hex (r, "81 01 63"));
  g_assert_true (rec_feed_hex (r, "ff ff ff"));   /* not even an error */
  g_assert_cmpuint (r->events->len, ==, 1);
  g_assert_cmpuint (r->n_failed_feeds, ==, 0);
  rec_free (r);

  /* From the control callback, inside a fragmented message. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  r->stop_in_control = TRUE;
  g_assert_true (rec_feed_hex (r, "01 01 61 88 02 03 e8 80 01 62"));
  g_assert_cmpuint (r->events->len, ==, 1);
  assert_control (r, 0, FWS_WS_OP_CLOSE, "\x03\xe8", 2);
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);
  g_assert_true (rec_feed_hex (r, "81 01 63"));
  g_assert_cmpuint (r->events->len, ==, 1);
  rec_free (r);

  /* From a zero-length control frame that ends the input. */
  r = rec_new (FWS_WS_ROLE_SERVER, 0);
  r->stop_in_control = TRUE;
  g_assert_true (rec_feed_hex (r, "89 80 01 02 03 04"));
  assert_control (r, 0, FWS_WS_OP_PING, "", 0);
  g_assert_true (rec_feed_hex (r, "89 80 01 02 03 04"));
  g_assert_cmpuint (r->events->len, ==, 1);
  rec_free (r);

  /* Outside a callback. */
  r = rec_new (FWS_WS_ROLE_CLIENT, 0);
  g_assert_true (rec_feed_hex (r, "02 02 61"));
  fws_ws_codec_stop (r->codec);
  g_assert_cmpuint (fws_ws_codec_get_buffered (r->codec), ==, 0);
  g_assert_true (rec_feed_hex (r, "62"));
  g_assert_cmpuint (r->events->len, ==, 0);
  rec_free (r);
}

static void
test_no_callbacks (void)
{
  static const FwsWsCodecCallbacks none = { NULL, NULL };
  FwsWsCodec *codec = fws_ws_codec_new (FWS_WS_ROLE_CLIENT, 0, &none, NULL);
  GBytes *bytes = fws_test_hex ("81 02 68 69 89 01 21 01 01 61 8a 00 80 01 62");
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_test_summary ("Callbacks may be NULL: messages are freed by the codec (checked under valgrind)");

  g_assert_true (fws_ws_codec_feed (codec, data, len, NULL, NULL));
  g_assert_cmpuint (fws_ws_codec_get_buffered (codec), ==, 0);
  g_assert_true (fws_ws_codec_feed (codec, data, 3, NULL, NULL));
  g_assert_cmpuint (fws_ws_codec_get_buffered (codec), ==, 1);
  fws_ws_codec_free (codec);   /* with a partial message */
  fws_ws_codec_free (NULL);
  g_bytes_unref (bytes);
}

static void
test_non_minimal_lengths (void)
{
  Rec *r = rec_new (FWS_WS_ROLE_CLIENT, 0);

  g_test_summary ("Non-minimal length encodings are accepted, as websocket-driver does, "
                  "also on control frames");

  g_assert_true (rec_feed_hex (r, "81 7e 00 02 68 69"));
  assert_message (r, 0, FWS_WS_OP_TEXT, "hi", 2);
  g_assert_true (rec_feed_hex (r, "82 7f 00 00 00 00 00 00 00 01 21"));
  assert_message (r, 1, FWS_WS_OP_BINARY, "!", 1);
  g_assert_true (rec_feed_hex (r, "89 7e 00 02 68 69"));
  assert_control (r, 2, FWS_WS_OP_PING, "hi", 2);
  rec_free (r);
}

/* ------------------------------------------------------------------------ */
/* Frame headers, masking, close payloads */

static void
test_frame_header (void)
{
  static const struct
  {
    gboolean     fin;
    guint        rsv;
    guint        opcode;
    guint64      len;
    gboolean     masked;
    const char  *hex;
  } vectors[] = {
    { TRUE, 0, FWS_WS_OP_TEXT, 5, FALSE, "81 05" },
    { TRUE, 0, FWS_WS_OP_TEXT, 5, TRUE, "81 85 37 fa 21 3d" },
    { TRUE, 0, FWS_WS_OP_TEXT, 0, FALSE, "81 00" },
    { TRUE, 0, FWS_WS_OP_BINARY, 125, FALSE, "82 7d" },
    { TRUE, 0, FWS_WS_OP_BINARY, 126, FALSE, "82 7e 00 7e" },
    { TRUE, 0, FWS_WS_OP_BINARY, 256, FALSE, "82 7e 01 00" },
    { TRUE, 0, FWS_WS_OP_BINARY, 256, TRUE, "82 fe 01 00 37 fa 21 3d" },
    { TRUE, 0, FWS_WS_OP_BINARY, 65535, FALSE, "82 7e ff ff" },
    { TRUE, 0, FWS_WS_OP_BINARY, 65536, FALSE, "82 7f 00 00 00 00 00 01 00 00" },
    { TRUE, 0, FWS_WS_OP_BINARY, 65536, TRUE, "82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d" },
    { TRUE, 0, FWS_WS_OP_BINARY, G_GUINT64_CONSTANT (0x100000001), FALSE, "82 7f 00 00 00 01 00 00 00 01" },
    { TRUE, 0, FWS_WS_OP_BINARY, G_GUINT64_CONSTANT (0x0102030405060708), FALSE, "82 7f 01 02 03 04 05 06 07 08" },
    { TRUE, 0, FWS_WS_OP_BINARY, G_GUINT64_CONSTANT (0x7fffffffffffffff), FALSE, "82 7f 7f ff ff ff ff ff ff ff" },
    { FALSE, 0, FWS_WS_OP_TEXT, 3, FALSE, "01 03" },
    { FALSE, 0, FWS_WS_OP_CONTINUATION, 0, FALSE, "00 00" },
    { TRUE, 0, FWS_WS_OP_CONTINUATION, 2, FALSE, "80 02" },
    { TRUE, FWS_WS_RSV1, FWS_WS_OP_TEXT, 7, FALSE, "c1 07" },
    { FALSE, FWS_WS_RSV1, FWS_WS_OP_BINARY, 0, TRUE, "42 80 37 fa 21 3d" },
    { TRUE, FWS_WS_RSV2 | FWS_WS_RSV3, FWS_WS_OP_BINARY, 1, FALSE, "b2 01" },
    { TRUE, FWS_WS_RSV1 | FWS_WS_RSV2 | FWS_WS_RSV3, FWS_WS_OP_TEXT, 1, FALSE, "f1 01" },
    { TRUE, 0, FWS_WS_OP_CLOSE, 2, FALSE, "88 02" },
    { TRUE, 0, FWS_WS_OP_PING, 0, FALSE, "89 00" },
    { TRUE, 0, FWS_WS_OP_PONG, 125, TRUE, "8a fd 37 fa 21 3d" },
  };
  gsize i;

  g_test_summary ("fws_ws_frame_header: 7/16/64-bit lengths (shortest), FIN, RSV bits, "
                  "opcodes, with and without a mask key");

  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      guint8 out[FWS_WS_MAX_HEADER + 1];
      gsize n;

      memset (out, 0xAA, sizeof out);
      n = fws_ws_frame_header (out, vectors[i].fin, vectors[i].rsv, vectors[i].opcode,
                               vectors[i].len, vectors[i].masked ? test_key : NULL);
      fws_test_assert_hex (out, n, vectors[i].hex);
      g_assert_cmpuint (out[n], ==, 0xAA);   /* nothing written past it */
    }
}

static void
test_mask (void)
{
  guint8 src_buf[128 + 16], dst_buf[128 + 16], want[128], work[128 + 16];
  static const guint8 keys[][4] = {
    { 0x37, 0xfa, 0x21, 0x3d }, { 0x00, 0x00, 0x00, 0x00 }, { 0xff, 0x01, 0x80, 0x7f },
  };
  gsize len, k, offset, sa, da, i;

  g_test_summary ("fws_ws_mask and fws_ws_mask_copy agree with a naive loop for lengths 0-100, "
                  "every key offset and unaligned source and destination, and touch nothing else");

  for (k = 0; k < G_N_ELEMENTS (keys); k++)
    for (len = 0; len <= 100; len++)
      for (offset = 0; offset < 8; offset++)
        for (sa = 0; sa < 8; sa++)
          {
            guint8 *src = src_buf + 8 + sa;

            for (i = 0; i < sizeof src_buf; i++)
              src_buf[i] = (guint8) (i * 41 + len + offset);
            memcpy (want, src, len);
            naive_mask (want, len, keys[k], offset);

            /* In place. */
            memcpy (work, src_buf, sizeof src_buf);
            fws_ws_mask (work + 8 + sa, len, keys[k], offset);
            g_assert_cmpmem (work + 8 + sa, len, want, len);
            g_assert_cmpmem (work, 8 + sa, src_buf, 8 + sa);
            g_assert_cmpmem (work + 8 + sa + len, sizeof src_buf - 8 - sa - len,
                             src_buf + 8 + sa + len, sizeof src_buf - 8 - sa - len);

            /* Copy, to every destination alignment. */
            for (da = 0; da < 8; da++)
              {
                guint8 *dst = dst_buf + 8 + da;

                memset (dst_buf, 0x5c, sizeof dst_buf);
                fws_ws_mask_copy (dst, src, len, keys[k], offset);
                g_assert_cmpmem (dst, len, want, len);
                for (i = 0; i < sizeof dst_buf; i++)
                  if (dst_buf + i < dst || dst_buf + i >= dst + len)
                    g_assert_cmpuint (dst_buf[i], ==, 0x5c);
                /* The source is not modified. */
                for (i = 0; i < sizeof src_buf; i++)
                  g_assert_cmpuint (src_buf[i], ==, (guint8) (i * 41 + len + offset));
              }
          }

  /* Masking twice restores the data; a large buffer in pieces at odd offsets
   * matches masking it in one go. */
  {
    gsize big = 100003, pos = 0;
    guint8 *a = g_malloc (big), *b = g_malloc (big), *orig = g_malloc (big);

    for (i = 0; i < big; i++)
      orig[i] = a[i] = b[i] = (guint8) (i ^ (i >> 8));
    fws_ws_mask (a, big, test_key, 0);
    naive_mask (orig, big, test_key, 0);
    g_assert_cmpmem (a, big, orig, big);
    while (pos < big)
      {
        gsize n = MIN (big - pos, 1 + (pos * 7) % 97);

        fws_ws_mask (b + pos, n, test_key, pos);
        pos += n;
      }
    g_assert_cmpmem (a, big, b, big);
    fws_ws_mask (a, big, test_key, 0);
    naive_mask (orig, big, test_key, 0);
    g_assert_cmpmem (a, big, orig, big);
    for (i = 0; i < big; i++)
      g_assert_cmpuint (a[i], ==, (guint8) (i ^ (i >> 8)));
    g_free (a);
    g_free (b);
    g_free (orig);
  }
}

static void
test_close_payload (void)
{
  guint16 code;
  char *reason;
  GError *error = NULL;
  guint c;

  g_test_summary ("Close payloads: empty is 1005, one byte is 1002, 03 e8 Hello is 1000 Hello, "
                  "codes not allowed on the wire and non-UTF-8 reasons are 1002");

  g_assert_true (fws_ws_close_payload_parse (NULL, 0, &code, &reason, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (code, ==, 1005);
  g_assert_cmpstr (reason, ==, "");
  g_free (reason);

  g_assert_false (fws_ws_close_payload_parse ((const guint8 *) "\x03", 1, &code, &reason, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==, "Received close frame with a one-byte payload");
  g_clear_error (&error);
  g_assert_cmpuint (code, ==, 1002);
  g_assert_cmpstr (reason, ==, "");
  g_free (reason);

  g_assert_true (fws_ws_close_payload_parse ((const guint8 *) "\x03\xe8" "Hello", 7, &code, &reason, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (code, ==, 1000);
  g_assert_cmpstr (reason, ==, "Hello");
  g_free (reason);

  g_assert_true (fws_ws_close_payload_parse ((const guint8 *) "\x03\xe9", 2, &code, &reason, &error));
  g_assert_cmpuint (code, ==, 1001);
  g_assert_cmpstr (reason, ==, "");
  g_free (reason);

  g_assert_true (fws_ws_close_payload_parse ((const guint8 *) "\x0f\xa0" "\xef\xa3\xbf", 5,
                                             &code, &reason, &error));
  g_assert_cmpuint (code, ==, 4000);
  g_assert_cmpstr (reason, ==, "\xef\xa3\xbf");
  g_free (reason);

  {
    static const guint invalid[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535 };
    static const guint valid[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                                   1013, 1014, 3000, 3999, 4000, 4999 };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS (invalid); i++)
      {
        guint8 p[4] = { invalid[i] >> 8, invalid[i] & 0xff, 'o', 'k' };
        char *msg = g_strdup_printf ("Received close frame with invalid close code: %u", invalid[i]);

        g_assert_false (fws_ws_close_code_is_valid (invalid[i]));
        g_assert_false (fws_ws_close_payload_parse (p, 4, &code, &reason, &error));
        g_assert_error (error, FWS_ERROR, FWS_ERROR_PROTOCOL);
        g_assert_cmpstr (error->message, ==, msg);
        g_clear_error (&error);
        g_assert_cmpuint (code, ==, 1002);
        g_assert_cmpstr (reason, ==, "");
        g_free (reason);
        g_free (msg);
      }
    for (i = 0; i < G_N_ELEMENTS (valid); i++)
      {
        guint8 p[4] = { valid[i] >> 8, valid[i] & 0xff, 'o', 'k' };

        g_assert_true (fws_ws_close_code_is_valid (valid[i]));
        g_assert_true (fws_ws_close_payload_parse (p, 4, &code, &reason, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (code, ==, valid[i]);
        g_assert_cmpstr (reason, ==, "ok");
        g_free (reason);
      }
  }

  /* The whole range, against the documented sets. */
  for (c = 0; c <= 70000; c++)
    g_assert_cmpint (fws_ws_close_code_is_valid (c), ==,
                     (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999));

  /* Reasons that are not UTF-8, including a truncated character. */
  g_assert_false (fws_ws_close_payload_parse ((const guint8 *) "\x03\xe8" "a\xc0\x80", 5,
                                              &code, &reason, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  g_assert_cmpstr (error->message, ==, "Received close frame with a reason that is not UTF-8");
  g_clear_error (&error);
  g_assert_cmpuint (code, ==, 1002);
  g_assert_cmpstr (reason, ==, "");
  g_free (reason);

  g_assert_false (fws_ws_close_payload_parse ((const guint8 *) "\x03\xe8" "\xe2\x82", 4,
                                              &code, &reason, NULL));
  g_assert_cmpuint (code, ==, 1002);
  g_assert_cmpstr (reason, ==, "");
  g_free (reason);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ws-codec/rfc/unmasked-text", test_rfc_unmasked_text);
  g_test_add_func ("/ws-codec/rfc/masked-text", test_rfc_masked_text);
  g_test_add_func ("/ws-codec/rfc/fragmented", test_rfc_fragmented);
  g_test_add_func ("/ws-codec/rfc/ping-pong", test_rfc_ping_pong);
  g_test_add_func ("/ws-codec/rfc/binary-lengths", test_rfc_binary_lengths);
  g_test_add_func ("/ws-codec/hybi-parse", test_hybi_parse);
  g_test_add_func ("/ws-codec/errors", test_errors);
  g_test_add_func ("/ws-codec/error-discards-message", test_error_discards_message);
  g_test_add_func ("/ws-codec/split-everywhere", test_split_everywhere);
  g_test_add_func ("/ws-codec/lengths", test_lengths);
  g_test_add_func ("/ws-codec/max-length", test_max_length);
  g_test_add_func ("/ws-codec/huge-frames", test_huge_frames);
  g_test_add_func ("/ws-codec/utf8", test_utf8);
  g_test_add_func ("/ws-codec/many-empty-continuations", test_many_empty_continuations);
  g_test_add_func ("/ws-codec/fragment-limit", test_fragment_limit);
  g_test_add_data_func ("/ws-codec/autobahn-9.3.1", GUINT_TO_POINTER (FWS_WS_OP_TEXT), test_autobahn_9_x_1);
  g_test_add_data_func ("/ws-codec/autobahn-9.4.1", GUINT_TO_POINTER (FWS_WS_OP_BINARY), test_autobahn_9_x_1);
  g_test_add_func ("/ws-codec/stop", test_stop);
  g_test_add_func ("/ws-codec/pause", test_pause);
  g_test_add_func ("/ws-codec/no-callbacks", test_no_callbacks);
  g_test_add_func ("/ws-codec/non-minimal-lengths", test_non_minimal_lengths);
  g_test_add_func ("/ws-codec/frame-header", test_frame_header);
  g_test_add_func ("/ws-codec/mask", test_mask);
  g_test_add_func ("/ws-codec/close-payload", test_close_payload);

  return g_test_run ();
}
