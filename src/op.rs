//! Running engine futures for JavaScript with as few thread hops as possible.
//!
//! Pending operations are not tokio tasks: they live in the hub's table and are only ever polled on
//! the JS thread (inside the runtime context, so engine timers and I/O registration work). The
//! waker of an operation asks the hub's threadsafe function to poll it again. So:
//!
//! - an operation that can finish at once (first poll) returns its result synchronously;
//! - usually what makes it ready is a message read on the JS thread itself (`uv_read`): the
//!   operation is then polled and settled right after that read, with no thread involved;
//! - otherwise (a timer, a connection lost, queue room on a tokio worker) the waker asks the
//!   hub's threadsafe function to poll it: one hop, and the JS thread never wakes a worker to
//!   start a wait;
//! - cancelling (AbortSignal) drops the future right away, on the JS thread: the engine's futures
//!   are cancel-safe, so nothing received is lost.
//!
//! Panics are caught at the poll site and become `Outcome::Panicked`: no panic unwinds into Node.

use crate::hub::HubShared;
use crate::outcome::Outcome;
use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

/// What a native method returns: the finished result, or the id of a pending operation whose
/// outcome the hub will pass to the JS settle callback.
pub enum Started {
    Ready(Outcome),
    Pending(u32),
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
    /// While the JS thread reads connections (`uv_read`): the hub (as a pointer, for identity)
    /// and the operations woken meanwhile, which it then settles right there instead of going
    /// through the threadsafe function (a self-signal and another event-loop turn).
    static COLLECTING: RefCell<Option<(usize, Vec<u32>)>> = const { RefCell::new(None) };
}

/// Runs `f` (on the JS thread of `hub`), collecting the operations it wakes instead of
/// scheduling them; returns them.
pub(crate) fn collect_wakes(hub: &Arc<HubShared>, f: impl FnOnce()) -> Vec<u32> {
    let key = Arc::as_ptr(hub) as usize;
    let outer = COLLECTING.with(|c| c.replace(Some((key, Vec::new()))));
    f();
    let mine = COLLECTING.with(|c| c.replace(outer));
    mine.map(|(_, ids)| ids).unwrap_or_default()
}

/// Takes a wake-up for operation `id` of `hub` if this thread is collecting for that hub.
fn collected(hub: &Weak<HubShared>, id: u32) -> bool {
    let key = Weak::as_ptr(hub) as usize;
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
pub(crate) struct OpWaker {
    id: u32,
    hub: Weak<HubShared>,
    scheduled: AtomicBool,
}

impl Wake for OpWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::AcqRel) && !collected(&self.hub, self.id) {
            if let Some(hub) = self.hub.upgrade() {
                hub.schedule(self.id);
            }
        }
    }
}

/// A pending operation: its future (boxed, panic-guarded) and its waker.
pub(crate) struct Op {
    future: Pin<Box<dyn Future<Output = Outcome> + Send>>,
    waker: Arc<OpWaker>,
    handle: Waker,
}

impl Op {
    fn new(
        hub: &Arc<HubShared>,
        id: u32,
        fut: impl Future<Output = Outcome> + Send + 'static,
    ) -> Op {
        let waker = Arc::new(OpWaker {
            id,
            hub: Arc::downgrade(hub),
            scheduled: AtomicBool::new(false),
        });
        Op {
            future: Box::pin(fut),
            handle: Waker::from(waker.clone()),
            waker,
        }
    }

    /// Polls on the JS thread. Must not be called again once it returned `Ready`.
    pub(crate) fn poll(&mut self, hub: &HubShared) -> Poll<Outcome> {
        // Wakes from now on must schedule another poll.
        self.waker.scheduled.store(false, Ordering::Release);
        // Timers and I/O registration inside the engine need the runtime context.
        let _entered = hub.runtime().enter();
        let mut cx = Context::from_waker(&self.handle);
        let future = &mut self.future;
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Outcome::Panicked(panic_message(&*payload))),
        }
    }
}

/// Polls `fut` once on this (JS) thread; parks it in the hub if it has to wait.
pub(crate) fn start(
    hub: &Arc<HubShared>,
    fut: impl Future<Output = Outcome> + Send + 'static,
) -> Started {
    let id = hub.next_id();
    let mut op = Op::new(hub, id, fut);
    match op.poll(hub) {
        Poll::Ready(outcome) => Started::Ready(outcome),
        Poll::Pending => {
            hub.park(id, op);
            Started::Pending(id)
        }
    }
}

impl napi::bindgen_prelude::ToNapiValue for Started {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        match val {
            Started::Ready(outcome) => unsafe { Outcome::to_napi_value(env, outcome) },
            // A number always means "pending: wait for settle(id, ...)"; no result is a number.
            Started::Pending(id) => unsafe { u32::to_napi_value(env, id) },
        }
    }
}
