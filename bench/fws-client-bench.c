/* fws-client-bench.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Client benchmark of FwsClient against libsoup's client.
 *
 * Both clients talk to bench/raw-echo-server (no WebSocket library, so the
 * server costs little and the same for both), in the same run, rounds
 * interleaved (fws, soup, fws, soup, ...):
 *
 *   a  16-byte text messages, 64 connections, 16 in flight on each;
 *   c  1 MiB binary messages, 4 connections, 1 in flight on each;
 *   p  16-byte text ping-pong on 1 connection.
 *
 * For each it prints messages per second (median, min and max of the
 * rounds, and the fws/soup ratio) and the instructions per message of the
 * client process under callgrind (a run with 2 + N messages on each
 * connection minus a run with 2, divided by the N messages).
 *
 * Every round runs in a fresh child process (this program with --child),
 * so callgrind and the CPU time see the client alone.  The client code is
 * what an application would write: FwsClient and fws_web_socket_send() on
 * one side, soup_session_websocket_connect_async() and
 * soup_websocket_connection_send_message() on the other, each echo checked
 * for type and length, small ones for content, 1 MiB ones on a sample.
 *
 *   fws-client-bench [--quick] [--rounds N] [--raw PATH] [--only acp]
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <fws-glib/fws-glib.h>
#include <libsoup/soup.h>

#define LARGE_LEN        (1024 * 1024)
#define SMALL_LEN        16
#define LARGE_SAMPLE     4096
#define LARGE_FULL_EVERY 16
#define CHILD_DEADLINE   300      /* seconds */
#define CALLGRIND_WARM   2        /* messages per connection in both callgrind runs */

typedef struct {
  char        id;
  const char *what;
  gboolean    binary;
  gsize       len;
  guint       conns;
  guint       window;
  guint       cg_msgs;            /* callgrind messages, all connections */
} Scenario;

static const Scenario scenarios[] = {
  { 'a', "16 B text, 64 conns, 16 in flight",        FALSE, SMALL_LEN, 64, 16, 6400 },
  { 'c', "1 MiB binary, 4 conns, 1 in flight",       TRUE,  LARGE_LEN, 4,  1,  40 },
  { 'p', "16 B text ping-pong, 1 conn, 1 in flight", FALSE, SMALL_LEN, 1,  1,  2000 },
};

static const char *client_labels[2] = { "fws-glib", "libsoup" };

/* ------------------------------------------------------------------------ */
/* The child: one client kind, one scenario                                  */

typedef struct _Child Child;

typedef struct {
  Child                   *ch;
  guint                    idx;
  FwsWebSocket            *fws;
  SoupWebsocketConnection *soup;
  guint64                  sent, received;
  gboolean                 open;
} Conn;

struct _Child {
  const Scenario *sc;
  gboolean        use_soup;
  GMainLoop      *loop;
  SoupSession    *session;
  char           *url;
  Conn           *conns;
  guint           n_open;
  guint64         limit;          /* messages per connection; 0: no limit */
  guint64         echoes;
  GBytes         *large;
  gboolean        failed;
  /* timed mode */
  double          warmup, duration;
  guint64         e0;
  double          t0, cpu0;
  double          rate, cpu;
};

static double
now (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

static double
self_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

static void
child_fail (Child *ch, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
child_fail (Child *ch, const char *fmt, ...)
{
  va_list ap;

  if (ch->failed)
    return;
  ch->failed = TRUE;
  va_start (ap, fmt);
  fprintf (stderr, "fws-client-bench (%s): ", ch->use_soup ? "libsoup" : "fws-glib");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  g_main_loop_quit (ch->loop);
}

/* The 16 bytes of message @k on connection @idx: hex digits. */
static void
small_payload (guint idx, guint64 k, char *out)
{
  static const char hex[] = "0123456789abcdef";
  guint64 v = ((guint64) idx << 40) ^ k;
  int i;

  for (i = SMALL_LEN - 1; i >= 0; i--, v >>= 4)
    out[i] = hex[v & 15];
}

static void
conn_send (Conn *c)
{
  Child *ch = c->ch;
  GBytes *bytes;

  if (ch->sc->len == LARGE_LEN)
    bytes = g_bytes_ref (ch->large);
  else
    {
      char buf[SMALL_LEN];

      small_payload (c->idx, c->sent, buf);
      bytes = g_bytes_new (buf, SMALL_LEN);
    }
  if (ch->use_soup)
    soup_websocket_connection_send_message (c->soup, ch->sc->binary ? SOUP_WEBSOCKET_DATA_BINARY
                                                                    : SOUP_WEBSOCKET_DATA_TEXT, bytes);
  else
    {
      GError *error = NULL;

      if (!fws_web_socket_send (c->fws, ch->sc->binary ? FWS_MESSAGE_TYPE_BINARY : FWS_MESSAGE_TYPE_TEXT,
                                bytes, &error))
        {
          child_fail (ch, "send: %s", error->message);
          g_error_free (error);
        }
    }
  g_bytes_unref (bytes);
  c->sent++;
}

static void
conn_fill (Conn *c)
{
  Child *ch = c->ch;

  while (!ch->failed && c->sent - c->received < ch->sc->window
         && (ch->limit == 0 || c->sent < ch->limit))
    conn_send (c);
}

static gboolean
all_done (Child *ch)
{
  return ch->limit > 0 && ch->echoes >= ch->limit * ch->sc->conns;
}

static void start_timed (Child *ch);

static void
conn_opened (Conn *c)
{
  Child *ch = c->ch;
  guint i;

  c->open = TRUE;
  if (++ch->n_open < ch->sc->conns)
    return;
  /* All open: the callgrind run without messages ends here. */
  if (ch->duration <= 0 && ch->limit == 0)
    {
      g_main_loop_quit (ch->loop);
      return;
    }
  /* The warm-up and the measured window start once every connection is
   * open: how long a client takes to connect is not what is measured. */
  if (ch->duration > 0)
    start_timed (ch);
  for (i = 0; i < ch->sc->conns; i++)
    conn_fill (&ch->conns[i]);
}

static void
conn_message (Conn *c, gboolean binary, GBytes *data)
{
  Child *ch = c->ch;
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);

  if (binary != ch->sc->binary || len != ch->sc->len)
    {
      child_fail (ch, "echo of type %s and %" G_GSIZE_FORMAT " bytes on connection %u",
                  binary ? "binary" : "text", len, c->idx);
      return;
    }
  if (len == LARGE_LEN)
    {
      gsize check = c->received % LARGE_FULL_EVERY == 0 ? LARGE_LEN : LARGE_SAMPLE;

      if (memcmp (p, g_bytes_get_data (ch->large, NULL), check) != 0)
        {
          child_fail (ch, "wrong binary echo on connection %u", c->idx);
          return;
        }
    }
  else
    {
      char want[SMALL_LEN];

      small_payload (c->idx, c->received, want);
      if (memcmp (p, want, SMALL_LEN) != 0)
        {
          child_fail (ch, "wrong text echo on connection %u", c->idx);
          return;
        }
    }
  c->received++;
  ch->echoes++;
  if (all_done (ch))
    {
      g_main_loop_quit (ch->loop);
      return;
    }
  conn_fill (c);
}

/* FwsClient */

static void
fws_on_open (FwsWebSocket *ws, Conn *c)
{
  conn_opened (c);
}

static void
fws_on_message (FwsWebSocket *ws, FwsMessageType type, GBytes *data, Conn *c)
{
  conn_message (c, type == FWS_MESSAGE_TYPE_BINARY, data);
}

static void
fws_on_close (FwsWebSocket *ws, guint code, const char *reason, Conn *c)
{
  child_fail (c->ch, "connection %u closed (%u %s)", c->idx, code, reason ? reason : "");
}

static void
fws_on_error (FwsWebSocket *ws, GError *error, Conn *c)
{
  child_fail (c->ch, "connection %u: %s", c->idx, error->message);
}

/* libsoup */

static void
soup_on_message (SoupWebsocketConnection *conn, gint type, GBytes *data, Conn *c)
{
  conn_message (c, type == SOUP_WEBSOCKET_DATA_BINARY, data);
}

static void
soup_on_closed (SoupWebsocketConnection *conn, Conn *c)
{
  child_fail (c->ch, "connection %u closed", c->idx);
}

static void
soup_on_error (SoupWebsocketConnection *conn, GError *error, Conn *c)
{
  child_fail (c->ch, "connection %u: %s", c->idx, error->message);
}

static void
soup_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Conn *c = user_data;
  GError *error = NULL;

  c->soup = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (c->soup == NULL)
    {
      child_fail (c->ch, "connect: %s", error->message);
      g_error_free (error);
      return;
    }
  /* libsoup refuses messages over 128 KiB unless told otherwise. */
  soup_websocket_connection_set_max_incoming_payload_size (c->soup, 0);
  g_signal_connect (c->soup, "message", G_CALLBACK (soup_on_message), c);
  g_signal_connect (c->soup, "closed", G_CALLBACK (soup_on_closed), c);
  g_signal_connect (c->soup, "error", G_CALLBACK (soup_on_error), c);
  conn_opened (c);
}

static gboolean
on_warm (gpointer user_data)
{
  Child *ch = user_data;

  ch->e0 = ch->echoes;
  ch->t0 = now ();
  ch->cpu0 = self_cpu ();
  return G_SOURCE_REMOVE;
}

static gboolean
on_measured (gpointer user_data)
{
  Child *ch = user_data;
  double t1 = now ();

  ch->rate = (double) (ch->echoes - ch->e0) / (t1 - ch->t0);
  ch->cpu = (self_cpu () - ch->cpu0) / (t1 - ch->t0);
  g_main_loop_quit (ch->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_deadline (gpointer user_data)
{
  child_fail (user_data, "deadline of %d s passed", CHILD_DEADLINE);
  return G_SOURCE_REMOVE;
}

static void
start_timed (Child *ch)
{
  g_timeout_add ((guint) (ch->warmup * 1000), on_warm, ch);
  g_timeout_add ((guint) ((ch->warmup + ch->duration) * 1000), on_measured, ch);
}

static int
run_child (const char *kind, char id, int port, guint64 per_conn, double warmup, double duration)
{
  Child ch = { 0 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (scenarios); i++)
    if (scenarios[i].id == id)
      ch.sc = &scenarios[i];
  if (ch.sc == NULL || port <= 0)
    {
      fprintf (stderr, "fws-client-bench: bad --child arguments\n");
      return 2;
    }
  ch.use_soup = strcmp (kind, "soup") == 0;
  ch.loop = g_main_loop_new (NULL, FALSE);
  ch.url = g_strdup_printf ("ws://127.0.0.1:%d/", port);
  ch.limit = per_conn;
  ch.warmup = warmup;
  ch.duration = duration;
  ch.conns = g_new0 (Conn, ch.sc->conns);
  if (ch.sc->len == LARGE_LEN)
    {
      guint8 *p = g_malloc (LARGE_LEN);

      for (i = 0; i < LARGE_LEN; i += 4)
        {
          guint32 r = g_random_int ();
          memcpy (p + i, &r, 4);
        }
      ch.large = g_bytes_new_take (p, LARGE_LEN);
    }
  if (ch.use_soup)
    ch.session = soup_session_new_with_options ("max-conns", 1000, "max-conns-per-host", 1000, NULL);

  for (i = 0; i < ch.sc->conns; i++)
    {
      Conn *c = &ch.conns[i];

      c->ch = &ch;
      c->idx = i;
      if (ch.use_soup)
        {
          SoupMessage *msg = soup_message_new ("GET", ch.url);

          soup_session_websocket_connect_async (ch.session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                                NULL, soup_connected, c);
          g_object_unref (msg);
        }
      else
        {
          GError *error = NULL;

          c->fws = FWS_WEB_SOCKET (fws_client_new (ch.url, NULL, &error));
          if (c->fws == NULL)
            {
              fprintf (stderr, "fws-client-bench: %s\n", error->message);
              return 1;
            }
          g_signal_connect (c->fws, "open", G_CALLBACK (fws_on_open), c);
          g_signal_connect (c->fws, "message", G_CALLBACK (fws_on_message), c);
          g_signal_connect (c->fws, "close", G_CALLBACK (fws_on_close), c);
          g_signal_connect (c->fws, "error", G_CALLBACK (fws_on_error), c);
        }
    }
  g_timeout_add_seconds (CHILD_DEADLINE, on_deadline, &ch);
  g_main_loop_run (ch.loop);

  if (ch.failed)
    return 1;
  if (duration > 0)
    printf ("result %.3f %.3f\n", ch.rate, ch.cpu);
  else
    printf ("done %" G_GUINT64_FORMAT "\n", ch.echoes);
  fflush (stdout);
  /* Exit without closing: every run ends the same way, and the run without
   * messages is subtracted. */
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The parent: servers, children, table                                      */

typedef struct {
  GSubprocess *proc;
  int          port;
} Server;

static char *
read_line (GSubprocess *proc, GDataInputStream **in)
{
  if (*in == NULL)
    *in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  return g_data_input_stream_read_line_utf8 (*in, NULL, NULL, NULL);
}

static gboolean
server_start (const char *path, Server *srv)
{
  GError *error = NULL;
  GDataInputStream *in = NULL;
  char *line, *colon;

  srv->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                path, "--host", "127.0.0.1", "--port", "0", NULL);
  if (srv->proc == NULL)
    {
      fprintf (stderr, "fws-client-bench: %s\n", error->message);
      g_error_free (error);
      return FALSE;
    }
  line = read_line (srv->proc, &in);
  g_object_unref (in);
  colon = line ? strrchr (line, ':') : NULL;
  srv->port = colon ? atoi (colon + 1) : 0;
  if (!g_str_has_prefix (line ? line : "", "listening on http://") || srv->port <= 0)
    {
      fprintf (stderr, "fws-client-bench: %s printed '%s'\n", path, line ? line : "(nothing)");
      g_free (line);
      g_subprocess_force_exit (srv->proc);
      g_clear_object (&srv->proc);
      return FALSE;
    }
  g_free (line);
  return TRUE;
}

static void
server_stop (Server *srv)
{
  if (srv->proc == NULL)
    return;
  g_subprocess_send_signal (srv->proc, SIGTERM);
  g_subprocess_wait (srv->proc, NULL, NULL);
  g_clear_object (&srv->proc);
}

/* Run this program as a child; returns its last stdout line or NULL. */
static char *
run_child_process (const char *self, const char *callgrind_out, int kind, char id, int port,
                   guint64 per_conn, double warmup, double duration)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GSubprocess *proc;
  GDataInputStream *in = NULL;
  GError *error = NULL;
  char *line, *last = NULL;

  if (callgrind_out != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("valgrind"));
      g_ptr_array_add (argv, g_strdup ("--tool=callgrind"));
      g_ptr_array_add (argv, g_strdup ("-q"));
      g_ptr_array_add (argv, g_strdup_printf ("--callgrind-out-file=%s", callgrind_out));
    }
  g_ptr_array_add (argv, g_strdup (self));
  g_ptr_array_add (argv, g_strdup ("--child"));
  g_ptr_array_add (argv, g_strdup (kind == 0 ? "fws" : "soup"));
  g_ptr_array_add (argv, g_strdup_printf ("--scenario=%c", id));
  g_ptr_array_add (argv, g_strdup_printf ("--port=%d", port));
  g_ptr_array_add (argv, g_strdup_printf ("--msgs=%" G_GUINT64_FORMAT, per_conn));
  g_ptr_array_add (argv, g_strdup_printf ("--warmup=%g", warmup));
  g_ptr_array_add (argv, g_strdup_printf ("--duration=%g", duration));
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_ptr_array_unref (argv);
  if (proc == NULL)
    {
      fprintf (stderr, "fws-client-bench: %s\n", error->message);
      g_error_free (error);
      return NULL;
    }
  while ((line = read_line (proc, &in)) != NULL)
    {
      g_free (last);
      last = line;
    }
  g_object_unref (in);
  g_subprocess_wait (proc, NULL, NULL);
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0)
    g_clear_pointer (&last, g_free);
  g_object_unref (proc);
  return last;
}

static gboolean
callgrind_total (const char *file, double *ir)
{
  char *text = NULL;
  const char *p;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return FALSE;
  p = strstr (text, "\ntotals:");
  if (p == NULL)
    p = strstr (text, "\nsummary:");
  if (p != NULL)
    *ir = g_ascii_strtod (strchr (p, ':') + 1, NULL);
  g_free (text);
  return p != NULL;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
median (GArray *v)
{
  double *s, m;

  if (v->len == 0)
    return -1;
  s = g_memdup2 (v->data, v->len * sizeof (double));
  qsort (s, v->len, sizeof (double), cmp_double);
  m = v->len % 2 ? s[v->len / 2] : (s[v->len / 2 - 1] + s[v->len / 2]) / 2;
  g_free (s);
  return m;
}

static char *
default_path (const char *relative)
{
  char *self = g_file_read_link ("/proc/self/exe", NULL);
  char *dir, *path;

  if (self == NULL)
    return g_strdup (relative);
  dir = g_path_get_dirname (self);
  path = g_build_filename (dir, relative, NULL);
  g_free (dir);
  g_free (self);
  return path;
}

int
main (int argc, char **argv)
{
  char *child = NULL, *raw_path = NULL, *only = NULL, *scen = NULL;
  int port = 0, rounds = 0;
  gint64 msgs = 0;
  double warmup = -1, duration = -1, cg_scale = 0;
  gboolean quick = FALSE, no_callgrind = FALSE;
  GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_FILENAME, &raw_path, "raw-echo-server to run (default: next to this program)", "PATH" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Interleaved rounds per scenario (default 3; --quick 2)", "N" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Short run: 1 s per round, a quarter of the callgrind messages", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Scenarios to run, as letters (default acp)", "LETTERS" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "Measured seconds per round (default 2; --quick 1)", "S" },
    { "callgrind-scale", 0, 0, G_OPTION_ARG_DOUBLE, &cg_scale, "Multiply the messages of each callgrind run (default 1; --quick 0.25)", "F" },
    { "no-callgrind", 0, 0, G_OPTION_ARG_NONE, &no_callgrind, "Skip the callgrind runs", NULL },
    { "child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &child, "Run one client: fws or soup", "KIND" },
    { "scenario", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &scen, "Child: scenario letter", "X" },
    { "port", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &port, "Child: server port", "N" },
    { "msgs", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &msgs, "Child: messages per connection (0: none)", "N" },
    { "warmup", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE, &warmup, "Child: warm-up seconds", "S" },
    { NULL }
  };
  GOptionContext *octx;
  GError *error = NULL;
  char *self, *dir;
  GArray *rates[G_N_ELEMENTS (scenarios)][2];
  double ir[G_N_ELEMENTS (scenarios)][2];
  gboolean any_error = FALSE;
  double t_start;
  guint i;
  int k, round;

  octx = g_option_context_new ("- client benchmark: FwsClient against libsoup's WebSocket client");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "fws-client-bench: %s\n", error->message);
      return 2;
    }
  g_option_context_free (octx);

  if (child != NULL)
    return run_child (child, scen ? scen[0] : '?', port, (guint64) MAX (msgs, 0),
                      MAX (warmup, 0), MAX (duration, 0));

  t_start = now ();
  if (only == NULL)
    only = g_strdup ("acp");
  if (rounds <= 0)
    rounds = quick ? 2 : 3;
  if (duration <= 0)
    duration = quick ? 1.0 : 2.0;
  warmup = quick ? 0.25 : 0.5;
  if (cg_scale <= 0)
    cg_scale = quick ? 0.25 : 1.0;
  if (raw_path == NULL)
    raw_path = default_path ("raw-echo-server");
  if (!no_callgrind && !g_file_test ("/usr/bin/valgrind", G_FILE_TEST_IS_EXECUTABLE))
    {
      printf ("note: valgrind not found: no callgrind counts\n");
      no_callgrind = TRUE;
    }
  self = g_file_read_link ("/proc/self/exe", NULL);
  dir = g_dir_make_tmp ("fws-client-bench-XXXXXX", &error);
  if (self == NULL || dir == NULL)
    {
      fprintf (stderr, "fws-client-bench: cannot find myself or make a directory\n");
      return 1;
    }
  printf ("fws-client-bench: FwsClient (fws-glib %s) against libsoup %u.%u.%u's client, both\n"
          "talking to %s; %d interleaved round(s), %.2g s measured after %.2g s warm-up;\n"
          "callgrind output in %s\n\n",
          FWS_VERSION_S, soup_get_major_version (), soup_get_minor_version (),
          soup_get_micro_version (), raw_path, rounds, duration, warmup, dir);
  fflush (stdout);

  for (i = 0; i < G_N_ELEMENTS (scenarios); i++)
    for (k = 0; k < 2; k++)
      {
        rates[i][k] = g_array_new (FALSE, FALSE, sizeof (double));
        ir[i][k] = -1;
      }

  for (i = 0; i < G_N_ELEMENTS (scenarios); i++)
    {
      const Scenario *sc = &scenarios[i];

      if (strchr (only, sc->id) == NULL)
        continue;
      for (round = 1; round <= rounds; round++)
        for (k = 0; k < 2; k++)
          {
            Server srv;
            char *line;
            double rate = -1, cpu = -1;

            if (!server_start (raw_path, &srv))
              return 1;
            line = run_child_process (self, NULL, k, sc->id, srv.port, 0, warmup, duration);
            server_stop (&srv);
            if (line == NULL || sscanf (line, "result %lf %lf", &rate, &cpu) != 2)
              {
                printf ("  round %d/%d  %-9s %c: %-42s FAILED\n", round, rounds, client_labels[k],
                        sc->id, sc->what);
                any_error = TRUE;
              }
            else
              {
                printf ("  round %d/%d  %-9s %c: %-42s %10.0f msg/s  (client %.0f%% CPU)\n", round, rounds,
                        client_labels[k], sc->id, sc->what, rate, cpu * 100);
                g_array_append_val (rates[i][k], rate);
              }
            fflush (stdout);
            g_free (line);
          }
    }

  if (!no_callgrind)
    {
      printf ("\ncallgrind: the client process; a run with %d + N messages per connection minus\n"
              "a run with %d (start-up, handshakes, first messages, exit), divided by N\n",
              CALLGRIND_WARM, CALLGRIND_WARM);
      for (i = 0; i < G_N_ELEMENTS (scenarios); i++)
        {
          const Scenario *sc = &scenarios[i];
          guint64 per_conn = MAX (1, (guint64) (sc->cg_msgs * cg_scale) / sc->conns);

          if (strchr (only, sc->id) == NULL)
            continue;
          for (k = 0; k < 2; k++)
            {
              double v[2] = { -1, -1 };
              int run;

              for (run = 0; run < 2; run++)
                {
                  Server srv;
                  char *file = g_strdup_printf ("%s/callgrind.%s.%c.%d.out", dir, client_labels[k], sc->id, run);
                  char *line;

                  if (!server_start (raw_path, &srv))
                    return 1;
                  line = run_child_process (self, file, k, sc->id, srv.port,
                                            CALLGRIND_WARM + (run ? per_conn : 0), 0, 0);
                  server_stop (&srv);
                  if (line == NULL || !callgrind_total (file, &v[run]))
                    v[run] = -1;
                  g_free (line);
                  g_free (file);
                }
              if (v[0] < 0 || v[1] < 0)
                {
                  printf ("  %-9s %c: FAILED\n", client_labels[k], sc->id);
                  any_error = TRUE;
                  continue;
                }
              ir[i][k] = (v[1] - v[0]) / (double) (per_conn * sc->conns);
              printf ("  %-9s %c: %-42s %10.0f Ir/msg  (%" G_GUINT64_FORMAT " messages)\n",
                      client_labels[k], sc->id, sc->what, ir[i][k], per_conn * sc->conns);
              fflush (stdout);
            }
        }
    }

  printf ("\n==== client results: msg/s median [min-max] of rounds; Ir per message (lower is better) ====\n");
  printf ("  %-46s %-26s %-26s %8s %10s %10s %9s\n", "scenario", "fws-glib msg/s", "libsoup msg/s", "fws/soup",
          "fws Ir", "soup Ir", "soup/fws");
  for (i = 0; i < G_N_ELEMENTS (scenarios); i++)
    {
      const Scenario *sc = &scenarios[i];
      char cell[2][64], ratio[16] = "-", irc[2][32], irr[16] = "-";

      if (strchr (only, sc->id) == NULL)
        continue;
      for (k = 0; k < 2; k++)
        {
          GArray *v = rates[i][k];
          double lo = G_MAXDOUBLE, hi = 0;
          guint j;

          for (j = 0; j < v->len; j++)
            {
              lo = MIN (lo, g_array_index (v, double, j));
              hi = MAX (hi, g_array_index (v, double, j));
            }
          if (v->len == 0)
            g_strlcpy (cell[k], "FAILED", sizeof cell[k]);
          else
            g_snprintf (cell[k], sizeof cell[k], "%.0f [%.0f-%.0f]", median (v), lo, hi);
          if (ir[i][k] >= 0)
            g_snprintf (irc[k], sizeof irc[k], "%.0f", ir[i][k]);
          else
            g_strlcpy (irc[k], "-", sizeof irc[k]);
        }
      if (rates[i][0]->len > 0 && rates[i][1]->len > 0)
        g_snprintf (ratio, sizeof ratio, "%.2fx", median (rates[i][0]) / median (rates[i][1]));
      if (ir[i][0] > 0 && ir[i][1] >= 0)
        g_snprintf (irr, sizeof irr, "%.2fx", ir[i][1] / ir[i][0]);
      printf ("  %c: %-43s %-26s %-26s %8s %10s %10s %9s\n", sc->id, sc->what, cell[0], cell[1], ratio,
              irc[0], irc[1], irr);
    }
  printf ("total time %.0f s\n", now () - t_start);

  for (i = 0; i < G_N_ELEMENTS (scenarios); i++)
    for (k = 0; k < 2; k++)
      g_array_unref (rates[i][k]);
  g_free (self);
  g_free (dir);
  g_free (raw_path);
  g_free (only);
  return any_error ? 1 : 0;
}
