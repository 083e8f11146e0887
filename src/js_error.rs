//! Engine errors as JS `Error` objects with a string `.code`, `.errno`, zeromq.js's `.message`,
//! our `.detail` (and `.address` for endpoint errors).
//!
//! napi-rs makes the `Error` (`Env::create_error`); the fields zeromq.js has beyond `.code` are set
//! on it. Sync functions throw them (returning a `PendingException` status so napi-rs does not
//! throw a second error); async results pass them to the JS settle callback as values.

use napi::bindgen_prelude::Object;
use napi::{sys, Env, Error, JsValue, Status};
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

/// `Error(message)` with `.code = code` and, when given, `.address`; the plain form, for errors
/// outside the table of [`ErrorCode`] (an internal error). napi-rs makes the `Error` with its
/// status as `.code`; the status here is the code itself.
fn make<'env>(
    env: &'env Env,
    code: &str,
    message: &str,
    address: Option<&str>,
) -> napi::Result<Object<'env>> {
    let made = env.create_error(Error::new(Status::GenericFailure, message.to_owned()))?;
    // `create_error` takes napi-rs's own `Status` (its name becomes `.code`): ours is set over it.
    let mut error = Object::from_raw(env.raw(), made.raw());
    error.set("code", code)?;
    if let Some(address) = address {
        error.set("address", address)?;
    }
    Ok(error)
}

/// An error of the public table (API.md "Errors"): `.message` is zeromq.js's text for `code`,
/// `.errno` libzmq's number for it, `.detail` what happened in this case.
pub(crate) fn make_coded<'env>(
    env: &'env Env,
    code: ErrorCode,
    detail: &str,
    address: Option<&str>,
) -> napi::Result<Object<'env>> {
    coded(env, code, code.text(), detail, address)
}

/// An engine error as a JS `Error` (see [`make_coded`]; `.message` is zeromq.js's text for its
/// case where it has one: `EngineError::text`).
pub(crate) fn from_engine<'env>(env: &'env Env, error: &EngineError) -> napi::Result<Object<'env>> {
    coded(
        env,
        error.code,
        error.text(),
        &error.message,
        error.address.as_deref(),
    )
}

fn coded<'env>(
    env: &'env Env,
    code: ErrorCode,
    text: &str,
    detail: &str,
    address: Option<&str>,
) -> napi::Result<Object<'env>> {
    let mut error = make(env, code.as_str(), text, address)?;
    error.set("errno", code.errno())?;
    error.set("detail", detail)?;
    Ok(error)
}

/// The internal error of a Rust panic (a bug; the panic never reaches Node).
pub(crate) fn internal<'env>(env: &'env Env, why: &str) -> napi::Result<Object<'env>> {
    make(
        env,
        PANIC_CODE,
        &format!("internal error in zeromq-napi (please report): {why}"),
        None,
    )
}

/// Throws `error` as a JS exception and returns the value a `#[napi]` function should return so
/// that napi-rs leaves that exception alone.
pub(crate) fn throw(env: &Env, error: &EngineError) -> Error {
    throw_value(env, from_engine(env, error), error.to_string())
}

/// Like [`throw`] for an error that did not come from the engine (`EBADF` of a released socket).
pub(crate) fn throw_code(env: &Env, code: ErrorCode, detail: &str) -> Error {
    throw_value(env, make_coded(env, code, detail, None), detail.to_owned())
}

/// Throws the internal error of a Rust panic.
pub(crate) fn throw_internal(env: &Env, why: &str) -> Error {
    throw_value(env, internal(env, why), why.to_owned())
}

fn throw_value(env: &Env, value: napi::Result<Object<'_>>, reason: String) -> Error {
    match value.and_then(|value| env.throw(value)) {
        Ok(()) => Error::new(Status::PendingException, reason),
        // Could not build or throw the object (env tearing down): let napi-rs report the reason.
        Err(_) => Error::new(Status::GenericFailure, reason),
    }
}

/// Throws a `TypeError` (bad argument that slipped past the JS layer's validation).
pub(crate) fn throw_type_error(env: &Env, message: &str) -> Error {
    match env.throw_type_error(&message.replace('\0', " "), None) {
        Ok(()) => Error::new(Status::PendingException, message.to_owned()),
        Err(_) => Error::new(Status::InvalidArg, message.to_owned()),
    }
}

/// One row of the public error table, for `lib/errors.js`.
#[napi_derive::napi(object)]
pub struct ErrorRow {
    pub code: String,
    pub errno: i32,
    pub message: String,
}

/// The public error table ([`ErrorCode`]: code, libzmq's errno on this platform, zeromq.js's
/// text), so that errors made in JavaScript match the ones made here.
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
