#!/usr/bin/python3
# minimal-client.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# minimal-client.py [URL]: sends "hello" to a WebSocket server (default
# ws://127.0.0.1:8080/), prints the answer and closes; exits 0 after a
# clean close. echo-client.py is the full example.

import locale
import sys

import gi

gi.require_version('Fws', '1.0')
from gi.repository import GLib, Fws  # noqa: E402


def on_message(ws, type_, data):
    print(data.get_data().decode())
    ws.close(1000, None)


def on_close(ws, code, reason):
    global close_code
    close_code = code
    if code != 1000:  # after an error, the reason says what
        print(f'close {code} {reason}', file=sys.stderr)
    loop.quit()


locale.setlocale(locale.LC_ALL, '')
close_code = None
loop = GLib.MainLoop()
client = Fws.Client.new(sys.argv[1] if len(sys.argv) > 1 else 'ws://127.0.0.1:8080/', None)
client.connect('open', lambda ws: ws.send_text('hello'))
client.connect('message', on_message)
client.connect('close', on_close)
loop.run()
sys.exit(0 if close_code == 1000 else 1)
