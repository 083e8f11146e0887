// The README's code, run as a reader would paste it: each fenced block after a
// `<!-- readme-test: NAME... -->` marker is written to files of those names in a fresh directory
// where `zeromq-napi` resolves to this package, then run (`.mjs`, `.cjs`) or type-checked under
// strict TypeScript (`.mts`, `.ts`). Every link of the README and index.d.ts resolves in the repository.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'
import { ROOT, test } from './helpers'

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/<!-- readme-test: ([^>]+?) -->\s*```[a-z]*\n([\s\S]*?)```/g)].map((m) => ({
  names: m[1].trim().split(/\s+/),
  code: m[2],
}))

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeromq-napi-readme-'))
after(() => fs.rmSync(dir, { recursive: true, force: true }))
// A project that depends on the package: node_modules/zeromq-napi is this repository, and the
// type-checker finds Node's types where this repository has them.
fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true })
fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'zeromq-napi'), 'dir')
fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir')
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'readme-example', private: true }))

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

test('the README marks its example blocks: ESM + strict TypeScript, and CommonJS', () => {
  const names = blocks.flatMap((b) => b.names).sort()
  assert.deepEqual(names, ['example.cjs', 'example.mjs', 'example.mts', 'majordomo.mjs', 'majordomo.mts', 'security.mjs', 'security.mts'])
})

/** What each runnable block prints (the Majordomo one its reply, stream and MMI answer). */
const EXPECTED_STDOUT: Record<string, string> = { 'majordomo.mjs': 'HELLO\n1\n2\n3\ndone\n200\n' }

for (const block of blocks) {
  for (const name of block.names) {
    const file = path.join(dir, name)
    if (name.endsWith('.mjs') || name.endsWith('.cjs')) {
      test(`the README's ${name} runs and prints the reply`, async () => {
        fs.writeFileSync(file, block.code)
        const result = await run(process.execPath, [file])
        assert.equal(result.code, 0, result.stderr)
        assert.equal(result.stdout, EXPECTED_STDOUT[name] ?? 'World (you said Hello)\n')
      })
    } else {
      test(`the README's ${name} type-checks under strict TypeScript`, async () => {
        fs.writeFileSync(file, block.code)
        const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
        const args = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
          '--lib', 'es2022,esnext.disposable', '--types', 'node', file]
        const result = await run(process.execPath, [tsc, ...args])
        assert.equal(result.code, 0, result.stdout + result.stderr)
      }, { timeout: 60000 })
    }
  }
}

test('every relative link of the README, API.md and index.d.ts resolves inside the repository', () => {
  const links: [string, string][] = []
  for (const doc of ['README.md', 'API.md']) {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8')
    for (const m of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      if (!/^[a-z]+:/.test(m[1])) links.push([doc, m[1]])
    }
  }
  const types = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
  for (const m of types.matchAll(/the contract is ([\w./-]+\.md)/gi)) links.push(['index.d.ts', m[1]])
  assert.ok(links.some(([doc, target]) => doc === 'README.md' && target === 'API.md'), 'the README links the contract')
  assert.ok(links.some(([doc]) => doc === 'index.d.ts'), 'index.d.ts names the contract')
  for (const [doc, target] of links) {
    const resolved = path.resolve(ROOT, target)
    assert.ok(resolved.startsWith(ROOT + path.sep), `${doc}: ${target} is outside the repository`)
    assert.ok(fs.existsSync(resolved), `${doc}: ${target} does not exist`)
  }
})
