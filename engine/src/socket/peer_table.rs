//! The live peers of one socket (handshake done), in the order they joined: the round-robin
//! order of sending, with the turn kept across removals; ROUTER's lookup by routing id.

use crate::conn::peer::{Flush, Peer};
use crate::once_event::OnceEvent;
use crate::wire::frame_ref::FrameRef;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;

/// A live peer and the endpoint (bind or connect) it came through.
pub(crate) struct Member {
    pub(crate) peer: Arc<Peer>,
    /// That endpoint's stop signal: `disconnect`/`unbind` take its peers out by it.
    pub(crate) endpoint: Arc<OnceEvent>,
}

#[derive(Default)]
pub(crate) struct PeerTable {
    /// Live peers in the order they joined: the round-robin order.
    list: Vec<Member>,
    /// Where the next round-robin search starts.
    next: usize,
    by_routing_id: HashMap<Bytes, Arc<Peer>>,
}

impl PeerTable {
    /// Takes out the members `which` selects, keeping the round-robin position on the peer that
    /// was next; returns their peers.
    pub(crate) fn remove(&mut self, mut which: impl FnMut(&Member) -> bool) -> Vec<Arc<Peer>> {
        let mut removed = Vec::new();
        let mut i = 0;
        while i < self.list.len() {
            if !self.list.get(i).is_some_and(&mut which) {
                i += 1;
                continue;
            }
            let member = self.list.remove(i);
            if self.next > i {
                self.next -= 1;
            }
            if self
                .by_routing_id
                .get(&member.peer.routing_id)
                .is_some_and(|p| Arc::ptr_eq(p, &member.peer))
            {
                self.by_routing_id.remove(&member.peer.routing_id);
            }
            removed.push(member.peer);
        }
        removed
    }

    /// Adds a peer at the end of the round-robin; with `by_identity` (ROUTER) refuses one whose
    /// routing id is taken.
    pub(crate) fn add(
        &mut self,
        peer: &Arc<Peer>,
        endpoint: &Arc<OnceEvent>,
        by_identity: bool,
    ) -> bool {
        if by_identity {
            if self.by_routing_id.contains_key(&peer.routing_id) {
                return false;
            }
            self.by_routing_id
                .insert(peer.routing_id.clone(), peer.clone());
        }
        self.list.push(Member {
            peer: peer.clone(),
            endpoint: endpoint.clone(),
        });
        true
    }

    /// The peer whose turn is next.
    pub(crate) fn next_in_turn(&self) -> Option<Arc<Peer>> {
        self.list.get(self.next).map(|m| m.peer.clone())
    }

    /// Hands the message to the next peer in turn that takes it (skipping dead and full ones),
    /// and moves the turn past it; None if none does.
    pub(crate) fn push_round_robin(
        &mut self,
        message: &[FrameRef<'_>],
        flush: Flush,
    ) -> Option<Arc<Peer>> {
        let count = self.list.len();
        for step in 0..count {
            let index = (self.next + step) % count;
            let peer = self.list.get(index).map(|m| &m.peer)?;
            if peer.try_push(message, flush) {
                self.next = (index + 1) % count;
                return Some(peer.clone());
            }
        }
        None
    }

    pub(crate) fn by_routing_id(&self, routing_id: &[u8]) -> Option<Arc<Peer>> {
        self.by_routing_id.get(routing_id).cloned()
    }

    pub(crate) fn peers(&self) -> impl Iterator<Item = &Arc<Peer>> {
        self.list.iter().map(|m| &m.peer)
    }

    /// Live peers.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}
