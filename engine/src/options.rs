//! Socket options, mirroring the option table of the JS contract (`API.md` at the repository root).
//! Durations are kept as signed milliseconds with the contract's conventions (-1 = forever, 0 = off/none)
//! so the binding can pass values through and read them back unchanged; `time` decodes them.

use crate::key_cell::KeyCell;
use bytes::Bytes;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What one received frame costs beyond its body, as `max_message_size` counts it: its `Bytes`
/// handle, its slot in the message's `Vec` (which may be twice what it uses) and its header's
/// bytes held in the shared read buffer, rounded up. An empty frame is not free.
pub const FRAME_COST: u64 = 128;

/// Frames of a message whose [`FRAME_COST`] is not counted: the envelope and parts of real
/// messages (a REQ's empty delimiter, a ROUTER's identities), so that their bodies alone may
/// still fill `max_message_size`, as in libzmq. Their bookkeeping is the bound's constant.
pub const FREE_FRAMES: usize = 16;

/// `max_message_frames` by default: far more than real messages have (an envelope and a few
/// parts), far less than what a peer could pack into a large message to make it costly.
pub const DEFAULT_MAX_MESSAGE_FRAMES: u32 = 4096;

/// `max_command_size` by default: libzmq's handshake commands are a few hundred bytes.
pub const DEFAULT_MAX_COMMAND_SIZE: u32 = 64 * 1024;

/// A CURVE key as the options hold it: 32 raw bytes (the binding decodes Z85).
pub type CurveKey = [u8; 32];

/// What a server knows of a client when it decides whether to serve it (`authenticate`).
#[derive(Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// "NULL", "PLAIN" or "CURVE".
    pub mechanism: &'static str,
    /// The remote end, e.g. `tcp://127.0.0.1:51234`.
    pub address: String,
    /// CURVE: the client's long-term public key (proven by its vouch), as Z85.
    pub public_key: Option<String>,
    /// PLAIN: what the client claimed.
    pub username: Option<Bytes>,
    pub password: Option<Bytes>,
    /// The client's Identity property, if it sent one.
    pub routing_id: Option<Bytes>,
}

impl fmt::Debug for PeerInfo {
    // The password stays out of logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerInfo")
            .field("mechanism", &self.mechanism)
            .field("address", &self.address)
            .field("public_key", &self.public_key)
            .field("username", &self.username)
            .field("routing_id", &self.routing_id)
            .finish_non_exhaustive()
    }
}

/// The decision point after a handshake (libzmq's ZAP handler, RFC 27, in process): `false`
/// refuses the peer before anything of it is delivered.
pub trait Authenticator: Send + Sync {
    fn authenticate(&self, peer: PeerInfo) -> Pin<Box<dyn Future<Output = bool> + Send>>;
}

/// An [`Authenticator`] as an option value: equal only to itself (the same hook).
#[derive(Clone)]
pub struct AuthenticatorHook(pub Arc<dyn Authenticator>);

impl fmt::Debug for AuthenticatorHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthenticatorHook")
    }
}

impl PartialEq for AuthenticatorHook {
    fn eq(&self, other: &AuthenticatorHook) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for AuthenticatorHook {}

/// Our CURVE secret key, if set. Kept out of `Debug` output (a secret key must not reach a log);
/// cloning the options, as every new connection does, shares the key instead of copying it, and
/// its bytes are wiped when the last handle goes (see [`KeyCell`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretKey(pub Option<KeyCell>);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// ms before a pending receive fails EAGAIN; -1 = forever.
    pub receive_timeout: i64,
    /// ms a send may wait for a peer / queue room before EAGAIN; -1 = forever.
    pub send_timeout: i64,
    /// ms close() keeps delivering queued outgoing messages (-1 = until delivered, 0 = drop).
    pub linger: i64,
    /// Reconnect back-off start (ms); negative = do not reconnect (libzmq's -1).
    pub reconnect_interval: i64,
    /// Reconnect back-off cap (ms); 0 = no back-off growth (always `reconnect_interval`).
    pub reconnect_max_interval: i64,
    /// ms for one TCP connect attempt; 0 = OS default.
    pub connect_timeout: i64,
    /// ms a new connection may take to finish the ZMTP handshake; 0 = no limit.
    pub handshake_interval: i64,
    /// ms between PINGs we send; 0 = off.
    pub heartbeat_interval: i64,
    /// ms of silence after which a peer is dropped; 0 = `heartbeat_interval`.
    pub heartbeat_timeout: i64,
    /// ms TTL we announce in our PINGs (the peer drops us after this much silence); 0 = none.
    pub heartbeat_ttl: i64,
    /// Largest inbound message in bytes (its frames' bodies, plus [`FRAME_COST`] for every frame
    /// after the first [`FREE_FRAMES`]); -1 = unlimited.
    pub max_message_size: i64,
    /// Most frames one inbound message may have; 0 = no limit.
    pub max_message_frames: u32,
    /// Largest inbound command (the handshake's, PING...) in bytes. Unlike `max_message_size` it
    /// always has a limit: what a peer sends before it is authenticated must not cost more.
    pub max_command_size: u32,
    /// Outgoing messages queued per peer; 0 = no limit (as in libzmq).
    pub send_hwm: u32,
    /// Incoming messages queued per peer; 0 = no limit (as in libzmq).
    pub receive_hwm: u32,
    /// Identity sent to peers in READY.
    pub routing_id: Option<Bytes>,
    /// REQ only: request-id frame before each request (ZMQ_REQ_CORRELATE).
    pub correlate: bool,
    /// REQ only: a new send abandons a pending request (ZMQ_REQ_RELAXED).
    pub relaxed: bool,
    /// ROUTER only: a message for an unknown peer fails EHOSTUNREACH instead of being dropped,
    /// and one for a full peer waits (ZMQ_ROUTER_MANDATORY).
    pub router_mandatory: bool,
    /// SUB, XSUB, PULL, PAIR, DEALER: keep only the newest received message (ZMQ_CONFLATE).
    pub conflate: bool,
    /// SUB, XSUB, PUB, XPUB: a subscription selects the messages that do *not* match it
    /// (ZMQ_INVERT_MATCHING).
    pub invert_matching: bool,
    /// XPUB: a send waits for a matching subscriber whose queue is full instead of dropping the
    /// message for it (ZMQ_XPUB_NODROP).
    pub no_drop: bool,
    /// XPUB: every subscription message reaches `recv`, not only new ones (ZMQ_XPUB_VERBOSE).
    pub xpub_verbose: bool,
    /// XPUB: as `xpub_verbose`, and every unsubscription too (ZMQ_XPUB_VERBOSER).
    pub xpub_verboser: bool,
    /// This side is the CURVE server (needs `curve_secret_key`).
    pub curve_server: bool,
    pub curve_secret_key: SecretKey,
    /// Our long-term public key; derived from the secret key when `None`.
    pub curve_public_key: Option<CurveKey>,
    /// Client side: the server's public key; setting it makes this side a CURVE client.
    pub curve_server_key: Option<CurveKey>,
    /// This side is the PLAIN server.
    pub plain_server: bool,
    /// Setting either makes this side a PLAIN client.
    pub plain_username: Option<Bytes>,
    pub plain_password: SecretBytes,
    /// Called for each new connection once its handshake is complete (server roles and NULL).
    pub authenticator: Option<AuthenticatorHook>,
}

/// A password, kept out of `Debug` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(pub Option<Bytes>);

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            receive_timeout: -1,
            send_timeout: -1,
            linger: 1000,
            reconnect_interval: 100,
            reconnect_max_interval: 0,
            connect_timeout: 0,
            handshake_interval: 30_000,
            heartbeat_interval: 0,
            heartbeat_timeout: 0,
            heartbeat_ttl: 0,
            max_message_size: -1,
            max_message_frames: DEFAULT_MAX_MESSAGE_FRAMES,
            max_command_size: DEFAULT_MAX_COMMAND_SIZE,
            send_hwm: 1000,
            receive_hwm: 1000,
            routing_id: None,
            correlate: false,
            relaxed: false,
            router_mandatory: false,
            conflate: false,
            invert_matching: false,
            no_drop: false,
            xpub_verbose: false,
            xpub_verboser: false,
            curve_server: false,
            curve_secret_key: SecretKey(None),
            curve_public_key: None,
            curve_server_key: None,
            plain_server: false,
            plain_username: None,
            plain_password: SecretBytes(None),
            authenticator: None,
        }
    }
}
