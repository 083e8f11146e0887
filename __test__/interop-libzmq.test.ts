// Interop with libzmq 4.3.5 (through the npm `zeromq` v6 package) in both directions, over tcp and ipc:
// REQ<->REP, multipart, 1 MiB frames, a libzmq peer with heartbeats, `correlate` against libzmq REP,
// the wire format (libzmq ROUTER sees the default REQ envelope), and routingId.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import net from 'node:net'
import { describe } from 'node:test'
import * as zmq from 'zeromq'
import { Reply, Request } from 'zeromq-napi'
import { greeting, message, ready } from './zmtp'
import {
  delay,
  freePort,
  ipcDir,
  rejectsCode,
  test,
  texts,
  use,
  within,
} from './helpers'

type Transport = 'tcp' | 'ipc'

function addressFor(t: import('node:test').TestContext, transport: Transport): string {
  return transport === 'tcp' ? 'tcp://127.0.0.1:*' : ipcDir(t)('interop.sock')
}

function lz<T extends { close(): void }>(t: import('node:test').TestContext, sock: T): T {
  t.after(() => sock.close())
  return sock
}

/** A libzmq Reply answering with `answer(msg)` until it is closed. */
function libzmqServe(rep: zmq.Reply, answer: (m: Buffer[]) => Array<string | Buffer> | string | Buffer) {
  const seen: Buffer[][] = []
  const done = (async () => {
    try {
      for await (const msg of rep) {
        seen.push(msg)
        await rep.send(answer(msg))
      }
    } catch {
      // closed
    }
  })()
  return { seen, done }
}

/** Our Reply answering with a receive/send loop. */
function ourServe(rep: Reply, answer: (m: Buffer[]) => [string | Buffer, ...Array<string | Buffer>] | string | Buffer) {
  const seen: Buffer[][] = []
  void (async () => {
    for (;;) {
      try {
        const m = await rep.receive()
        seen.push(m)
        await rep.send(answer(m))
      } catch {
        return
      }
    }
  })()
  return { seen }
}

const MiB = 1024 * 1024
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex')

for (const transport of ['tcp', 'ipc'] as const) {
  describe(`our Request -> libzmq Reply over ${transport}`, () => {
    test('single-frame and multipart round trips', async (t) => {
      const rep = lz(t, new zmq.Reply())
      await rep.bind(addressFor(t, transport))
      const srv = libzmqServe(rep, (m) => ['re', ...m])
      const req = use(t, new Request())
      req.connect(String(rep.lastEndpoint))
      await within(req.send('hello'), 5000, 'req.send')
      assert.deepEqual(texts(await within(req.receive(), 3000, 'receive')), ['re', 'hello'])
      assert.deepEqual(texts(await within(req.request(['a', '', 'c']), 3000, 'request')), ['re', 'a', '', 'c'])
      assert.deepEqual(srv.seen.map(texts), [['hello'], ['a', '', 'c']])
    })

    test('1 MiB frames both ways, intact', async (t) => {
      const rep = lz(t, new zmq.Reply())
      await rep.bind(addressFor(t, transport))
      const big = crypto.randomBytes(MiB)
      const answer = crypto.randomBytes(MiB)
      const srv = libzmqServe(rep, (m) => [answer, m[1]])
      const req = use(t, new Request())
      req.connect(String(rep.lastEndpoint))
      const reply = await within(req.request([big, 'tail'], { timeout: 5000 }), 6000, 'request')
      assert.equal(reply.length, 2)
      assert.equal(reply[0].length, MiB)
      assert.equal(sha(reply[0]), sha(answer))
      assert.equal(reply[1].toString(), 'tail')
      assert.equal(sha(srv.seen[0][0]), sha(big), 'libzmq received our 1 MiB frame intact')
    })
  })

  describe(`libzmq Request -> our Reply over ${transport}`, () => {
    test('single-frame and multipart round trips', async (t) => {
      const rep = use(t, new Reply())
      await rep.bind(addressFor(t, transport))
      const srv = ourServe(rep, (m) => ['re', ...m])
      const req = lz(t, new zmq.Request({ receiveTimeout: 3000 }))
      req.connect(String(rep.lastEndpoint))
      await within(req.send('hello'), 5000, 'req.send')
      assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re', 'hello'])
      await within(req.send(['a', '', 'c']), 5000, 'req.send')
      assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re', 'a', '', 'c'])
      assert.deepEqual(srv.seen.map(texts), [['hello'], ['a', '', 'c']], 'no envelope frames leak to our Reply user')
    })

    test('1 MiB frames both ways, intact', async (t) => {
      const rep = use(t, new Reply())
      await rep.bind(addressFor(t, transport))
      const answer = crypto.randomBytes(MiB)
      const srv = ourServe(rep, () => [answer])
      const req = lz(t, new zmq.Request({ receiveTimeout: 5000 }))
      req.connect(String(rep.lastEndpoint))
      const big = crypto.randomBytes(MiB)
      await within(req.send(big), 5000, 'req.send')
      const [r] = await within(req.receive(), 5000, 'req.receive')
      assert.equal(sha(r), sha(answer))
      assert.equal(sha(srv.seen[0][0]), sha(big), 'our Reply received the 1 MiB frame intact')
    })

    test('a libzmq Request connecting before our Reply binds', async (t) => {
      const address = transport === 'ipc' ? ipcDir(t)('late.sock') : `tcp://127.0.0.1:${await freePort()}`
      const req = lz(t, new zmq.Request({ receiveTimeout: 3000, reconnectInterval: 50 }))
      req.connect(address)
      const sent = req.send('early')
      const rep = use(t, new Reply())
      await rep.bind(address)
      ourServe(rep, (m) => `re:${m[0]}`)
      await within(sent, 5000, 'send')
      assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re:early'])
    })
  })
}

describe('other ZMTP peers', () => {
  test('our Request talks to a ZMTP 3.0 server (raw, minor version 0)', async (t) => {
    const srv = net.createServer((s) => {
      s.on('error', () => {})
      s.write(Buffer.concat([greeting({ minor: 0 }), ready('REP')]))
      let got = Buffer.alloc(0)
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d])
        if (got.includes('hello 3.0')) s.write(message(['', 'hi from 3.0']))
      })
    })
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
    t.after(() => srv.close())
    const req = use(t, new Request())
    req.connect(`tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`)
    assert.deepEqual(texts(await within(req.request('hello 3.0', { timeout: 3000 }), 4000, 'request')), ['hi from 3.0'])
  })
})

describe('heartbeats with libzmq', () => {
  test('a libzmq Request with heartbeats on stays connected to our Reply (we answer PINGs)', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    ourServe(rep, (m) => `re:${m[0]}`)
    const req = lz(t, new zmq.Request({ heartbeatInterval: 40, heartbeatTimeout: 150, heartbeatTimeToLive: 300, receiveTimeout: 3000 }))
    let disconnects = 0
    req.events.on('disconnect', () => { disconnects++ })
    req.connect(String(rep.lastEndpoint))
    await within(req.send('one'), 5000, 'req.send')
    assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re:one'])
    await delay(500) // several heartbeat timeouts with no traffic but PING/PONG
    await within(req.send('two'), 5000, 'req.send')
    assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re:two'])
    assert.equal(disconnects, 0, 'libzmq never dropped the connection for a missing PONG')
  })

  test('our Request with heartbeats on stays connected to a libzmq Reply', async (t) => {
    const rep = lz(t, new zmq.Reply())
    await rep.bind('tcp://127.0.0.1:*')
    let disconnects = 0
    rep.events.on('disconnect', () => { disconnects++ })
    libzmqServe(rep, (m) => `re:${m[0]}`)
    const req = use(t, new Request({ heartbeatInterval: 40, heartbeatTimeout: 150, heartbeatTimeToLive: 300 }))
    req.connect(String(rep.lastEndpoint))
    assert.deepEqual(texts(await within(req.request('one', { timeout: 3000 }), 4000, 'one')), ['re:one'])
    await delay(500)
    assert.deepEqual(texts(await within(req.request('two', { timeout: 3000 }), 4000, 'two')), ['re:two'])
    assert.equal(disconnects, 0, 'the connection survived (libzmq answered our PINGs and we theirs)')
  })

  test('heartbeats on both sides at once', async (t) => {
    const rep = lz(t, new zmq.Reply({ heartbeatInterval: 30, heartbeatTimeout: 120 }))
    await rep.bind('tcp://127.0.0.1:*')
    let disconnects = 0
    rep.events.on('disconnect', () => { disconnects++ })
    libzmqServe(rep, (m) => `re:${m[0]}`)
    const req = use(t, new Request({ heartbeatInterval: 30, heartbeatTimeout: 120 }))
    req.connect(String(rep.lastEndpoint))
    assert.deepEqual(texts(await within(req.request('one', { timeout: 3000 }), 4000, 'one')), ['re:one'])
    await delay(400)
    assert.deepEqual(texts(await within(req.request('two', { timeout: 3000 }), 4000, 'two')), ['re:two'])
    assert.equal(disconnects, 0)
  })
})

describe('correlate and the REQ envelope', () => {
  test('correlate: true against a libzmq Reply: round trips work', async (t) => {
    const rep = lz(t, new zmq.Reply())
    await rep.bind('tcp://127.0.0.1:*')
    libzmqServe(rep, (m) => `re:${m[0]}`)
    const req = use(t, new Request({ correlate: true }))
    req.connect(String(rep.lastEndpoint))
    for (let i = 0; i < 5; i++) {
      await within(req.send(`c${i}`), 5000, 'req.send')
      assert.deepEqual(texts(await within(req.receive(), 3000, 'receive')), [`re:c${i}`])
    }
  })

  test('correlate: true against a libzmq Reply: a timed-out request never yields its late reply', async (t) => {
    const rep = lz(t, new zmq.Reply())
    await rep.bind('tcp://127.0.0.1:*')
    const req = use(t, new Request({ correlate: true, receiveTimeout: 150 }))
    req.connect(String(rep.lastEndpoint))
    await within(req.send('one'), 5000, 'req.send')
    const [first] = await within(rep.receive(), 5000, 'rep.receive')
    assert.equal(first.toString(), 'one')
    await rejectsCode(req.receive(), 'EAGAIN', 2000)
    await within(rep.send('stale:one'), 5000, 'rep.send') // libzmq REP echoes our request-id: it travels back, and must be dropped
    await within(req.send('two'), 5000, 'req.send')
    const [second] = await within(rep.receive(), 5000, 'rep.receive')
    assert.equal(second.toString(), 'two')
    await within(rep.send('fresh:two'), 5000, 'rep.send')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['fresh:two'])
  })

  for (const correlate of [false, true]) {
    test(`libzmq Router sees the ${correlate ? 'correlated' : 'default'} REQ envelope, and a stale reply is never returned`, async (t) => {
      const router = lz(t, new zmq.Router())
      await router.bind('tcp://127.0.0.1:*')
      const req = use(t, new Request({ correlate, receiveTimeout: 150 }))
      req.connect(String(router.lastEndpoint))
      await within(req.send('one'), 5000, 'req.send')
      const env1 = await within(router.receive(), 5000, 'router.receive')
      // [routing id, (request id,) empty delimiter, body]
      assert.equal(env1.length, correlate ? 4 : 3, `envelope frames: ${env1.map((b) => b.toString('hex')).join(' ')}`)
      assert.equal(env1[env1.length - 2].length, 0, 'empty delimiter before the body')
      assert.equal(env1[env1.length - 1].toString(), 'one')
      if (correlate) assert.equal(env1[1].length, 4, 'request id is 4 bytes as in libzmq')
      await rejectsCode(req.receive(), 'EAGAIN', 2000)
      // Answer the abandoned request late, with its exact envelope.
      await within(router.send([...env1.slice(0, -1), 'stale:one']), 5000, 'router.send')
      await within(req.send('two'), 5000, 'req.send')
      const env2 = await within(router.receive(), 5000, 'router.receive')
      assert.equal(env2[env2.length - 1].toString(), 'two')
      if (correlate) assert.notDeepEqual(env2[1], env1[1], 'a new request id for the new request')
      await within(router.send([...env2.slice(0, -1), 'fresh:two']), 5000, 'router.send')
      assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['fresh:two'])
    })
  }

  test('a libzmq Request with correlate + relaxed works against our Reply (its envelope is echoed)', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    const srv = ourServe(rep, (m) => `re:${m[0]}`)
    const req = lz(t, new zmq.Request({ correlate: true, relaxed: true, receiveTimeout: 3000 }))
    req.connect(String(rep.lastEndpoint))
    await within(req.send('a'), 5000, 'req.send')
    assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re:a'])
    await within(req.send('b'), 5000, 'req.send')
    assert.deepEqual(texts(await within(req.receive(), 5000, 'req.receive')), ['re:b'])
    assert.deepEqual(srv.seen.map(texts), [['a'], ['b']])
  })

  test('a libzmq Dealer (sending the empty delimiter itself) is served by our Reply', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    ourServe(rep, (m) => [`re:${m[0]}`, 'x'])
    const dealer = lz(t, new zmq.Dealer({ receiveTimeout: 3000 }))
    dealer.connect(String(rep.lastEndpoint))
    await within(dealer.send(['', 'hi']), 5000, 'dealer.send')
    assert.deepEqual(texts(await within(dealer.receive(), 5000, 'dealer.receive')), ['', 're:hi', 'x'])
  })

  test('routingId is what a libzmq Router sees as the peer identity', async (t) => {
    const router = lz(t, new zmq.Router())
    await router.bind('tcp://127.0.0.1:*')
    const req = use(t, new Request({ routingId: 'client-7' }))
    req.connect(String(router.lastEndpoint))
    await within(req.send('who am I'), 5000, 'req.send')
    const env = await within(router.receive(), 5000, 'router.receive')
    assert.equal(env[0].toString(), 'client-7')
    await within(router.send([...env.slice(0, -1), 'you are client-7']), 5000, 'router.send')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['you are client-7'])
  })

  test('a libzmq Request round-robins over two of our Replies', async (t) => {
    const a = use(t, new Reply())
    const b = use(t, new Reply())
    await a.bind('tcp://127.0.0.1:*')
    await b.bind('tcp://127.0.0.1:*')
    ourServe(a, () => 'A')
    ourServe(b, () => 'B')
    const req = lz(t, new zmq.Request({ receiveTimeout: 3000 }))
    req.connect(String(a.lastEndpoint))
    req.connect(String(b.lastEndpoint))
    const got: string[] = []
    for (let i = 0; i < 6; i++) {
      await within(req.send(`${i}`), 5000, 'req.send')
      got.push((await within(req.receive(), 5000, 'req.receive'))[0].toString())
    }
    assert.ok(got.includes('A') && got.includes('B'), got.join(''))
  })
})
