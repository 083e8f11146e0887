// Server process for one library: a Reply socket running a receive/send loop on tcp and on ipc, and for
// ours also a Reply running serve({ concurrency: 16 }) on each. Tells the parent its endpoints over the
// IPC channel; on { cmd: 'collect' } runs a full GC (before each batch), on { cmd: 'stop' } closes everything and reports its peak RSS.
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

process.on('message', (/** @type {{ cmd?: string }} */ m) => {
  if (m?.cmd === 'collect') {
    // Before each batch (bench/run.mjs): started with --expose-gc.
    globalThis.gc?.();
    process.send?.({ ok: true });
    return;
  }
  if (m?.cmd !== 'stop') return;
  for (const s of sockets) s.close();
  process.send?.({ maxRssKiB: process.resourceUsage().maxRSS }, () => process.exit(0));
});
process.send?.({ ready: true, endpoints });
