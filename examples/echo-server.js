#!/usr/bin/env -S gjs -m
// echo-server.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs -m echo-server.js [--host ADDR] [--port N] [--protocol P]... [--max-length N]
//
// The GJS twin of echo-server.c: a WebSocket request on any path is echoed
// back message by message, each with its type; GET / serves a page that
// connects back; GET /events is an EventSource stream (a counter every
// second with ids resuming after Last-Event-ID, a "tick" event with the
// time, a comment line every 10 s; no Accept header needed). --host takes
// an address or a host name. (gjs calls setlocale itself.)

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Soup from 'gi://Soup?version=3.0';
import Fws from 'gi://Fws?version=1.0';
import system from 'system';

function usage(message) {
    printerr(message);
    system.exit(2);
}

// ---- Command line ----

let host = '127.0.0.1';
let port = '8080';
let maxLength = '0';
const protocols = [];
const args = [...ARGV];
while (args.length > 0) {
    const arg = args.shift();
    const [name, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => inline ?? args.shift() ?? usage(`missing value for ${name}`);
    if (name === '--host')
        host = value();
    else if (name === '--port')
        port = value();
    else if (name === '--protocol')
        protocols.push(value());
    else if (name === '--max-length')
        maxLength = value();
    else
        usage(`unknown option ${arg}\nusage: echo-server.js [--host ADDR] [--port N] [--protocol P]... [--max-length N]`);
}
if (!/^[0-9]+$/.test(port) || Number(port) > 65535)
    usage(`invalid --port ${port}: expected 0 to 65535`);
if (!/^[0-9]+$/.test(maxLength))
    usage(`invalid --max-length ${maxLength}: expected 0 or more bytes`);
port = Number(port);
maxLength = Number(maxLength);

const pageFile = Gio.File.new_for_uri(import.meta.url).get_parent().get_child('echo-page.html');
const [, page] = pageFile.load_contents(null);

// ---- WebSocket: echo ----

function serveWebSocket(msg) {
    const ws = new Fws.WebSocket({protocols});
    if (maxLength > 0)
        ws.max_length = maxLength;
    try {
        ws.accept(msg);
    } catch (e) {
        msg.set_status(Soup.Status.BAD_REQUEST, null);
        msg.set_response('text/plain', Soup.MemoryUse.COPY, new TextEncoder().encode(e.message));
        return;
    }
    // The connection keeps itself alive until it closes.
    ws.connect('message', (self, type, data) => {
        try {
            self.send(type, data);
        } catch (e) {
            printerr(`echo failed: ${e.message}`);
        }
    });
    ws.connect('error', (self, error) => printerr(`${self.url}: ${error.message}`));
}

// ---- /events: server-sent events ----

function serveEvents(msg) {
    const es = new Fws.EventSource({ping_seconds: 10});
    // accept() takes only requests that ask for text/event-stream, as
    // browsers do; curl asks for anything.
    if (!Fws.EventSource.is_event_source_request(msg))
        msg.get_request_headers().replace('Accept', 'text/event-stream');
    try {
        es.accept(msg);
    } catch (e) {
        msg.set_status(Soup.Status.BAD_REQUEST, null);
        msg.set_response('text/plain', Soup.MemoryUse.COPY, new TextEncoder().encode(e.message));
        return;
    }
    // A client that reconnects goes on where it left off.
    let counter = Number.parseInt(es.last_event_id, 10) || 0;
    const timer = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 1, () => {
        const id = String(++counter);
        // A plain event (the page's onmessage), then a named one.
        es.send(id, null, id);
        es.send(GLib.DateTime.new_now_local().format('%H:%M:%S'), 'tick', null);
        return GLib.SOURCE_CONTINUE;
    });
    es.connect('close', () => GLib.source_remove(timer));
}

// ---- The server ----

const server = new Soup.Server({server_header: 'fws-echo-server'});
server.add_handler(null, (srv, msg, path) => {
    if (path === '/events' && msg.get_method() === 'GET' && !Fws.WebSocket.is_websocket_request(msg)) {
        serveEvents(msg);
    } else if (Fws.WebSocket.is_websocket_request(msg)) {
        serveWebSocket(msg);
    } else if (msg.get_method() === 'GET' && path === '/') {
        msg.set_status(Soup.Status.OK, null);
        msg.set_response('text/html; charset=utf-8', Soup.MemoryUse.COPY, page);
    } else {
        msg.set_status(Soup.Status.NOT_FOUND, null);
    }
});

let address = Gio.InetSocketAddress.new_from_string(host, port);
if (address === null) {
    // A host name: listen on its first address.
    try {
        const found = Gio.Resolver.get_default().lookup_by_name(host, null);
        address = new Gio.InetSocketAddress({address: found[0], port});
    } catch (e) {
        usage(`invalid --host ${host}: ${e.message}`);
    }
}
// An Fws.Listener accepts for the server: request heads within a
// deadline, a cap on unfinished ones, and accepting goes on after the
// process runs out of descriptors. The socket is made here for a deep
// backlog (GSocket's default of 10 drops connections in a burst).
const listener = new Fws.Listener();
let sock;
try {
    sock = Gio.Socket.new(address.get_family(), Gio.SocketType.STREAM, Gio.SocketProtocol.TCP);
    sock.bind(address, true);
    sock.set_listen_backlog(4096);
    sock.listen();
    listener.set_soup_server(server);
    listener.add_socket(sock);
} catch (e) {
    printerr(`cannot listen: ${e.message}`);
    system.exit(1);
}
const bound = sock.get_local_address();
const boundHost = bound.get_address().to_string();
const shown = bound.get_family() === Gio.SocketFamily.IPV6 ? `[${boundHost}]` : boundHost;
print(`listening on http://${shown}:${bound.get_port()}/`);

const loop = new GLib.MainLoop(null, false);
for (const signum of [2, 15]) { // SIGINT, SIGTERM
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, () => {
        loop.quit();
        return GLib.SOURCE_CONTINUE;
    });
}
loop.run();
listener.stop();
server.disconnect();
