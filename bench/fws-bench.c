/* fws-bench.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Echo benchmark of fws-echo-server against libsoup,
 * libwebsockets and a server with no WebSocket library.
 *
 * Runs the same echo scenarios against four servers, each started fresh
 * for every round, the rounds interleaved (fws, soup, lws, raw, fws, ...)
 * because the machines are noisy:
 *
 *   fws-glib  examples/fws-echo-server, the shipped example, unchanged
 *             (scenarios z and i pass its --deflate-level option);
 *   libsoup   bench/soup-echo-server, libsoup 3.2's WebSocket support;
 *   lws       bench/lws-echo-server, libwebsockets (skipped when it was
 *             not built);
 *   raw       bench/raw-echo-server, epoll and frames by hand: the floor.
 *
 * Scenarios (issue 13): a 16 B text, 64 connections, 16 in flight each;
 * b the same in binary; c 1 MiB binary, 4 connections, 1 in flight (and
 * the server's minor page faults per message, from /proc/PID/stat);
 * e 16 B text, 64 connections, 1 in flight; p ping-pong on one connection
 * (and the server's syscalls per message under strace -c -f); y 1 KiB
 * text, 64 connections, 16 in flight; z y with permessage-deflate;
 * d 10,000 idle connections: time to open them (at most 256 handshakes in
 * progress) and the growth of the server's VmRSS per connection; i the same
 * with permessage-deflate negotiated and one 1 KiB text message echoed on
 * each connection first, so that whatever zlib state a server keeps
 * between messages exists (--deflate-level sets the level of z and i); f
 * (only when asked for) fairness: one connection sends permessage-deflate
 * messages of 64 KiB that inflate to 64 MiB while 16 others echo 16 B
 * texts, and the others' median, p99 and worst round trips are printed
 * (--fws-before PATH adds an older fws-echo-server beside it).
 *
 * Each echo scenario prints, per server, the median, min and max of the
 * rounds in messages per second and the ratios of medians to lws and to
 * libsoup; then every server runs every echo scenario under
 * valgrind --tool=callgrind, and the instructions of a run with two
 * messages per connection (start-up, handshakes, first messages, exit) are
 * subtracted from one with 2 + N, giving Ir per message, which does not
 * drift with the load of the machine.
 *
 * The load generator is deliberately plain C: one thread, epoll, non-blocking
 * sockets and a minimal RFC 6455 client (handshake, masked frames out,
 * unmasked frames in, permessage-deflate with zlib, every echo checked for
 * type and length, and for content on every short message and a sample of
 * the large ones).  It uses neither fws-glib nor libsoup, so it measures the
 * servers, not itself.  GLib is used for utilities only.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <zlib.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#define SMALL_CONNS        64
#define SMALL_LEN          16
#define SHORT_MAX          65535    /* longer messages are the 1 MiB kind */
#define LARGE_CONNS        4
#define LARGE_LEN          (1024 * 1024)
#define LARGE_SAMPLE       4096     /* bytes checked at the start of every large echo */
#define LARGE_FULL_EVERY   16       /* every 16th large echo is checked completely */
#define IDLE_CONNECTING    256
#define WORKLOAD_DEADLINE  60.0     /* seconds, for any one workload round */
#define IDLE_DEADLINE      300.0    /* libsoup needs 40 s to over 90 s for 10,000 */
#define STALL_LIMIT        10.0     /* seconds without an echo is a failure */
#define CALLGRIND_WARM     2        /* messages per connection in both callgrind runs */
#define CALLGRIND_DEADLINE 300.0
#define READ_BUF_SIZE      (256 * 1024)
#define HEAD_MAX           16384

/* ------------------------------------------------------------------------ */
/* Utilities                                                                 */

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
sleep_s (double s)
{
  struct timespec ts;

  if (s <= 0)
    return;
  ts.tv_sec = (time_t) s;
  ts.tv_nsec = (long) ((s - (double) ts.tv_sec) * 1e9);
  while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
    ;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static double
median (GArray *vals)
{
  double *v;
  double m;
  guint n = vals->len;

  if (n == 0)
    return -1;
  v = g_memdup2 (vals->data, n * sizeof (double));
  qsort (v, n, sizeof (double), cmp_double);
  m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  g_free (v);
  return m;
}

/* VmRSS of a process in KiB, or -1. */
static long
read_rss_kib (pid_t pid)
{
  char path[64];
  char *text = NULL;
  const char *p;
  long kib = -1;

  g_snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, "\nVmRSS:");
  if (p != NULL)
    kib = strtol (p + 7, NULL, 10);
  g_free (text);
  return kib;
}

/* ------------------------------------------------------------------------ */
/* Servers                                                                   */

#define MAX_SIDES 4

typedef struct {
  const char *label;
  char       *path;
  const char *deflate_arg;   /* the server's own option for permessage-deflate */
  const char *extra_arg;     /* (nullable) one more option, on every run */
  gboolean    has_deflate;   /* FALSE: skip the deflate scenario */
  gboolean    present;
} Side;

typedef struct {
  pid_t pid;
  int   out_fd;
  int   port;
} Server;

static gboolean
server_start (const Side *side, const char *callgrind_out, const char *extra_arg,
              Server *srv, double timeout)
{
  int pipefd[2];
  const char *argv[14];
  int argc = 0;
  char *cg_arg = NULL;
  char line[512];
  gsize len = 0;
  double deadline = now () + timeout;
  const char *prefix = "listening on http://";
  char *colon, *end;
  long port;
  pid_t pid;

  memset (srv, 0, sizeof *srv);
  srv->pid = -1;
  srv->out_fd = -1;

  if (callgrind_out != NULL)
    {
      cg_arg = g_strdup_printf ("--callgrind-out-file=%s", callgrind_out);
      argv[argc++] = "valgrind";
      argv[argc++] = "--tool=callgrind";
      argv[argc++] = "-q";
      argv[argc++] = cg_arg;
    }
  argv[argc++] = side->path;
  argv[argc++] = "--host";
  argv[argc++] = "127.0.0.1";
  argv[argc++] = "--port";
  argv[argc++] = "0";
  if (extra_arg != NULL)
    argv[argc++] = extra_arg;
  if (side->extra_arg != NULL)
    argv[argc++] = side->extra_arg;
  argv[argc] = NULL;

  if (pipe2 (pipefd, O_CLOEXEC) != 0)
    {
      fprintf (stderr, "fws-bench: pipe: %s\n", g_strerror (errno));
      g_free (cg_arg);
      return FALSE;
    }
  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "fws-bench: fork: %s\n", g_strerror (errno));
      close (pipefd[0]);
      close (pipefd[1]);
      g_free (cg_arg);
      return FALSE;
    }
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDONLY);

      if (devnull >= 0)
        dup2 (devnull, 0);
      dup2 (pipefd[1], 1);
      execvp (argv[0], (char **) argv);
      fprintf (stderr, "fws-bench: cannot run %s: %s\n", argv[0], g_strerror (errno));
      _exit (127);
    }
  g_free (cg_arg);
  close (pipefd[1]);
  srv->pid = pid;
  srv->out_fd = pipefd[0];

  /* Read exactly one line: "listening on http://HOST:PORT/". */
  while (memchr (line, '\n', len) == NULL)
    {
      struct pollfd pfd = { srv->out_fd, POLLIN, 0 };
      double left = deadline - now ();
      ssize_t n;

      if (left <= 0 || len >= sizeof line - 1)
        {
          fprintf (stderr, "fws-bench: %s did not print its listening line within %.0f s\n",
                   side->label, timeout);
          goto fail;
        }
      if (poll (&pfd, 1, (int) (left * 1000) + 1) < 0 && errno != EINTR)
        goto fail;
      if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      n = read (srv->out_fd, line + len, sizeof line - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          fprintf (stderr, "fws-bench: %s (%s) exited before listening\n", side->label, side->path);
          goto fail;
        }
      len += (gsize) n;
    }
  line[len] = '\0';
  *strchr (line, '\n') = '\0';
  colon = strrchr (line, ':');
  if (strncmp (line, prefix, strlen (prefix)) != 0 || colon == NULL)
    {
      fprintf (stderr, "fws-bench: %s printed an unexpected line: '%s'\n", side->label, line);
      goto fail;
    }
  port = strtol (colon + 1, &end, 10);
  if (port <= 0 || port > 65535 || strcmp (end, "/") != 0)
    {
      fprintf (stderr, "fws-bench: %s printed an unexpected line: '%s'\n", side->label, line);
      goto fail;
    }
  srv->port = (int) port;
  return TRUE;

fail:
  kill (srv->pid, SIGKILL);
  waitpid (srv->pid, NULL, 0);
  close (srv->out_fd);
  srv->pid = -1;
  srv->out_fd = -1;
  return FALSE;
}

/* SIGTERM, then wait; SIGKILL after @timeout.  FALSE if the server crashed. */
static gboolean
server_stop (const Side *side, Server *srv, double timeout)
{
  double deadline = now () + timeout;
  int status = 0;
  gboolean ok = TRUE;

  if (srv->pid <= 0)
    return TRUE;
  kill (srv->pid, SIGTERM);
  for (;;)
    {
      pid_t r = waitpid (srv->pid, &status, WNOHANG);

      if (r == srv->pid)
        break;
      if (r < 0 && errno != EINTR)
        break;
      if (now () > deadline)
        {
          fprintf (stderr, "fws-bench: %s did not exit within %.0f s of SIGTERM; killing it\n",
                   side->label, timeout);
          kill (srv->pid, SIGKILL);
          waitpid (srv->pid, &status, 0);
          status = 0;
          break;
        }
      sleep_s (0.005);
    }
  if (WIFSIGNALED (status) && WTERMSIG (status) != SIGTERM && WTERMSIG (status) != SIGKILL)
    {
      fprintf (stderr, "fws-bench: %s died of signal %d\n", side->label, WTERMSIG (status));
      ok = FALSE;
    }
  close (srv->out_fd);
  srv->pid = -1;
  srv->out_fd = -1;
  return ok;
}

/* ------------------------------------------------------------------------ */
/* The WebSocket load generator                                              */

typedef enum {
  RES_OK,
  RES_TIMEOUT,   /* too slow: reported, not an error of the server */
  RES_ERROR,     /* wrong handshake, wrong echo, unexpected close: exit 1 */
} ResultKind;

typedef enum {
  C_CONNECTING,
  C_HANDSHAKE,
  C_OPEN,
} ConnState;

typedef struct _Bench Bench;

typedef struct {
  Bench    *b;
  int       fd;
  ConnState state;
  guint     idx;
  char      key[25];

  char     *head;            /* handshake response so far */
  gsize     head_len;

  guint8   *out;             /* small frames and the request */
  gsize     out_len, out_off, out_cap;
  guint8   *big_frame;       /* this connection's masked 1 MiB frame */
  gsize     big_len, big_off;
  gboolean  big_pending;

  guint8    hdr[14];         /* incoming frame header */
  guint     hdr_len;
  gboolean  in_payload;
  guint64   payload_left;
  int       frame_op;
  gboolean  frame_fin;
  gboolean  in_msg;
  int       msg_op;
  guint64   msg_off;
  gboolean  verify_full;
  guint8    ctrl[125];
  guint     ctrl_len;
  guint8   *expect;          /* the short message expected next */
  gboolean  msg_compressed;  /* RSV1 on its first frame */
  z_stream *deflater;        /* permessage-deflate, when negotiated */
  z_stream *inflater;

  guint64   sent, received;
  guint32   rng;
  double    sent_at;         /* f: when the message in flight left (window 1) */
} Conn;

struct _Bench {
  int         epfd;
  int         port;
  const char *label;
  GPtrArray  *conns;
  guint       n_target, n_started, n_open, max_connecting;
  guint       window;
  int         msg_op;        /* 1 text or 2 binary */
  gsize       msg_len;       /* at most SHORT_MAX, or LARGE_LEN */
  gboolean    deflate;       /* offer permessage-deflate, and insist on it */
  gboolean    client_no_ctx; /* the server asked for client_no_context_takeover */
  gboolean    small_zlib;    /* our zlib streams with the least memory (scenario i) */
  gboolean    sending;       /* refill the windows as echoes come back */
  guint64     msg_limit;     /* messages per connection */
  guint64     echoes, bytes;
  ResultKind  status;
  char       *error;
  guint8     *large_payload;
  GArray     *rtts;          /* f: (nullable) round trips in seconds, window 1 */
  guint8      rbuf[READ_BUF_SIZE];
  guint8      zbuf[READ_BUF_SIZE];   /* inflated data */
};

static void G_GNUC_PRINTF (3, 4)
bench_fail (Bench *b, ResultKind kind, const char *fmt, ...)
{
  va_list ap;

  if (b->status != RES_OK)
    return;
  b->status = kind;
  va_start (ap, fmt);
  b->error = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

static guint32
conn_rand (Conn *c)
{
  guint32 x = c->rng;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  c->rng = x;
  return x;
}

static guint8 *
out_reserve (Conn *c, gsize n)
{
  guint8 *p;

  if (c->out_off == c->out_len)
    c->out_off = c->out_len = 0;
  if (c->out_len + n > c->out_cap)
    {
      c->out_cap = MAX (c->out_cap * 2, MAX (c->out_len + n, 256));
      c->out = g_realloc (c->out, c->out_cap);
    }
  p = c->out + c->out_len;
  c->out_len += n;
  return p;
}

/* A masked frame with a payload of at most SHORT_MAX bytes. */
static void
queue_frame (Conn *c, int op, gboolean rsv1, const guint8 *payload, gsize len)
{
  gsize hlen = len < 126 ? 6 : 8;
  guint8 *p = out_reserve (c, hlen + len);
  guint32 m = conn_rand (c);
  guint8 mask[4] = { m & 0xff, (m >> 8) & 0xff, (m >> 16) & 0xff, m >> 24 };
  gsize i;

  p[0] = 0x80 | (rsv1 ? 0x40 : 0) | (guint8) op;
  if (len < 126)
    p[1] = 0x80 | (guint8) len;
  else
    {
      p[1] = 0x80 | 126;
      p[2] = (guint8) (len >> 8);
      p[3] = (guint8) len;
    }
  memcpy (p + hlen - 4, mask, 4);
  p += hlen;
  i = 0;
  if (len >= 8)
    {
      guint8 m8b[8] = { mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3] };
      guint64 m8, v;

      memcpy (&m8, m8b, 8);
      for (; i + 8 <= len; i += 8)
        {
          memcpy (&v, payload + i, 8);
          v ^= m8;
          memcpy (p + i, &v, 8);
        }
    }
  for (; i < len; i++)
    p[i] = payload[i] ^ mask[i & 3];
}

static void
queue_short_frame (Conn *c, int op, const guint8 *payload, gsize len)
{
  queue_frame (c, op, FALSE, payload, len);
}

/* Message @k on connection @idx: 16 hex digits naming it, then English-like
 * filler (compressible, as real text is), so valid UTF-8 for text. */
static void
msg_payload (guint idx, guint64 k, gsize len, guint8 *out)
{
  static const char hex[] = "0123456789abcdef";
  static const char filler[] = "WebSocket echo benchmark: the quick brown fox jumps over the lazy dog; ";
  guint64 v = ((guint64) idx << 40) ^ k;
  gsize i;
  int j;

  for (j = SMALL_LEN - 1; j >= 0; j--, v >>= 4)
    if ((gsize) j < len)
      out[j] = (guint8) hex[v & 15];
  static guint8 *pattern;            /* filler repeated, SHORT_MAX + its length */
  const gsize flen = sizeof filler - 1;

  if (pattern == NULL)
    {
      pattern = g_malloc (SHORT_MAX + flen);
      for (i = 0; i < SHORT_MAX + flen; i++)
        pattern[i] = (guint8) filler[i % flen];
    }
  if (len > SMALL_LEN)
    memcpy (out + SMALL_LEN, pattern + (SMALL_LEN + k) % flen, len - SMALL_LEN);
}

static void
send_message (Conn *c)
{
  Bench *b = c->b;

  if (b->msg_len <= SHORT_MAX)
    {
      guint8 payload[SHORT_MAX];

      msg_payload (c->idx, c->sent, b->msg_len, payload);
      if (b->deflate)
        {
          guint8 comp[SHORT_MAX + 64];
          gsize clen;

          c->deflater->next_in = payload;
          c->deflater->avail_in = (uInt) b->msg_len;
          c->deflater->next_out = comp;
          c->deflater->avail_out = sizeof comp;
          if (deflate (c->deflater, Z_SYNC_FLUSH) != Z_OK || c->deflater->avail_in != 0
              || c->deflater->avail_out == 0)
            {
              bench_fail (b, RES_ERROR, "deflate failed");
              return;
            }
          clen = sizeof comp - c->deflater->avail_out;
          /* RFC 7692 7.2.1: drop the 00 00 ff ff of the sync flush. */
          queue_frame (c, b->msg_op, TRUE, comp, clen - 4);
          if (b->client_no_ctx)
            deflateReset (c->deflater);
        }
      else
        queue_frame (c, b->msg_op, FALSE, payload, b->msg_len);
      if (b->rtts != NULL)
        c->sent_at = now ();
    }
  else
    {
      if (c->big_pending)
        {
          bench_fail (c->b, RES_ERROR, "echo completed before its message was sent");
          return;
        }
      c->big_off = 0;
      c->big_pending = TRUE;
    }
  c->sent++;
}

static void
fill_window (Conn *c)
{
  Bench *b = c->b;

  while (b->status == RES_OK && c->sent - c->received < b->window
         && c->sent < b->msg_limit)
    send_message (c);
}

static void
conn_flush (Conn *c)
{
  Bench *b = c->b;

  while (b->status == RES_OK)
    {
      gboolean out_pend = c->out_off < c->out_len;
      gboolean big_pend = c->big_pending;
      const guint8 *p;
      gsize len, *off;
      ssize_t n;

      /* Never interleave frames: a partly written one goes first. */
      if (out_pend && (c->out_off > 0 || !big_pend || c->big_off == 0))
        p = c->out, len = c->out_len, off = &c->out_off;
      else if (big_pend)
        p = c->big_frame, len = c->big_len, off = &c->big_off;
      else
        break;

      n = send (c->fd, p + *off, len - *off, MSG_NOSIGNAL);
      if (n > 0)
        {
          *off += (gsize) n;
          if (p == c->out && c->out_off == c->out_len)
            c->out_off = c->out_len = 0;
          else if (p == c->big_frame && c->big_off == c->big_len)
            c->big_pending = FALSE;
        }
      else if (n < 0 && errno == EINTR)
        continue;
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      else
        bench_fail (b, RES_ERROR, "%s: send on connection %u: %s", b->label, c->idx,
                    n == 0 ? "wrote nothing" : g_strerror (errno));
    }
}

static gsize
header_size (const guint8 *hdr, guint have)
{
  gsize n = 2;
  guint len7;

  if (have < 2)
    return 2;
  len7 = hdr[1] & 0x7f;
  if (len7 == 126)
    n += 2;
  else if (len7 == 127)
    n += 8;
  if (hdr[1] & 0x80)
    n += 4;
  return n;
}

static void
message_end (Conn *c)
{
  Bench *b = c->b;
  guint64 want_len = b->msg_len;

  c->in_msg = FALSE;
  if (c->msg_op != b->msg_op)
    {
      bench_fail (b, RES_ERROR, "%s: echo of type %d on connection %u, sent type %d",
                  b->label, c->msg_op, c->idx, b->msg_op);
      return;
    }
  if (c->msg_off != want_len)
    {
      bench_fail (b, RES_ERROR, "%s: echo of %" G_GUINT64_FORMAT " bytes on connection %u, sent %"
                  G_GUINT64_FORMAT, b->label, c->msg_off, c->idx, want_len);
      return;
    }
  c->received++;
  b->echoes++;
  if (b->rtts != NULL)
    {
      double rtt = now () - c->sent_at;

      g_array_append_val (b->rtts, rtt);
    }
  if (c->received > c->sent)
    {
      bench_fail (b, RES_ERROR, "%s: more echoes than messages on connection %u", b->label, c->idx);
      return;
    }
  if (b->sending)
    fill_window (c);
}

static gboolean payload_data (Conn *c, const guint8 *p, gsize n);

static void
frame_end (Conn *c)
{
  Bench *b = c->b;

  c->in_payload = FALSE;
  if (c->frame_op < 0x8 && c->frame_fin && c->msg_compressed)
    {
      static const guint8 trailer[4] = { 0x00, 0x00, 0xff, 0xff };

      if (!payload_data (c, trailer, 4))
        return;
    }
  switch (c->frame_op)
    {
    case 0x8:
      if (c->ctrl_len >= 2)
        bench_fail (b, RES_ERROR, "%s: server sent a close frame (code %u) on connection %u",
                    b->label, (c->ctrl[0] << 8) | c->ctrl[1], c->idx);
      else
        bench_fail (b, RES_ERROR, "%s: server sent a close frame on connection %u", b->label, c->idx);
      return;
    case 0x9:
      queue_short_frame (c, 0xA, c->ctrl, c->ctrl_len);
      return;
    case 0xA:
      return;
    default:
      if (c->frame_fin)
        message_end (c);
      return;
    }
}

static gboolean
frame_begin (Conn *c)
{
  Bench *b = c->b;
  guint8 b0 = c->hdr[0], b1 = c->hdr[1];
  int op = b0 & 0x0f;
  guint len7 = b1 & 0x7f;
  guint64 len;

  if ((b0 & 0x70) && !(b->deflate && (b0 & 0x70) == 0x40 && (op == 1 || op == 2)))
    {
      bench_fail (b, RES_ERROR, "%s: frame with RSV bits 0x%02x on connection %u", b->label, b0 & 0x70, c->idx);
      return FALSE;
    }
  if (b1 & 0x80)
    {
      bench_fail (b, RES_ERROR, "%s: masked frame from the server on connection %u", b->label, c->idx);
      return FALSE;
    }
  if (len7 == 126)
    len = ((guint64) c->hdr[2] << 8) | c->hdr[3];
  else if (len7 == 127)
    {
      int i;

      len = 0;
      for (i = 0; i < 8; i++)
        len = (len << 8) | c->hdr[2 + i];
    }
  else
    len = len7;

  if (op >= 0x8)
    {
      if (op > 0xA || !(b0 & 0x80) || len > 125)
        {
          bench_fail (b, RES_ERROR, "%s: bad control frame (opcode %d) on connection %u", b->label, op, c->idx);
          return FALSE;
        }
      c->ctrl_len = 0;
    }
  else if (op == 1 || op == 2)
    {
      if (c->in_msg)
        {
          bench_fail (b, RES_ERROR, "%s: new message inside a fragmented one on connection %u", b->label, c->idx);
          return FALSE;
        }
      c->in_msg = TRUE;
      c->msg_op = op;
      c->msg_off = 0;
      c->msg_compressed = (b0 & 0x40) != 0;
      if (b->msg_len <= SHORT_MAX)
        msg_payload (c->idx, c->received, b->msg_len, c->expect);
      else
        c->verify_full = c->received % LARGE_FULL_EVERY == 0;
    }
  else if (op == 0)
    {
      if (!c->in_msg)
        {
          bench_fail (b, RES_ERROR, "%s: continuation frame outside a message on connection %u", b->label, c->idx);
          return FALSE;
        }
    }
  else
    {
      bench_fail (b, RES_ERROR, "%s: unknown opcode %d on connection %u", b->label, op, c->idx);
      return FALSE;
    }

  c->frame_op = op;
  c->frame_fin = (b0 & 0x80) != 0;
  c->payload_left = len;
  c->hdr_len = 0;
  c->in_payload = TRUE;
  if (len == 0)
    frame_end (c);
  return b->status == RES_OK;
}

static gboolean
content_data (Conn *c, const guint8 *p, gsize n)
{
  Bench *b = c->b;

  if (b->msg_len <= SHORT_MAX)
    {
      if (c->msg_off + n > b->msg_len || memcmp (p, c->expect + c->msg_off, n) != 0)
        {
          bench_fail (b, RES_ERROR, "%s: wrong echo on connection %u (message %" G_GUINT64_FORMAT ")",
                      b->label, c->idx, c->received);
          return FALSE;
        }
    }
  else
    {
      if (c->msg_off + n > LARGE_LEN)
        {
          bench_fail (b, RES_ERROR, "%s: binary echo longer than %d bytes on connection %u",
                      b->label, LARGE_LEN, c->idx);
          return FALSE;
        }
      if (c->verify_full || c->msg_off < LARGE_SAMPLE)
        {
          gsize m = c->verify_full ? n : MIN (n, LARGE_SAMPLE - c->msg_off);

          if (memcmp (p, b->large_payload + c->msg_off, m) != 0)
            {
              bench_fail (b, RES_ERROR, "%s: wrong binary echo on connection %u (message %" G_GUINT64_FORMAT ")",
                          b->label, c->idx, c->received);
              return FALSE;
            }
        }
      b->bytes += n;
    }
  c->msg_off += n;
  return TRUE;
}

static gboolean
payload_data (Conn *c, const guint8 *p, gsize n)
{
  Bench *b = c->b;

  if (c->frame_op >= 0x8)
    {
      memcpy (c->ctrl + c->ctrl_len, p, n);
      c->ctrl_len += (guint) n;
      return TRUE;
    }
  if (!c->msg_compressed)
    return content_data (c, p, n);

  c->inflater->next_in = (guint8 *) p;
  c->inflater->avail_in = (uInt) n;
  while (c->inflater->avail_in > 0 || c->inflater->avail_out == 0)
    {
      int ret;

      c->inflater->next_out = c->b->zbuf;
      c->inflater->avail_out = READ_BUF_SIZE;
      ret = inflate (c->inflater, Z_SYNC_FLUSH);
      if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
        {
          bench_fail (b, RES_ERROR, "%s: bad compressed data on connection %u", b->label, c->idx);
          return FALSE;
        }
      if (!content_data (c, c->b->zbuf, READ_BUF_SIZE - c->inflater->avail_out))
        return FALSE;
      if (ret == Z_STREAM_END)
        inflateReset (c->inflater);
      else if (ret == Z_BUF_ERROR)
        break;
    }
  return TRUE;
}

static void
frames_feed (Conn *c, const guint8 *p, gsize n)
{
  Bench *b = c->b;

  while (n > 0 && b->status == RES_OK)
    {
      if (!c->in_payload)
        {
          gsize need = header_size (c->hdr, c->hdr_len);
          gsize take = MIN (n, need - c->hdr_len);

          memcpy (c->hdr + c->hdr_len, p, take);
          c->hdr_len += (guint) take;
          p += take;
          n -= take;
          if (c->hdr_len < header_size (c->hdr, c->hdr_len))
            continue;
          if (!frame_begin (c))
            return;
        }
      else
        {
          gsize take = (gsize) MIN ((guint64) n, c->payload_left);

          if (!payload_data (c, p, take))
            return;
          p += take;
          n -= take;
          c->payload_left -= take;
          if (c->payload_left == 0)
            frame_end (c);
        }
    }
}

static void
send_request (Conn *c)
{
  guint8 raw[16];
  char *key, *req;
  gsize len;
  guint i;

  for (i = 0; i < sizeof raw; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (raw + i, &r, 4);
    }
  key = g_base64_encode (raw, sizeof raw);
  g_strlcpy (c->key, key, sizeof c->key);
  g_free (key);
  req = g_strdup_printf ("GET / HTTP/1.1\r\n"
                         "Host: 127.0.0.1:%d\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\n"
                         "Sec-WebSocket-Version: 13\r\n"
                         "%s"
                         "\r\n", c->b->port, c->key,
                         c->b->deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
  len = strlen (req);
  memcpy (out_reserve (c, len), req, len);
  g_free (req);
  c->state = C_HANDSHAKE;
  conn_flush (c);
}

static gboolean
check_head (Conn *c, gsize head_end)
{
  Bench *b = c->b;
  char *head = g_strndup (c->head, head_end);
  char **lines = g_strsplit (head, "\r\n", -1);
  GChecksum *sha = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize dlen = sizeof digest;
  char *want;
  gboolean accept_ok = FALSE, deflate_ok = FALSE;
  guint i;

  g_checksum_update (sha, (const guchar *) c->key, -1);
  g_checksum_update (sha, (const guchar *) WS_GUID, -1);
  g_checksum_get_digest (sha, digest, &dlen);
  want = g_base64_encode (digest, dlen);

  if (!g_str_has_prefix (lines[0], "HTTP/1.1 101"))
    bench_fail (b, RES_ERROR, "%s: handshake answered '%s' on connection %u", b->label, lines[0], c->idx);
  for (i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "Sec-WebSocket-Accept:", 21) == 0)
      accept_ok = strcmp (g_strstrip (lines[i] + 21), want) == 0;
    else if (g_ascii_strncasecmp (lines[i], "Sec-WebSocket-Extensions:", 25) == 0)
      {
        if (!b->deflate || strstr (lines[i], "permessage-deflate") == NULL
            || strstr (lines[i], "client_max_window_bits") != NULL)
          bench_fail (b, RES_ERROR, "%s: unexpected '%s' on connection %u", b->label, lines[i], c->idx);
        deflate_ok = TRUE;
        if (strstr (lines[i], "client_no_context_takeover") != NULL)
          b->client_no_ctx = TRUE;
      }
  if (b->deflate && !deflate_ok)
    bench_fail (b, RES_ERROR, "%s: permessage-deflate not accepted on connection %u", b->label, c->idx);
  if (!accept_ok)
    bench_fail (b, RES_ERROR, "%s: missing or wrong Sec-WebSocket-Accept on connection %u", b->label, c->idx);

  g_free (want);
  g_checksum_free (sha);
  g_strfreev (lines);
  g_free (head);
  return b->status == RES_OK;
}

static void
conn_feed (Conn *c, const guint8 *p, gsize n)
{
  Bench *b = c->b;

  if (c->state == C_HANDSHAKE)
    {
      gsize from = c->head_len >= 3 ? c->head_len - 3 : 0;
      const char *end;
      gsize head_end;

      if (c->head_len + n > HEAD_MAX)
        {
          bench_fail (b, RES_ERROR, "%s: handshake response longer than %d bytes", b->label, HEAD_MAX);
          return;
        }
      c->head = g_realloc (c->head, c->head_len + n);
      memcpy (c->head + c->head_len, p, n);
      c->head_len += n;
      end = memmem (c->head + from, c->head_len - from, "\r\n\r\n", 4);
      if (end == NULL)
        return;
      head_end = (gsize) (end - c->head) + 4;
      if (!check_head (c, head_end))
        return;
      c->state = C_OPEN;
      b->n_open++;
      if (b->sending)
        fill_window (c);
      frames_feed (c, (const guint8 *) c->head + head_end, c->head_len - head_end);
      g_clear_pointer (&c->head, g_free);
      c->head_len = 0;
      return;
    }
  frames_feed (c, p, n);
}

static void
conn_read (Conn *c)
{
  Bench *b = c->b;

  while (b->status == RES_OK)
    {
      ssize_t n = recv (c->fd, b->rbuf, sizeof b->rbuf, 0);

      if (n > 0)
        {
          conn_feed (c, b->rbuf, (gsize) n);
          /* A short read drained the socket; with edge triggering new data
           * raises a new event, so no read that would only say EAGAIN. */
          if ((gsize) n < sizeof b->rbuf)
            break;
        }
      else if (n == 0)
        bench_fail (b, RES_ERROR, "%s: server closed connection %u", b->label, c->idx);
      else if (errno == EINTR)
        continue;
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      else
        bench_fail (b, RES_ERROR, "%s: recv on connection %u: %s", b->label, c->idx, g_strerror (errno));
    }
}

static void
conn_event (Conn *c, guint32 events)
{
  Bench *b = c->b;

  if (c->state == C_CONNECTING)
    {
      int err = 0;
      socklen_t len = sizeof err;

      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        return;
      if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
      if (err != 0)
        {
          bench_fail (b, RES_ERROR, "%s: connect: %s", b->label, g_strerror (err));
          return;
        }
      send_request (c);
      return;
    }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
    conn_read (c);
  if (b->status == RES_OK && (c->out_off < c->out_len || c->big_pending))
    conn_flush (c);
}

static void
conn_free (Conn *c)
{
  if (c->fd >= 0)
    close (c->fd);
  g_free (c->head);
  g_free (c->out);
  g_free (c->big_frame);
  g_free (c->expect);
  if (c->deflater != NULL)
    {
      deflateEnd (c->deflater);
      inflateEnd (c->inflater);
      g_free (c->deflater);
      g_free (c->inflater);
    }
  g_free (c);
}

static void
start_connect (Bench *b)
{
  Conn *c = g_new0 (Conn, 1);
  struct sockaddr_in sa = { 0 };
  struct epoll_event ev = { 0 };
  int one = 1;

  c->b = b;
  c->idx = b->n_started++;
  c->rng = g_random_int () | 1;
  g_ptr_array_add (b->conns, c);

  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    {
      bench_fail (b, RES_ERROR, "socket: %s", g_strerror (errno));
      return;
    }
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (b->msg_len <= SHORT_MAX)
    c->expect = g_malloc (b->msg_len);
  if (b->deflate)
    {
      c->deflater = g_new0 (z_stream, 1);
      c->inflater = g_new0 (z_stream, 1);
      /* The load generator compresses fast; the servers inflate what it sends.
       * Scenario i holds 10,000 connections: the smallest compressor. */
      deflateInit2 (c->deflater, Z_BEST_SPEED, Z_DEFLATED, b->small_zlib ? -9 : -15,
                    b->small_zlib ? 1 : 8, Z_DEFAULT_STRATEGY);
      inflateInit2 (c->inflater, -15);
    }
  if (b->msg_len > SHORT_MAX)
    {
      guint32 m = g_random_int ();
      guint8 mask[4] = { m & 0xff, (m >> 8) & 0xff, (m >> 16) & 0xff, m >> 24 };
      guint8 *f;
      gsize i;

      c->big_len = 14 + LARGE_LEN;
      f = c->big_frame = g_malloc (c->big_len);
      f[0] = 0x82;
      f[1] = 0x80 | 127;
      for (i = 0; i < 8; i++)
        f[2 + i] = (guint8) (((guint64) LARGE_LEN >> (56 - 8 * i)) & 0xff);
      memcpy (f + 10, mask, 4);
      for (i = 0; i < LARGE_LEN; i++)
        f[14 + i] = b->large_payload[i] ^ mask[i & 3];
    }

  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = c;
  if (epoll_ctl (b->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
    {
      bench_fail (b, RES_ERROR, "epoll_ctl: %s", g_strerror (errno));
      return;
    }

  sa.sin_family = AF_INET;
  sa.sin_port = htons ((guint16) b->port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  c->state = C_CONNECTING;
  if (connect (c->fd, (struct sockaddr *) &sa, sizeof sa) == 0)
    send_request (c);
  else if (errno != EINPROGRESS)
    bench_fail (b, RES_ERROR, "%s: connect: %s", b->label, g_strerror (errno));
}

static void
bench_poll (Bench *b, double timeout)
{
  struct epoll_event ev[512];
  int n, i;

  while (b->status == RES_OK && b->n_started < b->n_target
         && b->n_started - b->n_open < b->max_connecting)
    start_connect (b);
  if (b->status != RES_OK)
    return;

  n = epoll_wait (b->epfd, ev, G_N_ELEMENTS (ev), timeout <= 0 ? 0 : (int) (timeout * 1000) + 1);
  if (n < 0 && errno != EINTR)
    bench_fail (b, RES_ERROR, "epoll_wait: %s", g_strerror (errno));
  for (i = 0; i < n && b->status == RES_OK; i++)
    conn_event (ev[i].data.ptr, ev[i].events);
}

static Bench *
bench_new (const char *label, int port, int msg_op, guint window, guint8 *large_payload)
{
  Bench *b = g_new0 (Bench, 1);

  b->msg_len = msg_op == 1 ? SMALL_LEN : LARGE_LEN;

  b->epfd = epoll_create1 (EPOLL_CLOEXEC);
  b->port = port;
  b->label = label;
  b->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  b->msg_op = msg_op;
  b->window = window;
  b->large_payload = large_payload;
  b->msg_limit = G_MAXUINT64;
  return b;
}

static void
bench_free (Bench *b)
{
  g_ptr_array_unref (b->conns);
  close (b->epfd);
  g_free (b->error);
  g_free (b);
}

/* Open @n connections (handshakes completed), @max_connecting at a time. */
static gboolean
bench_open (Bench *b, guint n, guint max_connecting, double deadline)
{
  b->n_target += n;
  b->max_connecting = max_connecting;
  while (b->status == RES_OK && b->n_open < b->n_target)
    {
      double left = deadline - now ();

      if (left <= 0)
        {
          bench_fail (b, RES_TIMEOUT, "%s: only %u of %u connections open by the deadline",
                      b->label, b->n_open, b->n_target);
          break;
        }
      bench_poll (b, MIN (left, 0.1));
    }
  return b->status == RES_OK;
}

/* Run traffic until @until; fail if nothing is echoed for STALL_LIMIT. */
static gboolean
bench_run_until (Bench *b, double until, double deadline)
{
  guint64 last_echoes = b->echoes, last_bytes = b->bytes;
  double last_progress = now ();

  for (;;)
    {
      double t = now ();

      if (b->status != RES_OK || t >= until)
        break;
      if (t >= deadline || t - last_progress > STALL_LIMIT)
        {
          bench_fail (b, RES_TIMEOUT, "%s: no echo for %.0f s", b->label, t - last_progress);
          break;
        }
      bench_poll (b, MIN (until - t, 0.1));
      if (b->echoes != last_echoes || b->bytes != last_bytes)
        {
          last_echoes = b->echoes;
          last_bytes = b->bytes;
          last_progress = now ();
        }
    }
  return b->status == RES_OK;
}

/* ------------------------------------------------------------------------ */
/* Scenarios and workloads                                                   */

typedef struct {
  char        id;
  const char *what;
  int         op;           /* 1 text, 2 binary */
  gsize       len;
  guint       conns;
  guint       window;       /* messages in flight per connection */
  gboolean    deflate;
  guint       cg_msgs;      /* messages per callgrind run, all connections */
} Scenario;

static const Scenario scenarios[] = {
  { 'a', "16 B text, 64 conns, 16 in flight",            1, SMALL_LEN, SMALL_CONNS, 16, FALSE, 6400 },
  { 'b', "16 B binary, 64 conns, 16 in flight",          2, SMALL_LEN, SMALL_CONNS, 16, FALSE, 6400 },
  { 'c', "1 MiB binary, 4 conns, 1 in flight",           2, LARGE_LEN, LARGE_CONNS, 1,  FALSE, 40 },
  { 'e', "16 B text, 64 conns, 1 in flight",             1, SMALL_LEN, SMALL_CONNS, 1,  FALSE, 6400 },
  { 'p', "16 B text ping-pong, 1 conn, 1 in flight",     1, SMALL_LEN, 1,           1,  FALSE, 4000 },
  { 'y', "1 KiB text, 64 conns, 16 in flight",           1, 1024,      SMALL_CONNS, 16, FALSE, 6400 },
  { 'z', "1 KiB text deflated, 64 conns, 16 in flight",  1, 1024,      SMALL_CONNS, 16, TRUE,  6400 },
  /* i is not an echo scenario: see workload_idle. */
};
#define N_SCEN G_N_ELEMENTS (scenarios)

typedef struct {
  double   duration;
  double   warmup;
  guint    idle_conns;
  double   cg_scale;
  guint    strace_msgs;
  guint8  *large_payload;
} Config;

typedef struct {
  ResultKind kind;
  double     value;       /* msg/s, seconds, Ir per message, syscalls per message */
  double     value2;      /* idle: bytes of RSS per connection; echo: minor faults per message */
  double     client_cpu;  /* share of one CPU this process used, or -1 */
} Result;

/* CPU seconds used by this process (not the servers). */
static double
self_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

/* Minor page faults of a process so far (/proc/PID/stat field 10), or -1. */
static double
read_minflt (pid_t pid)
{
  char path[64];
  char *text = NULL;
  const char *p;
  double v = -1;
  int field;

  g_snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strrchr (text, ')');
  /* After "pid (comm)": state is field 3, minflt field 10. */
  for (field = 2; p != NULL && field < 10; field++)
    p = strchr (p + 1, ' ');
  if (p != NULL)
    v = g_ascii_strtod (p + 1, NULL);
  g_free (text);
  return v;
}

static void
report_failure (Bench *b, Result *r)
{
  r->kind = b->status;
  fprintf (stderr, "fws-bench: %s%s\n", b->status == RES_TIMEOUT ? "timeout: " : "ERROR: ",
           b->error ? b->error : "failure");
}

static Bench *
scenario_bench (const Config *cfg, const Side *side, const Scenario *sc, int port)
{
  Bench *b = bench_new (side->label, port, sc->op, sc->window, cfg->large_payload);

  b->msg_len = sc->len;
  b->deflate = sc->deflate;
  return b;
}

static void
start_sending (Bench *b)
{
  guint i;

  b->sending = TRUE;
  for (i = 0; i < b->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (b->conns, i);

      fill_window (c);
      conn_flush (c);
    }
}

/* One timed round of an echo scenario: messages per second. */
static Result
workload_echo (const Config *cfg, const Side *side, const Scenario *sc)
{
  Result r = { RES_OK, 0, -1, -1 };
  Server srv;
  Bench *b;
  double deadline = now () + WORKLOAD_DEADLINE;

  if (!server_start (side, NULL, sc->deflate ? side->deflate_arg : NULL, &srv, 10))
    {
      r.kind = RES_ERROR;
      return r;
    }
  b = scenario_bench (cfg, side, sc, srv.port);
  if (bench_open (b, sc->conns, sc->conns, deadline))
    {
      start_sending (b);
      if (bench_run_until (b, now () + cfg->warmup, deadline))
        {
          double cpu0 = self_cpu ();
          double f0 = read_minflt (srv.pid);
          double t0 = now (), t1;
          guint64 e0 = b->echoes;

          if (bench_run_until (b, t0 + cfg->duration, deadline))
            {
              double f1 = read_minflt (srv.pid);

              t1 = now ();
              r.client_cpu = (self_cpu () - cpu0) / (t1 - t0);
              r.value = (double) (b->echoes - e0) / (t1 - t0);
              if (f0 >= 0 && f1 >= 0 && b->echoes > e0)
                r.value2 = (f1 - f0) / (double) (b->echoes - e0);
            }
        }
    }
  if (b->status != RES_OK)
    report_failure (b, &r);
  if (!server_stop (side, &srv, 10))
    r.kind = RES_ERROR;
  bench_free (b);
  return r;
}

static void bench_echo_all (Bench *b, guint64 per_conn, double deadline, const char *what);

/* d: time to open N connections and the server's RSS growth per connection.
 * i (@deflate): the same with permessage-deflate and one message echoed on
 * each connection before RSS is read. */
static Result
workload_idle (const Config *cfg, const Side *side, gboolean deflate)
{
  Result r = { RES_OK, 0, 0, -1 };
  Server srv;
  Bench *b;
  double deadline = now () + IDLE_DEADLINE;
  double t0, cpu0;
  long rss0, rss1;
  guint64 received = 0;

  if (!server_start (side, NULL, deflate ? side->deflate_arg : NULL, &srv, 10))
    {
      r.kind = RES_ERROR;
      return r;
    }
  b = bench_new (side->label, srv.port, 1, 1, cfg->large_payload);
  if (deflate)
    {
      b->deflate = TRUE;
      b->small_zlib = TRUE;
      b->msg_len = 1024;
    }
  sleep_s (0.2);
  rss0 = read_rss_kib (srv.pid);
  t0 = now ();
  cpu0 = self_cpu ();
  if (bench_open (b, cfg->idle_conns, IDLE_CONNECTING, deadline))
    {
      r.value = now () - t0;
      r.client_cpu = (self_cpu () - cpu0) / r.value;
      if (deflate)
        {
          bench_echo_all (b, 1, deadline, "on the idle connections");
          b->sending = FALSE;
          received = 1;
        }
      /* Let the server settle with every connection idle. */
      bench_run_until (b, now () + 0.5, deadline);
      rss1 = read_rss_kib (srv.pid);
      if (rss0 < 0 || rss1 < 0)
        r.value2 = -1;
      else
        r.value2 = (double) (rss1 - rss0) * 1024.0 / cfg->idle_conns;

      /* The last connection still echoes. */
      if (b->status == RES_OK)
        {
          Conn *c = g_ptr_array_index (b->conns, b->conns->len - 1);

          send_message (c);
          conn_flush (c);
          while (b->status == RES_OK && c->received < received + 1)
            {
              if (now () > deadline)
                bench_fail (b, RES_TIMEOUT, "%s: no echo on an idle connection", side->label);
              bench_poll (b, 0.1);
            }
        }
    }
  else if (b->status == RES_TIMEOUT)
    r.value = now () - t0;
  if (b->status != RES_OK)
    report_failure (b, &r);
  if (!server_stop (side, &srv, 20))
    r.kind = RES_ERROR;
  bench_free (b);
  return r;
}

/* Run until every connection had @per_conn echoes (counted from zero). */
static void
bench_echo_all (Bench *b, guint64 per_conn, double deadline, const char *what)
{
  guint64 want = per_conn * b->conns->len;

  b->msg_limit = per_conn;
  start_sending (b);
  while (b->status == RES_OK && b->echoes < want)
    {
      if (now () > deadline)
        bench_fail (b, RES_TIMEOUT, "%s: %" G_GUINT64_FORMAT " echoes not done %s",
                    b->label, want, what);
      bench_poll (b, 0.1);
    }
}

static gboolean
callgrind_total (const char *file, guint64 *ir)
{
  char *text = NULL;
  char **lines;
  gboolean found = FALSE;
  guint i;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "totals:"))
        {
          *ir = g_ascii_strtoull (lines[i] + 7, NULL, 10);
          found = TRUE;
          break;
        }
      if (!found && g_str_has_prefix (lines[i], "summary:"))
        {
          *ir = g_ascii_strtoull (lines[i] + 8, NULL, 10);
          found = TRUE;
        }
    }
  g_strfreev (lines);
  g_free (text);
  return found;
}

/* Total Ir of one server run under callgrind: the scenario's connections,
 * @per_conn echoes on each, then close and exit. */
static gboolean
callgrind_run (const Config *cfg, const Side *side, const Scenario *sc, const char *file,
               guint per_conn, guint64 *ir, Result *r)
{
  Server srv;
  Bench *b;
  double deadline = now () + CALLGRIND_DEADLINE;
  gboolean ok;

  if (!server_start (side, file, sc->deflate ? side->deflate_arg : NULL, &srv, 60))
    {
      r->kind = RES_ERROR;
      return FALSE;
    }
  b = scenario_bench (cfg, side, sc, srv.port);
  if (bench_open (b, sc->conns, sc->conns, deadline))
    bench_echo_all (b, per_conn, deadline, "under callgrind");
  ok = b->status == RES_OK;
  if (!ok)
    report_failure (b, r);
  /* Close the connections and give the server time to see it, so the
   * teardown costs the same in every run. */
  g_ptr_array_set_size (b->conns, 0);
  sleep_s (1.0);
  if (!server_stop (side, &srv, 60))
    {
      r->kind = RES_ERROR;
      ok = FALSE;
    }
  bench_free (b);
  if (ok && !callgrind_total (file, ir))
    {
      fprintf (stderr, "fws-bench: no totals in callgrind output %s\n", file);
      r->kind = RES_ERROR;
      ok = FALSE;
    }
  return ok;
}

/* Ir per message: a run with CALLGRIND_WARM + N messages on each connection
 * minus one with the same connections and CALLGRIND_WARM messages, so that
 * start-up, handshakes, exit and whatever the first messages set up
 * (buffers that grow to size, lazy initialisation) are not counted. */
static Result
workload_callgrind (const Config *cfg, const Side *side, const Scenario *sc, const char *dir)
{
  Result r = { RES_OK, 0, 0, -1 };
  guint per_conn = MAX (1, (guint) (sc->cg_msgs * cfg->cg_scale) / sc->conns);
  char *f0 = g_strdup_printf ("%s/callgrind.%s.%c.base.out", dir, side->label, sc->id);
  char *f1 = g_strdup_printf ("%s/callgrind.%s.%c.%u.out", dir, side->label, sc->id, per_conn);
  guint64 ir0 = 0, ir1 = 0;

  if (callgrind_run (cfg, side, sc, f0, CALLGRIND_WARM, &ir0, &r)
      && callgrind_run (cfg, side, sc, f1, CALLGRIND_WARM + per_conn, &ir1, &r))
    {
      r.value = ((double) ir1 - (double) ir0) / ((double) per_conn * sc->conns);
      r.value2 = (double) per_conn * sc->conns;
    }
  g_free (f0);
  g_free (f1);
  return r;
}

/* Total calls in a strace -c summary, or -1. */
static double
strace_total (const char *file)
{
  char *text = NULL;
  char **lines;
  double calls = -1;
  guint i;

  if (!g_file_get_contents (file, &text, NULL, NULL))
    return -1;
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      char **f = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      char *w[8];
      guint n = 0, j;

      for (j = 0; f[j] != NULL && n < G_N_ELEMENTS (w); j++)
        if (*f[j] != '\0')
          w[n++] = f[j];
      /* "100.00  0.001  1  4021  12 total": calls is the fourth column. */
      if (n >= 5 && strcmp (w[n - 1], "total") == 0)
        calls = g_ascii_strtod (w[3], NULL);
      g_strfreev (f);
    }
  g_strfreev (lines);
  g_free (text);
  return calls;
}

/* Syscalls per message: strace -c -f attached to the server for exactly
 * cfg->strace_msgs echoes on each connection (after a warm-up, with the
 * connections quiet at both ends). */
static Result
workload_strace (const Config *cfg, const Side *side, const Scenario *sc, const char *dir)
{
  Result r = { RES_OK, 0, 0, -1 };
  Server srv;
  Bench *b;
  double deadline = now () + CALLGRIND_DEADLINE;
  char *file = g_strdup_printf ("%s/strace.%s.%c.txt", dir, side->label, sc->id);
  guint warm = 200;
  pid_t tracer = -1;

  if (!server_start (side, NULL, sc->deflate ? side->deflate_arg : NULL, &srv, 10))
    {
      r.kind = RES_ERROR;
      g_free (file);
      return r;
    }
  b = scenario_bench (cfg, side, sc, srv.port);
  if (bench_open (b, sc->conns, sc->conns, deadline))
    bench_echo_all (b, warm, deadline, "before strace");
  if (b->status == RES_OK)
    {
      char pidarg[32];

      g_snprintf (pidarg, sizeof pidarg, "%d", (int) srv.pid);
      fflush (stdout);
      fflush (stderr);
      tracer = fork ();
      if (tracer == 0)
        {
          int devnull = open ("/dev/null", O_RDWR);

          dup2 (devnull, 0);
          dup2 (devnull, 1);
          dup2 (devnull, 2);
          execlp ("strace", "strace", "-c", "-f", "-o", file, "-p", pidarg, (char *) NULL);
          _exit (127);
        }
      /* Give strace time to attach to every thread. */
      sleep_s (1.0);
      /* One message at a time with a pause of 0.5 ms after each echo, so the
       * server always goes idle between messages, as over a real network:
       * strace slows the server, and without the pause a server that reads
       * again right after writing would find the next message already
       * there and skip its poll, which it would not do at full speed. */
      for (guint k = 1; k <= cfg->strace_msgs && b->status == RES_OK; k++)
        {
          bench_echo_all (b, warm + k, deadline, "under strace");
          sleep_s (0.0005);
        }
      sleep_s (0.2);
      if (tracer > 0)
        {
          int status = 0;

          kill (tracer, SIGINT);
          waitpid (tracer, &status, 0);
          r.value = strace_total (file);
          if (r.value < 0)
            {
              fprintf (stderr, "fws-bench: no strace summary in %s (is strace installed?)\n", file);
              r.kind = RES_ERROR;
            }
          else
            r.value /= cfg->strace_msgs;
        }
    }
  if (b->status != RES_OK)
    report_failure (b, &r);
  if (!server_stop (side, &srv, 10))
    r.kind = RES_ERROR;
  bench_free (b);
  g_free (file);
  return r;
}

/* ------------------------------------------------------------------------ */
/* Results                                                                   */

typedef struct {
  char       *name;
  const char *unit;
  const char *fmt;               /* printf format of one value */
  gboolean    lower_is_better;
  GArray     *vals[MAX_SIDES];   /* one per successful round */
  ResultKind  failed[MAX_SIDES]; /* worst failure of a round */
  gboolean    skipped[MAX_SIDES];
} Row;

static Row *
row_new (const char *name, const char *unit, const char *fmt, gboolean lower_is_better)
{
  Row *row = g_new0 (Row, 1);
  int s;

  row->name = g_strdup (name);
  row->unit = unit;
  row->fmt = fmt;
  row->lower_is_better = lower_is_better;
  for (s = 0; s < MAX_SIDES; s++)
    row->vals[s] = g_array_new (FALSE, FALSE, sizeof (double));
  return row;
}

static void
row_free (Row *row)
{
  int s;

  for (s = 0; s < MAX_SIDES; s++)
    g_array_unref (row->vals[s]);
  g_free (row->name);
  g_free (row);
}

static const char *
kind_name (ResultKind kind)
{
  return kind == RES_TIMEOUT ? "timeout" : "FAILED";
}

static void
row_add (Row *row, int side, const Side *sides, int round, int rounds,
         ResultKind kind, double v, double client_cpu)
{
  char num[64];

  printf ("  round %d/%d  %-9s %-52s ", round, rounds, sides[side].label, row->name);
  if (kind != RES_OK)
    {
      row->failed[side] = MAX (row->failed[side], kind);
      printf ("%s\n", kind_name (kind));
      fflush (stdout);
      return;
    }
  g_array_append_val (row->vals[side], v);
  g_snprintf (num, sizeof num, row->fmt, v);
  if (client_cpu >= 0)
    printf ("%12s %-6s (bench client %.0f%% CPU)\n", num, row->unit, client_cpu * 100);
  else
    printf ("%12s %s\n", num, row->unit);
  fflush (stdout);
}

static double
array_min (GArray *a)
{
  double m = G_MAXDOUBLE;
  guint i;

  for (i = 0; i < a->len; i++)
    m = MIN (m, g_array_index (a, double, i));
  return m;
}

static double
array_max (GArray *a)
{
  double m = -G_MAXDOUBLE;
  guint i;

  for (i = 0; i < a->len; i++)
    m = MAX (m, g_array_index (a, double, i));
  return m;
}

static void
ratio_cell (char *buf, gsize size, const Row *row, int s, int other)
{
  double a, o;

  if (other < 0 || row->vals[s]->len == 0 || row->vals[other]->len == 0)
    {
      g_strlcpy (buf, "-", size);
      return;
    }
  a = median (row->vals[s]);
  o = median (row->vals[other]);
  if (o == 0)
    g_strlcpy (buf, "-", size);
  else
    g_snprintf (buf, size, "%.2fx", a / o);
}

/* One line per server: median, min, max, and the ratio of medians. */
static void
print_row (const Row *row, const Side *sides, int n_sides, int lws, int soup)
{
  int s;

  printf ("\n%s (%s; %s is better)\n", row->name, row->unit,
          row->lower_is_better ? "lower" : "higher");
  printf ("  %-10s %12s %12s %12s %9s %9s  %s\n", "server", "median", "min", "max",
          "/lws", "/soup", "rounds");
  for (s = 0; s < n_sides; s++)
    {
      GArray *v = row->vals[s];
      char m[32], lo[32], hi[32], rl[32], rs[32];
      GString *all = g_string_new (NULL);
      guint i;

      if (!sides[s].present)
        continue;
      if (v->len == 0)
        {
          printf ("  %-10s %12s\n", sides[s].label,
                  row->skipped[s] ? "n/a" : row->failed[s] != RES_OK ? kind_name (row->failed[s]) : "-");
          g_string_free (all, TRUE);
          continue;
        }
      g_snprintf (m, sizeof m, row->fmt, median (v));
      g_snprintf (lo, sizeof lo, row->fmt, array_min (v));
      g_snprintf (hi, sizeof hi, row->fmt, array_max (v));
      ratio_cell (rl, sizeof rl, row, s, lws);
      ratio_cell (rs, sizeof rs, row, s, soup);
      for (i = 0; i < v->len; i++)
        {
          char one[32];

          g_snprintf (one, sizeof one, row->fmt, g_array_index (v, double, i));
          g_string_append_printf (all, "%s%s", i ? " " : "", one);
        }
      if (row->failed[s] != RES_OK)
        g_string_append_printf (all, " (+%s)", kind_name (row->failed[s]));
      printf ("  %-10s %12s %12s %12s %9s %9s  %s\n", sides[s].label, m, lo, hi, rl, rs, all->str);
      g_string_free (all, TRUE);
    }
}

/* A compact matrix: one line per row, one column per server (medians). */
static void
print_matrix (const char *title, GPtrArray *rows, const Side *sides, int n_sides)
{
  guint i;
  int s;

  printf ("\n%s\n  %-44s", title, "");
  for (s = 0; s < n_sides; s++)
    if (sides[s].present)
      printf (" %12s", sides[s].label);
  printf ("\n");
  for (i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);

      printf ("  %-44s", row->name);
      for (s = 0; s < n_sides; s++)
        {
          char num[32];

          if (!sides[s].present)
            continue;
          if (row->vals[s]->len == 0)
            g_strlcpy (num, row->skipped[s] ? "n/a" : row->failed[s] != RES_OK ? kind_name (row->failed[s]) : "-",
                       sizeof num);
          else
            g_snprintf (num, sizeof num, row->fmt, median (row->vals[s]));
          printf (" %12s", num);
        }
      printf ("\n");
    }
}

/* ------------------------------------------------------------------------ */

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

static guint
raise_nofile_limit (guint want)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return want;
  if (rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        getrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t) want + 100)
    {
      guint n = rl.rlim_cur > 200 ? (guint) rl.rlim_cur - 100 : 100;

      printf ("note: RLIMIT_NOFILE is %lu (hard limit %lu), below %u + 100: "
              "opening %u idle connections instead (raise it with ulimit -Hn)\n",
              (unsigned long) rl.rlim_cur, (unsigned long) rl.rlim_max, want, n);
      return n;
    }
  return want;
}

/* ------------------------------------------------------------------------ */
/* f: fairness                                                               */

/* One connection (the flooder, two threads with blocking sockets) sends
 * binary messages of FAIR_FLOOD_LEN zero bytes, compressed with
 * permessage-deflate to about 64 KiB each, as fast as the server takes
 * them, and reads and discards the echoes; FAIR_CONNS other connections
 * echo 16 B texts, one in flight each, and every round trip is recorded. */
#define FAIR_CONNS      16
#define FAIR_FLOOD_LEN  ((gsize) 64 * 1024 * 1024 - 1)   /* fws-echo-server's default max-length */

typedef struct {
  int      fd;
  guint8  *frame;
  gsize    frame_len;
  gint     stop;               /* atomic */
  gint     closed;             /* atomic: the server closed the flooder */
  guint64  sent;               /* messages written whole (writer thread) */
  guint64  read_bytes;         /* echo bytes read (reader thread) */
  GThread *writer, *reader;
} Flood;

/* The flooder's masked frame, built once: a fresh compressor per message,
 * so it is valid with or without context takeover. */
static guint8 *
flood_frame (gsize *frame_len)
{
  guint8 *zeros = g_malloc0 (FAIR_FLOOD_LEN);
  gsize cap = FAIR_FLOOD_LEN / 512 + 4096;
  guint8 *comp = g_malloc (cap), *f, *p;
  z_stream z = { 0 };
  gsize clen, hlen, i;
  guint8 mask[4] = { 0x5a, 0x3c, 0xa5, 0xc3 };

  deflateInit2 (&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  z.next_in = zeros;
  z.avail_in = (uInt) FAIR_FLOOD_LEN;
  z.next_out = comp;
  z.avail_out = (uInt) cap;
  if (deflate (&z, Z_SYNC_FLUSH) != Z_OK || z.avail_in != 0)
    g_error ("fws-bench: cannot compress the flood message");
  clen = cap - z.avail_out - 4;   /* RFC 7692: without 00 00 ff ff */
  deflateEnd (&z);
  g_free (zeros);

  hlen = clen < 126 ? 6 : clen < 65536 ? 8 : 14;
  f = g_malloc (hlen + clen);
  f[0] = 0x80 | 0x40 | 0x2;
  if (clen < 126)
    f[1] = 0x80 | (guint8) clen;
  else if (clen < 65536)
    {
      f[1] = 0x80 | 126;
      f[2] = (guint8) (clen >> 8);
      f[3] = (guint8) clen;
    }
  else
    {
      f[1] = 0x80 | 127;
      for (i = 0; i < 8; i++)
        f[2 + i] = (guint8) ((guint64) clen >> (56 - 8 * i));
    }
  memcpy (f + hlen - 4, mask, 4);
  p = f + hlen;
  for (i = 0; i < clen; i++)
    p[i] = comp[i] ^ mask[i & 3];
  g_free (comp);
  *frame_len = hlen + clen;
  return f;
}

static gboolean
send_all (int fd, const guint8 *p, gsize len, gint *stop)
{
  while (len > 0 && !g_atomic_int_get (stop))
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

      if (n > 0)
        {
          p += n;
          len -= (gsize) n;
        }
      else if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        continue;   /* SO_SNDTIMEO: look at @stop again */
      else
        return FALSE;
    }
  return len == 0;
}

static gpointer
flood_writer (gpointer data)
{
  Flood *fl = data;

  while (!g_atomic_int_get (&fl->stop))
    {
      if (!send_all (fl->fd, fl->frame, fl->frame_len, &fl->stop))
        break;
      fl->sent++;
    }
  return NULL;
}

static gpointer
flood_reader (gpointer data)
{
  Flood *fl = data;
  guint8 *buf = g_malloc (256 * 1024);

  while (!g_atomic_int_get (&fl->stop))
    {
      ssize_t n = recv (fl->fd, buf, 256 * 1024, 0);

      if (n > 0)
        fl->read_bytes += (guint64) n;
      else if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        continue;
      else
        {
          g_atomic_int_set (&fl->closed, 1);
          break;
        }
    }
  g_free (buf);
  return NULL;
}

/* Connects, offers permessage-deflate and starts both threads; FALSE with
 * a reason in @why when the server does not accept it. */
static gboolean
flood_start (Flood *fl, int port, char **why)
{
  struct sockaddr_in sa = { 0 };
  struct timeval tv = { 0, 200000 };
  char *req;
  char head[HEAD_MAX];
  gsize hlen = 0;
  double deadline = now () + 10;
  int one = 1;

  fl->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sa.sin_family = AF_INET;
  sa.sin_port = htons ((guint16) port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt (fl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fl->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect (fl->fd, (struct sockaddr *) &sa, sizeof sa) != 0)
    {
      *why = g_strdup_printf ("connect: %s", g_strerror (errno));
      return FALSE;
    }
  req = g_strdup_printf ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", port);
  if (!send_all (fl->fd, (const guint8 *) req, strlen (req), &fl->stop))
    {
      g_free (req);
      *why = g_strdup ("could not send the handshake");
      return FALSE;
    }
  g_free (req);
  while (hlen < sizeof head - 1 && now () < deadline)
    {
      ssize_t n = recv (fl->fd, head + hlen, 1, 0);   /* byte by byte: nothing past the head */

      if (n == 1)
        {
          hlen++;
          if (hlen >= 4 && memcmp (head + hlen - 4, "\r\n\r\n", 4) == 0)
            break;
        }
      else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
        break;
    }
  head[hlen] = '\0';
  if (!g_str_has_prefix (head, "HTTP/1.1 101") || strstr (head, "\r\n\r\n") == NULL)
    {
      *why = g_strdup ("no 101 answer");
      return FALSE;
    }
  if (g_strstr_len (head, -1, "permessage-deflate") == NULL)
    {
      *why = g_strdup ("permessage-deflate not accepted");
      return FALSE;
    }
  fl->writer = g_thread_new ("flood-writer", flood_writer, fl);
  fl->reader = g_thread_new ("flood-reader", flood_reader, fl);
  return TRUE;
}

static void
flood_stop (Flood *fl)
{
  g_atomic_int_set (&fl->stop, 1);
  if (fl->fd >= 0)
    shutdown (fl->fd, SHUT_RDWR);
  if (fl->writer != NULL)
    g_thread_join (fl->writer);
  if (fl->reader != NULL)
    g_thread_join (fl->reader);
  if (fl->fd >= 0)
    close (fl->fd);
  fl->fd = -1;
  fl->writer = fl->reader = NULL;
}

typedef struct {
  ResultKind kind;
  double     median, p99, worst;   /* seconds */
  guint      echoes;
  guint64    flood_sent;
  gboolean   flood_closed;
} FairResult;

static int
cmp_double_p (const void *a, const void *b)
{
  return cmp_double (a, b);
}

/* One round of f against @side. */
static FairResult
workload_fair (const Config *cfg, const Side *side, guint8 *frame, gsize frame_len)
{
  FairResult r = { RES_OK, -1, -1, -1, 0, 0, FALSE };
  Flood fl = { -1, frame, frame_len, 0, 0, 0, 0, NULL, NULL };
  double measure = MAX (cfg->duration * 2.5, 3.0);
  double deadline = now () + WORKLOAD_DEADLINE;
  char *why = NULL;
  Server srv;
  Bench *b;

  if (!server_start (side, NULL, side->deflate_arg, &srv, 10))
    {
      r.kind = RES_ERROR;
      return r;
    }
  b = bench_new (side->label, srv.port, 1, 1, cfg->large_payload);
  b->msg_len = SMALL_LEN;
  b->rtts = g_array_new (FALSE, FALSE, sizeof (double));
  if (bench_open (b, FAIR_CONNS, FAIR_CONNS, deadline))
    {
      if (!flood_start (&fl, srv.port, &why))
        {
          fprintf (stderr, "fws-bench: f: %s: the flooder: %s\n", side->label, why);
          r.kind = RES_ERROR;
        }
      else
        {
          double t_end;

          start_sending (b);
          t_end = now () + cfg->warmup;
          while (b->status == RES_OK && now () < t_end)
            bench_poll (b, 0.05);
          g_array_set_size (b->rtts, 0);
          fl.sent = 0;
          t_end = now () + measure;
          while (b->status == RES_OK && now () < t_end)
            bench_poll (b, 0.05);
          r.flood_sent = fl.sent;
          /* A message still in flight has waited at least this long. */
          for (guint i = 0; i < b->conns->len; i++)
            {
              Conn *c = g_ptr_array_index (b->conns, i);

              if (c->sent > c->received)
                {
                  double age = now () - c->sent_at;

                  g_array_append_val (b->rtts, age);
                }
            }
          r.flood_closed = g_atomic_int_get (&fl.closed);
        }
    }
  flood_stop (&fl);
  g_free (why);
  if (b->status != RES_OK)
    {
      Result rr;

      report_failure (b, &rr);
      r.kind = rr.kind;
    }
  else if (r.kind == RES_OK && b->rtts->len > 0)
    {
      double *v = (double *) b->rtts->data;
      guint n = b->rtts->len;

      qsort (v, n, sizeof (double), cmp_double_p);
      r.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
      r.p99 = v[MIN (n - 1, (guint) (n * 0.99))];
      r.worst = v[n - 1];
      r.echoes = n;
    }
  if (!server_stop (side, &srv, 20))
    r.kind = RES_ERROR;
  g_array_unref (b->rtts);
  b->rtts = NULL;
  bench_free (b);
  return r;
}

/* Runs f for every side present (and the --fws-before server, if any),
 * rounds interleaved, and prints each round and the summary. */
static gboolean
run_fairness (const Config *cfg, const Side *sides, int n_sides, const Side *before, int rounds)
{
  const Side *list[MAX_SIDES + 1];
  GArray *worst[MAX_SIDES + 1], *med[MAX_SIDES + 1], *p99[MAX_SIDES + 1];
  int n = 0, i, round;
  gboolean error = FALSE;
  gsize frame_len;
  guint8 *frame = flood_frame (&frame_len);

  list[n++] = &sides[0];
  if (before != NULL)
    list[n++] = before;
  for (i = 1; i < n_sides; i++)
    if (sides[i].present && sides[i].has_deflate)
      list[n++] = &sides[i];
  printf ("f: fairness: one connection sends binary messages of %" G_GSIZE_FORMAT " zero bytes,\n"
          "   %" G_GSIZE_FORMAT " bytes on the wire with permessage-deflate, as fast as the server takes\n"
          "   them; %d other connections echo 16 B texts, 1 in flight each: their round trips\n",
          FAIR_FLOOD_LEN, frame_len, FAIR_CONNS);
  fflush (stdout);
  for (i = 0; i < n; i++)
    {
      worst[i] = g_array_new (FALSE, FALSE, sizeof (double));
      med[i] = g_array_new (FALSE, FALSE, sizeof (double));
      p99[i] = g_array_new (FALSE, FALSE, sizeof (double));
    }
  for (round = 1; round <= rounds; round++)
    for (i = 0; i < n; i++)
      {
        FairResult r = workload_fair (cfg, list[i], frame, frame_len);

        if (r.kind == RES_ERROR)
          error = TRUE;
        if (r.kind != RES_OK || r.echoes == 0)
          {
            printf ("  round %d %-10s failed\n", round, list[i]->label);
            continue;
          }
        printf ("  round %d %-10s others' round trip: median %8.3f ms, p99 %8.1f ms, worst %8.1f ms "
                "(%u echoes); flood messages taken: %" G_GUINT64_FORMAT "%s\n",
                round, list[i]->label, r.median * 1e3, r.p99 * 1e3, r.worst * 1e3, r.echoes,
                r.flood_sent, r.flood_closed ? " (the server closed the flooder)" : "");
        fflush (stdout);
        g_array_append_val (worst[i], r.worst);
        g_array_append_val (med[i], r.median);
        g_array_append_val (p99[i], r.p99);
      }
  printf ("\n==== f: others' round trip while one connection floods (median of rounds) ====\n");
  for (i = 0; i < n; i++)
    {
      double w = -1;

      for (guint k = 0; k < worst[i]->len; k++)
        w = MAX (w, g_array_index (worst[i], double, k));
      if (med[i]->len == 0)
        printf ("  %-10s n/a\n", list[i]->label);
      else
        printf ("  %-10s median %8.3f ms  p99 %8.1f ms  worst %8.1f ms (worst of %u rounds)\n",
                list[i]->label, median (med[i]) * 1e3, median (p99[i]) * 1e3, w * 1e3, med[i]->len);
      g_array_unref (worst[i]);
      g_array_unref (med[i]);
      g_array_unref (p99[i]);
    }
  g_free (frame);
  return !error;
}

static gboolean
tool_found (const char *name)
{
  char *p = g_find_program_in_path (name);
  gboolean found = p != NULL;

  g_free (p);
  return found;
}

int
main (int argc, char **argv)
{
  char *paths[MAX_SIDES] = { NULL, NULL, NULL, NULL };
  char *only = NULL;
  char *before_path = NULL;
  char *fws_arg = NULL;
  int rounds = 0, idle_conns = 0, deflate_level = 1;
  double duration = 0, cg_scale = 0;
  gboolean quick = FALSE, no_callgrind = FALSE, no_strace = FALSE;
  GOptionEntry entries[] = {
    { "fws", 0, 0, G_OPTION_ARG_FILENAME, &paths[0], "fws-echo-server to run (default ../examples/fws-echo-server next to this program)", "PATH" },
    { "soup", 0, 0, G_OPTION_ARG_FILENAME, &paths[1], "soup-echo-server to run (default: next to this program)", "PATH" },
    { "lws", 0, 0, G_OPTION_ARG_FILENAME, &paths[2], "lws-echo-server to run (default: next to this program; skipped if absent)", "PATH" },
    { "raw", 0, 0, G_OPTION_ARG_FILENAME, &paths[3], "raw-echo-server to run (default: next to this program)", "PATH" },
    { "fws-arg", 0, 0, G_OPTION_ARG_STRING, &fws_arg, "One more option for fws-echo-server on every run (e.g. --deflate-context-takeover)", "ARG" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Interleaved rounds per scenario (default 3; --quick 2)", "N" },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &quick, "Short run: 1 s per round, 2,000 idle connections, a quarter of the callgrind messages", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Scenarios to run, as letters of abcepyzdif (default abcepyzdi)", "LETTERS" },
    { "fws-before", 0, 0, G_OPTION_ARG_FILENAME, &before_path, "f: another fws-echo-server (an older build) to run beside --fws", "PATH" },
    { "idle-conns", 0, 0, G_OPTION_ARG_INT, &idle_conns, "Connections for scenarios d and i (default 10000; --quick 2000)", "N" },
    { "deflate-level", 0, 0, G_OPTION_ARG_INT, &deflate_level, "zlib level of the fws-glib and lws servers in z and i, 0 to 9 (default 1, lws's own default)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "Measured seconds per round (default 2; --quick 1)", "S" },
    { "callgrind-scale", 0, 0, G_OPTION_ARG_DOUBLE, &cg_scale, "Multiply the messages of each callgrind run (default 1; --quick 0.25)", "F" },
    { "no-callgrind", 0, 0, G_OPTION_ARG_NONE, &no_callgrind, "Skip the callgrind runs", NULL },
    { "no-strace", 0, 0, G_OPTION_ARG_NONE, &no_strace, "Skip the syscall count of scenario p", NULL },
    { NULL }
  };
  static const char *labels[MAX_SIDES] = { "fws-glib", "libsoup", "lws", "raw" };
  static const char *defaults[MAX_SIDES] = { "../examples/fws-echo-server", "soup-echo-server",
                                             "lws-echo-server", "raw-echo-server" };
  GOptionContext *octx;
  GError *error = NULL;
  Side sides[MAX_SIDES];
  Config cfg = { 0 };
  Row *echo_rows[N_SCEN] = { NULL };
  Row *cg_rows[N_SCEN] = { NULL };
  Row *fault_row, *sys_row = NULL, *idle_t = NULL, *idle_m = NULL, *idle_z = NULL;
  char *deflate_args[MAX_SIDES] = { NULL, NULL, NULL, NULL };
  GPtrArray *cg_list;
  gboolean any_error = FALSE;
  double t_start = now ();
  char *dir;
  int round, s, lws = 2, soup = 1;
  guint i;

  octx = g_option_context_new ("- echo benchmark: fws-echo-server against libsoup, libwebsockets and a raw epoll server");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "fws-bench: %s\n", error->message);
      return 2;
    }
  g_option_context_free (octx);
  if (only == NULL)
    only = g_strdup ("abcepyzdi");
  for (i = 0; only[i] != '\0'; i++)
    if (strchr ("abcepyzdif", only[i]) == NULL)
      {
        fprintf (stderr, "fws-bench: --only takes letters of abcepyzdif\n");
        return 2;
      }
  if (deflate_level < 0 || deflate_level > 9)
    {
      fprintf (stderr, "fws-bench: --deflate-level takes 0 to 9\n");
      return 2;
    }
  /* The same level for the two servers that let it be set; libsoup's is
   * fixed (Z_DEFAULT_COMPRESSION) and it always accepts deflate. */
  deflate_args[0] = g_strdup_printf ("--deflate-level=%d", deflate_level);
  deflate_args[2] = g_strdup_printf ("--deflate-level=%d", deflate_level);
  if (rounds <= 0)
    rounds = quick ? 2 : 3;
  if (duration <= 0)
    duration = quick ? 1.0 : 2.0;
  if (idle_conns <= 0)
    idle_conns = quick ? 2000 : 10000;
  if (cg_scale <= 0)
    cg_scale = quick ? 0.25 : 1.0;
  cfg.duration = duration;
  cfg.warmup = quick ? 0.25 : 0.5;
  cfg.cg_scale = cg_scale;
  cfg.strace_msgs = quick ? 1000 : 4000;

  for (s = 0; s < MAX_SIDES; s++)
    {
      sides[s].label = labels[s];
      sides[s].path = paths[s] ? paths[s] : default_path (defaults[s]);
      sides[s].deflate_arg = deflate_args[s];   /* soup: always offers it */
      sides[s].extra_arg = s == 0 ? fws_arg : NULL;
      sides[s].has_deflate = s != 3;
      sides[s].present = g_file_test (sides[s].path, G_FILE_TEST_IS_EXECUTABLE);
      if (!sides[s].present && s != 2)
        {
          fprintf (stderr, "fws-bench: %s server not found: %s (use --%s PATH)\n",
                   sides[s].label, sides[s].path, s == 0 ? "fws" : s == 1 ? "soup" : "raw");
          return 1;
        }
    }
  if (!sides[2].present)
    {
      printf ("note: %s not found (build with libwebsockets-dev installed): no lws column\n",
              sides[2].path);
      lws = -1;
    }
  if (!no_callgrind && !tool_found ("valgrind"))
    {
      printf ("note: valgrind not found: no callgrind counts\n");
      no_callgrind = TRUE;
    }
  if (!no_strace && !tool_found ("strace"))
    {
      printf ("note: strace not found: no syscall counts\n");
      no_strace = TRUE;
    }

  signal (SIGPIPE, SIG_IGN);
  cfg.idle_conns = raise_nofile_limit ((guint) idle_conns);
  cfg.large_payload = g_malloc (LARGE_LEN);
  for (i = 0; i < LARGE_LEN; i += 4)
    {
      guint32 r = g_random_int ();
      memcpy (cfg.large_payload + i, &r, 4);
    }
  dir = g_dir_make_tmp ("fws-bench-XXXXXX", &error);
  if (dir == NULL)
    {
      fprintf (stderr, "fws-bench: %s\n", error->message);
      return 1;
    }

  printf ("fws-bench: scenarios %s, %d interleaved round(s) each, %.2g s measured after %.2g s warm-up;\n"
          "127.0.0.1 only; callgrind and strace output in %s\n", only, rounds, cfg.duration, cfg.warmup, dir);
  for (s = 0; s < MAX_SIDES; s++)
    if (sides[s].present)
      printf ("  %-9s %s%s%s\n", sides[s].label, sides[s].path,
              sides[s].extra_arg ? " " : "", sides[s].extra_arg ? sides[s].extra_arg : "");
  printf ("\n");
  fflush (stdout);

  fault_row = row_new ("c: server minor page faults per 1 MiB message", "faults", "%.1f", TRUE);
  cg_list = g_ptr_array_new ();

  /* Timed rounds, interleaved: fws, soup, lws, raw, fws, ... */
  for (i = 0; i < N_SCEN; i++)
    {
      const Scenario *sc = &scenarios[i];
      char *name;

      if (strchr (only, sc->id) == NULL)
        continue;
      name = g_strdup_printf ("%c: %s", sc->id, sc->what);
      echo_rows[i] = row_new (name, "msg/s", "%.0f", FALSE);
      g_free (name);
      for (round = 1; round <= rounds; round++)
        for (s = 0; s < MAX_SIDES; s++)
          {
            Result r;

            if (!sides[s].present)
              continue;
            if (sc->deflate && !sides[s].has_deflate)
              {
                echo_rows[i]->skipped[s] = TRUE;
                continue;
              }
            r = workload_echo (&cfg, &sides[s], sc);
            any_error |= r.kind == RES_ERROR;
            row_add (echo_rows[i], s, sides, round, rounds, r.kind, r.value, r.client_cpu);
            if (sc->id == 'c' && r.kind == RES_OK && r.value2 >= 0)
              g_array_append_val (fault_row->vals[s], r.value2);
          }
    }

  if (strchr (only, 'f') != NULL)
    {
      Side before = sides[0];

      before.label = "fws-before";
      before.path = before_path;
      before.present = before_path != NULL && g_file_test (before_path, G_FILE_TEST_IS_EXECUTABLE);
      if (before_path != NULL && !before.present)
        fprintf (stderr, "fws-bench: --fws-before %s is not a program\n", before_path);
      any_error |= !run_fairness (&cfg, sides, MAX_SIDES, before.present ? &before : NULL, rounds);
    }

  if (strchr (only, 'd') != NULL)
    {
      /* Opening 10,000 connections to libsoup takes long; one round each. */
      char *name = g_strdup_printf ("d: time to open %u idle conns", cfg.idle_conns);

      idle_t = row_new (name, "s", "%.2f", TRUE);
      idle_m = row_new ("d: server RSS per idle conn", "bytes", "%.0f", TRUE);
      g_free (name);
      for (s = 0; s < MAX_SIDES; s++)
        {
          Result r;

          if (!sides[s].present)
            continue;
          r = workload_idle (&cfg, &sides[s], FALSE);
          any_error |= r.kind == RES_ERROR;
          row_add (idle_t, s, sides, 1, 1, r.kind, r.value, r.client_cpu);
          row_add (idle_m, s, sides, 1, 1, r.kind == RES_OK && r.value2 < 0 ? RES_ERROR : r.kind,
                   r.value2, -1);
        }
    }

  if (strchr (only, 'i') != NULL)
    {
      idle_z = row_new ("i: server RSS per idle conn, deflate, 1 message", "bytes", "%.0f", TRUE);
      for (s = 0; s < MAX_SIDES; s++)
        {
          Result r;

          if (!sides[s].present)
            continue;
          if (!sides[s].has_deflate)
            {
              idle_z->skipped[s] = TRUE;
              continue;
            }
          r = workload_idle (&cfg, &sides[s], TRUE);
          any_error |= r.kind == RES_ERROR;
          row_add (idle_z, s, sides, 1, 1, r.kind == RES_OK && r.value2 < 0 ? RES_ERROR : r.kind,
                   r.value2, -1);
        }
    }

  if (!no_strace && strchr (only, 'p') != NULL)
    {
      const Scenario *sc = NULL;

      for (i = 0; i < N_SCEN; i++)
        if (scenarios[i].id == 'p')
          sc = &scenarios[i];
      sys_row = row_new ("p: server syscalls per message (strace -c -f)", "calls", "%.2f", TRUE);
      for (s = 0; s < MAX_SIDES; s++)
        {
          Result r;

          if (!sides[s].present)
            continue;
          r = workload_strace (&cfg, &sides[s], sc, dir);
          any_error |= r.kind == RES_ERROR;
          row_add (sys_row, s, sides, 1, 1, r.kind, r.value, -1);
        }
    }

  if (!no_callgrind)
    {
      printf ("\ncallgrind: each scenario's connections and window; a run with %d + N messages\n"
              "per connection minus a run with %d (start-up, handshakes, first messages, exit),\n"
              "divided by the N messages\n", CALLGRIND_WARM, CALLGRIND_WARM);
      fflush (stdout);
      for (i = 0; i < N_SCEN; i++)
        {
          const Scenario *sc = &scenarios[i];
          char *name;

          if (strchr (only, sc->id) == NULL)
            continue;
          name = g_strdup_printf ("%c: %s", sc->id, sc->what);
          cg_rows[i] = row_new (name, "Ir/msg", "%.0f", TRUE);
          g_free (name);
          g_ptr_array_add (cg_list, cg_rows[i]);
          for (s = 0; s < MAX_SIDES; s++)
            {
              Result r;

              if (!sides[s].present)
                continue;
              if (sc->deflate && !sides[s].has_deflate)
                {
                  cg_rows[i]->skipped[s] = TRUE;
                  continue;
                }
              r = workload_callgrind (&cfg, &sides[s], sc, dir);
              any_error |= r.kind == RES_ERROR;
              row_add (cg_rows[i], s, sides, 1, 1, r.kind, r.value, -1);
            }
        }
    }

  printf ("\n==== results: median of rounds, min, max; /lws and /soup are ratios of medians ====\n");
  for (i = 0; i < N_SCEN; i++)
    if (echo_rows[i] != NULL)
      print_row (echo_rows[i], sides, MAX_SIDES, lws, soup);
  if (fault_row->vals[0]->len + fault_row->vals[1]->len > 0)
    print_row (fault_row, sides, MAX_SIDES, lws, soup);
  if (sys_row != NULL)
    print_row (sys_row, sides, MAX_SIDES, lws, soup);
  if (idle_t != NULL)
    {
      print_row (idle_t, sides, MAX_SIDES, lws, soup);
      print_row (idle_m, sides, MAX_SIDES, lws, soup);
    }
  if (idle_z != NULL)
    print_row (idle_z, sides, MAX_SIDES, lws, soup);
  if (cg_list->len > 0)
    print_matrix ("callgrind: server instructions (Ir) per message echoed (lower is better)",
                  cg_list, sides, MAX_SIDES);
  {
    GPtrArray *all = g_ptr_array_new ();

    for (i = 0; i < N_SCEN; i++)
      if (echo_rows[i] != NULL)
        g_ptr_array_add (all, echo_rows[i]);
    if (all->len > 0)
      print_matrix ("throughput: messages per second, medians (c: 1 MiB messages, so MiB/s)",
                    all, sides, MAX_SIDES);
    g_ptr_array_unref (all);
  }
  if (strchr (only, 'z') != NULL || strchr (only, 'i') != NULL)
    printf ("\nz and i: zlib level %d in fws-glib (fws-echo-server --deflate-level=%d, the\n"
            "rest of FwsPermessageDeflate's defaults) and lws (--deflate-level=%d, its\n"
            "permessage-deflate extension otherwise with its defaults); libsoup's server\n"
            "always accepts deflate, at level 6 (Z_DEFAULT_COMPRESSION, not settable);\n"
            "raw has no deflate (n/a).  The load generator compresses at level 1 with\n"
            "context takeover.\n", deflate_level, deflate_level, deflate_level);
  printf ("total time %.0f s\n", now () - t_start);

  for (i = 0; i < N_SCEN; i++)
    {
      if (echo_rows[i] != NULL)
        row_free (echo_rows[i]);
      if (cg_rows[i] != NULL)
        row_free (cg_rows[i]);
    }
  row_free (fault_row);
  if (sys_row != NULL)
    row_free (sys_row);
  if (idle_t != NULL)
    {
      row_free (idle_t);
      row_free (idle_m);
    }
  if (idle_z != NULL)
    row_free (idle_z);
  for (s = 0; s < MAX_SIDES; s++)
    g_free (deflate_args[s]);
  g_ptr_array_unref (cg_list);
  g_free (cfg.large_payload);
  for (s = 0; s < MAX_SIDES; s++)
    g_free (sides[s].path);
  g_free (only);
  g_free (fws_arg);
  g_free (dir);
  return any_error ? 1 : 0;
}
