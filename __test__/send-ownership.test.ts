// The bytes are taken when send() is called (API.md, Messages): once send() (Request, Reply, Dealer, Router), request() or a serve() handler's reply
// has made its native call, the caller may change, transfer or detach its buffers and the peer still receives exactly
// the bytes the buffers held at the call, and never other memory.
//
// Each case runs the package in a fresh child process against a raw ZMTP peer (this test) that does not read while
// the child tampers with its buffers right after the call (fill, ArrayBuffer.prototype.transfer(), structuredClone or
// postMessage to a Worker with a transfer list), collects the garbage and allocates the same sizes again (so freed
// memory would be re-used). 32 MiB frames: far more than the OS takes during the call, so most of each frame is still
// to be written when the caller tampers with it. Then the raw peer reads and compares every frame byte for byte.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, type TestContext } from 'node:test'
import { runNode, test, within } from './helpers'
import { greeting, message, RawPeer, ready } from './zmtp'

const MiB = 1024 * 1024

/** One frame of the message sent: its kind and size; its bytes follow from its index (see `content`). */
type FrameSpec = { kind: 'buffer' | 'view' | 'arraybuffer'; size: number } | { kind: 'string'; text: string }

type Tamper = 'fill' | 'transfer' | 'structuredClone' | 'postMessage to a Worker'

type Operation =
  /** Request.send(), then receive() */
  | 'send'
  /** Request.request() without a timeout (the native fast path) */
  | 'request'
  /** Request.request() with a timeout (sent on the spot, then a timed reply wait) */
  | 'request with a timeout'
  /** Request.request() with retries (the engine keeps the message to resend it: copied at the call) */
  | 'request with retries'
  /** a second request() queued behind one still waiting for its reply */
  | 'queued request'
  /** Request.send() while the only connection has not finished its handshake: the send waits for a peer */
  | 'send that waits for a peer'
  /** Reply.send() after receive() */
  | 'reply send'
  /** a Reply.serve() handler's answer */
  | 'serve reply'
  /** Dealer.send() to a connected peer (the native call writes what the OS takes) */
  | 'dealer send'
  /** Dealer.send() behind an earlier send still waiting for a peer: it waits for its send turn */
  | 'dealer send behind a waiting one'
  /** Router.send() to the peer named by the first frame */
  | 'router send'
  /** Router.send() with `mandatory` to a peer whose queue (sendHighWaterMark 1) is full: it waits for room */
  | 'mandatory router send that waits for room'

interface Case {
  op: Operation
  tamper: Tamper
  frames: FrameSpec[]
  transport: 'tcp' | 'ipc'
  reader: 'main thread' | 'engine' | 'worker'
}

/** The bytes of binary frame `i` (a 37-byte pattern: any shift or foreign byte shows). */
const pattern = (i: number) => `f${i}-0123456789abcdefghijklmnopqrstuvw`.slice(0, 37)

function expected(frames: FrameSpec[]): Buffer[] {
  return frames.map((f, i) => (f.kind === 'string' ? Buffer.from(f.text) : Buffer.alloc(f.size, pattern(i))))
}

const BIG: FrameSpec = { kind: 'buffer', size: 32 * MiB }
const MIXED: FrameSpec[] = [
  { kind: 'string', text: 'header' },
  { kind: 'buffer', size: 32 * MiB },
  { kind: 'buffer', size: 300 },
  { kind: 'view', size: 2 * MiB },
  { kind: 'buffer', size: 100 },
  { kind: 'arraybuffer', size: 8 * MiB },
]

/** `new ArrayBuffer().transfer()` is behind a flag on Node 20. */
const TRANSFER_FLAG = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer']

/** The child's program: `ENDPOINT` is where it connects (client roles) or binds (server roles). */
function childSource(c: Case, endpoint: string): string {
  const body = `
    const { Request, Reply, Dealer, Router } = require('zeromq-napi')
    const { Worker } = require('node:worker_threads')
    const FRAMES = ${JSON.stringify(c.frames)}
    const OP = ${JSON.stringify(c.op)}
    const TAMPER = ${JSON.stringify(c.tamper)}
    const ENDPOINT = ${JSON.stringify(endpoint)}
    const pattern = ${pattern.toString()}
    const build = () => FRAMES.map((f, i) => {
      if (f.kind === 'string') return f.text
      const bytes = Buffer.alloc(f.size, pattern(i))
      if (f.kind === 'buffer') return bytes
      const ab = new ArrayBuffer(f.kind === 'view' ? f.size + 2000 : f.size)
      const view = new Uint8Array(ab, f.kind === 'view' ? 1000 : 0, f.size)
      view.set(bytes)
      return f.kind === 'view' ? view : ab
    })
    const asMessage = (frames) => (frames.length === 1 ? frames[0] : frames)
    // Right after the call: every binary frame's memory is changed or handed away.
    let worker
    function tamper(frames) {
      const buffers = frames.filter((f) => typeof f !== 'string').map((f) => (f instanceof ArrayBuffer ? f : f.buffer))
      for (const ab of buffers) {
        if (TAMPER === 'fill') new Uint8Array(ab).fill(0x5a)
        else if (TAMPER === 'transfer') ab.transfer()
        else if (TAMPER === 'structuredClone') structuredClone(ab, { transfer: [ab] })
        else worker.postMessage(ab, [ab])
      }
      const kept = buffers.filter((ab) => ab.byteLength !== 0).length
      if (TAMPER !== 'fill' && kept !== 0) throw new Error(kept + ' buffer(s) were not detached')
    }
    async function afterTamper() {
      if (worker !== undefined) {
        await new Promise((r) => worker.once('message', r)) // it zeroed and dropped them
        await worker.terminate()
      }
      global.gc()
      const junk = FRAMES.map((f) => Buffer.alloc(f.size ?? 1, 0x5a)) // re-use freed memory
      console.log('TAMPERED ' + junk.length)
    }
    ;(async () => {
      if (TAMPER === 'postMessage to a Worker') {
        worker = new Worker(\`
          const { parentPort } = require('node:worker_threads')
          let n = 0
          parentPort.on('message', (ab) => {
            new Uint8Array(ab).fill(0x5a)
            if (++n === \${FRAMES.filter((f) => f.kind !== 'string').length}) parentPort.postMessage('zeroed')
          })\`, { eval: true })
        await new Promise((r) => worker.once('online', r))
      }
      const frames = build()
      if (OP === 'router send' || OP === 'mandatory router send that waits for room') {
        const waits = OP === 'mandatory router send that waits for room'
        const router = new Router(waits ? { mandatory: true, sendHighWaterMark: 1 } : {})
        await router.bind(ENDPOINT)
        console.log('BOUND ' + router.lastEndpoint)
        const [id] = await router.receive() // the peer is known from here on
        // More than the OS takes at once: the rest stays queued, and the peer's queue is full.
        const filler = waits ? router.send([id, Buffer.alloc(${FILLER_BYTES}, 1)]) : undefined
        const sent = router.send([id, ...frames])
        tamper(frames)
        await afterTamper()
        await filler
        await sent
        await router.receive() // 'done'
        router.close()
        return
      }
      if (OP === 'dealer send' || OP === 'dealer send behind a waiting one') {
        const dealer = new Dealer()
        dealer.connect(ENDPOINT)
        // No handshake yet: this one waits for a peer, holding the send turn.
        const first = OP === 'dealer send behind a waiting one' ? dealer.send('first') : undefined
        // The peer's 'hello': the connection is up, so this send goes out during the call.
        if (OP === 'dealer send') await dealer.receive()
        const sent = dealer.send(asMessage(frames))
        tamper(frames)
        await afterTamper()
        await first
        await sent
        await dealer.receive()
        dealer.close()
        return
      }
      if (OP === 'reply send' || OP === 'serve reply') {
        const rep = new Reply()
        await rep.bind(ENDPOINT)
        console.log('BOUND ' + rep.lastEndpoint)
        if (OP === 'reply send') {
          await rep.receive()
          const sent = rep.send(asMessage(frames))
          tamper(frames)
          await afterTamper()
          await sent
          await rep.receive() // 'done'
          await rep.send('bye')
        } else {
          let answered = false
          await new Promise((resolve, reject) => {
            rep.serve((request) => {
              if (String(request[0]) === 'done') {
                setImmediate(resolve)
                return 'bye'
              }
              if (answered) throw new Error('a second request')
              answered = true
              // The reply's native call runs when this returns; the caller tampers right after.
              setImmediate(() => { tamper(frames); afterTamper().catch(reject) })
              return asMessage(frames)
            }, { onError: reject })
          })
        }
        rep.close()
        return
      }
      const req = new Request()
      req.connect(ENDPOINT)
      if (OP === 'send' || OP === 'send that waits for a peer') {
        const sent = req.send(asMessage(frames))
        tamper(frames)
        await afterTamper()
        await sent
        await req.receive()
      } else if (OP === 'queued request') {
        const first = req.request('first')
        const second = req.request(asMessage(frames))
        tamper(frames)
        await afterTamper()
        await first
        await second
      } else {
        const opts = OP === 'request with a timeout' ? { timeout: 60000 } : OP === 'request with retries' ? { timeout: 60000, retries: 2 } : undefined
        const p = req.request(asMessage(frames), opts)
        tamper(frames)
        await afterTamper()
        await p
      }
      req.close()
    })().catch((e) => { console.error(e); process.exit(3) })
  `
  if (c.reader !== 'worker') return body
  return `
    const { Worker } = require('node:worker_threads')
    const w = new Worker(${JSON.stringify(body)}, { eval: true })
    w.on('error', (e) => { console.error(e); process.exit(3) })
    w.on('exit', (code) => { process.exitCode = code })
  `
}

/** The one-frame message a 'mandatory router send that waits for room' case fills the peer's queue with. */
const FILLER_BYTES = 24 * MiB

/** Frames of the next message from `peer` (commands skipped) that is not the 'first' request or send, nor the
 * filler; answers the 'first' request. */
async function readMessage(peer: RawPeer, op: Operation): Promise<Buffer[]> {
  for (;;) {
    const m = await peer.nextMessage()
    const body = m.slice(m.findIndex((f) => f.length === 0) + 1)
    const first = body.length === 1 && body[0].toString() === 'first'
    if (op === 'queued request' && first) {
      peer.write(message(['', 'answer to first']))
      continue
    }
    if (op === 'dealer send behind a waiting one' && first) continue
    if (op === 'mandatory router send that waits for room' && body.length === 1 && body[0].equals(Buffer.alloc(FILLER_BYTES, 1))) continue
    return body
  }
}

function assertFrames(got: Buffer[], want: Buffer[]): void {
  assert.deepEqual(got.map((f) => f.length), want.map((f) => f.length), 'frame sizes')
  got.forEach((frame, i) => {
    if (frame.equals(want[i])) return
    let differ = 0
    for (let j = 0; j < frame.length; j++) if (frame[j] !== want[i][j]) differ++
    assert.fail(`frame ${i}: ${differ} of ${frame.length} bytes on the wire are not the bytes the caller sent`)
  })
}

async function takenAtTheCall(t: TestContext, c: Case): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zmqn-own-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const want = expected(c.frames)
  const router = c.op === 'router send' || c.op === 'mandatory router send that waits for room'
  const server = c.op === 'reply send' || c.op === 'serve reply' || router
  // No handshake before the child tampered: its send has to wait for a peer.
  const handshakeLate = c.op === 'send that waits for a peer' || c.op === 'dealer send behind a waiting one'
  const peerType = c.op === 'dealer send' || c.op === 'dealer send behind a waiting one' ? 'ROUTER' : 'REP'
  let tampered!: () => void
  const tamperedP = new Promise<void>((resolve) => { tampered = resolve })
  let bound!: (endpoint: string) => void
  const boundP = new Promise<string>((resolve) => { bound = resolve })
  const onLine = (line: string) => {
    if (line.startsWith('TAMPERED')) tampered()
    if (line.startsWith('BOUND ')) bound(line.slice(6))
  }
  const args = ['--expose-gc', ...(c.tamper === 'transfer' ? TRANSFER_FLAG : [])]
  const env: Record<string, string> = c.reader === 'engine' ? { ZEROMQ_NAPI_READER: 'engine' } : {}
  const ipcPath = path.join(dir, 'peer.sock')

  let sock: net.Socket
  let child: ReturnType<typeof runNode>
  const early = () => child.then((r) => { throw new Error(`the child exited early: ${r.code} ${r.signal ?? ''} ${r.stderr}`) })
  if (server) {
    const endpoint = c.transport === 'tcp' ? 'tcp://127.0.0.1:*' : `ipc://${ipcPath}`
    child = runNode(childSource(c, endpoint), { args, env, timeoutMs: 60000, onLine })
    const at = await within(Promise.race([boundP, early()]), 20000, 'the child bound')
    sock = c.transport === 'tcp' ? net.connect({ port: Number(at.split(':').pop()), host: '127.0.0.1' }) : net.connect(ipcPath)
    sock.pause() // do not read: the reply stays mostly unwritten in the child
    sock.on('error', () => {})
    sock.write(router
      ? Buffer.concat([greeting(), ready('DEALER', { Identity: 'raw' }), message(['request'])])
      : Buffer.concat([greeting(), ready('REQ'), message(['', 'request'])]))
  } else {
    const accepted = new Promise<net.Socket>((resolve) => {
      const srv = net.createServer((s) => {
        s.pause()
        s.on('error', () => {})
        // Without a handshake the child has no peer yet: its send has to wait (everything is copied at the call).
        if (!handshakeLate) s.write(Buffer.concat([greeting(), ready(peerType), ...(c.op === 'dealer send' ? [message(['hello'])] : [])]))
        resolve(s)
      })
      t.after(() => srv.close())
      if (c.transport === 'tcp') srv.listen(0, '127.0.0.1', () => startChild(`tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`))
      else srv.listen(ipcPath, () => startChild(`ipc://${ipcPath}`))
    })
    let started!: () => void
    const startedP = new Promise<void>((resolve) => { started = resolve })
    function startChild(endpoint: string) {
      child = runNode(childSource(c, endpoint), { args, env, timeoutMs: 60000, onLine })
      started()
    }
    await startedP
    sock = await within(Promise.race([accepted, early()]), 20000, 'connection from the child')
  }
  t.after(() => sock.destroy())
  await within(Promise.race([tamperedP, early()]), 20000, 'the child tampered with its buffers')
  if (handshakeLate) sock.write(Buffer.concat([greeting(), ready(peerType)]))
  const peer = RawPeer.wrap(sock) // start reading now
  const got = await within(readMessage(peer, c.op), 30000, 'the message')
  peer.write(message(server ? ['', 'done'] : ['', 'answer']))
  const res = await child!
  assert.equal(res.code, 0, res.stderr)
  assertFrames(got, want)
}

const CASES: Case[] = [
  { op: 'send', tamper: 'fill', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'send', tamper: 'transfer', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'send', tamper: 'structuredClone', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'send', tamper: 'postMessage to a Worker', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'send', tamper: 'fill', frames: MIXED, transport: 'ipc', reader: 'main thread' },
  { op: 'send', tamper: 'transfer', frames: MIXED, transport: 'tcp', reader: 'engine' },
  { op: 'request', tamper: 'transfer', frames: [BIG], transport: 'ipc', reader: 'engine' },
  { op: 'request', tamper: 'postMessage to a Worker', frames: MIXED, transport: 'tcp', reader: 'main thread' },
  { op: 'request with a timeout', tamper: 'fill', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'request with a timeout', tamper: 'structuredClone', frames: MIXED, transport: 'ipc', reader: 'worker' },
  { op: 'request with retries', tamper: 'transfer', frames: MIXED, transport: 'tcp', reader: 'main thread' },
  { op: 'queued request', tamper: 'fill', frames: MIXED, transport: 'tcp', reader: 'main thread' },
  { op: 'send that waits for a peer', tamper: 'transfer', frames: MIXED, transport: 'tcp', reader: 'main thread' },
  { op: 'send that waits for a peer', tamper: 'fill', frames: [BIG], transport: 'ipc', reader: 'engine' },
  { op: 'reply send', tamper: 'transfer', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'reply send', tamper: 'fill', frames: MIXED, transport: 'ipc', reader: 'worker' },
  { op: 'serve reply', tamper: 'structuredClone', frames: MIXED, transport: 'tcp', reader: 'engine' },
  { op: 'serve reply', tamper: 'fill', frames: [BIG], transport: 'ipc', reader: 'main thread' },
  { op: 'dealer send', tamper: 'fill', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'dealer send', tamper: 'transfer', frames: MIXED, transport: 'ipc', reader: 'engine' },
  { op: 'dealer send behind a waiting one', tamper: 'fill', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'dealer send behind a waiting one', tamper: 'postMessage to a Worker', frames: MIXED, transport: 'tcp', reader: 'worker' },
  { op: 'router send', tamper: 'fill', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'router send', tamper: 'structuredClone', frames: MIXED, transport: 'ipc', reader: 'engine' },
  { op: 'mandatory router send that waits for room', tamper: 'fill', frames: [BIG], transport: 'tcp', reader: 'main thread' },
  { op: 'mandatory router send that waits for room', tamper: 'transfer', frames: MIXED, transport: 'ipc', reader: 'worker' },
]

describe('the bytes are taken when send() is called', () => {
  for (const c of CASES) {
    const shape = c.frames.length === 1 ? 'a 32 MiB frame' : 'a multipart message of small and large frames'
    const name = `${c.op}: ${shape}, then ${c.tamper} right after the call (${c.transport}, ${c.reader} reads): the peer gets exactly the bytes sent`
    test(name, (t) => takenAtTheCall(t, c), { timeout: 90000 })
  }
})
