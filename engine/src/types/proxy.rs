//! A proxy (libzmq's `zmq_proxy`): forwards every message one socket receives to the other, both
//! ways, until either socket closes or the future is dropped. Frames move across as they are (the
//! `Bytes` of the received message are the ones sent: no copy). While it runs, the two sockets
//! belong to it: their own sends and receives fail EBUSY.

use crate::error::Error;
use crate::socket::core::WaitError;
use crate::types::busy::Proxied;
use crate::types::dealer::DealerSocket;
use crate::types::router::RouterSocket;
use crate::wire::Message;

/// A socket a proxy can forward to and from.
#[derive(Clone)]
pub enum ProxyEnd {
    Dealer(DealerSocket),
    Router(RouterSocket),
}

impl From<DealerSocket> for ProxyEnd {
    fn from(socket: DealerSocket) -> ProxyEnd {
        ProxyEnd::Dealer(socket)
    }
}

impl From<RouterSocket> for ProxyEnd {
    fn from(socket: RouterSocket) -> ProxyEnd {
        ProxyEnd::Router(socket)
    }
}

impl ProxyEnd {
    fn begin(&self) -> Result<Proxied, Error> {
        match self {
            ProxyEnd::Dealer(s) => s.begin_proxy(),
            ProxyEnd::Router(s) => s.begin_proxy(),
        }
    }

    async fn recv(&self) -> Result<Message, WaitError> {
        match self {
            ProxyEnd::Dealer(s) => s.proxy_recv().await,
            ProxyEnd::Router(s) => s.proxy_recv().await,
        }
    }

    async fn send(&self, message: Message) -> Result<(), WaitError> {
        match self {
            ProxyEnd::Dealer(s) => s.proxy_send(message).await,
            ProxyEnd::Router(s) => s.proxy_send(message).await,
        }
    }
}

/// Moves messages from `from` to `to` until one of them closes.
async fn forward(from: &ProxyEnd, to: &ProxyEnd) {
    while let Ok(message) = from.recv().await {
        if to.send(message).await.is_err() {
            return;
        }
    }
}

/// Runs the proxy: EBADF if a socket is already closed, EBUSY if a proxy already runs on one of
/// them (the same socket twice included) or a receive is pending on it; otherwise returns `Ok`
/// when either socket closes. Dropping the future stops it and gives the sockets back.
pub async fn run_proxy(frontend: ProxyEnd, backend: ProxyEnd) -> Result<(), Error> {
    let _front = frontend.begin()?;
    let _back = backend.begin()?;
    tokio::select! {
        () = forward(&frontend, &backend) => {}
        () = forward(&backend, &frontend) => {}
    }
    Ok(())
}
