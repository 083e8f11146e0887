//! DEALER: sends round-robin to the peers whose handshake is done (skipping dead and full ones),
//! receives fair-queued from all peers; frames pass through unchanged.

use crate::error::Error;
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

/// A DEALER socket. Cheap to clone; closes when the last clone is dropped. Async methods are
/// cancel-safe: a dropped `send` did not send, a dropped `recv` took nothing.
#[derive(Clone)]
pub struct DealerSocket {
    inner: Arc<Inner>,
}

impl DealerSocket {
    pub fn new(runtime: &Handle, options: Options) -> DealerSocket {
        DealerSocket {
            inner: Arc::new(Inner {
                core: Core::new(runtime, SocketType::Dealer, options),
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

    /// Sends to the next live peer; waits for one (up to `send_timeout`, then EAGAIN).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        let core = self.core();
        core.check_open()?;
        check_message(&message)?;
        let deadline = Core::deadline_after(core.option(|o| o.send_timeout));
        core.send_round_robin(message, deadline, |_| ())
            .await
            .map_err(|e| e.into_error("send"))
    }

    /// Sends now if a live peer has room; otherwise hands the message back.
    pub fn try_send(&self, message: Message) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        check_message(&message)?;
        Ok(core.try_send_round_robin(message).err())
    }

    /// Receives the next message from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        let core = self.core();
        core.check_open()?;
        let deadline = Core::deadline_after(core.option(|o| o.receive_timeout));
        core.recv_with(deadline, |r| Some(r.message))
            .await
            .map_err(|e| e.into_error("receive"))
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        Ok(core.pop_inbound().map(|r| r.message))
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
