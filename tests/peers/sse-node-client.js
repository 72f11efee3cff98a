#!/usr/bin/node
// sse-node-client.js — SPDX-License-Identifier: LGPL-2.1-or-later
//
// The npm package eventsource (2.x, CommonJS) as an EventSource client of
// fws-glib's server:
//   node sse-node-client.js http://127.0.0.1:PORT/events COUNT EVENTSOURCE_MODULE_DIR
// Records every open and event (the same records as the page that
// sse-chromium.py drives), and once COUNT are there closes the EventSource,
// prints one JSON array per record (["open"] or [type, lastEventId, data])
// and exits 0. Exits 1 with a message on stderr otherwise, after 45 s at
// most.
'use strict';

const TIMEOUT_MS = 45000;

function fail (message) {
  process.stderr.write(`sse-node-client.js: ${message}\n`);
  process.exit(1);
}

if (process.argv.length !== 5)
  fail('usage: node sse-node-client.js http://HOST:PORT/events COUNT EVENTSOURCE_MODULE_DIR');

const [url, countText, moduleDir] = process.argv.slice(2);
const count = parseInt(countText, 10);

let EventSource;
try {
  EventSource = require(moduleDir);
} catch (e) {
  fail(`cannot load the npm package eventsource from ${moduleDir} (${e.message}); ` +
       'install it with: npm install --prefix BUILDDIR/tests --no-save --no-package-lock eventsource@2.0.2');
}

const records = [];
const source = new EventSource(url);

const timer = setTimeout(() => {
  source.close();
  fail(`timed out after ${TIMEOUT_MS} ms with ${records.length} of ${count} records: ${JSON.stringify(records)}`);
}, TIMEOUT_MS);

function record (r) {
  records.push(r);
  if (records.length < count)
    return;
  source.close();
  clearTimeout(timer);
  for (const item of records)
    process.stdout.write(JSON.stringify(item) + '\n');
  process.exit(0);
}

source.onopen = () => record(['open']);
source.onmessage = (e) => record(['message', e.lastEventId, e.data]);
for (const type of ['tick', 'resumed'])
  source.addEventListener(type, (e) => record([type, e.lastEventId, e.data]));
