/* fuzz-extensions.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Sec-WebSocket-Extensions header: the parser, the serialiser, and the
 * negotiation with permessage-deflate registered, on the server side (the
 * input as the client's offer) and on the client side (the input as the
 * server's response). The input, up to a NUL byte, is the header.
 * Checks: a header parses iff fws_extensions_generate_response accepts it
 * (with or without a registry); each parsed offer serialises to a header
 * that parses back to one offer of the same name and serialises to the
 * same text, and all of them joined parse back to as many offers; a token
 * is one offer with that name; a server response names permessage-deflate
 * once and parses; a client activates at most permessage-deflate, with
 * RSV1.
 */
#include "fuzz-common.h"

#include "fws-error.h"
#include "fws-extensions-private.h"
#include "fws-permessage-deflate.h"
#include "fws-ws-codec-private.h"

static FwsExtensions *
registry (gboolean custom)
{
  FwsExtensions *exts = fws_extensions_new ();
  FwsPermessageDeflate *deflate;

  if (custom)
    deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE,
                            "no-context-takeover", TRUE,
                            "max-window-bits", 9,
                            "request-no-context-takeover", TRUE,
                            "request-max-window-bits", 10,
                            NULL);
  else
    deflate = fws_permessage_deflate_new ();
  FUZZ_CHECK (fws_extensions_add (exts, FWS_EXTENSION (deflate), NULL));
  g_object_unref (deflate);
  return exts;
}

static gboolean
has_double (FwsExtensionParams *params)
{
  for (guint i = 0; i < fws_extension_params_get_length (params); i++)
    if (g_variant_is_of_type (fws_extension_params_get_value (params, i), G_VARIANT_TYPE_DOUBLE))
      return TRUE;
  return FALSE;
}

static void
check_round_trip (GPtrArray *offers)
{
  GString *joined = g_string_new (NULL);
  GPtrArray *again;

  for (guint i = 0; i < offers->len; i++)
    {
      FwsExtensionOffer *offer = offers->pdata[i];
      char *text = fws_extensions_serialize (offer->name, offer->params);
      GError *error = NULL;
      GPtrArray *one = fws_extensions_parse_header (text, &error);
      char *text2;

      if (one == NULL)
        {
          fprintf (stderr, "serialised \"%s\" does not parse: %s\n", text, error->message);
          abort ();
        }
      FUZZ_CHECK (one->len == 1);
      FUZZ_CHECK (strcmp (((FwsExtensionOffer *) one->pdata[0])->name, offer->name) == 0);
      FUZZ_CHECK (fws_extension_params_get_length (((FwsExtensionOffer *) one->pdata[0])->params) ==
                  fws_extension_params_get_length (offer->params));
      text2 = fws_extensions_serialize (offer->name, ((FwsExtensionOffer *) one->pdata[0])->params);
      if (has_double (offer->params))
        {
          /* A double is written with "%.15g": it may read back as another
           * double, an integer ("-0") or a string ("1e+17"), after which
           * the text is stable. */
          GPtrArray *two = fws_extensions_parse_header (text2, NULL);
          char *text3;

          FUZZ_CHECK (two != NULL && two->len == 1);
          text3 = fws_extensions_serialize (offer->name, ((FwsExtensionOffer *) two->pdata[0])->params);
          g_free (text2);
          g_free (text);
          text = g_strdup (text3);
          text2 = text3;
          g_ptr_array_unref (two);
        }
      if (strcmp (text, text2) != 0)
        {
          fprintf (stderr, "serialising is not stable: \"%s\" then \"%s\"\n", text, text2);
          abort ();
        }
      g_free (text2);
      g_ptr_array_unref (one);

      if (i > 0)
        g_string_append (joined, ", ");
      g_string_append (joined, text);
      g_free (text);
    }
  again = fws_extensions_parse_header (joined->str, NULL);
  FUZZ_CHECK (again != NULL && again->len == offers->len);
  g_ptr_array_unref (again);
  g_string_free (joined, TRUE);
}

static void
server_side (const char *header, gboolean parses, gboolean custom)
{
  FwsExtensions *exts = registry (custom);
  char *response = NULL;
  GError *error = NULL;
  gboolean ok = fws_extensions_generate_response (exts, header, &response, &error);

  FUZZ_CHECK (ok == parses);
  if (ok)
    {
      FUZZ_CHECK (error == NULL);
      if (response != NULL)
        {
          GPtrArray *parsed = fws_extensions_parse_header (response, NULL);

          FUZZ_CHECK (parsed != NULL && parsed->len == 1);
          FUZZ_CHECK (strcmp (((FwsExtensionOffer *) parsed->pdata[0])->name, "permessage-deflate") == 0);
          FUZZ_CHECK (fws_extensions_get_n_active (exts) == 1);
          FUZZ_CHECK (fws_extensions_get_rsv (exts) == FWS_WS_RSV1);
          g_ptr_array_unref (parsed);
        }
    }
  else
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_EXTENSION));
      FUZZ_CHECK (response == NULL);
      g_clear_error (&error);
    }
  g_free (response);
  fws_extensions_free (exts);
}

static void
client_side (const char *header, gboolean parses, gboolean custom)
{
  FwsExtensions *exts = registry (custom);
  GError *error = NULL;
  char *offer = fws_extensions_generate_offer (exts, &error);

  FUZZ_CHECK (offer != NULL && error == NULL);
  if (fws_extensions_activate (exts, header, &error))
    {
      FUZZ_CHECK (parses);
      FUZZ_CHECK (fws_extensions_get_n_active (exts) <= 1);
      FUZZ_CHECK (fws_extensions_get_rsv (exts) == (fws_extensions_get_n_active (exts) ? FWS_WS_RSV1 : 0u));
    }
  else
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_EXTENSION));
      g_clear_error (&error);
    }
  g_free (offer);
  fws_extensions_free (exts);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *header = fuzz_strndup (data, size);
  GError *error = NULL;
  GPtrArray *offers = fws_extensions_parse_header (header, &error);
  gboolean parses = offers != NULL;

  if (offers != NULL)
    {
      FUZZ_CHECK (error == NULL);
      check_round_trip (offers);
      if (fws_extension_token_is_valid (header))
        FUZZ_CHECK (offers->len == 1 && strcmp (((FwsExtensionOffer *) offers->pdata[0])->name, header) == 0);
      g_ptr_array_unref (offers);
    }
  else
    {
      FUZZ_CHECK (g_error_matches (error, FWS_ERROR, FWS_ERROR_EXTENSION));
      g_clear_error (&error);
    }
  /* Without a registry only the syntax is checked. */
  {
    char *none = NULL;

    FUZZ_CHECK (fws_extensions_generate_response (NULL, header, &none, NULL) == parses);
    FUZZ_CHECK (none == NULL);
  }
  for (int custom = 0; custom < 2; custom++)
    {
      server_side (header, parses, custom);
      client_side (header, parses, custom);
    }
  g_free (header);
  return 0;
}
