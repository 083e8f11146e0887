//! Property tests of the wire layer: this is the fuzzer. `cargo fuzz` needs nightly Rust, which this
//! project's toolchain does not have, so proptest drives arbitrary and mutated byte streams through
//! the decoder, the command/greeting parsers and the whole handshake instead.
//!
//! What must hold for every input: no panic, memory bounded by the bytes that arrived (never by an
//! announced length), and encode -> decode round-trips under any split of the byte stream.

use crate::common::ready_bytes;
use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use zeromq_napi_engine::handshake::{handshake, HandshakeConfig, HandshakeError};
use zeromq_napi_engine::wire::codec::{self, Decoder, Frame};
use zeromq_napi_engine::wire::command::{Command, Metadata};
use zeromq_napi_engine::wire::greeting::{Greeting, GREETING_LEN};
use zeromq_napi_engine::SocketType;

/// Splits `total` bytes into chunk lengths taken cyclically from `sizes` (each at least 1).
fn chunks(total: usize, sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < total {
        let len = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(total)
            .max(1);
        let end = (at + len).min(total);
        out.push(at..end);
        at = end;
        i += 1;
    }
    out
}

/// Feeds `input` to a fresh decoder in the given chunks; returns the frames decoded before the
/// first error (if any) and whether it stopped on an error. Checks the memory bound on the way.
fn feed(input: &[u8], sizes: &[usize], max: i64) -> (Vec<Frame>, bool) {
    let mut dec = Decoder::new(max);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0usize;
    for range in chunks(input.len(), sizes) {
        fed += range.len();
        buf.extend_from_slice(&input[range]);
        loop {
            let _ = dec.missing(&buf);
            match dec.decode(&mut buf) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(_) => return (frames, true),
            }
        }
        // Buffered bytes are arrived bytes, and the capacity never follows an announced length.
        assert!(buf.len() <= fed);
        assert!(
            buf.capacity() <= 2 * input.len() + 64,
            "capacity {}",
            buf.capacity()
        );
    }
    (frames, false)
}

fn frame_body_len(f: &Frame) -> usize {
    match f {
        Frame::Data { body, .. } | Frame::Command(body) => body.len(),
    }
}

/// Frame bodies: mostly short, some across the 255/256 boundary, some long.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..8),
        2 => proptest::collection::vec(any::<u8>(), 250..262),
        1 => proptest::collection::vec(any::<u8>(), 0..2000),
    ]
}

fn message() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(body(), 1..5)
}

/// A header announcing an arbitrary (often huge) length, with or without the LONG bit.
fn hostile_header() -> impl Strategy<Value = Vec<u8>> {
    (0u8..8, any::<u64>()).prop_map(|(flags, len)| {
        let mut h = vec![flags | codec::FLAG_LONG];
        h.extend_from_slice(&len.to_be_bytes());
        h
    })
}

fn greeting_bytes(major: u8, minor: u8) -> Vec<u8> {
    let mut g = Greeting::new("NULL", false);
    g.major = major;
    g.minor = minor;
    g.encode().to_vec()
}

/// Runs our REP handshake against a peer that writes `script` and then closes its write side.
/// Returns the leftover bytes and checks their bound.
fn run_handshake(script: Vec<u8>, max: i64) -> Result<BytesMut, HandshakeError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (mut ours, mut peer) = tokio::io::duplex(256 * 1024);
        let len = script.len();
        let writer = tokio::spawn(async move {
            // The handshake may fail before reading everything; a failed write is fine then.
            let _ = peer.write_all(&script).await;
            let _ = peer.shutdown().await;
            peer
        });
        let config = HandshakeConfig {
            socket_type: SocketType::Rep,
            identity: None,
            as_server: false,
            timeout: Some(Duration::from_secs(5)),
            max_message_size: max,
            max_command_size: zeromq_napi_engine::DEFAULT_MAX_COMMAND_SIZE,
        };
        let r = handshake(&mut ours, &config).await;
        drop(ours);
        let _ = writer.await;
        // A scripted peer that closes can never make us hit the 5 s limit: every outcome is decided
        // by the bytes alone.
        assert!(!matches!(r, Err(HandshakeError::Timeout)));
        r.map(|h| {
            assert!(h.leftover.len() <= len);
            h.leftover
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn decoder_survives_arbitrary_bytes(
        input in proptest::collection::vec(any::<u8>(), 0..4096),
        sizes in proptest::collection::vec(1usize..64, 1..8),
        max in prop_oneof![Just(-1i64), 0i64..600],
    ) {
        let (frames, _) = feed(&input, &sizes, max);
        let total: usize = frames.iter().map(frame_body_len).sum();
        prop_assert!(total <= input.len());
        if max >= 0 {
            prop_assert!(frames.iter().all(|f| frame_body_len(f) as i64 <= max));
        }
    }

    #[test]
    fn decoder_survives_hostile_headers(
        prefix in proptest::collection::vec(message(), 0..3),
        header in hostile_header(),
        tail in proptest::collection::vec(any::<u8>(), 0..256),
        max in prop_oneof![Just(-1i64), 0i64..1_000_000],
    ) {
        let mut input = BytesMut::new();
        for m in &prefix {
            let frames: Vec<Bytes> = m.iter().map(|f| Bytes::copy_from_slice(f)).collect();
            codec::encode_message(&mut input, &frames);
        }
        input.extend_from_slice(&header);
        input.extend_from_slice(&tail);
        let (frames, _) = feed(&input, &[7, 1, 300], max);
        // Everything before the hostile header decodes (when within the limit); nothing after it
        // can, since its announced body never fully arrives unless it is small.
        let decoded: usize = frames.iter().map(frame_body_len).sum();
        prop_assert!(decoded <= input.len());
        if max < 0 {
            let expected: usize = prefix.iter().map(|m| m.len()).sum();
            prop_assert!(frames.len() >= expected);
        }
    }

    #[test]
    fn messages_round_trip_under_any_split(
        messages in proptest::collection::vec(message(), 1..6),
        commands in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..3),
        sizes in proptest::collection::vec(1usize..700, 1..6),
    ) {
        let mut stream = BytesMut::new();
        let mut expected = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let frames: Vec<Bytes> = m.iter().map(|f| Bytes::copy_from_slice(f)).collect();
            codec::encode_message(&mut stream, &frames);
            for (j, f) in frames.iter().enumerate() {
                expected.push(Frame::Data { more: j + 1 < frames.len(), body: f.clone() });
            }
            if let Some(c) = commands.get(i) {
                codec::encode_command(&mut stream, c);
                expected.push(Frame::Command(Bytes::copy_from_slice(c)));
            }
        }
        let (frames, failed) = feed(&stream, &sizes, -1);
        prop_assert!(!failed);
        prop_assert_eq!(frames, expected);
    }

    #[test]
    fn round_trip_at_one_cut(
        m in message(),
        cut_at in any::<prop::sample::Index>(),
    ) {
        let frames: Vec<Bytes> = m.iter().map(|f| Bytes::copy_from_slice(f)).collect();
        let mut stream = BytesMut::new();
        codec::encode_message(&mut stream, &frames);
        let cut = cut_at.index(stream.len() + 1);
        let mut dec = Decoder::new(-1);
        let mut buf = BytesMut::from(&stream[..cut]);
        let mut got = Vec::new();
        while let Some(f) = dec.decode(&mut buf).unwrap() { got.push(f); }
        buf.extend_from_slice(&stream[cut..]);
        while let Some(f) = dec.decode(&mut buf).unwrap() { got.push(f); }
        let bodies: Vec<Bytes> = got.into_iter().map(|f| match f {
            Frame::Data { body, .. } => body,
            Frame::Command(_) => panic!("command"),
        }).collect();
        prop_assert_eq!(bodies, frames);
    }

    #[test]
    fn parsers_survive_arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..512)) {
        let b = Bytes::from(input.clone());
        if let Ok(c) = Command::parse(&b) {
            // Whatever parses re-encodes to something that parses to the same command.
            let mut out = BytesMut::new();
            c.encode(&mut out);
            let Some(Frame::Command(body)) = Decoder::new(-1).decode(&mut out).unwrap() else {
                panic!("not a command frame");
            };
            prop_assert_eq!(Command::parse(&body).unwrap(), c);
        }
        let _ = Metadata::parse(&b);
        let mut g = [0u8; GREETING_LEN];
        for (d, s) in g.iter_mut().zip(input.iter()) { *d = *s; }
        let _ = Greeting::check_signature(&input);
        let _ = Greeting::parse(&g);
    }

    #[test]
    fn ready_metadata_round_trips(
        props in proptest::collection::vec(("[A-Za-z0-9._+-]{1,40}", proptest::collection::vec(any::<u8>(), 0..300)), 0..6)
    ) {
        let mut m = Metadata::new();
        for (n, v) in &props { m.insert(n, Bytes::copy_from_slice(v)); }
        let body = Command::Ready(m.clone()).to_body();
        prop_assert_eq!(Command::parse(&body).unwrap(), Command::Ready(m));
    }
}

proptest! {
    // Each case builds a runtime and runs a real handshake: fewer cases keep the suite fast.
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn handshake_survives_arbitrary_bytes(
        input in proptest::collection::vec(any::<u8>(), 0..300),
        max in prop_oneof![Just(-1i64), 0i64..64],
    ) {
        // Random bytes almost never start with a valid signature, so this mostly checks early rejection.
        prop_assert!(run_handshake(input, max).is_err());
    }

    #[test]
    fn handshake_survives_garbage_after_greeting(
        minor in any::<u8>(),
        tail in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            hostile_header(),
        ],
        max in prop_oneof![Just(-1i64), 0i64..64],
    ) {
        let mut script = greeting_bytes(3, minor);
        script.extend_from_slice(&tail);
        let _ = run_handshake(script, max);
    }

    #[test]
    fn handshake_survives_mutated_valid_scripts(
        mutations in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        truncate in any::<prop::sample::Index>(),
        pipelined in proptest::collection::vec(body(), 0..3),
    ) {
        let mut script = greeting_bytes(3, 1);
        script.extend_from_slice(&ready_bytes("REQ"));
        let handshake_len = script.len();
        let mut extra = BytesMut::new();
        if !pipelined.is_empty() {
            let frames: Vec<Bytes> = pipelined.iter().map(|f| Bytes::copy_from_slice(f)).collect();
            codec::encode_message(&mut extra, &frames);
        }
        script.extend_from_slice(&extra);
        let unmodified = mutations.is_empty();
        for (at, v) in &mutations {
            let i = at.index(script.len());
            script[i] = *v;
        }
        let keep = truncate.index(script.len() + 1);
        let complete = keep >= handshake_len;
        script.truncate(keep);
        let r = run_handshake(script, -1);
        if unmodified && complete {
            // An intact handshake always succeeds; what it read past READY is kept, in order.
            let leftover = r.unwrap();
            prop_assert!(extra[..keep - handshake_len].starts_with(&leftover));
        } else if unmodified {
            prop_assert!(matches!(r, Err(HandshakeError::Io(_))));
        }
    }
}
