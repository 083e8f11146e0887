//! ROUTER: every received message starts with the sending peer's routing id (its Identity, or one
//! we generated); a sent message's first frame names the peer. Messages for unknown or full peers
//! are dropped silently, as libzmq does without ROUTER_MANDATORY.

use crate::error::{Error, ErrorCode};
use crate::socket::{check_message, Core};
use crate::socket_type::SocketType;
use crate::{Message, Options};
use std::sync::Arc;
use tokio::runtime::Handle;

struct Inner {
    core: Arc<Core>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.core.close();
    }
}

/// A ROUTER socket. Cheap to clone; closes when the last clone is dropped. Cancel-safe.
#[derive(Clone)]
pub struct RouterSocket {
    inner: Arc<Inner>,
}

impl RouterSocket {
    pub fn new(runtime: &Handle, options: Options) -> RouterSocket {
        RouterSocket {
            inner: Arc::new(Inner {
                core: Core::new(runtime, SocketType::Router, options),
            }),
        }
    }

    fn core(&self) -> &Arc<Core> {
        &self.inner.core
    }

    pub async fn bind(&self, endpoint: &str) -> Result<String, Error> {
        self.core().bind(endpoint).await
    }

    pub async fn unbind(&self, endpoint: &str) -> Result<(), Error> {
        self.core().unbind(endpoint)
    }

    pub fn connect(&self, endpoint: &str) -> Result<(), Error> {
        self.core().connect(endpoint)
    }

    pub fn disconnect(&self, endpoint: &str) -> Result<(), Error> {
        self.core().disconnect(endpoint)
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
            let _ = peer.try_push(message);
        }
        Ok(None)
    }

    /// Receives `[routing id, frames...]` from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        let core = self.core();
        core.check_open()?;
        let deadline = Core::deadline_after(core.option(|o| o.receive_timeout));
        core.recv_with(deadline, |r| Some(with_routing_id(r.routing_id, r.message)))
            .await
            .map_err(|e| e.into_error("receive"))
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        Ok(core
            .pop_inbound()
            .map(|r| with_routing_id(r.routing_id, r.message)))
    }

    pub fn close(&self) {
        self.core().close();
    }

    pub fn is_closed(&self) -> bool {
        self.core().is_closed()
    }

    pub fn last_endpoint(&self) -> Option<String> {
        self.core().last_endpoint()
    }

    pub fn options(&self) -> Options {
        self.core().options()
    }

    pub fn set_options(&self, options: Options) {
        self.core().set_options(options);
    }

    /// Peers whose handshake is done (for tests and diagnostics).
    pub fn peer_count(&self) -> usize {
        self.core().peer_count()
    }
}

fn with_routing_id(routing_id: bytes::Bytes, message: Message) -> Message {
    let mut out = Vec::with_capacity(message.len() + 1);
    out.push(routing_id);
    out.extend(message);
    out
}
