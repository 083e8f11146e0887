//! What the handshake fuzz targets share: a genuine peer mechanism beside the one under test, and
//! a script of operations the fuzzer picks. Random bytes alone almost never get past a box, so most
//! operations damage what the genuine peer would have sent at that very step.

use arbitrary::Arbitrary;
use bytes::Bytes;
use zeromq_napi_engine::wire::codec::Frame;
use zeromq_napi_engine::wire::command::Metadata;
use zeromq_napi_engine::wire::mechanism::{Mechanism, MechanismStatus};
use zeromq_napi_engine::wire::security::{CurveKeyPair, CurvePublicKey, CurveSecretKey, Security};

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
    /// A frame the peer boxes (when it can), damaged, to `decode_data`.
    DamagedData {
        body: Vec<u8>,
        more: bool,
        command: bool,
        damage: Damage,
    },
    /// The last frame `decode_data` accepted, again (a replay).
    Replay,
    /// Arbitrary bytes to `decode_data`.
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

pub struct Session {
    pub target: Box<dyn Mechanism>,
    pub peer: Box<dyn Mechanism>,
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
            target,
            peer,
            allow: script.allow,
            last_from_peer: None,
            last_accepted: None,
        }
    }

    fn peer_next(&mut self) -> Option<Bytes> {
        if self.peer.status() == MechanismStatus::AwaitingAuth {
            self.peer.authorize(self.allow);
        }
        let next = self.peer.next_command().ok().flatten();
        if let Some(c) = &next {
            self.last_from_peer = Some(c.clone());
        }
        next
    }

    fn flush_target(&mut self) {
        while let Ok(Some(cmd)) = self.target.next_command() {
            let _ = self.peer.process_command(cmd);
        }
    }

    pub fn genuine_round(&mut self) {
        self.flush_target();
        if let Some(cmd) = self.peer_next() {
            let _ = self.target.process_command(cmd);
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
                    let _ = self.target.process_command(damage.apply(&base));
                }
            }
            Op::Raw(body) => {
                let _ = self.target.process_command(Bytes::copy_from_slice(body));
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
                if let Ok(Frame::Data { body, .. } | Frame::Command(body)) =
                    self.peer.encode_data(frame)
                {
                    self.decode(damage.apply(&body), false);
                }
            }
            Op::Replay => {
                if let Some(body) = self.last_accepted.clone() {
                    let replayed = self.target.decode_data(Frame::Data { more: false, body });
                    // A box opens once: its nonce is no longer above the last accepted one.
                    assert!(!self.target.encrypts_data() || replayed.is_err());
                }
            }
            Op::RawData { body, command } => self.decode(Bytes::copy_from_slice(body), *command),
            Op::Encode { body, more } => {
                let frame = Frame::Data {
                    more: *more,
                    body: Bytes::copy_from_slice(body),
                };
                if let Ok(wire) = self.target.encode_data(frame.clone()) {
                    // What the target boxes, its genuine peer opens to the same frame.
                    if self.peer.status() == MechanismStatus::Ready {
                        if let Ok(back) = self.peer.decode_data(wire) {
                            assert_eq!(back, frame);
                        }
                    }
                }
            }
        }
        let _ = self.target.status();
        let _ = self.target.peer_metadata();
        let _ = self.target.peer_credentials();
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
        if self.target.decode_data(frame).is_ok() {
            self.last_accepted = Some(body);
        }
    }

    pub fn run(&mut self, script: &Script) {
        for op in script.ops.iter().take(24) {
            self.apply(op);
        }
    }
}
