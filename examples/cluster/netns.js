// @ts-check
'use strict';
// A throw-away network of "hosts" on one machine: one Linux network namespace per host, each with
// one end of a veth pair whose other end sits on a bridge inside a "switch" namespace of its own.
// Every interface is created inside a namespace made here (never in the root namespace), the only
// addresses are from 198.18.0.0/15 (RFC 2544's range for network tests), IPv6 address generation
// is off so the kernel adds no link-local address either, and destroy() kills what runs in the
// namespaces and deletes them, which also removes their links.

const { execFile, spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');

/** Not root: `ip` must go through passwordless sudo (CI runners), or the lab cannot be built. */
const PRIVILEGE_PREFIX = process.getuid?.() === 0 ? [] : ['sudo', '-n'];

/** The lab cannot be built here: no CAP_NET_ADMIN (or no `ip`); `reason` says which. */
class PrivilegeError extends Error {}

/**
 * Runs a privileged command; rejects with its stderr in the message.
 * @param {string[]} argv
 * @returns {Promise<string>} stdout
 */
function privileged(argv) {
  const [file, ...args] = [...PRIVILEGE_PREFIX, ...argv];
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = /** @type {NodeJS.ErrnoException} */ (err).code;
        reject(Object.assign(new Error(`${argv.join(' ')}: ${stderr.trim() || err.message}`), { code }));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** True when a failed `ip` call means "not allowed here" rather than a bug in the lab. */
function isPrivilegeFailure(/** @type {unknown} */ err) {
  const e = /** @type {NodeJS.ErrnoException} */ (err);
  return e.code === 'ENOENT' || /Operation not permitted|Permission denied|password is required|a terminal is required/i.test(e.message);
}

/**
 * A process started inside a host's namespace; its stdout arrives as 'line' events.
 */
class HostProcess extends EventEmitter {
  /**
   * @param {string} host
   * @param {import('node:child_process').ChildProcessWithoutNullStreams} child
   */
  constructor(host, child) {
    super();
    this.host = host;
    this.child = child;
    /** @type {string[]} */
    this.stderr = [];
    /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
    this.exit = null;
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.emit('line', line));
    readline.createInterface({ input: child.stderr }).on('line', (line) => this.stderr.push(line));
    /** Resolves when the process has ended (never rejects). */
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => this.stderr.push(String(err)));
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        this.emit('exit', this.exit);
      });
    });
  }

  /** @param {string} line */
  write(line) {
    if (this.exit === null && this.child.stdin.writable) this.child.stdin.write(`${line}\n`);
  }
}

class NetnsLab {
  /**
   * @param {Record<string, string>} hosts host name -> IPv4 address in 198.18.0.0/24
   * @param {string} [prefix] namespace names are `<prefix>-<host>`; unique per process by default
   */
  constructor(hosts, prefix = `zmqn-${process.pid}`) {
    for (const [host, address] of Object.entries(hosts)) {
      if (!/^198\.18\.0\.\d{1,3}$/.test(address)) throw new RangeError(`${host}: ${address} is not in 198.18.0.0/24`);
    }
    this.hosts = hosts;
    this.prefix = prefix;
    /** @type {string[]} namespaces created so far, for destroy() */
    this.created = [];
    /** @type {Set<HostProcess>} */
    this.processes = new Set();
    this.destroyed = false;
  }

  /** @param {string} host */
  namespace(host) {
    return `${this.prefix}-${host}`;
  }

  /** @param {string} name */
  async addNamespace(name) {
    await privileged(['ip', 'netns', 'add', name]);
    this.created.push(name);
  }

  /**
   * Creates the switch and one namespace per host, linked through the switch's bridge. A
   * PrivilegeError when this machine does not allow it at any step (no `ip`, no privileges, or
   * namespaces allowed but not links: CAP_SYS_ADMIN without CAP_NET_ADMIN); the caller destroys
   * what was made.
   */
  async build() {
    try {
      await this.#link();
    } catch (err) {
      if (!isPrivilegeFailure(err)) throw err;
      throw new PrivilegeError(`needs CAP_NET_ADMIN (root, or passwordless sudo) to create network namespaces and their links: ${/** @type {Error} */ (err).message}`);
    }
  }

  async #link() {
    const sw = this.namespace('switch');
    await this.addNamespace(sw);
    await privileged(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await privileged(['ip', '-n', sw, 'link', 'set', 'br0', 'addrgenmode', 'none']).catch(() => {});
    await privileged(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
    let port = 0;
    for (const [host, address] of Object.entries(this.hosts)) {
      const ns = this.namespace(host);
      await this.addNamespace(ns);
      // Both ends are created straight in their namespaces: nothing appears in the root namespace.
      const swPort = `p${port++}`;
      await privileged(['ip', '-n', sw, 'link', 'add', swPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await privileged(['ip', '-n', sw, 'link', 'set', swPort, 'addrgenmode', 'none']).catch(() => {});
      await privileged(['ip', '-n', sw, 'link', 'set', swPort, 'master', 'br0', 'up']);
      await privileged(['ip', '-n', ns, 'link', 'set', 'eth0', 'addrgenmode', 'none']).catch(() => {});
      await privileged(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await privileged(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  }

  /**
   * Starts `node <args>` inside a host's namespace, from the package root.
   * @param {string} host
   * @param {string[]} args
   * @param {Record<string, string>} [env]
   */
  start(host, args, env = {}) {
    if (this.destroyed) throw new Error('the lab is destroyed');
    const [file, ...rest] = [...PRIVILEGE_PREFIX, 'ip', 'netns', 'exec', this.namespace(host), process.execPath, ...args];
    const envArgs = PRIVILEGE_PREFIX.length > 0 ? Object.entries(env).map(([k, v]) => `${k}=${v}`) : [];
    // Under sudo the environment is reset, so the variables go on the command line (env VAR=x node).
    const argv = envArgs.length > 0 ? [...rest.slice(0, 5), 'env', ...envArgs, ...rest.slice(5)] : rest;
    const child = spawn(file, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
    const proc = new HostProcess(host, child);
    this.processes.add(proc);
    void proc.exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /**
   * SIGKILLs every process in a host's namespace (the host "loses power").
   * @param {string} host
   */
  async kill(host) {
    // A process that ended by itself between listing and signalling makes kill(1) fail: fine here.
    await this.signal(host, 'KILL').catch(() => {});
    await Promise.all([...this.processes].filter((p) => p.host === host).map((p) => p.exited));
  }

  /**
   * Sends a signal to every process in a host's namespace (STOP/CONT: the host hangs, then wakes).
   * @param {string} host
   * @param {'KILL' | 'STOP' | 'CONT'} signal
   */
  async signal(host, signal) {
    const pids = (await privileged(['ip', 'netns', 'pids', this.namespace(host)])).split(/\s+/).filter(Boolean);
    if (pids.length > 0) await privileged(['kill', `-${signal}`, ...pids]);
  }

  /** Kills everything still running in the lab and deletes its namespaces (idempotent). */
  async destroy() {
    this.destroyed = true;
    const failures = [];
    for (const ns of [...this.created].reverse()) {
      try {
        const pids = (await privileged(['ip', 'netns', 'pids', ns])).split(/\s+/).filter(Boolean);
        if (pids.length > 0) await privileged(['kill', '-KILL', ...pids]).catch(() => {});
        await privileged(['ip', 'netns', 'del', ns]);
        this.created.splice(this.created.indexOf(ns), 1);
      } catch (err) {
        failures.push(/** @type {Error} */ (err).message);
      }
    }
    await Promise.all([...this.processes].map((p) => p.exited));
    if (failures.length > 0) throw new Error(`could not remove every namespace: ${failures.join('; ')}`);
  }
}

module.exports = { HostProcess, NetnsLab, PrivilegeError };
