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
//! - sockets: `socket` (what all types share), [`SocketHandle`] (the shared handle every type
//!   derefs to: bind, connect, close, options), [`DealerSocket`], [`RouterSocket`], [`ReqSocket`], [`RepSocket`].

mod error;
mod options;
mod signal;
mod time;

pub mod wire;

mod conn;
mod net;
mod socket;
mod types;

pub use conn::driven::{self, DrivenRead, Pump, ReadDriver};
/// The handshake over any async stream, for interop tests.
#[doc(hidden)]
pub use conn::handshake;
pub use error::{Error, ErrorCode, ProtocolError};
pub use options::Options;
pub use socket::handle::SocketHandle;
pub use types::dealer::DealerSocket;
pub use types::rep::{RepSocket, ReplyTo};
pub use types::req::ReqSocket;
pub use types::router::RouterSocket;
pub use wire::socket_type::SocketType;
pub use wire::Message;
