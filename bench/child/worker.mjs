// Worker process of the broker case: one Reply connected to the broker's backend, echoing every
// request (the plain receive/send loop); or, for 'netfloor', the node:net floor's worker
// (bench/lib/net-broker.mjs). { cmd: 'stop' } ends it.
import { startNetWorker } from '../lib/net-broker.mjs';
import { loadLib } from './libs.mjs';

const [name, backend] = process.argv.slice(2);

/** Starts the echo loop; resolves to how to stop it. */
async function start() {
  if (name === 'netfloor') return startNetWorker(backend.replace('tcp://', ''));
  const lib = loadLib(/** @type {'ours' | 'zeromqjs'} */ (name));
  const rep = new lib.Reply();
  rep.connect(backend);
  (async () => {
    try {
      for (;;) {
        const [msg] = await rep.receive();
        await rep.send(msg);
      }
    } catch (err) {
      if (!rep.closed) console.error(`${name} worker failed:`, err);
    }
  })();
  return { close: () => rep.close() };
}

const worker = await start();
process.on('message', (/** @type {{ cmd?: string }} */ m) => {
  if (m?.cmd === 'collect') {
    globalThis.gc?.();
    process.send?.({ ok: true });
    return;
  }
  if (m?.cmd !== 'stop') return;
  worker.close();
  process.send?.({ maxRssKiB: process.resourceUsage().maxRSS }, () => process.exit(0));
});
process.send?.({ ready: true });
