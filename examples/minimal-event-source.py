#!/usr/bin/python3
# minimal-event-source.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# minimal-event-source.py [PORT]: an EventSource server on 127.0.0.1 (PORT
# 0 picks a free one): any GET is a stream of "tick N" events, one a second
# (try curl http://127.0.0.1:8080/). echo-server.py's /events has more.

import itertools
import locale
import sys

import gi

gi.require_version('Soup', '3.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, Soup, Fws  # noqa: E402

ticks = itertools.count(1)


def tick(es):
    try:
        es.send(f'tick {next(ticks)}', None, None)
        return GLib.SOURCE_CONTINUE
    except GLib.Error:  # the stream is closed: the timer stops
        return GLib.SOURCE_REMOVE


def handle(server, msg, path, query):
    # Browsers ask for text/event-stream; curl does not.
    msg.get_request_headers().replace('Accept', 'text/event-stream')
    try:
        es = Fws.EventSource.new(msg)
    except GLib.Error as e:  # not a GET
        msg.set_status(Soup.Status.BAD_REQUEST, e.message)
        return
    GLib.timeout_add_seconds(1, tick, es)


locale.setlocale(locale.LC_ALL, '')
server = Soup.Server()
server.add_handler(None, handle)
server.listen_local(int(sys.argv[1]) if len(sys.argv) > 1 else 8080, Soup.ServerListenOptions.IPV4_ONLY)
print(f'listening on http://127.0.0.1:{server.get_uris()[0].get_port()}/', flush=True)
GLib.MainLoop().run()
