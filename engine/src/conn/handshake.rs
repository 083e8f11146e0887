//! Drives the greeting exchange and a mechanism over an async byte stream, then checks socket types;
//! or, for a ZMTP 2.0 peer (RFC 15), the downgraded greeting that has neither.
//!
//! Reads go into one growing buffer in chunks of at most [`READ_CHUNK`] bytes, so memory follows
//! what the peer actually sent; every frame length is checked by the codec before its body arrives.

use crate::error::ProtocolError;
use crate::options::{AuthenticatorHook, PeerInfo};
use crate::wire::codec::{self, Decoder};
use crate::wire::command::Command;
use crate::wire::command::Metadata;
use crate::wire::greeting::{
    Greeting, Revision, Zmtp2Greeting, GREETING_LEN, SIGNATURE_LEN, VERSION_PREFIX_LEN,
};
use crate::wire::mechanism::{Mechanism, MechanismStatus};
use crate::wire::security::credentials::{Credentials, REFUSED_REASON};
use crate::wire::security::data::{FrameOpener, FrameSealer};
use crate::wire::security::Security;
use crate::wire::socket_type::SocketType;
use bytes::{Bytes, BytesMut};
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Upper bound of one read during the handshake.
const READ_CHUNK: usize = 8 * 1024;
/// Lower bound of one read: fewer syscalls, and a first message pipelined behind the peer's READY
/// lands in `leftover` instead of waiting for the next read.
const MIN_READ: usize = 512;

#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    pub socket_type: SocketType,
    /// Our Identity property (routing id) if set.
    pub identity: Option<Bytes>,
    /// `as-server` bit of our greeting (always false for NULL).
    pub as_server: bool,
    /// Limit for the whole handshake; `None` = no limit.
    pub timeout: Option<Duration>,
    /// `maxMessageSize` also bounds handshake commands (< 0 = unlimited).
    pub max_message_size: i64,
    /// `maxCommandSize`: the limit of every handshake command, whatever `max_message_size` is.
    pub max_command_size: u32,
}

/// The security side of a handshake: which mechanism, and who decides whether a peer is served.
#[derive(Debug, Clone, Default)]
pub struct SecuritySetup {
    pub security: Security,
    /// Asked once the handshake is cryptographically complete; `None` accepts every peer.
    pub authenticator: Option<AuthenticatorHook>,
    /// The remote end as the authenticator sees it (`tcp://127.0.0.1:51234`).
    pub peer_address: String,
    /// The socket's `zapDomain`, told to the authenticator.
    pub domain: Option<Bytes>,
}

/// The connection's data phase after the handshake: a writer's and a reader's half.
pub struct DataPhase {
    pub sealer: FrameSealer,
    pub opener: FrameOpener,
}

impl fmt::Debug for DataPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataPhase")
            .field("encrypted", &self.sealer.encrypts())
            .finish()
    }
}

impl Default for DataPhase {
    fn default() -> DataPhase {
        DataPhase {
            sealer: FrameSealer::Clear,
            opener: FrameOpener::Clear,
        }
    }
}

/// What the handshake learned about the peer.
#[derive(Debug)]
pub struct Handshaken {
    pub peer_socket_type: SocketType,
    /// The peer's Identity property, if non-empty.
    pub peer_identity: Option<Bytes>,
    /// (major, minor) from the peer's greeting; minor 0 = ZMTP 3.0 (no PING/PONG);
    /// [`ZMTP2_VERSION`] for a ZMTP 2.0 peer (RFC 15 "revision 1", no minor).
    pub peer_version: (u8, u8),
    /// Bytes already read past the handshake: the start of the data phase. Must be fed to the frame decoder.
    pub leftover: BytesMut,
    /// How data frames are sealed and opened from now on (clear for NULL and PLAIN).
    pub data: DataPhase,
}

/// `peer_version` of a ZMTP 2.0 peer.
pub const ZMTP2_VERSION: (u8, u8) = (1, 0);

impl Handshaken {
    /// Whether the peer speaks ZMTP 3.1 PING/PONG. A major above 3 counts as 3.1: such a peer
    /// must downgrade to our version (RFC 23), so it has 3.1's capabilities and no more.
    pub fn peer_supports_heartbeats(&self) -> bool {
        let (major, minor) = self.peer_version;
        major > 3 || (major == 3 && minor >= 1)
    }

    /// Whether the connection speaks ZMTP 2.0 framing: no command frames either way.
    pub fn is_zmtp2(&self) -> bool {
        self.peer_version == ZMTP2_VERSION
    }
}

#[derive(Debug)]
pub enum HandshakeError {
    Io(std::io::Error),
    Protocol(ProtocolError),
    Timeout,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Io(e) => write!(f, "handshake I/O error: {e}"),
            HandshakeError::Protocol(e) => write!(f, "handshake failed: {e}"),
            HandshakeError::Timeout => write!(f, "handshake timed out"),
        }
    }
}

impl std::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandshakeError::Io(e) => Some(e),
            HandshakeError::Protocol(e) => Some(e),
            HandshakeError::Timeout => None,
        }
    }
}

impl From<std::io::Error> for HandshakeError {
    fn from(e: std::io::Error) -> HandshakeError {
        HandshakeError::Io(e)
    }
}

impl From<ProtocolError> for HandshakeError {
    fn from(e: ProtocolError) -> HandshakeError {
        HandshakeError::Protocol(e)
    }
}

/// Exchanges greetings, runs the NULL mechanism, validates the peer's Socket-Type against ours.
/// Cancel-safe in the sense that dropping it just abandons the stream.
pub async fn handshake<S>(
    stream: &mut S,
    config: &HandshakeConfig,
) -> Result<Handshaken, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    handshake_secured(stream, config, &SecuritySetup::default()).await
}

/// [`handshake`] with the mechanism and authorization point of `setup`.
pub async fn handshake_secured<S>(
    stream: &mut S,
    config: &HandshakeConfig,
    setup: &SecuritySetup,
) -> Result<Handshaken, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let run = run(stream, config, setup);
    match config.timeout {
        Some(limit) => tokio::time::timeout(limit, run)
            .await
            .unwrap_or(Err(HandshakeError::Timeout)),
        None => run.await,
    }
}

/// The handshake, step by step: greetings (or the ZMTP 2.0 downgrade), the mechanism with its
/// authorization, the peer's socket type, NULL's decision after READY, the data phase.
async fn run<S>(
    stream: &mut S,
    config: &HandshakeConfig,
    setup: &SecuritySetup,
) -> Result<Handshaken, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut mechanism = build_mechanism(config, setup)?;
    let as_server = config.as_server || mechanism.as_server();
    let mut exchange = Exchange::new(stream);
    let theirs = match greet(&mut exchange, mechanism.name(), as_server).await? {
        Greeted::Zmtp2 => {
            let shaken = downgrade(exchange, config, mechanism.name()).await?;
            // ZMTP 2.0 has no ERROR command: a refused peer is just disconnected.
            let id = shaken.peer_identity.clone();
            if !authorize(setup, Credentials::Null, id).await {
                return Err(ProtocolError::Refused.into());
            }
            return Ok(shaken);
        }
        Greeted::Zmtp3(theirs) => theirs,
    };
    check_roles(&theirs, mechanism.name(), as_server)?;
    run_mechanism(&mut exchange, &mut *mechanism, config, setup).await?;
    let peer = mechanism.peer_metadata();
    let peer_socket_type = validate_socket_type(config.socket_type, peer)?;
    let peer_identity = identity_of(peer);
    if mechanism.name() == "NULL" && setup.authenticator.is_some() {
        let (credentials, id) = peer_of(&*mechanism);
        refuse_unless_authorized(&mut exchange, setup, credentials, id).await?;
    }
    let (sealer, opener) = mechanism.into_data_phase()?;
    Ok(Handshaken {
        peer_socket_type,
        peer_identity,
        peer_version: (theirs.major, theirs.minor),
        leftover: exchange.buf,
        data: DataPhase { sealer, opener },
    })
}

/// This connection's mechanism. A NULL socket is asked after the handshake instead (see
/// [`refuse_unless_authorized`]): an authenticating NULL mechanism holds its READY back, which
/// deadlocks if both ends do it.
fn build_mechanism(
    config: &HandshakeConfig,
    setup: &SecuritySetup,
) -> Result<Box<dyn Mechanism>, HandshakeError> {
    let holds_for_auth = setup.authenticator.is_some() && setup.security.as_server();
    setup
        .security
        .mechanism(local_metadata(config), holds_for_auth)
        .map_err(|_| {
            HandshakeError::Io(std::io::Error::other(
                "the OS random source failed: no CURVE keys",
            ))
        })
}

/// The stream a handshake runs over, and what was read from it and not used yet.
struct Exchange<'s, S> {
    stream: &'s mut S,
    buf: BytesMut,
}

impl<'s, S: AsyncRead + AsyncWrite + Unpin> Exchange<'s, S> {
    fn new(stream: &'s mut S) -> Exchange<'s, S> {
        Exchange {
            stream,
            buf: BytesMut::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), HandshakeError> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await?;
        Ok(())
    }

    /// One read of at most `want` bytes, clamped to MIN_READ..=READ_CHUNK; EOF is an error
    /// because the handshake is not finished.
    async fn read_some(&mut self, want: usize) -> Result<(), HandshakeError> {
        let want = want.clamp(MIN_READ, READ_CHUNK);
        self.buf.reserve(want);
        let n = (&mut *self.stream)
            .take(want as u64)
            .read_buf(&mut self.buf)
            .await?;
        if n == 0 {
            return Err(HandshakeError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "peer closed the connection during the handshake",
            )));
        }
        Ok(())
    }

    /// The body of the peer's next command frame. A data frame is refused from its header alone,
    /// before its body is read (as the decoder refuses a command over the limit).
    async fn next_command(&mut self, decoder: &Decoder) -> Result<Bytes, HandshakeError> {
        loop {
            match decoder.decode_header(&self.buf)? {
                Some(header) if !header.is_command() => {
                    let unexpected = "data frame during handshake".into();
                    return Err(ProtocolError::UnexpectedCommand(unexpected).into());
                }
                Some(header) => {
                    if let Some(body) = header.split_body_from(&mut self.buf) {
                        return Ok(body);
                    }
                }
                None => {}
            }
            let want = decoder.missing(&self.buf);
            self.read_some(want).await?;
        }
    }
}

/// What the greeting exchange found the peer to speak.
enum Greeted {
    /// ZMTP 2.0 (RFC 15): its signature and revision are in; the rest is [`downgrade`]'s.
    Zmtp2,
    /// ZMTP 3.x: its whole greeting.
    Zmtp3(Greeting),
}

/// Exchanges greetings. Signature and version octet go out at once (libzmq waits for our
/// signature before it sends its version octet, so holding them back could deadlock against
/// it); the rest depends on the peer's version octet: a ZMTP 2.0 peer would read our 3.x
/// greeting's tail as frames.
async fn greet<S>(
    exchange: &mut Exchange<'_, S>,
    mechanism: &str,
    as_server: bool,
) -> Result<Greeted, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let ours = Greeting::new(mechanism, as_server).encode();
    let (prefix, rest) = ours.split_at(VERSION_PREFIX_LEN);
    exchange.send(prefix).await?;
    let revision = loop {
        if let Some(revision) = Greeting::revision(&exchange.buf)? {
            break revision;
        }
        let want = VERSION_PREFIX_LEN.saturating_sub(exchange.buf.len());
        exchange.read_some(want).await?;
    };
    if revision == Revision::Zmtp2 {
        return Ok(Greeted::Zmtp2);
    }
    exchange.send(rest).await?;
    while exchange.buf.len() < GREETING_LEN {
        let want = GREETING_LEN - exchange.buf.len();
        exchange.read_some(want).await?;
        // Check what is there after every read: a non-ZMTP or pre-3.0 peer is dropped at once
        // instead of after the timeout.
        let prefix = exchange.buf.get(..GREETING_LEN).unwrap_or(&exchange.buf);
        Greeting::check_version_prefix(prefix)?;
    }
    let mut raw = [0u8; GREETING_LEN];
    raw.copy_from_slice(&exchange.buf.split_to(GREETING_LEN));
    Ok(Greeted::Zmtp3(Greeting::parse(&raw)?))
}

/// The peer's greeting against ours: the same mechanism, and not both its server. PLAIN and
/// CURVE have one client and one server (RFC 24, 26). libzmq never sets the as-server bit (its
/// greeting has zeros there), so only two servers can be told apart here; two clients fail in
/// the mechanism (each gets the other's HELLO).
fn check_roles(theirs: &Greeting, mechanism: &str, as_server: bool) -> Result<(), ProtocolError> {
    if theirs.mechanism != mechanism {
        return Err(ProtocolError::MechanismMismatch {
            ours: mechanism.to_owned(),
            theirs: theirs.mechanism.clone(),
        });
    }
    if mechanism != "NULL" && theirs.as_server && as_server {
        let role = format!("{mechanism} server");
        return Err(ProtocolError::MechanismMismatch {
            ours: role.clone(),
            theirs: role,
        });
    }
    Ok(())
}

/// Pumps the mechanism's commands both ways until it is ready; a server waiting for the decision
/// on its client gets it from the authenticator.
async fn run_mechanism<S>(
    exchange: &mut Exchange<'_, S>,
    mechanism: &mut dyn Mechanism,
    config: &HandshakeConfig,
    setup: &SecuritySetup,
) -> Result<(), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let decoder = Decoder::new(config.max_message_size).commands_up_to(config.max_command_size);
    let mut out = BytesMut::new();
    loop {
        while let Some(body) = mechanism.next_command()? {
            codec::encode_command(&mut out, &body);
        }
        if !out.is_empty() {
            exchange.send(&out).await?;
            out.clear();
        }
        match mechanism.status() {
            MechanismStatus::Ready => return Ok(()),
            MechanismStatus::Refused => return Err(ProtocolError::Refused.into()),
            MechanismStatus::AwaitingAuth => {
                let (credentials, id) = peer_of(mechanism);
                let allowed = authorize(setup, credentials, id).await;
                mechanism.authorize(allowed);
            }
            MechanismStatus::Handshaking => {
                let body = exchange.next_command(&decoder).await?;
                mechanism.process_command(body)?;
            }
        }
    }
}

/// NULL's decision, after READY: NULL has no server role, and an authenticating NULL holding its
/// READY back would deadlock two such ends. Nothing the peer sent is delivered before it; a
/// refused peer gets an ERROR. (PLAIN and CURVE servers decided in the mechanism, their clients
/// decide nothing.)
async fn refuse_unless_authorized<S>(
    exchange: &mut Exchange<'_, S>,
    setup: &SecuritySetup,
    credentials: Credentials,
    routing_id: Option<Bytes>,
) -> Result<(), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if authorize(setup, credentials, routing_id).await {
        return Ok(());
    }
    let mut out = BytesMut::new();
    Command::Error(REFUSED_REASON.into()).encode(&mut out);
    exchange.send(&out).await?;
    Err(ProtocolError::Refused.into())
}

/// The peer's Identity property, if non-empty.
fn identity_of(peer: Option<&Metadata>) -> Option<Bytes> {
    peer.and_then(|m| m.get("Identity"))
        .filter(|id| !id.is_empty())
        .cloned()
}

/// What the authenticator is told of the peer `mechanism` authenticated (taken before any await:
/// a mechanism is `Send` but not `Sync`).
fn peer_of(mechanism: &dyn Mechanism) -> (Credentials, Option<Bytes>) {
    (
        mechanism.peer_credentials(),
        identity_of(mechanism.peer_metadata()),
    )
}

/// Asks the authenticator (true without one).
async fn authorize(
    setup: &SecuritySetup,
    credentials: Credentials,
    routing_id: Option<Bytes>,
) -> bool {
    let Some(hook) = &setup.authenticator else {
        return true;
    };
    let mut peer = PeerInfo {
        mechanism: "NULL",
        address: setup.peer_address.clone(),
        public_key: None,
        username: None,
        password: None,
        routing_id,
        domain: setup.domain.clone(),
    };
    match credentials {
        Credentials::Null => {}
        Credentials::Plain { username, password } => {
            peer.mechanism = "PLAIN";
            peer.username = Some(username);
            peer.password = Some(password);
        }
        Credentials::Curve { public_key } => {
            peer.mechanism = "CURVE";
            peer.public_key = Some(public_key.to_z85());
        }
    }
    hook.0.authenticate(peer).await
}

/// The rest of the handshake with a ZMTP 2.0 peer (RFC 15), as libzmq's `handshake_v2_0`: our
/// socket type and identity, then theirs. ZMTP 2.0 has no security mechanism, so a socket with
/// one refuses such a peer (libzmq refuses it when ZAP is on; RFC 23 "Security Considerations":
/// a crafted 1.0/2.0 header is a downgrade attack): claiming to be old is no way around CURVE.
async fn downgrade<S>(
    mut exchange: Exchange<'_, S>,
    config: &HandshakeConfig,
    mechanism: &str,
) -> Result<Handshaken, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if mechanism != "NULL" {
        return Err(ProtocolError::MechanismMismatch {
            ours: mechanism.to_owned(),
            theirs: "none (ZMTP 2.0)".to_owned(),
        }
        .into());
    }
    let mut out = BytesMut::new();
    let identity = config.identity.as_deref().unwrap_or_default();
    Zmtp2Greeting::encode_rest(&mut out, config.socket_type, identity);
    exchange.send(&out).await?;
    // RFC 15 says SHOULD; libzmq does not check, but a REP fed by a PUB is a bug worth refusing.
    let check_type = |code: u8| {
        SocketType::from_zmtp2_code(code)
            .filter(|&peer| config.socket_type.compatible_with(peer))
            .ok_or_else(|| ProtocolError::IncompatibleSocketType(format!("ZMTP 2.0 type {code}")))
    };
    let theirs = loop {
        if let Some(code) = Zmtp2Greeting::socket_type_of(&exchange.buf) {
            check_type(code)?;
        }
        if let Some(greeting) = Zmtp2Greeting::decode(&mut exchange.buf)? {
            break greeting;
        }
        exchange.read_some(1).await?;
    };
    let peer_socket_type = check_type(theirs.socket_type)?;
    Ok(Handshaken {
        peer_socket_type,
        peer_identity: Some(theirs.identity).filter(|id| !id.is_empty()),
        peer_version: ZMTP2_VERSION,
        leftover: exchange.buf,
        data: DataPhase::default(),
    })
}

fn local_metadata(config: &HandshakeConfig) -> Metadata {
    let mut local = Metadata::new();
    local.insert(
        "Socket-Type",
        Bytes::from_static(config.socket_type.as_str().as_bytes()),
    );
    if let Some(id) = config.identity.as_ref().filter(|id| !id.is_empty()) {
        local.insert("Identity", id.clone());
    }
    local
}

fn validate_socket_type(
    ours: SocketType,
    peer: Option<&Metadata>,
) -> Result<SocketType, ProtocolError> {
    let Some(name) = peer.and_then(|m| m.get("Socket-Type")) else {
        return Err(ProtocolError::IncompatibleSocketType("<missing>".into()));
    };
    let printable = || String::from_utf8_lossy(name).into_owned();
    let peer_type = SocketType::from_name(name)
        .ok_or_else(|| ProtocolError::IncompatibleSocketType(printable()))?;
    if !ours.compatible_with(peer_type) {
        return Err(ProtocolError::IncompatibleSocketType(printable()));
    }
    Ok(peer_type)
}

// Keeps the constant referenced where the greeting logic relies on it.
const _: () = assert!(SIGNATURE_LEN < GREETING_LEN);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::Frame;
    use crate::wire::command::Command;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Poll;
    use tokio::io::{AsyncRead, DuplexStream};

    fn config(t: SocketType) -> HandshakeConfig {
        HandshakeConfig {
            socket_type: t,
            identity: None,
            as_server: false,
            timeout: Some(Duration::from_secs(5)),
            max_message_size: -1,
            max_command_size: crate::options::DEFAULT_MAX_COMMAND_SIZE,
        }
    }

    fn greeting(major: u8, minor: u8, mech: &str) -> [u8; GREETING_LEN] {
        let mut g = Greeting::new(mech, false);
        g.major = major;
        g.minor = minor;
        g.encode()
    }

    fn ready_frame(props: &[(&str, &[u8])]) -> BytesMut {
        let mut m = Metadata::new();
        for (n, v) in props {
            m.insert(n, Bytes::copy_from_slice(v));
        }
        let mut out = BytesMut::new();
        Command::Ready(m).encode(&mut out);
        out
    }

    /// Reads our greeting and READY off the peer end, checking them.
    async fn read_ours(peer: &mut DuplexStream, expect_type: &str) -> Metadata {
        let mut g = [0u8; GREETING_LEN];
        peer.read_exact(&mut g).await.unwrap();
        let g = Greeting::parse(&g).unwrap();
        assert_eq!((g.major, g.minor, g.mechanism.as_str()), (3, 1, "NULL"));
        let mut buf = BytesMut::new();
        let mut dec = Decoder::new(-1);
        loop {
            if let Some(f) = dec.decode(&mut buf).unwrap() {
                let Frame::Command(body) = f else {
                    panic!("data frame")
                };
                let Command::Ready(m) = Command::parse(&body).unwrap() else {
                    panic!("not READY")
                };
                assert_eq!(m.get("Socket-Type").unwrap(), expect_type.as_bytes());
                return m;
            }
            assert!(peer.read_buf(&mut buf).await.unwrap() > 0);
        }
    }

    async fn scripted(
        ours: HandshakeConfig,
        script: Vec<u8>,
    ) -> (Result<Handshaken, HandshakeError>, DuplexStream) {
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        b.write_all(&script).await.unwrap();
        let r = handshake(&mut a, &ours).await;
        (r, b)
    }

    fn script(greet: [u8; GREETING_LEN], rest: &[u8]) -> Vec<u8> {
        let mut v = greet.to_vec();
        v.extend_from_slice(rest);
        v
    }

    #[tokio::test]
    async fn zmtp31_peer_rep_to_req() {
        let s = script(
            greeting(3, 1, "NULL"),
            &ready_frame(&[("Socket-Type", b"REP"), ("Identity", b"")]),
        );
        let (r, mut peer) = scripted(config(SocketType::Req), s).await;
        let h = r.unwrap();
        assert_eq!(h.peer_socket_type, SocketType::Rep);
        assert_eq!(h.peer_identity, None);
        assert_eq!(h.peer_version, (3, 1));
        assert!(h.peer_supports_heartbeats());
        assert!(h.leftover.is_empty());
        let m = read_ours(&mut peer, "REQ").await;
        assert!(m.get("Identity").is_none());
    }

    #[tokio::test]
    async fn zmtp30_peer_with_identity() {
        let s = script(
            greeting(3, 0, "NULL"),
            &ready_frame(&[("Socket-Type", b"DEALER"), ("Identity", b"abc")]),
        );
        let mut cfg = config(SocketType::Router);
        cfg.identity = Some(Bytes::from_static(b"me"));
        let (r, mut peer) = scripted(cfg, s).await;
        let h = r.unwrap();
        assert_eq!(h.peer_socket_type, SocketType::Dealer);
        assert_eq!(h.peer_identity, Some(Bytes::from_static(b"abc")));
        assert_eq!(h.peer_version, (3, 0));
        assert!(!h.peer_supports_heartbeats());
        let m = read_ours(&mut peer, "ROUTER").await;
        assert_eq!(m.get("Identity").unwrap(), &b"me"[..]);
    }

    #[tokio::test]
    async fn newer_major_is_accepted() {
        let s = script(
            greeting(4, 0, "NULL"),
            &ready_frame(&[("Socket-Type", b"REQ")]),
        );
        let (r, _peer) = scripted(config(SocketType::Rep), s).await;
        let h = r.unwrap();
        assert_eq!(h.peer_version, (4, 0));
        assert!(h.peer_supports_heartbeats());
    }

    #[tokio::test]
    async fn wrong_missing_and_unknown_socket_types() {
        type Props<'a> = &'a [(&'a str, &'a [u8])];
        let cases: [(SocketType, Props); 5] = [
            (SocketType::Req, &[("Socket-Type", b"REQ")]),
            (SocketType::Rep, &[("Socket-Type", b"ROUTER")]),
            (SocketType::Req, &[("Socket-Type", b"PUB")]),
            (SocketType::Req, &[("Identity", b"x")]),
            (SocketType::Req, &[("Socket-Type", b"rep")]),
        ];
        for (ours, props) in cases {
            let s = script(greeting(3, 1, "NULL"), &ready_frame(props));
            let (r, _peer) = scripted(config(ours), s).await;
            assert!(
                matches!(
                    r,
                    Err(HandshakeError::Protocol(
                        ProtocolError::IncompatibleSocketType(_)
                    ))
                ),
                "{ours:?} {props:?}: {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn pipelined_first_message_is_leftover() {
        let mut rest = ready_frame(&[("Socket-Type", b"REQ")]);
        codec::encode_message(&mut rest, &[Bytes::new(), Bytes::from_static(b"hello")]);
        let s = script(greeting(3, 1, "NULL"), &rest);
        let (r, _peer) = scripted(config(SocketType::Rep), s).await;
        let mut h = r.unwrap();
        let mut dec = Decoder::new(-1);
        assert_eq!(
            dec.decode(&mut h.leftover).unwrap(),
            Some(Frame::Data {
                more: true,
                body: Bytes::new()
            })
        );
        assert_eq!(
            dec.decode(&mut h.leftover).unwrap(),
            Some(Frame::Data {
                more: false,
                body: Bytes::from_static(b"hello")
            })
        );
        assert!(h.leftover.is_empty());
    }

    #[tokio::test]
    async fn peer_sends_one_byte_at_a_time() {
        let mut s = script(
            greeting(3, 1, "NULL"),
            &ready_frame(&[("Socket-Type", b"REP")]),
        );
        s.extend_from_slice(b"\x00\x01z");
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        let feeder = tokio::spawn(async move {
            for byte in s {
                b.write_all(&[byte]).await.unwrap();
                tokio::task::yield_now().await;
            }
            b
        });
        let h = handshake(&mut a, &config(SocketType::Req)).await.unwrap();
        let _b = feeder.await.unwrap();
        // The pipelined frame may or may not have been read yet; what was read must be its prefix.
        assert!(b"\x00\x01z".starts_with(&h.leftover));
        assert_eq!(h.peer_socket_type, SocketType::Rep);
    }

    #[tokio::test]
    async fn garbage_is_rejected_early() {
        // No greeting's worth of bytes, and the peer keeps the stream open: must not wait for 64.
        let (r, _peer) = scripted(config(SocketType::Req), b"GET / HTTP/1.1\r\n".to_vec()).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::BadSignature))
        ));
        let mut sig9 = vec![0xFFu8];
        sig9.extend_from_slice(&[0; 8]);
        sig9.push(0x00);
        let (r, _peer) = scripted(config(SocketType::Req), sig9).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::BadSignature))
        ));
    }

    /// A ZMTP 2.0 peer's whole greeting as libzmq 3.x sends it (identity length + 1 in the padding).
    fn zmtp2_greeting(socket_type: u8, identity: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF];
        v.extend_from_slice(&(identity.len() as u64 + 1).to_be_bytes());
        v.extend_from_slice(&[0x7F, 1, socket_type, 0, identity.len() as u8]);
        v.extend_from_slice(identity);
        v
    }

    /// Everything we wrote, once our end is dropped.
    async fn all_we_sent(ours: DuplexStream, mut peer: DuplexStream) -> Vec<u8> {
        drop(ours);
        let mut v = Vec::new();
        peer.read_to_end(&mut v).await.unwrap();
        v
    }

    #[tokio::test]
    async fn zmtp2_peer_downgrades_and_maps_identity() {
        let mut s = zmtp2_greeting(4, b"rep-1");
        let mut data = BytesMut::new();
        codec::encode_message(&mut data, &[Bytes::new(), Bytes::from_static(b"x")]);
        s.extend_from_slice(&data);
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        b.write_all(&s).await.unwrap();
        let h = handshake(&mut a, &config(SocketType::Req)).await.unwrap();
        assert_eq!(h.peer_socket_type, SocketType::Rep);
        assert_eq!(h.peer_identity, Some(Bytes::from_static(b"rep-1")));
        assert_eq!(h.peer_version, ZMTP2_VERSION);
        assert!(h.is_zmtp2());
        assert!(!h.peer_supports_heartbeats());
        // The data that came with the greeting is left for the (ZMTP 2.0) frame decoder.
        assert_eq!(&h.leftover[..], b"\x01\x00\x00\x01x");
        // We sent our signature and version octet, then socket type REQ (3) and an empty
        // identity: no 3.x greeting tail, no READY.
        let sent = all_we_sent(a, b).await;
        let g = Greeting::new("NULL", false).encode();
        assert_eq!(&sent[..VERSION_PREFIX_LEN], &g[..VERSION_PREFIX_LEN]);
        assert_eq!(&sent[VERSION_PREFIX_LEN..], &[3, 0, 0]);
    }

    #[tokio::test]
    async fn zmtp2_peer_gets_our_identity() {
        let mut cfg = config(SocketType::Dealer);
        cfg.identity = Some(Bytes::from_static(b"dealer-7"));
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        b.write_all(&zmtp2_greeting(6, b"")).await.unwrap();
        let h = handshake(&mut a, &cfg).await.unwrap();
        assert_eq!(h.peer_socket_type, SocketType::Router);
        assert_eq!(h.peer_identity, None);
        assert!(h.leftover.is_empty());
        let sent = all_we_sent(a, b).await;
        assert_eq!(&sent[VERSION_PREFIX_LEN..], b"\x05\x00\x08dealer-7");
    }

    #[tokio::test]
    async fn zmtp2_peer_one_byte_at_a_time() {
        let s = zmtp2_greeting(5, b"abc");
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        let feeder = tokio::spawn(async move {
            for byte in s {
                b.write_all(&[byte]).await.unwrap();
                tokio::task::yield_now().await;
            }
            b
        });
        let h = handshake(&mut a, &config(SocketType::Router))
            .await
            .unwrap();
        let _b = feeder.await.unwrap();
        assert_eq!(h.peer_socket_type, SocketType::Dealer);
        assert_eq!(h.peer_identity, Some(Bytes::from_static(b"abc")));
        assert!(h.is_zmtp2());
    }

    #[tokio::test]
    async fn zmtp2_incompatible_type_rejected_before_identity() {
        // Only signature, revision and PUB (1): the peer keeps the stream open; no waiting for more.
        let (r, _peer) = scripted(
            config(SocketType::Req),
            zmtp2_greeting(1, b"")[..12].to_vec(),
        )
        .await;
        assert!(
            matches!(
                r,
                Err(HandshakeError::Protocol(ProtocolError::IncompatibleSocketType(ref t))) if t == "ZMTP 2.0 type 1"
            ),
            "{r:?}"
        );
        for code in [0u8, 3, 7, 200] {
            let (r, _peer) = scripted(config(SocketType::Req), zmtp2_greeting(code, b"id")).await;
            assert!(
                matches!(
                    r,
                    Err(HandshakeError::Protocol(
                        ProtocolError::IncompatibleSocketType(_)
                    ))
                ),
                "{code}: {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn zmtp2_bad_identity_frame_rejected() {
        let mut s = zmtp2_greeting(4, b"id");
        s[12] = 0x01; // MORE: an identity is one frame
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::BadGreeting(_)))
        ));
    }

    #[tokio::test]
    async fn zmtp1_and_version_2_peers_rejected_after_version_byte() {
        for version in [0u8, 2] {
            let mut g = greeting(3, 1, "NULL").to_vec();
            g[10] = version;
            g.truncate(11);
            let (r, _peer) = scripted(config(SocketType::Req), g).await;
            assert!(
                matches!(
                    r,
                    Err(HandshakeError::Protocol(ProtocolError::UnsupportedVersion { major, .. })) if major == version
                ),
                "{r:?}"
            );
        }
    }

    #[tokio::test]
    async fn zmtp2_refused_when_we_have_a_security_mechanism() {
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&zmtp2_greeting(4, b""));
        let exchange = Exchange {
            stream: &mut a,
            buf,
        };
        let r = downgrade(exchange, &config(SocketType::Req), "CURVE").await;
        match r {
            Err(HandshakeError::Protocol(ProtocolError::MechanismMismatch { ours, .. })) => {
                assert_eq!(ours, "CURVE");
            }
            other => panic!("{other:?}"),
        }
        // Nothing of ours went out on the downgrade path: no socket type, no identity.
        drop(a);
        let mut sent = Vec::new();
        b.read_to_end(&mut sent).await.unwrap();
        assert!(sent.is_empty());
    }

    /// Polls `fut` once: true while it waits (for the peer).
    async fn still_waiting<F: Future + Unpin>(fut: &mut F) -> bool {
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await
    }

    /// What the peer can read right now, without waiting.
    async fn readable_now(peer: &mut DuplexStream) -> Vec<u8> {
        let mut out = [0u8; 256];
        std::future::poll_fn(|cx| {
            let mut buf = tokio::io::ReadBuf::new(&mut out);
            match Pin::new(&mut *peer).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => Poll::Ready(buf.filled().to_vec()),
                Poll::Ready(Err(e)) => panic!("{e}"),
                Poll::Pending => Poll::Ready(Vec::new()),
            }
        })
        .await
    }

    #[tokio::test]
    async fn zmtp3_peer_gets_our_greeting_tail_only_after_its_version_octet() {
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        let cfg = config(SocketType::Req);
        let mut shake = Box::pin(handshake(&mut a, &cfg));
        let ours = Greeting::new("NULL", false).encode();
        let theirs = greeting(3, 1, "NULL");
        assert!(still_waiting(&mut shake).await);
        assert_eq!(readable_now(&mut b).await, &ours[..VERSION_PREFIX_LEN]);
        // The peer's signature alone does not tell its version: we still wait.
        b.write_all(&theirs[..SIGNATURE_LEN]).await.unwrap();
        assert!(still_waiting(&mut shake).await);
        assert_eq!(readable_now(&mut b).await, b"");
        b.write_all(&theirs[SIGNATURE_LEN..]).await.unwrap();
        assert!(still_waiting(&mut shake).await);
        // The tail, then our READY right behind it.
        let sent = readable_now(&mut b).await;
        let (tail, ready) = sent.split_at(GREETING_LEN - VERSION_PREFIX_LEN);
        assert_eq!(tail, &ours[VERSION_PREFIX_LEN..]);
        assert_eq!(ready, &ready_frame(&[("Socket-Type", b"REQ")])[..]);
        b.write_all(&ready_frame(&[("Socket-Type", b"REP")]))
            .await
            .unwrap();
        let h = shake.await.unwrap();
        assert_eq!(h.peer_socket_type, SocketType::Rep);
    }

    #[tokio::test]
    async fn mismatched_mechanism() {
        let (r, _peer) = scripted(config(SocketType::Req), greeting(3, 1, "CURVE").to_vec()).await;
        match r {
            Err(HandshakeError::Protocol(ProtocolError::MechanismMismatch { ours, theirs })) => {
                assert_eq!((ours.as_str(), theirs.as_str()), ("NULL", "CURVE"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn error_command_from_peer() {
        let mut err = BytesMut::new();
        Command::Error("go away".into()).encode(&mut err);
        let s = script(greeting(3, 1, "NULL"), &err);
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::PeerError(ref reason))) if reason == "go away"
        ));
    }

    #[tokio::test]
    async fn data_frame_or_bad_frame_during_handshake() {
        let s = script(greeting(3, 1, "NULL"), b"\x00\x02hi");
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::UnexpectedCommand(
                _
            )))
        ));
        let s = script(greeting(3, 1, "NULL"), b"\xf0\x02hi");
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::BadFrame(_)))
        ));
    }

    #[tokio::test]
    async fn oversized_ready_rejected_before_body() {
        // Only a header announcing 2000 bytes, under maxCommandSize but over maxMessageSize,
        // which bounds commands too; the error must come without the body.
        let s = script(
            greeting(3, 1, "NULL"),
            &[0x06, 0, 0, 0, 0, 0, 0, 0x07, 0xd0],
        );
        let mut cfg = config(SocketType::Req);
        cfg.max_message_size = 1024;
        let (r, _peer) = scripted(cfg, s).await;
        assert!(matches!(
            r,
            Err(HandshakeError::Protocol(
                ProtocolError::FrameTooLarge { .. }
            ))
        ));
    }

    #[tokio::test]
    async fn huge_command_refused_from_its_header_whatever_max_message_size() {
        // 1 GiB announced, no body, the peer keeps the stream open: refused at once, no timeout.
        let s = script(greeting(3, 1, "NULL"), &[0x06, 0, 0, 0, 0, 0x40, 0, 0, 0]);
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(
            matches!(
                r,
                Err(HandshakeError::Protocol(ProtocolError::CommandTooLarge { size, max }))
                    if size == 1 << 30 && max == u64::from(crate::options::DEFAULT_MAX_COMMAND_SIZE)
            ),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn data_frame_before_ready_refused_from_its_header() {
        // A 1 GiB data frame announced before READY: refused without waiting for its body.
        let s = script(greeting(3, 1, "NULL"), &[0x02, 0, 0, 0, 0, 0x40, 0, 0, 0]);
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(
            matches!(
                r,
                Err(HandshakeError::Protocol(ProtocolError::UnexpectedCommand(
                    _
                )))
            ),
            "{r:?}"
        );
    }

    /// The handshake of a peer whose READY carries one `X-Pad` property of `pad` bytes.
    async fn with_padded_ready(
        pad: usize,
        max_command_size: u32,
    ) -> Result<Handshaken, HandshakeError> {
        let ready = ready_frame(&[("Socket-Type", b"REP"), ("X-Pad", &vec![b'x'; pad])]);
        let s = script(greeting(3, 1, "NULL"), &ready);
        let (mut a, mut b) = tokio::io::duplex(1 << 20);
        b.write_all(&s).await.unwrap();
        let mut cfg = config(SocketType::Req);
        cfg.max_command_size = max_command_size;
        let r = handshake(&mut a, &cfg).await;
        drop(b);
        r
    }

    #[tokio::test]
    async fn commands_up_to_max_command_size_pass_and_larger_ones_do_not() {
        // READY body: name (6) + Socket-Type (1 + 11 + 4 + 3) + X-Pad (1 + 5 + 4 + pad).
        let fixed = 6 + 19 + 10;
        let max = 4096u32;
        let fits = max as usize - fixed;
        assert!(with_padded_ready(fits, max).await.is_ok());
        let r = with_padded_ready(fits + 1, max).await;
        assert!(
            matches!(
                r,
                Err(HandshakeError::Protocol(ProtocolError::CommandTooLarge { size, .. }))
                    if size == u64::from(max) + 1
            ),
            "{r:?}"
        );
        // The default allows a command of 64 KiB.
        let default = crate::options::DEFAULT_MAX_COMMAND_SIZE;
        assert!(with_padded_ready(default as usize - fixed, default)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn ready_with_too_many_properties_is_refused() {
        let props: Vec<(String, &[u8])> = (0..=crate::wire::command::MAX_PROPERTIES)
            .map(|i| (format!("X-{i}"), &b""[..]))
            .collect();
        let mut all: Vec<(&str, &[u8])> = vec![("Socket-Type", b"REP")];
        all.extend(props.iter().map(|(n, v)| (n.as_str(), *v)));
        let s = script(greeting(3, 1, "NULL"), &ready_frame(&all));
        let (r, _peer) = scripted(config(SocketType::Req), s).await;
        assert!(
            matches!(
                r,
                Err(HandshakeError::Protocol(ProtocolError::BadCommand(
                    "too many properties"
                )))
            ),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn silent_peer_times_out() {
        let (mut a, _b) = tokio::io::duplex(1024);
        let mut cfg = config(SocketType::Req);
        cfg.timeout = Some(Duration::from_millis(50));
        let r = handshake(&mut a, &cfg).await;
        assert!(matches!(r, Err(HandshakeError::Timeout)));
    }

    #[tokio::test]
    async fn peer_closing_early_is_io_error() {
        let (mut a, b) = tokio::io::duplex(1024);
        drop(b);
        let r = handshake(&mut a, &config(SocketType::Req)).await;
        assert!(matches!(r, Err(HandshakeError::Io(_))));
        let (mut a, mut b) = tokio::io::duplex(1024);
        b.write_all(&greeting(3, 1, "NULL")[..30]).await.unwrap();
        drop(b);
        let r = handshake(&mut a, &config(SocketType::Req)).await;
        assert!(matches!(r, Err(HandshakeError::Io(_))));
    }

    #[tokio::test]
    async fn two_of_ours_talk() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        let ca = config(SocketType::Req);
        let mut cb = config(SocketType::Router);
        cb.as_server = true;
        let (ra, rb) = tokio::join!(handshake(&mut a, &ca), handshake(&mut b, &cb));
        assert_eq!(ra.unwrap().peer_socket_type, SocketType::Router);
        assert_eq!(rb.unwrap().peer_socket_type, SocketType::Req);
    }
}
