//! Compile-time guarantees the addon relies on: sockets and their handle are Send + Sync + Clone,
//! and every async method returns a Send future (the addon keeps pending operations as boxed
//! `Send` futures in a table its wakers reach from tokio threads, though it polls them on the JS thread).

use crate::common::*;
use std::time::Duration;
use tokio::runtime::Handle;
use zeromq_napi_engine::{
    DealerSocket, Options, RepSocket, ReplyTo, ReqSocket, RouterSocket, SocketHandle,
};

fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}

fn send_future<F: std::future::Future + Send>(f: F) -> F {
    f
}

#[test]
fn sockets_are_send_sync_clone() {
    send_sync_clone::<ReqSocket>();
    send_sync_clone::<RepSocket>();
    send_sync_clone::<DealerSocket>();
    send_sync_clone::<RouterSocket>();
    send_sync_clone::<ReplyTo>();
    send_sync_clone::<SocketHandle>();
    send_sync_clone::<zeromq_napi_engine::Error>();
}

#[tokio::test]
async fn async_methods_return_send_futures() {
    let handle = Handle::current();
    let r = ReqSocket::new(&handle, Options::default());
    drop(send_future(r.bind("tcp://127.0.0.1:*")));
    drop(send_future(r.unbind("tcp://127.0.0.1:1")));
    drop(send_future(r.send(msg(&["x"]))));
    drop(send_future(r.recv()));
    drop(send_future(r.request(
        &lend(&msg(&["x"])),
        Some(Duration::from_millis(1)),
        1,
    )));
    let p = RepSocket::new(&handle, Options::default());
    drop(send_future(p.bind("tcp://127.0.0.1:*")));
    drop(send_future(p.recv()));
    drop(send_future(p.send(msg(&["x"]))));
    drop(send_future(p.recv_request()));
    let d = DealerSocket::new(&handle, Options::default());
    drop(send_future(d.send(msg(&["x"]))));
    drop(send_future(d.recv()));
    let t = RouterSocket::new(&handle, Options::default());
    drop(send_future(t.send(msg(&["x", "y"]))));
    drop(send_future(t.recv()));
    // Nothing ran: the sockets are still usable and close cleanly.
    for closed in [r.is_closed(), p.is_closed(), d.is_closed(), t.is_closed()] {
        assert!(!closed);
    }
}

#[tokio::test]
async fn a_handle_keeps_its_socket_open_until_the_last_clone_goes() {
    let runtime = Handle::current();
    let req = ReqSocket::new(&runtime, Options::default());
    let handle = req.handle().clone();
    drop(req);
    assert!(!handle.is_closed());
    let endpoint = handle.bind("tcp://127.0.0.1:*").await.expect("bind");
    assert_eq!(handle.last_endpoint().as_deref(), Some(endpoint.as_str()));
    let other = handle.clone();
    drop(handle);
    assert!(!other.is_closed());

    // Closing through a handle closes the socket its type sees.
    let rep = RepSocket::new(&runtime, Options::default());
    rep.handle().close();
    assert!(rep.is_closed());
}
