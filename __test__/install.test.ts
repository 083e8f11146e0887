// Installing as a user does: the tarballs `npm pack` makes (the main package and the linux-x64-gnu
// binary package, filled from this clone's release build), installed offline into fresh projects.
// - both tarballs, no cargo anywhere: the prebuilt binary loads and a round trip works;
// - the main tarball alone, cargo available: it builds from source;
// - the main tarball alone, no cargo: the install fails, saying what to install.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before } from 'node:test'
import { ROOT, test } from './helpers'

const MAIN = 'zeromq-napi'
const PLATFORM = 'zeromq-napi-linux-x64-gnu'
const supported = process.platform === 'linux' && process.arch === 'x64'

type Run = { code: number | null; stdout: string; stderr: string; ms: number }

/** Runs a command to its end (killed after `timeoutMs`), collecting its output. */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  const started = Date.now()
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zeromq-napi-install-'))
after(() => fs.rmSync(work, { recursive: true, force: true }))

/** The environment of a fresh shell: none of the npm_* settings of the `npm test` that runs us. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value
  }
  return env
}

/** A machine without Rust: no PATH entry that holds cargo, no CARGO, an empty CARGO_HOME. */
function noCargoEnv(): NodeJS.ProcessEnv {
  const env = cleanEnv()
  delete env.CARGO
  delete env.RUSTUP_TOOLCHAIN
  env.CARGO_HOME = path.join(work, 'no-cargo-home')
  fs.mkdirSync(env.CARGO_HOME, { recursive: true })
  env.PATH = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '' && !fs.existsSync(path.join(dir, 'cargo')))
    .join(path.delimiter)
  return env
}

/** A new project directory with an empty package.json. */
function project(name: string): string {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  return dir
}

/** `npm install` of `tarballs` into `dir`, offline, with a cache of its own (nothing comes from a registry). */
function npmInstall(dir: string, tarballs: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
  const args = ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', '--cache', path.join(work, 'npm-cache'), ...tarballs]
  return run('npm', args, { cwd: dir, env, timeoutMs })
}

const roundTrip = `
const { Request, Reply } = require('zeromq-napi');
(async () => {
  const rep = new Reply();
  await rep.bind('tcp://127.0.0.1:*');
  void rep.serve(([msg]) => 'echo:' + msg);
  const req = new Request({ receiveTimeout: 10000 });
  req.connect(rep.lastEndpoint);
  const [reply] = await req.request('hello');
  console.log(String(reply));
  req.close();
  rep.close();
})().catch((err) => { console.error(err); process.exit(1); });
`

/** Runs the round trip in `dir` as a user's program and asserts it got its reply. */
async function assertRoundTrip(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  fs.writeFileSync(path.join(dir, 'round-trip.js'), roundTrip)
  const result = await run(process.execPath, ['round-trip.js'], { cwd: dir, env, timeoutMs: 20_000 })
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout.trim(), 'echo:hello')
}

type Packed = { filename: string; size: number; unpackedSize: number; files: { path: string }[] }
let mainTarball = ''
let platformTarball = ''

before(async () => {
  if (!supported) return
  // The platform package gets the clone's release build (a no-op build when it is up to date).
  const prepared = await run(process.execPath, ['scripts/prepare-platform.js'], { cwd: ROOT, env: cleanEnv(), timeoutMs: 600_000 })
  assert.equal(prepared.code, 0, prepared.stderr)
  for (const [spec, name] of [['.', MAIN], ['./npm/linux-x64-gnu', PLATFORM]] as const) {
    const packed = await run('npm', ['pack', spec, '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(), timeoutMs: 60_000 })
    assert.equal(packed.code, 0, packed.stderr)
    const [info] = JSON.parse(packed.stdout) as Packed[]
    assert.ok(info.filename.startsWith(`${name}-`), info.filename)
    const file = path.join(work, info.filename)
    if (name === MAIN) {
      mainTarball = file
      // The main package carries sources, never a binary: binaries come from the platform packages.
      assert.deepEqual(info.files.filter((f) => f.path.endsWith('.node')), [])
      assert.ok(info.files.some((f) => f.path === 'API.md'), 'API.md ships')
    } else {
      platformTarball = file
      assert.ok(info.files.some((f) => f.path.endsWith('.node')), 'the platform package holds the binary')
    }
    console.log(`packed ${info.filename}: ${info.size} bytes, ${info.unpackedSize} unpacked, ${info.files.length} files`)
  }
}, { timeout: 660_000 })

test('both tarballs install without cargo, and the prebuilt binary makes a round trip', async (t) => {
  if (!supported) return t.skip('the prebuilt binary package is linux-x64-gnu')
  const env = noCargoEnv()
  const probe = await run('sh', ['-c', 'command -v cargo || echo none'], { cwd: work, env, timeoutMs: 10_000 })
  assert.equal(probe.stdout.trim(), 'none', 'cargo is out of reach')
  const dir = project('with-prebuilt')
  const installed = await npmInstall(dir, [mainTarball, platformTarball], env)
  assert.equal(installed.code, 0, installed.stdout + installed.stderr)
  t.diagnostic(`install of both tarballs took ${installed.ms} ms`)
  assert.match(installed.stderr, new RegExp(`using the prebuilt binary ${PLATFORM}`))
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', MAIN, 'zeromq-napi.node')), false, 'nothing was compiled')
  await assertRoundTrip(dir, env)
}, { timeout: 180_000 })

test('the main tarball alone builds from source with cargo', async (t) => {
  if (!supported) return t.skip('compared with the linux-x64-gnu flow')
  const env = cleanEnv()
  // The clone's target directory: crates.io dependencies are compiled already, only the package's own crates build.
  env.CARGO_TARGET_DIR = path.join(ROOT, 'target')
  env.CARGO_NET_OFFLINE = 'true'
  const dir = project('from-source')
  const installed = await npmInstall(dir, [mainTarball], env, 840_000)
  assert.equal(installed.code, 0, installed.stdout + installed.stderr)
  t.diagnostic(`install of the main tarball with a build from source took ${installed.ms} ms`)
  assert.match(installed.stderr, /no prebuilt binary \(zeromq-napi-linux-x64-gnu\) loads here: building it from source/)
  assert.ok(fs.existsSync(path.join(dir, 'node_modules', MAIN, 'zeromq-napi.node')), 'the addon was built in the package')
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', PLATFORM)), false)
  await assertRoundTrip(dir, env)
}, { timeout: 900_000 })

test('the main tarball alone without cargo fails with what to install and how to allow the script', async (t) => {
  if (!supported) return t.skip('compared with the linux-x64-gnu flow')
  const env = noCargoEnv()
  const dir = project('no-cargo')
  const installed = await npmInstall(dir, [mainTarball], env)
  t.diagnostic(`failed install took ${installed.ms} ms`)
  assert.notEqual(installed.code, 0)
  const output = installed.stdout + installed.stderr
  assert.match(output, /cargo \(the Rust toolchain\) was not found/)
  assert.match(output, /https:\/\/rustup\.rs/)
  assert.match(output, /npm install-scripts approve zeromq-napi/)
  assert.match(output, /pnpm approve-builds/)
  assert.match(output, /trustedDependencies/)
  assert.doesNotMatch(output, /npm rebuild/, 'npm rolled the install back: there is nothing to rebuild')
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', MAIN)), false, 'npm rolled the failed install back')
}, { timeout: 180_000 })
