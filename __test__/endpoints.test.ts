// Endpoints: ephemeral ports + lastEndpoint, `tcp://*:PORT`, IPv6, localhost, ipc, several endpoints,
// unbind/disconnect, and the endpoint error codes (EINVAL, EPROTONOSUPPORT, EADDRINUSE, ENOENT) with `.address`.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import { describe } from 'node:test'
import { Dealer, Reply, Request } from 'zeromq-napi'
import {
  answerLoop,
  boundReply,
  callAsync,
  connectedRequest,
  freePort,
  hasIPv6Loopback,
  ipcDir,
  portOf,
  rejectsCode,
  TCP_ENDPOINT,
  TCP_LOOPBACK,
  test,
  texts,
  throwsCode,
  use,
  within,
} from './helpers'

async function roundTrip(req: Request, body: string): Promise<string[]> {
  return texts(await within(req.request(body, { timeout: 2000 }), 3000, `request(${body})`))
}

describe('ephemeral ports and lastEndpoint', () => {
  test('lastEndpoint is null before any bind, on both socket types', (t) => {
    assert.equal(use(t, new Reply()).lastEndpoint, null)
    assert.equal(use(t, new Request()).lastEndpoint, null)
  })

  test("bind('tcp://127.0.0.1:*') picks a port and lastEndpoint holds the resolved address", async (t) => {
    const { rep, endpoint } = await boundReply(t)
    assert.equal(typeof endpoint, 'string')
    assert.match(endpoint, TCP_ENDPOINT)
    assert.notEqual(portOf(endpoint), 0)
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, endpoint), 'hi'), ['hi'])
  })

  test("port 0 binds an ephemeral port too ('tcp://127.0.0.1:0')", async (t) => {
    const { rep, endpoint } = await boundReply(t, undefined, 'tcp://127.0.0.1:0')
    assert.match(endpoint, TCP_ENDPOINT)
    assert.notEqual(portOf(endpoint), 0)
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, endpoint), 'zero'), ['zero'])
  })

  test('two ephemeral binds get two different ports; lastEndpoint follows the latest', async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://127.0.0.1:*')
    const first = rep.lastEndpoint
    await rep.bind('tcp://127.0.0.1:*')
    const second = rep.lastEndpoint
    assert.match(String(first), TCP_ENDPOINT)
    assert.match(String(second), TCP_ENDPOINT)
    assert.notEqual(first, second)
    answerLoop(rep)
    // Both endpoints serve.
    assert.deepEqual(await roundTrip(connectedRequest(t, String(first)), 'via-first'), ['via-first'])
    assert.deepEqual(await roundTrip(connectedRequest(t, String(second)), 'via-second'), ['via-second'])
  })

  test('a Request can bind and a Reply can connect (either side may bind)', async (t) => {
    const req = use(t, new Request())
    await req.bind('tcp://127.0.0.1:*')
    assert.match(String(req.lastEndpoint), TCP_ENDPOINT)
    const rep = use(t, new Reply())
    rep.connect(String(req.lastEndpoint))
    answerLoop(rep, (m) => [`got:${m[0]}`])
    assert.deepEqual(await roundTrip(req, 'reverse'), ['got:reverse'])
  })
})

describe('hosts', () => {
  test("'tcp://*:PORT' binds all interfaces (reachable on 127.0.0.1)", async (t) => {
    const port = await freePort('0.0.0.0')
    const rep = use(t, new Reply())
    await rep.bind(`tcp://*:${port}`)
    assert.equal(portOf(rep.lastEndpoint), port)
    assert.match(String(rep.lastEndpoint), /^tcp:\/\//)
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, `tcp://127.0.0.1:${port}`), 'star'), ['star'])
  })

  test("'tcp://*:*' binds an ephemeral port on all interfaces", async (t) => {
    const rep = use(t, new Reply())
    await rep.bind('tcp://*:*')
    const port = portOf(rep.lastEndpoint)
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, `tcp://127.0.0.1:${port}`), 'star-star'), ['star-star'])
  })

  test('a DNS name: connect to tcp://localhost:PORT', async (t) => {
    // localhost may resolve to ::1 first; bind both loopbacks when IPv6 exists so either answer works.
    const { rep, endpoint } = await boundReply(t)
    const port = portOf(endpoint)
    if (await hasIPv6Loopback()) {
      try {
        await rep.bind(`tcp://[::1]:${port}`)
      } catch {
        // port taken on ::1 by someone else: 127.0.0.1 alone must then be enough
      }
    }
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, `tcp://localhost:${port}`), 'dns'), ['dns'])
  })

  test("a DNS name in bind: 'tcp://localhost:*' binds and lastEndpoint holds a numeric address", async (t) => {
    const { rep, endpoint } = await boundReply(t, undefined, 'tcp://localhost:*')
    assert.match(endpoint, /^tcp:\/\/(127\.0\.0\.1|\[::1\]):\d+$/)
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, endpoint), 'bound-by-name'), ['bound-by-name'])
  })

  test('connect to a name that does not resolve does not throw; the send times out EAGAIN', async (t) => {
    const req = use(t, new Request({ sendTimeout: 200 }))
    assert.doesNotThrow(() => req.connect('tcp://no-such-host.invalid:5555'))
    await rejectsCode(req.send('lost'), 'EAGAIN', 3000)
  })

  test('IPv6: bind tcp://[::1]:* gives lastEndpoint tcp://[::1]:PORT and round-trips', async (t) => {
    assert.ok(await hasIPv6Loopback(), 'this machine has no IPv6 loopback; the IPv6 contract cannot be checked')
    const { rep, endpoint } = await boundReply(t, undefined, 'tcp://[::1]:*')
    assert.match(endpoint, /^tcp:\/\/\[::1\]:\d+$/)
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, endpoint), 'six'), ['six'])
  })
})

// Windows has no ipc (tokio has no AF_UNIX there): every ipc call says EPROTONOSUPPORT and why.
const noIpc = process.platform === 'win32'

describe('ipc', { skip: noIpc && 'no ipc on Windows (the next group checks what it says)' }, () => {
  test('ipc:///path binds, lastEndpoint is the address, and a client round-trips', async (t) => {
    const ipc = ipcDir(t)
    const address = ipc('rep.sock')
    const { rep, endpoint } = await boundReply(t, undefined, address)
    assert.equal(endpoint, address)
    assert.ok(fs.existsSync(address.slice('ipc://'.length)), 'the socket file exists while bound')
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, address), 'over-ipc'), ['over-ipc'])
  })

  test('ipc client started before the server binds', async (t) => {
    const address = ipcDir(t)('late.sock')
    const req = connectedRequest(t, address)
    const reply = req.request('early', { timeout: 3000 })
    const rep = use(t, new Reply())
    await rep.bind(address)
    answerLoop(rep)
    assert.deepEqual(texts(await within(reply, 4000, 'request')), ['early'])
  })
})

describe('ipc where the platform has none', { skip: !noIpc && 'this platform has ipc' }, () => {
  test('bind, unbind, connect and disconnect of ipc:// say EPROTONOSUPPORT with the reason', async (t) => {
    const address = 'ipc:///tmp/zeromq-napi-no-ipc.sock'
    const rep = use(t, new Reply())
    const req = use(t, new Request())
    const errors = [
      await rejectsCode(callAsync(() => rep.bind(address), 'bind'), 'EPROTONOSUPPORT'),
      await rejectsCode(callAsync(() => rep.unbind(address), 'unbind'), 'EPROTONOSUPPORT'),
      throwsCode(() => req.connect(address), 'EPROTONOSUPPORT'),
      throwsCode(() => req.disconnect(address), 'EPROTONOSUPPORT'),
    ]
    for (const err of errors) {
      assert.equal(err.address, address)
      // zeromq.js's text in .message, the reason in .detail (API.md, Errors)
      assert.equal(err.message, 'Protocol not supported')
      assert.match(err.detail, /ipc is not supported/)
    }
    // The sockets still work over tcp.
    await rep.bind('tcp://127.0.0.1:*')
    answerLoop(rep)
    req.connect(rep.lastEndpoint ?? '')
    assert.deepEqual(await roundTrip(req, 'tcp still'), ['tcp still'])
  })
})

describe('unbind and disconnect', () => {
  test('after unbind the address can be bound again by another socket', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    await rep.unbind(endpoint)
    const again = use(t, new Reply())
    await within(again.bind(endpoint), 2000, 'rebind after unbind')
    assert.equal(again.lastEndpoint, endpoint)
  })

  test('after unbind a new client gets no answer from the old socket', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    await rep.unbind(endpoint)
    const req = connectedRequest(t, endpoint)
    await rejectsCode(req.request('anyone?', { timeout: 200 }), 'EAGAIN', 2000)
  })

  test('disconnect stops using that server; the other one keeps answering', async (t) => {
    const a = await boundReply(t)
    const b = await boundReply(t)
    answerLoop(a.rep, () => 'A')
    answerLoop(b.rep, () => 'B')
    const req = connectedRequest(t, [a.endpoint, b.endpoint])
    // Warm up until both servers answered once (connections are made in the background, and a
    // round trip can take far less time than a handshake: bound the warm-up by time, not count).
    const seen = new Set<string>()
    const warmUntil = Date.now() + 3000
    while (seen.size < 2 && Date.now() < warmUntil) seen.add((await roundTrip(req, 'warm'))[0])
    assert.equal(seen.size, 2, 'both servers should have answered during warm-up')
    req.disconnect(b.endpoint)
    for (let i = 0; i < 6; i++) assert.deepEqual(await roundTrip(req, `after-${i}`), ['A'])
  })

  test('unbind of an address never bound rejects ENOENT with .address', async (t) => {
    const { rep } = await boundReply(t)
    const port = await freePort()
    const address = `tcp://127.0.0.1:${port}`
    const err = await rejectsCode(rep.unbind(address), 'ENOENT')
    assert.equal(err.address, address)
  })

  test('disconnect of an address never connected throws ENOENT with .address', (t) => {
    const req = use(t, new Request())
    const err = throwsCode(() => req.disconnect('tcp://127.0.0.1:5555'), 'ENOENT')
    assert.equal(err.address, 'tcp://127.0.0.1:5555')
  })

  test('a second unbind / disconnect of the same address is ENOENT', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    await rep.unbind(endpoint)
    await rejectsCode(rep.unbind(endpoint), 'ENOENT')
    const req = use(t, new Request())
    req.connect(endpoint)
    req.disconnect(endpoint)
    throwsCode(() => req.disconnect(endpoint), 'ENOENT')
  })
})

describe('unbind and disconnect name a bad address as bind and connect do', () => {
  for (const [address, code] of [
    ['foo-bar', 'EINVAL'],
    ['tcp://127.0.0.1', 'EINVAL'],
    ['foo://bar', 'EPROTONOSUPPORT'],
  ] as const) {
    test(`unbind(${JSON.stringify(address)}) rejects ${code}, disconnect throws it`, async (t) => {
      const dealer = use(t, new Dealer())
      const err = await rejectsCode(dealer.unbind(address), code)
      assert.equal(err.address, address)
      const err2 = throwsCode(() => dealer.disconnect(address), code)
      assert.equal(err2.address, address)
    })
  }
})

describe('endpoint errors', () => {
  const malformed = [
    'tcp://127.0.0.1', // no port
    'tcp://127.0.0.1:', // empty port
    'tcp://127.0.0.1:notaport',
    'tcp://127.0.0.1:65536', // out of range
    'tcp://127.0.0.1:-1',
    'tcp://[::1:5555', // unclosed bracket
    'no-transport-separator',
    '',
    'ipc://', // empty path
  ]

  for (const address of malformed) {
    // Where there is no ipc, any ipc address is refused for that first.
    const code = noIpc && address.startsWith('ipc://') ? 'EPROTONOSUPPORT' : 'EINVAL'
    test(`bind(${JSON.stringify(address)}) rejects ${code} with .address`, async (t) => {
      const rep = use(t, new Reply())
      const err = await rejectsCode(callAsync(() => rep.bind(address), 'bind'), code)
      assert.equal(err.address, address)
    })
  }

  test('a tcp port past 65535 is EINVAL naming the range (bind and connect)', async (t) => {
    const address = 'tcp://127.0.0.1:99999'
    const rep = use(t, new Reply())
    const err = await rejectsCode(callAsync(() => rep.bind(address), 'bind'), 'EINVAL')
    assert.equal(err.address, address)
    assert.match(err.detail, /0-65535/)
    const req = use(t, new Request())
    const err2 = throwsCode(() => req.connect(address), 'EINVAL')
    assert.equal(err2.address, address)
    assert.match(err2.detail, /0-65535/)
  })

  for (const address of ['tcp://127.0.0.1', 'tcp://127.0.0.1:notaport', 'nonsense', '']) {
    test(`connect(${JSON.stringify(address)}) throws EINVAL with .address`, (t) => {
      const req = use(t, new Request())
      const err = throwsCode(() => req.connect(address), 'EINVAL')
      assert.equal(err.address, address)
    })
  }

  for (const address of ['foo://x', 'udp://127.0.0.1:5555', 'pgm://eth0;239.192.1.1:5555']) {
    test(`unknown transport ${address}: bind rejects / connect throws EPROTONOSUPPORT with .address`, async (t) => {
      const rep = use(t, new Reply())
      const err = await rejectsCode(callAsync(() => rep.bind(address), 'bind'), 'EPROTONOSUPPORT')
      assert.equal(err.address, address)
      const req = use(t, new Request())
      const err2 = throwsCode(() => req.connect(address), 'EPROTONOSUPPORT')
      assert.equal(err2.address, address)
    })
  }

  test('bind of a port held by another of our sockets rejects EADDRINUSE with .address', async (t) => {
    const { endpoint } = await boundReply(t)
    const other = use(t, new Reply())
    const err = await rejectsCode(other.bind(endpoint), 'EADDRINUSE')
    assert.equal(err.address, endpoint)
    assert.ok(err instanceof Error)
  })

  test('bind of a port held by a plain net.Server rejects EADDRINUSE', async (t) => {
    const srv = net.createServer()
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
    t.after(() => srv.close())
    const { port } = srv.address() as net.AddressInfo
    const rep = use(t, new Reply())
    const err = await rejectsCode(rep.bind(`tcp://127.0.0.1:${port}`), 'EADDRINUSE')
    assert.equal(err.address, `tcp://127.0.0.1:${port}`)
  })

  test('a failed bind leaves the socket usable for a good bind', async (t) => {
    const rep = use(t, new Reply())
    await rejectsCode(rep.bind('tcp://127.0.0.1:nope'), 'EINVAL')
    await rejectsCode(rep.bind('foo://x'), 'EPROTONOSUPPORT')
    assert.equal(rep.lastEndpoint, null, 'failed binds do not set lastEndpoint')
    await rep.bind('tcp://127.0.0.1:*')
    answerLoop(rep)
    assert.deepEqual(await roundTrip(connectedRequest(t, String(rep.lastEndpoint)), 'ok'), ['ok'])
  })

  test('connect to a well-formed address where nobody listens does not throw (it retries in the background)', async (t) => {
    const port = await freePort()
    const req = use(t, new Request({ sendTimeout: 100 }))
    assert.doesNotThrow(() => req.connect(`tcp://127.0.0.1:${port}`))
    await rejectsCode(req.send('nobody'), 'EAGAIN', 2000)
  })
})

describe('one bind or unbind at a time (zeromq.js)', () => {
  test('a bind or unbind while another is pending rejects EBUSY; once it settled the next goes ahead', async (t) => {
    const rep = use(t, new Reply())
    const first = rep.bind(TCP_LOOPBACK)
    const busy = await rejectsCode(rep.bind(TCP_LOOPBACK), 'EBUSY')
    assert.equal(busy.message, 'Socket is blocked by a bind or unbind operation')
    assert.equal(typeof busy.errno, 'number')
    await first
    const endpoint = rep.lastEndpoint as string
    const unbinding = rep.unbind(endpoint)
    await rejectsCode(rep.unbind(endpoint), 'EBUSY')
    await unbinding
    // Sequential calls are never blocked, a failed one frees the socket too.
    await rejectsCode(rep.unbind(endpoint), 'ENOENT')
    await rep.bind(TCP_LOOPBACK)
    await rep.bind(TCP_LOOPBACK)
  })
})
