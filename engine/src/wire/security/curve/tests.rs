//! CURVE client and server against each other in memory: the handshake step by step with libzmq's
//! sizes, MESSAGE traffic both ways, authentication, and every way a peer can break the handshake.

use super::{CurveClient, CurveServer};
use crate::error::ProtocolError;
use crate::wire::codec::{Decoder, Frame};
use crate::wire::command::Metadata;
use crate::wire::mechanism::{Mechanism, MechanismStatus};
use crate::wire::security::testing::{drive, local, Side};
use crate::wire::security::{
    Credentials, CurveKeyPair, CurvePublicKey, CurveSecretKey, FrameOpener, FrameSealer,
};
use bytes::{Bytes, BytesMut};

// doc/zmq_curve.adoc test key pairs.
const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

fn client_with(server: CurvePublicKey) -> CurveClient {
    CurveClient::new(
        CurvePublicKey::from_z85(CLIENT_PUBLIC).unwrap(),
        CurveSecretKey::from_z85(CLIENT_SECRET).unwrap(),
        server,
        local("DEALER", Some(b"client-1")),
    )
    .unwrap()
}

fn client() -> CurveClient {
    client_with(CurvePublicKey::from_z85(SERVER_PUBLIC).unwrap())
}

fn server(authenticate: bool) -> CurveServer {
    CurveServer::new(
        CurveSecretKey::from_z85(SERVER_SECRET).unwrap(),
        local("ROUTER", None),
        authenticate,
    )
    .unwrap()
}

fn metadata_len(m: &Metadata) -> usize {
    let mut b = BytesMut::new();
    m.encode(&mut b);
    b.len()
}

/// The data phase of a mechanism that reached `Ready`.
fn halves(m: impl Mechanism + 'static) -> (FrameSealer, FrameOpener) {
    Box::new(m).into_data_phase().expect("ready")
}

/// Whether a mechanism refuses to enter the data phase (not `Ready`).
fn no_data_phase(m: impl Mechanism + 'static) -> bool {
    Box::new(m).into_data_phase().is_err()
}

fn next(m: &mut dyn Mechanism) -> Bytes {
    m.next_command().unwrap().expect("a command is due")
}

/// The four handshake commands, in order, each checked to be accepted.
fn handshake_commands(c: &mut CurveClient, s: &mut CurveServer) -> [Bytes; 4] {
    let hello = next(c);
    s.process_command(hello.clone()).unwrap();
    let welcome = next(s);
    c.process_command(welcome.clone()).unwrap();
    let initiate = next(c);
    s.process_command(initiate.clone()).unwrap();
    let ready = next(s);
    c.process_command(ready.clone()).unwrap();
    [hello, welcome, initiate, ready]
}

fn data(more: bool, body: &[u8]) -> Frame {
    Frame::Data {
        more,
        body: Bytes::copy_from_slice(body),
    }
}

#[test]
fn handshake_has_libzmq_sizes_and_exchanges_metadata() {
    let (mut c, mut s) = (client(), server(false));
    assert_eq!(c.status(), MechanismStatus::Handshaking);
    let [hello, welcome, initiate, ready] = handshake_commands(&mut c, &mut s);
    assert_eq!(hello.len(), 200);
    assert_eq!(&hello[..8], b"\x05HELLO\x01\x00");
    assert_eq!(&hello[8..80], &[0u8; 72][..]);
    assert_eq!(&hello[112..120], &1u64.to_be_bytes());
    assert_eq!(welcome.len(), 168);
    assert_eq!(&welcome[..8], b"\x07WELCOME");
    let client_meta = local("DEALER", Some(b"client-1"));
    assert_eq!(initiate.len(), 257 + metadata_len(&client_meta));
    assert_eq!(&initiate[..9], b"\x08INITIATE");
    assert_eq!(&initiate[105..113], &2u64.to_be_bytes());
    assert_eq!(ready.len(), 30 + metadata_len(&local("ROUTER", None)));
    assert_eq!(&ready[6..14], &1u64.to_be_bytes());
    // Metadata travels only inside boxes.
    assert!(!initiate.windows(6).any(|w| w == b"DEALER"));
    assert!(!ready.windows(6).any(|w| w == b"ROUTER"));

    assert_eq!(c.status(), MechanismStatus::Ready);
    assert_eq!(s.status(), MechanismStatus::Ready);
    assert_eq!(s.peer_metadata(), Some(&client_meta));
    assert_eq!(c.peer_metadata(), Some(&local("ROUTER", None)));
    assert_eq!(c.next_command().unwrap(), None);
    assert_eq!(s.next_command().unwrap(), None);
    assert_eq!(
        s.peer_credentials(),
        Credentials::Curve {
            public_key: CurvePublicKey::from_z85(CLIENT_PUBLIC).unwrap()
        }
    );
    assert_eq!(c.peer_credentials(), Credentials::Null);
    assert!(s.as_server() && !c.as_server());
    let ((c_seal, c_open), (s_seal, s_open)) = (halves(c), halves(s));
    assert!(c_seal.encrypts() && c_open.decrypts() && s_seal.encrypts() && s_open.decrypts());
    assert_eq!(c_seal.overhead(), 33);
}

#[test]
fn messages_flow_both_ways_after_the_handshake() {
    let (mut c, mut s) = (client(), server(false));
    drive(&mut c, &mut s).unwrap();
    let ((mut c_seal, mut c_open), (mut s_seal, mut s_open)) = (halves(c), halves(s));
    let frames = [
        data(true, b""),
        data(true, b"routing"),
        data(false, &[0xAB; 70_000]),
        Frame::Command(Bytes::from_static(b"\x04PING\x00\x0actx")),
    ];
    for f in &frames {
        let wire = c_seal.seal(f.clone()).unwrap();
        assert_eq!(s_open.open(wire).unwrap(), *f);
        let wire = s_seal.seal(f.clone()).unwrap();
        assert_eq!(c_open.open(wire).unwrap(), *f);
    }
    // The write-buffer path: whole wire frames appended to one buffer, decoded by the codec.
    let mut out = BytesMut::new();
    c_seal.seal_into(b"a", true, false, &mut out).unwrap();
    c_seal
        .seal_into(&[7u8; 1 << 20], false, false, &mut out)
        .unwrap();
    let mut decoder = Decoder::new(-1);
    let first = decoder.decode(&mut out).unwrap().unwrap();
    let second = decoder.decode(&mut out).unwrap().unwrap();
    assert!(out.is_empty());
    assert_eq!(s_open.open(first).unwrap(), data(true, b"a"));
    assert_eq!(s_open.open(second).unwrap(), data(false, &[7u8; 1 << 20]));
}

#[test]
fn mechanism_level_replay_and_reorder_are_refused() {
    let (mut c, mut s) = (client(), server(false));
    drive(&mut c, &mut s).unwrap();
    let ((mut c_seal, _), (_, mut s_open)) = (halves(c), halves(s));
    let one = c_seal.seal(data(false, b"1")).unwrap();
    let two = c_seal.seal(data(false, b"2")).unwrap();
    assert_eq!(s_open.open(two).unwrap(), data(false, b"2"));
    assert!(matches!(
        s_open.open(one),
        Err(ProtocolError::BadCommand(_))
    ));
    let three = c_seal.seal(data(false, b"3")).unwrap();
    assert_eq!(s_open.open(three.clone()).unwrap(), data(false, b"3"));
    assert!(matches!(
        s_open.open(three),
        Err(ProtocolError::BadCommand(_))
    ));
}

#[test]
fn a_message_from_another_connection_does_not_open() {
    let (mut c1, mut s1) = (client(), server(false));
    let (mut c2, mut s2) = (client(), server(false));
    drive(&mut c1, &mut s1).unwrap();
    drive(&mut c2, &mut s2).unwrap();
    let (mut c1_seal, _) = halves(c1);
    let (_, mut s2_open) = halves(s2);
    let wire = c1_seal.seal(data(false, b"for s1")).unwrap();
    assert_eq!(
        s2_open.open(wire),
        Err(ProtocolError::BadCommand("CURVE MESSAGE box does not open"))
    );
}

#[test]
fn data_before_ready_is_refused() {
    assert!(no_data_phase(client()));
    assert!(no_data_phase(server(false)));
    // Halfway: the client has sent HELLO, the server answered WELCOME.
    let (mut c, mut s) = (client(), server(false));
    s.process_command(next(&mut c)).unwrap();
    c.process_command(next(&mut s)).unwrap();
    assert!(no_data_phase(c));
    assert!(no_data_phase(s));
}

#[test]
fn generated_keys_handshake() {
    let server_keys = CurveKeyPair::generate().unwrap();
    let client_keys = CurveKeyPair::generate().unwrap();
    let mut c = CurveClient::new(
        client_keys.public,
        client_keys.secret,
        server_keys.public,
        Metadata::new(),
    )
    .unwrap();
    let mut s = CurveServer::new(server_keys.secret, Metadata::new(), false).unwrap();
    drive(&mut c, &mut s).unwrap();
    assert_eq!(c.status(), MechanismStatus::Ready);
    assert_eq!(s.status(), MechanismStatus::Ready);
    assert_eq!(s.peer_metadata(), Some(&Metadata::new()));
}

#[test]
fn wrong_server_key_fails_at_hello() {
    let other = CurveKeyPair::generate().unwrap();
    let (mut c, mut s) = (client_with(other.public), server(false));
    let err = drive(&mut c, &mut s).unwrap_err();
    assert_eq!(
        err,
        (
            Side::Server,
            ProtocolError::BadCommand(
                "CURVE HELLO box does not open: the client has another server key"
            )
        )
    );
    assert!(err.1.to_string().contains("server key"));
    assert_eq!(s.status(), MechanismStatus::Handshaking);
    assert_eq!(s.next_command().unwrap(), None);
}

#[test]
fn welcome_that_is_not_from_the_server_fails_at_the_client() {
    // An impostor without the server's secret key cannot even open HELLO.
    let mut impostor = CurveServer::new(
        CurveKeyPair::generate().unwrap().secret,
        Metadata::new(),
        false,
    )
    .unwrap();
    let mut c = client();
    assert!(impostor.process_command(next(&mut c)).is_err());
    assert!(impostor.next_command().unwrap().is_none());

    // A damaged WELCOME, or a genuine one made for another client, does not open.
    let (mut c, welcome) = at_welcome();
    let mut forged = welcome.to_vec();
    forged[100] ^= 0x40;
    assert_eq!(
        c.process_command(Bytes::from(forged)),
        Err(ProtocolError::BadCommand(
            "CURVE WELCOME box does not open: wrong server key, or not that server"
        ))
    );
    assert!(c.next_command().unwrap().is_none());
    let (mut c, _) = at_welcome();
    let (_, someone_elses) = at_welcome();
    assert!(c.process_command(someone_elses).is_err());
}

/// A pair where the client sent HELLO, and the genuine WELCOME for it.
fn at_welcome_with_server() -> ((CurveClient, CurveServer), Bytes) {
    let (mut c, mut s) = (client(), server(false));
    s.process_command(next(&mut c)).unwrap();
    let welcome = next(&mut s);
    ((c, s), welcome)
}

fn at_welcome() -> (CurveClient, Bytes) {
    let ((c, _), welcome) = at_welcome_with_server();
    (c, welcome)
}

/// A server that sent WELCOME, and the genuine INITIATE for it.
fn at_initiate() -> (CurveServer, Bytes) {
    let ((mut c, s), welcome) = at_welcome_with_server();
    c.process_command(welcome).unwrap();
    let initiate = next(&mut c);
    (s, initiate)
}

/// A client that sent INITIATE, and the genuine READY for it.
fn at_ready() -> (CurveClient, Bytes) {
    let ((mut c, mut s), welcome) = at_welcome_with_server();
    c.process_command(welcome).unwrap();
    s.process_command(next(&mut c)).unwrap();
    let ready = next(&mut s);
    (c, ready)
}

fn flip(body: &Bytes, at: usize, bit: u8) -> Bytes {
    let mut b = body.to_vec();
    b[at] ^= bit;
    Bytes::from(b)
}

#[test]
fn mismatched_client_public_key_fails_the_vouch() {
    let stranger = CurveKeyPair::generate().unwrap();
    let mut c = CurveClient::new(
        stranger.public,
        CurveSecretKey::from_z85(CLIENT_SECRET).unwrap(),
        CurvePublicKey::from_z85(SERVER_PUBLIC).unwrap(),
        Metadata::new(),
    )
    .unwrap();
    let mut s = server(true);
    assert_eq!(
        drive(&mut c, &mut s).unwrap_err(),
        (
            Side::Server,
            ProtocolError::BadCommand(
                "CURVE INITIATE vouch does not open: the client does not hold its long-term key"
            )
        )
    );
    assert_eq!(s.peer_credentials(), Credentials::Null);
    assert_ne!(s.status(), MechanismStatus::AwaitingAuth);
}

#[test]
fn authentication_allows_after_a_verified_initiate() {
    let (mut c, mut s) = (client(), server(true));
    drive(&mut c, &mut s).unwrap();
    assert_eq!(s.status(), MechanismStatus::AwaitingAuth);
    assert_eq!(c.status(), MechanismStatus::Handshaking);
    assert_eq!(
        s.peer_credentials(),
        Credentials::Curve {
            public_key: CurvePublicKey::from_z85(CLIENT_PUBLIC).unwrap()
        }
    );
    assert_eq!(
        s.peer_metadata().and_then(|m| m.get("Identity")),
        Some(&Bytes::from_static(b"client-1"))
    );
    let (mut waiting_c, mut waiting) = (client(), server(true));
    drive(&mut waiting_c, &mut waiting).unwrap();
    assert_eq!(waiting.status(), MechanismStatus::AwaitingAuth);
    assert!(no_data_phase(waiting));
    s.authorize(true);
    drive(&mut c, &mut s).unwrap();
    assert_eq!(c.status(), MechanismStatus::Ready);
    assert_eq!(s.status(), MechanismStatus::Ready);
    let ((_, mut c_open), (mut s_seal, _)) = (halves(c), halves(s));
    let wire = s_seal.seal(data(false, b"welcome in")).unwrap();
    assert_eq!(c_open.open(wire).unwrap(), data(false, b"welcome in"));
}

#[test]
fn authentication_deny_sends_error_and_nothing_else() {
    let (mut c, mut s) = (client(), server(true));
    drive(&mut c, &mut s).unwrap();
    s.authorize(false);
    assert_eq!(s.status(), MechanismStatus::Refused);
    let error = next(&mut s);
    assert_eq!(&error[..], b"\x05ERROR\x03400");
    assert_eq!(s.next_command().unwrap(), None);
    assert_eq!(s.status(), MechanismStatus::Refused);
    let (mut refused_c, mut refused) = (client(), server(true));
    drive(&mut refused_c, &mut refused).unwrap();
    refused.authorize(false);
    assert_eq!(refused.status(), MechanismStatus::Refused);
    assert!(no_data_phase(refused));
    // A later change of mind is ignored.
    s.authorize(true);
    assert_eq!(s.status(), MechanismStatus::Refused);
    assert_eq!(
        c.process_command(error),
        Err(ProtocolError::PeerError("400".into()))
    );
    assert!(c.next_command().unwrap().is_none());
}

#[test]
fn error_from_the_server_is_reported_at_either_step() {
    let mut c = client();
    next(&mut c);
    assert_eq!(
        c.process_command(Bytes::from_static(b"\x05ERROR\x03500")),
        Err(ProtocolError::PeerError("500".into()))
    );
    let mut c = client();
    next(&mut c);
    assert!(c
        .process_command(Bytes::from_static(b"\x05ERROR\x09short"))
        .is_err());
}

#[test]
fn truncated_and_garbled_hello() {
    let hello = next(&mut client());
    for len in [0usize, 1, 6, 8, 80, 119, 120, 199] {
        let mut s = server(false);
        assert!(s.process_command(hello.slice(..len)).is_err(), "len {len}");
    }
    let mut long = hello.to_vec();
    long.push(0);
    assert!(server(false).process_command(Bytes::from(long)).is_err());
    for at in [6usize, 7, 80, 111, 112, 119, 120, 150, 199] {
        let mut bad = hello.to_vec();
        bad[at] ^= 0x01;
        let mut s = server(false);
        assert!(s.process_command(Bytes::from(bad)).is_err(), "byte {at}");
        assert_eq!(s.next_command().unwrap(), None);
    }
    // A small-order short-term key (all zeros) is refused before any box is tried.
    let mut zero = hello.to_vec();
    zero[80..112].fill(0);
    assert_eq!(
        server(false).process_command(Bytes::from(zero)),
        Err(ProtocolError::BadCommand(
            "CURVE HELLO: client short-term key of small order"
        ))
    );
    // Once failed, the server stays failed even for a good HELLO.
    let mut s = server(false);
    assert!(s.process_command(hello.slice(..10)).is_err());
    assert!(s.process_command(hello.clone()).is_err());
    // Other commands first.
    assert!(matches!(
        server(false).process_command(Bytes::from_static(b"\x05READY")),
        Err(ProtocolError::UnexpectedCommand(_))
    ));
    assert!(server(false).process_command(Bytes::new()).is_err());
}

#[test]
fn truncated_and_garbled_welcome() {
    for len in [0usize, 8, 24, 40, 167] {
        let (mut c, welcome) = at_welcome();
        assert!(
            c.process_command(welcome.slice(..len)).is_err(),
            "len {len}"
        );
    }
    let (mut c, welcome) = at_welcome();
    let mut long = welcome.to_vec();
    long.push(0);
    assert!(c.process_command(Bytes::from(long)).is_err());
    for at in [8usize, 23, 24, 39, 40, 100, 167] {
        let (mut c, welcome) = at_welcome();
        assert!(
            c.process_command(flip(&welcome, at, 0x80)).is_err(),
            "byte {at}"
        );
        assert_eq!(c.status(), MechanismStatus::Handshaking);
    }
    // WELCOME before HELLO was sent, and twice.
    let (_, welcome) = at_welcome();
    assert!(client().process_command(welcome).is_err());
    let (mut c, welcome) = at_welcome();
    c.process_command(welcome.clone()).unwrap();
    assert!(c.process_command(welcome).is_err());
}

#[test]
fn truncated_and_garbled_initiate() {
    for len in [0usize, 9, 105, 113, 129, 256] {
        let (mut s, initiate) = at_initiate();
        assert!(
            s.process_command(initiate.slice(..len)).is_err(),
            "len {len}"
        );
        assert_eq!(s.next_command().unwrap(), None);
    }
    let (_, sample) = at_initiate();
    // Cookie nonce, cookie, short nonce, the outer box (tag, C, vouch nonce, vouch, metadata).
    for at in [
        9usize,
        24,
        25,
        104,
        105,
        112,
        113,
        128,
        129,
        200,
        sample.len() - 1,
    ] {
        let (mut s, initiate) = at_initiate();
        assert!(
            s.process_command(flip(&initiate, at, 0x02)).is_err(),
            "byte {at}"
        );
        assert_eq!(s.status(), MechanismStatus::Handshaking);
        assert_eq!(s.peer_credentials(), Credentials::Null);
    }
    // An INITIATE replayed to another connection: its cookie does not open there.
    let (mut other, _) = at_initiate();
    let (mut s, initiate) = at_initiate();
    assert_eq!(
        other.process_command(initiate.clone()),
        Err(ProtocolError::BadCommand(
            "CURVE INITIATE cookie does not open: not this connection's WELCOME"
        ))
    );
    // The genuine one works, once.
    s.process_command(initiate.clone()).unwrap();
    next(&mut s);
    assert!(s.process_command(initiate).is_err());
}

#[test]
fn truncated_and_garbled_ready() {
    for len in [0usize, 6, 14, 29] {
        let (mut c, ready) = at_ready();
        assert!(c.process_command(ready.slice(..len)).is_err(), "len {len}");
    }
    for at in [6usize, 13, 14, 29, 30] {
        let (mut c, ready) = at_ready();
        assert!(c.process_command(flip(&ready, at, 1)).is_err(), "byte {at}");
        assert_eq!(c.status(), MechanismStatus::Handshaking);
    }
    let (mut c, ready) = at_ready();
    assert_eq!(
        c.process_command(flip(&ready, 20, 1)),
        Err(ProtocolError::BadCommand("CURVE READY box does not open"))
    );
    // Failed for good: the genuine READY no longer helps.
    assert!(c.process_command(ready).is_err());
    // Another connection's READY does not open.
    let (mut c, _) = at_ready();
    let (_, theirs) = at_ready();
    assert!(c.process_command(theirs).is_err());
}

#[test]
fn commands_after_ready_are_refused() {
    let (mut c, mut s) = (client(), server(false));
    let [hello, welcome, _, ready] = handshake_commands(&mut c, &mut s);
    assert!(s.process_command(hello).is_err());
    assert!(c.process_command(welcome).is_err());
    let (mut c, mut s) = (client(), server(false));
    drive(&mut c, &mut s).unwrap();
    assert!(c.process_command(ready).is_err());
}

#[test]
fn secret_keys_are_not_in_debug_output() {
    let s = CurveSecretKey::from_z85(SERVER_SECRET).unwrap();
    assert!(!format!("{s:?}").contains(&SERVER_SECRET[..8]));
}
