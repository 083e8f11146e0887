//! Where the bytes of a JS binary value are: any `TypedArray`, a `DataView` or an `ArrayBuffer`.
//! Used for the frames the engine sends (`message`) and for the slab (`slab`).

use crate::js_error::check;
use napi::{sys, Result};
use std::ptr;

/// The bytes of one JS value, if it is binary: (data, byte length). A detached buffer reports a
/// null pointer.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread and `value` a value in it.
pub(crate) unsafe fn of(
    env: sys::napi_env,
    value: sys::napi_value,
) -> Result<Option<(*mut u8, usize)>> {
    let mut yes = false;
    check(
        // SAFETY: `env` is the live env of this thread and `value` a value in it (the caller's
        // contract); `yes` is a local that outlives the call.
        unsafe { sys::napi_is_typedarray(env, value, &mut yes) },
        "napi_is_typedarray",
    )?;
    if yes {
        let mut kind = sys::TypedarrayType::uint8_array;
        let mut length = 0usize;
        let mut data = ptr::null_mut();
        check(
            // SAFETY: `env`/`value` per the caller's contract, and `value` is a typed array (just
            // checked); the out-pointers are locals or null, which napi allows for unwanted fields.
            unsafe {
                sys::napi_get_typedarray_info(
                    env,
                    value,
                    &mut kind,
                    &mut length,
                    &mut data,
                    ptr::null_mut(),
                    ptr::null_mut(),
                )
            },
            "napi_get_typedarray_info",
        )?;
        let size = match kind {
            sys::TypedarrayType::int16_array | sys::TypedarrayType::uint16_array => 2,
            sys::TypedarrayType::int32_array
            | sys::TypedarrayType::uint32_array
            | sys::TypedarrayType::float32_array => 4,
            sys::TypedarrayType::float64_array
            | sys::TypedarrayType::bigint64_array
            | sys::TypedarrayType::biguint64_array => 8,
            // int8, uint8, uint8_clamped (and any element type Node adds later: 1 byte is the
            // safe lower bound, never reading past the view).
            _ => 1,
        };
        return Ok(Some((data.cast(), length.saturating_mul(size))));
    }
    check(
        // SAFETY: `env`/`value` per the caller's contract; `yes` is a local.
        unsafe { sys::napi_is_dataview(env, value, &mut yes) },
        "napi_is_dataview",
    )?;
    if yes {
        let mut length = 0usize;
        let mut data = ptr::null_mut();
        check(
            // SAFETY: `env`/`value` per the caller's contract, and `value` is a DataView (just
            // checked); the out-pointers are locals or null, which napi allows for unwanted fields.
            unsafe {
                sys::napi_get_dataview_info(
                    env,
                    value,
                    &mut length,
                    &mut data,
                    ptr::null_mut(),
                    ptr::null_mut(),
                )
            },
            "napi_get_dataview_info",
        )?;
        return Ok(Some((data.cast(), length)));
    }
    check(
        // SAFETY: `env`/`value` per the caller's contract; `yes` is a local.
        unsafe { sys::napi_is_arraybuffer(env, value, &mut yes) },
        "napi_is_arraybuffer",
    )?;
    if yes {
        let mut length = 0usize;
        let mut data = ptr::null_mut();
        check(
            // SAFETY: `env`/`value` per the caller's contract, and `value` is an ArrayBuffer (just
            // checked); `data` and `length` are locals.
            unsafe { sys::napi_get_arraybuffer_info(env, value, &mut data, &mut length) },
            "napi_get_arraybuffer_info",
        )?;
        return Ok(Some((data.cast(), length)));
    }
    Ok(None)
}
