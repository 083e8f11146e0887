//! ZMTP security mechanisms beyond NULL, sans-IO: PLAIN (RFC 24) and CURVE (RFC 26, as libzmq
//! speaks it), their keys (Z85, RFC 32) and what a server learns for its authentication decision.
//!
//! Everything here implements [`crate::wire::mechanism::Mechanism`]; [`Security`] is the per-socket
//! setting that builds the right one for each new connection.

pub mod config;
pub mod credentials;
pub mod curve;
pub mod data;
pub mod error;
pub mod keys;
pub mod plain;
mod server_handshake;
pub mod z85;

mod random;

#[cfg(test)]
mod robustness;
#[cfg(test)]
pub(crate) mod testing;

pub use config::Security;
pub use credentials::{Credentials, REFUSED_REASON};
pub use curve::{CurveClient, CurveServer};
pub use data::{FrameOpener, FrameSealer};
pub use error::SecurityError;
pub use keys::{curve_keypair, curve_public, CurveKeyPair, CurvePublicKey, CurveSecretKey};
pub use plain::{PlainClient, PlainServer};

// The handshake commands' names as a command body starts (name size, name): the same in PLAIN
// and CURVE.
pub(crate) const HELLO: &[u8] = b"\x05HELLO";
pub(crate) const WELCOME: &[u8] = b"\x07WELCOME";
pub(crate) const INITIATE: &[u8] = b"\x08INITIATE";
pub(crate) const READY: &[u8] = b"\x05READY";
pub(crate) const ERROR: &[u8] = b"\x05ERROR";
