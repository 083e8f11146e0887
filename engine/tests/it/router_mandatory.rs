//! ROUTER_MANDATORY (EHOSTUNREACH for an unknown peer), one receive at a time on DEALER and
//! ROUTER (EBUSY), and DEALER sends that wait going out in the order they were started.

use crate::common::*;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use tokio::runtime::Handle;
use zeromq_napi_engine::{DealerSocket, ErrorCode, Options, RouterSocket};

fn dealer(options: Options) -> DealerSocket {
    DealerSocket::new(&Handle::current(), options)
}

fn router(options: Options) -> RouterSocket {
    RouterSocket::new(&Handle::current(), options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mandatory_router_refuses_unknown_peers() {
    let r = router(Options {
        mandatory: true,
        ..fast()
    });
    let endpoint = prompt(r.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let e = r
        .send(vec![
            Bytes::from_static(b"nobody"),
            Bytes::from_static(b"x"),
        ])
        .await
        .err()
        .map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Ehostunreach));
    assert_eq!(ErrorCode::Ehostunreach.as_str(), "EHOSTUNREACH");

    let d = dealer(Options {
        routing_id: Some(Bytes::from_static(b"known")),
        ..fast()
    });
    d.connect(&endpoint).expect("connect");
    until(|| r.peer_count() == 1).await;
    prompt(r.send(vec![
        Bytes::from_static(b"known"),
        Bytes::from_static(b"hi"),
    ]))
    .await
    .expect("send to a known peer");
    assert_eq!(text(&prompt(d.recv()).await.expect("recv")), ["hi"]);

    // Gone again: unreachable again.
    d.close();
    until(|| r.peer_count() == 0).await;
    let e = r
        .try_send(&lend(&vec![
            Bytes::from_static(b"known"),
            Bytes::from_static(b"x"),
        ]))
        .err()
        .map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Ehostunreach));

    // Without the option the same message is dropped silently.
    let lax = router(fast());
    assert_eq!(
        lax.try_send(&lend(&vec![
            Bytes::from_static(b"nobody"),
            Bytes::from_static(b"x")
        ]))
        .expect("dropped"),
        TrySend::Sent
    );
}

/// Polls `fut` once (it registers its waits), without waiting for it.
async fn poll_once<F: Future + Unpin>(fut: &mut F) {
    std::future::poll_fn(|cx| {
        let _ = Pin::new(&mut *fut).poll(cx);
        Poll::Ready(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_receive_is_busy() {
    let d = dealer(fast());
    let r = router(fast());
    let (d1, r1) = (d.clone(), r.clone());
    let mut first = Box::pin(async move { d1.recv().await });
    let mut first_r = Box::pin(async move { r1.recv().await });
    poll_once(&mut first).await;
    poll_once(&mut first_r).await;
    assert_eq!(d.recv().await.err().map(|e| e.code), Some(ErrorCode::Ebusy));
    assert_eq!(r.recv().await.err().map(|e| e.code), Some(ErrorCode::Ebusy));
    assert_eq!(d.try_recv().err().map(|e| e.code), Some(ErrorCode::Ebusy));
    // A dropped receive gives the turn back.
    drop(first);
    assert_eq!(d.try_recv().expect("free again"), None);
    r.close();
    let e = prompt(first_r).await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Eagain));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_dealer_sends_keep_their_order() {
    let d = dealer(fast());
    let mut sends = Vec::new();
    for i in 0..50 {
        let d = d.clone();
        let mut send = Box::pin(async move { d.send(msg(&[&i.to_string()])).await });
        // Started in this order: each is waiting for its turn before the next starts.
        poll_once(&mut send).await;
        sends.push(send);
    }
    let r = router(fast());
    let endpoint = prompt(r.bind("tcp://127.0.0.1:*")).await.expect("bind");
    d.connect(&endpoint).expect("connect");
    // Driven in the reverse order: the turns, not the polling, decide what goes out first.
    let tasks: Vec<_> = sends.into_iter().rev().map(tokio::spawn).collect();
    for task in tasks {
        prompt(task).await.expect("join").expect("send");
    }
    for i in 0..50 {
        let m = prompt(r.recv()).await.expect("recv");
        assert_eq!(text(&m)[1], i.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_timeout_covers_the_wait_for_the_turn() {
    let d = dealer(fast());
    let waiting = d.clone();
    let mut first = Box::pin(async move { waiting.send(msg(&["first"])).await });
    poll_once(&mut first).await;
    // The first send holds the turn (no peer, no timeout); a later one with a zero timeout must
    // fail at once instead of waiting for that turn.
    d.set_options(Options {
        send_timeout: 0,
        ..fast()
    });
    let e = prompt(d.send(msg(&["second"]))).await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Eagain));
    d.close();
    let e = prompt(first).await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Eagain));
}
