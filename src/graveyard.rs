//! Releasing references to JS buffers from any thread.
//!
//! A large outgoing frame is not copied: its `Bytes` points into the JS buffer and holds a
//! `napi_ref` that keeps that buffer alive. The `Bytes` is usually dropped on a tokio thread (after
//! the writer flushed it), but a `napi_ref` may only be deleted on its environment's JS thread.
//! Waking the JS thread for each drop would cost a thread hop per large message, so dropped
//! references are parked here and deleted the next time the JS thread enters the addon (every
//! native call and every settlement drains the graveyard).

use napi::sys;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Default)]
pub(crate) struct Graveyard {
    /// `napi_ref`s (as addresses) whose owners were dropped, waiting for the JS thread.
    dead: Mutex<Vec<usize>>,
    /// Engine-held `Bytes` that still point into JS memory (created, not yet dropped).
    live: AtomicUsize,
    /// Cleared when the environment tears down: references are then owned by Node's teardown.
    closed: AtomicBool,
}

impl Graveyard {
    fn dead(&self) -> MutexGuard<'_, Vec<usize>> {
        // A panic while holding this lock cannot leave the Vec inconsistent: use it anyway.
        self.dead
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a new `Bytes` that borrows JS memory.
    pub(crate) fn born(&self) {
        self.live.fetch_add(1, Ordering::AcqRel);
    }

    /// Called from the owner's `Drop`, on any thread.
    pub(crate) fn bury(&self, reference: sys::napi_ref) {
        if !self.closed.load(Ordering::Acquire) {
            self.dead().push(reference as usize);
        }
        self.live.fetch_sub(1, Ordering::AcqRel);
    }

    /// Deletes parked references. Must run on the environment's JS thread while it is alive.
    pub(crate) fn drain(&self, env: sys::napi_env) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let dead = {
            let mut guard = self.dead();
            if guard.is_empty() {
                return;
            }
            std::mem::take(&mut *guard)
        };
        for reference in dead {
            // SAFETY: each address is a `napi_ref` created by `message::js_bytes` in this env,
            // parked exactly once by its owner's drop, and the env is alive (not `closed`).
            unsafe { sys::napi_delete_reference(env, reference as sys::napi_ref) };
        }
    }

    /// Env teardown: waits (bounded) until the engine dropped every `Bytes` that points into JS
    /// memory, because that memory is freed with the environment. Returns whether it got there.
    pub(crate) fn close_and_wait(&self, env: sys::napi_env, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.live.load(Ordering::Acquire) > 0 {
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        self.drain(env);
        self.closed.store(true, Ordering::Release);
        self.live.load(Ordering::Acquire) == 0
    }
}
