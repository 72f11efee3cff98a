# deflate_common.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the permessage-deflate Python peers share: the scenarios (how the
# peer configures permessage-deflate) and the messages its client sends.
import os
import random
import sys

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

SCENARIOS = ("default", "takeover", "no-takeover", "window-bits", "window-8")

TEXT_SIZE = 100 * 1024
BINARY_SIZE = 10 * 1024 * 1024

WORDS = ["alpha", "b\u00e9ta", "\u03b3\u03ac\u03bc\u03bc\u03b1", "delta\u2713", "\U0001f600",
         "echo", "foxtrot", "golf", "h\u00f4tel", "\u4e2d\u6587", "\x00", "kilo"]


def connect_kwargs(scenario, server):
    """websockets' keyword arguments for permessage-deflate in @scenario."""
    if scenario in ("default", "takeover"):
        # websockets' own defaults (server: window bits 12 both ways); in
        # takeover our side keeps its compressor's context.
        return {"compression": "deflate"}
    if scenario == "no-takeover":
        factory = ServerPerMessageDeflateFactory if server else ClientPerMessageDeflateFactory
        ext = factory(server_no_context_takeover=True, client_no_context_takeover=True)
    elif scenario == "window-bits":
        if server:
            # Accepts what the client asks for.
            ext = ServerPerMessageDeflateFactory()
        else:
            ext = ClientPerMessageDeflateFactory(server_max_window_bits=11, client_max_window_bits=True)
    elif scenario == "window-8":
        # The peer inflates what we send with a real 8-bit window
        # (zlib.decompressobj(wbits=-8)); its own compressor keeps 15.
        if server:
            ext = ServerPerMessageDeflateFactory()
        else:
            ext = ClientPerMessageDeflateFactory(server_max_window_bits=8, client_max_window_bits=True)
    else:
        die("unknown scenario %r" % scenario)
    return {"compression": None, "extensions": [ext]}


def messages():
    """"" as text and binary, 100 KB of text, 10 MB of random bytes."""
    rng = random.Random(7692)
    parts = []
    size = 0
    while size < TEXT_SIZE:
        word = rng.choice(WORDS)
        parts.append(word)
        size += len(word.encode("utf-8")) + 1
    text = " ".join(parts)
    return ["", b"", text, os.urandom(BINARY_SIZE)]


def die(message):
    print("%s: %s" % (os.path.basename(sys.argv[0]), message), file=sys.stderr, flush=True)
    sys.exit(1)
