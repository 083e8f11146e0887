//! Helpers shared by the socket integration tests.
#![allow(dead_code)]

pub mod driver;
pub mod raw_peer;

pub use raw_peer::*;

use bytes::{Bytes, BytesMut};
use std::future::Future;
use std::time::Duration;
use tokio::runtime::Handle;
use zeromq_napi_engine::wire::command::{Command, Metadata};
pub use zeromq_napi_engine::{FrameRef, TrySend};
use zeromq_napi_engine::{Message, Options, RepSocket, ReqSocket};

/// Upper bound for anything a test awaits that should happen promptly: a hang fails fast.
pub const PROMPT: Duration = Duration::from_secs(5);

/// Whether this platform has ipc (Unix domain sockets); elsewhere ipc endpoints are refused.
pub const HAS_IPC: bool = cfg!(unix);

/// An owned message's frames, as a synchronous `try_send` borrows them.
pub fn lend(message: &Message) -> Vec<FrameRef<'_>> {
    zeromq_napi_engine::wire::frame_ref::shared(message)
}

pub fn msg(parts: &[&str]) -> Message {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

pub fn text(message: &Message) -> Vec<String> {
    message
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// Awaits `f`, failing the test if it takes longer than [`PROMPT`].
pub async fn prompt<F: Future>(f: F) -> F::Output {
    match tokio::time::timeout(PROMPT, f).await {
        Ok(v) => v,
        Err(_) => panic!("operation did not finish within {PROMPT:?}"),
    }
}

/// Awaits a fallible `f` (often a call on a peer library's socket): it must finish within `limit`
/// and succeed.
pub async fn succeeds<T, E: std::fmt::Debug>(
    limit: Duration,
    f: impl Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("the operation failed: {e:?}"),
        Err(_) => panic!("operation did not finish within {limit:?}"),
    }
}

/// Options with short timers for tests.
pub fn fast() -> Options {
    Options {
        reconnect_interval: 10,
        linger: 0,
        ..Options::default()
    }
}

pub fn req(options: Options) -> ReqSocket {
    ReqSocket::new(&Handle::current(), options)
}

pub fn rep(options: Options) -> RepSocket {
    RepSocket::new(&Handle::current(), options)
}

/// A REP on an ephemeral loopback port answering every request with `prefix` + the request.
pub async fn echo_server(prefix: &'static str) -> (RepSocket, String, tokio::task::JoinHandle<()>) {
    let server = rep(fast());
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let task = tokio::spawn(serve_echo(server.clone(), prefix));
    (server, endpoint, task)
}

/// Answers requests with `prefix` + each frame until the socket closes.
pub async fn serve_echo(server: RepSocket, prefix: &'static str) {
    while let Ok(request) = server.recv().await {
        let reply = request
            .iter()
            .map(|f| {
                let mut v = prefix.as_bytes().to_vec();
                v.extend_from_slice(f);
                Bytes::from(v)
            })
            .collect();
        if server.send(reply).await.is_err() {
            return;
        }
    }
}

/// Polls `cond` every few ms until true (bounded by [`PROMPT`]); for states that have no event to await.
pub async fn until(mut cond: impl FnMut() -> bool) {
    prompt(async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
}

/// The READY command a peer of `socket_type` ("REQ", "REP", ...) sends, as wire bytes.
pub fn ready_bytes(socket_type: &str) -> Vec<u8> {
    let mut m = Metadata::new();
    m.insert(
        "Socket-Type",
        Bytes::copy_from_slice(socket_type.as_bytes()),
    );
    let mut out = BytesMut::new();
    Command::Ready(m).encode(&mut out);
    out.to_vec()
}
