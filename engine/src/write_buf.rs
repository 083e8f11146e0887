//! Outgoing bytes of one connection as a list of chunks: frame headers and small bodies are copied
//! into one buffer, large bodies are referenced (never copied), so a whole message, or a batch of
//! messages, goes out in one vectored write.

use crate::codec::encode_header;
use crate::transport::WriteHalf;
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::{self, IoSlice};

/// Bodies at least this long are written by reference instead of being copied.
pub(crate) const COPY_LIMIT: usize = 1024;
/// At most this many slices per `writev` (well under IOV_MAX).
const MAX_SLICES: usize = 64;

/// What a non-blocking write achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteOutcome {
    /// Everything is written.
    Done,
    /// The OS buffer is full; the rest is still in the buffer.
    Blocked,
}

#[derive(Debug, Default)]
pub(crate) struct WriteBuf {
    chunks: VecDeque<Bytes>,
    /// Bytes in `chunks` (kept so that `len` is O(1)).
    chunked: usize,
    scratch: BytesMut,
}

impl WriteBuf {
    pub(crate) fn new() -> WriteBuf {
        WriteBuf::default()
    }

    /// Appends all frames of one message, MORE on all but the last.
    pub(crate) fn push_message(&mut self, frames: &[Bytes]) {
        let last = frames.len().saturating_sub(1);
        for (i, frame) in frames.iter().enumerate() {
            encode_header(&mut self.scratch, frame.len(), i < last, false);
            if frame.len() >= COPY_LIMIT {
                self.flush_scratch();
                self.chunked += frame.len();
                self.chunks.push_back(frame.clone());
            } else {
                self.scratch.extend_from_slice(frame);
            }
        }
    }

    /// Appends already-encoded bytes (a command frame).
    pub(crate) fn push_encoded(&mut self, bytes: &[u8]) {
        self.scratch.extend_from_slice(bytes);
    }

    /// Appends the unwritten rest of another buffer.
    pub(crate) fn append(&mut self, mut other: WriteBuf) {
        other.flush_scratch();
        if !other.chunks.is_empty() {
            self.flush_scratch();
            self.chunked += other.chunked;
            self.chunks.append(&mut other.chunks);
        }
    }

    fn flush_scratch(&mut self) {
        if !self.scratch.is_empty() {
            self.chunked += self.scratch.len();
            self.chunks.push_back(self.scratch.split().freeze());
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.scratch.is_empty()
    }

    /// Bytes still to write.
    pub(crate) fn len(&self) -> usize {
        self.chunked + self.scratch.len()
    }

    /// Drops `n` written bytes from the front.
    fn advance(&mut self, mut n: usize) {
        self.chunked = self.chunked.saturating_sub(n);
        while n > 0 {
            let Some(front) = self.chunks.front_mut() else {
                return;
            };
            if n >= front.len() {
                n -= front.len();
                self.chunks.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }

    /// Writes what the OS accepts now, without waiting.
    pub(crate) fn write_now(&mut self, stream: &WriteHalf) -> io::Result<WriteOutcome> {
        self.flush_scratch();
        while !self.chunks.is_empty() {
            let written = {
                let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                let mut count = 0;
                for (slot, chunk) in slices.iter_mut().zip(self.chunks.iter()) {
                    *slot = IoSlice::new(chunk);
                    count += 1;
                }
                match stream.try_write_vectored(&slices[..count]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(WriteOutcome::Blocked)
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.advance(written);
        }
        Ok(WriteOutcome::Done)
    }

    /// Writes everything, waiting for the socket to become writable as needed.
    pub(crate) async fn write_all(&mut self, stream: &WriteHalf) -> io::Result<()> {
        loop {
            match self.write_now(stream)? {
                WriteOutcome::Done => return Ok(()),
                WriteOutcome::Blocked => stream.writable().await?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flatten(buf: &mut WriteBuf) -> Vec<u8> {
        buf.flush_scratch();
        buf.chunks.iter().flat_map(|c| c.iter().copied()).collect()
    }

    #[test]
    fn large_frames_are_referenced_not_copied() {
        let big = Bytes::from(vec![7u8; COPY_LIMIT]);
        let mut buf = WriteBuf::new();
        buf.push_message(&[
            Bytes::from_static(b"ab"),
            big.clone(),
            Bytes::from_static(b"c"),
        ]);
        buf.flush_scratch();
        assert_eq!(buf.chunks.len(), 3);
        // The middle chunk is the caller's allocation itself.
        assert_eq!(buf.chunks[1].as_ptr(), big.as_ptr());
        assert_eq!(buf.len(), 2 + 2 + 9 + COPY_LIMIT + 2 + 1);
    }

    #[test]
    fn advance_across_chunks() {
        let mut buf = WriteBuf::new();
        buf.push_message(&[Bytes::from(vec![1u8; 2000]), Bytes::from_static(b"xy")]);
        let all = flatten(&mut buf);
        buf.advance(5);
        assert_eq!(flatten(&mut buf), all[5..].to_vec());
        buf.advance(2004);
        assert_eq!(flatten(&mut buf), all[2009..].to_vec());
        assert_eq!(buf.len(), 4);
        buf.advance(100);
        assert!(buf.is_empty());
        assert_eq!(buf.len(), 0);
    }
}
