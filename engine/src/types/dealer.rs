//! DEALER: sends round-robin to the peers whose handshake is done (skipping dead and full ones),
//! receives fair-queued from all peers; frames pass through unchanged.
//!
//! Sends that must wait go out in the order they were started (see `round_robin`). One receive
//! at a time (a second is EBUSY).

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

/// A DEALER socket. Cheap to clone; closes when the last clone is dropped. Async methods are
/// cancel-safe: a dropped `send` did not send, a dropped `recv` took nothing.
#[derive(Clone)]
pub struct DealerSocket {
    handle: SocketHandle,
    queue: FairQueue,
    sender: RoundRobin,
}

fn body(received: Received) -> Option<Message> {
    Some(received.message)
}

impl DealerSocket {
    pub fn new(runtime: &Handle, options: Options) -> DealerSocket {
        DealerSocket {
            handle: SocketHandle::new(runtime, SocketType::Dealer, options),
            queue: FairQueue::new(body),
            sender: RoundRobin::default(),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    fn check(&self) -> Result<(), Error> {
        self.queue.check(self.core())
    }

    /// Sends to the next live peer, after the sends started before it; waits for its turn and a
    /// peer with room up to `send_timeout` in all (then EAGAIN).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.check()?;
        self.sender.send(self.core(), message).await
    }

    /// Sends now if no earlier send is waiting and a live peer has room; otherwise keeps nothing
    /// and says `Wait` (then `send` it).
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.check()?;
        self.sender.try_send(self.core(), message)
    }

    /// How many `try_send`s in a row would say `Sent` now: the live peers' room together (see
    /// `SocketCore::send_room`), none while an earlier send waits or once closed.
    pub fn send_room(&self) -> usize {
        if self.check().is_err() {
            return 0;
        }
        self.sender.room(self.core())
    }

    /// Receives the next message from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        self.queue.recv(self.core()).await
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        self.queue.try_recv(self.core())
    }

    /// Up to `max` queued messages in fair-queue order, at least one (waiting as
    /// [`DealerSocket::recv`] does). All but the first stay counted against `receive_high_water_mark` until the
    /// next receive: the caller keeps them unread in a queue of its own.
    pub async fn recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.queue.recv_many(self.core(), max).await
    }

    /// [`DealerSocket::recv_many`] without waiting: empty when nothing is queued.
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

    /// The proxy's send: waits for a peer with room as long as it takes (the back-pressure
    /// reaches the other side's peers through their queues), ends only when the socket closes.
    pub(crate) async fn proxy_send(&self, message: Message) -> Result<(), WaitError> {
        self.sender.proxy_send(self.core(), message).await
    }
}

socket_handle!(DealerSocket, |socket| &socket.handle);
