#!/usr/bin/node
// node-client.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// A node ws client for fws-glib's server:
//   node node-client.js ws://127.0.0.1:PORT/
// Offers the subprotocols "nope" and "echo", expects "echo", sends the
// scripted messages, checks every echo byte for byte and type, pings, then
// closes with 4001 "done" and checks that the closing handshake completed.
// Exits 0 on success, 1 with a message on stderr otherwise.
'use strict';

const { UNICODE_TEXT, BINARY_SIZES, PING_PAYLOAD, pattern, fail, requireWs } = require('./interop-common.js');
const WebSocket = requireWs();

const OVERALL_TIMEOUT_MS = 30000;

if (process.argv.length !== 3)
  fail('usage: node node-client.js ws://HOST:PORT/');

setTimeout(() => fail('timed out'), OVERALL_TIMEOUT_MS).unref();

// Each step: what to send, and whether it is binary.
const steps = [
  { data: Buffer.from('hello', 'utf8'), binary: false },
  { data: Buffer.from(UNICODE_TEXT, 'utf8'), binary: false },
  ...BINARY_SIZES.map((size) => ({ data: pattern(size), binary: true })),
];

function describe (data, binary) {
  return binary ? `binary of ${data.length} bytes` : `text of ${data.length} bytes '${data.toString('utf8', 0, Math.min(data.length, 40))}'`;
}

const ws = new WebSocket(process.argv[2], ['nope', 'echo']);
let step = 0;
let closeStarted = 0;
let closing = false;

function sendStep () {
  const s = steps[step];
  ws.send(s.binary ? s.data : s.data.toString('utf8'), { binary: s.binary });
}

ws.on('open', () => {
  if (ws.protocol !== 'echo')
    return fail(`negotiated subprotocol '${ws.protocol}', expected 'echo'`);
  sendStep();
});

ws.on('message', (data, isBinary) => {
  if (closing)
    return fail('a message arrived after close()');
  const s = steps[step];
  if (isBinary !== s.binary || !Buffer.isBuffer(data) || !data.equals(s.data))
    return fail(`sent ${describe(s.data, s.binary)}, got back ${describe(data, isBinary)}`);
  step++;
  if (step < steps.length)
    return sendStep();
  ws.ping(PING_PAYLOAD);
});

ws.on('pong', (payload) => {
  if (!payload.equals(PING_PAYLOAD))
    return fail(`pong payload '${payload}', expected '${PING_PAYLOAD}'`);
  closing = true;
  closeStarted = Date.now();
  ws.close(4001, 'done');
});

ws.on('error', (err) => fail(`error: ${err.message}`));

ws.on('close', (code, reason) => {
  // ws reports the code and reason of the close frame it received, and
  // emits 'close' once the TCP connection has ended. Without the server
  // ending it, ws would wait 30 s, past our own timeout.
  if (!closing)
    return fail(`closed before the script finished: ${code} '${reason}'`);
  if (code !== 4001 || reason.toString() !== 'done')
    return fail(`the server answered close with ${code} '${reason}', expected 4001 'done'`);
  const elapsed = Date.now() - closeStarted;
  if (elapsed > 9000)
    return fail(`the closing handshake took ${elapsed} ms`);
  process.exit(0);
});
