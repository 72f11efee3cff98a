/* lws-echo-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The libwebsockets baseline for fws-bench.
 *
 * A WebSocket echo server on libwebsockets (Debian's libwebsockets-dev,
 * its own poll() event loop): every message is collected whole, queued,
 * and written back with its type when the connection is writable.  It
 * offers the library's permessage-deflate extension (accepted when a client
 * asks for it, with lws's default parameters) and validates UTF-8 in text
 * messages, as fws-glib and libsoup do.  Same command-line contract as
 * examples/fws-echo-server:
 *
 *   lws-echo-server [--host ADDR] [--port N] [--deflate-level N]
 *
 * --deflate-level sets the zlib level of lws's compressor on every
 * connection that negotiated permessage-deflate (lws's own default is 1).
 *
 * prints exactly one line "listening on http://HOST:PORT/" once it accepts,
 * and exits cleanly on SIGTERM or SIGINT.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>
#include <libwebsockets.h>

typedef struct _Msg Msg;
struct _Msg {
  Msg           *next;
  gsize          len;
  gboolean       binary;
  unsigned char *buf;        /* LWS_PRE bytes of headroom, then the message */
};

typedef struct {
  Msg           *head, *tail;
  unsigned char *rx;         /* LWS_PRE + message so far */
  gsize          rx_len, rx_cap;
  gboolean       rx_binary;
} Pss;

static volatile sig_atomic_t interrupted;
static struct lws_context *context;
static char deflate_level[8];          /* empty: lws's default */

static void
msg_free (Msg *m)
{
  g_free (m->buf);
  g_free (m);
}

static int
callback_echo (struct lws *wsi, enum lws_callback_reasons reason,
               void *user, void *in, size_t len)
{
  Pss *pss = user;

  switch (reason)
    {
    case LWS_CALLBACK_ESTABLISHED:
      memset (pss, 0, sizeof *pss);
      /* lws makes its deflate stream on the first message it sends, so the
       * level set here applies to all of them (fails quietly when the
       * client did not negotiate permessage-deflate). */
      if (deflate_level[0] != '\0')
        lws_set_extension_option (wsi, "permessage-deflate", "compression_level", deflate_level);
      return 0;

    case LWS_CALLBACK_RECEIVE:
      if (lws_is_first_fragment (wsi))
        {
          pss->rx_len = 0;
          pss->rx_binary = lws_frame_is_binary (wsi);
        }
      if (LWS_PRE + pss->rx_len + len > pss->rx_cap)
        {
          pss->rx_cap = MAX (pss->rx_cap * 2, LWS_PRE + pss->rx_len + len);
          pss->rx = g_realloc (pss->rx, pss->rx_cap);
        }
      memcpy (pss->rx + LWS_PRE + pss->rx_len, in, len);
      pss->rx_len += len;
      if (lws_is_final_fragment (wsi))
        {
          Msg *m = g_new0 (Msg, 1);

          /* The message takes the buffer; the next one starts a new one. */
          m->buf = pss->rx;
          m->len = pss->rx_len;
          m->binary = pss->rx_binary;
          pss->rx = NULL;
          pss->rx_len = pss->rx_cap = 0;
          if (pss->tail != NULL)
            pss->tail->next = m;
          else
            pss->head = m;
          pss->tail = m;
          lws_callback_on_writable (wsi);
        }
      return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
      {
        Msg *m = pss->head;
        int n;

        if (m == NULL)
          return 0;
        n = lws_write (wsi, m->buf + LWS_PRE, m->len,
                       m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (n < (int) m->len)
          return -1;
        pss->head = m->next;
        if (pss->head == NULL)
          pss->tail = NULL;
        msg_free (m);
        if (pss->head != NULL)
          lws_callback_on_writable (wsi);
        return 0;
      }

    case LWS_CALLBACK_CLOSED:
      while (pss->head != NULL)
        {
          Msg *m = pss->head;

          pss->head = m->next;
          msg_free (m);
        }
      pss->tail = NULL;
      g_clear_pointer (&pss->rx, g_free);
      return 0;

    default:
      return lws_callback_http_dummy (wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
  { "echo", callback_echo, sizeof (Pss), 0, 0, NULL, 0 },
  { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_extension extensions[] = {
  { "permessage-deflate", lws_extension_callback_pm_deflate,
    "permessage-deflate; client_no_context_takeover; client_max_window_bits" },
  { NULL, NULL, NULL }
};

static void
on_signal (int sig)
{
  interrupted = 1;
  if (context != NULL)
    lws_cancel_service (context);
}

int
main (int argc, char **argv)
{
  char *host = NULL;
  int port = 0;
  int level = -2;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port to listen on (default 0: any free port)", "N" },
    { "deflate-level", 0, 0, G_OPTION_ARG_INT, &level, "zlib level of permessage-deflate, 0 to 9 (default: lws's, 1)", "N" },
    { NULL }
  };
  GOptionContext *octx;
  GError *error = NULL;
  struct lws_context_creation_info info;
  struct lws_vhost *vhost;
  struct rlimit rl;

  octx = g_option_context_new ("- libwebsockets echo server (benchmark baseline)");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "lws-echo-server: %s\n", error->message);
      return 2;
    }
  g_option_context_free (octx);
  if (port < 0 || port > 65535)
    {
      fprintf (stderr, "lws-echo-server: invalid port %d\n", port);
      return 2;
    }
  if (level != -2)
    {
      if (level < 0 || level > 9)
        {
          fprintf (stderr, "lws-echo-server: invalid --deflate-level %d: expected 0 to 9\n", level);
          return 2;
        }
      g_snprintf (deflate_level, sizeof deflate_level, "%d", level);
    }
  /* lws sizes its descriptor table from the soft limit. */
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  lws_set_log_level (LLL_ERR, NULL);
  memset (&info, 0, sizeof info);
  info.port = port;
  info.iface = host ? host : "127.0.0.1";
  info.protocols = protocols;
  info.extensions = extensions;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
  info.gid = -1;
  info.uid = -1;

  context = lws_create_context (&info);
  if (context == NULL)
    {
      fprintf (stderr, "lws-echo-server: cannot create the lws context\n");
      return 1;
    }
  vhost = lws_get_vhost_by_name (context, "default");
  if (vhost == NULL)
    {
      fprintf (stderr, "lws-echo-server: no default vhost\n");
      return 1;
    }
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  printf ("listening on http://%s:%d/\n", info.iface, lws_get_vhost_listen_port (vhost));
  fflush (stdout);

  while (!interrupted)
    if (lws_service (context, 0) < 0)
      break;

  lws_context_destroy (context);
  g_free (host);
  return 0;
}
