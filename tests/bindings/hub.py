#!/usr/bin/python3
# hub.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# Fws.Hub from PyGObject: a SoupServer on 127.0.0.1 whose handler subscribes
# every WebSocket and EventSource to the topic in its path, Fws.Client and
# Fws.EventSourceClient peers, and a bridge implemented here in Python (a
# "bus" that hands each message back from the main loop, as a Redis
# subscriber would). Exits non-zero on any failure and within a time limit.

import sys
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Soup', '3.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, GObject, Soup, Fws  # noqa: E402

TIME_LIMIT_S = 60
START = time.monotonic()
checks = 0


class Failure(Exception):
    pass


def check_eq(got, want, what):
    global checks
    checks += 1
    if got != want:
        raise Failure(f'{what}: got {got!r}, want {want!r}')


def wait(pred, what, secs=10):
    deadline = time.monotonic() + secs
    ctx = GLib.MainContext.default()
    wake = GLib.timeout_add(10, lambda: True)
    try:
        while not pred():
            if time.monotonic() > deadline or time.monotonic() - START > TIME_LIMIT_S:
                raise Failure(f'timed out waiting for {what}')
            ctx.iteration(True)
    finally:
        GLib.source_remove(wake)


class LoopbackBus(GObject.Object, Fws.HubBridge):
    """A pretend bus: every message goes out as plain fields (what a bus
    carries) and comes back from the main loop, in order, as a new
    message."""

    def __init__(self):
        super().__init__()
        self.published = []

    def do_publish(self, hub, topic, message):
        wire = (message.is_binary(), message.get_data().get_data(), message.get_event(), message.get_id())
        self.published.append(topic)
        GLib.idle_add(self.receive, hub, topic, wire)

    def receive(self, hub, topic, wire):
        binary, data, event, id_ = wire
        if binary:
            message = Fws.HubMessage.new_binary(GLib.Bytes.new(data))
        elif event is not None or id_ is not None:
            message = Fws.HubMessage.new_event(event, data.decode(), id_)
        else:
            message = Fws.HubMessage.new_text(data.decode())
        hub.deliver(topic, message)
        return False


hub = Fws.Hub()
server_conns = []


def handler(server, msg, path, query):
    topic = path[1:]
    if Fws.EventSource.is_event_source_request(msg):
        conn = Fws.EventSource.new(msg)
    else:
        conn = Fws.WebSocket.new(msg, None)
    hub.subscribe(conn, topic)
    server_conns.append(conn)


def main():
    server = Soup.Server()
    server.add_handler(None, handler)
    server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY)
    port = server.get_uris()[0].get_port()

    texts = {}
    clients = []
    for i in range(3):
        client = Fws.Client.new(f'ws://127.0.0.1:{port}/room', None)
        texts[i] = []
        client.connect('text-message', lambda ws, text, i=i: texts[i].append(text))
        clients.append(client)
    binaries = []
    clients[0].connect('message', lambda ws, type_, data: binaries.append(data.get_data())
                       if type_ == Fws.MessageType.BINARY else None)
    events = []
    es = Fws.EventSourceClient.new(f'http://127.0.0.1:{port}/room')
    es.connect('message', lambda c, event, data, last_id: events.append((event, data, last_id)))

    wait(lambda: hub.get_n_subscribers('room') == 4, 'four subscribers')
    wait(lambda: all(c.get_ready_state() == Fws.ReadyState.OPEN for c in clients), 'clients open')
    wait(lambda: es.get_ready_state() == Fws.ReadyState.OPEN, 'EventSource open')
    ws0 = next(c for c in server_conns if isinstance(c, Fws.WebSocket))
    check_eq(hub.is_subscribed(ws0, 'room'), True, 'is_subscribed')

    # Without a bridge: delivered at once.
    check_eq(hub.publish_text('room', 'hello'), 4, 'publish_text count')
    binary = Fws.HubMessage.new_binary(GLib.Bytes.new(b'\x00\x01'))
    check_eq(binary.is_binary(), True, 'is_binary')
    check_eq(hub.publish('room', binary), 3, 'binary reaches the WebSockets only')
    event = Fws.HubMessage.new_event('chat', 'hi', '7')
    check_eq((event.get_event(), event.get_data().get_data(), event.get_id(), event.is_binary()),
             ('chat', b'hi', '7', False), 'event message fields')
    check_eq(hub.publish('room', event), 4, 'event count')

    # A bridge written in Python: publish hands over, deliver delivers.
    bus = LoopbackBus()
    hub.props.bridge = bus
    check_eq(hub.get_bridge(), bus, 'bridge property')
    check_eq(hub.publish_text('room', 'via the bus'), 0, 'publish through a bridge')
    check_eq(len(bus.published), 1, 'the bridge got the message')
    wait(lambda: all(len(texts[i]) == 3 for i in range(3)), 'three texts each')
    for i in range(3):
        check_eq(texts[i], ['hello', 'hi', 'via the bus'], f'client {i} texts')
    check_eq(binaries, [b'\x00\x01'], 'binary message')
    wait(lambda: len(events) == 3, 'three events')
    check_eq(events[0][:2], ('message', 'hello'), 'text as an event')
    check_eq(events[1], ('chat', 'hi', '7'), 'event with type and id')
    check_eq(events[2][:2], ('message', 'via the bus'), 'bridged event')
    hub.props.bridge = None

    hub.props.overflow_policy = Fws.HubOverflow.CLOSE
    check_eq(hub.props.overflow_policy, Fws.HubOverflow.CLOSE, 'overflow-policy')
    check_eq(hub.props.n_skipped, 0, 'n-skipped')

    hub.unsubscribe(ws0, 'room')
    check_eq(hub.get_n_subscribers('room'), 3, 'unsubscribe')
    hub.subscribe(ws0, 'a')
    hub.subscribe(ws0, 'b')
    hub.unsubscribe_all(ws0)
    check_eq((hub.get_n_subscribers('a'), hub.get_n_subscribers('b')), (0, 0), 'unsubscribe_all')

    # Closed connections leave by themselves.
    for c in clients:
        c.close(1000, None)
    es.close()
    wait(lambda: hub.get_n_subscribers('room') == 0, 'everyone left')
    server.disconnect()


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        print(f'FAIL: {e}', file=sys.stderr)
        sys.exit(1)
    print(f'ok - hub.py: {checks} checks passed')
