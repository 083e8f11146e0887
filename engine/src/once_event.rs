//! A fire-once event any number of tasks can await: a socket's close, the end of one connection,
//! the removal of one endpoint. Firing is synchronous, so `close()` and `disconnect()` stay sync.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub(crate) struct OnceEvent {
    fired: AtomicBool,
    notify: Notify,
}

impl OnceEvent {
    pub(crate) fn new() -> OnceEvent {
        OnceEvent::default()
    }

    /// Fires the signal; returns true the first time only.
    pub(crate) fn fire(&self) -> bool {
        let first = !self.fired.swap(true, Ordering::AcqRel);
        if first {
            self.notify.notify_waiters();
        }
        first
    }

    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }

    /// Resolves once the signal has fired (at once if it already has). Cancel-safe.
    pub(crate) async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registering before checking the flag means a `fire()` in between cannot be missed.
            notified.as_mut().enable();
            if self.is_fired() {
                return;
            }
            notified.await;
        }
    }
}
