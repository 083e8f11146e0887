// Sends of one event-loop turn (a loop of awaited send()s, or send()s not awaited) reach the kernel together: the
// first is written at once, the later ones are left to the connection's writer, which writes them in one vectored
// write (lib/native.js `laterInTurn`, the engine's `SocketHandle::batch_sends`). What a user sees stays the same:
// call order, high-water marks that hold sends back, and a close right after a burst that delivers every message
// it accepted. Later small sends of a turn that the engine has room for are kept in JS and handed over in one native
// call when the turn ends (lib/send-queue.js, `socketSendMany`): the same holds for them, and a send that cannot be
// kept (no room, a REQ/REP, a mandatory ROUTER, a large message) goes by itself, after them, with its own outcome.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Publisher, Pull, Push, Router, Subscriber } from 'zeromq-napi'
import { stateAfter, TCP_LOOPBACK, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

/** A Router bound on loopback and a Dealer connected to it, their connection up. */
async function pair(t: TestContext): Promise<{ router: Router; dealer: Dealer }> {
  const router = use(t, new Router())
  await router.bind(TCP_LOOPBACK)
  const dealer = use(t, new Dealer({ routingId: 'd' }))
  dealer.connect(String(router.lastEndpoint))
  await dealer.send('hello')
  assert.deepEqual(texts(await within(router.receive(), 5000, 'hello')), ['d', 'hello'])
  return { router, dealer }
}

describe('send batching', () => {
  test('bursts of awaited and of unawaited sends arrive in call order, both ways', async (t) => {
    const { router, dealer } = await pair(t)
    const n = 3000
    for (let i = 0; i < n; i++) await dealer.send(String(i))
    const unawaited: Promise<void>[] = []
    for (let i = n; i < 2 * n; i++) unawaited.push(dealer.send(['part', String(i)]))
    await within(Promise.all(unawaited), 10000, 'unawaited sends')
    for (let i = 0; i < 2 * n; i++) {
      const msg = await within(router.receive(), 5000, `receive ${i}`)
      assert.deepEqual(texts(msg), i < n ? ['d', String(i)] : ['d', 'part', String(i)])
    }
    for (let i = 0; i < n; i++) await router.send(['d', String(i)])
    for (let i = 0; i < n; i++) {
      assert.deepEqual(texts(await within(dealer.receive(), 5000, `echo ${i}`)), [String(i)])
    }
  })

  test('the high-water mark holds a burst back, in order, and nothing is dropped', async (t) => {
    const pull = use(t, new Pull({ receiveHighWaterMark: 1 }))
    await pull.bind(TCP_LOOPBACK)
    const push = use(t, new Push({ sendHighWaterMark: 2 }))
    push.connect(String(pull.lastEndpoint))
    await push.send('first')
    assert.deepEqual(texts(await within(pull.receive(), 5000, 'first')), ['first'])
    const big = Buffer.alloc(1024 * 1024, 5)
    const settled: number[] = []
    // One turn, nothing awaited: far more than the OS buffers and the mark take.
    const sends = Array.from({ length: 48 }, (_, i) => push.send([String(i), big]).then(() => void settled.push(i)))
    const all = Promise.all(sends)
    assert.equal(await stateAfter(all, 300), 'pending', 'the sender is held back until the Pull reads')
    assert.ok(settled.length < 48)
    assert.deepEqual(
      settled,
      settled.map((_, i) => i),
      'sends are taken in call order',
    )
    for (let i = 0; i < 48; i++) {
      const [n, body] = await within(pull.receive(), 5000, `receive ${i}`)
      assert.equal(n.toString(), String(i))
      assert.equal(body.length, big.length)
    }
    await within(all, 5000, 'all sent')
  })

  test('a close right after a burst delivers every message the burst had accepted, and no other', async (t) => {
    const { router, dealer } = await pair(t)
    const accepted: number[] = []
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < 5000; i++) {
      sends.push(dealer.send(String(i)).then(() => void accepted.push(i), () => undefined))
    }
    dealer.close()
    await Promise.all(sends)
    assert.ok(accepted.length > 1, `a burst was accepted (${accepted.length})`)
    assert.deepEqual(
      accepted,
      accepted.map((_, i) => i),
      'the accepted ones are the first ones',
    )
    for (const i of accepted) {
      assert.deepEqual(texts(await within(router.receive(), 5000, `receive ${i}`)), ['d', String(i)])
    }
    assert.equal(await stateAfter(router.receive(), 300), 'pending', 'nothing that was refused arrives')
  })
})

describe('sends kept in JS within the room the engine has', () => {
  test('every kind of frame arrives as it was at the send() call, in call order, mixed with sends that go by themselves', async (t) => {
    const { router, dealer } = await pair(t)
    const reused = Buffer.alloc(4)
    const big = Buffer.alloc(64 * 1024, 7)
    const expected: string[][] = []
    const sends: Promise<void>[] = []
    // One turn: the first send is written at once, the small later ones kept in JS, the big ones
    // (not kept) go by themselves after what was kept before them.
    for (let i = 0; i < 600; i++) {
      reused.writeUInt32BE(i)
      const u16 = new Uint16Array([i, 0xffff])
      const view = new DataView(new ArrayBuffer(2))
      view.setUint16(0, i)
      const ab = new Uint8Array([i & 0xff, 1, 2]).buffer
      sends.push(dealer.send(['s' + i + '\u00e9', reused, u16, view, ab, null]))
      expected.push([
        Buffer.from('s' + i + '\u00e9').toString('hex'),
        Buffer.from([i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]).toString('hex'),
        Buffer.from(u16.buffer).toString('hex'),
        Buffer.from([i >> 8, i & 0xff]).toString('hex'),
        Buffer.from([i & 0xff, 1, 2]).toString('hex'),
        '',
      ])
      if (i % 100 === 50) {
        sends.push(dealer.send([String(i), big]))
        expected.push([Buffer.from(String(i)).toString('hex'), big.toString('hex')])
      }
    }
    // The caller reuses its buffer after the calls: what was sent is what it held at each call.
    reused.fill(0xee)
    await within(Promise.all(sends), 10000, 'sends')
    for (let i = 0; i < expected.length; i++) {
      const msg = await within(router.receive(), 5000, `receive ${i}`)
      assert.deepEqual(
        msg.slice(1).map((f) => f.toString('hex')),
        expected[i],
        `message ${i}`,
      )
    }
  })

  test('a loop of awaited sends keeps call order across turns, and with receives in between', async (t) => {
    const { router, dealer } = await pair(t)
    const n = 5000
    const echoing = (async () => {
      for (let i = 0; i < n; i++) await router.send(await router.receive())
    })()
    const receiving = (async () => {
      for (let i = 0; i < n; i++) {
        assert.deepEqual(texts(await within(dealer.receive(), 5000, `echo ${i}`)), [String(i)])
      }
    })()
    for (let i = 0; i < n; i++) await dealer.send(String(i))
    await within(Promise.all([echoing, receiving]), 20000, 'echoes')
  })

  test('the high-water mark holds small kept sends back too, in order, and nothing is dropped', async (t) => {
    const pull = use(t, new Pull({ receiveHighWaterMark: 1 }))
    await pull.bind(TCP_LOOPBACK)
    const push = use(t, new Push({ sendHighWaterMark: 3 }))
    push.connect(String(pull.lastEndpoint))
    await push.send('first')
    assert.deepEqual(texts(await within(pull.receive(), 5000, 'first')), ['first'])
    // 4 KiB each (kept in JS while there is room): far more than the OS buffers and the mark take.
    const body = Buffer.alloc(4 * 1024, 3)
    const count = 12000
    const settled: number[] = []
    const sends = Array.from({ length: count }, (_, i) => push.send([String(i), body]).then(() => void settled.push(i)))
    const all = Promise.all(sends)
    assert.equal(await stateAfter(all, 300), 'pending', 'the sender is held back until the Pull reads')
    assert.ok(settled.length < count)
    assert.deepEqual(
      settled,
      settled.map((_, i) => i),
      'sends are taken in call order',
    )
    for (let i = 0; i < count; i++) {
      const [n, got] = await within(pull.receive(), 5000, `receive ${i}`)
      assert.equal(n.toString(), String(i))
      assert.equal(got.length, body.length)
    }
    await within(all, 5000, 'all sent')
  })

  test('a close in the middle of a turn of awaited sends delivers every accepted message', async (t) => {
    const { router, dealer } = await pair(t)
    let accepted = 0
    let refused: unknown
    await (async () => {
      for (let i = 0; ; i++) {
        if (i === 3000) dealer.close()
        try {
          await dealer.send(String(i))
        } catch (err) {
          refused = err
          return
        }
        accepted++
      }
    })()
    assert.equal(accepted, 3000)
    assert.equal((refused as { code?: string }).code, 'EBADF', 'the send after close() is refused')
    for (let i = 0; i < accepted; i++) {
      assert.deepEqual(texts(await within(router.receive(), 5000, `receive ${i}`)), ['d', String(i)])
    }
    assert.equal(await stateAfter(router.receive(), 300), 'pending', 'nothing else arrives')
  })

  test('errors still reach the send that caused them: a mandatory ROUTER, a DEALER with no peer, a closed socket', async (t) => {
    const mandatory = use(t, new Router({ mandatory: true }))
    const unroutable = [mandatory.send(['nobody', 'a']), mandatory.send(['nobody', 'b']), mandatory.send(['nobody', 'c'])]
    for (const p of unroutable) await assert.rejects(p, (err: { code?: string }) => err.code === 'EHOSTUNREACH')
    // Not mandatory: dropped, as a send taken on the spot is.
    const dropping = use(t, new Router())
    await Promise.all([dropping.send(['nobody', 'a']), dropping.send(['nobody', 'b']), dropping.send(['nobody', 'c'])])
    // A ROUTER message with no body is refused by the engine (EINVAL): never kept, in a burst too.
    const routed = [dropping.send(['nobody', 'a']), dropping.send(['only-an-id']), dropping.send('only-an-id')]
    await routed[0]
    for (const p of routed.slice(1)) await assert.rejects(p, (err: { code?: string }) => err.code === 'EINVAL')
    const lonely = use(t, new Dealer({ sendTimeout: 0 }))
    const waiting = [lonely.send('a'), lonely.send('b')]
    for (const p of waiting) await assert.rejects(p, (err: { code?: string }) => err.code === 'EAGAIN')
    const { dealer } = await pair(t)
    const before = [dealer.send('x'), dealer.send('y')]
    dealer.close()
    await Promise.all(before)
    await assert.rejects(dealer.send('z'), (err: { code?: string }) => err.code === 'EBADF')
  })

  test('lone sends in consecutive turns begun by immediates and timers all arrive in order, the last one too', async (t) => {
    const pull = use(t, new Pull())
    await pull.bind(TCP_LOOPBACK)
    const push = use(t, new Push())
    push.connect(String(pull.lastEndpoint))
    await push.send('first')
    assert.deepEqual(texts(await within(pull.receive(), 5000, 'first')), ['first'])
    // No receive settles between these turns, so lib/native.js cannot tell them apart: each one
    // after the first takes its send for a later one of the same turn (`laterInTurn`), which must
    // still be written when that turn ends, not when some later send comes.
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => (i % 2 === 0 ? setImmediate(resolve) : setTimeout(resolve, 1)))
      void push.send(String(i))
    }
    for (let i = 0; i < 6; i++) assert.deepEqual(texts(await within(pull.receive(), 5000, `message ${i}`)), [String(i)])
  })

  test('a PUB turn of kept sends reaches its subscriber in order', async (t) => {
    const sub = use(t, new Subscriber())
    sub.subscribe()
    await sub.bind(TCP_LOOPBACK)
    const pub = use(t, new Publisher({ sendHighWaterMark: 0 }))
    pub.connect(String(sub.lastEndpoint))
    // Until the subscription is through: probes (the one receive waits for the first).
    const first = sub.receive()
    do await pub.send('probe')
    while ((await stateAfter(first, 20)) !== 'resolved')
    const n = 2000
    for (let i = 0; i < n; i++) await pub.send(['data', String(i)])
    await pub.send('end')
    const got: string[] = []
    for (;;) {
      const msg = texts(await within(sub.receive(), 5000, 'data'))
      if (msg[0] === 'end') break
      if (msg[0] === 'data') got.push(msg[1])
    }
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => String(i)))
  })
})
