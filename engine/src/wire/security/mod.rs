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
