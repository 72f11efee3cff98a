/* fws-driver.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The protocol state machine of one hybi-13 connection, sans I/O. See
 * fws-driver-private.h and BEHAVIOUR.md sections 2.2, 2.6-2.13.
 */
#include "config.h"

#include "fws-driver-private.h"

#include <string.h>

#include "fws-error.h"
#include "fws-extensions-private.h"
#include "fws-handshake-private.h"
#include "fws-hixie-private.h"
#include "fws-i18n-private.h"
#include "fws-utf8-private.h"
#include "fws-ws-codec-private.h"

/* Largest close reason: 125-byte control payload minus the 2-byte code. */
#define MAX_CLOSE_REASON 123

typedef struct
{
  guint   opcode;
  GBytes *payload;
} Pending;

struct _FwsDriver
{
  FwsDriverCallbacks  cb;
  gpointer            user_data;

  FwsWsRole           role;
  FwsReadyState       state;
  gboolean            started;
  gboolean            close_sent;
  GBytes             *delivering;        /* (unowned) the text being emitted: known valid UTF-8 */

  /* server */
  char               *method;
  SoupMessageHeaders *request_headers;

  /* client */
  GUri               *uri;
  char               *key;
  FwsHttpHeadReader  *head_reader;
  guint               status;
  SoupMessageHeaders *response_headers;

  char              **protocols;
  SoupMessageHeaders *extra_headers;
  char               *protocol;

  FwsWsCodec         *codec;
  guint64             max_length;

  /* hixie-75 and hixie-76 (server side only) */
  FwsWsVersion        version;
  char               *url;
  FwsHixieParser     *hixie;
  guint32             key_values[2];
  guint8              key3[8];
  guint               key3_len;
  FwsExtensions      *extensions;

  GQueue              pending;   /* of Pending*, sends made while CONNECTING */
  guint64             pending_bytes;

  guint64             ping_counter;  /* the last payload fws_driver_ping chose */
  char              **allowed_origins; /* server; NULL: all */

  /* Fairness: the work of one turn (fws_driver_set_budget); 0: no bound. */
  gsize               budget_bytes;
  gsize               budget_inflated;
  guint               budget_messages;
  gsize               turn_bytes;
  gsize               turn_inflated;
  guint               turn_messages;
  gboolean            turn_spent;
  /* A received message part way through the extensions (inflating). */
  FwsExtensionMessage *incoming;     /* (owned) (nullable) */
  GBytes              *incoming_payload;  /* (owned) what the codec gave */
  FwsMessageType       incoming_type;
  guint                incoming_rsv;
  gboolean             incoming_checking;  /* inflated; its UTF-8 is checked in steps */
  FwsUtf8Validator     incoming_utf8;
  gsize                incoming_checked;
};

static void codec_message_cb (gpointer user_data, guint opcode, guint rsv, GBytes *payload);
static void incoming_clear (FwsDriver *self);
static void codec_control_cb (gpointer user_data, guint opcode, const guint8 *payload, gsize len);

static const FwsWsCodecCallbacks codec_callbacks = {
  codec_message_cb,
  codec_control_cb,
};

static FwsDriver *
driver_new (const FwsDriverCallbacks *callbacks,
            gpointer                  user_data,
            FwsWsRole                 role,
            const char * const       *protocols,
            SoupMessageHeaders       *extra_headers,
            guint64                   max_length)
{
  FwsDriver *self = g_new0 (FwsDriver, 1);

  fws_i18n_init ();
  self->cb = *callbacks;
  self->user_data = user_data;
  self->role = role;
  self->state = FWS_READY_STATE_CONNECTING;
  self->protocols = g_strdupv ((char **) protocols);
  self->extra_headers = extra_headers ? soup_message_headers_ref (extra_headers) : NULL;
  self->max_length = max_length;
  self->extensions = fws_extensions_new ();
  g_queue_init (&self->pending);
  return self;
}

FwsDriver *
fws_driver_new_server (const FwsDriverCallbacks *callbacks,
                       gpointer                  user_data,
                       const char               *method,
                       SoupMessageHeaders       *request_headers,
                       const char * const       *protocols,
                       SoupMessageHeaders       *extra_headers,
                       guint64                   max_length)
{
  FwsDriver *self = driver_new (callbacks, user_data, FWS_WS_ROLE_SERVER,
                                protocols, extra_headers, max_length);

  self->method = g_strdup (method);
  self->request_headers = soup_message_headers_ref (request_headers);
  self->version = fws_hixie_detect (request_headers);
  return self;
}

FwsDriver *
fws_driver_new_client (const FwsDriverCallbacks *callbacks,
                       gpointer                  user_data,
                       GUri                     *uri,
                       const char               *key,
                       const char * const       *protocols,
                       SoupMessageHeaders       *extra_headers,
                       guint64                   max_length)
{
  FwsDriver *self = driver_new (callbacks, user_data, FWS_WS_ROLE_CLIENT,
                                protocols, extra_headers, max_length);

  self->uri = g_uri_ref (uri);
  self->key = g_strdup (key);
  return self;
}

static void
pending_free (gpointer data)
{
  Pending *p = data;

  g_bytes_unref (p->payload);
  g_free (p);
}

void
fws_driver_free (FwsDriver *self)
{
  if (self == NULL)
    return;
  g_queue_clear_full (&self->pending, pending_free);
  incoming_clear (self);
  g_clear_pointer (&self->codec, fws_ws_codec_free);
  g_clear_pointer (&self->hixie, fws_hixie_parser_free);
  g_free (self->url);
  g_clear_pointer (&self->extensions, fws_extensions_free);
  g_clear_pointer (&self->head_reader, fws_http_head_reader_free);
  g_clear_pointer (&self->request_headers, soup_message_headers_unref);
  g_clear_pointer (&self->response_headers, soup_message_headers_unref);
  g_clear_pointer (&self->extra_headers, soup_message_headers_unref);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_strfreev (self->protocols);
  g_strfreev (self->allowed_origins);
  g_free (self->protocol);
  g_free (self->method);
  g_free (self->key);
  g_free (self);
}

/* ---- Output ---- */

static void
write_frame (FwsDriver    *self,
             guint         opcode,
             guint         rsv,
             const guint8 *data,
             gsize         len,
             GBytes       *payload)
{
  guint8 header[FWS_WS_MAX_HEADER];
  gsize header_len;

  if (payload != NULL)
    data = g_bytes_get_data (payload, &len);

  if (self->role == FWS_WS_ROLE_CLIENT)
    {
      guint8 key[4];
      guint8 *masked;
      GBytes *masked_bytes;

      self->cb.random (self->user_data, key, sizeof key);
      header_len = fws_ws_frame_header (header, TRUE, rsv, opcode, len, key);
      masked = g_malloc (len + 1);
      fws_ws_mask_copy (masked, data, len, key, 0);
      masked_bytes = g_bytes_new_take (masked, len);
      self->cb.write_frame (self->user_data, header, header_len, masked_bytes);
      g_bytes_unref (masked_bytes);
      return;
    }

  header_len = fws_ws_frame_header (header, TRUE, rsv, opcode, len, NULL);
  if (payload != NULL)
    {
      self->cb.write_frame (self->user_data, header, header_len, payload);
    }
  else
    {
      /* Small control payload: one contiguous write. */
      guint8 buf[FWS_WS_MAX_HEADER + 125];

      g_assert (len <= 125);
      memcpy (buf, header, header_len);
      if (len)
        memcpy (buf + header_len, data, len);
      self->cb.write (self->user_data, buf, header_len + len);
    }
}

/* @reason is the application's (checked by fws_driver_check_close), the
 * peer's (at most 123 bytes, as its frame was at most 125) or one of the
 * driver's fixed English reasons. */
static void
write_close_frame (FwsDriver  *self,
                   guint       code,
                   const char *reason)
{
  guint8 payload[2 + MAX_CLOSE_REASON];
  gsize len = 0;

  g_assert (!self->close_sent);
  self->close_sent = TRUE;
  if (code != 0 && code != 1005)
    {
      gsize rlen = reason ? strlen (reason) : 0;

      g_assert (rlen <= MAX_CLOSE_REASON);

      payload[0] = (guint8) (code >> 8);
      payload[1] = (guint8) (code & 0xFF);
      if (rlen)
        memcpy (payload + 2, reason, rlen);
      len = 2 + rlen;
    }
  write_frame (self, FWS_WS_OP_CLOSE, 0, payload, len, NULL);
}

static void fail_extension (FwsDriver *self, const GError *error);

/* A data message: through the extensions (in activation order), then one
 * frame with the RSV bits they set. FALSE if an extension failed, which
 * failed the connection. */
static gboolean
write_message (FwsDriver *self,
               guint      opcode,
               GBytes    *payload)
{
  g_autoptr(FwsExtensionMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  guint rsv;

  if (fws_extensions_get_n_active (self->extensions) == 0)
    {
      write_frame (self, opcode, 0, NULL, 0, payload);
      return TRUE;
    }

  message = fws_extension_message_new_full (opcode == FWS_WS_OP_TEXT ? FWS_MESSAGE_TYPE_TEXT
                                                                     : FWS_MESSAGE_TYPE_BINARY,
                                            0, payload, 0, FALSE);
  if (!fws_extensions_process_outgoing (self->extensions, message, &error))
    {
      fail_extension (self, error);
      return FALSE;
    }
  rsv = fws_extension_message_get_rsv (message);
  if ((rsv & ~fws_extensions_get_rsv (self->extensions)) != 0)
    {
      g_set_error_literal (&error, FWS_ERROR, FWS_ERROR_EXTENSION,
                           _("An extension set reserved bits that were not negotiated"));
      fail_extension (self, error);
      return FALSE;
    }
  write_frame (self, opcode, rsv, NULL, 0, fws_extension_message_get_data (message));
  return TRUE;
}

static void
write_hixie_text (FwsDriver *self,
                  GBytes    *payload)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (payload, &len);
  g_autoptr(GBytes) frame = fws_hixie_text_frame (data, len);

  self->cb.write (self->user_data, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
}

static void
write_queued (FwsDriver *self,
              guint      opcode,
              GBytes    *payload)
{
  if (self->version != FWS_WS_VERSION_HYBI_13)
    write_hixie_text (self, payload);
  else if (opcode == FWS_WS_OP_TEXT || opcode == FWS_WS_OP_BINARY)
    write_message (self, opcode, payload);
  else
    write_frame (self, opcode, 0, NULL, 0, payload);
}

static void
flush_pending (FwsDriver *self)
{
  Pending *p;

  while ((p = g_queue_pop_head (&self->pending)) != NULL)
    {
      self->pending_bytes -= g_bytes_get_size (p->payload);
      if (self->state == FWS_READY_STATE_OPEN)
        write_queued (self, p->opcode, p->payload);
      pending_free (p);
    }
}

/* Writes or queues a frame the command has checked (state, version).
 * FALSE if an extension failed on a data message. */
static gboolean
send_or_queue (FwsDriver *self,
               guint      opcode,
               GBytes    *payload)
{
  if (self->state == FWS_READY_STATE_CONNECTING)
    {
      Pending *p = g_new (Pending, 1);

      p->opcode = opcode;
      p->payload = payload ? g_bytes_ref (payload) : g_bytes_new_static ("", 0);
      g_queue_push_tail (&self->pending, p);
      self->pending_bytes += g_bytes_get_size (p->payload);
      return TRUE;
    }
  g_assert (self->state == FWS_READY_STATE_OPEN);
  if (self->version != FWS_WS_VERSION_HYBI_13)
    {
      write_hixie_text (self, payload);
      return TRUE;
    }
  if (opcode == FWS_WS_OP_TEXT || opcode == FWS_WS_OP_BINARY)
    {
      g_autoptr(GBytes) empty = payload == NULL ? g_bytes_new_static ("", 0) : NULL;

      return write_message (self, opcode, payload != NULL ? payload : empty);
    }
  if (payload == NULL)
    write_frame (self, opcode, 0, (const guint8 *) "", 0, NULL);
  else
    write_frame (self, opcode, 0, NULL, 0, payload);
  return TRUE;
}

/* ---- State changes ---- */

static void hixie_message_cb (gpointer user_data, GBytes *payload);
static void hixie_close_cb (gpointer user_data);

static const FwsHixieCallbacks hixie_callbacks = {
  hixie_message_cb,
  hixie_close_cb,
};

static void
become_open (FwsDriver *self)
{
  self->state = FWS_READY_STATE_OPEN;
  if (self->version != FWS_WS_VERSION_HYBI_13)
    {
      self->hixie = fws_hixie_parser_new (self->version, self->max_length, &hixie_callbacks, self);
      flush_pending (self);
      self->cb.open (self->user_data);
      return;
    }
  self->codec = fws_ws_codec_new (self->role, self->max_length, &codec_callbacks, self);
  /* RSV bits are allowed on data frames only for the negotiated extensions. */
  fws_ws_codec_set_allowed_rsv (self->codec, fws_extensions_get_rsv (self->extensions));
  flush_pending (self);
  /* A queued message may have failed an extension, and with it the
   * connection: then close was emitted, and open must not follow. */
  if (self->state == FWS_READY_STATE_OPEN)
    self->cb.open (self->user_data);
}

/* The end: state CLOSED, optional error, then close. */
static void
shutdown_driver (FwsDriver    *self,
                 guint         code,
                 const char   *reason,
                 const GError *error)
{
  if (self->state == FWS_READY_STATE_CLOSED)
    return;
  fws_driver_abort (self);
  if (error)
    self->cb.error (self->user_data, error);
  self->cb.close (self->user_data, code, reason ? reason : "");
}

/* The fixed English reason written with a close code the driver chose
 * when the caller has none more precise. */
static const char *
wire_reason (guint code)
{
  switch (code)
    {
    case FWS_CLOSE_CODE_PROTOCOL_ERROR:
      return "Protocol error";
    case FWS_CLOSE_CODE_INVALID_DATA:
      return "Invalid UTF-8 in a text message";
    case FWS_CLOSE_CODE_POLICY_VIOLATION:
      /* The one 1008 written on an open connection: send-overflow. */
      return "Send queue full";
    case FWS_CLOSE_CODE_TOO_BIG:
      return "Message too big";
    case FWS_CLOSE_CODE_MISSING_EXTENSION:
      return "Extension failed";
    case FWS_CLOSE_CODE_SERVER_ERROR:
      return "Unexpected condition";
    default:
      return "";
    }
}

/* Fails with @code and @reason on the wire (fixed English text, never
 * @error's message: that one is translated, and goes to error and close). */
static void
fail_with_reason (FwsDriver    *self,
                  guint         code,
                  const char   *reason,
                  const GError *error)
{
  if (self->state == FWS_READY_STATE_CLOSED)
    return;
  if (self->state == FWS_READY_STATE_OPEN && !self->close_sent &&
      self->version == FWS_WS_VERSION_HYBI_13)
    write_close_frame (self, code, reason);
  shutdown_driver (self, code, error ? error->message : "", error);
}

void
fws_driver_fail (FwsDriver    *self,
                 guint         code,
                 const GError *error)
{
  fail_with_reason (self, code, wire_reason (code), error);
}

void
fws_driver_transport_closed (FwsDriver    *self,
                             const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  /* A server that hangs up on our request never answered it. */
  if (error == NULL && self->role == FWS_WS_ROLE_CLIENT && self->started &&
      self->state == FWS_READY_STATE_CONNECTING)
    {
      local_error = g_error_new_literal (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                         _("Error during WebSocket handshake: "
                                           "the server closed the connection without answering"));
      error = local_error;
    }
  shutdown_driver (self, FWS_CLOSE_CODE_ABNORMAL, error ? error->message : "", error);
}

/* An extension failed on an established connection (BEHAVIOUR.md 2.9 #11):
 * 1009 for a message it would have made too large, 1007 for data it cannot
 * decode (such as corrupt deflate data), 1010 otherwise. */
static void
fail_extension (FwsDriver    *self,
                const GError *error)
{
  if (g_error_matches (error, FWS_ERROR, FWS_ERROR_TOO_LARGE))
    fail_with_reason (self, FWS_CLOSE_CODE_TOO_BIG, "Message too big", error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    fail_with_reason (self, FWS_CLOSE_CODE_INVALID_DATA, "Invalid message data", error);
  else
    fail_with_reason (self, FWS_CLOSE_CODE_MISSING_EXTENSION, "Extension failed", error);
}

/* ---- Input ---- */

/* A message that went through extensions: incoming in reverse activation
 * order, then the checks the codec could not make (UTF-8 of text that
 * arrived transformed, the size after inflation). */
/* Emits a message. While a text message is out, sending the same bytes
 * back (an echo) skips its second UTF-8 check: they were just checked, and
 * GBytes do not change. */
static void
deliver (FwsDriver      *self,
         FwsMessageType  type,
         GBytes         *data)
{
  GBytes *outer = self->delivering;

  if (type == FWS_MESSAGE_TYPE_TEXT)
    self->delivering = data;
  self->cb.message (self->user_data, type, data);
  self->delivering = outer;
}

/* One message or control frame was handled: the turn may be spent. */
static inline void
count_message (FwsDriver *self)
{
  self->turn_messages++;
  if ((self->budget_messages != 0 && self->turn_messages >= self->budget_messages) ||
      (self->budget_inflated != 0 && self->turn_inflated >= self->budget_inflated))
    {
      self->turn_spent = TRUE;
      if (self->codec != NULL)
        fws_ws_codec_pause (self->codec);
    }
}

static void
incoming_clear (FwsDriver *self)
{
  g_clear_pointer (&self->incoming, fws_extension_message_unref);
  g_clear_pointer (&self->incoming_payload, g_bytes_unref);
  self->incoming_checking = FALSE;
}

/* Whether the text that came out of the extensions still needs its UTF-8
 * checked (the codec checked only what arrived untransformed). */
#define NEEDS_UTF8_CHECK(type, rsv, data, payload) \
  ((type) == FWS_MESSAGE_TYPE_TEXT && ((rsv) != 0 || (data) != (payload)))

static void receive_extended_done (FwsDriver *self, FwsMessageType type, guint rsv,
                                   GBytes *payload, FwsExtensionMessage *message,
                                   int utf8_checked);

/* The budget left for inflating and checking in this turn (G_MAXSIZE: none). */
static gsize
inflate_budget_left (FwsDriver *self)
{
  if (self->budget_inflated == 0)
    return G_MAXSIZE;
  return self->budget_inflated > self->turn_inflated ? self->budget_inflated - self->turn_inflated : 0;
}

static gboolean
incoming_spent (FwsDriver *self)
{
  self->turn_spent = TRUE;
  if (self->codec != NULL)
    fws_ws_codec_pause (self->codec);
  return FALSE;
}

/* With a budget, the UTF-8 of a large inflated text is checked in steps
 * too, counted with the bytes inflated. Returns FALSE while not done. */
static gboolean
incoming_check (FwsDriver *self)
{
  g_autoptr(FwsExtensionMessage) message = NULL;
  g_autoptr(GBytes) payload = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (fws_extension_message_get_data (self->incoming), &len);
  gboolean ok = TRUE;

  /* Within the budget at once: the plain check, which is faster. */
  if (self->incoming_checked == 0 && len <= inflate_budget_left (self))
    {
      self->turn_inflated += len;
      message = g_steal_pointer (&self->incoming);
      payload = g_steal_pointer (&self->incoming_payload);
      self->incoming_checking = FALSE;
      receive_extended_done (self, self->incoming_type, self->incoming_rsv, payload, message,
                             fws_utf8_validate (bytes, len) ? 1 : 0);
      count_message (self);
      return TRUE;
    }
  while (ok && self->incoming_checked < len)
    {
      gsize n = MIN (inflate_budget_left (self), len - self->incoming_checked);

      if (n == 0)
        return incoming_spent (self);
      ok = fws_utf8_validator_feed (&self->incoming_utf8, bytes + self->incoming_checked, n);
      self->incoming_checked += n;
      self->turn_inflated += n;
    }
  ok = ok && fws_utf8_validator_finish (&self->incoming_utf8);
  message = g_steal_pointer (&self->incoming);
  payload = g_steal_pointer (&self->incoming_payload);
  self->incoming_checking = FALSE;
  receive_extended_done (self, self->incoming_type, self->incoming_rsv, payload, message, ok ? 1 : 0);
  count_message (self);
  return TRUE;
}

/* Runs the extensions on the incoming message as far as the turn allows.
 * Returns FALSE while it is not finished (the turn is spent then). */
static gboolean
incoming_continue (FwsDriver *self)
{
  g_autoptr(FwsExtensionMessage) message = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GError) error = NULL;
  gsize budget, left;
  FwsInflateStep step;

  if (self->incoming_checking)
    return incoming_check (self);
  budget = left = inflate_budget_left (self);
  step = fws_extensions_process_incoming_step (self->extensions, self->incoming, &budget, &error);
  self->turn_inflated += left - budget;
  if (step == FWS_INFLATE_MORE)
    return incoming_spent (self);
  if (step == FWS_INFLATE_DONE && self->budget_inflated != 0)
    {
      GBytes *data = fws_extension_message_get_data (self->incoming);

      if (NEEDS_UTF8_CHECK (self->incoming_type, self->incoming_rsv, data, self->incoming_payload) &&
          (self->max_length == 0 || g_bytes_get_size (data) <= self->max_length))
        {
          self->incoming_checking = TRUE;
          self->incoming_checked = 0;
          fws_utf8_validator_init (&self->incoming_utf8);
          return incoming_check (self);
        }
    }
  message = g_steal_pointer (&self->incoming);
  payload = g_steal_pointer (&self->incoming_payload);
  if (step == FWS_INFLATE_ERROR)
    fail_extension (self, error);
  else
    receive_extended_done (self, self->incoming_type, self->incoming_rsv, payload, message, -1);
  count_message (self);
  return TRUE;
}

static void
receive_extended (FwsDriver      *self,
                  FwsMessageType  type,
                  guint           rsv,
                  GBytes         *payload)
{
  g_assert (self->incoming == NULL);
  /* The codec put a NUL byte after the payload. */
  self->incoming = fws_extension_message_new_full (type, rsv, payload, self->max_length, TRUE);
  self->incoming_payload = g_bytes_ref (payload);
  self->incoming_type = type;
  self->incoming_rsv = rsv;
  incoming_continue (self);
}

/* @utf8_checked: -1 not yet (checked here when needed), 0 invalid, 1 valid. */
static void
receive_extended_done (FwsDriver           *self,
                       FwsMessageType       type,
                       guint                rsv,
                       GBytes              *payload,
                       FwsExtensionMessage *message,
                       int                  utf8_checked)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  const guint8 *bytes;
  gsize len;

  data = g_bytes_ref (fws_extension_message_get_data (message));
  bytes = g_bytes_get_data (data, &len);
  if (self->max_length != 0 && len > self->max_length)
    {
      g_set_error_literal (&error, FWS_ERROR, FWS_ERROR_TOO_LARGE,
                           _("WebSocket frame length too large"));
      fail_with_reason (self, FWS_CLOSE_CODE_TOO_BIG, "Message too big", error);
      return;
    }
  if (type == FWS_MESSAGE_TYPE_TEXT)
    {
      if (utf8_checked < 0 && NEEDS_UTF8_CHECK (type, rsv, data, payload))
        utf8_checked = fws_utf8_validate (bytes, len) ? 1 : 0;
      if (utf8_checked == 0)
        {
          g_set_error_literal (&error, FWS_ERROR, FWS_ERROR_INVALID_UTF8,
                               _("Could not decode a text frame as UTF-8"));
          fail_with_reason (self, FWS_CLOSE_CODE_INVALID_DATA, "Invalid UTF-8 in a text message", error);
          return;
        }
      if (!fws_extension_message_is_terminated (message))
        {
          guint8 *copy = g_malloc (len + 1);

          if (len > 0)
            memcpy (copy, bytes, len);
          copy[len] = '\0';
          g_bytes_unref (data);
          data = g_bytes_new_take (copy, len);
        }
    }
  deliver (self, type, data);
}

static void
codec_message_cb (gpointer  user_data,
                  guint     opcode,
                  guint     rsv,
                  GBytes   *payload)
{
  FwsDriver *self = user_data;
  FwsMessageType type = opcode == FWS_WS_OP_TEXT ? FWS_MESSAGE_TYPE_TEXT : FWS_MESSAGE_TYPE_BINARY;

  if (self->state == FWS_READY_STATE_OPEN || self->state == FWS_READY_STATE_CLOSING)
    {
      if (fws_extensions_get_n_active (self->extensions) > 0)
        receive_extended (self, type, rsv, payload);
      else
        {
          deliver (self, type, payload);
          count_message (self);
        }
    }
  g_bytes_unref (payload);
}

static void
receive_close (FwsDriver    *self,
               const guint8 *payload,
               gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  guint16 code;

  if (!fws_ws_close_payload_parse (payload, len, &code, &reason, &error))
    {
      /* Answer 1002 with an empty reason; the peer's bytes are not echoed. */
      if (!self->close_sent)
        write_close_frame (self, FWS_CLOSE_CODE_PROTOCOL_ERROR, "");
      shutdown_driver (self, FWS_CLOSE_CODE_PROTOCOL_ERROR, error->message, error);
      return;
    }

  if (!self->close_sent)
    write_close_frame (self, code, reason);
  shutdown_driver (self, code, reason, NULL);
}

static void
codec_control_cb (gpointer      user_data,
                  guint         opcode,
                  const guint8 *payload,
                  gsize         len)
{
  FwsDriver *self = user_data;
  g_autoptr(GBytes) bytes = NULL;

  switch (opcode)
    {
    case FWS_WS_OP_CLOSE:
      receive_close (self, payload, len);
      break;

    case FWS_WS_OP_PING:
      bytes = g_bytes_new (payload, len);
      if (self->state == FWS_READY_STATE_OPEN &&
          (self->cb.hold_pong == NULL || !self->cb.hold_pong (self->user_data, bytes)))
        write_frame (self, FWS_WS_OP_PONG, 0, payload, len, NULL);
      self->cb.ping (self->user_data, bytes);
      break;

    case FWS_WS_OP_PONG:
      bytes = g_bytes_new (payload, len);
      self->cb.pong (self->user_data, bytes);
      break;

    default:
      g_assert_not_reached ();
    }
  count_message (self);
}

static void
hixie_message_cb (gpointer  user_data,
                  GBytes   *payload)
{
  FwsDriver *self = user_data;

  if (self->state == FWS_READY_STATE_OPEN)
    deliver (self, FWS_MESSAGE_TYPE_TEXT, payload);
}

static void
hixie_close_cb (gpointer user_data)
{
  FwsDriver *self = user_data;
  static const guint8 closing[2] = { 0xFF, 0x00 };

  /* hixie-76's closing handshake: answer 0xFF 0x00 once. */
  if (!self->close_sent)
    {
      self->close_sent = TRUE;
      self->cb.write (self->user_data, closing, sizeof closing);
    }
  shutdown_driver (self, FWS_CLOSE_CODE_NO_STATUS, "", NULL);
}

static void
feed_hixie (FwsDriver    *self,
            const guint8 *data,
            gsize         len)
{
  g_autoptr(GError) error = NULL;

  if (len == 0 || self->hixie == NULL)
    return;
  if (!fws_hixie_parser_feed (self->hixie, data, len, &error))
    fws_driver_fail (self,
                     g_error_matches (error, FWS_ERROR, FWS_ERROR_TOO_LARGE) ? FWS_CLOSE_CODE_TOO_BIG
                                                                              : FWS_CLOSE_CODE_INVALID_DATA,
                     error);
}

/* hixie-76: the 8 key bytes that follow the request head, then frames. */
static void
hixie76_parse_key3 (FwsDriver    *self,
                    const guint8 *data,
                    gsize         len)
{
  gsize take = MIN (len, sizeof self->key3 - self->key3_len);
  guint8 answer[16];

  memcpy (self->key3 + self->key3_len, data, take);
  self->key3_len += (guint) take;
  if (self->key3_len < sizeof self->key3)
    return;
  fws_hixie76_answer (self->key_values[0], self->key_values[1], self->key3, answer);
  self->cb.write (self->user_data, answer, sizeof answer);
  become_open (self);
  if (self->state == FWS_READY_STATE_OPEN)
    feed_hixie (self, data + take, len - take);
}

/* Returns the bytes taken: fewer than @len when the turn was spent. */
static gsize
feed_frames (FwsDriver    *self,
             const guint8 *data,
             gsize         len)
{
  g_autoptr(GError) error = NULL;
  guint16 code = 0;
  gsize used = len;

  if (self->version != FWS_WS_VERSION_HYBI_13)
    {
      feed_hixie (self, data, len);
      return len;
    }

  if (len == 0 || self->codec == NULL)
    return len;
  if (!fws_ws_codec_feed_some (self->codec, data, len, &used, &code, &error))
    fws_driver_fail (self, code, error);
  return used;
}

static gsize
client_parse_head (FwsDriver    *self,
                   const guint8 *data,
                   gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *protocol = NULL;
  const char *head;
  gsize head_len;
  gssize used;

  if (self->head_reader == NULL)
    self->head_reader = fws_http_head_reader_new (FWS_HTTP_DEFAULT_MAX_HEAD,
                                                  FWS_HTTP_DEFAULT_MAX_LINE,
                                                  FWS_HTTP_DEFAULT_MAX_HEADERS);
  used = fws_http_head_reader_feed (self->head_reader, data, len, &error);
  if (used < 0)
    {
      g_prefix_error (&error, "%s", _("Error during WebSocket handshake: "));
      shutdown_driver (self, FWS_CLOSE_CODE_ABNORMAL, error->message, error);
      return len;
    }
  if (used == 0)
    return len;

  head = fws_http_head_reader_get_head (self->head_reader, &head_len);
  if (!fws_http_parse_response (head, head_len, &self->status, &reason,
                                &self->response_headers, &error) ||
      !fws_handshake_client_check (self->status, self->response_headers, self->key,
                                   (const char * const *) self->protocols,
                                   &protocol, &error))
    {
      if (!g_str_has_prefix (error->message, _("Error during WebSocket handshake: ")))
        g_prefix_error (&error, "%s", _("Error during WebSocket handshake: "));
      shutdown_driver (self, FWS_CLOSE_CODE_ABNORMAL, error->message, error);
      return len;
    }
  if (!fws_extensions_activate (self->extensions,
                                soup_message_headers_get_list (self->response_headers,
                                                               "Sec-WebSocket-Extensions"),
                                &error))
    {
      g_prefix_error (&error, "%s", _("Error during WebSocket handshake: "));
      shutdown_driver (self, FWS_CLOSE_CODE_ABNORMAL, error->message, error);
      return len;
    }
  g_clear_pointer (&self->head_reader, fws_http_head_reader_free);
  self->protocol = g_steal_pointer (&protocol);

  become_open (self);
  if (self->state == FWS_READY_STATE_OPEN || self->state == FWS_READY_STATE_CLOSING)
    return (gsize) used + feed_frames (self, data + used, len - (gsize) used);
  return len;
}

/* One turn's parse: returns the bytes taken. */
static gsize
parse_some (FwsDriver    *self,
            const guint8 *data,
            gsize         len)
{
  switch (self->state)
    {
    case FWS_READY_STATE_CONNECTING:
      if (self->role == FWS_WS_ROLE_CLIENT && self->started)
        return client_parse_head (self, data, len);
      else if (self->version == FWS_WS_VERSION_HIXIE_76 && self->started)
        hixie76_parse_key3 (self, data, len);
      /* A hybi server only reads frames once its handshake went out. */
      return len;
    case FWS_READY_STATE_OPEN:
    case FWS_READY_STATE_CLOSING:
      return feed_frames (self, data, len);
    case FWS_READY_STATE_CLOSED:
    default:
      return len;
    }
}

void
fws_driver_set_budget (FwsDriver *self,
                       gsize      bytes,
                       gsize      inflated,
                       guint      messages)
{
  self->budget_bytes = bytes;
  self->budget_inflated = inflated;
  self->budget_messages = messages;
}

void
fws_driver_new_turn (FwsDriver *self)
{
  self->turn_bytes = 0;
  self->turn_inflated = 0;
  self->turn_messages = 0;
  self->turn_spent = FALSE;
}

gboolean
fws_driver_has_backlog (FwsDriver *self)
{
  return self->incoming != NULL;
}

void
fws_driver_get_turn (FwsDriver *self,
                     gsize     *bytes,
                     gsize     *inflated,
                     guint     *messages)
{
  if (bytes)
    *bytes = self->turn_bytes;
  if (inflated)
    *inflated = self->turn_inflated;
  if (messages)
    *messages = self->turn_messages;
}

gsize
fws_driver_feed (FwsDriver    *self,
                 const guint8 *data,
                 gsize         len)
{
  gsize limit = len;
  gsize used;

  if (self->incoming != NULL && (self->turn_spent || !incoming_continue (self)))
    return self->state == FWS_READY_STATE_CLOSED ? len : 0;
  if (self->state == FWS_READY_STATE_CLOSED || len == 0)
    return len;
  if (self->turn_spent)
    return 0;
  if (self->budget_bytes != 0)
    limit = MIN (len, self->budget_bytes - self->turn_bytes);
  used = parse_some (self, data, limit);
  self->turn_bytes += used;
  if (self->budget_bytes != 0 && self->turn_bytes >= self->budget_bytes)
    self->turn_spent = TRUE;
  if (self->state == FWS_READY_STATE_CLOSED)
    return len;
  return used;
}

void
fws_driver_parse (FwsDriver    *self,
                  const guint8 *data,
                  gsize         len)
{
  for (;;)
    {
      gsize used = fws_driver_feed (self, data, len);

      data += used;
      len -= used;
      if ((len == 0 && self->incoming == NULL) || self->state == FWS_READY_STATE_CLOSED)
        break;
      fws_driver_new_turn (self);
    }
}

/* ---- Commands ---- */

gboolean
fws_driver_start (FwsDriver *self)
{
  if (self->started || self->state != FWS_READY_STATE_CONNECTING)
    return FALSE;
  self->started = TRUE;

  if (self->role == FWS_WS_ROLE_SERVER &&
      !fws_handshake_origin_allowed (soup_message_headers_get_list (self->request_headers, "Origin"),
                                     (const char * const *) self->allowed_origins))
    {
      g_autoptr(GBytes) response = fws_handshake_forbidden_response ();
      g_autoptr(GError) error = g_error_new_literal (FWS_ERROR, FWS_ERROR_HANDSHAKE,
                                                     _("The Origin of the request is not allowed"));

      self->cb.write (self->user_data, g_bytes_get_data (response, NULL), g_bytes_get_size (response));
      shutdown_driver (self, FWS_CLOSE_CODE_POLICY_VIOLATION, error->message, error);
      return FALSE;
    }

  if (self->role == FWS_WS_ROLE_SERVER && self->version != FWS_WS_VERSION_HYBI_13)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = NULL;

      if (self->version == FWS_WS_VERSION_HIXIE_76 &&
          !fws_hixie76_check_keys (self->request_headers, &self->key_values[0], &self->key_values[1],
                                   &response, &error))
        {
          self->cb.write (self->user_data, g_bytes_get_data (response, NULL), g_bytes_get_size (response));
          shutdown_driver (self, FWS_CLOSE_CODE_NO_STATUS, error->message, error);
          return FALSE;
        }
      self->protocol = fws_hixie_select_protocol (self->version, self->request_headers,
                                                   (const char * const *) self->protocols);
      response = fws_hixie_response (self->version, self->url, self->protocol,
                                     self->request_headers, self->extra_headers);
      self->cb.write (self->user_data, g_bytes_get_data (response, NULL), g_bytes_get_size (response));
      /* hixie-76 opens once the 8 key bytes have arrived (fws_driver_parse). */
      if (self->version == FWS_WS_VERSION_HIXIE_75)
        become_open (self);
      return TRUE;
    }

  if (self->role == FWS_WS_ROLE_SERVER)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) response = NULL;
      g_autofree char *protocol = NULL;
      gboolean ok;

      ok = fws_handshake_server_respond (self->method, self->request_headers,
                                         (const char * const *) self->protocols,
                                         self->extra_headers, self->extensions,
                                         &protocol, &response, &error);
      if (response)
        self->cb.write (self->user_data, g_bytes_get_data (response, NULL), g_bytes_get_size (response));
      if (!ok)
        {
          shutdown_driver (self, FWS_CLOSE_CODE_PROTOCOL_ERROR, error->message, error);
          return FALSE;
        }
      self->protocol = g_steal_pointer (&protocol);
      become_open (self);
    }
  else
    {
      g_autoptr(GBytes) request = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *offer = fws_extensions_generate_offer (self->extensions, &error);

      if (error != NULL)
        {
          shutdown_driver (self, FWS_CLOSE_CODE_ABNORMAL, error->message, error);
          return FALSE;
        }
      request = fws_handshake_client_request (self->uri, self->key,
                                              (const char * const *) self->protocols,
                                              self->extra_headers, offer);
      self->cb.write (self->user_data, g_bytes_get_data (request, NULL), g_bytes_get_size (request));
    }
  return TRUE;
}

static gboolean
check_open (FwsDriver  *self,
            GError    **error)
{
  if (self->state == FWS_READY_STATE_CLOSING || self->state == FWS_READY_STATE_CLOSED)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
      return FALSE;
    }
  return TRUE;
}

gboolean
fws_driver_check_send (FwsDriver       *self,
                       FwsMessageType   type,
                       GBytes          *data,
                       GError         **error)
{
  g_return_val_if_fail (type == FWS_MESSAGE_TYPE_TEXT || type == FWS_MESSAGE_TYPE_BINARY, FALSE);

  if (type == FWS_MESSAGE_TYPE_TEXT && data != NULL && data != self->delivering)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (data, &len);

      if (!fws_utf8_validate (p, len))
        {
          g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_UTF8, _("Text messages must be valid UTF-8"));
          return FALSE;
        }
    }
  if (!check_open (self, error))
    return FALSE;
  /* The drafts have text frames only. */
  if (type == FWS_MESSAGE_TYPE_BINARY && self->version != FWS_WS_VERSION_HYBI_13)
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                   _("%s connections carry text messages only"), fws_ws_version_to_string (self->version));
      return FALSE;
    }
  return TRUE;
}

gboolean
fws_driver_send (FwsDriver       *self,
                 FwsMessageType   type,
                 GBytes          *data,
                 GError         **error)
{
  if (!fws_driver_check_send (self, type, data, error))
    return FALSE;
  if (!send_or_queue (self, type == FWS_MESSAGE_TYPE_TEXT ? FWS_WS_OP_TEXT : FWS_WS_OP_BINARY, data))
    {
      /* An extension failed on it: the connection failed with it. */
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_CLOSED, _("The connection is closing or closed"));
      return FALSE;
    }
  return TRUE;
}

GBytes *
fws_driver_ping (FwsDriver  *self,
                 GBytes     *payload,
                 GError    **error)
{
  g_autoptr(GBytes) sent = NULL;

  if (payload != NULL && g_bytes_get_size (payload) > 125)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT, _("A ping payload has at most 125 bytes"));
      return NULL;
    }
  if (!check_open (self, error))
    return NULL;
  if (self->version != FWS_WS_VERSION_HYBI_13)
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                   _("%s connections have no ping"), fws_ws_version_to_string (self->version));
      return NULL;
    }
  if (payload != NULL)
    sent = g_bytes_ref (payload);
  else
    {
      char counter[24];

      g_snprintf (counter, sizeof counter, "%" G_GUINT64_FORMAT, ++self->ping_counter);
      sent = g_bytes_new (counter, strlen (counter));
    }
  send_or_queue (self, FWS_WS_OP_PING, sent);
  return g_steal_pointer (&sent);
}

gboolean
fws_driver_pong (FwsDriver *self,
                 GBytes    *payload)
{
  g_return_val_if_fail (payload == NULL || g_bytes_get_size (payload) <= 125, FALSE);
  if (!check_open (self, NULL) || self->version != FWS_WS_VERSION_HYBI_13)
    return FALSE;
  return send_or_queue (self, FWS_WS_OP_PONG, payload);
}

gboolean
fws_driver_check_close (guint        code,
                        const char  *reason,
                        GError     **error)
{
  gsize len = reason ? strlen (reason) : 0;

  if (code != 0 && !fws_ws_close_code_is_valid (code))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                   _("The close code must be between 1000 and 1003, between 1007 and 1014, "
                     "or between 3000 and 4999. %u is none of these."), code);
      return FALSE;
    }
  if (len > MAX_CLOSE_REASON || !fws_utf8_validate ((const guint8 *) reason, len))
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                           _("The close reason must be valid UTF-8 of at most 123 bytes"));
      return FALSE;
    }
  return TRUE;
}

gboolean
fws_driver_close (FwsDriver   *self,
                  guint        code,
                  const char  *reason,
                  GError     **error)
{
  if (!fws_driver_check_close (code, reason, error) || !check_open (self, error))
    return FALSE;
  if (code == 0)
    code = FWS_CLOSE_CODE_NORMAL;
  if (reason == NULL)
    reason = "";
  if (self->version != FWS_WS_VERSION_HYBI_13 && code != FWS_CLOSE_CODE_NORMAL)
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_NOT_SUPPORTED,
                   _("%s connections have no close codes"), fws_ws_version_to_string (self->version));
      return FALSE;
    }

  if (self->state == FWS_READY_STATE_CONNECTING)
    {
      shutdown_driver (self, code, reason, NULL);
      return TRUE;
    }
  if (self->version != FWS_WS_VERSION_HYBI_13)
    {
      /* hixie-76 sends 0xFF 0x00, hixie-75 nothing; neither waits. */
      if (self->version == FWS_WS_VERSION_HIXIE_76 && !self->close_sent)
        {
          static const guint8 closing[2] = { 0xFF, 0x00 };

          self->close_sent = TRUE;
          self->cb.write (self->user_data, closing, sizeof closing);
        }
      shutdown_driver (self, FWS_CLOSE_CODE_NO_STATUS, "", NULL);
      return TRUE;
    }
  write_close_frame (self, code, reason);
  self->state = FWS_READY_STATE_CLOSING;
  return TRUE;
}

void
fws_driver_abort (FwsDriver *self)
{
  if (self->state == FWS_READY_STATE_CLOSED)
    return;
  self->state = FWS_READY_STATE_CLOSED;
  if (self->codec)
    fws_ws_codec_stop (self->codec);
  if (self->hixie)
    fws_hixie_parser_stop (self->hixie);
  g_queue_clear_full (&self->pending, pending_free);
  self->pending_bytes = 0;
  incoming_clear (self);
  fws_extensions_close (self->extensions);
}

FwsReadyState
fws_driver_get_state (FwsDriver *self)
{
  return self->state;
}

guint64
fws_driver_get_pending_bytes (FwsDriver *self)
{
  return self->pending_bytes;
}

const char *
fws_driver_get_protocol (FwsDriver *self)
{
  return self->protocol;
}

const char *
fws_driver_get_version (FwsDriver *self)
{
  return fws_ws_version_to_string (self->version);
}

void
fws_driver_set_url (FwsDriver  *self,
                    const char *url)
{
  g_free (self->url);
  self->url = g_strdup (url);
}

gboolean
fws_driver_set_extra_headers (FwsDriver          *self,
                              SoupMessageHeaders *extra_headers)
{
  if (self->started)
    return FALSE;
  g_clear_pointer (&self->extra_headers, soup_message_headers_unref);
  self->extra_headers = extra_headers ? soup_message_headers_ref (extra_headers) : NULL;
  return TRUE;
}

void
fws_driver_set_allowed_origins (FwsDriver          *self,
                                const char * const *origins)
{
  g_strfreev (self->allowed_origins);
  self->allowed_origins = g_strdupv ((char **) origins);
}

void
fws_driver_set_max_length (FwsDriver *self,
                           guint64    max_length)
{
  self->max_length = max_length;
  if (self->codec)
    fws_ws_codec_set_max_length (self->codec, max_length);
  if (self->hixie)
    fws_hixie_parser_set_max_length (self->hixie, max_length);
}

gboolean
fws_driver_add_extension (FwsDriver     *self,
                          FwsExtension  *extension,
                          GError       **error)
{
  if (self->started || self->state != FWS_READY_STATE_CONNECTING)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                           _("Extensions can only be added before the handshake"));
      return FALSE;
    }
  return fws_extensions_add (self->extensions, extension, error);
}

gboolean
fws_driver_set_extensions (FwsDriver  *self,
                           GPtrArray  *extensions,
                           GError    **error)
{
  g_autoptr(FwsExtensions) exts = NULL;
  guint i;

  if (self->started || self->state != FWS_READY_STATE_CONNECTING)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                           _("Extensions can only be added before the handshake"));
      return FALSE;
    }
  exts = fws_extensions_new ();
  for (i = 0; extensions != NULL && i < extensions->len; i++)
    if (!fws_extensions_add (exts, extensions->pdata[i], error))
      return FALSE;
  fws_extensions_free (self->extensions);
  self->extensions = g_steal_pointer (&exts);
  return TRUE;
}

FwsExtensions *
fws_driver_get_extensions (FwsDriver *self)
{
  return self->extensions;
}

guint
fws_driver_get_status (FwsDriver *self)
{
  return self->status;
}

SoupMessageHeaders *
fws_driver_get_response_headers (FwsDriver *self)
{
  return self->response_headers;
}
