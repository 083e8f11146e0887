//! Message frames across the boundary, without copying large ones.
//!
//! JS -> Rust: an `ArrayBufferView`/`ArrayBuffer` is borrowed, as `&'a [u8]` over the JS memory,
//! for as long as the native call's argument is (a [`CallMessage<'a>`]); strings are copied (as
//! UTF-8). The engine's sends take the frames as `FrameRef`s for the call and keep (copy) only what
//! they could not write; a message that has to wait is copied here ([`CallMessage::owned`]). The
//! borrow cannot outlive the call, so no JS memory is referenced once it has returned, and the
//! caller may change, reuse, transfer or detach its buffers right after `send()` (API.md, Messages).
//!
//! Rust -> JS: a large `Bytes` (see [`RX_ZERO_COPY_MIN`]) becomes an external `Buffer` whose
//! finalizer drops the `Bytes`; small ones are copied into a JS-owned `Buffer`. Each external
//! Buffer is reported to V8 as external memory while it lives (see [`buffer`]).

use crate::js_error::check;
use crate::slab::Packer;
use bytes::Bytes;
use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{sys, Error, JsValue, Result, Status};
use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;
use zeromq_napi_engine::wire::frame_ref::{self, FrameRef};
use zeromq_napi_engine::Message;

thread_local! {
    /// Whether this JS thread's runtime takes external Buffers. Cleared when the JS layer asks
    /// for copies, or the first time napi refuses one (`napi_no_external_buffers_allowed`:
    /// runtimes whose V8 sandbox keeps array buffers in a memory cage, as Electron's), so that
    /// later frames go straight to the copy.
    static EXTERNAL_BUFFERS: Cell<bool> = const { Cell::new(true) };
}

/// From now on this JS thread gets large received frames as copies.
pub(crate) fn refuse_external_buffers() {
    EXTERNAL_BUFFERS.with(|e| e.set(false));
}

/// Whether large received frames become external Buffers on this JS thread.
pub(crate) fn external_buffers() -> bool {
    EXTERNAL_BUFFERS.with(Cell::get)
}

/// Rust -> JS: frames of at least this many bytes become external Buffers; smaller ones are copied.
///
/// The engine decodes frames as slices of its read buffer,
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

    /// The message as the engine's own: what an operation that outlives the call may hold.
    pub(crate) fn owned(&self) -> Message {
        frame_ref::keep(&self.frames())
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
        // SAFETY: `env` and `value` as the caller guarantees (so in every napi call below); the
        // out-pointers are locals that outlive the call.
        unsafe { sys::napi_typeof(env, value, &mut kind) },
        "napi_typeof",
    )?;
    match kind {
        sys::ValueType::napi_null => return Ok(CallFrame::Lent(&[])),
        sys::ValueType::napi_string => {
            let mut len = 0usize;
            check(
                // SAFETY: `env`/`value` as the caller guarantees; a null buffer asks for the
                // length only.
                unsafe {
                    sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
                },
                "napi_get_value_string_utf8",
            )?;
            // napi writes a NUL terminator: ask for one more byte, then drop it.
            let mut buf = vec![0u8; len + 1];
            let mut written = 0usize;
            check(
                // SAFETY: `env`/`value` as the caller guarantees; `buf` has room for
                // `buf.len()` bytes, NUL included.
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
    // SAFETY: `env`/`value` as the caller guarantees.
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
        // SAFETY: `env` and `value` as the caller guarantees (so in every call below); the
        // out-pointers are locals that outlive the call.
        unsafe { sys::napi_is_array(env, value, &mut is_array) },
        "napi_is_array",
    )?;
    if !is_array {
        // SAFETY: the caller's guarantees, passed on.
        let frames = vec![unsafe { frame(env, value, None)? }];
        return Ok(CallMessage { frames });
    }
    let mut count = 0u32;
    check(
        // SAFETY: `env`/`value` as the caller guarantees; `value` is an array.
        unsafe { sys::napi_get_array_length(env, value, &mut count) },
        "napi_get_array_length",
    )?;
    let mut frames = Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut element = ptr::null_mut();
        check(
            // SAFETY: `env`/`value` as the caller guarantees; `element` is a local.
            unsafe { sys::napi_get_element(env, value, i, &mut element) },
            "napi_get_element",
        )?;
        // SAFETY: the caller's guarantees, passed on; `element` is a value of this env.
        frames.push(unsafe { frame(env, element, Some(i))? });
    }
    Ok(CallMessage { frames })
}

/// Tells V8 that `bytes` more (or fewer) bytes outside its heap live and die with JS objects.
fn report_external(env: sys::napi_env, bytes: i64) {
    let mut total = 0i64;
    // Only fails for an invalid env; the count is a GC hint, nothing to do about it then.
    // SAFETY: called on the JS thread of `env` (native calls and Buffer finalizers).
    let _ = unsafe { sys::napi_adjust_external_memory(env, bytes, &mut total) };
}

/// Finalizer of an external Buffer made by [`buffer`].
///
/// # Safety
/// Called by napi, once, on the JS thread of `env`, with the `hint` that [`buffer`] registered.
unsafe extern "C" fn drop_bytes(env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the `Box<Bytes>` leaked in `buffer` for exactly this finalizer.
    let bytes = unsafe { Box::from_raw(hint.cast::<Bytes>()) };
    // Node runs Buffer finalizers on the JS thread (from a setImmediate-like callback, not
    // inside the GC), so the env may be used here.
    report_external(env, -(bytes.len() as i64));
    drop(bytes);
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
/// Where the runtime refuses external Buffers, or the JS layer asked for copies (see
/// [`refuse_external_buffers`]), large frames are copied too.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
pub(crate) unsafe fn buffer(env: sys::napi_env, bytes: Bytes) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    let len = bytes.len();
    if len >= RX_ZERO_COPY_MIN && external_buffers() {
        let data = bytes.as_ptr().cast_mut().cast::<c_void>();
        let hint = Box::into_raw(Box::new(bytes));
        // Before creating: the finalizer (which reports the release) may run even on failure.
        report_external(env, len as i64);
        // SAFETY: JS thread of `env` (the caller's guarantee); `data`/`len` stay valid while
        // `hint` (which owns them) lives, and `drop_bytes` frees `hint` when the Buffer dies.
        let status = unsafe {
            sys::napi_create_external_buffer(
                env,
                len,
                data,
                Some(drop_bytes),
                hint.cast(),
                &mut out,
            )
        };
        if status == sys::Status::napi_ok {
            return Ok(out);
        }
        if status != sys::Status::napi_no_external_buffers_allowed {
            // Node may already have run the finalizer for a failed buffer: leave `hint` alone
            // (a leak on a failure path beats a double free).
            return Err(Error::new(
                Status::from(status),
                "napi_create_external_buffer".to_owned(),
            ));
        }
        // Runtimes with a V8 sandbox refuse external memory: this frame and every later one
        // are copied (below).
        report_external(env, -(len as i64));
        refuse_external_buffers();
        // SAFETY: the finalizer was not registered, so the box is still ours.
        let bytes = unsafe { Box::from_raw(hint) };
        // SAFETY: the caller's guarantee.
        return unsafe { copy(env, &bytes) };
    }
    // SAFETY: the caller's guarantee.
    unsafe { copy(env, &bytes) }
}

/// `bytes` copied into a new JS-owned `Buffer`.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
unsafe fn copy(env: sys::napi_env, bytes: &[u8]) -> Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    if bytes.is_empty() {
        check(
            // SAFETY: JS thread of `env`; no data pointer is asked for.
            unsafe { sys::napi_create_buffer(env, 0, ptr::null_mut(), &mut out) },
            "napi_create_buffer",
        )?;
        return Ok(out);
    }
    check(
        // SAFETY: JS thread of `env`; `bytes` is `bytes.len()` readable bytes during the call.
        unsafe {
            sys::napi_create_buffer_copy(
                env,
                bytes.len(),
                bytes.as_ptr().cast(),
                ptr::null_mut(),
                &mut out,
            )
        },
        "napi_create_buffer_copy",
    )?;
    Ok(out)
}

/// A message as `Buffer[]`, except that small frames packed into this thread's slab (see
/// `slab.rs`) stand as their lengths (numbers), which the JS layer turns into Buffers at once.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
pub(crate) unsafe fn to_js(env: sys::napi_env, message: Message) -> Result<sys::napi_value> {
    let mut array = ptr::null_mut();
    check(
        // SAFETY: JS thread of `env` (so every call below); `array` is a local.
        unsafe { sys::napi_create_array_with_length(env, message.len(), &mut array) },
        "napi_create_array_with_length",
    )?;
    let mut packer = Packer::new();
    for (i, bytes) in message.into_iter().enumerate() {
        let value = if bytes.len() < RX_ZERO_COPY_MIN && packer.pack(&bytes) {
            // Stands for the bytes just packed into the slab; the JS layer makes the Buffer.
            // SAFETY: as above.
            unsafe { u32::to_napi_value(env, bytes.len() as u32)? }
        } else {
            // SAFETY: as above.
            unsafe { buffer(env, bytes)? }
        };
        check(
            // SAFETY: as above; `array` and `value` were made in this env.
            unsafe { sys::napi_set_element(env, array, i as u32, value) },
            "napi_set_element",
        )?;
    }
    Ok(array)
}
