#!/usr/bin/env node
// Measures what hostile peers cost a Reply server (issue 17): the server runs in a child process
// that samples its own RSS every 5 ms; each attack runs against a fresh server, and the peak RSS
// above the server's idle RSS is reported, with whether the server dropped the attacker and how
// many bytes the attacker got to send first. Same attacks before and after a fix: run it on both.
//
//   node scripts/attack-memory.js            every attack
//   node scripts/attack-memory.js command    only the named ones
//
// Not a test (it asserts nothing) and not a benchmark: a measurement script, loopback only.
'use strict';

const { fork } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

if (process.argv[2] === '--server') {
  const { Reply } = require(path.join(__dirname, '..'));
  const options = JSON.parse(process.argv[3]);
  // An option this build does not know (measuring an older build) is left out.
  const probe = new Reply();
  for (const name of Object.keys(options)) if (!(name in probe)) delete options[name];
  probe.close();
  const rep = new Reply(options);
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  setInterval(sample, 5).unref();
  rep.bind('tcp://127.0.0.1:*').then(() => {
    const endpoint = rep.lastEndpoint;
    if (global.gc) global.gc();
    sample();
    const idle = process.memoryUsage().rss;
    peak = idle;
    process.send({ port: Number(endpoint.split(':').pop()), idle });
  });
  (async () => {
    for (;;) {
      try {
        await rep.receive();
        await rep.send('ok');
      } catch {
        return;
      }
    }
  })();
  process.on('message', (m) => {
    if (m === 'report') {
      sample();
      process.send({ peak, now: process.memoryUsage().rss });
    }
  });
  return;
}

const MiB = 1024 * 1024;

function greeting(mechanism = 'NULL') {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 1;
  g.write(mechanism, 12, 'ascii');
  return g;
}

function longHeader(size, flags) {
  const h = Buffer.alloc(9);
  h[0] = flags | 0x02;
  h.writeBigUInt64BE(BigInt(size), 1);
  return h;
}

function readyBody(props) {
  const parts = [Buffer.from('\x05READY', 'latin1')];
  for (const [k, v] of props) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(v.length);
    parts.push(Buffer.from([k.length]), Buffer.from(k, 'ascii'), len, v);
  }
  return Buffer.concat(parts);
}

function readyFrame(props) {
  const body = readyBody(props);
  return Buffer.concat([longHeader(body.length, 0x04), body]);
}

/** Chunks to write, produced lazily (the attacker stops as soon as the server hangs up). */
const attacks = {
  // 1 GiB command announced after the greeting, 96 MiB of its body sent.
  command: {
    options: {},
    *chunks() {
      yield Buffer.concat([greeting(), longHeader(1 << 30, 0x04)]);
      const block = Buffer.alloc(MiB, 0x41);
      for (let i = 0; i < 96; i++) yield block;
    },
  },
  // A READY of tiny properties, 11.7 MB in all (2,000,000 properties).
  ready: {
    options: {},
    *chunks() {
      const props = [['Socket-Type', Buffer.from('REQ')]];
      const empty = Buffer.alloc(0);
      while (props.length < 2_000_000) props.push(['X', empty]);
      yield Buffer.concat([greeting(), readyFrame(props)]);
    },
  },
  // The same READY to a CURVE server waiting for HELLO.
  'curve-ready': {
    options: { curveServer: true, curveSecretKey: 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6' },
    *chunks() {
      const props = [['Socket-Type', Buffer.from('REQ')]];
      const empty = Buffer.alloc(0);
      while (props.length < 2_000_000) props.push(['X', empty]);
      yield Buffer.concat([greeting('CURVE'), readyFrame(props)]);
    },
  },
  // 10M empty MORE frames (19 MiB on the wire) with maxMessageSize 65536.
  'empty-frames': {
    options: { maxMessageSize: 65536, maxMessageFrames: 0 },
    *chunks() {
      yield Buffer.concat([greeting(), readyFrame([['Socket-Type', Buffer.from('REQ')]])]);
      const block = Buffer.alloc(MiB, Buffer.from([0x01, 0x00]));
      for (let i = 0; i < 19; i++) yield block;
    },
  },
  // 1M one-byte frames in one message (3 MB), default options: delivered to JS if accepted.
  'one-byte-frames': {
    options: {},
    *chunks() {
      yield Buffer.concat([greeting(), readyFrame([['Socket-Type', Buffer.from('REQ')]])]);
      yield Buffer.from([0x01, 0x00]); // the REQ delimiter
      const frame = Buffer.from([0x01, 0x01, 0x78]);
      const block = Buffer.alloc(3 * 100_000, frame);
      for (let i = 0; i < 10; i++) yield i === 9 ? Buffer.concat([block.subarray(0, block.length - 3), Buffer.from([0x00, 0x01, 0x78])]) : block;
    },
  },
};

function startServer(options) {
  const child = fork(__filename, ['--server', JSON.stringify(options)], { execArgv: ['--expose-gc'] });
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, ...m })));
}

function report(child) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send('report');
  });
}

async function run(name, attack) {
  const server = await startServer(attack.options);
  const socket = net.connect({ port: server.port, host: '127.0.0.1' });
  socket.on('error', () => {});
  socket.resume();
  let closed = false;
  const closedAt = new Promise((resolve) => socket.once('close', () => { closed = true; resolve(); }));
  await new Promise((resolve) => socket.once('connect', resolve));
  let sent = 0;
  for (const chunk of attack.chunks()) {
    if (closed) break;
    const ok = socket.write(chunk);
    sent += chunk.length;
    if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), closedAt]);
  }
  // Let the server take what was sent (or drop us): at most 3 s.
  await Promise.race([closedAt, new Promise((r) => setTimeout(r, 3000))]);
  const { peak, now } = await report(server.child);
  socket.destroy();
  server.child.kill();
  const mb = (n) => `${((n - server.idle) / MiB).toFixed(1)} MiB`;
  console.log(`${name.padEnd(16)} sent ${(sent / MiB).toFixed(1).padStart(6)} MiB  dropped: ${closed ? 'yes' : 'no '}  peak RSS +${mb(peak)}  after +${mb(now)}`);
}

(async () => {
  const wanted = process.argv.slice(2);
  for (const [name, attack] of Object.entries(attacks)) {
    if (wanted.length === 0 || wanted.includes(name)) await run(name, attack);
  }
})();
