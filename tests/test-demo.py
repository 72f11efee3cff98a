#!/usr/bin/python3
# test-demo.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-demo.py SRCDIR: the README's first quick-start command, `bash
# tools/demo`, as a user runs it (PORT=0 picks a free port): it prints the
# URL of the chat, the URL serves the chat's page, and the server stops
# with status 0 on SIGTERM. Registered only when the build directory is
# SRCDIR/build, the one tools/demo uses (then its build step is a no-op).
# TAP output; every wait bounded.
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request

WAIT = 120   # tools/demo checks its packages and runs `meson compile` first


def load_deploy():
    # The TAP helpers of test-deploy.py (its file name is not a module name).
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'deploy', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test-deploy.py'))
    deploy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deploy)
    return deploy


deploy = load_deploy()
tap = deploy.tap
results = deploy.results


def main():
    srcdir = sys.argv[1]
    env = dict(os.environ, PORT='0')
    proc = subprocess.Popen(['bash', 'tools/demo'], cwd=srcdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out = b''
        url = None
        deadline = time.monotonic() + WAIT
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                m = re.search(rb'listening on (http://127\.0\.0\.1:\d+/)\n', out)
                if m:
                    url = m.group(1).decode()
        tap(url is not None, 'tools/demo prints the URL of the chat', out.decode(errors='replace'))
        if url is not None:
            # Straight to 127.0.0.1, whatever http_proxy says.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(url, timeout=10) as response:
                body = response.read().decode()
                tap(response.status == 200 and 'text/html' in response.headers['Content-Type']
                    and 'new WebSocket' in body and 'new EventSource' in body,
                    'the URL serves the chat page (a WebSocket and an EventSource)', body[:200])
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(10)
            tap(code == 0, 'SIGTERM stops it with status 0', f'exit status {code}')
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f'1..{len(results)}', flush=True)
    return 0 if results and all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
