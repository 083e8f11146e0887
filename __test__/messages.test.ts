// MessageLike forms, multipart, the Buffer[] receive shape, and TypeErrors for everything else.
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import { Request } from 'zeromq-napi'
import {
  answerLoop,
  assertMessage,
  boundReply,
  connectedRequest,
  frames,
  rejectsTypeError,
  test,
  texts,
  use,
  within,
} from './helpers'

/** A connected Request/Reply pair where the Reply echoes every request frame by frame. */
async function echoPair(t: import('node:test').TestContext) {
  const { rep, endpoint } = await boundReply(t)
  const loop = answerLoop(rep)
  const req = connectedRequest(t, endpoint)
  const roundTrip = async (m: Parameters<Request['send']>[0]): Promise<Buffer[]> => {
    await within(req.send(m), 2000, 'send')
    const reply = await within(req.receive(), 2000, 'receive')
    assertMessage(reply)
    return reply
  }
  return { rep, req, roundTrip, seen: loop.seen }
}

describe('MessageLike forms (one frame each)', () => {
  test('string is sent as UTF-8', async (t) => {
    const { roundTrip } = await echoPair(t)
    const s = 'héllo wörld ✓ 😀'
    const [frame, ...rest] = await roundTrip(s)
    assert.equal(rest.length, 0)
    assert.deepEqual(frame, Buffer.from(s, 'utf8'))
    assert.equal(frame.toString('utf8'), s)
  })

  test('Buffer', async (t) => {
    const { roundTrip } = await echoPair(t)
    const b = Buffer.from([0, 1, 2, 255, 0, 128])
    assert.deepEqual(await roundTrip(b), [b])
  })

  test('Uint8Array, including a subarray view at an offset (only the viewed bytes are sent)', async (t) => {
    const { roundTrip } = await echoPair(t)
    const whole = new Uint8Array([9, 9, 1, 2, 3, 9, 9])
    assert.deepEqual(await roundTrip(new Uint8Array([7, 8, 9])), [Buffer.from([7, 8, 9])])
    assert.deepEqual(await roundTrip(whole.subarray(2, 5)), [Buffer.from([1, 2, 3])])
  })

  test('any ArrayBufferView: Uint16Array, Float64Array, DataView (bytes of the view, offset respected)', async (t) => {
    const { roundTrip } = await echoPair(t)
    const u16 = new Uint16Array([0x0102, 0x0304])
    assert.deepEqual(await roundTrip(u16), [Buffer.from(u16.buffer, u16.byteOffset, u16.byteLength)])
    const f64 = new Float64Array([Math.PI])
    assert.deepEqual(await roundTrip(f64), [Buffer.from(f64.buffer)])
    const ab = new Uint8Array([0xaa, 0x10, 0x20, 0x30, 0xbb]).buffer
    assert.deepEqual(await roundTrip(new DataView(ab, 1, 3)), [Buffer.from([0x10, 0x20, 0x30])])
  })

  test('ArrayBuffer', async (t) => {
    const { roundTrip } = await echoPair(t)
    const ab = new Uint8Array([5, 6, 7, 8]).buffer
    assert.deepEqual(await roundTrip(ab), [Buffer.from([5, 6, 7, 8])])
  })

  test('null is an empty frame, and an empty string / empty Buffer are empty frames too', async (t) => {
    const { roundTrip } = await echoPair(t)
    for (const empty of [null, '', Buffer.alloc(0), new Uint8Array(0)]) {
      const reply = await roundTrip(empty)
      assert.equal(reply.length, 1, 'one (empty) frame')
      assert.equal(reply[0].length, 0)
    }
  })
})

describe('multipart', () => {
  test('an array of mixed MessageLike values is one message with one frame each, in order', async (t) => {
    const { roundTrip, seen } = await echoPair(t)
    const reply = await roundTrip(['a', Buffer.from('b'), new Uint8Array([99]), null, new Uint8Array([100]).buffer, 'ü'])
    assert.deepEqual(texts(reply), ['a', 'b', 'c', '', 'd', 'ü'])
    assert.deepEqual(seen, [['a', 'b', 'c', '', 'd', 'ü']], 'the server saw the same frames')
  })

  test('empty frames in the middle and at the ends are preserved', async (t) => {
    const { roundTrip } = await echoPair(t)
    assert.deepEqual(texts(await roundTrip([null, 'x', null, null, 'y', null])), ['', 'x', '', '', 'y', ''])
  })

  test('a single-element array is a single frame', async (t) => {
    const { roundTrip } = await echoPair(t)
    assert.deepEqual(texts(await roundTrip(['only'])), ['only'])
  })

  test('many frames (100) arrive complete', async (t) => {
    const { roundTrip } = await echoPair(t)
    const parts = Array.from({ length: 100 }, (_, i) => `part-${i}`)
    assert.deepEqual(texts(await roundTrip(frames(parts))), parts)
  })

  // Small received frames reach JS through a 64 KiB shared array (src/slab.rs); the ones that do
  // not fit in it come as Buffers of their own. Both kinds, mixed, in order, each owning its memory.
  test('small frames beyond 64 KiB in all, empty ones and large ones mixed, arrive intact', async (t) => {
    const { roundTrip } = await echoPair(t)
    const parts = Array.from({ length: 40 }, (_, i) =>
      i % 10 === 9 ? Buffer.alloc(0) : Buffer.alloc(i === 20 ? 20000 : 4000 - i, i + 1),
    )
    const reply = await roundTrip(frames(parts))
    assert.deepEqual(reply.map((f) => f.length), parts.map((p) => p.length))
    reply.forEach((f, i) => {
      assert.ok(f.equals(parts[i]), `frame ${i}`)
      assert.equal(f.byteOffset, 0, `frame ${i} is a slice`)
    })
    // Twice: the shared array is reused, never read stale.
    const again = await roundTrip(frames(parts.slice().reverse()))
    again.forEach((f, i) => assert.ok(f.equals(parts[parts.length - 1 - i]), `again, frame ${i}`))
  })

  test('a Reply sends a multipart answer to a single-frame request', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => ['one', null, m[0]])
    const req = connectedRequest(t, endpoint)
    await req.send('three')
    const reply = await within(req.receive(), 2000, 'receive')
    assertMessage(reply)
    assert.deepEqual(texts(reply), ['one', '', 'three'])
  })
})

describe('receive() shape', () => {
  test('receive resolves to a non-empty Buffer[] on both socket types', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('ping')
    const request = await within(rep.receive(), 2000, 'rep.receive')
    assertMessage(request)
    assert.deepEqual(texts(request), ['ping'], 'no envelope/delimiter frames leak into the message')
    await rep.send('pong')
    const reply = await within(req.receive(), 2000, 'req.receive')
    assertMessage(reply)
    assert.deepEqual(texts(reply), ['pong'])
    const [msg] = reply // the documented destructuring idiom
    assert.equal(msg.toString(), 'pong')
  })
})

describe('invalid messages reject with TypeError and send nothing', () => {
  const bad: Array<[string, unknown]> = [
    ['an empty array', []],
    ['undefined', undefined],
    ['a number', 42],
    ['a bigint', 42n],
    ['a boolean', true],
    ['a plain object', { hello: 'world' }],
    ['a function', () => 'x'],
    ['a Symbol', Symbol('x')],
    ['an array containing a number', ['ok', 1]],
    ['an array containing an object', [{}]],
    ['an array containing undefined', ['ok', undefined]],
    ['a nested array', [['a']]],
  ]

  for (const [what, value] of bad) {
    test(`Request.send(${what})`, async (t) => {
      const { rep, endpoint } = await boundReply(t)
      const loop = answerLoop(rep)
      const req = connectedRequest(t, endpoint)
      await rejectsTypeError(() => req.send(value as string), `send(${what})`)
      // Nothing was sent and the socket is still in the "may send" state: a valid request works next.
      await within(req.send('valid'), 2000, 'send after TypeError')
      assert.deepEqual(texts(await within(req.receive(), 2000, 'receive')), ['valid'])
      assert.deepEqual(loop.seen, [['valid']], 'the rejected message never reached the server')
    })
  }

  test('Reply.send with an invalid message rejects TypeError and the valid reply can still be sent', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send('q')
    await within(rep.receive(), 2000, 'rep.receive')
    for (const value of [[], undefined, 1, {}, ['a', 2]]) {
      await rejectsTypeError(() => rep.send(value as string), `rep.send(${JSON.stringify(value)})`)
    }
    await within(rep.send('answer'), 2000, 'rep.send')
    assert.deepEqual(texts(await within(req.receive(), 2000, 'req.receive')), ['answer'])
  })

  test('request() with an invalid message rejects TypeError', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const loop = answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    // @ts-expect-error an empty array is not a message, for the types too
    await rejectsTypeError(() => req.request([]), 'request([])')
    await rejectsTypeError(() => req.request(7 as unknown as string), 'request(7)')
    assert.deepEqual(texts(await within(req.request('fine'), 2000, 'request')), ['fine'])
    assert.deepEqual(loop.seen, [['fine']])
  })

  test('a TypeError comes at once on an unconnected Request (it does not wait for a peer first)', async (t) => {
    const req = use(t, new Request())
    await rejectsTypeError(() => req.send({} as string), 'req.send({})', 500)
    // @ts-expect-error an empty array is not a message, for the types too
    await rejectsTypeError(() => req.send([]), 'req.send([])', 500)
  })
})
