/* test-driver.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The sans-I/O protocol state machine, byte for byte: websocket-driver's
 * hybi_spec and client_spec (BEHAVIOUR.md 6.5, 6.6), adjusted where the
 * Decisions list departs from faye.
 */
#include "test-utils.h"
#include "test-extension-doubles.h"

#include <locale.h>
#include <string.h>

#include "fws-driver-private.h"
#include "fws-handshake-private.h"
#include "fws-permessage-deflate-private.h"

typedef struct
{
  FwsDriver  *driver;
  GByteArray *out;
  GPtrArray  *events;   /* "open", "message:text:Hello", "close:1000:", ... */
  GError     *error;
  guint8      mask[4];
  gboolean    echo;     /* message_cb sends each message back, then bad UTF-8 */
} Fixture;

static void
write_cb (gpointer user_data, const guint8 *data, gsize len)
{
  Fixture *f = user_data;

  g_byte_array_append (f->out, data, (guint) len);
}

static void
write_frame_cb (gpointer user_data, const guint8 *header, gsize header_len, GBytes *payload)
{
  Fixture *f = user_data;

  g_byte_array_append (f->out, header, (guint) header_len);
  g_byte_array_append (f->out, g_bytes_get_data (payload, NULL), (guint) g_bytes_get_size (payload));
}

static void
random_cb (gpointer user_data, guint8 *buf, gsize len)
{
  Fixture *f = user_data;

  g_assert_cmpuint (len, ==, 4);
  memcpy (buf, f->mask, 4);
}

static void
open_cb (gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->events, g_strdup ("open"));
}

static void
message_cb (gpointer user_data, FwsMessageType type, GBytes *data)
{
  Fixture *f = user_data;
  gsize len;
  const char *p = g_bytes_get_data (data, &len);

  /* Text is NUL-terminated just past its size. */
  if (type == FWS_MESSAGE_TYPE_TEXT)
    g_assert_cmpint (p[len], ==, '\0');
  g_ptr_array_add (f->events, g_strdup_printf ("message:%s:%.*s",
                                               type == FWS_MESSAGE_TYPE_TEXT ? "text" : "binary",
                                               (int) len, p));
  if (f->echo)
    {
      g_autoptr(GBytes) bad = g_bytes_new_static ("\xc3\x28", 2);
      g_autoptr(GError) error = NULL;

      g_assert_true (fws_driver_send (f->driver, type, data, &error));
      g_assert_no_error (error);
      /* Only the bytes being delivered skip the check. */
      g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, bad, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
    }
}

static void
ping_cb (gpointer user_data, GBytes *payload)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->events, g_strdup_printf ("ping:%.*s", (int) g_bytes_get_size (payload),
                                               (const char *) g_bytes_get_data (payload, NULL)));
}

static void
pong_cb (gpointer user_data, GBytes *payload)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->events, g_strdup_printf ("pong:%.*s", (int) g_bytes_get_size (payload),
                                               (const char *) g_bytes_get_data (payload, NULL)));
}

static void
error_cb (gpointer user_data, const GError *error)
{
  Fixture *f = user_data;

  g_assert_null (f->error);
  f->error = g_error_copy (error);
  g_ptr_array_add (f->events, g_strdup_printf ("error:%s", error->message));
}

static void
close_cb (gpointer user_data, guint code, const char *reason)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->events, g_strdup_printf ("close:%u:%s", code, reason));
}

static const FwsDriverCallbacks callbacks = {
  write_cb, write_frame_cb, random_cb, open_cb, message_cb, ping_cb, pong_cb, error_cb, close_cb,
};

static SoupMessageHeaders *
hybi_request (void)
{
  SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  soup_message_headers_append (h, "Host", "www.example.com");
  soup_message_headers_append (h, "Connection", "Upgrade");
  soup_message_headers_append (h, "Upgrade", "websocket");
  soup_message_headers_append (h, "Origin", "http://www.example.com");
  soup_message_headers_append (h, "Sec-WebSocket-Key", "JFBCWHksyIpXV+6Wlq/9pw==");
  soup_message_headers_append (h, "Sec-WebSocket-Version", "13");
  return h;
}

static void
fixture_init (Fixture *f)
{
  f->out = g_byte_array_new ();
  f->events = g_ptr_array_new_with_free_func (g_free);
  memcpy (f->mask, "\x37\xfa\x21\x3d", 4);
}

static void
setup_server_full (Fixture *f, SoupMessageHeaders *request, const char * const *protocols,
                   SoupMessageHeaders *extra, guint64 max_length)
{
  fixture_init (f);
  f->driver = fws_driver_new_server (&callbacks, f, "GET", request, protocols, extra, max_length);
}

static void
setup_server (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) request = hybi_request ();

  setup_server_full (f, request, NULL, NULL, (1 << 26) - 1);
}

static void
setup_client (Fixture *f, gconstpointer data)
{
  g_autoptr(GUri) uri = g_uri_parse ("ws://www.example.com/socket", G_URI_FLAGS_NONE, NULL);

  fixture_init (f);
  f->driver = fws_driver_new_client (&callbacks, f, uri, "2vBVWg4Qyk3ZoM/5d3QD9Q==", NULL, NULL, (1 << 26) - 1);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->driver, fws_driver_free);
  g_byte_array_unref (f->out);
  g_ptr_array_unref (f->events);
  g_clear_error (&f->error);
}

static void
assert_events (Fixture *f, const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MAX (n, f->events->len); i++)
    {
      const char *got = i < f->events->len ? f->events->pdata[i] : "(none)";
      const char *want = i < n ? expected[i] : "(none)";

      if (g_strcmp0 (got, want) != 0)
        g_error ("event %u: got '%s', want '%s'", i, got, want);
    }
}

#define EVENTS(...) assert_events (f, (const char *[]) { __VA_ARGS__, NULL })

static void
assert_out_str (Fixture *f, const char *s)
{
  g_assert_cmpmem (f->out->data, f->out->len, s, strlen (s));
}

static void
clear_out (Fixture *f)
{
  g_byte_array_set_size (f->out, 0);
}

static void
parse_hex (Fixture *f, const char *hex)
{
  g_autoptr(GBytes) b = fws_test_hex (hex);

  fws_driver_parse (f->driver, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

/* Masks @payload with the fixture's key into a client frame. */
static void
parse_masked (Fixture *f, guint8 b0, const void *payload, gsize len)
{
  g_autoptr(GBytes) frame = fws_test_frame (b0, f->mask, payload, len);

  fws_driver_parse (f->driver, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

/* A client's close frame with @code and @reason (nullable). */
static void
parse_close (Fixture *f, guint16 code, const char *reason)
{
  g_autoptr(GBytes) frame = fws_test_close_frame (f->mask, code, reason);

  fws_driver_parse (f->driver, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

#define HYBI_101 \
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: JdiiuafpBKRqD7eol0y4vJDTsTs=\r\n\r\n"

static GBytes *
str_bytes (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

/* fws_driver_ping, TRUE if it sent or queued a ping. */
static gboolean
ping (Fixture *f, GBytes *payload, GError **error)
{
  g_autoptr(GBytes) sent = fws_driver_ping (f->driver, payload, error);

  return sent != NULL;
}

/* ---- server, connecting ---- */

static void
test_server_start (Fixture *f, gconstpointer data)
{
  g_test_summary ("start writes the exact 101 response, opens, and reports hybi-13");
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CONNECTING);
  g_assert_true (fws_driver_start (f->driver));
  assert_out_str (f, HYBI_101);
  EVENTS ("open");
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_OPEN);
  g_assert_cmpstr (fws_driver_get_version (f->driver), ==, "hybi-13");
  g_assert_null (fws_driver_get_protocol (f->driver));
  g_assert_false (fws_driver_start (f->driver));
}

static void
test_server_subprotocol (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) request = hybi_request ();
  const char *protocols[] = { "xmpp", NULL };

  g_test_summary ("The selected subprotocol is written after the Accept header");
  soup_message_headers_append (request, "Sec-WebSocket-Protocol", "foo, bar, xmpp");
  setup_server_full (f, request, protocols, NULL, 1000);
  fws_driver_start (f->driver);
  assert_out_str (f, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: JdiiuafpBKRqD7eol0y4vJDTsTs=\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n");
  g_assert_cmpstr (fws_driver_get_protocol (f->driver), ==, "xmpp");
}

static void
test_server_custom_headers (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) request = hybi_request ();
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  g_test_summary ("Custom headers come first in the 101 response");
  soup_message_headers_append (extra, "Authorization", "Bearer WAT");
  setup_server_full (f, request, NULL, extra, 1000);
  fws_driver_start (f->driver);
  assert_out_str (f, "HTTP/1.1 101 Switching Protocols\r\nAuthorization: Bearer WAT\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: JdiiuafpBKRqD7eol0y4vJDTsTs=\r\n\r\n");
}

static void
test_server_bad_version (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) request = hybi_request ();
  static const char body[] = "Unsupported WebSocket version: 8";
  g_autofree char *expected = NULL;

  g_test_summary ("An unsupported version is answered 426 with Sec-WebSocket-Version: 13; error then close 1002; never open");
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "8");
  setup_server_full (f, request, NULL, NULL, 1000);
  g_assert_false (fws_driver_start (f->driver));
  expected = g_strdup_printf ("HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain\r\n"
                              "Sec-WebSocket-Version: 13\r\nContent-Length: %zu\r\n\r\n%s",
                              strlen (body), body);
  assert_out_str (f, expected);
  EVENTS ("error:Unsupported WebSocket version: 8", "close:1002:Unsupported WebSocket version: 8");
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
}

static void
test_server_queue_before_open (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) hi = str_bytes ("Hi");

  g_test_summary ("Frames, pings and pongs sent while connecting are queued and follow the handshake");
  g_assert_true (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hi, NULL));
  g_assert_true (ping (f, NULL, NULL));
  g_assert_true (fws_driver_pong (f->driver, NULL));
  g_assert_cmpuint (f->out->len, ==, 0);
  g_assert_cmpuint (fws_driver_get_pending_bytes (f->driver), ==, 3);
  fws_driver_start (f->driver);
  g_assert_cmpuint (fws_driver_get_pending_bytes (f->driver), ==, 0);
  g_assert_cmpmem (f->out->data, strlen (HYBI_101), HYBI_101, strlen (HYBI_101));
  fws_test_assert_hex (f->out->data + strlen (HYBI_101), f->out->len - strlen (HYBI_101),
                       "81 02 48 69 89 01 31 8a 00");
}

static void
test_server_close_connecting (Fixture *f, gconstpointer data)
{
  g_test_summary ("close while connecting writes nothing and reports the given code");
  g_assert_true (fws_driver_close (f->driver, 1000, "", NULL));
  g_assert_cmpuint (f->out->len, ==, 0);
  EVENTS ("close:1000:");
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
  g_assert_false (fws_driver_start (f->driver));
}

/* ---- server, open ---- */

static void
setup_server_open (Fixture *f, gconstpointer data)
{
  setup_server (f, data);
  fws_driver_start (f->driver);
  clear_out (f);
  g_ptr_array_set_size (f->events, 0);
}

static void
test_parse_masked_text (Fixture *f, gconstpointer data)
{
  g_test_summary ("Masked text, empty and fragmented frames are parsed (RFC 6455 5.7)");
  parse_hex (f, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  parse_masked (f, 0x81, "", 0);
  parse_masked (f, 0x01, "H", 1);
  parse_masked (f, 0x80, "ello", 4);
  parse_masked (f, 0x82, "Hello", 5);
  EVENTS ("message:text:Hello", "message:text:", "message:text:Hello", "message:binary:Hello");
  g_assert_cmpuint (f->out->len, ==, 0);
}

static void
test_echo_from_callback (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) bad = g_bytes_new_static ("\xc3\x28", 2);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Text sent back from inside the message callback goes out (its UTF-8 was just "
                  "checked); other text is still checked there, and the same bytes after it");
  f->echo = TRUE;
  parse_hex (f, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  EVENTS ("message:text:Hello");
  fws_test_assert_hex (f->out->data, f->out->len, "81 05 48 65 6c 6c 6f");
  g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, bad, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
}

static void
test_parse_multibyte_split (Fixture *f, gconstpointer data)
{
  static const guint8 apple[] = { 0x41, 0x70, 0x70, 0x6c, 0x65, 0x20, 0x3d, 0x20, 0xef, 0xa3, 0xbf };

  g_test_summary ("A character split across fragments and packets is fine");
  parse_masked (f, 0x01, apple, 10);
  parse_masked (f, 0x80, apple + 10, 1);
  EVENTS ("message:text:Apple = \xef\xa3\xbf");
}

static void
test_parse_medium (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *ev = NULL;

  g_test_summary ("A 200-byte masked frame with a 16-bit length is parsed");
  for (int i = 0; i < 40; i++)
    g_string_append (s, "Hello");
  parse_masked (f, 0x81, s->str, s->len);
  ev = g_strdup_printf ("message:text:%s", s->str);
  EVENTS (ev);
}

static void
test_unrecognized_opcode (Fixture *f, gconstpointer data)
{
  g_test_summary ("An unknown opcode writes close 1002 with a fixed English reason, then error "
                  "and close with the message for people");
  parse_hex (f, "83 80 00 00 00 00");
  g_assert_cmpuint (f->out->len, >=, 4);
  fws_test_assert_hex (f->out->data, 4, "88 10 03 ea");
  g_assert_cmpmem (f->out->data + 4, f->out->len - 4, "Protocol error", 14);
  EVENTS ("error:Unrecognized frame opcode: 3", "close:1002:Unrecognized frame opcode: 3");
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_PROTOCOL);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
  /* Later input is ignored. */
  parse_masked (f, 0x81, "late", 4);
  g_assert_cmpuint (f->events->len, ==, 2);
}

static void
test_receive_close (Fixture *f, gconstpointer data)
{
  g_test_summary ("A close frame is echoed byte for byte and reported");
  parse_close (f, 1000, "Hello");
  fws_test_assert_hex (f->out->data, f->out->len, "88 07 03 e8 48 65 6c 6c 6f");
  EVENTS ("close:1000:Hello");
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
}

static void
test_receive_empty_close (Fixture *f, gconstpointer data)
{
  g_test_summary ("An empty close frame is answered with an empty one and reported as 1005 (Decision 4)");
  parse_masked (f, 0x88, "", 0);
  fws_test_assert_hex (f->out->data, f->out->len, "88 00");
  EVENTS ("close:1005:");
}

static void
test_receive_bad_close (Fixture *f, gconstpointer data)
{
  g_test_summary ("Close payloads of 1 byte, invalid codes or invalid UTF-8 are answered 1002 with an empty reason");
  parse_masked (f, 0x88, "\x03", 1);
  fws_test_assert_hex (f->out->data, f->out->len, "88 02 03 ea");
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_true (g_str_has_prefix (f->events->pdata[1], "close:1002:"));
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_PROTOCOL);

  teardown (f, data);
  memset (f, 0, sizeof *f);
  setup_server_open (f, data);
  parse_close (f, 1005, NULL);   /* 1005 must not be sent */
  fws_test_assert_hex (f->out->data, f->out->len, "88 02 03 ea");

  teardown (f, data);
  memset (f, 0, sizeof *f);
  setup_server_open (f, data);
  parse_close (f, 1000, "\xc3\x28");
  fws_test_assert_hex (f->out->data, f->out->len, "88 02 03 ea");
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
}

static void
test_too_large (Fixture *f, gconstpointer data)
{
  g_test_summary ("A 2^30-byte frame header fails at once with 1009");
  parse_hex (f, "81 ff 00 00 00 00 40 00 00 00");
  /* "Message too big" */
  fws_test_assert_hex (f->out->data, f->out->len,
                       "88 11 03 f1 4d 65 73 73 61 67 65 20 74 6f 6f 20 62 69 67");
  EVENTS ("error:WebSocket frame length too large", "close:1009:WebSocket frame length too large");
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
}

static void
test_unmasked_frame (Fixture *f, gconstpointer data)
{
  g_test_summary ("An unmasked frame from a client closes with 1002 (Decision 3; faye used 1003)");
  parse_hex (f, "81 05 48 65 6c 6c 6f");
  /* "Protocol error" */
  fws_test_assert_hex (f->out->data, f->out->len,
                       "88 10 03 ea 50 72 6f 74 6f 63 6f 6c 20 65 72 72 6f 72");
  EVENTS ("error:Received unmasked frame but masking is required",
          "close:1002:Received unmasked frame but masking is required");
}

static void
test_ping_answered (Fixture *f, gconstpointer data)
{
  g_test_summary ("A ping is answered with a pong of the same payload, and reported");
  parse_masked (f, 0x89, "OHAI", 4);
  fws_test_assert_hex (f->out->data, f->out->len, "8a 04 4f 48 41 49");
  EVENTS ("ping:OHAI");
}

static void
test_pong_reported (Fixture *f, gconstpointer data)
{
  g_test_summary ("A pong is reported, no frame is written");
  parse_masked (f, 0x8a, "Hi", 2);
  g_assert_cmpuint (f->out->len, ==, 0);
  EVENTS ("pong:Hi");
}

static void
test_frame_output (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) hello = str_bytes ("Hello");
  g_autoptr(GBytes) apple = str_bytes ("Apple = \xef\xa3\xbf");
  g_autoptr(GBytes) mic = str_bytes ("mic check");
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GBytes) medium = NULL;

  g_test_summary ("Server frames are unmasked with minimal lengths: text, binary, medium, ping, pong");
  for (int i = 0; i < 40; i++)
    g_string_append (s, "Hello");
  medium = g_bytes_new (s->str, s->len);

  fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
  fws_test_assert_hex (f->out->data, f->out->len, "81 05 48 65 6c 6c 6f");
  clear_out (f);
  fws_driver_send (f->driver, FWS_MESSAGE_TYPE_BINARY, hello, NULL);
  fws_test_assert_hex (f->out->data, f->out->len, "82 05 48 65 6c 6c 6f");
  clear_out (f);
  fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, apple, NULL);
  fws_test_assert_hex (f->out->data, f->out->len, "81 0b 41 70 70 6c 65 20 3d 20 ef a3 bf");
  clear_out (f);
  fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, medium, NULL);
  fws_test_assert_hex (f->out->data, 4, "81 7e 00 c8");
  g_assert_cmpuint (f->out->len, ==, 204);
  clear_out (f);
  g_assert_true (ping (f, mic, NULL));
  fws_test_assert_hex (f->out->data, f->out->len, "89 09 6d 69 63 20 63 68 65 63 6b");
  clear_out (f);
  g_assert_true (fws_driver_pong (f->driver, mic));
  fws_test_assert_hex (f->out->data, f->out->len, "8a 09 6d 69 63 20 63 68 65 63 6b");
}

static void
test_close_output (Fixture *f, gconstpointer data)
{
  g_test_summary ("close writes a close frame with code and reason, state CLOSING, no event yet");
  g_assert_true (fws_driver_close (f->driver, 1003, "<%= reasons %>", NULL));
  fws_test_assert_hex (f->out->data, f->out->len,
                       "88 10 03 eb 3c 25 3d 20 72 65 61 73 6f 6e 73 20 25 3e");
  g_assert_cmpuint (f->events->len, ==, 0);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSING);
}

static void
test_closing_state (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) hi = str_bytes ("Hi");

  g_test_summary ("While closing nothing more is written; the peer's close frame ends it without a second close frame");
  fws_driver_close (f->driver, 1000, "", NULL);
  clear_out (f);
  g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hi, NULL));
  g_assert_false (ping (f, NULL, NULL));
  g_assert_false (fws_driver_pong (f->driver, NULL));
  g_assert_false (fws_driver_close (f->driver, 1000, "", NULL));
  g_assert_cmpuint (f->out->len, ==, 0);
  parse_close (f, 1001, "OK");
  g_assert_cmpuint (f->out->len, ==, 0);
  EVENTS ("close:1001:OK");
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
  parse_close (f, 1001, "OK");
  g_assert_cmpuint (f->out->len, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 1);
}

/* ---- the command rules (issue 9 item 4, issue 14 items 1 and 7) ---- */

/* A fresh open server driver in @f. */
static void
reopen (Fixture *f)
{
  teardown (f, NULL);
  memset (f, 0, sizeof *f);
  setup_server_open (f, NULL);
}

/* Asserts that @error is @code with @message, and that nothing was written. */
static void
assert_refused (Fixture *f, GError **error, gint code, const char *message)
{
  g_assert_error (*error, FWS_ERROR, code);
  g_assert_cmpstr ((*error)->message, ==, message);
  g_clear_error (error);
  g_assert_cmpuint (f->out->len, ==, 0);
}

static void
test_close_codes (Fixture *f, gconstpointer data)
{
  /* RFC 6455 7.4: what an endpoint may send; 0 stands for 1000. */
  static const struct { guint code; const char *hex; } valid[] = {
    { 0, "88 02 03 e8" }, { 1000, "88 02 03 e8" }, { 1001, "88 02 03 e9" }, { 1002, "88 02 03 ea" },
    { 1003, "88 02 03 eb" }, { 1007, "88 02 03 ef" }, { 1008, "88 02 03 f0" }, { 1009, "88 02 03 f1" },
    { 1010, "88 02 03 f2" }, { 1011, "88 02 03 f3" }, { 1012, "88 02 03 f4" }, { 1013, "88 02 03 f5" },
    { 1014, "88 02 03 f6" }, { 3000, "88 02 0b b8" }, { 4999, "88 02 13 87" },
  };
  /* Reserved for the API (1004-1006, 1015), unassigned, or out of range. */
  static const guint invalid[] = { 1, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535, 65536 + 1000 };

  g_test_summary ("close accepts 1000-1003, 1007-1014 and 3000-4999 (1001, 1008 and 1011 included) "
                  "with the exact frame, and refuses 1004-1006, 1015 and every other code with "
                  "INVALID_ARGUMENT, writing nothing");
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;

      reopen (f);
      g_assert_true (fws_driver_close (f->driver, valid[i].code, NULL, &error));
      g_assert_no_error (error);
      fws_test_assert_hex (f->out->data, f->out->len, valid[i].hex);
      g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSING);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *message =
        g_strdup_printf ("The close code must be between 1000 and 1003, between 1007 and 1014, "
                         "or between 3000 and 4999. %u is none of these.", invalid[i]);

      reopen (f);
      g_assert_false (fws_driver_close (f->driver, invalid[i], "", &error));
      assert_refused (f, &error, FWS_ERROR_INVALID_ARGUMENT, message);
      g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_OPEN);
      g_assert_false (fws_driver_check_close (invalid[i], NULL, NULL));
    }
}

static void
test_receive_close_codes (Fixture *f, gconstpointer data)
{
  static const guint echoed[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999 };
  static const guint refused[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535 };

  g_test_summary ("A peer's close frame with 1000-1003, 1007-1014 (Autobahn 7.7.x) or 3000-4999 is "
                  "echoed with its code; 1004-1006, 1015, <1000, 1016-2999 and >=5000 are answered 1002");
  for (guint i = 0; i < G_N_ELEMENTS (echoed); i++)
    {
      g_autofree char *hex = g_strdup_printf ("88 04 %02x %02x 6f 6b", echoed[i] >> 8, echoed[i] & 0xff);
      g_autofree char *event = g_strdup_printf ("close:%u:ok", echoed[i]);

      reopen (f);
      parse_close (f, (guint16) echoed[i], "ok");
      fws_test_assert_hex (f->out->data, f->out->len, hex);
      EVENTS (event);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      reopen (f);
      parse_close (f, (guint16) refused[i], "ok");
      fws_test_assert_hex (f->out->data, f->out->len, "88 02 03 ea");
      g_assert_cmpuint (f->events->len, ==, 2);
      g_assert_true (g_str_has_prefix (f->events->pdata[1], "close:1002:"));
      g_assert_error (f->error, FWS_ERROR, FWS_ERROR_PROTOCOL);
    }
}

static void
test_close_reason_rules (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  char reason[200];
  static const char message[] = "The close reason must be valid UTF-8 of at most 123 bytes";

  g_test_summary ("A close reason of 123 bytes goes out whole; 124 bytes, or bytes that are not "
                  "UTF-8, are refused with INVALID_ARGUMENT and nothing written (never cut)");
  memset (reason, 'x', 123);
  reason[123] = '\0';
  g_assert_true (fws_driver_close (f->driver, 1000, reason, &error));
  g_assert_no_error (error);
  fws_test_assert_hex (f->out->data, 4, "88 7d 03 e8");
  g_assert_cmpmem (f->out->data + 4, f->out->len - 4, reason, 123);

  reopen (f);
  for (int i = 0; i < 61; i++)
    memcpy (reason + 2 * i, "\xc3\xa9", 2);   /* 122 bytes of é, then one more */
  memcpy (reason + 122, "\xc3\xa9", 3);
  g_assert_false (fws_driver_close (f->driver, 1000, reason, &error));
  assert_refused (f, &error, FWS_ERROR_INVALID_ARGUMENT, message);

  reason[122] = 'x';
  reason[123] = '\0';
  g_assert_true (fws_driver_close (f->driver, 1000, reason, &error));
  fws_test_assert_hex (f->out->data, 4, "88 7d 03 e8");

  reopen (f);
  g_assert_false (fws_driver_close (f->driver, 4000, "bad \xc3\x28", &error));
  assert_refused (f, &error, FWS_ERROR_INVALID_ARGUMENT, message);
  g_assert_false (fws_driver_close (f->driver, 4000, "\xed\xa0\x80", &error));   /* a surrogate */
  assert_refused (f, &error, FWS_ERROR_INVALID_ARGUMENT, message);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_OPEN);
  g_assert_true (fws_driver_close (f->driver, 4000, "caf\xc3\xa9", &error));
  fws_test_assert_hex (f->out->data, f->out->len, "88 07 0f a0 63 61 66 c3 a9");
}

static void
test_send_rules (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bad = g_bytes_new_static ("a\xc3\x28", 3);
  g_autoptr(GBytes) nul = g_bytes_new_static ("a\0b", 3);

  g_test_summary ("Text that is not UTF-8 is refused with INVALID_UTF8 and nothing written; the "
                  "same bytes go out as binary; text with U+0000 goes out whole");
  g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, bad, &error));
  assert_refused (f, &error, FWS_ERROR_INVALID_UTF8, "Text messages must be valid UTF-8");
  g_assert_true (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_BINARY, bad, &error));
  fws_test_assert_hex (f->out->data, f->out->len, "82 03 61 c3 28");
  clear_out (f);
  g_assert_true (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, nul, &error));
  g_assert_no_error (error);
  fws_test_assert_hex (f->out->data, f->out->len, "81 03 61 00 62");
}

static void
test_ping_rules (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint8 big[126];
  g_autoptr(GBytes) b125 = NULL;
  g_autoptr(GBytes) b126 = NULL;
  g_autoptr(GBytes) mine = str_bytes ("mine");
  g_autoptr(GBytes) sent = NULL;

  g_test_summary ("A ping payload of 125 bytes goes out, 126 bytes is refused with INVALID_ARGUMENT");
  memset (big, 'p', sizeof big);
  b125 = g_bytes_new (big, 125);
  b126 = g_bytes_new (big, 126);
  sent = fws_driver_ping (f->driver, b125, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (sent, b125));
  fws_test_assert_hex (f->out->data, 2, "89 7d");
  g_assert_cmpuint (f->out->len, ==, 127);
  clear_out (f);
  g_clear_pointer (&sent, g_bytes_unref);
  g_assert_null (fws_driver_ping (f->driver, b126, &error));
  assert_refused (f, &error, FWS_ERROR_INVALID_ARGUMENT, "A ping payload has at most 125 bytes");
  /* An explicit payload does not take a counter value. */
  sent = fws_driver_ping (f->driver, mine, &error);
  g_assert_true (sent == mine);
  fws_test_assert_hex (f->out->data, f->out->len, "89 04 6d 69 6e 65");
}

static void
test_ping_counter (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) third = NULL;
  g_autoptr(GBytes) explicit = str_bytes ("x");
  g_autoptr(GBytes) other = NULL;

  g_test_summary ("Pings without a payload take the next value of one counter per connection, "
                  "\"1\", \"2\", \"3\": the keepalive and the application, which both leave the "
                  "choice to the driver, never send the same payload, also when queued before open");
  first = fws_driver_ping (f->driver, NULL, NULL);       /* queued while connecting */
  g_assert_cmpuint (f->out->len, ==, 0);
  fws_driver_start (f->driver);
  clear_out (f);
  second = fws_driver_ping (f->driver, NULL, NULL);      /* e.g. the keepalive timer */
  other = fws_driver_ping (f->driver, explicit, NULL);
  third = fws_driver_ping (f->driver, NULL, NULL);       /* e.g. ping_async (NULL) */
  g_assert_cmpmem (g_bytes_get_data (first, NULL), g_bytes_get_size (first), "1", 1);
  g_assert_cmpmem (g_bytes_get_data (second, NULL), g_bytes_get_size (second), "2", 1);
  g_assert_cmpmem (g_bytes_get_data (third, NULL), g_bytes_get_size (third), "3", 1);
  fws_test_assert_hex (f->out->data, f->out->len, "89 01 32 89 01 78 89 01 33");
  /* A second connection counts from 1 again. */
  reopen (f);
  g_clear_pointer (&first, g_bytes_unref);
  first = fws_driver_ping (f->driver, NULL, NULL);
  fws_test_assert_hex (f->out->data, f->out->len, "89 01 31");
}

static void
test_closed_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) hi = str_bytes ("Hi");
  g_autoptr(GBytes) bad = g_bytes_new_static ("\xff", 1);
  static const char closed[] = "The connection is closing or closed";

  g_test_summary ("Once closing or closed, send, ping and close fail with CLOSED and write nothing; "
                  "bad arguments are still reported as such first");
  for (guint round = 0; round < 2; round++)
    {
      if (round == 0)
        g_assert_true (fws_driver_close (f->driver, 1000, NULL, NULL));    /* CLOSING */
      else
        parse_close (f, 1000, NULL);                                       /* CLOSED */
      clear_out (f);
      g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hi, &error));
      assert_refused (f, &error, FWS_ERROR_CLOSED, closed);
      g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_BINARY, hi, &error));
      assert_refused (f, &error, FWS_ERROR_CLOSED, closed);
      g_assert_null (fws_driver_ping (f->driver, NULL, &error));
      assert_refused (f, &error, FWS_ERROR_CLOSED, closed);
      g_assert_false (fws_driver_close (f->driver, 1000, "", &error));
      assert_refused (f, &error, FWS_ERROR_CLOSED, closed);
      g_assert_false (fws_driver_close (f->driver, 1005, "", &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
      g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, bad, &error));
      assert_refused (f, &error, FWS_ERROR_INVALID_UTF8, "Text messages must be valid UTF-8");
    }
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
}

static void
test_abort (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) hi = str_bytes ("Hi");

  g_test_summary ("abort closes at once without an event or a byte; commands then fail with CLOSED");
  fws_driver_abort (f->driver);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (f->events->len, ==, 0);
  g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hi, &error));
  assert_refused (f, &error, FWS_ERROR_CLOSED, "The connection is closing or closed");
  parse_masked (f, 0x81, "late", 4);
  g_assert_cmpuint (f->events->len, ==, 0);
  g_assert_cmpuint (f->out->len, ==, 0);
}

/* The .mo files of the build; main() points FWS_LOCALEDIR at them before
 * the first driver binds the text domain. */
static gboolean have_german;

static void
test_wire_reason_english (Fixture *f, gconstpointer data)
{
  g_autofree char *saved_locale = g_strdup (setlocale (LC_ALL, NULL));

  g_test_summary ("Under LANGUAGE=de the error and close events carry the German message, and "
                  "the close frame the driver writes carries fixed English text (1009 and 1002)");
  if (!have_german)
    {
      g_test_skip ("no German catalog in the build tree");
      return;
    }
  g_setenv ("LANGUAGE", "de", TRUE);
  g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));

  parse_hex (f, "81 ff 00 00 00 00 40 00 00 00");
  /* "Message too big", not "Die Länge des WebSocket-Rahmens ist zu groß" */
  fws_test_assert_hex (f->out->data, f->out->len,
                       "88 11 03 f1 4d 65 73 73 61 67 65 20 74 6f 6f 20 62 69 67");
  EVENTS ("error:Die Länge des WebSocket-Rahmens ist zu groß",
          "close:1009:Die Länge des WebSocket-Rahmens ist zu groß");

  reopen (f);
  parse_hex (f, "81 05 48 65 6c 6c 6f");   /* unmasked */
  fws_test_assert_hex (f->out->data, f->out->len,
                       "88 10 03 ea 50 72 6f 74 6f 63 6f 6c 20 65 72 72 6f 72");
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_false (g_str_has_prefix (f->events->pdata[0], "error:Received unmasked frame"));

  setlocale (LC_ALL, saved_locale);
  g_unsetenv ("LANGUAGE");
}

/* ---- client ---- */

#define CLIENT_REQUEST \
  "GET /socket HTTP/1.1\r\nHost: www.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Key: 2vBVWg4Qyk3ZoM/5d3QD9Q==\r\nSec-WebSocket-Version: 13\r\n\r\n"
#define CLIENT_101 \
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\n\r\n"

static void
parse_str (Fixture *f, const char *s)
{
  fws_driver_parse (f->driver, (const guint8 *) s, strlen (s));
}

static void
test_client_start (Fixture *f, gconstpointer data)
{
  g_test_summary ("The client writes the exact request of client_spec");
  g_assert_true (fws_driver_start (f->driver));
  assert_out_str (f, CLIENT_REQUEST);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CONNECTING);
  g_assert_cmpuint (fws_driver_get_status (f->driver), ==, 0);
}

static void
test_client_open (Fixture *f, gconstpointer data)
{
  g_test_summary ("A valid response opens; status and headers are available; a frame in the same chunk is parsed");
  fws_driver_start (f->driver);
  parse_str (f, CLIENT_101 "\x81\x02Hi");
  EVENTS ("open", "message:text:Hi");
  g_assert_cmpuint (fws_driver_get_status (f->driver), ==, 101);
  g_assert_cmpstr (soup_message_headers_get_one (fws_driver_get_response_headers (f->driver), "Upgrade"), ==, "websocket");
}

static void
test_client_response_split (Fixture *f, gconstpointer data)
{
  g_test_summary ("A response arriving one byte at a time opens exactly once");
  fws_driver_start (f->driver);
  for (const char *p = CLIENT_101; *p; p++)
    fws_driver_parse (f->driver, (const guint8 *) p, 1);
  EVENTS ("open");
}

static void
test_client_masks (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) hello = str_bytes ("Hello");

  g_test_summary ("Client frames carry the mask key from the random source and a masked payload");
  fws_driver_start (f->driver);
  parse_str (f, CLIENT_101);
  clear_out (f);
  fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
  fws_test_assert_hex (f->out->data, f->out->len, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
}

static void
test_client_rejects_masked (Fixture *f, gconstpointer data)
{
  g_test_summary ("A masked frame reaching a client closes with 1002 (Decision 3)");
  fws_driver_start (f->driver);
  parse_str (f, CLIENT_101);
  g_ptr_array_set_size (f->events, 0);
  parse_hex (f, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_true (g_str_has_prefix (f->events->pdata[1], "close:1002:"));
}

static void
check_client_failure (Fixture *f, const char *response, const char *message)
{
  g_autofree char *err = g_strdup_printf ("error:Error during WebSocket handshake: %s", message);
  g_autofree char *cls = g_strdup_printf ("close:1006:Error during WebSocket handshake: %s", message);

  fws_driver_start (f->driver);
  parse_str (f, response);
  EVENTS (err, cls);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
}

static void
test_client_bad_status (Fixture *f, gconstpointer data)
{
  g_test_summary ("A malformed status line fails the handshake: error then close 1006");
  check_client_failure (f, "HTTP/1.1 4 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "Invalid HTTP response");
}

static void
test_client_bad_upgrade (Fixture *f, gconstpointer data)
{
  g_test_summary ("A wrong Upgrade header fails the handshake");
  check_client_failure (f, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: wrong\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\n\r\n",
                        "'Upgrade' header value is not 'WebSocket'");
}

static void
test_client_bad_accept (Fixture *f, gconstpointer data)
{
  g_test_summary ("A wrong Sec-WebSocket-Accept fails the handshake");
  check_client_failure (f, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: bad\r\n\r\n",
                        "Sec-WebSocket-Accept mismatch");
}

static void
test_client_non_101 (Fixture *f, gconstpointer data)
{
  g_test_summary ("A 403 answer fails the handshake and the status stays visible");
  check_client_failure (f, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", "Unexpected response code: 403");
  g_assert_cmpuint (fws_driver_get_status (f->driver), ==, 403);
}

static void
test_client_subprotocols (Fixture *f, gconstpointer data)
{
  g_autoptr(GUri) uri = g_uri_parse ("ws://www.example.com/socket", G_URI_FLAGS_NONE, NULL);
  const char *protocols[] = { "foo", "xmpp", NULL };

  g_test_summary ("The server's choice among our subprotocols is selected; one we did not offer fails");
  teardown (f, data);
  fixture_init (f);
  f->driver = fws_driver_new_client (&callbacks, f, uri, "2vBVWg4Qyk3ZoM/5d3QD9Q==", protocols, NULL, 1000);
  fws_driver_start (f->driver);
  g_assert_nonnull (memmem (f->out->data, f->out->len, "Sec-WebSocket-Protocol: foo, xmpp\r\n", 35));
  parse_str (f, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n");
  EVENTS ("open");
  g_assert_cmpstr (fws_driver_get_protocol (f->driver), ==, "xmpp");

  teardown (f, data);
  fixture_init (f);
  f->driver = fws_driver_new_client (&callbacks, f, uri, "2vBVWg4Qyk3ZoM/5d3QD9Q==", protocols, NULL, 1000);
  check_client_failure (f, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                        "Sec-WebSocket-Protocol mismatch");
  g_assert_null (fws_driver_get_protocol (f->driver));
}

static void
test_client_close_before_start (Fixture *f, gconstpointer data)
{
  g_test_summary ("close before start reports the code, writes nothing, and start then refuses");
  g_assert_true (fws_driver_close (f->driver, 1000, "", NULL));
  EVENTS ("close:1000:");
  g_assert_false (fws_driver_start (f->driver));
  g_assert_cmpuint (f->out->len, ==, 0);
}

static void
test_client_head_too_large (Fixture *f, gconstpointer data)
{
  GString *s = g_string_new ("HTTP/1.1 101 Switching Protocols\r\n");

  g_test_summary ("A response head past the size limit fails the handshake instead of growing memory");
  fws_driver_start (f->driver);
  while (s->len < FWS_HTTP_DEFAULT_MAX_HEAD + 100)
    g_string_append (s, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  parse_str (f, s->str);
  g_string_free (s, TRUE);
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_true (g_str_has_prefix (f->events->pdata[1], "close:1006:Error during WebSocket handshake: "));
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
}


/* ---- extensions ---- */

static void
add_ext (Fixture *f, gpointer extension)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fws_driver_add_extension (f->driver, FWS_EXTENSION (extension), &error));
  g_assert_no_error (error);
}

/* A server driver for a request offering @offer (nullable), with
 * permessage-deflate (with context takeover, as in RFC 7692's examples)
 * and x-reverse (RSV2) registered, started. */
static void
setup_server_ext (Fixture *f, const char *offer, TestExt **reverse_out)
{
  g_autoptr(SoupMessageHeaders) request = hybi_request ();
  g_autoptr(FwsPermessageDeflate) deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE,
                                                          "no-context-takeover", FALSE, NULL);
  g_autoptr(TestExt) reverse = test_ext_new ("x-reverse", FWS_RESERVED_BITS_RSV2, NULL);

  reverse->reverse = TRUE;
  if (offer != NULL)
    soup_message_headers_append (request, "Sec-WebSocket-Extensions", offer);
  setup_server_full (f, request, NULL, NULL, 1 << 20);
  add_ext (f, deflate);
  add_ext (f, reverse);
  if (reverse_out != NULL)
    *reverse_out = g_object_ref (reverse);
}

static void
test_ext_invalid_header (Fixture *f, gconstpointer data)
{
  g_autoptr(SoupMessageHeaders) request = hybi_request ();

  g_test_summary ("hybi_spec start, invalid extensions: the exact 400 (Content-Length 57), "
                  "error and close 1002, never open, closed (also with no extension registered)");
  soup_message_headers_append (request, "Sec-WebSocket-Extensions", "x-webkit- -frame");
  setup_server_full (f, request, NULL, NULL, 1000);
  g_assert_false (fws_driver_start (f->driver));
  assert_out_str (f, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 57\r\n\r\n"
                     "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  EVENTS ("error:Invalid Sec-WebSocket-Extensions header: x-webkit- -frame",
          "close:1002:Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
}

static void
test_ext_server_deflate (Fixture *f, gconstpointer data)
{
  g_test_summary ("A server answers permessage-deflate after the Accept header and then sends "
                  "RFC 7692's bytes: c1 07 f2 48 cd c9 c9 07 00, then the shorter takeover frame");
  setup_server_ext (f, "permessage-deflate; client_max_window_bits", NULL);
  g_assert_true (fws_driver_start (f->driver));
  assert_out_str (f, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: JdiiuafpBKRqD7eol0y4vJDTsTs=\r\n"
                     "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
  clear_out (f);
  {
    g_autoptr(GBytes) hello = str_bytes ("Hello");

    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
    fws_test_assert_hex (f->out->data, f->out->len, "c1 07 f2 48 cd c9 c9 07 00");
    clear_out (f);
    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
    fws_test_assert_hex (f->out->data, f->out->len, "c1 05 f2 00 11 00 00");
    clear_out (f);
    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_BINARY, NULL, NULL);
    fws_test_assert_hex (f->out->data, f->out->len, "c2 01 00");
  }
  /* Control frames never carry RSV bits. */
  clear_out (f);
  g_assert_true (ping (f, NULL, NULL));
  fws_test_assert_hex (f->out->data, f->out->len, "89 01 31");
}

static void
test_ext_server_inflates (Fixture *f, gconstpointer data)
{
  g_test_summary ("A server inflates a compressed message, also fragmented (RSV1 on the first frame "
                  "only), with context takeover; RSV1 on a continuation frame is a protocol error");
  setup_server_ext (f, "permessage-deflate", NULL);
  fws_driver_start (f->driver);
  g_ptr_array_set_size (f->events, 0);
  parse_masked (f, 0xc1, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  parse_masked (f, 0x41, "\xf2\x00", 2);
  parse_masked (f, 0x80, "\x11\x00\x00", 3);
  EVENTS ("message:text:Hello", "message:text:Hello");
  g_ptr_array_set_size (f->events, 0);
  parse_masked (f, 0x41, "\xf2", 1);
  parse_masked (f, 0xc0, "\x00", 1);
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_cmpstr (f->events->pdata[1], ==, "close:1002:One or more reserved bits are on: "
                                            "reserved1 = 1, reserved2 = 0, reserved3 = 0");
}

static void
test_ext_server_not_offered (Fixture *f, gconstpointer data)
{
  g_test_summary ("Registered but not offered: no header, no session, RSV1 closes with 1002");
  setup_server_ext (f, NULL, NULL);
  fws_driver_start (f->driver);
  assert_out_str (f, HYBI_101);
  g_assert_cmpuint (fws_extensions_get_n_active (fws_driver_get_extensions (f->driver)), ==, 0);
  g_ptr_array_set_size (f->events, 0);
  parse_masked (f, 0xc1, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_true (g_str_has_prefix (f->events->pdata[1], "close:1002:One or more reserved bits"));
}

static void
test_ext_server_order (Fixture *f, gconstpointer data)
{
  g_autoptr(TestExt) reverse = NULL;

  g_test_summary ("The server answers in registration order whatever the client's order; unknown "
                  "offers are skipped; outgoing goes deflate then x-reverse (RSV1|RSV2 on one frame), "
                  "incoming the reverse way");
  setup_server_ext (f, "x-reverse, x-unknown; a=1, permessage-deflate", &reverse);
  fws_driver_start (f->driver);
  g_assert_nonnull (g_strstr_len ((const char *) f->out->data, f->out->len,
                                  "\r\nSec-WebSocket-Extensions: permessage-deflate, x-reverse\r\n\r\n"));
  clear_out (f);
  {
    g_autoptr(GBytes) hello = str_bytes ("Hello");

    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
    /* f2 48 cd c9 c9 07 00 reversed, with RSV1 and RSV2. */
    fws_test_assert_hex (f->out->data, f->out->len, "e1 07 00 07 c9 c9 cd 48 f2");
  }
  g_ptr_array_set_size (f->events, 0);
  parse_masked (f, 0xe1, "\x00\x07\xc9\xc9\xcd\x48\xf2", 7);
  EVENTS ("message:text:Hello");
}

static void
test_ext_toy_reverse (Fixture *f, gconstpointer data)
{
  g_autoptr(TestExt) reverse = NULL;

  g_test_summary ("A toy x-reverse extension written in C with RSV2: negotiated, its frames "
                  "carry RSV2 and reversed bytes, text is validated after it ran (1007), RSV1 "
                  "stays forbidden");
  setup_server_ext (f, "x-reverse", &reverse);
  fws_driver_start (f->driver);
  g_assert_nonnull (g_strstr_len ((const char *) f->out->data, f->out->len,
                                  "Sec-WebSocket-Extensions: x-reverse\r\n\r\n"));
  clear_out (f);
  {
    g_autoptr(GBytes) hello = str_bytes ("Hello");

    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
    fws_test_assert_hex (f->out->data, f->out->len, "a1 05 6f 6c 6c 65 48");
  }
  g_ptr_array_set_size (f->events, 0);
  parse_masked (f, 0xa1, "olleH", 5);
  /* "é" reversed is not UTF-8 on the wire, but is once restored. */
  parse_masked (f, 0xa1, "\xa9\xc3", 2);
  /* A message without RSV2 passes untouched. */
  parse_masked (f, 0x81, "abc", 3);
  EVENTS ("message:text:Hello", "message:text:\xc3\xa9", "message:text:abc");
  g_ptr_array_set_size (f->events, 0);
  /* Valid UTF-8 on the wire that is invalid once reversed. */
  parse_masked (f, 0xa1, "\xc3\xa9", 2);
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_cmpstr (f->events->pdata[1], ==, "close:1007:Could not decode a text frame as UTF-8");
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  g_assert_cmpuint (reverse->n_closed, ==, 1);
}

static void
test_ext_runtime_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(TestExt) reverse = NULL;

  g_test_summary ("An extension failing on an established connection closes it with 1010, "
                  "'Extension failed' on the wire and '<name>: <message>' in error and close, "
                  "incoming or outgoing");
  setup_server_ext (f, "x-reverse", &reverse);
  fws_driver_start (f->driver);
  clear_out (f);
  g_ptr_array_set_size (f->events, 0);
  reverse->fail_incoming = TRUE;
  parse_masked (f, 0xa1, "olleH", 5);
  /* "Extension failed" */
  fws_test_assert_hex (f->out->data, f->out->len,
                       "88 12 03 f2 45 78 74 65 6e 73 69 6f 6e 20 66 61 69 6c 65 64");
  EVENTS ("error:x-reverse: boom", "close:1010:x-reverse: boom");

  teardown (f, data);
  g_clear_object (&reverse);
  setup_server_ext (f, "x-reverse", &reverse);
  fws_driver_start (f->driver);
  clear_out (f);
  g_ptr_array_set_size (f->events, 0);
  reverse->fail_outgoing = TRUE;
  {
    g_autoptr(GBytes) hello = str_bytes ("Hello");

    g_assert_false (fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL));
  }
  fws_test_assert_hex (f->out->data, 4, "88 12 03 f2");
  EVENTS ("error:x-reverse: boom", "close:1010:x-reverse: boom");
}

static void
test_ext_fifo (Fixture *f, gconstpointer data)
{
  g_autoptr(TestExt) reverse = NULL;

  g_test_summary ("Messages sent while connecting go through the extensions negotiated by the "
                  "handshake, in order, before open; a close right after sends goes out after them");
  setup_server_ext (f, "x-reverse", &reverse);
  {
    g_autoptr(GBytes) ab = str_bytes ("ab");
    g_autoptr(GBytes) cd = str_bytes ("cd");

    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, ab, NULL);
    g_assert_true (ping (f, NULL, NULL));
    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_BINARY, cd, NULL);
    fws_driver_start (f->driver);
    EVENTS ("open");
    g_byte_array_remove_range (f->out, 0, f->out->len - 11);
    fws_test_assert_hex (f->out->data, f->out->len, "a1 02 62 61 89 01 31 a2 02 64 63");
    clear_out (f);
    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, ab, NULL);
    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, cd, NULL);
    fws_driver_close (f->driver, 1000, "", NULL);
    fws_test_assert_hex (f->out->data, f->out->len, "a1 02 62 61 a1 02 64 63 88 02 03 e8");
  }
}

static void
test_ext_fifo_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(TestExt) reverse = NULL;

  g_test_summary ("A queued message that fails an extension at open fails the connection: "
                  "close 1010 and no open event after it");
  setup_server_ext (f, "x-reverse", &reverse);
  reverse->fail_outgoing = TRUE;
  {
    g_autoptr(GBytes) ab = str_bytes ("ab");

    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, ab, NULL);
    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, ab, NULL);
  }
  fws_driver_start (f->driver);
  EVENTS ("error:x-reverse: boom", "close:1010:x-reverse: boom");
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
}

static void
test_ext_add_after_start (Fixture *f, gconstpointer data)
{
  g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
  g_autoptr(GError) error = NULL;

  g_test_summary ("Extensions can only be added before start, and names must be unique");
  g_assert_true (fws_driver_add_extension (f->driver, FWS_EXTENSION (deflate), NULL));
  g_assert_false (fws_driver_add_extension (f->driver, FWS_EXTENSION (deflate), &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  fws_driver_start (f->driver);
  g_assert_false (fws_driver_add_extension (f->driver, FWS_EXTENSION (deflate), &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
}

/* ---- extensions, client side ---- */

/* With context takeover, as in RFC 7692's examples. */
static void
setup_client_ext (Fixture *f, gconstpointer data)
{
  g_autoptr(FwsPermessageDeflate) deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE,
                                                          "no-context-takeover", FALSE, NULL);

  setup_client (f, data);
  add_ext (f, deflate);
}

/* Like check_client_failure, for a failure of the extension negotiation. */
static void
check_client_ext_failure (Fixture *f, const char *response, const char *message)
{
  g_autofree char *err = g_strdup_printf ("error:Error during WebSocket handshake: %s", message);
  g_autofree char *cls = g_strdup_printf ("close:1006:Error during WebSocket handshake: %s", message);

  fws_driver_start (f->driver);
  clear_out (f);
  parse_str (f, response);
  EVENTS (err, cls);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_EXTENSION);
  g_assert_cmpint (fws_driver_get_state (f->driver), ==, FWS_READY_STATE_CLOSED);
  /* Nothing is written: the connection never opened. */
  g_assert_cmpuint (f->out->len, ==, 0);
}

#define CLIENT_REQUEST_DEFLATE \
  "GET /socket HTTP/1.1\r\nHost: www.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Key: 2vBVWg4Qyk3ZoM/5d3QD9Q==\r\nSec-WebSocket-Version: 13\r\n" \
  "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
#define CLIENT_101_HEAD \
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\n"

static void
test_ext_client_offer (Fixture *f, gconstpointer data)
{
  FwsDeflateConfig config;

  g_test_summary ("A client offers its extensions last in the request, activates the server's "
                  "choice and masks compressed frames");
  fws_driver_start (f->driver);
  assert_out_str (f, CLIENT_REQUEST_DEFLATE);
  clear_out (f);
  {
    /* The head and a frame in one chunk (the frame holds a NUL byte). */
    static const char chunk[] = CLIENT_101_HEAD
      "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n"
      "\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00";

    fws_driver_parse (f->driver, (const guint8 *) chunk, sizeof chunk - 1);
  }
  EVENTS ("open", "message:text:Hello");
  g_assert_true (fws_permessage_deflate_session_get_config (
                   fws_extensions_get_active_session (fws_driver_get_extensions (f->driver), 0), &config));
  g_assert_cmpuint (config.peer_window, ==, 10);
  {
    g_autoptr(GBytes) hello = str_bytes ("Hello");

    fws_driver_send (f->driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL);
    /* Key 37 fa 21 3d over f2 48 cd c9 c9 07 00. */
    fws_test_assert_hex (f->out->data, f->out->len, "c1 87 37 fa 21 3d c5 b2 ec f4 fe fd 21");
  }
}

static void
test_ext_client_no_header (Fixture *f, gconstpointer data)
{
  g_test_summary ("A server that accepts no extension: the client opens without any, RSV1 is refused");
  fws_driver_start (f->driver);
  parse_str (f, CLIENT_101);
  EVENTS ("open");
  g_assert_cmpuint (fws_extensions_get_n_active (fws_driver_get_extensions (f->driver)), ==, 0);
}

static void
test_ext_client_unknown (Fixture *f, gconstpointer data)
{
  g_test_summary ("A response naming an extension the client did not offer fails the handshake "
                  "(error, close 1006, never open)");
  check_client_ext_failure (f, CLIENT_101_HEAD "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n",
                        "Server sent an extension response for unknown extension “x-webkit-deflate-frame”");
}

static void
test_ext_client_none_offered (Fixture *f, gconstpointer data)
{
  g_test_summary ("With no extension offered, any extension in the response fails the handshake");
  check_client_ext_failure (f, CLIENT_101_HEAD "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
                        "Server sent an extension response for unknown extension “permessage-deflate”");
}

static void
test_ext_client_unacceptable (Fixture *f, gconstpointer data)
{
  g_test_summary ("Parameters the client cannot accept, or a malformed header, fail the handshake");
  check_client_ext_failure (f, CLIENT_101_HEAD "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=20\r\n\r\n",
                        "Server sent unacceptable extension parameters: permessage-deflate; server_max_window_bits=20");
  teardown (f, data);
  setup_client_ext (f, data);
  check_client_ext_failure (f, CLIENT_101_HEAD "Sec-WebSocket-Extensions: permessage-deflate;\r\n\r\n",
                        "Invalid Sec-WebSocket-Extensions header: permessage-deflate;");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  {
    /* Before any driver binds the text domain (test_wire_reason_english). */
    g_autofree char *po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
    g_autofree char *mo = g_build_filename (po, "de", "LC_MESSAGES", "fws-glib-1.0.mo", NULL);

    have_german = g_file_test (mo, G_FILE_TEST_EXISTS);
    if (have_german && g_getenv ("FWS_LOCALEDIR") == NULL)
      g_setenv ("FWS_LOCALEDIR", po, TRUE);
  }

#define S(path, fn) g_test_add ("/driver/server/" path, Fixture, NULL, setup_server, fn, teardown)
#define O(path, fn) g_test_add ("/driver/server-open/" path, Fixture, NULL, setup_server_open, fn, teardown)
#define C(path, fn) g_test_add ("/driver/client/" path, Fixture, NULL, setup_client, fn, teardown)
  S ("start", test_server_start);
  g_test_add ("/driver/server/subprotocol", Fixture, NULL, NULL, test_server_subprotocol, teardown);
  g_test_add ("/driver/server/custom-headers", Fixture, NULL, NULL, test_server_custom_headers, teardown);
  g_test_add ("/driver/server/bad-version", Fixture, NULL, NULL, test_server_bad_version, teardown);
  S ("queue-before-open", test_server_queue_before_open);
  S ("close-connecting", test_server_close_connecting);
  O ("parse-masked-text", test_parse_masked_text);
  O ("echo-from-callback", test_echo_from_callback);
  O ("parse-multibyte-split", test_parse_multibyte_split);
  O ("parse-medium", test_parse_medium);
  O ("unrecognized-opcode", test_unrecognized_opcode);
  O ("receive-close", test_receive_close);
  O ("receive-empty-close", test_receive_empty_close);
  O ("receive-bad-close", test_receive_bad_close);
  O ("too-large", test_too_large);
  O ("unmasked-frame", test_unmasked_frame);
  O ("ping-answered", test_ping_answered);
  O ("pong-reported", test_pong_reported);
  O ("frame-output", test_frame_output);
  O ("close-output", test_close_output);
  O ("closing-state", test_closing_state);
  O ("close-codes", test_close_codes);
  O ("receive-close-codes", test_receive_close_codes);
  O ("close-reason-rules", test_close_reason_rules);
  O ("send-rules", test_send_rules);
  O ("ping-rules", test_ping_rules);
  O ("closed-refusals", test_closed_refusals);
  O ("abort", test_abort);
  O ("wire-reason-english", test_wire_reason_english);
  S ("ping-counter", test_ping_counter);
  C ("start", test_client_start);
  C ("open", test_client_open);
  C ("response-split", test_client_response_split);
  C ("masks", test_client_masks);
  C ("rejects-masked", test_client_rejects_masked);
  C ("bad-status", test_client_bad_status);
  C ("bad-upgrade", test_client_bad_upgrade);
  C ("bad-accept", test_client_bad_accept);
  C ("non-101", test_client_non_101);
  C ("subprotocols", test_client_subprotocols);
  C ("close-before-start", test_client_close_before_start);
  C ("head-too-large", test_client_head_too_large);
  g_test_add ("/driver/extensions/invalid-header", Fixture, NULL, NULL, test_ext_invalid_header, teardown);
  g_test_add ("/driver/extensions/server-deflate", Fixture, NULL, NULL, test_ext_server_deflate, teardown);
  g_test_add ("/driver/extensions/server-inflates", Fixture, NULL, NULL, test_ext_server_inflates, teardown);
  g_test_add ("/driver/extensions/server-not-offered", Fixture, NULL, NULL, test_ext_server_not_offered, teardown);
  g_test_add ("/driver/extensions/server-order", Fixture, NULL, NULL, test_ext_server_order, teardown);
  g_test_add ("/driver/extensions/toy-reverse", Fixture, NULL, NULL, test_ext_toy_reverse, teardown);
  g_test_add ("/driver/extensions/runtime-failure", Fixture, NULL, NULL, test_ext_runtime_failure, teardown);
  g_test_add ("/driver/extensions/fifo", Fixture, NULL, NULL, test_ext_fifo, teardown);
  g_test_add ("/driver/extensions/fifo-failure", Fixture, NULL, NULL, test_ext_fifo_failure, teardown);
  S ("extensions/add-after-start", test_ext_add_after_start);
  g_test_add ("/driver/client/extensions/offer", Fixture, NULL, setup_client_ext, test_ext_client_offer, teardown);
  g_test_add ("/driver/client/extensions/no-header", Fixture, NULL, setup_client_ext, test_ext_client_no_header, teardown);
  g_test_add ("/driver/client/extensions/unknown", Fixture, NULL, setup_client_ext, test_ext_client_unknown, teardown);
  C ("extensions/none-offered", test_ext_client_none_offered);
  g_test_add ("/driver/client/extensions/unacceptable", Fixture, NULL, setup_client_ext, test_ext_client_unacceptable, teardown);
#undef S
#undef O
#undef C

  return g_test_run ();
}
