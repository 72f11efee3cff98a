/* fws-extension.h — SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (FWS_INSIDE) && !defined (FWS_COMPILATION)
# error "Only <fws-glib/fws-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "fws-version-macros.h"
#include "fws-types.h"

G_BEGIN_DECLS

/**
 * FwsReservedBits:
 * @FWS_RESERVED_BITS_NONE: no reserved bit
 * @FWS_RESERVED_BITS_RSV1: the RSV1 bit of a frame header
 * @FWS_RESERVED_BITS_RSV2: the RSV2 bit of a frame header
 * @FWS_RESERVED_BITS_RSV3: the RSV3 bit of a frame header
 *
 * The reserved bits of a WebSocket frame header (RFC 6455 5.2) that an
 * extension claims, or that a message carries. The values are the bits'
 * positions in the first header byte.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  FWS_RESERVED_BITS_NONE = 0,
  FWS_RESERVED_BITS_RSV1 = 0x40,
  FWS_RESERVED_BITS_RSV2 = 0x20,
  FWS_RESERVED_BITS_RSV3 = 0x10,
} FwsReservedBits;

/* ---- Parameters ---- */

#define FWS_TYPE_EXTENSION_PARAMS (fws_extension_params_get_type ())

typedef struct _FwsExtensionParams FwsExtensionParams;

FWS_AVAILABLE_IN_ALL
GType               fws_extension_params_get_type    (void) G_GNUC_CONST;
FWS_AVAILABLE_IN_ALL
FwsExtensionParams *fws_extension_params_new         (void);
FWS_AVAILABLE_IN_ALL
FwsExtensionParams *fws_extension_params_ref         (FwsExtensionParams *params);
FWS_AVAILABLE_IN_ALL
void                fws_extension_params_unref       (FwsExtensionParams *params);

FWS_AVAILABLE_IN_ALL
void                fws_extension_params_add         (FwsExtensionParams *params,
                                                      const char         *key,
                                                      GVariant           *value);
FWS_AVAILABLE_IN_ALL
void                fws_extension_params_add_flag    (FwsExtensionParams *params,
                                                      const char         *key);
FWS_AVAILABLE_IN_ALL
void                fws_extension_params_add_int     (FwsExtensionParams *params,
                                                      const char         *key,
                                                      gint64              value);
FWS_AVAILABLE_IN_ALL
void                fws_extension_params_add_string  (FwsExtensionParams *params,
                                                      const char         *key,
                                                      const char         *value);

FWS_AVAILABLE_IN_ALL
guint               fws_extension_params_get_length  (FwsExtensionParams *params);
FWS_AVAILABLE_IN_ALL
const char         *fws_extension_params_get_key     (FwsExtensionParams *params,
                                                      guint               index);
FWS_AVAILABLE_IN_ALL
GVariant           *fws_extension_params_get_value   (FwsExtensionParams *params,
                                                      guint               index);
FWS_AVAILABLE_IN_ALL
GVariant           *fws_extension_params_lookup      (FwsExtensionParams *params,
                                                      const char         *key);
FWS_AVAILABLE_IN_ALL
guint               fws_extension_params_count       (FwsExtensionParams *params,
                                                      const char         *key);
FWS_AVAILABLE_IN_ALL
char               *fws_extension_params_to_string   (FwsExtensionParams *params);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsExtensionParams, fws_extension_params_unref)

/* ---- Messages ---- */

#define FWS_TYPE_EXTENSION_MESSAGE (fws_extension_message_get_type ())

typedef struct _FwsExtensionMessage FwsExtensionMessage;

FWS_AVAILABLE_IN_ALL
GType                fws_extension_message_get_type         (void) G_GNUC_CONST;
FWS_AVAILABLE_IN_ALL
FwsExtensionMessage *fws_extension_message_new              (FwsMessageType       type,
                                                             FwsReservedBits      rsv,
                                                             GBytes              *data);
FWS_AVAILABLE_IN_ALL
FwsExtensionMessage *fws_extension_message_ref              (FwsExtensionMessage *message);
FWS_AVAILABLE_IN_ALL
void                 fws_extension_message_unref            (FwsExtensionMessage *message);
FWS_AVAILABLE_IN_ALL
FwsMessageType       fws_extension_message_get_message_type (FwsExtensionMessage *message);
FWS_AVAILABLE_IN_ALL
FwsReservedBits      fws_extension_message_get_rsv          (FwsExtensionMessage *message);
FWS_AVAILABLE_IN_ALL
void                 fws_extension_message_set_rsv          (FwsExtensionMessage *message,
                                                             FwsReservedBits      rsv);
FWS_AVAILABLE_IN_ALL
GBytes              *fws_extension_message_get_data         (FwsExtensionMessage *message);
FWS_AVAILABLE_IN_ALL
void                 fws_extension_message_set_data         (FwsExtensionMessage *message,
                                                             GBytes              *data);
FWS_AVAILABLE_IN_ALL
guint64              fws_extension_message_get_max_length   (FwsExtensionMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwsExtensionMessage, fws_extension_message_unref)

/* ---- Sessions ---- */

#define FWS_TYPE_EXTENSION_SESSION (fws_extension_session_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (FwsExtensionSession, fws_extension_session, FWS, EXTENSION_SESSION, GObject)

/**
 * FwsExtensionSessionInterface:
 * @g_iface: the parent interface
 * @generate_offer: client side: the offers to send, a %NULL-terminated
 *   array; %NULL or an empty array for none
 * @activate: client side: accepts (or refuses) the server's response
 * @generate_response: server side: the parameters of the response
 * @process_incoming_message: transforms a message received from the peer
 * @process_outgoing_message: transforms a message before it is sent
 * @close: releases what the session holds; the connection is over
 *
 * The virtual methods of [iface@Fws.ExtensionSession]. Every one has a
 * default: no offer, accept any response, an empty response, messages
 * passed through unchanged, nothing to close.
 *
 * Since: 0.1
 */
struct _FwsExtensionSessionInterface
{
  GTypeInterface g_iface;

  FwsExtensionParams **(*generate_offer)          (FwsExtensionSession  *self,
                                                   GError              **error);
  gboolean            (*activate)                 (FwsExtensionSession  *self,
                                                   FwsExtensionParams   *params,
                                                   GError              **error);
  FwsExtensionParams *(*generate_response)        (FwsExtensionSession  *self);
  gboolean            (*process_incoming_message) (FwsExtensionSession  *self,
                                                   FwsExtensionMessage  *message,
                                                   GError              **error);
  gboolean            (*process_outgoing_message) (FwsExtensionSession  *self,
                                                   FwsExtensionMessage  *message,
                                                   GError              **error);
  void                (*close)                    (FwsExtensionSession  *self);
};

FWS_AVAILABLE_IN_ALL
FwsExtensionParams **fws_extension_session_generate_offer          (FwsExtensionSession  *self,
                                                                    GError              **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_extension_session_activate                 (FwsExtensionSession  *self,
                                                                    FwsExtensionParams   *params,
                                                                    GError              **error);
FWS_AVAILABLE_IN_ALL
FwsExtensionParams *fws_extension_session_generate_response        (FwsExtensionSession  *self);
FWS_AVAILABLE_IN_ALL
gboolean            fws_extension_session_process_incoming_message (FwsExtensionSession  *self,
                                                                    FwsExtensionMessage  *message,
                                                                    GError              **error);
FWS_AVAILABLE_IN_ALL
gboolean            fws_extension_session_process_outgoing_message (FwsExtensionSession  *self,
                                                                    FwsExtensionMessage  *message,
                                                                    GError              **error);
FWS_AVAILABLE_IN_ALL
void                fws_extension_session_close                    (FwsExtensionSession  *self);

/* ---- Extensions ---- */

#define FWS_TYPE_EXTENSION (fws_extension_get_type ())

FWS_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (FwsExtension, fws_extension, FWS, EXTENSION, GObject)

/**
 * FwsExtensionInterface:
 * @g_iface: the parent interface
 * @get_name: the extension's name, a token such as `permessage-deflate`
 * @get_rsv: the reserved bits the extension uses
 * @create_client_session: client side: a session for one connection, or
 *   %NULL to offer nothing
 * @create_server_session: server side: a session for the client's offers,
 *   or %NULL to decline them
 *
 * The virtual methods of [iface@Fws.Extension]. @get_name and
 * @create_server_session must be implemented; @get_rsv defaults to no bits
 * and @create_client_session to %NULL.
 *
 * Since: 0.1
 */
struct _FwsExtensionInterface
{
  GTypeInterface g_iface;

  const char          *(*get_name)              (FwsExtension *self);
  FwsReservedBits      (*get_rsv)               (FwsExtension *self);
  FwsExtensionSession *(*create_client_session) (FwsExtension *self);
  FwsExtensionSession *(*create_server_session) (FwsExtension *self,
                                                 GList        *offers);
};

FWS_AVAILABLE_IN_ALL
const char          *fws_extension_get_name              (FwsExtension *self);
FWS_AVAILABLE_IN_ALL
FwsReservedBits      fws_extension_get_rsv               (FwsExtension *self);
FWS_AVAILABLE_IN_ALL
FwsExtensionSession *fws_extension_create_client_session (FwsExtension *self);
FWS_AVAILABLE_IN_ALL
FwsExtensionSession *fws_extension_create_server_session (FwsExtension *self,
                                                          GList        *offers);

G_END_DECLS
