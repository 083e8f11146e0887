//! Endpoints: tcp (IPv4, [IPv6], names, `*` host, ephemeral ports), ipc, and the endpoint errors.

use crate::common::*;
use std::time::Duration;
use zeromq_napi_engine::{Error, ErrorCode, Options};

fn err<T: std::fmt::Debug>(r: Result<T, Error>) -> Error {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

#[cfg(unix)]
fn ipc_path(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "zmq-napi-{}-{}-{tag}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

async fn round_trip(server_endpoint_for_client: &str, server: zeromq_napi_engine::RepSocket) {
    tokio::spawn(serve_echo(server, "re:"));
    let client = req(fast());
    client.connect(server_endpoint_for_client).expect("connect");
    let reply = prompt(client.request(&lend(&msg(&["ping"])), None, 0))
        .await
        .expect("request");
    assert_eq!(text(&reply), ["re:ping"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_ipv4_port_is_reported() {
    let server = rep(fast());
    assert_eq!(server.last_endpoint(), None);
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let port: u16 = endpoint
        .strip_prefix("tcp://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .expect("resolved endpoint");
    assert_ne!(port, 0);
    assert_eq!(server.last_endpoint().as_deref(), Some(endpoint.as_str()));
    round_trip(&endpoint, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn star_host_and_port_zero_bind_all_interfaces() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://*:0")).await.expect("bind");
    let port = endpoint
        .strip_prefix("tcp://0.0.0.0:")
        .expect("resolved like libzmq");
    round_trip(&format!("tcp://127.0.0.1:{port}"), server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://[::1]:*")).await.expect("bind");
    assert!(endpoint.starts_with("tcp://[::1]:"), "{endpoint}");
    round_trip(&endpoint, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_resolves_for_bind_and_connect() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://localhost:*"))
        .await
        .expect("bind");
    let port = endpoint.rsplit(':').next().expect("port");
    round_trip(&format!("tcp://localhost:{port}"), server).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_round_trip_and_socket_file_lifecycle() {
    let path = ipc_path("rt");
    let endpoint = format!("ipc://{}", path.display());
    let server = rep(fast());
    assert_eq!(
        prompt(server.bind(&endpoint)).await.expect("bind"),
        endpoint
    );
    assert!(path.exists());
    round_trip(&endpoint, server.clone()).await;
    server.unbind(&endpoint).await.expect("unbind");
    assert!(!path.exists(), "unbind removes the socket file");

    // A socket file left behind by a dead process is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("std bind"));
    assert!(path.exists());
    let server = rep(fast());
    prompt(server.bind(&endpoint))
        .await
        .expect("bind over a stale file");
    // ...but one somebody still listens on is not stolen.
    let other = rep(fast());
    assert_eq!(err(other.bind(&endpoint).await).code, ErrorCode::Eaddrinuse);
    server.close();
    assert!(!path.exists(), "close removes the socket file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_errors_carry_code_and_address() {
    let sock = rep(fast());
    for (address, want) in [
        ("tcp://127.0.0.1", ErrorCode::Einval),
        ("tcp://127.0.0.1:99999", ErrorCode::Einval),
        ("nonsense", ErrorCode::Einval),
        ("foo://x", ErrorCode::Eprotonosupport),
        ("tipc://x", ErrorCode::Eprotonosupport),
        ("inproc://", ErrorCode::Einval),
    ] {
        let e = err(sock.bind(address).await);
        assert_eq!((e.code, e.address.as_deref()), (want, Some(address)));
        let e = err(sock.connect(address));
        assert_eq!((e.code, e.address.as_deref()), (want, Some(address)));
    }
    let e = err(sock.connect("tcp://*:5555"));
    assert_eq!(e.code, ErrorCode::Einval);
    let e = err(sock.connect("tcp://127.0.0.1:*"));
    assert_eq!(e.code, ErrorCode::Einval);
    let e = err(sock.unbind("tcp://127.0.0.1:5555").await);
    assert_eq!(
        (e.code, e.address.as_deref()),
        (ErrorCode::Enoent, Some("tcp://127.0.0.1:5555"))
    );
    // unbind and disconnect name a bad address as bind and connect do, before "not bound".
    for (address, want) in [
        ("foo-bar", ErrorCode::Einval),
        ("foo://bar", ErrorCode::Eprotonosupport),
    ] {
        let e = err(sock.unbind(address).await);
        assert_eq!((e.code, e.address.as_deref()), (want, Some(address)));
        let e = err(sock.disconnect(address));
        assert_eq!((e.code, e.address.as_deref()), (want, Some(address)));
    }
    let e = err(sock.disconnect("tcp://127.0.0.1:5555"));
    assert_eq!(e.code, ErrorCode::Enoent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_in_use_is_eaddrinuse() {
    let a = rep(fast());
    let endpoint = prompt(a.bind("tcp://127.0.0.1:*")).await.expect("bind");
    let b = rep(fast());
    let e = err(b.bind(&endpoint).await);
    assert_eq!(
        (e.code, e.address.as_deref()),
        (ErrorCode::Eaddrinuse, Some(endpoint.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbind_by_requested_or_resolved_string() {
    let server = rep(fast());
    let first = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let second = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    assert_ne!(first, second);
    assert_eq!(server.last_endpoint().as_deref(), Some(second.as_str()));
    server
        .unbind(&second)
        .await
        .expect("unbind by resolved endpoint");
    server
        .unbind("tcp://127.0.0.1:*")
        .await
        .expect("unbind by requested string");
    assert_eq!(err(server.unbind(&first).await).code, ErrorCode::Enoent);
    // Both ports are free again at once.
    let other = rep(fast());
    prompt(other.bind(&first)).await.expect("rebind first");
    prompt(other.bind(&second)).await.expect("rebind second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbind_drops_accepted_connections() {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let client = req(fast());
    client.connect(&endpoint).expect("connect");
    until(|| server.peer_count() == 1).await;
    server.unbind(&endpoint).await.expect("unbind");
    until(|| server.peer_count() == 0 && client.peer_count() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_stops_connecting() {
    let (server, endpoint, _task) = echo_server("re:").await;
    let client = req(Options {
        send_timeout: 30,
        ..fast()
    });
    client.connect(&endpoint).expect("connect");
    assert_eq!(
        text(
            &prompt(client.request(&lend(&msg(&["a"])), None, 0))
                .await
                .expect("request")
        ),
        ["re:a"]
    );
    client.disconnect(&endpoint).expect("disconnect");
    until(|| client.peer_count() == 0 && server.peer_count() == 0).await;
    let e = err(client.send(msg(&["b"])).await);
    assert_eq!(e.code, ErrorCode::Eagain);
    assert_eq!(err(client.disconnect(&endpoint)).code, ErrorCode::Enoent);
    // Not reconnected behind our back.
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert_eq!(server.peer_count(), 0);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_abstract_namespace() {
    let endpoint = format!("ipc://@zmq-napi-{}-abstract", std::process::id());
    let server = rep(fast());
    assert_eq!(
        prompt(server.bind(&endpoint)).await.expect("bind"),
        endpoint
    );
    let other = rep(fast());
    assert_eq!(err(other.bind(&endpoint).await).code, ErrorCode::Eaddrinuse);
    round_trip(&endpoint, server.clone()).await;
    server.unbind(&endpoint).await.expect("unbind");
    prompt(other.bind(&endpoint))
        .await
        .expect("free again after unbind");
}

/// Where there is no ipc (Windows), every ipc call says so, with the reason, and nothing crashes.
#[cfg(not(unix))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_is_refused_where_the_platform_has_none() {
    let endpoint = "ipc:///tmp/zmq-napi-no-ipc.sock";
    let server = rep(fast());
    let client = req(fast());
    let errors = [
        err(server.bind(endpoint).await),
        err(server.unbind(endpoint).await),
        err(client.connect(endpoint)),
        err(client.disconnect(endpoint)),
    ];
    for e in errors {
        assert_eq!(e.code, ErrorCode::Eprotonosupport, "{e:?}");
        assert_eq!(e.address.as_deref(), Some(endpoint));
        assert!(e.message.contains("ipc is not supported"), "{}", e.message);
    }
    // The sockets still work over tcp.
    let bound = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    round_trip(&bound, server).await;
}

/// unbind/disconnect of an address that could never have been bound or connected say why, as
/// bind and connect do; a well-formed one never used is ENOENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbind_and_disconnect_of_impossible_addresses() {
    let server = rep(fast());
    let client = req(fast());
    assert_eq!(
        err(server.unbind("foo://x").await).code,
        ErrorCode::Eprotonosupport
    );
    assert_eq!(
        err(client.disconnect("foo://x")).code,
        ErrorCode::Eprotonosupport
    );
    assert_eq!(
        err(server.unbind("tcp://nope").await).code,
        ErrorCode::Einval
    );
    assert_eq!(err(client.disconnect("tcp://nope")).code, ErrorCode::Einval);
    assert_eq!(
        err(server.unbind("tcp://127.0.0.1:1").await).code,
        ErrorCode::Enoent
    );
    assert_eq!(
        err(client.disconnect("tcp://127.0.0.1:1")).code,
        ErrorCode::Enoent
    );
}
