/* test-deflate-interop.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * permessage-deflate with real peers nobody here wrote: python3-websockets
 * (asyncio API, /usr/bin/python3 or $FWS_TEST_PYTHON) and node's ws
 * (/usr/bin/node or $FWS_TEST_NODE, found through $NODE_PATH), each as the
 * client of our server and as the server of our client, in three scenarios:
 *
 *   default      both sides with their defaults (ours: no context takeover
 *                for our compressor, the peer's keeps it; python3-websockets'
 *                server asks for 12-bit windows);
 *   takeover     the peer's defaults, and our compressor keeps its context;
 *   no-takeover  no context takeover, both ways;
 *   window-bits  reduced windows: our side compresses with at most 10 bits
 *                and asks the peer for at most 9 (as a server: 10 and 9 when
 *                the client offers them; a peer client asks for 11);
 *   window-8     our compressor's window is negotiated as 8 bits, which zlib
 *                runs as 9; the peer inflates with a real 8-bit window
 *                (python's zlib.decompressobj(wbits=-8), node's windowBits 8).
 *
 * Each connection asserts the negotiated Sec-WebSocket-Extensions response
 * and round-trips "" as text and as binary, 100 KB of text and 10 MB of
 * random bytes. Our sessions are then inspected: both directions really
 * were compressed, and without context takeover no zlib stream of the
 * connection's own is left between messages. The peer scripts are tests/peers/deflate-*.
 */
#include "test-utils.h"

#include <string.h>
#include <unistd.h>

#include "fws-permessage-deflate-private.h"
#include "fws-permessage-deflate-private.h"

#define TEXT_SIZE (100 * 1024)
#define BINARY_SIZE (10 * 1024 * 1024)

typedef struct
{
  const char *name;
  const char *interpreter_env;
  const char *interpreter_default;
  const char *client_script;
  const char *server_script;
} Peer;

static const Peer python_peer = {
  "python3-websockets", "FWS_TEST_PYTHON", "/usr/bin/python3", "deflate-py-client.py", "deflate-py-server.py",
};

static const Peer node_peer = {
  "node ws", "FWS_TEST_NODE", "/usr/bin/node", "deflate-node-client.js", "deflate-node-server.js",
};

typedef struct
{
  const Peer *peer;
  const char *scenario;
  gboolean    server;              /* we are the server */
  const char *expected_response;   /* Sec-WebSocket-Extensions of the 101 */
} Case;

static const Case cases[] = {
  /* Our server; the peer's client offers. */
  { &python_peer, "default", TRUE, "permessage-deflate; server_no_context_takeover" },
  { &python_peer, "takeover", TRUE, "permessage-deflate" },
  { &python_peer, "no-takeover", TRUE, "permessage-deflate; client_no_context_takeover; server_no_context_takeover" },
  { &python_peer, "window-bits", TRUE,
    "permessage-deflate; client_max_window_bits=9; server_max_window_bits=10; server_no_context_takeover" },
  { &node_peer, "default", TRUE, "permessage-deflate; server_no_context_takeover" },
  { &node_peer, "takeover", TRUE, "permessage-deflate" },
  { &node_peer, "no-takeover", TRUE, "permessage-deflate; client_no_context_takeover; server_no_context_takeover" },
  { &node_peer, "window-bits", TRUE,
    "permessage-deflate; client_max_window_bits=9; server_max_window_bits=10; server_no_context_takeover" },
  { &python_peer, "window-8", TRUE,
    "permessage-deflate; server_max_window_bits=8; server_no_context_takeover" },
  { &node_peer, "window-8", TRUE,
    "permessage-deflate; server_max_window_bits=8; server_no_context_takeover" },
  /* Our client; the peer's server answers. */
  { &python_peer, "default", FALSE,
    "permessage-deflate; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12" },
  { &python_peer, "takeover", FALSE, "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12" },
  { &python_peer, "no-takeover", FALSE, "permessage-deflate; server_no_context_takeover; client_no_context_takeover" },
  { &python_peer, "window-bits", FALSE,
    "permessage-deflate; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10" },
  { &node_peer, "default", FALSE,
    "permessage-deflate; client_no_context_takeover" },
  { &node_peer, "takeover", FALSE, "permessage-deflate" },
  { &node_peer, "no-takeover", FALSE, "permessage-deflate; client_no_context_takeover; server_no_context_takeover" },
  { &node_peer, "window-bits", FALSE,
    "permessage-deflate; client_max_window_bits=10; client_no_context_takeover; server_max_window_bits=9" },
  { &python_peer, "window-8", FALSE,
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=8" },
  { &node_peer, "window-8", FALSE,
    "permessage-deflate; client_max_window_bits=8; client_no_context_takeover" },
};

typedef struct
{
  const Case   *c;
  const char   *interpreter;

  FwsTestServer *server;
  guint         port;
  GSubprocess  *proc;
  gboolean      proc_done;
  char         *proc_stdout;

  FwsWebSocket *ws;
  FwsTestEvents *events;    /* echoes when we are the server */
} Fixture;

/* Our side of each scenario. */
static FwsPermessageDeflate *
our_extension (const char *scenario)
{
  if (g_str_equal (scenario, "takeover"))
    return g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "no-context-takeover", FALSE, NULL);
  if (g_str_equal (scenario, "no-takeover"))
    return g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE,
                         "no-context-takeover", TRUE,
                         "request-no-context-takeover", TRUE,
                         NULL);
  if (g_str_equal (scenario, "window-8"))
    return g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "max-window-bits", 8, NULL);
  if (g_str_equal (scenario, "window-bits"))
    return g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE,
                         "max-window-bits", 10,
                         "request-max-window-bits", 9,
                         NULL);
  return fws_permessage_deflate_new ();
}

/* ---- our end's signals ---- */

static void
watch (Fixture *f, FwsWebSocket *ws)
{
  fws_web_socket_set_close_timeout (ws, 10000);
  fws_test_events_watch (f->events, ws);
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(FwsPermessageDeflate) deflate = our_extension (f->c->scenario);
  g_autoptr(GError) error = NULL;
  FwsWebSocket *ws;

  if (!fws_test_request_expect_websocket (request))
    return;
  g_assert_null (f->ws);
  g_test_message ("%s offers: %s", f->c->peer->name,
                  soup_message_headers_get_list (fws_test_request_get_headers (request),
                                                 "Sec-WebSocket-Extensions"));
  ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  g_assert_true (fws_web_socket_add_extension (ws, FWS_EXTENSION (deflate), &error));
  g_assert_true (fws_test_request_accept_web_socket (request, ws, &error));
  g_assert_no_error (error);
  watch (f, ws);
  f->ws = ws;
}

/* ---- the peer's process ---- */

static char *
peer_script (const char *name)
{
  char *path = g_test_build_filename (G_TEST_DIST, "peers", name, NULL);

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return path;
}

static void
communicated_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &f->proc_stdout, NULL, &error);
  g_assert_no_error (error);
  f->proc_done = TRUE;
}

/* The peer's client against our server; returns its "extensions:" line. */
static char *
run_peer_client (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *script = peer_script (f->c->peer->client_script);
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { f->interpreter, script, url, f->c->scenario, NULL };
  char *extensions = NULL;

  g_test_message ("%s: %s %s %s %s", f->c->peer->name, argv[0], argv[1], argv[2], argv[3]);
  f->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (f->proc, NULL, NULL, communicated_cb, f);
  fws_test_wait_until (f->proc_done, 90);

  if (!g_subprocess_get_if_exited (f->proc) || g_subprocess_get_exit_status (f->proc) != 0)
    g_error ("%s: %s failed (its complaint is on stderr above); it printed: %s", f->c->peer->name,
             f->c->peer->client_script, f->proc_stdout);
  lines = g_strsplit (f->proc_stdout, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "extensions: "))
      extensions = g_strdup (lines[i] + strlen ("extensions: "));
  g_assert_nonnull (extensions);
  g_assert_nonnull (strstr (f->proc_stdout, "\nok\n"));
  return extensions;
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->c = data;
  f->interpreter = g_getenv (f->c->peer->interpreter_env);
  if (f->interpreter == NULL)
    f->interpreter = f->c->peer->interpreter_default;
  /* A peer that is not there must not pass as a skip. */
  if (!g_file_test (f->interpreter, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s needs %s, which is not there (install it, or set %s)",
             f->c->peer->name, f->interpreter, f->c->peer->interpreter_env);
  f->events = fws_test_events_new (f->c->server);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->ws != NULL && f->events->closes == 0)
    {
      fws_web_socket_close (f->ws, 1001, NULL, NULL);
      fws_test_wait_until (f->events->closes > 0, 15);
    }
  g_clear_object (&f->ws);
  /* A server peer runs until stopped (which also drops our reference). */
  if (f->proc != NULL && !f->proc_done)
    fws_test_subprocess_stop (g_steal_pointer (&f->proc));
  g_clear_object (&f->proc);
  g_clear_pointer (&f->server, fws_test_server_stop);
  g_free (f->proc_stdout);
  g_assert_cmpuint (f->events->closes, <=, 1);
  fws_test_events_free (f->events);
}

/* ---- our messages ---- */

static GBytes *
our_text (void)
{
  static const char * const words[] = {
    "alpha", "b\xc3\xa9ta", "\xce\xb3\xce\xac\xce\xbc\xce\xbc\xce\xb1", "delta\xe2\x9c\x93",
    "\xf0\x9f\x98\x80", "echo", "foxtrot", "h\xc3\xb4tel", "\xe4\xb8\xad\xe6\x96\x87", "kilo",
  };
  GString *s = g_string_new (NULL);
  GRand *rand = g_rand_new_with_seed (7692);

  while (s->len < TEXT_SIZE)
    {
      g_string_append (s, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
      g_string_append_c (s, ' ');
    }
  g_rand_free (rand);
  return g_string_free_to_bytes (s);
}

static GBytes *
our_binary (void)
{
  guint32 *buf = g_new (guint32, BINARY_SIZE / 4);
  GRand *rand = g_rand_new_with_seed (1692);

  for (gsize i = 0; i < BINARY_SIZE / 4; i++)
    buf[i] = g_rand_int (rand);
  g_rand_free (rand);
  return g_bytes_new_take (buf, BINARY_SIZE);
}

/* ---- checks on our session ---- */

static FwsExtensionSession *
our_session (Fixture *f)
{
  g_autoptr(GPtrArray) sessions = fws_web_socket_get_extension_sessions (f->ws);

  g_assert_cmpuint (sessions->len, ==, 1);
  return sessions->pdata[0];
}

/* Both directions were compressed; without context takeover nothing stays
 * between messages. Node's ws leaves messages under 1 KiB uncompressed. */
static void
check_session (Fixture *f, FwsExtensionSession *session)
{
  FwsDeflateConfig config;
  const char *scenario = f->c->scenario;

  g_assert_true (fws_permessage_deflate_session_get_config (session, &config));
  g_assert_cmpuint (fws_permessage_deflate_session_get_deflated (session), ==, 4);
  g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (session), >=, 1);
  /* Only "takeover" keeps our compressor's context; the peer's keeps its
   * own except in "no-takeover". */
  g_assert_true (config.own_takeover == g_str_equal (scenario, "takeover"));
  g_assert_true (config.peer_takeover == !g_str_equal (scenario, "no-takeover"));
  if (config.own_takeover)
    g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (session), ==, 1);
  else
    {
      /* The thread's shared compressor served. */
      g_assert_cmpuint (fws_permessage_deflate_session_get_deflater_inits (session), ==, 0);
      g_assert_false (fws_permessage_deflate_session_has_deflater (session));
    }
  if (config.peer_takeover)
    g_assert_cmpuint (fws_permessage_deflate_session_get_inflater_inits (session), ==, 1);
  else
    g_assert_false (fws_permessage_deflate_session_has_inflater (session));
  if (g_str_equal (f->c->scenario, "window-bits"))
    {
      g_assert_cmpuint (config.own_window, <=, 10);
      g_assert_cmpuint (config.peer_window, <=, 10);
    }
  if (g_str_equal (f->c->scenario, "window-8"))
    {
      g_assert_cmpuint (config.own_window, ==, 8);
      g_assert_cmpuint (fws_permessage_deflate_session_get_deflate_bits (session), ==, 9);
    }
}

/* ---- the tests ---- */

static void
test_our_server (Fixture *f)
{
  g_autofree char *extensions = NULL;
  FwsExtensionSession *session;

  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  extensions = run_peer_client (f);
  g_assert_cmpstr (extensions, ==, f->c->expected_response);

  /* The peer's client closed with 1000 and saw its four echoes. */
  fws_test_wait_until (f->events->closes > 0, 15);
  g_assert_cmpuint (f->events->close_code, ==, 1000);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->messages->len, ==, 4);
  g_assert_cmpuint (g_bytes_get_size (f->events->messages->pdata[2]), >=, TEXT_SIZE);
  g_assert_cmpuint (g_bytes_get_size (f->events->messages->pdata[3]), ==, BINARY_SIZE);
  session = our_session (f);
  check_session (f, session);
}

static void
test_our_client (Fixture *f)
{
  g_autoptr(FwsPermessageDeflate) deflate = our_extension (f->c->scenario);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) text = our_text ();
  g_autoptr(GBytes) binary = our_binary ();
  GBytes *sent[4];
  FwsMessageType sent_types[4] = {
    FWS_MESSAGE_TYPE_TEXT, FWS_MESSAGE_TYPE_BINARY, FWS_MESSAGE_TYPE_TEXT, FWS_MESSAGE_TYPE_BINARY,
  };
  g_autofree char *script = peer_script (f->c->peer->server_script);
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  const char *argv[] = { f->interpreter, script, f->c->scenario, NULL };
  guint64 port = 0;
  FwsExtensionSession *session;

  f->proc = fws_test_spawn_until_line (argv, "listening on ", 20, &line);
  g_assert_true (g_ascii_string_to_unsigned (line + strlen ("listening on "), 10, 1, 65535, &port, NULL));
  url = g_strdup_printf ("ws://127.0.0.1:%u/", (guint) port);

  f->ws = g_object_new (FWS_TYPE_CLIENT, "url", url, NULL);
  g_assert_true (fws_web_socket_add_extension (f->ws, FWS_EXTENSION (deflate), &error));
  g_assert_no_error (error);
  watch (f, f->ws);
  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 15);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->opens, ==, 1);
  g_assert_cmpstr (soup_message_headers_get_list (fws_web_socket_get_headers (f->ws), "Sec-WebSocket-Extensions"),
                   ==, f->c->expected_response);

  sent[0] = empty;
  sent[1] = empty;
  sent[2] = text;
  sent[3] = binary;
  for (guint i = 0; i < 4; i++)
    {
      fws_web_socket_send (f->ws, sent_types[i], sent[i], &error);
      g_assert_no_error (error);
    }
  fws_test_wait_until (f->events->messages->len == 4 || f->events->closes > 0, 60);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->messages->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpint (g_array_index (f->events->types, FwsMessageType, i), ==, sent_types[i]);
      if (!g_bytes_equal (f->events->messages->pdata[i], sent[i]))
        g_error ("message %u: sent %" G_GSIZE_FORMAT " bytes, got back %" G_GSIZE_FORMAT " different ones",
                 i, g_bytes_get_size (sent[i]), g_bytes_get_size (f->events->messages->pdata[i]));
    }
  session = our_session (f);
  check_session (f, session);

  g_assert_true (fws_web_socket_close (f->ws, 1000, NULL, &error));
  fws_test_wait_until (f->events->closes > 0, 15);
  g_assert_cmpuint (f->events->close_code, ==, 1000);
}

static void
test_case (Fixture *f, gconstpointer data)
{
  g_test_summary ("permessage-deflate with a real peer: the negotiated response header, and \"\" "
                  "(text and binary), 100 KB of text and 10 MB of random bytes round-trip intact, "
                  "both directions compressed");
  if (f->c->server)
    test_our_server (f);
  else
    test_our_client (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      g_autofree char *path = g_strdup_printf ("/deflate-interop/%s/%s/%s",
                                               c->peer == &python_peer ? "python" : "node",
                                               c->server ? "our-server" : "our-client",
                                               c->scenario);

      g_test_add (path, Fixture, c, setup, test_case, teardown);
    }
  return g_test_run ();
}
