// Types of netns.js (a CommonJS example module), for the TypeScript test that drives it.
import { EventEmitter } from 'node:events';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export declare class PrivilegeError extends Error {}

export declare class HostProcess extends EventEmitter {
  constructor(host: string, child: ChildProcessWithoutNullStreams);
  readonly host: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  write(line: string): void;
}

export declare class NetnsLab {
  constructor(hosts: Record<string, string>, prefix?: string);
  readonly hosts: Record<string, string>;
  readonly prefix: string;
  namespace(host: string): string;
  build(): Promise<void>;
  start(host: string, args: string[], env?: Record<string, string>): HostProcess;
  kill(host: string): Promise<void>;
  signal(host: string, signal: 'KILL' | 'STOP' | 'CONT'): Promise<void>;
  destroy(): Promise<void>;
}
