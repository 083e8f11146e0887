//! Engine errors as JS `Error` objects with a string `.code`, `.errno`, zeromq.js's `.message`,
//! our `.detail` (and `.address` for endpoint errors).
//!
//! napi-rs's own error conversion only carries a status string, so these objects are built with raw
//! napi calls. Sync methods throw them (returning a `PendingException` status so napi-rs does not
//! throw a second error); async results pass them to the JS settle callback as values.

use napi::{sys, Error, Status};
use std::ptr;
use zeromq_napi_engine::{Error as EngineError, ErrorCode};

/// A napi status as a `Result`; `what` names the failed step.
pub(crate) fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(Status::from(status), what.to_owned()))
    }
}

/// Code of the error reported when Rust code panicked (a bug; the panic never reaches Node).
pub(crate) const PANIC_CODE: &str = "EINTERNAL";

/// A JS string.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
unsafe fn string(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: the caller's guarantee; `s` is `s.len()` bytes of UTF-8 (no NUL needed with a
    // length) and `out` a local.
    let status =
        unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out) };
    if status != sys::Status::napi_ok {
        return Err(Error::new(Status::from(status), "cannot create a string"));
    }
    Ok(out)
}

/// Sets `object[name] = value` (`name` NUL-terminated).
///
/// # Safety
/// `env` must be the live environment of the calling JS thread; `object` and `value` made in it.
unsafe fn set(
    env: sys::napi_env,
    object: sys::napi_value,
    name: &std::ffi::CStr,
    value: sys::napi_value,
) -> napi::Result<()> {
    // SAFETY: the caller's guarantee; `name` is NUL-terminated.
    check(
        unsafe { sys::napi_set_named_property(env, object, name.as_ptr(), value) },
        "napi_set_named_property",
    )
}

/// Builds `Error(message)` with `.code = code` and, when given, `.address`; the plain form, for
/// errors outside the table of [`ErrorCode`] (an internal error).
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
pub(crate) unsafe fn make(
    env: sys::napi_env,
    code: &str,
    message: &str,
    address: Option<&str>,
) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller's guarantee (so every call below).
    let code_value = unsafe { string(env, code)? };
    // SAFETY: as above.
    let message_value = unsafe { string(env, message)? };
    let mut error = ptr::null_mut();
    // SAFETY: as above; both values were just made in `env`.
    let status = unsafe { sys::napi_create_error(env, code_value, message_value, &mut error) };
    if status != sys::Status::napi_ok {
        return Err(Error::new(Status::from(status), message.to_owned()));
    }
    if let Some(address) = address {
        // SAFETY: as above.
        let address_value = unsafe { string(env, address)? };
        // SAFETY: as above; `error` was just made in `env`.
        unsafe { set(env, error, c"address", address_value)? };
    }
    Ok(error)
}

/// Builds an error of the public table (API.md "Errors"): `.message` is zeromq.js's text for
/// `code`, `.errno` libzmq's number for it, `.detail` what happened in this case.
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
pub(crate) unsafe fn make_coded(
    env: sys::napi_env,
    code: ErrorCode,
    detail: &str,
    address: Option<&str>,
) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller's guarantee (so every call below).
    let error = unsafe { make(env, code.as_str(), code.text(), address)? };
    let mut errno = ptr::null_mut();
    check(
        // SAFETY: as above; `errno` is a local.
        unsafe { sys::napi_create_int32(env, code.errno(), &mut errno) },
        "napi_create_int32",
    )?;
    // SAFETY: as above; all values were made in `env`.
    unsafe { set(env, error, c"errno", errno)? };
    // SAFETY: as above.
    let detail_value = unsafe { string(env, detail)? };
    // SAFETY: as above.
    unsafe { set(env, error, c"detail", detail_value)? };
    Ok(error)
}

/// An engine error as a JS `Error` (see [`make_coded`]).
///
/// # Safety
/// `env` must be the live environment of the calling JS thread.
pub(crate) unsafe fn from_engine(
    env: sys::napi_env,
    error: &EngineError,
) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller's guarantee.
    unsafe { make_coded(env, error.code, &error.message, error.address.as_deref()) }
}

/// Throws `error` as a JS exception and returns the value a `#[napi]` method should return so that
/// napi-rs leaves that exception alone. `env`: the env of the `#[napi]` call this runs in (all
/// callers are such methods, on their JS thread).
pub(crate) fn throw(env: sys::napi_env, error: &EngineError) -> Error {
    // SAFETY: `env` is the live env of the calling JS thread (see above).
    throw_value(env, unsafe { from_engine(env, error) }, error.to_string())
}

/// Like [`throw`] for an error that did not come from the engine (`EBADF` of a finalized object).
pub(crate) fn throw_code(env: sys::napi_env, code: ErrorCode, detail: &str) -> Error {
    throw_value(
        env,
        // SAFETY: as in `throw`.
        unsafe { make_coded(env, code, detail, None) },
        detail.to_owned(),
    )
}

/// Throws the internal error of a Rust panic (a bug; the panic never reaches Node).
pub(crate) fn throw_internal(env: sys::napi_env, message: &str) -> Error {
    throw_value(
        env,
        // SAFETY: as in `throw`.
        unsafe { make(env, PANIC_CODE, message, None) },
        message.to_owned(),
    )
}

fn throw_value(env: sys::napi_env, value: napi::Result<sys::napi_value>, reason: String) -> Error {
    match value {
        Ok(value) => {
            // SAFETY: `env` is the live env of this call; `value` was created in it.
            let status = unsafe { sys::napi_throw(env, value) };
            if status == sys::Status::napi_ok {
                return Error::new(Status::PendingException, reason);
            }
            Error::new(Status::GenericFailure, reason)
        }
        // Could not build the object (env tearing down): let napi-rs report the reason.
        Err(_) => Error::new(Status::GenericFailure, reason),
    }
}

/// Throws a `TypeError` (bad argument that slipped past the JS layer's validation).
pub(crate) fn throw_type_error(env: sys::napi_env, message: &str) -> Error {
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: `env` is the live env of this call; both strings are NUL-terminated.
    let status = unsafe { sys::napi_throw_type_error(env, ptr::null(), text.as_ptr()) };
    if status == sys::Status::napi_ok {
        Error::new(Status::PendingException, message.to_owned())
    } else {
        Error::new(Status::InvalidArg, message.to_owned())
    }
}

/// One row of the public error table, for `lib/errors.js`.
#[cfg_attr(test, allow(dead_code))]
#[napi_derive::napi(object)]
pub struct ErrorRow {
    pub code: String,
    pub errno: i32,
    pub message: String,
}

/// The public error table ([`ErrorCode`]: code, libzmq's errno on this platform, zeromq.js's
/// text), so that errors made in JavaScript match the ones made here.
#[cfg_attr(test, allow(dead_code))]
#[napi_derive::napi]
pub fn error_table() -> Vec<ErrorRow> {
    ErrorCode::ALL
        .iter()
        .map(|code| ErrorRow {
            code: code.as_str().to_owned(),
            errno: code.errno(),
            message: code.text().to_owned(),
        })
        .collect()
}
