//! Small received frames cross into JavaScript through one shared byte array, not one native
//! `Buffer` each.
//!
//! Creating a `Buffer` from native code (`napi_create_buffer_copy`) is the largest single cost of
//! delivering a small message: ~4.5% of a 16 B client's CPU in `perf`, most of it making the
//! object, not copying 16 bytes. JavaScript makes small Buffers more cheaply (each still with
//! memory of its own). So the JS layer hands each thread's hub a byte array (the slab); a
//! message's small frames are copied into it back to back and stand in the frame array as their
//! lengths, and the JS layer turns them into Buffers (`unpack` in `lib/native.js`) before anything
//! else can touch the slab: at once, in the same call that received them.
//!
//! One slab per JS thread (each environment has its own hub and thread), so it lives in a
//! thread-local, set when the hub is made and cleared when its environment tears down.

use crate::js_error::check;
use napi::sys;
use std::cell::Cell;
use std::ptr;

thread_local! {
    /// This thread's slab: its bytes (pointer, length), kept alive by a reference the hub holds.
    /// Thread-local, so the pointer never leaves the JS thread that owns the array.
    static SLAB: Cell<Option<(*mut u8, usize)>> = const { Cell::new(None) };
}

/// Registers `value` (a `Uint8Array`; any binary view would do) as this thread's slab; returns a
/// reference that keeps it alive (the hub keeps it for its lifetime).
///
/// # Safety
/// `env` must be the live environment of the calling JS thread and `value` a value in it.
pub(crate) unsafe fn install(
    env: sys::napi_env,
    value: sys::napi_value,
) -> napi::Result<sys::napi_ref> {
    // SAFETY: `env` and `value` as the caller guarantees.
    let view = unsafe { crate::binary_view::of(env, value)? };
    let mut reference = ptr::null_mut();
    check(
        // SAFETY: as above; `reference` is a local that outlives the call.
        unsafe { sys::napi_create_reference(env, value, 1, &mut reference) },
        "slab",
    )?;
    if let Some((data, length)) = view.filter(|&(data, length)| !data.is_null() && length > 0) {
        SLAB.with(|s| s.set(Some((data, length))));
    }
    Ok(reference)
}

/// The environment is going away: its slab is no longer there to write to.
pub(crate) fn uninstall() {
    SLAB.with(|s| s.set(None));
}

/// Where one message's small frames go; starts at the front of the slab.
pub(crate) struct Packer {
    slab: Option<(*mut u8, usize)>,
    used: usize,
}

impl Packer {
    pub(crate) fn new() -> Packer {
        Packer {
            slab: SLAB.with(Cell::get),
            used: 0,
        }
    }

    /// Copies `bytes` into the slab after the frames packed so far; false (nothing copied) if
    /// there is no slab or no room left in it.
    pub(crate) fn pack(&mut self, bytes: &[u8]) -> bool {
        let Some((data, len)) = self.slab else {
            return false;
        };
        let Some(end) = self.used.checked_add(bytes.len()).filter(|&end| end <= len) else {
            return false;
        };
        // SAFETY: the slab's bytes are `len` long and stay allocated (the hub references the
        // array); `used..end` is within them; JS does not run while this copies.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data.add(self.used), bytes.len()) };
        self.used = end;
        true
    }
}
