// A JS socket holds only its native socket's id (src/liveness.rs): after the JS object was
// collected and its native socket released, the id finds nothing (EBADF), also once newer sockets
// exist (ids are never reused, so no newer socket answers to an old id: no ABA). Each environment
// (a worker thread) has its own registry. Run in child processes under `node --expose-gc`.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { runNode, test } from './helpers'

const RELEASE_AND_REUSE = `
const assert = require('node:assert/strict');
const { Dealer } = require('zeromq-napi');
const { kNative } = require('./lib/socket.js');
const { binding } = require('./lib/native.js');

/** Whether the addon still has socket \`id\` (a released one throws EBADF from any operation). */
function released(id) {
  try {
    binding.socketBind(id, 'tcp://127.0.0.1:0');
    return false;
  } catch (err) {
    if (err.code !== 'EBADF') throw err;
    return true;
  }
}

(async () => {
  let stale;
  {
    const first = new Dealer();
    stale = first[kNative].id;
    first.close();
  }
  // The FinalizationRegistry of lib/native.js releases the native socket some turns after the
  // collection: collect and yield until it has (bounded).
  for (let i = 0; i < 200 && !released(stale); i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(released(stale), 'the collected socket was released');

  // Newer sockets, made where the old one's memory was: none answers to the old id.
  const fresh = [];
  for (let i = 0; i < 20; i++) fresh.push(new Dealer());
  for (const sock of fresh) assert.notEqual(sock[kNative].id, stale);
  assert.throws(() => binding.socketSend(stale, 'to nobody'), (err) => err.code === 'EBADF' && err.errno > 0);
  assert.throws(() => binding.socketRecv(stale), { code: 'EBADF' });
  binding.socketClose(stale);
  assert.equal(binding.socketClosed(stale), true);
  assert.equal(binding.socketReadable(stale), false);
  assert.equal(binding.socketLastEndpoint(stale), null);
  for (const sock of fresh) assert.equal(sock.closed, false, 'acting on the stale id left the new sockets alone');

  // And they work: a round trip between two of them.
  const [a, b] = fresh;
  await a.bind('tcp://127.0.0.1:0');
  b.connect(a.lastEndpoint);
  await b.send('hello');
  const [hello] = await a.receive();
  assert.equal(hello.toString(), 'hello');
  for (const sock of fresh) sock.close();
  console.log('ok');
})().catch((err) => { console.error(err); process.exitCode = 1; });
`

const PER_ENVIRONMENT = `
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { Dealer } = require('zeromq-napi');
const { kNative } = require('./lib/socket.js');

(async () => {
  const mine = new Dealer();
  await mine.bind('tcp://127.0.0.1:0');
  const id = mine[kNative].id;
  // A worker has its own registry: the same number there names its own socket or nothing, and
  // closing it there leaves this one open.
  const worker = new Worker(\`
    const { parentPort, workerData } = require('node:worker_threads');
    const { Dealer } = require(\${JSON.stringify(require.resolve('zeromq-napi'))});
    const { binding } = require(\${JSON.stringify(require.resolve('./lib/native.js'))});
    const own = new Dealer();
    binding.socketClose(workerData.id);
    parentPort.postMessage({ closedThere: binding.socketClosed(workerData.id) });
    own.close();
  \`, { eval: true, workerData: { id } });
  const [reply] = await Promise.all([
    new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }),
    new Promise((resolve) => worker.once('exit', resolve)),
  ]);
  assert.equal(reply.closedThere, true);
  assert.equal(mine.closed, false, "the worker's close of the same number did not reach this environment");
  mine.close();
  console.log('ok');
})().catch((err) => { console.error(err); process.exitCode = 1; });
`

describe('liveness by id', () => {
  test('a collected socket is released; its stale id acts on nothing, not on newer sockets (ABA)', async () => {
    const result = await runNode(RELEASE_AND_REUSE, { args: ['--expose-gc'], timeoutMs: 15000 })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), 'ok')
  })

  test('each environment (a worker thread) has its own sockets', async () => {
    const result = await runNode(PER_ENVIRONMENT, { timeoutMs: 15000 })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), 'ok')
  })
})
