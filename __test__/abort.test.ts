// AbortSignal on send/receive/request/serve: ABORT_ERR / AbortError, already-aborted signals, and nothing is
// lost or left in a wrong state after an abort.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Reply } from 'zeromq-napi'
import {
  answerLoop,
  boundReply,
  connectedRequest,
  freePort,
  stateAfter,
  test,
  texts,
  use,
  within,
} from './helpers'

/** Asserts `p` rejects (within `ms`) with the contract's abort error: code ABORT_ERR, name AbortError. */
async function rejectsAbort(p: Promise<unknown>, ms = 1000): Promise<void> {
  await assert.rejects(within(p, ms, 'abort'), (err: unknown) => {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`)
    assert.equal(err.name, 'AbortError')
    assert.equal((err as { code?: unknown }).code, 'ABORT_ERR')
    return true
  })
}

describe('abort while pending', () => {
  test('receive on a Reply rejects AbortError/ABORT_ERR when its signal fires', async (t) => {
    const { rep } = await boundReply(t)
    const ac = new AbortController()
    const p = rep.receive({ signal: ac.signal })
    assert.equal(await stateAfter(p, 20), 'pending')
    ac.abort()
    await rejectsAbort(p)
  })

  test('AbortSignal.timeout() works as a per-call deadline', async (t) => {
    const { rep } = await boundReply(t)
    const started = Date.now()
    await assert.rejects(within(rep.receive({ signal: AbortSignal.timeout(50) }), 1000, 'receive'), (err: unknown) => {
      // Node's AbortSignal.timeout() reason is a TimeoutError DOMException; the socket reports an abort either way.
      assert.ok(err instanceof Error)
      assert.ok((err as { code?: unknown }).code === 'ABORT_ERR', `code ${(err as { code?: unknown }).code}`)
      return true
    })
    assert.ok(Date.now() - started >= 40)
  })

  test('a send waiting for a peer rejects on abort, and the socket may still send afterwards', async (t) => {
    const port = await freePort()
    const endpoint = `tcp://127.0.0.1:${port}`
    const req = connectedRequest(t, endpoint, { reconnectInterval: 50 })
    const ac = new AbortController()
    const p = req.send('aborted', { signal: ac.signal })
    assert.equal(await stateAfter(p, 20), 'pending')
    ac.abort()
    await rejectsAbort(p)
    // The aborted send never happened: the Request is still in the "may send" state.
    const rep = use(t, new Reply())
    await rep.bind(endpoint)
    const loop = answerLoop(rep, (m) => `re:${m[0]}`)
    await within(req.send('real'), 3000, 'send after abort (no EFSM)')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['re:real'])
    assert.deepEqual(loop.seen, [['real']], 'the aborted message was not delivered')
  })

  test('request() rejects on abort; a queued request() can be aborted without affecting the one in flight', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    const first = req.request('first')
    const ac = new AbortController()
    const second = req.request('second', { signal: ac.signal })
    const [m] = await within(rep.receive(), 2000, 'first arrives')
    assert.equal(m.toString(), 'first')
    ac.abort()
    await rejectsAbort(second)
    await rep.send('re:first')
    assert.deepEqual(texts(await within(first, 2000, 'first request')), ['re:first'])
    answerLoop(rep, (x) => `re:${x[0]}`)
    assert.deepEqual(texts(await within(req.request('third'), 2000, 'third')), ['re:third'])
  })

  test('aborting a request() in flight rejects it and the next request() gets its own reply', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    const ac = new AbortController()
    const p = req.request('abandon me', { signal: ac.signal })
    await within(rep.receive(), 2000, 'server got it')
    ac.abort()
    await rejectsAbort(p)
    await rep.send('stale').catch(() => {})
    answerLoop(rep, (x) => `re:${x[0]}`)
    assert.deepEqual(texts(await within(req.request('next', { timeout: 2000 }), 3000, 'next')), ['re:next'])
  })
})

describe('already-aborted signals', () => {
  test('receive, send and request reject at once, and nothing is sent', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const loop = answerLoop(rep, (m) => `re:${m[0]}`)
    const req = connectedRequest(t, endpoint)
    const signal = AbortSignal.abort()
    await rejectsAbort(req.send('never', { signal }), 200)
    await rejectsAbort(req.request('never either', { signal }), 200)
    const idle = use(t, new Reply())
    await rejectsAbort(idle.receive({ signal }), 200)
    // State untouched: a normal round trip follows and only it reaches the server.
    assert.deepEqual(texts(await within(req.request('real'), 2000, 'request')), ['re:real'])
    assert.deepEqual(loop.seen, [['real']])
  })

  test('a Request receive with an already-aborted signal rejects ABORT_ERR and the reply is still there', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => `re:${m[0]}`)
    const req = connectedRequest(t, endpoint)
    await req.send('q')
    await rejectsAbort(req.receive({ signal: AbortSignal.abort() }), 200)
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['re:q'])
  })
})

describe('abort error details', () => {
  test("the abort error's cause is the signal's reason (as in Node's own APIs)", async (t) => {
    const rep = use(t, new Reply())
    const reason = new Error('user gave up')
    const ac = new AbortController()
    const p = rep.receive({ signal: ac.signal })
    ac.abort(reason)
    await assert.rejects(within(p, 1000, 'receive'), (err: unknown) => {
      assert.equal((err as { code?: unknown }).code, 'ABORT_ERR')
      assert.equal((err as { cause?: unknown }).cause, reason)
      return true
    })
  })
})

describe('long-lived signals', () => {
  test('one signal reused for many operations: no listener leak (no MaxListeners warning)', async (t) => {
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    t.after(() => { process.off('warning', onWarning) })
    const { rep, endpoint } = await boundReply(t)
    const ac = new AbortController()
    void rep.serve((m) => m, { signal: ac.signal })
    const req = connectedRequest(t, endpoint)
    const signal = new AbortController().signal
    for (let i = 0; i < 40; i++) {
      await req.send(`s${i}`, { signal })
      await req.receive({ signal })
      await req.request(`r${i}`, { signal, timeout: 2000 })
    }
    await new Promise((r) => setImmediate(r))
    const leaks = warnings.filter((w) => /MaxListeners|memory leak/i.test(`${w.name} ${w.message}`))
    assert.deepEqual(leaks.map((w) => w.message), [])
  })
})

describe('nothing is lost after an aborted receive', () => {
  test('Reply: the request that arrives after an aborted receive goes to the next receive', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const ac = new AbortController()
    const p = rep.receive({ signal: ac.signal })
    ac.abort()
    await rejectsAbort(p)
    const req = connectedRequest(t, endpoint)
    await req.send('after abort')
    assert.deepEqual(texts(await within(rep.receive(), 2000, 'receive')), ['after abort'])
    await rep.send('ok')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'req.receive')), ['ok'])
  })

  test('Reply: many aborted receives in a row, then every request is still delivered once, in order', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    for (let i = 0; i < 20; i++) {
      const ac = new AbortController()
      const p = rep.receive({ signal: ac.signal })
      ac.abort()
      await rejectsAbort(p)
    }
    const clients = [0, 1, 2].map(() => connectedRequest(t, endpoint))
    const replies = clients.map((c, i) => c.request(`m${i}`, { timeout: 3000 }))
    const got: string[] = []
    for (let i = 0; i < 3; i++) {
      const [m] = await within(rep.receive(), 2000, 'receive')
      got.push(m.toString())
      await rep.send(`re:${m}`)
    }
    assert.deepEqual(got.sort(), ['m0', 'm1', 'm2'])
    const r = await Promise.all(replies)
    assert.deepEqual(r.map(texts), [['re:m0'], ['re:m1'], ['re:m2']])
  })

  test('Request: aborting the wait for a reply does not drop the reply', async (t) => {
    // Abort only cancels the caller's wait (unlike receiveTimeout it is not a reset); the reply is delivered next.
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('q')
    const ac = new AbortController()
    const p = req.receive({ signal: ac.signal })
    await within(rep.receive(), 2000, 'server got q')
    ac.abort()
    await rejectsAbort(p)
    await rep.send('re:q')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['re:q'])
  })

  test('a signal that fires after the operation completed changes nothing', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => `re:${m[0]}`)
    const req = connectedRequest(t, endpoint)
    const ac = new AbortController()
    await req.send('a', { signal: ac.signal })
    const reply = await within(req.receive({ signal: ac.signal }), 2000, 'receive')
    ac.abort()
    assert.deepEqual(texts(reply), ['re:a'])
    assert.deepEqual(texts(await within(req.request('b'), 2000, 'b')), ['re:b'])
  })
})


/**
 * A duck-typed signal that never aborts by itself: `addEventListener` throws `thrown`, or (with
 * `reentrant`) calls the listener from inside addEventListener, as a misbehaving polyfill might.
 */
function oddSignal(kind: { thrown: Error } | { reentrant: true }): AbortSignal {
  const signal = {
    aborted: false,
    reason: undefined,
    addEventListener(_type: string, listener: () => void) {
      if ('thrown' in kind) throw kind.thrown
      listener()
    },
    removeEventListener() {},
  }
  return signal as unknown as AbortSignal
}

describe('misbehaving signals leave nothing behind', () => {
  test('a signal whose addEventListener throws: receive rejects with what it threw, and the next receive gets the next message', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const thrown = new Error('addEventListener exploded')
    await assert.rejects(within(rep.receive({ signal: oddSignal({ thrown }) }), 1000, 'receive'), (err) => err === thrown)
    const req = connectedRequest(t, endpoint)
    await req.send('next')
    assert.deepEqual(texts(await within(rep.receive(), 2000, 'receive after the throwing signal')), ['next'])
  })

  test('a signal that calls its listener inside addEventListener: receive aborts, and the next receive gets the next message', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    await rejectsAbort(rep.receive({ signal: oddSignal({ reentrant: true }) }))
    const req = connectedRequest(t, endpoint)
    await req.send('next')
    assert.deepEqual(texts(await within(rep.receive(), 2000, 'receive after the re-entrant signal')), ['next'])
  })

  test('send with either signal settles, and the socket still sends afterwards', async (t) => {
    const port = await freePort()
    const endpoint = `tcp://127.0.0.1:${port}`
    const req = connectedRequest(t, endpoint, { reconnectInterval: 50 })
    const thrown = new Error('boom')
    await assert.rejects(within(req.send('x', { signal: oddSignal({ thrown }) }), 1000, 'send'), (err) => err === thrown)
    await rejectsAbort(req.send('y', { signal: oddSignal({ reentrant: true }) }))
    const rep = use(t, new Reply())
    await rep.bind(endpoint)
    const loop = answerLoop(rep, (m) => `re:${m[0]}`)
    assert.deepEqual(texts(await within(req.request('real'), 3000, 'request after the odd signals')), ['re:real'])
    assert.deepEqual(loop.seen, [['real']])
  })

  test('serve() with either signal settles, and the Reply still serves afterwards', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const thrown = new Error('boom')
    await assert.rejects(within(rep.serve((m) => m, { signal: oddSignal({ thrown }) }), 1000, 'serve'), (err) => err === thrown)
    await within(rep.serve((m) => m, { signal: oddSignal({ reentrant: true }) }), 1000, 'serve stopped by its listener')
    const req = connectedRequest(t, endpoint)
    void rep.serve((m) => [`re:${m[0]}`])
    assert.deepEqual(texts(await within(req.request('x'), 3000, 'request after the odd signals')), ['re:x'])
  })

  test('request() with either signal settles, and the next request() gets its reply', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => `re:${m[0]}`)
    const req = connectedRequest(t, endpoint)
    const thrown = new Error('boom')
    await assert.rejects(within(req.request('x', { signal: oddSignal({ thrown }) }), 1000, 'request'), (err) => err === thrown)
    await rejectsAbort(req.request('y', { signal: oddSignal({ reentrant: true }) }))
    assert.deepEqual(texts(await within(req.request('z'), 3000, 'request after the odd signals')), ['re:z'])
  })
})
