//! Caller-driven reading (`ReadDriver`): connections read by a test event loop instead of an
//! engine task. Two test drivers follow the contract of `driven`: one thread per connection, and
//! one thread polling every connection (the shape of the addon's libuv loop); a manual driver
//! checks the contract step by step (including the engine's own pump before a round-robin send,
//! and `abandon`). Covered: round trips over tcp and ipc with both or one side driven, large
//! frames, receiveHighWaterMark (`Full` -> `resume`), also with heartbeats, a peer going away and
//! reconnecting, heartbeats, hostile peers, and close.

use crate::common::driver::*;
use crate::common::*;
use bytes::Bytes;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::runtime::Handle;
use zeromq_napi_engine::{
    DealerSocket, Message, Options, Pump, RepSocket, ReqSocket, RouterSocket,
};

// ----- sockets and payloads -----

fn dealer(options: Options) -> DealerSocket {
    DealerSocket::new(&Handle::current(), options)
}

fn router(options: Options) -> RouterSocket {
    RouterSocket::new(&Handle::current(), options)
}

/// A REP echoing with "re:" bound to `endpoint`, read by `driver` if given; returns its endpoint.
async fn echo_rep(
    driver: Option<&Driver>,
    options: Options,
    endpoint: &str,
) -> (RepSocket, String) {
    let server = rep(options);
    if let Some(d) = driver {
        server.set_read_driver(d.reader());
    }
    let resolved = prompt(server.bind(endpoint)).await.expect("bind");
    tokio::spawn(serve_echo(server.clone(), "re:"));
    (server, resolved)
}

/// A REQ connected to `endpoint`, read by `driver` if given.
fn client(driver: Option<&Driver>, options: Options, endpoint: &str) -> ReqSocket {
    let c = req(options);
    if let Some(d) = driver {
        c.set_read_driver(d.reader());
    }
    c.connect(endpoint).expect("connect");
    c
}

/// `n` round trips with distinct payloads of varying sizes against an echo REP ("re:" + request).
async fn round_trips(client: &ReqSocket, n: usize, tag: &str) {
    for i in 0..n {
        let body = format!("{tag}-{i}-{}", "x".repeat(i % 97));
        let reply = prompt(client.request(&lend(&vec![Bytes::from(body.clone())]), None, 0))
            .await
            .expect("request");
        assert_eq!(text(&reply), [format!("re:{body}")], "round trip {i}");
    }
}

fn ipc_endpoint(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "zmq-napi-driven-{}-{}-{tag}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    format!("ipc://{}", path.display())
}

/// A frame whose bytes tell where they are, so a misplaced chunk cannot go unnoticed.
fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(u32::from(seed)) as u8)
        .collect::<Vec<_>>()
        .into()
}

// ----- the contract, step by step -----

/// Nothing is read unless the driver pumps; writing stays with the engine; `Idle` when drained;
/// `Ended` (and only that, from then on) once the peer closes, and the peer is then gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_driver_reads_only_when_pumped() {
    let manual = Arc::new(Manual::default());
    let server = rep(fast());
    server.set_read_driver(manual.clone());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let c = client(None, fast(), &endpoint);
    // Attached once the handshake is done: the request, sent after that, is not in the bytes
    // that came with the handshake, so it shows as readability of the descriptor.
    let conn = manual.attached(1).await;
    assert_eq!(conn.pump(), Pump::Idle, "the first pump finds nothing");
    until(|| c.peer_count() == 1).await;
    prompt(c.send(msg(&["hello"]))).await.expect("send");
    readable(conn.fd()).await;
    assert_eq!(
        server.try_recv().expect("try_recv"),
        None,
        "read without a pump"
    );
    assert_eq!(conn.pump(), Pump::Idle);
    assert_eq!(
        text(
            &server
                .try_recv()
                .expect("try_recv")
                .expect("delivered by the pump")
        ),
        ["hello"]
    );
    // The reply is written by the engine: no pump needed on this side.
    prompt(server.send(msg(&["world"]))).await.expect("reply");
    assert_eq!(text(&prompt(c.recv()).await.expect("recv")), ["world"]);
    assert_eq!(conn.pump(), Pump::Idle, "nothing more to read");
    // The peer leaves: readable (EOF), the pump reports the end, the peer is removed.
    c.close();
    readable(conn.fd()).await;
    assert_eq!(conn.pump(), Pump::Ended);
    assert_eq!(conn.pump(), Pump::Ended, "Ended is final");
    until(|| server.peer_count() == 0).await;
    assert!(
        lock(&manual.resumed).is_empty(),
        "never full, never resumed"
    );
    assert_eq!(lock(&manual.attached).len(), 1);
}

/// A round-robin send pumps the connection it is about to use: a server that went away while
/// the driver was not looking is skipped by that very send, not after it (the message would be
/// written into a dead connection and lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_send_skips_a_peer_gone_unnoticed() {
    let manual = Arc::new(Manual::default());
    let (a, b) = (router(fast()), router(fast()));
    let c = dealer(fast());
    c.set_read_driver(manual.clone());
    // One at a time, so that round-robin order (join order) is attach order: A, then B.
    let endpoint = prompt(a.bind("tcp://127.0.0.1:*")).await.expect("bind");
    c.connect(&endpoint).expect("connect");
    let to_a = manual.attached(1).await;
    let endpoint = prompt(b.bind("tcp://127.0.0.1:*")).await.expect("bind");
    c.connect(&endpoint).expect("connect");
    manual.attached(2).await;
    for (body, server) in [("m1", &a), ("m2", &b)] {
        prompt(c.send(msg(&[body]))).await.expect("send");
        assert_eq!(text(&prompt(server.recv()).await.expect("recv"))[1], body);
    }
    // A is next. It goes away; its end of stream arrives, and nobody pumps it.
    a.close();
    readable(to_a.fd()).await;
    assert_eq!(c.peer_count(), 2, "not noticed yet");
    prompt(c.send(msg(&["m3"]))).await.expect("send");
    assert_eq!(text(&prompt(b.recv()).await.expect("recv"))[1], "m3");
    assert_eq!(to_a.pump(), Pump::Ended);
    until(|| c.peer_count() == 1).await;
}

/// A send never reads (reading is the driver's job): what has arrived stays unread until the
/// driver pumps, and each `Full` its pump meets is followed by a `resume` once the queue has room.
/// Step by step with receiveHighWaterMark 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_reads_nothing_and_each_full_is_resumed() {
    let manual = Arc::new(Manual::default());
    let server = router(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let c = dealer(Options {
        receive_high_water_mark: 1,
        ..fast()
    });
    c.set_read_driver(manual.clone());
    c.connect(&endpoint).expect("connect");
    let conn = manual.attached(1).await;
    assert_eq!(conn.pump(), Pump::Idle);
    prompt(c.send(msg(&["hello"]))).await.expect("send");
    let id = prompt(server.recv()).await.expect("recv")[0].clone();
    for body in ["r0", "r1", "r2"] {
        prompt(server.send(vec![id.clone(), Bytes::from_static(body.as_bytes())]))
            .await
            .expect("send");
    }
    // All three (4 bytes each on the wire) have arrived; nobody has pumped.
    until(|| unread(conn.fd()) >= 12).await;
    assert_eq!(c.try_recv().expect("try_recv"), None);
    prompt(c.send(msg(&["more"]))).await.expect("send");
    assert!(unread(conn.fd()) >= 12, "the send read nothing");
    assert_eq!(c.try_recv().expect("try_recv"), None);
    assert_eq!(conn.pump(), Pump::Full, "r0 queued, r1 finds it full");
    assert_eq!(text(&c.try_recv().expect("try_recv").expect("r0")), ["r0"]);
    // Taking r0 made room: the engine hands the connection to the driver.
    manual.resumed(1).await;
    assert_eq!(conn.pump(), Pump::Full, "r1 queued, r2 finds it full");
    assert_eq!(text(&c.try_recv().expect("try_recv").expect("r1")), ["r1"]);
    manual.resumed(2).await;
    assert_eq!(conn.pump(), Pump::Idle);
    assert_eq!(text(&c.try_recv().expect("try_recv").expect("r2")), ["r2"]);
    assert_eq!(lock(&manual.resumed).len(), 2);
}

/// `abandon` ends a connection the driver cannot watch; the connecting side reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_connection_ends_and_reconnects() {
    let manual = Arc::new(Manual::default());
    let server = router(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let c = dealer(fast());
    c.set_read_driver(manual.clone());
    c.connect(&endpoint).expect("connect");
    let first = manual.attached(1).await;
    first.abandon();
    assert_eq!(first.pump(), Pump::Ended);
    let second = manual.attached(2).await;
    assert_ne!(first.id(), second.id());
    until(|| c.peer_count() == 1 && server.peer_count() == 1).await;
    // The new connection works both ways (this side read by hand).
    prompt(c.send(msg(&["up"]))).await.expect("send");
    let m = prompt(server.recv()).await.expect("recv");
    assert_eq!(text(&m)[1], "up");
    prompt(server.send(vec![m[0].clone(), Bytes::from_static(b"down")]))
        .await
        .expect("send");
    readable(second.fd()).await;
    assert_eq!(second.pump(), Pump::Idle);
    assert_eq!(
        text(&c.try_recv().expect("try_recv").expect("delivered")),
        ["down"]
    );
}

// ----- round trips -----

/// Both sides driven, tcp and ipc, both driver shapes: 1000 distinct round trips each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sides_driven_round_trips_tcp_and_ipc() {
    for kind in KINDS {
        let ipc = HAS_IPC.then(|| ipc_endpoint("rt"));
        for endpoint in ["tcp://127.0.0.1:*".to_owned()].into_iter().chain(ipc) {
            let (server_driver, client_driver) = (Driver::new(kind), Driver::new(kind));
            let (server, resolved) = echo_rep(Some(&server_driver), fast(), &endpoint).await;
            let c = client(Some(&client_driver), fast(), &resolved);
            round_trips(&c, 1000, &format!("{kind:?}")).await;
            for (side, d) in [("server", &server_driver), ("client", &client_driver)] {
                let seen = d.seen();
                assert_eq!(
                    seen.attaches(),
                    1,
                    "{kind:?} {endpoint} {side}: {}",
                    seen.summary()
                );
                assert!(seen.pumps() > 1, "{kind:?} {side}: {}", seen.summary());
                assert_eq!(seen.ends(), 0, "{kind:?} {side}: {}", seen.summary());
            }
            // Each request waits for the previous reply, so each needs a read of its own; only
            // the driver pumps a REP's connection (the engine pumps before round-robin sends,
            // which a REP does not make), and one pump reads at most READS_PER_PUMP times.
            let pumps = server_driver.seen().pumps();
            assert!(pumps >= 1000 / READS_PER_PUMP, "{kind:?}: {pumps} pumps");
            c.close();
            server.close();
        }
    }
}

/// Only one side driven, either one: the other side reads with the engine's own task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_side_driven_round_trips() {
    for kind in KINDS {
        // REQ driven, REP not.
        let d = Driver::new(kind);
        let (server, endpoint) = echo_rep(None, fast(), "tcp://127.0.0.1:*").await;
        let c = client(Some(&d), fast(), &endpoint);
        round_trips(&c, 200, "req-driven").await;
        assert_eq!(d.seen().attaches(), 1, "{kind:?}: {}", d.seen().summary());
        assert!(d.seen().pumps() > 1, "{kind:?}: {}", d.seen().summary());
        c.close();
        server.close();

        // REP driven, REQ not.
        let d = Driver::new(kind);
        let (server, endpoint) = echo_rep(Some(&d), fast(), "tcp://127.0.0.1:*").await;
        let c = client(None, fast(), &endpoint);
        round_trips(&c, 200, "rep-driven").await;
        assert_eq!(d.seen().attaches(), 1, "{kind:?}: {}", d.seen().summary());
        // See both_sides_driven_round_trips_tcp_and_ipc for this bound.
        let pumps = d.seen().pumps();
        assert!(pumps >= 200 / READS_PER_PUMP, "{kind:?}: {pumps} pumps");
        c.close();
        server.close();
    }
}

// ----- large frames -----

/// Large frames go into buffers of their own, filled across many pumps: contents stay intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frames_and_mixed_multipart() {
    for kind in KINDS {
        let (server_driver, client_driver) = (Driver::new(kind), Driver::new(kind));
        let (server, endpoint) = echo_rep(Some(&server_driver), fast(), "tcp://127.0.0.1:*").await;
        let c = client(Some(&client_driver), fast(), &endpoint);
        let requests: Vec<Message> = vec![
            vec![pattern(1 << 20, 1)],
            vec![pattern(5 * (1 << 20) + 17, 2)],
            vec![pattern(8 * 1024, 3), Bytes::new(), pattern(300 * 1024, 4)],
        ];
        for request in requests {
            let reply = prompt(c.request(&lend(&request), None, 0))
                .await
                .expect("request");
            assert_eq!(reply.len(), request.len(), "{kind:?}: frame count");
            for (got, sent) in reply.iter().zip(&request) {
                assert_eq!(&got[..3], b"re:", "{kind:?}");
                assert!(
                    got[3..] == sent[..],
                    "{kind:?}: a {}-byte frame",
                    sent.len()
                );
            }
        }
        for d in [&server_driver, &client_driver] {
            assert_eq!(d.seen().attaches(), 1, "{kind:?}: {}", d.seen().summary());
            assert!(d.seen().pumps() > 1, "{kind:?}: {}", d.seen().summary());
        }
        c.close();
        server.close();
    }
}

/// A 1 MiB frame that reaches a driven reader in many pieces (sizes below and above the point
/// where the low-water mark is used, pauses between some), with the next request's start in the
/// same write as its end: the reader wakes for partial bodies and for a mark it has to lower
/// again, and both requests arrive intact and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_frame_split_over_many_reads_arrives_intact() {
    const SIZE: usize = 1 << 20;
    for kind in KINDS {
        let d = Driver::new(kind);
        let server = rep(fast());
        server.set_read_driver(d.reader());
        let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
            .await
            .expect("bind");
        let body = pattern(SIZE, 9);
        let mut wire = vec![0x01, 0x00];
        wire.extend_from_slice(&long_header(SIZE as u64));
        wire.extend_from_slice(&body);
        // The second request: an empty delimiter and a short frame.
        wire.extend_from_slice(&[0x01, 0x00, 0x00, 0x04]);
        wire.extend_from_slice(b"next");
        let mut peer = raw_peer(&endpoint, &handshake_bytes()).await;
        d.seen().until("the attach", |s| s.attaches() == 1).await;
        write_in_pieces(
            &mut peer,
            &wire,
            &[1usize, 10, 4095, 40_000, 7, 200_000, 33 * 1024, 3],
            3,
        )
        .await;
        let first = prompt(server.recv()).await.expect("the large request");
        assert!(first == vec![body], "{kind:?}: the 1 MiB frame changed");
        prompt(server.send(vec![Bytes::from_static(b"ok")]))
            .await
            .expect("reply");
        let second = prompt(server.recv()).await.expect("the request after it");
        assert_eq!(text(&second), ["next"], "{kind:?}");
        assert!(d.seen().pumps() > 1, "{kind:?}: {}", d.seen().summary());
        server.close();
    }
}

/// A DEALER that closes right after its 1 MiB sends were accepted: a driven ROUTER still gets
/// every one of them, whole and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_right_after_large_sends_loses_nothing_accepted() {
    const SIZE: usize = 1 << 20;
    const COUNT: u8 = 4;
    for kind in KINDS {
        let d = Driver::new(kind);
        let receiver = router(fast());
        receiver.set_read_driver(d.reader());
        let endpoint = prompt(receiver.bind("tcp://127.0.0.1:*"))
            .await
            .expect("bind");
        let sender = dealer(Options {
            linger: -1,
            ..fast()
        });
        sender.connect(&endpoint).expect("connect");
        for seed in 0..COUNT {
            prompt(sender.send(vec![pattern(SIZE, seed)]))
                .await
                .expect("send");
        }
        sender.close();
        for seed in 0..COUNT {
            let got = prompt(receiver.recv()).await.expect("a large message");
            assert_eq!(got.len(), 2, "{kind:?}: identity and body");
            assert!(got[1] == pattern(SIZE, seed), "{kind:?}: message {seed}");
        }
        receiver.close();
    }
}

// ----- back-pressure -----

/// A driven ROUTER with receiveHighWaterMark `hwm` and a DEALER that sent it `count` messages
/// ("m0", "m1", ...), once the driver has seen the connection park (`Full`).
async fn parked_router(d: &Driver, hwm: u32, count: usize) -> (RouterSocket, DealerSocket) {
    let receiver = router(Options {
        receive_high_water_mark: hwm,
        ..fast()
    });
    receiver.set_read_driver(d.reader());
    let endpoint = prompt(receiver.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let sender = dealer(fast());
    sender.connect(&endpoint).expect("connect");
    for i in 0..count {
        prompt(sender.send(vec![Bytes::from(format!("m{i}"))]))
            .await
            .expect("send");
    }
    d.seen().until("Full", |s| s.fulls() >= 1).await;
    (receiver, sender)
}

/// receiveHighWaterMark 2 on a driven ROUTER, 200 messages sent before it reads any: the pump
/// reports `Full`, the engine hands the connection back with `resume` as room is made, and all
/// 200 arrive in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_parks_the_connection_until_resumed() {
    for kind in KINDS {
        let d = Driver::new(kind);
        let (receiver, sender) = parked_router(&d, 2, 200).await;
        for i in 0..200 {
            let m = prompt(receiver.recv()).await.expect("recv");
            assert_eq!(m.len(), 2, "{kind:?}: routing id + body");
            assert_eq!(text(&m)[1], format!("m{i}"), "{kind:?}: in order");
        }
        let seen = d.seen();
        assert!(seen.resumes() >= 1, "{kind:?}: {}", seen.summary());
        assert_eq!(seen.attaches(), 1, "{kind:?}: {}", seen.summary());
        assert_eq!(seen.ends(), 0, "{kind:?}: {}", seen.summary());
        sender.close();
        receiver.close();
    }
}

/// receiveHighWaterMark reached with heartbeats on (the receiver's only) and the application
/// slow to read for several heartbeat timeouts. The engine's own reader stops its timers while
/// the queue is full, so the connection is kept and every message arrives; a driven connection
/// must not differ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_with_heartbeats_keeps_the_connection() {
    for kind in [
        None,
        Some(Kind::ThreadPerConnection),
        Some(Kind::SingleLoop),
    ] {
        let driver = kind.map(Driver::new);
        let receiver = router(Options {
            receive_high_water_mark: 2,
            heartbeat_interval: 20,
            heartbeat_timeout: 60,
            ..fast()
        });
        if let Some(d) = &driver {
            receiver.set_read_driver(d.reader());
        }
        let endpoint = prompt(receiver.bind("tcp://127.0.0.1:*"))
            .await
            .expect("bind");
        let sender = dealer(fast());
        sender.connect(&endpoint).expect("connect");
        for i in 0..50 {
            prompt(sender.send(vec![Bytes::from(format!("m{i}"))]))
                .await
                .expect("send");
        }
        if let Some(d) = &driver {
            d.seen().until("Full", |s| s.fulls() >= 1).await;
        }
        // Back-pressured for five heartbeat timeouts: the point of this test.
        tokio::time::sleep(Duration::from_millis(300)).await;
        for i in 0..50 {
            let m = tokio::time::timeout(Duration::from_secs(2), receiver.recv())
                .await
                .unwrap_or_else(|_| panic!("{kind:?}: message {i} lost"))
                .expect("recv");
            assert_eq!(text(&m)[1], format!("m{i}"), "{kind:?}: in order");
        }
        if let Some(d) = &driver {
            assert_one_live_connection(d, kind);
        }
        sender.close();
        receiver.close();
    }
}

// ----- peers that go away -----

/// The REP goes away and a new one binds the same port: the driven REQ's old connection ends
/// (`Ended`), a new one is attached, and a new request gets through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_server_restarts() {
    for kind in KINDS {
        let d = Driver::new(kind);
        let (server, endpoint) = echo_rep(None, fast(), "tcp://127.0.0.1:*").await;
        let c = client(Some(&d), fast(), &endpoint);
        round_trips(&c, 3, "before").await;
        let first = d.seen().attached()[0];
        server.close();
        d.seen()
            .until("the old connection end", |s| s.ended().contains(&first))
            .await;
        let (restarted, again) = echo_rep(None, fast(), &endpoint).await;
        assert_eq!(again, endpoint);
        round_trips(&c, 3, "after").await;
        let seen = d.seen();
        assert_eq!(seen.attaches(), 2, "{kind:?}: {}", seen.summary());
        let second = seen.attached()[1];
        assert_ne!(first, second);
        assert!(
            !seen.ended().contains(&second),
            "{kind:?}: {}",
            seen.summary()
        );
        c.close();
        restarted.close();
    }
}

// ----- heartbeats -----

fn heartbeats() -> Options {
    Options {
        heartbeat_interval: 10,
        heartbeat_timeout: 40,
        heartbeat_time_to_live: 100,
        ..fast()
    }
}

/// Both sides driven with heartbeats, idle for many intervals: PINGs and PONGs are read through
/// the pumps, nothing is dropped, and a round trip still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_driven_connection_with_heartbeats_stays_up() {
    for kind in KINDS {
        let (server_driver, client_driver) = (Driver::new(kind), Driver::new(kind));
        let (server, endpoint) =
            echo_rep(Some(&server_driver), heartbeats(), "tcp://127.0.0.1:*").await;
        let c = client(Some(&client_driver), heartbeats(), &endpoint);
        round_trips(&c, 1, "before").await;
        let pumps = (server_driver.seen().pumps(), client_driver.seen().pumps());
        // The idle period is the point of this test: 15 heartbeat intervals, about 4 timeouts.
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!((server.peer_count(), c.peer_count()), (1, 1), "{kind:?}");
        // Only heartbeats travelled meanwhile, and each side read them with its driver.
        assert!(server_driver.seen().pumps() > pumps.0, "{kind:?}");
        assert!(client_driver.seen().pumps() > pumps.1, "{kind:?}");
        round_trips(&c, 1, "after").await;
        for d in [&server_driver, &client_driver] {
            assert_one_live_connection(d, kind);
        }
        c.close();
        server.close();
    }
}

/// A raw peer that completes the handshake and then neither reads nor answers: the driven REP's
/// PINGs go unanswered and the heartbeat timeout drops it (the driver sees `Ended`).
// Not on Windows: the test driver waits for WSAPoll to report a socket the engine shut down
// itself, and under Wine it never does (no driver reads on Windows: the addon uses the engine's).
#[cfg(not(windows))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_peer_is_dropped_by_heartbeat_timeout() {
    for kind in KINDS {
        let d = Driver::new(kind);
        let options = Options {
            heartbeat_interval: 20,
            heartbeat_timeout: 60,
            ..fast()
        };
        let (server, endpoint) = echo_rep(Some(&d), options, "tcp://127.0.0.1:*").await;
        let started = tokio::time::Instant::now();
        let mut silent = raw_peer(&endpoint, &handshake_bytes()).await;
        d.seen().until("the attach", |s| s.attaches() == 1).await;
        let id = d.seen().attached()[0];
        d.seen()
            .until("the silent peer's end", |s| s.ended().contains(&id))
            .await;
        // First PING after the interval, dropped a timeout later.
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(60),
            "{kind:?}: {elapsed:?}"
        );
        until(|| server.peer_count() == 0).await;
        closed_by_server(&mut silent).await;
        // The server still serves a well-behaved client.
        let c = client(None, fast(), &endpoint);
        round_trips(&c, 3, "after").await;
        c.close();
        server.close();
    }
}

/// A driver that does not pump for several heartbeat timeouts (its loop busy, or its process
/// stopped and continued) while the peer's bytes wait in the socket: they prove the peer alive, so
/// the connection stays, and the request among them is served once the driver reads.
// Unix only: FIONREAD is how the bytes are seen; no driver reads on Windows (the addon uses the
// engine's readers there).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_bytes_keep_a_heartbeat_connection_while_the_driver_is_away() {
    use zeromq_napi_engine::wire::codec::Frame;
    use zeromq_napi_engine::wire::command::Command;
    let manual = Arc::new(Manual::default());
    let server = rep(Options {
        heartbeat_interval: 20,
        heartbeat_timeout: 60,
        ..fast()
    });
    server.set_read_driver(manual.clone());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let mut peer = RawPeer::connect31(&endpoint).await;
    let conn = manual.attached(1).await;
    assert_eq!(conn.pump(), Pump::Idle, "the first pump finds nothing");
    // A request (empty delimiter, body): the peer's only bytes. Written before the first PING,
    // they wait unread from then on.
    peer.stream
        .write_all(&[0x01, 0x00, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o'])
        .await
        .expect("write");
    readable(conn.fd()).await;
    // PINGs come at least 20 ms apart; the peer answers none and nothing is pumped. Ten of them
    // span three heartbeat timeouts: without the unread bytes counting, the server would have
    // dropped us (and `next_frame` seen the end) one timeout after the first.
    for ping in 1..=10 {
        match prompt(peer.next_frame()).await {
            Some(Frame::Command(body)) => {
                assert!(
                    matches!(Command::parse(&body), Ok(Command::Ping { .. })),
                    "PING {ping}"
                );
            }
            other => panic!("PING {ping}: got {other:?}"),
        }
    }
    assert_eq!(server.peer_count(), 1);
    assert_eq!(conn.pump(), Pump::Idle, "the request is read now");
    assert_eq!(text(&prompt(server.recv()).await.expect("recv")), ["hello"]);
    server.close();
}

/// A large frame that trickles in for many heartbeat timeouts. The driven reader sleeps until
/// the frame's body is in (TCP's receive low-water mark), so it reads nothing meanwhile; the bytes
/// waiting in the socket must still count as the peer being alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_large_frame_keeps_a_heartbeat_connection() {
    const SIZE: usize = 512 * 1024;
    const CHUNK: usize = 16 * 1024;
    for kind in KINDS {
        let d = Driver::new(kind);
        let server = rep(Options {
            heartbeat_interval: 20,
            heartbeat_timeout: 60,
            ..fast()
        });
        server.set_read_driver(d.reader());
        let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
            .await
            .expect("bind");
        let mut head = handshake_bytes();
        // The REQ envelope's empty delimiter, then the body's LONG header.
        head.extend_from_slice(&[0x01, 0x00]);
        head.extend_from_slice(&long_header(SIZE as u64));
        let mut peer = raw_peer(&endpoint, &head).await;
        d.seen().until("the attach", |s| s.attaches() == 1).await;
        let id = d.seen().attached()[0];
        let body = pattern(SIZE, 7);
        // 32 chunks 15 ms apart: about eight heartbeat timeouts.
        for chunk in body.chunks(CHUNK) {
            peer.write_all(chunk).await.expect("write");
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        let got = prompt(server.recv()).await.expect("the slow request");
        assert_eq!(got, vec![body], "{kind:?}");
        assert!(
            !d.seen().ended().contains(&id),
            "{kind:?}: {}",
            d.seen().summary()
        );
        assert_eq!(server.peer_count(), 1, "{kind:?}");
        server.close();
    }
}

// ----- hostile peers -----

/// A peer announcing a 1 TiB frame (unlimited maxMessageSize) is parked harmlessly while a real
/// client is served; with a maxMessageSize its connection ends; garbage after the handshake ends
/// only that connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peers_end_or_stay_harmless() {
    for kind in KINDS {
        // Unlimited: the announcement allocates nothing, the rest of the body is awaited forever.
        let d = Driver::new(kind);
        let (server, endpoint) = echo_rep(Some(&d), fast(), "tcp://127.0.0.1:*").await;
        let mut bytes = handshake_bytes();
        bytes.extend_from_slice(&long_header(1 << 40));
        bytes.extend_from_slice(&vec![0x55u8; 64 * 1024]);
        let huge = raw_peer(&endpoint, &bytes).await;
        d.seen()
            .until("the hostile attach", |s| s.attaches() == 1)
            .await;
        let hostile = d.seen().attached()[0];
        let c = client(None, fast(), &endpoint);
        round_trips(&c, 20, "beside-huge").await;
        assert!(
            !d.seen().ended().contains(&hostile),
            "{}",
            d.seen().summary()
        );
        assert_eq!(server.peer_count(), 2, "{kind:?}");
        let mut b = [0u8; 1];
        let still_open = tokio::time::timeout(Duration::from_millis(1), huge.peek(&mut b)).await;
        assert!(!matches!(still_open, Ok(Ok(0))), "{kind:?}");
        // Its sender leaving ends it.
        drop(huge);
        d.seen()
            .until("the hostile end", |s| s.ended().contains(&hostile))
            .await;
        c.close();
        server.close();

        // Limited: the announcement alone ends the connection; garbage frames too.
        let d = Driver::new(kind);
        let limited = Options {
            max_message_size: 100,
            ..fast()
        };
        let (server, endpoint) = echo_rep(Some(&d), limited, "tcp://127.0.0.1:*").await;
        let c = client(None, fast(), &endpoint);
        round_trips(&c, 1, "first").await;
        let good = d.seen().attached()[0];
        let garbage = {
            let mut v = handshake_bytes();
            // A frame with reserved flag bits set.
            v.extend_from_slice(&[0xF0, 0x01, 0x00]);
            v
        };
        let huge = {
            let mut v = handshake_bytes();
            v.extend_from_slice(&long_header(1 << 40));
            v
        };
        for (n, bytes) in [huge, garbage].into_iter().enumerate() {
            let mut s = raw_peer(&endpoint, &bytes).await;
            d.seen()
                .until("the hostile attach", |s| s.attaches() == n + 2)
                .await;
            let hostile = d.seen().attached()[n + 1];
            d.seen()
                .until("the hostile end", |s| s.ended().contains(&hostile))
                .await;
            closed_by_server(&mut s).await;
            round_trips(&c, 5, "beside").await;
        }
        assert!(!d.seen().ended().contains(&good), "{}", d.seen().summary());
        assert_eq!(d.seen().ends(), 2, "{kind:?}: {}", d.seen().summary());
        until(|| server.peer_count() == 1).await;
        c.close();
        server.close();
    }
}

// ----- close -----

/// close() on a driven socket ends every attached connection, bound and connected ones alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_every_attached_connection() {
    for kind in KINDS {
        // A driven ROUTER with three clients.
        let d = Driver::new(kind);
        let server = router(fast());
        server.set_read_driver(d.reader());
        let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
            .await
            .expect("bind");
        let clients: Vec<DealerSocket> = (0..3).map(|_| dealer(fast())).collect();
        for (i, c) in clients.iter().enumerate() {
            c.connect(&endpoint).expect("connect");
            prompt(c.send(vec![Bytes::from(format!("hi {i}"))]))
                .await
                .expect("send");
        }
        for _ in 0..3 {
            prompt(server.recv()).await.expect("recv");
        }
        assert_eq!(d.seen().attaches(), 3);
        server.close();
        d.seen()
            .until("every connection end", |s| s.ends() == 3)
            .await;
        assert_eq!(
            d.seen().ended(),
            d.seen().attached().into_iter().collect::<HashSet<_>>()
        );
        for c in &clients {
            until(|| c.peer_count() == 0).await;
        }

        // A driven DEALER connected to two ROUTERs, closed by dropping its last handle.
        let d = Driver::new(kind);
        let servers: Vec<RouterSocket> = (0..2).map(|_| router(fast())).collect();
        let c = dealer(fast());
        c.set_read_driver(d.reader());
        for s in &servers {
            let endpoint = prompt(s.bind("tcp://127.0.0.1:*")).await.expect("bind");
            c.connect(&endpoint).expect("connect");
        }
        d.seen().until("two attaches", |s| s.attaches() == 2).await;
        drop(c);
        d.seen().until("both ends", |s| s.ends() == 2).await;
        for s in &servers {
            until(|| s.peer_count() == 0).await;
        }
    }
}

/// close() while a connection is parked after `Full` (waiting for `resume`): the driver must
/// still learn that the connection ended, or it keeps the `DrivenRead` (and its descriptor)
/// forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ends_a_connection_parked_full() {
    for kind in KINDS {
        let d = Driver::new(kind);
        let (receiver, sender) = parked_router(&d, 1, 20).await;
        receiver.close();
        until(|| sender.peer_count() == 0).await;
        d.seen()
            .until("the parked connection end", |s| s.ends() == 1)
            .await;
        sender.close();
    }
}
