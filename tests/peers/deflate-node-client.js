#!/usr/bin/node
// deflate-node-client.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// A node ws client with permessage-deflate:
//   node deflate-node-client.js ws://127.0.0.1:PORT/ SCENARIO
// Prints "extensions: <Sec-WebSocket-Extensions of the response>", sends ''
// as text and as binary, 100 KB of text and 10 MB of random bytes, checks
// every echo, closes with 1000 and prints "ok". Exits 1 with a message on
// stderr otherwise; gives up after 60 s.
'use strict';

const { SCENARIOS, deflateOptions, messages, fail, requireWs } = require('./deflate-common.js');
const WebSocket = requireWs();

if (process.argv.length !== 4 || !SCENARIOS.includes(process.argv[3]))
  fail(`usage: node deflate-node-client.js URL ${SCENARIOS.join('|')}`);

setTimeout(() => fail('timed out'), 60000).unref();

const steps = messages();
const ws = new WebSocket(process.argv[2], {
  maxPayload: 0,
  perMessageDeflate: deflateOptions(process.argv[3], false),
});
let step = 0;

function describe (data, binary) {
  return `${binary ? 'binary' : 'text'} of ${data.length}`;
}

function sendStep () {
  const s = steps[step];
  ws.send(s.binary ? s.data : s.data.toString('utf8'), { binary: s.binary });
}

ws.on('upgrade', (res) => {
  process.stdout.write(`extensions: ${res.headers['sec-websocket-extensions']}\n`);
});

ws.on('open', sendStep);

ws.on('message', (data, isBinary) => {
  const s = steps[step];
  if (isBinary !== s.binary || !data.equals(s.data))
    return fail(`sent ${describe(s.data, s.binary)}, got back ${describe(data, isBinary)}`);
  step++;
  if (step < steps.length)
    return sendStep();
  ws.close(1000);
});

ws.on('close', (code) => {
  if (step !== steps.length)
    return fail(`closed with ${code} after ${step} messages`);
  if (code !== 1000)
    return fail(`closed with ${code}`);
  process.stdout.write('ok\n', () => process.exit(0));
});

ws.on('error', (err) => fail(err.message));
