//! Receive batching: when a receive finds several messages queued, they cross into JavaScript in
//! one call, as an array of messages, and the JS layer serves the next receives from a queue of
//! its own (`lib/native.js`). The engine keeps counting those against the receive high-water mark
//! until the next native receive (see `Inbound::pop_lent`), so back-pressure stays exact.

use crate::js_error::check;
use crate::message;
use crate::slab::Packer;
use napi::sys;
use std::ptr;
use zeromq_napi_engine::Message;

/// The most messages one receive hands over. Past a few dozen the per-call cost is already
/// spread thin; more only holds messages longer in the JS queue (and in the slab, 64 KiB: a
/// batch's small frames are packed there back to back, and those that do not fit cross as
/// Buffers of their own).
pub(crate) const MAX: usize = 256;

/// A batch as `Buffer[][]` (frames packed into the slab as in [`message::to_js`], one packer
/// across the batch, so the JS layer unpacks them in order from offset 0).
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
pub(crate) unsafe fn to_js(
    env: sys::napi_env,
    batch: Vec<Message>,
) -> napi::Result<sys::napi_value> {
    let mut array = ptr::null_mut();
    check(
        // SAFETY: JS thread of `env` (so every call below); `array` is a local.
        unsafe { sys::napi_create_array_with_length(env, batch.len(), &mut array) },
        "napi_create_array_with_length",
    )?;
    let mut packer = Packer::new();
    for (i, m) in batch.into_iter().enumerate() {
        // SAFETY: as above.
        let value = unsafe { message::to_js_packed(env, m, &mut packer)? };
        check(
            // SAFETY: as above; `array` and `value` were made in this env.
            unsafe { sys::napi_set_element(env, array, i as u32, value) },
            "napi_set_element",
        )?;
    }
    Ok(array)
}
