// Installing as a user does: the tarballs `npm pack` makes (the main package and the platform
// packages, filled by `npm run build:platforms` from this clone), installed offline into fresh projects.
// - the main tarball and linux-x64-gnu's, no cargo anywhere: the prebuilt binary loads, a round trip
//   works, and npm prints no `install-scripts` warning (the package has no install script);
// - the main tarball alone: it installs, and `require` fails naming the one command that builds from
//   source; that command builds it with cargo, or without cargo says what to install;
// - for each other platform that runs here (linux-arm64-gnu under qemu, win32-x64-gnu under Wine):
//   the main tarball and that platform's, installed with npm's --os/--cpu, run a hello world and a
//   CURVE request on that platform's own Node.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { after, before } from 'node:test'
import { ROOT, test } from './helpers'

const MAIN = 'zeromq-napi'
const HOST = 'linux-x64-gnu'
const PLATFORM = `zeromq-napi-${HOST}`
const supported = process.platform === 'linux' && process.arch === 'x64'

type Platform = { name: string; os: string; cpu: string; libc?: string; run: { kind: string } }
const requireFromRoot = createRequire(path.join(ROOT, 'package.json'))
const { PLATFORMS } = requireFromRoot('./scripts/platforms.js') as { PLATFORMS: Platform[] }
const { buildPlatforms } = requireFromRoot('./scripts/build-platforms.js') as {
  buildPlatforms(names: string[]): { platform: Platform; status: string; why?: string }[]
}
type Runner = { hostPath(file: string): string }
const platformRuns = requireFromRoot('./scripts/test-platforms.js') as {
  runner(p: Platform): Runner
  runOn(r: Runner, args: string[], env: Record<string, string>, log: string, timeoutMs: number): { ok: boolean; why: string; output: string }
  cannotRun(p: Platform): string
}
/** The platforms besides the host whose Node runs here (qemu, Wine) and whose packages install here. */
const FOREIGN = PLATFORMS.filter((p) => p.run.kind === 'qemu' || p.run.kind === 'wine')

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
  const result = await run(process.execPath, ['round-trip.js'], { cwd: dir, env, timeoutMs: 30_000 })
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout.trim(), 'echo:hello')
}

type Packed = { filename: string; size: number; unpackedSize: number; files: { path: string }[] }
let mainTarball = ''
let platformTarball = ''
/** platform name -> its packed tarball */
const tarballs = new Map<string, string>()

before(async () => {
  if (!supported) return
  // The platform packages get the clone's release builds (no-op builds when they are up to date).
  const built = buildPlatforms([HOST, ...FOREIGN.map((p) => p.name)])
  for (const b of built) if (b.status === 'built') tarballs.set(b.platform.name, '')
  const specs: [string, string][] = [['.', MAIN], ...[...tarballs.keys()].map((name): [string, string] => [`./npm/${name}`, `zeromq-napi-${name}`])]
  for (const [spec, name] of specs) {
    // With its scripts: `prepack` takes the repository's `prepare` out of the packed package.json
    // (and `prepare`, the host build, is a no-op build here).
    const packed = await run('npm', ['pack', spec, '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(), timeoutMs: 300_000 })
    assert.equal(packed.code, 0, packed.stderr)
    const [info] = JSON.parse(packed.stdout) as Packed[]
    assert.ok(info.filename.startsWith(`${name}-`), info.filename)
    const file = path.join(work, info.filename)
    if (name === MAIN) {
      mainTarball = file
      // The main package carries sources, never a binary: binaries come from the platform packages.
      assert.deepEqual(info.files.filter((f) => f.path.endsWith('.node')), [])
      assert.ok(info.files.some((f) => f.path === 'API.md'), 'API.md ships')
      assert.ok(info.files.some((f) => f.path === 'scripts/build.js'), 'the build-from-source command ships')
      const manifest = JSON.parse(await fs.promises.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
      assert.equal(manifest.scripts.prepare, 'node scripts/build.js', 'postpack gave the repository its package.json back')
    } else {
      tarballs.set(name.slice('zeromq-napi-'.length), file)
      assert.ok(info.files.some((f) => f.path.endsWith('.node')), 'the platform package holds the binary')
    }
    console.log(`packed ${info.filename}: ${info.size} bytes, ${info.unpackedSize} unpacked, ${info.files.length} files`)
  }
  platformTarball = tarballs.get(HOST) ?? ''
}, { timeout: 660_000 })

/** No install script ran or was reported: npm 11 warns `install-scripts` for a dependency's install scripts. */
function assertNothingToApprove(output: string): void {
  assert.doesNotMatch(output, /install-scripts/, 'npm reports an install script to approve')
  assert.doesNotMatch(output, /zeromq-napi: building/, 'nothing was built')
}

test('both tarballs install without cargo, print nothing to approve, and the prebuilt binary makes a round trip', async (t) => {
  if (!supported) return t.skip('the prebuilt binary package is linux-x64-gnu')
  const env = noCargoEnv()
  const probe = await run('sh', ['-c', 'command -v cargo || echo none'], { cwd: work, env, timeoutMs: 10_000 })
  assert.equal(probe.stdout.trim(), 'none', 'cargo is out of reach')
  const dir = project('with-prebuilt')
  const installed = await npmInstall(dir, [mainTarball, platformTarball], env)
  assert.equal(installed.code, 0, installed.stdout + installed.stderr)
  t.diagnostic(`install of both tarballs took ${installed.ms} ms`)
  assertNothingToApprove(installed.stdout + installed.stderr)
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', MAIN, 'zeromq-napi.node')), false, 'nothing was compiled')
  await assertRoundTrip(dir, env)
}, { timeout: 180_000 })

/** What `require('zeromq-napi')` says in `dir` where no binary matches: the command that builds one. */
async function buildCommandFromError(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const probe = await run(process.execPath, ['-e', "require('zeromq-napi')"], { cwd: dir, env, timeoutMs: 20_000 })
  assert.notEqual(probe.code, 0, 'no binary: require fails')
  const command = /build it from source with cargo \(Rust 1\.85\+, https:\/\/rustup\.rs\): (node "[^"]+")/.exec(probe.stderr)?.[1]
  assert.ok(command, `the error names the build command:\n${probe.stderr}`)
  assert.equal(command, `node ${JSON.stringify(path.join(fs.realpathSync(dir), 'node_modules', MAIN, 'scripts', 'build.js'))}`)
  return command
}

test("the main tarball alone installs; require's error names the command that builds it from source, which works", async (t) => {
  if (!supported) return t.skip('compared with the linux-x64-gnu flow')
  const env = cleanEnv()
  // The clone's target directory: crates.io dependencies are compiled already, only the package's own crates build.
  env.CARGO_TARGET_DIR = path.join(ROOT, 'target')
  env.CARGO_NET_OFFLINE = 'true'
  const dir = project('from-source')
  const installed = await npmInstall(dir, [mainTarball], env)
  assert.equal(installed.code, 0, installed.stdout + installed.stderr)
  assertNothingToApprove(installed.stdout + installed.stderr)
  const command = await buildCommandFromError(dir, env)
  const built = await run('sh', ['-c', command], { cwd: dir, env, timeoutMs: 840_000 })
  assert.equal(built.code, 0, built.stdout + built.stderr)
  t.diagnostic(`${command} took ${built.ms} ms`)
  assert.ok(fs.existsSync(path.join(dir, 'node_modules', MAIN, 'zeromq-napi.node')), 'the addon was built in the package')
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', PLATFORM)), false)
  await assertRoundTrip(dir, env)
}, { timeout: 900_000 })

test('the build command without cargo says what to install', async (t) => {
  if (!supported) return t.skip('compared with the linux-x64-gnu flow')
  const env = noCargoEnv()
  const dir = project('no-cargo')
  const installed = await npmInstall(dir, [mainTarball], env)
  assert.equal(installed.code, 0, installed.stdout + installed.stderr)
  const command = await buildCommandFromError(dir, env)
  const built = await run('sh', ['-c', command], { cwd: dir, env, timeoutMs: 60_000 })
  assert.notEqual(built.code, 0)
  const output = built.stdout + built.stderr
  assert.match(output, /cargo \(the Rust toolchain\) was not found/)
  assert.match(output, /https:\/\/rustup\.rs/)
  assert.equal(fs.existsSync(path.join(dir, 'node_modules', MAIN, 'zeromq-napi.node')), false)
}, { timeout: 180_000 })

for (const p of FOREIGN) {
  test(`${p.name}: the main tarball and ${p.name}'s install offline (--os=${p.os} --cpu=${p.cpu}) and run a hello world and a CURVE request on its own Node`, async (t) => {
    if (!supported) return t.skip('the tarballs are built on linux-x64')
    const why = platformRuns.cannotRun(p) || (tarballs.get(p.name) ? '' : `${p.name} was not built (see build:platforms)`)
    if (why !== '') {
      if (process.env.CI === 'true') assert.fail(`${p.name}: ${why}`)
      console.log(`skipped: ${p.name} install: ${why}`)
      return t.skip(why)
    }
    const env = noCargoEnv()
    const dir = project(`on-${p.name}`)
    // npm refuses a tarball of another os/cpu named on the command line (EBADPLATFORM) even with
    // --os/--cpu, which choose among optional dependencies: --force installs it as a user there gets it.
    const flags = [`--os=${p.os}`, `--cpu=${p.cpu}`, ...(p.libc ? [`--libc=${p.libc}`] : []), '--force']
    const installed = await npmInstall(dir, [...flags, mainTarball, tarballs.get(p.name) ?? ''], env)
    assert.equal(installed.code, 0, installed.stdout + installed.stderr)
    assertNothingToApprove(installed.stdout + installed.stderr)
    assert.ok(fs.existsSync(path.join(dir, 'node_modules', `zeromq-napi-${p.name}`, `zeromq-napi.${p.name}.node`)))
    fs.copyFileSync(path.join(ROOT, '__test__', 'fixtures', 'platform-smoke.js'), path.join(dir, 'smoke.js'))
    const r = platformRuns.runner(p)
    const result = platformRuns.runOn(r, [r.hostPath(path.join(dir, 'smoke.js'))], {}, path.join(work, `${p.name}-smoke.log`), 300_000)
    assert.ok(result.ok, `${result.why}\n${result.output}`)
    assert.match(result.output, /^hello: World \(you said Hello\)$/m)
    assert.match(result.output, /^curve: sealed Hello$/m)
    t.diagnostic(result.output.trim().split('\n')[0])
  }, { timeout: 600_000 })
}
