//! The background side of `connect`: connect, run the connection, and when it fails or ends,
//! try again after `reconnect_interval` (doubling up to `reconnect_max_interval`), forever,
//! until `disconnect` or `close`.

use crate::conn::connection::LinkSource;
use crate::conn::connection::{self, ConnectionOutcome};
use crate::events::{EventError, EventKind, SocketEvent};
use crate::net::endpoint::Endpoint;
use crate::net::transport;
use crate::once_event::OnceEvent;
use crate::time::{Interval, Timeout};
use std::sync::Arc;
use std::time::Duration;

/// Reconnect back-off: starts at `reconnect_interval`, doubles up to `reconnect_max_interval`
/// (0 = no growth). Options are re-read at every step, so changes apply to the next delay.
#[derive(Debug, Default)]
struct Backoff {
    current: Duration,
}

impl Backoff {
    /// The delay before the next attempt, given the current options.
    fn next(&mut self, start: Duration, max: Duration) -> Duration {
        let delay = self.current.max(start);
        self.current = if max > start {
            delay.saturating_mul(2).min(max)
        } else {
            start
        };
        delay
    }
}

/// `address`: as given to `connect`, what this endpoint's events carry.
pub(crate) async fn run<S: LinkSource>(
    core: Arc<S>,
    endpoint: Endpoint,
    stop: Arc<OnceEvent>,
    address: Arc<str>,
) {
    let mut backoff = Backoff::default();
    // Its signals: the same in every connection's config.
    let socket = core.link_config();
    loop {
        if stop.is_fired() || socket.closed.is_fired() {
            return;
        }
        let connect_timeout = core.link_config().options.connect_timeout;
        let attempt_timeout = Interval::from_ms(connect_timeout).duration();
        let attempt = tokio::select! {
            r = transport::connect(&endpoint, attempt_timeout) => r,
            _ = stop.wait() => return,
            _ = socket.closed.wait() => return,
        };
        // Why the next attempt is needed, for `connect:retry`.
        let mut failure = None;
        let reconnect_now = match attempt {
            Ok(stream) => {
                socket
                    .events
                    .emit(|| SocketEvent::new(EventKind::Connect, &address));
                let config = core.link_config();
                let run =
                    connection::run(core.clone(), config, stream, stop.clone(), address.clone());
                match run.await {
                    ConnectionOutcome::Lost { reconnect_now } => {
                        backoff = Backoff::default();
                        reconnect_now
                    }
                    ConnectionOutcome::NotEstablished => false,
                }
            }
            Err(e) => {
                failure = socket.events.on().then(|| EventError::io(&e));
                false
            }
        };
        if reconnect_now {
            continue;
        }
        // libzmq: a negative reconnect interval means "do not reconnect".
        let options = core.link_config().options;
        let Timeout::After(start) = Timeout::from_ms(options.reconnect_interval) else {
            return;
        };
        // Negative or 0: no growth.
        let max = Interval::from_ms(options.reconnect_max_interval)
            .duration()
            .unwrap_or(Duration::ZERO);
        let delay = backoff.next(start, max);
        if !(stop.is_fired() || socket.closed.is_fired()) {
            socket.events.emit(|| SocketEvent {
                kind: EventKind::ConnectRetry,
                address: address.to_string(),
                error: failure,
                interval: Some(delay),
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait() => return,
            _ = socket.closed.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn doubles_up_to_the_maximum() {
        let mut b = Backoff::default();
        let delays: Vec<_> = (0..6).map(|_| b.next(ms(100), ms(700))).collect();
        assert_eq!(
            delays,
            [ms(100), ms(200), ms(400), ms(700), ms(700), ms(700)]
        );
    }

    #[test]
    fn no_growth_without_a_maximum() {
        let mut b = Backoff::default();
        let delays: Vec<_> = (0..3).map(|_| b.next(ms(100), Duration::ZERO)).collect();
        assert_eq!(delays, [ms(100); 3]);
        // A maximum below the start means no growth either.
        let delays: Vec<_> = (0..3).map(|_| b.next(ms(100), ms(50))).collect();
        assert_eq!(delays, [ms(100); 3]);
    }

    #[test]
    fn huge_values_saturate() {
        let mut b = Backoff::default();
        let huge = Duration::from_millis(u64::MAX);
        assert_eq!(b.next(huge, huge), huge);
        assert_eq!(b.next(huge, huge), huge);
    }
}
