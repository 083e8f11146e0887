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
//! Blocks come in five sizes, 64 KiB to 1 MiB, a body taking the smallest that holds it; they are
//! halves of halves of 2 MiB chunks (a buddy allocator), so memory freed by one size serves any
//! other. Each block starts [`BLOCK_SHIFT`] bytes into its pages, which keeps the kernel's copies
//! into and out of it fast. Up to `RETAIN` bytes of free blocks stay mapped and warm; wholly free
//! chunks beyond that are unmapped. Linux only (huge pages on request are
//! `madvise(MADV_HUGEPAGE)`); elsewhere, or when mapping fails, bodies are heap allocations as
//! before. REQ->REP echo between two Node processes over tcp (`bench/ab-send.mjs`, 12 alternating
//! batches, loaded machine), against the same build without the pool: 1 MiB 0.64-0.86x the time,
//! 128 KiB 0.66-0.91x, 64 KiB 0.89-0.99x.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

/// Bodies at least this long come from the pool (the smallest block size).
pub(crate) const POOLED_MIN: usize = 64 * 1024;

/// Bodies at most this long come from the pool (the largest block size: half a huge page). Not
/// 2 MiB: a CURVE box of a 1 MiB message is 33 bytes longer, and the message's `Buffer` is a slice
/// of it; in 2 MiB blocks every such message held twice its size until collected (peak RSS of the
/// bench's processes doubled, ~100 -> ~210 MiB).
pub(crate) const POOLED_MAX: usize = 1024 * 1024;

/// Block sizes: `POOLED_MIN << class` for `class` in `0..CLASSES`.
const CLASSES: usize = 5;

/// What the pool maps at once: one huge page, split into blocks of one size.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 * 1024 * 1024;

/// Most bytes of free blocks kept mapped: wholly free chunks beyond it are unmapped. Enough for
/// what a process exchanging 1 MiB frames frees at each of V8's collections (~32 MiB), so the
/// steady state maps nothing.
#[cfg(target_os = "linux")]
const RETAIN: usize = 64 * 1024 * 1024;

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

/// The size class that holds `len` bytes, if the pool serves that length.
fn class_of(len: usize) -> Option<usize> {
    if !(POOLED_MIN..=POOLED_MAX).contains(&len) {
        return None;
    }
    let blocks = len.div_ceil(POOLED_MIN).next_power_of_two();
    Some(blocks.trailing_zeros() as usize)
}

fn block_size(class: usize) -> usize {
    POOLED_MIN << class
}

/// A frame body in a pooled block: `len` bytes filled, room up to the block's size. Unique owner of
/// its block, which goes back to the pool on drop.
pub(crate) struct PooledBody {
    block: NonNull<u8>,
    class: usize,
    len: usize,
}

// SAFETY: the block is memory no one else refers to while this owns it (the pool hands each block
// to one owner at a time); moving that ownership between threads is fine.
unsafe impl Send for PooledBody {}

impl PooledBody {
    /// An empty body with room for `capacity` bytes, or `None` when the pool does not serve that
    /// size (or has no memory for it).
    pub(crate) fn with_capacity(capacity: usize) -> Option<PooledBody> {
        let class = class_of(capacity)?;
        let block = imp::take(class)?;
        Some(PooledBody {
            block,
            class,
            len: 0,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn capacity(&self) -> usize {
        block_size(self.class)
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
        imp::give_back(self.class, self.block);
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
    use super::{block_size, BLOCK_SHIFT, CHUNK_LEN, CLASSES, HUGE_PAGE, RETAIN};
    use crate::lock::lock;
    use std::collections::BTreeSet;
    use std::ptr::NonNull;
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
    }

    /// A free block of `class`, mapping a new chunk when none is free.
    pub(super) fn take(class: usize) -> Option<NonNull<u8>> {
        let taken = lock(&POOL).take(class);
        let start = match taken {
            Some(start) => start,
            None => {
                // Mapped (and later unmapped) outside the lock.
                let chunk = map_chunk()?;
                let mut pool = lock(&POOL);
                pool.free[CLASSES].insert(chunk);
                pool.free_bytes += HUGE_PAGE;
                pool.take(class)?
            }
        };
        NonNull::new((start + BLOCK_SHIFT) as *mut u8)
    }

    /// A block whose owner is done with it.
    pub(super) fn give_back(class: usize, block: NonNull<u8>) {
        let start = block.as_ptr() as usize - BLOCK_SHIFT;
        let idle = lock(&POOL).give_back(class, start);
        if let Some(chunk) = idle {
            // SAFETY: a chunk `map_chunk` mapped, wholly free: no block of it is owned any more,
            // and the pool no longer lists it.
            unsafe { libc::munmap(chunk as *mut libc::c_void, CHUNK_LEN) };
        }
    }

    /// A fresh chunk: [`CHUNK_LEN`] bytes whose first `HUGE_PAGE` are one huge page (aligned to
    /// it, huge pages requested; the rest is the last block's shifted end), mapped twice as large
    /// and then trimmed. Its address, as the pool keeps it.
    fn map_chunk() -> Option<usize> {
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
    pub(super) fn take(_class: usize) -> Option<NonNull<u8>> {
        None
    }

    pub(super) fn give_back(_class: usize, _block: NonNull<u8>) {
        unreachable!("no block was handed out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_map_to_the_smallest_block_that_holds_them() {
        assert_eq!(class_of(POOLED_MIN - 1), None);
        assert_eq!(class_of(POOLED_MIN), Some(0));
        assert_eq!(class_of(POOLED_MIN + 1), Some(1));
        assert_eq!(class_of(POOLED_MIN * 3), Some(2));
        assert_eq!(block_size(CLASSES - 1), 1024 * 1024);
        assert_eq!(class_of(1024 * 1024), Some(CLASSES - 1));
        assert_eq!(
            class_of(1024 * 1024 + 33),
            None,
            "a CURVE box of 1 MiB: heap"
        );
        assert_eq!(class_of(POOLED_MAX), Some(CLASSES - 1));
        assert_eq!(class_of(POOLED_MAX + 1), None);
        for class in 0..CLASSES {
            assert_eq!(class_of(block_size(class)), Some(class));
        }
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
