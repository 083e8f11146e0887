//! ZMTP 2.0 peers (RFC 15: libzmq 3.x, JeroMQ 0.3.x) over tcp loopback, both directions: a
//! hand-written peer that handshakes step by step as libzmq 3.2's `stream_engine` does, then
//! speaks v2 framing (flags MORE=1, LONG=2, nothing else) and fails the test on any other bit.

use crate::common::*;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use zeromq_napi_engine::{DealerSocket, Message, Options, RouterSocket};

const REQ: u8 = 3;
const REP: u8 = 4;
const DEALER: u8 = 5;
const ROUTER: u8 = 6;

/// One frame as the v2 peer saw it on the wire.
#[derive(Debug)]
struct WireFrame {
    flags: u8,
    body: Bytes,
}

struct V2Peer {
    stream: TcpStream,
    buf: BytesMut,
    /// The socket-type octet of our engine's v2 greeting.
    their_type: u8,
    /// Our engine's identity frame.
    their_identity: Bytes,
}

impl V2Peer {
    /// libzmq 3.2's order: signature (identity length + 1 in the padding), wait for the other
    /// side's 10 bytes, then revision 1 and the socket type; read exactly a 12-byte greeting;
    /// then the identity frame both ways.
    async fn handshake(mut stream: TcpStream, socket_type: u8, identity: &[u8]) -> V2Peer {
        let mut signature = vec![0xFF];
        signature.extend_from_slice(&(identity.len() as u64 + 1).to_be_bytes());
        signature.push(0x7F);
        stream.write_all(&signature).await.expect("signature");
        let mut greeting = [0u8; 12];
        prompt(stream.read_exact(&mut greeting[..10]))
            .await
            .expect("their signature");
        assert_eq!((greeting[0], greeting[9] & 1), (0xFF, 1), "{greeting:?}");
        stream.write_all(&[1, socket_type]).await.expect("revision");
        prompt(stream.read_exact(&mut greeting[10..]))
            .await
            .expect("their revision and socket type");
        assert!(greeting[10] >= 1, "a versioned peer: {greeting:?}");
        let mut peer = V2Peer {
            stream,
            buf: BytesMut::new(),
            their_type: greeting[11],
            their_identity: Bytes::new(),
        };
        peer.write_frames(&[identity]).await;
        let id = peer.next_frame().await.expect("their identity frame");
        assert_eq!(id.flags, 0, "the identity is one short final frame");
        peer.their_identity = id.body;
        peer
    }

    async fn connect(endpoint: &str, socket_type: u8, identity: &[u8]) -> V2Peer {
        let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
        let stream = prompt(TcpStream::connect(addr)).await.expect("connect");
        V2Peer::handshake(stream, socket_type, identity).await
    }

    async fn write_frames(&mut self, parts: &[&[u8]]) {
        let mut out = BytesMut::new();
        for (i, part) in parts.iter().enumerate() {
            let more = if i + 1 < parts.len() { 1 } else { 0 };
            match u8::try_from(part.len()) {
                Ok(len) => out.put_slice(&[more, len]),
                Err(_) => {
                    out.put_u8(more | 2);
                    out.put_u64(part.len() as u64);
                }
            }
            out.put_slice(part);
        }
        self.stream.write_all(&out).await.expect("write");
    }

    /// The next frame; `None` once the engine closed the connection.
    async fn next_frame(&mut self) -> Option<WireFrame> {
        loop {
            if let Some(frame) = self.split_frame() {
                return Some(frame);
            }
            self.buf.reserve(64 * 1024);
            match prompt(self.stream.read_buf(&mut self.buf)).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    fn split_frame(&mut self) -> Option<WireFrame> {
        let flags = *self.buf.first()?;
        assert_eq!(
            flags & !3,
            0,
            "only MORE and LONG exist in ZMTP 2.0: {flags:#x}"
        );
        let (head, len) = if flags & 2 != 0 {
            let len = self.buf.get(1..9)?;
            (9, u64::from_be_bytes(len.try_into().ok()?) as usize)
        } else {
            (2, usize::from(*self.buf.get(1)?))
        };
        if self.buf.len() < head + len {
            return None;
        }
        self.buf.advance(head);
        Some(WireFrame {
            flags,
            body: self.buf.split_to(len).freeze(),
        })
    }

    /// A whole message with each frame's flags.
    async fn recv(&mut self) -> Vec<WireFrame> {
        let mut parts = Vec::new();
        loop {
            let frame = self.next_frame().await.expect("a frame, not the end");
            let more = frame.flags & 1 != 0;
            parts.push(frame);
            if !more {
                return parts;
            }
        }
    }

    async fn recv_text(&mut self) -> Vec<String> {
        self.recv()
            .await
            .iter()
            .map(|f| String::from_utf8_lossy(&f.body).into_owned())
            .collect()
    }
}

/// A listener the engine connects to; `accept` runs the v2 handshake on the first connection.
async fn v2_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("tcp://{}", listener.local_addr().expect("addr"));
    (listener, endpoint)
}

async fn accept(listener: &TcpListener, socket_type: u8, identity: &[u8]) -> V2Peer {
    let (stream, _) = prompt(listener.accept()).await.expect("accept");
    V2Peer::handshake(stream, socket_type, identity).await
}

fn dealer(options: Options) -> DealerSocket {
    DealerSocket::new(&Handle::current(), options)
}

fn router(options: Options) -> RouterSocket {
    RouterSocket::new(&Handle::current(), options)
}

fn bytes(parts: &[&[u8]]) -> Message {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_req_to_a_zmtp2_rep() {
    let (listener, endpoint) = v2_listener().await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    let mut server = accept(&listener, REP, b"").await;
    assert_eq!(server.their_type, REQ);
    assert!(server.their_identity.is_empty());
    let reply = tokio::spawn({
        let client = client.clone();
        async move { client.request(&lend(&msg(&["hello"])), None, 0).await }
    });
    assert_eq!(server.recv_text().await, ["", "hello"]);
    server.write_frames(&[b"", b"world"]).await;
    let got = prompt(reply).await.expect("join").expect("reply");
    assert_eq!(text(&got), ["world"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zmtp2_req_to_our_rep() {
    let (_server, endpoint, _task) = echo_server("echo:").await;
    let mut client = V2Peer::connect(&endpoint, REQ, b"").await;
    assert_eq!(client.their_type, REP);
    for round in ["one", "two", "three"] {
        client.write_frames(&[b"", round.as_bytes()]).await;
        assert_eq!(
            client.recv_text().await,
            ["".to_owned(), format!("echo:{round}")]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zmtp2_dealer_to_our_router_identity_is_the_routing_id() {
    let r = router(fast());
    let endpoint = prompt(r.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let mut d = V2Peer::connect(&endpoint, DEALER, b"v2-dealer").await;
    assert_eq!(d.their_type, ROUTER);
    d.write_frames(&[b"hi", b"there"]).await;
    let got = prompt(r.recv()).await.expect("recv");
    assert_eq!(text(&got), ["v2-dealer", "hi", "there"]);
    prompt(r.send(msg(&["v2-dealer", "back", "again"])))
        .await
        .expect("send");
    assert_eq!(d.recv_text().await, ["back", "again"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_dealer_to_a_zmtp2_router_sends_its_routing_id() {
    let (listener, endpoint) = v2_listener().await;
    let d = dealer(Options {
        routing_id: Some(Bytes::from_static(b"ours")),
        ..fast()
    });
    d.connect(&endpoint).expect("connect");
    let mut r = accept(&listener, ROUTER, b"").await;
    assert_eq!(r.their_type, DEALER);
    assert_eq!(r.their_identity.as_ref(), b"ours");
    prompt(d.send(msg(&["a", "b", "c"]))).await.expect("send");
    assert_eq!(r.recv_text().await, ["a", "b", "c"]);
    r.write_frames(&[b"x", b"y"]).await;
    assert_eq!(text(&prompt(d.recv()).await.expect("recv")), ["x", "y"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frames_use_long_and_multipart_more_both_ways() {
    let (listener, endpoint) = v2_listener().await;
    let d = dealer(fast());
    d.connect(&endpoint).expect("connect");
    let mut r = accept(&listener, ROUTER, b"").await;
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let edge = vec![9u8; 255];
    prompt(d.send(bytes(&[&big, b"", &edge, &big[..256]])))
        .await
        .expect("send");
    let got = r.recv().await;
    let flags: Vec<u8> = got.iter().map(|f| f.flags).collect();
    // MORE on all but the last; LONG exactly for bodies over 255 bytes.
    assert_eq!(flags, [3, 1, 1, 2]);
    assert_eq!(got[0].body.as_ref(), &big[..]);
    assert!(got[1].body.is_empty());
    assert_eq!(got[2].body.as_ref(), &edge[..]);
    assert_eq!(got[3].body.as_ref(), &big[..256]);
    // And back: the engine decodes v2 LONG frames, large enough to take its large-frame path.
    r.write_frames(&[&big, b"tail"]).await;
    let back = prompt(d.recv()).await.expect("recv");
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].as_ref(), &big[..]);
    assert_eq!(back[1].as_ref(), b"tail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_request_and_reply_through_req_rep() {
    let (_server, endpoint, _task) = echo_server("").await;
    let mut client = V2Peer::connect(&endpoint, REQ, b"").await;
    let big = vec![b'z'; 70_000];
    client.write_frames(&[b"", &big, b"end"]).await;
    let got = client.recv().await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].flags, 3);
    assert_eq!(got[1].body.as_ref(), &big[..]);
    assert_eq!(got[2].body.as_ref(), b"end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zmtp2_peer_is_never_pinged() {
    let s = rep(Options {
        heartbeat_interval: 5,
        heartbeat_timeout: 10,
        ..fast()
    });
    let endpoint = prompt(s.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let mut peer = V2Peer::connect(&endpoint, REQ, b"").await;
    until(|| s.peer_count() == 1).await;
    // As for a 3.0 peer (heartbeat.rs): many heartbeat periods pass with nothing sent (a PING
    // would also fail `split_frame`'s flags check) and the connection kept.
    let nothing = tokio::time::timeout(Duration::from_millis(80), peer.next_frame()).await;
    assert!(nothing.is_err(), "a ZMTP 2.0 peer got {nothing:?}");
    assert_eq!(s.peer_count(), 1);
    peer.write_frames(&[b"", b"still here"]).await;
    assert_eq!(text(&prompt(s.recv()).await.expect("recv")), ["still here"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_frame_from_a_zmtp2_peer_drops_it() {
    let s = rep(fast());
    let endpoint = prompt(s.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let mut peer = V2Peer::connect(&endpoint, REQ, b"").await;
    until(|| s.peer_count() == 1).await;
    // A PING in 3.x framing: bit 2 is reserved in 2.0.
    peer.stream
        .write_all(b"\x04\x07\x04PING\x00\x00")
        .await
        .expect("write");
    assert!(peer.next_frame().await.is_none(), "connection closed");
    until(|| s.peer_count() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incompatible_zmtp2_peer_is_dropped() {
    let s = rep(fast());
    let endpoint = prompt(s.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let addr = endpoint.strip_prefix("tcp://").expect("tcp");
    let mut stream = prompt(TcpStream::connect(addr)).await.expect("connect");
    // A ZMTP 2.0 PUB (type 1): signature, revision, type, identity.
    stream
        .write_all(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 1, 0, 0])
        .await
        .expect("write");
    let mut sink = Vec::new();
    let _ = prompt(stream.read_to_end(&mut sink)).await;
    // What it got before the close: our signature and version octet, perhaps our v2 socket
    // type (REP) and empty identity, never a 3.x greeting's tail or a READY.
    let mut most = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3];
    most.extend_from_slice(&[REP, 0, 0]);
    assert!(sink.len() >= 11 && most.starts_with(&sink), "{sink:?}");
    until(|| s.peer_count() == 0).await;
    // And a v2 REQ right after is served.
    let mut ok = V2Peer::connect(&endpoint, REQ, b"").await;
    ok.write_frames(&[b"", b"hi"]).await;
    assert_eq!(text(&prompt(s.recv()).await.expect("recv")), ["hi"]);
}
