// One runtime's round trips, for bench/runtimes.mjs: a Reply and a Request in this process over
// tcp loopback, 16-byte request and reply, one at a time. Run by node, bun or deno with the
// library name ("ours" or "zeromqjs") and the round-trip counts; prints one JSON line.
import { createRequire } from 'node:module';

const [lib = 'ours', warmArg = '500', countArg = '2000'] = process.argv.slice(2);
const warm = Number(warmArg);
const count = Number(countArg);
const payload = Buffer.alloc(16, 0x61);
const now = () => Number(process.hrtime.bigint()) / 1000; // us

/** @returns {Promise<{ ask: () => Promise<unknown>, close: () => void, version: string }>} */
async function ours() {
  const require = createRequire(import.meta.url);
  const { Reply, Request } = await import('../../index.mjs');
  const rep = new Reply();
  await rep.bind('tcp://127.0.0.1:0');
  void rep.serve((msg) => msg[0]);
  const req = new Request();
  req.connect(String(rep.lastEndpoint));
  return {
    ask: () => req.request(payload),
    close: () => { req.close(); rep.close(); },
    version: `zeromq-napi ${require('../../package.json').version}`,
  };
}

async function zeromqjs() {
  const require = createRequire(import.meta.url);
  const zmq = require('zeromq');
  const rep = new zmq.Reply();
  await rep.bind('tcp://127.0.0.1:*');
  let open = true;
  void (async () => {
    try {
      while (open) {
        const [m] = await rep.receive();
        await rep.send(m);
      }
    } catch {
      // closed
    }
  })();
  const req = new zmq.Request();
  req.connect(String(rep.lastEndpoint));
  return {
    ask: async () => { await req.send(payload); return req.receive(); },
    close: () => { open = false; req.close(); rep.close(); },
    version: `zeromq.js ${zmq.version ? `(libzmq ${zmq.version})` : ''}`.trim(),
  };
}

const pair = lib === 'zeromqjs' ? await zeromqjs() : await ours();
for (let i = 0; i < warm; i++) await pair.ask();
const times = new Float64Array(count);
const started = now();
for (let i = 0; i < count; i++) {
  const t0 = now();
  await pair.ask();
  times[i] = now() - t0;
}
const total = now() - started;
pair.close();
times.sort();
const at = (/** @type {number} */ q) => times[Math.min(count - 1, Math.floor(q * count))];
const runtime = process.versions.bun ? `bun ${process.versions.bun}` : 'Deno' in globalThis ? `deno ${process.versions.deno}` : `node ${process.version.slice(1)}`;
process.stdout.write(`${JSON.stringify({ runtime, lib: pair.version, count, medianUs: at(0.5), p99Us: at(0.99), meanUs: total / count })}\n`);
process.exit(0);
