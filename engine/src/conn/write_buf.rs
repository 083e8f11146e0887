//! Outgoing bytes of one connection as a list of chunks: frame headers and small bodies are copied
//! into one buffer, large bodies are referenced (never copied), so a whole message, or a batch of
//! messages, goes out in one vectored write.
//!
//! A `WriteBuf<'a>` may reference frames lent for one send call (`FrameRef::Lent`); only a
//! `WriteBuf<'static>` can be queued, and [`WriteBuf::into_static`] is how the unwritten rest of a
//! direct write becomes one.

use crate::error::ProtocolError;
use crate::net::transport::WriteHalf;
use crate::wire::codec::{encode_header, header_len};
use crate::wire::frame_ref::FrameRef;
use crate::wire::security::data::FrameSealer;
use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::io::{self, IoSlice};

/// Bodies at least this long are written by reference instead of being copied.
pub(crate) const COPY_LIMIT: usize = 1024;
/// At most this many slices per `writev` (well under IOV_MAX).
const MAX_SLICES: usize = 64;

/// Largest encoded message written from the caller's reusable scratch buffer (see
/// [`write_message_now`]); a bigger one would keep that much memory per connection.
const SCRATCH_MAX: usize = 8 * 1024;

/// What [`write_message_now`] achieved.
#[derive(Debug)]
pub(crate) enum Direct<'a> {
    /// The whole message is written.
    Done,
    /// The OS took only part (maybe none): the rest, to queue (see [`WriteBuf::into_static`]).
    Rest(WriteBuf<'a>),
}

/// Writes one whole message now, without waiting. A small message (every body copied, at most
/// [`SCRATCH_MAX`] encoded) is encoded into `scratch`, which the caller keeps between messages, and
/// goes out in one plain write: no allocation, and `send` is cheaper than `writev`. Any other goes
/// through a [`WriteBuf`] (one vectored write, large bodies by reference).
pub(crate) fn write_message_now<'a>(
    stream: &WriteHalf,
    scratch: &mut BytesMut,
    frames: &[FrameRef<'a>],
) -> io::Result<Direct<'a>> {
    let mut encoded = 0usize;
    let small = frames.iter().all(|f| {
        encoded += header_len(f.len()) + f.len();
        f.len() < COPY_LIMIT
    }) && encoded <= SCRATCH_MAX;
    if !small {
        let mut buf = WriteBuf::default();
        buf.push_message(frames);
        return Ok(match buf.write_now(stream)? {
            WriteOutcome::Done => Direct::Done,
            WriteOutcome::Blocked => Direct::Rest(buf),
        });
    }
    scratch.clear();
    let last = frames.len().saturating_sub(1);
    for (i, frame) in frames.iter().enumerate() {
        encode_header(scratch, frame.len(), i < last, false);
        scratch.extend_from_slice(frame.bytes());
    }
    let mut written = 0;
    while written < scratch.len() {
        match stream.try_write(&scratch[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut rest = WriteBuf::new();
                rest.push_encoded(&scratch[written..]);
                return Ok(Direct::Rest(rest));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Direct::Done)
}

/// What a non-blocking write achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteOutcome {
    /// Everything is written.
    Done,
    /// The OS buffer is full; the rest is still in the buffer.
    Blocked,
}

/// A run of bytes to write: the buffer's own, or a frame lent for the send call.
#[derive(Debug)]
enum Chunk<'a> {
    Own(Bytes),
    Lent(&'a [u8]),
}

impl Chunk<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Own(bytes) => bytes,
            Chunk::Lent(bytes) => bytes,
        }
    }

    fn advance(&mut self, n: usize) {
        match self {
            Chunk::Own(bytes) => bytes.advance(n),
            Chunk::Lent(bytes) => *bytes = bytes.get(n..).unwrap_or_default(),
        }
    }
}

/// A frame a `WriteBuf<'a>` takes: its body, and the chunk that references it.
trait OutFrame<'a> {
    fn body(&self) -> &[u8];
    fn chunk(&self) -> Chunk<'a>;
}

impl<'a> OutFrame<'a> for FrameRef<'a> {
    fn body(&self) -> &[u8] {
        self.bytes()
    }

    fn chunk(&self) -> Chunk<'a> {
        match *self {
            FrameRef::Shared(bytes) => Chunk::Own(bytes.clone()),
            FrameRef::Lent(bytes) => Chunk::Lent(bytes),
        }
    }
}

impl<'a> OutFrame<'a> for Bytes {
    fn body(&self) -> &[u8] {
        self
    }

    fn chunk(&self) -> Chunk<'a> {
        Chunk::Own(self.clone())
    }
}

#[derive(Debug, Default)]
pub(crate) struct WriteBuf<'a> {
    chunks: VecDeque<Chunk<'a>>,
    /// Bytes in `chunks` (kept so that `len` is O(1)).
    chunked: usize,
    scratch: BytesMut,
}

impl WriteBuf<'static> {
    pub(crate) fn new() -> WriteBuf<'static> {
        WriteBuf::default()
    }
}

impl<'a> WriteBuf<'a> {
    /// A buffer that encodes into `scratch` (empty; its capacity is what is reused).
    pub(crate) fn with_scratch(scratch: BytesMut) -> WriteBuf<'a> {
        WriteBuf {
            scratch,
            chunks: VecDeque::new(),
            chunked: 0,
        }
    }

    /// The scratch back, once everything is written, for the next [`WriteBuf::with_scratch`]: the
    /// written chunks are dropped, so the allocation they shared is the scratch's alone again and
    /// its next `reserve` reuses it. Dropped instead when its capacity is over `keep_max`.
    pub(crate) fn into_scratch(mut self, keep_max: usize) -> BytesMut {
        self.chunks.clear();
        self.scratch.clear();
        if self.scratch.capacity() > keep_max {
            return BytesMut::new();
        }
        self.scratch
    }

    /// Appends all frames of one message, MORE on all but the last.
    pub(crate) fn push_message(&mut self, frames: &[FrameRef<'a>]) {
        self.push_frames(frames);
    }

    /// Appends all frames of one queued (owned) message, MORE on all but the last.
    pub(crate) fn push_owned(&mut self, frames: &[Bytes]) {
        self.push_frames(frames);
    }

    fn push_frames<F: OutFrame<'a>>(&mut self, frames: &[F]) {
        let last = frames.len().saturating_sub(1);
        for (i, frame) in frames.iter().enumerate() {
            let body = frame.body();
            encode_header(&mut self.scratch, body.len(), i < last, false);
            if body.len() >= COPY_LIMIT {
                self.flush_scratch();
                self.chunked += body.len();
                self.chunks.push_back(frame.chunk());
            } else {
                self.scratch.extend_from_slice(body);
            }
        }
    }

    /// Appends all frames of one message sealed (CURVE MESSAGE boxes): each body is copied once,
    /// into the buffer it is encrypted in, which is all the crypto needs.
    pub(crate) fn push_sealed<'f>(
        &mut self,
        sealer: &mut FrameSealer,
        frames: impl ExactSizeIterator<Item = &'f [u8]>,
        command: bool,
    ) -> Result<(), ProtocolError> {
        let last = frames.len().saturating_sub(1);
        for (i, frame) in frames.enumerate() {
            sealer.seal_into(frame, i < last, command, &mut self.scratch)?;
        }
        Ok(())
    }

    /// Appends already-encoded bytes (a command frame).
    pub(crate) fn push_encoded(&mut self, bytes: &[u8]) {
        self.scratch.extend_from_slice(bytes);
    }

    /// Appends the unwritten rest of another buffer.
    pub(crate) fn append(&mut self, mut other: WriteBuf<'a>) {
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
            self.chunks
                .push_back(Chunk::Own(self.scratch.split().freeze()));
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.scratch.is_empty()
    }

    /// The unwritten rest as the engine's own, to queue past the send call: lent chunks kept
    /// (copied, `FrameRef::keep`), the rest moved.
    pub(crate) fn into_static(self) -> WriteBuf<'static> {
        let chunks = self
            .chunks
            .into_iter()
            .map(|chunk| match chunk {
                Chunk::Own(bytes) => Chunk::Own(bytes),
                Chunk::Lent(bytes) => Chunk::Own(FrameRef::Lent(bytes).keep()),
            })
            .collect();
        WriteBuf {
            chunks,
            chunked: self.chunked,
            scratch: self.scratch,
        }
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
            let len = front.bytes().len();
            if n >= len {
                n -= len;
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
                    *slot = IoSlice::new(chunk.bytes());
                    count += 1;
                }
                // One chunk (the usual small batch): a plain write is cheaper than `writev`.
                let result = match slices[..count] {
                    [one] => stream.try_write(&one),
                    _ => stream.try_write_vectored(&slices[..count]),
                };
                match result {
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
        buf.chunks
            .iter()
            .flat_map(|c| c.bytes().iter().copied())
            .collect()
    }

    #[test]
    fn large_frames_are_referenced_not_copied() {
        let big = Bytes::from(vec![7u8; COPY_LIMIT]);
        let mut buf = WriteBuf::new();
        buf.push_owned(&[
            Bytes::from_static(b"ab"),
            big.clone(),
            Bytes::from_static(b"c"),
        ]);
        buf.flush_scratch();
        assert_eq!(buf.chunks.len(), 3);
        // The middle chunk is the caller's allocation itself.
        assert_eq!(buf.chunks[1].bytes().as_ptr(), big.as_ptr());
        assert_eq!(buf.len(), 2 + 2 + 9 + COPY_LIMIT + 2 + 1);
    }

    #[test]
    fn advance_across_chunks() {
        let mut buf = WriteBuf::new();
        buf.push_owned(&[Bytes::from(vec![1u8; 2000]), Bytes::from_static(b"xy")]);
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

    #[tokio::test]
    async fn direct_writes_match_the_encoding_and_hand_back_what_did_not_fit() {
        use crate::net::transport::{test_pair, TestPeer};
        use crate::wire::codec::encode_message;
        use crate::wire::frame_ref::shared;
        use std::io::Read;
        let (stream, b) = test_pair();
        b.set_nonblocking(true).expect("nonblocking");
        let (_read, write) = stream.into_split();
        let mut peer = b;
        // `n` bytes: over a Unix pair they are there at once, over tcp they may still be on the way.
        let read_n = |peer: &mut TestPeer, n: usize| {
            let mut got = Vec::new();
            let mut chunk = [0u8; 65536];
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while got.len() < n && std::time::Instant::now() < deadline {
                match peer.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(k) => got.extend_from_slice(&chunk[..k]),
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
                }
            }
            got
        };
        // tokio writes only once the runtime has seen the socket writable.
        write.writable().await.expect("writable");
        let mut scratch = BytesMut::new();
        let small = vec![Bytes::new(), Bytes::from_static(b"hello")];
        let large = vec![Bytes::from(vec![3u8; 300]), Bytes::from(vec![4u8; 5000])];
        for message in [&small, &large] {
            let mut want = BytesMut::new();
            encode_message(&mut want, message);
            let done = write_message_now(&write, &mut scratch, &shared(message)).expect("write");
            assert!(matches!(done, Direct::Done));
            assert_eq!(read_n(&mut peer, want.len()), want.to_vec());
        }
        // Fill the socket: what the OS does not take comes back, in order.
        let mut want = BytesMut::new();
        let mut rests = Vec::new();
        for _ in 0..10_000 {
            encode_message(&mut want, &small);
            match write_message_now(&write, &mut scratch, &shared(&small)).expect("write") {
                Direct::Done => {}
                Direct::Rest(rest) => {
                    rests.push(rest);
                    break;
                }
            }
        }
        assert_eq!(rests.len(), 1, "the socket filled up");
        let mut rest = rests.pop().expect("rest");
        let rest = flatten(&mut rest);
        let mut got = read_n(&mut peer, want.len() - rest.len());
        got.extend_from_slice(&rest);
        // Compared by length and first difference: a dump of 90 KB says nothing more.
        assert_eq!(got.len(), want.len());
        assert_eq!(got.iter().zip(want.iter()).position(|(a, b)| a != b), None);
    }
}
