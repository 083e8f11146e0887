//! A proxy (libzmq's `zmq_proxy`): forwards every message one socket receives to the other, both
//! ways, until either socket closes or the future is dropped. Frames move across as they are (the
//! `Bytes` of the received message are the ones sent: no copy). While it runs, the two sockets
//! belong to it: their own sends and receives fail EBUSY.

use crate::error::Error;
use crate::socket::core::WaitError;
use crate::types::busy::{Proxied, ProxyHold};
use crate::types::dealer::DealerSocket;
use crate::types::pipeline::{PullSocket, PushSocket};
use crate::types::publisher::XPubSocket;
use crate::types::router::RouterSocket;
use crate::types::subscriber::XSubSocket;
use crate::wire::Message;
use std::future::Future;
use std::sync::Arc;

/// A socket a proxy can forward to and from: ROUTER/DEALER (a broker), XSUB/XPUB (a pub-sub
/// forwarder: messages one way, subscriptions the other), PULL/PUSH (a pipeline stage: one way).
#[derive(Clone)]
pub enum ProxyEnd {
    Dealer(DealerSocket),
    Router(RouterSocket),
    XPub(XPubSocket),
    XSub(XSubSocket),
    Push(PushSocket),
    Pull(PullSocket),
}

macro_rules! proxy_end_from {
    ($($variant:ident($socket:ty)),*) => {$(
        impl From<$socket> for ProxyEnd {
            fn from(socket: $socket) -> ProxyEnd {
                ProxyEnd::$variant(socket)
            }
        }
    )*};
}

proxy_end_from!(
    Dealer(DealerSocket),
    Router(RouterSocket),
    XPub(XPubSocket),
    XSub(XSubSocket),
    Push(PushSocket),
    Pull(PullSocket)
);

/// `$body` with `$s` bound to whichever socket `$end` holds.
macro_rules! each_end {
    ($end:expr, $s:ident => $body:expr) => {
        match $end {
            ProxyEnd::Dealer($s) => $body,
            ProxyEnd::Router($s) => $body,
            ProxyEnd::XPub($s) => $body,
            ProxyEnd::XSub($s) => $body,
            ProxyEnd::Push($s) => $body,
            ProxyEnd::Pull($s) => $body,
        }
    };
}

impl ProxyEnd {
    fn begin(&self) -> Result<Proxied, Error> {
        each_end!(self, s => s.begin_proxy())
    }

    /// A PUSH receives nothing: its receive waits until the socket closes or the hold ends.
    async fn recv(&self, hold: &ProxyHold) -> Result<Option<Message>, WaitError> {
        let (queue, core) = each_end!(self, s => s.proxy_queue());
        queue.proxy_recv(core, hold).await
    }

    /// The next queued message without waiting (None when there is none, or paused or
    /// released: the waiting `recv` tells those apart).
    fn try_recv(&self, hold: &ProxyHold) -> Option<Message> {
        let (queue, core) = each_end!(self, s => s.proxy_queue());
        queue.proxy_try_recv(core, hold).flatten()
    }

    /// Whether a message waits in the socket's queue (a hint: a paused or released hold may
    /// still take nothing).
    fn has_queued(&self) -> bool {
        each_end!(self, s => s.handle().has_messages())
    }

    /// Whether the sends that follow are later ones of a burst (see `SocketHandle::batch_sends`).
    fn batch_sends(&self, on: bool) {
        each_end!(self, s => s.handle().batch_sends(on));
    }

    /// Writes what a burst's later sends left, one vectored write per connection.
    fn flush_sends(&self) {
        each_end!(self, s => s.handle().flush_sends());
    }

    async fn send(&self, message: Message) -> Result<(), WaitError> {
        match self {
            ProxyEnd::Dealer(s) => s.proxy_send(message).await,
            ProxyEnd::Router(s) => s.proxy_send(message).await,
            ProxyEnd::XPub(s) => s.proxy_send(message).await,
            ProxyEnd::XSub(s) => s.proxy_send(message).await,
            ProxyEnd::Push(s) => s.proxy_send(message).await,
            // Only a PUSH on the other side could send one, and it receives nothing.
            ProxyEnd::Pull(_) => Ok(()),
        }
    }
}

/// Moves messages from `from` to `to` until one of them closes or the hold is released (a
/// message taken and not yet sent then is dropped, as when the proxy's future is dropped).
async fn forward(from: &ProxyEnd, to: &ProxyEnd, hold: &ProxyHold) {
    loop {
        hold.unpaused().await;
        // A receive parked while the proxy gets paused takes nothing more (`ProxyHold::take`);
        // it is dropped and starts again on resume, which also re-checks the queue.
        let received = tokio::select! {
            received = from.recv(hold) => received,
            () = hold.paused() => continue,
        };
        let Ok(Some(message)) = received else {
            return;
        };
        // A burst (libzmq's proxy does the same): what is queued now is forwarded without
        // waiting for a wake-up per message, one message in hand at a time as ever, so that a
        // stop drops no more than it did. A message alone is written at once; a burst's are
        // written together at its end, one vectored write per connection instead of one each
        // (where the JS thread reads, a burst is everything that turn's reads brought).
        let mut next = Some(message);
        let mut sent = 0;
        let mut batched = false;
        while let Some(message) = next.take() {
            batched |= sent + 1 < BURST && from.has_queued();
            to.batch_sends(batched);
            let delivered = to.send(message).await.is_ok();
            to.batch_sends(false);
            if !delivered {
                // Closing: what the burst left is the writer's to deliver (see `Peer::flush`).
                return;
            }
            sent += 1;
            if sent < BURST {
                next = from.try_recv(hold);
            }
        }
        if batched {
            to.flush_sends();
        }
    }
}

/// The most messages a burst forwards before the loop looks at pause and release again, so
/// that one busy direction cannot keep the other waiting.
const BURST: usize = 256;

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

    /// What pauses and resumes this proxy, for as long as it runs.
    pub fn control(&self) -> ProxyControl {
        ProxyControl(self.0.clone())
    }
}

/// Pauses and resumes a running proxy (zeromq.js's `pause()`/`resume()`); does not keep it
/// running. Cheap to clone.
#[derive(Clone)]
pub struct ProxyControl(Arc<ProxyHold>);

impl ProxyControl {
    /// The forwarding takes nothing until `resume`; messages wait in the sockets' queues.
    pub fn pause(&self) {
        self.0.set_paused(true);
    }

    pub fn resume(&self) {
        self.0.set_paused(false);
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
