//! The result of one native operation, and how it looks in JavaScript.
//!
//! | outcome     | JS value                                  |
//! |-------------|-------------------------------------------|
//! | `Done`      | `undefined`                               |
//! | `Endpoint`  | the resolved endpoint string              |
//! | `Message`   | `Buffer[]`, or `null`: laid out in the slab |
//! | `Messages`  | `Buffer[][]` (a batch, `src/batch.rs`), or `null` |
//! | `Request`   | `[token, Buffer[]]` (REP `recvRequest`)   |
//! | `Failed`    | `Error` with `.code` (and `.address`)     |
//! | `Panicked`  | `Error` with `.code === 'EINTERNAL'`      |
//!
//! Errors are passed as values (the JS layer rejects with them), so a settlement never throws.

use crate::{js_error, message};
use napi::bindgen_prelude::ToNapiValue;
use napi::{sys, Env, JsValue, Result};
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

impl From<std::result::Result<String, EngineError>> for Outcome {
    fn from(r: std::result::Result<String, EngineError>) -> Outcome {
        match r {
            Ok(s) => Outcome::Endpoint(s),
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

    /// The JS value of this outcome (see the table above), made in `env`: a call's or a callback's
    /// environment, on its JS thread.
    pub(crate) fn into_js(self, env: &Env) -> Result<sys::napi_value> {
        Ok(match self {
            // SAFETY: `env` is a live environment on its own JS thread, as napi-rs's `Env` methods
            // used for every other arm assume too; `undefined` needs nothing else.
            Outcome::Done => unsafe { <()>::to_napi_value(env.raw(), ())? },
            Outcome::Endpoint(s) => env.create_string(&s)?.raw(),
            Outcome::Message(m) => crate::batch::one_to_js(env, m)?,
            Outcome::Messages(batch) => crate::batch::to_js(env, batch)?,
            Outcome::Request(token, m) => {
                let mut pair = env.create_array(2)?;
                pair.set(0, token)?;
                pair.set(1, message::to_js(env, m)?)?;
                pair.raw()
            }
            Outcome::Failed(e) => js_error::from_engine(env, &e)?.raw(),
            Outcome::Panicked(why) => js_error::internal(env, &why)?.raw(),
        })
    }
}

impl ToNapiValue for Outcome {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        val.into_js(&Env::from_raw(env))
    }
}
