'use strict';
// Pair over inproc between two worker threads: one worker binds a Pair on inproc://pair-demo and
// answers each "ping N" with "pong N"; the other connects a Pair and sends the pings. The two
// start together (inproc, as in libzmq 4.x, lets the connect come before the bind); the bytes go
// between the threads in memory, never through the network. The main thread only prints.
//
//   node examples/inproc_pair.js [rounds]   default 5

const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { Pair } = require('zeromq-napi');

const ENDPOINT = 'inproc://pair-demo';
const USAGE = 'usage: node examples/inproc_pair.js [rounds]';

/** -h prints the usage; a bad argument prints it on stderr and exits 2. @param {string} [bad] */
function usage(bad) {
  if (bad === undefined) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`error: ${bad}\n${USAGE}`);
  process.exit(2);
}

/** Worker "pong": binds and answers until "bye" (which it answers too, so the pinger may close). */
async function pong() {
  const pair = new Pair();
  try {
    await pair.bind(ENDPOINT);
    for await (const [message] of pair) {
      const text = message.toString();
      await pair.send(text === 'bye' ? 'bye' : `pong ${text.slice('ping '.length)}`);
      if (text === 'bye') break;
    }
  } finally {
    pair.close();
  }
}

/** Worker "ping": connects, sends `rounds` pings, reports each answer to the main thread. @param {number} rounds */
async function ping(rounds) {
  const pair = new Pair();
  try {
    pair.connect(ENDPOINT);
    for (let i = 1; i <= rounds; i++) {
      await pair.send(`ping ${i}`);
      const [reply] = await pair.receive();
      parentPort?.postMessage(`ping ${i} -> ${reply.toString()}`);
    }
    await pair.send('bye');
    await pair.receive();
  } finally {
    pair.close();
  }
}

/** @param {'ping' | 'pong'} role @param {number} rounds */
function start(role, rounds) {
  const worker = new Worker(__filename, { workerData: { role, rounds } });
  worker.on('message', (line) => console.log(line));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve(undefined) : reject(new Error(`${role} worker exited ${code}`))));
  });
}

async function main() {
  if (process.argv.includes('-h') || process.argv.includes('--help')) usage();
  const [arg = '5', extra] = process.argv.slice(2);
  if (extra !== undefined) usage(`unexpected argument: ${extra}`);
  const rounds = Number(arg);
  if (!Number.isInteger(rounds) || rounds < 1) usage(`rounds must be a positive integer, got ${arg}`);
  await Promise.all([start('ping', rounds), start('pong', rounds)]);
  console.log(`done: ${rounds} round trips over ${ENDPOINT} between two worker threads`);
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
} else if (workerData.role === 'ping') {
  void ping(workerData.rounds);
} else {
  void pong();
}
