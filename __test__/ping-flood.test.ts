// A peer that floods PINGs and never reads cannot make a server grow (issue 11, item 2): each PING asks for a PONG
// echoing its context, and the peer never takes them. The engine keeps at most one pending PONG per connection, its
// context cut to RFC 37's 16 octets (engine test `ping_flood_from_a_peer_that_never_reads_queues_a_bounded_output`).
// Here the same flood goes at a Reply of the package, with heartbeats on, in a child process (so its RSS is its own),
// on both read paths: the JS thread's event loop (the default) and the engine's threads (ZEROMQ_NAPI_READER=engine).
//
// The flooding peer first sends a 16 MiB request whose echo it never reads, so the server's output to it is blocked
// and every PONG has to wait. The server measures its RSS (after a GC) once that echo is handed over, and again once
// it has read the whole flood: 2,000 PINGs of 60 KiB (~117 MiB of PONG contexts if they were queued). A real client
// is served before, during and after the flood; it is also how the test asks the server for its figures.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe } from 'node:test'
import { Request } from 'zeromq-napi'
import { runNode, test, texts, use, within } from './helpers'
import { command, greeting, message, ready } from './zmtp'

const MiB = 1024 * 1024
const PINGS = 2000
const CONTEXT = 60 * 1024
const ECHO = 16 * MiB
/** "A few MiB": what the flood may add to the server's RSS (the PONG contexts alone would be ~117 MiB). */
const BOUND = 8 * MiB

const SERVER = `
  const { Reply } = require('zeromq-napi')
  // External Buffers are released by finalizers that run after the GC, on later turns of the loop.
  const gcRss = async () => {
    for (let i = 0; i < 3; i++) {
      global.gc()
      await new Promise((r) => setImmediate(r))
    }
    return process.memoryUsage().rss
  }
  let bigSeen, lastSeen
  const big = new Promise((r) => { bigSeen = r })
  const last = new Promise((r) => { lastSeen = r })
  let baseline
  ;(async () => {
    const rep = new Reply({ heartbeatInterval: 100, heartbeatTimeout: 60000 })
    await rep.bind('tcp://127.0.0.1:*')
    console.log('BOUND ' + rep.lastEndpoint)
    await new Promise((resolve, reject) => {
      rep.serve(async ([body]) => {
        if (body.length >= ${ECHO}) {
          setImmediate(bigSeen) // once this reply has been handed over
          return body
        }
        const what = body.toString()
        if (what === 'baseline') {
          await big
          baseline = await gcRss()
          return 'ok'
        }
        if (what === 'last') {
          lastSeen()
          return 'ok'
        }
        if (what === 'rss') {
          await last // the flood's last message: every PING before it has been read
          return String((await gcRss()) - baseline)
        }
        if (what === 'stop') {
          setImmediate(resolve)
          return 'bye'
        }
        return body
      }, { concurrency: 8, onError: reject })
    })
    rep.close()
  })().catch((e) => { console.error(e); process.exit(3) })
`

/** Writes `chunk`, waiting while the socket's own buffer is full; rejects if the socket fails. */
function write(sock: net.Socket, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = sock.write(chunk, (err) => { if (err) reject(err) })
    if (ok) resolve()
    else sock.once('drain', resolve)
  })
}

function ping(i: number): Buffer {
  const body = Buffer.alloc(2 + CONTEXT, i % 251)
  body.writeUInt16BE(0, 0) // TTL
  return command('PING', body)
}

for (const reader of ['main thread', 'engine'] as const) {
  describe(`a PING flood from a peer that never reads (${reader} reads)`, () => {
    test('2,000 PINGs of 60 KiB leave the server within a few MiB of RSS, and a real client is served meanwhile', async (t) => {
      let bound!: (endpoint: string) => void
      const boundP = new Promise<string>((resolve) => { bound = resolve })
      const server = runNode(SERVER, {
        args: ['--expose-gc'],
        env: reader === 'engine' ? { ZEROMQ_NAPI_READER: 'engine' } : {},
        timeoutMs: 120000,
        onLine: (line) => { if (line.startsWith('BOUND ')) bound(line.slice(6)) },
      })
      const exitedEarly = server.then((r) => { throw new Error(`the server exited: ${r.code} ${r.signal ?? ''} ${r.stderr}`) })
      const endpoint = await within(Promise.race([boundP, exitedEarly]), 20000, 'server bound')
      const port = Number(endpoint.split(':').pop())

      const client = use(t, new Request())
      client.connect(endpoint)
      const ask = async (what: string) => texts(await within(Promise.race([client.request(what), exitedEarly]), 30000, `reply to ${what}`))
      assert.deepEqual(await ask('hello'), ['hello'], 'served before the flood')

      const flood = net.connect({ port, host: '127.0.0.1' })
      flood.on('error', () => {})
      t.after(() => flood.destroy())
      await within(new Promise((resolve) => flood.once('connect', resolve)), 10000, 'flood connected')
      flood.pause() // never read: the server's output to it stays blocked
      await write(flood, Buffer.concat([greeting(), ready('REQ'), message(['', Buffer.alloc(ECHO, 1)])]))
      assert.deepEqual(await ask('baseline'), ['ok'])

      for (let i = 0; i < PINGS; i++) {
        await within(write(flood, ping(i)), 30000, `the server reads PING ${i}`)
        if (i % 500 === 250) assert.deepEqual(await ask(`during ${i}`), [`during ${i}`], 'served during the flood')
      }
      await write(flood, message(['', 'last']))
      const [grown] = await ask('rss')
      t.diagnostic(`server RSS grew by ${(Number(grown) / MiB).toFixed(1)} MiB over the flood`)
      assert.ok(Number.isFinite(Number(grown)), grown)
      assert.ok(Number(grown) < BOUND, `the server's RSS grew by ${(Number(grown) / MiB).toFixed(1)} MiB during the flood`)
      assert.deepEqual(await ask('after'), ['after'], 'served after the flood')

      assert.deepEqual(await ask('stop'), ['bye'])
      const res = await server
      assert.equal(res.code, 0, res.stderr)
    }, { timeout: 150000 })
  })
}
