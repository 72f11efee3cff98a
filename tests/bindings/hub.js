// hub.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// Fws.Hub from GJS: a SoupServer on 127.0.0.1 whose handler subscribes
// every WebSocket and EventSource to the topic in its path, Fws.Client and
// Fws.EventSourceClient peers, and a bridge implemented here in JavaScript
// (a "bus" that hands each message back from the main loop, as a Redis
// subscriber would). Run as `gjs -m hub.js`; exits non-zero on any failure
// and within a time limit.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Soup from 'gi://Soup?version=3.0';
import Fws from 'gi://Fws?version=1.0';
import system from 'system';

const TIME_LIMIT_S = 60;
let checks = 0;
let status = 0;
const loop = new GLib.MainLoop(null, false);

function assertEq(got, want, what) {
    checks++;
    if (got !== want)
        throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

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

// A pretend bus: every message goes out as plain fields (what a bus
// carries) and comes back from the main loop, in order, as a new message.
const LoopbackBus = GObject.registerClass({
    Implements: [Fws.HubBridge],
}, class LoopbackBus extends GObject.Object {
    _init() {
        super._init();
        this.published = [];
    }

    vfunc_publish(hub, topic, message) {
        const wire = {
            binary: message.is_binary(),
            data: message.get_data().toArray().slice(),
            event: message.get_event(),
            id: message.get_id(),
        };
        this.published.push(topic);
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            let received;
            if (wire.binary)
                received = Fws.HubMessage.new_binary(new GLib.Bytes(wire.data));
            else if (wire.event !== null || wire.id !== null)
                received = Fws.HubMessage.new_event(wire.event, new TextDecoder().decode(wire.data), wire.id);
            else
                received = Fws.HubMessage.new_text(new TextDecoder().decode(wire.data));
            hub.deliver(topic, received);
            return GLib.SOURCE_REMOVE;
        });
    }
});

const hub = new Fws.Hub();
const serverConns = [];

async function main() {
    const server = new Soup.Server();
    server.add_handler(null, (srv, msg, path) => {
        const topic = path.substring(1);
        const conn = Fws.EventSource.is_event_source_request(msg)
            ? Fws.EventSource.new(msg) : Fws.WebSocket.new(msg, null);
        hub.subscribe(conn, topic);
        serverConns.push(conn);
    });
    server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY);
    const port = server.get_uris()[0].get_port();

    const texts = [[], [], []];
    const clients = texts.map((list, i) => {
        const client = Fws.Client.new(`ws://127.0.0.1:${port}/room`, null);
        client.connect('text-message', (ws, text) => texts[i].push(text));
        return client;
    });
    const binaries = [];
    clients[0].connect('message', (ws, type, data) => {
        if (type === Fws.MessageType.BINARY)
            binaries.push(Array.from(data.toArray()).join(','));
    });
    const events = [];
    const es = Fws.EventSourceClient.new(`http://127.0.0.1:${port}/room`);
    es.connect('message', (c, event, data, lastId) => events.push(`${event}|${data}|${lastId}`));

    await waitFor(() => hub.get_n_subscribers('room') === 4, 'four subscribers');
    await waitFor(() => clients.every(c => c.get_ready_state() === Fws.ReadyState.OPEN), 'clients open');
    await waitFor(() => es.get_ready_state() === Fws.ReadyState.OPEN, 'EventSource open');
    const ws0 = serverConns.find(c => c instanceof Fws.WebSocket);
    assertEq(hub.is_subscribed(ws0, 'room'), true, 'is_subscribed');

    // Without a bridge: delivered at once.
    assertEq(hub.publish_text('room', 'hello'), 4, 'publish_text count');
    const binary = Fws.HubMessage.new_binary(new GLib.Bytes(Uint8Array.from([0, 1])));
    assertEq(binary.is_binary(), true, 'is_binary');
    assertEq(hub.publish('room', binary), 3, 'binary reaches the WebSockets only');
    const event = Fws.HubMessage.new_event('chat', 'hi', '7');
    assertEq(`${event.get_event()}|${new TextDecoder().decode(event.get_data().toArray())}|${event.get_id()}`,
        'chat|hi|7', 'event message fields');
    assertEq(hub.publish('room', event), 4, 'event count');

    // A bridge written in JavaScript: publish hands over, deliver delivers.
    const bus = new LoopbackBus();
    hub.bridge = bus;
    assertEq(hub.get_bridge(), bus, 'bridge property');
    assertEq(hub.publish_text('room', 'via the bus'), 0, 'publish through a bridge');
    assertEq(bus.published.length, 1, 'the bridge got the message');
    await waitFor(() => texts.every(t => t.length === 3), 'three texts each');
    texts.forEach((t, i) => assertEq(t.join('/'), 'hello/hi/via the bus', `client ${i} texts`));
    assertEq(binaries.join(';'), '0,1', 'binary message');
    await waitFor(() => events.length === 3, 'three events');
    assertEq(events[0].startsWith('message|hello|'), true, 'text as an event');
    assertEq(events[1], 'chat|hi|7', 'event with type and id');
    assertEq(events[2].startsWith('message|via the bus|'), true, 'bridged event');
    hub.bridge = null;

    hub.overflow_policy = Fws.HubOverflow.CLOSE;
    assertEq(hub.overflow_policy, Fws.HubOverflow.CLOSE, 'overflow-policy');
    assertEq(hub.n_skipped, 0, 'n-skipped');

    hub.unsubscribe(ws0, 'room');
    assertEq(hub.get_n_subscribers('room'), 3, 'unsubscribe');
    hub.subscribe(ws0, 'a');
    hub.subscribe(ws0, 'b');
    hub.unsubscribe_all(ws0);
    assertEq(hub.get_n_subscribers('a') + hub.get_n_subscribers('b'), 0, 'unsubscribe_all');

    // Closed connections leave by themselves.
    clients.forEach(c => c.close(1000, null));
    es.close();
    await waitFor(() => hub.get_n_subscribers('room') === 0, 'everyone left');
    server.disconnect();
}

function fail(e) {
    printerr(`FAIL: ${e}\n${e.stack ?? ''}`);
    status = 1;
    loop.quit();
}

GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, TIME_LIMIT_S, () => fail(new Error(`not done within ${TIME_LIMIT_S} s`)));
main().then(() => {
    print(`ok - hub.js: ${checks} checks passed`);
    loop.quit();
}).catch(fail);
loop.run();
system.exit(status);
