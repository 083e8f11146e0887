//! Cancellation safety: every public async operation can be dropped at any await point and the
//! socket stays consistent. In particular the zmq.rs bug: a send future dropped part-way must not
//! make a later receive return the reply to the earlier request.

use crate::common::*;
use bytes::Bytes;
use std::time::Duration;
use tokio::runtime::Handle;
use zeromq_napi_engine::{DealerSocket, ErrorCode, Options};

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

/// A REP echoing every request, 60 ms late for "slow" ones; its endpoint.
async fn slow_echo_server() -> String {
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    tokio::spawn(async move {
        while let Ok(request) = server.recv().await {
            if request[0].as_ref() == b"slow" {
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            if server.send(request).await.is_err() {
                return;
            }
        }
    });
    endpoint
}

/// A dropped `request`, or a dropped reply wait of the addon's fast path (`try_send_request` +
/// `await_reply`), abandons the request: its late reply is never returned for the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_request_abandons_and_resets() {
    for (fast_path, correlate) in [(false, false), (false, true), (true, false), (true, true)] {
        let case = format!("fast path {fast_path}, correlate {correlate}");
        let endpoint = slow_echo_server().await;
        let client = req(Options {
            correlate,
            ..fast()
        });
        client.connect(&endpoint).expect("connect");
        let dropped = if fast_path {
            until(|| client.peer_count() == 1).await;
            let sent = client
                .try_send_request(&lend(&msg(&["slow"])))
                .expect("send");
            assert_eq!(sent, TrySend::Sent, "{case}");
            tokio::time::timeout(Duration::from_millis(15), client.await_reply()).await
        } else {
            let request = client.request(msg(&["slow"]), None, 0);
            tokio::time::timeout(Duration::from_millis(15), request).await
        };
        assert!(dropped.is_err(), "{case}");
        // Abandoned: a new request may go out (without correlate, once the connection that owed
        // the reply is re-opened), and its reply is the one returned.
        let reply = prompt(client.request(msg(&["fast"]), None, 0))
            .await
            .expect("request");
        assert_eq!(text(&reply), ["fast"], "{case}");
        // Nothing pending any more.
        let idle = client.await_reply().await.expect_err("nothing was sent");
        assert_eq!(idle.code, ErrorCode::Efsm, "{case}");
    }
}

/// A timed request with no retries on the addon's fast path (`try_send_request` +
/// `await_reply_within`) fails as `request` does when its reply is late, and resets the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_reply_wait_fails_like_request() {
    for fast_path in [false, true] {
        let endpoint = slow_echo_server().await;
        let client = req(fast());
        client.connect(&endpoint).expect("connect");
        until(|| client.peer_count() == 1).await;
        let late = Some(Duration::from_millis(15));
        let failed = if fast_path {
            let sent = client
                .try_send_request(&lend(&msg(&["slow"])))
                .expect("send");
            assert_eq!(sent, TrySend::Sent, "fast path {fast_path}");
            client.await_reply_within(late).await
        } else {
            client.request(msg(&["slow"]), late, 0).await
        }
        .expect_err("the reply is late");
        assert_eq!(failed.code, ErrorCode::Eagain, "fast path {fast_path}");
        assert!(
            failed.message.contains("no reply after 1 attempt"),
            "fast path {fast_path}: {failed:?}"
        );
        let reply = prompt(client.request(msg(&["fast"]), None, 0))
            .await
            .expect("request");
        assert_eq!(text(&reply), ["fast"], "fast path {fast_path}");
    }
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
