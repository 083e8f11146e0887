/// <reference types="node" />
import type { EventEmitter } from "node:events";
// Type declarations of zeromq-napi (hand-written; the contract is API.md).

/**
 * One message frame: strings are sent as UTF-8, `null` is an empty frame, binary data is sent as is
 * (a view sends exactly the bytes it views). Received frames of 8 KiB and more are not copied
 * (smaller ones are: cheaper than wrapping them); each is a Buffer of its own.
 *
 * **A buffer you send.** Its bytes are taken when `send()` (or `request()`, or a `serve()` handler's
 * reply) is called: what the OS accepts during the call is written straight from the buffer, without
 * a copy, and only the rest is copied before the call returns. Once it has returned, the buffer is
 * yours again: changing, reusing, transferring (`ArrayBuffer.prototype.transfer()`, the transfer
 * list of `postMessage()` or `structuredClone()`, a byte stream's `enqueue()`) or detaching it never
 * changes what the peer receives. No buffer is ever marked (no `markAsUntransferable()`). A view
 * over a `SharedArrayBuffer` is read during the call too: what other threads write meanwhile may
 * or may not be sent (their race; it never crashes anything).
 */
export type MessageLike = string | Buffer | Uint8Array | ArrayBufferView | ArrayBuffer | null;

/**
 * What `send()` takes: one frame, or a non-empty array of frames (a multipart message). An empty
 * array rejects at run time, so the type does not accept one: build a multipart message as a
 * literal (`[header, body]`) or check the length of a computed array (`frames.length > 0`).
 */
export type Message = MessageLike | Frames<MessageLike> | readonly [MessageLike, ...MessageLike[]];

/** A non-empty array: what a message is made of. */
export type Frames<T> = [T, ...T[]];

/** A received message: one Buffer per frame, never empty (`const [msg] = await sock.receive()`). */
export type Received = Frames<Buffer>;

/** The `.code` values this package produces. */
export type ZmqErrorCode =
  /** Operation not allowed in the current send/receive state. */
  | 'EFSM'
  /** A timeout ran out, a pending operation was cancelled by `close()`, or the reply can never come. */
  | 'EAGAIN'
  /** A second `receive` (or `send`) while one is still pending on the same socket. */
  | 'EBUSY'
  /** The socket is closed. */
  | 'EBADF'
  /** Malformed endpoint address. */
  | 'EINVAL'
  /** Unknown transport (only `tcp://` and `ipc://` exist). */
  | 'EPROTONOSUPPORT'
  /** The address is already in use. */
  | 'EADDRINUSE'
  /** `unbind`/`disconnect` of an address never bound/connected. */
  | 'ENOENT'
  /** The host of an endpoint does not resolve or cannot be bound. */
  | 'EADDRNOTAVAIL'
  /** A {@link Router} `send` to an unknown or gone peer with option `mandatory: true`. */
  | 'EHOSTUNREACH'
  /** The caller's `AbortSignal` fired (the error's `name` is `AbortError`). */
  | 'ABORT_ERR'
  /** A bug inside zeromq-napi (a Rust panic, caught before it could reach Node); please report it. */
  | 'EINTERNAL';

/**
 * Every error this package rejects or throws with (argument `TypeError`s aside) is an `Error` with a
 * string `code` and, for endpoint errors, the `address` it is about. As in zeromq.js, `message` is
 * libzmq's text for the code (`'Invalid argument'`, `'Operation was not possible or timed out'`,
 * `'Socket is closed'`...) and `errno` libzmq's number for it on this platform; what happened in
 * this case (which timeout, why the last handshake failed...) is in `detail`.
 */
export interface ZmqError extends Error {
  /** The libzmq-style error code, see {@link ZmqErrorCode}. */
  code: ZmqErrorCode;
  /** libzmq's number for `code` on this platform (`os.constants.errno`, or libzmq's own for `EFSM`). */
  errno: number;
  /** What happened in this case; Node prints it with the error. */
  detail: string;
  /** The endpoint the error is about (endpoint errors only). */
  address?: string;
}

/**
 * Whether `err` is an error of this package: an `Error` whose `code` is a {@link ZmqErrorCode}
 * (`catch (err: unknown) { if (isZmqError(err) && err.code === 'EAGAIN') ... }`). Node's own system
 * errors with one of these codes (an `ENOENT` from `fs`) pass too: they have the same shape.
 */
export declare function isZmqError(err: unknown): err is ZmqError;

/** The rejection of an operation whose `AbortSignal` fired; `cause` is the signal's `reason`. */
export interface AbortError extends Error {
  /** Always `'AbortError'`. */
  name: 'AbortError';
  /** Always `'ABORT_ERR'`. */
  code: 'ABORT_ERR';
}

/**
 * Options of both socket types (constructor argument; each is also a read/write property of the
 * socket). An unknown name, a value of the wrong type or out of range throws `TypeError`.
 * Times are integer milliseconds.
 */
export interface SocketOptions {
  /** ms before a pending `receive` rejects `EAGAIN`; -1 = wait forever. Default -1. */
  receiveTimeout?: number;
  /** ms a `send` may wait for a peer / queue room before rejecting `EAGAIN`; -1 = forever. Default -1. */
  sendTimeout?: number;
  /**
   * ms `close()` keeps delivering queued outgoing messages in the background (-1 = until delivered,
   * 0 = drop them). Default 1000. It never keeps the process alive, and it does not survive the
   * end of the thread (process exit, worker termination): unsent messages are dropped then.
   */
  linger?: number;
  /** ms before reconnecting a lost or refused connection. Default 100. */
  reconnectInterval?: number;
  /** Upper bound (ms) of the exponential reconnect back-off; 0 = no back-off. Default 0. */
  reconnectMaxInterval?: number;
  /** ms for one TCP connect attempt; 0 = the OS default. Default 0. */
  connectTimeout?: number;
  /** ms a new connection may take to complete the ZMTP handshake; 0 = no limit. Default 30000. */
  handshakeInterval?: number;
  /** ms between ZMTP PINGs; 0 = heartbeats off. Default 0. */
  heartbeatInterval?: number;
  /** ms without any traffic after which a peer is dropped; 0 = `heartbeatInterval`. Default 0. */
  heartbeatTimeout?: number;
  /** ms the peer should wait for our traffic before dropping us (sent in our PINGs, at most 6553500); 0 = none. Default 0. */
  heartbeatTimeToLive?: number;
  /**
   * Largest accepted message in bytes: its frames' bodies, plus 128 bytes for every frame after the
   * 16th (an empty frame is not free). A peer announcing more is disconnected before anything is
   * allocated; -1 = no limit. Default -1.
   */
  maxMessageSize?: number;
  /** Most frames one received message may have (a peer sending more is disconnected); 0 = no limit. Default 4096. */
  maxMessageFrames?: number;
  /**
   * Largest ZMTP command a peer may send, in bytes (the handshake's, PING, ...; at least 512): a peer
   * announcing more is disconnected before its command is read. Always bounded, whatever
   * `maxMessageSize` is. Default 65536.
   */
  maxCommandSize?: number;
  /** Outgoing messages queued per peer; 0 = no limit. Default 1000. */
  sendHighWaterMark?: number;
  /** Incoming messages queued per peer; 0 = no limit. Default 1000. */
  receiveHighWaterMark?: number;
  /** Identity sent to peers (1 to 255 bytes; a string is sent as UTF-8), or `null` for none. Default null. */
  routingId?: string | Uint8Array | null;
  /** This side is the CURVE server (RFC 26); needs `curveSecretKey`. Default false. */
  curveServer?: boolean;
  /** Our long-term CURVE secret key: 40 characters of Z85 or 32 bytes. Reads back as Z85. Default null. */
  curveSecretKey?: CurveKey | null;
  /** Our long-term CURVE public key; derived from `curveSecretKey` when omitted. Default null. */
  curvePublicKey?: CurveKey | null;
  /** Client side: the server's public key; setting it makes this side a CURVE client (needs `curveSecretKey`). Default null. */
  curveServerKey?: CurveKey | null;
  /** This side is the PLAIN server (RFC 24): credentials travel in clear. Default false. */
  plainServer?: boolean;
  /** PLAIN client: the username (at most 255 bytes). Default null. */
  plainUsername?: string | null;
  /** PLAIN client: the password (at most 255 bytes). Default null. */
  plainPassword?: string | null;
  /**
   * Called once per new connection after its handshake is cryptographically complete and before
   * any message of it is delivered; `false`, a throw or a rejection refuses the peer (it gets a
   * ZMTP ERROR and is disconnected). Without it every peer that completes the handshake is accepted.
   */
  authenticate?: AuthenticateHandler | null;
}

/** A CURVE key as an option takes it: 40 characters of Z85, or 32 bytes. */
export type CurveKey = string | Uint8Array;

/** What `authenticate` is told about a peer. */
export interface AuthenticatePeer {
  mechanism: 'NULL' | 'PLAIN' | 'CURVE';
  /** The remote end, e.g. `'tcp://127.0.0.1:51234'`. */
  address: string;
  /** CURVE: the client's long-term public key in Z85 (proven by the handshake). */
  publicKey?: string;
  /** PLAIN: the username the client sent, decoded as UTF-8 (absent when it is not valid UTF-8). */
  username?: string;
  /** PLAIN: the password the client sent, decoded as UTF-8 (absent when it is not valid UTF-8). */
  password?: string;
  /** PLAIN: the username exactly as the client sent it (any bytes). */
  usernameBytes?: Buffer;
  /** PLAIN: the password exactly as the client sent it (any bytes). */
  passwordBytes?: Buffer;
  /** The client's `routingId`, if it set one. */
  routingId: Buffer | null;
}

/** The `authenticate` option. */
export type AuthenticateHandler = (peer: AuthenticatePeer) => boolean | Promise<boolean>;

/** A CURVE key pair, each key 40 characters of Z85. */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** A new CURVE key pair from the OS random source. */
export declare function curveKeyPair(): CurveKeyPair;

/** Options of a {@link Request} socket: the common ones plus the REQ-specific ones. */
export interface RequestOptions extends SocketOptions {
  /** Prefix each request with a request-id frame and drop replies whose id does not match (libzmq `ZMQ_REQ_CORRELATE`). Default false. */
  correlate?: boolean;
  /** Allow a new `send` while a reply is pending; the old request is abandoned (libzmq `ZMQ_REQ_RELAXED`). Default false. */
  relaxed?: boolean;
}

/** Options of a {@link Router} socket: the common ones plus the ROUTER-specific one. */
export interface RouterOptions extends SocketOptions {
  /** A `send` to an unknown or gone peer rejects `EHOSTUNREACH` instead of being dropped silently (libzmq `ZMQ_ROUTER_MANDATORY`); a send to a peer whose queue is full waits up to `sendTimeout`. Default false. */
  mandatory?: boolean;
}

/** Options of a {@link Dealer} socket. */
export interface DealerOptions extends SocketOptions {
  /** Keep only the newest received message (libzmq `ZMQ_CONFLATE`; single-frame messages). Default false. */
  conflate?: boolean;
}

/** Options of a {@link Publisher} socket. */
export interface PublisherOptions extends SocketOptions {
  /** A `send` waits (up to `sendTimeout`, then `EAGAIN`) while a matching subscriber's queue is full, instead of that subscriber missing the message (libzmq `ZMQ_XPUB_NODROP`). Default false. */
  noDrop?: boolean;
  /** Send each message to the subscribers with *no* subscription matching it (libzmq `ZMQ_INVERT_MATCHING`; the subscribers need it too). Default false. */
  invertMatching?: boolean;
}

/** Options of a {@link Subscriber} socket. */
export interface SubscriberOptions extends SocketOptions {
  /** Keep only the newest received message (libzmq `ZMQ_CONFLATE`). Default false. */
  conflate?: boolean;
  /** Receive the messages that match *no* subscription (libzmq `ZMQ_INVERT_MATCHING`). Default false. */
  invertMatching?: boolean;
}

/** Which subscription messages {@link XPublisher.receive} yields: `null` = new subscriptions and last unsubscriptions only; `'allSubs'` = every subscribe; `'allSubsUnsubs'` = every subscribe and unsubscribe. */
export type XPublisherVerbosity = null | 'allSubs' | 'allSubsUnsubs';

/** Options of an {@link XPublisher} socket. */
export interface XPublisherOptions extends PublisherOptions {
  /** Default `null`. */
  verbosity?: XPublisherVerbosity;
}

/** Options of a {@link Pull} socket. */
export interface PullOptions extends SocketOptions {
  /** Keep only the newest received message (libzmq `ZMQ_CONFLATE`). Default false. */
  conflate?: boolean;
}

/** Options of {@link Proxy.run}. */
export interface ProxyRunOptions {
  /** Aborting it stops the proxy: `run()` then resolves. */
  signal?: AbortSignal;
}

/** Options of `send()` and `receive()`. */
export interface OperationOptions {
  /** Aborting it cancels the pending operation, which then rejects with an {@link AbortError}. */
  signal?: AbortSignal;
}

/** Options of {@link Request.request}. */
export interface RequestCallOptions {
  /** ms each attempt may take, from send to reply, waiting for a connection included; -1 = no limit. Default: the socket's `receiveTimeout`. */
  timeout?: number;
  /** How many times to resend (to the next live server) after an attempt failed. Default 0. */
  retries?: number;
  /** Aborting it cancels the request (queued or in flight); it then rejects with an {@link AbortError}. */
  signal?: AbortSignal;
}

/**
 * A `serve()` handler: gets a request, returns (or resolves to) the reply. A handler that throws,
 * rejects or returns something that is not a {@link Message} leaves that request unanswered.
 */
export type ServeHandler = (request: Received) => Message | PromiseLike<Message>;

/** Options of {@link Reply.serve}. */
export interface ServeOptions {
  /** How many requests (from different clients) are handled at once. Default 1. */
  concurrency?: number;
  /**
   * Aborting it stops serving gracefully: no new request is taken, the handlers in progress finish
   * and their replies go out (for at most `drainTimeout` ms), then `serve()` resolves. `close()`
   * still ends everything at once.
   */
  signal?: AbortSignal;
  /** ms `serve()` waits, after `signal` aborted, for the handlers in progress and their replies. Default 5000. */
  drainTimeout?: number;
  /**
   * Called with a handler's failure and the request it failed on. Without it, each failure is
   * emitted as a process warning (`process.on('warning')`) named `ZmqServeWarning`, code
   * `ZMQ_SERVE_HANDLER_ERROR`, with the failure as `cause`.
   */
  onError?: (error: unknown, request: Received) => void;
}

/**
 * What an event listener of {@link Socket.events} gets. `address` follows libzmq (and so
 * zeromq.js): the bound endpoint as resolved (`'tcp://127.0.0.1:41234'`) for `bind` and for the
 * events of connections accepted through it; the address given to `connect` for `connect`,
 * `connect:retry` and the events of connections made through it.
 */
export interface SocketEvent {
  /** The event's name (the {@link EventMap} key it was emitted under), as in zeromq.js. */
  type: EventName;
  address: string;
}

/** `end`: the socket closed; no event comes after it (it has no address). */
export interface SocketEndEvent {
  type: 'end';
}

/** Why a connect attempt, a bind, an accept or a handshake failed. */
export interface SocketEventError extends Error {
  /**
   * An errno-style code: `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`... for a failed attempt or
   * connection, `EPROTO` for a ZMTP violation (or an ERROR from the peer), `EACCES` for an auth
   * failure, `EADDRINUSE`... for a failed bind.
   */
  code: string;
  /** The OS's (or libzmq's) number for `code`. */
  errno: number;
  /** What happened; `message` is zeromq.js's text (`'ZMTP protocol error'`, `'Authentication failure'`...). */
  detail: string;
}

/** A failure event: what failed is in `error`. */
export interface SocketFailureEvent extends SocketEvent {
  error: SocketEventError;
}

/** `connect:retry`: the next attempt comes in `interval` ms; `error` says why the last one failed (absent when a live connection was lost). */
export interface SocketRetryEvent extends SocketEvent {
  interval: number;
  error?: SocketEventError;
}

/** Each event of {@link Socket.events} and what its listeners get. */
export interface EventMap {
  /** A `bind` is listening. */
  bind: SocketEvent;
  /** A bound endpoint accepted a connection (its handshake comes next). */
  accept: SocketEvent;
  /** A connect attempt reached the peer (its handshake comes next). */
  connect: SocketEvent;
  /** A connect attempt failed or its connection was lost; another follows after `interval` ms. */
  'connect:retry': SocketRetryEvent;
  /** A connection (accepted or connected) ended, whether or not its handshake had succeeded. */
  disconnect: SocketEvent;
  /** A connection's ZMTP handshake succeeded: messages flow. */
  handshake: SocketEvent;
  /** The peer was refused or refused us (security: credentials, keys, a ZAP status code). */
  'handshake:error:auth': SocketFailureEvent;
  /** The peer broke ZMTP during the handshake (bad greeting, version, command, socket type). */
  'handshake:error:protocol': SocketFailureEvent;
  /** The handshake failed otherwise (timed out, the connection was lost). */
  'handshake:error:other': SocketFailureEvent;
  /** An endpoint is closed for good: `unbind`, `disconnect`, or `close()` (once per endpoint). */
  close: SocketEvent;
  /** A `bind` failed (the call rejects with the same error); as in libzmq, `address` lacks its `tcp://` / `ipc://`. */
  'bind:error': SocketFailureEvent;
  /** A bound endpoint could not accept a connection (e.g. out of file descriptors); it keeps listening. */
  'accept:error': SocketFailureEvent;
  /** zeromq.js's name for a connect attempt still in progress; this engine does not report it. */
  'connect:delay': SocketEvent;
  /** zeromq.js's name for a failed close of an endpoint; closing cannot fail here, so it never comes. */
  'close:error': SocketFailureEvent;
  /** The socket closed: the last event. */
  end: SocketEndEvent;
}

/** An event name of {@link EventMap}. */
export type EventName = keyof EventMap;

/** Any event of {@link EventMap}, as `receive()` and iteration yield them. */
export type AnySocketEvent = EventMap[EventName];

/**
 * {@link Socket.events}: a typed `EventEmitter` that is also zeromq.js's Observer. Use one style
 * per socket: once a listener is added, `receive()` throws (as in zeromq.js).
 */
export interface SocketEvents extends EventEmitter<{ [K in EventName]: [EventMap[K]] }> {
  /** The next event (those not taken yet are queued, the oldest dropped past 1000); after `end` it rejects `EBADF`. */
  receive(): Promise<AnySocketEvent>;
  /** `true` once `end` has been taken: no more events. */
  readonly closed: boolean;
  /** Yields every event up to and including `end`, then ends. */
  [Symbol.asyncIterator](): AsyncGenerator<AnySocketEvent, void, undefined>;
}

/**
 * Members every socket type has: a type only (`import type { SocketBase }`). There is no
 * `SocketBase` value at run time.
 */
declare abstract class SocketBase {
  /** ms before a pending `receive` rejects `EAGAIN`; -1 = wait forever. */
  receiveTimeout: number;
  /** ms a `send` may wait for a peer / queue room before rejecting `EAGAIN`; -1 = forever. */
  sendTimeout: number;
  /** ms `close()` keeps delivering queued outgoing messages (-1 = until delivered, 0 = drop). */
  linger: number;
  /** ms before reconnecting a lost or refused connection. */
  reconnectInterval: number;
  /** Upper bound (ms) of the reconnect back-off; 0 = no back-off. */
  reconnectMaxInterval: number;
  /** ms for one TCP connect attempt; 0 = the OS default. */
  connectTimeout: number;
  /** ms a new connection may take to complete the ZMTP handshake; 0 = no limit. */
  handshakeInterval: number;
  /** ms between ZMTP PINGs; 0 = off. */
  heartbeatInterval: number;
  /** ms without traffic after which a peer is dropped; 0 = `heartbeatInterval`. */
  heartbeatTimeout: number;
  /** ms TTL announced in our PINGs; 0 = none. */
  heartbeatTimeToLive: number;
  /** Largest accepted message in bytes (128 bytes more per frame after the 16th); -1 = no limit. */
  maxMessageSize: number;
  /** Most frames one received message may have; 0 = no limit. */
  maxMessageFrames: number;
  /** Largest ZMTP command a peer may send, in bytes. */
  maxCommandSize: number;
  /** Outgoing messages queued per peer; 0 = no limit. */
  sendHighWaterMark: number;
  /** Incoming messages queued per peer; 0 = no limit. */
  receiveHighWaterMark: number;
  /** Identity sent to peers (reads back as it was set: a string, or a copy of the bytes), or `null`. */
  get routingId(): string | Buffer | null;
  set routingId(value: string | Uint8Array | null);
  /** This side is the CURVE server. */
  curveServer: boolean;
  /** Our CURVE secret key as Z85, or `null`. */
  get curveSecretKey(): string | null;
  set curveSecretKey(value: CurveKey | null);
  /** Our CURVE public key as Z85 (derived from the secret key unless set), or `null`. */
  get curvePublicKey(): string | null;
  set curvePublicKey(value: CurveKey | null);
  /** The CURVE server's public key as Z85 (client side), or `null`. */
  get curveServerKey(): string | null;
  set curveServerKey(value: CurveKey | null);
  /** This side is the PLAIN server. */
  plainServer: boolean;
  plainUsername: string | null;
  plainPassword: string | null;
  /** See {@link SocketOptions.authenticate}; applies to connections made from now on. */
  authenticate: AuthenticateHandler | null;

  /**
   * The socket's events (see {@link EventMap}), e.g.
   * `sock.events.on('disconnect', ({ address }) => ...)`, `await sock.events.receive()` or
   * `for await (const event of sock.events)`. The engine starts reporting them when this is first
   * read (events before that are not replayed; a `connect()` earlier in the same synchronous run is
   * seen whole); until then they cost nothing. They arrive on this thread in the order they
   * happened for each endpoint and connection. While the emitter has listeners it keeps the process
   * alive (as a pending `receive` does) until the socket is closed; `close()` reports one `close`
   * per endpoint, then `end`, the last event.
   */
  readonly events: SocketEvents;
  /** `true` once `close()` was called. */
  readonly closed: boolean;
  /** zeromq.js's `securityMechanism`: `'curve'` or `'plain'` when such options are set, else `null`. */
  readonly securityMechanism: 'curve' | 'plain' | null;
  /** zeromq.js's `readable`: a `receive()` now would finish at once (a message is waiting and the state allows it). */
  readonly readable: boolean;
  /**
   * zeromq.js's `writable` (libzmq's POLLOUT): the state allows a `send()` and it has somewhere to
   * go: a peer, or, as in libzmq, a `connect()` endpoint even before its connection is up (the send
   * then waits for it, up to `sendTimeout`); a Router, Publisher or XPublisher always.
   */
  readonly writable: boolean;
  /**
   * The endpoint of the last successful `bind`, with an ephemeral port resolved
   * (e.g. `'tcp://127.0.0.1:41234'`); `null` before any bind.
   */
  readonly lastEndpoint: string | null;

  /**
   * Binds and listens on `address` (`tcp://HOST:PORT`, `tcp://*:PORT`, `tcp://[::1]:PORT`,
   * `ipc:///path`; port `*` or `0` = ephemeral). May be called for several endpoints.
   * Rejects `EINVAL`, `EPROTONOSUPPORT`, `EADDRINUSE`, `EADDRNOTAVAIL`, `EBADF` (with `.address`).
   */
  bind(address: string): Promise<void>;
  /**
   * Stops listening on `address` (as given to `bind`, or as `lastEndpoint` reported it). Rejects
   * `EINVAL` / `EPROTONOSUPPORT` for a malformed address / unknown transport, `ENOENT` if it was not bound.
   */
  unbind(address: string): Promise<void>;
  /**
   * Connects to `address` in the background and returns at once; retries and reconnects forever.
   * Throws synchronously (it returns nothing to reject): `TypeError` for a non-string, an Error
   * with `.code` `EINVAL`/`EPROTONOSUPPORT` for a bad address, `EBADF` when closed.
   */
  connect(address: string): void;
  /**
   * Drops the connection to `address`. Throws (synchronously) `EINVAL` / `EPROTONOSUPPORT` for a
   * malformed address / unknown transport, `ENOENT` if it was not connected.
   */
  disconnect(address: string): void;
  /**
   * Closes the socket; idempotent. Pending operations reject `EAGAIN`, later ones `EBADF`. Queued
   * outgoing messages are delivered in the background for up to `linger` ms.
   */
  close(): void;
  /** Same as `close()`, for `using sock = new Reply()`. */
  [Symbol.dispose](): void;
}

/** The sending half of a socket type that sends (zeromq.js's `Writable`). */
export interface Writable {
  /**
   * Sends one message (a frame or a non-empty array of frames); resolves once it is queued for the
   * peer (see {@link MessageLike} for what you may then do with a buffer you sent). Waits for a peer
   * up to `sendTimeout` (then `EAGAIN`). Rejects `TypeError` for anything
   * that is not a {@link Message} (nothing is sent), `EFSM` when the socket's state does not allow a
   * send, `EBUSY` if another send is pending, `EBADF` when closed.
   */
  send(message: Message, options?: OperationOptions): Promise<void>;
}

/** The receiving half of a socket type that receives (zeromq.js's `Readable`). */
export interface Readable {
  /**
   * Receives one message: one Buffer per frame, never empty (`const [msg] = await sock.receive()`).
   * Rejects `EAGAIN` after `receiveTimeout` or when `close()` is called meanwhile, `EFSM` when the
   * socket's state does not allow a receive, `EBUSY` if another receive is pending.
   * A pending receive keeps the process alive.
   */
  receive(options?: OperationOptions): Promise<Received>;
  /** Yields received messages until the socket is closed (`for await (const [msg] of sock)`). */
  [Symbol.asyncIterator](): AsyncGenerator<Received, void, undefined>;
}

/**
 * Members shared by the types that both send and receive ({@link Request}, {@link Reply},
 * {@link Dealer}, {@link Router}, {@link Pair}, {@link XPublisher}, {@link XSubscriber}): a type
 * only (`import type { Socket }`), for code that takes any of them. There is no `Socket` value at
 * run time.
 */
declare abstract class Socket extends SocketBase {}
interface Socket extends Readable, Writable {}

/**
 * A REQ socket (RFC 28): `send` then `receive`, strictly alternating (a second `send` before the
 * reply, or a `receive` before any `send`, rejects `EFSM` at once), or `request()` for both in one
 * call. Requests go round-robin to the connected servers that are up.
 */
export declare class Request extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: RequestOptions);
  /** Prefix each request with a request-id frame and drop non-matching replies (`ZMQ_REQ_CORRELATE`). */
  correlate: boolean;
  /** Allow a new `send` while a reply is pending, abandoning the old request (`ZMQ_REQ_RELAXED`). */
  relaxed: boolean;
  /**
   * Sends `message` and resolves to the reply. Concurrent calls queue and run in call order (never
   * `EFSM`). Each attempt is bounded by `timeout`; an attempt also fails at once when the
   * connection that owed the reply is lost; with `retries` left the request is resent to the next
   * live server, else it rejects `EAGAIN`. A late reply to an abandoned attempt is discarded.
   */
  request(message: Message, options?: RequestCallOptions): Promise<Received>;
}

/**
 * A REP socket (RFC 28): `receive` then `send`, strictly alternating (`send` before a request
 * rejects `EFSM`), or `serve()` to answer requests with a handler.
 */
export declare class Reply extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: SocketOptions);
  /**
   * Answers every request with `handler`'s return value, up to `concurrency` at once (each reply
   * goes to the client that asked, whatever order they finish in). A failing handler does not stop
   * the server: the request stays unanswered and the failure is reported (see
   * {@link ServeOptions.onError}). Resolves when the socket is closed, or when the signal aborts
   * (at once if it already has) and the handlers in progress have finished and sent their replies
   * (at most {@link ServeOptions.drainTimeout} ms); rejects `EBADF` if the socket is already closed, `EBUSY` if a `receive` is
   * pending.
   */
  serve(handler: ServeHandler, options?: ServeOptions): Promise<void>;
}

/**
 * A DEALER socket (RFC 28): `send` and `receive` in any order. Outgoing messages go round-robin to
 * the connected peers, incoming ones are fair-queued. Concurrent `send()` calls queue and go out in
 * call order (never `EBUSY`); a second concurrent `receive()` rejects `EBUSY`. Frames pass through
 * unchanged: talking to a REP, put an empty delimiter frame first (`['', 'request']`).
 */
export declare class Dealer extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: DealerOptions);
  /** Keep only the newest received message (`ZMQ_CONFLATE`). */
  conflate: boolean;
}

/**
 * A ROUTER socket (RFC 28): `receive()` resolves to `[routingId, ...frames]` (the peer's `routingId`
 * option when it set one, else a generated 5-byte id); `send([routingId, ...frames])` goes to that
 * peer. A message for an unknown or gone peer is dropped silently, or rejects `EHOSTUNREACH` with
 * option `mandatory: true`. A second concurrent `receive()` rejects `EBUSY`.
 */
export declare class Router extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: RouterOptions);
  /** A send to an unknown peer rejects `EHOSTUNREACH` instead of being dropped (`ZMQ_ROUTER_MANDATORY`). */
  mandatory: boolean;
}

/**
 * A PUB socket (RFC 29): each message goes to every connected {@link Subscriber} (or
 * {@link XSubscriber}) with a subscription that prefixes its first frame; the matching happens in
 * the native engine. `send` never waits: a subscriber whose queue is full (`sendHighWaterMark`)
 * misses the message (unless `noDrop`). It does not receive.
 */
export declare class Publisher extends SocketBase {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range, and for zeromq.js's `conflate`, which this engine does not implement. */
  constructor(options?: PublisherOptions);
  /** See {@link PublisherOptions.noDrop}. */
  noDrop: boolean;
  /** See {@link PublisherOptions.invertMatching}. */
  invertMatching: boolean;
}
export interface Publisher extends Writable {}

/**
 * A SUB socket (RFC 29): receives the messages of its publishers whose first frame starts with one
 * of its subscriptions (none at first: call {@link subscribe}). Subscriptions are sent to each
 * publisher, again after a reconnect; messages that match none are dropped in the native engine.
 * It does not send.
 */
export declare class Subscriber extends SocketBase {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: SubscriberOptions);
  /** See {@link SubscriberOptions.conflate}. */
  conflate: boolean;
  /** See {@link SubscriberOptions.invertMatching}. */
  invertMatching: boolean;
  /**
   * Receives messages whose first frame starts with one of `prefixes`; no argument = every
   * message. Subscribing to a prefix twice needs two `unsubscribe`s of it. Throws `TypeError` for a
   * prefix that is neither a string nor bytes, `EBADF` when closed.
   */
  subscribe(...prefixes: Array<string | Uint8Array>): void;
  /** Undoes one {@link subscribe} of each prefix; no argument = the everything subscription. */
  unsubscribe(...prefixes: Array<string | Uint8Array>): void;
}
export interface Subscriber extends Readable {}

/**
 * An XPUB socket: a {@link Publisher} that also receives its subscribers' subscription messages
 * (`[0x01, ...prefix]` to subscribe, `[0x00, ...prefix]` to cancel; which ones: `verbosity`), as a
 * forwarder needs. The `XSubscriber`/`XPublisher` {@link Proxy} is one.
 */
export declare class XPublisher extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range, and for zeromq.js's `manual` and `welcomeMessage`, which this engine does not implement. */
  constructor(options?: XPublisherOptions);
  noDrop: boolean;
  invertMatching: boolean;
  verbosity: XPublisherVerbosity;
}

/**
 * An XSUB socket: a {@link Subscriber} that subscribes by sending subscription messages
 * (`[0x01, ...prefix]` / `[0x00, ...prefix]`); anything else it sends goes to every publisher.
 * `send` never waits.
 */
export declare class XSubscriber extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: SocketOptions);
}

/**
 * A PUSH socket (RFC 30): sends round-robin to its connected {@link Pull} peers; a send waits (up to
 * `sendTimeout`) for a peer with queue room, it never drops. It does not receive.
 */
export declare class Push extends SocketBase {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range, and for zeromq.js's `conflate`, which this engine does not implement. */
  constructor(options?: SocketOptions);
}
export interface Push extends Writable {}

/** A PULL socket (RFC 30): receives fair-queued from its {@link Push} peers. It does not send. */
export declare class Pull extends SocketBase {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: PullOptions);
  /** See {@link PullOptions.conflate}. */
  conflate: boolean;
}
export interface Pull extends Readable {}

/**
 * A PAIR socket (RFC 31): exactly one peer, both directions; a second connection is refused while
 * the first is live. A send waits (up to `sendTimeout`) for the peer and queue room.
 */
export declare class Pair extends Socket {
  /** @throws {TypeError} for an unknown option, a value of the wrong type or out of range. */
  constructor(options?: SocketOptions);
}

/** The sockets a {@link Proxy} joins. */
export type ProxySocket = Dealer | Router | XSubscriber | XPublisher | Pull | Push;

/**
 * Forwards messages both ways between two sockets inside the native engine (no JavaScript per
 * message, frames are not copied): typically a bound {@link Router} for clients (frontend) and a
 * bound {@link Dealer} for workers (backend), libzmq's `zmq_proxy`. Also an {@link XSubscriber}
 * (frontend, for publishers) with an {@link XPublisher} (backend, for subscribers): a pub-sub
 * forwarder, subscriptions flowing back; or a {@link Pull} with a {@link Push}: a pipeline stage.
 */
export declare class Proxy<
  Frontend extends ProxySocket = Router,
  Backend extends ProxySocket = Dealer,
> {
  /** @throws {TypeError} unless the two are Router/Dealer, XSubscriber/XPublisher or Pull/Push sockets of this package. */
  constructor(frontend: Frontend, backend: Backend);
  readonly frontend: Frontend;
  readonly backend: Backend;
  /** zeromq.js's name of {@link frontend}. */
  readonly frontEnd: Frontend;
  /** zeromq.js's name of {@link backend}. */
  readonly backEnd: Backend;
  /**
   * Forwards until {@link terminate}, the signal, or either socket's `close()`; then resolves.
   * While it runs, `send`/`receive` on its two sockets reject `EBUSY`. Rejects `EBUSY` if a proxy
   * already runs on either socket (or a `receive` is pending on one), `EBADF` if one is closed.
   */
  run(options?: ProxyRunOptions): Promise<void>;
  /** Stops forwarding until {@link resume} (messages wait in the sockets' queues). Throws `EBADF` when not running, as zeromq.js does. */
  pause(): void;
  /** Forwards again after {@link pause}. Throws `EBADF` when not running. */
  resume(): void;
  /** Stops a running proxy (`run()` resolves); the sockets stay open. Idempotent. */
  terminate(): void;
}

/** What this build supports, under zeromq.js's (libzmq `zmq_has`) names; absent features are `false`. */
export interface Capability {
  /** `ipc://` (Unix domain sockets): false on Windows, where `ipc://` rejects `EPROTONOSUPPORT`. */
  readonly ipc: boolean;
  readonly tcp: boolean;
  readonly inproc: boolean;
  readonly pgm: boolean;
  readonly tipc: boolean;
  readonly norm: boolean;
  readonly curve: boolean;
  readonly plain: boolean;
  readonly gssapi: boolean;
  readonly draft: boolean;
}

/** What this build supports (zeromq.js's `capability`). */
export declare const capability: Capability;

/** This package's version (not a libzmq version). */
export declare const version: string;

// Only what is declared `export` above is a value at run time; `Socket` is exported as a type.
export type { Socket, SocketBase };
