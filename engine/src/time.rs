//! Time as the options mean it. The options carry signed milliseconds with the contract's
//! conventions (`API.md` at the repository root), so the binding can pass values through and read them back
//! unchanged; the engine decodes them here, once, into what they mean:
//! - a [`Timeout`] (receive, send, linger): negative = never, 0 = at once (a wait fails at its
//!   first poll; linger drops the queue), n = n ms;
//! - an [`Interval`] (handshake, connect, heartbeat): 0 or negative = off, n = every/after n ms.
//!
//! And the engine's one "never" for a timer that must be armed: [`NEVER`] from now.

use std::time::Duration;
use tokio::time::Instant;

/// How far ahead a timer is armed to mean "never": about 30 years, beyond any real wait and
/// near enough that adding it to `Instant::now()` does not overflow.
pub(crate) const NEVER: Duration = Duration::from_secs(86_400 * 365 * 30);

/// A limit on how long something may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timeout {
    Never,
    /// `After(ZERO)`: give up at once (a non-blocking attempt).
    After(Duration),
}

impl Timeout {
    /// -1 (any negative) = never; otherwise n ms.
    pub(crate) fn from_ms(ms: i64) -> Timeout {
        match u64::try_from(ms) {
            Ok(ms) => Timeout::After(Duration::from_millis(ms)),
            Err(_) => Timeout::Never,
        }
    }

    /// When a wait starting now must end; None = never (also when the end is beyond what an
    /// `Instant` can hold: a huge timeout is no deadline).
    pub(crate) fn deadline(self) -> Option<Instant> {
        match self {
            Timeout::Never => None,
            Timeout::After(d) => Instant::now().checked_add(d),
        }
    }
}

/// Something done every so often or bounded in time, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interval {
    Off,
    Every(Duration),
}

impl Interval {
    /// 0 (or negative) = off; otherwise n ms.
    pub(crate) fn from_ms(ms: i64) -> Interval {
        match u64::try_from(ms) {
            Ok(ms) if ms > 0 => Interval::Every(Duration::from_millis(ms)),
            _ => Interval::Off,
        }
    }

    pub(crate) fn duration(self) -> Option<Duration> {
        match self {
            Interval::Off => None,
            Interval::Every(d) => Some(d),
        }
    }
}

/// `at + d`, saturating at [`NEVER`] ahead: option values are caller-controlled and may be
/// absurdly large.
pub(crate) fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .or_else(|| at.checked_add(NEVER))
        .unwrap_or(at)
}

/// A deadline that never comes, for a timer that must be armed.
pub(crate) fn never() -> Instant {
    later(Instant::now(), NEVER)
}

/// Sleeps until `deadline`, or forever when there is none.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_decode_as_the_contract_says() {
        assert_eq!(Timeout::from_ms(-1), Timeout::Never);
        assert_eq!(Timeout::from_ms(i64::MIN), Timeout::Never);
        assert_eq!(Timeout::from_ms(0), Timeout::After(Duration::ZERO));
        assert_eq!(
            Timeout::from_ms(250),
            Timeout::After(Duration::from_millis(250))
        );
        assert_eq!(Timeout::Never.deadline(), None);
        // Beyond what an Instant holds: no deadline rather than an overflow.
        assert_eq!(Timeout::After(Duration::MAX).deadline(), None);
    }

    #[test]
    fn intervals_decode_as_the_contract_says() {
        assert_eq!(Interval::from_ms(0), Interval::Off);
        assert_eq!(Interval::from_ms(-5), Interval::Off);
        assert_eq!(
            Interval::from_ms(100).duration(),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn later_saturates() {
        let now = Instant::now();
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert_eq!(later(now, Duration::MAX), now + NEVER);
    }
}
