// Broker process of the broker case, for one library: a Router for the clients and a Dealer for the
// workers, both bound on loopback tcp, and that library's own Proxy between them (ours forwards in the
// engine, zeromq.js's in a libzmq thread). Tells the parent its endpoints; { cmd: 'stop' } ends it.
import { loadLib } from './libs.mjs';

const [name] = process.argv.slice(2);
const lib = loadLib(/** @type {'ours' | 'zeromqjs'} */ (name));
const frontend = new lib.Router();
const backend = new lib.Dealer();
await frontend.bind('tcp://127.0.0.1:*');
await backend.bind('tcp://127.0.0.1:*');
const proxy = new lib.Proxy(frontend, backend);
const running = proxy.run().catch((/** @type {unknown} */ err) => console.error(`${name} proxy failed:`, err));

process.on('message', async (/** @type {{ cmd?: string }} */ m) => {
  if (m?.cmd === 'collect') {
    globalThis.gc?.();
    process.send?.({ ok: true });
    return;
  }
  if (m?.cmd !== 'stop') return;
  proxy.terminate();
  await running;
  frontend.close();
  backend.close();
  process.send?.({ maxRssKiB: process.resourceUsage().maxRSS }, () => process.exit(0));
});
process.send?.({ ready: true, endpoints: { frontend: frontend.lastEndpoint, backend: backend.lastEndpoint } });
