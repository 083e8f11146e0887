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

  test('lockstep round trips leave next to nothing for V8 to promote (the young generation stays small)', async () => {
    // What settles an operation must not keep it reachable once settled: a promoted entry takes its promise, the
    // received Buffers and the awaiting continuation to the old space with it, V8 then grows the young generation
    // to its maximum and collects so rarely that received Buffers pile up (a `Map` of pending operations did that:
    // ~460 KiB promoted per 1000 4 KiB round trips, RSS twice zeromq.js's; see lib/id-table.js). Old-space growth
    // over 1000 round trips, each run ended by two minor collections (which promote what is still reachable).
    const res = await runNode(
      `
      const v8 = require('node:v8')
      const { Request, Reply } = require('zeromq-napi')
      const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size
      ;(async () => {
        const rep = new Reply()
        await rep.bind('tcp://127.0.0.1:*')
        const req = new Request()
        req.connect(rep.lastEndpoint)
        ;(async () => { try { for (;;) { const [m] = await rep.receive(); await rep.send(m) } } catch {} })()
        const payload = Buffer.alloc(4096, 1)
        for (let i = 0; i < 2000; i++) { await req.send(payload); await req.receive() }
        gc()
        let grown = 0
        for (let run = 0; run < 5; run++) {
          const before = old()
          for (let i = 0; i < 1000; i++) { await req.send(payload); await req.receive() }
          gc({ type: 'minor' })
          gc({ type: 'minor' })
          grown += old() - before
        }
        console.log('PROMOTED ' + Math.round(grown / 5))
        req.close()
        rep.close()
      })().catch((e) => { console.error(e); process.exit(3) })
      `,
      { args: ['--expose-gc'], timeoutMs: 60000 },
    )
    assert.equal(res.code, 0, res.stderr)
    const promoted = Number(/PROMOTED (-?\d+)/.exec(res.stdout)?.[1])
    assert.ok(Number.isFinite(promoted), res.stdout)
    assert.ok(promoted < 150 * 1024, `${promoted} bytes promoted per 1000 round trips`)
  }, { timeout: 90000 })

  test('the pending-operation table agrees with a Map through random sets and deletes', () => {
    type Table<T> = { get(id: number): T | undefined; set(id: number, value: T): void; delete(id: number): void }
    const { IdTable } = require('../lib/id-table.js') as { IdTable: new <T>() => Table<T> }
    const table = new IdTable<object>()
    const map = new Map<number, object>()
    const live: number[] = []
    let next = 1
    // A fixed-seed generator: a failure repeats.
    let seed = 12345
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 2 ** 32
    }
    for (let i = 0; i < 50_000; i++) {
      if (live.length === 0 || random() < 0.52) {
        const value = { id: next }
        table.set(next, value)
        map.set(next, value)
        live.push(next++)
      } else {
        const k = Math.floor(random() * live.length)
        const id = live[k]
        live[k] = live[live.length - 1]
        live.pop()
        table.delete(id)
        map.delete(id)
        assert.equal(table.get(id), undefined)
      }
      if (i % 499 === 0) for (const id of live) assert.equal(table.get(id), map.get(id), `id ${id}`)
    }
    assert.ok(live.length > 100, 'the table grew past its first size')
    for (const id of live) assert.equal(table.get(id), map.get(id))
    assert.equal(table.get(next), undefined)
  })
})
