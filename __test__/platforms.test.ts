// scripts/platforms.js is the one table of platforms: the files derived from it must agree with it,
// and the loader (lib/binding.js) must name each platform as the table does.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { ROOT, test } from './helpers'

const requireFromRoot = createRequire(path.join(ROOT, 'package.json'))
type Platform = { name: string; triple: string; os: string; cpu: string; libc?: string }
const platforms = requireFromRoot('./scripts/platforms.js') as {
  PLATFORMS: Platform[]
  staleFiles(): string[]
  aptPackages(): string[]
}
const binding = requireFromRoot('./lib/binding.js') as {
  platformName(host: { platform: string; arch: string; musl: () => boolean }): string
}

test('no file derived from scripts/platforms.js is stale (node scripts/platforms.js write)', () => {
  assert.deepEqual(platforms.staleFiles(), [])
})

test('the seven platforms of the contract, each an optional dependency with its package directory', () => {
  const names = platforms.PLATFORMS.map((p) => p.name).sort()
  assert.deepEqual(names, ['darwin-arm64', 'darwin-x64', 'linux-arm64-gnu', 'linux-arm64-musl', 'linux-x64-gnu', 'linux-x64-musl', 'win32-x64-gnu'])
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }
  for (const name of names) {
    assert.ok(`zeromq-napi-${name}` in manifest.optionalDependencies, name)
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', name, 'package.json'), 'utf8')) as { main: string }
    assert.equal(pkg.main, `zeromq-napi.${name}.node`)
  }
})

test('lib/binding.js names every platform of the table from its os, cpu and libc', () => {
  for (const p of platforms.PLATFORMS) {
    const host = { platform: p.os, arch: p.cpu, musl: () => p.libc === 'musl' }
    assert.equal(binding.platformName(host), p.name, p.triple)
  }
})

test('the package publishes no install script (a clone builds in `prepare`)', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  for (const hook of ['preinstall', 'install', 'postinstall']) assert.equal(manifest.scripts[hook], undefined, hook)
  assert.equal(manifest.scripts.prepare, 'node scripts/build.js')
})

test('.ci/run installs the Debian packages the platform table names', () => {
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')
  assert.match(ci, /node scripts\/platforms\.js apt/)
  assert.ok(platforms.aptPackages().includes('qemu-user'))
})
