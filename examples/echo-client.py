#!/usr/bin/python3
# echo-client.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# echo-client.py [--protocol P]... [--header 'Name: value']... [--echo] [--timeout S] [--reconnect] ws[s]://URL
# echo-client.py [--events N] [--header 'Name: value']... [--timeout S] [--reconnect] http[s]://URL
#
# The PyGObject twin of echo-client.c. Without --echo, sends each line of
# stdin as a text message and prints each text message received as a line
# (a binary one as "<binary N bytes>"). At the end of stdin it waits until
# everything was sent and no message has arrived for half a second, then
# closes. With --echo, sends every message received back unchanged. On
# close, prints "close CODE REASON" to stderr and exits 0 for 1000 or 1005,
# 1 otherwise. Each error is printed once, with a "hint:" line when a
# wss:// URL likely met a plain server or a ws:// URL a TLS one. With
# --reconnect a lost connection is made again with backoff, each wait
# announced on stderr as "reconnecting ATTEMPT DELAY_MS: REASON".
#
# An http:// or https:// URL is read as an EventSource stream
# (Fws.EventSourceClient): each event is printed as "event: TYPE", "id: ID"
# (when the stream set one), "data: LINE" per line of data and a blank
# line; each error as "error: MESSAGE". It exits 1 once it stopped: at the
# first end or failure, or with --reconnect (backoff and the last event id)
# when the server answered anything but an event stream; with --events N it
# exits 0 after N events, and SIGINT or SIGTERM stop it with 0.

import argparse
import locale
import signal
import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, Gio, Soup, Fws  # noqa: E402

parser = argparse.ArgumentParser(description='WebSocket client')
parser.add_argument('--protocol', action='append', default=[], help='a subprotocol to offer')
parser.add_argument('--header', action='append', default=[], metavar="'Name: value'",
                    help='an extra request header')
parser.add_argument('--echo', action='store_true', help='send every message received back')
parser.add_argument('--timeout', type=int, default=0, metavar='S',
                    help='give up connecting after S seconds (default 30)')
parser.add_argument('--events', type=int, default=0, metavar='N',
                    help='EventSource (http:// or https://): exit after N events')
parser.add_argument('--reconnect', action='store_true',
                    help='connect again, with backoff, when the connection is lost')
parser.add_argument('url')
locale.setlocale(locale.LC_ALL, '')
args = parser.parse_args()
if args.timeout < 0:
    parser.exit(2, f'invalid --timeout {args.timeout}: expected seconds, 0 or more\n')
if args.events < 0:
    parser.exit(2, f'invalid --events {args.events}: expected a count, 0 or more\n')


def request_headers():
    headers = Soup.MessageHeaders.new(Soup.MessageHeadersType.REQUEST)
    for header in args.header:
        name, colon, value = header.partition(':')
        if not colon or not name.strip():
            parser.exit(2, f"invalid --header '{header}': expected 'Name: value'\n")
        headers.append(name.strip(), value.strip())
    return headers


def on_reconnecting(client, attempt, delay, error):
    print(f'reconnecting {attempt} {delay}: {error.message}', file=sys.stderr, flush=True)


class EventsApp:
    """EventSource mode: prints each event of an http:// or https:// stream."""

    def __init__(self):
        self.loop = GLib.MainLoop()
        self.exit_code = 1
        self.seen = 0
        self.events = Fws.EventSourceClient.new(args.url)
        self.events.props.extra_headers = request_headers()
        self.events.props.reconnect = args.reconnect
        if args.timeout:
            self.events.props.handshake_timeout = args.timeout * 1000
        self.events.connect('message', self.on_event)
        self.events.connect('error', self.on_error)
        self.events.connect('reconnecting', on_reconnecting)
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.on_signal)

    def on_event(self, events, type_, data, id_):
        lines = [f'event: {type_}']
        if id_:
            lines.append(f'id: {id_}')
        lines += [f'data: {line}' for line in data.split('\n')]
        print('\n'.join(lines) + '\n', flush=True)
        self.seen += 1
        if args.events and self.seen == args.events:
            self.stop(0)

    def on_error(self, events, error):
        print(f'error: {error.message}', file=sys.stderr, flush=True)
        if events.props.ready_state == Fws.ReadyState.CLOSED:
            self.stop(1)

    def on_signal(self):
        self.stop(0)
        return GLib.SOURCE_CONTINUE

    def stop(self, code):
        self.exit_code = code
        self.events.close()
        self.loop.quit()


def hint_for(ws, url, opened, error):
    """What is likely wrong when a connection fails before it opened."""
    if opened:
        return None
    timed_out = error.matches(Fws.Error.quark(), Fws.Error.TIMED_OUT)
    if url.lower().startswith('wss:'):
        if (timed_out or error.matches(Gio.tls_error_quark(), Gio.TlsError.NOT_TLS)
                or error.matches(Gio.tls_error_quark(), Gio.TlsError.MISC)):
            return 'is the server speaking TLS? A wss:// URL needs a TLS server; for a plain one use ws://'
    elif (timed_out or error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CONNECTION_CLOSED)
          # no HTTP status: the server ended the connection without an answer
          or (error.matches(Fws.Error.quark(), Fws.Error.HANDSHAKE) and ws.get_status() == 0)):
        return 'does the server want TLS? For a TLS server use a wss:// URL'
    return None


class App:
    def __init__(self):
        self.loop = GLib.MainLoop()
        self.exit_code = 1
        self.opened = False
        self.last_error = None
        self.last_activity = GLib.get_monotonic_time()
        headers = request_headers()
        try:
            self.ws = Fws.Client.new(args.url, args.protocol)
        except GLib.Error:
            parser.exit(2, f'{args.url} is not a valid WebSocket or EventSource URL\n')
        self.ws.set_property('extra-headers', headers)
        self.ws.props.reconnect = args.reconnect
        self.reading = False
        if args.timeout:
            self.ws.set_handshake_timeout(args.timeout * 1000)
        self.input = Gio.DataInputStream.new(Gio.UnixInputStream.new(0, False))
        self.ws.connect('open', self.on_open)
        self.ws.connect('message', self.on_message)
        self.ws.connect('error', self.on_error)
        self.ws.connect('close', self.on_close)
        self.ws.connect('reconnecting', on_reconnecting)
        for signum in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.on_signal)

    def on_open(self, ws):
        self.opened = True
        # after a reconnection, stdin is still being read
        if not args.echo and not self.reading:
            self.reading = True
            self.read_line()

    def on_message(self, ws, type_, data):
        self.last_activity = GLib.get_monotonic_time()
        if args.echo:
            try:
                ws.send(type_, data)
            except GLib.Error as e:
                print(f'send failed: {e.message}', file=sys.stderr)
        elif type_ == Fws.MessageType.TEXT:
            print(data.get_data().decode('utf-8'), flush=True)
        else:
            print(f'<binary {data.get_size()} bytes>', flush=True)

    def on_error(self, ws, error):
        print(f'error: {error.message}', file=sys.stderr)
        hint = hint_for(ws, args.url, self.opened, error)
        if hint:
            print(f'hint: {hint}', file=sys.stderr)
        self.last_error = error.message

    def on_close(self, ws, code, reason):
        # After an error the reason is that error again: not twice.
        if reason == self.last_error:
            reason = ''
        print(f'close {code} {reason}', file=sys.stderr, flush=True)
        self.exit_code = 0 if code in (1000, 1005) else 1
        self.loop.quit()

    def read_line(self):
        self.input.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_line)

    def on_line(self, stream, result):
        try:
            line, _ = stream.read_line_finish_utf8(result)
        except GLib.Error as e:
            print(f'stdin: {e.message}', file=sys.stderr)
            line = None
        if line is None:
            # End of input: close once everything was written and it is quiet.
            self.last_activity = GLib.get_monotonic_time()
            GLib.timeout_add(50, self.close_when_quiet)
            return
        try:
            self.ws.send_text(line)
        except GLib.Error as e:
            print(f'send failed: {e.message}', file=sys.stderr)
        self.read_line()

    def close_when_quiet(self):
        if (self.ws.get_buffered_amount() > 0
                or GLib.get_monotonic_time() - self.last_activity < 500000):
            return GLib.SOURCE_CONTINUE
        self.ws.close(1000, None)
        return GLib.SOURCE_REMOVE

    def on_signal(self):
        if self.ws.get_ready_state() >= Fws.ReadyState.CLOSING:
            self.loop.quit()
        else:
            self.ws.close(1000, 'interrupted')
        return GLib.SOURCE_CONTINUE


if __name__ == '__main__':
    if args.url.lower().startswith(('http:', 'https:')):
        try:
            app = EventsApp()
        except GLib.Error:
            parser.exit(2, f'{args.url} is not a valid WebSocket or EventSource URL\n')
    else:
        app = App()
    app.loop.run()
    sys.exit(app.exit_code)
