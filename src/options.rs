//! The options object the JS layer passes (already validated there: names, types, ranges), and
//! the defaults it starts from. `JsOptions` and its conversions are generated from the option table
//! (`scripts/option-table.js`) into `option_table.rs`; here are the helpers of the options whose JS
//! value is not the engine's.
//!
//! The engine's `Options::default()` is the one source of default values at run time: the JS layer
//! reads them once from [`option_defaults`], keeps the full, current option set and always passes
//! all of it back. Only `routingId` may be absent (napi-rs reads `undefined` as "none"): no identity.

use crate::security::key_bytes;
use bytes::Bytes;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use zeroize::Zeroize;
use zeromq_napi_engine::wire::security::CurveSecretKey;
use zeromq_napi_engine::{CurveKey, Options, SecretBytes, SecretKey, XPublisherVerbosity};

include!("option_table.rs");

/// UTF-8 of a string identity, or the bytes of a binary one; empty = none.
/// An optional byte string (a routing id, a welcome message): empty is none, as in libzmq.
fn bytes_into_engine(bytes: &mut Option<Buffer>) -> Option<Bytes> {
    bytes
        .as_ref()
        .filter(|b| !b.is_empty())
        .map(|b| Bytes::copy_from_slice(b))
}

fn bytes_from_engine(bytes: Option<Bytes>) -> Option<Buffer> {
    bytes.map(|b| Buffer::from(b.to_vec()))
}

/// The Z85 was checked by the JS layer (`curveKeyZ85`). Its copy out of JS, in this String, is
/// wiped once taken (what V8 still holds is the JS caller's).
fn secret_key_into_engine(z85: &mut Option<String>) -> SecretKey {
    let key = z85
        .as_deref()
        .and_then(|z85| CurveSecretKey::from_z85(z85).ok())
        .map(|key| key.cell().clone());
    z85.zeroize();
    SecretKey(key)
}

fn public_key_into_engine(z85: &mut Option<String>) -> Option<CurveKey> {
    key_bytes(z85.as_ref())
}

/// A text option (a PLAIN username, the ZAP domain) as the bytes the engine keeps.
fn text_into_engine(text: &mut Option<String>) -> Option<Bytes> {
    text.as_ref().map(|t| Bytes::copy_from_slice(t.as_bytes()))
}

/// Wiped once taken, as the secret key is.
fn password_into_engine(password: &mut Option<String>) -> SecretBytes {
    let bytes = password
        .as_ref()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()));
    password.zeroize();
    SecretBytes(bytes)
}

/// `"allSubs"`, `"allSubsUnsubs"` or absent (the JS layer allows nothing else).
fn verbosity_into_engine(verbosity: &mut Option<String>) -> XPublisherVerbosity {
    match verbosity.as_deref() {
        Some("allSubs") => XPublisherVerbosity::AllSubs,
        Some("allSubsUnsubs") => XPublisherVerbosity::AllSubsUnsubs,
        _ => XPublisherVerbosity::Changes,
    }
}

fn verbosity_from_engine(verbosity: XPublisherVerbosity) -> Option<String> {
    match verbosity {
        XPublisherVerbosity::Changes => None,
        XPublisherVerbosity::AllSubs => Some("allSubs".to_owned()),
        XPublisherVerbosity::AllSubsUnsubs => Some("allSubsUnsubs".to_owned()),
    }
}

/// The engine's default options, in the JS layer's names (`routingId` absent: none).
// Under `cfg(test)` napi-derive emits no export, so only the exported build uses it.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn option_defaults() -> JsOptions {
    JsOptions::from_engine(Options::default())
}
