// Broker process of the broker case, for one library: a Router for the clients and a Dealer for the
// workers, both bound on loopback tcp, and that library's own Proxy between them (ours forwards in the
// engine, zeromq.js's in a libzmq thread); or, for 'netfloor', the node:net floor's broker
// (bench/lib/net-broker.mjs). Tells the parent its endpoints; { cmd: 'stop' } ends it.
import { startNetBroker } from '../lib/net-broker.mjs';
import { loadLib } from './libs.mjs';

const [name] = process.argv.slice(2);

/** Starts the broker; resolves to its endpoints and how to stop it. */
async function start() {
  if (name === 'netfloor') {
    const broker = await startNetBroker();
    return { endpoints: { frontend: `tcp://${broker.frontend}`, backend: `tcp://${broker.backend}` }, stop: async () => broker.close() };
  }
  const lib = loadLib(/** @type {'ours' | 'zeromqjs'} */ (name));
  const frontend = new lib.Router();
  const backend = new lib.Dealer();
  await frontend.bind('tcp://127.0.0.1:*');
  await backend.bind('tcp://127.0.0.1:*');
  const proxy = new lib.Proxy(frontend, backend);
  const running = proxy.run().catch((/** @type {unknown} */ err) => console.error(`${name} proxy failed:`, err));
  const stop = async () => {
    proxy.terminate();
    await running;
    frontend.close();
    backend.close();
  };
  return { endpoints: { frontend: frontend.lastEndpoint, backend: backend.lastEndpoint }, stop };
}

const broker = await start();
process.on('message', async (/** @type {{ cmd?: string }} */ m) => {
  if (m?.cmd === 'collect') {
    globalThis.gc?.();
    process.send?.({ ok: true });
    return;
  }
  if (m?.cmd !== 'stop') return;
  await broker.stop();
  process.send?.({ maxRssKiB: process.resourceUsage().maxRSS }, () => process.exit(0));
});
process.send?.({ ready: true, endpoints: broker.endpoints });
