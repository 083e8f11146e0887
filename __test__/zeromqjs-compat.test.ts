// What zeromq.js v6 code relies on beyond the calls themselves: sealed sockets (a typo throws),
// the read-only `readable` / `writable` flags, and v5 code's numeric option values.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { curveKeyPair, Dealer, Pair, Reply, Request, Router } from 'zeromq-napi'
import { rejectsCode, test, TCP_LOOPBACK, use, within } from './helpers'

describe('sealed sockets', () => {
  for (const Class of [Request, Reply, Dealer, Router]) {
    test(`${Class.name}: an unknown property assignment throws TypeError`, (t) => {
      const sock = use(t, new Class())
      assert.throws(() => {
        ;(sock as unknown as Record<string, unknown>).recieveTimeout = 100
      }, { name: 'TypeError', message: /Cannot add property recieveTimeout, object is not extensible/ })
      assert.equal('recieveTimeout' in sock, false)
      // Options and methods are untouched.
      sock.receiveTimeout = 100
      assert.equal(sock.receiveTimeout, 100)
    })
  }

  test('read-only properties throw as zeromq.js\'s do, on assignment and in the constructor', (t) => {
    const sock = use(t, new Dealer())
    for (const name of ['readable', 'writable', 'securityMechanism']) {
      const message = `Cannot set property ${name} of #<Socket> which has only a getter`
      assert.throws(() => {
        ;(sock as unknown as Record<string, unknown>)[name] = 1
      }, { name: 'TypeError', message })
      assert.throws(() => new Dealer({ [name]: 1 } as object), { name: 'TypeError', message })
    }
  })

  test('securityMechanism follows the security options', (t) => {
    const sock = use(t, new Dealer())
    assert.equal(sock.securityMechanism, null)
    sock.plainServer = true
    assert.equal(sock.securityMechanism, 'plain')
    const curve = use(t, new Dealer({ curveServer: true, curveSecretKey: curveKeyPair().secretKey }))
    assert.equal(curve.securityMechanism, 'curve')
  })
})

describe('readable and writable', () => {
  test('Request: writable with a server and no request out; readable when the reply is in', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind(TCP_LOOPBACK)
    const req = use(t, new Request())
    assert.equal(req.writable, false, 'no server and no connect yet')
    assert.equal(req.readable, false)
    const shaken = new Promise((resolve) => req.events.once('handshake', resolve))
    req.connect(rep.lastEndpoint ?? '')
    await within(shaken, 2000, 'handshake')
    assert.equal(req.writable, true)
    await req.send('ping')
    assert.equal(req.writable, false, 'a request is out: a send is EFSM now')
    assert.equal(rep.writable, false, 'nothing to answer yet')
    const [request] = await rep.receive()
    assert.equal(rep.writable, true, 'a reply is owed')
    assert.equal(rep.readable, false)
    await rep.send(request)
    while (!req.readable) await new Promise((resolve) => setImmediate(resolve))
    const [reply] = await req.receive()
    assert.equal(reply.toString(), 'ping')
    assert.equal(req.readable, false)
    assert.equal(req.writable, true)
    req.close()
    assert.equal(req.writable, false, 'closed')
  })

  test('Router is always writable (a message for no peer is dropped); Dealer once it has a peer', async (t) => {
    const router = use(t, new Router())
    assert.equal(router.writable, true)
    await router.bind(TCP_LOOPBACK)
    const dealer = use(t, new Dealer())
    assert.equal(dealer.writable, false)
    dealer.connect(router.lastEndpoint ?? '')
    // As libzmq: writable from connect() on (the send waits for the connection).
    assert.equal(dealer.writable, true)
    await dealer.send('hello')
    assert.equal(dealer.writable, true)
    while (!router.readable) await new Promise((resolve) => setImmediate(resolve))
    const [, body] = await router.receive()
    assert.equal(body.toString(), 'hello')
    assert.equal(router.readable, false)
  })
})

describe('v5-compat: numeric option values as v5 passes them', () => {
  test('setsockopt(ZMQ_ROUTER_MANDATORY, 1) turns mandatory on, 0 off', () => {
    const zmq = require('zeromq-napi/v5-compat') as {
      socket(type: string): { setsockopt(o: unknown, v: unknown): unknown; getsockopt(o: unknown): unknown; close(): void }
      ZMQ_ROUTER_MANDATORY: number
    }
    const sock = zmq.socket('router')
    try {
      sock.setsockopt(zmq.ZMQ_ROUTER_MANDATORY, 1)
      assert.equal(sock.getsockopt(zmq.ZMQ_ROUTER_MANDATORY), true)
      sock.setsockopt('router_mandatory', 0)
      assert.equal(sock.getsockopt('router_mandatory'), false)
      assert.throws(() => sock.setsockopt(zmq.ZMQ_ROUTER_MANDATORY, 2), TypeError)
    } finally {
      sock.close()
    }
  })
})

describe('options set after bind or connect', () => {
  test('warn as zeromq.js does when they only apply to later connections', async (t) => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    t.after(() => {
      process.off('warning', onWarning)
    })
    const sock = use(t, new Dealer())
    sock.routingId = 'before'
    sock.connect('tcp://127.0.0.1:1')
    sock.receiveTimeout = 10
    await new Promise(process.nextTick)
    assert.deepEqual(warnings, [], 'before any endpoint, and options that apply at once, do not warn')
    sock.routingId = 'after'
    await new Promise(process.nextTick)
    assert.deepEqual(warnings, ['Socket option will not take effect until next connect/bind.'])
  })

  test("zeromq.js's per-connect options are refused, not ignored", (t) => {
    const sock = use(t, new Router())
    const connect = sock.connect as (address: string, opts?: unknown) => void
    assert.throws(() => connect.call(sock, 'tcp://127.0.0.1:1', { routingId: 'remote' }), TypeError)
    connect.call(sock, 'tcp://127.0.0.1:1', {})
  })
})

describe('v5-compat: the socket types beyond REQ/REP/DEALER/ROUTER', () => {
  type V5Socket = {
    bind(a: string, cb?: (err?: Error) => void): V5Socket
    connect(a: string): V5Socket
    send(m: unknown): V5Socket
    subscribe(f: string): V5Socket
    setsockopt(o: unknown, v: unknown): V5Socket
    on(e: 'message', l: (...frames: Buffer[]) => void): V5Socket
    close(): V5Socket
    getsockopt(o: unknown): unknown
  }
  const v5 = require('zeromq-napi/v5-compat') as { socket(type: string): V5Socket; ZMQ_SUBSCRIBE: number }

  async function bound(sock: V5Socket, address: string): Promise<void> {
    await new Promise<void>((resolve, reject) => sock.bind(address, (err) => (err ? reject(err) : resolve())))
  }

  test("'push' -> 'pull' over inproc, and 'pub' -> 'sub' with subscribe()/setsockopt(ZMQ_SUBSCRIBE)", async (t) => {
    const push = v5.socket('push')
    const pull = v5.socket('pull')
    const pub = v5.socket('pub')
    const sub = v5.socket('sub')
    const sub2 = v5.socket('sub')
    t.after(() => {
      for (const s of [push, pull, pub, sub, sub2]) s.close()
    })
    const pulled = new Promise<string>((resolve) => pull.on('message', (m) => resolve(m.toString())))
    await bound(pull, 'inproc://v5-push-pull')
    push.connect('inproc://v5-push-pull')
    push.send('task')
    assert.equal(await within(pulled, 5000, 'pull'), 'task')

    await bound(pub, 'inproc://v5-pub-sub')
    const got = new Promise<string[]>((resolve) => sub.on('message', (topic, body) => resolve([topic.toString(), body.toString()])))
    const got2 = new Promise<string>((resolve) => sub2.on('message', (topic) => resolve(topic.toString())))
    sub.subscribe('weather')
    sub2.setsockopt(v5.ZMQ_SUBSCRIBE, 'news')
    sub.connect('inproc://v5-pub-sub')
    sub2.connect('inproc://v5-pub-sub')
    // A publisher drops what no subscriber has asked for yet: publish until both have theirs.
    let answered = false
    void Promise.all([got, got2]).then(() => (answered = true))
    while (!answered) {
      pub.send(['sports', 'x'])
      pub.send(['weather', 'sunny'])
      pub.send(['news', 'y'])
      await new Promise((resolve) => setImmediate(resolve))
    }
    assert.deepEqual(await got, ['weather', 'sunny'])
    assert.equal(await got2, 'news')
    assert.throws(() => push.subscribe('x'), TypeError)
  })
})

describe('send/receive loops yield to the event loop (zeromq.js "should not starve event loop")', () => {
  const N = 2000
  async function pair(t: Parameters<Parameters<typeof test>[1]>[0]) {
    const a = use(t, new Pair({ linger: 0, sendHighWaterMark: 5000 }))
    const b = use(t, new Pair({ linger: 0, receiveHighWaterMark: 5000 }))
    await b.bind(TCP_LOOPBACK)
    a.connect(b.lastEndpoint ?? '')
    return { a, b }
  }

  /** Runs `loop` and says whether a setImmediate callback queued before it ran before it ended. */
  async function immediateRanDuring(loop: () => Promise<void>): Promise<boolean> {
    let ran = false
    setImmediate(() => {
      ran = true
    })
    let ended = false
    await loop().then(() => {
      ended = ran
    })
    return ended
  }

  test('a loop of awaited sends that all finish at once', async (t) => {
    const { a, b } = await pair(t)
    await a.send('first')
    await within(b.receive(), 2000, 'the connection is up')
    assert.equal(await immediateRanDuring(async () => {
      for (let i = 0; i < N; i++) await a.send('x')
    }), true)
  })

  test('a loop of awaited receives over messages already queued', async (t) => {
    const { a, b } = await pair(t)
    for (let i = 0; i < N; i++) await a.send('x')
    await a.send('last')
    // Everything has arrived once the last message is readable; the loop then never waits.
    const received: Buffer[][] = []
    received.push(await within(b.receive(), 2000, 'first message'))
    while (!b.readable) await new Promise((resolve) => setImmediate(resolve))
    assert.equal(await immediateRanDuring(async () => {
      for (let i = 1; i < N; i++) received.push(await b.receive())
    }), true)
    assert.equal(received.length, N)
  })
})

test('a receiveHighWaterMark raised after connect does not stall the connection at the old one', async (t) => {
  const a = use(t, new Pair({ linger: 0 }))
  const b = use(t, new Pair({ linger: 0 }))
  await b.bind(TCP_LOOPBACK)
  a.connect(b.lastEndpoint ?? '')
  await a.send('up')
  await within(b.receive(), 2000, 'the connection is up')
  // As zeromq.js's starvation test does: for later connections only (a warning says so).
  b.receiveHighWaterMark = 5000
  const n = 2500
  for (let i = 0; i < n; i++) await within(a.send(String(i)), 5000, `send ${i}`)
  for (let i = 0; i < n; i++) assert.equal(String(await within(b.receive(), 5000, `receive ${i}`)), String(i))
})

describe('close() and what is under way', () => {
  test('an async iterator ends on close(), but an error other than the closing one still throws', async (t) => {
    const pairSock = use(t, new Pair())
    process.nextTick(() => pairSock.close())
    for await (const _ of pairSock) assert.fail('nothing was sent')
    // zeromq.js's "should not mask other error type in async iterator": a REQ's receive before
    // any send is EFSM, and a close() right after does not hide it.
    // As there, from a macrotask: the close() in nextTick runs before the EFSM rejection is seen.
    const req = use(t, new Request())
    const iterate = async () => {
      for await (const _ of req) assert.fail('nothing was sent')
    }
    const iterated = await new Promise<{ done: Promise<void> }>((resolve) => {
      setImmediate(() => {
        process.nextTick(() => req.close())
        resolve({ done: iterate() })
      })
    })
    await rejectsCode(iterated.done, 'EFSM')
  })

  test('close() while a bind or unbind is under way closes once it has settled, as zeromq.js', async (t) => {
    const sock = use(t, new Dealer())
    const bound = sock.bind(TCP_LOOPBACK)
    sock.close()
    assert.equal(sock.closed, false, 'the bind is under way')
    await within(bound, 2000, 'bind')
    assert.equal(sock.closed, true)
    await rejectsCode(sock.bind(TCP_LOOPBACK), 'EBADF')

    const other = use(t, new Dealer())
    const unbound = other.unbind('tcp://127.0.0.1:1')
    other.close()
    assert.equal(other.closed, false, 'the unbind is under way, even one that fails')
    await rejectsCode(unbound, 'ENOENT')
    assert.equal(other.closed, true)
  })
})

describe('ZAP: a handler bound at inproc://zeromq.zap.01 decides, as with libzmq', () => {
  /** A ZAP handler (RFC 27) as zeromq.js code writes one: a Router answering each request. */
  function zapHandler(t: Parameters<Parameters<typeof test>[1]>[0], accept: (mechanism: string, credentials: Buffer[]) => boolean) {
    const router = use(t, new Router())
    const requests: string[][] = []
    const credentialsSeen: Buffer[][] = []
    const serving = (async () => {
      await router.bind('inproc://zeromq.zap.01')
      for await (const [path, delimiter, version, id, domain, address, identity, mechanism, ...credentials] of router) {
        requests.push([delimiter, version, domain, address, identity, mechanism].map(String))
        credentialsSeen.push(credentials)
        const ok = accept(String(mechanism), credentials)
        await router.send([path, delimiter, version, id, ok ? '200' : '400', ok ? 'OK' : 'Refused', null, null])
      }
    })()
    return { router, requests, credentialsSeen, serving }
  }

  test('PLAIN: the handler gets RFC 27 requests; 200 accepts, 400 refuses; none accepts all', async (t) => {
    const zap = zapHandler(t, (_, [, password]) => password?.toString() === 'secret')
    const server = use(t, new Pair({ plainServer: true }))
    await server.bind(TCP_LOOPBACK)
    const refused = new Promise((resolve) => server.events.once('handshake:error:auth', resolve))

    const wrong = use(t, new Pair({ plainUsername: 'user', plainPassword: 'wrong' }))
    wrong.connect(server.lastEndpoint ?? '')
    await within(refused, 5000, 'the wrong password refused')
    wrong.close()

    const right = use(t, new Pair({ plainUsername: 'user', plainPassword: 'secret', routingId: 'client' }))
    right.connect(server.lastEndpoint ?? '')
    await within(server.send('welcome'), 5000, 'send to the accepted client')
    assert.deepEqual((await within(right.receive(), 5000, 'receive')).map(String), ['welcome'])
    assert.deepEqual(zap.requests[0], ['', '1.0', '', '127.0.0.1', '', 'PLAIN'])
    assert.deepEqual(zap.credentialsSeen[0].map(String), ['user', 'wrong'])
    assert.deepEqual(zap.requests.at(-1), ['', '1.0', '', '127.0.0.1', 'client', 'PLAIN'])
    assert.deepEqual(zap.credentialsSeen.at(-1)?.map(String), ['user', 'secret'])

    // The handler gone, every peer is accepted again (libzmq without a ZAP handler).
    zap.router.close()
    await zap.serving
    right.close()
    const later = use(t, new Pair({ plainUsername: 'user', plainPassword: 'anything' }))
    later.connect(server.lastEndpoint ?? '')
    await within(server.send('again'), 5000, 'send with no handler')
    assert.deepEqual((await within(later.receive(), 5000, 'receive')).map(String), ['again'])
  })

  test('a malformed answer refuses the peer (libzmq: a ZAP protocol error)', async (t) => {
    const router = use(t, new Router())
    await router.bind('inproc://zeromq.zap.01')
    const serving = (async () => {
      for await (const [path, delimiter] of router) await router.send([path, delimiter, null, null])
    })()
    const server = use(t, new Pair({ plainServer: true }))
    await server.bind(TCP_LOOPBACK)
    const refused = new Promise((resolve) => server.events.once('handshake:error:auth', resolve))
    const client = use(t, new Pair({ plainUsername: 'user', plainPassword: 'secret' }))
    client.connect(server.lastEndpoint ?? '')
    await within(refused, 5000, 'refused')
    router.close()
    await serving
  })

  test('CURVE: the credential is the client\'s 32-byte public key', async (t) => {
    const serverKeys = curveKeyPair()
    const clientKeys = curveKeyPair()
    let key: Buffer | undefined
    const zap = zapHandler(t, (mechanism, [publicKey]) => {
      key = publicKey
      return mechanism === 'CURVE'
    })
    await new Promise((resolve) => setImmediate(resolve))
    const server = use(t, new Pair({ curveServer: true, curveSecretKey: serverKeys.secretKey }))
    await server.bind(TCP_LOOPBACK)
    const client = use(t, new Pair({ curveServerKey: serverKeys.publicKey, curveSecretKey: clientKeys.secretKey }))
    client.connect(server.lastEndpoint ?? '')
    await within(client.send('hi'), 5000, 'send')
    assert.deepEqual((await within(server.receive(), 5000, 'receive')).map(String), ['hi'])
    assert.equal(zap.requests[0][5], 'CURVE')
    assert.equal(key?.length, 32)
    // The client's key: 32 bytes read back as Z85 (a key option takes either).
    const probe = use(t, new Dealer())
    probe.curvePublicKey = key ?? null
    assert.equal(probe.curvePublicKey, clientKeys.publicKey)
    // With `authenticate` set, that decides instead (it names the key in Z85).
    const seen = new Promise<string | undefined>((resolve) => {
      server.authenticate = (peer) => {
        resolve(peer.publicKey)
        return true
      }
    })
    const again = use(t, new Pair({ curveServerKey: serverKeys.publicKey, curveSecretKey: clientKeys.secretKey }))
    client.close()
    again.connect(server.lastEndpoint ?? '')
    assert.equal(await within(seen, 5000, 'authenticate'), clientKeys.publicKey)
    assert.equal(zap.requests.length, 1, 'a socket with authenticate does not ask the ZAP handler')
  })
})

test('recoveryInterval (PGM, which this engine lacks) is held and read back, in the constructor and by number', (t) => {
  const sock = use(t, new Dealer({ recoveryInterval: 5 }))
  assert.equal(sock.recoveryInterval, 5)
  sock.recoveryInterval = 7
  assert.equal((sock as unknown as { getInt32Option(n: number): number }).getInt32Option(9), 7)
  assert.throws(() => new Dealer({ recoveryInterval: 'hello' as unknown as number }), { name: 'TypeError' })
  assert.equal(use(t, new Dealer()).recoveryInterval, 10000)
})

test('an option value of the wrong type has zeromq.js\'s message, and ours as .detail', (t) => {
  const sock = use(t, new Dealer())
  const cases: Array<[string, unknown, string]> = [
    ['sendTimeout', 'hello', 'Option value must be a number'],
    ['immediate', 1, 'Option value must be a boolean'],
    ['routingId', 5, 'Option value must be a string or buffer'],
  ]
  for (const [name, value, message] of cases) {
    assert.throws(() => {
      ;(sock as unknown as Record<string, unknown>)[name] = value
    }, (err: Error & { code?: string; detail?: string }) => {
      assert.ok(err instanceof TypeError)
      assert.equal(err.message, message)
      assert.match(err.detail ?? '', new RegExp(`option "${name}" must be`))
      assert.equal(err.code, 'ERR_INVALID_ARG_TYPE')
      return true
    })
  }
})
