//! A proxy (libzmq's `zmq_proxy`): forwards every message one socket receives to the other, both
//! ways, until either socket closes or the future is dropped. Frames move across as they are (the
//! `Bytes` of the received message are the ones sent: no copy). While it runs, the two sockets
//! belong to it: their own sends and receives fail EBUSY.

use crate::error::Error;
use crate::socket::core::WaitError;
use crate::types::busy::{Proxied, ProxyHold};
use crate::types::dealer::DealerSocket;
use crate::types::router::RouterSocket;
use crate::wire::Message;
use std::future::Future;
use std::sync::Arc;

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

    async fn recv(&self, hold: &ProxyHold) -> Result<Option<Message>, WaitError> {
        match self {
            ProxyEnd::Dealer(s) => s.proxy_recv(hold).await,
            ProxyEnd::Router(s) => s.proxy_recv(hold).await,
        }
    }

    async fn send(&self, message: Message) -> Result<(), WaitError> {
        match self {
            ProxyEnd::Dealer(s) => s.proxy_send(message).await,
            ProxyEnd::Router(s) => s.proxy_send(message).await,
        }
    }
}

/// Moves messages from `from` to `to` until one of them closes or the hold is released (a
/// message taken and not yet sent then is dropped, as when the proxy's future is dropped).
async fn forward(from: &ProxyEnd, to: &ProxyEnd, hold: &ProxyHold) {
    while let Ok(Some(message)) = from.recv(hold).await {
        if to.send(message).await.is_err() {
            return;
        }
    }
}

/// Takes both sockets for the proxy, or neither: a failed second take drops the first hold.
fn take(frontend: &ProxyEnd, backend: &ProxyEnd) -> Result<(Proxied, Proxied), Error> {
    Ok((frontend.begin()?, backend.begin()?))
}

/// A started proxy's hold on its sockets. Dropping it (or [`ProxyStop::stop`]) gives them back at
/// once, on the calling thread, and the forwarding takes nothing more from them: what frees them
/// does not wait for the forwarding's task to be dropped on some runtime thread.
pub struct ProxyStop(Arc<ProxyHold>);

impl ProxyStop {
    /// Stops the forwarding and gives the sockets back. Idempotent.
    pub fn stop(&self) {
        self.0.release();
    }
}

impl Drop for ProxyStop {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a proxy: takes both sockets now (EBADF if one is already closed, EBUSY if a proxy
/// already runs on one of them, the same socket twice included, or a receive is pending on it)
/// and returns its hold and its forwarding, which ends when either socket closes or the hold is
/// stopped. Taking them here, not when the forwarding is first polled, matters where it is
/// spawned onto another thread: a `close()` right after this call is a close while the proxy
/// runs (it ends), not one before it started (EBADF).
pub fn start_proxy(
    frontend: ProxyEnd,
    backend: ProxyEnd,
) -> Result<(ProxyStop, impl Future<Output = ()> + Send + 'static), Error> {
    let (front, back) = take(&frontend, &backend)?;
    let hold = Arc::new(ProxyHold::new(front, back));
    let stop = ProxyStop(hold.clone());
    let forwarding = async move {
        tokio::select! {
            () = forward(&frontend, &backend, &hold) => {}
            () = forward(&backend, &frontend, &hold) => {}
            () = hold.released.wait() => {}
        }
    };
    Ok((stop, forwarding))
}

/// [`start_proxy`] as one future: `Ok` when either socket closes; dropping the future stops it
/// and gives the sockets back. The sockets are taken by this call, not at the first poll.
pub fn run_proxy(
    frontend: ProxyEnd,
    backend: ProxyEnd,
) -> impl Future<Output = Result<(), Error>> + Send + 'static {
    let started = start_proxy(frontend, backend);
    async move {
        let (_stop, forwarding) = started?;
        forwarding.await;
        Ok(())
    }
}
