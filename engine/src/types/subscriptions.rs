//! Subscriptions (RFC 29): a sorted set of topic prefixes with a count per prefix, the prefix match
//! a topic goes through, and how a subscription travels: SUBSCRIBE/CANCEL commands to ZMTP 3.1
//! peers, the message form (`0x01` + prefix to subscribe, `0x00` + prefix to cancel) to 3.0 and 2.0
//! peers; received commands reach the socket in the message form (see `conn::read_state`).

use crate::conn::peer::{Flush, Peer};
use crate::wire::command::Command;
use crate::wire::frame_ref;
use crate::wire::Message;
use bytes::{BufMut, Bytes, BytesMut};
use std::collections::BTreeMap;

/// A set of prefixes, each counted. Matching looks up only the prefix lengths present, so a topic
/// costs one lookup per distinct length subscribed (usually one or two), not one per subscription.
#[derive(Debug, Default, Clone)]
pub(crate) struct Prefixes {
    counts: BTreeMap<Bytes, u32>,
    /// How many prefixes of each length are in `counts`.
    lengths: BTreeMap<usize, u32>,
}

impl Prefixes {
    /// Counts `prefix` once more; true when it was not in the set before.
    pub(crate) fn add(&mut self, prefix: &[u8]) -> bool {
        if let Some(count) = self.counts.get_mut(prefix) {
            *count += 1;
            return false;
        }
        self.counts.insert(Bytes::copy_from_slice(prefix), 1);
        *self.lengths.entry(prefix.len()).or_insert(0) += 1;
        true
    }

    /// Adds `prefix` unless present (a peer's own subscriptions are a set, as in libzmq); true
    /// when it was new.
    pub(crate) fn insert(&mut self, prefix: &[u8]) -> bool {
        !self.contains(prefix) && self.add(prefix)
    }

    /// Counts `prefix` once less; true when that took it out of the set.
    pub(crate) fn remove(&mut self, prefix: &[u8]) -> bool {
        let Some(count) = self.counts.get_mut(prefix) else {
            return false;
        };
        *count -= 1;
        if *count > 0 {
            return false;
        }
        self.counts.remove(prefix);
        if let Some(n) = self.lengths.get_mut(&prefix.len()) {
            *n -= 1;
            if *n == 0 {
                self.lengths.remove(&prefix.len());
            }
        }
        true
    }

    /// Takes `prefix` out whatever its count; true when it was in.
    pub(crate) fn remove_all(&mut self, prefix: &[u8]) -> bool {
        while self.counts.contains_key(prefix) {
            if self.remove(prefix) {
                return true;
            }
        }
        false
    }

    pub(crate) fn contains(&self, prefix: &[u8]) -> bool {
        self.counts.contains_key(prefix)
    }

    /// Whether some prefix in the set starts `topic`.
    pub(crate) fn matches(&self, topic: &[u8]) -> bool {
        self.lengths
            .keys()
            .take_while(|&&len| len <= topic.len())
            .any(|&len| {
                topic
                    .get(..len)
                    .is_some_and(|p| self.counts.contains_key(p))
            })
    }

    /// The prefixes, in sorted order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Bytes> {
        self.counts.keys()
    }
}

/// A subscription message taken apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subscription<'a> {
    Subscribe(&'a [u8]),
    Cancel(&'a [u8]),
}

impl<'a> Subscription<'a> {
    /// A one-frame message starting with 0x01 or 0x00; anything else is not a subscription.
    pub(crate) fn parse(message: &'a Message) -> Option<Subscription<'a>> {
        let [frame] = message.as_slice() else {
            return None;
        };
        Subscription::parse_frame(frame)
    }

    /// The one frame of a one-frame message: a subscription when it starts with 0x01 or 0x00.
    pub(crate) fn parse_frame(frame: &'a [u8]) -> Option<Subscription<'a>> {
        match frame.split_first() {
            Some((1, prefix)) => Some(Subscription::Subscribe(prefix)),
            Some((0, prefix)) => Some(Subscription::Cancel(prefix)),
            _ => None,
        }
    }

    /// Hands this subscription to `peer`: as a SUBSCRIBE/CANCEL command to a ZMTP 3.1 peer (RFC
    /// 37), in the message form to 3.0 and 2.0 peers. Never waits: a dead or full peer misses it.
    pub(crate) fn send_to(self, peer: &Peer) {
        if !peer.speaks_zmtp31() {
            let _ = peer.try_push(&frame_ref::shared(&self.to_message()), Flush::Now);
            return;
        }
        let (name, prefix) = match self {
            Subscription::Subscribe(p) => ("SUBSCRIBE", p),
            Subscription::Cancel(p) => ("CANCEL", p),
        };
        let command = Command::Other {
            name: name.to_owned(),
            body: Bytes::copy_from_slice(prefix),
        };
        let mut frame = BytesMut::new();
        command.encode(&mut frame);
        peer.queue_command(frame.freeze());
    }

    /// The message form (RFC 29), which every ZMTP version's peers accept.
    pub(crate) fn to_message(self) -> Message {
        let (flag, prefix) = match self {
            Subscription::Subscribe(p) => (1, p),
            Subscription::Cancel(p) => (0, p),
        };
        let mut frame = BytesMut::with_capacity(prefix.len() + 1);
        frame.put_u8(flag);
        frame.extend_from_slice(prefix);
        vec![frame.freeze()]
    }
}

/// The topic a message is matched by: its first frame.
pub(crate) fn topic(message: &Message) -> &[u8] {
    message.first().map_or(&[], |f| &f[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_match_counts_and_lengths() {
        let mut set = Prefixes::default();
        assert!(!set.matches(b"weather"));
        assert!(set.add(b"wea"));
        assert!(!set.add(b"wea"));
        assert!(set.add(b"news."));
        assert!(set.matches(b"weather") && set.matches(b"wea") && set.matches(b"news.eu"));
        assert!(!set.matches(b"we") && !set.matches(b"news"));
        assert!(!set.remove(b"wea"), "still counted once");
        assert!(set.matches(b"weather"));
        assert!(set.remove(b"wea"));
        assert!(!set.matches(b"weather"));
        assert!(!set.remove(b"absent"));
        assert!(set.add(b""));
        assert!(set.matches(b"anything") && set.matches(b""));
        assert_eq!(set.iter().count(), 2);
    }

    #[test]
    fn a_set_adds_once_and_removes_whatever_the_count() {
        let mut set = Prefixes::default();
        assert!(set.insert(b"a"));
        assert!(!set.insert(b"a"));
        assert!(set.remove(b"a"));
        set.add(b"b");
        set.add(b"b");
        assert!(set.remove_all(b"b"));
        assert!(!set.matches(b"b"));
    }

    #[test]
    fn subscription_messages_round_trip() {
        let m = Subscription::Subscribe(b"abc").to_message();
        assert_eq!(m, vec![Bytes::from_static(b"\x01abc")]);
        assert_eq!(
            Subscription::parse(&m),
            Some(Subscription::Subscribe(b"abc"))
        );
        let c = Subscription::Cancel(b"").to_message();
        assert_eq!(Subscription::parse(&c), Some(Subscription::Cancel(b"")));
        for other in [
            vec![],
            vec![Bytes::new()],
            vec![Bytes::from_static(b"\x02x")],
        ] {
            assert_eq!(Subscription::parse(&other), None);
        }
        let two = vec![Bytes::from_static(b"\x01a"), Bytes::new()];
        assert_eq!(Subscription::parse(&two), None);
    }
}
