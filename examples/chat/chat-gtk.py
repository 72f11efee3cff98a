#!/usr/bin/python3
# chat-gtk.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# chat-gtk.py [--nick NICK] [--room ROOM] [--script] URL
#
# A GTK 4 desktop client for fws-chat-server (URL: its page, such as
# http://127.0.0.1:8080/): an FwsClient WebSocket with permessage-deflate
# for the conversation, an FwsEventSourceClient for the room's presence
# feed, both on GTK's main loop. It reconnects by itself, asking for what it
# missed (since=).
#
# With --script, it also takes commands on stdin, one a line, for tests:
# "say TEXT" types TEXT into the entry and presses Send, "quit" quits; and
# prints what happens on stdout: "open SERVER deflate=true|false",
# "message NICK: TEXT", "presence A,B".
import argparse
import json
import os
import sys
import urllib.parse

import gi

gi.require_version('Gtk', '4.0')
gi.require_version('Fws', '1.0')
from gi.repository import Fws, Gio, GLib, Gtk  # noqa: E402

CSS = b'''
.chat-list { background: transparent; }
.bubble { background: rgba(53, 132, 228, 0.10); border-radius: 12px; padding: 6px 10px; }
.mine .bubble { background: rgba(53, 132, 228, 0.22); }
.nick { font-weight: bold; }
.time { color: alpha(currentColor, 0.55); font-size: smaller; }
.sidebar { background: alpha(currentColor, 0.04); padding: 12px; }
.sidebar-title { font-weight: bold; font-size: smaller; color: alpha(currentColor, 0.6); }
.status { font-size: smaller; color: alpha(currentColor, 0.6); }
'''


def out(line):
    if args.script:
        print(line, flush=True)


class ChatWindow(Gtk.ApplicationWindow):
    def __init__(self, app):
        super().__init__(application=app, title=f'#{args.room} · fws-glib chat')
        self.set_default_size(820, 520)
        self.last_id = None
        self.ws = None
        self.presence_version = -1

        header = Gtk.HeaderBar()
        titles = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, valign=Gtk.Align.CENTER)
        titles.append(Gtk.Label(label=f'#{args.room}', css_classes=['title']))
        self.status = Gtk.Label(label='connecting', css_classes=['status'])
        titles.append(self.status)
        header.set_title_widget(titles)
        self.set_titlebar(header)

        self.messages = Gtk.ListBox(selection_mode=Gtk.SelectionMode.NONE, css_classes=['chat-list'])
        self.scroller = Gtk.ScrolledWindow(vexpand=True, hexpand=True, child=self.messages)
        self.entry = Gtk.Entry(hexpand=True, placeholder_text='Message')
        self.send_button = Gtk.Button(label='Send', css_classes=['suggested-action'], sensitive=False)
        self.entry.connect('activate', lambda *_: self.send())
        self.send_button.connect('clicked', lambda *_: self.send())
        composer = Gtk.Box(spacing=8, margin_top=8, margin_bottom=8, margin_start=8, margin_end=8)
        composer.append(self.entry)
        composer.append(self.send_button)
        main = Gtk.Box(orientation=Gtk.Orientation.VERTICAL)
        main.append(self.scroller)
        main.append(Gtk.Separator())
        main.append(composer)

        self.count = Gtk.Label(label='IN THE ROOM · 0', xalign=0, css_classes=['sidebar-title'])
        self.presence = Gtk.ListBox(selection_mode=Gtk.SelectionMode.NONE, css_classes=['chat-list'])
        sidebar = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8, width_request=180,
                          css_classes=['sidebar'])
        sidebar.append(self.count)
        sidebar.append(self.presence)
        body = Gtk.Box()
        body.append(main)
        body.append(Gtk.Separator(orientation=Gtk.Orientation.VERTICAL))
        body.append(sidebar)
        self.set_child(body)

        self.connect_chat()
        presence_url = urllib.parse.urljoin(args.url, '/presence?' + urllib.parse.urlencode({'room': args.room}))
        self.feed = Fws.EventSourceClient.new(presence_url)
        self.feed.connect('message', self.on_feed)

    # ---- the WebSocket ----

    def connect_chat(self):
        parts = urllib.parse.urlsplit(args.url)
        query = {'room': args.room, 'nick': args.nick}
        if self.last_id:
            query['since'] = self.last_id
        scheme = 'wss' if parts.scheme == 'https' else 'ws'
        url = urllib.parse.urlunsplit((scheme, parts.netloc, '/chat', urllib.parse.urlencode(query), ''))
        self.ws = Fws.Client.new(url, [])
        self.ws.add_extension(Fws.PermessageDeflate.new())
        self.ws.connect('message', self.on_message)
        self.ws.connect('close', self.on_close)
        self.status.set_label('connecting')

    def on_message(self, ws, type_, data):
        if type_ != Fws.MessageType.TEXT:
            return
        m = json.loads(data.get_data().decode('utf-8'))
        if m['type'] == 'welcome':
            self.send_button.set_sensitive(True)
            self.status.set_label(f'connected to {m["server"]}' + (' · deflate' if m['deflate'] else ''))
            out(f'open {m["server"]} deflate={"true" if m["deflate"] else "false"}')
        elif m['type'] == 'message':
            self.add_message(m)

    def on_close(self, ws, code, reason):
        if ws is not self.ws:
            return
        self.send_button.set_sensitive(False)
        self.status.set_label('offline: reconnecting')
        GLib.timeout_add_seconds(2, self.reconnect)

    def reconnect(self):
        self.connect_chat()
        return GLib.SOURCE_REMOVE

    def send(self):
        text = self.entry.get_text().strip()
        if text and self.ws.get_ready_state() == Fws.ReadyState.OPEN:
            self.ws.send_text(text)
            self.entry.set_text('')

    def add_message(self, m):
        self.last_id = m['id']
        mine = m['nick'] == args.nick
        row = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=2, margin_top=4, margin_bottom=4,
                      margin_start=12, margin_end=12,
                      halign=Gtk.Align.END if mine else Gtk.Align.START,
                      css_classes=['mine'] if mine else [])
        meta = Gtk.Box(spacing=6, halign=row.get_halign())
        meta.append(Gtk.Label(label=m['nick'], css_classes=['nick']))
        when = GLib.DateTime.new_from_unix_local(m['time'] // 1000).format('%H:%M')
        meta.append(Gtk.Label(label=when, css_classes=['time']))
        text = Gtk.Label(label=m['text'], wrap=True, xalign=0, selectable=True, css_classes=['bubble'])
        row.append(meta)
        row.append(text)
        self.messages.append(row)
        GLib.idle_add(self.scroll_down)
        out(f'message {m["nick"]}: {m["text"]}')

    def scroll_down(self):
        adj = self.scroller.get_vadjustment()
        adj.set_value(adj.get_upper())
        return GLib.SOURCE_REMOVE

    # ---- the presence feed ----

    def on_feed(self, feed, event, data, last_event_id):
        if event == 'hello':
            # A new connection: versions count again (a restarted server).
            self.presence_version = -1
        if event != 'presence':
            return
        p = json.loads(data)
        if p['version'] < self.presence_version:
            return
        self.presence_version = p['version']
        while (child := self.presence.get_first_child()) is not None:
            self.presence.remove(child)
        for nick in p['members']:
            label = Gtk.Label(label=('● ' + nick), xalign=0)
            if nick == args.nick:
                label.add_css_class('nick')
            self.presence.append(label)
        self.count.set_label(f'IN THE ROOM · {len(p["members"])}')
        out('presence ' + ','.join(p['members']))

class App(Gtk.Application):
    def __init__(self):
        super().__init__(application_id=None, flags=Gio.ApplicationFlags.NON_UNIQUE)
        self.window = None

    def do_activate(self):
        self.window = ChatWindow(self)
        provider = Gtk.CssProvider()
        provider.load_from_data(CSS)
        Gtk.StyleContext.add_provider_for_display(self.window.get_display(), provider,
                                                  Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION)
        self.window.present()
        if args.script:
            self.stdin = Gio.DataInputStream.new(Gio.UnixInputStream.new(0, False))
            self.stdin.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_command)

    def on_command(self, stream, result):
        line, _ = stream.read_line_finish_utf8(result)
        if line is None or line == 'quit':
            self.quit()
            return
        verb, _, rest = line.partition(' ')
        if verb == 'say':
            self.window.entry.set_text(rest)
            self.window.send_button.emit('clicked')
        stream.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_command)


parser = argparse.ArgumentParser(description='GTK 4 client for fws-chat-server')
parser.add_argument('--nick', default=GLib.get_user_name())
parser.add_argument('--room', default='lobby')
parser.add_argument('--script', action='store_true', help='take commands on stdin (for tests)')
parser.add_argument('url', nargs='?', default='http://127.0.0.1:8080/')
args = parser.parse_args()
sys.exit(App().run(None))
