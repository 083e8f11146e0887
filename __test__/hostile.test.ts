// Hostile input from the network: a raw TCP client announcing a 1 TiB frame, garbage bytes, wrong greetings,
// incompatible peers, 100 idle connections. In each case the Reply keeps answering a real client and the
// Node process neither crashes nor balloons.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import net from 'node:net'
import { describe } from 'node:test'
import {
  answerLoop,
  boundReply,
  connectedRequest,
  portOf,
  rejectsCode,
  type ReplyOptions,
  test,
  texts,
  within,
} from './helpers'
import { command, FLAG_COMMAND, FLAG_MORE, frame, greeting, longHeader, message, RawPeer, ready } from './zmtp'

const TiB = 1n << 40n

/** A serving Reply plus a check that a real client is still answered. */
async function server(t: import('node:test').TestContext, options?: ReplyOptions) {
  const { rep, endpoint } = await boundReply(t, options)
  const { seen } = answerLoop(rep, (m) => `re:${m[0]}`)
  const port = portOf(endpoint)
  const stillServes = async (tag: string) => {
    const req = connectedRequest(t, endpoint)
    assert.deepEqual(texts(await within(req.request(tag, { timeout: 2000 }), 3000, `real client ${tag}`)), [`re:${tag}`])
    req.close()
  }
  return { rep, endpoint, port, stillServes, seen }
}

function raw(t: import('node:test').TestContext, p: Promise<RawPeer>): Promise<RawPeer> {
  return p.then((peer) => {
    t.after(() => peer.destroy())
    return peer
  })
}

describe('1 TiB frame announcement', () => {
  test('with maxMessageSize set, the peer is dropped before anything is allocated; real clients are served', async (t) => {
    const { port, stillServes } = await server(t, { maxMessageSize: 1024 * 1024 })
    const rss = process.memoryUsage().rss
    const peer = await raw(t, RawPeer.handshake(port, 'REQ'))
    peer.write(Buffer.concat([frame('', 0x01), longHeader(TiB)]))
    await within(peer.closed, 2000, 'server drops the peer')
    await stillServes('after-1TiB')
    assert.ok(process.memoryUsage().rss - rss < 64 * 1024 * 1024, 'no large allocation happened')
  })

  test('with the default (unlimited) maxMessageSize the server neither allocates it nor stops serving', async (t) => {
    const { port, stillServes } = await server(t)
    const rss = process.memoryUsage().rss
    const peer = await raw(t, RawPeer.handshake(port, 'REQ'))
    peer.write(Buffer.concat([frame('', 0x01), longHeader(TiB), crypto.randomBytes(64 * 1024)]))
    await stillServes('while-1TiB-pending')
    await stillServes('again')
    const grown = process.memoryUsage().rss - rss
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${(grown / 1048576).toFixed(1)} MB`)
  })

  test('a frame size with the top bit set (> 2^63) is rejected, not mis-read as negative', async (t) => {
    const { port, stillServes } = await server(t)
    const peer = await raw(t, RawPeer.handshake(port, 'REQ'))
    peer.write(longHeader(0xffff_ffff_ffff_ffffn))
    await within(peer.closed, 2000, 'server drops the peer')
    await stillServes('after-2^64')
  })

  test('a malicious server announcing 1 TiB to a Request with maxMessageSize: the request fails EAGAIN at once', async (t) => {
    const srv = net.createServer((s) => {
      s.on('error', () => {})
      s.write(Buffer.concat([greeting(), ready('REP')]))
      // Once the client's request has arrived, announce a 1 TiB reply.
      let got = Buffer.alloc(0)
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d])
        if (got.includes('give me everything')) s.write(Buffer.concat([frame('', 0x01), longHeader(TiB)]))
      })
    })
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
    t.after(() => srv.close())
    const req = connectedRequest(t, `tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, { maxMessageSize: 65536 })
    const started = Date.now()
    await rejectsCode(req.request('give me everything', { timeout: 5000 }), 'EAGAIN', 4000)
    assert.ok(Date.now() - started < 2000, 'failed on the lost connection, not on the 5 s timeout')
  })
})

describe('garbage and protocol violations', () => {
  const cases: Array<[string, Buffer]> = [
    ['random bytes', Buffer.concat([Buffer.from([0x42]), crypto.randomBytes(4095)])], // 0x42: never a valid signature start
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
    ['a bad signature with a valid-looking rest', Buffer.concat([Buffer.from([0x00]), greeting().subarray(1)])],
    ['an unknown mechanism', Buffer.concat([greeting({ mechanism: 'BOGUS' }), ready()])],
    ['the CURVE mechanism (we speak NULL)', Buffer.concat([greeting({ mechanism: 'CURVE' }), ready()])],
    ['a message frame before READY', Buffer.concat([greeting(), message(['', 'too early'])])],
    ['an unknown command instead of READY', Buffer.concat([greeting(), command('HELLO')])],
    ['READY with truncated metadata', Buffer.concat([greeting(), frame(Buffer.from('\x05READY\x0bSocket-Type\x00\x00\x00\x09REQ'), 0x04)])],
    ['READY from an incompatible socket type (PUB)', Buffer.concat([greeting(), ready('PUB')])],
    ['READY from another REP (REP-REP is invalid)', Buffer.concat([greeting(), ready('REP')])],
    ['a command name length past the frame end', Buffer.concat([greeting(), frame(Buffer.from([200, 0x52]), 0x04)])],
  ]

  for (const [what, bytes] of cases) {
    test(`${what}: the connection is dropped and real clients are served`, async (t) => {
      const { port, stillServes } = await server(t)
      const peer = await raw(t, RawPeer.connect(port))
      peer.write(bytes)
      await within(peer.closed, 2000, 'server drops the peer')
      await stillServes(what.replace(/\W+/g, '-'))
    })
  }

  test('a ZMTP 3.0 peer (minor version 0) is accepted and served', async (t) => {
    const { port } = await server(t)
    const peer = await raw(t, RawPeer.handshake(port, 'REQ', '127.0.0.1', { minor: 0 }))
    assert.equal(peer.peerGreeting?.[10], 3, 'server speaks major version 3')
    peer.write(message(['', 'v3.0']))
    assert.deepEqual((await within(peer.nextMessage(), 2000, 'reply')).map(String), ['', 're:v3.0'])
  })

  test('a raw REQ that sends a request and vanishes before the reply does not stop the server', async (t) => {
    const { port, stillServes } = await server(t)
    for (let i = 0; i < 5; i++) {
      const peer = await RawPeer.handshake(port, 'REQ')
      peer.write(message(['', `hit-and-run-${i}`]))
      peer.destroy()
    }
    await stillServes('after-hit-and-run')
  })

  test('a request without the empty delimiter frame is not delivered and does not break the server', async (t) => {
    const { port, stillServes, seen } = await server(t)
    const peer = await raw(t, RawPeer.handshake(port, 'REQ'))
    peer.write(message(['no delimiter']))
    await stillServes('after-missing-delimiter')
    assert.ok(!seen.some((m) => m.includes('no delimiter')), `a malformed request reached the Reply user: ${JSON.stringify(seen)}`)
  })

  test('bytes trickled one at a time still make a valid request', async (t) => {
    const { port } = await server(t)
    const peer = await raw(t, RawPeer.connect(port))
    const trickle = async (bytes: Buffer) => {
      for (const b of bytes) {
        peer.write(Buffer.from([b]))
        await new Promise((r) => setImmediate(r))
      }
    }
    await trickle(Buffer.concat([greeting(), ready('REQ')]))
    await within(peer.awaitReady(), 2000, 'server READY')
    const reply = peer.nextMessage()
    await trickle(message(['', 'slowly']))
    assert.deepEqual((await within(reply, 3000, 'reply')).map(String), ['', 're:slowly'])
  })
})

describe('many connections', () => {
  test('100 idle raw connections do not stop a real client from being served promptly', async (t) => {
    const { port, stillServes } = await server(t)
    const peers = await Promise.all(Array.from({ length: 100 }, () => raw(t, RawPeer.connect(port))))
    await stillServes('with-100-idle')
    const started = Date.now()
    await stillServes('with-100-idle-again')
    assert.ok(Date.now() - started < 1000)
    assert.ok(peers.every((p) => !p.isClosed), 'idle connections within handshakeInterval are kept')
  })

  test('100 connections stuck half-way through the greeting do not stop a real client', async (t) => {
    const { port, stillServes } = await server(t)
    const peers = await Promise.all(Array.from({ length: 100 }, () => raw(t, RawPeer.connect(port))))
    for (const p of peers) p.write(greeting().subarray(0, 20))
    await stillServes('with-100-half-greetings')
  })

  test('100 connections that completed the handshake but never send do not stop a real client', async (t) => {
    const { port, stillServes } = await server(t)
    await Promise.all(Array.from({ length: 100 }, () => raw(t, RawPeer.handshake(port, 'REQ'))))
    await stillServes('with-100-silent')
  })

  test('connections opened and reset in a burst leave the server serving', async (t) => {
    const { port, stillServes } = await server(t)
    const closed: Array<Promise<void>> = []
    for (let i = 0; i < 100; i++) {
      const s = net.connect(port, '127.0.0.1')
      s.on('error', () => {})
      s.on('connect', () => s.resetAndDestroy())
      closed.push(new Promise((resolve) => s.once('close', () => resolve())))
    }
    await within(Promise.all(closed), 3000, 'all burst connections closed')
    await stillServes('after-burst')
  })
})


describe('what a peer may cost before and after its handshake (issue 17)', () => {
  const GiB = 1n << 30n
  const MAX_COMMAND = 65536

  test('a 1 GiB command announced after the greeting: dropped at its header, long before the handshake interval', async (t) => {
    const { port, stillServes } = await server(t)
    const rss = process.memoryUsage().rss
    const peer = await raw(t, RawPeer.connect(port))
    // A first 64 KiB of "body" follows the header: nothing of it is buffered, the header is enough.
    peer.write(Buffer.concat([greeting(), longHeader(GiB, FLAG_COMMAND), Buffer.alloc(MAX_COMMAND)]))
    await within(peer.closed, 2000, 'server drops the peer (the handshake interval is 30 s)')
    await stillServes('after-1GiB-command')
    assert.ok(process.memoryUsage().rss - rss < 32 * 1024 * 1024, 'no large allocation happened')
  })

  test('handshake commands: one of maxCommandSize bytes passes, one byte more is dropped at its header', async (t) => {
    const { port, stillServes } = await server(t, { maxCommandSize: 4096 })
    // READY body: name (6), Socket-Type (1 + 11 + 4 + 3), X-Pad (1 + 5 + 4 + pad).
    const pad = 4096 - 6 - 19 - 10
    const fits = await raw(t, RawPeer.connect(port))
    fits.write(Buffer.concat([greeting(), ready('REQ', { 'X-Pad': 'x'.repeat(pad) })]))
    await within(fits.awaitReady(), 2000, 'READY of exactly maxCommandSize')
    const over = await raw(t, RawPeer.connect(port))
    // Only the header of a READY one byte too large: the drop comes without its body.
    over.write(Buffer.concat([greeting(), longHeader(4097n, FLAG_COMMAND)]))
    await within(over.closed, 2000, 'a command one byte over maxCommandSize')
    await stillServes('after-oversized-READY')
  })

  test('a huge READY (100,000 tiny properties) is dropped, a READY of too many properties too', async (t) => {
    const { port, stillServes } = await server(t)
    const props: Record<string, string> = {}
    for (let i = 0; i < 100_000; i++) props[`X-${i}`] = ''
    const huge = await raw(t, RawPeer.connect(port))
    huge.write(Buffer.concat([greeting(), ready('REQ', props)]))
    await within(huge.closed, 2000, 'a READY over maxCommandSize')
    const few: Record<string, string> = {}
    for (let i = 0; i < 100; i++) few[`X-${i}`] = ''
    const many = await raw(t, RawPeer.connect(port))
    many.write(Buffer.concat([greeting(), ready('REQ', few)]))
    await within(many.closed, 2000, 'a READY of 100 properties (the limit is 64)')
    await stillServes('after-huge-READY')
  })

  test('a message frame before READY is refused at its header', async (t) => {
    const { port, stillServes } = await server(t)
    const peer = await raw(t, RawPeer.connect(port))
    peer.write(Buffer.concat([greeting(), longHeader(GiB, FLAG_MORE)]))
    await within(peer.closed, 2000, 'server drops the peer')
    await stillServes('after-early-frame')
  })

  test('empty MORE frames count against maxMessageSize: a peer sending them past it is dropped', async (t) => {
    const maxMessageSize = 65536
    const { rep, endpoint } = await boundReply(t, { maxMessageSize, maxMessageFrames: 0 })
    const port = portOf(endpoint)
    // Under the limit: 16 frames are free, the others cost 128 bytes each (maxMessageSize = 512 * 128).
    const fits = await raw(t, RawPeer.handshake(port, 'REQ'))
    const under = 16 + 511
    fits.write(message([...Array<string>(under - 1).fill(''), 'last']))
    const got = await within(rep.receive(), 2000, 'a message of empty frames under the limit')
    assert.equal(got.length, under - 1, 'every frame but the delimiter')
    await rep.send('ok')
    // Far past it, never finished: dropped once the limit is crossed, however little is body.
    const flood = await raw(t, RawPeer.handshake(port, 'REQ'))
    flood.write(Buffer.alloc(2 * 100_000, Buffer.from([FLAG_MORE, 0])))
    await within(flood.closed, 2000, 'a peer sending 100,000 empty MORE frames')
  })

  test('maxMessageFrames: a message of more frames drops its peer, one of that many is delivered', async (t) => {
    const { rep, endpoint } = await boundReply(t, { maxMessageFrames: 100 })
    const port = portOf(endpoint)
    const fits = await raw(t, RawPeer.handshake(port, 'REQ'))
    fits.write(message([...Array<string>(99).fill(''), 'last']))
    assert.equal((await within(rep.receive(), 2000, '100 frames')).length, 99)
    await rep.send('ok')
    const over = await raw(t, RawPeer.handshake(port, 'REQ'))
    over.write(message([...Array<string>(100).fill(''), 'last']))
    await within(over.closed, 2000, '101 frames')
  })
})
