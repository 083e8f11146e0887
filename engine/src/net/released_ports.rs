//! The tcp addresses this process's listeners let go of a moment ago: a bind refused with
//! EADDRINUSE for one of them waits out the end of that close instead of failing.
//!
//! Why: `close()` or `unbind()` then `bind()` of the same endpoint is how a server restarts in
//! place, and the tests (and users) expect it to work at once. On Linux and macOS it does: the
//! listener is closed before `close()` returns and SO_REUSEADDR lets the port be bound while its
//! old connections finish. Under Wine, CI once saw such a rebind refused with EADDRINUSE (on a
//! loaded machine; not reproduced since). The likely cause: Windows cancels the socket's pending
//! readiness poll (mio's AFD poll) asynchronously, and the port stays taken until that cancel is
//! through. A port another socket or process holds is still refused at once; one it took after
//! we released it, `GRACE` later.

use crate::lock::lock;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after its release an address is still expected to come free.
pub(crate) const GRACE: Duration = Duration::from_secs(1);

static RELEASED: Released = Released(Mutex::new(Vec::new()));

/// Records that a listener on `addr` was closed now.
pub(crate) fn note(addr: SocketAddr) {
    RELEASED.note(addr, Instant::now());
}

/// When `addr`, released a moment ago, should be free at the latest; `None` if it was not.
pub(crate) fn free_by(addr: SocketAddr) -> Option<Instant> {
    RELEASED.free_by(addr, Instant::now())
}

/// Addresses and when they were released; pruned as they age past `GRACE`.
struct Released(Mutex<Vec<(SocketAddr, Instant)>>);

impl Released {
    fn note(&self, addr: SocketAddr, at: Instant) {
        let mut released = lock(&self.0);
        released.retain(|(a, when)| *a != addr && at.saturating_duration_since(*when) < GRACE);
        released.push((addr, at));
    }

    fn free_by(&self, addr: SocketAddr, now: Instant) -> Option<Instant> {
        lock(&self.0)
            .iter()
            .filter(|(a, _)| *a == addr)
            .map(|(_, when)| *when + GRACE)
            .find(|deadline| *deadline > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn released() -> Released {
        Released(Mutex::new(Vec::new()))
    }

    #[test]
    fn an_address_released_now_is_expected_free_within_grace() {
        let (r, start) = (released(), Instant::now());
        r.note(addr(1), start);
        assert_eq!(r.free_by(addr(1), start), Some(start + GRACE));
        assert_eq!(r.free_by(addr(2), start), None, "another port");
        let other_host = SocketAddr::from(([127, 0, 0, 2], 1));
        assert_eq!(r.free_by(other_host, start), None, "another host");
    }

    #[test]
    fn past_grace_an_address_is_no_longer_waited_for() {
        let (r, start) = (released(), Instant::now());
        r.note(addr(1), start);
        assert_eq!(r.free_by(addr(1), start + GRACE), None);
    }

    #[test]
    fn a_second_release_restarts_the_grace_and_old_entries_are_pruned() {
        let (r, start) = (released(), Instant::now());
        r.note(addr(1), start);
        r.note(addr(2), start);
        let later = start + GRACE / 2;
        r.note(addr(1), later);
        assert_eq!(r.free_by(addr(1), later), Some(later + GRACE));
        r.note(addr(3), start + GRACE * 2);
        let kept: Vec<SocketAddr> = lock(&r.0).iter().map(|(a, _)| *a).collect();
        assert_eq!(kept, vec![addr(3)], "1 and 2 aged past the grace");
    }
}
