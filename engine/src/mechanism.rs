//! Security mechanisms, sans-IO, in the shape of libzmq's `mechanism_t`, so that CURVE (RFC 26)
//! can be added beside NULL without touching the socket types.
//! STUB: signatures are the contract; bodies are being written.

use crate::command::Metadata;
use crate::error::ProtocolError;
use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MechanismStatus {
    Handshaking,
    Ready,
}

pub trait Mechanism: Send {
    /// The name in the greeting ("NULL", "CURVE"...).
    fn name(&self) -> &'static str;
    /// The next handshake command to send (full command body: name-size, name, data), if one is due now.
    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError>;
    /// A handshake command body received from the peer.
    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError>;
    fn status(&self) -> MechanismStatus;
    /// The peer's READY (or equivalent) metadata, once received.
    fn peer_metadata(&self) -> Option<&Metadata>;
}

/// The NULL mechanism: each side sends READY with its metadata (Socket-Type, Identity) and waits for the peer's.
pub struct NullMechanism {
    local: Metadata,
    peer: Option<Metadata>,
    sent_ready: bool,
}

impl NullMechanism {
    /// `local` holds our READY properties (Socket-Type, and Identity when set).
    pub fn new(local: Metadata) -> NullMechanism {
        NullMechanism {
            local,
            peer: None,
            sent_ready: false,
        }
    }
}

impl Mechanism for NullMechanism {
    fn name(&self) -> &'static str {
        "NULL"
    }
    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        let _ = (&self.local, self.sent_ready);
        todo!("NullMechanism::next_command")
    }
    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        let _ = body;
        todo!("NullMechanism::process_command")
    }
    fn status(&self) -> MechanismStatus {
        todo!("NullMechanism::status")
    }
    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }
}
