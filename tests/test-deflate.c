/* test-deflate.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * permessage-deflate, sans I/O: permessage-deflate-ruby's client_session_spec
 * and server_session_spec (BEHAVIOUR.md 6.9, 6.10) checked through the
 * negotiated configuration and through what zlib really does, the RFC 7692
 * byte vectors (6.11), the life of the zlib streams, window bits 8, and the
 * limits a driver enforces: inflation bounded by max-length (1009), corrupt
 * data (1007), text validated after inflating (1007).
 */
#include "test-utils.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <zlib.h>

#include "fws-driver-private.h"
#include "fws-extensions-private.h"
#include "fws-permessage-deflate-private.h"
#include "fws-ws-codec-private.h"

static FwsPermessageDeflate *
deflate_ext (const char *first_property,
             ...)
{
  va_list args;
  GObject *obj;

  va_start (args, first_property);
  obj = g_object_new_valist (FWS_TYPE_PERMESSAGE_DEFLATE, first_property, args);
  va_end (args);
  return FWS_PERMESSAGE_DEFLATE (obj);
}

static FwsExtensionParams *
parse_params (const char *params)
{
  g_autofree char *header = g_strconcat ("permessage-deflate", params[0] ? "; " : "", params, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) offers = fws_extensions_parse_header (header, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (offers->len, ==, 1);
  return fws_extension_params_ref (((FwsExtensionOffer *) offers->pdata[0])->params);
}

/* A server session for @n_offers offers, passed as the interface takes
 * them: a GList. */
static FwsExtensionSession *
create_server_session (FwsPermessageDeflate *ext,
                       FwsExtensionParams  **offers,
                       guint                 n_offers)
{
  g_autoptr(GList) list = NULL;

  for (guint i = n_offers; i > 0; i--)
    list = g_list_prepend (list, offers[i - 1]);
  return fws_extension_create_server_session (FWS_EXTENSION (ext), list);
}

static char *
offer_of (FwsExtensionSession *session)
{
  g_autoptr(GError) error = NULL;
  FwsExtensionParams **offers = fws_extension_session_generate_offer (session, &error);
  char *text;

  g_assert_no_error (error);
  g_assert_nonnull (offers);
  g_assert_nonnull (offers[0]);
  g_assert_null (offers[1]);
  text = fws_extensions_serialize ("permessage-deflate", offers[0]);
  fws_extension_params_unref (offers[0]);
  g_free (offers);
  return text;
}

/* Compresses @text as an outgoing message; returns the payload. */
static GBytes *
compress_text (FwsExtensionSession *session,
          const char          *text)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
  g_autoptr(FwsExtensionMessage) m = fws_extension_message_new (FWS_MESSAGE_TYPE_TEXT, 0, data);
  g_autoptr(GError) error = NULL;

  g_assert_true (fws_extension_session_process_outgoing_message (session, m, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fws_extension_message_get_rsv (m), ==, FWS_RESERVED_BITS_RSV1);
  return g_bytes_ref (fws_extension_message_get_data (m));
}

static GBytes *
inflate_message (FwsExtensionSession  *session,
                 GBytes               *payload,
                 guint64               max_length,
                 GError              **error)
{
  g_autoptr(FwsExtensionMessage) m = fws_extension_message_new_full (FWS_MESSAGE_TYPE_BINARY,
                                                                     FWS_RESERVED_BITS_RSV1,
                                                                     payload, max_length, FALSE);

  if (!fws_extension_session_process_incoming_message (session, m, error))
    return NULL;
  g_assert_cmpuint (fws_extension_message_get_rsv (m), ==, 0);
  return g_bytes_ref (fws_extension_message_get_data (m));
}

/* Runs two messages each way and checks how many zlib streams the session
 * made: one for both with context takeover; without, our messages go
 * through the thread's shared compressor (none of its own) and the peer's
 * get an inflater each. */
static void
assert_streams (FwsExtensionSession *session,
                gboolean             own_takeover,
                gboolean             peer_takeover)
{
  g_autoptr(GBytes) a = compress_text (session, "Hello");
  g_autoptr(GBytes) b = compress_text (session, "Hello");
  g_autoptr(GBytes) hello1 = fws_test_hex ("f2 48 cd c9 c9 07 00");
  g_autoptr(GBytes) hello2 = fws_test_hex (peer_takeover ? "f2 00 11 00 00" : "f2 48 cd c9 c9 07 00");
  g_autoptr(GBytes) out1 = NULL;
  g_autoptr(GBytes) out2 = NULL;

  g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (session), ==, own_takeover ? 1 : 0);
  g_assert_true (fws_permessage_deflate_session_has_deflater (session) == own_takeover);

  out1 = inflate_message (session, hello1, 0, NULL);
  out2 = inflate_message (session, hello2, 0, NULL);
  g_assert_cmpmem (g_bytes_get_data (out1, NULL), g_bytes_get_size (out1), "Hello", 5);
  g_assert_cmpmem (g_bytes_get_data (out2, NULL), g_bytes_get_size (out2), "Hello", 5);
  g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (session), ==, peer_takeover ? 1 : 2);
  g_assert_true (fws_permessage_deflate_session_has_inflater (session) == peer_takeover);
}

/* ---- 6.9 client sessions ---- */

typedef struct
{
  const char *name;
  guint       max_window_bits;        /* 0: default */
  gboolean    no_context_takeover;
  guint       request_max_window_bits;
  gboolean    request_no_context_takeover;
  const char *offer;
  const char *response;
  gboolean    accepted;
  gboolean    own_takeover;
  guint       deflate_bits;
  gboolean    peer_takeover;
  guint       inflate_bits;
} ClientCase;

static const ClientCase client_cases[] = {
  { "defaults, empty response", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "", TRUE, TRUE, 15, TRUE, 15 },
  { "defaults, server_no_context_takeover", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "server_no_context_takeover", TRUE, TRUE, 15, FALSE, 15 },
  { "defaults, client_no_context_takeover", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "client_no_context_takeover", TRUE, FALSE, 15, TRUE, 15 },
  { "defaults, server_max_window_bits=8", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "server_max_window_bits=8", TRUE, TRUE, 15, TRUE, 9 },
  { "defaults, server_max_window_bits=20", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "server_max_window_bits=20", FALSE },
  { "defaults, client_max_window_bits=8", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "client_max_window_bits=8", TRUE, TRUE, 9, TRUE, 15 },
  { "defaults, client_max_window_bits=20", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "client_max_window_bits=20", FALSE },
  { "defaults, client_max_window_bits as a flag", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "client_max_window_bits", FALSE },
  { "defaults, unknown parameter", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "x_window_bits=10", FALSE },
  { "defaults, repeated parameter", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "server_no_context_takeover; server_no_context_takeover", FALSE },
  { "defaults, takeover flag with a value", 0, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits", "server_no_context_takeover=1", FALSE },
  { "no_context_takeover, empty response", 0, TRUE, 0, FALSE,
    "permessage-deflate; client_max_window_bits; client_no_context_takeover", "", TRUE, FALSE, 15, TRUE, 15 },
  { "max_window_bits=9, empty response", 9, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits=9", "", TRUE, TRUE, 9, TRUE, 15 },
  { "max_window_bits=9, client_max_window_bits=10", 9, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits=9", "client_max_window_bits=10", FALSE },
  { "max_window_bits=9, client_max_window_bits=8", 9, FALSE, 0, FALSE,
    "permessage-deflate; client_max_window_bits=9", "client_max_window_bits=8", TRUE, TRUE, 9, TRUE, 15 },
  { "request_no_context_takeover, empty response", 0, FALSE, 0, TRUE,
    "permessage-deflate; client_max_window_bits; server_no_context_takeover", "", FALSE },
  { "request_no_context_takeover, server_no_context_takeover", 0, FALSE, 0, TRUE,
    "permessage-deflate; client_max_window_bits; server_no_context_takeover", "server_no_context_takeover",
    TRUE, TRUE, 15, FALSE, 15 },
  { "request_max_window_bits=12, empty response", 0, FALSE, 12, FALSE,
    "permessage-deflate; client_max_window_bits; server_max_window_bits=12", "", FALSE },
  { "request_max_window_bits=12, server_max_window_bits=13", 0, FALSE, 12, FALSE,
    "permessage-deflate; client_max_window_bits; server_max_window_bits=12", "server_max_window_bits=13", FALSE },
  { "request_max_window_bits=12, server_max_window_bits=11", 0, FALSE, 12, FALSE,
    "permessage-deflate; client_max_window_bits; server_max_window_bits=12", "server_max_window_bits=11",
    TRUE, TRUE, 15, TRUE, 11 },
};

static FwsPermessageDeflate *
ext_for (guint    max_window_bits,
         gboolean no_context_takeover,
         guint    request_max_window_bits,
         gboolean request_no_context_takeover)
{
  return deflate_ext ("max-window-bits", max_window_bits ? max_window_bits : 15,
                      "no-context-takeover", no_context_takeover,
                      "request-max-window-bits", request_max_window_bits ? request_max_window_bits : 15,
                      "request-no-context-takeover", request_no_context_takeover,
                      NULL);
}

static void
test_client_sessions (void)
{
  g_test_summary ("client_session_spec: the offer, which responses are accepted, and the takeover "
                  "and window bits then used by zlib each way (8 is used as 9)");
  for (guint i = 0; i < G_N_ELEMENTS (client_cases); i++)
    {
      const ClientCase *c = &client_cases[i];
      g_autoptr(FwsPermessageDeflate) ext = ext_for (c->max_window_bits, c->no_context_takeover,
                                                     c->request_max_window_bits, c->request_no_context_takeover);
      g_autoptr(FwsExtensionSession) session = fws_extension_create_client_session (FWS_EXTENSION (ext));
      g_autoptr(FwsExtensionParams) response = parse_params (c->response);
      g_autofree char *offer = offer_of (session);
      FwsDeflateConfig config;

      g_test_message ("%s", c->name);
      g_assert_cmpstr (offer, ==, c->offer);
      g_assert_false (fws_permessage_deflate_session_get_config (session, &config));
      if (!c->accepted)
        {
          g_assert_false (fws_extension_session_activate (session, response, NULL));
          continue;
        }
      g_assert_true (fws_extension_session_activate (session, response, NULL));
      g_assert_true (fws_permessage_deflate_session_get_config (session, &config));
      g_assert_cmpint (config.own_takeover, ==, c->own_takeover);
      g_assert_cmpint (config.peer_takeover, ==, c->peer_takeover);
      g_assert_cmpuint (fws_permessage_deflate_session_get_deflate_bits (session), ==, c->deflate_bits);
      g_assert_cmpuint (fws_permessage_deflate_session_get_inflate_bits (session), ==, c->inflate_bits);
      g_assert_cmpint (config.level, ==, Z_DEFAULT_COMPRESSION);
      g_assert_cmpint (config.mem_level, ==, 5);   /* the default since 0.2 */
      g_assert_cmpint (config.strategy, ==, Z_DEFAULT_STRATEGY);
      /* Nothing exists until a message needs it. */
      g_assert_false (fws_permessage_deflate_session_has_deflater (session));
      g_assert_false (fws_permessage_deflate_session_has_inflater (session));
      if (c->deflate_bits == 15 && c->inflate_bits == 15)
        assert_streams (session, c->own_takeover, c->peer_takeover);
      fws_extension_session_close (session);
      g_assert_false (fws_permessage_deflate_session_has_deflater (session));
      g_assert_false (fws_permessage_deflate_session_has_inflater (session));
    }
}

static void
test_client_invalid_window_bits (void)
{
  g_autoptr(FwsPermessageDeflate) ext = NULL;

  g_test_summary ("client_session_spec: an invalid max_window_bits (20) or request_max_window_bits "
                  "is refused when set (GObject's range check) and the default stays");
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*max-window-bits*");
  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*request-max-window-bits*");
  ext = deflate_ext ("max-window-bits", 20, "request-max-window-bits", 7, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fws_permessage_deflate_get_max_window_bits (ext), ==, 15);
  g_assert_cmpuint (fws_permessage_deflate_get_request_max_window_bits (ext), ==, 15);
}

/* Raw deflate of @text with zlib directly, sync-flushed and trimmed. */
static GBytes *
reference_deflate (const char *text,
                   int         level,
                   int         bits,
                   int         mem_level,
                   int         strategy)
{
  z_stream z = { 0 };
  gsize len = strlen (text);
  guint8 *out = g_malloc (len * 2 + 64);
  gsize n;

  g_assert_cmpint (deflateInit2 (&z, level, Z_DEFLATED, -bits, mem_level, strategy), ==, Z_OK);
  z.next_in = (Bytef *) text;
  z.avail_in = (uInt) len;
  z.next_out = out;
  z.avail_out = (uInt) (len * 2 + 64);
  g_assert_cmpint (deflate (&z, Z_SYNC_FLUSH), ==, Z_OK);
  n = len * 2 + 64 - z.avail_out;
  deflateEnd (&z);
  g_assert_cmpmem (out + n - 4, 4, "\x00\x00\xff\xff", 4);
  return g_bytes_new_take (out, n - 4);
}

static const char *
sample_text (void)
{
  return "It was the best of times, it was the worst of times, it was the age of wisdom, "
         "it was the age of foolishness, it was the epoch of belief, it was the epoch of "
         "incredulity, it was the season of Light, it was the season of Darkness, it was the "
         "spring of hope, it was the winter of despair, we had everything before us, we had "
         "nothing before us, we were all going direct to Heaven, we were all going direct the "
         "other way. 0123456789 abcdefghijklmnopqrstuvwxyz 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";
}

static void
test_compressor_options (void)
{
  static const struct
  {
    int                level;
    guint              mem_level;
    FwsDeflateStrategy strategy;
  } cases[] = {
    { Z_BEST_SPEED, 8, FWS_DEFLATE_STRATEGY_DEFAULT },
    { Z_BEST_COMPRESSION, 5, FWS_DEFLATE_STRATEGY_DEFAULT },
    { -1, 8, FWS_DEFLATE_STRATEGY_FILTERED },
    { -1, 8, FWS_DEFLATE_STRATEGY_HUFFMAN_ONLY },
    { -1, 8, FWS_DEFLATE_STRATEGY_RLE },
    { -1, 8, FWS_DEFLATE_STRATEGY_FIXED },
  };

  g_test_summary ("client and server session specs: level, mem_level and strategy reach zlib "
                  "(output identical to zlib's own with those settings)");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (guint server = 0; server < 2; server++)
      {
        g_autoptr(FwsPermessageDeflate) ext = deflate_ext ("level", cases[i].level,
                                                           "mem-level", cases[i].mem_level,
                                                           "strategy", cases[i].strategy, NULL);
        g_autoptr(FwsExtensionParams) empty = parse_params ("");
        g_autoptr(FwsExtensionSession) session = NULL;
        g_autoptr(GBytes) got = NULL;
        g_autoptr(GBytes) want = reference_deflate (sample_text (), cases[i].level, 15,
                                                    (int) cases[i].mem_level, (int) cases[i].strategy);
        FwsDeflateConfig config;

        g_assert_cmpint (fws_permessage_deflate_get_level (ext), ==, cases[i].level);
        g_assert_cmpuint (fws_permessage_deflate_get_mem_level (ext), ==, cases[i].mem_level);
        g_assert_cmpint (fws_permessage_deflate_get_strategy (ext), ==, cases[i].strategy);
        if (server)
          session = create_server_session (ext, &empty, 1);
        else
          {
            session = fws_extension_create_client_session (FWS_EXTENSION (ext));
            g_assert_true (fws_extension_session_activate (session, empty, NULL));
          }
        g_assert_true (fws_permessage_deflate_session_get_config (session, &config));
        g_assert_cmpint (config.level, ==, cases[i].level);
        g_assert_cmpint (config.mem_level, ==, (int) cases[i].mem_level);
        g_assert_cmpint (config.strategy, ==, (int) cases[i].strategy);
        got = compress_text (session, sample_text ());
        g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got),
                         g_bytes_get_data (want, NULL), g_bytes_get_size (want));
      }
}

/* ---- 6.10 server sessions ---- */

typedef struct
{
  const char *name;
  guint       max_window_bits;
  gboolean    no_context_takeover;
  guint       request_max_window_bits;
  gboolean    request_no_context_takeover;
  const char *offer;
  const char *response;     /* NULL: no session */
  gboolean    own_takeover;
  guint       deflate_bits;
  gboolean    peer_takeover;
  guint       inflate_bits;
} ServerCase;

static const ServerCase server_cases[] = {
  { "defaults, empty offer", 0, FALSE, 0, FALSE, "", "permessage-deflate", TRUE, 15, TRUE, 15 },
  { "defaults, server_no_context_takeover", 0, FALSE, 0, FALSE, "server_no_context_takeover",
    "permessage-deflate; server_no_context_takeover", FALSE, 15, TRUE, 15 },
  { "defaults, client_no_context_takeover", 0, FALSE, 0, FALSE, "client_no_context_takeover",
    "permessage-deflate; client_no_context_takeover", TRUE, 15, FALSE, 15 },
  { "defaults, server_max_window_bits=13", 0, FALSE, 0, FALSE, "server_max_window_bits=13",
    "permessage-deflate; server_max_window_bits=13", TRUE, 13, TRUE, 15 },
  { "defaults, server_max_window_bits=20", 0, FALSE, 0, FALSE, "server_max_window_bits=20", NULL },
  { "defaults, client_max_window_bits flag", 0, FALSE, 0, FALSE, "client_max_window_bits",
    "permessage-deflate", TRUE, 15, TRUE, 15 },
  { "defaults, client_max_window_bits=13", 0, FALSE, 0, FALSE, "client_max_window_bits=13",
    "permessage-deflate; client_max_window_bits=13", TRUE, 15, TRUE, 13 },
  { "defaults, client_max_window_bits=20", 0, FALSE, 0, FALSE, "client_max_window_bits=20", NULL },
  { "defaults, unknown parameter", 0, FALSE, 0, FALSE, "foo", NULL },
  { "defaults, server_max_window_bits as a flag", 0, FALSE, 0, FALSE, "server_max_window_bits", NULL },
  { "no_context_takeover, empty offer", 0, TRUE, 0, FALSE, "",
    "permessage-deflate; server_no_context_takeover", FALSE, 15, TRUE, 15 },
  { "max_window_bits=12, empty offer", 12, FALSE, 0, FALSE, "", "permessage-deflate", TRUE, 12, TRUE, 15 },
  { "max_window_bits=12, server_max_window_bits=13", 12, FALSE, 0, FALSE, "server_max_window_bits=13",
    "permessage-deflate; server_max_window_bits=12", TRUE, 12, TRUE, 15 },
  { "max_window_bits=12, server_max_window_bits=11", 12, FALSE, 0, FALSE, "server_max_window_bits=11",
    "permessage-deflate; server_max_window_bits=11", TRUE, 11, TRUE, 15 },
  { "request_no_context_takeover, empty offer", 0, FALSE, 0, TRUE, "",
    "permessage-deflate; client_no_context_takeover", TRUE, 15, FALSE, 15 },
  { "request_max_window_bits=11, empty offer", 0, FALSE, 11, FALSE, "", "permessage-deflate",
    TRUE, 15, TRUE, 15 },
  { "request_max_window_bits=11, client_max_window_bits flag", 0, FALSE, 11, FALSE, "client_max_window_bits",
    "permessage-deflate; client_max_window_bits=11", TRUE, 15, TRUE, 11 },
  { "request_max_window_bits=11, client_max_window_bits=12", 0, FALSE, 11, FALSE, "client_max_window_bits=12",
    "permessage-deflate; client_max_window_bits=11", TRUE, 15, TRUE, 11 },
  { "request_max_window_bits=11, client_max_window_bits=10", 0, FALSE, 11, FALSE, "client_max_window_bits=10",
    "permessage-deflate; client_max_window_bits=10", TRUE, 15, TRUE, 10 },
  /* Window bits 8, both ways: negotiated, used by zlib as 9. */
  { "server_max_window_bits=8", 0, FALSE, 0, FALSE, "server_max_window_bits=8",
    "permessage-deflate; server_max_window_bits=8", TRUE, 9, TRUE, 15 },
  { "client_max_window_bits=8", 0, FALSE, 0, FALSE, "client_max_window_bits=8",
    "permessage-deflate; client_max_window_bits=8", TRUE, 15, TRUE, 9 },
};

static void
test_server_sessions (void)
{
  g_test_summary ("server_session_spec: the response to one offer, or no session, and the takeover "
                  "and window bits then used by zlib each way");
  for (guint i = 0; i < G_N_ELEMENTS (server_cases); i++)
    {
      const ServerCase *c = &server_cases[i];
      g_autoptr(FwsPermessageDeflate) ext = ext_for (c->max_window_bits, c->no_context_takeover,
                                                     c->request_max_window_bits, c->request_no_context_takeover);
      g_autoptr(FwsExtensionParams) offer = parse_params (c->offer);
      g_autoptr(FwsExtensionSession) session = NULL;
      g_autoptr(FwsExtensionParams) response = NULL;
      g_autofree char *text = NULL;
      FwsDeflateConfig config;

      g_test_message ("%s", c->name);
      session = create_server_session (ext, &offer, 1);
      if (c->response == NULL)
        {
          g_assert_null (session);
          continue;
        }
      g_assert_nonnull (session);
      response = fws_extension_session_generate_response (session);
      text = fws_extensions_serialize ("permessage-deflate", response);
      g_assert_cmpstr (text, ==, c->response);
      g_assert_true (fws_permessage_deflate_session_get_config (session, &config));
      g_assert_cmpint (config.own_takeover, ==, c->own_takeover);
      g_assert_cmpint (config.peer_takeover, ==, c->peer_takeover);
      g_assert_cmpuint (fws_permessage_deflate_session_get_deflate_bits (session), ==, c->deflate_bits);
      g_assert_cmpuint (fws_permessage_deflate_session_get_inflate_bits (session), ==, c->inflate_bits);
      if (c->deflate_bits == 15 && c->inflate_bits == 15)
        assert_streams (session, c->own_takeover, c->peer_takeover);
    }
}

static void
test_server_first_valid_offer (void)
{
  g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();
  g_autoptr(FwsExtensionParams) bad = parse_params ("server_max_window_bits=20");
  g_autoptr(FwsExtensionParams) good = parse_params ("client_no_context_takeover");
  g_autoptr(FwsExtensionParams) later = parse_params ("server_no_context_takeover");
  FwsExtensionParams *offers[] = { bad, good, later };
  g_autoptr(FwsExtensionSession) session = NULL;
  g_autoptr(FwsExtensionParams) response = NULL;
  g_autofree char *text = NULL;

  g_test_summary ("The server answers the first valid offer of several");
  session = create_server_session (ext, offers, 3);
  response = fws_extension_session_generate_response (session);
  text = fws_extension_params_to_string (response);
  g_assert_cmpstr (text, ==, "client_no_context_takeover; server_no_context_takeover");
}

/* ---- RFC 7692 vectors, context takeover, zlib life ---- */

static FwsExtensionSession *
server_session (const char *offer_params,
                const char *first_property,
                ...)
{
  g_autoptr(FwsExtensionParams) offer = parse_params (offer_params);
  g_autoptr(FwsPermessageDeflate) ext = NULL;
  va_list args;

  va_start (args, first_property);
  ext = FWS_PERMESSAGE_DEFLATE (g_object_new_valist (FWS_TYPE_PERMESSAGE_DEFLATE, first_property, args));
  va_end (args);
  return create_server_session (ext, &offer, 1);
}

static void
assert_bytes_hex (GBytes *bytes, const char *hex)
{
  fws_test_assert_hex (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), hex);
}

static void
test_vectors_takeover (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", "no-context-takeover", FALSE, NULL);
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GBytes) e = NULL;

  g_test_summary ("RFC 7692 7.2.3: \"Hello\" compresses to f2 48 cd c9 c9 07 00; with context takeover "
                  "the second one is shorter, f2 00 11 00 00; an empty message is 00");
  a = compress_text (session, "Hello");
  b = compress_text (session, "Hello");
  e = compress_text (session, "");
  assert_bytes_hex (a, "f2 48 cd c9 c9 07 00");
  assert_bytes_hex (b, "f2 00 11 00 00");
  assert_bytes_hex (e, "00");
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (session), ==, 1);
  g_assert_true (fws_permessage_deflate_session_has_deflater (session));
}

static void
test_vectors_no_takeover (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("server_no_context_takeover", NULL);
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GBytes) e = NULL;

  g_test_summary ("Without context takeover two identical messages compress to identical bytes, "
                  "and the session keeps no compressor of its own (the thread's shared one serves)");
  a = compress_text (session, "Hello");
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
  b = compress_text (session, "Hello");
  e = compress_text (session, "");
  assert_bytes_hex (a, "f2 48 cd c9 c9 07 00");
  assert_bytes_hex (b, "f2 48 cd c9 c9 07 00");
  assert_bytes_hex (e, "00");
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (session), ==, 0);
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
}

static void
test_inflate_vectors (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
  g_autoptr(GBytes) a = fws_test_hex ("f2 48 cd c9 c9 07 00");
  g_autoptr(GBytes) b = fws_test_hex ("f2 00 11 00 00");
  g_autoptr(GBytes) e = fws_test_hex ("00");
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) plain = g_bytes_new_static ("not compressed", 14);
  g_autoptr(GBytes) out1 = NULL;
  g_autoptr(GBytes) out2 = NULL;
  g_autoptr(GBytes) out3 = NULL;
  g_autoptr(GBytes) out4 = NULL;
  g_autoptr(FwsExtensionMessage) m = fws_extension_message_new (FWS_MESSAGE_TYPE_TEXT, 0, plain);

  g_test_summary ("Inflating: both RFC 7692 messages, an empty one (00, or no payload at all), and a "
                  "message without RSV1 passes untouched; output is NUL-terminated");
  out1 = inflate_message (session, a, 0, NULL);
  out2 = inflate_message (session, b, 0, NULL);
  out3 = inflate_message (session, e, 0, NULL);
  out4 = inflate_message (session, empty, 0, NULL);
  g_assert_cmpmem (g_bytes_get_data (out1, NULL), g_bytes_get_size (out1), "Hello", 5);
  g_assert_cmpmem (g_bytes_get_data (out2, NULL), g_bytes_get_size (out2), "Hello", 5);
  g_assert_cmpuint (((const char *) g_bytes_get_data (out2, NULL))[5], ==, '\0');
  g_assert_cmpuint (g_bytes_get_size (out3), ==, 0);
  g_assert_cmpuint (g_bytes_get_size (out4), ==, 0);
  g_assert_true (fws_extension_session_process_incoming_message (session, m, NULL));
  g_assert_true (fws_extension_message_get_data (m) == plain);
  g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (session), ==, 1);
}

static void
test_round_trip_takeover (void)
{
  g_test_summary ("Many messages of different sizes round-trip between two sessions, with and "
                  "without context takeover, with small windows, and with the default options");
  for (guint mode = 0; mode < 4; mode++)
    {
      const char *offer = mode == 0 ? "" : mode == 1 ? "server_no_context_takeover; client_no_context_takeover"
                        : mode == 2 ? "server_max_window_bits=9; client_max_window_bits=10"
                                    : "client_max_window_bits";
      /* Modes 0 to 2 with context takeover unless the offer turns it off;
       * mode 3 with the defaults (the shared compressor both ways). */
      gboolean takeover = mode < 3;
      g_autoptr(FwsPermessageDeflate) ext = deflate_ext ("no-context-takeover", !takeover, NULL);
      g_autoptr(FwsExtensionSession) server = server_session (offer, "no-context-takeover", !takeover, NULL);
      g_autoptr(FwsExtensionSession) client = fws_extension_create_client_session (FWS_EXTENSION (ext));
      g_autoptr(FwsExtensionParams) response = fws_extension_session_generate_response (server);
      GRand *rand = g_rand_new_with_seed (mode);

      g_assert_true (fws_extension_session_activate (client, response, NULL));
      for (guint i = 0; i < 40; i++)
        {
          gsize len = i % 7 == 0 ? 0 : g_rand_int_range (rand, 1, 200000);
          guint8 *buf = g_malloc (len + 1);
          g_autoptr(GBytes) data = NULL;
          g_autoptr(FwsExtensionMessage) m = NULL;
          g_autoptr(GBytes) back = NULL;
          FwsExtensionSession *from = i % 2 ? server : client, *to = i % 2 ? client : server;

          /* Compressible: words from a small alphabet. */
          for (gsize j = 0; j < len; j++)
            buf[j] = "abcdefgh \n"[g_rand_int_range (rand, 0, 10)];
          data = g_bytes_new_take (buf, len);
          m = fws_extension_message_new (FWS_MESSAGE_TYPE_BINARY, 0, data);
          g_assert_true (fws_extension_session_process_outgoing_message (from, m, NULL));
          if (len > 1000)
            g_assert_cmpuint (g_bytes_get_size (fws_extension_message_get_data (m)), <, len);
          back = inflate_message (to, fws_extension_message_get_data (m), 0, NULL);
          g_assert_nonnull (back);
          g_assert_true (g_bytes_equal (back, data));
        }
      g_rand_free (rand);
    }
}

static void
test_zlib_lifetime (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", "no-context-takeover", FALSE, NULL);
  g_autoptr(GBytes) hello = fws_test_hex ("f2 48 cd c9 c9 07 00");
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) c = NULL;

  g_test_summary ("zlib streams exist only once a message needs them, survive between messages "
                  "with context takeover, and are released by close");
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
  g_assert_false (fws_permessage_deflate_session_has_inflater (session));
  c = compress_text (session, "Hello");
  out = inflate_message (session, hello, 0, NULL);
  g_assert_true (fws_permessage_deflate_session_has_deflater (session));
  g_assert_true (fws_permessage_deflate_session_has_inflater (session));
  fws_extension_session_close (session);
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
  g_assert_false (fws_permessage_deflate_session_has_inflater (session));
}

/* Data whose repeats are 300 bytes apart: a 15-bit compressor uses them,
 * a 256-byte window cannot reach them. */
static GBytes *
far_repeats (void)
{
  GRand *rand = g_rand_new_with_seed (42);
  gsize len = 300 * 40;
  guint8 *buf = g_malloc (len);

  for (gsize i = 0; i < 300; i++)
    buf[i] = (guint8) g_rand_int (rand);
  for (gsize i = 300; i < len; i++)
    buf[i] = buf[i - 300];
  g_rand_free (rand);
  return g_bytes_new_take (buf, len);
}

/* Inflates with a window of 2^@bits bytes for real: one output byte per
 * call, so every match must come from zlib's window, not from an output
 * buffer that happens to hold more. */
static int
inflate_with_bits (GBytes *payload, int bits, gsize *out_len)
{
  z_stream z = { 0 };
  gsize in_len;
  const guint8 *in = g_bytes_get_data (payload, &in_len);
  g_autofree guint8 *in2 = g_malloc (in_len + 4);
  guint8 byte;
  int ret;

  memcpy (in2, in, in_len);
  memcpy (in2 + in_len, "\x00\x00\xff\xff", 4);
  g_assert_cmpint (inflateInit2 (&z, -bits), ==, Z_OK);
  z.next_in = in2;
  z.avail_in = (uInt) in_len + 4;
  *out_len = 0;
  do
    {
      z.next_out = &byte;
      z.avail_out = 1;
      ret = inflate (&z, Z_SYNC_FLUSH);
      *out_len += 1 - z.avail_out;
    }
  while (ret == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
  inflateEnd (&z);
  return ret == Z_BUF_ERROR ? Z_OK : ret;
}

static void
test_window_bits_8 (void)
{
  g_autoptr(GBytes) data = far_repeats ();
  g_autoptr(FwsExtensionSession) small = server_session ("server_max_window_bits=8", NULL);
  g_autoptr(FwsExtensionSession) large = server_session ("", NULL);
  g_autoptr(FwsExtensionMessage) m8 = fws_extension_message_new (FWS_MESSAGE_TYPE_BINARY, 0, data);
  g_autoptr(FwsExtensionMessage) m15 = fws_extension_message_new (FWS_MESSAGE_TYPE_BINARY, 0, data);
  gsize out_len = 0;

  g_test_summary ("Window bits 8: zlib is never given 8 for deflate (it refuses it), the 9-bit "
                  "compressor's output inflates with a real 8-bit window, and the test data does "
                  "need more than 256 bytes of window (a 15-bit compressor's output fails there)");
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflate_bits (small), ==, 9);
  {
    z_stream z = { 0 };

    g_assert_cmpint (deflateInit2 (&z, -1, Z_DEFLATED, -8, 8, 0), ==, Z_STREAM_ERROR);
  }
  g_assert_true (fws_extension_session_process_outgoing_message (small, m8, NULL));
  g_assert_true (fws_extension_session_process_outgoing_message (large, m15, NULL));
  g_assert_cmpint (inflate_with_bits (fws_extension_message_get_data (m8), 8, &out_len), ==, Z_OK);
  g_assert_cmpuint (out_len, ==, g_bytes_get_size (data));
  g_assert_cmpint (inflate_with_bits (fws_extension_message_get_data (m15), 8, &out_len), ==, Z_DATA_ERROR);
  g_assert_cmpint (inflate_with_bits (fws_extension_message_get_data (m15), 15, &out_len), ==, Z_OK);
}

static void
test_corrupt (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
  g_autoptr(GBytes) junk = fws_test_hex ("ff ff ff ff 12 34");
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Data that is not deflate fails with G_IO_ERROR_INVALID_DATA (1007 on a "
                  "connection) and releases the zlib streams");
  out = inflate_message (session, junk, 0, &error);
  g_assert_null (out);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_false (fws_permessage_deflate_session_has_inflater (session));
}

static void
test_final_block (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) again = NULL;
  z_stream z = { 0 };
  guint8 buf[64];
  g_autoptr(GBytes) final = NULL;

  g_test_summary ("A message that ends with a final deflate block (BFINAL, RFC 7692 7.2.3.4) "
                  "inflates, and the next message starts a new stream");
  g_assert_cmpint (deflateInit2 (&z, -1, Z_DEFLATED, -15, 8, 0), ==, Z_OK);
  z.next_in = (Bytef *) "Hello";
  z.avail_in = 5;
  z.next_out = buf;
  z.avail_out = sizeof buf;
  g_assert_cmpint (deflate (&z, Z_FINISH), ==, Z_STREAM_END);
  final = g_bytes_new (buf, sizeof buf - z.avail_out);
  deflateEnd (&z);
  out = inflate_message (session, final, 0, NULL);
  again = inflate_message (session, final, 0, NULL);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "Hello", 5);
  g_assert_cmpmem (g_bytes_get_data (again, NULL), g_bytes_get_size (again), "Hello", 5);
}

static void
test_inflate_limit_session (void)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
  g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) compressed = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (100001, 'x');

  g_test_summary ("A message that inflates past the message's max-length fails with "
                  "FWS_ERROR_TOO_LARGE; exactly max-length is fine");
  compressed = compress_text (sender, text);
  out = inflate_message (session, compressed, 100000, &error);
  g_assert_null (out);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_clear_object (&session);
  g_clear_object (&sender);
  g_clear_pointer (&compressed, g_bytes_unref);
  session = server_session ("", NULL);
  sender = server_session ("", NULL);
  compressed = compress_text (sender, text);
  big = inflate_message (session, compressed, 100001, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (big), ==, 100001);
}

/* ---- Inflating in steps (fairness) ---- */

/* @len bytes of text that compresses well but not to nothing. */
static char *
stepping_text (gsize len)
{
  char *text = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    text[i] = "abcdefghij"[(i * 7 + i / 1000) % 10];
  text[len] = '\0';
  return text;
}

static const gsize step_budgets[] = { 1, 7, 4096, 65536, 1024 * 1024 };

static void
test_inflate_steps (void)
{
  const gsize len = 300001;
  g_autofree char *text = stepping_text (len);

  g_test_summary ("The session inflates a message a budget of output bytes at a time: each "
                  "step produces at most its budget, the steps add up to the message, and the "
                  "context carries over to the next message");

  for (gsize b = 0; b < G_N_ELEMENTS (step_budgets); b++)
    {
      g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
      g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);

      for (guint round = 0; round < 2; round++)
        {
          g_autoptr(GBytes) compressed = compress_text (sender, text);
          g_autoptr(FwsExtensionMessage) m = fws_extension_message_new_full (FWS_MESSAGE_TYPE_TEXT,
                                                                             FWS_RESERVED_BITS_RSV1,
                                                                             compressed, len, FALSE);
          FwsInflateStep step;
          gsize steps = 0, produced = 0;

          do
            {
              g_autoptr(GError) error = NULL;
              gsize budget = step_budgets[b];

              step = fws_permessage_deflate_session_inflate_step (session, m, &budget, &error);
              g_assert_no_error (error);
              g_assert_cmpint (step, !=, FWS_INFLATE_ERROR);
              g_assert_cmpuint (budget, <=, step_budgets[b]);
              produced += step_budgets[b] - budget;
              steps++;
              if (step == FWS_INFLATE_MORE)
                g_assert_cmpuint (budget, ==, 0);
            }
          while (step == FWS_INFLATE_MORE);

          g_assert_cmpuint (produced, ==, len);
          /* Full steps, and at most one more that finds the end. */
          g_assert_cmpuint (steps, >=, (len + step_budgets[b] - 1) / step_budgets[b]);
          g_assert_cmpuint (steps, <=, len / step_budgets[b] + 1);
          g_assert_cmpuint (fws_extension_message_get_rsv (m), ==, 0);
          g_assert_cmpmem (g_bytes_get_data (fws_extension_message_get_data (m), NULL), len, text, len);
        }
      /* Context takeover: one stream for both messages. */
      g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (session), ==, 1);
    }
}

static void
test_inflate_steps_too_large (void)
{
  const gsize len = 1000000, max = 100000;
  g_autofree char *text = g_strnfill (len, 'x');

  g_test_summary ("In steps, a message that inflates past max-length fails with "
                  "FWS_ERROR_TOO_LARGE at the step that passes it: max-length + 1 bytes came "
                  "out, never the rest");

  for (gsize b = 0; b < G_N_ELEMENTS (step_budgets); b++)
    {
      g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
      g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);
      g_autoptr(GBytes) compressed = compress_text (sender, text);
      g_autoptr(FwsExtensionMessage) m = fws_extension_message_new_full (FWS_MESSAGE_TYPE_TEXT,
                                                                         FWS_RESERVED_BITS_RSV1,
                                                                         compressed, max, FALSE);
      g_autoptr(GError) error = NULL;
      FwsInflateStep step;
      gsize steps = 0, produced = 0;

      if (step_budgets[b] == 1)
        continue;   /* 100,001 steps: long, and nothing new */
      do
        {
          gsize budget = step_budgets[b];

          step = fws_permessage_deflate_session_inflate_step (session, m, &budget, &error);
          if (step != FWS_INFLATE_ERROR)
            produced += step_budgets[b] - budget;
          steps++;
        }
      while (step == FWS_INFLATE_MORE);

      g_assert_cmpint (step, ==, FWS_INFLATE_ERROR);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
      g_assert_cmpuint (produced, <=, max);
      g_assert_cmpuint (steps, ==, max / step_budgets[b] + 1);
      g_assert_false (fws_permessage_deflate_session_has_inflater (session));
    }
}

/* ---- Through a driver ---- */

typedef struct
{
  FwsDriver *driver;
  GByteArray *out;
  GPtrArray *messages;   /* of GBytes */
  GError *error;
  guint close_code;
  gboolean closed;
} Conn;

static void
c_write (gpointer user_data, const guint8 *data, gsize len)
{
  g_byte_array_append (((Conn *) user_data)->out, data, (guint) len);
}

static void
c_write_frame (gpointer user_data, const guint8 *header, gsize header_len, GBytes *payload)
{
  Conn *c = user_data;

  g_byte_array_append (c->out, header, (guint) header_len);
  g_byte_array_append (c->out, g_bytes_get_data (payload, NULL), (guint) g_bytes_get_size (payload));
}

static void
c_random (gpointer user_data, guint8 *buf, gsize len)
{
  memset (buf, 0x5a, len);
}

static void
c_open (gpointer user_data)
{
}

static void
c_message (gpointer user_data, FwsMessageType type, GBytes *data)
{
  g_ptr_array_add (((Conn *) user_data)->messages, g_bytes_ref (data));
}

static void
c_ping (gpointer user_data, GBytes *payload)
{
}

static void
c_error (gpointer user_data, const GError *error)
{
  Conn *c = user_data;

  g_assert_null (c->error);
  c->error = g_error_copy (error);
}

static void
c_close (gpointer user_data, guint code, const char *reason)
{
  Conn *c = user_data;

  g_assert_false (c->closed);
  c->closed = TRUE;
  c->close_code = code;
}

static const FwsDriverCallbacks conn_callbacks = {
  c_write, c_write_frame, c_random, c_open, c_message, c_ping, c_ping, c_error, c_close,
};

/* A server driver that negotiated permessage-deflate with @offer. */
static void
conn_init (Conn *c, const char *offer, guint64 max_length)
{
  g_autoptr(SoupMessageHeaders) h = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();

  memset (c, 0, sizeof *c);
  c->out = g_byte_array_new ();
  c->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  soup_message_headers_append (h, "Host", "example.com");
  soup_message_headers_append (h, "Connection", "Upgrade");
  soup_message_headers_append (h, "Upgrade", "websocket");
  soup_message_headers_append (h, "Sec-WebSocket-Key", "JFBCWHksyIpXV+6Wlq/9pw==");
  soup_message_headers_append (h, "Sec-WebSocket-Version", "13");
  if (offer != NULL)
    soup_message_headers_append (h, "Sec-WebSocket-Extensions", offer);
  c->driver = fws_driver_new_server (&conn_callbacks, c, "GET", h, NULL, NULL, max_length);
  g_assert_true (fws_driver_add_extension (c->driver, FWS_EXTENSION (ext), NULL));
  g_assert_true (fws_driver_start (c->driver));
  g_byte_array_set_size (c->out, 0);
}

static void
conn_clear (Conn *c)
{
  g_clear_pointer (&c->driver, fws_driver_free);
  g_byte_array_unref (c->out);
  g_ptr_array_unref (c->messages);
  g_clear_error (&c->error);
}

/* Feeds one masked client frame (b0 = FIN | RSV | opcode). */
static void
conn_feed_frame (Conn *c, guint8 b0, const guint8 *payload, gsize len)
{
  static const guint8 key[4] = { 0x11, 0x22, 0x33, 0x44 };
  g_autoptr(GBytes) frame = fws_test_frame (b0, key, payload, len);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  /* In pieces, as a socket would deliver it. */
  for (gsize off = 0; off < size && !c->closed; off += 65536)
    fws_driver_parse (c->driver, data + off, MIN (65536, size - off));
}

static FwsExtensionSession *
conn_session (Conn *c)
{
  FwsExtensions *exts = fws_driver_get_extensions (c->driver);

  g_assert_cmpuint (fws_extensions_get_n_active (exts), ==, 1);
  return fws_extensions_get_active_session (exts, 0);
}

/* 1 GiB of zeros as raw deflate: 1 MiB compressed with a full flush,
 * repeated 1024 times. Each piece refers to nothing before it, so the
 * concatenation is one valid stream (checked below for two pieces). */
static GBytes *
zero_bomb (gsize *inflated)
{
  const gsize chunk = 1024 * 1024, copies = 1024;
  g_autofree guint8 *zeros = g_malloc0 (chunk);
  guint8 *piece = g_malloc (chunk);
  z_stream z = { 0 };
  gsize piece_len;
  GByteArray *bomb;

  g_assert_cmpint (deflateInit2 (&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), ==, Z_OK);
  z.next_in = zeros;
  z.avail_in = (uInt) chunk;
  z.next_out = piece;
  z.avail_out = (uInt) chunk;
  g_assert_cmpint (deflate (&z, Z_FULL_FLUSH), ==, Z_OK);
  g_assert_cmpuint (z.avail_in, ==, 0);
  piece_len = chunk - z.avail_out;
  deflateEnd (&z);

  /* Two pieces inflate to exactly two chunks of zeros. */
  {
    z_stream i = { 0 };
    g_autofree guint8 *two = g_malloc (piece_len * 2);
    g_autofree guint8 *out = g_malloc (chunk * 2 + 16);

    memcpy (two, piece, piece_len);
    memcpy (two + piece_len, piece, piece_len);
    g_assert_cmpint (inflateInit2 (&i, -15), ==, Z_OK);
    i.next_in = two;
    i.avail_in = (uInt) piece_len * 2;
    i.next_out = out;
    i.avail_out = (uInt) chunk * 2 + 16;
    g_assert_cmpint (inflate (&i, Z_SYNC_FLUSH), ==, Z_OK);
    g_assert_cmpuint (i.avail_in, ==, 0);
    g_assert_cmpuint (chunk * 2 + 16 - i.avail_out, ==, chunk * 2);
    inflateEnd (&i);
  }

  bomb = g_byte_array_sized_new ((guint) (piece_len * copies));
  for (gsize k = 0; k < copies; k++)
    g_byte_array_append (bomb, piece, (guint) piece_len);
  g_free (piece);
  *inflated = chunk * copies;
  return g_byte_array_free_to_bytes (bomb);
}

#define MAX_LENGTH_64M ((guint64) 64 * 1024 * 1024)

static void
run_bomb (void)
{
  gsize inflated = 0;
  g_autoptr(GBytes) bomb = zero_bomb (&inflated);
  Conn c;

  g_assert_cmpuint (inflated, ==, (gsize) 1 << 30);
  g_assert_cmpuint (g_bytes_get_size (bomb), <, 2 * 1024 * 1024);
  conn_init (&c, "permessage-deflate", MAX_LENGTH_64M);
  fws_permessage_deflate_reset_inflate_peak ();
  conn_feed_frame (&c, 0x82 | 0x40, g_bytes_get_data (bomb, NULL), g_bytes_get_size (bomb));

  g_assert_true (c.closed);
  g_assert_cmpuint (c.close_code, ==, 1009);
  g_assert_error (c.error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix (c.error->message, "permessage-deflate: "));
  g_assert_cmpuint (c.messages->len, ==, 0);
  /* A close frame with 1009 went out. */
  g_assert_cmpuint (c.out->len, >=, 4);
  g_assert_cmpuint (c.out->data[0], ==, 0x88);
  g_assert_cmpuint (c.out->data[2], ==, 0x03);
  g_assert_cmpuint (c.out->data[3], ==, 0xf1);
  /* The inflater held about max-length, never the inflated size. */
  g_test_message ("inflater peak: %" G_GSIZE_FORMAT " bytes", fws_permessage_deflate_get_inflate_peak ());
  g_assert_cmpuint (fws_permessage_deflate_get_inflate_peak (), >, MAX_LENGTH_64M);
  g_assert_cmpuint (fws_permessage_deflate_get_inflate_peak (), <, MAX_LENGTH_64M + 1024 * 1024);
  g_assert_false (fws_permessage_deflate_session_has_inflater (conn_session (&c)));
  conn_clear (&c);
}

static void
test_bomb (void)
{
  g_test_summary ("A 1 MiB frame that inflates to 1 GiB, sent to a driver with max-length 64 MiB, "
                  "closes with 1009 after the inflater held about 64 MiB (counted), and the process "
                  "that ran it stayed far below 1 GiB resident (getrusage of a subprocess)");
  if (g_test_subprocess ())
    {
      run_bomb ();
      return;
    }
  run_bomb ();
  if (g_getenv ("FWS_UNDER_VALGRIND") == NULL)
    {
      struct rusage usage;

      g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &usage), ==, 0);
      g_test_message ("subprocess max RSS: %ld KiB", usage.ru_maxrss);
      /* 64 MiB of output, 1 MiB of bomb, its masked copy and the library. */
      g_assert_cmpint (usage.ru_maxrss, <, 256 * 1024);
    }
}

static void
test_driver_corrupt (void)
{
  Conn c;

  g_test_summary ("A compressed frame that is not deflate closes the connection with 1007");
  conn_init (&c, "permessage-deflate", 1000);
  conn_feed_frame (&c, 0xc1, (const guint8 *) "\xff\xff\xff\xff", 4);
  g_assert_true (c.closed);
  g_assert_cmpuint (c.close_code, ==, 1007);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (c.error->message, "permessage-deflate: "));
  conn_clear (&c);
}

static void
test_driver_utf8 (void)
{
  g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) bad = NULL;
  g_autoptr(GBytes) bad_binary = NULL;
  Conn c;

  g_test_summary ("Text that arrived compressed is validated as UTF-8 after inflating (1007); "
                  "the same bytes as binary are fine; valid text arrives NUL-terminated");
  good = compress_text (sender, "h\xc3\xa9llo \xe2\x9c\x93");
  conn_init (&c, "permessage-deflate", 1000);
  conn_feed_frame (&c, 0xc1, g_bytes_get_data (good, NULL), g_bytes_get_size (good));
  g_assert_false (c.closed);
  g_assert_cmpuint (c.messages->len, ==, 1);
  g_assert_cmpstr (g_bytes_get_data (c.messages->pdata[0], NULL), ==, "h\xc3\xa9llo \xe2\x9c\x93");

  bad_binary = compress_text (sender, "\xc3\x28 not UTF-8");
  conn_feed_frame (&c, 0xc2, g_bytes_get_data (bad_binary, NULL), g_bytes_get_size (bad_binary));
  g_assert_false (c.closed);
  g_assert_cmpuint (c.messages->len, ==, 2);

  bad = compress_text (sender, "\xc3\x28 not UTF-8");
  conn_feed_frame (&c, 0xc1, g_bytes_get_data (bad, NULL), g_bytes_get_size (bad));
  g_assert_true (c.closed);
  g_assert_cmpuint (c.close_code, ==, 1007);
  g_assert_error (c.error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
  conn_clear (&c);
}

static void
test_driver_not_negotiated (void)
{
  Conn c;

  g_test_summary ("Without an offer nothing is negotiated: no session, no zlib, RSV1 is a protocol error");
  conn_init (&c, NULL, 1000);
  g_assert_cmpuint (fws_extensions_get_n_active (fws_driver_get_extensions (c.driver)), ==, 0);
  conn_feed_frame (&c, 0xc1, (const guint8 *) "\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  g_assert_true (c.closed);
  g_assert_cmpuint (c.close_code, ==, 1002);
  conn_clear (&c);
}

static void
test_driver_release (void)
{
  g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);
  g_autoptr(GBytes) hello = compress_text (sender, "Hello");
  FwsExtensionSession *session;
  Conn c;

  guint inflaters, deflaters;

  g_test_summary ("On a connection with client_no_context_takeover and the default options the "
                  "inflater is released after each message and no compressor is kept between "
                  "messages: the connection holds no zlib stream while idle");
  conn_init (&c, "permessage-deflate; client_no_context_takeover", 1000);
  session = conn_session (&c);
  {
    g_autoptr(GBytes) warm = g_bytes_new_static ("Hi", 2);

    /* The thread's shared compressor, made once. */
    g_assert_true (fws_driver_send (c.driver, FWS_MESSAGE_TYPE_TEXT, warm, NULL));
  }
  inflaters = fws_permessage_deflate_get_live_inflaters ();
  deflaters = fws_permessage_deflate_get_live_deflaters ();
  conn_feed_frame (&c, 0xc1, g_bytes_get_data (hello, NULL), g_bytes_get_size (hello));
  g_assert_cmpuint (c.messages->len, ==, 1);
  g_assert_false (fws_permessage_deflate_session_has_inflater (session));
  g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (session), ==, 1);
  g_assert_cmpuint (fws_permessage_deflate_get_live_inflaters (), ==, inflaters);
  {
    g_autoptr(GBytes) hi = g_bytes_new_static ("Hi", 2);

    g_assert_true (fws_driver_send (c.driver, FWS_MESSAGE_TYPE_TEXT, hi, NULL));
  }
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (session), ==, 0);
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
  fws_driver_transport_closed (c.driver, NULL);
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
  conn_clear (&c);
}

/* Masked client frames, one after the other. */
static void
append_frame (GByteArray *buf, guint8 b0, GBytes *payload)
{
  static const guint8 key[4] = { 0x11, 0x22, 0x33, 0x44 };
  g_autoptr(GBytes) frame = fws_test_frame (b0, key, g_bytes_get_data (payload, NULL),
                                            g_bytes_get_size (payload));

  g_byte_array_append (buf, g_bytes_get_data (frame, NULL), (guint) g_bytes_get_size (frame));
}

/* Feeds @buf turn after turn; checks every turn against the budget and
 * returns the number of turns. @messages_at (nullable) gets, per turn,
 * the number of messages delivered by its end. */
static guint
feed_in_turns (Conn *c, GByteArray *buf, gsize bytes, gsize inflated, guint messages,
               GArray *messages_at)
{
  const guint8 *p = buf->data;
  gsize len = buf->len;
  guint turns = 0;

  fws_driver_set_budget (c->driver, bytes, inflated, messages);
  while (len > 0 || fws_driver_has_backlog (c->driver))
    {
      gsize used, t_bytes, t_inflated;
      guint t_messages;

      g_assert_cmpuint (turns, <, 100000);
      fws_driver_new_turn (c->driver);
      used = fws_driver_feed (c->driver, p, len);
      fws_driver_get_turn (c->driver, &t_bytes, &t_inflated, &t_messages);
      if (bytes != 0)
        g_assert_cmpuint (t_bytes, <=, bytes);
      if (inflated != 0)
        g_assert_cmpuint (t_inflated, <=, inflated);
      if (messages != 0)
        g_assert_cmpuint (t_messages, <=, messages);
      g_assert_cmpuint (t_bytes, ==, used);
      /* Every turn makes progress. */
      g_assert_true (used > 0 || t_inflated > 0 || t_messages > 0 || c->closed);
      p += used;
      len -= used;
      turns++;
      if (messages_at != NULL)
        g_array_append_val (messages_at, c->messages->len);
      if (c->closed)
        break;
    }
  return turns;
}

static void
test_driver_turns (void)
{
  const gsize len = 1024 * 1024;
  g_autofree char *text = stepping_text (len);
  g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);
  g_autoptr(GBytes) big = compress_text (sender, text);
  g_autoptr(GBytes) hello = compress_text (sender, "hello");
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GArray) at = g_array_new (FALSE, FALSE, sizeof (guint));
  guint turns;
  Conn c;

  g_test_summary ("A driver with a budget bounds each turn: 64 KiB inflated per turn inflates a "
                  "1 MiB binary message over 16 or 17 turns and delivers the next message after it; 3 "
                  "messages per turn delivers 10 messages over 4 turns; 100 bytes per turn parses "
                  "at most 100 bytes per turn. fws_driver_parse still takes everything at once");

  conn_init (&c, "permessage-deflate", 2 * len);
  append_frame (buf, 0xc2, big);   /* binary: no UTF-8 check after it (turn-utf8) */
  append_frame (buf, 0xc1, hello);
  turns = feed_in_turns (&c, buf, 0, 65536, 0, at);
  g_assert_false (c.closed);
  g_assert_cmpuint (turns, >=, 16);
  g_assert_cmpuint (turns, <=, 18);
  g_assert_cmpuint (g_array_index (at, guint, 0), ==, 0);   /* nothing whole after one turn */
  g_assert_cmpuint (c.messages->len, ==, 2);
  g_assert_cmpmem (g_bytes_get_data (c.messages->pdata[0], NULL), g_bytes_get_size (c.messages->pdata[0]),
                   text, len);
  g_assert_cmpmem (g_bytes_get_data (c.messages->pdata[1], NULL), g_bytes_get_size (c.messages->pdata[1]),
                   "hello", 5);
  conn_clear (&c);

  /* Ten small messages, three per turn. */
  conn_init (&c, "permessage-deflate", 1000);
  g_byte_array_set_size (buf, 0);
  g_array_set_size (at, 0);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *m = g_strdup_printf ("message %u", i);
      g_autoptr(GBytes) z = compress_text (sender, m);

      append_frame (buf, 0xc1, z);
    }
  turns = feed_in_turns (&c, buf, 0, 0, 3, at);
  g_assert_cmpuint (turns, ==, 4);
  g_assert_cmpuint (g_array_index (at, guint, 0), ==, 3);
  g_assert_cmpuint (g_array_index (at, guint, 1), ==, 6);
  g_assert_cmpuint (g_array_index (at, guint, 2), ==, 9);
  g_assert_cmpuint (g_array_index (at, guint, 3), ==, 10);
  g_assert_cmpmem (g_bytes_get_data (c.messages->pdata[9], NULL), g_bytes_get_size (c.messages->pdata[9]),
                   "message 9", 9);
  conn_clear (&c);

  /* The same bytes again (a fresh driver and compressor), 100 bytes per turn. */
  {
    g_autoptr(FwsExtensionSession) sender2 = server_session ("", NULL);

    conn_init (&c, "permessage-deflate", 1000);
    g_byte_array_set_size (buf, 0);
    for (guint i = 0; i < 10; i++)
      {
        g_autofree char *m = g_strdup_printf ("message %u", i);
        g_autoptr(GBytes) z = compress_text (sender2, m);

        append_frame (buf, 0xc1, z);
      }
    turns = feed_in_turns (&c, buf, 100, 0, 0, NULL);
    g_assert_cmpuint (turns, ==, (buf->len + 99) / 100);
    g_assert_cmpuint (c.messages->len, ==, 10);
    conn_clear (&c);
  }

  /* Without a budget, fws_driver_parse is one turn; with one it loops. */
  {
    g_autoptr(FwsExtensionSession) sender3 = server_session ("", NULL);
    g_autoptr(GBytes) big3 = compress_text (sender3, text);

    conn_init (&c, "permessage-deflate", 2 * len);
    fws_driver_set_budget (c.driver, 1000, 4096, 1);
    g_byte_array_set_size (buf, 0);
    append_frame (buf, 0xc1, big3);
    fws_driver_parse (c.driver, buf->data, buf->len);
    g_assert_cmpuint (c.messages->len, ==, 1);
    g_assert_false (fws_driver_has_backlog (c.driver));
    conn_clear (&c);
  }
}

static void
test_driver_turn_utf8 (void)
{
  const gsize len = 1024 * 1024;
  g_autofree char *text = stepping_text (len);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint turns;
  Conn c;

  g_test_summary ("With a budget, the UTF-8 of an inflated text is checked in steps counted "
                  "with the bytes inflated: 1 MiB of text at 64 KiB per turn takes 32 or 33 "
                  "turns; a bad last byte closes with 1007 at the last of them");

  for (guint bad = 0; bad < 2; bad++)
    {
      g_autoptr(FwsExtensionSession) sender = server_session ("", NULL);
      g_autoptr(GBytes) z = NULL;

      if (bad)
        text[len - 1] = (char) 0xff;
      z = compress_text (sender, text);
      conn_init (&c, "permessage-deflate", 2 * len);
      g_byte_array_set_size (buf, 0);
      append_frame (buf, 0xc1, z);
      turns = feed_in_turns (&c, buf, 0, 65536, 0, NULL);
      g_assert_cmpuint (turns, >=, 32);
      g_assert_cmpuint (turns, <=, 33);
      if (bad)
        {
          g_assert_true (c.closed);
          g_assert_cmpuint (c.close_code, ==, 1007);
          g_assert_error (c.error, FWS_ERROR, FWS_ERROR_INVALID_UTF8);
          g_assert_cmpuint (c.messages->len, ==, 0);
        }
      else
        {
          g_assert_false (c.closed);
          g_assert_cmpuint (c.messages->len, ==, 1);
          g_assert_cmpmem (g_bytes_get_data (c.messages->pdata[0], NULL),
                           g_bytes_get_size (c.messages->pdata[0]), text, len);
          /* NUL-terminated, as every text message. */
          g_assert_cmpint (((const char *) g_bytes_get_data (c.messages->pdata[0], NULL))[len], ==, 0);
        }
      conn_clear (&c);
    }
}

static void
test_driver_turn_bomb (void)
{
  gsize inflated = 0;
  g_autoptr(GBytes) bomb = zero_bomb (&inflated);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  const guint64 max = 4 * 1024 * 1024;
  guint turns;
  Conn c;

  g_test_summary ("Inflated 256 KiB per turn, a 1 GiB bomb with max-length 4 MiB closes with "
                  "1009 at the turn that passes 4 MiB (the 17th), having held about max-length");
  conn_init (&c, "permessage-deflate", max);
  append_frame (buf, 0xc2, bomb);
  fws_permessage_deflate_reset_inflate_peak ();
  turns = feed_in_turns (&c, buf, 0, 256 * 1024, 0, NULL);
  g_assert_true (c.closed);
  g_assert_cmpuint (c.close_code, ==, 1009);
  g_assert_error (c.error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
  g_assert_cmpuint (c.messages->len, ==, 0);
  /* The frame's bytes went in over the first turns (up to 1 MiB each, all
   * here as no byte budget was set), then 16 turns of 256 KiB reached
   * max-length and the 17th passed it. */
  g_assert_cmpuint (turns, ==, max / (256 * 1024) + 1);
  g_assert_cmpuint (fws_permessage_deflate_get_inflate_peak (), <, max + 1024 * 1024);
  g_assert_false (fws_driver_has_backlog (c.driver));
  conn_clear (&c);
}

/* ---- zlib streams counted: lazy, released, shared ---- */

static void
test_live_streams (void)
{
  g_autoptr(GBytes) hello = fws_test_hex ("f2 48 cd c9 c9 07 00");
  guint deflaters, inflaters;

  g_test_summary ("Counted through the live-stream accessors: a session makes no zlib stream until "
                  "a message needs one; with context takeover each direction keeps one until close; "
                  "without, the inflater is freed after each message and the compressor is the "
                  "thread's shared one, made once for any number of sessions");
  fws_permessage_deflate_release_shared ();
  deflaters = fws_permessage_deflate_get_live_deflaters ();
  inflaters = fws_permessage_deflate_get_live_inflaters ();

  /* Context takeover both ways. */
  {
    g_autoptr(FwsExtensionSession) session = server_session ("", "no-context-takeover", FALSE, NULL);
    g_autoptr(GBytes) c1 = NULL;
    g_autoptr(GBytes) c2 = NULL;
    g_autoptr(GBytes) out = NULL;

    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
    g_assert_cmpuint (fws_permessage_deflate_get_live_inflaters (), ==, inflaters);
    c1 = compress_text (session, "Hello");
    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 1);
    g_assert_cmpuint (fws_permessage_deflate_get_live_inflaters (), ==, inflaters);
    out = inflate_message (session, hello, 0, NULL);
    g_assert_cmpuint (fws_permessage_deflate_get_live_inflaters (), ==, inflaters + 1);
    c2 = compress_text (session, "Hello");
    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 1);
    fws_extension_session_close (session);
    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
    g_assert_cmpuint (fws_permessage_deflate_get_live_inflaters (), ==, inflaters);
  }

  /* The defaults, and a peer without context takeover. */
  {
    g_autoptr(FwsExtensionSession) a = server_session ("client_no_context_takeover", NULL);
    g_autoptr(FwsExtensionSession) b = server_session ("client_no_context_takeover", NULL);
    g_autoptr(GBytes) ca = NULL;
    g_autoptr(GBytes) cb = NULL;
    g_autoptr(GBytes) out = NULL;

    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
    ca = compress_text (a, "Hello");
    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 1);
    cb = compress_text (b, "Hello");
    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 1);
    g_assert_false (fws_permessage_deflate_session_has_deflater (a));
    g_assert_false (fws_permessage_deflate_session_has_deflater (b));
    out = inflate_message (a, hello, 0, NULL);
    g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "Hello", 5);
    g_assert_cmpuint (fws_permessage_deflate_get_live_inflaters (), ==, inflaters);
    g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (a), ==, 1);
  }
  /* The sessions are gone; the shared compressor stays for the next ones. */
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 1);
  fws_permessage_deflate_release_shared ();
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
}

static gpointer
compress_in_thread (gpointer data)
{
  g_autoptr(FwsExtensionSession) session = server_session ("", NULL);
  g_autoptr(GBytes) c = compress_text (session, sample_text ());
  guint *live = data;

  *live = fws_permessage_deflate_get_live_deflaters ();
  return g_bytes_ref (c);
}

static void
test_shared_compressor (void)
{
  static const int levels[] = { 1, 9, -1, 6, 2, 3 };
  g_autoptr(GBytes) want6 = reference_deflate (sample_text (), -1, 15, 5, 0);
  g_autoptr(GBytes) want1 = reference_deflate (sample_text (), 1, 15, 5, 0);
  g_autoptr(FwsExtensionSession) a = server_session ("", NULL);
  g_autoptr(FwsExtensionSession) b = server_session ("", NULL);
  g_autoptr(FwsExtensionSession) fast = server_session ("", "level", 1, NULL);
  guint deflaters, in_thread = 0;

  g_test_summary ("The shared compressor: interleaved messages of several sessions each come out "
                  "as zlib's own fresh stream would make them; sessions with other zlib options get "
                  "a compressor of their own (at most 4 sets per thread are kept); another thread "
                  "has its own, freed when the thread ends");
  fws_permessage_deflate_release_shared ();
  deflaters = fws_permessage_deflate_get_live_deflaters ();
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) ga = compress_text (a, sample_text ());
      g_autoptr(GBytes) gf = compress_text (fast, sample_text ());
      g_autoptr(GBytes) gb = compress_text (b, sample_text ());

      g_assert_true (g_bytes_equal (ga, want6));
      g_assert_true (g_bytes_equal (gb, want6));
      g_assert_true (g_bytes_equal (gf, want1));
    }
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 2);

  /* Six levels: the least recently used sets go, four stay. */
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      g_autoptr(FwsExtensionSession) s = server_session ("", "level", levels[i], NULL);
      g_autoptr(GBytes) got = compress_text (s, sample_text ());
      g_autoptr(GBytes) want = reference_deflate (sample_text (), levels[i], 15, 5, 0);

      g_assert_true (g_bytes_equal (got, want));
    }
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 4);

  {
    GThread *thread = g_thread_new ("compress", compress_in_thread, &in_thread);
    g_autoptr(GBytes) got = g_thread_join (thread);

    g_assert_true (g_bytes_equal (got, want6));
    g_assert_cmpuint (in_thread, ==, deflaters + 5);
    g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters + 4);
  }
  fws_permessage_deflate_release_shared ();
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
}

static void
test_threshold (void)
{
  g_autoptr(FwsPermessageDeflate) ext = deflate_ext ("threshold", 6, "no-context-takeover", FALSE, NULL);
  g_autoptr(FwsExtensionParams) empty = parse_params ("");
  g_autoptr(FwsExtensionSession) session = create_server_session (ext, &empty, 1);
  g_autoptr(GBytes) hello = g_bytes_new_static ("Hello", 5);
  g_autoptr(FwsExtensionMessage) m = fws_extension_message_new (FWS_MESSAGE_TYPE_TEXT, 0, hello);
  g_autoptr(GBytes) six = NULL;
  guint deflaters = fws_permessage_deflate_get_live_deflaters ();

  g_test_summary ("threshold: a message shorter than it is sent as it is, without RSV1 and without "
                  "making a compressor; one of that length is compressed (RFC 7692's bytes)");
  g_assert_cmpuint (fws_permessage_deflate_get_threshold (ext), ==, 6);
  g_assert_true (fws_extension_session_process_outgoing_message (session, m, NULL));
  g_assert_cmpuint (fws_extension_message_get_rsv (m), ==, 0);
  g_assert_true (fws_extension_message_get_data (m) == hello);
  g_assert_false (fws_permessage_deflate_session_has_deflater (session));
  g_assert_cmpuint (fws_permessage_deflate_get_live_deflaters (), ==, deflaters);
  six = compress_text (session, "Hello!");
  assert_bytes_hex (six, "f2 48 cd c9 c9 57 04 00");
  g_assert_true (fws_permessage_deflate_session_has_deflater (session));
}

static void
test_defaults (void)
{
  g_autoptr(FwsPermessageDeflate) ext = fws_permessage_deflate_new ();
  g_autoptr(FwsExtensionParams) empty = parse_params ("client_max_window_bits");
  g_autoptr(FwsExtensionSession) server = create_server_session (ext, &empty, 1);
  g_autoptr(FwsExtensionSession) client = fws_extension_create_client_session (FWS_EXTENSION (ext));
  g_autoptr(FwsExtensionParams) response = fws_extension_session_generate_response (server);
  g_autofree char *offer = offer_of (client);
  g_autofree char *answer = fws_extension_params_to_string (response);
  FwsDeflateConfig config;

  g_test_summary ("The defaults since 0.2: our compressor without context takeover (a server "
                  "answers server_no_context_takeover, a client offers client_no_context_takeover), "
                  "the peer's with it, zlib's level, memory level 5, 15-bit windows, no threshold");
  g_assert_true (fws_permessage_deflate_get_no_context_takeover (ext));
  g_assert_false (fws_permessage_deflate_get_request_no_context_takeover (ext));
  g_assert_cmpint (fws_permessage_deflate_get_level (ext), ==, -1);
  g_assert_cmpuint (fws_permessage_deflate_get_mem_level (ext), ==, 5);
  g_assert_cmpuint (fws_permessage_deflate_get_max_window_bits (ext), ==, 15);
  g_assert_cmpuint (fws_permessage_deflate_get_threshold (ext), ==, 0);
  g_assert_cmpstr (answer, ==, "server_no_context_takeover");
  g_assert_cmpstr (offer, ==, "permessage-deflate; client_max_window_bits; client_no_context_takeover");
  g_assert_true (fws_permessage_deflate_session_get_config (server, &config));
  g_assert_false (config.own_takeover);
  g_assert_true (config.peer_takeover);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/deflate/client/sessions", test_client_sessions);
  g_test_add_func ("/deflate/client/invalid-window-bits", test_client_invalid_window_bits);
  g_test_add_func ("/deflate/compressor-options", test_compressor_options);
  g_test_add_func ("/deflate/server/sessions", test_server_sessions);
  g_test_add_func ("/deflate/server/first-valid-offer", test_server_first_valid_offer);
  g_test_add_func ("/deflate/vectors/takeover", test_vectors_takeover);
  g_test_add_func ("/deflate/vectors/no-takeover", test_vectors_no_takeover);
  g_test_add_func ("/deflate/vectors/inflate", test_inflate_vectors);
  g_test_add_func ("/deflate/round-trip", test_round_trip_takeover);
  g_test_add_func ("/deflate/zlib-lifetime", test_zlib_lifetime);
  g_test_add_func ("/deflate/live-streams", test_live_streams);
  g_test_add_func ("/deflate/shared-compressor", test_shared_compressor);
  g_test_add_func ("/deflate/threshold", test_threshold);
  g_test_add_func ("/deflate/defaults", test_defaults);
  g_test_add_func ("/deflate/window-bits-8", test_window_bits_8);
  g_test_add_func ("/deflate/corrupt", test_corrupt);
  g_test_add_func ("/deflate/final-block", test_final_block);
  g_test_add_func ("/deflate/inflate-limit", test_inflate_limit_session);
  g_test_add_func ("/deflate/driver/bomb", test_bomb);
  g_test_add_func ("/deflate/inflate-steps", test_inflate_steps);
  g_test_add_func ("/deflate/inflate-steps-too-large", test_inflate_steps_too_large);
  g_test_add_func ("/deflate/driver/turns", test_driver_turns);
  g_test_add_func ("/deflate/driver/turn-bomb", test_driver_turn_bomb);
  g_test_add_func ("/deflate/driver/turn-utf8", test_driver_turn_utf8);
  g_test_add_func ("/deflate/driver/corrupt", test_driver_corrupt);
  g_test_add_func ("/deflate/driver/utf8-after-inflate", test_driver_utf8);
  g_test_add_func ("/deflate/driver/not-negotiated", test_driver_not_negotiated);
  g_test_add_func ("/deflate/driver/release", test_driver_release);

  return g_test_run ();
}
