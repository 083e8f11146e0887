//! PLAIN (ZMTP RFC 24): the client sends its username and password in clear in HELLO, the server
//! answers WELCOME, the client sends its metadata in INITIATE, the server its own in READY.
//!
//! libzmq's server consults ZAP between HELLO and WELCOME; ours decides after INITIATE, so the
//! decision can also see the client's metadata (its Identity). A libzmq client accepts ERROR at
//! either point, so a refusal reads the same to it.
//!
//! libzmq spells PLAIN's ERROR as the C literal `"\x05ERROR"`, whose hex escape swallows the `E`:
//! on the wire its PLAIN servers send 0x5E `RROR` (five bytes), the reason's length, the reason,
//! and its PLAIN clients recognise nothing else (a well-formed ERROR fails their handshake as an
//! "unexpected command" instead of an authentication failure). Our server sends libzmq's form so
//! that libzmq clients report the refusal as one; our client accepts both forms.

use crate::error::ProtocolError;
use crate::wire::command::{name_of, Command, Metadata};
use crate::wire::mechanism::{Mechanism, MechanismStatus};
use crate::wire::security::credentials::{Credentials, REFUSED_REASON};
use crate::wire::security::server_handshake::{ServerHandshake, ServerState, ServerSteps};
use crate::wire::security::{SecurityError, ERROR, HELLO, INITIATE, READY, WELCOME};
use bytes::{BufMut, Bytes, BytesMut};

/// libzmq's PLAIN ERROR name (see the module comment).
const LIBZMQ_ERROR: &[u8] = b"^RROR";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    SendHello,
    ExpectWelcome,
    SendInitiate,
    ExpectReady,
    Ready,
    Failed,
}

pub struct PlainClient {
    state: ClientState,
    username: Bytes,
    password: Bytes,
    local: Metadata,
    peer: Option<Metadata>,
}

impl PlainClient {
    /// `local`: our INITIATE metadata. Username and password are at most 255 bytes each.
    pub fn new(
        username: Bytes,
        password: Bytes,
        local: Metadata,
    ) -> Result<PlainClient, SecurityError> {
        if username.len() > usize::from(u8::MAX) {
            return Err(SecurityError::CredentialTooLong("username"));
        }
        if password.len() > usize::from(u8::MAX) {
            return Err(SecurityError::CredentialTooLong("password"));
        }
        Ok(PlainClient {
            state: ClientState::SendHello,
            username,
            password,
            local,
            peer: None,
        })
    }

    fn hello(&self) -> Bytes {
        let mut out =
            BytesMut::with_capacity(HELLO.len() + 2 + self.username.len() + self.password.len());
        out.extend_from_slice(HELLO);
        // Both lengths were checked in `new`.
        out.put_u8(self.username.len() as u8);
        out.extend_from_slice(&self.username);
        out.put_u8(self.password.len() as u8);
        out.extend_from_slice(&self.password);
        out.freeze()
    }

    fn process(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        match self.state {
            ClientState::ExpectWelcome if body.starts_with(WELCOME) => {
                if body.len() != WELCOME.len() {
                    return Err(ProtocolError::BadCommand("PLAIN WELCOME with data"));
                }
                self.state = ClientState::SendInitiate;
                Ok(())
            }
            ClientState::ExpectReady if body.starts_with(READY) => match Command::parse(body)? {
                Command::Ready(meta) => {
                    self.peer = Some(meta);
                    self.state = ClientState::Ready;
                    Ok(())
                }
                other => Err(ProtocolError::UnexpectedCommand(other.name().to_owned())),
            },
            ClientState::ExpectWelcome | ClientState::ExpectReady if body.starts_with(ERROR) => {
                match Command::parse(body)? {
                    Command::Error(reason) => Err(ProtocolError::PeerError(reason)),
                    other => Err(ProtocolError::UnexpectedCommand(other.name().to_owned())),
                }
            }
            ClientState::ExpectWelcome | ClientState::ExpectReady
                if body.starts_with(LIBZMQ_ERROR) =>
            {
                let mut rest = body.slice(LIBZMQ_ERROR.len()..);
                let reason = take_short(&mut rest)
                    .ok_or(ProtocolError::BadCommand("truncated ERROR reason"))?;
                Err(ProtocolError::PeerError(
                    String::from_utf8_lossy(&reason).into_owned(),
                ))
            }
            _ => Err(ProtocolError::UnexpectedCommand(name_of(body))),
        }
    }
}

impl Mechanism for PlainClient {
    fn name(&self) -> &'static str {
        "PLAIN"
    }

    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        match self.state {
            ClientState::SendHello => {
                self.state = ClientState::ExpectWelcome;
                Ok(Some(self.hello()))
            }
            ClientState::SendInitiate => {
                self.state = ClientState::ExpectReady;
                let mut out = BytesMut::new();
                out.extend_from_slice(INITIATE);
                self.local.encode(&mut out);
                Ok(Some(out.freeze()))
            }
            _ => Ok(None),
        }
    }

    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        let result = self.process(&body);
        if result.is_err() {
            self.state = ClientState::Failed;
        }
        result
    }

    fn status(&self) -> MechanismStatus {
        match self.state {
            ClientState::Ready => MechanismStatus::Ready,
            _ => MechanismStatus::Handshaking,
        }
    }

    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }
}

pub struct PlainServer {
    handshake: ServerHandshake,
    local: Metadata,
    username: Bytes,
    password: Bytes,
    peer: Option<Metadata>,
}

impl PlainServer {
    /// `local`: our READY metadata. With `authenticate`, the handshake stops at `AwaitingAuth`
    /// after INITIATE until `authorize`.
    pub fn new(local: Metadata, authenticate: bool) -> PlainServer {
        PlainServer {
            handshake: ServerHandshake::new(authenticate),
            local,
            username: Bytes::new(),
            password: Bytes::new(),
            peer: None,
        }
    }
}

impl ServerSteps for PlainServer {
    fn handshake(&mut self) -> &mut ServerHandshake {
        &mut self.handshake
    }

    fn hello(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        let mut rest = body.slice(HELLO.len()..);
        let username = take_short(&mut rest)
            .ok_or(ProtocolError::BadCommand("PLAIN HELLO without a username"))?;
        let password = take_short(&mut rest)
            .ok_or(ProtocolError::BadCommand("PLAIN HELLO without a password"))?;
        if !rest.is_empty() {
            return Err(ProtocolError::BadCommand("PLAIN HELLO with trailing bytes"));
        }
        self.username = username;
        self.password = password;
        Ok(())
    }

    fn welcome(&mut self) -> Result<Bytes, ProtocolError> {
        Ok(Bytes::from_static(WELCOME))
    }

    fn initiate(&mut self, body: &Bytes) -> Result<(), ProtocolError> {
        self.peer = Some(Metadata::parse(&body.slice(INITIATE.len()..))?);
        Ok(())
    }

    fn ready(&mut self) -> Result<Bytes, ProtocolError> {
        Ok(Command::Ready(self.local.clone()).to_body())
    }

    fn refusal(&self) -> Bytes {
        libzmq_error(REFUSED_REASON)
    }
}

impl Mechanism for PlainServer {
    fn name(&self) -> &'static str {
        "PLAIN"
    }

    fn next_command(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        self.next_server_command()
    }

    fn process_command(&mut self, body: Bytes) -> Result<(), ProtocolError> {
        self.process_server_command(&body)
    }

    fn status(&self) -> MechanismStatus {
        self.handshake.status()
    }

    fn peer_metadata(&self) -> Option<&Metadata> {
        self.peer.as_ref()
    }

    fn as_server(&self) -> bool {
        true
    }

    fn peer_credentials(&self) -> Credentials {
        match self.handshake.state() {
            ServerState::ExpectHello | ServerState::Failed => Credentials::Null,
            _ => Credentials::Plain {
                username: self.username.clone(),
                password: self.password.clone(),
            },
        }
    }

    fn authorize(&mut self, allowed: bool) {
        self.handshake.authorize(allowed);
    }
}

/// ERROR as libzmq's PLAIN sends it (see the module comment); `reason` is at most 255 bytes.
fn libzmq_error(reason: &str) -> Bytes {
    let reason = reason.as_bytes();
    let reason = reason.get(..usize::from(u8::MAX)).unwrap_or(reason);
    let mut out = BytesMut::with_capacity(LIBZMQ_ERROR.len() + 1 + reason.len());
    out.extend_from_slice(LIBZMQ_ERROR);
    out.put_u8(reason.len() as u8);
    out.extend_from_slice(reason);
    out.freeze()
}

/// A 1-byte length and that many bytes.
fn take_short(rest: &mut Bytes) -> Option<Bytes> {
    let len = usize::from(*rest.first()?);
    if rest.len() < 1 + len {
        return None;
    }
    let value = rest.slice(1..1 + len);
    *rest = rest.slice(1 + len..);
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::security::testing::{drive, local};

    fn pair(authenticate: bool) -> (PlainClient, PlainServer) {
        let client = PlainClient::new(
            Bytes::from_static(b"admin"),
            Bytes::from_static(b"secret"),
            local("DEALER", Some(b"client-1")),
        )
        .unwrap();
        (
            client,
            PlainServer::new(local("ROUTER", None), authenticate),
        )
    }

    #[test]
    fn handshake_without_authentication() {
        let (mut c, mut s) = pair(false);
        drive(&mut c, &mut s).unwrap();
        assert_eq!(c.status(), MechanismStatus::Ready);
        assert_eq!(s.status(), MechanismStatus::Ready);
        assert_eq!(
            s.peer_metadata().unwrap().get("Identity").unwrap(),
            &Bytes::from_static(b"client-1")
        );
        assert_eq!(
            c.peer_metadata().unwrap().get("Socket-Type").unwrap(),
            &Bytes::from_static(b"ROUTER")
        );
        assert!(s.as_server() && !c.as_server());
        assert_eq!(c.name(), "PLAIN");
        let c: Box<dyn Mechanism> = Box::new(c);
        let s: Box<dyn Mechanism> = Box::new(s);
        let ((c_seal, c_open), (s_seal, s_open)) =
            (c.into_data_phase().unwrap(), s.into_data_phase().unwrap());
        assert!(!c_seal.encrypts() && !c_open.decrypts());
        assert!(!s_seal.encrypts() && !s_open.decrypts());
    }

    #[test]
    fn wire_format_matches_rfc24() {
        let (mut c, _) = pair(false);
        assert_eq!(
            &c.next_command().unwrap().unwrap()[..],
            b"\x05HELLO\x05admin\x06secret"
        );
        assert_eq!(c.next_command().unwrap(), None);
        c.process_command(Bytes::from_static(b"\x07WELCOME"))
            .unwrap();
        let initiate = c.next_command().unwrap().unwrap();
        assert!(initiate.starts_with(b"\x08INITIATE\x0bSocket-Type\x00\x00\x00\x06DEALER"));
    }

    #[test]
    fn authorize_allows_and_exposes_credentials() {
        let (mut c, mut s) = pair(true);
        drive(&mut c, &mut s).unwrap();
        assert_eq!(s.status(), MechanismStatus::AwaitingAuth);
        assert_eq!(
            s.peer_credentials(),
            Credentials::Plain {
                username: Bytes::from_static(b"admin"),
                password: Bytes::from_static(b"secret"),
            }
        );
        assert!(s.peer_metadata().is_some());
        assert_eq!(s.next_command().unwrap(), None);
        s.authorize(true);
        drive(&mut c, &mut s).unwrap();
        assert_eq!(c.status(), MechanismStatus::Ready);
        assert_eq!(s.status(), MechanismStatus::Ready);
        // A second decision changes nothing.
        s.authorize(false);
        assert_eq!(s.status(), MechanismStatus::Ready);
    }

    #[test]
    fn deny_sends_error_and_client_fails() {
        let (mut c, mut s) = pair(true);
        drive(&mut c, &mut s).unwrap();
        s.authorize(false);
        assert_eq!(s.status(), MechanismStatus::Refused);
        let error = s.next_command().unwrap().unwrap();
        // libzmq's spelling, what libzmq PLAIN clients understand.
        assert_eq!(&error[..], b"^RROR\x03400");
        assert_eq!(s.next_command().unwrap(), None);
        assert_eq!(s.status(), MechanismStatus::Refused);
        assert_eq!(
            c.process_command(error),
            Err(ProtocolError::PeerError("400".into()))
        );
        assert!(s.process_command(Bytes::from_static(b"\x05READY")).is_err());
        assert_eq!(s.status(), MechanismStatus::Refused);
    }

    #[test]
    fn malformed_hello_and_initiate() {
        let bad_hellos: [&[u8]; 6] = [
            b"\x05HELLO",
            b"\x05HELLO\x05adm",
            b"\x05HELLO\x05admin",
            b"\x05HELLO\x05admin\x06sec",
            b"\x05HELLO\x05admin\x06secretX",
            b"\x05READY",
        ];
        for hello in bad_hellos {
            let mut s = PlainServer::new(local("REP", None), false);
            assert!(
                s.process_command(Bytes::from_static(hello)).is_err(),
                "{hello:?}"
            );
            assert_eq!(s.next_command().unwrap(), None);
            assert!(s
                .process_command(Bytes::from_static(b"\x05HELLO\x00\x00"))
                .is_err());
        }
        let mut s = PlainServer::new(local("REP", None), false);
        s.process_command(Bytes::from_static(b"\x05HELLO\x00\x00"))
            .unwrap();
        assert_eq!(
            s.peer_credentials(),
            Credentials::Plain {
                username: Bytes::new(),
                password: Bytes::new()
            }
        );
        assert!(s.next_command().unwrap().is_some());
        assert!(s
            .process_command(Bytes::from_static(b"\x08INITIATE\x0bSocket-Type"))
            .is_err());
        assert_eq!(s.status(), MechanismStatus::Handshaking);
    }

    #[test]
    fn client_refuses_out_of_order_and_malformed() {
        let (mut c, _) = pair(false);
        c.next_command().unwrap();
        assert!(c.process_command(Bytes::from_static(b"\x05READY")).is_err());
        let (mut c, _) = pair(false);
        c.next_command().unwrap();
        assert!(c
            .process_command(Bytes::from_static(b"\x07WELCOMEextra"))
            .is_err());
        let (mut c, _) = pair(false);
        c.next_command().unwrap();
        assert_eq!(
            c.process_command(Bytes::from_static(b"\x05ERROR\x04nope")),
            Err(ProtocolError::PeerError("nope".into()))
        );
        assert!(c
            .process_command(Bytes::from_static(b"\x07WELCOME"))
            .is_err());
    }

    #[test]
    fn overlong_credentials_are_refused_at_construction() {
        let long = Bytes::from(vec![b'x'; 256]);
        assert_eq!(
            PlainClient::new(long.clone(), Bytes::new(), Metadata::new()).err(),
            Some(SecurityError::CredentialTooLong("username"))
        );
        assert_eq!(
            PlainClient::new(Bytes::new(), long, Metadata::new()).err(),
            Some(SecurityError::CredentialTooLong("password"))
        );
        assert!(
            PlainClient::new(Bytes::from(vec![b'x'; 255]), Bytes::new(), Metadata::new()).is_ok()
        );
    }
}
