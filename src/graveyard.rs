//! Releasing references to JS buffers from any thread.
//!
//! A large outgoing frame is not copied: its `Bytes` points into the JS buffer and holds a
//! `napi_ref` that keeps that buffer alive. The `Bytes` is dropped wherever the engine lets go of
//! it: on the JS thread when `send()` wrote it out at once, else on a tokio thread after the writer
//! flushed it; but a `napi_ref` may only be deleted on its environment's JS thread.
//! So dropped references are parked here and deleted on the JS thread: every native call and every
//! settlement is a [`Visit`], which drains the graveyard when it starts and when it ends (a frame
//! written out during the call is released before it returns). A drop anywhere else (a tokio
//! thread, a GC finalizer) that finds the graveyard empty wakes the JS thread once to drain it: a
//! buffer must not stay pinned until the program happens to call the addon again. Later drops
//! before that drain ride on the same wake-up.

use napi::sys;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// Asks the JS thread to drain the graveyard (callable from any thread).
pub(crate) type Wake = Box<dyn Fn() + Send + Sync>;

pub(crate) struct Graveyard {
    /// `napi_ref`s (as addresses) whose owners were dropped, waiting for the JS thread.
    dead: Mutex<Vec<usize>>,
    /// Engine-held `Bytes` that still point into JS memory (created, not yet dropped).
    live: AtomicUsize,
    /// Cleared when the environment tears down: references are then owned by Node's teardown.
    closed: AtomicBool,
    /// The environment's JS thread.
    js_thread: ThreadId,
    /// Visits in progress (nested ones included); only the JS thread touches it.
    visits: AtomicU32,
    /// Set once by the hub.
    wake: OnceLock<Wake>,
}

/// The JS thread running addon code (see the module doc). Keep it for the whole call.
#[must_use = "a visit drains the graveyard when it ends"]
pub(crate) struct Visit<'a> {
    graveyard: &'a Graveyard,
    env: sys::napi_env,
}

impl Drop for Visit<'_> {
    fn drop(&mut self) {
        self.graveyard.drain(self.env);
        self.graveyard.visits.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Graveyard {
    fn dead(&self) -> MutexGuard<'_, Vec<usize>> {
        // A panic while holding this lock cannot leave the Vec inconsistent: use it anyway.
        self.dead
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Must be created on the environment's JS thread.
    pub(crate) fn new() -> Graveyard {
        Graveyard {
            dead: Mutex::new(Vec::new()),
            live: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            js_thread: thread::current().id(),
            visits: AtomicU32::new(0),
            wake: OnceLock::new(),
        }
    }

    /// Starts a visit. Must run on the environment's JS thread while it is alive.
    pub(crate) fn visit(&self, env: sys::napi_env) -> Visit<'_> {
        self.visits.fetch_add(1, Ordering::Relaxed);
        self.drain(env);
        Visit {
            graveyard: self,
            env,
        }
    }

    /// How to wake the JS thread when a reference is dropped outside a visit.
    pub(crate) fn set_wake(&self, wake: Wake) {
        let _ = self.wake.set(wake);
    }

    /// Counts a new `Bytes` that borrows JS memory.
    pub(crate) fn born(&self) {
        self.live.fetch_add(1, Ordering::AcqRel);
    }

    /// Called from the owner's `Drop`, on any thread.
    pub(crate) fn bury(&self, reference: sys::napi_ref) {
        if !self.closed.load(Ordering::Acquire) {
            let first = {
                let mut dead = self.dead();
                dead.push(reference as usize);
                dead.len() == 1
            };
            // Only the first drop since the last drain needs a wake-up, and none during a visit:
            // the visit drains before it ends.
            let visiting =
                thread::current().id() == self.js_thread && self.visits.load(Ordering::Relaxed) > 0;
            if first && !visiting {
                if let Some(wake) = self.wake.get() {
                    wake();
                }
            }
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
