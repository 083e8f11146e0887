//! A frame of a message being sent, borrowed for one send call: what the engine's sends take.
//!
//! The borrow is the contract: a send gets `&[FrameRef<'a>]` and cannot hold on to `'a` past the
//! call. What it writes during the call goes straight from the caller's memory; what must outlive
//! the call (a queued message, the unwritten rest of one) is made the engine's own by
//! [`FrameRef::keep`], the one place frames are copied.

use crate::wire::Message;
use bytes::Bytes;

/// One frame of an outgoing message, for the duration of a send call.
#[derive(Debug, Clone, Copy)]
pub enum FrameRef<'a> {
    /// Bytes that own their memory: kept by reference (a reference count), never copied.
    Shared(&'a Bytes),
    /// Memory valid only while the borrow lasts (a JS buffer its owner may change, transfer or
    /// free right after the call): kept as a copy.
    Lent(&'a [u8]),
}

impl<'a> FrameRef<'a> {
    /// The frame's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            FrameRef::Shared(bytes) => bytes,
            FrameRef::Lent(bytes) => bytes,
        }
    }

    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// The frame as something that may outlive the borrow: shared bytes by reference, lent ones
    /// copied.
    pub fn keep(&self) -> Bytes {
        match *self {
            FrameRef::Shared(bytes) => bytes.clone(),
            FrameRef::Lent(bytes) => Bytes::copy_from_slice(bytes),
        }
    }
}

/// An owned message's frames, borrowed for a send.
pub fn shared(message: &Message) -> Vec<FrameRef<'_>> {
    message.iter().map(FrameRef::Shared).collect()
}

/// A borrowed message made the engine's own (see [`FrameRef::keep`]).
pub fn keep(message: &[FrameRef<'_>]) -> Message {
    message.iter().map(FrameRef::keep).collect()
}

/// What a send that does not wait did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum TrySend {
    /// Taken: written, or queued as the engine's own.
    Sent,
    /// Not taken (no peer with room, or an earlier send is waiting): nothing of it was kept; the
    /// caller sends it with the waiting send, as its own message.
    Wait,
}
