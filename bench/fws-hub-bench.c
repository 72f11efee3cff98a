/* fws-hub-bench.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fan-out benchmark: one publisher, many subscribers (10,000 by default).
 *
 * The server side runs in this process: a GSocketService on 127.0.0.1
 * takes the subscribers' TCP connections. The subscribers are one reader
 * process (this program with --reader, spawned without valgrind) that
 * opens the connections, sends each a handshake request, then reads and
 * discards, counting whole frames; it answers the publisher when it has
 * counted the frames asked for, which ends a timed round.
 *
 * Three ways to send the same 32-byte text to every subscriber, in the
 * same run, rounds interleaved:
 *
 *   hub   fws_hub_publish_text () on a topic every FwsWebSocket subscribed to;
 *   fws   a loop of fws_web_socket_send_text () over the FwsWebSocket list;
 *   soup  a loop of soup_websocket_connection_send_text () over libsoup
 *         server connections (SoupWebsocketConnection on the same sockets
 *         after a 101 written here).
 *
 * Then hub and fws again on connections with permessage-deflate (no
 * context takeover on the server side, zlib level 6): the hub compresses
 * each message once for all, the loop once per connection (one message
 * per round: the loop is slow).
 *
 * It prints deliveries per second (median of the rounds: messages times
 * subscribers, from the first send until the reader counted the last
 * frame) and instructions per delivery: the same program under
 * valgrind --tool=callgrind with fewer subscribers and messages, the
 * instructions of each send phase (sends and the main loop flushing them,
 * collection switched on only there) divided by its deliveries.
 *
 * The soup connections and the FwsWebSocket connections do not exist at the
 * same time (both would need 20,000 descriptors here): fws first, then soup.
 * RLIMIT_NOFILE is raised to its hard limit.
 *
 *   fws-hub-bench [--subscribers N] [--messages M] [--rounds R]
 *                 [--cg-subscribers N] [--cg-messages M] [--no-callgrind]
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <fws-glib/fws-glib.h>
#include <libsoup/soup.h>
#include <glib-unix.h>

#ifdef HAVE_CALLGRIND_H
# include <valgrind/callgrind.h>
#else
# define RUNNING_ON_VALGRIND 0
# define CALLGRIND_TOGGLE_COLLECT
# define CALLGRIND_DUMP_STATS_AT(s)
#endif

#define TEXT "fan-out benchmark message 012345"   /* 32 bytes */
#define TOPIC "all"
#define DEADLINE_S 300

static void G_GNUC_NORETURN G_GNUC_PRINTF (1, 2)
die (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fprintf (stderr, "fws-hub-bench: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (1);
}

static void
raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

/* ------------------------------------------------------------------------ */
/* The reader: subscribers that read and discard                            */

typedef struct
{
  int     fd;
  guint8  head_match;    /* how much of "\r\n\r\n" matched */
  guint8  hdr[10];
  guint8  hdr_have;
  guint8  hdr_need;
  guint64 payload_left;
  gboolean in_payload;
} RConn;

static guint64 frames_counted;

static void
reader_feed (RConn *c, const guint8 *p, gsize n)
{
  static const char crlf2[] = "\r\n\r\n";

  while (n > 0)
    {
      if (c->head_match < 4)
        {
          c->head_match = *p == (guint8) crlf2[c->head_match] ? c->head_match + 1 : (*p == '\r' ? 1 : 0);
          p++, n--;
          if (c->head_match == 4)
            c->hdr_need = 2;
          continue;
        }
      if (c->in_payload)
        {
          gsize take = (gsize) MIN ((guint64) n, c->payload_left);

          c->payload_left -= take;
          p += take, n -= take;
          if (c->payload_left == 0)
            {
              c->in_payload = FALSE;
              frames_counted++;
            }
          continue;
        }
      c->hdr[c->hdr_have++] = *p++;
      n--;
      if (c->hdr_have == 2)
        {
          guint len7 = c->hdr[1] & 0x7F;

          c->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
        }
      if (c->hdr_have >= 2 && c->hdr_have == c->hdr_need)
        {
          guint len7 = c->hdr[1] & 0x7F;
          guint64 len = len7;

          if (len7 >= 126)
            {
              len = 0;
              for (guint i = 2; i < c->hdr_need; i++)
                len = len << 8 | c->hdr[i];
            }
          c->hdr_have = 0;
          c->hdr_need = 2;
          if (len == 0)
            frames_counted++;
          else
            {
              c->payload_left = len;
              c->in_payload = TRUE;
            }
        }
    }
}

static const char request_head[] =
  "GET /" TOPIC " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char request_head_deflate[] =
  "GET /" TOPIC " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
  "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

static int
reader_main (int port, int ctrl)
{
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  GPtrArray *conns = g_ptr_array_new ();
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  FILE *ctrl_in = fdopen (dup (ctrl), "r");
  guint64 waiting_for = 0;
  gboolean waiting = FALSE;
  static guint8 buf[1 << 16];

  raise_nofile ();
  epoll_ctl (ep, EPOLL_CTL_ADD, ctrl, &ev);
  setvbuf (ctrl_in, NULL, _IONBF, 0);
  for (;;)
    {
      struct epoll_event events[256];
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), -1);
      gboolean dropped = FALSE;

      if (n < 0 && errno == EINTR)
        continue;
      for (int i = 0; i < n; i++)
        {
          RConn *c = events[i].data.ptr;

          if (dropped)
            break;   /* the other events of this batch are of freed conns */
          if (c == NULL)
            {
              char line[64];
              guint64 arg;

              if (fgets (line, sizeof line, ctrl_in) == NULL)
                return 0;   /* the publisher is gone */
              arg = g_ascii_strtoull (line + 1, NULL, 10);
              if (line[0] == 'C' || line[0] == 'D')
                {
                  const char *req = line[0] == 'D' ? request_head_deflate : request_head;
                  /* Connect @arg subscribers, each with its request. */
                  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((guint16) port) };

                  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
                  for (guint64 k = 0; k < arg; k++)
                    {
                      RConn *rc = g_new0 (RConn, 1);
                      struct epoll_event cev = { .events = EPOLLIN, .data.ptr = rc };

                      rc->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                      if (rc->fd < 0 || connect (rc->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                        die ("reader: connect: %s", g_strerror (errno));
                      if (write (rc->fd, req, strlen (req)) != (ssize_t) strlen (req))
                        die ("reader: write: %s", g_strerror (errno));
                      g_unix_set_fd_nonblocking (rc->fd, TRUE, NULL);
                      epoll_ctl (ep, EPOLL_CTL_ADD, rc->fd, &cev);
                      g_ptr_array_add (conns, rc);
                    }
                  if (write (ctrl, "K\n", 2) != 2)
                    return 1;
                }
              else if (line[0] == 'W')
                {
                  waiting_for = arg;
                  waiting = TRUE;
                }
              else if (line[0] == 'X')
                {
                  /* Drop every subscriber. */
                  for (guint k = 0; k < conns->len; k++)
                    {
                      RConn *rc = g_ptr_array_index (conns, k);

                      close (rc->fd);
                      g_free (rc);
                    }
                  g_ptr_array_set_size (conns, 0);
                  dropped = TRUE;
                  if (write (ctrl, "K\n", 2) != 2)
                    return 1;
                }
              continue;
            }
          for (;;)
            {
              ssize_t r = read (c->fd, buf, sizeof buf);

              if (r > 0)
                {
                  reader_feed (c, buf, (gsize) r);
                  if ((size_t) r < sizeof buf)
                    break;
                  continue;
                }
              if (r < 0 && (errno == EAGAIN || errno == EINTR))
                break;
              epoll_ctl (ep, EPOLL_CTL_DEL, c->fd, NULL);
              break;
            }
        }
      if (waiting && frames_counted >= waiting_for)
        {
          waiting = FALSE;
          if (write (ctrl, "K\n", 2) != 2)
            return 1;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The publisher                                                            */

typedef enum { MODE_FWS, MODE_FWS_DEFLATE, MODE_SOUP } Mode;

typedef struct
{
  GSocketService *service;
  int             port;
  Mode            mode;
  FwsHub         *hub;
  GPtrArray      *fws;       /* of FwsWebSocket */
  GPtrArray      *soup;      /* of SoupWebsocketConnection */
  guint           fws_open;
  guint           fws_closed;
  int             ctrl;
  gboolean        acked;
  guint64         frames_expected;
  GUri           *uri;
  FwsPermessageDeflate *deflate;  /* no context takeover on the server side */
} Bench;

static Bench B;

static gboolean
ctrl_cb (int fd, GIOCondition cond, gpointer user_data)
{
  char buf[64];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n <= 0)
    die ("the reader is gone");
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == 'K')
      B.acked = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
wait_until (gboolean *flag, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        die ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
reader_command (const char *cmd)
{
  B.acked = FALSE;
  if (write (B.ctrl, cmd, strlen (cmd)) != (ssize_t) strlen (cmd))
    die ("cannot write to the reader");
}

static void
ws_open_cb (FwsWebSocket *ws, gpointer user_data)
{
  B.fws_open++;
}

static void
ws_close_cb (FwsWebSocket *ws, guint code, const char *reason, gpointer user_data)
{
  B.fws_closed++;
}

static void
request_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FwsRequest) request = fws_request_read_finish (result, &error);
  FwsWebSocket *ws;

  if (request == NULL)
    die ("request: %s", error->message);
  ws = g_object_new (FWS_TYPE_WEB_SOCKET, NULL);
  if (B.mode == MODE_FWS_DEFLATE)
    fws_web_socket_add_extension (ws, FWS_EXTENSION (B.deflate), NULL);
  if (!fws_web_socket_accept_request (ws, request, &error))
    die ("accept_request: %s", error->message);
  g_signal_connect (ws, "open", G_CALLBACK (ws_open_cb), NULL);
  g_signal_connect (ws, "close", G_CALLBACK (ws_close_cb), NULL);
  fws_hub_subscribe (B.hub, G_OBJECT (ws), TOPIC);
  g_ptr_array_add (B.fws, ws);
}

static gboolean
incoming_cb (GSocketService *service, GSocketConnection *conn, GObject *source, gpointer user_data)
{
  if (B.mode != MODE_SOUP)
    {
      fws_request_read_async (G_IO_STREAM (conn), 30000, NULL, request_cb, NULL);
      return TRUE;
    }
  else
    {
      /* libsoup has no server handshake on a bare stream: the head is read
       * and a 101 written here, then the stream is libsoup's. */
      static const char response[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n\r\n";
      GSocket *socket = g_socket_connection_get_socket (conn);
      GString *head = g_string_new (NULL);
      SoupWebsocketConnection *ws;

      g_socket_set_blocking (socket, TRUE);
      while (strstr (head->str, "\r\n\r\n") == NULL)
        {
          char c;

          /* One byte at a time: nothing past the head is taken. */
          if (g_socket_receive (socket, &c, 1, NULL, NULL) != 1)
            die ("soup: cannot read a request head");
          g_string_append_c (head, c);
        }
      g_string_free (head, TRUE);
      if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                      response, strlen (response), NULL, NULL, NULL))
        die ("soup: cannot write the 101");
      ws = soup_websocket_connection_new (G_IO_STREAM (conn), B.uri, SOUP_WEBSOCKET_CONNECTION_SERVER,
                                          NULL, NULL, NULL);
      g_ptr_array_add (B.soup, ws);
      return TRUE;
    }
}

static void
connect_subscribers (Mode mode, guint n)
{
  char cmd[64];

  B.mode = mode;
  g_snprintf (cmd, sizeof cmd, "%c%u\n", mode == MODE_FWS_DEFLATE ? 'D' : 'C', n);
  reader_command (cmd);
  wait_until (&B.acked, "the reader's connections");
  if (mode != MODE_SOUP)
    {
      gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

      while (B.fws_open < n)
        {
          if (g_get_monotonic_time () > deadline)
            die ("timed out waiting for %u opens (%u)", n, B.fws_open);
          g_main_context_iteration (NULL, TRUE);
        }
      /* The reader counts the 101s as heads, not frames. */
    }
  else
    {
      gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

      while (B.soup->len < n)
        {
          if (g_get_monotonic_time () > deadline)
            die ("timed out waiting for %u soup connections", n);
          g_main_context_iteration (NULL, TRUE);
        }
    }
}

static void
drop_subscribers (void)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  guint n = B.fws->len;

  reader_command ("X\n");
  wait_until (&B.acked, "the reader to drop its connections");
  while (B.fws_closed < n)
    {
      if (g_get_monotonic_time () > deadline)
        die ("timed out waiting for closes");
      g_main_context_iteration (NULL, TRUE);
    }
  g_ptr_array_set_size (B.fws, 0);
  B.fws_open = B.fws_closed = 0;
  for (guint i = 0; i < B.soup->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (B.soup, i);
      GIOStream *stream = soup_websocket_connection_get_io_stream (ws);

      g_io_stream_close (stream, NULL, NULL);
    }
  g_ptr_array_set_size (B.soup, 0);
  /* Let the closes settle. */
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
}

/* Waits until the reader counted every frame sent so far. */
static void
wait_delivered (guint64 frames)
{
  char cmd[64];

  B.frames_expected += frames;
  g_snprintf (cmd, sizeof cmd, "W%" G_GUINT64_FORMAT "\n", B.frames_expected);
  reader_command (cmd);
  wait_until (&B.acked, "the reader to count the frames");
}

/* The send phases: what callgrind measures (and only that). */

static G_GNUC_NO_INLINE void
phase_hub (guint messages)
{
  for (guint m = 0; m < messages; m++)
    fws_hub_publish_text (B.hub, TOPIC, TEXT);
}

static G_GNUC_NO_INLINE void
phase_fws (guint messages)
{
  for (guint m = 0; m < messages; m++)
    for (guint i = 0; i < B.fws->len; i++)
      fws_web_socket_send_text (g_ptr_array_index (B.fws, i), TEXT, NULL);
}

static G_GNUC_NO_INLINE void
phase_soup (guint messages)
{
  for (guint m = 0; m < messages; m++)
    for (guint i = 0; i < B.soup->len; i++)
      soup_websocket_connection_send_text (g_ptr_array_index (B.soup, i), TEXT);
}

/* Runs one phase and returns its seconds, from the first send until every
 * frame was counted. Under callgrind, collects only then and dumps. */
static double
run_phase (const char *name, void (*phase) (guint), guint messages, guint subscribers)
{
  gint64 start, end;

  CALLGRIND_TOGGLE_COLLECT;
  start = g_get_monotonic_time ();
  phase (messages);
  wait_delivered ((guint64) messages * subscribers);
  end = g_get_monotonic_time ();
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_DUMP_STATS_AT (name);
  return (double) (end - start) / G_USEC_PER_SEC;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Ir of each dump of a callgrind run, in dump order. */
static gboolean
callgrind_totals (const char *base, guint64 ir[5])
{
  for (guint d = 0; d < 5; d++)
    {
      g_autofree char *path = g_strdup_printf ("%s.%u", base, d + 1);
      g_autofree char *text = NULL;
      const char *p;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        return FALSE;
      p = strstr (text, "\nsummary:");
      if (p == NULL)
        p = strstr (text, "\ntotals:");
      if (p == NULL)
        return FALSE;
      p = strchr (p, ':') + 1;
      ir[d] = g_ascii_strtoull (p, NULL, 10);
    }
  return TRUE;
}

static int
publisher_main (guint subscribers, guint messages, guint rounds, gboolean print)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) lsock = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) reader = NULL;
  g_autofree char *port_arg = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  int pair[2];
  double *t_hub = g_new0 (double, rounds), *t_fws = g_new0 (double, rounds), *t_soup = g_new0 (double, rounds);
  /* Compressing per connection is slow: one message per round, at most
   * three rounds. */
  guint rounds_z = MIN (rounds, 3);
  double *t_hub_z = g_new0 (double, rounds), *t_fws_z = g_new0 (double, rounds);
  guint64 deliveries = (guint64) subscribers * messages;

  raise_nofile ();
  B.hub = fws_hub_new ();
  B.fws = g_ptr_array_new_with_free_func (g_object_unref);
  B.soup = g_ptr_array_new_with_free_func (g_object_unref);
  B.deflate = g_object_new (FWS_TYPE_PERMESSAGE_DEFLATE, "no-context-takeover", TRUE, NULL);
  B.uri = g_uri_parse ("ws://127.0.0.1/" TOPIC, G_URI_FLAGS_NONE, NULL);

  /* The listening socket: a backlog for 10,000 connects. */
  lsock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  addr = g_inet_socket_address_new (lo, 0);
  g_socket_set_listen_backlog (lsock, 4096);
  if (lsock == NULL || !g_socket_bind (lsock, addr, TRUE, &error) || !g_socket_listen (lsock, &error))
    die ("listen: %s", error->message);
  {
    g_autoptr(GSocketAddress) local = g_socket_get_local_address (lsock, NULL);

    B.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  }
  B.service = g_socket_service_new ();
  g_socket_listener_add_socket (G_SOCKET_LISTENER (B.service), lsock, NULL, &error);
  g_signal_connect (B.service, "incoming", G_CALLBACK (incoming_cb), NULL);
  g_socket_service_start (B.service);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    die ("socketpair: %s", g_strerror (errno));
  B.ctrl = pair[0];
  g_unix_fd_add (B.ctrl, G_IO_IN, ctrl_cb, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, pair[1], 3);
  port_arg = g_strdup_printf ("%d", B.port);
  reader = g_subprocess_launcher_spawn (launcher, &error, self, "--reader", port_arg, NULL);
  if (reader == NULL)
    die ("reader: %s", error->message);

  connect_subscribers (MODE_FWS, subscribers);
  if (fws_hub_get_n_subscribers (B.hub, TOPIC) != subscribers)
    die ("%u subscribers, not %u", fws_hub_get_n_subscribers (B.hub, TOPIC), subscribers);
  /* A warm-up message each way. */
  phase_hub (1);
  wait_delivered (subscribers);
  phase_fws (1);
  wait_delivered (subscribers);
  for (guint r = 0; r < rounds; r++)
    {
      t_hub[r] = run_phase ("hub", phase_hub, messages, subscribers);
      t_fws[r] = run_phase ("fws", phase_fws, messages, subscribers);
    }
  drop_subscribers ();

  /* The same with permessage-deflate, no context takeover on the server
   * side: the hub compresses once per message, the loop once per
   * connection. */
  connect_subscribers (MODE_FWS_DEFLATE, subscribers);
  phase_hub (1);
  wait_delivered (subscribers);
  phase_fws (1);
  wait_delivered (subscribers);
  for (guint r = 0; r < rounds_z; r++)
    {
      t_hub_z[r] = run_phase ("hub-deflate", phase_hub, 1, subscribers);
      t_fws_z[r] = run_phase ("fws-deflate", phase_fws, 1, subscribers);
    }
  drop_subscribers ();

  connect_subscribers (MODE_SOUP, subscribers);
  phase_soup (1);
  wait_delivered (subscribers);
  for (guint r = 0; r < rounds; r++)
    t_soup[r] = run_phase ("soup", phase_soup, messages, subscribers);
  drop_subscribers ();

  if (print)
    {
      double h = median (t_hub, rounds), f = median (t_fws, rounds), s = median (t_soup, rounds);
      double hz = median (t_hub_z, rounds_z), fz = median (t_fws_z, rounds_z);

      printf ("subscribers %u, messages %u per round, %u rounds, %u-byte text\n",
              subscribers, messages, rounds, (guint) strlen (TEXT));
      printf ("%-48s %14.0f deliveries/s\n", "hub: fws_hub_publish_text", (double) deliveries / h);
      printf ("%-48s %14.0f deliveries/s\n", "loop: fws_web_socket_send_text", (double) deliveries / f);
      printf ("%-48s %14.0f deliveries/s\n", "loop: soup_websocket_connection_send_text", (double) deliveries / s);
      printf ("permessage-deflate (no server context takeover), 1 message per round, %u rounds:\n", rounds_z);
      printf ("%-48s %14.0f deliveries/s\n", "hub: fws_hub_publish_text", (double) subscribers / hz);
      printf ("%-48s %14.0f deliveries/s\n", "loop: fws_web_socket_send_text", (double) subscribers / fz);
    }
  /* EOF on its control socket ends the reader. */
  close (B.ctrl);
  g_subprocess_wait (reader, NULL, NULL);
  g_free (t_hub);
  g_free (t_fws);
  g_free (t_soup);
  g_free (t_hub_z);
  g_free (t_fws_z);
  return 0;
}

int
main (int argc, char *argv[])
{
  guint subscribers = 10000, messages = 10, rounds = 5, cg_subscribers = 1000, cg_messages = 5;
  gboolean no_callgrind = FALSE, cg_child = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) ctx = NULL;
  GOptionEntry entries[] = {
    { "subscribers", 0, 0, G_OPTION_ARG_INT, &subscribers, "Subscribers (10,000)", "N" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &messages, "Messages per round (10)", "M" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds (5)", "R" },
    { "cg-subscribers", 0, 0, G_OPTION_ARG_INT, &cg_subscribers, "Subscribers under callgrind (1,000)", "N" },
    { "cg-messages", 0, 0, G_OPTION_ARG_INT, &cg_messages, "Messages under callgrind (5)", "M" },
    { "no-callgrind", 0, 0, G_OPTION_ARG_NONE, &no_callgrind, "Skip the instruction counts", NULL },
    { "cg-child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &cg_child, NULL, NULL },
    { NULL }
  };

  if (argc == 3 && strcmp (argv[1], "--reader") == 0)
    return reader_main (atoi (argv[2]), 3);

  ctx = g_option_context_new ("- one publisher, many subscribers");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    die ("%s", error->message);
  if (subscribers == 0 || messages == 0 || rounds == 0)
    die ("subscribers, messages and rounds must be positive");

  if (cg_child)
    return publisher_main (subscribers, messages, 1, FALSE);

  publisher_main (subscribers, messages, rounds, TRUE);
  fflush (stdout);

  if (!no_callgrind)
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *dir = g_dir_make_tmp ("fws-hub-bench-XXXXXX", NULL);
      g_autofree char *base = g_build_filename (dir, "callgrind.out", NULL);
      g_autofree char *out_arg = g_strdup_printf ("--callgrind-out-file=%s", base);
      g_autofree char *n_arg = g_strdup_printf ("--subscribers=%u", cg_subscribers);
      g_autofree char *m_arg = g_strdup_printf ("--messages=%u", cg_messages);
      const char *argv_cg[] = { "valgrind", "--tool=callgrind", "--collect-atstart=no", out_arg,
                                self, "--cg-child", n_arg, m_arg, NULL };
      g_autoptr(GSubprocess) cg = NULL;
      guint64 ir[5];
      guint64 cg_deliveries = (guint64) cg_subscribers * cg_messages;

      cg = g_subprocess_newv (argv_cg, G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
      if (cg == NULL || !g_subprocess_wait_check (cg, NULL, &error))
        die ("callgrind: %s", error->message);
      if (!callgrind_totals (base, ir))
        die ("no totals in %s.1-5", base);
      printf ("instructions per delivery (callgrind: %u subscribers, %u messages):\n",
              cg_subscribers, cg_messages);
      printf ("%-48s %14.0f\n", "hub: fws_hub_publish_text", (double) ir[0] / cg_deliveries);
      printf ("%-48s %14.0f\n", "loop: fws_web_socket_send_text", (double) ir[1] / cg_deliveries);
      printf ("%-48s %14.0f\n", "loop: soup_websocket_connection_send_text", (double) ir[4] / cg_deliveries);
      printf ("permessage-deflate (1 message):\n");
      printf ("%-48s %14.0f\n", "hub: fws_hub_publish_text", (double) ir[2] / cg_subscribers);
      printf ("%-48s %14.0f\n", "loop: fws_web_socket_send_text", (double) ir[3] / cg_subscribers);
      printf ("(callgrind files in %s)\n", dir);
    }
  return 0;
}
