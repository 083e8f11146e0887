//! Security mechanisms, sans-IO, in the shape of libzmq's `mechanism_t`: NULL here, PLAIN and
//! CURVE in [`crate::wire::security`], all behind the same trait so socket types never see the difference.
//!
//! The handshake driver pumps command bodies: it sends whatever `next_command` yields, feeds every
//! command frame it receives to `process_command`, and stops once `status` is `Ready`. A mechanism
//! with more round trips (CURVE: HELLO, WELCOME, INITIATE, READY) is a longer state machine behind
//! the same calls, and reports the peer's properties through `peer_metadata`.
//!
//! A server mechanism built to authenticate stops at `AwaitingAuth` once the client's credentials
//! are known (and, for CURVE, proven): the driver reads `peer_credentials`, makes its decision
//! (possibly asynchronously) and calls `authorize`. Refused, the mechanism turns `Refused` and
//! `next_command` yields one ERROR for the driver to send before it closes the connection.
//!
//! Once `Ready`, `into_data_phase` turns the mechanism into the data phase: a writer's half
//! ([`FrameSealer`]) and a reader's half ([`FrameOpener`]) for different tasks, through which every
//! frame passes both ways: the identity for NULL and PLAIN (`Clear`, so the zero-copy writes stay),
//! a MESSAGE box for CURVE.

use crate::error::ProtocolError;
use crate::wire::command::{self, name_of, Command, Metadata};
use crate::wire::security::credentials::{Credentials, REFUSED_REASON};
use crate::wire::security::data::{FrameOpener, FrameSealer};
use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MechanismStatus {
    Handshaking,
    /// Server side, built to authenticate: `peer_credentials` (and `peer_metadata`) are final and
    /// nothing moves until `authorize` is called. Nothing may be read from the peer meanwhile.
    AwaitingAuth,
    Ready,
    /// `authorize(false)` was called: send what `next_command` still yields (an ERROR), then close.
    Refused,
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

    /// The greeting's as-server bit: true for the PLAIN and CURVE server roles.
    fn as_server(&self) -> bool {
        false
    }

    /// What the peer proved or claimed, for the authentication decision. Final once the status is
    /// `AwaitingAuth` or `Ready`; `Credentials::Null` for NULL and for client-side mechanisms.
    fn peer_credentials(&self) -> Credentials {
        Credentials::Null
    }

    /// The decision `AwaitingAuth` waits for; ignored in any other state.
    fn authorize(&mut self, allowed: bool) {
        let _ = allowed;
    }

    /// Once `Ready`: the data phase as a writer's half and a reader's half, so that the two sides
    /// of a connection need not share the mechanism. Pass-through for NULL and PLAIN.
    fn into_data_phase(self: Box<Self>) -> Result<(FrameSealer, FrameOpener), ProtocolError> {
        Ok((FrameSealer::Clear, FrameOpener::Clear))
    }
}

/// The NULL mechanism: each side sends READY with its metadata (Socket-Type, Identity) and waits for the peer's.
pub struct NullMechanism {
    local: Metadata,
    peer: Option<Metadata>,
    sent_ready: bool,
    auth: Auth,
}

/// Where an authenticating NULL server is in its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// Not authenticating: READY goes out at once.
    Off,
    Pending,
    Allowed,
    Denied {
        error_sent: bool,
    },
}

impl NullMechanism {
    /// `local` holds our READY properties (Socket-Type, and Identity when set).
    pub fn new(local: Metadata) -> NullMechanism {
        NullMechanism {
            local,
            peer: None,
            sent_ready: false,
            auth: Auth::Off,
        }
    }

    /// A NULL server that holds its READY back until the peer's READY is in and `authorize` was
    /// called, so the decision can use the peer's Identity, and a refused peer gets an ERROR
    /// instead of a READY (libzmq's NULL with a ZAP handler). Both ends of a connection must not
    /// do this, or each waits for the other's READY.
    pub fn authenticating(local: Metadata) -> NullMechanism {
        NullMechanism {
            auth: Auth::Pending,
            ..NullMechanism::new(local)
        }
    }
}

impl Mechanism for NullMechanism {
    fn name(&self) -> &'static str {
        "NULL"
    }

    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        match self.auth {
            Auth::Pending => return Ok(None),
            Auth::Denied { error_sent: false } => {
                self.auth = Auth::Denied { error_sent: true };
                return Ok(Some(Command::Error(REFUSED_REASON.into()).to_body()));
            }
            Auth::Denied { error_sent: true } => return Ok(None),
            Auth::Off | Auth::Allowed => {}
        }
        if self.sent_ready {
            return Ok(None);
        }
        self.sent_ready = true;
        Ok(Some(Command::Ready(self.local.clone()).to_body()))
    }

    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        if matches!(self.auth, Auth::Denied { .. })
            || self.status() == MechanismStatus::AwaitingAuth
        {
            return Err(ProtocolError::UnexpectedCommand(
                "command while the peer is being authenticated".into(),
            ));
        }
        // Only a READY still awaited or an ERROR is parsed: anything else is named from its
        // header, whatever its body holds.
        let name = name_of(&body);
        let expected = match name.as_str() {
            command::READY => self.peer.is_none(),
            command::ERROR => true,
            _ => false,
        };
        if !expected {
            return Err(ProtocolError::UnexpectedCommand(name));
        }
        match Command::parse(&body)? {
            Command::Ready(meta) => {
                self.peer = Some(meta);
                Ok(())
            }
            Command::Error(reason) => Err(ProtocolError::PeerError(reason)),
            other => Err(ProtocolError::UnexpectedCommand(other.name().to_owned())),
        }
    }

    fn status(&self) -> MechanismStatus {
        match self.auth {
            Auth::Denied { .. } => MechanismStatus::Refused,
            Auth::Pending if self.peer.is_some() => MechanismStatus::AwaitingAuth,
            _ if self.sent_ready && self.peer.is_some() => MechanismStatus::Ready,
            _ => MechanismStatus::Handshaking,
        }
    }

    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }

    fn authorize(&mut self, allowed: bool) {
        if self.status() == MechanismStatus::AwaitingAuth {
            self.auth = if allowed {
                Auth::Allowed
            } else {
                Auth::Denied { error_sent: false }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::Frame;

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
        assert_eq!(
            m.process_command(Bytes::from_static(b"\x05REA")),
            Err(ProtocolError::UnexpectedCommand("malformed command".into()))
        );
    }

    #[test]
    fn null_defaults_are_the_identity_on_data() {
        let mut m = NullMechanism::new(local());
        assert!(!m.as_server());
        assert_eq!(m.peer_credentials(), Credentials::Null);
        // Not authenticating: `authorize` is ignored.
        m.authorize(false);
        assert_eq!(m.status(), MechanismStatus::Handshaking);
        let m: Box<dyn Mechanism> = Box::new(m);
        let (mut sealer, mut opener) = m.into_data_phase().unwrap();
        assert!(!sealer.encrypts() && !opener.decrypts());
        assert_eq!(sealer.overhead(), 0);
        let frame = Frame::Data {
            more: true,
            body: Bytes::from_static(b"abc"),
        };
        assert_eq!(sealer.seal(frame.clone()).unwrap(), frame);
        assert_eq!(opener.open(frame.clone()).unwrap(), frame);
        let mut out = bytes::BytesMut::new();
        sealer.seal_into(b"abc", true, false, &mut out).unwrap();
        assert_eq!(&out[..], b"\x01\x03abc");
    }

    #[test]
    fn authenticating_null_holds_ready_until_the_decision() {
        let mut m = NullMechanism::authenticating(local());
        assert_eq!(m.next_command().unwrap(), None);
        // A decision before the peer's READY is ignored.
        m.authorize(true);
        assert_eq!(m.next_command().unwrap(), None);
        let mut peer = Metadata::new();
        peer.insert("Identity", Bytes::from_static(b"me"));
        m.process_command(Command::Ready(peer.clone()).to_body())
            .unwrap();
        assert_eq!(m.status(), MechanismStatus::AwaitingAuth);
        assert_eq!(m.peer_metadata(), Some(&peer));
        assert_eq!(m.next_command().unwrap(), None);
        assert!(m
            .process_command(Command::Ready(Metadata::new()).to_body())
            .is_err());
        m.authorize(true);
        assert_eq!(
            Command::parse(&m.next_command().unwrap().unwrap()).unwrap(),
            Command::Ready(local())
        );
        assert_eq!(m.status(), MechanismStatus::Ready);

        let mut m = NullMechanism::authenticating(local());
        m.process_command(Command::Ready(Metadata::new()).to_body())
            .unwrap();
        m.authorize(false);
        assert_eq!(m.status(), MechanismStatus::Refused);
        assert_eq!(
            Command::parse(&m.next_command().unwrap().unwrap()).unwrap(),
            Command::Error("400".into())
        );
        assert_eq!(m.next_command().unwrap(), None);
        assert_eq!(m.status(), MechanismStatus::Refused);
        m.authorize(true);
        assert_eq!(m.status(), MechanismStatus::Refused);
    }
}
