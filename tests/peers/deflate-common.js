// deflate-common.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the permessage-deflate node peers share: the scenarios (ws's
// perMessageDeflate option) and the messages its client sends.
'use strict';

const crypto = require('crypto');
const path = require('path');

const SCENARIOS = ['default', 'takeover', 'no-takeover', 'window-bits', 'window-8'];

const TEXT_SIZE = 100 * 1024;
const BINARY_SIZE = 10 * 1024 * 1024;
const WORDS = ['alpha', 'b\u00e9ta', '\u03b3\u03ac\u03bc\u03bc\u03b1', 'delta\u2713', '\u{1F600}',
  'echo', 'foxtrot', 'golf', 'h\u00f4tel', '\u4e2d\u6587', '\u0000', 'kilo'];

// ws's perMessageDeflate option for @scenario.
function deflateOptions (scenario, server) {
  switch (scenario) {
    case 'default':
    case 'takeover':   // ws's defaults; our side keeps its compressor's context
      return true;
    case 'no-takeover':
      return { serverNoContextTakeover: true, clientNoContextTakeover: true };
    case 'window-bits':
      // A server accepts what the client asks for.
      return server ? {} : { serverMaxWindowBits: 11, clientMaxWindowBits: true };
    case 'window-8':
      // The peer inflates what we send with windowBits 8.
      return server ? {} : { serverMaxWindowBits: 8, clientMaxWindowBits: true };
    default:
      fail(`unknown scenario ${scenario}`);
  }
}

// '' as text and binary, 100 KB of text, 10 MB of random bytes; each
// { data: Buffer, binary }.
function messages () {
  const words = [];
  let size = 0;
  let seed = 7692;
  while (size < TEXT_SIZE) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const word = WORDS[seed % WORDS.length];
    words.push(word);
    size += Buffer.byteLength(word) + 1;
  }
  return [
    { data: Buffer.alloc(0), binary: false },
    { data: Buffer.alloc(0), binary: true },
    { data: Buffer.from(words.join(' '), 'utf8'), binary: false },
    { data: crypto.randomBytes(BINARY_SIZE), binary: true },
  ];
}

function fail (message) {
  process.stderr.write(`${path.basename(process.argv[1])}: ${message}\n`, () => process.exit(1));
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

module.exports = { SCENARIOS, deflateOptions, messages, fail, requireWs };
