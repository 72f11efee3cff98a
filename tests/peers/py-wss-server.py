#!/usr/bin/python3
# py-wss-server.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# A python3-websockets (asyncio API) echo server over TLS, for fws-glib's
# client:
#   py-wss-server.py CERT KEY [CLIENT_CA]
# Listens on 127.0.0.1 at a free port and prints "listening on PORT". To
# each client it first sends "hello sni=NAME path=PATH" (NAME is the server
# name the client sent in its TLS ClientHello, or "-"), then echoes every
# message with its type. With CLIENT_CA, clients must present a certificate
# signed by it, and the greeting ends with " client=CN". Exits when its parent goes away, and after 120 s
# anyway.
import asyncio
import os
import ssl
import sys

import websockets

LIFETIME = 120
last_sni = {"name": None}


def sni_callback(ssl_object, server_name, context):
    last_sni["name"] = server_name
    return None


async def handler(ws):
    try:
        greeting = "hello sni=%s path=%s" % (last_sni["name"] or "-", ws.path)
        peer = ws.transport.get_extra_info("peercert")
        if peer:
            subject = dict(item for rdn in peer["subject"] for item in rdn)
            greeting += " client=%s" % subject.get("commonName", "?")
        await ws.send(greeting)
        async for msg in ws:
            await ws.send(msg)
    except websockets.exceptions.ConnectionClosed:
        pass


async def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(0.5)


async def main(cert, key, client_ca):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    context.sni_callback = sni_callback
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print("listening on %d" % port, flush=True)
        try:
            await asyncio.wait_for(watch_parent(), LIFETIME)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print("usage: py-wss-server.py CERT KEY [CLIENT_CA]", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None))
