//! Small received frames cross into JavaScript through one shared byte array, not one native
//! `Buffer` each.
//!
//! Creating a `Buffer` from native code (`napi_create_buffer_copy`) is the largest single cost of
//! delivering a small message: ~4.5% of a 16 B client's CPU in `perf`, most of it making the
//! object, not copying 16 bytes. JavaScript makes small Buffers more cheaply (each still with
//! memory of its own). So the JS layer hands its environment's hub a byte array (the slab); a
//! message's small frames are copied into it back to back and stand in the frame array as their
//! lengths, and the JS layer turns them into Buffers (`unpack` in `lib/native.js`) before anything
//! else can touch the slab: at once, in the same call that received them.
//!
//! One slab per environment, held by its hub (napi instance data, see `hub.rs`).

use napi::bindgen_prelude::Uint8Array;
use std::cell::RefCell;

/// The slab: a JS `Uint8Array`, kept alive by the reference napi-rs's `Uint8Array` holds.
pub(crate) struct Slab {
    array: RefCell<Uint8Array>,
}

impl Slab {
    pub(crate) fn new(array: Uint8Array) -> Slab {
        Slab {
            array: RefCell::new(array),
        }
    }

    /// Runs `f` with a packer that writes from the front of the slab.
    pub(crate) fn pack<R>(&self, f: impl FnOnce(&mut Packer<'_>) -> R) -> R {
        let mut array = self.array.borrow_mut();
        // SAFETY: napi-rs cannot rule out that JavaScript writes the array's memory meanwhile.
        // None runs while the packer exists: it lives inside one conversion of a result on the JS
        // thread (the hub is only reachable there), and the napi calls made meanwhile create
        // values (arrays, numbers, Buffers), which runs no JavaScript. The array is not detached:
        // `lib/native.js` owns it and never transfers it; a detached one gives an empty slice.
        let bytes = unsafe { array.as_mut() };
        f(&mut Packer { bytes, used: 0 })
    }
}

/// Where one message's small frames go.
pub(crate) struct Packer<'a> {
    bytes: &'a mut [u8],
    used: usize,
}

impl Packer<'_> {
    /// Copies `frame` into the slab after the frames packed so far; false (nothing copied) if
    /// there is no room left in it.
    pub(crate) fn pack(&mut self, frame: &[u8]) -> bool {
        let Some(end) = self.used.checked_add(frame.len()) else {
            return false;
        };
        let Some(room) = self.bytes.get_mut(self.used..end) else {
            return false;
        };
        room.copy_from_slice(frame);
        self.used = end;
        true
    }
}
