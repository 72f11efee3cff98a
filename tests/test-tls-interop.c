/* test-tls-interop.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FwsClient with programs nobody here wrote, all on 127.0.0.1:
 *   - python3-websockets serving wss:// (tests/peers/py-wss-server.py, run
 *     with /usr/bin/python3 or $FWS_TEST_PYTHON) with a certificate made by
 *     certtool when the test starts;
 *   - tinyproxy (Debian's 1.11) in the foreground, with a generated
 *     configuration, with and without BasicAuth, as an explicit proxy and
 *     as the system proxy (http_proxy / https_proxy through GIO's resolver).
 * A missing program fails the test saying what to install. Every wait is
 * bounded; the fixture stops the processes, and they also stop themselves
 * when this process goes away (python) or are killed by teardown.
 */
#include "test-tls-utils.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

static FwsTestCerts *certs;

typedef struct
{
  /* python3-websockets over TLS */
  GSubprocess   *py;
  guint          py_port;

  /* an FwsWebSocket echo server, plain */
  FwsTestServer *server;
  guint          server_port;
  FwsWebSocket  *server_ws;
  FwsTestEvents *server_events;

  /* tinyproxy */
  char          *dir;
  GSubprocess   *tinyproxy;
  guint16        proxy_port;

  FwsClient     *client;
  FwsTestEvents *events;
} Fixture;

static const char *
python (void)
{
  const char *py = g_getenv ("FWS_TEST_PYTHON");

  if (py == NULL || *py == '\0')
    py = "/usr/bin/python3";
  if (!g_file_test (py, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("these tests need %s with python3-websockets (install python3-websockets, or set FWS_TEST_PYTHON)", py);
  return py;
}

/* With @client_ca, the server requires a client certificate signed by it. */
static void
start_python_full (Fixture *f, const char *client_ca)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "peers", "py-wss-server.py", NULL);
  g_autofree char *line = NULL;
  const char *argv[] = { python (), script, certs->server_cert, certs->server_key, client_ca, NULL };
  guint64 port = 0;

  g_assert_true (g_file_test (script, G_FILE_TEST_IS_REGULAR));
  f->py = fws_test_spawn_until_line (argv, "listening on ", 20, &line);
  g_assert_true (g_ascii_string_to_unsigned (line + strlen ("listening on "), 10, 1, 65535, &port, NULL));
  f->py_port = (guint) port;
}

static void
start_python (Fixture *f)
{
  start_python_full (f, NULL);
}

static void
handler (FwsTestRequest *request, gpointer user_data)
{
  Fixture *f = user_data;

  if (!fws_test_request_expect_websocket (request))
    return;
  g_assert_null (f->server_ws);
  f->server_ws = fws_test_request_take_web_socket (request, f->server_events);
}

static gboolean
port_accepts (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (conn == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return TRUE;
}

/* In the child, before exec: die with us, even if we abort before
 * teardown can stop it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Runs tinyproxy in the foreground, allowing CONNECT to @ports only. */
static void
start_tinyproxy (Fixture            *f,
                 const guint        *ports,
                 gboolean            basic_auth)
{
  g_autofree char *tinyproxy = g_find_program_in_path ("tinyproxy");
  g_autoptr(GString) conf = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *log_path = NULL;
  gint64 deadline;

  if (tinyproxy == NULL)
    g_error ("these tests run tinyproxy, which is not in PATH: install tinyproxy");

  f->proxy_port = fws_test_free_port ();
  log_path = g_build_filename (f->dir, "tinyproxy.log", NULL);
  g_string_append_printf (conf,
                          "Port %u\n"
                          "Listen 127.0.0.1\n"
                          "Timeout 30\n"
                          "MaxClients 20\n"
                          "Allow 127.0.0.1\n"
                          "LogLevel Info\n"
                          "LogFile \"%s\"\n"
                          "DisableViaHeader Yes\n",
                          f->proxy_port, log_path);
  for (guint i = 0; ports[i] != 0; i++)
    g_string_append_printf (conf, "ConnectPort %u\n", ports[i]);
  if (basic_auth)
    g_string_append (conf, "BasicAuth user pass\n");
  conf_path = g_build_filename (f->dir, "tinyproxy.conf", NULL);
  g_file_set_contents (conf_path, conf->str, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->tinyproxy = g_subprocess_launcher_spawn (launcher, &error, tinyproxy, "-d", "-c", conf_path, NULL);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!port_accepts (f->proxy_port))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("tinyproxy did not listen on %u within 10 s (see %s)", f->proxy_port, log_path);
      g_usleep (20 * 1000);
    }
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("fws-tinyproxy-XXXXXX", &error);
  g_assert_no_error (error);
  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  f->server_port = fws_test_server_get_port (f->server);
  f->server_events = fws_test_events_new (TRUE);
  f->events = fws_test_events_new (FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->client)
    fws_test_events_close (f->events, f->client, 10);
  fws_test_events_release (f->events, &f->client);
  if (f->server_ws)
    fws_test_wait_until (f->server_events->closes > 0, 10);
  fws_test_events_release (f->server_events, &f->server_ws);
  if (f->tinyproxy)
    fws_test_subprocess_stop (g_steal_pointer (&f->tinyproxy));
  if (f->py)
    fws_test_subprocess_stop (g_steal_pointer (&f->py));
  g_clear_pointer (&f->server, fws_test_server_stop);
  fws_test_events_free (f->server_events);
  fws_test_events_free (f->events);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  {
    g_autofree char *conf = g_build_filename (f->dir, "tinyproxy.conf", NULL);
    g_autofree char *log = g_build_filename (f->dir, "tinyproxy.log", NULL);

    g_unlink (conf);
    g_unlink (log);
    g_rmdir (f->dir);
  }
  g_free (f->dir);
  fws_test_run_for (20);
}

static FwsClient *
new_client (Fixture *f, const char *url, const char *proxy)
{
  const char *ca_files[] = { certs->ca, NULL };
  g_autoptr(GError) error = NULL;

  f->client = fws_client_new (url, NULL, &error);
  g_assert_no_error (error);
  fws_client_set_tls_ca_files (f->client, ca_files);
  fws_web_socket_set_handshake_timeout (FWS_WEB_SOCKET (f->client), 15000);
  fws_client_set_proxy (f->client, proxy);
  fws_test_events_watch (f->events, FWS_WEB_SOCKET (f->client));
  return f->client;
}

static void
assert_echo (Fixture *f, guint first, gsize size)
{
  g_autoptr(GError) error = NULL;
  guint8 *buf = g_malloc (size);
  g_autoptr(GBytes) payload = NULL;

  for (gsize i = 0; i < size; i++)
    buf[i] = (guint8) (i * 13 + 5);
  payload = g_bytes_new_take (buf, size);
  fws_web_socket_send_binary (FWS_WEB_SOCKET (f->client), payload, &error);
  g_assert_no_error (error);
  fws_test_wait_until (f->events->messages->len > first || f->events->closes > 0, 30);
  g_assert_cmpuint (f->events->messages->len, ==, first + 1);
  g_assert_true (g_bytes_equal (f->events->messages->pdata[first], payload));
}

/* Waits for open; with python, checks its greeting. */
static void
assert_opens (Fixture *f, const char *greeting)
{
  fws_test_wait_until (f->events->opens > 0 || f->events->closes > 0, 20);
  g_assert_no_error (f->events->error);
  g_assert_cmpuint (f->events->opens, ==, 1);
  if (greeting)
    {
      fws_test_wait_until (f->events->messages->len > 0 || f->events->closes > 0, 10);
      g_assert_cmpuint (f->events->messages->len, ==, 1);
      g_assert_cmpstr (g_bytes_get_data (f->events->messages->pdata[0], NULL), ==, greeting);
    }
}

static const GError *
assert_fails (Fixture *f)
{
  fws_test_wait_until (f->events->closes > 0, 20);
  fws_test_run_for (50);
  g_assert_cmpuint (f->events->opens, ==, 0);
  g_assert_cmpuint (f->events->errors, ==, 1);
  g_assert_cmpuint (f->events->closes, ==, 1);
  g_assert_cmpuint (f->events->close_code, ==, 1006);
  return f->events->error;
}

/* ---- python3-websockets over TLS ---- */

static void
test_python_wss (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;

  g_test_summary ("wss://localhost to python3-websockets: verified with the test CA, SNI is localhost, "
                  "the path arrives, 1 MiB comes back intact");
  start_python (f);
  url = g_strdup_printf ("wss://localhost:%u/sock?x=1", f->py_port);
  new_client (f, url, NULL);
  fws_client_set_use_system_proxy (f->client, FALSE);
  assert_opens (f, "hello sni=localhost path=/sock?x=1");
  assert_echo (f, 1, 1024 * 1024);
}

static void
test_python_wss_untrusted (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL;

  g_test_summary ("wss:// to python3-websockets without the test CA: the certificate is refused");
  start_python (f);
  url = g_strdup_printf ("wss://localhost:%u/", f->py_port);
  new_client (f, url, NULL);
  fws_client_set_tls_ca_files (f->client, NULL);
  fws_client_set_use_system_proxy (f->client, FALSE);
  g_assert_error (assert_fails (f), G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (f->events->error->message, "not signed by a trusted certificate authority"));
}

static void
test_python_client_certificate (Fixture *f, gconstpointer data)
{
  g_autoptr(GTlsCertificate) mine = fws_test_certs_load (certs->client_cert, certs->client_key);
  g_autofree char *url = NULL;

  g_test_summary ("python3-websockets requiring a client certificate gets the one in tls-certificate; "
                  "without it the connection fails (error, then close 1006)");
  start_python_full (f, certs->ca);
  url = g_strdup_printf ("wss://localhost:%u/auth", f->py_port);
  new_client (f, url, NULL);
  fws_client_set_use_system_proxy (f->client, FALSE);
  fws_client_set_tls_certificate (f->client, mine);
  assert_opens (f, "hello sni=localhost path=/auth client=fws-glib test client");
  fws_test_events_close (f->events, f->client, 10);
  fws_test_events_release (f->events, &f->client);

  new_client (f, url, NULL);
  fws_client_set_use_system_proxy (f->client, FALSE);
  assert_fails (f);
}

/* ---- tinyproxy ---- */

static void
test_tinyproxy_ws (Fixture *f, gconstpointer data)
{
  guint ports[] = { f->server_port, 0 };
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->server_port);
  g_autofree char *proxy = NULL;

  g_test_summary ("ws:// through tinyproxy (no authentication): CONNECT, then messages flow");
  start_tinyproxy (f, ports, FALSE);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy_port);
  new_client (f, url, proxy);
  assert_opens (f, NULL);
  assert_echo (f, 0, 100000);
}

static void
test_tinyproxy_wss_auth (Fixture *f, gconstpointer data)
{
  guint ports[2] = { 0, 0 };
  g_autofree char *url = NULL;
  g_autofree char *proxy = NULL;

  g_test_summary ("wss:// to python3-websockets through tinyproxy with BasicAuth user pass: TLS inside "
                  "the tunnel, verified against localhost, SNI localhost");
  start_python (f);
  ports[0] = f->py_port;
  start_tinyproxy (f, ports, TRUE);
  proxy = g_strdup_printf ("http://user:pass@127.0.0.1:%u", f->proxy_port);
  url = g_strdup_printf ("wss://localhost:%u/through", f->py_port);
  new_client (f, url, proxy);
  assert_opens (f, "hello sni=localhost path=/through");
  assert_echo (f, 1, 300000);
}

static void
test_tinyproxy_credentials (Fixture *f, gconstpointer data)
{
  static const char * const userinfo[] = { "user:wrong@", "" };
  guint ports[] = { f->server_port, 0 };
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->server_port);

  g_test_summary ("tinyproxy with BasicAuth: wrong or missing credentials give error (the proxy's "
                  "401/407 in the message) then close 1006");
  start_tinyproxy (f, ports, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (userinfo); i++)
    {
      g_autofree char *proxy = g_strdup_printf ("http://%s127.0.0.1:%u", userinfo[i], f->proxy_port);

      fws_test_events_release (f->events, &f->client);
      new_client (f, url, proxy);
      g_assert_error (assert_fails (f), FWS_ERROR, FWS_ERROR_HANDSHAKE);
      /* tinyproxy 1.11 answers CONNECT without valid credentials with 401
       * (RFC 9110 says 407); either way the status is in the message. */
      if (strstr (f->events->error->message, " answered 407 Proxy Authentication Required") == NULL &&
          strstr (f->events->error->message, " answered 401 Unauthorized") == NULL)
        g_error ("expected a 401 or 407 in: %s", f->events->error->message);
      g_assert_null (strstr (f->events->error->message, "wrong"));
    }
  g_assert_null (f->server_ws);
}

static void
test_tinyproxy_port_not_allowed (Fixture *f, gconstpointer data)
{
  guint ports[] = { fws_test_free_port (), 0 };
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/", f->server_port);
  g_autofree char *proxy = NULL;

  g_test_summary ("tinyproxy refusing CONNECT to a port not in ConnectPort: error with 403 then close 1006");
  start_tinyproxy (f, ports, FALSE);
  proxy = g_strdup_printf ("http://127.0.0.1:%u", f->proxy_port);
  new_client (f, url, proxy);
  g_assert_error (assert_fails (f), FWS_ERROR, FWS_ERROR_HANDSHAKE);
  if (strstr (f->events->error->message, " answered 403 ") == NULL)
    g_error ("expected a 403 in: %s", f->events->error->message);
  g_assert_null (f->server_ws);
}

static void
test_tinyproxy_system (Fixture *f, gconstpointer data)
{
  guint ports[3] = { f->server_port, 0, 0 };
  g_autofree char *env = NULL;
  g_autofree char *url = NULL;

  g_test_summary ("With no proxy set, http_proxy / https_proxy naming tinyproxy (with credentials) are "
                  "used through GIO's proxy resolver, for ws:// and for wss://");
  start_python (f);
  ports[1] = f->py_port;
  start_tinyproxy (f, ports, TRUE);
  env = g_strdup_printf ("http://user:pass@127.0.0.1:%u", f->proxy_port);
  g_setenv ("http_proxy", env, TRUE);
  g_setenv ("https_proxy", env, TRUE);

  url = g_strdup_printf ("ws://127.0.0.1:%u/", f->server_port);
  new_client (f, url, NULL);
  assert_opens (f, NULL);
  assert_echo (f, 0, 1000);
  fws_test_events_close (f->events, f->client, 10);
  fws_test_events_release (f->events, &f->client);

  g_clear_pointer (&url, g_free);
  url = g_strdup_printf ("wss://localhost:%u/sys", f->py_port);
  new_client (f, url, NULL);
  assert_opens (f, "hello sni=localhost path=/sys");
  fws_test_events_close (f->events, f->client, 10);
  fws_test_events_release (f->events, &f->client);

  /* Proof that it went through tinyproxy: stop it, and the same fails. */
  fws_test_subprocess_stop (g_steal_pointer (&f->tinyproxy));
  new_client (f, url, NULL);
  g_assert_error (assert_fails (f), G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_nonnull (strstr (f->events->error->message, "through the proxy http://user@127.0.0.1:"));
}

int
main (int argc, char **argv)
{
  static const char * const proxy_vars[] = {
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    "no_proxy", "NO_PROXY", "ftp_proxy", "socks_proxy",
  };
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (proxy_vars); i++)
    g_unsetenv (proxy_vars[i]);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "libproxy", TRUE);
  certs = fws_test_certs_new ();

#define ADD(path, fn) g_test_add ("/tls-interop/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("python/wss", test_python_wss);
  ADD ("python/wss-untrusted", test_python_wss_untrusted);
  ADD ("python/client-certificate", test_python_client_certificate);
  ADD ("tinyproxy/ws", test_tinyproxy_ws);
  ADD ("tinyproxy/wss-auth", test_tinyproxy_wss_auth);
  ADD ("tinyproxy/credentials", test_tinyproxy_credentials);
  ADD ("tinyproxy/port-not-allowed", test_tinyproxy_port_not_allowed);
  ADD ("tinyproxy/system-proxy", test_tinyproxy_system);
#undef ADD

  ret = g_test_run ();
  fws_test_certs_free (certs);
  return ret;
}
