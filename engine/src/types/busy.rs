//! Which operations of a socket are under way: one send and one receive at a time (a second is
//! EBUSY, as on every socket type), and a proxy that owns the socket while it runs (every send and
//! receive is EBUSY).

use crate::error::{Error, ErrorCode};
use crate::lock::lock;
use crate::once_event::OnceEvent;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

const SEND: u8 = 1;
const RECV: u8 = 2;
const PROXY: u8 = 4;

/// The operations under way on one socket, as bits: taking several is one atomic step, so no
/// two callers can each get half of what they asked for.
#[derive(Default)]
pub(crate) struct Busy {
    taken: AtomicU8,
}

/// Gives back what it took however the operation ends (including its future being dropped).
pub(crate) struct Taken<'a> {
    taken: &'a AtomicU8,
    bits: u8,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.taken.fetch_and(!self.bits, Ordering::SeqCst);
    }
}

/// The proxy's hold on a socket: like [`Taken`] but owning, so it can live in a spawned future.
pub(crate) struct Proxied(Arc<Busy>);

impl Drop for Proxied {
    fn drop(&mut self) {
        self.0.taken.fetch_and(!PROXY, Ordering::SeqCst);
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

/// zeromq.js's texts for a second pending receive / send.
const BUSY_READING: &str =
    "Socket is busy reading; only one receive operation may be in progress at any time";
const BUSY_WRITING: &str =
    "Socket is busy writing; only one send operation may be in progress at any time";

/// `e` with zeromq.js's text for a second pending operation, unless a proxy is the reason.
fn case_text(e: Error, text: &'static str) -> Error {
    if e.message == PROXIED {
        return e;
    }
    e.with_case_text(text)
}

const PROXIED: &str =
    "a proxy is running on this socket: it sends and receives for it until it stops";

fn proxied_error() -> Error {
    Error::new(ErrorCode::Ebusy, PROXIED)
}

impl Busy {
    /// EBUSY while a proxy runs on the socket.
    pub(crate) fn check_free(&self) -> Result<(), Error> {
        if self.taken.load(Ordering::SeqCst) & PROXY != 0 {
            return Err(proxied_error());
        }
        Ok(())
    }

    /// Takes the receive turn; EBUSY if a receive is pending or a proxy runs.
    pub(crate) fn begin_recv(&self) -> Result<Taken<'_>, Error> {
        self.take(RECV, "a receive is already pending on this socket")
            .map_err(|e| case_text(e, BUSY_READING))
    }

    /// Takes the send turn; EBUSY if a send is pending or a proxy runs.
    pub(crate) fn begin_send(&self) -> Result<Taken<'_>, Error> {
        self.take(SEND, "a send is already pending on this socket")
            .map_err(|e| case_text(e, BUSY_WRITING))
    }

    /// Takes both turns, for a request and its reply; EBUSY if either is taken.
    pub(crate) fn begin_request(&self) -> Result<Taken<'_>, Error> {
        self.take(SEND | RECV, "another operation is pending on this socket")
    }

    /// Hands the socket to a proxy; EBUSY if a proxy already has it or a receive is pending
    /// (that receive and the proxy would compete for the same messages).
    pub(crate) fn begin_proxy(self: &Arc<Self>) -> Result<Proxied, Error> {
        self.take_bits(
            PROXY,
            RECV,
            "a receive is pending on this socket: a proxy cannot take it over",
        )?;
        Ok(Proxied(self.clone()))
    }

    fn take(&self, bits: u8, busy: &str) -> Result<Taken<'_>, Error> {
        self.take_bits(bits, bits, busy)?;
        Ok(Taken {
            taken: &self.taken,
            bits,
        })
    }

    /// Sets `bits` unless a proxy holds the socket or any of `conflicts` is set (EBUSY saying
    /// `busy`).
    fn take_bits(&self, bits: u8, conflicts: u8, busy: &str) -> Result<(), Error> {
        let taken = self
            .taken
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                (now & (conflicts | PROXY) == 0).then_some(now | bits)
            });
        match taken {
            Ok(_) => Ok(()),
            Err(now) if now & PROXY != 0 => Err(proxied_error()),
            Err(_) => Err(Error::new(ErrorCode::Ebusy, busy)),
        }
    }
}
