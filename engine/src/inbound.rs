//! Incoming messages of one socket: a bounded queue per peer (`receive_hwm`) and a fair-queue
//! ring over the peers that have something queued, so one busy peer cannot starve the others.

use crate::peer::Peer;
use crate::Message;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::sync::Notify;

/// One message taken off the queue, with where it came from.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) peer_id: u64,
    pub(crate) peer: Weak<Peer>,
    pub(crate) routing_id: Bytes,
    pub(crate) message: Message,
}

#[derive(Debug)]
struct Inbox {
    peer: Weak<Peer>,
    routing_id: Bytes,
    messages: VecDeque<Message>,
}

#[derive(Debug, Default)]
struct State {
    inboxes: HashMap<u64, Inbox>,
    /// Peers with queued messages, in turn order.
    ready: VecDeque<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct Inbound {
    state: Mutex<State>,
    /// Wakes receivers: a message arrived (notify_one) or a peer went away (notify_waiters).
    pub(crate) notify: Notify,
}

impl Inbound {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message from `peer`; gives it back when that peer's queue holds `hwm` (0 = no limit).
    pub(crate) fn try_push(
        &self,
        peer: &Arc<Peer>,
        message: Message,
        hwm: usize,
    ) -> Result<(), Message> {
        {
            let mut state = self.state();
            let inbox = state.inboxes.entry(peer.id).or_insert_with(|| Inbox {
                peer: Arc::downgrade(peer),
                routing_id: peer.routing_id.clone(),
                messages: VecDeque::new(),
            });
            if hwm != 0 && inbox.messages.len() >= hwm {
                return Err(message);
            }
            inbox.messages.push_back(message);
            if inbox.messages.len() == 1 {
                state.ready.push_back(peer.id);
            }
        }
        self.notify.notify_one();
        Ok(())
    }

    /// Takes the next message in fair-queue order.
    pub(crate) fn pop(&self, hwm: usize) -> Option<Received> {
        let mut state = self.state();
        loop {
            let id = state.ready.pop_front()?;
            let Some(inbox) = state.inboxes.get_mut(&id) else {
                continue;
            };
            let was_full = hwm != 0 && inbox.messages.len() >= hwm;
            let Some(message) = inbox.messages.pop_front() else {
                state.inboxes.remove(&id);
                continue;
            };
            let received = Received {
                peer_id: id,
                peer: inbox.peer.clone(),
                routing_id: inbox.routing_id.clone(),
                message,
            };
            if inbox.messages.is_empty() {
                state.inboxes.remove(&id);
            } else {
                state.ready.push_back(id);
            }
            drop(state);
            if was_full {
                if let Some(peer) = received.peer.upgrade() {
                    peer.in_room.notify_one();
                }
            }
            return Some(received);
        }
    }

    /// Drops everything queued from a peer (its messages can no longer be wanted).
    pub(crate) fn discard_from(&self, peer_id: u64) {
        let removed = {
            let mut state = self.state();
            state.ready.retain(|&id| id != peer_id);
            state.inboxes.remove(&peer_id)
        };
        if let Some(peer) = removed.and_then(|inbox| inbox.peer.upgrade()) {
            peer.in_room.notify_one();
        }
    }

    /// Drops everything queued (close).
    pub(crate) fn clear(&self) {
        let mut state = self.state();
        state.inboxes.clear();
        state.ready.clear();
    }

    /// Wakes every waiting receiver so it re-checks its condition (a peer went away, close).
    pub(crate) fn wake_all(&self) {
        self.notify.notify_waiters();
    }
}
