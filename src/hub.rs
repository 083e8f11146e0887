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

use crate::graveyard::Graveyard;
use crate::outcome::Outcome;
use crate::socket::Engine;
use napi::bindgen_prelude::{FnArgs, Function};
use napi::sys;
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// How long env teardown waits for the engine to let go of memory owned by that environment.
const TEARDOWN_WAIT: Duration = Duration::from_secs(1);

pub(crate) struct Settlement {
    id: u32,
    outcome: Outcome,
}

type SettleFn = ThreadsafeFunction<Settlement, (), FnArgs<(u32, Outcome)>, Status, false, true, 0>;

/// Pending-operation count and the raw threadsafe function it refs/unrefs. Only touched on the JS
/// thread; atomics just make it shareable with the callback closure.
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
    liveness: Arc<Liveness>,
    graveyard: Arc<Graveyard>,
    next_id: AtomicU32,
    cancels: Mutex<HashMap<u32, oneshot::Sender<()>>>,
    sockets: Mutex<HashMap<u64, Engine>>,
    next_socket: AtomicU64,
    torn_down: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

    /// Work to do whenever the JS thread enters the addon.
    pub(crate) fn enter(&self) {
        self.graveyard.drain(self.env());
    }

    /// JS thread: registers a pending operation; returns its id and its cancellation signal.
    pub(crate) fn begin(&self) -> (u32, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut cancels = lock(&self.cancels);
        let mut id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // Ids wrap after 4 billion operations; skip any still in use (practically never).
        while cancels.contains_key(&id) {
            id = self.next_id.fetch_add(1, Ordering::Relaxed);
        }
        cancels.insert(id, tx);
        drop(cancels);
        self.liveness.begin(self.env());
        (id, rx)
    }

    /// Any thread: hands the outcome to the JS thread.
    pub(crate) fn settle(&self, id: u32, outcome: Outcome) {
        lock(&self.cancels).remove(&id);
        // Fails only while the environment tears down: the outcome is then dropped here.
        let _ = self.tsfn.call(
            Settlement { id, outcome },
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }

    /// JS thread: asks a pending operation to stop (its settlement then says `ABORT_ERR`, unless it
    /// had already finished).
    pub(crate) fn cancel(&self, id: u32) {
        if let Some(tx) = lock(&self.cancels).remove(&id) {
            let _ = tx.send(());
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
    /// is the result, or an `Error` (see `outcome.rs`).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, settle: Function<'_, FnArgs<(u32, Outcome)>, ()>) -> Result<Hub> {
        let runtime = napi::bindgen_prelude::within_runtime_if_available(Handle::try_current)
            .map_err(|e| Error::new(Status::GenericFailure, format!("no tokio runtime: {e}")))?;
        let graveyard = Arc::new(Graveyard::default());
        let liveness = Arc::new(Liveness {
            pending: AtomicU32::new(0),
            tsfn: AtomicUsize::new(0),
        });
        let on_settle = {
            let liveness = liveness.clone();
            let graveyard = graveyard.clone();
            move |ctx: ThreadsafeCallContext<Settlement>| {
                liveness.end(ctx.env.raw());
                graveyard.drain(ctx.env.raw());
                Ok(FnArgs::from((ctx.value.id, ctx.value.outcome)))
            }
        };
        let tsfn: SettleFn = settle
            .build_threadsafe_function::<Settlement>()
            .callee_handled::<false>()
            // Unreferenced until an operation is pending (see `Liveness`).
            .weak::<true>()
            .build_callback(on_settle)?;
        liveness.tsfn.store(tsfn.raw() as usize, Ordering::Release);
        let shared = Arc::new(HubShared {
            env: env.raw() as usize,
            runtime,
            tsfn,
            liveness,
            graveyard,
            next_id: AtomicU32::new(1),
            cancels: Mutex::new(HashMap::new()),
            sockets: Mutex::new(HashMap::new()),
            next_socket: AtomicU64::new(1),
            torn_down: AtomicBool::new(false),
        });
        let for_teardown = shared.clone();
        env.add_env_cleanup_hook((), move |()| {
            // A cleanup hook is an `extern "C"` boundary: contain any panic.
            let _ = catch_unwind(AssertUnwindSafe(|| for_teardown.teardown()));
        })?;
        Ok(Hub { shared })
    }

    /// Cancels pending operation `id` (no-op if it already finished).
    #[napi(catch_unwind)]
    pub fn cancel(&self, id: u32) {
        self.shared.cancel(id);
    }

    /// Number of operations waiting for settlement (diagnostics and tests).
    #[napi(getter, catch_unwind)]
    pub fn pending(&self) -> u32 {
        self.shared.liveness.pending.load(Ordering::Acquire)
    }
}
