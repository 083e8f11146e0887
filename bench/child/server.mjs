// Server process for one library: a Reply socket running a receive/send loop on tcp and on ipc, and for
// ours also a Reply running serve({ concurrency: 16 }) on each. Tells the parent its endpoints over the
// IPC channel; on { cmd: 'collect' } runs a full GC (before each batch), on { cmd: 'stop' } closes everything and reports its peak RSS.
import { startNetEcho } from '../lib/net-floor.mjs';
import { rssDetail, rssSnapshot } from '../lib/rss-detail.mjs';
import { CURVE_SERVER, loadLib } from './libs.mjs';

const [name, ipcDir] = process.argv.slice(2);
const lib = loadLib(/** @type {'ours' | 'zeromqjs'} */ (name));
/** @type {any[]} */
const sockets = [];

/** @param {string} address @param {object} [options] */
async function bound(address, options) {
  const rep = new lib.Reply(options);
  sockets.push(rep);
  await rep.bind(address);
  return rep;
}

/** The plain loop every zeromq.js user writes; ends when the socket closes (receive rejects). @param {any} rep */
async function echoLoop(rep) {
  try {
    for (;;) {
      const [msg] = await rep.receive();
      await rep.send(msg);
    }
  } catch (err) {
    if (!rep.closed) throw err;
  }
}

/** @type {Record<string, { tcp: string, ipc: string }>} */
const endpoints = {};
const loopTcp = await bound('tcp://127.0.0.1:*');
const loopIpc = await bound(`ipc://${ipcDir}/${name}-loop.sock`);
endpoints.loop = { tcp: loopTcp.lastEndpoint, ipc: loopIpc.lastEndpoint };
echoLoop(loopTcp);
echoLoop(loopIpc);
// The CURVE cases: the same loop behind an encrypting Reply (tcp only).
const curveTcp = await bound('tcp://127.0.0.1:*', CURVE_SERVER);
endpoints.curve = { tcp: curveTcp.lastEndpoint, ipc: '' };
echoLoop(curveTcp);
if (lib.hasServe) {
  const serveTcp = await bound('tcp://127.0.0.1:*');
  const serveIpc = await bound(`ipc://${ipcDir}/${name}-serve.sock`);
  endpoints.serve = { tcp: serveTcp.lastEndpoint, ipc: serveIpc.lastEndpoint };
  for (const rep of [serveTcp, serveIpc]) {
    rep.serve((/** @type {Buffer[]} */ [msg]) => msg, { concurrency: 16 }).catch((/** @type {unknown} */ err) => {
      if (!rep.closed) console.error(`${name} serve failed:`, err);
    });
  }
}

// The pipelined case's echo: a Router sending every message back to its sender. No high-water mark
// on either side of that case: a ROUTER drops what a full peer queue cannot take, and the client keeps
// up to 1,000 messages in flight.
const router = new lib.Router({ sendHighWaterMark: 0, receiveHighWaterMark: 0 });
sockets.push(router);
await router.bind('tcp://127.0.0.1:*');
endpoints.router = { tcp: router.lastEndpoint, ipc: '' };
(async () => {
  try {
    for (;;) await router.send(await router.receive());
  } catch (err) {
    if (!router.closed) throw err;
  }
})();

// The fan-out and Push -> Pull cases (bench/child/client.mjs `streamed`): FANOUT_SUBSCRIBERS
// Subscribers and one Pull, bound here, each telling the client over `report` (a Push it connects a
// Pull to) when it has seen a 'probe' (it is subscribed and connected) and the 'end' of a batch.
// No high-water marks: every message of a batch is delivered, none dropped, on both libraries.
const report = new lib.Push({ sendHighWaterMark: 0 });
sockets.push(report);
await report.bind('tcp://127.0.0.1:*');
// Reports of all receivers go out one after the other: zeromq.js allows one pending send per socket,
// and under load a report's send can still be pending when another receiver's 'end' comes in.
let reporting = Promise.resolve();
/** @param {string} tag @param {string} who */
function sendReport(tag, who) {
  reporting = reporting.then(() => report.send([tag, who]));
  return reporting;
}
/** @param {any} sock @param {string} who */
async function countUntilEnd(sock, who) {
  try {
    for (;;) {
      const [topic] = await sock.receive();
      if (topic.length <= 5) {
        const tag = topic.toString();
        if (tag === 'probe' || tag === 'end') await sendReport(tag, who);
      }
    }
  } catch (err) {
    if (!sock.closed) throw err;
  }
}
const subscribers = [];
for (let i = 0; i < 8; i++) {
  const sub = new lib.Subscriber({ receiveHighWaterMark: 0 });
  sub.subscribe();
  sockets.push(sub);
  await sub.bind('tcp://127.0.0.1:*');
  subscribers.push(sub.lastEndpoint);
  countUntilEnd(sub, `sub${i}`);
}
const pull = new lib.Pull({ receiveHighWaterMark: 0 });
sockets.push(pull);
await pull.bind('tcp://127.0.0.1:*');
countUntilEnd(pull, 'pull');
endpoints.fanout = { tcp: JSON.stringify({ subscribers, report: report.lastEndpoint }), ipc: '' };
endpoints.pushpull = { tcp: JSON.stringify({ subscribers: [pull.lastEndpoint], report: report.lastEndpoint }), ipc: '' };
// The pipelined case's floor (bench/lib/net-floor.mjs): node:net with JS framing, no ZeroMQ.
const netEcho = await startNetEcho();
endpoints.netfloor = { tcp: netEcho.endpoint, ipc: '' };

process.on('message', (/** @type {{ cmd?: string }} */ m) => {
  if (m?.cmd === 'collect') {
    // Before each batch (bench/run.mjs): started with --expose-gc.
    globalThis.gc?.();
    process.send?.({ ok: true, ...(rssDetail ? { rss: rssSnapshot() } : {}) });
    return;
  }
  if (m?.cmd !== 'stop') return;
  netEcho.close();
  for (const s of sockets) s.close();
  const detail = rssDetail ? { rss: rssSnapshot() } : {};
  process.send?.({ maxRssKiB: process.resourceUsage().maxRSS, ...detail }, () => process.exit(0));
});
process.send?.({ ready: true, endpoints });
