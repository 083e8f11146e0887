//! The engine's proxy: REQ -> ROUTER | proxy | DEALER -> REP with two workers, the sockets being
//! the proxy's while it runs (EBUSY), stopping by drop and by a socket closing.

use crate::common::*;
use std::collections::HashSet;
use tokio::runtime::Handle;
use zeromq_napi_engine::{run_proxy, DealerSocket, ErrorCode, Options, RouterSocket};

fn dealer(options: Options) -> DealerSocket {
    DealerSocket::new(&Handle::current(), options)
}

fn router(options: Options) -> RouterSocket {
    RouterSocket::new(&Handle::current(), options)
}

/// A bound ROUTER frontend and DEALER backend with their endpoints.
async fn broker() -> (RouterSocket, String, DealerSocket, String) {
    let frontend = router(fast());
    let backend = dealer(fast());
    let fe = prompt(frontend.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let be = prompt(backend.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    (frontend, fe, backend, be)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_carries_requests_to_two_workers_and_back() {
    let (frontend, fe, backend, be) = broker().await;
    let proxy = tokio::spawn(run_proxy(frontend.clone().into(), backend.clone().into()));
    for name in ["w1:", "w2:"] {
        let worker = rep(fast());
        worker.connect(&be).expect("connect");
        tokio::spawn(serve_echo(worker, name));
    }
    until(|| backend.peer_count() == 2).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        let c = req(fast());
        c.connect(&fe).expect("connect");
        clients.push(c);
    }
    let mut workers_seen = HashSet::new();
    for round in 0..5 {
        for (i, c) in clients.iter().enumerate() {
            prompt(c.send(msg(&[&format!("{i}.{round}")])))
                .await
                .expect("send");
        }
        for (i, c) in clients.iter().enumerate() {
            let reply = text(&prompt(c.recv()).await.expect("recv"));
            assert_eq!(reply.len(), 1);
            let (worker, body) = reply[0].split_at(3);
            assert_eq!(body, format!("{i}.{round}"));
            workers_seen.insert(worker.to_owned());
        }
    }
    assert_eq!(
        workers_seen.len(),
        2,
        "both workers served: {workers_seen:?}"
    );

    // The proxy owns its sockets.
    let e = frontend.recv().await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Ebusy));
    let e = backend.send(msg(&["x"])).await.err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Ebusy));
    let e = run_proxy(backend.clone().into(), frontend.clone().into())
        .await
        .err()
        .map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Ebusy));
    assert!(!proxy.is_finished());

    // Stopping it (dropping its future) hands them back.
    proxy.abort();
    let _ = proxy.await;
    assert_eq!(frontend.try_recv().expect("free again"), None);
    assert_eq!(backend.try_recv().expect("free again"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_ends_when_a_socket_closes() {
    for close_frontend in [true, false] {
        let (frontend, _fe, backend, _be) = broker().await;
        let proxy = tokio::spawn(run_proxy(frontend.clone().into(), backend.clone().into()));
        until(|| frontend.try_recv().err().map(|e| e.code) == Some(ErrorCode::Ebusy)).await;
        if close_frontend {
            frontend.close();
        } else {
            backend.close();
        }
        prompt(proxy)
            .await
            .expect("join")
            .expect("ends without error");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_refuses_closed_and_doubled_sockets() {
    let (frontend, _fe, backend, _be) = broker().await;
    let same = run_proxy(frontend.clone().into(), frontend.clone().into())
        .await
        .err()
        .map(|e| e.code);
    assert_eq!(same, Some(ErrorCode::Ebusy));
    // The failed attempt held nothing.
    assert_eq!(frontend.try_recv().expect("free"), None);
    backend.close();
    let closed = run_proxy(frontend.clone().into(), backend.into())
        .await
        .err()
        .map(|e| e.code);
    assert_eq!(closed, Some(ErrorCode::Ebadf));
    assert_eq!(frontend.try_recv().expect("free"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_moves_large_frames_both_ways() {
    let (frontend, fe, backend, be) = broker().await;
    tokio::spawn(run_proxy(frontend.into(), backend.into()));
    let worker = rep(fast());
    worker.connect(&be).expect("connect");
    tokio::spawn(serve_echo(worker, ""));
    let c = req(fast());
    c.connect(&fe).expect("connect");
    let big = bytes::Bytes::from(vec![7u8; 1 << 20]);
    prompt(c.send(vec![big.clone()])).await.expect("send");
    let reply = prompt(c.recv()).await.expect("recv");
    assert_eq!(reply, vec![big]);
}
