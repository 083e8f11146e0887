//! PUSH and PULL (RFC 30): PUSH sends round-robin to its PULL peers and waits at the high-water
//! mark (never drops); PULL receives fair-queued from its PUSH peers. Neither goes the other way.

use crate::error::Error;
use crate::options::Options;
use crate::socket::core::{SocketCore, WaitError};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::types::busy::Proxied;
use crate::types::fair_queue::FairQueue;
use crate::types::round_robin::RoundRobin;
use crate::wire::frame_ref::{FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::sync::Arc;
use tokio::runtime::Handle;

fn body(received: Received) -> Option<Message> {
    Some(received.message)
}

/// A PUSH socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct PushSocket {
    handle: SocketHandle,
    /// Nothing arrives on a PUSH; it holds the proxy's claim and the closed check.
    queue: FairQueue,
    sender: RoundRobin,
}

impl PushSocket {
    pub fn new(runtime: &Handle, options: Options) -> PushSocket {
        PushSocket {
            handle: SocketHandle::new(runtime, SocketType::Push, options),
            queue: FairQueue::new(body),
            sender: RoundRobin::default(),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// Sends to the next PULL peer with room, in call order; waits up to `send_timeout`.
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.queue.check(self.core())?;
        self.sender.send(self.core(), message).await
    }

    /// Sends now if no earlier send is waiting and a live peer has room; otherwise keeps nothing
    /// and says `Wait` (then `send` it).
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.queue.check(self.core())?;
        self.sender.try_send(self.core(), message)
    }

    /// How many `try_send`s in a row would say `Sent` now (see `DealerSocket::send_room`).
    pub fn send_room(&self) -> usize {
        if self.queue.check(self.core()).is_err() {
            return 0;
        }
        self.sender.room(self.core())
    }

    pub(crate) fn begin_proxy(&self) -> Result<Proxied, Error> {
        self.queue.begin_proxy(self.core())
    }

    /// The queue a proxy takes this socket's messages from (a PUSH's stays empty).
    pub(crate) fn proxy_queue(&self) -> (&FairQueue, &SocketCore) {
        (&self.queue, self.core())
    }

    pub(crate) async fn proxy_send(&self, message: Message) -> Result<(), WaitError> {
        self.sender.proxy_send(self.core(), message).await
    }
}

socket_handle!(PushSocket, |socket| &socket.handle);

/// A PULL socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct PullSocket {
    handle: SocketHandle,
    queue: FairQueue,
}

impl PullSocket {
    pub fn new(runtime: &Handle, options: Options) -> PullSocket {
        PullSocket {
            handle: SocketHandle::new(runtime, SocketType::Pull, options),
            queue: FairQueue::new(body),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// Receives the next message from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        self.queue.recv(self.core()).await
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        self.queue.try_recv(self.core())
    }

    /// Up to `max` queued messages, at least one (see `DealerSocket::recv_many`).
    pub async fn recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.queue.recv_many(self.core(), max).await
    }

    /// [`PullSocket::recv_many`] without waiting: empty when nothing is queued.
    pub fn try_recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.queue.try_recv_many(self.core(), max)
    }

    pub(crate) fn begin_proxy(&self) -> Result<Proxied, Error> {
        self.queue.begin_proxy(self.core())
    }

    /// The queue a proxy takes this socket's messages from.
    pub(crate) fn proxy_queue(&self) -> (&FairQueue, &SocketCore) {
        (&self.queue, self.core())
    }
}

socket_handle!(PullSocket, |socket| &socket.handle);
