//! REQ/REP between our own sockets: alternation, multipart, round-robin, restarts, timeouts and
//! their resets (with and without correlate), relaxed, request() queueing and retries.

use crate::common::*;
use bytes::Bytes;
use std::time::Duration;
use tokio::time::Instant;
use zeromq_napi_engine::{ErrorCode, Options, RepSocket};

fn code<T: std::fmt::Debug>(r: Result<T, zeromq_napi_engine::Error>) -> ErrorCode {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code,
    }
}

/// A REP that answers "slow" after `delay` with "late", and anything else at once with "re:" + it.
async fn slow_server(delay: Duration) -> (RepSocket, String) {
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let s = server.clone();
    tokio::spawn(async move {
        while let Ok(request) = s.recv().await {
            let reply = if request[0].as_ref() == b"slow" {
                tokio::time::sleep(delay).await;
                msg(&["late"])
            } else {
                vec![Bytes::from([b"re:".as_ref(), request[0].as_ref()].concat())]
            };
            if s.send(reply).await.is_err() {
                return;
            }
        }
    });
    (server, endpoint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_round_trip_and_multipart() {
    let (_server, endpoint, _task) = echo_server("re:").await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["hello"]))).await.expect("send");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["re:hello"]
    );
    prompt(client.send(msg(&["a", "", "c"])))
        .await
        .expect("send");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["re:a", "re:", "re:c"]
    );
    // A large frame (written by reference) and an empty one survive the trip.
    let big = Bytes::from(vec![0x5a; 300_000]);
    prompt(client.send(vec![big.clone(), Bytes::new()]))
        .await
        .expect("send");
    let reply = prompt(client.recv()).await.expect("recv");
    assert_eq!(reply.len(), 2);
    assert_eq!(&reply[0][..3], b"re:");
    assert_eq!(&reply[0][3..], &big[..]);
    assert_eq!(reply[1].as_ref(), b"re:");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alternation_is_enforced() {
    let (_server, endpoint, _task) = echo_server("").await;
    let client = req(fast());
    assert_eq!(code(client.recv().await), ErrorCode::Efsm);
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["1"]))).await.expect("send");
    assert_eq!(code(client.send(msg(&["2"])).await), ErrorCode::Efsm);
    assert_eq!(code(client.try_send(&lend(&msg(&["2"])))), ErrorCode::Efsm);
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["1"]);
    assert_eq!(code(client.recv().await), ErrorCode::Efsm);

    let server = rep(fast());
    assert_eq!(code(server.send(msg(&["x"])).await), ErrorCode::Efsm);
    let ep = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    client.connect(&ep).expect("connect");
    client.disconnect(&endpoint).expect("disconnect");
    until(|| client.peer_count() == 1 && server.peer_count() == 1).await;
    prompt(client.send(msg(&["q"]))).await.expect("send");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["q"]);
    assert_eq!(code(server.recv().await), ErrorCode::Efsm);
    prompt(server.send(msg(&["a"]))).await.expect("reply");
    assert_eq!(code(server.send(msg(&["b"])).await), ErrorCode::Efsm);
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_pending_receive_is_ebusy() {
    let (_server, endpoint) = slow_server(Duration::from_millis(100)).await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["slow"]))).await.expect("send");
    let first = client.recv();
    tokio::pin!(first);
    // Start the first receive, then try a second while it is pending.
    assert!(tokio::time::timeout(Duration::from_millis(5), &mut first)
        .await
        .is_err());
    assert_eq!(code(client.recv().await), ErrorCode::Ebusy);
    assert_eq!(code(client.try_recv()), ErrorCode::Ebusy);
    assert_eq!(text(&prompt(first).await.expect("recv")), ["late"]);

    let server = rep(fast());
    server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let pending = server.recv();
    tokio::pin!(pending);
    assert!(tokio::time::timeout(Duration::from_millis(5), &mut pending)
        .await
        .is_err());
    assert_eq!(code(server.recv().await), ErrorCode::Ebusy);
    assert_eq!(code(server.recv_request().await), ErrorCode::Ebusy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_over_two_servers_and_skips_a_dead_one() {
    let (server_a, endpoint_a, _ta) = echo_server("A:").await;
    let (server_b, endpoint_b, _tb) = echo_server("B:").await;
    let client = req(fast());
    client.connect(&endpoint_a).expect("connect");
    client.connect(&endpoint_b).expect("connect");
    until(|| client.peer_count() == 2).await;
    let mut seen = Vec::new();
    for i in 0..6 {
        prompt(client.send(msg(&[&i.to_string()])))
            .await
            .expect("send");
        let reply = text(&prompt(client.recv()).await.expect("recv"));
        seen.push(reply[0][..1].to_owned());
    }
    for pair in seen.chunks(2) {
        assert_ne!(pair[0], pair[1], "not round-robin: {seen:?}");
    }
    server_b.close();
    until(|| client.peer_count() == 1).await;
    for i in 0..4 {
        prompt(client.send(msg(&[&i.to_string()])))
            .await
            .expect("send");
        assert_eq!(
            text(&prompt(client.recv()).await.expect("recv")),
            [format!("A:{i}")]
        );
    }
    drop(server_a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_recovers_after_server_restart() {
    let (server, endpoint, _task) = echo_server("1:").await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["a"]))).await.expect("send");
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["1:a"]);
    server.close();
    // The port is released by close() at once: the new server binds it right away.
    let restarted = rep(fast());
    assert_eq!(
        prompt(restarted.bind(&endpoint)).await.expect("rebind"),
        endpoint
    );
    tokio::spawn(serve_echo(restarted.clone(), "2:"));
    let reply = prompt(client.request(&lend(&msg(&["b"])), Some(Duration::from_millis(500)), 3))
        .await
        .expect("request after restart");
    assert_eq!(text(&reply), ["2:b"]);
    // And plain alternation keeps working on the new connection.
    prompt(client.send(msg(&["c"]))).await.expect("send");
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["2:c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_started_before_server() {
    // Find a free port, release it, and connect to it before anything listens there.
    let probe = rep(fast());
    let endpoint = probe.bind("tcp://127.0.0.1:*").await.expect("bind");
    probe.close();
    let client = req(fast());
    client.connect(&endpoint).expect("connect returns at once");
    let send = tokio::spawn({
        let client = client.clone();
        async move { client.send(msg(&["early"])).await }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let server = rep(fast());
    prompt(server.bind(&endpoint)).await.expect("bind");
    tokio::spawn(serve_echo(server.clone(), "re:"));
    prompt(send)
        .await
        .expect("join")
        .expect("send waited for the server");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["re:early"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_without_peer_times_out() {
    let client = req(Options {
        send_timeout: 30,
        ..fast()
    });
    client.connect("tcp://127.0.0.1:9").expect("connect");
    let started = Instant::now();
    assert_eq!(code(client.send(msg(&["x"])).await), ErrorCode::Eagain);
    assert!(started.elapsed() >= Duration::from_millis(25));
    // Nothing was sent, so a send is still allowed (not EFSM).
    assert_eq!(code(client.send(msg(&["x"])).await), ErrorCode::Eagain);
    assert_eq!(
        client.try_send(&lend(&msg(&["y"]))).expect("try_send"),
        TrySend::Wait
    );
}

async fn timeout_reset(correlate: bool) {
    let (_server, endpoint) = slow_server(Duration::from_millis(120)).await;
    let client = req(Options {
        receive_timeout: 40,
        correlate,
        ..fast()
    });
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["slow"]))).await.expect("send");
    let started = Instant::now();
    assert_eq!(code(prompt(client.recv()).await), ErrorCode::Eagain);
    assert!(started.elapsed() >= Duration::from_millis(35));
    // Reset: the next send is allowed, and the late reply is never returned for it.
    client.set_options(Options {
        receive_timeout: 3000,
        correlate,
        ..fast()
    });
    prompt(client.send(msg(&["next"])))
        .await
        .expect("send after reset");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["re:next"]
    );
    prompt(client.send(msg(&["again"]))).await.expect("send");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["re:again"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_timeout_resets_and_discards_late_reply() {
    timeout_reset(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_timeout_resets_with_correlate() {
    timeout_reset(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlate_puts_a_request_id_before_the_delimiter() {
    let router = zeromq_napi_engine::RouterSocket::new(&tokio::runtime::Handle::current(), fast());
    let endpoint = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = req(Options {
        correlate: true,
        ..fast()
    });
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["q"]))).await.expect("send");
    let request = prompt(router.recv()).await.expect("recv");
    assert_eq!(request.len(), 4, "{request:?}");
    assert_eq!(request[1].len(), 4, "request id frame");
    assert!(request[2].is_empty());
    // A reply with another id is dropped; the one with ours is returned.
    let mut wrong = request.clone();
    wrong[1] = Bytes::from_static(b"\0\0\0\0");
    if wrong[1] == request[1] {
        wrong[1] = Bytes::from_static(b"\0\0\0\x01");
    }
    wrong[3] = Bytes::from_static(b"wrong");
    router.send(wrong).await.expect("send");
    let mut right = request.clone();
    right[3] = Bytes::from_static(b"right");
    router.send(right).await.expect("send");
    assert_eq!(text(&prompt(client.recv()).await.expect("recv")), ["right"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaxed_allows_a_new_send_and_drops_the_old_reply() {
    let (_server, endpoint) = slow_server(Duration::from_millis(60)).await;
    for correlate in [false, true] {
        let client = req(Options {
            relaxed: true,
            correlate,
            ..fast()
        });
        client.connect(&endpoint).expect("connect");
        prompt(client.send(msg(&["slow"]))).await.expect("send");
        prompt(client.send(msg(&["second"])))
            .await
            .expect("relaxed second send");
        assert_eq!(
            text(&prompt(client.recv()).await.expect("recv")),
            ["re:second"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_connection_fails_the_receive_at_once() {
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["q"]))).await.expect("send");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["q"]);
    // The server goes away without replying: the receive fails now, not at a timeout.
    server.close();
    let started = Instant::now();
    assert_eq!(code(prompt(client.recv()).await), ErrorCode::Eagain);
    assert!(started.elapsed() < Duration::from_secs(1));
    // Reset: sending is allowed again.
    assert!(client.try_send(&lend(&msg(&["x"]))).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_queue_in_call_order() {
    let (server, endpoint) = {
        let server = rep(fast());
        let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
        (server, endpoint)
    };
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let (server, order) = (server.clone(), order.clone());
        tokio::spawn(async move {
            while let Ok(request) = server.recv().await {
                order.lock().expect("lock").push(text(&request)[0].clone());
                tokio::time::sleep(Duration::from_millis(2)).await;
                let _ = server.send(request).await;
            }
        });
    }
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    let call = |s: &'static str| {
        let client = client.clone();
        async move { client.request(&lend(&msg(&[s])), None, 0).await }
    };
    let (a, b, c, d) =
        prompt(async { tokio::join!(call("1"), call("2"), call("3"), call("4")) }).await;
    for (reply, want) in [(a, "1"), (b, "2"), (c, "3"), (d, "4")] {
        assert_eq!(text(&reply.expect("request")), [want]);
    }
    assert_eq!(*order.lock().expect("lock"), ["1", "2", "3", "4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_times_out_per_attempt_then_eagain() {
    // A server that takes requests and never answers.
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let s = server.clone();
    tokio::spawn(async move { while s.recv_request().await.is_ok() {} });
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    let started = Instant::now();
    let result =
        prompt(client.request(&lend(&msg(&["q"])), Some(Duration::from_millis(20)), 2)).await;
    assert_eq!(code(result), ErrorCode::Eagain);
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "{:?}",
        started.elapsed()
    );
    // The socket is usable afterwards.
    assert_eq!(code(client.recv().await), ErrorCode::Efsm);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_retries_across_a_server_restart() {
    let (server, endpoint, _task) = echo_server("1:").await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    assert_eq!(
        text(
            &prompt(client.request(&lend(&msg(&["a"])), None, 0))
                .await
                .expect("request")
        ),
        ["1:a"]
    );
    server.close();
    let restart = tokio::spawn({
        let endpoint = endpoint.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let server = rep(fast());
            server.bind(&endpoint).await.expect("rebind");
            serve_echo(server, "2:").await;
        }
    });
    let reply = prompt(client.request(&lend(&msg(&["b"])), Some(Duration::from_millis(40)), 20))
        .await
        .expect("request");
    assert_eq!(text(&reply), ["2:b"]);
    restart.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_attempt_fails_at_once_when_the_server_drops() {
    let (server_a, endpoint_a) = {
        let s = rep(fast());
        let e = s.bind("tcp://127.0.0.1:*").await.expect("bind");
        (s, e)
    };
    let (_server_b, endpoint_b, _tb) = echo_server("B:").await;
    // Server A closes as soon as it gets a request, so the attempt there is lost.
    tokio::spawn({
        let a = server_a.clone();
        async move {
            if a.recv().await.is_ok() {
                a.close();
            }
        }
    });
    let client = req(fast());
    client.connect(&endpoint_a).expect("connect");
    client.connect(&endpoint_b).expect("connect");
    until(|| client.peer_count() == 2).await;
    let started = Instant::now();
    for i in 0..2 {
        let reply = prompt(client.request(
            &lend(&msg(&[&i.to_string()])),
            Some(Duration::from_secs(3)),
            1,
        ))
        .await
        .expect("request");
        assert_eq!(text(&reply), [format!("B:{i}")]);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_serving_replies_out_of_order() {
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let clients: Vec<_> = (0..3).map(|_| req(fast())).collect();
    for c in &clients {
        c.connect(&endpoint).expect("connect");
        prompt(c.send(msg(&["hi"]))).await.expect("send");
    }
    let mut pending = Vec::new();
    for _ in 0..3 {
        pending.push(prompt(server.recv_request()).await.expect("recv_request"));
    }
    // Alternation state is untouched by recv_request.
    assert_eq!(code(server.send(msg(&["x"])).await), ErrorCode::Efsm);
    for (i, (to, body)) in pending.into_iter().enumerate().rev() {
        assert_eq!(text(&body), ["hi"]);
        server
            .reply(to, msg(&[&format!("r{i}")]))
            .await
            .expect("reply");
    }
    let mut got = Vec::new();
    for c in &clients {
        got.push(text(&prompt(c.recv()).await.expect("recv"))[0].clone());
    }
    got.sort();
    assert_eq!(got, ["r0", "r1", "r2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_socket_is_ebadf_and_pending_ops_get_eagain() {
    let server = rep(fast());
    server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let pending = tokio::spawn({
        let server = server.clone();
        async move { server.recv().await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    server.close();
    server.close();
    assert!(server.is_closed());
    assert_eq!(
        code(prompt(pending).await.expect("join")),
        ErrorCode::Eagain
    );
    assert_eq!(code(server.recv().await), ErrorCode::Ebadf);
    assert_eq!(code(server.send(msg(&["x"])).await), ErrorCode::Ebadf);
    assert_eq!(
        code(server.bind("tcp://127.0.0.1:*").await),
        ErrorCode::Ebadf
    );
    assert_eq!(code(server.connect("tcp://127.0.0.1:9")), ErrorCode::Ebadf);

    let client = req(fast());
    client.connect("tcp://127.0.0.1:9").expect("connect");
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.request(&lend(&msg(&["x"])), None, 0).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    client.close();
    assert_eq!(
        code(prompt(pending).await.expect("join")),
        ErrorCode::Eagain
    );
    assert_eq!(code(client.send(msg(&["x"])).await), ErrorCode::Ebadf);
    assert_eq!(code(client.try_send(&lend(&msg(&["x"])))), ErrorCode::Ebadf);
    assert_eq!(code(client.try_recv()), ErrorCode::Ebadf);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_clone_closes_the_socket() {
    let server = rep(fast());
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let clone = server.clone();
    drop(server);
    // Still open through the clone: the port is taken.
    let other = rep(fast());
    assert_eq!(code(other.bind(&endpoint).await), ErrorCode::Eaddrinuse);
    drop(clone);
    assert_eq!(
        prompt(other.bind(&endpoint)).await.expect("rebind"),
        endpoint
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_message_is_einval() {
    let client = req(fast());
    assert_eq!(code(client.send(Vec::new()).await), ErrorCode::Einval);
    assert_eq!(code(client.request(&[], None, 0).await), ErrorCode::Einval);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_only_from_the_peer_asked() {
    use zeromq_napi_engine::RouterSocket;
    let handle = tokio::runtime::Handle::current();
    let (a, b) = (
        RouterSocket::new(&handle, fast()),
        RouterSocket::new(&handle, fast()),
    );
    let ea = prompt(a.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let eb = prompt(b.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let client = req(Options {
        routing_id: Some(Bytes::from_static(b"me")),
        ..fast()
    });
    client.connect(&ea).expect("connect");
    client.connect(&eb).expect("connect");
    until(|| a.peer_count() == 1 && b.peer_count() == 1 && client.peer_count() == 2).await;
    prompt(client.send(msg(&["q"]))).await.expect("send");
    // Whichever server got the request answers last; the other sends an unsolicited "reply" first.
    let (asked, other) = tokio::select! {
        r = a.recv() => (r.expect("recv"), &b),
        r = b.recv() => (r.expect("recv"), &a),
    };
    assert_eq!(text(&asked), ["me", "", "q"]);
    other
        .send(msg(&["me", "", "impostor"]))
        .await
        .expect("send");
    let asked_socket = if std::ptr::eq(other, &a) { &b } else { &a };
    asked_socket
        .send(msg(&["me", "", "genuine"]))
        .await
        .expect("send");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["genuine"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_to_a_gone_client_is_dropped_silently() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let gone = req(fast());
    gone.connect(&endpoint).expect("connect");
    prompt(gone.send(msg(&["from gone"]))).await.expect("send");
    assert_eq!(
        text(&prompt(server.recv()).await.expect("recv")),
        ["from gone"]
    );
    gone.close();
    until(|| server.peer_count() == 0).await;
    prompt(server.send(msg(&["nobody listens"])))
        .await
        .expect("dropped, not an error");
    // The alternation moved on: the next request is served normally.
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["next"]))).await.expect("send");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["next"]);
    prompt(server.send(msg(&["answer"]))).await.expect("send");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["answer"]
    );
}

/// A REP with the default linger (the one the JS `Reply` gets): `close()` must not linger on a
/// connection that has nothing queued to send.
fn lingering_rep() -> RepSocket {
    rep(Options {
        reconnect_interval: 10,
        ..Options::default()
    })
}

#[tokio::test]
async fn a_send_right_after_a_restart_reaches_the_new_server() {
    // One thread: between `close()` and `try_send` below no task runs, neither the server's
    // connection tasks nor the client's reader. So the client's engine reader has not read the
    // end of the old connection when the request is routed, every time: the send itself must see
    // that the server hung up (the FIN that `close()` sent, which loopback delivers within the
    // call) and not put the request into the vanished connection, where it would be lost.
    let client = req(fast());
    let first = lingering_rep();
    let endpoint = prompt(first.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let _first_task = tokio::spawn(serve_echo(first.clone(), "first:"));
    client.connect(&endpoint).expect("connect");
    prompt(client.send(msg(&["a"]))).await.expect("send");
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv")),
        ["first:a"]
    );
    first.close();
    let request = msg(&["b"]);
    let back = client.try_send(&lend(&request)).expect("try_send");
    assert_eq!(
        back,
        TrySend::Wait,
        "the request went into the connection the server had closed"
    );
    let second = lingering_rep();
    assert_eq!(
        prompt(second.bind(&endpoint)).await.expect("rebind"),
        endpoint
    );
    let _second_task = tokio::spawn(serve_echo(second.clone(), "second:"));
    if back == TrySend::Wait {
        prompt(client.send(request))
            .await
            .expect("send after restart");
    }
    assert_eq!(
        text(&prompt(client.recv()).await.expect("recv after restart")),
        ["second:b"]
    );
}

// Not on Windows: it rebinds a port its lingering connections still use, which Unix listeners
// take (SO_REUSEADDR) and Windows' refuse (WSAEADDRINUSE).
#[cfg(not(windows))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_right_after_restarts_reach_the_new_server_across_threads() {
    // The JS test's shape, with the runtime's threads free to run the client's reader at any
    // moment: close, rebind the same port, send at once; the request must reach the new server.
    let client = req(fast());
    let mut server = lingering_rep();
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let mut task = tokio::spawn(serve_echo(server.clone(), "0:"));
    client.connect(&endpoint).expect("connect");
    for round in 0..20 {
        let body = format!("r{round}");
        prompt(client.send(msg(&[&body]))).await.expect("send");
        assert_eq!(
            text(
                &prompt(client.recv())
                    .await
                    .unwrap_or_else(|e| panic!("round {round}: {e:?}"))
            ),
            [format!("{round}:{body}")]
        );
        server.close();
        task.abort();
        server = lingering_rep();
        prompt(server.bind(&endpoint)).await.expect("rebind");
        let prefix: &'static str = Box::leak(format!("{}:", round + 1).into_boxed_str());
        task = tokio::spawn(serve_echo(server.clone(), prefix));
    }
}
