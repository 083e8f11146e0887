//! Whose memory a sent message's frames are in, and so what a socket may keep of them.

use crate::wire::Message;
use bytes::Bytes;

/// What the frames handed to a send may be kept as once that call has returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMemory {
    /// The `Bytes` own their memory (or share it safely): queued by reference, never copied.
    Owned,
    /// The memory is valid only until the send call returns (a JS buffer that its owner may
    /// change, transfer or free right after): what the OS takes during the call is written straight
    /// from it, only what is left is copied before the call returns.
    CallOnly,
}

impl FrameMemory {
    /// `message`, as something that may outlive the call.
    pub fn keep(self, message: Message) -> Message {
        match self {
            FrameMemory::Owned => message,
            FrameMemory::CallOnly => owned(message),
        }
    }
}

/// Every frame of `message` copied into memory of its own.
pub fn owned(message: Message) -> Message {
    message
        .into_iter()
        .map(|frame| Bytes::copy_from_slice(&frame))
        .collect()
}
