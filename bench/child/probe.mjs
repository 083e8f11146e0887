// Does our addon load and do one round trip? Run in its own process so that a missing or half-written
// addon (a panic, an abort, a hang) only costs the benchmark its "ours" rows, never the whole run.
import { loadLib, timeout } from './libs.mjs';

const lib = loadLib('ours');
const rep = new lib.Reply();
const req = new lib.Request();
try {
  await Promise.race([
    (async () => {
      await rep.bind('tcp://127.0.0.1:*');
      req.connect(rep.lastEndpoint);
      await req.send(Buffer.from('ping'));
      const [msg] = await rep.receive();
      await rep.send(msg);
      const [back] = await req.receive();
      if (String(back) !== 'ping') throw new Error(`probe: got ${String(back)}`);
    })(),
    timeout(10_000, 'one round trip'),
  ]);
} finally {
  req.close();
  rep.close();
}
process.exit(0);
