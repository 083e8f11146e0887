// A/B of two builds of zeromq-napi on the send path: REQ->REP echo round trips over tcp loopback, one
// request in flight, for a few sizes; batches of A and B alternate (A B B A ...) so load from elsewhere hits
// both alike. Prints the median over batches of each batch's median round trip, and B/A.
//
//   node bench/ab-send.mjs /path/to/checkout-A /path/to/checkout-B
//   AB_SIZES=65536,1048576 AB_ROUNDS=8 AB_COUNT=300
//   AB_CURVE=1: both ends with CURVE (the bench's key pairs), every frame boxed both ways
//
// Each checkout needs its built addon (`npm run build`). One server and one client process per build for
// the whole run; the client reports each batch's round-trip times over stdout.
import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { CURVE_CLIENT, CURVE_SERVER } from './child/libs.mjs'

const [a, b] = process.argv.slice(2).map((p) => path.resolve(p))
if (a === undefined || b === undefined) {
  console.error('usage: node bench/ab-send.mjs <checkout A> <checkout B>')
  process.exit(2)
}
const sizes = (process.env.AB_SIZES ?? '65536,1048576').split(',').map(Number)
const rounds = Number(process.env.AB_ROUNDS ?? 8)
const count = Number(process.env.AB_COUNT ?? 300)
const curve = process.env.AB_CURVE === '1'
const serverOptions = JSON.stringify(curve ? CURVE_SERVER : {})
const clientOptions = JSON.stringify(curve ? CURVE_CLIENT : {})

const SERVER = (root) => `
  const { Reply } = require(${JSON.stringify(root)})
  ;(async () => {
    const rep = new Reply(${serverOptions})
    await rep.bind('tcp://127.0.0.1:*')
    console.log(rep.lastEndpoint)
    for (;;) {
      const [m] = await rep.receive()
      await rep.send(m)
    }
  })()
`

const CLIENT = (root, endpoint) => `
  const { Request } = require(${JSON.stringify(root)})
  const readline = require('node:readline')
  const req = new Request(${clientOptions})
  req.connect(${JSON.stringify(endpoint)})
  const rl = readline.createInterface({ input: process.stdin })
  const payloads = new Map()
  rl.on('line', async (line) => {
    const [mode, size, n] = line.split(' ').map((x, i) => (i === 0 ? x : Number(x)))
    if (!payloads.has(size)) payloads.set(size, Buffer.alloc(size, 7))
    const buf = payloads.get(size)
    const times = []
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint()
      if (mode === 'request') await req.request(buf)
      else {
        await req.send(buf)
        await req.receive()
      }
      times.push(Number(process.hrtime.bigint() - t0) / 1000)
    }
    times.sort((x, y) => x - y)
    console.log(JSON.stringify({ median: times[times.length >> 1] }))
  })
`

function start(source, stdin) {
  const child = spawn(process.execPath, ['-e', source], { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: child.stdout })
  const queue = []
  const waiters = []
  lines.on('line', (l) => (waiters.length > 0 ? waiters.shift()(l) : queue.push(l)))
  const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)))
  return { child, next }
}

async function contender(root) {
  const server = start(SERVER(root), false)
  const endpoint = await server.next()
  const client = start(CLIENT(root, endpoint), true)
  return {
    root,
    async batch(mode, size) {
      client.child.stdin.write(`${mode} ${size} ${count}\n`)
      return JSON.parse(await client.next()).median
    },
    stop() {
      client.child.kill()
      server.child.kill()
    },
  }
}

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1]
const A = await contender(a)
const B = await contender(b)
// Warm-up: connections, allocator, JIT.
for (const c of [A, B]) for (const size of sizes) await c.batch('request', size)
const results = []
for (const size of sizes) {
  for (const mode of ['request', 'send+receive']) {
    const ta = []
    const tb = []
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [[A, ta], [B, tb]] : [[B, tb], [A, ta]]
      for (const [c, into] of order) into.push(await c.batch(mode, size))
    }
    results.push({ size, mode, a: median(ta), b: median(tb) })
  }
}
A.stop()
B.stop()
console.log(`A = ${a}\nB = ${b}${curve ? '\nCURVE on both ends' : ''}\n${rounds} rounds x ${count} round trips per batch; median of batch medians (us per round trip)`)
console.log('size      mode            A (us)   B (us)   B/A')
for (const r of results) {
  console.log(`${String(r.size).padEnd(9)} ${r.mode.padEnd(15)} ${r.a.toFixed(1).padStart(7)}  ${r.b.toFixed(1).padStart(7)}  ${(r.b / r.a).toFixed(3)}`)
}
