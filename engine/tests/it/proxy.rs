//! The engine's proxy: REQ -> ROUTER | proxy | DEALER -> REP with two workers, the sockets being
//! the proxy's while it runs (EBUSY), stopping by drop and by a socket closing (also one closed
//! right after the call, before the spawned proxy task ran).

use crate::common::*;
use std::collections::HashSet;
use tokio::runtime::Handle;
use zeromq_napi_engine::{run_proxy, start_proxy, DealerSocket, ErrorCode, Options, RouterSocket};

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

/// A close right after the proxy is spawned, before its task has run on another worker thread,
/// is a close while it runs: it ends without error, never EBADF. Many rounds, so the spawned task
/// starts after the close in most of them; the sockets are free again once the task is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_right_after_the_proxy_is_spawned_ends_it_without_error() {
    for round in 0..200 {
        let frontend = router(fast());
        let backend = dealer(fast());
        let proxy = tokio::spawn(run_proxy(frontend.clone().into(), backend.clone().into()));
        // The call took both sockets, whether or not its task has started.
        let busy = frontend.try_recv().err().map(|e| e.code);
        assert_eq!(busy, Some(ErrorCode::Ebusy), "round {round}");
        let close_frontend = round % 2 == 0;
        if close_frontend {
            frontend.close();
        } else {
            backend.close();
        }
        prompt(proxy)
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("round {round}: ends without error, got {e:?}"));
        let free = if close_frontend {
            backend.try_recv()
        } else {
            frontend.try_recv()
        };
        assert_eq!(free.expect("free again"), None, "round {round}");
    }
}

/// `ProxyStop::stop` frees the sockets on the calling thread, before the forwarding's task has
/// been dropped (it is still running here, and still waiting): what it frees, it frees at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_proxy_frees_its_sockets_before_its_task_ends() {
    for round in 0..200 {
        let frontend = router(fast());
        let backend = dealer(fast());
        let (stop, forwarding) =
            start_proxy(frontend.clone().into(), backend.clone().into()).expect("start");
        let task = tokio::spawn(forwarding);
        let busy = backend.try_recv().err().map(|e| e.code);
        assert_eq!(busy, Some(ErrorCode::Ebusy), "round {round}");
        stop.stop();
        assert_eq!(frontend.try_recv().expect("free"), None, "round {round}");
        assert_eq!(backend.try_recv().expect("free"), None, "round {round}");
        // The released hold ends the forwarding too, without a close.
        prompt(task).await.expect("join");
        drop(stop);
    }
}

/// Taking the sockets at the call also makes a failed start fail the same way wherever the
/// future runs, and hold nothing once it has failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_proxy_on_a_closed_socket_fails_ebadf_and_holds_nothing() {
    let frontend = router(fast());
    let backend = dealer(fast());
    backend.close();
    let proxy = tokio::spawn(run_proxy(frontend.clone().into(), backend.into()));
    let e = prompt(proxy).await.expect("join").err().map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::Ebadf));
    assert_eq!(frontend.try_recv().expect("free"), None);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_queued_before_the_proxy_starts_goes_round_robin_each_worker_in_order() {
    let (frontend, fe, backend, be) = broker().await;
    let workers = [dealer(fast()), dealer(fast())];
    for w in &workers {
        w.connect(&be).expect("connect");
    }
    until(|| backend.peer_count() == 2).await;
    let client = dealer(fast());
    client.connect(&fe).expect("connect");
    let n = 200;
    for i in 0..n {
        prompt(client.send(msg(&[&i.to_string()])))
            .await
            .expect("send");
    }
    // Queued at the frontend (some or all) when the proxy starts: its first poll finds a burst,
    // whose messages are written together at its end.
    until(|| frontend.has_messages()).await;
    let proxy = tokio::spawn(run_proxy(frontend.clone().into(), backend.clone().into()));
    let mut got = Vec::new();
    for w in &workers {
        let mut mine = Vec::new();
        for _ in 0..n / 2 {
            let m = text(&prompt(w.recv()).await.expect("recv"));
            mine.push(m[m.len() - 1].parse::<usize>().expect("a number"));
        }
        assert!(mine.windows(2).all(|p| p[0] < p[1]), "in order: {mine:?}");
        got.extend(mine);
    }
    got.sort_unstable();
    assert_eq!(got, (0..n).collect::<Vec<_>>(), "each message once");
    proxy.abort();
    let _ = proxy.await;
}
