//! The result of one native operation, and how it looks in JavaScript.
//!
//! | outcome     | JS value                                  |
//! |-------------|-------------------------------------------|
//! | `Done`      | `undefined`                               |
//! | `Endpoint`  | the resolved endpoint string              |
//! | `Message`   | `Buffer[]`                                |
//! | `Messages`  | `Buffer[][]` (a batch, `src/batch.rs`)    |
//! | `Request`   | `[token, Buffer[]]` (REP `recvRequest`)   |
//! | `Failed`    | `Error` with `.code` (and `.address`)     |
//! | `Panicked`  | `Error` with `.code === 'EINTERNAL'`      |
//!
//! Errors are passed as values (the JS layer rejects with them), so a settlement never throws.

use crate::js_error::check;
use crate::{js_error, message};
use napi::bindgen_prelude::ToNapiValue;
use napi::{sys, Result};
use std::ptr;
use zeromq_napi_engine::{Error as EngineError, Message};

pub enum Outcome {
    Done,
    Endpoint(String),
    Message(Message),
    Messages(Vec<Message>),
    Request(u32, Message),
    Failed(EngineError),
    Panicked(String),
}

impl From<std::result::Result<(), EngineError>> for Outcome {
    fn from(r: std::result::Result<(), EngineError>) -> Outcome {
        match r {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(e),
        }
    }
}

impl From<std::result::Result<Message, EngineError>> for Outcome {
    fn from(r: std::result::Result<Message, EngineError>) -> Outcome {
        match r {
            Ok(m) => Outcome::Message(m),
            Err(e) => Outcome::Failed(e),
        }
    }
}

impl From<std::result::Result<Vec<Message>, EngineError>> for Outcome {
    fn from(r: std::result::Result<Vec<Message>, EngineError>) -> Outcome {
        match r {
            Ok(batch) => Outcome::batch(batch),
            Err(e) => Outcome::Failed(e),
        }
    }
}

impl Outcome {
    /// A received batch; one message crosses as a plain `Message` (no array around it).
    pub(crate) fn batch(mut batch: Vec<Message>) -> Outcome {
        match batch.len() {
            1 => batch
                .pop()
                .map_or(Outcome::Messages(batch), Outcome::Message),
            _ => Outcome::Messages(batch),
        }
    }
}

impl From<std::result::Result<String, EngineError>> for Outcome {
    fn from(r: std::result::Result<String, EngineError>) -> Outcome {
        match r {
            Ok(s) => Outcome::Endpoint(s),
            Err(e) => Outcome::Failed(e),
        }
    }
}

impl ToNapiValue for Outcome {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY (every block below): the trait's contract, this runs on the JS thread of the
        // live `env`; `out` is a local and every value passed was made in `env`.
        match val {
            Outcome::Done => {
                check(
                    // SAFETY: see above.
                    unsafe { sys::napi_get_undefined(env, &mut out) },
                    "napi_get_undefined",
                )?;
                Ok(out)
            }
            // SAFETY: see above.
            Outcome::Endpoint(s) => unsafe { String::to_napi_value(env, s) },
            // SAFETY: see above.
            Outcome::Message(m) => unsafe { message::to_js(env, m) },
            // SAFETY: see above.
            Outcome::Messages(batch) => unsafe { crate::batch::to_js(env, batch) },
            Outcome::Request(token, m) => {
                check(
                    // SAFETY: see above.
                    unsafe { sys::napi_create_array_with_length(env, 2, &mut out) },
                    "napi_create_array_with_length",
                )?;
                // SAFETY: see above.
                let token = unsafe { u32::to_napi_value(env, token)? };
                // SAFETY: see above.
                let frames = unsafe { message::to_js(env, m)? };
                check(
                    // SAFETY: see above.
                    unsafe { sys::napi_set_element(env, out, 0, token) },
                    "napi_set_element",
                )?;
                check(
                    // SAFETY: see above.
                    unsafe { sys::napi_set_element(env, out, 1, frames) },
                    "napi_set_element",
                )?;
                Ok(out)
            }
            // SAFETY: see above.
            Outcome::Failed(e) => unsafe { js_error::from_engine(env, &e) },
            // SAFETY: see above.
            Outcome::Panicked(why) => unsafe {
                js_error::make(
                    env,
                    js_error::PANIC_CODE,
                    &format!("internal error in zeromq-napi (please report): {why}"),
                    None,
                )
            },
        }
    }
}
