//! What the handshake fuzz targets share: a genuine peer mechanism beside the one under test, and
//! a script of operations the fuzzer picks. Random bytes alone almost never get past a box, so most
//! operations damage what the genuine peer would have sent at that very step.

use arbitrary::Arbitrary;
use bytes::Bytes;
use zeromq_napi_engine::wire::codec::Frame;
use zeromq_napi_engine::wire::command::Metadata;
use zeromq_napi_engine::wire::mechanism::{Mechanism, MechanismStatus};
use zeromq_napi_engine::wire::security::{
    CurveKeyPair, CurvePublicKey, CurveSecretKey, FrameOpener, FrameSealer, Security,
};

/// Damage applied to a genuine command or MESSAGE.
#[derive(Arbitrary, Debug, Clone)]
pub struct Damage {
    pub edits: Vec<(u16, u8)>,
    pub cut: Option<u16>,
    pub extra: Vec<u8>,
}

impl Damage {
    pub fn apply(&self, base: &[u8]) -> Bytes {
        let mut b = base.to_vec();
        if !b.is_empty() {
            for &(at, x) in self.edits.iter().take(8) {
                let i = usize::from(at) % b.len();
                b[i] ^= x;
            }
        }
        if let Some(cut) = self.cut {
            b.truncate(usize::from(cut) % (b.len() + 1));
        }
        b.extend_from_slice(&self.extra);
        Bytes::from(b)
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    /// One genuine round trip.
    Genuine,
    /// The peer's next (or last) command, damaged, to the mechanism under test.
    Damaged(Damage),
    /// Arbitrary bytes as a command.
    Raw(Vec<u8>),
    /// The server's decision, when the mechanism under test is a server.
    Authorize(bool),
    /// A frame the peer boxes (when it can), damaged, to the target's data phase.
    DamagedData {
        body: Vec<u8>,
        more: bool,
        command: bool,
        damage: Damage,
    },
    /// The last frame the target's data phase accepted, again (a replay).
    Replay,
    /// Arbitrary bytes to the target's data phase.
    RawData { body: Vec<u8>, command: bool },
    /// Something for the mechanism under test to send.
    Encode { body: Vec<u8>, more: bool },
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Script {
    pub authenticate: bool,
    /// The decision the peer makes when the peer is the server.
    pub allow: bool,
    pub ops: Vec<Op>,
}

/// One end: its mechanism during the handshake, its data phase once that is `Ready`.
pub enum Side {
    Handshake(Box<dyn Mechanism>),
    Data(FrameSealer, FrameOpener),
}

/// Commands to an end already in its data phase go nowhere: a connection hands them to no
/// mechanism any more. `next_command` then has nothing, `status` is `Ready`.
impl Side {
    fn mechanism(&mut self) -> Option<&mut dyn Mechanism> {
        match self {
            Side::Handshake(m) => Some(m.as_mut()),
            Side::Data(..) => None,
        }
    }

    fn status(&self) -> MechanismStatus {
        match self {
            Side::Handshake(m) => m.status(),
            Side::Data(..) => MechanismStatus::Ready,
        }
    }

    fn process_command(&mut self, body: Bytes) {
        if let Some(m) = self.mechanism() {
            let _ = m.process_command(body);
        }
    }

    fn next_command(&mut self) -> Option<Bytes> {
        self.mechanism()?.next_command().ok().flatten()
    }

    fn authorize(&mut self, allowed: bool) {
        if let Some(m) = self.mechanism() {
            m.authorize(allowed);
        }
    }

    /// The data phase, entered on first use once the handshake is `Ready`.
    fn data(&mut self) -> Option<(&mut FrameSealer, &mut FrameOpener)> {
        if let Side::Handshake(m) = self {
            if m.status() != MechanismStatus::Ready {
                return None;
            }
            let placeholder: Box<dyn Mechanism> = Box::new(
                zeromq_napi_engine::wire::mechanism::NullMechanism::new(Metadata::new()),
            );
            let m = std::mem::replace(m, placeholder);
            let (sealer, opener) = m
                .into_data_phase()
                .expect("a Ready mechanism has a data phase");
            *self = Side::Data(sealer, opener);
        }
        match self {
            Side::Data(sealer, opener) => Some((sealer, opener)),
            Side::Handshake(_) => None,
        }
    }
}

pub struct Session {
    pub target: Side,
    pub peer: Side,
    allow: bool,
    last_from_peer: Option<Bytes>,
    last_accepted: Option<Bytes>,
}

// Fixed long-term keys (libzmq's test pairs) keep runs comparable; short-term keys, the cookie
// key and nonces still come from the OS for every connection.
const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

fn meta(socket_type: &'static str, identity: Option<&'static [u8]>) -> Metadata {
    let mut m = Metadata::new();
    m.insert("Socket-Type", Bytes::from_static(socket_type.as_bytes()));
    if let Some(id) = identity {
        m.insert("Identity", Bytes::from_static(id));
    }
    m
}

pub fn curve_roles() -> (Security, Security) {
    let client = CurveKeyPair::from_secret(CurveSecretKey::from_z85(CLIENT_SECRET).unwrap());
    let server = CurveSecretKey::from_z85(SERVER_SECRET).unwrap();
    let server_public: CurvePublicKey = server.public_key();
    (
        Security::curve_client(client.secret, Some(client.public), server_public).unwrap(),
        Security::curve_server(server),
    )
}

pub fn plain_roles() -> (Security, Security) {
    (
        Security::plain_client(b"user", b"password").unwrap(),
        Security::PlainServer,
    )
}

impl Session {
    /// `roles` = (client, server); `target_is_server` picks the one under test.
    pub fn new(roles: (Security, Security), target_is_server: bool, script: &Script) -> Session {
        let client = roles
            .0
            .mechanism(meta("DEALER", Some(b"fuzz")), false)
            .unwrap();
        let server = roles
            .1
            .mechanism(meta("ROUTER", None), script.authenticate)
            .unwrap();
        let (target, peer) = if target_is_server {
            (server, client)
        } else {
            (client, server)
        };
        Session {
            target: Side::Handshake(target),
            peer: Side::Handshake(peer),
            allow: script.allow,
            last_from_peer: None,
            last_accepted: None,
        }
    }

    fn peer_next(&mut self) -> Option<Bytes> {
        if self.peer.status() == MechanismStatus::AwaitingAuth {
            self.peer.authorize(self.allow);
        }
        let next = self.peer.next_command();
        if let Some(c) = &next {
            self.last_from_peer = Some(c.clone());
        }
        next
    }

    fn flush_target(&mut self) {
        while let Some(cmd) = self.target.next_command() {
            self.peer.process_command(cmd);
        }
    }

    pub fn genuine_round(&mut self) {
        self.flush_target();
        if let Some(cmd) = self.peer_next() {
            self.target.process_command(cmd);
        }
        self.flush_target();
    }

    /// Runs the whole genuine handshake (authorizing the target server if it waits).
    pub fn complete(&mut self) {
        for _ in 0..6 {
            if self.target.status() == MechanismStatus::AwaitingAuth {
                self.target.authorize(true);
            }
            self.genuine_round();
        }
    }

    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::Genuine => self.genuine_round(),
            Op::Damaged(damage) => {
                self.flush_target();
                let base = self.peer_next().or_else(|| self.last_from_peer.clone());
                if let Some(base) = base {
                    self.target.process_command(damage.apply(&base));
                }
            }
            Op::Raw(body) => {
                self.target.process_command(Bytes::copy_from_slice(body));
            }
            Op::Authorize(allowed) => self.target.authorize(*allowed),
            Op::DamagedData {
                body,
                more,
                command,
                damage,
            } => {
                let frame = if *command {
                    Frame::Command(Bytes::copy_from_slice(body))
                } else {
                    Frame::Data {
                        more: *more,
                        body: Bytes::copy_from_slice(body),
                    }
                };
                let sealed = self.peer.data().map(|(sealer, _)| sealer.seal(frame));
                if let Some(Ok(Frame::Data { body, .. } | Frame::Command(body))) = sealed {
                    self.decode(damage.apply(&body), false);
                }
            }
            Op::Replay => {
                let last = self.last_accepted.clone();
                if let (Some(body), Some((_, opener))) = (last, self.target.data()) {
                    let replayed = opener.open(Frame::Data { more: false, body });
                    // A box opens once: its nonce is no longer above the last accepted one.
                    assert!(!opener.decrypts() || replayed.is_err());
                }
            }
            Op::RawData { body, command } => self.decode(Bytes::copy_from_slice(body), *command),
            Op::Encode { body, more } => {
                let frame = Frame::Data {
                    more: *more,
                    body: Bytes::copy_from_slice(body),
                };
                let sealed = self
                    .target
                    .data()
                    .map(|(sealer, _)| sealer.seal(frame.clone()));
                if let Some(Ok(wire)) = sealed {
                    // What the target boxes, its genuine peer opens to the same frame.
                    if let Some((_, opener)) = self.peer.data() {
                        if let Ok(back) = opener.open(wire) {
                            assert_eq!(back, frame);
                        }
                    }
                }
            }
        }
        if let Some(m) = self.target.mechanism() {
            let _ = m.status();
            let _ = m.peer_metadata();
            let _ = m.peer_credentials();
        }
    }

    fn decode(&mut self, body: Bytes, command: bool) {
        let frame = if command {
            Frame::Command(body.clone())
        } else {
            Frame::Data {
                more: false,
                body: body.clone(),
            }
        };
        let opened = self.target.data().map(|(_, opener)| opener.open(frame));
        if let Some(Ok(_)) = opened {
            self.last_accepted = Some(body);
        }
    }

    pub fn run(&mut self, script: &Script) {
        for op in script.ops.iter().take(24) {
            self.apply(op);
        }
    }
}
