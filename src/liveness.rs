//! Which native objects are still alive, by address, so that a method called on an object whose
//! finalizer already ran throws `EBADF` instead of reading freed memory.
//!
//! A runtime may run a wrapped object's finalizer while JavaScript can still reach the object:
//! Deno's test runner finalizes a test file's leftover objects when the file ends and keeps
//! running its JavaScript (a `serve()` loop, a handler finishing, a timer). napi-rs frees the
//! object in the finalizer, but the JS object still unwraps to the old pointer, and napi-rs has
//! nothing to tell a freed pointer from a live one. So every object registers its address once
//! it has one (`adopt`, called by the JS layer right after construction; the constructor cannot,
//! napi-rs moves the value afterwards) and removes it when dropped; methods compare their `self`
//! address against the set before touching `self`. A later object at a reused address makes a
//! stale JS object act on it: wrong, but never a read of freed memory.

use napi::{sys, Error, Result, Status};
use std::cell::Cell;
use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

/// Addresses of live native objects. Global, not per thread: a runtime may finalize on another
/// thread than the one that made the object.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

thread_local! {
    /// The env of this JS thread's hub, for throwing from an object that is gone (its own env
    /// handle went with it).
    static THREAD_ENV: Cell<sys::napi_env> = const { Cell::new(std::ptr::null_mut()) };
}

fn live() -> MutexGuard<'static, Option<HashSet<usize>>> {
    // One set operation per critical section: a poisoned set is still consistent.
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

fn address<T>(object: &T) -> usize {
    object as *const T as usize
}

/// JS thread, at hub construction: the env that [`check`] throws in on this thread.
pub(crate) fn set_thread_env(env: sys::napi_env) {
    THREAD_ENV.with(|e| e.set(env));
}

/// Registers `object` (at its final address) as alive.
pub(crate) fn adopt<T>(object: &T) {
    live()
        .get_or_insert_with(HashSet::new)
        .insert(address(object));
}

/// Drop: `object` is going away.
pub(crate) fn release<T>(object: &T) {
    if let Some(set) = live().as_mut() {
        set.remove(&address(object));
    }
}

/// Whether `object` is registered and not yet dropped. Reads nothing through `object`.
pub(crate) fn is_live<T>(object: *const T) -> bool {
    live()
        .as_ref()
        .is_some_and(|set| set.contains(&(object as usize)))
}

/// `Ok` if `object` is alive; else throws `EBADF` (on this thread's env) for the method to return.
pub(crate) fn check<T>(object: *const T) -> Result<()> {
    if is_live(object) {
        return Ok(());
    }
    let message = "the socket is closed: its native object was finalized";
    let env = THREAD_ENV.with(Cell::get);
    if env.is_null() {
        return Err(Error::new(Status::GenericFailure, message.to_owned()));
    }
    Err(crate::js_error::throw_code(
        env,
        zeromq_napi_engine::ErrorCode::Ebadf,
        message,
    ))
}
