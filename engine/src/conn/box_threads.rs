//! Where a large CURVE box's work runs: the wire layer splits a box into two halves that may run
//! at once (`nacl_box::Join`) and never starts a thread itself; this is the connection layer's
//! answer. The second half runs on one helper thread for the process, started on first use and
//! blocked on a condition variable whenever no large box is being sealed or opened: it costs no CPU
//! while idle, and a box does not pay for starting a thread (some tens of microseconds each, and
//! more under load).

use crate::lock::lock;
use crate::wire::security::curve::nacl_box::serial;
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

/// Whether the machine has a second core for a helper thread to run on (read once).
pub(crate) fn spare_core() -> bool {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) >= 2
}

/// Runs `b` on the helper thread while `a` runs on this one, and returns when both are done (a
/// panic in either is resumed here, after both have finished). On a single core, or while another
/// box has the helper (two sockets sealing at once), or if it could not be started, both run here,
/// one after the other; so does `b` when the helper has not started it by the time `a` is done (a
/// loaded machine), so that a box never waits for the helper to be scheduled, only for it to finish.
pub(crate) fn two_threads(a: &mut (dyn FnMut() + Send), b: &mut (dyn FnMut() + Send)) {
    let Some(helper) = helper() else {
        return serial(a, b);
    };
    let Some(claim) = helper.claim(b) else {
        return serial(a, b);
    };
    let ran = catch_unwind(AssertUnwindSafe(a));
    // Waits for `b` even when `a` panicked: `b` borrows the caller's buffers.
    let helped = claim.wait();
    if let Err(panic) = ran.and(helped) {
        resume_unwind(panic);
    }
}

/// The process's helper, started on first use; `None` on a single core or if it cannot start.
fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();
    *HELPER.get_or_init(|| {
        if !spare_core() {
            return None;
        }
        let helper: &'static Helper = Box::leak(Box::default());
        std::thread::Builder::new()
            .name("zmq-box".into())
            .spawn(move || helper.run())
            .ok()
            .map(|_| helper)
    })
}

/// A job lent to the helper: `b` of a [`two_threads`] call, its lifetime erased.
struct Job(*mut (dyn FnMut() + Send + 'static));

// SAFETY: the closure behind the pointer is `Send`, and [`Claim::wait`] keeps its borrow alive (the
// caller blocked) until the helper has finished with it.
unsafe impl Send for Job {}

#[derive(Default)]
struct Slot {
    /// Lent to a caller, from `claim` until its `wait` returned.
    claimed: bool,
    /// The job to run next.
    job: Option<Job>,
    /// The job ran; `Err` carries its panic.
    finished: Option<Result<(), Box<dyn Any + Send>>>,
}

#[derive(Default)]
struct Helper {
    slot: Mutex<Slot>,
    /// A job was put in the slot.
    work: Condvar,
    /// The job finished.
    done: Condvar,
}

impl Helper {
    fn run(&self) {
        loop {
            let Job(job) = {
                let mut slot = lock(&self.slot);
                loop {
                    if let Some(job) = slot.job.take() {
                        break job;
                    }
                    slot = wait(&self.work, slot);
                }
            };
            // SAFETY: the caller that lent the job is blocked in `Claim::wait` until `finished`
            // is set below, so the closure and everything it borrows are alive and not used by
            // anyone else (see `Job`).
            let result = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() }));
            lock(&self.slot).finished = Some(result);
            self.done.notify_one();
        }
    }

    /// Hands `b` to the helper, unless another call has it.
    fn claim<'a>(&'static self, b: &'a mut (dyn FnMut() + Send)) -> Option<Claim<'a>> {
        let mut slot = lock(&self.slot);
        if slot.claimed {
            return None;
        }
        let job: *mut (dyn FnMut() + Send + 'a) = b;
        // SAFETY: only the lifetime changes (same fat pointer); `Claim` ties the borrow to `'a`
        // and its `wait` (or drop) does not return before the helper is done with it.
        let job: *mut (dyn FnMut() + Send + 'static) = unsafe { std::mem::transmute(job) };
        slot.claimed = true;
        slot.job = Some(Job(job));
        drop(slot);
        self.work.notify_one();
        Some(Claim {
            helper: self,
            _lent: std::marker::PhantomData,
            waited: false,
        })
    }
}

/// The helper runs a caller's `b`: holds the borrow until it has finished.
struct Claim<'a> {
    helper: &'static Helper,
    _lent: std::marker::PhantomData<&'a mut ()>,
    waited: bool,
}

impl Claim<'_> {
    /// Blocks until the helper has run the job; its panic, if it had one.
    fn wait(mut self) -> Result<(), Box<dyn Any + Send>> {
        self.waited = true;
        self.finish()
    }

    fn finish(&self) -> Result<(), Box<dyn Any + Send>> {
        let mut slot = lock(&self.helper.slot);
        // Not picked up yet (the helper is not running: a busy machine has not scheduled it): run
        // it here rather than wait for the scheduler, which can take a whole tick (milliseconds).
        if let Some(Job(job)) = slot.job.take() {
            slot.claimed = false;
            drop(slot);
            // SAFETY: taken back from the slot, so the helper never saw it; this caller's borrow
            // (see `Job`) is still alive, and nobody else has the closure.
            return catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() }));
        }
        let result = loop {
            if let Some(result) = slot.finished.take() {
                break result;
            }
            slot = wait(&self.helper.done, slot);
        };
        slot.claimed = false;
        result
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // Unwinding past an unwaited claim: the job still borrows the caller's frame.
        if !self.waited {
            let _ = self.finish();
        }
    }
}

/// `Condvar::wait`, going on after a poisoned lock as `lock` does.
fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn both_halves_run_once_each_and_the_helper_is_reused() {
        for round in 0..50usize {
            let (mut x, mut y) = (0usize, 0usize);
            two_threads(&mut || x += round + 1, &mut || y += round + 2);
            assert_eq!((x, y), (round + 1, round + 2));
        }
    }

    #[test]
    fn callers_at_once_each_get_both_halves_done() {
        let total = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        let mut buf = vec![0u8; 1000];
                        let (left, right) = buf.split_at_mut(500);
                        two_threads(&mut || left.fill(1), &mut || right.fill(2));
                        assert!(buf[..500].iter().all(|&b| b == 1));
                        assert!(buf[500..].iter().all(|&b| b == 2));
                        total.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 400);
    }

    #[test]
    fn a_panic_in_either_half_reaches_the_caller_and_the_helper_survives() {
        let mut other = 0;
        let caught = catch_unwind(AssertUnwindSafe(|| {
            two_threads(&mut || other += 1, &mut || panic!("in the helper"));
        }));
        assert!(caught.is_err());
        assert_eq!(other, 1);
        // With the helper, `b` runs before `a`'s panic goes on. Unit tests run in parallel, and
        // while another test's box has the helper both halves run `serial`ly here, where `a`'s
        // panic ends the call before `b`: so until a call got the helper.
        let helped = (0..1000).any(|_| {
            let mut ran = false;
            let caught = catch_unwind(AssertUnwindSafe(|| {
                two_threads(&mut || panic!("here"), &mut || ran = true);
            }));
            assert!(caught.is_err());
            ran
        });
        assert!(helped, "the helper's half ran before the panic went on");
        let mut after = 0;
        two_threads(&mut || after += 1, &mut || {});
        assert_eq!(after, 1);
    }
}
