#!/usr/bin/node
// sse-channel-server.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// An event-stream server nobody here wrote: the npm package sse-channel
// (4.x) on node's http server, which sends the stream with
// Transfer-Encoding: chunked and Content-Type: text/event-stream;charset=UTF-8,
// and replays the events a client missed from the Last-Event-ID it sends.
//   node sse-channel-server.js SSE_CHANNEL_MODULE_DIR
// Listens on 127.0.0.1 at a free port and prints "READY <port>". At
// /events:
//   - the first client gets retry: 200, then events 1, 2 (type "tick",
//     two data lines) and 3, and the response ends (the last chunk; the
//     connection is kept alive, as node does);
//   - while nobody is connected the channel sends events 4 and 5 (type
//     "tick"), which only its history keeps;
//   - a client that comes back gets what it missed after its Last-Event-ID
//     (sse-channel's replay), then one event of type "hello" whose data
//     says which Last-Event-ID the request carried.
// Anything else is a 404. Exits after 60 s at most.
'use strict';

const http = require('http');

function fail (message) {
  process.stderr.write(`sse-channel-server.js: ${message}\n`);
  process.exit(1);
}

if (process.argv.length !== 3)
  fail('usage: node sse-channel-server.js SSE_CHANNEL_MODULE_DIR');

let SseChannel;
try {
  SseChannel = require(process.argv[2]);
} catch (e) {
  fail(`cannot load the npm package sse-channel from ${process.argv[2]} (${e.message}); ` +
       'install it with: npm install --prefix BUILDDIR/tests --no-save --no-package-lock sse-channel@4.0.2');
}

const channel = new SseChannel({ retryTimeout: 200, historySize: 100, pingInterval: 60000 });
let connects = 0;
let disconnects = 0;

channel.on('connect', (ch, req, res) => {
  connects++;
  if (connects === 1) {
    channel.send({ id: 1, data: 'one' });
    channel.send({ id: 2, event: 'tick', data: 'line a\nline b' });
    channel.send({ id: 3, data: 'three' });
    res.end();
  } else {
    const seen = req.headers['last-event-id'];
    channel.send({ event: 'hello', data: `last-event-id=${seen === undefined ? '(none)' : seen}` }, [res]);
  }
});

channel.on('disconnect', () => {
  disconnects++;
  if (disconnects === 1) {
    channel.send({ id: 4, data: 'four' });
    channel.send({ id: 5, event: 'tick', data: 'five' });
  }
});

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/events') {
    channel.addClient(req, res);
    return;
  }
  res.writeHead(404);
  res.end();
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});

setTimeout(() => {
  channel.close();
  server.close();
  process.exit(0);
}, 60000).unref();
setTimeout(() => process.exit(0), 60000);
