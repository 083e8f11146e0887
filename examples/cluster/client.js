// @ts-check
'use strict';
// The clients' host of the cluster demo: SOCKETS Request sockets, each sending requests one
// after another through the broker until "stop" arrives on stdin. Every request carries a unique
// id (`<name>.<socket>.<n>`) and the workers answer "<id> handled by <worker>", so each reply can be
// checked against the request it answers: one JSON line per reply on stdout, then a summary.
//
// request() retries an attempt that gets no reply within TIMEOUT_MS (a worker died holding the
// request) by sending it again; the broker's Dealer hands it to a live worker. `correlate: true`
// puts a request-id frame in front of each attempt and drops replies whose id does not match, so
// a late reply to an abandoned attempt can never be returned for a later request; without it the
// Request would have to drop and re-open its broker connection on every timeout.
//
//   node examples/cluster/client.js <frontend> <name> [sockets]   (default 3 sockets)

const readline = require('node:readline');
const { Request } = require('zeromq-napi');
const { errorCode, parseInteger, positionalArgs, reportFailure } = require('../lib/cli.js');

const USAGE = 'node examples/cluster/client.js <frontend> <name> [sockets]   (default 3)';
const TIMEOUT_MS = 1000;
const RETRIES = 5;

async function main() {
  const [endpoint, name, socketsText = '3'] = positionalArgs(USAGE, 3);
  if (endpoint === undefined || name === undefined) {
    process.stderr.write(`usage: ${USAGE}\n`);
    process.exit(2);
  }
  const sockets = parseInteger(USAGE, 'sockets', socketsText, 1, 64);
  let stopping = false;
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line.trim() === 'stop') stopping = true;
  });
  input.on('close', () => {
    stopping = true;
  });

  /** @type {number[]} requests sent per socket; their ids are `${name}.${socket}.${0..n-1}` */
  const sent = new Array(sockets).fill(0);
  /** @type {string[]} */
  const failures = [];
  const loops = sent.map(async (_, socket) => {
    const req = new Request({ correlate: true });
    req.connect(endpoint);
    try {
      while (!stopping) {
        const id = `${name}.${socket}.${sent[socket]}`;
        sent[socket] += 1;
        try {
          const [reply] = await req.request(id, { timeout: TIMEOUT_MS, retries: RETRIES });
          const match = /^(\S+) handled by (\S+)$/.exec(reply.toString());
          console.log(JSON.stringify({ for: id, reply: match ? match[1] : reply.toString(), from: match ? match[2] : null }));
        } catch (err) {
          if (errorCode(err) !== 'EAGAIN') throw err;
          failures.push(id);
          console.log(JSON.stringify({ for: id, failed: `no reply after ${RETRIES + 1} attempts of ${TIMEOUT_MS} ms` }));
        }
      }
    } finally {
      req.close();
    }
  });
  await Promise.all(loops);
  input.close();
  console.log(JSON.stringify({ summary: { name, sent, failures } }));
}

main().catch(reportFailure);
