// Pair over inproc between two worker threads, typed: one worker binds a Pair on
// inproc://pair-demo and answers each "ping N" with "pong N"; the other connects and sends the
// pings. They start together (the connect may come before the bind); the main thread only prints.
//
//   npx tsx examples/inproc_pair.ts [rounds]   default 5

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Pair } from 'zeromq-napi';

const ENDPOINT = 'inproc://pair-demo';
const USAGE = 'usage: npx tsx examples/inproc_pair.ts [rounds]';

type Role = 'ping' | 'pong';

/** -h prints the usage; a bad argument prints it on stderr and exits 2. */
function usage(bad?: string): never {
  if (bad === undefined) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error(`error: ${bad}\n${USAGE}`);
  process.exit(2);
}

/** Worker "pong": binds and answers until "bye" (which it answers too, so the pinger may close). */
async function pong(): Promise<void> {
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

/** Worker "ping": connects, sends `rounds` pings, reports each answer to the main thread. */
async function ping(rounds: number): Promise<void> {
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

/**
 * Runs one role in a worker thread of this same file. A worker does not inherit tsx's loader, so
 * it registers tsx's CommonJS hook before loading this TypeScript file.
 */
function start(role: Role, rounds: number): Promise<void> {
  const code = `require('tsx/cjs/api').register(); require(${JSON.stringify(__filename)});`;
  const worker = new Worker(code, { eval: true, workerData: { role, rounds } });
  worker.on('message', (line: string) => console.log(line));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${role} worker exited ${code}`))));
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('-h') || process.argv.includes('--help')) usage();
  const [arg = '5', extra] = process.argv.slice(2);
  if (extra !== undefined) usage(`unexpected argument: ${extra}`);
  const rounds = Number(arg);
  if (!Number.isInteger(rounds) || rounds < 1) usage(`rounds must be a positive integer, got ${arg}`);
  await Promise.all([start('ping', rounds), start('pong', rounds)]);
  console.log(`done: ${rounds} round trips over ${ENDPOINT} between two worker threads`);
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  const { role, rounds } = workerData as { role: Role; rounds: number };
  void (role === 'ping' ? ping(rounds) : pong());
}
