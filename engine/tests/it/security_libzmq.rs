//! The sans-IO CURVE and PLAIN mechanisms against libzmq (pyzmq), over loopback TCP, driven by a
//! minimal blocking driver written here: greeting, handshake pump, then one REQ/REP exchange.
//! This checks the security core itself, before it is wired into the engine's connections.
//!
//! It needs a Python with pyzmq, so it is ignored by default; run it with
//!   ZEROMQ_NAPI_PYTHON=.cache/pyzmq-venv/bin/python \
//!     cargo test -p zeromq-napi-engine --test it security_libzmq -- --ignored
//! (`npm run test:rust` provisions that virtual environment and runs them so).

use bytes::{Bytes, BytesMut};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;
use zeromq_napi_engine::wire::codec::{self, Decoder, Frame};
use zeromq_napi_engine::wire::command::Metadata;
use zeromq_napi_engine::wire::greeting::{Greeting, GREETING_LEN};
use zeromq_napi_engine::wire::mechanism::{Mechanism, MechanismStatus};
use zeromq_napi_engine::wire::security::{
    CurvePublicKey, CurveSecretKey, FrameOpener, FrameSealer, Security,
};

// doc/zmq_curve.adoc test key pairs.
const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

/// Bounds every blocking read so that a broken peer fails the test instead of hanging it.
const IO_LIMIT: Duration = Duration::from_secs(10);

const PEER: &str = r#"
import sys, zmq
from zmq.utils.monitor import recv_monitor_message
role, mech = sys.argv[1], sys.argv[2]
CLIENT_PUBLIC, CLIENT_SECRET, SERVER_PUBLIC, SERVER_SECRET = [a.encode() for a in sys.argv[3:7]]
ctx = zmq.Context()
if role == 'rep':
    s = ctx.socket(zmq.REP)
    s.linger = 0
    s.rcvtimeo = 10000
    if mech.endswith('-deny'):
        # A ZAP handler that refuses every client of this address.
        from zmq.auth.thread import ThreadAuthenticator
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.deny('127.0.0.1')
        auth.configure_plain(domain='*', passwords={'admin': 'secret'})
        auth.configure_curve(domain='*', location=zmq.auth.CURVE_ALLOW_ANY)
    if mech.startswith('curve'):
        s.curve_server = True
        s.curve_secretkey = SERVER_SECRET
    elif mech == 'plain':
        from zmq.auth.thread import ThreadAuthenticator
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_plain(domain='*', passwords={'admin': 'secret'})
        s.plain_server = True
    elif mech == 'plain-deny':
        s.plain_server = True
    port = s.bind_to_random_port('tcp://127.0.0.1')
    print(port, flush=True)
    msg = s.recv()
    s.send(b'reply:' + msg)
    print('served', flush=True)
else:
    port = sys.argv[7]
    c = ctx.socket(zmq.REQ)
    c.linger = 0
    c.rcvtimeo = 10000
    if mech == 'curve':
        c.curve_serverkey = SERVER_PUBLIC
        c.curve_publickey = CLIENT_PUBLIC
        c.curve_secretkey = CLIENT_SECRET
    elif mech == 'plain':
        c.plain_username = b'admin'
        c.plain_password = b'secret'
    mon = c.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
                               | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    c.connect('tcp://127.0.0.1:' + port)
    ev = recv_monitor_message(mon)
    if ev['event'] != zmq.EVENT_HANDSHAKE_SUCCEEDED:
        print('handshake-failed', ev['event'], ev['value'], flush=True)
        sys.exit(0)
    c.send(b'hello')
    print(c.recv().decode(), flush=True)
"#;

struct Peer {
    child: Child,
    lines: BufReader<std::process::ChildStdout>,
}

impl Peer {
    fn start(args: &[&str]) -> Peer {
        let python = std::env::var("ZEROMQ_NAPI_PYTHON")
            .expect("set ZEROMQ_NAPI_PYTHON to a python with pyzmq (see the file's header)");
        let mut child = Process::new(python)
            .arg("-B")
            .arg("-c")
            .arg(PEER)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python starts");
        let lines = BufReader::new(child.stdout.take().expect("piped stdout"));
        Peer { child, lines }
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.lines.read_line(&mut l).expect("peer output");
        l.trim().to_owned()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keys() -> [&'static str; 4] {
    [CLIENT_PUBLIC, CLIENT_SECRET, SERVER_PUBLIC, SERVER_SECRET]
}

fn meta(socket_type: &'static str) -> Metadata {
    let mut m = Metadata::new();
    m.insert("Socket-Type", Bytes::from_static(socket_type.as_bytes()));
    m
}

fn curve_client(server_public: &str) -> Security {
    Security::curve_client(
        CurveSecretKey::from_z85(CLIENT_SECRET).unwrap(),
        Some(CurvePublicKey::from_z85(CLIENT_PUBLIC).unwrap()),
        CurvePublicKey::from_z85(server_public).unwrap(),
    )
    .unwrap()
}

fn curve_server() -> Security {
    Security::curve_server(CurveSecretKey::from_z85(SERVER_SECRET).unwrap())
}

/// One connection's bytes and the frames decoded from them.
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

// The fields are read only through `Debug`, in failure messages.
#[allow(dead_code)]
#[derive(Debug)]
enum Failure {
    Io(std::io::Error),
    Protocol(zeromq_napi_engine::ProtocolError),
    Refused,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        stream.set_read_timeout(Some(IO_LIMIT)).unwrap();
        Conn {
            stream,
            buf: BytesMut::new(),
            decoder: Decoder::new(-1),
        }
    }

    fn read_more(&mut self) -> Result<(), Failure> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).map_err(Failure::Io)?;
        if n == 0 {
            return Err(Failure::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn frame(&mut self) -> Result<Frame, Failure> {
        loop {
            if let Some(f) = self
                .decoder
                .decode(&mut self.buf)
                .map_err(Failure::Protocol)?
            {
                return Ok(f);
            }
            self.read_more()?;
        }
    }

    /// Greeting, then the mechanism's commands until it is ready; `allow` answers `AwaitingAuth`.
    fn handshake(&mut self, m: &mut dyn Mechanism, allow: bool) -> Result<(), Failure> {
        let ours = Greeting::new(m.name(), m.as_server()).encode();
        self.stream.write_all(&ours).map_err(Failure::Io)?;
        while self.buf.len() < GREETING_LEN {
            self.read_more()?;
        }
        let mut raw = [0u8; GREETING_LEN];
        raw.copy_from_slice(&self.buf.split_to(GREETING_LEN));
        let theirs = Greeting::parse(&raw).map_err(Failure::Protocol)?;
        assert_eq!(theirs.mechanism, m.name());
        loop {
            let mut out = BytesMut::new();
            while let Some(body) = m.next_command().map_err(Failure::Protocol)? {
                codec::encode_command(&mut out, &body);
            }
            self.stream.write_all(&out).map_err(Failure::Io)?;
            match m.status() {
                MechanismStatus::Ready => return Ok(()),
                MechanismStatus::Refused => return Err(Failure::Refused),
                MechanismStatus::AwaitingAuth => {
                    m.authorize(allow);
                    continue;
                }
                MechanismStatus::Handshaking => {}
            }
            match self.frame()? {
                Frame::Command(body) => m.process_command(body).map_err(Failure::Protocol)?,
                Frame::Data { .. } => panic!("data frame during the handshake"),
            }
        }
    }

    fn send(&mut self, sealer: &mut FrameSealer, frames: &[&[u8]]) {
        let mut out = BytesMut::new();
        for (i, f) in frames.iter().enumerate() {
            sealer
                .seal_into(f, i + 1 < frames.len(), false, &mut out)
                .unwrap();
        }
        self.stream.write_all(&out).unwrap();
    }

    fn recv(&mut self, opener: &mut FrameOpener) -> Vec<Bytes> {
        let mut message = Vec::new();
        loop {
            match opener.open(self.frame().unwrap()).unwrap() {
                Frame::Command(_) => {}
                Frame::Data { more, body } => {
                    message.push(body);
                    if !more {
                        return message;
                    }
                }
            }
        }
    }
}

/// We are the REQ client; pyzmq is the REP server.
fn request_to_libzmq(security: Security, mech: &str) {
    request_body_to_libzmq(security, mech, b"ping");
}

fn request_body_to_libzmq(security: Security, mech: &str, body: &[u8]) {
    let [cp, cs, sp, ss] = keys();
    let mut peer = Peer::start(&["rep", mech, cp, cs, sp, ss]);
    let port = peer.line();
    let mut conn = Conn::new(TcpStream::connect(format!("127.0.0.1:{port}")).unwrap());
    let mut m = security.mechanism(meta("REQ"), false).unwrap();
    conn.handshake(m.as_mut(), true).unwrap();
    let (mut sealer, mut opener) = m.into_data_phase().unwrap();
    conn.send(&mut sealer, &[b"", body]);
    let reply = conn.recv(&mut opener);
    let expected = Bytes::from([&b"reply:"[..], body].concat());
    assert_eq!(reply, vec![Bytes::new(), expected]);
    assert_eq!(peer.line(), "served");
}

/// pyzmq is the REQ client; we are the REP server, authenticating when `authenticate`.
fn request_from_libzmq(
    security: Security,
    mech: &str,
    allow: bool,
) -> (Option<Vec<Bytes>>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let [cp, cs, sp, ss] = keys();
    let mut peer = Peer::start(&["req", mech, cp, cs, sp, ss, &port]);
    let (stream, _) = listener.accept().unwrap();
    let mut conn = Conn::new(stream);
    let mut m = security.mechanism(meta("REP"), true).unwrap();
    match conn.handshake(m.as_mut(), allow) {
        Ok(()) => {
            let (mut sealer, mut opener) = m.into_data_phase().unwrap();
            let request = conn.recv(&mut opener);
            let mut reply = request.clone();
            if let Some(last) = reply.last_mut() {
                *last = Bytes::from([&b"reply:"[..], last].concat());
            }
            let frames: Vec<&[u8]> = reply.iter().map(|b| &b[..]).collect();
            conn.send(&mut sealer, &frames);
            (Some(request), peer.line())
        }
        Err(Failure::Refused) => (None, peer.line()),
        Err(e) => panic!("handshake failed: {e:?}"),
    }
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn curve_client_to_libzmq_server() {
    request_to_libzmq(curve_client(SERVER_PUBLIC), "curve");
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn curve_large_frame_to_libzmq_server() {
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    request_body_to_libzmq(curve_client(SERVER_PUBLIC), "curve", &body);
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn libzmq_curve_client_to_our_server_with_its_public_key() {
    let (request, reply) = request_from_libzmq(curve_server(), "curve", true);
    assert_eq!(
        request,
        Some(vec![Bytes::new(), Bytes::from_static(b"hello")])
    );
    assert_eq!(reply, "reply:hello");
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn libzmq_curve_client_refused_sees_an_authentication_failure() {
    let (request, event) = request_from_libzmq(curve_server(), "curve", false);
    assert_eq!(request, None);
    // ZMQ_EVENT_HANDSHAKE_FAILED_AUTH (0x4000) with the ZAP status code we sent.
    assert_eq!(event, format!("handshake-failed {} 400", 0x4000));
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn curve_client_with_a_wrong_server_key_is_dropped_by_libzmq() {
    let [cp, cs, sp, ss] = keys();
    let mut peer = Peer::start(&["rep", "curve", cp, cs, sp, ss]);
    let port = peer.line();
    let mut conn = Conn::new(TcpStream::connect(format!("127.0.0.1:{port}")).unwrap());
    // A valid key, but not the server's.
    let mut m = curve_client(CLIENT_PUBLIC)
        .mechanism(meta("REQ"), false)
        .unwrap();
    match conn.handshake(m.as_mut(), true) {
        Err(Failure::Io(e)) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            ),
            "{e:?}"
        ),
        other => panic!("expected libzmq to drop the connection, got {other:?}"),
    }
}

/// We are the client; a libzmq server whose ZAP handler refuses us answers ERROR 400.
fn refused_by_libzmq(security: Security, mech: &str) {
    let [cp, cs, sp, ss] = keys();
    let mut peer = Peer::start(&["rep", mech, cp, cs, sp, ss]);
    let port = peer.line();
    let mut conn = Conn::new(TcpStream::connect(format!("127.0.0.1:{port}")).unwrap());
    let mut m = security.mechanism(meta("REQ"), false).unwrap();
    match conn.handshake(m.as_mut(), true) {
        Err(Failure::Protocol(e)) => {
            assert_eq!(
                e,
                zeromq_napi_engine::ProtocolError::PeerError("400".into())
            )
        }
        other => panic!("expected ERROR 400 from libzmq, got {other:?}"),
    }
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn curve_client_refused_by_libzmq_zap_gets_error_400() {
    refused_by_libzmq(curve_client(SERVER_PUBLIC), "curve-deny");
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn plain_client_refused_by_libzmq_zap_gets_error_400() {
    refused_by_libzmq(
        Security::plain_client(b"admin", b"secret").unwrap(),
        "plain-deny",
    );
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn plain_client_to_libzmq_server() {
    request_to_libzmq(
        Security::plain_client(b"admin", b"secret").unwrap(),
        "plain",
    );
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn libzmq_plain_client_to_our_server() {
    let (request, reply) = request_from_libzmq(Security::PlainServer, "plain", true);
    assert_eq!(
        request,
        Some(vec![Bytes::new(), Bytes::from_static(b"hello")])
    );
    assert_eq!(reply, "reply:hello");
}

#[test]
#[ignore = "needs pyzmq: set ZEROMQ_NAPI_PYTHON and pass --ignored (see the file's header)"]
fn libzmq_plain_client_refused_sees_an_authentication_failure() {
    let (request, event) = request_from_libzmq(Security::PlainServer, "plain", false);
    assert_eq!(request, None);
    assert_eq!(event, format!("handshake-failed {} 400", 0x4000));
}
