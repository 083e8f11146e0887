// zeromq-napi/v5-compat against zeromq.js's own `zeromq/v5-compat` (libzmq): seed 004's two programs
// (examples/v5-compat/, the seed with its bugs fixed) and a REQ/REP script run on both libraries
// and must show the same thing.
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import * as ours from 'zeromq-napi'
import * as compat from 'zeromq-napi/v5-compat'
import * as theirs from 'zeromq/v5-compat'
import { freePort, ROOT, runNode, test, within } from './helpers'

type V5 = typeof compat
const LIBRARIES: [string, V5][] = [
  ['zeromq-napi/v5-compat', compat],
  ['zeromq/v5-compat', theirs as unknown as V5],
]

/** An example program with the library and the port swapped in (its only changes). */
function program(file: string, library: string, port: number): string {
  const source = fs.readFileSync(path.join(ROOT, 'examples', 'v5-compat', file), 'utf8')
  assert.ok(source.includes("require('zeromq-napi/v5-compat')") && source.includes("'tcp://127.0.0.1:5560'"), file)
  return source.replace("require('zeromq-napi/v5-compat')", `require('${library}')`).replace("'tcp://127.0.0.1:5560'", `'tcp://127.0.0.1:${port}'`)
}

/** Runs seed 004's server and client (from `serverLib` and `clientLib`) until the client printed the reply. */
async function seedPair(serverLib: string, clientLib: string): Promise<{ server: string[]; client: string[] }> {
  const port = await freePort()
  let serverChild: ChildProcess | undefined
  const server = runNode(program('reply.js', serverLib, port), {
    timeoutMs: 20000,
    onLine: (_line, child) => { serverChild = child },
  })
  // The client prints the reply and nothing else; our client then exits by itself (nothing is pending),
  // zeromq.js's stays up (its REQ keeps a receive going), so it is stopped once the line is in.
  const client = runNode(program('req.js', clientLib, port), {
    timeoutMs: 20000,
    onLine: (line, child) => {
      if (line.startsWith('<Buffer')) {
        child.kill()
        serverChild?.kill()
      }
    },
  })
  const [s, c] = await within(Promise.all([server, client]), 25000, 'seed 004 pair')
  const lines = (out: string) => out.split('\n').filter((l) => l !== '')
  assert.equal(c.stderr, '', 'client stderr')
  assert.equal(s.stderr, '', 'server stderr')
  return { server: lines(s.stdout), client: lines(c.stdout) }
}

test("seed 004's programs, fixed, give the same output on zeromq-napi/v5-compat and on zeromq.js's v5-compat", async () => {
  const expected = { server: ['received request: Hello'], client: ['<Buffer 57 6f 72 6c 64>'] }
  assert.deepEqual(await seedPair('zeromq-napi/v5-compat', 'zeromq-napi/v5-compat'), expected)
  assert.deepEqual(await seedPair('zeromq/v5-compat', 'zeromq/v5-compat'), expected)
  // And they talk to each other.
  assert.deepEqual(await seedPair('zeromq-napi/v5-compat', 'zeromq/v5-compat'), expected)
  assert.deepEqual(await seedPair('zeromq/v5-compat', 'zeromq-napi/v5-compat'), expected)
}, { timeout: 60000 })

/** One REQ/REP conversation in the v5 style; returns what it observed. */
async function conversation(z: V5): Promise<unknown[]> {
  const log: unknown[] = []
  const rep = z.socket('rep', { linger: 0 })
  const req = z.socket('req', { linger: 0, identity: 'client-1' })
  const other = z.socket('rep', { linger: 0 })
  try {
    log.push(['options', rep.linger, req.getsockopt(z.ZMQ_LINGER), String(req.identity)])
    req.setsockopt(z.ZMQ_RCVTIMEO, 5000)
    log.push(['rcvtimeo', req.getsockopt(z.ZMQ_RCVTIMEO)])
    const bound = new Promise<string>((resolve) => rep.once('bind', resolve))
    await within(new Promise<void>((resolve, reject) => rep.bind('tcp://127.0.0.1:*', (err) => (err ? reject(err) : resolve()))), 5000, 'bind')
    const endpoint = String(rep.last_endpoint)
    log.push(['bound', /^tcp:\/\/127\.0\.0\.1:\d+$/.test(endpoint), await bound])

    rep.on('message', (...frames: Buffer[]) => {
      log.push(['rep got', frames.map(String)])
      rep.send(['re', ...frames])
    })
    const replies = new Promise<void>((resolve) => {
      let n = 0
      req.on('message', (...frames: Buffer[]) => {
        log.push(['req got', frames.map(String)])
        if (++n === 3) resolve()
      })
    })
    req.connect(endpoint)
    // Queued at once: a REQ socket sends each one after the previous reply.
    req.send('one')
    req.send(['two', 'parts'])
    req.send('three', z.ZMQ_SNDMORE)
    req.send('four')
    await within(replies, 10000, 'three replies')

    const failed = await within(new Promise<Error | undefined>((resolve) => other.bind(endpoint, resolve)), 5000, 'second bind')
    log.push(['bind taken', (failed as { code?: unknown } | undefined)?.code])
    const error = await within(new Promise<Error>((resolve) => { other.once('error', resolve); other.bind(endpoint) }), 5000, 'bind error event')
    log.push(['error event', (error as { code?: unknown }).code])
  } finally {
    rep.close()
    req.close()
    other.close()
  }
  log.push(['closed', rep.closed, req.closed])
  return log
}

test('a REQ/REP conversation (options, bind callback and event, multipart, SNDMORE, errors) matches zeromq.js', async () => {
  const [[, a], [, b]] = LIBRARIES
  const mine = await conversation(a)
  const libzmq = await conversation(b)
  assert.deepEqual(mine, libzmq)
  assert.deepEqual(mine, [
    ['options', 0, 0, 'client-1'],
    ['rcvtimeo', 5000],
    ['bound', true, 'tcp://127.0.0.1:*'],
    ['rep got', ['one']],
    ['req got', ['re', 'one']],
    ['rep got', ['two', 'parts']],
    ['req got', ['re', 'two', 'parts']],
    ['rep got', ['three', 'four']],
    ['req got', ['re', 'three', 'four']],
    ['bind taken', 'EADDRINUSE'],
    ['error event', 'EADDRINUSE'],
    ['closed', true, true],
  ])
})

test("'dealer' and 'router' map to Dealer and Router when the package has them, else say so", () => {
  for (const [type, name] of [['dealer', 'Dealer'], ['router', 'Router']] as const) {
    if (typeof (ours as Record<string, unknown>)[name] === 'function') {
      const sock = compat.socket(type)
      assert.equal(sock.type, type)
      sock.close()
    } else {
      assert.throws(() => compat.socket(type), new RegExp(`needs zeromq-napi's ${name}`))
    }
  }
  assert.throws(() => compat.socket('stream' as 'req'), /Invalid socket type: stream/)
})
