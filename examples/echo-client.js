#!/usr/bin/env -S gjs -m
// echo-client.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs -m echo-client.js [--protocol P]... [--header 'Name: value']... [--echo] [--timeout S] [--reconnect] ws[s]://URL
// gjs -m echo-client.js [--events N] [--header 'Name: value']... [--timeout S] [--reconnect] http[s]://URL
//
// The GJS twin of echo-client.c. Without --echo, sends each line of stdin
// as a text message and prints each text message received as a line (a
// binary one as "<binary N bytes>"). At the end of stdin it waits until
// everything was sent and no message has arrived for half a second, then
// closes. With --echo, sends every message received back unchanged. On
// close, prints "close CODE REASON" to stderr and exits 0 for 1000 or 1005,
// 1 otherwise. Each error is printed once, with a "hint:" line when a
// wss:// URL likely met a plain server or a ws:// URL a TLS one. With
// --reconnect a lost connection is made again with backoff, each wait
// announced on stderr as "reconnecting ATTEMPT DELAY_MS: REASON".
//
// An http:// or https:// URL is read as an EventSource stream
// (Fws.EventSourceClient): each event is printed as "event: TYPE", "id: ID"
// (when the stream set one), "data: LINE" per line of data and a blank
// line; each error as "error: MESSAGE". It exits 1 once it stopped: at the
// first end or failure, or with --reconnect (backoff and the last event id)
// when the server answered anything but an event stream; with --events N it
// exits 0 after N events, and SIGINT or SIGTERM stop it with 0.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Soup from 'gi://Soup?version=3.0';
import Fws from 'gi://Fws?version=1.0';
import system from 'system';

Gio._promisify(Gio.DataInputStream.prototype, 'read_line_async', 'read_line_finish_utf8');

function usage(message) {
    printerr(message);
    system.exit(2);
}

// ---- Command line ----

const protocols = [];
const headers = new Soup.MessageHeaders(Soup.MessageHeadersType.REQUEST);
let echo = false;
let timeout = 0;
let maxEvents = 0;
let reconnect = false;
let url = null;
const args = [...ARGV];
while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--echo') {
        echo = true;
    } else if (arg === '--reconnect') {
        reconnect = true;
    } else if (arg === '--timeout') {
        const value = args.shift() ?? usage(`missing value for ${arg}`);
        timeout = Number(value);
        if (!Number.isInteger(timeout) || timeout < 0)
            usage(`invalid --timeout ${value}: expected seconds, 0 or more`);
    } else if (arg === '--events') {
        const value = args.shift() ?? usage(`missing value for ${arg}`);
        maxEvents = Number(value);
        if (!Number.isInteger(maxEvents) || maxEvents < 0)
            usage(`invalid --events ${value}: expected a count, 0 or more`);
    } else if (arg === '--protocol' || arg === '--header') {
        const value = args.shift() ?? usage(`missing value for ${arg}`);
        if (arg === '--protocol') {
            protocols.push(value);
        } else {
            const colon = value.indexOf(':');
            if (colon <= 0)
                usage(`invalid --header '${value}': expected 'Name: value'`);
            headers.append(value.slice(0, colon).trim(), value.slice(colon + 1).trim());
        }
    } else if (url === null && !arg.startsWith('--')) {
        url = arg;
    } else {
        usage('usage: echo-client.js [--protocol P]... [--header \'Name: value\']... [--echo] [--events N] [--timeout S] [--reconnect] URL');
    }
}
if (url === null)
    usage('usage: echo-client.js [--protocol P]... [--header \'Name: value\']... [--echo] [--events N] [--timeout S] [--reconnect] URL');

// ---- EventSource mode ----

function onReconnecting(c, attempt, delay, error) {
    printerr(`reconnecting ${attempt} ${delay}: ${error.message}`);
}

function runEventSource() {
    let events;
    try {
        events = Fws.EventSourceClient.new(url);
    } catch (e) {
        usage(`${url} is not a valid WebSocket or EventSource URL`);
    }
    events.extra_headers = headers;
    events.reconnect = reconnect;
    events.connect('reconnecting', onReconnecting);
    if (timeout > 0)
        events.handshake_timeout = timeout * 1000;
    const eventsLoop = new GLib.MainLoop(null, false);
    let code = 1;
    let seen = 0;
    const stop = status => {
        code = status;
        events.close();
        eventsLoop.quit();
    };
    events.connect('message', (self, type, data, id) => {
        const lines = [`event: ${type}`];
        if (id !== '')
            lines.push(`id: ${id}`);
        for (const line of data.split('\n'))
            lines.push(`data: ${line}`);
        print(`${lines.join('\n')}\n`);
        seen++;
        if (maxEvents > 0 && seen === maxEvents)
            stop(0);
    });
    events.connect('error', (self, error) => {
        printerr(`error: ${error.message}`);
        if (self.ready_state === Fws.ReadyState.CLOSED)
            stop(1);
    });
    for (const signum of [2, 15]) { // SIGINT, SIGTERM
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, () => {
            stop(0);
            return GLib.SOURCE_CONTINUE;
        });
    }
    eventsLoop.run();
    system.exit(code);
}

if (/^https?:/i.test(url))
    runEventSource();

let client;
try {
    client = Fws.Client.new(url, protocols);
} catch (e) {
    usage(`${url} is not a valid WebSocket or EventSource URL`);
}
client.extra_headers = headers;
client.reconnect = reconnect;
client.connect('reconnecting', onReconnecting);
if (timeout > 0)
    client.handshake_timeout = timeout * 1000;

// ---- The connection ----

const loop = new GLib.MainLoop(null, false);
let exitCode = 1;
let lastActivity = GLib.get_monotonic_time();
const decoder = new TextDecoder();

async function sendStdin() {
    const input = new Gio.DataInputStream({
        base_stream: new Gio.UnixInputStream({fd: 0, close_fd: false}),
    });
    for (;;) {
        let line;
        try {
            [line] = await input.read_line_async(GLib.PRIORITY_DEFAULT, null);
        } catch (e) {
            printerr(`stdin: ${e.message}`);
            line = null;
        }
        if (line === null)
            break;
        try {
            client.send_text(line);
        } catch (e) {
            printerr(`send failed: ${e.message}`);
        }
    }
    // End of input: close once everything was written and it is quiet.
    lastActivity = GLib.get_monotonic_time();
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => {
        if (client.buffered_amount > 0 || GLib.get_monotonic_time() - lastActivity < 500000)
            return GLib.SOURCE_CONTINUE;
        client.close(1000, null);
        return GLib.SOURCE_REMOVE;
    });
}

let opened = false;
let reading = false;
let lastError = null;

// What is likely wrong when a connection fails before it opened.
function hintFor(error) {
    if (opened)
        return null;
    const timedOut = error.matches(Fws.Error, Fws.Error.TIMED_OUT);
    if (url.toLowerCase().startsWith('wss:')) {
        if (timedOut || error.matches(Gio.TlsError, Gio.TlsError.NOT_TLS) ||
            error.matches(Gio.TlsError, Gio.TlsError.MISC))
            return 'is the server speaking TLS? A wss:// URL needs a TLS server; for a plain one use ws://';
    } else if (timedOut || error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED) ||
               // no HTTP status: the server ended the connection without an answer
               (error.matches(Fws.Error, Fws.Error.HANDSHAKE) && client.status === 0)) {
        return 'does the server want TLS? For a TLS server use a wss:// URL';
    }
    return null;
}

client.connect('open', () => {
    opened = true;
    // after a reconnection, stdin is still being read
    if (!echo && !reading) {
        reading = true;
        sendStdin().catch(e => printerr(e.message));
    }
});
client.connect('message', (ws, type, data) => {
    lastActivity = GLib.get_monotonic_time();
    if (echo) {
        try {
            ws.send(type, data);
        } catch (e) {
            printerr(`send failed: ${e.message}`);
        }
    } else if (type === Fws.MessageType.TEXT) {
        print(decoder.decode(data.toArray()));
    } else {
        print(`<binary ${data.get_size()} bytes>`);
    }
});
client.connect('error', (ws, error) => {
    printerr(`error: ${error.message}`);
    const hint = hintFor(error);
    if (hint)
        printerr(`hint: ${hint}`);
    lastError = error.message;
});
client.connect('close', (ws, code, reason) => {
    // After an error the reason is that error again: not twice.
    printerr(`close ${code} ${reason === lastError ? '' : reason}`);
    exitCode = code === 1000 || code === 1005 ? 0 : 1;
    loop.quit();
});

for (const signum of [2, 15]) { // SIGINT, SIGTERM
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, () => {
        if (client.ready_state >= Fws.ReadyState.CLOSING)
            loop.quit();
        else
            client.close(1000, 'interrupted');
        return GLib.SOURCE_CONTINUE;
    });
}

loop.run();
system.exit(exitCode);
