#!/usr/bin/env python3
# check-events.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-events.py SERVER [ARG]...
#
# The EventSource part of the echo server examples' contract, for any of
# them (C, GJS, Python, Vala): SERVER --port 0 prints "listening on URL";
# GET /events with Accept: text/event-stream and Last-Event-ID: 41 answers
# 200 text/event-stream, then event 42 (data and id "42") and a "tick"
# event with the time; a GET /events without an Accept header (as curl
# sends it) is a stream too; the server exits 0 on SIGTERM. Standard
# library only; exits non-zero on any failure, within a time limit.

import http.client
import re
import select
import signal
import subprocess
import sys
import time

TIME_LIMIT_S = 20


def fail(message):
    print(f'FAIL: {message}', file=sys.stderr)
    sys.exit(1)


def main():
    deadline = time.monotonic() + TIME_LIMIT_S
    server = subprocess.Popen(sys.argv[1:] + ['--port', '0'], stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([server.stdout], [], [], TIME_LIMIT_S / 2)
        line = server.stdout.readline() if ready else ''
        match = re.fullmatch(r'listening on http://127\.0\.0\.1:(\d+)/\n', line)
        if not match:
            fail(f'no "listening on" line: {line!r}')
        plain = http.client.HTTPConnection('127.0.0.1', int(match.group(1)), timeout=TIME_LIMIT_S / 2)
        plain.putrequest('GET', '/events', skip_accept_encoding=True)
        plain.endheaders()
        response = plain.getresponse()
        if response.status != 200 or response.getheader('Content-Type') != 'text/event-stream':
            fail(f'GET /events without Accept: status {response.status}, '
                 f'Content-Type {response.getheader("Content-Type")}')
        plain.close()
        conn = http.client.HTTPConnection('127.0.0.1', int(match.group(1)), timeout=TIME_LIMIT_S / 2)
        conn.request('GET', '/events', headers={'Accept': 'text/event-stream', 'Last-Event-ID': '41'})
        response = conn.getresponse()
        if response.status != 200:
            fail(f'status {response.status}')
        if response.getheader('Content-Type') != 'text/event-stream':
            fail(f'Content-Type {response.getheader("Content-Type")}')
        events, fields = [], {}
        while len(events) < 2 and time.monotonic() < deadline:
            raw = response.fp.readline()
            if not raw:
                fail(f'the stream ended after {events}')
            text = raw.decode('utf-8').rstrip('\r\n')
            if text == '':
                if 'data' in fields:  # a block of only retry: is no event
                    events.append(fields)
                fields = {}
            elif not text.startswith(':'):
                name, _, value = text.partition(':')
                fields[name] = fields.get(name, '') + value.removeprefix(' ')
        if len(events) < 2:
            fail('timed out reading events')
        if events[0] != {'id': '42', 'data': '42'}:
            fail(f'first event {events[0]}, want id and data 42 (after Last-Event-ID 41)')
        if events[1].get('event') != 'tick' or not re.fullmatch(r'\d\d:\d\d:\d\d', events[1].get('data', '')):
            fail(f'second event {events[1]}, want a tick with the time')
        conn.close()
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=max(1, deadline - time.monotonic()))
        if status != 0:
            fail(f'the server exited with {status} on SIGTERM')
    except (OSError, subprocess.TimeoutExpired, http.client.HTTPException) as e:
        fail(repr(e))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    print('ok - /events: a stream without Accept too; id 42 after Last-Event-ID 41, then a tick event')


if __name__ == '__main__':
    main()
