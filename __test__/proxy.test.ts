// Proxy: REQ -> ROUTER | Proxy | DEALER -> REP with two workers, EBUSY on its sockets while it runs,
// ending by terminate(), an AbortSignal and a socket's close(), argument errors, 1 MiB frames.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Proxy, Reply, Request, Router } from 'zeromq-napi'
import { rejectsCode, runNode, stateAfter, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

/** A bound Router frontend and Dealer backend, and a Proxy over them (not running). */
async function broker(t: TestContext) {
  const frontend = use(t, new Router())
  const backend = use(t, new Dealer())
  await frontend.bind('tcp://127.0.0.1:*')
  await backend.bind('tcp://127.0.0.1:*')
  const fe = frontend.lastEndpoint
  const be = backend.lastEndpoint
  assert.ok(fe && be)
  return { frontend, backend, fe, be, proxy: new Proxy(frontend, backend) }
}

function worker(t: TestContext, be: string, name: string) {
  const rep = use(t, new Reply())
  rep.connect(be)
  void rep.serve((m) => [`${name}:${m[0]}`, ...m.slice(1)])
  return rep
}

describe('Proxy', () => {
  test('REQ -> ROUTER | Proxy | DEALER -> REP: every request answered, both workers used', async (t) => {
    const { fe, be, proxy } = await broker(t)
    const running = proxy.run()
    worker(t, be, 'w1')
    worker(t, be, 'w2')
    const clients = Array.from({ length: 6 }, () => {
      const c = use(t, new Request())
      c.connect(fe)
      return c
    })
    const workers = new Set<string>()
    for (let round = 0; round < 10; round++) {
      const replies = await within(Promise.all(clients.map((c, i) => c.request([`${i}.${round}`, 'x']))), 5000, 'round')
      replies.forEach((r, i) => {
        const [head, tail] = texts(r)
        const [name, body] = head.split(':')
        assert.equal(body, `${i}.${round}`)
        assert.equal(tail, 'x')
        workers.add(name)
      })
    }
    assert.deepEqual([...workers].sort(), ['w1', 'w2'])
    proxy.terminate()
    await within(running, 2000, 'run() after terminate()')
  })

  test('its sockets reject EBUSY while it runs and work again after terminate()', async (t) => {
    const { frontend, backend, be, proxy } = await broker(t)
    assert.equal(proxy.frontend, frontend)
    assert.equal(proxy.backend, backend)
    const running = proxy.run()
    assert.equal(await stateAfter(running, 10), 'pending')
    await rejectsCode(frontend.receive(), 'EBUSY')
    await rejectsCode(frontend.send(['x', 'y']), 'EBUSY')
    await rejectsCode(backend.send('x'), 'EBUSY')
    await rejectsCode(backend.receive(), 'EBUSY')
    // A second run on the same sockets, or one sharing a socket.
    await rejectsCode(proxy.run(), 'EBUSY')
    const other = use(t, new Dealer())
    await rejectsCode(new Proxy(other, backend).run(), 'EBUSY')
    proxy.terminate()
    proxy.terminate()
    await within(running, 2000, 'terminated')
    // Usable again, and runnable again.
    const d = use(t, new Dealer({ routingId: 'after' }))
    d.connect(be)
    await d.send('direct')
    assert.deepEqual(texts(await within(backend.receive(), 2000, 'direct')), ['direct'])
    const again = proxy.run()
    await rejectsCode(backend.receive(), 'EBUSY')
    proxy.terminate()
    await within(again, 2000, 'terminated again')
  })

  test('run() resolves when its signal aborts (at once for an aborted one)', async (t) => {
    const { frontend, proxy } = await broker(t)
    await within(proxy.run({ signal: AbortSignal.abort() }), 1000, 'pre-aborted')
    const ac = new AbortController()
    const running = proxy.run({ signal: ac.signal })
    await rejectsCode(frontend.receive(), 'EBUSY')
    ac.abort()
    await within(running, 2000, 'aborted')
    const receiving = frontend.receive()
    assert.equal(await stateAfter(receiving, 10), 'pending')
    frontend.close()
    await rejectsCode(receiving, 'EAGAIN')
  })

  test('a signal whose addEventListener throws, or calls its listener at once, leaves no proxy running', async (t) => {
    const { backend, be, proxy } = await broker(t)
    const thrown = new Error('addEventListener exploded')
    const throwing = { aborted: false, reason: undefined, addEventListener() { throw thrown }, removeEventListener() {} }
    await assert.rejects(within(proxy.run({ signal: throwing as unknown as AbortSignal }), 1000, 'run'), (err) => err === thrown)
    const reentrant = {
      aborted: false,
      reason: undefined,
      addEventListener(_type: string, listener: () => void) { listener() },
      removeEventListener() {},
    }
    await within(proxy.run({ signal: reentrant as unknown as AbortSignal }), 1000, 'run stopped by its listener')
    // Nothing holds the sockets: they are usable directly, and the proxy runs again.
    const d = use(t, new Dealer({ routingId: 'after' }))
    d.connect(be)
    await d.send('direct')
    assert.deepEqual(texts(await within(backend.receive(), 2000, 'direct')), ['direct'])
    const again = proxy.run()
    await rejectsCode(backend.receive(), 'EBUSY')
    proxy.terminate()
    await within(again, 2000, 'terminated')
  })

  for (const which of ['frontend', 'backend'] as const) {
    test(`run() resolves when the ${which} is closed`, async (t) => {
      const b = await broker(t)
      const running = b.proxy.run()
      assert.equal(await stateAfter(running, 10), 'pending')
      b[which].close()
      await within(running, 2000, `run() after ${which}.close()`)
      await rejectsCode(b.proxy.run(), 'EBADF')
    })
  }

  test('arguments: two Dealer/Router sockets, run() options', async (t) => {
    const rep = use(t, new Reply())
    const router = use(t, new Router())
    assert.throws(() => new Proxy(rep as never, router), TypeError)
    assert.throws(() => new Proxy(router, {} as never), TypeError)
    assert.throws(() => new Proxy(router, undefined as never), TypeError)
    const dealer = use(t, new Dealer())
    const proxy = new Proxy(router, dealer)
    // zeromq.js's names of the two sockets
    assert.equal(proxy.frontEnd, router)
    assert.equal(proxy.backEnd, dealer)
    await assert.rejects(proxy.run({ nope: true } as never), TypeError)
    await assert.rejects(proxy.run({ signal: 'no' } as never), TypeError)
  })

  test('1 MiB frames through the proxy both ways; a Dealer client with its own envelope', async (t) => {
    const { fe, be, proxy } = await broker(t)
    const running = proxy.run()
    worker(t, be, 'w')
    const client = use(t, new Dealer())
    client.connect(fe)
    const big = Buffer.alloc(1 << 20, 0x5a)
    await client.send(['', big, 'tail'])
    const [empty, head, body, tail] = await within(client.receive(), 5000, 'big reply')
    assert.equal(empty.length, 0)
    assert.equal(head.toString().slice(0, 2), 'w:')
    assert.equal(head.length, 2 + big.length)
    assert.ok(head.subarray(2).equals(big))
    assert.equal(body.toString(), 'tail')
    assert.equal(tail, undefined)
    proxy.terminate()
    await running
  })

  test("with the engine's reader threads (ZEROMQ_NAPI_READER=engine, as in workers, Bun, Deno) the proxy runs as an engine task", async () => {
    const source = `
      const { Dealer, Proxy, Reply, Request, Router } = require('zeromq-napi')
      ;(async () => {
        const frontend = new Router(), backend = new Dealer()
        await frontend.bind('tcp://127.0.0.1:*'); await backend.bind('tcp://127.0.0.1:*')
        const proxy = new Proxy(frontend, backend)
        const running = proxy.run()
        const worker = new Reply(); worker.connect(backend.lastEndpoint)
        worker.serve(([m]) => 'w:' + m)
        const client = new Request(); client.connect(frontend.lastEndpoint)
        const replies = []
        for (let i = 0; i < 20; i++) replies.push(String((await client.request('r' + i))[0]))
        const busy = await backend.receive().catch((e) => e.code)
        proxy.terminate(); await running
        const free = await backend.receive({ signal: AbortSignal.timeout(20) }).catch((e) => e.code)
        const again = proxy.run()
        frontend.close(); await again
        for (const s of [backend, worker, client]) s.close()
        console.log(JSON.stringify({ replies, busy, free }))
      })().catch((e) => { console.error(e); process.exit(1) })`
    const res = await runNode(source, { env: { ZEROMQ_NAPI_READER: 'engine' }, timeoutMs: 20000 })
    assert.equal(res.code, 0, res.stderr)
    const out = JSON.parse(res.stdout.trim()) as { replies: string[]; busy: string; free: string }
    assert.deepEqual(out.replies, Array.from({ length: 20 }, (_, i) => `w:r${i}`))
    assert.equal(out.busy, 'EBUSY')
    assert.equal(out.free, 'ABORT_ERR', 'after terminate() the socket is its own again')
  })

  // A close() right after run(), before the proxy's engine task has started on a runtime thread,
  // is a close while it runs: run() resolves (it used to reject EBADF when the task took the
  // sockets only once it started). Many rounds, so the close comes first in most of them.
  const closeRightAfterRun = `
    const { Dealer, Proxy, Router } = require('zeromq-napi')
    ;(async () => {
      const outcomes = {}
      for (let round = 0; round < 200; round++) {
        const frontend = new Router(), backend = new Dealer()
        const running = new Proxy(frontend, backend).run()
        const [closed, open] = round % 2 === 0 ? [frontend, backend] : [backend, frontend]
        closed.close()
        const outcome = await running.then(() => 'resolved', (e) => e.code)
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
        open.close()
      }
      console.log(JSON.stringify(outcomes))
    })().catch((e) => { console.error(e); process.exit(1) })`

  // After terminate() the sockets are free once run() resolves, though the engine task that
  // forwarded may not have been dropped yet: a second run() never rejects EBUSY.
  const runAgainAfterTerminate = `
    const { Dealer, Proxy, Router } = require('zeromq-napi')
    ;(async () => {
      const outcomes = {}
      for (let round = 0; round < 200; round++) {
        const frontend = new Router(), backend = new Dealer()
        const proxy = new Proxy(frontend, backend)
        const running = proxy.run()
        proxy.terminate(); await running
        const again = proxy.run()
        frontend.close()
        const outcome = await again.then(() => 'resolved', (e) => e.code)
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
        backend.close()
      }
      console.log(JSON.stringify(outcomes))
    })().catch((e) => { console.error(e); process.exit(1) })`

  // Any value but 'engine' keeps Node's main thread reading (the proxy polled on the JS thread).
  for (const [reader, where] of [['engine', "the engine's reader threads"], ['uv', 'the JS thread']] as const) {
    test(`run() then close() at once resolves run(), 200 rounds, with ${where} reading`, async () => {
      const res = await runNode(closeRightAfterRun, { env: { ZEROMQ_NAPI_READER: reader }, timeoutMs: 20000 })
      assert.equal(res.code, 0, res.stderr)
      assert.deepEqual(JSON.parse(res.stdout.trim()), { resolved: 200 })
    })
  }

  for (const [reader, where] of [['engine', "the engine's reader threads"], ['uv', 'the JS thread']] as const) {
    test(`terminate(), await run(), run() again: never EBUSY, 200 rounds, with ${where} reading`, async () => {
      const res = await runNode(runAgainAfterTerminate, { env: { ZEROMQ_NAPI_READER: reader }, timeoutMs: 20000 })
      assert.equal(res.code, 0, res.stderr)
      assert.deepEqual(JSON.parse(res.stdout.trim()), { resolved: 200 })
    })
  }
})
