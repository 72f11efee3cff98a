/* raw-echo-server.c — SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The floor for fws-bench and fws-client-bench.
 *
 * A WebSocket echo server that uses no WebSocket library: one thread,
 * epoll (edge-triggered), non-blocking sockets, the RFC 6455 handshake and
 * frames by hand.  Each client frame is unmasked in place in the
 * connection's input buffer and sent back from there: the unmasked server
 * header (four bytes shorter than the masked one) is written just in front
 * of the payload, so a frame alone in the buffer goes out with no copy.
 * Every frame is echoed with its own opcode and FIN bit, so a fragmented
 * message comes back fragmented the same way; pings are answered with
 * pongs, a close frame is echoed and the connection shut.  It offers no
 * extension (permessage-deflate is declined by not answering it).
 *
 * Same command-line contract as examples/fws-echo-server:
 *
 *   raw-echo-server [--host ADDR] [--port N]
 *
 * prints exactly one line "listening on http://HOST:PORT/" once it accepts,
 * and exits cleanly on SIGTERM or SIGINT.  GLib is used for the option
 * parser, SHA-1 and base64 only.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HEAD_MAX 16384
#define READ_MIN 65536
#define SHARED_SIZE (256 * 1024)

/* Connections with nothing pending read into this buffer and process their
 * frames in place there; only what is left over (a partial frame, output
 * the socket did not take) moves to a buffer of the connection's own, so an
 * idle connection holds no buffer at all. */
static guint8 *shared_buf;
static gboolean shared_busy;

typedef struct {
  int      fd;
  gboolean open;           /* handshake done */
  gboolean closing;        /* close frame echoed: shut once flushed */
  guint8  *buf;
  gsize    cap;
  gboolean shared;         /* buf is shared_buf */
  gsize    len;            /* bytes in buf */
  gsize    send_off;       /* [send_off, send_end): output waiting to go */
  gsize    send_end;
  gsize    parse;          /* next unparsed input byte; >= send_end */
} Conn;

static void
conn_free (Conn *c)
{
  close (c->fd);
  if (c->shared)
    shared_busy = FALSE;
  else
    g_free (c->buf);
  g_free (c);
}

/* Make room for @need more bytes after len, moving live data to the front. */
static void
conn_reserve (Conn *c, gsize need)
{
  if (c->cap - c->len >= need)
    return;
  if (c->send_off > 0)
    {
      gsize shift = c->send_off;

      memmove (c->buf, c->buf + shift, c->len - shift);
      c->len -= shift;
      c->send_end -= shift;
      c->parse -= shift;
      c->send_off = 0;
    }
  if (c->cap - c->len < need)
    {
      gsize cap = MAX (c->cap * 2, c->len + need);

      if (c->shared)
        {
          guint8 *own = g_malloc (cap);

          memcpy (own, c->buf, c->len);
          c->buf = own;
          c->shared = FALSE;
          shared_busy = FALSE;
        }
      else
        c->buf = g_realloc (c->buf, cap);
      c->cap = cap;
    }
}

/* Before reading: a connection with no buffer borrows the shared one. */
static void
conn_borrow (Conn *c)
{
  if (c->buf == NULL && !shared_busy)
    {
      c->buf = shared_buf;
      c->cap = SHARED_SIZE;
      c->shared = TRUE;
      shared_busy = TRUE;
    }
}

/* After the event: give the shared buffer back, keeping any live bytes in
 * a buffer of the connection's own; drop an empty small buffer. */
static void
conn_release (Conn *c)
{
  gsize live;

  if (c->buf == NULL)
    return;
  live = c->len - c->send_off;
  if (c->shared)
    {
      shared_busy = FALSE;
      if (live == 0)
        {
          c->buf = NULL;
          c->cap = 0;
        }
      else
        {
          c->cap = MAX (live, READ_MIN);
          c->buf = g_memdup2 (shared_buf + c->send_off, live);
          c->buf = g_realloc (c->buf, c->cap);
        }
      c->shared = FALSE;
      c->len = live;
      c->parse -= c->send_off;
      c->send_end -= c->send_off;
      c->send_off = 0;
    }
  else if (live == 0 && c->cap <= SHARED_SIZE)
    {
      g_free (c->buf);
      c->buf = NULL;
      c->cap = 0;
      c->len = c->parse = c->send_off = c->send_end = 0;
    }
}

/* Append output bytes that already sit in buf at @at (>= send_end). */
static void
out_append_inplace (Conn *c, gsize at, gsize n)
{
  if (c->send_off == c->send_end)
    c->send_off = c->send_end = at;
  else if (at != c->send_end)
    memmove (c->buf + c->send_end, c->buf + at, n);
  c->send_end += n;
}

/* FALSE: the connection is finished (error or closed). */
static gboolean
conn_flush (Conn *c)
{
  while (c->send_off < c->send_end)
    {
      ssize_t n = send (c->fd, c->buf + c->send_off, c->send_end - c->send_off, MSG_NOSIGNAL);

      if (n > 0)
        c->send_off += (gsize) n;
      else if (n < 0 && errno == EINTR)
        continue;
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return TRUE;
      else
        return FALSE;
    }
  if (c->closing)
    return FALSE;
  /* Everything sent: what lies before parse is dead. */
  if (c->parse == c->len)
    c->len = c->parse = c->send_off = c->send_end = 0;
  else
    c->send_off = c->send_end = c->parse;
  return TRUE;
}

static gboolean
handshake (Conn *c)
{
  const char *head = (const char *) c->buf;
  const char *end = memmem (head, c->len, "\r\n\r\n", 4);
  const char *p, *key = NULL;
  gsize key_len = 0, head_len, resp_len;
  GChecksum *sha;
  guint8 digest[20];
  gsize dlen = sizeof digest;
  char *accept, *resp;

  if (end == NULL)
    return c->len < HEAD_MAX;
  head_len = (gsize) (end - head) + 4;
  for (p = head; p < end; )
    {
      const char *eol = memmem (p, (gsize) (end - p) + 2, "\r\n", 2);

      if (g_ascii_strncasecmp (p, "Sec-WebSocket-Key:", 18) == 0)
        {
          key = p + 18;
          while (*key == ' ' || *key == '\t')
            key++;
          key_len = (gsize) (eol - key);
          while (key_len > 0 && (key[key_len - 1] == ' ' || key[key_len - 1] == '\t'))
            key_len--;
        }
      p = eol + 2;
    }
  if (key == NULL || strncmp (head, "GET ", 4) != 0)
    return FALSE;

  sha = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha, (const guchar *) key, (gssize) key_len);
  g_checksum_update (sha, (const guchar *) WS_GUID, -1);
  g_checksum_get_digest (sha, digest, &dlen);
  g_checksum_free (sha);
  accept = g_base64_encode (digest, dlen);
  resp = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n"
                          "\r\n", accept);
  g_free (accept);
  resp_len = strlen (resp);

  /* Replace the request head with the response in the buffer. */
  c->open = TRUE;
  if (resp_len <= head_len)
    {
      memcpy (c->buf + head_len - resp_len, resp, resp_len);
      c->send_off = head_len - resp_len;
    }
  else
    {
      conn_reserve (c, resp_len);
      memmove (c->buf + resp_len, c->buf + head_len, c->len - head_len);
      c->len = c->len - head_len + resp_len;
      memcpy (c->buf, resp, resp_len);
      c->send_off = 0;
      head_len = resp_len;
    }
  c->send_end = head_len;
  c->parse = head_len;
  g_free (resp);
  return TRUE;
}

/* Parse and echo every complete frame; FALSE on a protocol error. */
static gboolean
frames (Conn *c)
{
  while (!c->closing)
    {
      guint8 *f = c->buf + c->parse;
      gsize avail = c->len - c->parse;
      gsize hlen = 2, out_hlen, plen, at, i;
      guint len7, op;
      guint8 mask[4];
      guint8 *payload;

      if (avail < 2)
        break;
      if (!(f[1] & 0x80) || (f[0] & 0x70))
        return FALSE;            /* unmasked client frame or RSV bits */
      op = f[0] & 0x0f;
      len7 = f[1] & 0x7f;
      if (len7 == 126)
        hlen += 2;
      else if (len7 == 127)
        hlen += 8;
      hlen += 4;
      if (avail < hlen)
        break;
      if (len7 == 126)
        plen = ((gsize) f[2] << 8) | f[3];
      else if (len7 == 127)
        {
          guint64 v = 0;

          for (i = 0; i < 8; i++)
            v = (v << 8) | f[2 + i];
          if (v > G_MAXSIZE / 2)
            return FALSE;
          plen = (gsize) v;
        }
      else
        plen = len7;
      if (avail < hlen + plen)
        {
          /* Room for the whole frame, so the next reads complete it. */
          conn_reserve (c, hlen + plen - avail);
          break;
        }

      payload = f + hlen;
      memcpy (mask, f + hlen - 4, 4);
      /* Unmask in place, sixteen bytes at a time. */
      {
        typedef guint8 v16 __attribute__ ((vector_size (16)));
        v16 m16, v;

        for (i = 0; i < 16; i++)
          m16[i] = mask[i & 3];
        for (i = 0; i + 16 <= plen; i += 16)
          {
            memcpy (&v, payload + i, 16);
            v ^= m16;
            memcpy (payload + i, &v, 16);
          }
        for (; i < plen; i++)
          payload[i] ^= mask[i & 3];
      }

      /* The unmasked server header, written just before the payload. */
      out_hlen = hlen - 4;
      at = c->parse + 4;
      {
        guint8 h[10];

        memcpy (h, f, out_hlen);
        if (op == 0x9)
          h[0] = 0x8A;           /* ping: pong with the same payload */
        h[1] &= 0x7f;
        memcpy (c->buf + at, h, out_hlen);
      }
      c->parse += hlen + plen;
      if (op == 0xA)
        continue;                /* unsolicited pong: nothing to send */
      out_append_inplace (c, at, out_hlen + plen);
      if (op == 0x8)
        c->closing = TRUE;
    }
  return TRUE;
}

/* FALSE: free the connection. */
static gboolean conn_event_inner (Conn *c, guint32 events);

static gboolean
conn_event (Conn *c, guint32 events)
{
  gboolean ok;

  conn_borrow (c);
  ok = conn_event_inner (c, events);
  if (ok)
    conn_release (c);
  return ok;
}

static gboolean
conn_event_inner (Conn *c, guint32 events)
{
  if (events & EPOLLIN)
    {
      for (;;)
        {
          ssize_t n;
          gsize room;

          conn_reserve (c, READ_MIN);
          room = c->cap - c->len;
          n = recv (c->fd, c->buf + c->len, room, 0);
          if (n > 0)
            {
              c->len += (gsize) n;
              if (!c->open && !handshake (c))
                return FALSE;
              if (c->open && !frames (c))
                return FALSE;
              if ((gsize) n < room)
                break;
            }
          else if (n == 0)
            return FALSE;
          else if (errno == EINTR)
            continue;
          else if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
          else
            return FALSE;
        }
    }
  else if (events & (EPOLLHUP | EPOLLERR))
    return FALSE;
  return conn_flush (c);
}

static void
raise_nofile_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

int
main (int argc, char **argv)
{
  char *host = NULL;
  int port = 0;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "IPv4 address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port to listen on (default 0: any free port)", "N" },
    { NULL }
  };
  GOptionContext *octx;
  GError *error = NULL;
  struct sockaddr_in sa = { 0 };
  socklen_t salen = sizeof sa;
  struct epoll_event ev = { 0 };
  sigset_t sigs;
  int lfd, epfd, sfd, one = 1;
  char addr[INET_ADDRSTRLEN];
  gboolean running = TRUE;

  octx = g_option_context_new ("- WebSocket echo server with no WebSocket library (benchmark floor)");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "raw-echo-server: %s\n", error->message);
      return 2;
    }
  g_option_context_free (octx);
  if (port < 0 || port > 65535)
    {
      fprintf (stderr, "raw-echo-server: invalid port %d\n", port);
      return 2;
    }
  raise_nofile_limit ();

  sa.sin_family = AF_INET;
  sa.sin_port = htons ((guint16) port);
  if (inet_pton (AF_INET, host ? host : "127.0.0.1", &sa.sin_addr) != 1)
    {
      fprintf (stderr, "raw-echo-server: invalid IPv4 address '%s'\n", host);
      return 2;
    }
  lfd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &sa, sizeof sa) != 0
      || listen (lfd, 4096) != 0
      || getsockname (lfd, (struct sockaddr *) &sa, &salen) != 0)
    {
      fprintf (stderr, "raw-echo-server: cannot listen: %s\n", g_strerror (errno));
      return 1;
    }

  shared_buf = g_malloc (SHARED_SIZE);
  sigemptyset (&sigs);
  sigaddset (&sigs, SIGTERM);
  sigaddset (&sigs, SIGINT);
  sigprocmask (SIG_BLOCK, &sigs, NULL);
  sfd = signalfd (-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  ev.events = EPOLLIN;
  ev.data.ptr = NULL;
  epoll_ctl (epfd, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.ptr = &sfd;
  epoll_ctl (epfd, EPOLL_CTL_ADD, sfd, &ev);

  inet_ntop (AF_INET, &sa.sin_addr, addr, sizeof addr);
  printf ("listening on http://%s:%u/\n", addr, ntohs (sa.sin_port));
  fflush (stdout);

  while (running)
    {
      struct epoll_event evs[256];
      int n = epoll_wait (epfd, evs, G_N_ELEMENTS (evs), -1), i;

      if (n < 0 && errno != EINTR)
        break;
      for (i = 0; i < n; i++)
        {
          if (evs[i].data.ptr == &sfd)
            {
              running = FALSE;
              break;
            }
          if (evs[i].data.ptr == NULL)
            {
              for (;;)
                {
                  int fd = accept4 (lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                  Conn *c;
                  struct epoll_event cev = { 0 };

                  if (fd < 0)
                    break;
                  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                  c = g_new0 (Conn, 1);
                  c->fd = fd;
                  cev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
                  cev.data.ptr = c;
                  epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &cev);
                }
              continue;
            }
          if (!conn_event (evs[i].data.ptr, evs[i].events))
            conn_free (evs[i].data.ptr);   /* close() removes it from epoll */
        }
    }
  close (epfd);
  close (lfd);
  g_free (host);
  return 0;
}
