#!/usr/bin/python3
# stream-server.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# stream-server.py [--host ADDR] [--port N] [--protocol P]... [--max-length N] [--deflate]
#                  [--tls-cert FILE --tls-key FILE]
#
# The PyGObject twin of stream-server.c: echo-server.py without a
# Soup.Server. An Fws.Listener accepts the connections, runs the TLS
# handshake (with --tls-cert and --tls-key) and reads the request head
# within a deadline, caps the connections still doing so, and hands each
# head over as an Fws.Request through its "request" signal. A WebSocket request on any path is echoed
# back message by message, each with its type; GET / serves a page that
# connects back; GET /events is an EventSource stream (a counter every
# second with ids resuming after Last-Event-ID, a "tick" event with the
# time, a comment line every 10 s); anything else is answered with 404.

import argparse
import os
import resource
import signal
import socket
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, Gio, Fws  # noqa: E402

parser = argparse.ArgumentParser(description='WebSocket echo server without a Soup.Server')
parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
parser.add_argument('--port', type=int, default=8080, help='port (0 picks a free one)')
parser.add_argument('--protocol', action='append', default=[], help='a subprotocol to support')
parser.add_argument('--max-length', type=int, default=0, help='largest message accepted, in bytes')
parser.add_argument('--deflate', action='store_true', help='accept permessage-deflate compression')
parser.add_argument('--tls-cert', metavar='FILE', help='listen with TLS, with this PEM certificate')
parser.add_argument('--tls-key', metavar='FILE', help='the PEM private key of --tls-cert')
args = parser.parse_args()
if not 0 <= args.port <= 65535 or args.max_length < 0:
    parser.exit(2, 'invalid --port or --max-length\n')
if (args.tls_cert is None) != (args.tls_key is None):
    parser.exit(2, '--tls-cert and --tls-key go together\n')

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'echo-page.html'), encoding='utf-8') as f:
    PAGE = f.read()

certificate = None


def refuse(request, error):
    request.respond(400, None, error.message + '\n')


# ---- WebSocket: echo ----

def on_message(ws, type_, data):
    try:
        ws.send(type_, data)
    except GLib.Error as e:
        print(f'echo failed: {e.message}', file=sys.stderr)


def on_error(ws, error):
    print(f'{ws.get_url()}: {error.message}', file=sys.stderr)


def serve_websocket(request):
    ws = Fws.WebSocket(protocols=args.protocol)
    if args.max_length:
        ws.set_max_length(args.max_length)
    if args.deflate:
        ws.add_extension(Fws.PermessageDeflate())  # accepted when the client offers it
    try:
        ws.accept_request(request)
    except GLib.Error as e:
        refuse(request, e)
        return
    # The connection keeps itself alive until it closes.
    ws.connect('message', on_message)
    ws.connect('error', on_error)


# ---- /events: server-sent events ----

def serve_events(request):
    es = Fws.EventSource(ping_seconds=10)
    # accept_request() takes only requests that ask for text/event-stream,
    # as browsers do; curl asks for anything.
    if not request.is_event_source():
        request.get_headers().replace('Accept', 'text/event-stream')
    try:
        es.accept_request(request)
    except GLib.Error as e:
        refuse(request, e)
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

def on_request(listener, request):
    # A malformed head was answered with 400, and a peer too slow or
    # failing its TLS handshake dropped, by the listener; a request left
    # alone here is closed.
    path = request.get_path()
    if path == '/events' and request.get_method() == 'GET' and not request.is_websocket():
        serve_events(request)
    elif request.is_websocket():
        serve_websocket(request)
    elif request.get_method() == 'GET' and path == '/':
        request.respond(200, 'text/html; charset=utf-8', PAGE)
    else:
        request.respond(404, None, None)


def main():
    global certificate
    if args.tls_cert is not None:
        try:
            certificate = Gio.TlsCertificate.new_from_files(args.tls_cert, args.tls_key)
        except GLib.Error as e:
            print(f'cannot load --tls-cert/--tls-key: {e.message}', file=sys.stderr)
            return 1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    address = Gio.InetAddress.new_from_string(args.host)
    if address is None:
        parser.exit(2, f'invalid --host {args.host}\n')
    # The socket is made here rather than by listen_local, for a deep
    # backlog: GSocket's default of 10 drops connections in a burst.
    try:
        sock = Gio.Socket.new(address.get_family(), Gio.SocketType.STREAM, Gio.SocketProtocol.TCP)
        sock.set_option(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(Gio.InetSocketAddress.new(address, args.port), True)
        sock.set_listen_backlog(4096)
        sock.listen()
        # Without a Soup.Server, the listener emits "request" for each head.
        listener = Fws.Listener()
        listener.set_tls_certificate(certificate)
        listener.connect('request', on_request)
        listener.add_socket(sock)
    except GLib.Error as e:
        print(f'cannot listen: {e.message}', file=sys.stderr)
        return 1

    bound = sock.get_local_address()
    host = bound.get_address().to_string()
    if address.get_family() == Gio.SocketFamily.IPV6:
        host = f'[{host}]'
    scheme = 'https' if certificate else 'http'
    print(f'listening on {scheme}://{host}:{bound.get_port()}/', flush=True)

    loop = GLib.MainLoop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: loop.quit() or GLib.SOURCE_CONTINUE)
    loop.run()
    listener.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
