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

/* Bytes from the peer. Events are emitted from inside this call. */
void        fws_driver_parse           (FwsDriver    *driver,
                                        const guint8 *data,
                                        gsize         len);

/* Sends; in CONNECTING they are queued and go out right after the
 * handshake. FALSE (and nothing written) once CLOSING or CLOSED. */
gboolean    fws_driver_send            (FwsDriver      *driver,
                                        FwsMessageType  type,
                                        GBytes         *data);
gboolean    fws_driver_ping            (FwsDriver *driver,
                                        GBytes    *payload);
gboolean    fws_driver_pong            (FwsDriver *driver,
                                        GBytes    *payload);

/* Starts the close handshake (OPEN: close frame, state CLOSING) or, in
 * CONNECTING, closes at once without writing. FALSE when already closing. */
gboolean    fws_driver_close           (FwsDriver  *driver,
                                        guint       code,
                                        const char *reason);

/* The transport ended (EOF or error): close with 1006 unless closed. */
void        fws_driver_transport_closed (FwsDriver    *driver,
                                         const GError *error);

/* Fails the connection with @code (sends a close frame when OPEN),
 * emits error (@error) then close. */
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
