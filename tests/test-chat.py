#!/usr/bin/python3
# test-chat.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# fws-chat-server as tools/demo starts it: one process, the in-process hub,
# history in memory. Two WebSocket clients (permessage-deflate) talk in a
# room and see the same messages in the same order, the presence feed
# follows them, a client that comes back with since= gets what it missed,
# the /messages feed resumes after Last-Event-ID, another room hears
# nothing, a room past --max-rooms is refused, and bad nicknames are
# refused. TAP output; every wait bounded.
import asyncio
import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
WAIT = 10


def main():
    chat = os.environ.get('FWS_CHAT_SERVER')
    if not chat:
        sys.exit('FWS_CHAT_SERVER must be set (meson test sets it)')
    try:
        import websockets
    except ImportError:
        print('1..0 # SKIP python3-websockets is not installed', flush=True)
        return 0
    # The helpers of test-deploy.py (its file name is not a module name).
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'deploy', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test-deploy.py'))
    deploy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deploy)

    proc = subprocess.Popen([chat, '--port', '0', '--name', 'solo', '--max-rooms', '2'], stdout=subprocess.PIPE)
    try:
        line = deploy.read_line(proc, 'fws-chat-server')
        port = int(re.match(r'listening on http://127\.0\.0\.1:(\d+)/', line).group(1))
        asyncio.run(asyncio.wait_for(scenario(deploy, websockets, port, proc), 60))
    except Exception as e:
        deploy.tap(False, 'fws-chat-server in one process', repr(e))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f'1..{len(deploy.results)}', flush=True)
    return 0 if all(deploy.results) else 1


async def scenario(d, websockets, port, proc):
    base = f'ws://127.0.0.1:{port}'

    # Presence feed first: an empty room.
    feed = await d.EventStream.open(port, '/presence?room=demo')
    hello = json.loads((await feed.next_of('hello'))[2])
    first = json.loads((await feed.next_of('presence'))[2])
    d.tap(hello['url'] == f'http://127.0.0.1:{port}/presence?room=demo' and first['members'] == [],
          'the presence feed says hello with its URL, then an empty room', f'{hello} {first}')

    alice, wa = await d.ws_join(websockets, f'{base}/chat?room=demo&nick=alice', None)
    bob, wb = await d.ws_join(websockets, f'{base}/chat?room=demo&nick=b%C3%B6b', None)
    d.tap(wa['deflate'] is True and 'permessage-deflate' in alice.response_headers.get('Sec-WebSocket-Extensions', '')
          and wa['history'] == 'memory' and wb['nick'] == 'böb',
          'WebSocket with permessage-deflate, history in memory, UTF-8 nicknames', f'{wa} {wb}')
    try:
        await feed.presence(['alice', 'böb'])
        d.tap(True, 'the presence feed lists both, each event as it happens')
    except AssertionError as e:
        d.tap(False, 'the presence feed lists both, each event as it happens', e)

    other, _ = await d.ws_join(websockets, f'{base}/chat?room=elsewhere&nick=carol', None)

    # Two rooms exist, the most --max-rooms 2 keeps: a third is refused on
    # both doors, the two go on.
    try:
        await asyncio.wait_for(websockets.connect(f'{base}/chat?room=third&nick=eve', open_timeout=WAIT), WAIT)
        ws_status = 101
    except websockets.InvalidStatusCode as e:
        ws_status = e.status_code
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'GET /presence?room=third HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                 b'Accept: text/event-stream\r\nConnection: close\r\n\r\n')
    status_line = (await asyncio.wait_for(reader.readline(), WAIT)).decode()
    writer.close()
    d.tap(ws_status == 503 and status_line.startswith('HTTP/1.1 503 '),
          'a new room past --max-rooms is refused with 503 (WebSocket and EventSource)',
          f'{ws_status} {status_line!r}')

    async def talk(ws, who):
        for k in range(10):
            await ws.send(f'{who} "{k}"\n\\')
    await asyncio.gather(talk(alice, 'alice'), talk(bob, 'böb'))
    got_a, got_b = await asyncio.gather(d.ws_messages(alice, 20), d.ws_messages(bob, 20))
    order = [(m['id'], m['nick'], m['text']) for m in got_a]
    d.tap(order == [(m['id'], m['nick'], m['text']) for m in got_b]
          and sorted(t for _, _, t in order) == sorted([f'alice "{k}"\n\\' for k in range(10)] +
                                                       [f'böb "{k}"\n\\' for k in range(10)])
          and all(m['nick'] == t.split(' ')[0] for m, (_, _, t) in zip(got_a, order)),
          'both see all 20 messages, text intact, in the same order', order)
    try:
        await asyncio.wait_for(other.recv(), 0.3)
        d.tap(False, 'another room hears nothing')
    except asyncio.TimeoutError:
        d.tap(True, 'another room hears nothing')

    # Bob leaves; alice talks; bob comes back with since= and gets only that.
    await bob.close()
    await feed.presence(['alice'])
    for k in range(3):
        await alice.send(f'while away {k}')
    missed = [(m['id'], m['text']) for m in await d.ws_messages(alice, 3)]
    bob, _ = await d.ws_join(websockets, f'{base}/chat?room=demo&nick=b%C3%B6b&since={order[-1][0]}', None)
    got = [(m['id'], m['text']) for m in await d.ws_messages(bob, 3)]
    try:
        await asyncio.wait_for(bob.recv(), 0.3)
        extra = True
    except asyncio.TimeoutError:
        extra = False
    d.tap(got == missed and not extra, 'coming back with since= gives exactly what was missed', f'{got} {missed}')

    # A new client without since= gets the recent history.
    dave, _ = await d.ws_join(websockets, f'{base}/chat?room=demo&nick=dave', None)
    recent = [m['text'] for m in await d.ws_messages(dave, 23)]
    d.tap(recent[-3:] == [t for _, t in missed], 'a newcomer gets the recent history', recent)

    # The /messages feed resumes after Last-Event-ID.
    stream = await d.EventStream.open(port, '/messages?room=demo', last_id=order[-1][0])
    events = [await stream.next_of('message') for _ in range(3)]
    d.tap([(ev[1], json.loads(ev[2])['text']) for ev in events] == missed,
          'the /messages feed resumes after Last-Event-ID, with ids', events)
    stream.close()

    # Bad requests.
    try:
        await asyncio.wait_for(websockets.connect(f'{base}/chat?room=demo&nick=%20x', open_timeout=WAIT), WAIT)
        d.tap(False, 'a nickname starting with a space is refused')
    except websockets.InvalidStatusCode as e:
        d.tap(e.status_code == 400, 'a nickname starting with a space is refused (400)')
    for ws in (alice, bob, other):
        await ws.close()
    feed.close()

    # SIGTERM: the clients still there are told 1001 (going away), and the
    # server exits with status 0.
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(dave.wait_closed(), WAIT)
        code = await asyncio.get_running_loop().run_in_executor(None, proc.wait, WAIT)
        d.tap(dave.close_code == 1001 and code == 0, 'SIGTERM: clients get 1001, the server exits with 0',
              f'close code {dave.close_code}, exit status {code}')
    except (asyncio.TimeoutError, subprocess.TimeoutExpired) as e:
        d.tap(False, 'SIGTERM: clients get 1001, the server exits with 0', repr(e))


if __name__ == '__main__':
    sys.exit(main())
