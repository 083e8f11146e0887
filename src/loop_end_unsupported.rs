//! Where connections are not read on the host's event loop (see `uv_read_unsupported.rs`),
//! nothing is left for the end of its poll phase: the engine's readers settle through the
//! executor's threadsafe function.

use napi::Env;

enum Never {}

/// Cannot be made: there is no libuv to give it a check handle.
pub(crate) struct LoopEnd(Never);

impl LoopEnd {
    pub(crate) fn new(_: Env) -> Option<LoopEnd> {
        None
    }

    pub(crate) fn leave(&self, _: u32) -> bool {
        match self.0 {}
    }
}
