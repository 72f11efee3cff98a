#!/usr/bin/env -S gjs -m
// minimal-event-source.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs -m minimal-event-source.js [PORT]: an EventSource server on
// 127.0.0.1 (PORT 0 picks a free one): any GET is a stream of "tick N"
// events, one a second (try curl http://127.0.0.1:8080/). echo-server.js's
// /events has more.

import GLib from 'gi://GLib';
import Soup from 'gi://Soup?version=3.0';
import Fws from 'gi://Fws?version=1.0';

let ticks = 0;
const server = new Soup.Server();
server.add_handler(null, (srv, msg) => {
    // Browsers ask for text/event-stream; curl does not.
    msg.get_request_headers().replace('Accept', 'text/event-stream');
    let es;
    try {
        es = Fws.EventSource.new(msg);
    } catch (e) { // not a GET
        msg.set_status(Soup.Status.BAD_REQUEST, e.message);
        return;
    }
    GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 1, () => {
        try {
            es.send(`tick ${++ticks}`, null, null);
            return GLib.SOURCE_CONTINUE;
        } catch (e) { // the stream is closed: the timer stops
            return GLib.SOURCE_REMOVE;
        }
    });
});
server.listen_local(ARGV.length > 0 ? Number(ARGV[0]) : 8080, Soup.ServerListenOptions.IPV4_ONLY);
print(`listening on http://127.0.0.1:${server.get_uris()[0].get_port()}/`);
new GLib.MainLoop(null, false).run();
