//! A pure-Rust ZMTP 3.1 engine (RFC 37, accepting RFC 23 peers) with the REQ/REP pattern of RFC 28
//! built on DEALER/ROUTER. It has no Node.js dependency: the addon at the repository root forwards to it.
//!
//! Layers, bottom up:
//! - wire (sans-IO, fuzzable): [`codec`], [`greeting`], [`command`], [`mechanism`];
//! - [`handshake`]: drives greeting + mechanism over any async stream;
//! - connections: [`endpoint`] parsing, `transport` (tcp/ipc streams), `connection` (one peer's
//!   reader/writer/heartbeat task), `connector` (connect + reconnect), `listener` (accept loop),
//!   `peer` (outgoing queue, direct writes), `raw_stream` (a driven connection's socket),
//!   `read_buf` (where incoming bytes go: shared buffer for small frames, one buffer per large
//!   frame), `read_state` (bytes to delivered messages),
//!   [`driven`] (reading from the caller's event loop), `inbound` (fair-queued incoming messages);
//! - sockets: `socket` (what all types share), `handle` (their handles' shared part and forwarding
//!   methods), [`DealerSocket`], [`RouterSocket`], [`ReqSocket`], [`RepSocket`].

pub mod codec;
pub mod command;
pub mod driven;
pub mod endpoint;
pub mod error;
pub mod greeting;
pub mod handshake;
pub mod mechanism;
pub mod options;
pub mod security;
pub mod socket_type;

mod connection;
mod connector;
mod handle;
mod heartbeat;
mod inbound;
mod listener;
mod peer;
mod raw_stream;
mod read_buf;
mod read_state;
mod signal;
mod socket;
mod transport;
mod write_buf;

pub mod dealer;
pub mod rep;
pub mod req;
pub mod router;

pub use dealer::DealerSocket;
pub use driven::{DrivenRead, Pump, ReadDriver};
pub use error::{Error, ErrorCode, ProtocolError};
pub use options::Options;
pub use rep::{RepSocket, ReplyTo};
pub use req::ReqSocket;
pub use router::RouterSocket;
pub use socket_type::SocketType;

/// One ZeroMQ message: its frames in order (never empty once it crosses the public API).
pub type Message = Vec<bytes::Bytes>;
