/* fws-extensions-private.h — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * WebSocket extensions, sans I/O (BEHAVIOUR.md 3): the Sec-WebSocket-Extensions
 * grammar (a linear, hand-written parser) and its serialisation, the
 * negotiation in both roles, and the per-message pipeline of the negotiated
 * sessions. Synchronous: every call returns with its work done, so the
 * driver's output stays in FIFO order, close frame included.
 */
#pragma once

#include <glib-object.h>

#include "fws-extension.h"
#include "fws-permessage-deflate-private.h"

G_BEGIN_DECLS

/* ---- Private parts of the public boxed types ---- */

/* Appends "; key=value" for each parameter, keys sorted (stable, so
 * repeated keys keep their order), values quoted where they must be. */
void                 fws_extension_params_append_to        (FwsExtensionParams *params,
                                                            GString            *out);
/* Whether @key may be used as a parameter name or extension name (an
 * RFC 7230 token). */
gboolean             fws_extension_token_is_valid          (const char         *token);

FwsExtensionMessage *fws_extension_message_new_full        (FwsMessageType      type,
                                                            FwsReservedBits     rsv,
                                                            GBytes             *data,
                                                            guint64             max_length,
                                                            gboolean            nul_terminated);
/* Replaces the data with @data (transfer full), whose buffer has a NUL byte
 * just past its size. */
void                 fws_extension_message_take_terminated (FwsExtensionMessage *message,
                                                            GBytes              *data);
/* Whether a NUL byte follows the data (set by the codec and by
 * fws_extension_message_take_terminated (), cleared by set_data). */
gboolean             fws_extension_message_is_terminated   (FwsExtensionMessage *message);

/* ---- Parsing and serialising the header ---- */

typedef struct
{
  char               *name;
  FwsExtensionParams *params;
} FwsExtensionOffer;

void        fws_extension_offer_free       (FwsExtensionOffer *offer);

/* Parses a Sec-WebSocket-Extensions value (BEHAVIOUR.md 3.2) in one pass,
 * without backtracking. NULL or "" gives an empty array. On a syntax error
 * returns NULL with FWS_ERROR_EXTENSION
 * "Invalid Sec-WebSocket-Extensions header: <header>".
 *
 * Differences from websocket-extensions: optional whitespace may be spaces
 * or tabs, also at both ends (RFC 7230 OWS); a quoted-pair "\x" stands for
 * "x" (RFC 7230), so "\\" is one backslash where faye dropped both.
 * Returns: (element-type FwsExtensionOffer) */
GPtrArray  *fws_extensions_parse_header    (const char  *header,
                                            GError     **error);

/* "name" or "name; k=v; ..." */
char       *fws_extensions_serialize       (const char         *name,
                                            FwsExtensionParams *params);

/* ---- Registry, negotiation, pipeline ---- */

typedef struct _FwsExtensions FwsExtensions;

FwsExtensions *fws_extensions_new                (void);
void           fws_extensions_free               (FwsExtensions *exts);

/* Checks @extension (its name must be a token, unique in @registered, a
 * list of FwsExtension) without adding it. FWS_ERROR_INVALID_ARGUMENT. */
gboolean       fws_extensions_check              (GPtrArray     *registered,
                                                  FwsExtension  *extension,
                                                  GError       **error);
/* Registers @extension (order matters). FALSE with @error for a name that
 * is not a token, a name already registered, or once negotiation began. */
gboolean       fws_extensions_add                (FwsExtensions *exts,
                                                  FwsExtension  *extension,
                                                  GError       **error);
guint          fws_extensions_get_n_registered   (FwsExtensions *exts);

/* Client: the offer to send, or NULL (no header) with @error unset. An
 * error from a session fails the handshake. Once only. */
char          *fws_extensions_generate_offer     (FwsExtensions *exts,
                                                  GError       **error);
/* Client: activates the sessions the server's @header (nullable) names, in
 * its order. FWS_ERROR_EXTENSION on a syntax error, an extension not
 * offered (or unknown), two responses for one extension, two extensions
 * wanting the same RSV bit, or parameters a session refuses. */
gboolean       fws_extensions_activate           (FwsExtensions *exts,
                                                  const char    *header,
                                                  GError       **error);
/* Server: the response for the client's @header (nullable), in
 * registration order, or NULL when nothing was accepted. Returns FALSE with
 * @error only when @header is malformed. @exts may be NULL (only checks). */
gboolean       fws_extensions_generate_response  (FwsExtensions *exts,
                                                  const char    *header,
                                                  char         **response,
                                                  GError       **error);

/* The union of the active extensions' RSV bits (FWS_WS_RSV1 ...). */
guint          fws_extensions_get_rsv            (FwsExtensions *exts);
guint          fws_extensions_get_n_active       (FwsExtensions *exts);
/* The @index-th active session, in activation order. */
FwsExtensionSession *fws_extensions_get_active_session (FwsExtensions *exts,
                                                        guint          index);

/* The pipeline: outgoing in activation order, incoming in reverse. The
 * first failing session stops it; its error comes back prefixed with the
 * extension's name ("permessage-deflate: ..."), with its domain and code
 * kept. A session that fails without an error gets FWS_ERROR_EXTENSION. */
gboolean       fws_extensions_process_incoming   (FwsExtensions       *exts,
                                                  FwsExtensionMessage *message,
                                                  GError             **error);
/* The incoming pipeline in steps (fairness): permessage-deflate inflates
 * at most *@budget bytes per call (the budget is decreased by what it
 * produced), other sessions run whole. FWS_INFLATE_MORE: call again with
 * the same @message, which resumes where it stopped. A different message
 * abandons the one in progress. */
FwsInflateStep fws_extensions_process_incoming_step (FwsExtensions       *exts,
                                                     FwsExtensionMessage *message,
                                                     gsize               *budget,
                                                     GError             **error);
gboolean       fws_extensions_process_outgoing   (FwsExtensions       *exts,
                                                  FwsExtensionMessage *message,
                                                  GError             **error);

/* Closes every session (once; further calls do nothing). */
void           fws_extensions_close              (FwsExtensions *exts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsExtensions, fws_extensions_free)

G_END_DECLS
