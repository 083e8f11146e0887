'use strict';
// The one table of socket options. Everything else that names an option is generated from it by
// scripts/generate-options.js (`node scripts/generate-options.js` writes, `--check` reports stale
// files; __test__/option-table.test.ts runs the check):
//   lib/option-table.js          the JS schema, socket types, libzmq names (v5-compat and hints)
//   engine/src/option_table.rs   the engine's `Options` struct and its defaults
//   src/option_table.rs          the binding's `JsOptions` and its conversions to and from `Options`
//   index.d.ts, lib/v5-compat.d.ts  the option declarations and their docs (marked regions)
//
// A JS module rather than JSON: ranges read as what they are (`MAX_U31`, a TTL in deciseconds), and
// each entry can say why. Per option:
//   name     the one name in every layer: JS camelCase; the Rust fields are its snake_case
//   kind     how JS validates it: int (min, max), bool, routingId, bytes, key, credential, enum, function
//   default  the JS value (null = none); the engine's default is derived from it
//   kinds    the socket types that have it ('all' or a list of lib/options.js kinds)
//   immediate  it applies to existing connections at once (read at each operation or attempt);
//            any other set after a bind or connect warns, as zeromq.js does, that it applies to
//            later ones
//   rust     the engine field's type; for ints 'i64' or 'u32' (the binding passes it through)
//   binding  how src/options.rs converts a non-scalar: JsOptions type and helper names, or null
//            when it is not passed as a plain value
//   libzmq   [ZMQ_NAME, number, ...v5 short names] (or a list of them); `hintOnly` when the
//            libzmq option's value is not ours: v5-compat does not map it, an unknown-option
//            error still names our option
//   doc      the documentation, shared by index.d.ts (constructor options and properties), Rust
//            and README's option table (`readme`: what only README adds)

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_U31 = 0x7fffffff;
// ZMTP PING carries its TTL in deciseconds in 16 bits.
const MAX_TTL_MS = 0xffff * 100;

/** The socket types (lib/options.js kinds) and their JS class names. */
const KINDS = {
  reply: 'Reply',
  request: 'Request',
  dealer: 'Dealer',
  router: 'Router',
  publisher: 'Publisher',
  subscriber: 'Subscriber',
  xpublisher: 'XPublisher',
  xsubscriber: 'XSubscriber',
  push: 'Push',
  pull: 'Pull',
  pair: 'Pair',
};

const OPTIONS = [
  {
    name: 'receiveTimeout',
    immediate: true,
    kind: 'int', min: -1, max: MAX_SAFE, default: -1, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_RCVTIMEO', 27, 'rcvtimeo'],
    doc: 'ms before a pending `receive` rejects `EAGAIN`; -1 = wait forever.',
  },
  {
    name: 'sendTimeout',
    immediate: true,
    kind: 'int', min: -1, max: MAX_SAFE, default: -1, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_SNDTIMEO', 28, 'sndtimeo'],
    doc: 'ms a `send` may wait for a peer / queue room before rejecting `EAGAIN`; -1 = forever.',
  },
  {
    name: 'linger',
    immediate: true,
    kind: 'int', min: -1, max: MAX_SAFE, default: 1000, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_LINGER', 17, 'linger'],
    doc:
      'ms `close()` keeps delivering queued outgoing messages in the background (-1 = until delivered,\n' +
      '0 = drop them). It never keeps the process alive, and it does not survive the end of the\n' +
      'thread (process exit, worker termination): unsent messages are dropped then. A connection\n' +
      'with nothing queued is closed at once.',
  },
  {
    name: 'reconnectInterval',
    immediate: true,
    kind: 'int', min: 0, max: MAX_SAFE, default: 100, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_RECONNECT_IVL', 18, 'reconnect_ivl'],
    doc: 'ms before reconnecting a lost or refused connection.',
  },
  {
    name: 'reconnectMaxInterval',
    immediate: true,
    kind: 'int', min: 0, max: MAX_SAFE, default: 0, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_RECONNECT_IVL_MAX', 21, 'reconnect_ivl_max'],
    doc: 'Upper bound (ms) of the exponential reconnect back-off; 0 = no back-off.',
  },
  {
    name: 'connectTimeout',
    immediate: true,
    kind: 'int', min: 0, max: MAX_SAFE, default: 0, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_CONNECT_TIMEOUT', 79, 'connect_timeout'],
    doc: 'ms for one TCP connect attempt; 0 = the OS default.',
  },
  {
    name: 'handshakeInterval',
    kind: 'int', min: 0, max: MAX_SAFE, default: 30000, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_HANDSHAKE_IVL', 66, 'handshake_ivl'],
    doc: 'ms a new connection may take to complete the ZMTP handshake; 0 = no limit.',
  },
  {
    name: 'heartbeatInterval',
    kind: 'int', min: 0, max: MAX_SAFE, default: 0, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_HEARTBEAT_IVL', 75, 'heartbeat_ivl'],
    doc: 'ms between ZMTP PINGs; 0 = heartbeats off.',
  },
  {
    name: 'heartbeatTimeout',
    kind: 'int', min: 0, max: MAX_SAFE, default: 0, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_HEARTBEAT_TIMEOUT', 77, 'heartbeat_timeout'],
    doc: 'ms without any traffic after which a peer is dropped; 0 = `heartbeatInterval`.',
  },
  {
    name: 'heartbeatTimeToLive',
    kind: 'int', min: 0, max: MAX_TTL_MS, default: 0, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_HEARTBEAT_TTL', 76, 'heartbeat_ttl'],
    doc: 'ms the peer should wait for our traffic before dropping us (sent in our PINGs, at most 6553500); 0 = none.',
  },
  {
    name: 'immediate',
    kind: 'bool', default: false, kinds: 'all',
    libzmq: [['ZMQ_IMMEDIATE', 39, 'immediate'], ['ZMQ_DELAY_ATTACH_ON_CONNECT', 39, 'delay_attach_on_connect']],
    doc:
      'Queue messages only to connections whose handshake is complete (libzmq `ZMQ_IMMEDIATE`). The\n' +
      "engine always does: a peer joins a socket's round-robin when its handshake completes, so a\n" +
      'send with none waits (up to `sendTimeout`). `false`, libzmq\'s default, is held and read back\n' +
      'but queues nothing to a connection in progress (README, "How it differs").',
  },
  {
    name: 'recoveryInterval',
    kind: 'int', min: 0, max: MAX_U31, default: 10000, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_RECOVERY_IVL', 9, 'recovery_ivl'],
    doc:
      "ms of data a multicast (PGM) receiver may recover after a gap (libzmq `ZMQ_RECOVERY_IVL`).\n" +
      'This engine has no PGM transport, so it is held and read back (zeromq.js code that sets it\n' +
      'keeps working) and changes nothing.',
  },
  {
    name: 'backlog',
    kind: 'int', min: 0, max: MAX_U31, default: 100, rust: 'u32', kinds: 'all',
    libzmq: ['ZMQ_BACKLOG', 19, 'backlog'],
    doc: 'Pending connections a tcp or ipc listener keeps before accepting them (`listen()`); applies to later binds.',
  },
  {
    name: 'zapDomain',
    kind: 'credential', default: null, kinds: 'all',
    rust: 'Option<Bytes>',
    binding: { js: 'Option<String>', into: 'text_into_engine', from: null },
    libzmq: ['ZMQ_ZAP_DOMAIN', 55, 'zap_domain'],
    doc:
      "The security domain of this socket's server side (libzmq `ZMQ_ZAP_DOMAIN`): given to\n" +
      '`authenticate` as `peer.domain`, so one handler can tell the sockets it serves apart.',
  },
  {
    name: 'maxMessageSize',
    kind: 'int', min: -1, max: MAX_SAFE, default: -1, rust: 'i64', kinds: 'all',
    libzmq: ['ZMQ_MAXMSGSIZE', 22, 'maxmsgsize'],
    doc:
      "Largest accepted message in bytes: its frames' bodies, plus 128 bytes for every frame after the\n" +
      '16th (an empty frame is not free). A peer announcing more is disconnected before anything is\n' +
      'allocated; -1 = no limit.',
  },
  {
    name: 'maxMessageFrames',
    kind: 'int', min: 0, max: MAX_U31, default: 4096, rust: 'u32', kinds: 'all',
    rustConst: 'DEFAULT_MAX_MESSAGE_FRAMES',
    doc:
      'Most frames one received message may have (a peer sending more is disconnected); 0 = no limit.\n' +
      'The default is far more than real messages have (an envelope and a few parts), far less than\n' +
      'what a peer could pack into a large message to make it costly.',
  },
  {
    name: 'maxCommandSize',
    // Below a few hundred bytes no CURVE or PLAIN handshake would fit.
    kind: 'int', min: 512, max: MAX_U31, default: 65536, rust: 'u32', kinds: 'all',
    rustConst: 'DEFAULT_MAX_COMMAND_SIZE',
    doc:
      "Largest ZMTP command a peer may send, in bytes (the handshake's, PING, ...; at least 512): a peer\n" +
      'announcing more is disconnected before its command is read. Always bounded, whatever\n' +
      '`maxMessageSize` is: what a peer sends before it is authenticated must not cost more.',
  },
  {
    name: 'sendHighWaterMark',
    kind: 'int', min: 0, max: MAX_U31, default: 1000, rust: 'u32', kinds: 'all',
    libzmq: ['ZMQ_SNDHWM', 23, 'sndhwm'],
    doc: 'Outgoing messages queued per peer; 0 = no limit.',
  },
  {
    name: 'receiveHighWaterMark',
    kind: 'int', min: 0, max: MAX_U31, default: 1000, rust: 'u32', kinds: 'all',
    libzmq: ['ZMQ_RCVHWM', 24, 'rcvhwm'],
    doc: 'Incoming messages queued per peer; 0 = no limit.',
  },
  {
    name: 'routingId',
    kind: 'routingId', default: null, kinds: 'all',
    rust: 'Option<Bytes>',
    binding: { js: 'Option<Buffer>', into: 'bytes_into_engine', from: 'bytes_from_engine' },
    libzmq: ['ZMQ_IDENTITY', 5, 'identity', 'routing_id'],
    doc: 'Identity sent to peers (1 to 255 bytes; a string is sent as UTF-8), or `null` for none.',
  },
  {
    name: 'curveServer',
    kind: 'bool', default: false, kinds: 'all',
    libzmq: ['ZMQ_CURVE_SERVER', 47, 'curve_server'],
    readme: 'See [Security](#security).',
    doc: 'This side is the CURVE server (RFC 26); needs `curveSecretKey`.',
  },
  {
    name: 'curveSecretKey',
    kind: 'key', default: null, kinds: 'all',
    rust: { type: 'SecretKey', default: 'SecretKey(None)' },
    binding: { js: 'Option<String>', into: 'secret_key_into_engine', from: null },
    libzmq: ['ZMQ_CURVE_SECRETKEY', 49, 'curve_secretkey'],
    readme: 'See [Security](#security).',
    doc:
      'Our long-term CURVE secret key: 40 characters of Z85 or 32 bytes; reads back as Z85. Kept out of\n' +
      'logs; its bytes are wiped when the last copy goes.',
  },
  {
    name: 'curvePublicKey',
    kind: 'key', default: null, kinds: 'all',
    rust: 'Option<CurveKey>',
    binding: { js: 'Option<String>', into: 'public_key_into_engine', from: null },
    libzmq: ['ZMQ_CURVE_PUBLICKEY', 48, 'curve_publickey'],
    readme: 'See [Security](#security).',
    doc: 'Our long-term CURVE public key (Z85 or 32 bytes); derived from `curveSecretKey` when omitted.',
  },
  {
    name: 'curveServerKey',
    kind: 'key', default: null, kinds: 'all',
    rust: 'Option<CurveKey>',
    binding: { js: 'Option<String>', into: 'public_key_into_engine', from: null },
    libzmq: ['ZMQ_CURVE_SERVERKEY', 50, 'curve_serverkey'],
    readme: 'See [Security](#security).',
    doc: "Client side: the server's public key; setting it makes this side a CURVE client (needs `curveSecretKey`).",
  },
  {
    name: 'plainServer',
    kind: 'bool', default: false, kinds: 'all',
    libzmq: ['ZMQ_PLAIN_SERVER', 44, 'plain_server'],
    readme: 'See [Security](#security).',
    doc: 'This side is the PLAIN server (RFC 24): credentials travel in clear.',
  },
  {
    name: 'plainUsername',
    kind: 'credential', default: null, kinds: 'all',
    rust: 'Option<Bytes>',
    binding: { js: 'Option<String>', into: 'text_into_engine', from: null },
    libzmq: ['ZMQ_PLAIN_USERNAME', 45, 'plain_username'],
    readme: 'See [Security](#security).',
    doc: 'PLAIN client: the username (at most 255 bytes); setting it makes this side a PLAIN client.',
  },
  {
    name: 'plainPassword',
    kind: 'credential', default: null, kinds: 'all',
    rust: { type: 'SecretBytes', default: 'SecretBytes(None)' },
    binding: { js: 'Option<String>', into: 'password_into_engine', from: null },
    libzmq: ['ZMQ_PLAIN_PASSWORD', 46, 'plain_password'],
    readme: 'See [Security](#security).',
    doc: 'PLAIN client: the password (at most 255 bytes), kept out of logs.',
  },
  {
    name: 'authenticate',
    kind: 'function', ts: 'AuthenticateHandler | null', default: null, kinds: 'all',
    rust: 'Option<AuthenticatorHook>',
    // Installed apart (`setAuthenticator`): a function is no plain option value.
    binding: null,
    readme: '`(peer) => boolean | Promise<boolean>`, see [Security](#security).',
    doc:
      'Called once per new connection after its handshake is cryptographically complete and before\n' +
      'any message of it is delivered; `false`, a throw or a rejection refuses the peer (it gets a\n' +
      'ZMTP ERROR and is disconnected). Without it every peer that completes the handshake is\n' +
      'accepted. Set on a socket, it applies to connections made from then on.',
  },
  {
    name: 'correlate',
    immediate: true,
    kind: 'bool', default: false, kinds: ['request'],
    libzmq: ['ZMQ_REQ_CORRELATE', 52, 'req_correlate'],
    doc: 'Prefix each request with a request-id frame and drop replies whose id does not match (libzmq `ZMQ_REQ_CORRELATE`).',
  },
  {
    name: 'relaxed',
    immediate: true,
    kind: 'bool', default: false, kinds: ['request'],
    libzmq: ['ZMQ_REQ_RELAXED', 53, 'req_relaxed'],
    doc: 'Allow a new `send` while a reply is pending; the old request is abandoned (libzmq `ZMQ_REQ_RELAXED`).',
  },
  {
    name: 'mandatory',
    immediate: true,
    kind: 'bool', default: false, kinds: ['router'],
    libzmq: ['ZMQ_ROUTER_MANDATORY', 33, 'router_mandatory'],
    doc:
      'A `send` to an unknown or gone peer rejects `EHOSTUNREACH` instead of being dropped silently\n' +
      '(libzmq `ZMQ_ROUTER_MANDATORY`); a send to a peer whose queue is full waits up to `sendTimeout`.',
  },
  {
    name: 'conflate',
    immediate: true,
    kind: 'bool', default: false, kinds: ['dealer', 'subscriber', 'pull'],
    libzmq: ['ZMQ_CONFLATE', 54, 'conflate'],
    doc: 'Keep only the newest received message (libzmq `ZMQ_CONFLATE`; single-frame messages).',
  },
  {
    name: 'noDrop',
    kind: 'bool', default: false, kinds: ['publisher', 'xpublisher'],
    libzmq: ['ZMQ_XPUB_NODROP', 69, 'xpub_nodrop'],
    doc:
      "A `send` waits (up to `sendTimeout`, then `EAGAIN`) while a matching subscriber's queue is full,\n" +
      'instead of that subscriber missing the message (libzmq `ZMQ_XPUB_NODROP`).',
  },
  {
    name: 'invertMatching',
    kind: 'bool', default: false, kinds: ['publisher', 'subscriber', 'xpublisher'],
    libzmq: ['ZMQ_INVERT_MATCHING', 74, 'invert_matching'],
    doc:
      'A subscription selects the messages that match it *not*: a publisher sends each message to the\n' +
      'subscribers with no subscription matching it, a subscriber receives the messages that match\n' +
      'none of its subscriptions (libzmq `ZMQ_INVERT_MATCHING`; both sides need it).',
  },
  {
    name: 'welcomeMessage',
    immediate: true,
    kind: 'bytes', default: null, kinds: ['xpublisher'],
    rust: 'Option<Bytes>',
    binding: { js: 'Option<Buffer>', into: 'bytes_into_engine', from: 'bytes_from_engine' },
    libzmq: ['ZMQ_XPUB_WELCOME_MSG', 72, 'xpub_welcome_msg'],
    doc:
      'A message sent to each subscriber as its connection completes, before anything published\n' +
      '(libzmq `ZMQ_XPUB_WELCOME_MSG`; a string is sent as UTF-8); `null` or empty = none.',
  },
  {
    name: 'verbosity',
    immediate: true,
    kind: 'enum', values: [null, 'allSubs', 'allSubsUnsubs'], ts: 'XPublisherVerbosity', default: null,
    kinds: ['xpublisher'],
    rust: { type: 'XPublisherVerbosity', default: 'XPublisherVerbosity::Changes' },
    binding: { js: 'Option<String>', into: 'verbosity_into_engine', from: 'verbosity_from_engine' },
    // libzmq has two booleans for what is one value here.
    libzmq: [['ZMQ_XPUB_VERBOSE', 40, 'xpub_verbose'], ['ZMQ_XPUB_VERBOSER', 78, 'xpub_verboser']],
    hintOnly: true,
    doc:
      'Which subscription messages `receive()` yields: `null` = new subscriptions and last\n' +
      "unsubscriptions only; `'allSubs'` = every subscribe (libzmq `ZMQ_XPUB_VERBOSE`);\n" +
      "`'allSubsUnsubs'` = every subscribe and unsubscribe (`ZMQ_XPUB_VERBOSER`).",
  },
];

/**
 * Socket properties that are no options but have libzmq numbers v5-compat answers
 * (`getsockopt(ZMQ_TYPE)`); `null`: the v5 socket itself answers.
 */
const PROPERTIES = [
  { name: 'lastEndpoint', ts: 'string | null', libzmq: ['ZMQ_LAST_ENDPOINT', 32, 'last_endpoint'] },
  { name: null, libzmq: ['ZMQ_TYPE', 16] },
];

/**
 * Options zeromq.js has on a socket type that this engine does not implement: setting one throws a
 * TypeError that names it and says why, rather than doing nothing.
 */
const UNSUPPORTED = {
  publisher: { conflate: 'keeping only the newest outgoing message per subscriber is not implemented' },
  push: { conflate: 'keeping only the newest outgoing message is not implemented' },
  xpublisher: {
    manual: 'manual subscription handling (ZMQ_XPUB_MANUAL) is not implemented',
  },
};

/**
 * The option interfaces of index.d.ts: each has the options of its socket type that its parent
 * does not have.
 */
const INTERFACES = [
  { name: 'RequestOptions', kind: 'request', extends: 'SocketOptions', doc: 'Options of a {@link Request} socket: the common ones plus the REQ-specific ones.' },
  { name: 'RouterOptions', kind: 'router', extends: 'SocketOptions', doc: 'Options of a {@link Router} socket: the common ones plus the ROUTER-specific one.' },
  { name: 'DealerOptions', kind: 'dealer', extends: 'SocketOptions', doc: 'Options of a {@link Dealer} socket.' },
  { name: 'PublisherOptions', kind: 'publisher', extends: 'SocketOptions', doc: 'Options of a {@link Publisher} socket.' },
  { name: 'SubscriberOptions', kind: 'subscriber', extends: 'SocketOptions', doc: 'Options of a {@link Subscriber} socket.' },
  { name: 'XPublisherOptions', kind: 'xpublisher', extends: 'PublisherOptions', doc: 'Options of an {@link XPublisher} socket.' },
  { name: 'PullOptions', kind: 'pull', extends: 'SocketOptions', doc: 'Options of a {@link Pull} socket.' },
];

module.exports = { KINDS, OPTIONS, PROPERTIES, UNSUPPORTED, INTERFACES };
