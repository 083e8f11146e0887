//! Why a security setting was refused (a malformed key, an over-long PLAIN credential) or a
//! mechanism could not be created. These come from the caller's configuration, never from a peer:
//! the binding turns them into `TypeError`.

use super::z85::Z85Error;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityError {
    /// A key is neither 32 bytes nor 40 characters of Z85.
    KeyLength(usize),
    /// A 40-character key that is not valid Z85.
    KeyZ85(Z85Error),
    /// A CURVE public key of small order (e.g. all zeros): any box made with it can be opened by
    /// anyone, so libsodium refuses it and so do we.
    WeakKey,
    /// A PLAIN username or password over 255 bytes (the wire format's limit); names which.
    CredentialTooLong(&'static str),
    /// The OS random source failed (short-term keys, cookie key and nonces come from it).
    Random,
}

impl fmt::Display for SecurityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecurityError::KeyLength(n) => write!(
                f,
                "a CURVE key is 32 bytes or 40 characters of Z85, not {n} bytes"
            ),
            SecurityError::KeyZ85(e) => write!(f, "malformed CURVE key: {e}"),
            SecurityError::WeakKey => {
                write!(f, "the CURVE key is of small order and gives no secrecy")
            }
            SecurityError::CredentialTooLong(which) => {
                write!(f, "PLAIN {which} is longer than 255 bytes")
            }
            SecurityError::Random => write!(f, "the OS random source failed"),
        }
    }
}

impl std::error::Error for SecurityError {}

impl From<Z85Error> for SecurityError {
    fn from(e: Z85Error) -> SecurityError {
        SecurityError::KeyZ85(e)
    }
}
