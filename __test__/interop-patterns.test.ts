// PUB->SUB, XPUB/XSUB, PUSH->PULL and PAIR against libzmq 4.3 in both directions: through zeromq.js
// (in process) over tcp and ipc, and over tcp with CURVE; through pyzmq (a child process) over tcp,
// ipc and CURVE. Each test names the pair and the direction of the data.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import * as zmq from 'zeromq'
import * as ours from 'zeromq-napi'
import { pyzmqScript } from './python'
import { ipcDir, test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext
type Lib = 'ours' | 'libzmq'
type Kind = 'Publisher' | 'Subscriber' | 'XPublisher' | 'XSubscriber' | 'Push' | 'Pull' | 'Pair'
type Frames = string | Buffer | Array<string | Buffer>
type Security = 'null' | 'curve'

/** What both libraries' sockets have in common, as these tests use it. */
interface Sock {
  bind(address: string): Promise<void>
  connect(address: string): void
  close(): void
  readonly lastEndpoint: string | null
  send(message: Frames): Promise<void>
  receive(): Promise<Buffer[]>
  subscribe(...prefixes: string[]): void
}

const serverKeys = ours.curveKeyPair()
const clientKeys = ours.curveKeyPair()

/** Options for the binding side (CURVE server) or the connecting side (CURVE client). */
function securityOptions(security: Security, role: 'bind' | 'connect'): Record<string, unknown> {
  if (security === 'null') return {}
  return role === 'bind'
    ? { curveServer: true, curveSecretKey: serverKeys.secretKey }
    : { curveServerKey: serverKeys.publicKey, curvePublicKey: clientKeys.publicKey, curveSecretKey: clientKeys.secretKey }
}

function make(t: TestContext, lib: Lib, kind: Kind, options: Record<string, unknown>): Sock {
  const ctor = (lib === 'ours' ? ours[kind] : zmq[kind]) as unknown as new (o: Record<string, unknown>) => Sock
  return use(t, new ctor(options))
}

/** Binds `binder` and connects `connecter` to it. */
async function join(t: TestContext, binder: Sock, connecter: Sock, transport: 'tcp' | 'ipc'): Promise<void> {
  await binder.bind(transport === 'tcp' ? 'tcp://127.0.0.1:*' : ipcDir(t)('patterns.sock'))
  connecter.connect(String(binder.lastEndpoint))
}

/** Runs `send` every few ms until `received` settles (subscriptions take a round trip). */
async function sendUntil(send: () => Promise<void>, received: Promise<Buffer[]>, what: string): Promise<Buffer[]> {
  let done = false
  const settled = received.finally(() => {
    done = true
  })
  const feeding = (async () => {
    while (!done) {
      await send()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  const message = await within(settled, 8000, what)
  await feeding
  return message
}

const other = (lib: Lib): Lib => (lib === 'ours' ? 'libzmq' : 'ours')

const scenarios: Array<{ name: (from: Lib) => string; run: (t: TestContext, from: Lib, transport: 'tcp' | 'ipc', security: Security) => Promise<void> }> = [
  {
    name: (from) => `PUB (${from}) -> SUB (${other(from)}): only the subscribed prefix arrives`,
    async run(t, from, transport, security) {
      const pub = make(t, from, 'Publisher', securityOptions(security, 'bind'))
      const sub = make(t, other(from), 'Subscriber', securityOptions(security, 'connect'))
      sub.subscribe('t.')
      await join(t, pub, sub, transport)
      const m = await sendUntil(
        async () => {
          await pub.send(['x.1', 'no'])
          await pub.send(['t.1', 'yes'])
        },
        sub.receive(),
        'subscribed message',
      )
      assert.deepEqual(texts(m), ['t.1', 'yes'])
      await pub.send(['x.2', 'no'])
      await pub.send(['t.2', 'yes'])
      for (;;) {
        const [topic] = await within(sub.receive(), 3000, 'next')
        assert.notEqual(topic.toString()[0], 'x', 'an unsubscribed topic never arrives')
        if (topic.toString() === 't.2') break
      }
    },
  },
  {
    name: (from) => `XSUB (${other(from)}) subscribes -> XPUB (${from}) receives it, then XPUB -> XSUB messages`,
    async run(t, from, transport, security) {
      const xpub = make(t, from, 'XPublisher', securityOptions(security, 'bind'))
      const xsub = make(t, other(from), 'XSubscriber', securityOptions(security, 'connect'))
      await join(t, xpub, xsub, transport)
      await xsub.send(Buffer.from('\x01t.', 'latin1'))
      const [subscription] = await within(xpub.receive(), 5000, 'subscription message')
      assert.equal(subscription.toString('latin1'), '\x01t.')
      const m = await sendUntil(
        async () => {
          await xpub.send('x')
          await xpub.send(['t.2', 'yes'])
        },
        xsub.receive(),
        'message',
      )
      assert.deepEqual(texts(m), ['t.2', 'yes'])
    },
  },
  {
    name: (from) => `PUSH (${from}) -> PULL (${other(from)})`,
    async run(t, from, transport, security) {
      const pull = make(t, other(from), 'Pull', securityOptions(security, 'bind'))
      const push = make(t, from, 'Push', securityOptions(security, 'connect'))
      await join(t, pull, push, transport)
      for (let i = 0; i < 3; i++) await within(push.send(['job', String(i), Buffer.alloc(70000, i)]), 5000, 'send')
      for (let i = 0; i < 3; i++) {
        const [job, n, body] = await within(pull.receive(), 5000, 'receive')
        assert.deepEqual([job.toString(), n.toString(), body.length, body[0]], ['job', String(i), 70000, i])
      }
    },
  },
  {
    name: (from) => `PAIR (${from}, binds) <-> PAIR (${other(from)}): both directions`,
    async run(t, from, transport, security) {
      const a = make(t, from, 'Pair', securityOptions(security, 'bind'))
      const b = make(t, other(from), 'Pair', securityOptions(security, 'connect'))
      await join(t, a, b, transport)
      await within(b.send(['ping', '1']), 5000, 'send')
      assert.deepEqual(texts(await within(a.receive(), 5000, 'receive')), ['ping', '1'])
      await within(a.send('pong'), 5000, 'send')
      assert.deepEqual(texts(await within(b.receive(), 5000, 'receive')), ['pong'])
    },
  },
]

for (const [transport, security] of [['tcp', 'null'], ['ipc', 'null'], ['tcp', 'curve']] as const) {
  describe(`with libzmq (zeromq.js) over ${transport}${security === 'curve' ? ' with CURVE' : ''}`, () => {
    for (const scenario of scenarios) {
      for (const from of ['ours', 'libzmq'] as const) {
        test(scenario.name(from), (t) => scenario.run(t, from, transport, security))
      }
    }
  })
}

// The pyzmq side always connects (to our bound socket) and is the CURVE client when asked.
const PY = `
import sys, time, zmq
mode, endpoint, security = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = zmq.Context()
kinds = {'pub': zmq.PUB, 'sub': zmq.SUB, 'xpub': zmq.XPUB, 'xsub': zmq.XSUB, 'push': zmq.PUSH, 'pull': zmq.PULL, 'pair': zmq.PAIR}
s = ctx.socket(kinds[mode])
s.linger = 1000
if security == 'curve':
    s.curve_serverkey = sys.argv[4].encode()
    s.curve_publickey = sys.argv[5].encode()
    s.curve_secretkey = sys.argv[6].encode()
if mode == 'sub':
    s.setsockopt(zmq.SUBSCRIBE, b't.')
s.connect(endpoint)
def show(m):
    print('|'.join(f.decode('latin1') for f in m), flush=True)
if mode in ('sub', 'pull'):
    show(s.recv_multipart())
    show(s.recv_multipart())
elif mode == 'pub':
    while True:
        s.send_multipart([b'x.1', b'no'])
        s.send_multipart([b't.1', b'yes'])
        time.sleep(0.01)
elif mode == 'push':
    s.send_multipart([b'job', b'from pyzmq'])
    s.send_multipart([b'job', b'two'])
    print('sent', flush=True)
    time.sleep(30)
elif mode == 'pair':
    s.send_multipart([b'ping', b'pyzmq'])
    show(s.recv_multipart())
elif mode == 'xsub':
    s.send(b'\\x01t.')
    show(s.recv_multipart())
elif mode == 'xpub':
    show([s.recv()])
    while True:
        s.send_multipart([b'x.1', b'no'])
        s.send_multipart([b't.1', b'yes'])
        time.sleep(0.01)
`

function pyArgs(security: Security): string[] {
  return security === 'curve' ? ['curve', serverKeys.publicKey, clientKeys.publicKey, clientKeys.secretKey] : ['null']
}

for (const [transport, security] of [['tcp', 'null'], ['ipc', 'null'], ['tcp', 'curve']] as const) {
  describe(`with libzmq (pyzmq) over ${transport}${security === 'curve' ? ' with CURVE' : ''}`, () => {
    const address = (t: TestContext) => (transport === 'tcp' ? 'tcp://127.0.0.1:*' : ipcDir(t)('py.sock'))
    const bound = async <T extends { bind(a: string): Promise<void>; lastEndpoint: string | null }>(t: TestContext, sock: T) => {
      await sock.bind(address(t))
      return String(sock.lastEndpoint)
    }
    const options = securityOptions(security, 'bind')

    test('PUB (ours) -> SUB (pyzmq)', async (t) => {
      const pub = use(t, new ours.Publisher(options))
      const py = pyzmqScript(t, PY, ['sub', await bound(t, pub), ...pyArgs(security)])
      let got = false
      const line = py.line(0).finally(() => {
        got = true
      })
      while (!got) {
        await pub.send(['x.1', 'no'])
        await pub.send(['t.1', 'yes'])
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      assert.equal(await within(line, 20000, 'pyzmq received'), 't.1|yes')
      await pub.send(['x.1', 'no'])
      await pub.send(['t.1', 'yes'])
      assert.equal(await within(py.line(1), 5000, 'pyzmq received'), 't.1|yes')
    })

    test('PUB (pyzmq) -> SUB (ours)', async (t) => {
      // Our SUB binds here: a PUB may connect, as in a forwarder setup.
      const sub = use(t, new ours.Subscriber(options))
      sub.subscribe('t.')
      pyzmqScript(t, PY, ['pub', await bound(t, sub), ...pyArgs(security)])
      assert.deepEqual(texts(await within(sub.receive(), 20000, 'receive')), ['t.1', 'yes'])
      assert.deepEqual(texts(await within(sub.receive(), 5000, 'receive')), ['t.1', 'yes'])
    })

    test('XSUB (pyzmq) subscribes -> XPUB (ours) receives it; XPUB -> XSUB messages', async (t) => {
      const xpub = use(t, new ours.XPublisher(options))
      const py = pyzmqScript(t, PY, ['xsub', await bound(t, xpub), ...pyArgs(security)])
      assert.equal((await within(xpub.receive(), 20000, 'subscription'))[0].toString('latin1'), '\x01t.')
      await xpub.send(['x.1', 'no'])
      await xpub.send(['t.1', 'yes'])
      assert.equal(await within(py.line(0), 5000, 'pyzmq received'), 't.1|yes')
    })

    test('XSUB (ours) subscribes -> XPUB (pyzmq) receives it; XPUB -> XSUB messages', async (t) => {
      const xsub = use(t, new ours.XSubscriber(options))
      const py = pyzmqScript(t, PY, ['xpub', await bound(t, xsub), ...pyArgs(security)])
      await xsub.send(Buffer.from('\x01t.', 'latin1'))
      assert.equal(await within(py.line(0), 20000, 'pyzmq subscription'), '\x01t.')
      assert.deepEqual(texts(await within(xsub.receive(), 5000, 'receive')), ['t.1', 'yes'])
    })

    test('PUSH (ours) -> PULL (pyzmq)', async (t) => {
      const push = use(t, new ours.Push(options))
      const py = pyzmqScript(t, PY, ['pull', await bound(t, push), ...pyArgs(security)])
      await within(push.send(['job', 'from ours']), 20000, 'send')
      await push.send(['job', 'two'])
      assert.equal(await within(py.line(0), 20000, 'pyzmq received'), 'job|from ours')
      assert.equal(await within(py.line(1), 5000, 'pyzmq received'), 'job|two')
    })

    test('PUSH (pyzmq) -> PULL (ours)', async (t) => {
      const pull = use(t, new ours.Pull(options))
      pyzmqScript(t, PY, ['push', await bound(t, pull), ...pyArgs(security)])
      assert.deepEqual(texts(await within(pull.receive(), 20000, 'receive')), ['job', 'from pyzmq'])
      assert.deepEqual(texts(await within(pull.receive(), 5000, 'receive')), ['job', 'two'])
    })

    test('PAIR (ours) <-> PAIR (pyzmq): both directions', async (t) => {
      const pair = use(t, new ours.Pair(options))
      const py = pyzmqScript(t, PY, ['pair', await bound(t, pair), ...pyArgs(security)])
      assert.deepEqual(texts(await within(pair.receive(), 20000, 'receive')), ['ping', 'pyzmq'])
      await pair.send(['pong', 'ours'])
      assert.equal(await within(py.line(0), 5000, 'pyzmq received'), 'pong|ours')
    })
  })
}
