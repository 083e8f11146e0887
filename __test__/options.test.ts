// Options: defaults, every option through the constructor and as a property, TypeError on unknown names and
// wrong types; plus the options whose effect is observable from JS without a libzmq peer.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Reply, Request } from 'zeromq-napi'
import {
  answerLoop,
  boundReply,
  connectedRequest,
  rejectsCode,
  type ReplyOptions,
  type RequestOptions,
  test,
  use,
  within,
} from './helpers'
import { message, RawPeer } from './zmtp'

const COMMON_DEFAULTS = {
  receiveTimeout: -1,
  sendTimeout: -1,
  linger: 1000,
  reconnectInterval: 100,
  reconnectMaxInterval: 0,
  connectTimeout: 0,
  handshakeInterval: 30000,
  heartbeatInterval: 0,
  heartbeatTimeout: 0,
  heartbeatTimeToLive: 0,
  maxMessageSize: -1,
  maxMessageFrames: 4096,
  maxCommandSize: 65536,
  sendHighWaterMark: 1000,
  receiveHighWaterMark: 1000,
  routingId: null,
} as const

const REQUEST_DEFAULTS = { ...COMMON_DEFAULTS, correlate: false, relaxed: false } as const

/** Non-default values for every option. */
const COMMON_VALUES = {
  receiveTimeout: 1234,
  sendTimeout: 2345,
  linger: 0,
  reconnectInterval: 250,
  reconnectMaxInterval: 5000,
  connectTimeout: 750,
  handshakeInterval: 4000,
  heartbeatInterval: 500,
  heartbeatTimeout: 1500,
  heartbeatTimeToLive: 3000,
  maxMessageSize: 65536,
  maxMessageFrames: 16,
  maxCommandSize: 4096,
  sendHighWaterMark: 10,
  receiveHighWaterMark: 20,
  routingId: 'client-7',
} as const

const REQUEST_VALUES = { ...COMMON_VALUES, correlate: true, relaxed: true } as const

type Bag = Record<string, unknown>
const bag = (sock: object): Bag => sock as unknown as Bag

/** routingId may read back as a string or a Buffer; compare its bytes. */
function same(name: string, actual: unknown, expected: unknown) {
  if (name === 'routingId' && expected !== null && Buffer.isBuffer(actual)) {
    assert.equal(actual.toString(), expected, name)
  } else {
    assert.equal(actual, expected, name)
  }
}

describe('defaults', () => {
  test('Request: every option has its documented default', (t) => {
    const req = use(t, new Request())
    for (const [name, value] of Object.entries(REQUEST_DEFAULTS)) same(name, bag(req)[name], value)
  })

  test('Reply: every option has its documented default', (t) => {
    const rep = use(t, new Reply())
    for (const [name, value] of Object.entries(COMMON_DEFAULTS)) same(name, bag(rep)[name], value)
  })

  test('an empty options object and undefined give the defaults too', (t) => {
    const a = use(t, new Request({}))
    const b = use(t, new Request(undefined))
    for (const [name, value] of Object.entries(REQUEST_DEFAULTS)) {
      same(name, bag(a)[name], value)
      same(name, bag(b)[name], value)
    }
  })
})

describe('setting options', () => {
  test('Request: every option set in the constructor reads back', (t) => {
    const req = use(t, new Request({ ...REQUEST_VALUES }))
    for (const [name, value] of Object.entries(REQUEST_VALUES)) same(name, bag(req)[name], value)
  })

  test('Reply: every option set in the constructor reads back', (t) => {
    const rep = use(t, new Reply({ ...COMMON_VALUES }))
    for (const [name, value] of Object.entries(COMMON_VALUES)) same(name, bag(rep)[name], value)
  })

  test('Request: every option set as a property reads back', (t) => {
    const req = use(t, new Request())
    for (const [name, value] of Object.entries(REQUEST_VALUES)) {
      bag(req)[name] = value
      same(name, bag(req)[name], value)
    }
  })

  test('Reply: every option set as a property reads back', (t) => {
    const rep = use(t, new Reply())
    for (const [name, value] of Object.entries(COMMON_VALUES)) {
      bag(rep)[name] = value
      same(name, bag(rep)[name], value)
    }
  })

  test('-1 and 0 are accepted where they mean "forever" / "off"', (t) => {
    const req = use(t, new Request({ receiveTimeout: 0, sendTimeout: 0, linger: -1, maxMessageSize: -1 }))
    assert.equal(req.receiveTimeout, 0)
    assert.equal(req.sendTimeout, 0)
    assert.equal(req.linger, -1)
    req.receiveTimeout = -1
    assert.equal(req.receiveTimeout, -1)
  })

  test('routingId can be set back to null', (t) => {
    const req = use(t, new Request({ routingId: 'abc' }))
    req.routingId = null
    assert.equal(req.routingId, null)
  })

  test('options are per socket', (t) => {
    const a = use(t, new Request({ receiveTimeout: 10 }))
    const b = use(t, new Request())
    assert.equal(a.receiveTimeout, 10)
    assert.equal(b.receiveTimeout, -1)
  })
})

describe('TypeError on unknown names and wrong types', () => {
  const unknown: Array<[string, Bag]> = [
    ['a misspelled name', { recieveTimeout: 100 }],
    ['a libzmq-only name', { affinity: 1 }],
    ['snake_case', { receive_timeout: 100 }],
  ]
  for (const [what, opts] of unknown) {
    test(`constructor with ${what} throws TypeError (both classes)`, () => {
      assert.throws(() => new Request(opts as RequestOptions), TypeError)
      assert.throws(() => new Reply(opts as ReplyOptions), TypeError)
    })
  }

  test('Request-only options are unknown on a Reply', () => {
    assert.throws(() => new Reply({ correlate: true } as ReplyOptions), TypeError)
    assert.throws(() => new Reply({ relaxed: true } as ReplyOptions), TypeError)
  })

  const suggested: Array<[string, string]> = [
    ['recieveTimeout', 'receiveTimeout'], // letters swapped
    ['lingr', 'linger'], // a letter missing
    ['receive_timeout', 'receiveTimeout'], // snake_case
    ['SendTimeout', 'sendTimeout'], // case
    ['rcvtimeo', 'receiveTimeout'], // libzmq's name
    ['identity', 'routingId'], // libzmq's name
  ]
  for (const [given, meant] of suggested) {
    test(`an unknown option ${given} names the closest known one, ${meant} (both classes)`, () => {
      const message = `unknown option '${given}'; did you mean '${meant}'?`
      for (const make of [() => new Request({ [given]: 1 } as RequestOptions), () => new Reply({ [given]: 1 } as ReplyOptions)]) {
        assert.throws(make, (err: unknown) => {
          assert.ok(err instanceof TypeError)
          assert.equal((err as TypeError & { detail?: unknown }).detail, message)
          assert.equal(err.message, `Cannot add property ${given}, object is not extensible`)
          assert.equal((err as TypeError & { code?: unknown }).code, 'ERR_INVALID_ARG_VALUE')
          return true
        })
      }
    })
  }

  test('an unknown option far from every known name suggests none', () => {
    assert.throws(() => new Request({ affinity: 1 } as RequestOptions), (err: unknown) => {
      assert.ok(err instanceof TypeError)
      assert.equal((err as TypeError & { detail?: unknown }).detail, "unknown option 'affinity'")
      return true
    })
  })

  test('a misspelled Request-only option is suggested on a Request, not on a Reply', () => {
    assert.throws(() => new Request({ corelate: true } as RequestOptions), {
      name: 'TypeError',
      detail: "unknown option 'corelate'; did you mean 'correlate'?",
    })
    assert.throws(() => new Reply({ corelate: true } as ReplyOptions), { name: 'TypeError', detail: "unknown option 'corelate'" })
    assert.throws(() => new Reply({ correlate: true } as ReplyOptions), {
      name: 'TypeError',
      detail: "unknown option 'correlate' (it is a Request option)",
    })
  })

  const wrongTypes: Array<[string, unknown]> = [
    ['receiveTimeout', '100'],
    ['receiveTimeout', null],
    ['receiveTimeout', {}],
    ['sendTimeout', true],
    ['linger', '0'],
    ['reconnectInterval', []],
    ['reconnectMaxInterval', '1'],
    ['connectTimeout', false],
    ['handshakeInterval', '30000'],
    ['heartbeatInterval', '1'],
    ['heartbeatTimeout', {}],
    ['heartbeatTimeToLive', 'x'],
    ['maxMessageSize', '1'],
    ['sendHighWaterMark', '10'],
    ['receiveHighWaterMark', true],
    ['routingId', 42],
    ['routingId', {}],
    ['correlate', 1],
    ['correlate', 'true'],
    ['relaxed', 0],
    ['relaxed', null],
  ]
  for (const [name, value] of wrongTypes) {
    test(`${name}: ${JSON.stringify(value) ?? String(value)} is a TypeError in the constructor and as a property`, (t) => {
      assert.throws(() => new Request({ [name]: value } as RequestOptions), TypeError)
      const req = use(t, new Request())
      const before = bag(req)[name]
      assert.throws(() => { bag(req)[name] = value }, TypeError)
      same(name, bag(req)[name], before) // a rejected assignment leaves the old value
    })
  }

  test('options that are not an object are a TypeError', () => {
    assert.throws(() => new Request(5 as unknown as RequestOptions), TypeError)
    assert.throws(() => new Reply('fast' as unknown as ReplyOptions), TypeError)
  })
})

describe('options take effect', () => {
  test('sendTimeout: a send with no peer rejects EAGAIN after the timeout', async (t) => {
    const req = use(t, new Request({ sendTimeout: 100 }))
    const started = Date.now()
    await rejectsCode(req.send('nobody'), 'EAGAIN', 2000)
    assert.ok(Date.now() - started >= 80)
  })

  test('sendTimeout set as a property takes effect', async (t) => {
    const req = use(t, new Request())
    req.sendTimeout = 100
    await rejectsCode(req.send('nobody'), 'EAGAIN', 2000)
  })

  test('receiveTimeout on a Reply: receive rejects EAGAIN, and the Reply keeps working', async (t) => {
    const { rep, endpoint } = await boundReply(t, { receiveTimeout: 100 })
    await rejectsCode(rep.receive(), 'EAGAIN', 2000)
    const req = connectedRequest(t, endpoint)
    await req.send('now')
    const [m] = await within(rep.receive(), 2000, 'receive')
    assert.equal(m.toString(), 'now')
  })

  test('receiveTimeout 0 rejects at once when nothing is queued', async (t) => {
    const { rep } = await boundReply(t, { receiveTimeout: 0 })
    await rejectsCode(rep.receive(), 'EAGAIN', 300)
  })

  // A zero timeout can run out on the very first poll, inside the native call: that failure must
  // reject too (it once resolved with the Error object instead). Repeated to catch both timings.
  test('zero timeouts always reject, whether they run out inside the call or just after', async (t) => {
    const { rep } = await boundReply(t, { receiveTimeout: 0 })
    const req = use(t, new Request({ sendTimeout: 0 }))
    req.connect('tcp://127.0.0.1:1')
    for (let i = 0; i < 50; i++) {
      await rejectsCode(rep.receive(), 'EAGAIN', 300)
      await rejectsCode(req.send('nobody is there'), 'EAGAIN', 300)
    }
  })

  test('handshakeInterval: a connection that never completes the handshake is dropped', async (t) => {
    const { endpoint } = await boundReply(t, { handshakeInterval: 150 })
    const peer = await RawPeer.connect(Number(endpoint.split(':').pop()))
    t.after(() => peer.destroy())
    // Send nothing at all.
    await within(peer.closed, 2000, 'server drops the silent connection')
  })

  test('heartbeats: a peer that never answers PING is dropped after heartbeatTimeout', async (t) => {
    const { endpoint } = await boundReply(t, { heartbeatInterval: 50, heartbeatTimeout: 200 })
    const peer = await RawPeer.handshake(Number(endpoint.split(':').pop()), 'REQ')
    t.after(() => peer.destroy())
    // Read frames without answering: expect PING commands, then the close.
    const names: string[] = []
    const reader = (async () => {
      for (;;) {
        try {
          const f = await peer.nextFrame()
          if (f.command) names.push(f.body.subarray(1, 1 + f.body[0]).toString())
        } catch {
          return
        }
      }
    })()
    await within(peer.closed, 2000, 'silent peer dropped')
    await reader
    assert.ok(names.includes('PING'), `PINGs were sent (got ${names.join(',') || 'nothing'})`)
  })

  test('heartbeats: a peer that answers PING stays connected and is served', async (t) => {
    // The raw peer answers PINGs from this test's own event loop: the timeout is long enough that
    // a loaded machine's stall of that loop is not a silent peer (120 ms was not, under Bun).
    const interval = 30
    const timeout = 1000
    const { rep, endpoint } = await boundReply(t, { heartbeatInterval: interval, heartbeatTimeout: timeout })
    answerLoop(rep, (m) => `re:${m[0]}`)
    const peer = await RawPeer.handshake(Number(endpoint.split(':').pop()), 'REQ')
    t.after(() => peer.destroy())
    // PINGs go out at least `interval` apart: once this many are answered the connection has
    // lived past two heartbeat timeouts, when a peer whose PONGs did not count would be dropped
    // one timeout after the first PING. Awaited frame by frame (a drop rejects nextFrame).
    const pings = Math.ceil((2 * timeout) / interval) + 1
    while (peer.pingsAnswered < pings) {
      const f = await within(peer.nextFrame(), 10_000, `PING ${peer.pingsAnswered + 1} of ${pings}`)
      if (f.command) peer.answerPing(f)
    }
    assert.equal(peer.isClosed, false, 'a peer that answers PINGs is not dropped')
    const reply = peer.nextMessage() // answers every PING while it waits
    peer.write(message(['', 'alive?']))
    assert.deepEqual((await within(reply, 2000, 'reply over the raw peer')).map(String), ['', 're:alive?'])
  })

  test('heartbeatTimeToLive is announced in our PINGs (in tenths of a second)', async (t) => {
    const { endpoint } = await boundReply(t, { heartbeatInterval: 30, heartbeatTimeToLive: 3000 })
    const peer = await RawPeer.handshake(Number(endpoint.split(':').pop()), 'REQ')
    t.after(() => peer.destroy())
    for (;;) {
      const f = await within(peer.nextFrame(), 2000, 'a PING')
      if (!f.command || f.body.subarray(1, 1 + f.body[0]).toString() !== 'PING') continue
      const ttl = f.body.readUInt16BE(1 + f.body[0])
      assert.equal(ttl, 30, 'TTL field = 3000 ms / 100')
      break
    }
  })

  test('routingId given as bytes reads back as those bytes and is announced to peers', async (t) => {
    const id = new Uint8Array([0x01, 0x02, 0xfe, 0xff])
    const req = use(t, new Request({ routingId: id }))
    const back = req.routingId
    assert.ok(Buffer.isBuffer(back), 'bytes read back as a Buffer')
    assert.deepEqual([...back], [...id])
    id[0] = 99 // the socket kept its own copy
    assert.equal((req.routingId as Buffer)[0], 0x01)
    assert.throws(() => new Request({ routingId: '' }), TypeError, 'an empty identity is invalid (1..255 bytes)')
    assert.throws(() => new Request({ routingId: 'x'.repeat(256) }), TypeError, 'more than 255 bytes is invalid')
  })

  test('maxMessageSize: a larger frame disconnects that peer, smaller messages are served', async (t) => {
    const { rep, endpoint } = await boundReply(t, { maxMessageSize: 1024 })
    void rep.serve((m) => `len:${m[0].length}`)
    const big = connectedRequest(t, endpoint)
    await rejectsCode(big.request(Buffer.alloc(4096), { timeout: 1000 }), 'EAGAIN', 3000)
    const small = connectedRequest(t, endpoint)
    assert.deepEqual((await within(small.request(Buffer.alloc(1000), { timeout: 2000 }), 3000, 'small')).map(String), ['len:1000'])
  })
})

describe('maxCommandSize and maxMessageFrames', () => {
  test('are validated like the other limits', () => {
    for (const bad of [511, -1, 1.5, 2 ** 31]) assert.throws(() => new Reply({ maxCommandSize: bad }), TypeError, String(bad))
    for (const bad of [-1, 0.5, 2 ** 31]) assert.throws(() => new Reply({ maxMessageFrames: bad }), TypeError, String(bad))
  })
})
