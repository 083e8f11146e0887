//! One hub per JS environment (the main thread and each worker thread load the addon separately).
//!
//! It composes what the environment's sockets share and tears it down with the environment:
//! - the operation [`Executor`] (ids, polling, cancelling, settling, keeping Node alive);
//! - when connections are read on this thread's event loop, the [`UvReader`];
//! - the slab small received frames are handed over in (`slab.rs`);
//! - the open sockets, closed by the env-teardown hook (worker termination, process exit).

use crate::executor::Executor;
use crate::js_thread::{JsEnv, JsThreadOnly};
use crate::outcome::Outcome;
use crate::uv_read::UvReader;
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi::sys;
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;
use zeromq_napi_engine::lock;
use zeromq_napi_engine::{ReadDriver, SocketHandle};

/// The sockets of one environment that are still open, for env teardown.
#[derive(Default)]
struct OpenSockets {
    map: Mutex<HashMap<u64, SocketHandle>>,
    next: AtomicU64,
    /// Set at teardown: sockets made after it are not kept.
    closed: AtomicBool,
}

pub(crate) struct HubShared {
    env: JsEnv,
    executor: Arc<Executor>,
    reader: Option<Arc<UvReader>>,
    sockets: OpenSockets,
    /// Keeps the slab (`slab.rs`) alive as long as the hub; never read.
    _slab: JsThreadOnly<sys::napi_ref>,
}

impl HubShared {
    pub(crate) fn env(&self) -> JsEnv {
        self.env
    }

    pub(crate) fn executor(&self) -> &Arc<Executor> {
        &self.executor
    }

    /// The driver that reads this environment's connections on its JS thread, if it does.
    pub(crate) fn read_driver(&self) -> Option<Arc<dyn ReadDriver>> {
        self.reader
            .clone()
            .map(|reader| reader as Arc<dyn ReadDriver>)
    }

    pub(crate) fn register(&self, socket: SocketHandle) -> u64 {
        let key = self.sockets.next.fetch_add(1, Ordering::Relaxed);
        if !self.sockets.closed.load(Ordering::Acquire) {
            lock(&self.sockets.map).insert(key, socket);
        }
        key
    }

    pub(crate) fn unregister(&self, key: u64) {
        lock(&self.sockets.map).remove(&key);
    }

    /// Env cleanup hook: the environment is going away (worker terminated, process exiting).
    fn teardown(&self) {
        self.sockets.closed.store(true, Ordering::Release);
        crate::slab::uninstall();
        self.executor.drop_all();
        if let Some(reader) = &self.reader {
            reader.close_all();
        }
        let sockets: Vec<SocketHandle> = lock(&self.sockets.map).drain().map(|(_, s)| s).collect();
        for socket in sockets {
            // Nothing will read the results: no linger here.
            let _ = catch_unwind(AssertUnwindSafe(|| close_now(&socket)));
        }
    }
}

/// Closes without lingering.
fn close_now(socket: &SocketHandle) {
    if !socket.is_closed() {
        let mut options = socket.options();
        options.linger = 0;
        socket.set_options(options);
    }
    socket.close();
}

/// Native hub object, created once by `lib/native.js` with its settle callback.
#[napi]
pub struct Hub {
    shared: Arc<HubShared>,
}

impl Hub {
    pub(crate) fn shared(&self) -> &Arc<HubShared> {
        &self.shared
    }
}

#[napi]
impl Hub {
    /// `settle(id, value)` is called on the JS thread for each finished pending operation; `value`
    /// is the result, or an `Error` (see `outcome.rs`). `id` 0 means nothing (ignore the call).
    ///
    /// `read_on_js_thread`: read connections on this thread's event loop (see `uv_read`) rather
    /// than on an engine thread. `external_buffers`: hand large received frames over as external
    /// Buffers (false: as copies; see `message::buffer`). `slab`: a `Uint8Array` that small
    /// received frames are handed over in (see `slab.rs`).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        settle: Function<'_, FnArgs<(u32, Outcome)>, ()>,
        read_on_js_thread: bool,
        external_buffers: bool,
        slab: Unknown<'_>,
    ) -> Result<Hub> {
        if !external_buffers {
            crate::message::refuse_external_buffers();
        }
        // SAFETY: a constructor call on the JS thread; `slab` is a value of this call.
        let slab = unsafe { crate::slab::install(env.raw(), napi::JsValue::raw(&slab))? };
        let runtime = napi::bindgen_prelude::within_runtime_if_available(Handle::try_current)
            .map_err(|e| Error::new(Status::GenericFailure, format!("no tokio runtime: {e}")))?;
        crate::liveness::set_thread_env(env.raw());
        let js_env = JsEnv::new(env.raw());
        let executor = Executor::new(env, settle, runtime)?;
        let reader = if read_on_js_thread {
            Some(Arc::new(UvReader::new(js_env, &executor)?))
        } else {
            None
        };
        if let Some(reader) = &reader {
            // Attaches and resumes queued by engine threads run when the JS thread wakes.
            let reader = Arc::downgrade(reader);
            executor.set_on_wake(Box::new(move || {
                if let Some(reader) = reader.upgrade() {
                    reader.run_commands();
                }
            }));
        }
        let shared = Arc::new(HubShared {
            env: js_env,
            executor,
            reader,
            sockets: OpenSockets::default(),
            _slab: JsThreadOnly::new(slab),
        });
        let for_teardown = shared.clone();
        env.add_env_cleanup_hook((), move |()| {
            // A cleanup hook is an `extern "C"` boundary: contain any panic.
            let _ = catch_unwind(AssertUnwindSafe(|| for_teardown.teardown()));
        })?;
        Ok(Hub { shared })
    }

    /// Cancels pending operation `id`: returns true if it was pending (the caller then rejects its
    /// promise), false if it had already finished (its outcome is delivered as usual).
    #[napi(catch_unwind)]
    pub fn cancel(&self, id: u32) -> bool {
        if !crate::liveness::is_live(self) {
            return false;
        }
        self.shared.executor.cancel(id)
    }

    /// Number of operations waiting for settlement (diagnostics and tests).
    #[napi(getter, catch_unwind)]
    pub fn pending(&self) -> u32 {
        if !crate::liveness::is_live(self) {
            return 0;
        }
        self.shared.executor.pending()
    }

    /// Whether connections are read on this thread's event loop (diagnostics and tests).
    #[napi(getter, catch_unwind)]
    pub fn reads_on_js_thread(&self) -> bool {
        if !crate::liveness::is_live(self) {
            return false;
        }
        self.shared.reader.is_some()
    }

    /// Called by the JS layer right after construction, once the object has its final address
    /// (see `liveness.rs`): until then sockets cannot be made on it.
    #[napi(catch_unwind)]
    pub fn adopt(&self) {
        crate::liveness::adopt(self);
    }

    /// Whether large received frames become external Buffers on this thread, false once they are
    /// copied (diagnostics and tests).
    #[napi(getter, catch_unwind)]
    pub fn external_buffers(&self) -> bool {
        crate::message::external_buffers()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        // A finalizer (an `extern "C"` context): contain panics.
        let _ = catch_unwind(AssertUnwindSafe(|| crate::liveness::release(self)));
    }
}
