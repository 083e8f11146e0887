//! The receiving half DEALER and ROUTER share: messages fair-queued from all peers, one receive at
//! a time, and the hold a proxy takes on it. The two socket types differ only in how a received
//! message is handed out (ROUTER puts the peer's routing id first).

use crate::error::Error;
use crate::socket::core::{SocketCore, WaitError};
use crate::socket::inbound::Received;
use crate::types::busy::{Busy, Proxied, ProxyHold};
use crate::wire::Message;
use std::sync::Arc;

/// How a socket type turns what a peer sent into what its `recv` returns.
pub(crate) type HandOut = fn(Received) -> Option<Message>;

#[derive(Clone)]
pub(crate) struct FairQueue {
    busy: Arc<Busy>,
    hand_out: HandOut,
}

impl FairQueue {
    pub(crate) fn new(hand_out: HandOut) -> FairQueue {
        FairQueue {
            busy: Arc::default(),
            hand_out,
        }
    }

    /// Every public operation's check: the socket is open and no proxy runs on it.
    pub(crate) fn check(&self, core: &SocketCore) -> Result<(), Error> {
        core.check_open()?;
        self.busy.check_free()
    }

    /// Receives the next message from any peer (up to `receive_timeout`, then EAGAIN).
    pub(crate) async fn recv(&self, core: &SocketCore) -> Result<Message, Error> {
        self.check(core)?;
        let _receiving = self.busy.begin_recv()?;
        core.recv_timed(self.hand_out).await
    }

    pub(crate) fn try_recv(&self, core: &SocketCore) -> Result<Option<Message>, Error> {
        self.check(core)?;
        let _receiving = self.busy.begin_recv()?;
        Ok(core.pop_accepted(self.hand_out))
    }

    /// `recv` for a batch of up to `max` messages (at least one). Called only once the caller
    /// has read what the previous batch lent it, so that room is given back first.
    pub(crate) async fn recv_many(
        &self,
        core: &SocketCore,
        max: usize,
    ) -> Result<Vec<Message>, Error> {
        self.check(core)?;
        let _receiving = self.busy.begin_recv()?;
        core.release_lent();
        core.recv_many_timed(max, self.hand_out).await
    }

    /// `try_recv` for a batch: empty when nothing is queued. Releases the lent room as
    /// `recv_many` does.
    pub(crate) fn try_recv_many(
        &self,
        core: &SocketCore,
        max: usize,
    ) -> Result<Vec<Message>, Error> {
        self.check(core)?;
        let _receiving = self.busy.begin_recv()?;
        core.release_lent();
        Ok(core.pop_accepted_many(max, self.hand_out))
    }

    pub(crate) fn begin_proxy(&self, core: &SocketCore) -> Result<Proxied, Error> {
        core.check_open()?;
        let proxied = self.busy.begin_proxy()?;
        // What a batch lent is the user's now (or dropped with its socket): not the proxy's.
        core.release_lent();
        Ok(proxied)
    }

    /// The proxy's receive: no timeout, ends when the socket closes (`Err`) or `hold` is
    /// released (`Ok(None)`).
    pub(crate) async fn proxy_recv(
        &self,
        core: &SocketCore,
        hold: &ProxyHold,
    ) -> Result<Option<Message>, WaitError> {
        core.wait_for(&core.inbound.notify, None, || {
            self.proxy_try_recv(core, hold)
        })
        .await
    }

    /// The proxy's receive without waiting: None when nothing is queued or it is paused,
    /// `Some(None)` once `hold` is released.
    pub(crate) fn proxy_try_recv(
        &self,
        core: &SocketCore,
        hold: &ProxyHold,
    ) -> Option<Option<Message>> {
        hold.take(|| core.pop_accepted(self.hand_out))
    }
}
