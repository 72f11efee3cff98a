#!/usr/bin/node
// node-echo-server.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// A node ws echo server for fws-glib's client:
//   node node-echo-server.js [SUBPROTOCOL...]      (default: echo)
// Listens on 127.0.0.1 at a free port, prints "listening on PORT", echoes
// every message with its type. On the text "please close" it closes with
// 4003 "peer bye". Exits when its parent goes away, and after 120 s anyway.
'use strict';

const { requireWs } = require('./interop-common.js');
const { WebSocketServer } = requireWs();

const LIFETIME_MS = 120000;
const supported = process.argv.length > 2 ? process.argv.slice(2) : ['echo'];

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  // The first protocol the client offered that we support, in its order.
  handleProtocols: (protocols) => {
    for (const p of protocols)
      if (supported.includes(p))
        return p;
    return false;
  },
});

wss.on('listening', () => {
  process.stdout.write(`listening on ${wss.address().port}\n`);
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString('utf8') === 'please close')
      ws.close(4003, 'peer bye');
    else
      ws.send(data, { binary: isBinary });
  });
  ws.on('error', (err) => process.stderr.write(`node-echo-server.js: ${err.message}\n`));
});

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent)
    process.exit(0);
}, 500);
setTimeout(() => process.exit(0), LIFETIME_MS);
