//! Runs engine futures for JavaScript with as few thread hops as possible: operation ids, parking,
//! polling, cancelling, keeping Node alive while something is pending, and settling.
//!
//! Pending operations are not tokio tasks: they live in the executor's table and are only ever
//! polled on the JS thread (inside the runtime context, so engine timers and I/O registration
//! work). The waker of an operation asks the executor's threadsafe function to poll it again. So:
//!
//! - an operation that can finish at once (first poll) returns its result synchronously;
//! - usually what makes it ready is a message read on the JS thread itself (`uv_read`): the
//!   operation is then polled and settled right after that read ([`Executor::collect_wakes`],
//!   [`Executor::settle_now`]), with no thread involved;
//! - otherwise (a timer, a connection lost, queue room on a tokio worker) the waker asks the
//!   threadsafe function to poll it: one hop, and the JS thread never wakes a worker to start a
//!   wait;
//! - cancelling (AbortSignal) drops the future right away, on the JS thread: the engine's futures
//!   are cancel-safe, so nothing received is lost.
//!
//! One threadsafe function serves every operation of the environment (one per operation would
//! cost an async handle each time). It is unreferenced while nothing is pending and referenced
//! while anything is, so a pending `receive()` keeps Node alive like a listening server and an idle
//! process exits at once.
//!
//! Panics are caught at the poll site and become `Outcome::Panicked`: no panic unwinds into Node.

use crate::js_error::check;
use crate::js_thread::{JsEnv, JsThreadOnly};
use crate::outcome::Outcome;
use napi::bindgen_prelude::{FnArgs, Function, ToNapiValue};
use napi::sys;
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, Result, Status};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Wake, Waker};
use tokio::runtime::Handle;
use zeromq_napi_engine::lock;

/// The id passed to the JS settle callback when a poll did not finish anything (ids start at 1).
const NOTHING: u32 = 0;

/// Calls `settle(id, value)` on the JS thread; the payload is the id of the operation to poll.
type SettleFn = ThreadsafeFunction<u32, (), FnArgs<(u32, Outcome)>, Status, false, true, 0>;

/// Hook run on the JS thread at every wake-up of the threadsafe function, before the poll.
type OnWake = Box<dyn Fn() + Send + Sync>;

/// What a native method returns: the finished result, or the id of a pending operation whose
/// outcome the executor will pass to the JS settle callback.
pub enum Started {
    Ready(Outcome),
    Pending(u32),
}

impl ToNapiValue for Started {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        match val {
            // SAFETY: napi-rs calls this on the JS thread of `env` (the trait's contract).
            Started::Ready(outcome) => unsafe { Outcome::to_napi_value(env, outcome) },
            // A number always means "pending: wait for settle(id, ...)"; no result is a number.
            // SAFETY: as above.
            Started::Pending(id) => unsafe { u32::to_napi_value(env, id) },
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

thread_local! {
    /// While the JS thread reads connections (`uv_read`): the executor (its address, for
    /// identity only) and the operations woken meanwhile, which it then settles right there
    /// instead of going through the threadsafe function (a self-signal and another event-loop
    /// turn).
    static COLLECTING: RefCell<Option<(usize, Vec<u32>)>> = const { RefCell::new(None) };
}

/// The executor of one JS environment (see the module doc).
pub(crate) struct Executor {
    env: JsEnv,
    runtime: Handle,
    tsfn: SettleFn,
    /// Operations parked and not yet settled or cancelled; the threadsafe function is referenced
    /// while this is above 0. Only the JS thread changes it.
    pending: AtomicU32,
    next_id: AtomicU32,
    /// Pending operations, by id. Only the JS thread touches it (the mutex is never contended).
    ops: Mutex<HashMap<u32, Op>>,
    /// The JS settle function and an async context, for settling on the spot after a read
    /// (`settle_now`; never read where there is no `uv_read`).
    #[cfg_attr(not(unix), allow(dead_code))]
    settle: JsThreadOnly<sys::napi_ref>,
    #[cfg_attr(not(unix), allow(dead_code))]
    async_context: JsThreadOnly<sys::napi_async_context>,
    on_wake: OnceLock<OnWake>,
}

impl Executor {
    /// JS thread (a constructor call): `settle(id, value)` will be called for each finished
    /// pending operation; `value` is the result, or an `Error` (see `outcome.rs`). `id` 0 means
    /// nothing (ignore the call).
    pub(crate) fn new(
        env: Env,
        settle: Function<'_, FnArgs<(u32, Outcome)>, ()>,
        runtime: Handle,
    ) -> Result<Arc<Executor>> {
        let mut settle_ref = std::ptr::null_mut();
        let mut async_context = std::ptr::null_mut();
        let raw = env.raw();
        // SAFETY: a constructor call on the JS thread of `env`; `settle` is a live function
        // value of this call; the out-pointers are locals.
        unsafe {
            check(
                sys::napi_create_reference(raw, napi::JsValue::raw(&settle), 1, &mut settle_ref),
                "hub setup",
            )?;
            let mut name = std::ptr::null_mut();
            check(
                sys::napi_create_string_utf8(raw, c"zeromq-napi".as_ptr(), 11, &mut name),
                "hub setup",
            )?;
            check(
                sys::napi_async_init(raw, std::ptr::null_mut(), name, &mut async_context),
                "hub setup",
            )?;
        }
        // The callback needs the executor, which needs the threadsafe function: tie the knot after.
        let this: Arc<OnceLock<Weak<Executor>>> = Arc::new(OnceLock::new());
        let on_call = {
            let this = this.clone();
            move |ctx: ThreadsafeCallContext<u32>| Ok(FnArgs::from(Executor::woken(&this, ctx)))
        };
        let tsfn: SettleFn = settle
            .build_threadsafe_function::<u32>()
            .callee_handled::<false>()
            // Unreferenced until an operation is pending (see `pending`).
            .weak::<true>()
            .build_callback(on_call)?;
        let executor = Arc::new(Executor {
            env: JsEnv::new(raw),
            runtime,
            tsfn,
            pending: AtomicU32::new(0),
            next_id: AtomicU32::new(1),
            ops: Mutex::new(HashMap::new()),
            settle: JsThreadOnly::new(settle_ref),
            async_context: JsThreadOnly::new(async_context),
            on_wake: OnceLock::new(),
        });
        let _ = this.set(Arc::downgrade(&executor));
        Ok(executor)
    }

    /// The threadsafe function's callback (JS thread): polls operation `ctx.value`; the arguments
    /// for `settle`.
    fn woken(this: &OnceLock<Weak<Executor>>, ctx: ThreadsafeCallContext<u32>) -> (u32, Outcome) {
        let id = ctx.value;
        let Some(executor) = this.get().and_then(Weak::upgrade) else {
            return (NOTHING, Outcome::Done);
        };
        // This runs inside napi's `extern "C"` callback: no panic may leave it. (Polls are
        // already guarded; this also covers dropping a finished engine future.)
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if let Some(on_wake) = executor.on_wake.get() {
                on_wake();
            }
            executor.poll(id)
        }))
        .unwrap_or_else(|payload| Some(Outcome::Panicked(panic_message(&*payload))));
        match outcome {
            Some(outcome) => (id, outcome),
            None => (NOTHING, Outcome::Done),
        }
    }

    /// Sets the hook that runs on the JS thread at every wake-up, before the poll (once).
    pub(crate) fn set_on_wake(&self, on_wake: OnWake) {
        let _ = self.on_wake.set(on_wake);
    }

    pub(crate) fn runtime(&self) -> &Handle {
        &self.runtime
    }

    /// Operations waiting for settlement.
    pub(crate) fn pending(&self) -> u32 {
        self.pending.load(Ordering::Acquire)
    }

    /// JS thread: polls `fut` once; parks it if it has to wait.
    /// `owner`: the hub key of the socket it belongs to, whose finalizer drops it
    /// ([`Executor::drop_owned_by`]).
    pub(crate) fn start_for(
        self: &Arc<Self>,
        owner: Option<u64>,
        fut: impl Future<Output = Outcome> + Send + 'static,
    ) -> Started {
        let id = self.next_id();
        let mut op = Op::new(self, id, owner, fut);
        match op.poll(&self.runtime) {
            Poll::Ready(outcome) => Started::Ready(outcome),
            Poll::Pending => {
                lock(&self.ops).insert(id, op);
                self.begin_pending();
                Started::Pending(id)
            }
        }
    }

    /// A fresh operation id (never `NOTHING`).
    fn next_id(&self) -> u32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            // Ids wrap after 4 billion operations; skip 0 and any id still pending.
            if id != NOTHING && !lock(&self.ops).contains_key(&id) {
                return id;
            }
        }
    }

    /// JS thread: one more pending operation; the first keeps the event loop alive.
    fn begin_pending(&self) {
        if self.pending.fetch_add(1, Ordering::AcqRel) == 0 {
            // SAFETY: the JS thread of `env`, which owns this live threadsafe function.
            unsafe { sys::napi_ref_threadsafe_function(self.env.get(), self.tsfn.raw()) };
        }
    }

    /// JS thread: one pending operation fewer; the last lets the event loop exit.
    fn end_pending(&self) {
        let before = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before == 1 {
            // SAFETY: as in `begin_pending`.
            unsafe { sys::napi_unref_threadsafe_function(self.env.get(), self.tsfn.raw()) };
        }
    }

    /// Any thread: asks the JS thread to poll operation `id`.
    fn schedule(&self, id: u32) {
        // Fails only while the environment tears down, when nothing is left to poll.
        let _ = self.tsfn.call(id, ThreadsafeFunctionCallMode::NonBlocking);
    }

    /// JS thread: polls operation `id`; its outcome if that finished it.
    fn poll(&self, id: u32) -> Option<Outcome> {
        // Taken out while polling, so engine code running inside the poll may use the executor.
        let mut op = lock(&self.ops).remove(&id)?;
        match op.poll(&self.runtime) {
            Poll::Ready(outcome) => {
                self.end_pending();
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
                self.end_pending();
                drop(op);
                true
            }
            None => false,
        }
    }

    /// JS thread, a socket's finalizer: drops that socket's pending operations without settling
    /// them. Closing the socket would settle them with `EAGAIN`, and the JS code awaiting them
    /// (a `serve()` loop) would then call into the freed native socket; a runtime that finalizes
    /// objects JS can still reach (Deno at the end of a test file) would let it.
    pub(crate) fn drop_owned_by(&self, owner: u64) {
        let ops: Vec<Op> = {
            let mut map = lock(&self.ops);
            let ids: Vec<u32> = map
                .iter()
                .filter(|(_, op)| op.owner == Some(owner))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| map.remove(id)).collect()
        };
        for _ in &ops {
            self.end_pending();
        }
        drop(ops);
    }

    /// Environment teardown: drops every pending operation (nothing will read their results).
    pub(crate) fn drop_all(&self) {
        let ops: Vec<Op> = lock(&self.ops).drain().map(|(_, op)| op).collect();
        drop(ops);
    }
}

/// What reading on the JS thread's own event loop uses (`uv_read`, which Windows builds without:
/// there the engine's readers settle through the threadsafe function).
#[cfg_attr(not(unix), allow(dead_code))]
impl Executor {
    /// Any thread: wakes the JS thread for work that is not an operation (the `on_wake` hook).
    pub(crate) fn wake(&self) {
        self.schedule(NOTHING);
    }

    /// Runs `f` (on the JS thread), collecting the operations it wakes instead of scheduling
    /// them; returns them (for [`Executor::settle_now`]).
    pub(crate) fn collect_wakes(self: &Arc<Self>, f: impl FnOnce()) -> Vec<u32> {
        let key = Arc::as_ptr(self) as usize;
        let outer = COLLECTING.with(|c| c.replace(Some((key, Vec::new()))));
        f();
        let mine = COLLECTING.with(|c| c.replace(outer));
        mine.map(|(_, ids)| ids).unwrap_or_default()
    }

    /// JS thread, called from the event loop (no JavaScript on the stack): polls the operations
    /// a read woke and calls the JS settle function for each one that finished, running the
    /// microtasks it queues as any event callback does.
    pub(crate) fn settle_now(&self, ids: Vec<u32>) {
        if ids.is_empty() {
            return;
        }
        let env = self.env.get();
        let mut scope = std::ptr::null_mut();
        // SAFETY: the JS thread of this executor's env. Everything below creates or releases JS
        // handles (results, released buffers), which needs a scope outside any JS call.
        if unsafe { sys::napi_open_handle_scope(env, &mut scope) } != sys::Status::napi_ok {
            return;
        }
        {
            for id in ids {
                let outcome = catch_unwind(AssertUnwindSafe(|| self.poll(id)))
                    .unwrap_or_else(|p| Some(Outcome::Panicked(panic_message(&*p))));
                if let Some(outcome) = outcome {
                    // SAFETY: as above, inside the scope, no JavaScript on the stack.
                    unsafe { self.call_settle(id, outcome) };
                }
            }
        }
        // SAFETY: the scope opened above, on the same thread.
        unsafe { sys::napi_close_handle_scope(env, scope) };
    }

    /// # Safety
    /// JS thread of this executor's env, inside a handle scope, with no JavaScript on the stack.
    unsafe fn call_settle(&self, id: u32, outcome: Outcome) {
        let env = self.env.get();
        let mut settle = std::ptr::null_mut();
        let mut recv = std::ptr::null_mut();
        // SAFETY: the caller's guarantees; `self.settle` is a live reference (made in `new`,
        // never deleted while the env lives); the out-pointers are locals.
        let found = unsafe {
            sys::napi_get_reference_value(env, self.settle.get(), &mut settle)
                == sys::Status::napi_ok
                && sys::napi_get_global(env, &mut recv) == sys::Status::napi_ok
        };
        if !found || settle.is_null() {
            return;
        }
        // SAFETY: the caller's guarantees.
        let id = unsafe { u32::to_napi_value(env, id) };
        // SAFETY: the caller's guarantees.
        let value = unsafe { Outcome::to_napi_value(env, outcome) };
        let (Ok(id), Ok(value)) = (id, value) else {
            return;
        };
        let args = [id, value];
        let mut result = std::ptr::null_mut();
        // Runs the microtasks and nextTicks the settlement queues once it returns, like any
        // event callback (the async context makes it one for async_hooks too).
        // SAFETY: the caller's guarantees; `settle` is a function and `recv`, `args` values of
        // this scope; `async_context` was made in `new` for this env.
        let status = unsafe {
            sys::napi_make_callback(
                env,
                self.async_context.get(),
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
            // SAFETY: the caller's guarantees; an exception is pending, so there is one to take.
            unsafe {
                sys::napi_get_and_clear_last_exception(env, &mut error);
                sys::napi_fatal_exception(env, error);
            }
        }
    }
}

/// Takes a wake-up for operation `id` of `executor` if this thread is collecting for it.
fn collected(executor: &Weak<Executor>, id: u32) -> bool {
    let key = Weak::as_ptr(executor) as usize;
    COLLECTING.with(|c| match c.try_borrow_mut().as_deref_mut() {
        Ok(Some((collecting, ids))) if *collecting == key => {
            ids.push(id);
            true
        }
        _ => false,
    })
}

/// Wakes one pending operation: schedules a poll of it on the JS thread (once, however many
/// wakes arrive before that poll runs).
struct OpWaker {
    id: u32,
    executor: Weak<Executor>,
    scheduled: AtomicBool,
}

impl Wake for OpWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::AcqRel) && !collected(&self.executor, self.id) {
            if let Some(executor) = self.executor.upgrade() {
                executor.schedule(self.id);
            }
        }
    }
}

/// A pending operation: its future (boxed, panic-guarded) and its waker.
struct Op {
    future: Pin<Box<dyn Future<Output = Outcome> + Send>>,
    /// The hub key of the socket it belongs to, if any.
    owner: Option<u64>,
    waker: Arc<OpWaker>,
    handle: Waker,
}

impl Op {
    fn new(
        executor: &Arc<Executor>,
        id: u32,
        owner: Option<u64>,
        fut: impl Future<Output = Outcome> + Send + 'static,
    ) -> Op {
        let waker = Arc::new(OpWaker {
            id,
            executor: Arc::downgrade(executor),
            scheduled: AtomicBool::new(false),
        });
        Op {
            future: Box::pin(fut),
            owner,
            handle: Waker::from(waker.clone()),
            waker,
        }
    }

    /// Polls on the JS thread. Must not be called again once it returned `Ready`.
    fn poll(&mut self, runtime: &Handle) -> Poll<Outcome> {
        // Wakes from now on must schedule another poll.
        self.waker.scheduled.store(false, Ordering::Release);
        // Timers and I/O registration inside the engine need the runtime context.
        let _entered = runtime.enter();
        let mut cx = Context::from_waker(&self.handle);
        let future = &mut self.future;
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Outcome::Panicked(panic_message(&*payload))),
        }
    }
}
