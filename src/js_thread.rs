//! Raw napi handles that belong to one JS thread.
//!
//! A `napi_env`, `napi_ref` or `napi_async_context` is an opaque pointer that napi only accepts on
//! the thread of the environment it came from. The structures holding them (the hub, the operation
//! executor) are shared with engine threads, which wake the JS thread or attach connections, but
//! never call napi with these handles: they only carry them.
//! [`JsThreadOnly`] is the type that says so.

/// A raw napi handle (`P` is one of napi's pointer types) that is only ever *passed to napi* on
/// the JS thread of the environment it belongs to. Any thread may hold, copy and drop it: it owns
/// nothing, and what it points to is napi's, valid as long as that environment lives.
#[derive(Clone, Copy)]
pub(crate) struct JsThreadOnly<P>(P);

// SAFETY: the wrapped value is an opaque napi handle. Moving or copying it to another thread reads
// nothing behind it; the only thing done with it is passing it back to napi, and every such call
// (each an `unsafe` block with its own SAFETY comment) runs on the environment's JS thread.
unsafe impl<P> Send for JsThreadOnly<P> {}
// SAFETY: as for `Send`: shared references only give out copies of the handle (`get`).
unsafe impl<P> Sync for JsThreadOnly<P> {}

impl<P: Copy> JsThreadOnly<P> {
    /// Wraps `handle`, which belongs to the environment of the calling JS thread. Whoever calls
    /// [`JsThreadOnly::get`] later must be on that same thread before handing it to napi.
    pub(crate) fn new(handle: P) -> JsThreadOnly<P> {
        JsThreadOnly(handle)
    }

    /// The handle, to pass to napi on its environment's JS thread only.
    pub(crate) fn get(self) -> P {
        self.0
    }
}

/// The environment of a JS thread (main thread or a worker).
pub(crate) type JsEnv = JsThreadOnly<napi::sys::napi_env>;
