#!/usr/bin/python3
# smoke.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Fws-1.0 typelib from PyGObject: an echo server on a SoupServer and
# clients against it, with subprotocols, binary messages as GBytes, ping with
# its completion, close with code and reason, every option property,
# extensions, TLS, an FwsEventSource and an FwsEventSourceClient reading
# one; then the same classes behind a Gio.SocketService through FwsRequest
# (the stream door). Exits non-zero on any failure and within a time limit.

import os
import re
import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, GObject, Gio, Soup, Fws  # noqa: E402

TIME_LIMIT_S = 60
SRCDIR = os.path.dirname(os.path.abspath(__file__))
CA = os.path.join(SRCDIR, 'test-ca.pem')
SERVER_PEM = os.path.join(SRCDIR, 'test-server.pem')
START = time.monotonic()
checks = 0
failures = []


class Failure(Exception):
    pass


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise Failure(f'assertion failed: {what}')


def check_eq(got, want, what):
    global checks
    checks += 1
    if got != want:
        raise Failure(f'{what}: got {got!r}, want {want!r}')


def guarded(fn):
    """Signal handlers cannot raise into the main loop: record instead."""
    def wrapper(*args):
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001
            failures.append(e)
    return wrapper


def wait(pred, what, secs=10):
    """Iterates the main context until pred() is true, or fails."""
    deadline = time.monotonic() + secs
    ctx = GLib.MainContext.default()
    wake = GLib.timeout_add(10, lambda: True)
    try:
        while not pred():
            if failures:
                raise failures[0]
            if time.monotonic() > deadline or time.monotonic() - START > TIME_LIMIT_S:
                raise Failure(f'timed out waiting for {what}')
            ctx.iteration(True)
    finally:
        GLib.source_remove(wake)
    if failures:
        raise failures[0]


def sleep(ms):
    end = time.monotonic() + ms / 1000
    wait(lambda: time.monotonic() >= end, 'a pause')


def expect_error(fn, code, what):
    try:
        fn()
    except GLib.Error as e:
        check(e.matches(Fws.error_quark(), code), f'{what}: {e}')
        return
    raise Failure(f'{what}: no error raised')


def b(data):
    return GLib.Bytes.new(bytes(data))


# ---- A custom extension, implemented here ----

# "x-upper" swaps the case of ASCII letters in text messages and marks them
# with RSV2: it exercises FwsExtension, FwsExtensionSession,
# FwsExtensionParams and FwsExtensionMessage from Python.
extension_log = {'offers': [], 'server_offers': [], 'activated': [], 'outgoing': 0, 'incoming': 0}


class UpperSession(GObject.Object, Fws.ExtensionSession):
    def do_generate_offer(self):
        params = Fws.ExtensionParams.new()
        params.add_flag('flag')
        params.add_int('n', 7)
        params.add_string('s', 'a b')
        params.add('v', GLib.Variant('x', 9))
        extension_log['offers'].append(params.to_string())
        return [params]

    def do_activate(self, params):
        extension_log['activated'].append(
            (params.to_string(), params.get_length(), params.count('k'), params.get_key(0),
             params.get_value(0).unpack(), params.lookup('k').unpack()))
        return True

    def do_generate_response(self):
        params = Fws.ExtensionParams.new()
        params.add_string('k', 'v')
        return params

    def do_process_outgoing_message(self, message):
        if message.get_message_type() == Fws.MessageType.TEXT:
            message.set_data(GLib.Bytes.new(message.get_data().get_data().swapcase()))
            message.set_rsv(message.get_rsv() | Fws.ReservedBits.RSV2)
            extension_log['outgoing'] += 1
        return True

    def do_process_incoming_message(self, message):
        if message.get_rsv() & Fws.ReservedBits.RSV2:
            message.set_data(GLib.Bytes.new(message.get_data().get_data().swapcase()))
            message.set_rsv(message.get_rsv() & ~Fws.ReservedBits.RSV2)
            extension_log['incoming'] += 1
        return True

    def do_close(self):
        pass


class Upper(GObject.Object, Fws.Extension):
    def do_get_name(self):
        return 'x-upper'

    def do_get_rsv(self):
        return Fws.ReservedBits.RSV2

    def do_create_client_session(self):
        return UpperSession()

    # The offers come as a list of Fws.ExtensionParams, nothing else (no
    # length argument, which PyGObject 3.42 added for a C array).
    def do_create_server_session(self, offers):
        extension_log['server_offers'] += [o.to_string() for o in offers
                                           if isinstance(o, Fws.ExtensionParams)]
        return UpperSession()


# The extension docs/extensions.md shows in Python, run as it is, with a
# count of the messages its sessions transformed.
def documented_extension():
    path = os.path.join(SRCDIR, '..', '..', 'docs', 'extensions.md')
    with open(path, encoding='utf-8') as f:
        blocks = re.findall(r'^```python\n(.*?)^```$', f.read(), re.S | re.M)
    ns = {'__name__': 'extensions_md'}
    exec(compile(next(b for b in blocks if 'class SwapCase(' in b), path, 'exec'), ns)
    ns['swapped'] = []
    swap_case = ns['swap_case']
    ns['swap_case'] = lambda message: (ns['swapped'].append(message.get_data().get_data()),
                                       swap_case(message))
    return ns


documented = documented_extension()


# ---- The server ----

server_sockets = []
event_sources = []


def ws_handler(msg):
    check(Fws.WebSocket.is_websocket_request(msg), 'is_websocket_request')
    extra = Soup.MessageHeaders.new(Soup.MessageHeadersType.RESPONSE)
    extra.append('X-Server', 'fws-python')
    extra.append('Set-Cookie', 'smoke-ws=1; Path=/')
    ws = Fws.WebSocket(protocols=['chat', 'superchat'], max_length=4096, close_timeout=2000,
                       handshake_timeout=5000, ping_interval=100, pong_timeout=5000,
                       extra_headers=extra)
    check_eq(ws.props.max_length, 4096, 'server max-length')
    check_eq(ws.get_max_length(), 4096, 'server get_max_length')
    check_eq(ws.props.close_timeout, 2000, 'server close-timeout')
    check_eq(ws.props.handshake_timeout, 5000, 'server handshake-timeout')
    check_eq(ws.props.ping_interval, 100, 'server ping-interval')
    check_eq(ws.props.pong_timeout, 5000, 'server pong-timeout')
    check_eq(ws.props.extra_headers.get_one('X-Server'), 'fws-python', 'server extra-headers')
    ws.props.max_buffered = 1 << 28
    ws.props.high_water_mark = 1 << 21
    ws.props.low_water_mark = 1 << 19
    ws.props.send_overflow = Fws.SendOverflow.ERROR
    check_eq((ws.get_max_buffered(), ws.props.high_water_mark, ws.props.low_water_mark),
             (1 << 28, 1 << 21, 1 << 19), 'server send queue bounds')
    check_eq(ws.props.send_overflow, Fws.SendOverflow.ERROR, 'server send-overflow')
    check_eq(list(ws.props.protocols), ['chat', 'superchat'], 'server protocols')
    check_eq(ws.props.ready_state, Fws.ReadyState.CONNECTING, 'ready-state before accept')
    ws.add_extension(Fws.PermessageDeflate())
    check_eq(len(ws.get_extensions()), 1, 'get_extensions')
    ws.accept(msg)
    ws.closes = []
    ws.connect('message', guarded(lambda self, type_, data: self.send(type_, data)))
    ws.connect('close', guarded(lambda self, code, reason: ws.closes.append((code, reason))))
    server_sockets.append(ws)


def events_handler(msg, path):
    check(Fws.EventSource.is_event_source_request(msg), 'is_event_source_request')
    if path == '/events':
        extra = Soup.MessageHeaders.new(Soup.MessageHeadersType.RESPONSE)
        extra.append('X-Events', 'yes')
        es = Fws.EventSource(retry=2.5, ping_seconds=0.05, extra_headers=extra)
        check_eq(es.props.retry, 2.5, 'retry')
        check_eq(es.get_ping_seconds(), 0.05, 'ping-seconds')
        check_eq(es.get_extra_headers().get_one('X-Events'), 'yes', 'extra-headers')
        es.props.max_buffered = 1 << 28
        es.props.high_water_mark = 1 << 21
        es.props.low_water_mark = 1 << 19
        es.props.send_overflow = Fws.SendOverflow.CLOSE
        check_eq((es.props.max_buffered, es.props.high_water_mark, es.props.low_water_mark),
                 (1 << 28, 1 << 21, 1 << 19), 'event source send queue bounds')
        check_eq(es.props.send_overflow, Fws.SendOverflow.CLOSE, 'event source send-overflow')
        es.props.send_overflow = Fws.SendOverflow.ERROR
        es.accept(msg)
    else:
        es = Fws.EventSource.new(msg)
    check_eq(es.props.last_event_id, '41', 'last-event-id')
    check(es.props.url.endswith(path), f'url {es.props.url}')
    es.closed = False

    def finish():
        es.close()
        check_eq(es.props.ready_state, Fws.ReadyState.CLOSED, 'closed at once')
        expect_error(lambda: es.send('late', None, None), Fws.Error.CLOSED, 'send after close')
        return GLib.SOURCE_REMOVE

    def on_open(es_):
        check_eq(es.get_ready_state(), Fws.ReadyState.OPEN, 'event source open')
        es.send('hello\nworld', 'greet', '42')
        es.send('plain', None, None)
        es.ping()
        GLib.timeout_add(300 if path == '/events' else 0, guarded(finish))

    def on_close(es_):
        es.closed = True

    es.connect('open', guarded(on_open))
    es.connect('close', guarded(on_close))
    event_sources.append(es)


client_streams = []


client_stream_requests = []  # (Cookie, User-Agent) of each request


def client_events_handler(msg):
    """/client-events for Fws.EventSourceClient: the first stream sends an
    event and ends, the next one says which Last-Event-ID it came with."""
    extra = Soup.MessageHeaders.new(Soup.MessageHeadersType.RESPONSE)
    extra.append('Set-Cookie', 'smoke-es=1; Path=/')
    es = Fws.EventSource(retry=0.05, extra_headers=extra)
    request = msg.get_request_headers()
    client_stream_requests.append((request.get_one('Cookie'), request.get_one('User-Agent')))
    client_streams.append(es)
    first = len(client_streams) == 1

    def on_open(es_):
        if first:
            es.send('one\ntwo', 'greet', '7')
            es.close()
        else:
            es.send(f'Last-Event-ID {es.props.last_event_id}', None, None)
    es.connect('open', guarded(on_open))
    es.accept(msg)


@guarded
def handler(server, msg, path, query):
    if path == '/client-events':
        client_events_handler(msg)
    elif path.startswith('/events'):
        events_handler(msg, path)
    elif path in ('/custom', '/swapcase'):
        ws = Fws.WebSocket.new(msg, None)
        ws.add_extension(Upper() if path == '/custom' else documented['SwapCase']())
        ws.connect('message', guarded(lambda self, type_, data: self.send(type_, data)))
        server_sockets.append(ws)
    else:
        ws_handler(msg)


# ---- The tests ----

def new_session(base, cookie):
    """A Soup.Session with the user agent smoke-python/1 and a cookie jar
    holding @cookie for the http:// URL of @base."""
    session = Soup.Session(user_agent='smoke-python/1')
    jar = Soup.CookieJar()
    session.add_feature(jar)
    uri = GLib.Uri.parse(base.replace('ws', 'http', 1) + '/', GLib.UriFlags.NONE)
    jar.set_cookie(uri, cookie + '; Path=/')
    return session, jar, uri


def new_client(url, **props):
    extra = Soup.MessageHeaders.new(Soup.MessageHeadersType.REQUEST)
    extra.append('X-Client', 'python')
    client = Fws.Client(url=url, extra_headers=extra, use_system_proxy=False, **props)
    ev = client.ev = {'open': False, 'messages': [], 'texts': [], 'pings': [], 'pongs': [],
                      'errors': [], 'close': None}
    client.connect('open', guarded(lambda c: ev.__setitem__('open', True)))
    client.connect('message', guarded(lambda c, t, d: ev['messages'].append((t, d))))
    # each text as a str, with the number of messages delivered before it
    client.connect('text-message', guarded(lambda c, text: ev['texts'].append((len(ev['messages']), text))))
    client.connect('ping', guarded(lambda c, p: ev['pings'].append(p.get_data())))
    client.connect('pong', guarded(lambda c, p: ev['pongs'].append(p.get_data())))
    client.connect('error', guarded(lambda c, e: ev['errors'].append(e)))
    client.connect('close', guarded(lambda c, code, reason: ev.__setitem__('close', (code, reason))))
    return client


def next_message(client):
    n = len(client.ev['messages'])
    wait(lambda: len(client.ev['messages']) > n, 'a message')
    return client.ev['messages'][n]


def ping(client, payload):
    """ping_async with its completion; returns True or raises the GError."""
    result = []

    def done(obj, res):
        try:
            result.append(obj.ping_finish(res))
        except GLib.Error as e:
            result.append(e)
    client.ping_async(payload, None, done)
    wait(lambda: result, 'the ping to complete')
    if isinstance(result[0], GLib.Error):
        raise result[0]
    return result[0]


def send_written(client, kind, data):
    """send_async with its completion; returns True or raises the GError."""
    result = []

    def done(obj, res):
        try:
            result.append(obj.send_finish(res))
        except GLib.Error as e:
            result.append(e)
    client.send_async(kind, data, None, done)
    wait(lambda: result, 'the send to be written')
    if isinstance(result[0], GLib.Error):
        raise result[0]
    return result[0]


def test_echo(base):
    deflate = Fws.PermessageDeflate(level=6, mem_level=8, strategy=Fws.DeflateStrategy.DEFAULT,
                                    no_context_takeover=False, max_window_bits=15,
                                    request_no_context_takeover=False, request_max_window_bits=15,
                                    threshold=0)
    check_eq(deflate.props.level, 6, 'deflate level')
    check_eq(deflate.get_mem_level(), 8, 'deflate mem-level')
    check_eq(deflate.props.strategy, Fws.DeflateStrategy.DEFAULT, 'deflate strategy')
    check_eq(deflate.props.no_context_takeover, False, 'deflate no-context-takeover')
    check_eq(deflate.props.max_window_bits, 15, 'deflate max-window-bits')
    check_eq(deflate.props.request_no_context_takeover, False, 'deflate request-no-context-takeover')
    check_eq(deflate.props.request_max_window_bits, 15, 'deflate request-max-window-bits')
    check_eq(deflate.get_threshold(), 0, 'deflate threshold')
    check_eq(deflate.get_name(), 'permessage-deflate', 'extension name')

    # A Soup.Session: its cookies and user agent go with the handshake, and
    # the 101's Set-Cookie lands in its jar.
    session, jar, http_uri = new_session(base, 'smoke=python')
    client = new_client(base + '/echo', protocols=['superchat'], max_length=1 << 20,
                        close_timeout=3000, ping_interval=0, pong_timeout=4000,
                        handshake_timeout=6000, session=session)
    check(client.props.session == session, 'client session')
    check_eq(client.props.max_length, 1 << 20, 'client max-length')
    check_eq(client.props.close_timeout, 3000, 'client close-timeout')
    check_eq(client.props.pong_timeout, 4000, 'client pong-timeout')
    check_eq(client.props.ping_interval, 0, 'client ping-interval')
    check_eq(client.props.handshake_timeout, 6000, 'client handshake-timeout')
    check_eq(client.props.status, 0, 'status before the response')
    client.add_extension(deflate)

    wait(lambda: client.ev['open'] or client.ev['close'], 'open')
    check(client.ev['open'], f'opened ({client.ev["errors"]})')
    srv = server_sockets[-1]
    check_eq(client.props.ready_state, Fws.ReadyState.OPEN, 'ready-state')
    check_eq(client.props.protocol, 'superchat', 'client protocol')
    check_eq(srv.get_protocol(), 'superchat', 'server protocol')
    check_eq(client.get_status(), 101, 'status')
    sessions = client.get_extension_sessions()
    check_eq(len(sessions), 1, 'one extension agreed')
    check(isinstance(sessions[0], Fws.ExtensionSession), 'an extension session')
    check_eq(client.get_version(), 'hybi-13', 'version')
    check_eq(client.get_url(), base + '/echo', 'url')
    check_eq(client.get_headers().get_one('X-Server'), 'fws-python', 'server extra header')
    check_eq(srv.props.headers.get_one('X-Client'), 'python', 'client extra header')
    check_eq(srv.props.headers.get_one('Cookie'), 'smoke=python', "the session's cookie seen by the server")
    check_eq(srv.props.headers.get_one('User-Agent'), 'smoke-python/1', "the session's user agent")
    check('smoke-ws=1' in jar.get_cookies(http_uri, True), "the 101's Set-Cookie in the jar")
    check(client.get_headers().get_one('Sec-WebSocket-Extensions').startswith('permessage-deflate'),
          'permessage-deflate negotiated')

    client.send_text('hello, wörld')
    type_, data = next_message(client)
    check_eq(type_, Fws.MessageType.TEXT, 'text type')
    check_eq(data.get_data().decode('utf-8'), 'hello, wörld', 'text echo')
    check_eq(client.ev['texts'], [(len(client.ev['messages']), 'hello, wörld')],
             'text-message gives a str, right after message')

    # A string with U+0000 goes whole through the length-taking variant.
    client.send_text_len('a\0wörld'.encode())
    type_, data = next_message(client)
    check_eq(type_, Fws.MessageType.TEXT, 'send_text_len type')
    check_eq(data.get_data().decode('utf-8'), 'a\0wörld', 'text with U+0000 echoed whole')
    check_eq(client.ev['texts'][-1][1], 'a', 'text-message ends at U+0000')

    payload = bytes([0, 1, 2, 0xfe, 0xff, 0])
    client.send_binary(b(payload))
    type_, data = next_message(client)
    check_eq(type_, Fws.MessageType.BINARY, 'binary type')
    check(isinstance(data, GLib.Bytes), 'binary data is a GLib.Bytes')
    check_eq(data.get_data(), payload, 'binary echo')
    check_eq(len(client.ev['texts']), 2, 'no text-message for a binary message')

    big = b'x' * 3000
    client.send(Fws.MessageType.BINARY, b(big))
    type_, data = next_message(client)
    check(type_ == Fws.MessageType.BINARY and data.get_data() == big, 'send(BINARY) echo')

    # bytes go out as they are, without a GLib.Bytes around them.
    client.send_data(Fws.MessageType.BINARY, b'\x00raw\xff')
    type_, data = next_message(client)
    check_eq(type_, Fws.MessageType.BINARY, 'send_data(bytes) type')
    check_eq(data.get_data(), b'\x00raw\xff', 'send_data(bytes) echo')
    client.send_data(Fws.MessageType.TEXT, 'wörld'.encode())
    type_, data = next_message(client)
    check_eq(type_, Fws.MessageType.TEXT, 'send_data(TEXT) type')
    check_eq(data.get_data(), 'wörld'.encode(), 'send_data(TEXT) echo')
    expect_error(lambda: client.send_data(Fws.MessageType.TEXT, b'\xff'), Fws.Error.INVALID_UTF8,
                 'send_data(TEXT) with bytes that are not UTF-8')

    before = len(client.ev['messages'])
    check_eq(send_written(client, Fws.MessageType.TEXT, b(b'written')), True, 'send_async completes once written')
    wait(lambda: len(client.ev['messages']) > before, 'the send_async echo')
    check_eq(client.ev['messages'][before][1].get_data(), b'written', 'send_async echo')
    check_eq(ping(client, b(b'p1')), True, 'ping completes')
    wait(lambda: b'p1' in client.ev['pongs'], 'the pong signal')
    check_eq(ping(client, None), True, 'ping without payload completes')

    wait(lambda: client.ev['pings'], 'a keepalive ping (ping-interval)')
    check_eq(client.ev['pings'][0], b'1', 'keepalive ping payload')

    expect_error(lambda: client.close(1234, 'no'), Fws.Error.INVALID_ARGUMENT, 'close code 1234')
    check_eq(client.close(4000, 'bye'), True, 'close')
    check_eq(client.get_ready_state(), Fws.ReadyState.CLOSING, 'closing')
    wait(lambda: client.ev['close'] and srv.closes, 'close')
    check_eq(srv.closes[0], (4000, 'bye'), 'server close code and reason')
    check_eq(client.ev['close'], (4000, 'bye'), 'client close code and reason')
    check_eq((client.props.close_code, client.props.close_reason), (4000, 'bye'), 'close-code and close-reason')
    check_eq((client.get_close_code(), client.get_close_reason()), (4000, 'bye'), 'getters after close')
    check_eq(client.get_ready_state(), Fws.ReadyState.CLOSED, 'closed')
    expect_error(lambda: client.send_text('late'), Fws.Error.CLOSED, 'send after close')
    expect_error(lambda: ping(client, None), Fws.Error.CLOSED, 'ping after close')


def test_server_close_all(base):
    client = new_client(base + '/echo')
    wait(lambda: client.ev['open'] or client.ev['close'], 'open')
    check(client.ev['open'], 'opened')
    check(Fws.server_close_all(Fws.CloseCode.GOING_AWAY, 'stopping') >= 1, 'server_close_all')
    wait(lambda: client.ev['close'], 'close')
    check_eq(client.ev['close'], (1001, 'stopping'), 'closed by server_close_all')


def test_custom_extension(base):
    upper = Upper()
    check_eq(upper.get_name(), 'x-upper', 'custom extension name')
    check_eq(upper.get_rsv(), Fws.ReservedBits.RSV2, 'custom extension rsv')
    check(isinstance(upper.create_client_session(), Fws.ExtensionSession), 'create_client_session')
    check(isinstance(upper.create_server_session([Fws.ExtensionParams.new()]), UpperSession),
          'create_server_session from a list')
    extension_log['server_offers'].clear()

    client = new_client(base + '/custom')
    client.add_extension(upper)
    wait(lambda: client.ev['open'] or client.ev['close'], 'open')
    check(client.ev['open'], f'opened with a custom extension ({client.ev["errors"]})')
    check_eq(client.get_headers().get_one('Sec-WebSocket-Extensions'), 'x-upper; k=v',
             'custom extension negotiated')
    check_eq(extension_log['offers'][0], 'flag; n=7; s="a b"; v=9', 'offer parameters')
    check_eq(extension_log['server_offers'], ['flag; n=7; s="a b"; v=9'], 'offers seen by the server')
    srv = server_sockets[-1]
    sessions = srv.get_extension_sessions()
    check(len(sessions) == 1 and isinstance(sessions[0], UpperSession),
          f'the server runs the Python extension session: {sessions}')
    check(isinstance(client.get_extension_sessions()[0], UpperSession), 'and so does the client')
    check_eq(extension_log['activated'][0], ('k=v', 1, 1, 'k', 'v', 'v'), 'response parameters')
    client.send_text('Hello, World')
    type_, data = next_message(client)
    check_eq(type_, Fws.MessageType.TEXT, 'text through the custom extension')
    check_eq(data.get_data(), b'Hello, World', 'echo through the custom extension')
    check_eq(extension_log['outgoing'], 2, 'each side transformed one outgoing message')
    check_eq(extension_log['incoming'], 2, 'each side restored one incoming message')
    check_eq(client.props.buffered_amount, 0, 'buffered-amount once written')
    client.close(1000, None)
    wait(lambda: client.ev['close'], 'close')


def test_documented_extension(base):
    """The Python extension of docs/extensions.md is negotiated and used."""
    client = new_client(base + '/swapcase')
    client.add_extension(documented['SwapCase']())
    wait(lambda: client.ev['open'] or client.ev['close'], 'open')
    check(client.ev['open'], f'opened with the documented extension ({client.ev["errors"]})')
    check_eq(client.get_headers().get_one('Sec-WebSocket-Extensions'), 'x-swapcase',
             'the server\'s response lists the documented extension')
    srv = server_sockets[-1]
    check(isinstance(srv.get_extension_sessions()[0], documented['SwapCaseSession']),
          'the server runs its Python session')
    check(isinstance(client.get_extension_sessions()[0], documented['SwapCaseSession']),
          'the client runs its Python session')
    client.send_text('Hello, World')
    type_, data = next_message(client)
    check_eq(data.get_data(), b'Hello, World', 'echo through the documented extension')
    check_eq(documented['swapped'], [b'Hello, World', b'hELLO, wORLD', b'Hello, World', b'hELLO, wORLD'],
             'the message went through both sessions\' process_outgoing and process_incoming')
    client.close(1000, None)
    wait(lambda: client.ev['close'], 'close')


def test_max_length(base):
    client = new_client(base + '/limit')
    wait(lambda: client.ev['open'], 'open')
    client.send_text('y' * 5000)
    wait(lambda: client.ev['close'], 'close after a message over max-length')
    check_eq(client.ev['close'][0], Fws.CloseCode.TOO_BIG, 'close 1009')


def test_client_properties():
    proxy_headers = Soup.MessageHeaders.new(Soup.MessageHeadersType.REQUEST)
    proxy_headers.append('X-Proxy', 'p')
    database = Gio.TlsFileDatabase.new(CA)
    certificate = Gio.TlsCertificate.new_from_file(SERVER_PEM)
    client = new_client('ws://127.0.0.1:1/', tls_verify=False, tls_ca_files=[CA],
                        tls_database=database, tls_certificate=certificate,
                        proxy='http://127.0.0.1:1', proxy_headers=proxy_headers,
                        handshake_timeout=5000)
    check_eq(client.props.tls_verify, False, 'tls-verify')
    check_eq(list(client.get_tls_ca_files()), [CA], 'tls-ca-files')
    check(client.props.tls_database == database, 'tls-database')
    check(client.get_tls_certificate() == certificate, 'tls-certificate')
    check_eq(client.props.proxy, 'http://127.0.0.1:1', 'proxy')
    check_eq(client.get_proxy_headers().get_one('X-Proxy'), 'p', 'proxy-headers')
    check_eq(client.props.use_system_proxy, False, 'use-system-proxy')
    client.set_use_system_proxy(True)
    check_eq(client.get_use_system_proxy(), True, 'set_use_system_proxy')
    client.set_tls_verify(True)
    check_eq(client.get_tls_verify(), True, 'set_tls_verify')
    wait(lambda: client.ev['close'], 'close after the proxy failed')
    check_eq(client.ev['close'][0], Fws.CloseCode.ABNORMAL, 'close 1006')
    check(len(client.ev['errors']) == 1 and '127.0.0.1:1' in client.ev['errors'][0].message,
          f'proxy error: {client.ev["errors"]}')


def test_handshake_timeout():
    service = Gio.SocketService()
    port = service.add_any_inet_port(None)
    held = []
    service.connect('incoming', lambda svc, conn, src: held.append(conn) or True)
    service.start()
    client = new_client(f'ws://127.0.0.1:{port}/', handshake_timeout=200)
    wait(lambda: client.ev['close'], 'handshake timeout')
    check_eq(client.ev['close'][0], Fws.CloseCode.ABNORMAL, 'close 1006 after handshake-timeout')
    check(client.ev['errors'][0].matches(Fws.error_quark(), Fws.Error.TIMED_OUT), 'TIMED_OUT')
    service.stop()


def test_tls():
    check(Gio.TlsBackend.get_default().supports_tls(), 'a GIO TLS backend (glib-networking)')
    tls_server = Soup.Server(tls_certificate=Gio.TlsCertificate.new_from_file(SERVER_PEM))
    tls_server.add_handler(None, guarded(lambda srv, msg, path, query: ws_handler(msg)))
    tls_server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY | Soup.ServerListenOptions.HTTPS)
    url = f'wss://127.0.0.1:{tls_server.get_uris()[0].get_port()}/tls'

    trusted = new_client(url, tls_ca_files=[CA])
    wait(lambda: trusted.ev['open'] or trusted.ev['close'], 'TLS open')
    check(trusted.ev['open'], f'wss with tls-ca-files opens ({trusted.ev["errors"]})')
    trusted.send_text('secret')
    check_eq(next_message(trusted)[1].get_data(), b'secret', 'echo over TLS')
    trusted.close(1000, None)
    wait(lambda: trusted.ev['close'], 'TLS close')
    check_eq(trusted.ev['close'][0], 1000, 'TLS close code')

    untrusted = new_client(url)
    wait(lambda: untrusted.ev['close'], 'untrusted close')
    check_eq(untrusted.ev['close'][0], Fws.CloseCode.ABNORMAL, 'untrusted certificate: 1006')
    check(untrusted.ev['errors'], 'untrusted certificate: error')

    unverified = new_client(url, tls_verify=False)
    wait(lambda: unverified.ev['open'] or unverified.ev['close'], 'unverified open')
    check(unverified.ev['open'], 'tls-verify false accepts the certificate')
    unverified.close(1000, None)
    wait(lambda: unverified.ev['close'], 'unverified close')
    tls_server.disconnect()


def test_event_source(base):
    session = Soup.Session()
    for path in ('/events', '/events-new'):
        msg = Soup.Message.new('GET', base.replace('ws:', 'http:') + path)
        msg.get_request_headers().append('Accept', 'text/event-stream')
        msg.get_request_headers().append('Last-Event-ID', '41')
        result = []

        def done(sess, res):
            try:
                result.append(sess.send_and_read_finish(res))
            except GLib.Error as e:
                result.append(e)
        session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, None, done)
        wait(lambda: result, 'the event stream')
        check(isinstance(result[0], GLib.Bytes), f'event stream read: {result[0]}')
        body = result[0].get_data().decode('utf-8')
        check_eq(msg.get_status(), 200, 'status')
        check_eq(msg.get_response_headers().get_content_type()[0], 'text/event-stream', 'content type')
        check('event: greet\r\nid: 42\r\ndata: hello\r\ndata: world\r\n\r\n' in body, f'event in {body!r}')
        check('data: plain\r\n\r\n' in body, 'plain event')
        comments = body.count(':\r\n\r\n')
        if path == '/events':
            check(body.startswith('retry: 2500\r\n'), 'retry field')
            check_eq(msg.get_response_headers().get_one('X-Events'), 'yes', 'extra header')
            check(comments >= 2, f'ping and ping-seconds comments ({comments})')
        else:
            check(comments >= 1, 'ping comment')
    wait(lambda: len(event_sources) == 2 and all(es.closed for es in event_sources),
         'event source close signals')


def test_event_source_client(base):
    url = base.replace('ws:', 'http:') + '/client-events'
    expect_error(lambda: Fws.EventSourceClient.new('ws://127.0.0.1/'), Fws.Error.INVALID_ARGUMENT,
                 'an EventSourceClient takes http and https only')
    client = Fws.EventSourceClient.new(url)
    extra = Soup.MessageHeaders.new(Soup.MessageHeadersType.REQUEST)
    extra.append('X-Client', 'python')
    client.props.extra_headers = extra
    client.props.reconnection_time = 100
    client.props.handshake_timeout = 5000
    client.props.max_redirects = 3
    client.props.max_line_length = 65536
    client.props.max_event_size = 65536
    client.props.tls_verify = True
    client.props.tls_ca_files = [CA]
    client.props.tls_database = None
    client.props.tls_certificate = None
    client.props.proxy = None
    client.props.use_system_proxy = False
    session, jar, http_uri = new_session(base, 'smoke=python-es')
    client.props.session = session
    check(client.get_session() == session, 'event source client session')
    check_eq(client.props.url, url, 'url')
    check_eq(client.props.ready_state, Fws.ReadyState.CONNECTING, 'connecting')
    check_eq(client.props.last_event_id, '', 'no last event id yet')
    check_eq(client.get_max_redirects(), 3, 'max-redirects')
    check_eq(client.get_max_line_length(), 65536, 'max-line-length')
    check_eq(client.get_max_event_size(), 65536, 'max-event-size')
    check_eq(client.get_handshake_timeout(), 5000, 'handshake-timeout')
    check_eq(client.get_tls_ca_files(), [CA], 'tls-ca-files')
    check_eq(client.get_extra_headers().get_one('X-Client'), 'python', 'extra-headers')
    ev = {'opens': 0, 'messages': [], 'errors': []}
    client.connect('open', guarded(lambda c: ev.__setitem__('opens', ev['opens'] + 1)))
    client.connect('message', guarded(lambda c, type_, data, id_: ev['messages'].append((type_, data, id_))))
    client.connect('error', guarded(lambda c, e: ev['errors'].append((e, c.props.ready_state))))
    wait(lambda: len(ev['messages']) == 2, 'two events and a reconnection')
    check_eq(ev['messages'], [('greet', 'one\ntwo', '7'), ('message', 'Last-Event-ID 7', '7')], 'events')
    check_eq(ev['opens'], 2, 'open twice')
    check_eq(len(ev['errors']), 1, 'one error')
    check(ev['errors'][0][0].matches(Fws.error_quark(), Fws.Error.CLOSED), f'{ev["errors"][0][0]}')
    check_eq(ev['errors'][0][1], Fws.ReadyState.CONNECTING, 'connecting again after the error')
    check_eq(client.props.last_event_id, '7', 'last-event-id')
    check_eq(client.props.reconnection_time, 50, 'retry: 50 from the server')
    check_eq(client_stream_requests[0], ('smoke=python-es', 'smoke-python/1'),
             "the session's cookie and user agent seen by the server")
    check('smoke-es=1' in jar.get_cookies(http_uri, True), "the stream's Set-Cookie in the jar")
    client.close()
    check_eq(client.get_ready_state(), Fws.ReadyState.CLOSED, 'closed at once')
    wait(lambda: all(es.props.ready_state == Fws.ReadyState.CLOSED for es in client_streams),
         'the server streams close')


# ---- The stream door: a Gio.SocketService and FwsRequest ----

door_requests = []
door_sockets = []
door_event_sources = []


def door_event_source(es, close_after_event):
    es.closes = 0

    def on_open(es_):
        es.send('through the door', 'door', '7')
        if close_after_event:
            es.close()

    def on_close(es_):
        es.closes += 1
    es.connect('open', guarded(on_open))
    es.connect('close', guarded(on_close))
    door_event_sources.append(es)


@guarded
def door_request_read(source, result):
    request = Fws.Request.read_finish(result)
    check(isinstance(source, Fws.Request), 'the source object is the request')
    door_requests.append({
        'method': request.get_method(), 'path': request.get_path(), 'query': request.get_query(),
        'version': request.get_http_version(), 'client': request.get_headers().get_one('X-Client'),
        'secure': request.get_secure(), 'websocket': request.is_websocket(),
        'event_source': request.is_event_source()})
    path = request.get_path()
    if path == '/door' and request.is_websocket():
        ws = Fws.WebSocket.new_for_request(request, ['chat'])
    elif path == '/door-props' and request.is_websocket():
        ws = Fws.WebSocket(max_length=64, close_timeout=2000)
        ws.accept_request(request)
        # The request was taken over: it cannot be answered any more.
        expect_error(lambda: request.respond(500, None, None), Fws.Error.CLOSED, 'respond after the takeover')
    elif path == '/door-events' and request.is_event_source():
        door_event_source(Fws.EventSource.new_for_request(request), False)
        return
    elif path == '/door-events-props' and request.is_event_source():
        es = Fws.EventSource(retry=1.5)
        es.accept_request(request)
        door_event_source(es, True)
        return
    else:
        check(request.respond(404, None, 'Not found\n'), 'respond queued')
        return
    ws.connect('message', guarded(lambda self, type_, data: self.send(type_, data)))
    door_sockets.append(ws)


def soup_send(session, msg):
    result = []

    def done(sess, res):
        try:
            result.append(sess.send_finish(res))
        except GLib.Error as e:
            result.append(e)
    session.send_async(msg, GLib.PRIORITY_DEFAULT, None, done)
    wait(lambda: result, f'the response head of {msg.get_uri().to_string()}')
    if isinstance(result[0], GLib.Error):
        raise result[0]
    return result[0]


def read_until(stream, marker):
    """Reads from a Gio.InputStream until marker arrived; returns the bytes."""
    got = b''
    while marker not in got:
        result = []

        def done(st, res):
            try:
                result.append(st.read_bytes_finish(res))
            except GLib.Error as e:
                result.append(e)
        stream.read_bytes_async(4096, GLib.PRIORITY_DEFAULT, None, done)
        wait(lambda: result, f'{marker!r} on the stream')
        if isinstance(result[0], GLib.Error):
            raise result[0]
        if result[0].get_size() == 0:
            raise Failure(f'the stream ended before {marker!r}: {got!r}')
        got += result[0].get_data()
    return got


def test_stream_door():
    service = Gio.SocketService()
    ok, effective = service.add_address(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0),
                                        Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, None)
    check(ok, 'listening on 127.0.0.1')
    port = effective.get_port()

    def on_incoming(svc, connection, source):
        Fws.Request.read_async(connection, 5000, None, door_request_read)
        return True
    service.connect('incoming', on_incoming)
    service.start()
    base = f'127.0.0.1:{port}'

    client = new_client(f'ws://{base}/door?a=1&b=2', protocols=['chat'])
    wait(lambda: client.ev['open'] or client.ev['close'], 'open through the door')
    check(client.ev['open'], f'opened through the door ({client.ev["errors"]})')
    check_eq(client.get_protocol(), 'chat', 'protocol through the door')
    check_eq(door_requests[-1], {'method': 'GET', 'path': '/door', 'query': 'a=1&b=2',
                                 'version': Soup.HTTPVersion.HTTP_1_1, 'client': 'python',
                                 'secure': False, 'websocket': True, 'event_source': False},
             'the request read from the stream')
    client.send_text('door ö')
    type_, data = next_message(client)
    check(type_ == Fws.MessageType.TEXT and data.get_data() == 'door ö'.encode(), 'echo through the door')
    client.send_binary(b(b'\x00\x01\xff'))
    check_eq(next_message(client)[1].get_data(), b'\x00\x01\xff', 'binary echo through the door')
    client.close(1000, 'done')
    wait(lambda: client.ev['close'], 'close through the door')
    check_eq(client.ev['close'], (1000, 'done'), 'close code and reason through the door')

    props = new_client(f'ws://{base}/door-props')
    wait(lambda: props.ev['open'] or props.ev['close'], 'open through accept_request')
    check(props.ev['open'], f'accept_request opened ({props.ev["errors"]})')
    check_eq(door_requests[-1]['query'], None, 'no query')
    props.send_text('small')
    check_eq(next_message(props)[1].get_data(), b'small', 'echo through accept_request')
    props.send_text('z' * 100)
    wait(lambda: props.ev['close'], 'close after a message over the door max-length')
    check_eq(props.ev['close'][0], Fws.CloseCode.TOO_BIG, 'max-length set before accept_request applies')

    session = Soup.Session()
    # new_for_request: the first event arrives while the stream stays open.
    msg = Soup.Message.new('GET', f'http://{base}/door-events')
    msg.get_request_headers().append('Accept', 'text/event-stream')
    stream = soup_send(session, msg)
    check_eq(msg.get_status(), 200, 'door event stream status')
    check_eq(msg.get_response_headers().get_content_type()[0], 'text/event-stream', 'door content type')
    body = read_until(stream, b'data: through the door\r\n\r\n')
    check_eq(body, b'retry: 5000\r\n\r\nevent: door\r\nid: 7\r\ndata: through the door\r\n\r\n', 'the first event')
    es = door_event_sources[-1]
    check_eq(es.props.ready_state, Fws.ReadyState.OPEN, 'the stream is still open')
    check(es.props.url.endswith('/door-events'), f'door event source url {es.props.url}')
    stream.close(None)
    wait(lambda: es.closes == 1, 'the server to see the client go')

    # accept_request: an option set before the takeover, then the end of the stream.
    msg = Soup.Message.new('GET', f'http://{base}/door-events-props')
    msg.get_request_headers().append('Accept', 'text/event-stream')
    stream = soup_send(session, msg)
    check_eq(msg.get_status(), 200, 'accept_request event stream status')
    check_eq(msg.get_response_headers().get_content_type()[0], 'text/event-stream', 'content type')
    body = read_until(stream, b'data: through the door\r\n\r\n')
    check_eq(body, b'retry: 1500\r\n\r\nevent: door\r\nid: 7\r\ndata: through the door\r\n\r\n',
             'retry and the first event')
    wait(lambda: door_event_sources[-1].closes == 1, 'close signal')

    # Anything else is answered with respond().
    msg = Soup.Message.new('GET', f'http://{base}/elsewhere')
    stream = soup_send(session, msg)
    check_eq(msg.get_status(), 404, 'respond status')
    check_eq(msg.get_response_headers().get_content_type()[0], 'text/plain', 'respond content type')
    check_eq(read_until(stream, b'\n'), b'Not found\n', 'respond body')
    check_eq(door_requests[-1]['websocket'], False, 'a plain GET is no WebSocket')
    check_eq(door_requests[-1]['event_source'], False, 'a plain GET is no event stream')
    service.stop()
    service.close()


def test_listener():
    server = Soup.Server()
    server.add_handler(None, lambda srv, msg, path, query: msg.set_status(200, None))
    listener = Fws.Listener(soup_server=server, max_pending=8, handshake_timeout=5000)
    check(listener.listen_local(0), 'listen_local')
    session = Soup.Session()
    msg = Soup.Message.new('GET', f'http://127.0.0.1:{listener.get_port()}/x')
    soup_send(session, msg)
    check_eq(msg.get_status(), 200, 'status through the listener')
    check_eq(listener.props.n_accepted, 1, 'n-accepted')
    check_eq(listener.props.n_pending, 0, 'n-pending')
    check_eq((listener.props.n_refused, listener.props.n_timed_out, listener.props.n_accept_pauses), (0, 0, 0),
             'n-refused, n-timed-out, n-accept-pauses')
    listener.stop()

    # No SoupServer: the request signal, on a socket of the program's own.
    sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP)
    sock.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), True)
    sock.set_listen_backlog(4096)
    plain = Fws.Listener()
    plain.connect('request', guarded(lambda lst, request: request.respond(204, None, None)))
    plain.add_socket(sock)
    msg = Soup.Message.new('GET', f'http://127.0.0.1:{plain.get_port()}/y')
    soup_send(session, msg)
    check_eq(msg.get_status(), 204, 'status through the request signal')
    plain.stop()

    ws = Fws.WebSocket(allowed_origins=['https://a.example'])
    check_eq(list(ws.props.allowed_origins), ['https://a.example'], 'WebSocket allowed-origins')
    es = Fws.EventSource(allowed_origins=['https://a.example'])
    check_eq(list(es.props.allowed_origins), ['https://a.example'], 'EventSource allowed-origins')


def test_reconnect():
    """The reconnect policy of both clients, against a port nothing listens on."""
    listener = Gio.SocketListener()
    port = listener.add_any_inet_port(None)
    listener.close()
    client = Fws.Client(url=f'ws://127.0.0.1:{port}/', reconnect=True, reconnect_initial_delay=10,
                        reconnect_max_delay=20, reconnect_max_attempts=2, network_monitor=None)
    check_eq(client.props.reconnect, True, 'reconnect')
    check_eq(client.get_reconnect_initial_delay(), 10, 'reconnect-initial-delay')
    check_eq(client.props.reconnect_max_delay, 20, 'reconnect-max-delay')
    check_eq(client.props.reconnect_max_attempts, 2, 'reconnect-max-attempts')
    check(client.props.network_monitor is None, 'network-monitor')
    ev = {'attempts': [], 'close': []}

    def on_reconnecting(c, attempt, delay, error):
        check_eq(c.props.ready_state, Fws.ReadyState.CONNECTING, 'connecting while waiting')
        check(delay <= 20, f'delay {delay} within the cap')
        check(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CONNECTION_REFUSED), f'refused: {error}')
        ev['attempts'].append(attempt)
    client.connect('reconnecting', guarded(on_reconnecting))
    client.connect('close', guarded(lambda c, code, reason: ev['close'].append(code)))
    wait(lambda: ev['close'], 'close after two attempts')
    check_eq(ev['attempts'], [1, 2], 'attempts')
    check_eq(ev['close'], [Fws.CloseCode.ABNORMAL], 'close 1006')

    events = Fws.EventSourceClient(url=f'http://127.0.0.1:{port}/', reconnection_time=10,
                                   reconnect_max_attempts=1, network_monitor=None)
    check_eq(events.props.reconnect, True, 'an EventSourceClient reconnects by default')
    events.props.reconnect_initial_delay = 10
    events.props.reconnect_max_delay = 20
    waits = []
    events.connect('reconnecting', guarded(lambda es, attempt, delay, error: waits.append((attempt, delay))))
    wait(lambda: events.props.ready_state == Fws.ReadyState.CLOSED, 'the EventSourceClient gives up')
    check_eq(waits, [(1, 10)], 'one attempt after reconnection-time')
    events.props.reconnect = False


def main():
    server = Soup.Server()
    server.add_handler(None, handler)
    server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY)
    base = f'ws://127.0.0.1:{server.get_uris()[0].get_port()}'
    test_echo(base)
    test_custom_extension(base)
    test_server_close_all(base)
    test_documented_extension(base)
    test_max_length(base)
    test_client_properties()
    test_handshake_timeout()
    test_tls()
    test_event_source(base)
    test_event_source_client(base)
    test_stream_door()
    test_listener()
    test_reconnect()
    server.disconnect()
    if failures:
        raise failures[0]


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        print(f'FAIL: {e}', file=sys.stderr)
        sys.exit(1)
    print(f'ok - smoke.py: {checks} checks passed')
