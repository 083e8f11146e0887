//! The two ways a DEALER or ROUTER is taken: one receive at a time (a second is EBUSY, as on every
//! socket type), and a proxy that owns the socket while it runs (every send and receive is EBUSY).

use crate::error::{Error, ErrorCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
