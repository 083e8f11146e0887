// Sends of one event-loop turn (a loop of awaited send()s, or send()s not awaited) reach the kernel together: the
// first is written at once, the later ones are left to the connection's writer, which writes them in one vectored
// write (lib/native.js `laterInTurn`, the engine's `SocketHandle::batch_sends`). What a user sees stays the same:
// call order, high-water marks that hold sends back, and a close right after a burst that delivers every message
// it accepted.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Pull, Push, Router } from 'zeromq-napi'
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
