// What the numbers came from: they mean little without the machine and how busy it was.
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall through to what Node knows
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

/** @param {string | null} libzmqVersion */
export function describeMachine(libzmqVersion) {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    libzmq: libzmqVersion,
    date: new Date().toISOString(),
    loadAvgStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** @param {ReturnType<typeof describeMachine>} m */
export function machineLine(m) {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, libzmq ${m.libzmq ?? '?'}, ${m.date.slice(0, 10)}`;
}
