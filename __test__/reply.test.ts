// Reply (REP): strict alternation (EFSM at once), replies go to the client that asked, serve() with
// concurrency (out-of-order completion), failing handlers (server keeps going, failure reported), and
// serve()/async iteration ending on close or abort.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Dealer, Reply, Request } from 'zeromq-napi'
import {
  boundReply,
  callAsync,
  connectedRequest,
  delay,
  rejectsCode,
  rejectsTypeError,
  stateAfter,
  test,
  texts,
  use,
  within,
} from './helpers'

type Handler = Parameters<Reply['serve']>[0]

/** Collects process warnings (where serve() reports handler failures when no `onError` is given). */
function captureWarnings(t: import('node:test').TestContext) {
  const warnings: Array<Error & { code?: unknown; cause?: unknown }> = []
  const onWarning = (w: Error) => warnings.push(w)
  process.on('warning', onWarning)
  t.after(() => { process.off('warning', onWarning) })
  return warnings
}

describe('EFSM on Reply', () => {
  test('send before any request rejects EFSM at once (zeromq.js hangs here)', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    await rejectsCode(rep.send('unsolicited'), 'EFSM', 500)
  })

  test('a second receive before the reply is sent rejects EFSM; the reply still reaches the client', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('q')
    await within(rep.receive(), 2000, 'receive')
    await rejectsCode(rep.receive(), 'EFSM', 500)
    await rep.send('a')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'req.receive')), ['a'])
  })

  test('a second send for one request rejects EFSM', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('q')
    await within(rep.receive(), 2000, 'receive')
    await rep.send('one')
    await rejectsCode(rep.send('two'), 'EFSM', 500)
    assert.deepEqual(texts(await within(req.receive(), 2000, 'req.receive')), ['one'])
  })
})

describe('replies go to the client that asked', () => {
  test('plain receive/send with three clients sending at once', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const clients = ['a', 'b', 'c'].map((name) => ({ name, req: connectedRequest(t, endpoint) }))
    await Promise.all(clients.map((c) => c.req.send(c.name)))
    for (let i = 0; i < clients.length; i++) {
      const [m] = await within(rep.receive(), 2000, 'rep.receive')
      await rep.send(`re:${m}`)
    }
    for (const c of clients) assert.deepEqual(texts(await within(c.req.receive(), 2000, 'receive')), [`re:${c.name}`])
  })

  test('requests that arrive together: each reply goes out, in order, also one whose next request is never received', async (t) => {
    // A reply with the next request already queued waits for the end of its turn (to leave with
    // the next reply in one write): it must leave then even if no next reply comes.
    const { rep, endpoint } = await boundReply(t)
    const dealer = use(t, new Dealer())
    dealer.connect(endpoint)
    const asks = ['a', 'b', 'c', 'd']
    await Promise.all(asks.map((ask) => dealer.send(['', ask])))
    for (const ask of asks.slice(0, 3)) {
      const [m] = await within(rep.receive(), 2000, `rep.receive ${ask}`)
      assert.equal(m.toString(), ask)
      await rep.send(`re:${m}`)
    }
    for (const ask of asks.slice(0, 3)) {
      assert.deepEqual(texts(await within(dealer.receive(), 2000, `dealer.receive ${ask}`)), ['', `re:${ask}`])
    }
    const [last] = await within(rep.receive(), 2000, 'rep.receive d')
    assert.equal(last.toString(), 'd')
  })

  test('a reply to a client that went away is dropped and the next client is served', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const gone = new Request()
    gone.connect(endpoint)
    await gone.send('from-gone')
    await within(rep.receive(), 2000, 'receive from gone')
    gone.close()
    await within(rep.send('nobody listens'), 2000, 'send to a departed client settles').catch(() => {})
    const req = connectedRequest(t, endpoint)
    await req.send('from-live')
    const [m] = await within(rep.receive(), 2000, 'receive from live')
    assert.equal(m.toString(), 'from-live')
    await rep.send('re:live')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['re:live'])
  })
})

describe('serve()', () => {
  test('answers with the handler return value in every MessageLike form, sync or async', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const handler: Handler = async (msg) => {
      const s = msg[0].toString()
      switch (s) {
        case 'string': return 'str'
        case 'buffer': return Buffer.from('buf')
        case 'u8': return new Uint8Array([65, 66])
        case 'arraybuffer': return new Uint8Array([67]).buffer
        case 'null': return null
        case 'multi': return ['m1', null, Buffer.from('m3')]
        case 'promise': return delay(10).then(() => 'later')
        default: return `echo:${msg.map(String).join('|')}`
      }
    }
    const served = rep.serve(handler)
    const req = connectedRequest(t, endpoint)
    const ask = async (m: string | [string, ...string[]]) => texts(await within(req.request(m, { timeout: 2000 }), 3000, `request ${m}`))
    assert.deepEqual(await ask('string'), ['str'])
    assert.deepEqual(await ask('buffer'), ['buf'])
    assert.deepEqual(await ask('u8'), ['AB'])
    assert.deepEqual(await ask('arraybuffer'), ['C'])
    assert.deepEqual(await ask('null'), [''])
    assert.deepEqual(await ask('multi'), ['m1', '', 'm3'])
    assert.deepEqual(await ask('promise'), ['later'])
    assert.deepEqual(await ask(['x', 'y']), ['echo:x|y'], 'the handler receives all frames')
    rep.close()
    await within(served, 2000, 'serve resolves on close')
  })

  test('a synchronous handler works too', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    void rep.serve((m) => `sync:${m[0]}`)
    const req = connectedRequest(t, endpoint)
    assert.deepEqual(texts(await within(req.request('s'), 2000, 'request')), ['sync:s'])
  })

  test('concurrency: N handlers run at once, finish out of order, and each client gets its own reply', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const N = 4
    let inFlight = 0
    let maxInFlight = 0
    const finished: string[] = []
    let release!: () => void
    const allArrived = new Promise<void>((resolve) => { release = resolve })
    const fallback = setTimeout(() => release(), 1500) // never hang if concurrency is not honoured
    t.after(() => clearTimeout(fallback))
    void rep.serve(
      async (msg) => {
        const id = msg[0].toString()
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        if (inFlight === N) release()
        await allArrived
        // The first client's request finishes last.
        await delay((N - Number(id.slice(1))) * 25)
        inFlight--
        finished.push(id)
        return [`re:${id}`, ...msg.slice(1)]
      },
      { concurrency: N },
    )
    const clients = Array.from({ length: N }, () => connectedRequest(t, endpoint))
    const replies = await within(
      Promise.all(clients.map((c, i) => c.request([`c${i}`, `payload-${i}`], { timeout: 3000 }))),
      4000,
      'all replies',
    )
    replies.forEach((r, i) => assert.deepEqual(texts(r), [`re:c${i}`, `payload-${i}`], `client ${i} got its own reply`))
    assert.equal(maxInFlight, N, `${N} handlers were in flight at once`)
    assert.notDeepEqual(finished, [...finished].sort(), 'handlers finished out of arrival order')
    assert.equal(finished[finished.length - 1], 'c0')
  })

  test('concurrency is a limit: with concurrency 2 and 4 clients at most 2 handlers run at once', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    let inFlight = 0
    let maxInFlight = 0
    void rep.serve(
      async (msg) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await delay(40)
        inFlight--
        return `re:${msg[0]}`
      },
      { concurrency: 2 },
    )
    const clients = Array.from({ length: 4 }, () => connectedRequest(t, endpoint))
    const replies = await within(Promise.all(clients.map((c, i) => c.request(`${i}`, { timeout: 3000 }))), 4000, 'replies')
    replies.forEach((r, i) => assert.deepEqual(texts(r), [`re:${i}`]))
    assert.equal(maxInFlight, 2)
  })

  test('concurrency 1 handles one request at a time', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    let inFlight = 0
    let maxInFlight = 0
    void rep.serve(
      async (msg) => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await delay(20)
        inFlight--
        return `re:${msg[0]}`
      },
      { concurrency: 1 },
    )
    const clients = Array.from({ length: 3 }, () => connectedRequest(t, endpoint))
    const replies = await within(Promise.all(clients.map((c, i) => c.request(`${i}`, { timeout: 3000 }))), 4000, 'replies')
    replies.forEach((r, i) => assert.deepEqual(texts(r), [`re:${i}`]))
    assert.equal(maxInFlight, 1)
  })

  for (const kind of ['throws', 'rejects', 'returns an invalid message'] as const) {
    test(`a handler that ${kind} does not stop the server, other clients are served, the failure is reported`, async (t) => {
      const warnings = captureWarnings(t)
      const boom = new Error('handler exploded on purpose')
      const { rep, endpoint } = await boundReply(t)
      const served = rep.serve(
        async (msg) => {
          const s = msg[0].toString()
          if (s === 'bad') {
            if (kind === 'throws') throw boom
            if (kind === 'rejects') return Promise.reject(boom)
            return 12345 as unknown as string
          }
          return `ok:${s}`
        },
        { concurrency: 2 },
      )
      let servedSettled = false
      served.then(() => { servedSettled = true }, () => { servedSettled = true })
      const victim = connectedRequest(t, endpoint)
      const bystander = connectedRequest(t, endpoint)
      const badReply = victim.request('bad', { timeout: 300 }).then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      )
      assert.deepEqual(texts(await within(bystander.request('good', { timeout: 2000 }), 3000, 'bystander')), ['ok:good'])
      const outcome = await within(badReply, 3000, 'failing request settles')
      if (outcome.ok) assert.ok(!texts(outcome.r).includes('ok:bad'), 'the failing request got no normal answer')
      // The server is still serving, the same client included.
      assert.deepEqual(texts(await within(victim.request('again', { timeout: 2000 }), 3000, 'victim again')), ['ok:again'])
      assert.deepEqual(texts(await within(bystander.request('more', { timeout: 2000 }), 3000, 'bystander again')), ['ok:more'])
      assert.equal(servedSettled, false, 'serve() keeps running after a handler failure')
      // Reported as a process warning (the documented default when no onError is given).
      await new Promise((r) => setImmediate(r))
      const w = warnings.find((x) => x.name === 'ZmqServeWarning')
      assert.ok(w, `a ZmqServeWarning was emitted (got ${warnings.map((x) => x.name).join(', ') || 'none'})`)
      assert.equal(w.code, 'ZMQ_SERVE_HANDLER_ERROR')
      if (kind !== 'returns an invalid message') assert.equal(w.cause, boom, 'the failure is the warning cause')
      else assert.ok(w.cause instanceof TypeError, `an invalid reply is reported as a TypeError (got ${String(w.cause)})`)
    })
  }

  test('onError receives each handler failure with its request (instead of a warning)', async (t) => {
    const warnings = captureWarnings(t)
    const { rep, endpoint } = await boundReply(t)
    const failures: Array<{ error: unknown; request: string[] }> = []
    void rep.serve(
      (msg) => {
        if (msg[0].toString().startsWith('bad')) throw new Error(`failed on ${msg[0]}`)
        return `ok:${msg[0]}`
      },
      { onError: (error, request) => failures.push({ error, request: texts(request) }) },
    )
    const req = connectedRequest(t, endpoint)
    await rejectsCode(req.request(['bad-1', 'x'], { timeout: 200 }), 'EAGAIN', 2000)
    assert.deepEqual(texts(await within(req.request('fine', { timeout: 2000 }), 3000, 'fine')), ['ok:fine'])
    assert.equal(failures.length, 1)
    assert.deepEqual(failures[0].request, ['bad-1', 'x'])
    assert.ok(failures[0].error instanceof Error && failures[0].error.message === 'failed on bad-1')
    assert.equal(warnings.filter((w) => w.name === 'ZmqServeWarning').length, 0, 'no warning when onError handles it')
  })

  test('the default concurrency is 1', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    let inFlight = 0
    let maxInFlight = 0
    void rep.serve(async (msg) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await delay(20)
      inFlight--
      return `re:${msg[0]}`
    })
    const clients = Array.from({ length: 3 }, () => connectedRequest(t, endpoint))
    const replies = await within(Promise.all(clients.map((c, i) => c.request(`${i}`, { timeout: 3000 }))), 4000, 'replies')
    replies.forEach((r, i) => assert.deepEqual(texts(r), [`re:${i}`]))
    assert.equal(maxInFlight, 1)
  })

  test('serve() on a closed socket rejects EBADF; while a receive is pending it rejects EBUSY', async (t) => {
    const closed = new Reply()
    closed.close()
    await rejectsCode(closed.serve(() => 'x'), 'EBADF', 500)
    const { rep } = await boundReply(t)
    const pending = rep.receive()
    pending.catch(() => {})
    await rejectsCode(rep.serve(() => 'x'), 'EBUSY', 500)
  })

  test('invalid serve() arguments are TypeErrors (rejections)', async (t) => {
    const { rep } = await boundReply(t)
    for (const bad of [0, -1, 1.5, '2']) {
      const p = callAsync(() => rep.serve(() => 'x', { concurrency: bad as number }), `serve({ concurrency: ${bad} })`)
      await assert.rejects(within(p, 500, 'serve'), (err: unknown) => err instanceof TypeError || err instanceof RangeError)
    }
    await rejectsTypeError(() => rep.serve('not a function' as unknown as () => string), 'serve(string)', 500)
  })

  test('closing the socket while handlers are in flight: serve() resolves, no unhandled rejection', async (t) => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    t.after(() => { process.off('unhandledRejection', onUnhandled) })
    const { rep, endpoint } = await boundReply(t)
    let started!: () => void
    const handlerStarted = new Promise<void>((resolve) => { started = resolve })
    const served = rep.serve(async (m) => {
      started()
      await delay(100)
      return `late:${m[0]}`
    }, { concurrency: 2 })
    const req = connectedRequest(t, endpoint)
    const p = req.request('in-flight', { timeout: 2000 })
    p.catch(() => {})
    await within(handlerStarted, 2000, 'handler started')
    rep.close()
    await within(served, 2000, 'serve resolves on close')
    await delay(200) // the handler finishes after the close; its reply has nowhere to go
    assert.deepEqual(unhandled, [], 'no unhandled rejection')
  })

  test('serve() resolves when the socket closes', async (t) => {
    const { rep } = await boundReply(t)
    const served = rep.serve(() => 'x')
    assert.equal(await stateAfter(served, 30), 'pending')
    rep.close()
    await within(served, 2000, 'serve resolves on close')
  })

  test('serve() resolves when its signal aborts, and stops answering', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const ac = new AbortController()
    const served = rep.serve((m) => `re:${m[0]}`, { signal: ac.signal })
    const req = connectedRequest(t, endpoint)
    assert.deepEqual(texts(await within(req.request('before', { timeout: 2000 }), 3000, 'before abort')), ['re:before'])
    ac.abort()
    await within(served, 2000, 'serve resolves on abort')
    assert.equal(rep.closed, false, 'aborting serve() does not close the socket')
    // Nobody serves now: the request is not answered by the stopped loop.
    await rejectsCode(req.request('after', { timeout: 150 }), 'EAGAIN', 2000)
  })

  test('serve() with an already-aborted signal resolves at once without handling anything', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    let calls = 0
    await within(rep.serve(() => { calls++; return 'x' }, { signal: AbortSignal.abort() }), 500, 'serve')
    const req = connectedRequest(t, endpoint)
    await rejectsCode(req.request('nobody', { timeout: 100 }), 'EAGAIN', 2000)
    assert.equal(calls, 0)
  })
})

describe('async iteration', () => {
  test('for await yields each request as Buffer[] and ends when the socket closes', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const got: string[][] = []
    const loop = (async () => {
      for await (const msg of rep) {
        got.push(texts(msg))
        await rep.send(`re:${msg[0]}`)
      }
    })()
    const req = connectedRequest(t, endpoint)
    for (const s of ['one', 'two', 'three']) {
      assert.deepEqual(texts(await within(req.request([s, 'x']), 2000, 'request')), [`re:${s}`])
    }
    rep.close()
    await within(loop, 2000, 'iteration ends on close (without throwing)')
    assert.deepEqual(got, [['one', 'x'], ['two', 'x'], ['three', 'x']])
  })
})
