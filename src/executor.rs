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
//!   `Hub::settle_now`), with no thread involved;
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

use crate::id_map::IdMap;
use crate::outcome::Outcome;
use napi::bindgen_prelude::{FnArgs, Function, ToNapiValue};
use napi::sys;
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsValue, Result, Status};
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use tokio::runtime::Handle;
use zeromq_napi_engine::lock;

/// The id passed to the JS settle callback when a poll did not finish anything (ids start at 1).
const NOTHING: u32 = 0;

/// Calls `settle(id, value)` on the JS thread; the payload is the id of the operation to poll.
type SettleFn = ThreadsafeFunction<u32, (), FnArgs<(u32, Outcome)>, Status, false, true, 0>;

/// The JS settle callback's arguments.
pub(crate) type SettleArgs = FnArgs<(u32, Outcome)>;

/// What a native method returns: the finished result, or the id of a pending operation whose
/// outcome the executor will pass to the JS settle callback.
pub enum Started {
    Ready(Outcome),
    Pending(u32),
}

impl ToNapiValue for Started {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // A number always means "pending: wait for settle(id, ...)"; no result is a number.
        let value = match val {
            Started::Ready(outcome) => outcome.into_js(&Env::from_raw(env))?,
            Started::Pending(id) => Env::from_raw(env).create_uint32(id)?.raw(),
        };
        Ok(value)
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

/// The executor of one JS environment (see the module doc). Shared with engine threads, whose
/// wakers schedule polls; whatever needs the JS thread takes its [`Env`] as an argument, which
/// only code running on that thread has.
pub(crate) struct Executor {
    runtime: Handle,
    tsfn: SettleFn,
    /// Operations parked and not yet settled or cancelled; the threadsafe function is referenced
    /// while this is above 0. Only the JS thread changes it.
    pending: AtomicU32,
    next_id: AtomicU32,
    /// Pending operations, by id. Only the JS thread touches it (the mutex is never contended).
    ops: Mutex<IdMap<u32, Op>>,
}

impl Executor {
    /// JS thread (`init`): `settle(id, value)` will be called for each finished pending
    /// operation; `value` is the result, or an `Error` (see `outcome.rs`). `id` 0 means nothing
    /// (ignore the call). Each wake-up first runs the hub's queued work (`Hub::woken`).
    pub(crate) fn new(
        settle: &Function<'_, SettleArgs, ()>,
        runtime: Handle,
    ) -> Result<Arc<Executor>> {
        let tsfn: SettleFn = settle
            .build_threadsafe_function::<u32>()
            .callee_handled::<false>()
            // Unreferenced until an operation is pending (see `pending`).
            .weak::<true>()
            .build_callback(|ctx: ThreadsafeCallContext<u32>| {
                Ok(FnArgs::from(crate::hub::Hub::woken(&ctx.env, ctx.value)))
            })?;
        Ok(Arc::new(Executor {
            runtime,
            tsfn,
            pending: AtomicU32::new(0),
            next_id: AtomicU32::new(1),
            ops: Mutex::new(IdMap::default()),
        }))
    }

    pub(crate) fn runtime(&self) -> &Handle {
        &self.runtime
    }

    /// Operations waiting for settlement.
    pub(crate) fn pending(&self) -> u32 {
        self.pending.load(Ordering::Acquire)
    }

    /// JS thread: polls `fut` once; parks it if it has to wait.
    /// `owner`: the id of the socket it belongs to, whose release drops it
    /// ([`Executor::drop_owned_by`]).
    pub(crate) fn start_for(
        self: &Arc<Self>,
        env: &Env,
        owner: Option<u64>,
        fut: impl Future<Output = Outcome> + Send + 'static,
    ) -> Started {
        let id = self.next_id();
        let mut op = Op::new(self, id, owner, fut);
        match op.poll(&self.runtime) {
            Poll::Ready(outcome) => Started::Ready(outcome),
            Poll::Pending => {
                lock(&self.ops).insert(id, op);
                self.begin_pending(env);
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

    /// One more pending operation; the first keeps the event loop alive.
    fn begin_pending(&self, env: &Env) {
        if self.pending.fetch_add(1, Ordering::AcqRel) == 0 {
            // SAFETY: `env` is an `Env` of a call on its JS thread (no other code has one), the
            // environment this threadsafe function was made in (there is one executor per env and
            // its callers pass their own call's `Env`); we hold the function, so it is live.
            unsafe { sys::napi_ref_threadsafe_function(env.raw(), self.tsfn.raw()) };
        }
    }

    /// One pending operation fewer; the last lets the event loop exit.
    fn end_pending(&self, env: &Env) {
        let before = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before == 1 {
            // SAFETY: `env` is an `Env` of a call or callback on its JS thread, the env this
            // threadsafe function was made in (one executor per env); we hold it, so it is live.
            unsafe { sys::napi_unref_threadsafe_function(env.raw(), self.tsfn.raw()) };
        }
    }

    /// Any thread: asks the JS thread to poll operation `id`.
    fn schedule(&self, id: u32) {
        // Fails only while the environment tears down, when nothing is left to poll.
        let _ = self.tsfn.call(id, ThreadsafeFunctionCallMode::NonBlocking);
    }

    /// JS thread: polls operation `id`; its outcome if that finished it.
    pub(crate) fn poll(&self, env: &Env, id: u32) -> Option<Outcome> {
        // Taken out while polling, so engine code running inside the poll may use the executor.
        let mut op = lock(&self.ops).remove(&id)?;
        match op.poll(&self.runtime) {
            Poll::Ready(outcome) => {
                self.end_pending(env);
                Some(outcome)
            }
            Poll::Pending => {
                lock(&self.ops).insert(id, op);
                None
            }
        }
    }

    /// JS thread: polls operation `id` with any panic caught; `(id, outcome)` for the settle
    /// callback, or `NOTHING` when it did not finish.
    pub(crate) fn poll_to_settle(&self, env: &Env, id: u32) -> (u32, Outcome) {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.poll(env, id)))
            .unwrap_or_else(|payload| Some(Outcome::Panicked(panic_message(&*payload))));
        match outcome {
            Some(outcome) => (id, outcome),
            None => (NOTHING, Outcome::Done),
        }
    }

    /// JS thread: drops pending operation `id` (the engine's futures are cancel-safe). Returns
    /// whether it was still pending; if not, its outcome has already been delivered.
    pub(crate) fn cancel(&self, env: &Env, id: u32) -> bool {
        let op = lock(&self.ops).remove(&id);
        match op {
            Some(op) => {
                self.end_pending(env);
                drop(op);
                true
            }
            None => false,
        }
    }

    /// JS thread, a socket's release: drops that socket's pending operations without settling
    /// them. Closing the socket would settle them with `EAGAIN`, and the JS code awaiting them
    /// would then call into a socket that is gone (`EBADF` now, but nobody should be woken for it).
    pub(crate) fn drop_owned_by(&self, env: &Env, owner: u64) {
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
            self.end_pending(env);
        }
        drop(ops);
    }

    /// JS thread: pending operation `id` is from now on polled once per event-loop turn, after
    /// the turn's reads, however many of them woke it (see `loop_end.rs`). A no-op when it is
    /// not pending.
    pub(crate) fn poll_at_loop_end(&self, id: u32) {
        if let Some(op) = lock(&self.ops).get_mut(&id) {
            op.at_loop_end = true;
        }
    }

    /// Whether pending operation `id` waits for the end of the turn's reads to be polled.
    pub(crate) fn polls_at_loop_end(&self, id: u32) -> bool {
        lock(&self.ops).get(&id).is_some_and(|op| op.at_loop_end)
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
    /// Any thread: wakes the JS thread for work that is not an operation (the hub's queued
    /// reader commands).
    pub(crate) fn wake(&self) {
        self.schedule(NOTHING);
    }

    /// Runs `f` (on the JS thread), collecting the operations it wakes instead of scheduling
    /// them; returns them (for `Hub::settle_now`).
    pub(crate) fn collect_wakes(self: &Arc<Self>, f: impl FnOnce()) -> Vec<u32> {
        let key = Arc::as_ptr(self) as usize;
        let outer = COLLECTING.with(|c| c.replace(Some((key, Vec::new()))));
        f();
        let mine = COLLECTING.with(|c| c.replace(outer));
        mine.map(|(_, ids)| ids).unwrap_or_default()
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
    /// Polled after the event-loop turn's reads rather than after each (`poll_at_loop_end`).
    at_loop_end: bool,
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
            at_loop_end: false,
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
