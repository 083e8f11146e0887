// zeromq.js's API around the sockets: `Context` and `context` (validated, held options), the base
// `Socket(type, options)` class, option access by libzmq number (`getBoolOption(39)`...), and the
// libzmq options `immediate`, `backlog` and `zapDomain`.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { describe } from 'node:test'
import { Context, context, Dealer, Observer, Proxy, Reply, Request, Router, Socket, type AuthenticatePeer } from 'zeromq-napi'
import { answerLoop, TCP_LOOPBACK, test, throwsCode, use } from './helpers'

describe('Context', () => {
  test('holds and validates its options as zeromq.js does', () => {
    const ctx = new Context({ ioThreads: 5 })
    assert.equal(ctx.ioThreads, 5)
    assert.equal(ctx.ipv6, false)
    ctx.ipv6 = true
    assert.equal(ctx.ipv6, true)
    assert.equal(ctx.maxSockets, 1023)
    assert.equal(typeof ctx.maxSocketsLimit, 'number')
    assert.deepEqual(Object.keys(ctx), [])
    assert.throws(() => new Context({ ioThreads: 'x' } as never), { name: 'TypeError', message: 'Option value must be a number' })
    assert.throws(() => new Context({ blocky: 1 } as never), { name: 'TypeError', message: 'Option value must be a boolean' })
    assert.throws(() => new Context(1 as never), { name: 'TypeError', message: 'Options must be an object' })
    assert.throws(() => new (Context as unknown as new (a: unknown, b: unknown) => Context)({}, 2), { name: 'TypeError', message: 'Expected 1 argument' })
    assert.throws(
      () => {
        ;(ctx as unknown as Record<string, unknown>).maxSocketsLimit = 1
      },
      { name: 'TypeError', message: 'Cannot set property maxSocketsLimit of #<Context> which has only a getter' },
    )
    assert.throws(
      () => {
        ;(ctx as unknown as Record<string, unknown>).doesNotExist = 1
      },
      { name: 'TypeError', message: 'Cannot add property doesNotExist, object is not extensible' },
    )
    assert.throws(() => (Context as unknown as () => void)(), { name: 'TypeError', message: "Class constructors cannot be invoked without 'new'" })
  })

  test('a socket belongs to the context given as an option, else to the default one', (t) => {
    const ctx = new Context()
    assert.equal(use(t, new Dealer({ context: ctx })).context, ctx)
    assert.equal(use(t, new Dealer()).context, context)
    assert.equal(use(t, new Request({ context: undefined })).context, context)
    const err = throwsCode(() => new Dealer({ context: {} as Context }), 'EINVAL')
    assert.equal(err.message, 'Invalid argument')
    // The default context's flag zeromq.js's users set.
    context.blocky = false
    assert.equal(context.blocky, false)
    context.blocky = true
  })
})

describe('the base Socket class', () => {
  test('new Socket(type, options) with libzmq type numbers; subclasses of it work', async (t) => {
    const rep = use(t, new Socket(4, { linger: 0 }))
    assert.ok(rep instanceof Socket)
    assert.equal(rep.linger, 0)
    await rep.bind(TCP_LOOPBACK)
    class MyRequest extends Socket {
      constructor() {
        super(3)
      }
    }
    const req = use(t, new MyRequest())
    assert.ok(req instanceof MyRequest && req instanceof Socket)
    assert.equal(req.context, rep.context)
    req.connect(rep.lastEndpoint as string)
    await req.send('ping')
    const [msg] = await rep.receive()
    await rep.send(msg)
    assert.equal((await req.receive())[0].toString(), 'ping')
  })

  test("argument errors are zeromq.js's", () => {
    const Any = Socket as unknown as new (...args: unknown[]) => Socket
    assert.throws(() => new Any(), { name: 'TypeError', message: 'Socket type must be a number' })
    assert.throws(() => new Any('foo'), { name: 'TypeError', message: 'Socket type must be a number' })
    assert.throws(() => new Any(1, {}, 2), { name: 'TypeError', message: 'Expected 2 arguments' })
    assert.throws(() => new Any(3, 1), { name: 'TypeError', message: 'Options must be an object' })
    for (const type of [11, 14, 37, 4591]) assert.equal(throwsCode(() => new Any(type), 'EINVAL').message, 'Invalid argument')
    assert.throws(() => (Socket as unknown as (n: number) => void)(1), { name: 'TypeError', message: "Class constructors cannot be invoked without 'new'" })
  })
})

describe("zeromq.js's other constructors", () => {
  test('new Observer(socket) is socket.events; Proxy and Observer called without new throw its text', (t) => {
    const dealer = use(t, new Dealer())
    const observer = new Observer(dealer)
    assert.equal(observer, dealer.events)
    assert.ok(dealer.events instanceof Observer)
    assert.throws(() => new Observer({} as Dealer), TypeError)
    for (const Class of [Observer, Proxy]) {
      assert.throws(() => (Class as unknown as () => void)(), { name: 'TypeError', message: "Class constructors cannot be invoked without 'new'" })
    }
  })
})

describe('options by libzmq number', () => {
  test('get/set*Option(number) read and write the option of that number', (t) => {
    const sock = use(t, new Dealer())
    assert.equal(sock.getBoolOption(39), false)
    sock.setBoolOption(39, true)
    assert.equal(sock.immediate, true)
    assert.equal(sock.getInt32Option(19), 100)
    sock.setInt32Option(19, 75)
    assert.equal(sock.backlog, 75)
    sock.setInt64Option(22, 0xffffffffffff)
    assert.equal(sock.getInt64Option(22), 0xffffffffffff)
    assert.equal(sock.getStringOption(5), null)
    sock.setStringOption(5, Buffer.from('åbç'))
    assert.equal(sock.getStringOption(5), 'åbç')
    sock.setStringOption(55, Buffer.from('domain'))
    assert.equal(sock.zapDomain, 'domain')
    sock.setStringOption(55, null)
    assert.equal(sock.getStringOption(55), null)
    // Validated as the property is.
    assert.throws(() => sock.setInt32Option(19, -1), TypeError)
    // libzmq's ZMQ_AFFINITY: no such option here.
    assert.equal(throwsCode(() => sock.getUint64Option(4), 'EINVAL').message, 'Invalid argument')
    // A Router option on a Dealer.
    throwsCode(() => sock.getBoolOption(33), 'EINVAL')
  })
})

describe('immediate, backlog, zapDomain', () => {
  test('immediate: a send waits for a completed connection (true and false alike here)', async (t) => {
    const dealer = use(t, new Dealer({ immediate: true, sendTimeout: 0 }))
    assert.equal(dealer.immediate, true)
    dealer.connect('tcp://127.0.0.1:1')
    const err = await dealer.send('x').then(
      () => null,
      (e: Error & { code?: string }) => e,
    )
    assert.equal(err?.code, 'EAGAIN')
  })

  test('backlog is the listen queue of a later bind', async (t) => {
    const router = use(t, new Router({ backlog: 7 }))
    assert.equal(router.backlog, 7)
    await router.bind(TCP_LOOPBACK)
    const port = /:(\d+)$/.exec(router.lastEndpoint as string)?.[1]
    let listing: string
    try {
      listing = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' })
    } catch (err) {
      if (process.env.CI === 'true') throw err
      t.skip(`ss (iproute2) is not available: ${(err as Error).message}`)
      return
    }
    // A listening socket's Send-Q is its backlog.
    const [, , sendQ] = listing.trim().split(/\s+/)
    assert.equal(sendQ, '7')
  })

  test("zapDomain reaches authenticate as peer.domain", async (t) => {
    const seen: AuthenticatePeer[] = []
    const rep = use(t, new Reply({ zapDomain: Buffer.from('global'), authenticate: (peer) => (seen.push(peer), true) }))
    assert.equal(rep.zapDomain, 'global')
    await rep.bind(TCP_LOOPBACK)
    answerLoop(rep)
    const req = use(t, new Request())
    const handshake = once(req.events, 'handshake')
    req.connect(rep.lastEndpoint as string)
    await handshake
    await req.send('x')
    await req.receive()
    assert.equal(seen.length, 1)
    assert.equal(seen[0].domain, 'global')
    assert.throws(() => new Reply({ zapDomain: Buffer.from([0xff]) }), TypeError)
  })
})
