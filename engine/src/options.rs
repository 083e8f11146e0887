//! Socket options, mirroring the option table of the JS contract (`API.md` at the repository root).
//! Durations are kept as signed milliseconds with the contract's conventions (-1 = forever, 0 = off/none)
//! so the binding can pass values through and read them back unchanged; `time` decodes them.

use bytes::Bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// ms before a pending receive fails EAGAIN; -1 = forever.
    pub receive_timeout: i64,
    /// ms a send may wait for a peer / queue room before EAGAIN; -1 = forever.
    pub send_timeout: i64,
    /// ms close() keeps delivering queued outgoing messages (-1 = until delivered, 0 = drop).
    pub linger: i64,
    /// Reconnect back-off start (ms); negative = do not reconnect (libzmq's -1).
    pub reconnect_interval: i64,
    /// Reconnect back-off cap (ms); 0 = no back-off growth (always `reconnect_interval`).
    pub reconnect_max_interval: i64,
    /// ms for one TCP connect attempt; 0 = OS default.
    pub connect_timeout: i64,
    /// ms a new connection may take to finish the ZMTP handshake; 0 = no limit.
    pub handshake_interval: i64,
    /// ms between PINGs we send; 0 = off.
    pub heartbeat_interval: i64,
    /// ms of silence after which a peer is dropped; 0 = `heartbeat_interval`.
    pub heartbeat_timeout: i64,
    /// ms TTL we announce in our PINGs (the peer drops us after this much silence); 0 = none.
    pub heartbeat_ttl: i64,
    /// Largest inbound frame in bytes; -1 = unlimited.
    pub max_message_size: i64,
    /// Outgoing messages queued per peer; 0 = no limit (as in libzmq).
    pub send_hwm: u32,
    /// Incoming messages queued per peer; 0 = no limit (as in libzmq).
    pub receive_hwm: u32,
    /// Identity sent to peers in READY.
    pub routing_id: Option<Bytes>,
    /// REQ only: request-id frame before each request (ZMQ_REQ_CORRELATE).
    pub correlate: bool,
    /// REQ only: a new send abandons a pending request (ZMQ_REQ_RELAXED).
    pub relaxed: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            receive_timeout: -1,
            send_timeout: -1,
            linger: 1000,
            reconnect_interval: 100,
            reconnect_max_interval: 0,
            connect_timeout: 0,
            handshake_interval: 30_000,
            heartbeat_interval: 0,
            heartbeat_timeout: 0,
            heartbeat_ttl: 0,
            max_message_size: -1,
            send_hwm: 1000,
            receive_hwm: 1000,
            routing_id: None,
            correlate: false,
            relaxed: false,
        }
    }
}
