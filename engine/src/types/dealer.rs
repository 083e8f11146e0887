//! DEALER: sends round-robin to the peers whose handshake is done (skipping dead and full ones),
//! receives fair-queued from all peers; frames pass through unchanged.

use crate::error::Error;
use crate::options::Options;
use crate::socket::core::{check_message, SocketCore};
use crate::socket::handle::{socket_handle, SocketHandle};
use crate::socket::inbound::Received;
use crate::wire::memory::FrameMemory;
use crate::wire::socket_type::SocketType;
use crate::wire::Message;
use std::sync::Arc;
use tokio::runtime::Handle;

/// A DEALER socket. Cheap to clone; closes when the last clone is dropped. Async methods are
/// cancel-safe: a dropped `send` did not send, a dropped `recv` took nothing.
#[derive(Clone)]
pub struct DealerSocket {
    handle: SocketHandle,
}

fn body(received: Received) -> Option<Message> {
    Some(received.message)
}

impl DealerSocket {
    pub fn new(runtime: &Handle, options: Options) -> DealerSocket {
        DealerSocket {
            handle: SocketHandle::new(runtime, SocketType::Dealer, options),
        }
    }

    fn core(&self) -> &Arc<SocketCore> {
        self.handle.core()
    }

    /// Sends to the next live peer; waits for one (up to `send_timeout`, then EAGAIN).
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        let core = self.core();
        core.check_open()?;
        check_message(&message)?;
        core.send_timed(message, |_| ()).await
    }

    /// Sends now if a live peer has room; otherwise hands the message back.
    pub fn try_send(&self, message: Message) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        check_message(&message)?;
        Ok(core.try_send_round_robin(message, FrameMemory::Owned).err())
    }

    /// Receives the next message from any peer (up to `receive_timeout`, then EAGAIN).
    pub async fn recv(&self) -> Result<Message, Error> {
        let core = self.core();
        core.check_open()?;
        core.recv_timed(body).await
    }

    pub fn try_recv(&self) -> Result<Option<Message>, Error> {
        let core = self.core();
        core.check_open()?;
        Ok(core.pop_accepted(body))
    }
}

socket_handle!(DealerSocket, |socket| &socket.handle);
