// Large buffers: they round-trip intact, and they cross the JS/Rust boundary without a copy in either direction.
//
// How "no copy" is observed without any hook in the package (none is part of the contract):
// - Rust -> JS: `process.memoryUsage().arrayBuffers` counts only memory from Node's own ArrayBuffer allocator.
//   A frame copied into a JS-owned Buffer shows up there in full; an external Buffer that wraps the Rust bytes
//   does not. So receiving a 32 MiB frame must grow `arrayBuffers` by far less than 32 MiB. A received large
//   frame must also own its whole ArrayBuffer (`byteOffset === 0`, `buffer.byteLength === length`): not a slice
//   of Node's 8 KiB pool or of a bigger JS copy.
// - JS -> Rust: the peer runs in another process (libzmq via the `zeromq` package), so this process's memory only
//   holds the sender's side. While a 64 MiB Buffer (or Uint8Array) is being sent, RSS and `arrayBuffers` are
//   sampled on every event-loop turn. A copy in JS (a `Buffer.from(view)`) shows in `arrayBuffers`: bound, half the
//   payload. The bytes are taken when send() is called (API.md, Messages): what the OS does not accept during the
//   call is copied once, in Rust (up to ~64 MiB of RSS); a second copy would add ~64 MiB more: bound, 1.25 x payload.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import { describe, type TestContext } from 'node:test'
import v8 from 'node:v8'
import vm from 'node:vm'
import { Worker } from 'node:worker_threads'
import { Request } from 'zeromq-napi'
import {
  answerLoop,
  boundReply,
  connectedRequest,
  frames,
  runNode,
  test,
  texts,
  use,
  within,
} from './helpers'
import { greeting, message, RawPeer, ready } from './zmtp'

const MiB = 1024 * 1024

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

// ---- detaching a buffer that is being sent ----
//
// The bytes are taken when send() is called (API.md, Messages): what the OS does not accept during the native call
// is copied before it returns, so nothing of the caller's memory is read afterwards. If the engine read it later, a
// caller that detaches the ArrayBuffer (structuredClone / postMessage with a transfer list,
// ArrayBuffer.prototype.transfer(), a byte stream's enqueue(), ...) and lets the new owner be collected, or shrinks a
// resizable ArrayBuffer, would have that memory freed under it, and other data of the process would go to the peer
// (or the process would crash).
//
// Each case runs a sender in a fresh child process (so the allocator state is predictable) against a raw ZMTP server
// (the test) that does not read until the sender has detached its buffer and re-used the memory: the peer must get
// exactly the original bytes.

interface DetachPath {
  name: string
  /** Defines `big`, the frame sent (32 MiB of 0x41); `SIZE` is its size. */
  setup?: string
  /** Runs right after the send (async context; `big` in scope); tries to free big's memory. */
  detach: string
  /** Extra node flags for the sender. */
  args?: string[]
}

/** What turns `ArrayBuffer.prototype.transfer()` on where it is still behind a flag (Node 20). */
const TRANSFER_FLAG = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer']

const DETACH_PATHS: DetachPath[] = [
  {
    name: 'structuredClone transfer list',
    detach: `
      let moved = structuredClone(big.buffer, { transfer: [big.buffer] })
      console.log('sender buffer ' + (big.length === 0 ? 'detached' : 'kept'))
      moved = null`,
  },
  {
    name: 'postMessage transfer list',
    detach: `
      const { port1, port2 } = new (require('node:worker_threads').MessageChannel)()
      port1.postMessage(big.buffer, [big.buffer])
      console.log('sender buffer ' + (big.length === 0 ? 'detached' : 'kept'))
      port1.close()
      port2.close() // the queued message (and what it owns) goes with the port
      await new Promise((r) => setTimeout(r, 20))`,
  },
  {
    name: 'resize(0) of its resizable ArrayBuffer',
    setup: `
      const ab = new ArrayBuffer(SIZE, { maxByteLength: SIZE })
      const big = new Uint8Array(ab).fill(0x41)`,
    detach: `
      ab.resize(0)
      console.log('sender buffer ' + (big.length === 0 ? 'shrunk' : 'kept'))`,
  },
  {
    name: 'ArrayBuffer.prototype.transfer()',
    args: TRANSFER_FLAG,
    detach: `
      let moved = big.buffer.transfer()
      console.log('sender buffer ' + (big.length === 0 ? 'detached' : 'kept'))
      moved = null`,
  },
  {
    name: "a byte stream's enqueue()",
    detach: `
      let stream = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(big) } })
      let reader = stream.getReader()
      await reader.read() // the chunk (over the transferred memory) is dropped at once
      reader.releaseLock()
      stream = reader = null
      console.log('sender buffer ' + (big.length === 0 ? 'detached' : 'kept'))
      await new Promise((r) => setTimeout(r, 20))`,
  },
]

async function detachAfterSend(t: TestContext, how: DetachPath): Promise<void> {
  const size = 32 * MiB
  let accepted!: (s: net.Socket) => void
  const conn = new Promise<net.Socket>((resolve) => { accepted = resolve })
  const srv = net.createServer((s) => {
    s.pause() // do not read: TCP back-pressure keeps the frame queued in the sender
    s.on('error', () => {})
    s.write(Buffer.concat([greeting(), ready('REP')]))
    accepted(s)
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
  t.after(() => srv.close())
  let transferred!: () => void
  const detachedP = new Promise<void>((resolve) => { transferred = resolve })
  const child = runNode(
    `
    const { Request } = require('zeromq-napi')
    const SIZE = ${size}
    ;(async () => {
      const req = new Request({ receiveTimeout: 10000 })
      req.connect('tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}')
      ${how.setup ?? 'const big = Buffer.alloc(SIZE, 0x41)'}
      await req.send(big)
      await new Promise((r) => setTimeout(r, 50)) // the engine is writing and hits back-pressure
      ${how.detach}
      if (big.length !== 0 && (big.length !== SIZE || big[0] !== 0x41 || big[SIZE - 1] !== 0x41)) throw new Error('the sender buffer changed')
      global.gc()
      const junk = [Buffer.alloc(SIZE, 0x5a), Buffer.alloc(SIZE, 0x5a)] // re-use the freed memory
      console.log('DETACHED ' + junk.length)
      await req.receive().catch((e) => console.log('receive: ' + e.code))
      req.close()
    })().catch((e) => { console.error(e); process.exit(3) })
    `,
    { args: ['--expose-gc', ...(how.args ?? [])], timeoutMs: 30000, onLine: (line) => { if (line.startsWith('DETACHED')) transferred() } },
  )
  const sock = await within(conn, 10000, 'connection from the child')
  t.after(() => sock.destroy())
  await within(Promise.race([detachedP, child.then((r) => { throw new Error(`the sender exited early: ${r.code} ${r.signal ?? ''} ${r.stderr}`) })]), 10000, 'child detached its buffer')
  const peer = RawPeer.wrap(sock) // start reading now
  const outcome = await within(
    Promise.race([
      peer.nextMessage().then((m) => ({ kind: 'message' as const, m })),
      peer.closed.then(() => ({ kind: 'closed' as const })),
    ]),
    20000,
    'the frame or a close',
  )
  if (outcome.kind === 'message') peer.write(message(['', 'done']))
  else sock.destroy()
  const res = await child
  const said = res.stdout.trim().split('\n').filter((l) => l.startsWith('sender buffer')).join(', ')
  t.diagnostic(`${said}; peer saw: ${outcome.kind}; child exit ${res.code} ${res.signal ?? ''} ${res.stdout.trim().split('\n').pop()}`)
  assert.notEqual(res.signal, 'SIGSEGV', 'the sender crashed')
  assert.equal(res.code, 0, res.stderr)
  assert.ok(!said.includes('kept'), `the sender could not detach its buffer (${said}): the case proves nothing`)
  // Nothing disturbs the send. (A shrunk resizable buffer used to drop the connection: the kernel refused to read the
  // decommitted pages.)
  assert.equal(outcome.kind, 'message', 'the frame never arrived')
  if (outcome.kind === 'message') {
    const body = outcome.m[outcome.m.length - 1]
    assert.equal(body.length, size)
    let foreign = 0
    for (let i = 0; i < body.length; i++) if (body[i] !== 0x41) foreign++
    assert.equal(foreign, 0, `${foreign} of ${size} bytes on the wire were not the caller's data (freed memory was sent)`)
  }
}

describe('large buffers round-trip intact', () => {
  test('an 8 MiB random frame, and a multipart of large and small frames, both directions', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => frames([...m].reverse()))
    const req = connectedRequest(t, endpoint)
    const big = crypto.randomBytes(8 * MiB)
    const copy = Buffer.from(big)
    const [back] = await within(req.request(big, { timeout: 10000 }), 10000, '8 MiB round trip')
    assert.equal(back.length, big.length)
    assert.ok(back.equals(copy), '8 MiB frame intact')
    assert.ok(big.equals(copy), 'the sent Buffer was not modified')

    const parts = [crypto.randomBytes(MiB), Buffer.from('small'), crypto.randomBytes(300), crypto.randomBytes(2 * MiB)]
    const reply = await within(req.request(frames(parts), { timeout: 10000 }), 10000, 'multipart')
    assert.equal(reply.length, parts.length)
    reply.forEach((frame, i) => assert.ok(frame.equals(parts[parts.length - 1 - i]), `frame ${i} intact`))
  })

  test('a large Uint8Array view at an offset sends exactly the viewed bytes', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    const backing = crypto.randomBytes(3 * MiB)
    const view = new Uint8Array(backing.buffer, backing.byteOffset + MiB, MiB)
    const [back] = await within(req.request(view, { timeout: 5000 }), 6000, 'view')
    assert.ok(back.equals(Buffer.from(view.buffer, view.byteOffset, view.byteLength)))
  })

  test('received buffers are independent of each other and of later traffic', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    const a = crypto.randomBytes(64 * 1024)
    const b = crypto.randomBytes(64 * 1024)
    const [ra] = await req.request(a)
    const keep = Buffer.from(ra)
    const [rb] = await req.request(b)
    rb.fill(0)
    assert.ok(ra.equals(keep), 'a later message does not overwrite an earlier received buffer')
    assert.ok(ra.equals(a))
  })

  test('frames of the pooled sizes (64 KiB to 2 MiB) stay intact while held, and memory reused after a collection carries new ones intact', async (t) => {
    // Bodies of these sizes are read into blocks the engine reuses once JS lets go of them (engine/src/conn/body_pool.rs).
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    const sizes = [64 * 1024, 300_000, MiB, MiB + 33, 2 * MiB, 100_000]
    for (let round = 0; round < 3; round++) {
      let sent: Buffer[] = []
      let got: Buffer[] = []
      for (let i = 0; i < 20; i++) {
        const m = crypto.randomBytes(sizes[i % sizes.length])
        sent.push(m)
        const [r] = await within(req.request(m), 5000, `round ${round}, request ${i}`)
        got.push(r)
      }
      for (let i = 0; i < got.length; i++) assert.ok(got[i].equals(sent[i]), `round ${round}: frame ${i} intact`)
      // JS may write into a received frame: no other one changes.
      got[0].fill(0)
      for (let i = 1; i < got.length; i++) assert.ok(got[i].equals(sent[i]), `round ${round}: frame ${i} unchanged`)
      sent = []
      got = []
      // Let the engine have the blocks back before the next round (their finalizers run after the collection).
      gc()
      await new Promise((resolve) => setImmediate(resolve))
    }
  })
})

// ES2024 buffers (Node 20 has them; the TypeScript lib here is ES2022).
type ResizableArrayBuffer = ArrayBuffer & { resize(byteLength: number): void }
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, opts: { maxByteLength: number }) => ResizableArrayBuffer
type GrowableSharedArrayBuffer = SharedArrayBuffer & { growable?: boolean; grow?(byteLength: number): void }
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (byteLength: number, opts: { maxByteLength: number }) => GrowableSharedArrayBuffer

describe('sending from memory the caller keeps', () => {
  test("a sent frame's ArrayBuffer is never marked: large or small, it stays transferable", async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    const big = new Uint8Array(4096).fill(1)
    const small = new Uint8Array(100).fill(2) // its own ArrayBuffer; copied by send()
    const reply = await within(req.request([big, small]), 5000, 'request')
    assert.deepEqual(reply.map((f) => f.length), [4096, 100])
    const moved = structuredClone(small.buffer, { transfer: [small.buffer] })
    assert.equal(small.byteLength, 0, 'a small frame leaves its buffer transferable')
    assert.equal(moved.byteLength, 100)
    const movedBig = new Uint8Array(structuredClone(big.buffer, { transfer: [big.buffer] }))
    assert.equal(big.byteLength, 0, 'a large frame leaves its buffer transferable')
    assert.equal(movedBig.byteLength, 4096)
    assert.ok(movedBig.every((x) => x === 1))
  })

  test('a frame over a resizable ArrayBuffer is sent intact, and the buffer stays resizable and transferable', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    const ab = new ResizableArrayBuffer(64 * 1024, { maxByteLength: 128 * 1024 })
    const bytes = new Uint8Array(ab)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff
    const expected = Buffer.from(bytes)
    const view = new DataView(ab, 1000, 20000)
    const sent = req.request([bytes, view]) // a length-tracking view and a DataView
    ab.resize(100) // while the request may still be queued: the frames are copies
    const [a, b] = await within(sent, 5000, 'request')
    assert.ok(a.equals(expected))
    assert.ok(b.equals(expected.subarray(1000, 21000)))
    ab.resize(128 * 1024)
    const moved = structuredClone(ab, { transfer: [ab] })
    assert.equal(ab.byteLength, 0, 'a copied frame leaves its buffer transferable')
    assert.equal(moved.byteLength, 128 * 1024)
  })

  test("views over a SharedArrayBuffer are sent without a copy; another thread writing meanwhile races, never crashes", async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep)
    const req = connectedRequest(t, endpoint)
    const sab = new GrowableSharedArrayBuffer(MiB + 100, { maxByteLength: 2 * MiB })
    const big = new Uint8Array(sab, 0, MiB)
    const small = new Uint8Array(sab, MiB, 100).fill(7)
    const grows = new Uint8Array(sab) // length-tracking if the runtime has growable SharedArrayBuffers
    const worker = new Worker(
      `const { workerData: sab, parentPort } = require('node:worker_threads')
      const v = new Uint8Array(sab, 0, ${MiB})
      parentPort.postMessage('writing')
      const end = Date.now() + 300
      for (let i = 0; Date.now() < end; i++) v[i % v.length]++`,
      { eval: true, workerData: sab },
    )
    t.after(() => worker.terminate())
    // Listened for now: the worker may be done (300 ms) before the requests below are.
    const exited = once(worker, 'exit')
    await within(once(worker, 'message'), 5000, 'worker started')
    for (let i = 0; i < 20; i++) {
      const sent = req.request([big, small, grows])
      if (sab.growable === true && sab.grow !== undefined && sab.byteLength < 2 * MiB) sab.grow(sab.byteLength + 1024)
      const [b, s, all] = await within(sent, 5000, `request ${i}`)
      assert.equal(b.length, MiB)
      assert.ok(s.every((x) => x === 7))
      assert.ok(all.length >= MiB + 100)
    }
    await within(exited, 5000, 'worker done')
  })
})

describe('no copy across the boundary', () => {
  test('Rust -> JS: a received 32 MiB frame is not copied into JS memory', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    const payload = Buffer.alloc(32 * MiB, 0x5a)
    gc()
    const before = process.memoryUsage().arrayBuffers
    const sent = req.send(payload)
    const [frame] = await within(rep.receive(), 10000, 'receive 32 MiB')
    await sent
    const grown = process.memoryUsage().arrayBuffers - before
    assert.equal(frame.length, payload.length)
    assert.equal(frame[0], 0x5a)
    assert.equal(frame[frame.length - 1], 0x5a)
    assert.equal(frame.byteOffset, 0, 'not a slice of a pool')
    assert.equal(frame.buffer.byteLength, frame.length, 'owns exactly its own ArrayBuffer')
    assert.ok(grown < 16 * MiB, `a 32 MiB send + receive in this process grew JS-allocated ArrayBuffer memory by ${(grown / MiB).toFixed(1)} MiB (a copy into JS memory)`)
    await rep.send('ok')
    await req.receive()
  })

  test('Rust -> JS: each large frame of a multipart message owns its memory', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    await req.send([Buffer.alloc(4096, 1), Buffer.alloc(300, 2), Buffer.alloc(100000, 3)])
    const frames = await within(rep.receive(), 5000, 'receive')
    assert.deepEqual(frames.map((f) => f.length), [4096, 300, 100000])
    for (const f of frames) {
      assert.equal(f.byteOffset, 0, `a ${f.length}-byte frame is a slice at offset ${f.byteOffset}`)
      assert.equal(f.buffer.byteLength, f.length, `a ${f.length}-byte frame shares a ${f.buffer.byteLength}-byte ArrayBuffer`)
    }
    assert.ok(frames[2].every((x) => x === 3))
    await rep.send('ok')
  })

  test('Rust -> JS: external buffers are released when JS drops them (no leak of the Rust bytes)', async (t) => {
    // 40 MiB frames: above glibc's largest mmap threshold (32 MiB), so every such allocation is its own mapping
    // and returns to the OS when freed; RSS then tracks what is still alive.
    const { rep, endpoint } = await boundReply(t)
    const req = connectedRequest(t, endpoint)
    const payload = Buffer.alloc(40 * MiB, 1)
    const round = async (i: number) => {
      await within(req.send(payload), 10000, `send ${i}`)
      const [frame] = await within(rep.receive(), 10000, `receive ${i}`)
      assert.equal(frame.length, payload.length)
      await rep.send('ok')
      await within(req.receive(), 10000, `reply ${i}`)
    }
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc()
        await new Promise((r) => setImmediate(r))
      }
    }
    await round(-1)
    await settle()
    const before = process.memoryUsage().rss
    for (let i = 0; i < 10; i++) {
      await round(i)
      await settle()
    }
    const grown = process.memoryUsage().rss - before
    assert.ok(grown < 120 * MiB, `RSS grew by ${(grown / MiB).toFixed(0)} MiB after receiving and dropping 10 x 40 MiB`)
  })

  for (const kind of ['Buffer', 'Uint8Array', 'ArrayBuffer'] as const) {
    test(`JS -> Rust: sending a 64 MiB ${kind} does not copy it into JS memory, and copies at most what the OS did not take`, async (t) => {
      // The receiving peer is libzmq in a child process, so only our sending side is measured here.
      let ready!: (endpoint: string) => void
      const endpointP = new Promise<string>((resolve) => { ready = resolve })
      const peer = runNode(
        `
        const zmq = require('zeromq')
        ;(async () => {
          const rep = new zmq.Reply()
          await rep.bind('tcp://127.0.0.1:*')
          console.log('READY ' + rep.lastEndpoint)
          const [m] = await rep.receive()
          await rep.send(String(m.length) + ':' + m[0] + ':' + m[m.length - 1])
          rep.close()
        })()
        `,
        { onLine: (line) => { if (line.startsWith('READY ')) ready(line.slice(6)) }, timeoutMs: 30000 },
      )
      const endpoint = await within(endpointP, 10000, 'peer ready')
      const req = use(t, new Request())
      req.connect(endpoint)
      const size = 64 * MiB
      const buf = Buffer.alloc(size, 7)
      buf[size - 1] = 9
      assert.equal(buf.byteOffset, 0)
      assert.equal(buf.buffer.byteLength, size)
      const message = kind === 'Buffer' ? buf : kind === 'Uint8Array' ? new Uint8Array(buf.buffer, 0, size) : buf.buffer
      gc()
      await new Promise((r) => setImmediate(r))
      const base = process.memoryUsage()
      let peakRss = 0
      let peakAb = 0
      let done = false
      const sample = () => {
        const m = process.memoryUsage()
        peakRss = Math.max(peakRss, m.rss - base.rss)
        peakAb = Math.max(peakAb, m.arrayBuffers - base.arrayBuffers)
        if (!done) setImmediate(sample)
      }
      sample()
      const reply = await within(req.request(message, { timeout: 20000 }), 25000, 'send 64 MiB').finally(() => { done = true })
      assert.deepEqual(texts(reply), [`${size}:7:9`], 'the peer got the whole frame')
      const res = await peer
      assert.equal(res.code, 0, res.stderr)
      assert.ok(peakAb < size / 2, `JS-allocated memory peaked ${(peakAb / MiB).toFixed(0)} MiB above base while sending 64 MiB (a copy in JS)`)
      assert.ok(peakRss < size * 1.25, `RSS peaked ${(peakRss / MiB).toFixed(0)} MiB above base while sending 64 MiB (more than one copy)`)
    }, { timeout: 40000 })
  }

  for (const how of DETACH_PATHS) {
    const name = `JS -> Rust: a large buffer detached (${how.name}) right after send() never puts foreign memory on the wire`
    test(name, (t) => detachAfterSend(t, how), { timeout: 40000 })
  }
})
