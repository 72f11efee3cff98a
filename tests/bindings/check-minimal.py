#!/usr/bin/env python3
# check-minimal.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-minimal.py --server PROG... --client PROG... --event-source PROG...
#                  --source FILE...
#
# The minimal example programs, in every language given, against each
# other: each minimal server, started with port 0, prints "listening on
# http://127.0.0.1:PORT/", and each minimal client gets "hello" echoed from
# it and exits 0; a client that cannot connect exits non-zero and says why
# on stderr; each minimal EventSource server answers a GET without an
# Accept header (as curl sends it) with a text/event-stream of "tick N"
# events. Each source FILE has at most 40 lines of code (neither blank nor
# comment). A --clean-client (the README's snippet) is only run against
# the servers. Standard library only; every wait is bounded.

import argparse
import http.client
import re
import select
import socket
import subprocess
import sys

WAIT_S = 20


def fail(message):
    print(f'not ok - {message}')
    sys.exit(1)


def start(program):
    proc = subprocess.Popen([program, '0'], stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], WAIT_S)
    line = proc.stdout.readline() if ready else ''
    match = re.fullmatch(r'listening on http://127\.0\.0\.1:(\d+)/\n', line)
    if not match:
        proc.kill()
        fail(f'{program}: no "listening on" line, got {line!r}')
    return proc, int(match.group(1))


def run_client(client, url):
    try:
        return subprocess.run([client, url], capture_output=True, text=True, timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        fail(f'{client} {url} did not end within {WAIT_S} s')


def code_lines(path):
    text = open(path, encoding='utf-8').read()
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.strip().startswith(('#', '//')))


def main():
    parser = argparse.ArgumentParser()
    for name in ('--server', '--client', '--clean-client', '--event-source', '--source'):
        parser.add_argument(name, nargs='+', action='extend', default=[])
    args = parser.parse_args()
    checks = 0

    for path in args.source:
        n = code_lines(path)
        if n > 40:
            fail(f'{path} has {n} lines of code, more than 40')
        checks += 1

    for server in args.server:
        proc, port = start(server)
        try:
            for client in args.client + args.clean_client:
                result = run_client(client, f'ws://127.0.0.1:{port}/')
                if result.returncode != 0 or result.stdout != 'hello\n':
                    fail(f'{client} against {server}: status {result.returncode}, '
                         f'stdout {result.stdout!r}, stderr {result.stderr!r}')
                checks += 1
        finally:
            proc.kill()
            proc.wait()

    # A port bound but not listening refuses connections.
    with socket.socket() as refusing:
        refusing.bind(('127.0.0.1', 0))
        url = f'ws://127.0.0.1:{refusing.getsockname()[1]}/'
        for client in args.client:
            result = run_client(client, url)
            if result.returncode == 0 or 'refused' not in result.stderr:
                fail(f'{client} {url}: status {result.returncode}, stderr {result.stderr!r}')
            checks += 1

    for server in args.event_source:
        proc, port = start(server)
        try:
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=WAIT_S)
            conn.putrequest('GET', '/', skip_accept_encoding=True)
            conn.endheaders()
            response = conn.getresponse()
            if response.status != 200 or response.getheader('Content-Type') != 'text/event-stream':
                fail(f'{server}: status {response.status}, Content-Type {response.getheader("Content-Type")}')
            for _ in range(10):
                line = response.fp.readline().decode().rstrip('\r\n')
                if line.startswith('data: '):
                    break
            if not re.fullmatch(r'data: tick \d+', line):
                fail(f'{server}: no "tick N" event, last line {line!r}')
            conn.close()
            checks += 1
        except OSError as e:
            fail(f'{server}: {e!r}')
        finally:
            proc.kill()
            proc.wait()

    print(f'ok - {len(args.server)} minimal servers x {len(args.client) + len(args.clean_client)} clients, '
          f'{len(args.event_source)} EventSource servers ({checks} checks)')


if __name__ == '__main__':
    main()
