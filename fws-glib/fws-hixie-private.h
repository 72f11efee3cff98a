/* fws-hixie-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The legacy drafts hixie-75 and hixie-76, server side, sans I/O: request
 * detection, the handshake answers, and the framing (0x00 text 0xFF, and
 * length-prefixed frames that are skipped). Every number and length is
 * bounded (BEHAVIOUR.md 2.14, 2.15, 8 item 16).
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  FWS_WS_VERSION_HYBI_13,
  FWS_WS_VERSION_HIXIE_75,
  FWS_WS_VERSION_HIXIE_76,
} FwsWsVersion;

/* Which protocol a WebSocket request speaks: hybi when it has
 * Sec-WebSocket-Version or Sec-WebSocket-Key, hixie-76 when it has
 * Sec-WebSocket-Key1 or -Key2, hixie-75 otherwise. */
FwsWsVersion fws_hixie_detect            (SoupMessageHeaders *request);

const char  *fws_ws_version_to_string    (FwsWsVersion version);

/* The number a hixie-76 key stands for: its decimal digits read as one
 * number, divided by its count of spaces. FALSE when there are no digits or
 * no spaces, the digits overflow 64 bits, the division leaves a remainder,
 * or the quotient does not fit 32 bits. */
gboolean     fws_hixie_key_value         (const char *key,
                                          guint32    *value);

/* The subprotocol a hixie request asks for (Sec-WebSocket-Protocol in
 * hixie-76, WebSocket-Protocol in hixie-75: one value, not a list) when it
 * is one of @protocols (nullable), or NULL. The drafts have the server
 * echo that value exactly. */
char        *fws_hixie_select_protocol   (FwsWsVersion        version,
                                          SoupMessageHeaders *request,
                                          const char * const *protocols);

/* The 101 answer of hixie-75 (@version HIXIE_75) or the head of hixie-76's
 * answer (the 16-byte challenge answer follows once the 8 key bytes are
 * in). @protocol (nullable, from fws_hixie_select_protocol) follows the
 * Location line. @extra_headers (nullable) come after the protocol's own
 * lines; those named Upgrade, Connection, Content-Length, Transfer-Encoding,
 * Sec-WebSocket-* or WebSocket-*, and those with a malformed name or value,
 * are skipped (fws_http_append_extra_headers). */
GBytes      *fws_hixie_response          (FwsWsVersion        version,
                                          const char         *url,
                                          const char         *protocol,
                                          SoupMessageHeaders *request,
                                          SoupMessageHeaders *extra_headers);

/* Checks a hixie-76 request's keys: FALSE with an FWS_ERROR_HANDSHAKE
 * error ("Missing required header: Sec-WebSocket-Key1", "Client sent
 * invalid Sec-WebSocket-Key headers") when they cannot be used; then
 * *@out_response (nullable) is the 400 answer, whose body is the English
 * message whatever the locale. */
gboolean     fws_hixie76_check_keys      (SoupMessageHeaders *request,
                                          guint32            *value1,
                                          guint32            *value2,
                                          GBytes            **out_response,
                                          GError            **error);

/* MD5 (BE32 (value1) || BE32 (value2) || key3) */
void         fws_hixie76_answer          (guint32      value1,
                                          guint32      value2,
                                          const guint8 key3[8],
                                          guint8       out[16]);

/* ---- Framing ---- */

typedef struct
{
  /* A text frame. @payload (transfer none) is valid UTF-8 followed by a NUL
   * byte that is not counted in its size. */
  void (*message) (gpointer user_data, GBytes *payload);
  /* hixie-76's closing frame (0xFF 0x00). */
  void (*close)   (gpointer user_data);
} FwsHixieCallbacks;

typedef struct _FwsHixieParser FwsHixieParser;

FwsHixieParser *fws_hixie_parser_new  (FwsWsVersion             version,
                                       guint64                  max_length,
                                       const FwsHixieCallbacks *callbacks,
                                       gpointer                 user_data);
void            fws_hixie_parser_free (FwsHixieParser *parser);
void            fws_hixie_parser_set_max_length (FwsHixieParser *parser,
                                                 guint64         max_length);
/* Stops parsing: may be called from a callback; later input is ignored. */
void            fws_hixie_parser_stop (FwsHixieParser *parser);

/* Parses @len bytes. FALSE with @error set when a text frame or a length
 * prefix passes max-length (FWS_ERROR_TOO_LARGE) or a text frame is not
 * UTF-8 (FWS_ERROR_INVALID_UTF8); all later input is then ignored. */
gboolean        fws_hixie_parser_feed (FwsHixieParser *parser,
                                       const guint8   *data,
                                       gsize           len,
                                       GError        **error);

/* 0x00 + @text + 0xFF, in one new GBytes. */
GBytes         *fws_hixie_text_frame  (const guint8 *text,
                                       gsize         len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsHixieParser, fws_hixie_parser_free)

G_END_DECLS
