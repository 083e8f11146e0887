//! The background side of `connect`: connect, run the connection, and when it fails or ends,
//! try again after `reconnect_interval` (doubling up to `reconnect_max_interval`), forever,
//! until `disconnect` or `close`.

use crate::connection::{self, Outcome};
use crate::endpoint::Endpoint;
use crate::options::interval_of;
use crate::signal::Signal;
use crate::socket::{millis, Core};
use crate::transport;
use std::sync::Arc;
use std::time::Duration;

/// Reconnect back-off: starts at `reconnect_interval`, doubles up to `reconnect_max_interval`
/// (0 = no growth).
#[derive(Debug)]
struct Backoff {
    current: Duration,
}

impl Backoff {
    fn new(core: &Core) -> Backoff {
        Backoff {
            current: millis(core.option(|o| o.reconnect_interval)),
        }
    }

    fn next(&mut self, core: &Core) -> Duration {
        let (start, max) = core.option(|o| {
            (
                millis(o.reconnect_interval),
                millis(o.reconnect_max_interval),
            )
        });
        let delay = self.current.max(start);
        self.current = if max > start {
            delay.saturating_mul(2).min(max)
        } else {
            start
        };
        delay
    }
}

pub(crate) async fn run(core: Arc<Core>, endpoint: Endpoint, stop: Arc<Signal>) {
    let mut backoff = Backoff::new(&core);
    loop {
        if stop.is_fired() || core.is_closed() {
            return;
        }
        let attempt_timeout = interval_of(core.option(|o| o.connect_timeout));
        let attempt = tokio::select! {
            r = transport::connect(&endpoint, attempt_timeout) => r,
            _ = stop.wait() => return,
            _ = core.closed.wait() => return,
        };
        let reconnect_now = match attempt {
            Ok(stream) => match connection::run(core.clone(), stream, stop.clone()).await {
                Outcome::Ended { reconnect_now } => {
                    backoff = Backoff::new(&core);
                    reconnect_now
                }
                Outcome::NotEstablished => false,
            },
            Err(_) => false,
        };
        if reconnect_now {
            continue;
        }
        // libzmq: a negative reconnect interval means "do not reconnect".
        if core.option(|o| o.reconnect_interval) < 0 {
            return;
        }
        let delay = backoff.next(&core);
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait() => return,
            _ = core.closed.wait() => return,
        }
    }
}
