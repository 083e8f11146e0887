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
//! Blocks come in six sizes, 64 KiB to 2 MiB (powers of two, so that a huge page splits into whole
//! blocks); a body takes the smallest that holds it. Each block starts [`BLOCK_SHIFT`] bytes into
//! its pages, which keeps the kernel's copies into and out of it fast. Up to [`RETAIN`] bytes of
//! free blocks stay mapped and warm; beyond that a freed block's memory goes back to the OS (its
//! address range stays reserved for reuse). Linux only (huge pages on request are
//! `madvise(MADV_HUGEPAGE)`); elsewhere, or when mapping fails, bodies are heap allocations as
//! before. REQ->REP echo between two Node processes over tcp (`bench/ab-send.mjs`, 12 alternating
//! batches, loaded machine), against the same build without the pool: 1 MiB 0.64-0.86x the time,
//! 128 KiB 0.66-0.91x, 64 KiB 0.89-0.99x.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

/// Bodies at least this long come from the pool (the smallest block size).
pub(crate) const POOLED_MIN: usize = 64 * 1024;

/// Bodies at most this long come from the pool (the largest block size: one huge page).
pub(crate) const POOLED_MAX: usize = 2 * 1024 * 1024;

/// Block sizes: `POOLED_MIN << class` for `class` in `0..CLASSES`.
const CLASSES: usize = 6;

/// Most bytes of free blocks kept backed by memory. Enough for what two processes exchanging 1 MiB
/// frames hold between V8's collections (~32 MiB each way), so the steady state maps nothing.
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
const CHUNK_LEN: usize = POOLED_MAX + 4096;

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
    use super::{block_size, BLOCK_SHIFT, CHUNK_LEN, CLASSES, POOLED_MAX, RETAIN};
    use crate::lock::lock;
    use std::ptr::NonNull;
    use std::sync::Mutex;

    /// A block's address, held by the pool while it is free.
    struct Block(NonNull<u8>);

    // SAFETY: a free block is memory nobody refers to; the pool only stores its address.
    unsafe impl Send for Block {}

    struct Pool {
        /// Free blocks whose memory is backed (recently used), by class: handed out first.
        warm: [Vec<Block>; CLASSES],
        /// Free blocks whose memory was given back to the OS, or never touched yet.
        cold: [Vec<Block>; CLASSES],
        /// Bytes of the blocks in `warm`.
        warm_bytes: usize,
    }

    static POOL: Mutex<Pool> = Mutex::new(Pool {
        warm: [const { Vec::new() }; CLASSES],
        cold: [const { Vec::new() }; CLASSES],
        warm_bytes: 0,
    });

    /// A free block of `class`, mapping a new huge page for it when none is free.
    pub(super) fn take(class: usize) -> Option<NonNull<u8>> {
        {
            let mut pool = lock(&POOL);
            if let Some(Block(block)) = pool.warm[class].pop() {
                pool.warm_bytes -= block_size(class);
                return Some(block);
            }
            if let Some(Block(block)) = pool.cold[class].pop() {
                return Some(block);
            }
        }
        let chunk = map_chunk()?;
        let size = block_size(class);
        let mut blocks = (0..POOLED_MAX).step_by(size).map(|start| {
            // SAFETY: `start + BLOCK_SHIFT + size` is within the chunk's `CHUNK_LEN` bytes.
            Block(unsafe { NonNull::new_unchecked(chunk.as_ptr().add(start + BLOCK_SHIFT)) })
        });
        let first = blocks.next()?;
        lock(&POOL).cold[class].extend(blocks);
        Some(first.0)
    }

    /// A block whose owner is done with it.
    pub(super) fn give_back(class: usize, block: NonNull<u8>) {
        let size = block_size(class);
        {
            let mut pool = lock(&POOL);
            if pool.warm_bytes + size <= RETAIN {
                pool.warm_bytes += size;
                pool.warm[class].push(Block(block));
                return;
            }
        }
        // SAFETY: the block is `size` bytes of a private anonymous mapping of ours that nobody
        // refers to any more; MADV_DONTNEED only drops its contents (it reads as zeros after).
        unsafe { libc::madvise(block.as_ptr().cast(), size, libc::MADV_DONTNEED) };
        lock(&POOL).cold[class].push(Block(block));
    }

    /// A fresh chunk: [`CHUNK_LEN`] bytes whose first `POOLED_MAX` are one huge page (aligned
    /// to it, huge pages requested), mapped twice as large and then trimmed.
    fn map_chunk() -> Option<NonNull<u8>> {
        let span = 2 * POOLED_MAX;
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
        let aligned = start.next_multiple_of(POOLED_MAX);
        let head = aligned - start;
        // At least a page (the mapping is page-aligned, `CHUNK_LEN` a page past `POOLED_MAX`).
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
            libc::madvise(
                aligned as *mut libc::c_void,
                POOLED_MAX,
                libc::MADV_HUGEPAGE,
            );
        }
        NonNull::new(aligned as *mut u8)
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
        assert_eq!(block_size(CLASSES - 2), 1024 * 1024);
        assert_eq!(class_of(1024 * 1024), Some(CLASSES - 2));
        assert_eq!(class_of(1024 * 1024 + 24), Some(CLASSES - 1));
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
