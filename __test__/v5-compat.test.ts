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

test("libzmq's constants, version, curveKeypair and Context are zeromq.js's", () => {
  const numbers = (lib: object) => Object.fromEntries(Object.entries(lib).filter(([k, v]) => /^(ZMQ|STATE)_/.test(k) && typeof v === 'number'))
  const mine = numbers(compat)
  // Every number both name is the same (libzmq's zmq.h).
  for (const [name, value] of Object.entries(numbers(theirs))) if (name in mine) assert.equal(mine[name], value, name)
  for (const name of ['ZMQ_PUB', 'ZMQ_XREQ', 'ZMQ_XREP', 'ZMQ_PAIR', 'ZMQ_AFFINITY', 'ZMQ_POLLIN', 'ZMQ_XPUB_VERBOSE', 'STATE_READY']) assert.equal(typeof mine[name], 'number', name)
  assert.equal(compat.version, ours.version)
  const { public: pub, secret } = compat.curveKeypair()
  assert.equal(pub.length, 40)
  assert.equal(secret.length, 40)
  compat.Context.setMaxSockets(256)
  assert.equal(compat.Context.getMaxSockets(), 256)
  compat.Context.setMaxSockets(1023)
  assert.equal(compat.socket(compat.ZMQ_PUSH).close().type, 'push')
})

// Before the monitor tests: on zeromq.js's own v5-compat, a push/pull pair made right after its
// monitor test sometimes never connects (3 of 10 runs here, zeromq.js alone), which is not what this checks.
for (const [name, lib] of LIBRARIES) {
  test(`${name}: a number is sent as its decimal text, alone or as a frame`, async () => {
    const port = await freePort()
    const pull = lib.socket('pull')
    const push = lib.socket('push')
    try {
      const got: string[][] = []
      const two = new Promise<void>((resolve) =>
        pull.on('message', (...frames: Buffer[]) => {
          got.push(frames.map(String))
          if (got.length === 2) resolve()
        }),
      )
      await new Promise<void>((resolve, reject) => pull.bind(`tcp://127.0.0.1:${port}`, (err) => (err ? reject(err) : resolve())))
      push.connect(`tcp://127.0.0.1:${port}`)
      push.send(15.99 as unknown as string)
      push.send(['a', 7 as unknown as string])
      await within(two, 5000, 'both messages')
      assert.deepEqual(got, [['15.99'], ['a', '7']])
    } finally {
      push.close()
      pull.close()
    }
  })
}

for (const [name, lib] of LIBRARIES) {
  test(`${name}: proxy() forwards push/pull with a capture; a wrong order throws`, async () => {
    const [front, back, cap] = await Promise.all([freePort(), freePort(), freePort()])
    const frontend = lib.socket('pull')
    const backend = lib.socket('push')
    const capture = lib.socket('pub')
    const push = lib.socket('push')
    const pull = lib.socket('pull')
    const sockets = [frontend, backend, capture, push, pull]
    try {
      await Promise.all(
        [
          [frontend, front],
          [backend, back],
          [capture, cap],
        ].map(([s, port]) => new Promise<void>((resolve, reject) => (s as compat.Socket).bind(`tcp://127.0.0.1:${port}`, (err) => (err ? reject(err) : resolve())))),
      )
      // Forwarded from the frontend (pull) to the backend (push): the capture sees what comes back
      // from the backend, and nothing comes from a push.
      lib.proxy(frontend, backend, capture)
      push.connect(`tcp://127.0.0.1:${front}`)
      pull.connect(`tcp://127.0.0.1:${back}`)
      const got = new Promise<string>((resolve) => pull.once('message', (msg: Buffer) => resolve(msg.toString())))
      push.send('foo')
      assert.equal(await within(got, 5000, 'the proxied message'), 'foo')
      const xpub = lib.socket('xpub')
      const xsub = lib.socket('xsub')
      sockets.push(xpub, xsub)
      assert.throws(() => lib.proxy(xsub, xpub), (err: Error) => err.message === 'wrong socket order to proxy' || /not supported in compatibility mode/.test(err.message))
    } finally {
      for (const s of sockets) s.close()
    }
  })

  test(`${name}: monitor() reports listen, accept and disconnect with the endpoint`, async () => {
    const port = await freePort()
    const address = `tcp://127.0.0.1:${port}`
    const rep = lib.socket('rep')
    const req = lib.socket('req')
    const seen: string[] = []
    const done = new Promise<void>((resolve) => {
      for (const event of ['listen', 'accept', 'disconnect']) {
        rep.on(event, (_value: unknown, endpoint: unknown) => {
          assert.equal(String(endpoint), address)
          seen.push(event)
          if (event === 'disconnect') resolve()
        })
      }
    })
    rep.monitor(10, 0)
    rep.on('message', () => rep.send('world'))
    try {
      await new Promise<void>((resolve, reject) => rep.bind(address, (err) => (err ? reject(err) : resolve())))
      req.connect(address)
      const reply = new Promise<string>((resolve) => req.once('message', (msg: Buffer) => resolve(msg.toString())))
      req.send('hello')
      assert.equal(await within(reply, 5000, 'the reply'), 'world')
      req.close()
      await within(done, 5000, 'the disconnect event')
      assert.deepEqual(seen, ['listen', 'accept', 'disconnect'])
    } finally {
      rep.unmonitor()
      rep.close()
      req.close()
    }
  })
}
