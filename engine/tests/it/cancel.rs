//! Cancellation safety: every public async operation can be dropped at any await point and the
//! socket stays consistent. In particular the zmq.rs bug: a send future dropped part-way must not
//! make a later receive return the reply to the earlier request.

use crate::common::*;
use bytes::Bytes;
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use zeromq_napi_engine::{DealerSocket, ErrorCode, FrameRef, Options};

fn big(tag: u8, len: usize) -> Bytes {
    let mut v = vec![tag; len];
    v[0] = tag;
    Bytes::from(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_send_never_mismatches_replies() {
    let (_server, endpoint, _task) = echo_server("").await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    until(|| client.peer_count() == 1).await;
    // Large requests keep the writer busy across many polls; drop the send after various delays.
    let delays = [0u64, 0, 1, 10, 50, 100, 500, 1000, 5000];
    for (round, micros) in delays.into_iter().enumerate() {
        let tag_a = (2 * round) as u8;
        let tag_b = tag_a + 1;
        let first = tokio::time::timeout(
            Duration::from_micros(micros),
            client.send(vec![big(tag_a, 4 << 20)]),
        )
        .await;
        match client.send(vec![big(tag_b, 16)]).await {
            Ok(()) => {
                // The first send did not happen: the reply is the second's.
                assert!(first.is_err(), "round {round}");
                let reply = prompt(client.recv()).await.expect("recv");
                assert_eq!(
                    reply[0][0], tag_b,
                    "round {round}: got the reply to a dropped send"
                );
                assert_eq!(reply[0].len(), 16);
            }
            Err(e) => {
                // The first send did happen (whatever its future saw): its reply comes first.
                assert_eq!(e.code, ErrorCode::Efsm, "round {round}");
                let reply = prompt(client.recv()).await.expect("recv");
                assert_eq!(
                    (reply[0][0], reply[0].len()),
                    (tag_a, 4 << 20),
                    "round {round}"
                );
                prompt(client.send(vec![big(tag_b, 16)]))
                    .await
                    .expect("send");
                let reply = prompt(client.recv()).await.expect("recv");
                assert_eq!((reply[0][0], reply[0].len()), (tag_b, 16), "round {round}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_dropped_while_waiting_for_a_peer_is_never_sent() {
    let probe = rep(fast());
    let endpoint = probe.bind("tcp://127.0.0.1:*").await.expect("bind");
    probe.close();
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    let dropped =
        tokio::time::timeout(Duration::from_millis(20), client.send(msg(&["dropped"]))).await;
    assert!(
        dropped.is_err(),
        "no server yet: the send must still be waiting"
    );
    let server = rep(fast());
    server.bind(&endpoint).await.expect("bind");
    prompt(client.send(msg(&["kept"]))).await.expect("send");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["kept"]);
    prompt(server.send(msg(&["reply"]))).await.expect("send");
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["reply"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_receive_keeps_the_request_pending() {
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["q"]))).await.expect("send");
    assert!(
        tokio::time::timeout(Duration::from_millis(5), client.recv())
            .await
            .is_err()
    );
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["q"]);
    prompt(server.send(msg(&["a"]))).await.expect("send");
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["a"]);

    // A dropped REP receive loses nothing either.
    assert!(
        tokio::time::timeout(Duration::from_millis(5), server.recv())
            .await
            .is_err()
    );
    prompt(client.send(msg(&["q2"]))).await.expect("send");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["q2"]);
}

/// A REP echoing every request; it holds the echo of a "slow" one until the test lets it go.
/// The test learns that a "slow" request arrived from `arrived`, and lets its echo go with
/// `release` (once per "slow" request): so a reply is late because the test has not released it
/// yet, not because some number of milliseconds went by.
struct HeldEchoServer {
    endpoint: String,
    arrived: mpsc::UnboundedReceiver<()>,
    release: mpsc::UnboundedSender<()>,
}

impl HeldEchoServer {
    async fn start() -> HeldEchoServer {
        let server = rep(fast());
        let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
        let (arrived_tx, arrived) = mpsc::unbounded_channel();
        let (release, mut released) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(request) = server.recv().await {
                if request[0].as_ref() == b"slow" {
                    // The test may have gone (its receiver dropped): then nobody waits for this.
                    let _ = arrived_tx.send(());
                    if released.recv().await.is_none() {
                        return;
                    }
                }
                if server.send(request).await.is_err() {
                    return;
                }
            }
        });
        HeldEchoServer {
            endpoint,
            arrived,
            release,
        }
    }

    /// Waits (up to [`PROMPT`]) until a "slow" request has reached the server.
    async fn slow_arrived(&mut self) {
        prompt(self.arrived.recv())
            .await
            .expect("the server task is running");
    }

    /// Lets the server echo the "slow" request it holds (or the next one to come).
    fn release(&self) {
        self.release.send(()).expect("the server task is running");
    }
}

/// A dropped `request` abandons the request, whether it went out in the call (a live peer with
/// room: the send on the spot) or from its future: its late reply is never returned for the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_request_abandons_and_resets() {
    for (on_the_spot, correlate) in [(false, false), (false, true), (true, false), (true, true)] {
        let case = format!("sent on the spot {on_the_spot}, correlate {correlate}");
        let mut server = HeldEchoServer::start().await;
        let client = req(Options {
            correlate,
            ..fast()
        });
        client.connect(&server.endpoint).expect("connect");
        if on_the_spot {
            until(|| client.peer_count() == 1).await;
        }
        let mut request = Box::pin(client.request(&lend(&msg(&["slow"])), None, 0));
        if on_the_spot {
            assert!(client.awaiting_reply(), "{case}: sent in the call");
        }
        // Polled until the server holds the request (so it did go out, from the future when not
        // in the call), then dropped with its reply still held.
        tokio::select! {
            reply = &mut request => panic!("{case}: answered before the server let it go: {reply:?}"),
            () = server.slow_arrived() => {}
        }
        drop(request);
        server.release();
        // Abandoned: a new request may go out (without correlate, once the connection that owed
        // the reply is re-opened), and its reply is the one returned, not the late "slow".
        let reply = prompt(client.request(&lend(&msg(&["fast"])), None, 0))
            .await
            .expect("request");
        assert_eq!(text(&reply), ["fast"], "{case}");
        // Nothing pending any more.
        let idle = client.recv().await.expect_err("nothing was sent");
        assert_eq!(idle.code, ErrorCode::Efsm, "{case}");
    }
}

/// A timed request with no retries fails EAGAIN when its reply is late, and resets the socket,
/// whether it went out in the call or from its future.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_reply_wait_fails_like_request() {
    for on_the_spot in [false, true] {
        let server = HeldEchoServer::start().await;
        let client = req(fast());
        client.connect(&server.endpoint).expect("connect");
        if on_the_spot {
            until(|| client.peer_count() == 1).await;
        }
        let timeout = Some(Duration::from_millis(15));
        let request = client.request(&lend(&msg(&["slow"])), timeout, 0);
        if on_the_spot {
            assert!(client.awaiting_reply(), "sent in the call");
        }
        // The server holds the echo until after the failure: the reply is late however long
        // the 15 ms take on a loaded machine.
        let failed = prompt(request).await.expect_err("the reply is late");
        server.release();
        assert_eq!(failed.code, ErrorCode::Eagain, "on the spot {on_the_spot}");
        assert!(
            failed.message.contains("no reply after 1 attempt"),
            "on the spot {on_the_spot}: {failed:?}"
        );
        let reply = prompt(client.request(&lend(&msg(&["fast"])), None, 0))
            .await
            .expect("request");
        assert_eq!(text(&reply), ["fast"], "on the spot {on_the_spot}");
    }
}

/// Requests run in call order through the one queue: one sent on the spot, the ones made while
/// it is pending wait their turn (their lent bytes copied in the call), and replies come back
/// to the call that made each request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_queue_in_call_order() {
    let server = HeldEchoServer::start().await;
    let client = req(fast());
    client.connect(&server.endpoint).expect("connect");
    until(|| client.peer_count() == 1).await;
    let mut bodies: Vec<Vec<u8>> = ["slow", "b", "c"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let requests: Vec<_> = bodies
        .iter()
        .map(|body| client.request(&[FrameRef::Lent(body)], None, 0))
        .collect();
    // The lent bytes of the waiting ones were taken in their calls.
    for body in &mut bodies {
        body.fill(b'x');
    }
    // Only now is "slow" answered: "b" and "c" were surely still waiting behind it.
    server.release();
    let mut replies = Vec::new();
    for request in requests {
        replies.push(text(&prompt(request).await.expect("request")));
    }
    assert_eq!(replies, [["slow"], ["b"], ["c"]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_dealer_receive_loses_nothing() {
    let a = DealerSocket::new(&Handle::current(), fast());
    let b = DealerSocket::new(&Handle::current(), fast());
    let endpoint = a.bind("tcp://127.0.0.1:*").await.expect("bind");
    b.connect(&endpoint).expect("connect");
    const N: usize = 200;
    let sender = tokio::spawn(async move {
        for i in 0..N {
            b.send(msg(&[&i.to_string()])).await.expect("send");
            if i % 16 == 0 {
                tokio::task::yield_now().await;
            }
        }
        b
    });
    // Receives dropped at all sorts of points (before and while messages arrive) lose nothing.
    let mut got = Vec::new();
    let mut attempt = 0u64;
    prompt(async {
        while got.len() < N {
            attempt += 1;
            if let Ok(r) =
                tokio::time::timeout(Duration::from_micros(attempt % 7 * 20), a.recv()).await
            {
                got.push(text(&r.expect("recv"))[0].clone());
            }
        }
    })
    .await;
    let want: Vec<String> = (0..N).map(|i| i.to_string()).collect();
    assert_eq!(got, want);
    drop(prompt(sender).await.expect("sender"));
}
