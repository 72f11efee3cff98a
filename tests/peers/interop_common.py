# interop_common.py — SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the Python peers share with tests/test-interop.c and the node peers:
# the scripted messages and their deterministic content.
import hashlib
import os
import sys

# Text with non-ASCII characters (2, 3 and 4 UTF-8 bytes) and U+0000.
UNICODE_TEXT = "h\u00e9llo w\u00f6rld \u2713 \U0001d11e \x00 after nul \u4e2d\u6587"

BINARY_SIZES = [0, 1, 125, 126, 65535, 65536, 4 * 1024 * 1024]

PING_PAYLOAD = b"interop-ping"


def pattern(size):
    """SHA-256 in counter mode: block k is sha256("fws-interop SIZE K")."""
    blocks = (size + 31) // 32
    out = b"".join(hashlib.sha256(b"fws-interop %d %d" % (size, k)).digest()
                   for k in range(blocks))
    return out[:size]


class Failure(Exception):
    """A check failed; the message says what was expected and what came."""


def fail(message):
    raise Failure(message)


def die(message):
    print("%s: %s" % (os.path.basename(sys.argv[0]), message), file=sys.stderr, flush=True)
    sys.exit(1)
