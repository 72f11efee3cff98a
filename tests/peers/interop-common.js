// interop-common.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the node peers share with tests/test-interop.c and the Python peers:
// the scripted messages and their deterministic content.
'use strict';

const crypto = require('crypto');
const path = require('path');

// Text with non-ASCII characters (2, 3 and 4 UTF-8 bytes) and U+0000.
const UNICODE_TEXT = 'h\u00e9llo w\u00f6rld \u2713 \u{1D11E} \u0000 after nul \u4e2d\u6587';

const BINARY_SIZES = [0, 1, 125, 126, 65535, 65536, 4 * 1024 * 1024];

const PING_PAYLOAD = Buffer.from('interop-ping');

// SHA-256 in counter mode: block k is sha256("fws-interop SIZE K").
function pattern (size) {
  const blocks = [];
  for (let k = 0; k * 32 < size; k++)
    blocks.push(crypto.createHash('sha256').update(`fws-interop ${size} ${k}`).digest());
  return Buffer.concat(blocks).subarray(0, size);
}

function fail (message) {
  process.stderr.write(`${path.basename(process.argv[1])}: ${message}\n`, () => process.exit(1));
  // In case the write callback never runs.
  setTimeout(() => process.exit(1), 1000);
}

// meson sets NODE_PATH=/usr/share/nodejs; fall back to Debian's location.
function requireWs () {
  try {
    return require('ws');
  } catch (e) {
    return require('/usr/share/nodejs/ws');
  }
}

module.exports = { UNICODE_TEXT, BINARY_SIZES, PING_PAYLOAD, pattern, fail, requireWs };
