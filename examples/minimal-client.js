#!/usr/bin/env -S gjs -m
// minimal-client.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs -m minimal-client.js [URL]: sends "hello" to a WebSocket server
// (default ws://127.0.0.1:8080/), prints the answer and closes; exits 0
// after a clean close. echo-client.js is the full example.

import GLib from 'gi://GLib';
import Fws from 'gi://Fws?version=1.0';
import system from 'system';

const loop = new GLib.MainLoop(null, false);
let closeCode = null;
const client = Fws.Client.new(ARGV[0] ?? 'ws://127.0.0.1:8080/', null);
client.connect('open', ws => ws.send_text('hello'));
client.connect('message', (ws, type, data) => {
    print(new TextDecoder().decode(data.toArray()));
    ws.close(1000, null);
});
client.connect('close', (ws, code, reason) => {
    closeCode = code;
    if (code !== 1000) // after an error, the reason says what
        printerr(`close ${code} ${reason}`);
    loop.quit();
});
loop.run();
system.exit(closeCode === 1000 ? 0 : 1);
