// CURVE and PLAIN against libzmq 4.3 in both directions, through zeromq.js (in process) and
// pyzmq (a child process): encrypted REQ<->REP, a wrong server key refused on either side, PLAIN
// credentials, and our authenticate refusing a libzmq client (never served).
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import * as zmq from 'zeromq'
import { curveKeyPair, Reply, Request } from 'zeromq-napi'
import type { AuthenticatePeer } from 'zeromq-napi'
import { pyzmqScript } from './python'
import { rejectsCode, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

const server = curveKeyPair()
const client = curveKeyPair()

function lz<T extends { close(): void }>(t: TestContext, sock: T): T {
  t.after(() => sock.close())
  return sock
}

/** Our Reply answering 'ours:' + the first frame; counts what it served. */
function ourServe(rep: Reply) {
  const state = { served: 0 }
  void (async () => {
    for (;;) {
      try {
        const [first] = await rep.receive()
        state.served++
        await rep.send(`ours:${first.toString()}`)
      } catch {
        return
      }
    }
  })()
  return state
}

/** A zeromq.js Reply answering 'lz:' + the first frame. */
function libzmqServe(rep: zmq.Reply) {
  const state = { served: 0 }
  void (async () => {
    try {
      for await (const [first] of rep) {
        state.served++
        await rep.send(`lz:${first.toString()}`)
      }
    } catch {
      // closed
    }
  })()
  return state
}

async function lzBind(rep: zmq.Reply): Promise<string> {
  await rep.bind('tcp://127.0.0.1:*')
  assert.ok(rep.lastEndpoint)
  return rep.lastEndpoint
}

describe('CURVE with zeromq.js (libzmq)', () => {
  test('our Request -> libzmq CURVE Reply, 1 MiB included', async (t) => {
    const rep = lz(t, new zmq.Reply({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 }))
    const state = libzmqServe(rep)
    const req = use(t, new Request({ curveServerKey: server.publicKey, curveSecretKey: client.secretKey, linger: 0 }))
    req.connect(await lzBind(rep))
    assert.deepEqual(texts(await within(req.request('hello'), 5000, 'request')), ['lz:hello'])
    const big = Buffer.alloc(1024 * 1024, 'a')
    const [reply] = await within(req.request(big), 5000, 'large request')
    assert.equal(reply.length, big.length + 3)
    assert.equal(state.served, 2)
  })

  test('libzmq CURVE Request -> our Reply; authenticate sees its public key', async (t) => {
    const seen: AuthenticatePeer[] = []
    const rep = use(t, new Reply({
      curveServer: true,
      curveSecretKey: server.secretKey,
      linger: 0,
      authenticate: (peer) => {
        seen.push(peer)
        return peer.publicKey === client.publicKey
      },
    }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    ourServe(rep)
    const req = lz(t, new zmq.Request({
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
      routingId: 'lz-client',
      linger: 0,
    }))
    req.connect(endpoint)
    await req.send('hi')
    assert.deepEqual(texts(await within(req.receive(), 5000, 'receive')), ['ours:hi'])
    assert.equal(seen.length, 1)
    assert.equal(seen[0].mechanism, 'CURVE')
    assert.equal(seen[0].publicKey, client.publicKey)
    assert.equal(seen[0].routingId?.toString(), 'lz-client')
  })

  test('a wrong server key is refused both ways; nothing is served', async (t) => {
    const lzRep = lz(t, new zmq.Reply({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 }))
    const lzState = libzmqServe(lzRep)
    const ours = use(t, new Request({ curveServerKey: client.publicKey, curveSecretKey: client.secretKey, linger: 0 }))
    ours.connect(await lzBind(lzRep))
    const err = await rejectsCode(ours.request('x', { timeout: 500 }), 'EAGAIN', 5000)
    assert.match(err.detail, /the last handshake failed/)
    assert.equal(lzState.served, 0)

    const rep = use(t, new Reply({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const state = ourServe(rep)
    const lzReq = lz(t, new zmq.Request({
      curveServerKey: client.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
      receiveTimeout: 400,
      linger: 0,
    }))
    lzReq.connect(endpoint)
    await lzReq.send('x')
    await assert.rejects(lzReq.receive(), (e: Error & { code?: string }) => e.code === 'EAGAIN')
    assert.equal(state.served, 0)
  })

  test('our authenticate refusing a libzmq client: it is never served', async (t) => {
    let asked = 0
    const rep = use(t, new Reply({
      curveServer: true,
      curveSecretKey: server.secretKey,
      linger: 0,
      authenticate: () => {
        asked++
        return false
      },
    }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const state = ourServe(rep)
    const lzReq = lz(t, new zmq.Request({
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
      receiveTimeout: 500,
      linger: 0,
    }))
    lzReq.connect(endpoint)
    await lzReq.send('x')
    await assert.rejects(lzReq.receive(), (e: Error & { code?: string }) => e.code === 'EAGAIN')
    assert.ok(asked >= 1)
    assert.equal(state.served, 0)
  })
})

/**
 * A ZAP handler (RFC 27) in zeromq.js's context: libzmq's PLAIN server refuses every client
 * without one. Accepts the PLAIN credentials `user`/`password`; returns the requests it saw.
 */
function libzmqZap(t: TestContext, user: string, password: string) {
  const zap = lz(t, new zmq.Reply({ linger: 0 }))
  const seen: string[][] = []
  void (async () => {
    await zap.bind('inproc://zeromq.zap.01')
    try {
      for await (const request of zap) {
        const [version, id, , , , mechanism, ...credentials] = request
        seen.push([mechanism.toString(), ...credentials.map((c) => c.toString())])
        const ok = mechanism.toString() === 'PLAIN' && credentials[0]?.toString() === user && credentials[1]?.toString() === password
        await zap.send([version, id, ok ? '200' : '400', ok ? 'OK' : 'denied', ok ? user : '', ''])
      }
    } catch {
      // closed
    }
  })()
  return seen
}

describe('PLAIN with zeromq.js (libzmq)', () => {
  test('our PLAIN client -> libzmq PLAIN server, and libzmq client -> ours', async (t) => {
    const zapSeen = libzmqZap(t, 'admin', 'secret')
    const lzRep = lz(t, new zmq.Reply({ plainServer: true, linger: 0 }))
    libzmqServe(lzRep)
    const ours = use(t, new Request({ plainUsername: 'admin', plainPassword: 'secret', linger: 0 }))
    ours.connect(await lzBind(lzRep))
    assert.deepEqual(texts(await within(ours.request('p'), 5000, 'request')), ['lz:p'])
    assert.deepEqual(zapSeen, [['PLAIN', 'admin', 'secret']])
    const refused = use(t, new Request({ plainUsername: 'admin', plainPassword: 'guess', linger: 0 }))
    refused.connect(String(lzRep.lastEndpoint))
    const err = await rejectsCode(refused.request('x', { timeout: 500 }), 'EAGAIN', 5000)
    assert.match(err.detail, /refused our credentials/)

    const seen: AuthenticatePeer[] = []
    const rep = use(t, new Reply({
      plainServer: true,
      linger: 0,
      authenticate: (peer) => {
        seen.push(peer)
        return peer.username === 'admin' && peer.password === 'secret'
      },
    }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const state = ourServe(rep)
    const lzReq = lz(t, new zmq.Request({ plainUsername: 'admin', plainPassword: 'secret', linger: 0 }))
    lzReq.connect(endpoint)
    await lzReq.send('q')
    assert.deepEqual(texts(await within(lzReq.receive(), 5000, 'receive')), ['ours:q'])
    const wrong = lz(t, new zmq.Request({ plainUsername: 'admin', plainPassword: 'guess', receiveTimeout: 400, linger: 0 }))
    wrong.connect(endpoint)
    await wrong.send('r')
    await assert.rejects(wrong.receive(), (e: Error & { code?: string }) => e.code === 'EAGAIN')
    assert.equal(state.served, 1)
    assert.deepEqual(seen.map((p) => [p.mechanism, p.username]), [['PLAIN', 'admin'], ['PLAIN', 'admin']])
  })
})

const PY = `
import sys, zmq
mode = sys.argv[1]
ctx = zmq.Context()
if mode in ('curve-server', 'plain-server'):
    s = ctx.socket(zmq.REP)
    s.linger = 0
    if mode == 'curve-server':
        s.curve_server = True
        s.curve_secretkey = sys.argv[2].encode()
    else:
        # libzmq's PLAIN server refuses every client without a ZAP handler.
        from zmq.auth.thread import ThreadAuthenticator
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_plain(domain='*', passwords={'u': 'p'})
        s.plain_server = True
    s.bind('tcp://127.0.0.1:*')
    print(s.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    while True:
        m = s.recv()
        s.send(b'py:' + m)
else:
    s = ctx.socket(zmq.REQ)
    s.linger = 0
    s.rcvtimeo = int(sys.argv[3])
    if mode == 'curve-client':
        s.curve_serverkey = sys.argv[4].encode()
        s.curve_publickey = sys.argv[5].encode()
        s.curve_secretkey = sys.argv[6].encode()
    else:
        s.plain_username = sys.argv[4].encode()
        s.plain_password = sys.argv[5].encode()
    s.connect(sys.argv[2])
    s.send(b'hello')
    try:
        print(s.recv().decode(), flush=True)
    except zmq.Again:
        print('EAGAIN', flush=True)
`

describe('CURVE and PLAIN with pyzmq (libzmq)', () => {
  test('our CURVE Request -> pyzmq CURVE REP; a wrong key is refused', async (t) => {
    const py = pyzmqScript(t, PY, ['curve-server', server.secretKey])
    const endpoint = await py.line(0)
    const req = use(t, new Request({ curveServerKey: server.publicKey, curveSecretKey: client.secretKey, linger: 0 }))
    req.connect(endpoint)
    assert.deepEqual(texts(await within(req.request('a'), 5000, 'request')), ['py:a'])
    const wrong = use(t, new Request({ curveServerKey: client.publicKey, curveSecretKey: client.secretKey, linger: 0 }))
    wrong.connect(endpoint)
    const err = await rejectsCode(wrong.request('b', { timeout: 500 }), 'EAGAIN', 5000)
    assert.match(err.detail, /the last handshake failed/)
  })

  test('pyzmq CURVE REQ -> our Reply; a wrong key is refused, never served', async (t) => {
    const rep = use(t, new Reply({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const state = ourServe(rep)
    const good = pyzmqScript(t, PY, ['curve-client', endpoint, '5000', server.publicKey, client.publicKey, client.secretKey])
    assert.equal(await good.line(0), 'ours:hello')
    const bad = pyzmqScript(t, PY, ['curve-client', endpoint, '500', client.publicKey, client.publicKey, client.secretKey])
    assert.equal(await bad.line(0), 'EAGAIN')
    assert.equal(state.served, 1)
  })

  test('PLAIN both ways', async (t) => {
    const py = pyzmqScript(t, PY, ['plain-server'])
    const pyEndpoint = await py.line(0)
    const req = use(t, new Request({ plainUsername: 'u', plainPassword: 'p', linger: 0 }))
    req.connect(pyEndpoint)
    assert.deepEqual(texts(await within(req.request('c'), 5000, 'request')), ['py:c'])

    const rep = use(t, new Reply({ plainServer: true, linger: 0, authenticate: (peer) => peer.password === 'right' }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const state = ourServe(rep)
    const good = pyzmqScript(t, PY, ['plain-client', endpoint, '5000', 'u', 'right'])
    assert.equal(await good.line(0), 'ours:hello')
    const bad = pyzmqScript(t, PY, ['plain-client', endpoint, '500', 'u', 'wrong'])
    assert.equal(await bad.line(0), 'EAGAIN')
    assert.equal(state.served, 1)
  })
})
