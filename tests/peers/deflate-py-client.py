#!/usr/bin/python3
# deflate-py-client.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# A python3-websockets (asyncio API) client with permessage-deflate:
#   deflate-py-client.py ws://127.0.0.1:PORT/ SCENARIO
# Prints "extensions: <Sec-WebSocket-Extensions of the response>", sends ""
# as text and as binary, 100 KB of text and 10 MB of random bytes, checks
# every echo, closes with 1000 and prints "ok". Exits 1 with a message on
# stderr otherwise; gives up after 60 s.
import asyncio
import sys

import websockets

from deflate_common import SCENARIOS, connect_kwargs, die, messages


def describe(msg):
    return "%s of %d" % ("text" if isinstance(msg, str) else "binary", len(msg))


async def main(url, scenario):
    async with websockets.connect(url, max_size=None, **connect_kwargs(scenario, server=False)) as ws:
        print("extensions: %s" % ws.response_headers.get("Sec-WebSocket-Extensions"), flush=True)
        for msg in messages():
            await ws.send(msg)
            got = await ws.recv()
            if type(got) is not type(msg) or got != msg:
                die("sent %s, got back %s" % (describe(msg), describe(got)))
    if ws.close_code != 1000:
        die("closed with %s" % ws.close_code)
    print("ok", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        die("usage: deflate-py-client.py URL %s" % "|".join(SCENARIOS))
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), 60))
    except asyncio.TimeoutError:
        die("timed out")
