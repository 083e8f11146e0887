//! A message being received, frame by frame, held to `maxMessageSize` and `maxMessageFrames`
//! before each frame is kept, sans-IO. The one place these limits are counted: the connection's
//! reader checks a large frame's header against them before giving it a buffer, and pushes every
//! frame through them.

use crate::error::ProtocolError;
use crate::options::{FRAME_COST, FREE_FRAMES};
use crate::wire::Message;
use bytes::Bytes;

/// The frames of the message received so far, and what they count against the limits.
#[derive(Debug, Default)]
pub struct MessageAssembly {
    parts: Message,
    /// Bodies, plus [`FRAME_COST`] for every frame past the first [`FREE_FRAMES`].
    size: u64,
    max_size: Option<u64>,
    /// 0 = no limit.
    max_frames: u32,
}

impl MessageAssembly {
    /// `max_message_size` < 0 = no size limit; `max_message_frames` 0 = no frame limit.
    pub fn new(max_message_size: i64, max_message_frames: u32) -> MessageAssembly {
        MessageAssembly {
            parts: Vec::new(),
            size: 0,
            max_size: u64::try_from(max_message_size).ok(),
            max_frames: max_message_frames,
        }
    }

    /// The size limit, if any.
    pub fn max_size(&self) -> Option<u64> {
        self.max_size
    }

    /// Frames held so far.
    pub fn frames(&self) -> usize {
        self.parts.len()
    }

    /// What the frames held so far count against `maxMessageSize`.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// What the message would count with one more frame of `body_len` bytes, or the limit that
    /// frame breaks. A frame past the first [`FREE_FRAMES`] costs [`FRAME_COST`] more than its
    /// body, so a message of empty frames is not free, while the bodies of a real message (an
    /// envelope and a few parts) may still fill the limit exactly.
    pub fn check(&self, body_len: usize) -> Result<u64, ProtocolError> {
        let frames = self.parts.len();
        if self.max_frames != 0 && frames >= self.max_frames as usize {
            return Err(ProtocolError::TooManyFrames {
                max: u64::from(self.max_frames),
            });
        }
        let cost = if frames < FREE_FRAMES { 0 } else { FRAME_COST };
        let size = self
            .size
            .saturating_add(body_len as u64)
            .saturating_add(cost);
        match self.max_size.filter(|&max| size > max) {
            Some(max) => Err(ProtocolError::FrameTooLarge { size, max }),
            None => Ok(size),
        }
    }

    /// Keeps one more frame if the limits allow it; the whole message once `more` is false.
    pub fn push(&mut self, body: Bytes, more: bool) -> Result<Option<Message>, ProtocolError> {
        self.size = self.check(body.len())?;
        self.parts.push(body);
        if more {
            return Ok(None);
        }
        self.size = 0;
        Ok(Some(std::mem::take(&mut self.parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_of_one_frame_may_be_exactly_the_limit() {
        let mut m = MessageAssembly::new(10, 0);
        assert_eq!(
            m.check(11),
            Err(ProtocolError::FrameTooLarge { size: 11, max: 10 })
        );
        let done = m.push(Bytes::from_static(b"0123456789"), false).unwrap();
        assert_eq!(done, Some(vec![Bytes::from_static(b"0123456789")]));
        assert_eq!((m.frames(), m.size()), (0, 0));
    }

    #[test]
    fn frames_past_the_free_ones_cost_their_bookkeeping() {
        let mut m = MessageAssembly::new(FRAME_COST as i64 * 2, 0);
        for _ in 0..FREE_FRAMES {
            assert_eq!(m.push(Bytes::new(), true), Ok(None));
        }
        assert_eq!(m.size(), 0);
        assert_eq!(m.push(Bytes::new(), true), Ok(None));
        assert_eq!(m.push(Bytes::new(), true), Ok(None));
        assert_eq!(m.size(), 2 * FRAME_COST);
        assert!(matches!(
            m.push(Bytes::new(), true),
            Err(ProtocolError::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn the_frame_limit_counts_frames() {
        let mut m = MessageAssembly::new(-1, 2);
        assert_eq!(m.push(Bytes::new(), true), Ok(None));
        assert_eq!(m.push(Bytes::new(), true), Ok(None));
        assert_eq!(
            m.push(Bytes::new(), false),
            Err(ProtocolError::TooManyFrames { max: 2 })
        );
    }
}
