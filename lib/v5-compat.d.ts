// Types of zeromq-napi/v5-compat: zeromq.js 5.x's callback API over this package's sockets.
/// <reference types="node" />
import { EventEmitter } from 'node:events';
import type { MessageLike } from '../index.js';

/** The socket types: 'dealer' and 'router' need a version of zeromq-napi that exports Dealer and Router. */
export type SocketType =
  | 'req'
  | 'rep'
  | 'dealer'
  | 'router'
  | 'xreq'
  | 'xrep'
  | 'pub'
  | 'sub'
  | 'xpub'
  | 'xsub'
  | 'push'
  | 'pull'
  | 'pair';

/** An option: a v5 short name (`'linger'`, `'identity'`, `'rcvtimeo'`, ...), a `ZMQ_*` number, or this package's name (`'receiveTimeout'`). */
export type Option = keyof ShortOptions | number | string;

/** The v5 short option names, also socket properties. */
export interface ShortOptions {
  identity?: string | Uint8Array | null;
  routing_id?: string | Uint8Array | null;
  linger?: number;
  reconnect_ivl?: number;
  reconnect_ivl_max?: number;
  maxmsgsize?: number;
  sndhwm?: number;
  rcvhwm?: number;
  rcvtimeo?: number;
  sndtimeo?: number;
  router_mandatory?: boolean;
  req_correlate?: boolean;
  req_relaxed?: boolean;
  handshake_ivl?: number;
  heartbeat_ivl?: number;
  heartbeat_ttl?: number;
  heartbeat_timeout?: number;
  connect_timeout?: number;
}

type Callback = (err?: Error) => void;

export declare class Socket extends EventEmitter {
  constructor(type: SocketType);
  readonly type: SocketType;
  readonly closed: boolean;
  /** The endpoint of the last completed bind, or null. */
  readonly last_endpoint: string | null;
  identity: string | Uint8Array | null;
  routing_id: string | Uint8Array | null;
  linger: number;
  reconnect_ivl: number;
  reconnect_ivl_max: number;
  maxmsgsize: number;
  sndhwm: number;
  rcvhwm: number;
  rcvtimeo: number;
  sndtimeo: number;
  router_mandatory: boolean;
  req_correlate: boolean;
  req_relaxed: boolean;
  handshake_ivl: number;
  heartbeat_ivl: number;
  heartbeat_ttl: number;
  heartbeat_timeout: number;
  connect_timeout: number;

  bind(address: string, callback?: Callback): this;
  /** Starts the bind and returns at once (binding is asynchronous here); a failure is emitted as 'error'. */
  bindSync(address: string): this;
  unbind(address: string, callback?: Callback): this;
  unbindSync(address: string): this;
  connect(address: string): this;
  disconnect(address: string): this;
  /** Queues a message (a frame or an array of frames); with `flags` ZMQ_SNDMORE the frames wait for the rest. */
  send(message: MessageLike | MessageLike[], flags?: number, callback?: Callback): this;
  pause(): this;
  resume(): this;
  close(): this;
  /** A 'sub' (or 'xsub') socket's subscription to messages starting with `filter`; TypeError on other types. */
  subscribe(filter: string | Buffer): this;
  unsubscribe(filter: string | Buffer): this;
  read(): never;
  setsockopt(option: Option, value: unknown): this;
  getsockopt(option: Option): unknown;

  /** One argument per frame. */
  on(event: 'message', listener: (...frames: Buffer[]) => void): this;
  on(event: 'bind' | 'unbind', listener: (address: string) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: unknown[]) => void): this;
  once(event: 'message', listener: (...frames: Buffer[]) => void): this;
  once(event: 'bind' | 'unbind', listener: (address: string) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: string | symbol, listener: (...args: unknown[]) => void): this;
}

/** A new socket, options set by name: `socket('rep', { linger: 0 })`. */
export declare function socket(type: SocketType, options?: ShortOptions & Record<string, unknown>): Socket;
export declare const createSocket: typeof socket;
/** The short option names and their `ZMQ_*` numbers. */
export declare const options: Readonly<Record<keyof ShortOptions, number>>;

export declare const ZMQ_SNDMORE: 2;
/** libzmq's option numbers for `setsockopt(ZMQ_SUBSCRIBE, filter)` / `ZMQ_UNSUBSCRIBE`. */
export declare const ZMQ_SUBSCRIBE: 6;
export declare const ZMQ_UNSUBSCRIBE: 7;
export declare const ZMQ_IDENTITY: 5;
export declare const ZMQ_TYPE: 16;
export declare const ZMQ_LINGER: 17;
export declare const ZMQ_RECONNECT_IVL: 18;
export declare const ZMQ_RECONNECT_IVL_MAX: 21;
export declare const ZMQ_MAXMSGSIZE: 22;
export declare const ZMQ_SNDHWM: 23;
export declare const ZMQ_RCVHWM: 24;
export declare const ZMQ_RCVTIMEO: 27;
export declare const ZMQ_SNDTIMEO: 28;
export declare const ZMQ_LAST_ENDPOINT: 32;
export declare const ZMQ_ROUTER_MANDATORY: 33;
export declare const ZMQ_REQ_CORRELATE: 52;
export declare const ZMQ_REQ_RELAXED: 53;
export declare const ZMQ_HANDSHAKE_IVL: 66;
export declare const ZMQ_HEARTBEAT_IVL: 75;
export declare const ZMQ_HEARTBEAT_TTL: 76;
export declare const ZMQ_HEARTBEAT_TIMEOUT: 77;
export declare const ZMQ_CONNECT_TIMEOUT: 79;
