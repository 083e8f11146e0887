//! Receive batching: when a receive finds several messages queued, they cross into JavaScript in
//! one call, as an array of messages, and the JS layer serves the next receives from a queue of
//! its own (`lib/socket.js`). The engine keeps counting those against the receive high-water mark
//! until the next native receive (see `Inbound::pop_lent`), so back-pressure stays exact.

use crate::hub::Hub;
use crate::message;
use napi::bindgen_prelude::{Null, ToNapiValue};
use napi::{sys, Env, JsValue, Result};
use zeromq_napi_engine::Message;

/// The most messages one receive hands over. Past a few dozen the per-call cost is already
/// spread thin; more only holds messages longer in the JS queue (and in the slab, 64 KiB: a
/// batch's small frames are packed there back to back, and those that do not fit cross as
/// Buffers of their own).
pub(crate) const MAX: usize = 256;

/// A received message as JavaScript takes it: `null` when it went whole into the slab and its
/// layout (`Slab::lay_out`, which `lib/native.js` reads back), else `Buffer[]` as
/// [`message::to_js`] makes it.
pub(crate) fn one_to_js(env: &Env, message: Message) -> Result<sys::napi_value> {
    let hub = Hub::of(env)?;
    if hub.slab().lay_out(
        std::slice::from_ref(&message),
        false,
        message::RX_ZERO_COPY_MIN,
    ) {
        return null(env);
    }
    message::to_js(env, message)
}

/// A batch as `null` when it went whole into the slab and its layout (see [`one_to_js`]), else
/// as `Buffer[][]` (frames packed into the slab as in [`message::to_js`], one packer
/// across the batch, so the JS layer unpacks them in order from offset 0).
pub(crate) fn to_js(env: &Env, batch: Vec<Message>) -> Result<sys::napi_value> {
    let hub = Hub::of(env)?;
    if hub.slab().lay_out(&batch, true, message::RX_ZERO_COPY_MIN) {
        return null(env);
    }
    let mut array = env.create_array(batch.len() as u32)?;
    hub.slab().pack(|packer| {
        for (i, m) in batch.into_iter().enumerate() {
            array.set(i as u32, message::to_js_packed(env, hub, m, packer)?)?;
        }
        Ok(array.raw())
    })
}

/// JavaScript's `null`: what a receive result laid out in the slab crosses as.
fn null(env: &Env) -> Result<sys::napi_value> {
    Ok(Null.into_unknown(env)?.raw())
}
