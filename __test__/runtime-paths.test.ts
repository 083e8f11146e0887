// The paths the addon picks by asking the runtime at load time, forced on Node so that they are
// tested here: reading connections with the engine's own reader threads (what Bun, Deno and
// worker threads use; results settle through the threadsafe function), and handing large
// received frames over as copies (what a runtime that refuses external Buffers gets).
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { runNode, test } from './helpers'

// A round trip (small and large frames), a receive timeout, and a receive cut short by close(),
// then an exit by itself: what each path must carry.
const SCRIPT = `
const assert = require('node:assert/strict');
const { Request, Reply } = require('zeromq-napi');
const native = require('./lib/native.js');
(async () => {
  assert.deepEqual(native.paths(), JSON.parse(process.env.EXPECT_PATHS));
  const rep = new Reply();
  await rep.bind('tcp://127.0.0.1:0');
  const served = rep.serve((request) => request);
  const req = new Request();
  req.connect(rep.lastEndpoint);
  const [hello] = await req.request('hello');
  assert.equal(hello.toString(), 'hello');
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const [back, small] = await req.request([big, 'small']);
  assert.ok(back.equals(big), 'the large frame comes back intact');
  assert.equal(small.toString(), 'small');

  const silent = new Reply();
  await silent.bind('tcp://127.0.0.1:0');
  const impatient = new Request({ receiveTimeout: 50 });
  impatient.connect(silent.lastEndpoint);
  await assert.rejects(impatient.request('anyone?'), { code: 'EAGAIN' });
  impatient.close();
  silent.close();

  const idle = new Reply();
  await idle.bind('tcp://127.0.0.1:0');
  const waiting = idle.receive();
  idle.close();
  await assert.rejects(waiting, { code: 'EAGAIN' });

  req.close();
  rep.close();
  await served;
  console.log('ok');
})().catch((err) => { console.error(err); process.exitCode = 1; });
`

async function check(env: Record<string, string>, paths: { readsOnJsThread: boolean; externalBuffers: boolean }) {
  const result = await runNode(SCRIPT, { env: { ...env, EXPECT_PATHS: JSON.stringify(paths) }, timeoutMs: 15000 })
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout.trim(), 'ok')
}

// Windows builds have no event-loop reader (lib/native.js says why): the engine's readers read there.
const mainThreadReads = process.platform !== 'win32'

describe('runtime paths', () => {
  test("Node's main thread reads on its own event loop (not on Windows) and gets external Buffers", async () => {
    await check({}, { readsOnJsThread: mainThreadReads, externalBuffers: true })
  })

  test("the engine's reader threads (ZEROMQ_NAPI_READER=engine): round trip, receive timeout, close", async () => {
    await check({ ZEROMQ_NAPI_READER: 'engine' }, { readsOnJsThread: false, externalBuffers: true })
  })

  test('received frames as copies (ZEROMQ_NAPI_EXTERNAL_BUFFERS=0): round trip, receive timeout, close', async () => {
    await check({ ZEROMQ_NAPI_EXTERNAL_BUFFERS: '0' }, { readsOnJsThread: mainThreadReads, externalBuffers: false })
  })
})
