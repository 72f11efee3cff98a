/* test-handshake.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-utils.h"

#include <string.h>

#include "fws-handshake-private.h"
#include "fws-extensions-private.h"

#define KEY_6_5    "JFBCWHksyIpXV+6Wlq/9pw=="
#define ACCEPT_6_5 "JdiiuafpBKRqD7eol0y4vJDTsTs="
#define KEY_6_6    "2vBVWg4Qyk3ZoM/5d3QD9Q=="
#define ACCEPT_6_6 "QV3I5XUXU2CdhtjixE7QCkCcMZM="

/* ---- Helpers ---- */

/* Name/value pairs, NULL-terminated. */
static SoupMessageHeaders *
headers_new (SoupMessageHeadersType type,
             ...)
{
  SoupMessageHeaders *headers = soup_message_headers_new (type);
  const char *name;
  va_list args;

  va_start (args, type);
  while ((name = va_arg (args, const char *)) != NULL)
    soup_message_headers_append (headers, name, va_arg (args, const char *));
  va_end (args);
  return headers;
}

/* The request of BEHAVIOUR.md 6.5. */
static SoupMessageHeaders *
hybi_request (void)
{
  return headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                      "Connection", "Upgrade",
                      "Upgrade", "websocket",
                      "Origin", "http://www.example.com",
                      "Sec-WebSocket-Key", KEY_6_5,
                      "Sec-WebSocket-Version", "13",
                      NULL);
}

static void
assert_bytes_eq (GBytes     *bytes,
                 const char *expected)
{
  gsize len;
  const char *data;
  g_autofree char *copy = NULL;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  copy = g_strndup (data, len);
  g_assert_cmpstr (copy, ==, expected);
  g_assert_cmpuint (len, ==, strlen (expected));
  g_assert_cmpint (memcmp (data, expected, len), ==, 0);
}

static SoupMessageHeaders *
parse_response_or_die (const char *text,
                       guint      *status)
{
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = NULL;

  g_assert_true (fws_http_parse_response (text, strlen (text), status, NULL, &headers, &error));
  g_assert_no_error (error);
  return headers;
}

/* ---- Server side ---- */

static void
test_accept_vectors (void)
{
  static const char * const vectors[][2] = {
    { KEY_6_5, ACCEPT_6_5 },
    { KEY_6_6, ACCEPT_6_6 },
    { "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
  };
  guint i;

  g_test_summary ("Sec-WebSocket-Accept vectors of BEHAVIOUR.md 6.11, the RFC 6455 example included");

  g_assert_cmpstr (FWS_WS_GUID, ==, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *accept = fws_handshake_accept_key (vectors[i][0]);

      g_assert_cmpstr (accept, ==, vectors[i][1]);
    }
}

static void
test_is_websocket_request (void)
{
  static const struct {
    const char *method, *connection, *upgrade;
    gboolean expected;
  } cases[] = {
    { "GET", "Upgrade", "websocket", TRUE },
    { "GET", "upgrade", "WebSocket", TRUE },
    { "GET", "keep-alive, Upgrade", "websocket", TRUE },
    { "GET", "keep-alive,upgrade", "WEBSOCKET", TRUE },
    { "GET", "Upgrade , keep-alive", "websocket", TRUE },
    { "POST", "Upgrade", "websocket", FALSE },
    { "get", "Upgrade", "websocket", FALSE },
    { NULL, "Upgrade", "websocket", FALSE },
    { "GET", NULL, "websocket", FALSE },
    { "GET", "keep-alive", "websocket", FALSE },
    { "GET", "upgrades", "websocket", FALSE },
    { "GET", "Upgrade", NULL, FALSE },
    { "GET", "Upgrade", "websocket, foo", FALSE },
    { "GET", "Upgrade", "h2c", FALSE },
  };
  guint i;

  g_test_summary ("The upgrade test of BEHAVIOUR.md 1.2: GET, a Connection token list with upgrade, "
                  "Upgrade exactly websocket");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

      if (cases[i].connection != NULL)
        soup_message_headers_append (headers, "Connection", cases[i].connection);
      if (cases[i].upgrade != NULL)
        soup_message_headers_append (headers, "Upgrade", cases[i].upgrade);
      g_assert_cmpint (fws_handshake_is_websocket_request (cases[i].method, headers), ==, cases[i].expected);
      soup_message_headers_unref (headers);
    }
}

#define RESPONSE_6_5 \
  "HTTP/1.1 101 Switching Protocols\r\n" \
  "Upgrade: websocket\r\n" \
  "Connection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n" \
  "\r\n"

static void
test_server_respond (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *protocol = NULL;
  SoupMessageHeaders *request = hybi_request ();

  g_test_summary ("BEHAVIOUR.md 6.5: start writes the exact 101 response");

  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, &protocol, &response, &error));
  g_assert_no_error (error);
  g_assert_null (protocol);
  assert_bytes_eq (response, RESPONSE_6_5);
  soup_message_headers_unref (request);
}

static void
test_server_subprotocols (void)
{
  static const struct {
    const char *offer[3];
    const char *server[3];
    const char *selected;
  } cases[] = {
    { { "foo, bar, xmpp", NULL }, { "xmpp", NULL }, "xmpp" },
    { { "foo,bar,xmpp", NULL }, { "xmpp", "bar", NULL }, "bar" },
    { { "foo", "bar ,  xmpp" }, { "xmpp", NULL }, "xmpp" },
    { { "a, b", NULL }, { "b", "a", NULL }, "a" },
    { { "foo, bar", NULL }, { "xmpp", NULL }, NULL },
    { { "XMPP", NULL }, { "xmpp", NULL }, NULL },
    { { NULL }, { "xmpp", NULL }, NULL },
    { { "xmpp", NULL }, { NULL }, NULL },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 6.5/2.6: the first protocol in the client's order that the server "
                  "supports is selected and sent after the accept key");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = NULL;
      g_autofree char *protocol = NULL;
      SoupMessageHeaders *request = hybi_request ();
      guint j;

      for (j = 0; j < G_N_ELEMENTS (cases[i].offer) && cases[i].offer[j] != NULL; j++)
        soup_message_headers_append (request, "Sec-WebSocket-Protocol", cases[i].offer[j]);
      g_assert_true (fws_handshake_server_respond ("GET", request, cases[i].server, NULL, NULL,
                                                   &protocol, &response, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (protocol, ==, cases[i].selected);
      if (cases[i].selected != NULL)
        {
          g_autofree char *expected =
            g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                             "Sec-WebSocket-Protocol: %s\r\n"
                             "\r\n", cases[i].selected);
          assert_bytes_eq (response, expected);
        }
      else
        assert_bytes_eq (response, RESPONSE_6_5);
      soup_message_headers_unref (request);
    }
}

static void
test_server_custom_headers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *protocol = NULL;
  SoupMessageHeaders *request = hybi_request ();
  SoupMessageHeaders *extra = headers_new (SOUP_MESSAGE_HEADERS_RESPONSE,
                                           "Authorization", "Bearer WAT",
                                           NULL);
  const char * const protocols[] = { "xmpp", NULL };

  g_test_summary ("BEHAVIOUR.md 6.5: custom headers come first, before Upgrade");

  soup_message_headers_append (request, "Sec-WebSocket-Protocol", "xmpp");
  g_assert_true (fws_handshake_server_respond ("GET", request, protocols, extra, NULL, &protocol, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "Authorization: Bearer WAT\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                   "Sec-WebSocket-Protocol: xmpp\r\n"
                   "\r\n");
  soup_message_headers_unref (extra);
  soup_message_headers_unref (request);
}

static void
test_server_reserved_headers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  SoupMessageHeaders *request = hybi_request ();
  SoupMessageHeaders *extra = headers_new (SOUP_MESSAGE_HEADERS_RESPONSE,
                                           "X-Before", "1",
                                           "Upgrade", "h2c",
                                           "connection", "close",
                                           "Sec-WebSocket-Accept", "forged",
                                           "SEC-WEBSOCKET-PROTOCOL", "chat",
                                           "Sec-WebSocket-Extensions", "permessage-deflate",
                                           "Sec-WebSocket-Version", "8",
                                           "Content-Length", "42",
                                           "transfer-encoding", "chunked",
                                           "X-After", "2",
                                           NULL);

  g_test_summary ("Custom headers never replace the handshake's own (any case), nor give a 101 a body");

  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, extra, NULL, NULL, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "X-Before: 1\r\n"
                   "X-After: 2\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                   "\r\n");
  soup_message_headers_unref (extra);
  soup_message_headers_unref (request);
}

static void
test_server_header_injection (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  SoupMessageHeaders *request = hybi_request ();
  SoupMessageHeaders *extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  g_test_summary ("Custom headers with control characters or a bad name are never written");

  /* libsoup itself refuses CR and LF; we must not write them either way. */
  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*");
  soup_message_headers_append (extra, "X-Evil", "a\r\nX-Injected: 1");
  g_test_assert_expected_messages ();
  g_test_expect_message ("libsoup", G_LOG_LEVEL_CRITICAL, "*");
  soup_message_headers_append (extra, "X-Evil\r\nX-Injected", "1");
  g_test_assert_expected_messages ();

  /* What libsoup lets through, and we drop. */
  soup_message_headers_append (extra, "X-Ok", "yes");
  soup_message_headers_append (extra, "X-Vt", "a\vb");
  soup_message_headers_append (extra, "X-Nul-Like", "a\001b");
  soup_message_headers_append (extra, "X-Del", "a\177b");
  soup_message_headers_append (extra, "X(Bad)", "v");
  soup_message_headers_append (extra, "X-Tab", "a\tb");

  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, extra, NULL, NULL, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "X-Ok: yes\r\n"
                   "X-Tab: a\tb\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n"
                   "\r\n");
  soup_message_headers_unref (extra);
  soup_message_headers_unref (request);
}

static char *
bad_request (const char *body)
{
  return g_strdup_printf ("HTTP/1.1 400 Bad Request\r\n"
                          "Content-Type: text/plain\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "\r\n"
                          "%s", strlen (body), body);
}

static char *
upgrade_required (const char *body)
{
  return g_strdup_printf ("HTTP/1.1 426 Upgrade Required\r\n"
                          "Content-Type: text/plain\r\n"
                          "Sec-WebSocket-Version: 13\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "\r\n"
                          "%s", strlen (body), body);
}

/* Runs the handshake on @request (consumed) and expects a refusal. */
static void
assert_refused (const char         *method,
                SoupMessageHeaders *request,
                guint               status,
                const char         *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *expected = NULL;
  char *protocol = (char *) "unset";
  const char * const protocols[] = { "xmpp", NULL };

  g_assert_false (fws_handshake_server_respond (method, request, protocols, NULL, NULL,
                                                &protocol, &response, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_null (protocol);
  expected = status == 426 ? upgrade_required (message) : bad_request (message);
  assert_bytes_eq (response, expected);
  soup_message_headers_unref (request);
}

static void
test_server_error_responses (void)
{
  SoupMessageHeaders *request;
  g_autofree char *not_ws = NULL;

  g_test_summary ("Every refusal: exact 400/426 bytes and the same message in the GError");

  /* The exact bytes once, by hand. */
  not_ws = bad_request ("Not a WebSocket request");
  g_assert_cmpstr (not_ws, ==, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 23\r\n\r\nNot a WebSocket request");

  assert_refused ("POST", hybi_request (), 400, "Not a WebSocket request");
  assert_refused (NULL, hybi_request (), 400, "Not a WebSocket request");

  request = hybi_request ();
  soup_message_headers_remove (request, "Upgrade");
  assert_refused ("GET", request, 400, "Not a WebSocket request");

  request = hybi_request ();
  soup_message_headers_replace (request, "Upgrade", "websocket, foo");
  assert_refused ("GET", request, 400, "Not a WebSocket request");

  request = hybi_request ();
  soup_message_headers_replace (request, "Connection", "keep-alive");
  assert_refused ("GET", request, 400, "Not a WebSocket request");

  /* Decision 5: 426 with the version received. */
  request = hybi_request ();
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "7");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 7");
  {
    g_autofree char *bytes = upgrade_required ("Unsupported WebSocket version: 7");

    g_assert_cmpstr (bytes, ==, "HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain\r\n"
                                "Sec-WebSocket-Version: 13\r\nContent-Length: 32\r\n\r\n"
                                "Unsupported WebSocket version: 7");
  }

  request = hybi_request ();
  soup_message_headers_append (request, "Sec-WebSocket-Version", "8");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 13, 8");

  request = hybi_request ();
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "1\0013\377");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 1?3?");

  request = hybi_request ();
  soup_message_headers_remove (request, "Sec-WebSocket-Version");
  assert_refused ("GET", request, 426, "Missing handshake request header: Sec-WebSocket-Version");

  request = hybi_request ();
  soup_message_headers_remove (request, "Sec-WebSocket-Key");
  assert_refused ("GET", request, 400, "Missing handshake request header: Sec-WebSocket-Key");

  /* The version is checked before the key (BEHAVIOUR.md 2.6). */
  request = hybi_request ();
  soup_message_headers_remove (request, "Sec-WebSocket-Key");
  soup_message_headers_replace (request, "Sec-WebSocket-Version", "8");
  assert_refused ("GET", request, 426, "Unsupported WebSocket version: 8");
}

static void
test_server_invalid_keys (void)
{
  static const char * const keys[] = {
    "",
    "abc",
    "JFBCWHksyIpXV+6Wlq/9pw=",        /* 23 characters */
    "JFBCWHksyIpXV+6Wlq/9pw===",      /* 25 */
    "JFBCWHksyIpXV+6Wlq/9p===",       /* 15 bytes and a bit */
    "JFBCWHksyIpXV+6Wlq/9pw!=",       /* not base64 */
    "JFBCWHksyIpXV+6Wlq/9p w==",
    "JFBCWHksyIpXV+6Wlq/9pwAA",       /* 18 bytes */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",   /* 20 bytes */
    "JFBCWHksyIpXV-6Wlq_9pw==",       /* base64url */
  };
  guint i;

  g_test_summary ("A Sec-WebSocket-Key that is not base64 of 16 bytes is a 400");

  for (i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      SoupMessageHeaders *request = hybi_request ();

      soup_message_headers_replace (request, "Sec-WebSocket-Key", keys[i]);
      assert_refused ("GET", request, 400, "Invalid Sec-WebSocket-Key header");
    }

  /* Two keys are joined into a list, which is not a key. */
  {
    SoupMessageHeaders *request = hybi_request ();

    soup_message_headers_append (request, "Sec-WebSocket-Key", KEY_6_6);
    assert_refused ("GET", request, 400, "Invalid Sec-WebSocket-Key header");
  }
}

static void
test_server_host (void)
{
  static const char * const good[] = {
    "example.com", "example.com:8080", "127.0.0.1:1", "[::1]", "[::1]:65535", "localhost",
  };
  static const char * const bad[] = {
    "exa mple.com", "example.com/x", "user@example.com", "example.com:", "example.com:0",
    "example.com:65536", "example.com:1:2", "[::1", "[::1]x", "[nothex]:80", "::1", "a\001b",
  };
  guint i;

  g_test_summary ("A malformed Host is a 400; a valid or missing one is accepted");

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = NULL;
      SoupMessageHeaders *request = hybi_request ();

      soup_message_headers_append (request, "Host", good[i]);
      g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
      g_assert_no_error (error);
      assert_bytes_eq (response, RESPONSE_6_5);
      soup_message_headers_unref (request);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      SoupMessageHeaders *request = hybi_request ();

      soup_message_headers_append (request, "Host", bad[i]);
      assert_refused ("GET", request, 400, "Invalid Host header");
    }
}

static void
test_server_connection_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  SoupMessageHeaders *request = hybi_request ();

  g_test_summary ("Connection: keep-alive, Upgrade (Firefox) is a WebSocket request");

  soup_message_headers_replace (request, "Connection", "keep-alive, Upgrade");
  g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
  g_assert_no_error (error);
  assert_bytes_eq (response, RESPONSE_6_5);
  soup_message_headers_unref (request);
}

/* ---- request_url ---- */

static void
test_request_url (void)
{
  static const struct {
    gboolean secure;
    const char *header, *value;
    const char *host, *path, *query;
    const char *expected;
  } cases[] = {
    { FALSE, NULL, NULL, "example.com", "/chat", NULL, "ws://example.com/chat" },
    { FALSE, NULL, NULL, "example.com", "/chat", "", "ws://example.com/chat" },
    { FALSE, NULL, NULL, "example.com:8080", "/chat", "a=1&b=2", "ws://example.com:8080/chat?a=1&b=2" },
    { FALSE, NULL, NULL, "[::1]:8080", "/", NULL, "ws://[::1]:8080/" },
    { TRUE, NULL, NULL, "example.com", "/chat", NULL, "wss://example.com/chat" },
    { FALSE, "X-Forwarded-Ssl", "on", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Ssl", "ON", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Ssl", "off", "example.com", "/", NULL, "ws://example.com/" },
    { FALSE, "X-Forwarded-Scheme", "https", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Scheme", "HTTPS", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Scheme", "http", "example.com", "/", NULL, "ws://example.com/" },
    { FALSE, "X-Forwarded-Proto", "https", "example.com", "/", "x", "wss://example.com/?x" },
    { FALSE, "X-Forwarded-Proto", "Https", "example.com", "/", NULL, "wss://example.com/" },
    { FALSE, "X-Forwarded-Proto", "http", "example.com", "/", NULL, "ws://example.com/" },
    { TRUE, "X-Forwarded-Proto", "http", "example.com", "/", NULL, "wss://example.com/" },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 1.2: ws or wss (TLS or a forwarding header), Host, path, ?query");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SoupMessageHeaders *request = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                                 "Host", cases[i].host, NULL);
      g_autofree char *url = NULL;

      if (cases[i].header != NULL)
        soup_message_headers_append (request, cases[i].header, cases[i].value);
      url = fws_handshake_request_url (cases[i].secure, request, cases[i].path, cases[i].query);
      g_assert_cmpstr (url, ==, cases[i].expected);
      soup_message_headers_unref (request);
    }
}

static void
test_request_url_bad_host (void)
{
  static const char * const hosts[] = {
    "", " ", "a b", "a/b", "/", "@", "user@host", "user:pw@host", "host:", "host:abc", "host:-1",
    "host:0", "host:65536", "host:123456", "host:1:2", "host:80/x", "::1", "[::1", "[::1]]",
    "[::1]:", "[::1]x", "[::1]:99999", "[]", "[:::::]", "[1.2.3.4]", "a\tb", "a\001b", "a\177b",
    "exa\303\251mple.com", "%00", "a%2fb", "host?x", "host#x", "host\\x", "[::1%]", "..\"",
    "a,b", "a;b",
  };
  guint i;

  g_test_summary ("A missing or malformed Host gives NULL, never a crash");

  for (i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      SoupMessageHeaders *request = headers_new (SOUP_MESSAGE_HEADERS_REQUEST, "Host", hosts[i], NULL);
      g_autofree char *url = fws_handshake_request_url (FALSE, request, "/", NULL);

      if (url != NULL)
        g_error ("Host %s gave %s", hosts[i], url);
      soup_message_headers_unref (request);
    }

  {
    SoupMessageHeaders *request = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
    g_autofree char *url = fws_handshake_request_url (TRUE, request, "/", "a");

    g_assert_null (url);
    soup_message_headers_unref (request);
  }

  /* A very long one. */
  {
    g_autofree char *long_host = g_strnfill (10000, 'a');
    SoupMessageHeaders *request = headers_new (SOUP_MESSAGE_HEADERS_REQUEST, "Host", long_host, NULL);
    g_autofree char *url = fws_handshake_request_url (FALSE, request, "/", NULL);

    g_assert_null (url);
    soup_message_headers_unref (request);
  }
}

/* ---- Client side ---- */

static void
test_parse_url (void)
{
  static const struct {
    const char *url, *scheme, *host;
    int port;
  } good[] = {
    { "ws://www.example.com/socket", "ws", "www.example.com", -1 },
    { "wss://www.example.com:3000/socket", "wss", "www.example.com", 3000 },
    { "WS://www.example.com", "ws", "www.example.com", -1 },
    { "wSs://user:pass@www.example.com/", "wss", "www.example.com", -1 },
    { "ws://[::1]:8080/", "ws", "::1", 8080 },
    { "ws://127.0.0.1/", "ws", "127.0.0.1", -1 },
  };
  static const char * const bad[] = {
    "stream.wikimedia.org/rc", "http://x/", "https://x/", "wss://", "ws:///path", "ws:path",
    "ws://a%0D%0Ab/", "ws://a b/", "ws://a%2Fb/", "ws://h:99999/", "", "ftp://h/", "ws//h/",
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 2.7/6.6: only ws and wss URLs with a valid host are accepted");

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GUri) uri = fws_handshake_parse_url (good[i].url, &error);

      g_assert_no_error (error);
      g_assert_nonnull (uri);
      g_assert_cmpstr (g_uri_get_scheme (uri), ==, good[i].scheme);
      g_assert_cmpstr (g_uri_get_host (uri), ==, good[i].host);
      g_assert_cmpint (g_uri_get_port (uri), ==, good[i].port);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GUri) uri = fws_handshake_parse_url (bad[i], &error);
      g_autofree char *message = g_strdup_printf ("%s is not a valid WebSocket URL", bad[i]);

      g_assert_null (uri);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, message);
    }
}

static void
test_client_key (void)
{
  g_autofree guchar *nonce = NULL;
  g_autofree char *key = NULL;
  gsize len = 0;
  const guint8 zeros[16] = { 0 };

  g_test_summary ("The client key is the base64 of the 16-byte nonce");

  nonce = g_base64_decode (KEY_6_6, &len);
  g_assert_cmpuint (len, ==, 16);
  key = fws_handshake_client_key (nonce);
  g_assert_cmpstr (key, ==, KEY_6_6);
  g_clear_pointer (&key, g_free);
  key = fws_handshake_client_key (zeros);
  g_assert_cmpstr (key, ==, "AAAAAAAAAAAAAAAAAAAAAA==");
}

#define REQUEST_TAIL_6_6 \
  "Upgrade: websocket\r\n" \
  "Connection: Upgrade\r\n" \
  "Sec-WebSocket-Key: " KEY_6_6 "\r\n" \
  "Sec-WebSocket-Version: 13\r\n"

static void
assert_request (const char         *url,
                const char * const *protocols,
                SoupMessageHeaders *extra,
                const char         *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = fws_handshake_parse_url (url, &error);
  g_autoptr(GBytes) request = NULL;

  g_assert_no_error (error);
  request = fws_handshake_client_request (uri, KEY_6_6, protocols, extra, NULL);
  assert_bytes_eq (request, expected);
}

static void
test_client_request (void)
{
  g_test_summary ("BEHAVIOUR.md 6.6: start writes the exact handshake request");

  assert_request ("ws://www.example.com/socket", NULL, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "\r\n");
}

static void
test_client_request_protocols (void)
{
  const char * const protocols[] = { "foo", "bar", "xmpp", NULL };
  const char * const empty[] = { NULL };
  const char * const with_bad[] = { "foo", "b a d", "x\r\ny", "xmpp", NULL };

  g_test_summary ("BEHAVIOUR.md 6.6: subprotocols go after the version, joined with ', '");

  assert_request ("ws://www.example.com/socket", protocols, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: foo, bar, xmpp\r\n"
                  "\r\n");
  assert_request ("ws://www.example.com/socket", empty, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "\r\n");
  /* Protocols that are not tokens cannot be written. */
  assert_request ("ws://www.example.com/socket", with_bad, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: foo, xmpp\r\n"
                  "\r\n");
}

static void
test_client_request_basic_auth (void)
{
  g_autofree char *escaped = NULL;
  g_autofree char *expected = NULL;

  g_test_summary ("BEHAVIOUR.md 6.6: user:password in the URL becomes Authorization: Basic, "
                  "percent-decoded");

  assert_request ("ws://user:pass@www.example.com/socket", NULL, NULL,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Authorization: Basic dXNlcjpwYXNz\r\n"
                  "\r\n");

  escaped = g_base64_encode ((const guchar *) "us@er:p:ss w", strlen ("us@er:p:ss w"));
  expected = g_strdup_printf ("GET /socket HTTP/1.1\r\n"
                              "Host: www.example.com\r\n"
                              REQUEST_TAIL_6_6
                              "Authorization: Basic %s\r\n"
                              "\r\n", escaped);
  assert_request ("ws://us%40er:p%3Ass%20w@www.example.com/socket", NULL, NULL, expected);

  /* A user without a password, as websocket-driver: "user:". */
  g_clear_pointer (&escaped, g_free);
  g_clear_pointer (&expected, g_free);
  escaped = g_base64_encode ((const guchar *) "user:", 5);
  expected = g_strdup_printf ("GET / HTTP/1.1\r\n"
                              "Host: www.example.com\r\n"
                              REQUEST_TAIL_6_6
                              "Authorization: Basic %s\r\n"
                              "\r\n", escaped);
  assert_request ("ws://user@www.example.com", NULL, NULL, expected);
}

static void
test_client_request_ports (void)
{
  static const struct {
    const char *url, *host;
  } cases[] = {
    { "ws://www.example.com:3000/socket", "www.example.com:3000" },
    { "wss://www.example.com/socket", "www.example.com" },
    { "wss://www.example.com:3000/socket", "www.example.com:3000" },
    { "ws://www.example.com:80/socket", "www.example.com" },
    { "wss://www.example.com:443/socket", "www.example.com" },
    { "ws://www.example.com:443/socket", "www.example.com:443" },
    { "wss://www.example.com:80/socket", "www.example.com:80" },
    { "ws://[::1]:8080/socket", "[::1]:8080" },
    { "ws://[::1]/socket", "[::1]" },
    { "ws://[fe80::1%25eth0]:81/socket", "[fe80::1%25eth0]:81" },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 6.6: Host carries the port only when it is not the scheme default; "
                  "IPv6 literals in brackets");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("GET /socket HTTP/1.1\r\n"
                                                   "Host: %s\r\n"
                                                   REQUEST_TAIL_6_6
                                                   "\r\n", cases[i].host);

      assert_request (cases[i].url, NULL, NULL, expected);
    }
}

static void
test_client_request_target (void)
{
  static const struct {
    const char *url, *target;
  } cases[] = {
    { "ws://www.example.com", "/" },
    { "ws://www.example.com/", "/" },
    { "ws://www.example.com?a=1", "/?a=1" },
    { "ws://www.example.com/p?a=1&b=%20#frag", "/p?a=1&b=%20" },
    { "ws://www.example.com/p#frag", "/p" },
    { "ws://www.example.com/a%20b/c", "/a%20b/c" },
  };
  guint i;

  g_test_summary ("BEHAVIOUR.md 2.7: path '/' when empty, query kept, fragment dropped");

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                                                   "Host: www.example.com\r\n"
                                                   REQUEST_TAIL_6_6
                                                   "\r\n", cases[i].target);

      assert_request (cases[i].url, NULL, NULL, expected);
    }
}

static void
test_client_request_decoded_uri (void)
{
  g_autoptr(GUri) uri = g_uri_parse ("ws://h/a%20b%0D%0A%C3%A9?q=%0A%20x", G_URI_FLAGS_NONE, NULL);
  g_autoptr(GBytes) request = NULL;

  g_test_summary ("A GUri parsed without G_URI_FLAGS_ENCODED still gives a well-formed request line");

  g_assert_cmpstr (g_uri_get_path (uri), ==, "/a b\r\n\303\251");
  request = fws_handshake_client_request (uri, KEY_6_6, NULL, NULL, NULL);
  assert_bytes_eq (request,
                   "GET /a%20b%0D%0A%C3%A9?q=%0A%20x HTTP/1.1\r\n"
                   "Host: h\r\n"
                   REQUEST_TAIL_6_6
                   "\r\n");
}

static void
test_client_request_custom_headers (void)
{
  const char * const protocols[] = { "xmpp", NULL };
  SoupMessageHeaders *extra = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                           "User-Agent", "Chrome",
                                           NULL);
  SoupMessageHeaders *reserved = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                              "host", "evil.example",
                                              "Upgrade", "h2c",
                                              "Connection", "close",
                                              "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==",
                                              "Sec-WebSocket-Version", "8",
                                              "Sec-WebSocket-Protocol", "irc",
                                              "Sec-WebSocket-Extensions", "permessage-deflate",
                                              "Authorization", "Bearer WAT",
                                              "Content-Length", "42",
                                              "Transfer-Encoding", "chunked",
                                              "X-Ok", "1",
                                              "X-Bad", "a\001b",
                                              "X/Bad", "1",
                                              NULL);

  g_test_summary ("BEHAVIOUR.md 6.6: custom headers follow the protocol's lines; reserved names and "
                  "unsafe values are dropped; Authorization only yields to credentials in the URL");

  assert_request ("ws://www.example.com/socket", NULL, extra,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "User-Agent: Chrome\r\n"
                  "\r\n");
  assert_request ("ws://www.example.com/socket", protocols, reserved,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: xmpp\r\n"
                  "Authorization: Bearer WAT\r\n"
                  "X-Ok: 1\r\n"
                  "\r\n");
  assert_request ("ws://user:pass@www.example.com/socket", protocols, reserved,
                  "GET /socket HTTP/1.1\r\n"
                  "Host: www.example.com\r\n"
                  REQUEST_TAIL_6_6
                  "Sec-WebSocket-Protocol: xmpp\r\n"
                  "Authorization: Basic dXNlcjpwYXNz\r\n"
                  "X-Ok: 1\r\n"
                  "\r\n");
  soup_message_headers_unref (reserved);
  soup_message_headers_unref (extra);
}

#define VALID_RESPONSE_6_6 \
  "HTTP/1.1 101 Switching Protocols\r\n" \
  "Upgrade: websocket\r\n" \
  "Connection: Upgrade\r\n" \
  "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n" \
  "\r\n"

static void
assert_check (const char         *response_text,
              const char * const *protocols,
              const char         *error_message,
              const char         *expected_protocol)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *protocol = NULL;
  SoupMessageHeaders *response;
  guint status = 0;
  gboolean ok;

  response = parse_response_or_die (response_text, &status);
  ok = fws_handshake_client_check (status, response, KEY_6_6, protocols, &protocol, &error);
  if (error_message != NULL)
    {
      g_autofree char *full = g_strconcat ("Error during WebSocket handshake: ", error_message, NULL);

      g_assert_false (ok);
      g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
      g_assert_cmpstr (error->message, ==, full);
      g_assert_null (protocol);
    }
  else
    {
      g_assert_true (ok);
      g_assert_no_error (error);
      g_assert_cmpstr (protocol, ==, expected_protocol);
    }
  soup_message_headers_unref (response);
}

static void
test_client_check (void)
{
  const char * const protocols[] = { "foo", "xmpp", NULL };

  g_test_summary ("BEHAVIOUR.md 6.6: response validation, in order, with exact messages");

  assert_check (VALID_RESPONSE_6_6, NULL, NULL, NULL);
  assert_check (VALID_RESPONSE_6_6, protocols, NULL, NULL);

  assert_check ("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "Unexpected response code: 200", NULL);
  assert_check ("HTTP/1.1 403 Forbidden\r\n\r\n", NULL, "Unexpected response code: 403", NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Upgrade' header is missing", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: wrong\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Upgrade' header value is not 'WebSocket'", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, NULL, NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Connection' header is missing", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: close\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, "'Connection' header value is not 'Upgrade'", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                "Connection: keep-alive, Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\n\r\n",
                NULL, NULL, NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_5 "\r\n\r\n",
                NULL, "Sec-WebSocket-Accept mismatch", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "\r\n",
                NULL, "Sec-WebSocket-Accept mismatch", NULL);
  /* Compared exactly: not case-insensitively. */
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: qv3i5xuxu2cdhtjixe7qckccmzm=\r\n\r\n",
                NULL, "Sec-WebSocket-Accept mismatch", NULL);

  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
                protocols, NULL, "xmpp");
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                protocols, "Sec-WebSocket-Protocol mismatch", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: " ACCEPT_6_6 "\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
                NULL, "Sec-WebSocket-Protocol mismatch", NULL);

  /* The first failing check wins. */
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: wrong\r\n"
                "Sec-WebSocket-Accept: bad\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                protocols, "'Upgrade' header value is not 'WebSocket'", NULL);
  assert_check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: bad\r\nSec-WebSocket-Protocol: irc\r\n\r\n",
                protocols, "Sec-WebSocket-Accept mismatch", NULL);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = fws_handshake_parse_url ("wss://chat.example.com:8443/room?id=7", &error);
  g_autoptr(FwsHttpHeadReader) reader = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  g_autofree char *server_protocol = NULL;
  g_autofree char *client_protocol = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *request_headers = NULL;
  SoupMessageHeaders *response_headers = NULL;
  const char * const client_protocols[] = { "v2.chat", "v1.chat", NULL };
  const char * const server_protocols[] = { "v1.chat", "v2.chat", NULL };
  const char *head;
  gsize len;
  guint status = 0;

  g_test_summary ("Our client's request satisfies our server and its answer satisfies the client");

  g_assert_no_error (error);
  request = fws_handshake_client_request (uri, KEY_6_6, client_protocols, NULL, NULL);
  reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD, FWS_HTTP_DEFAULT_MAX_LINE,
                                     FWS_HTTP_DEFAULT_MAX_HEADERS);
  g_assert_cmpint (fws_http_head_reader_feed (reader, g_bytes_get_data (request, NULL),
                                              g_bytes_get_size (request), &error),
                   ==, (gssize) g_bytes_get_size (request));
  g_assert_no_error (error);
  head = fws_http_head_reader_get_head (reader, &len);
  g_assert_true (fws_http_parse_request (head, len, &method, &target, NULL, &request_headers, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (target, ==, "/room?id=7");

  url = fws_handshake_request_url (TRUE, request_headers, "/room", "id=7");
  g_assert_cmpstr (url, ==, "wss://chat.example.com:8443/room?id=7");

  g_assert_true (fws_handshake_server_respond (method, request_headers, server_protocols, NULL, NULL,
                                               &server_protocol, &response, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (server_protocol, ==, "v2.chat");

  g_assert_true (fws_http_parse_response (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                                          &status, NULL, &response_headers, &error));
  g_assert_no_error (error);
  g_assert_true (fws_handshake_client_check (status, response_headers, KEY_6_6, client_protocols,
                                             &client_protocol, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (client_protocol, ==, "v2.chat");

  soup_message_headers_unref (request_headers);
  soup_message_headers_unref (response_headers);
}

/* ---- Extensions in the handshake ---- */

static void
test_server_extensions (void)
{
  static const char * const protocols[] = { "xmpp", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(FwsExtensions) exts = fws_extensions_new ();
  g_autoptr(FwsPermessageDeflate) deflate = fws_permessage_deflate_new ();
  g_autofree char *protocol = NULL;
  g_autoptr(SoupMessageHeaders) request = hybi_request ();

  g_test_summary ("BEHAVIOUR.md 2.6: Sec-WebSocket-Extensions comes last, after the subprotocol, "
                  "only when an extension was accepted; a custom one is never written");
  soup_message_headers_append (request, "Sec-WebSocket-Protocol", "xmpp");
  soup_message_headers_append (request, "Sec-WebSocket-Extensions", "x-unknown, permessage-deflate; client_max_window_bits");
  g_assert_true (fws_extensions_add (exts, FWS_EXTENSION (deflate), NULL));
  {
    g_autoptr(SoupMessageHeaders) extra = headers_new (SOUP_MESSAGE_HEADERS_RESPONSE,
                                                       "Sec-WebSocket-Extensions", "forged", NULL);

    g_assert_true (fws_handshake_server_respond ("GET", request, protocols, extra, exts,
                                                 &protocol, &response, &error));
  }
  g_assert_no_error (error);
  assert_bytes_eq (response,
                   "HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: JdiiuafpBKRqD7eol0y4vJDTsTs=\r\n"
                   "Sec-WebSocket-Protocol: xmpp\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
                   "\r\n");
  g_assert_cmpuint (fws_extensions_get_rsv (exts), ==, FWS_RESERVED_BITS_RSV1);

  /* Nothing accepted: no header. */
  g_clear_pointer (&response, g_bytes_unref);
  g_clear_pointer (&protocol, g_free);
  soup_message_headers_replace (request, "Sec-WebSocket-Extensions", "x-unknown");
  {
    g_autoptr(FwsExtensions) none = fws_extensions_new ();

    g_assert_true (fws_handshake_server_respond ("GET", request, NULL, NULL, none, &protocol, &response, &error));
  }
  g_assert_null (g_strstr_len (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                               "Sec-WebSocket-Extensions"));
}

static void
test_server_extensions_invalid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(SoupMessageHeaders) request = hybi_request ();

  g_test_summary ("BEHAVIOUR.md 6.5/6.11: a malformed Sec-WebSocket-Extensions is a 400 with "
                  "Content-Length 57, checked after the key, even with no extension registered");
  soup_message_headers_append (request, "Sec-WebSocket-Extensions", "x-webkit- -frame");
  g_assert_false (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_HANDSHAKE);
  g_assert_cmpstr (error->message, ==, "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  assert_bytes_eq (response,
                   "HTTP/1.1 400 Bad Request\r\n"
                   "Content-Type: text/plain\r\n"
                   "Content-Length: 57\r\n"
                   "\r\n"
                   "Invalid Sec-WebSocket-Extensions header: x-webkit- -frame");
  /* A missing key is reported first. */
  g_clear_error (&error);
  g_clear_pointer (&response, g_bytes_unref);
  soup_message_headers_remove (request, "Sec-WebSocket-Key");
  g_assert_false (fws_handshake_server_respond ("GET", request, NULL, NULL, NULL, NULL, &response, &error));
  g_assert_cmpstr (error->message, ==, "Missing handshake request header: Sec-WebSocket-Key");
}

static void
test_client_request_extensions (void)
{
  g_autoptr(SoupMessageHeaders) extra = headers_new (SOUP_MESSAGE_HEADERS_REQUEST,
                                                     "X-Custom", "1",
                                                     "Sec-WebSocket-Extensions", "forged",
                                                     NULL);
  g_autoptr(GUri) uri = fws_handshake_parse_url ("ws://www.example.com/socket", NULL);
  g_autoptr(GBytes) request = NULL;

  g_test_summary ("BEHAVIOUR.md 2.7: the offer comes after the custom headers, which cannot forge it");
  request = fws_handshake_client_request (uri, KEY_6_6, NULL, extra, "permessage-deflate; client_max_window_bits");
  assert_bytes_eq (request,
                   "GET /socket HTTP/1.1\r\n"
                   "Host: www.example.com\r\n"
                   REQUEST_TAIL_6_6
                   "X-Custom: 1\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                   "\r\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/handshake/server/accept-vectors", test_accept_vectors);
  g_test_add_func ("/handshake/server/is-websocket-request", test_is_websocket_request);
  g_test_add_func ("/handshake/server/respond", test_server_respond);
  g_test_add_func ("/handshake/server/subprotocols", test_server_subprotocols);
  g_test_add_func ("/handshake/server/custom-headers", test_server_custom_headers);
  g_test_add_func ("/handshake/server/reserved-headers", test_server_reserved_headers);
  g_test_add_func ("/handshake/server/header-injection", test_server_header_injection);
  g_test_add_func ("/handshake/server/error-responses", test_server_error_responses);
  g_test_add_func ("/handshake/server/invalid-keys", test_server_invalid_keys);
  g_test_add_func ("/handshake/server/host", test_server_host);
  g_test_add_func ("/handshake/server/connection-list", test_server_connection_list);
  g_test_add_func ("/handshake/server/request-url", test_request_url);
  g_test_add_func ("/handshake/server/request-url-bad-host", test_request_url_bad_host);

  g_test_add_func ("/handshake/client/parse-url", test_parse_url);
  g_test_add_func ("/handshake/client/key", test_client_key);
  g_test_add_func ("/handshake/client/request", test_client_request);
  g_test_add_func ("/handshake/client/request-protocols", test_client_request_protocols);
  g_test_add_func ("/handshake/client/request-basic-auth", test_client_request_basic_auth);
  g_test_add_func ("/handshake/client/request-ports", test_client_request_ports);
  g_test_add_func ("/handshake/client/request-target", test_client_request_target);
  g_test_add_func ("/handshake/client/request-decoded-uri", test_client_request_decoded_uri);
  g_test_add_func ("/handshake/client/request-custom-headers", test_client_request_custom_headers);
  g_test_add_func ("/handshake/client/check", test_client_check);
  g_test_add_func ("/handshake/round-trip", test_round_trip);
  g_test_add_func ("/handshake/server/extensions", test_server_extensions);
  g_test_add_func ("/handshake/server/extensions-invalid", test_server_extensions_invalid);
  g_test_add_func ("/handshake/client/request-extensions", test_client_request_extensions);

  return g_test_run ();
}
