// smoke.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// The Fws-1.0 typelib from GJS: an echo server on a SoupServer and clients
// against it, with subprotocols, binary messages as GBytes, ping as a
// promise, close with code and reason, every option property, extensions,
// TLS, an FwsEventSource and an FwsEventSourceClient reading one; then the
// same classes behind a Gio.SocketService through FwsRequest (the stream
// door). Run as
// `gjs -m smoke.js`; exits non-zero on any failure and within a time limit.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Soup from 'gi://Soup?version=3.0';
import Fws from 'gi://Fws?version=1.0';
import system from 'system';

Gio._promisify(Fws.WebSocket.prototype, 'ping_async', 'ping_finish');
Gio._promisify(Fws.WebSocket.prototype, 'send_async', 'send_finish');
Gio._promisify(Soup.Session.prototype, 'send_and_read_async', 'send_and_read_finish');
Gio._promisify(Soup.Session.prototype, 'send_async', 'send_finish');
Gio._promisify(Gio.InputStream.prototype, 'read_bytes_async', 'read_bytes_finish');

const TIME_LIMIT_S = 60;
const srcdir = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
const decoder = new TextDecoder();
const encoder = new TextEncoder();
let checks = 0;

function assert(cond, what) {
    checks++;
    if (!cond)
        throw new Error(`assertion failed: ${what}`);
}

function assertEq(got, want, what) {
    checks++;
    if (got !== want)
        throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

function bytesOf(array) {
    return new GLib.Bytes(Uint8Array.from(array));
}

function sameBytes(a, b) {
    const x = a.toArray(), y = b.toArray();
    return x.length === y.length && x.every((v, i) => v === y[i]);
}

// Resolves once pred() is true, polling from the main loop.
function waitFor(pred, what, ms = 10000) {
    return new Promise((resolve, reject) => {
        const start = GLib.get_monotonic_time();
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
            if (pred()) {
                resolve();
                return GLib.SOURCE_REMOVE;
            }
            if (GLib.get_monotonic_time() - start > ms * 1000) {
                reject(new Error(`timed out waiting for ${what}`));
                return GLib.SOURCE_REMOVE;
            }
            return GLib.SOURCE_CONTINUE;
        });
    });
}

function sleep(ms) {
    return new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

function expectError(fn, code, what) {
    try {
        fn();
    } catch (e) {
        assert(e instanceof GLib.Error && e.matches(Fws.Error, code), `${what}: ${e}`);
        return;
    }
    throw new Error(`${what}: no error thrown`);
}

// ---- A custom extension, implemented here ----

// "x-upper" swaps the case of ASCII letters in text messages and marks them
// with RSV2: it exercises FwsExtension, FwsExtensionSession,
// FwsExtensionParams and FwsExtensionMessage from JavaScript.
const extensionLog = {offers: [], serverOffers: [], activated: [], outgoing: 0, incoming: 0};

function swapCase(bytes) {
    return new GLib.Bytes(bytes.toArray().map(c => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? c ^ 0x20 : c));
}

const UpperSession = GObject.registerClass({
    Implements: [Fws.ExtensionSession],
}, class UpperSession extends GObject.Object {
    vfunc_generate_offer() {
        const params = Fws.ExtensionParams.new();
        params.add_flag('flag');
        params.add_int('n', 7);
        params.add_string('s', 'a b');
        params.add('v', new GLib.Variant('x', 9));
        extensionLog.offers.push(params.to_string());
        return [params];
    }

    vfunc_activate(params) {
        extensionLog.activated.push([params.to_string(), params.get_length(), params.count('k'),
            params.get_key(0), params.get_value(0).unpack(), params.lookup('k').unpack()]);
        return true;
    }

    vfunc_generate_response() {
        const params = Fws.ExtensionParams.new();
        params.add_string('k', 'v');
        return params;
    }

    vfunc_process_outgoing_message(message) {
        if (message.get_message_type() === Fws.MessageType.TEXT) {
            message.set_data(swapCase(message.get_data()));
            message.set_rsv(message.get_rsv() | Fws.ReservedBits.RSV2);
            extensionLog.outgoing++;
        }
        return true;
    }

    vfunc_process_incoming_message(message) {
        if (message.get_rsv() & Fws.ReservedBits.RSV2) {
            message.set_data(swapCase(message.get_data()));
            message.set_rsv(message.get_rsv() & ~Fws.ReservedBits.RSV2);
            extensionLog.incoming++;
        }
        return true;
    }

    vfunc_close() {
    }
});

const Upper = GObject.registerClass({
    Implements: [Fws.Extension],
}, class Upper extends GObject.Object {
    vfunc_get_name() {
        return 'x-upper';
    }

    vfunc_get_rsv() {
        return Fws.ReservedBits.RSV2;
    }

    vfunc_create_client_session() {
        return new UpperSession();
    }

    vfunc_create_server_session(offers) {
        extensionLog.serverOffers.push(...offers.map(o => o.to_string()));
        return new UpperSession();
    }
});

// The extension docs/extensions.md shows in JavaScript, imported as it is
// (set by main () before the server starts).
let documented = null;

async function importDocumentedExtension() {
    const [, text] = GLib.file_get_contents(`${srcdir}/../../docs/extensions.md`);
    const block = [...decoder.decode(text).matchAll(/^```js\n(.*?)^```$/gms)]
        .map(m => m[1]).find(code => code.includes('class SwapCase '));
    const dir = GLib.dir_make_tmp('fws-smoke-XXXXXX');
    const path = `${dir}/swapcase.js`;
    GLib.file_set_contents(path, block);
    try {
        return await import(GLib.filename_to_uri(path, null));
    } finally {
        GLib.unlink(path);
        GLib.rmdir(dir);
    }
}

// ---- The server ----

const serverSockets = [];   // server-side FwsWebSocket, newest last
const eventSources = [];

function wsHandler(msg) {
    assert(Fws.WebSocket.is_websocket_request(msg), 'is_websocket_request');
    const extra = new Soup.MessageHeaders(Soup.MessageHeadersType.RESPONSE);
    extra.append('X-Server', 'fws-gjs');
    extra.append('Set-Cookie', 'smoke-ws=1; Path=/');
    const ws = new Fws.WebSocket({
        protocols: ['chat', 'superchat'],
        max_length: 4096,
        close_timeout: 2000,
        handshake_timeout: 5000,
        ping_interval: 100,
        pong_timeout: 5000,
        extra_headers: extra,
    });
    assertEq(ws.max_length, 4096, 'server max-length');
    ws.max_buffered = 1 << 28;
    ws.high_water_mark = 1 << 21;
    ws.low_water_mark = 1 << 19;
    ws.send_overflow = Fws.SendOverflow.ERROR;
    assertEq(ws.get_max_buffered(), 1 << 28, 'server max-buffered');
    assertEq(ws.high_water_mark, 1 << 21, 'server high-water-mark');
    assertEq(ws.low_water_mark, 1 << 19, 'server low-water-mark');
    assertEq(ws.send_overflow, Fws.SendOverflow.ERROR, 'server send-overflow');
    assertEq(ws.get_max_length(), 4096, 'server get_max_length');
    assertEq(ws.close_timeout, 2000, 'server close-timeout');
    assertEq(ws.handshake_timeout, 5000, 'server handshake-timeout');
    assertEq(ws.ping_interval, 100, 'server ping-interval');
    assertEq(ws.pong_timeout, 5000, 'server pong-timeout');
    assertEq(ws.extra_headers.get_one('X-Server'), 'fws-gjs', 'server extra-headers');
    assertEq(ws.protocols.join(','), 'chat,superchat', 'server protocols');
    assertEq(ws.ready_state, Fws.ReadyState.CONNECTING, 'server ready-state before accept');
    ws.add_extension(new Fws.PermessageDeflate());
    assertEq(ws.get_extensions().length, 1, 'server get_extensions');
    ws.accept(msg);
    ws.connect('message', (self, type, data) => self.send(type, data));
    ws.closes = [];
    ws.connect('close', (self, code, reason) => ws.closes.push([code, reason]));
    serverSockets.push(ws);
}

function eventsHandler(msg, path) {
    assert(Fws.EventSource.is_event_source_request(msg), 'is_event_source_request');
    let es;
    if (path === '/events') {
        const extra = new Soup.MessageHeaders(Soup.MessageHeadersType.RESPONSE);
        extra.append('X-Events', 'yes');
        es = new Fws.EventSource({retry: 2.5, ping_seconds: 0.05, extra_headers: extra});
        assertEq(es.retry, 2.5, 'retry');
        assertEq(es.get_ping_seconds(), 0.05, 'ping-seconds');
        assertEq(es.get_extra_headers().get_one('X-Events'), 'yes', 'event source extra-headers');
        es.max_buffered = 1 << 28;
        es.high_water_mark = 1 << 21;
        es.low_water_mark = 1 << 19;
        es.send_overflow = Fws.SendOverflow.CLOSE;
        assertEq(es.max_buffered, 1 << 28, 'event source max-buffered');
        assertEq(es.high_water_mark, 1 << 21, 'event source high-water-mark');
        assertEq(es.low_water_mark, 1 << 19, 'event source low-water-mark');
        assertEq(es.send_overflow, Fws.SendOverflow.CLOSE, 'event source send-overflow');
        es.send_overflow = Fws.SendOverflow.ERROR;
        es.accept(msg);
    } else {
        es = Fws.EventSource.new(msg);
    }
    assertEq(es.last_event_id, '41', 'last-event-id');
    assert(es.url.endsWith(path), `event source url ${es.url}`);
    es.closed = false;
    es.connect('open', () => {
        assertEq(es.ready_state, Fws.ReadyState.OPEN, 'event source ready-state');
        es.send('hello\nworld', 'greet', '42');
        es.send('plain', null, null);
        es.ping();
        // Let the ping-seconds timer write a few comment lines, then end.
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, path === '/events' ? 300 : 0, () => {
            es.close();
            assertEq(es.ready_state, Fws.ReadyState.CLOSED, 'closed at once');
            expectError(() => es.send('late', null, null), Fws.Error.CLOSED, 'send after close');
            return GLib.SOURCE_REMOVE;
        });
    });
    es.connect('close', () => {
        es.closed = true;
    });
    eventSources.push(es);
}

// /client-events for Fws.EventSourceClient: the first stream sends an event
// and ends, the next one says which Last-Event-ID it came with.
const clientStreams = [];

function clientEventsHandler(msg) {
    const extra = new Soup.MessageHeaders(Soup.MessageHeadersType.RESPONSE);
    extra.append('Set-Cookie', 'smoke-es=1; Path=/');
    const es = new Fws.EventSource({retry: 0.05, extra_headers: extra});
    const request = msg.get_request_headers();
    es.cookie = request.get_one('Cookie');
    es.agent = request.get_one('User-Agent');
    clientStreams.push(es);
    const first = clientStreams.length === 1;
    es.connect('open', () => {
        if (first) {
            es.send('one\ntwo', 'greet', '7');
            es.close();
        } else {
            es.send(`Last-Event-ID ${es.last_event_id}`, null, null);
        }
    });
    es.accept(msg);
}

const server = new Soup.Server();
server.add_handler(null, (srv, msg, path) => {
    try {
        if (path === '/client-events') {
            clientEventsHandler(msg);
        } else if (path.startsWith('/events')) {
            eventsHandler(msg, path);
        } else if (path === '/custom' || path === '/swapcase') {
            const ws = Fws.WebSocket.new(msg, null);
            ws.add_extension(path === '/custom' ? new Upper() : new documented.SwapCase());
            ws.connect('message', (self, type, data) => self.send(type, data));
            serverSockets.push(ws);
        } else {
            wsHandler(msg);
        }
    } catch (e) {
        fail(e);
    }
});

// ---- The tests ----

function newClient(url, props = {}) {
    const extra = new Soup.MessageHeaders(Soup.MessageHeadersType.REQUEST);
    extra.append('X-Client', 'gjs');
    const client = new Fws.Client({url, extra_headers: extra, use_system_proxy: false, ...props});
    client.events = {open: false, messages: [], texts: [], pings: [], pongs: [], errors: [], close: null};
    client.connect('open', () => {
        client.events.open = true;
    });
    client.connect('message', (self, type, data) => client.events.messages.push([type, data]));
    // each text as a string, with the number of messages delivered before it
    client.connect('text-message', (self, text) => client.events.texts.push([client.events.messages.length, text]));
    client.connect('ping', (self, payload) => client.events.pings.push(decoder.decode(payload.toArray())));
    client.connect('pong', (self, payload) => client.events.pongs.push(decoder.decode(payload.toArray())));
    client.connect('error', (self, error) => client.events.errors.push(error));
    client.connect('close', (self, code, reason) => {
        client.events.close = [code, reason];
    });
    return client;
}

// A Soup.Session with the user agent smoke-gjs/1 and a cookie jar holding
// @cookie for the http:// URL of @base.
function newSession(base, cookie) {
    const session = new Soup.Session({user_agent: 'smoke-gjs/1'});
    const jar = new Soup.CookieJar();
    session.add_feature(jar);
    const uri = GLib.Uri.parse(`${base.replace(/^ws/, 'http')}/`, GLib.UriFlags.NONE);
    jar.set_cookie(uri, `${cookie}; Path=/`);
    return {session, jar, uri};
}

async function nextMessage(client) {
    const n = client.events.messages.length;
    await waitFor(() => client.events.messages.length > n, 'a message');
    return client.events.messages[n];
}

async function testEcho(base) {
    const deflate = new Fws.PermessageDeflate({level: 6, mem_level: 8,
        strategy: Fws.DeflateStrategy.DEFAULT, no_context_takeover: false,
        max_window_bits: 15, request_no_context_takeover: false, request_max_window_bits: 15,
        threshold: 0});
    assertEq(deflate.level, 6, 'deflate level');
    assertEq(deflate.get_mem_level(), 8, 'deflate mem-level');
    assertEq(deflate.strategy, Fws.DeflateStrategy.DEFAULT, 'deflate strategy');
    assertEq(deflate.no_context_takeover, false, 'deflate no-context-takeover');
    assertEq(deflate.max_window_bits, 15, 'deflate max-window-bits');
    assertEq(deflate.request_no_context_takeover, false, 'deflate request-no-context-takeover');
    assertEq(deflate.request_max_window_bits, 15, 'deflate request-max-window-bits');
    assertEq(deflate.get_threshold(), 0, 'deflate threshold');
    assertEq(deflate.get_name(), 'permessage-deflate', 'extension name');

    // A Soup.Session: its cookies and user agent go with the handshake, and
    // the 101's Set-Cookie lands in its jar.
    const {session, jar, uri: httpUri} = newSession(base, 'smoke=gjs');
    const client = newClient(`${base}/echo`, {protocols: ['superchat'], max_length: 1 << 20,
        close_timeout: 3000, ping_interval: 0, pong_timeout: 4000, handshake_timeout: 6000, session});
    assert(client.session === session, 'client session');
    assertEq(client.max_length, 1 << 20, 'client max-length');
    assertEq(client.close_timeout, 3000, 'client close-timeout');
    assertEq(client.pong_timeout, 4000, 'client pong-timeout');
    assertEq(client.ping_interval, 0, 'client ping-interval');
    assertEq(client.handshake_timeout, 6000, 'client handshake-timeout');
    assertEq(client.status, 0, 'status before the response');
    client.add_extension(deflate);

    await waitFor(() => client.events.open || client.events.close, 'open');
    assert(client.events.open, `opened (${client.events.errors})`);
    const srv = serverSockets[serverSockets.length - 1];
    assertEq(client.ready_state, Fws.ReadyState.OPEN, 'ready-state');
    assertEq(client.protocol, 'superchat', 'client protocol');
    assertEq(srv.get_protocol(), 'superchat', 'server protocol');
    assertEq(client.status, 101, 'status');
    const sessions = client.get_extension_sessions();
    assertEq(sessions.length, 1, 'one extension agreed');
    assert(sessions[0] instanceof Fws.ExtensionSession, 'an extension session');
    assertEq(client.version, 'hybi-13', 'version');
    assertEq(client.url, `${base}/echo`, 'url');
    assertEq(client.get_headers().get_one('X-Server'), 'fws-gjs', 'server extra header seen by the client');
    assertEq(srv.headers.get_one('X-Client'), 'gjs', 'client extra header seen by the server');
    assertEq(srv.headers.get_one('Cookie'), 'smoke=gjs', 'the session\'s cookie seen by the server');
    assertEq(srv.headers.get_one('User-Agent'), 'smoke-gjs/1', 'the session\'s user agent');
    assert(jar.get_cookies(httpUri, true).includes('smoke-ws=1'), 'the 101\'s Set-Cookie in the jar');
    assert(client.get_headers().get_one('Sec-WebSocket-Extensions').startsWith('permessage-deflate'),
        'permessage-deflate negotiated');

    client.send_text('hello, wörld');
    let [type, data] = await nextMessage(client);
    assertEq(type, Fws.MessageType.TEXT, 'text type');
    assertEq(decoder.decode(data.toArray()), 'hello, wörld', 'text echo');
    assertEq(client.events.texts.length, 1, 'one text-message');
    assertEq(typeof client.events.texts[0][1], 'string', 'text-message gives a string');
    assertEq(client.events.texts[0][1], 'hello, wörld', 'text-message text');
    assertEq(client.events.texts[0][0], client.events.messages.length, 'text-message right after message');

    // A string with U+0000 goes whole through the length-taking variant.
    client.send_text_len('a\0wörld');
    [type, data] = await nextMessage(client);
    assertEq(type, Fws.MessageType.TEXT, 'send_text_len type');
    assertEq(decoder.decode(data.toArray()), 'a\0wörld', 'text with U+0000 echoed whole');

    const bin = bytesOf([0, 1, 2, 0xfe, 0xff, 0]);
    client.send_binary(bin);
    [type, data] = await nextMessage(client);
    assertEq(type, Fws.MessageType.BINARY, 'binary type');
    assertEq(client.events.texts.length, 2, 'no text-message for a binary message');
    assert(data instanceof GLib.Bytes && sameBytes(data, bin), 'binary echo');

    const big = new GLib.Bytes(encoder.encode('x'.repeat(3000)));
    client.send(Fws.MessageType.BINARY, big);
    [type, data] = await nextMessage(client);
    assert(type === Fws.MessageType.BINARY && sameBytes(data, big), 'send(BINARY) echo');

    // A Uint8Array goes out as it is, without a GLib.Bytes around it.
    client.send_data(Fws.MessageType.BINARY, Uint8Array.from([0, 0x72, 0xff]));
    [type, data] = await nextMessage(client);
    assertEq(type, Fws.MessageType.BINARY, 'send_data(Uint8Array) type');
    assert(sameBytes(data, bytesOf([0, 0x72, 0xff])), 'send_data(Uint8Array) echo');
    client.send_data(Fws.MessageType.TEXT, encoder.encode('wörld'));
    [type, data] = await nextMessage(client);
    assertEq(type, Fws.MessageType.TEXT, 'send_data(TEXT) type');
    assertEq(decoder.decode(data.toArray()), 'wörld', 'send_data(TEXT) echo');
    expectError(() => client.send_data(Fws.MessageType.TEXT, Uint8Array.from([0xff])), Fws.Error.INVALID_UTF8,
        'send_data(TEXT) with bytes that are not UTF-8');

    const before = client.events.messages.length;
    assertEq(await client.send_async(Fws.MessageType.BINARY, big, null), true, 'send_async resolves once written');
    await waitFor(() => client.events.messages.length > before, 'the send_async echo');
    [type, data] = client.events.messages[before];
    assert(type === Fws.MessageType.BINARY && sameBytes(data, big), 'send_async echo');

    assertEq(await client.ping_async(bytesOf([0x70, 0x31]), null), true, 'ping resolves');
    await waitFor(() => client.events.pongs.includes('p1'), 'the pong signal');
    assertEq(await client.ping_async(null, null), true, 'ping without payload resolves');

    await waitFor(() => client.events.pings.length > 0, 'a keepalive ping (ping-interval)');
    assertEq(client.events.pings[0], '1', 'keepalive ping payload');

    expectError(() => client.close(1234, 'no'), Fws.Error.INVALID_ARGUMENT, 'close code 1234');
    assertEq(client.close(4000, 'bye'), true, 'close');
    assertEq(client.ready_state, Fws.ReadyState.CLOSING, 'closing');
    await waitFor(() => client.events.close && srv.closes.length, 'close');
    assertEq(srv.closes[0][0], 4000, 'server close code');
    assertEq(srv.closes[0][1], 'bye', 'server close reason');
    assertEq(client.events.close[0], 4000, 'client close code');
    assertEq(client.events.close[1], 'bye', 'client close reason');
    assertEq(client.close_code, 4000, 'close-code after close');
    assertEq(client.close_reason, 'bye', 'close-reason after close');
    assertEq(client.get_close_code(), 4000, 'get_close_code');
    assertEq(client.get_close_reason(), 'bye', 'get_close_reason');
    assertEq(client.ready_state, Fws.ReadyState.CLOSED, 'closed');
    expectError(() => client.send_text('late'), Fws.Error.CLOSED, 'send after close');
    await expectRejection(client.ping_async(null, null), Fws.Error.CLOSED, 'ping after close');
}

async function expectRejection(promise, code, what) {
    try {
        await promise;
    } catch (e) {
        assert(e instanceof GLib.Error && e.matches(Fws.Error, code), `${what}: ${e}`);
        return;
    }
    throw new Error(`${what}: no rejection`);
}

async function testServerCloseAll(base) {
    const client = newClient(`${base}/echo`);
    await waitFor(() => client.events.open || client.events.close, 'open');
    assert(client.events.open, 'opened');
    assert(Fws.server_close_all(Fws.CloseCode.GOING_AWAY, 'stopping') >= 1, 'server_close_all');
    await waitFor(() => client.events.close, 'close');
    assertEq(client.events.close[0], 1001, 'closed by server_close_all: code');
    assertEq(client.events.close[1], 'stopping', 'closed by server_close_all: reason');
}

async function testCustomExtension(base) {
    const upper = new Upper();
    assertEq(upper.get_name(), 'x-upper', 'custom extension name');
    assertEq(upper.get_rsv(), Fws.ReservedBits.RSV2, 'custom extension rsv');
    assert(upper.create_client_session() instanceof Fws.ExtensionSession, 'create_client_session');
    assert(upper.create_server_session([Fws.ExtensionParams.new()]) instanceof Fws.ExtensionSession,
        'create_server_session');
    extensionLog.serverOffers.length = 0;

    const client = newClient(`${base}/custom`);
    client.add_extension(upper);
    await waitFor(() => client.events.open || client.events.close, 'open');
    assert(client.events.open, `opened with a custom extension (${client.events.errors})`);
    assertEq(client.get_headers().get_one('Sec-WebSocket-Extensions'), 'x-upper; k=v', 'custom extension negotiated');
    assertEq(extensionLog.offers[0], 'flag; n=7; s="a b"; v=9', 'offer parameters');
    assertEq(extensionLog.serverOffers[0], 'flag; n=7; s="a b"; v=9', 'offers seen by the server');
    assertEq(JSON.stringify(extensionLog.activated[0]), JSON.stringify(['k=v', 1, 1, 'k', 'v', 'v']),
        'response parameters');
    client.send_text('Hello, World');
    const [type, data] = await nextMessage(client);
    assertEq(type, Fws.MessageType.TEXT, 'text through the custom extension');
    assertEq(decoder.decode(data.toArray()), 'Hello, World', 'echo through the custom extension');
    assertEq(extensionLog.outgoing, 2, 'each side transformed one outgoing message');
    assertEq(extensionLog.incoming, 2, 'each side restored one incoming message');
    assertEq(client.buffered_amount, 0, 'buffered-amount once written');
    client.close(1000, null);
    await waitFor(() => client.events.close, 'close');
}

async function testMaxLength(base) {
    const client = newClient(`${base}/limit`);
    await waitFor(() => client.events.open, 'open');
    client.send_text('y'.repeat(5000));
    await waitFor(() => client.events.close, 'close after a message over max-length');
    assertEq(client.events.close[0], Fws.CloseCode.TOO_BIG, 'close 1009');
}

async function testClientProperties() {
    const proxyHeaders = new Soup.MessageHeaders(Soup.MessageHeadersType.REQUEST);
    proxyHeaders.append('X-Proxy', 'p');
    const database = Gio.TlsFileDatabase.new(`${srcdir}/test-ca.pem`);
    const certificate = Gio.TlsCertificate.new_from_file(`${srcdir}/test-server.pem`);
    const client = newClient('ws://127.0.0.1:1/', {
        tls_verify: false,
        tls_ca_files: [`${srcdir}/test-ca.pem`],
        tls_database: database,
        tls_certificate: certificate,
        proxy: 'http://127.0.0.1:1',
        proxy_headers: proxyHeaders,
        handshake_timeout: 5000,
    });
    assertEq(client.tls_verify, false, 'tls-verify');
    assertEq(client.get_tls_ca_files().join(), `${srcdir}/test-ca.pem`, 'tls-ca-files');
    assert(client.tls_database === database, 'tls-database');
    assert(client.get_tls_certificate() === certificate, 'tls-certificate');
    assertEq(client.proxy, 'http://127.0.0.1:1', 'proxy');
    assertEq(client.get_proxy_headers().get_one('X-Proxy'), 'p', 'proxy-headers');
    assertEq(client.use_system_proxy, false, 'use-system-proxy');
    client.set_use_system_proxy(true);
    assertEq(client.get_use_system_proxy(), true, 'set_use_system_proxy');
    client.set_tls_verify(true);
    assertEq(client.tls_verify, true, 'set_tls_verify');
    // Nothing listens on port 1: the proxy is used, and fails.
    await waitFor(() => client.events.close, 'close after the proxy failed');
    assertEq(client.events.close[0], Fws.CloseCode.ABNORMAL, 'close 1006 without proxy');
    assert(client.events.errors.length === 1 && client.events.errors[0].message.includes('127.0.0.1:1'),
        `proxy error: ${client.events.errors}`);
}

async function testHandshakeTimeout() {
    // A listener that accepts and never answers.
    const service = new Gio.SocketService();
    const port = service.add_any_inet_port(null);
    const held = [];
    service.connect('incoming', (svc, conn) => {
        held.push(conn);
        return true;
    });
    service.start();
    const client = newClient(`ws://127.0.0.1:${port}/`, {handshake_timeout: 200});
    await waitFor(() => client.events.close, 'handshake timeout');
    assertEq(client.events.close[0], Fws.CloseCode.ABNORMAL, 'close 1006 after handshake-timeout');
    assert(client.events.errors[0].matches(Fws.Error, Fws.Error.TIMED_OUT), 'TIMED_OUT error');
    service.stop();
}

async function testTls() {
    assert(Gio.TlsBackend.get_default().supports_tls(), 'a GIO TLS backend (glib-networking) is installed');
    const tlsServer = new Soup.Server({
        tls_certificate: Gio.TlsCertificate.new_from_file(`${srcdir}/test-server.pem`),
    });
    tlsServer.add_handler(null, (srv, msg) => {
        try {
            wsHandler(msg);
        } catch (e) {
            fail(e);
        }
    });
    tlsServer.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY | Soup.ServerListenOptions.HTTPS);
    const url = `wss://127.0.0.1:${tlsServer.get_uris()[0].get_port()}/tls`;

    const trusted = newClient(url, {tls_ca_files: [`${srcdir}/test-ca.pem`]});
    await waitFor(() => trusted.events.open || trusted.events.close, 'TLS open');
    assert(trusted.events.open, `wss with tls-ca-files opens (${trusted.events.errors})`);
    trusted.send_text('secret');
    const [, data] = await nextMessage(trusted);
    assertEq(decoder.decode(data.toArray()), 'secret', 'echo over TLS');
    trusted.close(1000, null);
    await waitFor(() => trusted.events.close, 'TLS close');
    assertEq(trusted.events.close[0], 1000, 'TLS close code');

    const untrusted = newClient(url);
    await waitFor(() => untrusted.events.close, 'untrusted close');
    assertEq(untrusted.events.close[0], Fws.CloseCode.ABNORMAL, 'untrusted certificate: 1006');
    assert(untrusted.events.errors.length > 0, 'untrusted certificate: error');

    const unverified = newClient(url, {tls_verify: false});
    await waitFor(() => unverified.events.open || unverified.events.close, 'unverified open');
    assert(unverified.events.open, 'tls-verify false accepts the certificate');
    unverified.close(1000, null);
    await waitFor(() => unverified.events.close, 'unverified close');
    tlsServer.disconnect();
}

async function testEventSource(base) {
    const session = new Soup.Session();
    for (const path of ['/events', '/events-new']) {
        const msg = Soup.Message.new('GET', `${base.replace('ws:', 'http:')}${path}`);
        msg.get_request_headers().append('Accept', 'text/event-stream');
        msg.get_request_headers().append('Last-Event-ID', '41');
        const body = decoder.decode((await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null)).toArray());
        assertEq(msg.get_status(), 200, 'event stream status');
        assertEq(msg.get_response_headers().get_content_type()[0], 'text/event-stream', 'content type');
        assert(body.includes('event: greet\r\nid: 42\r\ndata: hello\r\ndata: world\r\n\r\n'), `event in ${JSON.stringify(body)}`);
        assert(body.includes('data: plain\r\n\r\n'), 'plain event');
        const comments = body.split(':\r\n\r\n').length - 1;
        if (path === '/events') {
            assert(body.startsWith('retry: 2500\r\n'), 'retry field');
            assertEq(msg.get_response_headers().get_one('X-Events'), 'yes', 'extra header');
            assert(comments >= 2, `ping and ping-seconds comments (${comments})`);
        } else {
            assert(comments >= 1, 'ping comment');
        }
    }
    await waitFor(() => eventSources.length === 2 && eventSources.every(es => es.closed), 'event source close signals');
}

async function testEventSourceClient(base) {
    const url = `${base.replace('ws:', 'http:')}/client-events`;
    expectError(() => Fws.EventSourceClient.new('ws://127.0.0.1/'), Fws.Error.INVALID_ARGUMENT,
        'an EventSourceClient takes http and https only');
    const client = Fws.EventSourceClient.new(url);
    const extra = Soup.MessageHeaders.new(Soup.MessageHeadersType.REQUEST);
    extra.append('X-Client', 'gjs');
    client.extra_headers = extra;
    client.reconnection_time = 100;
    client.handshake_timeout = 5000;
    client.max_redirects = 3;
    client.max_line_length = 65536;
    client.max_event_size = 65536;
    client.tls_verify = true;
    client.tls_ca_files = [GLib.build_filenamev([srcdir, 'test-ca.pem'])];
    client.tls_database = null;
    client.tls_certificate = null;
    client.proxy = null;
    client.use_system_proxy = false;
    const {session, jar, uri: httpUri} = newSession(base, 'smoke=gjs-es');
    client.session = session;
    assert(client.get_session() === session, 'event source client session');
    assertEq(client.url, url, 'url');
    assertEq(client.ready_state, Fws.ReadyState.CONNECTING, 'connecting');
    assertEq(client.last_event_id, '', 'no last event id yet');
    assertEq(client.get_max_redirects(), 3, 'max-redirects');
    assertEq(client.get_max_line_length(), 65536, 'max-line-length');
    assertEq(client.get_max_event_size(), 65536, 'max-event-size');
    assertEq(client.get_handshake_timeout(), 5000, 'handshake-timeout');
    assertEq(client.get_extra_headers().get_one('X-Client'), 'gjs', 'extra-headers');
    const ev = {opens: 0, messages: [], errors: []};
    client.connect('open', () => ev.opens++);
    client.connect('message', (self, type, data, id) => ev.messages.push(`${type}|${data}|${id}`));
    client.connect('error', (self, error) => ev.errors.push([error, self.ready_state]));
    await waitFor(() => ev.messages.length === 2, 'two events and a reconnection');
    assertEq(ev.messages.join(','), 'greet|one\ntwo|7,message|Last-Event-ID 7|7', 'events');
    assertEq(ev.opens, 2, 'open twice');
    assertEq(ev.errors.length, 1, 'one error');
    assert(ev.errors[0][0].matches(Fws.Error, Fws.Error.CLOSED), `${ev.errors[0][0]}`);
    assertEq(ev.errors[0][1], Fws.ReadyState.CONNECTING, 'connecting again after the error');
    assertEq(client.last_event_id, '7', 'last-event-id');
    assertEq(client.reconnection_time, 50, 'retry: 50 from the server');
    assertEq(clientStreams[0].cookie, 'smoke=gjs-es', 'the session\'s cookie seen by the server');
    assertEq(clientStreams[0].agent, 'smoke-gjs/1', 'the session\'s user agent');
    assert(jar.get_cookies(httpUri, true).includes('smoke-es=1'), 'the stream\'s Set-Cookie in the jar');
    client.close();
    assertEq(client.get_ready_state(), Fws.ReadyState.CLOSED, 'closed at once');
    await waitFor(() => clientStreams.every(es => es.ready_state === Fws.ReadyState.CLOSED),
        'the server streams close');
}

// ---- The stream door: a Gio.SocketService and FwsRequest ----

const doorRequests = [];
const doorSockets = [];
const doorEventSources = [];

function doorEventSource(es, closeAfterEvent) {
    es.closes = 0;
    es.connect('open', () => {
        try {
            es.send('through the door', 'door', '7');
            if (closeAfterEvent)
                es.close();
        } catch (e) {
            fail(e);
        }
    });
    es.connect('close', () => es.closes++);
    doorEventSources.push(es);
}

function doorRequestRead(source, result) {
    try {
        const request = Fws.Request.read_finish(result);
        assert(source instanceof Fws.Request, 'the source object is the request');
        doorRequests.push({
            method: request.get_method(), path: request.get_path(), query: request.get_query(),
            version: request.get_http_version(), client: request.get_headers().get_one('X-Client'),
            secure: request.get_secure(), websocket: request.is_websocket(),
            eventSource: request.is_event_source(),
        });
        const path = request.get_path();
        let ws;
        if (path === '/door' && request.is_websocket()) {
            ws = Fws.WebSocket.new_for_request(request, ['chat']);
        } else if (path === '/door-props' && request.is_websocket()) {
            ws = new Fws.WebSocket({max_length: 64, close_timeout: 2000});
            ws.accept_request(request);
            // The request was taken over: it cannot be answered any more.
            expectError(() => request.respond(500, null, null), Fws.Error.CLOSED, 'respond after the takeover');
        } else if (path === '/door-events' && request.is_event_source()) {
            doorEventSource(Fws.EventSource.new_for_request(request), false);
            return;
        } else if (path === '/door-events-props' && request.is_event_source()) {
            const es = new Fws.EventSource({retry: 1.5});
            es.accept_request(request);
            doorEventSource(es, true);
            return;
        } else {
            assert(request.respond(404, null, 'Not found\n'), 'respond queued');
            return;
        }
        ws.connect('message', (self, type, data) => self.send(type, data));
        doorSockets.push(ws);
    } catch (e) {
        fail(e);
    }
}

// Reads from a Gio.InputStream until marker arrived, within ten seconds;
// resolves to the text.
async function readUntil(stream, marker) {
    let got = '';
    let timer = 0;
    const cancellable = new Gio.Cancellable();
    timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10000, () => {
        timer = 0;
        cancellable.cancel();
        return GLib.SOURCE_REMOVE;
    });
    try {
        while (!got.includes(marker)) {
            const chunk = await stream.read_bytes_async(4096, GLib.PRIORITY_DEFAULT, cancellable);
            if (chunk.get_size() === 0)
                throw new Error(`the stream ended before ${JSON.stringify(marker)}: ${JSON.stringify(got)}`);
            got += decoder.decode(chunk.toArray());
        }
    } finally {
        if (timer)
            GLib.source_remove(timer);
    }
    return got;
}

async function testStreamDoor() {
    const service = new Gio.SocketService();
    const [ok, effective] = service.add_address(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0),
        Gio.SocketType.STREAM, Gio.SocketProtocol.TCP, null);
    assert(ok, 'listening on 127.0.0.1');
    service.connect('incoming', (svc, connection) => {
        Fws.Request.read_async(connection, 5000, null, doorRequestRead);
        return true;
    });
    service.start();
    const base = `127.0.0.1:${effective.get_port()}`;

    const client = newClient(`ws://${base}/door?a=1&b=2`, {protocols: ['chat']});
    await waitFor(() => client.events.open || client.events.close, 'open through the door');
    assert(client.events.open, `opened through the door (${client.events.errors})`);
    assertEq(client.get_protocol(), 'chat', 'protocol through the door');
    assertEq(JSON.stringify(doorRequests[doorRequests.length - 1]), JSON.stringify({
        method: 'GET', path: '/door', query: 'a=1&b=2', version: Soup.HTTPVersion.HTTP_1_1,
        client: 'gjs', secure: false, websocket: true, eventSource: false,
    }), 'the request read from the stream');
    client.send_text('door ö');
    let [type, data] = await nextMessage(client);
    assert(type === Fws.MessageType.TEXT && decoder.decode(data.toArray()) === 'door ö', 'echo through the door');
    const bin = bytesOf([0, 1, 0xff]);
    client.send_binary(bin);
    [type, data] = await nextMessage(client);
    assert(type === Fws.MessageType.BINARY && sameBytes(data, bin), 'binary echo through the door');
    client.close(1000, 'done');
    await waitFor(() => client.events.close, 'close through the door');
    assertEq(client.events.close.join(), '1000,done', 'close code and reason through the door');

    const props = newClient(`ws://${base}/door-props`);
    await waitFor(() => props.events.open || props.events.close, 'open through accept_request');
    assert(props.events.open, `accept_request opened (${props.events.errors})`);
    assertEq(doorRequests[doorRequests.length - 1].query, null, 'no query');
    props.send_text('small');
    [, data] = await nextMessage(props);
    assertEq(decoder.decode(data.toArray()), 'small', 'echo through accept_request');
    props.send_text('z'.repeat(100));
    await waitFor(() => props.events.close, 'close after a message over the door max-length');
    assertEq(props.events.close[0], Fws.CloseCode.TOO_BIG, 'max-length set before accept_request applies');

    const session = new Soup.Session();
    // new_for_request: the first event arrives while the stream stays open.
    let msg = Soup.Message.new('GET', `http://${base}/door-events`);
    msg.get_request_headers().append('Accept', 'text/event-stream');
    let stream = await session.send_async(msg, GLib.PRIORITY_DEFAULT, null);
    assertEq(msg.get_status(), 200, 'door event stream status');
    assertEq(msg.get_response_headers().get_content_type()[0], 'text/event-stream', 'door content type');
    let body = await readUntil(stream, 'data: through the door\r\n\r\n');
    assertEq(body, 'retry: 5000\r\n\r\nevent: door\r\nid: 7\r\ndata: through the door\r\n\r\n', 'the first event');
    const es = doorEventSources[doorEventSources.length - 1];
    assertEq(es.ready_state, Fws.ReadyState.OPEN, 'the stream is still open');
    assert(es.url.endsWith('/door-events'), `door event source url ${es.url}`);
    stream.close(null);
    await waitFor(() => es.closes === 1, 'the server to see the client go');

    // accept_request: an option set before the takeover, then the end of the stream.
    msg = Soup.Message.new('GET', `http://${base}/door-events-props`);
    msg.get_request_headers().append('Accept', 'text/event-stream');
    stream = await session.send_async(msg, GLib.PRIORITY_DEFAULT, null);
    assertEq(msg.get_status(), 200, 'accept_request event stream status');
    assertEq(msg.get_response_headers().get_content_type()[0], 'text/event-stream', 'content type');
    body = await readUntil(stream, 'data: through the door\r\n\r\n');
    assertEq(body, 'retry: 1500\r\n\r\nevent: door\r\nid: 7\r\ndata: through the door\r\n\r\n',
        'retry and the first event');
    await waitFor(() => doorEventSources[doorEventSources.length - 1].closes === 1, 'close signal');

    // Anything else is answered with respond().
    msg = Soup.Message.new('GET', `http://${base}/elsewhere`);
    stream = await session.send_async(msg, GLib.PRIORITY_DEFAULT, null);
    assertEq(msg.get_status(), 404, 'respond status');
    assertEq(msg.get_response_headers().get_content_type()[0], 'text/plain', 'respond content type');
    assertEq(await readUntil(stream, '\n'), 'Not found\n', 'respond body');
    assertEq(doorRequests[doorRequests.length - 1].websocket, false, 'a plain GET is no WebSocket');
    assertEq(doorRequests[doorRequests.length - 1].eventSource, false, 'a plain GET is no event stream');
    service.stop();
    service.close();
}

let status = 0;
const loop = new GLib.MainLoop(null, false);

async function testListener() {
    const server = new Soup.Server();
    server.add_handler(null, (srv, msg) => msg.set_status(200, null));
    const listener = new Fws.Listener({soup_server: server, max_pending: 8, handshake_timeout: 5000});
    assert(listener.listen_local(0), 'listen_local');
    const session = new Soup.Session();
    let msg = Soup.Message.new('GET', `http://127.0.0.1:${listener.get_port()}/x`);
    await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
    assertEq(msg.get_status(), 200, 'status through the listener');
    assertEq(listener.n_accepted, 1, 'n-accepted');
    assertEq(listener.n_pending, 0, 'n-pending');
    assertEq([listener.n_refused, listener.n_timed_out, listener.n_accept_pauses].join(), '0,0,0',
        'n-refused, n-timed-out, n-accept-pauses');
    listener.stop();

    // No SoupServer: the request signal, on a socket of the program's own.
    const sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM, Gio.SocketProtocol.TCP);
    sock.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), true);
    sock.set_listen_backlog(4096);
    const plain = new Fws.Listener();
    plain.connect('request', (l, request) => request.respond(204, null, null));
    plain.add_socket(sock);
    msg = Soup.Message.new('GET', `http://127.0.0.1:${plain.get_port()}/y`);
    await session.send_and_read_async(msg, GLib.PRIORITY_DEFAULT, null);
    assertEq(msg.get_status(), 204, 'status through the request signal');
    plain.stop();

    const ws = new Fws.WebSocket({allowed_origins: ['https://a.example']});
    assertEq(ws.allowed_origins.join(), 'https://a.example', 'WebSocket allowed-origins');
    const es = new Fws.EventSource({allowed_origins: ['https://a.example']});
    assertEq(es.allowed_origins.join(), 'https://a.example', 'EventSource allowed-origins');
}

function fail(e) {
    printerr(`FAIL: ${e}\n${e.stack ?? ''}`);
    status = 1;
    loop.quit();
}

async function testDocumentedExtension(base) {
    const client = newClient(`${base}/swapcase`);
    client.add_extension(new documented.SwapCase());
    await waitFor(() => client.events.open || client.events.close, 'open');
    assert(client.events.open, `opened with the documented extension (${client.events.errors})`);
    assertEq(client.get_headers().get_one('Sec-WebSocket-Extensions'), 'x-swapcase',
        "the server's response lists the documented extension");
    const srv = serverSockets[serverSockets.length - 1];
    assertEq(srv.get_extension_sessions()[0].constructor.name, 'SwapCaseSession', 'the server runs its JS session');
    assertEq(client.get_extension_sessions()[0].constructor.name, 'SwapCaseSession', 'the client runs its JS session');
    client.send_text('Hello, World');
    const [, data] = await nextMessage(client);
    assertEq(decoder.decode(data.toArray()), 'Hello, World', 'echo through the documented extension');
    client.close(1000, null);
    await waitFor(() => client.events.close, 'close');
}

// The reconnect policy of both clients, against a port nothing listens on.
async function testReconnect() {
    const listener = new Gio.SocketListener();
    const port = listener.add_any_inet_port(null);
    listener.close();
    const client = new Fws.Client({
        url: `ws://127.0.0.1:${port}/`,
        reconnect: true,
        reconnect_initial_delay: 10,
        reconnect_max_delay: 20,
        reconnect_max_attempts: 2,
        network_monitor: null,
    });
    assertEq(client.reconnect, true, 'reconnect');
    assertEq(client.get_reconnect_initial_delay(), 10, 'reconnect-initial-delay');
    assertEq(client.reconnect_max_delay, 20, 'reconnect-max-delay');
    assertEq(client.reconnect_max_attempts, 2, 'reconnect-max-attempts');
    assert(client.network_monitor === null, 'network-monitor');
    const attempts = [];
    let closed = null;
    client.connect('reconnecting', (c, attempt, delay, error) => {
        assertEq(c.ready_state, Fws.ReadyState.CONNECTING, 'connecting while waiting');
        assert(delay <= 20, `delay ${delay} within the cap`);
        assert(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_REFUSED), `refused: ${error.message}`);
        attempts.push(attempt);
    });
    client.connect('close', (c, code) => {
        closed = code;
    });
    await waitFor(() => closed !== null, 'close after two attempts');
    assertEq(attempts.join(), '1,2', 'attempts');
    assertEq(closed, Fws.CloseCode.ABNORMAL, 'close 1006');

    const events = new Fws.EventSourceClient({
        url: `http://127.0.0.1:${port}/`,
        reconnection_time: 10,
        reconnect_max_attempts: 1,
        network_monitor: null,
    });
    assertEq(events.reconnect, true, 'an EventSourceClient reconnects by default');
    events.reconnect_initial_delay = 10;
    events.reconnect_max_delay = 20;
    const waits = [];
    events.connect('reconnecting', (es, attempt, delay) => waits.push(`${attempt}:${delay}`));
    await waitFor(() => events.ready_state === Fws.ReadyState.CLOSED, 'the EventSourceClient gives up');
    assertEq(waits.join(), '1:10', 'one attempt after reconnection-time');
    events.reconnect = false;
}

async function main() {
    documented = await importDocumentedExtension();
    server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY);
    const base = `ws://127.0.0.1:${server.get_uris()[0].get_port()}`;
    await testEcho(base);
    await testCustomExtension(base);
    await testServerCloseAll(base);
    await testDocumentedExtension(base);
    await testMaxLength(base);
    await testClientProperties();
    await testHandshakeTimeout();
    await testTls();
    await testEventSource(base);
    await testEventSourceClient(base);
    await testStreamDoor();
    await testListener();
    await testReconnect();
    server.disconnect();
}

GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, TIME_LIMIT_S, () => fail(new Error(`not done within ${TIME_LIMIT_S} s`)));
main().then(() => {
    print(`ok - smoke.js: ${checks} checks passed`);
    loop.quit();
}).catch(fail);
loop.run();
system.exit(status);
