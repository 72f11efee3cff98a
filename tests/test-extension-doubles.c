/* test-extension-doubles.c — SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-extension-doubles.h"

#include <stdarg.h>
#include <string.h>

/* ---- The session ---- */

#define TEST_TYPE_SESSION (test_session_get_type ())
G_DECLARE_FINAL_TYPE (TestSession, test_session, TEST, SESSION, GObject)

struct _TestSession
{
  GObject  parent_instance;
  TestExt *ext;
};

static void test_session_iface_init (FwsExtensionSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestSession, test_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FWS_TYPE_EXTENSION_SESSION, test_session_iface_init))

static void
log_event (TestExt    *ext,
           const char *event)
{
  if (ext->log != NULL)
    g_ptr_array_add (ext->log, g_strdup_printf ("%s:%s", ext->name, event));
}

static FwsExtensionParams **
session_generate_offer (FwsExtensionSession  *session,
                        GError              **error)
{
  TestExt *ext = TEST_SESSION (session)->ext;
  FwsExtensionParams **offers;
  guint i;

  ext->n_offers_generated++;
  if (ext->offers == NULL)
    return NULL;
  offers = g_new0 (FwsExtensionParams *, ext->offers->len + 1);
  for (i = 0; i < ext->offers->len; i++)
    offers[i] = fws_extension_params_ref (ext->offers->pdata[i]);
  return offers;
}

static gboolean
session_activate (FwsExtensionSession  *session,
                  FwsExtensionParams   *params,
                  GError              **error)
{
  TestExt *ext = TEST_SESSION (session)->ext;

  log_event (ext, "activate");
  g_clear_pointer (&ext->activated, fws_extension_params_unref);
  ext->activated = fws_extension_params_ref (params);
  return !ext->refuse_activation;
}

static FwsExtensionParams *
session_generate_response (FwsExtensionSession *session)
{
  TestExt *ext = TEST_SESSION (session)->ext;

  ext->n_responses_generated++;
  return ext->response ? fws_extension_params_ref (ext->response) : fws_extension_params_new ();
}

static void
reverse_data (FwsExtensionMessage *message)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (fws_extension_message_get_data (message), &len);
  guint8 *out = g_malloc (len + 1);
  g_autoptr(GBytes) reversed = NULL;

  for (gsize i = 0; i < len; i++)
    out[i] = data[len - 1 - i];
  reversed = g_bytes_new_take (out, len);
  fws_extension_message_set_data (message, reversed);
}

static gboolean
session_process_incoming (FwsExtensionSession  *session,
                          FwsExtensionMessage  *message,
                          GError              **error)
{
  TestExt *ext = TEST_SESSION (session)->ext;
  FwsReservedBits rsv = fws_extension_message_get_rsv (message);

  log_event (ext, "in");
  if (ext->fail_incoming)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_FAILED, "boom");
      return FALSE;
    }
  if (ext->reverse && (rsv & ext->rsv) != 0)
    {
      reverse_data (message);
      fws_extension_message_set_rsv (message, rsv & ~ext->rsv);
    }
  return TRUE;
}

static gboolean
session_process_outgoing (FwsExtensionSession  *session,
                          FwsExtensionMessage  *message,
                          GError              **error)
{
  TestExt *ext = TEST_SESSION (session)->ext;

  log_event (ext, "out");
  if (ext->fail_outgoing)
    {
      g_set_error_literal (error, FWS_ERROR, FWS_ERROR_FAILED, "boom");
      return FALSE;
    }
  if (ext->reverse)
    {
      reverse_data (message);
      fws_extension_message_set_rsv (message, fws_extension_message_get_rsv (message) | ext->rsv);
    }
  return TRUE;
}

static void
session_close (FwsExtensionSession *session)
{
  TEST_SESSION (session)->ext->n_closed++;
}

static void
test_session_iface_init (FwsExtensionSessionInterface *iface)
{
  iface->generate_offer = session_generate_offer;
  iface->activate = session_activate;
  iface->generate_response = session_generate_response;
  iface->process_incoming_message = session_process_incoming;
  iface->process_outgoing_message = session_process_outgoing;
  iface->close = session_close;
}

static void
test_session_finalize (GObject *object)
{
  g_clear_object (&TEST_SESSION (object)->ext);
  G_OBJECT_CLASS (test_session_parent_class)->finalize (object);
}

static void
test_session_class_init (TestSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_session_finalize;
}

static void
test_session_init (TestSession *self)
{
}

static FwsExtensionSession *
session_new (TestExt *ext)
{
  TestSession *session = g_object_new (TEST_TYPE_SESSION, NULL);

  session->ext = g_object_ref (ext);
  return FWS_EXTENSION_SESSION (session);
}

/* ---- The extension ---- */

static const char *
ext_get_name (FwsExtension *extension)
{
  return TEST_EXT (extension)->name;
}

static FwsReservedBits
ext_get_rsv (FwsExtension *extension)
{
  return TEST_EXT (extension)->rsv;
}

static FwsExtensionSession *
ext_create_client_session (FwsExtension *extension)
{
  TestExt *ext = TEST_EXT (extension);

  ext->n_client_sessions++;
  return ext->no_client_session ? NULL : session_new (ext);
}

static FwsExtensionSession *
ext_create_server_session (FwsExtension *extension,
                           GList        *offers)
{
  TestExt *ext = TEST_EXT (extension);

  ext->n_server_sessions++;
  g_ptr_array_set_size (ext->server_offers, 0);
  for (GList *l = offers; l != NULL; l = l->next)
    g_ptr_array_add (ext->server_offers, fws_extension_params_ref (l->data));
  return ext->no_server_session ? NULL : session_new (ext);
}

static void
test_ext_iface_init (FwsExtensionInterface *iface)
{
  iface->get_name = ext_get_name;
  iface->get_rsv = ext_get_rsv;
  iface->create_client_session = ext_create_client_session;
  iface->create_server_session = ext_create_server_session;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestExt, test_ext, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (FWS_TYPE_EXTENSION, test_ext_iface_init))

static void
test_ext_finalize (GObject *object)
{
  TestExt *self = TEST_EXT (object);

  g_free (self->name);
  g_clear_pointer (&self->offers, g_ptr_array_unref);
  g_clear_pointer (&self->response, fws_extension_params_unref);
  g_clear_pointer (&self->server_offers, g_ptr_array_unref);
  g_clear_pointer (&self->activated, fws_extension_params_unref);
  G_OBJECT_CLASS (test_ext_parent_class)->finalize (object);
}

static void
test_ext_class_init (TestExtClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_ext_finalize;
}

static void
test_ext_init (TestExt *self)
{
  self->server_offers = g_ptr_array_new_with_free_func ((GDestroyNotify) fws_extension_params_unref);
}

TestExt *
test_ext_new (const char      *name,
              FwsReservedBits  rsv,
              GPtrArray       *log)
{
  TestExt *ext = g_object_new (TEST_TYPE_EXT, NULL);

  ext->name = g_strdup (name);
  ext->rsv = rsv;
  ext->log = log;
  return ext;
}

static FwsExtensionParams *
params_from_va (const char *first_key,
                va_list     args)
{
  FwsExtensionParams *params = fws_extension_params_new ();

  for (const char *kv = first_key; kv != NULL; kv = va_arg (args, const char *))
    {
      const char *eq = strchr (kv, '=');

      if (eq == NULL)
        fws_extension_params_add_flag (params, kv);
      else
        {
          g_autofree char *key = g_strndup (kv, eq - kv);

          fws_extension_params_add_string (params, key, eq + 1);
        }
    }
  return params;
}

void
test_ext_add_offer (TestExt    *ext,
                    const char *first_key,
                    ...)
{
  va_list args;

  if (ext->offers == NULL)
    ext->offers = g_ptr_array_new_with_free_func ((GDestroyNotify) fws_extension_params_unref);
  va_start (args, first_key);
  g_ptr_array_add (ext->offers, params_from_va (first_key, args));
  va_end (args);
}

void
test_ext_set_response (TestExt    *ext,
                       const char *first_key,
                       ...)
{
  va_list args;

  g_clear_pointer (&ext->response, fws_extension_params_unref);
  va_start (args, first_key);
  ext->response = params_from_va (first_key, args);
  va_end (args);
}

char *
test_params_describe (FwsExtensionParams *params)
{
  GString *out = g_string_new ("{");

  for (guint i = 0; i < fws_extension_params_get_length (params); i++)
    {
      g_autofree char *value = g_variant_print (fws_extension_params_get_value (params, i), TRUE);

      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_printf (out, "%s: %s", fws_extension_params_get_key (params, i), value);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}
