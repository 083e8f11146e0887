// Router (ROUTER): [routingId, ...frames] in, routing by the first frame out, generated 5-byte ids,
// unknown peers dropped or (mandatory) EHOSTUNREACH, EBUSY, abort, iteration, options, 1 MiB frames,
// REQ -> ROUTER ... DEALER -> REP by hand.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, isZmqError, Reply, Request, Router } from 'zeromq-napi'
import { rejectsCode, rejectsTypeError, stateAfter, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

async function boundRouter(t: TestContext, options?: ConstructorParameters<typeof Router>[0]) {
  const router = use(t, new Router(options))
  await router.bind('tcp://127.0.0.1:*')
  const endpoint = router.lastEndpoint
  assert.ok(endpoint)
  return { router, endpoint }
}

describe('Router', () => {
  test('receive() gives the peer routingId first, or a generated 5-byte id; send routes by it', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const named = use(t, new Dealer({ routingId: 'alice' }))
    const binaryId = Buffer.from([1, 2, 3, 0, 255])
    const binary = use(t, new Dealer({ routingId: binaryId }))
    const anonymous = use(t, new Dealer())
    for (const d of [named, binary, anonymous]) d.connect(endpoint)
    await named.send('from alice')
    await binary.send(['from binary', 'two'])
    await anonymous.send('from anon')
    const ids = new Map<string, Buffer>()
    for (let i = 0; i < 3; i++) {
      const [id, body, ...rest] = await within(router.receive(), 2000, 'receive')
      ids.set(body.toString(), id)
      if (body.toString() === 'from binary') assert.deepEqual(texts(rest), ['two'])
    }
    assert.equal(ids.get('from alice')?.toString(), 'alice')
    assert.ok(ids.get('from binary')?.equals(binaryId))
    const generated = ids.get('from anon')
    assert.ok(generated)
    assert.equal(generated.length, 5)
    assert.equal(generated[0], 0, 'a generated id starts with a zero byte, as libzmq\'s')

    await router.send([generated, 'to anon'])
    await router.send(['alice', 'to', 'alice'])
    await router.send([binaryId, 'to binary'])
    assert.deepEqual(texts(await within(anonymous.receive(), 2000, 'anon')), ['to anon'])
    assert.deepEqual(texts(await within(named.receive(), 2000, 'alice')), ['to', 'alice'])
    assert.deepEqual(texts(await within(binary.receive(), 2000, 'binary')), ['to binary'])
  })

  test('a message for an unknown or gone peer is dropped silently', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    await router.send(['nobody', 'x'])
    const d = use(t, new Dealer({ routingId: 'gone' }))
    d.connect(endpoint)
    await d.send('hi')
    await within(router.receive(), 2000, 'hi')
    d.close()
    // Whether or not the router has noticed yet, the send resolves.
    await within(router.send(['gone', 'x']), 2000, 'send to a gone peer')
  })

  test('mandatory: true rejects EHOSTUNREACH for an unknown or gone peer', async (t) => {
    const { router, endpoint } = await boundRouter(t, { mandatory: true })
    assert.equal(router.mandatory, true)
    const err = await rejectsCode(router.send(['nobody', 'x']), 'EHOSTUNREACH')
    assert.ok(isZmqError(err))
    const d = use(t, new Dealer({ routingId: 'known' }))
    d.connect(endpoint)
    await d.send('hi')
    await within(router.receive(), 2000, 'hi')
    await router.send(['known', 'welcome'])
    assert.deepEqual(texts(await within(d.receive(), 2000, 'welcome')), ['welcome'])
    // Switched off as a property: dropped again.
    router.mandatory = false
    await router.send(['nobody', 'x'])
    router.mandatory = true
    await rejectsCode(router.send(['nobody', 'x']), 'EHOSTUNREACH')
  })

  test('a message without a body rejects EINVAL; non-messages reject TypeError', async (t) => {
    const { router } = await boundRouter(t)
    await rejectsCode(router.send(['only-an-id']), 'EINVAL')
    await rejectsCode(router.send('only-an-id'), 'EINVAL')
    await rejectsTypeError(() => router.send([] as never), 'send([])')
    await rejectsTypeError(() => router.send(42 as never), 'send(42)')
  })

  test('a second concurrent receive rejects EBUSY; abort and close end a pending one', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const ac = new AbortController()
    const first = router.receive({ signal: ac.signal })
    await rejectsCode(router.receive(), 'EBUSY')
    ac.abort()
    await rejectsCode(first, 'ABORT_ERR')
    const d = use(t, new Dealer({ routingId: 'd' }))
    d.connect(endpoint)
    await d.send('after abort')
    assert.deepEqual(texts(await within(router.receive(), 2000, 'after abort')), ['d', 'after abort'])
    const pending = router.receive()
    assert.equal(await stateAfter(pending, 10), 'pending')
    router.close()
    await rejectsCode(pending, 'EAGAIN')
    await rejectsCode(router.send(['d', 'x']), 'EBADF')
  })

  test('async iteration yields [routingId, ...frames] and ends on close', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const d = use(t, new Dealer({ routingId: 'iter' }))
    d.connect(endpoint)
    for (const m of ['a', 'b']) await d.send(m)
    const seen: string[][] = []
    for await (const m of router) {
      seen.push(texts(m))
      if (seen.length === 2) router[Symbol.dispose]()
    }
    assert.deepEqual(seen, [['iter', 'a'], ['iter', 'b']])
    assert.equal(router.closed, true)
  })

  test('1 MiB frames through the router both ways', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const d = use(t, new Dealer({ routingId: 'big' }))
    d.connect(endpoint)
    await d.send(Buffer.alloc(1 << 20, 5))
    const [id, body] = await within(router.receive(), 5000, 'big')
    assert.ok(body.equals(Buffer.alloc(1 << 20, 5)))
    await router.send([id, body, Buffer.alloc(1 << 20, 6)])
    const [a, b] = await within(d.receive(), 5000, 'big back')
    assert.ok(a.equals(Buffer.alloc(1 << 20, 5)) && b.equals(Buffer.alloc(1 << 20, 6)))
  })

  test('changing a large buffer right after send() does not change what the peer gets', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const d = use(t, new Dealer({ routingId: 'mut' }))
    d.connect(endpoint)
    await d.send('hello')
    const [id] = await within(router.receive(), 5000, 'hello')
    const big = Buffer.alloc(1 << 20, 6)
    const sent = router.send([id, big])
    big.fill(0x5a)
    await sent
    const [got] = await within(d.receive(), 5000, 'big')
    assert.ok(got.equals(Buffer.alloc(1 << 20, 6)), 'the bytes at the call')
  })

  test('options: mandatory is the Router\'s own (TypeError elsewhere and for a non-boolean)', () => {
    assert.throws(() => new Router({ mandatory: 'yes' } as never), TypeError)
    assert.throws(() => new Router({ correlate: true } as never), TypeError)
    assert.throws(() => new Reply({ mandatory: true } as never), TypeError)
    assert.throws(() => new Request({ mandatory: true } as never), TypeError)
    const r = new Router()
    try {
      assert.equal(r.mandatory, false)
      assert.throws(() => { (r as unknown as { mandatory: unknown }).mandatory = 1 }, TypeError)
    } finally {
      r.close()
    }
  })

  test('REQ -> ROUTER ... DEALER -> REP, forwarded by hand in JS', async (t) => {
    const { router: frontend, endpoint: fe } = await boundRouter(t)
    const backend = use(t, new Dealer())
    await backend.bind('tcp://127.0.0.1:*')
    const be = backend.lastEndpoint
    assert.ok(be)
    const pump = async (from: Router | Dealer, to: Router | Dealer) => {
      for await (const m of from) await to.send(m).catch(() => {})
    }
    void pump(frontend, backend)
    void pump(backend, frontend)
    for (const name of ['w1', 'w2']) {
      const worker = use(t, new Reply())
      worker.connect(be)
      void worker.serve((m) => [`${name}:${m[0]}`])
    }
    const clients = [0, 1, 2].map(() => {
      const c = use(t, new Request())
      c.connect(fe)
      return c
    })
    const replies = await within(Promise.all(clients.map((c, i) => c.request(`c${i}`))), 5000, 'requests')
    replies.forEach((r, i) => assert.match(r[0].toString(), new RegExp(`^w[12]:c${i}$`)))
  })

  test('events: a Router reports bind and accept, a Dealer connect and handshake', async (t) => {
    const router = use(t, new Router())
    const bound = new Promise<{ address: string }>((resolve) => router.events.once('bind', resolve))
    const accepted = new Promise<{ address: string }>((resolve) => router.events.once('accept', resolve))
    await router.bind('tcp://127.0.0.1:*')
    const endpoint = router.lastEndpoint
    assert.ok(endpoint)
    assert.equal((await within(bound, 2000, 'bind event')).address, endpoint)
    const dealer = use(t, new Dealer())
    const connected = new Promise<{ address: string }>((resolve) => dealer.events.once('connect', resolve))
    const shook = new Promise<{ address: string }>((resolve) => dealer.events.once('handshake', resolve))
    dealer.connect(endpoint)
    assert.equal((await within(connected, 2000, 'connect event')).address, endpoint)
    assert.equal((await within(shook, 2000, 'handshake event')).address, endpoint)
    assert.match((await within(accepted, 2000, 'accept event')).address, /^tcp:\/\/127\.0\.0\.1:\d+$/)
  })
})
