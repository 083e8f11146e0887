//! The two ways a DEALER or ROUTER is taken: one receive at a time (a second is EBUSY, as on every
//! socket type), and a proxy that owns the socket while it runs (every send and receive is EBUSY).

use crate::error::{Error, ErrorCode};
use crate::lock::lock;
use crate::once_event::OnceEvent;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub(crate) struct Busy {
    receiving: AtomicBool,
    proxied: AtomicBool,
}

/// Clears the flag it set however the operation ends (including its future being dropped).
pub(crate) struct Taken<'a>(&'a AtomicBool);

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// The proxy's hold on a socket: like [`Taken`] but owning, so it can live in a spawned future.
pub(crate) struct Proxied(Arc<Busy>);

impl Drop for Proxied {
    fn drop(&mut self) {
        self.0.proxied.store(false, Ordering::SeqCst);
    }
}

/// A running proxy's hold on its two sockets, shared by its forwarding and whoever stops it.
/// Every take of the forwarding goes through [`ProxyHold::take`] under the lock that
/// [`ProxyHold::release`] takes too: once `release` returns, the sockets are free and the
/// forwarding takes nothing more from them, even if its task has not been dropped yet.
pub(crate) struct ProxyHold {
    held: Mutex<Option<(Proxied, Proxied)>>,
    /// Fired by `release`, so a forwarding parked in a wait ends too.
    pub(crate) released: OnceEvent,
    /// Paused (zeromq.js's `pause()`): the forwarding takes nothing; messages wait in the
    /// sockets' queues (and, past their high-water marks, in the peers) until resumed.
    paused: tokio::sync::watch::Sender<bool>,
}

impl ProxyHold {
    pub(crate) fn new(front: Proxied, back: Proxied) -> ProxyHold {
        ProxyHold {
            held: Mutex::new(Some((front, back))),
            released: OnceEvent::new(),
            paused: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Runs `take` while the proxy holds its sockets and is not paused: `Some(None)` once
    /// released (which ends a wait), None while paused, otherwise what `take` found.
    pub(crate) fn take<T>(&self, take: impl FnOnce() -> Option<T>) -> Option<Option<T>> {
        let held = lock(&self.held);
        if held.is_none() {
            return Some(None);
        }
        if *self.paused.borrow() {
            return None;
        }
        take().map(Some)
    }

    /// Pauses or resumes the forwarding. Idempotent.
    pub(crate) fn set_paused(&self, paused: bool) {
        // Under the take lock: a take under way finishes first, and none starts paused.
        let _held = lock(&self.held);
        self.paused.send_replace(paused);
    }

    /// Resolves once the forwarding is (or becomes) unpaused.
    pub(crate) async fn unpaused(&self) {
        let mut paused = self.paused.subscribe();
        // Err only when the sender is gone, and it lives as long as `self`.
        let _ = paused.wait_for(|p| !*p).await;
    }

    /// Resolves when the forwarding gets paused (after this call).
    pub(crate) async fn paused(&self) {
        let mut paused = self.paused.subscribe();
        let _ = paused.wait_for(|p| *p).await;
    }

    /// Gives the sockets back, after any take under way. Idempotent.
    pub(crate) fn release(&self) {
        drop(lock(&self.held).take());
        self.released.fire();
    }
}

fn proxied_error() -> Error {
    Error::new(
        ErrorCode::Ebusy,
        "a proxy is running on this socket: it sends and receives for it until it stops",
    )
}

impl Busy {
    /// EBUSY while a proxy runs on the socket.
    pub(crate) fn check_free(&self) -> Result<(), Error> {
        if self.proxied.load(Ordering::SeqCst) {
            return Err(proxied_error());
        }
        Ok(())
    }

    /// Takes the receive turn; EBUSY if a receive is pending or a proxy runs.
    pub(crate) fn begin_recv(&self) -> Result<Taken<'_>, Error> {
        self.check_free()?;
        if self.receiving.swap(true, Ordering::SeqCst) {
            return Err(Error::new(
                ErrorCode::Ebusy,
                "a receive is already pending on this socket",
            ));
        }
        Ok(Taken(&self.receiving))
    }

    /// Hands the socket to a proxy; EBUSY if a proxy already has it or a receive is pending
    /// (that receive and the proxy would compete for the same messages).
    pub(crate) fn begin_proxy(self: &Arc<Self>) -> Result<Proxied, Error> {
        if self.proxied.swap(true, Ordering::SeqCst) {
            return Err(proxied_error());
        }
        let held = Proxied(self.clone());
        if self.receiving.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorCode::Ebusy,
                "a receive is pending on this socket: a proxy cannot take it over",
            ));
        }
        Ok(held)
    }
}
