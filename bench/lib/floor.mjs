// Finds the tcp-floor binary and builds it (release) when it is missing or older than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** @param {string} root repository root */
export function ensureFloor(root) {
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
  const bin = path.join(targetDir, 'release', 'tcp-floor');
  const srcDir = path.join(root, 'bench', 'floor', 'src');
  const sources = [path.join(root, 'bench', 'floor', 'Cargo.toml'), ...readdirSync(srcDir).map((f) => path.join(srcDir, f))];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!existsSync(bin) || statSync(bin).mtimeMs < newest) {
    console.error('building tcp-floor (cargo build --release -p tcp-floor) ...');
    execFileSync('cargo', ['build', '--release', '-p', 'tcp-floor'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return bin;
}
