// Client process for one library. Runs the batches the parent asks for over the IPC channel and answers
// with raw timings; keeps its sockets connected between batches (a batch warms up, then measures).
import { performance } from 'node:perf_hooks';
import { closeNetBrokerConnections, netBrokerThroughput } from '../lib/net-broker.mjs';
import { closeNetConnections, netPipeline } from '../lib/net-floor.mjs';
import { rssDetail, rssSnapshot } from '../lib/rss-detail.mjs';
import { CURVE_CLIENT, loadLib } from './libs.mjs';

const [name] = process.argv.slice(2);
const lib = loadLib(/** @type {'ours' | 'zeromqjs'} */ (name));
/**
 * What the parent asks for (see bench/run.mjs).
 * @typedef {{ cmd: 'seq' | 'tput' | 'pipeline' | 'netpipeline' | 'netbroker' | 'fanout' | 'pushpull', endpoint: string, size: number, iters: number, warmup: number,
 *   conns: number, api: 'sendrecv' | 'request', window?: number, curve?: boolean }} Batch
 */
/** @type {Map<string, any[]>} endpoint + role -> connected Request sockets */
const pools = new Map();

/** @param {string} endpoint @param {number} count @param {string} role @param {boolean} [curve] */
function requests(endpoint, count, role, curve = false) {
  const key = `${role} ${endpoint}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = Array.from({ length: count }, () => {
      const req = new lib.Request(curve ? CURVE_CLIENT : undefined);
      req.connect(endpoint);
      return req;
    });
    pools.set(key, pool);
  }
  return pool;
}

/**
 * One round trip the way a user of that API writes it.
 * @param {any} req @param {Buffer} payload @param {'sendrecv' | 'request'} api
 */
async function roundTrip(req, payload, api) {
  const [reply] = api === 'request' ? await req.request(payload) : (await req.send(payload), await req.receive());
  if (reply.length !== payload.length) throw new Error(`bad reply: ${reply.length} bytes, sent ${payload.length}`);
}

/** Sequential: one socket, strictly one request in flight; every round trip timed. @param {Batch} b */
async function sequential({ endpoint, size, iters, warmup, api, curve }) {
  const [req] = requests(endpoint, 1, `seq ${api}`, curve); // per api: a failed batch of one must not spoil the other
  const payload = Buffer.alloc(size, 0xa5);
  for (let i = 0; i < warmup; i++) await roundTrip(req, payload, api);
  const samplesNs = new Array(iters);
  for (let i = 0; i < iters; i++) {
    const t = performance.now();
    await roundTrip(req, payload, api);
    samplesNs[i] = (performance.now() - t) * 1e6;
  }
  return { samplesNs };
}

/** Throughput: `conns` sockets in this one process, each one request in flight at a time. @param {Batch} b */
async function throughput({ endpoint, size, iters, warmup, conns, api, curve }) {
  const pool = requests(endpoint, conns, `tput ${api}`, curve);
  const payload = Buffer.alloc(size, 0xa5);
  const run = async (/** @type {any} */ req, /** @type {number} */ n) => {
    for (let i = 0; i < n; i++) await roundTrip(req, payload, api);
  };
  await Promise.all(pool.map((req) => run(req, warmup)));
  const t = performance.now();
  await Promise.all(pool.map((req) => run(req, iters)));
  return { elapsedNs: (performance.now() - t) * 1e6, roundTrips: conns * iters };
}

/** @type {Map<string, any>} endpoint -> the pipelined case's Dealer */
const dealers = new Map();

/**
 * `n` messages from one Dealer, at most `window` of them unanswered at any time: one loop sends
 * (each send awaited: zeromq.js allows one pending send per socket), one receives the echoes.
 * @param {any} dealer @param {Buffer} payload @param {number} n @param {number} window
 */
async function pipelined(dealer, payload, n, window) {
  let received = 0;
  /** @type {(() => void) | null} */
  let room = null;
  const receiving = (async () => {
    while (received < n) {
      const [echo] = await dealer.receive();
      if (echo.length !== payload.length) throw new Error(`bad echo: ${echo.length} bytes, sent ${payload.length}`);
      received++;
      const wake = room;
      room = null;
      wake?.();
    }
  })();
  for (let sent = 0; sent < n; sent++) {
    while (sent - received >= window) {
      await new Promise((resolve) => {
        room = () => resolve(undefined);
      });
    }
    await dealer.send(payload);
  }
  await receiving;
}

/** Pipelined: one Dealer, `window` messages in flight, wall time for all echoes. @param {Batch} b */
async function pipeline({ endpoint, size, iters, warmup, window = 1000 }) {
  let dealer = dealers.get(endpoint);
  if (!dealer) {
    dealer = new lib.Dealer({ sendHighWaterMark: 0, receiveHighWaterMark: 0 });
    dealer.connect(endpoint);
    dealers.set(endpoint, dealer);
  }
  const payload = Buffer.alloc(size, 0xa5);
  await pipelined(dealer, payload, warmup, window);
  const t = performance.now();
  await pipelined(dealer, payload, iters, window);
  return { elapsedNs: (performance.now() - t) * 1e6, roundTrips: iters };
}

/** @type {Map<string, { out: any, reports: any, report: string }>} endpoint -> the streamed case's sockets */
const streams = new Map();

/**
 * Streamed (fan-out and pipeline): one Publisher (or Push) here, connected to the server's
 * Subscribers (or its Pull), sends `iters` messages then 'end'; the time is until every receiver
 * has reported its 'end' (each report comes after all of that receiver's messages). First it
 * sends 'probe' until every receiver has reported one, so none misses the batch's start.
 * @param {Batch & { cmd: 'fanout' | 'pushpull' }} b
 */
async function streamed({ cmd, endpoint, size, iters, warmup }) {
  const { subscribers, report } = JSON.parse(endpoint);
  let s = streams.get(endpoint);
  if (!s) {
    const out = cmd === 'fanout' ? new lib.Publisher({ sendHighWaterMark: 0 }) : new lib.Push({ sendHighWaterMark: 0 });
    for (const at of subscribers) out.connect(at);
    // One Pull for the server's one report Push (a second would get every other report).
    let reports = [...streams.values()].find((other) => other.report === report)?.reports;
    if (reports === undefined) {
      reports = new lib.Pull({ receiveHighWaterMark: 0 });
      reports.connect(report);
    }
    s = { out, reports, report };
    streams.set(endpoint, s);
  }
  const { out, reports } = s;
  /** Waits for one `tag` report from every receiver (reports of other tags are left over probes). */
  const reported = async (/** @type {string} */ tag) => {
    const seen = new Set();
    while (seen.size < subscribers.length) {
      const [got, who] = await reports.receive();
      if (got.toString() === tag) seen.add(who.toString());
    }
  };
  if (cmd === 'fanout') {
    let joined = false;
    const waiting = reported('probe').then(() => {
      joined = true;
    });
    while (!joined) {
      await out.send('probe');
      await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 5))]);
    }
  }
  const payload = Buffer.alloc(size, 0xa5);
  const batch = async (/** @type {number} */ n) => {
    for (let i = 0; i < n; i++) await out.send(['data.', payload]);
    // A Push hands 'end' to one Pull: there is one here.
    await out.send('end');
    await reported('end');
  };
  await batch(warmup);
  const t = performance.now();
  await batch(iters);
  return { elapsedNs: (performance.now() - t) * 1e6, roundTrips: iters };
}

process.on('message', async (/** @type {Batch | { cmd: 'stop' }} */ m) => {
  if (m.cmd === 'stop') {
    for (const pool of pools.values()) for (const s of pool) s.close();
    for (const d of dealers.values()) d.close();
    closeNetConnections();
    closeNetBrokerConnections();
    for (const { out, reports } of streams.values()) {
      out.close();
      reports.close();
    }
    const detail = rssDetail ? { rss: rssSnapshot() } : {};
    process.send?.({ maxRssKiB: process.resourceUsage().maxRSS, ...detail }, () => process.exit(0));
    return;
  }
  try {
    // A collected heap to start from, as the server's (started with --expose-gc; see bench/run.mjs).
    globalThis.gc?.();
    const result =
      m.cmd === 'seq'
        ? await sequential(m)
        : m.cmd === 'pipeline'
          ? await pipeline(m)
          : m.cmd === 'netpipeline'
            ? await netPipeline(m)
            : m.cmd === 'netbroker'
              ? await netBrokerThroughput({ ...m, endpoint: m.endpoint.replace('tcp://', '') })
            : m.cmd === 'fanout' || m.cmd === 'pushpull'
              ? await streamed(/** @type {any} */ (m))
              : await throughput(m);
    process.send?.({ ok: true, ...result });
  } catch (/** @type {any} */ err) {
    process.send?.({ ok: false, error: String(err?.stack ?? err) });
  }
});
process.send?.({ ready: true });
