#!/usr/bin/python3
# py-echo-server.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# A python3-websockets (asyncio API) echo server for fws-glib's client:
#   py-echo-server.py [SUBPROTOCOL...]      (default: echo)
# Listens on 127.0.0.1 at a free port, prints "listening on PORT", echoes
# every message with its type. On the text "please close" it closes with
# 4003 "peer bye". Exits when its parent goes away, and after 120 s anyway.
import asyncio
import os
import sys

import websockets

LIFETIME = 120


async def handler(ws):
    try:
        async for msg in ws:
            if msg == "please close":
                await ws.close(code=4003, reason="peer bye")
                return
            await ws.send(msg)
    except websockets.exceptions.ConnectionClosed:
        # A close code other than 1000/1001 ends the iteration this way.
        pass


async def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


async def main(protocols):
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=protocols,
                                max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print("listening on %d" % port, flush=True)
        try:
            await asyncio.wait_for(watch_parent(), LIFETIME)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["echo"]))
