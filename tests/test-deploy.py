#!/usr/bin/python3
# test-deploy.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# The deployment of docs/deployment.md, on 127.0.0.1: redis-server, two
# fws-chat-server processes sharing rooms through it, and nginx in front
# (configured with the page's snippet) over plain HTTP and with TLS
# terminated at nginx. Checks that the WebSocket upgrade (with
# permessage-deflate) and the EventSource feeds (unbuffered) go through
# nginx, that the servers see wss:// and https:// URLs from the forwarded
# headers, that clients on different processes see the same messages in the
# same order, and that when one process is killed its clients reconnect
# through nginx to the other and, with `since` (WebSocket) and
# Last-Event-ID (EventSource), lose no message. TAP output; every wait is
# bounded.
#
# Environment: FWS_CHAT_SERVER (the binary), FWS_CHAT_REDIS (1 when it was
# built with hiredis), FWS_DEPLOYMENT_MD (docs/deployment.md).
import asyncio
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

WAIT = 10   # seconds, for anything that should take milliseconds

results = []


def tap(ok, name, detail=''):
    results.append(ok)
    print(f'{"ok" if ok else "not ok"} {len(results)} - {name}', flush=True)
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f'# {line}', flush=True)


def skip_all(reason):
    print(f'1..0 # SKIP {reason}', flush=True)
    sys.exit(0)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def find_program(name):
    return shutil.which(name) or next((p for p in (f'/usr/sbin/{name}', f'/usr/bin/{name}')
                                       if os.access(p, os.X_OK)), None)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'{what} exited with {proc.returncode}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f'{what} does not listen on {port} after {WAIT} s')


def read_line(proc, what):
    """The first line a process prints, within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    line = b''
    while not line.endswith(b'\n'):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            raise RuntimeError(f'{what}: no line after {WAIT} s')
        byte = os.read(proc.stdout.fileno(), 1)
        if not byte:
            raise RuntimeError(f'{what} exited with {proc.wait(WAIT)}')
        line += byte
    return line.decode()


def nginx_snippet(markdown):
    text = open(markdown, encoding='utf-8').read()
    section = text.split('\n## The nginx configuration\n', 1)
    match = re.search(r'^```nginx\n(.*?)^```$', section[1], re.S | re.M) if len(section) == 2 else None
    if match is None:
        raise RuntimeError(f'{markdown}: no nginx block under "## The nginx configuration"')
    return match.group(1)


def substitute(snippet, mapping):
    for old, new in mapping.items():
        if old not in snippet:
            raise RuntimeError(f'the nginx snippet has no "{old}" any more: update test-deploy.py')
        snippet = snippet.replace(old, new)
    return snippet


# ---- clients ----

async def ws_join(websockets, url, ssl_ctx):
    ws = await asyncio.wait_for(websockets.connect(url, ssl=ssl_ctx, compression='deflate',
                                                   open_timeout=WAIT, close_timeout=2), WAIT)
    welcome = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
    check(welcome.get('type') == 'welcome', f'first message is not a welcome: {welcome}')
    return ws, welcome


async def ws_messages(ws, n):
    out = []
    while len(out) < n:
        m = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if m['type'] == 'message':
            out.append(m)
    return out


class EventStream:
    """A minimal EventSource client: HTTP/1.0, so that nginx does not chunk."""

    @classmethod
    async def open(cls, port, path, ssl_ctx=None, last_id=None):
        self = cls()
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection('127.0.0.1', port, ssl=ssl_ctx,
                                    server_hostname='127.0.0.1' if ssl_ctx else None), WAIT)
        head = f'GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n'
        if last_id:
            head += f'Last-Event-ID: {last_id}\r\n'
        self.writer.write((head + '\r\n').encode())
        status = (await asyncio.wait_for(self.reader.readline(), WAIT)).decode()
        check(' 200 ' in status, f'{path}: {status.strip()}')
        self.headers = {}
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), WAIT)).decode().strip()
            if not line:
                break
            name, _, value = line.partition(':')
            self.headers[name.strip().lower()] = value.strip()
        return self

    async def event(self, timeout=WAIT):
        """(event, id, data) of the next event; None at the end of the stream."""
        event, id_, data = 'message', None, []
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), timeout)
            if not raw:
                return None
            line = raw.decode().rstrip('\n').rstrip('\r')
            if not line:
                if data:
                    return event, id_, '\n'.join(data)
                event, id_ = 'message', None
                continue
            field, _, value = line.partition(':')
            value = value[1:] if value.startswith(' ') else value
            if field == 'event':
                event = value
            elif field == 'id':
                id_ = value
            elif field == 'data':
                data.append(value)

    async def presence(self, members, timeout=3):
        """The next presence event listing @members; any other one first is
        an older state, or the same again (the snapshot and an update)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            ev = await self.next_of('presence', timeout=max(left, 0.01)) if left > 0 else None
            check(ev is not None, f'no presence {members} within {timeout} s; saw {seen}')
            p = json.loads(ev[2])
            if p['members'] == members:
                return p
            seen.append(p)

    async def next_of(self, kind, timeout=WAIT):
        while True:
            ev = await self.event(timeout)
            if ev is None:
                return None
            if ev[0] == kind:
                return ev

    def close(self):
        self.writer.close()


# ---- the deployment ----

class Deployment:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = {}

    def start_chat(self, name, chat, redis_port):
        # Presence entries of a dead process expire after 3 s, not 15.
        proc = subprocess.Popen([chat, '--port', '0', '--redis', f'127.0.0.1:{redis_port}', '--name', name,
                                 '--presence-ttl', '3'],
                                stdout=subprocess.PIPE, stderr=open(os.path.join(self.tmp, f'{name}.log'), 'w'))
        self.procs[name] = proc
        line = read_line(proc, name)
        match = re.match(r'listening on http://127\.0\.0\.1:(\d+)/', line)
        check(match, f'{name} printed {line!r}')
        return int(match.group(1))

    def stop(self):
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def logs(self):
        out = []
        for name in sorted(os.listdir(self.tmp)):
            if name.endswith('.log'):
                text = open(os.path.join(self.tmp, name), errors='replace').read().strip()
                if text:
                    out.append(f'--- {name}\n{text[-3000:]}')
        return '\n'.join(out)


async def scenario(d, websockets, http_port, tls_port, ctx):
    # 1. The page, through nginx over plain HTTP.
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection('127.0.0.1', http_port), WAIT)
        writer.write(f'GET / HTTP/1.0\r\nHost: 127.0.0.1:{http_port}\r\n\r\n'.encode())
        page = (await asyncio.wait_for(reader.read(), WAIT)).decode(errors='replace')
        writer.close()
        tap(' 200 ' in page.split('\r\n', 1)[0] and 'fws-glib chat' in page, 'the page through nginx')
    except Exception as e:
        tap(False, 'the page through nginx', repr(e))

    # 2. The WebSocket over plain HTTP: upgrade, permessage-deflate, ws:// URL.
    try:
        ws, welcome = await ws_join(websockets, f'ws://127.0.0.1:{http_port}/chat?room=plain&nick=pat', None)
        ext = ws.response_headers.get('Sec-WebSocket-Extensions', '')
        check('permessage-deflate' in ext, f'no permessage-deflate in the response: {ext!r}')
        check(welcome['deflate'] is True, f'the server did not agree to permessage-deflate: {welcome}')
        check(welcome['url'] == f'ws://127.0.0.1:{http_port}/chat?room=plain&nick=pat',
              f'the server sees {welcome["url"]}')
        await ws.send('plain hello')
        m = (await ws_messages(ws, 1))[0]
        check(m['text'] == 'plain hello' and m['nick'] == 'pat', f'echoed {m}')
        await ws.close()
        tap(True, 'WebSocket through nginx over HTTP: upgrade, permessage-deflate, ws:// URL')
    except Exception as e:
        tap(False, 'WebSocket through nginx over HTTP: upgrade, permessage-deflate, ws:// URL', repr(e))

    # 3. Over TLS terminated at nginx: wss:// seen by the server.
    try:
        ws, welcome = await ws_join(websockets, f'wss://127.0.0.1:{tls_port}/chat?room=tls&nick=tess', ctx)
        check('permessage-deflate' in ws.response_headers.get('Sec-WebSocket-Extensions', ''),
              'no permessage-deflate over TLS')
        check(welcome['deflate'] is True, f'no deflate: {welcome}')
        check(welcome['url'] == f'wss://127.0.0.1:{tls_port}/chat?room=tls&nick=tess',
              f'the server sees {welcome["url"]}')
        await ws.close()
        tap(True, 'WebSocket through nginx with TLS: the server reports a wss:// URL')
    except Exception as e:
        tap(False, 'WebSocket through nginx with TLS: the server reports a wss:// URL', repr(e))

    # 4. The presence feed over TLS: https:// URL, each event as it comes.
    try:
        feed = await EventStream.open(tls_port, '/presence?room=lobby', ctx)
        check(feed.headers.get('content-type', '').startswith('text/event-stream'), f'{feed.headers}')
        hello = json.loads((await feed.next_of('hello'))[2])
        check(hello['url'] == f'https://127.0.0.1:{tls_port}/presence?room=lobby', f'the server sees {hello["url"]}')
        first = json.loads((await feed.next_of('presence'))[2])
        check(first['members'] == [], f'an empty room at first: {first}')
        started = time.monotonic()
        ws, _ = await ws_join(websockets, f'wss://127.0.0.1:{tls_port}/chat?room=lobby&nick=quinn', ctx)
        joined = await feed.presence(['quinn'])
        await ws.close()
        left = await feed.presence([])
        check(left['version'] > joined['version'] > first['version'], f'versions {first} {joined} {left}')
        feed.close()
        tap(True, f'EventSource through nginx with TLS: https:// URL, presence unbuffered '
                  f'({time.monotonic() - started:.2f} s for a join and a leave)')
    except Exception as e:
        tap(False, 'EventSource through nginx with TLS: https:// URL, presence unbuffered', repr(e))

    # 5. Clients on different processes see the same messages in the same order.
    base = f'wss://127.0.0.1:{tls_port}'
    by_server = {}
    spare = []
    nicks = {'chat-a': [], 'chat-b': []}
    try:
        for i in range(8):
            ws, welcome = await ws_join(websockets, f'{base}/chat?room=main&nick=user{i}', ctx)
            nicks[welcome['server']].append(f'user{i}')
            if welcome['server'] in by_server:
                spare.append(ws)
            else:
                by_server[welcome['server']] = ws
            if len(by_server) == 2:
                break
        check(sorted(by_server) == ['chat-a', 'chat-b'], f'nginx sent every client to {sorted(by_server)}')
        a, b = by_server['chat-a'], by_server['chat-b']

        async def talk(ws, who):
            for k in range(10):
                await ws.send(f'{who}{k}')
        await asyncio.gather(talk(a, 'a'), talk(b, 'b'))
        got_a, got_b = await asyncio.gather(ws_messages(a, 20), ws_messages(b, 20))
        order_a = [(m['id'], m['text']) for m in got_a]
        order_b = [(m['id'], m['text']) for m in got_b]
        check(order_a == order_b, f'chat-a saw {order_a}\nchat-b saw {order_b}')
        check(sorted(t for _, t in order_a) == sorted([f'a{k}' for k in range(10)] + [f'b{k}' for k in range(10)]),
              f'not every message: {order_a}')
        tap(True, 'clients on two processes see each other\'s messages in the same order')
    except Exception as e:
        tap(False, 'clients on two processes see each other\'s messages in the same order', repr(e))
        return

    # 6. Kill chat-a: its WebSocket client and an EventSource client reconnect
    # through nginx to chat-b and lose nothing.
    try:
        last_a = order_a[-1][0]
        feed = None
        for i in range(8):
            feed = await EventStream.open(tls_port, '/messages?room=main', ctx, last_id=last_a)
            if json.loads((await feed.next_of('hello'))[2])['server'] == 'chat-a':
                break
            feed.close()
            feed = None
        check(feed is not None, 'nginx never sent the EventSource client to chat-a')
        presence = None
        for i in range(8):
            presence = await EventStream.open(tls_port, '/presence?room=main', ctx)
            if json.loads((await presence.next_of('hello'))[2])['server'] == 'chat-b':
                break
            presence.close()
            presence = None
        check(presence is not None, 'nginx never sent the presence feed to chat-b')
        await presence.presence(sorted(nicks['chat-a'] + nicks['chat-b']))
        d.procs['chat-a'].kill()
        d.procs['chat-a'].wait(WAIT)
        # chat-a's clients see their connections end.
        try:
            await asyncio.wait_for(a.recv(), WAIT)
            check(False, 'chat-a\'s WebSocket client got a message after the kill')
        except websockets.ConnectionClosed:
            pass
        check(await feed.event() is None, 'the EventSource stream did not end with chat-a')
        feed.close()
        # Meanwhile chat-b's client goes on talking.
        for k in range(5):
            await b.send(f'missed{k}')
        missed = [(m['id'], m['text']) for m in await ws_messages(b, 5)]
        # Reconnect through nginx: now to chat-b, from the last id seen.
        a2, welcome = await ws_join(websockets, f'{base}/chat?room=main&nick=user-a&since={last_a}', ctx)
        check(welcome['server'] == 'chat-b', f'reconnected to {welcome["server"]}')
        got = [(m['id'], m['text']) for m in await ws_messages(a2, 5)]
        check(got == missed, f'after reconnecting: {got}\nmissed: {missed}')
        feed = await EventStream.open(tls_port, '/messages?room=main', ctx, last_id=last_a)
        check(json.loads((await feed.next_of('hello'))[2])['server'] == 'chat-b', 'EventSource not on chat-b')
        events = [await feed.next_of('message') for _ in range(5)]
        got_es = [(ev[1], json.loads(ev[2])['text']) for ev in events]
        check(got_es == missed, f'EventSource after reconnecting: {got_es}\nmissed: {missed}')
        # The nicknames of chat-a's clients leave the presence list when
        # their entries expire (--presence-ttl 3), the reconnected one stays.
        await presence.presence(sorted(nicks['chat-b'] + ['user-a']), timeout=8)
        presence.close()
        # And both go on together.
        await b.send('after')
        m1, m2 = (await ws_messages(a2, 1))[0], (await ws_messages(b, 1))[0]
        ev = await feed.next_of('message')
        check(m1['text'] == m2['text'] == json.loads(ev[2])['text'] == 'after' and m1['id'] == m2['id'] == ev[1],
              f'after: {m1} {m2} {ev}')
        feed.close()
        for ws in [a2, b] + spare:
            await ws.close()
        tap(True, 'a killed process\'s clients reconnect through nginx and lose no message '
                  '(WebSocket since=, EventSource Last-Event-ID); its nicknames leave the presence list')
    except Exception as e:
        tap(False, 'a killed process\'s clients reconnect through nginx and lose no message', repr(e))


def main():
    chat = os.environ.get('FWS_CHAT_SERVER')
    markdown = os.environ.get('FWS_DEPLOYMENT_MD')
    if not chat or not markdown:
        sys.exit('FWS_CHAT_SERVER and FWS_DEPLOYMENT_MD must be set (meson test sets them)')
    if os.environ.get('FWS_CHAT_REDIS') != '1':
        skip_all('fws-chat-server was built without hiredis (install libhiredis-dev and reconfigure)')
    redis_server = find_program('redis-server')
    nginx = find_program('nginx')
    openssl = find_program('openssl')
    for prog, pkg in ((redis_server, 'redis-server'), (nginx, 'nginx'), (openssl, 'openssl')):
        if prog is None:
            skip_all(f'{pkg} is not installed (apt-get install {pkg})')
    try:
        import websockets
    except ImportError:
        skip_all('python3-websockets is not installed')

    tmp = tempfile.mkdtemp(prefix='fws-deploy-')
    d = Deployment(tmp)
    try:
        redis_port = free_port()
        d.procs['redis'] = subprocess.Popen(
            [redis_server, '--bind', '127.0.0.1', '--port', str(redis_port), '--save', '', '--appendonly', 'no',
             '--dir', tmp], stdout=open(os.path.join(tmp, 'redis.log'), 'w'), stderr=subprocess.STDOUT)
        wait_port(redis_port, d.procs['redis'], 'redis-server')
        port_a = d.start_chat('chat-a', chat, redis_port)
        port_b = d.start_chat('chat-b', chat, redis_port)

        cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
        subprocess.run([openssl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                        '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
                       check=True, capture_output=True, timeout=30)
        http_port, tls_port = free_port(), free_port()
        site = substitute(nginx_snippet(markdown), {
            '127.0.0.1:8081': f'127.0.0.1:{port_a}',
            '127.0.0.1:8082': f'127.0.0.1:{port_b}',
            'listen 80;': f'listen 127.0.0.1:{http_port};',
            'listen 443 ssl;': f'listen 127.0.0.1:{tls_port} ssl;',
            '/etc/ssl/chat/fullchain.pem': cert,
            '/etc/ssl/chat/privkey.pem': key,
        })
        temp_paths = '\n'.join(f'    {kind}_temp_path {tmp}/{kind}_temp;'
                               for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'))
        # Run by root (CI), nginx would hand its workers to "nobody", who
        # cannot enter the temporary directory.
        user = 'user root;\n' if os.geteuid() == 0 else ''
        conf = (f'{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log info;\n'
                f'events {{ worker_connections 256; }}\n'
                f'http {{\n    access_log {tmp}/nginx-access.log;\n{temp_paths}\n'
                + '\n'.join('    ' + line if line else '' for line in site.splitlines()) + '\n}\n')
        with open(os.path.join(tmp, 'nginx.conf'), 'w') as f:
            f.write(conf)
        d.procs['nginx'] = subprocess.Popen([nginx, '-p', tmp, '-c', os.path.join(tmp, 'nginx.conf'),
                                             '-e', os.path.join(tmp, 'nginx-error.log')],
                                            stdout=subprocess.DEVNULL,
                                            stderr=open(os.path.join(tmp, 'nginx-stderr.log'), 'w'))
        wait_port(http_port, d.procs['nginx'], 'nginx')
        wait_port(tls_port, d.procs['nginx'], 'nginx')
        ctx = ssl.create_default_context(cafile=cert)
        asyncio.run(asyncio.wait_for(scenario(d, websockets, http_port, tls_port, ctx), 90))
    except Exception as e:
        tap(False, 'the deployment', repr(e))
    finally:
        d.stop()
        if not all(results):
            print('# ' + d.logs().replace('\n', '\n# '), flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'1..{len(results)}', flush=True)
    sys.exit(0 if all(results) else 1)


if __name__ == '__main__':
    main()
