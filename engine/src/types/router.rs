//! ROUTER: every received message starts with the sending peer's routing id (its Identity, or one
//! we generated); a sent message's first frame names the peer. Messages for unknown or full peers
//! are dropped silently, as libzmq does without ROUTER_MANDATORY.

use crate::error::{Error, ErrorCode};
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::wire::memory::FrameMemory;
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::sync::Arc;
use tokio::runtime::Handle;

/// A ROUTER socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct RouterSocket {
    handle: SocketHandle,
}

impl RouterSocket {
    pub fn new(runtime: &Handle, options: Options) -> RouterSocket {
        RouterSocket {
            handle: SocketHandle::new(runtime, SocketType::Router, options),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// Routes `[routing id, frames...]` to that peer; never waits (unknown/full peer: dropped).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.try_send(message).map(|_| ())
    }

    /// Same as `send` (which never waits); always `Ok(None)` on success.
    pub fn try_send(&self, message: Message) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        check_message(&message)?;
        if message.len() < 2 {
            return Err(Error::new(
                ErrorCode::Einval,
                "a ROUTER message needs a routing id and a body",
            ));
        }
        let mut message = message;
        let routing_id = message.remove(0);
        if let Some(peer) = core.peer_by_routing_id(&routing_id) {
            // Full or dying peer: dropped, as libzmq does.
            let _ = peer.try_push(message, FrameMemory::Owned);
        }
        Ok(None)
    }

    /// Receives `[routing id, frames...]` from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        let core = self.core();
        core.check_open()?;
        core.recv_timed(with_routing_id).await
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        Ok(core.pop_accepted(with_routing_id))
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
