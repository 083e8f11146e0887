//! Large frames are read into buffers of their own (see `read_buf`): sizes around the thresholds,
//! large and small frames mixed in one message and in one TCP write, bytes dribbled at odd
//! boundaries, and `maxMessageSize` summed over a message before a large frame gets a buffer.

use crate::common::*;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zeromq_napi_engine::handshake::{handshake, HandshakeConfig};
use zeromq_napi_engine::wire::codec::{encode_message, Decoder, Frame};
use zeromq_napi_engine::{Message, Options, SocketType};

/// A frame whose bytes tell where they are, so a misplaced chunk cannot go unnoticed.
fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(u32::from(seed)) as u8)
        .collect::<Vec<_>>()
        .into()
}

/// Sizes around the large-frame threshold (8 KiB), the first buffer bound (128 KiB) and its
/// doublings, up to several MiB.
const SIZES: &[usize] = &[
    0,
    255,
    256,
    8 * 1024 - 1,
    8 * 1024,
    8 * 1024 + 1,
    65_536,
    128 * 1024 - 1,
    128 * 1024,
    128 * 1024 + 1,
    256 * 1024 + 7,
    1 << 20,
    5 * (1 << 20) + 3,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_of_every_size_and_mixed_multipart() {
    let (_server, endpoint, _task) = echo_server("").await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    for (i, &size) in SIZES.iter().enumerate() {
        let request = vec![pattern(size, i as u8)];
        prompt(client.send(request.clone())).await.expect("send");
        let reply = prompt(client.recv()).await.expect("recv");
        assert_eq!(reply, request, "size {size}");
    }
    // Large and small frames interleaved in one message.
    let request: Message = SIZES
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &size)| pattern(size, 100 + i as u8))
        .collect();
    for _ in 0..3 {
        prompt(client.send(request.clone())).await.expect("send");
        assert_eq!(prompt(client.recv()).await.expect("recv"), request);
    }
}

/// A raw REQ connection to `endpoint`, handshake done: (stream, bytes already read past it).
async fn raw_req(endpoint: &str) -> (TcpStream, BytesMut) {
    let addr = endpoint.strip_prefix("tcp://").expect("tcp endpoint");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let config = HandshakeConfig {
        socket_type: SocketType::Req,
        identity: None,
        as_server: false,
        timeout: Some(PROMPT),
        max_message_size: -1,
        max_command_size: zeromq_napi_engine::DEFAULT_MAX_COMMAND_SIZE,
    };
    let done = prompt(handshake(&mut stream, &config))
        .await
        .expect("handshake");
    (stream, done.leftover)
}

/// Reads one whole message off a raw connection.
async fn read_message(stream: &mut TcpStream, buf: &mut BytesMut) -> Message {
    let mut decoder = Decoder::new(-1);
    let mut frames = Vec::new();
    loop {
        while let Some(frame) = decoder.decode(buf).expect("valid frame") {
            let Frame::Data { more, body } = frame else {
                continue;
            };
            frames.push(body);
            if !more {
                return frames;
            }
        }
        buf.reserve(64 * 1024);
        let n = prompt(stream.read_buf(buf)).await.expect("read");
        assert!(n > 0, "connection closed mid-message");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_split_at_odd_boundaries_and_packed_together() {
    let (_server, endpoint, _task) = echo_server("").await;
    let (mut stream, mut buf) = raw_req(&endpoint).await;
    let bodies = [
        pattern(300_001, 1),
        Bytes::from_static(b"tiny"),
        pattern(9_000, 2),
        pattern(8 * 1024, 3),
        Bytes::new(),
        pattern(1 << 20, 4),
    ];
    let mut envelope = vec![Bytes::new()];
    envelope.extend(bodies.iter().cloned());
    let mut wire = BytesMut::new();
    // Three requests back to back: a large frame's end and the next frame's start share writes.
    for _ in 0..3 {
        encode_message(&mut wire, &envelope);
    }
    // Written in pieces of awkward sizes (a header split across writes among them), with pauses
    // so that they arrive as separate reads.
    write_in_pieces(
        &mut stream,
        &wire,
        &[1usize, 8, 3, 8191, 9, 100_000, 65_537, 7],
        5,
    )
    .await;
    for _ in 0..3 {
        let reply = read_message(&mut stream, &mut buf).await;
        assert_eq!(reply, envelope);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_size_limit_applies_to_the_sum_before_a_large_body_arrives() {
    let (server, endpoint, _task) = {
        let server = rep(Options {
            max_message_size: 20_000,
            ..fast()
        });
        let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
            .await
            .expect("bind");
        let task = tokio::spawn(serve_echo(server.clone(), ""));
        (server, endpoint, task)
    };
    // Fits: served.
    let (mut stream, mut buf) = raw_req(&endpoint).await;
    let fits = vec![Bytes::new(), pattern(10_000, 1), pattern(9_000, 2)];
    let mut wire = BytesMut::new();
    encode_message(&mut wire, &fits);
    stream.write_all(&wire).await.expect("write");
    assert_eq!(read_message(&mut stream, &mut buf).await, fits);
    // Each frame fits, the sum does not: dropped as soon as the second header is complete.
    let mut wire = BytesMut::new();
    encode_message(
        &mut wire,
        &[Bytes::new(), pattern(15_000, 1), pattern(15_000, 2)],
    );
    let header_end = 2 + 9 + 15_000 + 9;
    stream.write_all(&wire[..header_end]).await.expect("write");
    let closed = prompt(async {
        let mut sink = [0u8; 1024];
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    closed.await;
    // Others are still served.
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["ok"]))).await.expect("send");
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["ok"]);
    server.close();
}
