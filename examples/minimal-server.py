#!/usr/bin/python3
# minimal-server.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# minimal-server.py [PORT]: a WebSocket echo server on 127.0.0.1 (PORT 0
# picks a free one). echo-server.py is the full example.

import locale
import sys

import gi

gi.require_version('Soup', '3.0')
gi.require_version('Fws', '1.0')
from gi.repository import GLib, Soup, Fws  # noqa: E402


def handle(server, msg, path, query):
    try:
        ws = Fws.WebSocket.new(msg, None)
    except GLib.Error as e:  # not a WebSocket request
        msg.set_status(Soup.Status.BAD_REQUEST, e.message)
        return
    # The connection keeps itself alive until it closes.
    ws.connect('message', lambda ws, type_, data: ws.send(type_, data))


locale.setlocale(locale.LC_ALL, '')
server = Soup.Server()
server.add_handler(None, handle)
server.listen_local(int(sys.argv[1]) if len(sys.argv) > 1 else 8080, Soup.ServerListenOptions.IPV4_ONLY)
print(f'listening on http://127.0.0.1:{server.get_uris()[0].get_port()}/', flush=True)
GLib.MainLoop().run()
