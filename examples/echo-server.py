#!/usr/bin/python3
# echo-server.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# echo-server.py [--host ADDR] [--port N] [--protocol P]... [--max-length N]
#
# The PyGObject twin of echo-server.c: a WebSocket request on any path is
# echoed back message by message, each with its type; GET / serves a page
# that connects back; GET /events is an EventSource stream (a counter every
# second with ids resuming after Last-Event-ID, a "tick" event with the
# time, a comment line every 10 s; no Accept header needed). --host takes
# an address or a host name.

import argparse
import locale
import os
import signal
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, Gio, Soup, Fws  # noqa: E402

parser = argparse.ArgumentParser(description='WebSocket echo server')
parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
parser.add_argument('--port', type=int, default=8080, help='port (0 picks a free one)')
parser.add_argument('--protocol', action='append', default=[], help='a subprotocol to support')
parser.add_argument('--max-length', type=int, default=0, help='largest message accepted, in bytes')
locale.setlocale(locale.LC_ALL, '')
args = parser.parse_args()
if not 0 <= args.port <= 65535:
    parser.exit(2, f'invalid --port {args.port}: expected 0 to 65535\n')
if args.max_length < 0:
    parser.exit(2, f'invalid --max-length {args.max_length}: expected 0 or more bytes\n')

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'echo-page.html'), 'rb') as f:
    PAGE = f.read()


def refuse(msg, error):
    msg.set_status(Soup.Status.BAD_REQUEST, None)
    msg.set_response('text/plain', Soup.MemoryUse.COPY, error.message.encode())


# ---- WebSocket: echo ----

def on_message(ws, type_, data):
    try:
        ws.send(type_, data)
    except GLib.Error as e:
        print(f'echo failed: {e.message}', file=sys.stderr)


def on_error(ws, error):
    print(f'{ws.get_url()}: {error.message}', file=sys.stderr)


def serve_websocket(msg):
    ws = Fws.WebSocket(protocols=args.protocol)
    if args.max_length:
        ws.set_max_length(args.max_length)
    try:
        ws.accept(msg)
    except GLib.Error as e:
        refuse(msg, e)
        return
    # The connection keeps itself alive until it closes.
    ws.connect('message', on_message)
    ws.connect('error', on_error)


# ---- /events: server-sent events ----

def serve_events(msg):
    es = Fws.EventSource(ping_seconds=10)
    # accept() takes only requests that ask for text/event-stream, as
    # browsers do; curl asks for anything.
    if not Fws.EventSource.is_event_source_request(msg):
        msg.get_request_headers().replace('Accept', 'text/event-stream')
    try:
        es.accept(msg)
    except GLib.Error as e:
        refuse(msg, e)
        return
    # A client that reconnects goes on where it left off.
    last = es.get_last_event_id()
    counter = [int(last) if last.isdigit() else 0]

    def tick():
        counter[0] += 1
        event_id = str(counter[0])
        # A plain event (the page's onmessage), then a named one.
        es.send(event_id, None, event_id)
        es.send(GLib.DateTime.new_now_local().format('%H:%M:%S'), 'tick', None)
        return GLib.SOURCE_CONTINUE

    timer = GLib.timeout_add_seconds(1, tick)
    es.connect('close', lambda es_: GLib.source_remove(timer))


# ---- The server ----

def handle(server, msg, path, query):
    if path == '/events' and msg.get_method() == 'GET' and not Fws.WebSocket.is_websocket_request(msg):
        serve_events(msg)
    elif Fws.WebSocket.is_websocket_request(msg):
        serve_websocket(msg)
    elif msg.get_method() == 'GET' and path == '/':
        msg.set_status(Soup.Status.OK, None)
        msg.set_response('text/html; charset=utf-8', Soup.MemoryUse.COPY, PAGE)
    else:
        msg.set_status(Soup.Status.NOT_FOUND, None)


def main():
    server = Soup.Server(server_header='fws-echo-server')
    server.add_handler(None, handle)
    try:
        address = Gio.InetSocketAddress.new_from_string(args.host, args.port)
    except TypeError:  # not an address: PyGObject raises for a NULL from a constructor
        address = None
    if address is None:
        # A host name: listen on its first address.
        try:
            found = Gio.Resolver.get_default().lookup_by_name(args.host, None)
        except GLib.Error as e:
            parser.exit(2, f'invalid --host {args.host}: {e.message}\n')
        address = Gio.InetSocketAddress.new(found[0], args.port)
    # An Fws.Listener accepts for the server: request heads within a
    # deadline, a cap on unfinished ones, and accepting goes on after the
    # process runs out of descriptors. The socket is made here for a deep
    # backlog (GSocket's default of 10 drops connections in a burst).
    try:
        sock = Gio.Socket.new(address.get_family(), Gio.SocketType.STREAM, Gio.SocketProtocol.TCP)
        sock.bind(address, True)
        sock.set_listen_backlog(4096)
        sock.listen()
        listener = Fws.Listener()
        listener.set_soup_server(server)
        listener.add_socket(sock)
    except GLib.Error as e:
        print(f'cannot listen: {e.message}', file=sys.stderr)
        return 1
    bound = sock.get_local_address()
    host = bound.get_address().to_string()
    if bound.get_family() == Gio.SocketFamily.IPV6:
        host = f'[{host}]'
    print(f'listening on http://{host}:{bound.get_port()}/', flush=True)

    loop = GLib.MainLoop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: loop.quit() or GLib.SOURCE_CONTINUE)
    loop.run()
    listener.stop()
    server.disconnect()
    return 0


if __name__ == '__main__':
    sys.exit(main())
