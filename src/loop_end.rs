//! Work left for the end of the event loop's poll phase: a libuv check handle, which runs right
//! after the I/O callbacks of each loop turn.
//!
//! A proxy read on the JS thread (`uv_read`) is woken by every message that one connection's read
//! delivers. Polled right then, it forwards each message on its own: one `send` system call per
//! message, and one wake-up of the receiving process each. Polled once after all of the turn's
//! reads instead, it forwards everything they brought in one burst, written with one vectored
//! write per connection (a broker's requests to the same worker, that worker's replies read
//! together): the same messages, the same order per peer, the same high-water marks, fewer
//! system calls. Such operations are marked in the executor (`Executor::poll_at_loop_end`);
//! `Hub::settle_now` leaves them here.
//!
//! The handle is unreferenced and started only while something waits for it, so it neither keeps
//! Node alive nor costs an idle loop anything.

use crate::uv_read::{handle_type_confirmed, uv_close, uv_handle_size, uv_unref};
use napi::{sys, Env};
use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// `UV_CHECK` of `enum uv_handle_type` (uv.h): the second entry after `UV_UNKNOWN_HANDLE`
/// (ASYNC, CHECK), fixed within libuv 1.x as `UV_POLL` is (see `uv_read.rs`), and checked the same
/// way against libuv's own name for it.
const UV_CHECK: c_int = 2;

/// Room for a `uv_check_t` (120 bytes on 64-bit Linux and macOS), in words for alignment.
const CHECK_WORDS: usize = 32;

type CheckCb = unsafe extern "C" fn(handle: *mut c_void);

extern "C" {
    fn uv_check_init(event_loop: *mut sys::uv_loop_s, handle: *mut c_void) -> c_int;
    fn uv_check_start(handle: *mut c_void, cb: CheckCb) -> c_int;
    fn uv_check_stop(handle: *mut c_void) -> c_int;
}

/// A `uv_check_t` and the environment its callback serves, in one allocation that libuv holds
/// while the handle is open. `repr(C)` with the handle first: the pointer libuv passes back is the
/// slot's.
#[repr(C)]
struct CheckSlot {
    handle: [u64; CHECK_WORDS],
    env: Env,
}

/// The operations left for the end of this loop turn's poll phase, and the handle that runs them.
pub(crate) struct LoopEnd {
    slot: NonNull<CheckSlot>,
    /// Operation ids woken during this turn's reads, in the order they were first woken.
    waiting: RefCell<Vec<u32>>,
}

impl LoopEnd {
    /// A check handle on `env`'s loop (unreferenced, not started), or None where libuv's check
    /// type is not the one this module knows.
    pub(crate) fn new(env: Env) -> Option<LoopEnd> {
        if !handle_type_confirmed(UV_CHECK, c"check") {
            return None;
        }
        // SAFETY: a query of a constant of libuv's for a handle type it has.
        let size = unsafe { uv_handle_size(UV_CHECK) };
        if size == 0 || size > CHECK_WORDS * 8 {
            return None;
        }
        let event_loop = env.get_uv_event_loop().ok().filter(|l| !l.is_null())?;
        let slot = NonNull::from(Box::leak(Box::new(CheckSlot {
            handle: [0; CHECK_WORDS],
            env,
        })));
        // SAFETY: `event_loop` is this thread's loop (from `env`); the slot holds at least
        // `uv_handle_size` bytes (checked above).
        if unsafe { uv_check_init(event_loop, slot.as_ptr().cast()) } != 0 {
            // SAFETY: never initialised, so libuv does not have it: still only ours.
            drop(unsafe { Box::from_raw(slot.as_ptr()) });
            return None;
        }
        // SAFETY: an initialised handle of this thread's loop.
        unsafe { uv_unref(slot.as_ptr().cast()) };
        Some(LoopEnd {
            slot,
            waiting: RefCell::new(Vec::new()),
        })
    }

    fn handle(&self) -> *mut c_void {
        self.slot.as_ptr().cast()
    }

    /// Leaves operation `id` (woken by a read) for the end of this turn's poll phase; once per
    /// turn however often it is woken. False when the handle cannot be started: the caller
    /// polls it now instead.
    pub(crate) fn leave(&self, id: u32) -> bool {
        let mut waiting = self.waiting.borrow_mut();
        if waiting.is_empty() {
            // SAFETY: an open handle (`self` exists) of this thread's loop; `on_check` reads only
            // the slot, which lives until the close callback.
            if unsafe { uv_check_start(self.handle(), on_check) } != 0 {
                return false;
            }
        }
        if !waiting.contains(&id) {
            waiting.push(id);
        }
        true
    }

    /// What was left for now; stops the handle until something is left again.
    fn take(&self) -> Vec<u32> {
        // SAFETY: an open handle of this thread's loop.
        unsafe { uv_check_stop(self.handle()) };
        std::mem::take(&mut *self.waiting.borrow_mut())
    }
}

impl Drop for LoopEnd {
    fn drop(&mut self) {
        // SAFETY: an open handle, closed only here, once, on this thread's loop (the hub holding
        // it lives on the JS thread). `uv_close` stops it at once; libuv gives the slot back to
        // `on_closed`.
        unsafe { uv_close(self.handle(), on_closed) };
    }
}

/// libuv's close callback: frees the slot.
///
/// # Safety
/// Called by libuv, once, with the handle `LoopEnd::drop` closed.
unsafe extern "C" fn on_closed(handle: *mut c_void) {
    // SAFETY: the handle is the first field of a `CheckSlot` leaked in `LoopEnd::new`, which
    // libuv no longer uses.
    drop(unsafe { Box::from_raw(handle.cast::<CheckSlot>()) });
}

/// libuv's check callback: polls (and settles) what this turn's reads left.
///
/// # Safety
/// Called by libuv on the loop's (JS) thread with the started handle of a `LoopEnd`.
unsafe extern "C" fn on_check(handle: *mut c_void) {
    // SAFETY: the handle is the first field of a live `CheckSlot` (an open handle keeps it).
    let env = unsafe { (*handle.cast::<CheckSlot>()).env };
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Ok(hub) = crate::hub::Hub::of(&env) else {
            return;
        };
        if let Some(end) = hub.loop_end() {
            let ids = end.take();
            hub.settle_each(ids);
        }
    }));
}
