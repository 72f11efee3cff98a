/* fws-soak.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Soak run of fws-echo-server (issue 10, item 6): a benchmark, not a test.
 *
 * Starts examples/fws-echo-server --deflate itself, then keeps
 * --connections WebSocket connections (default 2,000) busy for --duration
 * seconds: random message sizes (mostly small, some up to 256 KiB), text
 * and binary, compressible and not, about half of the connections with
 * permessage-deflate, random disconnects (a close handshake, a plain
 * close, or a reset) followed by reconnects, and one connection in ten a
 * slow reader that takes at most 16 KiB per 100 ms. Every echo is checked
 * (type, length, CRC-32 of the content).
 *
 * It prints the server's VmRSS (/proc/PID/status) and open descriptors
 * (/proc/PID/fd) before any connection, once every connection is open and
 * --warmup seconds of traffic went by ("start"), every minute, at the end of the run ("end"), and after every
 * connection closed; and the errors: a failed connect or handshake, a
 * wrong echo, a close or EOF the client did not ask for, a protocol error.
 *
 * The load generator is plain C: one thread, epoll, non-blocking sockets,
 * zlib; it uses neither fws-glib nor libsoup. GLib is used for utilities.
 *
 *   BUILDDIR/bench/fws-soak [--connections N] [--duration S] [--seed N]
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <zlib.h>

#define WS_GUID        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define NOFILE_CAP     20000
#define MAX_CONNECTING 256
#define MAX_MSG        (256 * 1024)
#define MAX_IN_FLIGHT  4
#define SLOW_READ      (16 * 1024)   /* bytes per 100 ms for a slow reader */
#define HEAD_MAX       16384
#define CLOSE_WAIT     30.0          /* seconds for the server's close frame (its own close timeout) */

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ---- The server ---------------------------------------------------------- */

static pid_t server_pid = -1;
static int   server_out = -1;      /* its stdout and stderr */
static FILE *server_log;
static guint server_log_lines;

static int
start_server (const char *path, const char *log_path)
{
  int pipefd[2];
  char line[512];
  gsize len = 0;
  double deadline = now () + 10;
  char *colon;

  if (pipe2 (pipefd, O_CLOEXEC) != 0)
    g_error ("pipe: %s", g_strerror (errno));
  fflush (stdout);
  server_pid = fork ();
  if (server_pid == 0)
    {
      int devnull = open ("/dev/null", O_RDONLY);

      dup2 (devnull, 0);
      dup2 (pipefd[1], 1);
      dup2 (pipefd[1], 2);
      execl (path, path, "--host", "127.0.0.1", "--port", "0", "--deflate", (char *) NULL);
      fprintf (stderr, "cannot run %s: %s\n", path, g_strerror (errno));
      _exit (127);
    }
  close (pipefd[1]);
  server_out = pipefd[0];
  server_log = fopen (log_path, "w");
  while (memchr (line, '\n', len) == NULL)
    {
      struct pollfd pfd = { server_out, POLLIN, 0 };
      ssize_t n;

      if (now () > deadline || len >= sizeof line - 1)
        return -1;
      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = read (server_out, line + len, sizeof line - 1 - len);
      if (n <= 0)
        return -1;
      len += (gsize) n;
    }
  line[len] = '\0';
  colon = strrchr (line, ':');
  if (!g_str_has_prefix (line, "listening on http://") || colon == NULL)
    return -1;
  fcntl (server_out, F_SETFL, O_NONBLOCK);
  return atoi (colon + 1);
}

/* Copies what the server printed to the log; counts the lines. */
static void
drain_server_output (void)
{
  char buf[8192];
  ssize_t n;

  while ((n = read (server_out, buf, sizeof buf)) > 0)
    {
      fwrite (buf, 1, (gsize) n, server_log);
      for (ssize_t i = 0; i < n; i++)
        server_log_lines += buf[i] == '\n';
    }
}

static long
server_rss_kib (void)
{
  char path[64], *text = NULL, *p;
  long kib = -1;

  g_snprintf (path, sizeof path, "/proc/%d/status", (int) server_pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, "\nVmRSS:");
  if (p != NULL)
    kib = strtol (p + 7, NULL, 10);
  g_free (text);
  return kib;
}

static int
server_fds (void)
{
  char path[64];
  DIR *d;
  struct dirent *e;
  int n = 0;

  g_snprintf (path, sizeof path, "/proc/%d/fd", (int) server_pid);
  d = opendir (path);
  if (d == NULL)
    return -1;
  while ((e = readdir (d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

/* ---- Connections ----------------------------------------------------------- */

typedef enum { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_CLOSING } State;

typedef struct {
  int     op;        /* 1 text, 2 binary */
  gsize   len;
  guint32 crc;
  double  sent_at;
} Expect;

typedef struct {
  guint      idx;
  int        fd;
  State      state;
  gboolean   slow;
  gboolean   offer_deflate;
  gboolean   deflate;            /* negotiated */
  gboolean   client_no_ctx, server_no_ctx;
  z_stream   zc, zd;             /* compressor, decompressor */
  gboolean   z_ready;
  char       key[32];
  GString   *head;
  GByteArray *out;
  gsize      out_off;
  double     next_action;        /* send, disconnect or reconnect */
  double     close_deadline;
  double     close_sent_at;
  double     lifetime_end;       /* disconnect then */
  gsize      read_allowance;     /* slow readers */
  /* incoming frame */
  guint8     hdr[14];
  guint      hdr_len;
  gboolean   in_payload;
  guint64    payload_left;
  int        frame_op;
  gboolean   frame_fin;
  gboolean   msg_compressed;
  int        msg_op;
  gsize      msg_len;
  guint32    msg_crc;
  guint8     ctrl[125];
  guint      ctrl_len;
  Expect     expect[MAX_IN_FLIGHT];
  guint      n_expect;
} Conn;

static struct {
  int        epfd;
  int        port;
  GRand     *rand;
  GPtrArray *conns;
  guint      connecting;
  guint8    *scratch;       /* MAX_MSG */
  guint8    *zbuf;          /* inflate output */
  guint8     rbuf[65536];
  double     mean_interval; /* seconds between messages of a connection */
  double     mean_lifetime;
  gboolean   stopping;
  /* counts */
  guint64    sent, echoed, echoed_bytes;
  guint64    connects, reconnects, clean_closes, plain_closes, resets;
  guint64    err_connect, err_handshake, err_echo, err_close, err_protocol;
  double     slowest_echo, slowest_close;   /* seconds, timed part only */
  gboolean   timing;
} G;

static void conn_close_now (Conn *c, gboolean reset);

static guint64
errors_total (void)
{
  return G.err_connect + G.err_handshake + G.err_echo + G.err_close + G.err_protocol;
}

static void G_GNUC_PRINTF (3, 4)
conn_error (Conn *c, guint64 *counter, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  (*counter)++;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (errors_total () <= 20)
    fprintf (stderr, "fws-soak: connection %u: %s\n", c->idx, msg);
  g_free (msg);
  conn_close_now (c, FALSE);
}

static double
exp_random (double mean)
{
  return -mean * log (1.0 - g_rand_double (G.rand));
}

static void
watch (Conn *c, guint32 events)
{
  struct epoll_event ev = { .events = events, .data.ptr = c };

  epoll_ctl (G.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
want_events (Conn *c)
{
  guint32 ev = 0;

  if (c->fd < 0)
    return;
  if (!c->slow || c->read_allowance > 0 || c->state != S_OPEN)
    ev |= EPOLLIN;
  if (c->out_off < c->out->len || c->state == S_CONNECTING)
    ev |= EPOLLOUT;
  watch (c, ev);
}

static void
z_end (Conn *c)
{
  if (c->z_ready)
    {
      deflateEnd (&c->zc);
      inflateEnd (&c->zd);
      c->z_ready = FALSE;
    }
}

static void
conn_close_now (Conn *c, gboolean reset)
{
  if (c->fd >= 0)
    {
      if (reset)
        {
          struct linger lg = { 1, 0 };

          setsockopt (c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
      epoll_ctl (G.epfd, EPOLL_CTL_DEL, c->fd, NULL);
      close (c->fd);
      c->fd = -1;
    }
  if (c->state == S_CONNECTING || c->state == S_HANDSHAKE)
    G.connecting--;
  c->state = S_IDLE;
  c->n_expect = 0;
  c->hdr_len = 0;
  c->in_payload = FALSE;
  c->msg_op = 0;
  g_byte_array_set_size (c->out, 0);
  c->out_off = 0;
  g_string_truncate (c->head, 0);
  z_end (c);
  /* Reconnect after a while (not once stopping). */
  c->next_action = now () + g_rand_double_range (G.rand, 0.0, 2.0);
}

static void
conn_flush (Conn *c)
{
  while (c->fd >= 0 && c->out_off < c->out->len)
    {
      ssize_t n = send (c->fd, c->out->data + c->out_off, c->out->len - c->out_off, MSG_NOSIGNAL);

      if (n > 0)
        c->out_off += (gsize) n;
      else if (n < 0 && errno == EINTR)
        continue;
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      else
        {
          conn_error (c, &G.err_close, "send: %s", g_strerror (errno));
          return;
        }
    }
  if (c->out_off == c->out->len)
    {
      g_byte_array_set_size (c->out, 0);
      c->out_off = 0;
    }
  want_events (c);
}

/* A masked client frame. */
static void
queue_frame (Conn *c, guint8 b0, const guint8 *payload, gsize len)
{
  guint8 hdr[14];
  gsize hlen, base, i;
  guint32 m = g_rand_int (G.rand);
  guint8 mask[4] = { m & 0xff, (m >> 8) & 0xff, (m >> 16) & 0xff, m >> 24 };

  hdr[0] = b0;
  if (len < 126)
    {
      hdr[1] = 0x80 | (guint8) len;
      hlen = 2;
    }
  else if (len < 65536)
    {
      hdr[1] = 0x80 | 126;
      hdr[2] = (guint8) (len >> 8);
      hdr[3] = (guint8) len;
      hlen = 4;
    }
  else
    {
      hdr[1] = 0x80 | 127;
      for (i = 0; i < 8; i++)
        hdr[2 + i] = (guint8) ((guint64) len >> (56 - 8 * i));
      hlen = 10;
    }
  memcpy (hdr + hlen, mask, 4);
  hlen += 4;
  g_byte_array_append (c->out, hdr, (guint) hlen);
  base = c->out->len;
  g_byte_array_set_size (c->out, (guint) (base + len));
  for (i = 0; i < len; i++)
    c->out->data[base + i] = payload[i] ^ mask[i & 3];
}

static gsize
random_size (void)
{
  double r = g_rand_double (G.rand);

  if (r < 0.70)
    return (gsize) g_rand_int_range (G.rand, 0, 257);
  if (r < 0.95)
    return (gsize) g_rand_int_range (G.rand, 257, 16 * 1024 + 1);
  return (gsize) g_rand_int_range (G.rand, 16 * 1024 + 1, MAX_MSG + 1);
}

static void
send_message (Conn *c)
{
  int op = g_rand_boolean (G.rand) ? 1 : 2;
  gsize len = random_size ();
  gboolean compressible = op == 1 || g_rand_boolean (G.rand);
  guint8 *p = G.scratch;
  Expect *e;

  if (compressible)
    {
      static const char words[] = "the quick brown fox jumps over the lazy dog, soak, echo, ";
      gsize off = (gsize) g_rand_int_range (G.rand, 0, sizeof words - 1);

      for (gsize i = 0; i < len; i++)
        p[i] = (guint8) words[(off + i) % (sizeof words - 1)];
    }
  else
    for (gsize i = 0; i < len; i += 4)
      {
        guint32 v = g_rand_int (G.rand);

        memcpy (p + i, &v, MIN (4, len - i));
      }
  e = &c->expect[c->n_expect++];
  e->op = op;
  e->len = len;
  e->crc = (guint32) crc32 (crc32 (0L, Z_NULL, 0), p, (uInt) len);
  e->sent_at = now ();

  /* An empty message goes out uncompressed (a repeated sync flush with no
   * input makes no progress in zlib). */
  if (c->deflate && len > 0)
    {
      gsize cap = deflateBound (&c->zc, (uLong) len) + 64;
      guint8 *z = g_malloc (cap);

      c->zc.next_in = p;
      c->zc.avail_in = (uInt) len;
      c->zc.next_out = z;
      c->zc.avail_out = (uInt) cap;
      if (deflate (&c->zc, Z_SYNC_FLUSH) != Z_OK || c->zc.avail_in != 0)
        g_error ("deflate failed");
      queue_frame (c, 0x80 | 0x40 | (guint8) op, z, cap - c->zc.avail_out - 4);
      if (c->client_no_ctx)
        deflateReset (&c->zc);
      g_free (z);
    }
  else
    queue_frame (c, 0x80 | (guint8) op, p, len);
  G.sent++;
  conn_flush (c);
}

static void
send_close (Conn *c)
{
  static const guint8 body[2] = { 0x03, 0xe8 };

  queue_frame (c, 0x88, body, 2);
  c->state = S_CLOSING;
  c->close_sent_at = now ();
  c->close_deadline = c->close_sent_at + CLOSE_WAIT;
  conn_flush (c);
}

/* ---- Input ---- */

static void
message_done (Conn *c)
{
  Expect *e;

  if (c->n_expect == 0)
    {
      conn_error (c, &G.err_echo, "an echo nobody sent");
      return;
    }
  e = &c->expect[0];
  if (e->op != c->msg_op || e->len != c->msg_len || e->crc != c->msg_crc)
    {
      conn_error (c, &G.err_echo, "wrong echo: type %d length %" G_GSIZE_FORMAT ", expected type %d length %"
                  G_GSIZE_FORMAT " (CRC %s)", c->msg_op, c->msg_len, e->op, e->len,
                  e->crc == c->msg_crc ? "same" : "differs");
      return;
    }
  if (G.timing && !c->slow)
    G.slowest_echo = MAX (G.slowest_echo, now () - e->sent_at);
  memmove (c->expect, c->expect + 1, (c->n_expect - 1) * sizeof (Expect));
  c->n_expect--;
  c->msg_op = 0;
  G.echoed++;
  G.echoed_bytes += e->len;
}

static gboolean
content (Conn *c, const guint8 *p, gsize n)
{
  c->msg_crc = (guint32) crc32 (c->msg_crc, p, (uInt) n);
  c->msg_len += n;
  return c->msg_len <= MAX_MSG;
}

static gboolean
payload (Conn *c, const guint8 *p, gsize n)
{
  if (c->frame_op >= 8)
    {
      memcpy (c->ctrl + c->ctrl_len, p, n);
      c->ctrl_len += (guint) n;
      return TRUE;
    }
  if (!c->msg_compressed)
    return content (c, p, n);
  c->zd.next_in = (guint8 *) p;
  c->zd.avail_in = (uInt) n;
  do
    {
      int ret;

      c->zd.next_out = G.zbuf;
      c->zd.avail_out = 65536;
      ret = inflate (&c->zd, Z_SYNC_FLUSH);
      if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END)
        return FALSE;
      if (!content (c, G.zbuf, 65536 - c->zd.avail_out))
        return FALSE;
      if (ret == Z_BUF_ERROR)
        break;
    }
  while (c->zd.avail_in > 0 || c->zd.avail_out == 0);
  return TRUE;
}

static void
frame_end (Conn *c)
{
  c->in_payload = FALSE;
  c->hdr_len = 0;
  if (c->frame_op < 8 && c->frame_fin && c->msg_compressed)
    {
      static const guint8 trailer[4] = { 0, 0, 0xff, 0xff };

      if (!payload (c, trailer, 4))
        {
          conn_error (c, &G.err_protocol, "bad compressed data");
          return;
        }
      if (c->server_no_ctx)
        inflateReset (&c->zd);
    }
  switch (c->frame_op)
    {
    case 0x8:
      if (c->state == S_CLOSING)
        {
          if (G.timing)
            G.slowest_close = MAX (G.slowest_close, now () - c->close_sent_at);
          G.clean_closes++;
          conn_close_now (c, FALSE);
        }
      else
        conn_error (c, &G.err_close, "the server closed (code %u)",
                    c->ctrl_len >= 2 ? (guint) ((c->ctrl[0] << 8) | c->ctrl[1]) : 1005);
      return;
    case 0x9:
      if (c->state == S_OPEN)
        {
          queue_frame (c, 0x8A, c->ctrl, c->ctrl_len);
          conn_flush (c);
        }
      return;
    case 0xA:
      return;
    default:
      if (c->frame_fin)
        message_done (c);
    }
}

static void
frame_begin (Conn *c)
{
  guint8 b0 = c->hdr[0], b1 = c->hdr[1];
  int op = b0 & 0x0f;
  guint64 len = b1 & 0x7f;

  if (b1 & 0x80)
    {
      conn_error (c, &G.err_protocol, "masked frame from the server");
      return;
    }
  if (len == 126)
    len = ((guint64) c->hdr[2] << 8) | c->hdr[3];
  else if (len == 127)
    {
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | c->hdr[2 + i];
    }
  if ((b0 & 0x30) || ((b0 & 0x40) && (!c->deflate || (op != 1 && op != 2))))
    {
      conn_error (c, &G.err_protocol, "reserved bits 0x%02x", b0 & 0x70);
      return;
    }
  if (op >= 8)
    {
      if (len > 125 || !(b0 & 0x80))
        {
          conn_error (c, &G.err_protocol, "bad control frame");
          return;
        }
      c->ctrl_len = 0;
    }
  else if (op == 1 || op == 2)
    {
      if (c->msg_op != 0)
        {
          conn_error (c, &G.err_protocol, "new message inside another");
          return;
        }
      c->msg_op = op;
      c->msg_len = 0;
      c->msg_crc = (guint32) crc32 (0L, Z_NULL, 0);
      c->msg_compressed = (b0 & 0x40) != 0;
    }
  else if (op != 0 || c->msg_op == 0)
    {
      conn_error (c, &G.err_protocol, "unexpected opcode %d", op);
      return;
    }
  c->frame_op = op;
  c->frame_fin = (b0 & 0x80) != 0;
  c->payload_left = len;
  c->in_payload = TRUE;
  if (len == 0)
    frame_end (c);
}

static gsize
header_size (Conn *c)
{
  guint l;

  if (c->hdr_len < 2)
    return 2;
  l = c->hdr[1] & 0x7f;
  return 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
}

static void
frames (Conn *c, const guint8 *p, gsize n)
{
  while (n > 0 && c->fd >= 0)
    {
      if (!c->in_payload)
        {
          gsize take = MIN (n, header_size (c) - c->hdr_len);

          memcpy (c->hdr + c->hdr_len, p, take);
          c->hdr_len += (guint) take;
          p += take;
          n -= take;
          if (c->hdr_len == header_size (c))
            frame_begin (c);
        }
      else
        {
          gsize take = (gsize) MIN ((guint64) n, c->payload_left);

          if (!payload (c, p, take))
            {
              conn_error (c, &G.err_protocol, "bad payload");
              return;
            }
          p += take;
          n -= take;
          c->payload_left -= take;
          if (c->payload_left == 0)
            frame_end (c);
        }
    }
}

static gboolean
check_head (Conn *c, gsize head_end)
{
  g_autofree char *head = g_strndup (c->head->str, head_end);
  g_auto(GStrv) lines = g_strsplit (head, "\r\n", -1);
  g_autoptr(GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize dlen = sizeof digest;
  g_autofree char *want = NULL;
  gboolean accept_ok = FALSE;

  g_checksum_update (sha, (const guchar *) c->key, -1);
  g_checksum_update (sha, (const guchar *) WS_GUID, -1);
  g_checksum_get_digest (sha, digest, &dlen);
  want = g_base64_encode (digest, dlen);
  if (!g_str_has_prefix (lines[0], "HTTP/1.1 101"))
    return FALSE;
  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "Sec-WebSocket-Accept:", 21) == 0)
      accept_ok = strcmp (g_strstrip (lines[i] + 21), want) == 0;
    else if (g_ascii_strncasecmp (lines[i], "Sec-WebSocket-Extensions:", 25) == 0)
      {
        if (!c->offer_deflate || strstr (lines[i], "permessage-deflate") == NULL)
          return FALSE;
        c->deflate = TRUE;
        c->client_no_ctx = strstr (lines[i], "client_no_context_takeover") != NULL;
        c->server_no_ctx = strstr (lines[i], "server_no_context_takeover") != NULL;
      }
  if (c->offer_deflate && !c->deflate)
    return FALSE;
  return accept_ok;
}

static void
conn_open (Conn *c)
{
  c->state = S_OPEN;
  G.connecting--;
  if (c->deflate)
    {
      memset (&c->zc, 0, sizeof c->zc);
      memset (&c->zd, 0, sizeof c->zd);
      deflateInit2 (&c->zc, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
      inflateInit2 (&c->zd, -15);
      c->z_ready = TRUE;
    }
  c->lifetime_end = now () + exp_random (G.mean_lifetime);
  c->next_action = now () + exp_random (G.mean_interval);
  c->read_allowance = SLOW_READ;
}

static void
conn_read (Conn *c)
{
  while (c->fd >= 0)
    {
      gsize want = sizeof G.rbuf;
      ssize_t n;

      if (c->slow && c->state == S_OPEN)
        {
          if (c->read_allowance == 0)
            break;
          want = MIN (want, c->read_allowance);
        }
      n = recv (c->fd, G.rbuf, want, 0);
      if (n > 0)
        {
          if (c->slow && c->state == S_OPEN)
            c->read_allowance -= (gsize) n;
          if (c->state == S_HANDSHAKE)
            {
              const char *end;

              g_string_append_len (c->head, (const char *) G.rbuf, n);
              end = strstr (c->head->str, "\r\n\r\n");
              if (end == NULL)
                {
                  if (c->head->len > HEAD_MAX)
                    conn_error (c, &G.err_handshake, "handshake answer too long");
                  continue;
                }
              if (!check_head (c, (gsize) (end - c->head->str) + 4))
                {
                  conn_error (c, &G.err_handshake, "bad handshake answer: %.40s", c->head->str);
                  return;
                }
              conn_open (c);
              frames (c, (const guint8 *) end + 4, c->head->len - (gsize) (end + 4 - c->head->str));
              g_string_truncate (c->head, 0);
            }
          else
            frames (c, G.rbuf, (gsize) n);
        }
      else if (n == 0)
        {
          if (c->state == S_CLOSING)
            {
              G.clean_closes++;
              conn_close_now (c, FALSE);
            }
          else
            conn_error (c, &G.err_close, "EOF from the server");
          return;
        }
      else if (errno == EINTR)
        continue;
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      else
        {
          conn_error (c, &G.err_close, "recv: %s", g_strerror (errno));
          return;
        }
    }
  want_events (c);
}

static void
start_connect (Conn *c)
{
  struct sockaddr_in sa = { 0 };
  struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
  int one = 1;

  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    {
      G.err_connect++;
      fprintf (stderr, "fws-soak: socket: %s\n", g_strerror (errno));
      c->next_action = now () + 1;
      return;
    }
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sa.sin_family = AF_INET;
  sa.sin_port = htons ((guint16) G.port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (c->fd, (struct sockaddr *) &sa, sizeof sa) != 0 && errno != EINPROGRESS)
    {
      close (c->fd);
      c->fd = -1;
      G.err_connect++;
      c->next_action = now () + 1;
      return;
    }
  epoll_ctl (G.epfd, EPOLL_CTL_ADD, c->fd, &ev);
  c->state = S_CONNECTING;
  c->deflate = FALSE;
  c->offer_deflate = g_rand_boolean (G.rand);
  G.connecting++;
  G.connects++;
}

static void
send_request (Conn *c)
{
  guint8 raw[16];
  g_autofree char *key = NULL;
  g_autofree char *req = NULL;

  for (guint i = 0; i < sizeof raw; i++)
    raw[i] = (guint8) g_rand_int (G.rand);
  key = g_base64_encode (raw, sizeof raw);
  g_strlcpy (c->key, key, sizeof c->key);
  req = g_strdup_printf ("GET /soak HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                         "%s\r\n", G.port, c->key,
                         c->offer_deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
  g_byte_array_append (c->out, (const guint8 *) req, (guint) strlen (req));
  c->state = S_HANDSHAKE;
  conn_flush (c);
}

static void
conn_event (Conn *c, guint32 events)
{
  if (c->state == S_CONNECTING)
    {
      int err = 0;
      socklen_t len = sizeof err;

      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        {
          conn_error (c, &G.err_connect, "connect: %s", g_strerror (err));
          return;
        }
      send_request (c);
      return;
    }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    conn_read (c);
  if (c->fd >= 0 && (events & EPOLLOUT))
    conn_flush (c);
}

/* What each connection does when its time comes. */
static void
conn_tick (Conn *c, double t)
{
  switch (c->state)
    {
    case S_IDLE:
      if (!G.stopping && t >= c->next_action && G.connecting < MAX_CONNECTING)
        {
          if (G.connects > 0 && c->idx < G.conns->len)
            G.reconnects += c->fd < 0 && G.connects >= G.conns->len;
          start_connect (c);
        }
      return;
    case S_CLOSING:
      if (t >= c->close_deadline)
        conn_error (c, &G.err_close, "no close frame from the server within %.0f s", CLOSE_WAIT);
      return;
    case S_OPEN:
      if (t >= c->lifetime_end)
        {
          double r = g_rand_double (G.rand);

          if (r < 0.5)
            send_close (c);
          else if (r < 0.8)
            {
              G.plain_closes++;
              conn_close_now (c, FALSE);
            }
          else
            {
              G.resets++;
              conn_close_now (c, TRUE);
            }
          return;
        }
      if (t >= c->next_action)
        {
          if (c->n_expect < MAX_IN_FLIGHT)
            send_message (c);
          c->next_action = t + exp_random (G.mean_interval);
        }
      return;
    default:
      return;
    }
}

static void
run_until (double until)
{
  double last_slow = now ();

  while (now () < until)
    {
      struct epoll_event ev[512];
      int n = epoll_wait (G.epfd, ev, G_N_ELEMENTS (ev), 10);
      double t;

      for (int i = 0; i < n; i++)
        conn_event (ev[i].data.ptr, ev[i].events);
      t = now ();
      if (t - last_slow >= 0.1)
        {
          last_slow = t;
          for (guint i = 0; i < G.conns->len; i++)
            {
              Conn *c = G.conns->pdata[i];

              if (c->slow && c->read_allowance == 0 && c->state == S_OPEN)
                {
                  c->read_allowance = SLOW_READ;
                  want_events (c);
                }
            }
        }
      for (guint i = 0; i < G.conns->len; i++)
        conn_tick (G.conns->pdata[i], t);
      drain_server_output ();
    }
}

static guint
count_open (void)
{
  guint n = 0;

  for (guint i = 0; i < G.conns->len; i++)
    n += ((Conn *) G.conns->pdata[i])->state == S_OPEN;
  return n;
}

/* ---- Main -------------------------------------------------------------------- */

static char *
default_server_path (const char *argv0)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname (self ? self : argv0);

  return g_build_filename (dir, "..", "examples", "fws-echo-server", NULL);
}

int
main (int argc, char **argv)
{
  int connections = 2000, duration = 300;
  gint64 seed = 0;
  double mean_interval = 2.0, mean_lifetime = 60.0, warmup = 60.0;
  char *server_path = NULL, *log_path = NULL;
  GOptionEntry entries[] = {
    { "connections", 0, 0, G_OPTION_ARG_INT, &connections, "Connections kept busy (default 2000)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, "Seconds of the run, after every connection opened (default 300)", "S" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the random choices (default: from the clock)", "N" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, "Seconds of traffic before the start figures (default 60)", "S" },
    { "interval", 0, 0, G_OPTION_ARG_DOUBLE, &mean_interval, "Mean seconds between the messages of a connection (default 2)", "S" },
    { "lifetime", 0, 0, G_OPTION_ARG_DOUBLE, &mean_lifetime, "Mean seconds a connection stays before it disconnects (default 60)", "S" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &server_path, "fws-echo-server to run (default ../examples/fws-echo-server next to this program)", "PATH" },
    { "server-log", 0, 0, G_OPTION_ARG_FILENAME, &log_path, "Where the server's output goes (default a file in /tmp)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("- soak run of fws-echo-server");
  g_autoptr(GError) error = NULL;
  struct rlimit rl;
  long rss0, rss_start, rss_end, rss_after;
  int fd0, fd_start, fd_end, fd_after;
  double t_begin, deadline;
  guint64 sent_start, echoed_start;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "fws-soak: %s\n", error->message);
      return 2;
    }
  if (connections <= 0 || duration <= 0 || mean_interval <= 0 || mean_lifetime <= 0 || warmup < 0)
    {
      fprintf (stderr, "fws-soak: --connections, --duration, --interval and --lifetime must be positive\n");
      return 2;
    }
  if (seed == 0)
    seed = g_get_real_time ();
  if (server_path == NULL)
    server_path = default_server_path (argv[0]);
  if (log_path == NULL)
    log_path = g_strdup_printf ("/tmp/fws-soak-server-%d.log", (int) getpid ());

  /* Our connections and the server's (it inherits the limit). */
  getrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t) connections + 100)
    {
      rl.rlim_cur = MIN (rl.rlim_max, (rlim_t) NOFILE_CAP);
      setrlimit (RLIMIT_NOFILE, &rl);
      getrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur < (rlim_t) connections + 100)
    {
      fprintf (stderr, "fws-soak: RLIMIT_NOFILE is %lu (hard %lu): too low for %d connections\n",
               (unsigned long) rl.rlim_cur, (unsigned long) rl.rlim_max, connections);
      return 1;
    }
  signal (SIGPIPE, SIG_IGN);

  G.port = start_server (server_path, log_path);
  if (G.port <= 0)
    {
      fprintf (stderr, "fws-soak: %s did not start\n", server_path);
      return 1;
    }
  G.epfd = epoll_create1 (EPOLL_CLOEXEC);
  G.rand = g_rand_new_with_seed ((guint32) seed);
  G.conns = g_ptr_array_new ();
  G.scratch = g_malloc (MAX_MSG + 4);
  G.zbuf = g_malloc (65536);
  G.mean_interval = mean_interval;
  G.mean_lifetime = mean_lifetime;

  printf ("fws-soak: %s --deflate (pid %d, port %d), %d connections, %d s, seed %" G_GINT64_FORMAT "\n"
          "  messages: 70%% 0-256 B, 25%% to 16 KiB, 5%% to 256 KiB, text or binary, one every %.1f s\n"
          "  per connection on average (at most %d in flight); about half with permessage-deflate;\n"
          "  a connection leaves after %.0f s on average (a close handshake, a close or a reset)\n"
          "  and comes back 0-2 s later; one in ten reads at most %d KiB per 100 ms\n",
          server_path, (int) server_pid, G.port, connections, duration, seed, mean_interval,
          MAX_IN_FLIGHT, mean_lifetime, SLOW_READ / 1024);
  sleep (1);
  drain_server_output ();
  rss0 = server_rss_kib ();
  fd0 = server_fds ();
  printf ("before any connection: server RSS %ld KiB, %d descriptors\n", rss0, fd0);
  fflush (stdout);

  for (int i = 0; i < connections; i++)
    {
      Conn *c = g_new0 (Conn, 1);

      c->idx = (guint) i;
      c->fd = -1;
      c->slow = i % 10 == 9;
      c->out = g_byte_array_new ();
      c->head = g_string_new (NULL);
      c->next_action = 0;
      g_ptr_array_add (G.conns, c);
    }

  /* Open them all, then warm up. */
  t_begin = now ();
  deadline = t_begin + 120;
  while (count_open () < (guint) connections * 95 / 100 && now () < deadline)
    run_until (now () + 0.1);
  printf ("%u of %d connections open after %.1f s\n", count_open (), connections, now () - t_begin);
  run_until (now () + warmup);
  rss_start = server_rss_kib ();
  fd_start = server_fds ();
  sent_start = G.sent;
  echoed_start = G.echoed;
  G.timing = TRUE;
  printf ("start (all open, warmed up): server RSS %ld KiB, %d descriptors, %u connections open\n",
          rss_start, fd_start, count_open ());
  fflush (stdout);

  t_begin = now ();
  for (int minute = 1; now () < t_begin + duration; minute++)
    {
      double until = MIN (t_begin + duration, t_begin + 60.0 * minute);

      run_until (until);
      printf ("  %5.0f s: server RSS %ld KiB, %d descriptors, %u open, %" G_GUINT64_FORMAT
              " echoes, %" G_GUINT64_FORMAT " errors\n",
              now () - t_begin, server_rss_kib (), server_fds (), count_open (),
              G.echoed - echoed_start, errors_total ());
      fflush (stdout);
    }
  rss_end = server_rss_kib ();
  fd_end = server_fds ();
  G.timing = FALSE;

  /* Everyone leaves: half with a close handshake, half at once. */
  G.stopping = TRUE;
  for (guint i = 0; i < G.conns->len; i++)
    {
      Conn *c = G.conns->pdata[i];

      if (c->state == S_OPEN && i % 2 == 0)
        send_close (c);
      else if (c->state != S_CLOSING && c->fd >= 0)
        conn_close_now (c, FALSE);
    }
  deadline = now () + CLOSE_WAIT + 1;
  while (now () < deadline)
    {
      gboolean any = FALSE;

      for (guint i = 0; i < G.conns->len; i++)
        any |= ((Conn *) G.conns->pdata[i])->fd >= 0;
      if (!any)
        break;
      run_until (now () + 0.1);
    }
  /* The server notices the last EOFs from its loop. */
  deadline = now () + 10;
  while (server_fds () > fd0 && now () < deadline)
    {
      drain_server_output ();
      g_usleep (100000);
    }
  sleep (1);
  rss_after = server_rss_kib ();
  fd_after = server_fds ();
  drain_server_output ();

  printf ("end (all open):     server RSS %ld KiB, %d descriptors\n", rss_end, fd_end);
  printf ("after all closed:   server RSS %ld KiB, %d descriptors\n", rss_after, fd_after);
  printf ("RSS end vs start: %+ld KiB (%+.1f%%); descriptors after closing vs before: %+d\n",
          rss_end - rss_start, rss_start > 0 ? 100.0 * (double) (rss_end - rss_start) / (double) rss_start : 0.0,
          fd_after - fd0);
  printf ("messages: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " echoed (%.1f MiB) in the timed part; "
          "%" G_GUINT64_FORMAT " connects; disconnects: %" G_GUINT64_FORMAT " close handshakes, %"
          G_GUINT64_FORMAT " plain closes, %" G_GUINT64_FORMAT " resets\n",
          G.sent - sent_start, G.echoed - echoed_start, (double) G.echoed_bytes / 1048576.0,
          G.connects, G.clean_closes, G.plain_closes, G.resets);
  printf ("slowest echo (not counting slow readers) %.2f s, slowest answer to a close frame %.2f s (timed part)\n",
          G.slowest_echo, G.slowest_close);
  printf ("errors: %" G_GUINT64_FORMAT " (connect %" G_GUINT64_FORMAT ", handshake %" G_GUINT64_FORMAT
          ", echo %" G_GUINT64_FORMAT ", unexpected close %" G_GUINT64_FORMAT ", protocol %" G_GUINT64_FORMAT ")\n",
          errors_total (), G.err_connect, G.err_handshake, G.err_echo, G.err_close, G.err_protocol);
  printf ("server output: %u lines in %s\n", server_log_lines, log_path);

  kill (server_pid, SIGTERM);
  waitpid (server_pid, NULL, 0);
  fclose (server_log);
  return errors_total () == 0 ? 0 : 1;
}
