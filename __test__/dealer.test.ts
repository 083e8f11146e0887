// Dealer (DEALER): send and receive in any order, round-robin out, fair-queued in, concurrent sends
// in call order (never EBUSY), a second receive EBUSY, options, abort, iteration, close, 1 MiB frames
// (taken at the call: changed right after send(), the peer still gets the bytes sent).
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Reply, Router } from 'zeromq-napi'
import { rejectsCode, rejectsTypeError, stateAfter, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

async function bound<T extends Dealer | Router>(t: TestContext, sock: T): Promise<{ sock: T; endpoint: string }> {
  use(t, sock)
  await sock.bind('tcp://127.0.0.1:*')
  const endpoint = sock.lastEndpoint
  assert.ok(endpoint)
  return { sock, endpoint }
}

describe('Dealer', () => {
  test('sends and receives in any order, frames unchanged', async (t) => {
    const { sock: router, endpoint } = await bound(t, new Router())
    const dealer = use(t, new Dealer({ routingId: 'd1' }))
    dealer.connect(endpoint)
    await dealer.send('one')
    await dealer.send(['two', 'parts'])
    assert.deepEqual(texts(await within(router.receive(), 2000, 'receive')), ['d1', 'one'])
    assert.deepEqual(texts(await within(router.receive(), 2000, 'receive')), ['d1', 'two', 'parts'])
    await router.send(['d1', 'a'])
    await router.send(['d1', 'b'])
    assert.deepEqual(texts(await within(dealer.receive(), 2000, 'receive')), ['a'])
    await dealer.send('three')
    assert.deepEqual(texts(await within(dealer.receive(), 2000, 'receive')), ['b'])
    assert.deepEqual(texts(await within(router.receive(), 2000, 'receive')), ['d1', 'three'])
  })

  test('round-robins over its peers and fair-queues from them', async (t) => {
    const { sock: hub, endpoint } = await bound(t, new Dealer())
    const peers = ['p1', 'p2'].map((name) => {
      const peer = use(t, new Dealer({ routingId: name }))
      peer.connect(endpoint)
      return peer
    })
    // A hello from each: both connections are up before the hub sends.
    await Promise.all(peers.map((p, i) => p.send(`hello ${i}`)))
    const hellos = [texts(await within(hub.receive(), 2000, 'hello'))[0], texts(await within(hub.receive(), 2000, 'hello'))[0]]
    assert.deepEqual(hellos.sort(), ['hello 0', 'hello 1'])

    for (let i = 0; i < 10; i++) await hub.send(String(i))
    const got = await Promise.all(
      peers.map(async (p) => {
        const mine: number[] = []
        for (let i = 0; i < 5; i++) mine.push(Number(texts(await within(p.receive(), 2000, 'round-robin'))[0]))
        return mine
      }),
    )
    // Strict alternation: one peer has the even messages, the other the odd ones.
    const parity = got.map((mine) => mine.map((n) => n % 2))
    assert.ok(parity.every((p) => p.every((x) => x === p[0])), `round-robin: ${JSON.stringify(got)}`)
    assert.deepEqual([...got[0], ...got[1]].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])

    for (let i = 0; i < 5; i++) await Promise.all(peers.map((p, n) => p.send(`${n}:${i}`)))
    const received: string[] = []
    for (let i = 0; i < 10; i++) received.push(texts(await within(hub.receive(), 2000, 'fair queue'))[0])
    for (const n of [0, 1]) {
      assert.deepEqual(received.filter((m) => m.startsWith(`${n}:`)), [0, 1, 2, 3, 4].map((i) => `${n}:${i}`))
    }
  })

  test('concurrent sends queue in call order, never EBUSY, and go out once a peer is there', async (t) => {
    const dealer = use(t, new Dealer())
    const sends = Array.from({ length: 100 }, (_, i) => dealer.send(String(i)))
    assert.equal(await stateAfter(sends[0], 20), 'pending')
    const { sock: router, endpoint } = await bound(t, new Router())
    dealer.connect(endpoint)
    await within(Promise.all(sends), 5000, 'queued sends')
    for (let i = 0; i < 100; i++) {
      assert.equal(texts(await within(router.receive(), 2000, 'receive'))[1], String(i))
    }
  })

  test('a second concurrent receive rejects EBUSY; the first still gets the message', async (t) => {
    const { sock: router, endpoint } = await bound(t, new Router())
    const dealer = use(t, new Dealer({ routingId: 'busy' }))
    dealer.connect(endpoint)
    const first = dealer.receive()
    await rejectsCode(dealer.receive(), 'EBUSY')
    await dealer.send('hi')
    await within(router.receive(), 2000, 'hi')
    await router.send(['busy', 'answer'])
    assert.deepEqual(texts(await within(first, 2000, 'first receive')), ['answer'])
  })

  test('sendTimeout and receiveTimeout reject EAGAIN', async (t) => {
    const dealer = use(t, new Dealer({ sendTimeout: 30, receiveTimeout: 30 }))
    await rejectsCode(dealer.send('nobody'), 'EAGAIN')
    await rejectsCode(dealer.receive(), 'EAGAIN')
  })

  test('an AbortSignal cancels a pending receive and a waiting send', async (t) => {
    const dealer = use(t, new Dealer())
    const ac = new AbortController()
    const receiving = dealer.receive({ signal: ac.signal })
    const sending = dealer.send('x', { signal: ac.signal })
    ac.abort()
    await rejectsCode(receiving, 'ABORT_ERR')
    await rejectsCode(sending, 'ABORT_ERR')
    await rejectsCode(dealer.receive({ signal: AbortSignal.abort() }), 'ABORT_ERR')
    // The socket is usable afterwards.
    const { sock: router, endpoint } = await bound(t, new Router())
    dealer.connect(endpoint)
    await dealer.send('after')
    assert.equal(texts(await within(router.receive(), 2000, 'after'))[1], 'after')
  })

  test('async iteration yields messages and ends on close; close is idempotent, then EBADF', async (t) => {
    const { sock: router, endpoint } = await bound(t, new Router())
    const dealer = use(t, new Dealer({ routingId: 'it' }))
    dealer.connect(endpoint)
    await dealer.send('start')
    await within(router.receive(), 2000, 'start')
    for (const m of ['a', 'b', 'c']) await router.send(['it', m])
    const seen: string[] = []
    for await (const [frame] of dealer) {
      seen.push(frame.toString())
      if (seen.length === 3) dealer.close()
    }
    assert.deepEqual(seen, ['a', 'b', 'c'])
    dealer.close()
    assert.equal(dealer.closed, true)
    await rejectsCode(dealer.send('x'), 'EBADF')
    await rejectsCode(dealer.receive(), 'EBADF')
    const disposable = new Dealer()
    disposable[Symbol.dispose]()
    assert.equal(disposable.closed, true)
  })

  test('close() rejects a pending receive EAGAIN', async () => {
    const dealer = new Dealer()
    const pending = dealer.receive()
    dealer.close()
    await rejectsCode(pending, 'EAGAIN')
  })

  test('1 MiB frames both ways', async (t) => {
    const { sock: router, endpoint } = await bound(t, new Router())
    const dealer = use(t, new Dealer({ routingId: 'big' }))
    dealer.connect(endpoint)
    const big = Buffer.alloc(1 << 20, 7)
    await dealer.send([big, big])
    const [id, a, b] = await within(router.receive(), 5000, 'big')
    assert.equal(id.toString(), 'big')
    assert.ok(a.equals(Buffer.alloc(1 << 20, 7)) && b.equals(a))
    await router.send(['big', Buffer.alloc(1 << 20, 3)])
    const [back] = await within(dealer.receive(), 5000, 'big back')
    assert.ok(back.equals(Buffer.alloc(1 << 20, 3)))
  })

  test('changing a large buffer right after send() does not change what the peer gets', async (t) => {
    const { sock: router, endpoint } = await bound(t, new Router())
    const dealer = use(t, new Dealer({ routingId: 'mut' }))
    dealer.connect(endpoint)
    const big = Buffer.alloc(1 << 20, 7)
    const sent = dealer.send([big, 'tail'])
    big.fill(0x5a)
    await sent
    const [id, got, tail] = await within(router.receive(), 5000, 'big')
    assert.equal(id.toString(), 'mut')
    assert.ok(got.equals(Buffer.alloc(1 << 20, 7)), 'the bytes at the call')
    assert.equal(tail.toString(), 'tail')
  })

  test('talks to a REP with an empty delimiter frame', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = rep.lastEndpoint
    assert.ok(endpoint)
    void rep.serve((m) => `re:${m[0]}`)
    const dealer = use(t, new Dealer())
    dealer.connect(endpoint)
    await dealer.send(['', 'q'])
    assert.deepEqual(texts(await within(dealer.receive(), 2000, 'reply')), ['', 're:q'])
  })

  test('options: the common set as properties; Request and Router options are TypeErrors', async (t) => {
    const dealer = use(t, new Dealer({ routingId: 'x', linger: 0 }))
    assert.equal(dealer.routingId, 'x')
    assert.equal(dealer.linger, 0)
    dealer.receiveTimeout = 50
    assert.equal(dealer.receiveTimeout, 50)
    assert.throws(() => new Dealer({ mandatory: true } as never), TypeError)
    assert.throws(() => new Dealer({ correlate: true } as never), TypeError)
    assert.throws(() => new Dealer({ linger: 'x' } as never), TypeError)
    assert.equal('mandatory' in dealer, false)
    await rejectsTypeError(() => dealer.send([] as never), 'send([])')
    await rejectsTypeError(() => dealer.send(undefined as never), 'send(undefined)')
  })
})
