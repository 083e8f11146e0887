//! Incoming messages of one socket: a bounded queue per peer (`receive_hwm`) and a fair-queue
//! ring over the peers that have something queued, so one busy peer cannot starve the others.

use crate::conn::peer::Peer;
use crate::lock::lock;
use crate::wire::Message;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
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
    /// Taken by a batch receive and not yet read by the user (see [`Inbound::pop_lent`]): they
    /// still count against the high-water mark until [`Inbound::release_lent`].
    lent: usize,
    /// A push was refused for want of room: its reader waits for `in_room`. Room made wakes it
    /// even when the socket's `receive_hwm` has changed since the connection (which pushes
    /// against the bound it was made with) came up.
    refused: bool,
}

impl Inbox {
    fn held(&self) -> usize {
        self.messages.len() + self.lent
    }
}

/// Hashes peer ids (small sequential numbers of our own, not input from the network) with one
/// multiplication instead of SipHash: the map is looked up twice per message.
#[derive(Debug, Default, Clone, Copy)]
struct PeerIdHasher(u64);

impl Hasher for PeerIdHasher {
    fn finish(&self) -> u64 {
        // Fibonacci hashing: spreads consecutive ids over the high bits the table probes with.
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id;
    }
}

#[derive(Debug, Default)]
struct Queues {
    /// A live peer's inbox stays when emptied (so a request/reply exchange does not allocate one
    /// per message); a dead peer's empty inbox is dropped by `pop` or when a new peer arrives.
    inboxes: HashMap<u64, Inbox, BuildHasherDefault<PeerIdHasher>>,
    /// Peers with queued messages, in turn order.
    ready: VecDeque<u64>,
    /// Some inbox has `lent` messages (so `release_lent` has work).
    any_lent: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Inbound {
    state: Mutex<Queues>,
    /// Wakes receivers: a message arrived (notify_one) or a peer went away (notify_waiters).
    pub(crate) notify: Notify,
}

impl Inbound {
    fn state(&self) -> MutexGuard<'_, Queues> {
        lock(&self.state)
    }

    /// Whether a message is queued (a receive would finish at once).
    pub(crate) fn has_messages(&self) -> bool {
        !self.state().ready.is_empty()
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
            let now_ready = match state.inboxes.get_mut(&peer.id) {
                Some(inbox) => {
                    if hwm != 0 && inbox.held() >= hwm {
                        inbox.refused = true;
                        return Err(message);
                    }
                    inbox.messages.push_back(message);
                    inbox.messages.len() == 1
                }
                None => {
                    // A peer's first message (or first since its inbox was discarded): a moment
                    // to drop the empty inboxes of peers that are gone.
                    state.inboxes.retain(|_, inbox| {
                        !inbox.messages.is_empty() || inbox.peer.strong_count() > 0
                    });
                    state.inboxes.insert(
                        peer.id,
                        Inbox {
                            peer: Arc::downgrade(peer),
                            routing_id: peer.routing_id.clone(),
                            messages: VecDeque::from([message]),
                            lent: 0,
                            refused: false,
                        },
                    );
                    true
                }
            };
            if now_ready {
                state.ready.push_back(peer.id);
            }
        }
        self.notify.notify_one();
        Ok(())
    }

    /// Takes the next message in fair-queue order.
    pub(crate) fn pop(&self, hwm: usize) -> Option<Received> {
        self.take(hwm, false)
    }

    /// Like [`Inbound::pop`], but the message stays counted against its peer's high-water mark
    /// (its reader is not given the room) until [`Inbound::release_lent`]: for a batch handed to
    /// a queue of the caller's own, where it waits unread.
    pub(crate) fn pop_lent(&self, hwm: usize) -> Option<Received> {
        self.take(hwm, true)
    }

    /// Everything lent has been read: its room goes back to the peers' readers.
    pub(crate) fn release_lent(&self, hwm: usize) {
        let mut woken = Vec::new();
        {
            let mut state = self.state();
            if !state.any_lent {
                return;
            }
            state.any_lent = false;
            state.inboxes.retain(|_, inbox| {
                if inbox.lent > 0 {
                    if inbox.refused || (hwm != 0 && inbox.held() >= hwm) {
                        woken.push(inbox.peer.clone());
                        inbox.refused = false;
                    }
                    inbox.lent = 0;
                }
                !inbox.messages.is_empty() || inbox.peer.strong_count() > 0
            });
        }
        for peer in woken.iter().filter_map(Weak::upgrade) {
            peer.in_room.notify_one();
        }
    }

    fn take(&self, hwm: usize, lend: bool) -> Option<Received> {
        let mut state = self.state();
        loop {
            let id = state.ready.pop_front()?;
            let Some(inbox) = state.inboxes.get_mut(&id) else {
                continue;
            };
            let was_full = !lend && (inbox.refused || (hwm != 0 && inbox.held() >= hwm));
            let Some(message) = inbox.messages.pop_front() else {
                state.inboxes.remove(&id);
                continue;
            };
            if was_full {
                inbox.refused = false;
            }
            if lend {
                inbox.lent += 1;
            }
            let received = Received {
                peer_id: id,
                peer: inbox.peer.clone(),
                routing_id: inbox.routing_id.clone(),
                message,
            };
            if inbox.messages.is_empty() {
                if inbox.lent == 0 && inbox.peer.strong_count() == 0 {
                    state.inboxes.remove(&id);
                }
            } else {
                state.ready.push_back(id);
            }
            state.any_lent |= lend;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::transport::test_pair;
    use bytes::Bytes;

    fn peer(id: u64) -> Arc<Peer> {
        let (stream, _theirs) = test_pair();
        Arc::new(Peer::new(
            id,
            Bytes::from(vec![id as u8]),
            stream.into_split().1,
            0,
        ))
    }

    /// Runs `act` and asserts it wakes a reader waiting for room on `peer` (within a second).
    async fn assert_wakes_reader(peer: &Peer, act: impl FnOnce(), what: &str) {
        let room = peer.in_room.notified();
        tokio::pin!(room);
        room.as_mut().enable();
        act();
        assert!(
            tokio::time::timeout(std::time::Duration::from_secs(1), room)
                .await
                .is_ok(),
            "{what}"
        );
    }

    fn m(s: &str) -> Message {
        vec![Bytes::copy_from_slice(s.as_bytes())]
    }

    #[tokio::test]
    async fn fair_queue_alternates_between_peers() {
        let inbound = Inbound::default();
        let (p1, p2) = (peer(1), peer(2));
        for i in 0..3 {
            inbound.try_push(&p1, m(&format!("a{i}")), 0).expect("push");
        }
        for i in 0..2 {
            inbound.try_push(&p2, m(&format!("b{i}")), 0).expect("push");
        }
        let order: Vec<_> = std::iter::from_fn(|| inbound.pop(0))
            .map(|r| (r.peer_id, r.routing_id[0], r.message[0].clone()))
            .collect();
        let want: Vec<(u64, u8, Bytes)> = vec![
            (1, 1, Bytes::from_static(b"a0")),
            (2, 2, Bytes::from_static(b"b0")),
            (1, 1, Bytes::from_static(b"a1")),
            (2, 2, Bytes::from_static(b"b1")),
            (1, 1, Bytes::from_static(b"a2")),
        ];
        assert_eq!(order, want);
    }

    #[tokio::test]
    async fn high_water_mark_bounds_each_peer() {
        let inbound = Inbound::default();
        let (p1, p2) = (peer(1), peer(2));
        inbound.try_push(&p1, m("1"), 2).expect("push");
        inbound.try_push(&p1, m("2"), 2).expect("push");
        assert_eq!(inbound.try_push(&p1, m("3"), 2), Err(m("3")));
        // Another peer has its own room.
        inbound.try_push(&p2, m("x"), 2).expect("push");
        // Taking from a full queue wakes its reader.
        assert_wakes_reader(
            &p1,
            || assert_eq!(inbound.pop(2).map(|r| r.message), Some(m("1"))),
            "the pop wakes it",
        )
        .await;
        inbound.try_push(&p1, m("3"), 2).expect("room again");
        inbound.discard_from(1);
        assert_eq!(inbound.pop(2).map(|r| r.message), Some(m("x")));
        assert!(inbound.pop(2).is_none());
    }

    #[tokio::test]
    async fn lent_messages_count_against_the_high_water_mark_until_released() {
        let inbound = Inbound::default();
        let (p1, p2) = (peer(1), peer(2));
        for s in ["a", "b", "c"] {
            inbound.try_push(&p1, m(s), 3).expect("push");
        }
        inbound.try_push(&p2, m("x"), 3).expect("push");
        // Lent in fair-queue order, as `pop` would take them.
        let lent: Vec<_> = std::iter::from_fn(|| inbound.pop_lent(3))
            .map(|r| r.message)
            .collect();
        assert_eq!(lent, vec![m("a"), m("x"), m("b"), m("c")]);
        // Unread in the caller's queue: p1 still holds its three.
        assert_eq!(inbound.try_push(&p1, m("d"), 3), Err(m("d")));
        inbound
            .try_push(&p2, m("y"), 3)
            .expect("p2 holds two of three");
        assert_wakes_reader(
            &p1,
            || inbound.release_lent(3),
            "the release wakes the reader of a peer that was full",
        )
        .await;
        for s in ["d", "e", "f"] {
            inbound.try_push(&p1, m(s), 3).expect("room again");
        }
        assert_eq!(inbound.try_push(&p1, m("g"), 3), Err(m("g")));
        assert_eq!(inbound.pop(3).map(|r| r.message), Some(m("y")));
    }

    #[tokio::test]
    async fn a_refused_reader_is_woken_after_the_receive_hwm_was_raised() {
        // The connection pushes against the bound it came up with (2); the socket's option
        // is 5 by the time the user reads: taking one still makes room for that reader.
        let inbound = Inbound::default();
        let p1 = peer(1);
        inbound.try_push(&p1, m("1"), 2).expect("push");
        inbound.try_push(&p1, m("2"), 2).expect("push");
        assert_eq!(inbound.try_push(&p1, m("3"), 2), Err(m("3")));
        assert_wakes_reader(
            &p1,
            || assert_eq!(inbound.pop(5).map(|r| r.message), Some(m("1"))),
            "the reader refused at 2 is woken",
        )
        .await;
        inbound.try_push(&p1, m("3"), 2).expect("room again");
        // The same through a batch: released lent messages wake it too.
        assert_eq!(inbound.try_push(&p1, m("4"), 2), Err(m("4")));
        let lent: Vec<_> = std::iter::from_fn(|| inbound.pop_lent(5))
            .map(|r| r.message)
            .collect();
        assert_eq!(lent, vec![m("2"), m("3")]);
        assert_wakes_reader(&p1, || inbound.release_lent(5), "the release wakes it").await;
        inbound.try_push(&p1, m("4"), 2).expect("room again");
    }

    #[tokio::test]
    async fn empty_inboxes_of_gone_peers_are_dropped() {
        let inbound = Inbound::default();
        let inboxes = |inbound: &Inbound| inbound.state().inboxes.len();
        let (p1, p2) = (peer(1), peer(2));
        inbound.try_push(&p1, m("a"), 0).expect("push");
        assert!(inbound.pop(0).is_some());
        assert_eq!(inboxes(&inbound), 1, "a live peer's empty inbox is kept");
        inbound.try_push(&p1, m("b"), 0).expect("push");
        assert_eq!(inbound.pop(0).map(|r| r.message), Some(m("b")));
        // Gone while its inbox is empty: dropped when the next new peer arrives.
        drop(p1);
        inbound.try_push(&p2, m("c"), 0).expect("push");
        assert_eq!(inboxes(&inbound), 1);
        // Gone while messages are queued: they stay receivable, then the inbox goes.
        drop(p2);
        assert_eq!(inbound.pop(0).map(|r| r.message), Some(m("c")));
        assert_eq!(inboxes(&inbound), 0);
        assert!(inbound.pop(0).is_none());
    }
}
