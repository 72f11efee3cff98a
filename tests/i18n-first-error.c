/* i18n-first-error.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built by check-installed-i18n.sh against an installed fws-glib: prints
 * the first error the library raises after start-up (fws_client_new() with
 * a URL that is not ws:// or wss://, before any class of the library was
 * initialised), then a later one (a close code out of range).
 */
#include <fws-glib/fws-glib.h>
#include <locale.h>

int
main (void)
{
  g_autoptr(GError) first = NULL;
  g_autoptr(GError) later = NULL;
  g_autoptr(FwsClient) client = NULL;
  g_autoptr(FwsWebSocket) ws = NULL;

  setlocale (LC_ALL, "");
  client = fws_client_new ("http://127.0.0.1/", NULL, &first);
  if (client != NULL || first == NULL)
    return 1;
  ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  if (fws_web_socket_close (ws, 1234, NULL, &later) || later == NULL)
    return 1;
  g_print ("%s\n%s\n", first->message, later->message);
  return 0;
}
