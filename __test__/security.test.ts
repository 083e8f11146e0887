// CURVE (RFC 26) and PLAIN (RFC 24) from JS: every option (validation, read-back as Z85, the
// derived public key), curveKeyPair, authenticate (allow-list of public keys, async decision,
// throwing and rejecting handlers, what it is told), PLAIN credentials accepted and refused, a
// wrong server key and mismatched mechanisms (the client times out EAGAIN saying why), a refused
// client never served, and the decision on every reading path (JS thread, engine readers, worker).
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { curveKeyPair, Dealer, Reply, Request, Router } from 'zeromq-napi'
import type { AuthenticatePeer } from 'zeromq-napi'
import { rejectsCode, runNode, test, texts, use, within } from './helpers'
import { command, commandName, greeting, RawPeer, ready } from './zmtp'

// libzmq's test key pairs (doc/zmq_curve.adoc).
const SERVER_PUBLIC = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7'
const SERVER_SECRET = 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6'
const CLIENT_PUBLIC = 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID'
const CLIENT_SECRET = 'D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs'
const Z85 = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/

/** A Reply answering 'echo:' + the first frame; `served` counts what its loop received. */
function serve(rep: Reply) {
  const state = { served: 0 }
  void (async () => {
    for (;;) {
      try {
        const [first] = await rep.receive()
        state.served++
        await rep.send(`echo:${first.toString()}`)
      } catch {
        return
      }
    }
  })()
  return state
}

async function curveServer(t: import('node:test').TestContext, extra: ConstructorParameters<typeof Reply>[0] = {}) {
  const rep = use(t, new Reply({ curveServer: true, curveSecretKey: SERVER_SECRET, linger: 0, ...extra }))
  await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
  return { rep, endpoint, state: serve(rep) }
}

function curveClient(t: import('node:test').TestContext, endpoint: string, extra: ConstructorParameters<typeof Request>[0] = {}) {
  const req = use(t, new Request({ curveServerKey: SERVER_PUBLIC, curveSecretKey: CLIENT_SECRET, linger: 0, ...extra }))
  req.connect(endpoint)
  return req
}

describe('curveKeyPair', () => {
  test('gives 40-character Z85 keys, a new pair each time', () => {
    const a = curveKeyPair()
    const b = curveKeyPair()
    for (const key of [a.publicKey, a.secretKey, b.publicKey, b.secretKey]) {
      assert.equal(typeof key, 'string')
      assert.equal(key.length, 40)
      assert.match(key, Z85)
    }
    assert.notEqual(a.publicKey, a.secretKey)
    assert.notEqual(a.publicKey, b.publicKey)
    assert.notEqual(a.secretKey, b.secretKey)
    assert.deepEqual(Object.keys(a).sort(), ['publicKey', 'secretKey'])
  })

  test('its public key is the one derived from its secret key', () => {
    const pair = curveKeyPair()
    const sock = new Reply({ curveSecretKey: pair.secretKey })
    try {
      assert.equal(sock.curvePublicKey, pair.publicKey)
    } finally {
      sock.close()
    }
  })
})

describe('security options', () => {
  test('defaults: no mechanism, no keys, no credentials, no authenticator', () => {
    const sock = new Request()
    try {
      assert.equal(sock.curveServer, false)
      assert.equal(sock.curveSecretKey, null)
      assert.equal(sock.curvePublicKey, null)
      assert.equal(sock.curveServerKey, null)
      assert.equal(sock.plainServer, false)
      assert.equal(sock.plainUsername, null)
      assert.equal(sock.plainPassword, null)
      assert.equal(sock.authenticate, null)
    } finally {
      sock.close()
    }
  })

  test('keys are taken as Z85 or 32 bytes and read back as Z85', () => {
    const sock = new Request({ curveSecretKey: CLIENT_SECRET, curveServerKey: new Uint8Array(32) })
    try {
      assert.equal(sock.curveSecretKey, CLIENT_SECRET)
      // Z85 of 32 zero bytes: the digit for 0 is '0'.
      assert.equal(sock.curveServerKey, '0'.repeat(40))
      // Derived from the secret key until set.
      assert.equal(sock.curvePublicKey, CLIENT_PUBLIC)
      sock.curvePublicKey = SERVER_PUBLIC
      assert.equal(sock.curvePublicKey, SERVER_PUBLIC)
      sock.curvePublicKey = null
      assert.equal(sock.curvePublicKey, CLIENT_PUBLIC)
      sock.curveServerKey = Buffer.from(new Uint8Array(32).fill(0))
      assert.equal(sock.curveServerKey, '0'.repeat(40))
      sock.plainUsername = 'user'
      sock.plainPassword = 'pass'
      assert.equal(sock.plainUsername, 'user')
      assert.equal(sock.plainPassword, 'pass')
      const handler = () => true
      sock.authenticate = handler
      assert.equal(sock.authenticate, handler)
      sock.authenticate = null
      assert.equal(sock.authenticate, null)
    } finally {
      sock.close()
    }
  })

  test('malformed values throw TypeError', () => {
    const bad: Array<[string, unknown]> = [
      ['curveSecretKey', 'too short'],
      ['curveSecretKey', CLIENT_SECRET.slice(0, 39) + '"'],
      ['curveServerKey', new Uint8Array(31)],
      ['curvePublicKey', 42],
      ['curveServer', 'yes'],
      ['plainServer', 1],
      ['plainUsername', 7],
      ['plainPassword', 'x'.repeat(256)],
      ['authenticate', 'allow all'],
    ]
    for (const [name, value] of bad) {
      assert.throws(() => new Request({ [name]: value }), TypeError, `${name} = ${String(value)}`)
      const sock = new Reply()
      try {
        assert.throws(() => Object.assign(sock, { [name]: value }), TypeError, `set ${name}`)
      } finally {
        sock.close()
      }
    }
  })

  test('a CURVE role without a secret key throws TypeError; a typo names the option meant', () => {
    assert.throws(() => new Reply({ curveServer: true }), /curveServer.*curveSecretKey/)
    assert.throws(() => new Request({ curveServerKey: SERVER_PUBLIC }), TypeError)
    assert.throws(() => new Request({ curveSecretkey: CLIENT_SECRET } as never), { detail: /did you mean 'curveSecretKey'/ })
    assert.throws(() => new Reply({ CURVE_SERVER: true } as never), { detail: /did you mean 'curveServer'/ })
  })

  test('every socket type takes them', () => {
    for (const Type of [Request, Reply, Dealer, Router]) {
      const sock = new Type({ curveServer: true, curveSecretKey: SERVER_SECRET, authenticate: () => true })
      try {
        assert.equal(sock.curveServer, true)
        assert.equal(sock.curvePublicKey, SERVER_PUBLIC)
      } finally {
        sock.close()
      }
    }
  })
})

describe('CURVE', () => {
  test('an encrypted round trip, the authenticator seeing the client', async (t) => {
    const seen: AuthenticatePeer[] = []
    const { endpoint, state } = await curveServer(t, {
      authenticate: (peer) => {
        seen.push(peer)
        return true
      },
    })
    const req = curveClient(t, endpoint, { routingId: 'client-1' })
    assert.deepEqual(texts(await within(req.request('secret'), 5000, 'request')), ['echo:secret'])
    const big = Buffer.alloc(1024 * 1024, 7)
    const reply = await within(req.request(big), 5000, 'large request')
    assert.equal(reply[0].length, big.length + 5)
    assert.equal(state.served, 2)
    assert.equal(seen.length, 1)
    const [peer] = seen
    assert.equal(peer.mechanism, 'CURVE')
    assert.equal(peer.publicKey, CLIENT_PUBLIC)
    assert.match(peer.address, /^tcp:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(Buffer.isBuffer(peer.routingId))
    assert.equal(peer.routingId.toString(), 'client-1')
    assert.equal(peer.username, undefined)
  })

  test('large frames around the pass and split sizes arrive whole and in order, none lost to a close right after sending', async (t) => {
    const router = use(t, new Router({ curveServer: true, curveSecretKey: SERVER_SECRET, linger: 0 }))
    await router.bind('tcp://127.0.0.1:*')
    // Closed below with its messages maybe still queued: linger lets them out.
    const dealer = new Dealer({ curveServerKey: SERVER_PUBLIC, curveSecretKey: CLIENT_SECRET, linger: 30_000 })
    t.after(() => dealer.close())
    dealer.connect(String(router.lastEndpoint))
    // Around the engine's 64 KiB passes and 256 KiB split (a MESSAGE box is its frame + 1 byte of
    // flags), and one larger than the socket buffers.
    const sizes = [64 * 1024 - 1, 64 * 1024, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 31, 1024 * 1024 + 33, 3 * 1024 * 1024 + 7]
    const body = (size: number, seed: number) => {
      const b = Buffer.allocUnsafe(size)
      for (let k = 0; k < size; k++) b[k] = (k * 7 + seed) & 255
      return b
    }
    for (const [i, size] of sizes.entries()) await dealer.send([body(size, i), `tail ${i}`])
    dealer.close()
    for (const [i, size] of sizes.entries()) {
      const [, big, tail] = await within(router.receive(), 10_000, `message ${i}`)
      assert.equal(big.length, size)
      assert.ok(big.equals(body(size, i)), `frame of ${size} bytes came through changed`)
      assert.equal(tail.toString(), `tail ${i}`)
    }
  })

  test('an allow-list of public keys: a refused client is never served and times out EAGAIN', async (t) => {
    const allowed = new Set([CLIENT_PUBLIC])
    const { endpoint, state } = await curveServer(t, {
      authenticate: (peer) => peer.publicKey !== undefined && allowed.has(peer.publicKey),
    })
    const good = curveClient(t, endpoint)
    assert.deepEqual(texts(await within(good.request('in'), 5000, 'request')), ['echo:in'])
    const stranger = curveKeyPair()
    const bad = curveClient(t, endpoint, { curveSecretKey: stranger.secretKey })
    const err = await rejectsCode(bad.request('let me in', { timeout: 500 }), 'EAGAIN', 5000)
    assert.match(err.detail, /the last handshake failed: .*refused our credentials/)
    assert.equal(state.served, 1)
  })

  test('an async decision is awaited; a throw or a rejection refuses', async (t) => {
    const { endpoint: asyncEndpoint } = await curveServer(t, {
      authenticate: async (peer) => {
        await new Promise((resolve) => setImmediate(resolve))
        return peer.publicKey === CLIENT_PUBLIC
      },
    })
    const req = curveClient(t, asyncEndpoint)
    assert.deepEqual(texts(await within(req.request('later'), 5000, 'request')), ['echo:later'])

    for (const authenticate of [
      (): boolean => {
        throw new Error('handler bug')
      },
      (): Promise<boolean> => Promise.reject(new Error('no')),
    ]) {
      const { endpoint, state } = await curveServer(t, { authenticate })
      const refused = curveClient(t, endpoint)
      const err = await rejectsCode(refused.request('x', { timeout: 400 }), 'EAGAIN', 5000)
      assert.match(err.detail, /refused our credentials/)
      assert.equal(state.served, 0)
    }
  })

  test('a wrong server key: the client times out EAGAIN and the message says why', async (t) => {
    const { endpoint, state } = await curveServer(t)
    const req = curveClient(t, endpoint, { curveServerKey: curveKeyPair().publicKey })
    const err = await rejectsCode(req.request('hello', { timeout: 500 }), 'EAGAIN', 5000)
    assert.match(err.detail, /the last handshake failed: .*curveServerKey/)
    assert.equal(state.served, 0)
  })

  test('a NULL client and a PLAIN client to a CURVE server are refused, never served', async (t) => {
    const { endpoint, state } = await curveServer(t)
    const plain = use(t, new Request({ plainUsername: 'u', plainPassword: 'p', linger: 0 }))
    plain.connect(endpoint)
    const mismatch = await rejectsCode(plain.request('x', { timeout: 400 }), 'EAGAIN', 5000)
    assert.match(mismatch.detail, /mechanism mismatch: ours PLAIN, peer CURVE/)
    const clear = use(t, new Request({ linger: 0 }))
    clear.connect(endpoint)
    const err = await rejectsCode(clear.request('x', { timeout: 400 }), 'EAGAIN', 5000)
    assert.match(err.detail, /mechanism mismatch: ours NULL, peer CURVE/)
    assert.equal(state.served, 0)
  })
})

describe('PLAIN', () => {
  test('username and password accepted and refused', async (t) => {
    const rep = use(t, new Reply({
      plainServer: true,
      linger: 0,
      authenticate: (peer) => peer.mechanism === 'PLAIN' && peer.username === 'admin' && peer.password === 'secret',
    }))
    await rep.bind('tcp://127.0.0.1:*')
    const endpoint = String(rep.lastEndpoint)
    const state = serve(rep)
    const good = use(t, new Request({ plainUsername: 'admin', plainPassword: 'secret', linger: 0 }))
    good.connect(endpoint)
    assert.deepEqual(texts(await within(good.request('p'), 5000, 'request')), ['echo:p'])
    const bad = use(t, new Request({ plainUsername: 'admin', plainPassword: 'guess', linger: 0 }))
    bad.connect(endpoint)
    const err = await rejectsCode(bad.request('q', { timeout: 400 }), 'EAGAIN', 5000)
    assert.match(err.detail, /refused our credentials/)
    assert.equal(state.served, 1)
  })

  test('credentials reach authenticate losslessly: exact bytes always, text only when UTF-8', async (t) => {
    const asked: AuthenticatePeer[] = []
    const rep = use(t, new Reply({ plainServer: true, linger: 0, authenticate: (peer) => { asked.push(peer); return false } }))
    await rep.bind('tcp://127.0.0.1:*')
    const port = Number(String(rep.lastEndpoint).split(':').pop())
    // A raw PLAIN client: HELLO with a non-UTF-8 username and a UTF-8 password, then INITIATE.
    const username = Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x62])
    const password = Buffer.from('pässwörd')
    const peer = await RawPeer.connect(port)
    t.after(() => peer.destroy())
    peer.write(Buffer.concat([
      greeting({ mechanism: 'PLAIN' }),
      command('HELLO', Buffer.concat([Buffer.from([username.length]), username, Buffer.from([password.length]), password])),
    ]))
    assert.equal(commandName(await within(peer.nextFrame(), 2000, 'WELCOME')), 'WELCOME')
    const meta = ready('REQ')
    // READY's body is \x05READY + properties; INITIATE's is \x08INITIATE + the same properties.
    const props = meta.subarray(2 + 6)
    peer.write(command('INITIATE', props))
    await within(peer.closed, 2000, 'refused and disconnected')
    assert.equal(asked.length, 1)
    const [p] = asked
    assert.equal(p.mechanism, 'PLAIN')
    assert.equal(p.username, undefined, 'no lossy text for bytes that are not UTF-8')
    assert.equal(p.password, 'pässwörd')
    assert.ok(Buffer.isBuffer(p.usernameBytes) && Buffer.isBuffer(p.passwordBytes))
    assert.deepEqual([...(p.usernameBytes as Buffer)], [...username])
    assert.deepEqual([...(p.passwordBytes as Buffer)], [...password])
  })
})

const SCRIPT = `
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
async function life() {
  const { Request, Reply } = require('zeromq-napi');
  const S = ${JSON.stringify({ SERVER_PUBLIC, SERVER_SECRET, CLIENT_SECRET, CLIENT_PUBLIC })};
  const asked = [];
  const rep = new Reply({ curveServer: true, curveSecretKey: S.SERVER_SECRET, linger: 0,
    authenticate: async (peer) => { asked.push(peer.publicKey); return peer.publicKey === S.CLIENT_PUBLIC; } });
  await rep.bind('tcp://127.0.0.1:*'); const endpoint = rep.lastEndpoint;
  (async () => { for (;;) { try { const [m] = await rep.receive(); await rep.send('ok:' + m); } catch { return; } } })();
  const req = new Request({ curveServerKey: S.SERVER_PUBLIC, curveSecretKey: S.CLIENT_SECRET, linger: 0 });
  req.connect(endpoint);
  const [reply] = await req.request('hi', { timeout: 5000 });
  assert.equal(reply.toString(), 'ok:hi');
  assert.deepEqual(asked, [S.CLIENT_PUBLIC]);
  req.close(); rep.close();
  return 'authenticated';
}
(async () => {
  if (process.env.IN_WORKER === '1') {
    const worker = new Worker("const { parentPort } = require('node:worker_threads'); const assert = require('node:assert/strict');" +
      'const life = ' + life.toString() + ';' +
      "life().then((r) => parentPort.postMessage(r), (e) => parentPort.postMessage('error: ' + (e && e.stack)));", { eval: true });
    const [result] = await require('node:events').once(worker, 'message');
    console.log(result);
  } else {
    console.log(await life());
  }
})().catch((err) => { console.error(err); process.exitCode = 1; });
`

describe('authenticate on every reading path', () => {
  for (const [name, env] of [
    ["the main thread, reading on Node's event loop", { ZEROMQ_NAPI_READER: '' }],
    ["the engine's readers (ZEROMQ_NAPI_READER=engine)", { ZEROMQ_NAPI_READER: 'engine' }],
    ['a worker thread', { IN_WORKER: '1' }],
  ] as const) {
    test(name, async () => {
      const result = await runNode(SCRIPT, { env, timeoutMs: 15000 })
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout.trim(), 'authenticated')
    })
  }
})
