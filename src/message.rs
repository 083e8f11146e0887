//! Message frames across the boundary, without copying large ones.
//!
//! JS -> Rust: a large `ArrayBufferView`/`ArrayBuffer` becomes a `Bytes` over the JS memory that
//! is valid only during the native call that read it (a [`CallMessage`]): the engine writes what
//! the OS takes during that call straight from it and copies the rest before the call returns
//! (`FrameMemory::CallOnly`), and a message that has to wait is copied here ([`CallMessage::owned`]).
//! So no JS memory is referenced once the call has returned, and the caller may change, reuse,
//! transfer or detach its buffers right after `send()` (API.md, Messages). Small frames and strings
//! are copied at once (cheaper than the bookkeeping).
//!
//! Rust -> JS: a large `Bytes` (see [`RX_ZERO_COPY_MIN`]) becomes an external `Buffer` whose
//! finalizer drops the `Bytes`; small ones are copied into a JS-owned `Buffer`. Each external
//! Buffer is reported to V8 as external memory while it lives (see [`buffer`]).

use crate::hub::Hub;
use crate::js_error::check;
use bytes::Bytes;
use napi::bindgen_prelude::BufferSlice;
use napi::{sys, Env, Error, JsValue, Result, Status};
use std::ptr;
use zeromq_napi_engine::{FrameMemory, Message};

/// JS -> Rust: frames of at least this many bytes are not copied during the call; below it a copy
/// is cheaper than the bookkeeping.
pub(crate) const ZERO_COPY_MIN: usize = 256;

/// Rust -> JS: frames of at least this many bytes become external Buffers; smaller ones are copied.
///
/// Higher than `ZERO_COPY_MIN` on purpose. The engine decodes frames as slices of its read buffer,
/// which it allocates at least 8 KiB at a time, so a small received frame shares (and keeps alive)
/// a whole read chunk. Wrapped as an external Buffer, V8 would account it at its own size while it
/// pins 8 KiB or more until the next GC: 100k round trips of 1 KiB frames grew RSS by ~170 MB that
/// way, and were ~10% slower than copying (a copy of a few KiB costs less than an external
/// buffer's creation and finalization). From 8 KiB up a frame fills most of the chunk it lives in.
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

/// A message read from JS by [`from_js`]: its large frames point into JS memory that is valid only
/// until the native call that read it returns.
pub(crate) struct CallMessage {
    frames: Message,
    /// Some frame points into JS memory.
    lent: bool,
}

impl CallMessage {
    /// The frames, for an engine send that is told [`CallMessage::memory`] and hands back what it did
    /// not take (then [`CallMessage::owned`] before anything waits).
    pub(crate) fn into_frames(self) -> (Message, FrameMemory) {
        let memory = if self.lent {
            FrameMemory::CallOnly
        } else {
            FrameMemory::Owned
        };
        (self.frames, memory)
    }

    /// The frames, with any that point into JS memory copied: what an operation that outlives the
    /// call may hold.
    pub(crate) fn owned(self) -> Message {
        let memory = if self.lent {
            FrameMemory::CallOnly
        } else {
            FrameMemory::Owned
        };
        owned(self.frames, memory)
    }
}

/// `frames` handed back by an engine send told `memory`, made safe to keep past the call: the frames
/// that may point into JS memory (large ones; the engine's own envelope frames are small) copied.
pub(crate) fn owned(frames: Message, memory: FrameMemory) -> Message {
    match memory {
        FrameMemory::Owned => frames,
        FrameMemory::CallOnly => frames
            .into_iter()
            .map(|f| {
                if f.len() >= ZERO_COPY_MIN {
                    Bytes::copy_from_slice(&f)
                } else {
                    f
                }
            })
            .collect(),
    }
}

/// One frame (`MessageLike`) as bytes: copied, or (large binary) pointing into the JS memory
/// (`lent` is then set).
///
/// # Safety
/// `env` must be the live environment of the calling JS thread and `value` a value in it. A frame
/// that points into JS memory must be gone, or copied, before the current native call returns.
unsafe fn frame(
    env: sys::napi_env,
    value: sys::napi_value,
    lent: &mut bool,
    index: Option<u32>,
) -> Result<Bytes> {
    let mut kind = sys::ValueType::napi_undefined;
    check(
        // SAFETY: `env` is the live env of this thread and `value` a value in it (this function's
        // contract); `kind` is a local that outlives the call.
        unsafe { sys::napi_typeof(env, value, &mut kind) },
        "napi_typeof",
    )?;
    match kind {
        sys::ValueType::napi_null => return Ok(Bytes::new()),
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
            return Ok(Bytes::from(buf));
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
        return Ok(Bytes::new());
    }
    if len < ZERO_COPY_MIN {
        // SAFETY: napi reported `len` readable bytes at `data`.
        return Ok(Bytes::copy_from_slice(unsafe {
            std::slice::from_raw_parts(data, len)
        }));
    }
    *lent = true;
    // SAFETY: napi reported `len` readable bytes at `data`, and they stay readable (no JavaScript
    // runs, so nothing can detach, shrink or free the buffer: the napi calls made here run none,
    // and a multipart message is a plain array without holes, made by `plainMessage` in
    // `lib/message.js`, so reading its elements runs no getter) until this native call returns; the
    // caller's duty is that no `Bytes` over them is left then (see `CallMessage`). `'static` is
    // what `Bytes` needs to borrow without an owner: it is never relied on past the call.
    let bytes: &'static [u8] = unsafe { std::slice::from_raw_parts(data, len) };
    Ok(Bytes::from_static(bytes))
}

/// One `MessageLike` or an array of them -> engine message. An empty array gives an empty
/// message, which the engine refuses (`EINVAL`); the JS layer has already rejected it with a
/// `TypeError` (`checkMessage` in `lib/message.js`), the one check users see.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread and `value` a value in it; the
/// result must not outlive the current native call except through [`CallMessage::owned`] or an
/// engine send told `FrameMemory::CallOnly`.
pub(crate) unsafe fn from_js(env: sys::napi_env, value: sys::napi_value) -> Result<CallMessage> {
    let mut lent = false;
    let mut is_array = false;
    check(
        // SAFETY: `env` is the live env of this thread and `value` a value in it (this function's
        // contract); `is_array` is a local that outlives the call.
        unsafe { sys::napi_is_array(env, value, &mut is_array) },
        "napi_is_array",
    )?;
    if !is_array {
        // SAFETY: `frame`'s contract is this function's: the same `env`/`value`, and frames that
        // point into JS memory only until the call returns (this function's caller's duty).
        let frames = vec![unsafe { frame(env, value, &mut lent, None)? }];
        return Ok(CallMessage { frames, lent });
    }
    let mut count = 0u32;
    check(
        // SAFETY: `env`/`value` per this function's contract, `value` an array (just checked);
        // `count` is a local.
        unsafe { sys::napi_get_array_length(env, value, &mut count) },
        "napi_get_array_length",
    )?;
    let mut message = Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut element = ptr::null_mut();
        check(
            // SAFETY: `env`/`value` per this function's contract, `value` an array of `count`
            // elements and `i` below that; `element` is a local.
            unsafe { sys::napi_get_element(env, value, i, &mut element) },
            "napi_get_element",
        )?;
        // SAFETY: `element` was just read from `value`, so is a value of this live env; frames
        // pointing into JS memory are bounded by the call as for the single frame above.
        message.push(unsafe { frame(env, element, &mut lent, Some(i))? });
    }
    Ok(CallMessage {
        frames: message,
        lent,
    })
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
    let mut array = env.create_array(message.len() as u32)?;
    hub.slab().pack(|packer| {
        for (i, bytes) in message.into_iter().enumerate() {
            if bytes.len() < RX_ZERO_COPY_MIN && packer.pack(&bytes) {
                // Stands for the bytes just packed into the slab; the JS layer makes the Buffer.
                array.set(i as u32, bytes.len() as u32)?;
            } else {
                array.set(i as u32, &buffer(env, hub, bytes)?)?;
            }
        }
        Ok(array.raw())
    })
}
