//! One connection from handshake to end: the handshake, the live peer and its outgoing queue,
//! reading (bytes to messages), writing, heartbeats, and reading from the caller's event loop.

pub(crate) mod body_pool;
pub(crate) mod box_threads;
pub(crate) mod connection;
pub(crate) mod delivery;
pub mod driven;
pub mod handshake;
pub(crate) mod heartbeat;
pub(crate) mod peer;
pub(crate) mod read_buf;
pub(crate) mod read_state;
pub mod security;
pub(crate) mod write_buf;
