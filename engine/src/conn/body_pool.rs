//! Memory for large frame bodies: blocks cut from 2 MiB huge pages, kept and reused.
//!
//! Why: a received body becomes the JS `Buffer` the user gets, which lives until V8 collects it,
//! after some 32 MiB of them (see the binding's `message.rs`). So every receive copies into memory
//! untouched for tens of MiB: with 4 KiB pages each page of it misses the TLB, and in a VM every
//! miss is a nested page walk. Measured on the 2-vCPU dev VM (a C client against the blocking tcp
//! floor, both on one core): receiving 1 MiB into one of 64 rotating buffers of 4 KiB pages instead
//! of one reused buffer added 50-160 us per round trip; into 64 rotating huge-page buffers, 10-40
//! us. A freshly mapped block for every frame is no answer either: faulting in (zeroing) a huge
//! page costs about what it saves, so blocks go back to the pool when their `Bytes` is dropped.
//!
//! A body takes whole 64 KiB granules (64 KiB to 1 MiB): a block of a power of two of them, cut
//! from a 2 MiB chunk as halves of halves (a buddy allocator), the granules past the body given
//! back at once. Freed blocks merge with their free other halves, so memory one size freed serves
//! any other (the way malloc's heap would). A block can grow ([`PooledBody::grow`]): in place into
//! the free granules after it, else by a move. The reader takes only as much room as the body's
//! bytes here allow and grows it as more come (`read_buf`: a block is resident by its huge page as
//! soon as anything is written into it, so a block for the whole announced body would let a peer
//! pin memory for bytes it never sends); a first block is cut from the start of a free block of the
//! body's full size, so that it can grow in place. Each block starts [`BLOCK_SHIFT`] bytes into its
//! pages, which keeps the kernel's copies into and out of it fast. Up to `RETAIN` bytes of free
//! blocks stay mapped and warm; wholly free chunks beyond that are unmapped. Linux only (huge pages
//! on request are `madvise(MADV_HUGEPAGE)`); elsewhere, or when mapping fails, bodies are heap
//! allocations as before. REQ->REP echo between two Node processes over tcp (`bench/ab-send.mjs`,
//! 12 alternating batches, loaded machine), against the same build without the pool: 1 MiB
//! 0.64-0.86x the time, 128 KiB 0.66-0.91x, 64 KiB 0.89-0.99x.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

/// Bodies at least this long come from the pool: its unit (a body takes whole granules).
pub(crate) const POOLED_MIN: usize = 64 * 1024;
const GRANULE: usize = POOLED_MIN;

/// Bodies at most this long come from the pool. Not the CURVE box of a 1 MiB message (33 bytes
/// more, and the message's `Buffer` is a slice of it): in a pool of huge pages its 17 granules take
/// a chunk of their own whose rest no box fits, resident in full, so every such message would pin
/// 2 MiB until V8 collects it (a CURVE echo server's peak RSS 125 MiB against 89 from the heap).
pub(crate) const POOLED_MAX: usize = 1024 * 1024;

/// Block orders of the buddy allocator: blocks of `GRANULE << order` for `order` in
/// `0..CLASSES`, and `CLASSES` for a whole chunk (2 MiB).
#[cfg(any(target_os = "linux", test))]
const CLASSES: usize = 5;

/// What the pool maps at once: one huge page, split into blocks of one size.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 * 1024 * 1024;

/// Most bytes of free blocks kept mapped: wholly free chunks beyond it are unmapped. A process
/// echoing 1 MiB frames frees up to ~40 MiB at one of V8's collections, so less than that maps a
/// chunk anew (a huge page faulted in and zeroed) every few dozen round trips (with 32 MiB, one per
/// ~22); with 64 MiB none did after warm-up, but the bench's peak RSS rose ~55 MiB per process
/// against the heap (its traffic moves between pooled and heap sizes, and both allocators keep
/// what they had). 24 MiB: the same 1 MiB ratios in back-to-back runs
/// (`BENCH_CASES="tcp 1 MiB,ipc 1 MiB,tcp CURVE 1 MiB"`, idle: tcp 0.94-0.96 against 0.94 with 64 MiB),
/// peak RSS 126/121 MiB against 135/130.
#[cfg(target_os = "linux")]
const RETAIN: usize = 24 * 1024 * 1024;

/// Bodies larger than the pool serves, in a row with no pooled one between, after which its free
/// chunks are all unmapped: the traffic has moved to heap sizes (a CURVE box of 1 MiB is one), and
/// the pool's free memory would otherwise stay resident under the heap's own peak. In the bench's
/// server process the CURVE 1 MiB case ran on top of the ~24 MiB the 64 KiB case before it left
/// free in the pool. 8: early in such a run, before the heap has grown to its own peak (V8 frees
/// received bodies after ~32 MiB of them), and still several MiB of heap bodies, more than a stray
/// large message.
#[cfg(target_os = "linux")]
const UNPOOLED_RUN: usize = 8;

/// Most chunks mapped at once (64 MiB): beyond it bodies are heap allocations, as where mapping
/// fails. Blocks follow the bytes that arrived (see the module docs), so it is traffic that maps
/// chunks, not announcements; the bound caps what many large bodies in flight at once, or received
/// ones JS still holds, keep mapped. 64 MiB is above what a 1 MiB echo keeps alive between two of
/// V8's collections (~40 MiB).
#[cfg(target_os = "linux")]
const MAPPED_MAX: usize = 32;

/// Where each block starts, past its place in the huge page: the body then sits at this offset in
/// its 4 KiB pages. Why: the kernel copies with `rep movsb`, which on the dev VM's AMD EPYC runs
/// 3-8x slower when the destination is 1 to ~63 bytes past the source modulo 4 KiB (a false store
/// to load dependency). A body at a page boundary, or 16 bytes in as malloc leaves a large block,
/// lands in that window on receive (the sender's header puts the body a few bytes into the segment
/// pages) or on send (our own header goes before it): 1 MiB round trips between two Node processes
/// on one core measured 850-890 us with the bodies at offset 0 or 16, 445-565 us at 64 or 256.
/// 256 keeps both ways clear for headers (and envelopes before the body) of up to ~190 bytes.
#[cfg(target_os = "linux")]
const BLOCK_SHIFT: usize = 256;

/// A chunk's length: its huge page, and one small page more for the last block's shifted end.
#[cfg(target_os = "linux")]
const CHUNK_LEN: usize = HUGE_PAGE + 4096;

/// The granules that hold `len` bytes, if the pool serves that length.
fn granules_of(len: usize) -> Option<usize> {
    (POOLED_MIN..=POOLED_MAX)
        .contains(&len)
        .then(|| len.div_ceil(GRANULE))
}

/// Whether the pool serves bodies of `len` bytes (where it has memory for them).
pub(crate) fn serves(len: usize) -> bool {
    granules_of(len).is_some()
}

/// Notes a body of `len` bytes read into the heap instead: one too large for the pool counts
/// towards unmapping its free chunks (see [`UNPOOLED_RUN`]).
pub(crate) fn note_heap_body(len: usize) {
    if len > POOLED_MAX {
        imp::note_unpooled();
    }
}

/// The room a pooled body of `len` bytes (a length the pool serves) may have while `known` of its
/// bytes are here: all it needs once half is here; before that, the most whole granules, a power
/// of two of them, within twice what is here (so that growing it in place, see
/// [`PooledBody::grow`], can double it); `None` below one granule.
pub(crate) fn room_for(len: usize, known: usize) -> Option<usize> {
    if known >= len.div_ceil(2) {
        return Some(len);
    }
    let granules = known.saturating_mul(2) / GRANULE;
    (granules > 0).then(|| (1 << granules.ilog2()) * GRANULE)
}

#[cfg(target_os = "linux")]
fn block_size(order: usize) -> usize {
    GRANULE << order
}

#[cfg(any(target_os = "linux", test))]
/// Granules `from..to` of a block as buddy blocks: (first granule, order) pieces, each aligned to
/// its size within the block (the block is aligned to a power of two of at least `to` granules).
fn pieces(from: usize, to: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut at = from;
    std::iter::from_fn(move || {
        if at >= to {
            return None;
        }
        let mut order = (at.trailing_zeros() as usize).min(CLASSES);
        while 1 << order > to - at {
            order -= 1;
        }
        let piece = (at, order);
        at += 1 << order;
        Some(piece)
    })
}

/// A frame body in a pooled block: `len` bytes filled, room up to the block's size. Unique owner of
/// its block, which goes back to the pool on drop.
pub(crate) struct PooledBody {
    block: NonNull<u8>,
    granules: usize,
    len: usize,
}

// SAFETY: the block is memory no one else refers to while this owns it (the pool hands each block
// to one owner at a time); moving that ownership between threads is fine.
unsafe impl Send for PooledBody {}

impl PooledBody {
    /// An empty body with room for `capacity` bytes, or `None` when the pool does not serve that
    /// size (or has no memory for it). (The reader sizes its room with `with_room_to_grow`.)
    #[cfg(test)]
    pub(crate) fn with_capacity(capacity: usize) -> Option<PooledBody> {
        PooledBody::with_room_to_grow(capacity, capacity)
    }

    /// An empty body with room for `capacity` bytes (`None` when the pool does not serve that
    /// size or has no memory for it), at the start of a free block that holds `full` bytes (the
    /// rest of it freed at once): the room can then grow in place up to `full` unless another
    /// body takes the granules after it first (see [`PooledBody::grow`]).
    pub(crate) fn with_room_to_grow(capacity: usize, full: usize) -> Option<PooledBody> {
        let granules = granules_of(capacity)?;
        let span = granules_of(full).unwrap_or(granules).max(granules);
        let block = imp::take(granules, span)?;
        Some(PooledBody {
            block,
            granules,
            len: 0,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn capacity(&self) -> usize {
        self.granules * GRANULE
    }

    /// The room after the filled bytes.
    pub(crate) fn spare_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        let spare = self.capacity() - self.len;
        // SAFETY: the block is `capacity()` bytes this body owns alone; `len <= capacity()`.
        unsafe { std::slice::from_raw_parts_mut(self.block.as_ptr().add(self.len).cast(), spare) }
    }

    /// Counts `n` more bytes as filled.
    ///
    /// # Safety
    /// The first `n` bytes of [`PooledBody::spare_mut`] have been written.
    pub(crate) unsafe fn advance(&mut self, n: usize) {
        debug_assert!(n <= self.capacity() - self.len);
        self.len += n;
    }

    /// Room for `capacity` bytes in all: in place when the granules after the block are free
    /// (no copy), else in a new block with room to grow to `full` (the filled bytes copied). False,
    /// and unchanged, when the pool does not serve that size or has no memory for it.
    pub(crate) fn grow(&mut self, capacity: usize, full: usize) -> bool {
        let Some(granules) = granules_of(capacity) else {
            return false;
        };
        if granules <= self.granules {
            return true;
        }
        if imp::extend(self.block, self.granules, granules) {
            self.granules = granules;
            return true;
        }
        let Some(mut moved) = PooledBody::with_room_to_grow(capacity, full) else {
            return false;
        };
        moved.extend_from_slice(self.as_ref());
        *self = moved;
        true
    }

    /// Appends `bytes` (which must fit).
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        let spare = self.spare_mut();
        assert!(bytes.len() <= spare.len(), "a pooled body never grows");
        // SAFETY: `spare` has room for `bytes` (checked), and is the body's own memory, which
        // `bytes` (a shared borrow alive alongside this exclusive one) cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), spare.as_mut_ptr().cast(), bytes.len());
            self.advance(bytes.len());
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the first `len` bytes of the block are initialised and ours alone.
        unsafe { std::slice::from_raw_parts_mut(self.block.as_ptr(), self.len) }
    }
}

impl AsRef<[u8]> for PooledBody {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the block are initialised; nothing writes them through
        // this body while the shared borrow lives.
        unsafe { std::slice::from_raw_parts(self.block.as_ptr(), self.len) }
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        imp::give_back(self.granules, self.block);
    }
}

impl std::fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledBody")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{
        block_size, pieces, BLOCK_SHIFT, CHUNK_LEN, CLASSES, GRANULE, HUGE_PAGE, MAPPED_MAX,
        RETAIN, UNPOOLED_RUN,
    };
    use crate::lock::lock;
    use std::collections::BTreeSet;
    use std::ptr::NonNull;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// Block orders: the sizes `0..CLASSES`, and `CLASSES` for a whole chunk (`block_size` of it is
    /// `HUGE_PAGE`).
    const ORDERS: usize = CLASSES + 1;

    /// The free memory of the chunks mapped so far, as a buddy allocator: a block of one order is
    /// half of one of the next, aligned to its size within its chunk, so that a freed block merges
    /// with its free other half. All sizes share the chunks: memory a size no longer uses serves
    /// the next (the way malloc's heap would), instead of each size keeping its own peak.
    pub(super) struct Pool {
        /// Free blocks by order, by their unshifted start (the chunk's address plus a multiple of
        /// the block's size).
        free: [BTreeSet<usize>; ORDERS],
        /// Bytes of the blocks in `free`.
        free_bytes: usize,
    }

    static POOL: Mutex<Pool> = Mutex::new(Pool::new());

    /// Chunks mapped now (at most [`MAPPED_MAX`]).
    static MAPPED: AtomicUsize = AtomicUsize::new(0);

    /// Bodies too large for the pool since the last pooled one (see [`UNPOOLED_RUN`]).
    static UNPOOLED: AtomicUsize = AtomicUsize::new(0);

    impl Pool {
        pub(super) const fn new() -> Pool {
            Pool {
                free: [const { BTreeSet::new() }; ORDERS],
                free_bytes: 0,
            }
        }

        /// A free block of `order`, split off the smallest larger free one if need be.
        pub(super) fn take(&mut self, order: usize) -> Option<usize> {
            let from = (order..ORDERS).find(|o| !self.free[*o].is_empty())?;
            let start = self.free[from].pop_first()?;
            self.free_bytes -= block_size(from);
            // Keep the lower half at each step down; the upper halves are free.
            for half in (order..from).rev() {
                self.free[half].insert(start + block_size(half));
                self.free_bytes += block_size(half);
            }
            Some(start)
        }

        /// Frees the block of `order` at `start`, merged with its free buddies as far as they go.
        /// A chunk that is then wholly free and more than [`RETAIN`] would keep is returned, no
        /// longer part of the pool, for the caller to unmap.
        pub(super) fn give_back(&mut self, mut order: usize, mut start: usize) -> Option<usize> {
            while order < CLASSES {
                let buddy = start ^ block_size(order);
                if !self.free[order].remove(&buddy) {
                    break;
                }
                self.free_bytes -= block_size(order);
                start = start.min(buddy);
                order += 1;
            }
            if order == CLASSES && self.free_bytes + HUGE_PAGE > RETAIN {
                return Some(start);
            }
            self.free[order].insert(start);
            self.free_bytes += block_size(order);
            None
        }

        /// The wholly free chunks, no longer part of the pool, for the caller to unmap.
        pub(super) fn take_free_chunks(&mut self) -> Vec<usize> {
            let chunks = std::mem::take(&mut self.free[CLASSES]);
            self.free_bytes -= chunks.len() * HUGE_PAGE;
            chunks.into_iter().collect()
        }

        /// `granules` contiguous granules: the start of the smallest block that holds `span`
        /// granules (at least `granules`), the rest of it freed at once.
        pub(super) fn take_granules(&mut self, granules: usize, span: usize) -> Option<usize> {
            let order = span.max(granules).next_power_of_two().trailing_zeros() as usize;
            let start = self.take(order)?;
            for (at, piece) in pieces(granules, 1 << order) {
                // Never a whole chunk: the granules taken are part of it.
                let _ = self.give_back(piece, start + at * GRANULE);
            }
            Some(start)
        }

        /// Extends the block of `from` granules at `start` (as `take_granules` or this gave it) to
        /// `to`, if granules `from..to` are free and the block is aligned for `to` of them.
        pub(super) fn extend_granules(&mut self, start: usize, from: usize, to: usize) -> bool {
            let whole = to.next_power_of_two();
            let order = whole.trailing_zeros() as usize;
            if order > CLASSES || start % block_size(order) != 0 {
                return false;
            }
            // Free granules after a live block, up to a block size it is aligned to, are held as
            // exactly these pieces: the buddy below each is (part of) the live block, so none
            // merged any further.
            let free =
                |(at, piece): (usize, usize)| self.free[piece].contains(&(start + at * GRANULE));
            if !pieces(from, whole).all(free) {
                return false;
            }
            for (at, piece) in pieces(from, whole) {
                self.free[piece].remove(&(start + at * GRANULE));
                self.free_bytes -= block_size(piece);
            }
            for (at, piece) in pieces(to, whole) {
                // Never a whole chunk: the granules taken are part of it.
                let _ = self.give_back(piece, start + at * GRANULE);
            }
            true
        }

        /// Frees what `take_granules` gave; as `give_back`, a chunk left wholly free beyond
        /// what is kept is returned for unmapping.
        pub(super) fn give_back_granules(
            &mut self,
            start: usize,
            granules: usize,
        ) -> Option<usize> {
            let mut idle = None;
            for (at, piece) in pieces(0, granules) {
                idle = idle.or(self.give_back(piece, start + at * GRANULE));
            }
            idle
        }
    }

    /// Counts a body too large for the pool; the [`UNPOOLED_RUN`]th in a row unmaps the free
    /// chunks.
    pub(super) fn note_unpooled() {
        if UNPOOLED.fetch_add(1, Ordering::Relaxed) + 1 != UNPOOLED_RUN {
            return;
        }
        let idle = lock(&POOL).take_free_chunks();
        idle.into_iter().for_each(unmap_chunk);
    }

    /// `granules` free granules in a row at the start of `span` free ones (see
    /// `Pool::take_granules`), mapping a new chunk when there are none.
    pub(super) fn take(granules: usize, span: usize) -> Option<NonNull<u8>> {
        if UNPOOLED.load(Ordering::Relaxed) != 0 {
            UNPOOLED.store(0, Ordering::Relaxed);
        }
        let taken = lock(&POOL).take_granules(granules, span);
        let start = match taken {
            Some(start) => start,
            None => {
                // Mapped (and later unmapped) outside the lock.
                let chunk = map_chunk()?;
                let mut pool = lock(&POOL);
                pool.free[CLASSES].insert(chunk);
                pool.free_bytes += HUGE_PAGE;
                pool.take_granules(granules, span)?
            }
        };
        NonNull::new((start + BLOCK_SHIFT) as *mut u8)
    }

    /// Extends a block of `from` granules to `to` in place, if the granules after it are free.
    pub(super) fn extend(block: NonNull<u8>, from: usize, to: usize) -> bool {
        let start = block.as_ptr() as usize - BLOCK_SHIFT;
        lock(&POOL).extend_granules(start, from, to)
    }

    /// A block whose owner is done with it.
    pub(super) fn give_back(granules: usize, block: NonNull<u8>) {
        let start = block.as_ptr() as usize - BLOCK_SHIFT;
        let idle = lock(&POOL).give_back_granules(start, granules);
        if let Some(chunk) = idle {
            unmap_chunk(chunk);
        }
    }

    /// Unmaps a wholly free chunk the pool no longer lists (from `give_back` or
    /// `take_free_chunks`).
    fn unmap_chunk(chunk: usize) {
        // SAFETY: a chunk `map_chunk` mapped, wholly free: no block of it is owned any more, and
        // the pool no longer lists it, so nothing refers to it.
        unsafe { libc::munmap(chunk as *mut libc::c_void, CHUNK_LEN) };
        MAPPED.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts one more mapped chunk in `mapped`, unless `max` are mapped already.
    pub(super) fn count_in(mapped: &AtomicUsize, max: usize) -> bool {
        mapped
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// A fresh chunk (see [`map_huge_chunk`]), while fewer than [`MAPPED_MAX`] are mapped.
    fn map_chunk() -> Option<usize> {
        if !count_in(&MAPPED, MAPPED_MAX) {
            return None;
        }
        let mapped = map_huge_chunk();
        if mapped.is_none() {
            MAPPED.fetch_sub(1, Ordering::Relaxed);
        }
        mapped
    }

    /// A fresh chunk: [`CHUNK_LEN`] bytes whose first `HUGE_PAGE` are one huge page (aligned to
    /// it, huge pages requested; the rest is the last block's shifted end), mapped twice as large
    /// and then trimmed. Its address, as the pool keeps it.
    fn map_huge_chunk() -> Option<usize> {
        let span = 2 * HUGE_PAGE;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                span,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return None;
        }
        let start = raw as usize;
        let aligned = start.next_multiple_of(HUGE_PAGE);
        let head = aligned - start;
        // Never negative: the mapping is page-aligned, `CHUNK_LEN` a page past `HUGE_PAGE`.
        let tail = span - head - CHUNK_LEN;
        // SAFETY: the head and tail are parts of the mapping just made, outside the chunk kept;
        // the chunk is within it and ours.
        unsafe {
            if head > 0 {
                libc::munmap(raw, head);
            }
            if tail > 0 {
                libc::munmap((aligned + CHUNK_LEN) as *mut libc::c_void, tail);
            }
            // A hint: where huge pages are off, the chunk is ordinary memory.
            libc::madvise(aligned as *mut libc::c_void, HUGE_PAGE, libc::MADV_HUGEPAGE);
        }
        Some(aligned)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::ptr::NonNull;

    /// No pool here: bodies are heap allocations.
    pub(super) fn take(_granules: usize, _span: usize) -> Option<NonNull<u8>> {
        None
    }

    pub(super) fn give_back(_granules: usize, _block: NonNull<u8>) {
        unreachable!("no block was handed out")
    }

    pub(super) fn extend(_block: NonNull<u8>, _from: usize, _to: usize) -> bool {
        unreachable!("no block was handed out")
    }

    pub(super) fn note_unpooled() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn chunks_are_counted_up_to_the_bound_and_no_further() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mapped = AtomicUsize::new(0);
        for n in 1..=3 {
            assert!(imp::count_in(&mapped, 3), "chunk {n} of 3");
        }
        assert!(!imp::count_in(&mapped, 3), "a fourth is refused");
        assert_eq!(mapped.load(Ordering::Relaxed), 3, "and not counted");
        mapped.fetch_sub(1, Ordering::Relaxed);
        assert!(imp::count_in(&mapped, 3), "room again after an unmap");
    }

    #[test]
    fn sizes_take_whole_granules_in_aligned_pieces() {
        assert_eq!(granules_of(POOLED_MIN - 1), None);
        assert_eq!(granules_of(POOLED_MIN), Some(1));
        assert_eq!(granules_of(POOLED_MIN + 1), Some(2));
        assert_eq!(granules_of(1024 * 1024), Some(16));
        assert_eq!(granules_of(300_000), Some(5));
        assert_eq!(
            granules_of(1024 * 1024 + 33),
            None,
            "a CURVE box of 1 MiB: heap"
        );
        let all: Vec<(usize, usize)> = pieces(0, 17).collect();
        assert_eq!(all, [(0, 4), (16, 0)]);
        let tail: Vec<(usize, usize)> = pieces(17, 32).collect();
        assert_eq!(tail, [(17, 0), (18, 1), (20, 2), (24, 3)]);
        for (at, order) in tail {
            assert_eq!(at % (1 << order), 0, "aligned");
        }
        assert_eq!(pieces(0, 32).collect::<Vec<_>>(), [(0, CLASSES)]);
    }

    #[test]
    fn pooled_room_follows_what_is_here() {
        let mib = 1024 * 1024;
        assert_eq!(room_for(mib, 0), None);
        assert_eq!(
            room_for(mib, GRANULE / 2 - 1),
            None,
            "less than a granule's worth"
        );
        assert_eq!(room_for(mib, GRANULE / 2), Some(GRANULE));
        assert_eq!(
            room_for(mib, 200_000),
            Some(4 * GRANULE),
            "a power of two within 2x"
        );
        assert_eq!(room_for(mib, mib / 2 - 1), Some(mib / 2));
        assert_eq!(room_for(mib, mib / 2), Some(mib), "all once half is here");
        assert_eq!(room_for(300_000, 150_000), Some(300_000));
        for known in (0..mib).step_by(7777) {
            if let Some(room) = room_for(mib, known) {
                assert!(room <= 2 * known.max(mib / 2) && room <= mib, "{known}");
            }
        }
    }

    #[test]
    fn a_grown_body_keeps_its_bytes() {
        let Some(mut body) = PooledBody::with_capacity(4 * GRANULE) else {
            return;
        };
        let head: Vec<u8> = (0..4 * GRANULE).map(|i| (i % 239) as u8).collect();
        body.extend_from_slice(&head);
        assert!(body.grow(300_000, POOLED_MAX));
        assert_eq!(body.capacity(), 5 * GRANULE);
        assert_eq!(body.as_ref(), &head[..]);
        body.extend_from_slice(&[1; GRANULE]);
        assert!(body.grow(POOLED_MAX, POOLED_MAX));
        assert_eq!(body.capacity(), POOLED_MAX);
        assert_eq!(&body.as_ref()[..head.len()], &head[..]);
        assert!(
            !body.grow(POOLED_MAX + 1, POOLED_MAX + 1),
            "past what the pool serves"
        );
        assert_eq!(body.capacity(), POOLED_MAX);
    }

    #[test]
    fn a_body_holds_what_is_written_and_its_block_is_reused() {
        let body = PooledBody::with_capacity(1024 * 1024);
        assert_eq!(
            body.is_some(),
            cfg!(target_os = "linux"),
            "pooled on Linux only"
        );
        let Some(mut body) = body else {
            return;
        };
        assert_eq!((body.len(), body.capacity()), (0, 1024 * 1024));
        #[cfg(target_os = "linux")]
        assert_eq!(body.as_ref().as_ptr() as usize % 4096, BLOCK_SHIFT);
        body.extend_from_slice(b"head");
        let spare = body.spare_mut();
        assert_eq!(spare.len(), 1024 * 1024 - 4);
        for (i, b) in spare.iter_mut().take(1000).enumerate() {
            b.write(i as u8);
        }
        // SAFETY: 1000 bytes written just above.
        unsafe { body.advance(1000) };
        assert_eq!(body.len(), 1004);
        assert_eq!(&body.as_ref()[..4], b"head");
        assert!(body.as_ref()[4..]
            .iter()
            .enumerate()
            .all(|(i, b)| *b == i as u8));
        body.as_mut_slice()[0] = b'H';
        let bytes = bytes::Bytes::from_owner(body);
        assert_eq!(&bytes[..4], b"Head");
        drop(bytes);
        // Other tests may take blocks meanwhile: just check that taking again works.
        let again = PooledBody::with_capacity(POOLED_MAX).expect("a block");
        assert_eq!(again.capacity(), POOLED_MAX);
    }

    /// The buddy bookkeeping alone, on made-up (never touched) addresses.
    #[cfg(target_os = "linux")]
    #[test]
    fn freed_blocks_merge_back_into_whole_chunks_and_serve_any_size() {
        let chunk = 64 * HUGE_PAGE;
        let mut pool = imp::Pool::new();
        assert_eq!(pool.take(0), None, "nothing mapped");
        assert_eq!(pool.give_back(CLASSES, chunk), None, "kept");
        // All 64 KiB blocks of the chunk, each once.
        let mut small: Vec<usize> = std::iter::from_fn(|| pool.take(0)).collect();
        assert_eq!(small.len(), HUGE_PAGE / POOLED_MIN);
        small.sort_unstable();
        small.dedup();
        assert_eq!(
            small.len(),
            HUGE_PAGE / POOLED_MIN,
            "no block handed out twice"
        );
        assert!(small.iter().all(|b| (chunk..chunk + HUGE_PAGE).contains(b)));
        assert_eq!(
            pool.take(CLASSES - 1),
            None,
            "no room for 1 MiB while they live"
        );
        for b in small {
            assert_eq!(pool.give_back(0, b), None);
        }
        // Merged again: two 1 MiB blocks, then nothing.
        let a = pool.take(CLASSES - 1).expect("1 MiB");
        let b = pool.take(CLASSES - 1).expect("another");
        assert_eq!([a.min(b), a.max(b)], [chunk, chunk + 1024 * 1024]);
        assert_eq!(pool.take(0), None);
        assert_eq!(pool.give_back(CLASSES - 1, a), None);
        assert_eq!(pool.give_back(CLASSES - 1, b), None);
        assert_eq!(pool.take(CLASSES), Some(chunk), "whole again");
        // 17 granules (were they pooled): the rest of the chunk is free for others.
        assert_eq!(pool.give_back(CLASSES, chunk), None);
        let boxed = pool.take_granules(17, 17).expect("17 granules");
        let rest: Vec<usize> = std::iter::from_fn(|| pool.take(0)).collect();
        assert_eq!(rest.len(), 32 - 17);
        assert!(rest.iter().all(|g| *g >= boxed + 17 * GRANULE));
        for g in rest {
            assert_eq!(pool.give_back(0, g), None);
        }
        assert_eq!(pool.give_back_granules(boxed, 17), None);
        assert_eq!(pool.take(CLASSES), Some(chunk), "whole again");
    }

    /// Growing in place, on made-up addresses as above.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_block_extends_in_place_while_the_granules_after_it_are_free() {
        let chunk = 64 * HUGE_PAGE;
        let mut pool = imp::Pool::new();
        assert_eq!(pool.give_back(CLASSES, chunk), None);
        let a = pool.take_granules(4, 4).expect("256 KiB");
        let b = pool.take_granules(4, 4).expect("another");
        assert_eq!((a, b), (chunk, chunk + 4 * GRANULE));
        assert!(
            !pool.extend_granules(a, 4, 8),
            "the next granules are taken"
        );
        assert!(!pool.extend_granules(b, 4, 8), "not aligned for 8");
        assert_eq!(pool.give_back_granules(b, 4), None);
        assert!(pool.extend_granules(a, 4, 5), "into the freed granules");
        assert_eq!(pool.take(0), Some(a + 5 * GRANULE), "the rest given back");
        assert_eq!(pool.give_back(0, a + 5 * GRANULE), None);
        assert_eq!(pool.give_back_granules(a, 5), None);
        assert_eq!(pool.take(CLASSES), Some(chunk), "whole again");
        assert_eq!(pool.give_back(CLASSES, chunk), None);
        let a = pool.take_granules(4, 4).expect("256 KiB");
        assert!(pool.extend_granules(a, 4, 16), "1 MiB in place");
        assert_eq!(
            pool.take(CLASSES - 1),
            Some(a + 16 * GRANULE),
            "the other half"
        );
        assert_eq!(pool.take(0), None, "nothing else");
        assert_eq!(pool.give_back(CLASSES - 1, a + 16 * GRANULE), None);
        assert_eq!(pool.give_back_granules(a, 16), None);
        assert_eq!(pool.take(CLASSES), Some(chunk), "whole again");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn wholly_free_chunks_beyond_what_is_kept_are_handed_back_for_unmapping() {
        let mut pool = imp::Pool::new();
        let kept = RETAIN / HUGE_PAGE;
        for i in 0..kept {
            assert_eq!(pool.give_back(CLASSES, (64 + i) * HUGE_PAGE), None);
        }
        let extra = (64 + kept) * HUGE_PAGE;
        assert_eq!(pool.give_back(CLASSES, extra), Some(extra));
        // A chunk that becomes wholly free by merging, too.
        let a = pool.take(CLASSES - 1).expect("half a chunk");
        let b = pool.take(CLASSES - 1).expect("the other half");
        assert_eq!(pool.give_back(CLASSES, extra), None, "room again");
        assert_eq!(pool.give_back(CLASSES - 1, a), None);
        assert_eq!(pool.give_back(CLASSES - 1, b), Some(a.min(b)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn free_chunks_are_handed_back_whole_and_partly_used_ones_kept() {
        let mut pool = imp::Pool::new();
        let (used, idle) = (64 * HUGE_PAGE, 65 * HUGE_PAGE);
        assert_eq!(pool.give_back(CLASSES, used), None);
        assert_eq!(pool.give_back(CLASSES, idle), None);
        let live = pool.take(0).expect("a 64 KiB block");
        let freed = pool.take_free_chunks();
        assert_eq!(freed.len(), 1);
        assert!(!(freed[0]..freed[0] + HUGE_PAGE).contains(&live));
        assert_eq!(pool.take(CLASSES), None, "no whole chunk left");
        assert_eq!(pool.give_back(0, live), None, "merged, kept");
        assert_eq!(pool.take_free_chunks().len(), 1);
    }

    #[test]
    fn blocks_are_not_shared_between_live_bodies() {
        let mut live: Vec<PooledBody> = (0..20)
            .filter_map(|i| PooledBody::with_capacity(POOLED_MIN + i * 100_000))
            .collect();
        if live.is_empty() {
            return;
        }
        for (i, body) in live.iter_mut().enumerate() {
            let fill = vec![i as u8; body.capacity()];
            body.extend_from_slice(&fill);
        }
        for (i, body) in live.iter().enumerate() {
            assert!(
                body.as_ref().iter().all(|b| *b == i as u8),
                "body {i} intact"
            );
        }
    }
}
