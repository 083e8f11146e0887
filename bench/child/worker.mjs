// Worker process of the broker case: one Reply connected to the broker's backend, echoing every
// request (the plain receive/send loop). { cmd: 'stop' } ends it.
import { loadLib } from './libs.mjs';

const [name, backend] = process.argv.slice(2);
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

process.on('message', (/** @type {{ cmd?: string }} */ m) => {
  if (m?.cmd === 'collect') {
    globalThis.gc?.();
    process.send?.({ ok: true });
    return;
  }
  if (m?.cmd !== 'stop') return;
  rep.close();
  process.send?.({ maxRssKiB: process.resourceUsage().maxRSS }, () => process.exit(0));
});
process.send?.({ ready: true });
