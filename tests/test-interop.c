/* test-interop.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Interoperability with real peers that nobody here wrote: python3-websockets
 * (asyncio API, run with /usr/bin/python3 or $FWS_TEST_PYTHON) and node's ws
 * (/usr/bin/node or $FWS_TEST_NODE, found through $NODE_PATH). Each peer is
 * a client of our server and a server for our client. The peer scripts are
 * in tests/peers/; the tests start and stop them, on 127.0.0.1.
 *
 * Every wait is bounded. A failed assertion aborts this process before the
 * fixture's teardown can run, so the peers also bound themselves: the client
 * scripts give up after 30 s, and the servers exit when their parent goes
 * away (and after 120 s in any case).
 */
#include "test-utils.h"

#include <string.h>
#include <unistd.h>

/* The same script as tests/peers/interop_common.py and interop-common.js. */

/* Text with non-ASCII characters (2, 3 and 4 UTF-8 bytes) and U+0000. */
static const char unicode_text[] =
  "h" "\xc3\xa9" "llo w" "\xc3\xb6" "rld " "\xe2\x9c\x93" " " "\xf0\x9d\x84\x9e"
  " " "\0" " after nul " "\xe4\xb8\xad" "\xe6\x96\x87";

static const gsize binary_sizes[] = { 0, 1, 125, 126, 65535, 65536, 4 * 1024 * 1024 };

#define SIXTEEN_MIB (16 * 1024 * 1024)

typedef struct
{
  const char *name;
  const char *interpreter_env;
  const char *interpreter_default;
  const char *client_script;
  const char *server_script;
} Peer;

static const Peer python_peer = {
  "python3-websockets", "FWS_TEST_PYTHON", "/usr/bin/python3", "py-client.py", "py-echo-server.py",
};

static const Peer node_peer = {
  "node ws", "FWS_TEST_NODE", "/usr/bin/node", "node-client.js", "node-echo-server.js",
};

typedef struct
{
  const Peer    *peer;
  const char    *interpreter;

  /* our server, for the peer's client */
  FwsTestServer *server;
  guint          port;

  /* the peer's process */
  GSubprocess   *proc;
  gboolean       proc_waiting;
  gboolean       proc_done;

  /* our end: the server-side FwsWebSocket or the FwsClient */
  FwsWebSocket  *ws;
  guint          connections;
  char          *protocol_at_open;
  FwsTestEvents *events;

  gboolean       ping_done;
  GError        *ping_error;
} Fixture;

/* ---- the scripted messages ---- */

/* SHA-256 in counter mode: block k is sha256("fws-interop SIZE K"). */
static GBytes *
pattern (gsize size)
{
  guint8 *buf = g_malloc (size + 1);
  GChecksum *cs = g_checksum_new (G_CHECKSUM_SHA256);

  for (gsize k = 0; k * 32 < size; k++)
    {
      char seed[64];
      guint8 digest[32];
      gsize digest_len = sizeof digest;
      int n = g_snprintf (seed, sizeof seed, "fws-interop %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT, size, k);

      g_checksum_reset (cs);
      g_checksum_update (cs, (const guchar *) seed, n);
      g_checksum_get_digest (cs, digest, &digest_len);
      memcpy (buf + k * 32, digest, MIN (32, size - k * 32));
    }
  g_checksum_free (cs);
  return g_bytes_new_take (buf, size);
}

/* The messages the peers' clients send, in order; with @sixteen_mib, a
 * 16 MiB binary message at the end (our client sends that one too). */
static void
script_messages (gboolean    sixteen_mib,
                 GPtrArray **messages,
                 GArray    **types)
{
  FwsMessageType text = FWS_MESSAGE_TYPE_TEXT, binary = FWS_MESSAGE_TYPE_BINARY;

  *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  *types = g_array_new (FALSE, FALSE, sizeof (FwsMessageType));

  g_ptr_array_add (*messages, g_bytes_new_static ("hello", 5));
  g_array_append_val (*types, text);
  g_ptr_array_add (*messages, g_bytes_new_static (unicode_text, sizeof unicode_text - 1));
  g_array_append_val (*types, text);
  for (gsize i = 0; i < G_N_ELEMENTS (binary_sizes); i++)
    {
      g_ptr_array_add (*messages, pattern (binary_sizes[i]));
      g_array_append_val (*types, binary);
    }
  if (sixteen_mib)
    {
      g_ptr_array_add (*messages, pattern (SIXTEEN_MIB));
      g_array_append_val (*types, binary);
    }
}

/* Asserts that message @i that @f received is @want of type @want_type. */
static void
assert_message (Fixture        *f,
                guint           i,
                FwsMessageType  want_type,
                GBytes         *want)
{
  gsize got_len, want_len;
  const guint8 *got_data, *want_data;
  GBytes *got;

  g_assert_cmpuint (i, <, f->events->messages->len);
  got = g_ptr_array_index (f->events->messages, i);
  got_data = g_bytes_get_data (got, &got_len);
  want_data = g_bytes_get_data (want, &want_len);

  if (g_array_index (f->events->types, FwsMessageType, i) != want_type)
    g_error ("message %u: type %d, expected %d", i, g_array_index (f->events->types, FwsMessageType, i), want_type);
  if (got_len != want_len)
    g_error ("message %u: %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT, i, got_len, want_len);
  for (gsize k = 0; k < want_len; k++)
    if (got_data[k] != want_data[k])
      g_error ("message %u (%" G_GSIZE_FORMAT " bytes): byte %" G_GSIZE_FORMAT " is 0x%02x, expected 0x%02x",
               i, want_len, k, got_data[k], want_data[k]);
  if (want_type == FWS_MESSAGE_TYPE_TEXT)
    g_assert_cmpint (got_data[got_len], ==, 0);   /* the documented NUL after text */
}

/* ---- our end's signals ---- */

static void
open_cb (FwsWebSocket *ws, Fixture *f)
{
  g_assert_null (f->protocol_at_open);
  f->protocol_at_open = g_strdup (fws_web_socket_get_protocol (ws));
}

static void
watch (Fixture *f, FwsWebSocket *ws)
{
  /* Bounds teardown when a peer stops answering. */
  fws_web_socket_set_close_timeout (ws, 5000);
  fws_test_events_watch (f->events, ws);
  g_signal_connect (ws, "open", G_CALLBACK (open_cb), f);
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  static const char * const protocols[] = { "echo", NULL };
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  FwsWebSocket *ws;

  if (!fws_test_request_expect_websocket (request))
    return;
  f->connections++;
  g_assert_null (f->ws);

  ws = g_object_new (FWS_TYPE_WEB_SOCKET, "protocols", protocols, NULL);
  fws_test_request_accept_web_socket (request, ws, &error);
  g_assert_no_error (error);
  watch (f, ws);
  f->ws = ws;
}

/* ---- the peer's process ---- */

static void
proc_waited_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  f->proc_done = TRUE;
}

static char *
peer_script (const char *name)
{
  char *path = g_test_build_filename (G_TEST_DIST, "peers", name, NULL);

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return path;
}

/* Fails the test, saying why, when the peer's interpreter is missing: a
 * peer that is not there must not pass as a skip. */
static gboolean
peer_available (Fixture *f)
{
  if (!g_file_test (f->interpreter, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s needs %s, which is not there (install it, or set %s)",
             f->peer->name, f->interpreter, f->peer->interpreter_env);
  return TRUE;
}

/* Runs the peer's client against our server and waits for it to exit. */
static void
run_peer_client (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = peer_script (f->peer->client_script);
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->port);
  const char *argv[] = { f->interpreter, script, url, NULL };
  int out_fd;

  /* Our stdout is TAP: the peer's output goes to stderr. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  out_fd = dup (STDERR_FILENO);
  g_assert_cmpint (out_fd, >=, 0);
  g_subprocess_launcher_take_stdout_fd (launcher, out_fd);

  g_test_message ("%s: %s %s %s", f->peer->name, argv[0], argv[1], argv[2]);
  f->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  f->proc_waiting = TRUE;
  g_subprocess_wait_async (f->proc, NULL, proc_waited_cb, f);
  fws_test_wait_until (f->proc_done, 60);

  if (!g_subprocess_get_if_exited (f->proc))
    g_error ("%s: %s died with signal %d", f->peer->name, f->peer->client_script,
             g_subprocess_get_term_sig (f->proc));
  if (g_subprocess_get_exit_status (f->proc) != 0)
    g_error ("%s: %s exited with status %d (its complaint is on stderr above)", f->peer->name,
             f->peer->client_script, g_subprocess_get_exit_status (f->proc));
}

/* Starts the peer's echo server and connects an FwsClient to it. */
static void
connect_to_peer_server (Fixture *f)
{
  static const char * const protocols[] = { "echo", NULL };
  g_autofree char *script = peer_script (f->peer->server_script);
  g_autofree char *line = NULL;
  g_autofree char *url = NULL;
  const char *argv[] = { f->interpreter, script, NULL };
  guint64 port = 0;
  const char *p;

  f->proc = fws_test_spawn_until_line (argv, "listening on ", 20, &line);
  p = line + strlen ("listening on ");
  g_assert_true (g_ascii_string_to_unsigned (p, 10, 1, 65535, &port, NULL));
  url = g_strdup_printf ("ws://127.0.0.1:%u/", (guint) port);
  g_test_message ("%s: %s listening on %u", f->peer->name, f->peer->server_script, (guint) port);

  f->ws = g_object_new (FWS_TYPE_CLIENT, "url", url, "protocols", protocols, NULL);
  watch (f, f->ws);
  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 10);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->opens, ==, 1);
  g_assert_cmpuint (fws_client_get_status (FWS_CLIENT (f->ws)), ==, 101);
  g_assert_cmpstr (f->protocol_at_open, ==, "echo");
  g_assert_cmpstr (fws_web_socket_get_protocol (f->ws), ==, "echo");
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_OPEN);
}

/* ---- fixture ---- */

static void
setup (Fixture *f, gconstpointer data)
{
  f->peer = data;
  f->interpreter = g_getenv (f->peer->interpreter_env);
  if (f->interpreter == NULL || *f->interpreter == '\0')
    f->interpreter = f->peer->interpreter_default;
  f->events = fws_test_events_new (FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->ws && f->events->closes == 0)
    {
      if (fws_web_socket_get_ready_state (f->ws) < FWS_READY_STATE_CLOSING)
        fws_web_socket_close (f->ws, FWS_CLOSE_CODE_NORMAL, NULL, NULL);
      fws_test_wait_until (f->events->closes > 0, 10);
    }
  if (f->ws)
    g_signal_handlers_disconnect_by_data (f->ws, f);
  g_clear_object (&f->ws);

  /* Stops (or reaps) the peer, then lets our own wait finish. */
  if (f->proc)
    fws_test_subprocess_stop (g_steal_pointer (&f->proc));
  if (f->proc_waiting)
    fws_test_wait_until (f->proc_done, 10);

  g_clear_pointer (&f->server, fws_test_server_stop);
  g_assert_cmpuint (f->events->opens, <=, 1);
  g_assert_cmpuint (f->events->closes, <=, 1);
  fws_test_events_free (f->events);
  g_clear_error (&f->ping_error);
  g_free (f->protocol_at_open);
  /* Let closed streams finish closing. */
  fws_test_run_for (10);
}

/* ---- tests ---- */

static void
test_client_to_fws_server (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) want = NULL;
  g_autoptr(GArray) want_types = NULL;

  g_test_summary ("The peer's client, offering the subprotocols nope and echo, gets echo from our "
                  "server; its text (with U+0000 and non-ASCII) and binary messages (0 B to 4 MiB) "
                  "come back intact, its ping is answered, and our side reports its close 4001 done");
  if (!peer_available (f))
    return;

  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->events->echo = TRUE;

  /* The script checks the echoes, the pong and the answer to its close. */
  run_peer_client (f);

  /* What our server saw. */
  g_assert_cmpuint (f->connections, ==, 1);
  g_assert_nonnull (f->ws);
  fws_test_wait_until (f->events->closes > 0, 10);
  g_assert_cmpuint (f->events->opens, ==, 1);
  g_assert_cmpstr (f->protocol_at_open, ==, "echo");
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->errors, ==, 0);

  script_messages (FALSE, &want, &want_types);
  g_assert_cmpuint (f->events->messages->len, ==, want->len);
  for (guint i = 0; i < want->len; i++)
    assert_message (f, i, g_array_index (want_types, FwsMessageType, i), g_ptr_array_index (want, i));

  g_assert_cmpuint (f->events->close_code, ==, 4001);
  g_assert_cmpstr (f->events->close_reason, ==, "done");
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_CLOSED);
}

static void
ping_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fixture *f = user_data;

  fws_web_socket_ping_finish (FWS_WEB_SOCKET (source), res, &f->ping_error);
  f->ping_done = TRUE;
}

static void
test_fws_client_to_server (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) want = NULL;
  g_autoptr(GArray) want_types = NULL;
  g_autoptr(GBytes) ping_payload = g_bytes_new_static ("fws-interop-ping", 16);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Our client gets the subprotocol echo from the peer's server; its text (with "
                  "U+0000 and non-ASCII) and binary messages (0 B to 16 MiB) come back intact, its "
                  "ping completes, and its close 4002 bye is answered and reported");
  if (!peer_available (f))
    return;

  connect_to_peer_server (f);

  script_messages (TRUE, &want, &want_types);
  for (guint i = 0; i < want->len; i++)
    {
      fws_web_socket_send (f->ws, g_array_index (want_types, FwsMessageType, i),
                           g_ptr_array_index (want, i), &error);
      g_assert_no_error (error);
    }
  fws_test_wait_until (f->events->messages->len >= want->len || f->events->closes > 0, 60);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->closes, ==, 0);
  g_assert_cmpuint (f->events->messages->len, ==, want->len);
  for (guint i = 0; i < want->len; i++)
    assert_message (f, i, g_array_index (want_types, FwsMessageType, i), g_ptr_array_index (want, i));

  fws_web_socket_ping_async (f->ws, ping_payload, NULL, ping_cb, f);
  fws_test_wait_until (f->ping_done, 10);
  g_assert_no_error (f->ping_error);

  fws_web_socket_close (f->ws, 4002, "bye", &error);
  g_assert_no_error (error);
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_CLOSING);
  fws_test_wait_until (f->events->closes > 0, 10);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->errors, ==, 0);
  g_assert_cmpuint (f->events->close_code, ==, 4002);
  g_assert_cmpstr (f->events->close_reason, ==, "bye");
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (fws_web_socket_get_buffered_amount (f->ws), ==, 0);
}

static void
test_peer_closes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_test_summary ("When the peer's server closes with 4003 peer bye, our client answers and "
                  "reports 4003 peer bye, after the messages that came before");
  if (!peer_available (f))
    return;

  connect_to_peer_server (f);

  fws_web_socket_send_text (f->ws, "before close", &error);
  g_assert_no_error (error);
  fws_web_socket_send_text (f->ws, "please close", &error);
  g_assert_no_error (error);

  fws_test_wait_until (f->events->closes > 0, 10);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->errors, ==, 0);
  g_assert_cmpuint (f->events->close_code, ==, 4003);
  g_assert_cmpstr (f->events->close_reason, ==, "peer bye");
  g_assert_cmpint (fws_web_socket_get_ready_state (f->ws), ==, FWS_READY_STATE_CLOSED);

  g_assert_cmpuint (f->events->messages->len, ==, 1);
  g_assert_cmpint (g_array_index (f->events->types, FwsMessageType, 0), ==, FWS_MESSAGE_TYPE_TEXT);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (f->events->messages, 0), NULL),
                   g_bytes_get_size (g_ptr_array_index (f->events->messages, 0)),
                   "before close", 12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* meson's test environment sets it; the same default for direct runs. */
  g_setenv ("NODE_PATH", "/usr/share/nodejs", FALSE);

#define ADD(peer, prefix) \
  G_STMT_START { \
    g_test_add ("/interop/" prefix "/client-to-fws-server", Fixture, &peer, setup, \
                test_client_to_fws_server, teardown); \
    g_test_add ("/interop/" prefix "/fws-client-to-server", Fixture, &peer, setup, \
                test_fws_client_to_server, teardown); \
    g_test_add ("/interop/" prefix "/peer-closes", Fixture, &peer, setup, \
                test_peer_closes, teardown); \
  } G_STMT_END

  ADD (python_peer, "python");
  ADD (node_peer, "node");
#undef ADD

  return g_test_run ();
}
