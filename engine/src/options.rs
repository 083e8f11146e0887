//! Socket options. Their names, types, defaults and docs come from the one option table
//! (`scripts/option-table.js`), generated into `option_table.rs`; here are the types they use.

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
    /// The serving socket's `zapDomain` (libzmq's ZAP domain), if set.
    pub domain: Option<Bytes>,
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
            .field("domain", &self.domain)
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

/// A password, kept out of `Debug` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(pub Option<Bytes>);

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

/// Which subscription messages an XPUB's `recv` yields (the `verbosity` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XPublisherVerbosity {
    /// New subscriptions and last cancels only (libzmq's default).
    #[default]
    Changes,
    /// Every subscribe (ZMQ_XPUB_VERBOSE).
    AllSubs,
    /// Every subscribe and every cancel (ZMQ_XPUB_VERBOSER).
    AllSubsUnsubs,
}

impl XPublisherVerbosity {
    /// Whether a subscription the XPUB already has is reported again.
    pub fn every_subscribe(self) -> bool {
        self != XPublisherVerbosity::Changes
    }

    /// Whether a cancel that leaves others of the same prefix is reported.
    pub fn every_unsubscribe(self) -> bool {
        self == XPublisherVerbosity::AllSubsUnsubs
    }
}

// The `Options` struct, its defaults and the defaults other modules name.
include!("option_table.rs");
