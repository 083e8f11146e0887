//! Where a connection's incoming bytes go.
//!
//! Small frames are decoded as slices of one shared read buffer (a `BytesMut`): many frames per
//! allocation, no copy. A large frame gets a buffer of its own as soon as its header is complete
//! ([`LargeFrame`]): the socket is read straight into it, it grows geometrically with the bytes that
//! arrive (through `realloc`, which can often extend or remap a big block without copying it), and
//! the finished body becomes a `Bytes` without a copy. Accumulating a large body in the shared buffer
//! instead costs a copy at every growth step once earlier frames share that buffer.
//!
//! Memory follows the bytes that have arrived, never the announced length: a large frame's heap
//! buffer starts at most [`LARGE_INITIAL`] and is never more than about twice what has arrived plus
//! that (resident only where written); a pooled block (resident as a whole) is at most about twice
//! the body's bytes that are here, read or queued unread in the socket (see [`Placement`]).

use crate::conn::body_pool::{self, PooledBody};
use crate::wire::codec::{Frame, FrameHeader};
use bytes::buf::UninitSlice;
use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Frame bodies at least this long are read into their own buffer. The addon hands frames this
/// size to JavaScript without a copy (`RX_ZERO_COPY_MIN` in the binding), so they must not pin
/// a shared read buffer.
pub(crate) const LARGE_FRAME_MIN: usize = 8 * 1024;

/// Largest first capacity of a large frame's buffer (less when less is announced). A frame up to
/// this size gets its whole buffer at once: growing from less (128 KiB -> 1 MiB through three
/// `realloc`s, each usually a copy of what had arrived) cost about 100 us of a 1 MiB round trip
/// between two processes over tcp (libzmq allocates the whole announced size at once).
pub(crate) const LARGE_INITIAL: usize = 1024 * 1024;

/// The shared buffer allocates at least this much at a time.
pub(crate) const READ_MIN: usize = 8 * 1024;

/// Below this much spare room, the shared buffer is refilled or replaced rather than read into.
const READ_FLOOR: usize = 1024;

/// Most room reserved at once in the shared buffer: it only ever holds small frames (and headers),
/// so more than a few reads' worth is never needed.
const READ_MAX: usize = 64 * 1024;

/// Makes room in the shared read buffer for the next read. `missing` is what the frame in
/// progress still needs (a hint; capped here).
///
/// The buffer is reused whenever the frames split off it have been dropped (the usual case by the
/// time a request/reply peer sends again). While they are alive, reading goes on into the room
/// left after them, and only when that runs low is a fresh allocation made: so live frames pin
/// one allocation between many of them, instead of each read allocating anew.
pub(crate) fn prepare_shared(buf: &mut BytesMut, missing: usize) {
    let want = missing.clamp(READ_MIN, READ_MAX);
    let spare = buf.capacity() - buf.len();
    if spare >= want || buf.try_reclaim(want) {
        return;
    }
    if spare >= missing.clamp(READ_FLOOR, READ_MAX) {
        return;
    }
    buf.reserve(want);
}

/// Where a large frame's body is read into: a pooled block when the announced length is one the
/// pool serves and enough of the body is here (`body_pool`: memory reused while still mapped and
/// warm; see [`Placement`]), else a heap `Vec` that grows with the bytes.
#[derive(Debug)]
pub(crate) enum Body {
    /// A `Vec` (not a shared `BytesMut`) so that growing it is a plain `realloc` of a block nobody
    /// else points into.
    Heap(Vec<u8>),
    /// Room for as much of the body as [`Placement`] allows, grown as more of it comes.
    Pooled(PooledBody),
}

impl Body {
    fn len(&self) -> usize {
        match self {
            Body::Heap(v) => v.len(),
            Body::Pooled(p) => p.len(),
        }
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        match self {
            Body::Heap(v) => v.capacity(),
            Body::Pooled(p) => p.capacity(),
        }
    }

    #[cfg(test)]
    fn as_ptr(&self) -> *const u8 {
        match self {
            Body::Heap(v) => v.as_ptr(),
            Body::Pooled(p) => p.as_ref().as_ptr(),
        }
    }
}

// SAFETY: each arm defers to a correct implementation: `Vec`'s own, or the pooled block's spare
// room, which `advance_mut` only counts as filled (callers promise they wrote it).
unsafe impl BufMut for Body {
    fn remaining_mut(&self) -> usize {
        match self {
            Body::Heap(v) => v.remaining_mut(),
            Body::Pooled(p) => p.capacity() - p.len(),
        }
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        match self {
            // SAFETY: the caller's promise, passed on.
            Body::Heap(v) => unsafe { v.advance_mut(cnt) },
            // SAFETY: the caller's promise: `cnt` bytes of `chunk_mut` (the spare room) written.
            Body::Pooled(p) => unsafe { p.advance(cnt) },
        }
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        match self {
            Body::Heap(v) => v.chunk_mut(),
            Body::Pooled(p) => UninitSlice::uninit(p.spare_mut()),
        }
    }
}

/// A large body on the heap: room for what arrived and more, never more than announced (the body
/// is then exactly full when complete, and `Bytes::from(Vec)` takes it over without reallocating).
fn heap_body(len: usize, arrived: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(len.min(LARGE_INITIAL.max(arrived.len())));
    body.extend_from_slice(arrived);
    body
}

/// Whether a large frame's body may still get more pooled room.
///
/// Why not a whole block at once: a block holds the whole body from the start, and the first byte
/// written into a fresh chunk makes its 2 MiB huge page resident, so a peer that announced 1 MiB
/// bodies and sent only their first bytes would pin ~1 MiB per connection, where a heap `Vec` is
/// resident only where written. So a body's pooled room follows what is here, the bytes read and
/// those the socket holds unread (`body_pool::room_for`): at most about twice that, the whole body
/// once half is here. The room grows in place as long as the granules after it are free (the
/// usual case: a block cut from a larger free one has its other half free), so honest large
/// bodies are still read straight into their block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// In a pooled block that holds all of it, a length the pool does not serve, or the pool had
    /// no memory for it.
    Settled,
    /// A length the pool serves, with less than half of it here so far: on the heap (less than a
    /// granule's worth here), or in a block of part of its length.
    Awaiting,
}

/// A large frame whose header has arrived, being read into its own buffer.
#[derive(Debug)]
pub(crate) struct LargeFrame {
    header: FrameHeader,
    /// The body so far.
    body: Body,
    placement: Placement,
}

impl LargeFrame {
    /// Starts reading the frame whose (complete, validated) header is at the front of `buf`, moving
    /// the part of its body already there out of `buf`. (Callers use this for frames that are not
    /// all in `buf` yet, so `buf` is then empty; anything after the body would stay in `buf`.)
    /// `unread`: how many bytes the socket holds that were not read yet (asked only when the pool
    /// serves the body's length, see [`Placement`]).
    pub(crate) fn start(
        header: FrameHeader,
        buf: &mut BytesMut,
        unread: impl FnOnce() -> usize,
    ) -> LargeFrame {
        let len = header.body_len();
        let after_header = buf.get(header.header_len()..).unwrap_or_default();
        let arrived = after_header.get(..len).unwrap_or(after_header);
        let mut frame = LargeFrame {
            header,
            body: Body::Heap(Vec::new()),
            placement: Placement::Settled,
        };
        if body_pool::serves(len) {
            frame.placement = Placement::Awaiting;
            frame.place(|| arrived.len().saturating_add(unread()));
        } else {
            body_pool::note_heap_body(len);
        }
        // Placed while still empty: the bytes at hand are copied once, where they belong.
        match &mut frame.body {
            Body::Heap(body) => *body = heap_body(len, arrived),
            Body::Pooled(pooled) => pooled.extend_from_slice(arrived),
        }
        let consumed = frame.header.header_len().saturating_add(arrived.len());
        buf.advance(consumed.min(buf.len()));
        frame
    }

    /// Gives a body that awaits more pooled room what the bytes here allow (see [`Placement`]):
    /// a first block, moved out of the heap, or a larger one, in place where it can.
    fn place(&mut self, unread: impl FnOnce() -> usize) {
        let Placement::Awaiting = self.placement else {
            return;
        };
        let len = self.header.body_len();
        let known = self.body.len().saturating_add(unread());
        let Some(room) = body_pool::room_for(len, known) else {
            return;
        };
        let placed = match &mut self.body {
            Body::Pooled(pooled) => pooled.grow(room, len),
            Body::Heap(arrived) => match PooledBody::with_room_to_grow(room, len) {
                Some(mut pooled) => {
                    pooled.extend_from_slice(arrived);
                    self.body = Body::Pooled(pooled);
                    true
                }
                None => false,
            },
        };
        if !placed {
            // The pool has no memory for it: the heap from now on, as where there is no pool.
            if let Body::Pooled(pooled) = &self.body {
                self.body = Body::Heap(heap_body(len, pooled.as_ref()));
            }
            self.placement = Placement::Settled;
        } else if room >= len {
            self.placement = Placement::Settled;
        }
    }

    /// Body bytes still to come.
    pub(crate) fn remaining(&self) -> usize {
        self.header.body_len().saturating_sub(self.body.len())
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.remaining() == 0
    }

    /// Makes room for the next read: more pooled room as more of the body is here (`unread` as
    /// for [`LargeFrame::start`]; see [`Placement`]). A heap body grows when its spare room is
    /// too small for a worthwhile read: to twice what has arrived (at least [`LARGE_INITIAL`]
    /// more), never beyond the announced length.
    pub(crate) fn make_room(&mut self, unread: impl FnOnce() -> usize) {
        self.place(unread);
        let remaining = self.remaining();
        let Body::Heap(body) = &mut self.body else {
            return;
        };
        let spare = body.capacity() - body.len();
        if spare >= remaining.min(READ_MIN) {
            return;
        }
        let len = body.len();
        let target = len
            .saturating_mul(2)
            .max(len.saturating_add(LARGE_INITIAL))
            .min(self.header.body_len());
        // Exact: `reserve` would round up past the announced length. The block is ours alone, so
        // this is a plain `realloc`: no copy when glibc can remap (mmapped blocks) or extend it in
        // place, otherwise one copy of what has arrived (measured: a few % of a 1 MiB receive).
        body.reserve_exact(target.saturating_sub(len));
    }

    /// The body bytes that have arrived so far.
    pub(crate) fn arrived_mut(&mut self) -> &mut [u8] {
        match &mut self.body {
            Body::Heap(v) => v,
            Body::Pooled(p) => p.as_mut_slice(),
        }
    }

    /// Where the next read goes: the body, and at most how many bytes it may take (the rest of
    /// the stream belongs to the next frame).
    pub(crate) fn target(&mut self) -> (&mut Body, u64) {
        let remaining = self.remaining() as u64;
        (&mut self.body, remaining)
    }

    /// The finished frame; its body is this buffer, not a copy.
    pub(crate) fn finish(self) -> Frame {
        let body = match self.body {
            Body::Heap(v) => Bytes::from(v),
            Body::Pooled(p) => Bytes::from_owner(p),
        };
        self.header.into_frame(body)
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.body.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::body_pool::{POOLED_MAX, POOLED_MIN};
    use crate::wire::codec::{encode_message, Decoder};

    fn header(buf: &BytesMut) -> FrameHeader {
        Decoder::new(-1)
            .decode_header(buf)
            .expect("valid")
            .expect("complete")
    }

    /// Feeds `body` to a large frame in reads of `chunk` bytes, the socket holding at most
    /// `queued` bytes unread beyond each read's, checking the memory bounds at each.
    fn fill_queued(frame: &mut LargeFrame, body: &[u8], chunk: usize, queued: usize) {
        let mut at = frame.body.len();
        while !frame.is_complete() {
            let known = body.len().min(at + chunk + queued);
            frame.make_room(|| known - at);
            let (dst, limit) = frame.target();
            let n = chunk
                .min(limit as usize)
                .min(dst.capacity() - dst.len())
                .min(body.len() - at);
            assert!(n > 0, "room for a read");
            dst.put_slice(&body[at..at + n]);
            at += n;
            let arrived = frame.body.len();
            if let Body::Pooled(_) = frame.body {
                assert!(frame.capacity() <= POOLED_MAX);
                assert!(
                    frame.capacity() <= 2 * known + POOLED_MIN,
                    "pooled room {} with {known} bytes here",
                    frame.capacity()
                );
                continue;
            }
            assert!(frame.capacity() <= frame.header.body_len());
            assert!(
                frame.capacity() <= 2 * arrived + LARGE_INITIAL,
                "capacity {} for {arrived} bytes arrived",
                frame.capacity()
            );
        }
    }

    /// As `fill_queued`, all the rest of the body waiting in the socket.
    fn fill(frame: &mut LargeFrame, body: &[u8], chunk: usize) {
        fill_queued(frame, body, chunk, usize::MAX / 2);
    }

    #[test]
    fn large_body_is_moved_then_read_into_place_and_handed_out_without_copy() {
        // Longer than the first capacity, so that the buffer has to grow.
        let len = 3 * LARGE_INITIAL + 12_345;
        let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut wire = BytesMut::new();
        encode_message(&mut wire, &[Bytes::from(body.clone())]);
        // The header and 5000 body bytes arrived with an earlier read.
        let mut buf = BytesMut::from(&wire[..9 + 5000]);
        let h = header(&buf);
        let mut frame = LargeFrame::start(h, &mut buf, || 0);
        assert!(buf.is_empty());
        assert_eq!(frame.remaining(), len - 5000);
        assert_eq!(frame.capacity(), LARGE_INITIAL);
        fill(&mut frame, &body, 70_000);
        let data_ptr = frame.body.as_ptr();
        let Frame::Data { more, body: got } = frame.finish() else {
            panic!("data frame expected");
        };
        assert!(!more);
        assert_eq!(got.as_ptr(), data_ptr, "the body buffer itself, not a copy");
        assert_eq!(&got[..], &body[..]);
    }

    /// Whether the pool serves bodies of `len` bytes here (Linux, mapping allowed).
    fn pooled(len: usize) -> bool {
        (POOLED_MIN..=POOLED_MAX).contains(&len) && PooledBody::with_capacity(len).is_some()
    }

    #[test]
    fn heap_capacity_never_exceeds_the_announcement_and_pooled_bodies_get_a_whole_block() {
        for len in [
            LARGE_FRAME_MIN,
            100_000,
            LARGE_INITIAL,
            LARGE_INITIAL + 1,
            300_000,
            POOLED_MAX + 1,
        ] {
            let body = vec![7u8; len];
            let mut wire = BytesMut::new();
            encode_message(&mut wire, &[Bytes::from(body.clone())]);
            let mut buf = BytesMut::from(&wire[..9]);
            let mut frame = LargeFrame::start(header(&buf), &mut buf, || usize::MAX);
            let pooled = pooled(len);
            if pooled {
                let block = frame.capacity();
                assert!(
                    block >= len && block < 2 * len && block <= POOLED_MAX,
                    "{len}"
                );
            } else {
                assert_eq!(frame.capacity(), len.min(LARGE_INITIAL));
            }
            fill(&mut frame, &body, 1 << 20);
            if !pooled {
                assert_eq!(frame.capacity(), len);
            }
            assert_eq!(
                frame.finish(),
                Frame::Data {
                    more: false,
                    body: Bytes::from(body)
                }
            );
        }
    }

    /// A frame of `len` patterned body bytes whose header and first `sent` body bytes were read,
    /// with `unread` more in the socket; and its whole body.
    fn started(len: usize, sent: usize, unread: usize) -> (LargeFrame, Vec<u8>) {
        let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut wire = BytesMut::new();
        encode_message(&mut wire, &[Bytes::from(body.clone())]);
        let mut buf = BytesMut::from(&wire[..9 + sent]);
        (LargeFrame::start(header(&buf), &mut buf, || unread), body)
    }

    #[test]
    fn a_pooled_body_is_read_into_place_and_handed_out_without_copy() {
        let len = 1024 * 1024;
        if !pooled(len) {
            return;
        }
        let (mut frame, body) = started(len, 3000, usize::MAX);
        assert!(matches!(frame.body, Body::Pooled(_)));
        fill(&mut frame, &body, 100_000);
        let data_ptr = frame.body.as_ptr();
        let Frame::Data { body: got, .. } = frame.finish() else {
            panic!("data frame expected");
        };
        assert_eq!(got.as_ptr(), data_ptr, "the block itself, not a copy");
        assert_eq!(&got[..], &body[..]);
    }

    #[test]
    fn a_pooled_size_announced_takes_no_block_until_its_bytes_are_here() {
        let len = 1024 * 1024;
        // The header and 10 body bytes, nothing more queued: the heap, resident only where
        // written.
        let (mut frame, body) = started(len, 10, 0);
        assert!(matches!(frame.body, Body::Heap(_)));
        frame.make_room(|| 0);
        assert!(
            matches!(frame.body, Body::Heap(_)),
            "still nothing more here"
        );
        if !pooled(len) {
            return;
        }
        // The rest trickles in with nothing queued beyond each read (as over ipc, whose sender
        // blocks on a full queue): its pooled room grows with it, and it ends up pooled.
        fill_queued(&mut frame, &body, 100_000, 0);
        assert!(matches!(frame.body, Body::Pooled(_)));
        assert_eq!(frame.placement, Placement::Settled);
        assert_eq!(
            frame.finish(),
            Frame::Data {
                more: false,
                body: Bytes::from(body)
            }
        );
    }

    #[test]
    fn a_body_whose_half_is_queued_gets_its_whole_block_at_once() {
        let len = 1024 * 1024;
        if !pooled(len) {
            return;
        }
        let (frame, _) = started(len, 8000, len / 2 - 8000);
        assert!(matches!(frame.body, Body::Pooled(_)));
        assert_eq!(frame.capacity(), len);
        assert_eq!(frame.placement, Placement::Settled);
    }

    #[test]
    fn huge_announcement_allocates_only_the_initial_bound() {
        let mut buf = BytesMut::new();
        buf.put_u8(0x02);
        buf.put_u64(1 << 40);
        buf.put_slice(&[1, 2, 3]);
        let mut frame = LargeFrame::start(header(&buf), &mut buf, || usize::MAX);
        assert_eq!(frame.capacity(), LARGE_INITIAL);
        frame.make_room(|| 0);
        assert_eq!(frame.capacity(), LARGE_INITIAL, "room enough: no growth");
        assert_eq!(frame.remaining(), (1 << 40) - 3);
        let (_, limit) = frame.target();
        assert_eq!(limit, (1 << 40) - 3);
    }

    #[test]
    fn shared_buffer_is_reused_once_its_frames_are_dropped() {
        let mut buf = BytesMut::new();
        prepare_shared(&mut buf, 2);
        let base = buf.as_ptr();
        let cap = buf.capacity();
        assert!(cap >= READ_MIN);
        for round in 0..100 {
            buf.put_slice(&[0, 3, b'a', b'b', b'c']);
            let frame = Decoder::new(-1).decode(&mut buf).unwrap();
            assert!(frame.is_some());
            drop(frame);
            prepare_shared(&mut buf, 2);
            assert_eq!(buf.as_ptr(), base, "round {round}: reallocated");
        }
        // Frames still alive: reading goes on after them in the same allocation.
        let mut alive = Vec::new();
        for _ in 0..10 {
            buf.put_slice(&[0, 3, b'a', b'b', b'c']);
            alive.push(Decoder::new(-1).decode(&mut buf).unwrap());
            let before = buf.as_ptr();
            prepare_shared(&mut buf, 2);
            assert_eq!(buf.as_ptr(), before, "room left: no new allocation");
        }
        // Until the room left runs low: then a fresh buffer, the old one stays with its frames.
        let room = buf.capacity() - buf.len();
        buf.put_slice(&vec![0u8; room - 10]);
        let _tail = buf.split();
        prepare_shared(&mut buf, 2);
        assert!(buf.capacity() - buf.len() >= READ_MIN);
        drop(alive);
    }

    #[test]
    fn shared_buffer_keeps_a_partial_frame() {
        let mut buf = BytesMut::new();
        prepare_shared(&mut buf, 2);
        buf.put_slice(&[0, 1, b'x', 0, 200, 1, 2, 3]);
        let held = Decoder::new(-1).decode(&mut buf).unwrap();
        assert!(held.is_some());
        let missing = Decoder::new(-1).missing(&buf);
        assert_eq!(missing, 197);
        prepare_shared(&mut buf, missing);
        assert_eq!(&buf[..], &[0, 200, 1, 2, 3]);
        assert!(buf.capacity() - buf.len() >= missing);
        // Room runs low while the earlier frame is alive: the partial frame moves to a new buffer.
        let room = buf.capacity() - buf.len();
        buf.put_slice(&vec![9u8; room - 10]);
        prepare_shared(&mut buf, 2);
        assert_eq!(&buf[..5], &[0, 200, 1, 2, 3]);
        assert!(buf.capacity() - buf.len() >= READ_MIN);
        drop(held);
    }
}
