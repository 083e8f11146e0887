'use strict';
// What can be checked of a platform's binary without running it (scripts/test-platforms.js does it
// for every cross build): its file format and cpu (read from the header here), that it exports
// Node-API's entry point (`napi_register_module_v1`, read with llvm-nm / llvm-readobj) and that it
// needs nothing a user's machine may lack: on musl only musl's libc (zig links its own unwinder
// in), on darwin only /usr/lib's system libraries, on Windows only system DLLs and
// node.exe (the mingw runtime linked in, no libgcc_s_seh-1.dll / libwinpthread-1.dll).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

/** @typedef {import('./platforms.js').Platform} Platform */

/** The format and cpu the header names, e.g. `elf arm64`, `macho x64`, `pe x64`. */
function headerKind(/** @type {Buffer} */ head) {
  if (head.readUInt32BE(0) === 0x7f454c46) {
    const machine = head.readUInt16LE(18);
    return `elf ${{ 0x3e: 'x64', 0xb7: 'arm64' }[machine] ?? `machine ${machine}`}`;
  }
  if (head.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = head.readUInt32LE(4);
    return `macho ${{ 0x01000007: 'x64', 0x0100000c: 'arm64' }[cpu] ?? `cpu ${cpu}`}`;
  }
  if (head.toString('latin1', 0, 2) === 'MZ') {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 <= head.length && head.toString('latin1', pe, pe + 4) === 'PE\0\0') {
      const machine = head.readUInt16LE(pe + 4);
      return `pe ${{ 0x8664: 'x64', 0xaa64: 'arm64' }[machine] ?? `machine ${machine}`}`;
    }
  }
  return 'unknown';
}

function tool(/** @type {string} */ command, /** @type {string[]} */ args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { ok: false, out: `${command}: ${result.error.message}` };
  return { ok: result.status === 0, out: result.status === 0 ? result.stdout : `${command} ${args.join(' ')}: ${result.stderr}` };
}

/** The shared libraries the binary names (ELF NEEDED, Mach-O load commands, PE imports). */
function neededLibraries(/** @type {Platform} */ p, /** @type {string} */ file) {
  if (p.os === 'linux') {
    const r = tool('llvm-readobj', ['--needed-libs', file]);
    if (!r.ok) return { error: r.out, libs: [] };
    const block = /NeededLibraries \[([^\]]*)\]/.exec(r.out)?.[1] ?? '';
    return { libs: block.split('\n').map((l) => l.trim()).filter(Boolean) };
  }
  if (p.os === 'darwin') {
    const r = tool('llvm-objdump', ['--macho', '--dylibs-used', file]);
    if (!r.ok) return { error: r.out, libs: [] };
    // The first line names the file, the second the dylib's own install name.
    return { libs: r.out.split('\n').slice(2).map((l) => l.trim().split(' ')[0]).filter(Boolean) };
  }
  const r = tool('llvm-readobj', ['--coff-imports', file]);
  if (!r.ok) return { error: r.out, libs: [] };
  return { libs: [...r.out.matchAll(/^\s*Name: (\S+)$/gm)].map((m) => m[1]) };
}

/** Which libraries a user's machine of that platform surely has. */
function allowedLibrary(/** @type {Platform} */ p, /** @type {string} */ lib) {
  if (p.os === 'darwin') return lib.startsWith('/usr/lib/') || lib.startsWith('/System/Library/');
  if (p.os === 'win32') {
    const name = lib.toLowerCase();
    return name === 'node.exe' || name.startsWith('api-ms-win-') || SYSTEM_DLLS.has(name);
  }
  if (p.libc === 'musl') return /^(libc\.so|libc\.musl-[\w-]+\.so\.1|ld-musl-[\w-]+\.so\.1)$/.test(lib);
  return /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|ld-linux-[\w-]+\.so\.\d)$/.test(lib);
}

const SYSTEM_DLLS = new Set(['kernel32.dll', 'ntdll.dll', 'msvcrt.dll', 'ws2_32.dll', 'bcrypt.dll', 'bcryptprimitives.dll', 'advapi32.dll', 'userenv.dll', 'shell32.dll', 'ole32.dll', 'synchronization.dll', 'secur32.dll', 'crypt32.dll', 'iphlpapi.dll']);

/** The exported symbol names. */
function exportedSymbols(/** @type {Platform} */ p, /** @type {string} */ file) {
  if (p.os === 'win32') {
    const r = tool('llvm-readobj', ['--coff-exports', file]);
    return r.ok ? [...r.out.matchAll(/^\s*Name: (\S+)$/gm)].map((m) => m[1]) : null;
  }
  const r = tool('llvm-nm', p.os === 'darwin' ? ['-gU', '-j', file] : ['-D', '--defined-only', '-j', file]);
  return r.ok ? r.out.split('\n').map((s) => s.trim().replace(/^_/, p.os === 'darwin' ? '' : '_')).filter(Boolean) : null;
}

/**
 * The problems with `file` as `p`'s binary ([] when there are none); prints what it saw.
 * @returns {string[]}
 */
function checkBinary(/** @type {Platform} */ p, /** @type {string} */ file) {
  const problems = [];
  const head = Buffer.alloc(4096);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const kind = headerKind(head);
  const wanted = `${{ linux: 'elf', darwin: 'macho', win32: 'pe' }[p.os]} ${p.cpu}`;
  if (kind !== wanted) problems.push(`the binary is ${kind}, expected ${wanted}`);

  const symbols = exportedSymbols(p, file);
  if (symbols === null) problems.push('could not list its exports (llvm-nm/llvm-readobj: apt-get install llvm)');
  else if (!symbols.includes('napi_register_module_v1')) problems.push('it does not export napi_register_module_v1');

  const { libs, error } = neededLibraries(p, file);
  if (error) problems.push(`could not list the libraries it needs: ${error}`);
  const foreign = libs.filter((lib) => !allowedLibrary(p, lib));
  if (foreign.length > 0) problems.push(`it needs libraries a ${p.name} machine may lack: ${foreign.join(', ')}`);
  process.stdout.write(`${p.name}: ${kind}, exports napi_register_module_v1: ${symbols?.includes('napi_register_module_v1') ? 'yes' : 'no'}, needs: ${libs.join(' ') || '(nothing)'}\n`);
  return problems;
}

module.exports = { checkBinary, headerKind };
