/* test-sse-interop.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsEventSource with EventSource clients nobody here wrote: headless
 * Chromium (driven by tests/peers/sse-chromium.py through chromedriver and
 * python3-selenium) and node's npm package eventsource 2.x
 * (tests/peers/sse-node-client.js). Our server (fws_test_server_start, the
 * SoupServer door) runs in this process on 127.0.0.1; the tests start and stop the clients.
 *
 * Both clients get the same script: on the first connection a plain event,
 * a comment line, a multi-line event (LF, CRLF and CR), a named event and a
 * non-ASCII event, each with an id, then the server ends the stream. The
 * client reconnects by itself (retry: 200) and must send Last-Event-ID: 4,
 * which the server checks, and gets one more named event.
 *
 * A missing browser, driver or selenium fails with what to install; a
 * missing npm package (which does not come from Debian: tools/test installs
 * it) skips the node test with the command that installs it, so that
 * `meson test` right after `meson compile` does not fail on it. tests/
 * meson.build runs the node test on its own, so that meson counts the skip
 * as a skip. Interpreters: $FWS_TEST_PYTHON
 * (/usr/bin/python3), $FWS_TEST_NODE (/usr/bin/node); the eventsource
 * package: $FWS_TEST_EVENTSOURCE, or else node_modules/eventsource in the
 * tests' build directory (npm install --prefix BUILDDIR/tests --no-save
 * --no-package-lock eventsource@2.0.2). Every wait is bounded, and the
 * clients bound themselves too.
 */
#include "test-utils.h"

#include <signal.h>
#include <string.h>

static const char page[] =
  "<!DOCTYPE html>\n"
  "<html><head><meta charset=\"utf-8\"><title>fws-glib EventSource</title></head><body>\n"
  "<script>\n"
  "  window.records = [];\n"
  "  const source = new EventSource('/events');\n"
  "  window.source = source;\n"
  "  source.onopen = () => records.push(['open']);\n"
  "  source.onmessage = (e) => records.push(['message', e.lastEventId, e.data]);\n"
  "  for (const type of ['tick', 'resumed'])\n"
  "    source.addEventListener(type, (e) => records.push([type, e.lastEventId, e.data]));\n"
  "</script>\n"
  "</body></html>\n";

/* What each client must have seen, one JSON array per line. */
static const char * const expected_records[] = {
  "[\"open\"]",
  "[\"message\",\"1\",\"hello\"]",
  "[\"message\",\"2\",\"line one\\nline two\\nline three\\nline four\"]",
  "[\"tick\",\"3\",\"12:00:00\"]",
  "[\"message\",\"4\",\"h\xc3\xa9llo \xe2\x9c\x93\"]",
  "[\"open\"]",
  "[\"resumed\",\"5\",\"Last-Event-ID was 4\"]",
};

typedef struct
{
  FwsTestServer      *server;
  guint               port;

  GPtrArray          *streams;          /* of FwsEventSource, in the order they came */
  GPtrArray          *last_event_ids;   /* of char *, what each request carried */
  GPtrArray          *user_agents;
  FwsTestSourceEvents events;           /* of every stream */

  GSubprocess *proc;
  gboolean     proc_done;
  char        *proc_out;
  GError      *proc_error;
} Fixture;

/* ---- our server ---- */

static void
send_or_fail (FwsEventSource *es, const char *data, const char *event, const char *id)
{
  g_autoptr(GError) error = NULL;

  fws_event_source_send (es, data, event, id, &error);
  g_assert_no_error (error);
}

static void
es_open_cb (FwsEventSource *es, Fixture *f)
{
  guint index = 0;

  g_assert_true (g_ptr_array_find (f->streams, es, &index));
  if (index == 0)
    {
      g_autoptr(GError) error = NULL;

      send_or_fail (es, "hello", NULL, "1");
      fws_event_source_ping (es, &error);
      g_assert_no_error (error);
      send_or_fail (es, "line one\nline two\r\nline three\rline four", NULL, "2");
      send_or_fail (es, "12:00:00", "tick", "3");
      send_or_fail (es, "h\xc3\xa9llo \xe2\x9c\x93", NULL, "4");
      /* The client must come back by itself, with Last-Event-ID: 4. */
      fws_event_source_close (es);
    }
  else if (index == 1)
    {
      g_autofree char *data = g_strdup_printf ("Last-Event-ID was %s", fws_event_source_get_last_event_id (es));

      send_or_fail (es, data, "resumed", "5");
    }
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;
  SoupServerMessage *msg = fws_test_request_get_message (request);
  const char *path = fws_test_request_get_path (request);
  FwsEventSource *es;
  const char *agent;

  if (g_str_equal (path, "/") && soup_server_message_get_method (msg) == SOUP_METHOD_GET)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                        page, strlen (page));
      return;
    }
  if (!g_str_equal (path, "/events") || !fws_test_request_is_event_source (request))
    {
      fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
      return;
    }

  agent = soup_message_headers_get_one (fws_test_request_get_headers (request), "User-Agent");
  g_ptr_array_add (f->user_agents, g_strdup (agent ? agent : "(none)"));
  es = g_object_new (FWS_TYPE_EVENT_SOURCE, "retry", 0.2, NULL);
  g_assert_true (fws_test_request_accept_event_source (request, es, &error));
  g_assert_no_error (error);
  /* The recorder first: es_open_cb may close the stream. */
  fws_test_source_events_watch (&f->events, es);
  g_signal_connect (es, "open", G_CALLBACK (es_open_cb), f);
  g_ptr_array_add (f->streams, es);
  g_ptr_array_add (f->last_event_ids, g_strdup (fws_event_source_get_last_event_id (es)));
  g_test_message ("request %u: Last-Event-ID \"%s\", User-Agent %s", f->streams->len,
                  fws_event_source_get_last_event_id (es), agent ? agent : "(none)");
}

/* ---- the client's process ---- */

static void
communicated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &f->proc_out, NULL, &f->proc_error);
  f->proc_done = TRUE;
}

static const char *
interpreter (const char *env, const char *fallback, const char *package)
{
  const char *path = g_getenv (env);

  if (path == NULL || *path == '\0')
    path = fallback;
  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is not there: install the Debian package %s (or set %s)", path, package, env);
  return path;
}

static char *
peer_script (const char *name)
{
  char *path = g_test_build_filename (G_TEST_DIST, "peers", name, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is missing", path);
  return path;
}

/* Runs @argv to its end (at most 120 s) and checks what it printed. */
static void
run_client (Fixture *f, const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);
  guint n = 0;

  g_test_message ("running %s", command);
  /* The records are UTF-8, whatever the locale. */
  g_subprocess_launcher_setenv (launcher, "PYTHONIOENCODING", "utf-8", TRUE);
  f->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (f->proc, NULL, NULL, communicated_cb, f);
  fws_test_wait_until (f->proc_done, 120);
  g_assert_no_error (f->proc_error);

  if (!g_subprocess_get_if_exited (f->proc))
    g_error ("%s died with signal %d", command, g_subprocess_get_term_sig (f->proc));
  if (g_subprocess_get_exit_status (f->proc) != 0)
    g_error ("%s exited with status %d (its complaint is on stderr above)", command,
             g_subprocess_get_exit_status (f->proc));

  /* The client saw exactly the script. */
  lines = g_strsplit (f->proc_out ? f->proc_out : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        continue;
      g_test_message ("client record %u: %s", n, lines[i]);
      g_assert_cmpuint (n, <, G_N_ELEMENTS (expected_records));
      g_assert_cmpstr (lines[i], ==, expected_records[n]);
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected_records));

  /* What the server saw: two requests, the second one resuming after 4. */
  g_assert_cmpuint (f->streams->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->last_event_ids, 0), ==, "");
  g_assert_cmpstr (g_ptr_array_index (f->last_event_ids, 1), ==, "4");
  g_assert_cmpuint (f->events.opens, ==, 2);

  /* The client closed its second connection: the server notices. */
  fws_test_wait_until (f->events.closes == 2, 10);
  for (guint i = 0; i < f->streams->len; i++)
    g_assert_cmpint (fws_event_source_get_ready_state (g_ptr_array_index (f->streams, i)), ==,
                     FWS_READY_STATE_CLOSED);
}

/* ---- fixture ---- */

static void
setup (Fixture *f, gconstpointer data)
{
  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  f->port = fws_test_server_get_port (f->server);
  f->streams = g_ptr_array_new_with_free_func (g_object_unref);
  f->last_event_ids = g_ptr_array_new_with_free_func (g_free);
  f->user_agents = g_ptr_array_new_with_free_func (g_free);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->proc && !f->proc_done)
    {
      g_subprocess_send_signal (f->proc, SIGTERM);
      fws_test_wait_until (f->proc_done, 30);
    }
  g_clear_object (&f->proc);
  for (guint i = 0; i < f->streams->len; i++)
    {
      FwsEventSource *es = g_ptr_array_index (f->streams, i);

      if (fws_event_source_get_ready_state (es) != FWS_READY_STATE_CLOSED)
        fws_event_source_close (es);
    }
  fws_test_wait_until (f->events.closes == f->streams->len, 10);
  g_ptr_array_unref (f->streams);
  g_ptr_array_unref (f->last_event_ids);
  g_ptr_array_unref (f->user_agents);
  fws_test_server_stop (g_steal_pointer (&f->server));
  g_free (f->proc_out);
  g_clear_error (&f->proc_error);
  fws_test_run_for (10);
}

/* ---- tests ---- */

static void
test_chromium (Fixture *f, gconstpointer data)
{
  const char *python = interpreter ("FWS_TEST_PYTHON", "/usr/bin/python3", "python3");
  g_autofree char *script = peer_script ("sse-chromium.py");
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", f->port);
  g_autofree char *count = g_strdup_printf ("%u", (guint) G_N_ELEMENTS (expected_records));
  const char *argv[] = { python, script, url, count, NULL };

  g_test_summary ("Headless Chromium's EventSource gets plain, multi-line (LF, CRLF, CR), named and "
                  "non-ASCII events with their ids, ignores the comment line, reconnects by itself "
                  "after the server ends the stream and sends Last-Event-ID: 4, which the server sees");

  run_client (f, argv);
  g_assert_nonnull (strstr (g_ptr_array_index (f->user_agents, 0), "Chrome/"));
}

static void
test_node_eventsource (Fixture *f, gconstpointer data)
{
  const char *node = interpreter ("FWS_TEST_NODE", "/usr/bin/node", "nodejs");
  g_autofree char *script = peer_script ("sse-node-client.js");
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/events", f->port);
  g_autofree char *count = g_strdup_printf ("%u", (guint) G_N_ELEMENTS (expected_records));
  g_autofree char *module = NULL;
  g_autofree char *package_json = NULL;
  const char *argv[] = { node, script, url, count, NULL, NULL };

  g_test_summary ("node's npm package eventsource 2.x gets the same events, reconnects by itself and "
                  "sends Last-Event-ID: 4, which the server sees");

  module = g_strdup (g_getenv ("FWS_TEST_EVENTSOURCE"));
  if (module == NULL || *module == '\0')
    {
      g_free (module);
      module = g_test_build_filename (G_TEST_BUILT, "node_modules", "eventsource", NULL);
    }
  package_json = g_build_filename (module, "package.json", NULL);
  if (!g_file_test (package_json, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *reason =
        g_strdup_printf ("The npm package eventsource is not in %s: install it with "
                         "`npm install --prefix %s --no-save --no-package-lock eventsource@2.0.2` "
                         "(tools/test does) or set FWS_TEST_EVENTSOURCE to its directory",
                         module, g_test_get_dir (G_TEST_BUILT));

      g_test_skip (reason);
      return;
    }
  argv[4] = module;

  run_client (f, argv);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/sse-interop/chromium", Fixture, NULL, setup, test_chromium, teardown);
  g_test_add ("/sse-interop/node-eventsource", Fixture, NULL, setup, test_node_eventsource, teardown);

  return g_test_run ();
}
