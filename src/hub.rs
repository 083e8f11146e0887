//! One hub per JS environment (the main thread and each worker thread load the addon separately).
//!
//! It owns:
//! - the threadsafe function through which every pending operation of the environment is settled
//!   (one for all sockets: creating one per operation would cost an async handle each time);
//! - the event-loop reference: the threadsafe function is unreferenced while nothing is pending and
//!   referenced while anything is, so a pending `receive()` keeps Node alive like a listening
//!   server and an idle process exits at once;
//! - the op-id table used by `cancel(id)` (AbortSignal);
//! - the socket registry closed by the env-teardown hook (worker termination, process exit).

use crate::graveyard::{Graveyard, Visit};
use crate::js_error::check;
use crate::op::Op;
use crate::outcome::Outcome;
use crate::socket::Engine;
use crate::uv_read::{UvDriver, Watches};
use napi::bindgen_prelude::{FnArgs, Function, Unknown};
use napi::sys;
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::Poll;
use std::time::Duration;
use tokio::runtime::Handle;

/// How long env teardown waits for the engine to let go of memory owned by that environment.
const TEARDOWN_WAIT: Duration = Duration::from_secs(1);

/// The id passed to the JS settle callback when a poll did not finish anything (ids start at 1).
const NOTHING: u32 = 0;

/// Calls `settle(id, value)` on the JS thread; the payload is the id of the operation to poll.
type SettleFn = ThreadsafeFunction<u32, (), FnArgs<(u32, Outcome)>, Status, false, true, 0>;

/// Pending-operation count and the raw threadsafe function it refs/unrefs. Only touched on the JS
/// thread; atomics just make it shareable.
struct Liveness {
    pending: AtomicU32,
    tsfn: AtomicUsize,
}

impl Liveness {
    fn begin(&self, env: sys::napi_env) {
        if self.pending.fetch_add(1, Ordering::AcqRel) == 0 {
            let tsfn = self.tsfn.load(Ordering::Acquire) as sys::napi_threadsafe_function;
            if !tsfn.is_null() {
                // SAFETY: JS thread of `env`, which owns this live threadsafe function.
                unsafe { sys::napi_ref_threadsafe_function(env, tsfn) };
            }
        }
    }

    fn end(&self, env: sys::napi_env) {
        let before = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before == 1 {
            let tsfn = self.tsfn.load(Ordering::Acquire) as sys::napi_threadsafe_function;
            if !tsfn.is_null() {
                // SAFETY: as in `begin`.
                unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
            }
        }
    }
}

pub(crate) struct HubShared {
    /// The environment this hub belongs to; used only on its JS thread.
    env: usize,
    runtime: Handle,
    tsfn: SettleFn,
    liveness: Liveness,
    graveyard: Arc<Graveyard>,
    next_id: AtomicU32,
    /// Pending operations, by id. Only the JS thread touches it (the mutex is never contended).
    ops: Mutex<HashMap<u32, Op>>,
    sockets: Mutex<HashMap<u64, Engine>>,
    next_socket: AtomicU64,
    torn_down: AtomicBool,
    /// Connections read on this JS thread (see `uv_read`), and the driver handed to the engine.
    watches: Watches,
    read_driver: OnceLock<Arc<UvDriver>>,
    /// The JS settle function and an async context, for settling on the spot after a read
    /// (`settle_now`); raw napi handles, used on the JS thread only.
    settle_ref: usize,
    async_context: usize,
    /// Keeps the slab (`slab.rs`) alive as long as the hub; never read.
    _slab_ref: usize,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a single map operation: a poisoned map is still consistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl HubShared {
    pub(crate) fn env(&self) -> sys::napi_env {
        self.env as sys::napi_env
    }

    pub(crate) fn runtime(&self) -> &Handle {
        &self.runtime
    }

    pub(crate) fn graveyard(&self) -> &Arc<Graveyard> {
        &self.graveyard
    }

    pub(crate) fn watches(&self) -> &Watches {
        &self.watches
    }

    /// The driver that reads this environment's connections on its JS thread.
    pub(crate) fn read_driver(&self) -> Option<Arc<UvDriver>> {
        self.read_driver.get().cloned()
    }

    /// Any thread: wakes the JS thread for hub work that is not an operation.
    pub(crate) fn wake(&self) {
        self.schedule(NOTHING);
    }

    /// Work to do whenever the JS thread enters the addon, and again when the call returns (when
    /// the guard is dropped: it releases the JS buffers of frames the call wrote out). Keep the
    /// guard for the whole call.
    pub(crate) fn enter(&self) -> Visit<'_> {
        self.graveyard.visit(self.env())
    }

    /// A fresh operation id (never `NOTHING`).
    pub(crate) fn next_id(&self) -> u32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            // Ids wrap after 4 billion operations; skip 0 and any id still pending.
            if id != NOTHING && !lock(&self.ops).contains_key(&id) {
                return id;
            }
        }
    }

    /// JS thread: keeps a pending operation until it is ready or cancelled.
    pub(crate) fn park(&self, id: u32, op: Op) {
        lock(&self.ops).insert(id, op);
        self.liveness.begin(self.env());
    }

    /// Any thread: asks the JS thread to poll operation `id`.
    pub(crate) fn schedule(&self, id: u32) {
        // Fails only while the environment tears down, when nothing is left to poll.
        let _ = self.tsfn.call(id, ThreadsafeFunctionCallMode::NonBlocking);
    }

    /// JS thread, called from the event loop (no JavaScript on the stack): polls the operations
    /// a read woke and calls the JS settle function for each one that finished, running the
    /// microtasks it queues as any event callback does.
    pub(crate) fn settle_now(&self, ids: Vec<u32>) {
        if ids.is_empty() {
            return;
        }
        let env = self.env();
        let mut scope = std::ptr::null_mut();
        // SAFETY: the JS thread of this hub's env. Everything below creates or releases JS
        // handles (results, released buffers), which needs a scope outside any JS call.
        if unsafe { sys::napi_open_handle_scope(env, &mut scope) } != sys::Status::napi_ok {
            return;
        }
        {
            let _visit = self.enter();
            for id in ids {
                let outcome = catch_unwind(AssertUnwindSafe(|| self.poll(id)))
                    .unwrap_or_else(|p| Some(Outcome::Panicked(crate::op::panic_message(&*p))));
                if let Some(outcome) = outcome {
                    // SAFETY: as above, inside the scope.
                    unsafe { self.call_settle(id, outcome) };
                }
            }
        }
        // SAFETY: the scope opened above.
        unsafe { sys::napi_close_handle_scope(env, scope) };
    }

    /// # Safety
    /// JS thread of this hub's env, inside a handle scope, with no JavaScript on the stack.
    unsafe fn call_settle(&self, id: u32, outcome: Outcome) {
        use napi::bindgen_prelude::ToNapiValue;
        let env = self.env();
        let mut settle = std::ptr::null_mut();
        let mut recv = std::ptr::null_mut();
        let found = unsafe {
            sys::napi_get_reference_value(env, self.settle_ref as sys::napi_ref, &mut settle)
                == sys::Status::napi_ok
                && sys::napi_get_global(env, &mut recv) == sys::Status::napi_ok
        };
        if !found || settle.is_null() {
            return;
        }
        let (Ok(id), Ok(value)) = (unsafe { u32::to_napi_value(env, id) }, unsafe {
            Outcome::to_napi_value(env, outcome)
        }) else {
            return;
        };
        let args = [id, value];
        let mut result = std::ptr::null_mut();
        // Runs the microtasks and nextTicks the settlement queues once it returns, like any
        // event callback (the async context makes it one for async_hooks too).
        let status = unsafe {
            sys::napi_make_callback(
                env,
                self.async_context as sys::napi_async_context,
                recv,
                settle,
                args.len(),
                args.as_ptr(),
                &mut result,
            )
        };
        if status == sys::Status::napi_pending_exception {
            // As if thrown from any event callback: an uncaught exception.
            let mut error = std::ptr::null_mut();
            unsafe {
                sys::napi_get_and_clear_last_exception(env, &mut error);
                sys::napi_fatal_exception(env, error);
            }
        }
    }

    /// JS thread: polls operation `id`; its outcome if that finished it.
    fn poll(&self, id: u32) -> Option<Outcome> {
        // Taken out while polling, so engine code running inside the poll may use the hub freely.
        let mut op = lock(&self.ops).remove(&id)?;
        match op.poll(self) {
            Poll::Ready(outcome) => {
                self.liveness.end(self.env());
                Some(outcome)
            }
            Poll::Pending => {
                lock(&self.ops).insert(id, op);
                None
            }
        }
    }

    /// JS thread: drops pending operation `id` (the engine's futures are cancel-safe). Returns
    /// whether it was still pending; if not, its outcome has already been delivered.
    pub(crate) fn cancel(&self, id: u32) -> bool {
        let op = lock(&self.ops).remove(&id);
        match op {
            Some(op) => {
                self.liveness.end(self.env());
                drop(op);
                true
            }
            None => false,
        }
    }

    pub(crate) fn register(&self, socket: Engine) -> u64 {
        let key = self.next_socket.fetch_add(1, Ordering::Relaxed);
        if !self.torn_down.load(Ordering::Acquire) {
            lock(&self.sockets).insert(key, socket);
        }
        key
    }

    pub(crate) fn unregister(&self, key: u64) {
        lock(&self.sockets).remove(&key);
    }

    /// Env cleanup hook: the environment is going away (worker terminated, process exiting).
    fn teardown(&self) {
        self.torn_down.store(true, Ordering::Release);
        crate::slab::uninstall();
        let ops: Vec<Op> = lock(&self.ops).drain().map(|(_, op)| op).collect();
        drop(ops);
        self.watches.close_all();
        let sockets: Vec<Engine> = lock(&self.sockets).drain().map(|(_, s)| s).collect();
        for socket in sockets {
            // Nothing will read the results; queued output cannot outlive the JS memory it may
            // point into, so no linger here.
            let _ = catch_unwind(AssertUnwindSafe(|| socket.close_now()));
        }
        if !self.graveyard.close_and_wait(self.env(), TEARDOWN_WAIT) {
            eprintln!("zeromq-napi: env teardown: the engine still holds JS-owned buffers");
        }
    }
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
    #[napi(constructor, catch_unwind)]
    ///
    /// `read_on_js_thread`: read connections on this thread's event loop (see `uv_read`) rather
    /// than on an engine thread. `slab`: a `Uint8Array` that small received frames are handed over
    /// in (see `slab.rs`).
    pub fn new(
        env: Env,
        settle: Function<'_, FnArgs<(u32, Outcome)>, ()>,
        read_on_js_thread: bool,
        slab: Unknown<'_>,
    ) -> Result<Hub> {
        // SAFETY: constructor call on the JS thread; `slab` is a value of this call.
        let slab_ref = unsafe { crate::slab::install(env.raw(), napi::JsValue::raw(&slab))? };
        let runtime = napi::bindgen_prelude::within_runtime_if_available(Handle::try_current)
            .map_err(|e| Error::new(Status::GenericFailure, format!("no tokio runtime: {e}")))?;
        let graveyard = Arc::new(Graveyard::new());
        // The callback needs the hub, which needs the threadsafe function: tie the knot after.
        let this: Arc<OnceLock<Weak<HubShared>>> = Arc::new(OnceLock::new());
        let on_wake = {
            let this = this.clone();
            let graveyard = graveyard.clone();
            move |ctx: ThreadsafeCallContext<u32>| {
                // Also releases what a finished operation drops (a sent message) before returning.
                let _visit = graveyard.visit(ctx.env.raw());
                let id = ctx.value;
                // This runs inside napi's `extern "C"` callback: no panic may leave it. (Polls are
                // already guarded; this also covers dropping a finished engine future.)
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    let hub = this.get().and_then(Weak::upgrade)?;
                    hub.watches.run_commands(&hub);
                    hub.poll(id)
                }))
                .unwrap_or_else(|payload| {
                    Some(Outcome::Panicked(crate::op::panic_message(&*payload)))
                });
                Ok(FnArgs::from(match outcome {
                    Some(outcome) => (id, outcome),
                    None => (NOTHING, Outcome::Done),
                }))
            }
        };
        let mut settle_ref = std::ptr::null_mut();
        let mut async_context = std::ptr::null_mut();
        // SAFETY: constructor call on the JS thread; `settle` is a live function value.
        unsafe {
            check(
                sys::napi_create_reference(
                    env.raw(),
                    napi::JsValue::raw(&settle),
                    1,
                    &mut settle_ref,
                ),
                "hub setup",
            )?;
            let mut name = std::ptr::null_mut();
            check(
                sys::napi_create_string_utf8(env.raw(), c"zeromq-napi".as_ptr(), 11, &mut name),
                "hub setup",
            )?;
            check(
                sys::napi_async_init(env.raw(), std::ptr::null_mut(), name, &mut async_context),
                "hub setup",
            )?;
        }
        let tsfn: SettleFn = settle
            .build_threadsafe_function::<u32>()
            .callee_handled::<false>()
            // Unreferenced until an operation is pending (see `Liveness`).
            .weak::<true>()
            .build_callback(on_wake)?;
        let liveness = Liveness {
            pending: AtomicU32::new(0),
            tsfn: AtomicUsize::new(tsfn.raw() as usize),
        };
        let shared = Arc::new(HubShared {
            env: env.raw() as usize,
            runtime,
            tsfn,
            liveness,
            graveyard,
            next_id: AtomicU32::new(1),
            ops: Mutex::new(HashMap::new()),
            sockets: Mutex::new(HashMap::new()),
            next_socket: AtomicU64::new(1),
            torn_down: AtomicBool::new(false),
            watches: Watches::default(),
            read_driver: OnceLock::new(),
            settle_ref: settle_ref as usize,
            _slab_ref: slab_ref as usize,
            async_context: async_context as usize,
        });
        if read_on_js_thread {
            let _ = shared
                .read_driver
                .set(Arc::new(UvDriver::new(Arc::downgrade(&shared))));
        }
        let _ = this.set(Arc::downgrade(&shared));
        let hub = Arc::downgrade(&shared);
        shared.graveyard.set_wake(Box::new(move || {
            // A poll of no operation: the wake-up drains the graveyard and settles nothing.
            if let Some(hub) = hub.upgrade() {
                hub.schedule(NOTHING);
            }
        }));
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
        let _entered = self.shared.enter();
        self.shared.cancel(id)
    }

    /// Number of operations waiting for settlement (diagnostics and tests).
    #[napi(getter, catch_unwind)]
    pub fn pending(&self) -> u32 {
        self.shared.liveness.pending.load(Ordering::Acquire)
    }
}
