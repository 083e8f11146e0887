//! DEALER and ROUTER: round-robin, fair queueing, routing ids, dropping for unknown peers, and
//! REP envelopes through a ROUTER/DEALER broker (multi-hop).

use crate::common::*;
use bytes::Bytes;
use tokio::runtime::Handle;
use zeromq_napi_engine::{DealerSocket, ErrorCode, Options, RouterSocket};

fn dealer(options: Options) -> DealerSocket {
    DealerSocket::new(&Handle::current(), options)
}

fn router(options: Options) -> RouterSocket {
    RouterSocket::new(&Handle::current(), options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_prepends_and_routes_by_identity() {
    let r = router(fast());
    let endpoint = prompt(r.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let named = dealer(Options {
        routing_id: Some(Bytes::from_static(b"alice")),
        ..fast()
    });
    let anonymous = dealer(fast());
    named.connect(&endpoint).expect("connect");
    anonymous.connect(&endpoint).expect("connect");
    prompt(named.send(msg(&["from alice"])))
        .await
        .expect("send");
    prompt(anonymous.send(msg(&["from anon"])))
        .await
        .expect("send");
    let mut ids = std::collections::HashMap::new();
    for _ in 0..2 {
        let m = prompt(r.recv()).await.expect("recv");
        assert_eq!(m.len(), 2);
        ids.insert(text(&m)[1].clone(), m[0].clone());
    }
    assert_eq!(ids["from alice"].as_ref(), b"alice");
    let generated = ids["from anon"].clone();
    assert_eq!(generated.len(), 5);
    assert_eq!(
        generated[0], 0,
        "generated ids start with a zero byte like libzmq's"
    );

    r.send(vec![generated.clone(), Bytes::from_static(b"to anon")])
        .await
        .expect("send");
    r.send(vec![
        Bytes::from_static(b"alice"),
        Bytes::from_static(b"to alice"),
    ])
    .await
    .expect("send");
    // Unknown peer: dropped silently.
    r.send(vec![
        Bytes::from_static(b"nobody"),
        Bytes::from_static(b"x"),
    ])
    .await
    .expect("send");
    assert_eq!(
        text(&prompt(named.recv()).await.expect("recv")),
        ["to alice"]
    );
    assert_eq!(
        text(&prompt(anonymous.recv()).await.expect("recv")),
        ["to anon"]
    );
    // Only the routing id: nothing to send.
    let e = r
        .send(vec![Bytes::from_static(b"alice")])
        .await
        .err()
        .map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Einval));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dealer_round_robins_and_router_fair_queues() {
    let r1 = router(fast());
    let r2 = router(fast());
    let e1 = prompt(r1.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let e2 = prompt(r2.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let d = dealer(fast());
    d.connect(&e1).expect("connect");
    d.connect(&e2).expect("connect");
    until(|| d.peer_count() == 2).await;
    for i in 0..4 {
        prompt(d.send(msg(&[&i.to_string()]))).await.expect("send");
    }
    let mut got1 = Vec::new();
    let mut got2 = Vec::new();
    for _ in 0..2 {
        got1.push(text(&prompt(r1.recv()).await.expect("recv"))[1].clone());
        got2.push(text(&prompt(r2.recv()).await.expect("recv"))[1].clone());
    }
    let mut all = [got1.clone(), got2.clone()].concat();
    all.sort();
    assert_eq!(all, ["0", "1", "2", "3"]);
    assert!(
        got1 == ["0", "2"] || got1 == ["1", "3"],
        "{got1:?} {got2:?}"
    );

    // Both senders' messages all arrive (the turn order itself is unit-tested in inbound.rs).
    let r = router(fast());
    let e = prompt(r.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let a = dealer(Options {
        routing_id: Some(Bytes::from_static(b"a")),
        ..fast()
    });
    let b = dealer(Options {
        routing_id: Some(Bytes::from_static(b"b")),
        ..fast()
    });
    a.connect(&e).expect("connect");
    b.connect(&e).expect("connect");
    for i in 0..5 {
        prompt(a.send(msg(&[&i.to_string()]))).await.expect("send");
        prompt(b.send(msg(&[&i.to_string()]))).await.expect("send");
    }
    let mut order = Vec::new();
    for _ in 0..10 {
        order.push(text(&prompt(r.recv()).await.expect("recv"))[0].clone());
    }
    let a_count = order.iter().filter(|s| *s == "a").count();
    assert_eq!(a_count, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dealer_send_waits_for_a_peer_then_times_out() {
    let d = dealer(Options {
        send_timeout: 25,
        ..fast()
    });
    let e = d.send(msg(&["x"])).await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Eagain));
    assert_eq!(
        d.try_send(&lend(&msg(&["x"]))).expect("try_send"),
        TrySend::Wait
    );
    let d = dealer(Options {
        receive_timeout: 20,
        ..fast()
    });
    let e = d.recv().await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Eagain));
    assert_eq!(d.try_recv().expect("try_recv"), None);
}

/// frontend ROUTER <-> backend DEALER, forwarding both ways.
fn spawn_broker(frontend: RouterSocket, backend: DealerSocket) {
    let (f, b) = (frontend.clone(), backend.clone());
    tokio::spawn(async move {
        while let Ok(m) = f.recv().await {
            if b.send(m).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        while let Ok(m) = backend.recv().await {
            if frontend.send(m).await.is_err() {
                return;
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_keeps_the_envelope_through_a_broker() {
    let frontend = router(fast());
    let backend = dealer(fast());
    let fe = prompt(frontend.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let be = prompt(backend.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    spawn_broker(frontend, backend);
    let worker = rep(fast());
    worker.connect(&be).expect("connect");
    tokio::spawn(serve_echo(worker, "w:"));
    let mut clients = Vec::new();
    for correlate in [false, true, false] {
        let c = req(Options {
            correlate,
            ..fast()
        });
        c.connect(&fe).expect("connect");
        clients.push(c);
    }
    for round in 0..3 {
        for (i, c) in clients.iter().enumerate() {
            prompt(c.send(msg(&[&format!("{i}.{round}"), "x"])))
                .await
                .expect("send");
        }
        for (i, c) in clients.iter().enumerate() {
            let reply = prompt(c.recv()).await.expect("recv");
            assert_eq!(text(&reply), [format!("w:{i}.{round}"), "w:x".to_owned()]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_drops_malformed_requests() {
    let server = rep(Options {
        receive_timeout: 50,
        ..fast()
    });
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let d = dealer(fast());
    d.connect(&endpoint).expect("connect");
    // No delimiter, and a delimiter with no body: both discarded.
    prompt(d.send(msg(&["no delimiter"]))).await.expect("send");
    prompt(d.send(msg(&[""]))).await.expect("send");
    prompt(d.send(msg(&["", "ok"]))).await.expect("send");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["ok"]);
    prompt(server.send(msg(&["reply"]))).await.expect("send");
    assert_eq!(text(&prompt(d.recv()).await.expect("recv")), ["", "reply"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_identities() {
    // ROUTER refuses a second peer with an identity already in use, as libzmq does...
    let r = router(fast());
    let endpoint = prompt(r.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let named = || {
        dealer(Options {
            routing_id: Some(Bytes::from_static(b"dup")),
            ..fast()
        })
    };
    let (first, second) = (named(), named());
    first.connect(&endpoint).expect("connect");
    until(|| r.peer_count() == 1).await;
    second.connect(&endpoint).expect("connect");
    prompt(first.send(msg(&["first"]))).await.expect("send");
    assert_eq!(
        text(&prompt(r.recv()).await.expect("recv")),
        ["dup", "first"]
    );
    assert_eq!(r.peer_count(), 1);

    // ...but a DEALER happily talks to two servers that announce the same identity.
    let (s1, s2) = (
        router(Options {
            routing_id: Some(Bytes::from_static(b"srv")),
            ..fast()
        }),
        router(Options {
            routing_id: Some(Bytes::from_static(b"srv")),
            ..fast()
        }),
    );
    let e1 = prompt(s1.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let e2 = prompt(s2.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let d = dealer(fast());
    d.connect(&e1).expect("connect");
    d.connect(&e2).expect("connect");
    until(|| d.peer_count() == 2).await;
}
