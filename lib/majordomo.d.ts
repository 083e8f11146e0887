// Types of zeromq-napi/majordomo: the Majordomo Protocol 0.2 (RFC 18) with MMI (RFC 8).
/// <reference types="node" />
import type { Message, Received, Router, RouterOptions, SocketOptions, ServeOptions } from '../index.js';

/** Options of {@link Broker}: MDP heartbeats, plus the options of the Router underneath. */
export interface BrokerOptions extends Omit<RouterOptions, 'heartbeatInterval'> {
  /** ms between MDP HEARTBEATs to each worker (not ZMTP PINGs). Default 2500. */
  heartbeatInterval?: number;
  /** Heartbeats a worker may miss before it is purged (its request, if any, goes to another worker once). Default 3. */
  heartbeatLiveness?: number;
}

/** Options of {@link Worker}: MDP heartbeats, plus the options of each Dealer underneath (but `routingId`: each connection has an identity of its own). */
export interface WorkerOptions extends Omit<SocketOptions, 'heartbeatInterval' | 'routingId'> {
  /** ms between MDP HEARTBEATs to the broker (not ZMTP PINGs). Default 2500. */
  heartbeatInterval?: number;
  /** Broker heartbeats the worker may miss (while idle) before it reconnects on a new socket and sends READY again. Default 3. */
  heartbeatLiveness?: number;
}

/** Options of {@link Client}: the options of each Dealer underneath (but `routingId`: each connection has an identity of its own); `receiveTimeout` is the default `timeout` of a call. */
export type ClientOptions = Omit<SocketOptions, 'routingId'>;

/** What {@link Broker.services} tells about one service. */
export interface ServiceInfo {
  /** Workers registered for it (idle or busy). */
  readonly workers: number;
  /** Requests waiting for a free worker. */
  readonly queued: number;
}

/** Options of {@link Broker.run}. */
export interface BrokerRunOptions {
  /** Aborting it stops the broker's routing: `run()` then resolves (the socket stays open until `close()`). */
  signal?: AbortSignal;
}

/**
 * A Worker handler: gets a request, returns (or resolves to) the FINAL reply; or is an async (or
 * sync) generator, or returns any async iterable (a Readable, ...): each value is sent as a PARTIAL
 * reply, the generator's return value as the FINAL one (an empty frame when there is none). A
 * handler that throws leaves the request unanswered (the client's timeout and retries deal with
 * it); the worker then registers again.
 */
export type WorkerHandler = (
  request: Received,
) =>
  | Message
  | PromiseLike<Message>
  | AsyncGenerator<Message, Message | void, undefined>
  | AsyncIterable<Message>
  | Generator<Message, Message | void, undefined>;

/** Options of {@link Worker.serve}: as {@link ServeOptions} (`concurrency` runs that many MDP workers, each on its own connection). */
export type WorkerServeOptions = ServeOptions;

/** Options of {@link Client.request} and {@link Client.stream}. */
export interface ClientCallOptions {
  /** ms one attempt may take (for `stream()`: the wait for each next part), waiting for a connection included; -1 = no limit. Default: the client's `receiveTimeout` option (-1). */
  timeout?: number;
  /** How many times to send the request again, on a new connection, after an attempt timed out. Default 0. */
  retries?: number;
  /** Aborting it cancels the call, which then rejects with an `AbortError` (`ABORT_ERR`). */
  signal?: AbortSignal;
}

/** An MDP broker: one Router for clients and workers. */
export declare class Broker {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: BrokerOptions);
  /** Several binds are allowed. */
  bind(address: string): Promise<void>;
  unbind(address: string): Promise<void>;
  /** Routes until `close()` or the signal; resolves then. Rejects `EBADF` if closed. */
  run(options?: BrokerRunOptions): Promise<void>;
  /** A snapshot: each service with workers or queued requests. */
  readonly services: ReadonlyMap<string, ServiceInfo>;
  readonly lastEndpoint: string | null;
  readonly closed: boolean;
  /** The Router underneath (for its `events` and options). */
  readonly socket: Router;
  /** Immediate and idempotent; `run()` resolves. */
  close(): void;
  [Symbol.dispose](): void;
}

/** An MDP worker for one service. */
export declare class Worker {
  /** @throws {TypeError} for an empty service name, an unknown option, a value of the wrong type or out of range. */
  constructor(service: string, options?: WorkerOptions);
  readonly service: string;
  readonly closed: boolean;
  /** Adds a broker endpoint (before or during `serve()`). Throws `EBADF` after `close()`. */
  connect(address: string): void;
  /**
   * Registers with the broker and answers its requests with `handler`, reconnecting and
   * registering again by itself after losing the broker. Resolves when `close()` is called, or when
   * the signal aborts and the requests in progress have been answered (at most `drainTimeout` ms).
   * Rejects `EBADF` if closed.
   */
  serve(handler: WorkerHandler, options?: WorkerServeOptions): Promise<void>;
  /** Immediate and idempotent; `serve()` resolves. */
  close(): void;
  [Symbol.dispose](): void;
}

/** An MDP client: concurrent calls each get their own reply. */
export declare class Client {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: ClientOptions);
  readonly closed: boolean;
  /** Adds a broker endpoint. Throws `EBADF` after `close()`. */
  connect(address: string): void;
  /**
   * Sends `message` to `service`; resolves to the FINAL reply. Rejects `EAGAIN` when every attempt
   * timed out (or `close()` was called meanwhile), `ABORT_ERR` on the signal, `EBADF` after `close()`.
   */
  request(service: string, message: Message, options?: ClientCallOptions): Promise<Received>;
  /** Sends `message` to `service`; yields each PARTIAL reply, then the FINAL one. Errors as `request()`. */
  stream(service: string, message: Message, options?: ClientCallOptions): AsyncIterable<Received> & AsyncIterator<Received, void, undefined>;
  /** Immediate and idempotent. */
  close(): void;
  [Symbol.dispose](): void;
}
