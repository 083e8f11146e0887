//! No blocking system call on an engine thread (issue 17): an ipc listener of someone else whose
//! backlog is full never accepts, and a blocking connect to it waits until it does. Binding over
//! its socket file (the stale-socket probe connects first) and connecting to it (a path or an
//! abstract name) must settle or retry without holding a runtime thread, while other sockets of
//! the process keep their timers and tcp round trips.

#![cfg(unix)]

use crate::common::*;
use socket2::{Domain, SockAddr, Socket, Type};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zeromq_napi_engine::{ErrorCode, Options};

/// A listener that never accepts, with its backlog full, and the connections that fill it.
struct FullListener {
    _listener: Socket,
    _queued: Vec<Socket>,
}

/// Listens on `addr` with a backlog of 1 and connects (non-blocking) until the kernel refuses
/// more: from then on a blocking connect to it waits.
fn full_listener(addr: &SockAddr) -> FullListener {
    let listener = Socket::new(Domain::UNIX, Type::STREAM, None).expect("socket");
    listener.bind(addr).expect("bind");
    listener.listen(1).expect("listen");
    let mut queued = Vec::new();
    for _ in 0..64 {
        let s = Socket::new(Domain::UNIX, Type::STREAM, None).expect("socket");
        s.set_nonblocking(true).expect("nonblocking");
        match s.connect(addr) {
            Ok(()) => queued.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return FullListener {
                    _listener: listener,
                    _queued: queued,
                };
            }
            Err(e) => panic!("filling the backlog: {e}"),
        }
    }
    panic!("the backlog never filled");
}

fn socket_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "zmq-napi-{}-backlog-{tag}.sock",
        std::process::id()
    ))
}

/// While `blocked` runs: a timer and tcp round trips on the same runtime finish on time.
async fn other_work_goes_on<F: std::future::Future>(blocked: F) -> F::Output {
    let (server, endpoint, _task) = echo_server("re:").await;
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    let others = async {
        for i in 0..20 {
            let started = Instant::now();
            tokio::time::sleep(Duration::from_millis(10)).await;
            // A generous bound: a stalled runtime took seconds (a 1000 ms timeout fired after 5.7 s).
            assert!(
                started.elapsed() < Duration::from_millis(1500),
                "timer {i} late"
            );
            let body = format!("r{i}");
            let reply = prompt(client.request(&lend(&msg(&[&body])), None, 0))
                .await
                .expect("request");
            assert_eq!(text(&reply), [format!("re:{body}")]);
        }
    };
    let (out, ()) = tokio::join!(blocked, others);
    client.close();
    server.close();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_over_a_live_listener_with_a_full_backlog_settles() {
    let path = socket_path("bind");
    let _ = std::fs::remove_file(&path);
    let _full = full_listener(&SockAddr::unix(&path).expect("addr"));
    let endpoint = format!("ipc://{}", path.display());
    let ours = rep(fast());
    let result = other_work_goes_on(prompt(ours.bind(&endpoint))).await;
    // Somebody still listens there: not stolen, and said so promptly.
    assert_eq!(result.err().map(|e| e.code), Some(ErrorCode::Eaddrinuse));
    assert!(path.exists(), "the live listener's file stays");
    let _ = std::fs::remove_file(&path);
}

/// Connecting to a listener with a full backlog retries (as libzmq does) without blocking; once
/// the listener is gone and a server of ours binds there, the connection is made.
async fn connect_to_a_full_listener(endpoint: &str, addr: &SockAddr, path: Option<&PathBuf>) {
    let full = full_listener(addr);
    let client = req(Options {
        reconnect_interval: 20,
        ..fast()
    });
    client.connect(endpoint).expect("connect");
    // Several connect attempts happen meanwhile.
    other_work_goes_on(tokio::time::sleep(Duration::from_millis(200))).await;
    assert_eq!(client.peer_count(), 0, "nothing accepted");
    drop(full);
    if let Some(path) = path {
        let _ = std::fs::remove_file(path);
    }
    let server = rep(fast());
    prompt(server.bind(endpoint)).await.expect("bind");
    tokio::spawn(serve_echo(server.clone(), "re:"));
    let reply = prompt(client.request(&lend(&msg(&["late"])), None, 0))
        .await
        .expect("request");
    assert_eq!(text(&reply), ["re:late"]);
    client.close();
    server.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_a_path_listener_with_a_full_backlog_retries_without_blocking() {
    let path = socket_path("connect");
    let _ = std::fs::remove_file(&path);
    let endpoint = format!("ipc://{}", path.display());
    let addr = SockAddr::unix(&path).expect("addr");
    connect_to_a_full_listener(&endpoint, &addr, Some(&path)).await;
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_to_an_abstract_listener_with_a_full_backlog_retries_without_blocking() {
    use std::os::unix::ffi::OsStrExt;
    let name = format!("zmq-napi-{}-backlog-abstract", std::process::id());
    let mut raw = vec![0u8];
    raw.extend_from_slice(name.as_bytes());
    let addr = SockAddr::unix(std::ffi::OsStr::from_bytes(&raw)).expect("addr");
    connect_to_a_full_listener(&format!("ipc://@{name}"), &addr, None).await;
}
