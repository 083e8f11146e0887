// Interop of the broker sockets with libzmq 4.3.5: our Router/Dealer against libzmq's REQ, REP,
// DEALER and ROUTER (zeromq.js and pyzmq), binding and connecting both ways; libzmq's proxy
// (pyzmq `zmq.proxy`) between our clients and workers, and our Proxy between zeromq.js's.
// Seed 004: the workers between the server and the pizza.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { describe } from 'node:test'
import * as zmq from 'zeromq'
import { Dealer, Proxy, Reply, Request, Router } from 'zeromq-napi'
import { pythonWithPyzmq } from './python'
import { test, texts, use, within } from './helpers'

type TestContext = import('node:test').TestContext

function lz<T extends { close(): void }>(t: TestContext, sock: T): T {
  t.after(() => sock.close())
  return sock
}

/** Binds `sock` (ours or zeromq.js's) on an ephemeral loopback port; returns the endpoint. */
async function bindAny(sock: { bind(a: string): Promise<void>; readonly lastEndpoint: string | null }): Promise<string> {
  await sock.bind('tcp://127.0.0.1:*')
  const endpoint = sock.lastEndpoint
  assert.ok(endpoint)
  return endpoint
}

describe('our Router with libzmq (zeromq.js) clients', () => {
  for (const weBind of [true, false]) {
    test(`REQ and DEALER clients; our Router ${weBind ? 'binds' : 'connects'}`, async (t) => {
      const router = use(t, new Router())
      const req = lz(t, new zmq.Request({ routingId: 'lz-req' }))
      const dealer = lz(t, new zmq.Dealer({ routingId: 'lz-dealer' }))
      if (weBind) {
        const endpoint = await bindAny(router)
        req.connect(endpoint)
        dealer.connect(endpoint)
      } else {
        const e1 = await bindAny(req)
        const e2 = await bindAny(dealer)
        router.connect(e1)
        router.connect(e2)
      }
      await req.send('from req')
      await dealer.send(['from', 'dealer'])
      const got = new Map<string, string[]>()
      for (let i = 0; i < 2; i++) {
        const m = texts(await within(router.receive(), 5000, 'router receive'))
        got.set(m[0], m.slice(1))
      }
      // libzmq's REQ puts the empty delimiter first; its DEALER sends frames as they are.
      assert.deepEqual(got.get('lz-req'), ['', 'from req'])
      assert.deepEqual(got.get('lz-dealer'), ['from', 'dealer'])
      await router.send(['lz-req', '', 'reply'])
      await router.send(['lz-dealer', 'to', 'dealer'])
      assert.deepEqual(texts(await within(req.receive(), 5000, 'req reply')), ['reply'])
      assert.deepEqual(texts(await within(dealer.receive(), 5000, 'dealer reply')), ['to', 'dealer'])
    })
  }

  test('generated routing ids for anonymous libzmq clients route back', async (t) => {
    const router = use(t, new Router())
    const endpoint = await bindAny(router)
    const clients = [0, 1, 2].map(() => {
      const c = lz(t, new zmq.Dealer())
      c.connect(endpoint)
      return c
    })
    await Promise.all(clients.map((c, i) => c.send(String(i))))
    for (let i = 0; i < 3; i++) {
      const [id, body] = await within(router.receive(), 5000, 'receive')
      assert.equal(id.length, 5)
      await router.send([id, `echo ${body.toString()}`])
    }
    for (const [i, c] of clients.entries()) {
      assert.deepEqual(texts(await within(c.receive(), 5000, 'echo')), [`echo ${i}`])
    }
  })
})

describe('our Dealer with libzmq (zeromq.js) servers', () => {
  for (const weBind of [true, false]) {
    test(`REP and ROUTER servers; our Dealer ${weBind ? 'binds' : 'connects'}`, async (t) => {
      const rep = lz(t, new zmq.Reply())
      const router = lz(t, new zmq.Router())
      const toRep = use(t, new Dealer())
      const toRouter = use(t, new Dealer({ routingId: 'ours' }))
      if (weBind) {
        rep.connect(await bindAny(toRep))
        router.connect(await bindAny(toRouter))
      } else {
        toRep.connect(await bindAny(rep))
        toRouter.connect(await bindAny(router))
      }
      void (async () => {
        try {
          for await (const m of rep) await rep.send(['re', ...m])
        } catch {
          // closed
        }
      })()
      await toRep.send(['', 'question'])
      assert.deepEqual(texts(await within(toRep.receive(), 5000, 'rep answer')), ['', 're', 'question'])
      await toRouter.send(['hello', 'router'])
      const [id, ...body] = await within(router.receive(), 5000, 'libzmq router receive')
      assert.equal(id.toString(), 'ours')
      assert.deepEqual(texts(body), ['hello', 'router'])
      await router.send([id, 'back'])
      assert.deepEqual(texts(await within(toRouter.receive(), 5000, 'router answer')), ['back'])
    })
  }
})

describe('brokers', () => {
  test('our Proxy between zeromq.js REQ clients and zeromq.js REP workers', async (t) => {
    const frontend = use(t, new Router())
    const backend = use(t, new Dealer())
    const fe = await bindAny(frontend)
    const be = await bindAny(backend)
    const proxy = new Proxy(frontend, backend)
    const running = proxy.run()
    for (const name of ['w1', 'w2']) {
      const w = lz(t, new zmq.Reply())
      w.connect(be)
      void (async () => {
        try {
          for await (const [m] of w) await w.send(`${name}:${m.toString()}`)
        } catch {
          // closed
        }
      })()
    }
    const clients = [0, 1, 2, 3].map(() => {
      const c = lz(t, new zmq.Request())
      c.connect(fe)
      return c
    })
    const workers = new Set<string>()
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        clients.map(async (c, i) => {
          await c.send(`${i}.${round}`)
          const [reply] = await within(c.receive(), 5000, 'reply')
          const [name, body] = reply.toString().split(':')
          assert.equal(body, `${i}.${round}`)
          workers.add(name)
        }),
      )
    }
    assert.deepEqual([...workers].sort(), ['w1', 'w2'])
    proxy.terminate()
    await within(running, 2000, 'terminate')
  })

  test("libzmq's proxy (pyzmq zmq.proxy) between our Request clients and our Reply workers", async (t) => {
    const python = pythonWithPyzmq()
    const script = [
      'import sys, zmq',
      'ctx = zmq.Context()',
      'fe = ctx.socket(zmq.ROUTER); fe.bind("tcp://127.0.0.1:*")',
      'be = ctx.socket(zmq.DEALER); be.bind("tcp://127.0.0.1:*")',
      'print(fe.getsockopt_string(zmq.LAST_ENDPOINT), be.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)',
      'try:',
      '    zmq.proxy(fe, be)',
      'except zmq.ContextTerminated:',
      '    pass',
    ].join('\n')
    const child: ChildProcess = spawn(python, ['-u', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => child.kill('SIGKILL'))
    const line = await within(
      new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout?.setEncoding('utf8')
        child.stdout?.on('data', (chunk: string) => {
          out += chunk
          const i = out.indexOf('\n')
          if (i >= 0) resolve(out.slice(0, i))
        })
        child.once('exit', (code) => reject(new Error(`python proxy exited ${code}`)))
      }),
      20000,
      'python proxy endpoints',
    )
    const [fe, be] = line.trim().split(' ')
    for (const name of ['w1', 'w2']) {
      const w = use(t, new Reply())
      w.connect(be)
      void w.serve(([m]) => `${name}:${m.toString()}`)
    }
    const clients = [0, 1, 2, 3].map(() => {
      const c = use(t, new Request())
      c.connect(fe)
      return c
    })
    const workers = new Set<string>()
    for (let round = 0; round < 5; round++) {
      const replies = await within(Promise.all(clients.map((c, i) => c.request(`${i}.${round}`))), 5000, 'round')
      replies.forEach(([reply], i) => {
        const [name, body] = reply.toString().split(':')
        assert.equal(body, `${i}.${round}`)
        workers.add(name)
      })
    }
    assert.deepEqual([...workers].sort(), ['w1', 'w2'])
  })

  test('pyzmq REQ and DEALER clients through our Router', async (t) => {
    const python = pythonWithPyzmq()
    const router = use(t, new Router())
    const endpoint = await bindAny(router)
    // Each Python client asks once and prints the answer; the Router answers what it receives.
    const script = [
      'import sys, zmq',
      'ctx = zmq.Context()',
      'req = ctx.socket(zmq.REQ); req.setsockopt(zmq.IDENTITY, b"py-req"); req.connect(sys.argv[1])',
      'dealer = ctx.socket(zmq.DEALER); dealer.setsockopt(zmq.IDENTITY, b"py-dealer"); dealer.connect(sys.argv[1])',
      'req.send(b"q1")',
      'dealer.send_multipart([b"q2", b"more"])',
      'print(req.recv_multipart(), dealer.recv_multipart(), flush=True)',
    ].join('\n')
    const child = spawn(python, ['-u', '-c', script, endpoint], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => child.kill('SIGKILL'))
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => { out += chunk })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    for (let i = 0; i < 2; i++) {
      const [id, ...body] = await within(router.receive(), 20000, 'python client')
      await router.send([id, ...body.map((b) => (b.length === 0 ? b : Buffer.from(`re:${b.toString()}`)))])
    }
    assert.equal(await within(exited, 10000, 'python exit'), 0)
    assert.equal(out.trim(), "[b're:q1'] [b're:q2', b're:more']")
  })
})
