//! Socket events over real loopback connections: bind with the resolved endpoint, connect:retry
//! before the peer is up and connect once it is, handshake, disconnect when the peer goes,
//! handshake:error:protocol on garbage, close per endpoint, and nothing after close.

use crate::common::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use zeromq_napi_engine::{EventKind, EventSink, Options, SocketEvent, SocketHandle};

struct Channel(mpsc::UnboundedSender<SocketEvent>);

impl EventSink for Channel {
    fn event(&self, event: SocketEvent) {
        let _ = self.0.send(event);
    }
}

fn watch(socket: &SocketHandle) -> mpsc::UnboundedReceiver<SocketEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    socket.set_event_sink(Arc::new(Channel(tx)));
    rx
}

async fn next(rx: &mut mpsc::UnboundedReceiver<SocketEvent>) -> SocketEvent {
    prompt(rx.recv()).await.expect("an event")
}

/// The next event of `kind`, skipping others (e.g. the retries of a connector).
async fn next_of(rx: &mut mpsc::UnboundedReceiver<SocketEvent>, kind: EventKind) -> SocketEvent {
    loop {
        let event = next(rx).await;
        if event.kind == kind {
            return event;
        }
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind probe");
    listener.local_addr().expect("probe address").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_reports_the_resolved_endpoint_and_close_each_endpoint() {
    let server = rep(fast());
    let mut events = watch(&server);
    let resolved = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    assert_ne!(resolved, "tcp://127.0.0.1:*");
    assert_eq!(next(&mut events).await, bind_event(&resolved));
    let second = prompt(server.bind("tcp://127.0.0.1:0"))
        .await
        .expect("bind");
    assert_eq!(next(&mut events).await, bind_event(&second));
    prompt(server.unbind(&second)).await.expect("unbind");
    let closed = next(&mut events).await;
    assert_eq!((closed.kind, closed.address), (EventKind::Close, second));
    server.connect("tcp://127.0.0.1:1").expect("connect");
    server.close();
    let mut closes = Vec::new();
    while let Some(event) = prompt(events.recv()).await {
        if event.kind == EventKind::Close {
            closes.push(event.address);
        }
    }
    // The channel ended: close released the sink, nothing comes after it.
    assert_eq!(closes, [resolved, "tcp://127.0.0.1:1".to_owned()]);
}

fn bind_event(address: &str) -> SocketEvent {
    SocketEvent {
        kind: EventKind::Bind,
        address: address.to_owned(),
        error: None,
        interval: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_retries_until_the_peer_binds_then_handshakes_and_disconnects() {
    let address = format!("tcp://127.0.0.1:{}", free_port());
    let client = req(fast());
    let mut events = watch(&client);
    client.connect(&address).expect("connect");
    let retry = next(&mut events).await;
    assert_eq!(retry.kind, EventKind::ConnectRetry);
    assert_eq!(retry.address, address);
    assert_eq!(retry.interval, Some(Duration::from_millis(10)));
    let error = retry.error.expect("why the attempt failed");
    assert_eq!(error.code, "ECONNREFUSED");

    let server = rep(fast());
    let mut server_events = watch(&server);
    prompt(server.bind(&address)).await.expect("bind");
    let connected = next_of(&mut events, EventKind::Connect).await;
    assert_eq!(connected.address, address);
    let shaken = next(&mut events).await;
    assert_eq!(
        (shaken.kind, &shaken.address),
        (EventKind::Handshake, &address)
    );

    assert_eq!(next(&mut server_events).await, bind_event(&address));
    let accepted = next(&mut server_events).await;
    assert_eq!(
        (accepted.kind, &accepted.address),
        (EventKind::Accept, &address)
    );
    let shaken = next(&mut server_events).await;
    assert_eq!(
        (shaken.kind, &shaken.address),
        (EventKind::Handshake, &address)
    );

    // The peer goes away: disconnect, then the connector schedules its next attempt.
    server.close();
    let gone = next(&mut events).await;
    assert_eq!(
        (gone.kind, &gone.address),
        (EventKind::Disconnect, &address)
    );
    let retry = next(&mut events).await;
    assert_eq!(
        (retry.kind, &retry.address),
        (EventKind::ConnectRetry, &address)
    );
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_a_protocol_handshake_error() {
    let server = rep(fast());
    let mut events = watch(&server);
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    assert_eq!(next(&mut events).await.kind, EventKind::Bind);
    let mut peer = raw_peer(&endpoint, b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(next(&mut events).await.kind, EventKind::Accept);
    let failed = next(&mut events).await;
    assert_eq!(failed.kind, EventKind::HandshakeErrorProtocol);
    assert_eq!(failed.address, endpoint);
    assert_eq!(failed.error.expect("the reason").code, "EPROTO");
    let gone = next(&mut events).await;
    assert_eq!((gone.kind, gone.address), (EventKind::Disconnect, endpoint));
    let _ = peer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_another_handshake_error() {
    let server = rep(Options {
        handshake_interval: 50,
        ..fast()
    });
    let mut events = watch(&server);
    let endpoint = prompt(server.bind("tcp://127.0.0.1:*"))
        .await
        .expect("bind");
    let _peer = tokio::net::TcpStream::connect(endpoint.trim_start_matches("tcp://"))
        .await
        .expect("tcp connect");
    let failed = next_of(&mut events, EventKind::HandshakeErrorOther).await;
    assert_eq!(failed.error.expect("the reason").code, "ETIMEDOUT");
}
