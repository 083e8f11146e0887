// Receive batching (src/batch.rs, lib/socket.js): a receive that finds several messages queued takes
// them all in one native call and serves the next receives from the socket's own queue. Users see no
// difference: order kept per peer, receiveHighWaterMark as exact as without batches (a message of a
// batch not yet read still counts), nothing accepted lost when a sender closes mid-stream, and close()
// drops the unread rest of a batch as it drops every unread message.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Proxy, Pull, Push, Router } from 'zeromq-napi'
import { TCP_LOOPBACK, rejectsCode, stateAfter, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

async function boundRouter(t: TestContext, options?: ConstructorParameters<typeof Router>[0]): Promise<{ router: Router; endpoint: string }> {
  const router = use(t, new Router(options))
  await router.bind(TCP_LOOPBACK)
  return { router, endpoint: String(router.lastEndpoint) }
}

/** Resolves once `sock` has a message queued, without taking it. */
async function readable(sock: { readable: boolean }, what: string): Promise<void> {
  const deadline = Date.now() + 5000
  while (!sock.readable) {
    if (Date.now() > deadline) throw new Error(`${what}: never readable`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('receive batching', () => {
  test('a burst from several peers arrives whole, each peer in its order', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const names = ['a', 'b', 'c']
    const count = 2000
    const dealers = names.map((name) => {
      const dealer = use(t, new Dealer({ routingId: name }))
      dealer.connect(endpoint)
      return dealer
    })
    await within(Promise.all(dealers.map(async (dealer, d) => {
      for (let i = 0; i < count; i++) await dealer.send([String(i), names[d]])
    })), 10000, 'sends')
    const next = new Map(names.map((name) => [name, 0]))
    for (let n = 0; n < names.length * count; n++) {
      const [id, seq, body] = texts(await within(router.receive(), 5000, `receive ${n}`))
      assert.equal(body, id, 'frames of one message stay together')
      assert.equal(seq, String(next.get(id)), `peer ${id} in its order`)
      next.set(id, Number(seq) + 1)
    }
    assert.deepEqual([...next.values()], names.map(() => count))
    assert.equal(router.readable, false)
  })

  test('batches of every shape arrive byte for byte: empty, small, many-framed and large frames, mixed', async (t) => {
    // Small messages cross laid out in the slab (src/slab.rs `Slab::lay_out`); a batch with a large
    // frame, or more frames than the layout holds, crosses as arrays made natively instead.
    const pull = use(t, new Pull())
    await pull.bind(TCP_LOOPBACK)
    const push = use(t, new Push())
    push.connect(String(pull.lastEndpoint))
    const frame = (seed: number, length: number): Buffer => Buffer.alloc(length, seed % 251)
    const shapes: number[][] = [
      [0], [16], [1, 0, 33], [8 * 1024 - 1], [8 * 1024], [3, 64 * 1024],
      Array.from({ length: 40 }, (_, i) => i), [70 * 1024], [5],
    ]
    const sent: [Buffer, ...Buffer[]][] = []
    for (let round = 0; round < 30; round++) {
      for (const [first, ...rest] of shapes) {
        const seed = round + sent.length
        sent.push([frame(seed, first), ...rest.map((length, i) => frame(seed + i + 1, length))])
      }
    }
    // One turn: they queue up, so receives find them in batches.
    await within(Promise.all(sent.map((message) => push.send(message))), 10000, 'sends')
    await readable(pull, 'pull')
    for (let i = 0; i < sent.length; i++) {
      const got = await within(pull.receive(), 5000, `receive ${i}`)
      assert.equal(got.length, sent[i].length, `message ${i}: frame count`)
      got.forEach((f, j) => assert.ok(f.equals(sent[i][j]), `message ${i} frame ${j}`))
    }
  })

  test('for await and receive() share the queue: every message once, in order', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const dealer = use(t, new Dealer({ routingId: 'd' }))
    dealer.connect(endpoint)
    for (let i = 0; i < 500; i++) await dealer.send(String(i))
    await readable(router, 'router')
    const got: string[] = []
    got.push(texts(await router.receive())[1])
    for await (const [, body] of router) {
      got.push(body.toString())
      if (got.length === 250) break
    }
    while (got.length < 500) got.push(texts(await within(router.receive(), 5000, 'receive'))[1])
    assert.deepEqual(got, Array.from({ length: 500 }, (_, i) => String(i)))
  })

  test('the unread rest of a batch counts against receiveHighWaterMark', async (t) => {
    const mark = 32
    const pull = use(t, new Pull({ receiveHighWaterMark: mark }))
    await pull.bind(TCP_LOOPBACK)
    const push = use(t, new Push({ sendHighWaterMark: 2 }))
    push.connect(String(pull.lastEndpoint))
    // Frames large enough that the OS buffers hold only a few: the queues' bounds decide.
    const big = Buffer.alloc(512 * 1024, 3)
    const total = 128
    let accepted = 0
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        await push.send([String(i), big])
        accepted++
      }
    })()
    /** The sender's count once it has stopped moving (it is held at the marks). */
    const settled = async (): Promise<number> => {
      for (;;) {
        const before = accepted
        assert.equal(await stateAfter(sending, 300), 'pending', 'the sender is held at the marks')
        if (accepted === before) return accepted
      }
    }
    const full = await settled()
    assert.ok(full < total)
    // This receive takes the Pull's whole queue (32) in one batch and hands out one message: that
    // message's room is freed, not the batch's. The OS buffers (which may grow meanwhile) and the
    // reader's read-ahead may let a few more through; the batch's room would let ~31 more.
    assert.equal(texts(await within(pull.receive(), 5000, 'receive 0'))[0], '0')
    const after = await settled()
    assert.ok(after - full <= 8, `one message read, ${after - full} more taken`)
    for (let i = 1; i < total; i++) {
      assert.equal(texts(await within(pull.receive(), 5000, `receive ${i}`))[0], String(i))
    }
    await within(sending, 5000, 'all sent')
  })

  test('a sender closed mid-stream loses nothing it accepted', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const dealer = new Dealer({ routingId: 'gone', linger: -1 })
    dealer.connect(endpoint)
    const count = 3000
    for (let i = 0; i < count; i++) await dealer.send(String(i))
    dealer.close()
    for (let i = 0; i < count; i++) {
      assert.deepEqual(texts(await within(router.receive(), 5000, `receive ${i}`)), ['gone', String(i)])
    }
  })

  test('close() mid-batch drops the unread rest: later receives reject EBADF, iteration ends', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const dealer = use(t, new Dealer({ routingId: 'd' }))
    dealer.connect(endpoint)
    for (let i = 0; i < 100; i++) await dealer.send(String(i))
    await readable(router, 'router')
    let seen = 0
    for await (const [, body] of router) {
      assert.equal(body.toString(), String(seen))
      if (++seen === 3) router.close()
    }
    assert.equal(seen, 3)
    assert.equal(router.readable, false)
    await rejectsCode(router.receive(), 'EBADF')
  })

  test('a proxy started on a socket forwards the unread rest of its batch first', async (t) => {
    const { router: frontend, endpoint } = await boundRouter(t)
    const backend = use(t, new Dealer())
    await backend.bind(TCP_LOOPBACK)
    const client = use(t, new Dealer({ routingId: 'c' }))
    client.connect(endpoint)
    for (let i = 0; i < 20; i++) await client.send(String(i))
    await readable(frontend, 'frontend')
    assert.deepEqual(texts(await frontend.receive()), ['c', '0'])
    const worker = use(t, new Dealer())
    worker.connect(String(backend.lastEndpoint))
    const proxy = new Proxy(frontend, backend)
    const running = proxy.run()
    t.after(async () => {
      proxy.terminate()
      await running
    })
    for (let i = 20; i < 40; i++) await client.send(String(i))
    for (let i = 1; i < 40; i++) {
      assert.deepEqual(texts(await within(worker.receive(), 5000, `worker receive ${i}`)), ['c', String(i)])
    }
  })

  test('an aborted receive takes nothing from the batch', async (t) => {
    const { router, endpoint } = await boundRouter(t)
    const dealer = use(t, new Dealer({ routingId: 'd' }))
    dealer.connect(endpoint)
    for (let i = 0; i < 50; i++) await dealer.send(String(i))
    await readable(router, 'router')
    assert.equal(texts(await router.receive())[1], '0')
    await assert.rejects(router.receive({ signal: AbortSignal.abort() }), { name: 'AbortError' })
    const [a, b] = await Promise.all([router.receive(), router.receive()])
    assert.deepEqual([texts(a)[1], texts(b)[1]], ['1', '2'])
  })
})
