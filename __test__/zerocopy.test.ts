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
//   sampled on every event-loop turn; a copy anywhere on our side (a JS `Buffer.from(view)` or a Rust `to_vec`)
//   would add ~64 MiB, a reference adds almost nothing. The bound is half the payload.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import net from 'node:net'
import { describe } from 'node:test'
import v8 from 'node:v8'
import vm from 'node:vm'
import { Request } from 'zeromq-napi'
import {
  answerLoop,
  boundReply,
  connectedRequest,
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

describe('large buffers round-trip intact', () => {
  test('an 8 MiB random frame, and a multipart of large and small frames, both directions', async (t) => {
    const { rep, endpoint } = await boundReply(t)
    answerLoop(rep, (m) => [...m].reverse())
    const req = connectedRequest(t, endpoint)
    const big = crypto.randomBytes(8 * MiB)
    const copy = Buffer.from(big)
    const [back] = await within(req.request(big, { timeout: 10000 }), 10000, '8 MiB round trip')
    assert.equal(back.length, big.length)
    assert.ok(back.equals(copy), '8 MiB frame intact')
    assert.ok(big.equals(copy), 'the sent Buffer was not modified')

    const parts = [crypto.randomBytes(MiB), Buffer.from('small'), crypto.randomBytes(300), crypto.randomBytes(2 * MiB)]
    const reply = await within(req.request(parts, { timeout: 10000 }), 10000, 'multipart')
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
    test(`JS -> Rust: sending a 64 MiB ${kind} does not copy it`, async (t) => {
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
      assert.ok(peakRss < size / 2, `RSS peaked ${(peakRss / MiB).toFixed(0)} MiB above base while sending 64 MiB (a copy)`)
    }, { timeout: 40000 })
  }

  test('JS -> Rust: a large buffer detached (transferred) right after send() never puts foreign memory on the wire', async (t) => {
    // No copy means the engine reads the caller's memory while the frame is still queued. If the caller then
    // transfers the ArrayBuffer (structuredClone / postMessage with a transfer list) and the new owner is
    // collected, that memory is freed; reading it would send other data of the process to the peer (or crash).
    // This test is the peer: a raw ZMTP server that does not read until the sender (a fresh child process, so the
    // allocator state is predictable) has detached its buffer and re-used the memory. Acceptable outcomes: the
    // peer gets the original bytes, or nothing (e.g. the connection drops); never different bytes.
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
      ;(async () => {
        const req = new Request({ receiveTimeout: 10000 })
        req.connect('tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}')
        const big = Buffer.alloc(${size}, 0x41)
        await req.send(big)
        await new Promise((r) => setTimeout(r, 50)) // the engine is writing and hits back-pressure
        let moved = structuredClone(big.buffer, { transfer: [big.buffer] })
        if (big.length !== 0) throw new Error('not detached')
        moved = null
        global.gc()
        const junk = [Buffer.alloc(${size}, 0x5a), Buffer.alloc(${size}, 0x5a)] // re-use the freed memory
        console.log('DETACHED ' + junk.length)
        await req.receive().catch((e) => console.log('receive: ' + e.code))
        req.close()
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      { args: ['--expose-gc'], timeoutMs: 30000, onLine: (line) => { if (line.startsWith('DETACHED')) transferred() } },
    )
    const sock = await within(conn, 10000, 'connection from the child')
    t.after(() => sock.destroy())
    await within(detachedP, 10000, 'child detached its buffer')
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
    t.diagnostic(`peer saw: ${outcome.kind}; child exit ${res.code} ${res.signal ?? ''} ${res.stdout.trim().split('\n').pop()}`)
    assert.notEqual(res.signal, 'SIGSEGV', 'the sender crashed')
    assert.equal(res.code, 0, res.stderr)
    if (outcome.kind === 'message') {
      const body = outcome.m[outcome.m.length - 1]
      assert.equal(body.length, size)
      let foreign = 0
      for (let i = 0; i < body.length; i++) if (body[i] !== 0x41) foreign++
      assert.equal(foreign, 0, `${foreign} of ${size} bytes on the wire were not the caller's data (freed memory was sent)`)
    }
  }, { timeout: 40000 })
})
