/* fuzz-handshake.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The opening handshake, sans I/O: FwsHttpHeadReader, then the server side
 * (fws_http_parse_request, fws_handshake_server_respond with
 * permessage-deflate registered, the hixie answers, the EventSource head)
 * or, with -DFUZZ_CLIENT_SIDE, the client side (fws_http_parse_response,
 * fws_handshake_client_check, fws_extensions_activate, and
 * fws_handshake_parse_url / fws_handshake_client_request on a Location
 * header). Input:
 *   byte 0  the split (fuzz-common.h);
 *   byte 1  flags: bit 0 small reader limits (head 512, line 64, 8 headers)
 *           instead of the defaults;
 *   then    the bytes of the peer's head (and whatever follows it).
 * Checks: the reader gives the same result (end, head, or error) whatever
 * the split, never ends past its input and keeps exactly the head without
 * the empty lines before it; every head we write has CRLF lines without
 * control characters, and a body exactly as long as its Content-Length
 * (none after a 101); a 101 names one of our protocols or none; the client
 * accepts only a 101 with the right Sec-WebSocket-Accept.
 */
#include "fuzz-common.h"

#include "fws-error.h"
#include "fws-extensions-private.h"
#include "fws-handshake-private.h"
#include "fws-http-private.h"
#include "fws-hixie-private.h"
#include "fws-permessage-deflate.h"
#include "fws-sse-private.h"

static const char * const protocols[] = { "chat", "superchat", NULL };

/* ---- Reading the head ---- */

typedef struct
{
  gssize  end;      /* offset just past the head in the whole input; -1 on error */
  int     code;     /* the error's code */
  char   *head;
  gsize   head_len;
} ReadResult;

static void
read_head (const uint8_t *data, size_t size, guint max_piece, gboolean small, ReadResult *r)
{
  FwsHttpHeadReader *reader = small ? fws_http_head_reader_new (512, 64, 8)
                                    : fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD,
                                                                FWS_HTTP_DEFAULT_MAX_LINE,
                                                                FWS_HTTP_DEFAULT_MAX_HEADERS);
  FuzzSplitter split;
  const uint8_t *piece;
  size_t len;

  r->end = 0;   /* incomplete */
  r->code = 0;
  r->head = NULL;
  r->head_len = 0;
  fuzz_splitter_init (&split, data, size, max_piece);
  while (fuzz_splitter_next (&split, &piece, &len))
    {
      GError *error = NULL;
      gssize n = fws_http_head_reader_feed (reader, piece, len, &error);

      if (n < 0)
        {
          FUZZ_CHECK (error != NULL && error->domain == FWS_ERROR);
          FUZZ_CHECK (error->code == FWS_ERROR_TOO_LARGE || error->code == FWS_ERROR_HANDSHAKE);
          r->end = -1;
          r->code = error->code;
          g_error_free (error);
          break;
        }
      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK ((gsize) n <= len);
      if (n > 0)
        {
          const char *head = fws_http_head_reader_get_head (reader, &r->head_len);

          r->end = (gssize) (piece - data) + n;
          r->head = g_strndup (head, r->head_len);
          FUZZ_CHECK (head[r->head_len] == '\0');
          break;
        }
    }
  fws_http_head_reader_free (reader);
}

/* A head read in pieces, or NULL; checked against the same input read in
 * one piece. *@end is where the head ended in @data. */
static char *
read_and_check (const uint8_t *data, size_t size, guint max_piece, gboolean small, gsize *head_len,
                gsize *end)
{
  ReadResult whole, split;
  gsize lead = 0;

  read_head (data, size, 0, small, &whole);
  read_head (data, size, max_piece, small, &split);
  FUZZ_CHECK (whole.end == split.end && whole.code == split.code);
  FUZZ_CHECK (whole.head_len == split.head_len);
  FUZZ_CHECK (whole.head == split.head || memcmp (whole.head, split.head, whole.head_len) == 0);
  g_free (whole.head);
  if (split.end <= 0)
    return NULL;

  /* The head is the input from the first byte that is not CR or LF. */
  while (data[lead] == '\r' || data[lead] == '\n')
    lead++;
  FUZZ_CHECK ((gsize) split.end - lead == split.head_len);
  FUZZ_CHECK (memcmp (data + lead, split.head, split.head_len) == 0);
  FUZZ_CHECK (split.head_len >= 2 && split.head[split.head_len - 1] == '\n');
  *head_len = split.head_len;
  *end = (gsize) split.end;
  return split.head;
}

/* A response we wrote: a well-formed head, then a body of exactly
 * Content-Length bytes (none without it). Returns the status line's code. */
static guint G_GNUC_UNUSED
check_written_response (GBytes *response)
{
  gsize len;
  const char *p = g_bytes_get_data (response, &len);
  gsize head = fuzz_check_written_head (p, len);
  g_autofree char *copy = g_strndup (p, head);
  SoupMessageHeaders *h = NULL;
  guint status = 0;
  goffset clen;

  FUZZ_CHECK (strlen (copy) == head);
  FUZZ_CHECK (fws_http_parse_response (copy, head, &status, NULL, &h, NULL));
  clen = soup_message_headers_get_content_length (h);
  if (soup_message_headers_get_one (h, "Content-Length") != NULL)
    FUZZ_CHECK ((gsize) clen == len - head);
  else
    FUZZ_CHECK (len == head);
  soup_message_headers_unref (h);
  return status;
}

#ifndef FUZZ_CLIENT_SIDE

/* ---- Server side ---- */

static void
server_side (const char *method, const char *path, SoupHTTPVersion version, SoupMessageHeaders *request)
{
  FwsExtensions *exts = fws_extensions_new ();
  FwsPermessageDeflate *deflate = fws_permessage_deflate_new ();
  SoupMessageHeaders *extra = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  GBytes *response = NULL;
  GError *error = NULL;
  char *protocol = NULL;
  g_autofree char *url = NULL;
  g_autofree char *secure_url = NULL;
  gboolean ok;

  FUZZ_CHECK (fws_extensions_add (exts, FWS_EXTENSION (deflate), NULL));
  g_object_unref (deflate);
  soup_message_headers_append (extra, "X-Custom", "yes");

  url = fws_handshake_request_url (FALSE, request, path, NULL);
  secure_url = fws_handshake_request_url (TRUE, request, path, "a=b");
  FUZZ_CHECK ((url == NULL) == (secure_url == NULL));
  if (url != NULL)
    {
      FUZZ_CHECK (g_str_has_prefix (url, "ws://") || g_str_has_prefix (url, "wss://"));
      FUZZ_CHECK (g_str_has_prefix (secure_url, "wss://"));
    }

  switch (fws_hixie_detect (request))
    {
    case FWS_WS_VERSION_HYBI_13:
      /* Once with our extra headers, once echoing the request's own. */
      for (guint round = 0; round < 2; round++)
        {
          ok = fws_handshake_server_respond (method, request, protocols, round == 0 ? extra : request,
                                             round == 0 ? exts : NULL, &protocol, &response, &error);
          FUZZ_CHECK (response != NULL);
          if (ok)
            {
              FUZZ_CHECK (error == NULL);
              FUZZ_CHECK (check_written_response (response) == 101);
              FUZZ_CHECK (protocol == NULL || g_strv_contains (protocols, protocol));
              FUZZ_CHECK (fws_handshake_is_websocket_request (method, request));
            }
          else
            {
              guint status = check_written_response (response);

              FUZZ_CHECK (status == 400 || status == 426);
              FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_HANDSHAKE));
              FUZZ_CHECK (protocol == NULL);
              g_clear_error (&error);
            }
          g_clear_pointer (&protocol, g_free);
          g_clear_pointer (&response, g_bytes_unref);
        }
      break;

    case FWS_WS_VERSION_HIXIE_76:
      {
        guint32 v1 = 0, v2 = 0;

        if (!fws_hixie76_check_keys (request, &v1, &v2, &response, &error))
          {
            FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_HANDSHAKE));
            g_clear_error (&error);
            if (response != NULL)
              FUZZ_CHECK (check_written_response (response) == 400);
            g_clear_pointer (&response, g_bytes_unref);
            break;
          }
        FUZZ_CHECK (error == NULL && response == NULL);
      }
      G_GNUC_FALLTHROUGH;
    case FWS_WS_VERSION_HIXIE_75:
    default:
      for (guint round = 0; round < 2; round++)
        {
          g_autofree char *chosen = fws_hixie_select_protocol (fws_hixie_detect (request), request, protocols);

          FUZZ_CHECK (chosen == NULL || g_strv_contains (protocols, chosen));
          response = fws_hixie_response (fws_hixie_detect (request), url, chosen, request,
                                         round == 0 ? extra : request);
          FUZZ_CHECK (check_written_response (response) == 101);
          g_clear_pointer (&response, g_bytes_unref);
        }
      break;
    }

  /* EventSource: the same request. */
  {
    g_autofree char *sse_url = fws_http_request_url ("http", FALSE, request, NULL, path, NULL);
    const char *last = soup_message_headers_get_one (request, "Last-Event-ID");
    g_autofree char *last_id = fws_sse_last_event_id (last, -1);
    GString *out = g_string_new (NULL);
    GBytes *bytes;

    FUZZ_CHECK ((sse_url == NULL) == (url == NULL));
    FUZZ_CHECK (sse_url == NULL || g_str_has_prefix (sse_url, "http://") || g_str_has_prefix (sse_url, "https://"));
    FUZZ_CHECK (last_id[0] == '\0' || g_strcmp0 (last_id, last) == 0);
    (void) fws_sse_is_request (method, request);
    fws_sse_append_head (out, version, request, 1234);
    /* The head, then "retry: 1234" and a blank line as the body. */
    bytes = g_string_free_to_bytes (out);
    {
      gsize len;
      const char *p = g_bytes_get_data (bytes, &len);
      gsize head = fuzz_check_written_head (p, len);

      FUZZ_CHECK (len - head == strlen ("retry: 1234\r\n\r\n"));
      FUZZ_CHECK (memcmp (p + head, "retry: 1234\r\n\r\n", len - head) == 0);
    }
    g_bytes_unref (bytes);
  }

  soup_message_headers_unref (extra);
  fws_extensions_free (exts);
}

static void
handle_head (const char *head, gsize len)
{
  char *method = NULL, *path = NULL;
  SoupHTTPVersion version = SOUP_HTTP_1_0;
  SoupMessageHeaders *request = NULL;
  GError *error = NULL;

  if (!fws_http_parse_request (head, len, &method, &path, &version, &request, &error))
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_HANDSHAKE));
      FUZZ_CHECK (method == NULL && path == NULL && request == NULL);
      g_error_free (error);
      return;
    }
  FUZZ_CHECK (method != NULL && path != NULL && request != NULL);
  server_side (method, path, version, request);
  g_free (method);
  g_free (path);
  soup_message_headers_unref (request);
}

#else /* FUZZ_CLIENT_SIDE */

/* ---- Client side ---- */

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static void
client_extensions (SoupMessageHeaders *response)
{
  FwsExtensions *exts = fws_extensions_new ();
  FwsPermessageDeflate *deflate = fws_permessage_deflate_new ();
  const char *header = soup_message_headers_get_list (response, "Sec-WebSocket-Extensions");
  g_autofree char *offer = NULL;
  GError *error = NULL;

  FUZZ_CHECK (fws_extensions_add (exts, FWS_EXTENSION (deflate), NULL));
  g_object_unref (deflate);
  offer = fws_extensions_generate_offer (exts, &error);
  FUZZ_CHECK (offer != NULL && error == NULL);
  if (fws_extensions_activate (exts, header, &error))
    {
      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK (fws_extensions_get_n_active (exts) <= 1);
      FUZZ_CHECK (header != NULL || fws_extensions_get_n_active (exts) == 0);
      FUZZ_CHECK ((fws_extensions_get_rsv (exts) != 0) == (fws_extensions_get_n_active (exts) == 1));
    }
  else
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_EXTENSION));
      g_clear_error (&error);
    }
  fws_extensions_free (exts);
}

static void
client_request (SoupMessageHeaders *response)
{
  const char *location = soup_message_headers_get_one (response, "Location");
  GUri *uri;
  GBytes *request;
  GError *error = NULL;

  if (location == NULL)
    return;
  uri = fws_handshake_parse_url (location, &error);
  if (uri == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT));
      g_error_free (error);
      return;
    }
  /* The response's headers as custom headers: reserved ones and malformed
   * ones must be dropped. */
  request = fws_handshake_client_request (uri, KEY, protocols, response, "permessage-deflate");
  FUZZ_CHECK (request != NULL);
  {
    gsize len;
    const char *p = g_bytes_get_data (request, &len);
    gsize head = fuzz_check_written_head (p, len);
    g_autofree char *copy = g_strndup (p, head);
    char *method = NULL, *path = NULL;
    SoupMessageHeaders *h = NULL;

    FUZZ_CHECK (head == len);
    /* It parses as a request, with one key and one Host. */
    FUZZ_CHECK (fws_http_parse_request (copy, head, &method, &path, NULL, &h, NULL));
    FUZZ_CHECK (g_strcmp0 (method, "GET") == 0);
    FUZZ_CHECK (g_strcmp0 (soup_message_headers_get_list (h, "Sec-WebSocket-Key"), KEY) == 0);
    FUZZ_CHECK (strchr (soup_message_headers_get_list (h, "Host"), ',') == NULL);
    g_free (method);
    g_free (path);
    soup_message_headers_unref (h);
  }
  g_bytes_unref (request);
  g_uri_unref (uri);
}

static void
handle_head (const char *head, gsize len)
{
  guint status = 0;
  char *reason = NULL, *protocol = NULL;
  SoupMessageHeaders *response = NULL;
  GError *error = NULL;

  if (!fws_http_parse_response (head, len, &status, &reason, &response, &error))
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_HANDSHAKE));
      FUZZ_CHECK (reason == NULL && response == NULL);
      g_error_free (error);
      return;
    }
  FUZZ_CHECK (response != NULL && status >= 100 && status <= 999);

  if (fws_handshake_client_check (status, response, KEY, protocols, &protocol, &error))
    {
      FUZZ_CHECK (error == NULL);
      FUZZ_CHECK (status == 101);
      FUZZ_CHECK (g_strcmp0 (soup_message_headers_get_list (response, "Sec-WebSocket-Accept"), ACCEPT) == 0);
      FUZZ_CHECK (protocol == NULL || g_strv_contains (protocols, protocol));
    }
  else
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_HANDSHAKE));
      FUZZ_CHECK (protocol == NULL);
      g_clear_error (&error);
    }
  client_extensions (response);
  client_request (response);

  g_free (protocol);
  g_free (reason);
  soup_message_headers_unref (response);
}

#endif /* FUZZ_CLIENT_SIDE */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize head_len = 0, end = 0;
  char *head;

  if (size < 2)
    return 0;
  head = read_and_check (data + 2, size - 2, data[0], (data[1] & 1) != 0, &head_len, &end);
  if (head != NULL)
    handle_head (head, head_len);
  g_free (head);
  return 0;
}
