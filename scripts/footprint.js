#!/usr/bin/env node
// Issue 22 item 5: the resident memory of the same REQ/REP user code on zeromq-napi and on zeromq.js
// (the `zeromq` devDependency). Each library runs in a child process of its own (`node --expose-gc`):
// a Reply and a Request in that one process over tcp loopback, FOOTPRINT_SIZE-byte messages (4 KiB),
// FOOTPRINT_TRIPS lockstep round trips (150k); RSS is sampled every tenth of the run, after a gc.
// Prints both curves and ours/zeromq.js of the last and the peak sample.
//
//   node scripts/footprint.js              both libraries
//   FOOTPRINT_TRIPS=50000 FOOTPRINT_SIZE=65536 node scripts/footprint.js
//   FOOTPRINT_OURS=/other/checkout node scripts/footprint.js    another build as "ours"
//
// A measurement, not a test: it asserts nothing.
'use strict';

const { execFileSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const TRIPS = Number(process.env.FOOTPRINT_TRIPS) || 150_000;
const SIZE = Number(process.env.FOOTPRINT_SIZE) || 4096;
const SAMPLES = 10;
const MIB = 1024 * 1024;

/** Child: one library, its REQ/REP pair, RSS after each tenth. @param {string} name */
async function child(name) {
  const zmq = require(name === 'zeromqjs' ? 'zeromq' : process.env.FOOTPRINT_OURS || path.join(__dirname, '..'));
  const gc = /** @type {() => void} */ (globalThis.gc);
  const rss = () => {
    gc();
    return process.memoryUsage();
  };
  const start = rss();
  const rep = new zmq.Reply();
  await rep.bind('tcp://127.0.0.1:*');
  const req = new zmq.Request();
  req.connect(rep.lastEndpoint);
  const echo = (async () => {
    for (let i = 0; i < TRIPS; i++) {
      const [msg] = await rep.receive();
      await rep.send(msg);
    }
  })();
  const payload = Buffer.alloc(SIZE, 0xa5);
  const curve = [];
  const step = Math.ceil(TRIPS / SAMPLES);
  for (let i = 0; i < TRIPS; i++) {
    await req.send(payload);
    const [reply] = await req.receive();
    if (reply.length !== SIZE) throw new Error(`bad reply: ${reply.length} bytes`);
    if ((i + 1) % step === 0 || i + 1 === TRIPS) curve.push(rss());
  }
  await echo;
  req.close();
  rep.close();
  process.stdout.write(JSON.stringify({ start, curve, maxRss: process.resourceUsage().maxRSS * 1024 }));
}

function parent() {
  /** @type {Record<string, any>} */
  const runs = {};
  for (const name of ['ours', 'zeromqjs']) {
    const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--child', name], {
      encoding: 'utf8',
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    runs[name] = JSON.parse(out);
  }
  const mib = (/** @type {number} */ b) => (b / MIB).toFixed(1);
  console.log(
    `${TRIPS} lockstep REQ/REP round trips of ${SIZE} B in one process; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log('after   | ours rss ext     | zeromq.js rss ext (MiB)');
  const ours = runs.ours;
  const zjs = runs.zeromqjs;
  const row = (/** @type {string} */ at, /** @type {any} */ a, /** @type {any} */ b) =>
    console.log(`${at.padEnd(7)} | ${mib(a.rss).padStart(6)} ${mib(a.external).padStart(6)}    | ${mib(b.rss).padStart(6)} ${mib(b.external).padStart(6)}`);
  row('start', ours.start, zjs.start);
  ours.curve.forEach((/** @type {any} */ s, /** @type {number} */ i) =>
    row(`${Math.round(((i + 1) * 100) / ours.curve.length)}%`, s, zjs.curve[i]));
  const last = (/** @type {any} */ r) => r.curve[r.curve.length - 1].rss;
  console.log(`last RSS: ours ${mib(last(ours))} MiB, zeromq.js ${mib(last(zjs))} MiB, ratio ${(last(ours) / last(zjs)).toFixed(2)}`);
  console.log(`peak RSS: ours ${mib(ours.maxRss)} MiB, zeromq.js ${mib(zjs.maxRss)} MiB, ratio ${(ours.maxRss / zjs.maxRss).toFixed(2)}`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  parent();
}
