//! Message frames across the boundary, without copying large ones.
//!
//! JS -> Rust: an `ArrayBufferView`/`ArrayBuffer` is borrowed, as `&'a [u8]` over the JS memory,
//! for as long as the native call's argument is (a [`CallMessage<'a>`]); strings are copied (as
//! UTF-8). The engine's sends take the frames as `FrameRef`s for the call and keep (copy) only what
//! they could not write; a message that has to wait is copied (`frame_ref::keep`, in `Socket::send`). The
//! borrow cannot outlive the call, so no JS memory is referenced once it has returned, and the
//! caller may change, reuse, transfer or detach its buffers right after `send()` (API.md, Messages).
//!
//! Rust -> JS: a large `Bytes` (see [`RX_ZERO_COPY_MIN`]) becomes an external `Buffer` whose
//! finalizer drops the `Bytes`; small ones are copied into a JS-owned `Buffer`. Each external
//! Buffer is reported to V8 as external memory while it lives (see [`buffer`]).

use crate::hub::Hub;
use crate::js_error::check;
use crate::slab::Packer;
use bytes::Bytes;
use napi::bindgen_prelude::{BufferSlice, Unknown};
use napi::{sys, Env, Error, JsValue, Result, Status};
use std::ptr;
use zeromq_napi_engine::wire::frame_ref::FrameRef;
use zeromq_napi_engine::Message;

/// Rust -> JS: frames of at least this many bytes become external Buffers; smaller ones are copied.
///
/// The engine decodes frames as slices of its read buffer, which it allocates at least 8 KiB at a
/// time, so a small received frame shares (and keeps alive) a whole read chunk. Wrapped as an
/// external Buffer, V8 would account it at its own size while it pins 8 KiB or more until the next
/// GC: 100k round trips of 1 KiB frames grew RSS by ~170 MB that way, and were ~10% slower than
/// copying (a copy of a few KiB costs less than an external buffer's creation and finalization).
/// From 8 KiB up a frame fills most of the chunk it lives in.
pub(crate) const RX_ZERO_COPY_MIN: usize = 8 * 1024;

fn type_error(index: Option<u32>) -> Error {
    let what = match index {
        Some(i) => format!("message frame {i}"),
        None => "message".to_owned(),
    };
    Error::new(
        Status::InvalidArg,
        format!("{what} must be a string, Buffer, ArrayBufferView, ArrayBuffer or null"),
    )
}

/// One frame of a message read from JS.
enum CallFrame<'a> {
    /// A string, as UTF-8 bytes of its own.
    Copied(Bytes),
    /// The bytes of a binary value, in JS memory, borrowed for the native call.
    Lent(&'a [u8]),
}

/// A message read from JS by [`from_js`]: its binary frames borrow JS memory for `'a`, a borrow of
/// the native call's argument, so they cannot outlive the call.
pub(crate) struct CallMessage<'a> {
    frames: Vec<CallFrame<'a>>,
}

impl CallMessage<'_> {
    /// The frames, for an engine send (which keeps nothing of them past the call but copies).
    pub(crate) fn frames(&self) -> Vec<FrameRef<'_>> {
        self.frames
            .iter()
            .map(|frame| match frame {
                CallFrame::Copied(bytes) => FrameRef::Shared(bytes),
                CallFrame::Lent(bytes) => FrameRef::Lent(bytes),
            })
            .collect()
    }
}

/// One frame (`MessageLike`): a string copied, binary bytes borrowed for `'a`.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread and `value` a value in it, and `'a`
/// must end before the current native call returns (no JavaScript runs until then).
unsafe fn frame<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    index: Option<u32>,
) -> Result<CallFrame<'a>> {
    let mut kind = sys::ValueType::napi_undefined;
    check(
        // SAFETY: `env` is the live env of this thread and `value` a value in it (this function's
        // contract); `kind` is a local that outlives the call.
        unsafe { sys::napi_typeof(env, value, &mut kind) },
        "napi_typeof",
    )?;
    match kind {
        sys::ValueType::napi_null => return Ok(CallFrame::Lent(&[])),
        sys::ValueType::napi_string => {
            let mut len = 0usize;
            check(
                // SAFETY: `env`/`value` per this function's contract, `value` a string (its
                // `typeof`); a null buffer asks for the length only, into the local `len`.
                unsafe {
                    sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
                },
                "napi_get_value_string_utf8",
            )?;
            // napi writes a NUL terminator: ask for one more byte, then drop it.
            let mut buf = vec![0u8; len + 1];
            let mut written = 0usize;
            check(
                // SAFETY: `env`/`value` per this function's contract, `value` a string; `buf` has
                // room for the `buf.len()` bytes napi may write, NUL included.
                unsafe {
                    sys::napi_get_value_string_utf8(
                        env,
                        value,
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        &mut written,
                    )
                },
                "napi_get_value_string_utf8",
            )?;
            buf.truncate(written);
            return Ok(CallFrame::Copied(Bytes::from(buf)));
        }
        sys::ValueType::napi_object => {}
        _ => return Err(type_error(index)),
    }
    // SAFETY: `env`/`value` per this function's contract: what `binary_view::of` asks.
    let Some((data, len)) = (unsafe { crate::binary_view::of(env, value)? }) else {
        return Err(type_error(index));
    };
    // A detached buffer reports a null pointer; it has no bytes.
    if len == 0 || data.is_null() {
        return Ok(CallFrame::Lent(&[]));
    }
    // SAFETY: napi reported `len` readable bytes at `data`, and they stay readable for `'a`: no
    // JavaScript runs before the native call returns (the napi calls made here run none, and a
    // multipart message is a plain array without holes, made by `plainMessage` in
    // `lib/message.js`, so reading its elements runs no getter), so nothing can detach, shrink or
    // free the buffer, and `'a` ends before the call returns (the caller's guarantee).
    Ok(CallFrame::Lent(unsafe {
        std::slice::from_raw_parts(data, len)
    }))
}

/// One `MessageLike` or an array of them -> a message borrowing the JS memory of its binary
/// frames for `'a`. An empty array gives an empty message, which the engine refuses (`EINVAL`);
/// the JS layer has already rejected it with a `TypeError` (`checkMessage` in `lib/message.js`),
/// the one check users see.
///
/// `'a` is the borrow of `value`, an argument of the current native call, so it ends before the
/// call returns.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread and `value` a value in it.
pub(crate) unsafe fn from_js<'a>(
    env: sys::napi_env,
    value: &'a Unknown<'_>,
) -> Result<CallMessage<'a>> {
    let value = value.raw();
    let mut is_array = false;
    check(
        // SAFETY: `env` is the live env of this thread and `value` a value in it (this function's
        // contract); `is_array` is a local that outlives the call.
        unsafe { sys::napi_is_array(env, value, &mut is_array) },
        "napi_is_array",
    )?;
    if !is_array {
        // SAFETY: `frame`'s contract is this function's: the same `env`/`value`, and `'a` ends
        // before the call returns (the borrow of `value`, an argument of the call).
        let frames = vec![unsafe { frame(env, value, None)? }];
        return Ok(CallMessage { frames });
    }
    let mut count = 0u32;
    check(
        // SAFETY: `env`/`value` per this function's contract, `value` an array (just checked);
        // `count` is a local.
        unsafe { sys::napi_get_array_length(env, value, &mut count) },
        "napi_get_array_length",
    )?;
    let mut frames = Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut element = ptr::null_mut();
        check(
            // SAFETY: `env`/`value` per this function's contract, `value` an array of `count`
            // elements and `i` below that; `element` is a local.
            unsafe { sys::napi_get_element(env, value, i, &mut element) },
            "napi_get_element",
        )?;
        // SAFETY: `element` was just read from `value`, so is a value of this live env; its
        // frames borrow for `'a` as the single frame's above.
        frames.push(unsafe { frame(env, element, Some(i))? });
    }
    Ok(CallMessage { frames })
}

/// Tells V8 that `bytes` more (or fewer) bytes outside its heap live and die with JS objects.
fn report_external(env: &Env, bytes: i64) {
    // Only fails for an invalid env; the count is a GC hint, nothing to do about it then.
    let _ = env.adjust_external_memory(bytes);
}

/// One frame as a Node `Buffer`.
///
/// A large frame becomes an external Buffer over the engine's memory, and its size is reported to
/// V8 with `napi_adjust_external_memory` until the finalizer runs (as zeromq.js does). V8 already
/// counts an external Buffer's bytes once (`process.memoryUsage().external` shows them), but only
/// collects after some 64 MiB of external memory was added since its last collection, and
/// received frames are exactly that kind of short-lived garbage (a JS heap that hardly grows gives
/// it no other reason to collect). Counted twice, they are collected after ~32 MiB
/// (`__test__/memory.test.ts`): 100 x 1 MiB round trips between two processes peaked at ~112 MiB
/// RSS per process before, ~83 after, as zeromq.js. The price: a collection the report starts is a
/// full (incremental mark-compact) one, where V8's own count got cheap scavenges; in 3000 x 64 KiB
/// round trips GC time rose from ~4 to ~20-25 ms and p99 latency from ~0.25 to ~0.6-1.5 ms (again
/// as zeromq.js's), the median did not move.
///
/// Where the runtime refuses external Buffers (napi-rs then copies the frame), or the JS layer
/// asked for copies, large frames are copied; after a refusal every later one is (see
/// `Hub::refuse_external_buffers`).
fn buffer<'env>(env: &'env Env, hub: &Hub, bytes: Bytes) -> Result<BufferSlice<'env>> {
    let len = bytes.len();
    if len < RX_ZERO_COPY_MIN || !hub.external_buffers() {
        return BufferSlice::copy_from(env, &bytes);
    }
    let data = bytes.as_ptr().cast_mut();
    // Before creating: the finalizer (which reports the release) may run even on failure.
    report_external(env, len as i64);
    // SAFETY: `data` is `len` bytes that `bytes` owns; napi-rs hands `bytes` to the finalizer
    // (which drops it) only when the Buffer is collected, or at once when it copied instead, so the
    // bytes outlive every view of them. JS may write through the Buffer: `Bytes` from the engine's
    // read buffer are not read again by anyone else once handed over (this is their only owner).
    let made = unsafe {
        BufferSlice::from_external(env, data, len, bytes, |env, bytes: Bytes| {
            report_external(&env, -(bytes.len() as i64));
        })
    }?;
    if made.as_ptr() != data.cast_const() {
        // The runtime refused external memory (a V8 sandbox): napi-rs copied; so will we.
        hub.refuse_external_buffers();
    }
    Ok(made)
}

/// A message as `Buffer[]`, except that small frames packed into the environment's slab (see
/// `slab.rs`) stand as their lengths (numbers), which the JS layer turns into Buffers at once.
pub(crate) fn to_js(env: &Env, message: Message) -> Result<sys::napi_value> {
    let hub = Hub::of(env)?;
    hub.slab()
        .pack(|packer| to_js_packed(env, hub, message, packer))
}

/// [`to_js`] packing into the slab after what `packer` packed before (the messages of a batch,
/// back to back: `src/batch.rs`).
pub(crate) fn to_js_packed(
    env: &Env,
    hub: &Hub,
    message: Message,
    packer: &mut Packer<'_>,
) -> Result<sys::napi_value> {
    let mut array = env.create_array(message.len() as u32)?;
    for (i, bytes) in message.into_iter().enumerate() {
        if bytes.len() < RX_ZERO_COPY_MIN && packer.pack(&bytes) {
            // Stands for the bytes just packed into the slab; the JS layer makes the Buffer.
            array.set(i as u32, bytes.len() as u32)?;
        } else {
            array.set(i as u32, &buffer(env, hub, bytes)?)?;
        }
    }
    Ok(array.raw())
}
