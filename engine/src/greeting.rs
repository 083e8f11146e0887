//! The 64-byte ZMTP 3 greeting (RFC 23/37): signature, version, mechanism, as-server, filler.
//! STUB: signatures are the contract; bodies are being written.

use crate::error::ProtocolError;

pub const GREETING_LEN: usize = 64;
/// The signature (0xFF, 8 padding bytes, 0x7F) is enough to reject a non-ZMTP peer early.
pub const SIGNATURE_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub major: u8,
    pub minor: u8,
    /// Mechanism name, e.g. "NULL" or "CURVE" (without the NUL padding).
    pub mechanism: String,
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting: version 3.1.
    pub fn new(mechanism: &str, as_server: bool) -> Greeting {
        Greeting {
            major: 3,
            minor: 1,
            mechanism: mechanism.to_owned(),
            as_server,
        }
    }

    pub fn encode(&self) -> [u8; GREETING_LEN] {
        todo!("greeting::encode")
    }

    /// Checks the first `SIGNATURE_LEN` bytes (fewer is allowed: checks what is there).
    pub fn check_signature(prefix: &[u8]) -> Result<(), ProtocolError> {
        let _ = prefix;
        todo!("greeting::check_signature")
    }

    /// Parses a full greeting; major version must be 3 or more (a newer minor is accepted as 3.1).
    pub fn parse(bytes: &[u8; GREETING_LEN]) -> Result<Greeting, ProtocolError> {
        let _ = bytes;
        todo!("greeting::parse")
    }
}
