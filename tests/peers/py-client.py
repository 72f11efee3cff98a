#!/usr/bin/python3
# py-client.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# A python3-websockets (asyncio API) client for fws-glib's server:
#   py-client.py ws://127.0.0.1:PORT/
# Offers the subprotocols "nope" and "echo", expects "echo", sends the
# scripted messages, checks every echo byte for byte and type, pings, then
# closes with 4001 "done" and checks that the closing handshake completed.
# Exits 0 on success, 1 with a message on stderr otherwise.
import asyncio
import os
import sys
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_common import BINARY_SIZES, PING_PAYLOAD, UNICODE_TEXT, Failure, die, fail, pattern  # noqa: E402

import websockets  # noqa: E402

OVERALL_TIMEOUT = 30
STEP_TIMEOUT = 10
CLOSE_TIMEOUT = 10


def describe(msg):
    if isinstance(msg, str):
        return "text of %d characters %r" % (len(msg), msg[:40])
    return "binary of %d bytes" % len(msg)


async def echo(ws, msg):
    await ws.send(msg)
    got = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
    if type(got) is not type(msg):
        fail("sent %s, got back %s" % (describe(msg), describe(got)))
    if got != msg:
        fail("sent %s, got back different %s" % (describe(msg), describe(got)))


async def main(url):
    async with websockets.connect(url, subprotocols=["nope", "echo"], max_size=None,
                                  close_timeout=CLOSE_TIMEOUT, open_timeout=STEP_TIMEOUT) as ws:
        if ws.subprotocol != "echo":
            fail("negotiated subprotocol %r, expected 'echo'" % ws.subprotocol)

        await echo(ws, "hello")
        await echo(ws, UNICODE_TEXT)
        for size in BINARY_SIZES:
            await echo(ws, pattern(size))

        pong = await ws.ping(PING_PAYLOAD)
        await asyncio.wait_for(pong, STEP_TIMEOUT)

        start = time.monotonic()
        await ws.close(code=4001, reason="done")
        elapsed = time.monotonic() - start
        # close() waits for the server's close frame, then for the server to
        # end the TCP connection; it gives up after close_timeout.
        if elapsed >= CLOSE_TIMEOUT - 1:
            fail("the closing handshake took %.1f s: the server did not finish it" % elapsed)
        if ws.close_code != 4001 or ws.close_reason != "done":
            fail("the server answered close with %r %r, expected 4001 'done'"
                 % (ws.close_code, ws.close_reason))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        die("usage: py-client.py ws://HOST:PORT/")
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1]), OVERALL_TIMEOUT))
    except Failure as e:
        die(str(e))
    except asyncio.TimeoutError:
        die("timed out")
    except websockets.exceptions.ConnectionClosed as e:
        die("connection closed unexpectedly: %s" % e)
    except Exception as e:
        die("%s: %s" % (type(e).__name__, e))
    sys.exit(0)
