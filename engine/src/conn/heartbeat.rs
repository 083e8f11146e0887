//! ZMTP 3.1 heartbeat timing for one connection (RFC 37 PING/PONG), in the shape of libzmq's:
//! a PING every `interval`; after a PING, a peer that sends nothing for `timeout` is dropped;
//! a peer whose PING carried a TTL is dropped after that much silence. Pure logic, no IO.

use crate::options::Options;
use crate::time::{later, Interval};
use std::time::Duration;
use tokio::time::Instant;

/// What the connection must do when the heartbeat timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tick {
    Nothing,
    SendPing,
    /// The peer has been silent too long: drop the connection.
    Expired,
}

#[derive(Debug)]
pub(crate) struct Heartbeat {
    /// PING period; None when off or when the peer speaks ZMTP 3.0 (which has no PING).
    every: Option<Duration>,
    timeout: Duration,
    /// TTL announced in our PINGs, in tenths of a second as on the wire.
    ttl_deciseconds: u16,
    next_ping: Option<Instant>,
    /// When we sent a PING that nothing has arrived after yet.
    awaiting_since: Option<Instant>,
    /// The TTL from the peer's last PING.
    peer_ttl: Option<Duration>,
    last_rx: Instant,
}

impl Heartbeat {
    pub(crate) fn new(options: &Options, peer_is_zmtp31: bool, now: Instant) -> Heartbeat {
        let every = Interval::from_ms(options.heartbeat_interval)
            .duration()
            .filter(|_| peer_is_zmtp31);
        let timeout = Interval::from_ms(options.heartbeat_timeout)
            .duration()
            .or(every)
            .unwrap_or(Duration::ZERO);
        let ttl_deciseconds =
            u16::try_from(options.heartbeat_time_to_live.max(0) / 100).unwrap_or(u16::MAX);
        Heartbeat {
            every,
            timeout,
            ttl_deciseconds,
            next_ping: every.map(|e| later(now, e)),
            awaiting_since: None,
            peer_ttl: None,
            last_rx: now,
        }
    }

    /// True when timers matter (we ping, or the peer asked for a TTL).
    pub(crate) fn active(&self) -> bool {
        self.every.is_some() || self.peer_ttl.is_some()
    }

    pub(crate) fn ttl_deciseconds(&self) -> u16 {
        self.ttl_deciseconds
    }

    /// Any bytes from the peer prove it alive.
    pub(crate) fn received(&mut self, now: Instant) {
        self.last_rx = now;
        self.awaiting_since = None;
    }

    /// The peer's PING, read at `now`, announced `ttl` tenths of a second (0 = none).
    pub(crate) fn peer_ping(&mut self, ttl_deciseconds: u16, now: Instant) {
        if ttl_deciseconds > 0 {
            // While no heartbeat was active, reads did not move `last_rx` (it is still the
            // connection's start): the TTL must count from this PING, not from then.
            if !self.active() {
                self.last_rx = now;
            }
            self.peer_ttl = Some(Duration::from_millis(u64::from(ttl_deciseconds) * 100));
        }
    }

    /// When the timer should next fire; None = no timer.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let silence = self.awaiting_since.map(|t| later(t, self.timeout));
        let ttl = self.peer_ttl.map(|ttl| later(self.last_rx, ttl));
        [self.next_ping, silence, ttl].into_iter().flatten().min()
    }

    /// Whether the peer has been silent too long by `now` (the timer then says `Expired`).
    pub(crate) fn expired(&self, now: Instant) -> bool {
        self.awaiting_since
            .is_some_and(|t| now >= later(t, self.timeout))
            || self
                .peer_ttl
                .is_some_and(|ttl| now >= later(self.last_rx, ttl))
    }

    pub(crate) fn on_timer(&mut self, now: Instant) -> Tick {
        if self.expired(now) {
            return Tick::Expired;
        }
        match (self.next_ping, self.every) {
            (Some(at), Some(every)) if now >= at => {
                self.next_ping = Some(later(now, every));
                if self.awaiting_since.is_none() {
                    self.awaiting_since = Some(now);
                }
                Tick::SendPing
            }
            _ => Tick::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(interval: i64, timeout: i64, ttl: i64) -> Options {
        Options {
            heartbeat_interval: interval,
            heartbeat_timeout: timeout,
            heartbeat_time_to_live: ttl,
            ..Options::default()
        }
    }

    #[test]
    fn off_by_default_and_for_zmtp30() {
        let now = Instant::now();
        assert!(!Heartbeat::new(&Options::default(), true, now).active());
        let hb = Heartbeat::new(&options(100, 0, 0), false, now);
        assert!(!hb.active());
        assert_eq!(hb.deadline(), None);
    }

    #[test]
    fn pings_then_expires_without_traffic() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(&options(100, 50, 1234), true, t0);
        assert_eq!(hb.ttl_deciseconds(), 12);
        assert_eq!(hb.deadline(), Some(t0 + Duration::from_millis(100)));
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(hb.on_timer(t1), Tick::SendPing);
        assert_eq!(hb.deadline(), Some(t1 + Duration::from_millis(50)));
        assert_eq!(hb.on_timer(t1 + Duration::from_millis(49)), Tick::Nothing);
        assert_eq!(hb.on_timer(t1 + Duration::from_millis(50)), Tick::Expired);
    }

    #[test]
    fn traffic_after_ping_keeps_alive() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(&options(100, 0, 0), true, t0);
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(hb.on_timer(t1), Tick::SendPing);
        hb.received(t1 + Duration::from_millis(10));
        assert_eq!(hb.on_timer(t1 + Duration::from_millis(100)), Tick::SendPing);
        assert_eq!(hb.on_timer(t1 + Duration::from_millis(199)), Tick::Nothing);
        assert_eq!(hb.on_timer(t1 + Duration::from_millis(200)), Tick::Expired);
    }

    #[test]
    fn absurd_intervals_do_not_overflow() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(&options(i64::MAX, i64::MAX, i64::MAX), true, t0);
        assert_eq!(hb.ttl_deciseconds(), u16::MAX);
        assert!(hb.deadline().is_some_and(|d| d > t0));
        assert_eq!(hb.on_timer(t0), Tick::Nothing);
    }

    #[test]
    fn honours_peer_ttl() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(&Options::default(), true, t0);
        hb.received(t0);
        hb.peer_ping(3, t0);
        assert!(hb.active());
        assert_eq!(hb.deadline(), Some(t0 + Duration::from_millis(300)));
        assert_eq!(hb.on_timer(t0 + Duration::from_millis(299)), Tick::Nothing);
        assert_eq!(hb.on_timer(t0 + Duration::from_millis(300)), Tick::Expired);
    }

    #[test]
    fn peer_ttl_counts_from_the_first_ping_not_from_the_connection() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(&Options::default(), true, t0);
        let ping = t0 + Duration::from_millis(50);
        hb.peer_ping(1, ping);
        assert_eq!(hb.deadline(), Some(ping + Duration::from_millis(100)));
        assert_eq!(hb.on_timer(t0 + Duration::from_millis(100)), Tick::Nothing);
        assert_eq!(
            hb.on_timer(ping + Duration::from_millis(100)),
            Tick::Expired
        );
    }
}
