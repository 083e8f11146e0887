// Publisher/Subscriber, XPublisher/XSubscriber, Push/Pull and Pair among our own sockets: prefix
// matching, subscribe/unsubscribe forms, XPublisher's subscription messages and verbosity, a
// publisher that never waits, Push waiting at the high-water mark, Pair's one peer, options and
// their TypeErrors, Proxy pairings with pause()/resume().
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Pair, Proxy, Publisher, Pull, Push, Router, Subscriber, XPublisher, XSubscriber } from 'zeromq-napi'
import { stateAfter, test, texts, throwsCode, use, within, TCP_LOOPBACK } from './helpers'

type TestContext = import('node:test').TestContext

/**
 * Publishes `message` every few ms until `receive` resolves (a subscription takes a round trip to
 * reach the publisher: the slow-joiner problem); resolves to what was received.
 */
async function publishUntil(send: () => Promise<void>, receive: Promise<Buffer[]>, what: string): Promise<Buffer[]> {
  let done = false
  const received = receive.finally(() => {
    done = true
  })
  const feed = (async () => {
    while (!done) {
      await send()
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  const message = await within(received, 5000, what)
  await feed
  return message
}

async function boundPublisher(t: TestContext, options?: ConstructorParameters<typeof Publisher>[0]) {
  const pub = use(t, new Publisher(options))
  await pub.bind(TCP_LOOPBACK)
  return { pub, endpoint: String(pub.lastEndpoint) }
}

describe('Publisher -> Subscriber', () => {
  test('only messages whose first frame starts with a subscribed prefix arrive', async (t) => {
    const { pub, endpoint } = await boundPublisher(t)
    const sub = use(t, new Subscriber())
    sub.subscribe('weather.', Buffer.from('news'))
    sub.connect(endpoint)
    const first = await publishUntil(() => pub.send(['weather.eu', 'sunny']), sub.receive(), 'first message')
    assert.deepEqual(texts(first), ['weather.eu', 'sunny'])
    for (const topic of ['sport', 'weather', 'newsroom', 'weathe', 'weather.us']) await pub.send([topic, 'x'])
    await pub.send('end')
    sub.subscribe('end')
    // 'end' was published before its subscription: only the next one can arrive.
    const seen: string[] = []
    for (;;) {
      const [topic] = await within(sub.receive(), 3000, 'receive')
      if (topic.toString() === 'weather.eu') continue
      seen.push(topic.toString())
      if (seen.includes('weather.us')) break
    }
    assert.deepEqual(seen, ['newsroom', 'weather.us'])
  })

  test('subscribe() with no argument is everything; unsubscribe() undoes it', async (t) => {
    const { pub, endpoint } = await boundPublisher(t)
    const sub = use(t, new Subscriber())
    sub.subscribe()
    sub.connect(endpoint)
    await publishUntil(() => pub.send('anything'), sub.receive(), 'everything')
    sub.unsubscribe()
    sub.subscribe('only')
    const m = await publishUntil(
      async () => {
        await pub.send('other')
        await pub.send('only.this')
      },
      (async () => {
        for (;;) {
          const got = await sub.receive()
          if (got[0].toString() === 'only.this') return got
        }
      })(),
      'after unsubscribe',
    )
    assert.deepEqual(texts(m), ['only.this'])
  })

  test('a publisher never waits for a subscriber that does not read', async (t) => {
    const { pub, endpoint } = await boundPublisher(t, { sendHighWaterMark: 2 })
    const sub = use(t, new Subscriber({ receiveHighWaterMark: 2 }))
    sub.subscribe('')
    sub.connect(endpoint)
    await publishUntil(() => pub.send('t'), sub.receive(), 'joined')
    const big = Buffer.alloc(64 * 1024, 1)
    const sends = (async () => {
      for (let i = 0; i < 2000; i++) await pub.send(['t', big])
    })()
    await within(sends, 10000, '2000 sends of 64 KiB to a subscriber that does not read')
  })

  test('noDrop: a send waits for a full subscriber (then EAGAIN after sendTimeout) instead of dropping', async (t) => {
    const { pub, endpoint } = await boundPublisher(t, { noDrop: true, sendHighWaterMark: 1, sendTimeout: 300 })
    assert.equal(pub.noDrop, true)
    const sub = use(t, new Subscriber({ receiveHighWaterMark: 1 }))
    sub.subscribe('')
    sub.connect(endpoint)
    await publishUntil(() => pub.send('t'), sub.receive(), 'joined')
    const big = Buffer.alloc(1024 * 1024, 3)
    // The OS buffers take a few MiB; past them the subscriber's queue (1) is full and sends wait.
    const err = await within(
      (async () => {
        for (let i = 0; i < 256; i++) await pub.send(['t', big])
        return undefined
      })().catch((e: unknown) => e),
      10000,
      'sends until one times out',
    )
    assert.equal((err as { code?: string } | undefined)?.code, 'EAGAIN', 'a send timed out waiting for room')
  })

  test('a Publisher has no receive and a Subscriber no send; subscribe() takes strings and bytes only', (t) => {
    const pub = use(t, new Publisher())
    const sub = use(t, new Subscriber())
    assert.equal((pub as unknown as { receive?: unknown }).receive, undefined)
    assert.equal((sub as unknown as { send?: unknown }).send, undefined)
    assert.throws(() => sub.subscribe(42 as unknown as string), TypeError)
    sub.close()
    throwsCode(() => sub.subscribe('x'), 'EBADF')
  })

  test('invertMatching: the subscriber gets what matches none of its subscriptions', async (t) => {
    const { pub, endpoint } = await boundPublisher(t, { invertMatching: true })
    const sub = use(t, new Subscriber({ invertMatching: true }))
    assert.equal(sub.invertMatching, true)
    sub.subscribe('skip')
    sub.connect(endpoint)
    const m = await publishUntil(
      async () => {
        await pub.send('skip.me')
        await pub.send('keep')
      },
      sub.receive(),
      'inverted',
    )
    assert.deepEqual(texts(m), ['keep'])
  })

  test('conflate: a Subscriber keeps only the newest message', async (t) => {
    const { pub, endpoint } = await boundPublisher(t)
    const sub = use(t, new Subscriber({ conflate: true }))
    sub.subscribe('')
    sub.connect(endpoint)
    await publishUntil(() => pub.send('warmup'), sub.receive(), 'joined')
    for (let i = 0; i < 50; i++) await pub.send(String(i))
    const marker = Buffer.from('49')
    // The newest arrives; at most a few older ones are still taken before it (they raced the read).
    let last = ''
    let count = 0
    while (last !== marker.toString()) {
      last = texts(await within(sub.receive(), 3000, 'receive'))[0]
      count++
    }
    assert.ok(count < 50, `${count} messages received of 50`)
  })
})

describe('XPublisher and XSubscriber', () => {
  test('XPublisher receives new subscriptions; verbosity "allSubs" every one, "allSubsUnsubs" every cancel too', async (t) => {
    for (const verbosity of [null, 'allSubs', 'allSubsUnsubs'] as const) {
      const xpub = use(t, new XPublisher({ verbosity }))
      await xpub.bind(TCP_LOOPBACK)
      const a = use(t, new Subscriber())
      a.subscribe('t')
      a.connect(String(xpub.lastEndpoint))
      assert.deepEqual([...(await within(xpub.receive(), 3000, 'first'))[0]], [1, 't'.charCodeAt(0)])
      const b = use(t, new Subscriber())
      b.subscribe('t', 'u')
      b.connect(String(xpub.lastEndpoint))
      const next = (await within(xpub.receive(), 3000, 'second'))[0]
      assert.equal(next.toString('latin1'), verbosity === null ? '\x01u' : '\x01t', String(verbosity))
      if (verbosity !== null) assert.equal((await xpub.receive())[0].toString('latin1'), '\x01u')
      b.unsubscribe('t')
      b.unsubscribe('u')
      const cancels: string[] = []
      for (;;) {
        const m = (await within(xpub.receive(), 3000, 'cancel'))[0].toString('latin1')
        cancels.push(m)
        if (m === '\x00u') break
      }
      // 'a' still has 't': only the verbosest sees b's cancel of it.
      assert.deepEqual(cancels, verbosity === 'allSubsUnsubs' ? ['\x00t', '\x00u'] : ['\x00u'], String(verbosity))
    }
  })

  test('XSubscriber subscribes by sending [0x01, ...prefix] and receives what matches', async (t) => {
    const xpub = use(t, new XPublisher())
    await xpub.bind(TCP_LOOPBACK)
    const xsub = use(t, new XSubscriber())
    xsub.connect(String(xpub.lastEndpoint))
    await xsub.send(Buffer.from('\x01news', 'latin1'))
    assert.equal((await within(xpub.receive(), 3000, 'subscription'))[0].toString('latin1'), '\x01news')
    await xpub.send('sport')
    await xpub.send(['news.1', 'x'])
    assert.deepEqual(texts(await within(xsub.receive(), 3000, 'receive')), ['news.1', 'x'])
  })

  test('XPublisher welcomeMessage: each subscriber gets it first as its connection completes', async (t) => {
    const xpub = use(t, new XPublisher({ welcomeMessage: 'hello' }))
    assert.equal(xpub.welcomeMessage, 'hello')
    await xpub.bind(TCP_LOOPBACK)
    for (const welcome of ['hello', 'again']) {
      const sub = use(t, new Subscriber())
      sub.subscribe('')
      sub.connect(String(xpub.lastEndpoint))
      assert.deepEqual(texts(await within(sub.receive(), 3000, 'welcome')), [welcome])
      // A later subscriber gets what the option says then.
      xpub.welcomeMessage = Buffer.from('again')
    }
    assert.throws(() => new XPublisher({ welcomeMessage: 1 as unknown as string }), TypeError)
  })

  test('XPublisher options: manual throws TypeError naming it', (t) => {
    for (const name of ['manual']) {
      assert.throws(() => new XPublisher({ [name]: true } as ConstructorParameters<typeof XPublisher>[0]), (err: Error) => {
        assert.ok(err instanceof TypeError)
        assert.match(err.message, new RegExp(`'${name}'.*not supported`))
        return true
      })
    }
    const xpub = use(t, new XPublisher())
    assert.throws(() => {
      ;(xpub as unknown as { manual: boolean }).manual = true
    }, /'manual' is not supported/)
    assert.throws(() => new Publisher({ conflate: true } as ConstructorParameters<typeof Publisher>[0]), /'conflate' is not supported/)
    assert.throws(() => new Push({ conflate: true } as ConstructorParameters<typeof Push>[0]), /'conflate' is not supported/)
    assert.throws(() => new XPublisher({ verbosity: 'loud' as 'allSubs' }), TypeError)
  })
})

describe('Push -> Pull', () => {
  test('Push round-robins over its Pulls; a Pull fair-queues its Pushes', async (t) => {
    const push = use(t, new Push())
    await push.bind(TCP_LOOPBACK)
    const pulls = [use(t, new Pull()), use(t, new Pull())]
    // Both connected: each gets half of what follows once both are in the round-robin.
    const joined = new Promise<void>((resolve) => {
      let n = 0
      push.events.on('handshake', () => {
        if (++n === 2) resolve()
      })
    })
    for (const pull of pulls) pull.connect(String(push.lastEndpoint))
    await within(joined, 5000, 'two handshakes')
    for (let i = 0; i < 10; i++) await push.send(String(i))
    const got = await Promise.all(pulls.map(async (pull) => {
      const mine: string[] = []
      for (let i = 0; i < 5; i++) mine.push(texts(await within(pull.receive(), 3000, 'receive'))[0])
      return mine
    }))
    assert.deepEqual(got.flat().sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
  })

  test('Push waits at the high-water mark and never drops', async (t) => {
    const pull = use(t, new Pull({ receiveHighWaterMark: 1 }))
    await pull.bind(TCP_LOOPBACK)
    const push = use(t, new Push({ sendHighWaterMark: 1 }))
    push.connect(String(pull.lastEndpoint))
    const big = Buffer.alloc(1024 * 1024, 7)
    let sent = 0
    const sending = (async () => {
      for (let i = 0; i < 64; i++) {
        await push.send([String(i), big])
        sent++
      }
    })()
    // The OS buffers hold only a few MiB: the sender is held back until the Pull reads.
    assert.equal(await stateAfter(sending, 300), 'pending')
    assert.ok(sent < 64)
    for (let i = 0; i < 64; i++) {
      const [n] = await within(pull.receive(), 5000, `receive ${i}`)
      assert.equal(n.toString(), String(i))
    }
    await within(sending, 5000, 'all sent')
  })

  test('a Push has no receive and a Pull no send', (t) => {
    const push = use(t, new Push())
    const pull = use(t, new Pull())
    assert.equal((push as unknown as { receive?: unknown }).receive, undefined)
    assert.equal((pull as unknown as { send?: unknown }).send, undefined)
  })
})

describe('Pair', () => {
  test('two Pairs talk both ways; a third is refused while the first peer is connected', async (t) => {
    const a = use(t, new Pair())
    await a.bind(TCP_LOOPBACK)
    const b = use(t, new Pair())
    b.connect(String(a.lastEndpoint))
    await within(b.send('ping'), 3000, 'send')
    assert.deepEqual(texts(await within(a.receive(), 3000, 'receive')), ['ping'])
    await within(a.send(['pong', '2']), 3000, 'send')
    assert.deepEqual(texts(await within(b.receive(), 3000, 'receive')), ['pong', '2'])
    const c = use(t, new Pair({ sendTimeout: 300 }))
    c.connect(String(a.lastEndpoint))
    // `a` refuses `c` once the handshake is done, and `c`'s own side of it may finish first: then its
    // send goes into the connection `a` drops (as with libzmq's PAIR) instead of timing out. Either
    // way nothing of `c`'s reaches `a`, which the next receive shows.
    const intruder = await within(c.send('intruder').then(() => 'sent', (err: { code?: string }) => err.code), 3000, 'intruder send')
    assert.ok(intruder === 'sent' || intruder === 'EAGAIN', `intruder send: ${intruder}`)
    await b.send('still me')
    assert.deepEqual(texts(await within(a.receive(), 3000, 'receive')), ['still me'])
  })
})

describe('Proxy pairings', () => {
  test('XSubscriber/XPublisher forwarder: messages one way, subscriptions the other; pause() holds them, resume() lets them go', async (t) => {
    const xsub = use(t, new XSubscriber())
    const xpub = use(t, new XPublisher())
    await xsub.bind(TCP_LOOPBACK)
    await xpub.bind(TCP_LOOPBACK)
    const proxy = new Proxy(xsub, xpub)
    const run = proxy.run()
    const pub = use(t, new Publisher())
    pub.connect(String(xsub.lastEndpoint))
    const sub = use(t, new Subscriber())
    sub.subscribe('a')
    sub.connect(String(xpub.lastEndpoint))
    const m = await publishUntil(() => pub.send(['a.1', 'via proxy']), sub.receive(), 'through the forwarder')
    assert.deepEqual(texts(m), ['a.1', 'via proxy'])
    proxy.pause()
    // What the forwarder had already passed on may still arrive; then a receive stays pending.
    let pending = sub.receive()
    while ((await stateAfter(pending, 200)) !== 'pending') pending = sub.receive()
    await pub.send(['a.2', 'held'])
    assert.equal(await stateAfter(pending, 300), 'pending', 'nothing is forwarded while paused')
    proxy.resume()
    // Copies of a.1 still queued in the XSubscriber go first.
    let got = await within(pending, 3000, 'after resume')
    while (got[0].toString() !== 'a.2') got = await within(sub.receive(), 3000, 'after resume')
    assert.deepEqual(texts(got), ['a.2', 'held'])
    proxy.terminate()
    await within(run, 3000, 'run() after terminate')
    assert.throws(() => proxy.pause(), (err: Error & { code?: string }) => err.code === 'EBADF')
  })

  test('Pull/Push pipeline stage', async (t) => {
    const pull = use(t, new Pull())
    const push = use(t, new Push())
    await pull.bind(TCP_LOOPBACK)
    await push.bind(TCP_LOOPBACK)
    const proxy = new Proxy(pull, push)
    const run = proxy.run()
    const source = use(t, new Push())
    source.connect(String(pull.lastEndpoint))
    const sink = use(t, new Pull())
    sink.connect(String(push.lastEndpoint))
    for (let i = 0; i < 5; i++) await source.send(['job', String(i)])
    for (let i = 0; i < 5; i++) assert.deepEqual(texts(await within(sink.receive(), 3000, 'receive')), ['job', String(i)])
    proxy.terminate()
    await run
  })

  test('pairings outside Router/Dealer, XSubscriber/XPublisher, Pull/Push are refused', (t) => {
    const [xsub, push, dealer, pair] = [use(t, new XSubscriber()), use(t, new Push()), use(t, new Dealer()), use(t, new Pair())]
    assert.throws(() => new Proxy(xsub, push as unknown as XPublisher), TypeError)
    assert.throws(() => new Proxy(dealer, pair as unknown as Router), TypeError)
    assert.doesNotThrow(() => new Proxy(use(t, new Router()), dealer))
  })
})
