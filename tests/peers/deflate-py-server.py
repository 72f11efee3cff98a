#!/usr/bin/python3
# deflate-py-server.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# A python3-websockets (asyncio API) echo server with permessage-deflate:
#   deflate-py-server.py SCENARIO      (default, no-takeover, window-bits, window-8)
# Listens on 127.0.0.1 at a free port, prints "listening on PORT", echoes
# every message with its type. Exits when its parent goes away, and after
# 120 s anyway.
import asyncio
import os
import sys

import websockets

from deflate_common import SCENARIOS, connect_kwargs, die

LIFETIME = 120


async def handler(ws):
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.exceptions.ConnectionClosed:
        pass


async def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


async def main(scenario):
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None,
                                **connect_kwargs(scenario, server=True)) as server:
        port = server.sockets[0].getsockname()[1]
        print("listening on %d" % port, flush=True)
        try:
            await asyncio.wait_for(watch_parent(), LIFETIME)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        die("usage: deflate-py-server.py %s" % "|".join(SCENARIOS))
    asyncio.run(main(sys.argv[1]))
