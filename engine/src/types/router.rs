//! ROUTER: every received message starts with the sending peer's routing id (its Identity, or one
//! we generated); a sent message's first frame names the peer. Messages for unknown or full peers
//! are dropped silently, as libzmq does without ROUTER_MANDATORY; with it (`mandatory`) an
//! unknown peer fails EHOSTUNREACH and a full one makes the send wait (up to `send_timeout`).

use crate::error::{Error, ErrorCode};
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore, WaitError};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::time::Timeout;
use crate::types::busy::Proxied;
use crate::types::fair_queue::FairQueue;
use crate::wire::frame_ref::{self, FrameRef, TrySend};
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::sync::Arc;
use tokio::runtime::Handle;
use tokio::time::Instant;

/// A ROUTER socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct RouterSocket {
    handle: SocketHandle,
    queue: FairQueue,
}

/// What one attempt to route a message came to.
enum Routed {
    /// Handed to the peer, or dropped as the options say.
    Done,
    /// Mandatory and the peer's queue is full: nothing was kept.
    Full,
}

fn unreachable_peer(routing_id: &[u8]) -> Error {
    Error::new(
        ErrorCode::Ehostunreach,
        format!(
            "no connected peer has routing id {} (option mandatory)",
            show_id(routing_id)
        ),
    )
}

/// A routing id for an error message: text when it is printable, hex otherwise.
fn show_id(id: &[u8]) -> String {
    match std::str::from_utf8(id) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
            format!("{s:?}")
        }
        _ => {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}")
        }
    }
}

impl RouterSocket {
    pub fn new(runtime: &Handle, options: Options) -> RouterSocket {
        RouterSocket {
            handle: SocketHandle::new(runtime, SocketType::Router, options),
            queue: FairQueue::new(with_routing_id),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    fn check(&self) -> Result<(), Error> {
        self.queue.check(self.core())
    }

    /// One routing attempt of `[routing id, frames...]` (at least two frames).
    fn route(&self, message: &[FrameRef<'_>], mandatory: bool) -> Result<Routed, Error> {
        let [routing_id, body @ ..] = message else {
            return Ok(Routed::Done);
        };
        let routing_id = routing_id.bytes();
        let Some(peer) = self.core().peer_by_routing_id(routing_id) else {
            return if mandatory {
                Err(unreachable_peer(routing_id))
            } else {
                Ok(Routed::Done)
            };
        };
        if peer.try_push(body, self.core().flush()) || !mandatory {
            Ok(Routed::Done)
        } else if peer.is_dead() {
            Err(unreachable_peer(routing_id))
        } else {
            Ok(Routed::Full)
        }
    }

    /// Routes, waiting (until `deadline`) while the mandatory peer's queue is full.
    async fn route_waiting(
        &self,
        message: &Message,
        deadline: Option<Instant>,
    ) -> Result<Result<(), Error>, WaitError> {
        let core = self.core();
        let frames = frame_ref::shared(message);
        core.wait_for(&core.out_changed, deadline, || {
            match self.route(&frames, true) {
                Ok(Routed::Done) => Some(Ok(())),
                Ok(Routed::Full) => None,
                Err(e) => Some(Err(e)),
            }
        })
        .await
    }

    /// Routes `[routing id, frames...]` to that peer. Without `mandatory` it never waits
    /// (unknown/full peer: dropped); with it, see the module comment.
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        if self.try_send(&frame_ref::shared(&message))? == TrySend::Sent {
            return Ok(());
        }
        let deadline = Timeout::from_ms(self.core().option(|o| o.send_timeout)).deadline();
        self.route_waiting(&message, deadline)
            .await
            .map_err(|e| e.into_error("send"))?
    }

    /// Routes now; `Wait` (nothing kept) only when mandatory and the peer's queue is full.
    pub fn try_send(&self, message: &[FrameRef<'_>]) -> Result<TrySend, Error> {
        self.check()?;
        check_message(message)?;
        if message.len() < 2 {
            return Err(Error::new(
                ErrorCode::Einval,
                "a ROUTER message needs a routing id and a body",
            ));
        }
        let mandatory = self.core().option(|o| o.mandatory);
        Ok(match self.route(message, mandatory)? {
            Routed::Done => TrySend::Sent,
            Routed::Full => TrySend::Wait,
        })
    }

    /// How many `try_send`s in a row would say `Sent` now: any number (a message for a full or
    /// unknown peer is dropped), none when `mandatory` (it may wait or fail) or closed.
    pub fn send_room(&self) -> usize {
        if self.check().is_err() || self.core().option(|o| o.mandatory) {
            return 0;
        }
        usize::MAX
    }

    /// Receives `[routing id, frames...]` from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        self.queue.recv(self.core()).await
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        self.queue.try_recv(self.core())
    }

    /// Up to `max` queued messages in fair-queue order, at least one (waiting as
    /// [`RouterSocket::recv`] does). All but the first stay counted against `receive_high_water_mark` until the
    /// next receive: the caller keeps them unread in a queue of its own.
    pub async fn recv_many(&self, max: usize) -> Result<Vec<Message>, Error> {
        self.queue.recv_many(self.core(), max).await
    }

    /// [`RouterSocket::recv_many`] without waiting: empty when nothing is queued.
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

    /// The proxy's send: what cannot be routed (no routing id frame, an unknown peer) is dropped,
    /// as libzmq's proxy does; a mandatory ROUTER waits for a full peer as long as it takes.
    pub(crate) async fn proxy_send(&self, message: Message) -> Result<(), WaitError> {
        if message.len() < 2 {
            return Ok(());
        }
        let mandatory = self.core().option(|o| o.mandatory);
        match self.route(&frame_ref::shared(&message), mandatory) {
            Ok(Routed::Full) => self.route_waiting(&message, None).await.map(drop),
            Ok(Routed::Done) | Err(_) => Ok(()),
        }
    }
}

socket_handle!(RouterSocket, |socket| &socket.handle);

/// The message as ROUTER hands it out: `[routing id, frames...]`.
fn with_routing_id(received: Received) -> Option<Message> {
    let mut out = Vec::with_capacity(received.message.len() + 1);
    out.push(received.routing_id);
    out.extend(received.message);
    Some(out)
}
