/* fws-driver-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The WebSocket protocol state machine of one connection, sans I/O: bytes in
 * (fws_driver_parse), bytes out (the write callbacks) and events out. It owns
 * the handshake, the frame codec, the queue of sends made before open and the
 * close handshake. It knows nothing of sockets, main loops, clocks or RNGs
 * (mask keys come from the random callback).
 */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "fws-types.h"
#include "fws-extension.h"
#include "fws-extensions-private.h"

G_BEGIN_DECLS

typedef struct
{
  /* Raw bytes to send (handshake, small frames); the callee copies them. */
  void (*write)       (gpointer user_data, const guint8 *data, gsize len);
  /* A frame: @header (copied by the callee) followed by @payload (the callee
   * takes a reference; it is never modified afterwards). */
  void (*write_frame) (gpointer user_data, const guint8 *header, gsize header_len, GBytes *payload);
  /* Fill @buf with @len bytes from a CSPRNG (mask keys). */
  void (*random)      (gpointer user_data, guint8 *buf, gsize len);

  void (*open)        (gpointer user_data);
  /* @data (transfer none); text is valid UTF-8 followed by a NUL byte. */
  void (*message)     (gpointer user_data, FwsMessageType type, GBytes *data);
  void (*ping)        (gpointer user_data, GBytes *payload);
  void (*pong)        (gpointer user_data, GBytes *payload);
  /* Informational; a close always follows. */
  void (*error)       (gpointer user_data, const GError *error);
  /* The protocol is closed: the caller flushes what was written and then
   * closes the transport. @code: the peer's code (1005 when its close frame
   * had none), our own on a failure, or 1006. Emitted once. */
  void (*close)       (gpointer user_data, guint code, const char *reason);
  /* (nullable) A ping arrived while OPEN (before ping is emitted): return
   * TRUE if the owner answers it itself (fws_driver_pong, now or later:
   * RFC 6455 5.5.3 lets it answer only the latest of several pings), FALSE
   * to have the driver write the pong now. */
  gboolean (*hold_pong) (gpointer user_data, GBytes *payload);
} FwsDriverCallbacks;

typedef struct _FwsDriver FwsDriver;

/* A server driver for a request already parsed (by SoupServer or ours). */
FwsDriver *fws_driver_new_server (const FwsDriverCallbacks *callbacks,
                                  gpointer                  user_data,
                                  const char               *method,
                                  SoupMessageHeaders       *request_headers,
                                  const char * const       *protocols,
                                  SoupMessageHeaders       *extra_headers,
                                  guint64                   max_length);

/* A client driver for @uri (ws:// or wss://); @key from fws_handshake_client_key. */
FwsDriver *fws_driver_new_client (const FwsDriverCallbacks *callbacks,
                                  gpointer                  user_data,
                                  GUri                     *uri,
                                  const char               *key,
                                  const char * const       *protocols,
                                  SoupMessageHeaders       *extra_headers,
                                  guint64                   max_length);

void        fws_driver_free            (FwsDriver *driver);

/* Server: writes the 101 response (then open) or the 400/426 answer (then
 * error, close). Client: writes the request. Only once; FALSE otherwise. */
gboolean    fws_driver_start           (FwsDriver *driver);

/* Bytes from the peer, all of them (turn after turn, whatever the
 * budget). Events are emitted from inside this call. */
void        fws_driver_parse           (FwsDriver    *driver,
                                        const guint8 *data,
                                        gsize         len);

/* Fairness: a turn (the caller's unit, one main-loop dispatch) parses at
 * most @bytes bytes, inflates at most @inflated bytes and handles at most
 * @messages messages and control frames; 0: no bound (the default). A
 * message is inflated in steps across turns; max-length is checked on its
 * whole size. */
void        fws_driver_set_budget      (FwsDriver *driver,
                                        gsize      bytes,
                                        gsize      inflated,
                                        guint      messages);
/* Starts a turn: the budget is full again. */
void        fws_driver_new_turn        (FwsDriver *driver);
/* One turn's worth of fws_driver_parse(): returns the bytes taken. When
 * it is less than @len, or fws_driver_has_backlog(), the turn was spent:
 * the caller feeds the rest (possibly nothing) after a new turn. Once
 * CLOSED, all input is taken (and ignored). */
gsize       fws_driver_feed            (FwsDriver    *driver,
                                        const guint8 *data,
                                        gsize         len);
/* A received message is part way through its inflation. */
gboolean    fws_driver_has_backlog     (FwsDriver *driver);
/* The work done in the current turn (for tests). */
void        fws_driver_get_turn        (FwsDriver *driver,
                                        gsize     *bytes,
                                        gsize     *inflated,
                                        guint     *messages);

/* The commands below hold every rule on what the application may send;
 * the layer above checks nothing itself. On a refusal nothing is written
 * and @error says why, with a message for people (translated):
 * FWS_ERROR_INVALID_ARGUMENT for a bad close code, close reason or ping
 * payload, FWS_ERROR_INVALID_UTF8 for text that is not UTF-8,
 * FWS_ERROR_CLOSED once CLOSING or CLOSED, FWS_ERROR_NOT_SUPPORTED for what
 * a hixie connection cannot carry (binary, ping, a close code). Arguments
 * are checked first, then the state, then the protocol version. */

/* Sends one data message (@data NULL: an empty one); in CONNECTING it is
 * queued and goes out right after the handshake. Text may contain U+0000. Also FALSE, with
 * FWS_ERROR_CLOSED, when an extension failed on the message, which failed
 * the connection (error, close). */
gboolean    fws_driver_send            (FwsDriver      *driver,
                                        FwsMessageType  type,
                                        GBytes         *data,
                                        GError        **error);
/* The checks of fws_driver_send, without sending: for a message the
 * caller keeps until there is room for it. */
gboolean    fws_driver_check_send      (FwsDriver      *driver,
                                        FwsMessageType  type,
                                        GBytes         *data,
                                        GError        **error);

/* Sends a ping of at most 125 bytes (queued in CONNECTING). With @payload
 * NULL the payload is the next value of the connection's one counter,
 * "1", "2", "3", ... (faye's keepalive payloads): keepalive and
 * application pings that leave the choice to the driver never share a
 * payload. Returns the payload sent (transfer full), or NULL. */
GBytes     *fws_driver_ping            (FwsDriver  *driver,
                                        GBytes     *payload,
                                        GError    **error);
/* An unsolicited pong; FALSE once CLOSING or CLOSED and on hixie. */
gboolean    fws_driver_pong            (FwsDriver *driver,
                                        GBytes    *payload);

/* The argument rules of fws_driver_close(), for a caller that has no
 * driver yet: @code is 0 (for 1000) or a code an endpoint may send (RFC
 * 6455 7.4: 1000-1003, 1007-1014, 3000-4999; never 1004-1006 or 1015),
 * @reason (nullable) is UTF-8 of at most 123 bytes. */
gboolean    fws_driver_check_close     (guint        code,
                                        const char  *reason,
                                        GError     **error);

/* Starts the close handshake (OPEN: close frame, state CLOSING) or, in
 * CONNECTING, closes at once without writing (close reports @code, 0 as
 * 1000, and @reason). hixie-76 writes 0xFF 0x00 and hixie-75 nothing, and
 * both close at once; they take no code but 1000. */
gboolean    fws_driver_close           (FwsDriver   *driver,
                                        guint        code,
                                        const char  *reason,
                                        GError     **error);

/* The layer above dropped the connection by itself (a timeout, a failure
 * before the handshake): state CLOSED at once, no event, nothing written. */
void        fws_driver_abort           (FwsDriver *driver);

/* The transport ended (EOF or error): close with 1006 unless closed. */
void        fws_driver_transport_closed (FwsDriver    *driver,
                                         const GError *error);

/* Fails the connection with @code: when OPEN, a close frame with @code and
 * a fixed English reason chosen for it (never @error's message, which is
 * translated); then error (@error) and close (@code, @error's message). */
void        fws_driver_fail            (FwsDriver    *driver,
                                        guint         code,
                                        const GError *error);

FwsReadyState fws_driver_get_state     (FwsDriver *driver);
/* Payload bytes of sends queued while CONNECTING. */
guint64       fws_driver_get_pending_bytes (FwsDriver *driver);
const char   *fws_driver_get_protocol  (FwsDriver *driver);
/* "hybi-13", "hixie-75" or "hixie-76" (from the request's headers). */
const char   *fws_driver_get_version   (FwsDriver *driver);
/* Server: the URL written in hixie handshakes (Location). */
void          fws_driver_set_url       (FwsDriver  *driver,
                                        const char *url);
/* Replaces the extra handshake headers; FALSE once started. */
gboolean      fws_driver_set_extra_headers (FwsDriver          *driver,
                                            SoupMessageHeaders *extra_headers);
/* Server: the origins accepted (NULL: all; see fws_handshake_origin_allowed).
 * Another Origin is answered 403 in start, then error and close (1008). */
void          fws_driver_set_allowed_origins (FwsDriver          *driver,
                                              const char * const *origins);
void          fws_driver_set_max_length (FwsDriver *driver,
                                         guint64    max_length);
/* Registers an extension (BEHAVIOUR.md 3), in order; only before start.
 * FALSE with FWS_ERROR_INVALID_ARGUMENT for a bad or duplicate name or
 * once started. Negotiation happens in start (server) or when the response
 * arrives (client); the pipeline then runs on every data message, inside
 * fws_driver_send() and fws_driver_parse(). */
gboolean      fws_driver_add_extension  (FwsDriver     *driver,
                                         FwsExtension  *extension,
                                         GError       **error);
/* Replaces the registered extensions with @extensions (nullable, of
 * FwsExtension); nothing changes on error. Only before start. */
gboolean      fws_driver_set_extensions (FwsDriver     *driver,
                                         GPtrArray     *extensions,
                                         GError       **error);
/* The registry and, once negotiated, the active sessions (for tests). */
FwsExtensions *fws_driver_get_extensions (FwsDriver *driver);
/* Client: the response status (0 before) and headers (NULL before). */
guint               fws_driver_get_status           (FwsDriver *driver);
SoupMessageHeaders *fws_driver_get_response_headers (FwsDriver *driver);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsDriver, fws_driver_free)

G_END_DECLS
