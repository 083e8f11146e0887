//! PAIR (RFC 31): one peer at a time (a second connection is refused while one is live, see
//! `SocketCore::add_peer`); sends wait for that peer and its queue room, receives are its messages.

use crate::error::Error;
use crate::options::Options;
use crate::socket::core::SocketCore;
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::types::fair_queue::FairQueue;
use crate::types::round_robin::RoundRobin;
use crate::wire::frame_ref::{FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::sync::Arc;
use tokio::runtime::Handle;

/// A PAIR socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct PairSocket {
    handle: SocketHandle,
    queue: FairQueue,
    /// Round-robin over at most one peer: the same waiting and call-order rules as DEALER.
    sender: RoundRobin,
}

fn body(received: Received) -> Option<Message> {
    Some(received.message)
}

impl PairSocket {
    pub fn new(runtime: &Handle, options: Options) -> PairSocket {
        PairSocket {
            handle: SocketHandle::new(runtime, SocketType::Pair, options),
            queue: FairQueue::new(body),
            sender: RoundRobin::default(),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// Sends to the peer, waiting for it (and for room) up to `send_timeout`.
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

    /// Receives the peer's next message (up to `receive_timeout`, then EAGAIN).
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

    /// [`PairSocket::recv_many`] without waiting: empty when nothing is queued.
    pub fn try_recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.queue.try_recv_many(self.core(), max)
    }
}

socket_handle!(PairSocket, |socket| &socket.handle);
