#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpora of the fuzz targets: fuzz/corpus/<target>/<name>.

The seeds are the unit tests' vectors (tests/test-ws-codec.c, test-driver.c,
test-deflate.c, test-hixie.c, test-handshake.c, test-extensions.c,
test-sse.c, test-sse-parser.c, test-http.c), framed the way each target reads its input
(see the comment at the top of each fuzz-*.c): most targets take a split
byte and a flags byte first. The hex frame vectors are read from tests/test-ws-codec.c itself; the
rest is written out here.

    python3 fuzz/make-corpus.py [OUTDIR]     (default: fuzz/corpus)

The output is deterministic; the directory is replaced.
"""
import os
import re
import shutil
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, '..', 'tests')
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])   # the tests' mask key

# ---- Frames ----

def frame(opcode, payload=b'', fin=True, rsv=0, mask=None):
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    m = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes([b0, m | n])
    elif n < 65536:
        head = bytes([b0, m | 126]) + struct.pack('>H', n)
    else:
        head = bytes([b0, m | 127]) + struct.pack('>Q', n)
    if mask is None:
        return head + payload
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def deflate(data, wbits=15):
    """A permessage-deflate payload: raw deflate, sync flush, tail removed."""
    c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b'\x00\x00\xff\xff')
    return out[:-4]


def close_payload(code, reason=b''):
    return struct.pack('>H', code) + reason


def hex_vectors(path):
    """Every "xx xx ..." string literal of a test file, as bytes."""
    text = open(path, encoding='utf-8').read()
    found = []
    for m in re.finditer(r'"((?:[0-9a-f]{2} )+[0-9a-f]{2})"', text):
        b = bytes.fromhex(m.group(1))
        if b not in found:
            found.append(b)
    return found


def conversation(mask):
    """Frame sequences of the driver tests and RFC 6455 / RFC 7692, from
    the peer (masked when @mask)."""
    hello_z = bytes.fromhex('f2 48 cd c9 c9 07 00')   # RFC 7692 7.2.3.1
    seqs = {
        'text': frame(1, b'Hello', mask=mask),
        'binary': frame(2, bytes(range(16)), mask=mask),
        'fragmented': frame(1, b'Hel', fin=False, mask=mask) + frame(9, b'', mask=mask)
                      + frame(0, b'lo', mask=mask),
        'ping-pong': frame(9, b'Hello', mask=mask) + frame(10, b'Hello', mask=mask),
        'close': frame(1, b'Hi', mask=mask) + frame(8, close_payload(1000, b'bye'), mask=mask),
        'close-empty': frame(8, b'', mask=mask),
        'close-bad': frame(8, close_payload(1000, b'\xc3\x28'), mask=mask),
        'utf8': frame(1, 'héllo ✓'.encode(), mask=mask)
                + frame(1, b'\xc3', fin=False, mask=mask) + frame(0, b'\xa9', mask=mask),
        'medium': frame(2, b'x' * 200, mask=mask),
        'deflate-hello': frame(1, hello_z, rsv=0x40, mask=mask),
        'deflate-takeover': frame(1, hello_z, rsv=0x40, mask=mask)
                            + frame(1, bytes.fromhex('f2 00 11 00 00'), rsv=0x40, mask=mask),
        'deflate-fragmented': frame(1, hello_z[:3], fin=False, rsv=0x40, mask=mask)
                              + frame(0, hello_z[3:], mask=mask),
        'deflate-binary': frame(2, deflate(bytes(range(256)) * 2), rsv=0x40, mask=mask),
        'deflate-bomb': frame(2, deflate(b'\0' * 100000), rsv=0x40, mask=mask),
        'deflate-corrupt': frame(1, b'\xff\xff\xff\xff\x12\x34', rsv=0x40, mask=mask),
        'deflate-bad-utf8': frame(1, deflate(b'\xc3\x28 not UTF-8'), rsv=0x40, mask=mask),
        'deflate-window8': frame(1, deflate(b'abcabcabc' * 30, wbits=9), rsv=0x40, mask=mask),
    }
    return seqs

# ---- Hixie ----

HIXIE_FRAMES = [   # tests/test-hixie.c
    '00 48 65 6c 6c 6f ff',
    '00 48 65 6c 6c 6f ff 00 48 65 6c 6c 6f ff',
    '66 48 65 6c 6c 6f ff',
    '80 02 48 65 00 48 65 6c 6c 6f ff',
    '00 41 70 70 6c 65 20 3d 20 ef a3 bf ff',
    '00 48 69 ff ff 00 00 48 69 ff',
    '80 03 01 02 03 00 48 69 ff',
    '80 81 01 41 00 48 69 ff',
    '00 61 c3 28',
    '00 61 c3 ff',
    '00 48 65 6c',
]
HIXIE_KEYS = [
    b'1   38 wZ3f9 23O0 3l 0r', b'27   0E 6 2  1665:< ;U 1H',
    b'2 L785 8o% s9Sy9@V. 4<1P5', b'12345', b'  ab  ', b'4294967296 ',
    b'4294967295 ', b'1 8446744073709551616000000',
]
KEY3 = bytes([0x91, 0x25, 0x3E, 0xD3, 0xA9, 0xE7, 0x6A, 0x88])

# ---- HTTP heads ----

REQUESTS = [
    # RFC 6455 1.3 and tests/test-handshake.c
    b'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n'
    b'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
    b'Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n'
    b'Sec-WebSocket-Version: 13\r\n\r\n',
    b'GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\n'
    b'Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: JFBCWHksyIpXV+6Wlq/9pw==\r\n'
    b'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b, chat\r\n'
    b'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: [::1]:443\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n'
    b'Sec-WebSocket-Key: JFBCWHksyIpXV+6Wlq/9pw==\r\nSec-WebSocket-Version: 7\r\n'
    b'X-Forwarded-Proto: https\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    b'Sec-WebSocket-Key: JFBCWHksyIpXV+6Wlq/9pw==\r\nSec-WebSocket-Version: 13\r\n'
    b'Sec-WebSocket-Extensions: x-webkit- -frame\r\n\r\n',
    # hixie-75 and hixie-76 (tests/test-hixie.c)
    b'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n'
    b'Origin: http://example.com\r\n\r\n',
    b'GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n'
    b'Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n'
    b'Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n'
    b'Origin: http://example.com\r\n\r\n^n:ds[4U',
    # EventSource (tests/test-sse.c)
    b'GET /events HTTP/1.0\r\nHost: localhost:8000\r\nAccept: text/html, text/event-stream\r\n'
    b'Last-Event-ID: 42\r\n\r\n',
    # test-handshake.c reader cases
    b'\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nrest',
    b'GET / HTTP/1.1\nHost: a\n\n',
    b'GET / HTTP/1.1\rX\r\n\r\n',
    b'GET / HTTP/1.1\r\n' + b''.join(b'X-Header-%d: %d\r\n' % (i, i) for i in range(10)) + b'\r\n',
]
RESPONSES = [
    b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    b'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n',
    b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
    b'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'
    b'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n\x81\x02Hi',
    b'HTTP/1.1 101 \r\nUpgrade: WebSocket\r\nConnection: keep-alive, upgrade\r\n'
    b'Sec-WebSocket-Accept: wrong\r\n\r\n',
    b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
    b'HTTP/1.1 302 Found\r\nLocation: ws://user:p%40ss@[fe80::1%25eth0]:8080/a b?q=1#f\r\n\r\n',
    b'HTTP/1.1 301 Moved\r\nLocation: wss://example.com/path?x=%0d%0a\r\nX-Extra: 1\r\n'
    b'Sec-WebSocket-Key: nope\r\nAuthorization: x\r\n\r\n',
    b'\r\nHTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n',
    b'ICY 200 OK\r\n\r\n',
]

# ---- Extension headers (tests/test-extensions.c, test-deflate.c) ----

EXTENSION_HEADERS = [
    b'', b'a,', b'a', b'a, b', b'a; b', b'a; b=1', b'a; b="hi, \\"there"',
    b'a; b; c=1; d="hi"', b'a; b=1, c, b; d, c; e="hi, there"; e, a; b',
    b'a; b=010', b'a; b=-3', b'a; b=1.5', b'a; b=1.', b'a; b="10"',
    b'a; b=99999999999999999999', b'a; b="x\\\\y\\z"', b'a; b="tab\there"',
    b'a; b=""', b'  a ;b =1 ,\tc\t; d  ', b'x-webkit- -frame',
    b'permessage-deflate', b'permessage-deflate; client_max_window_bits',
    b'permessage-deflate; client_max_window_bits; server_max_window_bits=12',
    b'permessage-deflate; client_no_context_takeover; server_no_context_takeover',
    b'permessage-deflate; client_max_window_bits=8, permessage-deflate',
    b'permessage-deflate; server_max_window_bits=20',
    b'permessage-deflate; server_max_window_bits="10"; x=1',
    b'permessage-deflate;',
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'corpus')
    if os.path.isdir(out):
        shutil.rmtree(out)
    seeds = {}

    def add(target, name, data):
        seeds.setdefault(target, {})[name] = data

    # Codec: every frame vector of tests/test-ws-codec.c, as it is (flags 0x40:
    # RSV1 allowed), plus the conversations, whole and split.
    for i, v in enumerate(hex_vectors(os.path.join(TESTS, 'test-ws-codec.c'))):
        for role in ('server', 'client'):
            add('fuzz-ws-codec-' + role, 'test-ws-codec-%03d' % i, bytes([0, 0x40]) + v)
    for role, mask in (('server', MASK), ('client', None)):
        for name, seq in conversation(mask).items():
            if name == 'deflate-bomb':
                continue
            add('fuzz-ws-codec-' + role, name, bytes([0, 0x40]) + seq)
        add('fuzz-ws-codec-' + role, 'split-1', bytes([1, 0x01]) + conversation(mask)['fragmented'])
        add('fuzz-ws-codec-' + role, 'split-7-stop', bytes([7, 0x04]) + conversation(mask)['close'])

    # Drivers: conversations under each handshake kind.
    for role, mask in (('server', MASK), ('client', None)):
        target = 'fuzz-driver-' + role
        for name, seq in conversation(mask).items():
            add(target, name, bytes([0, 0x08 | 1]) + seq)          # deflate, echo
        add(target, 'no-ext', bytes([0, 0x08]) + conversation(mask)['close'])
        add(target, 'kind2-split', bytes([5, 0x08 | 2]) + conversation(mask)['deflate-takeover'])
        add(target, 'kind3-close-on-second', bytes([0, 0x10 | 3]) + conversation(mask)['deflate-takeover']
            + conversation(mask)['close'])
        add(target, 'kind4-small', bytes([0, 0x20 | 4]) + conversation(mask)['deflate-window8'])
        add(target, 'lowered-limit', bytes([3, 0x40 | 1]) + conversation(mask)['deflate-binary'])
        add(target, 'queued', bytes([0, 0x80 | 0x08 | 1]) + conversation(mask)['text'])
    for i, h in enumerate(HIXIE_FRAMES):
        add('fuzz-driver-server', 'hixie75-%02d' % i, bytes([0, 0x08 | 5]) + bytes.fromhex(h))
        add('fuzz-driver-server', 'hixie76-%02d' % i, bytes([0, 0x08 | 6]) + KEY3 + bytes.fromhex(h))
    add('fuzz-driver-server', 'hixie76-close', bytes([2, 6]) + KEY3 + b'\x00Hi\xff\xff\x00')
    add('fuzz-driver-client', 'raw-response',
        bytes([0, 7]) + b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
        b'Connection: Upgrade\r\nSec-WebSocket-Accept: QV3I5XUXU2CdhtjixE7QCkCcMZM=\r\n'
        b'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n'
        + conversation(None)['deflate-hello'])

    # Hixie parsers and keys.
    for i, h in enumerate(HIXIE_FRAMES):
        add('fuzz-hixie', 'frames-%02d' % i, bytes([0, 0]) + bytes.fromhex(h))
    add('fuzz-hixie', 'byte-at-a-time', bytes([1, 0]) + b'\x00Hello\xff\x81\x01Z\x00Apple\xff')
    add('fuzz-hixie', 'limit-3', bytes([0, 1]) + bytes.fromhex('80 03 01 02 03 00 48 69 ff 80 04'))
    add('fuzz-hixie', 'stop', bytes([0, 4]) + bytes.fromhex('00 48 69 ff 00 48 69 ff'))
    add('fuzz-hixie', 'endless-length', bytes([0, 0]) + b'\x80' + b'\xff' * 40)
    for i, k in enumerate(HIXIE_KEYS):
        add('fuzz-hixie', 'key-%02d' % i, bytes([0, 0]) + k)

    # Handshakes.
    for i, r in enumerate(REQUESTS):
        add('fuzz-handshake-server', 'request-%02d' % i, bytes([0, 0]) + r)
    add('fuzz-handshake-server', 'request-split', bytes([3, 0]) + REQUESTS[1])
    add('fuzz-handshake-server', 'request-small-limits', bytes([0, 1]) + REQUESTS[-1])
    for i, r in enumerate(RESPONSES):
        add('fuzz-handshake-client', 'response-%02d' % i, bytes([0, 0]) + r)
    add('fuzz-handshake-client', 'response-split', bytes([1, 0]) + RESPONSES[1])

    # Extension headers.
    for i, h in enumerate(EXTENSION_HEADERS):
        add('fuzz-extensions', 'header-%02d' % i, h)

    # EventSource events: event length, id length, event, id, data.
    def sse(event, id, data):
        return (bytes([255 if event is None else len(event), 255 if id is None else len(id)])
                + (event or b'') + (id or b'') + data)
    add('fuzz-sse', 'plain', sse(None, None, b'hello'))
    add('fuzz-sse', 'event-id', sse(b'update', b'42', b'line 1\nline 2\r\nline 3\rline 4'))
    add('fuzz-sse', 'empty-id', sse(b'x', b'', b''))
    add('fuzz-sse', 'trailing-newline', sse(None, b'7', b'a\n'))
    add('fuzz-sse', 'nul-data', sse(b'e', None, b'a\x00b'))
    add('fuzz-sse', 'bad-event', sse(b'a\rb', None, b'x'))
    add('fuzz-sse', 'bad-utf8', sse(None, None, b'\xc3\x28'))
    add('fuzz-sse', 'accept', sse(None, None, b'text/html, text/event-stream ;q=1,\ttext/event-stream\t'))
    add('fuzz-sse', 'header', sse(b'X-Custom', b'yes', b''))

    # EventSource streams (tests/test-sse-parser.c): split byte, flags
    # (caps, initial last event ID), then the stream.
    streams = {
        'bom': b'\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n\n',
        'comments': b'data:1\r:\x00\n:\r\ndata:2\n:xxxx\rdata:3\n:data:fail\r:xxxx\ndata:4\n\n',
        'fields': b'data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\r'
                  b'data_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n',
        'event-id-retry': b'event:e\nid: \xe2\x80\xa6\nretry: 200\ndata: hello\n\nid:\x00\ndata:x\n\n'
                          b'retry:1x\nid:7\n\nevent\ndata\n\n',
        'newlines': b'data:test\r\ndata\ndata:test\r\n\r\ndata:a\n\rdata:b\r\r\n',
        'utf8': b'data:ok\xe2\x80\xa6\xff\xc3(\xe0\x80\x80\xed\xa0\x80\xf0\x9f\x98\ndata:\xac\n\n',
        'unfinished': b'retry:1000\ndata:test1\n\nid:test\ndata:test2\n',
    }
    for name, stream in streams.items():
        add('fuzz-sse-parser', name, bytes([0, 0]) + stream)
    add('fuzz-sse-parser', 'split-3-prev', bytes([3, 0x10]) + streams['event-id-retry'])
    add('fuzz-sse-parser', 'small-line', bytes([0, 1]) + streams['comments'])
    add('fuzz-sse-parser', 'small-event', bytes([1, 0x04]) + b'data:aa\ndata:bb\n\ndata:abc\n\n')

    # Chunked bodies (tests/test-http.c): split byte, flags (caps, and how
    # the round trip encodes), then the body.
    chunked = {
        'one-chunk': b'5\r\nhello\r\n0\r\n\r\n',
        'chunks': b'3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n',
        'lf': b'5\nhello\n0\n\n',
        'extensions': b'5 \t;name=value\r\nhello\r\n0;last\r\n\r\n',
        'trailers': b'1\r\na\r\n0\r\nX-A: 1\r\nX-B: two\r\n\r\nHTTP/1.1',
        'largest': b'ffffffffffffffff\r\nab',
        'overflow': b'10000000000000000\r\n',
        'bad': b'5\r\nhello!\r\n',
        'events': b'7\r\ndata: a\r\n3\r\n\n\n\r\n0\r\n\r\n',
    }
    for name, body in chunked.items():
        add('fuzz-chunked', name, bytes([0, 0x70]) + body)
    add('fuzz-chunked', 'small-caps', bytes([2, 0x0a]) + b'0005\r\nhello\r\n0\r\nab\r\ncd\r\n\r\n')

    total = 0
    for target, files in sorted(seeds.items()):
        d = os.path.join(out, target)
        os.makedirs(d)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)
            total += len(data)
    print('%d seeds, %d bytes, in %s' % (sum(len(f) for f in seeds.values()), total, out))


if __name__ == '__main__':
    main()
