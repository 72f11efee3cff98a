/* fws-extension.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fws-extension.h"

#include <string.h>

#include "fws-error.h"
#include "fws-extensions-private.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"

/* ------------------------------------------------------------------------
 * FwsExtensionParams
 * ------------------------------------------------------------------------ */

/**
 * FwsExtensionParams:
 *
 * The parameters of one extension in a `Sec-WebSocket-Extensions` header:
 * an ordered list of key/value pairs in which a key may repeat
 * (`permessage-deflate; client_max_window_bits; server_max_window_bits=10`).
 *
 * A value is a [struct@GLib.Variant]: a boolean %TRUE for a parameter
 * without a value (a flag), an `x` (int64) for a value that is a decimal
 * integer, a `d` (double) for a decimal fraction, and a string otherwise.
 * Keys are kept in the order they were added; when serialised they are
 * sorted, as websocket-extensions does.
 *
 * Since: 0.1
 */
struct _FwsExtensionParams
{
  gatomicrefcount  ref;
  GPtrArray       *keys;     /* of char* */
  GPtrArray       *values;   /* of GVariant* */
};

G_DEFINE_BOXED_TYPE (FwsExtensionParams, fws_extension_params,
                     fws_extension_params_ref, fws_extension_params_unref)

/**
 * fws_extension_params_new:
 *
 * Makes an empty parameter list.
 *
 * Returns: (transfer full): a new [struct@Fws.ExtensionParams]
 * Since: 0.1
 */
FwsExtensionParams *
fws_extension_params_new (void)
{
  FwsExtensionParams *params = g_new0 (FwsExtensionParams, 1);

  g_atomic_ref_count_init (&params->ref);
  params->keys = g_ptr_array_new_with_free_func (g_free);
  params->values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  return params;
}

/**
 * fws_extension_params_ref:
 * @params: a [struct@Fws.ExtensionParams]
 *
 * Adds a reference.
 *
 * Returns: (transfer full): @params
 * Since: 0.1
 */
FwsExtensionParams *
fws_extension_params_ref (FwsExtensionParams *params)
{
  g_return_val_if_fail (params != NULL, NULL);

  g_atomic_ref_count_inc (&params->ref);
  return params;
}

/**
 * fws_extension_params_unref:
 * @params: (transfer full): a [struct@Fws.ExtensionParams]
 *
 * Drops a reference.
 *
 * Since: 0.1
 */
void
fws_extension_params_unref (FwsExtensionParams *params)
{
  g_return_if_fail (params != NULL);

  if (!g_atomic_ref_count_dec (&params->ref))
    return;
  g_ptr_array_unref (params->keys);
  g_ptr_array_unref (params->values);
  g_free (params);
}

gboolean
fws_extension_token_is_valid (const char *token)
{
  return fws_http_is_token (token);
}

/* Characters a quoted-string can carry: anything but controls (TAB is
 * fine). Non-ASCII bytes are obs-text, allowed. */
static gboolean
is_quotable (const char *s)
{
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if ((c < 0x20 && c != '\t') || c == 0x7F)
        return FALSE;
    }
  return TRUE;
}

static gboolean
value_is_valid (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) ||
      g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    return TRUE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return is_quotable (g_variant_get_string (value, NULL));
  return FALSE;
}

/* Integer types other than int64 are widened; the rest is kept. */
static GVariant *
normalize_value (GVariant *value)
{
  const GVariantType *t = g_variant_get_type (value);

  if (g_variant_type_equal (t, G_VARIANT_TYPE_BYTE))
    return g_variant_new_int64 (g_variant_get_byte (value));
  if (g_variant_type_equal (t, G_VARIANT_TYPE_INT16))
    return g_variant_new_int64 (g_variant_get_int16 (value));
  if (g_variant_type_equal (t, G_VARIANT_TYPE_UINT16))
    return g_variant_new_int64 (g_variant_get_uint16 (value));
  if (g_variant_type_equal (t, G_VARIANT_TYPE_INT32))
    return g_variant_new_int64 (g_variant_get_int32 (value));
  if (g_variant_type_equal (t, G_VARIANT_TYPE_UINT32))
    return g_variant_new_int64 (g_variant_get_uint32 (value));
  if (g_variant_type_equal (t, G_VARIANT_TYPE_UINT64) &&
      g_variant_get_uint64 (value) <= G_MAXINT64)
    return g_variant_new_int64 ((gint64) g_variant_get_uint64 (value));
  return value;
}

/**
 * fws_extension_params_add:
 * @params: a [struct@Fws.ExtensionParams]
 * @key: the parameter's name, a token
 * @value: (nullable): its value: %NULL or boolean %TRUE for a flag, an
 *   integer, a double or a string without control characters
 *
 * Appends a parameter; a key that is already present is kept and repeated.
 * A floating @value is sunk. Integers of any width become `x` (int64).
 *
 * Since: 0.1
 */
void
fws_extension_params_add (FwsExtensionParams *params,
                          const char         *key,
                          GVariant           *value)
{
  GVariant *v;

  g_return_if_fail (params != NULL);
  g_return_if_fail (fws_extension_token_is_valid (key));

  if (value == NULL)
    {
      v = g_variant_ref_sink (g_variant_new_boolean (TRUE));
    }
  else
    {
      g_variant_ref_sink (value);
      v = g_variant_ref_sink (normalize_value (value));
      g_variant_unref (value);
    }
  if (!value_is_valid (v))
    {
      g_critical ("%s: the value of '%s' must be TRUE, an integer, a double or a string "
                  "without control characters", G_STRFUNC, key);
      g_variant_unref (v);
      return;
    }
  g_ptr_array_add (params->keys, g_strdup (key));
  g_ptr_array_add (params->values, v);
}

/**
 * fws_extension_params_add_flag:
 * @params: a [struct@Fws.ExtensionParams]
 * @key: the parameter's name, a token
 *
 * Appends a parameter without a value (`; key`).
 *
 * Since: 0.1
 */
void
fws_extension_params_add_flag (FwsExtensionParams *params,
                               const char         *key)
{
  fws_extension_params_add (params, key, NULL);
}

/**
 * fws_extension_params_add_int:
 * @params: a [struct@Fws.ExtensionParams]
 * @key: the parameter's name, a token
 * @value: the value
 *
 * Appends `; key=value`.
 *
 * Since: 0.1
 */
void
fws_extension_params_add_int (FwsExtensionParams *params,
                              const char         *key,
                              gint64              value)
{
  fws_extension_params_add (params, key, g_variant_new_int64 (value));
}

/**
 * fws_extension_params_add_string:
 * @params: a [struct@Fws.ExtensionParams]
 * @key: the parameter's name, a token
 * @value: the value, without control characters
 *
 * Appends `; key=value`, quoted when @value is not a token.
 *
 * Since: 0.1
 */
void
fws_extension_params_add_string (FwsExtensionParams *params,
                                 const char         *key,
                                 const char         *value)
{
  g_return_if_fail (value != NULL);

  fws_extension_params_add (params, key, g_variant_new_string (value));
}

/**
 * fws_extension_params_get_length:
 * @params: a [struct@Fws.ExtensionParams]
 *
 * Counts the parameters of @params.
 *
 * Returns: the number of parameters, repeated keys included
 * Since: 0.1
 */
guint
fws_extension_params_get_length (FwsExtensionParams *params)
{
  g_return_val_if_fail (params != NULL, 0);

  return params->keys->len;
}

/**
 * fws_extension_params_get_key:
 * @params: a [struct@Fws.ExtensionParams]
 * @index: a position, less than [method@Fws.ExtensionParams.get_length]
 *
 * Gets the key of the @index-th parameter.
 *
 * Returns: (transfer none): the key of the @index-th parameter
 * Since: 0.1
 */
const char *
fws_extension_params_get_key (FwsExtensionParams *params,
                              guint               index)
{
  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (index < params->keys->len, NULL);

  return params->keys->pdata[index];
}

/**
 * fws_extension_params_get_value:
 * @params: a [struct@Fws.ExtensionParams]
 * @index: a position, less than [method@Fws.ExtensionParams.get_length]
 *
 * Gets the value of the @index-th parameter; see
 * [struct@Fws.ExtensionParams] for its type.
 *
 * Returns: (transfer none): the value of the @index-th parameter
 * Since: 0.1
 */
GVariant *
fws_extension_params_get_value (FwsExtensionParams *params,
                                guint               index)
{
  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (index < params->values->len, NULL);

  return params->values->pdata[index];
}

/**
 * fws_extension_params_lookup:
 * @params: a [struct@Fws.ExtensionParams]
 * @key: a parameter name
 *
 * Looks up the value of the first parameter named @key; see
 * [struct@Fws.ExtensionParams] for its type.
 *
 * Returns: (transfer none) (nullable): the first value given for @key, or
 *   %NULL if @key is absent
 * Since: 0.1
 */
GVariant *
fws_extension_params_lookup (FwsExtensionParams *params,
                             const char         *key)
{
  guint i;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  for (i = 0; i < params->keys->len; i++)
    if (strcmp (params->keys->pdata[i], key) == 0)
      return params->values->pdata[i];
  return NULL;
}

/**
 * fws_extension_params_count:
 * @params: a [struct@Fws.ExtensionParams]
 * @key: a parameter name
 *
 * Counts the parameters named @key.
 *
 * Returns: how many times @key occurs
 * Since: 0.1
 */
guint
fws_extension_params_count (FwsExtensionParams *params,
                            const char         *key)
{
  guint i, n = 0;

  g_return_val_if_fail (params != NULL, 0);
  g_return_val_if_fail (key != NULL, 0);

  for (i = 0; i < params->keys->len; i++)
    if (strcmp (params->keys->pdata[i], key) == 0)
      n++;
  return n;
}

static void
append_value (GString  *out,
              GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    {
      g_string_append_printf (out, "=%" G_GINT64_FORMAT, g_variant_get_int64 (value));
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_c (out, '=');
      g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.15g", g_variant_get_double (value)));
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      const char *s = g_variant_get_string (value, NULL);

      g_string_append_c (out, '=');
      if (fws_extension_token_is_valid (s))
        {
          g_string_append (out, s);
          return;
        }
      g_string_append_c (out, '"');
      for (; *s != '\0'; s++)
        {
          if (*s == '"' || *s == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *s);
        }
      g_string_append_c (out, '"');
    }
  /* A flag (TRUE) has no value. */
}

static int
compare_keys (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  FwsExtensionParams *params = user_data;
  guint ia = *(const guint *) a, ib = *(const guint *) b;
  int c = strcmp (params->keys->pdata[ia], params->keys->pdata[ib]);

  /* Stable: repeated keys keep their order. */
  return c != 0 ? c : (ia < ib ? -1 : ia > ib);
}

void
fws_extension_params_append_to (FwsExtensionParams *params,
                                GString            *out)
{
  g_autofree guint *order = NULL;
  guint i, n;

  if (params == NULL)
    return;
  n = params->keys->len;
  order = g_new (guint, MAX (n, 1));
  for (i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, (gint) n, sizeof (guint), compare_keys, params);
  for (i = 0; i < n; i++)
    {
      g_string_append (out, "; ");
      g_string_append (out, params->keys->pdata[order[i]]);
      append_value (out, params->values->pdata[order[i]]);
    }
}

/**
 * fws_extension_params_to_string:
 * @params: a [struct@Fws.ExtensionParams]
 *
 * Serialises the parameters as they appear after an extension's name in a
 * `Sec-WebSocket-Extensions` header, keys sorted and joined with `; `:
 * `a; b=1; c="x y"`.
 *
 * Returns: (transfer full): the parameters, or "" when there are none
 * Since: 0.1
 */
char *
fws_extension_params_to_string (FwsExtensionParams *params)
{
  GString *out;

  g_return_val_if_fail (params != NULL, NULL);

  out = g_string_new (NULL);
  fws_extension_params_append_to (params, out);
  if (out->len > 0)
    g_string_erase (out, 0, 2);   /* the first "; " */
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------
 * FwsExtensionMessage
 * ------------------------------------------------------------------------ */

/**
 * FwsExtensionMessage:
 *
 * A complete data message on its way through the negotiated extensions:
 * its type, its reserved bits and its payload. A session transforms it in
 * place with [method@Fws.ExtensionMessage.set_data] and
 * [method@Fws.ExtensionMessage.set_rsv].
 *
 * Since: 0.1
 */
struct _FwsExtensionMessage
{
  gatomicrefcount  ref;
  FwsMessageType   type;
  FwsReservedBits  rsv;
  GBytes          *data;
  guint64          max_length;
  gboolean         terminated;
};

G_DEFINE_BOXED_TYPE (FwsExtensionMessage, fws_extension_message,
                     fws_extension_message_ref, fws_extension_message_unref)

FwsExtensionMessage *
fws_extension_message_new_full (FwsMessageType  type,
                                FwsReservedBits rsv,
                                GBytes         *data,
                                guint64         max_length,
                                gboolean        terminated)
{
  FwsExtensionMessage *message = g_new0 (FwsExtensionMessage, 1);

  g_atomic_ref_count_init (&message->ref);
  message->type = type;
  message->rsv = rsv;
  message->data = data != NULL ? g_bytes_ref (data) : g_bytes_new_static ("", 0);
  message->max_length = max_length;
  message->terminated = data != NULL ? terminated : TRUE;
  return message;
}

/**
 * fws_extension_message_new:
 * @type: the message type
 * @rsv: the reserved bits of its first frame
 * @data: (nullable): the payload; %NULL for an empty one
 *
 * Makes a message, for instance to test an extension session.
 *
 * Returns: (transfer full): a new [struct@Fws.ExtensionMessage]
 * Since: 0.1
 */
FwsExtensionMessage *
fws_extension_message_new (FwsMessageType   type,
                           FwsReservedBits  rsv,
                           GBytes          *data)
{
  g_return_val_if_fail (type == FWS_MESSAGE_TYPE_TEXT || type == FWS_MESSAGE_TYPE_BINARY, NULL);

  return fws_extension_message_new_full (type, rsv, data, 0, FALSE);
}

/**
 * fws_extension_message_ref:
 * @message: a [struct@Fws.ExtensionMessage]
 *
 * Adds a reference.
 *
 * Returns: (transfer full): @message
 * Since: 0.1
 */
FwsExtensionMessage *
fws_extension_message_ref (FwsExtensionMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  g_atomic_ref_count_inc (&message->ref);
  return message;
}

/**
 * fws_extension_message_unref:
 * @message: (transfer full): a [struct@Fws.ExtensionMessage]
 *
 * Drops a reference.
 *
 * Since: 0.1
 */
void
fws_extension_message_unref (FwsExtensionMessage *message)
{
  g_return_if_fail (message != NULL);

  if (!g_atomic_ref_count_dec (&message->ref))
    return;
  g_bytes_unref (message->data);
  g_free (message);
}

/**
 * fws_extension_message_get_message_type:
 * @message: a [struct@Fws.ExtensionMessage]
 *
 * Gets the type of @message.
 *
 * Returns: whether @message is text or binary
 * Since: 0.1
 */
FwsMessageType
fws_extension_message_get_message_type (FwsExtensionMessage *message)
{
  g_return_val_if_fail (message != NULL, FWS_MESSAGE_TYPE_BINARY);

  return message->type;
}

/**
 * fws_extension_message_get_rsv:
 * @message: a [struct@Fws.ExtensionMessage]
 *
 * Gets the reserved bits of @message.
 *
 * Returns: the reserved bits of the message (of its first frame)
 * Since: 0.1
 */
FwsReservedBits
fws_extension_message_get_rsv (FwsExtensionMessage *message)
{
  g_return_val_if_fail (message != NULL, FWS_RESERVED_BITS_NONE);

  return message->rsv;
}

/**
 * fws_extension_message_set_rsv:
 * @message: a [struct@Fws.ExtensionMessage]
 * @rsv: the new reserved bits
 *
 * Sets the reserved bits: an outgoing session sets its bit on a message it
 * transformed; an incoming one clears it once the message is restored.
 *
 * Since: 0.1
 */
void
fws_extension_message_set_rsv (FwsExtensionMessage *message,
                               FwsReservedBits      rsv)
{
  g_return_if_fail (message != NULL);
  g_return_if_fail ((rsv & ~(FWS_RESERVED_BITS_RSV1 | FWS_RESERVED_BITS_RSV2 | FWS_RESERVED_BITS_RSV3)) == 0);

  message->rsv = rsv;
}

/**
 * fws_extension_message_get_data:
 * @message: a [struct@Fws.ExtensionMessage]
 *
 * Gets the payload of @message.
 *
 * Returns: (transfer none): the payload
 * Since: 0.1
 */
GBytes *
fws_extension_message_get_data (FwsExtensionMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->data;
}

/**
 * fws_extension_message_set_data:
 * @message: a [struct@Fws.ExtensionMessage]
 * @data: the new payload
 *
 * Replaces the payload.
 *
 * Since: 0.1
 */
void
fws_extension_message_set_data (FwsExtensionMessage *message,
                                GBytes              *data)
{
  g_return_if_fail (message != NULL);
  g_return_if_fail (data != NULL);

  g_bytes_ref (data);
  g_bytes_unref (message->data);
  message->data = data;
  message->terminated = FALSE;
}

void
fws_extension_message_take_terminated (FwsExtensionMessage *message,
                                       GBytes              *data)
{
  g_bytes_unref (message->data);
  message->data = data;
  message->terminated = TRUE;
}

gboolean
fws_extension_message_is_terminated (FwsExtensionMessage *message)
{
  return message->terminated;
}

/**
 * fws_extension_message_get_max_length:
 * @message: a [struct@Fws.ExtensionMessage]
 *
 * The largest payload an incoming message may grow to, from the
 * connection's [property@Fws.WebSocket:max-length]. A session that would
 * produce more must stop as soon as it knows (before allocating past the
 * limit) and fail with %FWS_ERROR_TOO_LARGE; the connection then closes
 * with 1009.
 *
 * Returns: the limit in bytes, or 0 for none (outgoing messages)
 * Since: 0.1
 */
guint64
fws_extension_message_get_max_length (FwsExtensionMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->max_length;
}

/* ------------------------------------------------------------------------
 * FwsExtensionSession
 * ------------------------------------------------------------------------ */

/**
 * FwsExtensionSession:
 *
 * The state of one negotiated extension on one connection, made by
 * [iface@Fws.Extension]. Its methods are called on the connection's
 * [struct@GLib.MainContext], synchronously, one message at a time: outgoing
 * messages pass through the active sessions in the order the server
 * accepted them, incoming ones in the reverse order.
 *
 * A failure (a method that returns %FALSE and sets its error) fails the
 * connection: with close code 1009 for %FWS_ERROR_TOO_LARGE, 1007 for
 * %G_IO_ERROR_INVALID_DATA (data the extension cannot decode) and 1010 for
 * anything else. The error reaches [signal@Fws.WebSocket::error] prefixed
 * with the extension's name.
 *
 * Since: 0.1
 */

/**
 * FwsExtensionSessionInterface::generate_offer:
 * @self: a [iface@Fws.ExtensionSession]
 * @error: return location for a [struct@GLib.Error]
 *
 * Client side: the offers to send.
 *
 * Returns: (transfer full) (nullable) (array zero-terminated=1): the offers
 */

G_DEFINE_INTERFACE (FwsExtensionSession, fws_extension_session, G_TYPE_OBJECT)

static FwsExtensionParams **
session_real_generate_offer (FwsExtensionSession  *self,
                             GError              **error)
{
  return NULL;
}

static gboolean
session_real_activate (FwsExtensionSession  *self,
                       FwsExtensionParams   *params,
                       GError              **error)
{
  return TRUE;
}

static FwsExtensionParams *
session_real_generate_response (FwsExtensionSession *self)
{
  return fws_extension_params_new ();
}

static gboolean
session_real_process (FwsExtensionSession  *self,
                      FwsExtensionMessage  *message,
                      GError              **error)
{
  return TRUE;
}

static void
session_real_close (FwsExtensionSession *self)
{
}

static void
fws_extension_session_default_init (FwsExtensionSessionInterface *iface)
{
  iface->generate_offer = session_real_generate_offer;
  iface->activate = session_real_activate;
  iface->generate_response = session_real_generate_response;
  iface->process_incoming_message = session_real_process;
  iface->process_outgoing_message = session_real_process;
  iface->close = session_real_close;
}

/**
 * fws_extension_session_generate_offer:
 * @self: a [iface@Fws.ExtensionSession]
 * @error: return location for a [struct@GLib.Error]
 *
 * Client side: the offers for the `Sec-WebSocket-Extensions` request
 * header, one parameter list per alternative (most preferred first).
 *
 * Returns: (transfer full) (nullable) (array zero-terminated=1): the
 *   offers, or %NULL (with @error unset) to offer nothing; %NULL with
 *   @error set fails the connection. Free each with
 *   fws_extension_params_unref(), then the array with g_free().
 * Since: 0.1
 */
FwsExtensionParams **
fws_extension_session_generate_offer (FwsExtensionSession  *self,
                                      GError              **error)
{
  g_return_val_if_fail (FWS_IS_EXTENSION_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return FWS_EXTENSION_SESSION_GET_IFACE (self)->generate_offer (self, error);
}

/**
 * fws_extension_session_activate:
 * @self: a [iface@Fws.ExtensionSession]
 * @params: the parameters of the server's response
 * @error: return location for a [struct@GLib.Error]
 *
 * Client side: whether the server's response is acceptable; the session
 * then configures itself from @params.
 *
 * Returns: %TRUE to accept; %FALSE fails the handshake
 * Since: 0.1
 */
gboolean
fws_extension_session_activate (FwsExtensionSession  *self,
                                FwsExtensionParams   *params,
                                GError              **error)
{
  g_return_val_if_fail (FWS_IS_EXTENSION_SESSION (self), FALSE);
  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return FWS_EXTENSION_SESSION_GET_IFACE (self)->activate (self, params, error);
}

/**
 * fws_extension_session_generate_response:
 * @self: a [iface@Fws.ExtensionSession]
 *
 * Server side: the parameters of the `Sec-WebSocket-Extensions` response.
 *
 * Returns: (transfer full): the parameters, possibly empty
 * Since: 0.1
 */
FwsExtensionParams *
fws_extension_session_generate_response (FwsExtensionSession *self)
{
  g_return_val_if_fail (FWS_IS_EXTENSION_SESSION (self), NULL);

  return FWS_EXTENSION_SESSION_GET_IFACE (self)->generate_response (self);
}

/**
 * fws_extension_session_process_incoming_message:
 * @self: a [iface@Fws.ExtensionSession]
 * @message: a message received from the peer
 * @error: return location for a [struct@GLib.Error]
 *
 * Transforms @message in place (for instance, decompresses it when it has
 * the session's reserved bit).
 *
 * Returns: %TRUE on success; %FALSE fails the connection
 * Since: 0.1
 */
gboolean
fws_extension_session_process_incoming_message (FwsExtensionSession  *self,
                                                FwsExtensionMessage  *message,
                                                GError              **error)
{
  g_return_val_if_fail (FWS_IS_EXTENSION_SESSION (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return FWS_EXTENSION_SESSION_GET_IFACE (self)->process_incoming_message (self, message, error);
}

/**
 * fws_extension_session_process_outgoing_message:
 * @self: a [iface@Fws.ExtensionSession]
 * @message: a message about to be sent
 * @error: return location for a [struct@GLib.Error]
 *
 * Transforms @message in place (for instance, compresses it and sets the
 * session's reserved bit).
 *
 * Returns: %TRUE on success; %FALSE fails the connection
 * Since: 0.1
 */
gboolean
fws_extension_session_process_outgoing_message (FwsExtensionSession  *self,
                                                FwsExtensionMessage  *message,
                                                GError              **error)
{
  g_return_val_if_fail (FWS_IS_EXTENSION_SESSION (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return FWS_EXTENSION_SESSION_GET_IFACE (self)->process_outgoing_message (self, message, error);
}

/**
 * fws_extension_session_close:
 * @self: a [iface@Fws.ExtensionSession]
 *
 * The connection is over: release what the session holds. Called once.
 *
 * Since: 0.1
 */
void
fws_extension_session_close (FwsExtensionSession *self)
{
  g_return_if_fail (FWS_IS_EXTENSION_SESSION (self));

  FWS_EXTENSION_SESSION_GET_IFACE (self)->close (self);
}

/* ------------------------------------------------------------------------
 * FwsExtension
 * ------------------------------------------------------------------------ */

/**
 * FwsExtension:
 *
 * A WebSocket extension (RFC 6455 9), such as
 * [class@Fws.PermessageDeflate]: it takes part in the negotiation of the
 * `Sec-WebSocket-Extensions` header and makes one
 * [iface@Fws.ExtensionSession] per connection that negotiated it.
 *
 * Register extensions with [method@Fws.WebSocket.add_extension] (or the
 * [property@Fws.WebSocket:extensions] property) before the handshake. A
 * server answers the client's offers in registration order, skipping
 * extensions the client did not offer and those whose reserved bits an
 * earlier extension already took; a client offers them in registration
 * order and activates the ones the server accepted, in the server's order.
 *
 * To write one, implement [vfunc@Fws.Extension.get_name],
 * [vfunc@Fws.Extension.get_rsv] and the session factories.
 *
 * Since: 0.1
 */

/**
 * FwsExtensionInterface::get_name:
 * @self: a [iface@Fws.Extension]
 *
 * The name of the extension: a token such as `permessage-deflate`. Must be
 * implemented.
 *
 * Returns: (transfer none): the name, as it appears in
 *   `Sec-WebSocket-Extensions`
 */

/**
 * FwsExtensionInterface::get_rsv:
 * @self: a [iface@Fws.Extension]
 *
 * The reserved bits the extension uses on data frames. The default uses
 * none.
 *
 * Returns: the reserved bits, among RSV1, RSV2 and RSV3
 */

/**
 * FwsExtensionInterface::create_server_session:
 * @self: a [iface@Fws.Extension]
 * @offers: (element-type FwsExtensionParams): the client's offers for this
 *   extension, at least one, in its order of preference
 *
 * Server side: a session that accepts one of @offers. The list and its
 * elements belong to the caller: take a reference to an offer to keep it.
 *
 * Returns: (transfer full) (nullable): a session, or %NULL to decline
 */

G_DEFINE_INTERFACE (FwsExtension, fws_extension, G_TYPE_OBJECT)

static FwsReservedBits
extension_real_get_rsv (FwsExtension *self)
{
  return FWS_RESERVED_BITS_NONE;
}

static FwsExtensionSession *
extension_real_create_client_session (FwsExtension *self)
{
  return NULL;
}

static void
fws_extension_default_init (FwsExtensionInterface *iface)
{
  iface->get_rsv = extension_real_get_rsv;
  iface->create_client_session = extension_real_create_client_session;
}

/**
 * fws_extension_get_name:
 * @self: a [iface@Fws.Extension]
 *
 * Gets the name the extension is negotiated under.
 *
 * Returns: (transfer none): the name of the extension, as it appears in
 *   `Sec-WebSocket-Extensions` (a token)
 * Since: 0.1
 */
const char *
fws_extension_get_name (FwsExtension *self)
{
  FwsExtensionInterface *iface;

  g_return_val_if_fail (FWS_IS_EXTENSION (self), NULL);
  iface = FWS_EXTENSION_GET_IFACE (self);
  g_return_val_if_fail (iface->get_name != NULL, NULL);

  return iface->get_name (self);
}

/**
 * fws_extension_get_rsv:
 * @self: a [iface@Fws.Extension]
 *
 * Gets the reserved bits the extension uses. Bits other than RSV1, RSV2
 * and RSV3 are ignored.
 *
 * Returns: the reserved bits the extension uses on data frames; no two
 *   extensions of one connection may use the same bit
 * Since: 0.1
 */
FwsReservedBits
fws_extension_get_rsv (FwsExtension *self)
{
  g_return_val_if_fail (FWS_IS_EXTENSION (self), FWS_RESERVED_BITS_NONE);

  return FWS_EXTENSION_GET_IFACE (self)->get_rsv (self) &
         (FWS_RESERVED_BITS_RSV1 | FWS_RESERVED_BITS_RSV2 | FWS_RESERVED_BITS_RSV3);
}

/**
 * fws_extension_create_client_session:
 * @self: a [iface@Fws.Extension]
 *
 * Client side: a session for a new connection, which then makes the offer.
 *
 * Returns: (transfer full) (nullable): a session, or %NULL to offer nothing
 * Since: 0.1
 */
FwsExtensionSession *
fws_extension_create_client_session (FwsExtension *self)
{
  g_return_val_if_fail (FWS_IS_EXTENSION (self), NULL);

  return FWS_EXTENSION_GET_IFACE (self)->create_client_session (self);
}

/**
 * fws_extension_create_server_session:
 * @self: a [iface@Fws.Extension]
 * @offers: (element-type FwsExtensionParams): every offer the client made
 *   for this extension, in its order of preference; at least one
 *
 * Server side: a session that accepts one of @offers.
 *
 * Until 0.2 the offers were a C array and its length. A list is what
 * bindings handle both ways: PyGObject 3.42 passed the length to a Python
 * implementation as an extra argument, and GJS 1.74 cannot pass a
 * `GPtrArray` of boxed values from JavaScript.
 *
 * Returns: (transfer full) (nullable): a session, or %NULL to decline
 * Since: 0.1
 */
FwsExtensionSession *
fws_extension_create_server_session (FwsExtension *self,
                                     GList        *offers)
{
  FwsExtensionInterface *iface;

  g_return_val_if_fail (FWS_IS_EXTENSION (self), NULL);
  g_return_val_if_fail (offers != NULL, NULL);
  iface = FWS_EXTENSION_GET_IFACE (self);
  if (iface->create_server_session == NULL)
    return NULL;

  return iface->create_server_session (self, offers);
}
