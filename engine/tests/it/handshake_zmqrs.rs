//! Our `handshake()` on a raw TCP stream against the `zeromq` crate (zmq.rs 0.7, an independent
//! ZMTP stack that greets as 3.0), both when we connect and when we accept; then one message each
//! way, frame by frame with our codec, to show the bytes after the handshake line up.

use crate::common::succeeds;
use bytes::{Bytes, BytesMut};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zeromq::{Endpoint, Socket, SocketRecv, SocketSend, ZmqMessage};
use zeromq_napi_engine::handshake::{handshake, HandshakeConfig, HandshakeError, Handshaken};
use zeromq_napi_engine::wire::codec::{self, Decoder, Frame};
use zeromq_napi_engine::{ProtocolError, SocketType};

const LIMIT: Duration = Duration::from_secs(5);

fn config(socket_type: SocketType, identity: Option<&'static [u8]>) -> HandshakeConfig {
    HandshakeConfig {
        socket_type,
        identity: identity.map(Bytes::from_static),
        as_server: false,
        timeout: Some(LIMIT),
        max_message_size: -1,
        max_command_size: zeromq_napi_engine::DEFAULT_MAX_COMMAND_SIZE,
    }
}

fn port_of(ep: &Endpoint) -> u16 {
    match ep {
        Endpoint::Tcp(_, port) => *port,
        other => panic!("not tcp: {other}"),
    }
}

fn msg(frames: &[&[u8]]) -> ZmqMessage {
    ZmqMessage::try_from(
        frames
            .iter()
            .map(|f| Bytes::copy_from_slice(f))
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

fn frames_of(m: ZmqMessage) -> Vec<Bytes> {
    m.into_vec()
}

/// The data phase of one connection, driven by hand with our codec.
struct Wire {
    stream: TcpStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl Wire {
    fn new(stream: TcpStream, h: Handshaken) -> Wire {
        Wire {
            stream,
            buf: h.leftover,
            decoder: Decoder::new(-1),
        }
    }

    async fn send(&mut self, frames: &[Bytes]) {
        let mut out = BytesMut::new();
        codec::encode_message(&mut out, frames);
        self.stream.write_all(&out).await.unwrap();
    }

    /// Reads one whole message (until a frame without MORE); commands are not expected from zmq.rs.
    async fn recv(&mut self) -> Vec<Bytes> {
        let mut frames = Vec::new();
        tokio::time::timeout(LIMIT, async {
            loop {
                match self.decoder.decode(&mut self.buf).unwrap() {
                    Some(Frame::Data { more, body }) => {
                        frames.push(body);
                        if !more {
                            return;
                        }
                    }
                    Some(Frame::Command(c)) => panic!("unexpected command {c:?}"),
                    None => {
                        let n = self.stream.read_buf(&mut self.buf).await.unwrap();
                        assert!(n > 0, "peer closed");
                    }
                }
            }
        })
        .await
        .unwrap();
        frames
    }
}

fn b(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

/// A body across the short/long frame boundary and a large one.
fn big(n: usize) -> Bytes {
    Bytes::from((0..n).map(|i| (i % 251) as u8).collect::<Vec<_>>())
}

async fn connect_to<S: Socket>(theirs: &mut S) -> TcpStream {
    let ep = theirs.bind("tcp://127.0.0.1:0").await.unwrap();
    TcpStream::connect(("127.0.0.1", port_of(&ep)))
        .await
        .unwrap()
}

/// Accepts one connection from `theirs` while it connects; returns our handshake result.
async fn accept_from<S: Socket>(
    theirs: &mut S,
    ours: HandshakeConfig,
) -> (TcpStream, Result<Handshaken, HandshakeError>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("tcp://{}", listener.local_addr().unwrap());
    // zmq.rs's connect waits for its own handshake, so both sides must run at once.
    let (connected, (stream, r)) = tokio::join!(theirs.connect(&addr), async {
        let (mut stream, _) = listener.accept().await.unwrap();
        let r = handshake(&mut stream, &ours).await;
        (stream, r)
    });
    if r.is_ok() {
        connected.unwrap();
    }
    stream.set_nodelay(true).unwrap();
    (stream, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_connects_to_their_rep() {
    let mut rep = zeromq::RepSocket::new();
    let mut stream = connect_to(&mut rep).await;
    let h = handshake(&mut stream, &config(SocketType::Req, None))
        .await
        .unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Rep);
    // zmq.rs 0.7 greets as ZMTP 3.0: this is our 3.0 interop path.
    assert_eq!(h.peer_version, (3, 0));
    let mut wire = Wire::new(stream, h);
    for body in [b(b"hello"), big(256), big(70_000)] {
        wire.send(&[Bytes::new(), body.clone()]).await;
        let got = succeeds(LIMIT, rep.recv()).await;
        assert_eq!(frames_of(got), vec![body.clone()]);
        rep.send(msg(&[b"re:", &body[..body.len().min(300)]]))
            .await
            .unwrap();
        let reply = wire.recv().await;
        assert_eq!(
            reply,
            vec![Bytes::new(), b(b"re:"), body.slice(..body.len().min(300))]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_req_connects_to_our_rep() {
    let mut req = zeromq::ReqSocket::new();
    let (stream, r) = accept_from(&mut req, config(SocketType::Rep, None)).await;
    let h = r.unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Req);
    let mut wire = Wire::new(stream, h);
    req.send(msg(&[b"ping", b""])).await.unwrap();
    assert_eq!(
        wire.recv().await,
        vec![Bytes::new(), b(b"ping"), Bytes::new()]
    );
    wire.send(&[Bytes::new(), b(b"pong"), big(300)]).await;
    let reply = succeeds(LIMIT, req.recv()).await;
    assert_eq!(frames_of(reply), vec![b(b"pong"), big(300)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dealer_with_identity_connects_to_their_router() {
    let mut router = zeromq::RouterSocket::new();
    let mut stream = connect_to(&mut router).await;
    let h = handshake(
        &mut stream,
        &config(SocketType::Dealer, Some(b"our-dealer")),
    )
    .await
    .unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Router);
    let mut wire = Wire::new(stream, h);
    wire.send(&[b(b"a"), Bytes::new(), b(b"c")]).await;
    let got = succeeds(LIMIT, router.recv()).await;
    // zmq.rs's ROUTER routes by the Identity we sent in READY.
    assert_eq!(
        frames_of(got),
        vec![b(b"our-dealer"), b(b"a"), Bytes::new(), b(b"c")]
    );
    router.send(msg(&[b"our-dealer", b"back"])).await.unwrap();
    assert_eq!(wire.recv().await, vec![b(b"back")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_dealer_with_identity_connects_to_our_router() {
    let mut options = zeromq::SocketOptions::default();
    options.peer_identity(b"their-dealer".to_vec().try_into().unwrap());
    let mut dealer = zeromq::DealerSocket::with_options(options);
    let (stream, r) = accept_from(&mut dealer, config(SocketType::Router, None)).await;
    let h = r.unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Dealer);
    assert_eq!(h.peer_identity, Some(b(b"their-dealer")));
    let mut wire = Wire::new(stream, h);
    dealer.send(msg(&[b"x", b"y"])).await.unwrap();
    assert_eq!(wire.recv().await, vec![b(b"x"), b(b"y")]);
    wire.send(&[b(b"z")]).await;
    let got = succeeds(LIMIT, dealer.recv()).await;
    assert_eq!(frames_of(got), vec![b(b"z")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dealer_connects_to_their_rep() {
    let mut rep = zeromq::RepSocket::new();
    let mut stream = connect_to(&mut rep).await;
    let h = handshake(&mut stream, &config(SocketType::Dealer, None))
        .await
        .unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Rep);
    let mut wire = Wire::new(stream, h);
    wire.send(&[Bytes::new(), b(b"q")]).await;
    let got = succeeds(LIMIT, rep.recv()).await;
    assert_eq!(frames_of(got), vec![b(b"q")]);
    rep.send(msg(&[b"r"])).await.unwrap();
    assert_eq!(wire.recv().await, vec![Bytes::new(), b(b"r")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_req_connects_to_our_router() {
    let mut req = zeromq::ReqSocket::new();
    let (stream, r) = accept_from(&mut req, config(SocketType::Router, None)).await;
    let h = r.unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Req);
    let mut wire = Wire::new(stream, h);
    req.send(msg(&[b"hi"])).await.unwrap();
    assert_eq!(wire.recv().await, vec![Bytes::new(), b(b"hi")]);
    wire.send(&[Bytes::new(), b(b"ho")]).await;
    let got = succeeds(LIMIT, req.recv()).await;
    assert_eq!(frames_of(got), vec![b(b"ho")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_connects_to_their_router() {
    let mut router = zeromq::RouterSocket::new();
    let mut stream = connect_to(&mut router).await;
    let h = handshake(&mut stream, &config(SocketType::Req, Some(b"rq")))
        .await
        .unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Router);
    let mut wire = Wire::new(stream, h);
    wire.send(&[Bytes::new(), b(b"job")]).await;
    let got = succeeds(LIMIT, router.recv()).await;
    assert_eq!(frames_of(got), vec![b(b"rq"), Bytes::new(), b(b"job")]);
    router.send(msg(&[b"rq", b"", b"done"])).await.unwrap();
    assert_eq!(wire.recv().await, vec![Bytes::new(), b(b"done")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn their_dealer_connects_to_our_rep() {
    let mut dealer = zeromq::DealerSocket::new();
    let (stream, r) = accept_from(&mut dealer, config(SocketType::Rep, None)).await;
    let h = r.unwrap();
    assert_eq!(h.peer_socket_type, SocketType::Dealer);
    let mut wire = Wire::new(stream, h);
    dealer.send(msg(&[b"", b"m"])).await.unwrap();
    assert_eq!(wire.recv().await, vec![Bytes::new(), b(b"m")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incompatible_types_are_refused_both_ways() {
    // We connect as REQ to their REQ.
    let mut their_req = zeromq::ReqSocket::new();
    let mut stream = connect_to(&mut their_req).await;
    let r = handshake(&mut stream, &config(SocketType::Req, None)).await;
    assert!(
        matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::IncompatibleSocketType(ref t))) if t == "REQ"
        ),
        "{r:?}"
    );
    // Their REP connects to our REP. zmq.rs refuses too, and retries in the background; only
    // our side's verdict is checked, so its connect future is bounded by a timeout.
    let mut their_rep = zeromq::RepSocket::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("tcp://{}", listener.local_addr().unwrap());
    let ours = config(SocketType::Rep, None);
    let (_, r) = tokio::join!(
        tokio::time::timeout(Duration::from_millis(500), their_rep.connect(&addr)),
        async {
            let (mut stream, _) = listener.accept().await.unwrap();
            handshake(&mut stream, &ours).await
        }
    );
    assert!(
        matches!(
            r,
            Err(HandshakeError::Protocol(ProtocolError::IncompatibleSocketType(ref t))) if t == "REP"
        ),
        "{r:?}"
    );
}
