//! Limits: `maxMessageSize` drops the offending connection only, `handshakeInterval` drops a peer
//! that never finishes the handshake, and the high-water marks turn into back-pressure (a send that
//! cannot queue waits up to `sendTimeout`, then EAGAIN).

use crate::common::*;
use bytes::Bytes;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::runtime::Handle;
use tokio::time::Instant;
use zeromq_napi_engine::{DealerSocket, ErrorCode, Options, RouterSocket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_message_drops_only_that_connection() {
    let server = RouterSocket::new(
        &Handle::current(),
        Options {
            max_message_size: 100,
            ..fast()
        },
    );
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let good = DealerSocket::new(&Handle::current(), fast());
    let bad = DealerSocket::new(&Handle::current(), fast());
    good.connect(&endpoint).expect("connect");
    bad.connect(&endpoint).expect("connect");
    until(|| server.peer_count() == 2).await;
    // 60 + 60 bytes: each frame fits, the message does not.
    prompt(bad.send(vec![Bytes::from(vec![1u8; 60]), Bytes::from(vec![2u8; 60])]))
        .await
        .expect("send");
    prompt(good.send(vec![Bytes::from(vec![3u8; 100])]))
        .await
        .expect("send");
    let got = prompt(server.recv()).await.expect("recv");
    assert_eq!(got[1].len(), 100);
    // The bad peer was dropped (and reconnects); the good one is untouched.
    prompt(good.send(msg(&["still here"]))).await.expect("send");
    assert_eq!(
        text(&prompt(server.recv()).await.expect("recv"))[1],
        "still here"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_peer_is_dropped_after_the_handshake_interval() {
    let server = rep(Options {
        handshake_interval: 50,
        ..fast()
    });
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let addr = endpoint.strip_prefix("tcp://").expect("tcp");
    let mut raw = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let mut sink = Vec::new();
    // We get the server's greeting, then the end of the stream once the interval is over.
    // A reset instead of a clean end is fine too: either way the server hung up.
    let _ = prompt(raw.read_to_end(&mut sink)).await;
    assert!(sink.len() >= 10, "the server's greeting arrived first");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(40), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(server.peer_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queues_make_send_wait_then_eagain() {
    // The receiver stops reading after one queued message; the sender may queue two.
    let receiver = RouterSocket::new(
        &Handle::current(),
        Options {
            receive_high_water_mark: 1,
            ..fast()
        },
    );
    let endpoint = prompt(receiver.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let sender = DealerSocket::new(
        &Handle::current(),
        Options {
            send_high_water_mark: 2,
            send_timeout: 30,
            ..fast()
        },
    );
    sender.connect(&endpoint).expect("connect");
    until(|| sender.peer_count() == 1).await;
    let body = Bytes::from(vec![9u8; 1 << 20]);
    let mut sent = 0;
    let blocked = loop {
        assert!(
            sent < 200,
            "kernel buffers cannot hold 200 MiB: back-pressure is missing"
        );
        match sender.send(vec![body.clone()]).await {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(blocked.code, ErrorCode::Eagain);
    assert_eq!(
        sender
            .try_send(&lend(&vec![body.clone()]))
            .expect("try_send"),
        TrySend::Wait
    );
    // Once the receiver reads again, everything sent arrives and sending works again.
    for _ in 0..sent {
        let m = prompt(receiver.recv()).await.expect("recv");
        assert_eq!(m[1].len(), 1 << 20);
    }
    prompt(sender.send(msg(&["after"])))
        .await
        .expect("send after draining");
    assert_eq!(
        text(&prompt(receiver.recv()).await.expect("recv"))[1],
        "after"
    );
}
