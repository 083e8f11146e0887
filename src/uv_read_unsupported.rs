//! Where connections cannot be read on the host's event loop (Windows): `uv_read.rs` polls
//! descriptors with the libuv that Node exports, and a Windows DLL cannot leave libuv's symbols
//! for the host to fill in (only Node-API is resolved at load time, see build.rs). `lib/native.js`
//! never asks for it there; the engine's own reader threads read instead.

use crate::executor::Executor;
use napi::Env;
use std::sync::Arc;
use zeromq_napi_engine::ReadDriver;

enum Never {}

/// Cannot be made: [`UvReader::new`] says why.
pub(crate) struct UvReader(Never);

impl UvReader {
    pub(crate) fn new(_: Env, _: &Arc<Executor>) -> napi::Result<UvReader> {
        Err(napi::Error::new(
            napi::Status::GenericFailure,
            "reading connections on the JS thread's event loop is not available on this \
             platform (the addon links no libuv here): use the engine's readers",
        ))
    }

    pub(crate) fn driver(&self) -> Arc<dyn ReadDriver> {
        match self.0 {}
    }

    pub(crate) fn run_commands(&self) {
        match self.0 {}
    }

    pub(crate) fn close_all(&self) {
        match self.0 {}
    }
}
