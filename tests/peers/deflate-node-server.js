#!/usr/bin/node
// deflate-node-server.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// A node ws echo server with permessage-deflate:
//   node deflate-node-server.js SCENARIO      (default, no-takeover, window-bits, window-8)
// Listens on 127.0.0.1 at a free port, prints "listening on PORT", echoes
// every message with its type. Exits when its parent goes away, and after
// 120 s anyway.
'use strict';

const { SCENARIOS, deflateOptions, fail, requireWs } = require('./deflate-common.js');
const { WebSocketServer } = requireWs();

const LIFETIME_MS = 120000;

if (process.argv.length !== 3 || !SCENARIOS.includes(process.argv[2]))
  fail(`usage: node deflate-node-server.js ${SCENARIOS.join('|')}`);

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 0,
  perMessageDeflate: deflateOptions(process.argv[2], true),
});

wss.on('listening', () => {
  process.stdout.write(`listening on ${wss.address().port}\n`);
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', (err) => process.stderr.write(`deflate-node-server.js: ${err.message}\n`));
});

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent)
    process.exit(0);
}, 500);
setTimeout(() => process.exit(0), LIFETIME_MS);
