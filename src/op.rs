//! Running one engine future for JavaScript with as few thread hops as possible.
//!
//! 1. The future is polled once, inline, on the JS thread (inside the runtime context). If that
//!    finishes it, the result goes straight back to the caller: no task, no wake-up, no promise
//!    settlement through the event loop.
//! 2. Otherwise it becomes a tokio task on the same runtime as the engine's connection tasks, so the
//!    engine task that makes it ready wakes it on its own worker (no cross-thread hop there), and the
//!    result reaches JS through the hub's threadsafe function: exactly one hop to the JS thread.
//!
//! Panics are caught at both poll sites and become `Outcome::Panicked`: no panic unwinds into Node.

use crate::hub::HubShared;
use crate::outcome::Outcome;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// What a native method returns: the finished result, or the id of a pending operation whose
/// outcome the hub will pass to the JS settle callback.
pub enum Started {
    Ready(Outcome),
    Pending(u32),
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

/// A boxed future whose panics become `Outcome::Panicked`. Once it returned `Ready` it is not
/// polled again (callers guarantee it).
pub(crate) struct Guarded(Pin<Box<dyn Future<Output = Outcome> + Send>>);

impl Guarded {
    pub(crate) fn new(fut: impl Future<Output = Outcome> + Send + 'static) -> Guarded {
        Guarded(Box::pin(fut))
    }
}

impl Future for Guarded {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Outcome::Panicked(panic_message(&*payload))),
        }
    }
}

/// Polls `fut` once on this (JS) thread; spawns it if it has to wait.
pub(crate) fn start(
    hub: &Arc<HubShared>,
    fut: impl Future<Output = Outcome> + Send + 'static,
) -> Started {
    let mut fut = Guarded::new(fut);
    {
        // Timers and I/O registration inside the engine need the runtime context.
        let _entered = hub.runtime().enter();
        // The noop waker is fine: if the future is pending it is polled again by its task right
        // away, which registers the real waker before anything could have been missed.
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(outcome) = Pin::new(&mut fut).poll(&mut cx) {
            return Started::Ready(outcome);
        }
    }
    spawn_guarded(hub, fut)
}

/// Runs `fut` as a task without polling it here first (the caller already tried the sync path).
pub(crate) fn spawn(
    hub: &Arc<HubShared>,
    fut: impl Future<Output = Outcome> + Send + 'static,
) -> Started {
    spawn_guarded(hub, Guarded::new(fut))
}

fn spawn_guarded(hub: &Arc<HubShared>, mut fut: Guarded) -> Started {
    let (id, cancelled) = hub.begin();
    let settle_to = hub.clone();
    hub.runtime().spawn(async move {
        let outcome = tokio::select! {
            biased;
            outcome = &mut fut => outcome,
            // Dropping `fut` here is the cancellation: the engine's futures are cancel-safe.
            _ = cancelled => Outcome::Cancelled,
        };
        drop(fut);
        settle_to.settle(id, outcome);
    });
    Started::Pending(id)
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
