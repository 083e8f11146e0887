//! Security mechanisms, sans-IO, in the shape of libzmq's `mechanism_t`, so that CURVE (RFC 26)
//! can be added beside NULL without touching the socket types.
//!
//! The handshake driver only pumps command bodies: it sends whatever `next_command` yields, feeds
//! every command frame it receives to `process_command`, and stops once `status` is `Ready`. A
//! mechanism with more round trips (CURVE: HELLO, WELCOME, INITIATE, READY) is just a longer state
//! machine behind the same three calls, and reports the peer's properties through `peer_metadata`.
//! To add CURVE: implement this trait, pick it in `handshake` by `config` and by the greeting's
//! mechanism name, and add two provided methods here, `encode_data(&mut self, frame) -> Bytes` and
//! `decode_data(&mut self, frame) -> Result<Bytes, ProtocolError>`, defaulting to the identity for
//! NULL; the connection then passes data frames through them after the handshake (CURVE wraps each
//! frame in a MESSAGE command box). Socket types never see the difference.

use crate::error::ProtocolError;
use crate::wire::command::{Command, Metadata};
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
        if self.sent_ready {
            return Ok(None);
        }
        self.sent_ready = true;
        Ok(Some(Command::Ready(self.local.clone()).to_body()))
    }

    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        match Command::parse(&body)? {
            Command::Ready(meta) if self.peer.is_none() => {
                self.peer = Some(meta);
                Ok(())
            }
            Command::Error(reason) => Err(ProtocolError::PeerError(reason)),
            other => Err(ProtocolError::UnexpectedCommand(other.name().to_owned())),
        }
    }

    fn status(&self) -> MechanismStatus {
        if self.sent_ready && self.peer.is_some() {
            MechanismStatus::Ready
        } else {
            MechanismStatus::Handshaking
        }
    }

    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Metadata {
        let mut m = Metadata::new();
        m.insert("Socket-Type", Bytes::from_static(b"REQ"));
        m
    }

    #[test]
    fn sends_ready_once_and_accepts_peer_ready() {
        let mut m = NullMechanism::new(local());
        assert_eq!(m.name(), "NULL");
        let first = m.next_command().unwrap().unwrap();
        assert_eq!(Command::parse(&first).unwrap(), Command::Ready(local()));
        assert_eq!(m.next_command().unwrap(), None);
        assert_eq!(m.status(), MechanismStatus::Handshaking);
        assert!(m.peer_metadata().is_none());
        let mut peer = Metadata::new();
        peer.insert("Socket-Type", Bytes::from_static(b"REP"));
        m.process_command(Command::Ready(peer.clone()).to_body())
            .unwrap();
        assert_eq!(m.status(), MechanismStatus::Ready);
        assert_eq!(m.peer_metadata(), Some(&peer));
    }

    #[test]
    fn peer_ready_before_ours_still_completes() {
        let mut m = NullMechanism::new(local());
        m.process_command(Command::Ready(Metadata::new()).to_body())
            .unwrap();
        assert_eq!(m.status(), MechanismStatus::Handshaking);
        assert!(m.next_command().unwrap().is_some());
        assert_eq!(m.status(), MechanismStatus::Ready);
    }

    #[test]
    fn error_and_unexpected_commands() {
        let mut m = NullMechanism::new(local());
        assert_eq!(
            m.process_command(Command::Error("denied".into()).to_body()),
            Err(ProtocolError::PeerError("denied".into()))
        );
        let mut m = NullMechanism::new(local());
        assert_eq!(
            m.process_command(
                Command::Ping {
                    ttl: 0,
                    context: Bytes::new()
                }
                .to_body()
            ),
            Err(ProtocolError::UnexpectedCommand("PING".into()))
        );
        let mut m = NullMechanism::new(local());
        m.process_command(Command::Ready(Metadata::new()).to_body())
            .unwrap();
        assert_eq!(
            m.process_command(Command::Ready(Metadata::new()).to_body()),
            Err(ProtocolError::UnexpectedCommand("READY".into()))
        );
        let mut m = NullMechanism::new(local());
        assert!(matches!(
            m.process_command(Bytes::from_static(b"\x05REA")),
            Err(ProtocolError::BadCommand(_))
        ));
    }
}
