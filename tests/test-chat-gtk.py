#!/usr/bin/python3
# test-chat-gtk.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# examples/chat/chat-gtk.py, the GTK 4 client, under Xvfb against
# fws-chat-server, with a Python websockets peer in the same room: the
# client's WebSocket has permessage-deflate, its presence feed lists both,
# a message typed into its entry reaches the peer, the peer's reaches the
# window, and the peer leaving shows. Saves a screenshot of the screen
# (Xvfb's framebuffer file, converted to PNG here) as chat-gtk.png in
# FWS_TEST_LOG_DIR. TAP output; every wait bounded.
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

WAIT = 15
results = []


def tap(ok, name, detail=''):
    results.append(bool(ok))
    print(f'{"ok" if ok else "not ok"} {len(results)} - {name}', flush=True)
    if not ok and detail:
        print('# ' + str(detail).replace('\n', '\n# '), flush=True)


def xwd_to_png(xwd_path, png_path):
    """Xvfb's -fbdir file is an XWD image (ZPixmap, 32 bits per pixel)."""
    data = open(xwd_path, 'rb').read()
    fields = struct.unpack('>25I', data[:100])
    header_size, _, fmt, depth, width, height = fields[:6]
    byte_order, bpp, bytes_per_line, ncolors = fields[7], fields[11], fields[12], fields[19]
    if fmt != 2 or bpp != 32:
        raise ValueError(f'unexpected XWD: format {fmt}, {bpp} bits per pixel')
    pixels = data[header_size + 12 * ncolors:]
    rows = []
    for y in range(height):
        row = pixels[y * bytes_per_line:y * bytes_per_line + 4 * width]
        # LSBFirst: B, G, R, X per pixel.
        b, g, r = (row[0::4], row[1::4], row[2::4]) if byte_order == 0 else (row[3::4], row[2::4], row[1::4])
        rgb = bytearray(3 * width)
        rgb[0::3], rgb[1::3], rgb[2::3] = r, g, b
        rows.append(b'\0' + bytes(rgb))

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))
    with open(png_path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(b''.join(rows), 6)) + chunk(b'IEND', b''))


async def expect(proc, pattern, seen):
    """The first line of the GTK client's stdout not taken yet that matches
    @pattern (lines come in any order between the WebSocket and the feed)."""
    for i, (line, taken) in enumerate(seen):
        if not taken and re.fullmatch(pattern, line):
            seen[i] = (line, True)
            return line

    async def read():
        while True:
            line = await proc.stdout.readline()
            if not line:
                raise AssertionError(f'chat-gtk.py ended; it printed {[l for l, _ in seen]}')
            line = line.decode().rstrip('\n')
            if re.fullmatch(pattern, line):
                seen.append((line, True))
                return line
            seen.append((line, False))
    try:
        return await asyncio.wait_for(read(), WAIT)
    except asyncio.TimeoutError:
        raise AssertionError(f'no line like {pattern!r} within {WAIT} s; chat-gtk.py printed {[l for l, _ in seen]}')


async def scenario(websockets, chat_port, client, env, logdir, fbdir):
    room = 'desk'
    peer = await asyncio.wait_for(websockets.connect(
        f'ws://127.0.0.1:{chat_port}/chat?room={room}&nick=peer', open_timeout=WAIT), WAIT)
    json.loads(await asyncio.wait_for(peer.recv(), WAIT))   # welcome
    proc = await asyncio.create_subprocess_exec(
        '/usr/bin/python3', client, '--script', '--nick', 'gtk', '--room', room,
        f'http://127.0.0.1:{chat_port}/', env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    seen = []
    try:
        line = await expect(proc, r'open .*', seen)
        tap(line.endswith('deflate=true'), 'the GTK client connects with permessage-deflate', line)
        try:
            await expect(proc, r'presence gtk,peer', seen)
            tap(True, 'its presence feed lists both')
        except AssertionError as e:
            tap(False, 'its presence feed lists both', e)

        proc.stdin.write('say Hello from a GTK 4 window\n'.encode())
        await proc.stdin.drain()
        got = None
        while got is None or got['type'] != 'message':
            got = json.loads(await asyncio.wait_for(peer.recv(), WAIT))
        mine = await expect(proc, r'message .*', seen)
        tap(got['nick'] == 'gtk' and got['text'] == 'Hello from a GTK 4 window'
            and mine == 'message gtk: Hello from a GTK 4 window',
            'a message typed into the window reaches the peer (and the window)', f'{got} {mine}')

        await peer.send('Hi GTK, from Python ✓')
        line = await expect(proc, r'message .*', seen)
        tap(line == 'message peer: Hi GTK, from Python ✓', 'the peer\'s message shows in the window', line)

        await asyncio.sleep(1)   # let GTK draw it
        path = os.path.join(logdir, 'chat-gtk.png')
        xwd_to_png(os.path.join(fbdir, 'Xvfb_screen0'), path)
        print(f'# screenshot: {path}', flush=True)
        tap(os.path.getsize(path) > 1000, f'screenshot saved as {path}')

        await peer.close()
        try:
            await expect(proc, r'presence gtk', seen)
            tap(True, 'the presence feed shows the peer leaving')
        except AssertionError as e:
            tap(False, 'the presence feed shows the peer leaving', e)

        proc.stdin.write(b'quit\n')
        await proc.stdin.drain()
        code = await asyncio.wait_for(proc.wait(), WAIT)
        tap(code == 0, 'the client quits with status 0', code)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


class KeepFds:
    """Closes file descriptors with the processes (a stand-in in procs)."""

    def __init__(self, fds):
        self.fds = fds

    def send_signal(self, signum):
        pass

    def wait(self, timeout):
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()


def start_xvfb(xvfb, tmp, procs):
    """Xvfb on a free display (-displayfd), once it accepts connections; a
    server that quits at once (another one took the display meanwhile) is
    started again, three times at most."""
    import select
    keep_fds = []
    procs.append(KeepFds(keep_fds))
    for attempt in range(3):
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen([xvfb, '-displayfd', str(write_fd), '-screen', '0', '1000x640x24',
                                 '-nolisten', 'tcp', '-noreset', '-fbdir', tmp],
                                pass_fds=[write_fd], stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(tmp, 'xvfb.log'), 'a'))
        procs.append(proc)
        os.close(write_fd)
        ready = select.select([read_fd], [], [], WAIT)[0]
        display = os.read(read_fd, 32).decode().strip() if ready else ''
        # Left open while Xvfb runs: it writes the number again each time
        # it resets (after its last client left), and dies when it cannot.
        keep_fds.append(read_fd)
        deadline = time.monotonic() + WAIT
        while display and proc.poll() is None and time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(f'/tmp/.X11-unix/X{display}')
                return display
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError('Xvfb did not start in three attempts (see xvfb.log)')


def main():
    chat = os.environ.get('FWS_CHAT_SERVER')
    client = os.environ.get('FWS_CHAT_GTK')
    logdir = os.environ.get('FWS_TEST_LOG_DIR') or tempfile.gettempdir()
    if not chat or not client:
        sys.exit('FWS_CHAT_SERVER and FWS_CHAT_GTK must be set (meson test sets them)')
    xvfb = shutil.which('Xvfb') or '/usr/bin/Xvfb'
    if not os.access(xvfb, os.X_OK):
        print('1..0 # SKIP Xvfb is missing: apt-get install -y xvfb', flush=True)
        return 0
    check = subprocess.run(['/usr/bin/python3', '-c', "import gi; gi.require_version('Gtk', '4.0')"],
                           capture_output=True, timeout=30)
    if check.returncode != 0:
        print('1..0 # SKIP GTK 4 for Python is missing: apt-get install -y python3-gi gir1.2-gtk-4.0', flush=True)
        return 0
    try:
        import websockets
    except ImportError:
        print('1..0 # SKIP python3-websockets is missing', flush=True)
        return 0

    tmp = tempfile.mkdtemp(prefix='fws-chat-gtk-')
    procs = []
    try:
        display = start_xvfb(xvfb, tmp, procs)
        server = subprocess.Popen([chat, '--port', '0', '--name', 'gtk-test'], stdout=subprocess.PIPE)
        procs.append(server)
        import select
        if not select.select([server.stdout], [], [], WAIT)[0]:
            raise RuntimeError(f'fws-chat-server did not start within {WAIT} s')
        port = int(re.match(rb'listening on http://127\.0\.0\.1:(\d+)/', server.stdout.readline()).group(1))
        env = dict(os.environ, DISPLAY=f':{display}', GSK_RENDERER='cairo', GDK_BACKEND='x11',
                   NO_AT_BRIDGE='1', XDG_RUNTIME_DIR=tmp)
        env.pop('WAYLAND_DISPLAY', None)
        asyncio.run(asyncio.wait_for(scenario(websockets, port, client, env, logdir, tmp), 90))
    except Exception as e:
        tap(False, 'the GTK client under Xvfb', f'{type(e).__name__}: {e}')
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not all(results) and os.path.exists(os.path.join(tmp, 'xvfb.log')):
            print('# Xvfb: ' + open(os.path.join(tmp, 'xvfb.log'), errors='replace').read().replace('\n', '\n# '))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'1..{len(results)}', flush=True)
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
