//! Byte streams: endpoint parsing, tcp/ipc listeners and streams, and the non-blocking socket a
//! driven connection is read from.

//!
//! Platform differences each sit in one module with a portable fallback: `ipc` (Unix domain
//! sockets), `hang_up` (the peer-hung-up check), `recv_queue` (receive low-water mark, queued
//! bytes), `readiness` (watching a socket the runtime does not).

pub mod endpoint;
pub(crate) mod hang_up;
pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod raw_stream;
pub(crate) mod readiness;
pub(crate) mod recv_queue;
pub(crate) mod released_ports;
pub(crate) mod transport;
