/* test-proxy.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HTTP CONNECT exchange (fws-proxy), byte for byte: the proxy cases of
 * websocket-driver's client_spec (BEHAVIOUR.md 6.6) and what fws-glib adds
 * (limits on the answer, header hygiene, no password in messages).
 */
#include "test-utils.h"

#include <string.h>

#include "fws-proxy-private.h"
#include "fws-handshake-private.h"

static FwsProxy *
make (const char         *target_url,
      const char         *proxy_url,
      SoupMessageHeaders *headers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) target = NULL;
  g_autoptr(GUri) proxy = NULL;

  /* http:// and https:// targets come from the connector, for EventSource. */
  if (g_str_has_prefix (target_url, "http"))
    target = g_uri_parse (target_url, G_URI_FLAGS_ENCODED, &error);
  else
    target = fws_handshake_parse_url (target_url, &error);

  g_assert_no_error (error);
  proxy = fws_proxy_parse_url (proxy_url, &error);
  g_assert_no_error (error);
  return fws_proxy_new (target, proxy, headers);
}

static void
assert_request (FwsProxy   *proxy,
                const char *want)
{
  GBytes *req = fws_proxy_get_request (proxy);
  g_autofree char *got = g_strndup (g_bytes_get_data (req, NULL), g_bytes_get_size (req));

  g_assert_cmpstr (got, ==, want);
}

static void
test_connect_request (void)
{
  g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);

  g_test_summary ("client_spec proxy: sends a CONNECT request");
  assert_request (proxy,
                  "CONNECT www.example.com:80 HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  "Connection: keep-alive\r\n"
                  "Proxy-Connection: keep-alive\r\n"
                  "\r\n");
}

static void
test_authenticated (void)
{
  g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://user:pass@proxy.example.com", NULL);

  g_test_summary ("client_spec proxy: sends an authenticated CONNECT request (Proxy-Authorization last)");
  assert_request (proxy,
                  "CONNECT www.example.com:80 HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  "Connection: keep-alive\r\n"
                  "Proxy-Connection: keep-alive\r\n"
                  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                  "\r\n");
}

static void
test_custom_headers (void)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(FwsProxy) proxy = NULL;

  g_test_summary ("client_spec proxy: sends a CONNECT request with custom headers (User-Agent last)");
  soup_message_headers_append (headers, "User-Agent", "Chrome");
  proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", headers);
  assert_request (proxy,
                  "CONNECT www.example.com:80 HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  "Connection: keep-alive\r\n"
                  "Proxy-Connection: keep-alive\r\n"
                  "User-Agent: Chrome\r\n"
                  "\r\n");
}

static void
test_auth_and_custom (void)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(FwsProxy) proxy = NULL;

  g_test_summary ("Proxy-Authorization comes before the custom headers, which keep their order");
  soup_message_headers_append (headers, "User-Agent", "Chrome");
  soup_message_headers_append (headers, "X-Trace", "1");
  proxy = make ("ws://www.example.com/socket", "http://user:pass@proxy.example.com:3128", headers);
  assert_request (proxy,
                  "CONNECT www.example.com:80 HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  "Connection: keep-alive\r\n"
                  "Proxy-Connection: keep-alive\r\n"
                  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                  "User-Agent: Chrome\r\n"
                  "X-Trace: 1\r\n"
                  "\r\n");
}

static void
test_ports (void)
{
  static const struct { const char *url; const char *first_lines; } cases[] = {
    { "wss://www.example.com/socket",
      "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com\r\n" },
    { "ws://www.example.com:3000/socket",
      "CONNECT www.example.com:3000 HTTP/1.1\r\nHost: www.example.com:3000\r\n" },
    { "wss://www.example.com:3000/socket",
      "CONNECT www.example.com:3000 HTTP/1.1\r\nHost: www.example.com:3000\r\n" },
    { "wss://www.example.com:443/socket",
      "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com\r\n" },
    { "ws://www.example.com:443/socket",
      "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n" },
    { "ws://127.0.0.1:8080/",
      "CONNECT 127.0.0.1:8080 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" },
    { "ws://[::1]:8080/",
      "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n" },
    { "wss://[2001:db8::1]/",
      "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]\r\n" },
    { "https://www.example.com/events",
      "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com\r\n" },
    { "http://www.example.com/events",
      "CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com\r\n" },
    { "https://www.example.com:8443/events",
      "CONNECT www.example.com:8443 HTTP/1.1\r\nHost: www.example.com:8443\r\n" },
  };

  g_test_summary ("The CONNECT target always has a port (80/443 by scheme, for ws/wss and http/https); Host only when not the default; IPv6 in brackets");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FwsProxy) proxy = make (cases[i].url, "http://proxy.example.com", NULL);
      g_autofree char *want = g_strconcat (cases[i].first_lines,
                                           "Connection: keep-alive\r\nProxy-Connection: keep-alive\r\n\r\n",
                                           NULL);

      assert_request (proxy, want);
    }
}

static void
test_reserved_headers (void)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr(FwsProxy) with_auth = NULL;
  g_autoptr(FwsProxy) without_auth = NULL;

  g_test_summary ("Custom headers cannot replace Host, Connection, Proxy-Connection or the URL's "
                  "Proxy-Authorization; the first of a name wins; malformed ones are dropped");
  soup_message_headers_append (headers, "host", "evil.example");
  soup_message_headers_append (headers, "Connection", "close");
  soup_message_headers_append (headers, "Proxy-Connection", "close");
  soup_message_headers_append (headers, "Proxy-Authorization", "Bearer token");
  soup_message_headers_append (headers, "X-One", "first");
  soup_message_headers_append (headers, "x-one", "second");
  soup_message_headers_append (headers, "X-Tab", "a\tb");

  with_auth = make ("ws://www.example.com/", "http://user:pass@proxy.example.com", headers);
  assert_request (with_auth,
                  "CONNECT www.example.com:80 HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  "Connection: keep-alive\r\n"
                  "Proxy-Connection: keep-alive\r\n"
                  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                  "X-One: first\r\n"
                  "X-Tab: a\tb\r\n"
                  "\r\n");

  /* Without credentials in the URL, the app may authenticate its own way. */
  without_auth = make ("ws://www.example.com/", "http://proxy.example.com", headers);
  assert_request (without_auth,
                  "CONNECT www.example.com:80 HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  "Connection: keep-alive\r\n"
                  "Proxy-Connection: keep-alive\r\n"
                  "Proxy-Authorization: Bearer token\r\n"
                  "X-One: first\r\n"
                  "X-Tab: a\tb\r\n"
                  "\r\n");
}

static void
test_credentials_decoded (void)
{
  g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/", "http://us%40er:p%3Ass%20w@proxy.example.com", NULL);
  g_autoptr(FwsProxy) no_password = make ("ws://www.example.com/", "http://user@proxy.example.com", NULL);
  g_autofree char *want = g_base64_encode ((const guchar *) "us@er:p:ss w", 12);
  g_autofree char *line = g_strdup_printf ("Proxy-Authorization: Basic %s\r\n", want);
  GBytes *req = fws_proxy_get_request (proxy);
  g_autofree char *got = g_strndup (g_bytes_get_data (req, NULL), g_bytes_get_size (req));

  g_test_summary ("Percent-encoded user and password are decoded before base64; a user alone gives user:");
  g_assert_nonnull (strstr (got, line));
  req = fws_proxy_get_request (no_password);
  g_clear_pointer (&got, g_free);
  got = g_strndup (g_bytes_get_data (req, NULL), g_bytes_get_size (req));
  g_assert_nonnull (strstr (got, "Proxy-Authorization: Basic dXNlcjo=\r\n"));
}

static FwsProxyResult
feed_all (FwsProxy    *proxy,
          const char  *answer,
          gboolean     byte_by_byte,
          gsize       *consumed,
          GError     **error)
{
  gsize len = strlen (answer);
  FwsProxyResult result = FWS_PROXY_NEED_MORE;

  *consumed = 0;
  if (!byte_by_byte)
    return fws_proxy_feed (proxy, (const guint8 *) answer, len, consumed, error);
  for (gsize i = 0; i < len && result == FWS_PROXY_NEED_MORE; i++)
    {
      gsize used = 0;

      result = fws_proxy_feed (proxy, (const guint8 *) answer + i, 1, &used, error);
      *consumed += used;
    }
  return result;
}

static void
test_connected (void)
{
  static const char answer[] = "HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n";

  g_test_summary ("client_spec proxy response: a 200 opens the tunnel, fed at once or byte by byte; "
                  "status, reason and headers are kept");
  for (int by_byte = 0; by_byte < 2; by_byte++)
    {
      g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
      g_autoptr(GError) error = NULL;
      gsize consumed;

      g_assert_cmpuint (fws_proxy_get_status (proxy), ==, 0);
      g_assert_null (fws_proxy_get_response_headers (proxy));
      g_assert_cmpint (feed_all (proxy, answer, by_byte, &consumed, &error), ==, FWS_PROXY_CONNECTED);
      g_assert_no_error (error);
      g_assert_cmpuint (consumed, ==, strlen (answer));
      g_assert_cmpuint (fws_proxy_get_status (proxy), ==, 200);
      g_assert_cmpstr (fws_proxy_get_reason (proxy), ==, "Connection established");
      g_assert_cmpstr (soup_message_headers_get_one (fws_proxy_get_response_headers (proxy), "Proxy-Agent"),
                       ==, "test");
    }
}

static void
test_minimal_and_2xx (void)
{
  g_test_summary ("client_spec: HTTP/1.1 200 OK with no headers connects; so does any 2xx (RFC 9110 9.3.6)");
  {
    g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
    g_autoptr(GError) error = NULL;
    gsize consumed;

    g_assert_cmpint (feed_all (proxy, "HTTP/1.1 200 OK\r\n\r\n", FALSE, &consumed, &error), ==,
                     FWS_PROXY_CONNECTED);
    g_assert_no_error (error);
  }
  {
    g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
    g_autoptr(GError) error = NULL;
    gsize consumed;

    g_assert_cmpint (feed_all (proxy, "HTTP/1.0 204 No Content\r\n\r\n", FALSE, &consumed, &error), ==,
                     FWS_PROXY_CONNECTED);
    g_assert_no_error (error);
  }
}

static void
test_bytes_after_head (void)
{
  static const char answer[] = "HTTP/1.1 200 OK\r\n\r\n\x81\x02Hi";
  g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
  g_autoptr(GError) error = NULL;
  gsize consumed;

  g_test_summary ("Bytes after the answer's head are not taken: consumed stops at the blank line");
  g_assert_cmpint (fws_proxy_feed (proxy, (const guint8 *) answer, sizeof answer - 1, &consumed, &error),
                   ==, FWS_PROXY_CONNECTED);
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, strlen ("HTTP/1.1 200 OK\r\n\r\n"));
}

static void
test_refused (void)
{
  static const struct { const char *answer; guint status; const char *message; } cases[] = {
    { "HTTP/1.1 403 Forbidden\r\n\r\n", 403,
      "Can't establish a connection to the server at ws://www.example.com/socket: "
      "the proxy http://proxy.example.com answered 403 Forbidden" },
    { "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n", 407,
      "Can't establish a connection to the server at ws://www.example.com/socket: "
      "the proxy http://proxy.example.com answered 407 Proxy Authentication Required" },
    { "HTTP/1.0 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", 502,
      "Can't establish a connection to the server at ws://www.example.com/socket: "
      "the proxy http://proxy.example.com answered 502 Bad Gateway" },
    { "HTTP/1.1 101 Switching Protocols\r\n\r\n", 101,
      "Can't establish a connection to the server at ws://www.example.com/socket: "
      "the proxy http://proxy.example.com answered 101 Switching Protocols" },
  };

  g_test_summary ("client_spec proxy response: a refusal is an error naming the server, the status and the reason");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
      g_autoptr(GError) error = NULL;
      gsize consumed;

      g_assert_cmpint (feed_all (proxy, cases[i].answer, i % 2, &consumed, &error), ==, FWS_PROXY_FAILED);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_cmpuint (fws_proxy_get_status (proxy), ==, cases[i].status);
    }
}

static void
test_malformed (void)
{
  static const char * const answers[] = {
    "HTTP/1.1 4 Forbidden\r\n\r\n",
    "SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "ICY 200 OK\r\n\r\n",
  };

  g_test_summary ("A malformed answer fails at once (faye would hang) with FWS_ERROR_HANDSHAKE");
  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
      g_autoptr(GError) error = NULL;
      gsize consumed;

      g_assert_cmpint (feed_all (proxy, answers[i], FALSE, &consumed, &error), ==, FWS_PROXY_FAILED);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_true (g_str_has_prefix (error->message,
                                       "Can't establish a connection to the server at ws://www.example.com/socket: "));
    }
}

static void
test_limits (void)
{
  g_autoptr(GString) long_line = g_string_new ("HTTP/1.1 200 OK\r\nX-Long: ");
  g_autoptr(GString) many = g_string_new ("HTTP/1.1 200 OK\r\n");
  g_autoptr(GString) huge = g_string_new ("HTTP/1.1 200 OK\r\n");
  GString *cases[3];

  g_test_summary ("The answer's head is capped: a 4 KiB line, 100 headers and 64 KiB in all (FWS_ERROR_TOO_LARGE)");
  g_string_append_len (long_line, "", 0);
  for (int i = 0; i < 5000; i++)
    g_string_append_c (long_line, 'a');
  g_string_append (long_line, "\r\n\r\n");
  for (int i = 0; i < 200; i++)
    g_string_append_printf (many, "X-H%d: v\r\n", i);
  g_string_append (many, "\r\n");
  for (int i = 0; i < 90; i++)
    {
      g_string_append_printf (huge, "X-H%d: ", i);
      for (int k = 0; k < 1000; k++)
        g_string_append_c (huge, 'b');
      g_string_append (huge, "\r\n");
    }
  g_string_append (huge, "\r\n");
  cases[0] = long_line;
  cases[1] = many;
  cases[2] = huge;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FwsProxy) proxy = make ("ws://www.example.com/socket", "http://proxy.example.com", NULL);
      g_autoptr(GError) error = NULL;
      gsize consumed;

      g_assert_cmpint (feed_all (proxy, cases[i]->str, FALSE, &consumed, &error), ==, FWS_PROXY_FAILED);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_TOO_LARGE);
    }
}

static void
test_no_password_in_messages (void)
{
  g_autoptr(FwsProxy) proxy = make ("ws://alice:s3cret@www.example.com/socket", "http://proxy.example.com", NULL);
  g_autoptr(GError) error = NULL;
  gsize consumed;

  g_test_summary ("The server URL in an error message never shows its password");
  g_assert_cmpint (feed_all (proxy, "HTTP/1.1 403 Forbidden\r\n\r\n", FALSE, &consumed, &error), ==,
                   FWS_PROXY_FAILED);
  g_assert_null (strstr (error->message, "s3cret"));
  g_assert_nonnull (strstr (error->message, "www.example.com/socket"));
}

static void
test_parse_url (void)
{
  static const char * const good[] = {
    "http://proxy.example.com", "https://proxy.example.com:8443/", "http://u:p@127.0.0.1:3128",
    "HTTP://[::1]:3128", "http://proxy.example.com/ignored/path",
  };
  static const char * const bad[] = {
    "proxy.example.com:3128", "ftp://proxy.example.com", "http://", "http:///path", "socks5://h:1",
    "http://a b/", "", "http://exa%0D%0Ample.com/",
  };

  g_test_summary ("Proxy URLs: http:// and https:// with a host; anything else is FWS_ERROR_INVALID_ARGUMENT");
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GUri) uri = fws_proxy_parse_url (good[i], &error);

      g_assert_no_error (error);
      g_assert_nonnull (uri);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GUri) uri = fws_proxy_parse_url (bad[i], &error);

      g_assert_null (uri);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/proxy/request/connect", test_connect_request);
  g_test_add_func ("/proxy/request/authenticated", test_authenticated);
  g_test_add_func ("/proxy/request/custom-headers", test_custom_headers);
  g_test_add_func ("/proxy/request/auth-and-custom", test_auth_and_custom);
  g_test_add_func ("/proxy/request/ports", test_ports);
  g_test_add_func ("/proxy/request/reserved-headers", test_reserved_headers);
  g_test_add_func ("/proxy/request/credentials-decoded", test_credentials_decoded);
  g_test_add_func ("/proxy/response/connected", test_connected);
  g_test_add_func ("/proxy/response/minimal-and-2xx", test_minimal_and_2xx);
  g_test_add_func ("/proxy/response/bytes-after-head", test_bytes_after_head);
  g_test_add_func ("/proxy/response/refused", test_refused);
  g_test_add_func ("/proxy/response/malformed", test_malformed);
  g_test_add_func ("/proxy/response/limits", test_limits);
  g_test_add_func ("/proxy/response/no-password-in-messages", test_no_password_in_messages);
  g_test_add_func ("/proxy/parse-url", test_parse_url);

  return g_test_run ();
}
