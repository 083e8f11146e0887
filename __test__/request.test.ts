// Request (REQ): the strict send/receive alternation (EFSM at once, never a hang), the timeout reset that never
// hands out a stale reply (with and without `correlate`), `relaxed`, request() (queueing, timeout, retries,
// server restart), round-robin, dead servers, client-before-server, and surviving a server restart.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Reply, Request } from 'zeromq-napi'
import {
  answerLoop,
  boundReply,
  connectedRequest,
  delay,
  freePort,
  rejectsCode,
  stateAfter,
  test,
  texts,
  use,
  within,
} from './helpers'

/** A Reply loop that answers each request after `ms` (to make requests overlap in time). */
function slowLoop(rep: Reply, ms: number, answer: (m: Buffer[]) => string = (m) => `re:${m[0]}`) {
  const seen: string[] = []
  const done = (async () => {
    for (;;) {
      try {
        const m = await rep.receive()
        seen.push(m[0].toString())
        await delay(ms)
        await rep.send(answer(m))
      } catch {
        return
      }
    }
  })()
  return { seen, done }
}

describe('EFSM: the alternation is enforced at once', () => {
  test('a second send before the reply rejects EFSM at once; the first request still completes', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('first')
    await rejectsCode(req.send('second'), 'EFSM', 500)
    const [got] = await within(rep.receive(), 2000, 'rep.receive')
    assert.equal(got.toString(), 'first')
    await rep.send('answer-to-first')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['answer-to-first'])
  })

  test('receive before any send rejects EFSM at once (zeromq.js hangs here)', async (t) => {
    const req = use(t, new Request())
    await rejectsCode(req.receive(), 'EFSM', 500)
  })

  test('receive after a completed round trip (nothing outstanding) rejects EFSM at once', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    await req.send('x')
    await within(req.receive(), 2000, 'receive')
    await rejectsCode(req.receive(), 'EFSM', 500)
    // And the socket is still fine.
    await req.send('y')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['y'])
  })

  test('an EFSM rejection does not change the state (send still allowed after a bad receive)', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    await rejectsCode(req.receive(), 'EFSM', 500)
    await rejectsCode(req.receive(), 'EFSM', 500)
    await req.send('still-ok')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['still-ok'])
  })
})

describe('receiveTimeout resets the socket and never hands out a stale reply', () => {
  for (const correlate of [false, true]) {
    test(`timeout → EAGAIN, next send allowed, late reply discarded (correlate: ${correlate})`, async (t) => {
      const { rep, endpoint } = await boundReply(t)
      const req = connectedRequest(t, endpoint, { receiveTimeout: 150, correlate })
      await req.send('one')
      const [first] = await within(rep.receive(), 2000, 'server receives one')
      assert.equal(first.toString(), 'one')
      const started = Date.now()
      await rejectsCode(req.receive(), 'EAGAIN', 2000)
      assert.ok(Date.now() - started >= 100, 'the receive waited for receiveTimeout')
      // The server answers the abandoned request late; that reply must never reach the next receive.
      await rep.send('stale-reply-to-one').catch(() => { /* the peer may be gone: dropping it is fine */ })
      await within(req.send('two'), 2000, 'send after a timeout is allowed (no EFSM)')
      const [second] = await within(rep.receive(), 3000, 'server receives two')
      assert.equal(second.toString(), 'two')
      await rep.send('fresh-reply-to-two')
      assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['fresh-reply-to-two'])
    })
  }

  test('many timeouts in a row keep the socket usable, and none of the late replies leaks', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint, { receiveTimeout: 60 })
    // The server holds every "try-*" request for 150 ms (> receiveTimeout) and then answers into the void.
    void (async () => {
      for (;;) {
        try {
          const [m] = await rep.receive()
          if (m.toString().startsWith('try')) await delay(150)
          await rep.send(`late:${m}`).catch(() => {})
        } catch {
          return
        }
      }
    })()
    for (let i = 0; i < 3; i++) {
      await within(req.send(`try-${i}`), 2000, `send try-${i}`)
      await rejectsCode(req.receive(), 'EAGAIN', 2000)
    }
    req.receiveTimeout = 3000
    await req.send('final')
    assert.deepEqual(texts(await within(req.receive(), 4000, 'receive')), ['late:final'])
  })

  test('receiveTimeout set as a property takes effect', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    req.receiveTimeout = 100
    await req.send('never answered')
    await within(rep.receive(), 2000, 'rep.receive')
    await rejectsCode(req.receive(), 'EAGAIN', 2000)
  })
})

describe('relaxed', () => {
  for (const correlate of [false, true]) {
    test(`relaxed (correlate: ${correlate}): a second send is allowed and the receive gets the reply to the second`, async (t) => {
      const { rep, endpoint } = await boundReply(t)
      answerLoop(rep, (m) => `re:${m[0]}`)
      const req = connectedRequest(t, endpoint, { relaxed: true, correlate })
      await req.send('one')
      await within(req.send('two'), 2000, 'second send (relaxed)')
      // The first request was abandoned: its reply must not be returned for the second.
      assert.deepEqual(texts(await within(req.receive(), 3000, 'receive')), ['re:two'])
      await req.send('three')
      assert.deepEqual(texts(await within(req.receive(), 3000, 'receive')), ['re:three'])
    })
  }

  test('relaxed still rejects receive before any send with EFSM', async (t) => {
    const req = use(t, new Request({ relaxed: true }))
    await rejectsCode(req.receive(), 'EFSM', 500)
  })
})

describe('request()', () => {
  test('send + receive in one call', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => ['re', ...m])
    const req = connectedRequest(t, endpoint)
    assert.deepEqual(texts(await within(req.request(['a', 'b']), 2000, 'request')), ['re', 'a', 'b'])
    assert.deepEqual(texts(await within(req.request('c'), 2000, 'request')), ['re', 'c'])
  })

  test('concurrent request() calls queue in call order and never EFSM', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const loop = answerLoop(rep, (m) => `re:${m[0]}`)
    const req = connectedRequest(t, endpoint)
    const calls = Array.from({ length: 8 }, (_, i) => req.request(`q${i}`))
    const replies = await within(Promise.all(calls), 5000, 'all requests')
    assert.deepEqual(replies.map(texts), calls.map((_, i) => [`re:q${i}`]))
    assert.deepEqual(loop.seen, calls.map((_, i) => [`q${i}`]), 'the server saw them in call order')
  })

  test('the timeout of a queued request starts at its own send, not while it waits in the queue', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const loop = slowLoop(rep, 150)
    const req = connectedRequest(t, endpoint)
    // Three requests of ~150 ms each: ~450 ms in all, but each attempt needs only ~150 ms < 400 ms.
    const replies = await within(
      Promise.all([0, 1, 2].map((i) => req.request(`slow${i}`, { timeout: 400 }))),
      5000,
      'queued requests',
    )
    assert.deepEqual(replies.map(texts), [['re:slow0'], ['re:slow1'], ['re:slow2']])
    assert.deepEqual(loop.seen, ['slow0', 'slow1', 'slow2'])
  })

  test('a request() that times out rejects EAGAIN and the next one works', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    const started = Date.now()
    const p = req.request('ignored', { timeout: 150 })
    const [m] = await within(rep.receive(), 2000, 'server got it')
    assert.equal(m.toString(), 'ignored')
    await rejectsCode(p, 'EAGAIN', 2000)
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 120 && elapsed < 1500, `timed out after ${elapsed} ms, expected ~150`)
    await rep.send('late').catch(() => {})
    answerLoop(rep, (x) => `re:${x[0]}`)
    assert.deepEqual(texts(await within(req.request('next', { timeout: 2000 }), 3000, 'next')), ['re:next'])
  })

  test('the default timeout of request() is receiveTimeout', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint, { receiveTimeout: 150 })
    const p = req.request('ignored')
    await within(rep.receive(), 2000, 'server got it')
    await rejectsCode(p, 'EAGAIN', 2000)
  })

  test('the timeout includes waiting for a connection', async (t) => {
    const port = await freePort()
    const req = connectedRequest(t, `tcp://127.0.0.1:${port}`)
    const started = Date.now()
    await rejectsCode(req.request('nobody', { timeout: 150 }), 'EAGAIN', 2000)
    assert.ok(Date.now() - started < 1500)
  })

  test('retries resend after each timeout and finally reject EAGAIN', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    // A server that reads every request and never answers (it can only read again after a send, so it
    // "answers" into the void once the client gave up: those late answers must not satisfy anything).
    const seen: string[] = []
    void (async () => {
      for (;;) {
        try {
          const [m] = await rep.receive()
          seen.push(m.toString())
          await delay(250)
          await rep.send('too late').catch(() => {})
        } catch {
          return
        }
      }
    })()
    const req = connectedRequest(t, endpoint)
    const started = Date.now()
    await rejectsCode(req.request('job', { timeout: 120, retries: 2 }), 'EAGAIN', 5000)
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 300, `3 attempts of 120 ms took only ${elapsed} ms`)
    assert.ok(seen.length >= 2, `the request was resent (server saw ${seen.length})`)
    assert.ok(seen.every((s) => s === 'job'))
  })

  test('an attempt fails at once when the connection that owed the reply is lost', async (t) => {
    const rep = new Reply()
    t.after(() => rep.close())
    await rep.bind('tcp://127.0.0.1:*')
    const req = connectedRequest(t, String(rep.lastEndpoint))
    const p = req.request('doomed', { timeout: 5000 })
    await within(rep.receive(), 2000, 'server got it')
    const started = Date.now()
    rep.close()
    await rejectsCode(p, 'EAGAIN', 2000)
    assert.ok(Date.now() - started < 1500, 'rejected long before the 5 s timeout')
  })

  test('retries across a server restart: the retry goes to the restarted server', async (t) => {
    const first = new Reply()
    t.after(() => first.close())
    await first.bind('tcp://127.0.0.1:*')
    const endpoint = String(first.lastEndpoint)
    const req = connectedRequest(t, endpoint)
    const p = req.request('job', { timeout: 2000, retries: 3 })
    const [m] = await within(first.receive(), 2000, 'first server got the job')
    assert.equal(m.toString(), 'job')
    first.close() // crash without answering
    const second = use(t, new Reply())
    await within(second.bind(endpoint), 2000, 'restart on the same endpoint')
    const loop = answerLoop(second, (x) => `done:${x[0]}`)
    assert.deepEqual(texts(await within(p, 5000, 'request across restart')), ['done:job'])
    assert.deepEqual(loop.seen, [['job']])
  })

  test('a retry after a lost connection goes to the next live server at once', async (t) => {
    const dying = new Reply()
    t.after(() => dying.close())
    await dying.bind('tcp://127.0.0.1:*')
    const live = await boundReply(t)
    const liveLoop = answerLoop(live.rep, (m) => `live:${m[0]}`)
    const req = connectedRequest(t, String(dying.lastEndpoint))
    const started = Date.now()
    const p = req.request('job', { timeout: 5000, retries: 1 })
    const [m] = await within(dying.receive(), 2000, 'the first attempt reaches the dying server')
    assert.equal(m.toString(), 'job')
    req.connect(live.endpoint)
    dying.close() // dies owing the reply
    assert.deepEqual(texts(await within(p, 6000, 'request with one retry')), ['live:job'])
    assert.ok(Date.now() - started < 2500, `the retry waited ${Date.now() - started} ms (not for the 5 s timeout)`)
    assert.deepEqual(liveLoop.seen, [['job']])
  })

  test('retries: with the only server silent, each attempt is sent and then EAGAIN after all retries', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    const p = req.request('x', { timeout: 80, retries: 1 })
    await within(rep.receive(), 2000, 'first attempt')
    await rejectsCode(p, 'EAGAIN', 3000)
  })
})

describe('several servers', () => {
  test('requests go round-robin over two servers', async (t) => {
    const a = await boundReply(t)
    const b = await boundReply(t)
    answerLoop(a.rep, () => 'A')
    answerLoop(b.rep, () => 'B')
    const req = connectedRequest(t, [a.endpoint, b.endpoint])
    const seen = new Set<string>()
    // Bounded by time, not count: a round trip can take far less time than a handshake.
    const warmUntil = Date.now() + 3000
    while (seen.size < 2 && Date.now() < warmUntil) {
      seen.add(texts(await within(req.request('warm', { timeout: 2000 }), 3000, 'warm-up'))[0])
    }
    assert.equal(seen.size, 2, 'both servers answered during warm-up')
    const order: string[] = []
    for (let i = 0; i < 8; i++) {
      await req.send(`r${i}`)
      order.push(texts(await within(req.receive(), 2000, 'receive'))[0])
    }
    for (let i = 1; i < order.length; i++) assert.notEqual(order[i], order[i - 1], `not alternating: ${order.join('')}`)
  })

  test('a server that is not up is skipped (no request is parked on it)', async (t) => {
    const dead = `tcp://127.0.0.1:${await freePort()}`
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, () => 'live')
    const req = connectedRequest(t, [dead, endpoint])
    for (let i = 0; i < 6; i++) {
      await within(req.send(`r${i}`), 2000, 'send')
      assert.deepEqual(texts(await within(req.receive(), 2000, `receive ${i}`)), ['live'])
    }
  })

  test('a server that goes down is skipped afterwards', async (t) => {
    const a = await boundReply(t)
    const b = new Reply()
    t.after(() => b.close())
    await b.bind('tcp://127.0.0.1:*')
    answerLoop(a.rep, () => 'A')
    answerLoop(b, () => 'B')
    const req = connectedRequest(t, [a.endpoint, String(b.lastEndpoint)])
    const seen = new Set<string>()
    // Bounded by time, not count: a round trip can take far less time than a handshake.
    const warmUntil = Date.now() + 3000
    while (seen.size < 2 && Date.now() < warmUntil) {
      seen.add(texts(await within(req.request('warm', { timeout: 2000 }), 3000, 'warm-up'))[0])
    }
    assert.equal(seen.size, 2)
    b.close()
    const started = Date.now()
    for (let i = 0; i < 6; i++) {
      // One retry covers the single request that may race the close; a lost connection fails the attempt at once.
      assert.deepEqual(texts(await within(req.request(`r${i}`, { timeout: 2000, retries: 1 }), 5000, 'request')), ['A'])
    }
    assert.ok(Date.now() - started < 2000, 'no request waited for a timeout on the dead server')
  })
})

describe('connection life', () => {
  test('a client started before its server works (the send waits for the connection)', async (t) => {
    const port = await freePort()
    const endpoint = `tcp://127.0.0.1:${port}`
    const req = connectedRequest(t, endpoint, { reconnectInterval: 50 })
    const sent = req.send('early bird')
    assert.equal(await stateAfter(sent, 50), 'pending', 'the send waits for a peer')
    const rep = use(t, new Reply())
    await rep.bind(endpoint)
    answerLoop(rep, (m) => `re:${m[0]}`)
    await within(sent, 3000, 'send completes once the server is up')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['re:early bird'])
  })

  test('a client survives a server restart', async (t) => {
    const first = new Reply()
    t.after(() => first.close())
    await first.bind('tcp://127.0.0.1:*')
    const endpoint = String(first.lastEndpoint)
    answerLoop(first, () => 'first')
    const req = connectedRequest(t, endpoint, { reconnectInterval: 50 })
    await req.send('a')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['first'])
    first.close()
    const second = use(t, new Reply())
    await within(second.bind(endpoint), 2000, 'restart')
    answerLoop(second, () => 'second')
    await within(req.send('b'), 3000, 'send after restart')
    assert.deepEqual(texts(await within(req.receive(), 3000, 'receive after restart')), ['second'])
  })

  test('a pending receive whose connection is lost rejects EAGAIN at once and resets the socket', async (t) => {
    const first = new Reply()
    t.after(() => first.close())
    await first.bind('tcp://127.0.0.1:*')
    const endpoint = String(first.lastEndpoint)
    const req = connectedRequest(t, endpoint)
    await req.send('lost')
    await within(first.receive(), 2000, 'server got it')
    const pending = req.receive() // no receiveTimeout: libzmq would hang here forever
    first.close()
    await rejectsCode(pending, 'EAGAIN', 1500)
    const second = use(t, new Reply())
    await second.bind(endpoint)
    answerLoop(second, (m) => `re:${m[0]}`)
    await within(req.send('again'), 3000, 'send allowed after the reset')
    assert.deepEqual(texts(await within(req.receive(), 3000, 'receive')), ['re:again'])
  })

  test('correlate: plain round trips against our Reply', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const loop = answerLoop(rep, (m) => [`re:${m[0]}`])
    const req = connectedRequest(t, endpoint, { correlate: true })
    for (let i = 0; i < 3; i++) {
      await req.send(`c${i}`)
      assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), [`re:c${i}`])
    }
    assert.deepEqual(loop.seen, [['c0'], ['c1'], ['c2']], 'the request-id frame is not visible to the Reply user')
  })
})
