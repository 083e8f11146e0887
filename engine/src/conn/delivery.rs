//! How a connection's reading reaches the rest of the socket: whole messages go to the socket's
//! inbound queue (through [`InboundQueue`], which the socket core implements), commands to the
//! peer's outbox. [`PeerSink`] is the [`ReadSink`] both readers (the engine's task and a driver's
//! pump) give to [`crate::conn::read_state::ReadState::advance`].

use crate::conn::peer::{CommandKind, Peer};
use crate::conn::read_state::ReadSink;
use crate::wire::command::Command;
use crate::wire::Message;
use bytes::BytesMut;
use std::sync::Arc;

/// The socket's side of delivery: queues a message from `peer`, or gives it back when that peer's
/// queue holds `hwm` messages (0 = no limit).
pub(crate) trait InboundQueue: Send + Sync + 'static {
    fn push(&self, peer: &Arc<Peer>, message: Message, hwm: usize) -> Result<(), Message>;
}

/// One connection's [`ReadSink`]: messages into `queue` under `hwm`, commands to `peer`.
pub(crate) struct PeerSink<'a, Q: ?Sized> {
    pub(crate) queue: &'a Q,
    pub(crate) peer: &'a Arc<Peer>,
    pub(crate) hwm: usize,
}

impl<Q: InboundQueue + ?Sized> ReadSink for PeerSink<'_, Q> {
    fn deliver(&mut self, message: Message) -> Result<(), Message> {
        self.queue.push(self.peer, message, self.hwm)
    }

    fn send_command(&mut self, command: Command) {
        let kind = match command {
            Command::Ping { .. } => CommandKind::Ping,
            Command::Pong { .. } => CommandKind::Pong,
            // A reader sends no other command; one without a bounded slot is not queued.
            _ => return,
        };
        let mut frame = BytesMut::new();
        command.encode(&mut frame);
        self.peer.push_command(kind, frame.freeze());
    }
}

/// The `receive_hwm` option as a queue bound (0 = no limit).
pub(crate) fn receive_hwm(hwm: u32) -> usize {
    usize::try_from(hwm).unwrap_or(usize::MAX)
}
