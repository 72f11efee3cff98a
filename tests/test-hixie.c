/* test-hixie.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * hixie-75 and hixie-76, byte for byte: websocket-driver's draft75/76
 * examples (BEHAVIOUR.md 6.2-6.4, 6.11) and the bounds faye lacked.
 */
#include "test-utils.h"

#include <string.h>

#include "fws-driver-private.h"
#include "fws-hixie-private.h"

#define KEY1 "1   38 wZ3f9 23O0 3l 0r"
#define KEY2 "27   0E 6 2  1665:< ;U 1H"

static SoupMessageHeaders *
request (gboolean v76)
{
  SoupMessageHeaders *h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  soup_message_headers_append (h, "Connection", "Upgrade");
  soup_message_headers_append (h, "Upgrade", "WebSocket");
  soup_message_headers_append (h, "Origin", "http://www.example.com");
  if (v76)
    {
      soup_message_headers_append (h, "Sec-WebSocket-Key1", KEY1);
      soup_message_headers_append (h, "Sec-WebSocket-Key2", KEY2);
    }
  return h;
}

static void
test_detect (void)
{
  g_autoptr(SoupMessageHeaders) h75 = request (FALSE);
  g_autoptr(SoupMessageHeaders) h76 = request (TRUE);
  g_autoptr(SoupMessageHeaders) hybi = request (FALSE);

  g_test_summary ("Version headers or a key mean hybi; Key1/Key2 mean hixie-76; neither means hixie-75");
  soup_message_headers_append (hybi, "Sec-WebSocket-Version", "13");
  g_assert_cmpint (fws_hixie_detect (h75), ==, FWS_WS_VERSION_HIXIE_75);
  g_assert_cmpint (fws_hixie_detect (h76), ==, FWS_WS_VERSION_HIXIE_76);
  g_assert_cmpint (fws_hixie_detect (hybi), ==, FWS_WS_VERSION_HYBI_13);
  g_assert_cmpstr (fws_ws_version_to_string (FWS_WS_VERSION_HIXIE_75), ==, "hixie-75");
  g_assert_cmpstr (fws_ws_version_to_string (FWS_WS_VERSION_HIXIE_76), ==, "hixie-76");
  g_assert_cmpstr (fws_ws_version_to_string (FWS_WS_VERSION_HYBI_13), ==, "hybi-13");
}

static void
test_key_values (void)
{
  guint32 v = 0;

  g_test_summary ("Key numbers: digits divided by spaces, with every overflow and remainder refused");
  g_assert_true (fws_hixie_key_value (KEY1, &v));
  g_assert_cmpuint (v, ==, 197703290);
  g_assert_true (fws_hixie_key_value (KEY2, &v));
  g_assert_cmpuint (v, ==, 300690739);
  /* 2785899415 mod 4 = 3 */
  g_assert_false (fws_hixie_key_value ("2 L785 8o% s9Sy9@V. 4<1P5", &v));
  /* no spaces, no digits */
  g_assert_false (fws_hixie_key_value ("12345", &v));
  g_assert_false (fws_hixie_key_value ("  ab  ", &v));
  /* the quotient must fit 32 bits */
  g_assert_false (fws_hixie_key_value ("4294967296 ", &v));
  g_assert_true (fws_hixie_key_value ("4294967295 ", &v));
  g_assert_cmpuint (v, ==, 4294967295u);
  /* digits beyond 64 bits */
  g_assert_false (fws_hixie_key_value ("1 8446744073709551616000000", &v));
}

static void
test_answer (void)
{
  static const guint8 key3[8] = { 0x91, 0x25, 0x3e, 0xd3, 0xa9, 0xe7, 0x6a, 0x88 };
  guint8 out[16];

  g_test_summary ("The 16-byte challenge answer of draft76_spec");
  fws_hixie76_answer (197703290, 300690739, key3, out);
  fws_test_assert_hex (out, 16, "b4 9c 6e 40 53 04 04 26 e5 1b bf 6c b7 9f 1d f9");
}

static void
test_check_keys (void)
{
  g_autoptr(SoupMessageHeaders) good = request (TRUE);
  g_autoptr(SoupMessageHeaders) missing = request (FALSE);
  g_autoptr(SoupMessageHeaders) bad = request (FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  static const char want400[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 45\r\n\r\n"
    "Client sent invalid Sec-WebSocket-Key headers";
  guint32 v1, v2;

  g_test_summary ("Missing or invalid keys are refused with faye's messages and the exact 400");
  g_assert_true (fws_hixie76_check_keys (good, &v1, &v2, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v1, ==, 197703290);
  g_assert_cmpuint (v2, ==, 300690739);

  soup_message_headers_append (missing, "Sec-WebSocket-Key2", KEY2);
  g_assert_false (fws_hixie76_check_keys (missing, &v1, &v2, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (error->message, ==, "Missing required header: Sec-WebSocket-Key1");
  g_clear_error (&error);

  soup_message_headers_append (bad, "Sec-WebSocket-Key1", "2 L785 8o% s9Sy9@V. 4<1P5");
  soup_message_headers_append (bad, "Sec-WebSocket-Key2", KEY2);
  g_assert_false (fws_hixie76_check_keys (bad, &v1, &v2, &response, &error));
  g_assert_cmpstr (error->message, ==, "Client sent invalid Sec-WebSocket-Key headers");
  /* draft76_spec: the exact 400 */
  g_assert_cmpmem (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                   want400, strlen (want400));
}

static void
test_responses (void)
{
  g_autoptr(SoupMessageHeaders) h75 = request (FALSE);
  g_autoptr(SoupMessageHeaders) h76 = request (TRUE);
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GBytes) r75 = NULL;
  g_autoptr(GBytes) r76 = NULL;
  g_autoptr(GBytes) rx = NULL;
  static const char want75[] =
    "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
    "WebSocket-Origin: http://www.example.com\r\nWebSocket-Location: ws://www.example.com/socket\r\n\r\n";
  static const char want76[] =
    "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Origin: http://www.example.com\r\nSec-WebSocket-Location: ws://www.example.com/socket\r\n\r\n";
  static const char wantx[] =
    "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
    "WebSocket-Origin: http://www.example.com\r\nWebSocket-Location: ws://www.example.com/socket\r\n"
    "X-Custom: yes\r\n\r\n";

  g_test_summary ("The exact handshake answers of draft75_spec and draft76_spec; custom headers follow, reserved ones are dropped");
  r75 = fws_hixie_response (FWS_WS_VERSION_HIXIE_75, "ws://www.example.com/socket", NULL, h75, NULL);
  g_assert_cmpmem (g_bytes_get_data (r75, NULL), g_bytes_get_size (r75), want75, strlen (want75));
  r76 = fws_hixie_response (FWS_WS_VERSION_HIXIE_76, "ws://www.example.com/socket", NULL, h76, NULL);
  g_assert_cmpmem (g_bytes_get_data (r76, NULL), g_bytes_get_size (r76), want76, strlen (want76));
  soup_message_headers_append (extra, "X-Custom", "yes");
  soup_message_headers_append (extra, "Upgrade", "evil");
  soup_message_headers_append (extra, "WebSocket-Location", "ws://evil/");
  /* A 101 has no body (found by fuzz-handshake-server). */
  soup_message_headers_append (extra, "Content-Length", "42");
  soup_message_headers_append (extra, "Transfer-Encoding", "chunked");
  rx = fws_hixie_response (FWS_WS_VERSION_HIXIE_75, "ws://www.example.com/socket", NULL, h75, extra);
  g_assert_cmpmem (g_bytes_get_data (rx, NULL), g_bytes_get_size (rx), wantx, strlen (wantx));
}

static void
test_select_protocol (void)
{
  static const char * const ours[] = { "superchat", "chat", NULL };
  g_autoptr(SoupMessageHeaders) h76 = request (TRUE);
  g_autoptr(SoupMessageHeaders) h75 = request (FALSE);
  g_autoptr(GBytes) r76 = NULL;
  g_autoptr(GBytes) r75 = NULL;
  g_autofree char *p76 = NULL;
  g_autofree char *p75 = NULL;
  static const char want76[] =
    "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Origin: http://www.example.com\r\nSec-WebSocket-Location: ws://www.example.com/socket\r\n"
    "Sec-WebSocket-Protocol: chat\r\n\r\n";
  static const char want75[] =
    "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
    "WebSocket-Origin: http://www.example.com\r\nWebSocket-Location: ws://www.example.com/socket\r\n"
    "WebSocket-Protocol: chat\r\n\r\n";

  g_test_summary ("A hixie request's subprotocol is chosen when the server has it, and the answer "
                  "echoes it after the Location line (hixie-76: Sec-WebSocket-Protocol, "
                  "hixie-75: WebSocket-Protocol)");
  soup_message_headers_append (h76, "Sec-WebSocket-Protocol", "chat");
  soup_message_headers_append (h75, "WebSocket-Protocol", "chat");
  p76 = fws_hixie_select_protocol (FWS_WS_VERSION_HIXIE_76, h76, ours);
  p75 = fws_hixie_select_protocol (FWS_WS_VERSION_HIXIE_75, h75, ours);
  g_assert_cmpstr (p76, ==, "chat");
  g_assert_cmpstr (p75, ==, "chat");
  r76 = fws_hixie_response (FWS_WS_VERSION_HIXIE_76, "ws://www.example.com/socket", p76, h76, NULL);
  g_assert_cmpmem (g_bytes_get_data (r76, NULL), g_bytes_get_size (r76), want76, strlen (want76));
  r75 = fws_hixie_response (FWS_WS_VERSION_HIXIE_75, "ws://www.example.com/socket", p75, h75, NULL);
  g_assert_cmpmem (g_bytes_get_data (r75, NULL), g_bytes_get_size (r75), want75, strlen (want75));

  /* Not ours, no list of ours, the other draft's header, or a list. */
  g_assert_null (fws_hixie_select_protocol (FWS_WS_VERSION_HIXIE_76, h76, (const char *[]) { "xmpp", NULL }));
  g_assert_null (fws_hixie_select_protocol (FWS_WS_VERSION_HIXIE_76, h76, NULL));
  g_assert_null (fws_hixie_select_protocol (FWS_WS_VERSION_HIXIE_76, h75, ours));
  soup_message_headers_replace (h76, "Sec-WebSocket-Protocol", "superchat, chat");
  g_assert_null (fws_hixie_select_protocol (FWS_WS_VERSION_HIXIE_76, h76, ours));
}

/* ---- framing ---- */

typedef struct
{
  FwsHixieParser *parser;
  GPtrArray      *messages;
  guint           closes;
  gboolean        stop_in_callback;
} P;

static void
p_message (gpointer user_data, GBytes *payload)
{
  P *p = user_data;
  gsize len;
  const char *data = g_bytes_get_data (payload, &len);

  g_assert_cmpint (data[len], ==, '\0');
  g_ptr_array_add (p->messages, g_strndup (data, len));
  if (p->stop_in_callback)
    fws_hixie_parser_stop (p->parser);
}

static void
p_close (gpointer user_data)
{
  P *p = user_data;

  p->closes++;
}

static const FwsHixieCallbacks p_callbacks = { p_message, p_close };

static void
p_init (P *p, FwsWsVersion version, guint64 max_length)
{
  p->parser = fws_hixie_parser_new (version, max_length, &p_callbacks, p);
  p->messages = g_ptr_array_new_with_free_func (g_free);
  p->closes = 0;
  p->stop_in_callback = FALSE;
}

static void
p_clear (P *p)
{
  fws_hixie_parser_free (p->parser);
  g_ptr_array_unref (p->messages);
}

static gboolean
p_feed_hex (P *p, const char *hex, GError **error)
{
  g_autoptr(GBytes) b = fws_test_hex (hex);

  return fws_hixie_parser_feed (p->parser, g_bytes_get_data (b, NULL), g_bytes_get_size (b), error);
}

static void
assert_messages (P *p, const char * const *want)
{
  g_assert_cmpuint (p->messages->len, ==, g_strv_length ((char **) want));
  for (guint i = 0; want[i]; i++)
    g_assert_cmpstr (p->messages->pdata[i], ==, want[i]);
}

#define MESSAGES(p, ...) assert_messages (p, (const char *[]) { __VA_ARGS__, NULL })
#define APPLE "Apple = \xef\xa3\xbf"

static void
test_parse_examples (void)
{
  static const FwsWsVersion versions[] = { FWS_WS_VERSION_HIXIE_75, FWS_WS_VERSION_HIXIE_76 };

  g_test_summary ("draft75_examples parse cases, for both drafts: text frames, several per packet, 0x00-0x7F starts, length frames ignored, multibyte, split packets");
  for (guint v = 0; v < G_N_ELEMENTS (versions); v++)
    {
      P p;
      GError *error = NULL;

      p_init (&p, versions[v], 1000);
      g_assert_true (p_feed_hex (&p, "00 48 65 6c 6c 6f ff", &error));
      g_assert_true (p_feed_hex (&p, "00 48 65 6c 6c 6f ff 00 48 65 6c 6c 6f ff", &error));
      g_assert_true (p_feed_hex (&p, "66 48 65 6c 6c 6f ff", &error));
      g_assert_true (p_feed_hex (&p, "80 02 48 65 00 48 65 6c 6c 6f ff", &error));
      g_assert_true (p_feed_hex (&p, "00 41 70 70 6c 65 20 3d 20 ef a3 bf ff", &error));
      g_assert_true (p_feed_hex (&p, "00 41 70 70 6c 65", &error));
      g_assert_true (p_feed_hex (&p, "20 3d 20 ef a3 bf ff", &error));
      g_assert_true (p_feed_hex (&p, "00 48 65 6c", &error));
      g_assert_true (p_feed_hex (&p, "6c 6f ff", &error));
      g_assert_no_error (error);
      MESSAGES (&p, "Hello", "Hello", "Hello", "Hello", "Hello", APPLE, APPLE, "Hello");
      p_clear (&p);
    }
}

static void
test_parse_byte_at_a_time (void)
{
  static const char stream[] = "\x00Hello\xff\x81\x01Z\x00" APPLE "\xff";
  P p;

  g_test_summary ("A stream fed one byte at a time gives the same messages");
  p_init (&p, FWS_WS_VERSION_HIXIE_76, 1000);
  for (gsize i = 0; i < sizeof stream - 1; i++)
    g_assert_true (fws_hixie_parser_feed (p.parser, (const guint8 *) stream + i, 1, NULL));
  MESSAGES (&p, "Hello", APPLE);
  p_clear (&p);
}

static void
test_close_frame (void)
{
  P p;

  g_test_summary ("0xFF 0x00 closes a hixie-76 connection; for hixie-75 it is an empty length frame");
  p_init (&p, FWS_WS_VERSION_HIXIE_76, 1000);
  g_assert_true (p_feed_hex (&p, "00 48 69 ff ff 00 00 48 69 ff", NULL));
  MESSAGES (&p, "Hi");
  g_assert_cmpuint (p.closes, ==, 1);
  p_clear (&p);

  p_init (&p, FWS_WS_VERSION_HIXIE_75, 1000);
  g_assert_true (p_feed_hex (&p, "00 48 69 ff ff 00 00 48 69 ff", NULL));
  MESSAGES (&p, "Hi", "Hi");
  g_assert_cmpuint (p.closes, ==, 0);
  p_clear (&p);
}

static void
test_endless_length (void)
{
  P p;
  g_autofree guint8 *flood = g_malloc (1024 * 1024);
  GError *error = NULL;

  g_test_summary ("An endless length prefix fails with TOO_LARGE as soon as it passes max-length, instead of growing (CVE-2026-54466)");
  p_init (&p, FWS_WS_VERSION_HIXIE_75, 1 << 20);
  memset (flood, 0xFF, 1024 * 1024);
  flood[0] = 0x80;
  g_assert_false (fws_hixie_parser_feed (p.parser, flood, 1024 * 1024, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* Everything after is ignored. */
  g_assert_true (p_feed_hex (&p, "00 48 69 ff", NULL));
  g_assert_cmpuint (p.messages->len, ==, 0);
  p_clear (&p);

  /* Just at the limit a length frame is skipped, and parsing goes on. */
  p_init (&p, FWS_WS_VERSION_HIXIE_75, 3);
  g_assert_true (p_feed_hex (&p, "80 03 01 02 03 00 48 69 ff", NULL));
  MESSAGES (&p, "Hi");
  g_assert_false (p_feed_hex (&p, "80 04", &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  p_clear (&p);
}

static void
test_text_limits (void)
{
  P p;
  GError *error = NULL;

  g_test_summary ("A text frame past max-length fails before growing further; invalid UTF-8 fails at the bad byte");
  p_init (&p, FWS_WS_VERSION_HIXIE_75, 4);
  g_assert_true (p_feed_hex (&p, "00 61 62 63 64 ff", NULL));
  g_assert_false (p_feed_hex (&p, "00 61 62 63 64 65", &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);
  MESSAGES (&p, "abcd");
  p_clear (&p);

  p_init (&p, FWS_WS_VERSION_HIXIE_76, 100);
  g_assert_false (p_feed_hex (&p, "00 61 c3 28", &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  g_clear_error (&error);
  p_clear (&p);

  p_init (&p, FWS_WS_VERSION_HIXIE_76, 100);
  g_assert_false (p_feed_hex (&p, "00 61 c3 ff", &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  g_clear_error (&error);
  p_clear (&p);
}

static void
test_stop_in_callback (void)
{
  P p;

  g_test_summary ("A callback may stop the parser; the rest of the input is ignored");
  p_init (&p, FWS_WS_VERSION_HIXIE_75, 100);
  p.stop_in_callback = TRUE;
  g_assert_true (p_feed_hex (&p, "00 48 69 ff 00 48 69 ff", NULL));
  MESSAGES (&p, "Hi");
  p_clear (&p);
}

static void
test_text_frame (void)
{
  g_autoptr(GBytes) hello = fws_hixie_text_frame ((const guint8 *) "Hello", 5);
  g_autoptr(GBytes) apple = fws_hixie_text_frame ((const guint8 *) APPLE, strlen (APPLE));

  g_test_summary ("Text frames are 0x00, the UTF-8 bytes and 0xFF");
  fws_test_assert_hex (g_bytes_get_data (hello, NULL), g_bytes_get_size (hello), "00 48 65 6c 6c 6f ff");
  fws_test_assert_hex (g_bytes_get_data (apple, NULL), g_bytes_get_size (apple),
                       "00 41 70 70 6c 65 20 3d 20 ef a3 bf ff");
}

/* ---- through the driver (draft75_spec, draft76_spec) ---- */

typedef struct
{
  FwsDriver  *driver;
  GByteArray *out;
  GPtrArray  *events;
} D;

static void d_write (gpointer u, const guint8 *data, gsize len) { g_byte_array_append (((D *) u)->out, data, (guint) len); }
static void
d_write_frame (gpointer u, const guint8 *h, gsize hl, GBytes *p)
{
  g_byte_array_append (((D *) u)->out, h, (guint) hl);
  g_byte_array_append (((D *) u)->out, g_bytes_get_data (p, NULL), (guint) g_bytes_get_size (p));
}
static void d_random (gpointer u, guint8 *buf, gsize len) { memset (buf, 0, len); }
static void d_open (gpointer u) { g_ptr_array_add (((D *) u)->events, g_strdup ("open")); }
static void
d_message (gpointer u, FwsMessageType type, GBytes *data)
{
  g_ptr_array_add (((D *) u)->events, g_strdup_printf ("message:%.*s", (int) g_bytes_get_size (data),
                                                       (const char *) g_bytes_get_data (data, NULL)));
}
static void d_ping (gpointer u, GBytes *p) { g_ptr_array_add (((D *) u)->events, g_strdup ("ping")); }
static void d_pong (gpointer u, GBytes *p) { g_ptr_array_add (((D *) u)->events, g_strdup ("pong")); }
static void d_error (gpointer u, const GError *e) { g_ptr_array_add (((D *) u)->events, g_strdup_printf ("error:%s", e->message)); }
static void d_close (gpointer u, guint code, const char *reason) { g_ptr_array_add (((D *) u)->events, g_strdup_printf ("close:%u", code)); }

static const FwsDriverCallbacks d_callbacks = {
  d_write, d_write_frame, d_random, d_open, d_message, d_ping, d_pong, d_error, d_close,
};

static void
d_init_full (D *d, SoupMessageHeaders *h, const char * const *protocols)
{
  d->out = g_byte_array_new ();
  d->events = g_ptr_array_new_with_free_func (g_free);
  d->driver = fws_driver_new_server (&d_callbacks, d, "GET", h, protocols, NULL, 1000);
  fws_driver_set_url (d->driver, "ws://www.example.com/socket");
}

static void
d_init (D *d, SoupMessageHeaders *h)
{
  d_init_full (d, h, NULL);
}

static void
d_clear (D *d)
{
  fws_driver_free (d->driver);
  g_byte_array_unref (d->out);
  g_ptr_array_unref (d->events);
}

static void
d_events (D *d, const char * const *want)
{
  g_assert_cmpuint (d->events->len, ==, g_strv_length ((char **) want));
  for (guint i = 0; want[i]; i++)
    g_assert_cmpstr (d->events->pdata[i], ==, want[i]);
}

#define D_EVENTS(d, ...) d_events (d, (const char *[]) { __VA_ARGS__, NULL })

static void
d_parse_hex (D *d, const char *hex)
{
  g_autoptr(GBytes) b = fws_test_hex (hex);

  fws_driver_parse (d->driver, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

#define HEAD75 \
  "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" \
  "WebSocket-Origin: http://www.example.com\r\nWebSocket-Location: ws://www.example.com/socket\r\n\r\n"
#define HEAD76 \
  "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n" \
  "Sec-WebSocket-Origin: http://www.example.com\r\nSec-WebSocket-Location: ws://www.example.com/socket\r\n\r\n"
#define ANSWER "b4 9c 6e 40 53 04 04 26 e5 1b bf 6c b7 9f 1d f9"
#define KEY3 "91 25 3e d3 a9 e7 6a 88"

static void
assert_out (D *d, const char *head, const char *hex)
{
  g_assert_cmpuint (d->out->len, >=, strlen (head));
  g_assert_cmpmem (d->out->data, strlen (head), head, strlen (head));
  fws_test_assert_hex (d->out->data + strlen (head), d->out->len - strlen (head), hex);
}

static void
test_driver_hixie75 (void)
{
  g_autoptr(SoupMessageHeaders) h = request (FALSE);
  g_autoptr(GBytes) hi = g_bytes_new_static ("Hi", 2);
  D d;

  g_test_summary ("draft75_spec through the driver: queued frame after the handshake, open, no ping or binary, close without bytes");
  d_init (&d, h);
  g_assert_cmpstr (fws_driver_get_version (d.driver), ==, "hixie-75");
  g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_CONNECTING);
  g_assert_true (fws_driver_send (d.driver, FWS_MESSAGE_TYPE_TEXT, hi, NULL));
  g_assert_cmpuint (d.out->len, ==, 0);
  g_assert_true (fws_driver_start (d.driver));
  assert_out (&d, HEAD75, "00 48 69 ff");
  D_EVENTS (&d, "open");
  g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_OPEN);
  g_byte_array_set_size (d.out, 0);
  g_assert_null (fws_driver_ping (d.driver, NULL, NULL));
  g_assert_false (fws_driver_send (d.driver, FWS_MESSAGE_TYPE_BINARY, hi, NULL));
  g_assert_cmpuint (d.out->len, ==, 0);
  d_parse_hex (&d, "00 48 65 6c 6c 6f ff");
  g_assert_true (fws_driver_close (d.driver, 1000, "", NULL));
  g_assert_cmpuint (d.out->len, ==, 0);
  D_EVENTS (&d, "open", "message:Hello", "close:1005");
  g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_CLOSED);
  g_assert_false (fws_driver_close (d.driver, 1000, "", NULL));
  g_assert_cmpuint (d.out->len, ==, 0);
  d_clear (&d);
}

static void
test_driver_hixie76 (void)
{
  g_autoptr(SoupMessageHeaders) h = request (TRUE);
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  D d;

  g_test_summary ("draft76_spec through the driver: head without the answer, then the answer once the 8 key bytes are in, queued frames after it");
  d_init (&d, h);
  g_assert_cmpstr (fws_driver_get_version (d.driver), ==, "hixie-76");
  g_assert_true (fws_driver_start (d.driver));
  g_assert_cmpmem (d.out->data, d.out->len, HEAD76, strlen (HEAD76));
  g_assert_cmpuint (d.events->len, ==, 0);
  g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_CONNECTING);
  g_assert_true (fws_driver_send (d.driver, FWS_MESSAGE_TYPE_TEXT, hello, NULL));
  d_parse_hex (&d, "91 25 3e d3");
  g_assert_cmpuint (d.events->len, ==, 0);
  d_parse_hex (&d, "a9 e7 6a 88 00 48 69 ff");
  assert_out (&d, HEAD76, ANSWER " 00 68 65 6c 6c 6f ff");
  D_EVENTS (&d, "open", "message:Hi");
  g_byte_array_set_size (d.out, 0);
  g_assert_true (fws_driver_close (d.driver, 1000, "", NULL));
  fws_test_assert_hex (d.out->data, d.out->len, "ff 00");
  D_EVENTS (&d, "open", "message:Hi", "close:1005");
  d_clear (&d);
}

static void
test_driver_hixie76_subprotocol (void)
{
  static const char * const ours[] = { "superchat", "chat", NULL };
  g_autoptr(SoupMessageHeaders) h = request (TRUE);
  D d;

  g_test_summary ("A hixie-76 handshake through the driver echoes the chosen subprotocol in the "
                  "101 answer, before the challenge answer, and reports it; one the server does "
                  "not speak is not echoed");
  soup_message_headers_append (h, "Sec-WebSocket-Protocol", "chat");
  d_init_full (&d, h, ours);
  g_assert_true (fws_driver_start (d.driver));
  d_parse_hex (&d, KEY3);
  assert_out (&d,
              "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Origin: http://www.example.com\r\nSec-WebSocket-Location: ws://www.example.com/socket\r\n"
              "Sec-WebSocket-Protocol: chat\r\n\r\n",
              ANSWER);
  D_EVENTS (&d, "open");
  g_assert_cmpstr (fws_driver_get_protocol (d.driver), ==, "chat");
  d_clear (&d);

  soup_message_headers_replace (h, "Sec-WebSocket-Protocol", "xmpp");
  d_init_full (&d, h, ours);
  fws_driver_start (d.driver);
  d_parse_hex (&d, KEY3);
  assert_out (&d, HEAD76, ANSWER);
  g_assert_null (fws_driver_get_protocol (d.driver));
  d_clear (&d);
}

static void
test_driver_hixie76_peer_close (void)
{
  g_autoptr(SoupMessageHeaders) h = request (TRUE);
  D d;

  g_test_summary ("A hixie-76 closing frame from the peer is answered once and closes with 1005");
  d_init (&d, h);
  fws_driver_start (d.driver);
  d_parse_hex (&d, KEY3);
  g_byte_array_set_size (d.out, 0);
  d_parse_hex (&d, "ff 00");
  fws_test_assert_hex (d.out->data, d.out->len, "ff 00");
  D_EVENTS (&d, "open", "close:1005");
  g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_CLOSED);
  d_clear (&d);
}

static void
test_driver_hixie76_invalid_key (void)
{
  g_autoptr(SoupMessageHeaders) h = request (FALSE);
  static const char want[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 45\r\n\r\n"
    "Client sent invalid Sec-WebSocket-Key headers";
  D d;

  g_test_summary ("An invalid hixie-76 key gets the exact 400, error and close, never open");
  soup_message_headers_append (h, "Sec-WebSocket-Key1", "2 L785 8o% s9Sy9@V. 4<1P5");
  soup_message_headers_append (h, "Sec-WebSocket-Key2", KEY2);
  d_init (&d, h);
  g_assert_false (fws_driver_start (d.driver));
  g_assert_cmpmem (d.out->data, d.out->len, want, strlen (want));
  D_EVENTS (&d, "error:Client sent invalid Sec-WebSocket-Key headers", "close:1005");
  g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_CLOSED);
  d_clear (&d);
}

static void
test_driver_hixie_rules (void)
{
  static const gboolean v76[] = { FALSE, TRUE };

  g_test_summary ("On hixie-75 and hixie-76, binary, ping and a close code other than 1000 are "
                  "refused with NOT_SUPPORTED, before and after open, and nothing is written; "
                  "text and close (0 or 1000) work; once closed, CLOSED comes first");
  for (guint v = 0; v < G_N_ELEMENTS (v76); v++)
    {
      g_autoptr(SoupMessageHeaders) h = request (v76[v]);
      g_autoptr(GBytes) hi = g_bytes_new_static ("Hi", 2);
      g_autoptr(GError) error = NULL;
      const char *name = v76[v] ? "hixie-76" : "hixie-75";
      g_autofree char *binary = g_strdup_printf ("%s connections carry text messages only", name);
      g_autofree char *ping = g_strdup_printf ("%s connections have no ping", name);
      g_autofree char *codes = g_strdup_printf ("%s connections have no close codes", name);
      D d;

      d_init (&d, h);
      for (guint round = 0; round < 2; round++)
        {
          if (round == 1)
            {
              fws_driver_start (d.driver);
              if (v76[v])
                d_parse_hex (&d, KEY3);
              g_assert_cmpint (fws_driver_get_state (d.driver), ==, FWS_READY_STATE_OPEN);
              g_byte_array_set_size (d.out, 0);
            }
          g_assert_false (fws_driver_send (d.driver, FWS_MESSAGE_TYPE_BINARY, hi, &error));
          g_assert_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED);
          g_assert_cmpstr (error->message, ==, binary);
          g_clear_error (&error);
          g_assert_null (fws_driver_ping (d.driver, NULL, &error));
          g_assert_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED);
          g_assert_cmpstr (error->message, ==, ping);
          g_clear_error (&error);
          g_assert_false (fws_driver_pong (d.driver, NULL));
          g_assert_false (fws_driver_close (d.driver, 4000, "", &error));
          g_assert_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED);
          g_assert_cmpstr (error->message, ==, codes);
          g_clear_error (&error);
          g_assert_false (fws_driver_close (d.driver, 1001, "", &error));
          g_assert_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED);
          g_clear_error (&error);
          /* A code nobody may send is an argument error first. */
          g_assert_false (fws_driver_close (d.driver, 1005, "", &error));
          g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
          g_clear_error (&error);
          g_assert_cmpuint (d.out->len, ==, 0);
        }
      g_assert_true (fws_driver_send (d.driver, FWS_MESSAGE_TYPE_TEXT, hi, &error));
      g_assert_no_error (error);
      fws_test_assert_hex (d.out->data, d.out->len, "00 48 69 ff");
      g_byte_array_set_size (d.out, 0);
      g_assert_true (fws_driver_close (d.driver, 0, NULL, &error));
      g_assert_no_error (error);
      fws_test_assert_hex (d.out->data, d.out->len, v76[v] ? "ff 00" : "");
      g_byte_array_set_size (d.out, 0);
      g_assert_false (fws_driver_send (d.driver, FWS_MESSAGE_TYPE_BINARY, hi, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
      g_clear_error (&error);
      g_assert_null (fws_driver_ping (d.driver, NULL, &error));
      g_assert_error (error, FWS_ERROR, FWS_ERROR_CLOSED);
      g_clear_error (&error);
      g_assert_cmpuint (d.out->len, ==, 0);
      d_clear (&d);
    }
}

static void
test_driver_hixie_too_long (void)
{
  g_autoptr(SoupMessageHeaders) h = request (FALSE);
  D d;

  g_test_summary ("A hixie text frame past max-length fails the connection with 1009 and nothing is written");
  d_init (&d, h);
  fws_driver_start (d.driver);
  g_byte_array_set_size (d.out, 0);
  fws_driver_set_max_length (d.driver, 4);
  d_parse_hex (&d, "00 61 62 63 64 65");
  g_assert_cmpuint (d.out->len, ==, 0);
  D_EVENTS (&d, "open", "error:WebSocket frame length too large", "close:1009");
  d_clear (&d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hixie/detect", test_detect);
  g_test_add_func ("/hixie/key-values", test_key_values);
  g_test_add_func ("/hixie/answer", test_answer);
  g_test_add_func ("/hixie/check-keys", test_check_keys);
  g_test_add_func ("/hixie/responses", test_responses);
  g_test_add_func ("/hixie/select-protocol", test_select_protocol);
  g_test_add_func ("/hixie/parse-examples", test_parse_examples);
  g_test_add_func ("/hixie/parse-byte-at-a-time", test_parse_byte_at_a_time);
  g_test_add_func ("/hixie/close-frame", test_close_frame);
  g_test_add_func ("/hixie/endless-length", test_endless_length);
  g_test_add_func ("/hixie/text-limits", test_text_limits);
  g_test_add_func ("/hixie/stop-in-callback", test_stop_in_callback);
  g_test_add_func ("/hixie/text-frame", test_text_frame);
  g_test_add_func ("/hixie/driver/hixie-75", test_driver_hixie75);
  g_test_add_func ("/hixie/driver/hixie-76", test_driver_hixie76);
  g_test_add_func ("/hixie/driver/hixie-76-subprotocol", test_driver_hixie76_subprotocol);
  g_test_add_func ("/hixie/driver/hixie-76-peer-close", test_driver_hixie76_peer_close);
  g_test_add_func ("/hixie/driver/hixie-76-invalid-key", test_driver_hixie76_invalid_key);
  g_test_add_func ("/hixie/driver/rules", test_driver_hixie_rules);
  g_test_add_func ("/hixie/driver/too-long", test_driver_hixie_too_long);

  return g_test_run ();
}
