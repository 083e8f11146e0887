// Error codes: every error is an Error with a string `.code`; EBUSY for a second pending operation, EBADF after
// close, pending operations → EAGAIN on close, async methods reject (never throw), misuse never crashes.
import assert from 'node:assert/strict'
import os from 'node:os'
import { describe } from 'node:test'
import { inspect } from 'node:util'
import { Dealer, Reply, Request } from 'zeromq-napi'
import {
  type CodedError,
  answerLoop,
  boundReply,
  callAsync,
  connectedRequest,
  freePort,
  rejectsCode,
  stateAfter,
  test,
  texts,
  throwsCode,
  use,
  within,
} from './helpers'

describe('EBUSY: one pending receive / send at a time', () => {
  test('Reply: a second receive while one is pending rejects EBUSY; the first still gets the message', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const first = rep.receive()
    await rejectsCode(rep.receive(), 'EBUSY', 500)
    const req = connectedRequest(t, endpoint)
    await req.send('hello')
    assert.deepEqual(texts(await within(first, 2000, 'first receive')), ['hello'])
  })

  test('Request: a second receive while one is pending rejects EBUSY; the first still gets the reply', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('q')
    const first = req.receive()
    await rejectsCode(req.receive(), 'EBUSY', 500)
    await within(rep.receive(), 2000, 'rep.receive')
    await rep.send('a')
    assert.deepEqual(texts(await within(first, 2000, 'first receive')), ['a'])
  })

  test('Request (relaxed): request() while a receive is pending rejects EBUSY and sends nothing', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = use(t, new Request({ relaxed: true }))
    req.connect(endpoint)
    await req.send('q')
    const first = req.receive()
    await rejectsCode(req.request('not sent'), 'EBUSY', 500)
    assert.deepEqual(texts(await within(rep.receive(), 2000, 'rep.receive')), ['q'])
    await rep.send('a')
    assert.deepEqual(texts(await within(first, 2000, 'first receive')), ['a'])
    // Nothing else reached the server: the next request is answered, and its reply is its own.
    const next = req.request('next')
    assert.deepEqual(texts(await within(rep.receive(), 2000, 'rep.receive')), ['next'])
    await rep.send('b')
    assert.deepEqual(texts(await within(next, 2000, 'next reply')), ['b'])
  })

  test('Request: a second send while the first is still waiting for a peer rejects EBUSY', async (t) => {
    const port = await freePort()
    const req = connectedRequest(t, `tcp://127.0.0.1:${port}`)
    const first = req.send('waiting for a peer')
    assert.equal(await stateAfter(first, 30), 'pending')
    const busy = await rejectsCode(req.send('second'), 'EBUSY', 500)
    // zeromq.js's text for this case.
    assert.equal(busy.message, 'Socket is busy writing; only one send operation may be in progress at any time')
    first.catch(() => {}) // cancelled by close() at the end of the test
  })
})

describe('EBADF: the socket is closed', () => {
  test('every method of a closed Request reports EBADF', async () => {
    const req = new Request()
    req.close()
    assert.equal(req.closed, true)
    await rejectsCode(callAsync(() => req.send('x'), 'send'), 'EBADF')
    await rejectsCode(callAsync(() => req.receive(), 'receive'), 'EBADF')
    await rejectsCode(callAsync(() => req.request('x'), 'request'), 'EBADF')
    await rejectsCode(callAsync(() => req.bind('tcp://127.0.0.1:*'), 'bind'), 'EBADF')
    await rejectsCode(callAsync(() => req.unbind('tcp://127.0.0.1:1234'), 'unbind'), 'EBADF')
    throwsCode(() => req.connect('tcp://127.0.0.1:1234'), 'EBADF')
    throwsCode(() => req.disconnect('tcp://127.0.0.1:1234'), 'EBADF')
  })

  test('every method of a closed Reply reports EBADF', async () => {
    const rep = new Reply()
    await rep.bind('tcp://127.0.0.1:*')
    rep.close()
    await rejectsCode(callAsync(() => rep.receive(), 'receive'), 'EBADF')
    await rejectsCode(callAsync(() => rep.send('x'), 'send'), 'EBADF')
    await rejectsCode(callAsync(() => rep.bind('tcp://127.0.0.1:*'), 'bind'), 'EBADF')
    throwsCode(() => rep.connect('tcp://127.0.0.1:1234'), 'EBADF')
  })

  test('a closed socket given bad arguments rejects with a TypeError or EBADF (no crash)', async () => {
    const req = new Request()
    req.close()
    for (const p of [() => req.send(42 as unknown as string), () => req.bind(42 as unknown as string)]) {
      await assert.rejects(within(callAsync(p, 'call on closed socket'), 1000, 'call'), (err: unknown) => {
        assert.ok(err instanceof TypeError || (err as { code?: unknown }).code === 'EBADF', String(err))
        return true
      })
    }
  })
})

describe('EAGAIN: close() cancels pending operations', () => {
  test('a pending receive on a Reply rejects EAGAIN when the socket closes', async () => {
    const rep = new Reply()
    await rep.bind('tcp://127.0.0.1:*')
    const pending = rep.receive()
    assert.equal(await stateAfter(pending, 20), 'pending')
    rep.close()
    await rejectsCode(pending, 'EAGAIN', 1000)
  })

  test('a pending receive on a Request rejects EAGAIN when the socket closes', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = new Request()
    req.connect(endpoint)
    await req.send('q')
    await within(rep.receive(), 2000, 'rep.receive')
    const pending = req.receive()
    req.close()
    await rejectsCode(pending, 'EAGAIN', 1000)
  })

  test('a send waiting for a peer rejects EAGAIN when the socket closes', async () => {
    const port = await freePort()
    const req = new Request()
    req.connect(`tcp://127.0.0.1:${port}`)
    const pending = req.send('nobody')
    assert.equal(await stateAfter(pending, 20), 'pending')
    req.close()
    await rejectsCode(pending, 'EAGAIN', 1000)
  })

  test('pending and queued request() calls all reject EAGAIN when the socket closes', async () => {
    const port = await freePort()
    const req = new Request()
    req.connect(`tcp://127.0.0.1:${port}`)
    const calls = [req.request('a'), req.request('b'), req.request('c')]
    req.close()
    for (const c of calls) await rejectsCode(c, 'EAGAIN', 1000)
  })
})

describe('EAGAIN: timeouts', () => {
  test('receiveTimeout on a Request', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint, { receiveTimeout: 50 })
    await req.send('x')
    await within(rep.receive(), 2000, 'rep.receive')
    const err = await rejectsCode(req.receive(), 'EAGAIN')
    assert.equal(typeof err.message, 'string')
  })

  test('sendTimeout with no peer', async (t) => {
    const req = use(t, new Request({ sendTimeout: 50 }))
    await rejectsCode(req.send('x'), 'EAGAIN')
  })
})

describe('error objects', () => {
  test('each code arrives as an Error with a string .code and a message', async (t) => {
    const req = use(t, new Request())
    const efsm = await rejectsCode(req.receive(), 'EFSM')
    const einval = await rejectsCode(req.bind('tcp://nope'), 'EINVAL')
    const eproto = await rejectsCode(req.bind('foo://x'), 'EPROTONOSUPPORT')
    const enoent = await rejectsCode(req.unbind('tcp://127.0.0.1:1'), 'ENOENT')
    const closed = new Request()
    closed.close()
    const ebadf = await rejectsCode(closed.send('x'), 'EBADF')
    for (const e of [efsm, einval, eproto, enoent, ebadf]) {
      assert.ok(e instanceof Error)
      assert.equal(typeof e.code, 'string')
      assert.ok(e.message.length > 0)
      assert.ok(typeof e.stack === 'string')
    }
    for (const e of [einval, eproto, enoent]) assert.equal(typeof e.address, 'string')
  })
})

describe('async methods reject, never throw', () => {
  test('bad arguments to async methods come back as rejections', async (t) => {
    const req = use(t, new Request())
    const rep = use(t, new Reply())
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['bind(undefined)', () => rep.bind(undefined as unknown as string)],
      ['bind(42)', () => rep.bind(42 as unknown as string)],
      ['unbind({})', () => rep.unbind({} as unknown as string)],
      ['bind("bad")', () => rep.bind('bad')],
      ['send(undefined)', () => req.send(undefined as unknown as string)],
      ['send with a bogus signal', () => req.send('x', { signal: 'nope' as unknown as AbortSignal })],
      ['receive with a bogus options object', () => rep.receive(5 as unknown as { signal?: AbortSignal })],
      ['request(undefined)', () => req.request(undefined as unknown as string)],
      ['request with a bogus timeout', () => req.request('x', { timeout: 'soon' as unknown as number })],
      ['serve(not a function)', () => rep.serve('nope' as unknown as () => string)],
    ]
    for (const [what, fn] of calls) {
      await assert.rejects(within(callAsync(fn, what), 1000, what), (err: unknown) => {
        assert.ok(err instanceof Error, `${what}: ${String(err)}`)
        assert.ok(err instanceof TypeError || typeof (err as { code?: unknown }).code === 'string', `${what}: ${String(err)}`)
        return true
      }, what)
    }
  })

  test('bad arguments to sync methods throw a TypeError or coded Error (no crash)', (t) => {
    const req = use(t, new Request())
    for (const bad of [undefined, null, 42, {}, []]) {
      assert.throws(() => req.connect(bad as unknown as string), (err: unknown) =>
        err instanceof TypeError || typeof (err as { code?: unknown }).code === 'string')
      assert.throws(() => req.disconnect(bad as unknown as string), (err: unknown) =>
        err instanceof TypeError || typeof (err as { code?: unknown }).code === 'string')
    }
  })

  test('after all that misuse the process and the sockets are fine', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    assert.deepEqual(texts(await within(req.request('still alive'), 2000, 'request')), ['still alive'])
  })
})

describe('zeromq.js error shape: message, errno, detail', () => {
  // zeromq.js's texts (libzmq's zmq_strerror with zeromq.js's clarifications) and libzmq's numbers.
  const errno = os.constants.errno as Record<string, number>
  const expected: Record<string, { message: string; errno: number }> = {
    EFSM: { message: 'Operation cannot be accomplished in current state', errno: 156384712 + 51 },
    EAGAIN: { message: 'Operation was not possible or timed out', errno: errno.EAGAIN },
    // zeromq.js's text for the case (a second pending receive), not only for the code.
    EBUSY: { message: 'Socket is busy reading; only one receive operation may be in progress at any time', errno: errno.EBUSY },
    EBADF: { message: 'Socket is closed', errno: errno.EBADF },
    EINVAL: { message: 'Invalid argument', errno: errno.EINVAL },
    EPROTONOSUPPORT: { message: 'Protocol not supported', errno: errno.EPROTONOSUPPORT },
    EADDRINUSE: { message: 'Address already in use', errno: errno.EADDRINUSE },
    ENOENT: { message: 'No such endpoint', errno: errno.ENOENT },
  }

  function check(e: CodedError, code: string): void {
    assert.equal(e.message, expected[code].message, `message of ${code}`)
    assert.equal(e.errno, expected[code].errno, `errno of ${code}`)
    assert.equal(typeof e.detail, 'string')
    assert.ok((e.detail ?? '').length > 0, `${code} has a detail`)
    assert.notEqual(e.detail, e.message)
    assert.match(inspect(e), /detail: '/, 'Node prints the detail with the error')
  }

  test('native errors (engine) and JS-made errors carry the same table', async (t) => {
    const req = use(t, new Request({ receiveTimeout: 20 }))
    check(await rejectsCode(req.receive(), 'EFSM'), 'EFSM')
    check(await rejectsCode(req.bind('tcp://nope'), 'EINVAL'), 'EINVAL')
    check(await rejectsCode(req.bind('foo://x'), 'EPROTONOSUPPORT'), 'EPROTONOSUPPORT')
    check(await rejectsCode(req.unbind('tcp://127.0.0.1:1'), 'ENOENT'), 'ENOENT')
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    check(await rejectsCode(use(t, new Reply()).bind(rep.lastEndpoint ?? ''), 'EADDRINUSE'), 'EADDRINUSE')
    const dealer = use(t, new Dealer({ receiveTimeout: 20 }))
    check(await rejectsCode(dealer.receive(), 'EAGAIN'), 'EAGAIN')
    const closed = new Request()
    closed.close()
    // JS-made (the closed check runs before the engine is asked) and engine-made EBADF alike.
    check(await rejectsCode(closed.send('x'), 'EBADF'), 'EBADF')
    check(throwsCode(() => closed.connect('tcp://127.0.0.1:1'), 'EBADF'), 'EBADF')
  })

  test('a second pending receive is EBUSY with zeromq.js\'s text', async (t) => {
    const dealer = use(t, new Dealer())
    const first = dealer.receive()
    check(await rejectsCode(dealer.receive(), 'EBUSY'), 'EBUSY')
    dealer.close()
    await rejectsCode(first, 'EAGAIN')
  })
})

