//! Gives malloc's free memory back to the system once a receive backlog has drained.
//!
//! Why: a socket whose reader falls behind (a Subscriber or Pull with no high-water mark, the
//! bench's fan-out case) queues its messages in the engine, one small allocation or more each.
//! When the backlog drains those are freed, but the arena keeps the pages: a few live allocations
//! made meanwhile sit above them, so glibc's automatic trim (top of the heap only) gives nothing
//! back. In the bench's server process 8 Subscribers x 20,000 messages left 26 MiB of the main
//! arena resident for the rest of the run, under the peaks of every later case. `malloc_trim`
//! returns free pages anywhere in every arena. It walks them all (a millisecond or so for tens of
//! MiB), so it runs only after a backlog (`BACKLOG_BATCHES` full receive batches in a row) and at
//! most once per `MIN_INTERVAL` in the process. glibc only; elsewhere nothing happens.

use std::cell::Cell;

/// Full receive batches in a row that count as a backlog worth trimming after (`src/batch.rs`
/// `MAX` messages each: 4096 messages).
const BACKLOG_BATCHES: u32 = 16;

/// Watches one socket's receive batches for a backlog that drained.
#[derive(Default)]
pub(crate) struct BacklogWatch {
    full_in_a_row: Cell<u32>,
}

impl BacklogWatch {
    /// Notes a receive that took `taken` messages of at most `max`: a full batch means more may be
    /// queued; a smaller one (or none) means the queue is empty now.
    pub(crate) fn received(&self, taken: usize, max: usize) {
        if taken >= max {
            self.full_in_a_row
                .set(self.full_in_a_row.get().saturating_add(1));
            return;
        }
        if self.full_in_a_row.replace(0) >= BACKLOG_BATCHES {
            imp::trim();
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// Trims closer together than this are skipped: a stream whose reader keeps falling behind
    /// and catching up would otherwise walk the arenas on every catch-up.
    const MIN_INTERVAL: Duration = Duration::from_secs(1);

    /// Milliseconds since `START` of the last trim, plus one (0: never).
    static LAST: AtomicU64 = AtomicU64::new(0);
    static START: OnceLock<Instant> = OnceLock::new();

    pub(super) fn trim() {
        let now = START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1;
        let last = LAST.load(Ordering::Relaxed);
        if last != 0 && now - last < MIN_INTERVAL.as_millis() as u64 {
            return;
        }
        if LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return; // another thread (worker environment) is trimming
        }
        // SAFETY: malloc_trim only gives free pages back; it takes the arenas' locks itself.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub(super) fn trim() {}
}
