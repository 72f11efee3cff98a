#!/usr/bin/env -S gjs -m
// minimal-server.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs -m minimal-server.js [PORT]: a WebSocket echo server on 127.0.0.1
// (PORT 0 picks a free one). echo-server.js is the full example.

import GLib from 'gi://GLib';
import Soup from 'gi://Soup?version=3.0';
import Fws from 'gi://Fws?version=1.0';

const server = new Soup.Server();
server.add_handler(null, (srv, msg) => {
    let ws;
    try {
        ws = Fws.WebSocket.new(msg, null);
    } catch (e) { // not a WebSocket request
        msg.set_status(Soup.Status.BAD_REQUEST, e.message);
        return;
    }
    // The connection keeps itself alive until it closes.
    ws.connect('message', (self, type, data) => self.send(type, data));
});
server.listen_local(ARGV.length > 0 ? Number(ARGV[0]) : 8080, Soup.ServerListenOptions.IPV4_ONLY);
print(`listening on http://127.0.0.1:${server.get_uris()[0].get_port()}/`);
new GLib.MainLoop(null, false).run();
