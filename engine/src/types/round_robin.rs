//! The sending half DEALER, PUSH and PAIR share: round-robin over the live peers with room, sends
//! that must wait (no peer yet, queues full) going out in the order they were started. Each takes
//! the send turn, a fair (FIFO) lock, so concurrent sends never fail EBUSY and never pass each
//! other.

use crate::error::Error;
use crate::socket::core::{check_message, SocketCore, WaitError};
use crate::time::Timeout;
use crate::wire::frame_ref::{FrameRef, TrySend};
use crate::wire::Message;
use std::sync::Arc;
use tokio::sync::Mutex as FairLock;

#[derive(Clone, Default)]
pub(crate) struct RoundRobin {
    send_turn: Arc<FairLock<()>>,
}

impl RoundRobin {
    /// Sends to the next live peer, after the sends started before it; waits for its turn and a
    /// peer with room up to `send_timeout` in all (then EAGAIN).
    pub(crate) async fn send(&self, core: &SocketCore, message: Message) -> Result<(), Error> {
        check_message(&message)?;
        let deadline = Timeout::from_ms(core.option(|o| o.send_timeout)).deadline();
        let turn = self.send_turn.lock();
        // `timeout_at` polls the lock before looking at the clock: a free turn is taken even
        // with a zero timeout.
        let _turn = match deadline {
            None => turn.await,
            Some(at) => tokio::time::timeout_at(at, turn)
                .await
                .map_err(|_| WaitError::TimedOut.into_error("send"))?,
        };
        core.send_round_robin(message, deadline, |_| ())
            .await
            .map_err(|e| e.into_error("send"))
    }

    /// Sends now if no earlier send is waiting and a live peer has room; otherwise keeps nothing
    /// and says `Wait`.
    pub(crate) fn try_send(
        &self,
        core: &SocketCore,
        message: &[FrameRef<'_>],
    ) -> Result<TrySend, Error> {
        check_message(message)?;
        let Ok(_turn) = self.send_turn.try_lock() else {
            return Ok(TrySend::Wait);
        };
        Ok(match core.try_send_round_robin(message) {
            Some(_) => TrySend::Sent,
            None => TrySend::Wait,
        })
    }

    /// How many sends in a row `try_send` would take now (see [`SocketCore::send_room`]): none
    /// while an earlier send waits for its turn.
    pub(crate) fn room(&self, core: &SocketCore) -> usize {
        match self.send_turn.try_lock() {
            Ok(_turn) => core.send_room(),
            Err(_) => 0,
        }
    }

    /// The proxy's send: waits for a peer with room as long as it takes (the back-pressure
    /// reaches the other side's peers through their queues), ends only when the socket closes.
    pub(crate) async fn proxy_send(
        &self,
        core: &SocketCore,
        message: Message,
    ) -> Result<(), WaitError> {
        let _turn = self.send_turn.lock().await;
        core.send_round_robin(message, None, |_| ()).await
    }
}
