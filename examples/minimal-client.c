/* minimal-client.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * minimal-client [URL]: sends "hello" to a WebSocket server (default
 * ws://127.0.0.1:8080/), prints the answer and closes; exits 0 after a
 * clean close. echo-client.c is the full example.
 */
#include <fws-glib/fws-glib.h>
#include <locale.h>
#include <stdio.h>

static guint close_code;

static void
on_open (FwsWebSocket *ws, gpointer user_data)
{
  fws_web_socket_send_text (ws, "hello", NULL);
}

static void
on_message (FwsWebSocket *ws, FwsMessageType type, GBytes *data, gpointer user_data)
{
  printf ("%s\n", (const char *) g_bytes_get_data (data, NULL));  /* text ends in a NUL */
  fws_web_socket_close (ws, 1000, NULL, NULL);
}

static void
on_close (FwsWebSocket *ws, guint code, const char *reason, gpointer loop)
{
  close_code = code;
  if (code != 1000)
    g_printerr ("close %u %s\n", code, reason);  /* after an error, the reason says what */
  g_main_loop_quit (loop);
}

int
main (int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsClient) client = NULL;

  setlocale (LC_ALL, "");
  client = fws_client_new (argc > 1 ? argv[1] : "ws://127.0.0.1:8080/", NULL, &error);
  if (client == NULL)
    g_error ("%s", error->message);
  g_signal_connect (client, "open", G_CALLBACK (on_open), NULL);
  g_signal_connect (client, "message", G_CALLBACK (on_message), NULL);
  g_signal_connect (client, "close", G_CALLBACK (on_close), loop);
  g_main_loop_run (loop);
  return close_code == 1000 ? 0 : 1;
}
