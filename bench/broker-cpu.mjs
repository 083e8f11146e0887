// Where the broker case's time goes: CPU time and context switches per request of each of its six
// processes (the broker, 4 workers, the client with 16 Requests), for ours, zeromq.js and the
// node:net floor, read from /proc around each batch (Linux only). Batches of the implementations
// alternate so that load from elsewhere hits all alike; medians of wall time, sums of the rest.
//
//   node bench/broker-cpu.mjs [ours|zeromqjs|netfloor ...]      (default: all three)
//   BROKER_CPU_BATCHES=5 BROKER_CPU_ITERS=1000 (requests per client per batch)
//
// Not part of `npm run bench`: the numbers in README's broker notes come from it.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from './lib/broker-procs.mjs';
import { CONNS } from './lib/plan.mjs';
import { NodeChild } from './lib/procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const names = /** @type {('ours' | 'zeromqjs' | 'netfloor')[]} */ (
  process.argv.length > 2 ? process.argv.slice(2) : ['ours', 'zeromqjs', 'netfloor']
);
const BATCHES = Number(process.env.BROKER_CPU_BATCHES ?? 5);
const ITERS = Number(process.env.BROKER_CPU_ITERS ?? 1000);
/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** @typedef {{ cpuUs: number, voluntary: number, involuntary: number }} Usage */

/**
 * CPU time and context switches of all threads of process `pid` so far.
 * @param {number} pid @returns {Usage}
 */
function usage(pid) {
  const total = { cpuUs: 0, voluntary: 0, involuntary: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime: fields 14 and 15 of stat(5), 12 and 13 after the command name.
    total.cpuUs += ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1e6;
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    total.voluntary += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    total.involuntary += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return total;
}

/** Idle and total jiffies of the whole machine (/proc/stat's first line). */
function machineTime() {
  const jiffies = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: jiffies[3] + jiffies[4], total: jiffies.reduce((a, b) => a + b, 0) };
}

/** One implementation's processes, the client's batch command and what was measured so far. */
async function start(/** @type {'ours' | 'zeromqjs' | 'netfloor'} */ name) {
  const { frontend, procs } = await startBroker(name);
  // The floor's client runs in a library's client process (it uses no ZeroMQ).
  const client = new NodeChild(path.join(here, 'child', 'client.mjs'), [name === 'netfloor' ? 'ours' : name], `${name} client`);
  await client.next(30_000);
  const labels = ['broker', ...procs.slice(1).map((_, i) => `worker ${i + 1}`), 'client'];
  const cmd = name === 'netfloor' ? 'netbroker' : 'tput';
  /** @param {number} iters */
  const batch = async (iters) => {
    const r = await client.ask({ cmd, endpoint: frontend, size: 16, iters, warmup: 20, conns: CONNS, api: 'sendrecv' }, 120_000);
    if (!r.ok) throw new Error(`${name}: ${r.error}`);
    return /** @type {{ elapsedNs: number, roundTrips: number }} */ (r);
  };
  return { name, procs: [...procs, client], labels, batch, requests: 0, wallUs: /** @type {number[]} */ ([]), idle: 0, total: 0, used: labels.map(() => ({ cpuUs: 0, voluntary: 0, involuntary: 0 })) };
}

/** Runs one measured batch of `set`, adding what its processes used to its totals. */
async function measure(/** @type {Awaited<ReturnType<typeof start>>} */ set) {
  const before = set.procs.map((p) => usage(/** @type {number} */ (p.proc.pid)));
  const machineBefore = machineTime();
  const r = await set.batch(ITERS);
  const machineAfter = machineTime();
  set.procs.forEach((p, i) => {
    const after = usage(/** @type {number} */ (p.proc.pid));
    set.used[i].cpuUs += after.cpuUs - before[i].cpuUs;
    set.used[i].voluntary += after.voluntary - before[i].voluntary;
    set.used[i].involuntary += after.involuntary - before[i].involuntary;
  });
  set.requests += r.roundTrips;
  set.wallUs.push(r.elapsedNs / 1000 / r.roundTrips);
  set.idle += machineAfter.idle - machineBefore.idle;
  set.total += machineAfter.total - machineBefore.total;
}

/** The per-request table of one implementation. */
function report(/** @type {Awaited<ReturnType<typeof start>>} */ set) {
  const wall = [...set.wallUs].sort((a, b) => a - b)[set.wallUs.length >> 1];
  const per = (/** @type {number} */ x) => (x / set.requests).toFixed(2).padStart(9);
  const lines = [`${set.name}: wall ${wall.toFixed(1)} us per request (median of ${BATCHES} batches of ${CONNS} x ${ITERS})`];
  lines.push('process     CPU us  vol. cs  invol. cs   (per request)');
  set.used.forEach((u, i) => lines.push(`${set.labels[i].padEnd(9)}${per(u.cpuUs)}${per(u.voluntary)}${per(u.involuntary)}`));
  const sum = set.used.reduce((a, u) => ({ cpuUs: a.cpuUs + u.cpuUs, voluntary: a.voluntary + u.voluntary, involuntary: a.involuntary + u.involuntary }));
  lines.push(`${'total'.padEnd(9)}${per(sum.cpuUs)}${per(sum.voluntary)}${per(sum.involuntary)}`);
  lines.push(`busy cores ${((os.cpus().length * (set.total - set.idle)) / set.total).toFixed(2)} of ${os.cpus().length}`);
  return lines.join('\n');
}

const sets = [];
try {
  for (const name of names) sets.push(await start(name));
  for (const set of sets) await set.batch(200); // warm-up
  for (let b = 0; b < BATCHES; b++) for (const set of sets) await measure(set);
  console.log(`load avg ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  console.log(sets.map(report).join('\n\n'));
} finally {
  for (const set of sets) for (const p of set.procs) p.kill();
}
