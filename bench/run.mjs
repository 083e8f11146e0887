// `npm run bench`: REQ->REP round trips between two processes for zeromq-napi ("ours"), zeromq.js v6 and a
// plain blocking socket ping-pong (the floor), plus broker, pipelined, PUB -> 8 SUB fan-out and PUSH -> PULL cases, interleaved batch by batch over several rounds so that
// machine noise hits every library alike. Prints the table, writes results/latest.{json,svg,md}.
// Quick smoke run: BENCH_QUICK=1 (or --quick); it writes to a temp dir unless BENCH_OUT is set.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from './lib/broker-procs.mjs';
import { ensureFloor } from './lib/floor.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { makeCases, makeConfig, IMPL_NAMES } from './lib/plan.mjs';
import { FloorServer, NodeChild, runFloorClient } from './lib/procs.mjs';
import { aggregateCase } from './lib/report.mjs';
import { summarizeSequential, summarizeThroughput } from './lib/stats.mjs';
import { renderChart } from './lib/svg.mjs';
import { resultsTable, rssTable } from './lib/table.mjs';
import { targetRows, targetsTable } from './lib/targets.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cfg = makeConfig(process.argv.slice(2), process.env);
const cases = makeCases(cfg);
const outDir =
  process.env.BENCH_OUT ?? (cfg.quick ? path.join(os.tmpdir(), 'zeromq-napi-bench-quick') : path.join(here, 'results'));
const log = (/** @type {string} */ s) => process.stderr.write(s + '\n');

/** Runs the probe child; resolves to null when our addon works, else to the reason it does not. */
function probeOurs() {
  return new Promise((resolve) => {
    const probe = path.join(here, 'child', 'probe.mjs');
    execFile(process.execPath, [probe], { timeout: 30_000, killSignal: 'SIGKILL' }, (err, _out, errOut) => {
      if (!err) return resolve(null);
      const lines = String(errOut).split('\n').map((l) => l.trim()).filter(Boolean);
      const why =
        lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.find((l) => /panicked|fatal/i.test(l)) ?? lines.at(-1) ?? '';
      resolve(`${err.killed ? 'probe timed out' : `probe failed (${err.code ?? err.signal})`}: ${why}`);
    });
  });
}

/** @param {'ours' | 'zeromqjs'} lib @param {string} ipcDir @param {boolean} withBroker */
async function startLib(lib, ipcDir, withBroker) {
  const server = new NodeChild(path.join(here, 'child', 'server.mjs'), [lib, ipcDir], `${lib} server`);
  const client = new NodeChild(path.join(here, 'child', 'client.mjs'), [lib], `${lib} client`);
  const [{ endpoints }] = await Promise.all([server.next(30_000), client.next(30_000)]);
  /** @type {NodeChild[]} the broker case's broker, then its workers */
  let brokerProcs = [];
  if (withBroker) {
    const broker = await startBroker(lib);
    endpoints.broker = { tcp: broker.frontend, ipc: '' };
    brokerProcs = broker.procs;
  }
  return { server, client, endpoints, brokerProcs };
}

/** @template T @param {T[]} xs @param {number} k */
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

const libOf = (/** @type {string} */ impl) => (impl.startsWith('ours') ? 'ours' : impl);
/** The library processes that run the node:net floor (no ZeroMQ in it: any of them will do). */
const netFloorLib = (/** @type {Record<string, unknown>} */ libs) => ('ours' in libs ? 'ours' : 'zeromqjs');

async function main() {
  const floorBin = ensureFloor(root);
  const zeromqVersion = createRequire(import.meta.url)('zeromq').version;
  const machine = describeMachine(zeromqVersion);
  log(`machine: ${machineLine(machine)}; load avg ${machine.loadAvgStart.join(' ')}`);
  log(`${cfg.quick ? 'quick' : 'full'} run: ${cfg.rounds} rounds x ${cases.length} cases`);

  const ipcDir = mkdtempSync(path.join(os.tmpdir(), 'zeromq-napi-bench-'));
  const oursProblem = await probeOurs();
  if (oursProblem) log(`ours skipped: ${oursProblem}`);

  /** @type {Record<string, Awaited<ReturnType<typeof startLib>>>} */
  const libs = {};
  /** @type {Awaited<ReturnType<typeof startBroker>> | null} the broker case's node:net floor */
  let netBroker = null;
  const floorServer = new FloorServer(floorBin, path.join(ipcDir, 'floor.sock'));
  /** @type {Record<string, number | null>} */
  const rss = {};
  let floorClientRss = 0;
  /** @type {Map<string, string>} impl -> why it stopped being measured */
  const disabled = new Map();
  const errors = [];
  const t0 = Date.now();
  try {
    const floorEp = await floorServer.ready();
    for (const lib of /** @type {const} */ (['zeromqjs', 'ours'])) {
      if (lib === 'ours' && oursProblem) continue;
      libs[lib] = await startLib(lib, ipcDir, cases.some((c) => c.topology === 'broker'));
    }
    if (cases.some((c) => c.topology === 'broker' && c.impls.includes('netfloor'))) netBroker = await startBroker('netfloor');

    /** One batch of one implementation; returns its summary. */
    const runBatch = async (/** @type {import('./lib/plan.mjs').Case} */ c, /** @type {string} */ impl) => {
      if (impl === 'floor') {
        const target = c.transport === 'tcp' ? ['--tcp', floorEp.tcp] : ['--unix', floorEp.unix];
        const args = [...target, '--size', c.size, '--iters', c.iters, '--warmup', c.warmup, '--conns', c.conns];
        const r = await runFloorClient(floorBin, args.map(String), cfg.batchTimeoutMs);
        floorClientRss = Math.max(floorClientRss, r.maxRssKiB);
        return c.kind === 'seq' ? summarizeSequential(r.samplesNs) : summarizeThroughput(r.elapsedNs, r.roundTrips);
      }
      if (impl === 'netfloor') {
        const { client, endpoints } = libs[netFloorLib(libs)];
        const batch =
          c.topology === 'broker'
            ? { cmd: 'netbroker', endpoint: netBroker?.frontend, size: c.size, iters: c.iters, warmup: c.warmup, conns: c.conns }
            : { cmd: 'netpipeline', endpoint: endpoints.netfloor.tcp, size: c.size, iters: c.iters, warmup: c.warmup, window: c.window };
        const r = await client.ask(batch, cfg.batchTimeoutMs);
        if (!r.ok) throw new Error(r.error);
        return summarizeThroughput(r.elapsedNs, r.roundTrips);
      }
      const { client, server, endpoints, brokerProcs } = libs[libOf(impl)];
      // The previous batch's garbage (received buffers above all) is collected now, in both
      // processes, rather than in whichever batch happens to come next.
      const collected = await server.ask({ cmd: 'collect' }, cfg.batchTimeoutMs);
      if (collected.rss) log(`[rss] ${impl} server before ${c.id}: ${JSON.stringify(collected.rss)}`);
      if (c.topology === 'broker') for (const p of brokerProcs) await p.ask({ cmd: 'collect' }, cfg.batchTimeoutMs);
      const streamed = c.topology === 'fanout' || c.topology === 'pushpull';
      const role = streamed
        ? c.topology
        : c.topology === 'broker'
          ? 'broker'
          : c.topology === 'pipeline'
            ? 'router'
            : c.curve
              ? 'curve'
              : impl === 'ours-serve'
                ? 'serve'
                : 'loop';
      const endpoint = endpoints[role][c.transport];
      const api = impl === 'ours-request' ? 'request' : 'sendrecv';
      const cmd = streamed ? c.topology : c.topology === 'pipeline' ? 'pipeline' : c.kind;
      const r = await client.ask(
        { cmd, endpoint, size: c.size, iters: c.iters, warmup: c.warmup, conns: c.conns, api, window: c.window, curve: c.curve },
        cfg.batchTimeoutMs,
      );
      if (!r.ok) throw new Error(r.error);
      return c.kind === 'seq' ? summarizeSequential(r.samplesNs) : summarizeThroughput(r.elapsedNs, r.roundTrips);
    };

    /** @type {number[]} 1-minute load average after each round */
    const roundLoadAvg = [];
    /** @type {Record<string, Record<string, any[]>>} case id -> impl -> per-round summaries */
    const raw = Object.fromEntries(cases.map((c) => [c.id, Object.fromEntries(c.impls.map((i) => [i, []]))]));
    for (let round = 0; round < cfg.rounds; round++) {
      const tr = Date.now();
      for (const c of cases) {
        // Interleaved: every implementation runs once per case per round, the order rotating each round.
        for (const impl of rotate(c.impls, round)) {
          const floorImpl = impl === 'floor' || impl === 'netfloor';
          if (disabled.has(impl) || (!floorImpl && !libs[libOf(impl)])) continue;
          try {
            raw[c.id][impl].push(await runBatch(c, impl));
          } catch (/** @type {any} */ err) {
            const why = String(err?.message ?? err).split('\n')[0];
            disabled.set(impl, why);
            errors.push({ round, case: c.id, impl, error: String(err?.stack ?? err) });
            log(`  ${IMPL_NAMES[impl]} failed on ${c.id} (dropped from the rest of the run): ${why}`);
          }
        }
      }
      roundLoadAvg.push(Number(os.loadavg()[0].toFixed(2)));
      log(`round ${round + 1}/${cfg.rounds} done in ${((Date.now() - tr) / 1000).toFixed(1)} s; load avg ${roundLoadAvg.at(-1)}`);
    }
    const aggregated = cases.map((c) => aggregateCase(c, raw[c.id]));

    for (const [lib, { server, client, brokerProcs }] of Object.entries(libs)) {
      const name = lib === 'zeromqjs' ? 'zeromq.js' : lib;
      rss[`${name} server`] = await server.stop();
      rss[`${name} client`] = await client.stop();
      for (const p of brokerProcs) rss[p.label.replace(lib, name)] = await p.stop();
    }
    rss['floor server'] = await floorServer.stop();
    for (const p of netBroker?.procs ?? []) await p.stop();
    rss['floor client (max over batches)'] = floorClientRss || null;

    const report = {
      machine,
      loadAvgEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
      roundLoadAvg,
      durationSec: Math.round((Date.now() - t0) / 1000),
      config: { ...cfg, command: cfg.quick ? 'BENCH_QUICK=1 npm run bench' : 'npm run bench' },
      oursModule: process.env.BENCH_OURS || 'zeromq-napi',
      oursSkipped: oursProblem,
      dropped: Object.fromEntries(disabled),
      cases: aggregated,
      peakRssKiB: rss,
      targets: targetRows(aggregated),
      errors,
    };
    const table = resultsTable(aggregated);
    const rssText = rssTable(rss);
    const targetsText = targetsTable(report.targets);
    console.log(`\n${machineLine(machine)}\nload avg start ${machine.loadAvgStart.join(' ')}, end ${report.loadAvgEnd.join(' ')}; ${cfg.rounds} rounds; medians\n`);
    console.log(table + '\n\n' + rssText + '\n');
    console.log(`Targets (issue 5; ratio = our time / the other's):\n\n${targetsText}\n`);
    if (oursProblem) console.log(`ours not measured: ${oursProblem}\n`);
    if (process.env.BENCH_OURS) console.log(`"ours" was loaded from BENCH_OURS=${process.env.BENCH_OURS}\n`);

    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(report, null, 1) + '\n');
    writeFileSync(path.join(outDir, 'latest.svg'), renderChart(report));
    const md = [
      `Measured on ${machineLine(machine)}; load avg ${machine.loadAvgStart.join(' ')} -> ${report.loadAvgEnd.join(' ')}.`,
      `Command: \`${report.config.command}\` (${cfg.rounds} interleaved rounds, medians; us/rt = microseconds per round trip).`,
      '',
      '```',
      table,
      '',
      rssText,
      '```',
      '',
      targetsText,
      '',
    ].join('\n');
    writeFileSync(path.join(outDir, 'latest.md'), md);
    log(`wrote ${path.join(outDir, 'latest.json')}, latest.svg, latest.md in ${report.durationSec} s`);
  } finally {
    for (const { server, client, brokerProcs } of Object.values(libs)) {
      server.kill();
      client.kill();
      for (const p of brokerProcs) p.kill();
    }
    for (const p of netBroker?.procs ?? []) p.kill();
    floorServer.proc.kill('SIGKILL');
    rmSync(ipcDir, { recursive: true, force: true });
  }
}

await main();
