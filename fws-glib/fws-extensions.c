/* fws-extensions.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Negotiation of Sec-WebSocket-Extensions and the per-message pipeline,
 * sans I/O. See fws-extensions-private.h and BEHAVIOUR.md 3.
 */
#include "config.h"

#include "fws-extensions-private.h"

#include <string.h>

#include "fws-error.h"
#include "fws-http-private.h"
#include "fws-i18n-private.h"
#include "fws-permessage-deflate-private.h"

/* ---- The header grammar ---- */

void
fws_extension_offer_free (FwsExtensionOffer *offer)
{
  if (offer == NULL)
    return;
  g_free (offer->name);
  g_clear_pointer (&offer->params, fws_extension_params_unref);
  g_free (offer);
}

static inline gboolean
is_ows (guchar c)
{
  return c == ' ' || c == '\t';
}

typedef struct
{
  const char *p;
} Scanner;

static void
skip_ows (Scanner *s)
{
  while (is_ows ((guchar) *s->p))
    s->p++;
}

/* A token, or NULL (nothing consumed) if none starts here. */
static char *
scan_token (Scanner *s)
{
  const char *start = s->p;

  while (fws_http_is_tchar ((guchar) *s->p))
    s->p++;
  return s->p > start ? g_strndup (start, (gsize) (s->p - start)) : NULL;
}

/* A quoted-string (RFC 7230 3.2.6) starting at '"', unescaped, or NULL.
 * Each byte is looked at once: an unterminated string fails in linear
 * time, however many backslashes it has. */
static char *
scan_quoted (Scanner *s)
{
  GString *out;
  const char *p = s->p;

  g_assert (*p == '"');
  p++;
  out = g_string_new (NULL);
  for (;;)
    {
      guchar c = (guchar) *p;

      if (c == '"')
        {
          /* obs-text is allowed on the wire, but a parameter value must be
           * text a GVariant string can hold. */
          if (!g_utf8_validate_len (out->str, out->len, NULL))
            break;
          s->p = p + 1;
          return g_string_free (out, FALSE);
        }
      if (c == '\\')
        {
          guchar next = (guchar) p[1];

          /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
          if (next == '\t' || (next >= 0x20 && next != 0x7F))
            {
              g_string_append_c (out, (char) next);
              p += 2;
              continue;
            }
          break;
        }
      /* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
      if (c == '\t' || (c >= 0x20 && c != 0x7F))
        {
          g_string_append_c (out, (char) c);
          p++;
          continue;
        }
      break;   /* a control character or the end: unterminated */
    }
  g_string_free (out, TRUE);
  return NULL;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)? becomes a number, as in websocket-extensions. */
static GVariant *
typed_value (const char *text)
{
  const char *p = text;
  gboolean fraction = FALSE;

  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (g_ascii_isdigit (*p))
      p++;
  else
    return g_variant_new_string (text);
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return g_variant_new_string (text);
      while (g_ascii_isdigit (*p))
        p++;
      fraction = TRUE;
    }
  if (*p != '\0')
    return g_variant_new_string (text);

  if (fraction)
    return g_variant_new_double (g_ascii_strtod (text, NULL));
  {
    gint64 value;

    if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL))
      return g_variant_new_int64 (value);
  }
  return g_variant_new_string (text);   /* does not fit in 64 bits */
}

static gboolean
parse_fail (const char  *header,
            GError     **error)
{
  g_autofree char *valid = g_utf8_make_valid (header, -1);

  g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION,
               _("Invalid Sec-WebSocket-Extensions header: %s"), valid);
  return FALSE;
}

GPtrArray *
fws_extensions_parse_header (const char  *header,
                             GError     **error)
{
  GPtrArray *offers = g_ptr_array_new_with_free_func ((GDestroyNotify) fws_extension_offer_free);
  Scanner s = { header != NULL ? header : "" };

  skip_ows (&s);
  if (*s.p == '\0')
    return offers;

  for (;;)
    {
      FwsExtensionOffer *offer;
      char *name = scan_token (&s);

      if (name == NULL)
        goto fail;
      offer = g_new0 (FwsExtensionOffer, 1);
      offer->name = name;
      offer->params = fws_extension_params_new ();
      g_ptr_array_add (offers, offer);

      for (;;)
        {
          g_autofree char *key = NULL;
          g_autofree char *text = NULL;

          skip_ows (&s);
          if (*s.p != ';')
            break;
          s.p++;
          skip_ows (&s);
          key = scan_token (&s);
          if (key == NULL)
            goto fail;
          skip_ows (&s);
          if (*s.p != '=')
            {
              fws_extension_params_add_flag (offer->params, key);
              continue;
            }
          s.p++;
          skip_ows (&s);
          if (*s.p == '"')
            text = scan_quoted (&s);
          else
            text = scan_token (&s);
          if (text == NULL)
            goto fail;
          fws_extension_params_add (offer->params, key, typed_value (text));
        }

      if (*s.p == '\0')
        return offers;
      if (*s.p != ',')
        goto fail;
      s.p++;
      skip_ows (&s);
    }

fail:
  g_ptr_array_unref (offers);
  parse_fail (header, error);
  return NULL;
}

char *
fws_extensions_serialize (const char         *name,
                          FwsExtensionParams *params)
{
  GString *out = g_string_new (name);

  fws_extension_params_append_to (params, out);
  return g_string_free (out, FALSE);
}

/* ---- Registry ---- */

typedef struct
{
  FwsExtension        *extension;   /* (owned) */
  char                *name;
  guint                rsv;
  FwsExtensionSession *session;     /* (owned) (nullable) */
  gboolean             active;
} Entry;

struct _FwsExtensions
{
  GPtrArray *entries;   /* of Entry*, in registration order */
  GPtrArray *active;    /* of Entry* (borrowed), in activation order */
  guint      rsv;
  gboolean   negotiated;
  gboolean   closed;

  /* An incoming message part way through the pipeline (in steps). */
  FwsExtensionMessage *step_message;  /* (owned) (nullable) referenced while it spans calls */
  guint                step_next;     /* sessions still to run, from the last */
};

static void
step_clear (FwsExtensions *exts)
{
  g_clear_pointer (&exts->step_message, fws_extension_message_unref);
  exts->step_next = 0;
}

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->session);
  g_object_unref (entry->extension);
  g_free (entry->name);
  g_free (entry);
}

FwsExtensions *
fws_extensions_new (void)
{
  FwsExtensions *exts = g_new0 (FwsExtensions, 1);

  fws_i18n_init ();
  exts->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  exts->active = g_ptr_array_new ();
  return exts;
}

void
fws_extensions_free (FwsExtensions *exts)
{
  if (exts == NULL)
    return;
  fws_extensions_close (exts);
  step_clear (exts);
  g_ptr_array_unref (exts->active);
  g_ptr_array_unref (exts->entries);
  g_free (exts);
}

gboolean
fws_extensions_check (GPtrArray     *registered,
                      FwsExtension  *extension,
                      GError       **error)
{
  const char *name;
  guint i;

  g_return_val_if_fail (FWS_IS_EXTENSION (extension), FALSE);

  name = fws_extension_get_name (extension);
  if (!fws_extension_token_is_valid (name))
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                   _("The name of an extension must be a token, not “%s”"), name ? name : "(null)");
      return FALSE;
    }
  for (i = 0; registered != NULL && i < registered->len; i++)
    if (g_strcmp0 (fws_extension_get_name (registered->pdata[i]), name) == 0)
      {
        g_set_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                     _("An extension with name “%s” is already registered"), name);
        return FALSE;
      }
  return TRUE;
}

gboolean
fws_extensions_add (FwsExtensions  *exts,
                    FwsExtension   *extension,
                    GError        **error)
{
  g_autoptr(GPtrArray) registered = NULL;
  Entry *entry;
  guint i;

  g_return_val_if_fail (exts != NULL, FALSE);
  g_return_val_if_fail (FWS_IS_EXTENSION (extension), FALSE);

  if (exts->negotiated || exts->closed)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT,
                           _("Extensions can only be added before the handshake"));
      return FALSE;
    }
  registered = g_ptr_array_new ();
  for (i = 0; i < exts->entries->len; i++)
    g_ptr_array_add (registered, ((Entry *) exts->entries->pdata[i])->extension);
  if (!fws_extensions_check (registered, extension, error))
    return FALSE;

  entry = g_new0 (Entry, 1);
  entry->extension = g_object_ref (extension);
  /* Read once: the name and bits cannot change under a live connection. */
  entry->name = g_strdup (fws_extension_get_name (extension));
  entry->rsv = fws_extension_get_rsv (extension);
  g_ptr_array_add (exts->entries, entry);
  return TRUE;
}

guint
fws_extensions_get_n_registered (FwsExtensions *exts)
{
  return exts->entries->len;
}

static Entry *
find_entry (FwsExtensions *exts,
            const char    *name)
{
  guint i;

  for (i = 0; i < exts->entries->len; i++)
    {
      Entry *entry = exts->entries->pdata[i];

      if (strcmp (entry->name, name) == 0)
        return entry;
    }
  return NULL;
}

static void
activate_entry (FwsExtensions *exts,
                Entry         *entry)
{
  entry->active = TRUE;
  exts->rsv |= entry->rsv;
  g_ptr_array_add (exts->active, entry);
}

/* Unset error from a failing session: make one up. */
static void
ensure_error (GError     **error,
              GError      *local,
              const char  *name)
{
  if (local == NULL)
    {
      g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION, _("%s: the extension failed"), name);
      return;
    }
  g_prefix_error (&local, "%s: ", name);
  g_propagate_error (error, local);
}

char *
fws_extensions_generate_offer (FwsExtensions  *exts,
                               GError        **error)
{
  GString *out = g_string_new (NULL);
  guint i;

  g_return_val_if_fail (exts != NULL, NULL);
  g_return_val_if_fail (!exts->negotiated, NULL);

  exts->negotiated = TRUE;
  for (i = 0; i < exts->entries->len; i++)
    {
      Entry *entry = exts->entries->pdata[i];
      g_autoptr(FwsExtensionSession) session = NULL;
      FwsExtensionParams **offers = NULL;
      GError *local = NULL;
      guint j;

      session = fws_extension_create_client_session (entry->extension);
      if (session == NULL)
        continue;
      offers = fws_extension_session_generate_offer (session, &local);
      if (offers == NULL && local != NULL)
        {
          ensure_error (error, local, entry->name);
          fws_extension_session_close (session);
          g_string_free (out, TRUE);
          return NULL;
        }
      g_clear_error (&local);
      if (offers == NULL || offers[0] == NULL)
        {
          g_free (offers);
          fws_extension_session_close (session);
          continue;
        }
      for (j = 0; offers[j] != NULL; j++)
        {
          if (out->len > 0)
            g_string_append (out, ", ");
          g_string_append (out, entry->name);
          fws_extension_params_append_to (offers[j], out);
          fws_extension_params_unref (offers[j]);
        }
      g_free (offers);
      entry->session = g_steal_pointer (&session);
    }

  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static int
lowest_bit_number (guint rsv)
{
  if (rsv & FWS_RESERVED_BITS_RSV1)
    return 1;
  if (rsv & FWS_RESERVED_BITS_RSV2)
    return 2;
  return 3;
}

/* Sessions that were offered but not accepted are of no more use. */
static void
drop_inactive_sessions (FwsExtensions *exts)
{
  guint i;

  for (i = 0; i < exts->entries->len; i++)
    {
      Entry *entry = exts->entries->pdata[i];

      if (!entry->active && entry->session != NULL)
        {
          fws_extension_session_close (entry->session);
          g_clear_object (&entry->session);
        }
    }
}

gboolean
fws_extensions_activate (FwsExtensions  *exts,
                         const char     *header,
                         GError        **error)
{
  g_autoptr(GPtrArray) response = NULL;
  guint i;

  g_return_val_if_fail (exts != NULL, FALSE);

  exts->negotiated = TRUE;
  response = fws_extensions_parse_header (header, error);
  if (response == NULL)
    return FALSE;

  for (i = 0; i < response->len; i++)
    {
      FwsExtensionOffer *r = response->pdata[i];
      Entry *entry = find_entry (exts, r->name);
      g_autoptr(GError) local = NULL;

      if (entry == NULL)
        {
          g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION,
                       _("Server sent an extension response for unknown extension “%s”"), r->name);
          return FALSE;
        }
      if (entry->session == NULL)
        {
          g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION,
                       _("Server sent an extension response for “%s”, which the client did not offer"),
                       r->name);
          return FALSE;
        }
      if (entry->active)
        {
          g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION,
                       _("Server sent more than one extension response for “%s”"), r->name);
          return FALSE;
        }
      if ((entry->rsv & exts->rsv) != 0)
        {
          guint j;
          const char *other = "";

          for (j = 0; j < exts->active->len; j++)
            {
              Entry *a = exts->active->pdata[j];

              if ((a->rsv & entry->rsv) != 0)
                {
                  other = a->name;
                  break;
                }
            }
          g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION,
                       _("Server sent two extension responses that use the RSV%d bit: “%s” and “%s”"),
                       lowest_bit_number (entry->rsv & exts->rsv), other, r->name);
          return FALSE;
        }
      if (!fws_extension_session_activate (entry->session, r->params, &local))
        {
          g_autofree char *text = fws_extensions_serialize (r->name, r->params);

          g_set_error (error, FWS_ERROR, FWS_ERROR_EXTENSION,
                       _("Server sent unacceptable extension parameters: %s"), text);
          return FALSE;
        }
      activate_entry (exts, entry);
    }

  drop_inactive_sessions (exts);
  return TRUE;
}

gboolean
fws_extensions_generate_response (FwsExtensions  *exts,
                                  const char     *header,
                                  char          **response,
                                  GError        **error)
{
  g_autoptr(GPtrArray) offers = NULL;
  GString *out;
  guint i, j;

  g_return_val_if_fail (response != NULL, FALSE);

  *response = NULL;
  offers = fws_extensions_parse_header (header, error);
  if (offers == NULL)
    return FALSE;
  if (exts == NULL)
    return TRUE;
  g_return_val_if_fail (!exts->negotiated, FALSE);

  exts->negotiated = TRUE;
  out = g_string_new (NULL);
  for (i = 0; i < exts->entries->len; i++)
    {
      Entry *entry = exts->entries->pdata[i];
      g_autoptr(GList) mine = NULL;
      g_autoptr(FwsExtensionParams) params = NULL;

      /* Backwards, so that prepending keeps the client's order. */
      for (j = offers->len; j > 0; j--)
        {
          FwsExtensionOffer *o = offers->pdata[j - 1];

          if (strcmp (o->name, entry->name) == 0)
            mine = g_list_prepend (mine, o->params);
        }
      if (mine == NULL || (entry->rsv & exts->rsv) != 0)
        continue;

      entry->session = fws_extension_create_server_session (entry->extension, mine);
      if (entry->session == NULL)
        continue;
      params = fws_extension_session_generate_response (entry->session);
      activate_entry (exts, entry);

      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, entry->name);
      fws_extension_params_append_to (params, out);
    }

  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return TRUE;
    }
  *response = g_string_free (out, FALSE);
  return TRUE;
}

guint
fws_extensions_get_rsv (FwsExtensions *exts)
{
  return exts->rsv;
}

guint
fws_extensions_get_n_active (FwsExtensions *exts)
{
  return exts->active->len;
}

FwsExtensionSession *
fws_extensions_get_active_session (FwsExtensions *exts,
                                   guint          index)
{
  g_return_val_if_fail (index < exts->active->len, NULL);

  return ((Entry *) exts->active->pdata[index])->session;
}

/* ---- The pipeline ---- */

gboolean
fws_extensions_process_incoming (FwsExtensions        *exts,
                                 FwsExtensionMessage  *message,
                                 GError              **error)
{
  guint i;

  for (i = exts->active->len; i > 0; i--)
    {
      Entry *entry = exts->active->pdata[i - 1];
      GError *local = NULL;

      if (!fws_extension_session_process_incoming_message (entry->session, message, &local))
        {
          ensure_error (error, local, entry->name);
          return FALSE;
        }
      g_clear_error (&local);
    }
  return TRUE;
}

FwsInflateStep
fws_extensions_process_incoming_step (FwsExtensions        *exts,
                                      FwsExtensionMessage  *message,
                                      gsize                *budget,
                                      GError              **error)
{
  guint next;

  if (exts->step_message == message)
    next = exts->step_next;   /* resumed */
  else
    {
      step_clear (exts);
      next = exts->active->len;
    }
  while (next > 0)
    {
      Entry *entry = exts->active->pdata[next - 1];
      GError *local = NULL;
      FwsInflateStep step;

      if (fws_permessage_deflate_session_can_step (entry->session))
        step = fws_permessage_deflate_session_inflate_step (entry->session, message, budget, &local);
      else
        step = fws_extension_session_process_incoming_message (entry->session, message, &local)
               ? FWS_INFLATE_DONE : FWS_INFLATE_ERROR;
      if (step == FWS_INFLATE_MORE)
        {
          /* A reference only for a message that spans calls. */
          if (exts->step_message != message)
            exts->step_message = fws_extension_message_ref (message);
          exts->step_next = next;
          return step;
        }
      if (step == FWS_INFLATE_ERROR)
        {
          step_clear (exts);
          ensure_error (error, local, entry->name);
          return step;
        }
      g_clear_error (&local);
      next--;
    }
  step_clear (exts);
  return FWS_INFLATE_DONE;
}

gboolean
fws_extensions_process_outgoing (FwsExtensions        *exts,
                                 FwsExtensionMessage  *message,
                                 GError              **error)
{
  guint i;

  for (i = 0; i < exts->active->len; i++)
    {
      Entry *entry = exts->active->pdata[i];
      GError *local = NULL;

      if (!fws_extension_session_process_outgoing_message (entry->session, message, &local))
        {
          ensure_error (error, local, entry->name);
          return FALSE;
        }
      g_clear_error (&local);
    }
  return TRUE;
}

void
fws_extensions_close (FwsExtensions *exts)
{
  guint i;

  if (exts->closed)
    return;
  exts->closed = TRUE;
  step_clear (exts);
  for (i = 0; i < exts->entries->len; i++)
    {
      Entry *entry = exts->entries->pdata[i];

      if (entry->session != NULL)
        fws_extension_session_close (entry->session);
    }
}
