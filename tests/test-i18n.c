/* test-i18n.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The library's messages are translated: run with LANGUAGE=de,
 * LC_ALL=C.UTF-8 and FWS_LOCALEDIR pointing at the build's po/ (meson test
 * sets them), a GError message comes from po/de.po.
 */
#include "test-utils.h"

#include <locale.h>

static void
test_first_error (void)
{
  g_autoptr(FwsClient) client = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("The first error after start-up, raised before any class of the library was "
                  "initialised, is translated too");
  client = fws_client_new ("http://127.0.0.1/", NULL, &error);
  g_assert_null (client);
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "http://127.0.0.1/ ist keine gültige WebSocket-URL");
}

static void
test_translated_error (void)
{
  g_autoptr(FwsWebSocket) ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Under LANGUAGE=de, a GError message of the library is its German translation");
  g_assert_false (fws_web_socket_close (ws, 1234, NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "Der Schließcode muss zwischen 1000 und 1003, zwischen 1007 und 1014 oder "
                   "zwischen 3000 und 4999 liegen. 1234 liegt in keinem dieser Bereiche.");
}

static void
test_translated_event_source_error (void)
{
  g_autoptr(FwsEventSource) es = g_object_new (FWS_TYPE_EVENT_SOURCE, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("Under LANGUAGE=de, an FwsEventSource error message is its German translation");
  g_assert_false (fws_event_source_send (es, "data", "bad\nevent", NULL, &error));
  g_assert_error (error, FWS_ERROR, FWS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "Das EventSource-Feld event darf weder CR, LF noch NUL enthalten");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  if (g_strcmp0 (g_getenv ("LANGUAGE"), "de") != 0 || g_getenv ("FWS_LOCALEDIR") == NULL)
    g_error ("run through meson test, which sets LANGUAGE=de and FWS_LOCALEDIR");
  /* First: nothing of the library may have run before it. */
  g_test_add_func ("/i18n/first-error", test_first_error);
  g_test_add_func ("/i18n/translated-error", test_translated_error);
  g_test_add_func ("/i18n/translated-event-source-error", test_translated_event_source_error);

  return g_test_run ();
}
