//! Releasing references to JS buffers from any thread.
//!
//! A large outgoing frame is not copied: its `Bytes` points into the JS buffer and holds a
//! `napi_ref` that keeps that buffer alive. The `Bytes` is dropped wherever the engine lets go of
//! it: on the JS thread when `send()` wrote it out at once, else on a tokio thread after the writer
//! flushed it; but a `napi_ref` may only be deleted on its environment's JS thread.
//! So dropped references are parked here and deleted on the JS thread: every native call and every
//! settlement holds a [`DrainGuard`], which drains the graveyard when it is taken and when it is
//! dropped (a frame written out during the call is released before it returns). A drop anywhere else (a tokio
//! thread, a GC finalizer) that finds the graveyard empty wakes the JS thread once to drain it: a
//! buffer must not stay pinned until the program happens to call the addon again. Later drops
//! before that drain ride on the same wake-up.

use crate::js_thread::JsThreadOnly;
use napi::sys;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// Asks the JS thread to drain the graveyard (callable from any thread).
pub(crate) type Wake = Box<dyn Fn() + Send + Sync>;

pub(crate) struct Graveyard {
    /// `napi_ref`s whose owners were dropped (on any thread), waiting for the JS thread.
    dead: Mutex<Vec<JsThreadOnly<sys::napi_ref>>>,
    /// Engine-held `Bytes` that still point into JS memory (created, not yet dropped).
    live: AtomicUsize,
    /// Cleared when the environment tears down: references are then owned by Node's teardown.
    closed: AtomicBool,
    /// The environment's JS thread.
    js_thread: ThreadId,
    /// Drain guards alive (nested ones included); only the JS thread touches it.
    guards: AtomicU32,
    /// Set once by the hub.
    wake: OnceLock<Wake>,
}

/// The JS thread is running addon code (see the module doc): the graveyard was drained when
/// this was taken and is drained again when it drops. Keep it for the whole call.
#[must_use = "the guard drains the graveyard again when it drops"]
pub(crate) struct DrainGuard<'a> {
    graveyard: &'a Graveyard,
    env: sys::napi_env,
}

impl Drop for DrainGuard<'_> {
    fn drop(&mut self) {
        self.graveyard.drain(self.env);
        self.graveyard.guards.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Graveyard {
    fn dead(&self) -> MutexGuard<'_, Vec<JsThreadOnly<sys::napi_ref>>> {
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
            guards: AtomicU32::new(0),
            wake: OnceLock::new(),
        }
    }

    /// Drains now and when the guard drops. Must run on the environment's JS thread while it is
    /// alive.
    pub(crate) fn drain_guard(&self, env: sys::napi_env) -> DrainGuard<'_> {
        self.guards.fetch_add(1, Ordering::Relaxed);
        self.drain(env);
        DrainGuard {
            graveyard: self,
            env,
        }
    }

    /// How to wake the JS thread when a reference is dropped outside a drain guard.
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
                dead.push(JsThreadOnly::new(reference));
                dead.len() == 1
            };
            // Only the first drop since the last drain needs a wake-up, and none under a drain
            // guard: it drains again when it drops.
            let guarded =
                thread::current().id() == self.js_thread && self.guards.load(Ordering::Relaxed) > 0;
            if first && !guarded {
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
            // SAFETY: each is a `napi_ref` created in this env by `message::frame` (for a
            // `JsBytes`), parked exactly once by that owner's drop; this is the env's JS thread
            // (the caller's duty) and the env is alive (not `closed`).
            unsafe { sys::napi_delete_reference(env, reference.get()) };
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
