// `npm run bench:majordomo`: requests/s through a Majordomo (MDP 0.2) broker, 16 clients and 4
// workers (all zeromq-napi/majordomo Clients and Workers, in their own processes, 16 B echo), for
// three brokers: ours (zeromq-napi/majordomo), majortomo's (Python, pyzmq/libzmq), and a
// hand-written MDP broker on zeromq.js's Router (libzmq; bench/child/mdp-broker.mjs). Rounds are
// interleaved (ours, majortomo, zeromq.js, rotating) so load from elsewhere hits all alike; the
// table shows the median over rounds. Knobs: BENCH_ROUNDS (default 5), BENCH_ITERS (requests per
// client per batch, default 300), BENCH_OUT (default bench/results), BENCH_BROKERS=ours,zeromqjs.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { median } from './lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CLIENTS = 16;
const WORKERS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 5;
const ITERS = Number(process.env.BENCH_ITERS) || 300;
const WARMUP = Math.max(5, Math.round(ITERS / 10));
const BATCH_MS = 120_000;
const BROKERS = /** @type {const} */ ({
  ours: 'ours (zeromq-napi/majordomo)',
  majortomo: 'majortomo 0.2 (Python, pyzmq)',
  zeromqjs: 'hand-written on zeromq.js Router',
});
const only = (process.env.BENCH_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const brokers = /** @type {Array<keyof typeof BROKERS>} */ (Object.keys(BROKERS)).filter((b) => only.length === 0 || only.includes(b));
const log = (/** @type {string} */ s) => process.stderr.write(`${s}\n`);

/**
 * A child process and its stdout lines.
 * @param {string} file @param {string[]} args
 */
function start(file, args) {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    /** @param {number} ms @returns {Promise<string>} */
    async line(ms) {
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const guard = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${path.basename(args[0] ?? file)}: no output within ${ms} ms`)), ms);
      });
      try {
        const next = /** @type {Promise<IteratorResult<string>>} */ (Promise.race([lines.next(), guard]));
        const { value, done } = await next;
        if (done) throw new Error(`${file} ${args.join(' ')} exited`);
        return value;
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** @param {keyof typeof BROKERS} broker */
async function startBroker(broker) {
  if (broker === 'majortomo') {
    const { pythonWithMajortomo } = require('../scripts/pyzmq.js');
    const script = [
      'import socket, sys',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()',
      'from majortomo.broker import Broker',
      'b = Broker(bind="tcp://127.0.0.1:%d" % port, heartbeat_interval=10.0, heartbeat_timeout=30.0)',
      'print("tcp://127.0.0.1:%d" % port, flush=True)',
      'import signal; signal.signal(signal.SIGTERM, lambda *a: b.stop())',
      'b.run()',
    ].join('\n');
    return start(pythonWithMajortomo(), ['-u', '-c', script]);
  }
  return start(process.execPath, [path.join(here, 'child', 'mdp-broker.mjs'), broker]);
}

/** One batch: a broker, its workers, the clients; returns requests/s. @param {keyof typeof BROKERS} broker */
async function batch(broker) {
  const b = await startBroker(broker);
  const procs = [b];
  try {
    const endpoint = await b.line(30_000);
    for (let i = 0; i < WORKERS; i++) {
      const w = start(process.execPath, [path.join(here, 'child', 'mdp-worker.mjs'), endpoint]);
      procs.push(w);
      await w.line(30_000);
    }
    const c = start(process.execPath, [path.join(here, 'child', 'mdp-client.mjs'), endpoint, String(CLIENTS), String(ITERS), String(WARMUP)]);
    procs.push(c);
    const { elapsedNs, requests } = JSON.parse(await c.line(BATCH_MS));
    return requests / (elapsedNs / 1e9);
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

async function main() {
  const machine = describeMachine(require('zeromq').version);
  log(`machine: ${machineLine(machine)}; load avg ${machine.loadAvgStart.join(' ')}`);
  log(`${ROUNDS} rounds x ${brokers.length} brokers; ${CLIENTS} clients x ${ITERS} requests, ${WORKERS} workers`);
  /** @type {Record<string, number[]>} */
  const perRound = Object.fromEntries(brokers.map((b) => [b, []]));
  /** @type {number[]} */
  const roundLoadAvg = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = brokers.map((_, i) => brokers[(i + round) % brokers.length]);
    for (const broker of order) perRound[broker].push(await batch(broker));
    roundLoadAvg.push(Number(os.loadavg()[0].toFixed(2)));
    log(`round ${round + 1}/${ROUNDS}: ${order.map((b) => `${b} ${Math.round(perRound[b].at(-1) ?? 0)} req/s`).join(', ')}; load avg ${roundLoadAvg.at(-1)}`);
  }
  const rows = brokers.map((b) => ({ broker: b, name: BROKERS[b], requestsPerSec: median(perRound[b]), perRound: perRound[b] }));
  const ours = rows.find((r) => r.broker === 'ours')?.requestsPerSec;
  const width = Math.max(...rows.map((r) => r.name.length));
  const table = [
    `${'broker'.padEnd(width)}  req/s (median)  vs ours`,
    ...rows.map((r) => `${r.name.padEnd(width)}  ${String(Math.round(r.requestsPerSec)).padStart(14)}  ${ours ? (r.requestsPerSec / ours).toFixed(2) : '-'}`),
  ].join('\n');
  const loadAvgEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  const header = `tcp ${CLIENTS} clients -> MDP broker -> ${WORKERS} workers x 16 B; ${ROUNDS} rounds of ${CLIENTS} x ${ITERS} requests; median requests/s`;
  console.log(`\n${machineLine(machine)}\nload avg start ${machine.loadAvgStart.join(' ')}, end ${loadAvgEnd.join(' ')}\n${header}\n\n${table}\n`);
  const outDir = process.env.BENCH_OUT ?? path.join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'majordomo.json'), `${JSON.stringify({ machine, loadAvgEnd, roundLoadAvg, clients: CLIENTS, workers: WORKERS, rounds: ROUNDS, iters: ITERS, rows }, null, 1)}\n`);
  writeFileSync(
    path.join(outDir, 'majordomo.md'),
    `Measured on ${machineLine(machine)}; load avg ${machine.loadAvgStart.join(' ')} -> ${loadAvgEnd.join(' ')}.\nCommand: \`BENCH_ROUNDS=${ROUNDS} BENCH_ITERS=${ITERS} npm run bench:majordomo\`; ${header}.\n\n\`\`\`\n${table}\n\`\`\`\n`,
  );
}

await main();
