// Memory held across the JS/Rust boundary is given back promptly:
// - received frames (external Buffers over the engine's memory) are reported to V8, so that its GC collects them;
// - a sent buffer (referenced by the engine while it writes it) is released as soon as the engine is done with it,
//   not whenever the program next happens to call into the package.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe } from 'node:test'
import v8 from 'node:v8'
import vm from 'node:vm'
import { Request } from 'zeromq-napi'
import { runNode, test, use, within } from './helpers'
import { greeting, RawPeer, ready } from './zmtp'

const MiB = 1024 * 1024

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

describe('memory across the boundary', () => {
  test('Rust -> JS: dropped received frames are collected before 48 MiB of them pile up (no explicit gc)', async () => {
    // V8 counts an external Buffer's bytes (process.memoryUsage().external) and collects once ~64 MiB of external
    // memory was added since its last collection; received frames are exactly that kind of short-lived garbage (a
    // process echoing 1 MiB messages peaked ~30 MiB above zeromq.js). The package reports each one to V8 again, as
    // zeromq.js does, so V8 collects them after ~32 MiB. Run in a fresh process that allocates next to nothing on
    // the JS heap, so that nothing but external memory makes V8 collect.
    const res = await runNode(
      `
      const { Request, Reply } = require('zeromq-napi')
      ;(async () => {
        const rep = new Reply()
        await rep.bind('tcp://127.0.0.1:*')
        const req = new Request()
        req.connect(rep.lastEndpoint)
        const big = Buffer.alloc(${MiB}, 5)
        ;(async () => { try { for (;;) { await rep.receive(); await rep.send(big) } } catch {} })()
        await req.request('x')
        let collected = 0
        const registry = new FinalizationRegistry(() => { collected++ })
        for (let i = 0; i < 48; i++) {
          const [frame] = await req.request('x')
          if (frame.length !== ${MiB}) throw new Error('bad reply')
          registry.register(frame, i)
        }
        for (let i = 0; i < 20 && collected === 0; i++) await new Promise((r) => setTimeout(r, 5))
        console.log('COLLECTED ' + collected)
        req.close()
        rep.close()
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      { timeoutMs: 20000 },
    )
    assert.equal(res.code, 0, res.stderr)
    const collected = Number(/COLLECTED (\d+)/.exec(res.stdout)?.[1])
    assert.ok(collected > 0, `none of 48 dropped 1 MiB frames was collected: they pile up to V8's own 64 MiB allowance (${res.stdout.trim()})`)
  })

  test('JS -> Rust: a sent buffer is released once written, with no further call into the package', async (t) => {
    // The raw peer reads only after send() resolved, so the 32 MiB frame is still being written when send()
    // returns and the engine lets go of it on its writer thread. From then on this test makes no call into the
    // package: the Buffer must become collectable anyway.
    const size = 32 * MiB
    let accepted!: (s: net.Socket) => void
    const conn = new Promise<net.Socket>((resolve) => { accepted = resolve })
    const srv = net.createServer((s) => {
      s.pause()
      s.on('error', () => {})
      s.write(Buffer.concat([greeting(), ready('REP')]))
      accepted(s)
    })
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
    t.after(() => srv.close())
    const req = use(t, new Request())
    req.connect(`tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`)
    const sock = await within(conn, 5000, 'connection')
    t.after(() => sock.destroy())

    let collected = false
    const registry = new FinalizationRegistry(() => { collected = true })
    await (async () => {
      // In its own scope, so that nothing here keeps the buffer reachable.
      const big = Buffer.alloc(size, 0x41)
      registry.register(big, 'big')
      await within(req.send(big), 5000, 'send')
    })()
    const peer = RawPeer.wrap(sock)
    const [, body] = await within(peer.nextMessage(), 10000, 'the frame')
    assert.equal(body.length, size)
    for (let i = 0; i < 100 && !collected; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.ok(collected, 'the sent Buffer stayed reachable after the engine was done with it')
  }, { timeout: 30000 })
})
