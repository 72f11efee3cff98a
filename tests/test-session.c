/* test-session.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The session property of FwsClient and FwsEventSourceClient, against a
 * real SoupServer on 127.0.0.1: a SoupSession logs in with a form POST to
 * /login, whose Set-Cookie lands in the session's SoupCookieJar; the
 * WebSocket at /socket and the event stream at /events refuse (403) a
 * request without that cookie, and set a cookie of their own in their
 * answer, which must land in the same jar. The session's user agent, TLS
 * database (a CA only that database trusts) and proxy resolver (a CONNECT
 * proxy the test controls) are used too, unless the client has its own.
 */
#include "test-tls-utils.h"
#include "test-fake-proxy.h"

#include <string.h>

#include "fws-session-private.h"

#define AGENT "fws-session-test/1.0"
#define LOGIN_FORM "user=ada&password=lovelace"
#define SESSION_COOKIE "login=ada-3f9c"

typedef struct
{
  FwsTestServer *server;
  GTlsCertificate *cert;       /* (nullable) the server's, over TLS */
  char          *base;         /* "http://127.0.0.1:PORT" or https:// */
  char          *ws_base;      /* "ws://..." or "wss://..." */
  SoupSession   *session;
  SoupCookieJar *jar;

  /* What the server saw, per path: the last request's headers. */
  char          *socket_cookie;
  char          *socket_agent;
  char          *events_cookie;
  char          *events_agent;
  guint          refused;
  guint          hop_port;        /* where /hop redirects to */
  GPtrArray     *server_sockets;  /* of FwsWebSocket */
  GPtrArray     *streams;         /* of FwsEventSource */

  /* The client's side. */
  guint          opens;
  guint          errors;
  GError        *error;
  char          *message;         /* the last EventSource message's data */
} Fixture;

static FwsTestCerts *certs;

/* ---- The server ---- */

static gboolean
has_login_cookie (SoupMessageHeaders *headers)
{
  const char *cookie = soup_message_headers_get_one (headers, "Cookie");

  return cookie != NULL && strstr (cookie, SESSION_COOKIE) != NULL;
}

static void
handler (FwsTestRequest *request,
         gpointer        user_data)
{
  Fixture *f = user_data;
  const char *path = fws_test_request_get_path (request);
  SoupServerMessage *msg = fws_test_request_get_message (request);
  SoupMessageHeaders *headers = fws_test_request_get_headers (request);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (msg);  /* the soup door only */
  if (strcmp (path, "/login") == 0)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) form = soup_message_body_flatten (body);
      gsize len = 0;
      const char *data = g_bytes_get_data (form, &len);

      if (strcmp (soup_server_message_get_method (msg), "POST") == 0 &&
          len == strlen (LOGIN_FORM) && memcmp (data, LOGIN_FORM, len) == 0)
        {
          soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                                       SESSION_COOKIE "; Path=/; HttpOnly");
          soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
        }
      else
        soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      return;
    }

  if (strcmp (path, "/socket") == 0 && fws_test_request_is_websocket (request))
    {
      g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      FwsWebSocket *ws;

      g_free (f->socket_cookie);
      f->socket_cookie = g_strdup (soup_message_headers_get_one (headers, "Cookie"));
      g_free (f->socket_agent);
      f->socket_agent = g_strdup (soup_message_headers_get_one (headers, "User-Agent"));
      if (!has_login_cookie (headers))
        {
          f->refused++;
          soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                                       "refused=1; Path=/");
          fws_test_request_respond (request, SOUP_STATUS_FORBIDDEN);
          return;
        }
      soup_message_headers_append (extra, "Set-Cookie", "socket=s1; Path=/");
      ws = g_object_new (FWS_TYPE_WEB_SOCKET, "extra-headers", extra, NULL);
      fws_test_request_accept_web_socket (request, ws, &error);
      g_assert_no_error (error);
      g_ptr_array_add (f->server_sockets, ws);
      return;
    }

  if (strcmp (path, "/plain") == 0 && fws_test_request_is_websocket (request))
    {
      FwsWebSocket *ws = fws_test_request_new_web_socket (request, NULL, &error);

      g_assert_no_error (error);
      g_ptr_array_add (f->server_sockets, ws);
      return;
    }

  if (strcmp (path, "/hop") == 0)
    {
      g_autofree char *location = g_strdup_printf ("http://127.0.0.1:%u/events", f->hop_port);
      SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

      soup_message_headers_append (response, "Set-Cookie", "hop=1; Path=/");
      soup_message_headers_append (response, "Location", location);
      soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
      return;
    }

  if (strcmp (path, "/events") == 0 && fws_test_request_is_event_source (request))
    {
      g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
      FwsEventSource *es;
      const char *cookie = soup_message_headers_get_one (headers, "Cookie");

      g_free (f->events_cookie);
      f->events_cookie = g_strdup (cookie);
      g_free (f->events_agent);
      f->events_agent = g_strdup (soup_message_headers_get_one (headers, "User-Agent"));
      if (!has_login_cookie (headers))
        {
          f->refused++;
          fws_test_request_respond (request, SOUP_STATUS_FORBIDDEN);
          return;
        }
      soup_message_headers_append (extra, "Set-Cookie", "stream=e1; Path=/");
      es = g_object_new (FWS_TYPE_EVENT_SOURCE, "extra-headers", extra, NULL);
      fws_test_request_accept_event_source (request, es, &error);
      g_assert_no_error (error);
      fws_event_source_send (es, cookie, NULL, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (f->streams, es);
      return;
    }

  fws_test_request_respond (request, SOUP_STATUS_NOT_FOUND);
}

static void
setup_with (Fixture         *f,
            GTlsCertificate *cert)
{
  guint port;

  f->server_sockets = g_ptr_array_new_with_free_func (g_object_unref);
  f->streams = g_ptr_array_new_with_free_func (g_object_unref);
  f->cert = cert;
  f->server = fws_test_server_start (FWS_TEST_DOOR_SOUP, cert, handler, f);
  port = fws_test_server_get_port (f->server);
  f->base = g_strdup_printf ("%s://127.0.0.1:%u", cert ? "https" : "http", port);
  f->ws_base = g_strdup_printf ("%s://127.0.0.1:%u", cert ? "wss" : "ws", port);
  f->session = soup_session_new_with_options ("user-agent", AGENT, NULL);
  f->jar = soup_cookie_jar_new ();
  soup_session_add_feature (f->session, SOUP_SESSION_FEATURE (f->jar));
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  setup_with (f, NULL);
}

static void
setup_tls (Fixture       *f,
           gconstpointer  data)
{
  fws_test_assert_tls_backend ();
  if (certs == NULL)
    certs = fws_test_certs_new ();
  setup_with (f, fws_test_certs_load (certs->server_cert, certs->server_key));
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  for (guint i = 0; i < f->server_sockets->len; i++)
    fws_web_socket_close (f->server_sockets->pdata[i], 1001, NULL, NULL);
  for (guint i = 0; i < f->streams->len; i++)
    fws_event_source_close (f->streams->pdata[i]);
  fws_test_run_for (50);
  g_ptr_array_unref (f->server_sockets);
  g_ptr_array_unref (f->streams);
  fws_test_server_stop (f->server);
  g_clear_object (&f->cert);
  g_clear_object (&f->jar);
  g_clear_object (&f->session);
  g_free (f->base);
  g_free (f->ws_base);
  g_free (f->socket_cookie);
  g_free (f->socket_agent);
  g_free (f->events_cookie);
  g_free (f->events_agent);
  g_clear_error (&f->error);
  g_free (f->message);
}

/* ---- The client's side ---- */

static void
got_page_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GBytes **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

/* POSTs @form to /login with the session; returns the status. */
static guint
log_in (Fixture    *f,
        const char *form)
{
  g_autofree char *url = g_strconcat (f->base, "/login", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new_static (form, strlen (form));
  g_autoptr(GBytes) page = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, got_page_cb, &page);
  fws_test_wait_until (page != NULL, 10);
  return soup_message_get_status (msg);
}

/* The jar's cookies for the server, as a Cookie header ("" for none). */
static char *
jar_cookies (Fixture *f)
{
  g_autofree char *url = g_strconcat (f->base, "/", NULL);
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  char *cookies = soup_cookie_jar_get_cookies (f->jar, uri, TRUE);

  return cookies ? cookies : g_strdup ("");
}

static void
client_open_cb (GObject *client,
                Fixture *f)
{
  f->opens++;
}

static void
client_error_cb (GObject      *client,
                 const GError *error,
                 Fixture      *f)
{
  f->errors++;
  g_clear_error (&f->error);
  f->error = g_error_copy (error);
}

static void
client_message_cb (FwsEventSourceClient *client,
                   const char           *type,
                   const char           *data,
                   const char           *id,
                   Fixture              *f)
{
  g_free (f->message);
  f->message = g_strdup (data);
}

static FwsClient *
new_client (Fixture    *f,
            const char *path)
{
  g_autofree char *url = g_strconcat (f->ws_base, path, NULL);
  g_autoptr(GError) error = NULL;
  FwsClient *client = fws_client_new (url, NULL, &error);

  g_assert_no_error (error);
  g_signal_connect (client, "open", G_CALLBACK (client_open_cb), f);
  g_signal_connect (client, "error", G_CALLBACK (client_error_cb), f);
  return client;
}

static FwsEventSourceClient *
new_events_client (Fixture    *f,
                   const char *path)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);
  g_autoptr(GError) error = NULL;
  FwsEventSourceClient *client = fws_event_source_client_new (url, &error);

  g_assert_no_error (error);
  g_signal_connect (client, "open", G_CALLBACK (client_open_cb), f);
  g_signal_connect (client, "error", G_CALLBACK (client_error_cb), f);
  g_signal_connect (client, "message", G_CALLBACK (client_message_cb), f);
  return client;
}

static void
close_client (FwsClient *client)
{
  if (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)) == FWS_READY_STATE_OPEN)
    fws_web_socket_close (FWS_WEB_SOCKET (client), 1000, NULL, NULL);
  fws_test_wait_until (fws_web_socket_get_ready_state (FWS_WEB_SOCKET (client)) == FWS_READY_STATE_CLOSED, 5);
  g_object_unref (client);
}

/* ---- Tests ---- */

static void
test_web_socket_cookies (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(FwsClient) before = NULL;
  g_autofree char *cookies = NULL;
  FwsClient *client;

  g_test_summary ("FwsClient with a session: the cookie a real login stored in the session's jar goes "
                  "with the handshake (the server refuses 403 without it), the 101's Set-Cookie lands in "
                  "the jar, and the session's user agent is sent");

  /* Before logging in: refused, and the 403's Set-Cookie is stored. */
  client = new_client (f, "/socket");
  fws_client_set_session (client, f->session);
  g_assert_true (fws_client_get_session (client) == f->session);
  fws_test_wait_until (f->errors == 1, 10);
  g_assert_error (f->error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpuint (f->opens, ==, 0);
  g_assert_cmpuint (f->refused, ==, 1);
  g_assert_null (f->socket_cookie);
  g_assert_cmpstr (f->socket_agent, ==, AGENT);
  cookies = jar_cookies (f);
  g_assert_cmpstr (cookies, ==, "refused=1");
  g_clear_pointer (&cookies, g_free);
  close_client (client);

  /* A wrong password stores nothing; the right one stores the cookie. */
  g_assert_cmpuint (log_in (f, "user=ada&password=babbage"), ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);
  cookies = jar_cookies (f);
  g_assert_nonnull (strstr (cookies, SESSION_COOKIE));
  g_clear_pointer (&cookies, g_free);

  /* Without the session, the same client is refused. */
  f->errors = 0;
  before = new_client (f, "/socket");
  fws_test_wait_until (f->errors == 1, 10);
  g_assert_cmpuint (f->refused, ==, 2);
  g_assert_null (f->socket_agent);

  f->errors = 0;
  client = new_client (f, "/socket");
  g_object_set (client, "session", f->session, NULL);
  fws_test_wait_until (f->opens == 1, 10);
  g_assert_cmpuint (f->errors, ==, 0);
  g_assert_cmpuint (f->refused, ==, 2);
  /* The HttpOnly login cookie went out with the refused=1 one. */
  g_assert_nonnull (strstr (f->socket_cookie, SESSION_COOKIE));
  g_assert_nonnull (strstr (f->socket_cookie, "refused=1"));
  g_assert_cmpstr (f->socket_agent, ==, AGENT);
  /* Stored before open was emitted. */
  cookies = jar_cookies (f);
  g_assert_nonnull (strstr (cookies, "socket=s1"));
  close_client (client);
}

static void
test_web_socket_own_headers (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  FwsClient *client;

  g_test_summary ("A User-Agent and a Cookie in extra-headers are kept: one Cookie line, the jar's "
                  "cookies first");
  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);
  soup_message_headers_append (extra, "User-Agent", "own-agent/2");
  soup_message_headers_append (extra, "Cookie", "own=1");
  client = new_client (f, "/socket");
  fws_web_socket_set_extra_headers (FWS_WEB_SOCKET (client), extra);
  fws_client_set_session (client, f->session);
  fws_test_wait_until (f->opens == 1, 10);
  g_assert_cmpstr (f->socket_cookie, ==, SESSION_COOKIE "; own=1");
  g_assert_cmpstr (f->socket_agent, ==, "own-agent/2");
  close_client (client);
}

static void
test_web_socket_reconnect_cookies (Fixture       *f,
                                   gconstpointer  data)
{
  g_autofree char *url = g_strconcat (f->base, "/", NULL);
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  FwsClient *client;

  g_test_summary ("A reconnecting FwsClient with a session sends the jar's cookies as they are at "
                  "each attempt");
  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);
  client = new_client (f, "/socket");
  g_object_set (client, "session", f->session, "reconnect", TRUE, "reconnect-initial-delay", 50, NULL);
  fws_test_wait_until (f->opens == 1, 10);
  g_assert_null (strstr (f->socket_cookie, "later=2"));

  soup_cookie_jar_set_cookie (f->jar, uri, "later=2; Path=/");
  fws_web_socket_close (f->server_sockets->pdata[0], 1012, "restart", NULL);
  fws_test_wait_until (f->opens == 2, 10);
  g_assert_nonnull (strstr (f->socket_cookie, SESSION_COOKIE));
  g_assert_nonnull (strstr (f->socket_cookie, "later=2"));
  close_client (client);
}

static void
test_event_source_cookies (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *cookies = NULL;
  FwsEventSourceClient *client;

  g_test_summary ("FwsEventSourceClient with a session: the login cookie goes with the request (403 "
                  "without it, which stops the client), the stream's Set-Cookie lands in the jar, the "
                  "session's user agent is sent");

  client = new_events_client (f, "/events");
  fws_event_source_client_set_session (client, f->session);
  g_assert_true (fws_event_source_client_get_session (client) == f->session);
  fws_test_wait_until (f->errors == 1, 10);
  g_assert_cmpint (fws_event_source_client_get_ready_state (client), ==, FWS_READY_STATE_CLOSED);
  g_assert_cmpuint (f->refused, ==, 1);
  g_assert_cmpstr (f->events_agent, ==, AGENT);
  g_object_unref (client);

  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);
  soup_message_headers_append (extra, "Cookie", "own=2");
  client = new_events_client (f, "/events");
  g_object_set (client, "session", f->session, "extra-headers", extra, NULL);
  fws_test_wait_until (f->message != NULL, 10);
  g_assert_cmpuint (f->opens, ==, 1);
  g_assert_cmpstr (f->message, ==, SESSION_COOKIE "; own=2");
  g_assert_cmpstr (f->events_agent, ==, AGENT);
  cookies = jar_cookies (f);
  g_assert_nonnull (strstr (cookies, "stream=e1"));
  fws_event_source_client_close (client);
  g_object_unref (client);
}

static void
test_event_source_redirect (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(SoupMessageHeaders) extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  FwsTestServer *elsewhere = fws_test_server_start (FWS_TEST_DOOR_SOUP, NULL, handler, f);
  g_autofree char *cookies = NULL;
  FwsEventSourceClient *client;

  g_test_summary ("An EventSource redirected to another origin (another port): the 302's Set-Cookie "
                  "is stored and sent on, the jar's cookies for that host go along, the client's own "
                  "Cookie line does not");
  f->hop_port = fws_test_server_get_port (elsewhere);
  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);
  soup_message_headers_append (extra, "Cookie", "own=3");
  client = new_events_client (f, "/hop");
  fws_event_source_client_set_extra_headers (client, extra);
  fws_event_source_client_set_session (client, f->session);
  fws_test_wait_until (f->message != NULL || f->errors > 0, 10);
  g_assert_cmpuint (f->errors, ==, 0);
  g_assert_nonnull (strstr (f->message, SESSION_COOKIE));
  g_assert_nonnull (strstr (f->message, "hop=1"));
  g_assert_null (strstr (f->message, "own=3"));
  cookies = jar_cookies (f);
  g_assert_nonnull (strstr (cookies, "hop=1"));
  g_assert_nonnull (strstr (cookies, "stream=e1"));
  fws_event_source_client_close (client);
  g_object_unref (client);
  for (guint i = 0; i < f->streams->len; i++)
    fws_event_source_close (f->streams->pdata[i]);
  fws_test_run_for (50);
  fws_test_server_stop (elsewhere);
}

static void
test_tls_database (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (certs->ca, &error);
  g_autoptr(GTlsDatabase) other = NULL;
  FwsClient *client;
  FwsEventSourceClient *events;

  g_test_summary ("wss:// and https:// to a server whose CA only the session's TLS database trusts: "
                  "refused without the session, accepted with it; the client's own database wins");
  g_assert_no_error (error);
  soup_session_set_tls_database (f->session, db);
  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);

  client = new_client (f, "/socket");
  fws_test_wait_until (f->errors == 1, 10);
  g_assert_error (f->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  close_client (client);

  f->errors = 0;
  g_clear_error (&f->error);
  client = new_client (f, "/socket");
  fws_client_set_session (client, f->session);
  fws_test_wait_until (f->opens == 1 || f->errors > 0, 10);
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->opens, ==, 1);
  close_client (client);

  /* The client's own database (another CA) is used, not the session's. */
  other = g_tls_file_database_new (certs->ca2, &error);
  g_assert_no_error (error);
  f->errors = 0;
  client = new_client (f, "/socket");
  fws_client_set_session (client, f->session);
  fws_client_set_tls_database (client, other);
  fws_test_wait_until (f->errors == 1, 10);
  g_assert_error (f->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  close_client (client);

  f->opens = 0;
  g_clear_error (&f->error);
  events = new_events_client (f, "/events");
  fws_event_source_client_set_reconnection_time (events, 60000);
  fws_event_source_client_set_session (events, f->session);
  fws_test_wait_until (f->message != NULL || f->error != NULL, 10);
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->opens, ==, 1);
  fws_event_source_client_close (events);
  g_object_unref (events);
}

static void
test_proxy_resolver (Fixture       *f,
                     gconstpointer  data)
{
  FwsFakeProxy *proxy = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  FwsFakeProxy *own = fws_fake_proxy_new (FWS_FAKE_PROXY_HTTP);
  g_autofree char *proxy_url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  g_autofree char *own_url = g_strdup_printf ("http://127.0.0.1:%u", own->port);
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new (proxy_url, NULL);
  FwsClient *client;
  FwsEventSourceClient *events;

  g_test_summary ("The session's proxy resolver is asked for the proxy (CONNECT through it), unless "
                  "the client has a proxy of its own or use-system-proxy is off");
  /* Logged in directly: the fake proxy only tunnels. */
  g_assert_cmpuint (log_in (f, LOGIN_FORM), ==, SOUP_STATUS_OK);
  soup_session_set_proxy_resolver (f->session, resolver);

  client = new_client (f, "/plain");
  fws_client_set_session (client, f->session);
  fws_test_wait_until (f->opens == 1 || f->errors > 0, 10);
  g_assert_cmpuint (f->opens, ==, 1);
  g_assert_cmpuint (proxy->requests->len, ==, 1);
  g_assert_true (g_str_has_prefix (proxy->requests->pdata[0], "CONNECT 127.0.0.1:"));
  close_client (client);

  client = new_client (f, "/plain");
  fws_client_set_session (client, f->session);
  fws_client_set_proxy (client, own_url);
  fws_test_wait_until (f->opens == 2 || f->errors > 0, 10);
  g_assert_cmpuint (f->opens, ==, 2);
  g_assert_cmpuint (proxy->requests->len, ==, 1);
  g_assert_cmpuint (own->requests->len, ==, 1);
  close_client (client);

  client = new_client (f, "/plain");
  fws_client_set_session (client, f->session);
  fws_client_set_use_system_proxy (client, FALSE);
  fws_test_wait_until (f->opens == 3 || f->errors > 0, 10);
  g_assert_cmpuint (f->opens, ==, 3);
  g_assert_cmpuint (proxy->requests->len, ==, 1);
  close_client (client);

  f->opens = 0;
  events = new_events_client (f, "/events");
  fws_event_source_client_set_session (events, f->session);
  fws_test_wait_until (f->message != NULL || f->errors > 0, 10);
  g_assert_cmpuint (f->opens, ==, 1);
  g_assert_cmpuint (proxy->requests->len, ==, 2);
  g_assert_true (g_str_has_prefix (proxy->requests->pdata[1], "CONNECT 127.0.0.1:"));
  fws_event_source_client_close (events);
  g_object_unref (events);

  fws_fake_proxy_free (proxy);
  fws_fake_proxy_free (own);
}

/* ---- The helpers, without a connection ---- */

/* Writes @headers as "Name: value|Name: value" ("(null)" for NULL). */
static char *
headers_string (SoupMessageHeaders *headers)
{
  GString *out;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  if (headers == NULL)
    return g_strdup ("(null)");
  out = g_string_new (NULL);
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (out, "%s%s: %s", out->len ? "|" : "", name, value);
  return g_string_free (out, FALSE);
}

static void
test_request_headers (void)
{
  static const struct
  {
    const char *url;
    const char *extra;           /* "Name: value|..." or NULL */
    gboolean    drop_own_cookie;
    gboolean    with_agent;
    const char *expected;
  } cases[] = {
    /* ws:// is asked as http://: the plain cookie, not the Secure one. */
    { "ws://app.example/socket", NULL, FALSE, TRUE,
      "Cookie: plain=1; root=1|User-Agent: " AGENT },
    /* wss:// as https://: the Secure one too; an empty path is "/". */
    { "wss://app.example", NULL, FALSE, TRUE,
      "Cookie: plain=1; secure=1; root=1|User-Agent: " AGENT },
    /* Path=/api cookies only under /api. */
    { "http://app.example/api/events", NULL, FALSE, FALSE,
      "Cookie: api=1; plain=1; root=1" },
    /* The caller's lines are kept (SoupMessageHeaders lists the headers it
     * knows first); its Cookie joins the jar's line, its User-Agent wins. */
    { "ws://app.example/", "X-A: 1|Cookie: own=1|User-Agent: mine|X-B: 2", FALSE, TRUE,
      "User-Agent: mine|Cookie: plain=1; root=1; own=1|X-A: 1|X-B: 2" },
    /* Elsewhere: the caller's cookie is dropped, the jar's for that host stay. */
    { "http://other.example/", "Cookie: own=1", TRUE, TRUE,
      "Cookie: other=1|User-Agent: " AGENT },
    /* Nothing at all. */
    { "http://nothing.example/", NULL, FALSE, FALSE, "(null)" },
  };
  g_autoptr(SoupCookieJar) jar = soup_cookie_jar_new ();
  g_autoptr(GUri) app = g_uri_parse ("https://app.example/", G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) other = g_uri_parse ("http://other.example/", G_URI_FLAGS_NONE, NULL);

  g_test_summary ("fws_session_request_headers: the jar's cookies for the URL (ws as http, wss as "
                  "https) in one Cookie line after the caller's own, the session's user agent unless "
                  "the caller has one");
  soup_cookie_jar_set_cookie (jar, app, "plain=1; Path=/");
  soup_cookie_jar_set_cookie (jar, app, "secure=1; Path=/; Secure");
  soup_cookie_jar_set_cookie (jar, app, "api=1; Path=/api");
  soup_cookie_jar_set_cookie (jar, app, "root=1; Path=/; HttpOnly");
  soup_cookie_jar_set_cookie (jar, other, "other=1; Path=/");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SoupSession) session = NULL;
      g_autoptr(GUri) uri = g_uri_parse (cases[i].url, G_URI_FLAGS_NONE, NULL);
      g_autoptr(SoupMessageHeaders) extra = NULL;
      g_autoptr(SoupMessageHeaders) out = NULL;
      g_autofree char *got = NULL;

      session = cases[i].with_agent ? soup_session_new_with_options ("user-agent", AGENT, NULL)
                                    : soup_session_new ();
      soup_session_add_feature (session, SOUP_SESSION_FEATURE (jar));
      if (cases[i].extra != NULL)
        {
          g_auto(GStrv) lines = g_strsplit (cases[i].extra, "|", -1);

          extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
          for (guint k = 0; lines[k] != NULL; k++)
            {
              g_auto(GStrv) kv = g_strsplit (lines[k], ": ", 2);

              soup_message_headers_append (extra, kv[0], kv[1]);
            }
        }
      out = fws_session_request_headers (session, uri, extra, cases[i].drop_own_cookie);
      got = headers_string (out);
      g_test_message ("case %u: %s", i, cases[i].url);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_store_cookies (void)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupCookieJar) jar = soup_cookie_jar_new ();
  g_autoptr(SoupMessageHeaders) response = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GUri) ws = g_uri_parse ("ws://app.example/socket", G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) wss = g_uri_parse ("wss://app.example/socket", G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) https = g_uri_parse ("https://app.example/", G_URI_FLAGS_NONE, NULL);
  g_autofree char *cookies = NULL;

  g_test_summary ("fws_session_store_cookies: every Set-Cookie line (an Expires with a comma "
                  "included) lands in the jar; a Secure one only from wss://; none with the "
                  "jar's accept policy NEVER");
  soup_session_add_feature (session, SOUP_SESSION_FEATURE (jar));
  soup_message_headers_append (response, "Set-Cookie", "a=1; Path=/; Expires=Wed, 01 Jan 2070 00:00:00 GMT");
  soup_message_headers_append (response, "Set-Cookie", "b=2; Path=/; Secure");
  soup_message_headers_append (response, "Set-Cookie", "c=3; Path=/socket");

  fws_session_store_cookies (session, ws, response);
  cookies = soup_cookie_jar_get_cookies (jar, https, TRUE);
  g_assert_cmpstr (cookies, ==, "a=1");
  g_clear_pointer (&cookies, g_free);

  fws_session_store_cookies (session, wss, response);
  cookies = soup_cookie_jar_get_cookies (jar, wss, TRUE);
  g_assert_cmpstr (cookies, ==, "c=3; a=1; b=2");
  g_clear_pointer (&cookies, g_free);

  soup_cookie_jar_set_accept_policy (jar, SOUP_COOKIE_JAR_ACCEPT_NEVER);
  soup_message_headers_replace (response, "Set-Cookie", "d=4; Path=/");
  fws_session_store_cookies (session, wss, response);
  cookies = soup_cookie_jar_get_cookies (jar, https, TRUE);
  g_assert_null (strstr (cookies, "d=4"));

  /* No session, or no jar: nothing happens. */
  fws_session_store_cookies (NULL, wss, response);
  g_clear_object (&session);
  session = soup_session_new ();
  fws_session_store_cookies (session, wss, response);
}

static void
test_connector_options (void)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GTlsDatabase) own_db = NULL;
  g_autoptr(GProxyResolver) resolver = g_simple_proxy_resolver_new ("http://127.0.0.1:1", NULL);
  g_autoptr(GError) error = NULL;
  const char *ca_files[] = { "ca.pem", NULL };
  FwsConnectorOptions own, out;

  g_test_summary ("fws_session_connector_options: the session's TLS database unless the client has "
                  "a database or CA files, its proxy resolver unless the client has a proxy or "
                  "use_system_proxy off; a session with proxies off connects directly");
  fws_test_assert_tls_backend ();
  if (certs == NULL)
    certs = fws_test_certs_new ();
  db = g_tls_file_database_new (certs->ca, &error);
  g_assert_no_error (error);
  own_db = g_tls_file_database_new (certs->ca2, &error);
  g_assert_no_error (error);
  soup_session_set_tls_database (session, db);
  soup_session_set_proxy_resolver (session, resolver);

  fws_connector_options_init (&own);
  own.use_system_proxy = TRUE;
  fws_session_connector_options (NULL, &own, &out);
  g_assert_null (out.tls_database);
  g_assert_null (out.proxy_resolver);

  fws_session_connector_options (session, &own, &out);
  g_assert_true (out.tls_database == db);
  g_assert_true (out.proxy_resolver == resolver);
  g_assert_true (out.use_system_proxy);

  own.tls_database = own_db;
  own.proxy = (char *) "http://127.0.0.1:2";
  fws_session_connector_options (session, &own, &out);
  g_assert_true (out.tls_database == own_db);
  g_assert_null (out.proxy_resolver);
  g_assert_cmpstr (out.proxy, ==, "http://127.0.0.1:2");

  own.tls_database = NULL;
  own.tls_ca_files = (char **) ca_files;
  own.proxy = NULL;
  own.use_system_proxy = FALSE;
  fws_session_connector_options (session, &own, &out);
  g_assert_null (out.tls_database);
  g_assert_null (out.proxy_resolver);
  g_assert_false (out.use_system_proxy);

  own.tls_ca_files = NULL;
  own.use_system_proxy = TRUE;
  soup_session_set_proxy_resolver (session, NULL);
  fws_session_connector_options (session, &own, &out);
  g_assert_null (out.proxy_resolver);
  g_assert_false (out.use_system_proxy);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/session/request-headers", test_request_headers);
  g_test_add_func ("/session/store-cookies", test_store_cookies);
  g_test_add_func ("/session/connector-options", test_connector_options);
  g_test_add ("/session/web-socket/cookies", Fixture, NULL, setup, test_web_socket_cookies, teardown);
  g_test_add ("/session/web-socket/own-headers", Fixture, NULL, setup, test_web_socket_own_headers, teardown);
  g_test_add ("/session/web-socket/reconnect", Fixture, NULL, setup, test_web_socket_reconnect_cookies, teardown);
  g_test_add ("/session/event-source/cookies", Fixture, NULL, setup, test_event_source_cookies, teardown);
  g_test_add ("/session/event-source/redirect", Fixture, NULL, setup, test_event_source_redirect, teardown);
  g_test_add ("/session/tls-database", Fixture, NULL, setup_tls, test_tls_database, teardown);
  g_test_add ("/session/proxy-resolver", Fixture, NULL, setup, test_proxy_resolver, teardown);
  ret = g_test_run ();
  g_clear_pointer (&certs, fws_test_certs_free);
  return ret;
}
